//! The real `helm` and `kubectl` (with its built-in kustomize) that the chart and manifest tests
//! run, as users do: `helm template`/`helm lint` of `charts/connectors-csi` and `kubectl
//! kustomize` of `deploy/` with its components.
//!
//! The binaries are found at `$CONNECTORS_CSI_HELM` / `$CONNECTORS_CSI_KUBECTL`, else where
//! [`INSTALL_COMMAND`] puts them (`$CONNECTORS_CSI_TOOLS_DIR`, default
//! `${XDG_CACHE_HOME:-~/.cache}/connectors-csi-tools`, then [`PIN_DIR`]). A missing tool makes
//! [`k8s_tools`] print a SKIP line naming that command, or panic when
//! `CONNECTORS_CSI_REQUIRE_TOOLS=1` (CI sets it).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_yaml::Value;

use crate::yaml::parse_docs;

/// The command that installs the pinned tools (from the repository root).
pub const INSTALL_COMMAND: &str = ".ci/install-tools";
/// The directory `.ci/install-tools` installs into, below the tools dir.
pub const PIN_DIR: &str = "kubectl-v36-2.0.1";
/// Helm major version the chart is tested with (`.ci/install-tools` installs v4.2.3).
pub const HELM_MAJOR: &str = "v4.";
/// kubectl minor version the manifests are tested with (`.ci/install-tools` installs v1.36.3).
pub const KUBECTL_MINOR: &str = "v1.36.";

/// Release name and namespace every `helm template` here uses (the documented install).
pub const RELEASE: &str = "connectors-csi";
pub const NAMESPACE: &str = "connectors-system";

/// The located binaries and their versions.
#[derive(Debug)]
pub struct K8sTools {
    pub helm: PathBuf,
    pub kubectl: PathBuf,
    pub helm_version: String,
    pub kubectl_version: String,
}

fn tools_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("CONNECTORS_CSI_TOOLS_DIR") {
        return Some(PathBuf::from(d));
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(cache.join("connectors-csi-tools"))
}

fn locate(env: &str, name: &str) -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os(env) {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(format!("${env} is {}, which is not a file", p.display()))
        };
    }
    let p = tools_dir()
        .map(|d| d.join(PIN_DIR).join(name))
        .ok_or_else(|| format!("{name}: neither ${env} nor HOME is set"))?;
    if p.is_file() {
        Ok(p)
    } else {
        Err(format!(
            "{name} not found at {} (and ${env} unset)",
            p.display()
        ))
    }
}

fn version(bin: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new(bin)
        .args(args)
        .output()
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} {}: {}",
            bin.display(),
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn find_tools() -> Result<K8sTools, String> {
    let helm = locate("CONNECTORS_CSI_HELM", "helm")?;
    let kubectl = locate("CONNECTORS_CSI_KUBECTL", "kubectl")?;
    let helm_version = version(&helm, &["version", "--template", "{{.Version}}"])?;
    if !helm_version.starts_with(HELM_MAJOR) {
        return Err(format!(
            "{} is helm {helm_version}; the chart is tested with helm {HELM_MAJOR}x",
            helm.display()
        ));
    }
    let kv = version(&kubectl, &["version", "--client", "-o", "json"])?;
    let kubectl_version = serde_json::from_str::<serde_json::Value>(&kv)
        .ok()
        .and_then(|v| {
            v["clientVersion"]["gitVersion"]
                .as_str()
                .map(str::to_string)
        })
        .unwrap_or_default();
    if !kubectl_version.starts_with(KUBECTL_MINOR) {
        return Err(format!(
            "{} is kubectl {kubectl_version:?}; the manifests are tested with kubectl {KUBECTL_MINOR}x",
            kubectl.display()
        ));
    }
    Ok(K8sTools {
        helm,
        kubectl,
        helm_version,
        kubectl_version,
    })
}

/// The real helm and kubectl, or `None` after printing `SKIP <test>: ...` with the install
/// command. Panics instead when `CONNECTORS_CSI_REQUIRE_TOOLS=1`.
pub fn k8s_tools(test: &str) -> Option<&'static K8sTools> {
    static TOOLS: OnceLock<Result<K8sTools, String>> = OnceLock::new();
    match TOOLS.get_or_init(find_tools) {
        Ok(t) => Some(t),
        Err(why) => {
            if std::env::var("CONNECTORS_CSI_REQUIRE_TOOLS").as_deref() == Ok("1") {
                panic!(
                    "{test}: {why}; CONNECTORS_CSI_REQUIRE_TOOLS=1 requires helm and kubectl (run {INSTALL_COMMAND})"
                );
            }
            eprintln!("SKIP {test}: {why}; install helm and kubectl with: {INSTALL_COMMAND}");
            None
        }
    }
}

