//! Waiting for a condition in a test: poll it until it holds or a deadline passes.

use std::time::{Duration, Instant};

/// Polls `f` every 5 ms until it returns true or `timeout` has passed; returns its last answer.
pub async fn wait_for(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let t0 = Instant::now();
    while t0.elapsed() < timeout {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    f()
}
