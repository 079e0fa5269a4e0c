//! An in-process fake Kubernetes API server for tests and benchmarks.
//!
//! Real [`kube::Client`]s talk to it over HTTP on `127.0.0.1` through a generated kubeconfig, so
//! the code under test exercises kube-rs' real request building, list/watch handling and error
//! decoding. It implements the slice of the API the driver uses:
//!
//! * list, watch (`?watch=true&resourceVersion=N`, bookmarks when `allowWatchBookmarks=true`) and
//!   get of Connectors (namespaced and all-namespaces paths), ConnectorClasses, Secrets,
//!   Namespaces and ServiceAccounts, with `fieldSelector` on `metadata.name` /
//!   `metadata.namespace` and equality `labelSelector`s;
//! * resourceVersion semantics: one monotonic counter for every change, watches replay the
//!   changes after the requested version and then stream live ones;
//! * `POST …/serviceaccounts/{name}/token` (TokenRequest) answering a unique token per call and
//!   recording each request body;
//! * `POST /apis/authorization.k8s.io/v1/subjectaccessreviews` answered by a configurable policy;
//! * request counters per (verb, resource), recorded `Authorization` headers, an optional set of
//!   accepted bearer tokens (401 otherwise) and an outage switch ([`FakeApiServer::set_down`]).
//!
//! Objects are set with [`FakeApiServer::apply`] / [`FakeApiServer::delete`]; the HTTP surface is
//! read-only apart from the two `create` endpoints above.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use axum::Router;
use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{broadcast, mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;

/// The bearer token the generated kubeconfig presents by default.
pub const DEFAULT_TOKEN: &str = "fake-admin-token";

/// How often an open watch sends a BOOKMARK when the client allowed them.
const BOOKMARK_INTERVAL: Duration = Duration::from_secs(10);

struct ResourceInfo {
    plural: &'static str,
    prefix: &'static str,
    api_version: &'static str,
    kind: &'static str,
    namespaced: bool,
}

const RESOURCES: &[ResourceInfo] = &[
    ResourceInfo {
        plural: "connectors",
        prefix: "/apis/connectors.alauda.io/v1alpha1",
        api_version: "connectors.alauda.io/v1alpha1",
        kind: "Connector",
        namespaced: true,
    },
    ResourceInfo {
        plural: "connectorclasses",
        prefix: "/apis/connectors.alauda.io/v1alpha1",
        api_version: "connectors.alauda.io/v1alpha1",
        kind: "ConnectorClass",
        namespaced: false,
    },
    ResourceInfo {
        plural: "secrets",
        prefix: "/api/v1",
        api_version: "v1",
        kind: "Secret",
        namespaced: true,
    },
    ResourceInfo {
        plural: "namespaces",
        prefix: "/api/v1",
        api_version: "v1",
        kind: "Namespace",
        namespaced: false,
    },
    ResourceInfo {
        plural: "serviceaccounts",
        prefix: "/api/v1",
        api_version: "v1",
        kind: "ServiceAccount",
        namespaced: true,
    },
];

fn resource_by_kind(kind: &str) -> Option<&'static ResourceInfo> {
    RESOURCES.iter().find(|r| r.kind == kind)
}

fn resource_by_path(prefix: &str, plural: &str) -> Option<&'static ResourceInfo> {
    RESOURCES
        .iter()
        .find(|r| r.prefix == prefix && r.plural == plural)
}

/// One HTTP request as the server saw it.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub query: String,
    /// The raw `Authorization` header, if any.
    pub authorization: Option<String>,
}

/// One TokenRequest (`create serviceaccounts/token`).
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedTokenRequest {
    pub namespace: String,
    pub service_account: String,
    /// The request body as sent (a `TokenRequest` object).
    pub body: Value,
    /// The raw `Authorization` header the caller presented.
    pub authorization: Option<String>,
    /// The token the fake answered with.
    pub issued_token: String,
}

/// The attributes of a SubjectAccessReview.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct SarRequest {
    pub user: String,
    pub groups: Vec<String>,
    pub verb: String,
    pub group: String,
    pub resource: String,
    pub namespace: String,
    pub name: String,
}

/// The answer of the SubjectAccessReview policy.
#[derive(Clone, Debug, PartialEq)]
pub struct SarDecision {
    pub allowed: bool,
    pub reason: String,
}

