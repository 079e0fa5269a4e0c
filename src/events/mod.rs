//! Events about a volume after its mount (mounted with warnings, refresh failed, went stale,
//! recovered), addressed to the pod that uses it: the [`EventSink`] trait with a log and a Kubernetes implementation, and
//! the [`Recorder`] in front of them that limits how often one volume may emit.
//!
//! The driver decides *what* happened (see `driver/health.rs`); this layer decides *how often*
//! it is told and *where*. Messages are built by the driver from error texts that never hold a
//! token or a secret value.

pub mod kube;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::mpsc;
// The tokio clock (the std clock in production; pausable in tests).
use tokio::time::Instant;
use tracing::{info, warn};

use crate::connector::PodInfo;

/// `tracing` target of event lines (the log sink and the condition summary).
pub const EVENTS_TARGET: &str = "connectors_csi::events";

/// Severity, as Kubernetes Events know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    Normal,
    Warning,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Normal => "Normal",
            EventType::Warning => "Warning",
        }
    }
}

/// Why an event is emitted (the Event's `reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// A refresh failed; the last good files stay and the refresh is retried with backoff.
    RefreshFailed,
    /// The connector was deleted or the pod lost access: refresh stopped, files kept until
    /// their token expires.
    VolumeStale,
    /// A failing or stale volume was refreshed again.
    VolumeRecovered,
    /// The volume was mounted, but not quite as its attributes asked: ignored attributes,
    /// skipped configurations, a token lifetime that cannot be honoured, files left out.
    VolumeWarning,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::RefreshFailed => "ConnectorRefreshFailed",
            Reason::VolumeStale => "ConnectorVolumeStale",
            Reason::VolumeRecovered => "ConnectorVolumeRecovered",
            Reason::VolumeWarning => "ConnectorVolumeWarning",
        }
    }

    pub fn event_type(self) -> EventType {
        match self {
            Reason::VolumeRecovered => EventType::Normal,
            _ => EventType::Warning,
        }
    }
}

/// One event about a volume, for its pod.
#[derive(Debug, Clone, PartialEq)]
pub struct VolumeEvent {
    pub volume_id: String,
    pub pod: PodInfo,
    pub reason: Reason,
    /// Human-readable, at most [`MAX_MESSAGE`] bytes; never holds a token or secret.
    pub message: String,
    /// The part of the message that identifies "the same event" (the cause, without times
    /// that change on every repetition). Equal (pod, reason, key) aggregate into one Event
    /// whose count is bumped and whose message is replaced by the latest.
    pub key: String,
}

/// Kubernetes caps an Event's message at 1 KiB in practice; longer ones are cut.
pub const MAX_MESSAGE: usize = 1024;

/// Where events go.
#[async_trait]
pub trait EventSink: Send + Sync + 'static {
    /// `log` or `kube`.
    fn kind(&self) -> &'static str;
    /// Delivers one event (after rate limiting). Errors are logged by the caller and dropped:
    /// events never affect a volume.
    async fn publish(&self, ev: &VolumeEvent) -> Result<(), String>;
}

/// Events as structured log lines (the directory source: no cluster to post to).
#[derive(Debug, Default)]
pub struct LogSink;

#[async_trait]
impl EventSink for LogSink {
    fn kind(&self) -> &'static str {
        "log"
    }

    async fn publish(&self, ev: &VolumeEvent) -> Result<(), String> {
        let pod = format!("{}/{}", ev.pod.namespace, ev.pod.name);
        match ev.reason.event_type() {
            EventType::Normal => {
                info!(target: EVENTS_TARGET, reason = ev.reason.as_str(), event_type = "Normal",
                pod = %pod, pod_uid = %ev.pod.uid, volume_id = %ev.volume_id, note = %ev.message, "pod event")
            }
            EventType::Warning => {
                warn!(target: EVENTS_TARGET, reason = ev.reason.as_str(), event_type = "Warning",
                pod = %pod, pod_uid = %ev.pod.uid, volume_id = %ev.volume_id, note = %ev.message, "pod event")
            }
        }
        Ok(())
    }
}

/// First gap between two events of one volume; doubles with each event up to [`LIMIT_CAP`]
/// (the refresh backoff's schedule), so a volume emits at most one event per backoff step.
pub const LIMIT_START: Duration = Duration::from_secs(1);
/// Longest gap between two events of one volume.
pub const LIMIT_CAP: Duration = Duration::from_secs(300);
/// A volume quiet for this long starts again at [`LIMIT_START`].
pub const LIMIT_RESET: Duration = Duration::from_secs(600);

/// Per-volume limiter state.
#[derive(Default)]
struct Limit {
    /// Events sent since the last reset (sets the next gap).
    step: u32,
    last_sent: Option<Instant>,
    /// An event held back until the gap ends; a newer one replaces it (the latest wins).
    pending: Option<VolumeEvent>,
}

impl Limit {
    fn gap(&self) -> Duration {
        if self.step == 0 {
            return Duration::ZERO;
        }
        LIMIT_START
            .saturating_mul(1u32 << (self.step - 1).min(16))
            .min(LIMIT_CAP)
    }
}

/// Rate limiter and delivery queue in front of an [`EventSink`]: at most one event per volume
/// per step (1 s, 2 s, 4 s … 5 min, reset after 10 quiet minutes); an event arriving within the
/// gap is held and the latest held one is sent when the gap ends. Delivery is sequential on one
/// task, so a create is never overtaken by the patch that bumps its count.
pub struct Recorder {
    sink: Arc<dyn EventSink>,
    limits: Arc<Mutex<HashMap<String, Limit>>>,
    tx: mpsc::Sender<VolumeEvent>,
}

