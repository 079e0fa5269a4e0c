//! The KubeSource caches: initial sync, the bounded wait for late objects, watch events, and
//! Secrets watched by name and stopped when idle.

use super::*;

#[tokio::test]
async fn initial_sync_lists_classes_only_and_a_connector_costs_one_named_watch() {
    let server = FakeApiServer::start().await;
    server.apply(connector("team", "k8s-a", "https://api.example.com:6443"));
    for i in 0..50 {
        server.apply(connector(
            &format!("other-{i}"),
            "unused",
            "https://elsewhere.example.com",
        ));
    }
    server.apply(class("k8s", "PEM"));
    let source = start(&server, fast_opts()).await;

    // Ready after the class list alone: nothing about Connectors is fetched at start.
    let counts = server.counts();
    assert_eq!(counts.get("list", "connectorclasses"), 1);
    assert_eq!(counts.get("list", "connectors"), 0, "{counts:?}");
    assert_eq!(source.watched_connectors(), 0);

    let key = ObjectKey::new("team", "k8s-a");
    let c = source.connector(&key).await.unwrap();
    assert_eq!(c.spec.address, "https://api.example.com:6443");
    assert_eq!(source.watched_connectors(), 1);
    // One namespaced list restricted to that name, from the watch cache, then its watch.
    let connector_requests: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/connectors"))
        .collect();
    assert!(!connector_requests.is_empty());
    for r in &connector_requests {
        assert_eq!(
            r.path,
            "/apis/connectors.alauda.io/v1alpha1/namespaces/team/connectors"
        );
        assert!(
            r.query.contains("fieldSelector=metadata.name%3Dk8s-a"),
            "{}",
            r.query
        );
    }
    assert!(
        connector_requests
            .iter()
            .any(|r| !r.query.contains("watch=") && r.query.contains("resourceVersion=0")),
        "the first list reads the watch cache: {connector_requests:?}"
    );
    assert_eq!(server.counts().get("list", "connectors"), 1);

    server.reset_counts();
    for _ in 0..3 {
        let c = source.connector(&key).await.unwrap();
        assert_eq!(c.spec.address, "https://api.example.com:6443");
        let cls = source.connector_class("k8s").await.unwrap();
        assert_eq!(
            cls.spec.proxy.as_ref().unwrap().ca_certs.as_deref(),
            Some("PEM")
        );
    }
    let counts = server.counts();
    assert_eq!(counts.verb("get") + counts.verb("list"), 0, "{counts:?}");
    // The image credential provider's one-shot list: one LIST of every Connector.
    assert_eq!(source.list_connectors().await.unwrap().len(), 51);
    assert_eq!(server.counts().get("list", "connectors"), 1);
}

#[tokio::test]
async fn connector_watches_follow_volume_references_and_stop_when_idle() {
    let server = FakeApiServer::start().await;
    server.apply(connector("team", "a", "https://a.example.com"));
    server.apply(connector("team", "b", "https://b.example.com"));
    server.apply(class("k8s", "PEM"));
    let source = start(
        &server,
        KubeSourceOptions {
            idle_watch_ttl: Duration::from_millis(200),
            ..fast_opts()
        },
    )
    .await;
    let (a, b) = (ObjectKey::new("team", "a"), ObjectKey::new("team", "b"));
    source.retain("vol-1", &[a.clone()]);
    // A volume naming a connector twice references it once.
    source.retain("vol-2", &[a.clone(), b.clone(), b.clone()]);
    source.connector(&a).await.unwrap();
    source.connector(&b).await.unwrap();
    assert_eq!(
        source.watched_connectors(),
        2,
        "one watch per connector, shared by volumes"
    );
    assert_eq!(server.counts().get("list", "connectors"), 2);

    // Referenced watches are never stopped, however long unused.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(source.watched_connectors(), 2);

    // vol-2 goes: b has no reference left and stops after the idle grace; a stays for vol-1.
    source.release("vol-2");
    assert!(
        wait_for(Duration::from_secs(3), || source.watched_connectors() == 1).await,
        "the idle watch of team/b was not stopped"
    );
    let mut rx = source.subscribe();
    server.apply(connector("team", "a", "https://a2.example.com"));
    next_event(&mut rx, &SourceEvent::Connector(a.clone())).await;

    // A change of a connector no longer watched reaches nobody.
    server.apply(connector("team", "b", "https://b2.example.com"));
    let got = tokio::time::timeout(Duration::from_millis(300), async {
        loop {
            if let Ok(SourceEvent::Connector(k)) = rx.recv().await {
                if k == b {
                    return;
                }
            }
        }
    })
    .await;
    assert!(
        got.is_err(),
        "an unwatched connector's change must not reach the node"
    );

    source.release("vol-1");
    assert!(
        wait_for(Duration::from_secs(3), || source.watched_connectors() == 0).await,
        "the idle watch of team/a was not stopped"
    );
}

