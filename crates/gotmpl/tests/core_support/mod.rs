//! The harness shared by the Go-checked core case tables (`core_go.rs`, `core_go_edges.rs`):
//! the test functions their Go generator also defines, and the comparison of every case.

use gotmpl::{Arity, FuncError, FuncMap, Function, Limits, Template, Ty, Value};

/// The functions the Go generator (`core_gen/`) registers with the same signatures.
pub fn funcs() -> FuncMap {
    let mut m = FuncMap::new();
    m.insert(Function::new("fail", Arity::Fixed(&[Ty::String]), |a| {
        Err(FuncError::new(a[0].as_str().unwrap_or_default()))
    }));
    m.insert(Function::new(
        "rep",
        Arity::Fixed(&[Ty::String, Ty::Int]),
        |a| {
            Ok(Value::from(a[0].as_str().unwrap_or_default().repeat(
                match a[1] {
                    Value::Int(n, _) => n.max(0) as usize,
                    _ => 0,
                },
            )))
        },
    ));
    m.insert(Function::new(
        "rep64",
        Arity::Fixed(&[Ty::String, Ty::Int64]),
        |a| {
            Ok(Value::from(a[0].as_str().unwrap_or_default().repeat(
                match a[1] {
                    Value::Int(n, _) => n.max(0) as usize,
                    _ => 0,
                },
            )))
        },
    ));
    m.insert(Function::new(
        "half",
        Arity::Fixed(&[Ty::Float64]),
        |a| match a[0] {
            Value::Float(f) => Ok(Value::Float(f / 2.0)),
            _ => Err(FuncError::new("not a float")),
        },
    ));
    m.insert(Function::new("upper", Arity::Fixed(&[Ty::String]), |a| {
        Ok(Value::from(
            a[0].as_str().unwrap_or_default().to_uppercase(),
        ))
    }));
    m
}

pub fn run(src: &str, data: &str) -> Result<String, String> {
    let data = if data.is_empty() {
        Value::Nil
    } else {
        Value::from_json(&serde_json::from_str(data).expect("test data is JSON"))
    };
    let t = Template::parse("t", src, &funcs()).map_err(|e| e.to_string())?;
    t.execute(&data, &Limits::default())
        .map_err(|e| e.to_string())
}

/// Checks every `(template, data JSON, Go output, Go error)` case except the `pending` ones,
/// reporting all differences at once.
pub fn check_cases(cases: &[(&str, &str, &str, &str)], pending: &[&str]) {
    let mut failures = Vec::new();
    for (src, data, out, err) in cases {
        let got = run(src, data);
        if pending.contains(src) {
            continue;
        }
        let ok = match (&got, err.is_empty()) {
            (Ok(o), true) => o == out,
            (Err(e), false) => e == err,
            _ => false,
        };
        if !ok {
            failures.push(format!(
                "{src:?}\n   go:   out={out:?} err={err:?}\n   rust: {got:?}"
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
