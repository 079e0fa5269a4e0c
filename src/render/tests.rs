//! Table tests of the render layer: class configurations, params, file names and template data
//! (sprig functions: `sprig_tests.rs`; built-in configurations: `builtin_tests.rs`; golden files:
//! `golden_tests.rs`).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::golden_tests::{request, secrets, TOKEN};
use super::*;
use crate::connector::types::{ClassConfiguration, ConnectorSpec, ParamSpec};

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

pub(super) fn param(name: &str, default: Option<&str>) -> ParamSpec {
    ParamSpec {
        name: name.into(),
        default: default.map(|d| serde_json::Value::String(d.into())),
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
    assert_eq!(text(&p, "ca.cert"), "class-ca", "ca.cert mirrors ca.crt");
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
            "ca.cert",
            "connector.status.proxyAddress",
            "context.proxy.caCert",
            "context.token",
            "http.proxy",
            "https.proxy",
            "only-first"
        ]
    );
    assert_eq!(
        text(&p, "ca.cert"),
        "class-ca",
        "excluding ca.crt keeps its alias"
    );

    // `!ca.cert` removes only the alias.
    let mut req = request(&[]);
    req.exclusions = vec!["ca.cert".into()];
    let p = render(&rcs, &req, &secrets()).unwrap();
    assert!(!p.files.contains_key("ca.cert"));
    assert_eq!(text(&p, "ca.crt"), "PEM-a\n");

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
    let err = render(&[rc.clone(), k], &request(&["npmrc"]), &secrets()).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("\"git,k8s\""), "{msg}");
    assert!(
        msg.contains("\"gitconfig\", \"kubeconfig\", \"tokenfile\""),
        "built-in defaults are listed for k8s connectors: {msg}"
    );
}

#[test]
fn unknown_configurations_are_skipped_unless_none_is_found() {
    // Alauda's docs: "If included configuration names are specified but none are found, the
    // request fails." One known name is enough; the unknown ones are named in a warning.
    let git = class_with(
        "git",
        vec![cfg("gitconfig", &[(".gitconfig", "x")], vec![])],
    );
    let rc = connector("ns", "g", git, Some("http://p"));
    let r = render_with_warnings(
        std::slice::from_ref(&rc),
        &request(&["gitconfig", "npmrc", "settings"]),
        &secrets(),
    )
    .unwrap();
    assert_eq!(text(&r.payload, ".gitconfig"), "x");
    assert_eq!(r.warnings.len(), 2, "{:?}", r.warnings);
    assert!(
        r.warnings[0].starts_with(
            "skipped configuration: connector class \"git\" has no configuration \"npmrc\""
        ),
        "{:?}",
        r.warnings
    );
    assert!(r.warnings[1].contains("\"settings\""), "{:?}", r.warnings);

    let err = render(
        std::slice::from_ref(&rc),
        &request(&["npmrc", "settings"]),
        &secrets(),
    )
    .unwrap_err();
    assert!(
        matches!(err, RenderError::UnknownConfiguration { ref name, .. } if name == "npmrc"),
        "{err}"
    );
    // Any other error of a listed configuration still fails the volume.
    let broken = class_with(
        "git",
        vec![
            cfg("gitconfig", &[(".gitconfig", "x")], vec![]),
            cfg("bad", &[("f", "{{ .x ")], vec![]),
        ],
    );
    let rc = connector("ns", "g", broken, Some("http://p"));
    assert!(matches!(
        render(
            std::slice::from_ref(&rc),
            &request(&["gitconfig", "bad"]),
            &secrets()
        )
        .unwrap_err(),
        RenderError::Template { .. }
    ));
}

#[test]
fn a_class_without_proxy_mounts_without_proxy_files_and_says_so() {
    // The docs' Quick Start class `my-git` declares no spec.proxy, and its Connector gets no
    // proxy address: the volume holds the configuration, the token and a `.env` without proxy
    // settings; http.proxy, https.proxy and connector.status.proxyAddress are not written.
    let my_git = class_with(
        "my-git",
        vec![cfg(
            "config",
            &[(".gitconfig", "this is git config\n")],
            vec![],
        )],
    );
    let rc = connector("default", "git-connector", my_git, None);
    let r =
        render_with_warnings(std::slice::from_ref(&rc), &request(&["config"]), &secrets()).unwrap();
    let names: Vec<&str> = r.payload.files.keys().map(String::as_str).collect();
    // (`connector()` gives every test connector a proxy CA, which the CA built-ins still write)
    for f in ["http.proxy", "https.proxy", "connector.status.proxyAddress"] {
        assert!(!names.contains(&f), "{names:?}");
    }
    for f in [".env", ".gitconfig", "context.token"] {
        assert!(names.contains(&f), "{names:?}");
    }
    assert_eq!(
        text(&r.payload, ".env"),
        "# connector default/git-connector has no proxy (its ConnectorClass \"my-git\" sets no spec.proxy): no proxy settings\n"
    );
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    for f in [
        "http.proxy",
        "https.proxy",
        "connector.status.proxyAddress",
        ".env",
    ] {
        assert!(r.warnings[0].contains(f), "{:?}", r.warnings);
    }
    // Excluded files are not mentioned; nothing left out, nothing said.
    let mut req = request(&["config"]);
    req.exclusions = PROXY_FILES.iter().map(|f| f.to_string()).collect();
    let r = render_with_warnings(std::slice::from_ref(&rc), &req, &secrets()).unwrap();
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
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

    // Params for a configuration that was not requested are ignored, with a warning naming
    // them (Alauda's driver does not refuse them either).
    let mut req = request(&["conf"]);
    req.params.insert(
        "conf".into(),
        BTreeMap::from([("level".into(), "3".into())]),
    );
    req.params.insert("cnof".into(), BTreeMap::new());
    let r = render_with_warnings(&rcs, &req, &secrets()).unwrap();
    assert_eq!(text(&r.payload, "out"), "fast/3/<no value>");
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert!(
        r.warnings[0].contains("\"cnof\"") && r.warnings[0].contains("configuration.names"),
        "{:?}",
        r.warnings
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

    // render(): the built-ins need the last connector's proxy when its class has one (the
    // operator has not set the address yet: kubelet retries).
    let mut proxied_class = class();
    proxied_class.spec.proxy = Some(Default::default());
    let waiting = connector("ns", "w", proxied_class, None);
    let err = render(std::slice::from_ref(&waiting), &request(&[]), &secrets()).unwrap_err();
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
