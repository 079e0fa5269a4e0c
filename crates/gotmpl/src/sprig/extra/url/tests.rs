//! Expectations generated with Go 1.27's `net/url` through sprig's `urlParse`/`urlJoin`
//! logic, plus the table of sprig's `url_test.go`.

use super::super::testutil::{call, call_str, s};
use crate::Value;

type Fields = [&'static str; 8];
/// A URL, and its parsed fields and re-joined form (or the parse error).
type Case = (&'static str, Result<(Fields, &'static str), &'static str>);
const KEYS: Fields = [
    "scheme", "host", "hostname", "path", "query", "opaque", "fragment", "userinfo",
];

fn parsed(url: &str) -> Value {
    call("urlParse", &[s(url)]).unwrap_or_else(|e| panic!("{url}: {e}"))
}

#[test]
fn parse_and_join_round_trip() {
    let cases: &[Case] = &[
        ("proto://auth@host:80/path?query#fragment", Ok((["proto", "host:80", "host", "/path", "query", "", "fragment", "auth"], "proto://auth@host:80/path?query#fragment"))),
        ("proto://host:80/path", Ok((["proto", "host:80", "host", "/path", "", "", "", ""], "proto://host:80/path"))),
        ("something", Ok((["", "", "", "something", "", "", "", ""], "something"))),
        ("proto://user:passwor%20d@host:80/path", Ok((["proto", "host:80", "host", "/path", "", "", "", "user:passwor%20d"], "proto://user:passwor%20d@host:80/path"))),
        ("proto://host:80/pa%20th?key=val%20ue", Ok((["proto", "host:80", "host", "/pa th", "key=val%20ue", "", "", ""], "proto://host:80/pa%20th?key=val%20ue"))),
        ("https://example.com/a%2Fb?x=1#frag%20ment", Ok((["https", "example.com", "example.com", "/a/b", "x=1", "", "frag ment", ""], "https://example.com/a/b?x=1#frag%20ment"))),
        ("mailto:joe@example.com", Ok((["mailto", "", "", "", "", "joe@example.com", "", ""], "mailto:joe@example.com"))),
        ("http://[::1]:8080/x", Ok((["http", "[::1]:8080", "::1", "/x", "", "", "", ""], "http://[::1]:8080/x"))),
        ("http://[fe80::1%25en0]/", Ok((["http", "[fe80::1%en0]", "fe80::1%en0", "/", "", "", "", ""], "http://[fe80::1%25en0]/"))),
        ("https://u%40x:p%3Ap@h/é?q=é#é", Ok((["https", "h", "h", "/é", "q=é", "", "é", "u%40x:p%3Ap"], "https://u%40x:p%3Ap@h/%C3%A9?q=é#%C3%A9"))),
        ("//host/path", Ok((["", "host", "host", "/path", "", "", "", ""], "//host/path"))),
        ("/abs/path?", Ok((["", "", "", "/abs/path", "", "", "", ""], "/abs/path"))),
        ("http:///three", Ok((["http", "", "", "/three", "", "", "", ""], "http:///three"))),
        ("HTTP://Host/%7e", Ok((["http", "Host", "Host", "/~", "", "", "", ""], "http://Host/~"))),
        ("ftp://h:80:90/", Ok((["ftp", "h:80:90", "h:80", "/", "", "", "", ""], "ftp://h:80:90/"))),
        ("x:y/z", Ok((["x", "", "", "", "", "y/z", "", ""], "x:y/z"))),
        ("./x:y", Ok((["", "", "", "./x:y", "", "", "", ""], "./x:y"))),
        ("*", Ok((["", "", "", "*", "", "", "", ""], "*"))),
        ("", Ok((["", "", "", "", "", "", "", ""], ""))),
        ("?q", Ok((["", "", "", "", "q", "", "", ""], "?q"))),
        ("#f", Ok((["", "", "", "", "", "", "f", ""], "#f"))),
        ("http://h/a;b,c?d", Ok((["http", "h", "h", "/a;b,c", "d", "", "", ""], "http://h/a;b,c?d"))),
        ("a b://x", Err("unable to parse url: parse \"a b://x\": first path segment in URL cannot contain colon")),
        ("http://h:port/", Err("unable to parse url: parse \"http://h:port/\": invalid port \":port\" after host")),
        ("http://h:80:90/", Err("unable to parse url: parse \"http://h:80:90/\": invalid port \":80:90\" after host")),
        (":foo", Err("unable to parse url: parse \":foo\": missing protocol scheme")),
        ("1http://x", Err("unable to parse url: parse \"1http://x\": first path segment in URL cannot contain colon")),
        ("http://a b/", Err("unable to parse url: parse \"http://a b/\": invalid character \" \" in host name")),
        ("%zz", Err("unable to parse url: parse \"%zz\": invalid URL escape \"%zz\"")),
        ("http://h/%zz", Err("unable to parse url: parse \"http://h/%zz\": invalid URL escape \"%zz\"")),
        ("http://h/#%zz", Err("unable to parse url: parse \"http://h/#%zz\": invalid URL escape \"%zz\"")),
        ("http://[1.2.3.4]/", Err("unable to parse url: parse \"http://[1.2.3.4]/\": invalid IP-literal")),
        ("http://x[y]/", Err("unable to parse url: parse \"http://x[y]/\": invalid IP-literal")),
        ("http://[::1/", Err("unable to parse url: parse \"http://[::1/\": missing ']' in host")),
        ("http://user name@h/", Err("unable to parse url: parse \"http://user name@h/\": net/url: invalid userinfo")),
        ("http://h/\x01", Err("unable to parse url: parse \"http://h/\\x01\": net/url: invalid control character in URL")),
        ("http://%41:8080/", Err("unable to parse url: parse \"http://%41:8080/\": invalid URL escape \"%41\"")),
    ];
    for (url, want) in cases {
        match (call("urlParse", &[s(url)]), want) {
            (Ok(Value::Map(d)), Ok((fields, joined))) => {
                assert_eq!(d.len(), 8, "{url}: exactly sprig's keys");
                for (k, want) in KEYS.iter().zip(fields) {
                    assert_eq!(
                        d.get(k).as_ref().and_then(Value::as_str).as_deref(),
                        Some(*want),
                        "{url} {k}"
                    );
                }
                assert_eq!(call_str("urlJoin", &[Value::Map(d)]), *joined, "{url}");
            }
            (Err(e), Err(msg)) => assert_eq!(e.to_string(), *msg, "{url}"),
            (got, want) => panic!("{url}: got {got:?}, want {want:?}"),
        }
    }
}

// sprig url_test.go TestUrlJoin
#[test]
fn join_from_dict() {
    let dict = |pairs: &[(&str, &str)]| {
        Value::map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), Value::from(*v)))
                .collect(),
        )
    };
    let d = dict(&[
        ("fragment", "fragment"),
        ("host", "host:80"),
        ("path", "/path"),
        ("query", "query"),
        ("scheme", "proto"),
    ]);
    assert_eq!(
        call_str("urlJoin", &[d]),
        "proto://host:80/path?query#fragment"
    );
    let d = dict(&[
        ("fragment", "fragment"),
        ("host", "host:80"),
        ("path", "/path"),
        ("scheme", "proto"),
        ("userinfo", "ASDJKJSD"),
    ]);
    assert_eq!(
        call_str("urlJoin", &[d]),
        "proto://ASDJKJSD@host:80/path#fragment"
    );
    let d = dict(&[
        ("scheme", "https"),
        ("host", "h"),
        ("path", "/a b/é"),
        ("fragment", "x y"),
    ]);
    assert_eq!(call_str("urlJoin", &[d]), "https://h/a%20b/%C3%A9#x%20y");
    let bad = Value::map([("path".to_string(), Value::int(1))].into_iter().collect());
    assert_eq!(
        call("urlJoin", &[bad]).unwrap_err().to_string(),
        "unable to parse path key, must be of type string, but int found"
    );
    let bad = dict(&[("userinfo", "a b")]);
    assert!(call("urlJoin", &[bad])
        .unwrap_err()
        .to_string()
        .starts_with("unable to parse userinfo in dict: "));
    assert_eq!(
        parsed("proto://auth@host:80/path?query#fragment").type_name(),
        "map[string]interface {}"
    );
}
