//! Sprig's regex functions (`regex.go`) with Go `regexp` (RE2) semantics on top of the `regex`
//! crate: Go patterns are translated (ASCII-only `\d \w \s \b`, `\Q…\E`, literal `{`, literal
//! `[` and `&&`/`~~` inside classes, 1000 as the largest repeat count), and `FindAll`, `Split`,
//! `ReplaceAll` and `$name` expansion follow Go's loops for empty matches.

use regex::{Regex, RegexBuilder};

use super::ty::{I, S};
use super::{bytes_arg, iarg, sarg, str_list};
use crate::{Arity, FuncError, FuncMap, Function, Value};

type R = Result<Value, FuncError>;

fn f(m: &mut FuncMap, name: &'static str, arity: Arity, body: fn(&[Value]) -> R) {
    m.insert(Function::new(name, arity, body));
}

/// `regexp.Compile` (the error is Go's `error parsing regexp: CODE: `EXPR``; a pattern with a
/// byte outside UTF-8 is Go's `invalid UTF-8` error). Compiled patterns are kept in a small
/// cache, since templates tend to call the same pattern in a loop.
fn compile(pat: &[u8]) -> Result<Regex, FuncError> {
    let pat = std::str::from_utf8(pat).map_err(|e| {
        FuncError::new(format!(
            "error parsing regexp: invalid UTF-8: `{}`",
            crate::gostr::lossy(&pat[e.valid_up_to()..])
        ))
    })?;
    use std::collections::HashMap;
    use std::sync::Mutex;
    static CACHE: Mutex<Option<HashMap<String, Regex>>> = Mutex::new(None);
    if let Ok(guard) = CACHE.lock() {
        if let Some(re) = guard.as_ref().and_then(|m| m.get(pat)) {
            return Ok(re.clone());
        }
    }
    let translated = translate(pat)?;
    let re = RegexBuilder::new(&translated)
        .octal(true)
        .size_limit(1 << 24)
        .build()
        .map_err(|_| FuncError::new(syntax_error(&translated)))?;
    if let Ok(mut guard) = CACHE.lock() {
        let m = guard.get_or_insert_with(HashMap::new);
        if m.len() >= 128 {
            m.clear();
        }
        m.insert(pat.to_string(), re.clone());
    }
    Ok(re)
}

/// `regexp.MustCompile`: the panic text `regexp: Compile(`PAT`): ERROR`.
fn must_compile(pat: &[u8]) -> Result<Regex, FuncError> {
    compile(pat).map_err(|e| {
        let q = match std::str::from_utf8(pat) {
            Ok(pat) if !pat.contains('`') && !pat.chars().any(|c| c.is_control() && c != '\t') => {
                format!("`{pat}`")
            }
            Ok(pat) => crate::sprig::cast::quote(pat),
            Err(_) => crate::fmt::sprintf("%q", &[Value::from(pat)]).to_string(),
        };
        FuncError::new(format!("regexp: Compile({q}): {e}"))
    })
}

