//! `connectors-csi serve`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use tracing::{error, info};

use super::LogFormat;
use crate::connector::dir::DirSource;
use crate::connector::kube::{client_from_config, KubeSource, KubeSourceOptions};
use crate::connector::{ConnectorSource, SourceError};
use crate::driver::{Driver, DriverConfig, DEFAULT_TMPFS_SIZE};
use crate::events::kube::KubeEventSink;
use crate::events::{EventSink, LogSink};
use crate::features::{Features, Overrides};
use crate::metrics::Metrics;
use crate::token::TokenSourceMode;

/// Flags of `serve`; every flag has an environment fallback.
#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// CSI endpoint: unix:///csi/csi.sock or a plain path.
    #[arg(long, env = "CSI_ENDPOINT", default_value = "unix:///csi/csi.sock")]
    pub endpoint: String,
    /// Node name reported by NodeGetInfo.
    #[arg(long, env = "NODE_NAME")]
    pub node_id: String,
    /// Driver name (must match the CSIDriver object).
    #[arg(long, env = "DRIVER_NAME", default_value = "connectors-csi")]
    pub driver_name: String,
    /// Kubelet root directory; target paths must be under it.
    #[arg(long, env = "KUBELET_DIR", default_value = "/var/lib/kubelet")]
    pub kubelet_dir: PathBuf,
    /// Accept target paths outside --kubelet-dir (tests only).
    #[arg(long, env = "ALLOW_ANY_TARGET", hide = true)]
    pub allow_any_target: bool,
    /// Where per-volume state lives (root-only). It must survive driver restarts, not reboots
    /// (the tmpfs it describes does not either): a tmpfs under /run, not /tmp (tmpfiles cleaners).
    #[arg(long, env = "STATE_DIR", default_value = DEFAULT_STATE_DIR)]
    pub state_dir: PathBuf,
    /// State directory of releases before the state moved to /run: its state files are moved
    /// into --state-dir at start (upgrade). Empty: no migration.
    #[arg(long, env = "LEGACY_STATE_DIR", default_value = LEGACY_STATE_DIR)]
    pub legacy_state_dir: String,
    /// Connector source: `kube`, `dir:<path>`, or `auto` (kube when a cluster is configured,
    /// else dir:./deploy/examples).
    #[arg(long, env = "CONNECTORS_CSI_SOURCE", default_value = "auto")]
    pub source: String,
    /// Kubeconfig for out-of-cluster use (default: in-cluster config).
    #[arg(long, env = "KUBECONFIG")]
    pub kubeconfig: Option<PathBuf>,
    /// Audience of the pod ServiceAccount tokens presented to the connectors proxy.
    #[arg(long, env = "TOKEN_AUDIENCE", default_value = "connectors-proxy")]
    pub token_audience: String,
    /// Where pod tokens come from.
    #[arg(long, env = "TOKEN_SOURCE", value_enum, default_value_t = TokenSourceMode::Auto)]
    pub token_source: TokenSourceMode,
    /// Directory source only: a token file used when kubelet passes no token.
    #[arg(long, env = "STATIC_TOKEN_FILE")]
    pub static_token_file: Option<PathBuf>,
    /// Address of /metrics, /healthz, /readyz and (with --enable-debug-volumes) /debug/volumes
    /// (empty to disable).
    #[arg(long, env = "METRICS_ADDRESS", default_value = "0.0.0.0:9810")]
    pub metrics_address: String,
    /// Size of each volume's tmpfs in bytes.
    #[arg(long, env = "TMPFS_SIZE", default_value_t = DEFAULT_TMPFS_SIZE)]
    pub tmpfs_size: u64,
    /// How long a publish waits for a Connector not yet in the cache (kube source).
    #[arg(long, env = "CONNECTOR_WAIT", default_value = "5s", value_parser = parse_duration)]
    pub connector_wait: Duration,
    /// Upper bound of the random delay added to each scheduled refresh.
    #[arg(long, env = "REFRESH_JITTER", default_value = "10s", value_parser = parse_duration)]
    pub refresh_jitter: Duration,
    /// Alauda feature flag enable-connector-proxy-permissions: every mounted Connector also
    /// needs the `connectors/proxy` capability for the pod (a SubjectAccessReview); kube source
    /// only. Unset: the operator's ConfigMap decides (see --connectors-namespace).
    #[arg(long, env = "ENABLE_CONNECTOR_PROXY_PERMISSIONS", num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub enable_connector_proxy_permissions: Option<bool>,
    /// Alauda feature flag enable-connectors-approval: a denied `connectors/proxy` capability is
    /// requested through an AccessRequest and the mount waits for its approval (needs
    /// enable-connector-proxy-permissions too; see docs/approval.md). Unset: the ConfigMap decides.
    #[arg(long, env = "ENABLE_CONNECTORS_APPROVAL", num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub enable_connectors_approval: Option<bool>,
    /// Alauda feature flag enable-multi-connector: a volume may list several Connectors.
    /// Unset: the ConfigMap decides; without it, allowed.
    #[arg(long, env = "ENABLE_MULTI_CONNECTOR", num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub enable_multi_connector: Option<bool>,
    /// Alauda feature flag enable-custom-ca-certs: a Connector's spec.caCertSecretRef is used
    /// (tokenfile direct mode). Unset: the ConfigMap decides; without it, used.
    #[arg(long, env = "ENABLE_CUSTOM_CA_CERTS", num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub enable_custom_ca_certs: Option<bool>,
    /// Namespace of the Connectors operator, whose ConfigMap holds the feature flags.
    #[arg(long, env = "CONNECTORS_NAMESPACE", default_value = crate::features::DEFAULT_NAMESPACE)]
    pub connectors_namespace: String,
    /// Name of the feature-flag ConfigMap, watched live (kube source); empty to not read it.
    #[arg(long, env = "FEATURE_FLAGS_CONFIGMAP", default_value = crate::features::CONFIGMAP_NAME)]
    pub feature_flags_configmap: String,
    /// Serve /debug/volumes on the metrics address: every volume on this node with its pod,
    /// Connectors and refresh state (no token), to anyone who can reach that address
    /// (docs/security.md). Off: it answers 404 with how to turn it on.
    #[arg(long, env = "ENABLE_DEBUG_VOLUMES")]
    pub enable_debug_volumes: bool,
    /// Log format.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Log level or env-filter directive (e.g. `info`, `connectors_csi=debug`).
    #[arg(long, env = "LOG_LEVEL", default_value = "info")]
    pub log_level: String,
}

