//! Hardening suite: torn-read checks under heavy rotation, a property-based corpus of bad
//! requests, the tmpfs size cap, and log/permission hygiene. Real tmpfs mounts: needs root (tests
//! print a SKIP line otherwise). Numbers measured here are recorded in docs/hardening.md.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use connectors_csi::connector::memory::MemorySource;
use connectors_csi::connector::types::{Connector, ConnectorClass};
use connectors_csi::csi::proto;
use connectors_csi::volume::atomic::{self, FileProjection, WriteOptions};
use proptest::prelude::*;
use proptest::test_runner::{Config as PropConfig, TestCaseError, TestRunner};
use test_support::*;
use tonic::Code;

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

// ---------------------------------------------------------------------------------------------
// Bad input corpus
// ---------------------------------------------------------------------------------------------

/// A map entry on the wire (`map<string,string>` is `repeated Entry{key=1,value=2}`), declared
/// as bytes so the corpus can send invalid UTF-8 and duplicate keys.
#[derive(Clone, PartialEq, prost::Message)]
struct RawEntry {
    #[prost(bytes = "vec", tag = "1")]
    key: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    value: Vec<u8>,
}

/// NodePublishVolumeRequest with its string fields declared as bytes.
#[derive(Clone, PartialEq, prost::Message)]
struct RawPublishRequest {
    #[prost(bytes = "vec", tag = "1")]
    volume_id: Vec<u8>,
    #[prost(bytes = "vec", tag = "4")]
    target_path: Vec<u8>,
    #[prost(message, optional, tag = "5")]
    volume_capability: Option<proto::VolumeCapability>,
    #[prost(bool, tag = "6")]
    readonly: bool,
    #[prost(message, repeated, tag = "7")]
    secrets: Vec<RawEntry>,
    #[prost(message, repeated, tag = "8")]
    volume_context: Vec<RawEntry>,
}

impl RawPublishRequest {
    fn from_typed(r: &proto::NodePublishVolumeRequest) -> Self {
        let entries = |m: &HashMap<String, String>| {
            let mut v: Vec<RawEntry> = m
                .iter()
                .map(|(k, v)| RawEntry {
                    key: k.as_bytes().to_vec(),
                    value: v.as_bytes().to_vec(),
                })
                .collect();
            v.sort_by(|a, b| a.key.cmp(&b.key));
            v
        };
        RawPublishRequest {
            volume_id: r.volume_id.as_bytes().to_vec(),
            target_path: r.target_path.as_bytes().to_vec(),
            volume_capability: r.volume_capability.clone(),
            readonly: r.readonly,
            secrets: entries(&r.secrets),
            volume_context: entries(&r.volume_context),
        }
    }
}

/// Sends a hand-encoded NodePublishVolume on the raw gRPC path.
async fn send_raw(
    channel: tonic::transport::Channel,
    msg: RawPublishRequest,
) -> Result<(), tonic::Status> {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready()
        .await
        .map_err(|e| tonic::Status::unavailable(format!("channel not ready: {e}")))?;
    let codec =
        tonic_prost::ProstCodec::<RawPublishRequest, proto::NodePublishVolumeResponse>::default();
    grpc.unary(
        tonic::Request::new(msg),
        tonic::codegen::http::uri::PathAndQuery::from_static("/csi.v1.Node/NodePublishVolume"),
        codec,
    )
    .await
    .map(|_| ())
}

const CORPUS_TOKEN: &str = "tok-CORPUS-SECRET-7f3a";

/// File names a hostile class might declare.
const EVIL_FILE_NAMES: &[&str] = &[
    "../x",
    "/etc/passwd",
    "..data",
    "..",
    ".",
    "a/b",
    "",
    "..2026_01_01_00_00_00.1.x",
    "..data_tmp",
    "a\u{0}b",
    "a b",
    "ä",
    "../../../../etc/shadow",
];

/// Templates that fail to parse or to execute.
const BROKEN_TEMPLATES: &[&str] = &[
    "{{ .connector.metadata.name",
    "{{ end }}",
    "{{ if }}x{{ end }}",
    "{{ range .x }}",
    "{{ template \"nope\" }}",
    "{{ nosuchfunc 1 }}",
    "{{ b64dec \"!!!\" }}",
    "{{ urlParse \"http://a b\" }}",
    "{{ index .context.token 1 2 3 }}",
    "{{ define \"x\" }}",
    "{{ .context.token | b64dec }}",
    "}}{{",
];

