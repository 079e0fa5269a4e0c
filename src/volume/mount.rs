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

impl MountEntry {
    /// A tmpfs this driver mounted (source [`MOUNT_SOURCE`]).
    pub fn is_ours(&self) -> bool {
        self.fs_type == "tmpfs" && self.source == MOUNT_SOURCE
    }
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

/// `STATX_MNT_ID_UNIQUE` (Linux ≥ 6.8): a 64-bit mount id that is never reused.
const STATX_MNT_ID_UNIQUE: u32 = 0x4000;

/// The identity of one mount, taken when the driver mounts a volume's tmpfs (or re-adopts it
/// after a restart) so that later calls recognise it with one statx(2) instead of reading the
/// mount table.
///
/// With `unique` (Linux ≥ 6.8) the id is never reused, so a match proves it is the very mount
/// the driver created. Older kernels (≥ 5.8) give a reusable id; then the device number must
/// match too, and the mount must still be a tmpfs, before it counts as ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MountStamp {
    pub id: u64,
    pub unique: bool,
    /// `st_dev` of the mount root (major << 32 | minor).
    pub dev: u64,
}

/// What statx(2) says about `path` when read against a recorded [`MountStamp`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StampCheck {
    /// `path` is the root of the recorded mount.
    Ours,
    /// `path` is not a mount root at all (nothing mounted there).
    NotMounted,
    /// Something is mounted at `path`, but not (only) the recorded mount; or the kernel could not
    /// tell. Callers fall back to the mount table.
    Unknown,
}

fn statx_mount(path: &Path) -> Option<rustix::fs::Statx> {
    use rustix::fs::{statx, AtFlags, StatxFlags, CWD};
    let mask = StatxFlags::MNT_ID | StatxFlags::from_bits_retain(STATX_MNT_ID_UNIQUE);
    statx(CWD, path, AtFlags::SYMLINK_NOFOLLOW, mask).ok()
}

fn stamp_of(st: &rustix::fs::Statx) -> Option<MountStamp> {
    use rustix::fs::StatxFlags;
    let unique = st.stx_mask & STATX_MNT_ID_UNIQUE != 0;
    if !unique && st.stx_mask & StatxFlags::MNT_ID.bits() == 0 {
        return None;
    }
    Some(MountStamp {
        id: st.stx_mnt_id,
        unique,
        dev: (u64::from(st.stx_dev_major) << 32) | u64::from(st.stx_dev_minor),
    })
}

/// The stamp of the mount whose root is `target`; `None` when `target` is not a mount root or
/// the kernel does not report mount ids (< 5.8).
pub fn mount_stamp(target: &Path) -> Option<MountStamp> {
    let st = statx_mount(target)?;
    let root = rustix::fs::StatxAttributes::MOUNT_ROOT;
    if !st.stx_attributes_mask.contains(root) || !st.stx_attributes.contains(root) {
        return None;
    }
    stamp_of(&st)
}

/// Compares what is mounted at `target` with a recorded stamp, with one statx(2) (plus a
/// statfs(2) on kernels without unique mount ids).
pub fn check_stamp(target: &Path, stamp: &MountStamp) -> StampCheck {
    let Some(st) = statx_mount(target) else {
        return StampCheck::Unknown;
    };
    let root = rustix::fs::StatxAttributes::MOUNT_ROOT;
    if !st.stx_attributes_mask.contains(root) {
        return StampCheck::Unknown;
    }
    if !st.stx_attributes.contains(root) {
        return StampCheck::NotMounted;
    }
    match stamp_of(&st) {
        Some(now) if now.unique == stamp.unique && now.id == stamp.id && now.dev == stamp.dev => {
            if stamp.unique || is_tmpfs(target) {
                StampCheck::Ours
            } else {
                StampCheck::Unknown
            }
        }
        _ => StampCheck::Unknown,
    }
}

