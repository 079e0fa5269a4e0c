//! The monitoring assets: the kustomize component `deploy/components/monitoring` and the chart's
//! `monitoring.*` values render the same PodMonitor/PrometheusRule/dashboard, off by default;
//! every alert says what to check. (That every metric they use is exported: tests/operations/,
//! against a scrape of a running driver.)

use serde_yaml::Value;
use test_support::repo_root;

use crate::kustomize::component_objects;
use crate::tools;

fn of_kind<'a>(objects: &'a [Value], kind: &str) -> Vec<&'a Value> {
    objects
        .iter()
        .filter(|o| o["kind"].as_str() == Some(kind))
        .collect()
}

const ALL_ON: &str = "monitoring: {podMonitor: {enabled: true}, serviceMonitor: {enabled: true}, prometheusRule: {enabled: true}, dashboard: {enabled: true}}";

#[test]
fn monitoring_is_off_by_default_and_renders_when_enabled() {
    let Some(t) = tools("monitoring_is_off_by_default_and_renders_when_enabled") else {
        return;
    };
    let default = t.helm_template("");
    for kind in ["PodMonitor", "ServiceMonitor", "PrometheusRule"] {
        assert!(
            of_kind(&default, kind).is_empty(),
            "{kind} rendered by default"
        );
    }
    assert!(default
        .iter()
        .all(|o| o["metadata"]["name"] != "connectors-csi-dashboard"));

    let on = t.helm_template(ALL_ON);
    let ds = of_kind(&on, "DaemonSet")[0];
    let pod_labels = &ds["spec"]["template"]["metadata"]["labels"];
    let port = ds["spec"]["template"]["spec"]["containers"][0]["ports"][0].clone();
    assert_eq!(port["name"], "metrics");
    // The PodMonitor selects the DaemonSet's pods and scrapes the port that serves /metrics.
    let pm = of_kind(&on, "PodMonitor")[0];
    for (k, v) in pm["spec"]["selector"]["matchLabels"].as_mapping().unwrap() {
        assert_eq!(
            &pod_labels[k.as_str().unwrap()],
            v,
            "PodMonitor selector {k:?}"
        );
    }
    assert_eq!(pm["spec"]["podMetricsEndpoints"][0]["port"], "metrics");
    // The ServiceMonitor goes through a headless Service onto the same port.
    let svc = on
        .iter()
        .find(|o| o["kind"] == "Service" && o["metadata"]["name"] == "connectors-csi-metrics")
        .expect("metrics Service");
    for (k, v) in svc["spec"]["selector"].as_mapping().unwrap() {
        assert_eq!(
            &pod_labels[k.as_str().unwrap()],
            v,
            "Service selector {k:?}"
        );
    }
    assert_eq!(svc["spec"]["ports"][0]["targetPort"], "metrics");
    let sm = of_kind(&on, "ServiceMonitor")[0];
    for (k, v) in sm["spec"]["selector"]["matchLabels"].as_mapping().unwrap() {
        assert_eq!(
            &svc["metadata"]["labels"][k.as_str().unwrap()],
            v,
            "ServiceMonitor selector {k:?}"
        );
    }
    // Extra labels for the Prometheus selectors.
    let labelled = t.helm_template(
        "monitoring: {podMonitor: {enabled: true, labels: {release: kube-prometheus}}}",
    );
    assert_eq!(
        of_kind(&labelled, "PodMonitor")[0]["metadata"]["labels"]["release"],
        "kube-prometheus"
    );
}

#[test]
fn chart_and_kustomize_ship_the_same_rules_and_dashboard() {
    let Some(t) = tools("chart_and_kustomize_ship_the_same_rules_and_dashboard") else {
        return;
    };
    let k = component_objects(t, "monitoring");
    let on = t.helm_template(ALL_ON);
    let k_rule = of_kind(&k, "PrometheusRule")[0];
    let h_rule = of_kind(&on, "PrometheusRule")[0];
    assert_eq!(
        k_rule["spec"], h_rule["spec"],
        "chart and kustomize rules differ"
    );
    let k_pm = of_kind(&k, "PodMonitor")[0];
    let h_pm = of_kind(&on, "PodMonitor")[0];
    assert_eq!(k_pm["spec"], h_pm["spec"]);
    let cm = |objs: &[Value]| -> Value {
        objs.iter()
            .find(|o| {
                o["kind"] == "ConfigMap" && o["metadata"]["name"] == "connectors-csi-dashboard"
            })
            .expect("dashboard ConfigMap")
            .clone()
    };
    let (k_cm, h_cm) = (cm(&k), cm(&on));
    assert_eq!(k_cm["metadata"]["labels"]["grafana_dashboard"], "1");
    assert_eq!(h_cm["metadata"]["labels"]["grafana_dashboard"], "1");
    let k_json: serde_json::Value =
        serde_json::from_str(k_cm["data"]["connectors-csi.json"].as_str().unwrap()).unwrap();
    let h_json: serde_json::Value =
        serde_json::from_str(h_cm["data"]["connectors-csi.json"].as_str().unwrap()).unwrap();
    assert_eq!(k_json, h_json, "charts/connectors-csi/files/dashboard.json differs from deploy/components/monitoring/dashboard.json");
    assert_eq!(k_json["uid"], "connectors-csi");
}

#[test]
fn every_alert_is_actionable() {
    let k = test_support::yaml::load("deploy/components/monitoring/prometheusrule.yaml");
    let rule = of_kind(&k, "PrometheusRule")[0];
    let rules: Vec<&Value> = rule["spec"]["groups"]
        .as_sequence()
        .unwrap()
        .iter()
        .flat_map(|g| g["rules"].as_sequence().unwrap())
        .collect();
    let names: Vec<&str> = rules.iter().map(|r| r["alert"].as_str().unwrap()).collect();
    for want in [
        "ConnectorsCsiRefreshFailing",
        "ConnectorsCsiStaleVolumes",
        "ConnectorsCsiTokenExpiringWithoutRefresh",
        "ConnectorsCsiRotationSlow",
        "ConnectorsCsiPublishErrors",
        "ConnectorsCsiDriverNotReady",
    ] {
        assert!(names.contains(&want), "{want} missing: {names:?}");
    }
    let docs = std::fs::read_to_string(repo_root().join("docs/operations.md")).unwrap();
    for r in rules {
        let name = r["alert"].as_str().unwrap();
        assert!(!r["expr"].as_str().unwrap().trim().is_empty(), "{name}");
        assert!(
            ["warning", "critical"].contains(&r["labels"]["severity"].as_str().unwrap_or_default()),
            "{name}: severity"
        );
        assert!(
            r["annotations"]["summary"]
                .as_str()
                .is_some_and(|s| !s.is_empty()),
            "{name}"
        );
        let d = r["annotations"]["description"].as_str().unwrap_or_default();
        assert!(
            d.contains("Check"),
            "{name}: the description must say what to check: {d}"
        );
        assert!(
            docs.contains(&format!("### {name}")),
            "docs/operations.md has no section for {name}"
        );
    }
}
