//! Connectors Approval end to end (gRPC → driver → KubeSource → fake API server, real tmpfs):
//! the `connectors/proxy` capability check, the AccessRequest flow (pending, granted, rejected),
//! several connectors in one volume, no duplicate AccessRequests across kubelet retries,
//! revocation of a live volume, and nothing changed with both flags off.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use connectors_csi::connector::kube::KubeSourceOptions;
use connectors_csi::connector::ConnectorSource;
use connectors_csi::driver::{ApprovalFlags, DriverConfig};
use connectors_csi::refresh::RefreshOutcome;
use serde_json::{json, Value};
use test_support::*;
use tonic::Code;

const SA: &str = "system:serviceaccount:team:builder";
const ON: ApprovalFlags = ApprovalFlags {
    proxy_permissions: true,
    connectors_approval: true,
};

struct Env {
    api: FakeApiServer,
    grants: SarGrants,
    t: TestDriver,
}

/// Connectors `k8s-a` and `k8s-b` in `team`; the pod's ServiceAccount may `get` both.
async fn setup(flags: ApprovalFlags) -> Env {
    setup_with(flags, KubeSourceOptions::default()).await
}

async fn setup_with(flags: ApprovalFlags, opts: KubeSourceOptions) -> Env {
    let api = FakeApiServer::start().await;
    api.apply(json!({"apiVersion": "connectors.alauda.io/v1alpha1", "kind": "ConnectorClass", "metadata": {"name": "k8s"}, "spec": {}}));
    for name in ["k8s-a", "k8s-b"] {
        api.apply(connector_value(
            "team",
            name,
            "https://api.target.example:6443",
            &format!("http://c-{name}.team.svc.cluster.local"),
            None,
        ));
    }
    api.apply(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}));
    let grants = api.use_sar_grants();
    for name in ["k8s-a", "k8s-b"] {
        grants.grant(SA, "get", "connectors", "team", name);
    }
    let source = synced_kube_source(api.client().await, opts).await;
    let root = tempfile::tempdir().unwrap();
    let mut cfg = DriverConfig::for_root(root.path());
    cfg.refresh_jitter = Duration::ZERO;
    cfg.features = flags.into();
    let t = TestDriver::start_with(root, cfg, source as Arc<dyn ConnectorSource>).await;
    Env { api, grants, t }
}

/// Grants the pod `pod-<vol>` the connectors/proxy capability on `connector`.
fn grant_proxy(grants: &SarGrants, vol: &str, connector: &str) {
    grants.grant(
        SA,
        "*",
        &format!("connectors/proxy/v1/pod/team/pod-{vol}"),
        "team",
        connector,
    );
}

/// Every AccessRequest stored.
fn access_requests(api: &FakeApiServer) -> Vec<Value> {
    api.list("AccessRequest")
}

/// Sets the AccessRequest's status conditions, as the Alauda controller would.
fn set_conditions(api: &FakeApiServer, name: &str, conditions: Value) {
    let mut ar = api
        .object("AccessRequest", "team", name)
        .expect("AccessRequest exists");
    ar["status"] = json!({ "conditions": conditions });
    api.apply(ar);
}

fn approved() -> Value {
    json!([
        {"type": "Ready", "status": "True"},
        {"type": "AccessCheckReady", "status": "True", "reason": "Passed"},
        {"type": "AccessPermissionSync", "status": "True", "reason": "Synced"},
    ])
}

fn rejected() -> Value {
    json!([
        {"type": "Ready", "status": "False", "reason": "Rejected", "message": "ApprovalTask approve-prod was rejected"},
        {"type": "AccessCheckReady", "status": "False", "reason": "Rejected", "message": "ApprovalTask approve-prod was rejected by alice"},
    ])
}

/// Non-hidden entries of the volume (the atomic writer's `..` entries left out).
fn visible_files(target: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(target)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with(".."))
        .collect();
    names.sort();
    names
}

async fn publish(
    t: &mut TestDriver,
    vol: &str,
    attrs: &[(&str, &str)],
) -> Result<(), tonic::Status> {
    let target = t.target(vol);
    t.node
        .node_publish_volume(publish_request(vol, &target, attrs, &format!("tok-{vol}")))
        .await
        .map(|_| ())
}

