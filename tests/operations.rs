//! Operating a node, as the on-call engineer does it, against the real binary over a directory
//! source: `/debug/volumes` and `connectors-csi volumes` (table and JSON, with and without a
//! reachable driver, never a token), pod events as log lines without a cluster, and the process
//! metrics in the scrape.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_connectors-csi");
const TOKEN: &str = "ops-test-token-value";

fn root() -> bool {
    if nix::unistd::geteuid().is_root() {
        true
    } else {
        eprintln!("SKIP: needs root to mount tmpfs");
        false
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn http_get(port: u16, path: &str) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut buf = String::new();
    s.read_to_string(&mut buf).unwrap();
    let code = buf
        .split_whitespace()
        .nth(1)
        .unwrap_or("0")
        .parse()
        .unwrap_or(0);
    let body = buf
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (code, body)
}

/// A running `connectors-csi serve` over a copy of deploy/examples.
pub struct Node {
    pub dir: tempfile::TempDir,
    pub port: u16,
    child: Child,
    logs: Arc<Mutex<Vec<String>>>,
}

impl Node {
    pub fn start() -> Node {
        let dir = tempfile::tempdir().unwrap();
        let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/examples");
        let src = dir.path().join("connectors");
        std::fs::create_dir_all(&src).unwrap();
        for f in ["connectors.yaml", "classes.yaml"] {
            std::fs::copy(examples.join(f), src.join(f)).unwrap();
        }
        std::fs::create_dir_all(dir.path().join("kubelet")).unwrap();
        let port = free_port();
        let mut child = Command::new(BIN)
            .args(["serve", "--node-id", "node-a", "--endpoint"])
            .arg(dir.path().join("csi.sock"))
            .arg("--source")
            .arg(format!("dir:{}", src.display()))
            .arg("--kubelet-dir")
            .arg(dir.path().join("kubelet"))
            .arg("--state-dir")
            .arg(dir.path().join("state"))
            .args([
                "--metrics-address",
                &format!("127.0.0.1:{port}"),
                "--log-format",
                "json",
            ])
            .args(["--refresh-jitter", "0s"])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let logs = Arc::new(Mutex::new(Vec::new()));
        let l = logs.clone();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                l.lock().unwrap().push(line);
            }
        });
        let t0 = Instant::now();
        while http_get_ok(port).is_none() && t0.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(20));
        }
        Node {
            dir,
            port,
            child,
            logs,
        }
    }

    pub fn state_dir(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    pub fn target(&self, vol: &str) -> PathBuf {
        self.dir.path().join(format!(
            "kubelet/pods/uid-{vol}/volumes/kubernetes.io~csi/{vol}/mount"
        ))
    }

    /// Publishes the example `default/k8s-demo` kubeconfig for pod `default/pod-<vol>`.
    pub fn publish(&self, vol: &str) {
        let target = self.target(vol);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        let out = Command::new(BIN)
            .args(["csi", "--endpoint"])
            .arg(self.dir.path().join("csi.sock"))
            .args(["publish", "--volume-id", vol, "--target"])
            .arg(&target)
            .args([
                "--attr",
                "connector.name=k8s-demo",
                "--attr",
                "configuration.names=kubeconfig",
            ])
            .args(["--attr", "csi.storage.k8s.io/pod.namespace=default"])
            .args(["--attr", &format!("csi.storage.k8s.io/pod.name=pod-{vol}")])
            .args(["--attr", &format!("csi.storage.k8s.io/pod.uid=uid-{vol}")])
            .args(["--token", &format!("connectors-proxy={TOKEN}")])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn unpublish(&self, vol: &str) {
        let out = Command::new(BIN)
            .args(["csi", "--endpoint"])
            .arg(self.dir.path().join("csi.sock"))
            .args(["unpublish", "--volume-id", vol, "--target"])
            .arg(self.target(vol))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn logs(&self) -> Vec<String> {
        self.logs.lock().unwrap().clone()
    }

    /// `connectors-csi volumes` with `args`: (success, stdout, stderr).
    pub fn volumes(&self, args: &[&str]) -> (bool, String, String) {
        let out = Command::new(BIN)
            .arg("volumes")
            .arg("--state-dir")
            .arg(self.state_dir())
            .args(args)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        );
        let _ = self.child.wait();
    }
}

fn http_get_ok(port: u16) -> Option<()> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(
        s,
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    buf.contains(" 200 ").then_some(())
}

#[test]
fn volumes_command_and_debug_endpoint_list_what_the_driver_holds_without_secrets() {
    if !root() {
        return;
    }
    let node = Node::start();
    node.publish("vol-a");
    node.publish("vol-b");

    // /debug/volumes: the live view.
    let (code, body) = http_get(node.port, "/debug/volumes");
    assert_eq!(code, 200, "{body}");
    assert!(!body.contains(TOKEN), "no token in /debug/volumes");
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["node"], "node-a");
    let vols = doc["volumes"].as_array().unwrap();
    assert_eq!(vols.len(), 2, "{body}");
    let a = &vols[0];
    assert_eq!(a["volume_id"], "vol-a");
    assert_eq!(a["pod"]["namespace"], "default");
    assert_eq!(a["pod"]["name"], "pod-vol-a");
    assert_eq!(a["pod"]["uid"], "uid-vol-a");
    assert_eq!(a["connectors"], serde_json::json!(["default/k8s-demo"]));
    assert_eq!(a["configurations"], serde_json::json!(["kubeconfig"]));
    assert_eq!(a["token_origin"], "kubelet");
    assert!(a["token_expires_at"].as_str().is_some());
    assert!(a["next_refresh"].as_str().is_some());
    assert_eq!(a["live"]["condition"], "Ready");
    assert_eq!(a["live"]["last_refresh_result"], "ok");
    assert!(a["live"]["last_error"].is_null());

    // The command: JSON with the live fields.
    let url = format!("http://127.0.0.1:{}", node.port);
    let (ok, out, err) = node.volumes(&["--driver-url", &url, "-o", "json"]);
    assert!(ok, "{err}");
    assert!(
        !out.contains(TOKEN) && !err.contains(TOKEN),
        "no token in the command's output"
    );
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["driver"]["reachable"], true, "{out}");
    assert_eq!(doc["volumes"].as_array().unwrap().len(), 2);
    assert_eq!(doc["volumes"][1]["pod"]["name"], "pod-vol-b");
    assert_eq!(doc["volumes"][1]["live"]["condition"], "Ready");

    // The table.
    let (ok, out, err) = node.volumes(&["--driver-url", &url]);
    assert!(ok, "{err}");
    println!("{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    for col in [
        "POD",
        "VOLUME",
        "CONNECTORS",
        "CONFIGURATIONS",
        "TOKEN",
        "EXPIRES",
        "LAST REFRESH",
        "NEXT REFRESH",
        "CONDITION",
        "LAST ERROR",
    ] {
        assert!(lines[0].contains(col), "{col} missing: {}", lines[0]);
    }
    for want in [
        "default/pod-vol-a",
        "vol-a",
        "default/k8s-demo",
        "kubeconfig",
        "kubelet",
        "ago (ok)",
        "Ready",
    ] {
        assert!(
            lines[1].contains(want),
            "{want:?} missing from: {}",
            lines[1]
        );
    }
    // Token expiry (an hour) and next refresh (80 % of it) are in the future.
    assert_eq!(lines[1].matches(" in ").count(), 2, "{}", lines[1]);
    assert!(!out.contains(TOKEN));

    // Without a reachable driver: the state directory alone, and a note why.
    let (ok, out, err) = node.volumes(&["--driver-url", "http://127.0.0.1:1"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("default/pod-vol-a") && out.contains("(written)"),
        "{out}"
    );
    assert!(err.contains("live fields unavailable"), "{err}");
    assert!(!out.contains(TOKEN) && !err.contains(TOKEN));
    let (ok, out, _) = node.volumes(&["--driver-url", "", "-o", "json"]);
    assert!(ok);
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["driver"]["reachable"], false);
    assert!(doc["volumes"][0]["live"].is_null());
    assert_eq!(
        doc["volumes"][0]["connectors"],
        serde_json::json!(["default/k8s-demo"])
    );
    // A state directory that does not exist is a clear error.
    let out = Command::new(BIN)
        .args(["volumes", "--state-dir", "/nonexistent/state"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--state-dir"));

    node.unpublish("vol-a");
    let (_, body) = http_get(node.port, "/debug/volumes");
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        doc["volumes"].as_array().unwrap().len(),
        1,
        "unpublished volumes leave the list"
    );
    node.unpublish("vol-b");
}

