//! The first line of a recording: which format, which scenario, which authlab, which machine.

use serde::{Deserialize, Serialize};
use sysinfo::{CpuRefreshKind, MemoryRefreshKind, RefreshKind, System};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{FORMAT_NAME, FORMAT_VERSION};
use crate::i18n::Language;
use crate::scenario::Scenario;

/// The header line of a recording.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Always [`FORMAT_NAME`].
    pub format: String,
    /// The format version ([`FORMAT_VERSION`] when written by this build).
    pub version: u32,
    /// The authlab version that wrote the recording.
    pub authlab_version: String,
    /// When the run started, RFC 3339 in UTC (`2025-05-01T09:30:00Z`).
    pub started_at: String,
    /// The scenario that ran.
    pub scenario: ScenarioInfo,
    /// The machine it ran on.
    pub machine: MachineInfo,
}

/// The scenario a recording ran, in full, so a replay can show it and a run can be repeated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScenarioInfo {
    /// The scenario's `name`.
    pub name: String,
    /// The scenario file's TOML text.
    pub source: String,
    /// Where it came from: a path, or a built-in scenario's name.
    pub origin: String,
}

impl ScenarioInfo {
    /// The scenario, parsed again from its text (for its charts and its Korean name); `None` when
    /// the text no longer parses (a recording from an older build, say): then the recorded name and
    /// the standard charts stand.
    pub fn parsed(&self) -> Option<Scenario> {
        crate::scenario::parse_scenario(&self.source, &self.origin).ok()
    }

    /// Its name in `language`, from `parsed` (this scenario, parsed once by the caller), else the
    /// recorded name.
    pub fn title<'a>(&'a self, parsed: Option<&'a Scenario>, language: Language) -> &'a str {
        parsed.map_or(&self.name, |scenario| scenario.title(language))
    }
}

/// The machine a recording ran on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MachineInfo {
    /// Operating system and version, e.g. `Linux (Ubuntu 24.04)`.
    pub os: String,
    /// CPU architecture, e.g. `x86_64`.
    pub arch: String,
    /// Logical CPUs.
    pub cpus: u32,
    /// Total RAM.
    pub memory_bytes: u64,
    /// The CPU's model name, as the OS reports it (`unknown` when it does not).
    pub cpu_brand: String,
    /// The machine's host name (`unknown` when the OS does not say).
    pub hostname: String,
}

impl Header {
    /// A header for a run starting now, of `scenario`, on this machine.
    pub fn new(scenario: ScenarioInfo) -> Self {
        Self::with_machine(scenario, MachineInfo::detect())
    }

    /// A header for a run starting now, with a given machine description (tests, remote runs).
    pub fn with_machine(scenario: ScenarioInfo, machine: MachineInfo) -> Self {
        Self {
            format: FORMAT_NAME.to_owned(),
            version: FORMAT_VERSION,
            authlab_version: env!("CARGO_PKG_VERSION").to_owned(),
            started_at: rfc3339_now(),
            scenario,
            machine,
        }
    }
}

impl MachineInfo {
    /// Describes this machine (through `sysinfo`); unknown parts read `unknown`.
    pub fn detect() -> Self {
        let system = System::new_with_specifics(
            RefreshKind::nothing()
                .with_cpu(CpuRefreshKind::nothing())
                .with_memory(MemoryRefreshKind::nothing().with_ram()),
        );
        let cpus = match system.cpus().len() {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let cpu_brand = system
            .cpus()
            .first()
            .map(|cpu| cpu.brand().trim().to_owned())
            .filter(|brand| !brand.is_empty())
            .unwrap_or_else(|| "unknown".to_owned());
        Self {
            os: System::long_os_version().or_else(System::name).unwrap_or_else(|| std::env::consts::OS.to_owned()),
            arch: System::cpu_arch(),
            cpus: u32::try_from(cpus).unwrap_or(u32::MAX),
            memory_bytes: system.total_memory(),
            cpu_brand,
            hostname: System::host_name().unwrap_or_else(|| "unknown".to_owned()),
        }
    }
}

/// Now, in UTC, RFC 3339, to the second.
fn rfc3339_now() -> String {
    let now = OffsetDateTime::now_utc();
    let now = now.replace_nanosecond(0).unwrap_or(now);
    now.format(&Rfc3339).unwrap_or_else(|_| now.unix_timestamp().to_string())
}