impl SarDecision {
    pub fn allow(reason: impl Into<String>) -> Self {
        SarDecision {
            allowed: true,
            reason: reason.into(),
        }
    }
    pub fn deny(reason: impl Into<String>) -> Self {
        SarDecision {
            allowed: false,
            reason: reason.into(),
        }
    }
}

type SarPolicy = Arc<dyn Fn(&SarRequest) -> SarDecision + Send + Sync>;

/// Number of requests per (verb, resource). Verbs: `get`, `list`, `watch`, `create`;
/// resources: the plural (`connectors`, `secrets`, …), `serviceaccounts/token`,
/// `subjectaccessreviews`, or `other`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RequestCounts {
    pub by_verb_resource: BTreeMap<(String, String), usize>,
}

impl RequestCounts {
    /// Requests of `verb` on `resource`.
    pub fn get(&self, verb: &str, resource: &str) -> usize {
        self.by_verb_resource
            .get(&(verb.to_string(), resource.to_string()))
            .copied()
            .unwrap_or(0)
    }

    /// Requests of `verb` on any resource.
    pub fn verb(&self, verb: &str) -> usize {
        self.by_verb_resource
            .iter()
            .filter(|((v, _), _)| v == verb)
            .map(|(_, n)| n)
            .sum()
    }

    /// All requests.
    pub fn total(&self) -> usize {
        self.by_verb_resource.values().sum()
    }
}

#[derive(Clone)]
struct StoredEvent {
    rv: u64,
    plural: &'static str,
    namespace: String,
    type_: &'static str,
    object: Value,
}

#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
struct ObjKey {
    plural: &'static str,
    namespace: String,
    name: String,
}

impl ObjKey {
    /// The key of `name`; `namespace` is dropped for cluster-scoped kinds.
    fn scoped(info: &ResourceInfo, namespace: &str, name: &str) -> ObjKey {
        ObjKey {
            plural: info.plural,
            namespace: if info.namespaced {
                namespace.to_string()
            } else {
                String::new()
            },
            name: name.to_string(),
        }
    }
}

struct ServerState {
    rv: u64,
    objects: BTreeMap<ObjKey, Value>,
    log: Vec<StoredEvent>,
    counts: RequestCounts,
    requests: Vec<RecordedRequest>,
    token_requests: Vec<RecordedTokenRequest>,
    sar_requests: Vec<SarRequest>,
    sar_policy: SarPolicy,
    accepted_tokens: Option<HashSet<String>>,
    path_prefix: Option<String>,
    forbidden: HashSet<(String, String)>,
    tokens_issued: u64,
    uid_counter: u64,
}

struct Inner {
    state: Mutex<ServerState>,
    events: broadcast::Sender<StoredEvent>,
    down: Arc<AtomicBool>,
    down_tx: watch::Sender<bool>,
}

impl Inner {
    fn lock(&self) -> std::sync::MutexGuard<'_, ServerState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

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
                tokens_issued: 0,
                uid_counter: 0,
            }),
            events: broadcast::channel(4096).0,
            down: down.clone(),
            down_tx,
        });
        let router = Router::new().fallback(handle).with_state(inner.clone());
        let listener = KillableListener {
            inner: listener,
            down,
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

    /// Decides SubjectAccessReviews.
    pub fn set_sar_policy(
        &self,
        policy: impl Fn(&SarRequest) -> SarDecision + Send + Sync + 'static,
    ) {
        self.inner.lock().sar_policy = Arc::new(policy);
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

fn now_rfc3339(plus_seconds: i64) -> String {
    let now = jiff::Timestamp::now().as_second() + plus_seconds;
    jiff::Timestamp::from_second(now)
        .expect("timestamp in range")
        .to_string()
}

fn json_response(code: StatusCode, body: &Value) -> Response {
    Response::builder()
        .status(code)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            serde_json::to_vec(body).expect("JSON value serializes"),
        ))
        .expect("JSON response")
}

fn status(code: StatusCode, reason: &str, message: impl Into<String>) -> Response {
    let body = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message.into(),
        "reason": reason,
        "code": code.as_u16(),
    });
    json_response(code, &body)
}

