//! Section 4: 1000 concurrent publishes, then 1000 concurrent unpublishes.

use super::*;

// ---------------------------------------------------------------------------------------------
// 4. Concurrency.

pub(crate) struct Concurrency {
    pub(crate) publish_wall: Duration,
    pub(crate) publish: Samples,
    pub(crate) publish_failures: usize,
    pub(crate) unpublish_wall: Duration,
    pub(crate) unpublish: Samples,
    pub(crate) unpublish_failures: usize,
    pub(crate) mounted_after_publish: usize,
}

pub(crate) async fn run_concurrency(token: &str) -> Concurrency {
    let d = start_inproc(memory_source(), |_| {}).await;
    let life = Duration::from_secs(3600);
    let vols: Vec<(String, PathBuf)> = (0..count(CONCURRENT))
        .map(|i| {
            let v = format!("conc-{i}");
            let t = d.target(&v);
            (v, t)
        })
        .collect();
    let reqs: Vec<_> = vols
        .iter()
        .map(|(v, t)| publish_request(v, t, Some((token, life))))
        .collect();
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for req in reqs {
        let mut node = d.node.clone();
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            let r = node.node_publish_volume(req).await;
            (t.elapsed(), r.is_ok())
        }));
    }
    let mut publish = Samples::default();
    let mut publish_failures = 0;
    for t in tasks {
        let (el, ok) = t.await.unwrap();
        publish.push(el);
        publish_failures += usize::from(!ok);
    }
    let publish_wall = t0.elapsed();
    let mounted_after_publish = mount::mount_table()
        .unwrap()
        .iter()
        .filter(|m| m.source == mount::MOUNT_SOURCE && m.mount_point.starts_with(d.root.path()))
        .count();
    progress!(
        "{} concurrent publishes: {:?}, {} mounted",
        count(CONCURRENT),
        publish_wall,
        mounted_after_publish
    );

    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for (v, t) in &vols {
        let mut node = d.node.clone();
        let req = unpublish_request(v, t);
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            let r = node.node_unpublish_volume(req).await;
            (t.elapsed(), r.is_ok())
        }));
    }
    let mut unpublish = Samples::default();
    let mut unpublish_failures = 0;
    for t in tasks {
        let (el, ok) = t.await.unwrap();
        unpublish.push(el);
        unpublish_failures += usize::from(!ok);
    }
    let unpublish_wall = t0.elapsed();
    assert_eq!(d.driver.volume_count(), 0);
    stop_inproc(d).await;
    Concurrency {
        publish_wall,
        publish,
        publish_failures,
        unpublish_wall,
        unpublish,
        unpublish_failures,
        mounted_after_publish,
    }
}
