//! Sprig's JSON functions over Go's `encoding/json`: `toJson`, `toPrettyJson`, `toRawJson`,
//! `fromJson` and their `must*` forms, with Go's output bytes (sorted keys, HTML escaping,
//! float formatting) and Go's decoder error messages.

use std::collections::BTreeMap;

use super::bytes_arg;
use super::ty::{A, S};
use crate::{Arity, FuncError, FuncMap, Function, Value};

pub(super) fn register(m: &mut FuncMap) {
    use Arity::Fixed;
    let enc = |name, html, indent, must| {
        Function::new(name, Fixed(&[A]), move |a: &[Value]| {
            match encode(&a[0], html, indent) {
                Ok(s) => Ok(Value::from(s)),
                Err(e) if must => Err(e),
                Err(_) => Ok(Value::from("")),
            }
        })
    };
    m.insert(enc("toJson", true, false, false));
    m.insert(enc("mustToJson", true, false, true));
    m.insert(enc("toPrettyJson", true, true, false));
    m.insert(enc("mustToPrettyJson", true, true, true));
    // toRawJson panics on an error, which the template reports like mustToRawJson's error.
    m.insert(enc("toRawJson", false, false, true));
    m.insert(enc("mustToRawJson", false, false, true));
    m.insert(Function::new("fromJson", Fixed(&[S]), |a: &[Value]| {
        Ok(decode(bytes_arg(a, 0)).0)
    }));
    m.insert(Function::new(
        "mustFromJson",
        Fixed(&[S]),
        |a: &[Value]| match decode(bytes_arg(a, 0)) {
            (v, None) => Ok(v),
            (_, Some(e)) => Err(FuncError::new(e)),
        },
    ));
}

/// `json.Marshal` (`html` escapes `<>&`), or `json.MarshalIndent(v, "", "  ")` when `indent`.
/// Iterative, so deeply nested values cannot exhaust the stack.
pub(crate) fn encode(v: &Value, html: bool, indent: bool) -> Result<String, FuncError> {
    let mut out = String::new();
    write_value(&mut out, v, html, indent, 0)?;
    Ok(out)
}

fn newline(out: &mut String, depth: usize) {
    out.push('\n');
    for _ in 0..depth {
        out.push_str("  ");
    }
}

/// An open list or map being written (maps as a snapshot of their entries).
enum Open {
    List(std::sync::Arc<Vec<Value>>, usize),
    Map(std::vec::IntoIter<(String, Value)>, bool),
}

fn write_value(
    out: &mut String,
    v: &Value,
    html: bool,
    indent: bool,
    base: usize,
) -> Result<(), FuncError> {
    let mut stack: Vec<Open> = Vec::new();
    let mut next = Some(v.clone());
    loop {
        if let Some(v) = next.take() {
            match v {
                Value::Nil => out.push_str("null"),
                Value::Bool(b) => out.push_str(if b { "true" } else { "false" }),
                Value::Int(i, _) => out.push_str(&i.to_string()),
                Value::Uint(u, _) => out.push_str(&u.to_string()),
                Value::Float(f) => out.push_str(&float(f)?),
                // Go 1.27's encoder writes each byte outside valid UTF-8 as U+FFFD.
                Value::String(s) => write_string(out, &s.to_str_lossy(), html),
                Value::List(l) if l.is_empty() => out.push_str("[]"),
                Value::List(l) => {
                    out.push('[');
                    stack.push(Open::List(l, 0));
                }
                Value::Map(m) => {
                    let snap = m.snapshot();
                    if snap.is_empty() {
                        out.push_str("{}");
                    } else {
                        out.push('{');
                        let entries: Vec<(String, Value)> =
                            snap.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                        stack.push(Open::Map(entries.into_iter(), true));
                    }
                }
                // What an object marshals as is a small plain value (a time or version string).
                Value::Object(o) => match o.json() {
                    Some(j) => write_value(out, &j, html, indent, base + stack.len())?,
                    None => out.push_str("{}"),
                },
            }
        }
        let depth = base + stack.len();
        let Some(top) = stack.last_mut() else {
            return Ok(());
        };
        let (first, item) = match top {
            Open::List(l, i) => {
                let first = *i == 0;
                let item = l.get(*i).cloned().map(|v| (None, v));
                *i += 1;
                (first, item)
            }
            Open::Map(it, first) => (
                std::mem::replace(first, false),
                it.next().map(|(k, v)| (Some(k), v)),
            ),
        };
        match item {
            Some((key, v)) => {
                if !first {
                    out.push(',');
                }
                if indent {
                    newline(out, depth);
                }
                if let Some(k) = key {
                    write_string(out, &k, html);
                    out.push(':');
                    if indent {
                        out.push(' ');
                    }
                }
                next = Some(v);
            }
            None => {
                let close = match stack.pop() {
                    Some(Open::List(..)) => ']',
                    _ => '}',
                };
                if indent {
                    newline(out, depth - 1);
                }
                out.push(close);
            }
        }
    }
}

