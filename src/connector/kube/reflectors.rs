//! The cluster-wide reflector (ConnectorClasses: cluster-scoped and few): list/watch into a
//! cache, the health of the watch, and one change event per object that changed (also across
//! relists, which are served from the API server's watch cache).

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use kube::api::Api;
use kube::runtime::reflector::{self, ObjectRef};
use kube::runtime::watcher::{self, Event};
use kube::runtime::WatchStreamExt;
use kube::{Resource, ResourceExt};
use serde::de::DeserializeOwned;
use tokio::sync::{broadcast, watch, Semaphore};

use super::errors::{map_watch_error, ApiCall};
use crate::connector::source::{SourceError, SourceEvent};
use crate::connector::types::ConnectorClass;

/// Relists that change more objects than this are announced as one [`SourceEvent::All`].
pub(super) const MAX_EVENTS_PER_RELIST: usize = 512;

/// Health of one reflector.
#[derive(Default)]
pub(super) struct WatchHealth {
    pub(super) synced: AtomicBool,
    pub(super) last_error: Mutex<Option<SourceError>>,
}

impl WatchHealth {
    pub(super) fn synced(&self) -> bool {
        self.synced.load(Ordering::SeqCst)
    }
    pub(super) fn error(&self) -> Option<SourceError> {
        self.last_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
    /// Records an error; returns whether the watch was healthy before.
    pub(super) fn set_error(&self, e: SourceError) -> bool {
        self.last_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .replace(e)
            .is_none()
    }
    /// Clears the error; returns whether there was one.
    pub(super) fn clear_error(&self) -> bool {
        self.last_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .is_some()
    }
}

/// Keys seen during a (re)list, to announce exactly what changed once it completes.
pub(super) struct Relist<K: kube::runtime::reflector::Lookup> {
    pub(super) before: HashSet<ObjectRef<K>>,
    pub(super) seen: HashSet<ObjectRef<K>>,
    pub(super) changed: Vec<SourceEvent>,
}

/// The lower-case kind used in `NotFound` errors.
pub(super) trait KindName {
    const KIND_NAME: &'static str;
}

impl KindName for ConnectorClass {
    const KIND_NAME: &'static str = "connectorclass";
}

/// Drives one reflector: applies watch events to `writer` and announces each change.
pub(super) async fn run_reflector<K>(
    api: Api<K>,
    mut writer: reflector::store::Writer<K>,
    reader: reflector::Store<K>,
    health: Arc<WatchHealth>,
    changes: watch::Sender<u64>,
    events: broadcast::Sender<SourceEvent>,
    lists: Arc<Semaphore>,
    to_event: fn(Option<String>, &str) -> SourceEvent,
) where
    K: KindName,
    K: Resource<DynamicType = ()>
        + Clone
        + DeserializeOwned
        + std::fmt::Debug
        + Send
        + Sync
        + 'static,
{
    let what = match K::group(&()).as_ref() {
        "" => K::plural(&()).to_string(),
        group => format!("{}.{group}", K::plural(&())),
    };
    let stream = watcher(api)
        .default_backoff()
        .modify(|o: &mut K| o.managed_fields_mut().clear());
    futures::pin_mut!(stream);
    let mut relist: Option<Relist<K>> = None;
    // Held from `Init` (the watcher's next poll sends the LIST) to the end of that list.
    let mut permit = None;
    while let Some(item) = stream.next().await {
        if matches!(item, Ok(Event::Init)) {
            permit = lists.clone().acquire_owned().await.ok();
        } else if matches!(item, Ok(Event::InitDone) | Err(_)) {
            drop(permit.take());
        }
        let ev = match item {
            Ok(ev) => ev,
            Err(e) => {
                let err = map_watch_error(
                    e,
                    ApiCall {
                        verb: "list/watch",
                        resource: what.clone(),
                        kind: K::KIND_NAME,
                        key: "all namespaces".into(),
                    },
                );
                if health.set_error(err.clone()) {
                    tracing::warn!(resource = %what, error = %err, "watch failed; serving the last known objects and retrying with backoff");
                } else {
                    tracing::debug!(resource = %what, error = %err, "watch still failing");
                }
                changes.send_modify(|g| *g += 1);
                continue;
            }
        };
        if health.clear_error() {
            tracing::info!(resource = %what, "watch recovered");
        }
        let mut emit = Vec::new();
        let mut done = false;
        match &ev {
            Event::Init => {
                relist = Some(Relist {
                    before: reader
                        .state()
                        .iter()
                        .map(|o| ObjectRef::from_obj(&**o))
                        .collect(),
                    seen: HashSet::new(),
                    changed: Vec::new(),
                });
            }
            Event::InitApply(o) => {
                if let Some(r) = relist.as_mut() {
                    let key = ObjectRef::from_obj(o);
                    let old_rv = reader.get(&key).and_then(|old| old.resource_version());
                    if old_rv.is_none() || old_rv != o.resource_version() {
                        r.changed.push(to_event(o.namespace(), &o.name_any()));
                    }
                    r.seen.insert(key);
                }
            }
            Event::InitDone => {
                done = true;
                if let Some(r) = relist.take() {
                    emit = r.changed;
                    for gone in r.before.difference(&r.seen) {
                        emit.push(to_event(gone.namespace.clone(), &gone.name));
                    }
                }
            }
            Event::Apply(o) | Event::Delete(o) => emit.push(to_event(o.namespace(), &o.name_any())),
        }
        writer.apply_watcher_event(&ev);
        if done && !health.synced.swap(true, Ordering::SeqCst) {
            tracing::info!(resource = %what, count = reader.len(), "initial list complete");
        }
        changes.send_modify(|g| *g += 1);
        if emit.len() > MAX_EVENTS_PER_RELIST {
            let _ = events.send(SourceEvent::All);
        } else {
            for e in emit {
                let _ = events.send(e);
            }
        }
    }
}

pub(super) fn watcher<K>(
    api: Api<K>,
) -> impl futures::Stream<Item = Result<Event<K>, watcher::Error>> + Send
where
    K: Resource + Clone + DeserializeOwned + std::fmt::Debug + Send + 'static,
{
    let mut config = watcher::Config::default()
        .any_semantic()
        .timeout(super::named::watch_timeout_secs());
    // ConnectorClasses are few: one unpaged list, which kube-rs sends with `resourceVersion=0`
    // (served from the API server's watch cache, not etcd).
    config.page_size = None;
    watcher::watcher(api, config)
}
