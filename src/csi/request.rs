//! Validation of NodePublish/NodeUnpublish requests and parsing of volume attributes.
//! Everything here runs before the filesystem is touched.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use super::proto;
use crate::connector::{ObjectKey, PodInfo};
use crate::render::RenderRequest;
use crate::token::{self, KUBELET_TOKENS_KEY};

pub const ATTR_CONNECTOR_NAME: &str = "connector.name";
pub const ATTR_CONNECTOR_NAMESPACE: &str = "connector.namespace";
pub const ATTR_CONNECTORS: &str = "connectors";
pub const ATTR_CONFIGURATION_NAMES: &str = "configuration.names";
pub const ATTR_CONFIGURATION_PARAMS: &str = "configuration.params";
pub const ATTR_TOKEN_EXPIRATION: &str = "token.expiration";
pub const ATTR_FILE_MODE: &str = "file.mode";
pub const POD_NAME: &str = "csi.storage.k8s.io/pod.name";
pub const POD_NAMESPACE: &str = "csi.storage.k8s.io/pod.namespace";
pub const POD_UID: &str = "csi.storage.k8s.io/pod.uid";
pub const POD_SA: &str = "csi.storage.k8s.io/serviceAccount.name";
pub const EPHEMERAL: &str = "csi.storage.k8s.io/ephemeral";

const KNOWN_ATTRIBUTES: &[&str] = &[
    ATTR_CONNECTOR_NAME,
    ATTR_CONNECTOR_NAMESPACE,
    ATTR_CONNECTORS,
    ATTR_CONFIGURATION_NAMES,
    ATTR_CONFIGURATION_PARAMS,
    ATTR_TOKEN_EXPIRATION,
    ATTR_FILE_MODE,
];

/// Longest volume id accepted (kubelet's inline ids are 68 bytes).
pub const MAX_VOLUME_ID: usize = 256;
/// Longest target path accepted.
pub const MAX_PATH: usize = 4096;
/// Upper bound for the attributes and secrets maps together.
pub const MAX_ATTRIBUTE_BYTES: usize = 64 * 1024;

/// A validation failure: always INVALID_ARGUMENT, with a message telling the user what to fix.
#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone)]
#[error("{0}")]
pub struct InvalidRequest(pub String);

fn invalid(msg: impl Into<String>) -> InvalidRequest {
    InvalidRequest(msg.into())
}

/// Driver settings that validation depends on.
#[derive(Debug, Clone)]
pub struct ValidationConfig {
    pub kubelet_dir: PathBuf,
    pub allow_any_target: bool,
    pub default_file_mode: u32,
}

/// The mount capability, reduced to what matters for compatibility checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountCapability {
    pub fs_type: String,
    pub mount_flags: Vec<String>,
    pub volume_mount_group: Option<u32>,
    pub access_mode: i32,
}

impl MountCapability {
    /// Canonical string stored in state to detect "same target, different capability".
    /// `volume_mount_group` is compared separately.
    pub fn canonical(&self) -> String {
        let mut flags = self.mount_flags.clone();
        flags.sort();
        format!(
            "mount;fs={};flags={};mode={}",
            self.fs_type,
            flags.join(","),
            self.access_mode
        )
    }
}

/// A validated NodePublishVolume request.
#[derive(Clone)]
pub struct PublishRequest {
    pub volume_id: String,
    pub target_path: PathBuf,
    pub readonly: bool,
    pub capability: MountCapability,
    pub spec: VolumeSpec,
    /// Raw kubelet token JSON (from `secrets`, else `volume_context`), never logged.
    pub kubelet_tokens: Option<String>,
}

impl std::fmt::Debug for PublishRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublishRequest")
            .field("volume_id", &self.volume_id)
            .field("target_path", &self.target_path)
            .field("spec", &self.spec)
            .field(
                "kubelet_tokens",
                &self.kubelet_tokens.as_ref().map(|_| "<redacted>"),
            )
            .finish_non_exhaustive()
    }
}

/// What the volume attributes ask for.
#[derive(Debug, Clone, PartialEq)]
pub struct VolumeSpec {
    pub connectors: Vec<ObjectKey>,
    pub render: RenderRequest,
    pub token_expiration: Duration,
    /// Whether `token.expiration` was set (not the default).
    pub token_expiration_given: bool,
    pub file_mode: u32,
    pub pod: PodInfo,
    /// The attributes as given, minus kubelet's token attribute (stored in state).
    pub attributes: BTreeMap<String, String>,
    /// What the attributes ask for that is ignored (unknown keys), for the pod's
    /// `ConnectorVolumeWarning` event after the mount.
    pub warnings: Vec<String>,
}

