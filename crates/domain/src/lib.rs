//! The coop's vocabulary and rules: pure Rust, no I/O, no wire formats.
//!
//! Everything here can be unit-tested without a database or a network, and every other
//! crate builds on it.

#[macro_use]
mod words;

pub mod member;
pub mod offer;
pub mod project;
pub mod proposal;
pub mod skill;
pub mod username;

pub use username::{Username, UsernameError};
