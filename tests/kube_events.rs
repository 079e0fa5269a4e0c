//! Pod events after the mount, end to end: the whole driver with the Kubernetes event sink
//! against the in-process API server, on real tmpfs. Revoking access or deleting the Connector
//! makes the volume stale (`ConnectorVolumeStale` on the pod within seconds), a failing refresh
//! reports `ConnectorRefreshFailed` with the next retry time (aggregated into one Event, at most
//! one per backoff step), and recovery reports `ConnectorVolumeRecovered`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use connectors_csi::connector::kube::{KubeSource, KubeSourceOptions};
use connectors_csi::driver::{Condition, DriverConfig};
use connectors_csi::events::kube::KubeEventSink;
use connectors_csi::metrics::ResultLabel;
use serde_json::{json, Value};
use test_support::*;

const PROXY: &str = "http://c-k8s-a.team.svc.cluster.local";

async fn setup() -> (FakeApiServer, TestDriver, Arc<KubeSource>) {
    let api = FakeApiServer::start().await;
    api.apply(k8s_class_value());
    api.apply(connector_value(
        "team",
        "k8s-a",
        "https://api.example.com:6443",
        PROXY,
        Some(TEST_CA),
    ));
    api.apply(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}));
    let opts = KubeSourceOptions {
        wait_for_connector: Duration::from_millis(200),
        sar_cache_ttl: Duration::from_millis(100),
        ..Default::default()
    };
    let source = synced_kube_source(api.client().await, opts).await;
    let root = tempfile::tempdir().unwrap();
    let mut cfg = DriverConfig::for_root(root.path());
    cfg.refresh_jitter = Duration::ZERO;
    let sink = Arc::new(KubeEventSink::new(api.client().await, "node-1"));
    let t = TestDriver::start_with_events(root, cfg, source.clone(), sink).await;
    (api, t, source)
}

/// The Events about pod `pod-<vol>` with `reason`.
fn events(api: &FakeApiServer, vol: &str, reason: &str) -> Vec<Value> {
    api.list("Event")
        .into_iter()
        .filter(|e| {
            e["involvedObject"]["uid"] == json!(format!("uid-{vol}"))
                && e["reason"] == json!(reason)
        })
        .collect()
}

