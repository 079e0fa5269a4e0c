//! The class catalog (`deploy/examples/classes/`): every configuration of every class rendered by
//! the real binary (`connectors-csi render`) against its example Connector
//! (`deploy/examples/connectors/`), compared byte for byte with `tests/golden/classes/<case>/`,
//! and (in `tools`) fed to the tool that reads it. `UPDATE_GOLDEN=1` rewrites the golden files.

mod docs_manifests;
mod mount;
mod multi;
mod tools;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_yaml::Value;

const BIN: &str = env!("CARGO_BIN_EXE_connectors-csi");

/// JWT-shaped, obviously fake pod token the cases render with.
pub const TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6YXBwczpidWlsZGVyIn0.ZmFrZS1zaWduYXR1cmU";

/// One rendered configuration: class file stem (the Connector example has the same stem), the
/// configuration, `configuration.params` JSON if any.
pub struct Case {
    pub name: &'static str,
    pub class: &'static str,
    pub configuration: &'static str,
    pub params: Option<&'static str>,
}

const fn case(name: &'static str, class: &'static str, configuration: &'static str) -> Case {
    Case {
        name,
        class,
        configuration,
        params: None,
    }
}

const fn with(
    name: &'static str,
    class: &'static str,
    configuration: &'static str,
    params: &'static str,
) -> Case {
    Case {
        name,
        class,
        configuration,
        params: Some(params),
    }
}

pub const CASES: &[Case] = &[
    case("k8s-kubeconfig", "k8s", "kubeconfig"),
    case("git-gitconfig", "git", "gitconfig"),
    case("github-gitconfig", "github", "gitconfig"),
    case("github-githubconfig", "github", "githubconfig"),
    case("gitlab-gitconfig", "gitlab", "gitconfig"),
    case("gitlab-gitlabconfig", "gitlab", "gitlabconfig"),
    case("oci-docker-config", "oci", "docker-config"),
    case("oci-registry-config", "oci", "registry-config"),
    case("oci-dockerd", "oci", "dockerd"),
    case("oci-buildkitd", "oci", "buildkitd"),
    case("harbor-registry-config", "harbor", "registry-config"),
    case("harbor-config", "harbor", "config"),
    case("harbor-buildkitd", "harbor", "buildkitd"),
    case("harbor-harbor-cli-config", "harbor", "harbor-cli-config"),
    case("maven-settings", "maven", "settings"),
    case("npm-npmrc", "npm", "npmrc"),
    case("npm-yarnrc", "npm", "yarnrc"),
    case("pypi-pipconf", "pypi", "pipconf"),
    case("pypi-pypirc", "pypi", "pypirc"),
    case("nexus-settings", "nexus", "settings"),
    with(
        "nexus-settings-mirror",
        "nexus",
        "settings",
        r#"{"settings":{"mirrorRepository":"maven-public"}}"#,
    ),
    with(
        "nexus-npmrc",
        "nexus",
        "npmrc",
        r#"{"npmrc":{"registry":"npm-proxy"}}"#,
    ),
    with(
        "nexus-yarnrc",
        "nexus",
        "yarnrc",
        r#"{"yarnrc":{"registry":"npm-proxy","strictSSL":"false"}}"#,
    ),
    with(
        "nexus-pipconf",
        "nexus",
        "pipconf",
        r#"{"pipconf":{"repository":"pypi-proxy"}}"#,
    ),
    with(
        "nexus-pypirc",
        "nexus",
        "pypirc",
        r#"{"pypirc":{"deployRepository":"pypi-hosted"}}"#,
    ),
    case("sonarqube-sonar-scanner", "sonarqube", "sonar-scanner"),
    with(
        "jfrog-settings",
        "jfrog",
        "settings",
        r#"{"settings":{"mirrorRepository":"libs-release"}}"#,
    ),
    with(
        "jfrog-npmrc",
        "jfrog",
        "npmrc",
        r#"{"npmrc":{"registry":"npm-local"}}"#,
    ),
    // The docs' own manifest (a revision of jfrog_connectorclass.mdx names the key `repository`).
    with(
        "jfrog-npmrc-repository",
        "jfrog",
        "npmrc",
        r#"{"npmrc":{"repository":"npm-local"}}"#,
    ),
    case("jfrog-npmrc-empty", "jfrog", "npmrc"),
    with(
        "jfrog-yarnrc",
        "jfrog",
        "yarnrc",
        r#"{"yarnrc":{"registry":"npm-local"}}"#,
    ),
    with(
        "jfrog-yarnrc-repository",
        "jfrog",
        "yarnrc",
        r#"{"yarnrc":{"repository":"npm-local"}}"#,
    ),
    case("jfrog-yarnrc-empty", "jfrog", "yarnrc"),
    with(
        "jfrog-pipconf",
        "jfrog",
        "pipconf",
        r#"{"pipconf":{"repository":"pypi-local"}}"#,
    ),
    case("jfrog-pipconf-empty", "jfrog", "pipconf"),
    with(
        "jfrog-pypirc",
        "jfrog",
        "pypirc",
        r#"{"pypirc":{"deployRepository":"pypi-local"}}"#,
    ),
    case("jfrog-pypirc-empty", "jfrog", "pypirc"),
];

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn class_path(stem: &str) -> PathBuf {
    repo().join(format!("deploy/examples/classes/{stem}.yaml"))
}

