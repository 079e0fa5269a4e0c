//! Publishing a volume: the first publish (state, tmpfs, atomic write) and kubelet's periodic
//! republish, and applying a prepared render to a live volume.

use std::path::Path;

use jiff::Timestamp;
use tracing::{info, warn};

use std::sync::Arc;

use super::{
    files_fingerprint, no_token, payload_fingerprint, token_fingerprint, token_times, DirectToken,
    Driver, DriverError, LiveVolume, Prepared, VolumeInfo,
};
use crate::csi::request::PublishRequest;
use crate::refresh::next_refresh;
use crate::render::Payload;
use crate::token::Token;
use crate::volume::atomic::{self, WriteOptions};
use crate::volume::mount::{self, MountStamp, StampCheck, TmpfsOptions};

impl Driver {
    /// NodePublishVolume (first publish or kubelet's periodic republish).
    pub async fn publish(&self, req: PublishRequest) -> Result<(), DriverError> {
        let slot = self.slot(&req.volume_id);
        let mut guard = slot.live.lock().await;
        if let Some(live) = guard.as_mut() {
            if live.info.target_path != req.target_path {
                return Err(DriverError::FailedPrecondition(format!(
                    "volume {} is already published at {}; a single-node volume cannot be published at a second target {}",
                    req.volume_id,
                    live.info.target_path.display(),
                    req.target_path.display()
                )));
            }
            if live.info.capability != req.capability || live.info.readonly != req.readonly {
                return Err(DriverError::AlreadyExists(format!(
                    "volume {} is already published at {} with a different capability or readonly flag",
                    req.volume_id,
                    req.target_path.display()
                )));
            }
            if self.volume_present(&req.target_path, live.mount.as_ref())? {
                self.republish(live, &req).await;
                return Ok(());
            }
            // The mount vanished under us (host cleanup): publish afresh.
            warn!(volume_id = %req.volume_id, "published volume lost its mount; publishing again");
            *guard = None;
        }
        // The volume references its Connectors from now on: a watch-backed source starts
        // watching the ones this node does not watch yet (the read in `prepare` waits for it).
        self.source.retain(&req.volume_id, &req.spec.connectors);
        let result = self.publish_new(&req).await;
        match result {
            Ok((live, warnings)) => {
                let next = live.next_refresh;
                self.health_published(&slot, &live, false);
                self.health_warned(&live, &warnings);
                *guard = Some(live);
                drop(guard);
                self.metrics.volumes.set(self.volume_count() as i64);
                if let Some(at) = next {
                    self.scheduler.schedule(&req.volume_id, at);
                }
                self.update_token_gauge().await;
                Ok(())
            }
            Err(e) => {
                self.source.release(&req.volume_id);
                drop(guard);
                self.forget_slot(&req.volume_id, &slot);
                Err(e)
            }
        }
    }

    /// The first publish; returns the volume and the warnings for its pod (what the attributes
    /// asked for that was ignored or skipped).
    pub(super) async fn publish_new(
        &self,
        req: &PublishRequest,
    ) -> Result<(LiveVolume, Vec<String>), DriverError> {
        let prepared = self
            .prepare(&req.spec, req.kubelet_tokens.as_deref(), None, None)
            .await?;
        let mut warnings = req.spec.warnings.clone();
        warnings.extend(prepared.warnings);
        let mut live = LiveVolume {
            info: Arc::new(VolumeInfo::new(
                &self.state,
                req.volume_id.clone(),
                req.target_path.clone(),
                req.readonly,
                req.capability.clone(),
                req.spec.clone(),
            )),
            next_refresh: Some(self.next_refresh_for(&prepared.token, prepared.direct.as_ref())),
            token: token_times(&prepared.token),
            token_fp: token_fingerprint(&prepared.token),
            token_origin: prepared.origin,
            files: files_fingerprint(prepared.payload.files.keys().map(String::as_str)),
            payload: payload_fingerprint(&prepared.payload),
            rendered_at: Some(Timestamp::now()),
            direct: prepared.direct.map(Box::new),
            deps: prepared.deps.shrink(),
            stale: false,
            mount: None,
        };
        // The state is saved once, complete, before anything is created on the node: a crash
        // at any later point is found by restart recovery, which re-adopts the volume if its
        // tmpfs is mounted (and re-renders it) or removes the state and the target directory.
        self.save_state(&live, &prepared.payload, &prepared.token)?;
        live.mount = match self.mount_and_write(req, &prepared.payload) {
            Ok(stamp) => stamp,
            Err(e) => {
                self.teardown(&req.volume_id, &req.target_path);
                return Err(e);
            }
        };
        info!(volume_id = %req.volume_id, pod = %format!("{}/{}", req.spec.pod.namespace, req.spec.pod.name),
              files = prepared.payload.files.len(), token_origin = prepared.origin, "volume published");
        Ok((live, warnings))
    }

