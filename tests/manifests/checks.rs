//! Checks shared by the kustomize base and the rendered chart: CSIDriver, DaemonSet wiring,
//! RBAC coverage of every driver call, CRD shape and a small OpenAPI schema validator.

use super::*;

// ---------------------------------------------------------------------------------------------
// Shared checks (applied to the kustomize base and to the rendered chart)

pub(crate) const DRIVER_NAME: &str = "connectors-csi";

/// Kinds under deploy/ that are configuration files, not API objects (no metadata.name).
pub(crate) const CONFIG_FILE_KINDS: &[&str] =
    &["Kustomization", "Component", "CredentialProviderConfig"];

pub(crate) fn check_csidriver(d: &Value) {
    let what = "CSIDriver";
    assert_eq!(s(d, "apiVersion", what), "storage.k8s.io/v1");
    assert_eq!(
        name(d),
        DRIVER_NAME,
        "the CSIDriver must be named like the driver reports itself in GetPluginInfo"
    );
    assert_eq!(req(d, "spec.attachRequired", what), &Value::Bool(false));
    assert_eq!(
        req(d, "spec.podInfoOnMount", what),
        &Value::Bool(true),
        "the driver needs the pod name/namespace/ServiceAccount in the volume context"
    );
    assert_eq!(
        seq(d, "spec.volumeLifecycleModes", what),
        &vec![Value::from("Ephemeral")]
    );
    assert_eq!(s(d, "spec.fsGroupPolicy", what), "File");
    assert_eq!(
        req(d, "spec.requiresRepublish", what),
        &Value::Bool(true),
        "refreshed kubelet tokens only reach the driver through republish calls"
    );
    let reqs = seq(d, "spec.tokenRequests", what);
    assert_eq!(reqs.len(), 1, "one token audience: the connectors proxy");
    let exp = int(&reqs[0], "expirationSeconds", what);
    assert!(
        exp >= 600,
        "tokenRequests expirationSeconds {exp} is below the API server's minimum of 600"
    );
    assert!(!s(&reqs[0], "audience", what).is_empty());
}

pub(crate) fn token_audience(csidriver: &Value) -> &str {
    s(
        csidriver,
        "spec.tokenRequests.0.audience",
        "CSIDriver tokenRequests",
    )
}

