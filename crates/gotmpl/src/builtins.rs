//! Go's built-in template functions (`and`, `or`, `not`, `len`, `index`, `slice`, `print`,
//! `printf`, `println`, `html`, `js`, `urlquery`, `eq`, `ne`, `lt`, `le`, `gt`, `ge`, `call`).

use std::sync::{Arc, OnceLock};

use crate::fmt::{sprint, sprintf, sprintln};
use crate::{Arity, FuncError, FuncMap, Function, Ty, Value};

type FResult = Result<Value, FuncError>;

const ANY1: &[Ty] = &[Ty::Any];
const ANY2: &[Ty] = &[Ty::Any, Ty::Any];

fn all() -> &'static FuncMap {
    static B: OnceLock<FuncMap> = OnceLock::new();
    B.get_or_init(|| {
        let mut m = FuncMap::new();
        m.insert(Function::new("and", Arity::Variadic(ANY1, Ty::Any), |a| {
            Ok(a.iter()
                .find(|v| !v.truthy())
                .unwrap_or(&a[a.len() - 1])
                .clone())
        }));
        m.insert(Function::new("or", Arity::Variadic(ANY1, Ty::Any), |a| {
            Ok(a.iter()
                .find(|v| v.truthy())
                .unwrap_or(&a[a.len() - 1])
                .clone())
        }));
        m.insert(Function::new("not", Arity::Fixed(ANY1), |a| {
            Ok(Value::Bool(!a[0].truthy()))
        }));
        m.insert(Function::new("call", Arity::Variadic(ANY1, Ty::Any), |a| {
            Err(FuncError::new(match &a[0] {
                Value::Nil => "call of nil".to_string(),
                v => format!("non-function of type {}", v.type_name()),
            }))
        }));
        m.insert(Function::new("len", Arity::Fixed(ANY1), |a| {
            length(&a[0], false)
        }));
        m.insert(Function::new(
            "index",
            Arity::Variadic(ANY1, Ty::Any),
            |a| index(&a[0], &[], &a[1..]),
        ));
        m.insert(Function::new(
            "slice",
            Arity::Variadic(ANY1, Ty::Any),
            |a| slice(&a[0], &[], &a[1..], &[]),
        ));
        m.insert(Function::new("print", Arity::Variadic(&[], Ty::Any), |a| {
            Ok(Value::from(sprint(a)))
        }));
        m.insert(Function::new(
            "println",
            Arity::Variadic(&[], Ty::Any),
            |a| Ok(Value::from(sprintln(a))),
        ));
        m.insert(Function::new(
            "printf",
            Arity::Variadic(&[Ty::String], Ty::Any),
            |a| {
                Ok(Value::from(sprintf(
                    a[0].as_bytes().unwrap_or(b""),
                    &a[1..],
                )))
            },
        ));
        m.insert(Function::new("html", Arity::Variadic(&[], Ty::Any), |a| {
            Ok(Value::from(html_escape(eval_args(a).as_bytes())))
        }));
        m.insert(Function::new("js", Arity::Variadic(&[], Ty::Any), |a| {
            Ok(Value::from(js_escape(eval_args(a).as_bytes())))
        }));
        m.insert(Function::new(
            "urlquery",
            Arity::Variadic(&[], Ty::Any),
            |a| Ok(Value::from(query_escape(eval_args(a).as_bytes()))),
        ));
        m.insert(Function::new("eq", Arity::Variadic(ANY1, Ty::Any), |a| {
            eq(&a[0], &a[1..], &[]).map(Value::Bool)
        }));
        m.insert(Function::new("ne", Arity::Fixed(ANY2), |a| {
            eq(&a[0], &a[1..2], &[]).map(|b| Value::Bool(!b))
        }));
        m.insert(Function::new("lt", Arity::Fixed(ANY2), |a| {
            lt(&a[0], &a[1], &[]).map(Value::Bool)
        }));
        m.insert(Function::new("le", Arity::Fixed(ANY2), |a| {
            le(&a[0], &a[1], &[]).map(Value::Bool)
        }));
        m.insert(Function::new("gt", Arity::Fixed(ANY2), |a| {
            le(&a[0], &a[1], &[]).map(|b| Value::Bool(!b))
        }));
        m.insert(Function::new("ge", Arity::Fixed(ANY2), |a| {
            lt(&a[0], &a[1], &[]).map(|b| Value::Bool(!b))
        }));
        m
    })
}

