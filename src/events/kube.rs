//! The Kubernetes event sink: core/v1 Events on the pod, aggregated like kubelet's event
//! correlator (the same pod, reason and cause bump `count` and `lastTimestamp` of the existing
//! Event with a merge patch, and replace its message with the latest, instead of creating a new
//! one). Needs RBAC `create` and `patch` on `events` in the core group.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta, Time};
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::Client;

use super::{EventSink, VolumeEvent};

/// `source.component` / `reportingComponent` of every Event.
pub const COMPONENT: &str = "connectors-csi";

/// Remembered Events (kubelet's correlator keeps 4096); the oldest is forgotten first.
const CACHE_ENTRIES: usize = 4096;

/// An Event already posted, by (namespace, pod uid, reason, cause).
struct Posted {
    name: String,
    count: i32,
    last: Timestamp,
}

type CacheKey = (String, String, &'static str, String);

/// Posts core/v1 Events about pods.
pub struct KubeEventSink {
    client: Client,
    /// `reportingInstance` and `source.host`: the node name.
    node: String,
    posted: Mutex<HashMap<CacheKey, Posted>>,
}

impl KubeEventSink {
    pub fn new(client: Client, node: impl Into<String>) -> Self {
        KubeEventSink {
            client,
            node: node.into(),
            posted: Mutex::new(HashMap::new()),
        }
    }

    fn new_event(&self, ev: &VolumeEvent, now: Timestamp) -> Event {
        Event {
            metadata: ObjectMeta {
                // kubelet's naming: <object>.<unique hex>.
                name: Some(format!("{}.{:x}", ev.pod.name, now.as_nanosecond())),
                namespace: Some(ev.pod.namespace.clone()),
                ..Default::default()
            },
            involved_object: ObjectReference {
                api_version: Some("v1".into()),
                kind: Some("Pod".into()),
                namespace: Some(ev.pod.namespace.clone()),
                name: Some(ev.pod.name.clone()),
                uid: Some(ev.pod.uid.clone()).filter(|u| !u.is_empty()),
                ..Default::default()
            },
            reason: Some(ev.reason.as_str().into()),
            message: Some(ev.message.clone()),
            type_: Some(ev.reason.event_type().as_str().into()),
            action: Some(
                match ev.reason {
                    super::Reason::VolumeWarning => "Publish",
                    _ => "Refresh",
                }
                .into(),
            ),
            count: Some(1),
            first_timestamp: Some(Time(now)),
            last_timestamp: Some(Time(now)),
            event_time: Some(MicroTime(now)),
            source: Some(EventSource {
                component: Some(COMPONENT.into()),
                host: Some(self.node.clone()),
            }),
            reporting_component: Some(COMPONENT.into()),
            reporting_instance: Some(self.node.clone()),
            ..Default::default()
        }
    }
}

#[async_trait]
impl EventSink for KubeEventSink {
    fn kind(&self) -> &'static str {
        "kube"
    }

    async fn publish(&self, ev: &VolumeEvent) -> Result<(), String> {
        if ev.pod.namespace.is_empty() || ev.pod.name.is_empty() {
            return Err("the volume's pod is unknown (podInfoOnMount is off)".into());
        }
        let api: Api<Event> = Api::namespaced(self.client.clone(), &ev.pod.namespace);
        let now = Timestamp::now();
        let key: CacheKey = (
            ev.pod.namespace.clone(),
            ev.pod.uid.clone(),
            ev.reason.as_str(),
            ev.key.clone(),
        );
        let seen = self
            .posted
            .lock()
            .expect("event cache poisoned")
            .get(&key)
            .map(|p| (p.name.clone(), p.count));
        if let Some((name, count)) = seen {
            let patch = serde_json::json!({
                "count": count + 1,
                "lastTimestamp": Time(now),
                "message": ev.message,
            });
            match api
                .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
            {
                Ok(_) => {
                    self.remember(key, name, count + 1, now);
                    return Ok(());
                }
                // Expired (the API server keeps Events for an hour): post a new one.
                Err(kube::Error::Api(s)) if s.code == 404 => {}
                Err(e) => return Err(format!("patch event {name}: {e}")),
            }
        }
        let event = self.new_event(ev, now);
        let name = event.metadata.name.clone().unwrap_or_default();
        api.create(&PostParams::default(), &event)
            .await
            .map_err(|e| format!("create event {name}: {e}"))?;
        self.remember(key, name, 1, now);
        Ok(())
    }
}

impl KubeEventSink {
    fn remember(&self, key: CacheKey, name: String, count: i32, last: Timestamp) {
        let mut posted = self.posted.lock().expect("event cache poisoned");
        if posted.len() >= CACHE_ENTRIES && !posted.contains_key(&key) {
            if let Some(oldest) = posted
                .iter()
                .min_by_key(|(_, p)| p.last)
                .map(|(k, _)| k.clone())
            {
                posted.remove(&oldest);
            }
        }
        posted.insert(key, Posted { name, count, last });
    }
}
