//! `kubectl auth can-i` for the identities of the install manifests, answered by an RBAC
//! evaluator over the exact objects of the kustomize base (and its components), the Helm chart
//! rendered with default and opt-in values, and the credential provider's RBAC.
//!
//! The issue's acceptance questions: as `system:serviceaccount:connectors-system:connectors-csi`,
//! `list secrets -A` and `create serviceaccounts/token -n kube-system` answer **no** for the
//! default kustomize base and the default Helm values.

use std::path::PathBuf;

use serde_yaml::Value;
use test_support::k8s_tools::{k8s_tools, K8sTools};
use test_support::rbac::{Rbac, UserInfo};
use test_support::repo_root;

fn driver() -> UserInfo {
    UserInfo::service_account("connectors-system", "connectors-csi")
}

fn deploy(rel: &str) -> PathBuf {
    repo_root().join("deploy").join(rel)
}

/// `kubectl kustomize deploy/`.
fn base(t: &K8sTools) -> Vec<Value> {
    t.kustomize(&deploy(""))
}

/// `helm template` of the chart with `values`.
fn chart(t: &K8sTools, values: &str) -> Vec<Value> {
    t.helm_template(values)
}

fn rbac(objects: &[Value]) -> Rbac {
    Rbac::from_yaml(objects).expect("the RBAC objects are well-formed")
}

fn kind(o: &Value) -> &str {
    o["kind"].as_str().unwrap_or_default()
}

fn driver_env<'a>(objects: &'a [Value], var: &str) -> &'a str {
    let ds = objects
        .iter()
        .find(|o| kind(o) == "DaemonSet")
        .expect("a DaemonSet");
    let driver = ds["spec"]["template"]["spec"]["containers"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "driver")
        .expect("the driver container");
    driver["env"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|e| e["name"] == var)
        .and_then(|e| e["value"].as_str())
        .unwrap_or_else(|| panic!("driver env {var}"))
}

/// The questions whose answer must be no for the default install, and the ones that must stay
/// yes for it to work at all (so a deny-everything evaluator cannot pass).
fn assert_least_privilege(what: &str, objects: &[Value]) {
    let r = rbac(objects);
    let me = driver();
    for (verb, resource, ns) in [
        ("list", "secrets", ""),
        ("get", "secrets", ""),
        ("watch", "secrets", ""),
        ("get", "secrets", "team-a"),
        ("list", "secrets", "kube-system"),
        ("create", "serviceaccounts/token", "kube-system"),
        ("create", "serviceaccounts/token", ""),
        ("create", "serviceaccounts/token", "team-a"),
        ("create", "serviceaccounts", "team-a"),
        ("update", "connectors.connectors.alauda.io", "team-a"),
        ("list", "pods", ""),
        // Pod events are written, never read back or deleted.
        ("list", "events", ""),
        ("get", "events", "team-a"),
        ("delete", "events", "team-a"),
        // The feature-flag ConfigMap is readable by name only (a Role with resourceNames):
        // no ConfigMap in general, not even in the Connectors namespace.
        ("list", "configmaps", ""),
        ("list", "configmaps", "connectors-system"),
        ("get", "configmaps", "team-a"),
        ("update", "configmaps", "connectors-system"),
    ] {
        assert!(
            !r.can_i(&me, verb, resource, ns),
            "{what}: `kubectl auth can-i {verb} {resource} {}` must answer no",
            if ns.is_empty() {
                "-A".into()
            } else {
                format!("-n {ns}")
            }
        );
    }
    for (verb, resource, ns) in [
        ("list", "connectors.connectors.alauda.io", ""),
        ("watch", "connectors.connectors.alauda.io", ""),
        ("get", "connectors.connectors.alauda.io", "team-a"),
        ("list", "connectorclasses.connectors.alauda.io", ""),
        ("watch", "connectorclasses.connectors.alauda.io", ""),
        ("get", "namespaces", ""),
        ("create", "subjectaccessreviews.authorization.k8s.io", ""),
        ("create", "events", "team-a"),
        ("patch", "events", "team-a"),
    ] {
        assert!(
            r.can_i(&me, verb, resource, ns),
            "{what}: the driver needs `{verb} {resource}` ({ns:?})"
        );
    }
    // No rule of any role mentions Secrets or token minting, bound or not.
    for o in objects.iter().filter(|o| kind(o).ends_with("Role")) {
        let text = serde_yaml::to_string(&o["rules"]).unwrap();
        assert!(
            !text.contains("secrets") && !text.contains("serviceaccounts/token"),
            "{what}: {} {} grants Secrets or token minting:\n{text}",
            kind(o),
            o["metadata"]["name"].as_str().unwrap_or_default()
        );
    }
    // Pod tokens come from kubelet only, for the CSIDriver's audience.
    assert_eq!(driver_env(objects, "TOKEN_SOURCE"), "kubelet", "{what}");
    let csi = objects.iter().find(|o| kind(o) == "CSIDriver").unwrap();
    let tr = &csi["spec"]["tokenRequests"][0];
    assert_eq!(
        tr["audience"].as_str(),
        Some(driver_env(objects, "TOKEN_AUDIENCE")),
        "{what}: kubelet must mint for the audience the driver expects"
    );
    let exp = tr["expirationSeconds"].as_i64().unwrap();
    assert!(
        (600..=86_400).contains(&exp),
        "{what}: expirationSeconds {exp} (kubelet refreshes at 80 %, republish runs every ~minute)"
    );
}

