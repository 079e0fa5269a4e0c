//! CSI gRPC surface.
pub mod proto;
