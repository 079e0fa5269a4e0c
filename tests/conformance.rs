//! CSI spec node requirements (the parts csi-sanity checks for a node-only driver), so regressions
//! surface in `cargo test` without an external suite.

use connectors_csi::csi::proto::{self, controller_client::ControllerClient};
use test_support::*;
use tonic::Code;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_follows_the_spec() {
    let t = TestDriver::start(default_source()).await;
    let mut id = t.identity.clone();
    let info = id
        .get_plugin_info(proto::GetPluginInfoRequest {})
        .await
        .unwrap()
        .into_inner();
    // csi-sanity's regex: starts and ends with a letter, ≤ 63 chars, [A-Za-z0-9-._] inside.
    let n = &info.name;
    assert!(n.len() <= 63 && !n.is_empty());
    assert!(
        n.chars().next().unwrap().is_ascii_alphabetic()
            && n.chars().last().unwrap().is_ascii_alphabetic()
    );
    assert!(n
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c)));
    assert!(!info.vendor_version.is_empty());

    let caps = id
        .get_plugin_capabilities(proto::GetPluginCapabilitiesRequest {})
        .await
        .unwrap()
        .into_inner();
    for c in &caps.capabilities {
        if let Some(proto::plugin_capability::Type::Service(s)) = &c.r#type {
            assert_ne!(
                s.r#type,
                proto::plugin_capability::service::Type::ControllerService as i32,
                "node-only driver must not advertise CONTROLLER_SERVICE"
            );
        }
    }
    let probe = id.probe(proto::ProbeRequest {}).await.unwrap().into_inner();
    assert_ne!(probe.ready, Some(false));
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_capabilities_and_info() {
    let t = TestDriver::start(default_source()).await;
    let mut node = t.node.clone();
    let caps = node
        .node_get_capabilities(proto::NodeGetCapabilitiesRequest {})
        .await
        .unwrap()
        .into_inner();
    let types: Vec<i32> = caps
        .capabilities
        .iter()
        .filter_map(|c| {
            c.r#type.as_ref().map(|t| match t {
                proto::node_service_capability::Type::Rpc(r) => r.r#type,
            })
        })
        .collect();
    assert_eq!(
        types,
        vec![proto::node_service_capability::rpc::Type::VolumeMountGroup as i32]
    );
    for t in &types {
        assert!(
            proto::node_service_capability::rpc::Type::try_from(*t).is_ok(),
            "known values only"
        );
    }
    let info = node
        .node_get_info(proto::NodeGetInfoRequest {})
        .await
        .unwrap()
        .into_inner();
    assert!(!info.node_id.is_empty() && info.node_id.len() <= 256);
    assert!(info.max_volumes_per_node >= 0);
    assert!(info.accessible_topology.is_none());
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn controller_capabilities_are_present_but_enable_nothing() {
    // csi-sanity ≤ v5.4.0 calls ControllerGetCapabilities before every Node test and needs a
    // non-empty list; a single UNKNOWN capability enables nothing.
    let t = TestDriver::start(default_source()).await;
    let mut c = ControllerClient::new(t.channel.clone());
    let caps = c
        .controller_get_capabilities(proto::ControllerGetCapabilitiesRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(caps.capabilities.len(), 1);
    match &caps.capabilities[0].r#type {
        Some(proto::controller_service_capability::Type::Rpc(r)) => assert_eq!(r.r#type, 0),
        other => panic!("unexpected {other:?}"),
    }
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_and_unpublish_argument_errors() {
    let t = TestDriver::start(default_source()).await;
    let mut node = t.node.clone();
    let target = t.target("sanity");
    let good = publish_request("sanity", &target, &[("connector.name", "k8s-a")], "tok");
    let mut r = good.clone();
    r.volume_id.clear();
    assert_eq!(
        node.node_publish_volume(r).await.unwrap_err().code(),
        Code::InvalidArgument
    );
    let mut r = good.clone();
    r.target_path.clear();
    assert_eq!(
        node.node_publish_volume(r).await.unwrap_err().code(),
        Code::InvalidArgument
    );
    let mut r = good.clone();
    r.volume_capability = None;
    assert_eq!(
        node.node_publish_volume(r).await.unwrap_err().code(),
        Code::InvalidArgument
    );

    let err = node
        .node_unpublish_volume(proto::NodeUnpublishVolumeRequest {
            volume_id: String::new(),
            target_path: target.to_string_lossy().into_owned(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let err = node
        .node_unpublish_volume(proto::NodeUnpublishVolumeRequest {
            volume_id: "sanity".into(),
            target_path: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    // Unpublishing something never published is OK (idempotent; kubelet retries NOT_FOUND forever).
    node.node_unpublish_volume(unpublish_request("sanity", &target))
        .await
        .unwrap();
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsupported_rpcs_are_unimplemented() {
    let t = TestDriver::start(default_source()).await;
    let mut node = t.node.clone();
    let e = node
        .node_stage_volume(proto::NodeStageVolumeRequest::default())
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::Unimplemented);
    let e = node
        .node_unstage_volume(proto::NodeUnstageVolumeRequest::default())
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::Unimplemented);
    let e = node
        .node_get_volume_stats(proto::NodeGetVolumeStatsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::Unimplemented);
    let e = node
        .node_expand_volume(proto::NodeExpandVolumeRequest::default())
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::Unimplemented);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_is_idempotent() {
    if !require_root("publish_is_idempotent") {
        return;
    }
    let t = TestDriver::start(default_source()).await;
    let mut node = t.node.clone();
    let target = t.target("idem");
    let req = publish_request("idem", &target, &[("connector.name", "k8s-a")], "tok");
    for _ in 0..5 {
        node.node_publish_volume(req.clone()).await.unwrap();
    }
    let n = connectors_csi::volume::mount::mount_table()
        .unwrap()
        .iter()
        .filter(|m| m.mount_point == target)
        .count();
    assert_eq!(n, 1, "one mount after five identical publishes");
    for _ in 0..3 {
        node.node_unpublish_volume(unpublish_request("idem", &target))
            .await
            .unwrap();
    }
    assert!(!target.exists());
    t.stop().await;
}
