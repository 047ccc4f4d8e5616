//! Secrets at rest: values a database backup must not give away (token-signing keys, second
//! factor secrets, queued mail holding sign-in links) are stored sealed.
//!
//! Envelope encryption with AES-256-GCM (ring): each value is encrypted with a fresh random
//! data key, and the data key is encrypted ("wrapped") with the installation's key, named by
//! its fingerprint. Both carry what the value is for (`identity.totp:<user id>`), so a sealed
//! value copied into another row does not open. A stored value reads
//!
//! ```text
//! sealed:v1:<key fingerprint>:<nonce + wrapped data key>:<nonce + ciphertext>   (base64url)
//! ```
//!
//! The installation's key comes from `secrets.key`; keys in `secrets.previous_keys` still open
//! what they sealed, and the contexts re-seal such values with the current key when they
//! start, so rotating is: add the new key, move the old one to `previous_keys`, restart every
//! process, then remove the old key. The embedded shape without a configured key generates one
//! in `<data_dir>/secrets.key`, readable by its owner only; the distributed shape refuses to
//! start without one, since its processes must share it.

use std::{io::Write as _, path::Path};

use anyhow::Context as _;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use ring::{
    aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN},
    digest,
    rand::{SecureRandom, SystemRandom},
};

use crate::config::Config;

const PREFIX: &str = "sealed:v1:";
const KEY_LEN: usize = 32;
/// The generated key's file, under the data directory.
pub const KEY_FILE: &str = "secrets.key";

/// One installation key.
struct InstallationKey {
    fingerprint: String,
    key: LessSafeKey,
}

impl InstallationKey {
    fn from_base64(text: &str, setting: &str) -> anyhow::Result<Self> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .or_else(|_| URL_SAFE_NO_PAD.decode(text.trim()))
            .with_context(|| format!("`{setting}` is not base64"))?;
        anyhow::ensure!(
            bytes.len() == KEY_LEN,
            "`{setting}` must be 32 random bytes in base64 (`openssl rand -base64 32`), got {} bytes",
            bytes.len()
        );
        let fingerprint = digest::digest(&digest::SHA256, &bytes);
        Ok(Self {
            fingerprint: hex(&fingerprint.as_ref()[..6]),
            key: aes_key(&bytes)?,
        })
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn aes_key(bytes: &[u8]) -> anyhow::Result<LessSafeKey> {
    let key =
        UnboundKey::new(&AES_256_GCM, bytes).map_err(|_| anyhow::anyhow!("not an AES-256 key"))?;
    Ok(LessSafeKey::new(key))
}

/// Seals and opens the installation's secrets at rest.
pub struct Sealer {
    current: InstallationKey,
    previous: Vec<InstallationKey>,
    random: SystemRandom,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sealer({})", self.current.fingerprint)
    }
}