/// A parsed resource path.
struct Target {
    info: &'static ResourceInfo,
    namespace: Option<String>,
    name: Option<String>,
    subresource: Option<String>,
}

fn parse_path(path: &str) -> Option<Target> {
    let prefixes = ["/apis/connectors.alauda.io/v1alpha1", "/api/v1"];
    let prefix = prefixes.iter().find(|p| path.starts_with(**p))?;
    let rest = path[prefix.len()..].trim_start_matches('/');
    let segs: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    if segs.first() == Some(&"namespaces") && segs.len() >= 3 {
        let info = resource_by_path(prefix, segs[2])?;
        if !info.namespaced {
            return None;
        }
        return Some(Target {
            info,
            namespace: Some(segs[1].to_string()),
            name: segs.get(3).map(|s| s.to_string()),
            subresource: segs.get(4).map(|s| s.to_string()),
        });
    }
    let info = resource_by_path(prefix, segs.first()?)?;
    Some(Target {
        info,
        namespace: None,
        name: segs.get(1).map(|s| s.to_string()),
        subresource: segs.get(2).map(|s| s.to_string()),
    })
}

/// Field and label selectors of a list or watch.
#[derive(Default)]
struct Selectors {
    fields: Vec<(String, String, bool)>,
    labels: Vec<(String, String, bool)>,
}

fn parse_selector(s: &str, what: &str) -> Result<Vec<(String, String, bool)>, String> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v, eq) = if let Some((k, v)) = part.split_once("!=") {
            (k, v, false)
        } else if let Some((k, v)) = part.split_once("==") {
            (k, v, true)
        } else if let Some((k, v)) = part.split_once('=') {
            (k, v, true)
        } else {
            return Err(format!(
                "{what} {part:?} is not supported by the fake API server (only k=v, k==v, k!=v)"
            ));
        };
        out.push((k.trim().to_string(), v.trim().to_string(), eq));
    }
    Ok(out)
}

impl Selectors {
    fn parse(query: &BTreeMap<String, String>) -> Result<Selectors, String> {
        let mut s = Selectors::default();
        if let Some(f) = query.get("fieldSelector") {
            s.fields = parse_selector(f, "fieldSelector")?;
            for (k, _, _) in &s.fields {
                if k != "metadata.name" && k != "metadata.namespace" {
                    return Err(format!(
                        "field label not supported: {k} (the fake API server knows metadata.name and metadata.namespace)"
                    ));
                }
            }
        }
        if let Some(l) = query.get("labelSelector") {
            s.labels = parse_selector(l, "labelSelector")?;
        }
        Ok(s)
    }

