//! The install side of Connectors Approval: the kustomize component and the Helm values turn on
//! both feature flags and grant exactly create/get/list/watch on AccessRequests; the default
//! install grants nothing of it and ships no AccessRequest CRD; the optional CRD (kustomize
//! component and Helm value) is the same object in both and accepts what the driver creates.

use std::path::PathBuf;

use connectors_csi::connector::approval::AccessRequest;
use connectors_csi::connector::{ObjectKey, PodInfo};
use serde_yaml::Value;
use test_support::k8s_tools::k8s_tools;
use test_support::rbac::{Rbac, UserInfo};
use test_support::repo_root;

const CRD: &str = "accessrequests.connectors.alauda.io";

fn deploy(rel: &str) -> PathBuf {
    repo_root().join("deploy").join(rel)
}

fn kind(o: &Value) -> &str {
    o["kind"].as_str().unwrap_or_default()
}

fn driver() -> UserInfo {
    UserInfo::service_account("connectors-system", "connectors-csi")
}

/// The driver container's env var, if set.
fn driver_env(objects: &[Value], var: &str) -> Option<String> {
    let ds = objects
        .iter()
        .find(|o| kind(o) == "DaemonSet")
        .expect("a DaemonSet");
    ds["spec"]["template"]["spec"]["containers"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "driver")
        .expect("the driver container")["env"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|e| e["name"] == var)
        .and_then(|e| e["value"].as_str().map(str::to_string))
}

fn crd(objects: &[Value]) -> Option<&Value> {
    objects
        .iter()
        .find(|o| kind(o) == "CustomResourceDefinition" && o["metadata"]["name"] == CRD)
}

/// What the driver may do with AccessRequests, in any namespace.
fn access_request_verbs(objects: &[Value]) -> Vec<&'static str> {
    let r = Rbac::from_yaml(objects).expect("well-formed RBAC");
    let me = driver();
    [
        "create", "get", "list", "watch", "update", "patch", "delete",
    ]
    .into_iter()
    .filter(|v| {
        ["team-a", "kube-public", ""]
            .iter()
            .all(|ns| r.can_i(&me, v, "accessrequests.connectors.alauda.io", ns))
    })
    .collect()
}

#[test]
fn default_installs_have_no_approval_grant_flag_or_crd() {
    let Some(t) = k8s_tools("default_installs_have_no_approval_grant_flag_or_crd") else {
        return;
    };
    let base = t.kustomize(&deploy(""));
    let chart = t.helm_template("");
    for (what, objects) in [("kustomize base", &base), ("Helm defaults", &chart)] {
        assert_eq!(
            access_request_verbs(objects),
            Vec::<&str>::new(),
            "{what}: no AccessRequest access"
        );
        assert!(crd(objects).is_none(), "{what}: no AccessRequest CRD");
        assert_eq!(
            driver_env(objects, "ENABLE_CONNECTOR_PROXY_PERMISSIONS"),
            None
        );
        assert_eq!(driver_env(objects, "ENABLE_CONNECTORS_APPROVAL"), None);
        // The capability review reuses the base's SubjectAccessReview grant.
        let r = Rbac::from_yaml(objects).unwrap();
        assert!(r.can_i(
            &driver(),
            "create",
            "subjectaccessreviews.authorization.k8s.io",
            ""
        ));
    }
}

#[test]
fn kustomize_component_turns_both_flags_on_with_the_request_grant() {
    let Some(t) = k8s_tools("kustomize_component_turns_both_flags_on_with_the_request_grant")
    else {
        return;
    };
    let with =
        t.kustomize_with_components(&deploy(""), &[&deploy("components/connectors-approval")]);
    assert_eq!(
        driver_env(&with, "ENABLE_CONNECTOR_PROXY_PERMISSIONS").as_deref(),
        Some("true")
    );
    assert_eq!(
        driver_env(&with, "ENABLE_CONNECTORS_APPROVAL").as_deref(),
        Some("true")
    );
    assert_eq!(
        access_request_verbs(&with),
        vec!["create", "get", "list", "watch"]
    );
    // Nothing else changed: still no Secret access anywhere.
    let r = Rbac::from_yaml(&with).unwrap();
    assert!(!r.can_i(&driver(), "get", "secrets", "team-a"));
    assert!(
        crd(&with).is_none(),
        "the CRD is a separate, optional component"
    );
}

#[test]
fn helm_values_follow_the_kustomize_component() {
    let Some(t) = k8s_tools("helm_values_follow_the_kustomize_component") else {
        return;
    };
    let proxy_only = t.helm_template("approval: {proxyPermissions: true}");
    assert_eq!(
        driver_env(&proxy_only, "ENABLE_CONNECTOR_PROXY_PERMISSIONS").as_deref(),
        Some("true")
    );
    assert_eq!(driver_env(&proxy_only, "ENABLE_CONNECTORS_APPROVAL"), None);
    assert_eq!(access_request_verbs(&proxy_only), Vec::<&str>::new());

    let both = t.helm_template("approval: {proxyPermissions: true, connectorsApproval: true}");
    assert_eq!(
        driver_env(&both, "ENABLE_CONNECTORS_APPROVAL").as_deref(),
        Some("true")
    );
    assert_eq!(
        access_request_verbs(&both),
        vec!["create", "get", "list", "watch"]
    );
    assert!(crd(&both).is_none());
}

