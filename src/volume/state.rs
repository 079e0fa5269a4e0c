//! Per-volume state kept in the driver's state directory so that a restarted driver finds every
//! volume it owns. Files are root-only (0600 in a 0700 directory) because they hold the last
//! token, which is needed to re-render a volume on connector changes after a restart.
//!
//! The state describes tmpfs mounts, which a reboot erases: it must outlive the driver process,
//! not the node. Its default place is therefore a tmpfs too (`/run/connectors-csi`), which has
//! exactly the mounts' lifetime and no disk in a publish's path; [`StateStore::migrate_from`]
//! moves the state of older releases out of their disk-backed `/var/lib/connectors-csi`.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::connector::PodInfo;

/// Everything needed to refresh, compare and clean up a published volume.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct VolumeState {
    pub volume_id: String,
    pub target_path: PathBuf,
    pub readonly: bool,
    /// Canonical description of the volume capability (for ALREADY_EXISTS checks).
    pub capability: String,
    pub volume_mount_group: Option<u32>,
    /// The volume attributes without kubelet's token attribute.
    pub attributes: BTreeMap<String, String>,
    pub pod: PodInfo,
    pub file_mode: u32,
    /// Names of the files currently projected.
    pub files: Vec<String>,
    /// Last token (root-only file); absent until the first successful render.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<StoredToken>,
    /// Whether the token came from kubelet (`kubelet`) or was minted by the driver (`driver`).
    #[serde(default)]
    pub token_origin: String,
    /// When the payload was last written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rendered_at: Option<jiff::Timestamp>,
    /// Next scheduled refresh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_refresh: Option<jiff::Timestamp>,
}

impl std::fmt::Debug for VolumeState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VolumeState")
            .field("volume_id", &self.volume_id)
            .field("target_path", &self.target_path)
            .field("pod", &self.pod)
            .field("files", &self.files)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("next_refresh", &self.next_refresh)
            .finish_non_exhaustive()
    }
}

/// A token as stored on disk (root-only).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredToken {
    pub value: String,
    pub issued_at: jiff::Timestamp,
    pub expires_at: jiff::Timestamp,
}

impl From<&crate::token::Token> for StoredToken {
    fn from(t: &crate::token::Token) -> Self {
        StoredToken {
            value: t.expose().to_string(),
            issued_at: t.issued_at,
            expires_at: t.expires_at,
        }
    }
}

impl From<&StoredToken> for crate::token::Token {
    fn from(t: &StoredToken) -> Self {
        crate::token::Token::new(t.value.clone(), t.issued_at, t.expires_at)
    }
}

/// A [`VolumeState`] borrowed from the driver's live volume, serialised exactly as a
/// `VolumeState` is (a test checks the two agree): a save copies nothing into a second
/// in-memory state.
#[derive(Serialize)]
pub struct VolumeStateRef<'a> {
    pub volume_id: &'a str,
    pub target_path: &'a Path,
    pub readonly: bool,
    pub capability: &'a str,
    pub volume_mount_group: Option<u32>,
    pub attributes: AttributesRef<'a>,
    pub pod: &'a PodInfo,
    pub file_mode: u32,
    pub files: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<StoredTokenRef<'a>>,
    pub token_origin: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rendered_at: Option<jiff::Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_refresh: Option<jiff::Timestamp>,
}

/// The attributes of a [`VolumeStateRef`]: a map, or the JSON text of one (how a live volume
/// keeps them: one allocation instead of a tree of strings).
#[derive(Clone, Copy)]
pub enum AttributesRef<'a> {
    Map(&'a BTreeMap<String, String>),
    Json(&'a serde_json::value::RawValue),
}

impl Serialize for AttributesRef<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            AttributesRef::Map(m) => m.serialize(s),
            AttributesRef::Json(j) => j.serialize(s),
        }
    }
}

/// A [`StoredToken`] borrowed from a [`crate::token::Token`].
#[derive(Serialize)]
pub struct StoredTokenRef<'a> {
    pub value: &'a str,
    pub issued_at: jiff::Timestamp,
    pub expires_at: jiff::Timestamp,
}

impl<'a> From<&'a crate::token::Token> for StoredTokenRef<'a> {
    fn from(t: &'a crate::token::Token) -> Self {
        StoredTokenRef {
            value: t.expose(),
            issued_at: t.issued_at,
            expires_at: t.expires_at,
        }
    }
}