impl Sealer {
    /// The configured key (and previous ones), or in the embedded shape the key file in the
    /// data directory, made on first start.
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let current = match &config.secrets.key {
            Some(key) => InstallationKey::from_base64(key.expose(), "secrets.key")?,
            None if config.database.url.is_none() => {
                let text = key_file(&config.data_dir)?;
                InstallationKey::from_base64(&text, KEY_FILE)?
            }
            None => anyhow::bail!(
                "`secrets.key` is not set: processes sharing a database must share the key that \
                 seals its secrets; generate one with `openssl rand -base64 32` and give every \
                 process the same (CAMPUS_SECRETS__KEY)"
            ),
        };
        let previous = config
            .secrets
            .previous_keys
            .iter()
            .map(|key| InstallationKey::from_base64(key.expose(), "secrets.previous_keys"))
            .collect::<anyhow::Result<_>>()?;
        Ok(Self {
            current,
            previous,
            random: SystemRandom::new(),
        })
    }

    /// The current key's fingerprint (stored with every value it seals).
    pub fn fingerprint(&self) -> &str {
        &self.current.fingerprint
    }

    /// Seals `plain` for `purpose` (what the value is and whose: it must be given again to
    /// open it).
    pub fn seal(&self, plain: &str, purpose: &str) -> anyhow::Result<String> {
        let mut data_key = [0u8; KEY_LEN];
        self.random
            .fill(&mut data_key)
            .map_err(|_| anyhow::anyhow!("no randomness"))?;
        let sealed_value = self.encrypt(&aes_key(&data_key)?, plain.as_bytes(), purpose)?;
        let wrapped = self.encrypt(&self.current.key, &data_key, &self.wrap_aad(purpose))?;
        Ok(format!(
            "{PREFIX}{}:{}:{}",
            self.current.fingerprint,
            URL_SAFE_NO_PAD.encode(wrapped),
            URL_SAFE_NO_PAD.encode(sealed_value)
        ))
    }

    /// Opens a value sealed for `purpose`. A value stored before sealing existed (no prefix)
    /// is returned as it is; [`Sealer::needs_resealing`] finds such values.
    pub fn open(&self, stored: &str, purpose: &str) -> anyhow::Result<String> {
        let Some(rest) = stored.strip_prefix(PREFIX) else {
            return Ok(stored.to_owned());
        };
        let mut parts = rest.splitn(3, ':');
        let (Some(fingerprint), Some(wrapped), Some(sealed_value)) =
            (parts.next(), parts.next(), parts.next())
        else {
            anyhow::bail!("a sealed value for {purpose} is malformed");
        };
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.fingerprint == fingerprint)
            .with_context(|| {
                format!(
                    "a value for {purpose} was sealed with key {fingerprint}, which is neither \
                     secrets.key nor one of secrets.previous_keys"
                )
            })?;
        let data_key = decrypt(
            &key.key,
            &URL_SAFE_NO_PAD.decode(wrapped)?,
            &self.wrap_aad(purpose),
        )
        .with_context(|| format!("the sealed value for {purpose} does not open"))?;
        let plain = decrypt(
            &aes_key(&data_key)?,
            &URL_SAFE_NO_PAD.decode(sealed_value)?,
            purpose,
        )
        .with_context(|| format!("the sealed value for {purpose} does not open"))?;
        String::from_utf8(plain).context("a sealed value is not text")
    }

    /// Whether a stored value is in clear or sealed with a key other than the current one.
    pub fn needs_resealing(&self, stored: &str) -> bool {
        !stored.starts_with(&format!("{PREFIX}{}:", self.current.fingerprint))
    }

    fn wrap_aad(&self, purpose: &str) -> String {
        format!("data key for {purpose}")
    }

    fn encrypt(&self, key: &LessSafeKey, plain: &[u8], aad: &str) -> anyhow::Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        self.random
            .fill(&mut nonce)
            .map_err(|_| anyhow::anyhow!("no randomness"))?;
        let mut buffer = plain.to_vec();
        key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad.as_bytes()),
            &mut buffer,
        )
        .map_err(|_| anyhow::anyhow!("sealing failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buffer);
        Ok(out)
    }
}

fn decrypt(key: &LessSafeKey, sealed: &[u8], aad: &str) -> anyhow::Result<Vec<u8>> {
    anyhow::ensure!(sealed.len() > NONCE_LEN, "too short");
    let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| anyhow::anyhow!("nonce"))?;
    let mut buffer = ciphertext.to_vec();
    let plain = key
        .open_in_place(nonce, Aad::from(aad.as_bytes()), &mut buffer)
        .map_err(|_| anyhow::anyhow!("wrong key, or the value was changed"))?;
    Ok(plain.to_vec())
}

/// The embedded shape's key: read from `<data_dir>/secrets.key`, or made there (readable by
/// the owner only) the first time.
fn key_file(data_dir: &Path) -> anyhow::Result<String> {
    let path = data_dir.join(KEY_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            refuse_if_shared(&path)?;
            Ok(text)
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(data_dir)
                .with_context(|| format!("cannot create {}", data_dir.display()))?;
            let mut bytes = [0u8; KEY_LEN];
            SystemRandom::new()
                .fill(&mut bytes)
                .map_err(|_| anyhow::anyhow!("no randomness"))?;
            let text = base64::engine::general_purpose::STANDARD.encode(bytes);
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            match options.open(&path) {
                Ok(mut file) => {
                    file.write_all(text.as_bytes())?;
                    file.sync_all()?;
                    tracing::info!(path = %path.display(), "generated the key that seals secrets at rest; back it up with the data");
                    Ok(text)
                }
                // Another process of this data directory made it first.
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                    Ok(std::fs::read_to_string(&path)?)
                }
                Err(error) => {
                    Err(error).with_context(|| format!("cannot write {}", path.display()))
                }
            }
        }
        Err(error) => Err(error).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// A key file others may read is refused rather than used.
