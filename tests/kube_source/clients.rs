//! Clients and credentials: direct-mode minting on a target cluster, kubeconfig loading,
//! missing driver RBAC, and the opt-in real-cluster e2e.

use super::*;

#[tokio::test]
async fn mint_direct_sends_the_connectors_credential_to_the_named_service_account() {
    let target = FakeApiServer::start().await;
    target.set_path_prefix(Some("/kubernetes/edge"));
    target.set_accepted_tokens(Some(&["target-cluster-token"]));
    let c: Connector = serde_json::from_value(connector(
        "team",
        "edge",
        &format!("{}/kubernetes/edge", target.url()),
    ))
    .unwrap();
    let s: Secret =
        serde_json::from_value(secret("team", "edge-secret", "target-cluster-token")).unwrap();
    let sa = ObjectKey::new("dpf-operator", "dpu-agent");

    let token = mint_direct(&c, &s, None, &sa, Duration::from_secs(3600))
        .await
        .unwrap();
    assert_eq!(token.expose(), "fake-token-1");
    let life = token.lifetime().as_secs();
    assert!((3595..=3605).contains(&life), "lifetime {life}s");

    let recorded = target.token_requests();
    assert_eq!(recorded.len(), 1);
    let r = &recorded[0];
    assert_eq!(
        (r.namespace.as_str(), r.service_account.as_str()),
        ("dpf-operator", "dpu-agent")
    );
    assert_eq!(
        r.authorization.as_deref(),
        Some("Bearer target-cluster-token")
    );
    assert_eq!(r.body["spec"]["expirationSeconds"], json!(3600));
    assert!(r.body["spec"].get("boundObjectRef").is_none(), "{}", r.body);
    let requests = target.requests();
    assert_eq!(
        requests.last().unwrap().path,
        "/kubernetes/edge/api/v1/namespaces/dpf-operator/serviceaccounts/dpu-agent/token",
        "the address' path prefix is kept"
    );

    // A rejected credential names the connector and SA, never the credential.
    let wrong: Secret =
        serde_json::from_value(secret("team", "edge-secret", "stale-credential")).unwrap();
    let err = mint_direct(&c, &wrong, None, &sa, Duration::from_secs(3600))
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, SourceError::PermissionDenied(_)), "{err:?}");
    assert!(
        msg.contains("team/edge") && msg.contains("dpf-operator/dpu-agent"),
        "{msg}"
    );
    assert!(!msg.contains("stale-credential"), "{msg}");

    let err = mint_direct(&c, &s, None, &sa, Duration::from_secs(60))
        .await
        .unwrap_err();
    assert!(matches!(err, SourceError::Invalid(_)), "{err:?}");
}

#[tokio::test]
async fn client_from_config_uses_an_explicit_kubeconfig() {
    let server = FakeApiServer::start().await;
    server.apply(namespace("team", json!({"a": "b"})));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kubeconfig");
    server.write_kubeconfig(&path).unwrap();
    let client = client_from_config(Some(path)).await.unwrap();
    let source = KubeSource::start(client, fast_opts()).await;
    assert_eq!(source.namespace_labels("team").await.unwrap()["a"], "b");
    assert_eq!(
        server.requests().last().unwrap().authorization.as_deref(),
        Some("Bearer fake-admin-token")
    );

    let missing = dir.path().join("nope");
    let Err(err) = client_from_config(Some(missing.clone())).await else {
        panic!("a missing kubeconfig must fail")
    };
    assert!(
        matches!(&err, SourceError::Invalid(m) if m.contains(&missing.display().to_string())),
        "{err:?}"
    );
}

