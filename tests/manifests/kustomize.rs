//! The kustomize base under `deploy/` and its components: every file parses, the kustomization
//! lists exactly the manifests, `kubectl kustomize` builds the base and the base with each
//! component, and the built CSIDriver, DaemonSet and RBAC pass the shared checks.

use super::*;
use crate::checks::*;
use test_support::k8s_tools::deploy_dir;

// ---------------------------------------------------------------------------------------------
// The kustomize base

pub(crate) fn kustomization() -> Value {
    load("deploy/kustomization.yaml").remove(0)
}

/// `kubectl kustomize deploy/`.
pub(crate) fn kustomize_base(t: &K8sTools) -> Vec<Value> {
    t.kustomize(&deploy_dir())
}

/// `(kind, namespace, name)` of an object.
pub(crate) fn key(o: &Value) -> (String, String, String) {
    (
        kind(o).to_string(),
        get(o, "metadata.namespace")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        name(o).to_string(),
    )
}

/// The objects of the base built with `component` that the base alone does not have.
pub(crate) fn component_objects(t: &K8sTools, component: &str) -> Vec<Value> {
    let base: BTreeSet<_> = kustomize_base(t).iter().map(key).collect();
    t.kustomize_with_components(
        &deploy_dir(),
        &[&deploy_dir().join("components").join(component)],
    )
    .into_iter()
    .filter(|o| !base.contains(&key(o)))
    .collect()
}

#[test]
fn every_yaml_under_deploy_parses_and_names_its_objects() {
    let mut files = Vec::new();
    yaml_files(&root().join("deploy"), &mut files);
    assert!(
        files.len() >= 10,
        "expected the deploy/ tree, found {files:?}"
    );
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let docs = parse_docs(&text, &rel(f));
        assert!(!docs.is_empty(), "{} has no YAML document", rel(f));
        for (i, d) in docs.iter().enumerate() {
            let what = format!("{} document {i}", rel(f));
            assert!(
                !s(d, "apiVersion", &what).is_empty() && !s(d, "kind", &what).is_empty(),
                "{what}: empty apiVersion or kind"
            );
            if CONFIG_FILE_KINDS.contains(&kind(d)) {
                continue;
            }
            assert!(
                !s(d, "metadata.name", &what).is_empty(),
                "{what}: empty metadata.name"
            );
        }
    }
}

#[test]
fn kustomization_lists_exactly_the_base_manifests() {
    let k = kustomization();
    assert_eq!(s(&k, "namespace", "kustomization"), "connectors-system");
    let listed: BTreeSet<String> = seq(&k, "resources", "kustomization")
        .iter()
        .map(|r| r.as_str().expect("resource entries are paths").to_string())
        .collect();
    for r in &listed {
        assert!(
            root().join("deploy").join(r).is_file(),
            "deploy/kustomization.yaml lists {r}, which does not exist"
        );
    }
    // Every manifest at the top of deploy/ and in deploy/crds/ is part of the base.
    let mut present = BTreeSet::new();
    for dir in ["deploy", "deploy/crds"] {
        for e in std::fs::read_dir(root().join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() && p.extension().and_then(|x| x.to_str()) == Some("yaml") {
                let r = p
                    .strip_prefix(root().join("deploy"))
                    .unwrap()
                    .display()
                    .to_string();
                if r != "kustomization.yaml" {
                    present.insert(r);
                }
            }
        }
    }
    assert_eq!(
        listed, present,
        "deploy/kustomization.yaml must list every manifest of deploy/ and deploy/crds/"
    );
    // The images entry rewrites the DaemonSet's driver image.
    let ds = find(
        &load("deploy/daemonset.yaml"),
        "DaemonSet",
        "connectors-csi",
    )
    .clone();
    let driver = by_name(
        seq(&ds, "spec.template.spec.containers", "ds"),
        "driver",
        "containers",
    );
    let img = s(driver, "image", "driver");
    assert!(
        seq(&k, "images", "kustomization")
            .iter()
            .any(|i| i.get("name").and_then(Value::as_str) == Some(img)),
        "the kustomization's images entry must name the driver image {img:?}"
    );
}

#[test]
fn csidriver_carries_the_settings_the_driver_needs() {
    let docs = load("deploy/csidriver.yaml");
    assert_eq!(docs.len(), 1);
    let d = &docs[0];
    check_csidriver(d);
    assert_eq!(token_audience(d), "connectors-proxy");
    assert_eq!(
        int(d, "spec.tokenRequests.0.expirationSeconds", "CSIDriver"),
        1800
    );
    // Off by default (Kubernetes >= 1.35 only); documented in a comment.
    assert!(get(d, "spec.serviceAccountTokenInSecrets").is_none());
    let text = std::fs::read_to_string(root().join("deploy/csidriver.yaml")).unwrap();
    assert!(text.contains("# serviceAccountTokenInSecrets: true"));
}

