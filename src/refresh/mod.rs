//! The refresh scheduler: one task and one delay queue for all volumes, knowing nothing of
//! what a refresh does.
//!
//! Each volume has at most one pending entry. When an entry is due the scheduler calls the
//! refresh function it was started with (the driver passes one that refreshes the volume) and
//! acts on the [`RefreshOutcome`]: the owner schedules the next run itself after a success
//! (at ~80 % of the token lifetime plus jitter, see [`next_refresh`]); a failure retries with
//! exponential backoff (1 s doubling to a 5 min cap, with jitter). Every attempt has a timeout,
//! and the existing files are kept on any failure.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use jiff::Timestamp;
use rand::Rng;
use tokio::sync::mpsc;
use tokio_util::time::{delay_queue, DelayQueue};
use tracing::warn;

use crate::token::Token;

#[cfg(test)]
mod tests;

/// Result of one refresh attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// Refreshed (or nothing changed); the owner scheduled the next run itself.
    Done,
    /// Failed; retry with backoff.
    Failed,
    /// Connector gone or access revoked; stop until a change event revives it.
    Stale,
    /// The volume is no longer published.
    Gone,
}

/// Upper bound of one refresh attempt (a hung API call must not stall a volume forever).
pub const REFRESH_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);

/// First retry delay after a failure.
pub const BACKOFF_START: Duration = Duration::from_secs(1);
/// Longest retry delay.
pub const BACKOFF_CAP: Duration = Duration::from_secs(300);

/// Backoff for the `n`th consecutive failure (n ≥ 1): 1 s · 2^(n-1), capped, with ±20 % jitter.
pub fn backoff(n: u32) -> Duration {
    let base = BACKOFF_START
        .saturating_mul(1u32 << n.saturating_sub(1).min(16))
        .min(BACKOFF_CAP);
    let jitter = rand::rng().random_range(0.8..1.2);
    base.mul_f64(jitter).min(BACKOFF_CAP)
}

/// When a volume holding `token` is refreshed next: 80 % of the token lifetime plus
/// 0–`jitter` (10 s by default), at most 24 h from now.
pub fn next_refresh(token: &Token, jitter: Duration) -> Timestamp {
    let max_ms = jitter.as_millis().min(u64::MAX as u128) as u64;
    let jitter = jiff::SignedDuration::from_millis(if max_ms == 0 {
        0
    } else {
        rand::rng().random_range(0..max_ms) as i64
    });
    let at = token.refresh_at() + jitter;
    let cap = Timestamp::now() + jiff::SignedDuration::from_hours(24);
    at.min(cap)
}

/// Runs one refresh of the volume with the given id, or answers `None` when its owner is gone
/// (the scheduler then stops).
type RefreshFn = Arc<dyn Fn(String) -> Option<BoxFuture<'static, RefreshOutcome>> + Send + Sync>;

/// A retry the scheduler set after a failed refresh (told to the owner's observer).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Retry {
    /// Consecutive failures so far (the backoff step).
    pub failures: u32,
    pub delay: Duration,
    /// When the next attempt starts.
    pub at: Timestamp,
}

/// Told about each retry the scheduler sets; must not block (it runs on the scheduler task).
type RetryObserver = Arc<dyn Fn(&str, Retry) + Send + Sync>;

enum Command {
    Schedule(String, Timestamp),
    Trigger(String),
    Cancel(String),
    Finished(String, RefreshOutcome),
}

/// What to do once a running refresh finishes.
#[derive(Default)]
struct Pending {
    /// A change arrived during the refresh: run again right away.
    again: bool,
    /// The refresh (or a publish) asked for this next run time.
    next: Option<Timestamp>,
}

/// Handle to the scheduler task.
#[derive(Clone)]
pub struct Scheduler {
    tx: mpsc::UnboundedSender<Command>,
}

impl Scheduler {
    /// Starts the scheduler task. Due volumes are handed to `refresh`, concurrently across
    /// volumes and never twice at once for one volume; the task stops when `refresh` answers
    /// `None` (its owner is gone) or every handle is dropped.
    pub fn start<F, Fut>(refresh: F) -> Self
    where
        F: Fn(String) -> Option<Fut> + Send + Sync + 'static,
        Fut: Future<Output = RefreshOutcome> + Send + 'static,
    {
        Self::start_observed(refresh, |_: &str, _: Retry| {})
    }