/// Events waiting for delivery beyond this are dropped (with a log line): a stuck API server
/// must not grow the driver's memory.
const QUEUE: usize = 1024;

impl Recorder {
    /// Starts the delivery task (needs a tokio runtime).
    pub fn start(sink: Arc<dyn EventSink>) -> Recorder {
        let (tx, mut rx) = mpsc::channel::<VolumeEvent>(QUEUE);
        let s = sink.clone();
        tokio::spawn(async move {
            while let Some(ev) = rx.recv().await {
                if let Err(e) = s.publish(&ev).await {
                    warn!(sink = s.kind(), reason = ev.reason.as_str(), volume_id = %ev.volume_id,
                          error = %e, "could not record a pod event");
                }
            }
        });
        Recorder {
            sink,
            limits: Arc::default(),
            tx,
        }
    }

    pub fn sink_kind(&self) -> &'static str {
        self.sink.kind()
    }

    /// Records `ev`, now or when the volume's gap ends.
    pub fn record(&self, mut ev: VolumeEvent) {
        truncate(&mut ev.message);
        let now = Instant::now();
        let mut limits = self.limits.lock().expect("event limits poisoned");
        let l = limits.entry(ev.volume_id.clone()).or_default();
        if l.last_sent
            .is_some_and(|t| now.duration_since(t) >= LIMIT_RESET)
        {
            l.step = 0;
        }
        let due = l.last_sent.map_or(now, |t| t + l.gap());
        if due <= now && l.pending.is_none() {
            l.step = l.step.saturating_add(1);
            l.last_sent = Some(now);
            drop(limits);
            self.send(ev);
            return;
        }
        let armed = l.pending.is_some();
        l.pending = Some(ev.clone());
        if armed {
            return;
        }
        let id = ev.volume_id;
        let limits = self.limits.clone();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            tokio::time::sleep_until(due).await;
            let ev = {
                let mut limits = limits.lock().expect("event limits poisoned");
                let Some(l) = limits.get_mut(&id) else { return };
                let Some(ev) = l.pending.take() else { return };
                l.step = l.step.saturating_add(1);
                l.last_sent = Some(Instant::now());
                ev
            };
            enqueue(&tx, ev);
        });
    }

    /// Forgets a volume (unpublished): its gap and any held event.
    pub fn forget(&self, volume_id: &str) {
        self.limits
            .lock()
            .expect("event limits poisoned")
            .remove(volume_id);
    }

    fn send(&self, ev: VolumeEvent) {
        enqueue(&self.tx, ev);
    }
}

fn enqueue(tx: &mpsc::Sender<VolumeEvent>, ev: VolumeEvent) {
    if let Err(mpsc::error::TrySendError::Full(ev)) = tx.try_send(ev) {
        warn!(reason = ev.reason.as_str(), volume_id = %ev.volume_id, "pod event dropped: the event queue is full");
    }
}

fn truncate(s: &mut String) {
    if s.len() > MAX_MESSAGE {
        let mut cut = MAX_MESSAGE - 3;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push_str("...");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Collect(Mutex<Vec<(Instant, VolumeEvent)>>);

    #[async_trait]
    impl EventSink for Collect {
        fn kind(&self) -> &'static str {
            "test"
        }
        async fn publish(&self, ev: &VolumeEvent) -> Result<(), String> {
            self.0.lock().unwrap().push((Instant::now(), ev.clone()));
            Ok(())
        }
    }

    fn ev(vol: &str, reason: Reason, msg: &str) -> VolumeEvent {
        VolumeEvent {
            volume_id: vol.into(),
            pod: PodInfo::default(),
            reason,
            message: msg.into(),
            key: msg.into(),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn one_event_per_volume_per_step_and_the_latest_held_one_is_sent() {
        let sink = Arc::new(Collect::default());
        let r = Recorder::start(sink.clone());
        let t0 = Instant::now();
        // A flapping connector: 40 transitions within 26 s on one volume, one on another.
        for i in 0..40 {
            let reason = if i % 2 == 0 {
                Reason::VolumeStale
            } else {
                Reason::VolumeRecovered
            };
            r.record(ev("v1", reason, &format!("flap {i}")));
            tokio::time::sleep(Duration::from_millis(650)).await;
        }
        r.record(ev("v2", Reason::RefreshFailed, "other volume"));
        tokio::time::sleep(Duration::from_secs(60)).await;
        let got = sink.0.lock().unwrap().clone();
        let v1: Vec<_> = got.iter().filter(|(_, e)| e.volume_id == "v1").collect();
        // Sent at 0, 1, 3, 7, 15 and (the held last one) 31 s: steps 1, 2, 4, 8, 16 s.
        let at: Vec<u64> = v1.iter().map(|(t, _)| (*t - t0).as_secs()).collect();
        assert_eq!(at, vec![0, 1, 3, 7, 15, 31], "{v1:?}");
        assert_eq!(
            v1.last().unwrap().1.message,
            "flap 39",
            "the final state is reported"
        );
        assert_eq!(
            got.iter().filter(|(_, e)| e.volume_id == "v2").count(),
            1,
            "volumes are limited independently"
        );
        // After a quiet period the gap starts small again.
        tokio::time::sleep(LIMIT_RESET).await;
        let before = sink.0.lock().unwrap().len();
        r.record(ev("v1", Reason::RefreshFailed, "a"));
        tokio::time::sleep(Duration::from_millis(1100)).await;
        r.record(ev("v1", Reason::RefreshFailed, "b"));
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(sink.0.lock().unwrap().len(), before + 2);
    }

    #[test]
    fn long_messages_are_cut_on_a_char_boundary() {
        let mut s = "é".repeat(MAX_MESSAGE);
        truncate(&mut s);
        assert!(s.len() <= MAX_MESSAGE && s.ends_with("..."));
    }
}
