//! Section 3, refresh cost: the CPU of one `Driver::refresh` that really rewrites a volume
//! against the refresh floor (the same payload written and swapped in with plain syscalls),
//! measured side by side in-process; the instruction counts come from `callgrind.rs`.

use std::sync::atomic::AtomicUsize;

use async_trait::async_trait;
use connectors_csi::connector::{PodInfo, SourceError, SourceEvent, TokenRequestSpec};
use connectors_csi::metrics::Metrics;
use connectors_csi::refresh::RefreshOutcome;
use connectors_csi::token::Token;
use k8s_openapi::api::core::v1::Secret;
use tokio::sync::broadcast;

use super::*;

// ---------------------------------------------------------------------------------------------
// 3. Refresh cost.

/// Measured refreshes of each kind (quick: / 20).
const REFRESHES: usize = 2000;
/// Volumes of each kind, refreshed in turn: a volume's payload directory retired by its last
/// refresh is then past `atomic::RETIRED_GRACE` (1 s) at its next one, so every measured
/// driver refresh removes the directory its previous refresh retired, as in production (one
/// refresh of a volume every ~24 min), and as the floor removes the old directory.
const REFRESH_VOLUMES: usize = 256;
/// The bench connector with its proxy at address 0 (as [`bench_connector`]) or 1: the
/// connector alternates between them, so every refresh renders bytes that differ from the
/// volume's. The proxy address reaches `.env` (the first file in name order, which a token
/// refresh changes too), `connector.status.proxyAddress`, `http(s).proxy` and `kubeconfig`.
fn alt_connector(address: usize) -> Value {
    let proxy = match address {
        0 => format!("http://c-{CONNECTOR}.{NS}.svc.cluster.local"),
        _ => format!("http://c-{CONNECTOR}-b.{NS}.svc.cluster.local"),
    };
    connector_value(NS, CONNECTOR, ADDRESS, &proxy, Some(&realistic_ca_pem()))
}
/// Sleep after each measured operation before reading the CPU clock, so that work it handed to
/// the runtime's other threads (the scheduler's next-refresh entry) is counted with it.
const SETTLE: Duration = Duration::from_millis(1);

/// The bench connector with proxy address 0 or 1 ([`alt_connector`]), served without change
/// events:
/// the driver's source-event listener would otherwise schedule a second refresh of every volume
/// on each switch, running alongside the measured one. Switching is one atomic store.
pub(crate) struct AltSource {
    sources: [Arc<MemorySource>; 2],
    which: AtomicUsize,
    /// Never sends: nothing the driver subscribes to changes.
    events: broadcast::Sender<SourceEvent>,
}

impl AltSource {
    fn new() -> Arc<Self> {
        let make = |address: usize| {
            let src = MemorySource::new();
            let class: ConnectorClass = serde_json::from_value(class_value()).unwrap();
            let conn: Connector = serde_json::from_value(alt_connector(address)).unwrap();
            src.set(|s| {
                s.insert_class(class);
                s.insert_connector(conn);
            });
            src
        };
        Arc::new(AltSource {
            sources: [make(0), make(1)],
            which: AtomicUsize::new(0),
            events: broadcast::channel(1).0,
        })
    }

    fn serve(&self, address: usize) {
        self.which.store(address, Ordering::SeqCst);
    }

    fn current(&self) -> &MemorySource {
        &self.sources[self.which.load(Ordering::SeqCst)]
    }
}

#[async_trait]
impl ConnectorSource for AltSource {
    fn kind(&self) -> &'static str {
        "memory"
    }
    fn is_synced(&self) -> bool {
        true
    }
    async fn connector(&self, key: &ObjectKey) -> Result<Arc<Connector>, SourceError> {
        self.current().connector(key).await
    }
    async fn list_connectors(&self) -> Result<Vec<Arc<Connector>>, SourceError> {
        self.current().list_connectors().await
    }
    async fn connector_class(&self, name: &str) -> Result<Arc<ConnectorClass>, SourceError> {
        self.current().connector_class(name).await
    }
    async fn secret(&self, key: &ObjectKey) -> Result<Arc<Secret>, SourceError> {
        self.current().secret(key).await
    }
    async fn namespace_labels(&self, ns: &str) -> Result<BTreeMap<String, String>, SourceError> {
        self.current().namespace_labels(ns).await
    }
    async fn authorize(&self, pod: &PodInfo, connector: &ObjectKey) -> Result<(), SourceError> {
        self.current().authorize(pod, connector).await
    }
    async fn request_token(&self, spec: &TokenRequestSpec) -> Result<Token, SourceError> {
        self.current().request_token(spec).await
    }
    fn subscribe(&self) -> broadcast::Receiver<SourceEvent> {
        self.events.subscribe()
    }
}

