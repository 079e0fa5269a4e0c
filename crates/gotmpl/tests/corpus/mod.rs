//! Shared runner for the differential corpora: renders each case, compares it byte for byte
//! with the expectation, and checks the result against `testdata/known_failures.txt`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use gotmpl::{CtxFuncMap, FuncMap, Limits, Str, Template, Value};

/// How long one case may run before it counts as hung.
const CASE_TIMEOUT: Duration = Duration::from_secs(10);

/// What a case must produce.
#[derive(Clone, Debug)]
pub enum Expect {
    /// The output bytes (Go writes bytes; a Go string need not be UTF-8).
    Output(Vec<u8>),
    Error(String),
    /// Sprig cases whose source only asserts that an error happens.
    ErrorContains(String),
}

/// One case of a corpus.
#[derive(Clone, Debug)]
pub struct Case {
    pub name: String,
    pub template: String,
    pub data: serde_json::Value,
    pub expect: Expect,
}

pub fn testdata(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(rel)
}

pub fn read_json(rel: &str) -> serde_json::Value {
    let path = testdata(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The expectation fields of one JSON case object (`output`, `output_hex`, `error` or
/// `error_contains`). `output_hex` carries an output that is not UTF-8, which a JSON string
/// cannot (Go's encoder would write U+FFFD for those bytes).
pub fn expect_of(v: &serde_json::Value) -> Expect {
    let field = |k: &str| v.get(k).and_then(|s| s.as_str()).map(str::to_string);
    let fields = (
        field("output"),
        field("output_hex"),
        field("error"),
        field("error_contains"),
    );
    match fields {
        (Some(o), None, None, None) => Expect::Output(o.into_bytes()),
        (None, Some(h), None, None) => Expect::Output(unhex(&h)),
        (None, None, Some(e), None) => Expect::Error(e),
        (None, None, None, Some(c)) => Expect::ErrorContains(c),
        _ => panic!("case needs exactly one of output/output_hex/error/error_contains: {v}"),
    }
}

fn unhex(h: &str) -> Vec<u8> {
    assert!(h.len().is_multiple_of(2), "odd-length output_hex {h:?}");
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&h[i..i + 2], 16).expect("output_hex is hex"))
        .collect()
}

/// Renders one case the way the driver does: parse as "t", execute with default limits (and
/// the context functions `ctx`, e.g. Helm's `include`, next to `funcs`).
fn render(
    template: &str,
    data: &serde_json::Value,
    funcs: &FuncMap,
    ctx: &CtxFuncMap,
    limits: &Limits,
) -> Result<Vec<u8>, String> {
    let data = Value::from_json(data);
    let mut all = funcs.clone();
    all.extend(&ctx.placeholders());
    let t = Template::parse("t", template, &all).map_err(|e| e.to_string())?;
    t.execute_named_with_bytes("t", &data, limits, ctx)
        .map_err(|e| e.to_string())
}

/// What happened to one case: rendered output, error text, or a panic/hang (never Go-like).
#[derive(Debug)]
enum Got {
    Output(Vec<u8>),
    Error(String),
    Crash(String),
}

fn run_isolated(case: &Case, funcs: &FuncMap, ctx: &CtxFuncMap, limits: &Limits) -> Got {
    let (tx, rx) = mpsc::channel();
    let (template, data, funcs, ctx, limits) = (
        case.template.clone(),
        case.data.clone(),
        funcs.clone(),
        ctx.clone(),
        *limits,
    );
    std::thread::spawn(move || {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            render(&template, &data, &funcs, &ctx, &limits)
        }));
        let _ = tx.send(r);
    });
    match rx.recv_timeout(CASE_TIMEOUT) {
        Ok(Ok(Ok(out))) => Got::Output(out),
        Ok(Ok(Err(e))) => Got::Error(e),
        Ok(Err(p)) => {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Got::Crash(format!("PANIC: {msg}"))
        }
        Err(_) => Got::Crash(format!("HUNG: no result within {CASE_TIMEOUT:?}")),
    }
}

/// The cases of a Go-generated corpus directory (`<dir>/cases.json` with Go's results in
/// `<dir>/expected.json`, both written by `<dir>/regen.sh`), paired by position and name.
#[allow(dead_code)] // not every test binary that includes this module reads a Go corpus
pub fn go_generated_cases(dir: &str) -> Vec<Case> {
    let cases = read_json(&format!("{dir}/cases.json"));
    let expected = read_json(&format!("{dir}/expected.json"));
    let (cases, expected) = (cases.as_array().unwrap(), expected.as_array().unwrap());
    assert_eq!(
        cases.len(),
        expected.len(),
        "{dir}: cases.json and expected.json differ in length; run {dir}/regen.sh"
    );
    cases
        .iter()
        .zip(expected)
        .map(|(c, e)| {
            let name = c["name"].as_str().unwrap().to_string();
            assert_eq!(
                e["name"].as_str(),
                Some(name.as_str()),
                "{dir}: expected.json out of order; run {dir}/regen.sh"
            );
            Case {
                name,
                template: c["template"].as_str().unwrap().to_string(),
                data: c["data"].clone(),
                expect: expect_of(e),
            }
        })
        .collect()
}

