//! Unit tests calling sprig's general-purpose functions through the FuncMap. Expected values
//! come from sprig v3's `*_test.go` tables and `docs/*.md` (cited per test), and from Go 1.27
//! where sprig delegates to the standard library.

use std::collections::BTreeMap;

use crate::{FuncMap, Value};

pub(super) fn funcs() -> FuncMap {
    let mut m = FuncMap::new();
    super::register(&mut m);
    m
}

pub(super) fn call(name: &str, args: &[Value]) -> Result<Value, String> {
    let m = funcs();
    let f = m
        .get(name)
        .unwrap_or_else(|| panic!("{name} not registered"));
    (f.call)(args).map_err(|e| e.0)
}

pub(super) fn s(x: &str) -> Value {
    Value::str(x)
}
pub(super) fn i(x: i64) -> Value {
    Value::int(x)
}
pub(super) fn l(v: Vec<Value>) -> Value {
    Value::list(v)
}
pub(super) fn d(pairs: &[(&str, Value)]) -> Value {
    Value::map(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect::<BTreeMap<_, _>>(),
    )
}
pub(super) fn ok_str(name: &str, args: &[Value]) -> String {
    match call(name, args) {
        Ok(Value::String(x)) => x.to_string(),
        other => panic!("{name}: {other:?}"),
    }
}
pub(super) fn dbg(name: &str, args: &[Value]) -> String {
    format!(
        "{:?}",
        call(name, args).unwrap_or_else(|e| panic!("{name}: {e}"))
    )
}

