//! Hardening: no reader ever sees a torn or mixed payload, neither from the atomic writer under
//! 10k rotations on tmpfs nor through the driver during republishes and source changes. Real
//! tmpfs mounts: needs root (tests print a SKIP line otherwise); numbers in docs/hardening.md.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use connectors_csi::connector::memory::MemorySource;
use connectors_csi::connector::types::{Connector, ConnectorClass};
use connectors_csi::volume::atomic::{self, FileProjection, WriteOptions};
use test_support::*;

// ---------------------------------------------------------------------------------------------
// Torn reads
// ---------------------------------------------------------------------------------------------

/// What a reader thread saw.
#[derive(Default)]
struct ReadStats {
    reads: AtomicU64,
    snapshots: AtomicU64,
    superseded: AtomicU64,
    failed: AtomicU64,
    failures: Mutex<Vec<String>>,
}

impl ReadStats {
    fn fail(&self, msg: String) {
        self.failed.fetch_add(1, Ordering::Relaxed);
        let mut f = self.failures.lock().unwrap();
        if f.len() < 20 {
            f.push(msg);
        }
    }
}

/// Content of file `name` of generation `marker`: a header, `lines` body lines each repeating
/// the marker, and a trailer with the length and a checksum of everything before it, so a torn,
/// truncated or mixed read cannot pass [`check_generated`].
fn generated(name: &str, marker: &str, lines: usize) -> Vec<u8> {
    let mut body = format!("marker={marker}\nfile={name}\n");
    for i in 0..lines {
        body.push_str(&format!("{i:04} {marker} {}\n", "x".repeat(i % 61)));
    }
    let sum = fnv(body.as_bytes());
    body.push_str(&format!("len={} sum={sum:016x}\n", body.len()));
    body.into_bytes()
}

fn fnv(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf29ce484222325u64, |h, x| {
        (h ^ *x as u64).wrapping_mul(0x100000001b3)
    })
}

/// Returns the marker of a file written by [`generated`] after checking it is whole.
fn check_generated(name: &str, data: &[u8]) -> Result<String, String> {
    let text = std::str::from_utf8(data).map_err(|_| format!("{name}: not UTF-8"))?;
    let body_end = text
        .trim_end_matches('\n')
        .rfind('\n')
        .map(|i| i + 1)
        .ok_or_else(|| format!("{name}: no trailer ({} bytes)", data.len()))?;
    let (body, trailer) = text.split_at(body_end);
    let want = format!("len={} sum={:016x}\n", body.len(), fnv(body.as_bytes()));
    if trailer != want {
        return Err(format!(
            "{name}: torn/mixed content: trailer {trailer:?} != {want:?}"
        ));
    }
    let mut lines = body.lines();
    let marker = lines
        .next()
        .and_then(|l| l.strip_prefix("marker="))
        .ok_or_else(|| format!("{name}: no marker line"))?
        .to_string();
    if lines.next() != Some(&format!("file={name}")) {
        return Err(format!("{name}: content of another file"));
    }
    for l in lines {
        if l.split(' ').nth(1) != Some(marker.as_str()) {
            return Err(format!("{name}: line {l:?} is not of generation {marker}"));
        }
    }
    Ok(marker)
}

