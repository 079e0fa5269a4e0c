//! Keeping the allocator's memory close to what is live: one glibc arena for the process
//! ([`one_arena`]), and freed heap given back to the kernel. glibc's allocator keeps what a
//! burst of publishes or refreshes freed (a render allocates and frees tens of KiB), so without
//! this the driver's RSS stays at its busiest moment's heap, not at what its live volumes hold.
//!
//! Every [`TRIM_EVERY`] the serve loop calls `malloc_trim(0)` (glibc ≥ 2.8 also releases free
//! pages in the middle of the heap, with `madvise(MADV_DONTNEED)`). It walks the free lists
//! only: tens of µs for the driver's few MiB. Other C libraries (musl) return memory on their
//! own, and there both are no-ops.

use std::time::Duration;

/// Limits glibc to one allocator arena (`mallopt(M_ARENA_MAX, 1)`); call before any thread
/// starts. glibc gives threads arenas of their own (up to 8 per core), each keeping its own free
/// memory; the driver's threads (two runtime workers, a few blocking ones) allocate little, and
/// one arena measured ~0.15 MiB less RSS at 1000 volumes (BENCHMARKS.md) for no measurable cost.
pub fn one_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt sets an allocator parameter; M_ARENA_MAX takes any positive value.
        unsafe {
            nix::libc::mallopt(nix::libc::M_ARENA_MAX, 1);
        }
    }
}

/// How often freed heap is returned.
pub const TRIM_EVERY: Duration = Duration::from_secs(10);

/// Returns the allocator's free memory to the kernel; true if any was released.
pub fn trim() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: malloc_trim only walks and shrinks the allocator's own free lists; it is
        // thread-safe (it takes each arena's lock) and has no preconditions.
        unsafe { nix::libc::malloc_trim(0) == 1 }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

/// Trims every [`TRIM_EVERY`] until `stop` turns true.
pub async fn trim_periodically(mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(TRIM_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let stopped = tokio::select! {
            _ = tick.tick() => false,
            _ = stop.wait_for(|s| *s) => true,
        };
        if stopped {
            return;
        }
        // On the worker itself: it takes tens of µs, and a blocking-pool thread kept alive for
        // it would cost a stack and an allocator arena of its own.
        trim();
    }
}

#[cfg(test)]
mod tests {
    /// Freed memory of a large burst comes back: RSS after trimming is below RSS with the
    /// burst's chunks freed but kept (glibc keeps small-chunk memory in its arenas).
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn trim_returns_freed_small_chunks() {
        fn rss_kib() -> u64 {
            let s = std::fs::read_to_string("/proc/self/status").unwrap();
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse().ok())
                .unwrap()
        }
        // 64 MiB in 1 KiB chunks (below the mmap threshold: they live in the heap), touched,
        // then every chunk but one in 64 freed: the heap cannot shrink from its top.
        let mut chunks: Vec<Vec<u8>> = (0..65536).map(|i| vec![i as u8; 1024]).collect();
        let keep: Vec<Vec<u8>> = chunks.iter_mut().step_by(64).map(std::mem::take).collect();
        drop(chunks);
        let before = rss_kib();
        super::trim();
        let after = rss_kib();
        drop(keep);
        assert!(
            after + 32 * 1024 < before,
            "trim released less than 32 MiB of 63 MiB freed: RSS {before} -> {after} KiB"
        );
    }
}
