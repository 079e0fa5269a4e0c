//! The rendered catalog files fed to the tools that read them: git, kubectl (the pinned one of
//! `.ci/install-tools`), npm, pip and
//! Python's configparser (pip.conf, .pypirc), tomllib (buildkitd.toml), ElementTree
//! (settings.xml) and the `cryptography` package (harbor-cli's AES-GCM password), YAML and
//! JSON parsers. A missing tool is a SKIP, or a failure when `CONNECTORS_CSI_REQUIRE_TOOLS=1`
//! (set by `.ci/run`, which installs them).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use serde_json::Value as Json;
use serde_yaml::Value as Yaml;

use super::{connector_path, find, load, render, TOKEN};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// True when `program args…` runs successfully; otherwise SKIP, or panic when tools are required.
pub fn have(program: &str, args: &[&str]) -> bool {
    let ok = Command::new(program)
        .args(args)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        let what = format!("`{program} {}`", args.join(" "));
        if std::env::var("CONNECTORS_CSI_REQUIRE_TOOLS").as_deref() == Ok("1") {
            panic!("{what} failed, and CONNECTORS_CSI_REQUIRE_TOOLS=1 requires it (.ci/run installs the tools)");
        }
        eprintln!("SKIP: {what} is not available on this machine");
    }
    ok
}

fn python_has(module: &str) -> bool {
    have("python3", &["-c", &format!("import {module}")])
}

