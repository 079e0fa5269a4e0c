//! Sprig's general-purpose functions: strings, string lists, defaults, JSON, type conversion and
//! reflection, paths, regex, lists and dicts.
//!
//! Each submodule registers the functions of one sprig source file with their Go signatures
//! (`Arity`/`Ty`), so the executor performs Go's argument checks before a body runs. Bodies
//! still tolerate unexpected kinds (they never panic); Go panics inside sprig functions become
//! errors carrying the panic text, as `text/template` reports them (`error calling NAME: …`).
//!
//! Known differences from sprig v3.3 built with Go 1.27:
//! - Go types that [`Value`] cannot tell apart: `[]string`/`[]int` results are lists of
//!   interface values and `int64` results are `int` (so `typeOf`, `kindOf` and `%T` differ),
//!   and the rare empty-result cases where Go returns a nil slice print `[]` but `toJson` gives
//!   `[]` instead of `null`.
//! - Strings are Go strings (bytes, see [`crate::Str`]): the functions that work on bytes in Go
//!   (`substr`, `trunc`, `abbrev`, `wrap`, `slice`, `trim*`, `replace`, `split*`, `join`,
//!   `quote`, ...) keep bytes that are not UTF-8; those that work on runes read each such byte
//!   as U+FFFD, as Go's `for range` does (`upper`, `title`, the xstrings case functions, the
//!   regex functions; see the crate README's limits for where that is not Go's exact output).
//! - `keys` and `values` list in sorted key order (Go: random map order).
//! - `fromJson` accepts 1000 levels of nesting, not Go's 10000 (same error message).
//! - `repeat` refuses outputs over 64 MiB and `until`/`untilStep`/`seq` sequences over ten
//!   million elements (Go would try to allocate them).
//! - Unicode tables (case, letters, printable runes for `%q`) come from the `regex` crate and
//!   may be one Unicode version newer than Go's.

mod case;
mod defaults;
mod dicts;
mod gobytes;
mod json;
mod lists;
mod paths;
mod regex;
mod strings;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_more;

use std::borrow::Cow;

use crate::{Arity, FuncError, FuncMap, Function, Str, Value};

pub(super) fn register(m: &mut FuncMap) {
    let mut local = FuncMap::new();
    strings::register(&mut local);
    defaults::register(&mut local);
    json::register(&mut local);
    lists::register(&mut local);
    dicts::register(&mut local);
    paths::register(&mut local);
    regex::register(&mut local);
    // The executor checks argument counts before calling; the bodies index their arguments,
    // so they are guarded here too rather than trusting every caller.
    for f in local.iter() {
        let (name, arity, body) = (f.name, f.arity, f.call.clone());
        m.insert(Function::new(name, arity, move |a: &[Value]| {
            let (want, variadic) = match arity {
                Arity::Fixed(t) => (t.len(), false),
                Arity::Variadic(t, _) => (t.len(), true),
            };
            if a.len() < want || !variadic && a.len() > want {
                let at_least = if variadic { "at least " } else { "" };
                return Err(FuncError::new(format!(
                    "wrong number of args for {name}: want {at_least}{want} got {}",
                    a.len()
                )));
            }
            body(a)
        }));
    }
}

/// A `string` parameter as text, for functions Go writes over runes: each byte outside valid
/// UTF-8 reads as U+FFFD (free when the string is valid). The executor has checked the kind;
/// anything else reads as "".
fn sarg(args: &[Value], i: usize) -> Cow<'_, str> {
    args.get(i)
        .and_then(Value::as_str)
        .unwrap_or(Cow::Borrowed(""))
}

/// A `string` parameter's bytes, for functions Go writes over bytes.
fn bytes_arg(args: &[Value], i: usize) -> &[u8] {
    args.get(i).and_then(Value::as_bytes).unwrap_or(b"")
}

/// An `int` parameter (the executor has converted it; other kinds go through cast).
fn iarg(args: &[Value], i: usize) -> i64 {
    match args.get(i) {
        Some(Value::Int(n, _)) => *n,
        Some(v) => super::cast::to_int64(v),
        None => 0,
    }
}

/// A `bool` parameter.
fn barg(args: &[Value], i: usize) -> bool {
    match args.get(i) {
        Some(Value::Bool(b)) => *b,
        Some(v) => v.truthy(),
        None => false,
    }
}

/// The `[]string` result of a sprig function.
fn str_list<S: Into<Str>>(items: impl IntoIterator<Item = S>) -> Value {
    Value::list(items.into_iter().map(|s| Value::String(s.into())).collect())
}

/// What Go's runtime panics with when sprig calls `reflect.TypeOf(nil).Kind()`.
fn nil_deref() -> FuncError {
    FuncError::new("runtime error: invalid memory address or nil pointer dereference")
}

/// Go's `reflect.Kind` name of a value (`slice`, `map`, `string`, `int`, `struct`, `ptr`, …).
fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Nil => "invalid",
        Value::Bool(_) => "bool",
        Value::Int(_, k) => k.name(),
        Value::Uint(_, k) => k.name(),
        Value::Float(_) => "float64",
        Value::String(_) => "string",
        Value::List(_) => "slice",
        Value::Map(_) => "map",
        Value::Object(o) => {
            if o.as_int().is_some() {
                // Go's named integer types: Duration is an int64, Month and Weekday are ints.
                if o.type_name() == "time.Duration" {
                    "int64"
                } else {
                    "int"
                }
            } else if o.type_name().starts_with('*') {
                "ptr"
            } else {
                "struct"
            }
        }
    }
}

/// Go's `s[low:high]` on a string (bytes, wherever the indexes fall), with Go's panic message
/// when out of range.
fn go_slice(s: &[u8], low: Option<i64>, high: Option<i64>) -> Result<Value, FuncError> {
    let len = s.len() as i64;
    let lo = low.unwrap_or(0);
    let hi = high.unwrap_or(len);
    let msg = match (low, high) {
        (_, Some(h)) if h < 0 || h > len => {
            if h < 0 {
                format!("slice bounds out of range [:{h}]")
            } else {
                format!("slice bounds out of range [:{h}] with length {len}")
            }
        }
        (Some(l), None) if l > len || l < 0 => format!("slice bounds out of range [{l}:{len}]"),
        (Some(l), Some(h)) if l > h || l < 0 => format!("slice bounds out of range [{l}:{h}]"),
        _ => return Ok(Value::from(&s[lo as usize..hi as usize])),
    };
    Err(FuncError::new(format!("runtime error: {msg}")))
}

/// Ty shorthands for the registration tables.
mod ty {
    pub use crate::Ty::{Any as A, Bool as B, Int as I, Map as M, String as S};
}
