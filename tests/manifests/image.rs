//! The container image's build context: the Dockerfile's build stage copies everything
//! `cargo build --locked` reads. The context is rebuilt in a temporary directory the way Docker
//! sends it (`.dockerignore` applied with Docker's rules), laid out as the build stage's `COPY`
//! lines say, and `cargo metadata --locked --offline` runs there: a forgotten path dependency or
//! workspace member fails it just as it fails `cargo build` in the image build.
//!
//! `.dockerignore` rules, as Docker documents them (docs.docker.com, "Dockerignore files";
//! moby/patternmatcher): each line is a Go `filepath.Match` glob over the path relative to the
//! context root (`*` and `?` stop at `/`), `**` matches any number of directories, a pattern
//! also matches every path below a directory it matches, a leading `!` makes an exception, and
//! the last matching line decides. Character classes and escapes are refused (unused here).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::root;

/// One `.dockerignore` line: its glob split at `/`, and whether it is an exception (`!`).
struct Rule {
    exception: bool,
    segments: Vec<String>,
}

struct DockerIgnore(Vec<Rule>);

impl DockerIgnore {
    fn parse(text: &str) -> DockerIgnore {
        let mut rules = Vec::new();
        for line in text.lines() {
            if line.starts_with('#') {
                continue;
            }
            let line = line.trim();
            let (exception, pattern) = match line.strip_prefix('!') {
                Some(p) => (true, p.trim()),
                None => (false, line),
            };
            // filepath.Clean, and a leading `/` means the context root.
            let segments: Vec<String> = pattern
                .split('/')
                .filter(|s| !s.is_empty() && *s != ".")
                .map(str::to_string)
                .collect();
            if segments.is_empty() {
                continue;
            }
            assert!(
                !pattern.contains(['[', '\\']),
                ".dockerignore pattern {pattern:?}: character classes and escapes are not modelled by this test; extend it"
            );
            rules.push(Rule {
                exception,
                segments,
            });
        }
        DockerIgnore(rules)
    }

    /// Is the context path `path` (`/`-separated, relative) left out of the context?
    fn excludes(&self, path: &str) -> bool {
        let parts: Vec<&str> = path.split('/').collect();
        let mut excluded = false;
        for r in &self.0 {
            // The path itself or one of its parent directories.
            let hit = (1..=parts.len()).any(|n| glob_path(&r.segments, &parts[..n]));
            if hit {
                excluded = !r.exception;
            }
        }
        excluded
    }

    /// Can an exception rule re-include something below the excluded directory `dir`?
    fn may_reinclude_below(&self, dir: &str) -> bool {
        let parts: Vec<&str> = dir.split('/').collect();
        self.0
            .iter()
            .filter(|r| r.exception)
            .any(|r| prefix_compatible(&r.segments, &parts))
    }
}

/// `pat` (segments, `**` allowed) matches all of `path`.
fn glob_path(pat: &[String], path: &[&str]) -> bool {
    match pat.split_first() {
        None => path.is_empty(),
        Some((first, rest)) if first == "**" => {
            (0..=path.len()).any(|i| glob_path(rest, &path[i..]))
        }
        Some((first, rest)) => match path.split_first() {
            Some((p, prest)) => {
                glob_segment(first.as_bytes(), p.as_bytes()) && glob_path(rest, prest)
            }
            None => false,
        },
    }
}

/// Could `pat` match some path that starts with `dir`?
fn prefix_compatible(pat: &[String], dir: &[&str]) -> bool {
    match (pat.split_first(), dir.split_first()) {
        (_, None) => true,
        (None, Some(_)) => false,
        (Some((first, _)), Some(_)) if first == "**" => true,
        (Some((first, rest)), Some((d, drest))) => {
            glob_segment(first.as_bytes(), d.as_bytes()) && prefix_compatible(rest, drest)
        }
    }
}

/// One path segment against a glob segment with `*` and `?`.
fn glob_segment(p: &[u8], s: &[u8]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => (0..=s.len()).any(|i| glob_segment(rest, &s[i..])),
        Some((b'?', rest)) => !s.is_empty() && glob_segment(rest, &s[1..]),
        Some((c, rest)) => s.first() == Some(c) && glob_segment(rest, &s[1..]),
    }
}

