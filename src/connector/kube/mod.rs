//! The Kubernetes source: the [`KubeSource`] and its caches, read through the
//! [`ConnectorSource`] trait; named watches, the class reflector, access checks and error mapping
//! live in the submodules.
//!
//! What a node holds grows with its own volumes, never with the cluster (kubelet's watch-based
//! Secret manager is the model):
//! * Connectors are watched per object in use on this node (`connectors.rs`): one namespaced
//!   `fieldSelector=metadata.name=<name>` watch per Connector a volume references, shared by the
//!   volumes and stopped an idle grace after the last reference went.
//! * Secrets are watched the same way, one per Secret a watched Connector references
//!   (`secrets.rs`); both use `named.rs`.
//! * ConnectorClasses (cluster-scoped, few) are mirrored by one kube-rs reflector, without
//!   `managedFields`. The source is ready once its first list completed.
//! * Every list is served from the API server's watch cache (`resourceVersion=0`), every retry
//!   backs off exponentially with jitter, and at most `max_concurrent_lists` lists run at once.
//! * Namespace labels (project scoping) are fetched with GET on demand and cached for
//!   `namespace_cache_ttl`.
//! * `authorize` asks a SubjectAccessReview and caches the answer (allow and deny) per
//!   (ServiceAccount, Connector) for `sar_cache_ttl`; `request_token` creates a pod-bound
//!   TokenRequest.
//! * With Connectors Approval on, `authorize_proxy` asks the `connectors/proxy` capability
//!   SubjectAccessReview (allow answers cached, denials never) and `access_request` reads
//!   AccessRequests from one label-selector watch per (pod, Connector), creating one when none
//!   exists (`approval.rs`).
//! * `list_connectors` (only the image credential provider, a one-shot process, calls it) lists
//!   all Connectors in pages of 500; it starts no watch.
//!
//! A warm publish therefore costs no API read: only the SubjectAccessReview (when its cache
//! entry expired) and the TokenRequest (when kubelet did not supply a token) reach the server.
//! The first publish of a Connector the node does not watch yet costs one LIST (+ the WATCH
//! that follows it).

mod access;
mod approval;
mod client;
mod connectors;
mod errors;
pub(crate) mod named;
mod reflectors;
mod secrets;
mod spread;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, ListParams};
use kube::runtime::reflector::{self, ObjectRef};
use kube::Client;
use tokio::sync::{broadcast, watch, Semaphore};
use tokio::task::AbortHandle;

use super::approval::ApprovalState;
use super::source::{
    ConnectorSource, ObjectKey, PodInfo, SourceError, SourceEvent, TokenRequestSpec,
};
use super::types::{Connector, ConnectorClass};
use crate::token::Token;
pub use client::{build_client, client_from_config, HttpVersion};
use connectors::ConnectorWatches;
use errors::{map_kube_error, ApiCall};
use named::NamedWatch;
use reflectors::{run_reflector, WatchHealth};
use secrets::sweep;
pub use spread::STREAMS_PER_CONNECTION;

/// API group of the Connector resources.
pub const CONNECTORS_GROUP: &str = "connectors.alauda.io";

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
    /// A Connector watch no volume references, or a Secret watch no watched Connector
    /// references, is stopped after this long unused (kubelet's default is 5 minutes too).
    pub idle_watch_ttl: Duration,
    /// At most this many lists (a new watch's first list, or a relist) run at once.
    pub max_concurrent_lists: usize,
    /// The ConnectorClass reflector starts after a random delay up to this long, so nodes
    /// started together (a DaemonSet rollout, a cluster restart) do not list in step.
    pub startup_jitter: Duration,
}

impl Default for KubeSourceOptions {
    fn default() -> Self {
        KubeSourceOptions {
            wait_for_connector: Duration::from_secs(5),
            sar_cache_ttl: Duration::from_secs(10),
            namespace_cache_ttl: Duration::from_secs(30),
            api_timeout: Duration::from_secs(10),
            idle_watch_ttl: Duration::from_secs(300),
            max_concurrent_lists: 8,
            startup_jitter: Duration::from_secs(1),
        }
    }
}

/// A cached answer and when it was obtained.
type Cached<T> = (Instant, T);
/// (ServiceAccount user name, Connector).
type SarKey = (String, ObjectKey);

/// Watched caches of the Connectors and Secrets this node uses and of all ConnectorClasses; see
/// the module docs.
pub struct KubeSource {
    client: Client,
    opts: KubeSourceOptions,
    classes: reflector::Store<ConnectorClass>,
    classes_health: Arc<WatchHealth>,
    /// Bumped after every applied class watch event and every class watch error.
    changes: watch::Sender<u64>,
    events: broadcast::Sender<SourceEvent>,
    /// Permits for lists in flight (`max_concurrent_lists`).
    lists: Arc<Semaphore>,
    connector_watches: Mutex<ConnectorWatches>,
    secrets: Mutex<HashMap<ObjectKey, NamedWatch<Secret>>>,
    namespaces: Mutex<HashMap<String, Cached<BTreeMap<String, String>>>>,
    sar_cache: Mutex<HashMap<SarKey, Cached<Result<(), SourceError>>>>,
    /// Connectors Approval: capability answers and AccessRequest watches.
    approval: approval::ApprovalCache,
    tasks: Vec<AbortHandle>,
}