/// Classes and connectors the corpus refers to: `evil` (bad file names), `broken` (bad
/// templates), `huge` (output over the payload cap), `rand-tpl` (replaced per case).
fn corpus_source() -> Arc<MemorySource> {
    let src = default_source();
    let class = |name: &str, configs: Vec<(String, BTreeMap<String, String>)>| {
        let configs: Vec<serde_json::Value> = configs
            .into_iter()
            .map(|(n, d)| serde_json::json!({"name": n, "data": d}))
            .collect();
        let c: ConnectorClass = serde_json::from_value(serde_json::json!({
            "apiVersion": "connectors.alauda.io/v1alpha1",
            "kind": "ConnectorClass",
            "metadata": {"name": name},
            "spec": {"configurations": configs}
        }))
        .unwrap();
        c
    };
    let evil = class(
        "evil",
        EVIL_FILE_NAMES
            .iter()
            .enumerate()
            .map(|(i, f)| {
                (
                    format!("evil-{i}"),
                    BTreeMap::from([(f.to_string(), "pwned {{ .context.token }}".to_string())]),
                )
            })
            .collect(),
    );
    let broken = class(
        "broken",
        BROKEN_TEMPLATES
            .iter()
            .enumerate()
            .map(|(i, t)| {
                (
                    format!("broken-{i}"),
                    BTreeMap::from([("out.txt".to_string(), t.to_string())]),
                )
            })
            .collect(),
    );
    let huge = class(
        "huge",
        vec![(
            "big".into(),
            BTreeMap::from([(
                "big.txt".to_string(),
                "A".repeat(connectors_csi::render::MAX_PAYLOAD_BYTES + 1),
            )]),
        )],
    );
    src.set(|s| {
        s.insert_class(evil);
        s.insert_class(broken);
        s.insert_class(huge);
        for (name, class) in [
            ("evil-c", "evil"),
            ("broken-c", "broken"),
            ("huge-c", "huge"),
            ("rand-c", "rand-tpl"),
        ] {
            let mut c = connector("team", name, "https://x.example.com", "http://p.team.svc");
            c.spec.connector_class_name = class.into();
            s.insert_connector(c);
        }
    });
    src
}

fn rand_tpl_class(template: &str) -> ConnectorClass {
    serde_json::from_value(serde_json::json!({
        "apiVersion": "connectors.alauda.io/v1alpha1",
        "kind": "ConnectorClass",
        "metadata": {"name": "rand-tpl"},
        "spec": {"configurations": [{"name": "rt", "data": {"out.txt": template}}]}
    }))
    .unwrap()
}

/// A generated string whose Debug output stays short (huge inputs would flood failure reports).
#[derive(Clone)]
struct S(String);

impl std::fmt::Debug for S {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.len() <= 80 {
            write!(f, "{:?}", self.0)
        } else {
            let mut cut = 60;
            while !self.0.is_char_boundary(cut) {
                cut -= 1;
            }
            write!(f, "{:?}…({} bytes)", &self.0[..cut], self.0.len())
        }
    }
}

impl std::ops::Deref for S {
    type Target = String;
    fn deref(&self) -> &String {
        &self.0
    }
}

/// One generated bad input.
#[derive(Debug, Clone)]
enum Mutation {
    TargetDots {
        segs: Vec<String>,
        at: usize,
        dots: bool,
    },
    TargetRelative(Vec<String>),
    TargetOutside(String, Vec<String>),
    TargetHuge(usize),
    TargetNul(usize),
    TargetSlashes(bool),
    TargetThroughSymlink(Vec<String>),
    TargetIsAFile,
    TargetForeignMount,
    VolumeId(S),
    UnknownAttribute(S, S),
    BadConnectorName(S),
    DuplicateConnector(S),
    DuplicateConfiguration,
    BothConnectorForms,
    MalformedParams(S),
    ParamsForUnlisted(S),
    BadFileMode(S),
    BadExpiration(S),
    NulInAttribute(usize, usize),
    HugeAttributes(usize),
    BadCapability(u8),
    BadTokens(S),
    ClassFileName(usize),
    BrokenTemplate(usize),
    RandomTemplate(S),
    HugeOutput,
    UnknownConfiguration(S),
    InvalidUtf8 {
        field: u8,
        pos: usize,
        bytes: Vec<u8>,
    },
    DuplicateWireKey(S),
}

