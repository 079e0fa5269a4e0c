//! The sprig subset available to ConnectorClass templates.
//!
//! Argument order follows sprig, where the "subject" string comes last so it can be piped:
//! `{{ .x | trimSuffix "/" }}` calls `trimSuffix "/" .x`. Function errors never quote their
//! arguments, because an argument may be the token.

use std::collections::HashMap;

use base64::Engine as _;
use gtmpl::{Func, FuncError, Value};

/// Every function added on top of gtmpl's Go builtins (`urlquery` replaces gtmpl's version,
/// which does not escape `/` the way Go's `url.QueryEscape` does).
pub(crate) const FUNCS: &[(&str, Func)] = &[
    ("b64enc", b64enc as Func),
    ("b64dec", b64dec as Func),
    ("urlParse", url_parse as Func),
    ("urlquery", urlquery as Func),
    ("trimSuffix", trim_suffix as Func),
    ("trimPrefix", trim_prefix as Func),
    ("trim", trim as Func),
    ("default", default as Func),
    ("empty", empty as Func),
    ("quote", quote as Func),
    ("replace", replace as Func),
    ("lower", lower as Func),
    ("upper", upper as Func),
    ("contains", contains as Func),
    ("hasPrefix", has_prefix as Func),
    ("hasSuffix", has_suffix as Func),
    ("toJson", to_json as Func),
    ("indent", indent as Func),
    ("nindent", nindent as Func),
];

fn generic(msg: String) -> FuncError {
    FuncError::Generic(msg)
}

fn arity(name: &str, args: &[Value], n: usize) -> Result<(), FuncError> {
    if args.len() != n {
        return Err(FuncError::ExactlyXArgs(name.into(), n));
    }
    Ok(())
}

/// A string-ish argument. Missing values are an error (as in Go, where a missing map key cannot
/// be passed as a `string`), with a hint at `default`.
fn string_arg(name: &str, args: &[Value], i: usize) -> Result<String, FuncError> {
    match &args[i] {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::NoValue | Value::Nil => Err(generic(format!(
            "{name}: argument {} has no value (a missing field?); guard it with `default`",
            i + 1
        ))),
        _ => Err(generic(format!(
            "{name}: argument {} must be a string, not a list or map",
            i + 1
        ))),
    }
}

fn int_arg(name: &str, args: &[Value], i: usize) -> Result<usize, FuncError> {
    let n = match &args[i] {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    n.and_then(|n| usize::try_from(n).ok())
        .filter(|n| *n <= 1024)
        .ok_or_else(|| {
            generic(format!(
                "{name}: argument {} must be a number between 0 and 1024",
                i + 1
            ))
        })
}

fn b64enc(args: &[Value]) -> Result<Value, FuncError> {
    arity("b64enc", args, 1)?;
    let s = string_arg("b64enc", args, 0)?;
    Ok(Value::from(
        base64::engine::general_purpose::STANDARD.encode(s.as_bytes()),
    ))
}

/// Unlike sprig (which returns the decoder's error text as the result), invalid input is an error.
fn b64dec(args: &[Value]) -> Result<Value, FuncError> {
    arity("b64dec", args, 1)?;
    let s = string_arg("b64dec", args, 0)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s.trim().as_bytes())
        .map_err(|_| generic("b64dec: argument is not valid standard base64".into()))?;
    String::from_utf8(bytes)
        .map(Value::from)
        .map_err(|_| generic("b64dec: decoded bytes are not UTF-8 text".into()))
}

/// Go's `url.QueryEscape`: unreserved bytes stay, space becomes `+`, everything else `%XX`.
pub(crate) fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Go's `urlquery`: the arguments are concatenated, then query-escaped.
fn urlquery(args: &[Value]) -> Result<Value, FuncError> {
    if args.is_empty() {
        return Err(FuncError::AtLeastXArgs("urlquery".into(), 1));
    }
    let mut joined = String::new();
    for i in 0..args.len() {
        joined.push_str(&string_arg("urlquery", args, i)?);
    }
    Ok(Value::from(query_escape(&joined)))
}