#[test]
fn daemonset_is_wired_to_kubelet_and_sidecars() {
    let Some(t) = tools("daemonset_is_wired_to_kubelet_and_sidecars") else {
        return;
    };
    let base = kustomize_base(t);
    let ds = find(&base, "DaemonSet", "connectors-csi");
    let csidriver = find(&base, "CSIDriver", DRIVER_NAME);
    check_daemonset(ds, csidriver);
    // The documented defaults.
    assert_eq!(s(ds, "metadata.namespace", "ds"), "connectors-system");
    let pod = req(ds, "spec.template.spec", "ds");
    let driver = by_name(seq(pod, "containers", "ds"), "driver", "containers");
    assert_eq!(env_str(driver, "CSI_ENDPOINT"), "unix:///csi/csi.sock");
    assert_eq!(env_str(driver, "KUBELET_DIR"), "/var/lib/kubelet");
    // State on the host's /run (a tmpfs: the mounts' lifetime), migrated from the old default.
    assert_eq!(env_str(driver, "STATE_DIR"), "/run/connectors-csi");
    assert_eq!(
        env_str(driver, "LEGACY_STATE_DIR"),
        "/var/lib/connectors-csi"
    );
    assert_eq!(env_str(driver, "CONNECTORS_CSI_SOURCE"), "kube");
    assert!(
        env_value(driver, "ENABLE_DEBUG_VOLUMES").is_none(),
        "/debug/volumes is opt-in (deploy/components/debug-volumes)"
    );
    // The kustomization's images entry rewrote the driver image.
    let k = kustomization();
    let img = &seq(&k, "images", "kustomization")[0];
    assert_eq!(
        s(driver, "image", "driver"),
        format!(
            "{}:{}",
            s(img, "newName", "images"),
            s(img, "newTag", "images")
        )
    );
    let ports = seq(driver, "ports", "driver");
    assert_eq!(
        int(by_name(ports, "metrics", "ports"), "containerPort", "m"),
        9810
    );
    assert_eq!(
        int(by_name(ports, "healthz", "ports"), "containerPort", "h"),
        9808
    );
    assert_eq!(s(driver, "resources.requests.cpu", "driver"), "10m");
    assert_eq!(s(driver, "resources.requests.memory", "driver"), "32Mi");
    assert_eq!(s(driver, "resources.limits.memory", "driver"), "128Mi");
    let reg = by_name(seq(pod, "containers", "ds"), "node-driver-registrar", "c");
    assert_eq!(
        flag(reg, "--kubelet-registration-path"),
        Some("/var/lib/kubelet/plugins/connectors-csi/csi.sock")
    );
    let volumes = seq(pod, "volumes", "ds");
    for (vol, path, ty) in [
        ("kubelet-dir", "/var/lib/kubelet", "DirectoryOrCreate"),
        (
            "socket-dir",
            "/var/lib/kubelet/plugins/connectors-csi",
            "DirectoryOrCreate",
        ),
        (
            "registration-dir",
            "/var/lib/kubelet/plugins_registry",
            "Directory",
        ),
        ("state-dir", "/run/connectors-csi", "DirectoryOrCreate"),
        (
            "legacy-state-dir",
            "/var/lib/connectors-csi",
            "DirectoryOrCreate",
        ),
    ] {
        let v = by_name(volumes, vol, "volumes");
        assert_eq!(s(v, "hostPath.path", vol), path);
        assert_eq!(s(v, "hostPath.type", vol), ty);
    }
}

#[test]
fn rbac_grants_every_call_the_driver_makes() {
    let Some(t) = tools("rbac_grants_every_call_the_driver_makes") else {
        return;
    };
    let base = kustomize_base(t);
    let ds = find(&base, "DaemonSet", "connectors-csi");
    check_rbac(&base, ds);
    // deploy/rbac.yaml alone is complete (error messages tell users to apply it).
    let rbac = load("deploy/rbac.yaml");
    check_rbac(&rbac, ds);
}

