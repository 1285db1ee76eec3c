//! Password hashing with argon2id (m=19456 KiB, t=2, p=1: the OWASP
//! baseline). Hashing runs on the blocking pool behind a semaphore so a burst
//! of sign-ins cannot take all memory or starve the async runtime.

use std::sync::LazyLock;

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::kit::error::{Error, Result};

pub const MIN_LENGTH: usize = 12;
pub const MAX_LENGTH: usize = 128;

static HASHING_PERMITS: Semaphore = Semaphore::const_new(2);

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
    let _permit = HASHING_PERMITS.acquire().await.map_err(Error::internal)?;
    tokio::task::spawn_blocking(move || hash_now(&password)).await.map_err(Error::internal)?
}

/// Verifies against `phc`, or against the dummy hash when there is none.
pub async fn verify(password: String, phc: Option<String>) -> Result<bool> {
    let _permit = HASHING_PERMITS.acquire().await.map_err(Error::internal)?;
    tokio::task::spawn_blocking(move || match phc {
        Some(phc) => verify_now(&password, &phc),
        None => {
            if let Some(dummy) = DUMMY_HASH.as_deref() {
                verify_now(&password, dummy);
            }
            false
        }
    })
    .await
    .map_err(Error::internal)
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

    #[test]
    fn policy_counts_characters_not_bytes() {
        assert!(check_policy("short").is_some());
        assert!(check_policy("ééééééééééé").is_some()); // 11 characters, 22 bytes
        assert!(check_policy("éééééééééééé").is_none());
        assert!(check_policy(&"x".repeat(129)).is_some());
    }
}