    fn matches(&self, obj: &Value) -> bool {
        let meta = &obj["metadata"];
        let fields_ok = self.fields.iter().all(|(k, v, eq)| {
            let actual = match k.as_str() {
                "metadata.name" => meta["name"].as_str().unwrap_or_default(),
                _ => meta["namespace"].as_str().unwrap_or_default(),
            };
            (actual == v) == *eq
        });
        let labels_ok = self.labels.iter().all(|(k, v, eq)| {
            let actual = meta["labels"][k.as_str()].as_str();
            (actual == Some(v.as_str())) == *eq
        });
        fields_ok && labels_ok
    }
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

async fn handle(
    State(inner): State<Arc<Inner>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let full_path = uri.path().to_string();
    let prefix = inner.lock().path_prefix.clone();
    let path = match prefix.as_deref() {
        None => full_path.clone(),
        Some(p) => match full_path.strip_prefix(p) {
            Some(rest) if rest.starts_with('/') => rest.to_string(),
            _ => format!("/outside-prefix{full_path}"),
        },
    };
    let query_str = uri.query().unwrap_or_default().to_string();
    let query: BTreeMap<String, String> = url::form_urlencoded::parse(query_str.as_bytes())
        .into_owned()
        .collect();
    let authorization = bearer(&headers);
    let is_watch = matches!(
        query.get("watch").map(String::as_str),
        Some("true") | Some("1")
    );
    let target = parse_path(&path);
    let (verb, resource) = if path == "/apis/authorization.k8s.io/v1/subjectaccessreviews" {
        ("create", "subjectaccessreviews".to_string())
    } else if let Some(t) = &target {
        let resource = match &t.subresource {
            Some(sub) => format!("{}/{sub}", t.info.plural),
            None => t.info.plural.to_string(),
        };
        let verb = match (&method, t.name.is_some(), is_watch) {
            (&Method::GET, true, _) => "get",
            (&Method::GET, false, true) => "watch",
            (&Method::GET, false, false) => "list",
            (&Method::POST, _, _) => "create",
            (&Method::DELETE, _, _) => "delete",
            _ => "other",
        };
        (verb, resource)
    } else {
        ("other", "other".to_string())
    };

    {
        let mut st = inner.lock();
        st.requests.push(RecordedRequest {
            method: method.to_string(),
            path: full_path.clone(),
            query: query_str.clone(),
            authorization: authorization.clone(),
        });
        *st.counts
            .by_verb_resource
            .entry((verb.to_string(), resource.clone()))
            .or_default() += 1;
        if let Some(accepted) = &st.accepted_tokens {
            let ok = authorization
                .as_deref()
                .and_then(|a| a.strip_prefix("Bearer "))
                .is_some_and(|t| accepted.contains(t));
            if !ok {
                return status(StatusCode::UNAUTHORIZED, "Unauthorized", "Unauthorized");
            }
        }
    }
    let forbidden = inner
        .lock()
        .forbidden
        .contains(&(verb.to_string(), resource.clone()));
    if forbidden {
        let user = "system:serviceaccount:connectors-system:connectors-csi";
        return status(
            StatusCode::FORBIDDEN,
            "Forbidden",
            format!(
                "{resource} is forbidden: User \"{user}\" cannot {verb} resource \"{resource}\""
            ),
        );
    }
    if inner.down.load(Ordering::SeqCst) {
        return status(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            "the fake API server is down",
        );
    }

    if path == "/apis/authorization.k8s.io/v1/subjectaccessreviews" {
        if method != Method::POST {
            return status(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                "use POST",
            );
        }
        return subject_access_review(&inner, &body);
    }
    let Some(t) = target else {
        return status(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("the server could not find the requested resource ({path})"),
        );
    };
    match (&method, t.name.as_deref(), t.subresource.as_deref()) {
        (&Method::POST, Some(sa), Some("token")) if t.info.plural == "serviceaccounts" => {
            token_request(
                &inner,
                t.namespace.as_deref().unwrap_or_default(),
                sa,
                &body,
                authorization,
            )
        }
        (&Method::GET, Some(name), None) => get_object(&inner, &t, name),
        (&Method::GET, None, None) => {
            let selectors = match Selectors::parse(&query) {
                Ok(s) => s,
                Err(e) => return status(StatusCode::BAD_REQUEST, "BadRequest", e),
            };
            if is_watch {
                watch_objects(&inner, &t, selectors, &query)
            } else {
                list_objects(&inner, &t, &selectors)
            }
        }
        _ => status(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            format!("{method} {path} is not supported by the fake API server"),
        ),
    }
}

fn get_object(inner: &Inner, t: &Target, name: &str) -> Response {
    let key = ObjKey {
        plural: t.info.plural,
        namespace: t.namespace.clone().unwrap_or_default(),
        name: name.to_string(),
    };
    match inner.lock().objects.get(&key) {
        Some(obj) => json_response(StatusCode::OK, obj),
        None => {
            let body = json!({
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Failure",
                "message": format!("{} {name:?} not found", t.info.plural),
                "reason": "NotFound",
                "details": {"name": name, "kind": t.info.plural},
                "code": 404,
            });
            json_response(StatusCode::NOT_FOUND, &body)
        }
    }
}

fn in_scope(t: &Target, namespace: &str) -> bool {
    t.namespace.as_deref().is_none_or(|ns| ns == namespace)
}

fn list_objects(inner: &Inner, t: &Target, selectors: &Selectors) -> Response {
    let st = inner.lock();
    let items: Vec<Value> = st
        .objects
        .iter()
        .filter(|(k, v)| {
            k.plural == t.info.plural && in_scope(t, &k.namespace) && selectors.matches(v)
        })
        .map(|(_, v)| v.clone())
        .collect();
    json_response(
        StatusCode::OK,
        &json!({
            "apiVersion": t.info.api_version,
            "kind": format!("{}List", t.info.kind),
            "metadata": {"resourceVersion": st.rv.to_string()},
            "items": items,
        }),
    )
}

fn watch_line(type_: &str, object: &Value) -> Bytes {
    let mut line = serde_json::to_vec(&json!({"type": type_, "object": object}))
        .expect("watch event serializes");
    line.push(b'\n');
    Bytes::from(line)
}

fn bookmark(info: &ResourceInfo, rv: u64) -> Bytes {
    watch_line(
        "BOOKMARK",
        &json!({
            "kind": info.kind,
            "apiVersion": info.api_version,
            "metadata": {"resourceVersion": rv.to_string()},
        }),
    )
}

fn watch_objects(
    inner: &Arc<Inner>,
    t: &Target,
    selectors: Selectors,
    query: &BTreeMap<String, String>,
) -> Response {
    let since: u64 = query
        .get("resourceVersion")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let bookmarks = query.get("allowWatchBookmarks").map(String::as_str) == Some("true");
    let timeout = query
        .get("timeoutSeconds")
        .and_then(|v| v.parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_secs(1800));
    let info = t.info;
    let scope_ns = t.namespace.clone();
    let wanted = move |ev: &StoredEvent| {
        ev.plural == info.plural
            && scope_ns.as_deref().is_none_or(|ns| ns == ev.namespace)
            && selectors.matches(&ev.object)
    };

    // Snapshot the backlog and subscribe under the same lock so no event is lost or repeated.
    let (backlog, mut live, current_rv) = {
        let st = inner.lock();
        let backlog: Vec<Bytes> = if since == 0 {
            // "Any" semantics: synthetic ADDED for everything that exists now.
            st.objects
                .iter()
                .filter(|(k, _)| k.plural == info.plural)
                .map(|(k, v)| StoredEvent {
                    rv: 0,
                    plural: k.plural,
                    namespace: k.namespace.clone(),
                    type_: "ADDED",
                    object: v.clone(),
                })
                .filter(&wanted)
                .map(|ev| watch_line(ev.type_, &ev.object))
                .collect()
        } else {
            st.log
                .iter()
                .filter(|ev| ev.rv > since && wanted(ev))
                .map(|ev| watch_line(ev.type_, &ev.object))
                .collect()
        };
        (backlog, inner.events.subscribe(), st.rv)
    };

    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(256);
    let mut down_rx = inner.down_tx.subscribe();
    tokio::spawn(async move {
        for line in backlog {
            if tx.send(Ok(line)).await.is_err() {
                return;
            }
        }
        if bookmarks && tx.send(Ok(bookmark(info, current_rv))).await.is_err() {
            return;
        }
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        let mut ticker = tokio::time::interval(BOOKMARK_INTERVAL);
        ticker.tick().await;
        let mut last_rv = current_rv;
        loop {
            tokio::select! {
                _ = &mut deadline => return,
                _ = tx.closed() => return,
                changed = down_rx.changed() => {
                    if changed.is_err() || *down_rx.borrow() {
                        let _ = tx
                            .send(Err(std::io::Error::new(
                                std::io::ErrorKind::ConnectionAborted,
                                "fake API server went down",
                            )))
                            .await;
                        return;
                    }
                }
                _ = ticker.tick(), if bookmarks => {
                    if tx.send(Ok(bookmark(info, last_rv))).await.is_err() {
                        return;
                    }
                }
                ev = live.recv() => match ev {
                    Ok(ev) => {
                        last_rv = last_rv.max(ev.rv);
                        if wanted(&ev) && tx.send(Ok(watch_line(ev.type_, &ev.object))).await.is_err() {
                            return;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        // Like an etcd compaction: tell the client to relist.
                        let gone = json!({
                            "kind": "Status", "apiVersion": "v1", "metadata": {},
                            "status": "Failure", "reason": "Expired", "code": 410,
                            "message": "too old resource version",
                        });
                        let _ = tx.send(Ok(watch_line("ERROR", &gone))).await;
                        return;
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
            }
        }
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(ReceiverStream::new(rx)))
        .expect("watch response")
}

fn token_request(
    inner: &Inner,
    namespace: &str,
    service_account: &str,
    body: &[u8],
    authorization: Option<String>,
) -> Response {
    let Ok(req) = serde_json::from_slice::<Value>(body) else {
        return status(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "TokenRequest body is not JSON",
        );
    };
    let seconds = req["spec"]["expirationSeconds"].as_i64().unwrap_or(3600);
    if seconds < 600 {
        return status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid",
            format!("TokenRequest.authentication.k8s.io {service_account:?} is invalid: spec.expirationSeconds: Invalid value: {seconds}: may not specify a duration less than 10 minutes"),
        );
    }
    let mut st = inner.lock();
    st.tokens_issued += 1;
    let token = format!("fake-token-{}", st.tokens_issued);
    st.token_requests.push(RecordedTokenRequest {
        namespace: namespace.to_string(),
        service_account: service_account.to_string(),
        body: req.clone(),
        authorization,
        issued_token: token.clone(),
    });
    let mut spec = req["spec"].clone();
    if spec.is_null() {
        spec = json!({});
    }
    spec["expirationSeconds"] = json!(seconds);
    if spec.get("audiences").is_none() {
        spec["audiences"] = json!(["https://kubernetes.default.svc"]);
    }
    json_response(
        StatusCode::OK,
        &json!({
            "kind": "TokenRequest",
            "apiVersion": "authentication.k8s.io/v1",
            "metadata": {"name": service_account, "namespace": namespace, "creationTimestamp": null},
            "spec": spec,
            "status": {"token": token, "expirationTimestamp": now_rfc3339(seconds)},
        }),
    )
}

fn subject_access_review(inner: &Inner, body: &[u8]) -> Response {
    let Ok(mut req) = serde_json::from_slice::<Value>(body) else {
        return status(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "SubjectAccessReview body is not JSON",
        );
    };
    let spec = &req["spec"];
    let attrs = &spec["resourceAttributes"];
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let sar = SarRequest {
        user: s(&spec["user"]),
        groups: spec["groups"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|g| g.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        verb: s(&attrs["verb"]),
        group: s(&attrs["group"]),
        resource: s(&attrs["resource"]),
        namespace: s(&attrs["namespace"]),
        name: s(&attrs["name"]),
    };
    let policy = {
        let mut st = inner.lock();
        st.sar_requests.push(sar.clone());
        st.sar_policy.clone()
    };
    let decision = policy(&sar);
    let mut status_obj = json!({"allowed": decision.allowed});
    if !decision.reason.is_empty() {
        status_obj["reason"] = json!(decision.reason);
    }
    req["status"] = status_obj;
    json_response(StatusCode::OK, &req)
}

/// A TCP listener whose connections die while the server is "down".
struct KillableListener {
    inner: TcpListener,
    down: Arc<AtomicBool>,
}

impl axum::serve::Listener for KillableListener {
    type Io = KillableStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, addr)) => {
                    if self.down.load(Ordering::SeqCst) {
                        drop(stream);
                        continue;
                    }
                    let _ = stream.set_nodelay(true);
                    return (
                        KillableStream {
                            inner: stream,
                            down: self.down.clone(),
                        },
                        addr,
                    );
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

struct KillableStream {
    inner: TcpStream,
    down: Arc<AtomicBool>,
}

fn reset() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::ConnectionReset,
        "fake API server is down",
    )
}

impl AsyncRead for KillableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if self.down.load(Ordering::SeqCst) {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for KillableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        if self.down.load(Ordering::SeqCst) {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_parse_into_resources() {
        let t = parse_path("/apis/connectors.alauda.io/v1alpha1/connectors").unwrap();
        assert_eq!(t.info.kind, "Connector");
        assert!(t.namespace.is_none() && t.name.is_none());
        let t =
            parse_path("/apis/connectors.alauda.io/v1alpha1/namespaces/team/connectors/a").unwrap();
        assert_eq!(
            (t.namespace.as_deref(), t.name.as_deref()),
            (Some("team"), Some("a"))
        );
        let t = parse_path("/api/v1/namespaces/team").unwrap();
        assert_eq!(
            (t.info.kind, t.name.as_deref()),
            ("Namespace", Some("team"))
        );
        let t = parse_path("/api/v1/namespaces/team/serviceaccounts/builder/token").unwrap();
        assert_eq!(t.subresource.as_deref(), Some("token"));
        assert!(parse_path("/api/v1/namespaces/team/pods").is_none());
    }
}
