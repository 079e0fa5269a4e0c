//! Go's `time.Duration`: `String()` (`1h2m3.5s`), `ParseDuration`, `Round`, and the
//! `time.Duration` template object (what `Time.Sub` returns).

use std::sync::Arc;

use crate::{FuncError, Object, Value};

pub const MICROSECOND: i64 = 1_000;
pub const MILLISECOND: i64 = 1_000_000;
pub const SECOND: i64 = 1_000_000_000;
pub const MINUTE: i64 = 60 * SECOND;
pub const HOUR: i64 = 60 * MINUTE;

/// Go's `Duration.String()`.
pub fn format(d: i64) -> String {
    let neg = d < 0;
    let mut u = d.unsigned_abs();
    let mut out = String::new();
    if u < SECOND as u64 {
        let (prec, unit) = match u {
            0 => return "0s".into(),
            x if x < MICROSECOND as u64 => (0, "ns"),
            x if x < MILLISECOND as u64 => (3, "µs"),
            _ => (6, "ms"),
        };
        let (frac, rest) = frac(u, prec);
        out = format!("{rest}{frac}{unit}");
    } else {
        let (frac, rest) = frac(u, 9);
        u = rest;
        out.insert_str(0, &format!("{}{frac}s", u % 60));
        u /= 60;
        if u > 0 {
            out.insert_str(0, &format!("{}m", u % 60));
            u /= 60;
            if u > 0 {
                out.insert_str(0, &format!("{u}h"));
            }
        }
    }
    if neg {
        out.insert(0, '-');
    }
    out
}

/// Go's `fmtFrac`: the `prec` low decimal digits of `v` as `.ddd` without trailing zeros
/// (empty when all zero), and `v` with them removed.
fn frac(mut v: u64, prec: u32) -> (String, u64) {
    let mut digits = Vec::new();
    let mut print = false;
    for _ in 0..prec {
        let digit = v % 10;
        print = print || digit != 0;
        if print {
            digits.push(b'0' + digit as u8);
        }
        v /= 10;
    }
    if !print {
        return (String::new(), v);
    }
    digits.reverse();
    (format!(".{}", String::from_utf8_lossy(&digits)), v)
}

/// Go's `time.ParseDuration` (`"1h30m"`, `"-1.5s"`, `"300ms"`, units ns us µs μs ms s m h).
pub fn parse(orig: &str) -> Result<i64, FuncError> {
    let invalid = |msg: &str| FuncError::new(format!("time: {msg} {}", go_quote(orig)));
    let mut s = orig;
    let mut neg = false;
    if let Some(c) = s.chars().next() {
        if c == '-' || c == '+' {
            neg = c == '-';
            s = &s[1..];
        }
    }
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid("invalid duration"));
    }
    let mut d: u64 = 0;
    while !s.is_empty() {
        let b = s.as_bytes();
        if !(b[0] == b'.' || b[0].is_ascii_digit()) {
            return Err(invalid("invalid duration"));
        }
        let before = s.len();
        let (v, rest) = leading_int(s).ok_or_else(|| invalid("invalid duration"))?;
        s = rest;
        let pre = before != s.len();
        let (mut f, mut scale, mut post) = (0u64, 1f64, false);
        if let Some(rest) = s.strip_prefix('.') {
            let before = rest.len();
            let (ff, sc, rest) = leading_fraction(rest);
            f = ff;
            scale = sc;
            s = rest;
            post = before != s.len();
        }
        if !pre && !post {
            return Err(invalid("invalid duration"));
        }
        let i = s
            .bytes()
            .position(|c| c == b'.' || c.is_ascii_digit())
            .unwrap_or(s.len());
        if i == 0 {
            return Err(invalid("missing unit in duration"));
        }
        let (u, rest) = s.split_at(i);
        s = rest;
        let unit: u64 = match u {
            "ns" => 1,
            "us" | "µs" | "μs" => MICROSECOND as u64,
            "ms" => MILLISECOND as u64,
            "s" => SECOND as u64,
            "m" => MINUTE as u64,
            "h" => HOUR as u64,
            _ => {
                return Err(invalid(&format!(
                    "unknown unit {} in duration",
                    go_quote(u)
                )))
            }
        };
        if v > (1u64 << 63) / unit {
            return Err(invalid("invalid duration"));
        }
        let mut v = v * unit;
        if f > 0 {
            v += (f as f64 * (unit as f64 / scale)) as u64;
            if v > 1 << 63 {
                return Err(invalid("invalid duration"));
            }
        }
        d += v;
        if d > 1 << 63 {
            return Err(invalid("invalid duration"));
        }
    }
    if neg {
        return Ok((d as i64).wrapping_neg());
    }
    if d > i64::MAX as u64 {
        return Err(invalid("invalid duration"));
    }
    Ok(d as i64)
}

