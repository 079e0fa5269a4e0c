//! What the driver knows about each live volume beyond its files, kept in memory: its condition
//! (Ready, RefreshFailing, Stale), the last refresh and its result, the next one, the last error
//! and a snapshot of its static fields. Changes of condition become pod events (through
//! [`crate::events::Recorder`]) and a condition line in the log; the whole table is the
//! `/debug/volumes` report. Nothing here holds a token.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use super::{Driver, DriverError, LiveVolume};
use crate::connector::{PodInfo, SourceError};
use crate::events::{Reason, VolumeEvent, EVENTS_TARGET};
use crate::refresh::Retry;
use crate::volume::state::VolumeState;

/// A volume's condition, like a Kubernetes condition type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Condition {
    /// The last refresh (or the publish) succeeded.
    Ready,
    /// Refreshing fails; the last good files stay and the refresh is retried with backoff.
    RefreshFailing,
    /// The connector was deleted or the pod lost access: refresh stopped, files kept until
    /// their token expires.
    Stale,
}

/// One published volume as `/debug/volumes` and `connectors-csi volumes` show it. Static
/// fields come from the volume's state; the others (`live`) only from a running driver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VolumeReport {
    pub volume_id: String,
    pub pod: PodInfo,
    /// `namespace/name` of each connector.
    pub connectors: Vec<String>,
    pub configurations: Vec<String>,
    /// `kubelet`, `driver` or `current` (kept from before).
    pub token_origin: String,
    pub token_expires_at: Option<Timestamp>,
    /// When new bytes were last written.
    pub rendered_at: Option<Timestamp>,
    pub next_refresh: Option<Timestamp>,
    /// Fields only a running driver knows (`None` when read from the state directory alone).
    #[serde(default)]
    pub live: Option<LiveFields>,
}

/// The in-memory part of a [`VolumeReport`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveFields {
    pub condition: Condition,
    pub condition_since: Timestamp,
    pub last_refresh: Option<Timestamp>,
    /// `ok`, `unchanged`, `error` or `stale`.
    pub last_refresh_result: Option<String>,
    pub consecutive_failures: u32,
    /// The last refresh error (an error text; never a token).
    pub last_error: Option<String>,
}

/// The report of a volume from its state file alone.
pub fn report_from_state(st: &VolumeState) -> VolumeReport {
    let ctx: std::collections::HashMap<String, String> =
        st.attributes.clone().into_iter().collect();
    let (connectors, configurations) =
        match crate::csi::request::parse_attributes(&ctx, st.file_mode) {
            Ok(spec) => (
                spec.connectors.iter().map(|k| k.to_string()).collect(),
                spec.render.configurations,
            ),
            Err(_) => (vec![], vec![]),
        };
    VolumeReport {
        volume_id: st.volume_id.clone(),
        pod: st.pod.clone(),
        connectors,
        configurations,
        token_origin: st.token_origin.clone(),
        token_expires_at: st.token.as_ref().map(|t| t.expires_at),
        rendered_at: st.rendered_at,
        next_refresh: st.next_refresh,
        live: None,
    }
}

/// The in-memory health of one volume.
pub(super) struct Health {
    report: VolumeReport,
    live: LiveFields,
}

impl Driver {
    /// Every live volume, sorted by pod then volume id (the `/debug/volumes` body).
    pub fn volume_reports(&self) -> Vec<VolumeReport> {
        let health = self.health.lock().expect("health map poisoned");
        let mut out: Vec<VolumeReport> = health
            .values()
            .map(|h| VolumeReport {
                live: Some(h.live.clone()),
                ..h.report.clone()
            })
            .collect();
        out.sort_by(|a, b| {
            (&a.pod.namespace, &a.pod.name, &a.volume_id).cmp(&(
                &b.pod.namespace,
                &b.pod.name,
                &b.volume_id,
            ))
        });
        out
    }

