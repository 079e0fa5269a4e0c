//! Section 1, the floor: the mount + atomic write + state save + unmount of a publish done with
//! plain syscalls, the lower bound the driver is compared with.

use super::*;

// ---------------------------------------------------------------------------------------------
// 1. The floor.

/// The payload of a real kubeconfig-configuration publish, rendered with the real renderer.
pub(crate) fn reference_payload(token: &str) -> BTreeMap<String, Vec<u8>> {
    rendered_payload(token, bench_connector(ADDRESS))
}

/// The payload of a publish of `connector` (an API object of class `k8s` in the bench
/// namespace), rendered with the real renderer.
pub(crate) fn rendered_payload(token: &str, connector: Value) -> BTreeMap<String, Vec<u8>> {
    let class: Arc<ConnectorClass> = Arc::new(serde_json::from_value(class_value()).unwrap());
    let conn: Arc<Connector> = Arc::new(serde_json::from_value(connector).unwrap());
    let rc = ResolvedConnector {
        proxy_ca: proxy_ca(&conn, &class),
        connector: conn,
        class,
        target_ca: None,
    };
    let req = RenderRequest {
        configurations: vec!["kubeconfig".into()],
        pod_namespace: NS.into(),
        ..Default::default()
    };
    render::render(
        &[rc],
        &req,
        &RenderSecrets {
            token,
            direct_token: None,
        },
    )
    .expect("reference render")
    .files
}

/// One floor publish: mkdir target, mount tmpfs, payload dir, files, `..data` swap, user-visible
/// symlinks. Plain syscalls, no driver code.
pub(crate) fn floor_publish(target: &Path, files: &BTreeMap<String, Vec<u8>>) {
    std::fs::create_dir(target).unwrap();
    nix::mount::mount(
        Some("bench-floor"),
        target,
        Some("tmpfs"),
        nix::mount::MsFlags::MS_NODEV
            | nix::mount::MsFlags::MS_NOSUID
            | nix::mount::MsFlags::MS_NOEXEC,
        Some(format!("size={},mode={VOLUME_ROOT_MODE:o}", DEFAULT_TMPFS_SIZE).as_str()),
    )
    .unwrap();
    floor_payload_dir(target, FLOOR_PAYLOAD_DIR, files);
    floor_swap(target, FLOOR_PAYLOAD_DIR);
    for name in files.keys() {
        std::os::unix::fs::symlink(Path::new(atomic::DATA_DIR).join(name), target.join(name))
            .unwrap();
    }
}

/// Name of the payload directory of a floor publish.
pub(crate) const FLOOR_PAYLOAD_DIR: &str = "..2026_01_01_00_00_00.000000001.abcdef";

/// Payload directory `name` in `target` holding `files` (mode 0700 while filling, files created
/// 0600 and chmod-ed to their mode, then the directory's final mode), as kubelet's writer does.
pub(crate) fn floor_payload_dir(target: &Path, name: &str, files: &BTreeMap<String, Vec<u8>>) {
    let payload_dir = target.join(name);
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&payload_dir)
        .unwrap();
    for (name, data) in files {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(payload_dir.join(name))
            .unwrap();
        f.write_all(data).unwrap();
        f.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))
            .unwrap();
    }
    std::fs::set_permissions(&payload_dir, std::fs::Permissions::from_mode(DIR_MODE)).unwrap();
}

/// Points `..data` at payload directory `name`: a `..data_tmp` symlink renamed over it.
pub(crate) fn floor_swap(target: &Path, name: &str) {
    std::os::unix::fs::symlink(name, target.join(atomic::DATA_TMP)).unwrap();
    std::fs::rename(target.join(atomic::DATA_TMP), target.join(atomic::DATA_DIR)).unwrap();
}

pub(crate) fn floor_unpublish(target: &Path) {
    nix::mount::umount2(target, nix::mount::MntFlags::empty()).unwrap();
    std::fs::remove_dir(target).unwrap();
}

/// What the driver additionally persists for restart recovery: a small JSON state file written
/// to a temp file and renamed (done twice per publish; not fsynced, see `StateStore::save`).
pub(crate) fn floor_state_write(dir: &Path, bytes: &[u8]) {
    let tmp = dir.join("state.json.tmp");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .unwrap();
    f.write_all(bytes).unwrap();
    std::fs::rename(&tmp, dir.join("state.json")).unwrap();
}

pub(crate) struct Floor {
    pub(crate) publish: Samples,
    pub(crate) unpublish: Samples,
    pub(crate) state_write: Samples,
}

/// One floor publish + unpublish at `target`, timed separately.
pub(crate) fn floor_once(target: &Path, files: &BTreeMap<String, Vec<u8>>) -> (Duration, Duration) {
    let t = Instant::now();
    floor_publish(target, files);
    let p = t.elapsed();
    let t = Instant::now();
    floor_unpublish(target);
    (p, t.elapsed())
}
