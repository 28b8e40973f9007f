//! The simulated shared store (`[cluster] store_machine`): a Redis proxy in front of the real
//! Redis that gives every store command, from every session node, one of a fixed number of
//! workers for a service time, so the store has a capacity all nodes share.
//!
//! Each node still talks real RESP to a real Redis; the gate only parses where one command ends,
//! holds it for its worker and service time, and forwards it in order. Replies flow back
//! untouched.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use futures_util::stream::FuturesOrdered;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use crate::scenario::MachineSpec;

/// Why the gate could not start.
#[derive(Debug, thiserror::Error)]
pub enum StoreGateError {
    /// The session store's URL cannot be parsed, has no host, or cannot be pointed at the gate.
    #[error("store_machine: the Redis URL {url:?} is not valid: {reason}")]
    Url {
        /// The URL as the scenario gave it.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No loopback port to listen on for the nodes.
    #[error("store_machine: cannot listen on loopback: {0}")]
    Listen(std::io::Error),
}

/// A running gate; dropping it stops accepting and closes every proxied connection.
pub struct StoreGate {
    /// The URL nodes use instead of the real store's: same credentials and database.
    pub url: String,
    counters: Arc<Counters>,
    accept: JoinHandle<()>,
}

#[derive(Default)]
struct Counters {
    /// Commands that went through the gate.
    commands: AtomicU64,
}

struct Capacity {
    workers: Semaphore,
    service_time: Duration,
    counters: Arc<Counters>,
}

impl StoreGate {
    /// Listens on a free loopback port and forwards every connection to the store at `redis_url`.
    pub async fn start(redis_url: &str, machine: MachineSpec) -> Result<Self, StoreGateError> {
        let bad = |reason: String| StoreGateError::Url { url: redis_url.to_owned(), reason };
        let mut url = url::Url::parse(redis_url).map_err(|e| bad(e.to_string()))?;
        let host = url.host_str().ok_or_else(|| bad("no host".into()))?.to_owned();
        let port = url.port().unwrap_or(6379);
        let upstream = format!("{host}:{port}");
        let listener = TcpListener::bind("127.0.0.1:0").await.map_err(StoreGateError::Listen)?;
        let local = listener.local_addr().map_err(StoreGateError::Listen)?;
        url.set_host(Some("127.0.0.1")).map_err(|e| bad(e.to_string()))?;
        url.set_port(Some(local.port())).map_err(|()| bad("cannot set a port".into()))?;

        let counters = Arc::new(Counters::default());
        let workers = usize::try_from(machine.workers).unwrap_or(usize::MAX).min(Semaphore::MAX_PERMITS);
        let capacity = Arc::new(Capacity {
            workers: Semaphore::new(workers),
            service_time: machine.service_time,
            counters: counters.clone(),
        });
        let accept = tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            while let Ok((client, _)) = listener.accept().await {
                let capacity = capacity.clone();
                let upstream = upstream.clone();
                connections.spawn(async move {
                    if let Err(e) = proxy(client, &upstream, &capacity).await {
                        tracing::debug!("store gate connection ended: {e}");
                    }
                });
                // Reap finished connections so the set does not grow with churn.
                while connections.try_join_next().is_some() {}
            }
        });
        Ok(Self { url: url.to_string(), counters, accept })
    }

    /// Store commands that went through the gate so far.
    pub fn commands(&self) -> u64 {
        self.counters.commands.load(Relaxed)
    }
}

impl Drop for StoreGate {
    fn drop(&mut self) {
        // Aborting the accept task drops its JoinSet, which aborts every connection.
        self.accept.abort();
    }
}

/// One node connection: commands in, each held for a worker and its service time, forwarded in
/// their order; replies copied back as they come.
async fn proxy(client: TcpStream, upstream: &str, capacity: &Arc<Capacity>) -> std::io::Result<()> {
    client.set_nodelay(true)?;
    let server = TcpStream::connect(upstream).await?;
    server.set_nodelay(true)?;
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let replies = tokio::spawn(async move { tokio::io::copy(&mut server_read, &mut client_write).await });
    let mut buffer = BytesMut::with_capacity(16 * 1024);
    let mut in_service = FuturesOrdered::new();
    let result = loop {
        tokio::select! {
            read = client_read.read_buf(&mut buffer) => match read {
                Ok(0) => break Ok(()),
                Ok(_) => {
                    while let Some(length) = command_length(&buffer) {
                        let command = buffer.split_to(length).freeze();
                        in_service.push_back(serve(capacity.clone(), command));
                    }
                }
                Err(e) => break Err(e),
            },
            Some(command) = in_service.next(), if !in_service.is_empty() => {
                if let Err(e) = server_write.write_all(&command).await {
                    break Err(e);
                }
            }
        }
    };
    replies.abort();
    result
}

