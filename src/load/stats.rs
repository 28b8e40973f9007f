//! What the virtual users measured, kept in a few worker shards and merged once per tick.
//!
//! A request's outcome is recorded into its worker's shard under an uncontended lock: no channel
//! message per request, no sample kept beyond its histogram bucket. Every request, and every
//! open-model arrival, is opened as a [`Pending`] that must be finished with its outcome; one that
//! is dropped unfinished, because the run stopped and its task was cut, counts as `interrupted`, so
//! each is counted exactly once.

use std::ops::Deref;
use std::sync::atomic::{AtomicI64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::measure::{ConnectionFailure, ConnectionFailures, Latency, RequestCounts};

/// Shards per strategy; each virtual user always records into the same one.
const SHARDS: usize = 16;

/// How a request ended, as the lab classes failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Answered with a 2xx or 3xx status.
    Ok,
    /// Refused: a 401 or 403.
    Unauthorized,
    /// Any other status: a 5xx, or a 4xx other than 401 and 403.
    ServerError,
    /// No answer, and why: no node up, connection refused or reset, or timed out.
    Connection(ConnectionFailure),
}

impl Outcome {
    /// The class of an HTTP status.
    pub(crate) fn from_status(status: u16) -> Self {
        match status {
            200..=399 => Outcome::Ok,
            401 | 403 => Outcome::Unauthorized,
            _ => Outcome::ServerError,
        }
    }
}

/// Counts one request (or arrival) that ended with `outcome`.
fn count(counts: &mut RequestCounts, outcome: Outcome) {
    match outcome {
        Outcome::Ok => counts.ok += 1,
        Outcome::Unauthorized => counts.unauthorized += 1,
        Outcome::ServerError => counts.server_error += 1,
        Outcome::Connection(_) => counts.connection += 1,
    }
    if outcome != Outcome::Ok {
        counts.failed += 1;
    }
}

/// Everything measured in one interval (one shard's, or all merged).
#[derive(Debug, Clone, Default)]
pub struct TickStats {
    /// Requests that ended, by outcome (and those interrupted when the run stopped).
    pub requests: RequestCounts,
    /// `requests.connection` by reason.
    pub connection_failures: ConnectionFailures,
    /// Latency of every request that ended, in µs (open model: from its scheduled time).
    pub latency: Latency,
    /// Successful logins.
    pub logins: u64,
    /// Logins forced by a 401 in the middle of a visit.
    pub forced_relogins: u64,
    /// Token refreshes.
    pub refreshes: u64,
    /// Open model: arrivals sent more than 10 ms after their scheduled time.
    pub late: u64,
    /// Open model: arrivals never sent because too many requests were in flight.
    pub dropped: u64,
    /// Open model: requests scheduled (sent, late or dropped).
    pub arrivals: u64,
    /// Open model: how the arrivals that were sent ended (ok, failed by class, or interrupted).
    pub arrival_outcomes: RequestCounts,
    /// Bytes of Cookie/Authorization headers sent, and the requests that carried them.
    pub credential_bytes: u64,
    /// Requests that carried a credential header (the divisor of `credential_bytes`).
    pub credential_requests: u64,
}

impl TickStats {
    fn merge(&mut self, other: &TickStats) {
        self.requests.add(&other.requests);
        self.connection_failures.add(&other.connection_failures);
        self.latency.merge(&other.latency);
        self.logins += other.logins;
        self.forced_relogins += other.forced_relogins;
        self.refreshes += other.refreshes;
        self.late += other.late;
        self.dropped += other.dropped;
        self.arrivals += other.arrivals;
        self.arrival_outcomes.add(&other.arrival_outcomes);
        self.credential_bytes += other.credential_bytes;
        self.credential_requests += other.credential_requests;
    }
}

/// What a [`Pending`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PendingKind {
    Request,
    Arrival,
}

/// A request or an arrival on its way. Finish it with its outcome; dropped unfinished (its task
/// was cut when the run stopped), it counts as interrupted. Either way it is counted once.
/// A request borrows its stats (`Pending<&StrategyStats>`): no shared reference count touched per
/// request. An arrival, opened before its task is spawned, holds an `Arc`.
#[must_use = "a request dropped unfinished counts as interrupted"]
pub struct Pending<S: Deref<Target = StrategyStats>> {
    stats: S,
    worker: usize,
    kind: PendingKind,
    finished: bool,
}

impl<S: Deref<Target = StrategyStats>> Pending<S> {
    /// Finishes a request: its outcome, its latency and the credential bytes it carried.
    pub fn request(mut self, outcome: Outcome, latency: Duration, credential_bytes: usize) {
        debug_assert_eq!(self.kind, PendingKind::Request);
        self.stats.request(self.worker, outcome, latency, credential_bytes);
        self.finished = true;
    }

