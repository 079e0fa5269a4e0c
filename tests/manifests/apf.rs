//! API Priority and Fairness: the kustomize component `deploy/components/api-priority-and-fairness`
//! and the chart's `apiPriorityAndFairness.*` values render the same FlowSchema and
//! PriorityLevelConfiguration (flowcontrol.apiserver.k8s.io/v1), off by default, matching exactly
//! the driver's ServiceAccount and ordered between the suggested schemas (docs/apf.md).

use super::*;
use crate::kustomize::*;

/// matchingPrecedence of the suggested FlowSchemas the driver's must come after (kube-system
/// ServiceAccounts, 900) and before (`service-accounts`, 9000): Kubernetes' bootstrap
/// configuration, k8s.io/apiserver/pkg/apis/flowcontrol/bootstrap/default.go.
const KUBE_SYSTEM_SERVICE_ACCOUNTS: i64 = 900;
const SERVICE_ACCOUNTS: i64 = 9000;

fn check_apf(objects: &[Value], what: &str) {
    let ds = find(objects, "DaemonSet", "connectors-csi");
    let sa = s(ds, "spec.template.spec.serviceAccountName", what);
    let ns = s(ds, "metadata.namespace", what);
    let fs = find(objects, "FlowSchema", "connectors-csi");
    let pl = find(objects, "PriorityLevelConfiguration", "connectors-csi");
    for o in [fs, pl] {
        assert_eq!(
            s(o, "apiVersion", what),
            "flowcontrol.apiserver.k8s.io/v1",
            "{what}"
        );
        assert!(
            get(o, "metadata.namespace").is_none(),
            "{what}: cluster-scoped"
        );
    }
    assert_eq!(
        s(fs, "spec.priorityLevelConfiguration.name", what),
        name(pl)
    );
    let prec = int(fs, "spec.matchingPrecedence", what);
    assert!(
        prec > KUBE_SYSTEM_SERVICE_ACCOUNTS && prec < SERVICE_ACCOUNTS,
        "{what}: matchingPrecedence {prec} must sort after the system schemas and before service-accounts"
    );
    assert_eq!(s(fs, "spec.distinguisherMethod.type", what), "ByNamespace");
    let rules = seq(fs, "spec.rules", what);
    assert_eq!(rules.len(), 1, "{what}");
    let subjects = seq(&rules[0], "subjects", what);
    assert_eq!(
        subjects.len(),
        1,
        "{what}: only the driver's ServiceAccount"
    );
    assert_eq!(s(&subjects[0], "kind", what), "ServiceAccount");
    assert_eq!(s(&subjects[0], "serviceAccount.name", what), sa);
    assert_eq!(s(&subjects[0], "serviceAccount.namespace", what), ns);
    // Every request of that ServiceAccount: resources (namespaced and cluster-scoped) and
    // non-resource URLs.
    let r = &seq(&rules[0], "resourceRules", what)[0];
    for field in ["verbs", "apiGroups", "resources", "namespaces"] {
        assert_eq!(
            seq(r, field, what),
            &vec![Value::from("*")],
            "{what}: {field}"
        );
    }
    assert_eq!(req(r, "clusterScope", what), &Value::Bool(true));
    let n = &seq(&rules[0], "nonResourceRules", what)[0];
    assert_eq!(seq(n, "nonResourceURLs", what), &vec![Value::from("*")]);

    assert_eq!(s(pl, "spec.type", what), "Limited");
    let shares = int(pl, "spec.limited.nominalConcurrencyShares", what);
    assert!(
        (1..=30).contains(&shares),
        "{what}: {shares} shares; modest means at most the suggested `system` level's 30"
    );
    assert_eq!(s(pl, "spec.limited.limitResponse.type", what), "Queue");
    let q = req(pl, "spec.limited.limitResponse.queuing", what);
    let (queues, hand) = (int(q, "queues", what), int(q, "handSize", what));
    assert!(hand <= queues, "{what}: handSize must not exceed queues");
    assert!(int(q, "queueLengthLimit", what) > 0);
    let lend = int(pl, "spec.limited.lendablePercent", what);
    assert!((0..=100).contains(&lend), "{what}");
}

#[test]
fn apf_is_off_by_default_in_both_installs() {
    let Some(t) = tools("apf_is_off_by_default_in_both_installs") else {
        return;
    };
    for (what, objects) in [
        ("kustomize base", kustomize_base(t)),
        ("Helm defaults", t.helm_template("")),
    ] {
        assert!(
            objects
                .iter()
                .all(|o| !["FlowSchema", "PriorityLevelConfiguration"].contains(&kind(o))),
            "{what} ships flow control objects; they must be opt-in"
        );
    }
}

#[test]
fn apf_component_and_helm_values_render_the_same_objects_for_the_drivers_serviceaccount() {
    let Some(t) = tools("apf_component_and_helm_values_render_the_same_objects") else {
        return;
    };
    let built = t.kustomize_with_components(
        &test_support::k8s_tools::deploy_dir(),
        &[&test_support::k8s_tools::deploy_dir().join("components/api-priority-and-fairness")],
    );
    check_apf(&built, "kustomize component");
    let chart = t.helm_template("apiPriorityAndFairness: {enabled: true}");
    check_apf(&chart, "Helm values");
    for k in ["FlowSchema", "PriorityLevelConfiguration"] {
        assert_eq!(
            find(&built, k, "connectors-csi")["spec"],
            find(&chart, k, "connectors-csi")["spec"],
            "{k}: the chart and the component differ"
        );
    }
    // The chart follows the release namespace and the tuning values.
    let other = t
        .helm_template_text(
            "apiPriorityAndFairness: {enabled: true, nominalConcurrencyShares: 5, distinguisherMethod: ByUser, queues: 16, handSize: 4}",
            &["--namespace", "csi"],
        )
        .unwrap();
    let other = parse_docs(&other, "helm template -n csi");
    let fs = find(&other, "FlowSchema", "connectors-csi");
    assert_eq!(
        fs["spec"]["rules"][0]["subjects"][0]["serviceAccount"]["namespace"],
        "csi"
    );
    assert_eq!(fs["spec"]["distinguisherMethod"]["type"], "ByUser");
    let pl = find(&other, "PriorityLevelConfiguration", "connectors-csi");
    assert_eq!(pl["spec"]["limited"]["nominalConcurrencyShares"], 5);
    assert_eq!(
        pl["spec"]["limited"]["limitResponse"]["queuing"]["queues"],
        16
    );
    // The schema refuses a distinguisher the API does not have.
    let err = t
        .helm_template_text(
            "apiPriorityAndFairness: {enabled: true, distinguisherMethod: ByNode}",
            &[],
        )
        .unwrap_err();
    assert!(err.contains("value must be one of"), "{err}");
}
