//! The volume lifecycle's owner: the [`Driver`] (settings, source, metrics, state store,
//! scheduler) and its per-volume slot map.
//!
//! The gRPC layer validates requests and hands them here. Each step of a volume's life lives
//! in its own file: `publish` (first publish and republish), `prepare`
//! (resolve connectors, check access, render — no IO), `approval` (the
//! `connectors/proxy` capability and AccessRequest decision), `token` (which token a volume gets),
//! `refresh` (scheduled and event-driven refresh), `unpublish` and `recover` (restart
//! recovery). Calls on one volume are serialised by a per-volume async mutex (its slot);
//! different volumes proceed in parallel.

mod approval;
pub mod error;
mod health;
mod prepare;
mod publish;
mod recover;
mod refresh;
mod token;
mod unpublish;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex as StdMutex, Weak};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use tokio::sync::Mutex;

pub use approval::ApprovalFlags;
pub use error::DriverError;
pub use health::{report_from_state, Condition, LiveFields, VolumeReport};
pub use recover::RecoveryReport;

use crate::connector::{ConnectorSource, ObjectKey, SourceEvent};
use crate::csi::request::{MountCapability, VolumeSpec};
use crate::events::{EventSink, LogSink, Recorder};
use crate::metrics::Metrics;
use crate::refresh::Scheduler;
use crate::render::{self, Payload};
use crate::token::{Token, TokenSourceMode};
use crate::volume::mount::MountStamp;
use crate::volume::state::{AttributesRef, StateStore, StoredTokenRef, VolumeStateRef};
use serde_json::value::RawValue;

/// Driver settings (from the CLI).
#[derive(Debug, Clone)]
pub struct DriverConfig {
    pub driver_name: String,
    pub node_id: String,
    pub kubelet_dir: PathBuf,
    pub allow_any_target: bool,
    pub state_dir: PathBuf,
    /// A state directory of an older release (`/var/lib/connectors-csi`) whose state files
    /// [`Driver::recover`] moves into `state_dir` first (upgrade migration); `None`: none.
    pub legacy_state_dir: Option<PathBuf>,
    pub token_audience: String,
    pub token_source: TokenSourceMode,
    pub tmpfs_size_bytes: u64,
    pub default_file_mode: u32,
    /// Upper bound of the random delay added to each scheduled refresh (spreads load).
    pub refresh_jitter: Duration,
    /// Mount a tmpfs per volume (production). `false` writes into the plain target directory:
    /// only for the non-root demo.
    pub mount: bool,
    /// The Alauda feature flags in force (CLI overrides over the operator's ConfigMap), read
    /// live at each publish and refresh.
    pub features: crate::features::Features,
}

impl DriverConfig {
    /// Defaults for tests and the demo: everything under `root`.
    pub fn for_root(root: &Path) -> Self {
        DriverConfig {
            driver_name: "connectors-csi".into(),
            node_id: "test-node".into(),
            kubelet_dir: root.join("kubelet"),
            allow_any_target: false,
            state_dir: root.join("state"),
            legacy_state_dir: None,
            token_audience: "connectors-proxy".into(),
            token_source: TokenSourceMode::Auto,
            tmpfs_size_bytes: DEFAULT_TMPFS_SIZE,
            default_file_mode: 0o440,
            refresh_jitter: DEFAULT_REFRESH_JITTER,
            mount: true,
            features: crate::features::Features::default(),
        }
    }

    pub fn validation(&self) -> crate::csi::request::ValidationConfig {
        crate::csi::request::ValidationConfig {
            kubelet_dir: self.kubelet_dir.clone(),
            allow_any_target: self.allow_any_target,
            default_file_mode: self.default_file_mode,
        }
    }
}

/// Default tmpfs size: room for two payloads of the render cap (old and new during a swap).
pub const DEFAULT_TMPFS_SIZE: u64 = 2 * render::MAX_PAYLOAD_BYTES as u64 + 1024 * 1024;

/// Default upper bound of refresh jitter (kubelet uses 0–10 s too).
pub const DEFAULT_REFRESH_JITTER: Duration = Duration::from_secs(10);

/// Mode of the volume root (the tmpfs) for files of `file_mode`: `0750` (root and the pod's
/// fsGroup), or `0755` when the files are readable by everyone (`0444`, the default without an
/// fsGroup), so that a container running as any user can reach them.
fn volume_root_mode(file_mode: u32) -> u32 {
    if file_mode & 0o004 != 0 {
        0o755
    } else {
        0o750
    }
}

