//! The built-in `tokenfile` configuration: a ServiceAccount-volume-style layout (`token`,
//! `ca.crt`, `namespace`), the DPF-style keys (`TOKEN_FILE`, `KUBERNETES_CA_DATA`,
//! `KUBERNETES_SERVICE_HOST`, `KUBERNETES_SERVICE_PORT`), a `.env` and a kubeconfig that refers to
//! the token and CA files by relative path, so it stays byte-identical across token rotations.

use std::time::Duration;

use super::direct::{direct_grant, is_dns_name};
use super::kubeconfig::{self, Access};
use super::{Layer, RenderError, RenderRequest, RenderSecrets, ResolvedConnector};

/// Name of the configuration.
pub const TOKENFILE: &str = "tokenfile";
/// Parameter selecting the token source: `proxy` (default) or `direct`.
pub const PARAM_MODE: &str = "mode";
/// Direct-mode parameter: the ServiceAccount (`namespace/name`) to mint a token for; it must be
/// in the Connector owner's allowlist (see [`super::direct`]). Implies `mode: direct`.
pub const PARAM_SERVICE_ACCOUNT: &str = "serviceAccount";
/// Direct-mode parameter: lifetime of the minted token (Go duration, ≥ 10m, default 1h, at most
/// the owner's maximum).
pub const PARAM_DURATION: &str = "duration";
/// Default lifetime of a direct-mode token.
pub const DEFAULT_DIRECT_DURATION: Duration = super::direct::DEFAULT_DURATION;
/// Shortest lifetime the API server accepts for a TokenRequest.
pub const MIN_DIRECT_DURATION: Duration = super::direct::MIN_DURATION;

/// The files of the layout, in the order the documentation lists them.
pub const FILES: &[&str] = &[
    "token",
    "ca.crt",
    "namespace",
    "KUBERNETES_SERVICE_HOST",
    "KUBERNETES_SERVICE_PORT",
    "TOKEN_FILE",
    "KUBERNETES_CA_DATA",
    ".env",
    "kubeconfig",
];

/// What a volume's parameters ask of direct mode, before the owner's policy is applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectRequest {
    /// The ServiceAccount named by the pod; `None` means the owner's default.
    pub service_account: Option<(String, String)>,
    /// The lifetime asked for; `None` means the default.
    pub duration: Option<Duration>,
}

/// Whether the volume asks for a direct-mode `tokenfile`, and what it names. `None` when
/// `tokenfile` is not requested or is in proxy mode (no `mode: direct`, no `serviceAccount`).
/// Only the syntax is checked here; [`super::direct::direct_grant`] decides what is allowed.
pub fn tokenfile_direct_request(req: &RenderRequest) -> Result<Option<DirectRequest>, RenderError> {
    if !req.configurations.iter().any(|c| c == TOKENFILE) {
        return Ok(None);
    }
    let Some(params) = req.params.get(TOKENFILE) else {
        return Ok(None);
    };
    let sa = params.get(PARAM_SERVICE_ACCOUNT);
    let direct = match params.get(PARAM_MODE).map(|m| m.trim()) {
        None | Some("") => sa.is_some(),
        Some("direct") => true,
        Some("proxy") => {
            if sa.is_some() {
                return Err(RenderError::Invalid(format!(
                    "configuration.params tokenfile.{PARAM_SERVICE_ACCOUNT} only applies to direct mode, but tokenfile.{PARAM_MODE} is \"proxy\""
                )));
            }
            false
        }
        Some(other) => {
            return Err(RenderError::Invalid(format!(
                "configuration.params tokenfile.{PARAM_MODE} is {other:?}; use \"proxy\" (the default) or \"direct\""
            )))
        }
    };
    if !direct {
        if params.contains_key(PARAM_DURATION) {
            return Err(RenderError::Invalid(format!(
                "configuration.params tokenfile.{PARAM_DURATION} only applies to direct mode; also set tokenfile.{PARAM_MODE} to \"direct\" or tokenfile.{PARAM_SERVICE_ACCOUNT} to \"<namespace>/<name>\""
            )));
        }
        return Ok(None);
    }
    let service_account = match sa {
        None => None,
        Some(sa) => {
            let (ns, name) = sa
                .split_once('/')
                .filter(|(ns, name)| is_dns_name(ns) && is_dns_name(name))
                .ok_or_else(|| {
                    RenderError::Invalid(format!(
                        "configuration.params tokenfile.{PARAM_SERVICE_ACCOUNT} is {sa:?}; it must be \"<namespace>/<name>\" of a ServiceAccount (lowercase DNS names)"
                    ))
                })?;
            Some((ns.to_string(), name.to_string()))
        }
    };
    let duration = match params.get(PARAM_DURATION) {
        None => None,
        Some(d) => {
            let dur = crate::token::parse_go_duration(d).map_err(|_| {
                RenderError::Invalid(format!(
                    "configuration.params tokenfile.{PARAM_DURATION} is {d:?}; use a duration like \"1h\" or \"45m\""
                ))
            })?;
            if dur < MIN_DIRECT_DURATION {
                return Err(RenderError::Invalid(format!(
                    "configuration.params tokenfile.{PARAM_DURATION} is {d:?}; the API server requires at least 10m"
                )));
            }
            Some(dur)
        }
    };
    Ok(Some(DirectRequest {
        service_account,
        duration,
    }))
}