#[test]
fn optional_crd_is_the_same_in_both_installs_and_accepts_the_drivers_request() {
    let Some(t) =
        k8s_tools("optional_crd_is_the_same_in_both_installs_and_accepts_the_drivers_request")
    else {
        return;
    };
    let with = t.kustomize_with_components(&deploy(""), &[&deploy("crds/accessrequests")]);
    let k = crd(&with).expect("the component adds the CRD").clone();
    let chart = t.helm_template("approval: {installAccessRequestCRD: true}");
    let mut h = crd(&chart).expect("the Helm value adds the CRD").clone();
    // Helm keeps it on uninstall; otherwise identical.
    h["metadata"]
        .as_mapping_mut()
        .unwrap()
        .remove("annotations");
    assert_eq!(k, h, "kustomize and Helm ship the same CRD");

    assert_eq!(k["spec"]["group"], "connectors.alauda.io");
    assert_eq!(k["spec"]["scope"], "Namespaced");
    assert_eq!(k["spec"]["names"]["kind"], "AccessRequest");
    assert_eq!(k["spec"]["names"]["plural"], "accessrequests");
    let v = &k["spec"]["versions"][0];
    assert_eq!(v["name"], "v1alpha1");
    assert_eq!(
        (v["served"].as_bool(), v["storage"].as_bool()),
        (Some(true), Some(true))
    );
    assert!(
        v["subresources"]["status"].is_mapping(),
        "status subresource"
    );
    let columns: Vec<&str> = v["additionalPrinterColumns"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        columns,
        ["Connector", "Subject", "ContextValid", "Permission", "Age"]
    );

    // Every field the schema requires is in the object the driver creates.
    let ar = AccessRequest::for_pod(
        &PodInfo {
            namespace: "cicd".into(),
            name: "build-1".into(),
            uid: "u".into(),
            service_account: "builder".into(),
        },
        &ObjectKey::new("shared", "prod-harbor"),
    );
    let created: Value = serde_yaml::to_value(&ar).unwrap();
    let spec_schema = &v["schema"]["openAPIV3Schema"]["properties"]["spec"];
    let mut checked = 0;
    for (path, schema) in [
        (vec!["spec"], spec_schema),
        (
            vec!["spec", "subject"],
            &spec_schema["properties"]["subject"],
        ),
        (
            vec!["spec", "context"],
            &spec_schema["properties"]["context"],
        ),
    ] {
        let obj = path.iter().fold(&created, |o, p| &o[*p]);
        for field in schema["required"].as_sequence().unwrap() {
            let f = field.as_str().unwrap();
            assert!(
                !obj[f].is_null(),
                "{}.{f} is required by the CRD but missing from the driver's request",
                path.join(".")
            );
            checked += 1;
        }
    }
    assert_eq!(
        checked, 6,
        "spec (3), subject (2) and context (1) required fields"
    );
    // The base kustomization does not list it.
    let base = std::fs::read_to_string(deploy("kustomization.yaml")).unwrap();
    assert!(!base.contains("accessrequests"), "not in the base");
}

const DRIVER_TOKEN: &str = "token-of-the-connectors-csi-serviceaccount";

/// The workload side: `team/builder` may `get` Connector `team/k8s-a` (and, once `approved`, holds
/// the connectors/proxy capability for pod `team/pod-vol-rbac`, as the controller's Role grants).
fn workload_rbac(approved: bool) -> Vec<Value> {
    let mut text = String::from(
        r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: use-connectors, namespace: team}
rules:
  - apiGroups: ["connectors.alauda.io"]
    resources: ["connectors"]
    resourceNames: ["k8s-a"]
    verbs: ["get"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: builder-uses-connectors, namespace: team}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: use-connectors}
subjects: [{kind: ServiceAccount, name: builder, namespace: team}]
"#,
    );
    if approved {
        text.push_str(
            r#"
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: k8s-a-proxy-pod-vol-rbac, namespace: team}
rules:
  - apiGroups: ["connectors.alauda.io"]
    resources: ["connectors/proxy/v1/pod/team/pod-vol-rbac"]
    resourceNames: ["k8s-a"]
    verbs: ["*"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: k8s-a-proxy-pod-vol-rbac, namespace: team}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: k8s-a-proxy-pod-vol-rbac}
subjects: [{kind: ServiceAccount, name: builder, namespace: team}]
"#,
        );
    }
    serde_yaml::Deserializer::from_str(&text)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .collect()
}

fn enforce(api: &test_support::FakeApiServer, install: &[Value], approved: bool) {
    let mut objects = install.to_vec();
    objects.extend(workload_rbac(approved));
    api.enforce_rbac(
        Rbac::from_yaml(&objects).unwrap(),
        &[(DRIVER_TOKEN, driver())],
    );
}

