//! The `campus` binary's library: which contexts Campus Hub has, the operator's commands,
//! backup and restore of the embedded shape, rebuilding the search index, and the demo school. Running them is [`campus_host`]'s job.

pub mod admin;
pub mod allocator;
pub mod backup;
pub mod contexts;
pub mod demo;
pub mod search;
