//! Instructions per operation, counted by callgrind: the bench re-executes itself under
//! `valgrind --tool=callgrind` in a child mode that runs one operation (driver refresh, refresh
//! floor, direct publish, publish floor) between two marker functions. Callgrind zeroes its
//! counters on entering the first and dumps them on entering the second, so each dump holds
//! exactly one operation, all threads included (hardware counters are not available in every
//! VM; callgrind needs none).

use std::process::{Command, Stdio};

use connectors_csi::metrics::Metrics;

use super::*;

/// Set in the child: `<operation>,<count>`.
const CHILD_ENV: &str = "CONNECTORS_CSI_BENCH_CALLGRIND_CHILD";
/// Measured operations per child (quick: / 20).
const CG_OPS: usize = 40;
/// Volumes of each kind the refresh children cycle through (see `REFRESH_VOLUMES`).
const CG_VOLUMES: usize = 10;
/// Publishes before the measured ones.
const CG_WARMUP: usize = 10;
/// Sleep after each operation inside the counted span, so that work it handed to the runtime's
/// other threads is counted (longer than in-process: valgrind runs ~50× slower).
const CG_SETTLE: Duration = Duration::from_millis(20);
/// Functions shown per profile.
const PROFILE_LINES: usize = 15;

const BEGIN_MARK: &str = "connectors_csi_bench_cg_begin";
const END_MARK: &str = "connectors_csi_bench_cg_end";

/// Callgrind zeroes its counters on entering this (`--zero-before`).
#[no_mangle]
#[inline(never)]
pub extern "C" fn connectors_csi_bench_cg_begin() {
    std::hint::black_box(1u8);
}

/// Callgrind writes a dump on entering this (`--dump-before`).
#[no_mangle]
#[inline(never)]
pub extern "C" fn connectors_csi_bench_cg_end() {
    std::hint::black_box(2u8);
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum CgOp {
    Refresh,
    RefreshFloor,
    Publish,
    PublishFloor,
}

impl CgOp {
    const ALL: [CgOp; 4] = [
        CgOp::Refresh,
        CgOp::RefreshFloor,
        CgOp::Publish,
        CgOp::PublishFloor,
    ];

    fn name(self) -> &'static str {
        match self {
            CgOp::Refresh => "refresh",
            CgOp::RefreshFloor => "refresh-floor",
            CgOp::Publish => "publish",
            CgOp::PublishFloor => "publish-floor",
        }
    }

    fn label(self) -> &'static str {
        match self {
            CgOp::Refresh => "driver refresh (`Driver::refresh`, rewrites the volume)",
            CgOp::RefreshFloor => "refresh floor (write + swap + remove old, plain syscalls)",
            CgOp::Publish => "direct publish (`Driver::publish`)",
            CgOp::PublishFloor => "publish floor (mkdir + tmpfs mount + atomic write)",
        }
    }
}

/// Counts the operation in the child only when `on` (warm-up operations are not counted).
fn begin(on: bool) {
    if on {
        connectors_csi_bench_cg_begin();
    }
}

fn end(on: bool) {
    if on {
        std::thread::sleep(CG_SETTLE);
        connectors_csi_bench_cg_end();
    }
}

/// In the child (`CONNECTORS_CSI_BENCH_CALLGRIND_CHILD` set): runs the operation and answers
/// true. Temporary directories go to `TMPDIR`, which the parent cleans up.
pub(crate) fn callgrind_child(rt: &tokio::runtime::Runtime) -> bool {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return false;
    };
    let (op, n) = spec.split_once(',').expect("<operation>,<count>");
    let op = *CgOp::ALL
        .iter()
        .find(|o| o.name() == op)
        .unwrap_or_else(|| panic!("unknown operation {op}"));
    let n: usize = n.parse().expect("count");
    rt.block_on(child_run(op, n));
    true
}

