//! Section 5, rotation latency: from a source change to new bytes in every volume, for the
//! directory source and the Kubernetes source (fake API server).

use std::collections::HashMap;

use super::*;

// ---------------------------------------------------------------------------------------------
// 5. Rotation latency.

pub(crate) struct Rotation {
    pub(crate) last: Samples,
    pub(crate) per_volume: Samples,
    /// Volumes that did not show a change within the timeout (10 s).
    pub(crate) timeouts: usize,
    pub(crate) changes_with_timeouts: usize,
    pub(crate) refreshes: u64,
    /// CPU time of the bench process (driver + observer) per change, from the change until
    /// every volume's refresh (state save included) finished.
    pub(crate) cpu_per_change: Samples,
}

/// Watches the `..data` swaps of many volumes with inotify: a swap is the moment new bytes
/// become visible, so waiting for it costs no CPU (polling 1000 files would take a core).
pub(crate) struct SwapWatcher {
    inotify: inotify::Inotify,
    volume_of: HashMap<inotify::WatchDescriptor, usize>,
    buf: Vec<u8>,
}

impl SwapWatcher {
    pub(crate) fn new(dirs: &[PathBuf]) -> Self {
        let inotify = inotify::Inotify::init().expect("inotify");
        let mut volume_of = HashMap::new();
        for (i, d) in dirs.iter().enumerate() {
            let wd = inotify
                .watches()
                .add(d, inotify::WatchMask::MOVED_TO)
                .expect("inotify watch");
            volume_of.insert(wd, i);
        }
        SwapWatcher {
            inotify,
            volume_of,
            buf: vec![0; 64 * 1024],
        }
    }

    /// Drops queued events (swaps of an earlier change).
    pub(crate) fn drain(&mut self) {
        while let Ok(evs) = self.inotify.read_events(&mut self.buf) {
            if evs.count() == 0 {
                break;
            }
        }
    }

    /// The time from `t0` at which each volume's `file` first contained `marker` (None: not
    /// within `timeout`). Checks a volume's file on each `..data` swap, and every unseen file
    /// every 100 ms in case an event was missed.
    pub(crate) fn wait_until_seen(
        &mut self,
        t0: Instant,
        files: &[PathBuf],
        marker: &str,
        timeout: Duration,
    ) -> Vec<Option<Duration>> {
        let mut seen: Vec<Option<Duration>> = vec![None; files.len()];
        let mut left = files.len();
        let mut content = Vec::with_capacity(8192);
        let mut check = |i: usize, seen: &mut Vec<Option<Duration>>, left: &mut usize| {
            if seen[i].is_some() {
                return;
            }
            content.clear();
            if let Ok(mut f) = std::fs::File::open(&files[i]) {
                if f.read_to_end(&mut content).is_ok()
                    && content
                        .windows(marker.len())
                        .any(|w| w == marker.as_bytes())
                {
                    seen[i] = Some(t0.elapsed());
                    *left -= 1;
                }
            }
        };
        // Volumes refreshed before the watcher started reading.
        for i in 0..files.len() {
            check(i, &mut seen, &mut left);
        }
        let mut last_scan = Instant::now();
        while left > 0 && t0.elapsed() < timeout {
            let mut hits = Vec::new();
            match self.inotify.read_events(&mut self.buf) {
                Ok(evs) => {
                    for ev in evs {
                        if ev.name.is_some_and(|n| n == atomic::DATA_DIR) {
                            if let Some(&i) = self.volume_of.get(&ev.wd) {
                                hits.push(i);
                            }
                        }
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_micros(100));
                }
                Err(e) => panic!("inotify read: {e}"),
            }
            for i in hits {
                check(i, &mut seen, &mut left);
            }
            if last_scan.elapsed() > Duration::from_millis(100) {
                for i in 0..files.len() {
                    check(i, &mut seen, &mut left);
                }
                last_scan = Instant::now();
            }
        }
        seen
    }
}

/// CPU time (user + system) of this process.
pub(crate) fn self_cpu() -> Duration {
    proc_cpu(std::process::id())
}

