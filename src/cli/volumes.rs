//! `connectors-csi volumes`: what a node's driver holds, for whom, and when it refreshes. Reads
//! the state directory (static fields) and asks the running driver's `/debug/volumes` (served
//! only with `--enable-debug-volumes`) for the live ones (condition, last refresh, last error);
//! without an answer it shows the state directory alone and says why; prints a table or JSON.
//! Never prints a token: the state files hold one, and only the fields of [`VolumeReport`] are
//! read out of them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, ValueEnum};
use jiff::Timestamp;
use serde_json::json;

use crate::driver::{report_from_state, VolumeReport};
use crate::volume::state::VolumeState;

/// Flags of `volumes`.
#[derive(Args, Debug, Clone)]
pub struct VolumesArgs {
    /// The driver's state directory.
    #[arg(long, env = "STATE_DIR", default_value = super::serve::DEFAULT_STATE_DIR)]
    pub state_dir: PathBuf,
    /// Where the running driver serves /debug/volumes (its --metrics-address; the driver serves
    /// it only with --enable-debug-volumes); empty to read the state directory only. Without an
    /// answer the command shows the state directory alone and says why.
    #[arg(long, default_value = "http://127.0.0.1:9810")]
    pub driver_url: String,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = Output::Table)]
    pub output: Output,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum Output {
    Table,
    Json,
}

pub async fn run(args: VolumesArgs) -> ExitCode {
    let states = match read_states(&args.state_dir) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("connectors-csi volumes: {e}");
            return ExitCode::FAILURE;
        }
    };
    let doc = if args.driver_url.is_empty() {
        Err("not asked (--driver-url is empty)".to_string())
    } else {
        fetch_live_doc(&args.driver_url).await
    };
    let live = doc.as_ref().map_err(Clone::clone).and_then(volumes_of);
    let flags = doc
        .as_ref()
        .ok()
        .map(|d| d["featureFlags"].clone())
        .filter(|f| !f.is_null());
    let (volumes, problems) = merge(states, live.as_ref().ok());
    match args.output {
        Output::Json => {
            let doc = json!({
                "stateDir": args.state_dir,
                "driver": match &live {
                    Ok(_) => json!({"url": args.driver_url, "reachable": true, "featureFlags": flags}),
                    Err(e) => json!({"url": args.driver_url, "reachable": false, "error": e}),
                },
                "unreadable": problems,
                "volumes": volumes,
            });
            println!("{}", serde_json::to_string_pretty(&doc).expect("JSON"));
        }
        Output::Table => {
            print!("{}", table(&volumes, Timestamp::now()));
            if let Some(f) = &flags {
                println!("\n{}", crate::features::summary(f));
            }
            if let Err(e) = &live {
                eprintln!("live fields unavailable: the driver at {} did not answer ({e}); showing the state directory only", args.driver_url);
            }
            for p in &problems {
                eprintln!("unreadable state file: {p}");
            }
        }
    }
    ExitCode::SUCCESS
}

/// Every readable state in `<state_dir>/volumes`, and the unreadable files with why. Read-only:
/// unlike the driver's recovery it removes nothing.
pub fn read_states(state_dir: &Path) -> Result<Vec<Result<VolumeState, String>>, String> {
    let dir = state_dir.join("volumes");
    let entries = std::fs::read_dir(&dir).map_err(|e| {
        format!(
            "cannot read {}: {e} (run it on the node, as root, with the driver's --state-dir)",
            dir.display()
        )
    })?;
    let mut out = Vec::new();
    for e in entries.flatten() {
        let path = e.path();
        if path.extension().and_then(|x| x.to_str()) != Some("json") {
            continue;
        }
        out.push(
            std::fs::read(&path)
                .map_err(|e| e.to_string())
                .and_then(|b| serde_json::from_slice::<VolumeState>(&b).map_err(|e| e.to_string()))
                .map_err(|e| format!("{}: {e}", path.display())),
        );
    }
    Ok(out)
}

/// Asks the driver for its live view of the volumes (`/debug/volumes`).
pub async fn fetch_live(url: &str) -> Result<Vec<VolumeReport>, String> {
    volumes_of(&fetch_live_doc(url).await?)
}

/// The driver's `/debug/volumes` document (volumes and the feature flags in force).
pub async fn fetch_live_doc(url: &str) -> Result<serde_json::Value, String> {
    let body = tokio::time::timeout(Duration::from_secs(3), http_get(url, "/debug/volumes"))
        .await
        .map_err(|_| "timed out after 3s".to_string())??;
    serde_json::from_slice(&body).map_err(|e| format!("not JSON: {e}"))
}

fn volumes_of(doc: &serde_json::Value) -> Result<Vec<VolumeReport>, String> {
    serde_json::from_value(doc["volumes"].clone()).map_err(|e| format!("unexpected answer: {e}"))
}