    /// Writes the volume's state file from the live volume and the payload just rendered (its
    /// file names).
    fn save_state(
        &self,
        live: &LiveVolume,
        payload: &Payload,
        token: &Token,
    ) -> Result<(), DriverError> {
        let capability = live.info.capability.canonical();
        let files = payload.files.keys().map(String::as_str).collect();
        self.state.save_ref_at(
            &live.info.state_path,
            &live.state_ref(files, &capability, token),
        )?;
        Ok(())
    }

    /// The volume's current pod token, value included, read back from its state file (a live
    /// volume keeps only the token's times). A state without a token (an older state file) or
    /// no state file gives an empty token that expired at the epoch, as a volume adopted without
    /// a token always had: never reused, so the caller obtains a new one (kubelet's, or minted).
    /// It is still a current token: the volume is treated as mounted, not as a new mount.
    pub(super) fn current_token(&self, live: &LiveVolume) -> Result<Token, DriverError> {
        let stored = if live.has_token() {
            self.state.load_token_at(&live.info.state_path)?
        } else {
            None
        };
        Ok(stored.unwrap_or_else(no_token))
    }

    /// Is the volume's content still in place at `target`? With the mount stamp taken at publish
    /// (or at recovery) this is one statx(2); without one (a kernel without mount ids) or when
    /// the stamp does not match, the mount table decides.
    pub(super) fn volume_present(
        &self,
        target: &Path,
        stamp: Option<&MountStamp>,
    ) -> Result<bool, DriverError> {
        if !self.cfg.mount {
            return Ok(target.join(atomic::DATA_DIR).symlink_metadata().is_ok());
        }
        match stamp.map(|s| mount::check_stamp(target, s)) {
            Some(StampCheck::Ours) => Ok(true),
            Some(StampCheck::NotMounted) => Ok(false),
            Some(StampCheck::Unknown) | None => Ok(mount::is_our_mount(target)?),
        }
    }

    /// Creates the target, mounts the volume's tmpfs (unless ours is already there) and writes
    /// the payload. Returns the stamp of the tmpfs (`None` without mounts or mount ids).
    pub(super) fn mount_and_write(
        &self,
        req: &PublishRequest,
        payload: &Payload,
    ) -> Result<Option<MountStamp>, DriverError> {
        let target = &req.target_path;
        if target.symlink_metadata().is_ok_and(|m| !m.is_dir()) {
            return Err(DriverError::FailedPrecondition(format!(
                "target_path {} exists and is not a directory; kubelet passes a directory path for inline volumes",
                target.display()
            )));
        }
        std::fs::create_dir_all(target).map_err(|e| {
            DriverError::Internal(format!("create target directory {}: {e}", target.display()))
        })?;
        if self.cfg.mount && !mount::is_our_mount(target)? {
            if mount::is_mount_point(target)? {
                return Err(DriverError::FailedPrecondition(format!(
                    "{} already has a mount that connectors-csi did not create; refusing to mount over it",
                    target.display()
                )));
            }
            mount::mount_tmpfs(
                target,
                TmpfsOptions {
                    size_bytes: self.cfg.tmpfs_size_bytes,
                    mode: super::volume_root_mode(req.spec.file_mode),
                    gid: req.capability.volume_mount_group,
                },
            )?;
        }
        self.write(
            &req.volume_id,
            target,
            payload,
            req.spec.file_mode,
            req.capability.volume_mount_group,
            false,
        )?;
        Ok(if self.cfg.mount {
            mount::mount_stamp(target)
        } else {
            None
        })
    }

    pub(super) fn write(
        &self,
        volume_id: &str,
        target: &Path,
        payload: &Payload,
        mode: u32,
        gid: Option<u32>,
        known_changed: bool,
    ) -> Result<bool, DriverError> {
        let dir_mode = if mode & 0o004 != 0 {
            0o555
        } else if mode & 0o040 != 0 {
            0o550
        } else {
            0o500
        };
        atomic::write_files(
            target,
            &payload.files,
            mode,
            WriteOptions {
                gid,
                dir_mode,
                known_changed,
            },
        )
        .map(|o| o.swapped)
        .map_err(|source| DriverError::Write {
            volume: volume_id.to_string(),
            source,
        })
    }

