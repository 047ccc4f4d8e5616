//! argon2id (the RustCrypto crate's defaults: 19 MiB, 2 passes) for hashing and verifying
//! passwords, on a few threads of their own: one per core.
//!
//! Each hash takes about 20 ms of one core and 19 MiB of memory. Left to Tokio's blocking
//! pool, a burst of sign-ins (the first bell) ran dozens at once on dozens of threads: no
//! faster, since the cores are the limit, but every thread's allocator kept its own 19 MiB
//! blocks, and the server grew past 3 GiB. Queued to one thread per core, hashes run as fast,
//! and memory stays at one block per core. A job whose request has gone (timed out, client
//! left) is skipped rather than hashed for no one.

use std::sync::{LazyLock, Mutex};

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
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
        Argon2::default()
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
            Argon2::default()
                .hash_password(b"no account has this password", &salt)
                .map(|h| h.to_string())
                .unwrap_or_default()
        });
        let real = hash.as_deref().and_then(|h| PasswordHash::new(h).ok());
        let is_real = real.is_some();
        let stored = real.or_else(|| PasswordHash::new(dummy).ok());
        let verified = stored.is_some_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        });
        verified && is_real
    })
    .await
}
