//! Alauda's leniency where manifests rely on it (docs `connectors/concepts/connectors_csi.mdx`):
//! unknown attributes are ignored, unknown configuration names skipped unless none is found,
//! params for unlisted configurations ignored; each time the mount succeeds and the pod gets
//! one `ConnectorVolumeWarning` event naming what was ignored. A likely typo of a known
//! attribute is still refused. `token.expiration` that kubelet's token cannot honour is said
//! in the same event.

use std::time::Duration;

use connectors_csi::features::Overrides;
use tonic::Code;

use super::*;

const HOUR: Duration = Duration::from_secs(3600);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_attributes_configurations_and_params_mount_with_one_warning() {
    if !require_root("unknown_attributes_configurations_and_params_mount_with_one_warning") {
        return;
    }
    let mut env = setup(Overrides::default(), vec![]).await;
    publish(
        &mut env,
        "l1",
        &[
            ("connector.name", "k8s-a"),
            ("configuration.names", "kubeconfig,settings,npmrc"),
            ("configuration.params", r#"{"pipconf":{"index":"pypi"}}"#),
            ("example.com/team", "a"),
        ],
        HOUR,
    )
    .await
    .unwrap();
    let mounted = files(&env.t.target("l1"));
    assert!(mounted.contains_key("kubeconfig"), "{:?}", mounted.keys());
    let msg = warning(&env.api, "l1").await;
    for part in [
        "ignored unknown volume attribute(s) \"example.com/team\"",
        "has no configuration \"settings\"",
        "has no configuration \"npmrc\"",
        "ignored configuration.params for \"pipconf\"",
    ] {
        assert!(msg.contains(part), "{part:?} not in {msg}");
    }

    // A clean volume gets no warning.
    publish(
        &mut env,
        "l2",
        &[
            ("connector.name", "k8s-a"),
            ("configuration.names", "kubeconfig"),
        ],
        HOUR,
    )
    .await
    .unwrap();
    no_warning(&env.api, "l2").await;

    // None of the listed configurations exists: the request fails (the docs' rule).
    let err = publish(
        &mut env,
        "l3",
        &[
            ("connector.name", "k8s-a"),
            ("configuration.names", "settings,npmrc"),
        ],
        HOUR,
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), Code::NotFound, "{}", err.message());

    // A likely typo never did what its author meant: refused, with the fix.
    let err = publish(
        &mut env,
        "l4",
        &[
            ("connector.name", "k8s-a"),
            ("configuration.name", "kubeconfig"),
        ],
        HOUR,
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(
        err.message()
            .contains("did you mean \"configuration.names\""),
        "{}",
        err.message()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_expiration_kubelet_cannot_honour_is_said_in_an_event() {
    if !require_root("a_token_expiration_kubelet_cannot_honour_is_said_in_an_event") {
        return;
    }
    let mut env = setup(Overrides::default(), vec![]).await;
    // The docs' example asks for 60m; the CSIDriver's tokenRequests give 30 minutes.
    let attrs = &[
        ("connector.name", "k8s-a"),
        ("configuration.names", "kubeconfig"),
        ("token.expiration", "60m"),
    ];
    publish(&mut env, "t1", attrs, Duration::from_secs(1800))
        .await
        .unwrap();
    let msg = warning(&env.api, "t1").await;
    assert!(
        msg.contains("token.expiration \"60m\" cannot be honoured")
            && msg.contains("lives about 30m")
            && msg.contains("expirationSeconds: 3600")
            && msg.contains("--token-source driver"),
        "{msg}"
    );
    // A kubelet token of the lifetime asked for: nothing to say.
    publish(&mut env, "t2", attrs, HOUR).await.unwrap();
    no_warning(&env.api, "t2").await;
}
