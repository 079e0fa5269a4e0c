//! Conversions sprig performs on `interface{}` arguments (spf13/cast `ToInt64`, `ToFloat64`,
//! `ToString`, ... and sprig's own `strval`), shared by every sprig module.
//!
//! Semantics follow spf13/cast v1.7 (the version sprig v3.3 builds with): strings are parsed
//! with Go's `strconv` rules (`ParseInt(s, 0, 0)` after trimming a zero decimal such as `"5.00"`,
//! `ParseFloat(s, 64)`, `ParseBool`), bools count as 0/1, nil is 0, and anything that cannot be
//! converted yields the zero value (cast's non-`E` functions swallow the error).
//!
//! Public helpers:
//! - [`to_int64`], [`to_int`], [`to_float64`], [`to_bool`]: cast's `ToInt64` & co.
//! - [`strval`], [`str_slice`]: sprig's `strval` and `strslice`.
//! - [`parse_int`], [`parse_uint`], [`parse_float`], [`parse_bool`]: Go's `strconv` parsers, with
//!   Go's error text (`strconv.ParseInt: parsing "x": invalid syntax`).
//! - [`float_to_i64`]: Go's `int64(f)` conversion as amd64 performs it.
//! - [`quote`]: Go's `strconv.Quote` (what `%q` prints for a string).

use crate::fmt::format_v;
use crate::{Str, Value};

/// cast.ToInt64: nil → 0, bool → 0/1, floats truncate, strings parse as Go integer literals
/// (`"0x1f"`, `"010"` octal, `"1_000"`, `"5.0"`); anything else is 0.
pub fn to_int64(v: &Value) -> i64 {
    match v {
        Value::Nil => 0,
        Value::Bool(b) => *b as i64,
        Value::Int(i, _) => *i,
        Value::Uint(u, _) => *u as i64,
        Value::Float(f) => float_to_i64(*f),
        Value::String(s) => parse_int(trim_zero_decimal(&s.to_str_lossy()), 0, 64).unwrap_or(0),
        Value::Object(o) => go_int_object(o.as_ref()).unwrap_or(0),
        Value::List(_) | Value::Map(_) => 0,
    }
}

/// cast's `toInt` special case: `time.Weekday` and `time.Month` count as their number (other
/// named integer types such as `time.Duration` are not converted by cast).
fn go_int_object(o: &dyn crate::Object) -> Option<i64> {
    match o.type_name() {
        "time.Weekday" | "time.Month" => o.as_int(),
        _ => None,
    }
}

/// cast.ToInt (Go's `int` is 64-bit on every platform the engine targets).
pub fn to_int(v: &Value) -> i64 {
    to_int64(v)
}

/// cast.ToFloat64: nil → 0, bool → 0/1, strings via `strconv.ParseFloat` (0 on error,
/// including out-of-range values such as `"1e400"`).
pub fn to_float64(v: &Value) -> f64 {
    match v {
        Value::Nil => 0.0,
        Value::Bool(b) => *b as i64 as f64,
        Value::Int(i, _) => *i as f64,
        Value::Uint(u, _) => *u as f64,
        Value::Float(f) => *f,
        Value::String(s) => parse_float(&s.to_str_lossy()).unwrap_or(0.0),
        Value::Object(o) => go_int_object(o.as_ref()).unwrap_or(0) as f64,
        Value::List(_) | Value::Map(_) => 0.0,
    }
}

/// cast.ToBool: numbers are true unless zero, strings via `strconv.ParseBool`, nil and
/// everything else false.
pub fn to_bool(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Int(i, _) => *i != 0,
        Value::Uint(u, _) => *u != 0,
        Value::Float(f) => *f != 0.0,
        Value::String(s) => parse_bool(&s.to_str_lossy()).unwrap_or(false),
        // cast.ToBool accepts time.Duration as a number.
        Value::Object(o) if o.type_name() == "time.Duration" => o.as_int().is_some_and(|n| n != 0),
        Value::Nil | Value::List(_) | Value::Map(_) | Value::Object(_) => false,
    }
}

