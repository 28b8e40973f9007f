//! The projection: measured unit costs multiplied out to a population the user gives, with what
//! each figure came from and how far beyond the measured range it reaches.

use serde::Serialize;

use super::costs::{UnitCost, UnitCosts};
use super::notes::{Figure, Note};
use crate::measure::StrategyName;
use crate::session_store::memory_store_table_bytes;
use crate::session_store::tables::redis_table_bytes;
use crate::token::keys::Alg;

/// What to project to.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Inputs {
    /// Logged-in users: sessions held on the session side, refresh families on the token side.
    pub users: u64,
    /// Requests per second to the protected API.
    pub rps: f64,
    /// Logins per second.
    pub logins_per_s: f64,
    /// Logouts per second: each puts a live access token on the denylist, where there is one.
    pub logouts_per_s: f64,
    /// Client connections open to the nodes at once (each holds the server's buffers).
    pub connections: u64,
    /// Session (and access-token) lifetime, seconds: how long a denylist entry lives.
    pub ttl_s: f64,
    /// One machine's RAM, bytes.
    pub machine_ram_bytes: u64,
    /// One machine's cores.
    pub machine_cores: u32,
    /// The token nodes' signing algorithm, where it is not the run's: its auth check and token
    /// size are measured here and the difference applied (`None`: the run's).
    #[serde(serialize_with = "algorithm_name")]
    pub algorithm: Option<Alg>,
    /// Bytes of user data in each session, where not the run's (`None`: the run's).
    pub payload_bytes: Option<usize>,
    /// Optional unit prices; with none, no cost is given.
    pub prices: Prices,
}

fn algorithm_name<S: serde::Serializer>(alg: &Option<Alg>, serializer: S) -> Result<S::Ok, S::Error> {
    match alg {
        Some(alg) => serializer.serialize_str(alg.name()),
        None => serializer.serialize_none(),
    }
}

impl Default for Inputs {
    /// 10M logged-in users at 100k requests/s, 1k logins and 1k logouts a second, 10k open
    /// connections, 30-minute sessions, on machines of 16 GiB and 8 cores, with no prices.
    fn default() -> Self {
        Inputs {
            users: 10_000_000,
            rps: 100_000.0,
            logins_per_s: 1_000.0,
            logouts_per_s: 1_000.0,
            connections: 10_000,
            ttl_s: 1800.0,
            machine_ram_bytes: 16 << 30,
            machine_cores: 8,
            algorithm: None,
            payload_bytes: None,
            prices: Prices::default(),
        }
    }
}

/// Unit prices the user sets; the lab takes none from any vendor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Prices {
    /// Per GB (10⁹ bytes) of RAM per month.
    pub ram_gb_month: Option<f64>,
    /// Per core per month.
    pub core_month: Option<f64>,
    /// Per GB of egress.
    pub egress_gb: Option<f64>,
}

/// Memory a strategy needs, bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct MemoryBytes {
    /// On the auth nodes (sessions in memory, or refresh families and denylist entries).
    pub nodes: f64,
    /// In the shared store.
    pub store: f64,
    /// Both.
    pub total: f64,
    /// Of `total`, the hash tables' buckets, which grow in doubling steps (the memory store's
    /// shards and user index, Redis's dicts): modelled as those steps, not as a line.
    pub tables: f64,
    /// Of `nodes`, the open connections' buffers.
    pub connections: f64,
}

/// CPU cores a strategy needs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct CpuCores {
    /// For the auth checks alone.
    pub auth_check: f64,
    /// For the nodes' whole work: requests and logins.
    pub total: f64,
    /// For the shared store's server, where its CPU was measured.
    pub store: Option<f64>,
}

/// The range the unit costs were measured over.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct MeasuredRange {
    /// The most sessions the run held.
    pub sessions_max: u64,
    /// The highest requests/s it reached.
    pub rps_max: f64,
}

