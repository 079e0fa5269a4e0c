//! Connectors Approval against the API server: the `connectors/proxy` capability
//! SubjectAccessReview (allow answers cached), and AccessRequests found through on-demand
//! label-selector watches (one per pod and Connector) or created with a stable name.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt;
use k8s_openapi::api::authorization::v1::ResourceAttributes;
use kube::api::{Api, PostParams};
use kube::runtime::watcher::{self, Event};
use kube::runtime::WatchStreamExt;
use kube::ResourceExt;
use tokio::sync::watch;
use tokio::task::AbortHandle;

use super::errors::{map_kube_error, map_watch_error, timeout_error, ApiCall};
use super::{lock, KubeSource, CONNECTORS_GROUP};
use crate::connector::approval::{label_selector, proxy_resource, AccessRequest, ApprovalState};
use crate::connector::source::{ObjectKey, PodInfo, SourceError};

/// (pod namespace, pod name, ServiceAccount, Connector).
type PodConnector = (String, String, String, ObjectKey);

fn pod_connector(pod: &PodInfo, connector: &ObjectKey) -> PodConnector {
    (
        pod.namespace.clone(),
        pod.name.clone(),
        pod.service_account.clone(),
        connector.clone(),
    )
}

/// Caches and watches of the approval flow, owned by the [`KubeSource`].
#[derive(Default)]
pub(super) struct ApprovalCache {
    /// When the capability was last allowed (denials are never cached: a grant must be seen on
    /// the very next kubelet retry).
    allowed: std::sync::Mutex<HashMap<PodConnector, Instant>>,
    watches: std::sync::Mutex<HashMap<PodConnector, RequestWatch>>,
}

/// What one AccessRequest watch has seen.
#[derive(Clone, Debug)]
enum WatchState {
    /// The initial list has not completed yet.
    Pending,
    /// The AccessRequests carrying the pod's and Connector's labels.
    Listed(Vec<Arc<AccessRequest>>),
    /// The initial list failed (retried in the background).
    Failed(SourceError),
}

struct RequestWatch {
    state: watch::Receiver<WatchState>,
    task: AbortHandle,
    last_used: Instant,
    /// The request this driver created, until the watch reports it.
    created: Option<Arc<AccessRequest>>,
}

impl Drop for RequestWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl KubeSource {
    /// The `connectors/proxy` SubjectAccessReview of the design: verb `*`, group
    /// `connectors.alauda.io`, resource `connectors/proxy/v1/pod/<pod ns>/<pod>`, the Connector's
    /// name and namespace, for the pod's ServiceAccount and its groups.
    pub(super) async fn review_proxy(
        &self,
        pod: &PodInfo,
        connector: &ObjectKey,
    ) -> Result<(), SourceError> {
        if pod.service_account.is_empty() || pod.namespace.is_empty() || pod.name.is_empty() {
            return Err(SourceError::Invalid(
                "cannot check the connectors/proxy capability: the volume request does not name the pod and its ServiceAccount; the CSIDriver object must set podInfoOnMount: true".into(),
            ));
        }
        let key = pod_connector(pod, connector);
        if let Some(at) = lock(&self.approval.allowed).get(&key) {
            if at.elapsed() < self.opts.sar_cache_ttl {
                return Ok(());
            }
        }
        let resource = proxy_resource(pod);
        let attributes = ResourceAttributes {
            group: Some(CONNECTORS_GROUP.into()),
            resource: Some(resource.clone()),
            verb: Some("*".into()),
            namespace: Some(connector.namespace.clone()),
            name: Some(connector.name.clone()),
            ..Default::default()
        };
        let status = self
            .subject_access_review(
                pod,
                attributes,
                format!("{} * {resource} {connector}", pod.sa_username()),
            )
            .await?;
        if status.allowed {
            lock(&self.approval.allowed).insert(key, Instant::now());
            return Ok(());
        }
        lock(&self.approval.allowed).remove(&key);
        let reason = super::access::denial_reason(status);
        Err(SourceError::PermissionDenied(format!(
            "ServiceAccount {}/{} lacks the connectors/proxy capability on connector {connector} for pod {}/{} (verb * on resource {resource} of apiGroup {CONNECTORS_GROUP}, resourceNames [{}]): {reason}",
            pod.namespace, pod.service_account, pod.namespace, pod.name, connector.name,
        )))
    }