// strings_test.go: TestSubstr, TestTrunc, TestQuote, TestSquote, TestContains, TestTrim.
#[test]
fn strings_basic() {
    assert_eq!(ok_str("substr", &[i(0), i(3), s("fooo")]), "foo");
    assert_eq!(ok_str("substr", &[i(0), i(10), s("foo")]), "foo");
    assert_eq!(ok_str("substr", &[i(-1), i(2), s("foo")]), "fo");
    assert_eq!(
        call("substr", &[i(-1), i(5), s("foo")]).unwrap_err(),
        "runtime error: slice bounds out of range [:5] with length 3"
    );
    assert_eq!(
        call("substr", &[i(2), i(1), s("foo")]).unwrap_err(),
        "runtime error: slice bounds out of range [2:1]"
    );
    assert_eq!(ok_str("trunc", &[i(3), s("foooooo")]), "foo");
    assert_eq!(ok_str("trunc", &[i(-3), s("baaaaaar")]), "aar");
    assert_eq!(ok_str("trunc", &[i(-999), s("baaaaaar")]), "baaaaaar");
    assert_eq!(ok_str("trunc", &[i(0), s("baaaaaz")]), "");
    assert_eq!(ok_str("quote", &[s("a"), s("b"), s("c")]), r#""a" "b" "c""#);
    assert_eq!(ok_str("quote", &[s("\"a\""), s("b")]), r#""\"a\"" "b""#);
    assert_eq!(ok_str("quote", &[i(1), i(2), i(3)]), r#""1" "2" "3""#);
    assert_eq!(ok_str("quote", &[Value::Nil, s("x")]), r#""x""#);
    assert_eq!(ok_str("squote", &[s("a"), i(2)]), "'a' '2'");
    assert_eq!(dbg("contains", &[s("cat"), s("fair catch")]), "true");
    assert_eq!(dbg("hasPrefix", &[s("cat"), s("catch")]), "true");
    assert_eq!(dbg("hasSuffix", &[s("cat"), s("ducat")]), "true");
    assert_eq!(ok_str("trim", &[s("   5.00   ")]), "5.00");
    assert_eq!(ok_str("trimAll", &[s("$"), s("$5.00$")]), "5.00");
    assert_eq!(ok_str("trimPrefix", &[s("$"), s("$5.00")]), "5.00");
    assert_eq!(ok_str("trimSuffix", &[s("$"), s("5.00$")]), "5.00");
    assert_eq!(ok_str("upper", &[s("foo ß")]), "FOO ß");
    assert_eq!(ok_str("lower", &[s("FOO")]), "foo");
    assert_eq!(ok_str("title", &[s("hello world")]), "Hello World");
    assert_eq!(ok_str("repeat", &[i(3), s("ab")]), "ababab");
    assert_eq!(
        call("repeat", &[i(-1), s("ab")]).unwrap_err(),
        "strings: negative Repeat count"
    );
    assert_eq!(ok_str("hello", &[]), "Hello!");
}

// strings_test.go: TestGoutils, TestCat, TestIndent, TestNindent, TestReplace, TestPlural.
#[test]
fn strings_goutils_and_layout() {
    assert_eq!(ok_str("abbrev", &[i(5), s("hello world")]), "he...");
    assert_eq!(
        ok_str("abbrevboth", &[i(5), i(10), s("1234 5678 9123")]),
        "...5678..."
    );
    assert_eq!(ok_str("nospace", &[s("h e l l o ")]), "hello");
    assert_eq!(ok_str("untitle", &[s("First Try")]), "first try");
    assert_eq!(ok_str("initials", &[s("First Try")]), "FT");
    assert_eq!(ok_str("wrap", &[i(5), s("Hello World")]), "Hello\nWorld");
    assert_eq!(
        ok_str("wrapWith", &[i(5), s("\t"), s("Hello World")]),
        "Hello\tWorld"
    );
    assert_eq!(
        ok_str("wrapWith", &[i(3), s("-"), s("abcdefgh")]),
        "abc-def-gh"
    );
    assert_eq!(
        ok_str("cat", &[s("a"), s("b"), Value::Nil, s("c")]),
        "a b c"
    );
    assert_eq!(
        ok_str("indent", &[i(4), s("a\nb\nc")]),
        "    a\n    b\n    c"
    );
    assert_eq!(
        ok_str("nindent", &[i(4), s("a\nb\nc")]),
        "\n    a\n    b\n    c"
    );
    assert_eq!(
        ok_str("replace", &[s(" "), s("-"), s("I Am Henry VIII")]),
        "I-Am-Henry-VIII"
    );
    assert_eq!(ok_str("plural", &[s("1 char"), s("chars"), i(3)]), "chars");
    assert_eq!(
        ok_str("plural", &[s("cheese"), s("%d chars"), i(1)]),
        "cheese"
    );
    assert_eq!(ok_str("swapcase", &[s("This Is A Test")]), "tHIS iS a tEST");
    assert_eq!(ok_str("snakecase", &[s("FirstName")]), "first_name");
    assert_eq!(ok_str("camelcase", &[s("http_server")]), "HttpServer");
    assert_eq!(ok_str("kebabcase", &[s("FirstName")]), "first-name");
    let sh = ok_str("shuffle", &[s("hello")]);
    let mut a: Vec<char> = sh.chars().collect();
    a.sort();
    assert_eq!(a, vec!['e', 'h', 'l', 'l', 'o']);
}

// strings_test.go: TestSplit, TestSplitn, TestToString(s), TestJoin, TestSortAlpha.
#[test]
fn string_lists() {
    assert_eq!(
        dbg("split", &[s("$"), s("foo$bar$baz")]),
        r#"{"_0": "foo", "_1": "bar", "_2": "baz"}"#
    );
    assert_eq!(
        dbg("splitn", &[s("$"), i(2), s("foo$bar$baz")]),
        r#"{"_0": "foo", "_1": "bar$baz"}"#
    );
    assert_eq!(
        dbg("splitList", &[s(","), s("a,b,c")]),
        r#"["a", "b", "c"]"#
    );
    assert_eq!(dbg("splitList", &[s(""), s("abc")]), r#"["a", "b", "c"]"#);
    assert_eq!(dbg("splitList", &[s(","), s("")]), r#"[""]"#);
    assert_eq!(ok_str("toString", &[i(1)]), "1");
    assert_eq!(
        dbg("toStrings", &[l(vec![i(1), i(2), i(3)])]),
        r#"["1", "2", "3"]"#
    );
    assert_eq!(
        ok_str("join", &[s("-"), l(vec![s("a"), s("b"), s("c")])]),
        "a-b-c"
    );
    assert_eq!(
        ok_str("join", &[s("-"), l(vec![i(1), i(2), i(3)])]),
        "1-2-3"
    );
    assert_eq!(ok_str("join", &[s("-"), s("abc")]), "abc");
    assert_eq!(
        dbg("sortAlpha", &[l(vec![s("c"), s("a"), s("b")])]),
        r#"["a", "b", "c"]"#
    );
    assert_eq!(
        dbg("sortAlpha", &[l(vec![i(2), i(1), i(4), i(3)])]),
        r#"["1", "2", "3", "4"]"#
    );
}

// defaults_test.go: TestDefault, TestEmpty, TestCoalesce, TestAll, TestAny, TestTernary.
#[test]
fn defaults() {
    assert_eq!(dbg("default", &[s("foo"), Value::Nil]), r#""foo""#);
    assert_eq!(dbg("default", &[s("foo"), s("bar")]), r#""bar""#);
    assert_eq!(dbg("default", &[s("foo")]), r#""foo""#);
    assert_eq!(dbg("default", &[i(1), i(0)]), "1");
    assert_eq!(dbg("default", &[s("d"), l(vec![])]), r#""d""#);
    for v in [
        Value::Nil,
        s(""),
        i(0),
        Value::Bool(false),
        l(vec![]),
        d(&[]),
        Value::Float(0.0),
    ] {
        assert_eq!(dbg("empty", &[v]), "true");
    }
    assert_eq!(dbg("empty", &[d(&[("a", i(1))])]), "false");
    assert_eq!(dbg("coalesce", &[Value::Nil, s(""), s("foo")]), r#""foo""#);
    assert_eq!(dbg("coalesce", &[Value::Nil, s("")]), "nil");
    assert_eq!(dbg("all", &[i(1), s("a")]), "true");
    assert_eq!(dbg("all", &[i(1), s("")]), "false");
    assert_eq!(dbg("all", &[]), "true");
    assert_eq!(dbg("any", &[i(0), s("a")]), "true");
    assert_eq!(dbg("any", &[]), "false");
    assert_eq!(
        dbg("ternary", &[s("foo"), s("bar"), Value::Bool(true)]),
        r#""foo""#
    );
    assert_eq!(
        dbg("ternary", &[s("foo"), s("bar"), Value::Bool(false)]),
        r#""bar""#
    );
}

// docs/reflection.md and numeric_test.go (TestToFloat64, TestToInt64, TestToInt, TestToDecimal).
#[test]
fn reflection_and_conversion() {
    assert_eq!(ok_str("typeOf", &[s("a")]), "string");
    assert_eq!(ok_str("typeOf", &[Value::Nil]), "<nil>");
    assert_eq!(ok_str("kindOf", &[l(vec![])]), "slice");
    assert_eq!(ok_str("kindOf", &[d(&[])]), "map");
    assert_eq!(ok_str("kindOf", &[Value::Nil]), "invalid");
    assert_eq!(dbg("kindIs", &[s("int"), i(1)]), "true");
    assert_eq!(dbg("typeIs", &[s("string"), s("x")]), "true");
    assert_eq!(dbg("typeIsLike", &[s("string"), s("x")]), "true");
    assert_eq!(dbg("deepEqual", &[l(vec![i(1)]), l(vec![i(1)])]), "true");
    assert_eq!(dbg("deepEqual", &[i(1), Value::Float(1.0)]), "false");
    assert_eq!(dbg("atoi", &[s("42")]), "42");
    assert_eq!(dbg("atoi", &[s("x")]), "0");
    assert_eq!(dbg("int", &[s("102")]), "102");
    assert_eq!(dbg("int", &[Value::Float(102.4)]), "102");
    assert_eq!(dbg("int64", &[s("102")]), "102");
    assert_eq!(dbg("int64", &[Value::Bool(true)]), "1");
    assert_eq!(dbg("float64", &[s("102.5")]), "102.5");
    assert_eq!(dbg("float64", &[i(102)]), "102.0");
    assert_eq!(dbg("toDecimal", &[s("777")]), "511");
    assert_eq!(dbg("toDecimal", &[i(777)]), "511");
    assert_eq!(dbg("toDecimal", &[s("8")]), "0");
}

// defaults_test.go: TestToJson, TestToPrettyJson, TestToRawJson, TestFromJson; Go 1.27 output.
#[test]
fn json() {
    let v = d(&[(
        "Top",
        d(&[
            ("bool", Value::Bool(true)),
            ("string", s("test")),
            ("number", i(42)),
        ]),
    )]);
    assert_eq!(
        ok_str("toJson", std::slice::from_ref(&v)),
        r#"{"Top":{"bool":true,"number":42,"string":"test"}}"#
    );
    assert_eq!(
        ok_str("toPrettyJson", &[v]),
        "{\n  \"Top\": {\n    \"bool\": true,\n    \"number\": 42,\n    \"string\": \"test\"\n  }\n}"
    );
    let html = d(&[("s", s("<a>&\u{2028}\u{1}\u{8}"))]);
    assert_eq!(
        ok_str("toJson", std::slice::from_ref(&html)),
        r#"{"s":"\u003ca\u003e\u0026\u2028\u0001\b"}"#
    );
    assert_eq!(
        ok_str("toRawJson", &[html]),
        r#"{"s":"<a>&\u2028\u0001\b"}"#
    );
    assert_eq!(
        ok_str(
            "toJson",
            &[l(vec![
                Value::Float(1e21),
                Value::Float(1e20),
                Value::Float(1.5e-7),
                Value::Float(0.000001),
                Value::Float(3.0),
                Value::Float(1e-320)
            ])]
        ),
        "[1e+21,100000000000000000000,1.5e-7,0.000001,3,1e-320]"
    );
    assert_eq!(
        ok_str("toPrettyJson", &[d(&[("a", l(vec![])), ("b", d(&[]))])]),
        "{\n  \"a\": [],\n  \"b\": {}\n}"
    );
    assert_eq!(ok_str("toJson", &[Value::Float(f64::NAN)]), "");
    assert_eq!(
        call("mustToJson", &[Value::Float(f64::NAN)]).unwrap_err(),
        "json: unsupported value: NaN"
    );
    assert_eq!(
        dbg(
            "fromJson",
            &[s(r#"{"foo": 55, "l": [1, "x", null, true]}"#)]
        ),
        r#"{"foo": 55.0, "l": [1.0, "x", nil, true]}"#
    );
    assert_eq!(dbg("fromJson", &[s("{")]), "nil");
    for (input, err) in [
        ("", "unexpected end of JSON input"),
        ("{\"a\" 1}", "invalid character '1' after object key"),
        (
            "trux",
            "invalid character 'x' in literal true (expecting 'e')",
        ),
        ("[1 2]", "invalid character '2' after array element"),
        (
            "{\"a\":1,}",
            "invalid character '}' looking for beginning of object key string",
        ),
        ("\"\\x\"", "invalid escape sequence `\\x` in string"),
        ("01", "invalid character '1' after top-level value"),
        ("1.", "unexpected end of JSON input"),
        ("\"\u{1}\"", "invalid character '\\x01' in string"),
        (
            "[1,]",
            "invalid character ']' looking for beginning of value",
        ),
        (
            "1e400",
            "json: cannot unmarshal number 1e400 into Go value of type float64",
        ),
        ("\"\\u12G4\"", "invalid escape sequence `\\u12G4` in string"),
        ("\"\\uG\"", "invalid escape sequence `\\uG\"` in string"),
        ("\"\\u12", "unexpected end of JSON input"),
        (
            "{\"a\":1 \"b\"}",
            "invalid character '\"' after object key:value pair",
        ),
        ("[1.a]", "invalid character 'a' in numeric literal"),
        ("1ea", "invalid character 'a' in numeric literal"),
        ("é", "invalid character 'é' looking for beginning of value"),
        (
            "[tru]",
            "invalid character ']' in literal true (expecting 'e')",
        ),
        (
            "[1, 1e400]",
            "json: cannot unmarshal number 1e400 into .1 of type float64",
        ),
        (
            "{\"a\":[0,{\"b c\":1e400}]}",
            "json: cannot unmarshal number 1e400 into Go struct field .a.1.b c of type float64",
        ),
        (
            "{\"~/\":1e400}",
            "json: cannot unmarshal number 1e400 into Go struct field .~0~1 of type float64",
        ),
        (
            "{\"\":1e400}",
            "json: cannot unmarshal number 1e400 into Go value of type float64",
        ),
    ] {
        assert_eq!(
            call("mustFromJson", &[s(input)]).unwrap_err(),
            err,
            "{input:?}"
        );
    }
}

// Go 1.27 unicode/strconv tables for runes where Rust's full mappings differ from Go's simple
// ones (Georgian titlecase, Greek ypogegrammeni, dotted I) and for IsPrint.
#[test]
fn go_case_mapping_corners() {
    assert_eq!(ok_str("title", &[s("ა ᾀ")]), "ა ᾈ");
    assert_eq!(ok_str("upper", &[s("ᾀ ᾳ ß ა")]), "ᾈ ᾼ ß Ა");
    assert_eq!(ok_str("lower", &[s("İ")]), "i");
    assert_eq!(
        ok_str("quote", &[s("\u{378}\u{a0}é")]),
        "\"\\u0378\\u00a0é\""
    );
}

// Every general-purpose entry of sprig v3.3's genericMap (functions.go) is registered here.
#[test]
fn registers_every_general_purpose_sprig_function() {
    let names = "hello abbrev abbrevboth trunc trim upper lower title untitle substr repeat trimall \
        trimAll trimSuffix trimPrefix nospace initials swapcase shuffle snakecase camelcase kebabcase \
        wrap wrapWith contains hasPrefix hasSuffix quote squote cat indent nindent replace plural \
        toString atoi int64 int float64 seq toDecimal split splitList splitn toStrings until \
        untilStep join sortAlpha default empty coalesce all any compact mustCompact fromJson toJson \
        toPrettyJson toRawJson mustFromJson mustToJson mustToPrettyJson mustToRawJson ternary \
        deepCopy mustDeepCopy typeOf typeIs typeIsLike kindOf kindIs deepEqual base dir clean ext \
        isAbs osBase osClean osDir osExt osIsAbs tuple list dict get set unset hasKey pluck keys \
        pick omit merge mergeOverwrite mustMerge mustMergeOverwrite values append push mustAppend \
        mustPush prepend mustPrepend first mustFirst rest mustRest last mustLast initial \
        mustInitial reverse mustReverse uniq mustUniq without mustWithout has mustHas slice \
        mustSlice concat dig chunk mustChunk regexMatch mustRegexMatch regexFindAll \
        mustRegexFindAll regexFind mustRegexFind regexReplaceAll mustRegexReplaceAll \
        regexReplaceAllLiteral mustRegexReplaceAllLiteral regexSplit mustRegexSplit regexQuoteMeta";
    let m = funcs();
    let mut n = 0;
    for name in names.split_whitespace() {
        assert!(m.get(name).is_some(), "{name} missing");
        n += 1;
    }
    assert_eq!(n, 140);
}