/// Reader loop over `dir`: every file through its user-visible name (must never be missing,
/// torn, or older than what this thread saw before), and — with `snapshot` — all files through
/// one resolution of `..data`, which must be of one generation (a snapshot whose directory was
/// removed by a later rotation is counted as superseded and retried).
fn reader_loop(
    dir: PathBuf,
    files: Vec<String>,
    check: Arc<dyn Fn(&str, &[u8]) -> Result<String, String> + Send + Sync>,
    order: Arc<dyn Fn(&str) -> u64 + Send + Sync>,
    snapshot: bool,
    stop: Arc<AtomicBool>,
    stats: Arc<ReadStats>,
) {
    let mut last: HashMap<String, u64> = HashMap::new();
    while !stop.load(Ordering::Relaxed) {
        if !snapshot {
            for f in &files {
                match std::fs::read(dir.join(f)) {
                    Ok(data) => match check(f, &data) {
                        Ok(marker) => {
                            let n = order(&marker);
                            let prev = last.insert(f.clone(), n).unwrap_or(0);
                            if n < prev {
                                stats.fail(format!("{f}: generation went back {prev} -> {n}"));
                            }
                        }
                        Err(e) => stats.fail(e),
                    },
                    Err(e) => stats.fail(format!("{f}: read failed: {e}")),
                }
                stats.reads.fetch_add(1, Ordering::Relaxed);
            }
            continue;
        }
        let Ok(data_dir) = std::fs::read_link(dir.join(atomic::DATA_DIR)) else {
            stats.fail("..data missing".into());
            continue;
        };
        let mut markers = BTreeMap::new();
        let mut gone = false;
        for f in &files {
            match std::fs::read(dir.join(&data_dir).join(f)) {
                Ok(data) => match check(f, &data) {
                    Ok(m) => {
                        markers.insert(f.clone(), m);
                    }
                    Err(e) => stats.fail(e),
                },
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    gone = true;
                    break;
                }
                Err(e) => stats.fail(format!("{f}: snapshot read failed: {e}")),
            }
            stats.reads.fetch_add(1, Ordering::Relaxed);
        }
        if gone {
            // Only acceptable when ..data has moved on (the old directory was retired).
            match std::fs::read_link(dir.join(atomic::DATA_DIR)) {
                Ok(now) if now != data_dir => {
                    stats.superseded.fetch_add(1, Ordering::Relaxed);
                }
                _ => stats.fail(format!(
                    "file missing from the current payload directory {data_dir:?}"
                )),
            }
            continue;
        }
        let distinct: std::collections::BTreeSet<&String> = markers.values().collect();
        if distinct.len() > 1 {
            stats.fail(format!(
                "mixed generations in one ..data snapshot: {markers:?}"
            ));
        }
        stats.snapshots.fetch_add(1, Ordering::Relaxed);
    }
}

fn spawn_readers(
    dir: &Path,
    files: &[&str],
    check: Arc<dyn Fn(&str, &[u8]) -> Result<String, String> + Send + Sync>,
    order: Arc<dyn Fn(&str) -> u64 + Send + Sync>,
    stop: &Arc<AtomicBool>,
    stats: &Arc<ReadStats>,
    modes: &[bool],
) -> Vec<std::thread::JoinHandle<()>> {
    let files: Vec<String> = files.iter().map(|s| s.to_string()).collect();
    modes
        .iter()
        .copied()
        .map(|snapshot| {
            let (dir, files, check, order, stop, stats) = (
                dir.to_path_buf(),
                files.clone(),
                check.clone(),
                order.clone(),
                stop.clone(),
                stats.clone(),
            );
            std::thread::spawn(move || reader_loop(dir, files, check, order, snapshot, stop, stats))
        })
        .collect()
}

fn assert_no_read_failures(what: &str, stats: &ReadStats) {
    let failures = stats.failures.lock().unwrap();
    assert!(
        failures.is_empty(),
        "{what}: readers saw {} torn, mixed or missing files: {failures:#?}",
        stats.failed.load(Ordering::Relaxed)
    );
}

const WRITER_FILES: &[&str] = &["kubeconfig", "context.token", ".env", "config.json"];

