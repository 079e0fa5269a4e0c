//! A test-only renderer of the project's Helm chart: Go `text/template` semantics from
//! crates/gotmpl with sprig, plus Helm's `include`, `tpl`, `toYaml` and `required`, over
//! `.Values` (values.yaml deep-merged with overrides), `.Release`, `.Chart` and `.Files.Get`.
//!
//! It renders like `helm template` for release `connectors-csi` in namespace
//! `connectors-system`; [`TEMPLATE_WORDS`] lists the words the chart is allowed to use (kept
//! small so the chart stays readable), it is not a limit of the renderer.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use gotmpl::{
    Arity, CtxFuncMap, CtxFunction, FuncError, FuncMap, Function, Limits, Template, Ty,
    Value as TValue,
};
use serde_yaml::{Mapping, Value};

use crate::yaml::parse_docs;

/// Words allowed inside `{{ }}` in the chart (the subset this renderer implements).
pub const TEMPLATE_WORDS: &[&str] = &[
    "if", "else", "end", "range", "$", "define", "include", "default", "quote", "int", "printf",
    "toYaml", "nindent", "indent", "not", "and", "or", "eq", "ne", "with",
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

/// Helm's `include NAME DATA`: the named template of the set executed on DATA.
fn f_include() -> CtxFunction {
    CtxFunction::new("include", Arity::Fixed(&[Ty::String, Ty::Any]), |c, a| {
        let name = a[0].as_str().unwrap_or_default();
        c.execute_template(name, &a[1]).map(TValue::from)
    })
}

/// Helm's `tpl TEXT DATA`: TEXT parsed next to the chart's templates and executed on DATA.
fn f_tpl() -> CtxFunction {
    CtxFunction::new("tpl", Arity::Fixed(&[Ty::String, Ty::Any]), |c, a| {
        c.execute_source("tpl", a[0].as_str().unwrap_or_default(), &a[1])
            .map(TValue::from)
    })
}

/// A YAML value as Go sees a Helm value: numbers are `float64` (sigs.k8s.io/yaml decodes
/// through JSON), maps are `map[string]interface{}`.
fn to_tvalue(v: &Value) -> TValue {
    match v {
        Value::Null => TValue::Nil,
        Value::Bool(b) => TValue::Bool(*b),
        Value::Number(n) => TValue::Float(n.as_f64().unwrap_or(0.0)),
        Value::String(s) => TValue::from(s.as_str()),
        Value::Sequence(a) => TValue::list(a.iter().map(to_tvalue).collect()),
        Value::Mapping(m) => TValue::map(
            m.iter()
                .map(|(k, v)| (k.as_str().unwrap_or_default().to_string(), to_tvalue(v)))
                .collect(),
        ),
        Value::Tagged(t) => to_tvalue(&t.value),
    }
}

fn to_yaml_value(v: &TValue) -> Value {
    match v {
        TValue::Nil => Value::Null,
        TValue::Bool(b) => Value::Bool(*b),
        TValue::Int(i) => Value::from(*i),
        TValue::Uint(u) => Value::from(*u),
        // sigs.k8s.io/yaml writes whole floats without a fraction (1024, not 1024.0).
        TValue::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => Value::from(*f as i64),
        TValue::Float(f) => Value::from(*f),
        TValue::String(s) => Value::from(s.to_string()),
        TValue::List(a) => Value::Sequence(a.iter().map(to_yaml_value).collect()),
        TValue::Map(m) => {
            let mut out = Mapping::new();
            for (k, v) in m.iter() {
                out.insert(Value::from(k.clone()), to_yaml_value(v));
            }
            Value::Mapping(out)
        }
        TValue::Object(o) => Value::from(o.fmt_v()),
    }
}

/// Helm's `.Files`: `Get NAME` is the text of a file of the chart (empty when missing, as in
/// Helm).
#[derive(Debug)]
struct ChartFiles(PathBuf);

impl gotmpl::Object for ChartFiles {
    fn type_name(&self) -> &str {
        "chart.Files"
    }
    fn field(&self, _name: &str) -> Option<TValue> {
        None
    }
    fn method(&self, name: &str, args: &[TValue]) -> Option<Result<TValue, FuncError>> {
        if name != "Get" {
            return None;
        }
        let file = args.first().and_then(|a| a.as_str()).unwrap_or_default();
        Some(Ok(TValue::from(
            std::fs::read_to_string(self.0.join(file)).unwrap_or_default(),
        )))
    }
    fn fmt_v(&self) -> String {
        "map[]".into()
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// The functions a chart sees: sprig, plus Helm's `toYaml` and `required` (Helm's `include`
/// and `tpl` execute templates, see [`ctx_funcs`]).
fn helm_funcs() -> FuncMap {
    let mut m = gotmpl::sprig::funcs();
    m.insert(Function::new("toYaml", Arity::Fixed(&[Ty::Any]), |a| {
        let text = serde_yaml::to_string(&to_yaml_value(&a[0]))
            .map_err(|e| FuncError::new(format!("toYaml: {e}")))?;
        Ok(TValue::from(text.trim_end_matches('\n').to_string()))
    }));
    m.insert(Function::new(
        "required",
        Arity::Fixed(&[Ty::String, Ty::Any]),
        |a| match &a[1] {
            TValue::Nil => Err(FuncError::new(a[0].as_str().unwrap_or_default())),
            TValue::String(s) if s.is_empty() => {
                Err(FuncError::new(a[0].as_str().unwrap_or_default()))
            }
            v => Ok(v.clone()),
        },
    ));
    m
}

fn ctx_funcs() -> CtxFuncMap {
    let mut c = CtxFuncMap::new();
    c.insert(f_include());
    c.insert(f_tpl());
    c
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

/// Renders every `.yaml` template of the chart at `chart_dir` with values.yaml deep-merged with
/// `overrides` (a YAML text, like `-f`; empty for the defaults), as `helm template` would for
/// release `connectors-csi` in namespace `connectors-system`: all files parsed into one template
/// set with Go `text/template` semantics (crates/gotmpl), sprig and Helm's `include`, `tpl`,
/// `toYaml` and `required`. Returns template file name → rendered text. Panics (naming the
/// file) when a template does not parse or render.
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
    let ctx = match to_tvalue(&Value::Mapping(ctx)) {
        TValue::Map(m) => {
            let mut m = (*m).clone();
            m.insert(
                "Files".into(),
                TValue::Object(std::sync::Arc::new(ChartFiles(chart_dir.to_path_buf()))),
            );
            TValue::map(m)
        }
        _ => unreachable!("the context is a map"),
    };

    let ctx_funcs = ctx_funcs();
    let mut parse_funcs = helm_funcs();
    parse_funcs.extend(&ctx_funcs.placeholders());
    let templates = chart_templates(chart_dir);
    // Helm parses every file of the chart into one set, named by its path.
    let mut set: Option<Template> = None;
    for (file, text) in &templates {
        let name = format!("connectors-csi/templates/{file}");
        let next = match &set {
            None => Template::parse(&name, text, &parse_funcs),
            Some(s) => s.add_parse(&name, text),
        };
        set = Some(next.unwrap_or_else(|e| panic!("{file} does not parse: {e}")));
    }
    let set = set.expect("the chart has templates");
    let mut rendered = BTreeMap::new();
    for (file, _) in templates.iter().filter(|(f, _)| f.ends_with(".yaml")) {
        let name = format!("connectors-csi/templates/{file}");
        let out = set
            .execute_named_with(&name, &ctx, &Limits::default(), &ctx_funcs)
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