/// Validates a NodePublishVolume request (see the CSI spec's node rules).
pub fn validate_publish(
    req: &proto::NodePublishVolumeRequest,
    cfg: &ValidationConfig,
) -> Result<PublishRequest, InvalidRequest> {
    validate_volume_id(&req.volume_id)?;
    let target_path = validate_target(&req.target_path, cfg)?;
    let cap = req
        .volume_capability
        .as_ref()
        .ok_or_else(|| invalid("volume_capability is required"))?;
    let capability = match &cap.access_type {
        Some(proto::volume_capability::AccessType::Mount(m)) => {
            let group = if m.volume_mount_group.is_empty() {
                None
            } else {
                Some(m.volume_mount_group.parse::<u32>().map_err(|_| {
                    invalid(format!(
                        "volume_mount_group {:?} is not a numeric group id",
                        m.volume_mount_group
                    ))
                })?)
            };
            if !m.fs_type.is_empty() && m.fs_type != "tmpfs" {
                return Err(invalid(format!(
                    "fs_type {:?} is not supported: connectors-csi volumes are tmpfs; leave fsType empty",
                    m.fs_type
                )));
            }
            MountCapability {
                fs_type: m.fs_type.clone(),
                mount_flags: m.mount_flags.clone(),
                volume_mount_group: group,
                access_mode: cap.access_mode.as_ref().map(|a| a.mode).unwrap_or(0),
            }
        }
        Some(proto::volume_capability::AccessType::Block(_)) => {
            return Err(invalid(
                "block access is not supported: connectors-csi provides file volumes; use a mount (filesystem) volume",
            ))
        }
        None => return Err(invalid("volume_capability.access_type is required (mount)")),
    };
    if !req.staging_target_path.is_empty() {
        return Err(invalid(
            "staging_target_path must be empty: connectors-csi does not stage volumes",
        ));
    }
    if !req.readonly {
        return Err(invalid(
            "the volume must be read-only: set `readOnly: true` on the pod's csi volume (it is a credential volume)",
        ));
    }
    let size: usize = req
        .volume_context
        .iter()
        .chain(req.secrets.iter())
        .map(|(k, v)| k.len() + v.len())
        .sum();
    if size > MAX_ATTRIBUTE_BYTES {
        return Err(invalid(format!(
            "volume attributes and secrets total {size} bytes, more than the {MAX_ATTRIBUTE_BYTES} accepted"
        )));
    }
    if let Some(e) = req.volume_context.get(EPHEMERAL) {
        if e != "true" {
            return Err(invalid(
                "only ephemeral inline volumes are supported: declare the volume under pod.spec.volumes[].csi",
            ));
        }
    }
    let kubelet_tokens = req
        .secrets
        .get(KUBELET_TOKENS_KEY)
        .or_else(|| req.volume_context.get(KUBELET_TOKENS_KEY))
        .cloned();
    let mut spec = parse_attributes(&req.volume_context, cfg.default_file_mode)?;
    if capability.volume_mount_group.is_none() && !req.volume_context.contains_key(ATTR_FILE_MODE) {
        spec.file_mode = mode_without_fs_group(spec.file_mode);
    }
    Ok(PublishRequest {
        volume_id: req.volume_id.clone(),
        target_path,
        readonly: req.readonly,
        capability,
        spec,
        kubelet_tokens,
    })
}

/// The default file mode of a volume whose pod has no `fsGroup` (no `volume_mount_group`): the
/// files stay owned by root, and no group lets a non-root container in, so read access granted
/// to the group is granted to everyone instead (`0440` → `0444`, like the original driver). A
/// default without group access (`0400`) stays as it is. An explicit `file.mode` is never
/// changed.
pub fn mode_without_fs_group(mode: u32) -> u32 {
    if mode & 0o040 != 0 {
        mode | 0o004
    } else {
        mode
    }
}

/// Validates a NodeUnpublishVolume request.
pub fn validate_unpublish(
    req: &proto::NodeUnpublishVolumeRequest,
    cfg: &ValidationConfig,
) -> Result<(String, PathBuf), InvalidRequest> {
    validate_volume_id(&req.volume_id)?;
    let target = validate_target(&req.target_path, cfg)?;
    Ok((req.volume_id.clone(), target))
}

fn validate_volume_id(id: &str) -> Result<(), InvalidRequest> {
    if id.is_empty() {
        return Err(invalid("volume_id is required"));
    }
    if id.len() > MAX_VOLUME_ID {
        return Err(invalid(format!(
            "volume_id is longer than {MAX_VOLUME_ID} bytes"
        )));
    }
    if id.chars().any(|c| c.is_control()) {
        return Err(invalid("volume_id must not contain control characters"));
    }
    Ok(())
}

