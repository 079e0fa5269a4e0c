//! The Helm chart, rendered by the real helm: `helm lint --strict` and `helm template` for every
//! documented value set, `values.schema.json` catching typos and wrong types, NOTES.txt, the
//! templates using only defined values, and the default values rendering the same objects as
//! the kustomize base.

use super::*;
use crate::checks::*;
use crate::kustomize::*;
use test_support::k8s_tools::chart_dir;

// ---------------------------------------------------------------------------------------------
// The Helm chart

/// The chart's templates as (file name, text), sorted by name.
fn chart_templates() -> Vec<(String, String)> {
    let dir = chart_dir().join("templates");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

/// `.Values.a.b` paths used inside `{{ }}` of a template (`.a.b` inside `with .Values.x` blocks
/// are checked by helm lint --strict, which fails on a missing key).
fn values_paths(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find(".Values.") {
        let tail = &rest[i + ".Values.".len()..];
        let len = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(tail.len());
        out.insert(tail[..len].trim_end_matches('.').to_string());
        rest = &tail[len..];
    }
    out
}

fn chart_values() -> Value {
    load("charts/connectors-csi/values.yaml").remove(0)
}

#[test]
fn chart_templates_reference_only_defined_values() {
    let values = chart_values();
    let mut used = BTreeSet::new();
    for (file, text) in chart_templates() {
        for p in values_paths(&text) {
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

pub(crate) fn container<'a>(ds: &'a Value, n: &str) -> &'a Value {
    by_name(
        seq(ds, "spec.template.spec.containers", "ds"),
        n,
        "containers",
    )
}

/// Labels and annotations only Helm's chart adds (standard Helm chart labels, and the keep
/// policy on the CRDs).
const HELM_ONLY_LABELS: &[&str] = &[
    "helm.sh/chart",
    "app.kubernetes.io/managed-by",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/version",
];

fn without_helm_metadata(mut o: Value) -> Value {
    fn strip(m: &mut serde_yaml::Mapping) {
        if let Some(labels) = m.get_mut("labels").and_then(Value::as_mapping_mut) {
            for l in HELM_ONLY_LABELS {
                labels.remove(*l);
            }
        }
        if let Some(a) = m.get_mut("annotations").and_then(Value::as_mapping_mut) {
            a.remove("helm.sh/resource-policy");
            if a.is_empty() {
                m.remove("annotations");
            }
        }
    }
    if let Some(m) = o.get_mut("metadata").and_then(Value::as_mapping_mut) {
        strip(m);
    }
    if let Some(m) = o
        .get_mut("spec")
        .and_then(|s| s.get_mut("template"))
        .and_then(|t| t.get_mut("metadata"))
        .and_then(Value::as_mapping_mut)
    {
        strip(m);
    }
    o
}

#[test]
fn chart_with_default_values_renders_the_kustomize_base_objects() {
    let Some(t) = tools("chart_with_default_values_renders_the_kustomize_base_objects") else {
        return;
    };
    let chart = t.helm_template("");
    let base = kustomize_base(t);
    let by_key = |docs: &[Value]| -> std::collections::BTreeMap<(String, String, String), Value> {
        docs.iter()
            .map(|d| (key(d), without_helm_metadata(d.clone())))
            .collect()
    };
    let (c, mut b) = (by_key(&chart), by_key(&base));
    // `helm install --create-namespace` makes the namespace; the chart does not ship it.
    let ns = b
        .remove(&(
            "Namespace".into(),
            String::new(),
            "connectors-system".into(),
        ))
        .expect("the base ships its Namespace");
    assert_eq!(
        ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"],
        "privileged"
    );
    assert_eq!(
        c.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "the chart and the base install different objects"
    );
    for (k, obj) in &c {
        assert_eq!(
            obj, &b[k],
            "{k:?}: helm template and kubectl kustomize differ"
        );
    }
    // What was set aside: Helm's standard labels everywhere, the keep policy on the CRDs.
    let csi = find(&chart, "CSIDriver", DRIVER_NAME);
    check_csidriver(csi);
    let ds = find(&chart, "DaemonSet", "connectors-csi");
    check_daemonset(ds, csi);
    check_rbac(&chart, ds);
    assert_eq!(
        ds["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "Helm"
    );
    for crd in [
        "connectors.connectors.alauda.io",
        "connectorclasses.connectors.alauda.io",
    ] {
        assert_eq!(
            find(&chart, "CustomResourceDefinition", crd)["metadata"]["annotations"]
                ["helm.sh/resource-policy"],
            Value::from("keep"),
            "helm uninstall must not delete the CRDs (and with them every Connector)"
        );
    }
}

/// The value sets the docs describe (docs/install.md, docs/security.md, docs/approval.md,
/// docs/operations.md, docs/apf.md), with what each must render.
const VALUE_SETS: &[(&str, &str)] = &[
    ("default", ""),
    (
        "Secret and token grants",
        "connectorSecrets: {namespaces: [team-a, team-b]}\ntokenMinting: {namespaces: [team-a]}\ntokenSource: auto\n",
    ),
    ("approval", "approval: {proxyPermissions: true, connectorsApproval: true}"),
    ("approval CRD", "approval: {installAccessRequestCRD: true}"),
    (
        "monitoring",
        "monitoring: {podMonitor: {enabled: true}, serviceMonitor: {enabled: true}, prometheusRule: {enabled: true}, dashboard: {enabled: true}}",
    ),
    ("no CRDs", "installCRDs: false"),
    ("tokens in secrets", "serviceAccountTokenInSecrets: true"),
    ("API Priority and Fairness", "apiPriorityAndFairness: {enabled: true}"),
    ("debug volumes", "debugVolumes: {enabled: true}"),
];

#[test]
fn helm_lint_strict_passes_and_template_renders_every_documented_value_set() {
    let Some(t) = tools("helm_lint_strict_passes_and_template_renders_every_documented_value_set")
    else {
        return;
    };
    let default_kinds: BTreeSet<String> = t
        .helm_template("")
        .iter()
        .map(|o| kind(o).to_string())
        .collect();
    for (what, values) in VALUE_SETS {
        let lint = t
            .helm_lint(values)
            .unwrap_or_else(|e| panic!("{what}: helm lint --strict failed:\n{e}"));
        assert!(
            lint.contains("1 chart(s) linted, 0 chart(s) failed"),
            "{what}: {lint}"
        );
        // Not even an INFO (an icon, a missing value): the chart is clean.
        assert!(
            !lint.contains("[INFO]") && !lint.contains("[WARNING]"),
            "{what}: {lint}"
        );
        let objects = t.helm_template(values);
        let kinds: BTreeSet<String> = objects.iter().map(|o| kind(o).to_string()).collect();
        let ds = find(&objects, "DaemonSet", "connectors-csi");
        let driver = container(ds, "driver");
        let csi = find(&objects, "CSIDriver", DRIVER_NAME);
        check_daemonset(ds, csi);
        check_rbac(&objects, ds);
        let added: BTreeSet<&str> = kinds
            .iter()
            .filter(|k| !default_kinds.contains(*k))
            .map(String::as_str)
            .collect();
        match *what {
            "default" => assert!(env_value(driver, "ENABLE_DEBUG_VOLUMES").is_none()),
            "Secret and token grants" => {
                // The default chart already has the feature-flag ConfigMap Role; the grants add
                // one Role + RoleBinding per namespace (Secrets in team-a and team-b, tokens in team-a).
                assert!(added.is_empty(), "{added:?}");
                let namespaced = |k: &str| {
                    objects
                        .iter()
                        .filter(|o| kind(o) == k && name(o).starts_with("connectors-csi-"))
                        .filter(|o| {
                            o["metadata"]["namespace"]
                                .as_str()
                                .is_some_and(|ns| ns.starts_with("team-"))
                        })
                        .count()
                };
                assert_eq!((namespaced("Role"), namespaced("RoleBinding")), (3, 3));
                assert_eq!(env_str(driver, "TOKEN_SOURCE"), "auto");
            }
            "approval" => {
                assert_eq!(env_str(driver, "ENABLE_CONNECTORS_APPROVAL"), "true");
                find(&objects, "ClusterRole", "connectors-csi-approval");
            }
            "approval CRD" => {
                find(
                    &objects,
                    "CustomResourceDefinition",
                    "accessrequests.connectors.alauda.io",
                );
            }
            "monitoring" => assert_eq!(
                added,
                BTreeSet::from([
                    "ConfigMap",
                    "PodMonitor",
                    "PrometheusRule",
                    "Service",
                    "ServiceMonitor"
                ])
            ),
            "no CRDs" => assert!(!kinds.contains("CustomResourceDefinition")),
            "tokens in secrets" => assert_eq!(
                get(csi, "spec.serviceAccountTokenInSecrets"),
                Some(&Value::Bool(true))
            ),
            "API Priority and Fairness" => assert_eq!(
                added,
                BTreeSet::from(["FlowSchema", "PriorityLevelConfiguration"])
            ),
            "debug volumes" => assert_eq!(env_str(driver, "ENABLE_DEBUG_VOLUMES"), "true"),
            other => unreachable!("{other}"),
        }
        if *what != "default" {
            assert_ne!(
                objects,
                t.helm_template(""),
                "{what}: the values changed nothing"
            );
        }
    }
}

#[test]
fn values_schema_rejects_typos_and_wrong_types() {
    let Some(t) = tools("values_schema_rejects_typos_and_wrong_types") else {
        return;
    };
    for (set, says) in [
        ("imag.tag=1.2.3", "additional properties 'imag' not allowed"),
        (
            "image.tags=1.2.3",
            "additional properties 'tags' not allowed",
        ),
        (
            "monitoring.podMonitor.enable=true",
            "additional properties 'enable' not allowed",
        ),
        (
            "apiPriorityAndFairness.enable=true",
            "additional properties 'enable' not allowed",
        ),
        ("metricsPort=metrics", "got string, want integer"),
        ("installCRDs=yes", "got string, want boolean"),
        ("tokenExpirationSeconds=300", "minimum: got 300, want 600"),
        ("tokenSource=pod", "value must be one of"),
        ("logFormat=yaml", "value must be one of"),
        ("kubeletDir=var/lib/kubelet", "does not match pattern"),
        (
            "connectorSecrets.namespaces[0]=Team_A",
            "does not match pattern",
        ),
    ] {
        let err = t
            .helm_template_text("", &["--set", set])
            .expect_err(&format!("--set {set} must be rejected"));
        assert!(
            err.contains(says),
            "--set {set}: expected {says:?} in:\n{err}"
        );
    }
    // Every key of values.yaml is described by the schema, and the schema has no key values.yaml
    // lacks (so `helm show values` documents every knob).
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("charts/connectors-csi/values.schema.json")).unwrap(),
    )
    .unwrap();
    fn keys_match(values: &Value, schema: &serde_json::Value, path: &str) {
        let Some(props) = schema.get("properties").and_then(|p| p.as_object()) else {
            return;
        };
        let v: BTreeSet<String> = values
            .as_mapping()
            .map(|m| {
                m.keys()
                    .filter_map(|k| k.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let s: BTreeSet<String> = props.keys().cloned().collect();
        assert_eq!(
            v, s,
            "values.yaml and values.schema.json differ at {path:?}"
        );
        for k in v {
            keys_match(&values[k.as_str()], &props[&k], &format!("{path}.{k}"));
        }
    }
    keys_match(&chart_values(), &schema, "");
}

#[test]
fn notes_tell_what_to_check_after_install() {
    let Some(t) = tools("notes_tell_what_to_check_after_install") else {
        return;
    };
    let mut cmd = std::process::Command::new(&t.helm);
    let out = cmd
        .args(["install", "connectors-csi"])
        .arg(chart_dir())
        .args(["--namespace", "connectors-system", "--dry-run=client"])
        .args([
            "--set",
            "debugVolumes.enabled=true",
            "--set",
            "installCRDs=false",
        ])
        .env(
            "HELM_CACHE_HOME",
            std::env::temp_dir().join("connectors-csi-helm-home/cache"),
        )
        .env(
            "HELM_CONFIG_HOME",
            std::env::temp_dir().join("connectors-csi-helm-home/config"),
        )
        .env(
            "HELM_DATA_HOME",
            std::env::temp_dir().join("connectors-csi-helm-home/data"),
        )
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let notes = text.split("NOTES:").nth(1).expect("helm prints NOTES");
    for want in [
        "kubectl -n connectors-system rollout status daemonset/connectors-csi",
        "kubectl get csidriver connectors-csi",
        "kubectl get csinode",
        "installCRDs is false",
        "/debug/volumes is ON",
        "docs/operations.md",
    ] {
        assert!(notes.contains(want), "NOTES lack {want:?}:\n{notes}");
    }
    // Every doc path the notes name exists.
    for word in notes.split_whitespace() {
        let word = word
            .trim_start_matches(['(', '"', '`'])
            .trim_end_matches(['.', ')', ',', ';', '"', '`']);
        if (word.starts_with("docs/") || word.starts_with("deploy/")) && word.len() > 5 {
            assert!(
                root().join(word).exists(),
                "NOTES name {word}, which does not exist"
            );
        }
    }
}

#[test]
fn chart_values_flow_into_the_manifests() {
    let Some(t) = tools("chart_values_flow_into_the_manifests") else {
        return;
    };
    let chart = t.helm_template(
        r#"
image: {repository: reg.local/team/connectors-csi, tag: "1.2.3", pullPolicy: Always}
kubeletDir: /var/lib/k0s/kubelet
stateDir: /run/k0s/connectors-csi
legacyStateDir: ""
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
    assert_eq!(env_str(driver, "STATE_DIR"), "/run/k0s/connectors-csi");
    // Migration off: the old directory is neither passed nor mounted.
    assert_eq!(env_str(driver, "LEGACY_STATE_DIR"), "");
    assert!(pod["volumes"]
        .as_sequence()
        .unwrap()
        .iter()
        .all(|v| v["name"] != Value::from("legacy-state-dir")));
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
