//! Standard Webhooks signing: `webhook-signature: v1,<base64 HMAC-SHA256>`
//! over `"{webhook-id}.{webhook-timestamp}.{body}"`.
//!
//! The secret is read as the Standard Webhooks serialisation `whsec_<base64>`,
//! whose decoded bytes are the HMAC key. A secret without that prefix is used
//! as its raw UTF-8 bytes, so an operator can paste any shared string; note
//! that the official verifier libraries base64-decode such a secret instead,
//! so receivers using them need the `whsec_` form.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The prefix of a serialised Standard Webhooks secret.
pub const SECRET_PREFIX: &str = "whsec_";

#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("webhook secret after {SECRET_PREFIX} is not valid base64: {0}")]
    Base64(#[from] base64::DecodeError),
    #[error("webhook secret is empty")]
    Empty,
}

/// An HMAC key ready to sign.
#[derive(Clone)]
pub struct SigningKey(Vec<u8>);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(***)")
    }
}

impl SigningKey {
    /// Reads a secret as described in the module documentation.
    ///
    /// # Errors
    /// A `whsec_` secret whose remainder is not base64, or an empty key.
    pub fn from_secret(secret: &str) -> Result<SigningKey, SignError> {
        let key = match secret.strip_prefix(SECRET_PREFIX) {
            Some(encoded) => STANDARD.decode(encoded.trim())?,
            None => secret.as_bytes().to_vec(),
        };
        if key.is_empty() {
            return Err(SignError::Empty);
        }
        Ok(SigningKey(key))
    }

    /// The `webhook-signature` header value for one attempt.
    pub fn sign(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> String {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("hmac takes any key length");
        mac.update(msg_id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The published vector of the Standard Webhooks reference libraries
    /// (standard-webhooks/standard-webhooks, libraries/php/tests/WebhookTest.php,
    /// `testSignFunctionWorks`).
    #[test]
    fn reproduces_the_specification_test_vector() {
        let key = SigningKey::from_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let signature = key.sign(
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    /// The vector of the reference Rust library (libraries/rust/src/lib.rs, `test_sign`).
    #[test]
    fn reproduces_the_reference_rust_library_vector() {
        let key = SigningKey::from_secret("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
        let body = br#"{"email":"test@example.com","username":"test_user"}"#;
        let signature = key.sign("msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", 1649367553, body);
        assert_eq!(signature, "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=");
    }

    #[test]
    fn a_secret_without_the_prefix_is_raw_bytes() {
        let raw = SigningKey::from_secret("plain shared secret").unwrap();
        let encoded = format!("whsec_{}", STANDARD.encode("plain shared secret"));
        let prefixed = SigningKey::from_secret(&encoded).unwrap();
        assert_eq!(
            raw.sign("msg_1", 1, b"{}"),
            prefixed.sign("msg_1", 1, b"{}")
        );
        assert!(SigningKey::from_secret("whsec_not base64!").is_err());
        assert!(SigningKey::from_secret("").is_err());
    }
}
