//! Operating a node, as the on-call engineer does it, against the real binary over a directory
//! source: `/debug/volumes` (opt-in: a 404 naming the flag when off) and `connectors-csi
//! volumes` (table and JSON, with and without a reachable driver or the endpoint, never a token), pod events as log lines without a cluster (`node_cli.rs`);
//! the process metrics in the scrape, and the monitoring assets using only exported metrics
//! (`assets.rs`). This file: the running node and its helpers.

mod assets;
mod node_cli;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_connectors-csi");
pub const TOKEN: &str = "ops-test-token-value";

pub fn root() -> bool {
    if nix::unistd::geteuid().is_root() {
        true
    } else {
        eprintln!("SKIP: needs root to mount tmpfs");
        false
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn http_get(port: u16, path: &str) -> (u16, String) {
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
    /// A node with `/debug/volumes` on through `ENABLE_DEBUG_VOLUMES=true`, as the Helm value and
    /// the kustomize component set it.
    pub fn start() -> Node {
        Node::start_with(&[("ENABLE_DEBUG_VOLUMES", "true")], &[])
    }

    /// A node with these environment variables and extra `serve` flags (and no
    /// `ENABLE_DEBUG_VOLUMES` unless given).
    pub fn start_with(env: &[(&str, &str)], flags: &[&str]) -> Node {
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
            .args(["--legacy-state-dir", ""])
            .args([
                "--metrics-address",
                &format!("127.0.0.1:{port}"),
                "--log-format",
                "json",
            ])
            .args(["--refresh-jitter", "0s"])
            .args(flags)
            .env_remove("ENABLE_DEBUG_VOLUMES")
            .envs(env.iter().copied())
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
