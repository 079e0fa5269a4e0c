//! The per-volume state across versions and crashes: volumes published by the previous state
//! format (no mount stamp) are re-adopted and migrated, unpublish trusts the recorded mount
//! stamp only for the very mount it recorded, and a publish saves its state exactly once.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use connectors_csi::driver::{Driver, DriverConfig};
use connectors_csi::metrics::Metrics;
use connectors_csi::volume::mount;
use test_support::*;

/// The keys of a state file as written before mount stamps existed (the previous format).
const PREVIOUS_FORMAT_KEYS: &[&str] = &[
    "attributes",
    "capability",
    "file_mode",
    "files",
    "next_refresh",
    "pod",
    "readonly",
    "rendered_at",
    "target_path",
    "token",
    "token_origin",
    "volume_id",
    "volume_mount_group",
];

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

async fn start(src: Arc<connectors_csi::connector::memory::MemorySource>) -> TestDriver {
    let root = tempfile::tempdir().unwrap();
    let mut cfg = DriverConfig::for_root(root.path());
    cfg.refresh_jitter = Duration::ZERO;
    TestDriver::start_with(root, cfg, src).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn volumes_of_the_previous_state_format_are_readopted_and_migrated() {
    if !require_root("volumes_of_the_previous_state_format_are_readopted_and_migrated") {
        return;
    }
    let src = default_source();
    let t = start(src.clone()).await;
    let mut vols = Vec::new();
    for i in 0..3 {
        let vol = format!("vol-old{i}");
        let target = t.target(&vol);
        t.node
            .clone()
            .node_publish_volume(publish_request(
                &vol,
                &target,
                &[("connector.name", "k8s-a")],
                &format!("tok-{i}"),
            ))
            .await
            .unwrap();
        vols.push((vol, target));
    }
    let cfg = t.driver.cfg.clone();
    let root = t.stop().await;
    let _cleanup = UnmountOnDrop(cfg.kubelet_dir.clone());

    // Rewrite every state file as the previous version wrote it: the same fields, no stamp.
    for (path, mut j) in state_json(&cfg.state_dir) {
        let obj = j.as_object_mut().unwrap();
        assert!(obj.contains_key("mount"), "this version records the stamp");
        obj.remove("mount");
        let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(keys, PREVIOUS_FORMAT_KEYS);
        std::fs::write(&path, serde_json::to_vec(&j).unwrap()).unwrap();
    }

    let d2 = Driver::new(cfg.clone(), src.clone(), Arc::new(Metrics::new())).unwrap();
    let report = d2.recover().await.unwrap();
    assert_eq!(report.adopted, 3, "{report:?}");
    assert_eq!(report.migrated, 3, "{report:?}");
    assert_eq!(report.orphans_unmounted, 0, "{report:?}");
    // The migrated states carry the stamp of the very tmpfs at each target.
    for (_, j) in state_json(&cfg.state_dir) {
        let target = Path::new(j["target_path"].as_str().unwrap()).to_path_buf();
        let stamp: mount::MountStamp = serde_json::from_value(j["mount"].clone()).unwrap();
        assert_eq!(mount::mount_stamp(&target), Some(stamp));
        assert_eq!(mount::check_stamp(&target, &stamp), mount::StampCheck::Ours);
    }
    // The adopted volumes keep their tokens and are unpublished cleanly.
    assert_eq!(
        std::fs::read_to_string(vols[1].1.join("context.token")).unwrap(),
        "tok-1"
    );
    for (vol, target) in &vols {
        d2.unpublish(vol, target).await.unwrap();
        assert!(!mounted(target));
        assert!(!target.exists());
    }
    assert!(state_files(&cfg.state_dir).is_empty());
    drop(root);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unpublish_leaves_a_foreign_mount_that_replaced_ours_alone() {
    if !require_root("unpublish_leaves_a_foreign_mount_that_replaced_ours_alone") {
        return;
    }
    let t = start(default_source()).await;
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
async fn a_publish_saves_its_state_once_after_the_files_are_in_place() {
    if !require_root("a_publish_saves_its_state_once_after_the_files_are_in_place") {
        return;
    }
    let t = start(default_source()).await;
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
    // The one save already describes the finished volume: files, token and the tmpfs stamp.
    let (_, j) = state_json(&t.driver.cfg.state_dir).remove(0);
    assert!(!j["files"].as_array().unwrap().is_empty());
    assert!(j["token"].is_object());
    let stamp: mount::MountStamp = serde_json::from_value(j["mount"].clone()).unwrap();
    assert_eq!(mount::check_stamp(&target, &stamp), mount::StampCheck::Ours);
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
    let t = start(src.clone()).await;
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
    assert_eq!(after["mount"], first["mount"]);
    t.node
        .clone()
        .node_unpublish_volume(unpublish_request("vol-s", &target))
        .await
        .unwrap();
    t.stop().await;
}
