//! Identity's rules, free of I/O: what a valid school slug, email, name and password are.
//!
//! Each type can only be built through `parse`, so a value that reached the store is valid.

use campus_platform::{error::FieldError, openapi::fields};
use utoipa::openapi::{KnownFormat, Object, SchemaFormat};

/// A school's short name in URLs and sign-in forms: 3–40 of `a-z`, `0-9` and `-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slug(String);

impl Slug {
    /// What the API document says a slug is (upper case is taken as lower case).
    pub fn schema() -> Object {
        fields::pattern("^[A-Za-z0-9][A-Za-z0-9-]{1,38}[A-Za-z0-9]$", 40)
    }

    pub fn parse(field: &str, text: &str) -> Result<Self, FieldError> {
        let text = text.trim().to_ascii_lowercase();
        let valid = (3..=40).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !text.starts_with('-')
            && !text.ends_with('-');
        if valid {
            Ok(Self(text))
        } else {
            Err(FieldError::new(
                field,
                "invalid_slug",
                "3 to 40 letters, digits or dashes",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An email address, kept lower-cased so the same person cannot sign up twice by case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub const MAX_LENGTH: usize = 254;

    /// The addresses the API document promises to take: plain ASCII addresses with a dotted
    /// domain (the check below takes some more).
    pub fn schema() -> Object {
        let label = "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
        let local = "[A-Za-z0-9_%+-]{1,30}(\\.[A-Za-z0-9_%+-]{1,30}){0,3}";
        let pattern = format!("^{local}@{label}(\\.{label}){{1,4}}$");
        let mut schema = fields::pattern(&pattern, Self::MAX_LENGTH);
        schema.format = Some(SchemaFormat::KnownFormat(KnownFormat::Email));
        schema
    }

    pub fn parse(field: &str, text: &str) -> Result<Self, FieldError> {
        let text = text.trim().to_lowercase();
        if text.len() > Self::MAX_LENGTH {
            return Err(FieldError::new(field, "too_long", "at most 254 characters"));
        }
        if email_address::EmailAddress::is_valid(&text) && text.contains('.') {
            Ok(Self(text))
        } else {
            Err(FieldError::new(
                field,
                "invalid_email",
                "not an email address",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A name shown to others: 1–100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub const MAX_LENGTH: usize = 100;

    pub fn schema() -> Object {
        fields::required_line::<{ Self::MAX_LENGTH }>()
    }

    pub fn parse(field: &str, text: &str) -> Result<Self, FieldError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(FieldError::new(field, "required", "must not be empty"));
        }
        if text.chars().count() > Self::MAX_LENGTH {
            return Err(FieldError::new(field, "too_long", "at most 100 characters"));
        }
        if text.chars().any(char::is_control) {
            return Err(FieldError::new(
                field,
                "invalid",
                "must not contain control characters",
            ));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password that passed the policy; never printed.
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(********)")
    }
}

impl Password {
    pub const MIN_LENGTH: usize = 10;
    pub const MAX_LENGTH: usize = 256;

    /// Its length; how guessable it may be no schema can say (the check below uses zxcvbn).
    pub fn schema() -> Object {
        let mut schema = fields::pattern(".*", Self::MAX_LENGTH);
        schema.pattern = None;
        schema.min_length = Some(Self::MIN_LENGTH);
        schema.format = Some(SchemaFormat::KnownFormat(KnownFormat::Password));
        schema.description = Some(
            "10 to 256 characters, and not guessable: a common or breached password, a \
             keyboard pattern or one made of the person's own details is refused (422 \
             `too_weak`)"
                .to_owned(),
        );
        schema
    }

    /// At least 10 and at most 256 characters, and not guessable: zxcvbn's estimate, which
    /// knows common and breached passwords, names, keyboard patterns and the user's own
    /// details, must reach "safely unguessable" (score 3 of 4).
    pub fn parse(field: &str, text: &str, user_inputs: &[&str]) -> Result<Self, FieldError> {
        let length = text.chars().count();
        if length < Self::MIN_LENGTH {
            return Err(FieldError::new(
                field,
                "too_short",
                format!("at least {} characters", Self::MIN_LENGTH),
            ));
        }
        if length > Self::MAX_LENGTH {
            return Err(FieldError::new(
                field,
                "too_long",
                format!("at most {} characters", Self::MAX_LENGTH),
            ));
        }
        // The user's own details (name, email, school) are the first thing an attacker tries.
        let lowered = text.to_lowercase();
        let personal = user_inputs
            .iter()
            .flat_map(|input| input.split(|c: char| !c.is_alphanumeric()))
            .filter(|word| word.chars().count() >= 4)
            .any(|word| lowered.contains(&word.to_lowercase()));
        if personal {
            return Err(FieldError::new(
                field,
                "too_weak",
                "must not contain your name, email or school",
            ));
        }
        let estimate = zxcvbn::zxcvbn(text, user_inputs);
        if (estimate.score() as u8) < 3 {
            return Err(FieldError::new(
                field,
                "too_weak",
                "too easy to guess; use a longer phrase of unrelated words",
            ));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// How people join a school.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Registration {
    /// Anyone may register.
    Open,
    /// Registration needs the school's join code.
    Code,
    /// Only admin-created or invited users.
    Invite,
}

campus_contracts::text_enum!(Registration, "registration mode", {
    Open => "open",
    Code => "code",
    Invite => "invite",
});

/// A picture's address as it is stored: an https URL with a host, or a path on this server,
/// either one normalized by the URL standard, never the text as typed. Browsers drop tabs and
/// line breaks from URLs and read `\` as `/`, so `/\t/evil.example` or `/\\evil.example` would
/// point at another server: whitespace and control characters are refused, and a path must
/// still name this server once resolved.
pub fn avatar_link(field: &str, text: &str) -> Result<String, FieldError> {
    let refused = || FieldError::new(field, "invalid_url", "use an https:// address");
    let text = text.trim();
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(refused());
    }
    if text.starts_with('/') {
        const HERE: &str = "https://campus.invalid/";
        let here = url::Url::parse(HERE).map_err(|_| refused())?;
        let resolved = here.join(text).map_err(|_| refused())?;
        if resolved.origin() != here.origin() {
            return Err(refused());
        }
        return Ok(resolved.as_str()[HERE.len() - 1..].to_owned());
    }
    match url::Url::parse(text) {
        Ok(url) if url.scheme() == "https" && url.host_str().is_some() => Ok(url.to_string()),
        _ => Err(refused()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_short_lowercase_words() {
        assert_eq!(
            Slug::parse("slug", " Hill-Valley ").unwrap().as_str(),
            "hill-valley"
        );
        for bad in ["ab", "-hill", "hill valley", "hïll", &"a".repeat(41)] {
            assert!(Slug::parse("slug", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails_are_lowercased_and_checked() {
        assert_eq!(
            Email::parse("email", "Ada@School.Example")
                .unwrap()
                .as_str(),
            "ada@school.example"
        );
        for bad in ["ada", "ada@", "@school.example", "ada@localhost"] {
            assert!(Email::parse("email", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn common_and_personal_passwords_are_refused() {
        for weak in ["password123", "qwertyuiop", "1234567890", "ada.lovelace1"] {
            let error = Password::parse("password", weak, &["ada", "lovelace"]).unwrap_err();
            assert_eq!(error.code, "too_weak", "{weak}");
        }
        assert_eq!(
            Password::parse("password", "short", &[]).unwrap_err().code,
            "too_short"
        );
        assert!(Password::parse("password", "correct horse battery staple", &[]).is_ok());
    }

    #[test]
    fn a_password_never_prints() {
        let password = Password::parse("password", "correct horse battery staple", &[]).unwrap();
        assert!(!format!("{password:?}").contains("horse"));
    }

    #[test]
    fn avatar_links_are_stored_normalized_and_stay_on_https_or_this_server() {
        let ok = |text| avatar_link("a", text).unwrap();
        assert_eq!(
            ok(" HTTPS://Pics.Example/a b".trim_end_matches(" b")),
            "https://pics.example/a"
        );
        assert_eq!(ok("/uploads/../avatars/me.png"), "/avatars/me.png");
        assert_eq!(ok("/avatars/me.png?v=2"), "/avatars/me.png?v=2");
        for bad in [
            "/\t/evil.example",
            "/\t/evil.example/x.png",
            "//evil.example/x.png",
            "/\\evil.example/x.png",
            "\\/evil.example",
            "http://pics.example/a.png",
            "javascript:alert(1)",
            "data:image/png;base64,AAAA",
            "/a\nb",
        ] {
            assert!(avatar_link("a", bad).is_err(), "{bad:?}");
        }
    }
}
