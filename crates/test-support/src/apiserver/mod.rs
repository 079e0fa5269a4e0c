//! An in-process fake Kubernetes API server for tests and benchmarks.
//!
//! Real [`kube::Client`]s talk to it over HTTP on `127.0.0.1` through a generated kubeconfig, so
//! the code under test exercises kube-rs' real request building, list/watch handling and error
//! decoding. It implements the slice of the API the driver uses:
//!
//! * list, watch (`?watch=true&resourceVersion=N`, bookmarks when `allowWatchBookmarks=true`) and
//!   get of Connectors (namespaced and all-namespaces paths), ConnectorClasses, Secrets,
//!   Namespaces, ServiceAccounts and ConfigMaps, with `fieldSelector` on `metadata.name` /
//!   `metadata.namespace` and equality `labelSelector`s;
//! * resourceVersion semantics: one monotonic counter for every change, watches replay the
//!   changes after the requested version and then stream live ones;
//! * `POST …/serviceaccounts/{name}/token` (TokenRequest) answering a unique token per call and
//!   recording each request body;
//! * `POST /apis/authorization.k8s.io/v1/subjectaccessreviews` answered by a configurable policy
//!   (a closure, or [`SarGrants`]: a mutable set of (user, verb, resource, namespace, name));
//! * AccessRequests: stored, listed and watched like the other kinds (label selectors included)
//!   and created over HTTP (`POST`, 409 when the name exists);
//! * core/v1 Events: `create` and merge `patch` (the driver's pod events), listed with
//!   [`FakeApiServer::list`];
//! * request counters per (verb, resource), recorded `Authorization` headers, an optional set of
//!   accepted bearer tokens (401 otherwise) and an outage switch ([`FakeApiServer::set_down`]);
//! * an opt-in RBAC mode ([`FakeApiServer::enforce_rbac`]): bearer tokens map to identities and
//!   every request is authorized by the given Role/ClusterRole/binding objects, with 403 bodies
//!   like the real API server's; SubjectAccessReviews are answered by the same objects.
//!
//! Objects are set with [`FakeApiServer::apply`] / [`FakeApiServer::delete`]; the HTTP surface is
//! read-only apart from the `create` endpoints and the Event patch above.

mod auth;
mod listener;
mod rbac_mode;
mod routes;
mod store;
mod watches;
mod writes;

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::{broadcast, watch};

pub use auth::{SarDecision, SarGrants, SarRequest};
use listener::KillableListener;
pub use rbac_mode::DeniedRequest;
use routes::handle;
use store::{now_rfc3339, resource_by_kind, Inner, ObjKey, ServerState, StoredEvent, RESOURCES};
pub use store::{RecordedRequest, RecordedTokenRequest, RequestCounts};
/// The bearer token the generated kubeconfig presents by default.
pub const DEFAULT_TOKEN: &str = "fake-admin-token";

/// A running fake API server; stops when dropped.
pub struct FakeApiServer {
    inner: Arc<Inner>,
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeApiServer {
    fn drop(&mut self) {
        self.inner.down.store(true, Ordering::SeqCst);
        let _ = self.inner.down_tx.send(true);
        self.task.abort();
    }
}

impl FakeApiServer {
    /// Binds `127.0.0.1:0` and serves until dropped. Every SubjectAccessReview is allowed until
    /// [`FakeApiServer::set_sar_policy`] says otherwise; every bearer token is accepted until
    /// [`FakeApiServer::set_accepted_tokens`] restricts them.
    pub async fn start() -> FakeApiServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0 for the fake API server");
        let addr = listener.local_addr().expect("local address");
        let down = Arc::new(AtomicBool::new(false));
        let refused = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (down_tx, _) = watch::channel(false);
        let inner = Arc::new(Inner {
            state: Mutex::new(ServerState {
                rv: 1,
                objects: BTreeMap::new(),
                log: Vec::new(),
                counts: RequestCounts::default(),
                requests: Vec::new(),
                token_requests: Vec::new(),
                sar_requests: Vec::new(),
                sar_policy: Arc::new(|_| SarDecision::allow("allowed by the fake API server")),
                accepted_tokens: None,
                path_prefix: None,
                forbidden: HashSet::new(),
                rbac: None,
                denied: Vec::new(),
                tokens_issued: 0,
                uid_counter: 0,
                watch_floor: 0,
            }),
            events: broadcast::channel(4096).0,
            down: down.clone(),
            down_tx,
            refused: refused.clone(),
            accepted: accepted.clone(),
            restarts: watch::channel(0).0,
        });
        let router = Router::new().fallback(handle).with_state(inner.clone());
        let listener = KillableListener {
            inner: listener,
            down,
            refused,
            accepted,
        };
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        FakeApiServer { inner, addr, task }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A kubeconfig pointing at this server that presents [`DEFAULT_TOKEN`].
    pub fn kubeconfig(&self) -> kube::config::Kubeconfig {
        self.kubeconfig_with_token(DEFAULT_TOKEN)
    }