/// Go's built-in functions, as a [`FuncMap`] (always present in every template).
pub fn builtins() -> FuncMap {
    all().clone()
}

/// True when `f` is one of the built-ins (not a same-named user function), which turns on
/// Go's special evaluation of `and`, `or` and `call`.
pub(crate) fn is_builtin(f: &Function) -> bool {
    all()
        .get(f.name)
        .is_some_and(|b| Arc::ptr_eq(&b.call, &f.call))
}

/// The built-ins whose messages name Go types, called with whether each argument came
/// from the template's data (data integers are Go `int64`, template-made ones `int`).
/// `None` for other names.
///
/// `iface` marks arguments passed straight from an `interface{}` slot (a map entry or list
/// element), which Go's `slice` does not unwrap: such an index is an error there.
pub(crate) fn call_typed(
    name: &str,
    a: &[Value],
    data: &[bool],
    iface: &[bool],
) -> Option<FResult> {
    let d0 = data.first().copied().unwrap_or(false);
    Some(match name {
        "len" => length(&a[0], d0),
        "index" => index(&a[0], data, &a[1..]),
        "slice" => slice(&a[0], data, &a[1..], iface),
        "eq" => eq(&a[0], &a[1..], data).map(Value::Bool),
        "ne" => eq(&a[0], &a[1..2], data).map(|b| Value::Bool(!b)),
        "lt" => lt(&a[0], &a[1], data).map(Value::Bool),
        "le" => le(&a[0], &a[1], data).map(Value::Bool),
        "gt" => le(&a[0], &a[1], data).map(|b| Value::Bool(!b)),
        "ge" => lt(&a[0], &a[1], data).map(|b| Value::Bool(!b)),
        _ => return None,
    })
}

fn tn(v: &Value, data: bool) -> &str {
    crate::exec::go_type_name(v, data)
}

/// Whether argument `i` came from the data (see [`call_typed`]).
fn is_data(data: &[bool], i: usize) -> bool {
    data.get(i).copied().unwrap_or(false)
}

fn err<T>(msg: impl Into<String>) -> Result<T, FuncError> {
    Err(FuncError::new(msg))
}

fn length(v: &Value, data: bool) -> FResult {
    Ok(Value::int(match v {
        Value::String(s) => s.len() as i64,
        Value::List(l) => l.len() as i64,
        Value::Map(m) => m.len() as i64,
        Value::Nil => return err("reflect: call of reflect.Value.Type on zero Value"),
        other => return err(format!("len of type {}", tn(other, data))),
    }))
}

/// Go's `indexArg`: an integer index within `0..=cap`.
fn index_arg(i: &Value, data: bool, cap: usize) -> Result<usize, FuncError> {
    let x: i128 = match i {
        Value::Int(n, _) => *n as i128,
        Value::Uint(n, _) => *n as i64 as i128,
        Value::Nil => return err("cannot index slice/array with nil"),
        other => {
            return err(format!(
                "cannot index slice/array with type {}",
                tn(other, data)
            ))
        }
    };
    if x < 0 || x > cap as i128 {
        return err(format!("index out of range: {x}"));
    }
    Ok(x as usize)
}

fn index(item: &Value, data: &[bool], indexes: &[Value]) -> FResult {
    if matches!(item, Value::Nil) {
        return err("index of untyped nil");
    }
    let mut item = item.clone();
    for (k, i) in indexes.iter().enumerate() {
        let di = is_data(data, k + 1);
        item = match &item {
            Value::Nil => return err("index of nil pointer"),
            Value::List(l) => {
                let x = index_arg(i, di, l.len())?;
                match l.get(x) {
                    Some(v) => v.clone(),
                    None => return err("reflect: slice index out of range"),
                }
            }
            Value::String(s) => {
                let x = index_arg(i, di, s.len())?;
                match s.as_bytes().get(x) {
                    Some(b) => Value::Uint(*b as u64, crate::UintKind::Uint8),
                    None => return err("reflect: string index out of range"),
                }
            }
            Value::Map(m) => match i {
                Value::String(k) => m.get(&k.to_str_lossy()).unwrap_or(Value::Nil),
                Value::Nil => return err("value is nil; should be of type string"),
                other => {
                    return err(format!(
                        "value has type {}; should be string",
                        tn(other, di)
                    ))
                }
            },
            other => {
                return err(format!(
                    "can't index item of type {}",
                    tn(other, is_data(data, 0))
                ))
            }
        };
    }
    Ok(item)
}

