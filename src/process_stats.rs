//! The node's own resident memory and CPU time, as the operating system reports them.

use std::sync::Mutex;

use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System};

/// Reads this process's RSS and accumulated CPU time.
pub struct ProcessStats {
    pid: Pid,
    system: Mutex<System>,
}

/// One reading of [`ProcessStats`].
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessSample {
    /// Resident set size, in bytes.
    pub rss_bytes: u64,
    /// CPU time the process has used so far, summed over its threads, in seconds.
    pub cpu_seconds: f64,
}

impl ProcessStats {
    /// Stats of the process that calls this.
    pub fn for_this_process() -> Self {
        Self { pid: Pid::from_u32(std::process::id()), system: Mutex::new(System::new()) }
    }

    /// Refreshes and returns the current figures (zeros if the OS would not say).
    pub fn sample(&self) -> ProcessSample {
        let Ok(mut system) = self.system.lock() else {
            return ProcessSample::default();
        };
        system.refresh_processes_specifics(
            ProcessesToUpdate::Some(&[self.pid]),
            false,
            ProcessRefreshKind::nothing().with_memory().with_cpu(),
        );
        system
            .process(self.pid)
            .map(|p| ProcessSample { rss_bytes: p.memory(), cpu_seconds: p.accumulated_cpu_time() as f64 / 1000.0 })
            .unwrap_or_default()
    }
}