fn seg() -> impl Strategy<Value = String> {
    "[a-z0-9_-]{1,12}"
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let known = [
        "connector.name",
        "connector.namespace",
        "connectors",
        "configuration.names",
        "configuration.params",
        "token.expiration",
        "file.mode",
    ];
    prop_oneof![
        (prop::collection::vec(seg(), 1..6), any::<prop::sample::Index>(), any::<bool>())
            .prop_map(|(segs, at, dots)| {
                let at = at.index(segs.len() + 1);
                Mutation::TargetDots { segs, at, dots }
            }),
        prop::collection::vec(seg(), 1..5).prop_map(Mutation::TargetRelative),
        (
            prop::sample::select(vec!["/etc", "/tmp", "/var/run", "/root", "/"]),
            prop::collection::vec(seg(), 0..4)
        )
            .prop_map(|(p, s)| Mutation::TargetOutside(p.to_string(), s)),
        (4097usize..20_000).prop_map(Mutation::TargetHuge),
        (0usize..200).prop_map(Mutation::TargetNul),
        any::<bool>().prop_map(Mutation::TargetSlashes),
        prop::collection::vec(seg(), 0..3).prop_map(Mutation::TargetThroughSymlink),
        Just(Mutation::TargetIsAFile),
        Just(Mutation::TargetForeignMount),
        prop_oneof![
            Just(String::new()),
            "[a-z]{257,400}",
            "[a-z]{0,5}[\u{0}-\u{1f}\u{7f}][a-z]{0,5}",
        ]
        .prop_map(|s| Mutation::VolumeId(S(s))),
        (
            "[A-Za-z][A-Za-z0-9._/-]{0,30}".prop_filter("not a known attribute", move |k| {
                !known.contains(&k.as_str()) && !k.starts_with("csi.storage.k8s.io/")
            }),
            ".{0,40}"
        )
            .prop_map(|(k, v)| Mutation::UnknownAttribute(S(k), S(v))),
        // Huge unknown attribute names: the error echoes them.
        (1_000usize..60_000).prop_map(|n| Mutation::UnknownAttribute(S("x".repeat(n)), S("v".into()))),
        prop_oneof![
            // (No space: surrounding whitespace is trimmed from attribute values by design.)
            "[a-z]{0,5}[A-Z_!@#\u{0}\u{e9}][a-z]{0,5}",
            "-[a-z]{1,8}",
            "[a-z]{1,8}-",
            (254usize..60_000).prop_map(|n| "a".repeat(n)),
        ]
        .prop_map(|s| Mutation::BadConnectorName(S(s))),
        "[a-z][a-z0-9-]{0,10}[a-z]".prop_map(|s| Mutation::DuplicateConnector(S(s))),
        Just(Mutation::DuplicateConfiguration),
        Just(Mutation::BothConnectorForms),
        prop_oneof![
            "\\{[^}]{0,40}",
            "\\[[^\\]]{0,20}\\]?",
            "[0-9]{1,6}",
            "\"[a-z]{0,10}\"",
            Just("null".to_string()),
            Just("{\"kubeconfig\":1}".to_string()),
            Just("{\"kubeconfig\":{\"p\":[1]}}".to_string()),
            Just("{\"kubeconfig\":{\"p\":{\"q\":1}}}".to_string()),
        ]
        .prop_map(|s| Mutation::MalformedParams(S(s))),
        "[a-z]{1,10}".prop_map(|s| Mutation::ParamsForUnlisted(S(s))),
        "[0-9]{1,5}"
            .prop_filter("not an accepted mode", |m| {
                !["400", "440", "444", "0400", "0440", "0444"].contains(&m.as_str())
            })
            .prop_map(|s| Mutation::BadFileMode(S(s))),
        prop_oneof![
            "[0-9]{0,3}[a-z]{1,4}",
            "[0-9](s|ms)",
            Just("9m59s".to_string()),
            Just("-1h".to_string())
        ]
        .prop_filter("invalid expiration", |s| {
            connectors_csi::token::parse_expiration(s).is_err()
        })
        .prop_map(|s| Mutation::BadExpiration(S(s))),
        (0usize..3, 0usize..8).prop_map(|(k, p)| Mutation::NulInAttribute(k, p)),
        (65 * 1024usize..200 * 1024).prop_map(Mutation::HugeAttributes),
        (0u8..5).prop_map(Mutation::BadCapability),
        prop_oneof![
            ".{0,30}",
            Just("{}".to_string()),
            Just("{\"connectors-proxy\":{\"token\":\"\"}}".to_string()),
            Just(
                "{\"connectors-proxy\":{\"token\":\"tok-CORPUS-SECRET-7f3a\",\"expirationTimestamp\":\"2001-01-01T00:00:00Z\"}}"
                    .to_string()
            ),
            Just(
                "{\"connectors-proxy\":{\"token\":\"tok-CORPUS-SECRET-7f3a\",\"expirationTimestamp\":\"soon\"}}"
                    .to_string()
            ),
        ]
        .prop_filter("not accidentally valid", |s| !s.contains("2099"))
        .prop_map(|s| Mutation::BadTokens(S(s))),
        (0..EVIL_FILE_NAMES.len()).prop_map(Mutation::ClassFileName),
        (0..BROKEN_TEMPLATES.len()).prop_map(Mutation::BrokenTemplate),
        "[a-z .|$()\"]{0,30}".prop_map(|s| Mutation::RandomTemplate(S(format!("x {{{{{s}")))),
        Just(Mutation::HugeOutput),
        "[a-z][a-z-]{2,12}"
            .prop_filter("not a built-in", |s| s != "kubeconfig" && s != "tokenfile")
            .prop_map(|s| Mutation::UnknownConfiguration(S(s))),
        // 0xFF never occurs in UTF-8, so the poisoned field is always invalid (bytes from
        // 0x80..=0xFF alone can form a valid sequence such as "ڤ").
        (0u8..5, 0usize..64, prop::collection::vec(0x80u8..=0xff, 0..3)).prop_map(
            |(field, pos, mut bytes)| {
                bytes.insert(0, 0xff);
                Mutation::InvalidUtf8 { field, pos, bytes }
            }
        ),
        "[A-Z_]{1,10}".prop_map(|s| Mutation::DuplicateWireKey(S(s))),
    ]
}

enum Req {
    Typed(proto::NodePublishVolumeRequest),
    Raw(RawPublishRequest),
}