pub fn connector_path(stem: &str) -> PathBuf {
    repo().join(format!("deploy/examples/connectors/{stem}.yaml"))
}

pub fn load(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The file names a class configuration declares (its `data` keys).
pub fn declared_files(class: &Value, configuration: &str) -> Vec<String> {
    let cfg = class["spec"]["configurations"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|c| c["name"].as_str() == Some(configuration))
        .unwrap_or_else(|| panic!("no configuration {configuration}"));
    cfg["data"]
        .as_mapping()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap().to_string())
        .collect()
}

/// Runs `connectors-csi render` for `case` and returns the files its configuration declares.
pub fn render(case: &Case) -> BTreeMap<String, Vec<u8>> {
    let out = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(BIN);
    cmd.arg("render")
        .arg("--connector")
        .arg(connector_path(case.class))
        .arg("--class")
        .arg(class_path(case.class))
        .args(["--configuration", case.configuration, "--token", TOKEN])
        .arg("--out")
        .arg(out.path());
    if let Some(p) = case.params {
        cmd.args(["--params", p]);
    }
    let result = cmd.output().unwrap();
    assert!(
        result.status.success(),
        "case {}: render failed: {}",
        case.name,
        String::from_utf8_lossy(&result.stderr)
    );
    let class = load(&class_path(case.class));
    declared_files(&class, case.configuration)
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(out.path().join(&f))
                .unwrap_or_else(|e| panic!("case {}: {f} not rendered: {e}", case.name));
            (f, bytes)
        })
        .collect()
}

pub fn find(name: &str) -> &'static Case {
    CASES
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no case {name}"))
}

