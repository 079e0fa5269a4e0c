//! Checks of the install manifests: the kustomize base and examples under `deploy/` and the Helm
//! chart under `charts/connectors-csi/`.
//!
//! What these tests establish:
//! * every YAML file under `deploy/` parses (all documents) and names its objects;
//! * the CSIDriver, DaemonSet and RBAC carry the settings the driver depends on, and the
//!   DaemonSet is internally consistent (every mount has a volume, the registrar points at the
//!   socket the driver serves, the probes hit the ports that serve them, the token audience
//!   matches the CSIDriver's tokenRequests, ...);
//! * the CRDs have the right scope, versions, status subresource and printer columns, and the
//!   example Connectors/ConnectorClasses satisfy their schemas (types and required fields);
//! * the usage examples mount Connectors and configurations that exist, read-only, with the
//!   RBAC the driver checks;
//! * the kustomization lists exactly the manifests that exist;
//! * the Helm chart's templates stay within a documented subset of Helm's template language,
//!   reference only values defined in values.yaml, and — rendered with `test_support::helm` (Go
//!   text/template semantics from crates/gotmpl, sprig, and Helm's include/tpl/toYaml/required) — produce
//!   the same key fields as the kustomize base with default values and follow overridden values.
//!
//! What they cannot establish: that the API server accepts the objects (no cluster here; the
//! schemas were checked by hand with the `kubernetes-validate` tool, see docs/install.md), that
//! `helm` itself renders the chart byte-for-byte like `test_support::helm` (Helm's own functions
//! beyond include/tpl/toYaml/required are absent, and `toYaml` uses serde_yaml rather than
//! sigs.k8s.io/yaml), and that the container image builds.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_yaml::Value;
use test_support::helm;

// ---------------------------------------------------------------------------------------------
// Loading

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// All non-empty documents of a YAML text.
fn parse_docs(text: &str, origin: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for (i, doc) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let v: Value = serde::Deserialize::deserialize(doc)
            .unwrap_or_else(|e| panic!("{origin}: document {i} is not valid YAML: {e}"));
        if !v.is_null() {
            out.push(v);
        }
    }
    out
}

fn load(rel: &str) -> Vec<Value> {
    let path = root().join(rel);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    parse_docs(&text, rel)
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            yaml_files(&p, out);
        } else if matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("yaml") | Some("yml")
        ) {
            out.push(p);
        }
    }
}

fn rel(p: &Path) -> String {
    p.strip_prefix(root()).unwrap_or(p).display().to_string()
}

// ---------------------------------------------------------------------------------------------
// Navigating YAML

/// `get(v, "spec.template.spec")`; numeric segments index sequences.
fn get<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = v;
    for seg in path.split('.') {
        cur = match cur {
            Value::Mapping(m) => m.get(seg)?,
            Value::Sequence(s) => s.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn req<'a>(v: &'a Value, path: &str, what: &str) -> &'a Value {
    get(v, path).unwrap_or_else(|| panic!("{what}: missing {path}"))
}

fn s<'a>(v: &'a Value, path: &str, what: &str) -> &'a str {
    req(v, path, what)
        .as_str()
        .unwrap_or_else(|| panic!("{what}: {path} is not a string"))
}

fn seq<'a>(v: &'a Value, path: &str, what: &str) -> &'a Vec<Value> {
    req(v, path, what)
        .as_sequence()
        .unwrap_or_else(|| panic!("{what}: {path} is not a list"))
}

fn kind(v: &Value) -> &str {
    v.get("kind").and_then(Value::as_str).unwrap_or("")
}

fn name(v: &Value) -> &str {
    get(v, "metadata.name")
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn find<'a>(docs: &'a [Value], k: &str, n: &str) -> &'a Value {
    docs.iter()
        .find(|d| kind(d) == k && name(d) == n)
        .unwrap_or_else(|| panic!("no {k} named {n:?}"))
}

fn by_name<'a>(list: &'a [Value], n: &str, what: &str) -> &'a Value {
    list.iter()
        .find(|c| c.get("name").and_then(Value::as_str) == Some(n))
        .unwrap_or_else(|| panic!("{what}: no entry named {n:?}"))
}