pub(crate) async fn measure_rotation(
    d: &TestDriver,
    tag: &str,
    mut change: impl FnMut(&str),
) -> Rotation {
    let token = jwt("rot", now_s(), now_s() + 3600);
    let life = Duration::from_secs(3600);
    let n = count(ROTATION_VOLUMES);
    let mut files = Vec::new();
    let mut vols = Vec::new();
    for i in 0..n {
        let v = format!("rot-{tag}-{i}");
        let t = d.target(&v);
        d.node
            .clone()
            .node_publish_volume(publish_request(&v, &t, Some((&token, life))))
            .await
            .unwrap();
        files.push(t.join("kubeconfig"));
        vols.push((v, t));
    }
    let dirs: Vec<PathBuf> = vols.iter().map(|(_, t)| t.clone()).collect();
    let watcher = Arc::new(std::sync::Mutex::new(SwapWatcher::new(&dirs)));
    let files = Arc::new(files);
    let refreshes_before = refreshes(&d.driver);
    let mut r = Rotation {
        last: Samples::default(),
        per_volume: Samples::default(),
        timeouts: 0,
        changes_with_timeouts: 0,
        refreshes: 0,
        cpu_per_change: Samples::default(),
    };
    for k in 0..count(ROTATION_CHANGES) {
        let marker = format!("https://api-{tag}-{k}.example.com:6443");
        let files = files.clone();
        let m = marker.clone();
        watcher.lock().unwrap().drain();
        let refreshes_at_start = refreshes(&d.driver);
        let cpu0 = self_cpu();
        let t0 = Instant::now();
        change(&marker);
        let w = watcher.clone();
        let seen = tokio::task::spawn_blocking(move || {
            w.lock()
                .unwrap()
                .wait_until_seen(t0, &files, &m, Duration::from_secs(10))
        })
        .await
        .unwrap();
        let mut last = Duration::ZERO;
        let mut missed = 0;
        for s in seen {
            match s {
                Some(el) => {
                    r.per_volume.push(el);
                    last = last.max(el);
                }
                None => missed += 1,
            }
        }
        if missed > 0 {
            // Not seen within the timeout: counts as the timeout in the "last" series.
            progress!("rotation {tag} change {k}: {missed} volumes never showed the new bytes");
            r.timeouts += missed;
            r.changes_with_timeouts += 1;
            last = Duration::from_secs(10);
        }
        r.last.push(last);
        // Let every refresh of this change finish (its state save comes after the swap).
        let settle = Instant::now();
        while refreshes(&d.driver) < refreshes_at_start + n as u64
            && settle.elapsed() < Duration::from_secs(10)
        {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        r.cpu_per_change.push(self_cpu() - cpu0);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    r.refreshes = refreshes(&d.driver) - refreshes_before;
    drop(watcher);
    unpublish_all(&d.node, &vols).await;
    r
}

pub(crate) fn write_atomically(path: &Path, content: &str) {
    let tmp = path.with_file_name(format!(
        ".{}.tmp",
        path.file_name().unwrap().to_string_lossy()
    ));
    std::fs::write(&tmp, content).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

pub(crate) fn objects_yaml(address: &str) -> String {
    format!(
        "{}---\n{}",
        serde_yaml::to_string(&class_value()).unwrap(),
        serde_yaml::to_string(&bench_connector(address)).unwrap()
    )
}

pub(crate) async fn run_rotation_dir() -> Rotation {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("connectors.yaml");
    write_atomically(&file, &objects_yaml(ADDRESS));
    let source = DirSource::open(dir.path().to_path_buf(), None)
        .await
        .unwrap();
    let d = start_inproc(source, |_| {}).await;
    let r = measure_rotation(&d, "dir", |addr| {
        write_atomically(&file, &objects_yaml(addr))
    })
    .await;
    stop_inproc(d).await;
    r
}

pub(crate) async fn start_kube_source(server: &FakeApiServer) -> Arc<KubeSource> {
    synced_kube_source(server.client().await, KubeSourceOptions::default()).await
}

pub(crate) async fn run_rotation_kube() -> Rotation {
    let server = FakeApiServer::start().await;
    server.apply(class_value());
    server.apply(bench_connector(ADDRESS));
    let source = start_kube_source(&server).await;
    let d = start_inproc(source, |_| {}).await;
    let r = measure_rotation(&d, "kube", |addr| {
        server.apply(bench_connector(addr));
    })
    .await;
    stop_inproc(d).await;
    r
}
