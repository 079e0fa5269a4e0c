//! Go's in-place dict idioms (`$_ := set $d "k" v`) with sprig's mutating functions: maps are
//! references, so every path to a dict sees the change; a change that would make a dict
//! contain itself, and runaway chains of changes, stop with a clear error.

use gotmpl::{Limits, Template, Value};

fn run(src: &str) -> String {
    try_run(src).unwrap()
}

fn try_run(src: &str) -> Result<String, gotmpl::Error> {
    let t = Template::parse("t", src, &gotmpl::sprig::funcs()).unwrap();
    t.execute(&Value::Nil, &Limits::default())
}

#[test]
fn set_unset_merge_change_the_variable() {
    assert_eq!(
        run(
            r#"{{- $d := dict "one" 1 "two" 222222 -}}{{- $_ := unset $d "two" -}}{{- range $k, $v := $d}}{{$k}}{{$v}}{{- end -}}"#
        ),
        "one1"
    );
    assert_eq!(
        run(r#"{{- $d := dict "one" 1 -}}{{- $_ := set $d "two" 2 -}}{{ $d.one }}{{ $d.two }}"#),
        "12"
    );
    assert_eq!(
        run(
            r#"{{- $d := dict "a" (dict "x" 1) -}}{{- $_ := set $d.a "y" 2 -}}{{ $d.a.x }}{{ $d.a.y }}"#
        ),
        "12"
    );
    assert_eq!(
        run(
            r#"{{- $dst := dict "a" 1 -}}{{- $_ := merge $dst (dict "b" 2) -}}{{ $dst.a }}{{ $dst.b }}"#
        ),
        "12"
    );
    // Inside a range body the outer variable is updated too (it is the same variable).
    assert_eq!(
        run(
            r#"{{- $d := dict -}}{{- range $i := until 3 }}{{ $_ := set $d (toString $i) $i }}{{ end -}}{{ len $d }}"#
        ),
        "3"
    );
}

// Outputs below were checked with Go's text/template (go1.27.3, maps changed as sprig does).
#[test]
fn every_alias_sees_the_change() {
    assert_eq!(
        run(r#"{{$d := dict "a" 1}}{{$x := $d}}{{$_ := set $x "b" 2}}{{$d}}"#),
        "map[a:1 b:2]"
    );
    assert_eq!(
        run(
            r#"{{define "f"}}{{$_ := set . "z" 0}}{{end}}{{$d := dict "a" 1}}{{template "f" $d}}{{$d}}"#
        ),
        "map[a:1 z:0]"
    );
    assert_eq!(
        run(r#"{{$in := dict}}{{$l := list $in}}{{$_ := set (index $l 0) "k" 1}}{{$in}}"#),
        "map[k:1]"
    );
    // deepCopy breaks the alias.
    assert_eq!(
        run(
            r#"{{$d := dict "n" (dict "x" 1)}}{{$c := deepCopy $d}}{{$_ := set $c.n "x" 2}}{{$d.n.x}}{{$c.n.x}}"#
        ),
        "12"
    );
    // range reads the keys and values once, up front.
    assert_eq!(
        run(
            r#"{{$d := dict "a" 1 "b" 2}}{{range $k, $v := $d}}{{$_ := set $d "c" 3}}{{$_ := set $d "b" 9}}{{$k}}={{$v}} {{end}}{{len $d}}{{$d.b}}"#
        ),
        "a=1 b=2 39"
    );
}

#[test]
fn a_dict_cannot_be_made_to_contain_itself() {
    // Go builds the cycle, and printing it then overflows Go's stack (fatal error).
    for src in [
        r#"{{$d := dict}}{{$_ := set $d "self" $d}}"#,
        r#"{{$d := dict}}{{$_ := set $d "l" (list 1 (dict "up" $d))}}"#,
        r#"{{$d := dict "n" (dict)}}{{$_ := set $d.n "up" $d}}"#,
        r#"{{$d := dict "n" (dict)}}{{$_ := merge $d.n (dict "up" $d)}}"#,
    ] {
        let err = try_run(src).unwrap_err().to_string();
        assert!(
            err.contains("the dict would contain itself"),
            "{src}: {err}"
        );
    }
    // The same dict twice, side by side, is no cycle.
    assert_eq!(
        run(
            r#"{{$x := dict "v" 1}}{{$d := dict}}{{$_ := set $d "a" $x}}{{$_ := set $d "b" $x}}{{$d}}"#
        ),
        "map[a:map[v:1] b:map[v:1]]"
    );
}

/// A chain of dicts one `set` per level, printed, copied, compared and dropped on a small
/// stack: nothing recurses without bound.
#[test]
fn deep_chains_of_set_stay_on_the_stack() {
    let chains = r#"{{$a := dict}}{{$b := dict}}{{$x := $a}}{{$y := $b}}{{range until 20000}}{{$n := dict}}{{$_ := set $x "c" $n}}{{$x = $n}}{{$n = dict}}{{$_ := set $y "c" $n}}{{$y = $n}}{{end}}"#;
    let src = format!(
        "{chains}{{{{len (toString $a)}}}} {{{{len (toJson $a)}}}} {{{{deepEqual $a $b}}}}"
    );
    let copy = format!("{chains}{{{{$c := deepCopy $a}}}}");
    let (out, copied) = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || (run(&src), try_run(&copy)))
        .unwrap()
        .join()
        .unwrap();
    // 20000 × `map[c:` + `map[]` + 20000 × `]`; 20000 × `{"c":` + `{}` + 20000 × `}`.
    assert_eq!(out, "140005 120002 true");
    // A copy is a function result, and results are bounded in depth.
    let err = copied.unwrap_err().to_string();
    assert!(err.contains("exceeded the value nesting limit"), "{err}");
}

#[test]
fn dict_changes_are_bounded() {
    let limits = Limits {
        max_steps: 10_000_000,
        ..Limits::default()
    };
    let t = Template::parse(
        "t",
        r#"{{$d := dict}}{{range until 200000}}{{$_ := set $d "k" .}}{{end}}"#,
        &gotmpl::sprig::funcs(),
    )
    .unwrap();
    let err = t.execute(&Value::Nil, &limits).unwrap_err();
    assert!(err.is_limit(), "{err}");
    assert!(
        err.to_string()
            .contains("exceeded the dict change limit (100000 calls"),
        "{err}"
    );
}