    /// Removes everything a failed publish created: the mount, the target dir, the state.
    pub(super) fn teardown(&self, volume_id: &str, target: &Path) {
        if !self.cfg.mount {
            let _ = std::fs::remove_dir_all(target);
        } else {
            if let Err(e) = mount::unmount_ours(target) {
                warn!(volume_id, error = %e, "cleanup: unmount failed");
            }
            if !mount::is_mount_point(target).unwrap_or(true) {
                let _ = std::fs::remove_dir(target);
            }
        }
        if let Err(e) = self.state.remove(volume_id) {
            warn!(volume_id, error = %e, "cleanup: removing state failed");
        }
    }

    /// Kubelet's periodic republish: take the new token, re-render, keep the last good files on
    /// any failure. Never fails (kubernetes#121271).
    pub(super) async fn republish(&self, live: &mut LiveVolume, req: &PublishRequest) {
        let result = async {
            let current = self.current_token(live)?;
            let prepared = self
                .prepare(
                    live.spec(),
                    req.kubelet_tokens.as_deref(),
                    Some(&current),
                    live.direct.as_deref(),
                )
                .await?;
            self.apply(live, prepared).map(|_| ())
        }
        .await;
        match result {
            // Kubelet republishes about once a minute: this is where a revoked access shows.
            Err(DriverError::Source(
                e @ (crate::connector::SourceError::NotFound { .. }
                | crate::connector::SourceError::PermissionDenied(_)),
            )) => {
                self.metrics.republish_failures_total.inc();
                if !live.stale {
                    self.mark_stale(live, &e);
                }
            }
            Err(e) => {
                self.metrics.republish_failures_total.inc();
                warn!(volume_id = %req.volume_id, error = %e, "republish could not refresh the volume; keeping the last good files");
            }
            Ok(()) => {}
        }
    }

    /// The earlier refresh point of the pod token and the direct-mode token.
    pub(super) fn next_refresh_for(
        &self,
        token: &Token,
        direct: Option<&DirectToken>,
    ) -> Timestamp {
        let pod = next_refresh(token, self.cfg.refresh_jitter);
        match direct {
            Some(d) => pod.min(next_refresh(&d.token, self.cfg.refresh_jitter)),
            None => pod,
        }
    }

    /// Writes a prepared render into a live volume and updates its state. Returns whether new
    /// bytes were swapped in (false when the payload was unchanged).
    pub(super) fn apply(
        &self,
        live: &mut LiveVolume,
        prepared: Prepared,
    ) -> Result<bool, DriverError> {
        let info = &*live.info;
        // A payload whose fingerprint differs from the last one written is new: swap without
        // reading the old files back. Equal (or unknown after a restart): compare with the disk.
        let fingerprint = payload_fingerprint(&prepared.payload);
        let swapped = self.write(
            &info.volume_id,
            &info.target_path,
            &prepared.payload,
            info.spec.file_mode,
            info.capability.volume_mount_group,
            live.payload != 0 && live.payload != fingerprint,
        )?;
        live.payload = fingerprint;
        // Only what restart recovery needs forces a save: the token (a restarted driver renders
        // with it) and the origin and file list. A connector change that only re-renders the
        // same files with the same token (rotation of a shared connector: every volume at once)
        // skips the state file write; the timestamps below are then as of the last save.
        // "current" means the held token was reused: it keeps the origin it came with.
        let origin = match prepared.origin {
            "current" => live.token_origin,
            o => o,
        };
        let files = files_fingerprint(prepared.payload.files.keys().map(String::as_str));
        let token_fp = token_fingerprint(&prepared.token);
        let must_save = live.token_fp != token_fp
            || live.token != token_times(&prepared.token)
            || live.token_origin != origin
            || live.files != files;
        live.token = token_times(&prepared.token);
        live.token_fp = token_fp;
        live.direct = prepared.direct.map(Box::new);
        if live.deps != prepared.deps {
            live.deps = prepared.deps.shrink();
        }
        live.stale = false;
        live.token_origin = origin;
        live.files = files;
        if swapped {
            live.rendered_at = Some(Timestamp::now());
        }
        live.next_refresh = Some(self.next_refresh_for(&live.token, live.direct.as_deref()));
        if must_save {
            self.save_state(live, &prepared.payload, &prepared.token)?;
        }
        if let Some(at) = live.next_refresh {
            self.scheduler.schedule(live.volume_id(), at);
        }
        self.health_refreshed(live, swapped);
        Ok(swapped)
    }
}