/// Every file of the build context (relative path → absolute path), as Docker would send it.
fn context_files(dir: &Path, ignore: &DockerIgnore) -> BTreeMap<String, PathBuf> {
    fn walk(base: &Path, rel: &str, ignore: &DockerIgnore, out: &mut BTreeMap<String, PathBuf>) {
        let dir = if rel.is_empty() {
            base.to_path_buf()
        } else {
            base.join(rel)
        };
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
            .map(|e| e.unwrap())
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let name = e.file_name().to_string_lossy().into_owned();
            let path = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            let ty = e.file_type().unwrap();
            if ty.is_dir() {
                if !ignore.excludes(&path) || ignore.may_reinclude_below(&path) {
                    walk(base, &path, ignore, out);
                }
            } else if !ignore.excludes(&path) {
                out.insert(path, e.path());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, "", ignore, &mut out);
    out
}

/// The build stage's `WORKDIR` and `COPY` lines (sources, destination), continuation lines
/// joined. `COPY --from=...` (other stages) is not from the context and is skipped.
fn build_stage_copies(dockerfile: &str) -> (String, Vec<(Vec<String>, String)>) {
    let joined = dockerfile.replace("\\\n", " ");
    let mut workdir = "/".to_string();
    let mut copies = Vec::new();
    let mut stages = 0;
    for line in joined.lines().map(str::trim) {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let mut words = line.split_whitespace();
        let instr = words.next().unwrap_or_default().to_ascii_uppercase();
        match instr.as_str() {
            "FROM" => stages += 1,
            // Only the first stage builds the binary; later stages copy from it.
            _ if stages != 1 => {}
            "WORKDIR" => workdir = words.next().expect("WORKDIR path").to_string(),
            "COPY" | "ADD" => {
                let args: Vec<&str> = words.collect();
                if args.iter().any(|a| a.starts_with("--from")) {
                    continue;
                }
                let mut paths: Vec<String> = args
                    .into_iter()
                    .filter(|a| !a.starts_with("--"))
                    .map(str::to_string)
                    .collect();
                assert!(
                    !paths.iter().any(|p| p.starts_with('[')),
                    "{line}: the JSON form of COPY is not modelled by this test"
                );
                let dest = paths.pop().expect("COPY destination");
                copies.push((paths, dest));
            }
            _ => {}
        }
    }
    (workdir, copies)
}

/// Lays the context out in `out` (standing for the build stage's WORKDIR) as the `COPY` lines
/// say. Errors like Docker when a source is not in the context.
fn lay_out(
    files: &BTreeMap<String, PathBuf>,
    workdir: &str,
    copies: &[(Vec<String>, String)],
    out: &Path,
) -> Result<(), String> {
    for (sources, dest) in copies {
        let dest_in_workdir = if let Some(abs) = dest.strip_prefix('/') {
            abs.strip_prefix(workdir.trim_matches('/'))
                .ok_or_else(|| format!("COPY destination {dest} is outside WORKDIR {workdir}"))?
                .trim_start_matches('/')
                .to_string()
        } else {
            dest.trim_start_matches("./")
                .trim_end_matches('.')
                .to_string()
        };
        let into_dir = dest.ends_with('/') || sources.len() > 1 || dest == "." || dest == "./";
        for src in sources {
            assert!(
                !src.contains(['*', '?']),
                "COPY {src}: wildcards are not modelled by this test"
            );
            let src = src.trim_start_matches("./").trim_end_matches('/');
            let target = out.join(&dest_in_workdir);
            if let Some(file) = files.get(src) {
                let to = if into_dir {
                    target.join(Path::new(src).file_name().unwrap())
                } else {
                    target
                };
                std::fs::create_dir_all(to.parent().unwrap()).unwrap();
                std::fs::copy(file, &to).unwrap();
                continue;
            }
            let prefix = format!("{src}/");
            let mut any = false;
            for (rel, file) in files.range(prefix.clone()..) {
                let Some(below) = rel.strip_prefix(&prefix) else {
                    break;
                };
                let to = target.join(below);
                std::fs::create_dir_all(to.parent().unwrap()).unwrap();
                std::fs::copy(file, &to).unwrap();
                any = true;
            }
            if !any {
                return Err(format!(
                    "COPY {src}: not found in the build context (missing, or excluded by .dockerignore)"
                ));
            }
        }
    }
    Ok(())
}

/// Rebuilds the build stage's source tree from `dockerfile` and `dockerignore` over the
/// repository and checks cargo can load the workspace there, locked and offline, and that the
/// files the binary's build reads are present.
fn check_image_context(dockerfile: &str, dockerignore: &str) -> Result<(), String> {
    let repo = root();
    let files = context_files(&repo, &DockerIgnore::parse(dockerignore));
    let (workdir, copies) = build_stage_copies(dockerfile);
    let tmp = tempfile::tempdir().unwrap();
    lay_out(&files, &workdir, &copies, tmp.path())?;
    // The image builds for Linux; resolving for one platform keeps it offline-friendly (other
    // platforms' crates are never downloaded on this machine).
    let platform = format!("{}-unknown-linux-gnu", std::env::consts::ARCH);
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["metadata", "--locked", "--offline", "--format-version", "1"])
        .args(["--filter-platform", &platform])
        .current_dir(tmp.path())
        .output()
        .expect("run cargo metadata");
    if !out.status.success() {
        return Err(format!(
            "cargo metadata --locked --offline in the rebuilt image context failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // The targets `cargo build --bin connectors-csi` compiles: the driver's lib, bin and build
    // script, and the libraries of the workspace crates it depends on.
    let members: Vec<&str> = meta["workspace_members"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m.as_str())
        .collect();
    for p in meta["packages"].as_array().unwrap() {
        if !members.contains(&p["id"].as_str().unwrap_or_default()) {
            continue;
        }
        let name = p["name"].as_str().unwrap_or_default();
        let used = name == "connectors-csi"
            || meta["packages"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| d["name"] == "connectors-csi")
                .flat_map(|d| d["dependencies"].as_array().unwrap())
                .any(|d| d["name"] == name && d["kind"].is_null());
        if !used {
            continue;
        }
        for t in p["targets"].as_array().unwrap() {
            let kinds: Vec<&str> = t["kind"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|k| k.as_str())
                .collect();
            if !kinds
                .iter()
                .any(|k| ["lib", "bin", "custom-build"].contains(k))
            {
                continue;
            }
            let src = Path::new(t["src_path"].as_str().unwrap());
            if !src.is_file() {
                return Err(format!(
                    "{name}'s {kinds:?} target {} is not in the image context",
                    src.display()
                ));
            }
        }
    }
    // build.rs compiles the CSI proto.
    let build_rs = std::fs::read_to_string(repo.join("build.rs")).unwrap();
    let proto = build_rs
        .split("const PROTO_FILE: &str = \"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("build.rs names PROTO_FILE");
    if !tmp.path().join(proto).is_file() {
        return Err(format!(
            "{proto}, which build.rs compiles, is not in the image context"
        ));
    }
    Ok(())
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap()
}

#[test]
fn the_dockerfile_copies_everything_the_build_reads() {
    if let Err(e) = check_image_context(&read("Dockerfile"), &read(".dockerignore")) {
        panic!("the image build would fail: {e}");
    }
}

#[test]
fn a_dockerfile_missing_the_workspace_crates_fails_the_check() {
    let dockerfile = read("Dockerfile");
    let without: String = dockerfile
        .lines()
        .filter(|l| l.trim() != "COPY crates ./crates")
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(without, dockerfile, "the Dockerfile copies crates/");
    let err = check_image_context(&without, &read(".dockerignore")).unwrap_err();
    assert!(
        err.contains("failed to load manifest for dependency `gotmpl`"),
        "{err}"
    );
    // The crates copied, but their sources left out of the context by .dockerignore.
    let ignore: String = read(".dockerignore")
        .lines()
        .filter(|l| l.trim() != "!crates/*/src")
        .map(|l| format!("{l}\n"))
        .collect();
    let err = check_image_context(&dockerfile, &ignore).unwrap_err();
    assert!(err.contains("src/lib.rs"), "{err}");
}

#[test]
fn dockerignore_rules_follow_dockers_documented_examples() {
    let ig = DockerIgnore::parse("# comment\n*/temp*\n*/*/temp*\ntemp?\n");
    assert!(ig.excludes("somedir/temporary.txt"));
    assert!(ig.excludes("somedir/temp"));
    assert!(ig.excludes("somedir/subdir/temporary.txt"));
    assert!(ig.excludes("tempa"));
    assert!(!ig.excludes("temp"));
    assert!(!ig.excludes("a/b/c/temp"));
    let ig = DockerIgnore::parse("*.md\n!README*.md\nREADME-secret.md\n");
    assert!(ig.excludes("CHANGES.md") && ig.excludes("README-secret.md"));
    assert!(!ig.excludes("README.md"));
    let ig = DockerIgnore::parse("**/*.go\n*\n!src\n");
    assert!(ig.excludes("a/b/x.go") && ig.excludes("x.go"));
    assert!(
        !ig.excludes("src/main.rs"),
        "an exception re-includes a directory's files"
    );
    assert!(ig.excludes("target/debug/x"));
    assert!(ig.may_reinclude_below("src") && !ig.may_reinclude_below("target"));
}
