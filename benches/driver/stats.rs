//! Latency samples and their Markdown formatting (percentiles, rows, verdicts).

use super::*;

// ---------------------------------------------------------------------------------------------
// Statistics and formatting.

#[derive(Clone, Default)]
pub(crate) struct Samples(Vec<f64>); // milliseconds

impl Samples {
    pub(crate) fn push(&mut self, d: Duration) {
        self.0.push(d.as_secs_f64() * 1000.0);
    }
    pub(crate) fn sorted(&self) -> Vec<f64> {
        let mut v = self.0.clone();
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        v
    }
    /// Nearest-rank percentile.
    pub(crate) fn p(&self, pct: f64) -> f64 {
        let v = self.sorted();
        if v.is_empty() {
            return f64::NAN;
        }
        let rank = ((pct / 100.0) * v.len() as f64).ceil() as usize;
        v[rank.clamp(1, v.len()) - 1]
    }
    pub(crate) fn max(&self) -> f64 {
        self.0.iter().cloned().fold(f64::NAN, f64::max)
    }
    pub(crate) fn mean(&self) -> f64 {
        self.0.iter().sum::<f64>() / self.0.len() as f64
    }
    pub(crate) fn n(&self) -> usize {
        self.0.len()
    }
}

pub(crate) fn ms(v: f64) -> String {
    if v.is_nan() {
        "–".into()
    } else if v >= 100.0 {
        format!("{v:.0} ms")
    } else if v >= 10.0 {
        format!("{v:.1} ms")
    } else {
        format!("{v:.3} ms")
    }
}

pub(crate) fn lat_row(name: &str, s: &Samples) -> String {
    format!(
        "| {name} | {} | {} | {} | {} | {} | {} |\n",
        s.n(),
        ms(s.p(50.0)),
        ms(s.p(95.0)),
        ms(s.p(99.0)),
        ms(s.max()),
        ms(s.mean())
    )
}

pub(crate) const LAT_HEAD: &str =
    "| measurement | n | p50 | p95 | p99 | max | mean |\n|---|---:|---:|---:|---:|---:|---:|\n";

pub(crate) fn verdict(ok: bool) -> &'static str {
    if ok {
        "**met**"
    } else {
        "**missed**"
    }
}
