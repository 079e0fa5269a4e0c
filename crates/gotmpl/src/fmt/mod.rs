//! Go's `fmt` package over template values: `Sprint`, `Sprintln`, `Sprintf` and `%v` of one
//! value, byte for byte as Go prints them (checked against Go by `tests/fmt_golden.rs`).
//!
//! Layout follows Go's sources: this file parses format strings (`doPrintf`), `print` picks
//! what each verb does to each kind of value, `format` pads and writes, `float` and `quote`
//! are the `strconv` parts.

mod float;
mod format;
mod isprint;
mod print;
mod quote;

use crate::{Str, Value};
use print::Printer;

// Every function here returns a Go string ([`Str`]): Go's `fmt` writes bytes, and a string
// operand's bytes (or a format's) are copied as they are, UTF-8 or not.

/// Go `fmt.Sprint(args...)`: operands formatted with `%v`, a space between operands when
/// neither side is a string.
pub fn sprint(args: &[Value]) -> Str {
    let mut p = Printer::default();
    let mut prev_string = false;
    for (i, a) in args.iter().enumerate() {
        let is_string = matches!(a, Value::String(_));
        if i > 0 && !is_string && !prev_string {
            p.fmt.buf.push(b' ');
        }
        p.print_arg(a, 'v');
        prev_string = is_string;
    }
    p.out().into()
}

/// Go `fmt.Sprintln(args...)`: always a space between operands, and a final newline.
pub fn sprintln(args: &[Value]) -> Str {
    let mut p = Printer::default();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            p.fmt.buf.push(b' ');
        }
        p.print_arg(a, 'v');
    }
    p.fmt.buf.push(b'\n');
    p.out().into()
}

/// Go `fmt.Sprintf("%v", v)` of one value (`<nil>` for nil, `[a b]` for lists,
/// `map[k:v]` for maps).
pub fn format_v(v: &Value) -> Str {
    // Flag-free `%v` of the common scalars is their plain text.
    match v {
        Value::String(s) => return s.clone(),
        Value::Int(i, _) => return i.to_string().into(),
        Value::Uint(u, _) => return u.to_string().into(),
        Value::Bool(b) => return b.to_string().into(),
        _ => {}
    }
    let mut p = Printer::default();
    p.print_arg(v, 'v');
    p.out().into()
}

/// `%v` of `v` appended to `out` (what the executor prints for an action).
pub(crate) fn write_v(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::String(s) => out.extend_from_slice(s.as_bytes()),
        Value::Int(i, _) => out.extend_from_slice(i.to_string().as_bytes()),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        _ => {
            let mut p = Printer::with_buf(std::mem::take(out));
            p.print_arg(v, 'v');
            *out = p.out();
        }
    }
}

/// Width and precision above this are treated as malformed (Go's `tooLarge`).
const MAX_NUM: usize = 1_000_000;

/// Go `parsenum`: digits at `s[start..end]`. An overlong number consumes the whole rest of
/// the format (`ok == false`, `newi == end`).
fn parse_num(s: &[u8], start: usize, end: usize) -> (usize, bool, usize) {
    if start >= end {
        return (0, false, end);
    }
    let mut num = 0usize;
    let mut isnum = false;
    let mut i = start;
    while i < end && s[i].is_ascii_digit() {
        if num > MAX_NUM {
            return (0, false, end);
        }
        num = num * 10 + (s[i] - b'0') as usize;
        isnum = true;
        i += 1;
    }
    (num, isnum, i)
}

/// Go `parseArgNumber` on `s` starting at `[`: (zero-based index, bytes consumed, ok).
fn parse_arg_number(s: &[u8]) -> (isize, usize, bool) {
    if s.len() < 3 {
        return (0, 1, false);
    }
    for i in 1..s.len() {
        if s[i] == b']' {
            let (width, ok, newi) = parse_num(s, 1, i);
            if !ok || newi != i {
                return (0, i + 1, false);
            }
            return (width as isize - 1, i + 1, true);
        }
    }
    (0, 1, false)
}

/// Go `intFromArg`: an argument used as `*` width or precision.
fn int_from_arg(args: &[Value], arg_num: usize) -> (i64, bool, usize) {
    if arg_num >= args.len() {
        return (0, false, arg_num);
    }
    let (mut num, mut is_int) = match &args[arg_num] {
        Value::Int(i, _) => (*i, true),
        Value::Uint(u, _) if *u <= i64::MAX as u64 => (*u as i64, true),
        _ => (0, false),
    };
    if num > MAX_NUM as i64 || num < -(MAX_NUM as i64) {
        num = 0;
        is_int = false;
    }
    (num, is_int, arg_num + 1)
}

/// State of one `Sprintf` call beyond the printer (Go's `reordered`/`goodArgNum`).
struct Printf<'a> {
    p: Printer,
    args: &'a [Value],
    reordered: bool,
    good_arg_num: bool,
}

