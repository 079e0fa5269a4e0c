//! The bad-input corpus: the mutations (a proptest strategy) and how each becomes a publish
//! request with the gRPC codes acceptable for it.

use std::path::PathBuf;

use connectors_csi::connector::types::ConnectorClass;
use connectors_csi::csi::proto;
use proptest::prelude::*;

use crate::bad_input::*;
use tonic::Code;

/// One generated bad input.
#[derive(Debug, Clone)]
pub(crate) enum Mutation {
    TargetDots {
        segs: Vec<String>,
        at: usize,
        dots: bool,
    },
    TargetRelative(Vec<String>),
    TargetOutside(String, Vec<String>),
    TargetHuge(usize),
    TargetNul(usize),
    TargetSlashes(bool),
    TargetThroughSymlink(Vec<String>),
    TargetIsAFile,
    TargetForeignMount,
    VolumeId(S),
    /// A likely typo of a supported attribute (unknown keys are otherwise ignored).
    TypoAttribute(S, S),
    /// A huge `connector.name` value: the error quotes it.
    HugeConnectorName(usize),
    BadConnectorName(S),
    DuplicateConnector(S),
    DuplicateConfiguration,
    BothConnectorForms,
    MalformedParams(S),
    BadFileMode(S),
    BadExpiration(S),
    NulInAttribute(usize, usize),
    HugeAttributes(usize),
    BadCapability(u8),
    BadTokens(S),
    ClassFileName(usize),
    BrokenTemplate(usize),
    RandomTemplate(S),
    HugeOutput,
    UnknownConfiguration(S),
    InvalidUtf8 {
        field: u8,
        pos: usize,
        bytes: Vec<u8>,
    },
    DuplicateWireKey(S),
}

pub(crate) fn seg() -> impl Strategy<Value = String> {
    "[a-z0-9_-]{1,12}"
}

