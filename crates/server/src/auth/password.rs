//! Password hashing (argon2id, m = 19 MiB, t = 2, p = 1: OWASP's first
//! choice) and the policy: 8 to 256 characters, no composition rules, and
//! nothing a guesser tries early (zxcvbn's common-password lists and patterns).

use std::sync::LazyLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
pub fn hash(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| anyhow::anyhow!("no randomness for a salt: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    Ok(argon2()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))?
        .to_string())
}

/// Whether `password` matches the stored hash.
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| {
            argon2()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash to verify against when no account matches, so that an unknown
/// handle takes as long to refuse as a wrong password.
pub static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash("no account has this password").unwrap_or_default());

/// Refuses passwords that guessers try early, saying why.
pub fn check_guessability(password: &str, handle: &str, email: &str) -> Result<(), String> {
    let entropy = zxcvbn::zxcvbn(password, &[handle, email, "stigmergy"]);
    if u8::from(entropy.score()) >= 2 {
        return Ok(());
    }
    let why = entropy
        .feedback()
        .and_then(|f| f.warning())
        .map(|w| format!("{w} "))
        .unwrap_or_default();
    Err(format!(
        "{why}This password is among the first a guesser would try; a few unrelated words make a strong one."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_with_the_chosen_cost_and_verify() {
        let stored = hash("a long walk to the fab lab").unwrap();
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(verify("a long walk to the fab lab", &stored));
        assert!(!verify("a long walk to the fab lab!", &stored));
        assert!(!verify("anything", "not a hash"));
        assert_ne!(
            stored,
            hash("a long walk to the fab lab").unwrap(),
            "salted"
        );
    }

    #[test]
    fn the_most_common_passwords_are_refused_with_a_reason() {
        for common in [
            "password",
            "12345678",
            "qwertyuiop",
            "iloveyou1",
            "password123",
            "ana-souza1",
        ] {
            let refused = check_guessability(common, "ana-souza", "ana@example.org");
            assert!(refused.is_err(), "{common} was accepted");
        }
        assert!(check_guessability("copper kettle on the solar dryer", "ana", "a@b.org").is_ok());
    }
}