/// sprig's `strval`: strings as they are (bytes and all), everything else as
/// `fmt.Sprintf("%v", v)`.
pub fn strval(v: &Value) -> Str {
    format_v(v)
}

/// sprig's `strslice`: a list becomes its non-nil elements through [`strval`], nil becomes an
/// empty list, any other value a one-element list.
pub fn str_slice(v: &Value) -> Vec<Str> {
    match v {
        Value::List(l) => l
            .iter()
            .filter(|x| !matches!(x, Value::Nil))
            .map(strval)
            .collect(),
        Value::Nil => Vec::new(),
        other => vec![strval(other)],
    }
}

/// Go's `int64(f)` on amd64: truncation toward zero; NaN and out-of-range values give
/// `math.MinInt64` (the "integer indefinite" value of CVTTSD2SQ).
pub fn float_to_i64(f: f64) -> i64 {
    if !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&f) {
        i64::MIN
    } else {
        f as i64
    }
}

/// cast's `trimZeroDecimal`: `"12.00"` → `"12"`, `"12.01"` and `"12."` unchanged.
fn trim_zero_decimal(s: &str) -> &str {
    let b = s.as_bytes();
    let mut found_zero = false;
    for i in (0..b.len()).rev() {
        match b[i] {
            b'.' if found_zero => return &s[..i],
            b'.' => {}
            b'0' => found_zero = true,
            _ => return s,
        }
    }
    s
}

/// A Go `strconv.NumError`, printed the way Go prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumError {
    pub func: &'static str,
    pub input: String,
    /// `true` for "value out of range", `false` for "invalid syntax" (or bad base).
    pub range: bool,
}

impl std::fmt::Display for NumError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "strconv.{}: parsing {}: {}",
            self.func,
            quote(&self.input),
            if self.range {
                "value out of range"
            } else {
                "invalid syntax"
            }
        )
    }
}

/// Go's `underscoreOK`: underscores only between digits or after a base prefix.
fn underscore_ok(s: &str) -> bool {
    let mut s = s.as_bytes();
    if let [b'+' | b'-', rest @ ..] = s {
        s = rest;
    }
    let mut saw = b'^';
    let mut i = 0;
    let mut hex = false;
    if s.len() >= 2 && s[0] == b'0' && matches!(s[1] | 0x20, b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = s[1] | 0x20 == b'x';
    }
    while i < s.len() {
        let c = s[i];
        i += 1;
        if c.is_ascii_digit() || hex && (c | 0x20).is_ascii_hexdigit() {
            saw = b'0';
            continue;
        }
        if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
            continue;
        }
        if saw == b'_' {
            return false;
        }
        saw = b'!';
    }
    saw != b'_'
}

/// Go's `strconv.ParseUint(s, base, bits)` (base 0 = Go literal syntax with prefixes and
/// underscores; bits 0 means 64).
pub fn parse_uint(s: &str, base: u32, bits: u32) -> Result<u64, NumError> {
    parse_uint_named(s, base, bits, "ParseUint")
}

