//! Section 4: publish/unpublish latency and 1000 concurrent publishes and unpublishes against the
//! size of the mount table, without and with 2,000 unrelated mounts in the mount namespace.

use super::*;

/// `UNRELATED_MOUNTS` small tmpfs mounts under a temporary directory, standing in for a busy
/// node's overlay, projected-volume and other drivers' mounts; unmounted when dropped.
pub(crate) struct UnrelatedMounts {
    dir: tempfile::TempDir,
    points: Vec<PathBuf>,
}

impl UnrelatedMounts {
    pub(crate) fn create(n: usize) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut points = Vec::with_capacity(n);
        for i in 0..n {
            let p = dir.path().join(format!("m{i}"));
            std::fs::create_dir(&p).unwrap();
            nix::mount::mount(
                Some("bench-unrelated"),
                &p,
                Some("tmpfs"),
                nix::mount::MsFlags::MS_NODEV | nix::mount::MsFlags::MS_NOSUID,
                Some("size=64k"),
            )
            .unwrap_or_else(|e| panic!("mount {}: {e}", p.display()));
            points.push(p);
        }
        UnrelatedMounts { dir, points }
    }
}

impl Drop for UnrelatedMounts {
    fn drop(&mut self) {
        for p in self.points.iter().rev() {
            let _ = nix::mount::umount2(p, nix::mount::MntFlags::MNT_DETACH);
        }
        let _ = std::fs::remove_dir_all(self.dir.path());
    }
}

pub(crate) struct ScaleRow {
    /// Lines of /proc/self/mountinfo while measuring.
    pub(crate) mounts: usize,
    pub(crate) publish: Samples,
    pub(crate) unpublish: Samples,
    pub(crate) conc: Concurrency,
}

/// Sequential gRPC publish/unpublish pairs, then the concurrency burst, at the current mount
/// table size.
async fn measure(token: &str) -> ScaleRow {
    let mounts = mount::mount_table().unwrap().len();
    let mut d = start_inproc(memory_source(), |_| {}).await;
    let life = Duration::from_secs(3600);
    let mut publish = Samples::default();
    let mut unpublish = Samples::default();
    for i in 0..WARMUP + count(SCALE_PAIRS) {
        let vol = format!("scale-{i}");
        let target = d.target(&vol);
        let (p, u) = timed_publish_unpublish(&mut d, &vol, &target, token, life).await;
        if i >= WARMUP {
            publish.push(p);
            unpublish.push(u);
        }
    }
    stop_inproc(d).await;
    let conc = run_concurrency(token).await;
    ScaleRow {
        mounts,
        publish,
        unpublish,
        conc,
    }
}

/// The same measurements without and with `UNRELATED_MOUNTS` extra mounts.
pub(crate) async fn run_scale(token: &str) -> Vec<ScaleRow> {
    let base = measure(token).await;
    progress!(
        "{} mounts: unpublish p50 {}, {} concurrent unpublishes {:?}",
        base.mounts,
        ms(base.unpublish.p(50.0)),
        count(CONCURRENT),
        base.conc.unpublish_wall
    );
    let extra = UnrelatedMounts::create(count(UNRELATED_MOUNTS));
    let busy = measure(token).await;
    drop(extra);
    progress!(
        "{} mounts: unpublish p50 {}, {} concurrent unpublishes {:?}",
        busy.mounts,
        ms(busy.unpublish.p(50.0)),
        count(CONCURRENT),
        busy.conc.unpublish_wall
    );
    vec![base, busy]
}