/// Renders `case` into a temporary directory, for tools that read paths.
fn on_disk(case: &str) -> (tempfile::TempDir, BTreeMap<String, PathBuf>) {
    let dir = tempfile::tempdir().unwrap();
    let files = render(find(case))
        .into_iter()
        .map(|(name, bytes)| {
            let path = dir.path().join(&name);
            std::fs::write(&path, bytes).unwrap();
            (name, path)
        })
        .collect();
    (dir, files)
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs a Python snippet with file arguments; it prints one JSON value.
pub(crate) fn python(script: &str, args: &[&Path]) -> Json {
    let out = run(Command::new("python3").arg("-c").arg(script).args(args));
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn connector(stem: &str) -> Yaml {
    load(&connector_path(stem))
}

/// `scheme://host` of the example connector's proxy, and the host alone.
fn proxy(stem: &str) -> (String, String) {
    let url = url::Url::parse(
        connector(stem)["status"]["proxy"]["httpAddress"]["url"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let host = url.host_str().unwrap().to_string();
    (format!("{}://{host}", url.scheme()), host)
}

fn proxy_ca(stem: &str) -> String {
    connector(stem)["status"]["proxy"]["httpAddress"]["CACerts"]
        .as_str()
        .unwrap()
        .to_string()
}

fn address(stem: &str) -> String {
    connector(stem)["spec"]["address"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn git_rewrites_clone_urls_to_the_proxy_and_sends_the_token() {
    if !have("git", &["--version"]) {
        return;
    }
    let header = format!("Authorization: Basic {}", B64.encode(format!(":{TOKEN}")));
    for (case, stem, repo) in [
        ("git-gitconfig", "git", "kubernetes/website.git"),
        ("github-gitconfig", "github", "octocat/hello-world.git"),
        ("gitlab-gitconfig", "gitlab", "gitlab-org/cli.git"),
    ] {
        let (_dir, files) = on_disk(case);
        let cfg = &files[".gitconfig"];
        let listed = run(Command::new("git")
            .arg("config")
            .arg("-f")
            .arg(cfg)
            .arg("-l"));
        assert!(
            listed
                .lines()
                .any(|l| l == format!("http.extraheader={header}")),
            "{case}: {listed}"
        );
        // git itself applies the insteadOf rewrite.
        let url = run(Command::new("git")
            .args(["ls-remote", "--get-url"])
            .arg(format!("{}/{repo}", address(stem)))
            .env("GIT_CONFIG_GLOBAL", cfg)
            .env("GIT_CONFIG_NOSYSTEM", "1"));
        assert_eq!(url.trim(), format!("{}/{repo}", proxy(stem).0), "{case}");
    }
}

#[test]
fn kubectl_loads_the_kubeconfig() {
    // The pinned kubectl (.ci/install-tools), as the manifest tests use it.
    let Some(t) = test_support::k8s_tools::k8s_tools("kubectl_loads_the_kubeconfig") else {
        return;
    };
    let (_dir, files) = on_disk("k8s-kubeconfig");
    let out = run(Command::new(&t.kubectl)
        .args([
            "config",
            "view",
            "--raw",
            "--minify",
            "-o",
            "json",
            "--kubeconfig",
        ])
        .arg(&files["kubeconfig"]));
    let v: Json = serde_json::from_str(&out).unwrap();
    assert_eq!(v["current-context"], "k8s");
    let cluster = &v["clusters"][0]["cluster"];
    assert_eq!(cluster["server"], address("k8s").as_str());
    assert_eq!(
        cluster["proxy-url"],
        format!("http://default%2Fk8s-connector:{TOKEN}@{}", proxy("k8s").1).as_str()
    );
    let ca = B64
        .decode(cluster["certificate-authority-data"].as_str().unwrap())
        .unwrap();
    assert_eq!(String::from_utf8(ca).unwrap(), proxy_ca("k8s"));
    assert_eq!(v["users"][0]["user"]["token"], "fake-token");
}

/// `npm config list` of a rendered `.npmrc`: its "user" section as key → value (npm masks
/// passwords in proxy URLs and `_auth` values).
pub(crate) fn npm_user_config(npmrc: &Path) -> BTreeMap<String, String> {
    let cache = tempfile::tempdir().unwrap();
    let out = run(Command::new("npm")
        .args(["config", "list", "--userconfig"])
        .arg(npmrc)
        .env("NPM_CONFIG_GLOBALCONFIG", "/dev/null")
        .env("npm_config_cache", cache.path()));
    // npm prints no "user" section for a file without settings.
    out.lines()
        .skip_while(|l| !l.starts_with("; \"user\" config from"))
        .skip(1)
        .take_while(|l| !l.starts_with("; \""))
        .filter_map(|l| l.split_once(" = "))
        .map(|(k, v)| (k.to_string(), v.trim_matches('"').to_string()))
        .collect()
}

#[test]
fn npm_reads_every_npmrc() {
    if !have("npm", &["--version"]) {
        return;
    }
    for (case, stem, registry, auth_key, strict) in [
        (
            "npm-npmrc",
            "npm",
            "https://registry.npmjs.org/",
            "//registry.npmjs.org/:_auth",
            "false",
        ),
        (
            "nexus-npmrc",
            "nexus",
            "https://nexus.example.com/repository/npm-proxy/",
            "//nexus.example.com/repository/npm-proxy/:_auth",
            "true",
        ),
        (
            "jfrog-npmrc",
            "jfrog",
            "https://jfrog.example.com/artifactory/api/npm/npm-local/",
            "//jfrog.example.com/artifactory/api/npm/npm-local/:_auth",
            "true",
        ),
        (
            "jfrog-npmrc-repository",
            "jfrog",
            "https://jfrog.example.com/artifactory/api/npm/npm-local/",
            "//jfrog.example.com/artifactory/api/npm/npm-local/:_auth",
            "true",
        ),
    ] {
        let (_dir, files) = on_disk(case);
        let cfg = npm_user_config(&files[".npmrc"]);
        assert_eq!(cfg["registry"], registry, "{case}: {cfg:?}");
        assert_eq!(cfg["strict-ssl"], strict, "{case}");
        assert_eq!(cfg[auth_key], "(protected)", "{case}");
        let (_, host) = proxy(stem);
        for key in ["proxy", "https-proxy"] {
            let v = &cfg[key];
            assert!(
                v.starts_with(&format!("http://default%2F{stem}-connector:"))
                    && v.trim_end_matches('/').ends_with(&format!("@{host}")),
                "{case} {key}: {v}"
            );
        }
        assert_eq!(
            (cfg["audit"].as_str(), cfg["fund"].as_str()),
            ("false", "false")
        );
    }
    // The placeholder of an unset JFrog registry is a valid, empty .npmrc.
    let (_dir, files) = on_disk("jfrog-npmrc-empty");
    assert!(npm_user_config(&files[".npmrc"]).is_empty());
}

#[test]
fn pip_reads_every_pip_conf() {
    if !have("python3", &["-m", "pip", "--version"]) {
        return;
    }
    let pypi_host = proxy("pypi").1;
    for (case, want) in [
        (
            "pypi-pipconf",
            vec![
                format!("global.index-url='http://default-pypi-connector:{TOKEN}@{pypi_host}/simple/'"),
                "global.timeout='30'".to_string(),
                format!("install.trusted-host='{pypi_host}'"),
            ],
        ),
        (
            "nexus-pipconf",
            vec![
                "global.index-url='https://nexus.example.com/repository/pypi-proxy/simple/'".to_string(),
                "global.trusted-host='nexus.example.com'".to_string(),
                format!("global.proxy='http://default%2Fnexus-connector:{TOKEN}@{}:80'", proxy("nexus").1),
            ],
        ),
        (
            "jfrog-pipconf",
            vec![
                "global.index-url='https://jfrog.example.com/artifactory/api/pypi/pypi-local/simple'".to_string(),
                format!("global.proxy='http://default%2Fjfrog-connector:{TOKEN}@{}:80'", proxy("jfrog").1),
            ],
        ),
        ("jfrog-pipconf-empty", vec![]),
    ] {
        let (_dir, files) = on_disk(case);
        let listed = run(Command::new("python3")
            .args(["-m", "pip", "config", "list"])
            .env("PIP_CONFIG_FILE", &files["pip.conf"]));
        for line in want {
            assert!(listed.lines().any(|l| l == line), "{case}: {line} not in\n{listed}");
        }
    }
}

const PYPIRC: &str = r#"
import configparser, json, sys
c = configparser.ConfigParser()
c.read(sys.argv[1])
out = {}
if c.has_section("distutils"):
    for name in c["distutils"]["index-servers"].split():
        out[name] = dict(c[name])
print(json.dumps(out))
"#;

#[test]
fn twine_style_configparser_reads_every_pypirc() {
    if !have("python3", &["--version"]) {
        return;
    }
    let pypi_host = proxy("pypi").1;
    for (case, want) in [
        (
            "pypi-pypirc",
            serde_json::json!({"connectors-pypi": {
                "repository": format!("http://{pypi_host}/"),
                "username": "default-pypi-connector",
                "password": TOKEN,
            }}),
        ),
        (
            "nexus-pypirc",
            serde_json::json!({"nexus": {
                "repository": "https://nexus.example.com/repository/pypi-hosted/",
                "username": "connectors-proxy",
                "password": "connectors-proxy-injects-credential",
            }}),
        ),
        (
            "jfrog-pypirc",
            serde_json::json!({"jfrog": {
                // Through the connector's reverse proxy, which takes the token as password.
                "repository": format!("http://{}/artifactory/api/pypi/pypi-local/", proxy("jfrog").1),
                "username": "default-jfrog-connector",
                "password": TOKEN,
            }}),
        ),
        ("jfrog-pypirc-empty", serde_json::json!({})),
    ] {
        let (_dir, files) = on_disk(case);
        assert_eq!(python(PYPIRC, &[&files[".pypirc"]]), want, "{case}");
    }
}

pub(crate) const SETTINGS_XML: &str = r#"
import json, sys
import xml.etree.ElementTree as ET
ns = {"m": "http://maven.apache.org/SETTINGS/1.0.0"}
root = ET.parse(sys.argv[1]).getroot()
proxies = [{c.tag.split("}")[1]: c.text for c in p} for p in root.findall("m:proxies/m:proxy", ns)]
mirrors = [{c.tag.split("}")[1]: c.text for c in m} for m in root.findall("m:mirrors/m:mirror", ns)]
print(json.dumps({"proxies": proxies, "mirrors": mirrors}))
"#;

#[test]
fn maven_settings_parse_as_xml_with_the_proxy_and_mirror() {
    if !have("python3", &["--version"]) {
        return;
    }
    for (case, stem, mirror) in [
        ("maven-settings", "maven", None),
        ("nexus-settings", "nexus", None),
        (
            "nexus-settings-mirror",
            "nexus",
            Some("https://nexus.example.com/repository/maven-public"),
        ),
        (
            "jfrog-settings",
            "jfrog",
            Some("https://jfrog.example.com/artifactory/libs-release"),
        ),
    ] {
        let (_dir, files) = on_disk(case);
        let v = python(SETTINGS_XML, &[&files["settings.xml"]]);
        assert_eq!(
            v["proxies"],
            serde_json::json!([{
                "id": "connectors-proxy",
                "active": "true",
                "protocol": "http",
                "host": proxy(stem).1,
                "port": "80",
                "username": format!("default/{stem}-connector"),
                "password": TOKEN,
                "nonProxyHosts": "localhost",
            }]),
            "{case}"
        );
        let mirrors = v["mirrors"].as_array().unwrap();
        match mirror {
            None => assert!(mirrors.is_empty(), "{case}"),
            Some(url) => {
                assert_eq!(mirrors.len(), 1, "{case}");
                assert_eq!(mirrors[0]["url"], url, "{case}");
                assert_eq!(mirrors[0]["mirrorOf"], "*", "{case}");
            }
        }
        if let Some(ca) = files.get("ca.cert") {
            assert_eq!(
                std::fs::read_to_string(ca).unwrap(),
                proxy_ca(stem),
                "{case}"
            );
        }
    }
}

const TOML: &str = r#"
import json, sys, tomllib
with open(sys.argv[1], "rb") as f:
    print(json.dumps(tomllib.load(f)))
"#;

#[test]
fn buildkitd_toml_marks_the_proxy_as_plain_http() {
    if !python_has("tomllib") {
        return;
    }
    for (case, stem) in [("oci-buildkitd", "oci"), ("harbor-buildkitd", "harbor")] {
        let (_dir, files) = on_disk(case);
        let v = python(TOML, &[&files["buildkitd.toml"]]);
        assert_eq!(
            v,
            serde_json::json!({
                "insecure-entitlements": ["network.host", "security.insecure"],
                "registry": {proxy(stem).1: {"http": true}},
            }),
            "{case}"
        );
    }
}

#[test]
fn registry_auth_files_parse_as_json() {
    for (case, stem) in [
        ("oci-docker-config", "oci"),
        ("oci-registry-config", "oci"),
        ("harbor-registry-config", "harbor"),
        ("harbor-config", "harbor"),
    ] {
        let files = render(find(case));
        let v: Json = serde_json::from_slice(&files["config.json"]).unwrap();
        let auths = v["auths"].as_object().unwrap();
        let host = proxy(stem).1;
        assert_eq!(auths.keys().collect::<Vec<_>>(), vec![&host], "{case}");
        let user = connector(stem)["metadata"]["name"]
            .as_str()
            .unwrap()
            .to_string();
        let auth = B64.decode(auths[&host]["auth"].as_str().unwrap()).unwrap();
        assert_eq!(
            String::from_utf8(auth).unwrap(),
            format!("default/{user}:{TOKEN}")
        );
    }
    let files = render(find("oci-dockerd"));
    let v: Json = serde_json::from_slice(&files["daemon.json"]).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"insecure-registries": [proxy("oci").1]})
    );
}

pub(crate) fn yaml(bytes: &[u8]) -> Yaml {
    serde_yaml::from_slice(bytes).unwrap()
}

#[test]
fn cli_configs_parse_as_yaml_for_gh_and_glab() {
    let files = render(find("github-githubconfig"));
    let hosts = yaml(&files["hosts.yml"]);
    assert_eq!(hosts["github.com"]["user"], "connectors-proxy");
    assert!(hosts["github.com"]["oauth_token"].as_str().is_some());
    assert_eq!(
        hosts["github.com"]["users"]["connectors-proxy"]["oauth_token"],
        hosts["github.com"]["oauth_token"]
    );
    assert_eq!(yaml(&files["config.yml"])["git_protocol"], "https");
    assert_eq!(
        String::from_utf8(files["ca.cert"].clone()).unwrap(),
        proxy_ca("github")
    );

    let files = render(find("gitlab-gitlabconfig"));
    let cfg = yaml(&files["config.yml"]);
    let host = proxy("gitlab").1;
    assert_eq!(cfg["host"].as_str(), Some(host.as_str()));
    let h = &cfg["hosts"][host.as_str()];
    assert_eq!(h["token"].as_str(), Some(TOKEN));
    assert_eq!(h["api_host"].as_str(), Some(host.as_str()));
    assert_eq!(
        (h["api_protocol"].as_str(), h["git_protocol"].as_str()),
        (Some("http"), Some("http"))
    );
}

#[test]
fn yarnrc_files_parse_as_yaml() {
    for (case, stem, registry, strict) in [
        ("npm-yarnrc", "npm", "https://registry.npmjs.org/", false),
        (
            "nexus-yarnrc",
            "nexus",
            "https://nexus.example.com/repository/npm-proxy/",
            false,
        ),
        (
            "jfrog-yarnrc",
            "jfrog",
            "https://jfrog.example.com/artifactory/api/npm/npm-local/",
            true,
        ),
    ] {
        let v = yaml(&render(find(case))[".yarnrc.yml"]);
        assert_eq!(v["npmRegistryServer"].as_str(), Some(registry), "{case}");
        assert_eq!(v["npmPublishRegistry"].as_str(), Some(registry), "{case}");
        assert_eq!(v["npmAlwaysAuth"].as_bool(), Some(true), "{case}");
        assert_eq!(v["enableStrictSsl"].as_bool(), Some(strict), "{case}");
        let proxy_url = v["httpsProxy"].as_str().unwrap();
        assert!(
            proxy_url.contains(&format!(
                "default%2F{stem}-connector:{TOKEN}@{}",
                proxy(stem).1
            )),
            "{case}: {proxy_url}"
        );
        assert_eq!(v["httpProxy"], v["httpsProxy"]);
    }
    assert!(yaml(&render(find("jfrog-yarnrc-empty"))[".yarnrc.yml"]).is_null());
}

/// harbor-cli decrypts `password` with HARBOR_ENCRYPTION_KEY: base64 of nonce ‖ AES-GCM
/// ciphertext, key base64 of 32 bytes (goharbor/harbor-cli pkg/utils/encryption.go).
const HARBOR_DECRYPT: &str = r#"
import base64, json, sys
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
key = base64.b64decode(open(sys.argv[1]).read())
data = base64.b64decode(sys.argv[2] if len(sys.argv) > 2 else "")
print(json.dumps({"keylen": len(key), "password": AESGCM(key).decrypt(data[:12], data[12:], None).decode()}))
"#;

#[test]
fn harbor_cli_config_parses_and_its_password_decrypts_with_the_mounted_key() {
    let files = render(find("harbor-harbor-cli-config"));
    let cfg = yaml(&files["config.yaml"]);
    assert_eq!(cfg["current-credential-name"], "default/harbor-connector");
    let cred = &cfg["credentials"][0];
    assert_eq!(cred["name"], "default/harbor-connector");
    assert_eq!(
        cred["serveraddress"].as_str(),
        Some(address("harbor").as_str())
    );
    if !python_has("cryptography") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("HARBOR_ENCRYPTION_KEY");
    std::fs::write(&key, &files["HARBOR_ENCRYPTION_KEY"]).unwrap();
    let out = run(Command::new("python3")
        .arg("-c")
        .arg(HARBOR_DECRYPT)
        .arg(&key)
        .arg(cred["password"].as_str().unwrap()));
    let v: Json = serde_json::from_str(&out).unwrap();
    assert_eq!(v["keylen"], 32);
    assert_eq!(v["password"], "Connectors-Proxy-Injects-1");
}

#[test]
fn sonar_properties_parse_as_java_properties() {
    let files = render(find("sonarqube-sonar-scanner"));
    let text = String::from_utf8(files["sonar-project.properties"].clone()).unwrap();
    let props: BTreeMap<&str, &str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('!'))
        .map(|l| l.split_once('=').expect("key=value"))
        .collect();
    let host = proxy("sonarqube").1;
    let want: BTreeMap<&str, &str> = [
        ("sonar.host.url", "https://sonarqube.example.com"),
        ("sonar.scanner.proxyHost", host.as_str()),
        ("sonar.scanner.proxyPort", "80"),
        ("sonar.scanner.proxyUser", "default%2Fsonarqube-connector"),
        ("sonar.scanner.proxyPassword", TOKEN),
    ]
    .into();
    assert_eq!(props, want);
}
