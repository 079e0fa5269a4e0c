//! The standard `process_*` metrics of the driver process (CPU, memory, file descriptors,
//! threads, start time), read from `/proc/self` on each scrape, named as every Prometheus client
//! library names them so stock dashboards and alerts work.

use std::fs;

use nix::unistd::SysconfVar;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;

/// Reads `/proc/self` when scraped; encodes nothing where `/proc` is unavailable.
#[derive(Debug, Default)]
pub struct ProcessCollector;

/// A snapshot of the process.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessStats {
    pub cpu_seconds: f64,
    pub resident_memory_bytes: f64,
    pub virtual_memory_bytes: f64,
    pub start_time_seconds: f64,
    pub open_fds: f64,
    pub max_fds: Option<f64>,
    pub threads: f64,
}

impl ProcessStats {
    /// This process, from `/proc/self/stat`, `/proc/stat`, `/proc/self/fd` and
    /// `/proc/self/limits`.
    pub fn read() -> Option<ProcessStats> {
        let stat = fs::read_to_string("/proc/self/stat").ok()?;
        let boot = fs::read_to_string("/proc/stat").ok()?;
        let btime: f64 = boot
            .lines()
            .find_map(|l| l.strip_prefix("btime "))?
            .trim()
            .parse()
            .ok()?;
        let ticks = sysconf(SysconfVar::CLK_TCK).unwrap_or(100.0);
        let page = sysconf(SysconfVar::PAGE_SIZE).unwrap_or(4096.0);
        // Fields after the command name (which may hold spaces), from field 3 (state) on.
        let rest = &stat[stat.rfind(')')? + 2..];
        let f: Vec<&str> = rest.split_whitespace().collect();
        let num = |i: usize| -> Option<f64> { f.get(i - 3)?.parse().ok() };
        let open_fds = fs::read_dir("/proc/self/fd").ok()?.count() as f64;
        let max_fds = fs::read_to_string("/proc/self/limits").ok().and_then(|l| {
            l.lines()
                .find(|l| l.starts_with("Max open files"))?
                .split_whitespace()
                .nth(3)?
                .parse()
                .ok()
        });
        Some(ProcessStats {
            cpu_seconds: (num(14)? + num(15)?) / ticks,
            threads: num(20)?,
            start_time_seconds: btime + num(22)? / ticks,
            virtual_memory_bytes: num(23)?,
            resident_memory_bytes: num(24)? * page,
            open_fds,
            max_fds,
        })
    }
}

fn sysconf(v: SysconfVar) -> Option<f64> {
    nix::unistd::sysconf(v).ok().flatten().map(|n| n as f64)
}

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let Some(s) = ProcessStats::read() else {
            return Ok(());
        };
        let cpu = ConstCounter::new(s.cpu_seconds);
        cpu.encode(encoder.encode_descriptor(
            "process_cpu_seconds",
            "Total user and system CPU time spent in seconds",
            None,
            cpu.metric_type(),
        )?)?;
        let mut gauge = |name: &str, help: &str, v: f64| -> Result<(), std::fmt::Error> {
            let g = ConstGauge::new(v);
            g.encode(encoder.encode_descriptor(name, help, None, g.metric_type())?)
        };
        gauge(
            "process_resident_memory_bytes",
            "Resident memory size in bytes",
            s.resident_memory_bytes,
        )?;
        gauge(
            "process_virtual_memory_bytes",
            "Virtual memory size in bytes",
            s.virtual_memory_bytes,
        )?;
        gauge(
            "process_start_time_seconds",
            "Start time of the process since unix epoch in seconds",
            s.start_time_seconds,
        )?;
        gauge(
            "process_open_fds",
            "Number of open file descriptors",
            s.open_fds,
        )?;
        if let Some(m) = s.max_fds {
            gauge(
                "process_max_fds",
                "Maximum number of open file descriptors",
                m,
            )?;
        }
        gauge("process_threads", "Number of OS threads", s.threads)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let s = ProcessStats::read().expect("/proc is mounted");
        assert!(s.resident_memory_bytes > 1e6, "{s:?}");
        assert!(s.virtual_memory_bytes >= s.resident_memory_bytes);
        assert!(s.threads >= 1.0 && s.open_fds >= 3.0);
        let now = jiff::Timestamp::now().as_second() as f64;
        assert!(s.start_time_seconds <= now + 1.0 && s.start_time_seconds > now - 86_400.0 * 365.0);
        // Burn a little CPU: the counter moves.
        let t = std::time::Instant::now();
        let mut x = 0u64;
        while t.elapsed() < std::time::Duration::from_millis(50) {
            x = x.wrapping_add(std::hint::black_box(1));
        }
        assert!(x > 0);
        assert!(ProcessStats::read().unwrap().cpu_seconds >= s.cpu_seconds);
    }
}
