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
        DriverError::ApprovalPending { .. } => Code::Unavailable,
        DriverError::FeatureFlags(_) => Code::Unavailable,
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
            RenderError::PermissionDenied(_) => Code::PermissionDenied,
            RenderError::Precondition(_) => Code::FailedPrecondition,
            RenderError::TemplateLimit { .. } => Code::ResourceExhausted,
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

/// Longest status message sent (before a fixed hint). Messages quote the offending input (attribute names, paths), which
/// can be up to the 64 KiB attribute limit; kubelet copies the message into pod events.
pub const MAX_MESSAGE_BYTES: usize = 2048;

/// Cuts `msg` to [`MAX_MESSAGE_BYTES`] on a character boundary, saying so.
pub fn bounded_message(mut msg: String) -> String {
    if msg.len() > MAX_MESSAGE_BYTES {
        let suffix = format!(" … ({} bytes, truncated)", msg.len());
        let mut cut = MAX_MESSAGE_BYTES - suffix.len();
        while !msg.is_char_boundary(cut) {
            cut -= 1;
        }
        msg.truncate(cut);
        msg.push_str(&suffix);
    }
    msg
}

impl From<DriverError> for Status {
    fn from(e: DriverError) -> Status {
        let code = code_for(&e);
        let out_of_space =
            code == Code::ResourceExhausted && matches!(e, DriverError::Write { .. });
        let mut msg = bounded_message(e.to_string());
        if out_of_space {
            msg.push_str(" (the rendered files do not fit the volume's tmpfs; reduce the configurations or raise --tmpfs-size)");
        }
        Status::new(code, msg)
    }
}

impl From<crate::csi::request::InvalidRequest> for Status {
    fn from(e: crate::csi::request::InvalidRequest) -> Status {
        Status::invalid_argument(bounded_message(e.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_messages_are_bounded() {
        let key = "ä".repeat(40_000);
        let s = Status::from(crate::csi::request::InvalidRequest(format!(
            "unknown volume attribute(s) {key:?}"
        )));
        assert!(
            s.message().len() <= MAX_MESSAGE_BYTES,
            "{}",
            s.message().len()
        );
        assert!(s.message().starts_with("unknown volume attribute(s)"));
        assert!(s.message().ends_with("bytes, truncated)"));
        let short = Status::from(crate::csi::request::InvalidRequest("short".into()));
        assert_eq!(short.message(), "short");
    }
}
