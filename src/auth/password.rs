//! Password hashing with argon2id (m=19456 KiB, t=2, p=1: the OWASP
//! baseline).
//!
//! Every hash runs on a small pool of dedicated threads, one per core (at
//! most four), and each thread keeps one 19 MiB argon2 working buffer that
//! it reuses for every hash. Allocating a fresh buffer per hash on tokio's
//! blocking pool spread those buffers over dozens of threads whose allocator
//! arenas kept them (and fragmented): resident memory climbed near 1 GiB
//! after a burst of sign-ins. Now hashing memory is threads × 19 MiB, fixed,
//! and the cores stay busy with no more hashing than they can do.

use std::cell::RefCell;
use std::sync::mpsc;
use std::sync::{Arc, LazyLock, Mutex};

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
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

fn params() -> Params {
    Params::new(19_456, 2, 1, None).unwrap_or(Params::DEFAULT)
}

const SALT_BYTES: usize = 16;
const OUTPUT_BYTES: usize = 32;

thread_local! {
    /// This thread's argon2 working memory, reused for every hash it runs.
    static WORK_MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Runs argon2 into `out` in this thread's reused working memory.
fn run_argon2(argon2: &Argon2, blocks: usize, password: &[u8], salt: &[u8], out: &mut [u8]) -> argon2::Result<()> {
    WORK_MEMORY.with(|memory| {
        let mut memory = memory.borrow_mut();
        if memory.len() < blocks {
            *memory = vec![Block::default(); blocks];
        }
        argon2.hash_password_into_with_memory(password, salt, out, &mut memory[..blocks])
    })
}

/// Passwords people pick first, at the minimum length and beyond: refused
/// whatever else holds (NIST SP 800-63B asks for a check against such a list).
const COMMON: &[&str] = &[
    "123456789012",
    "1234567890123",
    "12345678901234",
    "123456789123",
    "098765432109",
    "111111111111",
    "000000000000",
    "123123123123",
    "password1234",
    "password12345",
    "passwordpassword",
    "password123!",
    "qwertyuiop12",
    "qwertyuiopas",
    "qwerty123456",
    "qwertyqwerty",
    "1q2w3e4r5t6y",
    "1qaz2wsx3edc",
    "abcdefghijkl",
    "abc123456789",
    "abcd12345678",
    "iloveyou1234",
    "letmein12345",
    "welcome12345",
    "changeme1234",
    "administrator",
    "admin1234567",
    "adminadmin12",
    "trustno1trustno1",
    "football1234",
    "monkey123456",
    "sunshine1234",
    "princess1234",
    "starwars1234",
    "doctor123456",
    "patient12345",
    "clinic123456",
    "hospital1234",
    "receptionist",
];

/// Whether `password` is one character, or one short run, over and over
/// (`aaaaaaaaaaaa`, `abcabcabcabc`), or a straight run of keys or digits.
fn is_repetitive(password: &str) -> bool {
    let chars: Vec<char> = password.chars().collect();
    let repeats =
        (1..=4).any(|run| chars.len().is_multiple_of(run) && chars.chunks(run).all(|chunk| chunk == &chars[..run]));
    let ascending = chars.windows(2).all(|w| w[1] as u32 == w[0] as u32 + 1);
    let descending = chars.windows(2).all(|w| w[0] as u32 == w[1] as u32 + 1);
    repeats || ascending || descending
}

/// The password policy of NIST SP 800-63B: a length (12 to 128 characters),
/// no control characters, and not a common or guessable password. `context`
/// holds words of the account (email, name) that it must not be built on.
pub fn check_policy(password: &str, context: &[&str]) -> Option<String> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Some(format!("must be at least {MIN_LENGTH} characters"));
    }
    if length > MAX_LENGTH {
        return Some(format!("must be at most {MAX_LENGTH} characters"));
    }
    if password.chars().any(char::is_control) {
        return Some("must not contain control characters".into());
    }
    if password.trim().is_empty() {
        return Some("must not be only spaces".into());
    }
    let folded: String = password.to_lowercase().chars().filter(|c| !c.is_whitespace()).collect();
    if COMMON.contains(&folded.as_str()) || is_repetitive(&folded) {
        return Some("is too common or too easy to guess; choose a longer phrase of unrelated words".into());
    }
    let built_on_context = context
        .iter()
        .flat_map(|word| {
            let word = word.to_lowercase();
            let local = word.split('@').next().unwrap_or_default().to_owned();
            [word, local]
        })
        .filter(|word| word.chars().count() >= 4)
        .any(|word| folded.contains(&word.replace(' ', "")) && folded.len() < word.len() + 8);
    if built_on_context || folded.contains("clinicbox") {
        return Some("must not be built on your name, your email or the product's name".into());
    }
    None
}

