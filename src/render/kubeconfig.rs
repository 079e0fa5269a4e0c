//! kubeconfig (v1, `kind: Config`) documents, serialised with serde so quoting is always right.

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
    let doc = Kubeconfig {
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
    };
    serde_yaml::to_string(&doc)
        .expect("a kubeconfig of plain strings always serialises")
        .into_bytes()
}