/// What a volume was published with. Fixed while the volume is live; shared by its
/// [`LiveVolume`] and its health entry, so each live volume holds it once.
pub(super) struct VolumeInfo {
    volume_id: String,
    target_path: PathBuf,
    readonly: bool,
    capability: MountCapability,
    /// The attributes as given (minus kubelet's token attribute), for the state file: their
    /// JSON text, one allocation.
    attributes: Box<RawValue>,
    /// The volume's state file ([`StateStore::path_for`], a SHA-256 of the id, taken once).
    state_path: PathBuf,
    /// The parsed attributes. Its `attributes` and `warnings` are emptied (the first are
    /// above, the second are reported once, at the first publish).
    spec: VolumeSpec,
}

impl VolumeInfo {
    /// Moves `spec`'s attribute map into its compact form.
    fn new(
        state: &StateStore,
        volume_id: String,
        target_path: PathBuf,
        readonly: bool,
        capability: MountCapability,
        mut spec: VolumeSpec,
    ) -> Self {
        let attributes = std::mem::take(&mut spec.attributes);
        spec.warnings = Vec::new();
        VolumeInfo {
            state_path: state.path_for(&volume_id),
            volume_id,
            target_path,
            readonly,
            capability,
            attributes: serde_json::value::to_raw_value(&attributes)
                .expect("a string map serialises"),
            spec,
        }
    }
}

/// A published volume in memory: only what refresh, republish and unpublish need. The state
/// file is written from it ([`LiveVolume::state_ref`]); nothing here is a second copy of it.
/// Measured in BENCHMARKS.md ("The driver process"): each field costs RSS on every node for
/// every live volume.
struct LiveVolume {
    info: Arc<VolumeInfo>,
    /// When the pod token the files were rendered with was issued and expires. Its value is
    /// not held here: it is in the volume's state file (root-only, on tmpfs), which a refresh
    /// that reuses the token reads it back from ([`Driver::current_token`]). A JWT is ~1 KiB,
    /// as much as everything else a live volume holds.
    token: Token,
    /// Fingerprint of the token's value: a refresh or republish with a token of another value
    /// saves the state.
    token_fp: u64,
    /// Where `token` came from: `kubelet` or `driver` (a reused token keeps its origin).
    token_origin: &'static str,
    /// Fingerprint of the projected file names (the state file holds the names): a refresh
    /// that changes them saves the state.
    files: u64,
    /// Fingerprint of the payload last written ([`payload_fingerprint`]; 0 after a restart,
    /// when the files on disk decide).
    payload: u64,
    /// When the payload was last written (as saved in the state file).
    rendered_at: Option<Timestamp>,
    next_refresh: Option<Timestamp>,
    /// The `tokenfile` direct-mode token, when the volume uses that mode.
    direct: Option<Box<DirectToken>>,
    /// Objects the payload was rendered from; a change to any re-renders the volume.
    deps: Deps,
    /// Refresh stopped because the connector went away or access was revoked.
    stale: bool,
    /// Identity of the volume's tmpfs (statx mount id), taken right after mounting or, after a
    /// restart, at recovery: unpublish and republish recognise the mount with one statx(2)
    /// instead of reading the mount table. Kept in memory only (recovery reads the table once
    /// anyway), so the state file format is unchanged.
    mount: Option<MountStamp>,
}

impl LiveVolume {
    fn volume_id(&self) -> &str {
        &self.info.volume_id
    }

    fn spec(&self) -> &VolumeSpec {
        &self.info.spec
    }

    fn pod(&self) -> &crate::connector::PodInfo {
        &self.info.spec.pod
    }

    /// Whether the volume has a token (not [`no_token`]).
    fn has_token(&self) -> bool {
        self.token.expires_at > Timestamp::UNIX_EPOCH
    }

    /// The volume's state file content, borrowed from the live volume and the token's value.
    fn state_ref<'a>(
        &'a self,
        files: Vec<&'a str>,
        capability: &'a str,
        token: &'a Token,
    ) -> VolumeStateRef<'a> {
        let info = &*self.info;
        VolumeStateRef {
            volume_id: &info.volume_id,
            target_path: &info.target_path,
            readonly: info.readonly,
            capability,
            volume_mount_group: info.capability.volume_mount_group,
            attributes: AttributesRef::Json(&info.attributes),
            pod: &info.spec.pod,
            file_mode: info.spec.file_mode,
            files,
            token: Some(StoredTokenRef::from(token)),
            token_origin: self.token_origin,
            rendered_at: self.rendered_at,
            next_refresh: self.next_refresh,
        }
    }
}

