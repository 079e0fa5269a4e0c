//! Fault injection: kill -9 of the driver process mid-publish and mid-refresh, an unavailable
//! API server, an unwritable state directory. Real tmpfs mounts: needs root (SKIP otherwise).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use connectors_csi::connector::SourceError;
use connectors_csi::csi::proto::node_client::NodeClient;
use connectors_csi::metrics::ResultLabel;
use connectors_csi::volume::state::StateStore;
use rand::Rng;
use test_support::*;
use tonic::Code;

#[derive(Debug, PartialEq, Eq)]
enum VolumeOnDisk {
    /// Mounted, state present, `..data` present, every expected file readable, and the
    /// kubeconfig rendered from the newest connector address.
    Complete,
    /// Not mounted, no state file, no target directory.
    Absent,
    Partial(String),
}

fn inspect(kubelet: &Path, store: &StateStore, vol: &str, address: &str) -> VolumeOnDisk {
    let target = kubelet_target(kubelet, vol);
    let is_mounted = mounted(&target);
    let has_state = store.path_for(vol).exists();
    if !is_mounted && !has_state {
        return if target.exists() {
            VolumeOnDisk::Partial("target directory left behind".into())
        } else {
            VolumeOnDisk::Absent
        };
    }
    if !(is_mounted && has_state) {
        return VolumeOnDisk::Partial(format!("mounted={is_mounted} state={has_state}"));
    }
    if std::fs::read_link(target.join("..data")).is_err() {
        return VolumeOnDisk::Partial("no ..data".into());
    }
    for f in DEMO_FILES {
        if let Err(e) = std::fs::read(target.join(f)) {
            return VolumeOnDisk::Partial(format!("{f}: {e}"));
        }
    }
    let kubeconfig = std::fs::read_to_string(target.join("kubeconfig")).unwrap_or_default();
    if !kubeconfig.contains(address) {
        return VolumeOnDisk::Partial(format!("kubeconfig not rendered from {address} yet"));
    }
    VolumeOnDisk::Complete
}

