//! Social's SQL, by sub-domain: `posts` (posts, comments, reactions), `graph` (follows,
//! blocks and mutes), `reports` (reports and moderators' decisions) and `rules` (the school's
//! settings). Every query names the school, or reaches rows through a post already loaded for
//! the caller's school.

pub(crate) mod graph;
pub(crate) mod posts;
pub(crate) mod reports;
pub(crate) mod rules;
