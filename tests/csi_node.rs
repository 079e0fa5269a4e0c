//! Integration tests: the real gRPC server on a unix socket, real tmpfs mounts (root only).

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::time::Duration;

use connectors_csi::connector::types::Condition;
use connectors_csi::connector::{ObjectKey, SourceError};
use test_support::*;
use tonic::Code;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_republish_unpublish_lifecycle() {
    if !require_root("publish_republish_unpublish_lifecycle") {
        return;
    }
    let mut t = TestDriver::start(default_source()).await;
    let target = t.target("vol-1");
    let req = publish_request("vol-1", &target, &[("connector.name", "k8s-a")], "tok-1");
    t.node.node_publish_volume(req.clone()).await.unwrap();

    assert!(mounted(&target), "tmpfs mounted at the target");
    let token_file = target.join("context.token");
    assert_eq!(std::fs::read_to_string(&token_file).unwrap(), "tok-1");
    let meta = std::fs::metadata(&token_file).unwrap();
    assert_eq!(
        meta.mode() & 0o777,
        0o444,
        "files default to 0444 without an fsGroup"
    );
    assert_eq!(meta.uid(), 0);
    assert_eq!(
        std::fs::metadata(&target).unwrap().mode() & 0o777,
        0o755,
        "volume root 0755 when the files are world-readable"
    );
    assert!(
        std::fs::read_link(target.join("..data")).is_ok(),
        "kubelet atomic layout"
    );
    let opts = connectors_csi::volume::mount::mount_table()
        .unwrap()
        .into_iter()
        .find(|m| m.mount_point == target)
        .unwrap();
    assert_eq!(opts.fs_type, "tmpfs");
    let mi = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let line = mi
        .lines()
        .find(|l| l.contains(target.to_str().unwrap()))
        .unwrap();
    for flag in ["nosuid", "nodev", "noexec"] {
        assert!(line.contains(flag), "{flag} missing in {line}");
    }

    // Republish (kubelet's periodic call) with a fresh token: OK, same mount, new token.
    let mut again = publish_request("vol-1", &target, &[("connector.name", "k8s-a")], "tok-2");
    again.volume_context = req.volume_context.clone();
    t.node.node_publish_volume(again).await.unwrap();
    assert_eq!(std::fs::read_to_string(&token_file).unwrap(), "tok-2");
    let mounts = connectors_csi::volume::mount::mount_table().unwrap();
    assert_eq!(
        mounts.iter().filter(|m| m.mount_point == target).count(),
        1,
        "no stacked mount"
    );

    t.node
        .node_unpublish_volume(unpublish_request("vol-1", &target))
        .await
        .unwrap();
    assert!(!mounted(&target));
    assert!(!target.exists(), "target dir removed");
    // Double unpublish and unknown volumes are OK (kubelet retries NOT_FOUND forever).
    t.node
        .node_unpublish_volume(unpublish_request("vol-1", &target))
        .await
        .unwrap();
    t.node
        .node_unpublish_volume(unpublish_request("never", &t.target("never")))
        .await
        .unwrap();
    assert_eq!(t.driver.volume_count(), 0);
    let state_files = std::fs::read_dir(t.driver.cfg.state_dir.join("volumes"))
        .unwrap()
        .count();
    assert_eq!(state_files, 0, "state removed");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn volume_mount_group_and_file_mode() {
    if !require_root("volume_mount_group_and_file_mode") {
        return;
    }
    let mut t = TestDriver::start(default_source()).await;
    let target = t.target("vol-g");
    let mut req = publish_request(
        "vol-g",
        &target,
        &[("connector.name", "k8s-a"), ("file.mode", "0400")],
        "tok",
    );
    req.volume_capability = Some(mount_capability(Some(2000)));
    t.node.node_publish_volume(req).await.unwrap();
    let meta = std::fs::metadata(target.join("context.token")).unwrap();
    assert_eq!(meta.gid(), 2000, "group from volume_mount_group");
    assert_eq!(meta.mode() & 0o777, 0o400);
    assert_eq!(
        std::fs::metadata(&target).unwrap().gid(),
        2000,
        "tmpfs root group"
    );
    t.node
        .node_unpublish_volume(unpublish_request("vol-g", &target))
        .await
        .unwrap();
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_publish_rules_follow_the_csi_spec() {
    if !require_root("second_publish_rules_follow_the_csi_spec") {
        return;
    }
    let mut t = TestDriver::start(default_source()).await;
    let target = t.target("vol-2");
    let req = publish_request("vol-2", &target, &[("connector.name", "k8s-a")], "tok");
    t.node.node_publish_volume(req.clone()).await.unwrap();

    // Same volume, different target → FAILED_PRECONDITION.
    let other = t.target("vol-2-other");
    let mut r = req.clone();
    r.target_path = other.to_string_lossy().into_owned();
    let err = t.node.node_publish_volume(r).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    assert!(!mounted(&other));

    // Same target, different capability → ALREADY_EXISTS.
    let mut r = req.clone();
    if let Some(connectors_csi::csi::proto::volume_capability::AccessType::Mount(m)) =
        r.volume_capability.as_mut().unwrap().access_type.as_mut()
    {
        m.mount_flags = vec!["ro".into()];
    }
    let err = t.node.node_publish_volume(r).await.unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists, "{err:?}");
    assert!(mounted(&target), "existing mount untouched");
    t.node
        .node_unpublish_volume(unpublish_request("vol-2", &target))
        .await
        .unwrap();
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_inputs_get_the_right_code_and_leave_nothing_mounted() {
    if !require_root("bad_inputs_get_the_right_code_and_leave_nothing_mounted") {
        return;
    }
    let src = default_source();
    src.set(|s| {
        let mut c = connector("team", "not-ready", "https://x", "http://p");
        c.status.as_mut().unwrap().conditions = vec![Condition {
            type_: "Ready".into(),
            status: "False".into(),
            reason: Some("SecretNotFound".into()),
            ..Default::default()
        }];
        s.insert_connector(c);
        let mut c = connector("team", "no-class", "https://x", "http://p");
        c.spec.connector_class_name = "ghost".into();
        s.insert_connector(c);
        s.insert_connector(connector("elsewhere", "private", "https://x", "http://p"));
    });
    let mut t = TestDriver::start(src.clone()).await;
    let target = t.target("vol-bad");
    let base = publish_request(
        "vol-bad",
        &target,
        &[("connector.name", "k8s-a")],
        "tok-SECRETVALUE",
    );
    type Edit = Box<dyn Fn(&mut connectors_csi::csi::proto::NodePublishVolumeRequest)>;
    let set = |k: &'static str, v: &'static str| -> Edit {
        Box::new(move |r| {
            r.volume_context.insert(k.into(), v.into());
        })
    };
    let cases: Vec<(&str, Edit, Code, &str)> = vec![
        (
            "no volume id",
            Box::new(|r| r.volume_id.clear()),
            Code::InvalidArgument,
            "volume_id",
        ),
        (
            "no target",
            Box::new(|r| r.target_path.clear()),
            Code::InvalidArgument,
            "target_path",
        ),
        (
            "no capability",
            Box::new(|r| r.volume_capability = None),
            Code::InvalidArgument,
            "volume_capability",
        ),
        (
            "not readonly",
            Box::new(|r| r.readonly = false),
            Code::InvalidArgument,
            "readOnly: true",
        ),
        (
            "block",
            Box::new(|r| {
                r.volume_capability.as_mut().unwrap().access_type = Some(
                    connectors_csi::csi::proto::volume_capability::AccessType::Block(
                        Default::default(),
                    ),
                )
            }),
            Code::InvalidArgument,
            "block",
        ),
        (
            "outside kubelet dir",
            Box::new(|r| r.target_path = "/tmp/elsewhere/mount".into()),
            Code::InvalidArgument,
            "outside",
        ),
        (
            "dotdot",
            Box::new(|r| r.target_path.push_str("/../x")),
            Code::InvalidArgument,
            "normalised",
        ),
        (
            "no connector",
            Box::new(|r| {
                r.volume_context.remove("connector.name");
            }),
            Code::InvalidArgument,
            "connectors or connector.name is required",
        ),
        (
            "unknown connector",
            set("connector.name", "ghost"),
            Code::NotFound,
            "connector \"team/ghost\" not found",
        ),
        (
            "not ready",
            set("connector.name", "not-ready"),
            Code::Unavailable,
            "SecretNotFound",
        ),
        (
            "class missing",
            set("connector.name", "no-class"),
            Code::FailedPrecondition,
            "ghost",
        ),
        (
            "other namespace",
            set("connectors", "elsewhere/private"),
            Code::PermissionDenied,
            "not usable from namespace",
        ),
        (
            "bad params",
            set("configuration.params", "{"),
            Code::InvalidArgument,
            "configuration.params",
        ),
        (
            "bad expiration",
            set("token.expiration", "1m"),
            Code::InvalidArgument,
            "minimum 10m",
        ),
        (
            "missing audience",
            Box::new(|r| {
                r.secrets.insert(
                    "csi.storage.k8s.io/serviceAccount.tokens".into(),
                    r#"{"other":{"token":"t","expirationTimestamp":"2099-01-01T00:00:00Z"}}"#
                        .into(),
                );
            }),
            Code::Unavailable,
            "tokenRequests",
        ),
    ];
    for (name, edit, code, text) in cases {
        let mut r = base.clone();
        if name == "other namespace" {
            r.volume_context.remove("connector.name");
        }
        edit(&mut r);
        let err = t.node.node_publish_volume(r).await.expect_err(name);
        assert_eq!(err.code(), code, "{name}: {}", err.message());
        assert!(err.message().contains(text), "{name}: {}", err.message());
        assert!(!mounted(&target), "{name}: nothing mounted");
        assert!(
            !err.message().contains("SECRETVALUE"),
            "{name}: token leaked: {}",
            err.message()
        );
    }
    // A regular file where the target directory should be.
    let file_target = t.target("vol-file");
    std::fs::write(&file_target, "not a dir").unwrap();
    let mut r = base.clone();
    r.target_path = file_target.to_string_lossy().into_owned();
    let err = t.node.node_publish_volume(r).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "{}", err.message());
    assert!(
        err.message().contains("not a directory"),
        "{}",
        err.message()
    );
    assert_eq!(
        std::fs::read_to_string(&file_target).unwrap(),
        "not a dir",
        "left alone"
    );
    // SAR-style denial from the source.
    src.deny(
        "system:serviceaccount:team:builder",
        ObjectKey::new("team", "k8s-a"),
    );
    let err = t.node.node_publish_volume(base.clone()).await.unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    assert!(err.message().contains("builder"), "{}", err.message());
    assert!(!mounted(&target));
    assert_eq!(t.driver.volume_count(), 0);
    assert_eq!(
        std::fs::read_dir(t.driver.cfg.state_dir.join("volumes"))
            .unwrap()
            .count(),
        0
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn republish_with_broken_source_returns_ok_and_keeps_files() {
    if !require_root("republish_with_broken_source_returns_ok_and_keeps_files") {
        return;
    }
    let src = default_source();
    let mut t = TestDriver::start(src.clone()).await;
    let target = t.target("vol-r");
    let req = publish_request("vol-r", &target, &[("connector.name", "k8s-a")], "tok-good");
    t.node.node_publish_volume(req.clone()).await.unwrap();
    src.fail_with(Some(SourceError::Unavailable("API server down".into())));
    let again = publish_request("vol-r", &target, &[("connector.name", "k8s-a")], "tok-new");
    t.node
        .node_publish_volume(again)
        .await
        .expect("republish never fails for a live mount");
    assert_eq!(
        std::fs::read_to_string(target.join("context.token")).unwrap(),
        "tok-good"
    );
    assert_eq!(t.driver.metrics.republish_failures_total.get(), 1);
    src.fail_with(None);
    t.node
        .node_unpublish_volume(unpublish_request("vol-r", &target))
        .await
        .unwrap();
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn socket_is_private_and_identity_answers() {
    let t = TestDriver::start(default_source()).await;
    let mode = std::fs::metadata(&t.socket).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let mut id = t.identity.clone();
    let info = id
        .get_plugin_info(connectors_csi::csi::proto::GetPluginInfoRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(info.name, "connectors-csi");
    assert_eq!(info.vendor_version, env!("CARGO_PKG_VERSION"));
    let probe = id
        .probe(connectors_csi::csi::proto::ProbeRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(probe.ready, Some(true));
    let sock = t.socket.clone();
    t.stop().await;
    assert!(!sock.exists(), "socket removed on graceful shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_reports_not_ready_until_source_synced() {
    let src = default_source();
    src.set_synced(false);
    let t = TestDriver::start(src.clone()).await;
    let mut id = t.identity.clone();
    let probe = id
        .probe(connectors_csi::csi::proto::ProbeRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(probe.ready, Some(false));
    src.set_synced(true);
    let probe = id
        .probe(connectors_csi::csi::proto::ProbeRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(probe.ready, Some(true));
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_publishes_of_many_volumes() {
    if !require_root("concurrent_publishes_of_many_volumes") {
        return;
    }
    let t = TestDriver::start(default_source()).await;
    let mut handles = Vec::new();
    for i in 0..40 {
        let vol = format!("vol-c{i}");
        let target = t.target(&vol);
        let mut node = t.node.clone();
        handles.push(tokio::spawn(async move {
            let req = publish_request(
                &vol,
                &target,
                &[("connector.name", "k8s-a")],
                &format!("tok-{i}"),
            );
            // Two concurrent calls for the same volume are serialised and both succeed.
            let mut node2 = node.clone();
            let (a, b) = tokio::join!(
                node2.node_publish_volume(req.clone()),
                node.node_publish_volume(req)
            );
            a.unwrap();
            b.unwrap();
            (target, i)
        }));
    }
    let mut targets = Vec::new();
    for h in handles {
        let (target, i) = h.await.unwrap();
        assert_eq!(
            std::fs::read_to_string(target.join("context.token")).unwrap(),
            format!("tok-{i}")
        );
        targets.push(target);
    }
    assert_eq!(t.driver.volume_count(), 40);
    for (i, target) in targets.iter().enumerate() {
        let mut node = t.node.clone();
        node.node_unpublish_volume(unpublish_request(&format!("vol-c{i}"), target))
            .await
            .unwrap();
        assert!(!mounted(target));
    }
    tokio::time::sleep(Duration::from_millis(10)).await;
    t.stop().await;
}
