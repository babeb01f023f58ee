//! Integration tests of the whole program: real databases, real HTTP over loopback.
//!
//! One test binary (not one per file) keeps linking fast. Tests that touch a database run once
//! per backend through `backend_tests!`; the PostgreSQL half needs COOPERAGE_TEST_POSTGRES_URL.

#[macro_use]
mod support;

mod accounts;
mod authz;
mod browser;
mod cli;
mod compose;
mod config;
mod delivery;
mod directory;
mod discovery;
mod federation;
mod follows;
mod hardening;
mod hardening_federation;
mod health;
mod inbox;
mod membership;
mod migrations;
mod network;
mod offers;
mod pages;
mod pages_admin;
mod pages_offers;
mod pages_projects;
mod projects;
mod proposals;
mod samples;
mod skills;
mod tls;
mod walkthrough;