    /// A kubeconfig pointing at this server that presents `token`.
    pub fn kubeconfig_with_token(&self, token: &str) -> kube::config::Kubeconfig {
        serde_json::from_value(json!({
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "fake", "cluster": {"server": self.url()}}],
            "users": [{"name": "fake", "user": {"token": token}}],
            "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "fake", "namespace": "default"}}],
            "current-context": "fake",
        }))
        .expect("generated kubeconfig is valid")
    }

    /// Writes [`FakeApiServer::kubeconfig`] as YAML to `path`.
    pub fn write_kubeconfig(&self, path: &Path) -> std::io::Result<()> {
        let yaml = serde_yaml::to_string(&self.kubeconfig()).map_err(std::io::Error::other)?;
        std::fs::write(path, yaml)
    }

    /// A real kube client talking to this server.
    pub async fn client(&self) -> kube::Client {
        let config = kube::Config::from_custom_kubeconfig(
            self.kubeconfig(),
            &kube::config::KubeConfigOptions::default(),
        )
        .await
        .expect("kube config from the generated kubeconfig");
        kube::Client::try_from(config).expect("kube client for the fake API server")
    }

    /// Creates or replaces an object (`kind` selects the resource; namespaced kinds default to
    /// namespace `default`). Assigns a new resourceVersion, keeps or assigns the uid, and
    /// notifies watches. Returns the stored object. Panics on an unsupported kind.
    pub fn apply(&self, mut obj: Value) -> Value {
        let kind = obj["kind"].as_str().unwrap_or_default().to_string();
        let info = resource_by_kind(&kind).unwrap_or_else(|| {
            panic!(
                "fake API server does not serve kind {kind:?}; supported: {}",
                RESOURCES
                    .iter()
                    .map(|r| r.kind)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        });
        let name = obj["metadata"]["name"]
            .as_str()
            .filter(|n| !n.is_empty())
            .expect("object needs metadata.name")
            .to_string();
        let namespace = if info.namespaced {
            obj["metadata"]["namespace"]
                .as_str()
                .filter(|n| !n.is_empty())
                .unwrap_or("default")
                .to_string()
        } else {
            String::new()
        };
        let key = ObjKey {
            plural: info.plural,
            namespace: namespace.clone(),
            name,
        };
        let mut st = self.inner.lock();
        st.rv += 1;
        let rv = st.rv;
        let previous = st.objects.get(&key).cloned();
        obj["apiVersion"] = json!(info.api_version);
        let meta = obj["metadata"]
            .as_object_mut()
            .expect("metadata is an object");
        if info.namespaced {
            meta.insert("namespace".into(), json!(namespace));
        }
        meta.insert("resourceVersion".into(), json!(rv.to_string()));
        let uid = previous
            .as_ref()
            .and_then(|p| p["metadata"]["uid"].as_str().map(str::to_string))
            .or_else(|| meta.get("uid").and_then(Value::as_str).map(str::to_string));
        let uid = match uid {
            Some(u) => u,
            None => {
                st.uid_counter += 1;
                format!("00000000-0000-4000-8000-{:012}", st.uid_counter)
            }
        };
        meta.insert("uid".into(), json!(uid));
        meta.entry("creationTimestamp")
            .or_insert_with(|| json!(now_rfc3339(0)));
        let type_ = if previous.is_some() {
            "MODIFIED"
        } else {
            "ADDED"
        };
        st.objects.insert(key, obj.clone());
        let ev = StoredEvent {
            rv,
            plural: info.plural,
            namespace,
            type_,
            object: obj.clone(),
        };
        st.log.push(ev.clone());
        let _ = self.inner.events.send(ev);
        obj
    }

    /// Deletes an object; `namespace` is ignored for cluster-scoped kinds. Returns whether it
    /// existed.
    pub fn delete(&self, kind: &str, namespace: &str, name: &str) -> bool {
        let info = resource_by_kind(kind)
            .unwrap_or_else(|| panic!("fake API server does not serve kind {kind:?}"));
        let key = ObjKey::scoped(info, namespace, name);
        let mut st = self.inner.lock();
        let Some(mut obj) = st.objects.remove(&key) else {
            return false;
        };
        st.rv += 1;
        let rv = st.rv;
        obj["metadata"]["resourceVersion"] = json!(rv.to_string());
        let ev = StoredEvent {
            rv,
            plural: info.plural,
            namespace: key.namespace,
            type_: "DELETED",
            object: obj,
        };
        st.log.push(ev.clone());
        let _ = self.inner.events.send(ev);
        true
    }

    /// Every stored object of `kind`, in (namespace, name) order.
    pub fn list(&self, kind: &str) -> Vec<Value> {
        let Some(info) = resource_by_kind(kind) else {
            return vec![];
        };
        self.inner
            .lock()
            .objects
            .iter()
            .filter(|(k, _)| k.plural == info.plural)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// The stored object, if any.
    pub fn object(&self, kind: &str, namespace: &str, name: &str) -> Option<Value> {
        let info = resource_by_kind(kind)?;
        let key = ObjKey::scoped(info, namespace, name);
        self.inner.lock().objects.get(&key).cloned()
    }

    /// Simulates an outage: while down, new connections are closed at once, open connections
    /// fail on their next read or write and open watches are aborted. `false` restores service.
    pub fn set_down(&self, down: bool) {
        self.inner.down.store(down, Ordering::SeqCst);
        let _ = self.inner.down_tx.send(down);
    }

    /// Connections closed unanswered while the server was down (clients' connection attempts;
    /// they never become requests).
    pub fn refused_connections(&self) -> usize {
        self.inner.refused.load(Ordering::SeqCst)
    }

    /// TCP connections accepted so far (HTTP/1.1 needs one per concurrent request or watch;
    /// HTTP/2 multiplexes them). The server speaks HTTP/1.1 and h2c (prior knowledge).
    pub fn accepted_connections(&self) -> usize {
        self.inner.accepted.load(Ordering::SeqCst)
    }

    /// Simulates an API server restart: every open watch ends, and a watch resuming from a
    /// resourceVersion older than now gets 410 Gone (a fresh watch cache has no history), so
    /// every client relists. Combine with [`FakeApiServer::set_down`] for the outage itself.
    pub fn restart(&self) {
        {
            let mut st = self.inner.lock();
            // Lists after the restart answer a version no earlier client has seen.
            st.rv += 1;
            st.watch_floor = st.rv;
        }
        self.inner.restarts.send_modify(|g| *g += 1);
    }

    /// Decides SubjectAccessReviews.
    pub fn set_sar_policy(
        &self,
        policy: impl Fn(&SarRequest) -> SarDecision + Send + Sync + 'static,
    ) {
        self.inner.lock().sar_policy = Arc::new(policy);
    }

    /// Answers SubjectAccessReviews from a set of grants the test changes as it goes (empty:
    /// everything denied). Replaces any earlier policy.
    pub fn use_sar_grants(&self) -> SarGrants {
        let grants = SarGrants::default();
        let g = grants.clone();
        self.set_sar_policy(move |r| g.decide(r));
        grants
    }

    /// Allows `get connectors` only for the listed (user, namespace, connector name) triples.
    pub fn allow_connector_access(&self, rules: &[(&str, &str, &str)]) {
        let rules: Vec<(String, String, String)> = rules
            .iter()
            .map(|(u, n, c)| (u.to_string(), n.to_string(), c.to_string()))
            .collect();
        self.set_sar_policy(move |r| {
            let ok = r.group == "connectors.alauda.io"
                && r.resource == "connectors"
                && r.verb == "get"
                && rules
                    .iter()
                    .any(|(u, n, c)| *u == r.user && *n == r.namespace && *c == r.name);
            if ok {
                SarDecision::allow("RBAC: allowed by RoleBinding")
            } else {
                SarDecision::deny("")
            }
        });
    }

    /// Only these bearer tokens are accepted (401 otherwise); `None` accepts any request.
    pub fn set_accepted_tokens(&self, tokens: Option<&[&str]>) {
        self.inner.lock().accepted_tokens =
            tokens.map(|t| t.iter().map(|s| s.to_string()).collect());
    }

    /// Serve the API under a path prefix (like an API server behind a gateway at
    /// `https://host/kubernetes/<cluster>`); requests outside it get 404.
    pub fn set_path_prefix(&self, prefix: Option<&str>) {
        self.inner.lock().path_prefix = prefix.map(|p| p.trim_end_matches('/').to_string());
    }

    /// Answers 403 Forbidden to `verb` on `resource` (as named in [`RequestCounts`]), like an
    /// API server whose RBAC lacks that rule.
    pub fn forbid(&self, verb: &str, resource: &str) {
        self.inner
            .lock()
            .forbidden
            .insert((verb.to_string(), resource.to_string()));
    }

    /// Request counters since start (or the last [`FakeApiServer::reset_counts`]).
    pub fn counts(&self) -> RequestCounts {
        self.inner.lock().counts.clone()
    }

    pub fn reset_counts(&self) {
        self.inner.lock().counts = RequestCounts::default();
    }

    /// Every request seen, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.inner.lock().requests.clone()
    }

    /// Every TokenRequest seen, in order.
    pub fn token_requests(&self) -> Vec<RecordedTokenRequest> {
        self.inner.lock().token_requests.clone()
    }

    /// Every SubjectAccessReview seen, in order.
    pub fn sar_requests(&self) -> Vec<SarRequest> {
        self.inner.lock().sar_requests.clone()
    }

    /// The current global resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.inner.lock().rv
    }
}