fn parse_uint_named(s0: &str, base: u32, bits: u32, func: &'static str) -> Result<u64, NumError> {
    let syntax = || NumError {
        func,
        input: s0.to_string(),
        range: false,
    };
    let bits = if bits == 0 { 64 } else { bits.min(64) };
    if s0.is_empty() {
        return Err(syntax());
    }
    let base0 = base == 0;
    let mut s = s0.as_bytes();
    let mut base = base;
    if base0 {
        base = 10;
        if s[0] == b'0' {
            if s.len() >= 3 && s[1] | 0x20 == b'b' {
                base = 2;
                s = &s[2..];
            } else if s.len() >= 3 && s[1] | 0x20 == b'o' {
                base = 8;
                s = &s[2..];
            } else if s.len() >= 3 && s[1] | 0x20 == b'x' {
                base = 16;
                s = &s[2..];
            } else {
                base = 8;
                s = &s[1..];
            }
        }
    } else if !(2..=36).contains(&base) {
        return Err(syntax());
    }
    let max: u64 = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let mut n: u64 = 0;
    let mut underscores = false;
    let mut overflow = false;
    for &c in s {
        let d = match c {
            b'_' if base0 => {
                underscores = true;
                continue;
            }
            b'0'..=b'9' => (c - b'0') as u32,
            b'a'..=b'z' | b'A'..=b'Z' => ((c | 0x20) - b'a') as u32 + 10,
            _ => return Err(syntax()),
        };
        if d >= base {
            return Err(syntax());
        }
        // Go reports the overflow at once, whatever follows.
        match n
            .checked_mul(base as u64)
            .and_then(|m| m.checked_add(d as u64))
        {
            Some(v) if v <= max => n = v,
            _ => {
                overflow = true;
                break;
            }
        }
    }
    if overflow {
        return Err(NumError {
            func,
            input: s0.to_string(),
            range: true,
        });
    }
    if underscores && !underscore_ok(s0) {
        return Err(syntax());
    }
    Ok(n)
}

/// Go's `strconv.ParseInt(s, base, bits)` (bits 0 means 64).
pub fn parse_int(s0: &str, base: u32, bits: u32) -> Result<i64, NumError> {
    let bits = if bits == 0 { 64 } else { bits.min(64) };
    let err = |range| NumError {
        func: "ParseInt",
        input: s0.to_string(),
        range,
    };
    if s0.is_empty() {
        return Err(err(false));
    }
    let (neg, digits) = match s0.as_bytes()[0] {
        b'+' => (false, &s0[1..]),
        b'-' => (true, &s0[1..]),
        _ => (false, s0),
    };
    let un = match parse_uint_named(digits, base, bits, "ParseInt") {
        Ok(u) => u,
        Err(e) => return Err(err(e.range)),
    };
    let cutoff = 1u64 << (bits - 1);
    if !neg && un >= cutoff {
        return Err(err(true));
    }
    if neg && un > cutoff {
        return Err(err(true));
    }
    Ok(if neg {
        (un as i64).wrapping_neg()
    } else {
        un as i64
    })
}

/// Go's `strconv.ParseBool`.
pub fn parse_bool(s: &str) -> Result<bool, NumError> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(NumError {
            func: "ParseBool",
            input: s.to_string(),
            range: false,
        }),
    }
}

/// Go's `strconv.ParseFloat(s, 64)`: decimal and `0x…p…` hexadecimal literals with Go's
/// underscore rules, `inf`/`infinity`/`nan` in any case; overflow is a range error.
pub fn parse_float(s0: &str) -> Result<f64, NumError> {
    let err = |range| NumError {
        func: "ParseFloat",
        input: s0.to_string(),
        range,
    };
    if let Some(v) = special_float(s0) {
        return Ok(v);
    }
    let b = s0.as_bytes();
    let mut i = 0;
    let mut neg = false;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        neg = b[i] == b'-';
        i += 1;
    }
    let hex = i + 2 < b.len() && b[i] == b'0' && b[i + 1] | 0x20 == b'x';
    if hex {
        i += 2;
    }
    // Mantissa: digits (and underscores) with at most one dot.
    let mut mant = String::new();
    let mut saw_dot = false;
    let mut saw_digits = false;
    let mut underscores = false;
    while i < b.len() {
        let c = b[i];
        if c == b'_' {
            underscores = true;
        } else if c == b'.' {
            if saw_dot {
                break;
            }
            saw_dot = true;
            mant.push('.');
        } else if c.is_ascii_digit() || hex && c.is_ascii_hexdigit() {
            saw_digits = true;
            mant.push(c as char);
        } else {
            break;
        }
        i += 1;
    }
    if !saw_digits {
        return Err(err(false));
    }
    // Exponent: `e` for decimal, `p` (required) for hexadecimal.
    let mut exp: Option<i64> = None;
    if i < b.len() && b[i] | 0x20 == if hex { b'p' } else { b'e' } {
        i += 1;
        let mut eneg = false;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            eneg = b[i] == b'-';
            i += 1;
        }
        let start = i;
        let mut e: i64 = 0;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            if b[i] == b'_' {
                underscores = true;
            } else if e < 100_000_000 {
                e = e * 10 + (b[i] - b'0') as i64;
            }
            i += 1;
        }
        if !b[start..i].iter().any(u8::is_ascii_digit) {
            return Err(err(false));
        }
        exp = Some(if eneg { -e } else { e });
    }
    if i != b.len() || hex && exp.is_none() {
        return Err(err(false));
    }
    if underscores && !underscore_ok(s0) {
        return Err(err(false));
    }
    let v = if hex {
        hex_float(&mant, exp.unwrap_or(0))
    } else {
        let text = format!("{mant}e{}", exp.unwrap_or(0));
        text.parse::<f64>().map_err(|_| err(false))?
    };
    if v.is_infinite() {
        return Err(err(true));
    }
    Ok(if neg { -v } else { v })
}