pub(crate) fn mutation() -> impl Strategy<Value = Mutation> {
    let known = [
        "connector.name",
        "connector.namespace",
        "connectors",
        "configuration.names",
        "configuration.params",
        "token.expiration",
        "file.mode",
    ];
    prop_oneof![
        (prop::collection::vec(seg(), 1..6), any::<prop::sample::Index>(), any::<bool>())
            .prop_map(|(segs, at, dots)| {
                let at = at.index(segs.len() + 1);
                Mutation::TargetDots { segs, at, dots }
            }),
        prop::collection::vec(seg(), 1..5).prop_map(Mutation::TargetRelative),
        (
            prop::sample::select(vec!["/etc", "/tmp", "/var/run", "/root", "/"]),
            prop::collection::vec(seg(), 0..4)
        )
            .prop_map(|(p, s)| Mutation::TargetOutside(p.to_string(), s)),
        (4097usize..20_000).prop_map(Mutation::TargetHuge),
        (0usize..200).prop_map(Mutation::TargetNul),
        any::<bool>().prop_map(Mutation::TargetSlashes),
        prop::collection::vec(seg(), 0..3).prop_map(Mutation::TargetThroughSymlink),
        Just(Mutation::TargetIsAFile),
        Just(Mutation::TargetForeignMount),
        prop_oneof![
            Just(String::new()),
            "[a-z]{257,400}",
            "[a-z]{0,5}[\u{0}-\u{1f}\u{7f}][a-z]{0,5}",
        ]
        .prop_map(|s| Mutation::VolumeId(S(s))),
        // One edit away from a supported attribute (or the same letters): refused with a
        // did-you-mean; any other unknown key is ignored with a warning event, not bad input.
        (0..known.len(), 0u8..4, ".{0,40}")
            .prop_map(move |(i, edit, v)| {
                let k = known[i];
                let typo = match edit {
                    0 => k.to_ascii_uppercase(),
                    1 => k[..k.len() - 1].to_string(),
                    2 => k.replace('.', "_") + if k.contains('.') { "" } else { "_" },
                    _ => format!("{}x{}", &k[..k.len() / 2], &k[k.len() / 2..]),
                };
                (typo, v)
            })
            .prop_filter("not a known attribute", move |(k, _)| !known.contains(&k.as_str()))
            .prop_map(|(k, v)| Mutation::TypoAttribute(S(k), S(v))),
        // Huge values: the error echoes them.
        (1_000usize..60_000).prop_map(Mutation::HugeConnectorName),
        prop_oneof![
            // (No space: surrounding whitespace is trimmed from attribute values by design.)
            "[a-z]{0,5}[A-Z_!@#\u{0}\u{e9}][a-z]{0,5}",
            "-[a-z]{1,8}",
            "[a-z]{1,8}-",
            (254usize..60_000).prop_map(|n| "a".repeat(n)),
        ]
        .prop_map(|s| Mutation::BadConnectorName(S(s))),
        "[a-z][a-z0-9-]{0,10}[a-z]".prop_map(|s| Mutation::DuplicateConnector(S(s))),
        Just(Mutation::DuplicateConfiguration),
        Just(Mutation::BothConnectorForms),
        prop_oneof![
            "\\{[^}]{0,40}",
            "\\[[^\\]]{0,20}\\]?",
            "[0-9]{1,6}",
            "\"[a-z]{0,10}\"",
            Just("null".to_string()),
            Just("{\"kubeconfig\":1}".to_string()),
            Just("{\"kubeconfig\":{\"p\":[1]}}".to_string()),
            Just("{\"kubeconfig\":{\"p\":{\"q\":1}}}".to_string()),
        ]
        .prop_map(|s| Mutation::MalformedParams(S(s))),
        "[0-9]{1,5}"
            .prop_filter("not an accepted mode", |m| {
                !["400", "440", "444", "0400", "0440", "0444"].contains(&m.as_str())
            })
            .prop_map(|s| Mutation::BadFileMode(S(s))),
        prop_oneof![
            "[0-9]{0,3}[a-z]{1,4}",
            "[0-9](s|ms)",
            Just("9m59s".to_string()),
            Just("-1h".to_string())
        ]
        .prop_filter("invalid expiration", |s| {
            connectors_csi::token::parse_expiration(s).is_err()
        })
        .prop_map(|s| Mutation::BadExpiration(S(s))),
        (0usize..3, 0usize..8).prop_map(|(k, p)| Mutation::NulInAttribute(k, p)),
        (65 * 1024usize..200 * 1024).prop_map(Mutation::HugeAttributes),
        (0u8..5).prop_map(Mutation::BadCapability),
        prop_oneof![
            ".{0,30}",
            Just("{}".to_string()),
            Just("{\"connectors-proxy\":{\"token\":\"\"}}".to_string()),
            Just(
                "{\"connectors-proxy\":{\"token\":\"tok-CORPUS-SECRET-7f3a\",\"expirationTimestamp\":\"2001-01-01T00:00:00Z\"}}"
                    .to_string()
            ),
            Just(
                "{\"connectors-proxy\":{\"token\":\"tok-CORPUS-SECRET-7f3a\",\"expirationTimestamp\":\"soon\"}}"
                    .to_string()
            ),
        ]
        .prop_filter("not accidentally valid", |s| !s.contains("2099"))
        .prop_map(|s| Mutation::BadTokens(S(s))),
        (0..EVIL_FILE_NAMES.len()).prop_map(Mutation::ClassFileName),
        (0..BROKEN_TEMPLATES.len()).prop_map(Mutation::BrokenTemplate),
        "[a-z .|$()\"]{0,30}".prop_map(|s| Mutation::RandomTemplate(S(format!("x {{{{{s}")))),
        Just(Mutation::HugeOutput),
        "[a-z][a-z-]{2,12}"
            .prop_filter("not a built-in", |s| s != "kubeconfig" && s != "tokenfile")
            .prop_map(|s| Mutation::UnknownConfiguration(S(s))),
        // 0xFF never occurs in UTF-8, so the poisoned field is always invalid (bytes from
        // 0x80..=0xFF alone can form a valid sequence such as "ڤ").
        (0u8..5, 0usize..64, prop::collection::vec(0x80u8..=0xff, 0..3)).prop_map(
            |(field, pos, mut bytes)| {
                bytes.insert(0, 0xff);
                Mutation::InvalidUtf8 { field, pos, bytes }
            }
        ),
        "[A-Z_]{1,10}".prop_map(|s| Mutation::DuplicateWireKey(S(s))),
    ]
}

pub(crate) enum Req {
    Typed(proto::NodePublishVolumeRequest),
    Raw(RawPublishRequest),
}