impl<'a> From<&'a VolumeState> for VolumeStateRef<'a> {
    fn from(s: &'a VolumeState) -> Self {
        VolumeStateRef {
            volume_id: &s.volume_id,
            target_path: &s.target_path,
            readonly: s.readonly,
            capability: &s.capability,
            volume_mount_group: s.volume_mount_group,
            attributes: AttributesRef::Map(&s.attributes),
            pod: &s.pod,
            file_mode: s.file_mode,
            files: s.files.iter().map(String::as_str).collect(),
            token: s.token.as_ref().map(|t| StoredTokenRef {
                value: &t.value,
                issued_at: t.issued_at,
                expires_at: t.expires_at,
            }),
            token_origin: &s.token_origin,
            rendered_at: s.rendered_at,
            next_refresh: s.next_refresh,
        }
    }
}

/// Errors of the state store.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("state directory {path}: {source} (it must be writable by the driver, e.g. a hostPath at /run/connectors-csi)")]
    Io { path: PathBuf, source: io::Error },
    #[error("state file {path} is corrupt: {message}")]
    Corrupt { path: PathBuf, message: String },
}

/// One entry of [`StateStore::list`]: a state, or the path of an unreadable file and why.
pub type StateEntry = Result<VolumeState, (PathBuf, StateError)>;

/// The state directory: `<root>/volumes/<sha256(volume_id)>.json`.
#[derive(Debug, Clone)]
pub struct StateStore {
    dir: PathBuf,
}

impl StateStore {
    /// Opens (creating with 0700) the store under `root`.
    pub fn open(root: &Path) -> Result<Self, StateError> {
        let dir = root.join("volumes");
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(|source| StateError::Io {
                path: dir.clone(),
                source,
            })?;
        Ok(StateStore { dir })
    }

    pub fn path_for(&self, volume_id: &str) -> PathBuf {
        let h = Sha256::digest(volume_id.as_bytes());
        self.dir.join(format!("{}.json", hex::encode(&h[..16])))
    }

    /// Writes the state atomically (temp file + rename), mode 0600, not fsynced (see
    /// [`write_private`]).
    pub fn save(&self, state: &VolumeState) -> Result<(), StateError> {
        self.save_ref(&VolumeStateRef::from(state))
    }

    /// [`StateStore::save`] of a borrowed state.
    pub fn save_ref(&self, state: &VolumeStateRef<'_>) -> Result<(), StateError> {
        self.save_ref_at(&self.path_for(state.volume_id), state)
    }

    /// [`StateStore::save_ref`] to the volume's [`StateStore::path_for`], computed by the
    /// caller once (a SHA-256 per save and per token read adds up at 1000 refreshing volumes).
    pub fn save_ref_at(&self, path: &Path, state: &VolumeStateRef<'_>) -> Result<(), StateError> {
        let bytes = serde_json::to_vec(state).expect("state serialises");
        write_private(path, &bytes)
    }

    pub fn load(&self, volume_id: &str) -> Result<Option<VolumeState>, StateError> {
        let path = self.path_for(volume_id);
        match fs::read(&path) {
            Ok(b) => parse(&path, &b).map(Some),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(StateError::Io { path, source }),
        }
    }

    /// Only the token of a volume's state (`Ok(None)`: no state file, or one without a
    /// token). The other fields are skipped, not built: a refresh that reuses the volume's
    /// token reads it this way.
    pub fn load_token(&self, volume_id: &str) -> Result<Option<crate::token::Token>, StateError> {
        self.load_token_at(&self.path_for(volume_id))
    }

