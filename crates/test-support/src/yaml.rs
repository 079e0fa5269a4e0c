//! Reading the repository's YAML files: the repository root and multi-document parsing.

use std::path::{Path, PathBuf};

use serde_yaml::Value;

/// The repository root (the driver package's directory).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

/// All non-empty documents of a YAML text; panics naming `origin` on invalid YAML.
pub fn parse_docs(text: &str, origin: &str) -> Vec<Value> {
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

/// All documents of the file at `rel` (relative to the repository root).
pub fn load(rel: &str) -> Vec<Value> {
    let path = repo_root().join(rel);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    parse_docs(&text, rel)
}
