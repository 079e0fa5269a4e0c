//! Restart recovery: re-adopt volumes whose tmpfs survived, clean up the rest and unmount
//! orphaned tmpfs of ours.

use std::collections::BTreeSet;

use tracing::{info, warn};

use std::sync::Arc;

use super::{
    files_fingerprint, no_token, token_fingerprint, token_origin, token_times, Deps, Driver,
    DriverError, LiveVolume, VolumeInfo,
};
use crate::csi::request::MountCapability;
use crate::token::Token;
use crate::volume::mount;
use crate::volume::state::VolumeState;

impl Driver {
    /// Restart recovery: move the state of an older state dir in (`legacy_state_dir`), re-adopt
    /// every volume in the state dir whose tmpfs is still mounted, clean up the rest, and unmount
    /// tmpfs of ours under the kubelet dir that no state knows.
    pub async fn recover(&self) -> Result<RecoveryReport, DriverError> {
        let mut report = RecoveryReport::default();
        // Upgrade from a release that kept the state on disk: bring it here first, and let the
        // checks below decide which volumes are still mounted (after a reboot: none).
        if let Some(old) = &self.cfg.legacy_state_dir {
            let m = self.state.migrate_from(old)?;
            if m.moved + m.superseded > 0 {
                info!(from = %old.display(), to = %self.cfg.state_dir.display(),
                      moved = m.moved, superseded = m.superseded,
                      "moved per-volume state from the old state directory");
            }
            report.migrated = m.moved;
        }
        let mut known_targets = BTreeSet::new();
        // One read of the mount table serves every state and the orphan sweep below.
        let table = if self.cfg.mount {
            mount::mount_table()?
        } else {
            Vec::new()
        };
        let ours_in_table =
            |target: &std::path::Path| table.iter().any(|m| m.mount_point == target && m.is_ours());
        for entry in self.state.list()? {
            let st = match entry {
                Ok(s) => s,
                Err((path, e)) => {
                    warn!(path = %path.display(), error = %e, "removing unreadable state file");
                    self.state.remove_path(&path);
                    report.removed += 1;
                    continue;
                }
            };
            let present = if self.cfg.mount {
                ours_in_table(&st.target_path)
            } else {
                self.volume_present(&st.target_path, None)?
            };
            if !present {
                let _ = std::fs::remove_dir(&st.target_path);
                self.state.remove(&st.volume_id)?;
                report.removed += 1;
                continue;
            }
            known_targets.insert(st.target_path.clone());
            let ctx: std::collections::HashMap<String, String> =
                st.attributes.clone().into_iter().collect();
            let spec = match crate::csi::request::parse_attributes(&ctx, st.file_mode) {
                Ok(mut s) => {
                    s.file_mode = st.file_mode;
                    s
                }
                Err(e) => {
                    warn!(volume_id = %st.volume_id, error = %e, "state has invalid attributes; unmounting");
                    self.teardown(&st.volume_id, &st.target_path);
                    report.removed += 1;
                    continue;
                }
            };
            let token = st.token.as_ref().map(Token::from).unwrap_or_else(no_token);
            let capability = parse_capability(&st);
            let id = st.volume_id.clone();
            // Classes and secrets are learned by the first refresh; connectors are known now.
            let mut deps = Deps::default();
            for k in &spec.connectors {
                deps.add_connector(k.clone());
            }
            // Keep the volume's Connectors watched (the refresh below reads them).
            self.source.retain(&id, &spec.connectors);
            let mount = if self.cfg.mount {
                // Taken now, so that unpublish needs no mount-table read after a restart either.
                mount::mount_stamp(&st.target_path)
            } else {
                None
            };
            let mut spec = spec;
            spec.attributes = st.attributes;
            let live = LiveVolume {
                info: Arc::new(VolumeInfo::new(
                    &self.state,
                    st.volume_id,
                    st.target_path,
                    st.readonly,
                    capability,
                    spec,
                )),
                token_fp: token_fingerprint(&token),
                token: token_times(&token),
                token_origin: token_origin(&st.token_origin),
                files: files_fingerprint(st.files.iter().map(String::as_str)),
                payload: 0,
                rendered_at: st.rendered_at,
                next_refresh: st.next_refresh,
                direct: None,
                deps: deps.shrink(),
                stale: false,
                mount,
            };
            let slot = self.slot(&id);
            self.health_published(&slot, &live, true);
            *slot.live.lock().await = Some(live);
            // Re-render now: repairs an interrupted first write and picks up changes made while down.
            self.scheduler.trigger(&id);
            report.adopted += 1;
        }
        // Orphaned tmpfs of ours (state lost) under the kubelet dir.
        for m in &table {
            if m.is_ours()
                && m.mount_point.starts_with(&self.cfg.kubelet_dir)
                && !known_targets.contains(&m.mount_point)
            {
                warn!(target = %m.mount_point.display(), "unmounting an orphaned connectors-csi tmpfs with no state");
                mount::unmount_ours(&m.mount_point)?;
                let _ = std::fs::remove_dir(&m.mount_point);
                report.orphans_unmounted += 1;
            }
        }
        self.metrics.volumes.set(self.volume_count() as i64);
        info!(
            adopted = report.adopted,
            removed = report.removed,
            migrated = report.migrated,
            orphans = report.orphans_unmounted,
            "restart recovery done"
        );
        Ok(report)
    }
}

/// What [`Driver::recover`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RecoveryReport {
    pub adopted: usize,
    /// State files moved from `legacy_state_dir` (adopted or removed like the others).
    pub migrated: usize,
    pub removed: usize,
    pub orphans_unmounted: usize,
}

fn parse_capability(st: &VolumeState) -> MountCapability {
    // canonical(): "mount;fs=<fs>;flags=<a,b>;mode=<n>"
    let mut fs_type = String::new();
    let mut flags = Vec::new();
    let mut mode = 0;
    for part in st.capability.split(';') {
        if let Some(v) = part.strip_prefix("fs=") {
            fs_type = v.to_string();
        } else if let Some(v) = part.strip_prefix("flags=") {
            flags = v
                .split(',')
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
        } else if let Some(v) = part.strip_prefix("mode=") {
            mode = v.parse().unwrap_or(0);
        }
    }
    MountCapability {
        fs_type,
        mount_flags: flags,
        volume_mount_group: st.volume_mount_group,
        access_mode: mode,
    }
}
