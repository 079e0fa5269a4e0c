//! Unpublishing a volume: unmount, remove the target directory and the state, forget the slot.

use std::path::Path;

use tracing::{info, warn};

use super::{Driver, DriverError};
use crate::volume::mount;

impl Driver {
    /// NodeUnpublishVolume: unmount (lazy if busy), remove the target dir and the state.
    /// Unknown volumes and missing targets are OK (kubelet retries NOT_FOUND forever).
    pub async fn unpublish(&self, volume_id: &str, target: &Path) -> Result<(), DriverError> {
        let slot = self.slot(volume_id);
        let mut guard = slot.live.lock().await;
        let known_target = guard
            .as_ref()
            .map(|l| l.info.target_path.clone())
            .or_else(|| {
                self.state
                    .load(volume_id)
                    .ok()
                    .flatten()
                    .map(|s| s.target_path)
            });
        let stamp = guard.as_ref().and_then(|l| l.mount);
        if let Some(t) = &known_target {
            if t != target {
                // Not the target this volume is published at: leave the real one alone.
                warn!(volume_id, requested = %target.display(), published = %t.display(), "unpublish for a different target; nothing to do");
                return Ok(());
            }
        }
        self.scheduler.cancel(volume_id);
        if !self.cfg.mount && known_target.is_some() {
            let _ = std::fs::remove_dir_all(target);
        }
        // With the stamp taken at publish: statx + umount + statx, no mount-table read.
        match &stamp {
            Some(stamp) if self.cfg.mount => mount::unmount_stamped(target, stamp)?,
            _ => mount::unmount_ours(target)?,
        };
        match std::fs::remove_dir(target) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                if mount::is_mount_point(target)? {
                    return Err(DriverError::FailedPrecondition(format!(
                        "{} is still a mount point that connectors-csi did not create; not removing it",
                        target.display()
                    )));
                }
                // Left-over files of an unmounted volume (not ours to keep): remove the directory.
                if known_target.is_some() {
                    std::fs::remove_dir_all(target).map_err(|e2| {
                        DriverError::Internal(format!("remove {}: {e} / {e2}", target.display()))
                    })?;
                }
            }
        }
        self.state.remove(volume_id)?;
        self.source.release(volume_id);
        let was_live = guard.take().is_some();
        drop(guard);
        self.forget_slot(volume_id, &slot);
        if was_live {
            info!(volume_id, "volume unpublished");
        }
        Ok(())
    }
}
