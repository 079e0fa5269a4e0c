//! The built-in files every volume gets (`.env`, `http.proxy`, `https.proxy`, `context.token`,
//! the proxy CA under three names, `connector.status.proxyAddress`) and the forward-proxy URL
//! they carry; a connector whose class has no proxy gets no proxy files.

use super::{RenderError, RenderSecrets, ResolvedConnector};

/// `no_proxy` written into the built-in `.env`: loopback only, as Alauda's docs show it
/// (`connectors/concepts/connectors_proxy.mdx`). In-cluster tools (a Nexus at `*.svc`) are
/// reached through the forward proxy too, which is what injects their credentials.
pub const NO_PROXY: &str = "localhost,127.0.0.1";

/// Built-in files whose content is the forward proxy's address; a connector whose class has no
/// proxy gets none of them (`.env` then holds only a comment saying so).
pub const PROXY_FILES: &[&str] = &[
    ".env",
    "http.proxy",
    "https.proxy",
    "connector.status.proxyAddress",
];

/// Files written for every volume unless excluded with `!<file>` or replaced by a configuration.
pub const BUILTIN_FILES: &[&str] = &[
    ".env",
    "http.proxy",
    "https.proxy",
    "context.token",
    "context.proxy.caCert",
    "ca.crt",
    CA_CERT_ALIAS,
    "connector.status.proxyAddress",
];

/// The deprecated alias of `ca.crt` that the original driver writes (and Alauda's docs still
/// use, e.g. `keytool -importcert -file <mount>/ca.cert`): always the same bytes as `ca.crt`.
pub const CA_CERT_ALIAS: &str = "ca.cert";

/// The proxy username of a connector: `namespace/name` with `/` percent-encoded (`ns%2Fname`).
/// Characters outside `[A-Za-z0-9._~-]` are percent-encoded too, so the result is always safe
/// in a URL's userinfo.
pub fn proxy_username(ns: &str, name: &str) -> String {
    format!("{}%2F{}", escape_userinfo(ns), escape_userinfo(name))
}

/// Go's `url.QueryEscape` (unreserved bytes stay, everything else `%XX`) with a space as `%20`
/// instead of `+`: a URL's user or password part.
pub(super) fn escape_userinfo(s: &str) -> String {
    escape(s, b"%20")
}

/// Bytes Go's `url.QueryEscape` keeps as they are.
const UNRESERVED: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~');
        c += 1;
    }
    t
};

/// Percent-encodes every byte but the unreserved ones, a space as `space` (`+` is Go's
/// `url.QueryEscape`). Runs of unreserved bytes (all of a JWT) are copied whole.
pub(super) fn escape(s: &str, space: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut run = 0;
    for (i, &c) in b.iter().enumerate() {
        if UNRESERVED[c as usize] {
            continue;
        }
        out.extend_from_slice(&b[run..i]);
        if c == b' ' {
            out.extend_from_slice(space);
        } else {
            out.extend_from_slice(&[b'%', HEX[(c >> 4) as usize], HEX[(c & 15) as usize]]);
        }
        run = i + 1;
    }
    out.extend_from_slice(&b[run..]);
    String::from_utf8(out).expect("percent-encoding writes ASCII only")
}

/// `scheme://host[:port]` of a connector's proxy address (no path: the forward proxy is
/// addressed by host only).
fn proxy_origin(rc: &ResolvedConnector) -> Result<(String, String), RenderError> {
    let raw = rc
        .connector
        .proxy_url()
        .ok_or_else(|| RenderError::NoProxyAddress {
            connector: rc.key(),
        })?;
    let url = url::Url::parse(raw).map_err(|e| {
        RenderError::Invalid(format!(
            "connector {} has an invalid proxy address {raw:?} in status.proxy.httpAddress.url: {e}",
            rc.key()
        ))
    })?;
    let host = url.host_str().filter(|h| !h.is_empty()).ok_or_else(|| {
        RenderError::Invalid(format!(
            "connector {} proxy address {raw:?} has no host",
            rc.key()
        ))
    })?;
    let hostport = match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    };
    Ok((url.scheme().to_string(), hostport))
}

