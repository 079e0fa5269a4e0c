//! The binary's subcommands as a user runs them: `demo`, `render`, `serve` + `csi` client,
//! metrics/health endpoints, graceful shutdown.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_connectors-csi");

fn root() -> bool {
    if nix::unistd::geteuid().is_root() {
        true
    } else {
        eprintln!("SKIP: needs root to mount tmpfs");
        false
    }
}

#[test]
fn demo_runs_end_to_end() {
    let out = Command::new(BIN)
        .arg("demo")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "demo failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("kubeconfig"), "{stdout}");
    assert!(stdout.contains("proxy-url"), "{stdout}");
    assert!(stdout.contains("****"), "token masked: {stdout}");
    assert!(!stdout.contains("demo-token-"), "token leaked: {stdout}");
    assert!(stdout.contains("files updated"), "{stdout}");
    assert!(
        stdout.contains("target exists afterwards: false"),
        "{stdout}"
    );
}

#[test]
fn render_prints_files_and_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/examples");
    // Split the example objects into one file per object for --connector / --class.
    let mut connector = None;
    let mut class = None;
    for f in ["connectors.yaml", "classes.yaml"] {
        let text = std::fs::read_to_string(examples.join(f)).unwrap();
        for d in serde_yaml::Deserializer::from_str(&text) {
            let v: serde_yaml::Value = serde::Deserialize::deserialize(d).unwrap();
            let kind = v
                .get("kind")
                .and_then(|k| k.as_str())
                .unwrap_or_default()
                .to_string();
            let name = v["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if kind == "Connector" && name == "k8s-demo" {
                connector = Some(serde_yaml::to_string(&v).unwrap());
            }
            if kind == "ConnectorClass" && name == "k8s" {
                class = Some(serde_yaml::to_string(&v).unwrap());
            }
        }
    }
    std::fs::write(
        dir.path().join("c.yaml"),
        connector.expect("example k8s connector"),
    )
    .unwrap();
    std::fs::write(dir.path().join("k.yaml"), class.expect("example k8s class")).unwrap();
    let out = Command::new(BIN)
        .args(["render", "--connector"])
        .arg(dir.path().join("c.yaml"))
        .arg("--class")
        .arg(dir.path().join("k.yaml"))
        .args(["--configuration", "kubeconfig", "--token", "render-tok"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("==> kubeconfig <=="));
    assert!(stdout.contains("proxy-url"));
    let out = Command::new(BIN)
        .args(["render", "--connector"])
        .arg(dir.path().join("c.yaml"))
        .arg("--class")
        .arg(dir.path().join("k.yaml"))
        .args(["--configuration", "nope"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("\"nope\"") && stderr.contains("available"),
        "{stderr}"
    );
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
    (code, buf)
}

#[test]
fn serve_answers_the_csi_client_and_exposes_metrics() {
    if !root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("csi.sock");
    let kubelet = dir.path().join("kubelet");
    std::fs::create_dir_all(&kubelet).unwrap();
    let port = free_port();
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/examples");
    let mut child = Command::new(BIN)
        .args(["serve", "--node-id", "node-a", "--endpoint"])
        .arg(format!("unix://{}", sock.display()))
        .arg("--source")
        .arg(format!("dir:{}", examples.display()))
        .arg("--kubelet-dir")
        .arg(&kubelet)
        .arg("--state-dir")
        .arg(dir.path().join("state"))
        .args([
            "--metrics-address",
            &format!("127.0.0.1:{port}"),
            "--log-format",
            "json",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let logs = std::thread::spawn(move || {
        BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<_>>()
    });
    let t0 = Instant::now();
    while !sock.exists() && t0.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(sock.exists(), "socket created");
    let csi = |args: &[&str]| {
        Command::new(BIN)
            .arg("csi")
            .arg("--endpoint")
            .arg(&sock)
            .args(args)
            .output()
            .unwrap()
    };
    let info = csi(&["info"]);
    let text = String::from_utf8_lossy(&info.stdout);
    assert!(
        info.status.success(),
        "{}",
        String::from_utf8_lossy(&info.stderr)
    );
    assert!(
        text.contains("connectors-csi")
            && text.contains("node-a")
            && text.contains("VOLUME_MOUNT_GROUP"),
        "{text}"
    );

    let target = kubelet.join("pods/p/volumes/kubernetes.io~csi/v/mount");
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    let t = target.to_str().unwrap();
    let out = csi(&[
        "publish",
        "--volume-id",
        "v1",
        "--target",
        t,
        "--attr",
        "connector.name=k8s-demo",
        "--attr",
        "csi.storage.k8s.io/pod.namespace=default",
        "--attr",
        "configuration.names=kubeconfig",
        "--token",
        "connectors-proxy=cli-token-value",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(target.join("kubeconfig").exists());
    // Errors come back in plain words.
    let out = csi(&[
        "publish",
        "--volume-id",
        "v2",
        "--target",
        t,
        "--attr",
        "connector.name=ghost",
        "--attr",
        "csi.storage.k8s.io/pod.namespace=default",
        "--token",
        "connectors-proxy=x",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("does not exist") && err.contains("NotFound") && err.contains("ghost"),
        "{err}"
    );

    let (code, body) = http_get(port, "/metrics");
    assert_eq!(code, 200);
    assert!(
        body.contains("connectors_csi_publish_total{code=\"OK\"} 1"),
        "{body}"
    );
    assert!(
        body.contains("connectors_csi_publish_total{code=\"NotFound\"} 1"),
        "{body}"
    );
    assert!(body.contains("connectors_csi_volumes 1"), "{body}");
    assert!(body.contains("connectors_csi_source_synced 1"), "{body}");
    assert!(!body.contains("v1"), "no per-volume labels");
    assert_eq!(http_get(port, "/healthz").0, 200);
    assert_eq!(http_get(port, "/readyz").0, 200);

    let out = csi(&["unpublish", "--volume-id", "v1", "--target", t]);
    assert!(out.status.success());
    assert!(!target.exists());

    // SIGTERM: graceful shutdown removes the socket.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert!(!sock.exists(), "socket removed on shutdown");
    let logs = logs.join().unwrap();
    assert!(logs.iter().any(|l| l.starts_with('{')), "json logs");
    assert!(
        !logs.iter().any(|l| l.contains("cli-token-value")),
        "token never logged"
    );
}
