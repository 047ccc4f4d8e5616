//! Identifiers: ULIDs, written as their 26-character text everywhere (database, JSON, events).
//!
//! Ids made by one process are strictly increasing, so ordering by id follows creation order;
//! the outbox relay relies on this to publish an aggregate's events in the order they happened.

use std::sync::Mutex;

use ulid::{Generator, Ulid};

static GENERATOR: Mutex<Option<Generator>> = Mutex::new(None);

/// A new id, greater than every id this process made before.
pub fn new_id() -> Ulid {
    let mut guard = GENERATOR
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let generator = guard.get_or_insert_with(Generator::new);
    // The generator only fails when 2^80 ids are asked for within one millisecond; a fresh
    // random id is still unique then, merely not ordered within that millisecond.
    generator.generate().unwrap_or_else(|_| Ulid::new())
}

/// A new id as text, the form stored in every table.
pub fn new_id_string() -> String {
    new_id().to_string()
}

/// Ten random characters of Crockford base32 (50 bits): a join or enrollment code that is easy
/// to type and hard to guess. Taken from a fresh random ULID, never from [`new_id`], whose
/// ids made in the same millisecond differ by one and would make the code guessable from an
/// id made next to it.
pub fn short_code() -> String {
    Ulid::new().to_string()[16..].to_owned()
}

/// Whether `text` is a well-formed ULID; used to answer 404 rather than 500 for junk ids.
pub fn is_valid(text: &str) -> bool {
    Ulid::from_string(text).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_made_in_a_burst_are_strictly_increasing() {
        let ids: Vec<Ulid> = (0..10_000).map(|_| new_id()).collect();
        assert!(ids.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn codes_do_not_follow_ids_made_beside_them() {
        let id = new_id_string();
        let code = short_code();
        assert_eq!(code.len(), 10);
        assert_ne!(&id[16..], code);
        assert_ne!(short_code(), short_code());
    }

    #[test]
    fn junk_is_not_an_id() {
        assert!(!is_valid("not-an-id"));
        assert!(is_valid(&new_id_string()));
    }
}