impl Printf<'_> {
    /// Go `argNumber`: an explicit `[n]` index at `s[i..]`, if any.
    fn arg_number(&mut self, arg_num: usize, s: &[u8], i: usize) -> (usize, usize, bool) {
        if s.len() <= i || s[i] != b'[' {
            return (arg_num, i, false);
        }
        self.reordered = true;
        let (index, wid, ok) = parse_arg_number(&s[i..]);
        if ok && 0 <= index && (index as usize) < self.args.len() {
            return (index as usize, i + wid, true);
        }
        self.good_arg_num = false;
        (arg_num, i + wid, ok)
    }

    fn run(&mut self, format: &[u8]) {
        let s = format;
        let end = s.len();
        let args = self.args;
        let mut arg_num = 0usize;
        let mut after_index;
        let mut i = 0usize;
        'format: while i < end {
            self.good_arg_num = true;
            let lasti = i;
            while i < end && s[i] != b'%' {
                i += 1;
            }
            if i > lasti {
                self.p.fmt.buf.extend_from_slice(&format[lasti..i]);
            }
            if i >= end {
                break;
            }
            i += 1; // skip '%'
            self.p.fmt.clear_flags();
            while i < end {
                let c = s[i];
                let f = &mut self.p.fmt.f;
                match c {
                    b'#' => f.sharp = true,
                    b'0' => f.zero = true,
                    b'+' => f.plus = true,
                    b'-' => f.minus = true,
                    b' ' => f.space = true,
                    _ => {
                        // Fast path: flags then a lower-case ASCII verb.
                        if c.is_ascii_lowercase() && arg_num < args.len() {
                            if c == b'v' || c == b'w' {
                                f.sharp_v = f.sharp;
                                f.sharp = false;
                                f.plus_v = f.plus;
                                f.plus = false;
                            }
                            self.p.print_arg(&args[arg_num], c as char);
                            arg_num += 1;
                            i += 1;
                            continue 'format;
                        }
                        break;
                    }
                }
                i += 1;
            }

            (arg_num, i, after_index) = self.arg_number(arg_num, s, i);

            // Width.
            if i < end && s[i] == b'*' {
                i += 1;
                let (wid, ok, next) = int_from_arg(args, arg_num);
                arg_num = next;
                let f = &mut self.p.fmt.f;
                f.wid_present = ok;
                if !ok {
                    self.p.fmt.push_str("%!(BADWIDTH)");
                }
                let f = &mut self.p.fmt.f;
                if wid < 0 {
                    f.minus = true;
                    f.zero = false;
                }
                f.wid = wid.unsigned_abs() as usize;
                after_index = false;
            } else {
                let (wid, ok, next) = parse_num(s, i, end);
                let f = &mut self.p.fmt.f;
                (f.wid, f.wid_present, i) = (wid, ok, next);
                if after_index && ok {
                    self.good_arg_num = false; // "%[3]2d"
                }
            }

            // Precision.
            if i + 1 < end && s[i] == b'.' {
                i += 1;
                if after_index {
                    self.good_arg_num = false; // "%[3].2d"
                }
                (arg_num, i, after_index) = self.arg_number(arg_num, s, i);
                if i < end && s[i] == b'*' {
                    i += 1;
                    let (prec, ok, next) = int_from_arg(args, arg_num);
                    arg_num = next;
                    let f = &mut self.p.fmt.f;
                    (f.prec, f.prec_present) = if prec < 0 {
                        (0, false)
                    } else {
                        (prec as usize, ok)
                    };
                    if !f.prec_present {
                        self.p.fmt.push_str("%!(BADPREC)");
                    }
                    after_index = false;
                } else {
                    let (prec, ok, next) = parse_num(s, i, end);
                    let f = &mut self.p.fmt.f;
                    (f.prec, f.prec_present, i) = (prec, ok, next);
                    if !ok {
                        f.prec = 0;
                        f.prec_present = true;
                    }
                }
            }

            if !after_index {
                (arg_num, i, _) = self.arg_number(arg_num, s, i);
            }

            if i >= end {
                self.p.fmt.push_str("%!(NOVERB)");
                break;
            }

            // Go decodes the verb as a rune: a byte outside valid UTF-8 is U+FFFD, width 1.
            let (verb, width) = crate::gostr::decode_rune(&format[i..]);
            i += width;

            if verb == '%' {
                self.p.fmt.push('%');
            } else if !self.good_arg_num {
                self.p.fmt.push_str("%!");
                self.p.fmt.push(verb);
                self.p.fmt.push_str("(BADINDEX)");
            } else if arg_num >= args.len() {
                self.p.fmt.push_str("%!");
                self.p.fmt.push(verb);
                self.p.fmt.push_str("(MISSING)");
            } else {
                if verb == 'v' || verb == 'w' {
                    let f = &mut self.p.fmt.f;
                    f.sharp_v = f.sharp;
                    f.sharp = false;
                    f.plus_v = f.plus;
                    f.plus = false;
                }
                self.p.print_arg(&args[arg_num], verb);
                arg_num += 1;
            }
        }

        // Unused operands, unless the format reordered them.
        if !self.reordered && arg_num < args.len() {
            self.p.fmt.clear_flags();
            self.p.fmt.push_str("%!(EXTRA ");
            for (k, a) in args[arg_num..].iter().enumerate() {
                if k > 0 {
                    self.p.fmt.push_str(", ");
                }
                if let Value::Nil = a {
                    self.p.fmt.push_str("<nil>");
                } else {
                    self.p.fmt.push_str(a.type_name());
                    self.p.fmt.push('=');
                    self.p.print_arg(a, 'v');
                }
            }
            self.p.fmt.push(')');
        }
    }
}

/// Go `fmt.Sprintf(format, args...)`, including Go's `%!verb(type=value)` error forms. The
/// format is bytes, as a Go string is (`&str`, `&[u8]` and [`Str`] all serve).
pub fn sprintf(format: impl AsRef<[u8]>, args: &[Value]) -> Str {
    let mut pf = Printf {
        p: Printer::default(),
        args,
        reordered: false,
        good_arg_num: true,
    };
    pf.run(format.as_ref());
    pf.p.out().into()
}

#[cfg(test)]
mod tests;