    /// A volume was published or adopted: Ready, with its static fields (from the volume's
    /// parsed attributes, `spec`, not parsed again).
    pub(super) fn health_published(
        &self,
        state: &VolumeState,
        spec: &crate::csi::request::VolumeSpec,
        adopted: bool,
    ) {
        let now = Timestamp::now();
        let h = Health {
            report: VolumeReport {
                volume_id: state.volume_id.clone(),
                pod: state.pod.clone(),
                connectors: spec.connectors.iter().map(|k| k.to_string()).collect(),
                configurations: spec.render.configurations.clone(),
                token_origin: state.token_origin.clone(),
                token_expires_at: state.token.as_ref().map(|t| t.expires_at),
                rendered_at: state.rendered_at,
                next_refresh: state.next_refresh,
                live: None,
            },
            live: LiveFields {
                condition: Condition::Ready,
                condition_since: now,
                last_refresh: (!adopted).then_some(now),
                last_refresh_result: (!adopted).then(|| "ok".to_string()),
                consecutive_failures: 0,
                last_error: None,
            },
        };
        self.health
            .lock()
            .expect("health map poisoned")
            .insert(state.volume_id.clone(), h);
    }

    /// A first publish succeeded with warnings: one `ConnectorVolumeWarning` event on the pod
    /// naming them all (republish and refresh repeat none).
    pub(super) fn health_warned(&self, live: &LiveVolume, warnings: &[String]) {
        if warnings.is_empty() {
            return;
        }
        let message = format!("mounted with warnings: {}", warnings.join("; "));
        tracing::warn!(target: crate::events::EVENTS_TARGET, volume_id = %live.state.volume_id,
            pod = %format!("{}/{}", live.state.pod.namespace, live.state.pod.name),
            warnings = %warnings.join("; "), "volume mounted with warnings");
        self.events.record(VolumeEvent {
            volume_id: live.state.volume_id.clone(),
            pod: live.state.pod.clone(),
            reason: Reason::VolumeWarning,
            key: message.clone(),
            message,
        });
    }

    pub(super) fn health_forget(&self, volume_id: &str) {
        self.health
            .lock()
            .expect("health map poisoned")
            .remove(volume_id);
        self.events.forget(volume_id);
    }

    /// A refresh or republish wrote (or confirmed) the volume's files.
    pub(super) fn health_refreshed(&self, live: &LiveVolume, swapped: bool) {
        let now = Timestamp::now();
        let recovered = {
            let mut map = self.health.lock().expect("health map poisoned");
            let Some(h) = map.get_mut(&live.state.volume_id) else {
                return;
            };
            let before = h.live.condition;
            // Only what a refresh changes; the attributes (connectors, configurations) are as
            // published, not parsed again.
            h.report.token_origin.clone_from(&live.state.token_origin);
            h.report.token_expires_at = live.state.token.as_ref().map(|t| t.expires_at);
            h.report.rendered_at = live.state.rendered_at;
            h.report.next_refresh = live.state.next_refresh;
            h.live.last_refresh = Some(now);
            h.live.last_refresh_result = Some(if swapped { "ok" } else { "unchanged" }.into());
            h.live.consecutive_failures = 0;
            if before != Condition::Ready {
                h.live.condition = Condition::Ready;
                h.live.condition_since = now;
                h.live.last_error = None;
                Some(before)
            } else {
                None
            }
        };
        if let Some(before) = recovered {
            let expires = secs(live.token.expires_at);
            let message = format!(
                "connector(s) {} usable again: the volume was refreshed and keeps refreshing (it was {}); its token is valid until {expires}",
                connectors(&live.spec.connectors),
                match before {
                    Condition::Stale => "stale",
                    _ => "failing to refresh",
                }
            );
            self.condition_line(live, Condition::Ready, Reason::VolumeRecovered, &message);
            self.events.record(VolumeEvent {
                volume_id: live.state.volume_id.clone(),
                pod: live.state.pod.clone(),
                reason: Reason::VolumeRecovered,
                message,
                key: String::new(),
            });
        }
    }

