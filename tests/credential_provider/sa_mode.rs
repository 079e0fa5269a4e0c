//! ServiceAccount-token mode: the pod token for the connector proxy, cache duration, expiry,
//! path-resolver proxies, the pinning annotation and namespace scoping; config and secrecy checks.

use super::*;

pub(crate) fn sa_token(ns: &str, sa: &str, lifetime_secs: i64) -> String {
    let exp = jiff::Timestamp::now().as_second() + lifetime_secs;
    unsigned_jwt(&json!({
        "aud": ["connectors-proxy"],
        "exp": exp,
        "sub": format!("system:serviceaccount:{ns}:{sa}"),
        "kubernetes.io": {"namespace": ns, "serviceaccount": {"name": sa, "uid": "1"}},
    }))
}

pub(crate) fn sa_request(image: &str, token: &str, annotation: Option<&str>) -> Value {
    let mut r = request("v1", image);
    r["serviceAccountToken"] = json!(token);
    if let Some(a) = annotation {
        r["serviceAccountAnnotations"] = json!({"connectors.cpaas.io/connector": a});
    }
    r
}

/// Two connectors behind a path-resolver proxy plus one with its own proxy host.
pub(crate) fn proxy_source() -> Arc<MemorySource> {
    let source = MemorySource::new();
    source.set(|s| {
        let proxy = "http://connectors-proxy.connectors-system.svc";
        s.insert_connector(with_proxy(
            connector(
                "team",
                "harbor-a",
                "harbor",
                "https://harbor.example.com",
                Some("s"),
            ),
            &format!("{proxy}/namespaces/team/connectors/harbor-a"),
        ));
        s.insert_connector(with_proxy(
            connector(
                "team",
                "harbor-b",
                "harbor",
                "https://harbor.example.com/b",
                Some("s"),
            ),
            &format!("{proxy}/namespaces/team/connectors/harbor-b/"),
        ));
        s.insert_connector(connector(
            "team",
            "oci",
            "oci",
            "https://reg.local",
            Some("s"),
        ));
        s.insert_connector(connector(
            "elsewhere",
            "oci",
            "oci",
            "https://reg.other",
            Some("s"),
        ));
        s.insert_connector(connector(
            "kube-public",
            "shared",
            "oci",
            "https://reg.shared",
            None,
        ));
        s.insert_secret(basic_secret(
            "team",
            "s",
            "kubernetes.io/basic-auth",
            "static-user",
            "static-pw",
        ));
    });
    source
}

#[tokio::test]
async fn sa_mode_returns_the_token_for_the_connector_proxy() {
    let source = proxy_source();
    let token = sa_token("team", "builder", 3600);
    let out = call(
        &source,
        args(&[]),
        &sa_request("c-oci.team.svc.cluster.local/apps/web", &token, None),
    )
    .await
    .unwrap();
    assert_eq!(
        out["auth"],
        json!({"c-oci.team.svc.cluster.local": {"username": "team/oci", "password": token}})
    );
    // A one-hour token does not shorten the configured 5m.
    assert_eq!(out["cacheDuration"], "5m0s");
    assert_eq!(out["cacheKeyType"], "Registry");
    // The static Secret credentials are never handed out in this mode, even for the real address.
    let out = call(
        &source,
        args(&[]),
        &sa_request("reg.local/apps/web", &token, None),
    )
    .await
    .unwrap();
    assert_eq!(out["auth"], json!({}));
}

#[tokio::test]
async fn sa_mode_cache_duration_is_capped_by_the_token_expiry() {
    let source = proxy_source();
    let token = sa_token("team", "builder", 120);
    let out = call(
        &source,
        args(&["--cache-duration", "1h"]),
        &sa_request("c-oci.team.svc.cluster.local/web", &token, None),
    )
    .await
    .unwrap();
    let d = connectors_csi::credprovider::parse_go_duration(out["cacheDuration"].as_str().unwrap())
        .unwrap();
    assert!(d <= Duration::from_secs(120), "{d:?}");
    assert!(d >= Duration::from_secs(110), "{d:?}");
    assert_eq!(d.subsec_nanos(), 0, "whole seconds, rounded down");
}

#[tokio::test]
async fn sa_mode_expired_token_is_an_error_without_the_token() {
    let source = proxy_source();
    let token = sa_token("team", "builder", -30);
    let err = call(
        &source,
        args(&[]),
        &sa_request("c-oci.team.svc.cluster.local/web", &token, None),
    )
    .await
    .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("expired"), "{msg}");
    assert!(!msg.contains(&token));
}