fn leading_int(s: &str) -> Option<(u64, &str)> {
    let mut x: u64 = 0;
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    for c in s[..n].bytes() {
        if x > (1u64 << 63) / 10 {
            return None;
        }
        x = x * 10 + (c - b'0') as u64;
        if x > 1 << 63 {
            return None;
        }
    }
    Some((x, &s[n..]))
}

fn leading_fraction(s: &str) -> (u64, f64, &str) {
    let (mut x, mut scale, mut overflow) = (0u64, 1f64, false);
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    for c in s[..n].bytes() {
        if overflow {
            continue;
        }
        if x > (i64::MAX as u64) / 10 {
            overflow = true;
            continue;
        }
        let y = x * 10 + (c - b'0') as u64;
        if y > 1 << 63 {
            overflow = true;
            continue;
        }
        x = y;
        scale *= 10.0;
    }
    (x, scale, &s[n..])
}

/// Go's `Duration.Round(m)`: halves away from zero, saturating.
pub fn round(d: i64, m: i64) -> i64 {
    if m <= 0 {
        return d;
    }
    let less_than_half = |x: i64| (x as u64).wrapping_add(x as u64) < m as u64;
    let mut r = d % m;
    if d < 0 {
        r = -r;
        if less_than_half(r) {
            return d + r;
        }
        return d.checked_sub(m - r).unwrap_or(i64::MIN);
    }
    if less_than_half(r) {
        return d - r;
    }
    d.checked_add(m - r).unwrap_or(i64::MAX)
}

/// Go's `Duration.Truncate(m)`.
pub fn truncate(d: i64, m: i64) -> i64 {
    if m <= 0 {
        d
    } else {
        d - d % m
    }
}

/// The quoting Go's time package uses in error messages (`"..."`, non-ASCII as `\x..`).
pub fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        if (c as u32) >= 0x80 || c < ' ' {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("\\x{b:02x}"));
            }
        } else {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out.push('"');
    out
}

/// A `time.Duration` value in a template: prints as `1h0m0s`, compares as its nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Duration(pub i64);

impl Duration {
    pub fn value(self) -> Value {
        Value::Object(Arc::new(self))
    }
}

