//! argon2id (the RustCrypto crate's defaults: 19 MiB, 2 passes) for hashing and verifying
//! passwords, on a few threads of their own: one per core, each with its 19 MiB of working
//! memory allocated once.
//!
//! Each hash takes about 20 ms of one core. Left to Tokio's blocking pool, a burst of sign-ins
//! (the first bell) ran dozens at once on dozens of threads: no faster, since the cores are the
//! limit, and the server grew past 3 GiB, because the allocator kept the 19 MiB blocks each
//! hash allocates and frees. Queued to one thread per core, each computing in memory it keeps,
//! hashes run faster and memory stays at one block per core. A job whose request has gone
//! (timed out, client left) is skipped rather than hashed for no one.

use std::{
    cell::RefCell,
    sync::{LazyLock, Mutex},
};

use argon2::{
    password_hash::{
        self, rand_core::OsRng, Decimal, Ident, Output, ParamsString, PasswordHash, PasswordHasher,
        PasswordVerifier, Salt, SaltString,
    },
    Algorithm, Argon2, Block, Params, Version,
};
use campus_platform::{Error, Result};
use tokio::sync::{mpsc, oneshot};

use crate::domain::Password;

type Job = Box<dyn FnOnce() + Send>;

/// The queue the hashing threads take jobs from, started on first use.
static QUEUE: LazyLock<mpsc::UnboundedSender<Job>> = LazyLock::new(|| {
    let (sender, receiver) = mpsc::unbounded_channel::<Job>();
    let receiver = std::sync::Arc::new(Mutex::new(receiver));
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    for n in 0..cores {
        let receiver = receiver.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("password-hashing-{n}"))
            .spawn(move || loop {
                let job = match receiver.lock() {
                    Ok(mut queue) => queue.blocking_recv(),
                    Err(_) => return,
                };
                match job {
                    // A panic drops the job's reply (its request gets a 500), not the thread.
                    Some(job) => {
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                    }
                    None => return,
                }
            });
        if let Err(error) = spawned {
            tracing::error!(%error, "cannot start a password hashing thread");
        }
    }
    sender
});

thread_local! {
    /// The working memory of this thread's hashes, kept between them.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// argon2 behind the `password-hash` traits (so PHC strings, parameters and the constant-time
/// comparison stay the crate's), computing in the calling thread's kept memory instead of a
/// fresh allocation per hash. Produces exactly what `Argon2::default()` does (tested).
struct KeptMemoryArgon2;

impl PasswordHasher for KeptMemoryArgon2 {
    type Params = Params;

    fn hash_password_customized<'a>(
        &self,
        password: &[u8],
        algorithm: Option<Ident<'a>>,
        version: Option<Decimal>,
        params: Params,
        salt: impl Into<Salt<'a>>,
    ) -> password_hash::Result<PasswordHash<'a>> {
        let algorithm = algorithm
            .map(Algorithm::try_from)
            .transpose()?
            .unwrap_or_default();
        let version = version
            .map(Version::try_from)
            .transpose()?
            .unwrap_or_default();
        let salt = salt.into();
        let mut salt_bytes = [0u8; 64];
        let salt_bytes = salt.decode_b64(&mut salt_bytes)?;
        let argon2 = Argon2::new(algorithm, version, params.clone());
        let output_len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
        let output = Output::init_with(output_len, |out| {
            MEMORY.with_borrow_mut(|memory| {
                // Every block is written before it is read, so what is left from the
                // previous hash does not matter.
                memory.resize(params.block_count(), Block::default());
                Ok(argon2.hash_password_into_with_memory(
                    password,
                    salt_bytes,
                    out,
                    &mut memory[..],
                )?)
            })
        })?;
        Ok(PasswordHash {
            algorithm: algorithm.ident(),
            version: Some(version.into()),
            params: ParamsString::try_from(&params)?,
            salt: Some(salt),
            hash: Some(output),
        })
    }
}

/// Runs `work` on a hashing thread and waits for its result.
async fn on_a_core<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    let (reply, answer) = oneshot::channel();
    let job: Job = Box::new(move || {
        if !reply.is_closed() {
            let _ = reply.send(work());
        }
    });
    QUEUE
        .send(job)
        .map_err(|_| Error::internal(anyhow::anyhow!("the password hashing threads stopped")))?;
    answer
        .await
        .map_err(|_| Error::internal(anyhow::anyhow!("a password hashing thread stopped")))
}

/// The PHC string of a new argon2id hash of `password`, with a fresh salt.
pub async fn hash(password: Password) -> Result<String> {
    on_a_core(move || {
        let salt = SaltString::generate(&mut OsRng);
        KeptMemoryArgon2
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
    })
    .await?
    .map_err(Error::from)
}

/// Verifies against `hash`, or against a fixed dummy hash when there is no account (or it has
/// no password yet), so the answer takes as long either way.
pub async fn matches(password: String, hash: Option<String>) -> Result<bool> {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    on_a_core(move || {
        let dummy = DUMMY.get_or_init(|| {
            let salt = SaltString::generate(&mut OsRng);
            KeptMemoryArgon2
                .hash_password(b"no account has this password", &salt)
                .map(|h| h.to_string())
                .unwrap_or_default()
        });
        let real = hash.as_deref().and_then(|h| PasswordHash::new(h).ok());
        let is_real = real.is_some();
        let stored = real.or_else(|| PasswordHash::new(dummy).ok());
        let verified = stored.is_some_and(|parsed| {
            KeptMemoryArgon2
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        });
        verified && is_real
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_memory_hashes_exactly_like_the_crate() {
        // One thread, so the memory is reused (and dirty) from the second hash on.
        for (n, password) in ["correct horse battery staple", "", "ünïcödé pässwörd"]
            .iter()
            .enumerate()
        {
            let salt = SaltString::generate(&mut OsRng);
            let ours = KeptMemoryArgon2
                .hash_password(password.as_bytes(), &salt)
                .unwrap()
                .to_string();
            let crates = Argon2::default()
                .hash_password(password.as_bytes(), &salt)
                .unwrap()
                .to_string();
            assert_eq!(ours, crates, "password {n}");
            let parsed = PasswordHash::new(&ours).unwrap();
            assert!(Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok());
            assert!(KeptMemoryArgon2
                .verify_password(password.as_bytes(), &parsed)
                .is_ok());
            assert!(KeptMemoryArgon2
                .verify_password(b"something else", &parsed)
                .is_err());
        }
        // A hash made with other parameters (as an older release might have) still verifies.
        let params = Params::new(8 * 1024, 3, 1, None).unwrap();
        let other = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let salt = SaltString::generate(&mut OsRng);
        let stored = other.hash_password(b"old one", &salt).unwrap().to_string();
        let parsed = PasswordHash::new(&stored).unwrap();
        assert!(KeptMemoryArgon2
            .verify_password(b"old one", &parsed)
            .is_ok());
    }

    #[tokio::test]
    async fn hashing_threads_hash_and_verify() {
        let password = Password::parse("password", "violet marmalade harbour kite", &[]).unwrap();
        let hash = hash(password).await.unwrap();
        assert!(
            matches("violet marmalade harbour kite".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(!matches("wrong".into(), Some(hash)).await.unwrap());
        assert!(!matches("anything".into(), None).await.unwrap());
    }
}