    /// A refresh failed with a retryable error; the event follows when the scheduler sets the
    /// retry ([`Driver::health_retry`]), so it can name the next attempt.
    pub(super) fn health_failed(&self, live: &LiveVolume, error: &DriverError) {
        let now = Timestamp::now();
        let first = {
            let mut map = self.health.lock().expect("health map poisoned");
            let Some(h) = map.get_mut(&live.state.volume_id) else {
                return;
            };
            h.live.last_refresh = Some(now);
            h.live.last_refresh_result = Some("error".into());
            h.live.consecutive_failures += 1;
            h.live.last_error = Some(error.to_string());
            let first = h.live.condition == Condition::Ready;
            if first {
                h.live.condition = Condition::RefreshFailing;
                h.live.condition_since = now;
            }
            first
        };
        if first {
            let message = format!("refresh failed: {error}; keeping the last good files");
            self.condition_line(
                live,
                Condition::RefreshFailing,
                Reason::RefreshFailed,
                &message,
            );
        }
    }

    /// The scheduler set a retry after a failed refresh: the `ConnectorRefreshFailed` event
    /// with the error and the next attempt's time.
    pub(super) fn health_retry(&self, volume_id: &str, retry: Retry) {
        let ev = {
            let mut map = self.health.lock().expect("health map poisoned");
            let Some(h) = map.get_mut(volume_id) else {
                return;
            };
            h.report.next_refresh = Some(retry.at);
            if h.live.condition != Condition::RefreshFailing {
                return;
            }
            let error = h.live.last_error.clone().unwrap_or_default();
            VolumeEvent {
                volume_id: volume_id.to_string(),
                pod: h.report.pod.clone(),
                reason: Reason::RefreshFailed,
                message: format!(
                    "refresh failed: {error}; keeping the last good files; next retry at {} (failure {} in a row)",
                    secs(retry.at),
                    retry.failures
                ),
                key: error,
            }
        };
        self.events.record(ev);
    }

    /// The connector is gone or access was revoked: refresh stops.
    pub(super) fn health_stale(&self, live: &LiveVolume, error: &SourceError) {
        let now = Timestamp::now();
        let changed = {
            let mut map = self.health.lock().expect("health map poisoned");
            let Some(h) = map.get_mut(&live.state.volume_id) else {
                return;
            };
            h.live.last_refresh = Some(now);
            h.live.last_refresh_result = Some("stale".into());
            h.live.last_error = Some(error.to_string());
            h.report.next_refresh = None;
            let changed = h.live.condition != Condition::Stale;
            if changed {
                h.live.condition = Condition::Stale;
                h.live.condition_since = now;
            }
            changed
        };
        if !changed {
            return;
        }
        let expires = live.direct.as_ref().map_or(live.token.expires_at, |d| {
            d.token.expires_at.min(live.token.expires_at)
        });
        let (what, fix) = match error {
            SourceError::NotFound { .. } => (
                format!("{error} (deleted)"),
                "recreate the Connector to resume",
            ),
            _ => (
                format!("access revoked: {error}"),
                "grant the pod's ServiceAccount get on the Connector again to resume (picked up at kubelet's next republish)",
            ),
        };
        let expires = secs(expires);
        let message = format!(
            "{what}. Refresh stopped: the files stay as they are and their token expires at {expires}; after that, requests through the connectors proxy fail with 401. To fix: {fix}"
        );
        self.condition_line(live, Condition::Stale, Reason::VolumeStale, &message);
        self.events.record(VolumeEvent {
            volume_id: live.state.volume_id.clone(),
            pod: live.state.pod.clone(),
            reason: Reason::VolumeStale,
            key: error.to_string(),
            message,
        });
    }

    /// The condition-like summary line of a volume whose condition changed.
    fn condition_line(
        &self,
        live: &LiveVolume,
        condition: Condition,
        reason: Reason,
        message: &str,
    ) {
        let pod = format!("{}/{}", live.state.pod.namespace, live.state.pod.name);
        let condition = format!("{condition:?}");
        let volume_id = &live.state.volume_id;
        if reason == Reason::VolumeRecovered {
            info!(target: EVENTS_TARGET, %volume_id, %pod, %condition, reason = reason.as_str(), note = message, "volume condition changed");
        } else {
            warn!(target: EVENTS_TARGET, %volume_id, %pod, %condition, reason = reason.as_str(), note = message, "volume condition changed");
        }
    }
}

fn connectors(keys: &[crate::connector::ObjectKey]) -> String {
    keys.iter()
        .map(|k| k.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A time in messages: whole seconds.
fn secs(t: Timestamp) -> Timestamp {
    t.round(jiff::Unit::Second).unwrap_or(t)
}
