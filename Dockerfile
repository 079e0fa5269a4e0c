# syntax=docker/dockerfile:1
#
# connectors-csi container image: the CSI node driver (`connectors-csi serve`) and its other
# subcommands. Build with BuildKit (default since Docker 23):
#
#   docker build -t <registry>/connectors-csi:<tag> .
#
# No system protoc is needed: build.rs compiles proto/csi.proto with protox (pure Rust). The
# binary uses rustls, so the runtime image needs no OpenSSL; it links glibc and libgcc_s, which
# distroless/cc provides. Builder and runtime are both Debian 12 (bookworm), so the glibc the
# binary was linked against is the one it runs with.

ARG RUST_VERSION=1.95

FROM docker.io/library/rust:${RUST_VERSION}-bookworm AS build
WORKDIR /src
# Only what `cargo build` reads (see .dockerignore). Cargo loads every workspace member's
# manifest (`members = [".", "crates/*"]`) and every path dependency, dev-dependencies included,
# before it builds anything: crates/gotmpl is a dependency of the driver and crates/test-support a
# dev-dependency, so both crates' Cargo.toml and src/ are needed (their tests and test data are
# not). tests/manifests/image.rs rebuilds this context and runs `cargo metadata --locked` in it.
COPY Cargo.toml Cargo.lock build.rs ./
COPY proto ./proto
COPY src ./src
COPY crates ./crates
# Cache mounts keep the crate registry and the target dir between builds; the binary is copied
# out of the cached target dir in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin connectors-csi \
 && install -D -m 0755 target/release/connectors-csi /out/connectors-csi

# distroless: no shell, no package manager, CA certificates and tzdata included.
FROM gcr.io/distroless/cc-debian12:latest
COPY --from=build /out/connectors-csi /usr/local/bin/connectors-csi
# Non-root by default. The node driver cannot be: it mounts a tmpfs per volume (CAP_SYS_ADMIN in
# the host mount namespace) and its mounts must propagate to the host (Bidirectional, which
# Kubernetes allows only in privileged containers), so the DaemonSet sets runAsUser: 0 and
# privileged: true for that one container. `render`, `demo` and other subcommands run fine as
# this user.
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/connectors-csi"]
CMD ["serve"]
LABEL org.opencontainers.image.title="connectors-csi" \
      org.opencontainers.image.description="Kubernetes CSI node driver that mounts Connector credential configurations into pods" \
      org.opencontainers.image.licenses="Apache-2.0"
