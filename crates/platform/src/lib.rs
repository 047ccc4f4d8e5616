//! The platform every Campus Hub context stands on.
//!
//! A context crate needs nothing outside this crate (and the event backbone in `campus-bus`) to
//! own its tables, serve its routes, publish its events and react to other contexts' events.

pub mod auth;
pub mod cache;
pub mod config;
pub mod context;
pub mod db;
pub mod ended_sessions;
pub mod error;
pub mod events;
pub mod files;
pub mod health;
pub mod http;
pub mod id;
pub mod live;
pub mod locale;
pub mod mail;
pub mod markdown;
pub mod metrics;
pub mod openapi;
pub mod outage;
pub mod outgoing_mail;
pub mod pagination;
pub mod people;
pub mod presence;
pub mod priority;
pub mod rate_limit;
pub mod rosters;
pub mod sealing;
pub mod secrets;
pub mod shared_redis;
pub mod tasks;
pub mod telemetry;
pub mod text;
pub mod time;
pub mod web_session;

pub use error::{Error, Result};