/// Default `--state-dir`: a tmpfs on every systemd host, with the mounts' lifetime.
pub const DEFAULT_STATE_DIR: &str = "/run/connectors-csi";

/// The disk-backed default `--state-dir` of earlier releases (default `--legacy-state-dir`).
pub const LEGACY_STATE_DIR: &str = "/var/lib/connectors-csi";

/// Parses Go-style durations (`5s`, `1m30s`).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    crate::token::parse_go_duration(s)
}

/// A connector source and, for the Kubernetes source, its client (for pod events).
pub struct BuiltSource {
    pub source: Arc<dyn ConnectorSource>,
    pub client: Option<kube::Client>,
}

/// Builds the connector source named by `spec`.
pub async fn build_source(
    spec: &str,
    kubeconfig: Option<PathBuf>,
    static_token_file: Option<PathBuf>,
    connector_wait: Duration,
) -> Result<BuiltSource, SourceError> {
    let spec = if spec == "auto" {
        if kubeconfig.is_some() || std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() {
            "kube".to_string()
        } else {
            "dir:./deploy/examples".to_string()
        }
    } else {
        spec.to_string()
    };
    if spec == "kube" {
        let client = client_from_config(kubeconfig).await?;
        let opts = KubeSourceOptions {
            wait_for_connector: connector_wait,
            ..Default::default()
        };
        let source: Arc<dyn ConnectorSource> = KubeSource::start(client.clone(), opts).await;
        return Ok(BuiltSource {
            source,
            client: Some(client),
        });
    }
    if let Some(dir) = spec.strip_prefix("dir:") {
        let source: Arc<dyn ConnectorSource> =
            DirSource::open(PathBuf::from(dir), static_token_file).await?;
        return Ok(BuiltSource {
            source,
            client: None,
        });
    }
    Err(SourceError::Invalid(format!(
        "unknown source {spec:?}: use kube, dir:<path> or auto"
    )))
}

/// The feature-flag overrides given on the command line or in the environment.
fn overrides(args: &ServeArgs) -> Overrides {
    Overrides {
        connector_proxy_permissions: args.enable_connector_proxy_permissions,
        connectors_approval: args.enable_connectors_approval,
        multi_connector: args.enable_multi_connector,
        custom_ca_certs: args.enable_custom_ca_certs,
    }
}

/// The driver's feature flags: the overrides, over the operator's ConfigMap watched live when
/// the source is Kubernetes. The approval flags need the Kubernetes source.
async fn features(
    args: &ServeArgs,
    source_kind: &str,
    client: Option<&kube::Client>,
) -> Result<Features, String> {
    let o = overrides(args);
    let approval_asked =
        o.connector_proxy_permissions == Some(true) || o.connectors_approval == Some(true);
    if approval_asked && source_kind != "kube" {
        return Err(format!(
            "--enable-connector-proxy-permissions and --enable-connectors-approval need --source kube (the {source_kind} source has no RBAC or AccessRequests)"
        ));
    }
    let features = match client {
        Some(c) if !args.feature_flags_configmap.is_empty() => {
            let f = crate::features::configmap::watch_configmap(
                c.clone(),
                &args.connectors_namespace,
                &args.feature_flags_configmap,
                o,
            );
            if !f.wait_read(Duration::from_secs(10)).await {
                tracing::warn!(configmap = %format!("{}/{}", args.connectors_namespace, args.feature_flags_configmap),
                    "feature-flag ConfigMap not read within 10s; mounts that depend on it wait (UNAVAILABLE) until it is");
            }
            f
        }
        _ => Features::fixed(o),
    };
    if let Ok(flags) = features.current() {
        if flags.connectors_approval && !flags.connector_proxy_permissions {
            tracing::warn!("enable-connectors-approval has no effect without enable-connector-proxy-permissions (Alauda Connectors needs both flags for approval gating)");
        }
    }
    info!(flags = %crate::features::summary(&features.report()), "Connectors feature flags");
    Ok(features)
}

