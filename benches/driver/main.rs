//! `cargo bench --bench driver` (as root): end-to-end benchmarks of the driver, measured side by
//! side in one run, printed as Markdown and written into `BENCHMARKS.md` between the
//! `BEGIN GENERATED` / `END GENERATED` markers (text outside them is kept).
//!
//! Sections, in order:
//! 1. floor: the same tmpfs mount + atomic write + unmount a publish does, with plain syscalls;
//! 2. publish/unpublish latency over the real gRPC server on its unix socket (MemorySource,
//!    kubelet-provided token), the same through `Driver::publish` directly, and a phase
//!    breakdown of a copy of the publish flow;
//! 3. refresh cost: CPU and wall time of one `Driver::refresh` that rewrites a volume against
//!    the refresh floor (the same payload written and swapped in with plain syscalls), and
//!    instructions per refresh and per direct publish against their floors, counted by
//!    re-running the bench under `valgrind --tool=callgrind` (not measured without valgrind).
//!    `CONNECTORS_CSI_BENCH_ONLY=refresh` runs this section alone and prints it with the
//!    callgrind profiles of a refresh and a publish (BENCHMARKS.md is not written);
//! 4. mount-table scale: publish/unpublish pairs and 1000 concurrent publishes then unpublishes,
//!    without and with 2,000 unrelated mounts in the mount namespace;
//! 5. rotation of one connector shared by 1000 volumes, for the directory source and the
//!    Kubernetes source (fake API server): time until the last volume shows it, CPU per change;
//! 6. RSS and CPU of the real `connectors-csi serve` process with 0/100/1000 refreshing volumes
//!    (`CONNECTORS_CSI_BENCH_ONLY=process` runs it alone and prints it);
//! 7. API requests per publish and per refresh (fake API server counters);
//! 8. fleet scale: RSS against unused Connectors, API requests and bytes per node, the API server
//!    dropping every watch, cold vs warm publish. `CONNECTORS_CSI_BENCH_ONLY=fleet` runs this
//!    section alone and rewrites only its own block of BENCHMARKS.md.
//!
//! One module per section (`floor`, `publish`, `refresh_cost` with `callgrind`, `scale` with
//! `concurrency`, `rotation`, `process`, `api`, `fleet`),
//! plus `stats` and `report`; fixtures come from the test-support crate.
//!
//! The structure is fixed (sizes and counts are constants); the whole run takes a few minutes.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{Read, Write as _};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use connectors_csi::connector::dir::DirSource;
use connectors_csi::connector::kube::{KubeSource, KubeSourceOptions};
use connectors_csi::connector::memory::MemorySource;
use connectors_csi::connector::types::{proxy_ca, Connector, ConnectorClass};
use connectors_csi::connector::{ConnectorSource, ObjectKey};
use connectors_csi::csi::proto::{self, node_client::NodeClient};
use connectors_csi::csi::request::validate_publish;
use connectors_csi::driver::{Driver, DriverConfig, DEFAULT_TMPFS_SIZE};
use connectors_csi::metrics::ResultLabel;
use connectors_csi::render::{self, RenderRequest, RenderSecrets, ResolvedConnector};
use connectors_csi::volume::atomic::{self, FileProjection, WriteOptions};
use connectors_csi::volume::mount::{self, TmpfsOptions};
use connectors_csi::volume::state::{StateStore, VolumeState};
use serde_json::Value;
use test_support::*;

/// Progress lines go to stderr so stdout carries only the final report.
macro_rules! progress {
    ($($t:tt)*) => { eprintln!("[bench] {}", format!($($t)*)) };
}

mod api;
mod callgrind;
mod concurrency;
mod fleet;
mod floor;
mod process;
mod publish;
mod refresh_cost;
mod report;
mod rotation;
mod scale;
mod stats;

use api::*;
use callgrind::*;
use concurrency::*;
use fleet::*;
use floor::*;
use process::*;
use publish::*;
use refresh_cost::*;
use report::*;
use rotation::*;
use scale::*;
use stats::*;

// ---------------------------------------------------------------------------------------------
// Fixed structure of the run.

