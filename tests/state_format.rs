//! The per-volume state across versions and crashes: volumes published by the previous version
//! are re-adopted from its state files, unpublish trusts the mount stamp only for the very mount
//! it took, a publish saves its state exactly once, and a re-render writes no state.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use connectors_csi::driver::Driver;
use connectors_csi::metrics::Metrics;
use connectors_csi::volume::mount;
use test_support::*;

/// A state file exactly as the previous release wrote it (before mount stamps were taken),
/// with `@TARGET@`, `@TOKEN@` and `@EXP@` filled in by the test.
const PREVIOUS_VERSION_STATE: &str = r#"{"volume_id":"vol-old","target_path":"@TARGET@","readonly":true,"capability":"mount;fs=;flags=;mode=1","volume_mount_group":null,"attributes":{"connector.name":"k8s-a","csi.storage.k8s.io/ephemeral":"true","csi.storage.k8s.io/pod.name":"pod-vol-old","csi.storage.k8s.io/pod.namespace":"team","csi.storage.k8s.io/pod.uid":"uid-vol-old","csi.storage.k8s.io/serviceAccount.name":"builder"},"pod":{"namespace":"team","name":"pod-vol-old","uid":"uid-vol-old","service_account":"builder"},"file_mode":288,"files":[".env","ca.crt","connector.status.proxyAddress","context.proxy.caCert","context.token","http.proxy","https.proxy"],"token":{"value":"@TOKEN@","issued_at":"2026-11-30T11:12:26.984439824Z","expires_at":"@EXP@"},"token_origin":"kubelet","rendered_at":"2026-11-30T11:12:26.990440961Z","next_refresh":"2026-11-30T12:00:26.982852847Z"}"#;