/// Checks a DaemonSet for the wiring the driver depends on. Paths and ports are taken from the
/// object itself (so the same check applies to a chart rendered with other values) and
/// cross-checked between containers and volumes.
pub(crate) fn check_daemonset(ds: &Value, csidriver: &Value) {
    let what = "DaemonSet";
    assert_eq!(s(ds, "apiVersion", what), "apps/v1");
    // The selector selects the template's pods.
    let sel = req(ds, "spec.selector.matchLabels", what)
        .as_mapping()
        .expect("matchLabels is a map");
    let tmpl_labels = req(ds, "spec.template.metadata.labels", what)
        .as_mapping()
        .expect("template labels are a map");
    for (k, v) in sel {
        assert_eq!(
            tmpl_labels.get(k),
            Some(v),
            "DaemonSet selector {k:?} does not match the pod template's labels"
        );
    }
    let pod = req(ds, "spec.template.spec", what);
    assert_eq!(
        s(pod, "priorityClassName", what),
        "system-node-critical",
        "without a node-critical priority, pods needing the driver can start before it"
    );
    let tolerations = seq(pod, "tolerations", what);
    assert!(
        tolerations.iter().any(
            |t| t.get("operator").and_then(Value::as_str) == Some("Exists")
                && t.get("key").is_none()
        ),
        "the DaemonSet must tolerate every taint (operator: Exists without key)"
    );

    let volumes = seq(pod, "volumes", what);
    let containers = seq(pod, "containers", what);
    let volume_names: BTreeSet<&str> = volumes.iter().map(name_of).collect();
    assert_eq!(
        volume_names.len(),
        volumes.len(),
        "duplicate volume names in the DaemonSet"
    );
    for c in containers {
        for m in c
            .get("volumeMounts")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
        {
            let vol = name_of(m);
            assert!(
                volume_names.contains(vol),
                "container {} mounts volume {vol:?}, which the DaemonSet does not define",
                name_of(c)
            );
            if m.get("mountPropagation").and_then(Value::as_str) == Some("Bidirectional") {
                assert_eq!(
                    get(c, "securityContext.privileged"),
                    Some(&Value::Bool(true)),
                    "container {}: the API server accepts Bidirectional propagation only on privileged containers",
                    name_of(c)
                );
            }
        }
    }
    let host_path = |vol: &str| -> &str {
        s(
            by_name(volumes, vol, "DaemonSet volumes"),
            "hostPath.path",
            &format!("volume {vol}"),
        )
    };
    let mount_of = |c: &Value, vol: &str| -> Value {
        by_name(
            seq(c, "volumeMounts", name_of(c)),
            vol,
            &format!("mounts of {}", name_of(c)),
        )
        .clone()
    };

    // The driver container.
    let driver = by_name(containers, "driver", "DaemonSet containers");
    assert_eq!(args(driver), vec!["serve"]);
    let node = env_value(driver, "NODE_NAME").expect("driver has NODE_NAME");
    assert_eq!(
        s(node, "valueFrom.fieldRef.fieldPath", "NODE_NAME"),
        "spec.nodeName",
        "NODE_NAME must come from the pod's node, it is the CSI node id"
    );
    let kubelet_dir = env_str(driver, "KUBELET_DIR");
    let kubelet_mount = mount_of(driver, "kubelet-dir");
    assert_eq!(
        s(&kubelet_mount, "mountPath", "kubelet-dir mount"),
        kubelet_dir,
        "target paths from kubelet are host paths: the kubelet dir must be mounted at the same path"
    );
    assert_eq!(
        s(&kubelet_mount, "mountPropagation", "kubelet-dir mount"),
        "Bidirectional",
        "the driver's tmpfs mounts must propagate to the host"
    );
    assert_eq!(host_path("kubelet-dir"), kubelet_dir);
    assert_eq!(
        get(driver, "securityContext.privileged"),
        Some(&Value::Bool(true))
    );

    let endpoint = env_str(driver, "CSI_ENDPOINT");
    let sock = endpoint
        .strip_prefix("unix://")
        .unwrap_or_else(|| panic!("CSI_ENDPOINT {endpoint:?} is not a unix:// URL"));
    let (sock_dir, sock_file) = sock.rsplit_once('/').expect("socket path has a directory");
    assert_eq!(
        s(&mount_of(driver, "socket-dir"), "mountPath", "socket-dir"),
        sock_dir,
        "the driver's socket must be inside the socket-dir mount"
    );
    let host_socket = format!("{}/{sock_file}", host_path("socket-dir"));
    assert_eq!(
        host_path("socket-dir"),
        format!("{kubelet_dir}/plugins/{DRIVER_NAME}"),
        "kubelet looks for plugin sockets under <kubelet dir>/plugins/"
    );

    let state_dir = env_str(driver, "STATE_DIR");
    assert_eq!(
        s(&mount_of(driver, "state-dir"), "mountPath", "state-dir"),
        state_dir
    );
    assert_eq!(host_path("state-dir"), state_dir);
    assert!(
        !state_dir.starts_with("/tmp"),
        "state under /tmp is wiped by tmpfiles cleaners"
    );
    // The old state directory, when migration is on, is mounted where the driver looks for it.
    let legacy = env_value(driver, "LEGACY_STATE_DIR")
        .and_then(|e| e.get("value"))
        .and_then(Value::as_str)
        .unwrap_or("");
    if legacy.is_empty() {
        assert!(
            !volume_names.contains("legacy-state-dir"),
            "no legacy-state-dir volume without LEGACY_STATE_DIR"
        );
    } else {
        assert_ne!(legacy, state_dir, "migrating a state directory onto itself");
        assert_eq!(
            s(
                &mount_of(driver, "legacy-state-dir"),
                "mountPath",
                "legacy-state-dir"
            ),
            legacy
        );
        assert_eq!(host_path("legacy-state-dir"), legacy);
    }

    assert_eq!(
        env_str(driver, "TOKEN_AUDIENCE"),
        token_audience(csidriver),
        "the driver looks for kubelet tokens of its TOKEN_AUDIENCE; it must be the CSIDriver's tokenRequests audience"
    );

    let ports = seq(driver, "ports", "driver");
    let metrics_port = int(
        by_name(ports, "metrics", "driver ports"),
        "containerPort",
        "metrics",
    );
    let health_port = int(
        by_name(ports, "healthz", "driver ports"),
        "containerPort",
        "healthz",
    );
    let metrics_addr = env_str(driver, "METRICS_ADDRESS");
    assert_eq!(
        metrics_addr.rsplit_once(':').map(|(_, p)| p),
        Some(metrics_port.to_string().as_str()),
        "METRICS_ADDRESS {metrics_addr:?} must listen on the `metrics` port"
    );
    assert_eq!(
        s(driver, "readinessProbe.httpGet.path", "readiness"),
        "/readyz"
    );
    assert_eq!(
        s(driver, "readinessProbe.httpGet.port", "readiness"),
        "metrics"
    );
    assert_eq!(
        s(driver, "livenessProbe.httpGet.path", "liveness"),
        "/healthz"
    );
    assert_eq!(
        s(driver, "livenessProbe.httpGet.port", "liveness"),
        "healthz"
    );
    assert!(
        get(driver, "resources.requests.cpu").is_some()
            && get(driver, "resources.requests.memory").is_some()
            && get(driver, "resources.limits.memory").is_some(),
        "the driver needs cpu/memory requests and a memory limit"
    );

    // node-driver-registrar.
    let reg = by_name(containers, "node-driver-registrar", "DaemonSet containers");
    assert_eq!(
        flag(reg, "--csi-address"),
        Some(
            format!(
                "{}/{sock_file}",
                s(&mount_of(reg, "socket-dir"), "mountPath", "reg")
            )
            .as_str()
        ),
        "the registrar must reach the driver's socket through its socket-dir mount"
    );
    assert_eq!(
        flag(reg, "--kubelet-registration-path"),
        Some(host_socket.as_str()),
        "--kubelet-registration-path must be the socket's path on the host"
    );
    assert_eq!(
        s(&mount_of(reg, "registration-dir"), "mountPath", "reg"),
        "/registration"
    );
    assert_eq!(
        host_path("registration-dir"),
        format!("{kubelet_dir}/plugins_registry")
    );

    // livenessprobe.
    let lp = by_name(containers, "liveness-probe", "DaemonSet containers");
    assert_eq!(
        flag(lp, "--csi-address"),
        Some(
            format!(
                "{}/{sock_file}",
                s(&mount_of(lp, "socket-dir"), "mountPath", "lp")
            )
            .as_str()
        )
    );
    assert_eq!(
        flag(lp, "--health-port"),
        Some(health_port.to_string().as_str()),
        "the driver's liveness probe port must be the one the livenessprobe sidecar serves"
    );
    for sidecar in [reg, lp] {
        assert_ne!(
            get(sidecar, "securityContext.privileged"),
            Some(&Value::Bool(true)),
            "sidecar {} needs no privileges",
            name_of(sidecar)
        );
    }
}

