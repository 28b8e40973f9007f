//! The notes under a projection: what each figure came from and how far beyond the measured
//! range it reaches, kept as data so that the app can say them in Korean; in English they are
//! the sentences `authlab project`, its JSON and summary.md print.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::i18n::{Language, Text};
use crate::measure::format::short_count as short;
use crate::token::keys::Alg;

/// A figure a [`Note::Reach`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Figure {
    /// Node memory: heap per session × users.
    NodeMemory,
    /// Store memory: bytes per session × users.
    StoreMemory,
    /// CPU: µs per request × requests/s.
    Cpu,
}

/// Microseconds, as `authlab project` has always written them: with the micro sign, which the
/// font of the exported charts lacks, so it is filled in here rather than kept in the i18n table.
const MICROSECONDS: &str = "µs";

impl Figure {
    fn label(self, language: Language) -> String {
        let text = match self {
            Figure::NodeMemory => Text::NoteNodeMemory,
            Figure::StoreMemory => Text::NoteStoreMemory,
            Figure::Cpu => Text::NoteCpu,
        };
        language.fill(text, &[MICROSECONDS])
    }

    /// What the measured and projected figures count: sessions, or requests/s.
    fn unit(self) -> Text {
        match self {
            Figure::NodeMemory | Figure::StoreMemory => Text::ProjSessionsUnit,
            Figure::Cpu => Text::RequestsPerSecond,
        }
    }
}

/// One note on a strategy's projection.
#[derive(Debug, Clone, PartialEq)]
pub enum Note {
    /// The sessions live in a shared store, so none are on the nodes, whatever their heap did
    /// (it moved by this many bytes per session held).
    SessionsInStore {
        /// The nodes' heap slope against sessions held, bytes.
        heap_bytes_per_session: f64,
    },
    /// The auth check's time includes the round trip to the shared store.
    AuthCheckIncludesStore,
    /// A figure multiplied out from what the run measured (0 measured: not projected).
    Reach {
        /// Which figure.
        figure: Figure,
        /// The most the run reached (sessions, or requests/s).
        measured: f64,
        /// What it was projected to.
        projected: f64,
    },
    /// A token node's memory: refresh families and denylist entries.
    TokenMemory {
        /// Heap bytes per login (its refresh family).
        refresh_bytes_per_login: f64,
        /// Heap bytes per denylist entry.
        denylist_bytes_per_entry: f64,
    },
    /// Login CPU could not be told apart from request CPU.
    LoginCpuInsideRequests,
    /// A memory figure includes hash-table buckets, which grow by doubling (modelled as steps).
    Tables {
        /// Node or store memory.
        figure: Figure,
        /// The buckets' bytes in the projected figure.
        bytes: f64,
        /// The machines whose tables each hold their share (1 for the store).
        machines: f64,
    },
    /// The denylist's size: logouts/s × TTL entries held at once.
    Denylist {
        /// Entries held at once, projected.
        entries: f64,
        /// The most the run held.
        measured: f64,
    },
    /// Open connections' buffers on the nodes.
    Connections {
        /// Heap bytes per open connection.
        bytes_per_connection: f64,
        /// The most the run had open.
        measured: f64,
        /// What was projected to.
        projected: f64,
    },
    /// The connections' buffers could not be told apart from the rest of the heap.
    ConnectionsNotMeasured,
    /// The token costs moved from the run's algorithm to another, by the difference measured here.
    Algorithm {
        /// The run's.
        ran: Alg,
        /// The one projected to.
        wanted: Alg,
        /// µs added to each auth check (negative: saved).
        check_us: f64,
        /// Bytes added to each token.
        bytes: f64,
    },
    /// Another algorithm was asked for, but the run's is not known (a recording without its
    /// scenario) or could not be measured: the run's costs are used.
    AlgorithmUnknown {
        /// The one asked for.
        wanted: Alg,
    },
    /// The sessions' bytes moved from the run's payload to another, one byte per byte.
    Payload {
        /// The run's payload bytes.
        ran: usize,
        /// The ones projected to.
        wanted: usize,
        /// The shared store's kind, where the sessions are there (its allocator rounds).
        store: Option<String>,
    },
    /// Another payload was asked for, but the run's is not known: the run's bytes are used.
    PayloadUnknown {
        /// The payload asked for.
        wanted: usize,
    },
    /// Node CPU includes each machine's idle share.
    IdleCpu {
        /// Cores a node spends being up, whatever it serves.
        cores_per_node: f64,
        /// The machines projected.
        machines: f64,
    },
}

