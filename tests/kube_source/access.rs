//! KubeSource calls that reach the API server on a publish: pod-bound TokenRequests, cached
//! SubjectAccessReviews, namespace scoping, outages and an unsynced source.

use super::*;

#[tokio::test]
async fn token_request_is_bound_to_the_pod_with_the_requested_audience_and_lifetime() {
    let server = FakeApiServer::start().await;
    let source = start(&server, fast_opts()).await;
    let spec = TokenRequestSpec {
        pod: pod("team", "builder"),
        audience: "connectors-proxy".into(),
        expiration: Duration::from_secs(1800),
    };
    let before = jiff::Timestamp::now();
    let token = source.request_token(&spec).await.unwrap();
    assert_eq!(token.expose(), "fake-token-1");
    assert!(!format!("{token:?}").contains("fake-token-1"));
    let life = token.lifetime().as_secs();
    assert!((1795..=1805).contains(&life), "lifetime {life}s");
    assert!(
        token.issued_at
            >= before
                .checked_sub(jiff::SignedDuration::from_secs(1))
                .unwrap()
    );

    let recorded = server.token_requests();
    assert_eq!(recorded.len(), 1);
    let r = &recorded[0];
    assert_eq!(
        (r.namespace.as_str(), r.service_account.as_str()),
        ("team", "builder")
    );
    assert_eq!(r.body["spec"]["audiences"], json!(["connectors-proxy"]));
    assert_eq!(r.body["spec"]["expirationSeconds"], json!(1800));
    assert_eq!(
        r.body["spec"]["boundObjectRef"],
        json!({"apiVersion": "v1", "kind": "Pod", "name": "builder-0", "uid": "1b4e28ba-2fa1-11d2-883f-0016d3cca427"})
    );

    // Each call mints a new token.
    assert_eq!(
        source.request_token(&spec).await.unwrap().expose(),
        "fake-token-2"
    );

    // The API server's validation error comes back as Invalid.
    let short = TokenRequestSpec {
        expiration: Duration::from_secs(60),
        ..spec.clone()
    };
    let err = source.request_token(&short).await.unwrap_err();
    assert!(matches!(err, SourceError::Invalid(_)), "{err:?}");
}

#[tokio::test]
async fn subject_access_reviews_allow_deny_and_are_cached() {
    let server = FakeApiServer::start().await;
    server.allow_connector_access(&[("system:serviceaccount:team:builder", "team", "k8s-a")]);
    let source = start(
        &server,
        KubeSourceOptions {
            sar_cache_ttl: Duration::from_millis(400),
            ..fast_opts()
        },
    )
    .await;
    let key = ObjectKey::new("team", "k8s-a");

    source
        .authorize(&pod("team", "builder"), &key)
        .await
        .unwrap();
    let err = source
        .authorize(&pod("team", "intruder"), &key)
        .await
        .unwrap_err();
    let SourceError::PermissionDenied(msg) = &err else {
        panic!("expected PermissionDenied, got {err:?}")
    };
    assert!(
        msg.contains("ServiceAccount team/intruder may not get connectors.connectors.alauda.io \"team/k8s-a\""),
        "{msg}"
    );
    println!("denial message: {msg}");
    assert!(msg.contains("Role") && msg.contains("RoleBinding"), "{msg}");

    let sars = server.sar_requests();
    assert_eq!(sars.len(), 2);
    let s = &sars[0];
    assert_eq!(s.user, "system:serviceaccount:team:builder");
    assert_eq!(
        s.groups,
        vec![
            "system:serviceaccounts",
            "system:serviceaccounts:team",
            "system:authenticated"
        ]
    );
    assert_eq!(
        (
            s.group.as_str(),
            s.resource.as_str(),
            s.verb.as_str(),
            s.namespace.as_str(),
            s.name.as_str()
        ),
        ("connectors.alauda.io", "connectors", "get", "team", "k8s-a")
    );

    // Both answers are cached...
    for _ in 0..5 {
        source
            .authorize(&pod("team", "builder"), &key)
            .await
            .unwrap();
        assert!(source
            .authorize(&pod("team", "intruder"), &key)
            .await
            .is_err());
    }
    assert_eq!(server.sar_requests().len(), 2);
    // ...until the TTL passes.
    tokio::time::sleep(Duration::from_millis(500)).await;
    source
        .authorize(&pod("team", "builder"), &key)
        .await
        .unwrap();
    assert_eq!(server.sar_requests().len(), 3);
}

