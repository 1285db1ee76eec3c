//! Random secrets and their hashes. Only hashes are stored; a database leak
//! does not hand out working tokens.

use sha2::{Digest, Sha256};

use crate::kit::error::{Error, Result};

pub const ACCESS_PREFIX: &str = "cbx_at_";
pub const REFRESH_PREFIX: &str = "cbx_rt_";
pub const SESSION_PREFIX: &str = "cbx_s_";
pub const MFA_PREFIX: &str = "cbx_mfa_";
/// API keys start so, and a bearer token that does is looked up as one.
pub const API_KEY_PREFIX: &str = "cbk_";

/// 256 random bits from the operating system, hex-encoded, with a prefix
/// that makes a leaked token recognisable to secret scanners.
pub fn generate(prefix: &str) -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| Error::internal(format!("random source: {e}")))?;
    Ok(format!("{prefix}{}", hex::encode(bytes)))
}

pub fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// The CSRF token of a browser session, derived from its secret so that it
/// needs no storage. Only a page that can read our responses learns it.
pub fn csrf_for_session(session_token: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"clinicbox-csrf\0");
    hasher.update(session_token.as_bytes());
    hex::encode(hasher.finalize())
}

/// Compares secrets by their hashes so the comparison time says nothing
/// about how much of a guess was right.
pub fn secrets_match(a: &str, b: &str) -> bool {
    Sha256::digest(a.as_bytes()) == Sha256::digest(b.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_long_and_prefixed() {
        let a = generate(ACCESS_PREFIX).unwrap();
        let b = generate(ACCESS_PREFIX).unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with(ACCESS_PREFIX));
        assert_eq!(a.len(), ACCESS_PREFIX.len() + 64);
        assert_ne!(hash(&a), hash(&b));
    }

    #[test]
    fn csrf_token_depends_on_the_session() {
        assert_ne!(csrf_for_session("one"), csrf_for_session("two"));
        assert!(secrets_match(&csrf_for_session("one"), &csrf_for_session("one")));
    }
}
