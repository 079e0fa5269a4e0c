//! A kubelet-compatible atomic writer.
//!
//! Layout inside a volume directory:
//!
//! ```text
//! ..data -> ..2026_11_23_16_40_01.123456789.Ab3dE
//! ..2026_11_23_16_40_01.123456789.Ab3dE/{kubeconfig,context.token,...}
//! kubeconfig -> ..data/kubeconfig
//! ```
//!
//! A new payload is written into a fresh timestamped directory, a `..data_tmp` symlink to it is
//! created, and `rename(2)` swaps it over `..data` — so a reader that opens `kubeconfig` sees either
//! the complete old payload or the complete new one, never a mix and never ENOENT. User-visible
//! names are symlinks created after the swap; names no longer in the payload are removed after it.
//! Unchanged content is not rewritten.
//!
//! A payload directory retired by a swap is removed only once it has been retired for
//! [`RETIRED_GRACE`]: a reader that resolved `..data` just before the swap is still looking up its
//! file in that directory, and removing it at once (as kubelet's writer does) makes such readers
//! see ENOENT. Retired directories are removed by later writes; if a new payload does not fit
//! next to them (ENOSPC), they are removed at once and the write is retried.
//! Callers serialise writes to one directory (the driver holds a per-volume lock).
//!
//! The cost of a write is kept at what the algorithm needs: one listing of the volume directory
//! decides everything (the current payload, retired payloads, missing or foreign links, names
//! to remove), and files are created, compared, chmod-ed and linked through the open directory
//! and file descriptors (`openat`, `fchmod`, `readlinkat`, `symlinkat`), not by path.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Symlink pointing at the current payload directory.
pub const DATA_DIR: &str = "..data";
/// Temporary symlink renamed over [`DATA_DIR`].
pub const DATA_TMP: &str = "..data_tmp";
/// How long a retired payload directory stays for readers that resolved `..data` before a swap.
pub const RETIRED_GRACE: Duration = Duration::from_secs(1);

/// One file to project.
#[derive(Clone, PartialEq, Eq)]
pub struct FileProjection {
    pub data: Vec<u8>,
    pub mode: u32,
}

impl std::fmt::Debug for FileProjection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "FileProjection({} bytes, {:o})",
            self.data.len(),
            self.mode
        )
    }
}

/// Ownership and directory permissions applied to a payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WriteOptions {
    /// Group owner of files and payload directory (`volume_mount_group`).
    pub gid: Option<u32>,
    /// Mode of the payload directory.
    pub dir_mode: u32,
    /// The caller knows this payload differs from the one it wrote last (it keeps a
    /// fingerprint of that one): swap without reading the current files back. `false` (the
    /// safe default) compares with what is on disk. It can only force a swap, never skip one.
    pub known_changed: bool,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            gid: None,
            dir_mode: 0o550,
            known_changed: false,
        }
    }
}

/// Errors of the atomic writer.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(
        "invalid payload path {0:?}: must be a plain file name that does not start with \"..\""
    )]
    InvalidPath(String),
    #[error("{op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl WriteError {
    pub fn io_kind(&self) -> Option<io::ErrorKind> {
        match self {
            WriteError::Io { source, .. } => Some(source.kind()),
            WriteError::InvalidPath(_) => None,
        }
    }
    /// The raw OS error (ENOSPC, EACCES, …) when there is one.
    pub fn raw_os_error(&self) -> Option<i32> {
        match self {
            WriteError::Io { source, .. } => source.raw_os_error(),
            WriteError::InvalidPath(_) => None,
        }
    }
}

fn io_err<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> WriteError + 'a {
    move |source| WriteError::Io {
        op,
        path: path.to_path_buf(),
        source,
    }
}

/// [`io_err`] for `name` in `dir`, the path built only when there is an error.
fn io_at<'a>(
    op: &'static str,
    dir: &'a Path,
    name: &'a str,
) -> impl FnOnce(io::Error) -> WriteError + 'a {
    move |source| WriteError::Io {
        op,
        path: dir.join(name),
        source,
    }
}

