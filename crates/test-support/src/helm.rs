//! A test-only renderer for the subset of Helm's template language the chart uses: Go
//! templates (gtmpl) plus `include`, `default`, `quote`, `toYaml`, `indent`, `nindent`, `int`,
//! with `.Values` (values.yaml deep-merged with overrides), `.Release` and `.Chart`.
//!
//! It renders like `helm template` for release `connectors-csi` in namespace
//! `connectors-system`, within the subset [`TEMPLATE_WORDS`] lists; it is not Helm.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use gtmpl::{Context, Func, FuncError, Template, Value as TValue};
use serde_yaml::{Mapping, Value};

use crate::yaml::parse_docs;

/// Words allowed inside `{{ }}` in the chart (the subset this renderer implements).
pub const TEMPLATE_WORDS: &[&str] = &[
    "if", "else", "end", "range", "$", "define", "include", "default", "quote", "int", "printf",
    "toYaml", "nindent", "indent", "not", "and", "or", "eq", "ne",
];

/// The project's chart, `charts/connectors-csi`.
pub fn default_chart_dir() -> PathBuf {
    crate::repo_root().join("charts/connectors-csi")
}

/// The chart's `templates/` files as (file name, text), sorted by name.
pub fn chart_templates(chart_dir: &Path) -> Vec<(String, String)> {
    let dir = chart_dir.join("templates");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

fn load_one(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    parse_docs(&text, &path.display().to_string())
        .into_iter()
        .next()
        .unwrap_or(Value::Null)
}

/// The chart's default `values.yaml`.
pub fn chart_values(chart_dir: &Path) -> Value {
    load_one(&chart_dir.join("values.yaml"))
}

/// The `{{ ... }}` actions of a template, without delimiters, trim markers and comments.
pub fn actions(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .expect("unterminated {{ in a chart template");
        let inner = after[..end]
            .trim()
            .trim_start_matches('-')
            .trim_end_matches('-')
            .trim();
        if !inner.starts_with("/*") {
            out.push(inner.to_string());
        }
        rest = &after[end + 2..];
    }
    out
}

/// `.Values.a.b` paths used in a template.
pub fn values_paths(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for a in actions(text) {
        let mut rest = a.as_str();
        while let Some(i) = rest.find(".Values.") {
            let tail = &rest[i + ".Values.".len()..];
            let len = tail
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
                .unwrap_or(tail.len());
            out.insert(tail[..len].trim_end_matches('.').to_string());
            rest = &tail[len..];
        }
    }
    out
}

thread_local! {
    /// Rendered helper bodies for `include` (gtmpl functions are plain fn pointers).
    static HELPERS: RefCell<HashMap<String, String>> = RefCell::new(HashMap::new());
}

fn tvalue_str(v: &TValue) -> String {
    match v {
        TValue::String(s) => s.clone(),
        TValue::NoValue | TValue::Nil => String::new(),
        other => other.to_string(),
    }
}

fn f_include(args: &[TValue]) -> Result<TValue, FuncError> {
    let name = args
        .first()
        .map(tvalue_str)
        .ok_or_else(|| FuncError::Generic("include needs a template name".into()))?;
    HELPERS.with(|h| {
        h.borrow()
            .get(&name)
            .cloned()
            .map(TValue::from)
            .ok_or_else(|| FuncError::Generic(format!("include of undefined template {name:?}")))
    })
}

fn is_empty(v: &TValue) -> bool {
    match v {
        TValue::NoValue | TValue::Nil => true,
        TValue::String(s) => s.is_empty(),
        TValue::Array(a) => a.is_empty(),
        TValue::Map(m) => m.is_empty(),
        TValue::Object(o) => o.is_empty(),
        TValue::Bool(b) => !b,
        TValue::Number(n) => n.as_f64() == Some(0.0),
        TValue::Function(_) => false,
    }
}

/// sprig `default DEFAULT VALUE`.
fn f_default(args: &[TValue]) -> Result<TValue, FuncError> {
    match args {
        [d, v] => Ok(if is_empty(v) { d.clone() } else { v.clone() }),
        [d] => Ok(d.clone()),
        _ => Err(FuncError::Generic("default takes 1 or 2 arguments".into())),
    }
}

