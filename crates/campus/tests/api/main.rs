//! Integration tests: a real server on a random port, driven over HTTP, on every storage and
//! bus backend this machine offers (SQLite and the embedded log always; PostgreSQL and NATS
//! JetStream when `CAMPUS_TEST_POSTGRES_URL` / `CAMPUS_TEST_NATS_URL` are set). The harness is
//! `campus_testkit`; each test written with `each_backend!` or `each_storage!` is one named
//! test per backend (`courses::…::postgresql_nats`). The `ledger` and `tally` contexts in
//! `fixtures` exist only to exercise the backbone.

// Test code fails loudly by design.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::field_reassign_with_default
)]

mod fixtures;

mod assessments;
mod browser;
mod bus;
mod calendar;
mod catalogue;
mod chat_in_chromium;
mod cli;
mod courses;
mod email;
mod http;
mod identity;
mod layout;
mod live;
mod mail;
mod messaging;
mod migrations;
mod notifications;
mod one_machine;
mod pages;
mod pages_in_chromium;
mod push;
mod rate_limits;
mod readiness;
mod rolling_upgrade;
mod roster;
mod route_walk;
mod school_admin;
mod search;
mod search_in_chromium;
mod second_factor;
mod secrets_at_rest;
mod sessions;
mod social;
mod social_in_chromium;
mod web_session;