/// Over HTTP/2 a node's watches are streams of one connection (kube-rs' own client would open
/// one connection per watch), and of another one per STREAMS_PER_CONNECTION open streams, so a
/// server's stream limit never leaves a watch waiting; changes arrive on every stream.
#[tokio::test]
async fn http2_multiplexes_the_watches_over_as_few_connections_as_the_stream_limit_allows() {
    let per = STREAMS_PER_CONNECTION;
    // (HTTP version, connector watches, expected connections); the class watch is one more
    // stream, and at most 8 lists run at once beside the watches.
    for (http, watched, expect) in [
        (HttpVersion::Http2PriorKnowledge, 40, Some(1)),
        (HttpVersion::Http2PriorKnowledge, per + 20, Some(2)),
        (HttpVersion::Negotiate, 40, None),
    ] {
        let server = FakeApiServer::start().await;
        server.apply(class("k8s", "PEM"));
        for i in 0..watched {
            server.apply(connector(
                "team",
                &format!("c-{i}"),
                "https://a.example.com",
            ));
        }
        let config = kube::Config::from_custom_kubeconfig(
            server.kubeconfig(),
            &kube::config::KubeConfigOptions::default(),
        )
        .await
        .unwrap();
        let client = build_client(config, http).unwrap();
        let source = start_with_client(client, fast_opts()).await;
        let keys: Vec<ObjectKey> = (0..watched)
            .map(|i| ObjectKey::new("team", format!("c-{i}")))
            .collect();
        for (i, k) in keys.iter().enumerate() {
            source.retain(&format!("vol-{i}"), std::slice::from_ref(k));
        }
        for k in &keys {
            source.connector(k).await.unwrap();
        }
        let mut rx = source.subscribe();
        let last = keys.last().unwrap();
        server.apply(connector("team", &last.name, "https://b.example.com"));
        next_event(&mut rx, &SourceEvent::Connector(last.clone())).await;
        let connections = server.accepted_connections();
        println!("{http:?}: {watched} connector watches + the class watch over {connections} connection(s)");
        match expect {
            Some(n) => assert_eq!(connections, n, "HTTP/2 with {watched} watches"),
            // Plain http without prior knowledge is HTTP/1.1: a connection per open watch.
            None => assert!(connections > watched, "{connections}"),
        }
    }
}

/// Runs against a real cluster: `CONNECTORS_CSI_E2E_KUBECONFIG=/path/to/kubeconfig cargo test
/// --test kube_source -- --ignored`. Optionally `CONNECTORS_CSI_E2E_CONNECTOR=<ns>/<name>` names
/// a Connector that must resolve (with its class).
#[tokio::test]
#[ignore = "needs a real cluster: set CONNECTORS_CSI_E2E_KUBECONFIG"]
async fn e2e_real_cluster() {
    let Some(path) = std::env::var_os("CONNECTORS_CSI_E2E_KUBECONFIG") else {
        panic!("set CONNECTORS_CSI_E2E_KUBECONFIG to a kubeconfig of a cluster with the connectors CRDs");
    };
    let client = client_from_config(Some(path.into())).await.unwrap();
    let source = KubeSource::start(client, KubeSourceOptions::default()).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while !source.is_synced() {
        assert!(
            Instant::now() < deadline,
            "no initial list of connectors and connectorclasses within 60s (are the CRDs installed and is RBAC granted?)"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let all = source.list_connectors().await.unwrap();
    println!("{} connectors visible", all.len());
    if let Ok(name) = std::env::var("CONNECTORS_CSI_E2E_CONNECTOR") {
        let (ns, name) = name
            .split_once('/')
            .expect("CONNECTORS_CSI_E2E_CONNECTOR=<ns>/<name>");
        let c = source.connector(&ObjectKey::new(ns, name)).await.unwrap();
        source
            .connector_class(&c.spec.connector_class_name)
            .await
            .unwrap();
        check_namespace_scope(&*source, ns, &ObjectKey::new(ns, name))
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn missing_driver_rbac_is_permission_denied_naming_the_rule() {
    let server = FakeApiServer::start().await;
    server.forbid("create", "serviceaccounts/token");
    server.forbid("list", "secrets");
    let source = start(&server, fast_opts()).await;
    let spec = TokenRequestSpec {
        pod: pod("team", "builder"),
        audience: "a".into(),
        expiration: Duration::from_secs(1800),
    };
    let err = source.request_token(&spec).await.unwrap_err();
    let SourceError::PermissionDenied(msg) = &err else {
        panic!("expected PermissionDenied, got {err:?}")
    };
    println!("rbac message: {msg}");
    // Token minting is an opt-in grant: the message says how to avoid it or enable it.
    assert!(
        msg.contains("--token-source kubelet")
            && msg.contains("deploy/components/driver-minted-tokens")
            && msg.contains("tokenMinting.namespaces")
            && msg.contains("\"team\""),
        "{msg}"
    );

    let err = source
        .secret(&ObjectKey::new("team", "k8s-a-secret"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, SourceError::PermissionDenied(m)
            if m.contains("deploy/components/connector-secrets")
                && m.contains("connectorSecrets.namespaces")
                && m.contains("\"team\"")),
        "{err:?}"
    );
}
