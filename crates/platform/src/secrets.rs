//! Secrets handed out by link or token (refresh tokens, emailed links, recovery codes, private
//! calendar feeds): made from the system's randomness, stored only as digests.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use ring::rand::{SecureRandom, SystemRandom};
use sha2::{Digest, Sha256};

/// 256 random bits as base64url text.
pub fn random_token() -> anyhow::Result<String> {
    let mut secret = [0u8; 32];
    SystemRandom::new()
        .fill(&mut secret)
        .map_err(|_| anyhow::anyhow!("no randomness"))?;
    Ok(URL_SAFE_NO_PAD.encode(secret))
}

/// What is stored in place of a secret: its SHA-256, hex. The secrets carry 256 bits (or are
/// single-use and short-lived), so an unsalted fast hash is enough to keep a leaked table
/// from being usable.
pub fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
