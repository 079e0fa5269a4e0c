use super::*;

fn present(pairs: &[(&str, &str)]) -> ConfigMapState {
    ConfigMapState::Present(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

fn live(overrides: Overrides, state: ConfigMapState) -> (watch::Sender<ConfigMapState>, Features) {
    let (tx, rx) = watch::channel(state);
    (
        tx,
        Features::live(overrides, rx, "connectors-system/connectors-config"),
    )
}

#[test]
fn without_the_configmap_the_driver_defaults_stay() {
    for state in [ConfigMapState::NotWatched, ConfigMapState::Absent] {
        let (_tx, f) = live(Overrides::default(), state);
        let (flags, origins) = f.resolve().unwrap();
        assert!(!flags.connector_proxy_permissions && !flags.connectors_approval);
        assert!(flags.multi_connector && flags.custom_ca_certs);
        assert!(origins.values().all(|o| *o == Origin::DriverDefault));
    }
}

#[test]
fn the_configmap_sets_flags_and_missing_keys_take_the_operator_default() {
    let (_tx, f) = live(
        Overrides::default(),
        present(&[
            ("enable-connector-proxy-permissions", "true"),
            ("enable-connectors-approval", "True"),
            ("enable-custom-ca-certs", "yes"),
        ]),
    );
    let (flags, origins) = f.resolve().unwrap();
    assert!(flags.connector_proxy_permissions && flags.connectors_approval);
    // Documented default "false" for a key the ConfigMap lacks, and for a value that is no
    // boolean.
    assert!(!flags.multi_connector);
    assert!(!flags.custom_ca_certs);
    assert_eq!(origins[&Flag::ConnectorsApproval], Origin::Configmap);
    assert_eq!(origins[&Flag::MultiConnector], Origin::OperatorDefault);
}

#[test]
fn cli_flags_override_the_configmap_both_ways() {
    let (_tx, f) = live(
        Overrides {
            connectors_approval: Some(false),
            multi_connector: Some(true),
            ..Default::default()
        },
        present(&[
            ("enable-connectors-approval", "true"),
            ("enable-multi-connector", "false"),
        ]),
    );
    let (flags, origins) = f.resolve().unwrap();
    assert!(!flags.connectors_approval);
    assert!(flags.multi_connector);
    assert_eq!(origins[&Flag::ConnectorsApproval], Origin::Flag);
}

#[test]
fn changes_are_seen_by_every_clone_without_a_restart() {
    let (tx, f) = live(Overrides::default(), ConfigMapState::Absent);
    let clone = f.clone();
    assert!(!clone.current().unwrap().connectors_approval);
    tx.send_replace(present(&[("enable-connectors-approval", "true")]));
    assert!(clone.current().unwrap().connectors_approval);
    tx.send_replace(ConfigMapState::Absent);
    assert!(!f.current().unwrap().connectors_approval);
}

#[test]
fn an_unread_configmap_blocks_decisions_unless_every_flag_is_given() {
    let (_tx, f) = live(
        Overrides::default(),
        ConfigMapState::Pending(Some("403 Forbidden".into())),
    );
    let err = f.current().unwrap_err();
    assert!(err
        .to_string()
        .contains("connectors-system/connectors-config"));
    assert!(err.to_string().contains("403 Forbidden"));
    let all = Overrides {
        connector_proxy_permissions: Some(true),
        connectors_approval: Some(true),
        multi_connector: Some(true),
        custom_ca_certs: Some(false),
    };
    let (_tx, f) = live(all, ConfigMapState::Pending(None));
    assert!(f.current().unwrap().connectors_approval);
}

#[test]
fn report_names_value_and_origin_of_each_flag() {
    let (_tx, f) = live(
        Overrides {
            custom_ca_certs: Some(true),
            ..Default::default()
        },
        present(&[("enable-multi-connector", "true")]),
    );
    let r = f.report();
    assert_eq!(r["configMap"]["state"], "present");
    assert_eq!(
        r["flags"]["enable-multi-connector"],
        serde_json::json!({"enabled": true, "from": "configmap"})
    );
    assert_eq!(r["flags"]["enable-custom-ca-certs"]["from"], "flag");
    assert_eq!(
        r["flags"]["enable-connectors-approval"]["from"],
        "operator-default"
    );
    let s = summary(&r);
    assert!(s.contains("enable-multi-connector=true (configmap)"), "{s}");
}

#[test]
fn parse_bool_takes_go_spellings_only() {
    assert_eq!(parse_bool(" true "), Some(true));
    assert_eq!(parse_bool("0"), Some(false));
    assert_eq!(parse_bool("yes"), None);
    assert_eq!(parse_bool(""), None);
}
