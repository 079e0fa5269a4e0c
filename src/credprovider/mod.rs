//! Kubelet image credential provider (`credentialprovider.kubelet.k8s.io/v1`): lets nodes pull
//! private images with the credentials of OCI/Harbor/registry Connectors, without
//! imagePullSecrets. The same binary runs as `connectors-csi credential-provider`.
//!
//! The kubelet writes a `CredentialProviderRequest` to stdin and reads a
//! `CredentialProviderResponse` from stdout ([`api`]). Which connectors apply and what they yield
//! is decided in [`resolve`]; image patterns follow the kubelet's rules ([`matching`]).
//! See `docs/credential-provider.md` for installation and the two modes (static Secret
//! credentials, ServiceAccount-token credentials through the connectors proxy).

pub mod api;
pub mod jwt;
pub mod matching;
pub mod resolve;
pub mod selector;

use std::fmt;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

pub use api::{
    format_go_duration, parse_go_duration, ApiVersion, AuthConfig, CacheKeyType,
    CredentialProviderRequest, CredentialProviderResponse, SaToken,
};
pub use resolve::{respond, ProviderConfig, Selection, CONNECTOR_ANNOTATION};
pub use selector::LabelSelector;

use crate::connector::{ConnectorSource, SourceError};

/// Largest request accepted on stdin (the kubelet's are well under a kilobyte plus the token).
const MAX_REQUEST_BYTES: u64 = 1 << 20;

/// Where connectors come from (`--source`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceSpec {
    /// A directory of YAML files (`dir:<path>`).
    Dir(PathBuf),
    /// The API server (`kube`), using `--kubeconfig` or the in-cluster config.
    Kube,
}

impl FromStr for SourceSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "kube" => Ok(SourceSpec::Kube),
            other => match other.strip_prefix("dir:") {
                Some(path) if !path.is_empty() => Ok(SourceSpec::Dir(PathBuf::from(path))),
                _ => Err(format!("source {s:?} is not \"kube\" or \"dir:<path>\"")),
            },
        }
    }
}

impl fmt::Display for SourceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceSpec::Dir(p) => write!(f, "dir:{}", p.display()),
            SourceSpec::Kube => f.write_str("kube"),
        }
    }
}

fn parse_cache_duration(s: &str) -> Result<Duration, String> {
    parse_go_duration(s)
}

/// Flags of `connectors-csi credential-provider`. In a `CredentialProviderConfig` they go into
/// `args` or, through the environment fallbacks, into `env`.
#[derive(clap::Args, Debug, Clone)]
pub struct CredentialProviderArgs {
    /// Where Connectors and their Secrets come from: `kube` (API server) or `dir:<path>`.
    #[arg(long = "source", env = "CONNECTORS_CSI_SOURCE", default_value = "kube")]
    pub source: SourceSpec,

    /// Kubeconfig for `--source kube` (default: in-cluster configuration). The identity needs
    /// get/list/watch on connectors, connectorclasses and the connectors' Secrets.
    #[arg(long, env = "KUBECONFIG")]
    pub kubeconfig: Option<PathBuf>,

    /// Namespaces whose Connectors may be used (repeatable or comma-separated; empty = all).
    #[arg(
        long = "namespace",
        env = "CONNECTORS_CSI_NAMESPACES",
        value_delimiter = ','
    )]
    pub namespaces: Vec<String>,

    /// Label selector on Connectors (`k=v,k2!=v2,k3,!k4`; empty = all).
    #[arg(long, env = "CONNECTORS_CSI_SELECTOR", default_value = "")]
    pub selector: LabelSelector,

    /// ConnectorClass names that are image registries.
    #[arg(
        long,
        env = "CONNECTORS_CSI_REGISTRY_CLASSES",
        value_delimiter = ',',
        default_value = "oci,harbor,registry"
    )]
    pub classes: Vec<String>,

    /// `cacheDuration` returned to the kubelet (Go duration). In ServiceAccount-token mode it is
    /// capped by the token's remaining lifetime.
    #[arg(
        long,
        env = "CONNECTORS_CSI_CACHE_DURATION",
        default_value = "5m",
        value_parser = parse_cache_duration
    )]
    pub cache_duration: Duration,

    /// How long to wait for the source's initial sync before answering.
    #[arg(
        long,
        env = "CONNECTORS_CSI_SYNC_TIMEOUT",
        default_value = "20s",
        value_parser = parse_cache_duration
    )]
    pub sync_timeout: Duration,
}

