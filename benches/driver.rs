//! `cargo bench --bench driver` (as root): end-to-end benchmarks of the driver, measured side by
//! side in one run, printed as Markdown and written into `BENCHMARKS.md` between the
//! `BEGIN GENERATED` / `END GENERATED` markers (text outside them is kept).
//!
//! Sections, in order:
//! 1. floor: the same tmpfs mount + atomic write + unmount a publish does, with plain syscalls;
//! 2. publish/unpublish latency over the real gRPC server on its unix socket (MemorySource,
//!    kubelet-provided token), the same through `Driver::publish` directly, and a phase
//!    breakdown of a copy of the publish flow;
//! 3. 1000 concurrent publishes, then 1000 concurrent unpublishes;
//! 4. rotation latency for the directory source and the Kubernetes source (fake API server);
//! 5. RSS and CPU of the real `connectors-csi serve` process with 0/100/1000 refreshing volumes;
//! 6. API requests per publish and per refresh (fake API server counters).
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

// ---------------------------------------------------------------------------------------------
// Fixed structure of the run.

const FLOOR_RUNS: usize = 2000;
const PUBLISHES: usize = 2000;
const WARMUP: usize = 20;
const PHASE_RUNS: usize = 500;
const CONCURRENT: usize = 1000;
const ROTATION_VOLUMES: usize = 100;
const ROTATION_CHANGES: usize = 200;
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
// Statistics and formatting.

#[derive(Clone, Default)]
struct Samples(Vec<f64>); // milliseconds

impl Samples {
    fn push(&mut self, d: Duration) {
        self.0.push(d.as_secs_f64() * 1000.0);
    }
    fn sorted(&self) -> Vec<f64> {
        let mut v = self.0.clone();
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        v
    }
    /// Nearest-rank percentile.
    fn p(&self, pct: f64) -> f64 {
        let v = self.sorted();
        if v.is_empty() {
            return f64::NAN;
        }
        let rank = ((pct / 100.0) * v.len() as f64).ceil() as usize;
        v[rank.clamp(1, v.len()) - 1]
    }
    fn max(&self) -> f64 {
        self.0.iter().cloned().fold(f64::NAN, f64::max)
    }
    fn mean(&self) -> f64 {
        self.0.iter().sum::<f64>() / self.0.len() as f64
    }
    fn n(&self) -> usize {
        self.0.len()
    }
}

fn ms(v: f64) -> String {
    if v.is_nan() {
        "–".into()
    } else if v >= 100.0 {
        format!("{v:.0} ms")
    } else if v >= 10.0 {
        format!("{v:.1} ms")
    } else {
        format!("{v:.3} ms")
    }
}

fn lat_row(name: &str, s: &Samples) -> String {
    format!(
        "| {name} | {} | {} | {} | {} | {} | {} |\n",
        s.n(),
        ms(s.p(50.0)),
        ms(s.p(95.0)),
        ms(s.p(99.0)),
        ms(s.max()),
        ms(s.mean())
    )
}

const LAT_HEAD: &str =
    "| measurement | n | p50 | p95 | p99 | max | mean |\n|---|---:|---:|---:|---:|---:|---:|\n";

fn verdict(ok: bool) -> &'static str {
    if ok {
        "**met**"
    } else {
        "**missed**"
    }
}

/// Progress lines go to stderr so stdout carries only the final report.
macro_rules! progress {
    ($($t:tt)*) => { eprintln!("[bench] {}", format!($($t)*)) };
}

// ---------------------------------------------------------------------------------------------
// 1. The floor.

/// The payload of a real kubeconfig-configuration publish, rendered with the real renderer.
fn reference_payload(token: &str) -> BTreeMap<String, Vec<u8>> {
    let class: Arc<ConnectorClass> = Arc::new(serde_json::from_value(class_value()).unwrap());
    let conn: Arc<Connector> = Arc::new(serde_json::from_value(bench_connector(ADDRESS)).unwrap());
    let rc = ResolvedConnector {
        proxy_ca: proxy_ca(&conn, &class),
        connector: conn,
        class,
        target_ca: None,
    };
    let req = RenderRequest {
        configurations: vec!["kubeconfig".into()],
        pod_namespace: NS.into(),
        ..Default::default()
    };
    render::render(
        &[rc],
        &req,
        &RenderSecrets {
            token,
            direct_token: None,
        },
    )
    .expect("reference render")
    .files
}