/// The project's chart, `charts/connectors-csi`.
pub fn chart_dir() -> PathBuf {
    crate::repo_root().join("charts/connectors-csi")
}

/// The kustomize base, `deploy/`.
pub fn deploy_dir() -> PathBuf {
    crate::repo_root().join("deploy")
}

/// Parses a multi-document YAML stream into objects; panics on an object without kind or name.
fn objects(text: &str, origin: &str) -> Vec<Value> {
    let objects = parse_docs(text, origin);
    for o in &objects {
        let kind = o["kind"].as_str().unwrap_or_default();
        let name = o["metadata"]["name"].as_str().unwrap_or_default();
        assert!(
            !kind.is_empty() && !name.is_empty(),
            "{origin}: object without kind/name: {o:?}"
        );
    }
    objects
}

fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// A values file (YAML text, like `-f`) in a temporary directory; `None` for empty text.
fn values_file(values: &str) -> Option<tempfile::NamedTempFile> {
    if values.trim().is_empty() {
        return None;
    }
    let f = tempfile::Builder::new().suffix(".yaml").tempfile().unwrap();
    std::fs::write(f.path(), values).unwrap();
    Some(f)
}

impl K8sTools {
    fn helm_cmd(&self) -> Command {
        let mut c = Command::new(&self.helm);
        // Keep helm's own cache/config out of the user's home and the tests independent of it.
        let home = std::env::temp_dir().join("connectors-csi-helm-home");
        c.env("HELM_CACHE_HOME", home.join("cache"))
            .env("HELM_CONFIG_HOME", home.join("config"))
            .env("HELM_DATA_HOME", home.join("data"));
        c
    }

    /// `helm template connectors-csi charts/connectors-csi -n connectors-system -f <values>
    /// <extra args>`: the rendered text, or helm's error output.
    pub fn helm_template_text(&self, values: &str, extra: &[&str]) -> Result<String, String> {
        let f = values_file(values);
        let mut c = self.helm_cmd();
        c.args(["template", RELEASE])
            .arg(chart_dir())
            .args(["--namespace", NAMESPACE]);
        if let Some(f) = &f {
            c.arg("--values").arg(f.path());
        }
        c.args(extra);
        run(&mut c)
    }

    /// [`Self::helm_template_text`] parsed into objects; panics with helm's message on failure.
    pub fn helm_template(&self, values: &str) -> Vec<Value> {
        let text = self
            .helm_template_text(values, &[])
            .unwrap_or_else(|e| panic!("helm template with values {values:?} failed:\n{e}"));
        objects(&text, "helm template")
    }

    /// `helm lint --strict charts/connectors-csi -f <values>`: helm's output, Ok when it passes.
    pub fn helm_lint(&self, values: &str) -> Result<String, String> {
        let f = values_file(values);
        let mut c = self.helm_cmd();
        c.args(["lint", "--strict"])
            .arg(chart_dir())
            .args(["--namespace", NAMESPACE]);
        if let Some(f) = &f {
            c.arg("--values").arg(f.path());
        }
        run(&mut c)
    }

    /// `kubectl kustomize <dir>`, parsed; panics with kubectl's message on failure.
    pub fn kustomize(&self, dir: &Path) -> Vec<Value> {
        let text = run(Command::new(&self.kubectl).arg("kustomize").arg(dir))
            .unwrap_or_else(|e| panic!("kubectl kustomize {} failed:\n{e}", dir.display()));
        objects(&text, &format!("kubectl kustomize {}", dir.display()))
    }

    /// `kubectl kustomize` of an overlay with `resources: [base]` and `components: [...]`, as
    /// the components' comments tell users to write it (no `namespace:`).
    pub fn kustomize_with_components(&self, base: &Path, components: &[&Path]) -> Vec<Value> {
        let overlay = tempfile::tempdir().unwrap();
        // kustomize refuses absolute paths in resources/components: relative to the overlay.
        let rel = |p: &Path| -> String {
            let up = overlay.path().canonicalize().unwrap().components().count() - 1;
            let target = p.canonicalize().unwrap();
            format!(
                "{}{}",
                "../".repeat(up),
                target.strip_prefix("/").unwrap().display()
            )
        };
        let mut k = String::from(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n",
        );
        k.push_str(&format!("  - {}\ncomponents:\n", rel(base)));
        for c in components {
            k.push_str(&format!("  - {}\n", rel(c)));
        }
        std::fs::write(overlay.path().join("kustomization.yaml"), k).unwrap();
        self.kustomize(overlay.path())
    }
}
