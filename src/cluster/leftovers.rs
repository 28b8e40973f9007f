//! What runs leave in a shared Redis: each live run's liveness mark, and the sweep that deletes
//! the keys of runs that are no longer alive (killed with SIGKILL, or on a machine that lost power).
//!
//! A run's keys all live under `authlab:run-<id>:`. While the run lives, it keeps a mark,
//! `authlab:alive:run-<id>`, with a [`MARK_TTL`] expiry that it renews every [`MARK_REFRESH`].
//! A run that can no longer renew it stops being alive [`MARK_TTL`] later. The sweep, run at the
//! start of every Redis-store run and by `authlab clean`, scans for keys of the form
//! `authlab:run-<id>:...` (a run id is hex digits and the strategies of its phase), and deletes
//! those whose run has no mark. Keys of any other form are
//! never touched, nor are a live run's. On a Redis Cluster the scan visits every primary (SCAN
//! answers for one server), and keys go one per command (they lie in many slots).

use std::collections::BTreeSet;
use std::time::Duration;

use fred::clients::Client;
use fred::prelude::{ClientLike, KeysInterface};
use fred::types::Expiration;
use futures_util::StreamExt;
use tokio::task::JoinHandle;

use crate::session_store::{RedisStoreError, each_primary, unlink};

/// The start of every run's key prefix.
const RUN_KEYS: &str = "authlab:run-";
/// How long a mark outlives the last renewal of its run.
pub const MARK_TTL: Duration = Duration::from_secs(5);
/// How often a live run renews its mark.
pub const MARK_REFRESH: Duration = Duration::from_secs(1);

/// The prefix of every Redis key of run `run_id`.
pub fn run_prefix(run_id: &str) -> String {
    format!("{RUN_KEYS}{run_id}:")
}

fn mark_key(run_id: &str) -> String {
    format!("authlab:alive:run-{run_id}")
}

/// The run id of a key of a run, if `key` is one: `authlab:run-<id>:...`, where a run's id is
/// hex digits, then the strategies of its phase (`0a1b2c3d4e5f-session-token`).
fn run_of(key: &str) -> Option<&str> {
    let (id, _) = key.strip_prefix(RUN_KEYS)?.split_once(':')?;
    let (hex, strategies) = id.split_once('-').unwrap_or((id, ""));
    let is_hex = !hex.is_empty() && hex.len() <= 32 && hex.bytes().all(|b| b.is_ascii_hexdigit());
    let is_strategies = strategies.split('-').all(|s| matches!(s, "" | "session" | "token"));
    (is_hex && is_strategies).then_some(id)
}

/// A live run's mark, renewed in the background until [`AliveMark::remove`] (or drop).
pub struct AliveMark {
    client: Client,
    key: String,
    renewal: JoinHandle<()>,
}

impl AliveMark {
    /// Sets the mark of `run_id` and keeps renewing it.
    pub async fn set(client: Client, run_id: &str) -> Result<Self, RedisStoreError> {
        let key = mark_key(run_id);
        let ttl = Expiration::EX(MARK_TTL.as_secs() as i64);
        let _: () = client.set(key.as_str(), std::process::id(), Some(ttl.clone()), None, false).await?;
        let renewal = {
            let (client, key) = (client.clone(), key.clone());
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(MARK_REFRESH).await;
                    let renewed: Result<(), _> =
                        client.set(key.as_str(), std::process::id(), Some(ttl.clone()), None, false).await;
                    if let Err(e) = renewed {
                        tracing::warn!("renewing the run's liveness mark {key}: {e}");
                    }
                }
            })
        };
        Ok(Self { client, key, renewal })
    }

    /// Stops renewing the mark and deletes it (the run's keys are gone by then).
    pub async fn remove(self) {
        self.renewal.abort();
        let _: Result<i64, _> = self.client.del(self.key.as_str()).await;
    }
}

impl Drop for AliveMark {
    fn drop(&mut self) {
        self.renewal.abort();
    }
}

/// What a sweep deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Swept {
    /// The ids of the dead runs whose keys went.
    pub runs: Vec<String>,
    /// How many Redis keys were deleted, over all those runs.
    pub keys: u64,
}

/// Deletes every key of every run that has no liveness mark, and nothing else.
pub async fn sweep_dead_runs(client: &Client) -> Result<Swept, RedisStoreError> {
    let servers = each_primary(client).await?;
    let swept = sweep_servers(client, &servers).await;
    if client.is_clustered() {
        for server in servers {
            let _ = server.quit().await;
        }
    }
    swept
}

/// [`sweep_dead_runs`] over `servers`, every server `client` reaches.
async fn sweep_servers(client: &Client, servers: &[Client]) -> Result<Swept, RedisStoreError> {
    let mut runs = BTreeSet::new();
    for server in servers {
        let mut scan = server.scan_buffered(format!("{RUN_KEYS}*"), Some(1000), None);
        while let Some(key) = scan.next().await {
            if let Some(run) = key?.as_str().and_then(run_of) {
                runs.insert(run.to_owned());
            }
        }
    }
    let mut swept = Swept::default();
    for run in runs {
        let alive: i64 = client.exists(mark_key(&run)).await?;
        if alive > 0 {
            continue;
        }
        for server in servers {
            // Run ids are hex digits, dashes and strategy names, so the prefix holds no glob characters.
            let mut keys = server.scan_buffered(format!("{}*", run_prefix(&run)), Some(1000), None).chunks(500);
            while let Some(batch) = keys.next().await {
                let batch = batch.into_iter().collect::<Result<Vec<_>, _>>()?;
                swept.keys += unlink(server, batch, client.is_clustered()).await?;
            }
        }
        swept.runs.push(run);
    }
    Ok(swept)
}

/// `authlab clean`: sweeps the Redis at `url` of what dead runs left behind (a
/// `redis-cluster://host:port` URL: every primary of that cluster).
pub async fn clean(url: &str) -> Result<Swept, RedisStoreError> {
    let pool = crate::session_store::connect_pool(url).await?;
    let swept = sweep_dead_runs(pool.next()).await;
    let _ = pool.quit().await;
    swept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_keys_of_the_runs_own_form_belong_to_a_run() {
        assert_eq!(run_of("authlab:run-0a1b2c3d4e5f:abc"), Some("0a1b2c3d4e5f"));
        assert_eq!(run_of("authlab:run-0a1b:user:user0000001"), Some("0a1b"));
        assert_eq!(run_of("authlab:run-624cf7e35d40-session:x"), Some("624cf7e35d40-session"));
        assert_eq!(run_of("authlab:run-624cf7e35d40-session-token:x"), Some("624cf7e35d40-session-token"));
        assert_eq!(run_of(&format!("{}x", run_prefix("beef"))), Some("beef"));
        for foreign in [
            "authlab:run-:x",
            "authlab:run-xyz:a",
            "authlab:run-beef",
            "authlab:alive:run-beef",
            "someone:run-beef:x",
            "authlab:run-be*f:x",
        ] {
            assert_eq!(run_of(foreign), None, "{foreign}");
        }
    }
}
