//! Sprig's path functions: Go's `path` package (`base`, `dir`, `clean`, `ext`, `isAbs`) and
//! `path/filepath` (`osBase`, …), which on the Unix systems the engine runs on behave the same.

use super::bytes_arg;
use super::ty::S;
use crate::{Arity, FuncMap, Function, Value};

/// (path name, filepath name, body).
type Entry = (&'static str, &'static str, fn(&[u8]) -> Value);

// Go's path functions work on bytes (only `/` and `.` mean anything), so other bytes,
// UTF-8 or not, pass through.
pub(super) fn register(m: &mut FuncMap) {
    let table: [Entry; 5] = [
        ("base", "osBase", |p| base(p).into()),
        ("dir", "osDir", |p| dir(p).into()),
        ("clean", "osClean", |p| clean(p).into()),
        ("ext", "osExt", |p| ext(p).into()),
        ("isAbs", "osIsAbs", |p| p.starts_with(b"/").into()),
    ];
    for (name, os_name, body) in table {
        for n in [name, os_name] {
            m.insert(Function::new(
                n,
                Arity::Fixed(&[S]),
                move |a: &[Value]| Ok(body(bytes_arg(a, 0))),
            ));
        }
    }
}

/// Go's `path.Clean`: the shortest equivalent path by purely lexical processing.
pub(crate) fn clean(p: &[u8]) -> Vec<u8> {
    if p.is_empty() {
        return b".".to_vec();
    }
    let rooted = p.starts_with(b"/");
    let mut parts: Vec<&[u8]> = Vec::new();
    for seg in p.split(|&c| c == b'/') {
        match seg {
            b"" | b"." => {}
            b".." => {
                if parts.last().is_some_and(|l| *l != b"..") {
                    parts.pop();
                } else if !rooted {
                    parts.push(b"..");
                }
            }
            s => parts.push(s),
        }
    }
    let body = parts.join(&b'/');
    match (rooted, body.is_empty()) {
        (true, _) => [&b"/"[..], &body].concat(),
        (false, true) => b".".to_vec(),
        (false, false) => body,
    }
}

/// Go's `path.Base`: the last element, trailing slashes removed; `.` for "" and `/` for slashes.
pub(crate) fn base(p: &[u8]) -> Vec<u8> {
    if p.is_empty() {
        return b".".to_vec();
    }
    let end = p.iter().rposition(|&c| c != b'/').map_or(0, |i| i + 1);
    let t = &p[..end];
    if t.is_empty() {
        return b"/".to_vec();
    }
    match t.iter().rposition(|&c| c == b'/') {
        Some(i) => t[i + 1..].to_vec(),
        None => t.to_vec(),
    }
}

/// Go's `path.Dir`: everything but the last element, cleaned.
pub(crate) fn dir(p: &[u8]) -> Vec<u8> {
    let d = match p.iter().rposition(|&c| c == b'/') {
        Some(i) => &p[..i + 1],
        None => b"",
    };
    clean(d)
}

/// Go's `path.Ext`: the suffix from the final dot of the last element, or "".
pub(crate) fn ext(p: &[u8]) -> Vec<u8> {
    for i in (0..p.len()).rev() {
        match p[i] {
            b'/' => break,
            b'.' => return p[i..].to_vec(),
            _ => {}
        }
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expectations printed by Go 1.27's path and path/filepath packages.
    #[test]
    fn matches_go_path() {
        let cases = [
            ("", ".", ".", ".", ""),
            (".", ".", ".", ".", "."),
            ("a/b/../c", "c", "a", "a/c", ""),
            ("/a/", "a", "/a", "/a", ""),
            ("//a//b/", "b", "/a/b", "/a/b", ""),
            ("a.b.c", "a.b.c", ".", "a.b.c", ".c"),
            ("/", "/", "/", "/", ""),
            ("a/", "a", "a", "a", ""),
            ("../../x", "x", "../..", "../../x", ""),
            ("/..", "..", "/", "/", "."),
        ];
        for (p, b, d, c, e) in cases {
            let p = p.as_bytes();
            assert_eq!(base(p), b.as_bytes(), "base {p:?}");
            assert_eq!(dir(p), d.as_bytes(), "dir {p:?}");
            assert_eq!(clean(p), c.as_bytes(), "clean {p:?}");
            assert_eq!(ext(p), e.as_bytes(), "ext {p:?}");
        }
        // Bytes outside UTF-8 pass through.
        assert_eq!(base(b"/a/\xff.x"), b"\xff.x");
        assert_eq!(ext(b"a.\xff"), b".\xff");
    }
}