/// A floor volume: a tmpfs laid out as kubelet's atomic writer leaves it.
struct FloorVolume {
    target: PathBuf,
    /// Its current payload directory (the one `..data` points to).
    current: String,
}

/// `volumes` driver volumes (published through `Driver::publish`, kubelet token, real tmpfs)
/// and as many floor volumes, all holding the payload of address 0, refreshed in turn.
pub(crate) struct RefreshRig {
    root: tempfile::TempDir,
    pub(crate) driver: Arc<Driver>,
    source: Arc<AltSource>,
    vols: Vec<(String, PathBuf)>,
    floors: Vec<FloorVolume>,
    /// The payload of each address, rendered by the real renderer with the volumes' token.
    payloads: [BTreeMap<String, Vec<u8>>; 2],
    /// When volume pair `v` was last refreshed.
    last: Vec<Option<Instant>>,
    seq: u64,
}

impl RefreshRig {
    pub(crate) async fn start(token: &str, volumes: usize) -> RefreshRig {
        let root = tempfile::tempdir().unwrap();
        let cfg = DriverConfig::for_root(root.path());
        mount_state_tmpfs(&cfg.state_dir);
        std::fs::create_dir_all(&cfg.kubelet_dir).unwrap();
        let source = AltSource::new();
        let driver = Driver::new(cfg, source.clone(), Arc::new(Metrics::new())).unwrap();
        let payloads = [
            rendered_payload(token, alt_connector(0)),
            rendered_payload(token, alt_connector(1)),
        ];
        assert_ne!(payloads[0]["kubeconfig"], payloads[1]["kubeconfig"]);
        assert_eq!(
            payloads[0],
            reference_payload(token),
            "the publish section's payload"
        );
        let vcfg = driver.cfg.validation();
        let life = Duration::from_secs(3600);
        let mut vols = Vec::new();
        let mut floors = Vec::new();
        let floor_base = root.path().join("floor");
        std::fs::create_dir_all(&floor_base).unwrap();
        for v in 0..volumes {
            let id = format!("refresh-{v}");
            let target = kubelet_target(&driver.cfg.kubelet_dir, &id);
            let req = validate_publish(&publish_request(&id, &target, Some((token, life))), &vcfg)
                .unwrap();
            driver.publish(req).await.unwrap();
            if v == 0 {
                // The driver writes exactly the floor's bytes.
                assert_eq!(
                    atomic::read_payload(&target).unwrap(),
                    payloads[0],
                    "the refresh floor writes the bytes of the driver's payload"
                );
            }
            vols.push((id, target));
            let target = floor_base.join(format!("t{v}"));
            floor_publish(&target, &payloads[0]);
            floors.push(FloorVolume {
                target,
                current: FLOOR_PAYLOAD_DIR.to_string(),
            });
        }
        RefreshRig {
            root,
            driver,
            source,
            vols,
            floors,
            payloads,
            last: vec![None; volumes],
            seq: 1,
        }
    }

    pub(crate) fn volumes(&self) -> usize {
        self.vols.len()
    }