async fn http_get(base: &str, path: &str) -> Result<Vec<u8>, String> {
    use http_body_util::{BodyExt, Empty};
    let url = url::Url::parse(base).map_err(|e| format!("--driver-url {base:?}: {e}"))?;
    if url.scheme() != "http" {
        return Err(format!("--driver-url {base:?}: only http:// is served"));
    }
    let host = url.host_str().unwrap_or("127.0.0.1").to_string();
    let port = url.port().unwrap_or(80);
    let stream = tokio::net::TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|e| e.to_string())?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    let req = hyper::Request::get(path)
        .header(hyper::header::HOST, format!("{host}:{port}"))
        .body(Empty::<hyper::body::Bytes>::new())
        .map_err(|e| e.to_string())?;
    let resp = sender.send_request(req).await.map_err(|e| e.to_string())?;
    let status = resp.status();
    let body = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    if !status.is_success() {
        // The driver's one-line reason (e.g. how to turn /debug/volumes on), bounded.
        let reason: String = String::from_utf8_lossy(&body)
            .lines()
            .next()
            .unwrap_or_default()
            .chars()
            .take(300)
            .collect();
        return Err(if reason.is_empty() {
            format!("{path} answered {status}")
        } else {
            format!("{path} answered {status}: {reason}")
        });
    }
    Ok(body.to_vec())
}

/// State reports with the live fields of the same volume laid over them (the driver's view is
/// fresher), plus live volumes without a state file. Sorted by pod, then volume.
pub fn merge(
    states: Vec<Result<VolumeState, String>>,
    live: Option<&Vec<VolumeReport>>,
) -> (Vec<VolumeReport>, Vec<String>) {
    let mut by_id: BTreeMap<String, VolumeReport> = BTreeMap::new();
    let mut problems = Vec::new();
    for s in states {
        match s {
            Ok(st) => {
                by_id.insert(st.volume_id.clone(), report_from_state(&st));
            }
            Err(e) => problems.push(e),
        }
    }
    for r in live.into_iter().flatten() {
        by_id.insert(r.volume_id.clone(), r.clone());
    }
    let mut out: Vec<VolumeReport> = by_id.into_values().collect();
    out.sort_by(|a, b| {
        (&a.pod.namespace, &a.pod.name, &a.volume_id).cmp(&(
            &b.pod.namespace,
            &b.pod.name,
            &b.volume_id,
        ))
    });
    (out, problems)
}

/// `5s ago`, `in 12m`, `-` (relative to `now`, coarse).
pub fn relative(t: Option<Timestamp>, now: Timestamp) -> String {
    let Some(t) = t else { return "-".into() };
    let secs = t.as_second() - now.as_second();
    let a = secs.unsigned_abs();
    let d = if a < 120 {
        format!("{a}s")
    } else if a < 7200 {
        format!("{}m", a / 60)
    } else if a < 172_800 {
        format!("{}h", a / 3600)
    } else {
        format!("{}d", a / 86_400)
    };
    if secs <= 0 {
        format!("{d} ago")
    } else {
        format!("in {d}")
    }
}

/// The table `volumes` prints.
pub fn table(volumes: &[VolumeReport], now: Timestamp) -> String {
    let header = [
        "POD",
        "VOLUME",
        "CONNECTORS",
        "CONFIGURATIONS",
        "TOKEN",
        "EXPIRES",
        "LAST REFRESH",
        "NEXT REFRESH",
        "CONDITION",
        "LAST ERROR",
    ];
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|s| s.to_string()).collect()];
    for v in volumes {
        let live = v.live.as_ref();
        let mut error = live
            .and_then(|l| l.last_error.clone())
            .unwrap_or_else(|| "-".into());
        if error.chars().count() > 60 {
            error = error.chars().take(57).collect::<String>() + "...";
        }
        rows.push(vec![
            format!("{}/{}", v.pod.namespace, v.pod.name),
            v.volume_id.clone(),
            join(&v.connectors),
            join(&v.configurations),
            if v.token_origin.is_empty() {
                "-".into()
            } else {
                v.token_origin.clone()
            },
            relative(v.token_expires_at, now),
            match live {
                Some(l) => match (&l.last_refresh, &l.last_refresh_result) {
                    (Some(t), Some(r)) => format!("{} ({r})", relative(Some(*t), now)),
                    _ => "-".into(),
                },
                None => format!("{} (written)", relative(v.rendered_at, now)),
            },
            relative(v.next_refresh, now),
            live.map_or_else(|| "?".into(), |l| format!("{:?}", l.condition)),
            error,
        ]);
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in rows {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

fn join(v: &[String]) -> String {
    if v.is_empty() {
        "-".into()
    } else {
        v.join(",")
    }
}
