//! Where this instance may connect: outside debug mode, only to public addresses, over https,
//! on the default port, by domain name.
//!
//! Three layers, so that no path can forget one:
//! - [`check_url`]: the shape of every URL we store (remote actors) or request (deliveries,
//!   fetches): https, a domain (no IP literal), no userinfo, no explicit port.
//! - [`ConnectGuard`], a connector layer of the HTTP client: sees the URI of every new
//!   connection and refuses IP literals, plain http and explicit ports before any socket is
//!   opened (reqwest's resolver never sees IP literals).
//! - [`GuardedResolver`]: the client's DNS resolver; keeps only public addresses, so a domain
//!   pointing at 127.0.0.1 or 169.254.169.254 (or rebinding to it) is never connected to.
//!
//! In debug mode (tests, local development) all of this is off: peers run on loopback.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::task::{Context, Poll};

use url::{Host, Url};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why a URL or address may not be connected to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("not a URL")]
    NotUrl,
    #[error("only https URLs are allowed")]
    NotHttps,
    #[error("an IP address instead of a domain")]
    IpLiteral,
    #[error("user name or password in the URL")]
    UserInfo,
    #[error("an explicit port")]
    Port,
    #[error("no host")]
    NoHost,
    #[error("{0} resolves to no public address")]
    NoPublicAddress(String),
    #[error("host blocked by federation policy")]
    Blocked,
}

/// Checks the shape of a URL we will connect to (production mode): https, a domain name, no
/// userinfo, the default port.
pub fn check_url(url: &Url) -> Result<(), Refused> {
    if url.scheme() != "https" {
        return Err(Refused::NotHttps);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Refused::UserInfo);
    }
    // `Url` drops the scheme's default port, so any port left is explicit.
    if url.port().is_some() {
        return Err(Refused::Port);
    }
    match url.host() {
        Some(Host::Domain(domain)) if !domain.trim_end_matches('.').is_empty() => Ok(()),
        Some(Host::Ipv4(_) | Host::Ipv6(_)) => Err(Refused::IpLiteral),
        _ => Err(Refused::NoHost),
    }
}

/// [`check_url`] on text.
pub fn check_url_str(url: &str) -> Result<(), Refused> {
    check_url(&Url::parse(url).map_err(|_| Refused::NotUrl)?)
}

/// Whether an address is on the public internet. IPv6 is judged by allow-list (global unicast
/// 2000::/3 minus the special blocks), so that new local ranges are refused by default.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(a == 0 // "this network"; 0.x reaches loopback on Linux
        || a == 10
        || (a == 100 && (b & 0xc0) == 64) // CGNAT 100.64/10, used inside clouds
        || a == 127
        || (a == 169 && b == 254) // link-local, cloud metadata
        || (a == 172 && (b & 0xf0) == 16)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // documentation
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast
        || (a == 192 && b == 168)
        || (a == 198 && (b & 0xfe) == 18) // benchmarking
        || (a == 198 && b == 51 && c == 100) // documentation
        || (a == 203 && b == 0 && c == 113) // documentation
        || a >= 224) // multicast, reserved, broadcast
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    // NAT64 (64:ff9b::/96) carries an IPv4 address: judge that one, so IPv6-only hosts work.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [a, b] = s[6].to_be_bytes();
        let [c, d] = s[7].to_be_bytes();
        return is_public_v4(Ipv4Addr::new(a, b, c, d));
    }
    // Only global unicast; this also refuses ::1, ::, IPv4-mapped (::ffff:0:0/96) and
    // -compatible (::/96) forms, ULA fc00::/7, link-local fe80::/10 and multicast ff00::/8.
    (s[0] & 0xe000) == 0x2000
        && s[..2] != [0x2001, 0x0db8] // documentation
        && s[..2] != [0x2001, 0] // Teredo: tunnels to an embedded (possibly private) IPv4
        && s[0] != 0x2002 // 6to4: likewise
        && !(s[0] == 0x3fff && s[1] <= 0x0fff) // documentation 3fff::/20
}

