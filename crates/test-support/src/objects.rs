//! The shared Kubernetes objects of every test and the benchmark: the `k8s` ConnectorClass, a
//! Connector with a proxy CA, the memory source holding them, and the example directory source.

use std::path::Path;
use std::sync::Arc;

use connectors_csi::connector::memory::MemorySource;
use connectors_csi::connector::store::Snapshot;
use connectors_csi::connector::types::{Connector, ConnectorClass};
use serde_json::{json, Value};

/// The token audience of the connectors proxy (the CSIDriver's `tokenRequests` audience).
pub const AUDIENCE: &str = "connectors-proxy";
/// A short stand-in for a proxy CA bundle.
pub const TEST_CA: &str = "-----BEGIN CERTIFICATE-----\nTESTPROXYCA\n-----END CERTIFICATE-----\n";

/// The `k8s` ConnectorClass (address + bearer-token auth) as an API object.
pub fn k8s_class_value() -> Value {
    json!({
        "apiVersion": "connectors.alauda.io/v1alpha1",
        "kind": "ConnectorClass",
        "metadata": {"name": "k8s"},
        "spec": {
            "address": {"name": "address", "type": "string"},
            "auth": {"types": [{"name": "bearerTokenAuth", "secretType": "connectors.cpaas.io/bearer-token"}]},
        },
    })
}

/// The `k8s` ConnectorClass.
pub fn k8s_class() -> ConnectorClass {
    serde_json::from_value(k8s_class_value()).unwrap()
}

/// A Ready Connector of class `k8s` as an API object, its proxy at `proxy` serving with `ca`.
pub fn connector_value(
    ns: &str,
    name: &str,
    address: &str,
    proxy: &str,
    ca: Option<&str>,
) -> Value {
    let mut http_address = json!({"url": proxy});
    if let Some(ca) = ca {
        http_address["CACerts"] = json!(ca);
    }
    json!({
        "apiVersion": "connectors.alauda.io/v1alpha1",
        "kind": "Connector",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"connectorClassName": "k8s", "address": address},
        "status": {
            "conditions": [{"type": "Ready", "status": "True"}],
            "proxy": {"httpAddress": http_address},
        },
    })
}

/// A Ready Connector of class `k8s` whose proxy serves with [`TEST_CA`].
pub fn connector(ns: &str, name: &str, address: &str, proxy: &str) -> Connector {
    serde_json::from_value(connector_value(ns, name, address, proxy, Some(TEST_CA))).unwrap()
}

/// Sets (or clears) the proxy CA a connector publishes in `status.proxy.httpAddress.CACerts`.
pub fn set_proxy_ca(c: &mut Connector, ca: Option<&str>) {
    c.status
        .get_or_insert_with(Default::default)
        .proxy
        .get_or_insert_with(Default::default)
        .http_address
        .get_or_insert_with(Default::default)
        .ca_certs = ca.map(str::to_string);
}

/// A memory source holding class `k8s` and connector `team/k8s-a`.
pub fn default_source() -> Arc<MemorySource> {
    let src = MemorySource::new();
    src.set(|s: &mut Snapshot| {
        s.insert_class(k8s_class());
        s.insert_connector(connector(
            "team",
            "k8s-a",
            "https://api.example.com:6443",
            "http://c-k8s-a.team.svc.cluster.local",
        ));
    });
    src
}

/// A PEM block of realistic size (a 2048-bit RSA CA is ~1.2 KiB of PEM). Not a real certificate.
pub fn realistic_ca_pem() -> String {
    let mut body = String::new();
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut x: u32 = 0x1234_5678;
    for line in 0..19 {
        let n = if line == 18 { 44 } else { 64 };
        for _ in 0..n {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            body.push(alphabet[(x >> 16) as usize % 64] as char);
        }
        body.push('\n');
    }
    format!("-----BEGIN CERTIFICATE-----\n{body}-----END CERTIFICATE-----\n")
}

/// The example connectors and classes (deploy/examples), written into `dir` with the k8s-demo
/// connector's API server address replaced by `address` (atomically: temp file + rename, so the
/// directory source never reads a half-written file).
pub fn write_example_source(dir: &Path, address: &str) {
    let root = crate::repo_root().join("deploy/examples");
    std::fs::create_dir_all(dir).unwrap();
    for (name, replace) in [("classes.yaml", false), ("connectors.yaml", true)] {
        let mut text = std::fs::read_to_string(root.join(name)).unwrap();
        if replace {
            text = text.replace("https://kubernetes.example.com:6443", address);
        }
        let tmp = dir.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(&tmp, dir.join(name)).unwrap();
    }
}