/// Hashes synchronously into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`);
/// for the pool, the CLI and the dummy hash.
pub fn hash_now(password: &str) -> Result<String> {
    let failed = |e: &dyn std::fmt::Display| Error::internal(format!("password hashing failed: {e}"));
    let params = params();
    let mut salt = [0u8; SALT_BYTES];
    getrandom::fill(&mut salt).map_err(|e| failed(&e))?;
    let mut out = [0u8; OUTPUT_BYTES];
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    run_argon2(&argon2, params.block_count(), password.as_bytes(), &salt, &mut out).map_err(|e| failed(&e))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| failed(&e))?,
        salt: Some(Salt::new(&salt).map_err(|e| failed(&e))?),
        hash: Some(Output::new(&out).map_err(|e| failed(&e))?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the PHC string `phc`, compared in constant
/// time (`Output`'s equality). An unreadable `phc` matches nothing.
fn verify_now(password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else { return false };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else { return false };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm.as_str()) else { return false };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::V0x13,
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    let Ok(params) = Params::try_from(&parsed) else { return false };
    let argon2 = Argon2::new(algorithm, version, params.clone());
    let mut out = vec![0u8; expected.len()];
    if run_argon2(&argon2, params.block_count(), password.as_bytes(), salt.as_ref(), &mut out).is_err() {
        return false;
    }
    Output::new(&out).is_ok_and(|computed| computed == expected)
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

    /// The crate's own hasher and verifier, allocating per call: what ours
    /// must agree with.
    fn reference() -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params())
    }

    #[test]
    fn hashes_agree_with_the_argon2_crate_both_ways() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let ours = hash_now("correct horse battery").unwrap();
        assert!(reference().verify_password(b"correct horse battery", ours.as_str()).is_ok());
        assert!(reference().verify_password(b"correct horse battery?", ours.as_str()).is_err());
        let theirs = reference().hash_password(b"correct horse battery").unwrap().to_string();
        assert!(verify_now("correct horse battery", &theirs));
        assert!(!verify_now("correct horse battery?", &theirs));
        // A hash of other parameters (older or stronger) still verifies.
        let stronger = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(32_768, 3, 1, None).unwrap());
        let strong = stronger.hash_password(b"correct horse battery").unwrap().to_string();
        assert!(verify_now("correct horse battery", &strong));
        assert!(!verify_now("correct horse battery", "not a phc string"));
    }

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
        assert!(check_policy("short", &[]).is_some());
        assert!(check_policy("éèéèéèéèéèé", &[]).is_some()); // 11 characters, 22 bytes
        assert!(check_policy("éèêëéèêëéèêz", &[]).is_none());
        assert!(check_policy(&"xy".repeat(65), &[]).is_some());
    }

    #[test]
    fn common_guessable_and_personal_passwords_are_refused() {
        for weak in
            ["123456789012", "Password1234", "            ", "\0\0\0\0\0\0\0\0\0\0\0\0", "aaaaaaaaaaaa", "abcabcabcabc"]
        {
            assert!(check_policy(weak, &[]).is_some(), "{weak:?}");
        }
        assert!(check_policy("abcdefghijklm", &[]).is_some(), "a straight run");
        assert!(check_policy("tab\there and more", &[]).unwrap().contains("control"));
        let context = ["maria.lopez@clinic.test", "Maria Lopez"];
        assert!(check_policy("maria.lopez2026", &context).is_some(), "the email's local part");
        assert!(check_policy("MariaLopez!!12", &context).is_some(), "the name");
        assert!(check_policy("my clinicbox pass", &[]).is_some());
        assert!(check_policy("violet kettle marsh lantern", &context).is_none());
        assert!(check_policy("correct horse battery staple!", &context).is_none());
    }
}
