//! The bait server: a loopback HTTP server that serves the attacker's JWKS and counts who came.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A loopback HTTP server that serves the attacker's JWKS to anyone and counts who came (to see
/// whether a node follows a `jku` header). Stops when dropped.
pub(crate) struct Bait {
    /// Where the JWKS is served.
    pub(crate) url: String,
    hits: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Bait {
    /// Serves `body` as the JWKS at a fresh loopback port until dropped.
    pub(crate) async fn serve(body: String) -> std::io::Result<Bait> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/.well-known/jwks.json", listener.local_addr()?);
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                let mut buf = [0u8; 4096];
                let _ = tokio::time::timeout(Duration::from_millis(500), conn.read(&mut buf)).await;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = conn.write_all(answer.as_bytes()).await;
            }
        });
        Ok(Bait { url, hits, task })
    }

    /// How many connections came so far.
    pub(crate) fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for Bait {
    fn drop(&mut self) {
        self.task.abort();
    }
}
