//! The volume lifecycle: publish, republish, refresh, unpublish and restart recovery.
//!
//! The gRPC layer validates requests and hands them here; this module resolves connectors,
//! obtains tokens, renders the payload (pure), and then touches the filesystem: tmpfs mount,
//! atomic write, state file. Calls on one volume are serialised by a per-volume async mutex;
//! different volumes proceed in parallel.

pub mod error;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex as StdMutex, Weak};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use tokio::sync::Mutex;
use tracing::{info, warn};

pub use error::DriverError;

use crate::connector::source::check_namespace_scope;
use crate::connector::types::proxy_ca;
use crate::connector::{ConnectorSource, ObjectKey, SourceError, SourceEvent, TokenRequestSpec};
use crate::csi::request::{MountCapability, PublishRequest, VolumeSpec};
use crate::metrics::Metrics;
use crate::refresh::{next_refresh, RefreshOutcome, Scheduler};
use crate::render::{self, Payload, RenderSecrets, ResolvedConnector};
use crate::token::{self, Token, TokenSourceMode};
use crate::volume::atomic::{self, FileProjection, WriteOptions};
use crate::volume::mount::{self, TmpfsOptions};
use crate::volume::state::{StateStore, VolumeState};

/// Driver settings (from the CLI).
#[derive(Debug, Clone)]
pub struct DriverConfig {
    pub driver_name: String,
    pub node_id: String,
    pub kubelet_dir: PathBuf,
    pub allow_any_target: bool,
    pub state_dir: PathBuf,
    pub token_audience: String,
    pub token_source: TokenSourceMode,
    pub tmpfs_size_bytes: u64,
    pub default_file_mode: u32,
    /// Upper bound of the random delay added to each scheduled refresh (spreads load).
    pub refresh_jitter: Duration,
    /// Mount a tmpfs per volume (production). `false` writes into the plain target directory:
    /// only for the non-root demo.
    pub mount: bool,
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
            token_audience: "connectors-proxy".into(),
            token_source: TokenSourceMode::Auto,
            tmpfs_size_bytes: DEFAULT_TMPFS_SIZE,
            default_file_mode: 0o440,
            refresh_jitter: DEFAULT_REFRESH_JITTER,
            mount: true,
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

/// Mode of the volume root (the tmpfs).
const VOLUME_ROOT_MODE: u32 = 0o750;

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
}

