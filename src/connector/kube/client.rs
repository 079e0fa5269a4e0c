//! The driver's Kubernetes client: the configuration found as client-go finds it, and one
//! HTTP/2 connection per API server that multiplexes every request and watch, as client-go's.
//!
//! kube-rs' default client speaks HTTP/1.1 only, so each open watch holds a TCP + TLS connection
//! of its own. A node watches one object per Connector and Secret its volumes use (kubelet's
//! model), which over HTTP/1.1 would be ~100 connections per node and half a million across a
//! 5,000-node fleet. Over HTTP/2 (negotiated with ALPN on `https`, as kube-apiserver offers it)
//! they are streams of one connection. HTTP/2 keep-alive pings (every 30 s, 15 s to answer, also
//! while idle) notice a silently dropped connection, as client-go's `ReadIdleTimeout` /
//! `PingTimeout` do. A connection carries at most 100 open requests; past that another is opened
//! (`spread.rs`), as Go's client does when a server's stream limit is reached. TCP keepalive (30 s idle, 3 probes 10 s apart) covers HTTP/1.1. Either way a
//! silently dropped connection is noticed within about a minute, so watches can use kubelet's
//! long timeouts (`named.rs`).

use std::path::PathBuf;
use std::time::Duration;

use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use kube::client::ConfigExt;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::Client;
use tower::ServiceBuilder;

use super::errors::error_chain;
use crate::connector::source::SourceError;

/// HTTP/2 ping interval on an open connection (client-go: `ReadIdleTimeout` 30 s).
pub const HTTP2_PING_INTERVAL: Duration = Duration::from_secs(30);
/// How long a ping may go unanswered before the connection is closed (client-go: 15 s).
pub const HTTP2_PING_TIMEOUT: Duration = Duration::from_secs(15);

/// Which HTTP version the client speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HttpVersion {
    /// HTTP/2 where the server offers it through TLS ALPN (`https`), else HTTP/1.1.
    Negotiate,
    /// HTTP/2 without negotiation, also on plain `http` (h2c): for API servers and proxies
    /// known to speak it, and tests.
    Http2PriorKnowledge,
}

/// A client for `config`: base URI, kube-rs' retry of 429/503/504 (unless the config turns it
/// off), authentication (tokens re-read from their files), extra headers, TLS from the config,
/// HTTP/2 with keep-alive pings.
pub fn build_client(config: kube::Config, http: HttpVersion) -> Result<Client, SourceError> {
    let err = |e: &dyn std::fmt::Display| {
        SourceError::Invalid(format!("cannot build a Kubernetes client: {e}"))
    };
    let mut connector = HttpConnector::new();
    connector.enforce_http(false);
    connector.set_connect_timeout(config.connect_timeout);
    // A dead peer on a plain HTTP/1.1 connection is noticed within ~1 min (30 s idle, then 3
    // probes 10 s apart); HTTP/2 connections also ping (below).
    connector.set_keepalive(Some(Duration::from_secs(30)));
    connector.set_keepalive_interval(Some(Duration::from_secs(10)));
    connector.set_keepalive_retries(Some(3));
    connector.set_nodelay(true);
    let tls = config.rustls_client_config().map_err(|e| err(&e))?;
    let builder = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http();
    let builder = match &config.tls_server_name {
        Some(name) => {
            builder.with_server_name_resolver(hyper_rustls::FixedServerNameResolver::new(
                name.clone().try_into().map_err(|e| err(&e))?,
            ))
        }
        None => builder,
    };
    let https = builder
        .enable_http1()
        .enable_http2()
        .wrap_connector(connector);
    let mut hyper = hyper_util::client::legacy::Client::builder(TokioExecutor::new());
    hyper
        .timer(TokioTimer::new())
        .pool_timer(TokioTimer::new())
        .http2_keep_alive_interval(HTTP2_PING_INTERVAL)
        .http2_keep_alive_timeout(HTTP2_PING_TIMEOUT)
        .http2_keep_alive_while_idle(true)
        .http2_only(http == HttpVersion::Http2PriorKnowledge);
    // One HTTP/2 connection, and another for every STREAMS_PER_CONNECTION open requests.
    let hyper = super::spread::Spread::new(hyper, https);
    // The layers kube-rs' own client stacks, in its order (its retry of 429/503/504 included).
    let retry = config
        .default_retry
        .then(|| tower::retry::RetryLayer::new(kube::client::retry::RetryPolicy::server_retry()));
    let service = ServiceBuilder::new()
        .layer(config.base_uri_layer())
        .option_layer(retry)
        .option_layer(config.auth_layer().map_err(|e| err(&e))?)
        .layer(config.extra_headers_layer().map_err(|e| err(&e))?)
        .map_err(|e| -> Box<dyn std::error::Error + Send + Sync> { Box::new(e) })
        .service(hyper);
    Ok(Client::new(service, config.default_namespace))
}

/// Builds a client the way client-go does: an explicit `--kubeconfig`, else `KUBECONFIG`
/// (several files are merged), else the in-cluster ServiceAccount, else `~/.kube/config`.
pub async fn client_from_config(kubeconfig: Option<PathBuf>) -> Result<Client, SourceError> {
    let from_file = |kc: Kubeconfig, origin: String| async move {
        kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
            .await
            .map_err(|e| {
                SourceError::Invalid(format!(
                    "kubeconfig {origin} is not usable: {}",
                    crate::connector::dir::redact_quoted(&e.to_string())
                ))
            })
    };
    let read_err = |origin: &str, e: kube::config::KubeconfigError| {
        SourceError::Invalid(format!(
            "cannot read kubeconfig {origin}: {}",
            crate::connector::dir::redact_quoted(&error_chain(&e))
        ))
    };
    let config = if let Some(path) = kubeconfig {
        let origin = path.display().to_string();
        let kc = Kubeconfig::read_from(&path).map_err(|e| read_err(&origin, e))?;
        from_file(kc, origin).await?
    } else if std::env::var_os("KUBECONFIG").is_some_and(|v| !v.is_empty()) {
        let origin = "from $KUBECONFIG".to_string();
        match Kubeconfig::from_env().map_err(|e| read_err(&origin, e))? {
            Some(kc) => from_file(kc, origin).await?,
            None => return Err(SourceError::Invalid("KUBECONFIG names no file".into())),
        }
    } else {
        match kube::Config::incluster() {
            Ok(c) => c,
            Err(in_cluster) => match Kubeconfig::read() {
                Ok(kc) => from_file(kc, "~/.kube/config".into()).await?,
                Err(file) => {
                    return Err(SourceError::Invalid(format!(
                        "no Kubernetes client configuration: not running in a cluster ({in_cluster}) and no kubeconfig ({}); pass --kubeconfig or set KUBECONFIG",
                        crate::connector::dir::redact_quoted(&file.to_string())
                    )))
                }
            },
        }
    };
    build_client(config, HttpVersion::Negotiate)
}
