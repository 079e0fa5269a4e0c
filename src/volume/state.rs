//! Per-volume state kept in the driver's state directory so that a restarted driver finds every
//! volume it owns. Files are root-only (0600 in a 0700 directory) because they hold the last
//! token, which is needed to re-render a volume on connector changes after a restart.

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

/// Errors of the state store.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("state directory {path}: {source} (it must be writable by the driver, e.g. a hostPath at /var/lib/connectors-csi)")]
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

    /// Writes the state atomically (temp file + rename), mode 0600.
    ///
    /// Not fsynced, on purpose: the state only has to outlive the driver process (a crash or
    /// restart keeps the page cache). What outlives a node crash is useless: the volume's tmpfs
    /// is gone after a reboot, so recovery drops the state of every volume (and removes
    /// unreadable files), and kubelet publishes afresh. An fsync cost 1–20 ms per save on the
    /// bench machine, twice per publish and once per refresh.
    pub fn save(&self, state: &VolumeState) -> Result<(), StateError> {
        let path = self.path_for(&state.volume_id);
        let tmp = path.with_extension("json.tmp");
        let io = |source| StateError::Io {
            path: tmp.clone(),
            source,
        };
        let bytes = serde_json::to_vec(state).expect("state serialises");
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(io)?;
        f.write_all(&bytes).map_err(io)?;
        fs::rename(&tmp, &path).map_err(|source| StateError::Io {
            path: path.clone(),
            source,
        })
    }

    pub fn load(&self, volume_id: &str) -> Result<Option<VolumeState>, StateError> {
        let path = self.path_for(volume_id);
        match fs::read(&path) {
            Ok(b) => parse(&path, &b).map(Some),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(StateError::Io { path, source }),
        }
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

    pub fn remove_path(&self, path: &Path) {
        let _ = fs::remove_file(path);
    }
}

fn parse(path: &Path, b: &[u8]) -> Result<VolumeState, StateError> {
    serde_json::from_slice(b).map_err(|e| StateError::Corrupt {
        path: path.to_path_buf(),
        message: format!("line {} column {}", e.line(), e.column()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    fn state(id: &str) -> VolumeState {
        VolumeState {
            volume_id: id.into(),
            target_path: "/t".into(),
            readonly: true,
            capability: "mount".into(),
            volume_mount_group: None,
            attributes: BTreeMap::new(),
            pod: PodInfo::default(),
            file_mode: 0o440,
            files: vec![],
            token: Some(StoredToken {
                value: "tok-secret".into(),
                issued_at: jiff::Timestamp::UNIX_EPOCH,
                expires_at: jiff::Timestamp::UNIX_EPOCH,
            }),
            token_origin: "kubelet".into(),
            rendered_at: None,
            next_refresh: None,
        }
    }

    #[test]
    fn save_load_list_remove_with_private_modes() {
        let t = tempfile::tempdir().unwrap();
        let s = StateStore::open(t.path()).unwrap();
        s.save(&state("vol-1")).unwrap();
        s.save(&state("vol-2")).unwrap();
        let p = s.path_for("vol-1");
        assert_eq!(fs::metadata(&p).unwrap().mode() & 0o777, 0o600);
        assert_eq!(
            fs::metadata(t.path().join("volumes")).unwrap().mode() & 0o777,
            0o700
        );
        assert_eq!(s.load("vol-1").unwrap().unwrap(), state("vol-1"));
        fs::write(t.path().join("volumes/bad.json"), "{").unwrap();
        let all = s.list().unwrap();
        assert_eq!(all.iter().filter(|r| r.is_ok()).count(), 2);
        assert_eq!(all.iter().filter(|r| r.is_err()).count(), 1);
        s.remove("vol-1").unwrap();
        s.remove("vol-1").unwrap();
        assert!(s.load("vol-1").unwrap().is_none());
        assert!(!format!("{:?}", state("x")).contains("tok-secret"));
    }
}
