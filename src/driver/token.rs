//! Token choice for a volume: kubelet's token, the volume's current one, or one the driver
//! mints; and the `tokenfile` direct mode's token minted on the target cluster.

use std::time::Duration;

use jiff::Timestamp;
use tracing::info;

use super::{Deps, DirectToken, Driver, DriverError, AUDIT_TARGET};
use crate::connector::{ObjectKey, SourceError, TokenRequestSpec};
use crate::csi::request::VolumeSpec;
use crate::features::{FeatureFlags, Flag};
use crate::render::{self, ResolvedConnector};
use crate::token::{self, Token, TokenSourceMode};

impl Driver {
    pub(super) async fn obtain_token(
        &self,
        spec: &VolumeSpec,
        kubelet_tokens: Option<&str>,
        current: Option<&Token>,
    ) -> Result<(Token, &'static str), DriverError> {
        let now = Timestamp::now();
        let mode = self.cfg.token_source;
        if mode != TokenSourceMode::Driver {
            if let Some(json) = kubelet_tokens {
                return Ok((
                    token::parse_kubelet_tokens(json, &self.cfg.token_audience, now)?,
                    "kubelet",
                ));
            }
        }
        // Reuse the volume's token until its refresh point.
        if let Some(t) = current {
            if now < t.refresh_at() {
                return Ok((t.clone(), "current"));
            }
        }
        if mode == TokenSourceMode::Kubelet {
            if let Some(t) = current.filter(|t| t.expires_at > now) {
                return Ok((t.clone(), "current"));
            }
            return Err(token::TokenError::MissingAudience {
                audience: self.cfg.token_audience.clone(),
                present: "none (the request carried no csi.storage.k8s.io/serviceAccount.tokens)"
                    .into(),
            }
            .into());
        }
        let minted = self
            .source
            .request_token(&TokenRequestSpec {
                pod: spec.pod.clone(),
                audience: self.cfg.token_audience.clone(),
                expiration: spec.token_expiration,
            })
            .await;
        match (minted, current) {
            (Ok(t), _) => Ok((t, "driver")),
            // Cannot mint (e.g. directory source without a token file): keep a still-valid token.
            (Err(SourceError::Unsupported(_)), Some(t)) if t.expires_at > now => {
                Ok((t.clone(), "current"))
            }
            (Err(e), _) => Err(e.into()),
        }
    }

    /// The warning for a `token.expiration` the volume's token does not have: kubelet's tokens
    /// live as long as the CSIDriver's `tokenRequests[].expirationSeconds` says, for every
    /// volume alike. `None` when the attribute is unset or the lifetime matches (within a
    /// minute).
    pub(super) fn lifetime_warning(
        &self,
        spec: &VolumeSpec,
        token: &Token,
        origin: &str,
    ) -> Option<String> {
        if !spec.token_expiration_given || origin != "kubelet" {
            return None;
        }
        let want = spec.token_expiration.as_secs();
        let have = token.lifetime().as_secs();
        if want.abs_diff(have) <= 60 {
            return None;
        }
        let attr = spec
            .attributes
            .get(crate::csi::request::ATTR_TOKEN_EXPIRATION)
            .map(|s| s.trim().to_string())
            .unwrap_or_default();
        Some(format!(
            "token.expiration {attr:?} cannot be honoured: the token comes from kubelet, which issues tokens for audience {:?} with the lifetime of the CSIDriver's spec.tokenRequests[].expirationSeconds (this one lives about {}), the same for every volume; set expirationSeconds: {want} there, or run the driver with --token-source driver (RBAC to create serviceaccounts/token) so it mints each volume's token with the lifetime asked for",
            self.cfg.token_audience,
            // Rounded to the minute: the lifetime is measured from when the driver got it.
            crate::token::format_duration(Duration::from_secs((have + 30) / 60 * 60))
        ))
    }

