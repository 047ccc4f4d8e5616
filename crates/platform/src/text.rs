//! What people write in a field, checked the one way every context checks it: trimmed, not
//! longer than its limit, and free of control characters (which no form produces and which
//! would hide text from moderators and readers).

use crate::error::FieldError;

/// Trimmed text of 1..=`max` characters.
pub fn required_text(field: &str, text: &str, max: usize) -> Result<String, FieldError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(FieldError::new(field, "required", "must not be empty"));
    }
    bounded_text(field, text, max)
}

/// Trimmed text of at most `max` characters (may be empty).
pub fn bounded_text(field: &str, text: &str, max: usize) -> Result<String, FieldError> {
    let text = text.trim();
    if text.chars().count() > max {
        return Err(FieldError::new(
            field,
            "too_long",
            format!("at most {max} characters"),
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err(FieldError::new(
            field,
            "invalid_characters",
            "control characters are not allowed",
        ));
    }
    Ok(text.to_owned())
}
