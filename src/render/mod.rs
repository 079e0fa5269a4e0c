//! Pure rendering: connector objects + token + requested configurations → file payload.
//! No IO happens here; every function is deterministic for its inputs and golden-tested.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::connector::{Connector, ConnectorClass};

mod builtin;
#[cfg(test)]
mod builtin_tests;
pub mod direct;
pub mod error_json;
#[cfg(test)]
mod golden_tests;
pub mod kubeconfig;
#[cfg(test)]
mod sprig_tests;
mod template;
#[cfg(test)]
mod template_tests;
#[cfg(test)]
mod tests;
pub mod tokenfile;

use builtin::builtin_file;
pub use builtin::{
    forward_proxy_url, has_no_proxy, proxy_username, BUILTIN_FILES, CA_CERT_ALIAS, NO_PROXY,
    PROXY_FILES,
};
pub use direct::{direct_grant, DirectGrant, DirectPolicy};
pub use kubeconfig::PLACEHOLDER_USER_TOKEN;
pub use template::clear_cache as clear_template_cache;
pub use tokenfile::{tokenfile_direct_request, DirectRequest, TOKENFILE};

/// Upper bound on the total size of a volume's files (sum of all file sizes).
pub const MAX_PAYLOAD_BYTES: usize = 4 * 1024 * 1024;

/// The built-in `kubeconfig` configuration, offered for connectors of class [`K8S_CLASS`]
/// whose class does not define it.
pub const KUBECONFIG: &str = "kubeconfig";

/// Connectors of this class get the built-in `kubeconfig` and `tokenfile` configurations.
pub const K8S_CLASS: &str = "k8s";

/// A connector with everything resolved that rendering needs.
#[derive(Clone, Debug)]
pub struct ResolvedConnector {
    pub connector: Arc<Connector>,
    pub class: Arc<ConnectorClass>,
    /// Proxy CA PEM (see [`crate::connector::types::proxy_ca`]).
    pub proxy_ca: Option<String>,
    /// PEM CA of the target server itself (the Secret named by the Connector's
    /// `spec.caCertSecretRef`, resolved by the driver); used by `tokenfile` direct mode.
    pub target_ca: Option<String>,
}

impl ResolvedConnector {
    /// `metadata.namespace` (empty when unset).
    pub fn namespace(&self) -> String {
        self.connector
            .metadata
            .namespace
            .clone()
            .unwrap_or_default()
    }

    /// `metadata.name` (empty when unset).
    pub fn name(&self) -> String {
        self.connector.metadata.name.clone().unwrap_or_default()
    }

    /// `namespace/name`, for messages.
    pub fn key(&self) -> String {
        format!("{}/{}", self.namespace(), self.name())
    }

    fn class_name(&self) -> String {
        self.class.metadata.name.clone().unwrap_or_default()
    }
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
    /// Namespace of the pod that mounts the volume (written to `tokenfile`'s `namespace` file).
    pub pod_namespace: String,
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
    /// A class template exceeded an execution bound (output size, steps, nesting depth).
    #[error("connector class {class:?} configuration {configuration:?} file {file:?}: {message} (templates are bounded so that one class cannot stall or exhaust the driver; simplify the template)")]
    TemplateLimit {
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
    /// The volume asks for something the Connector's owner did not allow (direct mode).
    #[error("{0}")]
    PermissionDenied(String),
    /// An object the volume depends on is set up wrongly (e.g. a malformed owner annotation).
    #[error("{0}")]
    Precondition(String),
}

/// One layer of the merge: file name → content, `None` removing a file of an earlier layer.
pub(crate) type Layer = BTreeMap<String, Option<Vec<u8>>>;

/// Whether `name` may be a file of the volume: `[A-Za-z0-9._-]+`, not `.` or `..`, and not
/// starting with `..` (reserved for the atomic writer's `..data` and timestamped directories).
pub fn validate_file_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        && name != "."
        && !name.starts_with("..")
}