#[tokio::test]
async fn sa_mode_path_resolver_proxy_returns_every_connector_key_on_the_proxy_host() {
    let source = proxy_source();
    let token = sa_token("team", "builder", 3600);
    let out = call(
        &source,
        args(&[]),
        &sa_request(
            "connectors-proxy.connectors-system.svc/namespaces/team/connectors/harbor-b/lib/app",
            &token,
            None,
        ),
    )
    .await
    .unwrap();
    let auth = out["auth"].as_object().unwrap();
    assert_eq!(
        auth.keys().collect::<Vec<_>>(),
        vec![
            "connectors-proxy.connectors-system.svc/namespaces/team/connectors/harbor-a",
            "connectors-proxy.connectors-system.svc/namespaces/team/connectors/harbor-b",
        ]
    );
    assert_eq!(
        auth["connectors-proxy.connectors-system.svc/namespaces/team/connectors/harbor-b"]
            ["username"],
        "team/harbor-b"
    );
}

#[tokio::test]
async fn sa_annotation_pins_one_connector() {
    let source = proxy_source();
    let token = sa_token("team", "builder", 3600);
    let image =
        "connectors-proxy.connectors-system.svc/namespaces/team/connectors/harbor-b/lib/app";
    for annotation in ["team/harbor-b", "harbor-b"] {
        let out = call(
            &source,
            args(&[]),
            &sa_request(image, &token, Some(annotation)),
        )
        .await
        .unwrap();
        assert_eq!(
            out["auth"].as_object().unwrap().keys().collect::<Vec<_>>(),
            vec!["connectors-proxy.connectors-system.svc/namespaces/team/connectors/harbor-b"],
            "{annotation}"
        );
    }
    // A pinned connector on another registry: nothing for this image.
    let out = call(
        &source,
        args(&[]),
        &sa_request(image, &token, Some("team/oci")),
    )
    .await
    .unwrap();
    assert_eq!(out["auth"], json!({}));
    // A malformed annotation is a request error naming the annotation, not the token.
    let err = call(
        &source,
        args(&[]),
        &sa_request(image, &token, Some("a/b/c")),
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("connectors.cpaas.io/connector"),
        "{err}"
    );
    assert!(!err.to_string().contains(&token));
}

#[tokio::test]
async fn sa_mode_applies_the_namespace_scope_of_the_service_account() {
    let source = proxy_source();
    let token = sa_token("team", "builder", 3600);
    // A connector in another namespace is not usable by team's ServiceAccounts.
    let out = call(
        &source,
        args(&[]),
        &sa_request("c-oci.elsewhere.svc.cluster.local/x", &token, None),
    )
    .await
    .unwrap();
    assert_eq!(out["auth"], json!({}));
    // kube-public connectors are usable from every namespace.
    let out = call(
        &source,
        args(&[]),
        &sa_request("c-shared.kube-public.svc.cluster.local/x", &token, None),
    )
    .await
    .unwrap();
    assert_eq!(
        out["auth"]["c-shared.kube-public.svc.cluster.local"]["username"],
        "kube-public/shared"
    );
    // Project connectors: the namespace labels decide.
    source.set(|s| {
        s.namespaces.insert(
            "elsewhere".into(),
            [("cpaas.io/inner-namespace".to_string(), "p1".to_string())].into(),
        );
        s.namespaces.insert(
            "team".into(),
            [("cpaas.io/project".to_string(), "p1".to_string())].into(),
        );
    });
    let out = call(
        &source,
        args(&[]),
        &sa_request("c-oci.elsewhere.svc.cluster.local/x", &token, None),
    )
    .await
    .unwrap();
    assert_eq!(
        out["auth"]["c-oci.elsewhere.svc.cluster.local"]["username"],
        "elsewhere/oci"
    );
}

#[test]
fn sa_token_never_appears_in_debug_output() {
    let req = CredentialProviderRequest {
        api_version: ApiVersion::V1,
        image: "a.io/x".into(),
        service_account_token: Some(SaToken::new("tok-secret")),
        service_account_annotations: Default::default(),
    };
    assert!(!format!("{req:?}").contains("tok-secret"));
}

#[test]
fn shipped_credential_provider_config_is_valid_for_these_flags() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/deploy/credential-provider/credential-provider-config.yaml"
    );
    let config: Value = serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(config["apiVersion"], "kubelet.config.k8s.io/v1");
    assert_eq!(config["kind"], "CredentialProviderConfig");
    let provider = &config["providers"][0];
    assert_eq!(provider["name"], "connectors-csi");
    assert_eq!(
        provider["apiVersion"],
        "credentialprovider.kubelet.k8s.io/v1"
    );
    assert!(connectors_csi::credprovider::parse_go_duration(
        provider["defaultCacheDuration"].as_str().unwrap()
    )
    .is_ok());
    let patterns = provider["matchImages"].as_array().unwrap();
    assert!(!patterns.is_empty());
    for p in patterns {
        connectors_csi::credprovider::matching::urls_match(p.as_str().unwrap(), "x.io/y")
            .expect("matchImages entries are valid patterns");
    }
    let argv: Vec<String> = provider["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    assert_eq!(argv[0], "credential-provider");
    let cli = Cli::try_parse_from(
        std::iter::once("connectors-csi".to_string()).chain(argv[1..].iter().cloned()),
    )
    .expect("the example args are accepted");
    cli.args.provider_config().unwrap();
}