    /// The tokenfile configuration's direct mode: mint a token on the target cluster with the
    /// connector's own credential, for a ServiceAccount the Connector's owner allowed (checked
    /// before any Secret is read or anything is minted). Every minted token gets an audit line.
    pub(super) async fn direct_token(
        &self,
        spec: &VolumeSpec,
        req: &render::RenderRequest,
        resolved: &mut [ResolvedConnector],
        deps: &mut Deps,
        current: Option<&DirectToken>,
        flags: &FeatureFlags,
    ) -> Result<(Option<DirectToken>, Vec<String>), DriverError> {
        let mut warnings = Vec::new();
        let Some(i) = render::builtin_tokenfile_connector(resolved, req) else {
            return Ok((None, warnings));
        };
        let rc = &mut resolved[i];
        let Some(grant) = render::direct_grant(&rc.connector, req)? else {
            return Ok((None, warnings));
        };
        let ns = rc.connector.metadata.namespace.clone().unwrap_or_default();
        let connector_key = rc.key();
        let secret_name = rc
            .connector
            .spec
            .auth
            .as_ref()
            .and_then(|a| a.secret_ref.as_ref())
            .map(|r| r.name.clone())
            .ok_or_else(|| {
                DriverError::Render(render::RenderError::Invalid(format!(
                    "tokenfile direct mode needs connector {connector_key} to have spec.auth.secretRef"
                )))
            })?;
        let secret_key = ObjectKey::new(&ns, &secret_name);
        let secret = self.source.secret(&secret_key).await?;
        deps.add_secret(secret_key);
        let ca_ref = rc.connector.spec.ca_cert_secret_ref.clone();
        if let (Some(ca_ref), false) = (&ca_ref, flags.custom_ca_certs) {
            warnings.push(format!(
                "connector {connector_key} names spec.caCertSecretRef {:?}, which is not used: feature flag enable-custom-ca-certs is off ({}); the target cluster is verified against the system CAs",
                ca_ref.name,
                self.cfg.features.how_to_enable(Flag::CustomCaCerts)
            ));
        }
        if let Some(ca_ref) = ca_ref.filter(|_| flags.custom_ca_certs) {
            let key = ObjectKey::new(&ns, &ca_ref.name);
            let ca_secret = self.source.secret(&key).await?;
            deps.add_secret(key);
            rc.target_ca = pem_from_secret(&ca_secret);
        }
        let sa = grant.service_account();
        // Reuse the volume's token until its refresh point, unless the owner's policy changed
        // what the volume is granted (another ServiceAccount, a lower maximum).
        if let Some(c) = current.filter(|c| {
            c.service_account == sa
                && c.token.lifetime() <= grant.duration + Duration::from_secs(60)
                && Timestamp::now() < c.token.refresh_at()
        }) {
            return Ok((Some(c.clone()), warnings));
        }
        let token = crate::token::direct::mint_direct(
            &rc.connector,
            &secret,
            rc.target_ca.as_deref(),
            &ObjectKey::new(&grant.namespace, &grant.name),
            grant.duration,
        )
        .await?;
        // The audit trail of direct mode: who got a token for whom, until when. Never the token.
        info!(
            target: AUDIT_TARGET,
            event = "tokenfile-direct-token-minted",
            pod = %format!("{}/{}", spec.pod.namespace, spec.pod.name),
            pod_uid = %spec.pod.uid,
            pod_service_account = %spec.pod.service_account,
            connector = %connector_key,
            service_account = %sa,
            // Not `target`: flattened JSON logs already have the tracing target under that key.
            target_server = %rc.connector.spec.address.trim(),
            expires_at = %token.expires_at,
            lifetime_seconds = token.lifetime().as_secs(),
            "minted a tokenfile direct-mode token"
        );
        self.metrics.direct_tokens_minted_total.inc();
        Ok((
            Some(DirectToken {
                service_account: sa,
                token,
            }),
            warnings,
        ))
    }
}

/// PEM blocks of a CA Secret: keys ending `.crt`/`.pem`, or values with a PEM header.
fn pem_from_secret(secret: &k8s_openapi::api::core::v1::Secret) -> Option<String> {
    let mut out = String::new();
    let mut add = |k: &str, v: &[u8]| {
        if let Ok(s) = std::str::from_utf8(v) {
            if k.ends_with(".crt") || k.ends_with(".pem") || s.contains("-----BEGIN") {
                out.push_str(s.trim_end());
                out.push('\n');
            }
        }
    };
    if let Some(d) = &secret.data {
        for (k, v) in d {
            add(k, &v.0);
        }
    }
    if let Some(d) = &secret.string_data {
        for (k, v) in d {
            add(k, v.as_bytes());
        }
    }
    (!out.is_empty()).then_some(out)
}
