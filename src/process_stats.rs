//! A process's resident memory and CPU time, as the operating system reports them: the node's own,
//! or a foreign target's (`pid`).

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

    /// Stats of process `pid`, another process of this machine.
    pub fn for_pid(pid: u32) -> Self {
        Self { pid: Pid::from_u32(pid), system: Mutex::new(System::new()) }
    }

    /// Refreshes and returns the current figures (zeros if the OS would not say).
    pub fn sample(&self) -> ProcessSample {
        self.try_sample().unwrap_or_default()
    }

    /// Refreshes and returns the current figures; `None` when the process is gone.
    pub fn try_sample(&self) -> Option<ProcessSample> {
        let mut system = self.system.lock().ok()?;
        system.refresh_processes_specifics(
            ProcessesToUpdate::Some(&[self.pid]),
            true,
            ProcessRefreshKind::nothing().with_memory().with_cpu(),
        );
        system
            .process(self.pid)
            .map(|p| ProcessSample { rss_bytes: p.memory(), cpu_seconds: p.accumulated_cpu_time() as f64 / 1000.0 })
    }
}

/// The name of the threads that run the engine and the load driver (the runtime's workers and its
/// blocking pool), in the command line and in the app alike.
pub const ENGINE_THREAD: &str = "authlab-engine";

/// CPU seconds this process's threads named [`ENGINE_THREAD`] have used so far: the load
/// driver's own cost, apart from the app's drawing (Linux: `/proc/self/task/*/schedstat`, in
/// nanoseconds). Elsewhere, or when no thread has that name, the whole process's CPU.
pub fn engine_cpu_seconds() -> f64 {
    engine_threads_cpu_seconds().unwrap_or_else(|| ProcessStats::for_this_process().sample().cpu_seconds)
}

fn engine_threads_cpu_seconds() -> Option<f64> {
    let tasks = std::fs::read_dir("/proc/self/task").ok()?;
    let mut nanoseconds = 0u64;
    let mut found = false;
    for task in tasks.flatten() {
        let path = task.path();
        let named = std::fs::read_to_string(path.join("comm")).is_ok_and(|comm| comm.trim_end() == ENGINE_THREAD);
        if !named {
            continue;
        }
        // A thread that ended between the listing and the read counts nothing.
        let on_cpu = std::fs::read_to_string(path.join("schedstat"))
            .ok()
            .and_then(|text| text.split_whitespace().next()?.parse::<u64>().ok());
        if let Some(ns) = on_cpu {
            nanoseconds += ns;
            found = true;
        }
    }
    found.then(|| nanoseconds as f64 / 1e9)
}