/// The token of a volume whose state holds none (an older state file): empty, expired at the
/// epoch, so never reused.
fn no_token() -> Token {
    Token::new("", Timestamp::UNIX_EPOCH, Timestamp::UNIX_EPOCH)
}

/// The times of `t` without its value (what a live volume keeps of its token).
fn token_times(t: &Token) -> Token {
    Token::new(String::new(), t.issued_at, t.expires_at)
}

/// Fingerprint of a token's value.
fn token_fingerprint(t: &Token) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = fingerprinter();
    t.expose().hash(&mut h);
    h.finish()
}

/// The hasher of the live volume's fingerprints: fast and fixed for the process's life. A
/// fingerprint only ever tells "different" for sure, so its quality never matters for
/// correctness.
fn fingerprinter() -> impl std::hash::Hasher {
    use std::hash::BuildHasher;
    foldhash::quality::FixedState::with_seed(0).build_hasher()
}

/// The in-memory form of a token origin read from a state file (`kubelet`, `driver`; an older
/// state file may have none).
fn token_origin(s: &str) -> &'static str {
    match s {
        "kubelet" => "kubelet",
        "driver" => "driver",
        "" => "",
        _ => "unknown",
    }
}

/// Fingerprint of a volume's file names (order as given: the payload's sorted names).
fn files_fingerprint<'a>(names: impl IntoIterator<Item = &'a str>) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = fingerprinter();
    for n in names {
        n.hash(&mut h);
    }
    h.finish()
}

/// Fingerprint of a payload (names and bytes). Two different fingerprints mean different
/// payloads, which lets a refresh swap without reading the old files back; equal ones prove
/// nothing (the writer then compares with the disk), so the hash's quality never matters for
/// correctness.
fn payload_fingerprint(payload: &Payload) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = fingerprinter();
    for (name, data) in &payload.files {
        name.hash(&mut h);
        data.hash(&mut h);
    }
    h.finish()
}

/// The objects a volume was rendered from. Small sorted vectors: a volume has one or a few of
/// each, and a `BTreeSet` allocates an 11-slot node even for one.
#[derive(Default, Clone, PartialEq)]
struct Deps {
    connectors: Vec<ObjectKey>,
    classes: Vec<String>,
    secrets: Vec<ObjectKey>,
}

/// Inserts `item` into the sorted, duplicate-free `v`.
fn insert_sorted<T: Ord>(v: &mut Vec<T>, item: T) {
    if let Err(i) = v.binary_search(&item) {
        v.insert(i, item);
    }
}

impl Deps {
    fn add_connector(&mut self, k: ObjectKey) {
        insert_sorted(&mut self.connectors, k);
    }

    fn add_class(&mut self, c: String) {
        insert_sorted(&mut self.classes, c);
    }

    fn add_secret(&mut self, k: ObjectKey) {
        insert_sorted(&mut self.secrets, k);
    }

    fn shrink(mut self) -> Self {
        self.connectors.shrink_to_fit();
        self.classes.shrink_to_fit();
        self.secrets.shrink_to_fit();
        self
    }

    fn matches(&self, ev: &SourceEvent) -> bool {
        match ev {
            SourceEvent::Connector(k) => self.connectors.binary_search(k).is_ok(),
            SourceEvent::ConnectorClass(c) => self.classes.binary_search(c).is_ok(),
            SourceEvent::Secret(k) => self.secrets.binary_search(k).is_ok(),
            SourceEvent::All => true,
        }
    }
}

/// The result of resolving and rendering a volume, before any IO.
struct Prepared {
    payload: Payload,
    token: Token,
    direct: Option<DirectToken>,
    origin: &'static str,
    deps: Deps,
    /// What the render skipped or ignored (for the pod's warning event on first publish).
    warnings: Vec<String>,
}

/// A `tokenfile` direct-mode token and the target ServiceAccount it was minted for.
#[derive(Clone, Debug)]
struct DirectToken {
    service_account: String,
    token: Token,
}

/// `tracing` target of audit lines (direct-mode tokens minted); filter or route logs by it.
pub const AUDIT_TARGET: &str = "connectors_csi::audit";