/// Parts of a URL in the shape of sprig's `urlParse` (itself Go's `net/url.URL`): `scheme`,
/// `host` (host[:port] as written), `hostname` (no brackets, no port), `port` (as written, empty
/// when absent), `path` (percent-decoded), `query` (raw), `opaque`, `fragment`, `userinfo` (raw).
pub(crate) fn parse_url_parts(raw: &str) -> Result<HashMap<String, String>, String> {
    if raw.chars().any(|c| c.is_ascii_control() || c == ' ') {
        return Err("the URL contains spaces or control characters".into());
    }
    let mut rest = raw;
    let mut parts: HashMap<String, String> = [
        "scheme", "host", "hostname", "port", "path", "query", "opaque", "fragment", "userinfo",
    ]
    .iter()
    .map(|k| (k.to_string(), String::new()))
    .collect();
    if let Some((r, frag)) = rest.split_once('#') {
        parts.insert("fragment".into(), decode(frag)?);
        rest = r;
    }
    if let Some((r, q)) = rest.split_once('?') {
        parts.insert("query".into(), q.to_string());
        rest = r;
    }
    if let Some(colon) = rest.find(':') {
        let scheme = &rest[..colon];
        let valid = !scheme.is_empty()
            && scheme.as_bytes()[0].is_ascii_alphabetic()
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
        if valid {
            parts.insert("scheme".into(), scheme.to_ascii_lowercase());
            rest = &rest[colon + 1..];
            if !rest.starts_with('/') {
                parts.insert("opaque".into(), rest.to_string());
                return Ok(parts);
            }
        } else if !rest[..colon].contains('/') {
            return Err("first path segment in URL cannot contain a colon".into());
        }
    }
    if let Some(after) = rest.strip_prefix("//") {
        let end = after.find('/').unwrap_or(after.len());
        let mut authority = &after[..end];
        rest = &after[end..];
        if let Some(at) = authority.rfind('@') {
            parts.insert("userinfo".into(), authority[..at].to_string());
            authority = &authority[at + 1..];
        }
        let (hostname, port) = if let Some(v6) = authority.strip_prefix('[') {
            let close = v6
                .find(']')
                .ok_or_else(|| "missing ']' in IPv6 host".to_string())?;
            let after_bracket = &v6[close + 1..];
            let port = match after_bracket.strip_prefix(':') {
                Some(p) => p,
                None if after_bracket.is_empty() => "",
                None => return Err("invalid characters after IPv6 host".into()),
            };
            (&v6[..close], port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, p),
                None => (authority, ""),
            }
        };
        if !port.bytes().all(|b| b.is_ascii_digit()) {
            return Err("invalid port".into());
        }
        parts.insert("host".into(), authority.to_string());
        parts.insert("hostname".into(), hostname.to_string());
        parts.insert("port".into(), port.to_string());
    }
    parts.insert("path".into(), decode(rest)?);
    Ok(parts)
}

fn decode(s: &str) -> Result<String, String> {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| "percent-encoded bytes are not UTF-8".to_string())
}

fn url_parse(args: &[Value]) -> Result<Value, FuncError> {
    arity("urlParse", args, 1)?;
    let s = string_arg("urlParse", args, 0)?;
    let parts = parse_url_parts(&s).map_err(|e| generic(format!("urlParse: {e}")))?;
    Ok(Value::Map(
        parts
            .into_iter()
            .map(|(k, v)| (k, Value::from(v)))
            .collect(),
    ))
}

fn trim_suffix(args: &[Value]) -> Result<Value, FuncError> {
    arity("trimSuffix", args, 2)?;
    let suffix = string_arg("trimSuffix", args, 0)?;
    let s = string_arg("trimSuffix", args, 1)?;
    Ok(Value::from(
        s.strip_suffix(suffix.as_str()).unwrap_or(&s).to_string(),
    ))
}

fn trim_prefix(args: &[Value]) -> Result<Value, FuncError> {
    arity("trimPrefix", args, 2)?;
    let prefix = string_arg("trimPrefix", args, 0)?;
    let s = string_arg("trimPrefix", args, 1)?;
    Ok(Value::from(
        s.strip_prefix(prefix.as_str()).unwrap_or(&s).to_string(),
    ))
}

fn trim(args: &[Value]) -> Result<Value, FuncError> {
    arity("trim", args, 1)?;
    Ok(Value::from(string_arg("trim", args, 0)?.trim().to_string()))
}

/// sprig's notion of "empty": nil/missing, false, 0, "", and empty lists or maps.
fn is_empty(v: &Value) -> bool {
    match v {
        Value::NoValue | Value::Nil => true,
        Value::Bool(b) => !b,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Map(m) | Value::Object(m) => m.is_empty(),
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::Function(_) => false,
    }
}

/// `default DEFAULT VALUE`: VALUE unless it is empty.
fn default(args: &[Value]) -> Result<Value, FuncError> {
    match args {
        [d] => Ok(d.clone()),
        [d, v] => Ok(if is_empty(v) { d.clone() } else { v.clone() }),
        _ => Err(generic(
            "default takes a default and a value: default \"x\" .value".into(),
        )),
    }
}

fn empty(args: &[Value]) -> Result<Value, FuncError> {
    arity("empty", args, 1)?;
    Ok(Value::from(is_empty(&args[0])))
}

