//! Section 4, rotation latency: from a source change to new bytes in every volume, for the
//! directory source and the Kubernetes source (fake API server).

use super::*;

// ---------------------------------------------------------------------------------------------
// 4. Rotation latency.

pub(crate) struct Rotation {
    pub(crate) last: Samples,
    pub(crate) per_volume: Samples,
    /// Volumes that did not show a change within the poll timeout (10 s).
    pub(crate) timeouts: usize,
    pub(crate) changes_with_timeouts: usize,
    pub(crate) refreshes: u64,
}

/// Polls every volume's kubeconfig until it contains `marker`; returns the time from `t0` at
/// which each volume first showed it (None: not within `timeout`).
pub(crate) fn poll_until_seen(
    t0: Instant,
    files: &[PathBuf],
    marker: &str,
    timeout: Duration,
) -> Vec<Option<Duration>> {
    let mut seen: Vec<Option<Duration>> = vec![None; files.len()];
    let mut left = files.len();
    let mut buf = Vec::with_capacity(8192);
    while left > 0 && t0.elapsed() < timeout {
        for (i, f) in files.iter().enumerate() {
            if seen[i].is_some() {
                continue;
            }
            buf.clear();
            if let Ok(mut file) = std::fs::File::open(f) {
                if file.read_to_end(&mut buf).is_ok()
                    && buf.windows(marker.len()).any(|w| w == marker.as_bytes())
                {
                    seen[i] = Some(t0.elapsed());
                    left -= 1;
                }
            }
        }
        std::thread::sleep(Duration::from_micros(250));
    }
    seen
}

pub(crate) async fn measure_rotation(
    d: &TestDriver,
    tag: &str,
    mut change: impl FnMut(&str),
) -> Rotation {
    let token = jwt("rot", now_s(), now_s() + 3600);
    let life = Duration::from_secs(3600);
    let mut files = Vec::new();
    let mut vols = Vec::new();
    for i in 0..count(ROTATION_VOLUMES) {
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
    let files = Arc::new(files);
    let refreshes_before = refreshes(&d.driver);
    let mut r = Rotation {
        last: Samples::default(),
        per_volume: Samples::default(),
        timeouts: 0,
        changes_with_timeouts: 0,
        refreshes: 0,
    };
    for k in 0..count(ROTATION_CHANGES) {
        let marker = format!("https://api-{tag}-{k}.example.com:6443");
        let files = files.clone();
        let m = marker.clone();
        let t0 = Instant::now();
        change(&marker);
        let seen = tokio::task::spawn_blocking(move || {
            poll_until_seen(t0, &files, &m, Duration::from_secs(10))
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
            // Not seen within the poll timeout: counts as the timeout in the "last" series.
            progress!("rotation {tag} change {k}: {missed} volumes never showed the new bytes");
            r.timeouts += missed;
            r.changes_with_timeouts += 1;
            last = Duration::from_secs(10);
        }
        r.last.push(last);
        // Let the trailing state saves finish before the next change.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    r.refreshes = refreshes(&d.driver) - refreshes_before;
    for (v, t) in &vols {
        d.node
            .clone()
            .node_unpublish_volume(unpublish_request(v, t))
            .await
            .unwrap();
    }
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
    let source = KubeSource::start(server.client().await, KubeSourceOptions::default()).await;
    let t0 = Instant::now();
    while !source.is_synced() {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "KubeSource did not sync"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    source
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
