//! Accounts: signing up and in, who am I, and personal API tokens.
//!
//! Every account is a person agent; its handle is that agent's id.

use serde::{Deserialize, Serialize};

use crate::validate::text;
use crate::{AgentId, FieldErrors, Place, Timestamp};

pub const MIN_PASSWORD_CHARS: usize = 8;
/// Long passphrases are welcome; this only bounds the hashing work.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// `POST /api/auth/register`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegisterInput {
    /// The handle to sign in with and to be known by (`ana-souza`).
    pub handle: String,
    pub email: String,
    pub password: String,
    /// The name shown to others; the handle when empty.
    #[serde(default)]
    pub name: String,
}

/// `POST /api/auth/login`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginInput {
    /// The handle or the email address.
    pub login: String,
    pub password: String,
}

/// The signed-in person, from `GET /api/me`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    pub handle: AgentId,
    pub name: String,
    pub email: String,
    pub place: Option<Place>,
}

/// `POST /api/me/tokens`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenInput {
    /// What the token is for ("inventory sync").
    pub name: String,
}

/// A personal API token as its owner sees it later (never the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenSummary {
    pub id: String,
    pub name: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
}

/// A token just created: the only time its secret is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewToken {
    #[serde(flatten)]
    pub summary: TokenSummary,
    /// Send as `Authorization: Bearer <token>`. Shown once; store it safely.
    pub token: String,
}

/// An account for an agent of an import bundle (the demo accounts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountInput {
    /// The person agent (in the bundle or already stored) the account signs in as.
    pub agent: AgentId,
    pub email: String,
    /// Hashed on import; never stored as given.
    pub password: String,
}

impl AccountInput {
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        check_email(&mut errors, "email", &self.email);
        check_password_length(&mut errors, "password", &self.password);
        errors.into_result(())
    }
}

/// Checks an email address's shape; delivery is the only real test.
pub fn check_email(errors: &mut FieldErrors, field: &str, email: &str) {
    let email = email.trim();
    let ok = email.len() <= 254
        && !email.contains(char::is_whitespace)
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if !ok {
        errors.add(field, "Enter an email address like name@example.org.");
    }
}

/// Checks a password's length. (The server also refuses common passwords.)
pub fn check_password_length(errors: &mut FieldErrors, field: &str, password: &str) {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        errors.add(
            field,
            format!(
                "Use at least {MIN_PASSWORD_CHARS} characters; a few words make a good passphrase."
            ),
        );
    } else if chars > MAX_PASSWORD_CHARS {
        errors.add(
            field,
            format!("Use at most {MAX_PASSWORD_CHARS} characters."),
        );
    }
}

impl RegisterInput {
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        match AgentId::parse(self.handle.trim()) {
            Ok(_) if self.handle.trim().len() < 3 || self.handle.trim().len() > 32 => {
                errors.add("handle", "A handle is 3 to 32 characters long.")
            }
            Ok(_) => {}
            Err(_) => errors.add(
                "handle",
                "A handle uses lowercase letters, digits and single hyphens (like ana-souza).",
            ),
        }
        check_email(&mut errors, "email", &self.email);
        check_password_length(&mut errors, "password", &self.password);
        if !self.name.trim().is_empty() {
            text(&mut errors, "name", &self.name, "The name", 120);
        }
        errors.into_result(())
    }

    /// The name to show: the given one, or the handle.
    pub fn display_name(&self) -> &str {
        match self.name.trim() {
            "" => self.handle.trim(),
            name => name,
        }
    }
}

impl TokenInput {
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        text(&mut errors, "name", &self.name, "The token's name", 80);
        errors.into_result(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn register(handle: &str, email: &str, password: &str) -> RegisterInput {
        RegisterInput {
            handle: handle.into(),
            email: email.into(),
            password: password.into(),
            name: String::new(),
        }
    }

    #[test]
    fn a_good_registration_is_valid_and_named_by_its_handle() {
        let input = register("ana-souza", "ana@example.org", "mend the commons together");
        assert_eq!(input.validate(), Ok(()));
        assert_eq!(input.display_name(), "ana-souza");
    }

    #[test]
    fn each_bad_field_is_named() {
        let errors = register("A", "not-an-email", "short")
            .validate()
            .unwrap_err();
        assert!(errors.get("handle").is_some());
        assert!(errors.get("email").is_some());
        assert!(errors.get("password").unwrap().contains("at least 8"));
        let errors = register("ab", "a@b.c", &"x".repeat(257))
            .validate()
            .unwrap_err();
        assert!(errors.get("handle").unwrap().contains("3 to 32"));
        assert!(errors.get("password").unwrap().contains("at most"));
    }

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        for bad in [
            "@example.org",
            "ana@",
            "ana@localhost",
            "ana @example.org",
            "ana@.org",
        ] {
            let mut errors = FieldErrors::new();
            check_email(&mut errors, "email", bad);
            assert!(!errors.is_empty(), "{bad} was accepted");
        }
    }

    #[test]
    fn long_passphrases_are_welcome() {
        let phrase = "correct horse battery staple ".repeat(8);
        assert_eq!(
            register("bo", "b@o.io", &phrase)
                .validate()
                .unwrap_err()
                .get("password"),
            None
        );
    }
}
