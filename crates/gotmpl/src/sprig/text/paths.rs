//! Sprig's path functions: Go's `path` package (`base`, `dir`, `clean`, `ext`, `isAbs`) and
//! `path/filepath` (`osBase`, …), which on the Unix systems the engine runs on behave the same.

use super::sarg;
use super::ty::S;
use crate::{Arity, FuncMap, Function, Value};

/// (path name, filepath name, body).
type Entry = (&'static str, &'static str, fn(&str) -> Value);

pub(super) fn register(m: &mut FuncMap) {
    let table: [Entry; 5] = [
        ("base", "osBase", |p| base(p).into()),
        ("dir", "osDir", |p| dir(p).into()),
        ("clean", "osClean", |p| clean(p).into()),
        ("ext", "osExt", |p| ext(p).into()),
        ("isAbs", "osIsAbs", |p| p.starts_with('/').into()),
    ];
    for (name, os_name, body) in table {
        for n in [name, os_name] {
            m.insert(Function::new(
                n,
                Arity::Fixed(&[S]),
                move |a: &[Value]| Ok(body(sarg(a, 0))),
            ));
        }
    }
}

/// Go's `path.Clean`: the shortest equivalent path by purely lexical processing.
pub(crate) fn clean(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let body = parts.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".into(),
        (false, false) => body,
    }
}

/// Go's `path.Base`: the last element, trailing slashes removed; `.` for "" and `/` for slashes.
pub(crate) fn base(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        return "/".into();
    }
    match t.rfind('/') {
        Some(i) => t[i + 1..].to_string(),
        None => t.to_string(),
    }
}

/// Go's `path.Dir`: everything but the last element, cleaned.
pub(crate) fn dir(p: &str) -> String {
    let d = match p.rfind('/') {
        Some(i) => &p[..i + 1],
        None => "",
    };
    clean(d)
}

/// Go's `path.Ext`: the suffix from the final dot of the last element, or "".
pub(crate) fn ext(p: &str) -> String {
    for (i, c) in p.char_indices().rev() {
        match c {
            '/' => break,
            '.' => return p[i..].to_string(),
            _ => {}
        }
    }
    String::new()
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
            assert_eq!(base(p), b, "base {p:?}");
            assert_eq!(dir(p), d, "dir {p:?}");
            assert_eq!(clean(p), c, "clean {p:?}");
            assert_eq!(ext(p), e, "ext {p:?}");
        }
    }
}