/// Target path rules: absolute, normalised (no `.`/`..`/empty components), no NUL, no symlinks
/// along the existing part of the path, and under the kubelet directory unless allowed.
pub fn validate_target(raw: &str, cfg: &ValidationConfig) -> Result<PathBuf, InvalidRequest> {
    if raw.is_empty() {
        return Err(invalid("target_path is required"));
    }
    if raw.len() > MAX_PATH {
        return Err(invalid(format!(
            "target_path is longer than {MAX_PATH} bytes"
        )));
    }
    if raw.contains('\0') {
        return Err(invalid("target_path must not contain NUL bytes"));
    }
    if !raw.starts_with('/') {
        return Err(invalid(format!("target_path {raw:?} must be absolute")));
    }
    let path = Path::new(raw);
    let mut normal = PathBuf::from("/");
    for c in path.components() {
        match c {
            Component::RootDir => {}
            Component::Normal(p) => normal.push(p),
            Component::ParentDir | Component::CurDir | Component::Prefix(_) => {
                return Err(invalid(format!(
                    "target_path {raw:?} must be normalised (no \".\" or \"..\" components)"
                )))
            }
        }
    }
    if normal.as_os_str() != raw {
        return Err(invalid(format!(
            "target_path {raw:?} must be normalised (no duplicate or trailing slashes)"
        )));
    }
    if normal == Path::new("/") {
        return Err(invalid("target_path must not be /"));
    }
    let pods = cfg.kubelet_dir.join("pods");
    if !cfg.allow_any_target && (!normal.starts_with(&pods) || normal == pods) {
        return Err(invalid(format!(
            "target_path {raw:?} is outside the kubelet directory {}; kubelet always publishes pod volumes under {} (set --kubelet-dir if kubelet uses another root)",
            cfg.kubelet_dir.display(),
            pods.display()
        )));
    }
    // No symlinks: the existing part of the path must resolve to itself.
    let mut existing = normal.as_path();
    loop {
        if existing.symlink_metadata().is_ok() {
            break;
        }
        match existing.parent() {
            Some(p) => existing = p,
            None => break,
        }
    }
    if let Ok(real) = std::fs::canonicalize(existing) {
        if real != existing {
            return Err(invalid(format!(
                "target_path {raw:?} goes through a symbolic link ({} resolves to {}); kubelet never does that",
                existing.display(),
                real.display()
            )));
        }
    }
    Ok(normal)
}

