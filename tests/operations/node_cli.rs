//! `/debug/volumes`, `connectors-csi volumes` and pod events as log lines, on a running node.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{http_get, root, Node, BIN, TOKEN};

#[test]
fn volumes_command_and_debug_endpoint_list_what_the_driver_holds_without_secrets() {
    if !root() {
        return;
    }
    let node = Node::start();
    node.publish("vol-a");
    node.publish("vol-b");

    // /debug/volumes: the live view.
    let (code, body) = http_get(node.port, "/debug/volumes");
    assert_eq!(code, 200, "{body}");
    assert!(!body.contains(TOKEN), "no token in /debug/volumes");
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["node"], "node-a");
    let vols = doc["volumes"].as_array().unwrap();
    assert_eq!(vols.len(), 2, "{body}");
    let a = &vols[0];
    assert_eq!(a["volume_id"], "vol-a");
    assert_eq!(a["pod"]["namespace"], "default");
    assert_eq!(a["pod"]["name"], "pod-vol-a");
    assert_eq!(a["pod"]["uid"], "uid-vol-a");
    assert_eq!(a["connectors"], serde_json::json!(["default/k8s-demo"]));
    assert_eq!(a["configurations"], serde_json::json!(["kubeconfig"]));
    assert_eq!(a["token_origin"], "kubelet");
    assert!(a["token_expires_at"].as_str().is_some());
    assert!(a["next_refresh"].as_str().is_some());
    assert_eq!(a["live"]["condition"], "Ready");
    assert_eq!(a["live"]["last_refresh_result"], "ok");
    assert!(a["live"]["last_error"].is_null());

    // The command: JSON with the live fields.
    let url = format!("http://127.0.0.1:{}", node.port);
    let (ok, out, err) = node.volumes(&["--driver-url", &url, "-o", "json"]);
    assert!(ok, "{err}");
    assert!(
        !out.contains(TOKEN) && !err.contains(TOKEN),
        "no token in the command's output"
    );
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["driver"]["reachable"], true, "{out}");
    assert_eq!(doc["volumes"].as_array().unwrap().len(), 2);
    assert_eq!(doc["volumes"][1]["pod"]["name"], "pod-vol-b");
    assert_eq!(doc["volumes"][1]["live"]["condition"], "Ready");
    // The feature flags in force: no cluster, so no ConfigMap and the driver's defaults.
    let flags = &doc["driver"]["featureFlags"];
    assert_eq!(flags["configMap"]["state"], "not-watched", "{out}");
    assert_eq!(
        flags["flags"]["enable-multi-connector"],
        serde_json::json!({"enabled": true, "from": "driver-default"})
    );
    assert_eq!(
        flags["flags"]["enable-connectors-approval"]["enabled"],
        false
    );

    // The table.
    let (ok, out, err) = node.volumes(&["--driver-url", &url]);
    assert!(ok, "{err}");
    println!("{out}");
    let (table, flags) = out.split_once("\n\n").expect("the table, then the flags");
    assert!(
        flags.starts_with("feature flags: ")
            && flags.contains("enable-connectors-approval=false (driver-default)"),
        "{flags}"
    );
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    for col in [
        "POD",
        "VOLUME",
        "CONNECTORS",
        "CONFIGURATIONS",
        "TOKEN",
        "EXPIRES",
        "LAST REFRESH",
        "NEXT REFRESH",
        "CONDITION",
        "LAST ERROR",
    ] {
        assert!(lines[0].contains(col), "{col} missing: {}", lines[0]);
    }
    for want in [
        "default/pod-vol-a",
        "vol-a",
        "default/k8s-demo",
        "kubeconfig",
        "kubelet",
        "ago (ok)",
        "Ready",
    ] {
        assert!(
            lines[1].contains(want),
            "{want:?} missing from: {}",
            lines[1]
        );
    }
    // Token expiry (an hour) and next refresh (80 % of it) are in the future.
    assert_eq!(lines[1].matches(" in ").count(), 2, "{}", lines[1]);
    assert!(!out.contains(TOKEN));

    // Without a reachable driver: the state directory alone, and a note why.
    let (ok, out, err) = node.volumes(&["--driver-url", "http://127.0.0.1:1"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("default/pod-vol-a") && out.contains("(written)"),
        "{out}"
    );
    assert!(err.contains("live fields unavailable"), "{err}");
    assert!(!out.contains(TOKEN) && !err.contains(TOKEN));
    let (ok, out, _) = node.volumes(&["--driver-url", "", "-o", "json"]);
    assert!(ok);
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["driver"]["reachable"], false);
    assert!(doc["volumes"][0]["live"].is_null());
    assert_eq!(
        doc["volumes"][0]["connectors"],
        serde_json::json!(["default/k8s-demo"])
    );
    // A state directory that does not exist is a clear error.
    let out = Command::new(BIN)
        .args(["volumes", "--state-dir", "/nonexistent/state"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--state-dir"));

    node.unpublish("vol-a");
    let (_, body) = http_get(node.port, "/debug/volumes");
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        doc["volumes"].as_array().unwrap().len(),
        1,
        "unpublished volumes leave the list"
    );
    node.unpublish("vol-b");
}

