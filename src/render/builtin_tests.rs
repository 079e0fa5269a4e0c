//! Table tests of the built-in configurations (`kubeconfig`, `tokenfile`), service host/port
//! conventions, the payload cap and token secrecy.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use super::golden_tests::{examples, request, secrets, DIRECT_TOKEN, TOKEN};
use super::tests::{cfg, class_with, connector, text};
use super::*;

fn parse_kubeconfig(bytes: &[u8]) -> kube::config::Kubeconfig {
    kube::config::Kubeconfig::from_yaml(std::str::from_utf8(bytes).unwrap())
        .expect("kubeconfig must load with kube's client-go compatible parser")
}

#[test]
fn proxy_kubeconfig_parses_back_with_kube() {
    use base64::Engine as _;
    let ex = examples();
    let rc = ex.resolved("k8s-demo");
    let mut builtin_rc = rc.clone();
    let mut class = (*rc.class).clone();
    class.spec.configurations.clear();
    builtin_rc.class = Arc::new(class);

    let from_class = render(
        std::slice::from_ref(&rc),
        &request(&["kubeconfig"]),
        &secrets(),
    )
    .unwrap();
    let builtin = render(&[builtin_rc], &request(&["kubeconfig"]), &secrets()).unwrap();
    for p in [&from_class, &builtin] {
        let kc = parse_kubeconfig(&p.files["kubeconfig"]);
        assert_eq!(kc.current_context.as_deref(), Some("k8s-demo"));
        assert_eq!(kc.api_version.as_deref(), Some("v1"));
        assert_eq!(kc.kind.as_deref(), Some("Config"));
        let cluster = kc.clusters[0].cluster.as_ref().unwrap();
        assert_eq!(
            cluster.server.as_deref(),
            Some("https://kubernetes.example.com:6443")
        );
        assert_eq!(
            cluster.proxy_url.as_deref(),
            Some(
                format!("http://default%2Fk8s-demo:{TOKEN}@c-k8s-demo.default.svc.cluster.local")
                    .as_str()
            )
        );
        let ca = base64::engine::general_purpose::STANDARD
            .decode(cluster.certificate_authority_data.as_deref().unwrap())
            .unwrap();
        assert_eq!(ca, rc.proxy_ca.as_deref().unwrap().as_bytes());
        let ctx = kc.contexts[0].context.as_ref().unwrap();
        assert_eq!(
            (ctx.cluster.as_str(), ctx.user.as_deref()),
            ("k8s-demo", Some("k8s-demo"))
        );
        assert!(kc.auth_infos[0].auth_info.as_ref().unwrap().token.is_some());
        let raw: serde_yaml::Value = serde_yaml::from_slice(&p.files["kubeconfig"]).unwrap();
        assert_eq!(
            raw["users"][0]["user"]["token"].as_str(),
            Some(PLACEHOLDER_USER_TOKEN)
        );
    }
    // The example class template and the built-in agree on the document.
    let a: serde_yaml::Value = serde_yaml::from_slice(&from_class.files["kubeconfig"]).unwrap();
    let b: serde_yaml::Value = serde_yaml::from_slice(&builtin.files["kubeconfig"]).unwrap();
    assert_eq!(a, b);
}

#[test]
fn builtin_kubeconfig_is_offered_to_k8s_connectors_only_and_omits_an_unknown_ca() {
    let k8s = class_with("k8s", vec![]);
    let mut rc = connector("team", "prod", k8s, Some("http://c-prod.team.svc:8080"));
    rc.proxy_ca = None;
    let p = render(
        std::slice::from_ref(&rc),
        &request(&["kubeconfig"]),
        &secrets(),
    )
    .unwrap();
    let kc = parse_kubeconfig(&p.files["kubeconfig"]);
    let cluster = kc.clusters[0].cluster.as_ref().unwrap();
    assert_eq!(cluster.certificate_authority_data, None);
    assert_eq!(
        cluster.proxy_url.as_deref(),
        Some(format!("http://team%2Fprod:{TOKEN}@c-prod.team.svc:8080").as_str())
    );
    assert!(!p.files.contains_key("ca.crt"), "no proxy CA, no ca.crt");
    assert!(!p.files.contains_key("ca.cert"), "no proxy CA, no ca.cert");

    let mut req = request(&["kubeconfig"]);
    req.params.insert(
        "kubeconfig".into(),
        BTreeMap::from([("x".into(), "y".into())]),
    );
    assert!(render(&[rc], &req, &secrets())
        .unwrap_err()
        .to_string()
        .contains("unknown parameter \"x\""));
}

