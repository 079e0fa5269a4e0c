//! Golden tests: the example classes and connectors of `deploy/examples/` rendered with fixed
//! fake tokens, compared byte for byte with `tests/golden/render/<case>/<file>`.
//! `UPDATE_GOLDEN=1 cargo test render::golden` rewrites the golden files (review the diff!).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use k8s_openapi::api::core::v1::Secret;
use serde::Deserialize;

use super::*;
use crate::connector::types::{proxy_ca, secret_value};

/// JWT-shaped, obviously fake tokens.
pub(super) const TOKEN: &str =
    "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6YXBwczpidWlsZGVyIn0.ZmFrZS1zaWduYXR1cmU";
pub(super) const DIRECT_TOKEN: &str =
    "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6a3ViZS1zeXN0ZW06Y2ktYm90In0.ZGlyZWN0LXNpZ25hdHVyZQ";

/// The objects of `deploy/examples/*.yaml`.
pub(super) struct Examples {
    pub connectors: BTreeMap<String, Connector>,
    pub classes: BTreeMap<String, ConnectorClass>,
    pub secrets: BTreeMap<String, Secret>,
}

fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

pub(super) fn examples() -> Examples {
    let mut ex = Examples {
        connectors: BTreeMap::new(),
        classes: BTreeMap::new(),
        secrets: BTreeMap::new(),
    };
    for file in [
        "deploy/examples/classes.yaml",
        "deploy/examples/connectors.yaml",
    ] {
        let text = std::fs::read_to_string(repo_path(file)).unwrap();
        for doc in serde_yaml::Deserializer::from_str(&text) {
            let value = serde_yaml::Value::deserialize(doc).unwrap();
            if value.is_null() {
                continue;
            }
            let kind = value["kind"].as_str().unwrap_or_default().to_string();
            let name = value["metadata"]["name"].as_str().unwrap().to_string();
            match kind.as_str() {
                "Connector" => {
                    ex.connectors
                        .insert(name, serde_yaml::from_value(value).unwrap());
                }
                "ConnectorClass" => {
                    ex.classes
                        .insert(name, serde_yaml::from_value(value).unwrap());
                }
                "Secret" => {
                    ex.secrets
                        .insert(name, serde_yaml::from_value(value).unwrap());
                }
                other => panic!("{file}: unexpected kind {other:?}"),
            }
        }
    }
    ex
}

impl Examples {
    /// The named connector resolved the way the driver does it (proxy CA from status/class,
    /// target CA from the `caCertSecretRef` Secret's `ca.crt`).
    pub(super) fn resolved(&self, name: &str) -> ResolvedConnector {
        let connector = self.connectors[name].clone();
        let class = self.classes[&connector.spec.connector_class_name].clone();
        let target_ca = connector
            .spec
            .ca_cert_secret_ref
            .as_ref()
            .and_then(|r| self.secrets.get(&r.name))
            .and_then(|s| secret_value(s, "ca.crt"))
            .map(|b| String::from_utf8(b).unwrap());
        ResolvedConnector {
            proxy_ca: proxy_ca(&connector, &class),
            connector: Arc::new(connector),
            class: Arc::new(class),
            target_ca,
        }
    }
}

pub(super) fn request(configurations: &[&str]) -> RenderRequest {
    RenderRequest {
        configurations: configurations.iter().map(|s| s.to_string()).collect(),
        pod_namespace: "apps".into(),
        ..Default::default()
    }
}

pub(super) fn secrets() -> RenderSecrets<'static> {
    RenderSecrets {
        token: TOKEN,
        direct_token: None,
    }
}

/// Compares `payload` with the golden directory of `case` (or rewrites it with UPDATE_GOLDEN=1).
fn check_golden(case: &str, payload: &Payload) {
    let dir = repo_path("tests/golden/render").join(case);
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, bytes) in &payload.files {
            std::fs::write(dir.join(name), bytes).unwrap();
        }
        return;
    }
    let mut golden = BTreeMap::new();
    for entry in std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}; run with UPDATE_GOLDEN=1", dir.display()))
    {
        let entry = entry.unwrap();
        golden.insert(
            entry.file_name().to_string_lossy().into_owned(),
            std::fs::read(entry.path()).unwrap(),
        );
    }
    assert_eq!(
        golden.keys().collect::<Vec<_>>(),
        payload.files.keys().collect::<Vec<_>>(),
        "case {case}: file set differs from the golden directory"
    );
    for (name, want) in &golden {
        let got = &payload.files[name];
        assert!(
            got == want,
            "case {case}, file {name} differs from golden:\n--- golden\n{}\n--- rendered\n{}",
            String::from_utf8_lossy(want),
            String::from_utf8_lossy(got)
        );
    }
}

