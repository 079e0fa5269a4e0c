//! A node pays for its own volumes, not for the cluster: the whole driver (gRPC → driver →
//! KubeSource → kube::Client) against the fake API server, on real tmpfs. Connectors are watched
//! per object a volume uses, kept while referenced, re-watched after a restart and stopped once
//! no volume needs them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use connectors_csi::connector::kube::{KubeSource, KubeSourceOptions};
use connectors_csi::driver::{Driver, DriverConfig};
use connectors_csi::metrics::Metrics;
use serde_json::{json, Value};
use test_support::FakeApiServer;
use test_support::*;

const UNUSED: usize = 300;

fn k8s_connector(ns: &str, name: &str, proxy: &str) -> Value {
    connector_value(ns, name, "https://api.target.example:6443", proxy, None)
}

async fn synced_source(api: &FakeApiServer, opts: KubeSourceOptions) -> Arc<KubeSource> {
    synced_kube_source(api.client().await, opts).await
}

/// A cluster with `team/k8s-a` and [`UNUSED`] connectors in other namespaces.
async fn cluster() -> FakeApiServer {
    let api = FakeApiServer::start().await;
    api.apply(json!({"apiVersion": "connectors.alauda.io/v1alpha1", "kind": "ConnectorClass", "metadata": {"name": "k8s"}, "spec": {}}));
    api.apply(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}));
    api.apply(k8s_connector("team", "k8s-a", "http://c-k8s-a.team.svc"));
    for i in 0..UNUSED {
        api.apply(k8s_connector(
            &format!("ns-{i}"),
            "unused",
            "http://c-unused.svc",
        ));
    }
    api
}

