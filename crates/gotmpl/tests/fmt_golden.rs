//! Byte-for-byte comparison of `gotmpl::fmt` with Go's `fmt` on the cases in
//! `testdata/fmt/cases.json`, whose Go output `testdata/fmt/regen.sh` recorded in
//! `testdata/fmt/expected.json` (Go is not needed to run this test).

use gotmpl::{fmt, Value};
use serde_json::Value as Json;

const CASES: &str = include_str!("../testdata/fmt/cases.json");
const EXPECTED: &str = include_str!("../testdata/fmt/expected.json");

/// JSON → template value the way the Go generator decodes it: integers are `int` (`uint64`
/// above the int64 range), other numbers `float64`, and `{"__float__": "NaN"}` /
/// `{"__uint__": "7"}` spell values JSON has no syntax for.
fn arg(j: &Json) -> Value {
    match j {
        Json::Object(o) if o.len() == 1 && o.contains_key("__float__") => {
            let s = o["__float__"].as_str().expect("__float__ is a string");
            Value::Float(match s {
                "NaN" => f64::NAN,
                "+Inf" => f64::INFINITY,
                "-Inf" => f64::NEG_INFINITY,
                s => s.parse().expect("__float__ parses"),
            })
        }
        Json::Object(o) if o.len() == 1 && o.contains_key("__uint__") => {
            let s = o["__uint__"].as_str().expect("__uint__ is a string");
            Value::uint64(s.parse().expect("__uint__ parses"))
        }
        Json::Object(o) => Value::map(o.iter().map(|(k, v)| (k.clone(), arg(v))).collect()),
        Json::Array(a) => Value::list(a.iter().map(arg).collect()),
        Json::Number(n) if n.is_i64() => Value::int(n.as_i64().unwrap_or_default()),
        other => Value::from_json(other),
    }
}

#[test]
fn fmt_matches_go() {
    let cases: Vec<Json> = serde_json::from_str(CASES).expect("cases.json");
    let expected: Vec<Json> = serde_json::from_str(EXPECTED).expect("expected.json");
    assert_eq!(
        cases.len(),
        expected.len(),
        "expected.json is stale: run testdata/fmt/regen.sh"
    );
    assert!(cases.len() >= 250, "the golden table must stay thorough");
    let mut failures = Vec::new();
    for (i, (case, want)) in cases.iter().zip(&expected).enumerate() {
        let format = case["format"].as_str().unwrap_or("");
        let func = case["fn"].as_str().unwrap_or("sprintf");
        assert_eq!(want["format"].as_str(), Some(format), "case {i}: regen");
        assert_eq!(want["fn"].as_str(), Some(func), "case {i}: regen");
        let args: Vec<Value> = case["args"]
            .as_array()
            .map(|a| a.iter().map(arg).collect())
            .unwrap_or_default();
        let got = match func {
            "sprint" => fmt::sprint(&args),
            "sprintln" => fmt::sprintln(&args),
            _ => fmt::sprintf(format, &args),
        };
        let want = want["want"].as_str().expect("want is a string");
        if got != want {
            failures.push(format!(
                "case {i}: {func}({format:?}, {}) = {got:?}, Go: {want:?}",
                case["args"]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from Go:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
