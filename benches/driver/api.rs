//! Section 7: API requests per publish and per refresh (fake API server counters).

use super::*;

// ---------------------------------------------------------------------------------------------
// 7. API requests.

pub(crate) struct ApiRow {
    pub(crate) what: String,
    pub(crate) n: usize,
    pub(crate) counts: test_support::RequestCounts,
}

pub(crate) async fn publish_n(
    d: &TestDriver,
    vols: &mut Vec<(String, PathBuf)>,
    prefix: &str,
    n: usize,
    token: Option<(&str, Duration)>,
) {
    for i in 0..n {
        let v = format!("{prefix}-{i}");
        let t = d.target(&v);
        d.node
            .clone()
            .node_publish_volume(publish_request(&v, &t, token))
            .await
            .unwrap();
        vols.push((v, t));
    }
}

/// Unpublishes every volume in `vols` over `node` (the bench's volumes, in order).
pub(crate) async fn unpublish_all(
    node: &NodeClient<tonic::transport::Channel>,
    vols: &[(String, PathBuf)],
) {
    for (v, t) in vols {
        node.clone()
            .node_unpublish_volume(unpublish_request(v, t))
            .await
            .unwrap();
    }
}

pub(crate) async fn run_api() -> Vec<ApiRow> {
    let server = FakeApiServer::start().await;
    server.apply(class_value());
    server.apply(bench_connector(ADDRESS));
    let source = start_kube_source(&server).await;
    let d = start_inproc(source, |c| c.refresh_jitter = Duration::ZERO).await;
    let mut rows = Vec::new();
    let mut vols = Vec::new();
    let life = Duration::from_secs(3600);
    let token = jwt("api", now_s(), now_s() + 3600);

    server.reset_counts();
    publish_n(&d, &mut vols, "api-cold", 1, Some((&token, life))).await;
    rows.push(ApiRow {
        what: "first publish (cold SubjectAccessReview cache), kubelet token".into(),
        n: 1,
        counts: server.counts(),
    });
    server.reset_counts();
    publish_n(
        &d,
        &mut vols,
        "api-warm",
        count(API_WARM_PUBLISHES),
        Some((&token, life)),
    )
    .await;
    rows.push(ApiRow {
        what: "warm publish, kubelet token".into(),
        n: count(API_WARM_PUBLISHES),
        counts: server.counts(),
    });
    server.reset_counts();
    publish_n(&d, &mut vols, "api-mint", count(API_MINTED_PUBLISHES), None).await;
    rows.push(ApiRow {
        what: "warm publish, no kubelet token (driver mints)".into(),
        n: count(API_MINTED_PUBLISHES),
        counts: server.counts(),
    });
    // Refreshes with a still-fresh token (what a connector change causes).
    let ids: Vec<String> = vols.iter().map(|(v, _)| v.clone()).collect();
    server.reset_counts();
    let before = refreshes(&d.driver);
    for id in ids.iter().cycle().take(count(API_REFRESHES)) {
        d.driver.refresh(id).await;
    }
    rows.push(ApiRow {
        what: "refresh, token still fresh (e.g. after a connector change)".into(),
        n: (refreshes(&d.driver) - before) as usize,
        counts: server.counts(),
    });
    // Refreshes because the token is due: kubelet tokens living 2 s are refreshed at 1.6 s by
    // the scheduler; each mints a new token.
    let short = Duration::from_secs(2);
    publish_n(
        &d,
        &mut vols,
        "api-due",
        count(API_MINTED_PUBLISHES),
        Some((&token, short)),
    )
    .await;
    server.reset_counts();
    let before = refreshes(&d.driver);
    tokio::time::sleep(Duration::from_secs(3)).await;
    rows.push(ApiRow {
        what: "scheduled refresh, token due (mints; SAR cache 10 s may have expired)".into(),
        n: (refreshes(&d.driver) - before) as usize,
        counts: server.counts(),
    });
    server.reset_counts();
    unpublish_all(&d.node, &vols).await;
    rows.push(ApiRow {
        what: "unpublish".into(),
        n: vols.len(),
        counts: server.counts(),
    });
    stop_inproc(d).await;
    rows
}
