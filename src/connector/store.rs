//! An in-memory snapshot of connector objects with change notification, shared by the directory
//! and in-memory sources.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use k8s_openapi::api::core::v1::Secret;
use kube::ResourceExt;
use std::sync::RwLock;
use tokio::sync::broadcast;

use super::source::{ObjectKey, SourceError, SourceEvent};
use super::types::{Connector, ConnectorClass};

/// One consistent set of objects.
#[derive(Clone, Default, Debug)]
pub struct Snapshot {
    pub connectors: HashMap<ObjectKey, Arc<Connector>>,
    pub classes: HashMap<String, Arc<ConnectorClass>>,
    pub secrets: HashMap<ObjectKey, Arc<Secret>>,
    pub namespaces: HashMap<String, BTreeMap<String, String>>,
}

impl Snapshot {
    pub fn insert_connector(&mut self, c: Connector) {
        let key = ObjectKey::new(c.namespace().unwrap_or_default(), c.name_any());
        self.connectors.insert(key, Arc::new(c));
    }
    pub fn insert_class(&mut self, c: ConnectorClass) {
        self.classes.insert(c.name_any(), Arc::new(c));
    }
    pub fn insert_secret(&mut self, s: Secret) {
        let key = ObjectKey::new(s.namespace().unwrap_or_default(), s.name_any());
        self.secrets.insert(key, Arc::new(s));
    }

    /// Events describing what differs between `self` (old) and `new`.
    pub fn diff(&self, new: &Snapshot) -> Vec<SourceEvent> {
        let mut out = Vec::new();
        let same_connector = |a: &Connector, b: &Connector| {
            a.metadata == b.metadata && a.spec == b.spec && a.status == b.status
        };
        let same_class = |a: &ConnectorClass, b: &ConnectorClass| {
            a.metadata == b.metadata && a.spec == b.spec && a.status == b.status
        };
        diff_maps(&self.connectors, &new.connectors, same_connector, |k| {
            out.push(SourceEvent::Connector(k.clone()))
        });
        diff_maps(&self.classes, &new.classes, same_class, |k| {
            out.push(SourceEvent::ConnectorClass(k.clone()))
        });
        diff_maps(
            &self.secrets,
            &new.secrets,
            |a, b| a == b,
            |k| out.push(SourceEvent::Secret(k.clone())),
        );
        if self.namespaces != new.namespaces {
            out.push(SourceEvent::All);
        }
        out
    }
}

fn diff_maps<K: Eq + std::hash::Hash, V>(
    old: &HashMap<K, Arc<V>>,
    new: &HashMap<K, Arc<V>>,
    same: impl Fn(&V, &V) -> bool,
    mut emit: impl FnMut(&K),
) {
    for (k, v) in new {
        match old.get(k) {
            Some(o) if same(o, v) => {}
            _ => emit(k),
        }
    }
    for k in old.keys() {
        if !new.contains_key(k) {
            emit(k);
        }
    }
}

/// A snapshot behind a lock plus a broadcast channel for changes.
pub struct Store {
    snapshot: RwLock<Arc<Snapshot>>,
    events: broadcast::Sender<SourceEvent>,
}

impl Default for Store {
    fn default() -> Self {
        Store {
            snapshot: RwLock::new(Arc::new(Snapshot::default())),
            events: broadcast::channel(1024).0,
        }
    }
}

impl Store {
    pub fn current(&self) -> Arc<Snapshot> {
        self.snapshot.read().expect("store lock poisoned").clone()
    }

    /// Replaces the snapshot and notifies subscribers of each difference.
    pub fn replace(&self, new: Snapshot) -> usize {
        let new = Arc::new(new);
        let old = {
            let mut guard = self.snapshot.write().expect("store lock poisoned");
            std::mem::replace(&mut *guard, new.clone())
        };
        let events = old.diff(&new);
        for e in &events {
            let _ = self.events.send(e.clone());
        }
        events.len()
    }

    /// Applies `f` to a copy of the snapshot and publishes the result.
    pub fn update(&self, f: impl FnOnce(&mut Snapshot)) -> usize {
        let mut next = (*self.current()).clone();
        f(&mut next);
        self.replace(next)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<SourceEvent> {
        self.events.subscribe()
    }

    pub fn connector(&self, key: &ObjectKey) -> Result<Arc<Connector>, SourceError> {
        self.current()
            .connectors
            .get(key)
            .cloned()
            .ok_or_else(|| SourceError::NotFound {
                kind: "connector",
                key: key.to_string(),
            })
    }

    pub fn connector_class(&self, name: &str) -> Result<Arc<ConnectorClass>, SourceError> {
        self.current()
            .classes
            .get(name)
            .cloned()
            .ok_or_else(|| SourceError::NotFound {
                kind: "connectorclass",
                key: name.to_string(),
            })
    }

    pub fn secret(&self, key: &ObjectKey) -> Result<Arc<Secret>, SourceError> {
        self.current()
            .secrets
            .get(key)
            .cloned()
            .ok_or_else(|| SourceError::NotFound {
                kind: "secret",
                key: key.to_string(),
            })
    }

    pub fn namespace_labels(&self, ns: &str) -> BTreeMap<String, String> {
        self.current()
            .namespaces
            .get(ns)
            .cloned()
            .unwrap_or_default()
    }
}
