//! What a process costs: CPU time (getrusage) and peak memory (/proc, Linux only), and what a worker reports.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What one measured job cost its client, as the worker (or the Python script) prints it: one JSON line.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Cost {
    /// Wall time of the job, in seconds.
    pub wall: f64,
    /// User + system CPU time of the job, in seconds.
    pub cpu: f64,
    /// Peak resident memory of the process, in KiB.
    pub peak_rss_kib: f64,
    /// Predictions (or downloads) that did not succeed.
    pub failures: usize,
    /// The failures by kind.
    #[serde(default)]
    pub errors: BTreeMap<String, usize>,
    /// Bytes downloaded (download jobs).
    #[serde(default)]
    pub bytes: u64,
}

impl Cost {
    /// The failures by kind, as a table cell's suffix: ` (3 ReplicateError 429, 1 Timeout)`, or nothing.
    pub fn errors_text(&self) -> String {
        if self.errors.is_empty() {
            return String::new();
        }
        let kinds: Vec<String> = self
            .errors
            .iter()
            .map(|(kind, count)| format!("{count} {kind}"))
            .collect();
        format!(" ({})", kinds.join(", "))
    }
}

/// User + system CPU time of this process so far, in seconds (`getrusage(RUSAGE_SELF)`: microseconds, where
/// /proc/self/stat counts 10 ms ticks).
pub fn cpu_seconds() -> f64 {
    usage(libc::RUSAGE_SELF).0
}

/// Peak resident memory of this process so far, in KiB.
pub fn peak_rss_kib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|kb| kb.parse::<f64>().ok())
        .unwrap_or(0.0)
}

/// CPU seconds and peak RSS (KiB) of this process's waited-for children (`getrusage(RUSAGE_CHILDREN)`).
pub fn children_usage() -> (f64, f64) {
    usage(libc::RUSAGE_CHILDREN)
}

/// User + system CPU seconds and peak RSS (KiB) of `who`.
fn usage(who: libc::c_int) -> (f64, f64) {
    // SAFETY: getrusage only writes into the struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(who, &mut usage);
        usage
    };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (
        seconds(usage.ru_utime) + seconds(usage.ru_stime),
        usage.ru_maxrss as f64,
    )
}

/// The value at quantile `p` of sorted values (nearest rank).
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}
