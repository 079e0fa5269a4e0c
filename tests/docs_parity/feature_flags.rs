//! The operator's feature flags, read from ConfigMap `connectors-system/connectors-config` and
//! followed while the driver runs (docs `overview/feature_flags.mdx`): approval turned on the
//! documented way gates new mounts, turned off again it stops; `enable-multi-connector: "false"`
//! refuses a volume of several Connectors; the driver's own flags win over the ConfigMap.

use std::time::{Duration, Instant};

use connectors_csi::features::{Flag, Overrides};
use tonic::Code;

use super::*;

const HOUR: Duration = Duration::from_secs(3600);
const K8S_A: &[(&str, &str)] = &[
    ("connector.name", "k8s-a"),
    ("configuration.names", "kubeconfig"),
];

/// Waits until the driver sees `flag` as `on`.
async fn until(env: &Env, flag: Flag, on: bool) {
    let t0 = Instant::now();
    while env.t.driver.cfg.features.current().map(|f| f.get(flag)) != Ok(on) {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "{flag:?} never became {on}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approval_turned_on_in_the_configmap_gates_mounts_without_a_restart() {
    if !require_root("approval_turned_on_in_the_configmap_gates_mounts_without_a_restart") {
        return;
    }
    let mut env = setup(Overrides::default(), vec![]).await;
    // No ConfigMap (no operator): the driver's defaults, no gating.
    publish(&mut env, "v1", K8S_A, HOUR).await.unwrap();
    assert_eq!(
        env.t.driver.cfg.features.report()["configMap"]["state"],
        "absent"
    );

    // The operator writes the flags the documented way.
    env.api.apply(flags_configmap(&[
        ("enable-connector-proxy-permissions", "true"),
        ("enable-connectors-approval", "true"),
        ("enable-multi-connector", "true"),
    ]));
    until(&env, Flag::ConnectorsApproval, true).await;
    let err = publish(&mut env, "v2", K8S_A, HOUR).await.unwrap_err();
    assert_eq!(err.code(), Code::Unavailable, "{}", err.message());
    assert!(
        err.message().contains("waits for approval"),
        "{}",
        err.message()
    );
    assert_eq!(
        env.api.list("AccessRequest").len(),
        1,
        "the mount asked for approval"
    );
    let report = env.t.driver.cfg.features.report();
    assert_eq!(
        report["flags"]["enable-connectors-approval"],
        json!({"enabled": true, "from": "configmap"})
    );

    // Capability check alone: denied, and the message says where approval is turned on.
    env.api.apply(flags_configmap(&[
        ("enable-connector-proxy-permissions", "true"),
        ("enable-connectors-approval", "false"),
    ]));
    until(&env, Flag::ConnectorsApproval, false).await;
    let err = publish(&mut env, "v3", K8S_A, HOUR).await.unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied, "{}", err.message());
    assert!(
        err.message()
            .contains("ConnectorsConfig.spec.components.core.spec.featureFlags"),
        "{}",
        err.message()
    );
    // The capability granted: mounts again.
    env.grants.grant(
        SA,
        "*",
        "connectors/proxy/v1/pod/team/pod-v3",
        "team",
        "k8s-a",
    );
    publish(&mut env, "v3", K8S_A, HOUR).await.unwrap();

    // The ConfigMap removed (operator uninstalled): back to the driver's defaults.
    env.api
        .delete("ConfigMap", "connectors-system", "connectors-config");
    until(&env, Flag::ConnectorProxyPermissions, false).await;
    publish(&mut env, "v4", K8S_A, HOUR).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_connector_follows_the_configmap_and_driver_flags_win() {
    if !require_root("multi_connector_follows_the_configmap_and_driver_flags_win") {
        return;
    }
    let both: &[(&str, &str)] = &[
        ("connectors", "k8s-a,k8s-b"),
        ("configuration.names", "kubeconfig"),
    ];
    let mut env = setup(
        Overrides::default(),
        vec![flags_configmap(&[("enable-multi-connector", "false")])],
    )
    .await;
    let err = publish(&mut env, "m1", both, HOUR).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "{}", err.message());
    assert!(
        err.message().contains("enable-multi-connector")
            && err
                .message()
                .contains("connectors-system/connectors-config"),
        "{}",
        err.message()
    );
    // One connector is not affected.
    publish(&mut env, "m1", K8S_A, HOUR).await.unwrap();
    env.api
        .apply(flags_configmap(&[("enable-multi-connector", "true")]));
    until(&env, Flag::MultiConnector, true).await;
    publish(&mut env, "m2", both, HOUR).await.unwrap();

    // --enable-multi-connector=true on the driver wins over the ConfigMap's "false"; and
    // --enable-connectors-approval=false over its "true".
    let mut env = setup(
        Overrides {
            multi_connector: Some(true),
            connectors_approval: Some(false),
            ..Default::default()
        },
        vec![flags_configmap(&[
            ("enable-multi-connector", "false"),
            ("enable-connectors-approval", "true"),
        ])],
    )
    .await;
    publish(&mut env, "m3", both, HOUR).await.unwrap();
    let report = env.t.driver.cfg.features.report();
    assert_eq!(report["flags"]["enable-multi-connector"]["from"], "flag");
    assert_eq!(
        report["flags"]["enable-connectors-approval"]["enabled"],
        false
    );
}
