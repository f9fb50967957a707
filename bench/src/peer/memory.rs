//! The process's resident memory, from Linux's /proc: now, and the high-water mark since it was
//! last reset, so that a second load's peak is measured on its own, not hidden by the first's.

/// A line of /proc/self/status in MB (`VmRSS`, `VmHWM`), or `None` off Linux.
fn status_mb(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

pub fn resident_mb() -> Option<f64> {
    status_mb("VmRSS:")
}

pub fn peak_mb() -> Option<f64> {
    status_mb("VmHWM:")
}

/// Starts a new high-water mark at the current resident size (Linux's `clear_refs` value 5).
/// Returns false where the kernel does not allow it; the peak then covers the whole run.
pub fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}
