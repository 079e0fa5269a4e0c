//! Static (Secret) mode: request/response JSON of every API version, registry matching, secret
//! handling, duplicate and cross-namespace rules, malformed input and source outages.

use super::*;

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
