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

/// Checks that a list has at most `max` items, naming the cap and the count
/// ("At most 40 process steps; this has 41."); true when within the cap.
/// Every list a request body carries is capped so the work per request is
/// bounded.
pub(crate) fn at_most(
    errors: &mut FieldErrors,
    field: &str,
    len: usize,
    max: usize,
    items: &str,
) -> bool {
    if len > max {
        errors.add(field, format!("At most {max} {items}; this has {len}."));
        return false;
    }
    true
}