pub(super) fn register(m: &mut FuncMap) {
    use Arity::Fixed;
    f(m, "regexMatch", Fixed(&[S, S]), |a| {
        Ok(compile(bytes_arg(a, 0))
            .map(|re| re.is_match(&sarg(a, 1)))
            .unwrap_or(false)
            .into())
    });
    f(m, "mustRegexMatch", Fixed(&[S, S]), |a| {
        Ok(compile(bytes_arg(a, 0))?.is_match(&sarg(a, 1)).into())
    });
    f(m, "regexFindAll", Fixed(&[S, S, I]), |a| {
        find_all(&must_compile(bytes_arg(a, 0))?, &sarg(a, 1), iarg(a, 2))
    });
    f(m, "mustRegexFindAll", Fixed(&[S, S, I]), |a| {
        find_all(&compile(bytes_arg(a, 0))?, &sarg(a, 1), iarg(a, 2))
    });
    f(m, "regexFind", Fixed(&[S, S]), |a| {
        find(&must_compile(bytes_arg(a, 0))?, &sarg(a, 1))
    });
    f(m, "mustRegexFind", Fixed(&[S, S]), |a| {
        find(&compile(bytes_arg(a, 0))?, &sarg(a, 1))
    });
    f(m, "regexReplaceAll", Fixed(&[S, S, S]), |a| {
        Ok(replace_all(
            &must_compile(bytes_arg(a, 0))?,
            &sarg(a, 1),
            &sarg(a, 2),
            false,
        )
        .into())
    });
    f(m, "mustRegexReplaceAll", Fixed(&[S, S, S]), |a| {
        Ok(replace_all(&compile(bytes_arg(a, 0))?, &sarg(a, 1), &sarg(a, 2), false).into())
    });
    f(m, "regexReplaceAllLiteral", Fixed(&[S, S, S]), |a| {
        Ok(replace_all(
            &must_compile(bytes_arg(a, 0))?,
            &sarg(a, 1),
            &sarg(a, 2),
            true,
        )
        .into())
    });
    f(m, "mustRegexReplaceAllLiteral", Fixed(&[S, S, S]), |a| {
        Ok(replace_all(&compile(bytes_arg(a, 0))?, &sarg(a, 1), &sarg(a, 2), true).into())
    });
    f(m, "regexSplit", Fixed(&[S, S, I]), |a| {
        let (p, s) = (sarg(a, 0), sarg(a, 1));
        let re = must_compile(bytes_arg(a, 0))?;
        Ok(str_list(split(&re, &p, &s, iarg(a, 2))))
    });
    f(m, "mustRegexSplit", Fixed(&[S, S, I]), |a| {
        let (p, s) = (sarg(a, 0), sarg(a, 1));
        let re = compile(bytes_arg(a, 0))?;
        Ok(str_list(split(&re, &p, &s, iarg(a, 2))))
    });
    f(m, "regexQuoteMeta", Fixed(&[S]), |a| {
        // regexp.QuoteMeta works byte by byte: other bytes pass through.
        let mut out = Vec::new();
        for &c in bytes_arg(a, 0) {
            if b"\\.+*?()|[]{}^$".contains(&c) {
                out.push(b'\\');
            }
            out.push(c);
        }
        Ok(out.into())
    });
}

fn find(re: &Regex, s: &str) -> R {
    Ok(re.find(s).map(|m| m.as_str()).unwrap_or("").into())
}

/// Go's `allMatches` loop: successive matches, an empty match right after a match is dropped.
fn all_matches(re: &Regex, s: &str, n: i64) -> Vec<(usize, usize)> {
    let limit = if n < 0 { usize::MAX } else { n as usize };
    let mut out = Vec::new();
    let mut pos = 0usize;
    let mut prev_end: Option<usize> = None;
    while out.len() < limit && pos <= s.len() {
        let Some(m) = re.find_at(s, pos) else { break };
        let (start, end) = (m.start(), m.end());
        let mut accept = true;
        if end == pos {
            if Some(start) == prev_end {
                accept = false;
            }
            pos += s[pos..].chars().next().map_or(1, char::len_utf8);
        } else {
            pos = end;
        }
        prev_end = Some(end);
        if accept {
            out.push((start, end));
        }
    }
    out
}

fn find_all(re: &Regex, s: &str, n: i64) -> R {
    if n == 0 {
        return Ok(Value::list(Vec::new()));
    }
    Ok(str_list(
        all_matches(re, s, n).into_iter().map(|(a, b)| &s[a..b]),
    ))
}

/// Go's `Regexp.Split`.
fn split(re: &Regex, pat: &str, s: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    if !pat.is_empty() && s.is_empty() {
        return vec![String::new()];
    }
    let mut out = Vec::new();
    let (mut beg, mut end) = (0usize, 0usize);
    for (a, b) in all_matches(re, s, n) {
        if n > 0 && out.len() as i64 == n - 1 {
            break;
        }
        end = a;
        if b != 0 {
            out.push(s[beg..end].to_string());
        }
        beg = b;
    }
    if end != s.len() {
        out.push(s[beg..].to_string());
    }
    out
}

