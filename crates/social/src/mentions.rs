//! Mentions: `@name` in a post or comment names a person of the school, who is told (through
//! notifications, which follows the events) if they may see what mentions them. A handle is a
//! person's name without its spaces (`@AdaLovelace`) or, when nobody else of the school shares
//! it, their first name (`@Ada`), in any case.

use std::collections::HashMap;

use campus_contracts::{identity::Role, social::PostPlace};
use campus_platform::{people::Person, Result};

use crate::{reading, store, store::posts::PostRow, Social};

/// Handles written in `text`, lower case, each once.
pub(crate) fn handles(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for (at, _) in text.match_indices('@') {
        // An address (`kim@school.org`) is not a mention.
        let before = text[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric()) {
            continue;
        }
        let handle: String = text[at + 1..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'))
            .collect::<String>()
            .trim_end_matches(['.', '-', '_'])
            .to_lowercase();
        if !handle.is_empty() && !found.contains(&handle) {
            found.push(handle);
        }
    }
    found
}

/// The people of `people` that `handles` name.
pub(crate) fn named<'a>(handles: &[String], people: &'a [Person]) -> Vec<&'a Person> {
    let mut by_first: HashMap<String, Vec<&Person>> = HashMap::new();
    for person in people {
        if let Some(first) = person.display_name.split_whitespace().next() {
            by_first
                .entry(first.to_lowercase())
                .or_default()
                .push(person);
        }
    }
    let mut named: Vec<&Person> = Vec::new();
    for handle in handles {
        let whole = people.iter().find(|person| {
            person
                .display_name
                .split_whitespace()
                .collect::<String>()
                .to_lowercase()
                == *handle
        });
        let first = by_first
            .get(handle)
            .filter(|same| same.len() == 1)
            .and_then(|same| same.first().copied());
        if let Some(person) = whole.or(first) {
            if !named.iter().any(|known| known.user_id == person.user_id) {
                named.push(person);
            }
        }
    }
    named
}

/// Where something is written, for deciding who may see it.
pub(crate) struct Place<'a> {
    pub place: PostPlace,
    pub course_id: Option<&'a str>,
    pub profile_id: Option<&'a str>,
}

impl<'a> Place<'a> {
    /// Where `post` is.
    pub(crate) fn of(post: &'a PostRow) -> Self {
        Self {
            place: post.place,
            course_id: post.course_id.as_deref(),
            profile_id: post.profile_id.as_deref(),
        }
    }
}

/// Who `text`, written by `author_id` in `place`, mentions among those who may see it there.
pub(crate) async fn mentioned(
    social: &Social,
    school_id: &str,
    author_id: &str,
    place: &Place<'_>,
    text: &str,
) -> Result<Vec<String>> {
    let handles = handles(text);
    if handles.is_empty() {
        return Ok(Vec::new());
    }
    let people = social.people.of_school(school_id).await?;
    let rules = store::rules::rules(&social.db, &social.caches, school_id).await?;
    let mut told = Vec::new();
    for person in named(&handles, &people) {
        if person.user_id == author_id || !person.is_active() {
            continue;
        }
        let sees = match place.place {
            PostPlace::School => true,
            PostPlace::Course => {
                person.role == Role::SchoolAdmin
                    || match place.course_id {
                        Some(course_id) => social
                            .rosters
                            .place(course_id, &person.user_id)
                            .await?
                            .is_some(),
                        None => false,
                    }
            }
            PostPlace::Profile => {
                let owner = match place.profile_id {
                    Some(profile_id) => social
                        .people
                        .person(school_id, profile_id)
                        .await?
                        .filter(|owner| owner.is_active()),
                    None => None,
                };
                match owner {
                    Some(owner) => {
                        reading::sees_profile(
                            social,
                            school_id,
                            &person.user_id,
                            person.role,
                            &owner,
                            &rules,
                        )
                        .await?
                    }
                    None => false,
                }
            }
        };
        if sees {
            told.push(person.user_id.clone());
        }
    }
    Ok(told)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_words_after_an_at_sign_not_addresses() {
        assert_eq!(
            handles("Thanks @Kim and @ada.lovelace, write to sam@school.org. @KIM again!"),
            ["kim", "ada.lovelace"]
        );
        assert!(handles("no one here @ all").is_empty());
    }
}