impl Note {
    /// The note in `language`.
    pub fn text(&self, language: Language) -> String {
        match *self {
            Note::SessionsInStore { heap_bytes_per_session } => {
                language.fill(Text::NoteSessionsInStore, &[&format!("{heap_bytes_per_session:.0}")])
            }
            Note::AuthCheckIncludesStore => language.tr(Text::NoteAuthCheckIncludesStore).to_owned(),
            Note::Reach { figure, measured, .. } if measured <= 0.0 => {
                language.fill(Text::NoteNotMeasured, &[&figure.label(language)])
            }
            Note::Reach { figure, measured, projected } => {
                // "measured up to 80k sessions; projected to 10M: ×125, assumes linear growth".
                let factor = projected / measured;
                let how = if factor > 1.0 { Text::NoteLinear } else { Text::NoteWithin };
                language.fill(
                    Text::NoteReach,
                    &[
                        &figure.label(language),
                        &short(measured),
                        language.tr(figure.unit()),
                        &short(projected),
                        &format!("{factor:.0}"),
                        language.tr(how),
                    ],
                )
            }
            Note::TokenMemory { refresh_bytes_per_login, denylist_bytes_per_entry } => language.fill(
                Text::NoteTokenMemory,
                &[&format!("{refresh_bytes_per_login:.0}"), &format!("{denylist_bytes_per_entry:.0}")],
            ),
            Note::LoginCpuInsideRequests => language.tr(Text::NoteLoginCpu).to_owned(),
            Note::Tables { figure, bytes, machines } => {
                let text = match figure {
                    Figure::StoreMemory => Text::NoteTablesStore,
                    _ => Text::NoteTablesNodes,
                };
                language.fill(text, &[&figure.label(language), &gigabytes(bytes), &short(machines)])
            }
            Note::Denylist { entries, measured } => {
                language.fill(Text::NoteDenylist, &[&short(entries), &short(measured)])
            }
            Note::Connections { bytes_per_connection, measured, projected } => language.fill(
                Text::NoteConnections,
                &[&format!("{bytes_per_connection:.0}"), &short(projected), &short(measured)],
            ),
            Note::ConnectionsNotMeasured => language.tr(Text::NoteConnectionsNotMeasured).to_owned(),
            Note::Algorithm { ran, wanted, check_us, bytes } => language.fill(
                Text::NoteAlgorithm,
                &[wanted.name(), ran.name(), &format!("{check_us:+.1} {MICROSECONDS}"), &format!("{bytes:+.0}")],
            ),
            Note::Payload { ran, wanted, ref store } => {
                let text = match store.as_deref() {
                    None => Text::NotePayloadMemory,
                    Some("redis") => Text::NotePayloadRedis,
                    Some(_) => Text::NotePayloadPostgres,
                };
                language.fill(text, &[&wanted.to_string(), &ran.to_string()])
            }
            Note::PayloadUnknown { wanted } => language.fill(Text::NotePayloadUnknown, &[&wanted.to_string()]),
            Note::AlgorithmUnknown { wanted } => language.fill(Text::NoteAlgorithmUnknown, &[wanted.name()]),
            Note::IdleCpu { cores_per_node, machines } => {
                language.fill(Text::NoteIdleCpu, &[&format!("{cores_per_node:.3}"), &short(machines)])
            }
        }
    }
}

/// In English.
impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text(Language::English))
    }
}

/// As its English sentence (the JSON contract's `notes` are strings).
impl Serialize for Note {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

/// Bytes as GB (10⁹), with two decimals.
fn gigabytes(bytes: f64) -> String {
    format!("{:.2} GB", bytes / 1e9)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_reads_the_same_in_english_as_before_and_has_korean() {
        let note = Note::Reach { figure: Figure::NodeMemory, measured: 80_000.0, projected: 1e7 };
        assert_eq!(
            note.to_string(),
            "node memory (heap per session × users): measured up to 80k sessions; projected to 10M: ×125, assumes \
             linear growth"
        );
        assert_eq!(
            note.text(Language::Korean),
            "노드 메모리 (세션당 힙 × 사용자): 80k 세션까지 측정, 10M(으)로 추정: ×125, 선형 증가를 가정합니다"
        );
        let cpu = Note::Reach { figure: Figure::Cpu, measured: 0.0, projected: 1e5 };
        assert_eq!(cpu.to_string(), "CPU (µs per request × requests/s): not measured in this run, so not projected");
        assert_eq!(serde_json::to_value(&cpu).ok(), Some(serde_json::Value::String(cpu.to_string())));
    }
}