struct CorpusEnv {
    kubelet: PathBuf,
    target: PathBuf,
    base: proto::NodePublishVolumeRequest,
    symlink_dir: PathBuf,
    file_target: PathBuf,
    foreign_target: PathBuf,
}

fn insert_at(s: &str, pos: usize, ins: &str) -> String {
    let mut p = pos.min(s.len());
    while !s.is_char_boundary(p) {
        p -= 1;
    }
    format!("{}{ins}{}", &s[..p], &s[p..])
}

/// Builds the request of a mutation and the gRPC codes acceptable for it.
fn build(m: &Mutation, env: &CorpusEnv) -> (Req, Vec<Code>, Option<ConnectorClass>) {
    use Code::*;
    let mut r = env.base.clone();
    let ctx = |r: &mut proto::NodePublishVolumeRequest, k: &str, v: &str| {
        r.volume_context.insert(k.to_string(), v.to_string());
    };
    let kubelet = env.kubelet.to_string_lossy().into_owned();
    let mut class = None;
    let codes = match m {
        Mutation::TargetDots { segs, at, dots } => {
            let mut s = segs.clone();
            s.insert(*at, if *dots { ".." } else { "." }.to_string());
            r.target_path = format!("{kubelet}/pods/{}", s.join("/"));
            vec![InvalidArgument]
        }
        Mutation::TargetRelative(segs) => {
            r.target_path = segs.join("/");
            vec![InvalidArgument]
        }
        Mutation::TargetOutside(prefix, segs) => {
            r.target_path = format!("{}/{}", prefix.trim_end_matches('/'), segs.join("/"))
                .trim_end_matches('/')
                .to_string();
            if r.target_path.is_empty() {
                r.target_path = "/".into();
            }
            vec![InvalidArgument]
        }
        Mutation::TargetHuge(n) => {
            r.target_path = format!("{kubelet}/{}", "a/".repeat(n / 2));
            vec![InvalidArgument]
        }
        Mutation::TargetNul(pos) => {
            r.target_path = insert_at(&r.target_path, *pos, "\0");
            vec![InvalidArgument]
        }
        Mutation::TargetSlashes(trailing) => {
            r.target_path = if *trailing {
                format!("{}/", r.target_path)
            } else {
                r.target_path.replacen("/pods/", "/pods//", 1)
            };
            vec![InvalidArgument]
        }
        Mutation::TargetThroughSymlink(segs) => {
            let mut p = env.symlink_dir.clone();
            for s in segs {
                p.push(s);
            }
            p.push("mount");
            r.target_path = p.to_string_lossy().into_owned();
            vec![InvalidArgument]
        }
        Mutation::TargetIsAFile => {
            r.target_path = env.file_target.to_string_lossy().into_owned();
            vec![Internal, FailedPrecondition, InvalidArgument]
        }
        Mutation::TargetForeignMount => {
            r.target_path = env.foreign_target.to_string_lossy().into_owned();
            vec![FailedPrecondition]
        }
        Mutation::VolumeId(id) => {
            r.volume_id = id.0.clone();
            vec![InvalidArgument]
        }
        Mutation::UnknownAttribute(k, v) => {
            ctx(&mut r, k, v);
            vec![InvalidArgument]
        }
        Mutation::BadConnectorName(n) => {
            ctx(&mut r, "connector.name", n);
            vec![InvalidArgument]
        }
        Mutation::DuplicateConnector(n) => {
            r.volume_context.remove("connector.name");
            ctx(&mut r, "connectors", &format!("{}, team/{}", n.0, n.0));
            vec![InvalidArgument]
        }
        Mutation::DuplicateConfiguration => {
            ctx(&mut r, "configuration.names", "kubeconfig, kubeconfig");
            vec![InvalidArgument]
        }
        Mutation::BothConnectorForms => {
            ctx(&mut r, "connectors", "team/k8s-a");
            vec![InvalidArgument]
        }
        Mutation::MalformedParams(p) => {
            ctx(&mut r, "configuration.names", "kubeconfig");
            ctx(&mut r, "configuration.params", p);
            vec![InvalidArgument]
        }
        Mutation::ParamsForUnlisted(c) => {
            ctx(
                &mut r,
                "configuration.params",
                &serde_json::json!({ c.0.clone(): {"p": "v"} }).to_string(),
            );
            vec![InvalidArgument]
        }
        Mutation::BadFileMode(m) => {
            ctx(&mut r, "file.mode", m);
            vec![InvalidArgument]
        }
        Mutation::BadExpiration(e) => {
            ctx(&mut r, "token.expiration", e);
            vec![InvalidArgument]
        }
        Mutation::NulInAttribute(k, pos) => {
            let (key, val) = [
                ("connector.name", "k8s-a"),
                ("connector.namespace", "team"),
                ("configuration.names", "kubeconfig"),
            ][*k];
            ctx(&mut r, key, &insert_at(val, *pos, "\0"));
            vec![InvalidArgument, NotFound]
        }
        Mutation::HugeAttributes(n) => {
            ctx(&mut r, "configuration.names", &"a,".repeat(n / 2));
            vec![InvalidArgument]
        }
        Mutation::BadCapability(k) => {
            use proto::volume_capability::AccessType;
            let cap = r.volume_capability.as_mut().unwrap();
            match k {
                0 => cap.access_type = Some(AccessType::Block(Default::default())),
                1 => cap.access_type = None,
                2 => {
                    if let Some(AccessType::Mount(m)) = cap.access_type.as_mut() {
                        m.fs_type = "ext4".into()
                    }
                }
                3 => {
                    if let Some(AccessType::Mount(m)) = cap.access_type.as_mut() {
                        m.volume_mount_group = "wheel".into()
                    }
                }
                _ => r.staging_target_path = format!("{kubelet}/staging"),
            }
            vec![InvalidArgument]
        }
        Mutation::BadTokens(t) => {
            r.secrets.insert(
                "csi.storage.k8s.io/serviceAccount.tokens".into(),
                t.0.clone(),
            );
            vec![InvalidArgument, Unavailable]
        }
        Mutation::ClassFileName(i) => {
            ctx(&mut r, "connector.name", "evil-c");
            ctx(&mut r, "configuration.names", &format!("evil-{i}"));
            vec![FailedPrecondition]
        }
        Mutation::BrokenTemplate(i) => {
            ctx(&mut r, "connector.name", "broken-c");
            ctx(&mut r, "configuration.names", &format!("broken-{i}"));
            vec![FailedPrecondition]
        }
        Mutation::RandomTemplate(t) => {
            class = Some(rand_tpl_class(t));
            ctx(&mut r, "connector.name", "rand-c");
            ctx(&mut r, "configuration.names", "rt");
            vec![FailedPrecondition]
        }
        Mutation::HugeOutput => {
            ctx(&mut r, "connector.name", "huge-c");
            ctx(&mut r, "configuration.names", "big");
            vec![InvalidArgument, ResourceExhausted]
        }
        Mutation::UnknownConfiguration(c) => {
            ctx(&mut r, "configuration.names", c);
            vec![NotFound]
        }
        Mutation::InvalidUtf8 { field, pos, bytes } => {
            let mut raw = RawPublishRequest::from_typed(&r);
            let poison = |v: &mut Vec<u8>| {
                let p = (*pos).min(v.len());
                v.splice(p..p, bytes.iter().copied());
            };
            match field {
                0 => poison(&mut raw.volume_id),
                1 => poison(&mut raw.target_path),
                2 => raw.volume_context.push(RawEntry {
                    key: [b"x".as_slice(), bytes].concat(),
                    value: b"v".to_vec(),
                }),
                3 => {
                    let e = raw
                        .volume_context
                        .iter_mut()
                        .find(|e| e.key == b"connector.name")
                        .unwrap();
                    poison(&mut e.value);
                }
                _ => {
                    let e = raw.secrets.first_mut().unwrap();
                    poison(&mut e.value);
                }
            }
            return (Req::Raw(raw), vec![Internal, InvalidArgument], None);
        }
        Mutation::DuplicateWireKey(bad) => {
            // Protobuf maps: the last entry of a duplicated key wins, so a good value followed
            // by a bad one must be rejected.
            let mut raw = RawPublishRequest::from_typed(&r);
            raw.volume_context.push(RawEntry {
                key: b"connector.name".to_vec(),
                value: bad.as_bytes().to_vec(),
            });
            return (Req::Raw(raw), vec![InvalidArgument], None);
        }
    };
    (Req::Typed(r), codes, class)
}

