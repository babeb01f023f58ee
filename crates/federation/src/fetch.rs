//! Signed fetches: every GET this instance makes (actors, keys, WebFinger) carries a
//! draft-cavage signature by the instance actor, as servers in "authorized fetch" mode
//! (GoToSocial always, Mastodon optionally) require. Signed with aws-lc-rs, like deliveries.

use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use reqwest_middleware::{Middleware, Next};

use crate::signatures::{self, PrivateKey};

/// The instance actor's key id and key, set once the instance actor exists.
pub type FetchSigner = Arc<OnceLock<(String, Arc<PrivateKey>)>>;

/// Middleware that signs GET requests with the instance actor's key.
pub struct SignedFetch {
    pub signer: FetchSigner,
}

#[async_trait::async_trait]
impl Middleware for SignedFetch {
    async fn handle(
        &self,
        mut request: reqwest::Request,
        extensions: &mut http::Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        if request.method() == reqwest::Method::GET
            && let Some((key_id, key)) = self.signer.get()
        {
            let mut signed = http::Request::get(request.url().as_str())
                .body(Vec::new())
                .map_err(reqwest_middleware::Error::middleware)?;
            *signed.headers_mut() = request.headers().clone();
            signatures::sign_cavage(&mut signed, key_id, key, SystemTime::now())
                .map_err(reqwest_middleware::Error::middleware)?;
            for name in [http::header::HOST, http::header::DATE] {
                if let Some(value) = signed.headers().get(&name) {
                    request.headers_mut().insert(name, value.clone());
                }
            }
            if let Some(value) = signed.headers().get("signature") {
                request.headers_mut().insert("signature", value.clone());
            }
        }
        next.run(request, extensions).await
    }
}