/// One floor publish: mkdir target, mount tmpfs, payload dir, files, `..data` swap, user-visible
/// symlinks. Plain syscalls, no driver code.
fn floor_publish(target: &Path, files: &BTreeMap<String, Vec<u8>>) {
    std::fs::create_dir(target).unwrap();
    nix::mount::mount(
        Some("bench-floor"),
        target,
        Some("tmpfs"),
        nix::mount::MsFlags::MS_NODEV
            | nix::mount::MsFlags::MS_NOSUID
            | nix::mount::MsFlags::MS_NOEXEC,
        Some(format!("size={},mode={VOLUME_ROOT_MODE:o}", DEFAULT_TMPFS_SIZE).as_str()),
    )
    .unwrap();
    let ts = "..2026_01_01_00_00_00.000000001.abcdef";
    let payload_dir = target.join(ts);
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&payload_dir)
        .unwrap();
    for (name, data) in files {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(payload_dir.join(name))
            .unwrap();
        f.write_all(data).unwrap();
        f.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))
            .unwrap();
    }
    std::fs::set_permissions(&payload_dir, std::fs::Permissions::from_mode(DIR_MODE)).unwrap();
    std::os::unix::fs::symlink(ts, target.join(atomic::DATA_TMP)).unwrap();
    std::fs::rename(target.join(atomic::DATA_TMP), target.join(atomic::DATA_DIR)).unwrap();
    for name in files.keys() {
        std::os::unix::fs::symlink(Path::new(atomic::DATA_DIR).join(name), target.join(name))
            .unwrap();
    }
}

fn floor_unpublish(target: &Path) {
    nix::mount::umount2(target, nix::mount::MntFlags::empty()).unwrap();
    std::fs::remove_dir(target).unwrap();
}

/// What the driver additionally persists for restart recovery: a small JSON state file written
/// to a temp file and renamed (done twice per publish; not fsynced, see `StateStore::save`).
fn floor_state_write(dir: &Path, bytes: &[u8]) {
    let tmp = dir.join("state.json.tmp");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .unwrap();
    f.write_all(bytes).unwrap();
    std::fs::rename(&tmp, dir.join("state.json")).unwrap();
}

struct Floor {
    publish: Samples,
    unpublish: Samples,
    state_write: Samples,
}

/// One floor publish + unpublish at `target`, timed separately.
fn floor_once(target: &Path, files: &BTreeMap<String, Vec<u8>>) -> (Duration, Duration) {
    let t = Instant::now();
    floor_publish(target, files);
    let p = t.elapsed();
    let t = Instant::now();
    floor_unpublish(target);
    (p, t.elapsed())
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
    TestDriver::start_with(root, cfg, source).await
}

