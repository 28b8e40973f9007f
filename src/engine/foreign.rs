//! A foreign target during a run: its endpoints, and each tick's reading of its process, from its
//! Prometheus endpoint or through the operating system.

use std::sync::Arc;
use std::time::Duration;

use super::scrape::samples;
use crate::cluster::{Endpoint, Endpoints};
use crate::load::Accounts;
use crate::load::accounts::AccountsError;
use crate::measure::MeasuredBy;
use crate::process_stats::{ProcessSample, ProcessStats};
use crate::scenario::StrategyName;
use crate::scenario::target::{PidSource, TargetMeasure, TargetSpec};

/// Why a foreign target could not be driven.
#[derive(Debug, thiserror::Error)]
pub enum ForeignError {
    /// Its accounts could not be read.
    #[error("[target.{strategy}]: {error}")]
    Accounts {
        /// `session` or `token`.
        strategy: &'static str,
        /// Why.
        error: AccountsError,
    },
    /// Its pid file could not be read, or does not hold a process id.
    #[error("[target.{strategy}]: pid_file {path}: {reason}")]
    PidFile {
        /// `session` or `token`.
        strategy: &'static str,
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// Nothing answers at a base URL when the run starts.
    #[error("[target.{strategy}]: nothing answers at {url} ({reason}); start your app first, or fix base_url")]
    Unreachable {
        /// `session` or `token`.
        strategy: &'static str,
        /// The URL.
        url: String,
        /// What the connection said.
        reason: String,
    },
    /// No process has that id.
    #[error("[target.{strategy}]: no process {pid} runs on this machine (pid{source_note})")]
    NoProcess {
        /// `session` or `token`.
        strategy: &'static str,
        /// The id.
        pid: u32,
        /// Where the id came from.
        source_note: String,
    },
}

/// How a foreign target's process is read.
enum Meter {
    Nothing,
    Metrics { urls: Vec<String>, rss_metric: String, cpu_metric: String },
    Process(Box<ProcessStats>),
}

/// One strategy's foreign target: the URLs the balancer routes over, and its meter.
pub struct ForeignTarget {
    /// `session/1`, ... one per base URL.
    pub endpoints: Arc<Endpoints>,
    /// Who the virtual users log in as.
    pub accounts: Accounts,
    meter: Meter,
}

impl ForeignTarget {
    /// Reads the target's accounts and finds its process (blocking: files, a command, the OS).
    pub fn open(strategy: StrategyName, spec: &TargetSpec) -> Result<ForeignTarget, ForeignError> {
        let name = strategy.as_str();
        let accounts =
            Accounts::read(&spec.accounts).map_err(|error| ForeignError::Accounts { strategy: name, error })?;
        let endpoints = Arc::new(Endpoints::default());
        for (slot, url) in spec.urls.iter().enumerate() {
            endpoints.set(slot, Endpoint::new(format!("{name}/{}", slot + 1), url.clone()));
        }
        let meter = match &spec.measure {
            TargetMeasure::Nothing => Meter::Nothing,
            TargetMeasure::Metrics { urls, rss_metric, cpu_metric } => {
                Meter::Metrics { urls: urls.clone(), rss_metric: rss_metric.clone(), cpu_metric: cpu_metric.clone() }
            }
            TargetMeasure::Process(source) => {
                let (pid, source_note) = match source {
                    PidSource::Pid(pid) => (*pid, String::new()),
                    PidSource::File(path) => {
                        let shown = path.display().to_string();
                        let bad =
                            |reason: String| ForeignError::PidFile { strategy: name, path: shown.clone(), reason };
                        let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
                        let pid = text
                            .trim()
                            .parse::<u32>()
                            .map_err(|_| bad(format!("{:?} is not a process id", text.trim())))?;
                        (pid, format!(" from {shown}"))
                    }
                };
                let stats = ProcessStats::for_pid(pid);
                if stats.try_sample().is_none() {
                    return Err(ForeignError::NoProcess { strategy: name, pid, source_note });
                }
                Meter::Process(Box::new(stats))
            }
        };
        Ok(ForeignTarget { endpoints, accounts, meter })
    }