/// One strategy's projection.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StrategyProjection {
    /// The unit costs it multiplies out (0 where not measured).
    pub unit: Unit,
    /// Memory, on the nodes and in the store.
    pub memory_bytes: MemoryBytes,
    /// CPU cores.
    pub cpu_cores: CpuCores,
    /// Store operations per second.
    pub store_ops_per_s: f64,
    /// Credential bytes on the wire per second.
    pub credential_bytes_per_s: f64,
    /// Machines of the given size the nodes need: the larger of RAM and cores.
    pub machines: u64,
    /// A month's cost at the given prices, where any price is given.
    pub monthly_cost: Option<f64>,
    /// The measured range.
    pub measured_range: MeasuredRange,
    /// Each projected figure's origin and extrapolation (in words: [`Note::text`]; the JSON
    /// holds the English sentences).
    pub notes: Vec<Note>,
    /// The unit costs in full: value, spread, source, range.
    pub unit_costs: UnitCosts,
}

/// The unit costs a projection used, flat (the JSON contract's `unit`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Unit {
    /// Node heap bytes per session held.
    pub heap_bytes_per_session: f64,
    /// Store bytes per session.
    pub store_bytes_per_session: f64,
    /// The nodes' CPU µs per request (logins apart where they could be told apart).
    pub cpu_us_per_request: f64,
    /// Auth-check µs per request.
    pub auth_check_us_per_request: f64,
    /// Credential bytes per request.
    pub credential_bytes_per_request: f64,
    /// CPU µs per login.
    pub login_cpu_us: f64,
    /// Store operations per request.
    pub store_ops_per_request: f64,
    /// Token nodes: bytes per refresh family (one per logged-in user).
    pub refresh_bytes_per_login: f64,
    /// Token nodes: bytes per denylist entry.
    pub denylist_bytes_per_entry: f64,
    /// Node heap bytes per open client connection.
    pub connection_bytes: f64,
    /// CPU cores a node spends being up, whatever it serves.
    pub idle_cores_per_node: f64,
}

/// A whole projection: its inputs, and each strategy the recording measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Projection {
    /// What was projected to.
    pub inputs: Inputs,
    /// By strategy name (`session`, `token`).
    pub strategies: std::collections::BTreeMap<String, StrategyProjection>,
}

fn value(cost: &Option<UnitCost>) -> f64 {
    cost.as_ref().map_or(0.0, |c| c.value.max(0.0))
}