fn k8s_tokenfile_request(params: &[(&str, &str)]) -> RenderRequest {
    let mut req = request(&["tokenfile"]);
    if !params.is_empty() {
        req.params.insert(
            "tokenfile".into(),
            params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
    }
    req
}

#[test]
fn tokenfile_proxy_mode_layout_and_stable_kubeconfig() {
    let ex = examples();
    let rc = ex.resolved("k8s-demo");
    let req = k8s_tokenfile_request(&[]);
    assert_eq!(tokenfile_direct_request(&req).unwrap(), None);
    let p1 = render(std::slice::from_ref(&rc), &req, &secrets()).unwrap();
    for f in tokenfile::FILES {
        assert!(p1.files.contains_key(*f), "{f} missing");
    }
    assert_eq!(text(&p1, "token"), TOKEN);
    assert_eq!(p1.files["TOKEN_FILE"], p1.files["token"]);
    assert_eq!(text(&p1, "ca.crt"), rc.proxy_ca.clone().unwrap());
    assert_eq!(p1.files["KUBERNETES_CA_DATA"], p1.files["ca.crt"]);
    assert_eq!(p1.files["ca.cert"], p1.files["ca.crt"]);
    assert_eq!(text(&p1, "namespace"), "apps");
    assert_eq!(
        text(&p1, "KUBERNETES_SERVICE_HOST"),
        "c-k8s-demo.default.svc.cluster.local"
    );
    assert_eq!(text(&p1, "KUBERNETES_SERVICE_PORT"), "80");
    assert_eq!(
        text(&p1, ".env"),
        "KUBERNETES_SERVICE_HOST=c-k8s-demo.default.svc.cluster.local\nKUBERNETES_SERVICE_PORT=80\n"
    );
    let kc = parse_kubeconfig(&p1.files["kubeconfig"]);
    let cluster = kc.clusters[0].cluster.as_ref().unwrap();
    assert_eq!(
        cluster.server.as_deref(),
        Some("http://c-k8s-demo.default.svc.cluster.local")
    );
    assert_eq!(cluster.certificate_authority.as_deref(), Some("ca.crt"));
    assert_eq!(cluster.proxy_url, None);
    let user = kc.auth_infos[0].auth_info.as_ref().unwrap();
    assert_eq!(user.token_file.as_deref(), Some("token"));
    assert!(user.token.is_none());

    // A rotated token changes the token files but not the kubeconfig.
    let rotated = "eyJ.rotated.token";
    let p2 = render(
        &[rc],
        &req,
        &RenderSecrets {
            token: rotated,
            direct_token: None,
        },
    )
    .unwrap();
    assert_eq!(text(&p2, "token"), rotated);
    assert_eq!(p1.files["kubeconfig"], p2.files["kubeconfig"]);
    assert!(!String::from_utf8_lossy(&p1.files["kubeconfig"]).contains(TOKEN));
}

#[test]
fn tokenfile_direct_mode_uses_the_target_server_ca_and_minted_token() {
    let ex = examples();
    let rc = ex.resolved("k8s-demo");
    let req = k8s_tokenfile_request(&[("serviceAccount", "ci/deployer")]);
    assert_eq!(
        tokenfile_direct_request(&req).unwrap(),
        Some(DirectRequest {
            service_account: Some(("ci".into(), "deployer".into())),
            duration: None,
        })
    );
    assert_eq!(
        direct_grant(&rc.connector, &req).unwrap(),
        Some(DirectGrant {
            namespace: "ci".into(),
            name: "deployer".into(),
            duration: Duration::from_secs(3600),
        })
    );
    let with_direct = RenderSecrets {
        token: TOKEN,
        direct_token: Some(DIRECT_TOKEN),
    };
    let p = render(std::slice::from_ref(&rc), &req, &with_direct).unwrap();
    assert_eq!(text(&p, "token"), DIRECT_TOKEN);
    assert_eq!(text(&p, "ca.crt"), rc.target_ca.clone().unwrap());
    // The deprecated alias follows ca.crt: the target cluster's CA in direct mode.
    assert_eq!(p.files["ca.cert"], p.files["ca.crt"]);
    assert_eq!(text(&p, "namespace"), "ci");
    assert_eq!(
        text(&p, "KUBERNETES_SERVICE_HOST"),
        "kubernetes.example.com"
    );
    assert_eq!(text(&p, "KUBERNETES_SERVICE_PORT"), "6443");
    let kc = parse_kubeconfig(&p.files["kubeconfig"]);
    assert_eq!(
        kc.clusters[0].cluster.as_ref().unwrap().server.as_deref(),
        Some("https://kubernetes.example.com:6443")
    );

    // The driver could not mint a token.
    let err = render(std::slice::from_ref(&rc), &req, &secrets()).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, RenderError::Invalid(_)));
    assert!(
        msg.contains("ci/deployer") && msg.contains("could not mint"),
        "{msg}"
    );

    // No target CA: ca.crt and KUBERNETES_CA_DATA are absent (not the proxy CA), and the
    // kubeconfig has no certificate-authority, so clients use the system roots.
    let mut no_ca = rc.clone();
    no_ca.target_ca = None;
    let p = render(&[no_ca], &req, &with_direct).unwrap();
    assert!(!p.files.contains_key("ca.crt"));
    assert!(!p.files.contains_key("ca.cert"));
    assert!(!p.files.contains_key("KUBERNETES_CA_DATA"));
    assert!(p.files.contains_key("context.proxy.caCert"));
    let kc = parse_kubeconfig(&p.files["kubeconfig"]);
    assert_eq!(
        kc.clusters[0]
            .cluster
            .as_ref()
            .unwrap()
            .certificate_authority,
        None
    );

    let bad = k8s_tokenfile_request(&[("serviceAccount", "ci-bot"), ("typo", "x")]);
    assert!(render(&[rc], &bad, &with_direct)
        .unwrap_err()
        .to_string()
        .contains("\"typo\""));
}

