//! Go `text/template` evaluation of ConnectorClass `configurations[].data` (via gtmpl) and the
//! construction of the data the templates see.

use std::collections::BTreeMap;

use gtmpl::{Context, Template, Value};

use super::funcs::FUNCS;
use super::{RenderError, ResolvedConnector};

/// Longest template error message kept (gtmpl can dump whole objects into messages).
const MAX_ERROR_CHARS: usize = 400;

/// What `.context.token` holds while an error message is being reproduced.
const TOKEN_STAND_IN: &str = "<token>";

/// JSON → template value. Objects become Go-style maps: a missing key yields "no value" instead
/// of an error, as with Go templates over `map[string]interface{}`.
pub(crate) fn json_to_value(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                Value::from(u)
            } else if let Some(i) = n.as_i64() {
                Value::from(i)
            } else {
                Value::from(n.as_f64().unwrap_or(0.0))
            }
        }
        serde_json::Value::String(s) => Value::from(s.clone()),
        serde_json::Value::Array(a) => Value::Array(a.iter().map(json_to_value).collect()),
        serde_json::Value::Object(o) => Value::Map(
            o.iter()
                .map(|(k, v)| (k.clone(), json_to_value(v)))
                .collect(),
        ),
    }
}

/// The connector as templates see it: the object plus `status.proxyAddress`.
pub(crate) fn connector_json(rc: &ResolvedConnector) -> serde_json::Value {
    let mut v = serde_json::to_value(rc.connector.as_ref()).unwrap_or_default();
    let proxy = rc.connector.proxy_url().unwrap_or_default().to_string();
    if let Some(obj) = v.as_object_mut() {
        let status = obj
            .entry("status")
            .or_insert_with(|| serde_json::Value::Object(Default::default()));
        if !status.is_object() {
            *status = serde_json::Value::Object(Default::default());
        }
        if let Some(s) = status.as_object_mut() {
            s.insert("proxyAddress".into(), serde_json::Value::String(proxy));
        }
    }
    v
}

/// The class as templates see it: the object plus `proxyAddress` (the class's
/// `status.proxy.httpAddress.url`, empty when unknown).
fn class_json(rc: &ResolvedConnector) -> serde_json::Value {
    let mut v = serde_json::to_value(rc.class.as_ref()).unwrap_or_default();
    let addr = rc
        .class
        .status
        .as_ref()
        .and_then(|s| s.proxy.as_ref())
        .and_then(|p| p.http_address.as_ref())
        .and_then(|a| a.url.clone())
        .unwrap_or_default();
    if let Some(obj) = v.as_object_mut() {
        obj.insert("proxyAddress".into(), serde_json::Value::String(addr));
    }
    v
}

/// Builds the template data for one configuration rendered for `rc`.
pub(crate) fn template_data(
    rc: &ResolvedConnector,
    all: &[ResolvedConnector],
    token: &str,
    params: &BTreeMap<String, String>,
) -> serde_json::Value {
    serde_json::json!({
        "connector": connector_json(rc),
        "connectors": all.iter().map(connector_json).collect::<Vec<_>>(),
        "connectorclass": class_json(rc),
        "context": {
            "token": token,
            "proxy": { "caCert": rc.proxy_ca.clone().unwrap_or_default() },
        },
        "configurations": params,
    })
}

fn new_template(file: &str) -> Template {
    let mut t = Template::with_name(file);
    t.add_funcs(FUNCS);
    t
}

/// Byte offset of the first `{{` whose action is not closed by `}}` before the end of the input
/// (quoted strings, raw strings, char literals and comments inside the action are skipped).
///
/// gtmpl 0.7 never returns on some unclosed actions (e.g. `{{ .a ` at the end of the input), so
/// those are rejected before gtmpl sees them.
pub(crate) fn unclosed_action(src: &str) -> Option<usize> {
    let b = src.as_bytes();
    let mut i = 0;
    while let Some(off) = src[i..].find("{{") {
        let start = i + off;
        let mut j = start + 2;
        loop {
            if j >= b.len() {
                return Some(start);
            }
            if b[j..].starts_with(b"}}") {
                i = j + 2;
                break;
            }
            match b[j] {
                q @ (b'"' | b'\'' | b'`') => {
                    j += 1;
                    while j < b.len() && b[j] != q {
                        if b[j] == b'\\' && q != b'`' {
                            j += 1;
                        }
                        j += 1;
                    }
                    if j >= b.len() {
                        return Some(start);
                    }
                    j += 1;
                }
                b'/' if b.get(j + 1) == Some(&b'*') => match src[j + 2..].find("*/") {
                    Some(e) => j += 2 + e + 2,
                    None => return Some(start),
                },
                _ => j += 1,
            }
        }
    }
    None
}

fn run(file: &str, source: &str, data: &serde_json::Value) -> Result<String, (bool, String)> {
    if let Some(pos) = unclosed_action(source) {
        let line = source[..pos].matches('\n').count() + 1;
        return Err((
            true,
            format!(
                "template: {file}:{line}: unclosed action (\"{{{{\" without a matching \"}}}}\")"
            ),
        ));
    }
    let mut t = new_template(file);
    t.parse(source).map_err(|e| (true, e.to_string()))?;
    t.render(&Context::from(json_to_value(data)))
        .map_err(|e| (false, e.to_string()))
}

/// Points of a template error to show the user; never the token, never rendered output.
pub(crate) struct ErrorSite<'a> {
    pub class: &'a str,
    pub configuration: &'a str,
    pub file: &'a str,
}

/// Renders one file. Execution errors are reproduced with the token replaced by a stand-in, so
/// messages that quote values (gtmpl's `index`, comparisons, …) cannot leak it.
pub(crate) fn render_file(
    site: ErrorSite<'_>,
    source: &str,
    data: &serde_json::Value,
    token: &str,
) -> Result<String, RenderError> {
    let err = match run(site.file, source, data) {
        Ok(out) => return Ok(out),
        Err(e) => e,
    };
    let message = match err {
        // Parse errors only quote the template source, which is part of the (public) class.
        (true, msg) => msg,
        (false, _) => {
            let mut redacted = data.clone();
            redacted["context"]["token"] = serde_json::Value::String(TOKEN_STAND_IN.into());
            match run(site.file, source, &redacted) {
                Err((_, msg)) => msg,
                Ok(_) => "evaluation failed for the real token value (details withheld because they would reveal it)".to_string(),
            }
        }
    };
    Err(RenderError::Template {
        class: site.class.to_string(),
        configuration: site.configuration.to_string(),
        file: site.file.to_string(),
        message: sanitize(&message, token),
    })
}

fn sanitize(message: &str, token: &str) -> String {
    let mut m = if token.len() >= 4 {
        message.replace(token, "<redacted>")
    } else {
        message.to_string()
    };
    if m.chars().count() > MAX_ERROR_CHARS {
        m = m.chars().take(MAX_ERROR_CHARS).collect::<String>() + "…";
    }
    m
}
