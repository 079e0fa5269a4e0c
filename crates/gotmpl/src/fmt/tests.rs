//! Unit tests of Go `fmt` behaviour: a table of `Sprintf` cases (expectations are Go's
//! output), `Sprint`/`Sprintln` spacing, and objects with a `String` method.

use super::{format_v, sprint, sprintf, sprintln};
use crate::{Object, Value};
use std::collections::BTreeMap;

fn s(x: &str) -> Value {
    Value::str(x)
}
fn i(x: i64) -> Value {
    Value::int(x)
}
fn f(x: f64) -> Value {
    Value::Float(x)
}
fn l(v: Vec<Value>) -> Value {
    Value::list(v)
}
fn m(kv: &[(&str, Value)]) -> Value {
    Value::map(
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect::<BTreeMap<_, _>>(),
    )
}

#[test]
fn sprintf_table() {
    let nil = Value::Nil;
    let t = Value::Bool(true);
    let table: Vec<(&str, Vec<Value>, &str)> = vec![
        // %v of every kind
        ("%v", vec![nil.clone()], "<nil>"),
        ("%v", vec![t.clone()], "true"),
        ("%v", vec![i(-5)], "-5"),
        ("%v", vec![Value::uint64(u64::MAX)], "18446744073709551615"),
        ("%v", vec![f(1e6)], "1e+06"),
        ("%v", vec![f(123456.0)], "123456"),
        ("%v", vec![f(1e-5)], "1e-05"),
        ("%v", vec![f(2.75)], "2.75"),
        ("%v", vec![f(f64::NAN)], "NaN"),
        ("%v", vec![f(f64::NEG_INFINITY)], "-Inf"),
        (
            "%v",
            vec![l(vec![i(1), s("a"), nil.clone()])],
            "[1 a <nil>]",
        ),
        ("%v", vec![m(&[("b", i(2)), ("a", i(1))])], "map[a:1 b:2]"),
        ("%v", vec![m(&[])], "map[]"),
        ("%5v|", vec![nil.clone()], "<nil>|"),
        ("%7v|", vec![nil.clone()], "  <nil>|"),
        ("%5v", vec![l(vec![i(1), i(2)])], "[    1     2]"),
        // Go syntax
        (
            "%#v",
            vec![l(vec![i(1), s("a")])],
            r#"[]interface {}{1, "a"}"#,
        ),
        (
            "%#v",
            vec![m(&[("a", i(1))])],
            r#"map[string]interface {}{"a":1}"#,
        ),
        (
            "%#v",
            vec![l(vec![nil.clone()])],
            "[]interface {}{interface {}(nil)}",
        ),
        ("%#v", vec![nil.clone()], "<nil>"),
        ("%#v", vec![Value::uint64(255)], "0xff"),
        ("%#v", vec![f(1.0)], "1"),
        ("%+v", vec![i(5)], "5"),
        // strings
        ("%s", vec![s("hi")], "hi"),
        ("%-5s|", vec![s("hi")], "hi   |"),
        ("%5s|", vec![s("日本")], "   日本|"),
        ("%.2s", vec![s("héllo")], "hé"),
        ("%05s", vec![s("ab")], "000ab"),
        ("%x", vec![s("hi")], "6869"),
        ("% X", vec![s("hi")], "68 69"),
        ("%# x", vec![s("hi")], "0x68 0x69"),
        ("%q", vec![s("a\"b\n")], r#""a\"b\n""#),
        ("%+q", vec![s("é")], r#""\u00e9""#),
        ("%q", vec![s("é")], "\"é\""),
        ("%#q", vec![s("a\"b")], "`a\"b`"),
        ("%#q", vec![s("a`b")], r#""a`b""#),
        ("%q", vec![l(vec![s("a"), s("b")])], r#"["a" "b"]"#),
        // integers
        ("%d", vec![l(vec![i(1), i(2)])], "[1 2]"),
        ("%05d", vec![i(-42)], "-0042"),
        ("%-05d|", vec![i(3)], "3    |"),
        ("%+d", vec![i(3)], "+3"),
        ("% d", vec![i(3)], " 3"),
        ("%.3d", vec![i(7)], "007"),
        ("%.0d|", vec![i(0)], "|"),
        ("%x", vec![i(-255)], "-ff"),
        ("%#X", vec![i(255)], "0XFF"),
        ("%#o", vec![i(8)], "010"),
        ("%O", vec![i(8)], "0o10"),
        ("%#b", vec![i(5)], "0b101"),
        ("%c", vec![i(65)], "A"),
        ("%c", vec![i(-1)], "\u{fffd}"),
        ("%q", vec![i(65)], "'A'"),
        ("%+q", vec![i(0x263a)], r"'\u263a'"),
        ("%U", vec![i(65)], "U+0041"),
        ("%#U", vec![i(65)], "U+0041 'A'"),
        ("%#U", vec![i(10)], "U+000A"),
        // floats
        ("%f", vec![f(1.23456)], "1.234560"),
        ("%.2f", vec![f(2.345)], "2.35"),
        ("%.0f", vec![f(2.5)], "2"),
        ("%08.3f", vec![f(-1.23456)], "-001.235"),
        ("%+.1f", vec![f(1.0)], "+1.0"),
        ("% .1f", vec![f(1.0)], " 1.0"),
        ("%e", vec![f(1234.5678)], "1.234568e+03"),
        ("%E", vec![f(1e-300)], "1.000000E-300"),
        ("%g", vec![f(1e21)], "1e+21"),
        ("%.3g", vec![f(1234.5)], "1.23e+03"),
        ("%#g", vec![f(1.0)], "1.00000"),
        ("%G", vec![f(1e-10)], "1E-10"),
        ("%x", vec![f(1.0)], "0x1p+00"),
        ("%b", vec![f(1.0)], "4503599627370496p-52"),
        ("%08f", vec![f(f64::INFINITY)], "    +Inf"),
        ("%F", vec![f(1.5)], "1.500000"),
        // bools
        ("%t", vec![t.clone()], "true"),
        ("%5t|", vec![Value::Bool(false)], "false|"),
        ("%d", vec![t.clone()], "%!d(bool=true)"),
        // error forms
        ("%d", vec![s("x")], "%!d(string=x)"),
        ("%s", vec![i(1)], "%!s(int=1)"),
        ("%d", vec![f(1.5)], "%!d(float64=1.5)"),
        ("%d", vec![nil.clone()], "%!d(<nil>)"),
        ("%s", vec![nil.clone()], "%!s(<nil>)"),
        ("%5t", vec![i(1)], "%!t(int=    1)"),
        ("%z", vec![i(1)], "%!z(int=1)"),
        ("%v", vec![], "%!v(MISSING)"),
        ("%d %d", vec![i(1)], "1 %!d(MISSING)"),
        (
            "%d",
            vec![i(1), i(2), s("a"), nil.clone()],
            "1%!(EXTRA int=2, string=a, <nil>)",
        ),
        ("%", vec![], "%!(NOVERB)"),
        ("abc%-", vec![], "abc%!(NOVERB)"),
        ("%[3]d", vec![i(1), i(2)], "%!d(BADINDEX)"),
        ("%[2]d %[1]d", vec![i(1), i(2)], "2 1"),
        ("%[1]d %[1]x", vec![i(255)], "255 ff"),
        ("%[2]*[1]d", vec![i(12), i(5)], "   12"),
        ("%*d|", vec![i(-3), i(1)], "1  |"),
        ("%*d", vec![s("x"), i(1)], "%!(BADWIDTH)1"),
        ("%.*d", vec![i(-1), i(1)], "%!(BADPREC)1"),
        ("%.*f", vec![i(2), f(1.23456)], "1.23"),
        ("%d%%", vec![i(50)], "50%"),
        ("%T", vec![l(vec![])], "[]interface {}"),
        ("%T", vec![nil.clone()], "<nil>"),
        ("%p", vec![i(1)], "%!p(int=1)"),
        ("%d", vec![m(&[("a", i(1))])], "map[%!d(string=a):1]"),
        ("%.2f", vec![l(vec![i(1), f(2.345)])], "[%!f(int=01) 2.35]"),
    ];
    for (format, args, want) in table {
        assert_eq!(
            sprintf(format, &args),
            want,
            "Sprintf({format:?}, {args:?})"
        );
    }
}

#[test]
fn sprint_spacing() {
    assert_eq!(sprint(&[]), "");
    assert_eq!(sprint(&[s("a"), s("b")]), "ab");
    assert_eq!(sprint(&[i(1), i(2)]), "1 2");
    assert_eq!(sprint(&[s("a"), i(1), s("b")]), "a1b");
    assert_eq!(sprint(&[i(1), Value::Nil, f(1.5)]), "1 <nil> 1.5");
    assert_eq!(sprint(&[l(vec![i(1)]), l(vec![])]), "[1] []");
    assert_eq!(sprintln(&[]), "\n");
    assert_eq!(sprintln(&[s("a"), s("b"), i(1)]), "a b 1\n");
}

#[test]
fn format_v_of_values() {
    assert_eq!(format_v(&Value::Nil), "<nil>");
    assert_eq!(format_v(&f(100000.0)), "100000");
    assert_eq!(format_v(&f(-0.0)), "-0");
    assert_eq!(format_v(&f(0.000123)), "0.000123");
    assert_eq!(
        format_v(&m(&[("k", l(vec![f(1.5), Value::Bool(false)]))])),
        "map[k:[1.5 false]]"
    );
}

/// A Go type with a `String` method.
#[derive(Debug)]
struct Version;

impl Object for Version {
    fn type_name(&self) -> &str {
        "*semver.Version"
    }
    fn field(&self, _name: &str) -> Option<Value> {
        None
    }
    fn fmt_v(&self) -> String {
        "1.2.3".into()
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

#[test]
fn objects_print_their_string_method() {
    let v = Value::Object(std::sync::Arc::new(Version));
    assert_eq!(format_v(&v), "1.2.3");
    assert_eq!(
        sprintf("%s|%8v|%q|%x", &vec![v.clone(); 4]),
        r#"1.2.3|   1.2.3|"1.2.3"|312e322e33"#
    );
    assert_eq!(sprintf("%v", &[l(vec![v.clone()])]), "[1.2.3]");
    assert_eq!(sprintf("%T", std::slice::from_ref(&v)), "*semver.Version");
    assert_eq!(
        sprintf("%d", std::slice::from_ref(&v)),
        "%!d(*semver.Version=1.2.3)"
    );
    assert_eq!(sprint(&[v.clone(), v]), "1.2.3 1.2.3");
}

#[test]
fn never_panics_on_odd_formats() {
    let args = [i(1), s("x"), f(f64::NAN), Value::uint64(u64::MAX)];
    for format in [
        "%[",
        "%[1",
        "%[99999999999]d",
        "%.*[1]",
        "%*[2]",
        "%-0+# .*[",
        "%9999999d",
        "%.9999999f",
        "%1000000d",
        "%.1000000x",
        "%[1]*.[2]*[3]",
        "%\u{1F600}",
        "%#.*U",
    ] {
        let _ = sprintf(format, &args);
    }
    assert_eq!(sprintf("%.*d", &[i(1_000_001), i(1)]), "%!(BADPREC)1");
}

/// A deterministic xorshift stream for the fuzz test (no dependency needed).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[(self.next() % items.len() as u64) as usize].clone()
    }
}

#[test]
fn random_formats_never_panic_and_keep_literal_text() {
    let pieces = [
        "%",
        "%%",
        "d",
        "v",
        "s",
        "q",
        "x",
        "X",
        "e",
        "f",
        "g",
        "c",
        "U",
        "t",
        "T",
        "b",
        "o",
        "O",
        "#",
        "+",
        "-",
        " ",
        "0",
        "*",
        ".",
        "[",
        "]",
        "1",
        "2",
        "9",
        "[1]",
        "[2]",
        "[0]",
        "é",
        "日",
        "\u{1F600}",
        "z",
        "!",
        "p",
        "w",
        "a",
        "\n",
    ];
    let values = [
        Value::Nil,
        Value::Bool(true),
        i(-7),
        i(3),
        i(1_000_001),
        Value::uint64(u64::MAX),
        f(-0.0),
        f(1e300),
        f(f64::NAN),
        s("é日"),
        l(vec![i(1), s("x"), Value::Nil]),
        m(&[("k", f(2.5))]),
    ];
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    for _ in 0..20_000 {
        let n = 1 + rng.next() % 8;
        let format: String = (0..n).map(|_| rng.pick(&pieces)).collect();
        let nargs = rng.next() % 4;
        let args: Vec<Value> = (0..nargs).map(|_| rng.pick(&values)).collect();
        let out = sprintf(&format, &args);
        if !format.contains('%') && nargs == 0 {
            assert_eq!(out, format);
        }
    }
}
