//! The `campus` binary's library: which contexts Campus Hub has, the operator's commands and
//! the demo school. Running them is [`campus_host`]'s job.

pub mod admin;
pub mod contexts;
pub mod demo;