#[test]
fn without_a_cluster_pod_events_are_log_lines() {
    if !root() {
        return;
    }
    let node = Node::start();
    node.publish("vol-ev");
    // The Connector is deleted from the directory: the volume goes stale.
    let file = node.dir.path().join("connectors/connectors.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    let kept: Vec<String> = serde_yaml::Deserializer::from_str(&text)
        .map(|d| <serde_yaml::Value as serde::Deserialize>::deserialize(d).unwrap())
        .filter(|v| v["metadata"]["name"].as_str() != Some("k8s-demo"))
        .map(|v| serde_yaml::to_string(&v).unwrap())
        .collect();
    std::fs::write(&file, kept.join("---\n")).unwrap();
    let t0 = Instant::now();
    let line = loop {
        let found = node.logs().into_iter().find_map(|l| {
            let v: Value = serde_json::from_str(&l).ok()?;
            (v["target"] == "connectors_csi::events" && v["message"] == "pod event").then_some(v)
        });
        if let Some(v) = found {
            break v;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "no event line: {:#?}",
            node.logs()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    println!("{line}");
    assert_eq!(line["reason"], "ConnectorVolumeStale");
    assert_eq!(line["event_type"], "Warning");
    assert_eq!(line["pod"], "default/pod-vol-ev");
    assert_eq!(line["pod_uid"], "uid-vol-ev");
    assert_eq!(line["volume_id"], "vol-ev");
    let note = line["note"].as_str().unwrap();
    assert!(
        note.contains("default/k8s-demo") && note.contains("expires at"),
        "{note}"
    );
    // The condition summary.
    assert!(node
        .logs()
        .iter()
        .any(|l| l.contains("volume condition changed") && l.contains("\"condition\":\"Stale\"")));
    // The table says so too.
    let url = format!("http://127.0.0.1:{}", node.port);
    let (_, out, _) = node.volumes(&["--driver-url", &url]);
    assert!(out.contains("Stale") && out.contains("not found"), "{out}");
    assert!(
        !node.logs().iter().any(|l| l.contains(TOKEN)),
        "token never logged"
    );
    node.unpublish("vol-ev");
}

#[test]
fn the_scrape_has_process_metrics() {
    let node = Node::start();
    let (code, body) = http_get(node.port, "/metrics");
    assert_eq!(code, 200);
    for m in [
        "process_cpu_seconds_total ",
        "process_resident_memory_bytes ",
        "process_virtual_memory_bytes ",
        "process_start_time_seconds ",
        "process_open_fds ",
        "process_max_fds ",
        "process_threads ",
        "connectors_csi_volumes ",
    ] {
        assert!(body.contains(m), "{m} missing from:\n{body}");
    }
    let rss: f64 = body
        .lines()
        .find_map(|l| l.strip_prefix("process_resident_memory_bytes "))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(rss > 1e6 && rss < 1e9, "{rss}");
}

/// Metric names a PromQL expression reads: identifiers outside strings, label matchers,
/// `by`/`without`/`on`/`ignoring`/`group_*` lists and range selectors, that are not followed by
/// `(` (functions) and are not operators or keywords.
fn promql_metrics(expr: &str) -> Vec<String> {
    // Drop strings and {...} / [...] contents.
    let mut s = String::new();
    let (mut depth_brace, mut depth_bracket, mut in_str) = (0, 0, false);
    for c in expr.chars() {
        match c {
            '"' if depth_brace == 0 => in_str = !in_str,
            _ if in_str => {}
            '{' => depth_brace += 1,
            '}' => depth_brace -= 1,
            '[' => depth_bracket += 1,
            ']' => depth_bracket -= 1,
            _ if depth_brace > 0 || depth_bracket > 0 => {}
            c => s.push(c),
        }
        if (c == '}' && depth_brace == 0) || (c == ']' && depth_bracket == 0) {
            s.push(' ');
        }
    }
    const KEYWORDS: &[&str] = &[
        "and",
        "or",
        "unless",
        "bool",
        "offset",
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "sum",
        "min",
        "max",
        "avg",
        "count",
        "group",
        "stddev",
        "stdvar",
        "topk",
        "bottomk",
        "quantile",
        "count_values",
    ];
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let mut skip_list = false;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_alphabetic() || c == '_' || c == ':' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == ':')
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let mut j = i;
            while j < chars.len() && chars[j] == ' ' {
                j += 1;
            }
            let call = chars.get(j) == Some(&'(');
            if [
                "by",
                "without",
                "on",
                "ignoring",
                "group_left",
                "group_right",
            ]
            .contains(&word.as_str())
            {
                skip_list = true;
                continue;
            }
            if call || KEYWORDS.contains(&word.as_str()) || (start > 0 && chars[start - 1] == '$') {
                continue;
            }
            out.push(word);
            continue;
        }
        if c == '(' && skip_list {
            // The label list of by/on/...: skip to its ')'.
            while i < chars.len() && chars[i] != ')' {
                i += 1;
            }
            skip_list = false;
        }
        i += 1;
    }
    out
}

