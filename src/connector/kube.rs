//! The Kubernetes source: watched caches against the API server.
//!
//! * Connectors (all namespaces) and ConnectorClasses are mirrored by kube-rs reflectors
//!   (list, then watch from the list's resourceVersion, with bookmarks and backoff). The source is
//!   synced once both initial lists completed.
//! * Secrets are never watched cluster-wide: the first read of a Secret starts a watch restricted
//!   to that one object (`fieldSelector=metadata.name=<name>` in its namespace); later reads are
//!   served from that watch. Watches of Secrets no Connector references any more are stopped after
//!   an idle period.
//! * Namespace labels (project scoping) are fetched with GET on demand and cached for
//!   `namespace_cache_ttl`.
//! * `authorize` asks a SubjectAccessReview and caches the answer (allow and deny) per
//!   (ServiceAccount, Connector) for `sar_cache_ttl`; `request_token` creates a pod-bound
//!   TokenRequest.
//!
//! A warm publish therefore costs no API read: only the SubjectAccessReview (when its cache
//! entry expired) and the TokenRequest (when kubelet did not supply a token) reach the server.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures::StreamExt;
use k8s_openapi::api::authentication::v1::{
    BoundObjectReference, TokenRequest, TokenRequestSpec as K8sTokenRequestSpec,
};
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SubjectAccessReview, SubjectAccessReviewSpec,
};
use k8s_openapi::api::core::v1::{Namespace, Secret, ServiceAccount};
use kube::api::{Api, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::runtime::reflector::{self, ObjectRef};
use kube::runtime::watcher::{self, Event};
use kube::runtime::WatchStreamExt;
use kube::{Client, Resource, ResourceExt};
use serde::de::DeserializeOwned;
use tokio::sync::{broadcast, watch};
use tokio::task::AbortHandle;

use super::source::{
    ConnectorSource, ObjectKey, PodInfo, SourceError, SourceEvent, TokenRequestSpec,
};
use super::types::{Connector, ConnectorClass};
use crate::token::Token;

/// API group of the Connector resources.
pub const CONNECTORS_GROUP: &str = "connectors.alauda.io";

/// Relists that change more objects than this are announced as one [`SourceEvent::All`].
const MAX_EVENTS_PER_RELIST: usize = 512;

/// Tuning of [`KubeSource`].
#[derive(Clone, Debug)]
pub struct KubeSourceOptions {
    /// How long `connector()` / `connector_class()` / `secret()` wait for an object that is not
    /// (yet) in the cache before answering `NotFound` (pods are often created together with their
    /// Connector).
    pub wait_for_connector: Duration,
    /// How long SubjectAccessReview answers (allow and deny) are reused.
    pub sar_cache_ttl: Duration,
    /// How long namespace labels are reused.
    pub namespace_cache_ttl: Duration,
    /// Upper bound of one API call (SubjectAccessReview, TokenRequest, namespace GET).
    pub api_timeout: Duration,
    /// A Secret watch that no cached Connector references is stopped after this long unused.
    pub secret_idle_ttl: Duration,
}

impl Default for KubeSourceOptions {
    fn default() -> Self {
        KubeSourceOptions {
            wait_for_connector: Duration::from_secs(5),
            sar_cache_ttl: Duration::from_secs(10),
            namespace_cache_ttl: Duration::from_secs(30),
            api_timeout: Duration::from_secs(10),
            secret_idle_ttl: Duration::from_secs(300),
        }
    }
}

/// Health of one reflector.
#[derive(Default)]
struct WatchHealth {
    synced: AtomicBool,
    last_error: Mutex<Option<SourceError>>,
}

impl WatchHealth {
    fn synced(&self) -> bool {
        self.synced.load(Ordering::SeqCst)
    }
    fn error(&self) -> Option<SourceError> {
        self.last_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
    /// Records an error; returns whether the watch was healthy before.
    fn set_error(&self, e: SourceError) -> bool {
        self.last_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .replace(e)
            .is_none()
    }
    /// Clears the error; returns whether there was one.
    fn clear_error(&self) -> bool {
        self.last_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .is_some()
    }
}

/// State of one on-demand Secret watch.
#[derive(Clone, Debug)]
enum SecretState {
    /// The initial list has not completed yet.
    Pending,
    Present(Arc<Secret>),
    Absent,
    /// The initial list failed (retried in the background).
    Failed(SourceError),
}

struct SecretWatch {
    state: watch::Receiver<SecretState>,
    task: AbortHandle,
    last_used: Instant,
}

impl Drop for SecretWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A cached answer and when it was obtained.
type Cached<T> = (Instant, T);
/// (ServiceAccount user name, Connector).
type SarKey = (String, ObjectKey);

/// Watched caches of Connectors, ConnectorClasses and referenced Secrets; see the module docs.
pub struct KubeSource {
    client: Client,
    opts: KubeSourceOptions,
    connectors: reflector::Store<Connector>,
    classes: reflector::Store<ConnectorClass>,
    connectors_health: Arc<WatchHealth>,
    classes_health: Arc<WatchHealth>,
    /// Bumped after every applied connector/class watch event and every watch error.
    changes: watch::Sender<u64>,
    events: broadcast::Sender<SourceEvent>,
    secrets: Mutex<HashMap<ObjectKey, SecretWatch>>,
    namespaces: Mutex<HashMap<String, Cached<BTreeMap<String, String>>>>,
    sar_cache: Mutex<HashMap<SarKey, Cached<Result<(), SourceError>>>>,
    tasks: Vec<AbortHandle>,
}

impl Drop for KubeSource {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl KubeSource {
    /// Starts the Connector and ConnectorClass reflectors and returns at once; readiness is
    /// reported by [`ConnectorSource::is_synced`].
    pub async fn start(client: Client, opts: KubeSourceOptions) -> Arc<KubeSource> {
        let (connectors, connector_writer) = reflector::store::<Connector>();
        let (classes, class_writer) = reflector::store::<ConnectorClass>();
        let connectors_health = Arc::new(WatchHealth::default());
        let classes_health = Arc::new(WatchHealth::default());
        let changes = watch::Sender::new(0u64);
        let events = broadcast::channel(1024).0;

        let connector_task = tokio::spawn(run_reflector(
            Api::<Connector>::all(client.clone()),
            connector_writer,
            connectors.clone(),
            connectors_health.clone(),
            changes.clone(),
            events.clone(),
            |ns, name| SourceEvent::Connector(ObjectKey::new(ns.unwrap_or_default(), name)),
        ));
        let class_task = tokio::spawn(run_reflector(
            Api::<ConnectorClass>::all(client.clone()),
            class_writer,
            classes.clone(),
            classes_health.clone(),
            changes.clone(),
            events.clone(),
            |_, name| SourceEvent::ConnectorClass(name.to_string()),
        ));

        Arc::new_cyclic(|weak: &Weak<KubeSource>| {
            let sweeper = tokio::spawn(sweep(weak.clone(), opts.clone()));
            KubeSource {
                client,
                opts,
                connectors,
                classes,
                connectors_health,
                classes_health,
                changes,
                events,
                secrets: Mutex::new(HashMap::new()),
                namespaces: Mutex::new(HashMap::new()),
                sar_cache: Mutex::new(HashMap::new()),
                tasks: vec![
                    connector_task.abort_handle(),
                    class_task.abort_handle(),
                    sweeper.abort_handle(),
                ],
            }
        })
    }

    /// The options in force.
    pub fn options(&self) -> &KubeSourceOptions {
        &self.opts
    }

    /// Number of Secrets currently watched by name (for metrics and tests).
    pub fn watched_secrets(&self) -> usize {
        lock(&self.secrets).len()
    }

    /// Waits up to `wait_for_connector` for `lookup` to find the object, re-checking after every
    /// applied watch event.
    async fn wait_for<T>(
        &self,
        lookup: impl Fn() -> Option<T>,
        health: &WatchHealth,
        kind: &'static str,
        key: String,
    ) -> Result<T, SourceError> {
        let mut rx = self.changes.subscribe();
        rx.borrow_and_update();
        if let Some(v) = lookup() {
            return Ok(v);
        }
        let deadline = tokio::time::Instant::now() + self.opts.wait_for_connector;
        while let Ok(Ok(())) = tokio::time::timeout_at(deadline, rx.changed()).await {
            if let Some(v) = lookup() {
                return Ok(v);
            }
        }
        if let Some(v) = lookup() {
            return Ok(v);
        }
        if !health.synced() {
            let why = health
                .error()
                .map(|e| format!(": {e}"))
                .unwrap_or_else(|| format!(" within {:?}", self.opts.wait_for_connector));
            return Err(SourceError::Unavailable(format!(
                "the {kind} cache has not completed its initial list from the Kubernetes API server{why}"
            )));
        }
        if let Some(e) = health.error() {
            return Err(SourceError::Unavailable(format!(
                "{kind} {key:?} is not in the cache and the watch of {kind}s is failing: {e}"
            )));
        }
        Err(SourceError::NotFound { kind, key })
    }

    fn start_secret_watch(&self, key: &ObjectKey) -> SecretWatch {
        let (tx, rx) = watch::channel(SecretState::Pending);
        let task = tokio::spawn(run_secret_watch(
            Api::<Secret>::namespaced(self.client.clone(), &key.namespace),
            key.clone(),
            tx,
            self.events.clone(),
        ));
        SecretWatch {
            state: rx,
            task: task.abort_handle(),
            last_used: Instant::now(),
        }
    }

    /// Secrets referenced by any cached Connector.
    fn referenced_secrets(&self) -> HashSet<ObjectKey> {
        let mut out = HashSet::new();
        for c in self.connectors.state() {
            let ns = c.namespace().unwrap_or_default();
            let refs = c
                .spec
                .auth
                .as_ref()
                .and_then(|a| a.secret_ref.as_ref())
                .into_iter()
                .chain(c.spec.ca_cert_secret_ref.as_ref());
            for r in refs {
                if !r.name.is_empty() {
                    out.insert(ObjectKey::new(
                        r.namespace.clone().unwrap_or_else(|| ns.clone()),
                        r.name.clone(),
                    ));
                }
            }
        }
        out
    }

    /// Stops idle watches of unreferenced Secrets and drops expired cache entries.
    fn sweep_once(&self) {
        let referenced = self.referenced_secrets();
        let idle = self.opts.secret_idle_ttl;
        let stopped: Vec<SecretWatch> = {
            let mut secrets = lock(&self.secrets);
            let stale: Vec<ObjectKey> = secrets
                .iter()
                .filter(|(k, w)| !referenced.contains(*k) && w.last_used.elapsed() >= idle)
                .map(|(k, _)| k.clone())
                .collect();
            stale.iter().filter_map(|k| secrets.remove(k)).collect()
        };
        if !stopped.is_empty() {
            tracing::debug!(
                count = stopped.len(),
                "stopped watches of unreferenced Secrets"
            );
        }
        let ttl = self.opts.sar_cache_ttl;
        lock(&self.sar_cache).retain(|_, (at, _)| at.elapsed() < ttl);
        let ttl = self.opts.namespace_cache_ttl;
        lock(&self.namespaces).retain(|_, (at, _)| at.elapsed() < ttl);
    }
}

async fn sweep(source: Weak<KubeSource>, opts: KubeSourceOptions) {
    let period =
        (opts.secret_idle_ttl / 2).clamp(Duration::from_millis(50), Duration::from_secs(60));
    let mut ticker = tokio::time::interval(period);
    ticker.tick().await;
    loop {
        ticker.tick().await;
        let Some(source) = source.upgrade() else {
            return;
        };
        source.sweep_once();
    }
}

/// Keys seen during a (re)list, to announce exactly what changed once it completes.
struct Relist<K: kube::runtime::reflector::Lookup> {
    before: HashSet<ObjectRef<K>>,
    seen: HashSet<ObjectRef<K>>,
    changed: Vec<SourceEvent>,
}

/// The lower-case kind used in `NotFound` errors.
trait KindName {
    const KIND_NAME: &'static str;
}
impl KindName for Connector {
    const KIND_NAME: &'static str = "connector";
}
impl KindName for ConnectorClass {
    const KIND_NAME: &'static str = "connectorclass";
}

/// Drives one reflector: applies watch events to `writer` and announces each change.
async fn run_reflector<K>(
    api: Api<K>,
    mut writer: reflector::store::Writer<K>,
    reader: reflector::Store<K>,
    health: Arc<WatchHealth>,
    changes: watch::Sender<u64>,
    events: broadcast::Sender<SourceEvent>,
    to_event: fn(Option<String>, &str) -> SourceEvent,
) where
    K: KindName,
    K: Resource<DynamicType = ()>
        + Clone
        + DeserializeOwned
        + std::fmt::Debug
        + Send
        + Sync
        + 'static,
{
    let what = match K::group(&()).as_ref() {
        "" => K::plural(&()).to_string(),
        group => format!("{}.{group}", K::plural(&())),
    };
    let stream = watcher(api)
        .default_backoff()
        .modify(|o: &mut K| o.managed_fields_mut().clear());
    futures::pin_mut!(stream);
    let mut relist: Option<Relist<K>> = None;
    while let Some(item) = stream.next().await {
        let ev = match item {
            Ok(ev) => ev,
            Err(e) => {
                let err = map_watch_error(
                    e,
                    ApiCall {
                        verb: "list/watch",
                        resource: what.clone(),
                        kind: K::KIND_NAME,
                        key: "all namespaces".into(),
                    },
                );
                if health.set_error(err.clone()) {
                    tracing::warn!(resource = %what, error = %err, "watch failed; serving the last known objects and retrying with backoff");
                } else {
                    tracing::debug!(resource = %what, error = %err, "watch still failing");
                }
                changes.send_modify(|g| *g += 1);
                continue;
            }
        };
        if health.clear_error() {
            tracing::info!(resource = %what, "watch recovered");
        }
        let mut emit = Vec::new();
        let mut done = false;
        match &ev {
            Event::Init => {
                relist = Some(Relist {
                    before: reader
                        .state()
                        .iter()
                        .map(|o| ObjectRef::from_obj(&**o))
                        .collect(),
                    seen: HashSet::new(),
                    changed: Vec::new(),
                });
            }
            Event::InitApply(o) => {
                if let Some(r) = relist.as_mut() {
                    let key = ObjectRef::from_obj(o);
                    let old_rv = reader.get(&key).and_then(|old| old.resource_version());
                    if old_rv.is_none() || old_rv != o.resource_version() {
                        r.changed.push(to_event(o.namespace(), &o.name_any()));
                    }
                    r.seen.insert(key);
                }
            }
            Event::InitDone => {
                done = true;
                if let Some(r) = relist.take() {
                    emit = r.changed;
                    for gone in r.before.difference(&r.seen) {
                        emit.push(to_event(gone.namespace.clone(), &gone.name));
                    }
                }
            }
            Event::Apply(o) | Event::Delete(o) => emit.push(to_event(o.namespace(), &o.name_any())),
        }
        writer.apply_watcher_event(&ev);
        if done && !health.synced.swap(true, Ordering::SeqCst) {
            tracing::info!(resource = %what, count = reader.len(), "initial list complete");
        }
        changes.send_modify(|g| *g += 1);
        if emit.len() > MAX_EVENTS_PER_RELIST {
            let _ = events.send(SourceEvent::All);
        } else {
            for e in emit {
                let _ = events.send(e);
            }
        }
    }
}

fn watcher<K>(api: Api<K>) -> impl futures::Stream<Item = Result<Event<K>, watcher::Error>> + Send
where
    K: Resource + Clone + DeserializeOwned + std::fmt::Debug + Send + 'static,
{
    watcher::watcher(api, watcher::Config::default())
}

/// Watches one Secret by name.
async fn run_secret_watch(
    api: Api<Secret>,
    key: ObjectKey,
    state: watch::Sender<SecretState>,
    events: broadcast::Sender<SourceEvent>,
) {
    let config = watcher::Config::default().fields(&format!("metadata.name={}", key.name));
    let stream = watcher::watcher(api, config)
        .default_backoff()
        .modify(|s: &mut Secret| s.managed_fields_mut().clear());
    futures::pin_mut!(stream);
    let mut listed: Option<Secret> = None;
    let rv_of = |s: &SecretState| match s {
        SecretState::Present(s) => s.resource_version(),
        _ => None,
    };
    while let Some(item) = stream.next().await {
        let next = match item {
            Ok(Event::Init) => {
                listed = None;
                continue;
            }
            Ok(Event::InitApply(s)) => {
                if s.name_any() == key.name {
                    listed = Some(s);
                }
                continue;
            }
            Ok(Event::InitDone) => match listed.take() {
                Some(s) => SecretState::Present(Arc::new(s)),
                None => SecretState::Absent,
            },
            Ok(Event::Apply(s)) if s.name_any() == key.name => SecretState::Present(Arc::new(s)),
            Ok(Event::Delete(s)) if s.name_any() == key.name => SecretState::Absent,
            Ok(_) => continue,
            Err(e) => {
                let err = map_watch_error(
                    e,
                    ApiCall {
                        verb: "list/watch",
                        resource: "secrets".into(),
                        kind: "secret",
                        key: key.to_string(),
                    },
                );
                let serving = matches!(
                    *state.borrow(),
                    SecretState::Present(_) | SecretState::Absent
                );
                if serving {
                    tracing::debug!(secret = %key, error = %err, "watch of Secret failing; serving the last known version");
                } else {
                    tracing::warn!(secret = %key, error = %err, "cannot read Secret");
                    state.send_replace(SecretState::Failed(err));
                }
                continue;
            }
        };
        let previous = state.send_replace(next.clone());
        let changed = match (&previous, &next) {
            (SecretState::Pending | SecretState::Failed(_), _) => false,
            (SecretState::Absent, SecretState::Absent) => false,
            (a, b) => rv_of(a) != rv_of(b),
        };
        if changed {
            let _ = events.send(SourceEvent::Secret(key.clone()));
        }
    }
}

fn map_watch_error(e: watcher::Error, call: ApiCall) -> SourceError {
    match e {
        watcher::Error::InitialListFailed(e)
        | watcher::Error::WatchStartFailed(e)
        | watcher::Error::WatchFailed(e) => map_kube_error(e, &call),
        watcher::Error::WatchError(status) => map_kube_error(kube::Error::Api(status), &call),
        other => SourceError::Unavailable(format!(
            "cannot reach the Kubernetes API server: {} {} ({}) failed: {other}",
            call.verb, call.resource, call.key
        )),
    }
}

/// What the driver was doing, for error messages.
struct ApiCall {
    verb: &'static str,
    /// `resource[.group]` or `resource/subresource`, as RBAC rules name it.
    resource: String,
    kind: &'static str,
    key: String,
}

/// Maps a kube error to the connector layer's error kinds with a message that says what to fix.
fn map_kube_error(e: kube::Error, call: &ApiCall) -> SourceError {
    match e {
        kube::Error::Api(s) => match s.code {
            404 => SourceError::NotFound {
                kind: call.kind,
                key: call.key.clone(),
            },
            403 => SourceError::PermissionDenied(format!(
                "the Kubernetes API server forbids the driver to {} {} ({}): {}; {}",
                call.verb,
                call.resource,
                call.key,
                s.message,
                grant_hint(call)
            )),
            401 => SourceError::Unavailable(format!(
                "the Kubernetes API server rejected the driver's credentials (401 Unauthorized) while trying to {} {}: check the DaemonSet's ServiceAccount token or the --kubeconfig user",
                call.verb, call.resource
            )),
            400 | 422 => SourceError::Invalid(format!(
                "the Kubernetes API server rejected {} {} ({}): {}",
                call.verb, call.resource, call.key, s.message
            )),
            code => SourceError::Unavailable(format!(
                "cannot reach the Kubernetes API server: {} {} ({}) failed with HTTP {code} {}: {}",
                call.verb, call.resource, call.key, s.reason, s.message
            )),
        },
        other => SourceError::Unavailable(format!(
            "cannot reach the Kubernetes API server: {} {} ({}) failed: {}",
            call.verb,
            call.resource,
            call.key,
            error_chain(&other)
        )),
    }
}

/// What to grant, and how, when the driver's identity is forbidden `call`. The base install
/// grants no Secret access and no token minting: those are opt-in, per namespace.
fn grant_hint(call: &ApiCall) -> String {
    let ns = call
        .key
        .split_once('/')
        .map(|(ns, _)| ns)
        .unwrap_or_default();
    match call.resource.as_str() {
        "secrets" => format!(
            "reading a Connector's Secrets (tokenfile direct mode, spec.caCertSecretRef) is an opt-in grant of the connectors-csi node plugin, per namespace: enable it for namespace {ns:?} with the kustomize component deploy/components/connector-secrets (one Role + RoleBinding per namespace) or the Helm value connectorSecrets.namespaces; see docs/security.md"
        ),
        "serviceaccounts/token" => format!(
            "minting pod tokens is an opt-in grant of the connectors-csi node plugin: run it with --token-source kubelet (the default install; kubelet hands over the pod's token through the CSIDriver's tokenRequests), or enable minting for namespace {ns:?} with the kustomize component deploy/components/driver-minted-tokens or the Helm value tokenMinting.namespaces; see docs/security.md"
        ),
        _ => format!(
            "the connectors-csi DaemonSet's ServiceAccount needs `{}` on `{}` (apply deploy/rbac.yaml)",
            call.verb, call.resource
        ),
    }
}

/// An error and its sources on one line (kube's transport errors hide the cause otherwise).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        let msg = s.to_string();
        if !out.contains(&msg) {
            out.push_str(": ");
            out.push_str(&msg);
        }
        cur = s.source();
    }
    out
}

fn timeout_error(call: &ApiCall, after: Duration) -> SourceError {
    SourceError::Unavailable(format!(
        "cannot reach the Kubernetes API server: {} {} ({}) timed out after {after:?}",
        call.verb, call.resource, call.key
    ))
}

#[async_trait]
impl ConnectorSource for KubeSource {
    fn kind(&self) -> &'static str {
        "kube"
    }

    fn is_synced(&self) -> bool {
        self.connectors_health.synced() && self.classes_health.synced()
    }

    async fn connector(&self, key: &ObjectKey) -> Result<Arc<Connector>, SourceError> {
        let oref = ObjectRef::<Connector>::new(&key.name).within(&key.namespace);
        self.wait_for(
            || self.connectors.get(&oref),
            &self.connectors_health,
            "connector",
            key.to_string(),
        )
        .await
    }

    async fn list_connectors(&self) -> Result<Vec<Arc<Connector>>, SourceError> {
        if !self.connectors_health.synced() {
            let why = self
                .connectors_health
                .error()
                .map(|e| format!(": {e}"))
                .unwrap_or_default();
            return Err(SourceError::Unavailable(format!(
                "the connector cache has not completed its initial list from the Kubernetes API server{why}"
            )));
        }
        Ok(self.connectors.state())
    }

    async fn connector_class(&self, name: &str) -> Result<Arc<ConnectorClass>, SourceError> {
        let oref = ObjectRef::<ConnectorClass>::new(name);
        self.wait_for(
            || self.classes.get(&oref),
            &self.classes_health,
            "connectorclass",
            name.to_string(),
        )
        .await
    }

    async fn secret(&self, key: &ObjectKey) -> Result<Arc<Secret>, SourceError> {
        let mut state = {
            let mut secrets = lock(&self.secrets);
            let entry = secrets
                .entry(key.clone())
                .or_insert_with(|| self.start_secret_watch(key));
            // A watch whose initial list failed (e.g. 403 until an administrator grants the
            // opt-in Secret access) retries with backoff; a new read tries again right away,
            // so the mount kubelet retries succeeds as soon as the grant exists.
            if matches!(*entry.state.borrow(), SecretState::Failed(_)) {
                *entry = self.start_secret_watch(key);
            }
            entry.last_used = Instant::now();
            entry.state.clone()
        };
        let ready = tokio::time::timeout(
            self.opts.wait_for_connector,
            state.wait_for(|s| !matches!(s, SecretState::Pending)),
        )
        .await;
        let current = match ready {
            Ok(Ok(s)) => s.clone(),
            Ok(Err(_)) => {
                return Err(SourceError::Unavailable(format!(
                    "the watch of secret {key} stopped"
                )))
            }
            Err(_) => {
                return Err(SourceError::Unavailable(format!(
                    "cannot reach the Kubernetes API server: reading secret {key} did not complete within {:?}",
                    self.opts.wait_for_connector
                )))
            }
        };
        match current {
            SecretState::Present(s) => Ok(s),
            SecretState::Absent => Err(SourceError::NotFound {
                kind: "secret",
                key: key.to_string(),
            }),
            SecretState::Failed(e) => Err(e),
            SecretState::Pending => unreachable!("waited for a non-pending state"),
        }
    }

    async fn namespace_labels(&self, ns: &str) -> Result<BTreeMap<String, String>, SourceError> {
        let stale = {
            let cache = lock(&self.namespaces);
            match cache.get(ns) {
                Some((at, labels)) if at.elapsed() < self.opts.namespace_cache_ttl => {
                    return Ok(labels.clone())
                }
                Some((_, labels)) => Some(labels.clone()),
                None => None,
            }
        };
        let call = ApiCall {
            verb: "get",
            resource: "namespaces".into(),
            kind: "namespace",
            key: ns.to_string(),
        };
        let api = Api::<Namespace>::all(self.client.clone());
        let result = match tokio::time::timeout(self.opts.api_timeout, api.get_opt(ns)).await {
            Ok(Ok(found)) => Ok(found.and_then(|n| n.metadata.labels).unwrap_or_default()),
            Ok(Err(e)) => Err(map_kube_error(e, &call)),
            Err(_) => Err(timeout_error(&call, self.opts.api_timeout)),
        };
        match result {
            Ok(labels) => {
                lock(&self.namespaces).insert(ns.to_string(), (Instant::now(), labels.clone()));
                Ok(labels)
            }
            Err(SourceError::Unavailable(msg)) if stale.is_some() => {
                tracing::warn!(namespace = ns, error = %msg, "using expired namespace labels: the API server is unreachable");
                Ok(stale.unwrap_or_default())
            }
            Err(e) => Err(e),
        }
    }

    async fn authorize(&self, pod: &PodInfo, connector: &ObjectKey) -> Result<(), SourceError> {
        if pod.service_account.is_empty() || pod.namespace.is_empty() {
            return Err(SourceError::Invalid(
                "cannot check access to the connector: the volume request does not name the pod's ServiceAccount; the CSIDriver object must set podInfoOnMount: true".into(),
            ));
        }
        let user = pod.sa_username();
        let cache_key = (user.clone(), connector.clone());
        if let Some((at, answer)) = lock(&self.sar_cache).get(&cache_key) {
            if at.elapsed() < self.opts.sar_cache_ttl {
                return answer.clone();
            }
        }
        let review = SubjectAccessReview {
            spec: SubjectAccessReviewSpec {
                user: Some(user.clone()),
                groups: Some(vec![
                    "system:serviceaccounts".into(),
                    format!("system:serviceaccounts:{}", pod.namespace),
                    "system:authenticated".into(),
                ]),
                resource_attributes: Some(ResourceAttributes {
                    group: Some(CONNECTORS_GROUP.into()),
                    resource: Some("connectors".into()),
                    verb: Some("get".into()),
                    namespace: Some(connector.namespace.clone()),
                    name: Some(connector.name.clone()),
                    ..Default::default()
                }),
                ..Default::default()
            },
            ..Default::default()
        };
        let call = ApiCall {
            verb: "create",
            resource: "subjectaccessreviews.authorization.k8s.io".into(),
            kind: "subjectaccessreview",
            key: format!("{user} get connector {connector}"),
        };
        let api = Api::<SubjectAccessReview>::all(self.client.clone());
        let reviewed = match tokio::time::timeout(
            self.opts.api_timeout,
            api.create(&PostParams::default(), &review),
        )
        .await
        {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => return Err(map_kube_error(e, &call)),
            Err(_) => return Err(timeout_error(&call, self.opts.api_timeout)),
        };
        let status = reviewed.status.unwrap_or_default();
        let answer = if status.allowed {
            Ok(())
        } else {
            let reason = status
                .reason
                .filter(|r| !r.is_empty())
                .or(status.evaluation_error.filter(|r| !r.is_empty()))
                .unwrap_or_else(|| "no RBAC rule allows it".into());
            Err(SourceError::PermissionDenied(format!(
                "ServiceAccount {}/{} may not get connectors.{CONNECTORS_GROUP} {:?}: {reason}; grant it with a Role in namespace {} allowing verb get on resource connectors (apiGroup {CONNECTORS_GROUP}, resourceNames [{}]) and a RoleBinding to the ServiceAccount",
                pod.namespace,
                pod.service_account,
                connector.to_string(),
                connector.namespace,
                connector.name,
            )))
        };
        lock(&self.sar_cache).insert(cache_key, (Instant::now(), answer.clone()));
        answer
    }

    async fn request_token(&self, spec: &TokenRequestSpec) -> Result<Token, SourceError> {
        let pod = &spec.pod;
        if pod.service_account.is_empty() || pod.name.is_empty() || pod.uid.is_empty() {
            return Err(SourceError::Invalid(
                "cannot mint a pod-bound token: the volume request does not carry the pod's name, uid and ServiceAccount; the CSIDriver object must set podInfoOnMount: true".into(),
            ));
        }
        let request = TokenRequest {
            spec: K8sTokenRequestSpec {
                audiences: if spec.audience.is_empty() {
                    Vec::new()
                } else {
                    vec![spec.audience.clone()]
                },
                expiration_seconds: Some(spec.expiration.as_secs() as i64),
                bound_object_ref: Some(BoundObjectReference {
                    api_version: Some("v1".into()),
                    kind: Some("Pod".into()),
                    name: Some(pod.name.clone()),
                    uid: Some(pod.uid.clone()),
                }),
            },
            ..Default::default()
        };
        let call = ApiCall {
            verb: "create",
            resource: "serviceaccounts/token".into(),
            kind: "serviceaccount",
            key: format!("{}/{}", pod.namespace, pod.service_account),
        };
        let api = Api::<ServiceAccount>::namespaced(self.client.clone(), &pod.namespace);
        let issued_at = jiff::Timestamp::now();
        let created: TokenRequest = match tokio::time::timeout(
            self.opts.api_timeout,
            api.create_subresource(
                "token",
                &pod.service_account,
                &PostParams::default(),
                &request,
            ),
        )
        .await
        {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => return Err(map_kube_error(e, &call)),
            Err(_) => return Err(timeout_error(&call, self.opts.api_timeout)),
        };
        let status = created.status.ok_or_else(|| {
            SourceError::Unavailable(format!(
                "the TokenRequest for ServiceAccount {} returned no status",
                call.key
            ))
        })?;
        if status.token.is_empty() {
            return Err(SourceError::Unavailable(format!(
                "the TokenRequest for ServiceAccount {} returned an empty token",
                call.key
            )));
        }
        Ok(Token::new(
            status.token,
            issued_at,
            status.expiration_timestamp.0,
        ))
    }

    fn subscribe(&self) -> broadcast::Receiver<SourceEvent> {
        self.events.subscribe()
    }
}

