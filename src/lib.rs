//! connectors-csi: a Kubernetes CSI node driver that mounts Connector credential configurations
//! into pods and keeps them fresh.
//!
//! Data flow of one volume: [`csi`] (gRPC surface, validation, status mapping) →
//! [`connector`] (objects and their sources) → [`render`] (pure file rendering) →
//! [`volume`] (tmpfs, atomic writer, per-volume state) → [`refresh`] (scheduler).
//! [`driver`] ties them together for one volume's lifecycle.

pub mod cli;
pub mod connector;
pub mod credprovider;
pub mod csi;
pub mod driver;
pub mod events;
pub mod features;
pub mod metrics;
pub mod refresh;
pub mod render;
pub mod token;
pub mod volume;