    /// [`Scheduler::start`], and `on_retry` is told about every retry set after a failure
    /// (the volume, its backoff step and when it runs next).
    pub fn start_observed<F, Fut, O>(refresh: F, on_retry: O) -> Self
    where
        F: Fn(String) -> Option<Fut> + Send + Sync + 'static,
        Fut: Future<Output = RefreshOutcome> + Send + 'static,
        O: Fn(&str, Retry) + Send + Sync + 'static,
    {
        let refresh: RefreshFn = Arc::new(move |id| refresh(id).map(FutureExt::boxed));
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(refresh, Arc::new(on_retry), rx, tx.downgrade()));
        Scheduler { tx }
    }

    /// (Re)schedules `volume_id` at `at` (replacing any pending entry).
    pub fn schedule(&self, volume_id: &str, at: Timestamp) {
        let _ = self.tx.send(Command::Schedule(volume_id.to_string(), at));
    }

    /// Refreshes `volume_id` as soon as possible; if a refresh is running, once more after it.
    pub fn trigger(&self, volume_id: &str) {
        let _ = self.tx.send(Command::Trigger(volume_id.to_string()));
    }

    /// Forgets `volume_id`: its pending entry, failure count and any rerun of a running refresh.
    pub fn cancel(&self, volume_id: &str) {
        let _ = self.tx.send(Command::Cancel(volume_id.to_string()));
    }
}

async fn run(
    refresh: RefreshFn,
    on_retry: RetryObserver,
    mut rx: mpsc::UnboundedReceiver<Command>,
    tx: mpsc::WeakUnboundedSender<Command>,
) {
    let mut queue: DelayQueue<String> = DelayQueue::new();
    let mut keys: HashMap<String, delay_queue::Key> = HashMap::new();
    let mut failures: HashMap<String, u32> = HashMap::new();
    // Volumes being refreshed, with what to do afterwards.
    let mut running: HashMap<String, Pending> = HashMap::new();
    loop {
        tokio::select! {
            cmd = rx.recv() => {
                let Some(cmd) = cmd else { return };
                match cmd {
                    Command::Trigger(id) => {
                        if let Some(pending) = running.get_mut(&id) {
                            pending.again = true;
                            continue;
                        }
                        set_delay(&mut queue, &mut keys, id, Duration::ZERO);
                    }
                    Command::Schedule(id, at) => {
                        if let Some(pending) = running.get_mut(&id) {
                            // A refresh is in flight; remember the newest schedule for afterwards.
                            pending.next = Some(at);
                            continue;
                        }
                        set_delay(&mut queue, &mut keys, id, delay_until(at));
                    }
                    Command::Cancel(id) => {
                        if let Some(k) = keys.remove(&id) { queue.remove(&k); }
                        failures.remove(&id);
                        running.remove(&id);
                    }
                    Command::Finished(id, outcome) => {
                        let Some(pending) = running.remove(&id) else { continue };
                        match outcome {
                            RefreshOutcome::Done => {
                                failures.remove(&id);
                                // Applied here, not re-sent through the channel: a trigger
                                // queued meanwhile must not be overtaken by this schedule.
                                if pending.again {
                                    set_delay(&mut queue, &mut keys, id, Duration::ZERO);
                                } else if let Some(at) = pending.next {
                                    set_delay(&mut queue, &mut keys, id, delay_until(at));
                                }
                            }
                            RefreshOutcome::Failed => {
                                let n = failures.entry(id.clone()).or_insert(0);
                                *n += 1;
                                let failures = *n;
                                let delay = backoff(failures);
                                let at = Timestamp::now()
                                    + jiff::SignedDuration::try_from(delay).unwrap_or_default();
                                on_retry(&id, Retry { failures, delay, at });
                                set_delay(&mut queue, &mut keys, id, delay);
                            }
                            RefreshOutcome::Stale | RefreshOutcome::Gone => {
                                failures.remove(&id);
                                if pending.again && outcome == RefreshOutcome::Stale {
                                    set_delay(&mut queue, &mut keys, id, Duration::ZERO);
                                }
                            }
                        }
                    }
                }
            }
            Some(expired) = queue.next(), if !queue.is_empty() => {
                let id = expired.into_inner();
                keys.remove(&id);
                let Some(attempt) = refresh(id.clone()) else { return };
                let Some(tx) = tx.upgrade() else { return };
                running.insert(id.clone(), Pending::default());
                tokio::spawn(async move {
                    let outcome = match tokio::time::timeout(REFRESH_ATTEMPT_TIMEOUT, attempt).await {
                        Ok(o) => o,
                        Err(_) => {
                            warn!(volume_id = %id, "refresh attempt timed out");
                            RefreshOutcome::Failed
                        }
                    };
                    let _ = tx.send(Command::Finished(id, outcome));
                });
            }
        }
    }
}

fn delay_until(at: Timestamp) -> Duration {
    at.duration_since(Timestamp::now())
        .try_into()
        .unwrap_or(Duration::ZERO)
}

/// Inserts `id` with `delay`, or moves its pending entry to `delay`.
fn set_delay(
    queue: &mut DelayQueue<String>,
    keys: &mut HashMap<String, delay_queue::Key>,
    id: String,
    delay: Duration,
) {
    match keys.get(&id) {
        Some(k) => queue.reset(k, delay),
        None => {
            let k = queue.insert(id.clone(), delay);
            keys.insert(id, k);
        }
    }
}
