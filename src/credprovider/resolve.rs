//! Turns a request into a response: which connectors apply to the image and which credentials
//! they yield.
//!
//! * Static mode (no ServiceAccount token in the request): the auth key of a connector is its
//!   `spec.address` without scheme (`host[:port][/path]`); the credentials are those of its auth
//!   Secret (`username`/`password`, or the matching entry of a `.dockerconfigjson`).
//! * ServiceAccount-token mode: the auth key is the connector's proxy address
//!   (`status.proxy.httpAddress.url` without scheme) and the credentials are
//!   `<namespace>/<name>` + the pod's token, which only the connectors proxy accepts.
//!
//! The response always uses `cacheKeyType: Registry` and therefore carries the keys of *every*
//! selected connector on the image's registry (`host[:port]`), not only those whose path matches
//! this image: the kubelet reuses a `Registry` entry for all images of that registry and matches
//! each image against the keys itself.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use jiff::Timestamp;
use k8s_openapi::api::core::v1::Secret;
use kube::ResourceExt;
use serde::Deserialize;

use super::api::{AuthConfig, CacheKeyType, CredentialProviderRequest, CredentialProviderResponse};
use super::jwt::{decode_sa_claims, SaClaims};
use super::matching::{same_registry, SchemelessUrl};
use super::selector::LabelSelector;
use super::CredentialProviderError;
use crate::connector::source::check_namespace_scope;
use crate::connector::types::secret_value;
use crate::connector::{Connector, ConnectorSource, ObjectKey, SourceError};

/// ServiceAccount annotation that pins the connector to use (`<namespace>/<name>` or `<name>`,
/// a bare name meaning the ServiceAccount's namespace). List it in the provider's
/// `tokenAttributes.optionalServiceAccountAnnotationKeys` so the kubelet passes it.
pub const CONNECTOR_ANNOTATION: &str = "connectors.cpaas.io/connector";

/// Which connectors the plugin may hand out credentials for.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Namespaces to consider; empty means all.
    pub namespaces: Vec<String>,
    /// Label selector on the Connector's labels.
    pub selector: LabelSelector,
    /// ConnectorClass names that are image registries.
    pub classes: Vec<String>,
}

impl Selection {
    fn admits(&self, c: &Connector) -> bool {
        let ns = c.namespace().unwrap_or_default();
        (self.namespaces.is_empty() || self.namespaces.contains(&ns))
            && self.classes.contains(&c.spec.connector_class_name)
            && self.selector.matches(c.labels())
    }
}

/// Everything [`respond`] needs besides the request and the source.
#[derive(Clone, Debug)]
pub struct ProviderConfig {
    pub selection: Selection,
    /// `cacheDuration` of responses (capped by the token's life in ServiceAccount-token mode).
    pub cache_duration: Duration,
}

/// Docker Hub's registry answers under several names; images always arrive as `docker.io/...`.
const DOCKER_HUB_ALIASES: &[&str] = &[
    "index.docker.io",
    "registry-1.docker.io",
    "registry.hub.docker.com",
];

/// `scheme://host[:port][/path]` → `host[:port][/path]` without trailing `/`, Docker Hub aliases
/// folded to `docker.io`. `None` when nothing usable is left.
pub fn auth_key_from_address(address: &str) -> Option<String> {
    let trimmed = address.trim();
    let rest = match trimmed.split_once("://") {
        Some((_, rest)) => rest,
        None => trimmed,
    };
    let rest = rest.trim_end_matches('/');
    let parsed = SchemelessUrl::parse(rest).ok()?;
    let registry = parsed.registry();
    let registry = if DOCKER_HUB_ALIASES.contains(&registry.as_str()) {
        "docker.io".to_string()
    } else {
        registry
    };
    Some(format!("{registry}{}", parsed.path.trim_end_matches('/')))
}

fn is_ready(c: &Connector) -> bool {
    c.ready_condition().is_some_and(|r| r.status == "True")
}

fn key_of(c: &Connector) -> ObjectKey {
    ObjectKey::new(c.namespace().unwrap_or_default(), c.name_any())
}

