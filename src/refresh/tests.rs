//! Unit tests of the refresh scheduler on a paused tokio clock: a scripted refresh function
//! records each call and waits for the test to pick its outcome.

use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::oneshot;
use tokio::time::Instant;

use super::*;

/// One refresh call: the volume, when it started, and where to send its outcome (dropping the
/// sender counts as `Done`).
struct Call {
    id: String,
    at: Instant,
    done: oneshot::Sender<RefreshOutcome>,
}

impl Call {
    fn finish(self, outcome: RefreshOutcome) -> Instant {
        let _ = self.done.send(outcome);
        Instant::now()
    }
}

struct Harness {
    scheduler: Scheduler,
    calls: mpsc::UnboundedReceiver<Call>,
    /// When set, the refresh function answers `None` (its owner is gone).
    gone: Arc<AtomicBool>,
}

fn harness() -> Harness {
    let (tx, calls) = mpsc::unbounded_channel();
    let gone = Arc::new(AtomicBool::new(false));
    let g = gone.clone();
    let scheduler = Scheduler::start(move |id: String| {
        if g.load(Ordering::SeqCst) {
            return None;
        }
        let tx = tx.clone();
        Some(async move {
            let (done, outcome) = oneshot::channel();
            let _ = tx.send(Call {
                id,
                at: Instant::now(),
                done,
            });
            outcome.await.unwrap_or(RefreshOutcome::Done)
        })
    });
    Harness {
        scheduler,
        calls,
        gone,
    }
}

impl Harness {
    /// The next refresh call (panics when none comes within a simulated day).
    async fn next(&mut self) -> Call {
        tokio::time::timeout(Duration::from_secs(86_400), self.calls.recv())
            .await
            .expect("no refresh within a day")
            .expect("scheduler gone")
    }

    /// Asserts that no refresh starts within `d`.
    async fn none_within(&mut self, d: Duration) {
        if let Ok(Some(c)) = tokio::time::timeout(d, self.calls.recv()).await {
            panic!("unexpected refresh of {} after {:?}", c.id, d);
        }
    }
}