pub(crate) struct CorpusEnv {
    pub(crate) kubelet: PathBuf,
    pub(crate) target: PathBuf,
    pub(crate) base: proto::NodePublishVolumeRequest,
    pub(crate) symlink_dir: PathBuf,
    pub(crate) file_target: PathBuf,
    pub(crate) foreign_target: PathBuf,
}

pub(crate) fn insert_at(s: &str, pos: usize, ins: &str) -> String {
    let mut p = pos.min(s.len());
    while !s.is_char_boundary(p) {
        p -= 1;
    }
    format!("{}{ins}{}", &s[..p], &s[p..])
}

/// Builds the request of a mutation and the gRPC codes acceptable for it.
pub(crate) fn build(m: &Mutation, env: &CorpusEnv) -> (Req, Vec<Code>, Option<ConnectorClass>) {
    use Code::*;
    let mut r = env.base.clone();
    let ctx = |r: &mut proto::NodePublishVolumeRequest, k: &str, v: &str| {
        r.volume_context.insert(k.to_string(), v.to_string());
    };
    let kubelet = env.kubelet.to_string_lossy().into_owned();
    let mut class = None;
    let codes = match m {
        Mutation::TargetDots { segs, at, dots } => {
            let mut s = segs.clone();
            s.insert(*at, if *dots { ".." } else { "." }.to_string());
            r.target_path = format!("{kubelet}/pods/{}", s.join("/"));
            vec![InvalidArgument]
        }
        Mutation::TargetRelative(segs) => {
            r.target_path = segs.join("/");
            vec![InvalidArgument]
        }
        Mutation::TargetOutside(prefix, segs) => {
            r.target_path = format!("{}/{}", prefix.trim_end_matches('/'), segs.join("/"))
                .trim_end_matches('/')
                .to_string();
            if r.target_path.is_empty() {
                r.target_path = "/".into();
            }
            vec![InvalidArgument]
        }
        Mutation::TargetHuge(n) => {
            r.target_path = format!("{kubelet}/{}", "a/".repeat(n / 2));
            vec![InvalidArgument]
        }
        Mutation::TargetNul(pos) => {
            r.target_path = insert_at(&r.target_path, *pos, "\0");
            vec![InvalidArgument]
        }
        Mutation::TargetSlashes(trailing) => {
            r.target_path = if *trailing {
                format!("{}/", r.target_path)
            } else {
                r.target_path.replacen("/pods/", "/pods//", 1)
            };
            vec![InvalidArgument]
        }
        Mutation::TargetThroughSymlink(segs) => {
            let mut p = env.symlink_dir.clone();
            for s in segs {
                p.push(s);
            }
            p.push("mount");
            r.target_path = p.to_string_lossy().into_owned();
            vec![InvalidArgument]
        }
        Mutation::TargetIsAFile => {
            r.target_path = env.file_target.to_string_lossy().into_owned();
            vec![Internal, FailedPrecondition, InvalidArgument]
        }
        Mutation::TargetForeignMount => {
            r.target_path = env.foreign_target.to_string_lossy().into_owned();
            vec![FailedPrecondition]
        }
        Mutation::VolumeId(id) => {
            r.volume_id = id.0.clone();
            vec![InvalidArgument]
        }
        Mutation::TypoAttribute(k, v) => {
            ctx(&mut r, k, v);
            vec![InvalidArgument]
        }
        Mutation::HugeConnectorName(n) => {
            ctx(&mut r, "connector.name", &"x".repeat(*n));
            vec![InvalidArgument]
        }
        Mutation::BadConnectorName(n) => {
            ctx(&mut r, "connector.name", n);
            vec![InvalidArgument]
        }
        Mutation::DuplicateConnector(n) => {
            r.volume_context.remove("connector.name");
            ctx(&mut r, "connectors", &format!("{}, team/{}", n.0, n.0));
            vec![InvalidArgument]
        }
        Mutation::DuplicateConfiguration => {
            ctx(&mut r, "configuration.names", "kubeconfig, kubeconfig");
            vec![InvalidArgument]
        }
        Mutation::BothConnectorForms => {
            ctx(&mut r, "connectors", "team/k8s-a");
            vec![InvalidArgument]
        }
        Mutation::MalformedParams(p) => {
            ctx(&mut r, "configuration.names", "kubeconfig");
            ctx(&mut r, "configuration.params", p);
            vec![InvalidArgument]
        }
        Mutation::BadFileMode(m) => {
            ctx(&mut r, "file.mode", m);
            vec![InvalidArgument]
        }
        Mutation::BadExpiration(e) => {
            ctx(&mut r, "token.expiration", e);
            vec![InvalidArgument]
        }
        Mutation::NulInAttribute(k, pos) => {
            let (key, val) = [
                ("connector.name", "k8s-a"),
                ("connector.namespace", "team"),
                ("configuration.names", "kubeconfig"),
            ][*k];
            ctx(&mut r, key, &insert_at(val, *pos, "\0"));
            vec![InvalidArgument, NotFound]
        }
        Mutation::HugeAttributes(n) => {
            ctx(&mut r, "configuration.names", &"a,".repeat(n / 2));
            vec![InvalidArgument]
        }
        Mutation::BadCapability(k) => {
            use proto::volume_capability::AccessType;
            let cap = r.volume_capability.as_mut().unwrap();
            match k {
                0 => cap.access_type = Some(AccessType::Block(Default::default())),
                1 => cap.access_type = None,
                2 => {
                    if let Some(AccessType::Mount(m)) = cap.access_type.as_mut() {
                        m.fs_type = "ext4".into()
                    }
                }
                3 => {
                    if let Some(AccessType::Mount(m)) = cap.access_type.as_mut() {
                        m.volume_mount_group = "wheel".into()
                    }
                }
                _ => r.staging_target_path = format!("{kubelet}/staging"),
            }
            vec![InvalidArgument]
        }
        Mutation::BadTokens(t) => {
            r.secrets.insert(
                "csi.storage.k8s.io/serviceAccount.tokens".into(),
                t.0.clone(),
            );
            vec![InvalidArgument, Unavailable]
        }
        Mutation::ClassFileName(i) => {
            ctx(&mut r, "connector.name", "evil-c");
            ctx(&mut r, "configuration.names", &format!("evil-{i}"));
            vec![FailedPrecondition]
        }
        Mutation::BrokenTemplate(i) => {
            ctx(&mut r, "connector.name", "broken-c");
            ctx(&mut r, "configuration.names", &format!("broken-{i}"));
            vec![FailedPrecondition]
        }
        Mutation::RandomTemplate(t) => {
            class = Some(rand_tpl_class(t));
            ctx(&mut r, "connector.name", "rand-c");
            ctx(&mut r, "configuration.names", "rt");
            vec![FailedPrecondition]
        }
        Mutation::HugeOutput => {
            ctx(&mut r, "connector.name", "huge-c");
            ctx(&mut r, "configuration.names", "big");
            vec![InvalidArgument, ResourceExhausted]
        }
        Mutation::UnknownConfiguration(c) => {
            ctx(&mut r, "configuration.names", c);
            vec![NotFound]
        }
        Mutation::InvalidUtf8 { field, pos, bytes } => {
            let mut raw = RawPublishRequest::from_typed(&r);
            let poison = |v: &mut Vec<u8>| {
                let p = (*pos).min(v.len());
                v.splice(p..p, bytes.iter().copied());
            };
            match field {
                0 => poison(&mut raw.volume_id),
                1 => poison(&mut raw.target_path),
                2 => raw.volume_context.push(RawEntry {
                    key: [b"x".as_slice(), bytes].concat(),
                    value: b"v".to_vec(),
                }),
                3 => {
                    let e = raw
                        .volume_context
                        .iter_mut()
                        .find(|e| e.key == b"connector.name")
                        .unwrap();
                    poison(&mut e.value);
                }
                _ => {
                    let e = raw.secrets.first_mut().unwrap();
                    poison(&mut e.value);
                }
            }
            return (Req::Raw(raw), vec![Internal, InvalidArgument], None);
        }
        Mutation::DuplicateWireKey(bad) => {
            // Protobuf maps: the last entry of a duplicated key wins, so a good value followed
            // by a bad one must be rejected.
            let mut raw = RawPublishRequest::from_typed(&r);
            raw.volume_context.push(RawEntry {
                key: b"connector.name".to_vec(),
                value: bad.as_bytes().to_vec(),
            });
            return (Req::Raw(raw), vec![InvalidArgument], None);
        }
    };
    (Req::Typed(r), codes, class)
}
