//! tmpfs mount and unmount with mount(2), and the mount table.
//!
//! Every tmpfs this driver creates carries the mount source [`MOUNT_SOURCE`], so the mount table
//! tells our mounts apart from anything else at a path: the driver never unmounts what it did not
//! mount.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use nix::mount::{mount, umount2, MntFlags, MsFlags};

/// The `source` field of our tmpfs mounts in /proc/self/mountinfo.
pub const MOUNT_SOURCE: &str = "connectors-csi";

/// Errors of mounting.
#[derive(Debug, thiserror::Error)]
pub enum MountError {
    #[error("mount tmpfs at {path}: {source} (the driver needs CAP_SYS_ADMIN and a writable kubelet directory)")]
    Mount { path: PathBuf, source: io::Error },
    #[error("unmount {path}: {source}")]
    Unmount { path: PathBuf, source: io::Error },
    #[error("read mount table: {0}")]
    Table(io::Error),
}

/// Options of a volume tmpfs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TmpfsOptions {
    pub size_bytes: u64,
    pub mode: u32,
    pub gid: Option<u32>,
}

/// One line of /proc/self/mountinfo, the fields we use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountEntry {
    pub mount_point: PathBuf,
    pub fs_type: String,
    pub source: String,
}

/// Mounts a fresh tmpfs at `target` (`nodev,nosuid,noexec`, `size=`, `mode=`, optional `gid=`).
pub fn mount_tmpfs(target: &Path, opts: TmpfsOptions) -> Result<(), MountError> {
    let mut data = format!("size={},mode={:o}", opts.size_bytes, opts.mode);
    if let Some(g) = opts.gid {
        data.push_str(&format!(",gid={g}"));
    }
    mount(
        Some(MOUNT_SOURCE),
        target,
        Some("tmpfs"),
        MsFlags::MS_NODEV | MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC,
        Some(data.as_str()),
    )
    .map_err(|e| MountError::Mount {
        path: target.to_path_buf(),
        source: e.into(),
    })
}

/// Unmounts our tmpfs at `target`: a normal unmount first, a lazy detach if it is busy.
/// Returns `Ok(false)` when there was no mount of ours there.
pub fn unmount_ours(target: &Path) -> Result<bool, MountError> {
    let mut any = false;
    // Loop: a path can carry stacked mounts if a previous crash remounted over it.
    while is_our_mount(target)? {
        any = true;
        match umount2(target, MntFlags::empty()) {
            Ok(()) => {}
            Err(nix::errno::Errno::EBUSY) => {
                umount2(target, MntFlags::MNT_DETACH).map_err(|e| MountError::Unmount {
                    path: target.to_path_buf(),
                    source: e.into(),
                })?;
            }
            Err(nix::errno::Errno::EINVAL) | Err(nix::errno::Errno::ENOENT) => break,
            Err(e) => {
                return Err(MountError::Unmount {
                    path: target.to_path_buf(),
                    source: e.into(),
                })
            }
        }
    }
    Ok(any)
}

/// Parses /proc/self/mountinfo.
pub fn mount_table() -> Result<Vec<MountEntry>, MountError> {
    let text = fs::read_to_string("/proc/self/mountinfo").map_err(MountError::Table)?;
    Ok(parse_mountinfo(&text))
}

/// Parses mountinfo text (see proc(5)): field 5 is the mount point; after the `-` separator come
/// the filesystem type and the mount source. Octal escapes (`\040`) are decoded.
pub fn parse_mountinfo(text: &str) -> Vec<MountEntry> {
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(' ').collect();
            let sep = fields.iter().position(|f| *f == "-")?;
            Some(MountEntry {
                mount_point: PathBuf::from(unescape(fields.get(4)?)),
                fs_type: fields.get(sep + 1)?.to_string(),
                source: unescape(fields.get(sep + 2)?),
            })
        })
        .collect()
}

fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = (b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0');
            out.push(v);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether `path` is the root of a mount, from statx(2)'s `STATX_ATTR_MOUNT_ROOT` (Linux ≥ 5.8).
/// `None` when the kernel does not report the attribute or the call fails; callers then read the
/// mount table.
///
/// This spares the mount-table read (the kernel formats every mount of the namespace, ~10 µs
/// per mount) in the common case of a plain directory: a publish needs no read at all, and an
/// unpublish one instead of two.
fn statx_mount_root(path: &Path) -> Option<bool> {
    use rustix::fs::{statx, AtFlags, StatxAttributes, StatxFlags, CWD};
    let st = statx(CWD, path, AtFlags::SYMLINK_NOFOLLOW, StatxFlags::empty()).ok()?;
    let root = StatxAttributes::MOUNT_ROOT;
    st.stx_attributes_mask
        .contains(root)
        .then_some(st.stx_attributes.contains(root))
}

/// Is there a tmpfs of ours mounted exactly at `target`?
pub fn is_our_mount(target: &Path) -> Result<bool, MountError> {
    if statx_mount_root(target) == Some(false) {
        return Ok(false);
    }
    Ok(mount_table()?
        .iter()
        .any(|m| m.mount_point == target && m.fs_type == "tmpfs" && m.source == MOUNT_SOURCE))
}

/// Is anything mounted exactly at `target`?
pub fn is_mount_point(target: &Path) -> Result<bool, MountError> {
    if statx_mount_root(target) == Some(false) {
        return Ok(false);
    }
    Ok(mount_table()?.iter().any(|m| m.mount_point == target))
}

/// Whether this process may mount (root, or CAP_SYS_ADMIN in practice).
pub fn can_mount() -> bool {
    nix::unistd::geteuid().is_root()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_mountinfo_with_escapes() {
        let text =
            "36 35 98:0 / /mnt/a\\040b rw,noatime master:1 - tmpfs connectors-csi rw,size=1024k\n\
                    37 35 98:0 / /var rw shared:2 - ext4 /dev/vda rw\n";
        let t = parse_mountinfo(text);
        assert_eq!(t[0].mount_point, PathBuf::from("/mnt/a b"));
        assert_eq!(t[0].fs_type, "tmpfs");
        assert_eq!(t[0].source, "connectors-csi");
        assert_eq!(t[1].fs_type, "ext4");
    }

    #[test]
    fn statx_fast_path_agrees_with_the_mount_table() {
        let dir = tempfile::tempdir().unwrap();
        let table = |p: &Path| mount_table().unwrap().iter().any(|m| m.mount_point == p);
        for p in [Path::new("/"), Path::new("/proc"), dir.path()] {
            if let Some(root) = statx_mount_root(p) {
                assert_eq!(root, table(p), "{}", p.display());
            }
            assert_eq!(is_mount_point(p).unwrap(), table(p), "{}", p.display());
        }
        assert!(!is_our_mount(dir.path()).unwrap());
        if can_mount() {
            let opts = TmpfsOptions {
                size_bytes: 1 << 20,
                mode: 0o750,
                gid: None,
            };
            mount_tmpfs(dir.path(), opts).unwrap();
            assert_eq!(statx_mount_root(dir.path()), Some(true));
            assert!(is_our_mount(dir.path()).unwrap());
            assert!(is_mount_point(dir.path()).unwrap());
            assert!(unmount_ours(dir.path()).unwrap());
            assert_eq!(statx_mount_root(dir.path()), Some(false));
            assert!(!is_our_mount(dir.path()).unwrap());
        }
    }
}
