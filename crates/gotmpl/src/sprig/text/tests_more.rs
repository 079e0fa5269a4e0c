//! Unit tests (continued): lists, dicts, paths, regex, and the robustness sweeps, calling the
//! bodies through the FuncMap with the helpers of `tests.rs`.

use super::tests::{call, d, dbg, funcs, i, l, ok_str, s};
use crate::Value;

// list_test.go tables (TestPush, TestFirst, TestRest, TestUniq, TestWithout, TestHas, TestSlice, …).
#[test]
fn lists() {
    let l3 = l(vec![i(1), i(2), i(3)]);
    assert_eq!(dbg("list", &[i(1), s("a")]), r#"[1, "a"]"#);
    assert_eq!(dbg("append", &[l3.clone(), i(4)]), "[1, 2, 3, 4]");
    assert_eq!(dbg("prepend", &[l3.clone(), i(0)]), "[0, 1, 2, 3]");
    assert_eq!(dbg("first", std::slice::from_ref(&l3)), "1");
    assert_eq!(dbg("first", &[l(vec![])]), "nil");
    assert_eq!(dbg("last", std::slice::from_ref(&l3)), "3");
    assert_eq!(dbg("rest", std::slice::from_ref(&l3)), "[2, 3]");
    assert_eq!(dbg("initial", std::slice::from_ref(&l3)), "[1, 2]");
    assert_eq!(dbg("reverse", std::slice::from_ref(&l3)), "[3, 2, 1]");
    assert_eq!(
        dbg("uniq", &[l(vec![i(1), i(2), i(1), s("a"), s("a")])]),
        r#"[1, 2, "a"]"#
    );
    assert_eq!(
        dbg("compact", &[l(vec![i(1), i(0), s(""), Value::Nil, s("x")])]),
        r#"[1, "x"]"#
    );
    assert_eq!(dbg("without", &[l3.clone(), i(1), i(3)]), "[2]");
    assert_eq!(dbg("has", &[i(2), l3.clone()]), "true");
    assert_eq!(dbg("has", &[i(2), Value::Nil]), "false");
    assert_eq!(dbg("slice", &[l3.clone(), i(1)]), "[2, 3]");
    assert_eq!(dbg("slice", &[l3.clone(), i(1), i(2)]), "[2]");
    assert_eq!(dbg("slice", &[s("abc"), i(1)]), r#""bc""#);
    assert_eq!(dbg("slice", &[l(vec![])]), "nil");
    assert_eq!(
        call("slice", &[l3.clone(), i(2), i(5)]).unwrap_err(),
        "reflect.Value.Slice: slice index out of bounds"
    );
    assert_eq!(dbg("concat", &[l3.clone(), l(vec![i(4)])]), "[1, 2, 3, 4]");
    assert_eq!(dbg("chunk", &[i(2), l3.clone()]), "[[1, 2], [3]]");
    assert_eq!(dbg("chunk", &[i(3), l(vec![])]), "[]");
    assert_eq!(
        call("chunk", &[i(0), l3.clone()]).unwrap_err(),
        "runtime error: makeslice: len out of range"
    );
    assert_eq!(
        call("first", &[s("x")]).unwrap_err(),
        "Cannot find first on type string"
    );
    assert_eq!(
        call("mustPush", &[i(1), i(2)]).unwrap_err(),
        "Cannot push on type int"
    );
    assert_eq!(
        call("concat", &[i(1)]).unwrap_err(),
        "Cannot concat type int as list"
    );
    assert_eq!(
        call("first", &[Value::Nil]).unwrap_err(),
        "runtime error: invalid memory address or nil pointer dereference"
    );
    assert_eq!(dbg("until", &[i(3)]), "[0, 1, 2]");
    assert_eq!(dbg("until", &[i(-3)]), "[0, -1, -2]");
    assert_eq!(dbg("untilStep", &[i(0), i(10), i(3)]), "[0, 3, 6, 9]");
    assert_eq!(dbg("untilStep", &[i(3), i(0), i(-1)]), "[3, 2, 1]");
    assert_eq!(dbg("untilStep", &[i(0), i(3), i(0)]), "[]");
    // numeric_test.go TestSeq
    assert_eq!(ok_str("seq", &[i(0), i(1), i(3)]), "0 1 2 3");
    assert_eq!(ok_str("seq", &[i(0), i(3), i(10)]), "0 3 6 9");
    assert_eq!(ok_str("seq", &[i(3), i(3), i(2)]), "");
    assert_eq!(ok_str("seq", &[i(3), i(-3), i(2)]), "3");
    assert_eq!(ok_str("seq", &[]), "");
    assert_eq!(ok_str("seq", &[i(0), i(4)]), "0 1 2 3 4");
    assert_eq!(ok_str("seq", &[i(5)]), "1 2 3 4 5");
    assert_eq!(ok_str("seq", &[i(-5)]), "1 0 -1 -2 -3 -4 -5");
    assert_eq!(ok_str("seq", &[i(0)]), "1 0");
    assert_eq!(ok_str("seq", &[i(0), i(1), i(2), i(3)]), "");
    assert_eq!(ok_str("seq", &[i(0), i(-4)]), "0 -1 -2 -3 -4");
}

// dict_test.go (TestDict, TestSet, TestUnset, TestHasKey, TestPluck, TestKeys, TestPick, TestOmit,
// TestMerge, TestMergeOverwrite, TestValues, TestDig).
#[test]
fn dicts() {
    assert_eq!(dbg("dict", &[s("a"), i(1), s("b")]), r#"{"a": 1, "b": ""}"#);
    // Maps are references: `set`/`unset` change their argument, so each check gets a new one.
    let dd = || d(&[("a", i(1)), ("b", s("x"))]);
    assert_eq!(dbg("get", &[dd(), s("a")]), "1");
    assert_eq!(dbg("get", &[dd(), s("z")]), r#""""#);
    assert_eq!(
        dbg("set", &[dd(), s("c"), i(3)]),
        r#"{"a": 1, "b": "x", "c": 3}"#
    );
    assert_eq!(dbg("unset", &[dd(), s("a")]), r#"{"b": "x"}"#);
    assert_eq!(dbg("hasKey", &[dd(), s("a")]), "true");
    assert_eq!(
        dbg("pluck", &[s("a"), dd(), d(&[("a", i(2))]), d(&[])]),
        "[1, 2]"
    );
    assert_eq!(
        dbg("keys", &[dd(), d(&[("c", i(1))])]),
        r#"["a", "b", "c"]"#
    );
    assert_eq!(dbg("values", &[dd()]), r#"[1, "x"]"#);
    assert_eq!(dbg("pick", &[dd(), s("a"), s("z")]), r#"{"a": 1}"#);
    assert_eq!(dbg("omit", &[dd(), s("a")]), r#"{"b": "x"}"#);
    let dst = d(&[
        ("a", i(1)),
        ("e", s("")),
        ("n", d(&[("x", i(1))])),
        ("l", l(vec![i(1)])),
    ]);
    let src = d(&[
        ("a", i(2)),
        ("b", i(3)),
        ("e", s("filled")),
        ("n", d(&[("x", i(2)), ("y", i(2))])),
        ("l", l(vec![i(2)])),
    ]);
    assert_eq!(
        dbg("merge", &[dst.clone(), src.clone()]),
        r#"{"a": 1, "b": 3, "e": "filled", "l": [1], "n": {"x": 1, "y": 2}}"#
    );
    assert_eq!(
        dbg("mergeOverwrite", &[dst, src]),
        r#"{"a": 2, "b": 3, "e": "filled", "l": [2], "n": {"x": 2, "y": 2}}"#
    );
    assert_eq!(
        dbg(
            "mergeOverwrite",
            &[d(&[("a", s("x"))]), d(&[("a", d(&[("b", i(1))]))])]
        ),
        r#"{"a": "x"}"#
    );
    let nested = d(&[("a", d(&[("b", d(&[("c", s("value"))]))]))]);
    assert_eq!(
        dbg("dig", &[s("a"), s("b"), s("c"), s("def"), nested.clone()]),
        r#""value""#
    );
    assert_eq!(
        dbg("dig", &[s("a"), s("z"), s("def"), nested.clone()]),
        r#""def""#
    );
    assert_eq!(
        call("dig", &[s("a"), s("b"), s("c"), s("d"), s("def"), nested]).unwrap_err(),
        "interface conversion: interface {} is string, not map[string]interface {}"
    );
}

// docs/paths.md examples.
#[test]
fn paths() {
    assert_eq!(ok_str("base", &[s("foo/bar/baz")]), "baz");
    assert_eq!(ok_str("dir", &[s("/foo/bar/baz")]), "/foo/bar");
    assert_eq!(ok_str("clean", &[s("foo/bar/../baz")]), "foo/baz");
    assert_eq!(ok_str("ext", &[s("foo.bar")]), ".bar");
    assert_eq!(dbg("isAbs", &[s("/foo")]), "true");
    assert_eq!(ok_str("osBase", &[s("foo/bar/baz")]), "baz");
}

// regex_test.go tables and Go 1.27 regexp for the empty-match and ASCII-class rules.
#[test]
fn regex() {
    assert_eq!(
        dbg(
            "regexMatch",
            &[
                s("^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\\.[a-zA-Z]{2,}$"),
                s("test@acme.com")
            ]
        ),
        "true"
    );
    assert_eq!(dbg("regexMatch", &[s("("), s("x")]), "false");
    assert_eq!(
        call("mustRegexMatch", &[s("("), s("x")]).unwrap_err(),
        "error parsing regexp: missing closing ): `(`"
    );
    assert_eq!(
        call("regexFind", &[s("a(b"), s("x")]).unwrap_err(),
        "regexp: Compile(`a(b`): error parsing regexp: missing closing ): `a(b`"
    );
    assert_eq!(
        dbg("regexFindAll", &[s("a{2}"), s("aaaaaa"), i(-1)]),
        r#"["aa", "aa", "aa"]"#
    );
    assert_eq!(dbg("regexFindAll", &[s("a{2}"), s("none"), i(-1)]), "[]");
    assert_eq!(
        dbg("regexFindAll", &[s("a*"), s("baaab"), i(-1)]),
        r#"["", "aaa", ""]"#
    );
    assert_eq!(
        ok_str("regexFind", &[s("[a-zA-Z][1-9]"), s("abcd1234")]),
        "d1"
    );
    assert_eq!(
        ok_str(
            "regexReplaceAll",
            &[s("a(x*)b"), s("-ab-axxb-"), s("${1}W")]
        ),
        "-W-xxW-"
    );
    assert_eq!(
        ok_str("regexReplaceAll", &[s("a(x*)b"), s("-ab-axxb-"), s("$1W")]),
        "---"
    );
    assert_eq!(
        ok_str(
            "regexReplaceAllLiteral",
            &[s("a(x*)b"), s("-ab-axxb-"), s("${1}")]
        ),
        "-${1}-${1}-"
    );
    assert_eq!(
        ok_str("regexReplaceAll", &[s("x*"), s("abc"), s("-")]),
        "-a-b-c-"
    );
    assert_eq!(
        ok_str("regexReplaceAll", &[s("a|"), s("baaac"), s("<$0>")]),
        "<>b<a><a><a>c<>"
    );
    assert_eq!(
        dbg("regexSplit", &[s("z+"), s("pizza"), i(-1)]),
        r#"["pi", "a"]"#
    );
    assert_eq!(
        dbg("regexSplit", &[s("z+"), s("pizza"), i(1)]),
        r#"["pizza"]"#
    );
    assert_eq!(
        dbg("regexSplit", &[s(""), s("abc"), i(-1)]),
        r#"["a", "b", "c"]"#
    );
    assert_eq!(ok_str("regexQuoteMeta", &[s("1.2.3-a")]), "1\\.2\\.3-a");
    // Go's \d and \w are ASCII-only; { without a valid count is a literal.
    assert_eq!(dbg("regexMatch", &[s("^\\d$"), s("٣")]), "false");
    assert_eq!(dbg("regexMatch", &[s("^a{$"), s("a{")]), "true");
    assert_eq!(dbg("regexMatch", &[s("^[[]$"), s("[")]), "true");
    assert_eq!(dbg("regexMatch", &[s("\\bfoo\\b"), s("é foo")]), "true");
    assert_eq!(dbg("regexMatch", &[s("^\\p{Greek}+$"), s("αβ")]), "true");
    // Go 1.27 accepts a repeated group name; the first group of that name expands.
    assert_eq!(
        ok_str(
            "regexReplaceAll",
            &[s("(?P<n>a)(?P<n>b)"), s("ab"), s("${n}")]
        ),
        "a"
    );
    assert_eq!(dbg("regexMatch", &[s("^(?i)a?(?:b)*$"), s("ABB")]), "true");
    assert_eq!(dbg("regexMatch", &[s("^\\Qa.b\\E$"), s("a.b")]), "true");
    assert_eq!(
        call("mustRegexMatch", &[s("a**"), s("x")]).unwrap_err(),
        "error parsing regexp: invalid nested repetition operator: `**`"
    );
    for (p, e) in [
        ("*a", "missing argument to repetition operator: `*`"),
        ("[z-a]", "invalid character class range: `z-a`"),
        ("\\q", "invalid escape sequence: `\\q`"),
        ("a)", "unexpected ): `a)`"),
        ("[a", "missing closing ]: `[a`"),
        ("a{2}{3}", "invalid nested repetition operator: `{2}{3}`"),
        ("a*?+", "invalid nested repetition operator: `*?+`"),
        ("\\p{Foo}", "invalid character class range: `\\p{Foo}`"),
        ("x{1001,}", "invalid repeat count: `{1001,}`"),
        ("\\8", "invalid escape sequence: `\\8`"),
    ] {
        let got = call("mustRegexMatch", &[s(p), s("x")]).unwrap_err();
        assert_eq!(got, format!("error parsing regexp: {e}"), "{p}");
    }
    assert_eq!(
        call("mustRegexMatch", &[s("a{1001}"), s("x")]).unwrap_err(),
        "error parsing regexp: invalid repeat count: `{1001}`"
    );
}

// Bodies never panic, whatever the argument kinds and counts (the executor normally checks
// them first, but a body must not rely on it).
#[test]
fn no_function_panics_on_any_arguments() {
    let samples = vec![
        Value::Nil,
        Value::Bool(true),
        i(-3),
        i(0),
        i(2),
        i(1 << 62),
        Value::uint64(u64::MAX),
        Value::Float(f64::NAN),
        Value::Float(-1.5),
        s(""),
        s("a"),
        s("é日"),
        s("x{(["),
        l(vec![]),
        l(vec![i(1), s("a"), Value::Nil]),
        d(&[]),
        d(&[("a", i(1)), ("b", d(&[("c", s("x"))]))]),
    ];
    let m = funcs();
    let names: Vec<&str> = "hello abbrev abbrevboth trunc trim upper lower title untitle substr repeat \
        trimall trimAll trimSuffix trimPrefix nospace initials swapcase shuffle snakecase camelcase \
        kebabcase wrap wrapWith contains hasPrefix hasSuffix quote squote cat indent nindent replace \
        plural toString atoi int64 int float64 seq toDecimal split splitList splitn toStrings until \
        untilStep join sortAlpha default empty coalesce all any compact fromJson toJson toPrettyJson \
        toRawJson ternary deepCopy typeOf typeIs typeIsLike kindOf kindIs deepEqual base dir clean \
        ext isAbs list dict get set unset hasKey pluck keys pick omit merge mergeOverwrite values \
        append prepend first rest last initial reverse uniq without has slice concat dig chunk \
        regexMatch regexFindAll regexFind regexReplaceAll regexReplaceAllLiteral regexSplit \
        regexQuoteMeta"
        .split_whitespace()
        .collect();
    let mut calls = 0;
    for name in names {
        let f = m.get(name).unwrap();
        let mut try_args = |args: &[Value]| {
            calls += 1;
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (f.call)(args)));
            assert!(r.is_ok(), "{name}{args:?} panicked");
        };
        try_args(&[]);
        for a in &samples {
            try_args(std::slice::from_ref(a));
            for b in &samples {
                try_args(&[a.clone(), b.clone()]);
            }
        }
        // Three and four arguments over a smaller set.
        for a in samples.iter().step_by(3) {
            for b in samples.iter().step_by(2) {
                for c in &samples {
                    try_args(&[a.clone(), b.clone(), c.clone()]);
                    try_args(&[a.clone(), b.clone(), c.clone(), a.clone()]);
                }
            }
        }
    }
    assert!(calls > 100_000);
}

// Go's decoder stops at 10000 nested levels; here the limit is 1000 (same message) because
// dropping a value nested ten thousand deep can exhaust a 2 MiB thread stack. Decoding,
// encoding and dropping at the limit must work on such a thread.
#[test]
fn deep_json_nesting() {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            let deep = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
            let v = call("mustFromJson", &[s(&deep)]).unwrap();
            assert_eq!(ok_str("toJson", &[v]), deep);
            let too_deep = format!("{}{}", "[".repeat(1001), "]".repeat(1001));
            assert_eq!(
                call("mustFromJson", &[s(&too_deep)]).unwrap_err(),
                "exceeded max depth"
            );
            // Encoding is iterative: a deeper value built elsewhere still encodes.
            let mut v = Value::Nil;
            for _ in 0..5000 {
                v = Value::list(vec![v]);
            }
            let out = ok_str("toPrettyJson", &[v]);
            assert_eq!(out.matches('[').count(), 5000);
        })
        .unwrap()
        .join()
        .unwrap();
}
