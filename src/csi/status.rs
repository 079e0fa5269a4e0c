//! The one place where errors become gRPC statuses. Messages end up in `kubectl describe pod`
//! events, so they say what to fix; they never contain tokens or file contents.

use tonic::{Code, Status};

use crate::connector::SourceError;
use crate::driver::DriverError;
use crate::render::RenderError;
use crate::token::TokenError;

/// gRPC code for a driver error.
pub fn code_for(e: &DriverError) -> Code {
    match e {
        DriverError::Invalid(_) => Code::InvalidArgument,
        DriverError::AlreadyExists(_) => Code::AlreadyExists,
        DriverError::FailedPrecondition(_) => Code::FailedPrecondition,
        DriverError::ConnectorNotReady { .. } => Code::Unavailable,
        DriverError::ClassMissing { .. } => Code::FailedPrecondition,
        DriverError::Source(s) => match s {
            SourceError::NotFound { .. } => Code::NotFound,
            SourceError::PermissionDenied(_) => Code::PermissionDenied,
            SourceError::Unavailable(_) => Code::Unavailable,
            SourceError::Invalid(_) => Code::InvalidArgument,
            SourceError::Unsupported(_) => Code::FailedPrecondition,
        },
        DriverError::Render(r) => match r {
            RenderError::UnknownConfiguration { .. } => Code::NotFound,
            RenderError::MissingParam { .. } => Code::InvalidArgument,
            RenderError::NoProxyAddress { .. } => Code::Unavailable,
            RenderError::Template { .. } | RenderError::InvalidFileName { .. } => {
                Code::FailedPrecondition
            }
            _ => Code::InvalidArgument,
        },
        DriverError::Token(t) => match t {
            TokenError::Malformed(_) => Code::InvalidArgument,
            TokenError::MissingAudience { .. } | TokenError::Expired(_) => Code::Unavailable,
        },
        DriverError::Write { source, .. } => match source.raw_os_error() {
            Some(nix::libc::ENOSPC) => Code::ResourceExhausted,
            _ => Code::Internal,
        },
        DriverError::Mount(_) | DriverError::State(_) | DriverError::Internal(_) => Code::Internal,
    }
}

impl From<DriverError> for Status {
    fn from(e: DriverError) -> Status {
        let code = code_for(&e);
        let mut msg = e.to_string();
        if code == Code::ResourceExhausted {
            msg.push_str(" (the rendered files do not fit the volume's tmpfs; reduce the configurations or raise --tmpfs-size)");
        }
        Status::new(code, msg)
    }
}

impl From<crate::csi::request::InvalidRequest> for Status {
    fn from(e: crate::csi::request::InvalidRequest) -> Status {
        Status::invalid_argument(e.0)
    }
}
