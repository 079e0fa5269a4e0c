//! Checks of the install manifests: the kustomize base and examples under `deploy/` and the Helm
//! chart under `charts/connectors-csi/`.
//!
//! What these tests establish:
//! * every YAML file under `deploy/` parses (all documents) and names its objects;
//! * the CSIDriver, DaemonSet and RBAC carry the settings the driver depends on, and the
//!   DaemonSet is internally consistent (every mount has a volume, the registrar points at the
//!   socket the driver serves, the probes hit the ports that serve them, the token audience
//!   matches the CSIDriver's tokenRequests, ...);
//! * the CRDs have the right scope, versions, status subresource and printer columns, and the
//!   example Connectors/ConnectorClasses satisfy their schemas (types and required fields);
//! * the usage examples mount Connectors and configurations that exist, read-only, with the
//!   RBAC the driver checks;
//! * the kustomization lists exactly the manifests that exist;
//! * the real `kubectl kustomize` (kubectl 1.36, kustomize v5) builds the base and the base with
//!   each component of `deploy/components/`, and the built objects carry what each promises;
//! * the real `helm lint --strict` passes and `helm template` renders for every documented value
//!   set; `values.schema.json` rejects unknown keys and wrong types; with default values the
//!   chart renders the same objects as the kustomize base (helm's own labels aside);
//! * the image's build context (Dockerfile `COPY` lines and `.dockerignore`) holds everything
//!   `cargo build --locked` reads (`image.rs`).
//!
//! helm and kubectl come from `.ci/install-tools` (pinned, into a per-user cache) or
//! `$CONNECTORS_CSI_HELM`/`$CONNECTORS_CSI_KUBECTL`; without them the tests that need them print
//! SKIP with that command, and fail under `CONNECTORS_CSI_REQUIRE_TOOLS=1` (CI).
//!
//! What they cannot establish: that the API server accepts the objects (no cluster here; the
//! schemas were checked by hand with the `kubernetes-validate` tool, see docs/install.md), and
//! that `docker build` itself succeeds (no container runtime here; `image.rs` checks the context
//! with `cargo metadata`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_yaml::Value;
use test_support::k8s_tools::{k8s_tools, K8sTools};

mod apf;
mod chart;
mod checks;
mod crds;
mod doc_links;
mod example_ca;
mod image;
mod kustomize;
mod monitoring;
mod usage;

// ---------------------------------------------------------------------------------------------
// Loading

/// The real helm and kubectl, or `None` (SKIP printed) when they are not installed.
fn tools(test: &str) -> Option<&'static K8sTools> {
    k8s_tools(test)
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// All non-empty documents of a YAML text.
fn parse_docs(text: &str, origin: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for (i, doc) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let v: Value = serde::Deserialize::deserialize(doc)
            .unwrap_or_else(|e| panic!("{origin}: document {i} is not valid YAML: {e}"));
        if !v.is_null() {
            out.push(v);
        }
    }
    out
}

fn load(rel: &str) -> Vec<Value> {
    let path = root().join(rel);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    parse_docs(&text, rel)
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            yaml_files(&p, out);
        } else if matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("yaml") | Some("yml")
        ) {
            out.push(p);
        }
    }
}

fn rel(p: &Path) -> String {
    p.strip_prefix(root()).unwrap_or(p).display().to_string()
}

// ---------------------------------------------------------------------------------------------
// Navigating YAML

/// `get(v, "spec.template.spec")`; numeric segments index sequences.
fn get<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = v;
    for seg in path.split('.') {
        cur = match cur {
            Value::Mapping(m) => m.get(seg)?,
            Value::Sequence(s) => s.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn req<'a>(v: &'a Value, path: &str, what: &str) -> &'a Value {
    get(v, path).unwrap_or_else(|| panic!("{what}: missing {path}"))
}

fn s<'a>(v: &'a Value, path: &str, what: &str) -> &'a str {
    req(v, path, what)
        .as_str()
        .unwrap_or_else(|| panic!("{what}: {path} is not a string"))
}

fn seq<'a>(v: &'a Value, path: &str, what: &str) -> &'a Vec<Value> {
    req(v, path, what)
        .as_sequence()
        .unwrap_or_else(|| panic!("{what}: {path} is not a list"))
}

fn kind(v: &Value) -> &str {
    v.get("kind").and_then(Value::as_str).unwrap_or("")
}

fn name(v: &Value) -> &str {
    get(v, "metadata.name")
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn find<'a>(docs: &'a [Value], k: &str, n: &str) -> &'a Value {
    docs.iter()
        .find(|d| kind(d) == k && name(d) == n)
        .unwrap_or_else(|| panic!("no {k} named {n:?}"))
}

fn by_name<'a>(list: &'a [Value], n: &str, what: &str) -> &'a Value {
    list.iter()
        .find(|c| c.get("name").and_then(Value::as_str) == Some(n))
        .unwrap_or_else(|| panic!("{what}: no entry named {n:?}"))
}

fn env_value<'a>(container: &'a Value, var: &str) -> Option<&'a Value> {
    container
        .get("env")?
        .as_sequence()?
        .iter()
        .find(|e| e.get("name").and_then(Value::as_str) == Some(var))
}

fn env_str<'a>(container: &'a Value, var: &str) -> &'a str {
    env_value(container, var)
        .and_then(|e| e.get("value"))
        .and_then(Value::as_str)
        .unwrap_or_else(|| {
            panic!(
                "container {} has no env {var} with a value",
                name_of(container)
            )
        })
}

fn name_of(v: &Value) -> &str {
    v.get("name").and_then(Value::as_str).unwrap_or("?")
}

fn args(container: &Value) -> Vec<&str> {
    container
        .get("args")
        .and_then(Value::as_sequence)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn flag<'a>(container: &'a Value, flag: &str) -> Option<&'a str> {
    let prefix = format!("{flag}=");
    args(container)
        .into_iter()
        .find_map(|a| a.strip_prefix(prefix.as_str()))
}

fn int(v: &Value, path: &str, what: &str) -> i64 {
    req(v, path, what)
        .as_i64()
        .unwrap_or_else(|| panic!("{what}: {path} is not an integer"))
}