impl Drop for KubeSource {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl KubeSource {
    /// Starts the ConnectorClass reflector and returns at once; readiness is reported by
    /// [`ConnectorSource::is_synced`]. Connector and Secret watches start when volumes need them.
    pub async fn start(client: Client, opts: KubeSourceOptions) -> Arc<KubeSource> {
        let (classes, class_writer) = reflector::store::<ConnectorClass>();
        let classes_health = Arc::new(WatchHealth::default());
        let changes = watch::Sender::new(0u64);
        let events = broadcast::channel(1024).0;
        let lists = Arc::new(Semaphore::new(opts.max_concurrent_lists.max(1)));

        let delay = opts.startup_jitter.mul_f64(rand::random::<f64>());
        let class_task = tokio::spawn({
            let (client, classes, health) =
                (client.clone(), classes.clone(), classes_health.clone());
            let (changes, events, lists) = (changes.clone(), events.clone(), lists.clone());
            async move {
                tokio::time::sleep(delay).await;
                run_reflector(
                    Api::<ConnectorClass>::all(client),
                    class_writer,
                    classes,
                    health,
                    changes,
                    events,
                    lists,
                    |_, name| SourceEvent::ConnectorClass(name.to_string()),
                )
                .await
            }
        });

        Arc::new_cyclic(|weak: &Weak<KubeSource>| {
            let sweeper = tokio::spawn(sweep(weak.clone(), opts.clone()));
            KubeSource {
                client,
                opts,
                classes,
                classes_health,
                changes,
                events,
                lists,
                connector_watches: Mutex::new(ConnectorWatches::default()),
                secrets: Mutex::new(HashMap::new()),
                namespaces: Mutex::new(HashMap::new()),
                sar_cache: Mutex::new(HashMap::new()),
                approval: Default::default(),
                tasks: vec![class_task.abort_handle(), sweeper.abort_handle()],
            }
        })
    }

    /// The watch of `key` in `watches`, started if missing, and restarted (keeping its
    /// references) if its first list failed, so a read right after an administrator fixed RBAC
    /// succeeds at once instead of waiting out the failed watch's backoff.
    fn named_watch<'a, K>(
        &self,
        watches: &'a mut HashMap<ObjectKey, NamedWatch<K>>,
        key: &ObjectKey,
        kind: &'static named::WatchedKind,
    ) -> &'a mut NamedWatch<K>
    where
        K: kube::Resource<DynamicType = (), Scope = kube::core::NamespaceResourceScope>
            + Clone
            + serde::de::DeserializeOwned
            + std::fmt::Debug
            + Send
            + Sync
            + 'static,
    {
        let start = || {
            NamedWatch::start(
                self.client.clone(),
                key,
                kind,
                self.events.clone(),
                self.lists.clone(),
            )
        };
        let entry = watches.entry(key.clone()).or_insert_with(start);
        if entry.failed() {
            let refs = entry.refs;
            *entry = start();
            entry.refs = refs;
        }
        entry
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
}

#[async_trait]
impl ConnectorSource for KubeSource {
    fn kind(&self) -> &'static str {
        "kube"
    }

    fn is_synced(&self) -> bool {
        self.classes_health.synced()
    }

    async fn connector(&self, key: &ObjectKey) -> Result<Arc<Connector>, SourceError> {
        self.watched_connector(key).await
    }

    fn retain(&self, volume_id: &str, connectors: &[ObjectKey]) {
        self.retain_connectors(volume_id, connectors);
    }

    fn release(&self, volume_id: &str) {
        self.release_connectors(volume_id);
    }

    fn watched(&self) -> Vec<(&'static str, usize)> {
        vec![
            ("connector", self.watched_connectors()),
            ("secret", self.watched_secrets()),
            ("connectorclass", self.classes.len()),
        ]
    }

    async fn list_connectors(&self) -> Result<Vec<Arc<Connector>>, SourceError> {
        let call = ApiCall {
            verb: "list",
            resource: "connectors.connectors.alauda.io".into(),
            kind: "connector",
            key: "all namespaces".into(),
        };
        // Pages of 500, as a reflector's first list: a cluster with 100,000 Connectors is never
        // one response of the whole collection.
        let api = Api::<Connector>::all(self.client.clone());
        let mut params = ListParams::default().limit(500);
        let mut out = Vec::new();
        loop {
            let page = tokio::time::timeout(self.opts.api_timeout, api.list(&params))
                .await
                .map_err(|_| errors::timeout_error(&call, self.opts.api_timeout))?
                .map_err(|e| map_kube_error(e, &call))?;
            out.extend(page.items.into_iter().map(Arc::new));
            match page.metadata.continue_.filter(|c| !c.is_empty()) {
                Some(token) => params = params.continue_token(&token),
                None => return Ok(out),
            }
        }
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
        self.watched_secret(key).await
    }

    async fn namespace_labels(&self, ns: &str) -> Result<BTreeMap<String, String>, SourceError> {
        self.fetch_namespace_labels(ns).await
    }

    async fn authorize(&self, pod: &PodInfo, connector: &ObjectKey) -> Result<(), SourceError> {
        self.review_access(pod, connector).await
    }

    async fn authorize_proxy(
        &self,
        pod: &PodInfo,
        connector: &ObjectKey,
    ) -> Result<(), SourceError> {
        self.review_proxy(pod, connector).await
    }

    async fn access_request(
        &self,
        pod: &PodInfo,
        connector: &ObjectKey,
        create: bool,
    ) -> Result<Option<(String, ApprovalState)>, SourceError> {
        self.find_or_create_access_request(pod, connector, create)
            .await
    }

    async fn request_token(&self, spec: &TokenRequestSpec) -> Result<Token, SourceError> {
        self.mint_pod_token(spec).await
    }

    fn subscribe(&self) -> broadcast::Receiver<SourceEvent> {
        self.events.subscribe()
    }
}
