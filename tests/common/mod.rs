//! Shared fixtures for integration tests: a driver over a [`MemorySource`], served by the real
//! gRPC server on a unix socket in a temporary directory, and a tonic client connected to it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use connectors_csi::connector::memory::MemorySource;
use connectors_csi::connector::store::Snapshot;
use connectors_csi::connector::types::*;
use connectors_csi::connector::ConnectorSource;
use connectors_csi::csi::proto::{self, identity_client::IdentityClient, node_client::NodeClient};
use connectors_csi::driver::{Driver, DriverConfig};
use connectors_csi::metrics::Metrics;
use tokio::sync::oneshot;
use tonic::transport::Channel;

pub const AUDIENCE: &str = "connectors-proxy";
pub const TEST_CA: &str = "-----BEGIN CERTIFICATE-----\nTESTPROXYCA\n-----END CERTIFICATE-----\n";

/// True when real tmpfs mounts are possible; otherwise prints why the test is skipped.
pub fn require_root(test: &str) -> bool {
    if nix::unistd::geteuid().is_root() {
        true
    } else {
        eprintln!("SKIP {test}: needs root to mount tmpfs (run the suite as root, as CI does)");
        false
    }
}

pub fn k8s_class() -> ConnectorClass {
    serde_yaml::from_str(
        r#"
apiVersion: connectors.alauda.io/v1alpha1
kind: ConnectorClass
metadata: {name: k8s}
spec:
  address: {name: address, type: string}
  auth: {types: [{name: bearerTokenAuth, secretType: connectors.cpaas.io/bearer-token}]}
"#,
    )
    .unwrap()
}

pub fn connector(ns: &str, name: &str, address: &str, proxy: &str) -> Connector {
    let mut c: Connector = serde_yaml::from_str(&format!(
        r#"
apiVersion: connectors.alauda.io/v1alpha1
kind: Connector
metadata: {{name: {name}, namespace: {ns}}}
spec:
  connectorClassName: k8s
  address: {address}
status:
  conditions: [{{type: Ready, status: "True"}}]
  proxy: {{httpAddress: {{url: "{proxy}"}}}}
"#
    ))
    .unwrap();
    set_proxy_ca(&mut c, Some(TEST_CA));
    c
}

/// Sets (or clears) the proxy CA a connector publishes in `status.proxy.httpAddress.CACerts`.
pub fn set_proxy_ca(c: &mut Connector, ca: Option<&str>) {
    c.status
        .get_or_insert_with(Default::default)
        .proxy
        .get_or_insert_with(Default::default)
        .http_address
        .get_or_insert_with(Default::default)
        .ca_certs = ca.map(str::to_string);
}

/// A memory source holding class `k8s` and connector `team/k8s-a`.
pub fn default_source() -> Arc<MemorySource> {
    let src = MemorySource::new();
    src.set(|s: &mut Snapshot| {
        s.insert_class(k8s_class());
        s.insert_connector(connector(
            "team",
            "k8s-a",
            "https://api.example.com:6443",
            "http://c-k8s-a.team.svc.cluster.local",
        ));
    });
    src
}

