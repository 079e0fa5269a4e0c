//! What the driver knows about each live volume beyond its files, kept in memory: its condition
//! (Ready, RefreshFailing, Stale), the last refresh and its result, the next one, the last error
//! and a snapshot of its static fields. Changes of condition become pod events (through
//! [`crate::events::Recorder`]) and a condition line in the log; the whole table is the
//! `/debug/volumes` report. Nothing here holds a token.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use std::sync::Arc;

use super::{Driver, DriverError, LiveVolume, Slot, VolumeInfo};
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

/// The in-memory health of one volume, kept in its slot. The static fields of its report come
/// from the volume's shared [`VolumeInfo`].
pub(super) struct Health {
    info: Arc<VolumeInfo>,
    token_origin: &'static str,
    token_expires_at: Option<Timestamp>,
    rendered_at: Option<Timestamp>,
    next_refresh: Option<Timestamp>,
    condition: Condition,
    condition_since: Timestamp,
    last_refresh: Option<Timestamp>,
    /// `ok`, `unchanged`, `error` or `stale`.
    last_result: Option<&'static str>,
    consecutive_failures: u32,
    last_error: Option<String>,
}

impl Health {
    fn report(&self) -> VolumeReport {
        let spec = &self.info.spec;
        VolumeReport {
            volume_id: self.info.volume_id.clone(),
            pod: spec.pod.clone(),
            connectors: spec.connectors.iter().map(|k| k.to_string()).collect(),
            configurations: spec.render.configurations.clone(),
            token_origin: self.token_origin.to_string(),
            token_expires_at: self.token_expires_at,
            rendered_at: self.rendered_at,
            next_refresh: self.next_refresh,
            live: Some(LiveFields {
                condition: self.condition,
                condition_since: self.condition_since,
                last_refresh: self.last_refresh,
                last_refresh_result: self.last_result.map(str::to_string),
                consecutive_failures: self.consecutive_failures,
                last_error: self.last_error.clone(),
            }),
        }
    }
}

impl Driver {
    /// Every live volume, sorted by pod then volume id (the `/debug/volumes` body).
    pub fn volume_reports(&self) -> Vec<VolumeReport> {
        let mut out: Vec<VolumeReport> = {
            let volumes = self.volumes.lock().expect("volume map poisoned");
            volumes
                .values()
                .filter_map(|slot| {
                    let h = slot.health.lock().expect("health poisoned");
                    h.as_ref().map(Health::report)
                })
                .collect()
        };
        out.sort_by(|a, b| {
            (&a.pod.namespace, &a.pod.name, &a.volume_id).cmp(&(
                &b.pod.namespace,
                &b.pod.name,
                &b.volume_id,
            ))
        });
        out
    }

    /// Runs `f` on the health of a live volume (`None`: the volume is gone).
    fn with_health<R>(&self, volume_id: &str, f: impl FnOnce(&mut Health) -> R) -> Option<R> {
        let slot = self.existing_slot(volume_id)?;
        let mut h = slot.health.lock().expect("health poisoned");
        h.as_mut().map(f)
    }

    /// A volume was published or adopted: Ready, with its static fields (from the volume's
    /// parsed attributes, not parsed again).
    pub(super) fn health_published(&self, slot: &Slot, live: &LiveVolume, adopted: bool) {
        let now = Timestamp::now();
        let h = Health {
            info: live.info.clone(),
            token_origin: live.token_origin,
            token_expires_at: live.has_token().then_some(live.token.expires_at),
            rendered_at: live.rendered_at,
            next_refresh: live.next_refresh,
            condition: Condition::Ready,
            condition_since: now,
            last_refresh: (!adopted).then_some(now),
            last_result: (!adopted).then_some("ok"),
            consecutive_failures: 0,
            last_error: None,
        };
        *slot.health.lock().expect("health poisoned") = Some(h);
    }

