//! Small checks shared by the input types.

use crate::FieldErrors;

/// Checks that a trimmed text is present and at most `max` characters long.
pub(crate) fn text(errors: &mut FieldErrors, field: &str, value: &str, label: &str, max: usize) {
    let len = value.trim().chars().count();
    if len == 0 {
        errors.add(field, format!("{label} is required."));
    } else if len > max {
        errors.add(
            field,
            format!("{label} must be at most {max} characters (it has {len})."),
        );
    }
}

/// Checks an optional text's length.
pub(crate) fn optional_text(
    errors: &mut FieldErrors,
    field: &str,
    value: &str,
    label: &str,
    max: usize,
) {
    let len = value.chars().count();
    if len > max {
        errors.add(
            field,
            format!("{label} must be at most {max} characters (it has {len})."),
        );
    }
}