    /// The files whose bytes differ between the two addresses, in name order.
    fn changed_files(&self) -> Vec<String> {
        self.payloads[0]
            .iter()
            .filter(|(k, v)| self.payloads[1].get(*k) != Some(v))
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// Round `i`: volume pair `i mod volumes` and the address it is rewritten with (the one it
    /// does not hold). Waits until the pair's last refresh is past the retired-directory
    /// grace, and switches the source to that address.
    pub(crate) fn round(&mut self, i: usize) -> (usize, usize) {
        let v = i % self.vols.len();
        let address = (i / self.vols.len() + 1) % 2;
        if let Some(t) = self.last[v] {
            let wait = atomic::RETIRED_GRACE + Duration::from_millis(50);
            if let Some(rest) = wait.checked_sub(t.elapsed()) {
                std::thread::sleep(rest);
            }
        }
        self.last[v] = Some(Instant::now());
        self.source.serve(address);
        (v, address)
    }

    /// One driver refresh of volume `v`: the public `Driver::refresh`.
    pub(crate) async fn driver_refresh(&self, v: usize) -> RefreshOutcome {
        self.driver.refresh(&self.vols[v].0).await
    }

    /// Checks that the driver refresh of volume `v` rewrote it with `address`'s payload.
    pub(crate) fn check_driver(&self, v: usize, address: usize, outcome: RefreshOutcome, ok0: u64) {
        assert_eq!(
            outcome,
            RefreshOutcome::Done,
            "refresh of {}",
            self.vols[v].0
        );
        assert_eq!(
            ok_refreshes(&self.driver),
            ok0 + 1,
            "the refresh swapped in new files (refresh_total{{result=\"ok\"}})"
        );
        let written = std::fs::read(self.vols[v].1.join("kubeconfig")).unwrap();
        assert_eq!(
            written, self.payloads[address]["kubeconfig"],
            "the driver's kubeconfig changed"
        );
    }

    /// One refresh floor on floor volume `v`: the payload of `address` written into a new
    /// timestamped directory, `..data` swapped to it, the old directory removed. Plain syscalls
    /// by path, no driver code; the user-visible links stay as they are.
    pub(crate) fn floor_refresh(&mut self, v: usize, address: usize) {
        self.seq += 1;
        let f = &mut self.floors[v];
        let name = format!("..2026_01_01_00_00_00.{:09}", self.seq);
        floor_payload_dir(&f.target, &name, &self.payloads[address]);
        floor_swap(&f.target, &name);
        std::fs::remove_dir_all(f.target.join(&f.current)).unwrap();
        f.current = name;
    }

    pub(crate) fn check_floor(&self, v: usize, address: usize) {
        let written = std::fs::read(self.floors[v].target.join("kubeconfig")).unwrap();
        assert_eq!(written, self.payloads[address]["kubeconfig"]);
    }

    /// Unpublishes every volume and checks that nothing stayed mounted.
    pub(crate) async fn stop(self) {
        for (id, target) in &self.vols {
            self.driver.unpublish(id, target).await.unwrap();
        }
        for f in &self.floors {
            floor_unpublish(&f.target);
        }
        unmount_state_tmpfs(&self.driver.cfg.state_dir);
        assert_no_mounts_under(self.root.path());
    }
}

/// Refreshes that swapped in new files.
pub(crate) fn ok_refreshes(d: &Driver) -> u64 {
    d.metrics
        .refresh_total
        .get_or_create(&ResultLabel {
            result: "ok".to_string(),
        })
        .get()
}

/// CPU time of this process, all threads (`CLOCK_PROCESS_CPUTIME_ID`, nanosecond resolution).
pub(crate) fn process_cpu() -> Duration {
    let mut ts = nix::libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through a pointer to a live local.
    let rc = unsafe { nix::libc::clock_gettime(nix::libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_PROCESS_CPUTIME_ID)");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

pub(crate) struct RefreshCost {
    pub(crate) driver_wall: Samples,
    pub(crate) floor_wall: Samples,
    /// Process CPU from the start of an operation to the end of the settle sleep after it.
    pub(crate) driver_cpu: Samples,
    pub(crate) floor_cpu: Samples,
    /// Process CPU of the settle sleep alone (subtracted from the two above).
    pub(crate) null_cpu: Samples,
    pub(crate) volumes: usize,
    /// Files a refresh rewrites with new bytes, and how many the payload has.
    pub(crate) changed: Vec<String>,
    pub(crate) files: usize,
}

impl RefreshCost {
    /// CPU per driver refresh and per floor refresh (µs), at p50 or the mean, net of the
    /// settle sleep.
    pub(crate) fn cpu_us(&self, mean: bool) -> (f64, f64) {
        let stat = |s: &Samples| if mean { s.mean() } else { s.p(50.0) };
        let null = stat(&self.null_cpu);
        (
            (stat(&self.driver_cpu) - null) * 1000.0,
            (stat(&self.floor_cpu) - null) * 1000.0,
        )
    }
}

/// Driver refreshes and floor refreshes, interleaved round by round (each round: one driver
/// refresh, one floor refresh, one settle sleep alone), so that both see the same load. The
/// first pass over the volumes is warm-up (nothing retired to remove yet).
pub(crate) async fn run_refresh_cost(token: &str) -> RefreshCost {
    let mut rig = RefreshRig::start(token, REFRESH_VOLUMES).await;
    let mut r = RefreshCost {
        driver_wall: Samples::default(),
        floor_wall: Samples::default(),
        driver_cpu: Samples::default(),
        floor_cpu: Samples::default(),
        null_cpu: Samples::default(),
        volumes: rig.volumes(),
        changed: rig.changed_files(),
        files: rig.payloads[0].len(),
    };
    for i in 0..rig.volumes() + count(REFRESHES) {
        let keep = i >= rig.volumes();
        let (v, address) = rig.round(i);

        let ok0 = ok_refreshes(&rig.driver);
        let c0 = process_cpu();
        let t0 = Instant::now();
        let outcome = rig.driver_refresh(v).await;
        let wall = t0.elapsed();
        std::thread::sleep(SETTLE);
        let cpu = process_cpu() - c0;
        rig.check_driver(v, address, outcome, ok0);
        if keep {
            r.driver_wall.push(wall);
            r.driver_cpu.push(cpu);
        }

        let c0 = process_cpu();
        let t0 = Instant::now();
        rig.floor_refresh(v, address);
        let wall = t0.elapsed();
        std::thread::sleep(SETTLE);
        let cpu = process_cpu() - c0;
        rig.check_floor(v, address);
        if keep {
            r.floor_wall.push(wall);
            r.floor_cpu.push(cpu);
        }

        let c0 = process_cpu();
        std::thread::sleep(SETTLE);
        let cpu = process_cpu() - c0;
        if keep {
            r.null_cpu.push(cpu);
        }
    }
    let (d, f) = r.cpu_us(true);
    progress!("refresh: CPU {d:.0} µs per driver refresh, {f:.0} µs per floor refresh (mean)");
    rig.stop().await;
    r
}

/// `v` µs, to three significant digits.
pub(crate) fn us(v: f64) -> String {
    if v.is_nan() {
        "–".into()
    } else if v >= 100.0 {
        format!("{v:.0} µs")
    } else {
        format!("{v:.1} µs")
    }
}

/// "**met**", or "**missed**" with how far `measured` is above `limit`.
pub(crate) fn goal(measured: f64, limit: f64, unit: fn(f64) -> String) -> String {
    if measured <= limit {
        verdict(true).to_string()
    } else {
        format!(
            "{} by {} ({:.2}× the allowed {})",
            verdict(false),
            unit(measured - limit),
            measured / limit,
            unit(limit)
        )
    }
}

/// The section's Markdown: CPU and wall time per refresh, instructions per refresh and per
/// publish, and the refresh goal.
pub(crate) fn refresh_markdown(r: &RefreshCost, ins: &Instructions) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "### Refresh cost: one volume rewritten, driver vs. the refresh floor\n"
    );
    let _ = writeln!(o, "The driver refresh is `Driver::refresh` of a published volume (MemorySource, kubelet token, real tmpfs) after its connector's proxy address (`status.proxy.httpAddress.url`) switched between two values, so it renders new bytes ({} of the {} files differ: {}) and swaps them in (checked: `refresh_total{{result=\"ok\"}}` counts it and the volume's `kubeconfig` holds the new bytes). The refresh floor writes the same files (names, bytes, modes) with plain syscalls into a new timestamped directory of a kubelet-style volume, swaps `..data` (`..data_tmp` symlink + rename) and removes the old payload directory. {} volumes of each kind are refreshed in turn, one of each per round, so a driver volume's previously retired payload directory is past its 1 s grace and is removed, as in production. CPU is the process's CPU clock (all threads) from the start of the operation to the end of a 1 ms sleep after it (so work handed to the runtime's other threads counts), minus the same sleep measured alone each round (p50 {}, mean {}).\n",
        r.changed.len(), r.files, r.changed.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", "),
        r.volumes, us(r.null_cpu.p(50.0) * 1000.0), us(r.null_cpu.mean() * 1000.0));
    let (dp, fp) = r.cpu_us(false);
    let (dm, fm) = r.cpu_us(true);
    let _ = writeln!(o, "| measurement | n | wall p50 | wall p99 | CPU p50 | CPU mean |\n|---|---:|---:|---:|---:|---:|");
    for (name, wall, p50, mean) in [
        (
            "driver refresh (`Driver::refresh`, rewrites the volume)",
            &r.driver_wall,
            dp,
            dm,
        ),
        (
            "refresh floor (write + swap + remove old, plain syscalls)",
            &r.floor_wall,
            fp,
            fm,
        ),
    ] {
        let _ = writeln!(
            o,
            "| {name} | {} | {} | {} | {} | {} |",
            wall.n(),
            ms(wall.p(50.0)),
            ms(wall.p(99.0)),
            us(p50),
            us(mean)
        );
    }
    let _ = writeln!(
        o,
        "| driver ÷ floor | | {:.2}× | {:.2}× | {:.2}× | {:.2}× |\n",
        r.driver_wall.p(50.0) / r.floor_wall.p(50.0),
        r.driver_wall.p(99.0) / r.floor_wall.p(99.0),
        dp / fp,
        dm / fm
    );
    o.push_str(&instructions_markdown(ins));
    let _ = writeln!(o, "| target | measured | verdict |\n|---|---:|---|");
    let _ = writeln!(
        o,
        "| CPU per volume refresh ≤ 2× a refresh floor | {} vs {} (mean) = {:.2}×; at p50 {} vs {} = {:.2}× | {} |",
        us(dm),
        us(fm),
        dm / fm,
        us(dp),
        us(fp),
        dp / fp,
        goal(dm, 2.0 * fm, us)
    );
    if let Instructions::Measured(m) = ins {
        let (d, f) = (m.mean(CgOp::Refresh), m.mean(CgOp::RefreshFloor));
        let _ = writeln!(
            o,
            "| (reference) instructions per refresh vs. 2× the floor's | {} vs {} = {:.2}× | {} |",
            kilo(d),
            kilo(f),
            d / f,
            goal(d, 2.0 * f, kilo)
        );
    }
    let _ = writeln!(o);
    o
}