/// Declared params with class defaults applied, plus any extra params the volume passed. Values
/// from the volume are strings; class defaults are free-form JSON (a `null` default is none).
fn resolve_params(
    configuration: &str,
    declared: &[crate::connector::types::ParamSpec],
    given: Option<&BTreeMap<String, String>>,
) -> Result<BTreeMap<String, serde_json::Value>, RenderError> {
    let mut out: BTreeMap<String, serde_json::Value> = given
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    for p in declared {
        if out.contains_key(&p.name) {
            continue;
        }
        match p.default.as_ref().filter(|d| !d.is_null()) {
            Some(d) => {
                out.insert(p.name.clone(), d.clone());
            }
            None => {
                return Err(RenderError::MissingParam {
                    configuration: configuration.to_string(),
                    param: p.name.clone(),
                })
            }
        }
    }
    Ok(out)
}

fn is_k8s(rc: &ResolvedConnector) -> bool {
    rc.connector.spec.connector_class_name == K8S_CLASS || rc.class_name() == K8S_CLASS
}

/// Index of the connector whose built-in `tokenfile` the volume renders: the first of class
/// `k8s`, when `tokenfile` is requested and no connector's class defines its own (a class
/// definition wins, and has no direct mode). `tokenfile` direct mode applies to this connector
/// only: its owner's policy, its credential, its target cluster.
pub fn builtin_tokenfile_connector(
    connectors: &[ResolvedConnector],
    req: &RenderRequest,
) -> Option<usize> {
    if !req.configurations.iter().any(|c| c == TOKENFILE)
        || connectors
            .iter()
            .any(|rc| rc.class.configuration(TOKENFILE).is_some())
    {
        return None;
    }
    connectors.iter().position(is_k8s)
}

/// Renders a class-defined configuration for `rc`.
fn render_class_configuration(
    rc: &ResolvedConnector,
    cfg: &crate::connector::types::ClassConfiguration,
    connectors: &[ResolvedConnector],
    req: &RenderRequest,
    secrets: &RenderSecrets<'_>,
) -> Result<Layer, RenderError> {
    let class = rc.class_name();
    for file in cfg.data.keys() {
        if !validate_file_name(file) {
            return Err(RenderError::InvalidFileName {
                class,
                configuration: cfg.name.clone(),
                file: file.clone(),
            });
        }
    }
    let params = resolve_params(&cfg.name, &cfg.params, req.params.get(&cfg.name))?;
    let data = template::template_data(rc, connectors, secrets.token, &params);
    let mut layer = Layer::new();
    for (file, source) in &cfg.data {
        let out = template::render_file(
            template::ErrorSite {
                class: &class,
                configuration: &cfg.name,
                file,
            },
            source,
            &data,
            secrets.token,
        )?;
        layer.insert(file.clone(), Some(out));
    }
    Ok(layer)
}

/// The built-in `kubeconfig` for a `k8s` connector: the real API server through the forward proxy.
/// `proxy_url`: the render's forward-proxy URL when it is this connector's alone (one
/// connector), shared with the built-in files (built at most once per render).
fn render_builtin_kubeconfig(
    rc: &ResolvedConnector,
    req: &RenderRequest,
    secrets: &RenderSecrets<'_>,
    proxy_url: Option<&mut Option<String>>,
) -> Result<Layer, RenderError> {
    if let Some(p) = req.params.get(KUBECONFIG).and_then(|p| p.keys().next()) {
        return Err(RenderError::Invalid(format!(
            "configuration.params kubeconfig has unknown parameter {p:?}; the built-in kubeconfig takes none"
        )));
    }
    let server = rc.connector.spec.address.trim();
    if server.is_empty() {
        return Err(RenderError::Invalid(format!(
            "connector {} has no spec.address; the kubeconfig needs the API server URL",
            rc.key()
        )));
    }
    let own = || forward_proxy_url(std::slice::from_ref(rc), secrets.token);
    let proxy_url = match proxy_url {
        Some(cache) => {
            if cache.is_none() {
                *cache = Some(own()?);
            }
            cache.clone().expect("set above")
        }
        None => own()?,
    };
    let doc = kubeconfig::build(
        &rc.name(),
        server,
        kubeconfig::Access::Proxy {
            proxy_url: &proxy_url,
            ca_pem: rc.proxy_ca.as_deref().filter(|c| !c.trim().is_empty()),
        },
    );
    Ok(Layer::from([(KUBECONFIG.to_string(), Some(doc))]))
}

