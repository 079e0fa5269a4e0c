//! Generates the CSI v1 gRPC bindings from `proto/csi.proto`.
//!
//! No system `protoc` is needed: `protox` (a pure-Rust protobuf compiler,
//! which bundles the well-known types such as `google/protobuf/wrappers.proto`)
//! produces the `FileDescriptorSet`, and `tonic-prost-build` turns it into
//! prost messages plus tonic client/server code in `$OUT_DIR/csi.v1.rs`,
//! pulled in by `tonic::include_proto!("csi.v1")` in `src/csi/proto.rs`.

use std::error::Error;

const PROTO_FILE: &str = "proto/csi.proto";
const PROTO_INCLUDE: &str = "proto";

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo:rerun-if-changed={PROTO_FILE}");
    println!("cargo:rerun-if-changed=build.rs");

    let fds = protox::compile([PROTO_FILE], [PROTO_INCLUDE])?;

    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        // We emit our own rerun-if-changed lines above.
        .emit_rerun_if_changed(false)
        .compile_fds(fds)?;

    Ok(())
}