/// Holds one worker of the store for its service time, then lets the command through.
async fn serve(capacity: Arc<Capacity>, command: Bytes) -> Bytes {
    if let Ok(_worker) = capacity.workers.acquire().await {
        tokio::time::sleep(capacity.service_time).await;
    }
    capacity.counters.commands.fetch_add(1, Relaxed);
    command
}

/// The length of the first complete command in `buffer`, if it holds one: a RESP array of bulk
/// strings (what client libraries send), or an inline command ending in a newline.
fn command_length(buffer: &[u8]) -> Option<usize> {
    let line_end = |from: usize| buffer.get(from..)?.windows(2).position(|w| w == b"\r\n").map(|p| from + p);
    let number = |from: usize, to: usize| std::str::from_utf8(&buffer[from..to]).ok()?.parse::<i64>().ok();
    if buffer.first() != Some(&b'*') {
        return buffer.iter().position(|&b| b == b'\n').map(|p| p + 1);
    }
    let end = line_end(1)?;
    let elements = number(1, end)?;
    let mut at = end + 2;
    for _ in 0..elements.max(0) {
        if buffer.get(at) != Some(&b'$') {
            // Not a bulk string: pass the rest through as one piece rather than stall.
            return Some(buffer.len());
        }
        let end = line_end(at + 1)?;
        let length = number(at + 1, end)?;
        at = end + 2 + usize::try_from(length.max(0)).ok()? + 2;
        if at > buffer.len() {
            return None;
        }
    }
    Some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_where_each_command_ends() {
        let get = b"*2\r\n$3\r\nGET\r\n$5\r\nhello\r\n";
        assert_eq!(command_length(get), Some(get.len()));
        let mut two = get.to_vec();
        two.extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
        assert_eq!(command_length(&two), Some(get.len()));
        assert_eq!(command_length(&get[..get.len() - 1]), None, "an incomplete command waits for more bytes");
        assert_eq!(command_length(b"*2\r\n$3\r\nGE"), None);
        assert_eq!(command_length(b"PING\r\n"), Some(6), "inline commands end at the newline");
        assert_eq!(command_length(b""), None);
        let empty = b"*2\r\n$3\r\nSET\r\n$0\r\n\r\n";
        assert_eq!(command_length(empty), Some(empty.len()));
    }

    #[tokio::test]
    async fn capacity_is_shared_and_commands_keep_their_order() {
        // A fake store that answers each command with its own arguments, in order.
        let store = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = store.local_addr().expect("addr").port();
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = store.accept().await {
                tokio::spawn(async move {
                    let mut buf = BytesMut::new();
                    while conn.read_buf(&mut buf).await.unwrap_or(0) > 0 {
                        while let Some(n) = command_length(&buf) {
                            let cmd = buf.split_to(n);
                            let _ = conn.write_all(&cmd).await;
                        }
                    }
                });
            }
        });
        let machine = MachineSpec { workers: 2, service_time: Duration::from_millis(20) };
        let gate = StoreGate::start(&format!("redis://127.0.0.1:{port}/0"), machine).await.expect("gate starts");
        assert!(gate.url.starts_with("redis://127.0.0.1:") && gate.url.ends_with("/0"), "{}", gate.url);
        let addr = gate.url.trim_start_matches("redis://").trim_end_matches("/0").to_owned();
        let mut conn = TcpStream::connect(&addr).await.expect("connect");
        let mut sent = Vec::new();
        for i in 0..10 {
            sent.extend_from_slice(format!("*1\r\n$2\r\n{i:02}\r\n").as_bytes());
        }
        let started = std::time::Instant::now();
        conn.write_all(&sent).await.expect("write");
        let mut got = vec![0u8; sent.len()];
        conn.read_exact(&mut got).await.expect("read");
        let elapsed = started.elapsed();
        assert_eq!(got, sent, "commands arrive in order");
        // 10 commands, 2 workers, 20 ms each: at least 5 service times.
        assert!(elapsed >= Duration::from_millis(95), "2 workers bound the store: {elapsed:?}");
        assert_eq!(gate.commands(), 10);
    }
}