#[tokio::test]
async fn a_missing_connector_stays_watched_and_its_creation_is_an_event() {
    let server = FakeApiServer::start().await;
    server.apply(class("k8s", "PEM"));
    let source = start(
        &server,
        KubeSourceOptions {
            wait_for_connector: Duration::from_millis(100),
            ..fast_opts()
        },
    )
    .await;
    let key = ObjectKey::new("team", "later");
    source.retain("vol-1", std::slice::from_ref(&key));
    let err = source.connector(&key).await.unwrap_err();
    assert!(matches!(err, SourceError::NotFound { .. }), "{err:?}");
    // NotFound is cached: a second read asks the API server nothing.
    server.reset_counts();
    assert!(source.connector(&key).await.is_err());
    assert_eq!(server.counts().verb("list"), 0);

    let mut rx = source.subscribe();
    server.apply(connector("team", "later", "https://later.example.com"));
    next_event(&mut rx, &SourceEvent::Connector(key.clone())).await;
    assert_eq!(
        source.connector(&key).await.unwrap().spec.address,
        "https://later.example.com"
    );
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
    source.retain("vol-1", std::slice::from_ref(&key));
    assert_eq!(
        source.connector(&key).await.unwrap().spec.address,
        "https://old.example.com"
    );

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
    assert!(matches!(
        source.connector(&key).await,
        Err(SourceError::NotFound { .. })
    ));
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
            idle_watch_ttl: Duration::from_millis(200),
            ..fast_opts()
        },
    )
    .await;
    source
        .secret(&ObjectKey::new("team", "orphan"))
        .await
        .unwrap();
    assert_eq!(source.watched_secrets(), 1);
    assert!(
        wait_for(Duration::from_secs(3), || source.watched_secrets() == 0).await,
        "idle unreferenced watch not stopped"
    );
}

/// Objects the CRDs accept with free-form values and without `spec` come through the API
/// server's list and watch, keep their values, and render with lists and maps visible.
#[tokio::test]
async fn free_form_values_and_missing_spec_come_through_list_and_watch() {
    use test_support::crd_shapes;
    let server = FakeApiServer::start().await;
    let (listed, watched): (Vec<_>, Vec<_>) = crd_shapes::connectors()
        .into_iter()
        .enumerate()
        .partition(|(i, _)| i % 2 == 0);
    for (_, (_, obj)) in &listed {
        server.apply(obj.clone());
    }
    for (_, obj) in crd_shapes::classes() {
        server.apply(obj);
    }
    let source = start(&server, fast_opts()).await;
    // The rest arrive as watch events after the initial list.
    for (_, (_, obj)) in &watched {
        server.apply(obj.clone());
    }
    for (name, written) in crd_shapes::connectors() {
        let c = source
            .connector(&ObjectKey::new(crd_shapes::NAMESPACE, name))
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        crd_shapes::assert_free_form_kept(&written, &serde_json::to_value(&*c).unwrap(), name);
    }
    for (name, written) in crd_shapes::classes() {
        let c = source.connector_class(name).await.unwrap();
        crd_shapes::assert_free_form_kept(&written, &serde_json::to_value(&*c).unwrap(), name);
    }
    let c = source
        .connector(&ObjectKey::new(crd_shapes::NAMESPACE, "ff-params"))
        .await
        .unwrap();
    let class = source.connector_class(crd_shapes::CLASS).await.unwrap();
    assert_eq!(
        crd_shapes::render_show(c, class).unwrap(),
        crd_shapes::SHOW_EXPECTED
    );
}