async fn child_run(op: CgOp, n: usize) {
    let token = jwt("pod-bench", now_s(), now_s() + 3600);
    match op {
        CgOp::Refresh | CgOp::RefreshFloor => {
            let mut rig = RefreshRig::start(&token, count(CG_VOLUMES)).await;
            // The first pass over the volumes is warm-up (nothing retired to remove yet).
            for i in 0..rig.volumes() + n {
                let on = i >= rig.volumes();
                let (v, address) = rig.round(i);
                if op == CgOp::Refresh {
                    let ok0 = ok_refreshes(&rig.driver);
                    begin(on);
                    let outcome = rig.driver_refresh(v).await;
                    end(on);
                    rig.check_driver(v, address, outcome, ok0);
                } else {
                    begin(on);
                    rig.floor_refresh(v, address);
                    end(on);
                    rig.check_floor(v, address);
                }
            }
            rig.stop().await;
        }
        CgOp::Publish => {
            let root = tempfile::tempdir().unwrap();
            let cfg = DriverConfig::for_root(root.path());
            mount_state_tmpfs(&cfg.state_dir);
            std::fs::create_dir_all(&cfg.kubelet_dir).unwrap();
            let driver = Driver::new(cfg, memory_source(), Arc::new(Metrics::new())).unwrap();
            let vcfg = driver.cfg.validation();
            let life = Duration::from_secs(3600);
            for i in 0..CG_WARMUP + n {
                let on = i >= CG_WARMUP;
                let vol = format!("cg-{i}");
                let target = kubelet_target(&driver.cfg.kubelet_dir, &vol);
                let req =
                    validate_publish(&publish_request(&vol, &target, Some((&token, life))), &vcfg)
                        .unwrap();
                begin(on);
                driver.publish(req).await.unwrap();
                end(on);
                driver.unpublish(&vol, &target).await.unwrap();
            }
            unmount_state_tmpfs(&driver.cfg.state_dir);
            assert_no_mounts_under(root.path());
        }
        CgOp::PublishFloor => {
            let reference = reference_payload(&token);
            let base = tempfile::tempdir().unwrap();
            for i in 0..CG_WARMUP + n {
                let on = i >= CG_WARMUP;
                let target = base.path().join(format!("t{i}"));
                begin(on);
                floor_publish(&target, &reference);
                end(on);
                floor_unpublish(&target);
            }
        }
    }
}

/// Instructions of each operation: one sample per callgrind dump (one operation each).
pub(crate) struct Counted {
    pub(crate) valgrind: String,
    pub(crate) ops: Vec<(CgOp, Vec<f64>)>,
    /// Mean inclusive instructions per operation of the driver's functions, largest first.
    pub(crate) profiles: Vec<(CgOp, Vec<(String, f64)>)>,
}

impl Counted {
    fn samples(&self, op: CgOp) -> &[f64] {
        &self.ops.iter().find(|(o, _)| *o == op).unwrap().1
    }

    pub(crate) fn mean(&self, op: CgOp) -> f64 {
        let s = self.samples(op);
        s.iter().sum::<f64>() / s.len() as f64
    }

    pub(crate) fn p50(&self, op: CgOp) -> f64 {
        let mut s = self.samples(op).to_vec();
        s.sort_by(|a, b| a.partial_cmp(b).unwrap());
        s[s.len().div_ceil(2) - 1]
    }
}

pub(crate) enum Instructions {
    NotMeasured(String),
    Measured(Counted),
}

