//! Unit tests of the RBAC evaluator against the rules of the Kubernetes RBAC authorizer.

use super::*;

fn rbac(yaml: &str) -> Rbac {
    let docs: Vec<serde_yaml::Value> = serde_yaml::Deserializer::from_str(yaml)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .collect();
    Rbac::from_yaml(&docs).unwrap()
}

const OBJECTS: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
rules:
  - apiGroups: ["connectors.alauda.io"]
    resources: ["connectors"]
    verbs: ["get", "list", "watch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: reader}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}
subjects: [{kind: ServiceAccount, name: driver, namespace: sys}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: secrets, namespace: team}
rules:
  - apiGroups: [""]
    resources: ["secrets"]
    verbs: ["get", "list", "watch"]
    resourceNames: ["conn-token"]
  - apiGroups: [""]
    resources: ["serviceaccounts"]
    verbs: ["*"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: secrets, namespace: team}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: secrets}
subjects: [{kind: ServiceAccount, name: driver, namespace: sys}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: minter}
rules:
  - apiGroups: [""]
    resources: ["*/token"]
    verbs: ["create"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: minter, namespace: apps}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: minter}
subjects: [{kind: Group, name: "system:serviceaccounts:sys"}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: local-sa, namespace: apps}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: missing}
subjects: [{kind: ServiceAccount, name: builder}]
"#;

#[test]
fn cluster_bindings_grant_everywhere_role_bindings_only_in_their_namespace() {
    let r = rbac(OBJECTS);
    let driver = UserInfo::service_account("sys", "driver");
    let other = UserInfo::service_account("sys", "other");
    assert!(r.can_i(&driver, "list", "connectors.connectors.alauda.io", ""));
    assert!(r.can_i(&driver, "watch", "connectors.connectors.alauda.io", "team"));
    assert!(!r.can_i(&other, "list", "connectors.connectors.alauda.io", ""));
    assert!(!r.can_i(&driver, "delete", "connectors.connectors.alauda.io", "team"));
    // The Role's serviceaccounts rule: its namespace only, never -A.
    assert!(r.can_i(&driver, "delete", "serviceaccounts", "team"));
    assert!(!r.can_i(&driver, "delete", "serviceaccounts", "apps"));
    assert!(!r.can_i(&driver, "delete", "serviceaccounts", ""));
    assert_eq!(
        r.allowed_by(
            &driver,
            &Attributes::new("get", "", "serviceaccounts").in_namespace("team")
        ),
        Some("RoleBinding team/secrets".into())
    );
}

#[test]
fn subresources_need_their_own_rule() {
    let r = rbac(OBJECTS);
    let driver = UserInfo::service_account("sys", "driver");
    // `serviceaccounts: *` does not cover serviceaccounts/token ...
    assert!(!r.can_i(&driver, "create", "serviceaccounts/token", "team"));
    // ... `*/token` does, through the group binding, in apps only.
    assert!(r.can_i(&driver, "create", "serviceaccounts/token", "apps"));
    assert!(!r.can_i(&driver, "create", "serviceaccounts/token", "kube-system"));
    assert!(!r.can_i(&driver, "create", "serviceaccounts/token", ""));
    assert!(!r.can_i(&driver, "create", "serviceaccounts", "apps"));
}

#[test]
fn resource_names_need_a_named_request() {
    let r = rbac(OBJECTS);
    let driver = UserInfo::service_account("sys", "driver");
    let get = |verb: &str, name: &str| {
        r.allows(
            &driver,
            &Attributes::new(verb, "", "secrets")
                .in_namespace("team")
                .named(name),
        )
    };
    assert!(get("get", "conn-token"));
    assert!(!get("get", "other"));
    // A list/watch with fieldSelector=metadata.name=<n> carries the name.
    assert!(get("watch", "conn-token"));
    assert!(!get("list", ""));
    assert!(!r.can_i(&driver, "list", "secrets", ""));
}

#[test]
fn subjects_and_missing_roles() {
    let r = rbac(OBJECTS);
    // ServiceAccount subject without namespace: the binding's; its Role does not exist.
    let builder = UserInfo::service_account("apps", "builder");
    assert!(!r.can_i(&builder, "get", "secrets", "apps"));
    let user = UserInfo::new("alice", &["system:serviceaccounts:sys"]);
    assert!(r.can_i(&user, "create", "serviceaccounts/token", "apps"));
}

#[test]
fn forbidden_messages_read_like_the_api_server() {
    let u = UserInfo::service_account("sys", "driver");
    assert_eq!(
        Rbac::forbidden_message(
            &u,
            &Attributes::new("list", "", "secrets").in_namespace("team")
        ),
        r#"secrets is forbidden: User "system:serviceaccount:sys:driver" cannot list resource "secrets" in API group "" in the namespace "team""#
    );
    assert_eq!(
        Rbac::forbidden_message(
            &u,
            &Attributes::new("create", "", "serviceaccounts/token")
                .in_namespace("kube-system")
                .named("admin")
        ),
        r#"serviceaccounts "admin" is forbidden: User "system:serviceaccount:sys:driver" cannot create resource "serviceaccounts/token" in API group "" in the namespace "kube-system""#
    );
    assert_eq!(
        Rbac::forbidden_message(
            &u,
            &Attributes::new("list", "connectors.alauda.io", "connectorclasses")
        ),
        r#"connectorclasses.connectors.alauda.io is forbidden: User "system:serviceaccount:sys:driver" cannot list resource "connectorclasses" in API group "connectors.alauda.io" at the cluster scope"#
    );
}

#[test]
fn malformed_rbac_objects_are_refused() {
    for bad in [
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r}\n",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: b}\nroleRef: {kind: Role, name: r}\n",
    ] {
        let docs: Vec<serde_yaml::Value> = vec![serde_yaml::from_str(bad).unwrap()];
        assert!(Rbac::from_yaml(&docs).is_err(), "{bad}");
    }
}