pub async fn run(args: ServeArgs) -> ExitCode {
    super::init_logging(args.log_format, &args.log_level);
    match serve(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            error!("{e}");
            eprintln!("connectors-csi: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    if args.node_id.trim().is_empty() {
        return Err("--node-id (or NODE_NAME) must not be empty".into());
    }
    let path = crate::csi::server::parse_endpoint(&args.endpoint).map_err(|e| e.to_string())?;
    let BuiltSource { source, client } = build_source(
        &args.source,
        args.kubeconfig.clone(),
        args.static_token_file.clone(),
        args.connector_wait,
    )
    .await
    .map_err(|e| format!("connector source: {e}"))?;
    let features = features(&args, source.kind(), client.as_ref()).await?;
    // Pod events: Kubernetes Events with the kube source, log lines without a cluster.
    let events: Arc<dyn EventSink> = match client {
        Some(c) => Arc::new(KubeEventSink::new(c, args.node_id.clone())),
        None => Arc::new(LogSink),
    };
    let cfg = DriverConfig {
        driver_name: args.driver_name.clone(),
        node_id: args.node_id.clone(),
        kubelet_dir: args.kubelet_dir.clone(),
        allow_any_target: args.allow_any_target,
        state_dir: args.state_dir.clone(),
        legacy_state_dir: Some(PathBuf::from(&args.legacy_state_dir))
            .filter(|p| !p.as_os_str().is_empty() && *p != args.state_dir),
        token_audience: args.token_audience.clone(),
        token_source: args.token_source,
        tmpfs_size_bytes: args.tmpfs_size,
        default_file_mode: 0o440,
        refresh_jitter: args.refresh_jitter,
        mount: true,
        features: features.clone(),
    };
    let mut metrics = Metrics::new();
    metrics.watch_source(source.clone());
    let metrics = Arc::new(metrics);
    let driver = Driver::new_with_events(cfg, source.clone(), metrics.clone(), events)
        .map_err(|e| e.to_string())?;
    let report = driver
        .recover()
        .await
        .map_err(|e| format!("restart recovery: {e}"))?;
    info!(driver = %args.driver_name, node = %args.node_id, source = source.kind(),
          adopted = report.adopted, migrated = report.migrated, version = env!("CARGO_PKG_VERSION"), "connectors-csi starting");

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let metrics_task = if args.metrics_address.is_empty() {
        None
    } else {
        let addr: SocketAddr = args.metrics_address.parse().map_err(|_| {
            format!(
                "--metrics-address {:?} is not host:port",
                args.metrics_address
            )
        })?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| format!("metrics address {addr}: {e}"))?;
        info!(%addr, debug_volumes = args.enable_debug_volumes,
              "serving /metrics, /healthz, /readyz{}",
              if args.enable_debug_volumes { ", /debug/volumes" } else { "" });
        let src = source.clone();
        let mut rx = stop_rx.clone();
        let volumes: Option<crate::metrics::DebugVolumes> = if args.enable_debug_volumes {
            let d = Arc::downgrade(&driver);
            let node = args.node_id.clone();
            let flags = features.clone();
            Some(Arc::new(move || {
                let volumes = d.upgrade().map(|d| d.volume_reports()).unwrap_or_default();
                serde_json::json!({ "node": node, "featureFlags": flags.report(), "volumes": volumes })
            }))
        } else {
            None
        };
        Some(tokio::spawn(crate::metrics::serve_http(
            listener,
            metrics,
            Arc::new(move || src.is_synced()),
            volumes,
            async move {
                let _ = rx.wait_for(|s| *s).await;
            },
        )))
    };
    let trim_task = tokio::spawn(super::heap::trim_periodically(stop_rx.clone()));
    let listener = crate::csi::server::bind(&path).map_err(|e| e.to_string())?;
    let result = crate::csi::server::serve(
        driver,
        listener,
        &path,
        crate::csi::server::shutdown_signal(),
    )
    .await;
    let _ = stop_tx.send(true);
    let _ = trim_task.await;
    if let Some(t) = metrics_task {
        let _ = t.await;
    }
    info!("connectors-csi stopped");
    result.map_err(|e| e.to_string())
}