/// Runs every case's template against each of `datas` and returns the ones that panicked or
/// hung (whatever the output or error): no input may crash the engine. Templates that never
/// look at their data are skipped: other data cannot change what they do.
#[allow(dead_code)] // not every corpus probes other data
pub fn crashes(cases: &[Case], datas: &[serde_json::Value], funcs: &FuncMap) -> Vec<String> {
    let mut out = Vec::new();
    for case in cases.iter().filter(|c| reads_data(&c.template)) {
        for data in datas {
            let probe = Case {
                data: data.clone(),
                ..case.clone()
            };
            if let Got::Crash(msg) =
                run_isolated(&probe, funcs, &CtxFuncMap::new(), &Limits::default())
            {
                out.push(format!(
                    "{} with data {}: {msg}",
                    case.name,
                    abbreviate(&data.to_string(), 80)
                ));
            }
        }
    }
    out
}

/// Whether a template may read its data: a `.` or `$` that starts an operand (after a
/// delimiter, space, parenthesis or pipe), not one inside a literal like "1.2.3".
fn reads_data(template: &str) -> bool {
    let b = template.as_bytes();
    (0..b.len()).any(|i| {
        matches!(b[i], b'.' | b'$')
            && (i == 0 || matches!(b[i - 1], b'{' | b' ' | b'\t' | b'\n' | b'(' | b'|' | b'-'))
    })
}

fn passes(expect: &Expect, got: &Got) -> bool {
    match (expect, got) {
        (Expect::Output(e), Got::Output(g)) => e == g,
        (Expect::Error(e), Got::Error(g)) => e == g,
        (Expect::ErrorContains(c), Got::Error(g)) => g.contains(c.as_str()),
        _ => false,
    }
}

/// `kind:name # reason` lines of testdata/known_failures.txt for this corpus kind.
pub fn known_failures(kind: &str) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(testdata("known_failures.txt")).unwrap_or_default();
    let mut out = BTreeMap::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (entry, reason) = match line.split_once(" # ") {
            Some((e, r)) if !r.trim().is_empty() => (e.trim(), r.trim()),
            _ => panic!(
                "known_failures.txt:{}: every entry needs ' # reason': {raw}",
                i + 1
            ),
        };
        let Some((k, name)) = entry.split_once(':') else {
            panic!(
                "known_failures.txt:{}: entry must be KIND:NAME: {raw}",
                i + 1
            );
        };
        if k == kind && out.insert(name.to_string(), reason.to_string()).is_some() {
            panic!("known_failures.txt:{}: duplicate entry {entry}", i + 1);
        }
    }
    out
}

/// At most `max` characters of `s` (data documents can be large).
fn abbreviate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}… ({} bytes)", &s[..i], s.len()),
        None => s.to_string(),
    }
}

fn describe(expect: &Expect) -> String {
    match expect {
        Expect::Output(o) => format!("output {:?}", Str::from_bytes(o)),
        Expect::Error(e) => format!("error  {e:?}"),
        Expect::ErrorContains(c) => format!("error containing {c:?}"),
    }
}

fn describe_got(got: &Got) -> String {
    match got {
        Got::Output(o) => format!("output {:?}", Str::from_bytes(o)),
        Got::Error(e) => format!("error  {e:?}"),
        Got::Crash(c) => c.clone(),
    }
}

/// Runs every case; fails listing ALL unexpected failures, all listed cases that now pass
/// (the list only shrinks) and all list entries naming no case.
#[allow(dead_code)] // corpora with context functions call check_with
pub fn check(kind: &str, cases: &[Case], funcs: &FuncMap) {
    check_with(kind, cases, funcs, &CtxFuncMap::new(), &Limits::default())
}

/// [`check`] with context functions (Helm's `include`) besides `funcs`, under `limits`.
#[allow(dead_code)] // only the corpora that use context functions call it
pub fn check_with(kind: &str, cases: &[Case], funcs: &FuncMap, ctx: &CtxFuncMap, limits: &Limits) {
    let known = known_failures(kind);
    let mut unexpected = Vec::new();
    let mut fixed = Vec::new();
    let mut passed = 0usize;
    let mut known_failing = 0usize;
    for case in cases {
        let got = run_isolated(case, funcs, ctx, limits);
        let ok = passes(&case.expect, &got);
        match (ok, known.contains_key(&case.name)) {
            (true, false) => passed += 1,
            (true, true) => {
                passed += 1;
                fixed.push(case.name.clone());
            }
            (false, true) => known_failing += 1,
            (false, false) => unexpected.push(format!(
                "--- {}\n    template: {:?}\n    data:     {}\n    expected: {}\n    got:      {}",
                case.name,
                case.template,
                abbreviate(&case.data.to_string(), 300),
                describe(&case.expect),
                describe_got(&got)
            )),
        }
    }
    let names: std::collections::HashSet<&str> = cases.iter().map(|c| c.name.as_str()).collect();
    let stale: Vec<&String> = known
        .keys()
        .filter(|k| !names.contains(k.as_str()))
        .collect();
    eprintln!(
        "{kind} corpus: {} cases, {passed} pass, {} fail ({known_failing} known, {} unexpected)",
        cases.len(),
        cases.len() - passed,
        unexpected.len()
    );
    let mut report = String::new();
    if !unexpected.is_empty() {
        report += &format!(
            "{} unexpected failure(s):\n{}\n",
            unexpected.len(),
            unexpected.join("\n")
        );
    }
    if !fixed.is_empty() {
        report += &format!(
            "{} case(s) listed in known_failures.txt now pass; remove them:\n  {kind}:{}\n",
            fixed.len(),
            fixed.join(&format!("\n  {kind}:"))
        );
    }
    if !stale.is_empty() {
        report += &format!("known_failures.txt names cases that do not exist: {stale:?}\n");
    }
    assert!(report.is_empty(), "{kind} corpus mismatches\n{report}");
}