fn class_stems() -> Vec<String> {
    let mut stems: Vec<String> = std::fs::read_dir(repo().join("deploy/examples/classes"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|n| n.strip_suffix(".yaml").map(str::to_string))
        .collect();
    stems.sort();
    stems
}

#[test]
fn catalog_has_a_class_per_documented_connector_type_with_its_configurations() {
    let want: &[(&str, &[&str])] = &[
        ("k8s", &["kubeconfig"]),
        ("git", &["gitconfig"]),
        ("github", &["gitconfig", "githubconfig"]),
        ("gitlab", &["gitconfig", "gitlabconfig"]),
        (
            "harbor",
            &[
                "registry-config",
                "config",
                "buildkitd",
                "harbor-cli-config",
            ],
        ),
        (
            "oci",
            &["docker-config", "registry-config", "dockerd", "buildkitd"],
        ),
        ("maven", &["settings"]),
        ("npm", &["npmrc", "yarnrc"]),
        ("pypi", &["pipconf", "pypirc"]),
        (
            "nexus",
            &["settings", "npmrc", "yarnrc", "pipconf", "pypirc"],
        ),
        ("sonarqube", &["sonar-scanner"]),
        (
            "jfrog",
            &["settings", "npmrc", "yarnrc", "pipconf", "pypirc"],
        ),
    ];
    let mut expected: Vec<String> = want.iter().map(|(c, _)| c.to_string()).collect();
    expected.sort();
    assert_eq!(class_stems(), expected, "one file per class");
    for (stem, configurations) in want {
        let class = load(&class_path(stem));
        assert_eq!(class["kind"], "ConnectorClass", "{stem}");
        assert_eq!(class["metadata"]["name"].as_str(), Some(*stem), "{stem}");
        let names: Vec<&str> = class["spec"]["configurations"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(&names, configurations, "{stem}: configuration names");
        let connector = load(&connector_path(stem));
        assert_eq!(connector["kind"], "Connector", "{stem}");
        assert_eq!(
            connector["spec"]["connectorClassName"].as_str(),
            Some(*stem),
            "the example Connector of {stem} uses it"
        );
    }
}

#[test]
fn every_configuration_has_a_golden_case() {
    for stem in class_stems() {
        let class = load(&class_path(&stem));
        for cfg in class["spec"]["configurations"].as_sequence().unwrap() {
            let name = cfg["name"].as_str().unwrap();
            assert!(
                CASES
                    .iter()
                    .any(|c| c.class == stem && c.configuration == name),
                "class {stem} configuration {name} has no case"
            );
        }
    }
}

#[test]
fn golden_class_configurations() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1");
    for case in CASES {
        let files = render(case);
        let dir = repo().join("tests/golden/classes").join(case.name);
        if update {
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            for (name, bytes) in &files {
                std::fs::write(dir.join(name), bytes).unwrap();
            }
            continue;
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
            files.keys().collect::<Vec<_>>(),
            "case {}: file set",
            case.name
        );
        for (name, want) in &golden {
            assert!(
                &files[name] == want,
                "case {}, file {name} differs from golden:\n--- golden\n{}\n--- rendered\n{}",
                case.name,
                String::from_utf8_lossy(want),
                String::from_utf8_lossy(&files[name])
            );
        }
    }
}

#[test]
fn required_params_fail_the_render_with_the_param_named() {
    for (configuration, param) in [
        ("npmrc", "registry"),
        ("yarnrc", "registry"),
        ("pipconf", "repository"),
        ("pypirc", "deployRepository"),
    ] {
        let out = Command::new(BIN)
            .arg("render")
            .arg("--connector")
            .arg(connector_path("nexus"))
            .arg("--class")
            .arg(class_path("nexus"))
            .args(["--configuration", configuration, "--token", TOKEN])
            .output()
            .unwrap();
        assert!(
            !out.status.success(),
            "nexus {configuration} without {param}"
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!("\"{param}\"")),
            "nexus {configuration}: {stderr}"
        );
    }
}

/// `render` with several `--connector` files and the class folder, as a volume with
/// `connectors: "git-demo,github-demo,gitlab-demo,harbor-connector"` renders.
#[test]
fn golden_multi_connector_volume() {
    let out = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(BIN);
    cmd.arg("render");
    for stem in ["git", "github", "gitlab", "harbor"] {
        cmd.arg("--connector").arg(connector_path(stem));
    }
    let result = cmd
        .arg("--class")
        .arg(repo().join("deploy/examples/classes"))
        .args([
            "--configuration",
            "gitconfig,harbor-cli-config",
            "--token",
            TOKEN,
        ])
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let dir = repo().join("tests/golden/classes/multi-git-harbor");
    for file in [".gitconfig", "config.yaml", "HARBOR_ENCRYPTION_KEY"] {
        let got = std::fs::read(out.path().join(file)).unwrap();
        if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1") {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(file), &got).unwrap();
            continue;
        }
        let want = std::fs::read(dir.join(file))
            .unwrap_or_else(|e| panic!("{file}: {e}; run with UPDATE_GOLDEN=1"));
        assert!(
            got == want,
            "{file} differs from golden:\n--- golden\n{}\n--- rendered\n{}",
            String::from_utf8_lossy(&want),
            String::from_utf8_lossy(&got)
        );
    }
}