/// Every sample name the scrape can have: the samples present, and for each `# TYPE` the names
/// its samples take (counter `_total`, histogram `_bucket`/`_sum`/`_count`), so a labelled
/// family with no sample yet still counts as exported.
fn exported_names(scrape: &str) -> std::collections::BTreeSet<String> {
    let mut names = std::collections::BTreeSet::new();
    for l in scrape.lines() {
        if let Some(t) = l.strip_prefix("# TYPE ") {
            let mut p = t.split_whitespace();
            let (name, kind) = (p.next().unwrap(), p.next().unwrap());
            match kind {
                "counter" => {
                    names.insert(format!("{}_total", name.trim_end_matches("_total")));
                }
                "histogram" => {
                    for suffix in ["_bucket", "_sum", "_count"] {
                        names.insert(format!("{name}{suffix}"));
                    }
                }
                _ => {
                    names.insert(name.to_string());
                }
            }
        } else if !l.starts_with('#') && !l.is_empty() {
            let end = l.find(['{', ' ']).unwrap_or(l.len());
            names.insert(l[..end].to_string());
        }
    }
    names
}

#[test]
fn promql_metric_names_are_extracted() {
    assert_eq!(
        promql_metrics(
            r#"histogram_quantile(0.99, sum by (namespace, le) (rate(a_bucket{code!="OK", x=~"$ns"}[5m]))) > 1 and on (pod) max by (pod) (b) > 0"#
        ),
        vec!["a_bucket", "b"]
    );
    assert_eq!(
        promql_metrics("rate(process_cpu_seconds_total{pod=~\"$pod\"}[5m])"),
        vec!["process_cpu_seconds_total"]
    );
}

