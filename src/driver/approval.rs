//! Approval gating of one Connector of a volume: the `connectors/proxy` capability check
//! (feature flag `enable-connector-proxy-permissions`) and, when it is denied, the AccessRequest
//! decision (`enable-connectors-approval`): open, rejected (the volume gets only `.error.json`),
//! pending (UNAVAILABLE, kubelet retries) or denied. The flags come from the driver's
//! [`crate::features::Features`] (CLI overrides over the operator's ConfigMap).

use super::{Driver, DriverError};
use crate::connector::approval::{proxy_resource, ApprovalState};
use crate::connector::{ObjectKey, PodInfo, SourceError};
use crate::features::{FeatureFlags, Features, Flag, Overrides};
use crate::render::error_json::{NamespacedName, RejectedAccess};

/// The two approval flags given together as driver overrides (tests and embedders); converts
/// into [`Features`] that set both and leave the other flags to the ConfigMap or defaults.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ApprovalFlags {
    /// `enable-connector-proxy-permissions`: every mounted Connector needs the
    /// `connectors/proxy` capability for the pod, in addition to `get`.
    pub proxy_permissions: bool,
    /// `enable-connectors-approval`: a denied capability is requested through an AccessRequest.
    /// Acts only together with `proxy_permissions`.
    pub connectors_approval: bool,
}

impl From<ApprovalFlags> for Features {
    fn from(a: ApprovalFlags) -> Features {
        Features::fixed(Overrides {
            connector_proxy_permissions: Some(a.proxy_permissions),
            connectors_approval: Some(a.connectors_approval),
            ..Default::default()
        })
    }
}

/// What the gate decided for one Connector.
pub(super) enum Gate {
    /// The pod may use the Connector.
    Open,
    /// Connectors Approval rejected the use: the volume gets only `.error.json`.
    Rejected(RejectedAccess),
}

impl Driver {
    /// Gates `connector` for `pod`. `live` is set for a volume that is already mounted
    /// (republish, refresh): a capability it lost is a revocation, handled like a revoked `get`
    /// (PERMISSION_DENIED; refresh stops), and no AccessRequest is created for it.
    pub(super) async fn gate(
        &self,
        pod: &PodInfo,
        connector: &ObjectKey,
        live: bool,
        flags: &FeatureFlags,
    ) -> Result<Gate, DriverError> {
        if !flags.connector_proxy_permissions {
            return Ok(Gate::Open);
        }
        let denied = match self.source.authorize_proxy(pod, connector).await {
            Ok(()) => return Ok(Gate::Open),
            Err(SourceError::PermissionDenied(msg)) => msg,
            Err(e) => return Err(e.into()),
        };
        if !flags.connectors_approval {
            return Err(SourceError::PermissionDenied(format!(
                "{denied}; grant it with a Role in namespace {} allowing verb \"*\" on resource {} (apiGroup connectors.alauda.io, resourceNames [{}]) bound to the ServiceAccount, or let Connectors Approval request it ({})",
                connector.namespace,
                proxy_resource(pod),
                connector.name,
                self.cfg.features.how_to_enable(Flag::ConnectorsApproval)
            ))
            .into());
        }
        let found = self.source.access_request(pod, connector, !live).await?;
        let Some((name, state)) = found else {
            return Err(SourceError::PermissionDenied(format!(
                "{denied}; the capability was revoked and no AccessRequest for this pod exists"
            ))
            .into());
        };
        let request = format!("{}/{name}", connector.namespace);
        match state {
            ApprovalState::Rejected { reason, message } => {
                tracing::warn!(connector = %connector, access_request = %request, pod = %format!("{}/{}", pod.namespace, pod.name),
                    %reason, "Connectors Approval rejected the use of the connector; the volume holds only .error.json");
                Ok(Gate::Rejected(RejectedAccess {
                    connector: NamespacedName {
                        namespace: connector.namespace.clone(),
                        name: connector.name.clone(),
                    },
                    access_request: NamespacedName {
                        namespace: connector.namespace.clone(),
                        name,
                    },
                    reason,
                    message,
                }))
            }
            ApprovalState::Granted => match self.source.authorize_proxy(pod, connector).await {
                Ok(()) => Ok(Gate::Open),
                Err(SourceError::PermissionDenied(_)) if !live => {
                    Err(DriverError::ApprovalPending {
                        connector: connector.to_string(),
                        access_request: request,
                        state: "granted, but the API server does not allow the connectors/proxy capability yet (the permission is still being synced)".into(),
                    })
                }
                Err(SourceError::PermissionDenied(_)) => Err(SourceError::PermissionDenied(
                    format!("{denied}; AccessRequest {request} is granted but the permission is gone"),
                )
                .into()),
                Err(e) => Err(e.into()),
            },
            state @ ApprovalState::Pending { .. } if !live => Err(DriverError::ApprovalPending {
                connector: connector.to_string(),
                access_request: request,
                state: state.to_string(),
            }),
            state => Err(SourceError::PermissionDenied(format!(
                "{denied}; AccessRequest {request} is {state}"
            ))
            .into()),
        }
    }
}