fn refuse_if_shared(path: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(path)?.permissions().mode();
        anyhow::ensure!(
            mode & 0o077 == 0,
            "{} can be read by others (mode {:o}); make it the owner's only: chmod 600 {}",
            path.display(),
            mode & 0o777,
            path.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config_with(key: &str, previous: &[&str]) -> Config {
        let mut config = Config::default();
        config.secrets.key = Some(crate::config::SecretText::new(key));
        config.secrets.previous_keys = previous
            .iter()
            .map(|k| crate::config::SecretText::new(*k))
            .collect();
        config
    }

    const OLD: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const NEW: &str = "HxwdHhsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=";

    #[test]
    fn a_sealed_value_opens_only_for_its_purpose_and_with_its_key() {
        let sealer = Sealer::from_config(&config_with(OLD, &[])).unwrap();
        let sealed = sealer
            .seal("JBSWY3DPEHPK3PXP", "identity.totp:marty")
            .unwrap();
        assert!(sealed.starts_with("sealed:v1:"));
        assert!(!sealed.contains("JBSWY3DPEHPK3PXP"));
        assert_eq!(
            sealer.open(&sealed, "identity.totp:marty").unwrap(),
            "JBSWY3DPEHPK3PXP"
        );
        // Copied into another person's row, it does not open.
        assert!(sealer.open(&sealed, "identity.totp:biff").is_err());
        // Nor with another key, nor changed by one character.
        let stranger = Sealer::from_config(&config_with(NEW, &[])).unwrap();
        assert!(stranger.open(&sealed, "identity.totp:marty").is_err());
        let mut changed = sealed.clone();
        changed.pop();
        changed.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(sealer.open(&changed, "identity.totp:marty").is_err());
        // Two seals of one value differ.
        assert_ne!(
            sealed,
            sealer
                .seal("JBSWY3DPEHPK3PXP", "identity.totp:marty")
                .unwrap()
        );
    }

    #[test]
    fn after_rotation_old_values_open_and_are_found_for_resealing() {
        let before = Sealer::from_config(&config_with(OLD, &[])).unwrap();
        let sealed = before.seal("secret", "p").unwrap();
        let after = Sealer::from_config(&config_with(NEW, &[OLD])).unwrap();
        assert_eq!(after.open(&sealed, "p").unwrap(), "secret");
        assert!(after.needs_resealing(&sealed));
        assert!(after.needs_resealing("in clear"));
        let resealed = after.seal(&after.open(&sealed, "p").unwrap(), "p").unwrap();
        assert!(!after.needs_resealing(&resealed));
        let only_new = Sealer::from_config(&config_with(NEW, &[])).unwrap();
        assert_eq!(only_new.open(&resealed, "p").unwrap(), "secret");
        assert!(only_new.open(&sealed, "p").is_err(), "the old key is gone");
    }

    #[test]
    fn the_embedded_shape_makes_an_owner_only_key_file_once() {
        let dir =
            std::env::temp_dir().join(format!("campus-sealing-{}", crate::id::new_id_string()));
        let mut config = Config {
            data_dir: dir.clone(),
            ..Config::default()
        };
        let first = Sealer::from_config(&config).unwrap();
        let sealed = first.seal("x", "p").unwrap();
        let second = Sealer::from_config(&config).unwrap();
        assert_eq!(
            second.open(&sealed, "p").unwrap(),
            "x",
            "the same key next time"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let path = dir.join(KEY_FILE);
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert!(
                Sealer::from_config(&config).is_err(),
                "a key others can read is refused"
            );
        }
        // The distributed shape never makes one.
        config.database.url = Some(crate::config::ConnectionUrl::new("postgres://db/campus"));
        assert!(Sealer::from_config(&config).is_err());
        std::fs::remove_dir_all(dir).ok();
    }
}
