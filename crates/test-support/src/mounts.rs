//! Real-tmpfs helpers for tests: the root check, mount-table queries, and the clean-up guards
//! that leave nothing mounted when a test fails.

use std::path::{Path, PathBuf};

use connectors_csi::volume::mount;

/// True when real tmpfs mounts are possible; otherwise prints why the test is skipped.
pub fn require_root(test: &str) -> bool {
    if nix::unistd::geteuid().is_root() {
        true
    } else {
        eprintln!("SKIP {test}: needs root to mount tmpfs (run the suite as root, as CI does)");
        false
    }
}

/// Is a connectors-csi tmpfs mounted at `p`?
pub fn mounted(p: &Path) -> bool {
    mount::is_our_mount(p).unwrap()
}

/// Every tmpfs of ours mounted at or below `dir` (mount table scan).
pub fn our_mounts_under(dir: &Path) -> Vec<PathBuf> {
    mount::mount_table()
        .unwrap()
        .into_iter()
        .filter(|m| m.is_ours() && m.mount_point.starts_with(dir))
        .map(|m| m.mount_point)
        .collect()
}

/// Unmounts every tmpfs of ours at or below `dir` (test cleanup after a killed driver).
pub fn unmount_all_under(dir: &Path) {
    for m in our_mounts_under(dir) {
        let _ = mount::unmount_ours(&m);
    }
}

/// Panics if anything (ours or not) is still mounted at or below `root`.
pub fn assert_no_mounts_under(root: &Path) {
    let left: Vec<_> = mount::mount_table()
        .unwrap()
        .into_iter()
        .filter(|m| m.mount_point.starts_with(root))
        .collect();
    assert!(left.is_empty(), "mounts left behind: {left:?}");
}

/// The per-volume state files in a driver state directory.
pub fn state_files(state_dir: &Path) -> Vec<PathBuf> {
    match std::fs::read_dir(state_dir.join("volumes")) {
        Ok(rd) => rd.flatten().map(|e| e.path()).collect(),
        Err(_) => vec![],
    }
}

/// Mounts a private tmpfs at `dir` for tests that need a real tmpfs outside any driver.
pub fn mount_test_tmpfs(dir: &Path, size_bytes: u64) {
    std::fs::create_dir_all(dir).unwrap();
    mount::mount_tmpfs(
        dir,
        mount::TmpfsOptions {
            size_bytes,
            mode: 0o755,
            gid: None,
        },
    )
    .unwrap();
}

/// Unmounts every mount (ours or a test's own) at or below its path when dropped, so a failing
/// test leaves nothing mounted.
pub struct UnmountOnDrop(pub PathBuf);

impl Drop for UnmountOnDrop {
    fn drop(&mut self) {
        let Ok(table) = mount::mount_table() else {
            return;
        };
        let mut mine: Vec<PathBuf> = table
            .into_iter()
            .map(|m| m.mount_point)
            .filter(|p| p.starts_with(&self.0))
            .collect();
        mine.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
        for m in mine {
            let _ = nix::mount::umount2(&m, nix::mount::MntFlags::MNT_DETACH);
        }
    }
}