/// Opens a directory for the `*at` calls below (one path lookup for all its files).
fn open_dir(dir: &Path) -> Result<fs::File, WriteError> {
    fs::File::open(dir).map_err(io_err("open", dir))
}

/// What a write did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteOutcome {
    /// True when a new payload directory was swapped in.
    pub swapped: bool,
    /// Name of the payload directory now behind `..data`.
    pub data_dir: String,
}

/// Is `name` acceptable as a user-visible payload path?
pub fn valid_payload_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.starts_with("..")
        && name != "."
        && !name.contains('/')
        && !name.contains('\0')
}

/// Writes `payload` into `dir` atomically. See the module docs for the algorithm.
pub fn write_payload(
    dir: &Path,
    payload: &BTreeMap<String, FileProjection>,
    opts: WriteOptions,
) -> Result<WriteOutcome, WriteError> {
    let files: Vec<File<'_>> = payload
        .iter()
        .map(|(name, f)| (name.as_str(), f.data.as_slice(), f.mode))
        .collect();
    write_sorted(dir, &files, opts)
}

/// [`write_payload`] for files that share one mode, borrowing their contents (no copy of the
/// payload, as the driver's files all have the volume's file mode).
pub fn write_files(
    dir: &Path,
    files: &BTreeMap<String, Vec<u8>>,
    mode: u32,
    opts: WriteOptions,
) -> Result<WriteOutcome, WriteError> {
    let files: Vec<File<'_>> = files
        .iter()
        .map(|(name, data)| (name.as_str(), data.as_slice(), mode))
        .collect();
    write_sorted(dir, &files, opts)
}

/// One file to write: name, content, mode.
type File<'a> = (&'a str, &'a [u8], u32);

/// What a directory entry is, from `getdents(2)`'s `d_type` (no stat per entry).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Dir,
    Symlink,
    Other,
}

/// One listing of the volume directory: what the write decides everything on.
struct Entry {
    name: std::ffi::OsString,
    kind: Kind,
}

/// Lists `dir` through one open descriptor, kept for the `*at` calls on its entries.
fn list(dir: &Path) -> Result<(rustix::fs::Dir, Vec<Entry>), WriteError> {
    use rustix::fs::{FileType, Mode, OFlags};
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let fd = rustix::fs::open(dir, flags, Mode::empty())
        .map_err(|e| io_err("read_dir", dir)(e.into()))?;
    let mut d = rustix::fs::Dir::new(fd).map_err(|e| io_err("read_dir", dir)(e.into()))?;
    let mut out = Vec::new();
    while let Some(e) = d.read() {
        let e = e.map_err(|e| io_err("read_dir", dir)(e.into()))?;
        let name = e.file_name().to_bytes();
        if name == b"." || name == b".." {
            continue;
        }
        let kind = match e.file_type() {
            FileType::Directory => Kind::Dir,
            FileType::Symlink => Kind::Symlink,
            _ => Kind::Other,
        };
        out.push(Entry {
            name: <std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(name)
                .to_os_string(),
            kind,
        });
    }
    Ok((d, out))
}

