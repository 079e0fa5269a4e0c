//! Go's `fmt` package over template values: `Sprint`, `Sprintln`, `Sprintf` and `%v` of one value.
//!
//! SCAFFOLD: the fmt helper replaces the bodies with Go-exact formatting; the signatures are the
//! contract other modules code against.

use crate::Value;

/// Go `fmt.Sprint(args...)`: operands formatted with `%v`, a space between operands when
/// neither side is a string.
pub fn sprint(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        let is_str = matches!(a, Value::String(_));
        if i > 0 && !is_str && !matches!(args[i - 1], Value::String(_)) {
            out.push(' ');
        }
        out.push_str(&format_v(a));
    }
    out
}

/// Go `fmt.Sprintln(args...)`: always a space between operands, and a final newline.
pub fn sprintln(args: &[Value]) -> String {
    let parts: Vec<String> = args.iter().map(format_v).collect();
    parts.join(" ") + "\n"
}

/// Go `fmt.Sprintf(format, args...)`, including Go's `%!verb(type=value)` error forms.
pub fn sprintf(format: &str, args: &[Value]) -> String {
    let _ = args;
    format.to_string()
}

/// Go `fmt.Sprintf("%v", v)` of one value (`<nil>` for nil, `[a b]` for lists,
/// `map[k:v]` for maps).
pub fn format_v(v: &Value) -> String {
    match v {
        Value::Nil => "<nil>".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Uint(u) => u.to_string(),
        Value::Float(f) => f.to_string(),
        Value::String(s) => s.to_string(),
        Value::List(l) => format!("[{}]", l.iter().map(format_v).collect::<Vec<_>>().join(" ")),
        Value::Map(m) => format!(
            "map[{}]",
            m.iter()
                .map(|(k, v)| format!("{k}:{}", format_v(v)))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        Value::Object(o) => o.fmt_v(),
    }
}
