//! Tests of the atomic writer: payloads written, swapped and repaired as kubelet's AtomicWriter does.

use super::*;
use std::collections::BTreeSet;

fn payload(items: &[(&str, &str)]) -> BTreeMap<String, FileProjection> {
    items
        .iter()
        .map(|(k, v)| {
            (
                k.to_string(),
                FileProjection {
                    data: v.as_bytes().to_vec(),
                    mode: 0o440,
                },
            )
        })
        .collect()
}

#[test]
fn first_write_creates_kubelet_layout() {
    let t = tempfile::tempdir().unwrap();
    let out = write_payload(
        t.path(),
        &payload(&[("a", "1"), ("b", "2")]),
        WriteOptions::default(),
    )
    .unwrap();
    assert!(out.swapped);
    assert!(out.data_dir.starts_with("..20"), "{}", out.data_dir);
    assert_eq!(
        fs::read_link(t.path().join("..data")).unwrap(),
        Path::new(&out.data_dir)
    );
    assert_eq!(
        fs::read_link(t.path().join("a")).unwrap(),
        Path::new("..data/a")
    );
    assert_eq!(fs::read_to_string(t.path().join("b")).unwrap(), "2");
    let mode = fs::metadata(t.path().join("a")).unwrap().mode() & 0o7777;
    assert_eq!(mode, 0o440);
    let dmode = fs::metadata(t.path().join(&out.data_dir)).unwrap().mode() & 0o7777;
    assert_eq!(dmode, 0o550);
}

#[test]
fn unchanged_content_is_not_rewritten_and_removed_names_go_away() {
    let t = tempfile::tempdir().unwrap();
    let first = write_payload(
        t.path(),
        &payload(&[("a", "1"), ("b", "2")]),
        WriteOptions::default(),
    )
    .unwrap();
    let again = write_payload(
        t.path(),
        &payload(&[("a", "1"), ("b", "2")]),
        WriteOptions::default(),
    )
    .unwrap();
    assert!(!again.swapped);
    assert_eq!(first.data_dir, again.data_dir);
    let third = write_payload(t.path(), &payload(&[("a", "9")]), WriteOptions::default()).unwrap();
    assert!(third.swapped);
    assert_ne!(third.data_dir, first.data_dir);
    assert!(
        t.path().join(&first.data_dir).join("a").exists(),
        "a just-retired payload dir stays for readers mid-lookup"
    );
    // Once its successor is older than the grace period, the next write removes it.
    let past = SystemTime::now() - RETIRED_GRACE - Duration::from_secs(1);
    fs::File::open(t.path().join(&third.data_dir))
        .unwrap()
        .set_modified(past)
        .unwrap();
    let same = write_payload(t.path(), &payload(&[("a", "9")]), WriteOptions::default()).unwrap();
    assert!(!same.swapped);
    assert!(
        !t.path().join(&first.data_dir).exists(),
        "retired payload dir removed after the grace period"
    );
    assert!(t.path().join("b").symlink_metadata().is_err(), "b removed");
    assert_eq!(fs::read_to_string(t.path().join("a")).unwrap(), "9");
    let names: BTreeSet<String> = fs::read_dir(t.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        BTreeSet::from(["..data".into(), "a".into(), third.data_dir.clone()])
    );
}

#[test]
fn repairs_interrupted_write() {
    let t = tempfile::tempdir().unwrap();
    // A crash left a half-filled payload dir, a dangling ..data_tmp and no ..data.
    fs::create_dir(t.path().join("..2020_01_01_00_00_00.1.x")).unwrap();
    fs::write(t.path().join("..2020_01_01_00_00_00.1.x/a"), "half").unwrap();
    std::os::unix::fs::symlink("..2020_01_01_00_00_00.1.x", t.path().join("..data_tmp")).unwrap();
    let out = write_payload(
        t.path(),
        &payload(&[("a", "full")]),
        WriteOptions::default(),
    )
    .unwrap();
    assert!(out.swapped);
    assert_eq!(fs::read_to_string(t.path().join("a")).unwrap(), "full");
    assert!(!t.path().join("..2020_01_01_00_00_00.1.x").exists());
    assert!(t.path().join("..data_tmp").symlink_metadata().is_err());
    // A missing user-visible symlink is recreated even when content is unchanged.
    fs::remove_file(t.path().join("a")).unwrap();
    let again = write_payload(
        t.path(),
        &payload(&[("a", "full")]),
        WriteOptions::default(),
    )
    .unwrap();
    assert!(!again.swapped);
    assert_eq!(fs::read_to_string(t.path().join("a")).unwrap(), "full");
}