fn env_value<'a>(container: &'a Value, var: &str) -> Option<&'a Value> {
    container
        .get("env")?
        .as_sequence()?
        .iter()
        .find(|e| e.get("name").and_then(Value::as_str) == Some(var))
}

fn env_str<'a>(container: &'a Value, var: &str) -> &'a str {
    env_value(container, var)
        .and_then(|e| e.get("value"))
        .and_then(Value::as_str)
        .unwrap_or_else(|| {
            panic!(
                "container {} has no env {var} with a value",
                name_of(container)
            )
        })
}

fn name_of(v: &Value) -> &str {
    v.get("name").and_then(Value::as_str).unwrap_or("?")
}

fn args(container: &Value) -> Vec<&str> {
    container
        .get("args")
        .and_then(Value::as_sequence)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn flag<'a>(container: &'a Value, flag: &str) -> Option<&'a str> {
    let prefix = format!("{flag}=");
    args(container)
        .into_iter()
        .find_map(|a| a.strip_prefix(prefix.as_str()))
}

fn int(v: &Value, path: &str, what: &str) -> i64 {
    req(v, path, what)
        .as_i64()
        .unwrap_or_else(|| panic!("{what}: {path} is not an integer"))
}

// ---------------------------------------------------------------------------------------------
// Shared checks (applied to the kustomize base and to the rendered chart)

const DRIVER_NAME: &str = "connectors-csi";

/// Kinds under deploy/ that are configuration files, not API objects (no metadata.name).
const CONFIG_FILE_KINDS: &[&str] = &["Kustomization", "Component", "CredentialProviderConfig"];