    /// The AccessRequest for (`pod`, `connector`), read from a label-selector watch of the
    /// Connector's namespace; created with [`AccessRequest::for_pod`] when none exists and
    /// `create` is set.
    pub(super) async fn find_or_create_access_request(
        &self,
        pod: &PodInfo,
        connector: &ObjectKey,
        create: bool,
    ) -> Result<Option<(String, ApprovalState)>, SourceError> {
        let key = pod_connector(pod, connector);
        let mut state = {
            let mut watches = lock(&self.approval.watches);
            let entry = watches
                .entry(key.clone())
                .or_insert_with(|| self.start_request_watch(pod, connector));
            let failed = matches!(*entry.state.borrow(), WatchState::Failed(_));
            if failed {
                *entry = self.start_request_watch(pod, connector);
            }
            entry.last_used = Instant::now();
            entry.state.clone()
        };
        let ready = tokio::time::timeout(
            self.opts.wait_for_connector,
            state.wait_for(|s| !matches!(s, WatchState::Pending)),
        )
        .await
        .map(|r| r.map(|s| s.clone()));
        let listed = match ready {
            Ok(Ok(s)) => s,
            Ok(Err(_)) => {
                return Err(SourceError::Unavailable(format!(
                    "the watch of AccessRequests for connector {connector} stopped"
                )))
            }
            Err(_) => {
                return Err(SourceError::Unavailable(format!(
                    "cannot reach the Kubernetes API server: listing AccessRequests in namespace {} did not complete within {:?}",
                    connector.namespace, self.opts.wait_for_connector
                )))
            }
        };
        let items = match listed {
            WatchState::Listed(items) => items,
            WatchState::Failed(e) => return Err(e),
            WatchState::Pending => unreachable!("waited for a non-pending state"),
        };
        let found = items
            .iter()
            .filter(|ar| ar.matches(pod, connector))
            .min_by_key(|ar| {
                (
                    ar.metadata.creation_timestamp.as_ref().map(|t| t.0),
                    ar.name_any(),
                )
            })
            .cloned();
        let found = match found {
            Some(ar) => {
                if let Some(w) = lock(&self.approval.watches).get_mut(&key) {
                    w.created = None;
                }
                Some(ar)
            }
            None => lock(&self.approval.watches)
                .get(&key)
                .and_then(|w| w.created.clone()),
        };
        if let Some(ar) = found {
            return Ok(Some((ar.name_any(), ar.state())));
        }
        if !create {
            return Ok(None);
        }
        let created = Arc::new(self.create_access_request(pod, connector).await?);
        if let Some(w) = lock(&self.approval.watches).get_mut(&key) {
            w.created = Some(created.clone());
        }
        tracing::info!(access_request = %format!("{}/{}", connector.namespace, created.name_any()),
            pod = %format!("{}/{}", pod.namespace, pod.name), connector = %connector,
            "created AccessRequest: the pod waits for approval");
        Ok(Some((created.name_any(), created.state())))
    }