/// `files` sorted by name (as a `BTreeMap` iterates).
fn write_sorted(
    dir: &Path,
    files: &[File<'_>],
    opts: WriteOptions,
) -> Result<WriteOutcome, WriteError> {
    for (name, _, _) in files {
        if !valid_payload_name(name) {
            return Err(WriteError::InvalidPath(name.to_string()));
        }
    }
    let in_payload = |name: &str| files.binary_search_by(|f| f.0.cmp(name)).is_ok();
    // One read of the volume directory serves the current payload, the retired payloads, the
    // user-visible links and the names to remove; nothing else writes here meanwhile (callers
    // serialise writes to one directory).
    let (root, mut listing) = list(dir)?;
    let root = root.fd().map_err(|e| io_err("read_dir", dir)(e.into()))?;
    let data_link = dir.join(DATA_DIR);
    let old = match listing.iter().position(|e| e.name == DATA_DIR) {
        None => None,
        Some(i) if listing[i].kind == Kind::Symlink => {
            match rustix::fs::readlinkat(root, DATA_DIR, Vec::new()) {
                Ok(t) => Some(t.to_string_lossy().into_owned()),
                Err(rustix::io::Errno::NOENT) => None,
                Err(e) => return Err(io_err("readlink", &data_link)(e.into())),
            }
        }
        // `..data` exists but is not a symlink: rebuild it.
        Some(i) => {
            remove_any(&data_link)?;
            listing.swap_remove(i);
            None
        }
    };

    // Decide whether anything differs from what is on disk.
    let mut changed = old.is_none() || opts.known_changed;
    if let (Some(old_name), false) = (&old, changed) {
        let old_dir = dir.join(old_name);
        match list(&old_dir) {
            Ok((d, entries)) => {
                let d = d.fd().map_err(|e| io_err("read_dir", &old_dir)(e.into()))?;
                changed = entries.len() != files.len()
                    || entries
                        .iter()
                        .any(|e| !e.name.to_str().is_some_and(in_payload))
                    || files
                        .iter()
                        .any(|(name, data, mode)| differs(d, name, data, *mode, opts.gid));
            }
            // `..data` points nowhere: treat as a first write (repair).
            Err(e) if e.raw_os_error() == Some(nix::libc::ENOENT) => changed = true,
            Err(e) => return Err(e),
        }
    }

    let mut current = old.clone();
    if changed {
        // Retired payloads past their grace period (all of them when nothing is current, e.g.
        // the leftovers of an interrupted first write) go before the new one takes space.
        let kept = remove_retired(dir, &listing, old.as_deref(), false)?;
        let ts_dir = new_payload_dir(dir)?;
        let ts_name = ts_dir
            .file_name()
            .expect("payload dir has a name")
            .to_string_lossy()
            .into_owned();
        let mut filled = fill_payload_dir(&ts_dir, files, opts);
        if filled.as_ref().err().and_then(WriteError::raw_os_error) == Some(nix::libc::ENOSPC) {
            // Retired payloads still in their grace period take the space: drop them and retry.
            remove_any(&ts_dir)?;
            for p in &kept {
                remove_any(p)?;
            }
            std::os::unix::fs::DirBuilderExt::mode(&mut fs::DirBuilder::new(), 0o700)
                .create(&ts_dir)
                .map_err(io_err("mkdir", &ts_dir))?;
            filled = fill_payload_dir(&ts_dir, files, opts);
        }
        if let Err(e) = filled {
            remove_any(&ts_dir)?;
            return Err(e);
        }
        let tmp_link = dir.join(DATA_TMP);
        // (A stale `..data_tmp` went with the retired entries above.)
        std::os::unix::fs::symlink(&ts_name, &tmp_link).map_err(io_err("symlink", &tmp_link))?;
        fs::rename(&tmp_link, &data_link).map_err(io_err("rename", &data_link))?;
        current = Some(ts_name);
    }

    // User-visible symlinks: create missing ones (also repairs an interrupted earlier write).
    let mut want = String::new();
    for (name, _, _) in files {
        want.clear();
        want.push_str(DATA_DIR);
        want.push('/');
        want.push_str(name);
        let existing = listing.iter().find(|e| e.name == *name).map(|e| e.kind);
        let ok = match existing {
            None => false,
            Some(Kind::Symlink) => link_is(root, name, want.as_bytes()),
            Some(_) => false,
        };
        if !ok {
            if existing.is_some() {
                remove_any(&dir.join(name))?;
            }
            rustix::fs::symlinkat(want.as_str(), root, *name)
                .map_err(|e| io_at("symlink", dir, name)(e.into()))?;
        }
    }
    // Remove user-visible names that are no longer projected (the listing holds every name but
    // this write's new payload directory).
    for e in &listing {
        if e.name.as_encoded_bytes().starts_with(b"..") {
            continue;
        }
        if !e.name.to_str().is_some_and(in_payload) {
            remove_any(&dir.join(&e.name))?;
        }
    }
    if !changed {
        // (A swapping write removed them before filling its directory.)
        remove_retired(dir, &listing, current.as_deref(), false)?;
    }
    Ok(WriteOutcome {
        swapped: changed,
        data_dir: current.unwrap_or_default(),
    })
}

/// Does the symlink `name` in `dir` point exactly at `want`? Read into a stack buffer one byte
/// longer than `want` (a longer target shows as longer, so as different): no allocation per
/// link on every write.
fn link_is(dir: std::os::fd::BorrowedFd<'_>, name: &str, want: &[u8]) -> bool {
    let mut buf = [0u8; 512];
    if want.len() >= buf.len() {
        return rustix::fs::readlinkat(dir, name, Vec::new()).is_ok_and(|t| t.as_bytes() == want);
    }
    let buf = &mut buf[..want.len() + 1];
    match rustix::fs::readlinkat_raw(dir, name, &mut *buf) {
        Ok(n) => buf[..n] == *want,
        Err(_) => false,
    }
}

/// Reads the payload currently visible in `dir` (through `..data`).
pub fn read_payload(dir: &Path) -> Result<BTreeMap<String, Vec<u8>>, WriteError> {
    let mut out = BTreeMap::new();
    let Some(cur) = current_data_dir(dir)? else {
        return Ok(out);
    };
    let d = dir.join(cur);
    for e in fs::read_dir(&d).map_err(io_err("read_dir", &d))? {
        let e = e.map_err(io_err("read_dir", &d))?;
        let data = fs::read(e.path()).map_err(io_err("read", &e.path()))?;
        out.insert(e.file_name().to_string_lossy().into_owned(), data);
    }
    Ok(out)
}

/// Name of the payload directory `..data` points to, if any.
pub fn current_data_dir(dir: &Path) -> Result<Option<String>, WriteError> {
    let link = dir.join(DATA_DIR);
    match fs::read_link(&link) {
        Ok(t) => Ok(Some(t.to_string_lossy().into_owned())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        // EINVAL: `..data` exists but is not a symlink; rebuild it.
        Err(e) if e.raw_os_error() == Some(nix::libc::EINVAL) => {
            remove_any(&link)?;
            Ok(None)
        }
        Err(e) => Err(io_err("readlink", &link)(e)),
    }
}

/// Does file `name` in the directory `dir` differ from `data` with `mode` (and group `gid`)?
/// One open (not following a symlink), one fstat and, when size and mode match, one read of
/// exactly that size.
fn differs(
    dir: rustix::fd::BorrowedFd<'_>,
    name: &str,
    data: &[u8],
    mode: u32,
    gid: Option<u32>,
) -> bool {
    use rustix::fs::{Mode, OFlags};
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let Ok(fd) = rustix::fs::openat(dir, name, flags, Mode::empty()) else {
        return true;
    };
    let mut f = fs::File::from(fd);
    let Ok(meta) = f.metadata() else {
        return true;
    };
    if !meta.is_file()
        || meta.len() != data.len() as u64
        || meta.mode() & 0o7777 != mode
        || gid.is_some_and(|g| meta.gid() != g)
    {
        return true;
    }
    let mut buf = vec![0u8; data.len()];
    io::Read::read_exact(&mut f, &mut buf).is_err() || buf != data
}

fn new_payload_dir(dir: &Path) -> Result<PathBuf, WriteError> {
    let ts = jiff::Timestamp::now()
        .strftime("..%Y_%m_%d_%H_%M_%S.%f.")
        .to_string();
    let d = tempfile::Builder::new()
        .prefix(&ts)
        .rand_bytes(6)
        .permissions(fs::Permissions::from_mode(0o700))
        .tempdir_in(dir)
        .map_err(io_err("mkdir", dir))?;
    Ok(d.keep())
}

fn fill_payload_dir(
    ts_dir: &Path,
    files: &[File<'_>],
    opts: WriteOptions,
) -> Result<(), WriteError> {
    use rustix::fs::{Mode, OFlags};
    // Every call on the open directory or file: no path lookup per file.
    let d = open_dir(ts_dir)?;
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    for (name, data, mode) in files {
        let fd = rustix::fs::openat(&d, *name, flags, Mode::from_raw_mode(0o600))
            .map_err(|e| io_at("create", ts_dir, name)(e.into()))?;
        let mut file = fs::File::from(fd);
        file.write_all(data).map_err(io_at("write", ts_dir, name))?;
        if let Some(g) = opts.gid {
            std::os::unix::fs::fchown(&file, None, Some(g))
                .map_err(io_at("chown", ts_dir, name))?;
        }
        // chmod after chown: chown clears setgid bits, and umask must not matter.
        file.set_permissions(fs::Permissions::from_mode(*mode))
            .map_err(io_at("chmod", ts_dir, name))?;
    }
    if let Some(g) = opts.gid {
        std::os::unix::fs::fchown(&d, None, Some(g)).map_err(io_err("chown", ts_dir))?;
    }
    d.set_permissions(fs::Permissions::from_mode(opts.dir_mode))
        .map_err(io_err("chmod", ts_dir))?;
    Ok(())
}

/// Removes reserved (`..`-prefixed) entries of `listing` other than `..data` and the `current`
/// payload directory: non-directories at once, payload directories once retired for
/// [`RETIRED_GRACE`] (or all of them with `all`, or when nothing is current). A directory is
/// retired when its successor is created, so its retirement time is the modification time of
/// the next newer payload directory (payload directories are never modified after they are
/// filled). Returns the retired directories kept (still in their grace period).
fn remove_retired(
    dir: &Path,
    listing: &[Entry],
    current: Option<&str>,
    all: bool,
) -> Result<Vec<PathBuf>, WriteError> {
    let mtime = |p: &Path| fs::symlink_metadata(p).and_then(|m| m.modified()).ok();
    let mut retired: Vec<(SystemTime, PathBuf)> = Vec::new();
    for e in listing {
        let reserved = e.name.as_encoded_bytes().starts_with(b"..");
        if !reserved || e.name == DATA_DIR || current.is_some_and(|c| e.name == c) {
            continue;
        }
        let path = dir.join(&e.name);
        let keep_until_grace = e.kind == Kind::Dir && !all && current.is_some();
        match keep_until_grace.then(|| mtime(&path)).flatten() {
            Some(t) => retired.push((t, path)),
            None => remove_any(&path)?,
        }
    }
    if retired.is_empty() {
        return Ok(Vec::new());
    }
    retired.sort();
    let current_mtime = current.and_then(|c| mtime(&dir.join(c)));
    let now = SystemTime::now();
    let mut kept = Vec::new();
    for i in 0..retired.len() {
        let retired_at = retired
            .get(i + 1)
            .map(|r| r.0)
            .or(current_mtime)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        if now.duration_since(retired_at).unwrap_or_default() >= RETIRED_GRACE {
            remove_any(&retired[i].1)?;
        } else {
            kept.push(retired[i].1.clone());
        }
    }
    Ok(kept)
}

fn remove_any(path: &Path) -> Result<(), WriteError> {
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_err("stat", path)(e)),
    };
    let res = if meta.is_dir() {
        // Payload dirs are read-only (0550); make them writable for non-root callers.
        let _ = fs::set_permissions(path, fs::Permissions::from_mode(0o700));
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    };
    match res {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_err("remove", path)(e)),
    }
}

#[cfg(test)]
#[path = "atomic_tests.rs"]
mod tests;