fn check_csidriver(d: &Value) {
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

fn token_audience(csidriver: &Value) -> &str {
    s(
        csidriver,
        "spec.tokenRequests.0.audience",
        "CSIDriver tokenRequests",
    )
}

/// Checks a DaemonSet for the wiring the driver depends on. Paths and ports are taken from the
/// object itself (so the same check applies to a chart rendered with other values) and
/// cross-checked between containers and volumes.
fn check_daemonset(ds: &Value, csidriver: &Value) {
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
const DRIVER_PERMISSIONS: &[(&str, &str, &str)] = &[
    ("connectors.alauda.io", "connectors", "get"),
    ("connectors.alauda.io", "connectors", "list"),
    ("connectors.alauda.io", "connectors", "watch"),
    ("connectors.alauda.io", "connectorclasses", "get"),
    ("connectors.alauda.io", "connectorclasses", "list"),
    ("connectors.alauda.io", "connectorclasses", "watch"),
    ("authorization.k8s.io", "subjectaccessreviews", "create"),
    ("", "namespaces", "get"),
];

fn rule_allows(rule: &Value, group: &str, resource: &str, verb: &str) -> bool {
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

/// The ClusterRole bound to the DaemonSet's ServiceAccount grants everything the driver needs.
fn check_rbac(docs: &[Value], ds: &Value) {
    let sa = s(ds, "spec.template.spec.serviceAccountName", "DaemonSet");
    let ns = s(ds, "metadata.namespace", "DaemonSet");
    find(docs, "ServiceAccount", sa);
    let binding = docs
        .iter()
        .find(|d| {
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
        .unwrap_or_else(|| panic!("no ClusterRoleBinding binds ServiceAccount {ns}/{sa}"));
    assert_eq!(s(binding, "roleRef.kind", "binding"), "ClusterRole");
    let role = find(docs, "ClusterRole", s(binding, "roleRef.name", "binding"));
    let rules = seq(role, "rules", "ClusterRole");
    for (g, r, v) in DRIVER_PERMISSIONS {
        assert!(
            rules.iter().any(|rule| rule_allows(rule, g, r, v)),
            "ClusterRole {} does not allow {v} on {r} (apiGroup {g:?}), which the driver needs",
            name(role)
        );
    }
}

fn check_crd(crd: &Value, kind_name: &str, plural: &str, scope: &str) {
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
fn crd_schema(crd: &Value) -> &Value {
    req(crd, "spec.versions.0.schema.openAPIV3Schema", "CRD")
}

/// A structural check of `v` against an OpenAPI v3 schema: `type`, `required` and
/// `properties`/`additionalProperties`/`items` recursively. Enough to show an object has the
/// fields the CRD requires with the right shapes; not a full validator (no formats, patterns,
/// enums, CEL rules).
fn validate(schema: &Value, v: &Value, path: &str, errors: &mut Vec<String>) {
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

fn validate_against(crd: &Value, obj: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    validate(
        crd_schema(crd),
        obj,
        &format!("{} {}", kind(obj), name(obj)),
        &mut errors,
    );
    errors
}

// ---------------------------------------------------------------------------------------------
// The kustomize base

fn kustomization() -> Value {
    load("deploy/kustomization.yaml").remove(0)
}

/// The base's objects, with the kustomization's `namespace` and `images` applied (the only
/// transformations it uses).
fn kustomize_base() -> Vec<Value> {
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

#[test]
fn crds_have_scope_status_and_printer_columns() {
    let c = load("deploy/crds/connectors.alauda.io_connectors.yaml");
    assert_eq!(c.len(), 1);
    check_crd(&c[0], "Connector", "connectors", "Namespaced");
    let columns: Vec<&str> = seq(&c[0], "spec.versions.0.additionalPrinterColumns", "crd")
        .iter()
        .map(name_of)
        .collect();
    assert_eq!(columns, ["Class", "Address", "Ready", "Reason", "Age"]);

    let cc = load("deploy/crds/connectors.alauda.io_connectorclasses.yaml");
    assert_eq!(cc.len(), 1);
    check_crd(&cc[0], "ConnectorClass", "connectorclasses", "Cluster");
    // ConnectorClass spec.address is a parameter declaration object with a required name.
    let addr = req(
        crd_schema(&cc[0]),
        "properties.spec.properties.address",
        "crd",
    );
    assert_eq!(s(addr, "type", "address"), "object");
    assert_eq!(seq(addr, "required", "address"), &vec![Value::from("name")]);
}

#[test]
fn example_objects_satisfy_the_crd_schemas() {
    let connector_crd = load("deploy/crds/connectors.alauda.io_connectors.yaml").remove(0);
    let class_crd = load("deploy/crds/connectors.alauda.io_connectorclasses.yaml").remove(0);
    let mut seen = (0, 0);
    let mut files = Vec::new();
    yaml_files(&root().join("deploy/examples"), &mut files);
    for f in files {
        for d in parse_docs(&std::fs::read_to_string(&f).unwrap(), &rel(&f)) {
            let errors = match kind(&d) {
                "Connector" => {
                    seen.0 += 1;
                    // What the driver itself requires of a Connector.
                    assert!(!s(&d, "metadata.namespace", "Connector").is_empty());
                    assert!(!s(&d, "spec.connectorClassName", "Connector").is_empty());
                    validate_against(&connector_crd, &d)
                }
                "ConnectorClass" => {
                    seen.1 += 1;
                    validate_against(&class_crd, &d)
                }
                _ => continue,
            };
            assert!(errors.is_empty(), "{}: {errors:#?}", rel(&f));
        }
    }
    assert!(
        seen.0 >= 6 && seen.1 >= 6,
        "expected the example connectors and classes, saw {seen:?}"
    );
}

/// Objects shaped like the Alauda operator's CRDs (address parameter with a typed default,
/// auth params, probes, api/proxy references, status addresses) are accepted, and the one
/// structural difference users get wrong (a string spec.address on a class) is caught.
#[test]
fn operator_shaped_objects_are_accepted_and_shape_errors_caught() {
    let connector_crd = load("deploy/crds/connectors.alauda.io_connectors.yaml").remove(0);
    let class_crd = load("deploy/crds/connectors.alauda.io_connectorclasses.yaml").remove(0);
    let class = parse_docs(
        r#"
apiVersion: connectors.alauda.io/v1alpha1
kind: ConnectorClass
metadata: {name: gitlab}
spec:
  address:
    name: address
    type: string
    default: {type: string, stringVal: "https://gitlab.com", arrayVal: [], objectVal: {}}
  api:
    ref: {kind: Service, name: gitlab-api, namespace: connectors-system}
  auth:
    types:
      - name: patAuth
        secretType: connectors.cpaas.io/gitlab-pat-auth
        optional: false
        params:
          - {name: username, type: string, default: {type: string, stringVal: "", arrayVal: [], objectVal: {}}}
        generator: {rego: "package proxy"}
  authProbes:
    - authName: patAuth
      probe: {http: {path: /api/v4/user, method: GET}}
  livenessProbe: {http: {path: /-/health}}
  proxy:
    ref: {kind: Service, name: connectors-proxy}
  configurations:
    - name: gitconfig
      annotations: {x: y}
      data: {.gitconfig: "[http]"}
status:
  conditions: [{type: Ready, status: "True", reason: Ok}]
  proxy: {httpAddress: {url: "http://proxy", name: p}}
  api: {address: {url: "http://api"}}
"#,
        "class fixture",
    )
    .remove(0);
    assert_eq!(validate_against(&class_crd, &class), Vec::<String>::new());

    let connector = parse_docs(
        r#"
apiVersion: connectors.alauda.io/v1alpha1
kind: Connector
metadata: {name: gl, namespace: team}
spec:
  connectorClassName: gitlab
  address: https://gitlab.com
  auth:
    name: patAuth
    params: {repository: group/app}
    secretRef: {name: gl-pat, kind: Secret, apiVersion: v1}
status:
  observedGeneration: 3
  annotations: {a: b}
  conditions: [{type: Ready, status: "False", reason: AuthFailed, severity: Error}]
  proxy: {httpAddress: {url: "http://c-gl.team.svc", CACerts: "pem", audience: a}}
"#,
        "connector fixture",
    )
    .remove(0);
    assert_eq!(
        validate_against(&connector_crd, &connector),
        Vec::<String>::new()
    );

    let mut bad_class = class.clone();
    bad_class["spec"]["address"] = Value::from("https://gitlab.com");
    let errors = validate_against(&class_crd, &bad_class);
    assert!(
        errors
            .iter()
            .any(|e| e.contains("spec.address: expected object")),
        "{errors:?}"
    );
    let mut nameless = class.clone();
    nameless["spec"]["address"]
        .as_mapping_mut()
        .unwrap()
        .remove("name");
    let errors = validate_against(&class_crd, &nameless);
    assert!(
        errors.iter().any(|e| e.contains("required field \"name\"")),
        "{errors:?}"
    );
    let mut bad_condition = connector.clone();
    bad_condition["status"]["conditions"][0]
        .as_mapping_mut()
        .unwrap()
        .remove("status");
    assert!(!validate_against(&connector_crd, &bad_condition).is_empty());
}

// ---------------------------------------------------------------------------------------------
// Usage examples (deploy/usage/)

/// Configurations every connector of class `k8s` has without declaring them.
const K8S_BUILTIN_CONFIGURATIONS: &[&str] = &["kubeconfig", "tokenfile"];

/// A CSI volume attribute (the keys contain dots, so not a `get` path).
fn attr<'a>(csi: &'a Value, key: &str, what: &str) -> &'a str {
    req(csi, "volumeAttributes", what)
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{what}: volumeAttributes has no {key}"))
}

fn pod_specs(docs: &[Value]) -> Vec<(String, Value)> {
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

// ---------------------------------------------------------------------------------------------
// The Helm chart

#[test]
fn chart_templates_stay_within_the_rendered_subset() {
    for (file, text) in helm::chart_templates(&helm::default_chart_dir()) {
        for a in helm::actions(&text) {
            // Drop string literals, then look at each word.
            let mut cleaned = String::new();
            let mut in_str = false;
            for ch in a.chars() {
                if ch == '"' {
                    in_str = !in_str;
                    cleaned.push(' ');
                } else if !in_str {
                    cleaned.push(ch);
                }
            }
            for word in
                cleaned.split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == '|')
            {
                if word.is_empty() || word == "." || word.chars().all(|c| c.is_ascii_digit()) {
                    continue;
                }
                if let Some(field) = word.strip_prefix("$.").or_else(|| word.strip_prefix('.')) {
                    let root = field.split('.').next().unwrap_or_default();
                    assert!(
                        ["Values", "Release", "Chart"].contains(&root),
                        "{file}: {{{{ {a} }}}} uses .{root}, outside the subset test_support::helm renders"
                    );
                    continue;
                }
                assert!(
                    helm::TEMPLATE_WORDS.contains(&word),
                    "{file}: {{{{ {a} }}}} uses {word:?}, outside the subset test_support::helm renders; extend the renderer or avoid it"
                );
            }
        }
    }
}

#[test]
fn chart_templates_reference_only_defined_values() {
    let values = helm::chart_values(&helm::default_chart_dir());
    let mut used = BTreeSet::new();
    for (file, text) in helm::chart_templates(&helm::default_chart_dir()) {
        for p in helm::values_paths(&text) {
            let found = p.split('.').try_fold(&values, |v, seg| v.get(seg));
            assert!(
                found.is_some(),
                "{file} uses .Values.{p}, which charts/connectors-csi/values.yaml does not define"
            );
            used.insert(p.split('.').next().unwrap().to_string());
        }
    }
    // Every top-level knob in values.yaml does something.
    for k in values.as_mapping().unwrap().keys() {
        let k = k.as_str().unwrap();
        assert!(
            used.contains(k),
            "values.yaml defines {k}, which no template uses"
        );
    }
    // The knobs the chart promises.
    for p in [
        "image.repository",
        "image.tag",
        "image.pullPolicy",
        "tokenAudience",
        "tokenExpirationSeconds",
        "resources",
        "tolerations",
        "nodeSelector",
        "priorityClassName",
        "metricsPort",
        "logLevel",
        "logFormat",
        "kubeletDir",
        "installCRDs",
    ] {
        assert!(
            p.split('.')
                .try_fold(&values, |v, seg| v.get(seg))
                .is_some(),
            "values.yaml lacks {p}"
        );
    }
}

// --- A test-only renderer for the subset -----------------------------------------------------

fn container<'a>(ds: &'a Value, n: &str) -> &'a Value {
    by_name(
        seq(ds, "spec.template.spec.containers", "ds"),
        n,
        "containers",
    )
}

#[test]
fn chart_with_default_values_matches_the_kustomize_base() {
    let chart = helm::render_chart_objects(&helm::default_chart_dir(), "");
    let base = kustomize_base();
    let kinds = |docs: &[Value]| -> BTreeSet<(String, String)> {
        docs.iter()
            .filter(|d| kind(d) != "Namespace")
            .map(|d| (kind(d).to_string(), name(d).to_string()))
            .collect()
    };
    assert_eq!(
        kinds(&chart),
        kinds(&base),
        "the chart and the base install different objects"
    );

    let c_csi = find(&chart, "CSIDriver", DRIVER_NAME);
    let b_csi = find(&base, "CSIDriver", DRIVER_NAME);
    check_csidriver(c_csi);
    assert_eq!(
        c_csi["spec"], b_csi["spec"],
        "CSIDriver spec differs from deploy/csidriver.yaml"
    );

    let c_ds = find(&chart, "DaemonSet", "connectors-csi");
    let b_ds = find(&base, "DaemonSet", "connectors-csi");
    check_daemonset(c_ds, c_csi);
    check_rbac(&chart, c_ds);
    assert_eq!(c_ds["metadata"]["namespace"], b_ds["metadata"]["namespace"]);
    for path in [
        "spec.selector",
        "spec.updateStrategy",
        "spec.template.spec.serviceAccountName",
        "spec.template.spec.priorityClassName",
        "spec.template.spec.nodeSelector",
        "spec.template.spec.tolerations",
        "spec.template.spec.volumes",
    ] {
        assert_eq!(get(c_ds, path), get(b_ds, path), "DaemonSet {path} differs");
    }
    for c in ["driver", "node-driver-registrar", "liveness-probe"] {
        let (cc, bc) = (container(c_ds, c), container(b_ds, c));
        for field in [
            "image",
            "imagePullPolicy",
            "args",
            "env",
            "ports",
            "livenessProbe",
            "readinessProbe",
            "securityContext",
            "resources",
            "volumeMounts",
        ] {
            assert_eq!(
                cc.get(field),
                bc.get(field),
                "container {c}: {field} differs"
            );
        }
    }
    let role = |docs: &[Value]| find(docs, "ClusterRole", "connectors-csi")["rules"].clone();
    assert_eq!(
        role(&chart),
        role(&base),
        "ClusterRole rules differ from deploy/rbac.yaml"
    );
    for crd in [
        "connectors.connectors.alauda.io",
        "connectorclasses.connectors.alauda.io",
    ] {
        let (cc, bc) = (
            find(&chart, "CustomResourceDefinition", crd),
            find(&base, "CustomResourceDefinition", crd),
        );
        assert_eq!(
            cc["spec"], bc["spec"],
            "CRD {crd} differs from deploy/crds/"
        );
        assert_eq!(
            cc["metadata"]["annotations"]["helm.sh/resource-policy"],
            Value::from("keep"),
            "helm uninstall must not delete the CRDs (and with them every Connector)"
        );
    }
}

#[test]
fn chart_values_flow_into_the_manifests() {
    let chart = helm::render_chart_objects(
        &helm::default_chart_dir(),
        r#"
image: {repository: reg.local/team/connectors-csi, tag: "1.2.3", pullPolicy: Always}
kubeletDir: /var/lib/k0s/kubelet
stateDir: /var/lib/k0s/connectors-csi
tokenAudience: proxy.example
tokenExpirationSeconds: 3600
serviceAccountTokenInSecrets: true
metricsPort: 19810
healthPort: 19808
logLevel: connectors_csi=debug
logFormat: text
installCRDs: false
priorityClassName: ""
nodeSelector: {node-role.kubernetes.io/worker: "true"}
tolerations: [{key: dedicated, operator: Equal, value: ci, effect: NoSchedule}]
resources: {requests: {cpu: 50m, memory: 64Mi}, limits: {memory: 256Mi}}
podAnnotations: {prometheus.io/scrape: "true"}
imagePullSecrets: [{name: regcred}]
"#,
    );
    assert!(
        chart.iter().all(|d| kind(d) != "CustomResourceDefinition"),
        "installCRDs: false must not render CRDs"
    );
    let csi = find(&chart, "CSIDriver", DRIVER_NAME);
    assert_eq!(token_audience(csi), "proxy.example");
    assert_eq!(
        int(csi, "spec.tokenRequests.0.expirationSeconds", "csi"),
        3600
    );
    assert_eq!(
        get(csi, "spec.serviceAccountTokenInSecrets"),
        Some(&Value::Bool(true))
    );
    let ds = find(&chart, "DaemonSet", "connectors-csi");
    let pod = &ds["spec"]["template"]["spec"];
    assert!(pod.get("priorityClassName").is_none());
    assert_eq!(
        pod["nodeSelector"]["node-role.kubernetes.io/worker"],
        Value::from("true")
    );
    assert_eq!(pod["tolerations"][0]["key"], Value::from("dedicated"));
    assert_eq!(pod["imagePullSecrets"][0]["name"], Value::from("regcred"));
    assert_eq!(
        ds["spec"]["template"]["metadata"]["annotations"]["prometheus.io/scrape"],
        Value::from("true")
    );
    let driver = container(ds, "driver");
    assert_eq!(
        s(driver, "image", "driver"),
        "reg.local/team/connectors-csi:1.2.3"
    );
    assert_eq!(s(driver, "imagePullPolicy", "driver"), "Always");
    assert_eq!(env_str(driver, "TOKEN_AUDIENCE"), "proxy.example");
    assert_eq!(env_str(driver, "METRICS_ADDRESS"), "0.0.0.0:19810");
    assert_eq!(env_str(driver, "LOG_LEVEL"), "connectors_csi=debug");
    assert_eq!(env_str(driver, "LOG_FORMAT"), "text");
    assert_eq!(s(driver, "resources.limits.memory", "driver"), "256Mi");
    assert_eq!(
        flag(
            container(ds, "node-driver-registrar"),
            "--kubelet-registration-path"
        ),
        Some("/var/lib/k0s/kubelet/plugins/connectors-csi/csi.sock")
    );
    // Everything else stays consistent (mount paths, registration dir, probe ports, ...).
    // The check requires a node-critical priority, which this override removed on purpose.
    let mut with_priority = ds.clone();
    with_priority["spec"]["template"]["spec"]
        .as_mapping_mut()
        .unwrap()
        .insert("priorityClassName".into(), "system-node-critical".into());
    let mut tolerant = with_priority.clone();
    tolerant["spec"]["template"]["spec"]["tolerations"]
        .as_sequence_mut()
        .unwrap()
        .push(serde_yaml::from_str("{operator: Exists}").unwrap());
    check_daemonset(&tolerant, csi);
    check_rbac(&chart, ds);
}