/// Projects `costs`, measured for `strategy`, to `inputs`.
pub fn project(strategy: StrategyName, costs: &UnitCosts, inputs: &Inputs) -> StrategyProjection {
    let users = inputs.users as f64;
    let mut unit = Unit {
        heap_bytes_per_session: value(&costs.heap_bytes_per_session),
        store_bytes_per_session: value(&costs.store_bytes_per_session),
        cpu_us_per_request: value(&costs.cpu_us_per_request),
        auth_check_us_per_request: value(&costs.auth_check_us_per_request),
        credential_bytes_per_request: value(&costs.credential_bytes_per_request),
        login_cpu_us: value(&costs.login_cpu_us),
        store_ops_per_request: value(&costs.store_ops_per_request),
        refresh_bytes_per_login: value(&costs.refresh_bytes_per_login),
        denylist_bytes_per_entry: value(&costs.denylist_bytes_per_entry),
        connection_bytes: value(&costs.connection_bytes),
        idle_cores_per_node: value(&costs.idle_cpu_us_per_node_second) / 1e6,
    };
    let range = MeasuredRange { sessions_max: costs.sessions_max, rps_max: costs.rps_max };
    let mut notes = Vec::new();
    let other = match strategy {
        StrategyName::Token => other_algorithm(&mut unit, costs, inputs.algorithm),
        StrategyName::Session => other_payload(&mut unit, costs, inputs.payload_bytes),
    };
    notes.extend(other);
    // The work, and each machine's idle share on top: machines by cores are those whose cores
    // less their idle share carry the work.
    let work = inputs.rps * unit.cpu_us_per_request / 1e6 + inputs.logins_per_s * unit.login_cpu_us / 1e6;
    let cores = f64::from(inputs.machine_cores.max(1));
    let by_cores = (work / (cores - unit.idle_cores_per_node).max(cores / 2.0)).ceil().max(1.0);
    let machines_for = |node_bytes: f64| (node_bytes / inputs.machine_ram_bytes.max(1) as f64).ceil().max(by_cores);
    let cpu_on = |machines: f64| work + machines * unit.idle_cores_per_node;
    let connections = inputs.connections as f64 * unit.connection_bytes;
    let mut tables = 0.0;
    let shared_store = costs.store_kind.as_deref().is_some_and(|kind| kind != "memory");
    let per_user = match strategy {
        StrategyName::Session if shared_store => {
            notes.push(Note::SessionsInStore { heap_bytes_per_session: unit.heap_bytes_per_session });
            notes.push(Note::AuthCheckIncludesStore);
            unit.heap_bytes_per_session = 0.0;
            0.0
        }
        StrategyName::Session => {
            notes.push(Note::Reach {
                figure: Figure::NodeMemory,
                measured: costs.sessions_max as f64,
                projected: users,
            });
            // Each machine holds its share of the sessions in tables of its own, which double in
            // steps: the machines are counted from the linear part, then the steps added.
            let linear = users * unit.heap_bytes_per_session;
            let machines = machines_for(linear + connections);
            if costs.heap_bytes_per_session.is_some() && users > 0.0 {
                tables = machines * memory_store_table_bytes(users / machines);
                notes.push(Note::Tables { figure: Figure::NodeMemory, bytes: tables, machines });
            }
            linear + tables
        }
        StrategyName::Token => {
            // Each logged-in user holds one refresh family; each logout's token waits out its
            // lifetime on the denylist, where there is one: logouts/s × TTL entries (Little's law).
            let families = users * unit.refresh_bytes_per_login;
            let entries = inputs.logouts_per_s * inputs.ttl_s;
            notes.push(Note::TokenMemory {
                refresh_bytes_per_login: unit.refresh_bytes_per_login,
                denylist_bytes_per_entry: unit.denylist_bytes_per_entry,
            });
            if costs.denylist_bytes_per_entry.is_some() {
                notes.push(Note::Denylist { entries, measured: costs.denylist_entries_max as f64 });
            }
            families + entries * unit.denylist_bytes_per_entry
        }
    };
    notes.push(match costs.connection_bytes {
        Some(_) => Note::Connections {
            bytes_per_connection: unit.connection_bytes,
            measured: costs.connections_max as f64,
            projected: inputs.connections as f64,
        },
        None => Note::ConnectionsNotMeasured,
    });
    let nodes = per_user + connections;
    let mut store = users * unit.store_bytes_per_session;
    if costs.store_bytes_per_session.is_some() {
        notes.push(Note::Reach { figure: Figure::StoreMemory, measured: costs.sessions_max as f64, projected: users });
        if costs.store_kind.as_deref() == Some("redis") {
            let keys_per_session = costs.store_keys_per_session.as_ref().map_or(1.0, |k| k.value);
            let buckets = redis_table_bytes((users * keys_per_session).round() as u64) as f64;
            notes.push(Note::Tables { figure: Figure::StoreMemory, bytes: buckets, machines: 1.0 });
            store += buckets;
            tables += buckets;
        }
    }
    notes.push(Note::Reach { figure: Figure::Cpu, measured: costs.rps_max, projected: inputs.rps });
    if costs.login_cpu_us.is_none() {
        notes.push(Note::LoginCpuInsideRequests);
    }
    let machines = machines_for(nodes);
    let cpu_total = cpu_on(machines);
    if costs.idle_cpu_us_per_node_second.is_some() {
        notes.push(Note::IdleCpu { cores_per_node: unit.idle_cores_per_node, machines });
    }
    let cpu = CpuCores {
        auth_check: inputs.rps * unit.auth_check_us_per_request / 1e6,
        total: cpu_total,
        store: costs.store_cpu_us_per_request.as_ref().map(|c| inputs.rps * c.value.max(0.0) / 1e6),
    };
    let memory = MemoryBytes { nodes, store, total: nodes + store, tables, connections };
    let credential_bytes_per_s = inputs.rps * unit.credential_bytes_per_request;
    let prices = inputs.prices;
    let monthly_cost = (prices.ram_gb_month.is_some() || prices.core_month.is_some() || prices.egress_gb.is_some())
        .then(|| {
            memory.total / 1e9 * prices.ram_gb_month.unwrap_or(0.0)
                + (cpu_total + cpu.store.unwrap_or(0.0)) * prices.core_month.unwrap_or(0.0)
                + credential_bytes_per_s * MONTH_S / 1e9 * prices.egress_gb.unwrap_or(0.0)
        });
    StrategyProjection {
        unit,
        memory_bytes: memory,
        cpu_cores: cpu,
        store_ops_per_s: inputs.rps * unit.store_ops_per_request,
        credential_bytes_per_s,
        machines: machines as u64,
        monthly_cost,
        measured_range: range,
        notes,
        unit_costs: costs.clone(),
    }
}