/// (apiGroup, resource, verb) triples the driver's API calls need.
pub(crate) const DRIVER_PERMISSIONS: &[(&str, &str, &str)] = &[
    ("connectors.alauda.io", "connectors", "get"),
    ("connectors.alauda.io", "connectors", "list"),
    ("connectors.alauda.io", "connectors", "watch"),
    ("connectors.alauda.io", "connectorclasses", "get"),
    ("connectors.alauda.io", "connectorclasses", "list"),
    ("connectors.alauda.io", "connectorclasses", "watch"),
    ("authorization.k8s.io", "subjectaccessreviews", "create"),
    ("", "namespaces", "get"),
    ("", "events", "create"),
    ("", "events", "patch"),
];

pub(crate) fn rule_allows(rule: &Value, group: &str, resource: &str, verb: &str) -> bool {
    let has = |field: &str, want: &str| {
        rule.get(field)
            .and_then(Value::as_sequence)
            .is_some_and(|l| {
                l.iter()
                    .any(|x| x.as_str() == Some(want) || x.as_str() == Some("*"))
            })
    };
    has("apiGroups", group) && has("resources", resource) && has("verbs", verb)
}

/// The ClusterRoles bound to the DaemonSet's ServiceAccount grant everything the driver needs.
pub(crate) fn check_rbac(docs: &[Value], ds: &Value) {
    let sa = s(ds, "spec.template.spec.serviceAccountName", "DaemonSet");
    let ns = s(ds, "metadata.namespace", "DaemonSet");
    find(docs, "ServiceAccount", sa);
    let bindings: Vec<&Value> = docs
        .iter()
        .filter(|d| {
            kind(d) == "ClusterRoleBinding"
                && get(d, "subjects")
                    .and_then(Value::as_sequence)
                    .is_some_and(|subs| {
                        subs.iter().any(|x| {
                            x.get("kind").and_then(Value::as_str) == Some("ServiceAccount")
                                && x.get("name").and_then(Value::as_str) == Some(sa)
                                && x.get("namespace").and_then(Value::as_str) == Some(ns)
                        })
                    })
        })
        .collect();
    assert!(
        !bindings.is_empty(),
        "no ClusterRoleBinding binds ServiceAccount {ns}/{sa}"
    );
    let mut rules = Vec::new();
    for binding in &bindings {
        assert_eq!(s(binding, "roleRef.kind", "binding"), "ClusterRole");
        let role = find(docs, "ClusterRole", s(binding, "roleRef.name", "binding"));
        rules.extend(seq(role, "rules", "ClusterRole").iter().cloned());
    }
    for (g, r, v) in DRIVER_PERMISSIONS {
        assert!(
            rules.iter().any(|rule| rule_allows(rule, g, r, v)),
            "the ClusterRoles bound to {ns}/{sa} do not allow {v} on {r} (apiGroup {g:?}), which the driver needs"
        );
    }
}