/// Runs each operation's child under callgrind and reads its dumps.
pub(crate) fn measure_instructions() -> Instructions {
    let valgrind = match Command::new("valgrind").arg("--version").output() {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_string(),
        _ => return Instructions::NotMeasured("valgrind not found".into()),
    };
    let exe = std::env::current_exe().unwrap();
    let work = tempfile::tempdir().unwrap();
    let n = count(CG_OPS);
    let mut ops = Vec::new();
    let mut dumps_of = Vec::new();
    for op in CgOp::ALL {
        progress!("callgrind: {} × {n}", op.name());
        let out = work.path().join(op.name());
        let tmp = work.path().join(format!("{}-tmp", op.name()));
        std::fs::create_dir_all(&out).unwrap();
        std::fs::create_dir_all(&tmp).unwrap();
        let log = work.path().join(format!("{}.log", op.name()));
        let status = Command::new("valgrind")
            .arg("--tool=callgrind")
            .arg(format!("--zero-before={BEGIN_MARK}"))
            .arg(format!("--dump-before={END_MARK}"))
            .arg(format!(
                "--callgrind-out-file={}",
                out.join("cg.out").display()
            ))
            .arg(&exe)
            .env(CHILD_ENV, format!("{},{n}", op.name()))
            .env("TMPDIR", &tmp)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .status()
            .unwrap();
        unmount_everything_under(&tmp);
        if !status.success() {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(30).collect();
            panic!(
                "callgrind child {} failed ({status}):\n{}",
                op.name(),
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
        let dumps = dump_files(&out);
        assert_eq!(dumps.len(), n, "one callgrind dump per {}", op.name());
        ops.push((
            op,
            dumps.iter().map(|d| totals(d) as f64).collect::<Vec<_>>(),
        ));
        dumps_of.push((op, dumps));
    }
    let profiles = dumps_of
        .iter()
        .filter(|(op, _)| matches!(op, CgOp::Refresh | CgOp::Publish))
        .map(|(op, dumps)| (*op, mean_profile(dumps)))
        .collect();
    Instructions::Measured(Counted {
        valgrind,
        ops,
        profiles,
    })
}

/// The dumps `cg.out.<k>` in `dir`, in order (not the final `cg.out` written at exit, which
/// holds the clean-up).
fn dump_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<(u64, PathBuf)> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let k = name.strip_prefix("cg.out.")?.parse().ok()?;
            Some((k, e.path()))
        })
        .collect();
    v.sort();
    v.into_iter().map(|(_, p)| p).collect()
}

/// Instructions (Ir) of one callgrind dump: its `totals:` (or `summary:`) line.
fn totals(file: &Path) -> u64 {
    let text = std::fs::read_to_string(file).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("totals:"))
        .or_else(|| text.lines().find(|l| l.starts_with("summary:")))
        .unwrap_or_else(|| panic!("no totals in {}", file.display()));
    line.split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("bad totals line {line:?}"))
}

/// Inclusive instructions per function, averaged over `dumps` (`callgrind_annotate
/// --inclusive=yes`), largest first, without the runtime's and the bench's own frames.
fn mean_profile(dumps: &[PathBuf]) -> Vec<(String, f64)> {
    let mut sum: BTreeMap<String, u64> = BTreeMap::new();
    for d in dumps {
        let out = Command::new("callgrind_annotate")
            .args(["--inclusive=yes", "--threshold=100"])
            .arg(d)
            .output()
            .expect("callgrind_annotate");
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            if let Some((n, f)) = annotate_line(line) {
                *sum.entry(f).or_default() += n;
            }
        }
    }
    let mut v: Vec<(String, f64)> = sum
        .into_iter()
        .map(|(f, n)| (f, n as f64 / dumps.len() as f64))
        .filter(|(f, _)| shown(f))
        .collect();
    v.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap());
    v
}

/// `1,234,567 (12.34%)  ???:path::to::function [/bin/x]` → (1234567, `path::to::function`).
fn annotate_line(line: &str) -> Option<(u64, String)> {
    let line = line.trim();
    let (num, rest) = line.split_once(' ')?;
    let n: u64 = num.replace(',', "").parse().ok()?;
    let rest = match rest.find("%)") {
        Some(i) => &rest[i + 2..],
        None => rest,
    }
    .trim();
    if rest.is_empty() || rest == "PROGRAM TOTALS" {
        return None;
    }
    // `file:function` (`???` when the object has no debug info): keep the function.
    let rest = match rest.split_once(':') {
        Some((file, f)) if file == "???" || file.contains('/') => f,
        _ => rest,
    };
    let rest = match rest.rfind(" [") {
        Some(i) if rest.ends_with(']') => &rest[..i],
        _ => rest,
    };
    Some((n, rest.to_string()))
}