/// The connector named by the ServiceAccount annotation, if any.
fn pinned_connector(
    req: &CredentialProviderRequest,
    claims: Option<&SaClaims>,
) -> Result<Option<ObjectKey>, CredentialProviderError> {
    let Some(value) = req.service_account_annotations.get(CONNECTOR_ANNOTATION) else {
        return Ok(None);
    };
    let value = value.trim();
    let bad = |why: &str| {
        CredentialProviderError::MalformedRequest(format!(
            "ServiceAccount annotation {CONNECTOR_ANNOTATION}={value:?} {why}; write \"<namespace>/<name>\" or \"<name>\""
        ))
    };
    let parts: Vec<&str> = value.split('/').collect();
    match parts.as_slice() {
        [ns, name] if !ns.is_empty() && !name.is_empty() => Ok(Some(ObjectKey::new(*ns, *name))),
        [name] if !name.is_empty() => {
            let ns = claims.and_then(|c| c.namespace.clone()).ok_or_else(|| {
                bad("has no namespace and the request carries no ServiceAccount token to take it from")
            })?;
            Ok(Some(ObjectKey::new(ns, *name)))
        }
        _ => Err(bad("is not a connector reference")),
    }
}

/// Answers one request. `now` bounds the cache duration in ServiceAccount-token mode.
pub async fn respond(
    req: &CredentialProviderRequest,
    source: &dyn ConnectorSource,
    cfg: &ProviderConfig,
    now: Timestamp,
) -> Result<CredentialProviderResponse, CredentialProviderError> {
    if let Err(e) = SchemelessUrl::parse(&req.image) {
        return Err(CredentialProviderError::MalformedRequest(format!(
            "field \"image\" is not an image reference: it {e}"
        )));
    }
    let claims = req
        .service_account_token
        .as_ref()
        .map(|t| decode_sa_claims(t.expose()))
        .transpose()
        .map_err(CredentialProviderError::InvalidServiceAccountToken)?;
    let pinned = pinned_connector(req, claims.as_ref())?;

    let mut connectors: Vec<Arc<Connector>> = source
        .list_connectors()
        .await
        .map_err(|e| CredentialProviderError::source(source, e))?
        .into_iter()
        .filter(|c| cfg.selection.admits(c) && is_ready(c))
        .filter(|c| pinned.as_ref().is_none_or(|p| key_of(c) == *p))
        .collect();
    // Deterministic precedence when two connectors share an auth key: namespace, then name.
    connectors.sort_by_key(|c| key_of(c));

    let mut response = CredentialProviderResponse {
        api_version: req.api_version,
        cache_key_type: CacheKeyType::Registry,
        cache_duration: Some(cfg.cache_duration),
        auth: BTreeMap::new(),
    };
    let mut owners: BTreeMap<String, ObjectKey> = BTreeMap::new();

    match (&req.service_account_token, &claims) {
        (Some(token), Some(claims)) => {
            let remaining: Duration = claims
                .expires_at
                .duration_since(now)
                .try_into()
                .unwrap_or_default();
            // Whole seconds only, rounded down, so the cache never outlives the token.
            let remaining = Duration::from_secs(remaining.as_secs());
            if remaining.is_zero() {
                return Err(CredentialProviderError::InvalidServiceAccountToken(format!(
                    "serviceAccountToken expired at {} (node clock says {}); check the node's time synchronisation",
                    claims.expires_at, now
                )));
            }
            response.cache_duration = Some(cfg.cache_duration.min(remaining));
            for c in &connectors {
                let key = key_of(c);
                let Some(auth_key) = c.proxy_url().and_then(auth_key_from_address) else {
                    tracing::warn!(connector = %key, "connector has no status.proxy.httpAddress.url; skipped in ServiceAccount-token mode");
                    continue;
                };
                if !same_registry(&auth_key, &req.image).unwrap_or(false) {
                    continue;
                }
                if let Some(ns) = &claims.namespace {
                    match check_namespace_scope(source, ns, &key).await {
                        Ok(()) => {}
                        Err(SourceError::PermissionDenied(_)) => continue,
                        Err(e) => return Err(CredentialProviderError::source(source, e)),
                    }
                }
                insert(
                    &mut response.auth,
                    &mut owners,
                    auth_key,
                    &key,
                    AuthConfig {
                        username: key.to_string(),
                        password: token.expose().to_string(),
                    },
                );
            }
        }
        _ => {
            for c in &connectors {
                let key = key_of(c);
                let Some(auth_key) = auth_key_from_address(&c.spec.address) else {
                    tracing::warn!(connector = %key, "connector spec.address is not a registry address; skipped");
                    continue;
                };
                if !same_registry(&auth_key, &req.image).unwrap_or(false) {
                    continue;
                }
                let Some(auth) = static_credentials(source, c, &key, &auth_key).await? else {
                    continue;
                };
                insert(&mut response.auth, &mut owners, auth_key, &key, auth);
            }
        }
    }
    Ok(response)
}

