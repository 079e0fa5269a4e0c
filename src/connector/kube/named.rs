//! One watch of one named object — the unit of kubelet's watch-based Secret manager: a
//! namespaced list/watch restricted by `fieldSelector=metadata.name=<name>`, its last observed
//! state, and a change event whenever that state changes after the first sync.
//!
//! Both Connectors and the Secrets they reference are watched this way, so a node holds only the
//! objects its own volumes use. Lists are served from the API server's watch cache
//! (`resourceVersion=0`), retries use kube-rs' jittered exponential backoff (0.8 s doubling to
//! 30 s, each delay plus a random part of itself), and every (re)list first takes a permit of a
//! semaphore shared by the source, so a node never starts more than a few lists at once (after a
//! restart, or when the API server dropped every watch). Each watch request asks for a random
//! 30–60 min timeout, as kubelet's (see [`watch_timeout_secs`]).

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt;
use kube::api::Api;
use kube::core::NamespaceResourceScope;
use kube::runtime::watcher::{self, Event};
use kube::runtime::WatchStreamExt;
use kube::{Resource, ResourceExt};
use serde::de::DeserializeOwned;
use tokio::sync::{broadcast, watch, Semaphore};
use tokio::task::AbortHandle;

use super::errors::{map_watch_error, ApiCall};
use crate::connector::source::{ObjectKey, SourceError, SourceEvent};

/// What a named watch last observed.
pub(super) enum Observed<K> {
    /// The first list has not completed yet.
    Pending,
    Present(Arc<K>),
    /// Listed and not there (a cached answer: the watch goes on and may still see it created).
    Absent,
    /// The first list failed (retried in the background with backoff).
    Failed(SourceError),
}

impl<K> Clone for Observed<K> {
    fn clone(&self) -> Self {
        match self {
            Observed::Pending => Observed::Pending,
            Observed::Present(o) => Observed::Present(o.clone()),
            Observed::Absent => Observed::Absent,
            Observed::Failed(e) => Observed::Failed(e.clone()),
        }
    }
}

impl<K> fmt::Debug for Observed<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the object itself: a Secret's data must not reach a log line.
        match self {
            Observed::Pending => f.write_str("Pending"),
            Observed::Present(_) => f.write_str("Present"),
            Observed::Absent => f.write_str("Absent"),
            Observed::Failed(e) => write!(f, "Failed({e})"),
        }
    }
}

/// The kind being watched, for requests, errors and change events.
pub(super) struct WatchedKind {
    /// `secrets`, `connectors.connectors.alauda.io`: named in API error messages.
    pub(super) resource: &'static str,
    /// Lower-case kind used in `NotFound` errors.
    pub(super) kind: &'static str,
    pub(super) to_event: fn(ObjectKey) -> SourceEvent,
}

/// A running watch of one object; the task stops when this is dropped.
pub(super) struct NamedWatch<K> {
    pub(super) state: watch::Receiver<Observed<K>>,
    task: AbortHandle,
    /// Last read (or, for referenced objects, when the last reference went).
    pub(super) last_used: Instant,
    /// Volumes referencing the object (Connectors only; Secrets follow their Connectors).
    pub(super) refs: usize,
}