#[test]
fn debug_volumes_is_off_unless_asked_for_and_the_command_falls_back_to_the_state_dir() {
    if !root() {
        return;
    }
    let node = Node::start_with(&[], &[]);
    node.publish("vol-off");
    let (code, body) = http_get(node.port, "/debug/volumes");
    assert_eq!(code, 404, "{body}");
    assert_eq!(
        body.trim(),
        connectors_csi::metrics::DEBUG_VOLUMES_OFF.trim(),
        "one line saying how to turn it on"
    );
    assert!(
        !body.contains("pod-vol-off"),
        "nothing of the volumes leaks"
    );
    let (code, _) = http_get(node.port, "/metrics");
    assert_eq!(code, 200, "the rest of the metrics server is unaffected");

    // The command still lists the volume from the state directory and says why live fields
    // are missing.
    let url = format!("http://127.0.0.1:{}", node.port);
    let (ok, out, err) = node.volumes(&["--driver-url", &url]);
    assert!(ok, "{err}");
    assert!(
        out.contains("default/pod-vol-off") && out.contains("(written)"),
        "{out}"
    );
    assert!(
        err.contains("live fields unavailable") && err.contains("--enable-debug-volumes"),
        "{err}"
    );
    let (ok, out, _) = node.volumes(&["--driver-url", &url, "-o", "json"]);
    assert!(ok);
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["driver"]["reachable"], false);
    assert!(
        doc["driver"]["error"]
            .as_str()
            .is_some_and(|e| e.contains("404") && e.contains("ENABLE_DEBUG_VOLUMES")),
        "{out}"
    );
    assert_eq!(doc["volumes"][0]["volume_id"], "vol-off");
    assert!(doc["volumes"][0]["live"].is_null());
    node.unpublish("vol-off");
    drop(node);

    // The flag turns it on too (the environment variable: every other test of this file).
    let node = Node::start_with(&[], &["--enable-debug-volumes"]);
    let (code, body) = http_get(node.port, "/debug/volumes");
    assert_eq!(code, 200, "{body}");
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["node"], "node-a");
}

#[test]
fn without_a_cluster_pod_events_are_log_lines() {
    if !root() {
        return;
    }
    let node = Node::start();
    node.publish("vol-ev");
    // The Connector is deleted from the directory: the volume goes stale.
    let file = node.dir.path().join("connectors/connectors.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    let kept: Vec<String> = serde_yaml::Deserializer::from_str(&text)
        .map(|d| <serde_yaml::Value as serde::Deserialize>::deserialize(d).unwrap())
        .filter(|v| v["metadata"]["name"].as_str() != Some("k8s-demo"))
        .map(|v| serde_yaml::to_string(&v).unwrap())
        .collect();
    std::fs::write(&file, kept.join("---\n")).unwrap();
    let t0 = Instant::now();
    let line = loop {
        let found = node.logs().into_iter().find_map(|l| {
            let v: Value = serde_json::from_str(&l).ok()?;
            (v["target"] == "connectors_csi::events" && v["message"] == "pod event").then_some(v)
        });
        if let Some(v) = found {
            break v;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "no event line: {:#?}",
            node.logs()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    println!("{line}");
    assert_eq!(line["reason"], "ConnectorVolumeStale");
    assert_eq!(line["event_type"], "Warning");
    assert_eq!(line["pod"], "default/pod-vol-ev");
    assert_eq!(line["pod_uid"], "uid-vol-ev");
    assert_eq!(line["volume_id"], "vol-ev");
    let note = line["note"].as_str().unwrap();
    assert!(
        note.contains("default/k8s-demo") && note.contains("expires at"),
        "{note}"
    );
    // The condition summary.
    assert!(node
        .logs()
        .iter()
        .any(|l| l.contains("volume condition changed") && l.contains("\"condition\":\"Stale\"")));
    // The table says so too.
    let url = format!("http://127.0.0.1:{}", node.port);
    let (_, out, _) = node.volumes(&["--driver-url", &url]);
    assert!(out.contains("Stale") && out.contains("not found"), "{out}");
    assert!(
        !node.logs().iter().any(|l| l.contains(TOKEN)),
        "token never logged"
    );
    node.unpublish("vol-ev");
}
