//! Cooperage federation: the only crate that imports activitypub_federation.
//!
//! Wire types live in `protocol`, trait impls on database rows in `objects`; the inbox verifies
//! and applies incoming activities, `delivery` sends outgoing ones from the persistent queue.

mod context;
pub mod delivery;
mod error;
mod fetch;
pub mod inbox;
pub mod local_actors;
pub mod net_guard;
pub mod objects;
pub mod operations;
pub mod outbox;
pub mod protocol;
pub mod sanitize;
pub mod settings;
pub mod signatures;

pub use context::{Data, FederationContext, SetupError};
pub use error::Error;
pub use operations::Federation;
pub use settings::{DeliverySettings, Settings};
