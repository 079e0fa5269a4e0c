//! The kubelet image credential provider end to end through `credprovider::run` with an
//! in-memory connector source, plus a process-level test that pipes JSON through the real binary.

use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use connectors_csi::connector::memory::MemorySource;
use connectors_csi::connector::{Connector, ConnectorClass, SourceError};
use connectors_csi::credprovider::jwt::unsigned_jwt;
use connectors_csi::credprovider::{
    run, ApiVersion, AuthConfig, CacheKeyType, CredentialProviderArgs, CredentialProviderError,
    CredentialProviderRequest, CredentialProviderResponse, SaToken,
};
use k8s_openapi::api::core::v1::Secret;
use serde_json::{json, Value};

#[derive(Parser, Debug)]
struct Cli {
    #[command(flatten)]
    args: CredentialProviderArgs,
}

fn args(extra: &[&str]) -> CredentialProviderArgs {
    let mut argv = vec!["connectors-csi", "--source", "dir:/unused"];
    argv.extend_from_slice(extra);
    Cli::try_parse_from(argv).expect("flags parse").args
}

fn connector(ns: &str, name: &str, class: &str, address: &str, secret: Option<&str>) -> Connector {
    serde_json::from_value(json!({
        "apiVersion": "connectors.alauda.io/v1alpha1",
        "kind": "Connector",
        "metadata": {"name": name, "namespace": ns, "labels": {"team": ns}},
        "spec": {
            "connectorClassName": class,
            "address": address,
            "auth": secret.map(|s| json!({"name": "tokenAuth", "secretRef": {"name": s}})),
        },
        "status": {
            "conditions": [{"type": "Ready", "status": "True"}],
            "proxy": {"httpAddress": {"url": format!("http://c-{name}.{ns}.svc.cluster.local")}},
        }
    }))
    .unwrap()
}

fn not_ready(mut c: Connector) -> Connector {
    c.status.as_mut().unwrap().conditions[0].status = "False".into();
    c
}

fn with_proxy(mut c: Connector, url: &str) -> Connector {
    let status = c.status.as_mut().unwrap();
    status
        .proxy
        .as_mut()
        .unwrap()
        .http_address
        .as_mut()
        .unwrap()
        .url = Some(url.into());
    c
}

fn basic_secret(ns: &str, name: &str, ty: &str, user: &str, pass: &str) -> Secret {
    serde_json::from_value(json!({
        "metadata": {"name": name, "namespace": ns},
        "type": ty,
        "stringData": {"username": user, "password": pass},
    }))
    .unwrap()
}

fn docker_secret(ns: &str, name: &str, config: Value) -> Secret {
    serde_json::from_value(json!({
        "metadata": {"name": name, "namespace": ns},
        "type": "kubernetes.io/dockerconfigjson",
        "stringData": {".dockerconfigjson": config.to_string()},
    }))
    .unwrap()
}

fn oci_class() -> ConnectorClass {
    serde_json::from_value(json!({
        "apiVersion": "connectors.alauda.io/v1alpha1",
        "kind": "ConnectorClass",
        "metadata": {"name": "oci"},
        "spec": {"auth": {"types": [{"name": "tokenAuth", "secretType": "cpaas.io/distribution-registry-token"}]}}
    }))
    .unwrap()
}

fn request(version: &str, image: &str) -> Value {
    json!({
        "apiVersion": format!("credentialprovider.kubelet.k8s.io/{version}"),
        "kind": "CredentialProviderRequest",
        "image": image,
    })
}

/// Runs the plugin on `req` and returns the decoded stdout.
async fn call(
    source: &Arc<MemorySource>,
    args: CredentialProviderArgs,
    req: &Value,
) -> Result<Value, CredentialProviderError> {
    let mut out = Vec::new();
    let input = serde_json::to_vec(req).unwrap();
    run(args, source.clone(), input.as_slice(), &mut out).await?;
    assert!(out.ends_with(b"\n"));
    Ok(serde_json::from_slice(&out).expect("stdout is JSON"))
}

