//! The [`ConnectorSource`] trait: where Connectors, ConnectorClasses, Secrets and namespace labels
//! come from. Implementations: [`super::dir::DirSource`] (a folder of YAML files, the default
//! without a cluster), [`super::kube::KubeSource`] (watched caches against the API server) and
//! [`super::memory::MemorySource`] (in-process, used by tests and benchmarks).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use k8s_openapi::api::core::v1::Secret;
use tokio::sync::broadcast;

use super::approval::ApprovalState;
use super::types::{Connector, ConnectorClass};
use crate::token::Token;

/// Namespace + name of a namespaced object.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    pub namespace: String,
    pub name: String,
}

impl ObjectKey {
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        ObjectKey {
            namespace: namespace.into(),
            name: name.into(),
        }
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

impl fmt::Debug for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The pod a volume belongs to, from kubelet's `podInfoOnMount` attributes.
#[derive(Clone, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct PodInfo {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub service_account: String,
}

impl PodInfo {
    /// `system:serviceaccount:<ns>:<sa>`.
    pub fn sa_username(&self) -> String {
        format!(
            "system:serviceaccount:{}:{}",
            self.namespace, self.service_account
        )
    }
}

/// What a driver-minted token is for.
#[derive(Clone, Debug)]
pub struct TokenRequestSpec {
    pub pod: PodInfo,
    pub audience: String,
    pub expiration: Duration,
}

/// A change a source observed; volumes depending on it are re-rendered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceEvent {
    Connector(ObjectKey),
    ConnectorClass(String),
    Secret(ObjectKey),
    /// Anything may have changed (a directory reload, a watch restart).
    All,
}

/// Errors of the connector layer.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum SourceError {
    #[error("{kind} {key:?} not found")]
    NotFound { kind: &'static str, key: String },
    #[error("{0}")]
    PermissionDenied(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Unsupported(String),
}

/// Supplies connector objects to the driver. All reads are served from memory (caches or parsed
/// files); only token minting and authorization may reach the API server.
#[async_trait]
pub trait ConnectorSource: Send + Sync + 'static {
    /// Short name for logs and metrics (`dir`, `kube`, `memory`).
    fn kind(&self) -> &'static str;

    /// True once the initial list/load has completed (drives Probe and /readyz).
    fn is_synced(&self) -> bool;

    /// A Connector. Sources backed by watches wait a bounded time for an unknown key to appear
    /// before answering `NotFound`.
    async fn connector(&self, key: &ObjectKey) -> Result<Arc<Connector>, SourceError>;

    /// Declares that the volume `volume_id` uses exactly `connectors` from now on (publish,
    /// republish, restart recovery). A watch-backed source keeps those Connectors watched while
    /// any volume references them, and stops watching a Connector an idle grace after its last
    /// reference went. Sources that hold everything anyway ignore it.
    fn retain(&self, volume_id: &str, connectors: &[ObjectKey]) {
        let _ = (volume_id, connectors);
    }

    /// The volume `volume_id` is gone (unpublished, or its first publish failed).
    fn release(&self, volume_id: &str) {
        let _ = volume_id;
    }

    /// How many objects of each kind the source watches now (metrics); empty for sources that
    /// hold everything they were given.
    fn watched(&self) -> Vec<(&'static str, usize)> {
        Vec::new()
    }

    /// Every Connector the source can see. Only the image credential provider (a one-shot
    /// process) calls it; the Kubernetes source answers with one LIST, not a watch.
    async fn list_connectors(&self) -> Result<Vec<Arc<Connector>>, SourceError>;

    /// A ConnectorClass by name.
    async fn connector_class(&self, name: &str) -> Result<Arc<ConnectorClass>, SourceError>;

    /// A Secret referenced by a Connector.
    async fn secret(&self, key: &ObjectKey) -> Result<Arc<Secret>, SourceError>;

    /// Labels of a namespace (project scoping); `Ok(empty)` when the namespace is unknown.
    async fn namespace_labels(
        &self,
        namespace: &str,
    ) -> Result<BTreeMap<String, String>, SourceError>;

    /// Whether the pod's ServiceAccount may `get` the Connector (SubjectAccessReview in a cluster).
    async fn authorize(&self, pod: &PodInfo, connector: &ObjectKey) -> Result<(), SourceError>;

    /// Whether the pod's ServiceAccount holds the `connectors/proxy` capability on the Connector,
    /// bound to this pod (`--enable-connector-proxy-permissions`; a SubjectAccessReview in a
    /// cluster). Denied is `PermissionDenied`. Only the Kubernetes source answers it.
    async fn authorize_proxy(
        &self,
        pod: &PodInfo,
        connector: &ObjectKey,
    ) -> Result<(), SourceError> {
        let _ = (pod, connector);
        Err(unsupported_approval(self.kind()))
    }

    /// The AccessRequest for (`pod`, `connector`) and what it says: found by its labels, or,
    /// when `create` is set and none exists, created (`--enable-connectors-approval`). Only the
    /// Kubernetes source answers it.
    async fn access_request(
        &self,
        pod: &PodInfo,
        connector: &ObjectKey,
        create: bool,
    ) -> Result<Option<(String, ApprovalState)>, SourceError> {
        let _ = (pod, connector, create);
        Err(unsupported_approval(self.kind()))
    }

    /// Mints a pod-bound token when kubelet did not supply one.
    async fn request_token(&self, spec: &TokenRequestSpec) -> Result<Token, SourceError>;

    /// Change notifications.
    fn subscribe(&self) -> broadcast::Receiver<SourceEvent>;
}

fn unsupported_approval(kind: &str) -> SourceError {
    SourceError::Unsupported(format!(
        "the connectors/proxy capability check and Connectors Approval need the Kubernetes source (--source kube); the {kind} source cannot answer them"
    ))
}

/// Namespace scope rule of the connectors platform: a pod may use a Connector in its own
/// namespace, in `kube-public`, or a project connector (namespace labelled
/// `cpaas.io/inner-namespace: <p>`) from a namespace labelled `cpaas.io/project: <p>`.
pub async fn check_namespace_scope(
    source: &dyn ConnectorSource,
    pod_namespace: &str,
    connector: &ObjectKey,
) -> Result<(), SourceError> {
    if connector.namespace == pod_namespace || connector.namespace == "kube-public" {
        return Ok(());
    }
    let target = source.namespace_labels(&connector.namespace).await?;
    if let Some(project) = target
        .get("cpaas.io/inner-namespace")
        .filter(|p| !p.is_empty())
    {
        let pod_labels = source.namespace_labels(pod_namespace).await?;
        if pod_labels.get("cpaas.io/project") == Some(project) {
            return Ok(());
        }
    }
    Err(SourceError::PermissionDenied(format!(
        "connector {connector} is not usable from namespace {pod_namespace:?}: only connectors in the pod's own namespace, in kube-public, or project connectors (namespace labelled cpaas.io/inner-namespace) used from a namespace of the same project (cpaas.io/project) are allowed"
    )))
}
