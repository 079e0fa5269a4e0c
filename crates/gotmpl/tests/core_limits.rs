//! Bounded execution: step, output and depth limits, recursion, deep nesting in the source,
//! and a property test that no input panics or hangs.

use gotmpl::{Arity, CtxFuncMap, CtxFunction, FuncMap, Limits, Template, Ty, Value};
use proptest::prelude::*;

fn parse(src: &str) -> Template {
    Template::parse("t", src, &FuncMap::new()).expect("parses")
}

#[test]
fn recursive_template_is_a_depth_error() {
    let t = parse(r#"{{define "a"}}x{{template "a"}}{{end}}{{template "a"}}"#);
    let e = t.execute(&Value::Nil, &Limits::default()).unwrap_err();
    assert!(e.is_limit());
    assert_eq!(e.line(), Some(1));
    assert!(
        e.to_string()
            .starts_with(r#"template: t:1:26: executing "a" at <{{template "a"}}>: exceeded maximum template depth (100)"#),
        "{e}"
    );
}

#[test]
fn step_limit() {
    let t = parse("{{range 1000000}}{{range 1000000}}{{end}}{{end}}");
    let limits = Limits {
        max_steps: 10_000,
        ..Limits::default()
    };
    let e = t.execute(&Value::Nil, &limits).unwrap_err();
    assert!(e.is_limit());
    assert!(
        e.to_string()
            .contains("exceeded the execution step limit (10000 steps)"),
        "{e}"
    );
}

#[test]
fn output_limit() {
    let t = parse("line 1\n{{range 100000}}0123456789{{end}}");
    let limits = Limits {
        max_output_bytes: 1000,
        ..Limits::default()
    };
    let e = t.execute(&Value::Nil, &limits).unwrap_err();
    assert!(e.is_limit());
    assert_eq!(e.line(), Some(2));
    assert!(
        e.to_string()
            .contains("exceeded the output size limit (1000 bytes)"),
        "{e}"
    );
}

/// A template that nests a list in itself in a loop would otherwise build a value whose drop
/// (and printing) recurses once per level and overflows the rendering thread's stack.
#[test]
fn values_nested_in_a_loop_stop_at_the_nesting_limit() {
    let src = "{{ $x := list }}{{ range 100000 }}{{ $x = list $x }}{{ end }}{{ len $x }}";
    let t = Template::parse("t", src, &gotmpl::sprig::funcs()).unwrap();
    // Run on a small stack, like a runtime worker thread, to prove nothing recurses per level.
    let e = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || t.execute(&Value::Nil, &Limits::default()).unwrap_err())
        .unwrap()
        .join()
        .unwrap();
    assert!(e.is_limit(), "{e}");
    assert!(
        e.to_string()
            .contains("error calling list: result exceeded the value nesting limit (1000 levels)"),
        "{e}"
    );
    // Shallower nesting is fine.
    let ok = "{{ $x := list }}{{ range 50 }}{{ $x = list $x }}{{ end }}{{ len $x }}";
    let t = Template::parse("t", ok, &gotmpl::sprig::funcs()).unwrap();
    assert_eq!(t.execute(&Value::Nil, &Limits::default()).unwrap(), "1");
}

#[test]
fn deep_parens_do_not_overflow() {
    let n = 100_000;
    let src = format!("{{{{{}1{}}}}}", "(".repeat(n), ")".repeat(n));
    let e = Template::parse("t", &src, &FuncMap::new()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "template: t:1: max expression depth exceeded"
    );
    // Below the bound, deep nesting parses and runs.
    let n = 2_000;
    let src = format!("{{{{{}1{}}}}}", "(".repeat(n), ")".repeat(n));
    assert_eq!(
        parse(&src)
            .execute(&Value::Nil, &Limits::default())
            .unwrap(),
        "1"
    );
}

#[test]
fn deep_control_nesting_does_not_overflow() {
    let n = 3_000;
    let src = format!("{}x{}", "{{if 1}}".repeat(n), "{{end}}".repeat(n));
    assert_eq!(
        parse(&src)
            .execute(&Value::Nil, &Limits::default())
            .unwrap(),
        "x"
    );
    let n = 20_000;
    let src = format!("{}x{}", "{{with 1}}".repeat(n), "{{end}}".repeat(n));
    assert!(Template::parse("t", &src, &FuncMap::new()).is_err());
}

fn helm_ctx() -> CtxFuncMap {
    let mut ctx = CtxFuncMap::new();
    ctx.insert(CtxFunction::new(
        "include",
        Arity::Fixed(&[Ty::String, Ty::Any]),
        |c, a| {
            c.execute_template(&a[0].as_str().unwrap_or_default(), &a[1])
                .map(Value::from)
        },
    ));
    ctx.insert(CtxFunction::new(
        "tpl",
        Arity::Fixed(&[Ty::String, Ty::Any]),
        |c, a| {
            c.execute_source("tpl", &a[0].as_str().unwrap_or_default(), &a[1])
                .map(Value::from)
        },
    ));
    ctx
}

#[test]
fn include_and_tpl() {
    let ctx = helm_ctx();
    let t = Template::parse(
        "t",
        r#"{{define "x"}}<{{.}}>{{end}}{{include "x" .a}}|{{tpl .src .}}|{{tpl "{{define \"x\"}}!{{end}}{{include \"x\" 1}}" .}}|{{include "x" 2}}"#,
        &ctx.placeholders(),
    )
    .unwrap();
    let data =
        Value::from_json(&serde_json::json!({"a": "A", "src": "{{.a}}-{{include \"x\" 3}}"}));
    assert_eq!(
        t.execute_with(&data, &Limits::default(), &ctx).unwrap(),
        "<A>|A-<3>|!|<2>"
    );
    let e = t.execute(&data, &Limits::default()).unwrap_err();
    assert!(
        e.to_string()
            .contains("error calling include: include needs an execution context"),
        "{e}"
    );
}

#[test]
fn recursive_include_is_a_limit_error() {
    let ctx = helm_ctx();
    let t = Template::parse(
        "t",
        r#"{{define "r"}}{{include "r" .}}{{end}}{{include "r" 1}}"#,
        &ctx.placeholders(),
    )
    .unwrap();
    let e = t
        .execute_with(&Value::Nil, &Limits::default(), &ctx)
        .unwrap_err();
    assert!(e.is_limit(), "{e}");
    assert!(
        e.to_string()
            .contains("exceeded maximum template depth (100)"),
        "{e}"
    );
    let e = Template::parse("t", r#"{{include "nope" 1}}"#, &ctx.placeholders())
        .unwrap()
        .execute_with(&Value::Nil, &Limits::default(), &ctx)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        r#"template: t:1:2: executing "t" at <include "nope" 1>: error calling include: template: no template "nope" associated with template "t""#
    );
}

#[test]
fn api_basics() {
    fn send_sync<T: Send + Sync + Clone>() {}
    send_sync::<Template>();
    let t = parse(r#"{{define "b"}}B{{.}}{{end}}{{block "c" .}}C{{end}}top"#);
    assert_eq!(t.names(), vec!["b", "c", "t"]);
    assert_eq!(
        t.execute_named("b", &Value::from(1i64), &Limits::default())
            .unwrap(),
        "B1"
    );
    assert_eq!(
        t.execute_named("zz", &Value::Nil, &Limits::default())
            .unwrap_err()
            .to_string(),
        r#"template: no template "zz" associated with template "t""#
    );
    let e = Template::parse("t", "a\n{{nope}}", &FuncMap::new()).unwrap_err();
    assert_eq!(
        e.to_string(),
        r#"template: t:2: function "nope" not defined"#
    );
    assert_eq!(e.line(), Some(2));
    assert!(!e.is_limit());
}

fn soup() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "{{", "}}", "{{- ", " -}}", "(", ")", "|", "$x", "$", ":=", "=", ".", ".a", ".a.b", "if",
        "else", "end", "range", "with", "define", "template", "block", "break", "continue",
        "\"s\"", "`r`", "'c'", "1", "-2", "0x1F", "1.5", "nil", "true", "len", "index", "slice",
        "and", "or", "not", "eq", "lt", "print", "printf", "html", "js", "call", " ", "\n", "x",
        ",", "/*", "*/", "\"a\"", "\"t\"", "\\", "é", "'", "\"", "`", "%d",
    ]);
    prop::collection::vec(atoms, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn no_input_panics_or_hangs(src in soup(), raw in ".{0,60}") {
        let limits = Limits { max_output_bytes: 4096, max_steps: 5_000, max_depth: 10 };
        let data = Value::from_json(&serde_json::json!({"a": {"b": [1, "x", null]}, "s": "t"}));
        for s in [src.as_str(), raw.as_str()] {
            if let Ok(t) = Template::parse("t", s, &FuncMap::new()) {
                let _ = t.execute(&data, &limits);
                for n in t.names() {
                    let _ = t.execute_named(&n, &data, &limits);
                }
            }
        }
    }
}

#[test]
fn values_built_by_doubling_are_stopped() {
    let limits = Limits {
        max_output_bytes: 1 << 16,
        ..Limits::default()
    };
    // Strings doubled by a function: stopped at 4 × max_output_bytes, without output.
    let t = parse(r#"{{$s := "x"}}{{range 100}}{{$s = print $s $s}}{{end}}"#);
    let e = t.execute(&Value::Nil, &limits).unwrap_err();
    assert!(e.is_limit(), "{e}");
    assert!(
        e.to_string()
            .contains("error calling print: result exceeded the value size limit (262144 bytes)"),
        "{e}"
    );
    // Lists sharing structure: tiny in memory, huge when printed.
    let t = Template::parse(
        "t",
        r#"{{$l := list 1}}{{range 100}}{{$l = list $l $l}}{{end}}{{$l}}"#,
        &gotmpl::sprig::funcs(),
    )
    .unwrap();
    let e = t.execute(&Value::Nil, &limits).unwrap_err();
    assert!(e.is_limit(), "{e}");
}