fn connector_paths(api: &FakeApiServer) -> Vec<String> {
    api.requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/connectors"))
        .map(|r| format!("{}?{}", r.path, r.query))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_watches_only_the_connectors_its_volumes_use() {
    if !require_root("a_node_watches_only_the_connectors_its_volumes_use") {
        return;
    }
    let api = cluster().await;
    let source = synced_source(
        &api,
        KubeSourceOptions {
            idle_watch_ttl: Duration::from_millis(300),
            ..Default::default()
        },
    )
    .await;
    let root = tempfile::tempdir().unwrap();
    let mut cfg = DriverConfig::for_root(root.path());
    cfg.refresh_jitter = Duration::ZERO;
    let mut t = TestDriver::start_with(root, cfg, source.clone()).await;
    assert_eq!(
        source.watched_connectors(),
        0,
        "nothing watched before a volume"
    );

    let (a, b) = (t.target("vol-a"), t.target("vol-b"));
    for (vol, target) in [("vol-a", &a), ("vol-b", &b)] {
        t.node
            .node_publish_volume(publish_request(
                vol,
                target,
                &[("connector.name", "k8s-a")],
                "kubelet-tok",
            ))
            .await
            .unwrap();
    }
    assert_eq!(
        source.watched_connectors(),
        1,
        "one watch shared by both volumes"
    );
    let paths = connector_paths(&api);
    assert!(!paths.is_empty());
    for p in &paths {
        assert!(
            p.starts_with("/apis/connectors.alauda.io/v1alpha1/namespaces/team/connectors?")
                && p.contains("fieldSelector=metadata.name%3Dk8s-a"),
            "only the used connector is requested, by name: {p}"
        );
    }
    assert_eq!(api.counts().get("list", "connectors"), 1, "{paths:?}");

    // A change reaches the volumes in under a second through that watch.
    let changed = Instant::now();
    api.apply(k8s_connector("team", "k8s-a", "http://c-new.team.svc"));
    for target in [&a, &b] {
        assert!(
            wait_for(Duration::from_secs(1), || std::fs::read_to_string(
                target.join("http.proxy")
            )
            .is_ok_and(|s| s.contains("c-new")))
            .await,
            "{} not refreshed within 1 s of the change",
            target.display()
        );
    }
    println!("connector change → both volumes: {:?}", changed.elapsed());

    // One volume goes: the watch stays for the other however long it is idle.
    t.node
        .node_unpublish_volume(unpublish_request("vol-a", &a))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(source.watched_connectors(), 1);

    // The last one goes: the watch stops after the idle grace.
    t.node
        .node_unpublish_volume(unpublish_request("vol-b", &b))
        .await
        .unwrap();
    assert!(
        wait_for(Duration::from_secs(5), || source.watched_connectors() == 0).await,
        "the watch outlived its last volume"
    );
    let _ = t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_recovery_watches_the_recovered_volumes_connectors() {
    if !require_root("restart_recovery_watches_the_recovered_volumes_connectors") {
        return;
    }
    let api = cluster().await;
    let opts = KubeSourceOptions {
        idle_watch_ttl: Duration::from_millis(200),
        ..Default::default()
    };
    let source = synced_source(&api, opts.clone()).await;
    let root = tempfile::tempdir().unwrap();
    let mut cfg = DriverConfig::for_root(root.path());
    cfg.refresh_jitter = Duration::ZERO;
    let mut t = TestDriver::start_with(root, cfg, source).await;
    let target = t.target("vol-r");
    t.node
        .node_publish_volume(publish_request(
            "vol-r",
            &target,
            &[("connector.name", "k8s-a")],
            "kubelet-tok",
        ))
        .await
        .unwrap();
    // "Restart": a new source and driver over the same state; nothing is unpublished.
    let cfg = t.driver.cfg.clone();
    let _root = t.stop().await;
    let _cleanup = UnmountOnDrop(cfg.kubelet_dir.clone());
    api.reset_counts();
    let source2 = synced_source(&api, opts).await;
    let d2 = Driver::new(cfg, source2.clone(), Arc::new(Metrics::new())).unwrap();
    assert_eq!(d2.recover().await.unwrap().adopted, 1);
    assert_eq!(
        source2.watched_connectors(),
        1,
        "recovery references the volume's connector"
    );
    assert!(
        wait_for(Duration::from_secs(3), || api
            .counts()
            .get("list", "connectors")
            == 1)
        .await,
        "one list of the recovered volume's connector: {:?}",
        api.counts()
    );

    // Past the idle grace the watch is still there (referenced) and still delivers changes.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(source2.watched_connectors(), 1);
    api.apply(k8s_connector(
        "team",
        "k8s-a",
        "http://c-after-restart.team.svc",
    ));
    assert!(
        wait_for(Duration::from_secs(3), || std::fs::read_to_string(
            target.join("http.proxy")
        )
        .is_ok_and(|s| s.contains("c-after-restart")))
        .await,
        "the recovered volume did not follow its connector"
    );
    d2.unpublish("vol-r", &target).await.unwrap();
    assert!(
        wait_for(Duration::from_secs(5), || source2.watched_connectors() == 0).await,
        "the watch outlived the recovered volume"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_first_publish_does_not_keep_its_connector_watched() {
    if !require_root("a_failed_first_publish_does_not_keep_its_connector_watched") {
        return;
    }
    let api = cluster().await;
    let source = synced_source(
        &api,
        KubeSourceOptions {
            idle_watch_ttl: Duration::from_millis(200),
            wait_for_connector: Duration::from_millis(200),
            ..Default::default()
        },
    )
    .await;
    let root = tempfile::tempdir().unwrap();
    let cfg = DriverConfig::for_root(root.path());
    let mut t = TestDriver::start_with(root, cfg, source.clone()).await;
    let target = t.target("vol-missing");
    let err = t
        .node
        .node_publish_volume(publish_request(
            "vol-missing",
            &target,
            &[("connector.name", "not-there")],
            "kubelet-tok",
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::NotFound, "{err:?}");
    assert!(
        wait_for(Duration::from_secs(5), || source.watched_connectors() == 0).await,
        "a connector no volume uses is not kept watched"
    );
    let _ = t.stop().await;
}