/// Builds a client the way client-go does: an explicit `--kubeconfig`, else `KUBECONFIG`
/// (several files are merged), else the in-cluster ServiceAccount, else `~/.kube/config`.
pub async fn client_from_config(kubeconfig: Option<PathBuf>) -> Result<Client, SourceError> {
    let from_file = |kc: Kubeconfig, origin: String| async move {
        kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
            .await
            .map_err(|e| {
                SourceError::Invalid(format!(
                    "kubeconfig {origin} is not usable: {}",
                    super::dir::redact_quoted(&e.to_string())
                ))
            })
    };
    let read_err = |origin: &str, e: kube::config::KubeconfigError| {
        SourceError::Invalid(format!(
            "cannot read kubeconfig {origin}: {}",
            super::dir::redact_quoted(&error_chain(&e))
        ))
    };
    let config = if let Some(path) = kubeconfig {
        let origin = path.display().to_string();
        let kc = Kubeconfig::read_from(&path).map_err(|e| read_err(&origin, e))?;
        from_file(kc, origin).await?
    } else if std::env::var_os("KUBECONFIG").is_some_and(|v| !v.is_empty()) {
        let origin = "from $KUBECONFIG".to_string();
        match Kubeconfig::from_env().map_err(|e| read_err(&origin, e))? {
            Some(kc) => from_file(kc, origin).await?,
            None => return Err(SourceError::Invalid("KUBECONFIG names no file".into())),
        }
    } else {
        match kube::Config::incluster() {
            Ok(c) => c,
            Err(in_cluster) => match Kubeconfig::read() {
                Ok(kc) => from_file(kc, "~/.kube/config".into()).await?,
                Err(file) => {
                    return Err(SourceError::Invalid(format!(
                        "no Kubernetes client configuration: not running in a cluster ({in_cluster}) and no kubeconfig ({}); pass --kubeconfig or set KUBECONFIG",
                        super::dir::redact_quoted(&file.to_string())
                    )))
                }
            },
        }
    };
    Client::try_from(config)
        .map_err(|e| SourceError::Invalid(format!("cannot build a Kubernetes client: {e}")))
}