impl Object for Duration {
    fn type_name(&self) -> &str {
        "time.Duration"
    }
    fn field(&self, name: &str) -> Option<Value> {
        let d = self.0;
        let split = |unit: i64| (d / unit) as f64 + (d % unit) as f64 / unit as f64;
        Some(match name {
            "String" => Value::from(format(d)),
            "Nanoseconds" => Value::int64(d),
            "Microseconds" => Value::int64(d / MICROSECOND),
            "Milliseconds" => Value::int64(d / MILLISECOND),
            "Seconds" => Value::Float(split(SECOND)),
            "Minutes" => Value::Float(split(MINUTE)),
            "Hours" => Value::Float(split(HOUR)),
            "Abs" => Duration(if d == i64::MIN { i64::MAX } else { d.abs() }).value(),
            _ => return None,
        })
    }
    fn method(&self, name: &str, args: &[Value]) -> Option<Result<Value, FuncError>> {
        let m = match args.first() {
            Some(v) => super::gotime::int_arg(v),
            None => return self.field(name).map(Ok),
        };
        let m = match m {
            Ok(m) => m,
            Err(e) => return Some(Err(e)),
        };
        match name {
            "Round" => Some(Ok(Duration(round(self.0, m)).value())),
            "Truncate" => Some(Ok(Duration(truncate(self.0, m)).value())),
            _ => None,
        }
    }
    fn fmt_v(&self) -> String {
        format(self.0)
    }
    fn as_int(&self) -> Option<i64> {
        Some(self.0)
    }
    fn json(&self) -> Option<Value> {
        Some(Value::int(self.0))
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Go's time_test.go durationTests / parseDurationTests.
    #[test]
    fn string() {
        let cases = [
            (0, "0s"),
            (1, "1ns"),
            (1100, "1.1µs"),
            (2_200_000, "2.2ms"),
            (3_300_000_000, "3.3s"),
            (4 * MINUTE + 5 * SECOND, "4m5s"),
            (4 * MINUTE + 5001 * MILLISECOND, "4m5.001s"),
            (5 * HOUR + 6 * MINUTE + 7001 * MILLISECOND, "5h6m7.001s"),
            (8 * MINUTE + 1, "8m0.000000001s"),
            (i64::MAX, "2562047h47m16.854775807s"),
            (i64::MIN, "-2562047h47m16.854775808s"),
            (-SECOND, "-1s"),
            (HOUR, "1h0m0s"),
        ];
        for (d, want) in cases {
            assert_eq!(format(d), want);
        }
    }

    #[test]
    fn parse_ok() {
        let cases = [
            ("0", 0),
            ("5s", 5 * SECOND),
            ("30s", 30 * SECOND),
            ("1478s", 1478 * SECOND),
            ("-5s", -5 * SECOND),
            ("+5s", 5 * SECOND),
            ("-0", 0),
            ("+0", 0),
            ("5.0s", 5 * SECOND),
            ("5.6s", 5 * SECOND + 600 * MILLISECOND),
            ("5.s", 5 * SECOND),
            (".5s", 500 * MILLISECOND),
            ("1.004s", SECOND + 4 * MILLISECOND),
            ("100.00100s", 100 * SECOND + MILLISECOND),
            ("10ns", 10),
            ("11us", 11 * MICROSECOND),
            ("12µs", 12 * MICROSECOND),
            ("12μs", 12 * MICROSECOND),
            ("13ms", 13 * MILLISECOND),
            ("14s", 14 * SECOND),
            ("15m", 15 * MINUTE),
            ("16h", 16 * HOUR),
            ("3h30m", 3 * HOUR + 30 * MINUTE),
            ("10.5s4m", 4 * MINUTE + 10 * SECOND + 500 * MILLISECOND),
            ("-2m3.4s", -(2 * MINUTE + 3 * SECOND + 400 * MILLISECOND)),
            (
                "1h2m3s4ms5us6ns",
                HOUR + 2 * MINUTE + 3 * SECOND + 4 * MILLISECOND + 5 * MICROSECOND + 6,
            ),
            (
                "39h9m14.425s",
                39 * HOUR + 9 * MINUTE + 14 * SECOND + 425 * MILLISECOND,
            ),
            ("52763797000ns", 52763797000),
            ("0.3333333333333333333h", 20 * MINUTE),
            ("9007199254740993ns", (1 << 53) + 1),
            ("9223372036854775807ns", i64::MAX),
            ("9223372036854775.807us", i64::MAX),
            ("9223372036s854ms775us807ns", i64::MAX),
            ("-9223372036854775808ns", i64::MIN),
            ("-9223372036854775.808us", i64::MIN),
            ("0.100000000000000000000h", 6 * MINUTE),
            (
                "0.830103483285477580700h",
                49 * MINUTE + 48 * SECOND + 372539827,
            ),
        ];
        for (s, want) in cases {
            assert_eq!(parse(s).unwrap(), want, "{s}");
        }
    }

    #[test]
    fn parse_errors() {
        let cases = [
            ("", "time: invalid duration \"\""),
            ("3", "time: missing unit in duration \"3\""),
            ("-", "time: invalid duration \"-\""),
            ("s", "time: invalid duration \"s\""),
            (".", "time: invalid duration \".\""),
            ("-.", "time: invalid duration \"-.\""),
            (".s", "time: invalid duration \".s\""),
            ("+.s", "time: invalid duration \"+.s\""),
            ("1d", "time: unknown unit \"d\" in duration \"1d\""),
            (
                "\u{85}\u{85}",
                "time: invalid duration \"\\xc2\\x85\\xc2\\x85\"",
            ),
            ("\u{FFFD}", "time: invalid duration \"\\xef\\xbf\\xbd\""),
            (
                "9223372036854775810ns",
                "time: invalid duration \"9223372036854775810ns\"",
            ),
            (
                "9223372036854775808ns",
                "time: invalid duration \"9223372036854775808ns\"",
            ),
            (
                "-9223372036854775809ns",
                "time: invalid duration \"-9223372036854775809ns\"",
            ),
            (
                "9223372036854776us",
                "time: invalid duration \"9223372036854776us\"",
            ),
            ("3000000h", "time: invalid duration \"3000000h\""),
            (
                "9223372036854775.808us",
                "time: invalid duration \"9223372036854775.808us\"",
            ),
            (
                "9223372036854ms775us808ns",
                "time: invalid duration \"9223372036854ms775us808ns\"",
            ),
        ];
        for (s, want) in cases {
            assert_eq!(parse(s).unwrap_err().to_string(), want, "{s:?}");
        }
    }

    #[test]
    fn rounding() {
        assert_eq!(round(1500 * MILLISECOND, SECOND), 2 * SECOND);
        assert_eq!(round(-1500 * MILLISECOND, SECOND), -2 * SECOND);
        assert_eq!(round(1499 * MILLISECOND, SECOND), SECOND);
        assert_eq!(round(i64::MAX, HOUR), i64::MAX);
        assert_eq!(truncate(1999 * MILLISECOND, SECOND), SECOND);
    }
}