impl Driver {
    /// Creates the driver, opens the state directory, starts the refresh scheduler and the
    /// source-event listener. Call [`Driver::recover`] before serving.
    pub fn new(
        cfg: DriverConfig,
        source: Arc<dyn ConnectorSource>,
        metrics: Arc<Metrics>,
    ) -> Result<Arc<Self>, DriverError> {
        let state = StateStore::open(&cfg.state_dir)?;
        let driver = Arc::new_cyclic(|weak: &Weak<Driver>| {
            // The scheduler only sees a refresh function; it stops once the driver is gone.
            let weak = weak.clone();
            let scheduler = Scheduler::start(move |id: String| {
                let d = weak.upgrade()?;
                Some(async move { d.refresh(&id).await })
            });
            Driver {
                scheduler,
                cfg,
                source,
                metrics,
                state,
                volumes: StdMutex::new(HashMap::new()),
                changes: StdMutex::new(HashMap::new()),
            }
        });
        let weak = Arc::downgrade(&driver);
        let mut events = driver.source.subscribe();
        tokio::spawn(async move {
            loop {
                let ev = match events.recv().await {
                    Ok(ev) => ev,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                        warn!(
                            missed = n,
                            "source events lagged; re-rendering every volume"
                        );
                        SourceEvent::All
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                };
                let Some(d) = weak.upgrade() else { return };
                d.on_source_event(&ev).await;
            }
        });
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
        }
        self.metrics.volumes.set(map.len() as i64);
    }

    /// Number of live volumes.
    pub fn volume_count(&self) -> usize {
        self.volumes.lock().expect("volume map poisoned").len()
    }

    /// NodePublishVolume (first publish or kubelet's periodic republish).
    pub async fn publish(&self, req: PublishRequest) -> Result<(), DriverError> {
        let slot = self.slot(&req.volume_id);
        let mut guard = slot.lock().await;
        if let Some(live) = guard.as_mut() {
            if live.state.target_path != req.target_path {
                return Err(DriverError::FailedPrecondition(format!(
                    "volume {} is already published at {}; a single-node volume cannot be published at a second target {}",
                    req.volume_id,
                    live.state.target_path.display(),
                    req.target_path.display()
                )));
            }
            if live.capability != req.capability || live.state.readonly != req.readonly {
                return Err(DriverError::AlreadyExists(format!(
                    "volume {} is already published at {} with a different capability or readonly flag",
                    req.volume_id,
                    req.target_path.display()
                )));
            }
            if self.volume_present(&req.target_path)? {
                self.republish(live, &req).await;
                return Ok(());
            }
            // The mount vanished under us (host cleanup): publish afresh.
            warn!(volume_id = %req.volume_id, "published volume lost its mount; publishing again");
            *guard = None;
        }
        let result = self.publish_new(&req).await;
        match result {
            Ok(live) => {
                let next = live.state.next_refresh;
                *guard = Some(live);
                drop(guard);
                self.metrics.volumes.set(self.volume_count() as i64);
                if let Some(at) = next {
                    self.scheduler.schedule(&req.volume_id, at);
                }
                self.update_token_gauge().await;
                Ok(())
            }
            Err(e) => {
                drop(guard);
                self.forget_slot(&req.volume_id, &slot);
                Err(e)
            }
        }
    }

    async fn publish_new(&self, req: &PublishRequest) -> Result<LiveVolume, DriverError> {
        let prepared = self
            .prepare(&req.spec, req.kubelet_tokens.as_deref(), None, None)
            .await?;
        let now = Timestamp::now();
        let mut state = VolumeState {
            volume_id: req.volume_id.clone(),
            target_path: req.target_path.clone(),
            readonly: req.readonly,
            capability: req.capability.canonical(),
            volume_mount_group: req.capability.volume_mount_group,
            attributes: req.spec.attributes.clone(),
            pod: req.spec.pod.clone(),
            file_mode: req.spec.file_mode,
            files: vec![],
            token: Some((&prepared.token).into()),
            token_origin: prepared.origin.into(),
            rendered_at: None,
            next_refresh: None,
        };
        // State first: a crash after this point is found and repaired (or cleaned) on restart.
        self.state.save(&state)?;
        match self.mount_and_write(req, &prepared.payload) {
            Ok(()) => {}
            Err(e) => {
                self.teardown(&req.volume_id, &req.target_path);
                return Err(e);
            }
        }
        state.files = prepared.payload.files.keys().cloned().collect();
        state.rendered_at = Some(now);
        state.next_refresh = Some(self.next_refresh_for(&prepared.token, prepared.direct.as_ref()));
        if let Err(e) = self.state.save(&state) {
            self.teardown(&req.volume_id, &req.target_path);
            return Err(e.into());
        }
        info!(volume_id = %req.volume_id, pod = %format!("{}/{}", req.spec.pod.namespace, req.spec.pod.name),
              files = state.files.len(), token_origin = prepared.origin, "volume published");
        Ok(LiveVolume {
            state,
            spec: req.spec.clone(),
            capability: req.capability.clone(),
            token: prepared.token,
            direct: prepared.direct,
            deps: prepared.deps,
            stale: false,
        })
    }

    /// Is the volume's content still in place at `target`?
    fn volume_present(&self, target: &Path) -> Result<bool, DriverError> {
        if self.cfg.mount {
            Ok(mount::is_our_mount(target)?)
        } else {
            Ok(target.join(atomic::DATA_DIR).symlink_metadata().is_ok())
        }
    }

    fn mount_and_write(&self, req: &PublishRequest, payload: &Payload) -> Result<(), DriverError> {
        let target = &req.target_path;
        if target.symlink_metadata().is_ok_and(|m| !m.is_dir()) {
            return Err(DriverError::FailedPrecondition(format!(
                "target_path {} exists and is not a directory; kubelet passes a directory path for inline volumes",
                target.display()
            )));
        }
        std::fs::create_dir_all(target).map_err(|e| {
            DriverError::Internal(format!("create target directory {}: {e}", target.display()))
        })?;
        if self.cfg.mount && !mount::is_our_mount(target)? {
            if mount::is_mount_point(target)? {
                return Err(DriverError::FailedPrecondition(format!(
                    "{} already has a mount that connectors-csi did not create; refusing to mount over it",
                    target.display()
                )));
            }
            mount::mount_tmpfs(
                target,
                TmpfsOptions {
                    size_bytes: self.cfg.tmpfs_size_bytes,
                    mode: VOLUME_ROOT_MODE,
                    gid: req.capability.volume_mount_group,
                },
            )?;
        }
        self.write(
            &req.volume_id,
            target,
            payload,
            req.spec.file_mode,
            req.capability.volume_mount_group,
        )
        .map(|_| ())
    }

    fn write(
        &self,
        volume_id: &str,
        target: &Path,
        payload: &Payload,
        mode: u32,
        gid: Option<u32>,
    ) -> Result<bool, DriverError> {
        let files: BTreeMap<String, FileProjection> = payload
            .files
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    FileProjection {
                        data: v.clone(),
                        mode,
                    },
                )
            })
            .collect();
        let dir_mode = if mode & 0o004 != 0 {
            0o555
        } else if mode & 0o040 != 0 {
            0o550
        } else {
            0o500
        };
        atomic::write_payload(target, &files, WriteOptions { gid, dir_mode })
            .map(|o| o.swapped)
            .map_err(|source| DriverError::Write {
                volume: volume_id.to_string(),
                source,
            })
    }

    /// Removes everything a failed publish created: the mount, the target dir, the state.
    fn teardown(&self, volume_id: &str, target: &Path) {
        if !self.cfg.mount {
            let _ = std::fs::remove_dir_all(target);
        } else {
            if let Err(e) = mount::unmount_ours(target) {
                warn!(volume_id, error = %e, "cleanup: unmount failed");
            }
            if !mount::is_mount_point(target).unwrap_or(true) {
                let _ = std::fs::remove_dir(target);
            }
        }
        if let Err(e) = self.state.remove(volume_id) {
            warn!(volume_id, error = %e, "cleanup: removing state failed");
        }
    }

    /// Kubelet's periodic republish: take the new token, re-render, keep the last good files on
    /// any failure. Never fails (kubernetes#121271).
    async fn republish(&self, live: &mut LiveVolume, req: &PublishRequest) {
        let result = async {
            let prepared = self
                .prepare(
                    &live.spec,
                    req.kubelet_tokens.as_deref(),
                    Some(&live.token),
                    live.direct.as_ref(),
                )
                .await?;
            self.apply(live, prepared)
        }
        .await;
        if let Err(e) = result {
            self.metrics.republish_failures_total.inc();
            warn!(volume_id = %req.volume_id, error = %e, "republish could not refresh the volume; keeping the last good files");
        }
    }

    /// The earlier refresh point of the pod token and the direct-mode token.
    fn next_refresh_for(&self, token: &Token, direct: Option<&DirectToken>) -> Timestamp {
        let pod = next_refresh(token, self.cfg.refresh_jitter);
        match direct {
            Some(d) => pod.min(next_refresh(&d.token, self.cfg.refresh_jitter)),
            None => pod,
        }
    }

    /// Writes a prepared render into a live volume and updates its state. Returns whether new
    /// bytes were swapped in (false when the payload was unchanged).
    fn apply(&self, live: &mut LiveVolume, prepared: Prepared) -> Result<bool, DriverError> {
        let swapped = self.write(
            &live.state.volume_id,
            &live.state.target_path,
            &prepared.payload,
            live.state.file_mode,
            live.state.volume_mount_group,
        )?;
        live.token = prepared.token;
        live.direct = prepared.direct;
        live.deps = prepared.deps;
        live.stale = false;
        live.state.token = Some((&live.token).into());
        live.state.token_origin = prepared.origin.into();
        live.state.files = prepared.payload.files.keys().cloned().collect();
        if swapped {
            live.state.rendered_at = Some(Timestamp::now());
        }
        live.state.next_refresh = Some(self.next_refresh_for(&live.token, live.direct.as_ref()));
        self.state.save(&live.state)?;
        if let Some(at) = live.state.next_refresh {
            self.scheduler.schedule(&live.state.volume_id, at);
        }
        Ok(swapped)
    }

    /// Resolves connectors, checks access, obtains the token and renders.
    /// `current` (and `current_direct`) are the tokens already in the volume (refresh/republish),
    /// reused until their refresh point.
    async fn prepare(
        &self,
        spec: &VolumeSpec,
        kubelet_tokens: Option<&str>,
        current: Option<&Token>,
        current_direct: Option<&DirectToken>,
    ) -> Result<Prepared, DriverError> {
        let mut deps = Deps::default();
        let mut resolved = Vec::with_capacity(spec.connectors.len());
        for key in &spec.connectors {
            check_namespace_scope(self.source.as_ref(), &spec.pod.namespace, key).await?;
            let connector = self.source.connector(key).await.map_err(|e| match e {
                SourceError::NotFound { .. } => SourceError::NotFound {
                    kind: "connector",
                    key: key.to_string(),
                },
                e => e,
            })?;
            if self.source.kind() == "kube" && spec.pod.service_account.is_empty() {
                return Err(crate::csi::request::InvalidRequest(
                    "the pod's ServiceAccount is unknown: set podInfoOnMount: true on the CSIDriver".into(),
                )
                .into());
            }
            self.source.authorize(&spec.pod, key).await?;
            match connector.ready_condition() {
                Some(c) if c.status == "True" => {}
                Some(c) => {
                    return Err(DriverError::ConnectorNotReady {
                        connector: key.to_string(),
                        reason: format!(
                            "{}{}",
                            c.reason.clone().unwrap_or_else(|| "NotReady".into()),
                            c.message
                                .as_ref()
                                .map(|m| format!(": {m}"))
                                .unwrap_or_default()
                        ),
                    })
                }
                None => {
                    return Err(DriverError::ConnectorNotReady {
                        connector: key.to_string(),
                        reason: "it has no Ready condition yet (status.conditions)".into(),
                    })
                }
            }
            let class_name = connector.spec.connector_class_name.clone();
            let class = match self.source.connector_class(&class_name).await {
                Ok(c) => c,
                Err(SourceError::NotFound { .. }) => {
                    return Err(DriverError::ClassMissing {
                        connector: key.to_string(),
                        class: class_name,
                    })
                }
                Err(e) => return Err(e.into()),
            };
            deps.connectors.insert(key.clone());
            deps.classes.insert(class_name);
            let proxy_ca = proxy_ca(&connector, &class);
            resolved.push(ResolvedConnector {
                connector,
                class,
                proxy_ca,
                target_ca: None,
            });
        }
        let (token, origin) = self.obtain_token(spec, kubelet_tokens, current).await?;
        let mut req = spec.render.clone();
        req.pod_namespace = spec.pod.namespace.clone();
        let direct = self
            .direct_token(spec, &req, &mut resolved, &mut deps, current_direct)
            .await?;
        let secrets = RenderSecrets {
            token: token.expose(),
            direct_token: direct.as_ref().map(|t| t.token.expose()),
        };
        let payload = render::render(&resolved, &req, &secrets)?;
        Ok(Prepared {
            payload,
            token,
            direct,
            origin,
            deps,
        })
    }

    /// The tokenfile configuration's direct mode: mint a token on the target cluster with the
    /// connector's own credential, for a ServiceAccount the Connector's owner allowed (checked
    /// before any Secret is read or anything is minted). Every minted token gets an audit line.
    async fn direct_token(
        &self,
        spec: &VolumeSpec,
        req: &render::RenderRequest,
        resolved: &mut [ResolvedConnector],
        deps: &mut Deps,
        current: Option<&DirectToken>,
    ) -> Result<Option<DirectToken>, DriverError> {
        let Some(i) = render::builtin_tokenfile_connector(resolved, req) else {
            return Ok(None);
        };
        let rc = &mut resolved[i];
        let Some(grant) = render::direct_grant(&rc.connector, req)? else {
            return Ok(None);
        };
        let ns = rc.connector.metadata.namespace.clone().unwrap_or_default();
        let connector_key = rc.key();
        let secret_name = rc
            .connector
            .spec
            .auth
            .as_ref()
            .and_then(|a| a.secret_ref.as_ref())
            .map(|r| r.name.clone())
            .ok_or_else(|| {
                DriverError::Render(render::RenderError::Invalid(format!(
                    "tokenfile direct mode needs connector {connector_key} to have spec.auth.secretRef"
                )))
            })?;
        let secret_key = ObjectKey::new(&ns, &secret_name);
        let secret = self.source.secret(&secret_key).await?;
        deps.secrets.insert(secret_key);
        if let Some(ca_ref) = rc.connector.spec.ca_cert_secret_ref.clone() {
            let key = ObjectKey::new(&ns, &ca_ref.name);
            let ca_secret = self.source.secret(&key).await?;
            deps.secrets.insert(key);
            rc.target_ca = pem_from_secret(&ca_secret);
        }
        let sa = grant.service_account();
        // Reuse the volume's token until its refresh point, unless the owner's policy changed
        // what the volume is granted (another ServiceAccount, a lower maximum).
        if let Some(c) = current.filter(|c| {
            c.service_account == sa
                && c.token.lifetime() <= grant.duration + Duration::from_secs(60)
                && Timestamp::now() < c.token.refresh_at()
        }) {
            return Ok(Some(c.clone()));
        }
        let token = crate::token::direct::mint_direct(
            &rc.connector,
            &secret,
            rc.target_ca.as_deref(),
            &ObjectKey::new(&grant.namespace, &grant.name),
            grant.duration,
        )
        .await?;
        // The audit trail of direct mode: who got a token for whom, until when. Never the token.
        info!(
            target: AUDIT_TARGET,
            event = "tokenfile-direct-token-minted",
            pod = %format!("{}/{}", spec.pod.namespace, spec.pod.name),
            pod_uid = %spec.pod.uid,
            pod_service_account = %spec.pod.service_account,
            connector = %connector_key,
            service_account = %sa,
            // Not `target`: flattened JSON logs already have the tracing target under that key.
            target_server = %rc.connector.spec.address.trim(),
            expires_at = %token.expires_at,
            lifetime_seconds = token.lifetime().as_secs(),
            "minted a tokenfile direct-mode token"
        );
        self.metrics.direct_tokens_minted_total.inc();
        Ok(Some(DirectToken {
            service_account: sa,
            token,
        }))
    }

    async fn obtain_token(
        &self,
        spec: &VolumeSpec,
        kubelet_tokens: Option<&str>,
        current: Option<&Token>,
    ) -> Result<(Token, &'static str), DriverError> {
        let now = Timestamp::now();
        let mode = self.cfg.token_source;
        if mode != TokenSourceMode::Driver {
            if let Some(json) = kubelet_tokens {
                return Ok((
                    token::parse_kubelet_tokens(json, &self.cfg.token_audience, now)?,
                    "kubelet",
                ));
            }
        }
        // Reuse the volume's token until its refresh point.
        if let Some(t) = current {
            if now < t.refresh_at() {
                return Ok((t.clone(), "current"));
            }
        }
        if mode == TokenSourceMode::Kubelet {
            if let Some(t) = current.filter(|t| t.expires_at > now) {
                return Ok((t.clone(), "current"));
            }
            return Err(token::TokenError::MissingAudience {
                audience: self.cfg.token_audience.clone(),
                present: "none (the request carried no csi.storage.k8s.io/serviceAccount.tokens)"
                    .into(),
            }
            .into());
        }
        let minted = self
            .source
            .request_token(&TokenRequestSpec {
                pod: spec.pod.clone(),
                audience: self.cfg.token_audience.clone(),
                expiration: spec.token_expiration,
            })
            .await;
        match (minted, current) {
            (Ok(t), _) => Ok((t, "driver")),
            // Cannot mint (e.g. directory source without a token file): keep a still-valid token.
            (Err(SourceError::Unsupported(_)), Some(t)) if t.expires_at > now => {
                Ok((t.clone(), "current"))
            }
            (Err(e), _) => Err(e.into()),
        }
    }

    /// Scheduled or event-driven refresh of one volume.
    pub async fn refresh(&self, volume_id: &str) -> RefreshOutcome {
        let Some(slot) = self.existing_slot(volume_id) else {
            return RefreshOutcome::Gone;
        };
        let mut guard = slot.lock().await;
        let Some(live) = guard.as_mut() else {
            return RefreshOutcome::Gone;
        };
        if live.stale {
            return RefreshOutcome::Stale;
        }
        let started = Instant::now();
        let result = async {
            let current = live.token.clone();
            let direct = live.direct.clone();
            let prepared = self
                .prepare(&live.spec, None, Some(&current), direct.as_ref())
                .await?;
            self.apply(live, prepared)
        }
        .await;
        self.metrics
            .refresh_seconds
            .observe(started.elapsed().as_secs_f64());
        match result {
            Ok(swapped) => {
                let seen = self
                    .changes
                    .lock()
                    .expect("change map poisoned")
                    .remove(volume_id);
                if let Some(seen) = seen {
                    self.metrics
                        .rotation_latency_seconds
                        .observe(seen.elapsed().as_secs_f64());
                }
                self.metrics
                    .refresh(if swapped { "ok" } else { "unchanged" });
                RefreshOutcome::Done
            }
            Err(DriverError::Source(SourceError::NotFound { .. }))
            | Err(DriverError::Source(SourceError::PermissionDenied(_))) => {
                live.stale = true;
                self.metrics.refresh("stale");
                self.metrics
                    .stale_volumes_total
                    .get_or_create(&crate::metrics::ReasonLabel {
                        reason: "connector-gone-or-denied".into(),
                    })
                    .inc();
                warn!(volume_id, "connector deleted or access revoked: refresh stopped; the last files stay until their token expires");
                RefreshOutcome::Stale
            }
            Err(e) => {
                self.metrics.refresh("error");
                warn!(volume_id, error = %e, "refresh failed; keeping the last good files");
                RefreshOutcome::Failed
            }
        }
    }

    /// Schedules an immediate refresh of every volume rendered from the changed object. Refreshes
    /// run on the scheduler, concurrently across volumes.
    async fn on_source_event(&self, ev: &SourceEvent) {
        let seen = Instant::now();
        let slots: Vec<(String, Slot)> = self
            .volumes
            .lock()
            .expect("volume map poisoned")
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (id, slot) in slots {
            let affected = match slot.try_lock() {
                Ok(mut guard) => match guard.as_mut() {
                    Some(live) => {
                        // A stale volume whose connector reappears gets another chance.
                        let revive = live.stale
                            && live
                                .spec
                                .connectors
                                .iter()
                                .any(|k| matches!(ev, SourceEvent::Connector(c) if c == k));
                        if revive {
                            live.stale = false;
                        }
                        live.deps.matches(ev) || revive
                    }
                    None => false,
                },
                // Busy (a publish or refresh is running): refresh again afterwards to be safe.
                Err(_) => true,
            };
            if affected {
                self.changes
                    .lock()
                    .expect("change map poisoned")
                    .entry(id.clone())
                    .or_insert(seen);
                self.scheduler.trigger(&id);
            }
        }
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

    /// NodeUnpublishVolume: unmount (lazy if busy), remove the target dir and the state.
    /// Unknown volumes and missing targets are OK (kubelet retries NOT_FOUND forever).
    pub async fn unpublish(&self, volume_id: &str, target: &Path) -> Result<(), DriverError> {
        let slot = self.slot(volume_id);
        let mut guard = slot.lock().await;
        let known_target = guard
            .as_ref()
            .map(|l| l.state.target_path.clone())
            .or_else(|| {
                self.state
                    .load(volume_id)
                    .ok()
                    .flatten()
                    .map(|s| s.target_path)
            });
        if let Some(t) = &known_target {
            if t != target {
                // Not the target this volume is published at: leave the real one alone.
                warn!(volume_id, requested = %target.display(), published = %t.display(), "unpublish for a different target; nothing to do");
                return Ok(());
            }
        }
        self.scheduler.cancel(volume_id);
        if !self.cfg.mount && known_target.is_some() {
            let _ = std::fs::remove_dir_all(target);
        }
        mount::unmount_ours(target)?;
        match std::fs::remove_dir(target) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                if mount::is_mount_point(target)? {
                    return Err(DriverError::FailedPrecondition(format!(
                        "{} is still a mount point that connectors-csi did not create; not removing it",
                        target.display()
                    )));
                }
                // Left-over files of an unmounted volume (not ours to keep): remove the directory.
                if known_target.is_some() {
                    std::fs::remove_dir_all(target).map_err(|e2| {
                        DriverError::Internal(format!("remove {}: {e} / {e2}", target.display()))
                    })?;
                }
            }
        }
        self.state.remove(volume_id)?;
        let was_live = guard.take().is_some();
        drop(guard);
        self.forget_slot(volume_id, &slot);
        if was_live {
            info!(volume_id, "volume unpublished");
        }
        Ok(())
    }

    /// Restart recovery: re-adopt every volume in the state dir whose tmpfs is still mounted,
    /// clean up the rest, and unmount tmpfs of ours under the kubelet dir that no state knows.
    pub async fn recover(&self) -> Result<RecoveryReport, DriverError> {
        let mut report = RecoveryReport::default();
        let mut known_targets = BTreeSet::new();
        for entry in self.state.list()? {
            let st = match entry {
                Ok(s) => s,
                Err((path, e)) => {
                    warn!(path = %path.display(), error = %e, "removing unreadable state file");
                    self.state.remove_path(&path);
                    report.removed += 1;
                    continue;
                }
            };
            if !self.volume_present(&st.target_path)? {
                let _ = std::fs::remove_dir(&st.target_path);
                self.state.remove(&st.volume_id)?;
                report.removed += 1;
                continue;
            }
            known_targets.insert(st.target_path.clone());
            let ctx: std::collections::HashMap<String, String> =
                st.attributes.clone().into_iter().collect();
            let spec = match crate::csi::request::parse_attributes(&ctx, st.file_mode) {
                Ok(mut s) => {
                    s.file_mode = st.file_mode;
                    s
                }
                Err(e) => {
                    warn!(volume_id = %st.volume_id, error = %e, "state has invalid attributes; unmounting");
                    self.teardown(&st.volume_id, &st.target_path);
                    report.removed += 1;
                    continue;
                }
            };
            let token =
                st.token.as_ref().map(Token::from).unwrap_or_else(|| {
                    Token::new("", Timestamp::UNIX_EPOCH, Timestamp::UNIX_EPOCH)
                });
            let capability = parse_capability(&st);
            let id = st.volume_id.clone();
            // Classes and secrets are learned by the first refresh; connectors are known now.
            let deps = Deps {
                connectors: spec.connectors.iter().cloned().collect(),
                ..Deps::default()
            };
            let live = LiveVolume {
                spec,
                capability,
                token,
                direct: None,
                deps,
                stale: false,
                state: st,
            };
            *self.slot(&id).lock().await = Some(live);
            // Re-render now: repairs an interrupted first write and picks up changes made while down.
            self.scheduler.trigger(&id);
            report.adopted += 1;
        }
        // Orphaned tmpfs of ours (state lost) under the kubelet dir.
        for m in mount::mount_table()? {
            if self.cfg.mount
                && m.fs_type == "tmpfs"
                && m.source == mount::MOUNT_SOURCE
                && m.mount_point.starts_with(&self.cfg.kubelet_dir)
                && !known_targets.contains(&m.mount_point)
            {
                warn!(target = %m.mount_point.display(), "unmounting an orphaned connectors-csi tmpfs with no state");
                mount::unmount_ours(&m.mount_point)?;
                let _ = std::fs::remove_dir(&m.mount_point);
                report.orphans_unmounted += 1;
            }
        }
        self.metrics.volumes.set(self.volume_count() as i64);
        info!(
            adopted = report.adopted,
            removed = report.removed,
            orphans = report.orphans_unmounted,
            "restart recovery done"
        );
        Ok(report)
    }
}

