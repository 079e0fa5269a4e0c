//! Sprig's string functions (`strings.go` and the string entries of `functions.go`): trimming,
//! case, substrings, goutils' abbreviate/wrap/initials, quoting, indenting, splitting and joining.

use std::collections::BTreeMap;

use super::gobytes;
use super::ty::{A, I, S};
use super::{bytes_arg, case, go_slice, iarg, sarg, str_list};
use crate::sprig::cast::{self, strval};
use crate::{Arity, FuncError, FuncMap, Function, Str, Value};

type R = Result<Value, FuncError>;

fn f(m: &mut FuncMap, name: &'static str, arity: Arity, body: fn(&[Value]) -> R) {
    m.insert(Function::new(name, arity, body));
}

/// A function of one string that Go writes over runes: it sees the string as Go's `range`
/// reads it (each byte outside valid UTF-8 as U+FFFD, which Go also writes back out as
/// U+FFFD).
fn s1(m: &mut FuncMap, name: &'static str, body: fn(&str) -> String) {
    m.insert(Function::new(
        name,
        Arity::Fixed(&[S]),
        move |a: &[Value]| Ok(Value::from(body(&sarg(a, 0)))),
    ));
}

/// A function of one string that Go writes over bytes.
fn b1(m: &mut FuncMap, name: &'static str, body: fn(&[u8]) -> Vec<u8>) {
    m.insert(Function::new(
        name,
        Arity::Fixed(&[S]),
        move |a: &[Value]| Ok(Value::from(body(bytes_arg(a, 0)))),
    ));
}

/// The string argument `i` unchanged (a Go string returned as it came in).
fn same(a: &[Value], i: usize) -> Value {
    match a.get(i) {
        Some(v @ Value::String(_)) => v.clone(),
        _ => Value::from(""),
    }
}

