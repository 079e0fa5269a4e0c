//! The owner's policy for `tokenfile` direct mode: which target ServiceAccounts a Connector may
//! mint tokens for, and for how long, as declared by annotations on the Connector itself.
//!
//! The pod only *chooses within* what the Connector's owner allowed (whoever may update the
//! Connector; a pod needs nothing but `get` on it). Without the allowlist annotation the Connector
//! cannot be used in direct mode at all. This is the NVIDIA DPF model, where the ServiceAccount is
//! named in an administrator-controlled object, never by the consuming pod.
//!
//! ```yaml
//! metadata:
//!   annotations:
//!     # Allowed targets on the cluster spec.address points at; the first one is the default.
//!     connectors.cpaas.io/tokenfile-service-accounts: "ci/deployer, ci/reader"
//!     # Optional: longest lifetime a pod may ask for (default and ceiling: 24h).
//!     connectors.cpaas.io/tokenfile-max-duration: "2h"
//! ```
//!
//! Everything here is pure: the driver calls [`direct_grant`] before it reads any Secret or mints
//! anything, and the renderer calls it again to know which ServiceAccount the files are for.

use std::time::Duration;

use super::tokenfile::{tokenfile_direct_request, DirectRequest, PARAM_DURATION};
use super::{RenderError, RenderRequest};
use crate::connector::Connector;

/// Connector annotation listing the target ServiceAccounts (`namespace/name`, separated by commas
/// or whitespace) that pods may request in `tokenfile` direct mode. The first is the default.
pub const ANNOTATION_SERVICE_ACCOUNTS: &str = "connectors.cpaas.io/tokenfile-service-accounts";
/// Connector annotation lowering the longest direct-mode token lifetime pods may request.
pub const ANNOTATION_MAX_DURATION: &str = "connectors.cpaas.io/tokenfile-max-duration";
/// Default lifetime of a direct-mode token (capped by the owner's maximum).
pub const DEFAULT_DURATION: Duration = Duration::from_secs(3600);
/// The driver's own ceiling (DPF's maximum TTL); an owner may only lower it.
pub const MAX_DURATION: Duration = Duration::from_secs(24 * 3600);
/// Shortest lifetime the TokenRequest API accepts.
pub const MIN_DURATION: Duration = Duration::from_secs(600);

/// What the Connector's owner allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectPolicy {
    /// Allowed `(namespace, name)` targets; never empty, the first is the default.
    pub allowed: Vec<(String, String)>,
    /// Longest lifetime a pod may request.
    pub max_duration: Duration,
}

/// What the driver may mint for one volume.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectGrant {
    pub namespace: String,
    pub name: String,
    pub duration: Duration,
}

impl DirectGrant {
    /// `namespace/name` of the target ServiceAccount.
    pub fn service_account(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

/// A lowercase RFC 1123 name (namespaces and ServiceAccount names).
pub(crate) fn is_dns_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && !s.starts_with(['-', '.'])
        && !s.ends_with(['-', '.'])
}

fn connector_key(c: &Connector) -> String {
    format!(
        "{}/{}",
        c.metadata.namespace.as_deref().unwrap_or_default(),
        c.metadata.name.as_deref().unwrap_or_default()
    )
}

fn fmt_duration(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 3600, (s % 3600) / 60, s % 60) {
        (h, 0, 0) if h > 0 => format!("{h}h"),
        (0, m, 0) => format!("{m}m"),
        (h, m, 0) if h > 0 => format!("{h}h{m}m"),
        _ => format!("{s}s"),
    }
}

