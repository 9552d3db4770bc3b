//! Secrets given inline, as `env:NAME` or as `file:PATH` (systemd credentials); never printed.
//!
//! Webhook secrets may be written `whsec_<base64>` (Standard Webhooks); they are kept
//! exactly as written and the signer decodes them.

use std::path::{Path, PathBuf};

/// A resolved secret value. `Debug` and `Display` print `***`, never the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Resolves a reference as written in the configuration file, reading the process
    /// environment. `base_dir` is the configuration file's directory.
    ///
    /// # Errors
    /// When the named variable is unset or the named file cannot be read.
    pub fn resolve(spec: &str, base_dir: &Path) -> Result<Secret, SecretError> {
        Secret::resolve_with(spec, base_dir, &|name| std::env::var(name).ok())
    }

    /// [`Secret::resolve`] with the environment supplied by the caller (tests, validation).
    ///
    /// - `env:NAME`: the variable's value; unset or empty is an error.
    /// - `file:PATH`: the file's contents, trimmed. A relative path is looked up in
    ///   `$CREDENTIALS_DIRECTORY` when systemd set it, else in `base_dir`.
    /// - anything else: the literal value.
    ///
    /// # Errors
    /// When the named variable is unset or the named file cannot be read.
    pub fn resolve_with(
        spec: &str,
        base_dir: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Secret, SecretError> {
        if let Some(name) = spec.strip_prefix("env:") {
            return match env(name) {
                Some(value) if !value.is_empty() => Ok(Secret(value)),
                _ => Err(SecretError::EnvUnset {
                    name: name.to_owned(),
                }),
            };
        }
        if let Some(path) = spec.strip_prefix("file:") {
            let path = secret_path(Path::new(path), base_dir, env);
            return read_secret_file(&path);
        }
        Ok(Secret(spec.to_owned()))
    }
}

/// Where `file:PATH` points: absolute as is; relative under systemd's credentials
/// directory when running as a service with `LoadCredential=`, else next to the config.
fn secret_path(path: &Path, base_dir: &Path, env: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    if path.is_absolute() {
        return path.to_path_buf();
    }
    match env("CREDENTIALS_DIRECTORY").filter(|dir| !dir.is_empty()) {
        Some(dir) => Path::new(&dir).join(path),
        None => base_dir.join(path),
    }
}

fn read_secret_file(path: &Path) -> Result<Secret, SecretError> {
    let text = std::fs::read_to_string(path).map_err(|source| SecretError::File {
        path: path.to_path_buf(),
        source,
    })?;
    let value = text.trim();
    if value.is_empty() {
        return Err(SecretError::EmptyFile {
            path: path.to_path_buf(),
        });
    }
    Ok(Secret(value.to_owned()))
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// Why a secret reference could not be resolved. Never contains the value.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("environment variable {name} is not set")]
    EnvUnset { name: String },
    #[error("unable to read secret file {}: {source}", path.display())]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("secret file {} is empty", path.display())]
    EmptyFile { path: PathBuf },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn literal_is_kept_as_written() {
        let secret = Secret::resolve_with(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            Path::new("/"),
            &no_env,
        )
        .unwrap();
        assert_eq!(secret.expose(), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    }

    #[test]
    fn env_reference_reads_the_variable() {
        let env = |name: &str| (name == "OPS_SECRET").then(|| "s3cr3t-value".to_owned());
        let secret = Secret::resolve_with("env:OPS_SECRET", Path::new("/"), &env).unwrap();
        assert_eq!(secret.expose(), "s3cr3t-value");
        let err = Secret::resolve_with("env:MISSING", Path::new("/"), &env).unwrap_err();
        assert_eq!(err.to_string(), "environment variable MISSING is not set");
    }

    #[test]
    fn relative_file_is_read_from_credentials_directory() {
        let creds = tempfile::tempdir().unwrap();
        let config_dir = tempfile::tempdir().unwrap();
        std::fs::write(creds.path().join("ops"), "from-credentials\n").unwrap();
        std::fs::write(config_dir.path().join("ops"), "from-config-dir\n").unwrap();
        let creds_dir = creds.path().to_str().unwrap().to_owned();
        let env = move |name: &str| (name == "CREDENTIALS_DIRECTORY").then(|| creds_dir.clone());

        let secret = Secret::resolve_with("file:ops", config_dir.path(), &env).unwrap();
        assert_eq!(secret.expose(), "from-credentials");
        let secret = Secret::resolve_with("file:ops", config_dir.path(), &no_env).unwrap();
        assert_eq!(secret.expose(), "from-config-dir");
    }

    #[test]
    fn absolute_file_ignores_credentials_directory() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "  abs-value  ").unwrap();
        let env = |_: &str| Some("/nonexistent".to_owned());
        let secret =
            Secret::resolve_with(&format!("file:{}", path.display()), Path::new("/"), &env)
                .unwrap();
        assert_eq!(secret.expose(), "abs-value");
    }

    #[test]
    fn missing_or_empty_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("empty"), "\n").unwrap();
        let err = Secret::resolve_with("file:absent", dir.path(), &no_env).unwrap_err();
        assert!(
            err.to_string().starts_with("unable to read secret file"),
            "{err}"
        );
        let err = Secret::resolve_with("file:empty", dir.path(), &no_env).unwrap_err();
        assert!(err.to_string().ends_with("is empty"), "{err}");
    }

    #[test]
    fn debug_and_display_hide_the_value() {
        let secret = Secret::new("hunter2".to_owned());
        assert_eq!(format!("{secret:?}"), "Secret(***)");
        assert_eq!(format!("{secret}"), "***");
    }
}
