//! Cursor pagination, the one way lists are paged: `?cursor=<last id>&limit=<1..=200>`,
//! ordered by id, with `next_cursor` absent on the last page.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::Within;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

/// The page size a client asks for: 1 to 200 (checked when the query is read).
pub type Limit = Within<1, MAX_LIMIT>;

/// The page size asked for, or the default.
pub fn limit(asked: Option<Limit>) -> i64 {
    asked.map_or(DEFAULT_LIMIT, Limit::get)
}

/// One page of a list: the one shape every list answers with.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The `cursor` of the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Cuts rows fetched with `LIMIT limit + 1` down to a page, with the cursor of the next
    /// one (the id of the page's last row) when there is more.
    pub fn of(mut rows: Vec<T>, limit: i64, id: impl Fn(&T) -> String) -> Self {
        let limit = usize::try_from(limit).unwrap_or(0);
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(&id)
        } else {
            None
        };
        Self {
            items: rows,
            next_cursor,
        }
    }

    /// The same page with each item turned into what the answer shows.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_ends_with_the_cursor_of_its_last_row() {
        let page = Page::of(vec![1, 2, 3], 2, |n| n.to_string());
        assert_eq!(
            (page.items, page.next_cursor),
            (vec![1, 2], Some("2".into()))
        );
        let last = Page::of(vec![1, 2], 2, |n| n.to_string());
        assert_eq!((last.items, last.next_cursor), (vec![1, 2], None));
        assert_eq!(limit(None), DEFAULT_LIMIT);
        let asked: Limit = serde_json::from_str("20").unwrap();
        assert_eq!(limit(Some(asked)), 20);
        for wrong in ["0", "201", "-1"] {
            assert!(serde_json::from_str::<Limit>(wrong).is_err(), "{wrong}");
        }
    }
}
