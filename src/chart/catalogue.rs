//! The catalogue: every chart, in one entry each (its name in scenario files, its titles, its axis
//! and its lines with the way each reads a tick). Adding a chart is one entry here plus its texts.

use super::{
    Axis, BLUE, GREEN, GREY, Label, Line, NodeStack, ORANGE, OfForeign, PrimaryLines, RED, Sample, Scale, Spec,
};
use crate::i18n::Text;

const MIB: f64 = 1024.0 * 1024.0;

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

/// A tick without requests has no latency: no point rather than a zero.
fn latency(us: u64) -> Option<f64> {
    (us > 0).then(|| ms(us))
}

/// The shared store's memory in MiB, when the store is of `kind`.
fn store_memory(s: &Sample<'_>, kind: &str) -> Option<f64> {
    let store = s.tick.store.as_ref().filter(|store| store.kind == kind)?;
    store.used_memory.map(|bytes| bytes as f64 / MIB)
}

const fn linear(unit: Option<Text>, description: Text) -> Axis {
    Axis { unit, description, scale: Scale::Linear }
}

const fn text(text: Text) -> Label {
    Label::Text(text)
}

charts! {
    /// Successful requests per second.
    Throughput = "throughput" => Spec {
        title: Text::Throughput,
        figure_title: Text::ChartThroughput,
        axis: linear(Some(Text::RequestsPerSecond), Text::RequestsPerSecond),
        nodes: None,
        primaries: None,
        of_foreign: OfForeign::Drawn,
        lines: &[Line::new(text(Text::RequestsPerSecond), BLUE, |s| Some(s.tick.throughput_rps))],
    },
    /// Latency p50, p99, p99.9.
    Latency = "latency" => Spec {
        title: Text::Latency,
        figure_title: Text::ChartLatency,
        axis: Axis { unit: Some(Text::Milliseconds), description: Text::ChartAxisLatencyLog, scale: Scale::Log },
        nodes: None,
        primaries: None,
        of_foreign: OfForeign::Drawn,
        lines: &[
            Line::new(Label::Plain("p50"), GREEN, |s| latency(s.tick.latency_us.summary.p50)),
            Line::new(Label::Plain("p99"), ORANGE, |s| latency(s.tick.latency_us.summary.p99)),
            Line::new(Label::Plain("p99.9"), RED, |s| latency(s.tick.latency_us.summary.p999)),
        ],
    },
    /// Heap per node (stacked), and the shared store's memory.
    Memory = "memory" => Spec {
        title: Text::Memory,
        figure_title: Text::ChartMemory,
        axis: linear(Some(Text::Mebibytes), Text::Mebibytes),
        nodes: Some(NodeStack { value: |node| node.heap_bytes as f64 / MIB, of_process: |node| node.rss_bytes as f64 / MIB }),
        primaries: Some(PrimaryLines { label: Text::PrimaryMemoryLine, value: |p| p.used_memory.map(|bytes| bytes as f64 / MIB) }),
        of_foreign: OfForeign::Process,
        // Only a shared store reports its memory; wide, as it stands over the nodes' heap.
        lines: &[
            Line::new(text(Text::ChartStoreUsedMemory), RED, |s| store_memory(s, "redis")).width(3).optional(),
            Line::new(text(Text::ChartStoreTableSize), RED, |s| store_memory(s, "postgres")).width(3).optional(),
            // A Redis Cluster: the sum (each primary's own is a line of its own).
            Line::new(text(Text::ChartClusterUsedMemory), RED, |s| store_memory(s, "redis-cluster")).width(3).optional(),
        ],
    },
    /// Users logged in against sessions held.
    Users = "users" => Spec {
        title: Text::Users,
        figure_title: Text::ChartUsers,
        axis: linear(None, Text::ChartAxisCount),
        nodes: None,
        primaries: None,
        of_foreign: OfForeign::Drawn,
        lines: &[
            // Wide: sessions held, drawn over it, often equals it.
            Line::new(text(Text::UsersLoggedIn), BLUE, |s| Some(s.tick.users_logged_in as f64)).width(5),
            // A foreign target's sessions are inside it, where the lab cannot count them.
            Line::new(text(Text::SessionsHeld), ORANGE, |s| s.tick.foreign.is_none().then_some(s.tick.sessions_held as f64)),
        ],
    },
    /// Failed requests per second, by class.
    Errors = "errors" => Spec {
        title: Text::Errors,
        figure_title: Text::ChartErrors,
        axis: linear(Some(Text::RequestsPerSecond), Text::ChartAxisErrorsPerSecond),
        nodes: None,
        primaries: None,
        of_foreign: OfForeign::Drawn,
        // Widest first, so classes that coincide (all at zero, say) all stay visible.
        lines: &[
            Line::new(text(Text::Unauthorized), ORANGE, |s| Some(s.per_second(s.tick.requests.unauthorized))).width(4),
            Line::new(text(Text::ServerError), RED, |s| Some(s.per_second(s.tick.requests.server_error))).width(3),
            Line::new(text(Text::Connection), GREY, |s| Some(s.per_second(s.tick.requests.connection))),
        ],
    },
    /// Node CPU time per request served, in µs, and the load driver's per request it made.
    CpuPerRequest = "cpu_per_request" => Spec {
        title: Text::CpuPerRequest,
        figure_title: Text::CpuPerRequest,
        axis: linear(Some(Text::Microseconds), Text::Microseconds),
        nodes: None,
        primaries: None,
        of_foreign: OfForeign::Process,
        lines: &[
            Line::new(text(Text::CpuPerRequestLine), BLUE, |s: &Sample<'_>| {
                (s.tick.server_requests > 0).then(|| s.cpu_seconds * 1e6 / s.tick.server_requests as f64)
            }),
            // The driver's own cost, on the same machine: what it takes from the nodes.
            Line::new(text(Text::DriverCpuPerRequestLine), GREY, |s: &Sample<'_>| {
                let driver = s.tick.driver?;
                (s.tick.requests.total() > 0).then(|| driver.cpu_seconds * 1e6 / s.tick.requests.total() as f64)
            })
            .optional(),
        ],
    },
    /// Mean time of the nodes' auth checks, in µs.
    AuthCheck = "auth_check" => Spec {
        title: Text::AuthCheck,
        figure_title: Text::AuthCheck,
        axis: linear(Some(Text::Microseconds), Text::Microseconds),
        nodes: None,
        primaries: None,
        of_foreign: OfForeign::NotMeasured,
        lines: &[Line::new(text(Text::AuthCheckLine), GREEN, |s| s.tick.auth_check_us())],
    },
    /// Credential bytes each request carries (cookie or bearer header).
    BytesPerRequest = "bytes_per_request" => Spec {
        title: Text::BytesPerRequest,
        figure_title: Text::BytesPerRequest,
        axis: linear(Some(Text::Bytes), Text::Bytes),
        nodes: None,
        primaries: None,
        of_foreign: OfForeign::Drawn,
        // A tick without requests carried no credential: no point rather than a zero.
        lines: &[Line::new(text(Text::BytesPerRequestLine), ORANGE, |s| {
            Some(s.tick.credential_bytes_per_request).filter(|&bytes| bytes > 0.0)
        })],
    },
    /// Shared-store operations per second.
    StoreOps = "store_ops" => Spec {
        title: Text::StoreOps,
        figure_title: Text::StoreOps,
        axis: linear(Some(Text::OpsPerSecond), Text::OpsPerSecond),
        nodes: None,
        primaries: Some(PrimaryLines { label: Text::PrimaryOpsLine, value: |p| p.ops_per_sec.map(|ops| ops as f64) }),
        of_foreign: OfForeign::NotMeasured,
        lines: &[
            Line::new(text(Text::StoreOpsLine), RED, |s| s.tick.store.as_ref().map(|store| s.per_second(store.ops)))
                .width(3),
        ],
    },
    /// A Redis Cluster's sessions, per primary: each holds a share.
    StorePrimaries = "store_primaries" => Spec {
        title: Text::StorePrimaries,
        figure_title: Text::StorePrimaries,
        axis: linear(None, Text::ChartAxisCount),
        nodes: None,
        primaries: Some(PrimaryLines { label: Text::PrimaryLine, value: |p| Some(p.sessions as f64) }),
        of_foreign: OfForeign::NotMeasured,
        lines: &[],
    },
    /// The store server's CPU time per request served, in µs (PostgreSQL on this machine).
    StoreCpu = "store_cpu" => Spec {
        title: Text::StoreCpu,
        figure_title: Text::StoreCpu,
        axis: linear(Some(Text::Microseconds), Text::Microseconds),
        nodes: None,
        primaries: None,
        of_foreign: OfForeign::NotMeasured,
        lines: &[Line::new(text(Text::StoreCpuLine), RED, |s: &Sample<'_>| {
            let seconds = s.tick.store.as_ref()?.cpu_seconds?;
            (s.tick.server_requests > 0).then(|| seconds * 1e6 / s.tick.server_requests as f64)
        })
        .optional()],
    },
    /// The session table's rows, and the dead row versions its deletes leave for vacuum.
    StoreRows = "store_rows" => Spec {
        title: Text::StoreRows,
        figure_title: Text::StoreRows,
        axis: linear(None, Text::ChartAxisCount),
        nodes: None,
        primaries: None,
        of_foreign: OfForeign::NotMeasured,
        lines: &[
            Line::new(text(Text::StoreRowsLine), BLUE, |s| {
                s.tick.store.as_ref().filter(|store| store.kind == "postgres")?.keys.map(|rows| rows as f64)
            })
            .optional(),
            Line::new(text(Text::DeadTuplesLine), GREY, |s| {
                s.tick.store.as_ref()?.dead_tuples.map(|dead| dead as f64)
            })
            .optional(),
        ],
    },
    /// Entries on the token denylist.
    Denylist = "denylist" => Spec {
        title: Text::DenylistEntries,
        figure_title: Text::DenylistEntries,
        axis: linear(None, Text::ChartAxisCount),
        nodes: None,
        primaries: None,
        of_foreign: OfForeign::NotMeasured,
        lines: &[
            Line::new(text(Text::DenylistLine), RED, |s| Some(s.tick.denylist_entries as f64)).width(4),
            Line::new(text(Text::RevokedUsersLine), ORANGE, |s| Some(s.tick.revoked_users as f64)),
        ],
    },
    /// Nodes up.
    Nodes = "nodes" => Spec {
        title: Text::NodesUp,
        figure_title: Text::NodesUp,
        axis: linear(None, Text::ChartAxisCount),
        nodes: None,
        primaries: None,
        of_foreign: OfForeign::Drawn,
        lines: &[Line::new(text(Text::NodesUpLine), GREEN, |s| {
            Some(s.tick.nodes.iter().filter(|node| node.up).count() as f64)
        })],
    },
    /// `[resource]`: the resource service's requests/s, and its calls to the issuer/s.
    IssuerCalls = "issuer_calls" => Spec {
        title: Text::IssuerCalls,
        figure_title: Text::IssuerCalls,
        axis: linear(Some(Text::RequestsPerSecond), Text::RequestsPerSecond),
        nodes: None,
        primaries: None,
        of_foreign: OfForeign::NotMeasured,
        lines: &[
            Line::new(text(Text::ResourceRequestsLine), BLUE, |s| {
                s.tick.resource.as_ref().map(|resource| s.per_second(resource.requests))
            }),
            Line::new(text(Text::IssuerCallsLine), RED, |s| {
                s.tick.resource.as_ref().map(|resource| s.per_second(resource.issuer_calls))
            }),
        ],
    },
}
