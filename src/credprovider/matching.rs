//! Kubelet's image-pattern matching, as used for `matchImages` and for the keys of a
//! `CredentialProviderResponse.auth` map.
//!
//! The rules (kubelet `pkg/credentialprovider/keyring.go`, `URLsMatchStr`, and the kubelet
//! credential-provider task page):
//!
//! * a pattern is `host[:port][/path]` without a scheme;
//! * globs are allowed only in the host; the host is split at `.` and every label is matched
//!   with Go's `filepath.Match` syntax (`*`, `?`, `[a-z]`, `[^x]`, `\` escapes), so a `*` covers
//!   exactly one DNS label (`*.io` does not match `k8s.k8s.io`) and partial labels work
//!   (`app*.k8s.io`);
//! * both hosts must have the same number of labels;
//! * the ports must be equal. Kubelet compares them as strings, so a pattern without a port only
//!   matches images without a port (`registry.io` does not match `registry.io:5000/app`);
//! * the pattern's path must be a string prefix of the image's path. Kubelet uses a plain string
//!   prefix, so `registry.io/team` also matches `registry.io/teamb/app`; this module keeps that
//!   behaviour so the plugin never disagrees with the kubelet about which key applies.
//!
//! Host comparison is case-sensitive, like the kubelet's.

use std::fmt;

/// A pattern or image that could not be parsed (the kubelet treats these as "no match").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchError(String);

impl fmt::Display for MatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for MatchError {}

/// `host[:port][/path]` split the way kubelet's `parseSchemelessURL` + `splitURL` do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemelessUrl<'a> {
    /// Host as written (a bracketed IPv6 literal keeps its brackets).
    pub host: &'a str,
    /// Port as written, empty when absent.
    pub port: &'a str,
    /// Path including its leading `/`, empty when absent.
    pub path: &'a str,
}