const FLOOR_RUNS: usize = 2000;
const PUBLISHES: usize = 2000;
const WARMUP: usize = 20;
const PHASE_RUNS: usize = 500;
const CONCURRENT: usize = 1000;
const ROTATION_VOLUMES: usize = 1000;
const ROTATION_CHANGES: usize = 30;
/// Unrelated mounts added for the second half of the mount-table scale section.
const UNRELATED_MOUNTS: usize = 2000;
/// Sequential publish/unpublish pairs per mount-table size.
const SCALE_PAIRS: usize = 500;
const PROCESS_LEVELS: [usize; 3] = [0, 100, 1000];
const PROCESS_WINDOW: Duration = Duration::from_secs(20);
/// Lifetime of every token in the process benchmark: volumes refresh at 80 % of it.
const PROCESS_TOKEN_TTL: Duration = Duration::from_secs(10);
const API_WARM_PUBLISHES: usize = 200;
const API_MINTED_PUBLISHES: usize = 50;
const API_REFRESHES: usize = 200;

/// `CONNECTORS_CSI_BENCH_QUICK=1`: a smoke run with every count divided by 20 and short windows;
/// BENCHMARKS.md is not written.
fn quick() -> bool {
    std::env::var_os("CONNECTORS_CSI_BENCH_QUICK").is_some_and(|v| v == "1")
}

/// `n`, or `n / 20` (at least 2) in a quick run.
fn count(n: usize) -> usize {
    if quick() {
        (n / 20).max(2)
    } else {
        n
    }
}

fn window(d: Duration) -> Duration {
    if quick() {
        d / 10
    } else {
        d
    }
}

const NS: &str = "team";
const CONNECTOR: &str = "k8s-a";
const FILE_MODE: u32 = 0o440;
const DIR_MODE: u32 = 0o550;
const VOLUME_ROOT_MODE: u32 = 0o750;

// ---------------------------------------------------------------------------------------------
// Fixtures: the shared ones of the test-support crate, sized like production.

const ADDRESS: &str = "https://api.prod-cluster.example.com:6443";
const ATTRS: &[(&str, &str)] = &[
    ("connector.name", CONNECTOR),
    ("configuration.names", "kubeconfig"),
];

fn class_value() -> Value {
    k8s_class_value()
}

/// Connector `team/k8s-a` at `address`, its proxy serving with a CA of realistic size.
fn bench_connector(address: &str) -> Value {
    connector_value(
        NS,
        CONNECTOR,
        address,
        &format!("http://c-{CONNECTOR}.{NS}.svc.cluster.local"),
        Some(&realistic_ca_pem()),
    )
}

fn memory_source() -> Arc<MemorySource> {
    let src = MemorySource::new();
    let class: ConnectorClass = serde_json::from_value(class_value()).unwrap();
    let conn: Connector = serde_json::from_value(bench_connector(ADDRESS)).unwrap();
    src.set(|s| {
        s.insert_class(class);
        s.insert_connector(conn);
    });
    src
}

/// A kubelet-shaped bound token of pod `pod` in the bench namespace.
fn jwt(pod: &str, iat: i64, exp: i64) -> String {
    kubelet_jwt(NS, pod, iat, exp)
}

fn now_s() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// The bench's publish: connector `k8s-a`'s kubeconfig; `token` = None leaves the token to the
/// driver.
fn publish_request(
    vol: &str,
    target: &Path,
    token: Option<(&str, Duration)>,
) -> proto::NodePublishVolumeRequest {
    publish_request_with_token(vol, target, ATTRS, token)
}

// ---------------------------------------------------------------------------------------------
// In-process driver served over its unix socket (the test-support crate's TestDriver).

async fn start_inproc(
    source: Arc<dyn ConnectorSource>,
    tweak: impl FnOnce(&mut DriverConfig),
) -> TestDriver {
    let root = tempfile::tempdir().unwrap();
    let mut cfg = DriverConfig::for_root(root.path());
    tweak(&mut cfg);
    mount_state_tmpfs(&cfg.state_dir);
    TestDriver::start_with(root, cfg, source).await
}

/// The state directory on a tmpfs of its own, as the driver's default `/run/connectors-csi` is.
fn mount_state_tmpfs(dir: &Path) {
    mount_test_tmpfs(dir, 256 << 20);
}

/// Unmounts [`mount_state_tmpfs`].
fn unmount_state_tmpfs(dir: &Path) {
    nix::mount::umount2(dir, nix::mount::MntFlags::MNT_DETACH).unwrap();
}

/// Stops the server and checks that nothing stayed mounted.
async fn stop_inproc(d: TestDriver) {
    let state = d.driver.cfg.state_dir.clone();
    let root = d.stop().await;
    unmount_state_tmpfs(&state);
    assert_no_mounts_under(root.path());
}

