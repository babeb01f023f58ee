//! The federation layer of one instance: its context and activitypub_federation's config.

use activitypub_federation::config::FederationConfig;

use crate::{Data, Error, FederationContext, local_actors};

/// The federation layer of one instance: its context and activitypub_federation's config.
#[derive(Clone)]
pub struct Federation {
    config: FederationConfig<FederationContext>,
    context: FederationContext,
}

impl Federation {
    /// Sets up federation and makes sure the coop and instance actors exist.
    pub async fn start(context: FederationContext) -> Result<Self, Error> {
        let config = context.federation_config().await.map_err(Error::setup)?;
        local_actors::ensure_instance_actors(&context).await?;
        let instance = local_actors::instance_actor(&context).await?;
        let key = context.signing_key(instance.id).await?;
        context.sign_fetches_with(instance.public_key_id, key);
        Ok(Self { config, context })
    }

    /// Request-scoped data (counts fetches, to bound recursive fetching).
    pub fn data(&self) -> Data {
        self.config.to_request_data()
    }

    pub fn context(&self) -> &FederationContext {
        &self.context
    }
}
