//! The `cooperage` program: configuration, wiring of the crates, and the server's lifecycle.
//!
//! The binary (`src/main.rs`) is a thin CLI over this library, so that tests can start real
//! instances in-process.

pub mod config;
pub mod server;

pub use config::Config;
pub use server::{Instance, StartError};
