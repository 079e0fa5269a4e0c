//! Catalog templates over several connectors in one volume (`connectors: "a,b"`), and the
//! defaults the example Connectors do not exercise, rendered through the library's
//! `render::render` (the path a publish takes).

use std::process::Command;
use std::sync::Arc;

use connectors_csi::connector::types::proxy_ca;
use connectors_csi::connector::{Connector, ConnectorClass};
use connectors_csi::render::{self, RenderRequest, RenderSecrets, ResolvedConnector};

use super::{class_path, connector_path, TOKEN};

fn connector(stem: &str) -> Connector {
    serde_yaml::from_str(&std::fs::read_to_string(connector_path(stem)).unwrap()).unwrap()
}

fn resolved(connector: Connector) -> ResolvedConnector {
    let stem = connector.spec.connector_class_name.clone();
    let class: ConnectorClass =
        serde_yaml::from_str(&std::fs::read_to_string(class_path(&stem)).unwrap()).unwrap();
    ResolvedConnector {
        proxy_ca: proxy_ca(&connector, &class),
        connector: Arc::new(connector),
        class: Arc::new(class),
        target_ca: None,
    }
}

fn render_text(connectors: &[ResolvedConnector], configuration: &str, file: &str) -> String {
    let req = RenderRequest {
        configurations: vec![configuration.to_string()],
        pod_namespace: "default".into(),
        ..Default::default()
    };
    let payload = render::render(
        connectors,
        &req,
        &RenderSecrets {
            token: TOKEN,
            direct_token: None,
        },
    )
    .unwrap_or_else(|e| panic!("{configuration}: {e}"));
    String::from_utf8(payload.files[file].clone()).unwrap()
}

/// A second connector of the same class: another name and proxy address.
fn renamed(stem: &str, name: &str) -> Connector {
    let mut c = connector(stem);
    let old = c.metadata.name.clone().unwrap();
    c.metadata.name = Some(name.to_string());
    let addr = c
        .status
        .as_mut()
        .and_then(|s| s.proxy.as_mut())
        .and_then(|p| p.http_address.as_mut())
        .unwrap();
    addr.url = addr.url.as_ref().map(|u| u.replace(&old, name));
    c
}

#[test]
fn gitconfig_rewrites_every_git_type_connector_of_the_volume() {
    let connectors: Vec<_> = ["k8s", "git", "github", "gitlab"]
        .iter()
        .map(|s| resolved(connector(s)))
        .collect();
    let text = render_text(&connectors, "gitconfig", ".gitconfig");
    assert_eq!(text.matches("[http]").count(), 1, "{text}");
    for (name, address) in [
        ("git-demo", "https://github.com"),
        ("github-demo", "https://github.com"),
        ("gitlab-demo", "https://gitlab.com"),
    ] {
        assert!(
            text.contains(&format!(
                "[url \"http://c-{name}.default.svc.cluster.local\"]\n    insteadOf = {address}\n"
            )),
            "{name}: {text}"
        );
    }
    assert!(
        !text.contains("k8s-connector"),
        "no rewrite for a k8s connector: {text}"
    );
    // git itself still reads the file (several sections for one insteadOf value are allowed).
    if super::tools::have("git", &["--version"]) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".gitconfig");
        std::fs::write(&path, &text).unwrap();
        let out = Command::new("git")
            .arg("config")
            .arg("-f")
            .arg(&path)
            .args(["--get-regexp", "^url\\."])
            .output()
            .unwrap();
        assert!(out.status.success());
        assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 3);
    }
}

#[test]
fn harbor_cli_config_has_one_context_per_harbor_connector_and_the_first_is_current() {
    let connectors = vec![
        resolved(connector("harbor")),
        resolved(connector("oci")),
        resolved(renamed("harbor", "harbor-b")),
    ];
    let text = render_text(&connectors, "harbor-cli-config", "config.yaml");
    let v: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    assert_eq!(v["current-credential-name"], "default/harbor-connector");
    let names: Vec<&str> = v["credentials"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["default/harbor-connector", "default/harbor-b"]);
}

#[test]
fn npm_strict_ssl_defaults_to_true_without_the_connector_param() {
    let mut c = connector("npm");
    c.spec.extra.remove("params");
    let rc = [resolved(c)];
    assert!(render_text(&rc, "npmrc", ".npmrc").contains("\nstrict-ssl=true\n"));
    assert!(render_text(&rc, "yarnrc", ".yarnrc.yml").contains("\nenableStrictSsl: true\n"));
}

#[test]
fn forward_proxy_classes_prefer_the_class_proxy_address_when_the_operator_records_one() {
    let mut rc = resolved(connector("jfrog"));
    let mut class = (*rc.class).clone();
    class.status = serde_yaml::from_str(
        "proxy: {httpAddress: {url: 'http://connectors-proxy-service.connectors-system.svc.cluster.local:8080'}}",
    )
    .unwrap();
    rc.class = Arc::new(class);
    let text = render_text(std::slice::from_ref(&rc), "settings", "settings.xml");
    assert!(
        text.contains("<host>connectors-proxy-service.connectors-system.svc.cluster.local</host>"),
        "{text}"
    );
    assert!(text.contains("<port>8080</port>"), "{text}");
}
