//! KubeSource, mint_direct and client_from_config against the in-process fake API server, with
//! real kube clients.

use std::sync::Arc;
use std::time::{Duration, Instant};

use connectors_csi::connector::kube::{client_from_config, KubeSource, KubeSourceOptions};
use connectors_csi::connector::source::check_namespace_scope;
use connectors_csi::connector::{
    Connector, ConnectorSource, ObjectKey, PodInfo, SourceError, SourceEvent, TokenRequestSpec,
};
use connectors_csi::token::direct::mint_direct;
use k8s_openapi::api::core::v1::Secret;
use kube::ResourceExt;
use serde_json::{json, Value};
use test_support::FakeApiServer;
use tokio::sync::broadcast;

fn connector(ns: &str, name: &str, address: &str) -> Value {
    json!({
        "apiVersion": "connectors.alauda.io/v1alpha1",
        "kind": "Connector",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "connectorClassName": "k8s",
            "address": address,
            "auth": {"name": "bearerTokenAuth", "secretRef": {"name": format!("{name}-secret")}},
        },
        "status": {"proxy": {"httpAddress": {"url": format!("http://c-{name}.{ns}.svc.cluster.local")}}},
    })
}

fn class(name: &str, ca: &str) -> Value {
    json!({
        "apiVersion": "connectors.alauda.io/v1alpha1",
        "kind": "ConnectorClass",
        "metadata": {"name": name},
        "spec": {"proxy": {"CACerts": ca}, "configurations": [{"name": "kubeconfig", "data": {"kubeconfig": "x"}}]},
    })
}

fn secret(ns: &str, name: &str, token: &str) -> Value {
    use base64::Engine;
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": ns},
        "type": "connectors.cpaas.io/bearer-token",
        "data": {"token": base64::engine::general_purpose::STANDARD.encode(token)},
    })
}

fn namespace(name: &str, labels: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}})
}

fn pod(ns: &str, sa: &str) -> PodInfo {
    PodInfo {
        namespace: ns.into(),
        name: "builder-0".into(),
        uid: "1b4e28ba-2fa1-11d2-883f-0016d3cca427".into(),
        service_account: sa.into(),
    }
}

fn fast_opts() -> KubeSourceOptions {
    KubeSourceOptions {
        wait_for_connector: Duration::from_secs(3),
        ..Default::default()
    }
}

