//! Go `text/template` evaluation of ConnectorClass `configurations[].data` (with the
//! `crates/gotmpl` engine and all of sprig), and the data the templates see.

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};

use gotmpl::{FuncMap, Limits, Template, Value};
use sha2::{Digest, Sha256};

use super::{RenderError, ResolvedConnector, MAX_PAYLOAD_BYTES};

/// Longest template error message kept (an error can quote a long template line).
const MAX_ERROR_CHARS: usize = 400;

/// What `.context.token` holds while an error message is being reproduced.
const TOKEN_STAND_IN: &str = "<token>";

/// Parsed templates kept at most (one per distinct class file; a class edit adds a new entry).
const CACHE_CAPACITY: usize = 1024;

/// Steps (actions, pipeline commands, range iterations) one file may take: far above any real
/// class, low enough that a runaway template fails in well under a second.
const MAX_STEPS: u64 = 2_000_000;

/// Nesting of template calls and control structures one file may reach.
const MAX_DEPTH: usize = 100;

/// The limits every class file executes under; output is capped at the payload cap.
pub(crate) fn limits() -> Limits {
    Limits {
        max_output_bytes: MAX_PAYLOAD_BYTES,
        max_steps: MAX_STEPS,
        max_depth: MAX_DEPTH,
    }
}

/// Sprig's text function map, built once (see docs/rendering.md for its deviations).
fn funcs() -> &'static FuncMap {
    static FUNCS: OnceLock<FuncMap> = OnceLock::new();
    FUNCS.get_or_init(gotmpl::sprig::funcs)
}

/// Cache key: the file name (it appears in Go's error messages) and the source's digest, so a
/// class edit (a new generation) parses again and an unchanged class never does.
type CacheKey = (String, [u8; 32]);
type Parsed = Result<Template, String>;

fn cache() -> &'static Mutex<BTreeMap<CacheKey, Parsed>> {
    static CACHE: OnceLock<Mutex<BTreeMap<CacheKey, Parsed>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// Parses `source` as template `file`, or takes it from the cache. Parse errors are cached
/// too: a broken class fails every publish with the same message at no parse cost.
fn parsed(file: &str, source: &str) -> Parsed {
    let key = (file.to_string(), Sha256::digest(source.as_bytes()).into());
    let mut cache = cache().lock().unwrap_or_else(|e| e.into_inner());
    if let Some(hit) = cache.get(&key) {
        return hit.clone();
    }
    let result = Template::parse(file, source, funcs()).map_err(|e| e.to_string());
    if cache.len() >= CACHE_CAPACITY {
        // Old class generations are the bulk of a full cache; start over rather than track
        // recency on every hit.
        cache.clear();
    }
    cache.insert(key, result.clone());
    result
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
    params: &BTreeMap<String, serde_json::Value>,
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

/// Points of a template error to show the user; never the token, never rendered output.
pub(crate) struct ErrorSite<'a> {
    pub class: &'a str,
    pub configuration: &'a str,
    pub file: &'a str,
}

/// Renders one file: exactly the bytes Go's template would write (a template can write bytes
/// that are not UTF-8, e.g. `b64dec` of a binary keystore). Execution errors are reproduced with
/// the token replaced by a stand-in, so messages that quote values (`fail`, `required`-style
/// messages, …) cannot leak it.
pub(crate) fn render_file(
    site: ErrorSite<'_>,
    source: &str,
    data: &serde_json::Value,
    token: &str,
) -> Result<Vec<u8>, RenderError> {
    let fail = |message: String| RenderError::Template {
        class: site.class.to_string(),
        configuration: site.configuration.to_string(),
        file: site.file.to_string(),
        message: sanitize(&message, token),
    };
    let limit = |message: String| RenderError::TemplateLimit {
        class: site.class.to_string(),
        configuration: site.configuration.to_string(),
        file: site.file.to_string(),
        message: sanitize(&message, token),
    };
    // Parse errors only quote the template source, which is part of the (public) class.
    let template = parsed(site.file, source).map_err(fail)?;
    let err = match template.execute_bytes(&Value::from_json(data), &limits()) {
        Ok(out) => return Ok(out),
        Err(e) => e,
    };
    if err.is_limit() {
        return Err(limit(err.to_string()));
    }
    let message = {
        let mut redacted = data.clone();
        redacted["context"]["token"] = serde_json::Value::String(TOKEN_STAND_IN.into());
        match template.execute_bytes(&Value::from_json(&redacted), &limits()) {
            Err(e) => e.to_string(),
            Ok(_) => "evaluation failed for the real token value (details withheld because they would reveal it)".to_string(),
        }
    };
    Err(fail(message))
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

/// Drops every parsed template (the benchmark measures parse + execute with it).
pub fn clear_cache() {
    cache().lock().unwrap_or_else(|e| e.into_inner()).clear();
}