async fn wait_event(api: &FakeApiServer, vol: &str, reason: &str, within: Duration) -> Value {
    let t0 = Instant::now();
    loop {
        if let Some(e) = events(api, vol, reason).pop() {
            return e;
        }
        assert!(
            t0.elapsed() < within,
            "no {reason} event for pod-{vol} within {within:?}; events: {:#?}",
            api.list("Event")
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn publish(t: &mut TestDriver, vol: &str, token: &str) {
    let target = t.target(vol);
    t.node
        .node_publish_volume(publish_request(
            vol,
            &target,
            &[("connector.name", "k8s-a")],
            token,
        ))
        .await
        .unwrap();
}

fn assert_no_tokens(api: &FakeApiServer, tokens: &[&str]) {
    let all = serde_json::to_string(&api.list("Event")).unwrap();
    for t in tokens {
        assert!(!all.contains(t), "a token reached an Event");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_access_and_a_deleted_connector_make_the_volume_stale_on_the_pod() {
    if !require_root("revoked_access_and_a_deleted_connector_make_the_volume_stale_on_the_pod") {
        return;
    }
    let (api, mut t, _src) = setup().await;
    publish(&mut t, "vol-rev", "kubelet-tok-rev-1").await;
    publish(&mut t, "vol-del", "kubelet-tok-del-1").await;
    assert!(
        api.list("Event").is_empty(),
        "a healthy mount emits nothing"
    );

    // Access revoked: kubelet's next republish (about once a minute) finds out.
    api.allow_connector_access(&[]);
    // (after the driver's SubjectAccessReview cache, 10 s by default, 100 ms here)
    tokio::time::sleep(Duration::from_millis(200)).await;
    let t0 = Instant::now();
    publish(&mut t, "vol-rev", "kubelet-tok-rev-2").await;
    let ev = wait_event(
        &api,
        "vol-rev",
        "ConnectorVolumeStale",
        Duration::from_secs(5),
    )
    .await;
    println!("stale after revocation in {:?}", t0.elapsed());
    assert_eq!(ev["type"], json!("Warning"));
    assert_eq!(ev["metadata"]["namespace"], json!("team"));
    assert_eq!(ev["involvedObject"]["kind"], json!("Pod"));
    assert_eq!(ev["involvedObject"]["name"], json!("pod-vol-rev"));
    assert_eq!(ev["source"]["component"], json!("connectors-csi"));
    assert_eq!(ev["source"]["host"], json!("node-1"));
    assert_eq!(ev["count"], json!(1));
    let msg = ev["message"].as_str().unwrap();
    for want in [
        "access revoked",
        "team/k8s-a",
        "expires at",
        "401",
        "get on the Connector",
    ] {
        assert!(msg.contains(want), "{want:?} missing from: {msg}");
    }
    let target = t.target("vol-rev");
    assert!(mounted(&target), "files kept");
    let report = t.driver.volume_reports();
    let rev = report.iter().find(|r| r.volume_id == "vol-rev").unwrap();
    assert_eq!(rev.live.as_ref().unwrap().condition, Condition::Stale);

    // Access restored: the next republish recovers it.
    api.allow_connector_access(&[("system:serviceaccount:team:builder", "team", "k8s-a")]);
    tokio::time::sleep(Duration::from_millis(200)).await;
    publish(&mut t, "vol-rev", "kubelet-tok-rev-3").await;
    let ev = wait_event(
        &api,
        "vol-rev",
        "ConnectorVolumeRecovered",
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(ev["type"], json!("Normal"));
    assert!(std::fs::read_to_string(target.join("context.token")).unwrap() == "kubelet-tok-rev-3");

    // The Connector deleted: the watch tells the driver, no republish needed.
    let t0 = Instant::now();
    api.delete("Connector", "team", "k8s-a");
    let ev = wait_event(
        &api,
        "vol-del",
        "ConnectorVolumeStale",
        Duration::from_secs(5),
    )
    .await;
    println!("stale after deletion in {:?}", t0.elapsed());
    let msg = ev["message"].as_str().unwrap();
    assert!(
        msg.contains("(deleted)") && msg.contains("recreate the Connector"),
        "{msg}"
    );
    assert!(msg.contains("team/k8s-a"), "{msg}");
    assert_eq!(events(&api, "vol-del", "ConnectorVolumeStale").len(), 1);

    assert_no_tokens(
        &api,
        &[
            "kubelet-tok-rev-1",
            "kubelet-tok-rev-2",
            "kubelet-tok-rev-3",
            "kubelet-tok-del-1",
        ],
    );
    for vol in ["vol-rev", "vol-del"] {
        let target = t.target(vol);
        t.node
            .node_unpublish_volume(unpublish_request(vol, &target))
            .await
            .unwrap();
    }
    assert!(t.driver.volume_reports().is_empty());
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_refreshes_report_the_next_retry_once_per_backoff_step_then_recovery() {
    if !require_root("failing_refreshes_report_the_next_retry_once_per_backoff_step_then_recovery")
    {
        return;
    }
    let (api, mut t, _src) = setup().await;
    publish(&mut t, "vol-fail", "kubelet-tok-fail").await;

    // The Connector stops being Ready: the change triggers a refresh, which fails and retries
    // with backoff (1 s, 2 s, 4 s, ...).
    let mut c = connector_value(
        "team",
        "k8s-a",
        "https://api.example.com:6443",
        PROXY,
        Some(TEST_CA),
    );
    c["status"]["conditions"] = json!([{"type": "Ready", "status": "False", "reason": "ProxyDown", "message": "the proxy has no endpoints"}]);
    api.apply(c);
    let ev = wait_event(
        &api,
        "vol-fail",
        "ConnectorRefreshFailed",
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(ev["type"], json!("Warning"));
    tokio::time::sleep(Duration::from_secs(7)).await;

    let failures = t
        .driver
        .metrics
        .refresh_total
        .get_or_create(&ResultLabel {
            result: "error".into(),
        })
        .get();
    let failed = events(&api, "vol-fail", "ConnectorRefreshFailed");
    assert_eq!(
        failed.len(),
        1,
        "the same cause aggregates into one Event: {failed:#?}"
    );
    let ev = &failed[0];
    let count = ev["count"].as_u64().unwrap();
    println!("{failures} failed refreshes, event count {count}");
    assert!(
        failures >= 3,
        "1 s, 2 s, 4 s backoff: at least 3 attempts in 7 s ({failures})"
    );
    assert!(count >= 2, "repeated failures bump the count ({count})");
    assert!(
        count <= failures,
        "at most one event per backoff step: {count} events, {failures} failures"
    );
    let c = api.counts();
    assert_eq!(
        c.get("create", "events") + c.get("patch", "events"),
        count as usize,
        "{c:?}"
    );
    let msg = ev["message"].as_str().unwrap();
    for want in [
        "connector team/k8s-a is not ready",
        "ProxyDown",
        "the proxy has no endpoints",
        "keeping the last good files",
    ] {
        assert!(msg.contains(want), "{want:?} missing from: {msg}");
    }
    // The next retry time: RFC 3339, after the Event's last update and within the backoff cap.
    let retry: jiff::Timestamp = msg
        .split("next retry at ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap_or_else(|| panic!("no next retry time in: {msg}"))
        .parse()
        .unwrap();
    let last: jiff::Timestamp = ev["lastTimestamp"].as_str().unwrap().parse().unwrap();
    assert!(
        retry >= last - jiff::SignedDuration::from_secs(1),
        "{retry} vs {last}"
    );
    assert!(retry <= last + jiff::SignedDuration::from_secs(300));
    let report = t.driver.volume_reports();
    let live = report[0].live.clone().unwrap();
    assert_eq!(live.condition, Condition::RefreshFailing);
    assert!(live.consecutive_failures >= 3);
    assert!(live.last_error.unwrap().contains("ProxyDown"));

    // Ready again: recovered.
    api.apply(connector_value(
        "team",
        "k8s-a",
        "https://api.example.com:6443",
        PROXY,
        Some(TEST_CA),
    ));
    let ev = wait_event(
        &api,
        "vol-fail",
        "ConnectorVolumeRecovered",
        Duration::from_secs(15),
    )
    .await;
    assert_eq!(ev["type"], json!("Normal"));
    assert!(ev["message"]
        .as_str()
        .unwrap()
        .contains("team/k8s-a usable again"));
    assert_eq!(
        t.driver.volume_reports()[0]
            .live
            .as_ref()
            .unwrap()
            .condition,
        Condition::Ready
    );
    assert_no_tokens(&api, &["kubelet-tok-fail"]);
    let target = t.target("vol-fail");
    t.node
        .node_unpublish_volume(unpublish_request("vol-fail", &target))
        .await
        .unwrap();
    t.stop().await;
}