fn in_secs(s: u64) -> Timestamp {
    Timestamp::now() + jiff::SignedDuration::from_secs(s as i64)
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

const DAY: Duration = Duration::from_secs(86_400);

#[test]
fn backoff_doubles_to_a_cap_with_jitter() {
    for (n, base) in [(1u32, 1.0f64), (2, 2.0), (3, 4.0), (6, 32.0)] {
        let d = backoff(n).as_secs_f64();
        assert!(
            d >= base * 0.8 - 1e-9 && d <= base * 1.2 + 1e-9,
            "n={n}: {d}"
        );
    }
    assert!(backoff(30) <= BACKOFF_CAP);
    assert!(backoff(30) >= BACKOFF_CAP.mul_f64(0.8));
}

#[test]
fn next_refresh_is_at_80_percent_plus_jitter_and_at_most_a_day_ahead() {
    let now = Timestamp::now();
    let token = Token::new("t", now, now + jiff::SignedDuration::from_secs(1000));
    for _ in 0..20 {
        let at = next_refresh(&token, Duration::from_secs(10));
        let after = at.duration_since(now).as_secs_f64();
        assert!((800.0..810.0).contains(&after), "{after}");
    }
    assert_eq!(next_refresh(&token, Duration::ZERO), token.refresh_at());
    let long = Token::new("t", now, now + jiff::SignedDuration::from_hours(24 * 365));
    let after = next_refresh(&long, Duration::ZERO).duration_since(now);
    assert!(after <= jiff::SignedDuration::from_hours(24) + jiff::SignedDuration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn a_trigger_runs_at_once_and_a_schedule_at_its_time() {
    let mut h = harness();
    let t0 = Instant::now();
    h.scheduler.trigger("v");
    let c = h.next().await;
    assert_eq!(c.id, "v");
    assert!(c.at - t0 < Duration::from_millis(1));
    c.finish(RefreshOutcome::Done);
    // Done without a schedule: nothing more.
    h.none_within(DAY).await;

    let t0 = Instant::now();
    h.scheduler.schedule("v", in_secs(30));
    let c = h.next().await;
    let after = secs(c.at - t0);
    assert!((29.0..=30.5).contains(&after), "{after}");
}

#[tokio::test(start_paused = true)]
async fn a_new_schedule_replaces_the_pending_one() {
    let mut h = harness();
    // Earlier replaces later ...
    let t0 = Instant::now();
    h.scheduler.schedule("v", in_secs(100));
    h.scheduler.schedule("v", in_secs(10));
    let c = h.next().await;
    assert!((9.0..=10.5).contains(&secs(c.at - t0)));
    c.finish(RefreshOutcome::Done);
    h.none_within(Duration::from_secs(500)).await;
    // ... and later replaces earlier.
    let t0 = Instant::now();
    h.scheduler.schedule("v", in_secs(10));
    h.scheduler.schedule("v", in_secs(50));
    let c = h.next().await;
    assert!((49.0..=50.5).contains(&secs(c.at - t0)), "{:?}", c.at - t0);
    c.finish(RefreshOutcome::Done);
    h.none_within(DAY).await;
}

#[tokio::test(start_paused = true)]
async fn failures_back_off_exponentially_and_success_resets_the_count() {
    let mut h = harness();
    h.scheduler.trigger("v");
    let mut c = h.next().await;
    for base in [1.0, 2.0, 4.0, 8.0] {
        let failed_at = c.finish(RefreshOutcome::Failed);
        c = h.next().await;
        let gap = secs(c.at - failed_at);
        assert!(
            gap >= base * 0.8 - 0.01 && gap <= base * 1.2 + 0.01,
            "retry after {gap} s, want {base} s ±20 %"
        );
    }
    c.finish(RefreshOutcome::Done);
    h.none_within(DAY).await;
    // The next failure starts again at 1 s.
    h.scheduler.trigger("v");
    let failed_at = h.next().await.finish(RefreshOutcome::Failed);
    let gap = secs(h.next().await.at - failed_at);
    assert!((0.79..=1.21).contains(&gap), "{gap}");
}

#[tokio::test(start_paused = true)]
async fn a_hung_refresh_times_out_and_is_retried() {
    let mut h = harness();
    let t0 = Instant::now();
    h.scheduler.trigger("v");
    let hung = h.next().await;
    let retry = h.next().await;
    let after = secs(retry.at - t0);
    let timeout = secs(REFRESH_ATTEMPT_TIMEOUT);
    assert!(
        after >= timeout + 0.79 && after <= timeout + 1.21,
        "retried after {after} s"
    );
    drop(hung);
}

#[tokio::test(start_paused = true)]
async fn a_trigger_during_a_refresh_runs_once_more_right_after_it() {
    let mut h = harness();
    h.scheduler.trigger("v");
    let c = h.next().await;
    // Several changes while it runs: no second concurrent refresh of the volume ...
    h.scheduler.trigger("v");
    h.scheduler.trigger("v");
    h.none_within(Duration::from_secs(10)).await;
    // ... and exactly one rerun, at once, after it.
    let done_at = c.finish(RefreshOutcome::Done);
    let c = h.next().await;
    assert!(c.at - done_at < Duration::from_millis(1));
    c.finish(RefreshOutcome::Done);
    h.none_within(DAY).await;

    // The same after a refresh that found the connector gone (a change may revive it) ...
    h.scheduler.trigger("v");
    let c = h.next().await;
    h.scheduler.trigger("v");
    c.finish(RefreshOutcome::Stale);
    h.next().await.finish(RefreshOutcome::Stale);
    h.none_within(DAY).await;
    // ... but not after one that found the volume unpublished.
    h.scheduler.trigger("v");
    let c = h.next().await;
    h.scheduler.trigger("v");
    c.finish(RefreshOutcome::Gone);
    h.none_within(DAY).await;
}

#[tokio::test(start_paused = true)]
async fn a_schedule_during_a_refresh_applies_after_it() {
    let mut h = harness();
    h.scheduler.trigger("v");
    let c = h.next().await;
    h.scheduler.schedule("v", in_secs(60));
    h.none_within(Duration::from_secs(20)).await;
    let done_at = c.finish(RefreshOutcome::Done);
    let c = h.next().await;
    // Wall-clock based: 60 s from when the schedule was made (the paused clock does not move
    // the wall clock), counted from when the refresh finished.
    let after = secs(c.at - done_at);
    assert!((59.0..=60.5).contains(&after), "{after}");
}

#[tokio::test(start_paused = true)]
async fn cancel_drops_the_pending_entry_and_any_retry() {
    let mut h = harness();
    h.scheduler.schedule("a", in_secs(10));
    h.scheduler.schedule("b", in_secs(10));
    h.scheduler.cancel("a");
    let c = h.next().await;
    assert_eq!(c.id, "b");
    c.finish(RefreshOutcome::Done);
    h.none_within(DAY).await;

    // Cancelled while running: neither the failure's retry nor a queued rerun happens.
    h.scheduler.trigger("a");
    let c = h.next().await;
    h.scheduler.trigger("a");
    h.scheduler.cancel("a");
    c.finish(RefreshOutcome::Failed);
    h.none_within(DAY).await;
}

#[tokio::test(start_paused = true)]
async fn volumes_refresh_concurrently() {
    let mut h = harness();
    h.scheduler.trigger("a");
    h.scheduler.trigger("b");
    let first = h.next().await;
    let second = h.next().await;
    let mut ids = [first.id.clone(), second.id.clone()];
    ids.sort();
    assert_eq!(ids, ["a", "b"]);
    first.finish(RefreshOutcome::Done);
    second.finish(RefreshOutcome::Done);
}

#[tokio::test(start_paused = true)]
async fn the_scheduler_stops_when_its_owner_is_gone() {
    let mut h = harness();
    h.gone.store(true, Ordering::SeqCst);
    h.scheduler.trigger("v");
    h.none_within(Duration::from_secs(10)).await;
    // The task has ended: later work is never picked up, even with the owner "back".
    h.gone.store(false, Ordering::SeqCst);
    h.scheduler.trigger("v");
    h.none_within(DAY).await;
    assert!(h.scheduler.tx.is_closed());
}

#[tokio::test(start_paused = true)]
async fn the_observer_is_told_each_retry_with_its_step_and_time() {
    let (tx, mut seen) = mpsc::unbounded_channel();
    let scheduler = Scheduler::start_observed(
        |_id: String| Some(async { RefreshOutcome::Failed }),
        move |id: &str, r: Retry| {
            let _ = tx.send((id.to_string(), r, Timestamp::now()));
        },
    );
    scheduler.trigger("v");
    for step in 1..=3u32 {
        let (id, r, told_at) = seen.recv().await.unwrap();
        assert_eq!((id.as_str(), r.failures), ("v", step));
        let base = f64::from(1u32 << (step - 1));
        let d = secs(r.delay);
        assert!(d >= base * 0.8 - 0.01 && d <= base * 1.2 + 0.01, "{d}");
        // `at` is the wall-clock time of the next attempt.
        let ahead = secs((r.at - told_at).try_into().unwrap());
        assert!((ahead - d).abs() < 0.5, "{ahead} vs {d}");
    }
    drop(scheduler);
}
