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
/// The proxy CA of the fixtures: the real self-signed CA certificate of `deploy/examples`
/// (EC P-256, valid 2020-2119, key discarded), so rendered kubeconfigs load in real clients.
pub const TEST_CA: &str = concat!(
    "-----BEGIN CERTIFICATE-----\n",
    "MIIByzCCAXGgAwIBAgIBATAKBggqhkjOPQQDAjBMMSAwHgYDVQQKDBdjb25uZWN0\n",
    "b3JzLWNzaSBleGFtcGxlczEoMCYGA1UEAwwfY29ubmVjdG9ycy1jc2kgZXhhbXBs\n",
    "ZSBwcm94eSBDQTAgFw0yMDAxMDEwMDAwMDBaGA8yMTE5MTIzMTIzNTk1OVowTDEg\n",
    "MB4GA1UECgwXY29ubmVjdG9ycy1jc2kgZXhhbXBsZXMxKDAmBgNVBAMMH2Nvbm5l\n",
    "Y3RvcnMtY3NpIGV4YW1wbGUgcHJveHkgQ0EwWTATBgcqhkjOPQIBBggqhkjOPQMB\n",
    "BwNCAAQMFR831fY2GbdS3ggaUTBJUmprlvgV19qIjd1I1w/CWZpz5DLEZW2QBcn4\n",
    "Kb8tUAkZjE4vD7TiA870YvHaYJlPo0IwQDAPBgNVHRMBAf8EBTADAQH/MA4GA1Ud\n",
    "DwEB/wQEAwIBBjAdBgNVHQ4EFgQUry9JaQqvRDU/HrglYC0+4U307i0wCgYIKoZI\n",
    "zj0EAwIDSAAwRQIgN3WqkjvFgDFIDs5+J/4DL8bBD1Bflexfaf1gBgOmicQCIQDu\n",
    "NjcI3PXf2br0YI4XoALlfq8EIVYflfQoVKSrE5hsyg==\n",
    "-----END CERTIFICATE-----\n",
);

/// A second real CA certificate (the examples' target-cluster CA), e.g. for a rotated proxy CA.
pub const TEST_CA_2: &str = concat!(
    "-----BEGIN CERTIFICATE-----\n",
    "MIIB3jCCAYOgAwIBAgIBATAKBggqhkjOPQQDAjBVMSAwHgYDVQQKDBdjb25uZWN0\n",
    "b3JzLWNzaSBleGFtcGxlczExMC8GA1UEAwwoY29ubmVjdG9ycy1jc2kgZXhhbXBs\n",
    "ZSB0YXJnZXQgY2x1c3RlciBDQTAgFw0yMDAxMDEwMDAwMDBaGA8yMTE5MTIzMTIz\n",
    "NTk1OVowVTEgMB4GA1UECgwXY29ubmVjdG9ycy1jc2kgZXhhbXBsZXMxMTAvBgNV\n",
    "BAMMKGNvbm5lY3RvcnMtY3NpIGV4YW1wbGUgdGFyZ2V0IGNsdXN0ZXIgQ0EwWTAT\n",
    "BgcqhkjOPQIBBggqhkjOPQMBBwNCAARV0qiwL294x6H6IjkB20EtQbsQXyhBzz51\n",
    "q7L9xwFzbZcuipc8G24BrsmmikwzbyNnwbBzMmaCZRzgwDZYc17Ho0IwQDAPBgNV\n",
    "HRMBAf8EBTADAQH/MA4GA1UdDwEB/wQEAwIBBjAdBgNVHQ4EFgQUUGpCfR3V7Jlj\n",
    "1BUQ0v2bT5g5lJQwCgYIKoZIzj0EAwIDSQAwRgIhAM3/GCVHhqAJbAZFkA4MJyDm\n",
    "h1f0PCt/FgOn+fL504ptAiEAzPbtPjdDi4ModOCiSXiVJv75uINLd4WAbrwX5BeZ\n",
    "Vs8=\n",
    "-----END CERTIFICATE-----\n",
);

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
