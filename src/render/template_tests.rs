//! Class templates through the whole render path: Go-identical results for the constructs real
//! classes use, and the execution bounds that protect the driver from a hostile class.

use super::golden_tests::{request, secrets, TOKEN};
use super::tests::{cfg, class_with, connector, text};
use super::*;

/// Renders `source` as file `out` of configuration `conf` of class `tool`.
fn render_one(source: &str) -> Result<String, RenderError> {
    let class = class_with("tool", vec![cfg("conf", &[("out", source)], vec![])]);
    let rcs = [connector(
        "ns",
        "a",
        class,
        Some("http://proxy.example:3128"),
    )];
    render(&rcs, &request(&["conf"]), &secrets()).map(|p| text(&p, "out"))
}

fn template_error(source: &str) -> String {
    match render_one(source) {
        Err(
            RenderError::Template {
                class,
                configuration,
                file,
                message,
            }
            | RenderError::TemplateLimit {
                class,
                configuration,
                file,
                message,
            },
        ) => {
            assert_eq!((&*class, &*configuration, &*file), ("tool", "conf", "out"));
            assert!(!message.contains(TOKEN), "token leaked: {message}");
            message
        }
        other => panic!("{source}: expected a template error, got {other:?}"),
    }
}

/// Each expectation was produced by Go's text/template (and sprig's documented behaviour for
/// the sprig functions); these are the constructs the gtmpl-based renderer got wrong.
#[test]
fn class_templates_render_what_go_renders() {
    let cases: &[(&str, &str)] = &[
        (
            r#"{{ $x := "a" }}{{ if .connector.metadata.name }}{{ $x = "b" }}{{ end }}{{ $x }}"#,
            "b",
        ),
        (
            r#"{{ printf "%s%%2F%s" .connector.metadata.namespace .connector.metadata.name }}"#,
            "ns%2Fa",
        ),
        (r#"{{ printf "%q" "x" }}"#, r#""x""#),
        (r#"{{ eq .connector.metadata.name "z" "a" }}"#, "true"),
        (
            r#"{{ range .connector.spec.nothing }}x{{ end }}|{{ .connector.nothing.nested }}"#,
            "|<no value>",
        ),
        (
            r#"{{ range $i, $v := list "p" "q" "r" }}{{ if eq $v "q" }}{{ continue }}{{ end }}{{ if eq $v "r" }}{{ break }}{{ end }}{{ $i }}{{ $v }}{{ end }}"#,
            "0p",
        ),
        (r#"{{ range 3 }}{{ . }}{{ end }}"#, "012"),
        (
            r#"{{ "\u00e9" }}{{ 0x1F }}{{ 0o17 }}{{ 1_000 }}"#,
            "é31151000",
        ),
        (
            r#"{{ $hp := splitList ":" (urlParse .connector.status.proxyAddress).host }}{{ first $hp }}|{{ last $hp }}"#,
            "proxy.example|3128",
        ),
        (
            r#"{{ list "a" "b" | append (list "x") | join "," }}"#,
            // sprig's append(list, v): the piped list becomes the appended value
            "x,[a b]",
        ),
        (r#"{{ list "a" "b" | join "," }}"#, "a,b"),
        (r#"{{ dict "b" 2 "a" 1 | toJson }}"#, r#"{"a":1,"b":2}"#),
        (r#"{{ "hello" | upper | quote }}"#, r#""HELLO""#),
        (r#"{{ env "HOME" }}|{{ expandenv "x$HOME" }}"#, "|x"),
    ];
    for (source, want) in cases {
        match render_one(source) {
            Ok(got) => assert_eq!(&got, want, "template {source}"),
            Err(e) => panic!("template {source}: {e}"),
        }
    }
}

#[test]
fn a_recursive_class_template_is_an_error_not_a_crash() {
    let err = render_one(r#"{{ define "a" }}x{{ template "a" . }}{{ end }}{{ template "a" . }}"#);
    assert!(
        matches!(err, Err(RenderError::TemplateLimit { .. })),
        "{err:?}"
    );
    let message =
        template_error(r#"{{ define "a" }}x{{ template "a" . }}{{ end }}{{ template "a" . }}"#);
    assert!(
        message.contains("exceeded maximum template depth"),
        "{message}"
    );
}

#[test]
fn runaway_loops_stop_at_the_step_limit_with_the_line() {
    let message = template_error(
        "ok\n{{ range $i := until 5000 }}{{ range $j := until 5000 }}{{ end }}{{ end }}",
    );
    assert!(message.starts_with("template: out:2:"), "{message}");
    assert!(message.contains("exceeded"), "{message}");
}

#[test]
fn output_is_capped_at_the_payload_size() {
    let message = template_error(r#"{{ range $i := until 100000 }}{{ repeat 100 "x" }}{{ end }}"#);
    assert!(message.contains("exceeded"), "{message}");
}

#[test]
fn getting_the_nodes_network_or_environment_is_refused() {
    let message = template_error(r#"{{ getHostByName "kubernetes.default" }}"#);
    assert!(message.contains("getHostByName"), "{message}");
}

/// A class can write binary files (a keystore from a base64 parameter, a string cut inside a
/// character): the payload holds exactly the bytes Go's template writes, not U+FFFD.
#[test]
fn files_hold_the_bytes_the_template_writes_even_when_not_utf8() {
    let class = class_with(
        "tool",
        vec![cfg(
            "conf",
            &[
                ("keystore.p12", r#"{{ b64dec "/9j/AAEC/w==" }}"#),
                (
                    "cut",
                    r#"{{ "héllo" | trunc 2 }}|{{ printf "%q" ("\xff" | trunc 1) }}"#,
                ),
            ],
            vec![],
        )],
    );
    let rcs = [connector("ns", "a", class, None)];
    let payload = render(&rcs, &request(&["conf"]), &secrets()).unwrap();
    assert_eq!(
        payload.files["keystore.p12"],
        [0xff, 0xd8, 0xff, 0x00, 0x01, 0x02, 0xff]
    );
    assert_eq!(payload.files["cut"], b"h\xc3|\"\\xff\"");
}

#[test]
fn an_edited_class_is_parsed_again() {
    assert_eq!(render_one("{{ 1 }}").unwrap(), "1");
    assert_eq!(render_one("{{ 2 }}").unwrap(), "2");
    assert_eq!(render_one("{{ 1 }}").unwrap(), "1");
    // A broken edit fails, and fixing it again renders.
    assert!(render_one("{{ 1 ").is_err());
    assert_eq!(render_one("{{ 3 }}").unwrap(), "3");
}
