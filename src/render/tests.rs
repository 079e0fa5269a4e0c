//! Table tests of the render layer (golden files are in `golden_tests.rs`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use super::golden_tests::{examples, request, secrets, DIRECT_TOKEN, TOKEN};
use super::*;
use crate::connector::types::{ClassConfiguration, ConnectorSpec, ParamSpec};

/// Renders one template through the class machinery, with `.x` data for function tests.
fn eval(source: &str) -> Result<String, RenderError> {
    let data = serde_json::json!({
        "context": {"token": TOKEN},
        "obj": {"b": [1, true], "a": "x\"y"},
        "empty": "",
        "n": 3,
        "ml": "l1\nl2\t\\\u{7}",
    });
    template::render_file(
        template::ErrorSite {
            class: "c",
            configuration: "cfg",
            file: "f",
        },
        source,
        &data,
        TOKEN,
    )
}

#[test]
fn sprig_functions_follow_sprig_argument_order_and_semantics() {
    let cases: &[(&str, &str)] = &[
        (r#"{{ "hello" | b64enc }}"#, "aGVsbG8="),
        (r#"{{ b64dec "aGVsbG8=" }}"#, "hello"),
        // sprig returns the decoder's error text instead of failing.
        (
            r#"{{ b64dec "!!not base64" }}"#,
            "illegal base64 data at input byte 0",
        ),
        (r#"{{ replace "" "x" "abc" }}"#, "xaxbxcx"),
        (r#"{{ "ns/name" | urlquery }}"#, "ns%2Fname"),
        (r#"{{ urlquery "a b&c" }}"#, "a+b%26c"),
        (r#"{{ "http://x/" | trimSuffix "/" }}"#, "http://x"),
        (r#"{{ trimSuffix "/" "no-slash" }}"#, "no-slash"),
        (r#"{{ trimPrefix "v" "v1.2" }}"#, "1.2"),
        (r#"{{ trim "  a b \n" }}"#, "a b"),
        (r#"{{ printf "%s-%d" "a" 3 }}"#, "a-3"),
        (r#"{{ printf ":%s" "t" | b64enc }}"#, "OnQ="),
        (r#"{{ default "d" "" }}"#, "d"),
        (r#"{{ default "d" "v" }}"#, "v"),
        (r#"{{ .missing | default "d" }}"#, "d"),
        (r#"{{ .empty | default "d" }}"#, "d"),
        (r#"{{ default 9 .n }}"#, "3"),
        (r#"{{ quote "a\"b" }}"#, r#""a\"b""#),
        (r#"{{ quote .ml }}"#, r#""l1\nl2\t\\\a""#),
        (r#"{{ quote "a" "b" }}"#, r#""a" "b""#),
        (r#"{{ replace "." "-" "a.b.c" }}"#, "a-b-c"),
        (r#"{{ "a.b" | replace "." "/" }}"#, "a/b"),
        (r#"{{ lower "AbC" }}|{{ upper "AbC" }}"#, "abc|ABC"),
        (
            r#"{{ contains "b" "abc" }} {{ hasPrefix "a" "abc" }} {{ hasSuffix "a" "abc" }}"#,
            "true true false",
        ),
        (r#"{{ empty "" }} {{ empty .obj }}"#, "true false"),
        (r#"{{ toJson .obj }}"#, r#"{"a":"x\"y","b":[1,true]}"#),
        (r#"{{ toJson "q\"" }}"#, r#""q\"""#),
        (r#"{{ toJson .missing }}"#, "null"),
        (r#"{{ indent 2 "a\nb" }}"#, "  a\n  b"),
        (r#"x:{{ nindent 4 "a\nb" }}"#, "x:\n    a\n    b"),
        (r#"{{ "a" | indent 0 }}"#, "a"),
        (
            r#"{{ $u := urlParse "https://us%40er:pw@[::1]:8443/a%20b/c?x=1&y=2#frag" }}{{ $u.scheme }}|{{ $u.host }}|{{ $u.hostname }}|{{ $u.path }}|{{ $u.query }}|{{ $u.fragment }}|{{ $u.userinfo }}|{{ $u.opaque }}"#,
            "https|[::1]:8443|::1|/a b/c|x=1&y=2|frag|us%40er:pw|",
        ),
        (
            r#"{{ $u := urlParse "HTTP://c-x.ns.svc:80" }}{{ $u.scheme }}|{{ $u.host }}|{{ $u.hostname }}|{{ $u.path }}"#,
            "http|c-x.ns.svc:80|c-x.ns.svc|",
        ),
        // sprig's urlParse has no `port` key (Go's url.URL.Port() is not exported to it).
        (
            r#"{{ with urlParse "http://proxy.example:3128" }}{{ .port | default "none" }}{{ end }}"#,
            "none",
        ),
        (
            r#"{{ $u := urlParse "mailto:a@b.c" }}{{ $u.scheme }}|{{ $u.opaque }}|{{ $u.host }}"#,
            "mailto|a@b.c|",
        ),
        (r#"{{ (urlParse "/rel/p").path }}"#, "/rel/p"),
        (r#"{{ index .obj "a" }}"#, "x\"y"),
        (r#"{{- "trimmed" -}}  "#, "trimmed"),
        (
            r#"{{ if eq .n 3 }}three{{ else if eq .n 4 }}four{{ else }}other{{ end }}"#,
            "three",
        ),
    ];
    for (source, want) in cases {
        match eval(source) {
            Ok(got) => assert_eq!(&got, want, "template {source}"),
            Err(e) => panic!("template {source}: {e}"),
        }
    }
}

#[test]
fn sprig_function_misuse_is_a_template_error_with_a_useful_message() {
    // Go's and sprig's own messages (checked against Go's text/template where no sprig
    // function is involved).
    let cases: &[(&str, &str)] = &[
        (
            r#"{{ b64enc .missing }}"#,
            r#"executing "f" at <.missing>: invalid value; expected string"#,
        ),
        (
            r#"{{ urlParse "http://[::1" }}"#,
            r#"error calling urlParse: unable to parse url: parse "http://[::1": missing ']' in host"#,
        ),
        (
            r#"{{ urlParse "http://h:port" }}"#,
            r#"invalid port ":port" after host"#,
        ),
        (r#"{{ indent "x" "a" }}"#, r#"expected integer; found "x""#),
        (
            r#"{{ trimSuffix "/" }}"#,
            "wrong number of args for trimSuffix: want 2 got 1",
        ),
        (
            r#"{{ toJson }}"#,
            "wrong number of args for toJson: want 1 got 0",
        ),
        (
            r#"{{ b64enc .obj }}"#,
            "wrong type for value; expected string; got map[string]interface {}",
        ),
        (
            r#"{{ fail "no registry configured" }}"#,
            "error calling fail: no registry configured",
        ),
    ];
    for (source, want) in cases {
        let err = eval(source).expect_err(source);
        let msg = err.to_string();
        assert!(msg.contains(want), "template {source}: {msg}");
        assert!(matches!(err, RenderError::Template { .. }), "{source}");
    }
}

pub(super) fn class_with(name: &str, configurations: Vec<ClassConfiguration>) -> ConnectorClass {
    let mut class = ConnectorClass::new(name, Default::default());
    class.spec.configurations = configurations;
    class
}

pub(super) fn cfg(
    name: &str,
    files: &[(&str, &str)],
    params: Vec<ParamSpec>,
) -> ClassConfiguration {
    ClassConfiguration {
        name: name.into(),
        data: files
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        params,
        ..Default::default()
    }
}

fn param(name: &str, default: Option<&str>) -> ParamSpec {
    ParamSpec {
        name: name.into(),
        default: default.map(String::from),
        ..Default::default()
    }
}

/// A connector `ns/name` of `class` with a proxy address and CA.
pub(super) fn connector(
    ns: &str,
    name: &str,
    class: ConnectorClass,
    proxy: Option<&str>,
) -> ResolvedConnector {
    let mut c = Connector::new(
        name,
        ConnectorSpec {
            connector_class_name: class.metadata.name.clone().unwrap(),
            address: "https://api.example.com:6443".into(),
            ..Default::default()
        },
    );
    c.metadata.namespace = Some(ns.into());
    if let Some(url) = proxy {
        c.status = Some(
            serde_json::from_value(serde_json::json!({
                "proxy": {"httpAddress": {"url": url}}
            }))
            .unwrap(),
        );
    }
    ResolvedConnector {
        connector: Arc::new(c),
        class: Arc::new(class),
        proxy_ca: Some(format!("PEM-{name}\n")),
        target_ca: None,
    }
}

pub(super) fn text(p: &Payload, file: &str) -> String {
    String::from_utf8(
        p.files
            .get(file)
            .unwrap_or_else(|| panic!("{file} missing from {p:?}"))
            .clone(),
    )
    .unwrap()
}

#[test]
fn later_configurations_win_and_exclusions_apply_after_the_merge() {
    let class = class_with(
        "tool",
        vec![
            cfg(
                "first",
                &[("shared", "from-first"), ("only-first", "1")],
                vec![],
            ),
            cfg(
                "second",
                &[("shared", "from-second"), ("ca.crt", "class-ca")],
                vec![],
            ),
        ],
    );
    let rc = connector("ns", "a", class, Some("http://p.ns.svc"));
    let rcs = [rc];

    let p = render(&rcs, &request(&["first", "second"]), &secrets()).unwrap();
    assert_eq!(text(&p, "shared"), "from-second");
    assert_eq!(
        text(&p, "ca.crt"),
        "class-ca",
        "configurations override built-ins"
    );
    assert_eq!(text(&p, "context.proxy.caCert"), "PEM-a\n");

    let p = render(&rcs, &request(&["second", "first"]), &secrets()).unwrap();
    assert_eq!(text(&p, "shared"), "from-first");

    let mut req = request(&["first", "second"]);
    req.exclusions = vec![
        "shared".into(),
        ".env".into(),
        "ca.crt".into(),
        "nothing-here".into(),
    ];
    let p = render(&rcs, &req, &secrets()).unwrap();
    let names: Vec<&str> = p.files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        vec![
            "connector.status.proxyAddress",
            "context.proxy.caCert",
            "context.token",
            "http.proxy",
            "https.proxy",
            "only-first"
        ]
    );

    // No configurations: exactly the built-ins.
    let p = render(&rcs, &request(&[]), &secrets()).unwrap();
    let names: Vec<&str> = p.files.keys().map(String::as_str).collect();
    let mut builtins = BUILTIN_FILES.to_vec();
    builtins.sort();
    assert_eq!(names, builtins);
}

#[test]
fn unknown_configuration_names_the_class_and_what_is_available() {
    let git = class_with(
        "git",
        vec![cfg("gitconfig", &[(".gitconfig", "x")], vec![])],
    );
    let rc = connector("ns", "g", git, Some("http://p"));
    let err = render(
        std::slice::from_ref(&rc),
        &request(&["kubeconfig"]),
        &secrets(),
    )
    .unwrap_err();
    assert_eq!(
        err,
        RenderError::UnknownConfiguration {
            class: "git".into(),
            name: "kubeconfig".into(),
            available: "\"gitconfig\"".into()
        }
    );

    let k8s = class_with("k8s", vec![]);
    let k = connector("ns", "k", k8s, Some("http://p"));
    let err = render(&[rc, k], &request(&["npmrc"]), &secrets()).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("\"git,k8s\""), "{msg}");
    assert!(
        msg.contains("\"gitconfig\", \"kubeconfig\", \"tokenfile\""),
        "built-in defaults are listed for k8s connectors: {msg}"
    );
}

#[test]
fn params_get_class_defaults_and_missing_required_params_fail() {
    let class = class_with(
        "tool",
        vec![cfg(
            "conf",
            &[("out", "{{ .configurations.mode }}/{{ .configurations.level }}/{{ .configurations.extra }}")],
            vec![param("mode", Some("fast")), param("level", None)],
        )],
    );
    let rcs = [connector("ns", "a", class, Some("http://p"))];

    let err = render(&rcs, &request(&["conf"]), &secrets()).unwrap_err();
    assert_eq!(
        err,
        RenderError::MissingParam {
            configuration: "conf".into(),
            param: "level".into()
        }
    );
    assert!(err.to_string().contains(r#"{"conf":{"level":"…"}}"#));

    let mut req = request(&["conf"]);
    req.params.insert(
        "conf".into(),
        BTreeMap::from([("level".into(), "3".into()), ("extra".into(), "e".into())]),
    );
    let p = render(&rcs, &req, &secrets()).unwrap();
    assert_eq!(text(&p, "out"), "fast/3/e");

    req.params
        .get_mut("conf")
        .unwrap()
        .insert("mode".into(), "slow".into());
    assert_eq!(
        text(&render(&rcs, &req, &secrets()).unwrap(), "out"),
        "slow/3/e"
    );

    // Params for a configuration that was not requested are most likely a typo.
    let mut req = request(&["conf"]);
    req.params.insert("cnof".into(), BTreeMap::new());
    let msg = render(&rcs, &req, &secrets()).unwrap_err().to_string();
    assert!(
        msg.contains("\"cnof\"") && msg.contains("configuration.names"),
        "{msg}"
    );
}

#[test]
fn file_names_are_restricted() {
    for bad in [
        "../x",
        "/etc/passwd",
        "..data",
        "a/b",
        "",
        ".",
        "..",
        "..x",
        "a b",
        "a\\b",
        "ä",
    ] {
        assert!(!validate_file_name(bad), "{bad:?} must be rejected");
    }
    for good in [
        ".env",
        "config.json",
        "a_b-c.d",
        "KUBERNETES_CA_DATA",
        ".a..b",
    ] {
        assert!(validate_file_name(good), "{good:?} must be accepted");
    }
    assert!(!validate_file_name(&"a".repeat(256)));

    for bad in ["../x", "/etc/passwd", "..data", "a/b", ""] {
        let class = class_with("tool", vec![cfg("conf", &[(bad, "x")], vec![])]);
        let rcs = [connector("ns", "a", class, Some("http://p"))];
        let err = render(&rcs, &request(&["conf"]), &secrets()).unwrap_err();
        assert_eq!(
            err,
            RenderError::InvalidFileName {
                class: "tool".into(),
                configuration: "conf".into(),
                file: bad.into()
            }
        );
    }

    let class = class_with("tool", vec![]);
    let rcs = [connector("ns", "a", class, Some("http://p"))];
    let mut req = request(&[]);
    req.exclusions = vec!["../etc".into()];
    let msg = render(&rcs, &req, &secrets()).unwrap_err().to_string();
    assert!(msg.contains("\"!../etc\""), "{msg}");
}

#[test]
fn malformed_templates_name_class_configuration_and_file_but_not_the_token() {
    let cases: &[(&str, &str)] = &[
        ("{{ .connector.metadata.name ", "unclosed"),
        ("a\n{{ .connector | ", "unclosed"),
        ("{{ \"}}\" ", "unclosed"),
        ("{{- ", "unclosed"),
        ("{{ 'x' ", "unclosed"),
        ("{{/* }} ", "unclosed comment"),
        ("{{ nosuchfunc . }}", "nosuchfunc"),
        ("{{ end }}", "end"),
        ("{{ if .x }}open", "EOF"),
        (
            "{{ lt .context 1 }}",
            "error calling lt: invalid type for comparison",
        ),
        (
            "{{ .context.token.deeper }}",
            "can't evaluate field deeper in type interface {}",
        ),
        (
            "{{ index .context \"token\" 1000 }}",
            "error calling index: index out of range: 1000",
        ),
    ];
    for (source, hint) in cases {
        let class = class_with("tool", vec![cfg("conf", &[("out.txt", source)], vec![])]);
        let rcs = [connector("ns", "a", class, Some("http://p"))];
        let err = render(&rcs, &request(&["conf"]), &secrets()).unwrap_err();
        let RenderError::Template {
            class,
            configuration,
            file,
            message,
        } = &err
        else {
            panic!("{source}: expected a template error, got {err:?}");
        };
        assert_eq!(
            (class.as_str(), configuration.as_str(), file.as_str()),
            ("tool", "conf", "out.txt")
        );
        assert!(message.contains(hint), "{source}: {message}");
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains(TOKEN), "{source}: token leaked: {shown}");
        assert!(
            !shown.contains(&TOKEN[..20]),
            "{source}: token prefix leaked: {shown}"
        );
    }
}

#[test]
fn template_data_exposes_connectors_class_context_and_params() {
    let class = class_with(
        "tool",
        vec![cfg(
            "conf",
            &[(
                "out",
                "{{ .connector.metadata.namespace }}/{{ .connector.metadata.name }} \
                 {{ .connector.status.proxyAddress }} {{ .connector.spec.address }} \
                 {{ .connectorclass.metadata.name }} [{{ .connectorclass.proxyAddress }}] \
                 {{ range .connectors }}{{ .metadata.name }}@{{ .status.proxyAddress }};{{ end }} \
                 {{ .context.proxy.caCert | trim }} {{ len .context.token }}",
            )],
            vec![],
        )],
    );
    let other = class_with("other", vec![]);
    let a = connector("ns1", "a", class, Some("http://pa"));
    let b = connector("ns2", "b", other, None);
    let p = render(
        &[b.clone(), a.clone(), b.clone()],
        &{
            let mut r = request(&["conf"]);
            // the last connector has no proxy: exclude the proxy built-ins that need it
            r.exclusions = vec![
                ".env".into(),
                "http.proxy".into(),
                "https.proxy".into(),
                "connector.status.proxyAddress".into(),
            ];
            r
        },
        &secrets(),
    )
    .unwrap();
    assert_eq!(
        text(&p, "out"),
        format!(
            "ns1/a http://pa https://api.example.com:6443 tool [] b@;a@http://pa;b@; PEM-a {}",
            TOKEN.len()
        )
    );
    // Proxy-related built-ins follow the last connector.
    assert_eq!(text(&p, "ca.crt"), "PEM-b\n");
}

#[test]
fn forward_proxy_url_joins_usernames_and_uses_the_last_proxy() {
    let class = || class_with("tool", vec![]);
    let a = connector(
        "ns1",
        "a",
        class(),
        Some("http://proxy-a.ns1.svc:8080/some/path"),
    );
    let b = connector(
        "ns2",
        "b",
        class(),
        Some("https://Proxy-B.ns2.svc/namespaces/ns2/connectors/b"),
    );
    assert_eq!(proxy_username("ns1", "a"), "ns1%2Fa");
    assert_eq!(
        forward_proxy_url(std::slice::from_ref(&a), "tok").unwrap(),
        "http://ns1%2Fa:tok@proxy-a.ns1.svc:8080"
    );
    assert_eq!(
        forward_proxy_url(&[a.clone(), b.clone()], "tok").unwrap(),
        "https://ns1%2Fa,ns2%2Fb:tok@proxy-b.ns2.svc"
    );
    let v6 = connector("ns", "v", class(), Some("http://[fd00::1]:3128"));
    assert_eq!(
        forward_proxy_url(&[v6], "t:k@").unwrap(),
        "http://ns%2Fv:t%3Ak%40@[fd00::1]:3128",
        "token characters that would break the userinfo are escaped"
    );

    let none = connector("ns", "n", class(), None);
    assert_eq!(
        forward_proxy_url(&[a.clone(), none.clone()], "tok").unwrap_err(),
        RenderError::NoProxyAddress {
            connector: "ns/n".into()
        }
    );
    assert!(matches!(
        forward_proxy_url(&[], "tok").unwrap_err(),
        RenderError::Invalid(_)
    ));

    // render(): the built-ins need the last connector's proxy.
    let err = render(std::slice::from_ref(&none), &request(&[]), &secrets()).unwrap_err();
    assert!(
        err.to_string().contains("status.proxy.httpAddress.url"),
        "{err}"
    );

    // Multi-connector built-ins carry every username.
    let p = render(&[a, b], &request(&[]), &secrets()).unwrap();
    assert_eq!(
        text(&p, "http.proxy"),
        format!("https://ns1%2Fa,ns2%2Fb:{TOKEN}@proxy-b.ns2.svc")
    );
    assert_eq!(
        text(&p, "connector.status.proxyAddress"),
        "https://Proxy-B.ns2.svc/namespaces/ns2/connectors/b"
    );
}

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