pub(super) fn register(m: &mut FuncMap) {
    use Arity::{Fixed, Variadic};
    f(m, "hello", Fixed(&[]), |_| Ok("Hello!".into()));
    // strings.TrimSpace: runes from both ends; other bytes stay as they are.
    b1(m, "trim", |s| {
        gobytes::trim_func(s, case::is_space).to_vec()
    });
    s1(m, "upper", |s| s.chars().map(case::to_upper).collect());
    s1(m, "lower", |s| s.chars().map(case::to_lower).collect());
    s1(m, "title", case::title);
    s1(m, "untitle", case::untitle);
    s1(m, "swapcase", case::swapcase);
    s1(m, "snakecase", |s| case::to_delimited(s, '_'));
    s1(m, "kebabcase", |s| case::to_delimited(s, '-'));
    s1(m, "camelcase", case::pascal_case);
    s1(m, "shuffle", shuffle);
    b1(m, "nospace", delete_white_space);
    b1(m, "initials", initials);
    f(m, "abbrev", Fixed(&[I, S]), |a| {
        let w = iarg(a, 0);
        Ok(if w < 4 {
            same(a, 1)
        } else {
            abbreviate(bytes_arg(a, 1), 0, w).into()
        })
    });
    f(m, "abbrevboth", Fixed(&[I, I, S]), |a| {
        let (l, r) = (iarg(a, 0), iarg(a, 1));
        Ok(if r < 4 || l > 0 && r < 7 {
            same(a, 2)
        } else {
            abbreviate(bytes_arg(a, 2), l, r).into()
        })
    });
    f(m, "trunc", Fixed(&[I, S]), |a| {
        let (c, s) = (iarg(a, 0), bytes_arg(a, 1));
        let len = s.len() as i64;
        Ok(if c < 0 && len + c > 0 {
            Value::from(&s[(len + c) as usize..])
        } else if c >= 0 && len > c {
            Value::from(&s[..c as usize])
        } else {
            same(a, 1)
        })
    });
    f(m, "substr", Fixed(&[I, I, S]), |a| {
        let (start, end, s) = (iarg(a, 0), iarg(a, 1), bytes_arg(a, 2));
        if start < 0 {
            go_slice(s, None, Some(end))
        } else if end < 0 || end > s.len() as i64 {
            go_slice(s, Some(start), None)
        } else {
            go_slice(s, Some(start), Some(end))
        }
    });
    f(m, "repeat", Fixed(&[I, S]), |a| {
        repeat(iarg(a, 0), bytes_arg(a, 1)).map(Value::from)
    });
    for name in ["trimall", "trimAll"] {
        f(m, name, Fixed(&[S, S]), |a| {
            Ok(gobytes::trim(bytes_arg(a, 1), bytes_arg(a, 0)).into())
        });
    }
    f(m, "trimSuffix", Fixed(&[S, S]), |a| {
        let s = bytes_arg(a, 1);
        Ok(match s.strip_suffix(bytes_arg(a, 0)) {
            Some(t) => t.into(),
            None => same(a, 1),
        })
    });
    f(m, "trimPrefix", Fixed(&[S, S]), |a| {
        let s = bytes_arg(a, 1);
        Ok(match s.strip_prefix(bytes_arg(a, 0)) {
            Some(t) => t.into(),
            None => same(a, 1),
        })
    });
    f(m, "wrap", Fixed(&[I, S]), |a| {
        Ok(wrap_custom(bytes_arg(a, 1), iarg(a, 0), b"", false).into())
    });
    f(m, "wrapWith", Fixed(&[I, S, S]), |a| {
        Ok(wrap_custom(bytes_arg(a, 2), iarg(a, 0), bytes_arg(a, 1), true).into())
    });
    f(m, "contains", Fixed(&[S, S]), |a| {
        Ok(gobytes::contains(bytes_arg(a, 1), bytes_arg(a, 0)).into())
    });
    f(m, "hasPrefix", Fixed(&[S, S]), |a| {
        Ok(bytes_arg(a, 1).starts_with(bytes_arg(a, 0)).into())
    });
    f(m, "hasSuffix", Fixed(&[S, S]), |a| {
        Ok(bytes_arg(a, 1).ends_with(bytes_arg(a, 0)).into())
    });
    // fmt.Sprintf("%q", strval(v)) per non-nil argument, joined by spaces.
    f(m, "quote", Variadic(&[], A), |a| {
        let parts: Vec<Str> = a
            .iter()
            .filter(|v| !matches!(v, Value::Nil))
            .map(|v| crate::fmt::sprintf("%q", &[Value::String(strval(v))]))
            .collect();
        Ok(gobytes::join(&parts, b" ").into())
    });
    // fmt.Sprintf("'%v'", v) per non-nil argument, joined by spaces.
    f(m, "squote", Variadic(&[], A), |a| {
        let parts: Vec<Str> = a
            .iter()
            .filter(|v| !matches!(v, Value::Nil))
            .map(|v| crate::fmt::sprintf("'%v'", std::slice::from_ref(v)))
            .collect();
        Ok(gobytes::join(&parts, b" ").into())
    });
    f(m, "cat", Variadic(&[], A), |a| {
        let parts: Vec<Str> = a
            .iter()
            .filter(|v| !matches!(v, Value::Nil))
            .map(crate::fmt::format_v)
            .collect();
        Ok(gobytes::join(&parts, b" ").into())
    });
    f(m, "indent", Fixed(&[I, S]), |a| {
        indent(iarg(a, 0), bytes_arg(a, 1)).map(Value::from)
    });
    f(m, "nindent", Fixed(&[I, S]), |a| {
        let mut s = b"\n".to_vec();
        s.extend_from_slice(&indent(iarg(a, 0), bytes_arg(a, 1))?);
        Ok(s.into())
    });
    f(m, "replace", Fixed(&[S, S, S]), |a| {
        Ok(gobytes::replace(bytes_arg(a, 2), bytes_arg(a, 0), bytes_arg(a, 1)).into())
    });
    f(m, "plural", Fixed(&[S, S, I]), |a| {
        Ok(if iarg(a, 2) == 1 {
            same(a, 0)
        } else {
            same(a, 1)
        })
    });
    f(m, "toString", Fixed(&[A]), |a| Ok(strval(&a[0]).into()));
    f(m, "toStrings", Fixed(&[A]), |a| {
        Ok(str_list(cast::str_slice(&a[0])))
    });
    f(m, "splitList", Fixed(&[S, S]), |a| {
        Ok(str_list(gobytes::split_n(
            bytes_arg(a, 1),
            bytes_arg(a, 0),
            -1,
        )))
    });
    f(m, "split", Fixed(&[S, S]), |a| {
        Ok(indexed_map(gobytes::split_n(
            bytes_arg(a, 1),
            bytes_arg(a, 0),
            -1,
        )))
    });
    f(m, "splitn", Fixed(&[S, I, S]), |a| {
        Ok(indexed_map(gobytes::split_n(
            bytes_arg(a, 2),
            bytes_arg(a, 0),
            iarg(a, 1),
        )))
    });
    f(m, "join", Fixed(&[S, A]), |a| {
        Ok(gobytes::join(&cast::str_slice(&a[1]), bytes_arg(a, 0)).into())
    });
    f(m, "sortAlpha", Fixed(&[A]), |a| {
        Ok(match &a[0] {
            Value::List(_) => {
                // sort.Strings: byte order.
                let mut v = cast::str_slice(&a[0]);
                v.sort();
                str_list(v)
            }
            other => str_list([strval(other)]),
        })
    });
}