/// sprig `quote`: Go `%q` of each argument; JSON string escaping matches it for the values a
/// chart uses.
fn f_quote(args: &[TValue]) -> Result<TValue, FuncError> {
    Ok(TValue::from(
        args.iter()
            .map(|a| serde_json::to_string(&tvalue_str(a)).unwrap())
            .collect::<Vec<_>>()
            .join(" "),
    ))
}

fn to_yaml_value(v: &TValue) -> Value {
    match v {
        TValue::NoValue | TValue::Nil => Value::Null,
        TValue::Bool(b) => Value::Bool(*b),
        TValue::String(s) => Value::from(s.clone()),
        TValue::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                Value::from(n.as_f64().unwrap_or(0.0))
            }
        }
        TValue::Array(a) => Value::Sequence(a.iter().map(to_yaml_value).collect()),
        TValue::Map(m) | TValue::Object(m) => {
            let sorted: BTreeMap<_, _> = m.iter().collect();
            let mut out = Mapping::new();
            for (k, v) in sorted {
                out.insert(Value::from(k.clone()), to_yaml_value(v));
            }
            Value::Mapping(out)
        }
        TValue::Function(_) => Value::Null,
    }
}

/// Helm `toYaml`: YAML of the value without the trailing newline.
fn f_to_yaml(args: &[TValue]) -> Result<TValue, FuncError> {
    let v = args
        .first()
        .ok_or_else(|| FuncError::Generic("toYaml needs an argument".into()))?;
    let text = serde_yaml::to_string(&to_yaml_value(v))
        .map_err(|e| FuncError::Generic(format!("toYaml: {e}")))?;
    Ok(TValue::from(text.trim_end().to_string()))
}

/// sprig `indent N TEXT`: every line of TEXT prefixed with N spaces.
fn indented(args: &[TValue], fname: &str) -> Result<String, FuncError> {
    let [n, text] = args else {
        return Err(FuncError::Generic(format!("{fname} takes 2 arguments")));
    };
    let n = match n {
        TValue::Number(n) => n.as_u64().unwrap_or(0) as usize,
        other => tvalue_str(other).parse().unwrap_or(0),
    };
    let pad = " ".repeat(n);
    Ok(format!(
        "{pad}{}",
        tvalue_str(text).replace('\n', &format!("\n{pad}"))
    ))
}

fn f_indent(args: &[TValue]) -> Result<TValue, FuncError> {
    Ok(TValue::from(indented(args, "indent")?))
}

/// sprig `nindent`: a newline, then `indent`.
fn f_nindent(args: &[TValue]) -> Result<TValue, FuncError> {
    Ok(TValue::from(format!("\n{}", indented(args, "nindent")?)))
}

/// sprig `int`: the value as an integer (numbers truncate, numeric strings parse).
fn f_int(args: &[TValue]) -> Result<TValue, FuncError> {
    let [v] = args else {
        return Err(FuncError::Generic("int takes 1 argument".into()));
    };
    let n = match v {
        TValue::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .unwrap_or(0),
        TValue::String(s) => s.trim().parse().unwrap_or(0),
        TValue::Bool(b) => i64::from(*b),
        _ => 0,
    };
    Ok(TValue::from(n))
}

const HELM_FUNCS: &[(&str, Func)] = &[
    ("int", f_int as Func),
    ("include", f_include as Func),
    ("default", f_default as Func),
    ("quote", f_quote as Func),
    ("toYaml", f_to_yaml as Func),
    ("nindent", f_nindent as Func),
    ("indent", f_indent as Func),
];

fn to_tvalue(v: &Value) -> TValue {
    match v {
        Value::Null => TValue::Nil,
        Value::Bool(b) => TValue::Bool(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                TValue::from(i)
            } else if let Some(u) = n.as_u64() {
                TValue::from(u)
            } else {
                TValue::from(n.as_f64().unwrap_or(0.0))
            }
        }
        Value::String(s) => TValue::from(s.clone()),
        Value::Sequence(a) => TValue::Array(a.iter().map(to_tvalue).collect()),
        Value::Mapping(m) => TValue::Map(
            m.iter()
                .map(|(k, v)| (k.as_str().unwrap_or_default().to_string(), to_tvalue(v)))
                .collect(),
        ),
        Value::Tagged(t) => to_tvalue(&t.value),
    }
}

