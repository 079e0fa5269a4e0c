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