/// Go's `ReplaceAllString` / `ReplaceAllLiteralString`.
fn replace_all(re: &Regex, src: &str, repl: &str, literal: bool) -> String {
    let mut out = String::with_capacity(src.len());
    let mut last_end = 0usize;
    let mut search = 0usize;
    let mut locs = re.capture_locations();
    while search <= src.len() {
        let Some(m) = re.captures_read_at(&mut locs, src, search) else {
            break;
        };
        let (a0, a1) = (m.start(), m.end());
        out.push_str(&src[last_end..a0]);
        if a1 > last_end || a0 == 0 {
            if literal {
                out.push_str(repl);
            } else {
                expand(&mut out, repl, re, &locs, src);
            }
        }
        last_end = a1;
        let width = src[search..].chars().next().map_or(1, char::len_utf8);
        if search + width > a1 {
            search += width;
        } else if search + 1 > a1 {
            search += 1;
        } else {
            search = a1;
        }
    }
    out.push_str(&src[last_end.min(src.len())..]);
    out
}

/// Go's `Regexp.Expand`: `$1`, `$name`, `${name}`, `$$`; a malformed `$` stays literal.
fn expand(out: &mut String, template: &str, re: &Regex, locs: &regex::CaptureLocations, src: &str) {
    let mut t = template;
    while let Some(i) = t.find('$') {
        out.push_str(&t[..i]);
        t = &t[i + 1..];
        if let Some(rest) = t.strip_prefix('$') {
            out.push('$');
            t = rest;
            continue;
        }
        let (braced, body) = match t.strip_prefix('{') {
            Some(b) => (true, b),
            None => (false, t),
        };
        let name_len: usize = body
            .char_indices()
            .find(|&(_, c)| !(c == '_' || super::case::is_letter(c) || super::case::is_digit(c)))
            .map_or(body.len(), |(k, _)| k);
        let name = &body[..name_len];
        let rest = &body[name_len..];
        let rest = if braced {
            rest.strip_prefix('}')
        } else {
            Some(rest)
        };
        let (Some(rest), false) = (rest, name.is_empty()) else {
            out.push('$');
            continue;
        };
        t = rest;
        let group = if name.bytes().all(|b| b.is_ascii_digit()) {
            name.parse::<usize>().ok().filter(|n| *n < 100_000_000)
        } else {
            re.capture_names().position(|n| n == Some(name))
        };
        if let Some((a, b)) = group.and_then(|g| locs.get(g)) {
            out.push_str(&src[a..b]);
        }
    }
    out.push_str(t);
}

