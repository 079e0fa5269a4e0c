//! Section 2, publish latency: over the gRPC socket, through `Driver::publish`, and a phase
//! breakdown of a copy of the publish flow.

use super::*;

// ---------------------------------------------------------------------------------------------
// 2. Publish latency.

pub(crate) struct PublishResults {
    pub(crate) connect: Duration,
    pub(crate) first_publish: Duration,
    pub(crate) publish: Samples,
    pub(crate) unpublish: Samples,
    pub(crate) direct_publish: Samples,
    pub(crate) direct_unpublish: Samples,
    /// A no-op RPC (Identity.Probe) on the same channel: the transport's own cost.
    pub(crate) probe: Samples,
    pub(crate) phases: Vec<(&'static str, Samples)>,
    pub(crate) payload_check: String,
}

pub(crate) async fn run_publish(
    token: &str,
    reference: &BTreeMap<String, Vec<u8>>,
) -> (PublishResults, Floor) {
    let mut d = start_inproc(memory_source(), |_| {}).await;
    let life = Duration::from_secs(3600);

    // Cold: the first publish on a fresh connection.
    let target = d.target("cold");
    let t = Instant::now();
    d.node
        .node_publish_volume(publish_request("cold", &target, Some((token, life))))
        .await
        .unwrap();
    let first_publish = t.elapsed();
    // The driver writes exactly the files the floor writes.
    let written = atomic::read_payload(&target).unwrap();
    assert_eq!(
        written.keys().collect::<Vec<_>>(),
        reference.keys().collect::<Vec<_>>(),
        "the floor writes the files of a real publish"
    );
    for (k, v) in reference {
        assert_eq!(written[k].len(), v.len(), "size of {k}");
    }
    let payload_check = format!(
        "{} files, {} bytes: {}",
        reference.len(),
        reference.values().map(Vec::len).sum::<usize>(),
        reference
            .iter()
            .map(|(k, v)| format!("`{k}` {}", v.len()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    d.node
        .node_unpublish_volume(unpublish_request("cold", &target))
        .await
        .unwrap();

    // Warm, interleaved so that every kind sees the same background load: each round runs a
    // floor publish/unpublish, a gRPC publish/unpublish, and every 4th round one through
    // `Driver::publish` directly and one state-file write. New volume ids and targets each time
    // (as for new pods).
    let floor_base = d.root.path().join("floor");
    std::fs::create_dir_all(&floor_base).unwrap();
    let state_dir = d.driver.cfg.state_dir.join("floor");
    std::fs::create_dir_all(&state_dir).unwrap();
    let state_bytes = vec![b'x'; 2300]; // the size of a real state file (token included)
    let vcfg = d.driver.cfg.validation();
    let mut floor = Floor {
        publish: Samples::default(),
        unpublish: Samples::default(),
        state_write: Samples::default(),
    };
    let mut publish = Samples::default();
    let mut unpublish = Samples::default();
    let mut direct_publish = Samples::default();
    let mut direct_unpublish = Samples::default();
    let mut probe = Samples::default();
    let rounds = WARMUP + count(PUBLISHES).max(count(FLOOR_RUNS));
    for i in 0..rounds {
        let keep = i >= WARMUP;
        let (fp, fu) = floor_once(&floor_base.join(format!("t{i}")), reference);
        let vol = format!("pub-{i}");
        let target = d.target(&vol);
        let (p, u) = timed_publish_unpublish(&mut d, &vol, &target, token, life).await;
        let t = Instant::now();
        d.identity.probe(proto::ProbeRequest {}).await.unwrap();
        let pr = t.elapsed();
        if keep {
            probe.push(pr);
            floor.publish.push(fp);
            floor.unpublish.push(fu);
            publish.push(p);
            unpublish.push(u);
        }
        if i % 4 == 0 {
            let vol = format!("direct-{i}");
            let target = d.target(&vol);
            let req = validate_publish(&publish_request(&vol, &target, Some((token, life))), &vcfg)
                .unwrap();
            let t = Instant::now();
            d.driver.publish(req).await.unwrap();
            let p = t.elapsed();
            let t = Instant::now();
            d.driver.unpublish(&vol, &target).await.unwrap();
            let u = t.elapsed();
            let t = Instant::now();
            floor_state_write(&state_dir, &state_bytes);
            let w = t.elapsed();
            if keep {
                direct_publish.push(p);
                direct_unpublish.push(u);
                floor.state_write.push(w);
            }
        }
    }
    progress!(
        "gRPC publish p50 {}, floor p50 {}",
        ms(publish.p(50.0)),
        ms(floor.publish.p(50.0))
    );
    let phases = run_phases(&d, token).await;
    let connect = d.connect;
    stop_inproc(d).await;
    (
        PublishResults {
            connect,
            first_publish,
            publish,
            unpublish,
            direct_publish,
            direct_unpublish,
            probe,
            phases,
            payload_check,
        },
        floor,
    )
}

/// One gRPC publish of a new volume at `target` and its unpublish; the time of each.
pub(crate) async fn timed_publish_unpublish(
    d: &mut TestDriver,
    vol: &str,
    target: &Path,
    token: &str,
    life: Duration,
) -> (Duration, Duration) {
    let req = publish_request(vol, target, Some((token, life)));
    let t = Instant::now();
    d.node.node_publish_volume(req).await.unwrap();
    let p = t.elapsed();
    let t = Instant::now();
    d.node
        .node_unpublish_volume(unpublish_request(vol, target))
        .await
        .unwrap();
    (p, t.elapsed())
}

/// A copy of the driver's publish and unpublish flow with a timer around each step.
pub(crate) async fn run_phases(d: &TestDriver, token: &str) -> Vec<(&'static str, Samples)> {
    const NAMES: [&str; 11] = [
        "validate request",
        "resolve connector + class (source)",
        "render",
        "state save (write + rename), once per publish",
        "mkdir target + is_our_mount + is_mount_point (statx; mount table only at a mount root)",
        "mount tmpfs",
        "mount stamp (statx STATX_MNT_ID_UNIQUE)",
        "atomic write (payload dir, files, ..data swap, symlinks)",
        "unpublish: unmount_stamped (statx + umount + statx, no mount table)",
        "unpublish: rmdir target + remove state",
        "one /proc/self/mountinfo parse (reference, not in the flow)",
    ];
    let mut samples: Vec<Samples> = vec![Samples::default(); NAMES.len()];
    let store = StateStore::open(&d.driver.cfg.state_dir.join("phase")).unwrap();
    let source = memory_source();
    let vcfg = d.driver.cfg.validation();
    let life = Duration::from_secs(3600);
    for i in 0..WARMUP + count(PHASE_RUNS) {
        let keep = i >= WARMUP;
        let vol = format!("phase-{i}");
        let target = d.target(&vol);
        let proto_req = publish_request(&vol, &target, Some((token, life)));
        let mut lap = {
            let mut t = Instant::now();
            move |k: usize, samples: &mut Vec<Samples>| {
                if keep {
                    samples[k].push(t.elapsed());
                }
                t = Instant::now();
            }
        };
        let req = validate_publish(&proto_req, &vcfg).unwrap();
        lap(0, &mut samples);
        let key = ObjectKey::new(NS, CONNECTOR);
        let conn = source.connector(&key).await.unwrap();
        source.authorize(&req.spec.pod, &key).await.unwrap();
        let class = source
            .connector_class(&conn.spec.connector_class_name)
            .await
            .unwrap();
        let parsed = connectors_csi::token::parse_kubelet_tokens(
            req.kubelet_tokens.as_deref().unwrap(),
            AUDIENCE,
            jiff::Timestamp::now(),
        )
        .unwrap();
        lap(1, &mut samples);
        let rc = ResolvedConnector {
            proxy_ca: proxy_ca(&conn, &class),
            connector: conn,
            class,
            target_ca: None,
        };
        let mut rreq = req.spec.render.clone();
        rreq.pod_namespace = NS.into();
        let payload = render::render(
            &[rc],
            &rreq,
            &RenderSecrets {
                token: parsed.expose(),
                direct_token: None,
            },
        )
        .unwrap();
        lap(2, &mut samples);
        let state = VolumeState {
            volume_id: vol.clone(),
            target_path: target.clone(),
            readonly: true,
            capability: req.capability.canonical(),
            volume_mount_group: None,
            attributes: req.spec.attributes.clone(),
            pod: req.spec.pod.clone(),
            file_mode: FILE_MODE,
            files: payload.files.keys().cloned().collect(),
            token: Some((&parsed).into()),
            token_origin: "kubelet".into(),
            rendered_at: Some(jiff::Timestamp::now()),
            next_refresh: Some(jiff::Timestamp::now()),
        };
        store.save(&state).unwrap();
        lap(3, &mut samples);
        std::fs::create_dir_all(&target).unwrap();
        assert!(!mount::is_our_mount(&target).unwrap());
        assert!(!mount::is_mount_point(&target).unwrap());
        lap(4, &mut samples);
        mount::mount_tmpfs(
            &target,
            TmpfsOptions {
                size_bytes: DEFAULT_TMPFS_SIZE,
                mode: VOLUME_ROOT_MODE,
                gid: None,
            },
        )
        .unwrap();
        lap(5, &mut samples);
        let stamp = mount::mount_stamp(&target).expect("kernel reports mount ids");
        lap(6, &mut samples);
        let files: BTreeMap<String, FileProjection> = payload
            .files
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    FileProjection {
                        data: v.clone(),
                        mode: FILE_MODE,
                    },
                )
            })
            .collect();
        atomic::write_payload(
            &target,
            &files,
            WriteOptions {
                gid: None,
                dir_mode: DIR_MODE,
                known_changed: false,
            },
        )
        .unwrap();
        lap(7, &mut samples);
        assert!(mount::unmount_stamped(&target, &stamp).unwrap());
        lap(8, &mut samples);
        std::fs::remove_dir(&target).unwrap();
        store.remove(&vol).unwrap();
        lap(9, &mut samples);
        let _ = mount::mount_table().unwrap();
        lap(10, &mut samples);
    }
    NAMES.into_iter().zip(samples).collect()
}