/// Go's `%q` for a string: double quotes, backslash escapes for `"`, `\` and control characters.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `quote A B …`: each non-nil argument Go-quoted, joined by spaces.
fn quote(args: &[Value]) -> Result<Value, FuncError> {
    let mut parts = Vec::new();
    for (i, v) in args.iter().enumerate() {
        if matches!(v, Value::NoValue | Value::Nil) {
            continue;
        }
        parts.push(go_quote(&string_arg("quote", args, i)?));
    }
    Ok(Value::from(parts.join(" ")))
}

/// `replace OLD NEW SRC`.
fn replace(args: &[Value]) -> Result<Value, FuncError> {
    arity("replace", args, 3)?;
    let old = string_arg("replace", args, 0)?;
    let new = string_arg("replace", args, 1)?;
    let src = string_arg("replace", args, 2)?;
    if old.is_empty() {
        return Err(generic("replace: the string to replace is empty".into()));
    }
    Ok(Value::from(src.replace(&old, &new)))
}

fn lower(args: &[Value]) -> Result<Value, FuncError> {
    arity("lower", args, 1)?;
    Ok(Value::from(string_arg("lower", args, 0)?.to_lowercase()))
}

fn upper(args: &[Value]) -> Result<Value, FuncError> {
    arity("upper", args, 1)?;
    Ok(Value::from(string_arg("upper", args, 0)?.to_uppercase()))
}

/// `contains SUBSTR S`.
fn contains(args: &[Value]) -> Result<Value, FuncError> {
    arity("contains", args, 2)?;
    let needle = string_arg("contains", args, 0)?;
    Ok(Value::from(
        string_arg("contains", args, 1)?.contains(&needle),
    ))
}

/// `hasPrefix PREFIX S`.
fn has_prefix(args: &[Value]) -> Result<Value, FuncError> {
    arity("hasPrefix", args, 2)?;
    let p = string_arg("hasPrefix", args, 0)?;
    Ok(Value::from(
        string_arg("hasPrefix", args, 1)?.starts_with(&p),
    ))
}

/// `hasSuffix SUFFIX S`.
fn has_suffix(args: &[Value]) -> Result<Value, FuncError> {
    arity("hasSuffix", args, 2)?;
    let p = string_arg("hasSuffix", args, 0)?;
    Ok(Value::from(string_arg("hasSuffix", args, 1)?.ends_with(&p)))
}

/// Template value → JSON. Missing values become `null`; functions cannot be encoded.
pub(crate) fn to_json_value(v: &Value) -> Result<serde_json::Value, FuncError> {
    Ok(match v {
        Value::NoValue | Value::Nil => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::String(s) => serde_json::Value::String(s.clone()),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                u.into()
            } else if let Some(i) = n.as_i64() {
                i.into()
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map(serde_json::Value::Number)
                    .unwrap_or(serde_json::Value::Null)
            }
        }
        Value::Array(a) => {
            serde_json::Value::Array(a.iter().map(to_json_value).collect::<Result<_, _>>()?)
        }
        Value::Map(m) | Value::Object(m) => {
            // Sorted keys, like Go's encoding/json for maps.
            let sorted: std::collections::BTreeMap<_, _> = m.iter().collect();
            let mut out = serde_json::Map::new();
            for (k, v) in sorted {
                out.insert(k.clone(), to_json_value(v)?);
            }
            serde_json::Value::Object(out)
        }
        Value::Function(_) => return Err(generic("toJson: cannot encode a function".into())),
    })
}

fn to_json(args: &[Value]) -> Result<Value, FuncError> {
    arity("toJson", args, 1)?;
    let json = to_json_value(&args[0])?;
    serde_json::to_string(&json)
        .map(Value::from)
        .map_err(|_| generic("toJson: value cannot be encoded".into()))
}

fn indent_str(n: usize, s: &str) -> String {
    let pad = " ".repeat(n);
    format!("{pad}{}", s.replace('\n', &format!("\n{pad}")))
}

/// `indent N S`: prefixes every line of S with N spaces.
fn indent(args: &[Value]) -> Result<Value, FuncError> {
    arity("indent", args, 2)?;
    let n = int_arg("indent", args, 0)?;
    Ok(Value::from(indent_str(n, &string_arg("indent", args, 1)?)))
}

/// `nindent N S`: a newline, then `indent N S`.
fn nindent(args: &[Value]) -> Result<Value, FuncError> {
    arity("nindent", args, 2)?;
    let n = int_arg("nindent", args, 0)?;
    Ok(Value::from(format!(
        "\n{}",
        indent_str(n, &string_arg("nindent", args, 1)?)
    )))
}
