//! Where the per-volume state lives: the upgrade migration out of the old disk-backed state
//! directory, and the restarts a tmpfs state directory brings (after a node reboot both the
//! state and the mounts are gone). Real tmpfs mounts: needs root (SKIP otherwise).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use connectors_csi::connector::memory::MemorySource;
use connectors_csi::csi::proto::node_client::NodeClient;
use connectors_csi::driver::{Driver, DriverConfig};
use connectors_csi::metrics::Metrics;
use test_support::*;

/// Publishes `vols` on a fresh driver with `cfg`, stops it (a crash: nothing unpublished) and
/// returns the driver's directory and the targets.
async fn publish_then_stop(
    src: Arc<MemorySource>,
    cfg: impl FnOnce(&Path) -> DriverConfig,
    vols: &[&str],
) -> (tempfile::TempDir, Vec<PathBuf>) {
    let root = tempfile::tempdir().unwrap();
    let mut c = cfg(root.path());
    c.refresh_jitter = Duration::ZERO;
    let t = TestDriver::start_with(root, c, src).await;
    let mut targets = Vec::new();
    for v in vols {
        let target = t.target(v);
        t.node
            .clone()
            .node_publish_volume(publish_request(
                v,
                &target,
                &[("connector.name", "k8s-a")],
                &format!("tok-{v}"),
            ))
            .await
            .unwrap();
        assert!(mounted(&target));
        targets.push(target);
    }
    (t.stop().await, targets)
}