/// A source with a Harbor connector (basic-auth) and an OCI connector (dockerconfigjson, port and
/// path prefix).
fn registry_source() -> Arc<MemorySource> {
    let source = MemorySource::new();
    source.set(|s| {
        s.insert_class(oci_class());
        s.insert_connector(connector(
            "team",
            "harbor",
            "harbor",
            "https://harbor.example.com/",
            Some("harbor-robot"),
        ));
        s.insert_secret(basic_secret(
            "team",
            "harbor-robot",
            "kubernetes.io/basic-auth",
            "robot$ci",
            "harbor-pw",
        ));
        s.insert_connector(connector(
            "team",
            "oci",
            "oci",
            "https://reg.local:5000/apps",
            Some("oci-cfg"),
        ));
        s.insert_secret(docker_secret(
            "team",
            "oci-cfg",
            json!({"auths": {
                "https://reg.local:5000": {"username": "ociuser", "password": "oci-pw"},
                "other.io": {"username": "x", "password": "y"},
            }}),
        ));
    });
    source
}

#[test]
fn request_json_round_trips_for_v1_and_v1beta1() {
    for version in ApiVersion::ALL {
        let mut wire = json!({
            "apiVersion": version.as_str(),
            "kind": "CredentialProviderRequest",
            "image": "harbor.example.com/library/nginx",
        });
        if version == ApiVersion::V1 {
            wire["serviceAccountToken"] = json!("a.b.c");
            wire["serviceAccountAnnotations"] =
                json!({"connectors.cpaas.io/connector": "team/harbor"});
        }
        let parsed = CredentialProviderRequest::from_json(wire.to_string().as_bytes()).unwrap();
        assert_eq!(parsed.api_version, version);
        assert_eq!(parsed.image, "harbor.example.com/library/nginx");
        assert_eq!(parsed.to_json(), wire);
    }
    // Fields a future kubelet adds are ignored rather than fatal.
    let mut wire = request("v1", "a.io/x");
    wire["someFutureField"] = json!({"x": 1});
    assert!(CredentialProviderRequest::from_json(wire.to_string().as_bytes()).is_ok());
}

#[test]
fn response_json_round_trips_for_v1_and_v1beta1() {
    for version in [ApiVersion::V1, ApiVersion::V1beta1] {
        let resp = CredentialProviderResponse {
            api_version: version,
            cache_key_type: CacheKeyType::Registry,
            cache_duration: Some(Duration::from_secs(300)),
            auth: [(
                "reg.io:5000/team".to_string(),
                AuthConfig {
                    username: "u".into(),
                    password: "p".into(),
                },
            )]
            .into(),
        };
        let wire = resp.to_json();
        assert_eq!(
            wire,
            json!({
                "apiVersion": version.as_str(),
                "kind": "CredentialProviderResponse",
                "cacheKeyType": "Registry",
                "cacheDuration": "5m0s",
                "auth": {"reg.io:5000/team": {"username": "u", "password": "p"}},
            })
        );
        let back = CredentialProviderResponse::from_json(wire.to_string().as_bytes()).unwrap();
        assert_eq!(back, resp);
    }
    let err = CredentialProviderResponse::from_json(
        br#"{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderResponse","cacheKeyType":"Sometimes","auth":{"r":{"username":"u","password":"leaked"}}}"#,
    )
    .unwrap_err();
    assert!(!err.to_string().contains("leaked"));
}

#[tokio::test]
async fn basic_auth_connector_answers_v1_with_its_secret() {
    let source = registry_source();
    let out = call(
        &source,
        args(&[]),
        &request("v1", "harbor.example.com/library/nginx"),
    )
    .await
    .unwrap();
    assert_eq!(
        out,
        json!({
            "apiVersion": "credentialprovider.kubelet.k8s.io/v1",
            "kind": "CredentialProviderResponse",
            "cacheKeyType": "Registry",
            "cacheDuration": "5m0s",
            "auth": {"harbor.example.com": {"username": "robot$ci", "password": "harbor-pw"}},
        })
    );
}