/// Renders configuration `name`: from the first connector whose class defines it, else the
/// built-in `kubeconfig`/`tokenfile` of the first `k8s` connector.
fn render_configuration(
    name: &str,
    connectors: &[ResolvedConnector],
    req: &RenderRequest,
    secrets: &RenderSecrets<'_>,
    proxy_url: &mut Option<String>,
) -> Result<Layer, RenderError> {
    for rc in connectors {
        if let Some(cfg) = rc.class.configuration(name) {
            return render_class_configuration(rc, cfg, connectors, req, secrets);
        }
    }
    let k8s = connectors.iter().find(|rc| is_k8s(rc));
    match (name, k8s) {
        (KUBECONFIG, Some(rc)) => {
            let shared = (connectors.len() == 1).then_some(proxy_url);
            return render_builtin_kubeconfig(rc, req, secrets, shared);
        }
        (TOKENFILE, Some(rc)) => return tokenfile::render(rc, req, secrets),
        _ => {}
    }
    let mut classes: Vec<String> = Vec::new();
    let mut available: Vec<String> = Vec::new();
    for rc in connectors {
        let class = rc.class_name();
        if !classes.contains(&class) {
            classes.push(class);
        }
        let mut names: Vec<String> = rc
            .class
            .configuration_names()
            .into_iter()
            .map(String::from)
            .collect();
        if is_k8s(rc) {
            names.extend([KUBECONFIG.to_string(), TOKENFILE.to_string()]);
        }
        for n in names {
            if !available.contains(&n) {
                available.push(n);
            }
        }
    }
    Err(RenderError::UnknownConfiguration {
        class: classes.join(","),
        name: name.to_string(),
        available: if available.is_empty() {
            "none".to_string()
        } else {
            available
                .iter()
                .map(|n| format!("{n:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        },
    })
}

/// A render's files and what it left out on the way (for the pod's warning event).
#[derive(Debug, Default)]
pub struct Rendered {
    pub payload: Payload,
    /// One sentence per thing the volume asked for that was skipped or ignored.
    pub warnings: Vec<String>,
}

/// Renders the files of a volume (see [`render_with_warnings`]), dropping the warnings.
pub fn render(
    connectors: &[ResolvedConnector],
    req: &RenderRequest,
    secrets: &RenderSecrets<'_>,
) -> Result<Payload, RenderError> {
    render_with_warnings(connectors, req, secrets).map(|r| r.payload)
}

/// Renders the files of a volume.
///
/// Layers, later winning on a file-name clash: the built-in files, then each configuration of
/// `req.configurations` in order. `req.exclusions` then remove files from the result. A
/// configuration is rendered once, for the first connector whose class defines it (templates
/// see every connector in `.connectors`); proxy-related built-ins use the last connector.
///
/// Lenient like Alauda's driver, whose docs say a request fails only when "included
/// configuration names are specified but none are found": an unknown configuration name is
/// skipped with a warning, and fails the render only when no listed configuration exists.
/// Parameters for a configuration not listed are ignored with a warning.
pub fn render_with_warnings(
    connectors: &[ResolvedConnector],
    req: &RenderRequest,
    secrets: &RenderSecrets<'_>,
) -> Result<Rendered, RenderError> {
    if connectors.is_empty() {
        return Err(RenderError::Invalid(
            "no connector selected; set the connectors (or connector.name) volume attribute".into(),
        ));
    }
    for rc in connectors {
        if rc.namespace().is_empty() || rc.name().is_empty() {
            return Err(RenderError::Invalid(format!(
                "connector {:?} lacks metadata.name or metadata.namespace",
                rc.key()
            )));
        }
    }
    let mut warnings = Vec::new();
    let stray: Vec<String> = req
        .params
        .keys()
        .filter(|k| !req.configurations.contains(k))
        .map(|k| format!("{k:?}"))
        .collect();
    if !stray.is_empty() {
        warnings.push(format!(
            "ignored configuration.params for {}: not listed in configuration.names",
            stray.join(", ")
        ));
    }
    for ex in &req.exclusions {
        if !validate_file_name(ex) {
            return Err(RenderError::Invalid(format!(
                "configuration.names excludes {:?}, which is not a valid file name",
                format!("!{ex}")
            )));
        }
    }

    // None = built-in, computed only if it survives the merge and the exclusions.
    let mut merged: BTreeMap<String, Option<Option<Vec<u8>>>> = BUILTIN_FILES
        .iter()
        .map(|f| (f.to_string(), None))
        .collect();
    let mut seen: Vec<&str> = Vec::new();
    let mut unknown: Vec<RenderError> = Vec::new();
    // The forward-proxy URL (whole token escaped, proxy address parsed): built once per render.
    let mut proxy_url = None;
    for name in &req.configurations {
        if seen.contains(&name.as_str()) {
            continue;
        }
        seen.push(name);
        match render_configuration(name, connectors, req, secrets, &mut proxy_url) {
            Ok(layer) => {
                for (file, content) in layer {
                    merged.insert(file, Some(content));
                }
            }
            Err(e @ RenderError::UnknownConfiguration { .. }) => unknown.push(e),
            Err(e) => return Err(e),
        }
    }
    if !unknown.is_empty() {
        if unknown.len() == seen.len() {
            // None of the listed configurations exists: nothing the pod asked for can be given.
            return Err(unknown.swap_remove(0));
        }
        for e in &unknown {
            warnings.push(format!("skipped configuration: {e}"));
        }
    }
    // `ca.cert` mirrors `ca.crt` after the merge (e.g. the target cluster's CA, or no file, in
    // `tokenfile` direct mode) unless a configuration writes `ca.cert` itself; exclusions then
    // apply to each name separately.
    if matches!(merged.get(CA_CERT_ALIAS), Some(None)) {
        if let Some(ca_crt) = merged.get("ca.crt").cloned() {
            merged.insert(CA_CERT_ALIAS.to_string(), ca_crt);
        }
    }
    for ex in &req.exclusions {
        merged.remove(ex);
    }
    let last = connectors.last().expect("checked non-empty");
    let left_out: Vec<&str> = PROXY_FILES
        .iter()
        .copied()
        .filter(|f| matches!(merged.get(*f), Some(None)))
        .collect();
    if has_no_proxy(last) && !left_out.is_empty() {
        let mut what: Vec<String> = left_out
            .iter()
            .filter(|f| **f != ".env")
            .map(|f| format!("{f} is not written"))
            .collect();
        if left_out.contains(&".env") {
            what.push(".env holds no proxy settings".into());
        }
        warnings.push(format!(
            "connector {} has no proxy (its ConnectorClass {:?} sets no spec.proxy, so the class has no proxy capability): {}",
            last.key(),
            last.class_name(),
            what.join(", ")
        ));
    }

    let mut files = BTreeMap::new();
    let mut total = 0usize;
    for (name, entry) in merged {
        let content = match entry {
            None => builtin_file(&name, connectors, secrets, &mut proxy_url)?,
            Some(c) => c,
        };
        if let Some(bytes) = content {
            total += bytes.len();
            if total > MAX_PAYLOAD_BYTES {
                return Err(RenderError::Invalid(format!(
                    "the rendered files exceed {} MiB (at {name:?}); trim the selected configurations or templates",
                    MAX_PAYLOAD_BYTES / (1024 * 1024)
                )));
            }
            files.insert(name, bytes);
        }
    }
    Ok(Rendered {
        payload: Payload { files },
        warnings,
    })
}
