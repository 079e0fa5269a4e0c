//! Serving the CSI services on a unix socket.

use std::future::Future;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::net::UnixListener;
use tokio_stream::wrappers::UnixListenerStream;
use tonic::transport::Server;
use tracing::info;

use super::proto::{
    controller_server::ControllerServer, identity_server::IdentityServer, node_server::NodeServer,
};
use super::service::CsiService;
use crate::driver::Driver;

/// Errors starting the server.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "endpoint {0:?} is not a unix socket: use unix:///path/csi.sock or a plain absolute path"
    )]
    BadEndpoint(String),
    #[error("socket {path}: {source}")]
    Socket {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("gRPC server: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// Parses `unix:///csi/csi.sock`, `unix:/csi/csi.sock` or a bare path.
pub fn parse_endpoint(endpoint: &str) -> Result<PathBuf, ServeError> {
    let path = if let Some(rest) = endpoint.strip_prefix("unix://") {
        rest
    } else if let Some(rest) = endpoint.strip_prefix("unix:") {
        rest
    } else if endpoint.contains("://") {
        return Err(ServeError::BadEndpoint(endpoint.to_string()));
    } else {
        endpoint
    };
    if path.is_empty() || !path.starts_with('/') {
        return Err(ServeError::BadEndpoint(endpoint.to_string()));
    }
    Ok(PathBuf::from(path))
}

/// Binds the socket: removes a stale socket file, creates the parent, sets mode 0600.
pub fn bind(path: &Path) -> Result<UnixListener, ServeError> {
    let io = |source| ServeError::Socket {
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(e)),
    }
    let listener = bind_private(path).map_err(io)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
    listener.set_nonblocking(true).map_err(io)?;
    UnixListener::from_std(listener).map_err(io)
}

/// Binds with umask 0177 so the socket is never briefly accessible to others. The umask is
/// process-wide, so it is set on a short-lived thread that first unshares its filesystem
/// attributes (`unshare(CLONE_FS)`): directories and files other threads create meanwhile keep
/// the process umask.
fn bind_private(path: &Path) -> std::io::Result<std::os::unix::net::UnixListener> {
    std::thread::scope(|s| {
        s.spawn(|| {
            nix::sched::unshare(nix::sched::CloneFlags::CLONE_FS)?;
            nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o177));
            std::os::unix::net::UnixListener::bind(path)
        })
        .join()
        .expect("socket bind thread panicked")
    })
}

/// Serves until `shutdown` resolves; in-flight requests finish, then the socket is removed.
pub async fn serve(
    driver: Arc<Driver>,
    listener: UnixListener,
    path: &Path,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let svc = CsiService { driver };
    info!(endpoint = %path.display(), "serving CSI Identity and Node");
    let result = Server::builder()
        .add_service(IdentityServer::new(svc.clone()))
        .add_service(NodeServer::new(svc.clone()))
        .add_service(ControllerServer::new(svc))
        .serve_with_incoming_shutdown(UnixListenerStream::new(listener), shutdown)
        .await;
    let _ = std::fs::remove_file(path);
    result.map_err(ServeError::from)
}

/// Resolves on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("install SIGTERM handler");
    let mut int = signal(SignalKind::interrupt()).expect("install SIGINT handler");
    tokio::select! {
        _ = term.recv() => info!("SIGTERM received; finishing in-flight requests"),
        _ = int.recv() => info!("SIGINT received; finishing in-flight requests"),
    }
}

/// A tonic client channel over a unix socket (for tests and the `csi` debugging subcommand).
pub async fn connect(path: &Path) -> Result<tonic::transport::Channel, tonic::transport::Error> {
    let path = path.to_path_buf();
    tonic::transport::Endpoint::from_static("http://[::1]:50051")
        .connect_with_connector(tower::service_fn(move |_| {
            let path = path.clone();
            async move {
                let s = tokio::net::UnixStream::connect(path).await?;
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(s))
            }
        }))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        assert_eq!(
            parse_endpoint("unix:///csi/csi.sock").unwrap(),
            PathBuf::from("/csi/csi.sock")
        );
        assert_eq!(
            parse_endpoint("unix:/csi/csi.sock").unwrap(),
            PathBuf::from("/csi/csi.sock")
        );
        assert_eq!(
            parse_endpoint("/csi/csi.sock").unwrap(),
            PathBuf::from("/csi/csi.sock")
        );
        assert!(parse_endpoint("tcp://0.0.0.0:10000").is_err());
        assert!(parse_endpoint("csi.sock").is_err());
    }

    fn process_umask() -> String {
        std::fs::read_to_string("/proc/self/status")
            .unwrap()
            .lines()
            .find_map(|l| l.strip_prefix("Umask:").map(|v| v.trim().to_string()))
            .unwrap()
    }

    #[tokio::test]
    async fn the_socket_is_private_and_the_process_umask_is_kept() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let before = process_umask();
        let path = dir.path().join("csi/csi.sock");
        let _listener = bind(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // The process keeps its own umask (the 0177 one lives on the bind thread only; the race
        // it used to open is what made tests/non_root.rs flaky: see bind_private).
        assert_eq!(process_umask(), before);
        assert_ne!(before, "0177");
    }
}
