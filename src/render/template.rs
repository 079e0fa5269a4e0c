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

fn run(file: &str, source: &str, data: &serde_json::Value) -> Result<String, (bool, String)> {
    // gtmpl 0.7's lexer never returns when the input ends inside an action in whitespace, a
    // field or an identifier (`{{ .a`, `{{ `): `backup()` at end of input steps back onto the
    // last character and re-reads it forever, wedging a runtime thread. With a trailing newline
    // an unclosed action ends in an "unclosed action" error instead, so such sources are
    // checked that way first; a source that parses with the newline has all actions closed.
    if !source.ends_with('\n') {
        new_template(file)
            .parse(format!("{source}\n"))
            .map_err(|e| (true, e.to_string()))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Unclosed actions at the end of a template are errors, not an endless loop.
    #[test]
    fn unclosed_action_at_end_of_input_fails_instead_of_hanging() {
        for source in [
            "{{ ",
            "x {{ .",
            "{{ .a.",
            "{{ a.",
            "{{ ..",
            "{{ \"}}\" ",
            "{{ .connector ",
        ] {
            let (tx, rx) = std::sync::mpsc::channel();
            let src = source.to_string();
            std::thread::spawn(move || {
                let _ = tx.send(run("f", &src, &serde_json::json!({})));
            });
            let result = rx
                .recv_timeout(std::time::Duration::from_secs(10))
                .unwrap_or_else(|_| panic!("parsing {source:?} did not return"));
            let (parse, msg) = result.expect_err(source);
            assert!(parse, "{source:?}: {msg}");
        }
        assert_eq!(
            run("f", "a {{ 1 }}", &serde_json::json!({})).unwrap(),
            "a 1"
        );
    }
}
