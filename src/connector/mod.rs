//! Connector, ConnectorClass and Secret types and the sources that supply them.

pub mod approval;
pub mod dir;
pub mod kube;
pub mod memory;
mod resource;
pub mod source;
pub mod store;
pub mod types;

pub use source::{ConnectorSource, ObjectKey, PodInfo, SourceError, SourceEvent, TokenRequestSpec};
pub use types::{Connector, ConnectorClass};