fn mutation_kind(m: &Mutation) -> String {
    format!("{m:?}")
        .split(['(', ' ', '{'])
        .next()
        .unwrap_or("?")
        .to_string()
}

/// Panics anywhere in this test binary (the driver runs in-process).
static PANICS: AtomicUsize = AtomicUsize::new(0);

fn count_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.fetch_add(1, Ordering::SeqCst);
            prev(info);
        }));
    });
}

#[test]
fn bad_input_corpus_gets_clear_errors_and_leaves_nothing_behind() {
    if !require_root("bad_input_corpus_gets_clear_errors_and_leaves_nothing_behind") {
        return;
    }
    count_panics();
    const CASES: u32 = 600;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let src = corpus_source();
    let t = rt.block_on(TestDriver::start(src.clone()));
    let kubelet = t.kubelet_dir();
    let _cleanup = UnmountOnDrop(kubelet.clone());
    let target = t.target("vol-bad");
    let outside = t.root.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let symlink_dir = kubelet.join("pods/evil-link");
    std::fs::create_dir_all(kubelet.join("pods")).unwrap();
    std::os::unix::fs::symlink(&outside, &symlink_dir).unwrap();
    let file_target = t.target("vol-file");
    std::fs::write(&file_target, "not a directory").unwrap();
    let foreign_target = t.target("vol-foreign");
    std::fs::create_dir_all(&foreign_target).unwrap();
    nix::mount::mount(
        Some("someone-else"),
        &foreign_target,
        Some("tmpfs"),
        nix::mount::MsFlags::empty(),
        Some("size=64k"),
    )
    .unwrap();
    let env = CorpusEnv {
        kubelet: kubelet.clone(),
        target: target.clone(),
        base: publish_request(
            "vol-bad",
            &target,
            &[("connector.name", "k8s-a")],
            CORPUS_TOKEN,
        ),
        symlink_dir,
        file_target,
        foreign_target: foreign_target.clone(),
    };
    let state_dir = t.driver.cfg.state_dir.clone();
    let by_kind: Mutex<BTreeMap<String, (usize, BTreeMap<String, usize>)>> = Mutex::default();
    let started = Instant::now();
    let config = PropConfig {
        cases: CASES,
        failure_persistence: None,
        max_shrink_iters: 200,
        ..PropConfig::default()
    };
    // Deterministic by default so CI is reproducible; CONNECTORS_CSI_PROPTEST_RANDOM=1 explores
    // new cases on every run.
    let mut runner = if std::env::var_os("CONNECTORS_CSI_PROPTEST_RANDOM").is_some() {
        TestRunner::new(config)
    } else {
        let rng = proptest::test_runner::TestRng::deterministic_rng(config.rng_algorithm);
        TestRunner::new_with_rng(config, rng)
    };
    let result = runner.run(&mutation(), |m| {
        let m = &m;
        let (req, codes, class) = build(m, &env);
        if let Some(c) = class {
            src.set(|s| s.insert_class(c));
        }
        let status = rt.block_on(async {
            let call = async {
                match req {
                    Req::Typed(r) => t.node.clone().node_publish_volume(r).await.map(|_| ()),
                    Req::Raw(r) => send_raw(t.channel.clone(), r).await,
                }
            };
            tokio::time::timeout(Duration::from_secs(20), call).await
        });
        let Ok(status) = status else {
            return Err(TestCaseError::fail(format!("{m:?}: no answer within 20 s")));
        };
        let Err(status) = status else {
            return Err(TestCaseError::fail(format!("{m:?}: publish succeeded")));
        };
        prop_assert!(
            codes.contains(&status.code()),
            "{m:?}: code {:?} not in {codes:?}: {}",
            status.code(),
            status.message()
        );
        prop_assert!(!status.message().trim().is_empty(), "{m:?}: empty message");
        prop_assert!(
            status.message().len() <= 2048 + 200,
            "{m:?}: {} byte message",
            status.message().len()
        );
        prop_assert!(
            !status.message().contains(CORPUS_TOKEN),
            "{m:?}: token in message"
        );
        let mounts = our_mounts_under(&env.kubelet);
        prop_assert!(mounts.is_empty(), "{m:?}: left mounted: {mounts:?}");
        let states = state_files(&state_dir);
        prop_assert!(states.is_empty(), "{m:?}: state left: {states:?}");
        prop_assert_eq!(t.driver.volume_count(), 0);
        prop_assert!(!env.target.join("..data").exists(), "{m:?}: files written");
        let mut k = by_kind.lock().unwrap();
        let done: usize = k.values().map(|(n, _)| n).sum::<usize>() + 1;
        if done % 100 == 0 {
            eprintln!("  … {done} cases, {:.1?}", started.elapsed());
        }
        let e = k.entry(mutation_kind(m)).or_default();
        e.0 += 1;
        *e.1.entry(format!("{:?}", status.code())).or_default() += 1;
        Ok(())
    });
    let elapsed = started.elapsed();
    let _ = nix::mount::umount(&foreign_target);
    if let Err(e) = result {
        panic!("bad-input corpus: {e}");
    }
    let kinds = by_kind.into_inner().unwrap();
    let total: usize = kinds.values().map(|(n, _)| n).sum();
    eprintln!("bad-input corpus: {total} cases in {elapsed:.2?}");
    for (kind, (n, codes)) in &kinds {
        eprintln!("  {kind:<24} {n:>4}  {codes:?}");
    }
    assert!(total >= 500, "only {total} cases ran");
    assert_eq!(PANICS.load(Ordering::SeqCst), 0, "a panic happened");

    // The driver still serves: a good publish works, and unpublish cleans up.
    rt.block_on(async {
        let mut node = t.node.clone();
        let good = t.target("vol-good");
        node.node_publish_volume(publish_request(
            "vol-good",
            &good,
            &[("connector.name", "k8s-a")],
            "tok-after-corpus",
        ))
        .await
        .expect("a good publish after the corpus");
        assert_eq!(
            std::fs::read_to_string(good.join("context.token")).unwrap(),
            "tok-after-corpus"
        );
        node.node_unpublish_volume(unpublish_request("vol-good", &good))
            .await
            .unwrap();
        assert!(our_mounts_under(&t.kubelet_dir()).is_empty());
    });
    rt.block_on(t.stop());
}