/// Rewrites a Go RE2 pattern into the `regex` crate's syntax with the same meaning.
fn translate(p: &str) -> Result<String, FuncError> {
    let c: Vec<char> = p.chars().collect();
    let mut out = String::with_capacity(p.len() + 8);
    let mut i = 0;
    let mut in_class = false;
    let mut class_start = 0;
    // Where the previous token started, when it was a repetition operator.
    let mut last_repeat: Option<usize> = None;
    let mut names: Vec<String> = Vec::new();
    while i < c.len() {
        let ch = c[i];
        if ch == '\\' {
            last_repeat = None;
            let Some(&e) = c.get(i + 1) else {
                return Err(FuncError::new(
                    "error parsing regexp: trailing backslash at end of expression: ``",
                ));
            };
            i += 2;
            let rep = match (e, in_class) {
                ('d', false) => "[0-9]",
                ('D', false) => "[^0-9]",
                ('w', false) => "[0-9A-Za-z_]",
                ('W', false) => "[^0-9A-Za-z_]",
                ('s', false) => r"[\t\n\x0C\r ]",
                ('S', false) => r"[^\t\n\x0C\r ]",
                ('b', false) => r"(?-u:\b)",
                ('B', false) => r"(?-u:\B)",
                ('d', true) => "0-9",
                ('D', true) => "[^0-9]",
                ('w', true) => "0-9A-Za-z_",
                ('W', true) => "[^0-9A-Za-z_]",
                ('s', true) => r"\t\n\x0C\r ",
                ('S', true) => r"[^\t\n\x0C\r ]",
                ('Q', _) => {
                    let rest: String = c[i..].iter().collect();
                    let (lit, after) = match rest.find("\\E") {
                        Some(k) => (&rest[..k], k + 2),
                        None => (&rest[..], rest.len()),
                    };
                    for l in lit.chars() {
                        if in_class {
                            out.push('\\');
                            out.push(l);
                        } else {
                            out.push_str(&regex::escape(&l.to_string()));
                        }
                    }
                    i += rest[..after].chars().count();
                    continue;
                }
                _ => {
                    out.push('\\');
                    out.push(e);
                    // `\p{Greek}`, `\x{10FFFF}`: copy the braces through unchanged.
                    if matches!(e, 'p' | 'P' | 'x') && c.get(i) == Some(&'{') {
                        while i < c.len() {
                            out.push(c[i]);
                            i += 1;
                            if c[i - 1] == '}' {
                                break;
                            }
                        }
                    }
                    continue;
                }
            };
            out.push_str(rep);
            continue;
        }
        if in_class {
            match ch {
                ']' if i > class_start => in_class = false,
                '[' if c.get(i + 1) == Some(&':') => {
                    // POSIX class: copy through the closing ":]".
                    let rest: String = c[i..].iter().collect();
                    if let Some(k) = rest.find(":]") {
                        out.push_str(&rest[..k + 2]);
                        i += rest[..k + 2].chars().count();
                        continue;
                    }
                    out.push_str("\\[");
                    i += 1;
                    continue;
                }
                '[' | '&' | '~' => {
                    out.push('\\');
                    out.push(ch);
                    i += 1;
                    continue;
                }
                _ => {}
            }
            out.push(ch);
            i += 1;
            continue;
        }
        // A repetition operator: `*`, `+`, `?` or a valid `{n,m}`, with an optional lazy `?`.
        let op_len = match ch {
            '*' | '+' | '?' => 1,
            '{' => {
                let rest: String = c[i..].iter().collect();
                match go_repeat(&rest) {
                    Some((len, n, m)) => {
                        if n > 1000 || m > 1000 {
                            return Err(FuncError::new(format!(
                                "error parsing regexp: invalid repeat count: `{}`",
                                &rest[..len]
                            )));
                        }
                        len
                    }
                    None => 0,
                }
            }
            _ => 0,
        };
        if op_len > 0 {
            let mut end = i + op_len;
            if c.get(end) == Some(&'?') {
                end += 1;
            }
            // Go rejects a repetition of a repetition (`a**`, `a{2}{3}`); Rust accepts it.
            if let Some(start) = last_repeat {
                let op: String = c[start..end].iter().collect();
                return Err(FuncError::new(format!(
                    "error parsing regexp: invalid nested repetition operator: `{op}`"
                )));
            }
            out.extend(&c[i..end]);
            last_repeat = Some(i);
            i = end;
            continue;
        }
        last_repeat = None;
        match ch {
            '[' => {
                in_class = true;
                out.push('[');
                i += 1;
                if c.get(i) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                // A `]` right after the opening bracket is a literal.
                class_start = i;
                continue;
            }
            '{' => {
                // Not a valid repeat: a literal brace, as in Go.
                out.push_str("\\{");
                i += 1;
                continue;
            }
            '}' => {
                out.push_str("\\}");
                i += 1;
                continue;
            }
            '(' if c.get(i + 1) == Some(&'?') => {
                // Group flags or a named group; Go allows a name to repeat, Rust does not, so
                // later groups with a known name become plain capturing groups.
                let rest: String = c[i..].iter().collect();
                let name_start = if rest.starts_with("(?P<") {
                    Some(4)
                } else if rest.starts_with("(?<") {
                    Some(3)
                } else {
                    None
                };
                if let Some(ns) = name_start {
                    if let Some(close) = rest[ns..].find('>') {
                        let name = &rest[ns..ns + close];
                        let whole = ns + close + 1;
                        if names.iter().any(|n| n == name) {
                            out.push('(');
                        } else {
                            names.push(name.to_string());
                            out.push_str(&rest[..whole]);
                        }
                        i += rest[..whole].chars().count();
                        continue;
                    }
                }
                out.push_str("(?");
                i += 2;
                continue;
            }
            _ => {}
        }
        out.push(ch);
        i += 1;
    }
    Ok(out)
}