/// The driver as its own ServiceAccount against an API server enforcing exactly the kustomize
/// base (+ the approval component): without the component the AccessRequest calls are refused
/// and the error names the component; with it the request is created, and once the controller's
/// Role exists and the request is Ready the volume mounts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shipped_rbac_is_exactly_enough_for_the_flow() {
    use connectors_csi::connector::kube::{KubeSource, KubeSourceOptions};
    use connectors_csi::connector::ConnectorSource;
    use connectors_csi::driver::{ApprovalFlags, DriverConfig};
    use serde_json::json;
    use std::time::{Duration, Instant};
    use test_support::*;

    if !require_root("the_shipped_rbac_is_exactly_enough_for_the_flow") {
        return;
    }
    let Some(t) = k8s_tools("the_shipped_rbac_is_exactly_enough_for_the_flow") else {
        return;
    };
    let base = t.kustomize(&deploy(""));
    let with =
        t.kustomize_with_components(&deploy(""), &[&deploy("components/connectors-approval")]);
    for (install, component) in [(&base, false), (&with, true)] {
        let api = FakeApiServer::start().await;
        api.apply(k8s_class_value());
        api.apply(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}));
        api.apply(connector_value(
            "team",
            "k8s-a",
            "https://api.example.com:6443",
            "http://c-k8s-a.team.svc.cluster.local",
            None,
        ));
        enforce(&api, install, false);
        let source = KubeSource::start(
            api.client_with_token(DRIVER_TOKEN).await,
            KubeSourceOptions::default(),
        )
        .await;
        let t0 = Instant::now();
        while !source.is_synced() && t0.elapsed() < Duration::from_secs(10) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let root = tempfile::tempdir().unwrap();
        let mut cfg = DriverConfig::for_root(root.path());
        cfg.features = ApprovalFlags {
            proxy_permissions: true,
            connectors_approval: true,
        }
        .into();
        let mut t = TestDriver::start_with(root, cfg, source).await;
        let target = t.target("vol-rbac");
        let req = || publish_request("vol-rbac", &target, &[("connector.name", "k8s-a")], "tok");
        let err = t.node.node_publish_volume(req()).await.unwrap_err();
        if !component {
            assert_eq!(
                err.code(),
                tonic::Code::PermissionDenied,
                "{}",
                err.message()
            );
            assert!(
                err.message()
                    .contains("deploy/components/connectors-approval"),
                "{}",
                err.message()
            );
            assert!(api.list("AccessRequest").is_empty());
            t.stop().await;
            continue;
        }
        assert_eq!(err.code(), tonic::Code::Unavailable, "{}", err.message());
        let ars = api.list("AccessRequest");
        assert_eq!(ars.len(), 1, "created by the driver's own identity");
        // The controller grants the capability and marks the request Ready.
        enforce(&api, install, true);
        let mut ar = ars[0].clone();
        ar["status"] = json!({"conditions": [{"type": "Ready", "status": "True"}]});
        api.apply(ar);
        tokio::time::sleep(Duration::from_millis(300)).await;
        t.node
            .node_publish_volume(req())
            .await
            .expect("approved: mounts");
        assert!(target.join("context.token").exists());
        t.node
            .node_unpublish_volume(unpublish_request("vol-rbac", &target))
            .await
            .unwrap();
        t.stop().await;
    }
}

/// The flags exist with their env vars, and asking for them without the Kubernetes source stops
/// the driver at start with a message that says why.
#[test]
fn flags_have_env_vars_and_need_the_kube_source() {
    let bin = env!("CARGO_BIN_EXE_connectors-csi");
    let help = std::process::Command::new(bin)
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for (flag, env) in [
        (
            "--enable-connector-proxy-permissions",
            "ENABLE_CONNECTOR_PROXY_PERMISSIONS",
        ),
        ("--enable-connectors-approval", "ENABLE_CONNECTORS_APPROVAL"),
    ] {
        assert!(help.contains(flag) && help.contains(env), "{flag}: {help}");
    }
    let dir = tempfile::tempdir().unwrap();
    let examples = repo_root().join("deploy/examples");
    for (args, env) in [
        (vec!["--enable-connectors-approval"], None),
        (vec![], Some(("ENABLE_CONNECTOR_PROXY_PERMISSIONS", "true"))),
    ] {
        let mut cmd = std::process::Command::new(bin);
        cmd.args(["serve", "--node-id", "n1", "--metrics-address", ""])
            .arg("--source")
            .arg(format!("dir:{}", examples.display()))
            .arg("--endpoint")
            .arg(dir.path().join("csi.sock"))
            .arg("--state-dir")
            .arg(dir.path().join("state"))
            .args(["--legacy-state-dir", ""])
            .args(&args)
            .env_remove("ENABLE_CONNECTOR_PROXY_PERMISSIONS")
            .env_remove("ENABLE_CONNECTORS_APPROVAL");
        if let Some((k, v)) = env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} {env:?}: {stderr}");
        assert!(stderr.contains("need --source kube"), "{stderr}");
    }
}