/// The capacity Go's JSON decoder leaves on a decoded array of `len` elements (it appends
/// one element at a time), which `slice` may reach past `len`.
fn json_cap(len: usize) -> usize {
    if len == 0 || len > 512 {
        len
    } else {
        len.next_power_of_two()
    }
}

fn slice(item: &Value, data_flags: &[bool], indexes: &[Value], iface: &[bool]) -> FResult {
    let data = is_data(data_flags, 0);
    if matches!(item, Value::Nil) {
        return err("slice of untyped nil");
    }
    if indexes.len() > 3 {
        return err(format!("too many slice indexes: {}", indexes.len()));
    }
    let (len, cap) = match item {
        Value::String(s) => {
            if indexes.len() == 3 {
                return err("cannot 3-index slice a string");
            }
            (s.len(), s.len())
        }
        Value::List(l) if data => (l.len(), json_cap(l.len())),
        Value::List(l) => (l.len(), l.len()),
        other => return err(format!("can't slice item of type {}", tn(other, data))),
    };
    let mut idx = [0, len, 0];
    for (k, i) in indexes.iter().enumerate() {
        if is_data(iface, k + 1) {
            return err("cannot index slice/array with type interface {}");
        }
        idx[k] = index_arg(i, is_data(data_flags, k + 1), cap)?;
    }
    if idx[0] > idx[1] {
        return err(format!("invalid slice index: {} > {}", idx[0], idx[1]));
    }
    if indexes.len() == 3 && idx[1] > idx[2] {
        return err(format!("invalid slice index: {} > {}", idx[1], idx[2]));
    }
    Ok(match item {
        // Go slices the bytes, wherever the indexes fall.
        Value::String(s) => Value::from(&s.as_bytes()[idx[0]..idx[1]]),
        Value::List(l) => Value::list(
            (idx[0]..idx[1])
                .map(|k| l.get(k).cloned().unwrap_or(Value::Nil))
                .collect(),
        ),
        _ => unreachable!("checked above"),
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Invalid,
    Bool,
    Int,
    Float,
    String,
    Uint,
}

fn basic_kind(v: &Value) -> Kind {
    match v {
        Value::Bool(_) => Kind::Bool,
        Value::Int(..) => Kind::Int,
        Value::Uint(..) => Kind::Uint,
        Value::Float(_) => Kind::Float,
        Value::String(_) => Kind::String,
        _ => Kind::Invalid,
    }
}

fn same_shape(a: &Value, b: &Value) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

fn eq(a: &Value, rest: &[Value], data: &[bool]) -> Result<bool, FuncError> {
    if rest.is_empty() {
        return err("missing argument for comparison");
    }
    let k1 = basic_kind(a);
    let ta = tn(a, is_data(data, 0));
    for (j, b) in rest.iter().enumerate() {
        let tb = tn(b, is_data(data, j + 1));
        let k2 = basic_kind(b);
        let truth = if k1 != k2 {
            match (a, b) {
                (Value::Int(x, _), Value::Uint(y, _)) => *x >= 0 && *x as u64 == *y,
                (Value::Uint(x, _), Value::Int(y, _)) => *y >= 0 && *x == *y as u64,
                (Value::Nil, _) | (_, Value::Nil) => false,
                _ => return err(format!("incompatible types for comparison: {ta} and {tb}")),
            }
        } else {
            match (a, b) {
                (Value::Bool(x), Value::Bool(y)) => x == y,
                (Value::Int(x, _), Value::Int(y, _)) => x == y,
                (Value::Uint(x, _), Value::Uint(y, _)) => x == y,
                (Value::Float(x), Value::Float(y)) => x == y,
                (Value::String(x), Value::String(y)) => x == y,
                _ => {
                    let nil_a = matches!(a, Value::Nil);
                    let nil_b = matches!(b, Value::Nil);
                    if !same_shape(a, b) && !nil_a && !nil_b {
                        return err(sprintf(
                            "non-comparable types %s: %v, %s: %v",
                            &[
                                a.clone(),
                                Value::from(a.type_name()),
                                Value::from(b.type_name()),
                                b.clone(),
                            ],
                        )
                        .to_string());
                    }
                    if nil_a || nil_b {
                        nil_a == nil_b
                    } else if let (Value::Object(x), Value::Object(y)) = (a, b) {
                        x.type_name() == y.type_name() && x.fmt_v() == y.fmt_v()
                    } else {
                        return err(sprintf(
                            "non-comparable type %s: %v",
                            &[b.clone(), Value::from(tb)],
                        )
                        .to_string());
                    }
                }
            }
        };
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

fn lt(a: &Value, b: &Value, data: &[bool]) -> Result<bool, FuncError> {
    let (k1, k2) = (basic_kind(a), basic_kind(b));
    if k1 == Kind::Invalid || k2 == Kind::Invalid {
        return err("invalid type for comparison");
    }
    if k1 != k2 {
        return match (a, b) {
            (Value::Int(x, _), Value::Uint(y, _)) => Ok(*x < 0 || (*x as u64) < *y),
            (Value::Uint(x, _), Value::Int(y, _)) => Ok(*y >= 0 && *x < *y as u64),
            _ => err(format!(
                "incompatible types for comparison: {} and {}",
                tn(a, is_data(data, 0)),
                tn(b, is_data(data, 1))
            )),
        };
    }
    Ok(match (a, b) {
        (Value::Int(x, _), Value::Int(y, _)) => x < y,
        (Value::Uint(x, _), Value::Uint(y, _)) => x < y,
        (Value::Float(x), Value::Float(y)) => x < y,
        (Value::String(x), Value::String(y)) => x < y,
        _ => return err("invalid type for comparison"),
    })
}

fn le(a: &Value, b: &Value, data: &[bool]) -> Result<bool, FuncError> {
    if lt(a, b, data)? {
        return Ok(true);
    }
    eq(a, std::slice::from_ref(b), data)
}

/// Go's `evalArgs` for the escapers: one string argument as is, otherwise `fmt.Sprint`
/// with untyped nils printed as `<no value>`.
fn eval_args(args: &[Value]) -> crate::Str {
    if let [Value::String(s)] = args {
        return s.clone();
    }
    let fixed: Vec<Value> = args
        .iter()
        .map(|a| match a {
            Value::Nil => Value::from("<no value>"),
            v => v.clone(),
        })
        .collect();
    sprint(&fixed)
}

/// Go's `template.HTMLEscape`: byte by byte, so bytes outside valid UTF-8 pass through.
pub fn html_escape(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    for &c in s {
        match c {
            0 => out.extend_from_slice("\u{FFFD}".as_bytes()),
            b'"' => out.extend_from_slice(b"&#34;"),
            b'\'' => out.extend_from_slice(b"&#39;"),
            b'&' => out.extend_from_slice(b"&amp;"),
            b'<' => out.extend_from_slice(b"&lt;"),
            b'>' => out.extend_from_slice(b"&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Go's `template.JSEscape`. Non-ASCII input is decoded rune by rune: printable runes are
/// copied as they are, others written `\uXXXX`; a byte outside valid UTF-8 reads as U+FFFD,
/// which is printable, so Go copies that byte unchanged.
pub fn js_escape(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        match c {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\'' => out.extend_from_slice(b"\\'"),
            b'"' => out.extend_from_slice(b"\\\""),
            b'<' => out.extend_from_slice(b"\\u003C"),
            b'>' => out.extend_from_slice(b"\\u003E"),
            b'&' => out.extend_from_slice(b"\\u0026"),
            b'=' => out.extend_from_slice(b"\\u003D"),
            c if c < 0x20 => out.extend_from_slice(format!("\\u00{c:02X}").as_bytes()),
            c if c < 0x80 => out.push(c),
            _ => {
                let (r, size) = crate::gostr::decode_rune(&s[i..]);
                if crate::strconv::is_print(r) {
                    out.extend_from_slice(&s[i..i + size]);
                } else {
                    out.extend_from_slice(format!("\\u{:04X}", r as u32).as_bytes());
                }
                i += size;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// Go's `url.QueryEscape` (byte by byte; the result is ASCII).
pub fn query_escape(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fmt::format_v;

    #[test]
    fn comparisons() {
        assert!(eq(&Value::int(1), &[Value::int(2), Value::int(1)], &[]).unwrap());
        assert!(eq(&Value::int(1), &[Value::uint64(1)], &[]).unwrap());
        assert_eq!(
            eq(&Value::int64(1), &[Value::Float(1.0)], &[true])
                .unwrap_err()
                .0,
            "incompatible types for comparison: int64 and float64"
        );
        assert!(eq(&Value::Nil, &[Value::Nil], &[]).unwrap());
        assert!(!eq(&Value::Nil, &[Value::int(1)], &[]).unwrap());
        assert_eq!(
            lt(&Value::Nil, &Value::int(1), &[]).unwrap_err().0,
            "invalid type for comparison"
        );
        assert!(lt(&Value::int(-1), &Value::uint64(0), &[]).unwrap());
        assert!(le(&Value::from("a"), &Value::from("a"), &[]).unwrap());
    }

    #[test]
    fn indexing() {
        let l = Value::list(vec![Value::int(1), Value::int(2)]);
        assert_eq!(format_v(&index(&l, &[], &[Value::int(1)]).unwrap()), "2");
        assert_eq!(
            index(&l, &[], &[Value::int(3)]).unwrap_err().0,
            "index out of range: 3"
        );
        assert_eq!(
            index(&l, &[], &[Value::int(2)]).unwrap_err().0,
            "reflect: slice index out of range"
        );
        assert_eq!(
            format_v(&index(&Value::from("abc"), &[], &[Value::int(0)]).unwrap()),
            "97"
        );
        assert_eq!(
            index(&Value::Nil, &[], &[]).unwrap_err().0,
            "index of untyped nil"
        );
        assert_eq!(
            format_v(
                &slice(
                    &Value::from("hello"),
                    &[],
                    &[Value::int(1), Value::int(3)],
                    &[]
                )
                .unwrap()
            ),
            "el"
        );
        assert_eq!(
            slice(&l, &[], &[Value::int(2), Value::int(1)], &[])
                .unwrap_err()
                .0,
            "invalid slice index: 2 > 1"
        );
    }

    #[test]
    fn data_types_and_capacity() {
        let l = Value::list(vec![Value::int64(1), Value::int64(2), Value::int64(3)]);
        assert_eq!(
            index(&l, &[true], &[Value::int(0), Value::int(0)])
                .unwrap_err()
                .0,
            "can't index item of type int64"
        );
        assert_eq!(
            length(&Value::int64(3), true).unwrap_err().0,
            "len of type int64"
        );
        // A decoded 3-element list has capacity 4 in Go; a made one has capacity 3.
        assert_eq!(
            format_v(&slice(&l, &[true], &[Value::int(0), Value::int(4)], &[]).unwrap()),
            "[1 2 3 <nil>]"
        );
        assert!(slice(&l, &[false], &[Value::int(0), Value::int(4)], &[]).is_err());
    }

    #[test]
    fn escapers() {
        assert_eq!(
            html_escape(b"<a href=\"x\">'&'</a>"),
            b"&lt;a href=&#34;x&#34;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(
            js_escape(b"a'b\"c<d>=\n"),
            b"a\\'b\\\"c\\u003Cd\\u003E\\u003D\\u000A"
        );
        assert_eq!(query_escape("a b&c=d/é".as_bytes()), "a+b%26c%3Dd%2F%C3%A9");
        // Go 1.27: bytes outside UTF-8 pass through html and js (js reads one as U+FFFD,
        // which is printable, and copies the byte); urlquery escapes them.
        assert_eq!(html_escape(b"a\xff<"), b"a\xff&lt;");
        assert_eq!(js_escape(b"a\xffb\xe2\x80\xa8"), b"a\xffb\\u2028");
        assert_eq!(query_escape(b"\xff"), "%FF");
    }
}
