//! Every relative link in README.md and docs/*.md, and every repository path they quote in
//! backticks (`deploy/…`, `docs/…`, …), points at a file or directory that exists.

use std::path::Path;

use test_support::yaml::repo_root;

/// Top-level folders whose quoted paths are checked (quoted names elsewhere may be examples).
const QUOTED_ROOTS: &[&str] = &[
    "deploy/", "docs/", "charts/", "tests/", "src/", "crates/", "benches/", "proto/",
];

/// `(target, line)` of every `[text](target)` link in `text`.
fn markdown_links(text: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(i) = rest.find("](") {
            let after = &rest[i + 2..];
            let Some(end) = after.find(')') else { break };
            out.push((after[..end].trim().to_string(), n + 1));
            rest = &after[end..];
        }
    }
    out
}

/// `(path, line)` of every backtick-quoted repository path without wildcards or placeholders.
fn quoted_paths(text: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        for (i, span) in line.split('`').enumerate() {
            let quoted = i % 2 == 1;
            if quoted
                && QUOTED_ROOTS.iter().any(|r| span.starts_with(r))
                && !span.contains(|c: char| c.is_whitespace() || "*<>{}|…".contains(c))
            {
                out.push((span.to_string(), n + 1));
            }
        }
    }
    out
}

fn documents(root: &Path) -> Vec<std::path::PathBuf> {
    let mut docs = vec![root.join("README.md")];
    for e in std::fs::read_dir(root.join("docs")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "md") {
            docs.push(p);
        }
    }
    docs
}

#[test]
fn relative_links_and_quoted_paths_in_the_docs_resolve() {
    let root = repo_root();
    let mut broken = Vec::new();
    let mut checked = 0;
    for doc in documents(&root) {
        let text = std::fs::read_to_string(&doc).unwrap();
        let rel = doc.strip_prefix(&root).unwrap().display().to_string();
        for (target, line) in markdown_links(&text) {
            if target.contains("://") || target.starts_with('#') || target.starts_with("mailto:") {
                continue;
            }
            let path = target.split('#').next().unwrap();
            checked += 1;
            if !doc.parent().unwrap().join(path).exists() {
                broken.push(format!("{rel}:{line}: link {target}"));
            }
        }
        for (path, line) in quoted_paths(&text) {
            checked += 1;
            if !root.join(path.trim_end_matches(':')).exists() {
                broken.push(format!("{rel}:{line}: path `{path}`"));
            }
        }
    }
    assert!(
        checked > 20,
        "only {checked} links found; is the scan broken?"
    );
    assert!(
        broken.is_empty(),
        "dead links or paths:\n{}",
        broken.join("\n")
    );
}

#[test]
fn the_scanner_finds_links_and_paths() {
    let text = "see [a](docs/a.md#x) and `deploy/b.yaml`, not `tests/*.rs` or `src/<m>`\n";
    assert_eq!(markdown_links(text), vec![("docs/a.md#x".to_string(), 1)]);
    assert_eq!(quoted_paths(text), vec![("deploy/b.yaml".to_string(), 1)]);
}
