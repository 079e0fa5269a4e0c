//! Pure rendering: connector objects + token + requested configurations → file payload.
//! No IO happens here; every function is deterministic for its inputs and golden-tested.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::connector::{Connector, ConnectorClass};

/// A connector with everything resolved that rendering needs.
#[derive(Clone, Debug)]
pub struct ResolvedConnector {
    pub connector: Arc<Connector>,
    pub class: Arc<ConnectorClass>,
    /// Proxy CA PEM (see [`crate::connector::types::proxy_ca`]).
    pub proxy_ca: Option<String>,
}

/// What a volume asks for (parsed from its attributes).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RenderRequest {
    /// `configuration.names` in order, without `!` exclusions.
    pub configurations: Vec<String>,
    /// File names from `!<file>` items, removed after the merge.
    pub exclusions: Vec<String>,
    /// `configuration.params`: configuration name → param → value.
    pub params: BTreeMap<String, BTreeMap<String, String>>,
}

/// Secret inputs of a render. `Debug` is redacted.
pub struct RenderSecrets<'a> {
    /// The pod ServiceAccount token presented to the connectors proxy.
    pub token: &'a str,
    /// A token minted for the `tokenfile` configuration's direct mode, when requested.
    pub direct_token: Option<&'a str>,
}

impl fmt::Debug for RenderSecrets<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RenderSecrets { <redacted> }")
    }
}

/// The files of a volume: name → bytes. `Debug` lists names and sizes only.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Payload {
    pub files: BTreeMap<String, Vec<u8>>,
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(
                self.files
                    .iter()
                    .map(|(k, v)| (k, format!("{} bytes", v.len()))),
            )
            .finish()
    }
}

/// Errors of the render layer; each names the class, configuration and file involved.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum RenderError {
    #[error("connector class {class:?} has no configuration {name:?} (available: {available})")]
    UnknownConfiguration {
        class: String,
        name: String,
        available: String,
    },
    #[error("configuration {configuration:?} requires parameter {param:?}: set it in configuration.params, e.g. {{\"{configuration}\":{{\"{param}\":\"…\"}}}}")]
    MissingParam {
        configuration: String,
        param: String,
    },
    #[error("connector class {class:?} configuration {configuration:?} file {file:?}: {message}")]
    Template {
        class: String,
        configuration: String,
        file: String,
        message: String,
    },
    #[error("connector class {class:?} configuration {configuration:?} declares file name {file:?}, which is not allowed: names must match [A-Za-z0-9._-]+ and must not be \".\", \"..\" or start with \"..\"")]
    InvalidFileName {
        class: String,
        configuration: String,
        file: String,
    },
    #[error("connector {connector} has no proxy address yet (status.proxy.httpAddress.url is empty); wait for the connectors operator to reconcile it")]
    NoProxyAddress { connector: String },
    #[error("{0}")]
    Invalid(String),
}

/// Placeholder until the rendering layer lands (replaced by the real implementation).
pub fn render(
    _connectors: &[ResolvedConnector],
    _req: &RenderRequest,
    secrets: &RenderSecrets<'_>,
) -> Result<Payload, RenderError> {
    let mut p = Payload::default();
    p.files
        .insert("context.token".into(), secrets.token.as_bytes().to_vec());
    Ok(p)
}