#[test]
fn tokenfile_direct_request_validates_parameters() {
    type Params<'a> = &'a [(&'a str, &'a str)];
    type Want<'a> = Option<(Option<(&'a str, &'a str)>, Option<u64>)>;
    let ok: &[(Params, Want)] = &[
        (&[], None),
        (&[("mode", "proxy")], None),
        (
            &[("serviceAccount", "ns/sa")],
            Some((Some(("ns", "sa")), None)),
        ),
        (&[("mode", "direct")], Some((None, None))),
        (
            &[("serviceAccount", "ns/sa"), ("duration", "10m")],
            Some((Some(("ns", "sa")), Some(600))),
        ),
        (
            &[("serviceAccount", "ns/sa.v2"), ("duration", "1h30m")],
            Some((Some(("ns", "sa.v2")), Some(5400))),
        ),
    ];
    for (params, want) in ok {
        let got = tokenfile_direct_request(&k8s_tokenfile_request(params)).unwrap();
        let want = want.map(|(sa, d)| DirectRequest {
            service_account: sa.map(|(n, s)| (n.to_string(), s.to_string())),
            duration: d.map(Duration::from_secs),
        });
        assert_eq!(got, want, "{params:?}");
    }
    let bad: &[(Params, &str)] = &[
        (&[("serviceAccount", "sa")], "\"<namespace>/<name>\""),
        (&[("serviceAccount", "ns/")], "\"<namespace>/<name>\""),
        (&[("serviceAccount", "Ns/sa")], "lowercase"),
        (&[("serviceAccount", "a/b/c")], "\"<namespace>/<name>\""),
        (
            &[("serviceAccount", "ns/sa"), ("duration", "5m")],
            "at least 10m",
        ),
        (
            &[("serviceAccount", "ns/sa"), ("duration", "soon")],
            "duration like",
        ),
        (&[("duration", "1h")], "direct mode"),
    ];
    for (params, want) in bad {
        let err = tokenfile_direct_request(&k8s_tokenfile_request(params)).unwrap_err();
        assert!(err.to_string().contains(want), "{params:?}: {err}");
    }
    // Not requested → nothing to mint, whatever the params say.
    let mut req = request(&["kubeconfig"]);
    req.params.insert(
        "tokenfile".into(),
        BTreeMap::from([("serviceAccount".into(), "ns/sa".into())]),
    );
    assert_eq!(tokenfile_direct_request(&req).unwrap(), None);
}