#[tokio::test]
async fn v1beta1_and_v1alpha1_requests_get_answers_in_their_version() {
    let source = registry_source();
    for version in ["v1beta1", "v1alpha1"] {
        let out = call(
            &source,
            args(&["--cache-duration", "90s"]),
            &request(version, "harbor.example.com/library/nginx"),
        )
        .await
        .unwrap();
        assert_eq!(
            out["apiVersion"],
            format!("credentialprovider.kubelet.k8s.io/{version}")
        );
        assert_eq!(out["cacheDuration"], "1m30s");
        assert_eq!(out["auth"]["harbor.example.com"]["username"], "robot$ci");
    }
}

#[tokio::test]
async fn dockerconfigjson_connector_with_port_and_path_prefix() {
    let source = registry_source();
    let out = call(
        &source,
        args(&[]),
        &request("v1", "reg.local:5000/apps/web"),
    )
    .await
    .unwrap();
    assert_eq!(
        out["auth"],
        json!({"reg.local:5000/apps": {"username": "ociuser", "password": "oci-pw"}})
    );
    // The same host without the port is another registry for the kubelet.
    let out = call(&source, args(&[]), &request("v1", "reg.local/apps/web"))
        .await
        .unwrap();
    assert_eq!(out["auth"], json!({}));
}

#[tokio::test]
async fn registry_cache_entries_carry_every_key_of_the_registry() {
    // cacheKeyType Registry makes the kubelet reuse this answer for every image of reg.local:5000,
    // so keys whose path does not cover this image are still returned; the kubelet matches them
    // per image and ignores them here.
    let source = registry_source();
    let out = call(
        &source,
        args(&[]),
        &request("v1", "reg.local:5000/other/web"),
    )
    .await
    .unwrap();
    assert_eq!(out["cacheKeyType"], "Registry");
    assert_eq!(
        out["auth"].as_object().unwrap().keys().collect::<Vec<_>>(),
        vec!["reg.local:5000/apps"]
    );
}

#[tokio::test]
async fn no_matching_connector_gives_an_empty_auth_map() {
    let source = registry_source();
    let out = call(
        &source,
        args(&[]),
        &request("v1", "docker.io/library/busybox"),
    )
    .await
    .unwrap();
    assert_eq!(out["auth"], json!({}));
    assert_eq!(out["kind"], "CredentialProviderResponse");
    assert_eq!(out["cacheKeyType"], "Registry");
}

#[tokio::test]
async fn only_ready_selected_registry_connectors_are_used() {
    let source = MemorySource::new();
    source.set(|s| {
        s.insert_connector(not_ready(connector(
            "a",
            "down",
            "oci",
            "https://down.io",
            Some("s"),
        )));
        s.insert_connector(connector("a", "git", "git", "https://git.io", Some("s")));
        s.insert_connector(connector("b", "other-ns", "oci", "https://b.io", Some("s")));
        s.insert_connector(connector("a", "ok", "oci", "https://ok.io", Some("s")));
        s.insert_secret(basic_secret("a", "s", "kubernetes.io/basic-auth", "u", "p"));
        s.insert_secret(basic_secret("b", "s", "kubernetes.io/basic-auth", "u", "p"));
    });
    let restricted = || args(&["--namespace", "a"]);
    for image in ["down.io/x", "git.io/x", "b.io/x"] {
        let out = call(&source, restricted(), &request("v1", image))
            .await
            .unwrap();
        assert_eq!(out["auth"], json!({}), "{image}");
    }
    let out = call(&source, restricted(), &request("v1", "ok.io/x"))
        .await
        .unwrap();
    assert_eq!(out["auth"]["ok.io"]["username"], "u");
    // Without the namespace restriction, b's connector is used.
    let out = call(&source, args(&[]), &request("v1", "b.io/x"))
        .await
        .unwrap();
    assert_eq!(out["auth"]["b.io"]["password"], "p");
    // The label selector filters on Connector labels.
    let out = call(
        &source,
        args(&["--selector", "team=a"]),
        &request("v1", "b.io/x"),
    )
    .await
    .unwrap();
    assert_eq!(out["auth"], json!({}));
    // A class outside --classes is ignored; adding it makes the connector eligible.
    let out = call(
        &source,
        args(&["--classes", "oci,git"]),
        &request("v1", "git.io/x"),
    )
    .await
    .unwrap();
    assert_eq!(out["auth"]["git.io"]["username"], "u");
}

