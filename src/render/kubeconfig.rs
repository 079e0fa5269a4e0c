//! kubeconfig (v1, `kind: Config`) documents, serialised with serde so quoting is always right.
//!
//! serde_yaml's emitter examines every character of every scalar (about 230,000 instructions
//! for one proxy kubeconfig with its inline CA and token, half a publish's CPU). When every
//! value is a string serde_yaml writes plain (unquoted) anyway (the usual case: URLs, base64,
//! Kubernetes names), the same bytes are written directly; otherwise serde_yaml writes them.
//! Tests compare both on the same documents.

use serde::Serialize;

/// The user token written into proxy kubeconfigs. The connectors proxy replaces the
/// `Authorization` header with the Connector's real credential, so this value is never used to
/// authenticate; it only makes clients send a bearer header the proxy can overwrite.
pub const PLACEHOLDER_USER_TOKEN: &str = "connectors-proxy-injects-credential";

#[derive(Serialize)]
struct Kubeconfig<'a> {
    #[serde(rename = "apiVersion")]
    api_version: &'static str,
    kind: &'static str,
    clusters: Vec<Named<'a, Cluster<'a>>>,
    contexts: Vec<Named<'a, ContextSpec<'a>>>,
    #[serde(rename = "current-context")]
    current_context: &'a str,
    users: Vec<Named<'a, User<'a>>>,
    preferences: Empty,
}

#[derive(Serialize)]
struct Empty {}

#[derive(Serialize)]
struct Named<'a, T> {
    name: &'a str,
    #[serde(flatten)]
    item: T,
}

#[derive(Serialize)]
struct Cluster<'a> {
    cluster: ClusterSpec<'a>,
}

#[derive(Serialize)]
struct ClusterSpec<'a> {
    server: &'a str,
    #[serde(rename = "proxy-url", skip_serializing_if = "Option::is_none")]
    proxy_url: Option<&'a str>,
    #[serde(
        rename = "certificate-authority-data",
        skip_serializing_if = "Option::is_none"
    )]
    certificate_authority_data: Option<String>,
    #[serde(
        rename = "certificate-authority",
        skip_serializing_if = "Option::is_none"
    )]
    certificate_authority: Option<&'a str>,
}

#[derive(Serialize)]
struct ContextSpec<'a> {
    context: ContextInner<'a>,
}

#[derive(Serialize)]
struct ContextInner<'a> {
    cluster: &'a str,
    user: &'a str,
}

#[derive(Serialize)]
struct User<'a> {
    user: UserSpec<'a>,
}

#[derive(Serialize)]
struct UserSpec<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<&'a str>,
    #[serde(rename = "tokenFile", skip_serializing_if = "Option::is_none")]
    token_file: Option<&'a str>,
}

/// How the cluster is trusted and the user authenticates.
pub(crate) enum Access<'a> {
    /// Through the forward proxy: `proxy-url`, inline proxy CA, placeholder bearer token.
    Proxy {
        proxy_url: &'a str,
        ca_pem: Option<&'a str>,
    },
    /// A token file and CA file next to the kubeconfig (relative paths, which client-go
    /// resolves against the kubeconfig's directory).
    Files {
        token_file: &'a str,
        ca_file: Option<&'a str>,
    },
}

/// One cluster, context and user, all called `name`, selected as the current context.
pub(crate) fn build(name: &str, server: &str, access: Access<'_>) -> Vec<u8> {
    let doc = build_doc(name, server, access);
    match plain(&doc) {
        Some(bytes) => bytes,
        None => with_serde_yaml(&doc),
    }
}

