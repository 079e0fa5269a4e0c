//! Drop-in parity with the Alauda Connectors documentation, end to end: the whole driver
//! (gRPC → driver → KubeSource → real `kube::Client`) against the in-process API server, on real
//! tmpfs, with pod events. Each module takes one documented behaviour:
//! `feature_flags` (ConfigMap `connectors-config`, changed at run time), `quick_start` (the CSI
//! page's Quick Start manifests, golden files), `leniency` (unknown attributes, configuration
//! names and params; `token.expiration` with kubelet tokens).
//! `UPDATE_GOLDEN=1` rewrites the golden files of `tests/golden/docs/`.

mod feature_flags;
mod leniency;
mod quick_start;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use connectors_csi::connector::kube::KubeSourceOptions;
use connectors_csi::connector::ConnectorSource;
use connectors_csi::driver::DriverConfig;
use connectors_csi::events::kube::KubeEventSink;
use connectors_csi::features::configmap::watch_configmap;
use connectors_csi::features::Overrides;
use serde_json::{json, Value};
use test_support::*;

/// The pods' ServiceAccount in [`publish_request`].
pub const SA: &str = "system:serviceaccount:team:builder";

pub struct Env {
    pub api: FakeApiServer,
    pub grants: SarGrants,
    pub t: TestDriver,
}

/// Class `k8s`, Connectors `team/k8s-a` and `team/k8s-b` the pods' ServiceAccount may `get`, and
/// `extra` objects; the driver follows ConfigMap `connectors-system/connectors-config` (absent
/// until a test applies it) under `overrides`, and posts pod events to the API server.
pub async fn setup(overrides: Overrides, extra: Vec<Value>) -> Env {
    let api = FakeApiServer::start().await;
    api.apply(k8s_class_value());
    for name in ["k8s-a", "k8s-b"] {
        api.apply(connector_value(
            "team",
            name,
            "https://api.target.example:6443",
            &format!("http://c-{name}.team.svc.cluster.local"),
            Some(TEST_CA),
        ));
    }
    for ns in ["team", "default"] {
        api.apply(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}));
    }
    for o in extra {
        api.apply(o);
    }
    let grants = api.use_sar_grants();
    for name in ["k8s-a", "k8s-b"] {
        grants.grant(SA, "get", "connectors", "team", name);
    }
    let client = api.client().await;
    let source = synced_kube_source(client.clone(), KubeSourceOptions::default()).await;
    let root = tempfile::tempdir().unwrap();
    let mut cfg = DriverConfig::for_root(root.path());
    cfg.refresh_jitter = Duration::ZERO;
    cfg.features = watch_configmap(
        client.clone(),
        "connectors-system",
        "connectors-config",
        overrides,
    );
    assert!(cfg.features.wait_read(Duration::from_secs(10)).await);
    let sink = Arc::new(KubeEventSink::new(client, "node-1"));
    let t =
        TestDriver::start_with_events(root, cfg, source as Arc<dyn ConnectorSource>, sink).await;
    Env { api, grants, t }
}

/// The operator's ConfigMap with `data`.
pub fn flags_configmap(data: &[(&str, &str)]) -> Value {
    let data: serde_json::Map<String, Value> = data
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "connectors-config", "namespace": "connectors-system"},
        "data": data})
}

/// Publishes `vol` for pod `team/pod-<vol>` with a kubelet token of `life`.
pub async fn publish(
    env: &mut Env,
    vol: &str,
    attrs: &[(&str, &str)],
    life: Duration,
) -> Result<(), tonic::Status> {
    let target = env.t.target(vol);
    let req = publish_request_with_token(vol, &target, attrs, Some((&format!("tok-{vol}"), life)));
    env.t.node.node_publish_volume(req).await.map(|_| ())
}

/// The Events with `reason` about pod `pod-<vol>`.
pub fn events(api: &FakeApiServer, vol: &str, reason: &str) -> Vec<Value> {
    api.list("Event")
        .into_iter()
        .filter(|e| {
            e["involvedObject"]["uid"] == json!(format!("uid-{vol}"))
                && e["reason"] == json!(reason)
        })
        .collect()
}

/// The message of the one `ConnectorVolumeWarning` Event of pod `pod-<vol>` (waits for it).
pub async fn warning(api: &FakeApiServer, vol: &str) -> String {
    let t0 = Instant::now();
    loop {
        let evs = events(api, vol, "ConnectorVolumeWarning");
        if let Some(e) = evs.first() {
            assert_eq!(evs.len(), 1, "one warning event: {evs:#?}");
            assert_eq!(e["type"], "Warning");
            return e["message"].as_str().unwrap().to_string();
        }
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "no ConnectorVolumeWarning for pod-{vol}; events: {:#?}",
            api.list("Event")
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// No `ConnectorVolumeWarning` for pod `pod-<vol>` (after giving the recorder time to post).
pub async fn no_warning(api: &FakeApiServer, vol: &str) {
    tokio::time::sleep(Duration::from_millis(300)).await;
    let evs = events(api, vol, "ConnectorVolumeWarning");
    assert!(evs.is_empty(), "{evs:#?}");
}

/// The volume's files (the atomic writer's `..` entries left out).
pub fn files(target: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(target)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with(".."))
        .map(|n| {
            let data = std::fs::read(target.join(&n)).unwrap();
            (n, data)
        })
        .collect()
}

/// Compares `files` with `tests/golden/docs/<case>/` (or rewrites it with UPDATE_GOLDEN=1).
pub fn check_golden(case: &str, files: &std::collections::BTreeMap<String, Vec<u8>>) {
    let dir = repo_root().join("tests/golden/docs").join(case);
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, data) in files {
            std::fs::write(dir.join(name), data).unwrap();
        }
        return;
    }
    let golden: std::collections::BTreeMap<String, Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}; run with UPDATE_GOLDEN=1", dir.display()))
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    let names =
        |m: &std::collections::BTreeMap<String, Vec<u8>>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(files), names(&golden), "{case}: file names");
    for (name, data) in files {
        assert_eq!(
            String::from_utf8_lossy(data),
            String::from_utf8_lossy(&golden[name]),
            "{case}: {name} differs from the golden file"
        );
    }
}