/// The forward-proxy URL with embedded credentials:
/// `<scheme>://<ns1>%2F<name1>[,<ns2>%2F<name2>…]:<token>@<host[:port]>`, where scheme and
/// host come from the last connector's `status.proxy.httpAddress.url`.
pub fn forward_proxy_url(
    connectors: &[ResolvedConnector],
    token: &str,
) -> Result<String, RenderError> {
    let last = connectors
        .last()
        .ok_or_else(|| RenderError::Invalid("no connector to build a proxy URL for".into()))?;
    if token.is_empty() {
        return Err(RenderError::Invalid(
            "the proxy token is empty; a ServiceAccount token is required".into(),
        ));
    }
    let (scheme, hostport) = proxy_origin(last)?;
    let users = connectors
        .iter()
        .map(|rc| proxy_username(&rc.namespace(), &rc.name()))
        .collect::<Vec<_>>()
        .join(",");
    let password = escape_userinfo(token);
    Ok(format!("{scheme}://{users}:{password}@{hostport}"))
}

/// Content of a built-in file; `None` when there is nothing to write (no proxy CA known).
///
/// `proxy_url` caches the forward-proxy URL across the files of one render (`.env`,
/// `http.proxy` and `https.proxy` hold the same one, built from the whole token).
pub(super) fn builtin_file(
    name: &str,
    connectors: &[ResolvedConnector],
    secrets: &RenderSecrets<'_>,
    proxy_url: &mut Option<String>,
) -> Result<Option<Vec<u8>>, RenderError> {
    let mut url = || -> Result<String, RenderError> {
        if proxy_url.is_none() {
            *proxy_url = Some(forward_proxy_url(connectors, secrets.token)?);
        }
        Ok(proxy_url.clone().expect("set above"))
    };
    let last = connectors
        .last()
        .expect("render checked connectors is non-empty");
    if PROXY_FILES.contains(&name) && has_no_proxy(last) {
        return Ok((name == ".env").then(|| {
            format!(
                "# connector {} has no proxy (its ConnectorClass {:?} sets no spec.proxy): no proxy settings\n",
                last.key(),
                last.class_name()
            )
            .into_bytes()
        }));
    }
    let bytes = match name {
        ".env" => {
            let url = url()?;
            format!("http_proxy={url}\nhttps_proxy={url}\nno_proxy={NO_PROXY}\n").into_bytes()
        }
        "http.proxy" | "https.proxy" => url()?.into_bytes(),
        "context.token" => {
            if secrets.token.is_empty() {
                return Err(RenderError::Invalid(
                    "the proxy token is empty; a ServiceAccount token is required".into(),
                ));
            }
            secrets.token.as_bytes().to_vec()
        }
        "context.proxy.caCert" | "ca.crt" | CA_CERT_ALIAS => match last.proxy_ca.as_deref() {
            Some(pem) if !pem.trim().is_empty() => pem.as_bytes().to_vec(),
            _ => return Ok(None),
        },
        "connector.status.proxyAddress" => last
            .connector
            .proxy_url()
            .ok_or_else(|| RenderError::NoProxyAddress {
                connector: last.key(),
            })?
            .as_bytes()
            .to_vec(),
        other => unreachable!("{other} is not a built-in file"),
    };
    Ok(Some(bytes))
}

/// A connector served by no proxy at all: it has no proxy address and its class declares no
/// `spec.proxy` (the class's `ProxyReady` condition then says `NonProxy`: "the current
/// ConnectorClass has no Proxy capability", docs `connectors/concepts/connectorclass.mdx`). A
/// connector whose class has a proxy but whose address is not set yet is waited for instead.
pub fn has_no_proxy(rc: &ResolvedConnector) -> bool {
    rc.connector.proxy_url().is_none()
        && rc.class.spec.proxy.is_none()
        && rc
            .class
            .status
            .as_ref()
            .and_then(|s| s.proxy.as_ref())
            .and_then(|p| p.http_address.as_ref())
            .and_then(|a| a.url.as_deref())
            .is_none_or(str::is_empty)
}