/// `strings.Repeat` with its panics; outputs beyond 64 MiB are refused instead of exhausting
/// memory (Go would try to allocate them).
fn repeat(count: i64, s: &[u8]) -> Result<Vec<u8>, FuncError> {
    if count < 0 {
        return Err(FuncError::new("strings: negative Repeat count"));
    }
    let total = (s.len() as u128) * (count as u128);
    if total > i64::MAX as u128 {
        return Err(FuncError::new("strings: Repeat output length overflow"));
    }
    if total > 64 << 20 {
        return Err(FuncError::new(format!(
            "strings: Repeat output of {total} bytes exceeds the 64 MiB limit"
        )));
    }
    Ok(s.repeat(count as usize))
}

/// sprig's `indent`: the pad, and the pad after every newline.
fn indent(spaces: i64, v: &[u8]) -> Result<Vec<u8>, FuncError> {
    let pad = repeat(spaces, b" ")?;
    let mut nl_pad = b"\n".to_vec();
    nl_pad.extend_from_slice(&pad);
    let mut out = pad;
    out.extend_from_slice(&gobytes::replace(v, b"\n", &nl_pad));
    Ok(out)
}

/// sprig's `split`/`splitn` result: `{"_0": …, "_1": …}`.
fn indexed_map(parts: Vec<&[u8]>) -> Value {
    let m: BTreeMap<String, Value> = parts
        .into_iter()
        .enumerate()
        .map(|(i, p)| (format!("_{i}"), Value::from(p)))
        .collect();
    Value::map(m)
}

/// xstrings `Shuffle`: a random permutation of the runes.
fn shuffle(s: &str) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut runes: Vec<char> = s.chars().collect();
    let mut state = {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_usize(runes.len());
        h.finish() | 1
    };
    for i in (1..runes.len()).rev() {
        // xorshift64*
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        let r = state.wrapping_mul(0x2545_F491_4F6C_DD1D);
        let j = (r % (i as u64 + 1)) as usize;
        runes.swap(i, j);
    }
    runes.into_iter().collect()
}

/// Go's `unicode.IsSpace` of a byte taken as a rune (goutils works byte by byte).
fn byte_is_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ' | 0x85 | 0xa0)
}

/// goutils `DeleteWhiteSpace`: works on bytes, so when anything is removed, every other byte
/// is written back as the rune of the same value (non-ASCII text is mangled exactly as in Go);
/// when nothing is, the string comes back as it was.
fn delete_white_space(s: &[u8]) -> Vec<u8> {
    if !s.iter().copied().any(byte_is_space) {
        return s.to_vec();
    }
    s.iter()
        .copied()
        .filter(|b| !byte_is_space(*b))
        .map(|b| b as char)
        .collect::<String>()
        .into_bytes()
}

/// goutils `Initials`: the first byte of each whitespace-separated word, as a rune.
fn initials(s: &[u8]) -> Vec<u8> {
    let mut out = String::new();
    let mut gap = true;
    for &b in s {
        if byte_is_space(b) {
            gap = true;
        } else if gap {
            out.push(b as char);
            gap = false;
        }
    }
    out.into_bytes()
}

/// goutils `AbbreviateFull` (byte offsets; callers have checked `max_width >= 4`).
fn abbreviate(b: &[u8], offset: i64, max_width: i64) -> Vec<u8> {
    let len = b.len() as i64;
    if b.is_empty() || max_width < 4 {
        return Vec::new();
    }
    if len <= max_width {
        return b.to_vec();
    }
    let mut offset = offset.min(len);
    if len - offset < max_width - 3 {
        offset = len - (max_width - 3);
    }
    if offset <= 4 {
        return [&b[..(max_width - 3) as usize], b"..."].concat();
    }
    if max_width < 7 {
        return Vec::new();
    }
    if offset + max_width - 3 < len {
        return [
            &b"..."[..],
            &abbreviate(&b[offset as usize..], 0, max_width - 3),
        ]
        .concat();
    }
    [&b"..."[..], &b[(len - (max_width - 3)) as usize..]].concat()
}