fn refreshes(d: &Driver) -> u64 {
    ["ok", "unchanged", "error", "stale"]
        .iter()
        .map(|r| {
            d.metrics
                .refresh_total
                .get_or_create(&ResultLabel {
                    result: r.to_string(),
                })
                .get()
        })
        .sum()
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported (the run is one piece).
    if !nix::unistd::geteuid().is_root() {
        eprintln!("SKIP bench driver: needs root to mount tmpfs (run as root, e.g. sudo -E cargo bench --bench driver)");
        return;
    }
    // Driver warnings (failed or stale refreshes) of the in-process runs go to stderr.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::new("warn"))
        .init();
    let started = Instant::now();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    if callgrind_child(&rt) {
        return;
    }
    let machine = machine();
    progress!("{machine}");

    if std::env::var("CONNECTORS_CSI_BENCH_ONLY").as_deref() == Ok("fleet") {
        progress!("8/8 fleet scale (alone)");
        let fleet = rt.block_on(run_fleet());
        let o = format!(
            "Machine: {machine}. Load average at the end {}.\n\n{}",
            loadavg(),
            fleet_markdown(&fleet)
        );
        println!("{o}");
        if !quick() {
            write_block(FLEET_BEGIN, FLEET_END, &o);
        }
        return;
    }

    if std::env::var("CONNECTORS_CSI_BENCH_ONLY").as_deref() == Ok("refresh") {
        progress!("3/8 refresh cost (alone; BENCHMARKS.md is not written)");
        let token = jwt("pod-bench", now_s(), now_s() + 3600);
        let refresh = rt.block_on(run_refresh_cost(&token));
        let ins = measure_instructions();
        println!(
            "{}\n#### Profiles (for the hand-written text; not in the generated block)\n\n{}",
            refresh_markdown(&refresh, &ins),
            profiles_markdown(&ins)
        );
        return;
    }

    if std::env::var("CONNECTORS_CSI_BENCH_ONLY").as_deref() == Ok("process") {
        progress!("6/8 driver process (alone; BENCHMARKS.md is not written)");
        let procr = rt.block_on(run_process());
        println!("{}", process_markdown(&procr));
        return;
    }

    let token = jwt("pod-bench", now_s(), now_s() + 3600);
    let reference = reference_payload(&token);

    progress!("1-2/8 floor and publish latency (interleaved)");
    let (pubr, floor) = rt.block_on(run_publish(&token, &reference));
    progress!("3/8 refresh cost (in-process, then callgrind children)");
    let refresh = rt.block_on(run_refresh_cost(&token));
    let instructions = measure_instructions();
    progress!("4/8 mount-table scale and concurrency");
    let scale = rt.block_on(run_scale(&token));
    progress!("5/8 rotation (dir source)");
    let rot_dir = rt.block_on(run_rotation_dir());
    progress!("5/8 rotation (kube source)");
    let rot_kube = rt.block_on(run_rotation_kube());
    progress!("6/8 driver process");
    let procr = rt.block_on(run_process());
    progress!("7/8 API requests");
    let api = rt.block_on(run_api());
    progress!("8/8 fleet scale");
    let fleet = rt.block_on(run_fleet());
    let total = started.elapsed();

    // ---- Markdown.
    let mut o = String::new();
    let fp50 = floor.publish.p(50.0);
    let ratio99 = pubr.publish.p(99.0) / floor.publish.p(99.0);
    let _ = writeln!(
        o,
        "## Results\n\nMachine: {machine}. Whole run: {:.0} s; load average at the end {}.\n",
        total.as_secs_f64(),
        loadavg()
    );
    let _ = writeln!(o, "Payload of every publish (rendered by the real renderer, `configuration.names: kubeconfig`, kubelet token of {} bytes): {}.\n", token.len(), pubr.payload_check);

    let _ = writeln!(o, "### Publish latency vs. the floor\n");
    o.push_str(LAT_HEAD);
    o.push_str(&lat_row(
        "floor: mkdir + tmpfs mount + atomic write (plain syscalls)",
        &floor.publish,
    ));
    o.push_str(&lat_row("floor: umount + rmdir", &floor.unpublish));
    o.push_str(&lat_row(
        "(not in the floor) state file write + rename, done once per publish",
        &floor.state_write,
    ));
    o.push_str(&lat_row(
        "**publish** over gRPC (unix socket, warm, kubelet token)",
        &pubr.publish,
    ));
    o.push_str(&lat_row("**unpublish** over gRPC", &pubr.unpublish));
    o.push_str(&lat_row(
        "publish, `Driver::publish` called directly (no gRPC)",
        &pubr.direct_publish,
    ));
    o.push_str(&lat_row(
        "unpublish, `Driver::unpublish` called directly",
        &pubr.direct_unpublish,
    ));
    o.push_str(&lat_row(
        "no-op RPC (Identity.Probe) on the same channel",
        &pubr.probe,
    ));
    let _ = writeln!(o);
    let _ = writeln!(o, "| target | measured | verdict |\n|---|---:|---|");
    let direct50 = pubr.direct_publish.p(50.0);
    let _ = writeln!(
        o,
        "| direct publish p50 ≤ 1.5× floor | {:.2}× ({} vs floor p50 {}) | {} |",
        direct50 / fp50,
        ms(direct50),
        ms(fp50),
        goal(direct50, 1.5 * fp50, ms)
    );
    let with_rpc = fp50 + pubr.probe.p(50.0);
    let _ = writeln!(
        o,
        "| gRPC publish p50 ≤ 1.5× (floor + no-op RPC) | {:.2}× ({} vs floor p50 {} + no-op RPC p50 {} = {}) | {} |",
        pubr.publish.p(50.0) / with_rpc,
        ms(pubr.publish.p(50.0)),
        ms(fp50),
        ms(pubr.probe.p(50.0)),
        ms(with_rpc),
        goal(pubr.publish.p(50.0), 1.5 * with_rpc, ms)
    );
    let _ = writeln!(
        o,
        "| (informational) gRPC publish p99 ≤ 5 ms | {} ({ratio99:.2}× floor p99) | {} |",
        ms(pubr.publish.p(99.0)),
        verdict(pubr.publish.p(99.0) <= 5.0)
    );
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "Cold start: connecting the gRPC channel took {}; the first publish on it took {}.\n",
        ms(pubr.connect.as_secs_f64() * 1000.0),
        ms(pubr.first_publish.as_secs_f64() * 1000.0)
    );

    let _ = writeln!(
        o,
        "#### Where a publish spends its time (a timed copy of the driver's flow, n = {})\n",
        count(PHASE_RUNS)
    );
    let _ = writeln!(o, "| phase | p50 | p99 | mean |\n|---|---:|---:|---:|");
    for (name, s) in &pubr.phases {
        let _ = writeln!(
            o,
            "| {name} | {} | {} | {} |",
            ms(s.p(50.0)),
            ms(s.p(99.0)),
            ms(s.mean())
        );
    }
    let direct_overhead = pubr.publish.p(50.0) - pubr.direct_publish.p(50.0);
    let _ = writeln!(
        o,
        "| gRPC + socket + tonic (publish p50 over gRPC − direct p50) | {} | | |\n",
        ms(direct_overhead)
    );

    o.push_str(&refresh_markdown(&refresh, &instructions));

    let _ = writeln!(
        o,
        "### Unpublish against the size of the mount table\n\nThe same gRPC publish/unpublish pairs (n = {}) and then {n} publishes at once and {n} unpublishes at once (one gRPC channel), first with the machine's own mounts, then with {} unrelated tmpfs mounts added (a busy node). Unpublish identifies the volume's tmpfs by the mount id recorded at publish (statx), so it reads no mount table.\n",
        count(SCALE_PAIRS),
        count(UNRELATED_MOUNTS),
        n = count(CONCURRENT)
    );
    let _ = writeln!(o, "| mounts in the namespace | publish p50 | publish p99 | unpublish p50 | unpublish p99 | {n} publishes at once: wall (failures) | {n} unpublishes at once: wall (failures) | burst publish p50 / p99 | burst unpublish p50 / p99 |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|", n = count(CONCURRENT));
    for r in &scale {
        let c = &r.conc;
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} ({}) | {} ({}) | {} / {} | {} / {} |",
            r.mounts,
            ms(r.publish.p(50.0)),
            ms(r.publish.p(99.0)),
            ms(r.unpublish.p(50.0)),
            ms(r.unpublish.p(99.0)),
            ms(c.publish_wall.as_secs_f64() * 1000.0),
            c.publish_failures,
            ms(c.unpublish_wall.as_secs_f64() * 1000.0),
            c.unpublish_failures,
            ms(c.publish.p(50.0)),
            ms(c.publish.p(99.0)),
            ms(c.unpublish.p(50.0)),
            ms(c.unpublish.p(99.0)),
        );
    }
    let _ = writeln!(o, "\n| target | measured | verdict |\n|---|---:|---|");
    for r in &scale {
        let _ = writeln!(
            o,
            "| {} mounts: unpublish p50 ≤ publish p50 | {} vs {} | {} |",
            r.mounts,
            ms(r.unpublish.p(50.0)),
            ms(r.publish.p(50.0)),
            verdict(r.unpublish.p(50.0) <= r.publish.p(50.0))
        );
        let _ = writeln!(
            o,
            "| {} mounts: {} concurrent unpublishes ≤ 1.5 s | {} | {} |",
            r.mounts,
            count(CONCURRENT),
            ms(r.conc.unpublish_wall.as_secs_f64() * 1000.0),
            verdict(
                r.conc.unpublish_wall <= Duration::from_millis(1500)
                    && r.conc.unpublish_failures == 0
            )
        );
    }
    let _ = writeln!(
        o,
        "\n{} tmpfs mounts were live after each burst of publishes; none after the unpublishes.\n",
        scale[0].conc.mounted_after_publish
    );

    let _ = writeln!(
        o,
        "### Rotation latency ({} connector changes, each affecting {} mounted volumes)\n",
        count(ROTATION_CHANGES),
        count(ROTATION_VOLUMES)
    );
    let _ = writeln!(o, "One connector shared by every volume (each with its own pod token). Time from the change (file rename / object apply) until the new bytes are readable in a volume's `kubeconfig`, observed through inotify on each volume's `..data` swap (plus a 100 ms rescan), so the observer costs almost no CPU. CPU per change is the bench process's utime + stime (driver and observer) from the change until every volume's refresh, state save included, is done.\n");
    o.push_str(LAT_HEAD);
    o.push_str(&lat_row(
        &format!(
            "directory source: last of the {} volumes",
            count(ROTATION_VOLUMES)
        ),
        &rot_dir.last,
    ));
    o.push_str(&lat_row(
        "directory source: each volume",
        &rot_dir.per_volume,
    ));
    o.push_str(&lat_row(
        &format!(
            "API server source (fake server + KubeSource): last of the {} volumes",
            count(ROTATION_VOLUMES)
        ),
        &rot_kube.last,
    ));
    o.push_str(&lat_row(
        "API server source: each volume",
        &rot_kube.per_volume,
    ));
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "| source | CPU per change p50 | p99 | per volume (p50) |\n|---|---:|---:|---:|"
    );
    for (name, r) in [("directory", &rot_dir), ("API server", &rot_kube)] {
        let _ = writeln!(
            o,
            "| {name} | {:.0} ms | {:.0} ms | {:.0} µs |",
            r.cpu_per_change.p(50.0),
            r.cpu_per_change.p(99.0),
            r.cpu_per_change.p(50.0) * 1000.0 / count(ROTATION_VOLUMES) as f64
        );
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "| target | measured | verdict |\n|---|---:|---|");
    for (name, r) in [("directory", &rot_dir), ("API server", &rot_kube)] {
        let _ = writeln!(o, "| {name} source: p99 (last of {n} volumes) < 1 s | {} ({} volume updates missing after 10 s, in {} changes; {} refreshes for {} expected) | {} |", ms(r.last.p(99.0)), r.timeouts, r.changes_with_timeouts, r.refreshes, count(ROTATION_CHANGES) * count(ROTATION_VOLUMES), verdict(r.last.p(99.0) < 1000.0 && r.timeouts == 0), n = count(ROTATION_VOLUMES));
    }
    let _ = writeln!(o);

    o.push_str(&process_markdown(&procr));

    let _ = writeln!(o, "### API server requests (fake API server counters; KubeSource over a real `kube::Client`)\n");
    let _ = writeln!(o, "Per operation; the ConnectorClass reflector's initial LIST and WATCH happen once at start and are not counted. The first publish of a Connector starts its named watch (one LIST + one WATCH); later publishes of it read that watch.\n");
    let _ = writeln!(o, "| operation | n | GET | LIST | WATCH | create SubjectAccessReview | create TokenRequest | all requests |\n|---|---:|---:|---:|---:|---:|---:|---:|");
    for r in &api {
        o.push_str(&api_row(r));
    }
    let warm = &api[1];
    let warm_get = warm.counts.verb("get") + warm.counts.verb("list");
    let _ = writeln!(o, "\n| target | measured | verdict |\n|---|---:|---|");
    let _ = writeln!(o, "| 0 GETs per warm publish | {} GET/LIST in {} warm publishes ({} requests in all) | {} |\n", warm_get, warm.n, warm.counts.total(), verdict(warm_get == 0));

    let fleet_md = format!(
        "Machine: {machine} (same run as the results above).\n\n{}",
        fleet_markdown(&fleet)
    );
    println!(
        "{o}\n{fleet_md}\n#### Profiles (for the hand-written text; not in the generated block)\n\n{}",
        profiles_markdown(&instructions)
    );
    if quick() {
        progress!("quick run: BENCHMARKS.md not written");
    } else {
        write_benchmarks_md(&o);
        write_block(FLEET_BEGIN, FLEET_END, &fleet_md);
    }
}