fn build_doc<'a>(name: &'a str, server: &'a str, access: Access<'a>) -> Kubeconfig<'a> {
    use base64::Engine as _;
    let (cluster, user) = match access {
        Access::Proxy { proxy_url, ca_pem } => (
            ClusterSpec {
                server,
                proxy_url: Some(proxy_url),
                certificate_authority_data: ca_pem
                    .map(|p| base64::engine::general_purpose::STANDARD.encode(p.as_bytes())),
                certificate_authority: None,
            },
            UserSpec {
                token: Some(PLACEHOLDER_USER_TOKEN),
                token_file: None,
            },
        ),
        Access::Files {
            token_file,
            ca_file,
        } => (
            ClusterSpec {
                server,
                proxy_url: None,
                certificate_authority_data: None,
                certificate_authority: ca_file,
            },
            UserSpec {
                token: None,
                token_file: Some(token_file),
            },
        ),
    };
    Kubeconfig {
        api_version: "v1",
        kind: "Config",
        clusters: vec![Named {
            name,
            item: Cluster { cluster },
        }],
        contexts: vec![Named {
            name,
            item: ContextSpec {
                context: ContextInner {
                    cluster: name,
                    user: name,
                },
            },
        }],
        current_context: name,
        users: vec![Named {
            name,
            item: User { user },
        }],
        preferences: Empty {},
    }
}

fn with_serde_yaml(doc: &Kubeconfig<'_>) -> Vec<u8> {
    serde_yaml::to_string(doc)
        .expect("a kubeconfig of plain strings always serialises")
        .into_bytes()
}

/// Would serde_yaml write `s` as a plain scalar, exactly as it is? A conservative test: an
/// ASCII letter first (no indicator, number, `.inf`), then letters, digits and `+/=:._-%@` (no
/// space, no quote, no flow indicator, no `#`), no `:` last (a mapping indicator), and not a
/// word YAML reads as a boolean or null. Anything else goes through serde_yaml.
fn plain_scalar(s: &str) -> bool {
    /// The bytes [`plain_scalar`] allows after the first.
    const PLAIN: [bool; 256] = {
        let mut t = [false; 256];
        let mut c = 0;
        while c < 256 {
            let b = c as u8;
            t[c] = b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'+' | b'/' | b'=' | b':' | b'.' | b'_' | b'-' | b'%' | b'@'
                );
            c += 1;
        }
        t
    };
    let b = s.as_bytes();
    b.first().is_some_and(u8::is_ascii_alphabetic)
        && b.iter().all(|&c| PLAIN[c as usize])
        && b.last() != Some(&b':')
        && !["true", "false", "null", "yes", "no", "on", "off", "y", "n"]
            .iter()
            .any(|w| s.eq_ignore_ascii_case(w))
}