/// Go's `special`: `[+-]inf`, `[+-]infinity`, `nan`, any letter case, the whole string.
fn special_float(s: &str) -> Option<f64> {
    let (sign, rest, signed) = match s.as_bytes().first() {
        Some(b'+') => (1.0, &s[1..], true),
        Some(b'-') => (-1.0, &s[1..], true),
        _ => (1.0, s, false),
    };
    if rest.eq_ignore_ascii_case("inf") || rest.eq_ignore_ascii_case("infinity") {
        return Some(sign * f64::INFINITY);
    }
    if !signed && rest.eq_ignore_ascii_case("nan") {
        return Some(f64::NAN);
    }
    None
}

/// Value of a hexadecimal mantissa (`1.8`) times 2^exp, rounded to nearest.
fn hex_float(mant: &str, exp: i64) -> f64 {
    let mut m: u128 = 0;
    let mut scale: i64 = 0;
    let mut sticky = false;
    let mut after_dot = false;
    for c in mant.chars() {
        if c == '.' {
            after_dot = true;
            continue;
        }
        let d = c.to_digit(16).unwrap_or(0) as u128;
        if m >> 120 == 0 {
            m = m * 16 + d;
            if after_dot {
                scale -= 4;
            }
        } else {
            sticky |= d != 0;
            if !after_dot {
                scale += 4;
            }
        }
    }
    if sticky {
        m |= 1;
    }
    let e = (exp + scale).clamp(-4000, 4000) as i32;
    // Split the power of two so intermediate results stay finite/normal where possible.
    let mut v = m as f64;
    let mut e = e;
    while e > 0 {
        let step = e.min(1000);
        v *= 2f64.powi(step);
        e -= step;
    }
    while e < 0 {
        let step = (-e).min(1000);
        v /= 2f64.powi(step);
        e += step;
    }
    v
}

/// Go's `strconv.Quote`: a double-quoted Go string literal, escaping control characters,
/// non-printable runes and invalid UTF-8 (the latter arrives here already replaced by U+FFFD).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if is_print(c) => out.push(c),
            c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// Go's `strconv.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII space
/// (the categories come from the `regex` crate's Unicode tables, which may be one Unicode
/// version ahead of Go's).
fn is_print(c: char) -> bool {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    if c.is_ascii() {
        return (' '..='~').contains(&c);
    }
    let re = RE.get_or_init(|| {
        regex::Regex::new(r"^[\p{L}\p{M}\p{N}\p{P}\p{S}]$").expect("printable class")
    });
    let mut buf = [0u8; 4];
    re.is_match(c.encode_utf8(&mut buf))
}

#[cfg(test)]
#[path = "cast_tests.rs"]
mod tests;
