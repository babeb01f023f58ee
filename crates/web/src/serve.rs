//! Serving the router on a listener, with what `axum::serve` lacks against slow or many
//! clients: a time limit for each request's headers (which also closes idle keep-alive
//! connections), for each request's body and for the TLS handshake; a cap on connections;
//! and a shutdown that waits for in-flight requests only for a bounded time.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::ConnectInfo;
use http::Request;
use http_body::{Body as HttpBody, Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::time::{Instant, Sleep};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use crate::ClientAddr;

/// Limits of the HTTP server, from the config's `[http]` section.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Time for a request's headers (from the first byte we wait for, so it also ends idle
    /// keep-alive connections) and for the TLS handshake.
    pub header_timeout: Duration,
    /// Time for a request's whole body, from when its headers arrived.
    pub body_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
    /// How long shutdown lets in-flight requests finish.
    pub shutdown_grace: Duration,
    /// Proxies whose forwarding headers name the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            max_connections: 8192,
            shutdown_grace: Duration::from_secs(10),
            trusted_proxies: Vec::new(),
        }
    }
}

/// Serves `app` on `listener` (with TLS when `tls` is given) until `shutdown` is cancelled;
/// then stops accepting, lets open requests finish for `shutdown_grace`, closes what is left
/// and returns.
pub async fn serve(
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    app: Router,
    options: ServeOptions,
    shutdown: CancellationToken,
) {
    let permits = Arc::new(Semaphore::new(options.max_connections.max(1)));
    let connections = TaskTracker::new();
    let hard_stop = CancellationToken::new();
    let shared = Arc::new(Shared {
        builder: builder(&options),
        acceptor: tls.map(TlsAcceptor::from),
        app,
        options,
        shutdown: shutdown.clone(),
        hard_stop: hard_stop.clone(),
    });
    loop {
        // A connection slot first: when all are taken, clients wait in the kernel's accept
        // queue instead of costing us a file descriptor and a task each.
        let permit = tokio::select! {
            _ = shutdown.cancelled() => break,
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break, // never closed
            },
        };
        let accepted = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(connection) => connection,
            Err(error) => {
                // Out of file descriptors, or a connection reset before we took it: pause
                // briefly rather than spin.
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        connections.spawn(async move {
            let _permit = permit;
            shared.connection(stream, peer).await;
        });
    }
    drop(listener);
    connections.close();
    let grace = shared.options.shutdown_grace;
    if tokio::time::timeout(grace, connections.wait())
        .await
        .is_err()
    {
        tracing::warn!(
            open = connections.len(),
            ?grace,
            "closing connections whose requests did not finish in time"
        );
        hard_stop.cancel();
        connections.wait().await;
    }
}

fn builder(options: &ServeOptions) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_timeout)
        .keep_alive(true);
    // HTTP/2 has no header timeout in hyper; pings find dead peers, and streams are capped.
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(options.header_timeout)
        .keep_alive_timeout(options.header_timeout)
        .max_concurrent_streams(100);
    builder
}

/// What every connection task needs.
struct Shared {
    builder: auto::Builder<TokioExecutor>,
    acceptor: Option<TlsAcceptor>,
    app: Router,
    options: ServeOptions,
    shutdown: CancellationToken,
    hard_stop: CancellationToken,
}

impl Shared {
    async fn connection(&self, stream: tokio::net::TcpStream, peer: SocketAddr) {
        let Some(acceptor) = &self.acceptor else {
            return self.http(TokioIo::new(stream), peer).await;
        };
        // The handshake has the header time limit: a client that stalls in it holds a slot.
        let handshake = tokio::select! {
            handshake = tokio::time::timeout(self.options.header_timeout, acceptor.accept(stream)) => handshake,
            _ = self.hard_stop.cancelled() => return,
            _ = self.shutdown.cancelled() => return,
        };
        match handshake {
            Ok(Ok(tls)) => self.http(TokioIo::new(tls), peer).await,
            Ok(Err(error)) => tracing::debug!(%error, %peer, "TLS handshake failed"),
            Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
        }
    }

    async fn http<I>(&self, io: TokioIo<I>, peer: SocketAddr)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let app = self.app.clone();
        let trusted = self.options.trusted_proxies.clone();
        let body_timeout = self.options.body_timeout;
        let started = Arc::new(tokio::sync::Notify::new());
        let first_request = started.clone();
        let service = hyper::service::service_fn(move |request: Request<Incoming>| {
            started.notify_one();
            let client = ClientAddr::resolve(peer, request.headers(), &trusted);
            let mut request = request.map(|body| DeadlineBody::new(body, body_timeout));
            request.extensions_mut().insert(ConnectInfo(client));
            app.clone().oneshot(request)
        });
        let connection = self.builder.serve_connection_with_upgrades(io, service);
        tokio::pin!(connection);
        // hyper's header timeout starts only once it has told HTTP/1 from HTTP/2 by the first
        // bytes, so a client that sends nothing at all is timed here: the first request's
        // headers must be complete within the header time.
        let first = tokio::time::timeout(self.options.header_timeout, first_request.notified());
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%error, %peer, "connection ended with an error");
                }
                return;
            }
            arrived = first => {
                if arrived.is_err() {
                    tracing::debug!(%peer, "no request in time; closing");
                    return;
                }
            }
            _ = self.shutdown.cancelled() => return,
            _ = self.hard_stop.cancelled() => return,
        }
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%error, %peer, "connection ended with an error");
                }
                return;
            }
            _ = self.shutdown.cancelled() => {}
            _ = self.hard_stop.cancelled() => return,
        }
        // Finish the request in flight (idle connections close at once), unless the grace
        // period ends first.
        connection.as_mut().graceful_shutdown();
        tokio::select! {
            _ = connection => {}
            _ = self.hard_stop.cancelled() => {}
        }
    }
}

/// A request body that fails once its time is up, however slowly its bytes trickle in.
struct DeadlineBody {
    inner: Incoming,
    deadline: Instant,
    /// Armed the first time the body is waited for (most requests have no body).
    timer: Option<Pin<Box<Sleep>>>,
}

impl DeadlineBody {
    fn new(inner: Incoming, timeout: Duration) -> Self {
        Self {
            inner,
            deadline: Instant::now() + timeout,
            timer: None,
        }
    }
}

/// Why a request body was cut off.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive in time")]
pub struct BodyTimeout;

impl HttpBody for DeadlineBody {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        let deadline = this.deadline;
        let timer = this
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(BodyTimeout.into()))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