/// Waits until the AccessRequest watch of the driver has seen `name` with a status.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(300)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_flags_off_makes_no_capability_or_access_request_calls() {
    if !require_root("both_flags_off_makes_no_capability_or_access_request_calls") {
        return;
    }
    let mut e = setup(ApprovalFlags::default()).await;
    publish(&mut e.t, "vol-off", &[("connector.name", "k8s-a")])
        .await
        .expect("publishes with only the get check");
    let sars = e.api.sar_requests();
    assert_eq!(sars.len(), 1, "{sars:?}");
    assert_eq!(
        (sars[0].verb.as_str(), sars[0].resource.as_str()),
        ("get", "connectors")
    );
    assert_eq!(e.api.counts().get("create", "accessrequests"), 0);
    assert_eq!(
        e.api
            .requests()
            .iter()
            .filter(|r| r.path.contains("accessrequests"))
            .count(),
        0,
        "no AccessRequest list/watch/create"
    );
    let target = e.t.target("vol-off");
    assert!(visible_files(&target).contains(&"context.token".to_string()));
    e.t.node
        .node_unpublish_volume(unpublish_request("vol-off", &target))
        .await
        .unwrap();
    e.t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capability_check_asks_the_designed_review_and_denies_by_name() {
    if !require_root("capability_check_asks_the_designed_review_and_denies_by_name") {
        return;
    }
    let mut e = setup(ApprovalFlags {
        proxy_permissions: true,
        connectors_approval: false,
    })
    .await;
    let err = publish(&mut e.t, "vol-c", &[("connector.name", "k8s-a")])
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied, "{}", err.message());
    assert!(err.message().contains("team/k8s-a"), "{}", err.message());
    assert!(
        err.message().contains("connectors/proxy"),
        "{}",
        err.message()
    );
    let proxy = e
        .api
        .sar_requests()
        .into_iter()
        .find(|r| r.resource.starts_with("connectors/proxy"))
        .expect("a connectors/proxy review");
    assert_eq!(proxy.user, SA);
    assert!(proxy
        .groups
        .contains(&"system:serviceaccounts:team".to_string()));
    assert_eq!(
        (
            proxy.group.as_str(),
            proxy.verb.as_str(),
            proxy.resource.as_str(),
            proxy.namespace.as_str(),
            proxy.name.as_str()
        ),
        (
            "connectors.alauda.io",
            "*",
            "connectors/proxy/v1/pod/team/pod-vol-c",
            "team",
            "k8s-a"
        )
    );
    assert_eq!(
        e.api.counts().get("create", "accessrequests"),
        0,
        "approval off: no AccessRequest"
    );
    assert!(!mounted(&e.t.target("vol-c")), "nothing half-mounted");

    // Granted (by an administrator's Role): the next kubelet retry mounts.
    grant_proxy(&e.grants, "vol-c", "k8s-a");
    publish(&mut e.t, "vol-c", &[("connector.name", "k8s-a")])
        .await
        .expect("capability granted");
    let target = e.t.target("vol-c");
    assert!(visible_files(&target).contains(&"context.token".to_string()));
    e.t.node
        .node_unpublish_volume(unpublish_request("vol-c", &target))
        .await
        .unwrap();
    e.t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_request_is_created_once_then_granted_mounts() {
    if !require_root("pending_request_is_created_once_then_granted_mounts") {
        return;
    }
    let mut e = setup(ON).await;
    // kubelet retries the mount while it waits.
    let mut last = None;
    for _ in 0..4 {
        let err = publish(&mut e.t, "vol-p", &[("connector.name", "k8s-a")])
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::Unavailable, "{}", err.message());
        last = Some(err);
    }
    let msg = last.unwrap().message().to_string();
    let ars = access_requests(&e.api);
    assert_eq!(ars.len(), 1, "one AccessRequest across retries");
    let ar = &ars[0];
    let name = ar["metadata"]["name"].as_str().unwrap().to_string();
    assert!(msg.contains(&format!("team/{name}")), "{msg}");
    assert!(msg.contains("waits for approval"), "{msg}");
    assert!(msg.contains("team/k8s-a"), "{msg}");
    assert_eq!(
        e.api.counts().get("create", "accessrequests"),
        1,
        "created once, found by its labels afterwards"
    );
    assert_eq!(
        ar["metadata"]["labels"],
        json!({
            "connectors.cpaas.io/contextObjectKind": "Pod",
            "connectors.cpaas.io/contextObjectName": "pod-vol-p",
            "connectors.cpaas.io/contextObjectNamespace": "team",
            "connectors.cpaas.io/connector": "k8s-a",
        })
    );
    assert_eq!(
        ar["spec"],
        json!({
            "subject": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ServiceAccount", "namespace": "team", "name": "builder"},
            "connectorRef": {"name": "k8s-a"},
            "context": {"objectRef": {"apiVersion": "v1", "kind": "Pod", "name": "pod-vol-p", "namespace": "team"}},
        })
    );
    assert!(
        !mounted(&e.t.target("vol-p")),
        "nothing mounted while pending"
    );
    let lists = e
        .api
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/accessrequests"))
        .filter(|r| !r.query.contains("watch=true"))
        .count();
    assert_eq!(lists, 1, "one list, then the watch serves every retry");

    // Still pending with a message from the controller: shown to the user.
    set_conditions(
        &e.api,
        &name,
        json!([
            {"type": "Ready", "status": "Unknown", "reason": "Pending", "message": "Waiting for ApprovalTask approve-prod to be approved"},
            {"type": "AccessCheckReady", "status": "Unknown", "reason": "Pending"},
        ]),
    );
    settle().await;
    let err = publish(&mut e.t, "vol-p", &[("connector.name", "k8s-a")])
        .await
        .unwrap_err();
    assert!(
        err.message()
            .contains("Waiting for ApprovalTask approve-prod"),
        "{}",
        err.message()
    );

    // Approved: the controller syncs the permission and marks the request Ready.
    grant_proxy(&e.grants, "vol-p", "k8s-a");
    set_conditions(&e.api, &name, approved());
    settle().await;
    let t0 = Instant::now();
    publish(&mut e.t, "vol-p", &[("connector.name", "k8s-a")])
        .await
        .expect("granted: mounts");
    println!("publish after approval took {:?}", t0.elapsed());
    let target = e.t.target("vol-p");
    assert!(visible_files(&target).contains(&"context.token".to_string()));
    assert!(!visible_files(&target).contains(&".error.json".to_string()));
    assert_eq!(e.api.counts().get("create", "accessrequests"), 1);
    e.t.node
        .node_unpublish_volume(unpublish_request("vol-p", &target))
        .await
        .unwrap();
    e.t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn granted_request_with_permission_not_synced_yet_keeps_waiting() {
    if !require_root("granted_request_with_permission_not_synced_yet_keeps_waiting") {
        return;
    }
    let mut e = setup(ON).await;
    let err = publish(&mut e.t, "vol-g", &[("connector.name", "k8s-a")])
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unavailable);
    let name = access_requests(&e.api)[0]["metadata"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    set_conditions(&e.api, &name, approved());
    settle().await;
    let before = e.api.sar_requests().len();
    let err = publish(&mut e.t, "vol-g", &[("connector.name", "k8s-a")])
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unavailable, "{}", err.message());
    assert!(err.message().contains("granted"), "{}", err.message());
    let proxy_reviews = e.api.sar_requests()[before..]
        .iter()
        .filter(|r| r.resource.starts_with("connectors/proxy"))
        .count();
    assert_eq!(proxy_reviews, 2, "checked, then re-checked after the grant");
    assert!(!mounted(&e.t.target("vol-g")));
    e.t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_request_publishes_only_error_json() {
    if !require_root("rejected_request_publishes_only_error_json") {
        return;
    }
    let mut e = setup(ON).await;
    publish(&mut e.t, "vol-r", &[("connector.name", "k8s-a")])
        .await
        .unwrap_err();
    let name = access_requests(&e.api)[0]["metadata"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    set_conditions(&e.api, &name, rejected());
    settle().await;
    publish(&mut e.t, "vol-r", &[("connector.name", "k8s-a")])
        .await
        .expect("a rejection publishes so the workload starts and fails fast");
    let target = e.t.target("vol-r");
    assert!(mounted(&target));
    assert_eq!(visible_files(&target), vec![".error.json".to_string()]);
    let report: Value =
        serde_json::from_slice(&std::fs::read(target.join(".error.json")).unwrap()).unwrap();
    // A google.rpc.Status: PERMISSION_DENIED, one ErrorInfo per rejected Connector.
    assert_eq!(report["code"], 7);
    assert!(report["message"].as_str().unwrap().contains("team/k8s-a"));
    assert_eq!(
        report["details"],
        json!([{
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "ACCESS_REJECTED",
            "domain": "connectors.alauda.io",
            "metadata": {
                "connector": "team/k8s-a",
                "accessRequest": format!("team/{name}"),
                "conditionReason": "Rejected",
                "conditionMessage": "ApprovalTask approve-prod was rejected by alice",
            },
        }])
    );
    let text = std::fs::read_to_string(target.join(".error.json")).unwrap();
    assert!(!text.contains("tok-vol-r"), "no token in the report");

    // kubelet's republish and a refresh keep the report (the rejection is final).
    publish(&mut e.t, "vol-r", &[("connector.name", "k8s-a")])
        .await
        .unwrap();
    assert_ne!(e.t.driver.refresh("vol-r").await, RefreshOutcome::Failed);
    assert_eq!(visible_files(&target), vec![".error.json".to_string()]);
    assert_eq!(e.api.counts().get("create", "accessrequests"), 1);
    e.t.node
        .node_unpublish_volume(unpublish_request("vol-r", &target))
        .await
        .unwrap();
    assert!(!mounted(&target));
    e.t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_connector_of_a_volume_must_pass() {
    if !require_root("every_connector_of_a_volume_must_pass") {
        return;
    }
    let mut e = setup(ON).await;
    let attrs = [("connectors", "k8s-a,k8s-b")];
    // k8s-a is open to the pod already; k8s-b needs approval.
    grant_proxy(&e.grants, "vol-m", "k8s-a");
    let err = publish(&mut e.t, "vol-m", &attrs).await.unwrap_err();
    assert_eq!(err.code(), Code::Unavailable, "{}", err.message());
    assert!(err.message().contains("team/k8s-b"), "{}", err.message());
    let ars = access_requests(&e.api);
    assert_eq!(ars.len(), 1, "only the denied connector is requested");
    assert_eq!(ars[0]["spec"]["connectorRef"]["name"], "k8s-b");
    let name = ars[0]["metadata"]["name"].as_str().unwrap().to_string();
    grant_proxy(&e.grants, "vol-m", "k8s-b");
    set_conditions(&e.api, &name, approved());
    settle().await;
    publish(&mut e.t, "vol-m", &attrs)
        .await
        .expect("both connectors pass");
    let target = e.t.target("vol-m");
    assert!(mounted(&target));
    assert!(!visible_files(&target).contains(&".error.json".to_string()));
    e.t.node
        .node_unpublish_volume(unpublish_request("vol-m", &target))
        .await
        .unwrap();

    // Two requests: one rejected, one pending. The rejection is final, so the volume gets the
    // report at once instead of waiting on the other.
    let err = publish(&mut e.t, "vol-m2", &attrs).await.unwrap_err();
    assert_eq!(err.code(), Code::Unavailable);
    let mut names: Vec<(String, String)> = access_requests(&e.api)
        .iter()
        .filter(|a| a["spec"]["context"]["objectRef"]["name"] == "pod-vol-m2")
        .map(|a| {
            (
                a["spec"]["connectorRef"]["name"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                a["metadata"]["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    names.sort();
    assert_eq!(names.len(), 2, "one AccessRequest per connector: {names:?}");
    set_conditions(&e.api, &names[1].1, rejected());
    settle().await;
    publish(&mut e.t, "vol-m2", &attrs)
        .await
        .expect("rejected: publish with the report");
    let target = e.t.target("vol-m2");
    assert_eq!(visible_files(&target), vec![".error.json".to_string()]);
    let report: Value =
        serde_json::from_slice(&std::fs::read(target.join(".error.json")).unwrap()).unwrap();
    let listed: Vec<&str> = report["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["metadata"]["connector"].as_str().unwrap())
        .collect();
    assert_eq!(listed, vec!["team/k8s-b"]);
    e.t.node
        .node_unpublish_volume(unpublish_request("vol-m2", &target))
        .await
        .unwrap();
    e.t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_volume_whose_capability_is_revoked_goes_stale_like_revoked_access() {
    if !require_root("live_volume_whose_capability_is_revoked_goes_stale_like_revoked_access") {
        return;
    }
    let opts = KubeSourceOptions {
        sar_cache_ttl: Duration::from_millis(100),
        ..Default::default()
    };
    let mut e = setup_with(ON, opts).await;
    grant_proxy(&e.grants, "vol-l", "k8s-a");
    publish(&mut e.t, "vol-l", &[("connector.name", "k8s-a")])
        .await
        .unwrap();
    let target = e.t.target("vol-l");
    let token_before = std::fs::read_to_string(target.join("context.token")).unwrap();
    e.grants.revoke(
        SA,
        "*",
        "connectors/proxy/v1/pod/team/pod-vol-l",
        "team",
        "k8s-a",
    );
    // Once the cached allow expires, the next refresh asks again and finds it revoked.
    let t0 = Instant::now();
    let mut outcome = e.t.driver.refresh("vol-l").await;
    while outcome != RefreshOutcome::Stale && t0.elapsed() < Duration::from_secs(15) {
        tokio::time::sleep(Duration::from_millis(250)).await;
        outcome = e.t.driver.refresh("vol-l").await;
    }
    assert_eq!(outcome, RefreshOutcome::Stale, "revoked: refresh stops");
    assert_eq!(
        std::fs::read_to_string(target.join("context.token")).unwrap(),
        token_before,
        "the last files stay, like a revoked get"
    );
    assert_eq!(
        e.api.counts().get("create", "accessrequests"),
        0,
        "no AccessRequest for a live volume"
    );
    e.t.node
        .node_unpublish_volume(unpublish_request("vol-l", &target))
        .await
        .unwrap();
    e.t.stop().await;
}
