//! "Direct" tokens (the tokenFile mode of NVIDIA DPF's `DPUServiceCredentialRequest`): a
//! ServiceAccount token minted on the Connector's *target* cluster with the Connector's own
//! bearer credential, instead of a proxy token of the pod's local ServiceAccount.
//!
//! The request mirrors DPF: `create serviceaccounts/token` for the named ServiceAccount with
//! `expirationSeconds` set, no audiences (the target API server's defaults) and no bound object
//! (nothing on the target cluster to bind to).

use std::time::Duration;

use base64::Engine;
use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestSpec};
use k8s_openapi::api::core::v1::{Secret, ServiceAccount};
use kube::api::{Api, PostParams};
use kube::ResourceExt;
use serde_json::json;

use super::{Token, MIN_EXPIRATION};
use crate::connector::types::{secret_value, Connector};
use crate::connector::{ObjectKey, SourceError};

/// Secret type of the bearer-token credential of `k8s` Connectors.
pub const BEARER_TOKEN_SECRET_TYPE: &str = "connectors.cpaas.io/bearer-token";

/// Bound on the whole exchange with the target cluster.
const DIRECT_TIMEOUT: Duration = Duration::from_secs(15);

/// Mints a token for `service_account` on the cluster `connector.spec.address` points at (a path
/// prefix is kept), authenticating with the Connector's bearer token (`secret` key `token`) and
/// trusting `ca_pem` when given (the system roots otherwise).
pub async fn mint_direct(
    connector: &Connector,
    secret: &Secret,
    ca_pem: Option<&str>,
    service_account: &ObjectKey,
    duration: Duration,
) -> Result<Token, SourceError> {
    let who = format!(
        "connector {}/{}",
        connector.namespace().unwrap_or_default(),
        connector.name_any()
    );
    let sa = service_account.to_string();
    if service_account.namespace.is_empty() || service_account.name.is_empty() {
        return Err(SourceError::Invalid(format!(
            "{who}: the direct token mode needs a ServiceAccount as <namespace>/<name>, got {sa:?}"
        )));
    }
    if duration < MIN_EXPIRATION {
        return Err(SourceError::Invalid(format!(
            "{who}: token lifetime {duration:?} for ServiceAccount {sa} is shorter than the 10m minimum of the TokenRequest API"
        )));
    }
    let address = connector.spec.address.trim();
    let url = url::Url::parse(address).map_err(|e| {
        SourceError::Invalid(format!(
            "{who}: spec.address {address:?} is not a URL ({e}); the direct token mode needs the target API server's https:// address"
        ))
    })?;
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
        return Err(SourceError::Invalid(format!(
            "{who}: spec.address {address:?} must be an http(s) URL of the target API server"
        )));
    }
    let secret_name = format!(
        "{}/{}",
        secret.namespace().unwrap_or_default(),
        secret.name_any()
    );
    if let Some(t) = secret.type_.as_deref() {
        if t != BEARER_TOKEN_SECRET_TYPE && t != "Opaque" {
            return Err(SourceError::Invalid(format!(
                "{who}: secret {secret_name} has type {t:?}; the direct token mode needs a {BEARER_TOKEN_SECRET_TYPE} secret with key \"token\""
            )));
        }
    }
    let token = secret_value(secret, "token")
        .and_then(|b| String::from_utf8(b).ok())
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            SourceError::Invalid(format!(
                "{who}: secret {secret_name} has no non-empty UTF-8 key \"token\" (a {BEARER_TOKEN_SECRET_TYPE} secret is expected)"
            ))
        })?;

    let mut cluster = json!({"server": address});
    if let Some(pem) = ca_pem.map(str::trim).filter(|p| !p.is_empty()) {
        cluster["certificate-authority-data"] =
            json!(base64::engine::general_purpose::STANDARD.encode(pem));
    }
    let kubeconfig: kube::config::Kubeconfig = serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "target", "cluster": cluster}],
        "users": [{"name": "connector", "user": {"token": token}}],
        "contexts": [{"name": "target", "context": {"cluster": "target", "user": "connector"}}],
        "current-context": "target",
    }))
    .map_err(|_| SourceError::Invalid(format!("{who}: cannot build a client configuration")))?;
    drop(token);
    let config = kube::Config::from_custom_kubeconfig(
        kubeconfig,
        &kube::config::KubeConfigOptions::default(),
    )
    .await
    .map_err(|e| {
        SourceError::Invalid(format!(
            "{who}: cannot configure a client for {address}: {e} (check the CA certificate)"
        ))
    })?;
    let client = kube::Client::try_from(config).map_err(|e| {
        SourceError::Invalid(format!("{who}: cannot build a client for {address}: {e}"))
    })?;

    let request = TokenRequest {
        spec: TokenRequestSpec {
            audiences: Vec::new(),
            expiration_seconds: Some(duration.as_secs() as i64),
            bound_object_ref: None,
        },
        ..Default::default()
    };
    let api = Api::<ServiceAccount>::namespaced(client, &service_account.namespace);
    let issued_at = jiff::Timestamp::now();
    let created: TokenRequest = match tokio::time::timeout(
        DIRECT_TIMEOUT,
        api.create_subresource(
            "token",
            &service_account.name,
            &PostParams::default(),
            &request,
        ),
    )
    .await
    {
        Ok(Ok(r)) => r,
        Ok(Err(kube::Error::Api(s))) => {
            return Err(match s.code {
                401 => SourceError::PermissionDenied(format!(
                    "the API server of {who} at {address} rejected the connector's credential (401 Unauthorized) while minting a token for ServiceAccount {sa}; update secret {secret_name}"
                )),
                403 => SourceError::PermissionDenied(format!(
                    "the credential of {who} may not create serviceaccounts/token for ServiceAccount {sa} on {address}: {}; grant `create` on `serviceaccounts/token` there",
                    s.message
                )),
                404 => SourceError::NotFound {
                    kind: "serviceaccount",
                    key: format!("{sa} on the cluster of {who}"),
                },
                400 | 422 => SourceError::Invalid(format!(
                    "the API server of {who} rejected the TokenRequest for ServiceAccount {sa}: {}",
                    s.message
                )),
                code => SourceError::Unavailable(format!(
                    "cannot reach the Kubernetes API server of {who} at {address}: TokenRequest for ServiceAccount {sa} failed with HTTP {code} {}: {}",
                    s.reason, s.message
                )),
            })
        }
        Ok(Err(e)) => {
            return Err(SourceError::Unavailable(format!(
                "cannot reach the Kubernetes API server of {who} at {address} to mint a token for ServiceAccount {sa}: {e}"
            )))
        }
        Err(_) => {
            return Err(SourceError::Unavailable(format!(
                "cannot reach the Kubernetes API server of {who} at {address}: TokenRequest for ServiceAccount {sa} timed out after {DIRECT_TIMEOUT:?}"
            )))
        }
    };
    let status = created
        .status
        .filter(|s| !s.token.is_empty())
        .ok_or_else(|| {
            SourceError::Unavailable(format!(
                "the API server of {who} returned no token for ServiceAccount {sa}"
            ))
        })?;
    Ok(Token::new(
        status.token,
        issued_at,
        status.expiration_timestamp.0,
    ))
}
