//! `Env`: a temporary directory with a configuration and database, and the
//! real `steppewatch` binary run against it. `Daemon`: `steppewatch run` as a
//! child process that a test can signal.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

pub const BIN: &str = env!("CARGO_BIN_EXE_steppewatch");

/// The sections every test configuration starts with: a database in the temp
/// dir, fast polling, loopback feeds allowed, HTTP off.
pub fn header(dir: &Path) -> String {
    format!(
        r#"[storage]
path = "{}"

[poll]
interval = "1s"
min_interval = "1s"
max_interval = "2s"
concurrency = 8

[fetch]
timeout = "2s"
connect_timeout = "1s"
allow_private = true

[http]
listen = ""

[alerts]
retry = ["1s", "1s", "2s"]
give_up = "1h"
"#,
        dir.join("steppewatch.db").display()
    )
}

pub struct Env {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
}

impl Env {
    /// A configuration made of the standard header plus `body`.
    pub fn new(body: &str) -> Env {
        let dir = tempfile::tempdir().expect("temp dir");
        let text = format!("{}\n{}", header(dir.path()), body);
        Env::with_text(dir, &text)
    }

    /// A configuration exactly as given (`{dir}` is replaced by the temp dir).
    pub fn raw(text: &str) -> Env {
        let dir = tempfile::tempdir().expect("temp dir");
        let text = text.replace("{dir}", &dir.path().display().to_string());
        Env::with_text(dir, &text)
    }

    fn with_text(dir: tempfile::TempDir, text: &str) -> Env {
        let config = dir.path().join("steppewatch.toml");
        std::fs::write(&config, text).expect("write config");
        Env { dir, config }
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("steppewatch.db")
    }

    /// Replaces the configuration file with header + `body`.
    pub fn rewrite(&self, body: &str) {
        let text = format!("{}\n{}", header(self.dir.path()), body);
        std::fs::write(&self.config, text).expect("rewrite config");
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.arg("--config").arg(&self.config).args(args);
        cmd.env("RUST_LOG", "steppewatch=debug,info")
            .env_remove("STEPPEWATCH_CONFIG");
        cmd.stdin(Stdio::null()).kill_on_drop(true);
        cmd
    }

    /// Runs a command to completion.
    pub async fn run(&self, args: &[&str]) -> Output {
        let out = self.command(args).output().await.expect("run steppewatch");
        if std::env::var_os("STEPPEWATCH_TEST_VERBOSE").is_some() {
            eprintln!(
                "$ steppewatch {}\n{}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        out
    }

    /// Runs a command that must succeed and returns its stdout.
    pub async fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args).await;
        assert!(
            out.status.success(),
            "steppewatch {} failed ({:?}):\n{}",
            args.join(" "),
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 stdout")
    }

    /// Runs a `--json` listing and parses its lines.
    pub async fn json_lines(&self, args: &[&str]) -> Vec<serde_json::Value> {
        self.ok(args)
            .await
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
            .collect()
    }

    /// Starts `steppewatch run` in the background.
    pub fn spawn(&self, extra: &[&str]) -> Daemon {
        let log = self
            .dir
            .path()
            .join(format!("daemon-{}.log", rand_suffix()));
        let file = std::fs::File::create(&log).expect("log file");
        let mut args = vec!["run"];
        args.extend_from_slice(extra);
        let child = self
            .command(&args)
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("spawn daemon");
        Daemon { child, log }
    }
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

pub struct Daemon {
    pub child: Child,
    pub log: PathBuf,
}

impl Daemon {
    pub fn pid(&self) -> i32 {
        self.child.id().expect("daemon running") as i32
    }

    pub fn signal(&self, sig: &str) {
        let status = std::process::Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.pid().to_string())
            .status()
            .unwrap();
        assert!(status.success(), "kill -{sig} failed");
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the log contains `needle` `count` times, or panics after `limit`.
    pub async fn wait_for_log(&self, needle: &str, count: usize, limit: Duration) {
        let start = Instant::now();
        while start.elapsed() < limit {
            if self.logs().matches(needle).count() >= count {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "log never showed {needle:?} x{count} within {limit:?}:\n{}",
            self.logs()
        );
    }

    /// Sends SIGTERM and waits for the exit status.
    pub async fn stop(mut self) -> (std::process::ExitStatus, String) {
        self.signal("TERM");
        let status = tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .expect("daemon exits within 10 s of SIGTERM")
            .expect("wait");
        (status, self.logs())
    }
}