    /// A first publish succeeded with warnings: one `ConnectorVolumeWarning` event on the pod
    /// naming them all (republish and refresh repeat none).
    pub(super) fn health_warned(&self, live: &LiveVolume, warnings: &[String]) {
        if warnings.is_empty() {
            return;
        }
        let message = format!("mounted with warnings: {}", warnings.join("; "));
        tracing::warn!(target: crate::events::EVENTS_TARGET, volume_id = %live.volume_id(),
            pod = %format!("{}/{}", live.pod().namespace, live.pod().name),
            warnings = %warnings.join("; "), "volume mounted with warnings");
        self.events.record(VolumeEvent {
            volume_id: live.volume_id().to_string(),
            pod: live.pod().clone(),
            reason: Reason::VolumeWarning,
            key: message.clone(),
            message,
        });
    }

    /// A refresh or republish wrote (or confirmed) the volume's files.
    pub(super) fn health_refreshed(&self, live: &LiveVolume, swapped: bool) {
        let now = Timestamp::now();
        let recovered = self.with_health(live.volume_id(), |h| {
            let before = h.condition;
            // Only what a refresh changes; the attributes (connectors, configurations) are as
            // published, not parsed again.
            h.token_origin = live.token_origin;
            h.token_expires_at = Some(live.token.expires_at);
            h.rendered_at = live.rendered_at;
            h.next_refresh = live.next_refresh;
            h.last_refresh = Some(now);
            h.last_result = Some(if swapped { "ok" } else { "unchanged" });
            h.consecutive_failures = 0;
            if before != Condition::Ready {
                h.condition = Condition::Ready;
                h.condition_since = now;
                h.last_error = None;
                Some(before)
            } else {
                None
            }
        });
        if let Some(Some(before)) = recovered {
            let expires = secs(live.token.expires_at);
            let message = format!(
                "connector(s) {} usable again: the volume was refreshed and keeps refreshing (it was {}); its token is valid until {expires}",
                connectors(&live.spec().connectors),
                match before {
                    Condition::Stale => "stale",
                    _ => "failing to refresh",
                }
            );
            self.condition_line(live, Condition::Ready, Reason::VolumeRecovered, &message);
            self.events.record(VolumeEvent {
                volume_id: live.volume_id().to_string(),
                pod: live.pod().clone(),
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
        let first = self
            .with_health(live.volume_id(), |h| {
                h.last_refresh = Some(now);
                h.last_result = Some("error");
                h.consecutive_failures += 1;
                h.last_error = Some(error.to_string());
                let first = h.condition == Condition::Ready;
                if first {
                    h.condition = Condition::RefreshFailing;
                    h.condition_since = now;
                }
                first
            })
            .unwrap_or(false);
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
        let ev = self.with_health(volume_id, |h| {
            h.next_refresh = Some(retry.at);
            if h.condition != Condition::RefreshFailing {
                return None;
            }
            let error = h.last_error.clone().unwrap_or_default();
            Some(VolumeEvent {
                volume_id: volume_id.to_string(),
                pod: h.info.spec.pod.clone(),
                reason: Reason::RefreshFailed,
                message: format!(
                    "refresh failed: {error}; keeping the last good files; next retry at {} (failure {} in a row)",
                    secs(retry.at),
                    retry.failures
                ),
                key: error,
            })
        });
        let Some(Some(ev)) = ev else {
            return;
        };
        self.events.record(ev);
    }

    /// The connector is gone or access was revoked: refresh stops.
    pub(super) fn health_stale(&self, live: &LiveVolume, error: &SourceError) {
        let now = Timestamp::now();
        let changed = self
            .with_health(live.volume_id(), |h| {
                h.last_refresh = Some(now);
                h.last_result = Some("stale");
                h.last_error = Some(error.to_string());
                h.next_refresh = None;
                let changed = h.condition != Condition::Stale;
                if changed {
                    h.condition = Condition::Stale;
                    h.condition_since = now;
                }
                changed
            })
            .unwrap_or(false);
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
            volume_id: live.volume_id().to_string(),
            pod: live.pod().clone(),
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
        let pod = format!("{}/{}", live.pod().namespace, live.pod().name);
        let condition = format!("{condition:?}");
        let volume_id = live.volume_id();
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
