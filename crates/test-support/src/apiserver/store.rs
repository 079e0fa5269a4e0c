//! The fake API server's state: the served resource kinds, stored objects and their change log,
//! and the request records tests inspect.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::sync::{broadcast, watch};

use super::auth::{SarPolicy, SarRequest};
use super::rbac_mode::{DeniedRequest, Enforcer};
pub(crate) struct ResourceInfo {
    pub(crate) plural: &'static str,
    pub(crate) prefix: &'static str,
    pub(crate) api_version: &'static str,
    pub(crate) kind: &'static str,
    pub(crate) namespaced: bool,
}

pub(crate) const RESOURCES: &[ResourceInfo] = &[
    ResourceInfo {
        plural: "connectors",
        prefix: "/apis/connectors.alauda.io/v1alpha1",
        api_version: "connectors.alauda.io/v1alpha1",
        kind: "Connector",
        namespaced: true,
    },
    ResourceInfo {
        plural: "accessrequests",
        prefix: "/apis/connectors.alauda.io/v1alpha1",
        api_version: "connectors.alauda.io/v1alpha1",
        kind: "AccessRequest",
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
    // The operator's feature-flag ConfigMap (`connectors-config`), watched by name.
    ResourceInfo {
        plural: "configmaps",
        prefix: "/api/v1",
        api_version: "v1",
        kind: "ConfigMap",
        namespaced: true,
    },
    // Written by the driver (pod events): create and merge-patch, see `writes.rs`.
    ResourceInfo {
        plural: "events",
        prefix: "/api/v1",
        api_version: "v1",
        kind: "Event",
        namespaced: true,
    },
];

pub(crate) fn resource_by_kind(kind: &str) -> Option<&'static ResourceInfo> {
    RESOURCES.iter().find(|r| r.kind == kind)
}

pub(crate) fn resource_by_path(prefix: &str, plural: &str) -> Option<&'static ResourceInfo> {
    RESOURCES
        .iter()
        .find(|r| r.prefix == prefix && r.plural == plural)
}

#[derive(Clone, Debug, PartialEq)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub query: String,
    /// The raw `Authorization` header, if any.
    pub authorization: Option<String>,
    /// When the server received it.
    pub at: std::time::Instant,
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

/// Number of requests per (verb, resource). Verbs: `get`, `list`, `watch`, `create`;
/// resources: the plural (`connectors`, `secrets`, …), `serviceaccounts/token`,
/// `subjectaccessreviews`, or `other`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RequestCounts {
    pub by_verb_resource: BTreeMap<(String, String), usize>,
    /// Response bytes sent (list/get bodies, watch event lines) per (verb, resource).
    pub bytes: BTreeMap<(String, String), usize>,
    /// Response bytes sent per bearer token (one token per simulated node).
    pub bytes_by_token: BTreeMap<String, usize>,
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

    /// Response bytes sent for `verb` on `resource`.
    pub fn bytes_of(&self, verb: &str, resource: &str) -> usize {
        self.bytes
            .get(&(verb.to_string(), resource.to_string()))
            .copied()
            .unwrap_or(0)
    }

    /// All response bytes sent.
    pub fn bytes_total(&self) -> usize {
        self.bytes.values().sum()
    }

    pub(crate) fn add_bytes(&mut self, verb: &str, resource: &str, token: Option<&str>, n: usize) {
        *self
            .bytes
            .entry((verb.to_string(), resource.to_string()))
            .or_default() += n;
        if let Some(t) = token {
            *self.bytes_by_token.entry(t.to_string()).or_default() += n;
        }
    }
}

#[derive(Clone)]
pub(crate) struct StoredEvent {
    pub(crate) rv: u64,
    pub(crate) plural: &'static str,
    pub(crate) namespace: String,
    pub(crate) type_: &'static str,
    pub(crate) object: Value,
}

#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct ObjKey {
    pub(crate) plural: &'static str,
    pub(crate) namespace: String,
    pub(crate) name: String,
}

impl ObjKey {
    /// The key of `name`; `namespace` is dropped for cluster-scoped kinds.
    pub(crate) fn scoped(info: &ResourceInfo, namespace: &str, name: &str) -> ObjKey {
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

pub(crate) struct ServerState {
    pub(crate) rv: u64,
    pub(crate) objects: BTreeMap<ObjKey, Value>,
    pub(crate) log: Vec<StoredEvent>,
    pub(crate) counts: RequestCounts,
    pub(crate) requests: Vec<RecordedRequest>,
    pub(crate) token_requests: Vec<RecordedTokenRequest>,
    pub(crate) sar_requests: Vec<SarRequest>,
    pub(crate) sar_policy: SarPolicy,
    pub(crate) accepted_tokens: Option<HashSet<String>>,
    pub(crate) path_prefix: Option<String>,
    pub(crate) forbidden: HashSet<(String, String)>,
    /// RBAC mode ([`FakeApiServer::enforce_rbac`](super::FakeApiServer::enforce_rbac)).
    pub(crate) rbac: Option<Arc<Enforcer>>,
    /// Requests the RBAC mode refused.
    pub(crate) denied: Vec<DeniedRequest>,
    pub(crate) tokens_issued: u64,
    pub(crate) uid_counter: u64,
    /// Watches asking to resume from a resourceVersion below this get 410 Gone (a restarted
    /// API server's fresh watch cache); 0 until [`FakeApiServer::restart`](super::FakeApiServer::restart).
    pub(crate) watch_floor: u64,
}

pub(crate) struct Inner {
    pub(crate) state: Mutex<ServerState>,
    pub(crate) events: broadcast::Sender<StoredEvent>,
    pub(crate) down: Arc<AtomicBool>,
    pub(crate) down_tx: watch::Sender<bool>,
    /// Connections refused while down ([`FakeApiServer::refused_connections`](super::FakeApiServer::refused_connections)).
    pub(crate) refused: Arc<std::sync::atomic::AtomicUsize>,
    /// Connections accepted ([`FakeApiServer::accepted_connections`](super::FakeApiServer::accepted_connections)).
    pub(crate) accepted: Arc<std::sync::atomic::AtomicUsize>,
    /// Bumped by [`FakeApiServer::restart`](super::FakeApiServer::restart): every open watch ends.
    pub(crate) restarts: watch::Sender<u64>,
}

impl Inner {
    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, ServerState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub(crate) fn now_rfc3339(plus_seconds: i64) -> String {
    let now = jiff::Timestamp::now().as_second() + plus_seconds;
    jiff::Timestamp::from_second(now)
        .expect("timestamp in range")
        .to_string()
}
