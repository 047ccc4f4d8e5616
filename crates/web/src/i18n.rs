//! Every word a page shows, from Project Fluent catalogues (`locales/<language>/main.ftl`),
//! in the language of the person's profile or else the first one their browser asks for that
//! Campus Hub speaks. English is the fallback for a missing message.

use std::{borrow::Cow, collections::HashMap, sync::LazyLock};

use axum::http::HeaderValue;
use fluent_templates::{fluent_bundle::FluentValue, LanguageIdentifier, Loader};

fluent_templates::static_loader! {
    static CATALOGUES = {
        locales: "./locales",
        fallback_language: "en",
        // Isolation marks around arguments show up as stray characters in form values and
        // titles; the arguments here are names and numbers in the page's own direction.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The languages every message exists in, the first being the fallback.
pub(crate) const LANGUAGES: [&str; 2] = ["en", "es"];

static IDENTIFIERS: LazyLock<Vec<LanguageIdentifier>> = LazyLock::new(|| {
    LANGUAGES
        .iter()
        .filter_map(|code| code.parse().ok())
        .collect()
});

/// A page's translator: one language, chosen per request.
#[derive(Clone, Copy)]
pub(crate) struct Tr {
    language: usize,
}

impl Tr {
    /// The language for a person whose profile says `profile` (a BCP 47 tag such as
    /// `es-MX`), whose browser sent `accept_language`.
    pub(crate) fn negotiate(profile: Option<&str>, accept_language: Option<&HeaderValue>) -> Self {
        let from_profile = profile.and_then(Self::known);
        let from_browser = || {
            let header = accept_language.and_then(|v| v.to_str().ok())?;
            let mut asked: Vec<(f32, &str)> = header
                .split(',')
                .filter_map(|item| {
                    let mut parts = item.trim().split(';');
                    let tag = parts.next()?.trim();
                    let weight = parts
                        .find_map(|p| p.trim().strip_prefix("q="))
                        .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
                    (weight > 0.0).then_some((weight, tag))
                })
                .collect();
            // Stable: equal weights keep the browser's order.
            asked.sort_by(|a, b| b.0.total_cmp(&a.0));
            asked.into_iter().find_map(|(_, tag)| Self::known(tag))
        };
        from_profile
            .or_else(from_browser)
            .unwrap_or(Self { language: 0 })
    }

    fn known(tag: &str) -> Option<Self> {
        let primary = tag.split(['-', '_']).next()?.to_ascii_lowercase();
        LANGUAGES
            .iter()
            .position(|code| *code == primary)
            .map(|language| Self { language })
    }

    /// The page's language code, for `<html lang>`.
    pub(crate) fn lang(&self) -> &'static str {
        LANGUAGES[self.language]
    }

    fn id(&self) -> &'static LanguageIdentifier {
        &IDENTIFIERS[self.language]
    }

    /// The message `key`.
    pub(crate) fn t(&self, key: &str) -> String {
        self.lookup(key, None)
    }

    /// The message `key`, if the catalogue has it.
    pub(crate) fn maybe(&self, key: &str) -> Option<String> {
        CATALOGUES.try_lookup(self.id(), key)
    }

    /// The message `key` with the number `value` as `$name` (plurals follow it).
    pub(crate) fn n(&self, key: &str, name: &'static str, value: i64) -> String {
        let args = HashMap::from([(Cow::Borrowed(name), FluentValue::from(value))]);
        self.lookup(key, Some(&args))
    }

    /// The message `key` with `value` as `$name`.
    pub(crate) fn s(&self, key: &str, name: &'static str, value: &str) -> String {
        let args = HashMap::from([(Cow::Borrowed(name), FluentValue::from(value.to_owned()))]);
        self.lookup(key, Some(&args))
    }

    /// The message `key` with several arguments.
    pub(crate) fn with(&self, key: &str, args: &[(&'static str, FluentValue<'static>)]) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue<'static>> = args
            .iter()
            .map(|(name, value)| (Cow::Borrowed(*name), value.clone()))
            .collect();
        self.lookup(key, Some(&args))
    }

    fn lookup(
        &self,
        key: &str,
        args: Option<&HashMap<Cow<'static, str>, FluentValue<'static>>>,
    ) -> String {
        match args {
            None => CATALOGUES.try_lookup(self.id(), key),
            Some(args) => CATALOGUES.try_lookup_with_args(self.id(), key, args),
        }
        .unwrap_or_else(|| {
            tracing::warn!(
                key,
                language = self.lang(),
                "a page asked for a missing message"
            );
            key.to_owned()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_browser(header: &str) -> &'static str {
        Tr::negotiate(None, Some(&HeaderValue::from_str(header).unwrap())).lang()
    }

    #[test]
    fn the_profile_wins_then_the_browsers_preference_then_english() {
        assert_eq!(Tr::negotiate(Some("es-MX"), None).lang(), "es");
        assert_eq!(
            Tr::negotiate(Some("en"), Some(&HeaderValue::from_static("es"))).lang(),
            "en"
        );
        assert_eq!(from_browser("fr-FR, es;q=0.8, en;q=0.5"), "es");
        assert_eq!(from_browser("en;q=0.2, es-419;q=0.9"), "es");
        assert_eq!(from_browser("de, fr"), "en");
        assert_eq!(from_browser("es;q=0"), "en");
        assert_eq!(Tr::negotiate(Some("klingon"), None).lang(), "en");
    }

    /// Every message in English exists in every other language, with the same arguments, so
    /// no page falls back to English halfway through a sentence.
    #[test]
    fn every_language_has_every_message() {
        let catalogue = |language: &str| -> Vec<(String, Vec<String>)> {
            let path = format!("{}/locales/{language}/main.ftl", env!("CARGO_MANIFEST_DIR"));
            let text = std::fs::read_to_string(path).unwrap();
            let mut messages = Vec::new();
            for line in text.lines() {
                let starts_message = line.chars().next().is_some_and(|c| c.is_ascii_lowercase());
                if starts_message {
                    if let Some((key, _)) = line.split_once(" =") {
                        messages.push((key.to_owned(), Vec::new()));
                    }
                }
                if let Some((_, arguments)) = messages.last_mut() {
                    for part in line.split("{ $").skip(1) {
                        let name: String = part
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect();
                        if !arguments.contains(&name) {
                            arguments.push(name);
                        }
                    }
                }
            }
            messages.iter_mut().for_each(|(_, a)| a.sort());
            messages.sort();
            messages
        };
        let english = catalogue("en");
        assert!(english.len() > 50, "the English catalogue is read");
        for language in &LANGUAGES[1..] {
            assert_eq!(catalogue(language), english, "{language} matches English");
        }
    }
}
