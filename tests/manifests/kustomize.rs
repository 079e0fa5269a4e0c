//! The kustomize base under `deploy/`: every file parses, the kustomization lists exactly the
//! manifests, and the CSIDriver, DaemonSet and RBAC pass the shared checks.

use super::*;
use crate::checks::*;

// ---------------------------------------------------------------------------------------------
// The kustomize base

pub(crate) fn kustomization() -> Value {
    load("deploy/kustomization.yaml").remove(0)
}

/// The base's objects, with the kustomization's `namespace` and `images` applied (the only
/// transformations it uses).
pub(crate) fn kustomize_base() -> Vec<Value> {
    let k = kustomization();
    let ns = s(&k, "namespace", "kustomization").to_string();
    let images: Vec<(String, String)> = k
        .get("images")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .map(|i| {
            let from = s(i, "name", "images").to_string();
            let to = format!("{}:{}", s(i, "newName", "images"), s(i, "newTag", "images"));
            (from, to)
        })
        .collect();
    let mut out = Vec::new();
    for r in seq(&k, "resources", "kustomization") {
        for mut d in load(&format!("deploy/{}", r.as_str().unwrap())) {
            if let Some(meta) = d.get_mut("metadata").and_then(Value::as_mapping_mut) {
                if meta.contains_key("namespace") {
                    meta.insert("namespace".into(), Value::from(ns.clone()));
                }
            }
            if kind(&d) == "DaemonSet" {
                for c in d
                    .get_mut("spec")
                    .and_then(|v| v.get_mut("template"))
                    .and_then(|v| v.get_mut("spec"))
                    .and_then(|v| v.get_mut("containers"))
                    .and_then(Value::as_sequence_mut)
                    .into_iter()
                    .flatten()
                {
                    let img = c
                        .get("image")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string();
                    if let Some((_, to)) = images.iter().find(|(from, _)| *from == img) {
                        c.as_mapping_mut()
                            .unwrap()
                            .insert("image".into(), Value::from(to.clone()));
                    }
                }
            }
            out.push(d);
        }
    }
    out
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
    let base = kustomize_base();
    let ds = find(&base, "DaemonSet", "connectors-csi");
    let csidriver = find(&base, "CSIDriver", DRIVER_NAME);
    check_daemonset(ds, csidriver);
    // The documented defaults.
    assert_eq!(s(ds, "metadata.namespace", "ds"), "connectors-system");
    let pod = req(ds, "spec.template.spec", "ds");
    let driver = by_name(seq(pod, "containers", "ds"), "driver", "containers");
    assert_eq!(env_str(driver, "CSI_ENDPOINT"), "unix:///csi/csi.sock");
    assert_eq!(env_str(driver, "KUBELET_DIR"), "/var/lib/kubelet");
    assert_eq!(env_str(driver, "STATE_DIR"), "/var/lib/connectors-csi");
    assert_eq!(env_str(driver, "CONNECTORS_CSI_SOURCE"), "kube");
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
        ("state-dir", "/var/lib/connectors-csi", "DirectoryOrCreate"),
    ] {
        let v = by_name(volumes, vol, "volumes");
        assert_eq!(s(v, "hostPath.path", vol), path);
        assert_eq!(s(v, "hostPath.type", vol), ty);
    }
}

#[test]
fn rbac_grants_every_call_the_driver_makes() {
    let base = kustomize_base();
    let ds = find(&base, "DaemonSet", "connectors-csi");
    check_rbac(&base, ds);
    // deploy/rbac.yaml alone is complete (error messages tell users to apply it).
    let rbac = load("deploy/rbac.yaml");
    check_rbac(&rbac, ds);
}

#[test]
fn rbac_check_rejects_a_missing_permission() {
    let base = kustomize_base();
    let ds = find(&base, "DaemonSet", "connectors-csi").clone();
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
