//! CSI request fixtures: a NodePublishVolume as kubelet sends it for an inline volume (pod
//! identity, kubelet-provided token), its unpublish, target paths and kubelet-shaped tokens.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use connectors_csi::csi::proto;
use serde_json::json;

use crate::objects::AUDIENCE;

/// A kubelet token attribute value (`csi.storage.k8s.io/serviceAccount.tokens`) for the
/// [`AUDIENCE`], valid for `valid_for` from now.
pub fn kubelet_tokens(token: &str, valid_for: Duration) -> String {
    let exp = jiff::Timestamp::now() + jiff::SignedDuration::try_from(valid_for).unwrap();
    json!({ AUDIENCE: { "token": token, "expirationTimestamp": exp.to_string() } }).to_string()
}

/// A NodePublishVolumeRequest as kubelet sends it for an inline volume of pod `pod-<vol>`
/// (uid `uid-<vol>`, namespace `team`, ServiceAccount `builder`), with a kubelet token valid
/// for an hour.
pub fn publish_request(
    vol: &str,
    target: &Path,
    attrs: &[(&str, &str)],
    token: &str,
) -> proto::NodePublishVolumeRequest {
    publish_request_with_token(vol, target, attrs, Some((token, Duration::from_secs(3600))))
}

/// [`publish_request`] with the kubelet token's lifetime chosen, or no token at all (`None`
/// leaves the token to the driver).
pub fn publish_request_with_token(
    vol: &str,
    target: &Path,
    attrs: &[(&str, &str)],
    token: Option<(&str, Duration)>,
) -> proto::NodePublishVolumeRequest {
    let mut ctx: HashMap<String, String> = attrs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    ctx.insert("csi.storage.k8s.io/pod.name".into(), format!("pod-{vol}"));
    ctx.insert("csi.storage.k8s.io/pod.namespace".into(), "team".into());
    ctx.insert("csi.storage.k8s.io/pod.uid".into(), format!("uid-{vol}"));
    ctx.insert(
        "csi.storage.k8s.io/serviceAccount.name".into(),
        "builder".into(),
    );
    ctx.insert("csi.storage.k8s.io/ephemeral".into(), "true".into());
    let mut secrets = HashMap::new();
    if let Some((t, life)) = token {
        secrets.insert(
            "csi.storage.k8s.io/serviceAccount.tokens".to_string(),
            kubelet_tokens(t, life),
        );
    }
    proto::NodePublishVolumeRequest {
        volume_id: vol.to_string(),
        publish_context: HashMap::new(),
        staging_target_path: String::new(),
        target_path: target.to_string_lossy().into_owned(),
        volume_capability: Some(mount_capability(None)),
        readonly: true,
        secrets,
        volume_context: ctx,
    }
}

/// A single-node-writer mount capability, with kubelet's `fsGroup` as the volume mount group.
pub fn mount_capability(group: Option<u32>) -> proto::VolumeCapability {
    proto::VolumeCapability {
        access_type: Some(proto::volume_capability::AccessType::Mount(
            proto::volume_capability::MountVolume {
                fs_type: String::new(),
                mount_flags: vec![],
                volume_mount_group: group.map(|g| g.to_string()).unwrap_or_default(),
            },
        )),
        access_mode: Some(proto::volume_capability::AccessMode {
            mode: proto::volume_capability::access_mode::Mode::SingleNodeWriter as i32,
        }),
    }
}

/// The NodeUnpublishVolumeRequest of `vol` at `target`.
pub fn unpublish_request(vol: &str, target: &Path) -> proto::NodeUnpublishVolumeRequest {
    proto::NodeUnpublishVolumeRequest {
        volume_id: vol.to_string(),
        target_path: target.to_string_lossy().into_owned(),
    }
}

/// Files of a `k8s-demo` volume asking for the `kubeconfig` configuration.
pub const DEMO_FILES: &[&str] = &[
    ".env",
    "http.proxy",
    "https.proxy",
    "context.token",
    "context.proxy.caCert",
    "ca.crt",
    "ca.cert",
    "connector.status.proxyAddress",
    "kubeconfig",
];

/// A publish of the example `default/k8s-demo` connector's kubeconfig by a pod in `default`.
pub fn demo_publish_request(
    vol: &str,
    target: &Path,
    token: &str,
) -> proto::NodePublishVolumeRequest {
    let mut r = publish_request(
        vol,
        target,
        &[
            ("connector.name", "k8s-demo"),
            ("configuration.names", "kubeconfig"),
        ],
        token,
    );
    r.volume_context
        .insert("csi.storage.k8s.io/pod.namespace".into(), "default".into());
    r
}

/// A kubelet-style target path for `vol` under `kubelet` (parent created, like kubelet does;
/// the driver creates `mount` under it).
pub fn kubelet_target(kubelet: &Path, vol: &str) -> PathBuf {
    let pod = kubelet
        .join("pods")
        .join(format!("uid-{vol}"))
        .join("volumes/kubernetes.io~csi")
        .join(vol);
    std::fs::create_dir_all(&pod).unwrap();
    pod.join("mount")
}

/// A JWT shaped like a kubelet-issued bound ServiceAccount token of pod `pod` in `ns` (~1 KiB,
/// RS256-sized signature). The signature is filler: nothing in the driver verifies it.
pub fn kubelet_jwt(ns: &str, pod: &str, iat: i64, exp: i64) -> String {
    let b64 = |s: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let claims = json!({
        "aud": [AUDIENCE],
        "exp": exp,
        "iat": iat,
        "nbf": iat,
        "iss": "https://kubernetes.default.svc.cluster.local",
        "jti": "5f0c3a8e-7f55-4c1e-9d0b-2b9a0c6f7e21",
        "kubernetes.io": {
            "namespace": ns,
            "node": {"name": "node-1", "uid": "0b7e0e4c-8a0a-4a6f-9d0a-3c1f0a9f2b11"},
            "pod": {"name": pod, "uid": "1b4e28ba-2fa1-11d2-883f-0016d3cca427"},
            "serviceaccount": {"name": "builder", "uid": "6c8e1a1e-0b0e-4a53-8f2e-8f6d2f1e9a10"},
        },
        "sub": format!("system:serviceaccount:{ns}:builder"),
    });
    let sig: Vec<u8> = (0..256u32).map(|i| (i * 37 % 251) as u8).collect();
    format!(
        "{}.{}.{}",
        b64(br#"{"alg":"RS256","kid":"Zk3v7QmXo0bq1r2s3t4u5v6w7x8y9z0A1B2C3D4E5F6"}"#),
        b64(claims.to_string().as_bytes()),
        b64(&sig)
    )
}