/// goutils `WrapCustom`: wrap at spaces so lines fit `wrap_length` bytes; long words are cut
/// only when `wrap_long_words`.
fn wrap_custom(b: &[u8], wrap_length: i64, newline: &[u8], wrap_long_words: bool) -> Vec<u8> {
    if b.is_empty() {
        return Vec::new();
    }
    let newline = if newline.is_empty() { b"\n" } else { newline };
    let wrap = wrap_length.max(1) as usize;
    let len = b.len();
    let mut offset = 0usize;
    let mut out: Vec<u8> = Vec::with_capacity(len + len / wrap.max(1));
    while len - offset > wrap {
        if b[offset] == b' ' {
            offset += 1;
            continue;
        }
        let end = wrap + offset + 1;
        if let Some(sp) = b[offset..end].iter().rposition(|&c| c == b' ') {
            let at = sp + offset;
            out.extend_from_slice(&b[offset..at]);
            out.extend_from_slice(newline);
            offset = at + 1;
        } else if wrap_long_words {
            out.extend_from_slice(&b[offset..offset + wrap]);
            out.extend_from_slice(newline);
            offset += wrap;
        } else {
            let end = wrap + offset;
            match b[end..].iter().position(|&c| c == b' ') {
                Some(i) => {
                    out.extend_from_slice(&b[offset..i + end]);
                    out.extend_from_slice(newline);
                    offset = i + end + 1;
                }
                None => {
                    out.extend_from_slice(&b[offset..]);
                    offset = len;
                }
            }
        }
    }
    out.extend_from_slice(&b[offset..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn abbreviate(s: &str, offset: i64, max_width: i64) -> String {
        String::from_utf8(super::abbreviate(s.as_bytes(), offset, max_width)).unwrap()
    }
    fn delete_white_space(s: &str) -> String {
        String::from_utf8(super::delete_white_space(s.as_bytes())).unwrap()
    }
    fn wrap_custom(s: &str, wrap_length: i64, newline: &str, long_words: bool) -> String {
        let out = super::wrap_custom(s.as_bytes(), wrap_length, newline.as_bytes(), long_words);
        String::from_utf8(out).unwrap()
    }
    fn initials(s: &str) -> String {
        String::from_utf8(super::initials(s.as_bytes())).unwrap()
    }

    // goutils stringutils_test.go (TestAbbreviate, ExampleAbbreviateFull, DeleteWhiteSpace).
    #[test]
    fn goutils_string_tables() {
        assert_eq!(abbreviate("abcdefg", 0, 6), "abc...");
        assert_eq!(abbreviate("abcdefg", 0, 7), "abcdefg");
        assert_eq!(abbreviate("abcdefg", 0, 8), "abcdefg");
        assert_eq!(abbreviate("abcdefg", 0, 4), "a...");
        let s = "abcdefghijklmno";
        for (offset, want) in [
            (-1, "abcdefg..."),
            (0, "abcdefg..."),
            (1, "abcdefg..."),
            (4, "abcdefg..."),
            (5, "...fghi..."),
            (6, "...ghij..."),
            (8, "...ijklmno"),
            (10, "...ijklmno"),
            (12, "...ijklmno"),
        ] {
            assert_eq!(abbreviate(s, offset, 10), want, "{offset}");
        }
        assert_eq!(delete_white_space(" a b c "), "abc");
        assert_eq!(delete_white_space("    "), "");
        assert_eq!(delete_white_space("  b  o    b  "), "bob");
        // Byte-wise like goutils: once a space is removed, other bytes are re-read as Latin-1.
        assert_eq!(delete_white_space("é"), "é");
        assert_eq!(delete_white_space("é "), "\u{c3}\u{a9}");
    }

    // goutils wordutils_test.go (TestWrap*, TestInitials).
    #[test]
    fn goutils_word_tables() {
        assert_eq!(
            wrap_custom("Bob Manuel Bob Manuel", 10, "", false),
            "Bob Manuel\nBob Manuel"
        );
        assert_eq!(
            wrap_custom("BobManuelBob Bob", 10, "<b\\>", false),
            "BobManuelBob<b\\>Bob"
        );
        assert_eq!(
            wrap_custom("BobManuelBob Bob", 10, "<b\\>", true),
            "BobManuelB<b\\>ob Bob"
        );
        assert_eq!(initials("John Doe.Ray"), "JD");
        assert_eq!(case::untitle("This Is A.Test"), "this is a.Test");
        assert_eq!(case::swapcase("This Is A.Test"), "tHIS iS a.tEST");
    }

    // Bytes outside UTF-8 are kept where goutils keeps them.
    #[test]
    fn goutils_functions_keep_bytes() {
        assert_eq!(super::abbreviate(b"\xffbcdefg", 0, 6), b"\xffbc...");
        assert_eq!(super::delete_white_space(b"a\xff"), b"a\xff");
        assert_eq!(super::delete_white_space(b"a \xff"), "a\u{ff}".as_bytes());
        assert_eq!(
            super::wrap_custom(b"\xff \xfe", 1, b"", false),
            b"\xff\n\xfe"
        );
    }
}