/// A Go repeat `{n}`, `{n,}` or `{n,m}` at the start of `s`: (byte length, n, m).
fn go_repeat(s: &str) -> Option<(usize, u64, u64)> {
    let body = s.strip_prefix('{')?;
    let close = body.find('}')?;
    let inner = &body[..close];
    let num = |t: &str| -> Option<u64> {
        if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(t.parse::<u64>().unwrap_or(u64::MAX))
    };
    let (n, m) = match inner.split_once(',') {
        None => {
            let n = num(inner)?;
            (n, n)
        }
        Some((a, "")) => (num(a)?, 0),
        Some((a, b)) => (num(a)?, num(b)?),
    };
    Some((close + 2, n, m))
}

/// Go's `error parsing regexp: CODE: `EXPR`` for a pattern the regex crate rejected.
fn syntax_error(pat: &str) -> String {
    use regex_syntax::ast::ErrorKind as K;
    let err = match regex_syntax::ast::parse::Parser::new().parse(pat) {
        Err(e) => e,
        Ok(ast) => {
            // The syntax is fine: an unknown Unicode class, or a program over the size limit.
            let mut tr = regex_syntax::hir::translate::Translator::new();
            return match tr.translate(pat, &ast) {
                Err(e) => {
                    let sp = e.span();
                    let frag = pat.get(sp.start.offset..sp.end.offset).unwrap_or(pat);
                    format!("error parsing regexp: invalid character class range: `{frag}`")
                }
                Ok(_) => format!("error parsing regexp: expression too large: `{pat}`"),
            };
        }
    };
    let span = err.span();
    let frag = pat.get(span.start.offset..span.end.offset).unwrap_or("");
    let tail = pat.get(span.start.offset..).unwrap_or("");
    let (code, expr) = match err.kind() {
        K::GroupUnclosed => ("missing closing )", pat),
        K::GroupUnopened => ("unexpected )", pat),
        K::ClassUnclosed => ("missing closing ]", tail),
        K::RepetitionMissing => {
            let op = match tail.chars().next() {
                Some('{') => tail.find('}').map_or(tail, |k| &tail[..=k]),
                Some(c) => &tail[..c.len_utf8()],
                None => frag,
            };
            ("missing argument to repetition operator", op)
        }
        K::RepetitionCountInvalid
        | K::RepetitionCountDecimalEmpty
        | K::RepetitionCountUnclosed
        | K::DecimalEmpty
        | K::DecimalInvalid => ("invalid repeat count", frag),
        K::EscapeUnexpectedEof => ("trailing backslash at end of expression", ""),
        K::ClassRangeInvalid | K::ClassRangeLiteral => ("invalid character class range", frag),
        K::GroupNameDuplicate { .. } => ("duplicate capture group name", frag),
        K::GroupNameEmpty | K::GroupNameInvalid | K::GroupNameUnexpectedEof => {
            ("invalid named capture", tail)
        }
        K::UnicodeClassInvalid => ("invalid character class range", frag),
        K::NestLimitExceeded(_) => ("expression nests too deeply", pat),
        K::EscapeUnrecognized
        | K::EscapeHexEmpty
        | K::EscapeHexInvalid
        | K::EscapeHexInvalidDigit
        | K::ClassEscapeInvalid
        | K::UnsupportedBackreference => ("invalid escape sequence", frag),
        _ => ("invalid or unsupported Perl syntax", frag),
    };
    format!("error parsing regexp: {code}: `{expr}`")
}
