//! Test support compiled into the library so integration tests and benchmark binaries can share
//! it. Nothing here is used by the driver at run time.

pub mod fake_apiserver;

pub use fake_apiserver::{FakeApiServer, RequestCounts, SarDecision, SarRequest};
