//! Test-only support shared by the driver's integration tests and benchmark: one definition of
//! a pod, a connector and a publish request, the in-process fake API server, tmpfs clean-up
//! guards, the real helm and kubectl/kustomize the manifest tests run (`k8s_tools`) and an RBAC
//! evaluator. A `[dev-dependencies]` entry of the driver only: nothing here ships in the driver.
//!
//! `use test_support::*;` brings the fixtures into scope the way the old `tests/common` did.

pub mod apiserver;
pub mod crd_shapes;
pub mod csi;
pub mod driver;
pub mod k8s_tools;
pub mod mounts;
pub mod objects;
pub mod rbac;
pub mod wait;
pub mod yaml;

pub use apiserver::{
    DeniedRequest, FakeApiServer, RecordedRequest, RecordedTokenRequest, RequestCounts,
    SarDecision, SarGrants, SarRequest,
};
pub use csi::*;
pub use driver::*;
pub use mounts::*;
pub use objects::*;
pub use wait::wait_for;
pub use yaml::repo_root;