async fn start(server: &FakeApiServer, opts: KubeSourceOptions) -> Arc<KubeSource> {
    let source = KubeSource::start(server.client().await, opts).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !source.is_synced() {
        assert!(
            Instant::now() < deadline,
            "KubeSource did not sync within 10s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    source
}

async fn next_event(rx: &mut broadcast::Receiver<SourceEvent>, want: &SourceEvent) {
    let found = tokio::time::timeout(Duration::from_secs(3), async {
        loop {
            match rx.recv().await {
                Ok(e) if &e == want => return,
                Ok(_) => continue,
                Err(e) => panic!("event channel: {e}"),
            }
        }
    })
    .await;
    assert!(found.is_ok(), "no {want:?} within 3s");
}

#[tokio::test]
async fn initial_sync_makes_the_source_ready_and_warm_reads_cost_no_requests() {
    let server = FakeApiServer::start().await;
    server.apply(connector("team", "k8s-a", "https://api.example.com:6443"));
    server.apply(class("k8s", "PEM"));
    let source = start(&server, fast_opts()).await;

    let counts = server.counts();
    assert_eq!(counts.get("list", "connectors"), 1);
    assert_eq!(counts.get("list", "connectorclasses"), 1);
    // Connectors are watched across all namespaces.
    assert!(server
        .requests()
        .iter()
        .any(|r| r.path == "/apis/connectors.alauda.io/v1alpha1/connectors"));

    server.reset_counts();
    let key = ObjectKey::new("team", "k8s-a");
    for _ in 0..3 {
        let c = source.connector(&key).await.unwrap();
        assert_eq!(c.spec.address, "https://api.example.com:6443");
        let cls = source.connector_class("k8s").await.unwrap();
        assert_eq!(
            cls.spec.proxy.as_ref().unwrap().ca_certs.as_deref(),
            Some("PEM")
        );
    }
    assert_eq!(source.list_connectors().await.unwrap().len(), 1);
    let counts = server.counts();
    assert_eq!(counts.verb("get") + counts.verb("list"), 0, "{counts:?}");
}

#[tokio::test]
async fn connector_created_after_the_request_is_found_within_the_wait_window() {
    let server = FakeApiServer::start().await;
    let source = start(&server, fast_opts()).await;
    let key = ObjectKey::new("team", "late");
    let waiter = {
        let source = source.clone();
        let key = key.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            (source.connector(&key).await, started.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.apply(connector("team", "late", "https://late.example.com"));
    let (result, took) = waiter.await.unwrap();
    assert_eq!(result.unwrap().spec.address, "https://late.example.com");
    assert!(took < Duration::from_secs(2), "took {took:?}");
}

#[tokio::test]
async fn unknown_connector_is_not_found_after_the_bounded_wait() {
    let server = FakeApiServer::start().await;
    let source = start(
        &server,
        KubeSourceOptions {
            wait_for_connector: Duration::from_millis(300),
            ..Default::default()
        },
    )
    .await;
    let started = Instant::now();
    let err = source
        .connector(&ObjectKey::new("team", "missing"))
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert!(
        matches!(&err, SourceError::NotFound { kind: "connector", key } if key == "team/missing"),
        "{err:?}"
    );
    assert!(err.to_string().contains("team/missing"));
    assert!(
        took >= Duration::from_millis(290) && took < Duration::from_secs(2),
        "took {took:?}"
    );
    let err = source.connector_class("nope").await.unwrap_err();
    assert!(matches!(
        err,
        SourceError::NotFound {
            kind: "connectorclass",
            ..
        }
    ));
}

#[tokio::test]
async fn watch_events_become_source_events_and_update_the_cache() {
    let server = FakeApiServer::start().await;
    server.apply(connector("team", "k8s-a", "https://old.example.com"));
    server.apply(class("k8s", "PEM-1"));
    let source = start(&server, fast_opts()).await;
    let mut rx = source.subscribe();
    let key = ObjectKey::new("team", "k8s-a");

    server.apply(connector("team", "k8s-a", "https://new.example.com"));
    next_event(&mut rx, &SourceEvent::Connector(key.clone())).await;
    assert_eq!(
        source.connector(&key).await.unwrap().spec.address,
        "https://new.example.com"
    );

    server.apply(class("k8s", "PEM-2"));
    next_event(&mut rx, &SourceEvent::ConnectorClass("k8s".into())).await;
    let cls = source.connector_class("k8s").await.unwrap();
    assert_eq!(
        cls.spec.proxy.as_ref().unwrap().ca_certs.as_deref(),
        Some("PEM-2")
    );

    server.delete("Connector", "team", "k8s-a");
    next_event(&mut rx, &SourceEvent::Connector(key.clone())).await;
    assert!(source.list_connectors().await.unwrap().is_empty());
}

#[tokio::test]
async fn referenced_secret_is_watched_by_name_and_then_served_from_cache() {
    let server = FakeApiServer::start().await;
    server.apply(connector("team", "k8s-a", "https://api.example.com"));
    server.apply(secret("team", "k8s-a-secret", "tok-1"));
    server.apply(secret("team", "unrelated", "tok-x"));
    let source = start(&server, fast_opts()).await;
    assert_eq!(
        server.counts().get("list", "secrets"),
        0,
        "no secret read before use"
    );

    let key = ObjectKey::new("team", "k8s-a-secret");
    let s = source.secret(&key).await.unwrap();
    assert_eq!(s.data.as_ref().unwrap()["token"].0, b"tok-1");
    let counts = server.counts();
    assert_eq!(counts.get("list", "secrets"), 1, "{counts:?}");
    let secret_requests: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("secrets"))
        .collect();
    assert!(!secret_requests.is_empty());
    for r in &secret_requests {
        assert_eq!(r.path, "/api/v1/namespaces/team/secrets", "{r:?}");
        assert!(
            r.query
                .contains("fieldSelector=metadata.name%3Dk8s-a-secret"),
            "every Secret request is restricted to the one name: {r:?}"
        );
    }

    server.reset_counts();
    let again = source.secret(&key).await.unwrap();
    assert!(Arc::ptr_eq(&s, &again));
    let counts = server.counts();
    assert_eq!(
        counts.total(),
        0,
        "warm read must not reach the API: {counts:?}"
    );
    assert_eq!(source.watched_secrets(), 1);

    let mut rx = source.subscribe();
    server.apply(secret("team", "k8s-a-secret", "tok-2"));
    next_event(&mut rx, &SourceEvent::Secret(key.clone())).await;
    let s: Arc<Secret> = source.secret(&key).await.unwrap();
    assert_eq!(s.data.as_ref().unwrap()["token"].0, b"tok-2");

    server.delete("Secret", "team", "k8s-a-secret");
    next_event(&mut rx, &SourceEvent::Secret(key.clone())).await;
    let err = source.secret(&key).await.unwrap_err();
    assert!(
        matches!(err, SourceError::NotFound { kind: "secret", .. }),
        "{err:?}"
    );

    let err = source
        .secret(&ObjectKey::new("team", "never-existed"))
        .await
        .unwrap_err();
    assert!(matches!(err, SourceError::NotFound { .. }), "{err:?}");
}

#[tokio::test]
async fn unreferenced_secret_watches_are_stopped_when_idle() {
    let server = FakeApiServer::start().await;
    server.apply(secret("team", "orphan", "t"));
    let source = start(
        &server,
        KubeSourceOptions {
            secret_idle_ttl: Duration::from_millis(200),
            ..fast_opts()
        },
    )
    .await;
    source
        .secret(&ObjectKey::new("team", "orphan"))
        .await
        .unwrap();
    assert_eq!(source.watched_secrets(), 1);
    let deadline = Instant::now() + Duration::from_secs(3);
    while source.watched_secrets() > 0 {
        assert!(
            Instant::now() < deadline,
            "idle unreferenced watch not stopped"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

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
    assert!(
        matches!(&err, SourceError::Unavailable(m) if m.contains("initial list")),
        "{err:?}"
    );
    assert!(matches!(
        source.list_connectors().await,
        Err(SourceError::Unavailable(_))
    ));
}

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
