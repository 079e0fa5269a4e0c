//! Drivers under test: [`TestDriver`] (an in-process driver served by the real gRPC server on a
//! unix socket, with connected clients) and [`DriverProcess`] (the real `connectors-csi serve`
//! binary over a directory source).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use connectors_csi::connector::kube::{KubeSource, KubeSourceOptions};
use connectors_csi::connector::ConnectorSource;
use connectors_csi::csi::proto::{self, identity_client::IdentityClient, node_client::NodeClient};
use connectors_csi::driver::{Driver, DriverConfig};
use connectors_csi::events::{EventSink, LogSink};
use connectors_csi::metrics::Metrics;
use tokio::sync::oneshot;
use tonic::transport::Channel;

use crate::csi::kubelet_target;
use crate::mounts::{unmount_all_under, UnmountOnDrop};

/// A driver over `source`, recovered and served on `root/csi.sock`, with clients connected.
pub struct TestDriver {
    pub root: tempfile::TempDir,
    pub driver: Arc<Driver>,
    pub node: NodeClient<Channel>,
    pub identity: IdentityClient<Channel>,
    pub channel: Channel,
    pub socket: PathBuf,
    /// How long the client took to connect to the socket.
    pub connect: Duration,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl TestDriver {
    /// A driver with [`DriverConfig::for_root`] in a fresh temporary directory.
    pub async fn start(source: Arc<dyn ConnectorSource>) -> TestDriver {
        let root = tempfile::tempdir().unwrap();
        let cfg = DriverConfig::for_root(root.path());
        Self::start_with(root, cfg, source).await
    }

    /// As [`TestDriver::start`], with no refresh jitter: refreshes run exactly when due, so
    /// refresh and recovery tests need not wait out the default 0–10 s spread.
    pub async fn start_without_jitter(source: Arc<dyn ConnectorSource>) -> TestDriver {
        let root = tempfile::tempdir().unwrap();
        let mut cfg = DriverConfig::for_root(root.path());
        cfg.refresh_jitter = std::time::Duration::ZERO;
        Self::start_with(root, cfg, source).await
    }

    /// A driver with `cfg` whose files live under `root`.
    pub async fn start_with(
        root: tempfile::TempDir,
        cfg: DriverConfig,
        source: Arc<dyn ConnectorSource>,
    ) -> TestDriver {
        Self::start_with_events(root, cfg, source, Arc::new(LogSink)).await
    }

    /// [`TestDriver::start_with`], with pod events sent to `events`.
    pub async fn start_with_events(
        root: tempfile::TempDir,
        cfg: DriverConfig,
        source: Arc<dyn ConnectorSource>,
        events: Arc<dyn EventSink>,
    ) -> TestDriver {
        std::fs::create_dir_all(&cfg.kubelet_dir).unwrap();
        let driver =
            Driver::new_with_events(cfg, source, Arc::new(Metrics::new()), events).unwrap();
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
        let t = Instant::now();
        let channel = connectors_csi::csi::server::connect(&socket).await.unwrap();
        let connect = t.elapsed();
        TestDriver {
            node: NodeClient::new(channel.clone()),
            identity: IdentityClient::new(channel.clone()),
            channel,
            root,
            driver,
            socket,
            connect,
            shutdown: Some(tx),
            server: Some(server),
        }
    }

    pub fn kubelet_dir(&self) -> PathBuf {
        self.driver.cfg.kubelet_dir.clone()
    }

    /// A kubelet-style target path for `vol`.
    pub fn target(&self, vol: &str) -> PathBuf {
        kubelet_target(&self.kubelet_dir(), vol)
    }

    /// Stops the server and hands back the driver's directory (still holding its state).
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

/// The `connectors-csi` binary cargo built next to the running test or bench executable
/// (`<target>/<profile>/deps/<test>` → `<target>/<profile>/connectors-csi`).
pub fn driver_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("path of the test executable");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test executable under <target>/<profile>/deps");
    let bin = profile_dir.join("connectors-csi");
    assert!(
        bin.exists(),
        "{} does not exist (cargo builds it for integration tests and benches)",
        bin.display()
    );
    bin
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
    /// The `--legacy-state-dir` the process migrates state from at start (never the host's
    /// `/var/lib/connectors-csi`).
    pub fn legacy_state_dir(root: &Path) -> PathBuf {
        root.join("legacy-state")
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
        let child = std::process::Command::new(driver_binary())
            .arg("serve")
            .arg("--source")
            .arg(format!("dir:{}", Self::source_dir(root).display()))
            .arg("--kubelet-dir")
            .arg(Self::kubelet_dir(root))
            .arg("--state-dir")
            .arg(Self::state_dir(root))
            .arg("--legacy-state-dir")
            .arg(Self::legacy_state_dir(root))
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
        let deadline = Instant::now() + Duration::from_secs(20);
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
                Instant::now() < deadline,
                "connectors-csi did not serve within 20 s"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
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

/// Starts a [`KubeSource`] on `client` and waits (10 s at most, else panics) until it has synced.
pub async fn synced_kube_source(client: kube::Client, opts: KubeSourceOptions) -> Arc<KubeSource> {
    let source = KubeSource::start(client, opts).await;
    let t0 = Instant::now();
    while !source.is_synced() {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "KubeSource did not sync within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    source
}