impl CredentialProviderArgs {
    /// The resolver configuration these flags describe.
    pub fn provider_config(&self) -> Result<ProviderConfig, CredentialProviderError> {
        let clean = |v: &[String]| -> Vec<String> {
            v.iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        };
        let classes = clean(&self.classes);
        if classes.is_empty() {
            return Err(CredentialProviderError::Config(
                "--classes is empty: name at least one ConnectorClass (e.g. oci,harbor,registry)"
                    .into(),
            ));
        }
        Ok(ProviderConfig {
            selection: Selection {
                namespaces: clean(&self.namespaces),
                selector: self.selector.clone(),
                classes,
            },
            cache_duration: self.cache_duration,
        })
    }
}

/// Failures of one plugin invocation. Messages are single-line and never contain the request,
/// the token or credentials.
#[derive(Debug, thiserror::Error)]
pub enum CredentialProviderError {
    #[error("malformed CredentialProviderRequest on stdin: {0}")]
    MalformedRequest(String),
    #[error("{0}")]
    InvalidServiceAccountToken(String),
    #[error("invalid credential-provider configuration: {0}")]
    Config(String),
    #[error("connector source {kind}: {error}")]
    Source {
        kind: &'static str,
        error: SourceError,
    },
    #[error("{0}")]
    Io(String),
}

impl CredentialProviderError {
    pub(crate) fn source(source: &dyn ConnectorSource, error: SourceError) -> Self {
        CredentialProviderError::Source {
            kind: source.kind(),
            error,
        }
    }
}

/// Reads one request from `input`, answers it from `source` and writes the response to `output`.
pub async fn run(
    args: CredentialProviderArgs,
    source: Arc<dyn ConnectorSource>,
    input: impl Read,
    output: impl Write,
) -> Result<(), CredentialProviderError> {
    let config = args.provider_config()?;
    let request = read_request(input)?;
    wait_for_sync(source.as_ref(), args.sync_timeout).await?;
    let response = respond(&request, source.as_ref(), &config, jiff::Timestamp::now()).await?;
    write_response(output, &response)
}

fn read_request(input: impl Read) -> Result<CredentialProviderRequest, CredentialProviderError> {
    let mut bytes = Vec::new();
    input
        .take(MAX_REQUEST_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| CredentialProviderError::Io(format!("reading the request from stdin: {e}")))?;
    if bytes.len() as u64 > MAX_REQUEST_BYTES {
        return Err(CredentialProviderError::MalformedRequest(format!(
            "larger than {MAX_REQUEST_BYTES} bytes"
        )));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(CredentialProviderError::MalformedRequest(
            "stdin is empty; the kubelet writes a JSON CredentialProviderRequest there".into(),
        ));
    }
    CredentialProviderRequest::from_json(&bytes)
        .map_err(|e| CredentialProviderError::MalformedRequest(e.0))
}

fn write_response(
    mut output: impl Write,
    response: &CredentialProviderResponse,
) -> Result<(), CredentialProviderError> {
    let mut bytes = serde_json::to_vec(&response.to_json())
        .map_err(|e| CredentialProviderError::Io(format!("encoding the response: {e}")))?;
    bytes.push(b'\n');
    output
        .write_all(&bytes)
        .and_then(|()| output.flush())
        .map_err(|e| CredentialProviderError::Io(format!("writing the response to stdout: {e}")))
}