fn state_json(state_dir: &Path) -> Vec<(std::path::PathBuf, serde_json::Value)> {
    let mut v: Vec<_> = state_files(state_dir)
        .into_iter()
        .map(|p| {
            let j = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
            (p, j)
        })
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_volume_published_by_the_previous_version_is_readopted() {
    if !require_root("a_volume_published_by_the_previous_version_is_readopted") {
        return;
    }
    let src = default_source();
    let t = TestDriver::start_without_jitter(src.clone()).await;
    let target = t.target("vol-old");
    // A real tmpfs of ours at the target, as the previous version left it.
    t.node
        .clone()
        .node_publish_volume(publish_request(
            "vol-old",
            &target,
            &[("connector.name", "k8s-a")],
            "tok-new-version",
        ))
        .await
        .unwrap();
    let cfg = t.driver.cfg.clone();
    let root = t.stop().await;
    let _cleanup = UnmountOnDrop(cfg.kubelet_dir.clone());
    // Its state file is the previous version's, holding the previous version's token.
    let (path, current) = state_json(&cfg.state_dir).remove(0);
    let previous: serde_json::Value = serde_json::from_str(PREVIOUS_VERSION_STATE).unwrap();
    let keys = |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        keys(&current),
        keys(&previous),
        "the state format is unchanged"
    );
    let exp = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1)).to_string();
    std::fs::write(
        &path,
        PREVIOUS_VERSION_STATE
            .replace("@TARGET@", target.to_str().unwrap())
            .replace("@TOKEN@", "tok-from-previous-version")
            .replace("@EXP@", &exp),
    )
    .unwrap();

    let d2 = Driver::new(cfg.clone(), src.clone(), Arc::new(Metrics::new())).unwrap();
    let report = d2.recover().await.unwrap();
    assert_eq!(report.adopted, 1, "{report:?}");
    assert_eq!(report.orphans_unmounted, 0, "{report:?}");
    // Recovery re-renders the volume with the token the previous version stored.
    let t0 = std::time::Instant::now();
    while std::fs::read_to_string(target.join("context.token")).unwrap()
        != "tok-from-previous-version"
    {
        assert!(t0.elapsed() < Duration::from_secs(10), "not re-rendered");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    d2.unpublish("vol-old", &target).await.unwrap();
    assert!(!mounted(&target));
    assert!(!target.exists());
    assert!(state_files(&cfg.state_dir).is_empty());
    drop(root);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unpublish_leaves_a_foreign_mount_that_replaced_ours_alone() {
    if !require_root("unpublish_leaves_a_foreign_mount_that_replaced_ours_alone") {
        return;
    }
    let t = TestDriver::start_without_jitter(default_source()).await;
    let _cleanup = UnmountOnDrop(t.driver.cfg.kubelet_dir.clone());
    let target = t.target("vol-f");
    t.node
        .clone()
        .node_publish_volume(publish_request(
            "vol-f",
            &target,
            &[("connector.name", "k8s-a")],
            "tok",
        ))
        .await
        .unwrap();
    // Someone else unmounts our tmpfs and mounts their own tmpfs at the same path.
    mount::unmount_ours(&target).unwrap();
    nix::mount::mount(
        Some("someone-else"),
        &target,
        Some("tmpfs"),
        nix::mount::MsFlags::empty(),
        Some("size=64k"),
    )
    .unwrap();
    std::fs::write(target.join("theirs"), "keep me").unwrap();
    let err = t
        .node
        .clone()
        .node_unpublish_volume(unpublish_request("vol-f", &target))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::FailedPrecondition, "{err:?}");
    assert!(
        err.message().contains("did not create"),
        "{}",
        err.message()
    );
    assert_eq!(
        std::fs::read_to_string(target.join("theirs")).unwrap(),
        "keep me",
        "the foreign mount is untouched"
    );
    nix::mount::umount2(&target, nix::mount::MntFlags::MNT_DETACH).unwrap();
    // With the foreign mount gone, kubelet's retry completes.
    t.node
        .clone()
        .node_unpublish_volume(unpublish_request("vol-f", &target))
        .await
        .unwrap();
    assert!(!target.exists());
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_saves_its_state_once() {
    if !require_root("a_publish_saves_its_state_once") {
        return;
    }
    let t = TestDriver::start_without_jitter(default_source()).await;
    let _cleanup = UnmountOnDrop(t.driver.cfg.kubelet_dir.clone());
    let volumes = t.driver.cfg.state_dir.join("volumes");
    let mut ino = inotify::Inotify::init().unwrap();
    ino.watches()
        .add(&volumes, inotify::WatchMask::MOVED_TO)
        .unwrap();
    let target = t.target("vol-once");
    t.node
        .clone()
        .node_publish_volume(publish_request(
            "vol-once",
            &target,
            &[("connector.name", "k8s-a")],
            "tok",
        ))
        .await
        .unwrap();
    let mut buf = [0u8; 4096];
    let saves = ino
        .read_events(&mut buf)
        .map(|evs| evs.count())
        .unwrap_or(0);
    assert_eq!(saves, 1, "one state save per publish");
    // The one save already describes the finished volume: its files and token.
    let (_, j) = state_json(&t.driver.cfg.state_dir).remove(0);
    assert!(!j["files"].as_array().unwrap().is_empty());
    assert!(j["token"].is_object());
    t.node
        .clone()
        .node_unpublish_volume(unpublish_request("vol-once", &target))
        .await
        .unwrap();
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_state_is_rewritten_for_a_new_token_but_not_for_a_re_render() {
    if !require_root("the_state_is_rewritten_for_a_new_token_but_not_for_a_re_render") {
        return;
    }
    let src = default_source();
    let t = TestDriver::start_without_jitter(src.clone()).await;
    let _cleanup = UnmountOnDrop(t.driver.cfg.kubelet_dir.clone());
    let target = t.target("vol-s");
    let attrs = &[("connector.name", "k8s-a")];
    t.node
        .clone()
        .node_publish_volume(publish_request("vol-s", &target, attrs, "tok-1"))
        .await
        .unwrap();
    let (path, first) = state_json(&t.driver.cfg.state_dir).remove(0);
    let before = std::fs::read(&path).unwrap();
    assert_eq!(first["token"]["value"], "tok-1");

    // A connector change re-renders the files with the same token: no state write.
    src.set(|s| {
        s.insert_connector(connector(
            "team",
            "k8s-a",
            "https://api.example.com",
            "http://c-new.team.svc",
        ))
    });
    let t0 = std::time::Instant::now();
    while !std::fs::read_to_string(target.join("http.proxy"))
        .unwrap()
        .contains("c-new")
    {
        assert!(t0.elapsed() < Duration::from_secs(10), "not re-rendered");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(std::fs::read(&path).unwrap(), before, "state untouched");

    // Kubelet's republish brings a new token: saved, so a restarted driver renders with it.
    t.node
        .clone()
        .node_publish_volume(publish_request("vol-s", &target, attrs, "tok-2"))
        .await
        .unwrap();
    let (_, after) = state_json(&t.driver.cfg.state_dir).remove(0);
    assert_eq!(after["token"]["value"], "tok-2");
    t.node
        .clone()
        .node_unpublish_volume(unpublish_request("vol-s", &target))
        .await
        .unwrap();
    t.stop().await;
}
