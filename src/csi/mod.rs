//! The CSI gRPC surface: Identity and Node services (plus ControllerGetCapabilities), request
//! validation, and the mapping of errors to gRPC statuses.

pub mod proto;
pub mod request;
pub mod server;
pub mod service;
pub mod status;
