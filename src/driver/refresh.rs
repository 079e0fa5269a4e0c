//! Keeping volumes fresh: the scheduled or event-driven refresh of one volume and the listener
//! that turns source events into refreshes of the volumes rendered from the changed objects.

use std::sync::Arc;
use std::time::Instant;

use tracing::warn;

use super::{Driver, DriverError, LiveVolume, Slot};
use crate::connector::{SourceError, SourceEvent};
use crate::refresh::RefreshOutcome;

impl Driver {
    /// Scheduled or event-driven refresh of one volume.
    pub async fn refresh(&self, volume_id: &str) -> RefreshOutcome {
        let Some(slot) = self.existing_slot(volume_id) else {
            return RefreshOutcome::Gone;
        };
        let mut guard = slot.live.lock().await;
        let Some(live) = guard.as_mut() else {
            return RefreshOutcome::Gone;
        };
        if live.stale {
            return RefreshOutcome::Stale;
        }
        let started = Instant::now();
        let result = async {
            let current = self.current_token(live)?;
            let prepared = self
                .prepare(live.spec(), None, Some(&current), live.direct.as_deref())
                .await?;
            self.apply(live, prepared)
        }
        .await;
        self.metrics
            .refresh_seconds
            .observe(started.elapsed().as_secs_f64());
        match result {
            Ok(swapped) => {
                let seen = self
                    .changes
                    .lock()
                    .expect("change map poisoned")
                    .remove(volume_id);
                if let Some(seen) = seen {
                    self.metrics
                        .rotation_latency_seconds
                        .observe(seen.elapsed().as_secs_f64());
                }
                self.metrics
                    .refresh(if swapped { "ok" } else { "unchanged" });
                RefreshOutcome::Done
            }
            Err(DriverError::Source(
                e @ (SourceError::NotFound { .. } | SourceError::PermissionDenied(_)),
            )) => {
                self.mark_stale(live, &e);
                RefreshOutcome::Stale
            }
            Err(e) => {
                self.metrics.refresh("error");
                warn!(volume_id, error = %e, "refresh failed; keeping the last good files");
                self.health_failed(live, &e);
                RefreshOutcome::Failed
            }
        }
    }

    /// Stops refreshing a volume whose connector is gone or whose pod lost access to it.
    pub(super) fn mark_stale(&self, live: &mut LiveVolume, e: &SourceError) {
        live.stale = true;
        self.metrics.refresh("stale");
        self.metrics
            .stale_volumes_total
            .get_or_create(&crate::metrics::ReasonLabel {
                reason: crate::metrics::STALE_REASON.into(),
            })
            .inc();
        warn!(volume_id = %live.volume_id(), error = %e, "connector deleted or access revoked: refresh stopped; the last files stay until their token expires");
        self.health_stale(live, e);
    }

    /// Schedules an immediate refresh of every volume rendered from the changed object. Refreshes
    /// run on the scheduler, concurrently across volumes.
    pub(super) async fn on_source_event(&self, ev: &SourceEvent) {
        let seen = Instant::now();
        let slots: Vec<(String, Slot)> = self
            .volumes
            .lock()
            .expect("volume map poisoned")
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (id, slot) in slots {
            let affected = match slot.live.try_lock() {
                Ok(mut guard) => match guard.as_mut() {
                    Some(live) => {
                        // A stale volume whose connector reappears gets another chance.
                        let revive = live.stale
                            && live
                                .spec()
                                .connectors
                                .iter()
                                .any(|k| matches!(ev, SourceEvent::Connector(c) if c == k));
                        if revive {
                            live.stale = false;
                        }
                        live.deps.matches(ev) || revive
                    }
                    None => false,
                },
                // Busy (a publish or refresh is running): refresh again afterwards to be safe.
                Err(_) => true,
            };
            if affected {
                self.changes
                    .lock()
                    .expect("change map poisoned")
                    .entry(id.clone())
                    .or_insert(seen);
                self.scheduler.trigger(&id);
            }
        }
    }
}

/// Listens to the source's change events for as long as the driver lives.
pub(super) fn spawn_event_listener(driver: &Arc<Driver>) {
    let weak = Arc::downgrade(driver);
    let mut events = driver.source.subscribe();
    tokio::spawn(async move {
        loop {
            let ev = match events.recv().await {
                Ok(ev) => ev,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    warn!(
                        missed = n,
                        "source events lagged; re-rendering every volume"
                    );
                    SourceEvent::All
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            };
            let Some(d) = weak.upgrade() else { return };
            d.on_source_event(&ev).await;
        }
    });
}