#[tokio::test]
async fn namespace_scope_uses_cached_namespace_labels() {
    let server = FakeApiServer::start().await;
    server.apply(namespace(
        "proj-shared",
        json!({"cpaas.io/inner-namespace": "p1"}),
    ));
    server.apply(namespace("team", json!({"cpaas.io/project": "p1"})));
    server.apply(namespace("outsider", json!({"cpaas.io/project": "p2"})));
    server.apply(namespace("plain", json!({})));
    let source = start(&server, fast_opts()).await;
    let s: &dyn ConnectorSource = &*source;

    check_namespace_scope(s, "team", &ObjectKey::new("team", "a"))
        .await
        .unwrap();
    check_namespace_scope(s, "team", &ObjectKey::new("kube-public", "a"))
        .await
        .unwrap();
    check_namespace_scope(s, "team", &ObjectKey::new("proj-shared", "a"))
        .await
        .unwrap();
    let err = check_namespace_scope(s, "outsider", &ObjectKey::new("proj-shared", "a"))
        .await
        .unwrap_err();
    assert!(matches!(err, SourceError::PermissionDenied(_)), "{err:?}");
    let err = check_namespace_scope(s, "team", &ObjectKey::new("plain", "a"))
        .await
        .unwrap_err();
    assert!(matches!(err, SourceError::PermissionDenied(_)), "{err:?}");
    // Unknown namespaces have no labels.
    assert!(source.namespace_labels("ghost").await.unwrap().is_empty());

    let gets = server.counts().get("get", "namespaces");
    for _ in 0..3 {
        check_namespace_scope(s, "team", &ObjectKey::new("proj-shared", "a"))
            .await
            .unwrap();
    }
    assert_eq!(
        server.counts().get("get", "namespaces"),
        gets,
        "labels are cached"
    );
}

#[tokio::test]
async fn api_server_outage_is_unavailable_with_a_clear_message_and_the_cache_keeps_serving() {
    let server = FakeApiServer::start().await;
    server.apply(connector("team", "k8s-a", "https://api.example.com"));
    let source = start(
        &server,
        KubeSourceOptions {
            wait_for_connector: Duration::from_millis(500),
            ..Default::default()
        },
    )
    .await;
    // A volume read the connector before the outage: its watch keeps serving it.
    source.retain("vol-1", &[ObjectKey::new("team", "k8s-a")]);
    source
        .connector(&ObjectKey::new("team", "k8s-a"))
        .await
        .unwrap();
    server.set_down(true);

    let err = source
        .authorize(&pod("team", "builder"), &ObjectKey::new("team", "k8s-a"))
        .await
        .unwrap_err();
    let SourceError::Unavailable(msg) = &err else {
        panic!("expected Unavailable, got {err:?}")
    };
    println!("outage message: {msg}");
    assert!(
        msg.contains("cannot reach the Kubernetes API server"),
        "{msg}"
    );

    let spec = TokenRequestSpec {
        pod: pod("team", "builder"),
        audience: "a".into(),
        expiration: Duration::from_secs(1800),
    };
    let err = source.request_token(&spec).await.unwrap_err();
    assert!(
        matches!(&err, SourceError::Unavailable(m) if m.contains("cannot reach the Kubernetes API server")),
        "{err:?}"
    );

    // Objects already cached are still served.
    let c: Arc<Connector> = source
        .connector(&ObjectKey::new("team", "k8s-a"))
        .await
        .unwrap();
    assert_eq!(c.name_any(), "k8s-a");
    // An object the cache does not have cannot be declared missing while the watch fails.
    let err = source
        .connector(&ObjectKey::new("team", "other"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, SourceError::Unavailable(m) if m.contains("cannot reach the Kubernetes API server")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_source_that_never_synced_reports_unavailable() {
    let server = FakeApiServer::start().await;
    server.set_down(true);
    let source = KubeSource::start(
        server.client().await,
        KubeSourceOptions {
            wait_for_connector: Duration::from_millis(500),
            ..Default::default()
        },
    )
    .await;
    let err = source
        .connector(&ObjectKey::new("team", "k8s-a"))
        .await
        .unwrap_err();
    assert!(!source.is_synced());
    println!("never-synced message: {err}");
    assert!(
        matches!(&err, SourceError::Unavailable(m) if m.contains("cannot reach the Kubernetes API server")),
        "{err:?}"
    );
    assert!(matches!(
        source.list_connectors().await,
        Err(SourceError::Unavailable(_))
    ));
}