pub(crate) fn check_crd(crd: &Value, kind_name: &str, plural: &str, scope: &str) {
    let what = format!("CRD {plural}");
    assert_eq!(s(crd, "apiVersion", &what), "apiextensions.k8s.io/v1");
    assert_eq!(name(crd), format!("{plural}.connectors.alauda.io"));
    assert_eq!(s(crd, "spec.group", &what), "connectors.alauda.io");
    assert_eq!(s(crd, "spec.names.kind", &what), kind_name);
    assert_eq!(s(crd, "spec.names.plural", &what), plural);
    assert_eq!(s(crd, "spec.scope", &what), scope);
    let versions = seq(crd, "spec.versions", &what);
    let v1 = by_name(versions, "v1alpha1", &what);
    assert_eq!(v1.get("served"), Some(&Value::Bool(true)));
    assert_eq!(v1.get("storage"), Some(&Value::Bool(true)));
    assert!(
        get(v1, "subresources.status").is_some(),
        "{what}: the operator writes status through the status subresource"
    );
    let schema = req(v1, "schema.openAPIV3Schema", &what);
    assert_eq!(s(schema, "type", &what), "object");
    assert_eq!(
        get(
            schema,
            "properties.spec.x-kubernetes-preserve-unknown-fields"
        ),
        Some(&Value::Bool(true)),
        "{what}: spec must keep fields this schema does not list"
    );
    assert_eq!(
        get(
            schema,
            "properties.status.x-kubernetes-preserve-unknown-fields"
        ),
        Some(&Value::Bool(true)),
        "{what}: status must keep fields this schema does not list"
    );
}

/// The schema of a CRD's only version.
pub(crate) fn crd_schema(crd: &Value) -> &Value {
    req(crd, "spec.versions.0.schema.openAPIV3Schema", "CRD")
}

/// A structural check of `v` against an OpenAPI v3 schema: `type`, `required` and
/// `properties`/`additionalProperties`/`items` recursively. Enough to show an object has the
/// fields the CRD requires with the right shapes; not a full validator (no formats, patterns,
/// enums, CEL rules).
pub(crate) fn validate(schema: &Value, v: &Value, path: &str, errors: &mut Vec<String>) {
    if let Some(t) = schema.get("type").and_then(Value::as_str) {
        let ok = match t {
            "object" => v.is_mapping(),
            "array" => v.is_sequence(),
            "string" => v.is_string(),
            "integer" => v.as_i64().is_some() || v.as_u64().is_some(),
            "number" => v.is_number(),
            "boolean" => v.is_bool(),
            _ => true,
        };
        if !ok {
            errors.push(format!("{path}: expected {t}, found {v:?}"));
            return;
        }
    }
    if let Some(m) = v.as_mapping() {
        for r in schema
            .get("required")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
        {
            let r = r.as_str().unwrap_or_default();
            if !m.contains_key(r) {
                errors.push(format!("{path}: required field {r:?} is missing"));
            }
        }
        let props = schema.get("properties").and_then(Value::as_mapping);
        for (k, child) in m {
            let key = k.as_str().unwrap_or_default();
            let sub = props.and_then(|p| p.get(key)).or_else(|| {
                schema
                    .get("additionalProperties")
                    .filter(|a| a.is_mapping())
            });
            if let Some(sub) = sub {
                validate(sub, child, &format!("{path}.{key}"), errors);
            }
        }
    }
    if let (Some(items), Some(list)) = (schema.get("items"), v.as_sequence()) {
        for (i, child) in list.iter().enumerate() {
            validate(items, child, &format!("{path}[{i}]"), errors);
        }
    }
}

pub(crate) fn validate_against(crd: &Value, obj: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    validate(
        crd_schema(crd),
        obj,
        &format!("{} {}", kind(obj), name(obj)),
        &mut errors,
    );
    errors
}