fn insert(
    auth: &mut BTreeMap<String, AuthConfig>,
    owners: &mut BTreeMap<String, ObjectKey>,
    auth_key: String,
    connector: &ObjectKey,
    value: AuthConfig,
) {
    if let Some(first) = owners.get(&auth_key) {
        tracing::warn!(
            auth_key = %auth_key,
            used = %first,
            ignored = %connector,
            "two connectors have the same registry address; the first (by namespace/name) is used"
        );
        return;
    }
    owners.insert(auth_key.clone(), connector.clone());
    auth.insert(auth_key, value);
}

/// Credentials from the connector's auth Secret. `Ok(None)` (with a warning) when the connector
/// has no usable credentials; source outages are errors.
async fn static_credentials(
    source: &dyn ConnectorSource,
    c: &Connector,
    key: &ObjectKey,
    auth_key: &str,
) -> Result<Option<AuthConfig>, CredentialProviderError> {
    let Some(secret_ref) = c.spec.auth.as_ref().and_then(|a| a.secret_ref.as_ref()) else {
        tracing::debug!(connector = %key, "connector has no auth secret (anonymous registry)");
        return Ok(None);
    };
    if secret_ref.name.is_empty() {
        return Ok(None);
    }
    if secret_ref
        .namespace
        .as_deref()
        .is_some_and(|ns| !ns.is_empty() && ns != key.namespace)
    {
        tracing::warn!(connector = %key, "connector spec.auth.secretRef points to another namespace; only Secrets in the connector's own namespace are used");
        return Ok(None);
    }
    let secret_key = ObjectKey::new(key.namespace.clone(), secret_ref.name.clone());
    let secret = match source.secret(&secret_key).await {
        Ok(s) => s,
        Err(SourceError::NotFound { .. }) => {
            tracing::warn!(connector = %key, secret = %secret_key, "auth secret not found; connector skipped");
            return Ok(None);
        }
        Err(e) => return Err(CredentialProviderError::source(source, e)),
    };
    // The Secret's own type decides; when unset (plain YAML files), the class's declared type.
    let mut secret_type = secret.type_.clone().filter(|t| !t.is_empty());
    if secret_type.is_none() {
        secret_type = declared_secret_type(source, c).await;
    }
    match credentials_from_secret(&secret, secret_type.as_deref(), auth_key) {
        Ok(a) => Ok(Some(a)),
        Err(why) => {
            tracing::warn!(connector = %key, secret = %secret_key, "{why}; connector skipped");
            Ok(None)
        }
    }
}

/// `spec.auth.types[name == connector.spec.auth.name].secretType` of the connector's class.
async fn declared_secret_type(source: &dyn ConnectorSource, c: &Connector) -> Option<String> {
    let auth_name = c.spec.auth.as_ref().map(|a| a.name.as_str())?;
    let class = source
        .connector_class(&c.spec.connector_class_name)
        .await
        .ok()?;
    class
        .spec
        .auth
        .as_ref()?
        .types
        .iter()
        .find(|t| t.name == auth_name)
        .and_then(|t| t.secret_type.clone())
}