#[test]
fn default_kustomize_base_and_helm_values_grant_no_secrets_and_no_token_minting() {
    let Some(t) =
        k8s_tools("default_kustomize_base_and_helm_values_grant_no_secrets_and_no_token_minting")
    else {
        return;
    };
    assert_least_privilege("kustomize base", &base(t));
    assert_least_privilege("Helm chart, default values", &chart(t, ""));
    // deploy/rbac.yaml alone is the same identity (error messages point at it).
    let alone = test_support::yaml::load("deploy/rbac.yaml");
    let r = rbac(&alone);
    assert!(!r.can_i(&driver(), "list", "secrets", ""));
    assert!(!r.can_i(&driver(), "create", "serviceaccounts/token", "kube-system"));
}

#[test]
fn the_evaluator_says_yes_to_the_old_cluster_wide_grants() {
    let Some(t) = k8s_tools("the_evaluator_says_yes_to_the_old_cluster_wide_grants") else {
        return;
    };
    // Negative control: the ClusterRole this issue removed would answer yes to both questions.
    let mut objects = base(t);
    let role = objects
        .iter_mut()
        .find(|o| kind(o) == "ClusterRole")
        .unwrap();
    let rules = role["rules"].as_sequence_mut().unwrap();
    rules.push(
        serde_yaml::from_str(
            r#"{apiGroups: [""], resources: [secrets], verbs: [get, list, watch]}"#,
        )
        .unwrap(),
    );
    rules.push(
        serde_yaml::from_str(
            r#"{apiGroups: [""], resources: [serviceaccounts/token], verbs: [create]}"#,
        )
        .unwrap(),
    );
    let r = rbac(&objects);
    assert!(r.can_i(&driver(), "list", "secrets", ""));
    assert!(r.can_i(&driver(), "create", "serviceaccounts/token", "kube-system"));
}

/// Secrets and token minting only in `granted` namespaces, never elsewhere or cluster-wide.
fn assert_scoped(what: &str, objects: &[Value], secrets_in: &[&str], tokens_in: &[&str]) {
    let r = rbac(objects);
    let me = driver();
    for ns in ["team-a", "team-b", "kube-system", "default"] {
        for verb in ["get", "list", "watch"] {
            assert_eq!(
                r.can_i(&me, verb, "secrets", ns),
                secrets_in.contains(&ns),
                "{what}: {verb} secrets -n {ns}"
            );
        }
        assert!(!r.can_i(&me, "delete", "secrets", ns), "{what}: read-only");
        assert_eq!(
            r.can_i(&me, "create", "serviceaccounts/token", ns),
            tokens_in.contains(&ns),
            "{what}: create serviceaccounts/token -n {ns}"
        );
    }
    assert!(
        !r.can_i(&me, "list", "secrets", ""),
        "{what}: list secrets -A"
    );
    assert!(
        !r.can_i(&me, "create", "serviceaccounts/token", ""),
        "{what}: token minting cluster-wide"
    );
}