impl DirectPolicy {
    /// The policy declared on `connector`; `Ok(None)` when it allows no direct mode (no or empty
    /// allowlist annotation). A malformed annotation is an error for the owner to fix, never
    /// read as "allow everything".
    pub fn of(connector: &Connector) -> Result<Option<DirectPolicy>, RenderError> {
        let key = connector_key(connector);
        let annotations = connector.metadata.annotations.as_ref();
        let get = |k: &str| annotations.and_then(|a| a.get(k)).map(|v| v.trim());
        let owner_fix = |what: String| {
            RenderError::Precondition(format!(
                "connector {key}: {what}; whoever manages Connector {key} must fix the annotation"
            ))
        };
        let Some(list) = get(ANNOTATION_SERVICE_ACCOUNTS).filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        let mut allowed: Vec<(String, String)> = Vec::new();
        for entry in list
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|e| !e.is_empty())
        {
            let pair = entry
                .split_once('/')
                .filter(|(ns, name)| is_dns_name(ns) && is_dns_name(name))
                .ok_or_else(|| {
                    owner_fix(format!(
                        "annotation {ANNOTATION_SERVICE_ACCOUNTS} has entry {entry:?}, which is not \"<namespace>/<name>\" of a ServiceAccount (lowercase DNS names; no wildcards)"
                    ))
                })?;
            let pair = (pair.0.to_string(), pair.1.to_string());
            if !allowed.contains(&pair) {
                allowed.push(pair);
            }
        }
        let max_duration = match get(ANNOTATION_MAX_DURATION).filter(|v| !v.is_empty()) {
            None => MAX_DURATION,
            Some(v) => {
                let d = crate::token::parse_go_duration(v)
                    .map_err(|e| owner_fix(format!("annotation {ANNOTATION_MAX_DURATION}: {e}")))?;
                if d < MIN_DURATION {
                    return Err(owner_fix(format!(
                        "annotation {ANNOTATION_MAX_DURATION} is {v:?}, below the 10m minimum of the TokenRequest API"
                    )));
                }
                d.min(MAX_DURATION)
            }
        };
        Ok(Some(DirectPolicy {
            allowed,
            max_duration,
        }))
    }

    fn listed(&self) -> String {
        self.allowed
            .iter()
            .map(|(ns, n)| format!("{ns}/{n}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Decides what a volume asking for `tokenfile` direct mode may get from `connector`.
/// `Ok(None)`: the volume does not use direct mode. Errors: the pod's parameters are malformed
/// (`Invalid`), the owner allows no direct mode, another ServiceAccount or a longer lifetime
/// (`PermissionDenied`, naming the annotation and who controls it), or the owner's annotation is
/// malformed (`Precondition`).
pub fn direct_grant(
    connector: &Connector,
    req: &RenderRequest,
) -> Result<Option<DirectGrant>, RenderError> {
    let Some(DirectRequest {
        service_account,
        duration,
    }) = tokenfile_direct_request(req)?
    else {
        return Ok(None);
    };
    let key = connector_key(connector);
    let asked = service_account
        .as_ref()
        .map(|(ns, n)| format!("ServiceAccount {ns}/{n} was requested"))
        .unwrap_or_else(|| "the default ServiceAccount was requested".into());
    let Some(policy) = DirectPolicy::of(connector)? else {
        return Err(RenderError::PermissionDenied(format!(
            "connector {key} does not allow tokenfile direct mode ({asked}): its owner lists no target ServiceAccounts in the Connector annotation {ANNOTATION_SERVICE_ACCOUNTS}. Whoever manages Connector {key} (may update connectors in namespace {}) decides which ServiceAccounts pods may get tokens for, e.g. `{ANNOTATION_SERVICE_ACCOUNTS}: \"<namespace>/<name>\"`; without it use proxy mode (no tokenfile.serviceAccount)",
            connector.metadata.namespace.as_deref().unwrap_or_default()
        )));
    };
    let (namespace, name) = match service_account {
        None => policy.allowed[0].clone(),
        Some(sa) if policy.allowed.contains(&sa) => sa,
        Some((ns, n)) => {
            return Err(RenderError::PermissionDenied(format!(
                "connector {key} allows tokenfile direct mode only for ServiceAccount(s) {} (annotation {ANNOTATION_SERVICE_ACCOUNTS} on the Connector, controlled by whoever manages Connector {key}); {ns}/{n} is not listed: request a listed one, or ask the Connector's owner to add it",
                policy.listed()
            )))
        }
    };
    let duration = match duration {
        None => DEFAULT_DURATION.min(policy.max_duration),
        Some(d) if d <= policy.max_duration => d,
        Some(d) => {
            let source = if policy.max_duration < MAX_DURATION {
                format!(
                    "set by annotation {ANNOTATION_MAX_DURATION} on Connector {key}, controlled by its owner"
                )
            } else {
                "the driver's ceiling".into()
            };
            return Err(RenderError::PermissionDenied(format!(
                "configuration.params tokenfile.{PARAM_DURATION} {} exceeds the longest lifetime connector {key} allows for direct-mode tokens, {} ({source}); request a shorter one",
                fmt_duration(d),
                fmt_duration(policy.max_duration)
            )));
        }
    };
    Ok(Some(DirectGrant {
        namespace,
        name,
        duration,
    }))
}

#[cfg(test)]
#[path = "direct_tests.rs"]
mod tests;