/// Whether a profile shows function `f`: the driver's code and what it calls, not the bench,
/// the async runtime's polling frames or the thread entry points around them.
fn shown(f: &str) -> bool {
    const HIDDEN: &[&str] = &[
        "driver::",
        "connectors_csi_bench_",
        "std::rt::",
        "std::sys::",
        "<std::sys::",
        "std::thread::",
        "core::ops::function::",
        "tokio::runtime::",
        "<tokio::runtime::",
        "main",
        "(below main)",
        "__libc_start",
        "start_thread",
        "clone",
        "0x",
    ];
    !HIDDEN.iter().any(|h| f.starts_with(h))
}

/// Unmounts everything mounted at or below `dir`, deepest first (a child's leftovers).
fn unmount_everything_under(dir: &Path) {
    let mut points: Vec<PathBuf> = mount::mount_table()
        .unwrap()
        .into_iter()
        .map(|m| m.mount_point)
        .filter(|p| p.starts_with(dir))
        .collect();
    points.sort_by_key(|p| std::cmp::Reverse(p.as_os_str().len()));
    for p in points {
        let _ = nix::mount::umount2(&p, nix::mount::MntFlags::MNT_DETACH);
    }
}

/// `v` instructions in thousands.
pub(crate) fn kilo(v: f64) -> String {
    if v.is_nan() {
        "–".into()
    } else {
        format!("{:.1}k", v / 1000.0)
    }
}

/// The instructions table (part of the refresh-cost section).
pub(crate) fn instructions_markdown(ins: &Instructions) -> String {
    let mut o = String::new();
    let m = match ins {
        Instructions::NotMeasured(why) => {
            let _ = writeln!(o, "Instructions per operation: not measured: {why}.\n");
            return o;
        }
        Instructions::Measured(m) => m,
    };
    let _ = writeln!(o, "Instructions per operation, counted by callgrind ({}): the bench runs each operation in a child process under `valgrind --tool=callgrind`, which zeroes its counters as the operation starts and dumps them after it and a {} ms sleep, so each sample is exactly one operation with every thread's instructions (the runtime's included). Callgrind counts user-space instructions only: the kernel's work in the syscalls, most of the floors' CPU time, is not in these numbers. Same fixtures as above; the publishes are new volumes, each unpublished after its sample; the first {} operations of each child are warm-up.\n",
        m.valgrind, CG_SETTLE.as_millis(), CG_WARMUP);
    let _ = writeln!(
        o,
        "| operation | n | instructions p50 | mean |\n|---|---:|---:|---:|"
    );
    for pair in CgOp::ALL.chunks(2) {
        let (a, b) = (pair[0], pair[1]);
        for op in pair {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} |",
                op.label(),
                m.samples(*op).len(),
                kilo(m.p50(*op)),
                kilo(m.mean(*op))
            );
        }
        let _ = writeln!(
            o,
            "| {} ÷ floor | | {:.2}× | {:.2}× |",
            if a == CgOp::Refresh {
                "driver refresh"
            } else {
                "direct publish"
            },
            m.p50(a) / m.p50(b),
            m.mean(a) / m.mean(b)
        );
    }
    let _ = writeln!(o);
    o
}

/// The functions a driver refresh and a direct publish spend their instructions in (inclusive,
/// mean per operation), for the hand-written part of BENCHMARKS.md.
pub(crate) fn profiles_markdown(ins: &Instructions) -> String {
    let mut o = String::new();
    let Instructions::Measured(m) = ins else {
        return o;
    };
    for (op, profile) in &m.profiles {
        let total = m.mean(*op);
        let _ = writeln!(
            o,
            "Top inclusive functions of one {} ({} instructions in all, mean of {} dumps):\n",
            op.name(),
            kilo(total),
            m.samples(*op).len()
        );
        let _ = writeln!(
            o,
            "| function | instructions (inclusive) | share |\n|---|---:|---:|"
        );
        for (f, n) in profile.iter().take(PROFILE_LINES) {
            let _ = writeln!(o, "| `{f}` | {} | {:.0} % |", kilo(*n), 100.0 * n / total);
        }
        let _ = writeln!(o);
    }
    o
}