/// Stops the server and checks that nothing stayed mounted.
async fn stop_inproc(d: TestDriver) {
    let root = d.stop().await;
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

// ---------------------------------------------------------------------------------------------
// 2. Publish latency.

struct PublishResults {
    connect: Duration,
    first_publish: Duration,
    publish: Samples,
    unpublish: Samples,
    direct_publish: Samples,
    direct_unpublish: Samples,
    /// A no-op RPC (Identity.Probe) on the same channel: the transport's own cost.
    probe: Samples,
    phases: Vec<(&'static str, Samples)>,
    payload_check: String,
}

async fn run_publish(
    token: &str,
    reference: &BTreeMap<String, Vec<u8>>,
) -> (PublishResults, Floor) {
    let mut d = start_inproc(memory_source(), |_| {}).await;
    let life = Duration::from_secs(3600);

    // Cold: the first publish on a fresh connection.
    let target = d.target("cold");
    let t = Instant::now();
    d.node
        .node_publish_volume(publish_request("cold", &target, Some((token, life))))
        .await
        .unwrap();
    let first_publish = t.elapsed();
    // The driver writes exactly the files the floor writes.
    let written = atomic::read_payload(&target).unwrap();
    assert_eq!(
        written.keys().collect::<Vec<_>>(),
        reference.keys().collect::<Vec<_>>(),
        "the floor writes the files of a real publish"
    );
    for (k, v) in reference {
        assert_eq!(written[k].len(), v.len(), "size of {k}");
    }
    let payload_check = format!(
        "{} files, {} bytes: {}",
        reference.len(),
        reference.values().map(Vec::len).sum::<usize>(),
        reference
            .iter()
            .map(|(k, v)| format!("`{k}` {}", v.len()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    d.node
        .node_unpublish_volume(unpublish_request("cold", &target))
        .await
        .unwrap();

    // Warm, interleaved so that every kind sees the same background load: each round runs a
    // floor publish/unpublish, a gRPC publish/unpublish, and every 4th round one through
    // `Driver::publish` directly and one state-file write. New volume ids and targets each time
    // (as for new pods).
    let floor_base = d.root.path().join("floor");
    std::fs::create_dir_all(&floor_base).unwrap();
    let state_dir = d.root.path().join("floor-state");
    std::fs::create_dir_all(&state_dir).unwrap();
    let state_bytes = vec![b'x'; 2300]; // the size of a real state file (token included)
    let vcfg = d.driver.cfg.validation();
    let mut floor = Floor {
        publish: Samples::default(),
        unpublish: Samples::default(),
        state_write: Samples::default(),
    };
    let mut publish = Samples::default();
    let mut unpublish = Samples::default();
    let mut direct_publish = Samples::default();
    let mut direct_unpublish = Samples::default();
    let mut probe = Samples::default();
    let rounds = WARMUP + count(PUBLISHES).max(count(FLOOR_RUNS));
    for i in 0..rounds {
        let keep = i >= WARMUP;
        let (fp, fu) = floor_once(&floor_base.join(format!("t{i}")), reference);
        let vol = format!("pub-{i}");
        let target = d.target(&vol);
        let req = publish_request(&vol, &target, Some((token, life)));
        let t = Instant::now();
        d.node.node_publish_volume(req).await.unwrap();
        let p = t.elapsed();
        let t = Instant::now();
        d.node
            .node_unpublish_volume(unpublish_request(&vol, &target))
            .await
            .unwrap();
        let u = t.elapsed();
        let t = Instant::now();
        d.identity.probe(proto::ProbeRequest {}).await.unwrap();
        let pr = t.elapsed();
        if keep {
            probe.push(pr);
            floor.publish.push(fp);
            floor.unpublish.push(fu);
            publish.push(p);
            unpublish.push(u);
        }
        if i % 4 == 0 {
            let vol = format!("direct-{i}");
            let target = d.target(&vol);
            let req = validate_publish(&publish_request(&vol, &target, Some((token, life))), &vcfg)
                .unwrap();
            let t = Instant::now();
            d.driver.publish(req).await.unwrap();
            let p = t.elapsed();
            let t = Instant::now();
            d.driver.unpublish(&vol, &target).await.unwrap();
            let u = t.elapsed();
            let t = Instant::now();
            floor_state_write(&state_dir, &state_bytes);
            let w = t.elapsed();
            if keep {
                direct_publish.push(p);
                direct_unpublish.push(u);
                floor.state_write.push(w);
            }
        }
    }
    progress!(
        "gRPC publish p50 {}, floor p50 {}",
        ms(publish.p(50.0)),
        ms(floor.publish.p(50.0))
    );
    let phases = run_phases(&d, token).await;
    let connect = d.connect;
    stop_inproc(d).await;
    (
        PublishResults {
            connect,
            first_publish,
            publish,
            unpublish,
            direct_publish,
            direct_unpublish,
            probe,
            phases,
            payload_check,
        },
        floor,
    )
}

/// A copy of the driver's publish and unpublish flow with a timer around each step.
async fn run_phases(d: &TestDriver, token: &str) -> Vec<(&'static str, Samples)> {
    const NAMES: [&str; 11] = [
        "validate request",
        "resolve connector + class (source)",
        "render",
        "state save #1 (write + rename)",
        "mkdir target + is_our_mount + is_mount_point (statx; mount table only at a mount root)",
        "mount tmpfs",
        "atomic write (payload dir, files, ..data swap, symlinks)",
        "state save #2",
        "unpublish: unmount_ours (mount table read + umount + statx)",
        "unpublish: rmdir target + remove state",
        "one /proc/self/mountinfo parse (reference)",
    ];
    let mut samples: Vec<Samples> = vec![Samples::default(); NAMES.len()];
    let store = StateStore::open(&d.root.path().join("phase-state")).unwrap();
    let source = memory_source();
    let vcfg = d.driver.cfg.validation();
    let life = Duration::from_secs(3600);
    for i in 0..WARMUP + count(PHASE_RUNS) {
        let keep = i >= WARMUP;
        let vol = format!("phase-{i}");
        let target = d.target(&vol);
        let proto_req = publish_request(&vol, &target, Some((token, life)));
        let mut lap = {
            let mut t = Instant::now();
            move |k: usize, samples: &mut Vec<Samples>| {
                if keep {
                    samples[k].push(t.elapsed());
                }
                t = Instant::now();
            }
        };
        let req = validate_publish(&proto_req, &vcfg).unwrap();
        lap(0, &mut samples);
        let key = ObjectKey::new(NS, CONNECTOR);
        let conn = source.connector(&key).await.unwrap();
        source.authorize(&req.spec.pod, &key).await.unwrap();
        let class = source
            .connector_class(&conn.spec.connector_class_name)
            .await
            .unwrap();
        let parsed = connectors_csi::token::parse_kubelet_tokens(
            req.kubelet_tokens.as_deref().unwrap(),
            AUDIENCE,
            jiff::Timestamp::now(),
        )
        .unwrap();
        lap(1, &mut samples);
        let rc = ResolvedConnector {
            proxy_ca: proxy_ca(&conn, &class),
            connector: conn,
            class,
            target_ca: None,
        };
        let mut rreq = req.spec.render.clone();
        rreq.pod_namespace = NS.into();
        let payload = render::render(
            &[rc],
            &rreq,
            &RenderSecrets {
                token: parsed.expose(),
                direct_token: None,
            },
        )
        .unwrap();
        lap(2, &mut samples);
        let mut state = VolumeState {
            volume_id: vol.clone(),
            target_path: target.clone(),
            readonly: true,
            capability: req.capability.canonical(),
            volume_mount_group: None,
            attributes: req.spec.attributes.clone(),
            pod: req.spec.pod.clone(),
            file_mode: FILE_MODE,
            files: vec![],
            token: Some((&parsed).into()),
            token_origin: "kubelet".into(),
            rendered_at: None,
            next_refresh: None,
        };
        store.save(&state).unwrap();
        lap(3, &mut samples);
        std::fs::create_dir_all(&target).unwrap();
        assert!(!mount::is_our_mount(&target).unwrap());
        assert!(!mount::is_mount_point(&target).unwrap());
        lap(4, &mut samples);
        mount::mount_tmpfs(
            &target,
            TmpfsOptions {
                size_bytes: DEFAULT_TMPFS_SIZE,
                mode: VOLUME_ROOT_MODE,
                gid: None,
            },
        )
        .unwrap();
        lap(5, &mut samples);
        let files: BTreeMap<String, FileProjection> = payload
            .files
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    FileProjection {
                        data: v.clone(),
                        mode: FILE_MODE,
                    },
                )
            })
            .collect();
        atomic::write_payload(
            &target,
            &files,
            WriteOptions {
                gid: None,
                dir_mode: DIR_MODE,
            },
        )
        .unwrap();
        lap(6, &mut samples);
        state.files = payload.files.keys().cloned().collect();
        state.rendered_at = Some(jiff::Timestamp::now());
        store.save(&state).unwrap();
        lap(7, &mut samples);
        mount::unmount_ours(&target).unwrap();
        lap(8, &mut samples);
        std::fs::remove_dir(&target).unwrap();
        store.remove(&vol).unwrap();
        lap(9, &mut samples);
        let _ = mount::mount_table().unwrap();
        lap(10, &mut samples);
    }
    NAMES.into_iter().zip(samples).collect()
}

// ---------------------------------------------------------------------------------------------
// 3. Concurrency.

struct Concurrency {
    publish_wall: Duration,
    publish: Samples,
    publish_failures: usize,
    unpublish_wall: Duration,
    unpublish: Samples,
    unpublish_failures: usize,
    mounted_after_publish: usize,
}

async fn run_concurrency(token: &str) -> Concurrency {
    let d = start_inproc(memory_source(), |_| {}).await;
    let life = Duration::from_secs(3600);
    let vols: Vec<(String, PathBuf)> = (0..count(CONCURRENT))
        .map(|i| {
            let v = format!("conc-{i}");
            let t = d.target(&v);
            (v, t)
        })
        .collect();
    let reqs: Vec<_> = vols
        .iter()
        .map(|(v, t)| publish_request(v, t, Some((token, life))))
        .collect();
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for req in reqs {
        let mut node = d.node.clone();
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            let r = node.node_publish_volume(req).await;
            (t.elapsed(), r.is_ok())
        }));
    }
    let mut publish = Samples::default();
    let mut publish_failures = 0;
    for t in tasks {
        let (el, ok) = t.await.unwrap();
        publish.push(el);
        publish_failures += usize::from(!ok);
    }
    let publish_wall = t0.elapsed();
    let mounted_after_publish = mount::mount_table()
        .unwrap()
        .iter()
        .filter(|m| m.source == mount::MOUNT_SOURCE && m.mount_point.starts_with(d.root.path()))
        .count();
    progress!(
        "{} concurrent publishes: {:?}, {} mounted",
        count(CONCURRENT),
        publish_wall,
        mounted_after_publish
    );

    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for (v, t) in &vols {
        let mut node = d.node.clone();
        let req = unpublish_request(v, t);
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            let r = node.node_unpublish_volume(req).await;
            (t.elapsed(), r.is_ok())
        }));
    }
    let mut unpublish = Samples::default();
    let mut unpublish_failures = 0;
    for t in tasks {
        let (el, ok) = t.await.unwrap();
        unpublish.push(el);
        unpublish_failures += usize::from(!ok);
    }
    let unpublish_wall = t0.elapsed();
    assert_eq!(d.driver.volume_count(), 0);
    stop_inproc(d).await;
    Concurrency {
        publish_wall,
        publish,
        publish_failures,
        unpublish_wall,
        unpublish,
        unpublish_failures,
        mounted_after_publish,
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Rotation latency.

struct Rotation {
    last: Samples,
    per_volume: Samples,
    /// Volumes that did not show a change within the poll timeout (10 s).
    timeouts: usize,
    changes_with_timeouts: usize,
    refreshes: u64,
}

/// Polls every volume's kubeconfig until it contains `marker`; returns the time from `t0` at
/// which each volume first showed it (None: not within `timeout`).
fn poll_until_seen(
    t0: Instant,
    files: &[PathBuf],
    marker: &str,
    timeout: Duration,
) -> Vec<Option<Duration>> {
    let mut seen: Vec<Option<Duration>> = vec![None; files.len()];
    let mut left = files.len();
    let mut buf = Vec::with_capacity(8192);
    while left > 0 && t0.elapsed() < timeout {
        for (i, f) in files.iter().enumerate() {
            if seen[i].is_some() {
                continue;
            }
            buf.clear();
            if let Ok(mut file) = std::fs::File::open(f) {
                if file.read_to_end(&mut buf).is_ok()
                    && buf.windows(marker.len()).any(|w| w == marker.as_bytes())
                {
                    seen[i] = Some(t0.elapsed());
                    left -= 1;
                }
            }
        }
        std::thread::sleep(Duration::from_micros(250));
    }
    seen
}

async fn measure_rotation(d: &TestDriver, tag: &str, mut change: impl FnMut(&str)) -> Rotation {
    let token = jwt("rot", now_s(), now_s() + 3600);
    let life = Duration::from_secs(3600);
    let mut files = Vec::new();
    let mut vols = Vec::new();
    for i in 0..count(ROTATION_VOLUMES) {
        let v = format!("rot-{tag}-{i}");
        let t = d.target(&v);
        d.node
            .clone()
            .node_publish_volume(publish_request(&v, &t, Some((&token, life))))
            .await
            .unwrap();
        files.push(t.join("kubeconfig"));
        vols.push((v, t));
    }
    let files = Arc::new(files);
    let refreshes_before = refreshes(&d.driver);
    let mut r = Rotation {
        last: Samples::default(),
        per_volume: Samples::default(),
        timeouts: 0,
        changes_with_timeouts: 0,
        refreshes: 0,
    };
    for k in 0..count(ROTATION_CHANGES) {
        let marker = format!("https://api-{tag}-{k}.example.com:6443");
        let files = files.clone();
        let m = marker.clone();
        let t0 = Instant::now();
        change(&marker);
        let seen = tokio::task::spawn_blocking(move || {
            poll_until_seen(t0, &files, &m, Duration::from_secs(10))
        })
        .await
        .unwrap();
        let mut last = Duration::ZERO;
        let mut missed = 0;
        for s in seen {
            match s {
                Some(el) => {
                    r.per_volume.push(el);
                    last = last.max(el);
                }
                None => missed += 1,
            }
        }
        if missed > 0 {
            // Not seen within the poll timeout: counts as the timeout in the "last" series.
            progress!("rotation {tag} change {k}: {missed} volumes never showed the new bytes");
            r.timeouts += missed;
            r.changes_with_timeouts += 1;
            last = Duration::from_secs(10);
        }
        r.last.push(last);
        // Let the trailing state saves finish before the next change.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    r.refreshes = refreshes(&d.driver) - refreshes_before;
    for (v, t) in &vols {
        d.node
            .clone()
            .node_unpublish_volume(unpublish_request(v, t))
            .await
            .unwrap();
    }
    r
}

fn write_atomically(path: &Path, content: &str) {
    let tmp = path.with_file_name(format!(
        ".{}.tmp",
        path.file_name().unwrap().to_string_lossy()
    ));
    std::fs::write(&tmp, content).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

fn objects_yaml(address: &str) -> String {
    format!(
        "{}---\n{}",
        serde_yaml::to_string(&class_value()).unwrap(),
        serde_yaml::to_string(&bench_connector(address)).unwrap()
    )
}

async fn run_rotation_dir() -> Rotation {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("connectors.yaml");
    write_atomically(&file, &objects_yaml(ADDRESS));
    let source = DirSource::open(dir.path().to_path_buf(), None)
        .await
        .unwrap();
    let d = start_inproc(source, |_| {}).await;
    let r = measure_rotation(&d, "dir", |addr| {
        write_atomically(&file, &objects_yaml(addr))
    })
    .await;
    stop_inproc(d).await;
    r
}

async fn start_kube_source(server: &FakeApiServer) -> Arc<KubeSource> {
    let source = KubeSource::start(server.client().await, KubeSourceOptions::default()).await;
    let t0 = Instant::now();
    while !source.is_synced() {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "KubeSource did not sync"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    source
}

async fn run_rotation_kube() -> Rotation {
    let server = FakeApiServer::start().await;
    server.apply(class_value());
    server.apply(bench_connector(ADDRESS));
    let source = start_kube_source(&server).await;
    let d = start_inproc(source, |_| {}).await;
    let r = measure_rotation(&d, "kube", |addr| {
        server.apply(bench_connector(addr));
    })
    .await;
    stop_inproc(d).await;
    r
}

// ---------------------------------------------------------------------------------------------
// 5. The driver process: RSS and CPU.

struct ProcLevel {
    volumes: usize,
    rss_kib: u64,
    hwm_kib: u64,
    cpu: Duration,
    window: Duration,
    refreshes: u64,
    threads: u64,
}

struct ProcResults {
    binary: String,
    levels: Vec<ProcLevel>,
    publish_1000_wall: Duration,
}

fn proc_status(pid: u32) -> (u64, u64, u64) {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| -> u64 {
        s.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"), field("Threads:"))
}

fn proc_cpu(pid: u32) -> Duration {
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
fn scrape_refreshes(addr: &str) -> u64 {
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

fn binary_path() -> PathBuf {
    if let Some(p) = option_env!("CARGO_BIN_EXE_connectors-csi") {
        return PathBuf::from(p);
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("release/connectors-csi")
}

async fn run_process() -> ProcResults {
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
        .arg("--static-token-file")
        .arg(&token_file)
        .args(["--metrics-address", &metrics_addr])
        .args(["--refresh-jitter", "1s", "--log-level", "info"])
        .stdout(std::process::Stdio::null())
        .stderr(log)
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
            cpu: cpu1 - cpu0,
            window,
            refreshes: r1 - r0,
            threads,
        });
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
    assert_no_mounts_under(root.path());
    ProcResults {
        binary: binary.display().to_string(),
        levels,
        publish_1000_wall,
    }
}

// ---------------------------------------------------------------------------------------------
// 6. API requests.

struct ApiRow {
    what: String,
    n: usize,
    counts: test_support::RequestCounts,
}

async fn publish_n(
    d: &TestDriver,
    vols: &mut Vec<(String, PathBuf)>,
    prefix: &str,
    n: usize,
    token: Option<(&str, Duration)>,
) {
    for i in 0..n {
        let v = format!("{prefix}-{i}");
        let t = d.target(&v);
        d.node
            .clone()
            .node_publish_volume(publish_request(&v, &t, token))
            .await
            .unwrap();
        vols.push((v, t));
    }
}

async fn run_api() -> Vec<ApiRow> {
    let server = FakeApiServer::start().await;
    server.apply(class_value());
    server.apply(bench_connector(ADDRESS));
    let source = start_kube_source(&server).await;
    let d = start_inproc(source, |c| c.refresh_jitter = Duration::ZERO).await;
    let mut rows = Vec::new();
    let mut vols = Vec::new();
    let life = Duration::from_secs(3600);
    let token = jwt("api", now_s(), now_s() + 3600);

    server.reset_counts();
    publish_n(&d, &mut vols, "api-cold", 1, Some((&token, life))).await;
    rows.push(ApiRow {
        what: "first publish (cold SubjectAccessReview cache), kubelet token".into(),
        n: 1,
        counts: server.counts(),
    });
    server.reset_counts();
    publish_n(
        &d,
        &mut vols,
        "api-warm",
        count(API_WARM_PUBLISHES),
        Some((&token, life)),
    )
    .await;
    rows.push(ApiRow {
        what: "warm publish, kubelet token".into(),
        n: count(API_WARM_PUBLISHES),
        counts: server.counts(),
    });
    server.reset_counts();
    publish_n(&d, &mut vols, "api-mint", count(API_MINTED_PUBLISHES), None).await;
    rows.push(ApiRow {
        what: "warm publish, no kubelet token (driver mints)".into(),
        n: count(API_MINTED_PUBLISHES),
        counts: server.counts(),
    });
    // Refreshes with a still-fresh token (what a connector change causes).
    let ids: Vec<String> = vols.iter().map(|(v, _)| v.clone()).collect();
    server.reset_counts();
    let before = refreshes(&d.driver);
    for id in ids.iter().cycle().take(count(API_REFRESHES)) {
        d.driver.refresh(id).await;
    }
    rows.push(ApiRow {
        what: "refresh, token still fresh (e.g. after a connector change)".into(),
        n: (refreshes(&d.driver) - before) as usize,
        counts: server.counts(),
    });
    // Refreshes because the token is due: kubelet tokens living 2 s are refreshed at 1.6 s by
    // the scheduler; each mints a new token.
    let short = Duration::from_secs(2);
    publish_n(
        &d,
        &mut vols,
        "api-due",
        count(API_MINTED_PUBLISHES),
        Some((&token, short)),
    )
    .await;
    server.reset_counts();
    let before = refreshes(&d.driver);
    tokio::time::sleep(Duration::from_secs(3)).await;
    rows.push(ApiRow {
        what: "scheduled refresh, token due (mints; SAR cache 10 s may have expired)".into(),
        n: (refreshes(&d.driver) - before) as usize,
        counts: server.counts(),
    });
    server.reset_counts();
    for (v, t) in &vols {
        d.node
            .clone()
            .node_unpublish_volume(unpublish_request(v, t))
            .await
            .unwrap();
    }
    rows.push(ApiRow {
        what: "unpublish".into(),
        n: vols.len(),
        counts: server.counts(),
    });
    stop_inproc(d).await;
    rows
}

// ---------------------------------------------------------------------------------------------
// Report.

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
        .unwrap_or_else(|| "unknown".into());
    let nproc = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let uname = nix::sys::utsname::uname().unwrap();
    let mem_total = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:").map(|v| v.trim().to_string()))
        .unwrap_or_default();
    let fs = {
        let tmp = std::env::temp_dir();
        let table = mount::mount_table().unwrap_or_default();
        table
            .iter()
            .filter(|m| tmp.starts_with(&m.mount_point))
            .max_by_key(|m| m.mount_point.as_os_str().len())
            .map(|m| format!("{} ({})", m.fs_type, m.source))
            .unwrap_or_default()
    };
    format!(
        "nproc {nproc}, model name `{model}`, kernel {} {}, MemTotal {mem_total}; state and temp dirs on {fs}; {} mounts in the mount namespace at start; load average at start {}; run {}",
        uname.sysname().to_string_lossy(),
        uname.release().to_string_lossy(),
        mount::mount_table().map(|t| t.len()).unwrap_or(0),
        loadavg(),
        jiff::Timestamp::now().strftime("%Y-%m-%d %H:%M UTC")
    )
}

/// The 1/5/15-minute load averages (other work on the machine skews every number).
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn api_row(r: &ApiRow) -> String {
    let c = &r.counts;
    let per = |v: usize| {
        if r.n == 0 {
            "–".to_string()
        } else {
            format!("{:.2}", v as f64 / r.n as f64)
        }
    };
    let sar = c.get("create", "subjectaccessreviews");
    let tr = c.get("create", "serviceaccounts/token");
    format!(
        "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
        r.what,
        r.n,
        per(c.verb("get")),
        per(c.verb("list")),
        per(c.verb("watch")),
        per(sar),
        per(tr),
        per(c.total()),
    )
}

const BEGIN: &str =
    "<!-- BEGIN GENERATED by `cargo bench --bench driver`; edits inside are overwritten -->";
const END: &str = "<!-- END GENERATED -->";

fn write_benchmarks_md(generated: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("BENCHMARKS.md");
    let existing = std::fs::read_to_string(&path).unwrap_or_default();
    let block = format!("{BEGIN}\n{generated}{END}");
    let out = match (existing.find(BEGIN), existing.find(END)) {
        (Some(b), Some(e)) if e > b => {
            format!("{}{block}{}", &existing[..b], &existing[e + END.len()..])
        }
        _ if existing.is_empty() => format!(
            "# Benchmarks\n\nRegenerate with `sudo -E cargo bench --bench driver` (root: real tmpfs mounts).\n\n{block}\n"
        ),
        _ => format!("{existing}\n{block}\n"),
    };
    std::fs::write(&path, out).unwrap();
    progress!("wrote {}", path.display());
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
    let machine = machine();
    progress!("{machine}");

    let token = jwt("pod-bench", now_s(), now_s() + 3600);
    let reference = reference_payload(&token);

    progress!("1-2/6 floor and publish latency (interleaved)");
    let (pubr, floor) = rt.block_on(run_publish(&token, &reference));
    progress!("3/6 concurrency");
    let conc = rt.block_on(run_concurrency(&token));
    progress!("4/6 rotation (dir source)");
    let rot_dir = rt.block_on(run_rotation_dir());
    progress!("4/6 rotation (kube source)");
    let rot_kube = rt.block_on(run_rotation_kube());
    progress!("5/6 driver process");
    let procr = rt.block_on(run_process());
    progress!("6/6 API requests");
    let api = rt.block_on(run_api());
    let total = started.elapsed();

    // ---- Markdown.
    let mut o = String::new();
    let fp50 = floor.publish.p(50.0);
    let ratio50 = pubr.publish.p(50.0) / fp50;
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
        "(not in the floor) state file write + rename, done 2× per publish",
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
    let _ = writeln!(
        o,
        "| publish p50 ≤ 2× floor p50 | {ratio50:.2}× ({} vs {}) | {} |",
        ms(pubr.publish.p(50.0)),
        ms(fp50),
        verdict(ratio50 <= 2.0)
    );
    let _ = writeln!(
        o,
        "| publish p99 ≤ 5 ms | {} ({ratio99:.2}× floor p99) | {} |",
        ms(pubr.publish.p(99.0)),
        verdict(pubr.publish.p(99.0) <= 5.0)
    );
    let with_rpc = fp50 + pubr.probe.p(50.0);
    let _ = writeln!(
        o,
        "| (reference) publish p50 vs. floor p50 + no-op RPC p50 | {:.2}× ({} vs {}) | – |",
        pubr.publish.p(50.0) / with_rpc,
        ms(pubr.publish.p(50.0)),
        ms(with_rpc)
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

    let _ = writeln!(
        o,
        "### Concurrency ({n} publishes at once, then {n} unpublishes, one gRPC channel)\n",
        n = count(CONCURRENT)
    );
    let _ = writeln!(o, "| phase | wall time | failures | p50 | p95 | p99 | max |\n|---|---:|---:|---:|---:|---:|---:|");
    let _ = writeln!(
        o,
        "| publish | {} | {} | {} | {} | {} | {} |",
        ms(conc.publish_wall.as_secs_f64() * 1000.0),
        conc.publish_failures,
        ms(conc.publish.p(50.0)),
        ms(conc.publish.p(95.0)),
        ms(conc.publish.p(99.0)),
        ms(conc.publish.max())
    );
    let _ = writeln!(
        o,
        "| unpublish | {} | {} | {} | {} | {} | {} |",
        ms(conc.unpublish_wall.as_secs_f64() * 1000.0),
        conc.unpublish_failures,
        ms(conc.unpublish.p(50.0)),
        ms(conc.unpublish.p(95.0)),
        ms(conc.unpublish.p(99.0)),
        ms(conc.unpublish.max())
    );
    let _ = writeln!(
        o,
        "\n{} tmpfs mounts were live after the publishes; none after the unpublishes.\n",
        conc.mounted_after_publish
    );

    let _ = writeln!(
        o,
        "### Rotation latency ({} connector changes, each affecting {} mounted volumes)\n",
        count(ROTATION_CHANGES),
        count(ROTATION_VOLUMES)
    );
    let _ = writeln!(o, "Time from the change (file rename / object apply) until a reader polling every 0.25 ms reads the new bytes from the volume's `kubeconfig`.\n");
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
    let _ = writeln!(o, "| target | measured | verdict |\n|---|---:|---|");
    for (name, r) in [("directory", &rot_dir), ("API server", &rot_kube)] {
        let _ = writeln!(o, "| {name} source: p99 (last volume) < 1 s | {} ({} volume updates missing after 10 s, in {} changes; {} refreshes for {} expected) | {} |", ms(r.last.p(99.0)), r.timeouts, r.changes_with_timeouts, r.refreshes, count(ROTATION_CHANGES) * count(ROTATION_VOLUMES), verdict(r.last.p(99.0) < 1000.0 && r.timeouts == 0));
    }
    let _ = writeln!(o);

    let _ = writeln!(o, "### The driver process: memory and CPU\n");
    let _ = writeln!(o, "`{} serve --source dir:… --static-token-file …` (release build). Every token lives {} s, so each volume refreshes at ~{} s (80 %) plus up to 1 s jitter; the static token file is rewritten every second, so each refresh renders new bytes and swaps `..data` (a real rewrite, state file save included). CPU is utime+stime from `/proc/<pid>/stat` over the window.\n",
        Path::new(&procr.binary).file_name().unwrap().to_string_lossy(), PROCESS_TOKEN_TTL.as_secs(), PROCESS_TOKEN_TTL.as_secs() * 8 / 10);
    let _ = writeln!(o, "| live volumes | window | refreshes (per s) | CPU time (% of one core) | CPU per refresh | VmRSS | VmHWM | threads |\n|---:|---:|---:|---:|---:|---:|---:|---:|");
    for l in &procr.levels {
        let w = l.window.as_secs_f64();
        let cpu_ms = l.cpu.as_secs_f64() * 1000.0;
        let _ = writeln!(o, "| {} | {:.0} s | {} ({:.1}/s) | {:.0} ms ({:.1} %) | {} | {:.1} MiB | {:.1} MiB | {} |",
            l.volumes, w, l.refreshes, l.refreshes as f64 / w, cpu_ms, cpu_ms / w / 10.0,
            if l.refreshes > 0 { format!("{:.0} µs", cpu_ms * 1000.0 / l.refreshes as f64) } else { "–".into() },
            l.rss_kib as f64 / 1024.0, l.hwm_kib as f64 / 1024.0, l.threads);
    }
    let rss0 = procr.levels.first().map(|l| l.rss_kib).unwrap_or(0) as f64;
    let top = procr.levels.last().unwrap();
    let per_vol = (top.rss_kib as f64 - rss0) / top.volumes as f64;
    let rss_mib = top.rss_kib as f64 / 1024.0;
    let _ = writeln!(o, "\nGrowth: {:.1} KiB of RSS per live volume (0 → {} volumes). Publishing the last {} volumes (16 in flight) took {:.1} s.\n", per_vol, top.volumes, top.volumes - procr.levels[procr.levels.len() - 2].volumes, procr.publish_1000_wall.as_secs_f64());
    let _ = writeln!(o, "| target | measured | verdict |\n|---|---:|---|");
    let _ = writeln!(
        o,
        "| RSS < 25 MiB at 1000 volumes | {rss_mib:.1} MiB | {} |\n",
        verdict(rss_mib < 25.0)
    );

    let _ = writeln!(o, "### API server requests (fake API server counters; KubeSource over a real `kube::Client`)\n");
    let _ = writeln!(o, "Per operation; the reflectors' initial LIST and long-running WATCH of Connectors and ConnectorClasses happen once at start and are not counted.\n");
    let _ = writeln!(o, "| operation | n | GET | LIST | WATCH | create SubjectAccessReview | create TokenRequest | all requests |\n|---|---:|---:|---:|---:|---:|---:|---:|");
    for r in &api {
        o.push_str(&api_row(r));
    }
    let warm = &api[1];
    let warm_get = warm.counts.verb("get") + warm.counts.verb("list");
    let _ = writeln!(o, "\n| target | measured | verdict |\n|---|---:|---|");
    let _ = writeln!(o, "| 0 GETs per warm publish | {} GET/LIST in {} warm publishes ({} requests in all) | {} |\n", warm_get, warm.n, warm.counts.total(), verdict(warm_get == 0));

    println!("{o}");
    if quick() {
        progress!("quick run: BENCHMARKS.md not written");
    } else {
        write_benchmarks_md(&o);
    }
}
