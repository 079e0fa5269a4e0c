//! Template-level tests of sprig's general-purpose functions: templates from sprig v3's own
//! test tables (`strings_test.go`, `list_test.go`, `dict_test.go`, `defaults_test.go`,
//! `regex_test.go`, `numeric_test.go`, `reflect_test.go`) and `docs/*.md`, executed end to end
//! with `sprig::funcs()`, plus the executor/function interplay (pipelines, argument checks,
//! nil data, errors as Go reports them).

use gotmpl::{sprig, Limits, Template, Value};

fn run_with(src: &str, data: &Value) -> Result<String, String> {
    let t = Template::parse("t", src, &sprig::funcs()).map_err(|e| e.to_string())?;
    t.execute(data, &Limits::default())
        .map_err(|e| e.to_string())
}

fn run(src: &str) -> Result<String, String> {
    run_with(src, &Value::Nil)
}

fn check(cases: &[(&str, &str)]) {
    for (src, want) in cases {
        assert_eq!(run(src).as_deref(), Ok(*want), "{src}");
    }
}

#[test]
fn strings_from_sprig_tests() {
    // strings_test.go
    check(&[
        (r#"{{"fooo" | substr 0 3 }}"#, "foo"),
        (r#"{{ "foooooo" | trunc 3 }}"#, "foo"),
        (r#"{{ "baaaaaar" | trunc -3 }}"#, "aar"),
        (r#"{{quote "a" "b" "c"}}"#, r#""a" "b" "c""#),
        (r#"{{quote 1 2 3 }}"#, r#""1" "2" "3""#),
        (r#"{{squote "a" "b" "c"}}"#, "'a' 'b' 'c'"),
        (r#"{{if contains "cat" "fair catch"}}1{{end}}"#, "1"),
        (r#"{{if hasPrefix "cat" "catch"}}1{{end}}"#, "1"),
        (r#"{{if hasSuffix "cat" "ducat"}}1{{end}}"#, "1"),
        (r#"{{trim "   5.00   "}}"#, "5.00"),
        (r#"{{trimAll "$" "$5.00$"}}"#, "5.00"),
        (r#"{{trimPrefix "$" "$5.00"}}"#, "5.00"),
        (r#"{{trimSuffix "$" "5.00$"}}"#, "5.00"),
        (r#"{{$v := "foo$bar$baz" | split "$"}}{{$v._0}}"#, "foo"),
        (
            r#"{{$v := "foo$bar$baz" | splitn "$" 2}}{{$v._1}}"#,
            "bar$baz",
        ),
        (r#"{{ toString 1 | kindOf }}"#, "string"),
        (
            r#"{{ $s := list 1 2 3 | toStrings }}{{ index $s 1 | kindOf }}"#,
            "string",
        ),
        (r#"{{ tuple "a" "b" "c" | join "-" }}"#, "a-b-c"),
        (r#"{{ tuple 1 2 3 | join "-" }}"#, "1-2-3"),
        (r#"{{ list "c" "a" "b" | sortAlpha | join "" }}"#, "abc"),
        (r#"{{ list 2 1 4 3 | sortAlpha | join "" }}"#, "1234"),
        (r#"{{abbrev 5 "hello world"}}"#, "he..."),
        (r#"{{abbrevboth 5 10 "1234 5678 9123"}}"#, "...5678..."),
        (r#"{{nospace "h e l l o "}}"#, "hello"),
        (r#"{{untitle "First Try"}}"#, "first try"),
        (r#"{{initials "First Try"}}"#, "FT"),
        (r#"{{wrap 5 "Hello World"}}"#, "Hello\nWorld"),
        (r#"{{wrapWith 5 "\t" "Hello World"}}"#, "Hello\tWorld"),
        (r#"{{$b := "b"}}{{"c" | cat "a" $b}}"#, "a b c"),
        (r#"{{indent 4 "a\nb\nc"}}"#, "    a\n    b\n    c"),
        (r#"{{nindent 4 "a\nb\nc"}}"#, "\n    a\n    b\n    c"),
        (
            r#"{{"I Am Henry VIII" | replace " " "-"}}"#,
            "I-Am-Henry-VIII",
        ),
        (
            r#"{{$num := len "two"}}{{$num}} {{$num | plural "1 char" "chars"}}"#,
            "3 chars",
        ),
        (r#"{{len "t" | plural "cheese" "%d chars"}}"#, "cheese"),
        // docs/strings.md
        (r#"{{ "hello" | upper }}"#, "HELLO"),
        (r#"{{ "HELLO" | lower }}"#, "hello"),
        (r#"{{ "hello world" | title }}"#, "Hello World"),
        (r#"{{ "hello" | repeat 3 }}"#, "hellohellohello"),
        (r#"{{ "FirstName" | snakecase }}"#, "first_name"),
        (r#"{{ "http_server" | camelcase }}"#, "HttpServer"),
        (r#"{{ "FirstName" | kebabcase }}"#, "first-name"),
        (r#"{{ "This Is A.Test" | swapcase }}"#, "tHIS iS a.tEST"),
        (r#"{{ splitList "$" "foo$bar$baz" }}"#, "[foo bar baz]"),
    ]);
}

#[test]
fn defaults_json_and_reflection() {
    // defaults_test.go, docs/defaults.md, docs/reflection.md, docs/conversion.md
    check(&[
        (r#"{{ "" | default "foo" }}"#, "foo"),
        (r#"{{ 0 | default "foo" }}"#, "foo"),
        (r#"{{ "bar" | default "foo" }}"#, "bar"),
        (r#"{{ .Nothing | default "123" }}"#, "123"),
        (r#"{{ if empty "" }}1{{ end }}"#, "1"),
        (r#"{{ if empty .Nothing }}1{{ end }}"#, "1"),
        (r#"{{ coalesce "" 0 "x" }}"#, "x"),
        (r#"{{ coalesce "" 0 }}"#, "<no value>"),
        (r#"{{ all 1 "a" true }}"#, "true"),
        (r#"{{ any 0 "" false }}"#, "false"),
        (r#"{{ true | ternary "foo" "bar" }}"#, "foo"),
        (r#"{{ false | ternary "foo" "bar" }}"#, "bar"),
        (
            r#"{{ dict "a" 1 "b" "<x>" | toJson }}"#,
            r#"{"a":1,"b":"\u003cx\u003e"}"#,
        ),
        (
            r#"{{ dict "a" 1 "b" "<x>" | toRawJson }}"#,
            r#"{"a":1,"b":"<x>"}"#,
        ),
        (r#"{{ list 1 "a" | toPrettyJson }}"#, "[\n  1,\n  \"a\"\n]"),
        (r#"{{ (fromJson "{\"foo\": 55}").foo }}"#, "55"),
        (r#"{{ fromJson "[1, 2.5]" | toJson }}"#, "[1,2.5]"),
        (r#"{{ typeOf "a" }}"#, "string"),
        (r#"{{ typeOf 1 }}"#, "int"),
        (r#"{{ kindOf (list 1) }}"#, "slice"),
        (r#"{{ kindIs "map" (dict) }}"#, "true"),
        (r#"{{ typeIs "string" "x" }}"#, "true"),
        (r#"{{ deepEqual (list 1 2) (list 1 2) }}"#, "true"),
        (r#"{{ atoi "42" }}"#, "42"),
        (r#"{{ int "8" }}"#, "8"),
        (r#"{{ float64 "1.5" }}"#, "1.5"),
        (r#"{{ "0777" | toDecimal }}"#, "511"),
        // Objects from the other sprig functions (time.Time is a struct).
        (r#"{{ typeOf now }}"#, "time.Time"),
        (r#"{{ kindOf now }}"#, "struct"),
        (r#"{{ empty now }}"#, "false"),
    ]);
}

#[test]
fn lists_dicts_paths_regex() {
    // list_test.go, dict_test.go, docs/lists.md, docs/dicts.md, docs/paths.md, regex_test.go
    check(&[
        (r#"{{ list 1 2 3 | first }}"#, "1"),
        (r#"{{ list 1 2 3 | last }}"#, "3"),
        (r#"{{ list 1 2 3 | rest }}"#, "[2 3]"),
        (r#"{{ list 1 2 3 | initial }}"#, "[1 2]"),
        (r#"{{ append (list 1 2) 3 }}"#, "[1 2 3]"),
        (r#"{{ prepend (list 1 2) 0 }}"#, "[0 1 2]"),
        (r#"{{ concat (list 1) (list 2 3) }}"#, "[1 2 3]"),
        (r#"{{ list 1 2 3 | reverse }}"#, "[3 2 1]"),
        (r#"{{ list 1 1 2 | uniq }}"#, "[1 2]"),
        (r#"{{ without (list 1 2 3) 2 }}"#, "[1 3]"),
        (r#"{{ has 2 (list 1 2 3) }}"#, "true"),
        (r#"{{ list 1 "" 0 "a" | compact }}"#, "[1 a]"),
        (r#"{{ slice (list 1 2 3 4) 1 3 }}"#, "[2 3]"),
        (r#"{{ chunk 2 (list 1 2 3) }}"#, "[[1 2] [3]]"),
        (r#"{{ until 3 }}"#, "[0 1 2]"),
        (r#"{{ untilStep 0 6 2 }}"#, "[0 2 4]"),
        (r#"{{ seq 1 3 }}"#, "1 2 3"),
        (
            r#"{{ range $i, $e := until 3 }}{{ $i }}{{ $e }} {{ end }}"#,
            "00 11 22 ",
        ),
        (r#"{{ $d := dict "a" 1 }}{{ get $d "a" }}"#, "1"),
        (
            r#"{{ $d := dict "a" 1 }}{{ $d = set $d "b" 2 }}{{ $d.b }}"#,
            "2",
        ),
        // dict_test.go TestSet / TestUnset: the in-place idiom.
        (
            r#"{{- $d := dict "one" 1 "two" 222222 -}}{{- $_ := set $d "two" 2 -}}{{- $_ := set $d "three" 3 -}}{{- if hasKey $d "one" -}}{{$d.one}}{{- end -}}{{- if hasKey $d "two" -}}{{$d.two}}{{- end -}}{{- if hasKey $d "three" -}}{{$d.three}}{{- end -}}"#,
            "123",
        ),
        (
            r#"{{- $d := dict "one" 1 "two" 222222 -}}{{- $_ := unset $d "two" -}}{{- range $k, $v := $d}}{{$k}}{{$v}}{{- end -}}"#,
            "one1",
        ),
        (r#"{{ hasKey (dict "a" 1) "a" }}"#, "true"),
        (r#"{{ pluck "a" (dict "a" 1) (dict "a" 2) }}"#, "[1 2]"),
        (r#"{{ keys (dict "b" 1 "a" 2) | sortAlpha }}"#, "[a b]"),
        (r#"{{ pick (dict "a" 1 "b" 2) "a" }}"#, "map[a:1]"),
        (r#"{{ omit (dict "a" 1 "b" 2) "a" }}"#, "map[b:2]"),
        (
            r#"{{ merge (dict "a" 1) (dict "a" 2 "b" 3) }}"#,
            "map[a:1 b:3]",
        ),
        (
            r#"{{ mergeOverwrite (dict "a" 1) (dict "a" 2 "b" 3) }}"#,
            "map[a:2 b:3]",
        ),
        (r#"{{ dict "a" (dict "b" "v") | dig "a" "b" "d" }}"#, "v"),
        (r#"{{ base "foo/bar/baz" }}"#, "baz"),
        (r#"{{ dir "/foo/bar/baz" }}"#, "/foo/bar"),
        (r#"{{ clean "foo/bar/../baz" }}"#, "foo/baz"),
        (r#"{{ ext "foo.bar" }}"#, ".bar"),
        (r#"{{ isAbs "/foo" }}"#, "true"),
        (r#"{{ regexMatch "^[a-z]+$" "abc" }}"#, "true"),
        (
            r#"{{ regexFindAll "[1,3,5,7]" "abc1234567890" -1 }}"#,
            "[1 3 5 7]",
        ),
        (r#"{{ regexFind "[a-zA-Z][1-9]" "abcd1234" }}"#, "d1"),
        (
            r#"{{ regexReplaceAll "a(x*)b" "-ab-axxb-" "${1}W" }}"#,
            "-W-xxW-",
        ),
        (
            r#"{{ regexReplaceAllLiteral "a(x*)b" "-ab-axxb-" "${1}" }}"#,
            "-${1}-${1}-",
        ),
        (r#"{{ regexSplit "z+" "pizza" -1 }}"#, "[pi a]"),
        (r#"{{ regexQuoteMeta "1.2.3" }}"#, r"1\.2\.3"),
    ]);
}

#[test]
fn data_and_errors() {
    let data = Value::from_json(&serde_json::json!({
        "name": "web", "ports": [80, 443], "labels": {"app": "x"}, "none": null
    }));
    let cases = [
        (r#"{{ .name | upper | quote }}"#, Ok(r#""WEB""#)),
        (r#"{{ .ports | toJson }}"#, Ok("[80,443]")),
        (r#"{{ .labels | toJson }}"#, Ok(r#"{"app":"x"}"#)),
        (r#"{{ .none | quote }}"#, Ok("")),
        (r#"{{ .missing | default "d" }}"#, Ok("d")),
        (r#"{{ first .ports }}"#, Ok("80")),
        (r#"{{ .labels | keys | join "," }}"#, Ok("app")),
        (
            r#"{{ first "x" }}"#,
            Err(
                r#"template: t:1:3: executing "t" at <first "x">: error calling first: Cannot find first on type string"#,
            ),
        ),
        (
            r#"{{ mustRegexMatch "(" "x" }}"#,
            Err(
                r#"template: t:1:3: executing "t" at <mustRegexMatch "(" "x">: error calling mustRegexMatch: error parsing regexp: missing closing ): `(`"#,
            ),
        ),
    ];
    for (src, want) in cases {
        let got = run_with(src, &data);
        match want {
            Ok(w) => assert_eq!(got, Ok(w.to_string()), "{src}"),
            Err(w) => assert_eq!(got, Err(w.to_string()), "{src}"),
        }
    }
}

/// 400 random values encoded by Go 1.27's encoding/json (testdata/sprig_text/json_gen.go):
/// `fromJson` of Go's output, then `toJson`/`toPrettyJson`/`toRawJson`, must give Go's bytes
/// (float formatting, escaping, key order, indentation).
#[test]
fn json_round_trip_matches_go() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/sprig_text/json_golden.jsonl"
    ))
    .unwrap();
    let funcs = sprig::funcs();
    let call = |name: &str, v: &Value| -> String {
        match (funcs.get(name).unwrap().call)(std::slice::from_ref(v)) {
            Ok(Value::String(s)) => s.to_string(),
            other => panic!("{name}: {other:?}"),
        }
    };
    let mut n = 0;
    for line in text.lines() {
        let case: serde_json::Value = serde_json::from_str(line).unwrap();
        let get = |k: &str| case[k].as_str().unwrap().to_string();
        let decoded = (funcs.get("mustFromJson").unwrap().call)(&[Value::from(get("raw"))])
            .unwrap_or_else(|e| panic!("{line}: {e}"));
        assert_eq!(call("toJson", &decoded), get("json"), "{line}");
        assert_eq!(call("toPrettyJson", &decoded), get("pretty"), "{line}");
        assert_eq!(call("toRawJson", &decoded), get("raw"), "{line}");
        n += 1;
    }
    assert_eq!(n, 400);
}

/// Mutated JSON documents and Go 1.27's `json.Unmarshal` verdict on each
/// (testdata/sprig_text/jsonerr_gen.go): `mustFromJson` must fail with Go's message, or succeed.
#[test]
fn json_decode_errors_match_go() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/sprig_text/json_errors.jsonl"
    ))
    .unwrap();
    let funcs = sprig::funcs();
    let mut bad = Vec::new();
    for line in text.lines() {
        let case: serde_json::Value = serde_json::from_str(line).unwrap();
        let input = case["input"].as_str().unwrap();
        let want = case["error"].as_str().unwrap();
        let got = match (funcs.get("mustFromJson").unwrap().call)(&[Value::from(input)]) {
            Ok(_) => String::new(),
            Err(e) => e.0,
        };
        if got != want {
            bad.push(format!("{input:?}: got {got:?}, Go {want:?}"));
        }
    }
    assert!(
        bad.is_empty(),
        "{} mismatches:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

/// 1000 random RE2 patterns and inputs with Go 1.27's regexp results
/// (testdata/sprig_text/regex_gen.go), through the must* regex functions.
#[test]
fn regex_matches_go() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/sprig_text/regex_golden.jsonl"
    ))
    .unwrap();
    let funcs = sprig::funcs();
    let call = |name: &str, args: &[Value]| -> Result<Value, String> {
        (funcs.get(name).unwrap().call)(args).map_err(|e| e.0)
    };
    let strs = |v: &serde_json::Value| -> Value {
        match v.as_array() {
            Some(a) => Value::list(a.iter().map(|x| Value::from(x.as_str().unwrap())).collect()),
            None => Value::list(Vec::new()),
        }
    };
    let mut bad = Vec::new();
    for line in text.lines() {
        let c: serde_json::Value = serde_json::from_str(line).unwrap();
        let (p, s, repl) = (
            Value::from(c["pattern"].as_str().unwrap()),
            Value::from(c["input"].as_str().unwrap()),
            Value::from(c["repl"].as_str().unwrap()),
        );
        let mut check = |what: &str, got: Result<Value, String>, want: Result<Value, String>| {
            let (g, w) = (format!("{got:?}"), format!("{want:?}"));
            if g != w {
                bad.push(format!("{what} {p:?} on {s:?}: got {g}, Go {w}"));
            }
        };
        if let Some(e) = c.get("error") {
            let want = Err(e.as_str().unwrap().to_string());
            check(
                "compile",
                call("mustRegexMatch", &[p.clone(), s.clone()]),
                want,
            );
            continue;
        }
        let b = |k: &str| Ok(Value::Bool(c[k].as_bool().unwrap()));
        let st = |k: &str| Ok(Value::from(c[k].as_str().unwrap()));
        check(
            "match",
            call("mustRegexMatch", &[p.clone(), s.clone()]),
            b("match"),
        );
        check(
            "find",
            call("mustRegexFind", &[p.clone(), s.clone()]),
            st("find"),
        );
        let n = |i| Value::int(i);
        check(
            "all",
            call("mustRegexFindAll", &[p.clone(), s.clone(), n(-1)]),
            Ok(strs(&c["all"])),
        );
        check(
            "all2",
            call("mustRegexFindAll", &[p.clone(), s.clone(), n(2)]),
            Ok(strs(&c["all2"])),
        );
        let args = [p.clone(), s.clone(), repl.clone()];
        check("replace", call("mustRegexReplaceAll", &args), st("replace"));
        check(
            "literal",
            call("mustRegexReplaceAllLiteral", &args),
            st("literal"),
        );
        check(
            "split",
            call("mustRegexSplit", &[p.clone(), s.clone(), n(-1)]),
            Ok(strs(&c["split"])),
        );
        check(
            "split2",
            call("mustRegexSplit", &[p.clone(), s.clone(), n(2)]),
            Ok(strs(&c["split2"])),
        );
    }
    assert!(
        bad.is_empty(),
        "{} mismatches:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

/// 500 random inputs through the Go 1.27 standard-library functions behind sprig's string and
/// path functions (testdata/sprig_text/strings_gen.go).
#[test]
fn strings_and_paths_match_go() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/sprig_text/strings_golden.jsonl"
    ))
    .unwrap();
    let funcs = sprig::funcs();
    let mut bad = Vec::new();
    for line in text.lines() {
        let c: serde_json::Value = serde_json::from_str(line).unwrap();
        let v = |k: &str| Value::from(c[k].as_str().unwrap());
        let n = c["n"].as_i64().unwrap();
        let (s, t, u, p) = (v("s"), v("t"), v("u"), v("p"));
        let calls: Vec<(&str, Vec<Value>)> = vec![
            ("upper", vec![s.clone()]),
            ("lower", vec![s.clone()]),
            ("title", vec![s.clone()]),
            ("trim", vec![s.clone()]),
            ("trimAll", vec![t.clone(), s.clone()]),
            ("trimPrefix", vec![t.clone(), s.clone()]),
            ("trimSuffix", vec![t.clone(), s.clone()]),
            ("contains", vec![t.clone(), s.clone()]),
            ("hasPrefix", vec![t.clone(), s.clone()]),
            ("hasSuffix", vec![t.clone(), s.clone()]),
            ("replace", vec![t.clone(), u.clone(), s.clone()]),
            ("splitList", vec![t.clone(), s.clone()]),
            ("quote", vec![s.clone()]),
            ("indent", vec![Value::int(n + 1), s.clone()]),
            ("base", vec![p.clone()]),
            ("dir", vec![p.clone()]),
            ("clean", vec![p.clone()]),
            ("ext", vec![p.clone()]),
            ("isAbs", vec![p.clone()]),
        ];
        for (name, args) in calls {
            let got = (funcs.get(name).unwrap().call)(&args).map_err(|e| e.0);
            let want = Value::from_json(&c[name]);
            if format!("{got:?}") != format!("{:?}", Ok::<_, String>(want.clone())) {
                bad.push(format!("{name}{args:?}: got {got:?}, Go {want:?}"));
            }
        }
        // splitn's map form: "_0", "_1", ... of strings.SplitN.
        let got = (funcs.get("splitn").unwrap().call)(&[t.clone(), Value::int(n), s.clone()]);
        let parts: Vec<String> = c["splitn"]
            .as_array()
            .map(|a| a.iter().map(|x| x.as_str().unwrap().to_string()).collect())
            .unwrap_or_default();
        let want: std::collections::BTreeMap<String, Value> = parts
            .into_iter()
            .enumerate()
            .map(|(i, x)| (format!("_{i}"), Value::from(x)))
            .collect();
        if format!("{:?}", got.map_err(|e| e.0))
            != format!("{:?}", Ok::<_, String>(Value::map(want.clone())))
        {
            bad.push(format!("splitn {t:?} {n} {s:?}: Go {want:?}"));
        }
    }
    assert!(
        bad.is_empty(),
        "{} mismatches:\n{}",
        bad.len(),
        bad.join("\n")
    );
}
