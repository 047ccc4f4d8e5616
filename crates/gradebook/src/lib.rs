//! The gradebook context: what a student's work adds up to, learned from events.

pub(crate) mod calculation;