    /// Checks that every base URL answers HTTP (any status) before the load starts, so a server
    /// that is not running is a clear error rather than a run of connection failures.
    pub async fn check_reachable(
        &self,
        strategy: StrategyName,
        http: &reqwest::Client,
        health: Option<&str>,
    ) -> Result<(), ForeignError> {
        for endpoint in self.endpoints.snapshot() {
            let url = format!("{}{}", endpoint.url, health.unwrap_or("/"));
            if let Err(e) = http.get(&url).timeout(Duration::from_secs(5)).send().await {
                // The deepest cause says it best: "Connection refused (os error 111)".
                let mut cause: &dyn std::error::Error = &e;
                while let Some(deeper) = cause.source() {
                    cause = deeper;
                }
                let reason = cause.to_string();
                return Err(ForeignError::Unreachable {
                    strategy: strategy.as_str(),
                    url: endpoint.url.clone(),
                    reason,
                });
            }
        }
        Ok(())
    }

    /// Where its RSS and CPU come from.
    pub fn measured_by(&self) -> MeasuredBy {
        match self.meter {
            Meter::Nothing => MeasuredBy::None,
            Meter::Metrics { .. } => MeasuredBy::Metrics,
            Meter::Process(_) => MeasuredBy::Process,
        }
    }

    /// This tick's reading of each endpoint's process, in endpoint order: `None` where it was not
    /// read (not measured, or no answer). One metrics URL (or one pid) for several base URLs
    /// measures the whole application, and its reading goes with the first.
    pub async fn read(&self, http: &reqwest::Client, count: usize, timeout: Duration) -> Vec<Option<ProcessSample>> {
        let mut readings = vec![None; count];
        match &self.meter {
            Meter::Nothing => {}
            Meter::Process(stats) => {
                if let Some(first) = readings.first_mut() {
                    *first = stats.try_sample();
                }
            }
            Meter::Metrics { urls, rss_metric, cpu_metric } => {
                let scrapes = urls.iter().map(|url| scrape_process(http, url, rss_metric, cpu_metric, timeout));
                for (slot, reading) in futures_util::future::join_all(scrapes).await.into_iter().enumerate() {
                    if let Some(place) = readings.get_mut(slot) {
                        *place = reading;
                    }
                }
            }
        }
        readings
    }
}

/// Scrapes `url` for the process gauges; `None` when it did not answer, or lacks both.
async fn scrape_process(
    http: &reqwest::Client,
    url: &str,
    rss_metric: &str,
    cpu_metric: &str,
    timeout: Duration,
) -> Option<ProcessSample> {
    let response = http.get(url).timeout(timeout).send().await.ok()?;
    if !response.status().is_success() {
        return None;
    }
    process_sample(&response.text().await.ok()?, rss_metric, cpu_metric)
}

/// The RSS and CPU gauges in a Prometheus text exposition (unlabelled series, or the sum of a
/// metric's series); `None` when neither is there.
pub fn process_sample(text: &str, rss_metric: &str, cpu_metric: &str) -> Option<ProcessSample> {
    let (mut rss, mut cpu) = (None::<f64>, None::<f64>);
    for (name, _, value) in samples(text) {
        if name == rss_metric {
            *rss.get_or_insert(0.0) += value;
        } else if name == cpu_metric {
            *cpu.get_or_insert(0.0) += value;
        }
    }
    if rss.is_none() && cpu.is_none() {
        return None;
    }
    Some(ProcessSample { rss_bytes: rss.unwrap_or(0.0).max(0.0) as u64, cpu_seconds: cpu.unwrap_or(0.0) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_standard_process_metrics_of_a_prometheus_client() {
        // What prometheus_client (Python) exposes, labelled series and all.
        let text = "# HELP process_resident_memory_bytes Resident memory size in bytes.\n\
            # TYPE process_resident_memory_bytes gauge\n\
            process_resident_memory_bytes 4.5056e+07\n\
            process_cpu_seconds_total 1.25\n\
            flask_http_request_total{method=\"GET\",status=\"200\"} 12.0\n";
        let sample = process_sample(text, "process_resident_memory_bytes", "process_cpu_seconds_total");
        let sample = sample.unwrap_or_else(|| panic!("no sample"));
        assert_eq!((sample.rss_bytes, sample.cpu_seconds), (45_056_000, 1.25));
        assert!(process_sample("up 1\n", "process_resident_memory_bytes", "process_cpu_seconds_total").is_none());
    }
}
