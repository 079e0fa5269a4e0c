//! On-demand Secret watches (one named watch per Secret a Connector references; reads served
//! from it) and the sweeper that stops idle watches of Connectors and Secrets no volume needs.

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Secret;

use super::named::{NamedWatch, Observed, WatchedKind};
use super::{lock, KubeSource, KubeSourceOptions};
use crate::connector::source::{ObjectKey, SourceError, SourceEvent};

static SECRET_KIND: WatchedKind = WatchedKind {
    resource: "secrets",
    kind: "secret",
    to_event: SourceEvent::Secret,
};

impl KubeSource {
    /// Stops idle watches of unreferenced Connectors and Secrets and drops expired cache entries.
    pub(super) fn sweep_once(&self) {
        let connectors = self.sweep_connectors();
        let referenced = self.referenced_secrets();
        let idle = self.opts.idle_watch_ttl;
        let stopped: Vec<NamedWatch<Secret>> = {
            let mut secrets = lock(&self.secrets);
            let stale: Vec<ObjectKey> = secrets
                .iter()
                .filter(|(k, w)| {
                    !referenced.contains(*k) && !w.pending() && w.last_used.elapsed() >= idle
                })
                .map(|(k, _)| k.clone())
                .collect();
            stale.iter().filter_map(|k| secrets.remove(k)).collect()
        };
        if connectors > 0 || !stopped.is_empty() {
            tracing::debug!(
                connectors,
                secrets = stopped.len(),
                "stopped idle watches no volume needs"
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
            let entry = self.named_watch(&mut secrets, key, &SECRET_KIND);
            entry.last_used = Instant::now();
            entry.state.clone()
        };
        let ready = tokio::time::timeout(
            self.opts.wait_for_connector,
            state.wait_for(|s| !matches!(s, Observed::Pending)),
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
            Observed::Present(s) => Ok(s),
            Observed::Absent => Err(SourceError::NotFound {
                kind: "secret",
                key: key.to_string(),
            }),
            Observed::Failed(e) => Err(e),
            Observed::Pending => unreachable!("waited for a non-pending state"),
        }
    }
}

pub(super) async fn sweep(source: Weak<KubeSource>, opts: KubeSourceOptions) {
    let period =
        (opts.idle_watch_ttl / 2).clamp(Duration::from_millis(50), Duration::from_secs(60));
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
