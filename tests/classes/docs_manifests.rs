//! Catalog classes against the per-type docs' own manifests (`tests/classes/docs/`: each file
//! names the page it is copied from), rendered by the real binary, compared with
//! `tests/golden/classes/<case>/` and, where the tool is here, read by it.

use std::collections::BTreeMap;
use std::process::Command;

use super::tools::{have, npm_user_config, python, yaml, SETTINGS_XML};
use super::{repo, BIN, TOKEN};

/// Renders `configuration` for the docs' connectors `stems` (files in `tests/classes/docs/`)
/// with the catalog classes.
fn render_docs(
    stems: &[&str],
    configuration: &str,
    params: Option<&str>,
) -> BTreeMap<String, Vec<u8>> {
    let out = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(BIN);
    cmd.arg("render");
    for stem in stems {
        cmd.arg("--connector")
            .arg(repo().join(format!("tests/classes/docs/{stem}.yaml")));
    }
    cmd.arg("--class")
        .arg(repo().join("deploy/examples/classes"))
        .args(["--configuration", configuration, "--token", TOKEN]);
    if let Some(p) = params {
        cmd.args(["--params", p]);
    }
    let result = cmd.arg("--out").arg(out.path()).output().unwrap();
    assert!(
        result.status.success(),
        "{stems:?} {configuration}: {}",
        String::from_utf8_lossy(&result.stderr)
    );
    std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// Compares `files` (only those named in `keep`) with the golden directory `case`.
fn golden(case: &str, files: &BTreeMap<String, Vec<u8>>, keep: &[&str]) {
    let dir = repo().join("tests/golden/classes").join(case);
    for name in keep {
        let got = files
            .get(*name)
            .unwrap_or_else(|| panic!("{case}: {name} not rendered: {:?}", files.keys()));
        if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1") {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(name), got).unwrap();
            continue;
        }
        let want = std::fs::read(dir.join(name))
            .unwrap_or_else(|e| panic!("{case}/{name}: {e}; run with UPDATE_GOLDEN=1"));
        assert!(
            *got == want,
            "{case}/{name} differs from golden:\n--- golden\n{}\n--- rendered\n{}",
            String::from_utf8_lossy(&want),
            String::from_utf8_lossy(got)
        );
    }
}