/// Deep-merges `over` into `base` (maps merge, everything else replaces), like `--set`/`-f`.
pub fn merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Mapping(b), Value::Mapping(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (slot, v) => *slot = v.clone(),
    }
}

fn new_template() -> Template {
    let mut t = Template::default();
    t.add_funcs(HELM_FUNCS);
    t
}

/// Renders the chart with values.yaml merged with `overrides`, as `helm template` would for

/// Renders every `.yaml` template of the chart at `chart_dir` with values.yaml deep-merged with
/// `overrides` (a YAML text, like `-f`; empty for the defaults), as `helm template` would for
/// release `connectors-csi` in namespace `connectors-system`. Returns template file name →
/// rendered text. Panics (naming the file) when a template does not parse or render.
pub fn render_chart(chart_dir: &Path, overrides: &str) -> BTreeMap<String, String> {
    let mut values = chart_values(chart_dir);
    if !overrides.trim().is_empty() {
        merge(&mut values, &serde_yaml::from_str(overrides).unwrap());
    }
    let chart = load_one(&chart_dir.join("Chart.yaml"));
    let mut ctx = Mapping::new();
    ctx.insert("Values".into(), values);
    ctx.insert(
        "Release".into(),
        serde_yaml::from_str(
            "{Name: connectors-csi, Namespace: connectors-system, Service: Helm, IsInstall: true}",
        )
        .unwrap(),
    );
    let mut chart_ctx = Mapping::new();
    chart_ctx.insert("Name".into(), chart["name"].clone());
    chart_ctx.insert("Version".into(), chart["version"].clone());
    chart_ctx.insert("AppVersion".into(), chart["appVersion"].clone());
    ctx.insert("Chart".into(), Value::Mapping(chart_ctx));
    let ctx = to_tvalue(&Value::Mapping(ctx));

    let templates = chart_templates(chart_dir);
    let helpers: String = templates
        .iter()
        .filter(|(f, _)| f.ends_with(".tpl"))
        .map(|(_, t)| t.as_str())
        .collect();
    // Render each helper (in definition order, so helpers may include earlier ones).
    HELPERS.with(|h| h.borrow_mut().clear());
    let mut rest = helpers.as_str();
    while let Some(i) = rest.find("define \"") {
        let tail = &rest[i + "define \"".len()..];
        let end = tail.find('"').unwrap();
        let hname = &tail[..end];
        let mut t = new_template();
        t.parse(helpers.as_str())
            .unwrap_or_else(|e| panic!("_helpers.tpl does not parse: {e}"));
        t.parse(format!("{{{{ template \"{hname}\" . }}}}"))
            .unwrap();
        let out = t
            .render(&Context::from(ctx.clone()))
            .unwrap_or_else(|e| panic!("helper {hname} does not render: {e}"));
        HELPERS.with(|h| h.borrow_mut().insert(hname.to_string(), out));
        rest = &tail[end..];
    }
    let mut rendered = BTreeMap::new();
    for (file, text) in templates.iter().filter(|(f, _)| f.ends_with(".yaml")) {
        let mut t = new_template();
        t.parse(helpers.as_str()).unwrap();
        t.parse(text.as_str())
            .unwrap_or_else(|e| panic!("{file} does not parse: {e}"));
        let out = t
            .render(&Context::from(ctx.clone()))
            .unwrap_or_else(|e| panic!("{file} does not render: {e}"));
        rendered.insert(file.clone(), out);
    }
    rendered
}

/// [`render_chart`], parsed: every object of every template, in file-name order. Panics on an
/// object without kind or name.
pub fn render_chart_objects(chart_dir: &Path, overrides: &str) -> Vec<Value> {
    let mut objects = Vec::new();
    for (file, out) in render_chart(chart_dir, overrides) {
        objects.extend(parse_docs(&out, &format!("{file} (rendered)")));
    }
    for o in &objects {
        let kind = o["kind"].as_str().unwrap_or_default();
        let name = o["metadata"]["name"].as_str().unwrap_or_default();
        assert!(
            !kind.is_empty() && !name.is_empty(),
            "rendered object without kind/name: {o:?}"
        );
    }
    objects
}