impl<K> Drop for NamedWatch<K> {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl<K> NamedWatch<K>
where
    K: Resource<DynamicType = (), Scope = NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + fmt::Debug
        + Send
        + Sync
        + 'static,
{
    /// Starts watching `key` in its namespace.
    pub(super) fn start(
        client: kube::Client,
        key: &ObjectKey,
        what: &'static WatchedKind,
        events: broadcast::Sender<SourceEvent>,
        lists: Arc<Semaphore>,
    ) -> Self {
        let (tx, rx) = watch::channel(Observed::Pending);
        let task = tokio::spawn(run(
            Api::<K>::namespaced(client, &key.namespace),
            key.clone(),
            what,
            tx,
            events,
            lists,
        ));
        NamedWatch {
            state: rx,
            task: task.abort_handle(),
            last_used: Instant::now(),
            refs: 0,
        }
    }

    /// The first list has not completed (a list may be in flight: never stop such a watch).
    pub(super) fn pending(&self) -> bool {
        matches!(*self.state.borrow(), Observed::Pending)
    }

    pub(super) fn failed(&self) -> bool {
        matches!(*self.state.borrow(), Observed::Failed(_))
    }

    /// The object, if the watch currently sees it.
    pub(super) fn current(&self) -> Option<Arc<K>> {
        match &*self.state.borrow() {
            Observed::Present(o) => Some(o.clone()),
            _ => None,
        }
    }
}

/// Timeout of one watch request: random in [30 min, 60 min), as kubelet's reflectors
/// (`MinWatchTimeout`). A watch ending on its timeout is resumed from its resourceVersion (no
/// list), so this sets how often each watched object costs one WATCH request, and the randomness
/// keeps a node's watches (and a fleet's) out of step. kube-rs' watcher also takes a watch silent
/// for longer than this for dead; a silently dropped connection is noticed much sooner by the
/// client's HTTP/2 pings or TCP keepalive (`client.rs`), which end every watch on it.
pub(super) fn watch_timeout_secs() -> u32 {
    const MIN: u32 = 30 * 60;
    MIN + rand::random::<u32>() % MIN
}

/// The list/watch of the one object `name` in `api`'s scope, configured as every named watch of
/// the driver is: `fieldSelector=metadata.name=<name>`, unpaged lists from the watch cache
/// (kube-rs sends `resourceVersion=0` only on unpaged lists), a random 30–60 min watch timeout,
/// jittered exponential backoff, `managedFields` dropped.
pub(crate) fn named_watcher<K>(
    api: Api<K>,
    name: &str,
) -> impl futures::Stream<Item = Result<Event<K>, watcher::Error>> + Send
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + fmt::Debug + Send + 'static,
{
    let mut config = watcher::Config::default()
        .fields(&format!("metadata.name={name}"))
        .any_semantic()
        .timeout(watch_timeout_secs());
    config.page_size = None;
    watcher::watcher(api, config)
        .default_backoff()
        .modify(|o: &mut K| o.managed_fields_mut().clear())
}

/// Folds a named watch's events into the object's state.
pub(crate) struct NamedEvents<K> {
    name: String,
    listed: Option<K>,
}

impl<K: Resource> NamedEvents<K> {
    pub(crate) fn new(name: &str) -> Self {
        NamedEvents {
            name: name.to_string(),
            listed: None,
        }
    }

    /// `Some(Some(object))` when the object is known to be there (a list completed, or it was
    /// applied), `Some(None)` when it is known not to be, `None` when the event says nothing new
    /// (a list in progress, another object).
    pub(crate) fn apply(&mut self, event: Event<K>) -> Option<Option<K>> {
        let ours = |o: &K| o.meta().name.as_deref() == Some(self.name.as_str());
        match event {
            Event::Init => {
                self.listed = None;
                None
            }
            Event::InitApply(o) => {
                if ours(&o) {
                    self.listed = Some(o);
                }
                None
            }
            Event::InitDone => Some(self.listed.take()),
            Event::Apply(o) if ours(&o) => Some(Some(o)),
            Event::Delete(o) if ours(&o) => Some(None),
            Event::Apply(_) | Event::Delete(_) => None,
        }
    }
}

/// Watches one object by name until aborted.
async fn run<K>(
    api: Api<K>,
    key: ObjectKey,
    what: &'static WatchedKind,
    state: watch::Sender<Observed<K>>,
    events: broadcast::Sender<SourceEvent>,
    lists: Arc<Semaphore>,
) where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + fmt::Debug + Send + Sync + 'static,
{
    let stream = named_watcher(api, &key.name);
    futures::pin_mut!(stream);
    let mut fold = NamedEvents::new(&key.name);
    // Held from `Init` (the watcher's next poll sends the LIST) to the end of that list.
    let mut permit = None;
    let rv_of = |s: &Observed<K>| match s {
        Observed::Present(o) => o.resource_version(),
        _ => None,
    };
    loop {
        let Some(item) = stream.next().await else {
            return;
        };
        let next = match item {
            Ok(event) => {
                match event {
                    Event::Init => permit = lists.clone().acquire_owned().await.ok(),
                    Event::InitDone => drop(permit.take()),
                    _ => {}
                }
                match fold.apply(event) {
                    Some(Some(o)) => Observed::Present(Arc::new(o)),
                    Some(None) => Observed::Absent,
                    None => continue,
                }
            }
            Err(e) => {
                drop(permit.take());
                let err = map_watch_error(
                    e,
                    ApiCall {
                        verb: "list/watch",
                        resource: what.resource.into(),
                        kind: what.kind,
                        key: key.to_string(),
                    },
                );
                let serving = matches!(*state.borrow(), Observed::Present(_) | Observed::Absent);
                if serving {
                    tracing::debug!(object = %key, kind = what.kind, error = %err, "watch failing; serving the last known state");
                } else {
                    tracing::warn!(object = %key, kind = what.kind, error = %err, "cannot read object");
                    state.send_replace(Observed::Failed(err));
                }
                continue;
            }
        };
        let previous = state.send_replace(next.clone());
        let changed = match (&previous, &next) {
            (Observed::Pending | Observed::Failed(_), _) => false,
            (Observed::Absent, Observed::Absent) => false,
            (a, b) => rv_of(a) != rv_of(b),
        };
        if changed {
            let _ = events.send((what.to_event)(key.clone()));
        }
    }
}
