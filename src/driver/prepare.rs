//! Preparing a render: resolve the volume's connectors and classes, check the pod's access
//! (and, with Connectors Approval, gate each connector), obtain the tokens and render the
//! payload, all before any filesystem IO.

use super::approval::Gate;
use super::{Deps, DirectToken, Driver, DriverError, Prepared};
use crate::connector::source::check_namespace_scope;
use crate::connector::types::proxy_ca;
use crate::connector::SourceError;
use crate::csi::request::VolumeSpec;
use crate::features::Flag;
use crate::render::{self, RenderSecrets, ResolvedConnector};
use crate::token::Token;

impl Driver {
    /// Resolves connectors, checks access, obtains the token and renders.
    /// `current` (and `current_direct`) are the tokens already in the volume (refresh/republish),
    /// reused until their refresh point.
    pub(super) async fn prepare(
        &self,
        spec: &VolumeSpec,
        kubelet_tokens: Option<&str>,
        current: Option<&Token>,
        current_direct: Option<&DirectToken>,
    ) -> Result<Prepared, DriverError> {
        let flags = self.cfg.features.current()?;
        if current.is_none() && spec.connectors.len() > 1 && !flags.multi_connector {
            // New mounts only: a volume already mounted keeps refreshing if the flag is turned
            // off later (its pod was admitted under the old setting).
            return Err(DriverError::FailedPrecondition(format!(
                "the volume lists {} connectors, but feature flag enable-multi-connector is off: {}",
                spec.connectors.len(),
                self.cfg.features.how_to_enable(Flag::MultiConnector)
            )));
        }
        let mut deps = Deps::default();
        let mut resolved = Vec::with_capacity(spec.connectors.len());
        let mut rejected = Vec::new();
        let mut pending = None;
        for key in &spec.connectors {
            check_namespace_scope(self.source.as_ref(), &spec.pod.namespace, key).await?;
            let connector = self.source.connector(key).await.map_err(|e| match e {
                SourceError::NotFound { .. } => SourceError::NotFound {
                    kind: "connector",
                    key: key.to_string(),
                },
                e => e,
            })?;
            if self.source.kind() == "kube" && spec.pod.service_account.is_empty() {
                return Err(crate::csi::request::InvalidRequest(
                    "the pod's ServiceAccount is unknown: set podInfoOnMount: true on the CSIDriver".into(),
                )
                .into());
            }
            self.source.authorize(&spec.pod, key).await?;
            match self.gate(&spec.pod, key, current.is_some(), &flags).await {
                Ok(Gate::Open) => {}
                Ok(Gate::Rejected(r)) => {
                    deps.add_connector(key.clone());
                    rejected.push(r);
                    continue;
                }
                // A rejection of another connector is final and wins over waiting.
                Err(e @ DriverError::ApprovalPending { .. }) => {
                    pending.get_or_insert(e);
                    continue;
                }
                Err(e) => return Err(e),
            }
            match connector.ready_condition() {
                Some(c) if c.status == "True" => {}
                Some(c) => {
                    return Err(DriverError::ConnectorNotReady {
                        connector: key.to_string(),
                        reason: format!(
                            "{}{}",
                            c.reason.clone().unwrap_or_else(|| "NotReady".into()),
                            c.message
                                .as_ref()
                                .map(|m| format!(": {m}"))
                                .unwrap_or_default()
                        ),
                    })
                }
                None => {
                    return Err(DriverError::ConnectorNotReady {
                        connector: key.to_string(),
                        reason: "it has no Ready condition yet (status.conditions)".into(),
                    })
                }
            }
            let class_name = connector.spec.connector_class_name.clone();
            let class = match self.source.connector_class(&class_name).await {
                Ok(c) => c,
                Err(SourceError::NotFound { .. }) => {
                    return Err(DriverError::ClassMissing {
                        connector: key.to_string(),
                        class: class_name,
                    })
                }
                Err(e) => return Err(e.into()),
            };
            deps.add_connector(key.clone());
            deps.add_class(class_name);
            let proxy_ca = proxy_ca(&connector, &class);
            resolved.push(ResolvedConnector {
                connector,
                class,
                proxy_ca,
                target_ca: None,
            });
        }
        if !rejected.is_empty() {
            // Only `.error.json`: no configurations, no built-ins, no direct-mode token.
            let (token, origin) = self.obtain_token(spec, kubelet_tokens, current).await?;
            return Ok(Prepared {
                payload: render::error_json::error_payload(&rejected),
                token,
                direct: None,
                origin,
                deps,
                warnings: Vec::new(),
            });
        }
        if let Some(e) = pending {
            return Err(e);
        }
        let (token, origin) = self.obtain_token(spec, kubelet_tokens, current).await?;
        let mut warnings = Vec::new();
        // Warnings are for the first publish's event (a live volume's spec no longer holds the
        // attribute map the message quotes).
        if current.is_none() {
            if let Some(w) = self.lifetime_warning(spec, &token, origin) {
                warnings.push(w);
            }
        }
        let mut req = spec.render.clone();
        req.pod_namespace = spec.pod.namespace.clone();
        let (direct, direct_warnings) = self
            .direct_token(spec, &req, &mut resolved, &mut deps, current_direct, &flags)
            .await?;
        warnings.extend(direct_warnings);
        let secrets = RenderSecrets {
            token: token.expose(),
            direct_token: direct.as_ref().map(|t| t.token.expose()),
        };
        let rendered = render::render_with_warnings(&resolved, &req, &secrets)?;
        warnings.extend(rendered.warnings);
        Ok(Prepared {
            payload: rendered.payload,
            token,
            direct,
            origin,
            deps,
            warnings,
        })
    }
}
