//! The driver's error enum: every layer's error converts into it, and [`crate::csi::status`]
//! converts it into a gRPC status in one place.

use crate::connector::SourceError;
use crate::csi::request::InvalidRequest;
use crate::render::RenderError;
use crate::token::TokenError;
use crate::volume::atomic::WriteError;
use crate::volume::mount::MountError;
use crate::volume::state::StateError;

#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    #[error(transparent)]
    Invalid(#[from] InvalidRequest),
    /// Same volume and target published with a different capability or readonly flag.
    #[error("{0}")]
    AlreadyExists(String),
    /// Same volume already published at another target.
    #[error("{0}")]
    FailedPrecondition(String),
    #[error("connector {connector} is not ready: {reason}")]
    ConnectorNotReady { connector: String, reason: String },
    #[error("connector {connector} uses connector class {class:?}, which does not exist; create the ConnectorClass or fix spec.connectorClassName")]
    ClassMissing { connector: String, class: String },
    /// Connectors Approval has not decided yet: kubelet retries the mount.
    #[error("connector {connector} waits for approval: AccessRequest {access_request} is {state}; the pod starts once it is approved (kubelet retries the mount)")]
    ApprovalPending {
        connector: String,
        access_request: String,
        state: String,
    },
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error("writing files into {volume}: {source}")]
    Write {
        volume: String,
        #[source]
        source: WriteError,
    },
    #[error(transparent)]
    Mount(#[from] MountError),
    #[error(transparent)]
    State(#[from] StateError),
    /// The feature flags depend on a ConfigMap not read yet: kubelet retries the mount.
    #[error(transparent)]
    FeatureFlags(#[from] crate::features::FlagsUnknown),
    #[error("{0}")]
    Internal(String),
}
