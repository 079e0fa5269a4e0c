//! Go's in-place dict idioms (`$_ := set $d "k" v`) with sprig's mutating functions: the
//! executor stores the updated dict back into the variable it came from.

use gotmpl::{Limits, Template, Value};

fn run(src: &str) -> String {
    let t = Template::parse("t", src, &gotmpl::sprig::funcs()).unwrap();
    t.execute(&Value::Nil, &Limits::default()).unwrap()
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