/// Reads credentials out of a Secret. Error strings never contain secret values.
pub fn credentials_from_secret(
    secret: &Secret,
    secret_type: Option<&str>,
    auth_key: &str,
) -> Result<AuthConfig, String> {
    let docker_json = secret_value(secret, ".dockerconfigjson");
    let docker_cfg = secret_value(secret, ".dockercfg");
    let wants_docker = matches!(
        secret_type,
        Some("kubernetes.io/dockerconfigjson") | Some("kubernetes.io/dockercfg")
    );
    if let Some(bytes) = docker_json {
        return from_docker_config(&bytes, true, auth_key);
    }
    if let Some(bytes) = docker_cfg {
        return from_docker_config(&bytes, false, auth_key);
    }
    if wants_docker {
        return Err(format!(
            "secret of type {} has no .dockerconfigjson/.dockercfg key",
            secret_type.unwrap_or_default()
        ));
    }
    let text = |k: &str| {
        secret_value(secret, k)
            .map(|v| String::from_utf8(v).map_err(|_| format!("secret key {k:?} is not UTF-8")))
    };
    match (text("username"), text("password")) {
        (Some(u), Some(p)) => {
            let (username, password) = (u?, p?);
            if username.is_empty() {
                return Err("secret key \"username\" is empty".into());
            }
            Ok(AuthConfig { username, password })
        }
        _ => Err(format!(
            "secret (type {}) has neither username/password keys nor a .dockerconfigjson",
            secret_type.unwrap_or("unset")
        )),
    }
}

/// Whether `path` equals `prefix` or lies below it (segment-wise: `/team` covers `/team/app`
/// but not `/teamx`).
fn path_within(path: &str, prefix: &str) -> bool {
    prefix.is_empty()
        || path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
}

#[derive(Deserialize)]
struct DockerConfig {
    #[serde(default)]
    auths: BTreeMap<String, DockerEntry>,
}

#[derive(Deserialize, Default)]
struct DockerEntry {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    auth: String,
}

