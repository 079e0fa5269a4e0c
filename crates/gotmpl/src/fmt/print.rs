//! Verb dispatch over template values (Go's `printArg`/`printValue`): which verbs each kind
//! accepts, lists and maps element by element, `%#v` Go syntax, and the `%!verb(type=value)`
//! error forms.

use super::format::{Case, Fmt};
use crate::Value;

/// A Go printer: the buffer, the current flags and whether an error form is being written.
#[derive(Default)]
pub(crate) struct Printer {
    pub fmt: Fmt,
    /// Set while writing `%!verb(...)`: stringers are not consulted then (Go's `erroring`).
    erroring: bool,
}

impl Printer {
    /// A printer appending to `buf`.
    pub fn with_buf(buf: Vec<u8>) -> Printer {
        Printer {
            fmt: Fmt {
                buf,
                ..Fmt::default()
            },
            erroring: false,
        }
    }

    pub fn out(self) -> Vec<u8> {
        self.fmt.buf
    }

    fn write(&mut self, s: &str) {
        self.fmt.push_str(s);
    }

    /// Go `printArg`: one top-level operand.
    pub fn print_arg(&mut self, arg: &Value, verb: char) {
        match arg {
            Value::Nil => match verb {
                'T' | 'v' => self.fmt.pad(b"<nil>"),
                _ => self.bad_verb(arg, verb),
            },
            _ if verb == 'T' => {
                let name = arg.type_name().to_string();
                self.fmt.fmt_s(name.as_bytes());
            }
            // Template values have no addresses; only maps and slices would have one in Go.
            _ if verb == 'p' => self.bad_verb(arg, verb),
            // `%w` only wraps errors, and template values are never errors.
            Value::List(_) | Value::Map(_) | Value::Object(_) if verb == 'w' => {
                self.bad_verb(arg, verb)
            }
            _ => self.print_value(arg, verb),
        }
    }

    /// Go `printValue`: an operand, or an element of a list or map (where it sits in an
    /// `interface{}`, so nil prints as `<nil>` whatever the verb).
    fn print_value(&mut self, v: &Value, verb: char) {
        if matches!(v, Value::List(_) | Value::Map(_)) {
            // Nested values recurse once per level; a template can nest dicts deeper than a
            // thread's stack allows (one `set` per level).
            stacker::maybe_grow(32 * 1024, 1024 * 1024, || self.print_value_inner(v, verb))
        } else {
            self.print_value_inner(v, verb)
        }
    }

    fn print_value_inner(&mut self, v: &Value, verb: char) {
        match v {
            Value::Nil => {
                if self.fmt.f.sharp_v {
                    self.write("interface {}(nil)");
                } else {
                    self.write("<nil>");
                }
            }
            Value::Bool(b) => match verb {
                't' | 'v' => self.fmt.fmt_boolean(*b),
                _ => self.bad_verb(v, verb),
            },
            Value::Int(i, _) => self.fmt_integer(v, *i as u64, true, verb),
            Value::Uint(u, _) => self.fmt_integer(v, *u, false, verb),
            Value::Float(x) => self.fmt_float(v, *x, verb),
            Value::String(s) => self.fmt_string(v, s.as_bytes(), verb),
            Value::List(items) => {
                if self.fmt.f.sharp_v {
                    self.write("[]interface {}{");
                    for (i, item) in items.iter().enumerate() {
                        if i > 0 {
                            self.write(", ");
                        }
                        self.print_value(item, verb);
                    }
                    self.write("}");
                } else {
                    self.write("[");
                    for (i, item) in items.iter().enumerate() {
                        if i > 0 {
                            self.write(" ");
                        }
                        self.print_value(item, verb);
                    }
                    self.write("]");
                }
            }
            Value::Map(m) => {
                let sharp_v = self.fmt.f.sharp_v;
                self.write(if sharp_v {
                    "map[string]interface {}{"
                } else {
                    "map["
                });
                for (i, (k, item)) in m.snapshot().iter().enumerate() {
                    if i > 0 {
                        self.write(if sharp_v { ", " } else { " " });
                    }
                    let key = Value::str(k.as_str());
                    self.print_value(&key, verb);
                    self.write(":");
                    self.print_value(item, verb);
                }
                self.write(if sharp_v { "}" } else { "]" });
            }
            Value::Object(o) => {
                // Objects stand for Go types with a String method (time.Time, *semver.Version):
                // string-accepting verbs print String(); Go syntax has no better rendering here.
                let s = o.fmt_v();
                if self.erroring {
                    self.write(&s);
                    return;
                }
                match verb {
                    'v' if self.fmt.f.sharp_v => self.write(&s),
                    'v' | 's' | 'x' | 'X' | 'q' => {
                        self.fmt_string(&Value::str(s.as_str()), s.as_bytes(), verb);
                    }
                    _ => self.bad_verb(v, verb),
                }
            }
        }
    }

    /// Go `badVerb`: `%!verb(type=value)` or `%!verb(<nil>)`, the value printed with `%v` and the
    /// current flags.
    fn bad_verb(&mut self, v: &Value, verb: char) {
        self.erroring = true;
        self.write("%!");
        self.fmt.push(verb);
        self.write("(");
        if let Value::Nil = v {
            self.write("<nil>");
        } else {
            self.write(v.type_name());
            self.write("=");
            self.print_arg(v, 'v');
        }
        self.write(")");
        self.erroring = false;
    }

    fn fmt_integer(&mut self, v: &Value, u: u64, signed: bool, verb: char) {
        let f = &mut self.fmt;
        match verb {
            'v' if f.f.sharp_v && !signed => {
                let sharp = f.f.sharp;
                f.f.sharp = true;
                f.fmt_integer(u, 16, signed, 'v', Case::Lower);
                f.f.sharp = sharp;
            }
            'v' | 'd' => f.fmt_integer(u, 10, signed, verb, Case::Lower),
            'b' => f.fmt_integer(u, 2, signed, verb, Case::Lower),
            'o' | 'O' => f.fmt_integer(u, 8, signed, verb, Case::Lower),
            'x' => f.fmt_integer(u, 16, signed, verb, Case::Lower),
            'X' => f.fmt_integer(u, 16, signed, verb, Case::Upper),
            'c' => f.fmt_c(u),
            'q' => f.fmt_qc(u),
            'U' => f.fmt_unicode(u),
            _ => self.bad_verb(v, verb),
        }
    }

    fn fmt_float(&mut self, v: &Value, x: f64, verb: char) {
        let f = &mut self.fmt;
        match verb {
            'v' => f.fmt_float(x, b'g', -1),
            'b' | 'g' | 'G' | 'x' | 'X' => f.fmt_float(x, verb as u8, -1),
            'f' | 'e' | 'E' => f.fmt_float(x, verb as u8, 6),
            'F' => f.fmt_float(x, b'f', 6),
            _ => self.bad_verb(v, verb),
        }
    }

    fn fmt_string(&mut self, v: &Value, s: &[u8], verb: char) {
        let f = &mut self.fmt;
        match verb {
            'v' if f.f.sharp_v => f.fmt_q(s),
            'v' | 's' => f.fmt_s(s),
            'x' => f.fmt_sx(s, Case::Lower),
            'X' => f.fmt_sx(s, Case::Upper),
            'q' => f.fmt_q(s),
            _ => self.bad_verb(v, verb),
        }
    }
}