/// Maven: the connector parameter `useAsMirror: "true"` makes the connector the mirror of
/// everything (id `connectors-mirror`); with the deploy connector in the same volume both go
/// into the proxy username, and the mirror stays the mirror connector's address.
#[test]
fn maven_mirror_connector_and_the_mirror_deploy_pair() {
    let mirror = render_docs(&["maven-mirror-connector"], "settings", None);
    golden("maven-mirror", &mirror, &["settings.xml"]);
    let pair = render_docs(
        &["maven-mirror-connector", "maven-deploy-connector"],
        "settings",
        None,
    );
    golden("multi-maven-mirror-deploy", &pair, &["settings.xml"]);
    if !have("python3", &["--version"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (case, files, users, proxy_host) in [
        (
            "maven-mirror",
            &mirror,
            "connectors-maven-demo/maven-mirror-connector",
            "c-maven-mirror-connector.connectors-maven-demo.svc.cluster.local",
        ),
        (
            "multi-maven-mirror-deploy",
            &pair,
            "connectors-maven-demo/maven-mirror-connector,connectors-maven-demo/maven-deploy-connector",
            "c-maven-deploy-connector.connectors-maven-demo.svc.cluster.local",
        ),
    ] {
        let path = dir.path().join(format!("{case}.xml"));
        std::fs::write(&path, &files["settings.xml"]).unwrap();
        let v = python(SETTINGS_XML, &[&path]);
        assert_eq!(
            v["mirrors"],
            serde_json::json!([{
                "id": "connectors-mirror",
                "url": "https://nexus.example.com/repository/maven-public",
                "mirrorOf": "*",
            }]),
            "{case}"
        );
        assert_eq!(v["proxies"][0]["username"], users, "{case}");
        assert_eq!(v["proxies"][0]["host"], proxy_host, "{case}");
        assert_eq!(v["proxies"][0]["password"], TOKEN, "{case}");
    }
}

/// npm: the docs' mirror + publish pair (Connector param `registryType`) in one volume:
/// dependencies come from the `mirror` connector, yarn publishes to the `publish` one, and both
/// registries get their placeholder credential (read back by npm and as YAML).
#[test]
fn npm_registry_type_mirror_and_publish_pair() {
    let pair = &["npm-mirror-connector", "npm-publish-connector"];
    let files = render_docs(pair, "npmrc,yarnrc", None);
    golden(
        "multi-npm-mirror-publish",
        &files,
        &[".npmrc", ".yarnrc.yml"],
    );
    let yarn = yaml(&files[".yarnrc.yml"]);
    assert_eq!(
        yarn["npmRegistryServer"].as_str(),
        Some("https://nexus.example.com/repository/npm-proxy/")
    );
    assert_eq!(
        yarn["npmPublishRegistry"].as_str(),
        Some("https://nexus.example.com/repository/npm-hosted/")
    );
    assert_eq!(yarn["enableStrictSsl"].as_bool(), Some(false));
    assert!(yarn["httpsProxy"]
        .as_str()
        .unwrap()
        .contains("default%2Fnpm-mirror-connector,default%2Fnpm-publish-connector:"));
    // The order of the connectors does not change which one is the mirror.
    let swapped = render_docs(
        &["npm-publish-connector", "npm-mirror-connector"],
        "yarnrc",
        None,
    );
    let yarn = yaml(&swapped[".yarnrc.yml"]);
    assert_eq!(
        yarn["npmRegistryServer"].as_str(),
        Some("https://nexus.example.com/repository/npm-proxy/")
    );
    if !have("npm", &["--version"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".npmrc");
    std::fs::write(&path, &files[".npmrc"]).unwrap();
    let cfg = npm_user_config(&path);
    assert_eq!(
        cfg["registry"],
        "https://nexus.example.com/repository/npm-proxy/"
    );
    assert_eq!(cfg["strict-ssl"], "false");
    for repo in ["npm-proxy", "npm-hosted"] {
        assert_eq!(
            cfg[&format!("//nexus.example.com/repository/{repo}/:_auth")],
            "(protected)",
            "{cfg:?}"
        );
    }
}

/// The Task's own parsing of the mounted `config.yml`
/// (connectors-gitlab/how_to/gitlab_connector_automatic_creation_task.mdx: `prepare_glab` takes
/// the host and token, `load_admin_endpoint` the top-level `connector_address`), run by bash.
const GITLAB_TASK_PARSE: &str = r#"
cfg="$1"
GITLAB_HOST=$(grep -E '^\s{2}[A-Za-z0-9._-]+:\s*$' "${cfg}" | head -1 | tr -d ': ' )
GITLAB_TOKEN=$(awk '/^\s{4}token:/ { print $2; exit }' "${cfg}")
ADMIN_CONNECTOR_ENDPOINT="$(awk '/^connector_address:/{print $2; exit}' "${cfg}")"
ADMIN_CONNECTOR_ENDPOINT="${ADMIN_CONNECTOR_ENDPOINT%\"}"
ADMIN_CONNECTOR_ENDPOINT="${ADMIN_CONNECTOR_ENDPOINT#\"}"
[[ "${ADMIN_CONNECTOR_ENDPOINT}" =~ ^https?:// ]] || { echo "not a URL: ${ADMIN_CONNECTOR_ENDPOINT}" >&2; exit 1; }
printf '%s\n%s\n%s\n' "${GITLAB_HOST}" "${GITLAB_TOKEN}" "${ADMIN_CONNECTOR_ENDPOINT}"
"#;

/// GitLab: `gitlabconfig` of the docs' admin Connector carries the top-level
/// `connector_address` the automatic-creation Task requires, next to the host and token it
/// parses; glab's YAML stays valid.
#[test]
fn gitlab_gitlabconfig_serves_the_automatic_creation_task() {
    let files = render_docs(&["gitlab-admin"], "gitlabconfig", None);
    golden("gitlab-gitlabconfig-admin", &files, &["config.yml"]);
    let v = yaml(&files["config.yml"]);
    assert_eq!(
        v["connector_address"].as_str(),
        Some("https://gitlab.example.com")
    );
    // The Task's regexes use interval expressions (`\s{4}`), which GNU awk (and busybox awk)
    // understand and Debian's default mawk 1.3.4 does not: run them with gawk.
    if !have("bash", &["--version"]) || !have("gawk", &["--version"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.yml");
    std::fs::write(&path, &files["config.yml"]).unwrap();
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "awk() {{ command gawk \"$@\"; }}\n{GITLAB_TASK_PARSE}"
        ))
        .arg("parse")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            "c-gitlab-admin.connectors-management.svc.cluster.local",
            TOKEN,
            "https://gitlab.example.com"
        ]
    );
}
