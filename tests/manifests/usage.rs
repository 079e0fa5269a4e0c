//! The usage examples under `deploy/usage/`: they mount existing Connectors and configurations,
//! read-only, with the RBAC the driver checks.

use super::*;
use crate::checks::*;

// ---------------------------------------------------------------------------------------------
// Usage examples (deploy/usage/)

/// Configurations every connector of class `k8s` has without declaring them.
pub(crate) const K8S_BUILTIN_CONFIGURATIONS: &[&str] = &["kubeconfig", "tokenfile"];

/// A CSI volume attribute (the keys contain dots, so not a `get` path).
pub(crate) fn attr<'a>(csi: &'a Value, key: &str, what: &str) -> &'a str {
    req(csi, "volumeAttributes", what)
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{what}: volumeAttributes has no {key}"))
}

pub(crate) fn pod_specs(docs: &[Value]) -> Vec<(String, Value)> {
    docs.iter()
        .filter_map(|d| match kind(d) {
            "Pod" => Some((format!("Pod {}", name(d)), d["spec"].clone())),
            "Job" => Some((
                format!("Job {}", name(d)),
                d["spec"]["template"]["spec"].clone(),
            )),
            _ => None,
        })
        .collect()
}

#[test]
fn usage_examples_mount_existing_connectors_read_only() {
    let mut examples = Vec::new();
    for f in [
        "deploy/examples/classes.yaml",
        "deploy/examples/connectors.yaml",
    ] {
        examples.extend(load(f));
    }
    let rbac = load("deploy/usage/rbac.yaml");
    let mut files = Vec::new();
    yaml_files(&root().join("deploy/usage"), &mut files);
    let mut csi_volumes = 0;
    let mut saw_tokenfile = false;
    let mut saw_kubeconfig_env = false;
    for f in files {
        let docs = parse_docs(&std::fs::read_to_string(&f).unwrap(), &rel(&f));
        for (what, spec) in pod_specs(&docs) {
            let ns = "default";
            let sa = s(&spec, "serviceAccountName", &what);
            for vol in seq(&spec, "volumes", &what) {
                let Some(csi) = vol.get("csi") else { continue };
                csi_volumes += 1;
                assert_eq!(s(csi, "driver", &what), DRIVER_NAME);
                assert_eq!(
                    csi.get("readOnly"),
                    Some(&Value::Bool(true)),
                    "{what}: the driver refuses volumes that are not readOnly"
                );
                let connector_name = attr(csi, "connector.name", &what);
                let connector = examples
                    .iter()
                    .find(|d| {
                        kind(d) == "Connector"
                            && name(d) == connector_name
                            && get(d, "metadata.namespace").and_then(Value::as_str) == Some(ns)
                    })
                    .unwrap_or_else(|| {
                        panic!("{what}: no example Connector {ns}/{connector_name}")
                    });
                let class = find(
                    &examples,
                    "ConnectorClass",
                    s(connector, "spec.connectorClassName", "connector"),
                );
                let declared: Vec<&str> = get(class, "spec.configurations")
                    .and_then(Value::as_sequence)
                    .into_iter()
                    .flatten()
                    .map(name_of)
                    .collect();
                let names = attr(csi, "configuration.names", &what);
                for n in names.split(',').map(str::trim) {
                    let builtin = name(class) == "k8s" && K8S_BUILTIN_CONFIGURATIONS.contains(&n);
                    assert!(
                        builtin || declared.contains(&n),
                        "{what}: configuration {n:?} is neither declared by class {} nor built in",
                        name(class)
                    );
                    saw_tokenfile |= n == "tokenfile";
                }
                // The pod's ServiceAccount may get the Connector (the driver's access check).
                let allowed = rbac.iter().filter(|d| kind(d) == "RoleBinding").any(|b| {
                    seq(b, "subjects", "binding")
                        .iter()
                        .any(|x| x.get("name").and_then(Value::as_str) == Some(sa))
                        && {
                            let role = find(&rbac, "Role", s(b, "roleRef.name", "binding"));
                            seq(role, "rules", "role").iter().any(|r| {
                                rule_allows(r, "connectors.alauda.io", "connectors", "get")
                                    && r.get("resourceNames")
                                        .and_then(Value::as_sequence)
                                        .is_none_or(|n| {
                                            n.iter().any(|x| x.as_str() == Some(connector_name))
                                        })
                            })
                        }
                });
                assert!(
                    allowed,
                    "{what}: ServiceAccount {sa} is not granted get on connector {connector_name}"
                );

                // Every container mount of the volume is read-only and not a subPath (subPath
                // mounts never see refreshed files); KUBECONFIG points into the mount.
                for c in seq(&spec, "containers", &what) {
                    for m in c
                        .get("volumeMounts")
                        .and_then(Value::as_sequence)
                        .into_iter()
                        .flatten()
                        .filter(|m| name_of(m) == name_of(vol))
                    {
                        assert_eq!(m.get("readOnly"), Some(&Value::Bool(true)), "{what}");
                        assert!(m.get("subPath").is_none(), "{what}: subPath mount");
                        let dir = s(m, "mountPath", &what);
                        if let Some(kc) = env_value(c, "KUBECONFIG") {
                            let kc = s(kc, "value", "KUBECONFIG");
                            assert_eq!(kc, format!("{dir}/kubeconfig"), "{what}");
                            saw_kubeconfig_env = true;
                        }
                        if names.split(',').any(|n| n.trim() == "tokenfile") {
                            assert_eq!(dir, "/var/run/secrets/kubernetes.io/serviceaccount");
                            assert_eq!(
                                spec.get("automountServiceAccountToken"),
                                Some(&Value::Bool(false)),
                                "{what}: kubelet's own token volume would occupy the same path"
                            );
                        }
                    }
                }
            }
        }
    }
    assert!(
        csi_volumes >= 3,
        "expected the pod, job and tokenfile examples"
    );
    assert!(saw_tokenfile && saw_kubeconfig_env);
}
