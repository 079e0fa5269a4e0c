//! CSI gRPC surface.
