//! Kubernetes source (to be written).
