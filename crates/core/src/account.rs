//! Accounts: signing up and in, who am I, and personal API tokens.
//!
//! Every account is a person agent; its handle is that agent's id.

use serde::{Deserialize, Serialize};

use crate::validate::text;
use crate::{AgentId, FieldErrors, Place, Timestamp};

/// The header the server asks of writes signed in with the session cookie:
/// a cross-site form cannot set it, so its presence shows the request came
/// from the portal's own pages. Software signed in with a token needs none.
pub const CSRF_HEADER: &str = "x-stigmergy-csrf";

pub const MIN_PASSWORD_CHARS: usize = 8;
/// Long passphrases are welcome; this only bounds the hashing work.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// `POST /api/auth/register`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegisterInput {
    /// The handle to sign in with and to be known by (`ana-souza`).
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 3, max_length = 32, pattern = r"^[a-z0-9]+(-[a-z0-9]+)*$")
    )]
    pub handle: String,
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 254, pattern = r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    )]
    pub email: String,
    /// 8 to 256 characters, not a common password.
    #[cfg_attr(feature = "openapi", schema(min_length = 8, max_length = 256))]
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

/// The longest an API token may live: a year, leap day included.
pub const MAX_TOKEN_DAYS: i64 = 366;

/// `POST /api/me/tokens`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenInput {
    /// What the token is for ("inventory sync").
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 80))]
    pub name: String,
    /// When the token stops working: an RFC 3339 date and time
    /// (`2027-01-31T18:00:00Z`), or a date alone (`2027-01-31`, meaning
    /// 00:00 UTC that day). In the future, at most 366 days ahead; without
    /// it the token works until revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

/// A personal API token as its owner sees it later (never the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenSummary {
    pub id: String,
    pub name: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    /// When it stops working; `None` when it works until revoked.
    #[serde(default)]
    pub expires_at: Option<Timestamp>,
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

/// `PUT /api/me/password`: a new password, proven by the current one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasswordChange {
    pub current_password: String,
    /// Held to the same rules as at registration.
    pub new_password: String,
}

impl PasswordChange {
    /// The checks the browser can make too. (The server also refuses
    /// common passwords, and checks the current one.)
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        if self.current_password.is_empty() {
            errors.add("current_password", "Enter your current password.");
        }
        check_password_length(&mut errors, "new_password", &self.new_password);
        if self.new_password == self.current_password {
            errors.add(
                "new_password",
                "Choose a new password, not the one you have.",
            );
        }
        errors.into_result(())
    }
}

/// One of the signed-in person's sessions, from `GET /api/me/sessions`.
/// Never the session's secret nor its hash: `id` is derived from the hash
/// one way, and serves only to end the session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionInfo {
    pub id: String,
    /// When it was signed in.
    pub created_at: Timestamp,
    /// Its last request (written down at most once a minute).
    pub last_seen_at: Timestamp,
    /// When it ends at the latest (12 hours after sign-in).
    pub expires_at: Timestamp,
    /// Whether this is the session asking.
    pub current: bool,
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

#[cfg(feature = "chrono")]
impl TokenInput {
    /// Every check, with the expiry as a point in time (`None`: never).
    pub fn check(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<chrono::DateTime<chrono::Utc>>, FieldErrors> {
        let mut errors = self.validate().err().unwrap_or_default();
        let expiry = match self.expires_at.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => match token_expiry(text, now) {
                Ok(at) => Some(at),
                Err(why) => {
                    errors.add("expires_at", why.to_string());
                    None
                }
            },
        };
        errors.into_result(expiry)
    }
}

/// Why an expiry was refused; `Display` is the sentence under the field.
#[cfg(feature = "chrono")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BadExpiry {
    /// Neither a date nor an RFC 3339 date and time.
    Unreadable,
    /// Not after now.
    Past,
    /// More than [`MAX_TOKEN_DAYS`] ahead.
    TooFar,
}

#[cfg(feature = "chrono")]
impl std::fmt::Display for BadExpiry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BadExpiry::Unreadable => f.write_str(
                "Give the expiry as a date (2027-01-31) or a date and time (2027-01-31T18:00:00Z).",
            ),
            BadExpiry::Past => f.write_str("The expiry must be in the future."),
            BadExpiry::TooFar => write!(
                f,
                "A token lives at most a year: choose an expiry within {MAX_TOKEN_DAYS} days."
            ),
        }
    }
}

/// A token's expiry: an RFC 3339 date-time, or a date (00:00 UTC that day),
/// after `now` and at most [`MAX_TOKEN_DAYS`] ahead.
#[cfg(feature = "chrono")]
fn token_expiry(
    text: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<chrono::DateTime<chrono::Utc>, BadExpiry> {
    let at = chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&chrono::Utc))
        .or_else(|_| {
            chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(|day| day.and_time(chrono::NaiveTime::MIN).and_utc())
        })
        .map_err(|_| BadExpiry::Unreadable)?;
    if at <= now {
        Err(BadExpiry::Past)
    } else if at > now + chrono::Duration::days(MAX_TOKEN_DAYS) {
        Err(BadExpiry::TooFar)
    } else {
        Ok(at)
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
    fn a_password_change_needs_the_current_one_and_a_different_new_one() {
        let change = |current: &str, new: &str| PasswordChange {
            current_password: current.into(),
            new_password: new.into(),
        };
        assert_eq!(
            change("old one here", "a brand new phrase").validate(),
            Ok(())
        );
        let errors = change("", "short").validate().unwrap_err();
        assert!(errors.get("current_password").is_some());
        assert!(errors.get("new_password").unwrap().contains("at least 8"));
        let same = change("the same phrase", "the same phrase").validate();
        assert!(
            same.unwrap_err()
                .get("new_password")
                .unwrap()
                .contains("not the one")
        );
    }

    #[cfg(feature = "chrono")]
    #[test]
    fn a_token_expiry_is_a_date_or_a_time_within_a_year() {
        use chrono::TimeZone;
        let now = chrono::Utc.with_ymd_and_hms(2026, 12, 2, 12, 0, 0).unwrap();
        let token = |expiry: Option<&str>| TokenInput {
            name: "sync".into(),
            expires_at: expiry.map(Into::into),
        };
        assert_eq!(token(None).check(now), Ok(None));
        assert_eq!(token(Some(" ")).check(now), Ok(None));
        assert_eq!(
            token(Some("2027-01-31")).check(now),
            Ok(Some(
                chrono::Utc.with_ymd_and_hms(2027, 1, 31, 0, 0, 0).unwrap()
            ))
        );
        assert_eq!(
            token(Some("2026-12-02T14:30:00+02:00")).check(now),
            Ok(Some(
                chrono::Utc
                    .with_ymd_and_hms(2026, 12, 2, 12, 30, 0)
                    .unwrap()
            ))
        );
        assert!(token(Some("2027-12-03")).check(now).is_ok(), "366 days");
        for (bad, why) in [
            ("2026-12-02", "future"),
            ("2026-12-01T00:00:00Z", "future"),
            ("2027-12-04", "at most a year"),
            ("next tuesday", "a date"),
            ("2027-02-30", "a date"),
        ] {
            let errors = token(Some(bad)).check(now).unwrap_err();
            let message = errors.get("expires_at").unwrap_or_default();
            assert!(message.contains(why), "{bad}: {message}");
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