#[test]
fn kustomize_components_grant_only_in_their_namespaces() {
    let Some(t) = k8s_tools("kustomize_components_grant_only_in_their_namespaces") else {
        return;
    };
    let secrets = deploy("components/connector-secrets");
    let tokens = deploy("components/driver-minted-tokens");
    let with_secrets = t.kustomize_with_components(&deploy(""), &[&secrets]);
    assert_scoped("connector-secrets", &with_secrets, &["team-a"], &[]);
    assert_eq!(driver_env(&with_secrets, "TOKEN_SOURCE"), "kubelet");
    let with_tokens = t.kustomize_with_components(&deploy(""), &[&tokens]);
    assert_scoped("driver-minted-tokens", &with_tokens, &[], &["team-a"]);
    assert_eq!(
        driver_env(&with_tokens, "TOKEN_SOURCE"),
        "auto",
        "the minting component lets the driver mint"
    );
    let both = t.kustomize_with_components(&deploy(""), &[&secrets, &tokens]);
    assert_scoped("both components", &both, &["team-a"], &["team-a"]);
    // Every extra is a namespaced Role bound by a RoleBinding in the same namespace.
    for o in both.iter().filter(|o| {
        o["metadata"]["labels"]["app.kubernetes.io/component"]
            .as_str()
            .is_some_and(|c| c == "connector-secrets" || c == "driver-minted-tokens")
    }) {
        assert!(
            kind(o) == "Role" || kind(o) == "RoleBinding",
            "extras are Roles and RoleBindings only, got {}",
            kind(o)
        );
    }
}

/// The base's Role (and RoleBinding) for the feature-flag ConfigMap `connectors-config`.
fn is_feature_flags(o: &serde_yaml::Value) -> bool {
    o["metadata"]["name"]
        .as_str()
        .is_some_and(|n| n.ends_with("-feature-flags"))
}

#[test]
fn helm_values_grant_only_in_the_listed_namespaces() {
    let Some(t) = k8s_tools("helm_values_grant_only_in_the_listed_namespaces") else {
        return;
    };
    let objects = chart(
        t,
        "connectorSecrets: {namespaces: [team-a, team-b]}\ntokenMinting: {namespaces: [team-a]}\ntokenSource: auto\n",
    );
    assert_scoped("Helm extras", &objects, &["team-a", "team-b"], &["team-a"]);
    assert_eq!(driver_env(&objects, "TOKEN_SOURCE"), "auto");
    // (The base's one Role, read access to the feature-flag ConfigMap by name, is not an extra.)
    let roles: Vec<String> = objects
        .iter()
        .filter(|o| kind(o) == "Role" && !is_feature_flags(o))
        .map(|o| {
            format!(
                "{}/{}",
                o["metadata"]["namespace"].as_str().unwrap(),
                o["metadata"]["name"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        roles,
        [
            "team-a/connectors-csi-connector-secrets",
            "team-b/connectors-csi-connector-secrets",
            "team-a/connectors-csi-token-minting",
        ]
    );
    // Default values render no other Role or RoleBinding.
    assert!(chart(t, "")
        .iter()
        .all(|o| (kind(o) != "Role" && kind(o) != "RoleBinding") || is_feature_flags(o)));
}

#[test]
fn credential_provider_reads_secrets_only_in_static_mode_and_only_its_namespaces() {
    let me = UserInfo::service_account("connectors-system", "connectors-credential-provider");
    // ServiceAccount-token mode: rbac.yaml alone reads no Secret anywhere.
    let token_mode = test_support::yaml::load("deploy/credential-provider/rbac.yaml");
    let r = rbac(&token_mode);
    for ns in ["", "platform-registries", "kube-system"] {
        for verb in ["get", "list", "watch"] {
            assert!(!r.can_i(&me, verb, "secrets", ns), "{verb} secrets {ns:?}");
        }
    }
    assert!(r.can_i(&me, "list", "connectors.connectors.alauda.io", ""));
    assert!(!r.can_i(&me, "create", "serviceaccounts/token", "kube-system"));
    // Static mode: plus the Secrets of the --namespace namespaces (platform-registries in the
    // shipped configuration), nothing else.
    let mut static_mode = token_mode.clone();
    static_mode.extend(test_support::yaml::load(
        "deploy/credential-provider/rbac-static-secrets.yaml",
    ));
    let r = rbac(&static_mode);
    for verb in ["get", "list", "watch"] {
        assert!(r.can_i(&me, verb, "secrets", "platform-registries"));
        assert!(!r.can_i(&me, verb, "secrets", "kube-system"));
        assert!(!r.can_i(&me, verb, "secrets", ""));
    }
    let config = std::fs::read_to_string(
        repo_root().join("deploy/credential-provider/credential-provider-config.yaml"),
    )
    .unwrap();
    assert!(
        config.contains("--namespace=platform-registries"),
        "the Secret grant follows the provider's --namespace"
    );
}