/// Picks the entry for `auth_key`'s registry: same `host[:port]`, preferring the longest entry
/// path that is a prefix of the key's path (`https://`, trailing `/` and Docker Hub's `/v1`
/// suffix are ignored).
fn from_docker_config(bytes: &[u8], modern: bool, auth_key: &str) -> Result<AuthConfig, String> {
    let entries: BTreeMap<String, DockerEntry> = if modern {
        serde_json::from_slice::<DockerConfig>(bytes)
            .map_err(|_| "secret key .dockerconfigjson is not a docker config.json".to_string())?
            .auths
    } else {
        serde_json::from_slice(bytes)
            .map_err(|_| "secret key .dockercfg is not a legacy docker config".to_string())?
    };
    let want = SchemelessUrl::parse(auth_key).map_err(|e| format!("registry address {e}"))?;
    let want_registry = want.registry().to_ascii_lowercase();
    let mut best: Option<(usize, &DockerEntry)> = None;
    for (server, entry) in &entries {
        let Some(normalized) = auth_key_from_address(server) else {
            continue;
        };
        let normalized = normalized
            .strip_suffix("/v1")
            .or_else(|| normalized.strip_suffix("/v2"))
            .unwrap_or(&normalized)
            .to_string();
        let Ok(have) = SchemelessUrl::parse(&normalized) else {
            continue;
        };
        if have.registry().to_ascii_lowercase() != want_registry
            || !path_within(want.path, have.path)
        {
            continue;
        }
        let score = have.path.len();
        if best.is_none_or(|(s, _)| score > s) {
            best = Some((score, entry));
        }
    }
    let Some((_, entry)) = best else {
        return Err(format!(
            "docker config has no entry for registry {want_registry}"
        ));
    };
    if !entry.username.is_empty() {
        return Ok(AuthConfig {
            username: entry.username.clone(),
            password: entry.password.clone(),
        });
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(entry.auth.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| {
            format!("docker config entry for {want_registry} has neither username nor a base64 \"auth\"")
        })?;
    match decoded.split_once(':') {
        Some((u, p)) if !u.is_empty() => Ok(AuthConfig {
            username: u.to_string(),
            password: p.to_string(),
        }),
        _ => Err(format!(
            "docker config entry for {want_registry} has an \"auth\" that is not user:password"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::ByteString;

    fn secret(ty: Option<&str>, data: &[(&str, &str)]) -> Secret {
        Secret {
            type_: ty.map(str::to_string),
            data: Some(
                data.iter()
                    .map(|(k, v)| (k.to_string(), ByteString(v.as_bytes().to_vec())))
                    .collect(),
            ),
            ..Default::default()
        }
    }

    #[test]
    fn auth_keys_drop_scheme_and_trailing_slash() {
        for (address, want) in [
            ("https://harbor.example.com", Some("harbor.example.com")),
            ("https://harbor.example.com/", Some("harbor.example.com")),
            ("http://reg.local:5000/team/", Some("reg.local:5000/team")),
            ("reg.local:5000", Some("reg.local:5000")),
            ("https://index.docker.io", Some("docker.io")),
            ("https://registry-1.docker.io/v2/", Some("docker.io/v2")),
            ("https://reg.io:port", None),
            ("", None),
        ] {
            assert_eq!(auth_key_from_address(address).as_deref(), want, "{address}");
        }
    }

    #[test]
    fn basic_and_registry_token_secrets() {
        for ty in [
            Some("kubernetes.io/basic-auth"),
            Some("cpaas.io/distribution-registry-token"),
            None,
        ] {
            let s = secret(ty, &[("username", "robot$ci"), ("password", "pw")]);
            let a = credentials_from_secret(&s, ty, "reg.io").unwrap();
            assert_eq!(
                (a.username.as_str(), a.password.as_str()),
                ("robot$ci", "pw")
            );
        }
        let s = secret(Some("Opaque"), &[("token", "pw-value")]);
        let err = credentials_from_secret(&s, Some("Opaque"), "reg.io").unwrap_err();
        assert!(
            err.contains("username/password") && !err.contains("pw-value"),
            "{err}"
        );
    }

    #[test]
    fn dockerconfigjson_picks_the_registry_entry() {
        let cfg = r#"{"auths":{
            "https://other.io":{"username":"o","password":"op"},
            "https://reg.io":{"auth":"aG9zdDpob3N0cHc="},
            "reg.io/team":{"username":"t","password":"tp"},
            "reg.io:5000":{"username":"p","password":"pp"},
            "https://index.docker.io/v1/":{"username":"d","password":"dp"}}}"#;
        let s = secret(
            Some("kubernetes.io/dockerconfigjson"),
            &[(".dockerconfigjson", cfg)],
        );
        let pick = |key: &str| {
            credentials_from_secret(&s, Some("kubernetes.io/dockerconfigjson"), key)
                .map(|a| (a.username, a.password))
        };
        assert_eq!(pick("reg.io"), Ok(("host".into(), "hostpw".into())));
        assert_eq!(pick("reg.io/team/sub"), Ok(("t".into(), "tp".into())));
        assert_eq!(pick("reg.io/teamx"), Ok(("host".into(), "hostpw".into())));
        assert_eq!(pick("reg.io:5000"), Ok(("p".into(), "pp".into())));
        assert_eq!(pick("docker.io"), Ok(("d".into(), "dp".into())));
        let err = pick("missing.io").unwrap_err();
        assert!(err.contains("no entry for registry missing.io"), "{err}");
        assert!(!err.contains("hostpw"));
    }

    #[test]
    fn broken_docker_configs_do_not_leak() {
        let s = secret(
            Some("kubernetes.io/dockerconfigjson"),
            &[(
                ".dockerconfigjson",
                r#"{"auths":{"reg.io":{"auth":"not base64 leaked"}}}"#,
            )],
        );
        let err = credentials_from_secret(&s, s.type_.as_deref(), "reg.io").unwrap_err();
        assert!(!err.contains("leaked"), "{err}");
        let s = secret(None, &[(".dockerconfigjson", "{leaked")]);
        let err = credentials_from_secret(&s, None, "reg.io").unwrap_err();
        assert!(!err.contains("leaked"), "{err}");
        let s = secret(Some("kubernetes.io/dockerconfigjson"), &[]);
        assert!(credentials_from_secret(&s, s.type_.as_deref(), "reg.io").is_err());
    }
}