impl<'a> SchemelessUrl<'a> {
    /// Parses `host[:port][/path]`. Like Go's `url.Parse`, the authority ends at the first `/`,
    /// `?` or `#` and the path at the first `?` or `#`; user info before an `@` is dropped.
    pub fn parse(s: &'a str) -> Result<Self, MatchError> {
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(MatchError(
                "contains whitespace or control characters".into(),
            ));
        }
        let end_of_authority = s.find(['/', '?', '#']).unwrap_or(s.len());
        let mut authority = &s[..end_of_authority];
        let rest = &s[end_of_authority..];
        let path = match rest.find(['?', '#']) {
            Some(i) => &rest[..i],
            None => rest,
        };
        if let Some(at) = authority.rfind('@') {
            authority = &authority[at + 1..];
        }
        let (host, port) = split_host_port(authority)?;
        if host.is_empty() {
            return Err(MatchError("has no host".into()));
        }
        Ok(SchemelessUrl { host, port, path })
    }

    /// The host labels.
    pub fn labels(&self) -> Vec<&'a str> {
        if let Some(inner) = self
            .host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
        {
            // net.SplitHostPort drops the brackets; the address is a single "label".
            vec![inner]
        } else {
            self.host.split('.').collect()
        }
    }

    /// `host[:port]`.
    pub fn registry(&self) -> String {
        if self.port.is_empty() {
            self.host.to_string()
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

fn split_host_port(authority: &str) -> Result<(&str, &str), MatchError> {
    if authority.starts_with('[') {
        let Some(close) = authority.find(']') else {
            return Err(MatchError("has an unterminated IPv6 literal".into()));
        };
        let host = &authority[..=close];
        let after = &authority[close + 1..];
        return match after.strip_prefix(':') {
            None if after.is_empty() => Ok((host, "")),
            None => Err(MatchError("has characters after the IPv6 literal".into())),
            Some(port) => Ok((host, check_port(port)?)),
        };
    }
    match authority.rsplit_once(':') {
        None => Ok((authority, "")),
        Some((host, _)) if host.contains(':') => Err(MatchError(
            "has more than one ':' in its host (IPv6 addresses need brackets)".into(),
        )),
        Some((host, port)) => Ok((host, check_port(port)?)),
    }
}

fn check_port(port: &str) -> Result<&str, MatchError> {
    if port.bytes().all(|b| b.is_ascii_digit()) {
        Ok(port)
    } else {
        Err(MatchError(
            "has a port that is not a number (globs are not allowed in ports)".into(),
        ))
    }
}

/// Whether `image` matches the pattern `glob` under the kubelet's rules (see the module docs).
pub fn urls_match(glob: &str, image: &str) -> Result<bool, MatchError> {
    let g = SchemelessUrl::parse(glob).map_err(|e| MatchError(format!("pattern {e}")))?;
    let t = SchemelessUrl::parse(image).map_err(|e| MatchError(format!("image {e}")))?;
    Ok(registry_parts_match(&g, &t)? && t.path.starts_with(g.path))
}

/// Whether `image` is served by the registry (`host[:port]`, globs allowed) of the pattern
/// `glob`, ignoring the pattern's path: the set of images a `Registry` cache entry covers.
pub fn same_registry(glob: &str, image: &str) -> Result<bool, MatchError> {
    let g = SchemelessUrl::parse(glob).map_err(|e| MatchError(format!("pattern {e}")))?;
    let t = SchemelessUrl::parse(image).map_err(|e| MatchError(format!("image {e}")))?;
    registry_parts_match(&g, &t)
}

fn registry_parts_match(g: &SchemelessUrl<'_>, t: &SchemelessUrl<'_>) -> Result<bool, MatchError> {
    if g.port != t.port {
        return Ok(false);
    }
    let (gl, tl) = (g.labels(), t.labels());
    if gl.len() != tl.len() {
        return Ok(false);
    }
    for (p, l) in gl.iter().zip(tl.iter()) {
        if !label_match(p, l)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// One element of a compiled `filepath.Match` pattern.
#[derive(Debug)]
enum Tok {
    Star,
    Any,
    Lit(char),
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

fn compile(pattern: &str) -> Result<Vec<Tok>, MatchError> {
    let bad = || MatchError(format!("pattern label {pattern:?} is not a valid glob"));
    let mut out = Vec::new();
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' => out.push(Tok::Star),
            '?' => out.push(Tok::Any),
            '\\' => out.push(Tok::Lit(chars.next().ok_or_else(bad)?)),
            '[' => {
                let negated = chars.next_if_eq(&'^').is_some();
                let mut ranges = Vec::new();
                loop {
                    match chars.peek() {
                        None => return Err(bad()),
                        Some(']') if !ranges.is_empty() => {
                            chars.next();
                            break;
                        }
                        _ => {}
                    }
                    let lo = class_char(&mut chars).ok_or_else(bad)?;
                    let hi = if chars.next_if_eq(&'-').is_some() {
                        class_char(&mut chars).ok_or_else(bad)?
                    } else {
                        lo
                    };
                    if hi < lo {
                        return Err(bad());
                    }
                    ranges.push((lo, hi));
                }
                out.push(Tok::Class { negated, ranges });
            }
            c => out.push(Tok::Lit(c)),
        }
    }
    Ok(out)
}

/// A character inside `[...]`: `-` and `]` must be escaped, `\x` means `x`.
fn class_char(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<char> {
    match chars.next()? {
        '-' | ']' => None,
        '\\' => chars.next(),
        c => Some(c),
    }
}

/// Go `filepath.Match` for one host label (labels never contain a path separator).
pub fn label_match(pattern: &str, label: &str) -> Result<bool, MatchError> {
    let toks = compile(pattern)?;
    let text: Vec<char> = label.chars().collect();
    // Classic wildcard matching with single-star backtracking.
    let (mut ti, mut pi) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < text.len() {
        let step = match toks.get(pi) {
            Some(Tok::Star) => {
                star = Some((pi, ti));
                pi += 1;
                continue;
            }
            Some(Tok::Any) => true,
            Some(Tok::Lit(c)) => *c == text[ti],
            Some(Tok::Class { negated, ranges }) => {
                let inside = ranges
                    .iter()
                    .any(|(lo, hi)| (*lo..=*hi).contains(&text[ti]));
                inside != *negated
            }
            None => false,
        };
        if step {
            ti += 1;
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return Ok(false);
        }
    }
    Ok(toks[pi..].iter().all(|t| matches!(t, Tok::Star)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (pattern, image, expected) — the kubelet documentation's examples plus the edge cases of
    /// `URLsMatchStr`.
    const TABLE: &[(&str, &str, bool)] = &[
        // `*.k8s.io` needs exactly one extra label.
        ("*.k8s.io", "k8s.io", false),
        ("*.k8s.io", "abc.k8s.io", true),
        ("*.k8s.io", "abc.def.k8s.io", false),
        // `*.*.k8s.io`: two labels.
        ("*.*.k8s.io", "abc.k8s.io", false),
        ("*.*.k8s.io", "abc.def.k8s.io", true),
        ("*.*.registry.io", "foo.bar.registry.io/team/app", true),
        // Globs in the middle and in the top-level domain.
        ("k8s.*.io", "k8s.abc.io", true),
        ("k8s.*.io", "k8s.abc.def.io", false),
        ("k8s.*", "k8s.io", true),
        ("k8s.*", "k8s.io/app", true),
        ("*.io", "k8s.io", true),
        ("*.io", "abc.k8s.io", false),
        // Partial-label globs.
        ("app*.k8s.io", "app1.k8s.io", true),
        ("app*.k8s.io", "app.k8s.io", true),
        ("app*.k8s.io", "api.k8s.io", false),
        // `?` cannot be used: like Go's url.Parse, it starts the query, so the host is `a`.
        ("a?p.k8s.io", "app.k8s.io", false),
        ("a?p.k8s.io", "a/x", true),
        ("x[a-c]p.k8s.io", "xbp.k8s.io", true),
        ("x[^a-c]p.k8s.io", "xbp.k8s.io", false),
        // Documented cloud examples.
        (
            "*.dkr.ecr.*.amazonaws.com",
            "123456789.dkr.ecr.us-east-1.amazonaws.com/app",
            true,
        ),
        (
            "*.dkr.ecr.*.amazonaws.com",
            "123456789.dkr.ecr.us-east-1.amazonaws.cn/app",
            false,
        ),
        (
            "123456789.dkr.ecr.us-east-1.amazonaws.com",
            "123456789.dkr.ecr.us-east-1.amazonaws.com/app",
            true,
        ),
        ("*.azurecr.io", "myreg.azurecr.io/app", true),
        ("gcr.io", "gcr.io/project/image", true),
        ("gcr.io", "eu.gcr.io/project/image", false),
        // Ports: equal when the pattern has one, and kubelet also requires "no port" to equal "no port".
        ("registry.io:8080/path", "registry.io:8080/path/image", true),
        (
            "registry.io:8080/path",
            "registry.io:8081/path/image",
            false,
        ),
        ("registry.io:8080/path", "registry.io/path/image", false),
        ("registry.io", "registry.io:8080/image", false),
        ("*.registry.io:5000", "a.registry.io:5000/x", true),
        // Paths: the pattern's path is a string prefix of the image's path.
        ("registry.io/team", "registry.io/team/app", true),
        ("registry.io/team", "registry.io/other/app", false),
        ("registry.io/team/app", "registry.io/team", false),
        ("registry.io/team", "registry.io/teamb/app", true),
        ("registry.io/team/", "registry.io/teamb/app", false),
        // Globs are not allowed in paths: a `*` there is a literal.
        ("registry.io/*", "registry.io/team/app", false),
        ("registry.io/*", "registry.io/*/app", true),
        // Case-sensitive, like the kubelet.
        ("Registry.io", "registry.io/app", false),
        // IPv6 literals.
        ("[::1]:5000", "[::1]:5000/app", true),
        ("[::1]:5000", "[::1]/app", false),
    ];

    #[test]
    fn kubelet_matching_table() {
        for (pattern, image, want) in TABLE {
            assert_eq!(
                urls_match(pattern, image),
                Ok(*want),
                "pattern {pattern:?} vs image {image:?}"
            );
        }
    }

    #[test]
    fn invalid_patterns_and_images_are_errors() {
        for (pattern, image) in [
            ("[a.k8s.io", "a.k8s.io"),
            // A leading `[` is an IPv6 literal to Go's url.Parse, so kubelet rejects it too.
            ("[a-c]pp.k8s.io", "bpp.k8s.io"),
            ("x[a.k8s.io", "xa.k8s.io"),
            ("[].k8s.io", "a.k8s.io"),
            ("a\\", "a"),
            ("[z-a].io", "b.io"),
            ("registry.io:*", "registry.io:5000"),
            ("registry.io:abc", "registry.io"),
            ("a:b:c", "a"),
            ("registry.io", "registry.io:http/app"),
            ("", "registry.io"),
            ("registry.io", "registry .io/app"),
        ] {
            assert!(
                urls_match(pattern, image).is_err(),
                "pattern {pattern:?} vs image {image:?} should be rejected"
            );
        }
    }

    #[test]
    fn same_registry_ignores_the_path_but_not_the_port() {
        assert_eq!(
            same_registry("reg.io/team-a", "reg.io/team-b/app"),
            Ok(true)
        );
        assert_eq!(
            same_registry("reg.io:5000/team", "reg.io/team/app"),
            Ok(false)
        );
        assert_eq!(same_registry("*.reg.io", "a.reg.io/x"), Ok(true));
        assert_eq!(same_registry("reg.io", "other.io/x"), Ok(false));
    }

    #[test]
    fn parse_splits_like_go_url_parse() {
        let u = SchemelessUrl::parse("reg.io:5000/a/b?x#y").unwrap();
        assert_eq!((u.host, u.port, u.path), ("reg.io", "5000", "/a/b"));
        assert_eq!(u.registry(), "reg.io:5000");
        let u = SchemelessUrl::parse("user@reg.io/app@sha256:abc").unwrap();
        assert_eq!((u.host, u.port, u.path), ("reg.io", "", "/app@sha256:abc"));
        let u = SchemelessUrl::parse("reg.io:").unwrap();
        assert_eq!((u.host, u.port), ("reg.io", ""));
        assert_eq!(u.labels(), vec!["reg", "io"]);
    }

    #[test]
    fn star_backtracks_within_a_label() {
        assert_eq!(label_match("a*b*c", "aXbYbZc"), Ok(true));
        assert_eq!(label_match("a*b*c", "aXbYbZ"), Ok(false));
        assert_eq!(label_match("*", ""), Ok(true));
        assert_eq!(label_match("\\*", "*"), Ok(true));
        assert_eq!(label_match("\\*", "a"), Ok(false));
        assert_eq!(label_match("[\\]]", "]"), Ok(true));
        assert_eq!(label_match("[a-c]pp", "bpp"), Ok(true));
        assert_eq!(label_match("[^a-c]pp", "bpp"), Ok(false));
        assert_eq!(label_match("[^a-c]pp", "dpp"), Ok(true));
    }
}
