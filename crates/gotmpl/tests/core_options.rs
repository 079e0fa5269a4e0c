//! Go's `missingkey` option (`Template::option`), checked against Go 1.27.

use gotmpl::{FuncMap, Limits, Template, Value};

/// (option, template, Go's output, Go's error ("" = none)); data below.
const CASES: &[(&str, &str, &str, &str)] = &[
    ("missingkey=zero", "{{.a.zz}}", "<no value>", ""),
    (
        "missingkey=zero",
        "{{.a.zz.y}}",
        "",
        "template: t:1:4: executing \"t\" at <.a.zz.y>: nil pointer evaluating interface {}.y",
    ),
    (
        "missingkey=zero",
        "{{.zz.y}}",
        "",
        "template: t:1:5: executing \"t\" at <.zz.y>: nil pointer evaluating interface {}.y",
    ),
    (
        "missingkey=zero",
        "{{.a.n.y}}",
        "",
        "template: t:1:4: executing \"t\" at <.a.n.y>: nil pointer evaluating interface {}.y",
    ),
    ("missingkey=zero", "{{if .a.zz}}y{{else}}n{{end}}", "n", ""),
    (
        "missingkey=zero",
        "{{range .l}}{{.x}}{{end}}",
        "1",
        "template: t:1:14: executing \"t\" at <.x>: nil pointer evaluating interface {}.x",
    ),
    ("missingkey=zero", "{{index .a \"zz\"}}", "<no value>", ""),
    ("missingkey=zero", "{{printf \"%v\" .a.zz}}", "<nil>", ""),
    ("missingkey=zero", "{{.a.zz | print}}", "<nil>", ""),
    ("missingkey=zero", "{{$x := .a.zz}}{{$x}}", "<no value>", ""),
    (
        "missingkey=error",
        "{{.a.zz}}",
        "",
        "template: t:1:4: executing \"t\" at <.a.zz>: map has no entry for key \"zz\"",
    ),
    (
        "missingkey=error",
        "{{.a.zz.y}}",
        "",
        "template: t:1:4: executing \"t\" at <.a.zz.y>: map has no entry for key \"zz\"",
    ),
    (
        "missingkey=error",
        "{{.zz.y}}",
        "",
        "template: t:1:5: executing \"t\" at <.zz.y>: map has no entry for key \"zz\"",
    ),
    (
        "missingkey=error",
        "{{.a.n.y}}",
        "",
        "template: t:1:4: executing \"t\" at <.a.n.y>: nil pointer evaluating interface {}.y",
    ),
    (
        "missingkey=error",
        "{{if .a.zz}}y{{else}}n{{end}}",
        "",
        "template: t:1:7: executing \"t\" at <.a.zz>: map has no entry for key \"zz\"",
    ),
    (
        "missingkey=error",
        "{{range .l}}{{.x}}{{end}}",
        "1",
        "template: t:1:14: executing \"t\" at <.x>: nil pointer evaluating interface {}.x",
    ),
    ("missingkey=error", "{{index .a \"zz\"}}", "<no value>", ""),
    (
        "missingkey=error",
        "{{printf \"%v\" .a.zz}}",
        "",
        "template: t:1:16: executing \"t\" at <.a.zz>: map has no entry for key \"zz\"",
    ),
    (
        "missingkey=error",
        "{{.a.zz | print}}",
        "",
        "template: t:1:4: executing \"t\" at <.a.zz>: map has no entry for key \"zz\"",
    ),
    (
        "missingkey=error",
        "{{$x := .a.zz}}{{$x}}",
        "",
        "template: t:1:10: executing \"t\" at <.a.zz>: map has no entry for key \"zz\"",
    ),
];

#[test]
fn missingkey_matches_go() {
    let data =
        Value::from_json(&serde_json::json!({"a": {"b": 1, "n": null}, "l": [{"x": 1}, null]}));
    for (opt, src, out, err) in CASES {
        let t = Template::parse("t", src, &FuncMap::new())
            .unwrap()
            .option(opt)
            .unwrap();
        match t.execute(&data, &Limits::default()) {
            Ok(o) => assert!(
                err.is_empty() && o == *out,
                "{opt} {src}: got {o:?}, Go: {out:?} {err:?}"
            ),
            Err(e) => assert_eq!(e.to_string(), *err, "{opt} {src}"),
        }
    }
}

#[test]
fn unknown_option_is_an_error() {
    let t = Template::parse("t", "x", &FuncMap::new()).unwrap();
    assert_eq!(
        t.option("missingkey=nope").unwrap_err(),
        "unrecognized option: missingkey=nope"
    );
    assert!(t.option("bogus").is_err());
}