/// `KUBERNETES_SERVICE_HOST`/`PORT` for a server URL: the host without IPv6 brackets (kubelet's
/// convention; client-go's `InClusterConfig` adds them with `net.JoinHostPort`), the explicit port
/// or the scheme's default (443 for https, 80 for http).
pub(crate) fn service_host_port(server: &str) -> Result<(String, u16), String> {
    let url = url::Url::parse(server).map_err(|e| format!("{server:?} is not a URL: {e}"))?;
    let host = match url.host() {
        Some(url::Host::Ipv6(a)) => a.to_string(),
        Some(url::Host::Ipv4(a)) => a.to_string(),
        Some(url::Host::Domain(d)) => d.to_string(),
        None => return Err(format!("{server:?} has no host")),
    };
    let port = url
        .port_or_known_default()
        .ok_or_else(|| format!("{server:?} has no port and its scheme has no default port"))?;
    Ok((host, port))
}

pub(crate) fn render(
    rc: &ResolvedConnector,
    req: &RenderRequest,
    secrets: &RenderSecrets<'_>,
) -> Result<Layer, RenderError> {
    if let Some(params) = req.params.get(TOKENFILE) {
        if let Some(unknown) = params
            .keys()
            .find(|k| ![PARAM_MODE, PARAM_SERVICE_ACCOUNT, PARAM_DURATION].contains(&k.as_str()))
        {
            return Err(RenderError::Invalid(format!(
                "configuration.params tokenfile has unknown parameter {unknown:?}; known: {PARAM_MODE:?}, {PARAM_SERVICE_ACCOUNT:?}, {PARAM_DURATION:?}"
            )));
        }
    }
    let key = rc.key();
    let (server, token, ca, namespace) = match direct_grant(&rc.connector, req)? {
        None => {
            let server = rc
                .connector
                .proxy_url()
                .ok_or_else(|| RenderError::NoProxyAddress {
                    connector: key.clone(),
                })?
                .to_string();
            if req.pod_namespace.is_empty() {
                return Err(RenderError::Invalid(
                    "tokenfile needs the pod namespace for its namespace file, but the request has none".into(),
                ));
            }
            (
                server,
                secrets.token,
                rc.proxy_ca.as_deref(),
                req.pod_namespace.clone(),
            )
        }
        Some(grant) => {
            let server = rc.connector.spec.address.trim().to_string();
            if server.is_empty() {
                return Err(RenderError::Invalid(format!(
                    "connector {key} has no spec.address, which tokenfile direct mode uses as the API server"
                )));
            }
            let token = secrets.direct_token.filter(|t| !t.is_empty()).ok_or_else(|| {
                RenderError::Invalid(format!(
                    "tokenfile direct mode needs a token for ServiceAccount {} from connector {key}, but the driver could not mint one; check that the ServiceAccount exists and the connector's credential may create serviceaccounts/token",
                    grant.service_account()
                ))
            })?;
            (server, token, rc.target_ca.as_deref(), grant.namespace)
        }
    };
    if token.is_empty() {
        return Err(RenderError::Invalid(
            "tokenfile needs a non-empty token".into(),
        ));
    }
    let (host, port) = service_host_port(&server).map_err(|e| {
        RenderError::Invalid(format!(
            "tokenfile for connector {key}: cannot derive KUBERNETES_SERVICE_HOST/PORT: {e}"
        ))
    })?;
    let ca = ca.filter(|c| !c.trim().is_empty());
    let kubeconfig = kubeconfig::build(
        &rc.name(),
        &server,
        Access::Files {
            token_file: "token",
            ca_file: ca.map(|_| "ca.crt"),
        },
    );
    let ca_bytes = ca.map(|c| c.as_bytes().to_vec());
    let mut layer = Layer::new();
    layer.insert("token".into(), Some(token.as_bytes().to_vec()));
    layer.insert("TOKEN_FILE".into(), Some(token.as_bytes().to_vec()));
    // Without a CA the files are removed, so a proxy CA from the built-ins does not linger
    // under a name clients would trust for this server.
    layer.insert("ca.crt".into(), ca_bytes.clone());
    layer.insert("KUBERNETES_CA_DATA".into(), ca_bytes);
    layer.insert("namespace".into(), Some(namespace.into_bytes()));
    layer.insert(
        "KUBERNETES_SERVICE_HOST".into(),
        Some(host.clone().into_bytes()),
    );
    layer.insert(
        "KUBERNETES_SERVICE_PORT".into(),
        Some(port.to_string().into_bytes()),
    );
    layer.insert(
        ".env".into(),
        Some(
            format!("KUBERNETES_SERVICE_HOST={host}\nKUBERNETES_SERVICE_PORT={port}\n")
                .into_bytes(),
        ),
    );
    layer.insert("kubeconfig".into(), Some(kubeconfig));
    Ok(layer)
}