/// The document as serde_yaml writes it, when every scalar is [`plain_scalar`].
fn plain(doc: &Kubeconfig<'_>) -> Option<Vec<u8>> {
    let [cluster] = doc.clusters.as_slice() else {
        return None;
    };
    let [context] = doc.contexts.as_slice() else {
        return None;
    };
    let [user] = doc.users.as_slice() else {
        return None;
    };
    let c = &cluster.item.cluster;
    let ctx = &context.item.context;
    let u = &user.item.user;
    let mut scalars = vec![
        doc.api_version,
        doc.kind,
        cluster.name,
        c.server,
        context.name,
        ctx.cluster,
        ctx.user,
        doc.current_context,
        user.name,
    ];
    scalars.extend(c.proxy_url);
    scalars.extend(c.certificate_authority_data.as_deref());
    scalars.extend(c.certificate_authority);
    scalars.extend(u.token);
    scalars.extend(u.token_file);
    if !scalars.iter().all(|s| plain_scalar(s)) {
        return None;
    }
    let mut out = String::with_capacity(256 + scalars.iter().map(|s| s.len()).sum::<usize>());
    fn line(out: &mut String, indent: &str, key: &str, value: &str) {
        out.push_str(indent);
        out.push_str(key);
        out.push_str(": ");
        out.push_str(value);
        out.push('\n');
    }
    line(&mut out, "", "apiVersion", doc.api_version);
    line(&mut out, "", "kind", doc.kind);
    line(&mut out, "", "clusters:\n- name", cluster.name);
    line(&mut out, "  ", "cluster:\n    server", c.server);
    if let Some(v) = c.proxy_url {
        line(&mut out, "    ", "proxy-url", v);
    }
    if let Some(v) = &c.certificate_authority_data {
        line(&mut out, "    ", "certificate-authority-data", v);
    }
    if let Some(v) = c.certificate_authority {
        line(&mut out, "    ", "certificate-authority", v);
    }
    line(&mut out, "", "contexts:\n- name", context.name);
    line(&mut out, "  ", "context:\n    cluster", ctx.cluster);
    line(&mut out, "    ", "user", ctx.user);
    line(&mut out, "", "current-context", doc.current_context);
    line(&mut out, "", "users:\n- name", user.name);
    match (u.token, u.token_file) {
        (None, None) => out.push_str("  user: {}\n"),
        (token, token_file) => {
            out.push_str("  user:\n");
            if let Some(v) = token {
                line(&mut out, "    ", "token", v);
            }
            if let Some(v) = token_file {
                line(&mut out, "    ", "tokenFile", v);
            }
        }
    }
    out.push_str("preferences: {}\n");
    Some(out.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both ways of writing, for the documents `build` makes from these values.
    fn both(
        name: &str,
        server: &str,
        access: fn(&str) -> Access<'_>,
        v: &str,
    ) -> (Vec<u8>, Vec<u8>) {
        let fast = build(name, server, access(v));
        let doc_bytes = {
            // The same document through serde_yaml.
            let d = build_doc(name, server, access(v));
            with_serde_yaml(&d)
        };
        (fast, doc_bytes)
    }

    #[test]
    fn the_direct_writer_matches_serde_yaml_byte_for_byte() {
        let accesses: [fn(&str) -> Access<'_>; 4] = [
            |v| Access::Proxy {
                proxy_url: v,
                ca_pem: None,
            },
            |v| Access::Proxy {
                proxy_url: v,
                ca_pem: Some("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"),
            },
            |v| Access::Files {
                token_file: v,
                ca_file: None,
            },
            |v| Access::Files {
                token_file: v,
                ca_file: Some("ca.crt"),
            },
        ];
        // Values the kubeconfig really holds, and ones serde_yaml must quote (the direct writer
        // must then step aside).
        let mut values: Vec<String> = [
            "http://team%2Fk8s-a:eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln@c-k8s-a.team.svc:3128",
            "https://api.example.com:6443",
            "context.token",
            "k8s-a",
            "true",
            "True",
            "null",
            "Null",
            "yes",
            "no",
            "on",
            "off",
            "y",
            "n",
            "~",
            "",
            " x",
            "x ",
            "a: b",
            "a #b",
            "a:",
            "1",
            "0x1F",
            "1e3",
            ".inf",
            "-a",
            "@a",
            "%a",
            "a,b",
            "a[b]",
            "a{b}",
            "a'b",
            "a\"b",
            "a\nb",
            "é",
            "a?b",
            "a&b",
            "*a",
            "!a",
            "|a",
            ">a",
            "a/b=c+d",
            "nan",
            "inf",
            "infinity",
            "e1",
            "Yes",
            "OFF",
            "a:b:",
            "a:/b",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // And random strings over the characters the direct writer accepts, and a few more
        // (mostly after a letter, which the direct writer needs first).
        let first = b"aZynTN0.-@";
        let alphabet = b"aZyn09+/=:._-%@aZ09:/.-% #'\",[]{}?&*!|>~";
        let mut x: u32 = 12345;
        let mut next = |n: usize| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (x >> 16) as usize % n
        };
        for _ in 0..1500 {
            let len = next(8);
            let mut s = String::new();
            s.push(first[next(first.len())] as char);
            for _ in 0..len {
                s.push(alphabet[next(alphabet.len())] as char);
            }
            values.push(s);
        }
        let mut direct = 0;
        for v in &values {
            for access in accesses {
                for (name, server) in [
                    (v.as_str(), "https://api.example.com:6443"),
                    ("k8s-a", v.as_str()),
                ] {
                    let (fast, reference) = both(name, server, access, v);
                    assert_eq!(
                        String::from_utf8_lossy(&fast),
                        String::from_utf8_lossy(&reference),
                        "value {v:?}"
                    );
                }
            }
            direct += usize::from(plain_scalar(v));
        }
        assert!(
            direct > 150,
            "the direct writer was exercised ({direct} values)"
        );
    }
}
