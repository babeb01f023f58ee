//! activitypub_federation's object traits on our database rows (newtypes keep rows plain).

pub mod actor;

pub use actor::ApubActor;
