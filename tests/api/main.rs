//! The one integration-test binary: black-box HTTP tests against the real
//! server on 127.0.0.1 with a fresh data directory per test.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod harness;

mod account;
mod api_keys;
mod attachments;
mod audit;
mod auth;
mod backup;
mod cli;
mod clinic;
mod contract;
mod crash;
mod events;
mod http;
mod merging;
mod mfa;
mod notes;
mod notifications;
mod patients;
mod portal;
mod programmes;
mod questionnaires;
mod scheduling;
mod scope;
mod search;
mod security;
mod staff;
mod stand_ins;
mod strict;
mod tls;