/// Waits until every volume is Complete or Absent; returns how many are Complete.
async fn converge(kubelet: &Path, store: &StateStore, vols: &[String], address: &str) -> usize {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let states: BTreeMap<&String, VolumeOnDisk> = vols
            .iter()
            .map(|v| (v, inspect(kubelet, store, v, address)))
            .collect();
        let partial: Vec<_> = states
            .iter()
            .filter(|(_, s)| matches!(s, VolumeOnDisk::Partial(_)))
            .collect();
        if partial.is_empty() {
            return states
                .values()
                .filter(|s| **s == VolumeOnDisk::Complete)
                .count();
        }
        assert!(
            Instant::now() < deadline,
            "volumes neither fully published nor cleanly absent 20 s after restart: {partial:?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill9_mid_publish_and_refresh_then_recovery_is_clean() {
    if !require_root("kill9_mid_publish_and_refresh_then_recovery_is_clean") {
        return;
    }
    const ITERATIONS: usize = 24;
    const MAX_VOLUMES: usize = 24;
    let root = tempfile::tempdir().unwrap();
    let kubelet = DriverProcess::kubelet_dir(root.path());
    let srcdir = DriverProcess::source_dir(root.path());
    let address = |g: usize| format!("https://api-gen-{g}.example.com:6443");
    write_example_source(&srcdir, &address(0));
    let store = StateStore::open(&DriverProcess::state_dir(root.path())).unwrap();
    let mut rng = rand::rng();
    let mut vols: Vec<String> = Vec::new();
    let mut generation = 0usize;
    let mut token_n = 0u64;
    let (mut complete_after_kill, mut absent_after_kill) = (0usize, 0usize);
    let (mut republished, mut unpublished) = (0usize, 0usize);
    let mut kills_mid_publish = 0usize;
    let started = Instant::now();

    for iteration in 0..ITERATIONS {
        let mut p = DriverProcess::spawn(root.path(), "info", &[]);
        let ch = p.ready().await;
        let node = NodeClient::new(ch.clone());

        // 1. After a kill: every volume is either fully published or cleanly absent.
        let complete = converge(&kubelet, &store, &vols, &address(generation)).await;
        complete_after_kill += complete;
        absent_after_kill += vols.len() - complete;

        // 2. A republish of each volume succeeds (a fresh publish for the absent ones).
        for v in &vols {
            token_n += 1;
            let target = kubelet_target(&kubelet, v);
            node.clone()
                .node_publish_volume(demo_publish_request(v, &target, &format!("tok-k{token_n}")))
                .await
                .unwrap_or_else(|e| panic!("republish of {v} after restart: {e:?}"));
            republished += 1;
        }
        assert_eq!(
            converge(&kubelet, &store, &vols, &address(generation)).await,
            vols.len()
        );

        // 3. Unpublish about a third: everything cleaned.
        let mut gone = Vec::new();
        for v in &vols {
            if rng.random_bool(0.33) {
                let target = kubelet_target(&kubelet, v);
                node.clone()
                    .node_unpublish_volume(unpublish_request(v, &target))
                    .await
                    .unwrap();
                assert_eq!(
                    inspect(&kubelet, &store, v, ""),
                    VolumeOnDisk::Absent,
                    "{v} after unpublish"
                );
                gone.push(v.clone());
                unpublished += 1;
            }
        }

        // 4. Fire fresh publishes (the unpublished ones and new volumes), republishes, and a
        //    connector change (refresh of every live volume); kill -9 at a random point.
        if vols.len() < MAX_VOLUMES {
            vols.push(format!("vol-k{iteration}a"));
            vols.push(format!("vol-k{iteration}b"));
        }
        let mut calls = Vec::new();
        for v in vols.clone() {
            token_n += 1;
            let target = kubelet_target(&kubelet, &v);
            let req = demo_publish_request(&v, &target, &format!("tok-k{token_n}"));
            let mut n = node.clone();
            calls.push(tokio::spawn(async move {
                let _ = n.node_publish_volume(req).await;
            }));
        }
        if rng.random_bool(0.5) {
            generation += 1;
            write_example_source(&srcdir, &address(generation));
        } else {
            kills_mid_publish += 1;
        }
        let delay = rng.random_range(0..40u64);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        p.kill9();
        for c in calls {
            let _ = c.await;
        }
        drop(node);
        drop(ch);
    }

    // Final restart: recovery, then every live volume follows a connector change.
    let mut p = DriverProcess::spawn(root.path(), "info", &[]);
    let ch = p.ready().await;
    let node = NodeClient::new(ch.clone());
    let complete = converge(&kubelet, &store, &vols, &address(generation)).await;
    complete_after_kill += complete;
    absent_after_kill += vols.len() - complete;
    assert!(complete > 0, "some volumes survived the last kill");
    generation += 1;
    write_example_source(&srcdir, &address(generation));
    let live: Vec<String> = vols
        .iter()
        .filter(|v| mounted(&kubelet_target(&kubelet, v)))
        .cloned()
        .collect();
    assert_eq!(
        converge(&kubelet, &store, &live, &address(generation)).await,
        live.len(),
        "all live volumes refresh after the restart"
    );
    for v in &vols {
        let target = kubelet_target(&kubelet, v);
        node.clone()
            .node_unpublish_volume(unpublish_request(v, &target))
            .await
            .unwrap();
        assert_eq!(inspect(&kubelet, &store, v, ""), VolumeOnDisk::Absent);
    }
    drop(node);
    drop(ch);
    assert!(p.terminate().success());
    assert!(
        our_mounts_under(&kubelet).is_empty(),
        "nothing left mounted"
    );
    assert!(state_files(&DriverProcess::state_dir(root.path())).is_empty());
    eprintln!(
        "kill -9: {ITERATIONS} kills ({kills_mid_publish} mid-publish only, {} mid-publish+refresh) in {:.1?}; after restart {complete_after_kill} volumes complete, {absent_after_kill} cleanly absent, 0 partial; {republished} republishes and {unpublished} unpublishes OK; {} live volumes refreshed after the final restart",
        ITERATIONS - kills_mid_publish,
        started.elapsed(),
        live.len()
    );
    unmount_all_under(&kubelet);
}

/// The scheduler retries a failing refresh with backoff (1 s doubling), keeps the last good
/// files, and recovers when the source answers again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_down_keeps_last_good_files_and_refresh_backs_off_then_recovers() {
    if !require_root("api_down_keeps_last_good_files_and_refresh_backs_off_then_recovers") {
        return;
    }
    let src = default_source();
    // Driver-minted tokens of 3 s: the first scheduled refresh is due after ~2.4 s.
    *src.mint_lifetime.lock().unwrap() = Some(Duration::from_secs(3));
    let root = tempfile::tempdir().unwrap();
    let mut cfg = connectors_csi::driver::DriverConfig::for_root(root.path());
    cfg.refresh_jitter = Duration::ZERO;
    let t = TestDriver::start_with(root, cfg, src.clone()).await;
    let target = t.target("vol-down");
    let mut req = publish_request(
        "vol-down",
        &target,
        &[("connector.name", "k8s-a")],
        "unused",
    );
    req.secrets.clear();
    t.node.clone().node_publish_volume(req).await.unwrap();
    let before = read_all(&target);
    let first_token = before["context.token"].clone();
    assert!(first_token.starts_with(b"minted-"));

    src.fail_with(Some(SourceError::Unavailable(
        "API server down (test)".into(),
    )));
    let errors = || {
        t.driver
            .metrics
            .refresh_total
            .get_or_create(&ResultLabel {
                result: "error".into(),
            })
            .get()
    };
    let down_at = Instant::now();
    let mut seen = Vec::new();
    let mut last = errors();
    while down_at.elapsed() < Duration::from_secs(8) {
        let now = errors();
        if now != last {
            seen.push(down_at.elapsed());
            last = now;
        }
        assert_eq!(
            read_all(&target),
            before,
            "last good files stay while the API is down"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    src.fail_with(None);
    let back_at = Instant::now();
    let deadline = back_at + Duration::from_secs(15);
    while std::fs::read(target.join("context.token")).unwrap() == first_token {
        assert!(
            Instant::now() < deadline,
            "refresh did not recover after the API returned"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let recovered_after = back_at.elapsed();
    let gaps: Vec<f64> = seen
        .windows(2)
        .map(|w| (w[1] - w[0]).as_secs_f64())
        .collect();
    eprintln!(
        "API down 8 s: failed attempts at {:?} (gaps {gaps:.2?} s); recovered {recovered_after:.2?} after the API returned",
        seen.iter().map(|d| format!("{:.2}", d.as_secs_f64())).collect::<Vec<_>>()
    );
    assert!(
        (3..=5).contains(&seen.len()),
        "attempts are spaced out, not a hot loop: {seen:?}"
    );
    assert!(
        gaps[0] >= 0.7 && gaps[0] <= 1.6,
        "first retry after ~1 s: {gaps:?}"
    );
    assert!(gaps[1] >= 1.5 * 0.95, "backoff doubles: {gaps:?}");
    assert!(gaps[1] > gaps[0] * 1.3, "backoff doubles: {gaps:?}");
    assert!(recovered_after < Duration::from_secs(10));
    let after = read_all(&target);
    assert_ne!(
        after["context.token"], first_token,
        "a new token was minted"
    );
    t.node
        .clone()
        .node_unpublish_volume(unpublish_request("vol-down", &target))
        .await
        .unwrap();
    t.stop().await;
}

fn read_all(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    connectors_csi::volume::atomic::read_payload(dir).unwrap()
}

/// A connector change whose re-render fails (API blip) is retried, not left for the next
/// token refresh (which can be most of an hour away).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_rerender_after_a_connector_change_is_retried() {
    if !require_root("failed_rerender_after_a_connector_change_is_retried") {
        return;
    }
    let src = default_source();
    let t = TestDriver::start(src.clone()).await;
    let target = t.target("vol-chg2");
    t.node
        .clone()
        .node_publish_volume(publish_request(
            "vol-chg2",
            &target,
            &[
                ("connector.name", "k8s-a"),
                ("configuration.names", "kubeconfig"),
            ],
            "tok-1h",
        ))
        .await
        .unwrap();
    src.fail_with(Some(SourceError::Unavailable("API blip (test)".into())));
    src.set(|s| {
        s.insert_connector(connector(
            "team",
            "k8s-a",
            "https://moved.example.com:6443",
            "http://c-k8s-a.team.svc.cluster.local",
        ))
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!std::fs::read_to_string(target.join("kubeconfig"))
        .unwrap()
        .contains("moved.example.com"));
    src.fail_with(None);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !std::fs::read_to_string(target.join("kubeconfig"))
        .unwrap()
        .contains("moved.example.com")
    {
        assert!(
            Instant::now() < deadline,
            "the change was not applied after the source recovered"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    t.node
        .clone()
        .node_unpublish_volume(unpublish_request("vol-chg2", &target))
        .await
        .unwrap();
    t.stop().await;
}

fn remount(path: &Path, readonly: bool) {
    use nix::mount::{mount, MsFlags};
    let mut flags = MsFlags::MS_REMOUNT;
    if readonly {
        flags |= MsFlags::MS_RDONLY;
    }
    mount(None::<&str>, path, None::<&str>, flags, None::<&str>).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_state_dir_fails_publish_clearly_and_mounts_nothing() {
    if !require_root("read_only_state_dir_fails_publish_clearly_and_mounts_nothing") {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let state: PathBuf = root.path().join("state");
    mount_test_tmpfs(&state, 1024 * 1024);
    let _cleanup = UnmountOnDrop(root.path().to_path_buf());
    let cfg = connectors_csi::driver::DriverConfig::for_root(root.path());
    let t = TestDriver::start_with(root, cfg, default_source()).await;
    remount(&state, true);
    let target = t.target("vol-ro");
    let req = publish_request("vol-ro", &target, &[("connector.name", "k8s-a")], "tok-ro");
    let err = t
        .node
        .clone()
        .node_publish_volume(req.clone())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Internal, "{}", err.message());
    assert!(
        err.message().contains("state directory")
            && err.message().contains("Read-only file system"),
        "{}",
        err.message()
    );
    assert!(!err.message().contains("tok-ro"));
    assert!(
        our_mounts_under(&t.kubelet_dir()).is_empty(),
        "nothing mounted"
    );
    assert!(!target.exists());
    // Writable again: the same publish works.
    remount(&state, false);
    t.node.clone().node_publish_volume(req).await.unwrap();
    t.node
        .clone()
        .node_unpublish_volume(unpublish_request("vol-ro", &target))
        .await
        .unwrap();
    t.stop().await;
    let _ = connectors_csi::volume::mount::unmount_ours(&state);
}

#[test]
fn state_dir_that_is_a_file_stops_the_driver_with_a_clear_error() {
    let root = tempfile::tempdir().unwrap();
    write_example_source(
        &DriverProcess::source_dir(root.path()),
        "https://x.example.com",
    );
    std::fs::write(DriverProcess::state_dir(root.path()), "not a directory").unwrap();
    let mut p = DriverProcess::spawn(root.path(), "info", &[]);
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = p.child.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "driver kept running with a bad state dir"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(!status.success());
    let log = std::fs::read_to_string(&p.log).unwrap();
    assert!(
        log.contains("state directory") && log.contains("must be writable"),
        "{log}"
    );
    assert!(!p.socket.exists(), "never served");
}
