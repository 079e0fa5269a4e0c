//! Prometheus metrics. Labels have bounded cardinality: gRPC codes, results and source kinds,
//! never volume ids or pod names. Also the HTTP server of `/metrics`, `/healthz`, `/readyz` and
//! the read-only `/debug/volumes`.

pub mod process;
pub mod watches;

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CodeLabel {
    pub code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabel {
    pub result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabel {
    pub reason: String,
}

/// The `reason` of `connectors_csi_stale_volumes_total`: the connector was deleted or the pod's
/// access to it revoked.
pub const STALE_REASON: &str = "connector-gone-or-denied";

/// All driver metrics.
pub struct Metrics {
    pub registry: Registry,
    pub publish_total: Family<CodeLabel, Counter>,
    pub publish_seconds: Family<CodeLabel, Histogram>,
    pub unpublish_total: Family<CodeLabel, Counter>,
    pub unpublish_seconds: Family<CodeLabel, Histogram>,
    pub republish_failures_total: Counter,
    pub refresh_total: Family<ResultLabel, Counter>,
    pub refresh_seconds: Histogram,
    pub rotation_latency_seconds: Histogram,
    pub volumes: Gauge,
    pub token_min_seconds_to_expiry: Gauge<f64, AtomicU64>,
    pub source_synced: Gauge,
    pub stale_volumes_total: Family<ReasonLabel, Counter>,
    /// `tokenfile` direct-mode tokens minted on target clusters (each also has an audit line).
    pub direct_tokens_minted_total: Counter,
}

fn latency() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Reports what `source` watches as `connectors_csi_watched_objects{kind}` on every scrape.
    pub fn watch_source(&mut self, source: Arc<dyn crate::connector::ConnectorSource>) {
        self.registry
            .register_collector(Box::new(watches::WatchCollector(source)));
    }

    pub fn new() -> Self {
        let mut root = Registry::default();
        let registry = root.sub_registry_with_prefix("connectors_csi");
        let publish_total = Family::<CodeLabel, Counter>::default();
        let publish_seconds =
            Family::<CodeLabel, Histogram>::new_with_constructor(latency as fn() -> Histogram);
        let unpublish_total = Family::<CodeLabel, Counter>::default();
        let unpublish_seconds =
            Family::<CodeLabel, Histogram>::new_with_constructor(latency as fn() -> Histogram);
        let republish_failures_total = Counter::default();
        let refresh_total = Family::<ResultLabel, Counter>::default();
        let refresh_seconds = latency();
        let rotation_latency_seconds = latency();
        let volumes = Gauge::default();
        let token_min_seconds_to_expiry = Gauge::<f64, AtomicU64>::default();
        let source_synced = Gauge::default();
        let stale_volumes_total = Family::<ReasonLabel, Counter>::default();
        let direct_tokens_minted_total = Counter::default();
        registry.register(
            "publish",
            "NodePublishVolume calls by gRPC code",
            publish_total.clone(),
        );
        registry.register(
            "publish_duration_seconds",
            "NodePublishVolume latency by gRPC code",
            publish_seconds.clone(),
        );
        registry.register(
            "unpublish",
            "NodeUnpublishVolume calls by gRPC code",
            unpublish_total.clone(),
        );
        registry.register(
            "unpublish_duration_seconds",
            "NodeUnpublishVolume latency by gRPC code",
            unpublish_seconds.clone(),
        );
        registry.register(
            "republish_failures",
            "Periodic republishes that kept the last good files because refreshing failed",
            republish_failures_total.clone(),
        );
        registry.register(
            "refresh",
            "Volume refreshes by result (ok, unchanged, error, stale)",
            refresh_total.clone(),
        );
        registry.register(
            "refresh_duration_seconds",
            "Volume refresh latency",
            refresh_seconds.clone(),
        );
        registry.register(
            "rotation_latency_seconds",
            "Time from a source change being seen to new bytes written",
            rotation_latency_seconds.clone(),
        );
        registry.register("volumes", "Live published volumes", volumes.clone());
        registry.register(
            "token_min_seconds_to_expiry",
            "Smallest remaining lifetime of any mounted token",
            token_min_seconds_to_expiry.clone(),
        );
        registry.register(
            "source_synced",
            "1 when the connector source has completed its initial sync",
            source_synced.clone(),
        );
        registry.register("stale_volumes", "Volumes whose refresh stopped (connector deleted or access revoked); files kept until expiry", stale_volumes_total.clone());
        registry.register(
            "direct_tokens_minted",
            "tokenfile direct-mode tokens minted on target clusters (see the audit log lines)",
            direct_tokens_minted_total.clone(),
        );
        root.register_collector(Box::new(process::ProcessCollector));
        // Series at 0 from the start, so rate() and alerts see them before the first event.
        for code in ["OK"] {
            let l = CodeLabel { code: code.into() };
            drop(publish_total.get_or_create(&l));
            drop(publish_seconds.get_or_create(&l));
            drop(unpublish_total.get_or_create(&l));
            drop(unpublish_seconds.get_or_create(&l));
        }
        for result in ["ok", "unchanged", "error", "stale"] {
            drop(refresh_total.get_or_create(&ResultLabel {
                result: result.into(),
            }));
        }
        drop(stale_volumes_total.get_or_create(&ReasonLabel {
            reason: STALE_REASON.into(),
        }));
        Metrics {
            direct_tokens_minted_total,
            registry: root,
            publish_total,
            publish_seconds,
            unpublish_total,
            unpublish_seconds,
            republish_failures_total,
            refresh_total,
            refresh_seconds,
            rotation_latency_seconds,
            volumes,
            token_min_seconds_to_expiry,
            source_synced,
            stale_volumes_total,
        }
    }

    /// Text exposition format.
    pub fn encode(&self) -> String {
        let mut s = String::new();
        prometheus_client::encoding::text::encode(&mut s, &self.registry)
            .expect("encoding to a String cannot fail");
        s
    }

    pub fn refresh(&self, result: &str) {
        self.refresh_total
            .get_or_create(&ResultLabel {
                result: result.into(),
            })
            .inc();
    }
}

/// Builds the `/debug/volumes` body (JSON, nothing secret).
pub type DebugVolumes = std::sync::Arc<dyn Fn() -> serde_json::Value + Send + Sync>;

/// What `/debug/volumes` answers (404) when the driver was started without
/// `--enable-debug-volumes`: one line saying how to turn it on.
pub const DEBUG_VOLUMES_OFF: &str = "/debug/volumes is off: start the driver with --enable-debug-volumes (ENABLE_DEBUG_VOLUMES=true; Helm value debugVolumes.enabled, kustomize component deploy/components/debug-volumes)\n";

/// Serves `/metrics`, `/healthz`, `/readyz` and (when given, i.e. opted in) the read-only
/// `/debug/volumes` on `listener` until `shutdown` resolves; without it `/debug/volumes` is a 404
/// with [`DEBUG_VOLUMES_OFF`]. `/readyz` answers 200 only when `ready()` is true (the connector
/// source has synced).
pub async fn serve_http(
    listener: tokio::net::TcpListener,
    metrics: std::sync::Arc<Metrics>,
    ready: std::sync::Arc<dyn Fn() -> bool + Send + Sync>,
    volumes: Option<DebugVolumes>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::http::{header, StatusCode};
    use axum::routing::get;
    let m = metrics.clone();
    let r = ready.clone();
    let app = axum::Router::new()
        .route(
            "/metrics",
            get(move || {
                let m = m.clone();
                let r = r.clone();
                async move {
                    m.source_synced.set(r() as i64);
                    (
                        [(
                            header::CONTENT_TYPE,
                            "application/openmetrics-text; version=1.0.0; charset=utf-8",
                        )],
                        m.encode(),
                    )
                }
            }),
        )
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/readyz",
            get(move || {
                let ready = ready.clone();
                async move {
                    if ready() {
                        (StatusCode::OK, "ready")
                    } else {
                        (
                            StatusCode::SERVICE_UNAVAILABLE,
                            "connector source not synced yet",
                        )
                    }
                }
            }),
        );
    let app = match volumes {
        Some(v) => app.route(
            "/debug/volumes",
            get(move || {
                let v = v.clone();
                async move {
                    (
                        [(header::CONTENT_TYPE, "application/json")],
                        serde_json::to_string_pretty(&v()).unwrap_or_default(),
                    )
                }
            }),
        ),
        None => app.route(
            "/debug/volumes",
            get(|| async {
                (
                    StatusCode::NOT_FOUND,
                    [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                    DEBUG_VOLUMES_OFF,
                )
            }),
        ),
    };
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