/// Parses the connector-related volume attributes.
pub fn parse_attributes(
    ctx: &std::collections::HashMap<String, String>,
    default_file_mode: u32,
) -> Result<VolumeSpec, InvalidRequest> {
    let mut warnings = Vec::new();
    let mut ignored: Vec<&String> = Vec::new();
    for k in ctx.keys() {
        if k.starts_with("csi.storage.k8s.io/") || KNOWN_ATTRIBUTES.contains(&k.as_str()) {
            continue;
        }
        if let Some(meant) = likely_typo(k) {
            return Err(invalid(format!(
                "unknown volume attribute {k:?}: did you mean {meant:?}? (it would be ignored, so the volume would not be what you meant); supported: {}",
                KNOWN_ATTRIBUTES.join(", ")
            )));
        }
        ignored.push(k);
    }
    if !ignored.is_empty() {
        ignored.sort();
        let names: Vec<String> = ignored.iter().map(|k| format!("{k:?}")).collect();
        warnings.push(format!(
            "ignored unknown volume attribute(s) {}; supported: {}",
            names.join(", "),
            KNOWN_ATTRIBUTES.join(", ")
        ));
    }
    let get = |k: &str| ctx.get(k).map(|s| s.trim()).filter(|s| !s.is_empty());
    let pod = PodInfo {
        namespace: get(POD_NAMESPACE).unwrap_or_default().to_string(),
        name: get(POD_NAME).unwrap_or_default().to_string(),
        uid: get(POD_UID).unwrap_or_default().to_string(),
        service_account: get(POD_SA).unwrap_or_default().to_string(),
    };
    let default_ns = |what: &str| -> Result<String, InvalidRequest> {
        if pod.namespace.is_empty() {
            Err(invalid(format!(
                "{what} has no namespace and the pod namespace is unknown: set podInfoOnMount: true on the CSIDriver or give the namespace explicitly"
            )))
        } else {
            Ok(pod.namespace.clone())
        }
    };

    let mut connectors = Vec::new();
    if let Some(list) = get(ATTR_CONNECTORS) {
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let key = match item.split_once('/') {
                Some((ns, name)) => {
                    check_name("connectors", ns)?;
                    check_name("connectors", name)?;
                    ObjectKey::new(ns, name)
                }
                None => {
                    check_name("connectors", item)?;
                    ObjectKey::new(default_ns(&format!("connector {item:?}"))?, item)
                }
            };
            if connectors.contains(&key) {
                return Err(invalid(format!(
                    "connector {key} is listed twice in \"connectors\""
                )));
            }
            connectors.push(key);
        }
        if connectors.is_empty() {
            return Err(invalid(
                "connectors is empty: give a comma list of ns/name or name",
            ));
        }
        if get(ATTR_CONNECTOR_NAME).is_some() {
            return Err(invalid("set either connectors or connector.name, not both"));
        }
    } else if let Some(name) = get(ATTR_CONNECTOR_NAME) {
        check_name(ATTR_CONNECTOR_NAME, name)?;
        let ns = match get(ATTR_CONNECTOR_NAMESPACE) {
            Some(ns) => {
                check_name(ATTR_CONNECTOR_NAMESPACE, ns)?;
                ns.to_string()
            }
            None => default_ns(&format!("connector {name:?}"))?,
        };
        connectors.push(ObjectKey::new(ns, name));
    } else {
        return Err(invalid("connectors or connector.name is required"));
    }

    let mut render = RenderRequest::default();
    if let Some(names) = get(ATTR_CONFIGURATION_NAMES) {
        let mut seen = BTreeSet::new();
        for item in names.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if let Some(file) = item.strip_prefix('!') {
                let file = file.trim();
                if !crate::volume::atomic::valid_payload_name(file) {
                    return Err(invalid(format!(
                        "configuration.names exclusion {item:?} does not name a file"
                    )));
                }
                render.exclusions.push(file.to_string());
            } else {
                if !seen.insert(item.to_string()) {
                    return Err(invalid(format!(
                        "configuration {item:?} is listed twice in configuration.names"
                    )));
                }
                render.configurations.push(item.to_string());
            }
        }
    }
    if let Some(params) = get(ATTR_CONFIGURATION_PARAMS) {
        let value: serde_json::Value = serde_json::from_str(params).map_err(|e| {
            invalid(format!(
                "configuration.params is not valid JSON ({e}); expected {{\"<configuration>\":{{\"<param>\":\"<value>\"}}}}"
            ))
        })?;
        let obj = value.as_object().ok_or_else(|| {
            invalid("configuration.params must be a JSON object {\"<configuration>\":{\"<param>\":\"<value>\"}}")
        })?;
        for (conf, ps) in obj {
            let ps = ps.as_object().ok_or_else(|| {
                invalid(format!(
                    "configuration.params[{conf:?}] must be an object of param: value"
                ))
            })?;
            let mut m = BTreeMap::new();
            for (k, v) in ps {
                let s = match v {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Bool(_) | serde_json::Value::Number(_) => v.to_string(),
                    _ => {
                        return Err(invalid(format!(
                        "configuration.params[{conf:?}][{k:?}] must be a string, number or boolean"
                    )))
                    }
                };
                m.insert(k.clone(), s);
            }
            render.params.insert(conf.clone(), m);
        }
    }
    let token_expiration = match get(ATTR_TOKEN_EXPIRATION) {
        Some(s) => token::parse_expiration(s).map_err(invalid)?,
        None => token::DEFAULT_EXPIRATION,
    };
    let file_mode = match get(ATTR_FILE_MODE) {
        None => default_file_mode,
        Some("0400") | Some("400") => 0o400,
        Some("0440") | Some("440") => 0o440,
        Some("0444") | Some("444") => 0o444,
        Some(other) => {
            return Err(invalid(format!(
                "file.mode {other:?} is not supported; use 0400, 0440 or 0444"
            )))
        }
    };
    let attributes = ctx
        .iter()
        .filter(|(k, _)| k.as_str() != KUBELET_TOKENS_KEY)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok(VolumeSpec {
        connectors,
        render,
        token_expiration,
        token_expiration_given: get(ATTR_TOKEN_EXPIRATION).is_some(),
        file_mode,
        pod,
        attributes,
        warnings,
    })
}

/// The supported attribute an unknown key most likely meant to be: the same letters and digits
/// (`connectorName`, `Connector_Name`) or at most two edits away (`configuration.name`,
/// `connector`). Such a key is refused rather than ignored: it never did what its author meant.
fn likely_typo(key: &str) -> Option<&'static str> {
    let fold = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    let key_folded = fold(key);
    let lower = key.to_ascii_lowercase();
    KNOWN_ATTRIBUTES
        .iter()
        .map(|known| {
            let d = if fold(known) == key_folded {
                0
            } else {
                strsim::levenshtein(&lower, known)
            };
            (d, *known)
        })
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Kubernetes object names: DNS-1123 subdomain.
fn check_name(attr: &str, s: &str) -> Result<(), InvalidRequest> {
    let ok = !s.is_empty()
        && s.len() <= 253
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.ends_with(|c: char| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(invalid(format!(
            "{attr}: {s:?} is not a valid Kubernetes object name (lowercase letters, digits, '-' and '.')"
        )))
    }
}

#[cfg(test)]
mod tests;
