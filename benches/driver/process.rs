//! Section 6: RSS and CPU of the real `connectors-csi serve` process with 0/100/1000
//! refreshing volumes.

use super::*;

// ---------------------------------------------------------------------------------------------
// 6. The driver process: RSS and CPU.

pub(crate) struct ProcLevel {
    pub(crate) volumes: usize,
    pub(crate) rss_kib: u64,
    pub(crate) hwm_kib: u64,
    /// RssAnon (heap, stacks) and RssFile (the binary's pages) of VmRSS.
    pub(crate) anon_kib: u64,
    pub(crate) file_kib: u64,
    pub(crate) cpu: Duration,
    pub(crate) window: Duration,
    pub(crate) refreshes: u64,
    pub(crate) threads: u64,
}

pub(crate) struct ProcResults {
    pub(crate) binary: String,
    pub(crate) levels: Vec<ProcLevel>,
    pub(crate) publish_1000_wall: Duration,
}

pub(crate) fn proc_status(pid: u32) -> (u64, u64, u64) {
    let f = proc_status_fields(pid, &["VmRSS:", "VmHWM:", "Threads:"]);
    (f[0], f[1], f[2])
}

/// Numeric fields of `/proc/<pid>/status` (kB for memory), 0 when absent.
pub(crate) fn proc_status_fields(pid: u32, names: &[&str]) -> Vec<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| -> u64 {
        s.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    names.iter().map(|n| field(n)).collect()
}