struct Case {
    name: &'static str,
    connectors: &'static [&'static str],
    configurations: &'static [&'static str],
    params: &'static [(&'static str, &'static str, &'static str)],
    strip_class_configurations: bool,
    direct_token: Option<&'static str>,
}

const CASES: &[Case] = &[
    Case {
        name: "builtins",
        connectors: &["k8s-demo"],
        configurations: &[],
        params: &[],
        strip_class_configurations: false,
        direct_token: None,
    },
    Case {
        name: "k8s-kubeconfig",
        connectors: &["k8s-demo"],
        configurations: &["kubeconfig"],
        params: &[],
        strip_class_configurations: false,
        direct_token: None,
    },
    Case {
        name: "k8s-kubeconfig-builtin",
        connectors: &["k8s-demo"],
        configurations: &["kubeconfig"],
        params: &[],
        strip_class_configurations: true,
        direct_token: None,
    },
    Case {
        name: "k8s-tokenfile",
        connectors: &["k8s-demo"],
        configurations: &["tokenfile"],
        params: &[],
        strip_class_configurations: false,
        direct_token: None,
    },
    Case {
        name: "k8s-tokenfile-direct",
        connectors: &["k8s-demo"],
        configurations: &["tokenfile"],
        params: &[
            ("tokenfile", "serviceAccount", "ci/deployer"),
            ("tokenfile", "duration", "2h"),
        ],
        strip_class_configurations: false,
        direct_token: Some(DIRECT_TOKEN),
    },
    Case {
        name: "git-gitconfig",
        connectors: &["git-demo"],
        configurations: &["gitconfig"],
        params: &[],
        strip_class_configurations: false,
        direct_token: None,
    },
    Case {
        name: "oci-registry-config",
        connectors: &["oci-demo"],
        configurations: &["registry-config"],
        params: &[],
        strip_class_configurations: false,
        direct_token: None,
    },
    Case {
        name: "npm-npmrc",
        connectors: &["npm-demo"],
        configurations: &["npmrc"],
        params: &[],
        strip_class_configurations: false,
        direct_token: None,
    },
    Case {
        name: "npm-npmrc-no-strict-ssl",
        connectors: &["npm-demo"],
        configurations: &["npmrc"],
        params: &[("npmrc", "strict-ssl", "FALSE")],
        strip_class_configurations: false,
        direct_token: None,
    },
    Case {
        name: "maven-settings",
        connectors: &["maven-demo"],
        configurations: &["settings"],
        params: &[],
        strip_class_configurations: false,
        direct_token: None,
    },
    Case {
        name: "pypi-pipconf",
        connectors: &["pypi-demo"],
        configurations: &["pipconf"],
        params: &[],
        strip_class_configurations: false,
        direct_token: None,
    },
    Case {
        name: "multi-git-oci",
        connectors: &["git-demo", "oci-demo"],
        configurations: &["gitconfig", "registry-config"],
        params: &[],
        strip_class_configurations: false,
        direct_token: None,
    },
];

fn render_case(ex: &Examples, case: &Case) -> Result<Payload, RenderError> {
    let connectors: Vec<ResolvedConnector> = case
        .connectors
        .iter()
        .map(|n| {
            let mut rc = ex.resolved(n);
            if case.strip_class_configurations {
                let mut class = (*rc.class).clone();
                class.spec.configurations.clear();
                rc.class = Arc::new(class);
            }
            rc
        })
        .collect();
    let mut req = request(case.configurations);
    for (cfg, k, v) in case.params {
        req.params
            .entry(cfg.to_string())
            .or_default()
            .insert(k.to_string(), v.to_string());
    }
    render(
        &connectors,
        &req,
        &RenderSecrets {
            token: TOKEN,
            direct_token: case.direct_token,
        },
    )
}

#[test]
fn golden_example_configurations() {
    let ex = examples();
    for case in CASES {
        let payload = render_case(&ex, case).unwrap_or_else(|e| panic!("case {}: {e}", case.name));
        check_golden(case.name, &payload);
    }
}

#[test]
fn golden_cases_cover_every_example_class_configuration() {
    let ex = examples();
    for (class_name, class) in &ex.classes {
        for cfg in class.configuration_names() {
            let covered = CASES.iter().any(|c| {
                !c.strip_class_configurations
                    && c.configurations.contains(&cfg)
                    && c.connectors
                        .iter()
                        .any(|n| &ex.connectors[*n].spec.connector_class_name == class_name)
            });
            assert!(
                covered,
                "class {class_name} configuration {cfg} has no golden case"
            );
        }
    }
    // Every example connector renders its class's configurations without error.
    for name in ex.connectors.keys() {
        let rc = ex.resolved(name);
        let names: Vec<&str> = rc.class.configuration_names();
        render(std::slice::from_ref(&rc), &request(&names), &secrets())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}