/// The HTTP client's DNS resolver: in production mode, only public addresses come out.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    pub enforce: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        let enforce = self.enforce;
        Box::pin(async move {
            // The port is replaced by the URL's when connecting.
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|addr| !enforce || is_public(addr.ip()))
                .collect();
            if addrs.is_empty() {
                return Err(Box::new(Refused::NoPublicAddress(host)) as BoxError);
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// A connector layer refusing, before any socket is opened, connections the resolver would
/// never see: IP literals, plain http, explicit ports. Installed in production mode only.
#[derive(Debug, Clone, Copy, Default)]
pub struct ConnectGuard;

impl<S> tower::Layer<S> for ConnectGuard {
    type Service = ConnectGuardService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ConnectGuardService { inner }
    }
}

/// The service [`ConnectGuard`] wraps reqwest's connector in.
#[derive(Debug, Clone)]
pub struct ConnectGuardService<S> {
    inner: S,
}

// reqwest hands its connector an opaque wrapper of the destination URI whose only accessor is
// `Debug` (`Unnameable(https://host/)`), so the URI is read from there. Anything unreadable
// is refused: a format change then fails closed (and the tests below notice).
impl<S, R> tower::Service<R> for ConnectGuardService<S>
where
    S: tower::Service<R, Error = BoxError>,
    S::Future: Send + 'static,
    S::Response: Send + 'static,
    R: std::fmt::Debug,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, destination: R) -> Self::Future {
        match check_destination(&format!("{destination:?}")) {
            Ok(()) => Box::pin(self.inner.call(destination)),
            Err(refused) => Box::pin(std::future::ready(Err(Box::new(refused) as BoxError))),
        }
    }
}

/// Checks a connector destination as printed by `Debug`.
fn check_destination(printed: &str) -> Result<(), Refused> {
    let uri = printed
        .split_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .unwrap_or(printed);
    check_url_str(uri)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_not_public() {
        for ip in [
            "0.0.0.0",
            "0.1.2.3",
            "10.1.2.3",
            "100.64.0.1",
            "100.127.255.254",
            "127.0.0.1",
            "127.255.0.1",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::127.0.0.1",
            "::ffff:127.0.0.1",
            "::ffff:8.8.8.8",
            "64:ff9b::10.0.0.1",
            "64:ff9b:1::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "2001:0:4136:e378::1",
            "2002:7f00:1::1",
            "3fff::1",
            "100::1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip} counted as public");
        }
        for ip in [
            "1.1.1.1",
            "8.8.8.8",
            "100.63.255.255",
            "100.128.0.1",
            "172.32.0.1",
            "2606:4700::1111",
            "2a00:1450::1",
            "64:ff9b::808:808",
        ] {
            assert!(is_public(ip.parse().unwrap()), "{ip} counted as private");
        }
    }

    #[test]
    fn url_shapes() {
        assert_eq!(check_url_str("https://coop.example/inbox"), Ok(()));
        assert_eq!(check_url_str("https://coop.example:443/inbox"), Ok(()));
        for (url, why) in [
            ("http://coop.example/inbox", Refused::NotHttps),
            ("https://127.0.0.1/inbox", Refused::IpLiteral),
            ("https://2130706433/inbox", Refused::IpLiteral),
            ("https://0x7f.1/inbox", Refused::IpLiteral),
            ("https://[::1]/inbox", Refused::IpLiteral),
            ("https://u:p@coop.example/inbox", Refused::UserInfo),
            ("https://u@coop.example/inbox", Refused::UserInfo),
            ("https://coop.example:8443/inbox", Refused::Port),
            ("mailto:a@coop.example", Refused::NotHttps),
            ("not a url", Refused::NotUrl),
        ] {
            assert_eq!(check_url_str(url), Err(why), "{url}");
        }
    }

    fn guarded_client() -> reqwest::Client {
        reqwest::Client::builder()
            .connector_layer(ConnectGuard)
            .dns_resolver(GuardedResolver { enforce: true })
            .build()
            .unwrap()
    }

    fn chain(error: &reqwest::Error) -> String {
        let mut text = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            text.push_str(&format!(": {cause}"));
            source = cause.source();
        }
        text
    }

    // The connector refuses IP literals before connecting: a listener on loopback sees
    // nothing. Also proves reqwest's destination is still readable (else: "not a URL").
    #[tokio::test]
    async fn the_connector_refuses_ip_literals_without_connecting() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let client = guarded_client();
        for (url, why) in [
            (format!("http://127.0.0.1:{port}/inbox"), Refused::NotHttps),
            (format!("https://127.0.0.1:{port}/inbox"), Refused::Port),
            ("https://127.0.0.1/inbox".to_owned(), Refused::IpLiteral),
            ("https://[::1]/inbox".to_owned(), Refused::IpLiteral),
        ] {
            let error = client.get(&url).send().await.unwrap_err();
            let text = chain(&error);
            assert!(text.contains(&why.to_string()), "{url}: {text}");
        }
        assert_eq!(
            listener.accept().map_err(|e| e.kind()).err(),
            Some(std::io::ErrorKind::WouldBlock),
            "a connection reached the listener"
        );
    }

    // A domain is let through to the resolver, which finds no public address for it.
    #[tokio::test]
    async fn the_resolver_refuses_domains_of_private_addresses() {
        let error = guarded_client()
            .get("https://localhost/inbox")
            .send()
            .await
            .unwrap_err();
        let text = chain(&error);
        assert!(text.contains("resolves to no public address"), "{text}");
    }
}
