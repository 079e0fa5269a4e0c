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

use std::collections::{BTreeSet, HashMap};
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
use crate::volume::state::{StateStore, VolumeState};

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

/// A published volume in memory.
struct LiveVolume {
    state: VolumeState,
    spec: VolumeSpec,
    capability: MountCapability,
    token: Token,
    /// The `tokenfile` direct-mode token, when the volume uses that mode.
    direct: Option<DirectToken>,
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

#[derive(Default, Clone)]
struct Deps {
    connectors: BTreeSet<ObjectKey>,
    classes: BTreeSet<String>,
    secrets: BTreeSet<ObjectKey>,
}

impl Deps {
    fn matches(&self, ev: &SourceEvent) -> bool {
        match ev {
            SourceEvent::Connector(k) => self.connectors.contains(k),
            SourceEvent::ConnectorClass(c) => self.classes.contains(c),
            SourceEvent::Secret(k) => self.secrets.contains(k),
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

type Slot = Arc<Mutex<Option<LiveVolume>>>;

/// The node driver.
pub struct Driver {
    pub cfg: DriverConfig,
    pub source: Arc<dyn ConnectorSource>,
    pub metrics: Arc<Metrics>,
    state: StateStore,
    volumes: StdMutex<HashMap<String, Slot>>,
    /// When a source change affecting a volume was seen (for the rotation-latency metric).
    changes: StdMutex<HashMap<String, Instant>>,
    scheduler: Scheduler,
    /// Condition, last/next refresh and last error of each live volume (in memory only).
    health: StdMutex<HashMap<String, health::Health>>,
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
                health: StdMutex::new(HashMap::new()),
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
            self.health_forget(volume_id);
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
            if let Ok(g) = s.try_lock() {
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