/// What [`Driver::recover`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RecoveryReport {
    pub adopted: usize,
    pub removed: usize,
    pub orphans_unmounted: usize,
}

fn parse_capability(st: &VolumeState) -> MountCapability {
    // canonical(): "mount;fs=<fs>;flags=<a,b>;mode=<n>"
    let mut fs_type = String::new();
    let mut flags = Vec::new();
    let mut mode = 0;
    for part in st.capability.split(';') {
        if let Some(v) = part.strip_prefix("fs=") {
            fs_type = v.to_string();
        } else if let Some(v) = part.strip_prefix("flags=") {
            flags = v
                .split(',')
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
        } else if let Some(v) = part.strip_prefix("mode=") {
            mode = v.parse().unwrap_or(0);
        }
    }
    MountCapability {
        fs_type,
        mount_flags: flags,
        volume_mount_group: st.volume_mount_group,
        access_mode: mode,
    }
}

/// PEM blocks of a CA Secret: keys ending `.crt`/`.pem`, or values with a PEM header.
fn pem_from_secret(secret: &k8s_openapi::api::core::v1::Secret) -> Option<String> {
    let mut out = String::new();
    let mut add = |k: &str, v: &[u8]| {
        if let Ok(s) = std::str::from_utf8(v) {
            if k.ends_with(".crt") || k.ends_with(".pem") || s.contains("-----BEGIN") {
                out.push_str(s.trim_end());
                out.push('\n');
            }
        }
    };
    if let Some(d) = &secret.data {
        for (k, v) in d {
            add(k, &v.0);
        }
    }
    if let Some(d) = &secret.string_data {
        for (k, v) in d {
            add(k, v.as_bytes());
        }
    }
    (!out.is_empty()).then_some(out)
}