/// encoding/json's float64 text: shortest digits, `%e` style below 1e-6 and from 1e21 on.
fn float(f: f64) -> Result<String, FuncError> {
    if !f.is_finite() {
        let s = if f.is_nan() {
            "NaN"
        } else if f > 0.0 {
            "+Inf"
        } else {
            "-Inf"
        };
        return Err(FuncError::new(format!("json: unsupported value: {s}")));
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let e = format!("{f:e}");
        let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        return Ok(if exp < 0 {
            format!("{mant}e-{}", -exp)
        } else {
            format!("{mant}e+{exp:02}")
        });
    }
    Ok(format!("{f}"))
}

fn write_string(out: &mut String, s: &str, html: bool) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' if html => {
                out.push_str("\\u00");
                out.push(HEX[(c as usize) >> 4] as char);
                out.push(HEX[(c as usize) & 15] as char);
            }
            c if (c as u32) < 0x20 => {
                out.push_str("\\u00");
                out.push(HEX[(c as usize) >> 4] as char);
                out.push(HEX[(c as usize) & 15] as char);
            }
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `json.Unmarshal` into `interface{}`: numbers become float64. Returns the decoded value and
/// Go's error text; like Go 1.27, a number out of float64 range leaves 0 in its place and the
/// error names its JSON path.
pub(crate) fn decode(s: &[u8]) -> (Value, Option<String>) {
    let mut p = Parser {
        b: s,
        i: 0,
        range_err: None,
        path: Vec::new(),
    };
    let r = (|| {
        p.ws();
        let v = p.value()?;
        p.ws();
        if p.i < p.b.len() {
            return Err(p.bad("after top-level value"));
        }
        Ok(v)
    })();
    match r {
        Ok(v) => {
            let e = p.range_err.take();
            (v, e)
        }
        Err(e) => (Value::Nil, Some(e)),
    }
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
    range_err: Option<String>,
    /// Where the parser is: object keys (`Ok`) and array indexes (`Err`).
    path: Vec<Result<String, usize>>,
}

/// Go's `quoteChar` of one input character (its bytes: a byte outside valid UTF-8 alone).
fn quote_char(c: &[u8]) -> String {
    match c {
        b"'" => "'\\''".into(),
        b"\"" => "'\"'".into(),
        _ => {
            let q = crate::fmt::sprintf("%q", &[Value::from(c)]).to_string();
            format!("'{}'", &q[1..q.len() - 1])
        }
    }
}

const EOF: &str = "unexpected end of JSON input";

