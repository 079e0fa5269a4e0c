//! Sprig's string functions (`strings.go` and the string entries of `functions.go`): trimming,
//! case, substrings, goutils' abbreviate/wrap/initials, quoting, indenting, splitting and joining.

use std::collections::BTreeMap;

use super::ty::{A, I, S};
use super::{case, go_slice, iarg, lossy, sarg, str_list};
use crate::sprig::cast::{self, quote, strval};
use crate::{Arity, FuncError, FuncMap, Function, Value};

type R = Result<Value, FuncError>;

fn f(m: &mut FuncMap, name: &'static str, arity: Arity, body: fn(&[Value]) -> R) {
    m.insert(Function::new(name, arity, body));
}

fn s1(m: &mut FuncMap, name: &'static str, body: fn(&str) -> String) {
    m.insert(Function::new(
        name,
        Arity::Fixed(&[S]),
        move |a: &[Value]| Ok(Value::from(body(sarg(a, 0)))),
    ));
}

pub(super) fn register(m: &mut FuncMap) {
    use Arity::{Fixed, Variadic};
    f(m, "hello", Fixed(&[]), |_| Ok("Hello!".into()));
    s1(m, "trim", |s| s.trim_matches(case::is_space).to_string());
    s1(m, "upper", |s| s.chars().map(case::to_upper).collect());
    s1(m, "lower", |s| s.chars().map(case::to_lower).collect());
    s1(m, "title", case::title);
    s1(m, "untitle", case::untitle);
    s1(m, "swapcase", case::swapcase);
    s1(m, "snakecase", |s| case::to_delimited(s, '_'));
    s1(m, "kebabcase", |s| case::to_delimited(s, '-'));
    s1(m, "camelcase", case::pascal_case);
    s1(m, "shuffle", shuffle);
    s1(m, "nospace", delete_white_space);
    s1(m, "initials", initials);
    f(m, "abbrev", Fixed(&[I, S]), |a| {
        let (w, s) = (iarg(a, 0), sarg(a, 1));
        Ok(if w < 4 {
            s.into()
        } else {
            abbreviate(s, 0, w).into()
        })
    });
    f(m, "abbrevboth", Fixed(&[I, I, S]), |a| {
        let (l, r, s) = (iarg(a, 0), iarg(a, 1), sarg(a, 2));
        Ok(if r < 4 || l > 0 && r < 7 {
            s.into()
        } else {
            abbreviate(s, l, r).into()
        })
    });
    f(m, "trunc", Fixed(&[I, S]), |a| {
        let (c, s) = (iarg(a, 0), sarg(a, 1));
        let len = s.len() as i64;
        Ok(if c < 0 && len + c > 0 {
            lossy(&s.as_bytes()[(len + c) as usize..]).into()
        } else if c >= 0 && len > c {
            lossy(&s.as_bytes()[..c as usize]).into()
        } else {
            s.into()
        })
    });
    f(m, "substr", Fixed(&[I, I, S]), |a| {
        let (start, end, s) = (iarg(a, 0), iarg(a, 1), sarg(a, 2));
        let r = if start < 0 {
            go_slice(s, None, Some(end))
        } else if end < 0 || end > s.len() as i64 {
            go_slice(s, Some(start), None)
        } else {
            go_slice(s, Some(start), Some(end))
        };
        r.map(Value::from)
    });
    f(m, "repeat", Fixed(&[I, S]), |a| {
        repeat(iarg(a, 0), sarg(a, 1))
    });
    for name in ["trimall", "trimAll"] {
        f(m, name, Fixed(&[S, S]), |a| {
            let cut = sarg(a, 0);
            Ok(sarg(a, 1).trim_matches(|c| cut.contains(c)).into())
        });
    }
    f(m, "trimSuffix", Fixed(&[S, S]), |a| {
        let s = sarg(a, 1);
        Ok(s.strip_suffix(sarg(a, 0)).unwrap_or(s).into())
    });
    f(m, "trimPrefix", Fixed(&[S, S]), |a| {
        let s = sarg(a, 1);
        Ok(s.strip_prefix(sarg(a, 0)).unwrap_or(s).into())
    });
    f(m, "wrap", Fixed(&[I, S]), |a| {
        Ok(wrap_custom(sarg(a, 1), iarg(a, 0), "", false).into())
    });
    f(m, "wrapWith", Fixed(&[I, S, S]), |a| {
        Ok(wrap_custom(sarg(a, 2), iarg(a, 0), sarg(a, 1), true).into())
    });
    f(m, "contains", Fixed(&[S, S]), |a| {
        Ok(sarg(a, 1).contains(sarg(a, 0)).into())
    });
    f(m, "hasPrefix", Fixed(&[S, S]), |a| {
        Ok(sarg(a, 1).starts_with(sarg(a, 0)).into())
    });
    f(m, "hasSuffix", Fixed(&[S, S]), |a| {
        Ok(sarg(a, 1).ends_with(sarg(a, 0)).into())
    });
    f(m, "quote", Variadic(&[], A), |a| {
        let parts: Vec<String> = a
            .iter()
            .filter(|v| !matches!(v, Value::Nil))
            .map(|v| quote(&strval(v)))
            .collect();
        Ok(parts.join(" ").into())
    });
    f(m, "squote", Variadic(&[], A), |a| {
        let parts: Vec<String> = a
            .iter()
            .filter(|v| !matches!(v, Value::Nil))
            .map(|v| format!("'{}'", crate::fmt::format_v(v)))
            .collect();
        Ok(parts.join(" ").into())
    });
    f(m, "cat", Variadic(&[], A), |a| {
        let parts: Vec<String> = a
            .iter()
            .filter(|v| !matches!(v, Value::Nil))
            .map(crate::fmt::format_v)
            .collect();
        Ok(parts.join(" ").into())
    });
    f(m, "indent", Fixed(&[I, S]), |a| {
        indent(iarg(a, 0), sarg(a, 1))
    });
    f(m, "nindent", Fixed(&[I, S]), |a| {
        let s = indent(iarg(a, 0), sarg(a, 1))?;
        Ok(format!("\n{}", s.as_str().unwrap_or("")).into())
    });
    f(m, "replace", Fixed(&[S, S, S]), |a| {
        Ok(sarg(a, 2).replace(sarg(a, 0), sarg(a, 1)).into())
    });
    f(m, "plural", Fixed(&[S, S, I]), |a| {
        Ok(if iarg(a, 2) == 1 {
            sarg(a, 0)
        } else {
            sarg(a, 1)
        }
        .into())
    });
    f(m, "toString", Fixed(&[A]), |a| Ok(strval(&a[0]).into()));
    f(m, "toStrings", Fixed(&[A]), |a| {
        Ok(str_list(cast::str_slice(&a[0])))
    });
    f(m, "splitList", Fixed(&[S, S]), |a| {
        Ok(str_list(go_split(sarg(a, 1), sarg(a, 0), -1)))
    });
    f(m, "split", Fixed(&[S, S]), |a| {
        Ok(indexed_map(go_split(sarg(a, 1), sarg(a, 0), -1)))
    });
    f(m, "splitn", Fixed(&[S, I, S]), |a| {
        Ok(indexed_map(go_split(sarg(a, 2), sarg(a, 0), iarg(a, 1))))
    });
    f(m, "join", Fixed(&[S, A]), |a| {
        Ok(cast::str_slice(&a[1]).join(sarg(a, 0)).into())
    });
    f(m, "sortAlpha", Fixed(&[A]), |a| {
        Ok(match &a[0] {
            Value::List(_) => {
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
fn repeat(count: i64, s: &str) -> R {
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
    Ok(s.repeat(count as usize).into())
}

fn indent(spaces: i64, v: &str) -> R {
    let pad = repeat(spaces, " ")?;
    let pad = pad.as_str().unwrap_or("");
    Ok(format!("{pad}{}", v.replace('\n', &format!("\n{pad}"))).into())
}

/// Go's `strings.SplitN(s, sep, n)` (n < 0: all parts; n == 0: none; empty sep: per rune).
pub(super) fn go_split(s: &str, sep: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    let limit = if n < 0 { usize::MAX } else { n as usize };
    if sep.is_empty() {
        let chars: Vec<(usize, char)> = s.char_indices().collect();
        let mut out = Vec::new();
        for (i, &(at, c)) in chars.iter().enumerate() {
            if out.len() + 1 == limit && i + 1 < chars.len() {
                out.push(s[at..].to_string());
                return out;
            }
            out.push(c.to_string());
        }
        return out;
    }
    s.splitn(limit, sep).map(str::to_string).collect()
}

/// sprig's `split`/`splitn` result: `{"_0": …, "_1": …}`.
fn indexed_map(parts: Vec<String>) -> Value {
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
/// is written back as the rune of the same value (non-ASCII text is mangled exactly as in Go).
fn delete_white_space(s: &str) -> String {
    if !s.bytes().any(byte_is_space) {
        return s.to_string();
    }
    s.bytes()
        .filter(|b| !byte_is_space(*b))
        .map(|b| b as char)
        .collect()
}

/// goutils `Initials`: the first byte of each whitespace-separated word, as a rune.
fn initials(s: &str) -> String {
    let mut out = String::new();
    let mut gap = true;
    for b in s.bytes() {
        if byte_is_space(b) {
            gap = true;
        } else if gap {
            out.push(b as char);
            gap = false;
        }
    }
    out
}

/// goutils `AbbreviateFull` (byte offsets; callers have checked `max_width >= 4`).
fn abbreviate(s: &str, offset: i64, max_width: i64) -> String {
    let b = s.as_bytes();
    let len = b.len() as i64;
    if s.is_empty() || max_width < 4 {
        return String::new();
    }
    if len <= max_width {
        return s.to_string();
    }
    let mut offset = offset.min(len);
    if len - offset < max_width - 3 {
        offset = len - (max_width - 3);
    }
    if offset <= 4 {
        return format!("{}...", lossy(&b[..(max_width - 3) as usize]));
    }
    if max_width < 7 {
        return String::new();
    }
    if offset + max_width - 3 < len {
        let rest = String::from_utf8_lossy(&b[offset as usize..]).into_owned();
        return format!("...{}", abbreviate(&rest, 0, max_width - 3));
    }
    format!("...{}", lossy(&b[(len - (max_width - 3)) as usize..]))
}

/// goutils `WrapCustom`: wrap at spaces so lines fit `wrap_length` bytes; long words are cut
/// only when `wrap_long_words`.
fn wrap_custom(s: &str, wrap_length: i64, newline: &str, wrap_long_words: bool) -> String {
    if s.is_empty() {
        return String::new();
    }
    let newline = if newline.is_empty() { "\n" } else { newline };
    let wrap = wrap_length.max(1) as usize;
    let b = s.as_bytes();
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
            out.extend_from_slice(newline.as_bytes());
            offset = at + 1;
        } else if wrap_long_words {
            out.extend_from_slice(&b[offset..offset + wrap]);
            out.extend_from_slice(newline.as_bytes());
            offset += wrap;
        } else {
            let end = wrap + offset;
            match b[end..].iter().position(|&c| c == b' ') {
                Some(i) => {
                    out.extend_from_slice(&b[offset..i + end]);
                    out.extend_from_slice(newline.as_bytes());
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
    lossy(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

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

    // Go's strings.SplitN corners.
    #[test]
    fn split_n() {
        assert_eq!(go_split("a,b,c", ",", 2), vec!["a", "b,c"]);
        assert_eq!(go_split("abc", "", 2), vec!["a", "bc"]);
        assert_eq!(go_split("abc", "", -1), vec!["a", "b", "c"]);
        assert!(go_split("abc", ",", 0).is_empty());
        assert_eq!(go_split("", "", -1), Vec::<String>::new());
    }
}