/// Moves a session run's bytes per session to `wanted` payload bytes, one byte per byte: where the
/// sessions are (the node's heap, or the shared store).
fn other_payload(unit: &mut Unit, costs: &UnitCosts, wanted: Option<usize>) -> Option<Note> {
    let wanted = wanted?;
    let Some(ran) = costs.payload_bytes else { return Some(Note::PayloadUnknown { wanted }) };
    if ran == wanted {
        return None;
    }
    let delta = wanted as f64 - ran as f64;
    let shared = costs.store_kind.as_deref().is_some_and(|kind| kind != "memory");
    let per_session = if shared { &mut unit.store_bytes_per_session } else { &mut unit.heap_bytes_per_session };
    *per_session = (*per_session + delta).max(0.0);
    Some(Note::Payload { ran, wanted, store: if shared { costs.store_kind.clone() } else { None } })
}

/// Moves a token run's auth check, CPU per request and credential bytes to `wanted`, by the
/// difference between it and the run's algorithm as measured here; the note says what was done.
fn other_algorithm(unit: &mut Unit, costs: &UnitCosts, wanted: Option<Alg>) -> Option<Note> {
    let wanted = wanted?;
    let Some((ran, claims_bytes)) = costs.algorithm else { return Some(Note::AlgorithmUnknown { wanted }) };
    if ran == wanted {
        return None;
    }
    let (Ok(from), Ok(to)) =
        (super::algorithm::measure(ran, claims_bytes), super::algorithm::measure(wanted, claims_bytes))
    else {
        return Some(Note::AlgorithmUnknown { wanted });
    };
    let check_us = to.check_us - from.check_us;
    let bytes = to.token_bytes as f64 - from.token_bytes as f64;
    unit.auth_check_us_per_request = (unit.auth_check_us_per_request + check_us).max(0.0);
    unit.cpu_us_per_request = (unit.cpu_us_per_request + check_us).max(0.0);
    unit.credential_bytes_per_request = (unit.credential_bytes_per_request + bytes).max(0.0);
    Some(Note::Algorithm { ran, wanted, check_us, bytes })
}