#[tokio::test]
async fn connectors_with_unusable_secrets_are_skipped_not_fatal() {
    let source = MemorySource::new();
    source.set(|s| {
        s.insert_class(oci_class());
        // Secret missing.
        s.insert_connector(connector("a", "a1", "oci", "https://reg.io/a1", Some("missing")));
        // Secret without credentials.
        s.insert_connector(connector("a", "a2", "oci", "https://reg.io/a2", Some("empty")));
        s.insert_secret(serde_json::from_value(json!({"metadata": {"name": "empty", "namespace": "a"}, "type": "Opaque", "stringData": {"token": "t"}})).unwrap());
        // No auth at all (anonymous registry).
        s.insert_connector(connector("a", "a3", "oci", "https://reg.io/a3", None));
        // Type unset: the class's declared secret type applies and username/password are read.
        s.insert_connector(connector("a", "a4", "oci", "https://reg.io/a4", Some("untyped")));
        s.insert_secret(serde_json::from_value(json!({"metadata": {"name": "untyped", "namespace": "a"}, "stringData": {"username": "u4", "password": "p4"}})).unwrap());
    });
    let out = call(&source, args(&[]), &request("v1", "reg.io/a4/app"))
        .await
        .unwrap();
    assert_eq!(
        out["auth"],
        json!({"reg.io/a4": {"username": "u4", "password": "p4"}})
    );
}

#[tokio::test]
async fn cross_namespace_secret_refs_are_not_followed() {
    let source = MemorySource::new();
    source.set(|s| {
        let mut c = connector("a", "c", "oci", "https://reg.io", Some("s"));
        c.spec
            .auth
            .as_mut()
            .unwrap()
            .secret_ref
            .as_mut()
            .unwrap()
            .namespace = Some("kube-system".into());
        s.insert_connector(c);
        s.insert_secret(basic_secret(
            "kube-system",
            "s",
            "kubernetes.io/basic-auth",
            "admin",
            "x",
        ));
    });
    let out = call(&source, args(&[]), &request("v1", "reg.io/x"))
        .await
        .unwrap();
    assert_eq!(out["auth"], json!({}));
}

#[tokio::test]
async fn duplicate_addresses_use_the_first_connector_by_namespace_and_name() {
    let source = MemorySource::new();
    source.set(|s| {
        s.insert_connector(connector("b", "z", "oci", "https://reg.io", Some("s")));
        s.insert_connector(connector("a", "y", "oci", "https://reg.io/", Some("s")));
        s.insert_secret(basic_secret(
            "a",
            "s",
            "kubernetes.io/basic-auth",
            "from-a",
            "x",
        ));
        s.insert_secret(basic_secret(
            "b",
            "s",
            "kubernetes.io/basic-auth",
            "from-b",
            "x",
        ));
    });
    let out = call(&source, args(&[]), &request("v1", "reg.io/x"))
        .await
        .unwrap();
    assert_eq!(out["auth"]["reg.io"]["username"], "from-a");
}

