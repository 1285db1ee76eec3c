//! Password hashing with argon2id (m=19456 KiB, t=2, p=1: the OWASP
//! baseline).
//!
//! Every hash runs on a small pool of dedicated threads, one per core (at
//! most four). Each argon2 run allocates 19 MiB; on tokio's blocking pool a
//! burst of sign-ins spread those buffers over dozens of threads whose
//! allocator arenas kept them, and resident memory climbed near 1 GiB. With
//! a fixed handful of threads at most that many buffers exist at once, and
//! the cores stay busy with no more hashing than they can do.

use std::sync::mpsc;
use std::sync::{Arc, LazyLock, Mutex};

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::oneshot;

use crate::kit::error::{Error, Result};

pub const MIN_LENGTH: usize = 12;
pub const MAX_LENGTH: usize = 128;
/// No accepted password is longer (128 characters of at most 4 bytes), so a
/// longer one is wrong without spending a hash on it.
const MAX_BYTES: usize = MAX_LENGTH * 4;
const MAX_HASHING_THREADS: usize = 4;

type HashJob = Box<dyn FnOnce() + Send>;

/// The hashing threads, started on first use; `None` if none could start.
static POOL: LazyLock<Option<mpsc::Sender<HashJob>>> = LazyLock::new(|| {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, MAX_HASHING_THREADS);
    let (sender, receiver) = mpsc::channel::<HashJob>();
    let receiver = Arc::new(Mutex::new(receiver));
    let mut running = 0;
    for n in 0..threads {
        let receiver = receiver.clone();
        let started = std::thread::Builder::new().name(format!("clinicbox-hash-{n}")).spawn(move || {
            loop {
                let job = receiver.lock().unwrap_or_else(|e| e.into_inner()).recv();
                match job {
                    Ok(job) => job(),
                    Err(_) => return,
                }
            }
        });
        match started {
            Ok(_) => running += 1,
            Err(err) => tracing::error!(error = %err, "could not start a password hashing thread"),
        }
    }
    // With no thread to answer, a job would wait for ever: refuse instead.
    (running > 0).then_some(sender)
});

/// Runs `work` on a hashing thread and waits for its answer.
async fn on_pool<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    let (reply, answer) = oneshot::channel();
    let job: HashJob = Box::new(move || {
        let _ = reply.send(work());
    });
    let pool = POOL.as_ref().ok_or_else(|| Error::internal("password hashing is unavailable"))?;
    pool.send(job).map_err(|_| Error::internal("password hashing has stopped"))?;
    answer.await.map_err(|_| Error::internal("a password hashing thread failed"))
}

/// A real hash of a random password, verified against when the account does
/// not exist so that unknown emails take as long as wrong passwords.
static DUMMY_HASH: LazyLock<Option<String>> = LazyLock::new(|| {
    let secret = crate::kit::tokens::generate("").ok()?;
    hash_now(&secret).ok()
});

fn hasher() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).unwrap_or(Params::DEFAULT);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn check_policy(password: &str) -> Option<String> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        Some(format!("must be at least {MIN_LENGTH} characters"))
    } else if length > MAX_LENGTH {
        Some(format!("must be at most {MAX_LENGTH} characters"))
    } else {
        None
    }
}

/// Hashes synchronously; for the CLI and the dummy hash.
pub fn hash_now(password: &str) -> Result<String> {
    hasher()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| Error::internal(format!("password hashing failed: {e}")))
}

fn verify_now(password: &str, phc: &str) -> bool {
    hasher().verify_password(password.as_bytes(), phc).is_ok()
}

pub async fn hash(password: String) -> Result<String> {
    on_pool(move || hash_now(&password)).await?
}

/// Verifies against `phc`, or against the dummy hash when there is none.
pub async fn verify(password: String, phc: Option<String>) -> Result<bool> {
    if password.len() > MAX_BYTES {
        return Ok(false);
    }
    on_pool(move || match phc {
        Some(phc) => verify_now(&password, &phc),
        None => {
            if let Some(dummy) = DUMMY_HASH.as_deref() {
                verify_now(&password, dummy);
            }
            false
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_with_the_chosen_cost_and_verify() {
        let phc = hash_now("correct horse battery").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify_now("correct horse battery", &phc));
        assert!(!verify_now("correct horse battery!", &phc));
        assert_ne!(phc, hash_now("correct horse battery").unwrap(), "salted");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_pool_hashes_and_verifies_concurrently_and_refuses_overlong_passwords() {
        let phc = hash("correct horse battery".into()).await.unwrap();
        let checks: Vec<_> = (0..6)
            .map(|n| {
                let phc = phc.clone();
                let guess = if n % 2 == 0 { "correct horse battery" } else { "wrong horse battery!" };
                tokio::spawn(verify(guess.into(), Some(phc)))
            })
            .collect();
        for (n, check) in checks.into_iter().enumerate() {
            assert_eq!(check.await.unwrap().unwrap(), n % 2 == 0);
        }
        assert!(!verify("x".repeat(MAX_BYTES + 1), Some(phc)).await.unwrap());
        assert!(!verify("anything at all".into(), None).await.unwrap());
    }

    #[test]
    fn policy_counts_characters_not_bytes() {
        assert!(check_policy("short").is_some());
        assert!(check_policy("ééééééééééé").is_some()); // 11 characters, 22 bytes
        assert!(check_policy("éééééééééééé").is_none());
        assert!(check_policy(&"x".repeat(129)).is_some());
    }
}