// ---------------------------------------------------------------------------------------------
// tmpfs size cap
// ---------------------------------------------------------------------------------------------

fn literal_class(name: &str, config: &str, file: &str, bytes: usize) -> ConnectorClass {
    serde_json::from_value(serde_json::json!({
        "apiVersion": "connectors.alauda.io/v1alpha1",
        "kind": "ConnectorClass",
        "metadata": {"name": name},
        "spec": {"configurations": [{"name": config, "data": {
            file: format!("{}\n{{{{ .context.token }}}}\n", "F".repeat(bytes))
        }}]}
    }))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tmpfs_size_cap_gives_resource_exhausted_and_rotation_near_the_cap_works() {
    if !require_root("tmpfs_size_cap_gives_resource_exhausted_and_rotation_near_the_cap_works") {
        return;
    }
    let src = default_source();
    src.set(|s| {
        s.insert_class(literal_class("fat", "fat", "fat.txt", 512 * 1024));
        s.insert_class(literal_class("mid", "mid", "mid.txt", 40 * 1024));
        for (name, class) in [("fat-c", "fat"), ("mid-c", "mid")] {
            let mut c = connector("team", name, "https://x.example.com", "http://p.team.svc");
            c.spec.connector_class_name = class.into();
            s.insert_connector(c);
        }
    });
    let root = tempfile::tempdir().unwrap();
    let mut cfg = connectors_csi::driver::DriverConfig::for_root(root.path());
    cfg.tmpfs_size_bytes = 160 * 1024;
    let t = TestDriver::start_with(root, cfg, src).await;
    let mut node = t.node.clone();

    // 512 KiB of files into a 160 KiB tmpfs: ENOSPC → RESOURCE_EXHAUSTED, nothing left behind.
    let target = t.target("vol-fat");
    let err = node
        .node_publish_volume(publish_request(
            "vol-fat",
            &target,
            &[("connector.name", "fat-c"), ("configuration.names", "fat")],
            "tok-fat",
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted, "{}", err.message());
    assert!(
        err.message().contains("No space left on device") && err.message().contains("--tmpfs-size"),
        "{}",
        err.message()
    );
    assert!(
        our_mounts_under(&t.kubelet_dir()).is_empty(),
        "nothing mounted"
    );
    assert!(state_files(&t.driver.cfg.state_dir).is_empty(), "no state");
    assert!(!target.exists(), "target directory removed");

    // ~48 KiB payloads in the same 160 KiB tmpfs: back-to-back rotations keep retired payloads
    // for their grace period until space runs out, then drop them and still rotate.
    let target = t.target("vol-mid");
    for n in 0..8 {
        node.node_publish_volume(publish_request(
            "vol-mid",
            &target,
            &[("connector.name", "mid-c"), ("configuration.names", "mid")],
            &format!("tok-mid-{n}"),
        ))
        .await
        .unwrap();
        assert_eq!(
            std::fs::read_to_string(target.join("context.token")).unwrap(),
            format!("tok-mid-{n}"),
            "rotation {n} near the tmpfs cap"
        );
        assert!(std::fs::read_to_string(target.join("mid.txt"))
            .unwrap()
            .ends_with(&format!("tok-mid-{n}\n")));
    }
    node.node_unpublish_volume(unpublish_request("vol-mid", &target))
        .await
        .unwrap();
    assert!(our_mounts_under(&t.kubelet_dir()).is_empty());
    t.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Security: permissions and logs
// ---------------------------------------------------------------------------------------------

/// Every way a token can appear in rendered files: raw, URL-escaped, and base64 of the forms
/// the example classes use.
fn leak_forms(secret: &str) -> Vec<String> {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    vec![
        secret.to_string(),
        b64(secret),
        b64(&format!(":{secret}")),
        b64(&format!("default/git-demo:{secret}")),
        b64(&format!("default/oci-demo:{secret}")),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn driver_process_logs_at_trace_carry_no_token_or_secret() {
    if !require_root("driver_process_logs_at_trace_carry_no_token_or_secret") {
        return;
    }
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    use test_support::FakeApiServer;
    const SECRET: &str = "example-target-cluster-token-not-real";
    // The k8s-demo connector points at a fake API server so `tokenfile` direct mode mints a
    // token with the connector's Secret.
    let api = FakeApiServer::start().await;
    api.set_accepted_tokens(Some(&[SECRET]));
    let root = tempfile::tempdir().unwrap();
    let srcdir = DriverProcess::source_dir(root.path());
    // The example CA Secret is not a real certificate; the fake API server speaks plain HTTP.
    let write_src = |address: &str| {
        write_example_source(&srcdir, address);
        let f = srcdir.join("connectors.yaml");
        let text = std::fs::read_to_string(&f)
            .unwrap()
            .replace("  caCertSecretRef:\n    name: k8s-demo-ca\n", "");
        std::fs::write(&f, text).unwrap();
    };
    write_src(&api.url());
    let mut p = DriverProcess::spawn(root.path(), "trace", &[]);
    let ch = p.ready().await;
    let mut node = proto::node_client::NodeClient::new(ch.clone());
    let kubelet = DriverProcess::kubelet_dir(root.path());
    let run = format!("{:08x}", rand::random::<u32>());
    let tok = |n: u32| format!("tok-LOGLEAK-{run}-{n}");
    let mut issued = Vec::new();

    let mode = std::fs::metadata(&p.socket).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "CSI socket is root-only");

    // Publishes of every example class, republishes with new tokens, direct mode.
    let mut targets = Vec::new();
    for (i, (conn, conf)) in [
        ("k8s-demo", "kubeconfig"),
        ("git-demo", "gitconfig"),
        ("oci-demo", "registry-config"),
        ("npm-demo", "npmrc"),
    ]
    .into_iter()
    .enumerate()
    {
        let vol = format!("vol-log-{i}");
        let target = kubelet_target(&kubelet, &vol);
        for round in 0..2u32 {
            let t = tok(i as u32 * 10 + round);
            let mut r = demo_publish_request(&vol, &target, &t);
            r.volume_context
                .insert("connector.name".into(), conn.into());
            r.volume_context
                .insert("configuration.names".into(), conf.into());
            node.node_publish_volume(r).await.unwrap();
            issued.push(t);
        }
        targets.push((vol, target));
    }
    let (vol0, target0) = targets[0].clone();
    let kube = std::fs::metadata(target0.join("kubeconfig")).unwrap();
    assert_eq!(kube.mode() & 0o777, 0o440, "files are 0440 by default");
    assert!(std::fs::read_to_string(target0.join("kubeconfig"))
        .unwrap()
        .contains(&issued[1]));

    let direct_target = kubelet_target(&kubelet, "vol-log-direct");
    let t = tok(100);
    let mut r = demo_publish_request("vol-log-direct", &direct_target, &t);
    r.volume_context
        .insert("configuration.names".into(), "tokenfile".into());
    r.volume_context.insert(
        "configuration.params".into(),
        r#"{"tokenfile":{"serviceAccount":"team/agent"}}"#.into(),
    );
    node.node_publish_volume(r).await.unwrap();
    issued.push(t);
    let direct = std::fs::read_to_string(direct_target.join("token")).unwrap();
    assert!(
        direct.starts_with("fake-token-"),
        "direct-mode token rendered"
    );
    targets.push(("vol-log-direct".into(), direct_target));

    // Errors carrying tokens: bad attributes, unknown connector, wrong audience, bad JSON.
    let bad = kubelet_target(&kubelet, "vol-log-bad");
    for (n, edit) in [
        (200u32, ("connectorName", "x")),
        (201, ("connector.name", "ghost")),
        (202, ("configuration.params", "{nope")),
        (203, ("configuration.names", "nosuch")),
    ] {
        let t = tok(n);
        let mut r = demo_publish_request("vol-log-bad", &bad, &t);
        r.volume_context.insert(edit.0.into(), edit.1.into());
        let e = node.node_publish_volume(r).await.unwrap_err();
        assert!(!e.message().contains(&t));
        issued.push(t);
    }
    let t = tok(204);
    let mut r = demo_publish_request("vol-log-bad", &bad, &t);
    r.secrets.insert(
        "csi.storage.k8s.io/serviceAccount.tokens".into(),
        serde_json::json!({"other-audience": {"token": t, "expirationTimestamp": "2099-01-01T00:00:00Z"}})
            .to_string(),
    );
    node.node_publish_volume(r).await.unwrap_err();
    issued.push(t);
    let t = tok(205);
    let mut r = demo_publish_request("vol-log-bad", &bad, &t);
    r.secrets.insert(
        "csi.storage.k8s.io/serviceAccount.tokens".into(),
        format!("{{\"connectors-proxy\": {{\"token\": \"{t}\", \"expirationTimestamp\": 17}}}}"),
    );
    node.node_publish_volume(r).await.unwrap_err();
    issued.push(t);

    // Refresh: change the source; every volume re-renders.
    write_src(&format!("{}/changed", api.url()));
    let deadline = Instant::now() + Duration::from_secs(20);
    while !std::fs::read_to_string(target0.join("kubeconfig"))
        .unwrap()
        .contains("/changed")
    {
        assert!(Instant::now() < deadline, "refresh after a source change");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Unpublish everything, then a graceful stop.
    for (vol, target) in &targets {
        node.node_unpublish_volume(unpublish_request(vol, target))
            .await
            .unwrap();
    }
    let _ = vol0;
    drop(node);
    drop(ch);
    assert!(p.terminate().success());
    assert!(!p.socket.exists(), "socket removed on SIGTERM");
    assert!(our_mounts_under(&kubelet).is_empty());

    let log = std::fs::read_to_string(&p.log).unwrap();
    assert!(log.contains("volume published"), "info events logged");
    assert!(log.contains("TRACE"), "trace level was on");
    let mut secrets: Vec<String> = issued.iter().flat_map(|t| leak_forms(t)).collect();
    secrets.extend(leak_forms(SECRET));
    secrets.push(direct.clone());
    for s in &secrets {
        assert!(
            !log.contains(s.as_str()),
            "secret {s:?} appears in the driver log ({} bytes of trace logs)",
            log.len()
        );
    }
    eprintln!(
        "trace log: {} bytes, {} lines; searched for {} token/secret forms ({} tokens issued): none found",
        log.len(),
        log.lines().count(),
        secrets.len(),
        issued.len()
    );
}