#[test]
fn rejects_reserved_and_nested_names() {
    let t = tempfile::tempdir().unwrap();
    for bad in ["..data", "../x", "a/b", "", "."] {
        let err =
            write_payload(t.path(), &payload(&[(bad, "x")]), WriteOptions::default()).unwrap_err();
        assert!(matches!(err, WriteError::InvalidPath(_)), "{bad}");
    }
    assert_eq!(
        fs::read_dir(t.path()).unwrap().count(),
        0,
        "nothing written"
    );
}

#[test]
fn mode_change_triggers_rewrite() {
    let t = tempfile::tempdir().unwrap();
    write_payload(t.path(), &payload(&[("a", "1")]), WriteOptions::default()).unwrap();
    let mut p = payload(&[("a", "1")]);
    p.get_mut("a").unwrap().mode = 0o400;
    assert!(
        write_payload(t.path(), &p, WriteOptions::default())
            .unwrap()
            .swapped
    );
    assert_eq!(
        fs::metadata(t.path().join("a")).unwrap().mode() & 0o7777,
        0o400
    );
}

#[test]
fn foreign_entries_are_replaced_and_write_files_shares_one_mode() {
    let t = tempfile::tempdir().unwrap();
    // `..data` that is not a symlink, a user-visible name that is a plain file, one that
    // links elsewhere, and a name no longer projected.
    fs::create_dir(t.path().join("..data")).unwrap();
    fs::write(t.path().join("a"), "plain").unwrap();
    std::os::unix::fs::symlink("/etc/hostname", t.path().join("b")).unwrap();
    fs::write(t.path().join("gone"), "x").unwrap();
    let files = BTreeMap::from([
        ("a".to_string(), b"1".to_vec()),
        ("b".to_string(), b"22".to_vec()),
    ]);
    let out = write_files(t.path(), &files, 0o444, WriteOptions::default()).unwrap();
    assert!(out.swapped);
    for (name, want) in [("a", "1"), ("b", "22")] {
        assert_eq!(
            fs::read_link(t.path().join(name)).unwrap(),
            Path::new("..data").join(name)
        );
        assert_eq!(fs::read_to_string(t.path().join(name)).unwrap(), want);
        assert_eq!(
            fs::metadata(t.path().join(name)).unwrap().mode() & 0o7777,
            0o444
        );
    }
    assert!(t.path().join("gone").symlink_metadata().is_err());
    assert_eq!(
        fs::read_link(t.path().join("..data")).unwrap(),
        Path::new(&out.data_dir)
    );
    // The same files again: nothing swapped; a different mode: swapped.
    let again = write_files(t.path(), &files, 0o444, WriteOptions::default()).unwrap();
    assert!(!again.swapped);
    assert_eq!(again.data_dir, out.data_dir);
    assert!(
        write_files(t.path(), &files, 0o440, WriteOptions::default())
            .unwrap()
            .swapped
    );
}

/// `known_changed` (the caller's fingerprint says the payload is new) swaps without reading the
/// old files back, and the result is the same layout a compared write gives. It can only force a
/// swap: an identical payload written with it still swaps, and without it does not.
#[test]
fn known_changed_swaps_without_comparing() {
    let t = tempfile::tempdir().unwrap();
    let first = write_payload(
        t.path(),
        &payload(&[("a", "1"), ("b", "2")]),
        WriteOptions::default(),
    )
    .unwrap();
    let forced = WriteOptions {
        known_changed: true,
        ..WriteOptions::default()
    };
    let second = write_payload(t.path(), &payload(&[("a", "1"), ("b", "3")]), forced).unwrap();
    assert!(second.swapped);
    assert_ne!(second.data_dir, first.data_dir);
    assert_eq!(fs::read_to_string(t.path().join("a")).unwrap(), "1");
    assert_eq!(fs::read_to_string(t.path().join("b")).unwrap(), "3");
    let same = write_payload(
        t.path(),
        &payload(&[("a", "1"), ("b", "3")]),
        WriteOptions::default(),
    )
    .unwrap();
    assert!(
        !same.swapped,
        "an unchanged payload compared with the disk is not rewritten"
    );
    let again = write_payload(t.path(), &payload(&[("a", "1"), ("b", "3")]), forced).unwrap();
    assert!(again.swapped);
    assert_eq!(fs::read_to_string(t.path().join("b")).unwrap(), "3");
    assert_eq!(
        fs::read_link(t.path().join("..data")).unwrap(),
        Path::new(&again.data_dir)
    );
}