#[test]
fn torn_reads_atomic_writer_10k_rotations_on_tmpfs() {
    if !require_root("torn_reads_atomic_writer_10k_rotations_on_tmpfs") {
        return;
    }
    const ROTATIONS: u64 = 10_000;
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("vol");
    mount_test_tmpfs(&dir, 16 * 1024 * 1024);
    let _cleanup = UnmountOnDrop(dir.clone());
    let payload = |n: u64| -> BTreeMap<String, FileProjection> {
        WRITER_FILES
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let lines = 4 + ((n as usize * 7 + i * 13) % 40);
                (
                    f.to_string(),
                    FileProjection {
                        data: generated(f, &format!("gen-{n}"), lines),
                        mode: 0o440,
                    },
                )
            })
            .collect()
    };
    let opts = WriteOptions {
        gid: None,
        dir_mode: 0o550,
        known_changed: false,
    };
    atomic::write_payload(&dir, &payload(0), opts).unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let stats = Arc::new(ReadStats::default());
    let readers = spawn_readers(
        &dir,
        WRITER_FILES,
        Arc::new(check_generated),
        Arc::new(|m: &str| m.trim_start_matches("gen-").parse().unwrap_or(0)),
        &stop,
        &stats,
        // One reader through the user-visible names, one through ..data snapshots (2 cores).
        &[false, true],
    );
    let started = Instant::now();
    let mut swapped = 0u64;
    for n in 1..=ROTATIONS {
        if atomic::write_payload(&dir, &payload(n), opts)
            .unwrap()
            .swapped
        {
            swapped += 1;
        }
    }
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        r.join().unwrap();
    }
    let _ = connectors_csi::volume::mount::unmount_ours(&dir);
    eprintln!(
        "atomic writer: {swapped} rotations in {:.2?}; {} file reads, {} consistent ..data snapshots, {} snapshots superseded mid-read, 0 torn/mixed/missing",
        elapsed,
        stats.reads.load(Ordering::Relaxed),
        stats.snapshots.load(Ordering::Relaxed),
        stats.superseded.load(Ordering::Relaxed),
    );
    assert_no_read_failures("atomic writer", &stats);
    assert_eq!(
        swapped, ROTATIONS,
        "every rotation swapped a new payload in"
    );
    assert!(
        stats.reads.load(Ordering::Relaxed) > ROTATIONS,
        "readers kept up"
    );
    assert!(stats.snapshots.load(Ordering::Relaxed) > 0);
}

/// A class whose configuration `bundle` renders three files that each carry the marker
/// `<token>|<connector annotation gen>` on every line.
fn bundle_class() -> ConnectorClass {
    let file = |name: &str| {
        let mut t = format!(
            "marker={{{{ .context.token }}}}|{{{{ .connector.metadata.annotations.gen }}}}\nfile={name}\n"
        );
        for i in 0..30 {
            t.push_str(&format!(
                "{i:04} {{{{ .context.token }}}}|{{{{ .connector.metadata.annotations.gen }}}}\n"
            ));
        }
        t.push_str(&format!("end={name}\n"));
        t
    };
    let mut data = serde_json::Map::new();
    for f in ["a.conf", "b.conf", "c.conf"] {
        data.insert(f.into(), serde_json::Value::String(file(f)));
    }
    serde_json::from_value(serde_json::json!({
        "apiVersion": "connectors.alauda.io/v1alpha1",
        "kind": "ConnectorClass",
        "metadata": {"name": "bundle-class"},
        "spec": {"configurations": [{"name": "bundle", "data": data}]}
    }))
    .unwrap()
}

fn bundle_connector(gen: u64) -> Connector {
    let mut c = connector(
        "team",
        "bundle",
        "https://bundle.example.com",
        "http://c-bundle.team.svc.cluster.local",
    );
    c.spec.connector_class_name = "bundle-class".into();
    c.metadata.annotations = Some(BTreeMap::from([("gen".to_string(), gen.to_string())]));
    c
}

/// Checks a `bundle` file: every line carries the same marker, the file ends with its trailer.
fn check_bundle(name: &str, data: &[u8]) -> Result<String, String> {
    let text = std::str::from_utf8(data).map_err(|_| format!("{name}: not UTF-8"))?;
    if name == "context.token" {
        return Ok(format!("{text}|?"));
    }
    let mut lines = text.lines();
    let marker = lines
        .next()
        .and_then(|l| l.strip_prefix("marker="))
        .ok_or_else(|| format!("{name}: no marker ({} bytes)", data.len()))?
        .to_string();
    if lines.next() != Some(&format!("file={name}")) {
        return Err(format!("{name}: content of another file"));
    }
    let mut body = 0;
    for l in lines {
        if l == format!("end={name}") {
            if body != 30 {
                return Err(format!("{name}: {body} body lines, want 30"));
            }
            return if text.ends_with(&format!("end={name}\n")) {
                Ok(marker)
            } else {
                Err(format!("{name}: data after the trailer"))
            };
        }
        if l.split(' ').nth(1) != Some(marker.as_str()) {
            return Err(format!("{name}: line {l:?} is not of generation {marker}"));
        }
        body += 1;
    }
    Err(format!("{name}: truncated (no end line)"))
}