#[test]
fn tokenfile_is_only_built_in_for_k8s_and_a_class_definition_wins() {
    let git = class_with("git", vec![]);
    let rcs = [connector("ns", "g", git, Some("http://p"))];
    assert!(matches!(
        render(&rcs, &request(&["tokenfile"]), &secrets()).unwrap_err(),
        RenderError::UnknownConfiguration { .. }
    ));
    let k8s = class_with("k8s", vec![cfg("tokenfile", &[("custom", "mine")], vec![])]);
    let rcs = [connector("ns", "k", k8s, Some("http://p"))];
    let p = render(&rcs, &request(&["tokenfile"]), &secrets()).unwrap();
    assert_eq!(text(&p, "custom"), "mine");
    assert!(!p.files.contains_key("token"));
}

#[test]
fn service_host_port_follows_kubelet_conventions() {
    let cases = [
        ("https://api.example.com", ("api.example.com", 443)),
        (
            "http://c-x.ns.svc.cluster.local",
            ("c-x.ns.svc.cluster.local", 80),
        ),
        ("https://10.0.0.1:6443/prefix/path", ("10.0.0.1", 6443)),
        ("https://[fd00::1]:6443", ("fd00::1", 6443)),
        ("https://[fd00::1]", ("fd00::1", 443)),
    ];
    for (server, (host, port)) in cases {
        assert_eq!(
            tokenfile::service_host_port(server).unwrap(),
            (host.to_string(), port),
            "{server}"
        );
    }
    assert!(tokenfile::service_host_port("api.example.com:6443").is_err());
    assert!(tokenfile::service_host_port("ftp2://x").is_err());
}

#[test]
fn payload_size_is_capped() {
    let big = "x".repeat(MAX_PAYLOAD_BYTES / 2 + 1);
    let class = class_with(
        "tool",
        vec![cfg(
            "big",
            &[("one", big.as_str()), ("two", big.as_str())],
            vec![],
        )],
    );
    let rcs = [connector("ns", "a", class, Some("http://p"))];
    let err = render(&rcs, &request(&["big"]), &secrets()).unwrap_err();
    assert!(
        matches!(&err, RenderError::Invalid(m) if m.contains("exceed 4 MiB")),
        "{err}"
    );
    let mut req = request(&["big"]);
    req.exclusions = vec!["two".into()];
    assert!(render(&rcs, &req, &secrets()).is_ok());
}

#[test]
fn no_error_or_debug_output_reveals_the_token() {
    assert!(!format!("{:?}", secrets()).contains(TOKEN));
    let ex = examples();
    let rc = ex.resolved("k8s-demo");
    let p = render(
        std::slice::from_ref(&rc),
        &request(&["kubeconfig", "tokenfile"]),
        &secrets(),
    )
    .unwrap();
    let dbg = format!("{p:?}");
    assert!(
        !dbg.contains(TOKEN) && dbg.contains("context.token"),
        "{dbg}"
    );

    let mut no_ns = rc.clone();
    let mut c = (*rc.connector).clone();
    c.status = None;
    no_ns.connector = Arc::new(c);
    // A class with a proxy whose address is not set yet.
    let mut class = (*rc.class).clone();
    class.spec.proxy = Some(Default::default());
    no_ns.class = Arc::new(class);
    let errors = vec![
        render(&[no_ns.clone()], &request(&[]), &secrets()).unwrap_err(),
        render(std::slice::from_ref(&rc), &request(&["nope"]), &secrets()).unwrap_err(),
        render(&[], &request(&[]), &secrets()).unwrap_err(),
        render(
            std::slice::from_ref(&rc),
            &k8s_tokenfile_request(&[("serviceAccount", "ns/sa")]),
            &secrets(),
        )
        .unwrap_err(),
        forward_proxy_url(&[no_ns], TOKEN).unwrap_err(),
    ];
    for e in errors {
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains(TOKEN), "{shown}");
    }
}

/// Go's `url.QueryEscape` outputs (Go 1.23: `url.QueryEscape("a b+c/é~_-.")` and friends).
#[test]
fn query_escape_matches_go() {
    use super::builtin::{escape, escape_userinfo};
    let query_escape = |s: &str| escape(s, b"+");
    assert_eq!(query_escape("a b+c/é~_-."), "a+b%2Bc%2F%C3%A9~_-.");
    assert_eq!(query_escape(""), "");
    assert_eq!(query_escape("%:@?&="), "%25%3A%40%3F%26%3D");
    assert_eq!(query_escape("\u{0}\u{7f}"), "%00%7F");
    // A JWT is all unreserved bytes: it comes back as it is.
    let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln-_";
    assert_eq!(query_escape(jwt), jwt);
    // The password of the proxy URL: a space is %20, not +.
    assert_eq!(escape_userinfo("a b+c"), "a%20b%2Bc");
}