    /// [`StateStore::load_token`] from the volume's [`StateStore::path_for`].
    pub fn load_token_at(&self, path: &Path) -> Result<Option<crate::token::Token>, StateError> {
        #[derive(Deserialize)]
        struct TokenOnly<'a> {
            #[serde(borrow, default)]
            token: Option<TokenFields<'a>>,
        }
        #[derive(Deserialize)]
        struct TokenFields<'a> {
            #[serde(borrow)]
            value: std::borrow::Cow<'a, str>,
            issued_at: jiff::Timestamp,
            expires_at: jiff::Timestamp,
        }
        let b = match read_small(path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(StateError::Io {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        let t: TokenOnly<'_> = serde_json::from_slice(&b).map_err(|e| StateError::Corrupt {
            path: path.to_path_buf(),
            message: format!("line {} column {}", e.line(), e.column()),
        })?;
        Ok(t.token
            .map(|t| crate::token::Token::new(t.value.into_owned(), t.issued_at, t.expires_at)))
    }

    pub fn remove(&self, volume_id: &str) -> Result<(), StateError> {
        let path = self.path_for(volume_id);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(StateError::Io { path, source }),
        }
    }

    /// Every stored volume; corrupt files are returned as errors with their path so the caller
    /// can log and remove them.
    pub fn list(&self) -> Result<Vec<StateEntry>, StateError> {
        let entries = fs::read_dir(&self.dir).map_err(|source| StateError::Io {
            path: self.dir.clone(),
            source,
        })?;
        let mut out = Vec::new();
        for e in entries.flatten() {
            let path = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(".json.tmp") {
                let _ = fs::remove_file(&path);
                continue;
            }
            if !name.ends_with(".json") {
                continue;
            }
            out.push(match fs::read(&path) {
                Ok(b) => parse(&path, &b).map_err(|e| (path.clone(), e)),
                Err(source) => Err((path.clone(), StateError::Io { path, source })),
            });
        }
        Ok(out)
    }

    /// Moves the state files of an older state directory (`<old_root>/volumes/*.json`, e.g. the
    /// disk-backed `/var/lib/connectors-csi` of releases before the state moved to `/run`) into
    /// this store. A file this store does not hold yet is copied (0600, temp file + rename) and
    /// then removed from the old place; one it already holds is only removed there (this store's
    /// copy is the newer). Safe to interrupt: a kill between copy and removal leaves both, and the
    /// next start removes the old one. Which migrated volumes are still mounted is decided by
    /// restart recovery, as for any state. A missing old directory is nothing to migrate.
    pub fn migrate_from(&self, old_root: &Path) -> Result<Migration, StateError> {
        let old_dir = old_root.join("volumes");
        let mut m = Migration::default();
        let same = match (fs::canonicalize(&old_dir), fs::canonicalize(&self.dir)) {
            (Ok(a), Ok(b)) => a == b,
            _ => old_dir == self.dir,
        };
        if same {
            return Ok(m);
        }
        let entries = match fs::read_dir(&old_dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(m),
            Err(source) => {
                return Err(StateError::Io {
                    path: old_dir,
                    source,
                })
            }
        };
        let io_at = |path: &Path| {
            let path = path.to_path_buf();
            move |source| StateError::Io { path, source }
        };
        for e in entries {
            let e = e.map_err(io_at(&old_dir))?;
            let name = e.file_name();
            let old = e.path();
            let name_str = name.to_string_lossy();
            if name_str.ends_with(".json.tmp") {
                // A save interrupted in the old store: never complete, never renamed.
                fs::remove_file(&old).map_err(io_at(&old))?;
                continue;
            }
            if !name_str.ends_with(".json") {
                continue;
            }
            let new = self.dir.join(&name);
            if new.exists() {
                m.superseded += 1;
            } else {
                let bytes = fs::read(&old).map_err(io_at(&old))?;
                write_private(&new, &bytes)?;
                m.moved += 1;
            }
            fs::remove_file(&old).map_err(io_at(&old))?;
        }
        // Empty now (unless someone put other files there); the old root may be a mount point.
        let _ = fs::remove_dir(&old_dir);
        Ok(m)
    }

    pub fn remove_path(&self, path: &Path) {
        let _ = fs::remove_file(path);
    }
}

/// What [`StateStore::migrate_from`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    /// State files moved into this store.
    pub moved: usize,
    /// Old files dropped because this store already held the volume's state.
    pub superseded: usize,
}

/// Writes `bytes` to `path` atomically (temp file + rename), mode 0600.
///
/// Not fsynced, on purpose: the state only has to outlive the driver process (a crash or
/// restart keeps the page cache, and the default state directory is a tmpfs under `/run`
/// anyway). What outlives a node crash is useless: the volume's tmpfs is gone after a reboot,
/// so recovery drops the state of every volume (and removes unreadable files), and kubelet
/// publishes afresh.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), StateError> {
    let tmp = path.with_extension("json.tmp");
    let io = |source| StateError::Io {
        path: tmp.clone(),
        source,
    };
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(io)?;
    f.write_all(bytes).map_err(io)?;
    fs::rename(&tmp, path).map_err(|source| StateError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads a file of a few KiB with open, read and close only (`fs::read` also asks for the
/// file's size and reads once more to see its end): a state file is read on every refresh that
/// reuses its token. A read that fills the buffer goes on to the end.
fn read_small(path: &Path) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let mut f = fs::File::open(path)?;
    let mut buf = vec![0u8; 8192];
    let mut len = 0;
    loop {
        match f.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => {
                len += n;
                if len < buf.len() {
                    // A regular file returns less than asked for only at its end.
                    break;
                }
                buf.resize(buf.len() * 2, 0);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(len);
    Ok(buf)
}

fn parse(path: &Path, b: &[u8]) -> Result<VolumeState, StateError> {
    serde_json::from_slice(b).map_err(|e| StateError::Corrupt {
        path: path.to_path_buf(),
        message: format!("line {} column {}", e.line(), e.column()),
    })
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
