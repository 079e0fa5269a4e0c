//! The whole driver (gRPC → driver → KubeSource → real kube::Client) against the in-process fake
//! API server, on real tmpfs: the issue's Kubernetes scenarios end to end.

use std::sync::Arc;
use std::time::Duration;

use connectors_csi::connector::kube::{KubeSource, KubeSourceOptions};
use connectors_csi::driver::DriverConfig;
use serde_json::{json, Value};
use test_support::FakeApiServer;
use test_support::*;
use tonic::Code;

/// A Ready `k8s` connector whose target cluster is `https://api.target.example:6443`.
fn k8s_connector(ns: &str, name: &str, proxy: &str) -> Value {
    connector_value(ns, name, "https://api.target.example:6443", proxy, None)
}

fn k8s_class_json() -> Value {
    json!({"apiVersion": "connectors.alauda.io/v1alpha1", "kind": "ConnectorClass", "metadata": {"name": "k8s"}, "spec": {}})
}

async fn setup(opts: KubeSourceOptions) -> (FakeApiServer, TestDriver, Arc<KubeSource>) {
    let api = FakeApiServer::start().await;
    api.apply(k8s_class_json());
    api.apply(k8s_connector(
        "team",
        "k8s-a",
        "http://c-k8s-a.team.svc.cluster.local",
    ));
    api.apply(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}));
    let source = synced_kube_source(api.client().await, opts).await;
    let root = tempfile::tempdir().unwrap();
    let mut cfg = DriverConfig::for_root(root.path());
    cfg.refresh_jitter = Duration::ZERO;
    let t = TestDriver::start_with(root, cfg, source.clone()).await;
    (api, t, source)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubelet_token_publish_costs_no_api_reads_when_warm() {
    if !require_root("kubelet_token_publish_costs_no_api_reads_when_warm") {
        return;
    }
    let (api, mut t, _src) = setup(KubeSourceOptions::default()).await;
    let a = t.target("vol-k1");
    t.node
        .node_publish_volume(publish_request(
            "vol-k1",
            &a,
            &[("connector.name", "k8s-a")],
            "kubelet-tok-1",
        ))
        .await
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(a.join("context.token")).unwrap(),
        "kubelet-tok-1"
    );
    assert_eq!(
        api.token_requests().len(),
        0,
        "kubelet token used, nothing minted"
    );
    let sar = api.sar_requests();
    assert_eq!(sar.len(), 1);
    assert_eq!(sar[0].user, "system:serviceaccount:team:builder");
    assert!(sar[0]
        .groups
        .contains(&"system:serviceaccounts:team".to_string()));
    assert_eq!(
        (
            sar[0].verb.as_str(),
            sar[0].resource.as_str(),
            sar[0].name.as_str()
        ),
        ("get", "connectors", "k8s-a")
    );

    // A warm publish of another pod of the same ServiceAccount: everything from caches.
    api.reset_counts();
    let b = t.target("vol-k2");
    t.node
        .node_publish_volume(publish_request(
            "vol-k2",
            &b,
            &[("connector.name", "k8s-a")],
            "kubelet-tok-2",
        ))
        .await
        .unwrap();
    let c = api.counts();
    println!("API requests for a warm publish: {c:?}");
    assert_eq!(c.verb("get"), 0, "0 GETs on a warm publish");
    assert_eq!(c.verb("list"), 0);
    assert_eq!(
        c.get("create", "subjectaccessreviews"),
        0,
        "SAR cached per (SA, connector)"
    );
    for (v, p) in [("vol-k1", &a), ("vol-k2", &b)] {
        t.node
            .node_unpublish_volume(unpublish_request(v, p))
            .await
            .unwrap();
    }
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn driver_minted_token_is_bound_to_the_pod() {
    if !require_root("driver_minted_token_is_bound_to_the_pod") {
        return;
    }
    let (api, mut t, _src) = setup(KubeSourceOptions::default()).await;
    let target = t.target("vol-mint");
    let mut req = publish_request(
        "vol-mint",
        &target,
        &[("connector.name", "k8s-a"), ("token.expiration", "45m")],
        "x",
    );
    req.secrets.clear();
    t.node.node_publish_volume(req).await.unwrap();
    let trs = api.token_requests();
    assert_eq!(trs.len(), 1);
    let tr = &trs[0];
    assert_eq!(
        (tr.namespace.as_str(), tr.service_account.as_str()),
        ("team", "builder")
    );
    assert_eq!(tr.body["spec"]["audiences"], json!(["connectors-proxy"]));
    assert_eq!(tr.body["spec"]["expirationSeconds"], json!(2700));
    assert_eq!(tr.body["spec"]["boundObjectRef"]["kind"], "Pod");
    assert_eq!(tr.body["spec"]["boundObjectRef"]["name"], "pod-vol-mint");
    assert_eq!(tr.body["spec"]["boundObjectRef"]["uid"], "uid-vol-mint");
    assert_eq!(
        std::fs::read_to_string(target.join("context.token")).unwrap(),
        tr.issued_token
    );
    t.node
        .node_unpublish_volume(unpublish_request("vol-mint", &target))
        .await
        .unwrap();
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn denied_and_out_of_scope_connectors_mount_nothing() {
    if !require_root("denied_and_out_of_scope_connectors_mount_nothing") {
        return;
    }
    let (api, mut t, _src) = setup(KubeSourceOptions::default()).await;
    api.apply(k8s_connector(
        "kube-public",
        "shared",
        "http://c-shared.kube-public.svc",
    ));
    api.apply(k8s_connector(
        "other",
        "private",
        "http://c-private.other.svc",
    ));
    api.apply(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "other"}}));
    api.allow_connector_access(&[
        (
            "system:serviceaccount:team:builder",
            "kube-public",
            "shared",
        ),
        ("system:serviceaccount:team:builder", "other", "private"),
    ]);
    let target = t.target("vol-d");
    // SAR denied for team/k8s-a.
    let err = t
        .node
        .node_publish_volume(publish_request(
            "vol-d",
            &target,
            &[("connector.name", "k8s-a")],
            "tok",
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");
    assert!(
        err.message().contains("builder") && err.message().contains("get"),
        "{}",
        err.message()
    );
    assert!(!mounted(&target));
    // Cross-namespace: denied by scope even though RBAC would allow it.
    let err = t
        .node
        .node_publish_volume(publish_request(
            "vol-d",
            &target,
            &[("connectors", "other/private")],
            "tok",
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    assert!(!mounted(&target));
    // kube-public is usable from every namespace.
    t.node
        .node_publish_volume(publish_request(
            "vol-d",
            &target,
            &[("connectors", "kube-public/shared")],
            "tok",
        ))
        .await
        .unwrap();
    assert!(mounted(&target));
    t.node
        .node_unpublish_volume(unpublish_request("vol-d", &target))
        .await
        .unwrap();
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connector_created_after_the_pod_is_waited_for() {
    if !require_root("connector_created_after_the_pod_is_waited_for") {
        return;
    }
    let (api, mut t, _src) = setup(KubeSourceOptions::default()).await;
    let target = t.target("vol-late");
    let req = publish_request("vol-late", &target, &[("connector.name", "late")], "tok");
    let mut node = t.node.clone();
    let call = tokio::spawn(async move { node.node_publish_volume(req).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    api.apply(k8s_connector("team", "late", "http://c-late.team.svc"));
    call.await
        .unwrap()
        .expect("publish waits for the reflector instead of failing");
    assert!(mounted(&target));
    t.node
        .node_unpublish_volume(unpublish_request("vol-late", &target))
        .await
        .unwrap();
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_api_server_fails_new_mounts_and_keeps_existing_ones() {
    if !require_root("unreachable_api_server_fails_new_mounts_and_keeps_existing_ones") {
        return;
    }
    let opts = KubeSourceOptions {
        wait_for_connector: Duration::from_millis(500),
        ..Default::default()
    };
    let (api, mut t, _src) = setup(opts).await;
    let a = t.target("vol-up");
    t.node
        .node_publish_volume(publish_request(
            "vol-up",
            &a,
            &[("connector.name", "k8s-a")],
            "tok-up",
        ))
        .await
        .unwrap();
    api.set_down(true);
    let b = t.target("vol-down");
    // A ServiceAccount whose access is not cached needs a SubjectAccessReview: unreachable.
    let mut req = publish_request("vol-down", &b, &[("connector.name", "k8s-a")], "tok");
    req.volume_context.insert(
        "csi.storage.k8s.io/serviceAccount.name".into(),
        "deployer".into(),
    );
    let err = t.node.node_publish_volume(req).await.unwrap_err();
    assert_eq!(err.code(), Code::Unavailable, "{err:?}");
    assert!(
        err.message().to_lowercase().contains("api server"),
        "{}",
        err.message()
    );
    assert!(!mounted(&b));
    assert!(mounted(&a), "existing mount untouched");
    assert_eq!(
        std::fs::read_to_string(a.join("context.token")).unwrap(),
        "tok-up"
    );
    api.set_down(false);
    t.node
        .node_unpublish_volume(unpublish_request("vol-up", &a))
        .await
        .unwrap();
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokenfile_direct_mode_mints_on_the_target_cluster_with_the_connector_credential() {
    if !require_root(
        "tokenfile_direct_mode_mints_on_the_target_cluster_with_the_connector_credential",
    ) {
        return;
    }
    // The "target cluster" is a fake API server; the connector's own credential is in its Secret.
    let target_api = FakeApiServer::start().await;
    let src = default_source();
    src.set(|s| {
        let mut c = connector(
            "team",
            "remote",
            &target_api.url(),
            "http://c-remote.team.svc",
        );
        // The Connector's owner allows this target ServiceAccount (direct mode is off otherwise).
        c.metadata.annotations = Some(
            [(
                "connectors.cpaas.io/tokenfile-service-accounts".to_string(),
                "ci/deployer".to_string(),
            )]
            .into(),
        );
        c.spec.auth = Some(connectors_csi::connector::types::ConnectorAuth {
            name: "bearerTokenAuth".into(),
            secret_ref: Some(connectors_csi::connector::types::ObjectRef {
                name: "remote-secret".into(),
                ..Default::default()
            }),
            ..Default::default()
        });
        s.insert_connector(c);
        let secret: k8s_openapi::api::core::v1::Secret = serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "remote-secret", "namespace": "team"},
            "type": "connectors.cpaas.io/bearer-token",
            "stringData": {"token": "connector-own-credential"},
        }))
        .unwrap();
        s.insert_secret(secret);
    });
    let mut t = TestDriver::start(src).await;
    let target = t.target("vol-direct");
    let attrs = [
        ("connector.name", "remote"),
        ("configuration.names", "tokenfile"),
        (
            "configuration.params",
            r#"{"tokenfile":{"serviceAccount":"ci/deployer","duration":"20m"}}"#,
        ),
    ];
    t.node
        .node_publish_volume(publish_request("vol-direct", &target, &attrs, "pod-token"))
        .await
        .unwrap();
    let trs = target_api.token_requests();
    assert_eq!(trs.len(), 1);
    assert_eq!(
        (trs[0].namespace.as_str(), trs[0].service_account.as_str()),
        ("ci", "deployer")
    );
    assert_eq!(trs[0].body["spec"]["expirationSeconds"], json!(1200));
    assert_eq!(
        trs[0].authorization.as_deref(),
        Some("Bearer connector-own-credential")
    );
    assert_eq!(
        std::fs::read_to_string(target.join("token")).unwrap(),
        trs[0].issued_token
    );
    // The connector's own secret never reaches the volume.
    for e in std::fs::read_dir(target.join("..data")).unwrap() {
        let body = std::fs::read(e.unwrap().path()).unwrap();
        assert!(!String::from_utf8_lossy(&body).contains("connector-own-credential"));
    }
    let kc = std::fs::read_to_string(target.join("kubeconfig")).unwrap();
    assert!(
        kc.contains(&target_api.url()),
        "direct mode talks to spec.address"
    );
    // Kubelet's periodic republish reuses the direct token until its refresh point.
    t.node
        .node_publish_volume(publish_request(
            "vol-direct",
            &target,
            &attrs,
            "pod-token-2",
        ))
        .await
        .unwrap();
    assert_eq!(
        target_api.token_requests().len(),
        1,
        "no re-mint on republish"
    );
    assert_eq!(
        std::fs::read_to_string(target.join("token")).unwrap(),
        trs[0].issued_token
    );
    t.node
        .node_unpublish_volume(unpublish_request("vol-direct", &target))
        .await
        .unwrap();
    t.stop().await;
}