    async fn create_access_request(
        &self,
        pod: &PodInfo,
        connector: &ObjectKey,
    ) -> Result<AccessRequest, SourceError> {
        let wanted = AccessRequest::for_pod(pod, connector);
        let name = wanted.name_any();
        let call = ApiCall {
            verb: "create",
            resource: "accessrequests.connectors.alauda.io".into(),
            kind: "accessrequest",
            key: format!("{}/{name}", connector.namespace),
        };
        let api = Api::<AccessRequest>::namespaced(self.client.clone(), &connector.namespace);
        let result = tokio::time::timeout(
            self.opts.api_timeout,
            api.create(&PostParams::default(), &wanted),
        )
        .await;
        match result {
            Ok(Ok(created)) => Ok(created),
            // Another publish of the same pod (or an earlier run) created it: use that one.
            Ok(Err(kube::Error::Api(s))) if s.code == 409 => {
                let get = ApiCall {
                    verb: "get",
                    ..call
                };
                match tokio::time::timeout(self.opts.api_timeout, api.get(&name)).await {
                    Ok(Ok(existing)) if existing.matches(pod, connector) => Ok(existing),
                    Ok(Ok(_)) => Err(SourceError::Invalid(format!(
                        "AccessRequest {} exists but is about another subject, connector or pod; delete it so the driver can create its own",
                        get.key
                    ))),
                    Ok(Err(e)) => Err(map_kube_error(e, &get)),
                    Err(_) => Err(timeout_error(&get, self.opts.api_timeout)),
                }
            }
            Ok(Err(e)) => Err(map_kube_error(e, &call)),
            Err(_) => Err(timeout_error(&call, self.opts.api_timeout)),
        }
    }

    fn start_request_watch(&self, pod: &PodInfo, connector: &ObjectKey) -> RequestWatch {
        let (tx, rx) = watch::channel(WatchState::Pending);
        let api = Api::<AccessRequest>::namespaced(self.client.clone(), &connector.namespace);
        let selector = label_selector(pod, connector);
        let what = format!("{connector} for pod {}/{}", pod.namespace, pod.name);
        let task = tokio::spawn(run_request_watch(api, selector, what, tx));
        RequestWatch {
            state: rx,
            task: task.abort_handle(),
            last_used: Instant::now(),
            created: None,
        }
    }

    /// Stops AccessRequest watches unused for the idle period and expires cached allows.
    pub(super) fn sweep_approval(&self) {
        let idle = self.opts.idle_watch_ttl;
        lock(&self.approval.watches).retain(|_, w| w.last_used.elapsed() < idle);
        let ttl = self.opts.sar_cache_ttl;
        lock(&self.approval.allowed).retain(|_, at| at.elapsed() < ttl);
    }

    /// Number of running AccessRequest watches (for tests).
    pub fn watched_access_requests(&self) -> usize {
        lock(&self.approval.watches).len()
    }
}

/// Lists and watches the AccessRequests matching `selector`, publishing the current set.
async fn run_request_watch(
    api: Api<AccessRequest>,
    selector: String,
    what: String,
    state: watch::Sender<WatchState>,
) {
    let config = watcher::Config::default().labels(&selector);
    let stream = watcher::watcher(api, config)
        .default_backoff()
        .modify(|ar: &mut AccessRequest| ar.managed_fields_mut().clear());
    futures::pin_mut!(stream);
    let mut current: Vec<Arc<AccessRequest>> = Vec::new();
    let mut listing: Vec<Arc<AccessRequest>> = Vec::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(Event::Init) => {
                listing.clear();
                continue;
            }
            Ok(Event::InitApply(ar)) => {
                listing.push(Arc::new(ar));
                continue;
            }
            Ok(Event::InitDone) => current = std::mem::take(&mut listing),
            Ok(Event::Apply(ar)) => {
                current.retain(|c| c.name_any() != ar.name_any());
                current.push(Arc::new(ar));
            }
            Ok(Event::Delete(ar)) => current.retain(|c| c.name_any() != ar.name_any()),
            Err(e) => {
                let err = map_watch_error(
                    e,
                    ApiCall {
                        verb: "list/watch",
                        resource: "accessrequests.connectors.alauda.io".into(),
                        kind: "accessrequest",
                        key: what.clone(),
                    },
                );
                let serving = matches!(*state.borrow(), WatchState::Listed(_));
                if serving {
                    tracing::debug!(access_requests = %what, error = %err, "watch of AccessRequests failing; serving the last known set");
                } else {
                    tracing::warn!(access_requests = %what, error = %err, "cannot list AccessRequests");
                    state.send_replace(WatchState::Failed(err));
                }
                continue;
            }
        }
        state.send_replace(WatchState::Listed(current.clone()));
    }
}