pub(crate) fn proc_cpu(pid: u32) -> Duration {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the parenthesised command: state is field 3, utime 14, stime 15.
    let rest = &s[s.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap();
    let hz = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .unwrap()
        .unwrap_or(100) as u64;
    Duration::from_micros(ticks * 1_000_000 / hz)
}

/// Sum of `connectors_csi_refresh_total` over all results, from the process's /metrics.
pub(crate) fn scrape_refreshes(addr: &str) -> u64 {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut body = String::new();
    s.read_to_string(&mut body).unwrap();
    body.lines()
        .filter(|l| l.starts_with("connectors_csi_refresh_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

pub(crate) fn binary_path() -> PathBuf {
    if let Some(p) = option_env!("CARGO_BIN_EXE_connectors-csi") {
        return PathBuf::from(p);
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("release/connectors-csi")
}

/// `CONNECTORS_CSI_BENCH_HEAPTRACK=<file>`: run the driver process with heaptrack's preload
/// library (Debian package `heaptrack`), its raw trace written to `<file>`; the driver is killed
/// at the last level so that heaptrack's "leaked" allocations are what 1000 live volumes hold.
/// Read it with `/usr/lib/heaptrack/libexec/heaptrack_interpret < file | gzip > t.gz` and
/// `heaptrack_print -f t.gz --print-leaks 1`.
fn heaptrack_out() -> Option<String> {
    std::env::var("CONNECTORS_CSI_BENCH_HEAPTRACK").ok()
}

fn heaptrack_env() -> Vec<(&'static str, String)> {
    match heaptrack_out() {
        Some(out) => vec![
            (
                "LD_PRELOAD",
                "/usr/lib/heaptrack/libheaptrack_preload.so".to_string(),
            ),
            ("DUMP_HEAPTRACK_OUTPUT", out),
        ],
        None => vec![],
    }
}

pub(crate) async fn run_process() -> ProcResults {
    let root = tempfile::tempdir().unwrap();
    let conn_dir = root.path().join("connectors");
    std::fs::create_dir_all(&conn_dir).unwrap();
    write_atomically(&conn_dir.join("connectors.yaml"), &objects_yaml(ADDRESS));
    let kubelet_dir = root.path().join("kubelet");
    std::fs::create_dir_all(&kubelet_dir).unwrap();
    let token_file = root.path().join("token");
    let ttl = PROCESS_TOKEN_TTL.as_secs() as i64;
    let write_token = {
        let token_file = token_file.clone();
        move || {
            let now = now_s();
            write_atomically(&token_file, &jwt("static", now, now + ttl));
        }
    };
    write_token();
    // The static token file is rewritten every second with a fresh short-lived JWT, so every
    // refresh picks up a new token and rewrites the volume (a real atomic swap).
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let stop = stop.clone();
        let write_token = write_token.clone();
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_secs(1));
                write_token();
            }
        })
    };
    let metrics_addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    let socket = root.path().join("csi.sock");
    let binary = binary_path();
    mount_state_tmpfs(&root.path().join("state"));
    let log = std::fs::File::create(root.path().join("driver.log")).unwrap();
    let mut child = std::process::Command::new(&binary)
        .arg("serve")
        .arg("--endpoint")
        .arg(&socket)
        .args(["--node-id", "bench-node"])
        .arg("--source")
        .arg(format!("dir:{}", conn_dir.display()))
        .arg("--kubelet-dir")
        .arg(&kubelet_dir)
        .arg("--state-dir")
        .arg(root.path().join("state"))
        .args(["--legacy-state-dir", ""])
        .arg("--static-token-file")
        .arg(&token_file)
        .args(["--metrics-address", &metrics_addr])
        .args(["--refresh-jitter", "1s", "--log-level", "info"])
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .envs(heaptrack_env())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {}: {e}", binary.display()));
    let pid = child.id();
    let t0 = Instant::now();
    while !socket.exists() {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "driver process did not create its socket"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let channel = connectors_csi::csi::server::connect(&socket).await.unwrap();
    let node = NodeClient::new(channel);
    let mut levels = Vec::new();
    let mut vols: Vec<(String, PathBuf)> = Vec::new();
    let mut publish_1000_wall = Duration::ZERO;
    let wanted: Vec<usize> = PROCESS_LEVELS
        .iter()
        .map(|&l| if l == 0 { 0 } else { count(l) })
        .collect();
    for &level in &wanted {
        let t = Instant::now();
        let mut tasks = Vec::new();
        while vols.len() < level {
            let v = format!("proc-{}", vols.len());
            let target = kubelet_target(&kubelet_dir, &v);
            let token = jwt(&v, now_s(), now_s() + ttl);
            let req = publish_request(&v, &target, Some((&token, PROCESS_TOKEN_TTL)));
            let mut node = node.clone();
            tasks.push(tokio::spawn(async move {
                node.node_publish_volume(req).await.unwrap();
            }));
            vols.push((v, target));
            if tasks.len() == 16 {
                for t in tasks.drain(..) {
                    t.await.unwrap();
                }
            }
        }
        for t in tasks {
            t.await.unwrap();
        }
        if Some(&level) == wanted.last() {
            publish_1000_wall = t.elapsed();
        }
        // Settle, then measure over the window.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let cpu0 = proc_cpu(pid);
        let r0 = scrape_refreshes(&metrics_addr);
        let w0 = Instant::now();
        let window = if level == 0 {
            window(PROCESS_WINDOW) / 2
        } else {
            window(PROCESS_WINDOW)
        };
        tokio::time::sleep(window).await;
        let cpu1 = proc_cpu(pid);
        let r1 = scrape_refreshes(&metrics_addr);
        let window = w0.elapsed();
        let (rss, hwm, threads) = proc_status(pid);
        let split = proc_status_fields(pid, &["RssAnon:", "RssFile:"]);
        progress!(
            "process: {level} volumes: RSS {rss} KiB, CPU {:?} in {:?}, {} refreshes",
            cpu1 - cpu0,
            window,
            r1 - r0
        );
        levels.push(ProcLevel {
            volumes: level,
            rss_kib: rss,
            hwm_kib: hwm,
            anon_kib: split[0],
            file_kib: split[1],
            cpu: cpu1 - cpu0,
            window,
            refreshes: r1 - r0,
            threads,
        });
    }
    if heaptrack_out().is_some() {
        // What is still allocated when the driver dies is what it held at 1000 live volumes
        // (heaptrack's "leaked"): kill it there, then clean up its mounts.
        child.kill().unwrap();
        child.wait().unwrap();
        stop.store(true, Ordering::SeqCst);
        writer.join().unwrap();
        unmount_all_under(root.path());
        return ProcResults {
            binary: binary.display().to_string(),
            levels,
            publish_1000_wall,
        };
    }
    let mut tasks = Vec::new();
    for (v, t) in &vols {
        let mut node = node.clone();
        let req = unpublish_request(v, t);
        tasks.push(tokio::spawn(async move {
            node.node_unpublish_volume(req).await.unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    stop.store(true, Ordering::SeqCst);
    writer.join().unwrap();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "driver exited with {status}");
    unmount_state_tmpfs(&root.path().join("state"));
    assert_no_mounts_under(root.path());
    ProcResults {
        binary: binary.display().to_string(),
        levels,
        publish_1000_wall,
    }
}

/// The process section's Markdown (tables and target rows).
pub(crate) fn process_markdown(procr: &ProcResults) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "### The driver process: memory and CPU\n");
    let _ = writeln!(o, "`{} serve --source dir:… --static-token-file …` (release build). Every token lives {} s, so each volume refreshes at ~{} s (80 %) plus up to 1 s jitter; the static token file is rewritten every second, so each refresh renders new bytes and swaps `..data` (a real rewrite, state file save included). CPU is utime+stime from `/proc/<pid>/stat` over the window.\n",
        Path::new(&procr.binary).file_name().unwrap().to_string_lossy(), PROCESS_TOKEN_TTL.as_secs(), PROCESS_TOKEN_TTL.as_secs() * 8 / 10);
    let _ = writeln!(o, "| live volumes | window | refreshes (per s) | CPU time (% of one core) | CPU per refresh | VmRSS | of it RssAnon / RssFile | VmHWM | threads |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for l in &procr.levels {
        let w = l.window.as_secs_f64();
        let cpu_ms = l.cpu.as_secs_f64() * 1000.0;
        let _ = writeln!(o, "| {} | {:.0} s | {} ({:.1}/s) | {:.0} ms ({:.1} %) | {} | {:.1} MiB | {:.1} / {:.1} MiB | {:.1} MiB | {} |",
            l.volumes, w, l.refreshes, l.refreshes as f64 / w, cpu_ms, cpu_ms / w / 10.0,
            if l.refreshes > 0 { format!("{:.0} µs", cpu_ms * 1000.0 / l.refreshes as f64) } else { "–".into() },
            l.rss_kib as f64 / 1024.0, l.anon_kib as f64 / 1024.0, l.file_kib as f64 / 1024.0, l.hwm_kib as f64 / 1024.0, l.threads);
    }
    let rss0 = procr.levels.first().map(|l| l.rss_kib).unwrap_or(0) as f64;
    let top = procr.levels.last().unwrap();
    let per_vol = (top.rss_kib as f64 - rss0) / top.volumes as f64;
    let rss_mib = top.rss_kib as f64 / 1024.0;
    let _ = writeln!(o, "\nGrowth: {:.1} KiB of RSS per live volume (0 → {} volumes). Publishing the last {} volumes (16 in flight) took {:.1} s.\n", per_vol, top.volumes, top.volumes - procr.levels[procr.levels.len() - 2].volumes, procr.publish_1000_wall.as_secs_f64());
    let _ = writeln!(o, "| target | measured | verdict |\n|---|---:|---|");
    let _ = writeln!(
        o,
        "| RSS < 16 MiB at 1000 volumes | {rss_mib:.1} MiB | {} |",
        verdict(rss_mib < 16.0)
    );
    let _ = writeln!(
        o,
        "| ≤ 4 KiB per live volume (RSS growth, 0 → {} volumes) | {per_vol:.1} KiB | {} |\n",
        top.volumes,
        verdict(per_vol <= 4.0)
    );
    o
}