fn is_tmpfs(path: &Path) -> bool {
    nix::sys::statfs::statfs(path)
        .is_ok_and(|s| s.filesystem_type() == nix::sys::statfs::TMPFS_MAGIC)
}

/// Unmounts the recorded tmpfs at `target` without reading the mount table when the kernel can
/// confirm the stamp (the common case); otherwise (a mount stacked on top, a kernel without
/// mount ids) falls back to [`unmount_ours`]. Returns whether anything was unmounted.
pub fn unmount_stamped(target: &Path, stamp: &MountStamp) -> Result<bool, MountError> {
    match check_stamp(target, stamp) {
        StampCheck::NotMounted => Ok(false),
        StampCheck::Unknown => unmount_ours(target),
        StampCheck::Ours => {
            detach_one(target)?;
            // Normally nothing is left; a crash-era stacked mount of ours is handled by the table.
            match check_stamp(target, stamp) {
                StampCheck::NotMounted => Ok(true),
                _ => unmount_ours(target).map(|_| true),
            }
        }
    }
}

/// One unmount at `target`: normal first, lazy if busy; "not mounted" counts as done.
fn detach_one(target: &Path) -> Result<(), MountError> {
    let err = |e: nix::errno::Errno| MountError::Unmount {
        path: target.to_path_buf(),
        source: e.into(),
    };
    match umount2(target, MntFlags::empty()) {
        Ok(()) | Err(nix::errno::Errno::EINVAL) | Err(nix::errno::Errno::ENOENT) => Ok(()),
        Err(nix::errno::Errno::EBUSY) => umount2(target, MntFlags::MNT_DETACH).map_err(err),
        Err(e) => Err(err(e)),
    }
}

/// Is there a tmpfs of ours mounted exactly at `target`?
pub fn is_our_mount(target: &Path) -> Result<bool, MountError> {
    if statx_mount_root(target) == Some(false) {
        return Ok(false);
    }
    Ok(mount_table()?
        .iter()
        .any(|m| m.mount_point == target && m.is_ours()))
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

    #[test]
    fn a_stamp_recognises_only_the_mount_it_recorded() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            mount_stamp(dir.path()),
            None,
            "a plain directory has no stamp"
        );
        if !can_mount() {
            eprintln!("SKIP a_stamp_recognises_only_the_mount_it_recorded: needs root");
            return;
        }
        let opts = TmpfsOptions {
            size_bytes: 1 << 20,
            mode: 0o750,
            gid: None,
        };
        mount_tmpfs(dir.path(), opts).unwrap();
        let Some(stamp) = mount_stamp(dir.path()) else {
            eprintln!("SKIP: this kernel reports no mount ids (< 5.8)");
            umount2(dir.path(), MntFlags::MNT_DETACH).unwrap();
            return;
        };
        assert_eq!(check_stamp(dir.path(), &stamp), StampCheck::Ours);
        // A subdirectory of the mount is not its root.
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        assert_eq!(
            check_stamp(&dir.path().join("sub"), &stamp),
            StampCheck::NotMounted
        );
        assert!(unmount_stamped(dir.path(), &stamp).unwrap());
        assert_eq!(check_stamp(dir.path(), &stamp), StampCheck::NotMounted);
        assert!(!unmount_stamped(dir.path(), &stamp).unwrap());
        // A new tmpfs at the same path is a different mount: not recognised by the old stamp.
        mount_tmpfs(dir.path(), opts).unwrap();
        let again = mount_stamp(dir.path()).unwrap();
        if stamp.unique {
            assert_ne!(again.id, stamp.id, "unique mount ids are never reused");
            assert_eq!(check_stamp(dir.path(), &stamp), StampCheck::Unknown);
        }
        // Unknown falls back to the mount table, which still finds our tmpfs.
        assert!(unmount_stamped(dir.path(), &stamp).unwrap());
        assert!(!is_mount_point(dir.path()).unwrap());
    }
}
