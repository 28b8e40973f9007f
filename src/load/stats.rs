//! What the virtual users measured, kept in a few worker shards and merged once per tick.
//!
//! A request's outcome is recorded into its worker's shard under an uncontended lock: no channel
//! message per request, no sample kept beyond its histogram bucket.

use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering::Relaxed};
use std::time::Duration;

use crate::engine::tick::{Latency, RequestCounts};

/// Shards per strategy; each virtual user always records into the same one.
const SHARDS: usize = 16;

/// How a request ended, as the lab classes failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Unauthorized,
    ServerError,
    Connection,
}

impl Outcome {
    pub fn from_status(status: u16) -> Self {
        match status {
            200..=399 => Outcome::Ok,
            401 | 403 => Outcome::Unauthorized,
            _ => Outcome::ServerError,
        }
    }
}

/// Everything measured in one interval (one shard's, or all merged).
#[derive(Debug, Clone, Default)]
pub struct TickStats {
    pub requests: RequestCounts,
    pub latency: Latency,
    pub logins: u64,
    pub forced_relogins: u64,
    pub refreshes: u64,
    pub late: u64,
    pub dropped: u64,
    /// Open model: requests scheduled (sent, late or dropped).
    pub arrivals: u64,
    /// Bytes of Cookie/Authorization headers sent, and the requests that carried them.
    pub credential_bytes: u64,
    pub credential_requests: u64,
}

impl TickStats {
    fn merge(&mut self, other: &TickStats) {
        self.requests.add(&other.requests);
        self.latency.merge(&other.latency);
        self.logins += other.logins;
        self.forced_relogins += other.forced_relogins;
        self.refreshes += other.refreshes;
        self.late += other.late;
        self.dropped += other.dropped;
        self.arrivals += other.arrivals;
        self.credential_bytes += other.credential_bytes;
        self.credential_requests += other.credential_requests;
    }
}

/// The statistics of one strategy's virtual users.
#[derive(Debug)]
pub struct StrategyStats {
    shards: Vec<Mutex<TickStats>>,
    /// Virtual users holding a credential right now, as the clients see it.
    logged_in: AtomicI64,
}

impl Default for StrategyStats {
    fn default() -> Self {
        Self { shards: (0..SHARDS).map(|_| Mutex::new(TickStats::default())).collect(), logged_in: AtomicI64::new(0) }
    }
}

impl StrategyStats {
    /// Runs `f` on the shard of worker `worker`.
    pub fn with<R>(&self, worker: usize, f: impl FnOnce(&mut TickStats) -> R) -> R {
        let mut shard = self.shards[worker % SHARDS].lock().unwrap_or_else(|p| p.into_inner());
        f(&mut shard)
    }

    /// Records one request: its outcome, its latency and the credential bytes it carried.
    pub fn request(&self, worker: usize, outcome: Outcome, latency: Duration, credential_bytes: usize) {
        self.with(worker, |s| {
            match outcome {
                Outcome::Ok => s.requests.ok += 1,
                Outcome::Unauthorized => s.requests.unauthorized += 1,
                Outcome::ServerError => s.requests.server_error += 1,
                Outcome::Connection => s.requests.connection += 1,
            }
            if outcome != Outcome::Ok {
                s.requests.failed += 1;
            }
            s.latency.record_us(latency.as_micros() as u64);
            if credential_bytes > 0 {
                s.credential_bytes += credential_bytes as u64;
                s.credential_requests += 1;
            }
        })
    }

    pub fn logged_in(&self, delta: i64) {
        self.logged_in.fetch_add(delta, Relaxed);
    }

    pub fn users_logged_in(&self) -> u64 {
        self.logged_in.load(Relaxed).max(0) as u64
    }

    /// Takes what every shard measured since the last call, merged.
    pub fn take(&self) -> TickStats {
        let mut total = TickStats::default();
        for shard in &self.shards {
            let taken = std::mem::take(&mut *shard.lock().unwrap_or_else(|p| p.into_inner()));
            total.merge(&taken);
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_merge_and_reset_on_take() {
        let stats = StrategyStats::default();
        stats.request(0, Outcome::Ok, Duration::from_micros(100), 26);
        stats.request(5, Outcome::Unauthorized, Duration::from_micros(200), 26);
        stats.request(21, Outcome::Connection, Duration::from_micros(300), 0);
        let t = stats.take();
        assert_eq!((t.requests.ok, t.requests.failed, t.requests.unauthorized, t.requests.connection), (1, 2, 1, 1));
        assert_eq!(t.latency.count(), 3);
        assert_eq!((t.credential_bytes, t.credential_requests), (52, 2));
        assert_eq!(stats.take().requests.total(), 0);
    }
}