/// What a reboot does to the node: every tmpfs (the volumes' and `/run`'s) is gone; the
/// kubelet's target directories, on disk, stay.
fn reboot(kubelet: &Path) {
    unmount_all_under(kubelet);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_moves_state_from_the_old_dir_and_adopts_the_volumes_still_mounted() {
    if !require_root("upgrade_moves_state_from_the_old_dir_and_adopts_the_volumes_still_mounted") {
        return;
    }
    let src = default_source();
    // The previous release kept its state on disk (here: <root>/old-state).
    let (root, targets) = publish_then_stop(
        src.clone(),
        |r| {
            let mut c = DriverConfig::for_root(r);
            c.state_dir = r.join("old-state");
            c
        },
        &["vol-a", "vol-b"],
    )
    .await;
    let mut cfg = DriverConfig::for_root(root.path());
    cfg.refresh_jitter = Duration::ZERO;
    cfg.legacy_state_dir = Some(root.path().join("old-state"));
    let _cleanup = UnmountOnDrop(cfg.kubelet_dir.clone());
    // While the driver was being upgraded kubelet unmounted vol-b (its pod went away).
    connectors_csi::volume::mount::unmount_ours(&targets[1]).unwrap();

    let d = Driver::new(cfg.clone(), src.clone(), Arc::new(Metrics::new())).unwrap();
    let report = d.recover().await.unwrap();
    assert_eq!(report.migrated, 2, "{report:?}");
    assert_eq!(report.adopted, 1, "the volume still mounted: {report:?}");
    assert_eq!(
        report.removed, 1,
        "the volume no longer mounted: {report:?}"
    );
    assert_eq!(
        report.orphans_unmounted, 0,
        "a migrated volume is no orphan"
    );
    assert!(mounted(&targets[0]));
    assert_eq!(state_files(&cfg.state_dir).len(), 1);
    assert!(
        state_files(&root.path().join("old-state")).is_empty(),
        "the old directory is emptied"
    );
    // The adopted volume is the driver's as before: refreshed with its last kubelet token…
    src.set(|s| {
        s.insert_connector(connector(
            "team",
            "k8s-a",
            "https://api.example.com",
            "http://c-new.team.svc",
        ))
    });
    let t0 = Instant::now();
    while !std::fs::read_to_string(targets[0].join("http.proxy"))
        .unwrap_or_default()
        .contains("c-new")
    {
        assert!(t0.elapsed() < Duration::from_secs(15), "not refreshed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        std::fs::read_to_string(targets[0].join("context.token")).unwrap(),
        "tok-vol-a"
    );
    // …and unpublished cleanly, leaving no state in either directory.
    d.unpublish("vol-a", &targets[0]).await.unwrap();
    assert!(!mounted(&targets[0]));
    assert!(state_files(&cfg.state_dir).is_empty());
    // A second start has nothing left to migrate.
    let d2 = Driver::new(cfg.clone(), src, Arc::new(Metrics::new())).unwrap();
    assert_eq!(
        d2.recover().await.unwrap(),
        connectors_csi::driver::RecoveryReport::default()
    );
    assert_no_mounts_under(root.path());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_after_a_node_reboot_adopts_nothing_and_leaves_nothing() {
    if !require_root("restart_after_a_node_reboot_adopts_nothing_and_leaves_nothing") {
        return;
    }
    let src = default_source();
    let (root, targets) = publish_then_stop(
        src.clone(),
        |r| DriverConfig::for_root(r),
        &["vol-a", "vol-b"],
    )
    .await;
    let mut cfg = DriverConfig::for_root(root.path());
    cfg.refresh_jitter = Duration::ZERO;
    let _cleanup = UnmountOnDrop(cfg.kubelet_dir.clone());
    // The reboot: no mounts, and the state directory (a tmpfs under /run) is gone; the
    // DaemonSet's hostPath (DirectoryOrCreate) brings it back empty.
    reboot(&cfg.kubelet_dir);
    std::fs::remove_dir_all(&cfg.state_dir).unwrap();

    let d = Driver::new(cfg.clone(), src.clone(), Arc::new(Metrics::new())).unwrap();
    let report = d.recover().await.unwrap();
    assert_eq!(
        report,
        connectors_csi::driver::RecoveryReport::default(),
        "nothing adopted, nothing to clean"
    );
    assert_eq!(d.volume_count(), 0);
    assert!(state_files(&cfg.state_dir).is_empty(), "no stale state");
    assert!(
        our_mounts_under(&cfg.kubelet_dir).is_empty(),
        "no stale mounts"
    );
    // kubelet publishes the volumes of the restarted pods afresh, into the same target paths.
    let socket = root.path().join("csi-after-reboot.sock");
    let listener = connectors_csi::csi::server::bind(&socket).unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn({
        let d = d.clone();
        let socket = socket.clone();
        async move {
            connectors_csi::csi::server::serve(d, listener, &socket, async {
                let _ = rx.await;
            })
            .await
            .unwrap()
        }
    });
    let node = NodeClient::new(connectors_csi::csi::server::connect(&socket).await.unwrap());
    for (v, target) in ["vol-a", "vol-b"].iter().zip(&targets) {
        node.clone()
            .node_publish_volume(publish_request(
                v,
                target,
                &[("connector.name", "k8s-a")],
                "tok-after-reboot",
            ))
            .await
            .unwrap();
        assert_eq!(
            std::fs::read_to_string(target.join("context.token")).unwrap(),
            "tok-after-reboot"
        );
        node.clone()
            .node_unpublish_volume(unpublish_request(v, target))
            .await
            .unwrap();
    }
    let _ = tx.send(());
    server.await.unwrap();
    assert!(state_files(&cfg.state_dir).is_empty());
    assert_no_mounts_under(root.path());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_that_outlived_its_mounts_is_removed_at_restart() {
    if !require_root("state_that_outlived_its_mounts_is_removed_at_restart") {
        return;
    }
    // A state directory on disk (a custom stateDir, or the old default mid-upgrade) outlives a
    // reboot; its entries describe mounts that are gone.
    for legacy in [false, true] {
        let src = default_source();
        let (root, targets) = publish_then_stop(
            src.clone(),
            |r| {
                let mut c = DriverConfig::for_root(r);
                if legacy {
                    c.state_dir = r.join("old-state");
                }
                c
            },
            &["vol-a", "vol-b"],
        )
        .await;
        let mut cfg = DriverConfig::for_root(root.path());
        cfg.refresh_jitter = Duration::ZERO;
        if legacy {
            cfg.legacy_state_dir = Some(root.path().join("old-state"));
        }
        let _cleanup = UnmountOnDrop(cfg.kubelet_dir.clone());
        reboot(&cfg.kubelet_dir);

        let d = Driver::new(cfg.clone(), src, Arc::new(Metrics::new())).unwrap();
        let report = d.recover().await.unwrap();
        assert_eq!(report.adopted, 0, "legacy={legacy}: {report:?}");
        assert_eq!(report.removed, 2, "legacy={legacy}: {report:?}");
        assert_eq!(report.migrated, if legacy { 2 } else { 0 });
        assert!(state_files(&cfg.state_dir).is_empty(), "legacy={legacy}");
        assert!(state_files(&root.path().join("old-state")).is_empty());
        for t in &targets {
            assert!(
                !t.exists(),
                "legacy={legacy}: empty target {} removed",
                t.display()
            );
        }
        assert_no_mounts_under(root.path());
    }
}

/// The real binary: an old release's state (same format, in its directory) is picked up by the
/// new release after a kill -9, with the log line that says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill9_then_upgraded_process_migrates_and_keeps_refreshing() {
    if !require_root("kill9_then_upgraded_process_migrates_and_keeps_refreshing") {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let kubelet = DriverProcess::kubelet_dir(root.path());
    let srcdir = DriverProcess::source_dir(root.path());
    write_example_source(&srcdir, "https://api-gen-0.example.com:6443");
    let _cleanup = UnmountOnDrop(kubelet.clone());
    let target = kubelet_target(&kubelet, "vol-up");
    {
        let mut p = DriverProcess::spawn(root.path(), "info", &[]);
        let node = NodeClient::new(p.ready().await);
        node.clone()
            .node_publish_volume(demo_publish_request("vol-up", &target, "tok-up"))
            .await
            .unwrap();
        p.kill9();
    }
    // The old release wrote the same files into its own directory.
    let old = DriverProcess::legacy_state_dir(root.path());
    std::fs::create_dir_all(&old).unwrap();
    std::fs::rename(
        DriverProcess::state_dir(root.path()).join("volumes"),
        old.join("volumes"),
    )
    .unwrap();

    let mut p = DriverProcess::spawn(root.path(), "info", &["--log-format", "json"]);
    let node = NodeClient::new(p.ready().await);
    let log = std::fs::read_to_string(&p.log).unwrap();
    assert!(
        log.contains("moved per-volume state from the old state directory")
            && log.contains(r#""moved":1"#),
        "{log}"
    );
    assert_eq!(state_files(&DriverProcess::state_dir(root.path())).len(), 1);
    assert!(state_files(&old).is_empty());
    write_example_source(&srcdir, "https://api-gen-1.example.com:6443");
    let t0 = Instant::now();
    while !std::fs::read_to_string(target.join("kubeconfig"))
        .unwrap_or_default()
        .contains("api-gen-1")
    {
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "adopted volume not refreshed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    node.clone()
        .node_unpublish_volume(unpublish_request("vol-up", &target))
        .await
        .unwrap();
    assert!(p.terminate().success());
    assert!(state_files(&DriverProcess::state_dir(root.path())).is_empty());
    assert!(our_mounts_under(&kubelet).is_empty());
}