/// Seconds in the month prices are per (30 days).
pub const MONTH_S: f64 = 30.0 * 24.0 * 3600.0;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::projection::costs::Span;

    fn cost(value: f64) -> Option<UnitCost> {
        let span = Span { t_from: 0.0, t_to: 10.0, ticks: 40, x_min: 0.0, x_max: 80_000.0 };
        Some(UnitCost { value, spread: 0.0, source: "test", measured_over: span })
    }

    #[test]
    fn session_memory_grows_with_users_and_says_how_far_it_reaches() {
        let costs = UnitCosts {
            heap_bytes_per_session: cost(500.0),
            cpu_us_per_request: cost(40.0),
            auth_check_us_per_request: cost(2.0),
            credential_bytes_per_request: cost(57.0),
            sessions_max: 80_000,
            rps_max: 2_000.0,
            ..UnitCosts::default()
        };
        let inputs = Inputs { prices: Prices { ram_gb_month: Some(3.0), ..Prices::default() }, ..Inputs::default() };
        let p = project(StrategyName::Session, &costs, &inputs);
        let tables = memory_store_table_bytes(1e7);
        assert_eq!(p.memory_bytes.nodes, 5e9 + tables, "10M sessions × 500 B, and the tables' steps");
        assert_eq!(p.memory_bytes.tables, tables);
        assert!(tables > 1e9 && tables < 4e9, "10M sessions' buckets on one machine: {tables}");
        assert_eq!(p.cpu_cores.total, 4.0, "100k requests/s × 40 µs");
        assert_eq!(p.cpu_cores.auth_check, 0.2);
        assert_eq!(p.credential_bytes_per_s, 5.7e6);
        assert_eq!(p.machines, 1, "5 GB fits 16 GiB and 4 cores fit 8");
        assert_eq!(p.monthly_cost, Some((5e9 + tables) / 1e9 * 3.0), "GB at 3 per GB-month");
        let memory_note = p.notes[0].to_string();
        assert!(
            memory_note.contains("measured up to 80k sessions; projected to 10M: ×125, assumes linear growth"),
            "{memory_note}"
        );
    }

    #[test]
    fn machines_are_the_larger_of_ram_and_cores() {
        let costs =
            UnitCosts { heap_bytes_per_session: cost(4000.0), cpu_us_per_request: cost(10.0), ..UnitCosts::default() };
        let p = project(StrategyName::Session, &costs, &Inputs::default());
        // 40 GB of sessions (and under 1 GB of their tables) on 16 GiB machines: 3; 1 core: 1.
        assert_eq!(p.machines, 3);
        assert_eq!(p.monthly_cost, None, "no price, no cost");
    }

    #[test]
    fn a_denylist_holds_logouts_for_a_lifetime_and_connections_cost_what_they_hold() {
        let costs = UnitCosts {
            denylist_bytes_per_entry: cost(100.0),
            connection_bytes: cost(20_000.0),
            connections_max: 60,
            ..UnitCosts::default()
        };
        let inputs = Inputs { logouts_per_s: 50.0, ttl_s: 600.0, connections: 1_000, ..Inputs::default() };
        let p = project(StrategyName::Token, &costs, &inputs);
        // 50 logouts/s × 600 s = 30,000 entries of 100 B; 1,000 connections of 20 kB.
        assert_eq!(p.memory_bytes.nodes, 3e6 + 2e7);
        assert_eq!(p.memory_bytes.connections, 2e7);
        let notes: Vec<String> = p.notes.iter().map(ToString::to_string).collect();
        assert!(notes.iter().any(|n| n.contains("30k entries held at once")), "{notes:?}");
        assert!(notes.iter().any(|n| n.contains("20000 B per open connection × 1k connections")), "{notes:?}");
        let without = project(StrategyName::Token, &UnitCosts::default(), &inputs);
        assert!(without.notes.contains(&Note::ConnectionsNotMeasured), "{:?}", without.notes);
    }

    #[test]
    fn redis_memory_adds_its_dicts_buckets_in_powers_of_two() {
        let costs = UnitCosts {
            store_bytes_per_session: cost(600.0),
            store_keys_per_session: cost(2.0),
            store_kind: Some("redis".into()),
            ..UnitCosts::default()
        };
        let p = project(StrategyName::Session, &costs, &Inputs { users: 5_000_000, ..Inputs::default() });
        // 10M keys: 2^24 buckets in each of two dicts, 8 B each.
        assert_eq!(p.memory_bytes.store, 5e6 * 600.0 + 2.0 * 8.0 * 16_777_216.0);
        assert_eq!(p.memory_bytes.nodes, 0.0, "the sessions are in the store");
    }

    #[test]
    fn another_algorithm_moves_the_token_costs_by_what_it_measures_here() {
        let costs = UnitCosts {
            auth_check_us_per_request: cost(3.0),
            cpu_us_per_request: cost(50.0),
            credential_bytes_per_request: cost(350.0),
            algorithm: Some((Alg::HS256, 0)),
            ..UnitCosts::default()
        };
        let ran = project(StrategyName::Token, &costs, &Inputs::default());
        let es = project(StrategyName::Token, &costs, &Inputs { algorithm: Some(Alg::ES256), ..Inputs::default() });
        assert_eq!(ran.unit.credential_bytes_per_request, 350.0, "the run's own algorithm changes nothing");
        assert_eq!(es.unit.credential_bytes_per_request, 393.0, "a 64-byte signature, not a 32-byte MAC");
        let more = es.unit.auth_check_us_per_request - 3.0;
        assert!(more > 0.0 && (es.unit.cpu_us_per_request - 50.0 - more).abs() < 1e-9, "{:?}", es.unit);
        assert!(
            es.notes.iter().any(|n| n.to_string().starts_with("ES256 instead of the run's HS256")),
            "{:?}",
            es.notes
        );
        let unknown = UnitCosts { algorithm: None, ..costs };
        let p = project(StrategyName::Token, &unknown, &Inputs { algorithm: Some(Alg::ES256), ..Inputs::default() });
        assert!(p.notes.contains(&Note::AlgorithmUnknown { wanted: Alg::ES256 }));
    }
}
