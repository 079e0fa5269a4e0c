//! The Helm chart: templates stay within the subset `test_support::helm` renders, use only
//! defined values, and render like the kustomize base (defaults) or follow overridden values.

use super::*;
use crate::checks::*;
use crate::kustomize::*;

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
                        ["Values", "Release", "Chart", "Files"].contains(&root),
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

pub(crate) fn container<'a>(ds: &'a Value, n: &str) -> &'a Value {
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
