//! The load driver's HTTP/1.1 client: a pool of keep-alive connections per node on hyper's
//! client directly, each connection driven by the task whose request it carries.
//!
//! Measured against reqwest's pooled client (`cargo bench --bench load_generators`, README), this
//! is what put the driver's own CPU per request below oha's: no URL re-parsed into a URI, no
//! header map cloned for redirects, no boxed futures, and no hand-off to a connection task,
//! possibly on the other thread, and back for every request.

use std::collections::HashMap;
use std::future::poll_fn;
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::cluster::{Address, Endpoint};
use crate::measure::ConnectionFailure;

/// How long a request may take, connecting included, before it counts as a connection failure.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// A request as the driver sends it: its whole body in memory.
pub type Request = http::Request<Full<Bytes>>;

/// A node's whole answer.
#[derive(Debug)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// The response headers.
    pub headers: http::HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

/// Why a request got no answer. The driver counts each of these as a connection failure, by
/// [`SendError::reason`].
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The endpoint's URL has no `http://` host to connect to.
    #[error("{0}: not an http:// URL with a host")]
    NotHttp(String),
    /// Connecting, or the exchange on the connection, failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// hyper refused the request or the connection broke.
    #[error("{0}")]
    Http(#[from] hyper::Error),
    /// No whole answer within [`REQUEST_TIMEOUT`].
    #[error("no answer within {REQUEST_TIMEOUT:?}")]
    Timeout,
}

impl SendError {
    /// The reason the lab counts it under.
    pub fn reason(&self) -> ConnectionFailure {
        fn io(kind: std::io::ErrorKind) -> ConnectionFailure {
            use std::io::ErrorKind::*;
            match kind {
                ConnectionRefused => ConnectionFailure::Refused,
                ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof | NotConnected => {
                    ConnectionFailure::Closed
                }
                TimedOut => ConnectionFailure::TimedOut,
                _ => ConnectionFailure::Other,
            }
        }
        match self {
            SendError::NotHttp(_) => ConnectionFailure::Other,
            SendError::Io(e) => io(e.kind()),
            SendError::Timeout => ConnectionFailure::TimedOut,
            SendError::Http(e) if e.is_timeout() => ConnectionFailure::TimedOut,
            SendError::Http(e) => match std::error::Error::source(e).and_then(|s| s.downcast_ref::<std::io::Error>()) {
                Some(cause) => io(cause.kind()),
                None if e.is_incomplete_message() || e.is_closed() || e.is_canceled() => ConnectionFailure::Closed,
                None => ConnectionFailure::Other,
            },
        }
    }
}

type Connection = http1::Connection<TokioIo<TcpStream>, Full<Bytes>>;

/// One open connection to one node, between two requests or carrying one.
struct Open {
    node: Arc<Endpoint>,
    sender: http1::SendRequest<Full<Bytes>>,
    connection: Connection,
}

/// The driver's idle keep-alive connections, per node. A request takes one (or opens one when
/// none is idle) and puts it back once its whole answer is read, so a node holds as many
/// connections from the lab as it had requests at once, never more.
#[derive(Default)]
pub struct ConnectionPool {
    /// Keyed by the endpoint's address in memory: each entry holds its endpoint, so the address
    /// cannot be reused by another while the entry lives.
    idle: Mutex<HashMap<usize, Vec<Open>>>,
}

impl std::fmt::Debug for ConnectionPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let idle: usize = self.lock().values().map(Vec::len).sum();
        f.debug_struct("ConnectionPool").field("idle", &idle).finish()
    }
}

fn key(node: &Arc<Endpoint>) -> usize {
    Arc::as_ptr(node) as usize
}

impl ConnectionPool {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<usize, Vec<Open>>> {
        self.idle.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sends `request` to `node` on an idle connection to it (or a new one), and reads the whole
    /// answer. The connection goes back to the pool only after a whole answer; on any failure it
    /// is closed.
    pub async fn send(&self, node: &Arc<Endpoint>, request: Request) -> Result<Answer, SendError> {
        let exchanged = tokio::time::timeout(REQUEST_TIMEOUT, async {
            let mut open = match self.take(node) {
                Some(open) => open,
                None => self.connect(node).await?,
            };
            let answer = exchange(&mut open, request).await?;
            self.lock().entry(key(node)).or_default().push(open);
            Ok(answer)
        });
        exchanged.await.unwrap_or(Err(SendError::Timeout))
    }

    /// An idle connection to `node` that is still open. One the node closed since its last
    /// answer is noticed here, before a request is sent on it, and dropped.
    fn take(&self, node: &Arc<Endpoint>) -> Option<Open> {
        let mut idle = self.lock();
        let list = idle.get_mut(&key(node))?;
        while let Some(mut open) = list.pop() {
            if still_open(&mut open) {
                return Some(open);
            }
        }
        None
    }

    /// Opens a connection to `node`, with Nagle off (a request is one small write). Connections
    /// to nodes that are gone are dropped first: opening is rare, and a restarted node is a new
    /// endpoint whose old entry would never be taken again.
    async fn connect(&self, node: &Arc<Endpoint>) -> Result<Open, SendError> {
        self.lock().retain(|_, list| {
            list.retain(|open| open.node.is_alive());
            !list.is_empty()
        });
        let origin = node.origin().ok_or_else(|| SendError::NotHttp(node.url.clone()))?;
        let stream = match &origin.address {
            Address::Socket(socket) => TcpStream::connect(*socket).await?,
            Address::Name(name) => TcpStream::connect(name.as_str()).await?,
        };
        stream.set_nodelay(true)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
        Ok(Open { node: node.clone(), sender, connection })
    }
}

/// Whether an idle connection is still open: reads what has arrived since its last answer, a
/// close or nothing, without waiting.
fn still_open(open: &mut Open) -> bool {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    open.node.is_alive()
        && matches!(open.connection.poll_without_shutdown(&mut cx), Poll::Pending)
        && !open.sender.is_closed()
}

/// One request and its whole answer on `open`, whose connection is driven here, in the calling
/// task, while the request is out: no hand-off to a connection task and back.
async fn exchange(open: &mut Open, request: Request) -> Result<Answer, SendError> {
    let Open { sender, connection, .. } = open;
    let mut answer = pin!(async {
        let response = sender.send_request(request).await?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await?.to_bytes();
        Ok::<_, hyper::Error>(Answer { status: parts.status.as_u16(), headers: parts.headers, body })
    });
    let mut connection_ended = false;
    poll_fn(|cx| {
        if let Poll::Ready(answer) = answer.as_mut().poll(cx) {
            return Poll::Ready(answer.map_err(SendError::from));
        }
        if !connection_ended {
            match connection.poll_without_shutdown(cx) {
                Poll::Pending => {}
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e.into())),
                // Ended, its answer handed over or its failure about to be: one more poll of the
                // answer tells which.
                Poll::Ready(Ok(())) => {
                    connection_ended = true;
                    cx.waker().wake_by_ref();
                }
            }
        }
        Poll::Pending
    })
    .await
}
