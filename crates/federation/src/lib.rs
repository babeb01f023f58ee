//! Cooperage federation: the only crate that imports activitypub_federation.
//!
//! Wire types live in `protocol`, trait impls on database rows in `objects`; the inbox verifies
//! and applies incoming activities, `delivery` sends outgoing ones from the persistent queue.

pub mod audience;
mod context;
pub mod delivery;
mod error;
mod fetch;
pub mod inbox;
mod instance;
pub mod local_actors;
pub mod membership;
pub mod net_guard;
pub mod objects;
pub mod offers;
pub mod outbox;
pub mod proposals;
pub mod protocol;
pub mod resolve;
pub mod sanitize;
pub mod settings;
pub mod signatures;
pub mod skills;

pub use context::{Data, FederationContext, SetupError};
pub use error::{BoxError, Error, chain as error_chain};
pub use instance::Federation;
pub use settings::{DeliverySettings, Settings};
