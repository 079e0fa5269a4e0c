//! Tests of the state store: private modes, the borrowed form, token reads, migration.

use super::*;
use std::os::unix::fs::MetadataExt;

fn state(id: &str) -> VolumeState {
    VolumeState {
        volume_id: id.into(),
        target_path: "/t".into(),
        readonly: true,
        capability: "mount".into(),
        volume_mount_group: None,
        attributes: BTreeMap::new(),
        pod: PodInfo::default(),
        file_mode: 0o440,
        files: vec![],
        token: Some(StoredToken {
            value: "tok-secret".into(),
            issued_at: jiff::Timestamp::UNIX_EPOCH,
            expires_at: jiff::Timestamp::UNIX_EPOCH,
        }),
        token_origin: "kubelet".into(),
        rendered_at: None,
        next_refresh: None,
    }
}

/// The live volume saves through `VolumeStateRef`; recovery reads a `VolumeState`. The
/// two must write the same JSON, with every field set and with the optional ones absent.
#[test]
fn borrowed_state_serialises_exactly_as_the_owned_one() {
    let mut full = state("vol-full");
    full.target_path = "/var/lib/kubelet/pods/u/volumes/kubernetes.io~csi/v/mount".into();
    full.volume_mount_group = Some(2000);
    full.attributes = BTreeMap::from([
        ("connector.name".to_string(), "git".to_string()),
        ("configuration.names".to_string(), "gitconfig".to_string()),
    ]);
    full.pod = PodInfo {
        namespace: "ns".into(),
        name: "p".into(),
        uid: "u".into(),
        service_account: "sa".into(),
    };
    full.files = vec!["a".into(), "b".into()];
    full.rendered_at = Some(jiff::Timestamp::from_second(1_700_000_000).unwrap());
    full.next_refresh = Some(jiff::Timestamp::from_second(1_700_000_600).unwrap());
    let mut bare = state("vol-bare");
    bare.token = None;
    bare.token_origin = String::new();
    for st in [full, bare] {
        let owned = serde_json::to_string(&st).unwrap();
        let borrowed = serde_json::to_string(&VolumeStateRef::from(&st)).unwrap();
        assert_eq!(owned, borrowed);
        let json = serde_json::value::to_raw_value(&st.attributes).unwrap();
        let mut r = VolumeStateRef::from(&st);
        r.attributes = AttributesRef::Json(&json);
        assert_eq!(owned, serde_json::to_string(&r).unwrap());
        let back: VolumeState = serde_json::from_str(&borrowed).unwrap();
        assert!(back == st, "round trip of {}", st.volume_id);
    }
}

/// `read_small` reads a whole file whatever its size (under, at and over its first buffer).
#[test]
fn read_small_reads_whole_files() {
    let t = tempfile::tempdir().unwrap();
    for n in [0usize, 1, 1800, 8191, 8192, 8193, 40_000] {
        let p = t.path().join(format!("f{n}"));
        let data: Vec<u8> = (0..n).map(|i| (i % 251) as u8).collect();
        fs::write(&p, &data).unwrap();
        assert_eq!(read_small(&p).unwrap(), data, "{n} bytes");
    }
    assert_eq!(
        read_small(&t.path().join("missing")).unwrap_err().kind(),
        io::ErrorKind::NotFound
    );
}

/// `load_token` reads back exactly the token `save` wrote (and nothing for a state without
/// one, or no state at all).
#[test]
fn load_token_reads_the_saved_token() {
    let t = tempfile::tempdir().unwrap();
    let s = StateStore::open(t.path()).unwrap();
    let mut st = state("vol-t");
    st.token = Some(StoredToken {
        value: "eyJhbGciOiJSUzI1NiJ9.e30.c2ln\\\"quoted\"".into(),
        issued_at: jiff::Timestamp::from_second(1_700_000_000).unwrap(),
        expires_at: jiff::Timestamp::from_second(1_700_003_600).unwrap(),
    });
    s.save(&st).unwrap();
    let tok = s.load_token("vol-t").unwrap().unwrap();
    let want = st.token.as_ref().unwrap();
    assert_eq!(tok.expose(), want.value);
    assert_eq!(tok.issued_at, want.issued_at);
    assert_eq!(tok.expires_at, want.expires_at);
    st.token = None;
    s.save(&st).unwrap();
    assert!(s.load_token("vol-t").unwrap().is_none());
    assert!(s.load_token("vol-missing").unwrap().is_none());
}

#[test]
fn save_load_list_remove_with_private_modes() {
    let t = tempfile::tempdir().unwrap();
    let s = StateStore::open(t.path()).unwrap();
    s.save(&state("vol-1")).unwrap();
    s.save(&state("vol-2")).unwrap();
    let p = s.path_for("vol-1");
    assert_eq!(fs::metadata(&p).unwrap().mode() & 0o777, 0o600);
    assert_eq!(
        fs::metadata(t.path().join("volumes")).unwrap().mode() & 0o777,
        0o700
    );
    assert_eq!(s.load("vol-1").unwrap().unwrap(), state("vol-1"));
    fs::write(t.path().join("volumes/bad.json"), "{").unwrap();
    let all = s.list().unwrap();
    assert_eq!(all.iter().filter(|r| r.is_ok()).count(), 2);
    assert_eq!(all.iter().filter(|r| r.is_err()).count(), 1);
    s.remove("vol-1").unwrap();
    s.remove("vol-1").unwrap();
    assert!(s.load("vol-1").unwrap().is_none());
    assert!(!format!("{:?}", state("x")).contains("tok-secret"));
}

#[test]
fn migrate_from_moves_missing_states_keeps_newer_ones_and_is_idempotent() {
    let old_root = tempfile::tempdir().unwrap();
    let new_root = tempfile::tempdir().unwrap();
    let old = StateStore::open(old_root.path()).unwrap();
    let new = StateStore::open(new_root.path()).unwrap();
    // Nothing to migrate from a directory that does not exist.
    assert_eq!(
        new.migrate_from(&old_root.path().join("nope")).unwrap(),
        Migration::default()
    );
    old.save(&state("vol-old")).unwrap();
    let mut stale = state("vol-both");
    stale.files = vec!["old-file".into()];
    old.save(&stale).unwrap();
    let mut newer = state("vol-both");
    newer.files = vec!["new-file".into()];
    new.save(&newer).unwrap();
    fs::write(old_root.path().join("volumes/x.json.tmp"), "{").unwrap();

    let m = new.migrate_from(old_root.path()).unwrap();
    assert_eq!(
        m,
        Migration {
            moved: 1,
            superseded: 1
        }
    );
    assert_eq!(new.load("vol-old").unwrap().unwrap(), state("vol-old"));
    assert_eq!(
        new.load("vol-both").unwrap().unwrap(),
        newer,
        "the newer state wins"
    );
    assert_eq!(
        fs::metadata(new.path_for("vol-old")).unwrap().mode() & 0o777,
        0o600
    );
    assert!(
        !old_root.path().join("volumes").exists(),
        "the old store is emptied and removed"
    );
    // A second start finds nothing left to do; the same directory is never migrated onto itself.
    assert_eq!(
        new.migrate_from(old_root.path()).unwrap(),
        Migration::default()
    );
    assert_eq!(
        new.migrate_from(new_root.path()).unwrap(),
        Migration::default()
    );
    assert_eq!(new.list().unwrap().len(), 2);
}