/// One volume's place in the driver: the live volume behind a per-volume async lock (calls on
/// one volume are serialised), and its health entry behind a plain lock (read by
/// `/debug/volumes` and the scheduler while a refresh holds the volume). One allocation per
/// volume.
#[derive(Default)]
struct VolumeSlot {
    live: Mutex<Option<LiveVolume>>,
    health: StdMutex<Option<health::Health>>,
}

type Slot = Arc<VolumeSlot>;

/// The node driver.
pub struct Driver {
    pub cfg: DriverConfig,
    pub source: Arc<dyn ConnectorSource>,
    pub metrics: Arc<Metrics>,
    state: StateStore,
    /// Each volume's slot (its live volume and its health: condition, last/next refresh and
    /// last error, in memory only).
    volumes: StdMutex<HashMap<String, Slot>>,
    /// When a source change affecting a volume was seen (for the rotation-latency metric).
    changes: StdMutex<HashMap<String, Instant>>,
    scheduler: Scheduler,
    /// Pod events about volumes after their mount.
    events: Recorder,
}

impl Driver {
    /// Creates the driver, opens the state directory, starts the refresh scheduler and the
    /// source-event listener. Pod events go to the log. Call [`Driver::recover`] before serving.
    pub fn new(
        cfg: DriverConfig,
        source: Arc<dyn ConnectorSource>,
        metrics: Arc<Metrics>,
    ) -> Result<Arc<Self>, DriverError> {
        Self::new_with_events(cfg, source, metrics, Arc::new(LogSink))
    }

    /// [`Driver::new`] with pod events sent to `events` (Kubernetes Events in a cluster).
    pub fn new_with_events(
        cfg: DriverConfig,
        source: Arc<dyn ConnectorSource>,
        metrics: Arc<Metrics>,
        events: Arc<dyn EventSink>,
    ) -> Result<Arc<Self>, DriverError> {
        let state = StateStore::open(&cfg.state_dir)?;
        let events = Recorder::start(events);
        let driver = Arc::new_cyclic(|weak: &Weak<Driver>| {
            // The scheduler only sees a refresh function; it stops once the driver is gone.
            let weak = weak.clone();
            let observer = weak.clone();
            let scheduler = Scheduler::start_observed(
                move |id: String| {
                    let d = weak.upgrade()?;
                    Some(async move { d.refresh(&id).await })
                },
                move |id: &str, retry| {
                    if let Some(d) = observer.upgrade() {
                        d.health_retry(id, retry);
                    }
                },
            );
            Driver {
                events,
                scheduler,
                cfg,
                source,
                metrics,
                state,
                volumes: StdMutex::new(HashMap::new()),
                changes: StdMutex::new(HashMap::new()),
            }
        });
        refresh::spawn_event_listener(&driver);
        Ok(driver)
    }

    fn slot(&self, volume_id: &str) -> Slot {
        self.volumes
            .lock()
            .expect("volume map poisoned")
            .entry(volume_id.to_string())
            .or_default()
            .clone()
    }

    fn existing_slot(&self, volume_id: &str) -> Option<Slot> {
        self.volumes
            .lock()
            .expect("volume map poisoned")
            .get(volume_id)
            .cloned()
    }

    fn forget_slot(&self, volume_id: &str, slot: &Slot) {
        let mut map = self.volumes.lock().expect("volume map poisoned");
        if map.get(volume_id).is_some_and(|s| Arc::ptr_eq(s, slot)) {
            map.remove(volume_id);
            self.events.forget(volume_id);
        }
        self.metrics.volumes.set(map.len() as i64);
    }

    /// Number of live volumes.
    pub fn volume_count(&self) -> usize {
        self.volumes.lock().expect("volume map poisoned").len()
    }

    async fn update_token_gauge(&self) {
        let slots: Vec<Slot> = self
            .volumes
            .lock()
            .expect("volume map poisoned")
            .values()
            .cloned()
            .collect();
        let now = Timestamp::now();
        let mut min: Option<f64> = None;
        for s in slots {
            if let Ok(g) = s.live.try_lock() {
                if let Some(l) = g.as_ref() {
                    let r = l.token.remaining(now).as_secs_f64();
                    min = Some(min.map_or(r, |m| m.min(r)));
                }
            }
        }
        self.metrics
            .token_min_seconds_to_expiry
            .set(min.unwrap_or(0.0));
    }
}
