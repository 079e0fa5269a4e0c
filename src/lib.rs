//! connectors-csi: a Kubernetes CSI node driver that mounts Connector credential configurations
//! into pods and keeps them fresh.
//!
//! Data flow of one volume: [`csi`] (gRPC surface, validation, status mapping) →
//! [`connector`] (objects and their sources) → [`render`] (pure file rendering) →
//! [`volume`] (tmpfs, atomic writer, per-volume state) → [`refresh`] (scheduler).

pub mod connector;
pub mod csi;
pub mod render;
pub mod testing;
pub mod token;
pub mod volume;
