//! A container running as a non-root user reads its files, with and without a pod `fsGroup`
//! (real tmpfs, as root): the driver publishes over gRPC, then a child process that has dropped
//! to uid 1000 — with the fsGroup as a supplementary group when the pod has one, as kubelet
//! sets up the container — reads the files.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use nix::unistd::{Gid, Uid};
use test_support::*;

/// The pod's `runAsUser`/`runAsGroup`.
const POD_UID: u32 = 1000;
const POD_GID: u32 = 1000;
/// The pod's `fsGroup`, when it has one.
const FS_GROUP: u32 = 2000;

/// Reads `path` as uid/gid 1000 with exactly `groups` as supplementary groups: the bytes, or
/// cat's error message.
fn read_as_pod_user(path: &Path, groups: &[u32]) -> Result<Vec<u8>, String> {
    let groups: Vec<Gid> = groups.iter().map(|g| Gid::from_raw(*g)).collect();
    let mut cmd = Command::new("cat");
    cmd.arg(path);
    // SAFETY: between fork and exec only the setgroups/setgid/setuid system calls run.
    unsafe {
        cmd.pre_exec(move || {
            nix::unistd::setgroups(&groups)?;
            nix::unistd::setgid(Gid::from_raw(POD_GID))?;
            nix::unistd::setuid(Uid::from_raw(POD_UID))?;
            Ok(())
        });
    }
    let out = cmd.output().expect("run cat as the pod user");
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Starts a driver whose directory any user may traverse (tempdirs are 0700), so that only the
/// volume's own modes decide what the pod user can read.
async fn driver() -> TestDriver {
    let t = TestDriver::start(default_source()).await;
    std::fs::set_permissions(t.root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    t
}

async fn publish(t: &mut TestDriver, vol: &str, group: Option<u32>, mode: Option<&str>) -> PathBuf {
    let target = t.target(vol);
    let mut attrs = vec![
        ("connector.name", "k8s-a"),
        ("configuration.names", "kubeconfig"),
    ];
    if let Some(m) = mode {
        attrs.push(("file.mode", m));
    }
    let mut req = publish_request(vol, &target, &attrs, "tok-non-root");
    req.volume_capability = Some(mount_capability(group));
    t.node.node_publish_volume(req).await.unwrap();
    assert!(mounted(&target));
    target
}

/// Mode and owner of `path`, following symlinks.
fn mode_owner(path: &Path) -> (u32, u32, u32) {
    let m = std::fs::metadata(path).unwrap();
    (m.mode() & 0o7777, m.uid(), m.gid())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_root_pod_without_fs_group_reads_its_files() {
    if !require_root("non_root_pod_without_fs_group_reads_its_files") {
        return;
    }
    let mut t = driver().await;
    let target = publish(&mut t, "vol-nofsg", None, None).await;

    // Root-owned and world-readable, like the original driver: nothing writable by the pod.
    assert_eq!(mode_owner(&target), (0o755, 0, 0), "volume root");
    assert_eq!(
        mode_owner(&target.join("..data")),
        (0o555, 0, 0),
        "payload dir"
    );
    for f in ["kubeconfig", "ca.crt", "ca.cert", "context.token"] {
        assert_eq!(mode_owner(&target.join(f)), (0o444, 0, 0), "{f}");
        let as_root = std::fs::read(target.join(f)).unwrap();
        assert_eq!(
            read_as_pod_user(&target.join(f), &[]).unwrap(),
            as_root,
            "{f}"
        );
    }
    let kubeconfig = read_as_pod_user(&target.join("kubeconfig"), &[]).unwrap();
    assert!(String::from_utf8(kubeconfig).unwrap().contains("proxy-url"));

    // A stricter file.mode is kept: 0440 without an fsGroup shuts the pod user out.
    let strict = publish(&mut t, "vol-strict", None, Some("0440")).await;
    assert_eq!(mode_owner(&strict.join("kubeconfig")), (0o440, 0, 0));
    assert_eq!(mode_owner(&strict), (0o750, 0, 0));
    let err = read_as_pod_user(&strict.join("kubeconfig"), &[]).unwrap_err();
    assert!(err.contains("Permission denied"), "{err}");

    for (vol, target) in [("vol-nofsg", target), ("vol-strict", strict)] {
        t.node
            .node_unpublish_volume(unpublish_request(vol, &target))
            .await
            .unwrap();
    }
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_root_pod_with_fs_group_reads_through_the_group_only() {
    if !require_root("non_root_pod_with_fs_group_reads_through_the_group_only") {
        return;
    }
    let mut t = driver().await;
    let target = publish(&mut t, "vol-fsg", Some(FS_GROUP), None).await;

    assert_eq!(mode_owner(&target), (0o750, 0, FS_GROUP), "volume root");
    assert_eq!(mode_owner(&target.join("..data")), (0o550, 0, FS_GROUP));
    for f in ["kubeconfig", "ca.crt", "ca.cert", "context.token"] {
        assert_eq!(mode_owner(&target.join(f)), (0o440, 0, FS_GROUP), "{f}");
        let as_root = std::fs::read(target.join(f)).unwrap();
        assert_eq!(
            read_as_pod_user(&target.join(f), &[FS_GROUP]).unwrap(),
            as_root,
            "{f} through the fsGroup"
        );
        // A process of the same uid outside the group (another pod's container) cannot.
        let err = read_as_pod_user(&target.join(f), &[]).unwrap_err();
        assert!(err.contains("Permission denied"), "{f}: {err}");
    }

    t.node
        .node_unpublish_volume(unpublish_request("vol-fsg", &target))
        .await
        .unwrap();
    t.stop().await;
}
