//! Per-volume filesystem work: tmpfs mounts, the kubelet-compatible atomic writer, and the state
//! that lets a restarted driver find its volumes.

pub mod atomic;
pub mod mount;
pub mod state;