#[test]
fn alerts_and_dashboard_use_only_metrics_a_running_driver_exports() {
    let node = Node::start();
    let (code, scrape) = http_get(node.port, "/metrics");
    assert_eq!(code, 200);
    let exported = exported_names(&scrape);
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut exprs: Vec<(String, String)> = Vec::new();
    let rule: serde_yaml::Value = serde_yaml::from_str(
        &std::fs::read_to_string(repo.join("deploy/components/monitoring/prometheusrule.yaml"))
            .unwrap(),
    )
    .expect("the PrometheusRule parses");
    for g in rule["spec"]["groups"].as_sequence().unwrap() {
        for r in g["rules"].as_sequence().unwrap() {
            exprs.push((
                r["alert"].as_str().unwrap().to_string(),
                r["expr"].as_str().unwrap().to_string(),
            ));
        }
    }
    let dash: Value = serde_json::from_str(
        &std::fs::read_to_string(repo.join("deploy/components/monitoring/dashboard.json")).unwrap(),
    )
    .expect("the dashboard is JSON");
    for p in dash["panels"].as_array().unwrap() {
        for t in p["targets"].as_array().unwrap() {
            exprs.push((
                format!("panel {:?}", p["title"]),
                t["expr"].as_str().unwrap().to_string(),
            ));
        }
    }
    for v in dash["templating"]["list"].as_array().unwrap() {
        if let Some(q) = v["query"]
            .as_str()
            .and_then(|q| q.strip_prefix("label_values("))
        {
            exprs.push((
                format!("variable {}", v["name"]),
                q.rsplit_once(',').unwrap().0.to_string(),
            ));
        }
    }
    assert!(exprs.len() >= 20, "{exprs:?}");
    let mut used = std::collections::BTreeSet::new();
    for (what, e) in &exprs {
        let names = promql_metrics(e);
        assert!(!names.is_empty(), "{what}: no metric found in {e}");
        for n in names {
            assert!(exported.contains(&n), "{what} uses {n}, which the driver does not export.\nexpr: {e}\nexported: {exported:?}");
            used.insert(n);
        }
    }
    println!(
        "{} expressions use {} exported metrics: {used:?}",
        exprs.len(),
        used.len()
    );
    for must in [
        "process_resident_memory_bytes",
        "process_cpu_seconds_total",
        "connectors_csi_rotation_latency_seconds_bucket",
        "connectors_csi_token_min_seconds_to_expiry",
    ] {
        assert!(used.contains(must), "the assets should show {must}");
    }
}
