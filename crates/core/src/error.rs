//! The one error envelope every API error uses:
//! `{"error": {"code": "...", "message": "...", "fields": {"name": "..."}}}`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Problems with individual input fields, keyed by the field's path
/// (`name`, `bill_of_materials.processes[0].inputs[1].quantity`).
/// Each message is written for the person who filled in the form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct FieldErrors(pub BTreeMap<String, String>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a problem with `field`; the first message for a field wins.
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.entry(field.into()).or_insert_with(|| message.into());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    /// Moves every error of `other` under `prefix` (`prefix.field`).
    pub fn merge_under(&mut self, prefix: &str, other: FieldErrors) {
        for (field, message) in other.0 {
            self.add(format!("{prefix}.{field}"), message);
        }
    }

    /// `Ok(value)` when no error was recorded.
    pub fn into_result<T>(self, value: T) -> Result<T, FieldErrors> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

/// The body of an error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ApiError,
}

/// What went wrong: a stable machine-readable `code` (`not_found`,
/// `invalid_input`, `malformed_json`, …), a sentence for people, and the
/// fields at fault (empty when the problem is not about one field).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiError {
    pub code: String,
    pub message: String,
    #[serde(default)]
    pub fields: FieldErrors,
}