pub struct TestDriver {
    pub root: tempfile::TempDir,
    pub driver: Arc<Driver>,
    pub node: NodeClient<Channel>,
    pub identity: IdentityClient<Channel>,
    pub channel: Channel,
    pub socket: PathBuf,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl TestDriver {
    pub async fn start(source: Arc<dyn ConnectorSource>) -> TestDriver {
        let root = tempfile::tempdir().unwrap();
        let cfg = DriverConfig::for_root(root.path());
        Self::start_with(root, cfg, source).await
    }

    pub async fn start_with(
        root: tempfile::TempDir,
        cfg: DriverConfig,
        source: Arc<dyn ConnectorSource>,
    ) -> TestDriver {
        std::fs::create_dir_all(&cfg.kubelet_dir).unwrap();
        let driver = Driver::new(cfg, source, Arc::new(Metrics::new())).unwrap();
        driver.recover().await.unwrap();
        let socket = root.path().join("csi.sock");
        let listener = connectors_csi::csi::server::bind(&socket).unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let d = driver.clone();
        let sock = socket.clone();
        let server = tokio::spawn(async move {
            connectors_csi::csi::server::serve(d, listener, &sock, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        let channel = connectors_csi::csi::server::connect(&socket).await.unwrap();
        TestDriver {
            node: NodeClient::new(channel.clone()),
            identity: IdentityClient::new(channel.clone()),
            channel,
            root,
            driver,
            socket,
            shutdown: Some(tx),
            server: Some(server),
        }
    }

    pub fn kubelet_dir(&self) -> PathBuf {
        self.driver.cfg.kubelet_dir.clone()
    }

    /// A kubelet-style target path for `vol`.
    pub fn target(&self, vol: &str) -> PathBuf {
        let pod = self
            .kubelet_dir()
            .join("pods")
            .join(format!("uid-{vol}"))
            .join("volumes/kubernetes.io~csi")
            .join(vol);
        std::fs::create_dir_all(&pod).unwrap();
        pod.join("mount")
    }

    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.server.take() {
            let _ = h.await;
        }
        let root = tempfile::tempdir().unwrap();
        std::mem::replace(&mut self.root, root)
    }
}

impl Drop for TestDriver {
    /// A test that panicked before `stop()` would leave its tmpfs mounts behind; unmount them.
    fn drop(&mut self) {
        if self.shutdown.is_some() {
            drop(UnmountOnDrop(self.driver.cfg.kubelet_dir.clone()));
        }
    }
}

/// A kubelet token attribute value for the test audience.
pub fn kubelet_tokens(token: &str, valid_for: std::time::Duration) -> String {
    let exp = jiff::Timestamp::now() + jiff::SignedDuration::try_from(valid_for).unwrap();
    serde_json::json!({ AUDIENCE: { "token": token, "expirationTimestamp": exp.to_string() } })
        .to_string()
}

/// A NodePublishVolumeRequest as kubelet sends it for an inline volume.
pub fn publish_request(
    vol: &str,
    target: &Path,
    attrs: &[(&str, &str)],
    token: &str,
) -> proto::NodePublishVolumeRequest {
    let mut ctx: HashMap<String, String> = attrs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    ctx.insert("csi.storage.k8s.io/pod.name".into(), format!("pod-{vol}"));
    ctx.insert("csi.storage.k8s.io/pod.namespace".into(), "team".into());
    ctx.insert("csi.storage.k8s.io/pod.uid".into(), format!("uid-{vol}"));
    ctx.insert(
        "csi.storage.k8s.io/serviceAccount.name".into(),
        "builder".into(),
    );
    ctx.insert("csi.storage.k8s.io/ephemeral".into(), "true".into());
    let mut secrets = HashMap::new();
    secrets.insert(
        "csi.storage.k8s.io/serviceAccount.tokens".to_string(),
        kubelet_tokens(token, std::time::Duration::from_secs(3600)),
    );
    proto::NodePublishVolumeRequest {
        volume_id: vol.to_string(),
        publish_context: HashMap::new(),
        staging_target_path: String::new(),
        target_path: target.to_string_lossy().into_owned(),
        volume_capability: Some(mount_capability(None)),
        readonly: true,
        secrets,
        volume_context: ctx,
    }
}

pub fn mount_capability(group: Option<u32>) -> proto::VolumeCapability {
    proto::VolumeCapability {
        access_type: Some(proto::volume_capability::AccessType::Mount(
            proto::volume_capability::MountVolume {
                fs_type: String::new(),
                mount_flags: vec![],
                volume_mount_group: group.map(|g| g.to_string()).unwrap_or_default(),
            },
        )),
        access_mode: Some(proto::volume_capability::AccessMode {
            mode: proto::volume_capability::access_mode::Mode::SingleNodeWriter as i32,
        }),
    }
}

pub fn unpublish_request(vol: &str, target: &Path) -> proto::NodeUnpublishVolumeRequest {
    proto::NodeUnpublishVolumeRequest {
        volume_id: vol.to_string(),
        target_path: target.to_string_lossy().into_owned(),
    }
}

/// Is a connectors-csi tmpfs mounted at `p`?
pub fn mounted(p: &Path) -> bool {
    connectors_csi::volume::mount::is_our_mount(p).unwrap()
}

/// Every tmpfs of ours mounted at or below `dir` (mount table scan).
pub fn our_mounts_under(dir: &Path) -> Vec<PathBuf> {
    connectors_csi::volume::mount::mount_table()
        .unwrap()
        .into_iter()
        .filter(|m| {
            m.fs_type == "tmpfs"
                && m.source == connectors_csi::volume::mount::MOUNT_SOURCE
                && m.mount_point.starts_with(dir)
        })
        .map(|m| m.mount_point)
        .collect()
}

/// Unmounts every tmpfs of ours at or below `dir` (test cleanup after a killed driver).
pub fn unmount_all_under(dir: &Path) {
    for m in our_mounts_under(dir) {
        let _ = connectors_csi::volume::mount::unmount_ours(&m);
    }
}

/// The per-volume state files in a driver state directory.
pub fn state_files(state_dir: &Path) -> Vec<PathBuf> {
    match std::fs::read_dir(state_dir.join("volumes")) {
        Ok(rd) => rd.flatten().map(|e| e.path()).collect(),
        Err(_) => vec![],
    }
}

/// Mounts a private tmpfs at `dir` for tests that need a real tmpfs outside any driver.
pub fn mount_test_tmpfs(dir: &Path, size_bytes: u64) {
    std::fs::create_dir_all(dir).unwrap();
    connectors_csi::volume::mount::mount_tmpfs(
        dir,
        connectors_csi::volume::mount::TmpfsOptions {
            size_bytes,
            mode: 0o755,
            gid: None,
        },
    )
    .unwrap();
}

/// The example connectors and classes (deploy/examples), written into `dir` with the k8s-demo
/// connector's API server address replaced by `address` (atomically: temp file + rename, so the
/// directory source never reads a half-written file).
pub fn write_example_source(dir: &Path, address: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/examples");
    std::fs::create_dir_all(dir).unwrap();
    for (name, replace) in [("classes.yaml", false), ("connectors.yaml", true)] {
        let mut text = std::fs::read_to_string(root.join(name)).unwrap();
        if replace {
            text = text.replace("https://kubernetes.example.com:6443", address);
        }
        let tmp = dir.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(&tmp, dir.join(name)).unwrap();
    }
}

/// Files of a `k8s-demo` volume asking for the `kubeconfig` configuration.
pub const DEMO_FILES: &[&str] = &[
    ".env",
    "http.proxy",
    "https.proxy",
    "context.token",
    "context.proxy.caCert",
    "ca.crt",
    "connector.status.proxyAddress",
    "kubeconfig",
];

/// A publish of the example `default/k8s-demo` connector's kubeconfig by a pod in `default`.
pub fn demo_publish_request(
    vol: &str,
    target: &Path,
    token: &str,
) -> proto::NodePublishVolumeRequest {
    let mut r = publish_request(
        vol,
        target,
        &[
            ("connector.name", "k8s-demo"),
            ("configuration.names", "kubeconfig"),
        ],
        token,
    );
    r.volume_context
        .insert("csi.storage.k8s.io/pod.namespace".into(), "default".into());
    r
}

/// A kubelet-style target path for `vol` under `kubelet` (parent created, like kubelet does).
pub fn kubelet_target(kubelet: &Path, vol: &str) -> PathBuf {
    let pod = kubelet
        .join("pods")
        .join(format!("uid-{vol}"))
        .join("volumes/kubernetes.io~csi")
        .join(vol);
    std::fs::create_dir_all(&pod).unwrap();
    pod.join("mount")
}

/// The real `connectors-csi serve` binary over a directory source, everything under `root`.
pub struct DriverProcess {
    pub child: std::process::Child,
    pub root: PathBuf,
    pub socket: PathBuf,
    pub log: PathBuf,
}

impl DriverProcess {
    pub fn kubelet_dir(root: &Path) -> PathBuf {
        root.join("kubelet")
    }
    pub fn state_dir(root: &Path) -> PathBuf {
        root.join("state")
    }
    pub fn source_dir(root: &Path) -> PathBuf {
        root.join("connectors")
    }

    /// Starts the driver (appending its stderr to `root/driver.log`) with extra flags.
    pub fn spawn(root: &Path, log_level: &str, extra: &[&str]) -> DriverProcess {
        let socket = root.join("csi/csi.sock");
        let log = root.join("driver.log");
        std::fs::create_dir_all(Self::kubelet_dir(root)).unwrap();
        let stderr = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_connectors-csi"))
            .arg("serve")
            .arg("--source")
            .arg(format!("dir:{}", Self::source_dir(root).display()))
            .arg("--kubelet-dir")
            .arg(Self::kubelet_dir(root))
            .arg("--state-dir")
            .arg(Self::state_dir(root))
            .arg("--endpoint")
            .arg(&socket)
            .args([
                "--node-id",
                "n",
                "--metrics-address",
                "",
                "--refresh-jitter",
                "0s",
            ])
            .args(["--log-level", log_level])
            .args(extra)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("start connectors-csi");
        DriverProcess {
            child,
            root: root.to_path_buf(),
            socket,
            log,
        }
    }

    /// Waits until the socket answers Probe; panics after 20 s or if the process exits.
    pub async fn ready(&mut self) -> Channel {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "connectors-csi exited with {status}: {}",
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
            if self.socket.exists() {
                if let Ok(ch) = connectors_csi::csi::server::connect(&self.socket).await {
                    let mut id = IdentityClient::new(ch.clone());
                    if id.probe(proto::ProbeRequest {}).await.is_ok() {
                        return ch;
                    }
                }
            }
            assert!(
                std::time::Instant::now() < deadline,
                "connectors-csi did not serve within 20 s"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    /// kill -9.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM and wait (graceful shutdown).
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        self.child.wait().unwrap()
    }
}

impl Drop for DriverProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.kill9();
        }
        // A failed test must not leave tmpfs mounts of a killed driver behind.
        if std::thread::panicking() {
            unmount_all_under(&Self::kubelet_dir(&self.root));
        }
    }
}

/// Unmounts every mount (ours or a test's own) at or below its path when dropped, so a failing
/// test leaves nothing mounted.
pub struct UnmountOnDrop(pub PathBuf);

impl Drop for UnmountOnDrop {
    fn drop(&mut self) {
        let Ok(table) = connectors_csi::volume::mount::mount_table() else {
            return;
        };
        let mut mine: Vec<PathBuf> = table
            .into_iter()
            .map(|m| m.mount_point)
            .filter(|p| p.starts_with(&self.0))
            .collect();
        mine.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
        for m in mine {
            let _ = nix::mount::umount2(&m, nix::mount::MntFlags::MNT_DETACH);
        }
    }
}
