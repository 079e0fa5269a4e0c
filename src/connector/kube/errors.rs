//! Mapping API errors to the connector layer's error kinds, with messages that say what to fix.

use std::time::Duration;

use kube::runtime::watcher;

use crate::connector::source::SourceError;

pub(super) fn map_watch_error(e: watcher::Error, call: ApiCall) -> SourceError {
    match e {
        watcher::Error::InitialListFailed(e)
        | watcher::Error::WatchStartFailed(e)
        | watcher::Error::WatchFailed(e) => map_kube_error(e, &call),
        watcher::Error::WatchError(status) => map_kube_error(kube::Error::Api(status), &call),
        other => SourceError::Unavailable(format!(
            "cannot reach the Kubernetes API server: {} {} ({}) failed: {other}",
            call.verb, call.resource, call.key
        )),
    }
}

/// What the driver was doing, for error messages.
pub(super) struct ApiCall {
    pub(super) verb: &'static str,
    /// `resource[.group]` or `resource/subresource`, as RBAC rules name it.
    pub(super) resource: String,
    pub(super) kind: &'static str,
    pub(super) key: String,
}

/// Maps a kube error to the connector layer's error kinds with a message that says what to fix.
pub(super) fn map_kube_error(e: kube::Error, call: &ApiCall) -> SourceError {
    match e {
        kube::Error::Api(s) => match s.code {
            404 => SourceError::NotFound {
                kind: call.kind,
                key: call.key.clone(),
            },
            403 => SourceError::PermissionDenied(format!(
                "the Kubernetes API server forbids the driver to {} {} ({}): {}; {}",
                call.verb,
                call.resource,
                call.key,
                s.message,
                grant_hint(call)
            )),
            401 => SourceError::Unavailable(format!(
                "the Kubernetes API server rejected the driver's credentials (401 Unauthorized) while trying to {} {}: check the DaemonSet's ServiceAccount token or the --kubeconfig user",
                call.verb, call.resource
            )),
            400 | 422 => SourceError::Invalid(format!(
                "the Kubernetes API server rejected {} {} ({}): {}",
                call.verb, call.resource, call.key, s.message
            )),
            code => SourceError::Unavailable(format!(
                "cannot reach the Kubernetes API server: {} {} ({}) failed with HTTP {code} {}: {}",
                call.verb, call.resource, call.key, s.reason, s.message
            )),
        },
        other => SourceError::Unavailable(format!(
            "cannot reach the Kubernetes API server: {} {} ({}) failed: {}",
            call.verb,
            call.resource,
            call.key,
            error_chain(&other)
        )),
    }
}

/// What to grant, and how, when the driver's identity is forbidden `call`. The base install
/// grants no Secret access and no token minting: those are opt-in, per namespace.
pub(super) fn grant_hint(call: &ApiCall) -> String {
    let ns = call
        .key
        .split_once('/')
        .map(|(ns, _)| ns)
        .unwrap_or_default();
    match call.resource.as_str() {
        "secrets" => format!(
            "reading a Connector's Secrets (tokenfile direct mode, spec.caCertSecretRef) is an opt-in grant of the connectors-csi node plugin, per namespace: enable it for namespace {ns:?} with the kustomize component deploy/components/connector-secrets (one Role + RoleBinding per namespace) or the Helm value connectorSecrets.namespaces; see docs/security.md"
        ),
        "serviceaccounts/token" => format!(
            "minting pod tokens is an opt-in grant of the connectors-csi node plugin: run it with --token-source kubelet (the default install; kubelet hands over the pod's token through the CSIDriver's tokenRequests), or enable minting for namespace {ns:?} with the kustomize component deploy/components/driver-minted-tokens or the Helm value tokenMinting.namespaces; see docs/security.md"
        ),
        "accessrequests.connectors.alauda.io" => format!(
            "Connectors Approval lets the connectors-csi node plugin create, get, list and watch AccessRequests (namespace {ns:?}): apply the kustomize component deploy/components/connectors-approval or set the Helm value approval.connectorsApproval; see docs/approval.md"
        ),
        _ => format!(
            "the connectors-csi DaemonSet's ServiceAccount needs `{}` on `{}` (apply deploy/rbac.yaml)",
            call.verb, call.resource
        ),
    }
}

/// An error and its sources on one line (kube's transport errors hide the cause otherwise).
pub(super) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        let msg = s.to_string();
        if !out.contains(&msg) {
            out.push_str(": ");
            out.push_str(&msg);
        }
        cur = s.source();
    }
    out
}

pub(super) fn timeout_error(call: &ApiCall, after: Duration) -> SourceError {
    SourceError::Unavailable(format!(
        "cannot reach the Kubernetes API server: {} {} ({}) timed out after {after:?}",
        call.verb, call.resource, call.key
    ))
}
