//! Table tests of sprig functions as class templates use them: argument order and semantics,
//! and misuse reported as a template error with a useful message.

use super::golden_tests::TOKEN;
use super::*;

/// Renders one template through the class machinery, with `.x` data for function tests.
fn eval(source: &str) -> Result<String, RenderError> {
    let data = serde_json::json!({
        "context": {"token": TOKEN},
        "obj": {"b": [1, true], "a": "x\"y"},
        "empty": "",
        "n": 3,
        "ml": "l1\nl2\t\\\u{7}",
    });
    template::render_file(
        template::ErrorSite {
            class: "c",
            configuration: "cfg",
            file: "f",
        },
        source,
        &data,
        TOKEN,
    )
    .map(|out| String::from_utf8(out).expect("these tables render UTF-8"))
}

#[test]
fn sprig_functions_follow_sprig_argument_order_and_semantics() {
    let cases: &[(&str, &str)] = &[
        (r#"{{ "hello" | b64enc }}"#, "aGVsbG8="),
        (r#"{{ b64dec "aGVsbG8=" }}"#, "hello"),
        // sprig returns the decoder's error text instead of failing.
        (
            r#"{{ b64dec "!!not base64" }}"#,
            "illegal base64 data at input byte 0",
        ),
        (r#"{{ replace "" "x" "abc" }}"#, "xaxbxcx"),
        (r#"{{ "ns/name" | urlquery }}"#, "ns%2Fname"),
        (r#"{{ urlquery "a b&c" }}"#, "a+b%26c"),
        (r#"{{ "http://x/" | trimSuffix "/" }}"#, "http://x"),
        (r#"{{ trimSuffix "/" "no-slash" }}"#, "no-slash"),
        (r#"{{ trimPrefix "v" "v1.2" }}"#, "1.2"),
        (r#"{{ trim "  a b \n" }}"#, "a b"),
        (r#"{{ printf "%s-%d" "a" 3 }}"#, "a-3"),
        (r#"{{ printf ":%s" "t" | b64enc }}"#, "OnQ="),
        (r#"{{ default "d" "" }}"#, "d"),
        (r#"{{ default "d" "v" }}"#, "v"),
        (r#"{{ .missing | default "d" }}"#, "d"),
        (r#"{{ .empty | default "d" }}"#, "d"),
        (r#"{{ default 9 .n }}"#, "3"),
        (r#"{{ quote "a\"b" }}"#, r#""a\"b""#),
        (r#"{{ quote .ml }}"#, r#""l1\nl2\t\\\a""#),
        (r#"{{ quote "a" "b" }}"#, r#""a" "b""#),
        (r#"{{ replace "." "-" "a.b.c" }}"#, "a-b-c"),
        (r#"{{ "a.b" | replace "." "/" }}"#, "a/b"),
        (r#"{{ lower "AbC" }}|{{ upper "AbC" }}"#, "abc|ABC"),
        (
            r#"{{ contains "b" "abc" }} {{ hasPrefix "a" "abc" }} {{ hasSuffix "a" "abc" }}"#,
            "true true false",
        ),
        (r#"{{ empty "" }} {{ empty .obj }}"#, "true false"),
        (r#"{{ toJson .obj }}"#, r#"{"a":"x\"y","b":[1,true]}"#),
        (r#"{{ toJson "q\"" }}"#, r#""q\"""#),
        (r#"{{ toJson .missing }}"#, "null"),
        (r#"{{ indent 2 "a\nb" }}"#, "  a\n  b"),
        (r#"x:{{ nindent 4 "a\nb" }}"#, "x:\n    a\n    b"),
        (r#"{{ "a" | indent 0 }}"#, "a"),
        (
            r#"{{ $u := urlParse "https://us%40er:pw@[::1]:8443/a%20b/c?x=1&y=2#frag" }}{{ $u.scheme }}|{{ $u.host }}|{{ $u.hostname }}|{{ $u.path }}|{{ $u.query }}|{{ $u.fragment }}|{{ $u.userinfo }}|{{ $u.opaque }}"#,
            "https|[::1]:8443|::1|/a b/c|x=1&y=2|frag|us%40er:pw|",
        ),
        (
            r#"{{ $u := urlParse "HTTP://c-x.ns.svc:80" }}{{ $u.scheme }}|{{ $u.host }}|{{ $u.hostname }}|{{ $u.path }}"#,
            "http|c-x.ns.svc:80|c-x.ns.svc|",
        ),
        // sprig's urlParse has no `port` key (Go's url.URL.Port() is not exported to it).
        (
            r#"{{ with urlParse "http://proxy.example:3128" }}{{ .port | default "none" }}{{ end }}"#,
            "none",
        ),
        (
            r#"{{ $u := urlParse "mailto:a@b.c" }}{{ $u.scheme }}|{{ $u.opaque }}|{{ $u.host }}"#,
            "mailto|a@b.c|",
        ),
        (r#"{{ (urlParse "/rel/p").path }}"#, "/rel/p"),
        (r#"{{ index .obj "a" }}"#, "x\"y"),
        (r#"{{- "trimmed" -}}  "#, "trimmed"),
        (
            r#"{{ if eq .n 3 }}three{{ else if eq .n 4 }}four{{ else }}other{{ end }}"#,
            "three",
        ),
    ];
    for (source, want) in cases {
        match eval(source) {
            Ok(got) => assert_eq!(&got, want, "template {source}"),
            Err(e) => panic!("template {source}: {e}"),
        }
    }
}

#[test]
fn sprig_function_misuse_is_a_template_error_with_a_useful_message() {
    // Go's and sprig's own messages (checked against Go's text/template where no sprig
    // function is involved).
    let cases: &[(&str, &str)] = &[
        (
            r#"{{ b64enc .missing }}"#,
            r#"executing "f" at <.missing>: invalid value; expected string"#,
        ),
        (
            r#"{{ urlParse "http://[::1" }}"#,
            r#"error calling urlParse: unable to parse url: parse "http://[::1": missing ']' in host"#,
        ),
        (
            r#"{{ urlParse "http://h:port" }}"#,
            r#"invalid port ":port" after host"#,
        ),
        (r#"{{ indent "x" "a" }}"#, r#"expected integer; found "x""#),
        (
            r#"{{ trimSuffix "/" }}"#,
            "wrong number of args for trimSuffix: want 2 got 1",
        ),
        (
            r#"{{ toJson }}"#,
            "wrong number of args for toJson: want 1 got 0",
        ),
        (
            r#"{{ b64enc .obj }}"#,
            "wrong type for value; expected string; got map[string]interface {}",
        ),
        (
            r#"{{ fail "no registry configured" }}"#,
            "error calling fail: no registry configured",
        ),
    ];
    for (source, want) in cases {
        let err = eval(source).expect_err(source);
        let msg = err.to_string();
        assert!(msg.contains(want), "template {source}: {msg}");
        assert!(matches!(err, RenderError::Template { .. }), "{source}");
    }
}