    /// Finishes an arrival with the outcome of the request that answered it (or of the failure
    /// that stopped it before: no node up, a refused login).
    pub fn arrival(mut self, outcome: Outcome) {
        debug_assert_eq!(self.kind, PendingKind::Arrival);
        self.stats.with(self.worker, |s| count(&mut s.arrival_outcomes, outcome));
        self.finished = true;
    }
}

impl<S: Deref<Target = StrategyStats>> Drop for Pending<S> {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let kind = self.kind;
        self.stats.with(self.worker, |s| match kind {
            PendingKind::Request => s.requests.interrupted += 1,
            PendingKind::Arrival => s.arrival_outcomes.interrupted += 1,
        });
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

    /// Opens a request of worker `worker`, to be finished with [`Pending::request`].
    pub fn begin_request(&self, worker: usize) -> Pending<&Self> {
        Pending { stats: self, worker, kind: PendingKind::Request, finished: false }
    }

    /// Opens an open-model arrival that was sent, to be finished with [`Pending::arrival`].
    pub fn begin_arrival(self: &Arc<Self>, worker: usize) -> Pending<Arc<Self>> {
        Pending { stats: self.clone(), worker, kind: PendingKind::Arrival, finished: false }
    }

    /// Records one request: its outcome, its latency and the credential bytes it carried. One
    /// that was never sent (no node was up) has no latency to record.
    pub fn request(&self, worker: usize, outcome: Outcome, latency: Duration, credential_bytes: usize) {
        self.with(worker, |s| {
            count(&mut s.requests, outcome);
            if let Outcome::Connection(why) = outcome {
                s.connection_failures.count(why);
            }
            if outcome != Outcome::Connection(ConnectionFailure::NoNodeUp) {
                s.latency.record_us(latency.as_micros() as u64);
            }
            if credential_bytes > 0 {
                s.credential_bytes += credential_bytes as u64;
                s.credential_requests += 1;
            }
        })
    }

    /// Counts `delta` virtual users as having logged in (+1) or lost their credential (-1).
    pub(crate) fn logged_in(&self, delta: i64) {
        self.logged_in.fetch_add(delta, Relaxed);
    }

    /// Virtual users holding a credential now (never below 0).
    pub(crate) fn users_logged_in(&self) -> u64 {
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
        stats.request(21, Outcome::Connection(ConnectionFailure::Refused), Duration::from_micros(300), 0);
        let t = stats.take();
        assert_eq!((t.requests.ok, t.requests.failed, t.requests.unauthorized, t.requests.connection), (1, 2, 1, 1));
        assert_eq!(t.latency.count(), 3);
        assert_eq!((t.credential_bytes, t.credential_requests), (52, 2));
        assert_eq!(stats.take().requests.total(), 0);
    }

    #[test]
    fn connection_failures_are_counted_by_reason_and_a_request_never_sent_has_no_latency() {
        let stats = StrategyStats::default();
        for (worker, why) in [
            (0, ConnectionFailure::Refused),
            (1, ConnectionFailure::Refused),
            (2, ConnectionFailure::TimedOut),
            (3, ConnectionFailure::Closed),
            (4, ConnectionFailure::NoNodeUp),
        ] {
            stats.request(worker, Outcome::Connection(why), Duration::from_millis(2), 0);
        }
        let t = stats.take();
        let f = t.connection_failures;
        assert_eq!((f.refused, f.timed_out, f.closed, f.no_node_up, f.other), (2, 1, 1, 1, 0));
        assert_eq!(f.total(), t.requests.connection, "the reasons sum to the connection failures");
        assert_eq!(t.latency.count(), 4, "the request that was never sent took no time to record");
    }

    #[test]
    fn a_pending_request_counts_once_finished_or_interrupted() {
        let stats = Arc::new(StrategyStats::default());
        stats.begin_request(1).request(Outcome::ServerError, Duration::from_micros(10), 0);
        drop(stats.begin_request(2));
        stats.begin_arrival(3).arrival(Outcome::Ok);
        drop(stats.begin_arrival(4));
        let t = stats.take();
        assert_eq!((t.requests.total(), t.requests.server_error, t.requests.interrupted), (1, 1, 1));
        assert_eq!(t.latency.count(), 1, "an interrupted request has no latency to record");
        assert_eq!((t.arrival_outcomes.ok, t.arrival_outcomes.interrupted), (1, 1));
        assert_eq!(Arc::strong_count(&stats), 1, "a finished or dropped request holds no reference");
    }
}