/// Deepest nesting `fromJson` accepts (Go: 10000).
const MAX_DEPTH: usize = 1000;

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    /// "invalid character 'x' CONTEXT" for the current byte, or the EOF error.
    fn bad(&self, context: &str) -> String {
        // Go 1.27's decoder reports whole UTF-8 characters (a byte outside one as `'\xff'`).
        let rest = &self.b[self.i.min(self.b.len())..];
        if rest.is_empty() {
            return EOF.into();
        }
        let (_, w) = crate::gostr::decode_rune(rest);
        format!("invalid character {} {context}", quote_char(&rest[..w]))
    }

    /// One JSON value, iteratively (an explicit stack of open arrays and objects).
    fn value(&mut self) -> Result<Value, String> {
        enum Frame {
            Arr(Vec<Value>),
            Obj(BTreeMap<String, Value>),
        }
        let mut stack: Vec<Frame> = Vec::new();
        'value: loop {
            let Some(&c) = self.b.get(self.i) else {
                return Err(EOF.into());
            };
            let mut v = match c {
                b'{' | b'[' => {
                    // Go allows 10000 levels; 1000 keeps the recursive drop of the result
                    // within small thread stacks.
                    if stack.len() >= MAX_DEPTH {
                        return Err("exceeded max depth".into());
                    }
                    self.i += 1;
                    self.ws();
                    if c == b'{' {
                        if self.b.get(self.i) == Some(&b'}') {
                            self.i += 1;
                            Value::map(BTreeMap::new())
                        } else {
                            let k = self.key()?;
                            self.path.push(Ok(k));
                            stack.push(Frame::Obj(BTreeMap::new()));
                            continue 'value;
                        }
                    } else if self.b.get(self.i) == Some(&b']') {
                        self.i += 1;
                        Value::list(Vec::new())
                    } else {
                        self.path.push(Err(0));
                        stack.push(Frame::Arr(Vec::new()));
                        continue 'value;
                    }
                }
                b'"' => self.string().map(Value::from)?,
                b'-' | b'0'..=b'9' => self.number()?,
                b't' => self.literal("true", Value::Bool(true))?,
                b'f' => self.literal("false", Value::Bool(false))?,
                b'n' => self.literal("null", Value::Nil)?,
                _ => return Err(self.bad("looking for beginning of value")),
            };
            // Store the value in its container; close the containers that end here.
            loop {
                let key = match self.path.pop() {
                    Some(Ok(k)) => Some(k),
                    _ => None,
                };
                let closed = match stack.last_mut() {
                    None => return Ok(v),
                    Some(Frame::Arr(l)) => {
                        l.push(v);
                        self.ws();
                        match self.b.get(self.i) {
                            Some(b',') => {
                                self.i += 1;
                                self.ws();
                                self.path.push(Err(l.len()));
                                continue 'value;
                            }
                            Some(b']') => {
                                self.i += 1;
                                true
                            }
                            _ => return Err(self.bad("after array element")),
                        }
                    }
                    Some(Frame::Obj(m)) => {
                        m.insert(key.unwrap_or_default(), v);
                        self.ws();
                        match self.b.get(self.i) {
                            Some(b',') => {
                                self.i += 1;
                                self.ws();
                                let k = self.key()?;
                                self.path.push(Ok(k));
                                continue 'value;
                            }
                            Some(b'}') => {
                                self.i += 1;
                                true
                            }
                            _ => return Err(self.bad("after object key:value pair")),
                        }
                    }
                };
                debug_assert!(closed);
                v = match stack.pop() {
                    Some(Frame::Arr(l)) => Value::list(l),
                    Some(Frame::Obj(m)) => Value::map(m),
                    None => return Ok(Value::Nil),
                };
            }
        }
    }

    /// An object key and its colon: `"key" :`.
    fn key(&mut self) -> Result<String, String> {
        if self.b.get(self.i) != Some(&b'"') {
            return Err(self.bad("looking for beginning of object key string"));
        }
        let k = self.string()?;
        self.ws();
        if self.b.get(self.i) != Some(&b':') {
            return Err(self.bad("after object key"));
        }
        self.i += 1;
        self.ws();
        Ok(k)
    }

    fn literal(&mut self, word: &str, v: Value) -> Result<Value, String> {
        for (k, &want) in word.as_bytes().iter().enumerate().skip(1) {
            self.i += 1;
            match self.b.get(self.i) {
                None => return Err(EOF.into()),
                Some(&c) if c != want => {
                    return Err(self.bad(&format!(
                        "in literal {word} (expecting {})",
                        quote_char(&word.as_bytes()[k..=k])
                    )))
                }
                _ => {}
            }
        }
        self.i += 1;
        Ok(v)
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while self.i < self.b.len() && self.b[self.i].is_ascii_digit() {
            self.i += 1;
        }
        self.i - start
    }

    fn number(&mut self) -> Result<Value, String> {
        let start = self.i;
        if self.b[self.i] == b'-' {
            self.i += 1;
            match self.b.get(self.i) {
                None => return Err(EOF.into()),
                Some(c) if !c.is_ascii_digit() => return Err(self.bad("in numeric literal")),
                _ => {}
            }
        }
        if self.b[self.i] == b'0' {
            self.i += 1;
        } else {
            self.digits();
        }
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return Err(self.bad("in numeric literal"));
            }
        }
        if matches!(self.b.get(self.i), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.b.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(self.bad("in numeric literal"));
            }
        }
        let text = std::str::from_utf8(&self.b[start..self.i]).unwrap_or("0");
        match text.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Value::Float(f)),
            _ => {
                if self.range_err.is_none() {
                    self.range_err = Some(format!(
                        "json: cannot unmarshal number {text} into {} of type float64",
                        self.where_()
                    ));
                }
                Ok(Value::Float(0.0))
            }
        }
    }

    /// Go 1.27's description of the current position in an unmarshal type error.
    fn where_(&self) -> String {
        let comp = |c: &Result<String, usize>| match c {
            Ok(k) => format!(".{}", k.replace('~', "~0").replace('/', "~1")),
            Err(i) => format!(".{i}"),
        };
        match self.path.split_last() {
            None => "Go value".into(),
            Some((Ok(key), parent)) => {
                let parent: String = parent.iter().map(comp).collect();
                let field = key.replace('~', "~0").replace('/', "~1");
                if parent.is_empty() && field.is_empty() {
                    "Go value".into()
                } else {
                    format!("Go struct field {parent}.{field}")
                }
            }
            Some((Err(_), _)) => self.path.iter().map(comp).collect(),
        }
    }

    fn string(&mut self) -> Result<String, String> {
        self.i += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(&c) = self.b.get(self.i) else {
                return Err(EOF.into());
            };
            match c {
                b'"' => {
                    self.i += 1;
                    // Go reads each byte outside valid UTF-8 in a string as U+FFFD.
                    return Ok(crate::gostr::lossy(&out).into_owned());
                }
                b'\\' => {
                    let esc_start = self.i;
                    self.i += 1;
                    let Some(&e) = self.b.get(self.i) else {
                        return Err(EOF.into());
                    };
                    let simple = match e {
                        b'"' => Some('"'),
                        b'\\' => Some('\\'),
                        b'/' => Some('/'),
                        b'b' => Some('\u{8}'),
                        b'f' => Some('\u{c}'),
                        b'n' => Some('\n'),
                        b'r' => Some('\r'),
                        b't' => Some('\t'),
                        _ => None,
                    };
                    if let Some(ch) = simple {
                        out.extend_from_slice(ch.to_string().as_bytes());
                        self.i += 1;
                        continue;
                    }
                    if e != b'u' {
                        return Err(self.bad_escape(esc_start, 2));
                    }
                    let cp = self.hex4(esc_start)?;
                    let ch = if (0xD800..0xDC00).contains(&cp)
                        && self.b.get(self.i) == Some(&b'\\')
                        && self.b.get(self.i + 1) == Some(&b'u')
                    {
                        let save = self.i;
                        let lo = self.hex4(self.i)?;
                        if (0xDC00..0xE000).contains(&lo) {
                            char::from_u32(0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00))
                        } else {
                            self.i = save;
                            None
                        }
                    } else {
                        char::from_u32(cp)
                    };
                    out.extend_from_slice(ch.unwrap_or('\u{FFFD}').to_string().as_bytes());
                }
                c if c < 0x20 => return Err(self.bad("in string")),
                c => {
                    out.push(c);
                    self.i += 1;
                }
            }
        }
    }

    /// Reads `\uXXXX` starting at `at` (the backslash); leaves `i` after it.
    fn hex4(&mut self, at: usize) -> Result<u32, String> {
        self.i = at + 2;
        let mut v = 0u32;
        for _ in 0..4 {
            let Some(&h) = self.b.get(self.i) else {
                return Err(EOF.into());
            };
            let Some(d) = (h as char).to_digit(16) else {
                return Err(self.bad_escape(at, 6));
            };
            v = v * 16 + d;
            self.i += 1;
        }
        Ok(v)
    }

    fn bad_escape(&self, at: usize, len: usize) -> String {
        let end = (at + len).min(self.b.len());
        format!(
            "invalid escape sequence `{}` in string",
            crate::gostr::lossy(&self.b[at..end])
        )
    }
}