#[tokio::test]
async fn malformed_requests_fail_without_echoing_input() {
    let source = registry_source();
    let secret_token =
        unsigned_jwt(&json!({"exp": 4102444800u64, "sub": "system:serviceaccount:team:leak"}));
    let cases: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"not json".to_vec(),
        format!(r#"{{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","serviceAccountToken":"{secret_token}"}}"#).into_bytes(),
        format!(r#"{{"apiVersion":"credentialprovider.kubelet.k8s.io/v2","kind":"CredentialProviderRequest","image":"a.io","serviceAccountToken":"{secret_token}"}}"#).into_bytes(),
        format!(r#"{{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"a.io:port/x","serviceAccountToken":"{secret_token}"}}"#).into_bytes(),
        format!(r#"{{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"a.io","serviceAccountToken":"{secret_token}"#).into_bytes(),
        br#"{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"a.io","serviceAccountToken":"opaque-leak"}"#.to_vec(),
    ];
    for input in cases {
        let mut out = Vec::new();
        let err = run(args(&[]), source.clone(), input.as_slice(), &mut out)
            .await
            .unwrap_err();
        let msg = connectors_csi::credprovider::one_line(&err);
        assert!(out.is_empty(), "nothing on stdout for a failed request");
        assert!(
            !msg.contains("leak") && !msg.contains(&secret_token),
            "{msg}"
        );
        assert!(!msg.contains('\n'));
        assert!(
            matches!(
                err,
                CredentialProviderError::MalformedRequest(_)
                    | CredentialProviderError::InvalidServiceAccountToken(_)
            ),
            "{msg}"
        );
    }
}

#[tokio::test]
async fn source_outages_are_errors() {
    let source = registry_source();
    source.fail_with(Some(SourceError::Unavailable(
        "api server unreachable".into(),
    )));
    let err = call(&source, args(&[]), &request("v1", "harbor.example.com/x"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("api server unreachable"), "{err}");
}

#[tokio::test]
async fn unsynced_source_times_out_with_a_clear_error() {
    let source = registry_source();
    source.set_synced(false);
    let err = call(
        &source,
        args(&["--sync-timeout", "100ms"]),
        &request("v1", "harbor.example.com/x"),
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("initial sync did not complete within 100ms"),
        "{err}"
    );
}

// ---------------------------------------------------------------- ServiceAccount-token mode

fn sa_token(ns: &str, sa: &str, lifetime_secs: i64) -> String {
    let exp = jiff::Timestamp::now().as_second() + lifetime_secs;
    unsigned_jwt(&json!({
        "aud": ["connectors-proxy"],
        "exp": exp,
        "sub": format!("system:serviceaccount:{ns}:{sa}"),
        "kubernetes.io": {"namespace": ns, "serviceaccount": {"name": sa, "uid": "1"}},
    }))
}

fn sa_request(image: &str, token: &str, annotation: Option<&str>) -> Value {
    let mut r = request("v1", image);
    r["serviceAccountToken"] = json!(token);
    if let Some(a) = annotation {
        r["serviceAccountAnnotations"] = json!({"connectors.cpaas.io/connector": a});
    }
    r
}

/// Two connectors behind a path-resolver proxy plus one with its own proxy host.
fn proxy_source() -> Arc<MemorySource> {
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

// ---------------------------------------------------------------- the real binary

#[test]
fn binary_answers_a_request_on_stdin() {
    use std::io::Write;
    use std::process::{Command, Stdio};

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("harbor.yaml"),
        r#"apiVersion: connectors.alauda.io/v1alpha1
kind: Connector
metadata: {name: harbor, namespace: team}
spec:
  connectorClassName: harbor
  address: https://harbor.example.com
  auth: {name: basicAuth, secretRef: {name: harbor-robot}}
status:
  conditions: [{type: Ready, status: "True"}]
---
apiVersion: v1
kind: Secret
metadata: {name: harbor-robot, namespace: team}
type: kubernetes.io/basic-auth
stringData: {username: "robot$ci", password: harbor-pw}
"#,
    )
    .unwrap();
    let source = format!("dir:{}", dir.path().display());
    let exe = env!("CARGO_BIN_EXE_connectors-csi");
    let pipe = |input: &str| {
        let mut child = Command::new(exe)
            .args(["credential-provider", "--source", &source])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };

    let out = pipe(&request("v1", "harbor.example.com/library/nginx").to_string());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let resp: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(resp["auth"]["harbor.example.com"]["username"], "robot$ci");
    assert_eq!(resp["apiVersion"], "credentialprovider.kubelet.k8s.io/v1");

    let out = pipe(&request("v1", "quay.io/x").to_string());
    assert!(out.status.success());
    let resp: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(resp["auth"], json!({}));

    let out = pipe(
        r#"{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","serviceAccountToken":"leak-me""#,
    );
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(!stderr.contains("leak-me"), "{stderr}");
}
