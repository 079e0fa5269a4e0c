//! Connectors watched per object in use on this node: one named watch per Connector that a
//! volume references, shared by the volumes, reference-counted by volume and stopped an idle
//! grace after the last reference went (kubelet's watch-based manager, applied to Connectors).
//!
//! * A volume's publish (and restart recovery) calls [`KubeSource::retain`] with the Connectors
//!   it names; unpublish (or a failed first publish) calls [`KubeSource::release`].
//! * A read of a Connector no volume references yet (the first publish, `render`-like callers)
//!   starts its watch too; it is stopped like any unreferenced watch once idle.
//! * A watch whose first list is still in flight is never stopped. A Connector that is not
//!   there is a cached answer (`Absent`); its watch goes on, so a Connector created after its
//!   pod still mounts (the kubelet retry reads the cache) and a stale volume revives.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use super::named::{NamedWatch, Observed, WatchedKind};
use super::{lock, KubeSource};
use crate::connector::source::{ObjectKey, SourceError, SourceEvent};
use crate::connector::types::Connector;

pub(super) static CONNECTOR_KIND: WatchedKind = WatchedKind {
    resource: "connectors.connectors.alauda.io",
    kind: "connector",
    to_event: SourceEvent::Connector,
};

/// The Connector watches and which volume references which Connectors.
#[derive(Default)]
pub(super) struct ConnectorWatches {
    pub(super) watches: HashMap<ObjectKey, NamedWatch<Connector>>,
    holders: HashMap<String, Vec<ObjectKey>>,
}

impl KubeSource {
    /// `holder` (a volume) uses exactly `keys` from now on (a key listed twice counts once).
    pub(super) fn retain_connectors(&self, holder: &str, keys: &[ObjectKey]) {
        let mut keys = keys.to_vec();
        keys.sort();
        keys.dedup();
        let mut map = lock(&self.connector_watches);
        let old = map.holders.remove(holder).unwrap_or_default();
        for key in keys.iter().filter(|k| !old.contains(k)) {
            self.named_watch(&mut map.watches, key, &CONNECTOR_KIND)
                .refs += 1;
        }
        let now = Instant::now();
        for key in old.iter().filter(|k| !keys.contains(k)) {
            if let Some(w) = map.watches.get_mut(key) {
                w.refs = w.refs.saturating_sub(1);
                w.last_used = now;
            }
        }
        if !keys.is_empty() {
            map.holders.insert(holder.to_string(), keys);
        }
    }

    /// `holder` no longer uses any Connector.
    pub(super) fn release_connectors(&self, holder: &str) {
        self.retain_connectors(holder, &[]);
    }

    /// Reads a Connector from its watch, waiting up to `wait_for_connector` for the first list
    /// and, when it is not there, for it to be created.
    pub(super) async fn watched_connector(
        &self,
        key: &ObjectKey,
    ) -> Result<Arc<Connector>, SourceError> {
        let mut rx = {
            let mut map = lock(&self.connector_watches);
            let w = self.named_watch(&mut map.watches, key, &CONNECTOR_KIND);
            w.last_used = Instant::now();
            w.state.clone()
        };
        let deadline = tokio::time::Instant::now() + self.opts.wait_for_connector;
        loop {
            match &*rx.borrow_and_update() {
                Observed::Present(c) => return Ok(c.clone()),
                Observed::Failed(e) => return Err(e.clone()),
                Observed::Pending | Observed::Absent => {}
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => continue,
                Ok(Err(_)) => {
                    return Err(SourceError::Unavailable(format!(
                        "the watch of connector {key} stopped; retry"
                    )))
                }
                Err(_) => break,
            }
        }
        let last = rx.borrow().clone();
        match last {
            Observed::Present(c) => Ok(c),
            Observed::Absent => Err(SourceError::NotFound {
                kind: "connector",
                key: key.to_string(),
            }),
            Observed::Failed(e) => Err(e),
            Observed::Pending => Err(SourceError::Unavailable(format!(
                "cannot reach the Kubernetes API server: reading connector {key} did not complete within {:?}",
                self.opts.wait_for_connector
            ))),
        }
    }

    /// Stops the watches of Connectors no volume references, once idle and synced.
    pub(super) fn sweep_connectors(&self) -> usize {
        let idle = self.opts.idle_watch_ttl;
        let stopped: Vec<NamedWatch<Connector>> = {
            let mut map = lock(&self.connector_watches);
            let stale: Vec<ObjectKey> = map
                .watches
                .iter()
                .filter(|(_, w)| w.refs == 0 && !w.pending() && w.last_used.elapsed() >= idle)
                .map(|(k, _)| k.clone())
                .collect();
            stale.iter().filter_map(|k| map.watches.remove(k)).collect()
        };
        stopped.len()
    }

    /// Secrets referenced by the Connectors this node watches (their watches are kept).
    pub(super) fn referenced_secrets(&self) -> HashSet<ObjectKey> {
        let map = lock(&self.connector_watches);
        let mut out = HashSet::new();
        for c in map.watches.values().filter_map(NamedWatch::current) {
            out.extend(c.secret_refs());
        }
        out
    }

    /// Number of Connectors watched (metrics, tests, benchmarks).
    pub fn watched_connectors(&self) -> usize {
        lock(&self.connector_watches).watches.len()
    }
}