async fn wait_for_sync(
    source: &dyn ConnectorSource,
    timeout: Duration,
) -> Result<(), CredentialProviderError> {
    let deadline = tokio::time::Instant::now() + timeout;
    while !source.is_synced() {
        if tokio::time::Instant::now() >= deadline {
            return Err(CredentialProviderError::Source {
                kind: source.kind(),
                error: SourceError::Unavailable(format!(
                    "initial sync did not complete within {}; check connectivity and --kubeconfig",
                    format_go_duration(timeout)
                )),
            });
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

/// Builds the connector source named by `--source`.
pub async fn build_source(
    args: &CredentialProviderArgs,
) -> Result<Arc<dyn ConnectorSource>, CredentialProviderError> {
    let (kind, result) = match &args.source {
        SourceSpec::Dir(path) => (
            "dir",
            crate::connector::dir::DirSource::open(path.clone(), None)
                .await
                .map(|s| s as Arc<dyn ConnectorSource>),
        ),
        SourceSpec::Kube => (
            "kube",
            async {
                let client =
                    crate::connector::kube::client_from_config(args.kubeconfig.clone()).await?;
                let src: Arc<dyn ConnectorSource> =
                    crate::connector::kube::KubeSource::start(client, Default::default()).await;
                Ok(src)
            }
            .await,
        ),
    };
    result.map_err(|error| CredentialProviderError::Source { kind, error })
}

/// `connectors-csi credential-provider`: builds the source, answers the request on stdin and
/// prints a one-line error to stderr on failure (exit code 1).
pub async fn main_entry(args: CredentialProviderArgs) -> ExitCode {
    let result = match build_source(&args).await {
        Ok(source) => run(args, source, std::io::stdin(), std::io::stdout()).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}", one_line(&e));
            ExitCode::FAILURE
        }
    }
}

/// `connectors-csi credential-provider: <message>` on a single line.
pub fn one_line(e: &CredentialProviderError) -> String {
    let msg = e.to_string().replace(['\n', '\r'], " ");
    format!("connectors-csi credential-provider: {msg}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser, Debug)]
    struct Cli {
        #[command(flatten)]
        args: CredentialProviderArgs,
    }

    #[test]
    fn flags_parse_with_defaults() {
        let cli = Cli::try_parse_from([
            "x",
            "--source",
            "dir:/etc/connectors",
            "--namespace",
            "a,b",
            "--namespace",
            "c",
            "--selector",
            "node-pull=true",
        ])
        .unwrap();
        let a = cli.args;
        assert_eq!(a.source, SourceSpec::Dir("/etc/connectors".into()));
        assert_eq!(a.namespaces, vec!["a", "b", "c"]);
        assert_eq!(a.classes, vec!["oci", "harbor", "registry"]);
        assert_eq!(a.cache_duration, Duration::from_secs(300));
        let cfg = a.provider_config().unwrap();
        assert_eq!(cfg.selection.selector.to_string(), "node-pull=true");

        let err = Cli::try_parse_from(["x", "--source", "dir:"]).unwrap_err();
        assert!(err.to_string().contains("dir:<path>"), "{err}");
        assert!(Cli::try_parse_from(["x", "--source", "kube", "--cache-duration", "-1m"]).is_err());
        assert!(Cli::try_parse_from(["x", "--source", "kube", "--selector", "a in (b)"]).is_err());
        let cli = Cli::try_parse_from(["x", "--source", "kube", "--classes", ""]).unwrap();
        assert!(matches!(
            cli.args.provider_config(),
            Err(CredentialProviderError::Config(_))
        ));
    }

    #[test]
    fn errors_print_on_one_line() {
        let e = CredentialProviderError::MalformedRequest("a\nb".into());
        assert_eq!(
            one_line(&e),
            "connectors-csi credential-provider: malformed CredentialProviderRequest on stdin: a b"
        );
    }
}
