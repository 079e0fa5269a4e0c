//! Flow control (`fail`) and sprig's OS and network functions, which are deliberately cut off
//! from the host: a template is a cluster object and must not read the node's environment or
//! make network calls (Helm does the same). `env` is always empty, `expandenv` expands every
//! variable to the empty string, `getHostByName` fails.

use super::{arg_bytes, arg_str, def};
use crate::{Arity, FuncError, FuncMap, Ty, Value};

pub(super) fn register(m: &mut FuncMap) {
    const S: Arity = Arity::Fixed(&[Ty::String]);
    // func(msg string) (string, error)
    def(m, "fail", S, |a| Err(FuncError::new(arg_str(a, 0))));
    // os.Getenv: deliberately never reads the process environment.
    def(m, "env", S, |_| Ok(Value::from("")));
    // os.ExpandEnv with an empty environment.
    def(m, "expandenv", S, |a| {
        Ok(Value::from(expand(arg_bytes(a, 0), |_| Vec::new())))
    });
    def(m, "getHostByName", S, |_| {
        Err(FuncError::new(
            "getHostByName is disabled: templates must not make network calls",
        ))
    });
}

/// Go's `os.Expand`: `$NAME`, `${NAME}`, `$1`/`$*`-style specials; `$` before anything else is
/// kept, malformed `${...` is dropped. Works on bytes, as Go's does.
fn expand(b: &[u8], mapping: impl Fn(&[u8]) -> Vec<u8>) -> Vec<u8> {
    let mut out: Option<Vec<u8>> = None;
    let mut i = 0;
    let mut j = 0;
    while j < b.len() {
        if b[j] == b'$' && j + 1 < b.len() {
            let buf = out.get_or_insert_with(|| Vec::with_capacity(2 * b.len()));
            buf.extend_from_slice(&b[i..j]);
            let (name, w) = shell_name(&b[j + 1..]);
            if name.is_empty() && w > 0 {
                // Invalid syntax: the characters are eaten.
            } else if name.is_empty() {
                buf.push(b'$');
            } else {
                buf.extend_from_slice(&mapping(name));
            }
            j += w;
            i = j + 1;
        }
        j += 1;
    }
    match out {
        None => b.to_vec(),
        Some(mut buf) => {
            buf.extend_from_slice(&b[i.min(b.len())..]);
            buf
        }
    }
}

fn is_special(c: u8) -> bool {
    matches!(
        c,
        b'*' | b'#' | b'$' | b'@' | b'!' | b'?' | b'-' | b'0'..=b'9'
    )
}

/// Go's `getShellName`: the variable name after a `$` and how many bytes it used.
fn shell_name(b: &[u8]) -> (&[u8], usize) {
    if b[0] == b'{' {
        if b.len() > 2 && is_special(b[1]) && b[2] == b'}' {
            return (&b[1..2], 3);
        }
        return match b.iter().skip(1).position(|&c| c == b'}') {
            Some(0) => (b"", 2),
            Some(p) => (&b[1..p + 1], p + 2),
            None => (b"", 1),
        };
    }
    if is_special(b[0]) {
        return (&b[0..1], 1);
    }
    let n = b
        .iter()
        .take_while(|&&c| c == b'_' || c.is_ascii_alphanumeric())
        .count();
    (&b[..n], n)
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{call, call_str, s};
    use super::*;

    #[test]
    fn fail_returns_the_message_as_error() {
        let e = call("fail", &[s("value is required")]).unwrap_err();
        assert_eq!(e.to_string(), "value is required");
    }

    #[test]
    fn env_is_never_read() {
        // PATH is set in every test environment; the template must not see it.
        assert_eq!(call_str("env", &[s("PATH")]), "");
        assert_eq!(
            call_str("expandenv", &[s("Your path is set to $PATH")]),
            "Your path is set to "
        );
    }

    // Shapes checked against Go's os.Expand with an empty mapping.
    #[test]
    fn expandenv_follows_go_syntax() {
        let cases = [
            ("no vars", "no vars"),
            ("a${HOME}b", "ab"),
            ("$", "$"),
            ("a$", "a$"),
            ("$$", ""),
            ("$1x", "x"),
            ("${}x", "x"),
            ("${x", "x"),
            ("$ x", "$ x"),
            ("cost: $5.00", "cost: .00"),
            ("${*}z", "z"),
            ("a$_b-c", "a-c"),
            ("é$Xé", "éé"),
        ];
        for (input, want) in cases {
            assert_eq!(
                expand(input.as_bytes(), |_| Vec::new()),
                want.as_bytes(),
                "{input:?}"
            );
        }
        let angle = |n: &[u8]| [&b"<"[..], n, b">"].concat();
        assert_eq!(expand(b"a${B}c$D", angle), b"a<B>c<D>");
        // Bytes outside UTF-8 stay as they are.
        assert_eq!(expand(b"\xff$X\xfe", |_| Vec::new()), b"\xff\xfe");
    }

    #[test]
    fn get_host_by_name_is_disabled() {
        let e = call("getHostByName", &[s("example.com")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "getHostByName is disabled: templates must not make network calls"
        );
    }
}