#[test]
fn rbac_check_rejects_a_missing_permission() {
    let ds = find(
        &load("deploy/daemonset.yaml"),
        "DaemonSet",
        "connectors-csi",
    )
    .clone();
    check_rbac(&load("deploy/rbac.yaml"), &ds);
    let mut rbac = load("deploy/rbac.yaml");
    let role = rbac.iter_mut().find(|d| kind(d) == "ClusterRole").unwrap();
    let rules = role
        .get_mut("rules")
        .and_then(Value::as_sequence_mut)
        .unwrap();
    rules.retain(|r| !rule_allows(r, "authorization.k8s.io", "subjectaccessreviews", "create"));
    let result = std::panic::catch_unwind(|| check_rbac(&rbac, &ds));
    assert!(
        result.is_err(),
        "check_rbac accepted a role without subjectaccessreviews"
    );
}

/// The DaemonSet's driver container of built objects.
fn driver_of(objects: &[Value]) -> Value {
    let ds = find(objects, "DaemonSet", "connectors-csi");
    by_name(
        seq(ds, "spec.template.spec.containers", "ds"),
        "driver",
        "containers",
    )
    .clone()
}

#[test]
fn every_component_builds_on_the_base_and_adds_what_it_promises() {
    let Some(t) = tools("every_component_builds_on_the_base_and_adds_what_it_promises") else {
        return;
    };
    let mut present: Vec<String> = std::fs::read_dir(root().join("deploy/components"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    present.sort();
    let tested = [
        "api-priority-and-fairness",
        "connector-secrets",
        "connectors-approval",
        "debug-volumes",
        "driver-minted-tokens",
        "monitoring",
    ];
    assert_eq!(
        present, tested,
        "a component under deploy/components/ this test does not build"
    );
    let base = kustomize_base(t);
    let base_keys: BTreeSet<_> = base.iter().map(key).collect();
    for c in tested {
        let built =
            t.kustomize_with_components(&deploy_dir(), &[&deploy_dir().join("components").join(c)]);
        let added: BTreeSet<(String, String, String)> = built
            .iter()
            .map(key)
            .filter(|k| !base_keys.contains(k))
            .collect();
        let kinds: BTreeSet<&str> = added.iter().map(|k| k.0.as_str()).collect();
        // Every component keeps the base whole and the driver wired.
        assert!(
            base_keys.iter().all(|k| built.iter().any(|o| &key(o) == k)),
            "{c} drops base objects"
        );
        check_daemonset(
            find(&built, "DaemonSet", "connectors-csi"),
            find(&built, "CSIDriver", DRIVER_NAME),
        );
        check_rbac(&built, find(&built, "DaemonSet", "connectors-csi"));
        let driver = driver_of(&built);
        let env = |var: &str| {
            env_value(&driver, var)
                .and_then(|e| e.get("value"))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        match c {
            "api-priority-and-fairness" => {
                assert_eq!(
                    kinds,
                    BTreeSet::from(["FlowSchema", "PriorityLevelConfiguration"]),
                    "{c}"
                );
            }
            "connector-secrets" => {
                assert_eq!(kinds, BTreeSet::from(["Role", "RoleBinding"]), "{c}");
                assert!(added.iter().all(|k| k.1 == "team-a"), "{c}: {added:?}");
                assert_eq!(env("TOKEN_SOURCE").as_deref(), Some("kubelet"));
            }
            "driver-minted-tokens" => {
                assert_eq!(kinds, BTreeSet::from(["Role", "RoleBinding"]), "{c}");
                assert_eq!(env("TOKEN_SOURCE").as_deref(), Some("auto"), "{c}");
            }
            "connectors-approval" => {
                assert_eq!(
                    kinds,
                    BTreeSet::from(["ClusterRole", "ClusterRoleBinding"]),
                    "{c}"
                );
                assert_eq!(
                    env("ENABLE_CONNECTOR_PROXY_PERMISSIONS").as_deref(),
                    Some("true")
                );
                assert_eq!(env("ENABLE_CONNECTORS_APPROVAL").as_deref(), Some("true"));
            }
            "debug-volumes" => {
                assert!(added.is_empty(), "{c} only patches: {added:?}");
                assert_eq!(env("ENABLE_DEBUG_VOLUMES").as_deref(), Some("true"), "{c}");
                // The patch adds the variable and keeps the others.
                assert_eq!(env("TOKEN_AUDIENCE").as_deref(), Some("connectors-proxy"));
            }
            "monitoring" => {
                assert_eq!(
                    kinds,
                    BTreeSet::from(["ConfigMap", "PodMonitor", "PrometheusRule"]),
                    "{c}"
                );
                assert!(
                    added.iter().all(|k| k.1 == "connectors-system"),
                    "{c}: {added:?}"
                );
            }
            _ => unreachable!(),
        }
        if c != "debug-volumes" {
            assert!(
                env("ENABLE_DEBUG_VOLUMES").is_none(),
                "{c} turned on /debug/volumes"
            );
        }
    }
}
