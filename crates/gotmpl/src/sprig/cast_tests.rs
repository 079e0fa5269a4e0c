//! Unit tests of the spf13/cast conversions and Go strconv parsers in `cast.rs`.

use super::*;

fn s(x: &str) -> Value {
    Value::str(x)
}

// Expectations from Go 1.27 strconv and spf13/cast v1.7 (cast_test.go tables).
#[test]
fn to_int64_follows_cast() {
    assert_eq!(to_int64(&s("8")), 8);
    assert_eq!(to_int64(&s("8.00")), 8);
    assert_eq!(to_int64(&s("8.01")), 0);
    assert_eq!(to_int64(&s("0x1f")), 31);
    assert_eq!(to_int64(&s("010")), 8);
    assert_eq!(to_int64(&s("08")), 0);
    assert_eq!(to_int64(&s("1_000")), 1000);
    assert_eq!(to_int64(&s("-0x10")), -16);
    assert_eq!(to_int64(&s("9223372036854775808")), 0);
    assert_eq!(to_int64(&s("-9223372036854775808")), i64::MIN);
    assert_eq!(to_int64(&s(" 5")), 0);
    assert_eq!(to_int64(&s("test")), 0);
    assert_eq!(to_int64(&Value::Bool(true)), 1);
    assert_eq!(to_int64(&Value::Nil), 0);
    assert_eq!(to_int64(&Value::Float(8.31)), 8);
    assert_eq!(to_int64(&Value::Float(-8.9)), -8);
    assert_eq!(to_int64(&Value::Float(f64::NAN)), i64::MIN);
    assert_eq!(to_int64(&Value::uint64(u64::MAX)), -1);
    assert_eq!(to_int64(&Value::list(vec![])), 0);
}

#[test]
fn to_float64_follows_cast() {
    assert_eq!(to_float64(&s("8.31")), 8.31);
    assert_eq!(to_float64(&s("1_000.5")), 1000.5);
    assert_eq!(to_float64(&s("0x1p-2")), 0.25);
    assert_eq!(to_float64(&s("0x1_0p0")), 16.0);
    assert_eq!(to_float64(&s("0x10")), 0.0);
    assert_eq!(to_float64(&s(".5")), 0.5);
    assert_eq!(to_float64(&s("5.")), 5.0);
    assert_eq!(to_float64(&s("1e")), 0.0);
    assert_eq!(to_float64(&s("_1")), 0.0);
    assert_eq!(to_float64(&s("1e400")), 0.0);
    assert_eq!(to_float64(&s("1e-400")), 0.0);
    assert_eq!(to_float64(&s("-inf")), f64::NEG_INFINITY);
    assert_eq!(to_float64(&s("Infinity")), f64::INFINITY);
    assert!(to_float64(&s("nan")).is_nan());
    assert_eq!(to_float64(&s("+nan")), 0.0);
    assert_eq!(to_float64(&Value::Bool(true)), 1.0);
    assert_eq!(to_float64(&Value::int(3)), 3.0);
}

#[test]
fn strconv_errors_read_like_go() {
    assert_eq!(
        parse_int("9223372036854775808", 0, 0)
            .unwrap_err()
            .to_string(),
        "strconv.ParseInt: parsing \"9223372036854775808\": value out of range"
    );
    assert_eq!(
        parse_int("0x", 0, 0).unwrap_err().to_string(),
        "strconv.ParseInt: parsing \"0x\": invalid syntax"
    );
    assert_eq!(parse_int("0b101", 0, 0), Ok(5));
    assert_eq!(parse_int("0o17", 0, 0), Ok(15));
    assert_eq!(parse_int("0x_1f", 0, 0), Ok(31));
    assert_eq!(parse_int("777", 8, 64), Ok(511));
    assert!(parse_int("1_0", 10, 64).is_err());
    assert!(parse_int("1__0", 0, 64).is_err());
    assert_eq!(parse_uint("255", 10, 8), Ok(255));
    assert!(parse_uint("256", 10, 8).unwrap_err().range);
}

/// 1500 random numeric-looking strings through Go 1.27's strconv
/// (testdata/sprig_text/strconv_gen.go): value or error text must match.
#[test]
fn strconv_matches_go() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/sprig_text/strconv_golden.jsonl"
    ))
    .unwrap();
    fn show<T: std::fmt::Display>(r: Result<T, NumError>) -> String {
        match r {
            Ok(v) => format!("ok {v}"),
            Err(e) => format!("err {e}"),
        }
    }
    fn want(v: &serde_json::Value) -> String {
        if let Some(e) = v.get("err") {
            return format!("err {}", e.as_str().unwrap());
        }
        if let Some(b) = v.get("bits") {
            let bits: u64 = b.as_str().unwrap().parse().unwrap();
            return format!("ok {}", f64::from_bits(bits));
        }
        if let Some(f) = v.get("float") {
            let rust = match f.as_str().unwrap() {
                "+Inf" => "inf",
                "-Inf" => "-inf",
                other => other,
            };
            return format!("ok {rust}");
        }
        format!("ok {}", v["ok"].as_str().unwrap())
    }
    let mut bad = Vec::new();
    let mut floats = 0;
    for line in text.lines() {
        let c: serde_json::Value = serde_json::from_str(line).unwrap();
        let s = c["s"].as_str().unwrap();
        floats += c["float"].get("bits").is_some() as usize;
        let got = [
            ("int0", show(parse_int(s, 0, 64))),
            ("int8", show(parse_int(s, 8, 64))),
            ("int10", show(parse_int(s, 10, 64))),
            ("float", show(parse_float(s))),
            ("bool", show(parse_bool(s))),
        ];
        for (k, g) in got {
            let w = want(&c[k]);
            if g != w {
                bad.push(format!("{k}({s:?}): got {g}, Go {w}"));
            }
        }
    }
    assert!(floats > 100, "only {floats} parsable floats");
    assert!(
        bad.is_empty(),
        "{} mismatches:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

#[test]
fn to_bool_and_strings() {
    assert!(to_bool(&s("true")));
    assert!(to_bool(&s("T")));
    assert!(!to_bool(&s("yes")));
    assert!(to_bool(&Value::int(2)));
    assert!(!to_bool(&Value::Nil));
    assert_eq!(strval(&s("a")), "a");
    assert_eq!(strval(&Value::int(5)), "5");
    assert_eq!(
        str_slice(&Value::list(vec![s("a"), Value::Nil, Value::int(1)])),
        vec!["a", "1"]
    );
    assert_eq!(str_slice(&Value::Nil), Vec::<String>::new());
    assert_eq!(str_slice(&Value::int(3)), vec!["3"]);
}

#[test]
fn quote_matches_strconv() {
    assert_eq!(quote("a\"b\\c\n\t\u{1}"), r#""a\"b\\c\n\t\x01""#);
    assert_eq!(quote("héllo ☺"), "\"héllo ☺\"");
    assert_eq!(quote("\u{7f}\u{a0}\u{feff}"), r#""\x7f\u00a0\ufeff""#);
    assert_eq!(quote("\u{10ffff}"), r#""\U0010ffff""#);
}