/// Order of a bundle marker `tok-<t>|<g>`: rotations only ever increase t and g.
fn bundle_order(marker: &str) -> u64 {
    let (t, g) = marker.split_once('|').unwrap_or((marker, "0"));
    let t: u64 = t.trim_start_matches("tok-").parse().unwrap_or(0);
    let g: u64 = g.parse().unwrap_or(0);
    t * 1_000_000 + g
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn torn_reads_through_the_driver_republish_and_source_changes() {
    if !require_root("torn_reads_through_the_driver_republish_and_source_changes") {
        return;
    }
    const REPUBLISHES: u64 = 300;
    const SOURCE_CHANGES: u64 = 300;
    let src = MemorySource::new();
    src.set(|s| {
        s.insert_class(bundle_class());
        s.insert_connector(bundle_connector(0));
    });
    let t = TestDriver::start(src.clone()).await;
    let mut node = t.node.clone();
    let target = t.target("vol-torn");
    let attrs = [
        ("connector.name", "bundle"),
        ("configuration.names", "bundle"),
    ];
    node.node_publish_volume(publish_request("vol-torn", &target, &attrs, "tok-0"))
        .await
        .unwrap();

    // Readers check the class files and the built-in context.token; a snapshot is consistent
    // when all bundle files carry one marker and context.token equals its token half.
    let stop = Arc::new(AtomicBool::new(false));
    let stats = Arc::new(ReadStats::default());
    let bundle_files = ["a.conf", "b.conf", "c.conf"];
    let readers = spawn_readers(
        &target,
        &bundle_files,
        Arc::new(check_bundle),
        Arc::new(bundle_order),
        &stop,
        &stats,
        &[false, true],
    );
    // A separate snapshot reader for cross-file consistency including context.token.
    let token_reader = {
        let (dir, stop, stats) = (target.clone(), stop.clone(), stats.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let Ok(d) = std::fs::read_link(dir.join(atomic::DATA_DIR)) else {
                    stats.fail("..data missing".into());
                    continue;
                };
                let tok = std::fs::read_to_string(dir.join(&d).join("context.token"));
                let a = std::fs::read(dir.join(&d).join("a.conf"));
                match (tok, a) {
                    (Ok(tok), Ok(a)) => match check_bundle("a.conf", &a) {
                        Ok(m) if m.split('|').next() == Some(tok.as_str()) => {
                            stats.snapshots.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(m) => stats.fail(format!(
                            "context.token {tok:?} and a.conf marker {m:?} from different renders"
                        )),
                        Err(e) => stats.fail(e),
                    },
                    _ => {
                        stats.superseded.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        })
    };

    let started = Instant::now();
    // 1. Kubelet-style republish with a new token each time (synchronous rotations).
    for n in 1..=REPUBLISHES {
        node.node_publish_volume(publish_request(
            "vol-torn",
            &target,
            &attrs,
            &format!("tok-{n}"),
        ))
        .await
        .unwrap();
        let tok = std::fs::read_to_string(target.join("context.token")).unwrap();
        assert_eq!(tok, format!("tok-{n}"), "republish {n} rotated the token");
    }
    let republish_time = started.elapsed();
    // 2. Connector changes in the source, re-rendered by the driver's event listener.
    let started2 = Instant::now();
    for g in 1..=SOURCE_CHANGES {
        src.set(|s| s.insert_connector(bundle_connector(g)));
        let want = format!("marker=tok-{REPUBLISHES}|{g}\n");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let a = std::fs::read_to_string(target.join("a.conf")).unwrap();
            if a.starts_with(&want) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "source change {g} not rendered within 10 s"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    let source_time = started2.elapsed();
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        r.join().unwrap();
    }
    token_reader.join().unwrap();
    eprintln!(
        "driver: {REPUBLISHES} republish rotations in {republish_time:.2?}, {SOURCE_CHANGES} source-change rotations in {source_time:.2?}; {} file reads, {} consistent snapshots, {} superseded, 0 torn/mixed/missing",
        stats.reads.load(Ordering::Relaxed),
        stats.snapshots.load(Ordering::Relaxed),
        stats.superseded.load(Ordering::Relaxed),
    );
    assert_no_read_failures("driver", &stats);
    node.node_unpublish_volume(unpublish_request("vol-torn", &target))
        .await
        .unwrap();
    assert!(our_mounts_under(&t.kubelet_dir()).is_empty());
    t.stop().await;
}
