//! On-demand Secret watches: one watch per referenced Secret (by name), reads served from it,
//! and the sweeper that stops watches no Connector references any more.

use std::collections::HashSet;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::core::v1::Secret;
use kube::api::Api;
use kube::runtime::watcher::{self, Event};
use kube::runtime::WatchStreamExt;
use kube::ResourceExt;
use tokio::sync::{broadcast, watch};
use tokio::task::AbortHandle;

use super::errors::{map_watch_error, ApiCall};
use super::{lock, KubeSource, KubeSourceOptions};
use crate::connector::source::{ObjectKey, SourceError, SourceEvent};

/// State of one on-demand Secret watch.
#[derive(Clone, Debug)]
pub(super) enum SecretState {
    /// The initial list has not completed yet.
    Pending,
    Present(Arc<Secret>),
    Absent,
    /// The initial list failed (retried in the background).
    Failed(SourceError),
}

pub(super) struct SecretWatch {
    pub(super) state: watch::Receiver<SecretState>,
    pub(super) task: AbortHandle,
    pub(super) last_used: Instant,
}

impl Drop for SecretWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl KubeSource {
    pub(super) fn start_secret_watch(&self, key: &ObjectKey) -> SecretWatch {
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
    pub(super) fn referenced_secrets(&self) -> HashSet<ObjectKey> {
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
    pub(super) fn sweep_once(&self) {
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
        self.sweep_approval();
    }

    pub(super) async fn watched_secret(&self, key: &ObjectKey) -> Result<Arc<Secret>, SourceError> {
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
}

pub(super) async fn sweep(source: Weak<KubeSource>, opts: KubeSourceOptions) {
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

/// Watches one Secret by name.
pub(super) async fn run_secret_watch(
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
