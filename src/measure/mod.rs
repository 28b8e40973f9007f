//! The measurement vocabulary every consumer shares: what a tick holds (latency, request counts,
//! node and store samples, histogram buckets), how a range of ticks is re-aggregated, a run's summary, and how its
//! numbers are printed.
//!
//! It is a leaf: the engine, the load driver, recordings, reports and the app all depend on it, and
//! it depends on none of them.

pub mod buckets;
pub mod figures;
pub(crate) mod format;
pub mod names;
pub mod range;
pub mod summary;
pub mod tick;

pub use names::{Action, StrategyName};
pub use range::{ArrivalBooks, MemorySpan, NodePeak, PrimaryPeak, RangeStats};
pub use summary::{EventSummary, RunSummary, StrategySummary, render_table};
pub use tick::{
    ConnectionFailure, ConnectionFailures, DriverTick, EventRecord, EventSource, ForeignTick, Latency, LatencyRecord,
    LatencySummary, MAX_LATENCY_US, MeasuredBy, NodeTick, PrimaryTick, RequestCounts, ResourceTick, StoreTick,
    StrategyTick, Tick,
};

/// The element of `list` that `matches`, or a new one from `make` pushed at its end: how the
/// per-node and per-primary figures keep each node or primary in order of first appearance.
pub(crate) fn find_or_push<T>(list: &mut Vec<T>, matches: impl Fn(&T) -> bool, make: impl FnOnce() -> T) -> &mut T {
    let index = match list.iter().position(matches) {
        Some(index) => index,
        None => {
            list.push(make());
            list.len() - 1
        }
    };
    &mut list[index]
}
