//! The generator's HTTP client: one HTTP/1.1 keep-alive connection per concurrent sender,
//! driven by hyper directly (no pool, no middleware), so the client costs little CPU.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

pub type Request = http::Request<Full<Bytes>>;

/// One connection to the server.
pub struct Connection {
    sender: SendRequest<Full<Bytes>>,
}

impl Connection {
    pub async fn open(port: u16) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(("127.0.0.1", port)).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        Ok(Self { sender })
    }

    /// Sends a request and reads the whole response; returns status and body.
    pub async fn send(&mut self, request: Request) -> anyhow::Result<(u16, Bytes)> {
        let (status, _, body) = self.send_with_headers(request).await?;
        Ok((status, body))
    }

    /// [`Self::send`], with the response's headers.
    pub async fn send_with_headers(
        &mut self,
        request: Request,
    ) -> anyhow::Result<(u16, http::HeaderMap, Bytes)> {
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        let status = response.status().as_u16();
        let (parts, body) = response.into_parts();
        let body = body.collect().await?.to_bytes();
        Ok((status, parts.headers, body))
    }
}

/// A request with a `Host` header (hyper's connection API adds none).
pub fn request(method: http::Method, host: &str, path: &str, body: Bytes) -> Request {
    let mut request = http::Request::new(Full::new(body));
    *request.method_mut() = method;
    *request.uri_mut() = path.parse().expect("a request path");
    request
        .headers_mut()
        .insert(http::header::HOST, host.parse().expect("a host"));
    request
}

/// A GET on a fresh connection (setup and health checks, not the measured path).
pub async fn get(port: u16, path: &str, host: &str) -> anyhow::Result<(u16, Bytes)> {
    let mut connection = Connection::open(port).await?;
    let mut request = request(http::Method::GET, host, path, Bytes::new());
    request.headers_mut().insert(
        http::header::ACCEPT,
        http::HeaderValue::from_static("application/activity+json"),
    );
    connection.send(request).await
}

/// Turns a signed request (absolute URI, as `sign_cavage` wants it) into one for a
/// connection (path only, headers kept).
pub fn for_connection(signed: http::Request<Vec<u8>>) -> Request {
    let (mut parts, body) = signed.into_parts();
    parts.uri = parts
        .uri
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .parse()
        .expect("a request path");
    http::Request::from_parts(parts, Full::new(Bytes::from(body)))
}
