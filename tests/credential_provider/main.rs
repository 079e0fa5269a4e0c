//! The kubelet image credential provider end to end through `credprovider::run` with an
//! in-memory connector source, plus a process-level test that pipes JSON through the real binary.

use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use connectors_csi::connector::memory::MemorySource;
use connectors_csi::connector::{Connector, ConnectorClass, SourceError};
use connectors_csi::credprovider::jwt::unsigned_jwt;
use connectors_csi::credprovider::{
    run, ApiVersion, AuthConfig, CacheKeyType, CredentialProviderArgs, CredentialProviderError,
    CredentialProviderRequest, CredentialProviderResponse, SaToken,
};
use k8s_openapi::api::core::v1::Secret;
use serde_json::{json, Value};

mod binary;
mod sa_mode;
mod static_mode;

#[derive(Parser, Debug)]
struct Cli {
    #[command(flatten)]
    args: CredentialProviderArgs,
}

pub(crate) fn args(extra: &[&str]) -> CredentialProviderArgs {
    let mut argv = vec!["connectors-csi", "--source", "dir:/unused"];
    argv.extend_from_slice(extra);
    Cli::try_parse_from(argv).expect("flags parse").args
}

pub(crate) fn connector(
    ns: &str,
    name: &str,
    class: &str,
    address: &str,
    secret: Option<&str>,
) -> Connector {
    serde_json::from_value(json!({
        "apiVersion": "connectors.alauda.io/v1alpha1",
        "kind": "Connector",
        "metadata": {"name": name, "namespace": ns, "labels": {"team": ns}},
        "spec": {
            "connectorClassName": class,
            "address": address,
            "auth": secret.map(|s| json!({"name": "tokenAuth", "secretRef": {"name": s}})),
        },
        "status": {
            "conditions": [{"type": "Ready", "status": "True"}],
            "proxy": {"httpAddress": {"url": format!("http://c-{name}.{ns}.svc.cluster.local")}},
        }
    }))
    .unwrap()
}

pub(crate) fn not_ready(mut c: Connector) -> Connector {
    c.status.as_mut().unwrap().conditions[0].status = "False".into();
    c
}

pub(crate) fn with_proxy(mut c: Connector, url: &str) -> Connector {
    let status = c.status.as_mut().unwrap();
    status
        .proxy
        .as_mut()
        .unwrap()
        .http_address
        .as_mut()
        .unwrap()
        .url = Some(url.into());
    c
}

pub(crate) fn basic_secret(ns: &str, name: &str, ty: &str, user: &str, pass: &str) -> Secret {
    serde_json::from_value(json!({
        "metadata": {"name": name, "namespace": ns},
        "type": ty,
        "stringData": {"username": user, "password": pass},
    }))
    .unwrap()
}

pub(crate) fn docker_secret(ns: &str, name: &str, config: Value) -> Secret {
    serde_json::from_value(json!({
        "metadata": {"name": name, "namespace": ns},
        "type": "kubernetes.io/dockerconfigjson",
        "stringData": {".dockerconfigjson": config.to_string()},
    }))
    .unwrap()
}

pub(crate) fn oci_class() -> ConnectorClass {
    serde_json::from_value(json!({
        "apiVersion": "connectors.alauda.io/v1alpha1",
        "kind": "ConnectorClass",
        "metadata": {"name": "oci"},
        "spec": {"auth": {"types": [{"name": "tokenAuth", "secretType": "cpaas.io/distribution-registry-token"}]}}
    }))
    .unwrap()
}

pub(crate) fn request(version: &str, image: &str) -> Value {
    json!({
        "apiVersion": format!("credentialprovider.kubelet.k8s.io/{version}"),
        "kind": "CredentialProviderRequest",
        "image": image,
    })
}

/// Runs the plugin on `req` and returns the decoded stdout.
pub(crate) async fn call(
    source: &Arc<MemorySource>,
    args: CredentialProviderArgs,
    req: &Value,
) -> Result<Value, CredentialProviderError> {
    let mut out = Vec::new();
    let input = serde_json::to_vec(req).unwrap();
    run(args, source.clone(), input.as_slice(), &mut out).await?;
    assert!(out.ends_with(b"\n"));
    Ok(serde_json::from_slice(&out).expect("stdout is JSON"))
}

/// A source with a Harbor connector (basic-auth) and an OCI connector (dockerconfigjson, port and
/// path prefix).
pub(crate) fn registry_source() -> Arc<MemorySource> {
    let source = MemorySource::new();
    source.set(|s| {
        s.insert_class(oci_class());
        s.insert_connector(connector(
            "team",
            "harbor",
            "harbor",
            "https://harbor.example.com/",
            Some("harbor-robot"),
        ));
        s.insert_secret(basic_secret(
            "team",
            "harbor-robot",
            "kubernetes.io/basic-auth",
            "robot$ci",
            "harbor-pw",
        ));
        s.insert_connector(connector(
            "team",
            "oci",
            "oci",
            "https://reg.local:5000/apps",
            Some("oci-cfg"),
        ));
        s.insert_secret(docker_secret(
            "team",
            "oci-cfg",
            json!({"auths": {
                "https://reg.local:5000": {"username": "ociuser", "password": "oci-pw"},
                "other.io": {"username": "x", "password": "y"},
            }}),
        ));
    });
    source
}
