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
