//! Go's `strings` functions that sprig's string functions call, over bytes: a Go string need
//! not be UTF-8, and these functions keep whatever bytes they do not match. Where Go decodes
//! runes (`TrimFunc`, `Trim`'s cutset, `Replace` with an empty `old`, `Split` with an empty
//! separator), a byte outside a valid UTF-8 sequence is one U+FFFD of width 1, as Go reads it.

use memchr::memmem;

use crate::gostr::{decode_last_rune, rune_indices};

/// Go's `strings.Index`.
pub(super) fn index(s: &[u8], sep: &[u8]) -> Option<usize> {
    memmem::find(s, sep)
}

/// Go's `strings.Contains`.
pub(super) fn contains(s: &[u8], sub: &[u8]) -> bool {
    index(s, sub).is_some()
}

/// Go's `strings.TrimLeftFunc`.
pub(super) fn trim_left_func(s: &[u8], f: impl Fn(char) -> bool) -> &[u8] {
    for (i, r, _) in rune_indices(s) {
        if !f(r) {
            return &s[i..];
        }
    }
    &s[s.len()..]
}

/// Go's `strings.TrimRightFunc` (runes read from the end, as `utf8.DecodeLastRune` does).
pub(super) fn trim_right_func(s: &[u8], f: impl Fn(char) -> bool) -> &[u8] {
    let mut end = s.len();
    while end > 0 {
        let (r, w) = decode_last_rune(&s[..end]);
        if !f(r) {
            break;
        }
        end -= w;
    }
    &s[..end]
}

/// Go's `strings.TrimFunc`.
pub(super) fn trim_func(s: &[u8], f: impl Fn(char) -> bool + Copy) -> &[u8] {
    trim_right_func(trim_left_func(s, f), f)
}

/// Go's `strings.Trim(s, cutset)`: runes of `cutset` (bytes outside UTF-8 there stand for
/// U+FFFD, as `strings.ContainsRune` finds them) trimmed from both ends.
pub(super) fn trim(s: &[u8], cutset: &[u8]) -> Vec<u8> {
    if s.is_empty() || cutset.is_empty() {
        return s.to_vec();
    }
    let set = crate::gostr::lossy(cutset);
    let f = |r: char| set.contains(r);
    trim_left_func(trim_right_func(s, f), f).to_vec()
}

/// Go's `strings.Replace(s, old, new, -1)`. An empty `old` matches at the start and after each
/// rune (each byte outside valid UTF-8 counting as one).
pub(super) fn replace(s: &[u8], old: &[u8], new: &[u8]) -> Vec<u8> {
    if old == new {
        return s.to_vec();
    }
    let mut out = Vec::with_capacity(s.len());
    if old.is_empty() {
        out.extend_from_slice(new);
        for (i, _, w) in rune_indices(s) {
            out.extend_from_slice(&s[i..i + w]);
            out.extend_from_slice(new);
        }
        return out;
    }
    let mut start = 0;
    for at in memmem::find_iter(s, old) {
        if at < start {
            continue; // an overlapping match: Go's Index resumes after the previous one
        }
        out.extend_from_slice(&s[start..at]);
        out.extend_from_slice(new);
        start = at + old.len();
    }
    out.extend_from_slice(&s[start..]);
    out
}

/// Go's `strings.SplitN(s, sep, n)` (n < 0: all parts; n == 0: none; an empty `sep` splits
/// after each rune, keeping each rune's bytes as they are).
pub(super) fn split_n<'a>(s: &'a [u8], sep: &[u8], n: i64) -> Vec<&'a [u8]> {
    if n == 0 {
        return Vec::new();
    }
    let limit = if n < 0 { usize::MAX } else { n as usize };
    let mut out = Vec::new();
    if sep.is_empty() {
        // Go's explode.
        let mut rest = s;
        while !rest.is_empty() {
            if out.len() + 1 == limit {
                out.push(rest);
                return out;
            }
            let (_, w) = crate::gostr::decode_rune(rest);
            out.push(&rest[..w]);
            rest = &rest[w..];
        }
        return out;
    }
    let mut rest = s;
    while out.len() + 1 < limit {
        let Some(at) = index(rest, sep) else {
            break;
        };
        out.push(&rest[..at]);
        rest = &rest[at + sep.len()..];
    }
    out.push(rest);
    out
}

/// Go's `strings.Join`.
pub(super) fn join<S: AsRef<[u8]>>(parts: &[S], sep: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(sep);
        }
        out.extend_from_slice(p.as_ref());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expectations from Go 1.27's strings package on the same inputs.
    #[test]
    fn matches_go_strings_on_bytes() {
        let space = |r: char| r.is_whitespace();
        assert_eq!(trim_func(b" \xffa \t", space), b"\xffa");
        assert_eq!(trim_func(" é ".as_bytes(), space), "é".as_bytes());
        assert_eq!(trim(b"xx\xffyxx", b"x"), b"\xffy");
        // A cutset with an invalid byte trims invalid bytes (both read as U+FFFD).
        assert_eq!(trim(b"\xfe\xffab\xc3", b"\xff"), b"ab");
        assert_eq!(replace(b"a\xffb", b"", b"-"), b"-a-\xff-b-");
        assert_eq!(replace(b"aaa", b"aa", b"b"), b"ba");
        assert_eq!(replace(b"a\xffa", b"a", b"\xfe"), b"\xfe\xff\xfe");
        assert_eq!(split_n(b"a,b,c", b",", 2), [&b"a"[..], b"b,c"]);
        assert_eq!(split_n(b"a\xffb", b"", -1), [&b"a"[..], b"\xff", b"b"]);
        assert_eq!(split_n(b"\xc3\xa9\xff", b"", 1), [&b"\xc3\xa9\xff"[..]]);
        assert_eq!(
            split_n(b"\xc3\xa9\xff", b"", -1),
            [&b"\xc3\xa9"[..], b"\xff"]
        );
        assert!(split_n(b"abc", b",", 0).is_empty());
        assert_eq!(split_n(b"abc", b"", 2), [&b"a"[..], b"bc"]);
        assert_eq!(split_n(b"abc", b"", -1), [&b"a"[..], b"b", b"c"]);
        assert!(split_n(b"", b"", -1).is_empty());
        assert_eq!(split_n(b"", b",", -1), [&b""[..]]);
        assert_eq!(join(&[&b"a"[..], b"\xff"], b", "), b"a, \xff");
        assert!(contains(b"a\xffb", b"\xffb"));
    }
}
