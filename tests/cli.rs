//! The binary's subcommands as a user runs them: `demo`, `render`, `serve` + `csi` client,
//! metrics/health endpoints, graceful shutdown.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_connectors-csi");

fn root() -> bool {
    if nix::unistd::geteuid().is_root() {
        true
    } else {
        eprintln!("SKIP: needs root to mount tmpfs");
        false
    }
}

#[test]
fn demo_runs_end_to_end() {
    let out = Command::new(BIN)
        .arg("demo")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "demo failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("kubeconfig"), "{stdout}");
    assert!(stdout.contains("proxy-url"), "{stdout}");
    assert!(stdout.contains("****"), "token masked: {stdout}");
    assert!(!stdout.contains("demo-token-"), "token leaked: {stdout}");
    assert!(stdout.contains("files updated"), "{stdout}");
    assert!(
        stdout.contains("target exists afterwards: false"),
        "{stdout}"
    );
}

#[test]
fn render_prints_files_and_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/examples");
    // Split the example objects into one file per object for --connector / --class.
    let mut connector = None;
    let mut class = None;
    for f in ["connectors.yaml", "classes.yaml"] {
        let text = std::fs::read_to_string(examples.join(f)).unwrap();
        for d in serde_yaml::Deserializer::from_str(&text) {
            let v: serde_yaml::Value = serde::Deserialize::deserialize(d).unwrap();
            let kind = v
                .get("kind")
                .and_then(|k| k.as_str())
                .unwrap_or_default()
                .to_string();
            let name = v["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if kind == "Connector" && name == "k8s-demo" {
                connector = Some(serde_yaml::to_string(&v).unwrap());
            }
            if kind == "ConnectorClass" && name == "k8s" {
                class = Some(serde_yaml::to_string(&v).unwrap());
            }
        }
    }
    std::fs::write(
        dir.path().join("c.yaml"),
        connector.expect("example k8s connector"),
    )
    .unwrap();
    std::fs::write(dir.path().join("k.yaml"), class.expect("example k8s class")).unwrap();
    let out = Command::new(BIN)
        .args(["render", "--connector"])
        .arg(dir.path().join("c.yaml"))
        .arg("--class")
        .arg(dir.path().join("k.yaml"))
        .args(["--configuration", "kubeconfig", "--token", "render-tok"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("==> kubeconfig <=="));
    assert!(stdout.contains("proxy-url"));
    let out = Command::new(BIN)
        .args(["render", "--connector"])
        .arg(dir.path().join("c.yaml"))
        .arg("--class")
        .arg(dir.path().join("k.yaml"))
        .args(["--configuration", "nope"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("\"nope\"") && stderr.contains("available"),
        "{stderr}"
    );
}

/// Every object of the example files, as YAML text by `(kind, name)`.
fn example_objects() -> Vec<(String, String, String)> {
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/examples");
    let mut out = Vec::new();
    for f in ["connectors.yaml", "classes.yaml"] {
        let text = std::fs::read_to_string(examples.join(f)).unwrap();
        for d in serde_yaml::Deserializer::from_str(&text) {
            let v: serde_yaml::Value = serde::Deserialize::deserialize(d).unwrap();
            let kind = v["kind"].as_str().unwrap_or_default().to_string();
            let name = v["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            out.push((kind, name, serde_yaml::to_string(&v).unwrap()));
        }
    }
    out
}

fn example(kind: &str, name: &str) -> String {
    example_objects()
        .into_iter()
        .find(|(k, n, _)| k == kind && n == name)
        .map(|(_, _, y)| y)
        .unwrap_or_else(|| panic!("no example {kind} {name}"))
}

fn run_render(args: &[&std::ffi::OsStr]) -> (bool, String, String) {
    let out = Command::new(BIN).arg("render").args(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The token the render golden files were made with.
const GOLDEN_TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6YXBwczpidWlsZGVyIn0.ZmFrZS1zaWduYXR1cmU";

#[test]
fn render_takes_several_connectors_and_folders() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    std::fs::write(p("git.yaml"), example("Connector", "git-demo")).unwrap();
    std::fs::write(p("oci.yaml"), example("Connector", "oci-demo")).unwrap();
    let classes =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/examples/classes.yaml");

    // Two --connector files, classes by name from --class: the golden multi-connector volume.
    let out = p("out");
    let (ok, _, err) = run_render(&[
        "--connector".as_ref(),
        p("git.yaml").as_os_str(),
        "--connector".as_ref(),
        p("oci.yaml").as_os_str(),
        "--class".as_ref(),
        classes.as_os_str(),
        "--configuration".as_ref(),
        "gitconfig,registry-config".as_ref(),
        "--token".as_ref(),
        GOLDEN_TOKEN.as_ref(),
        "--pod-namespace".as_ref(),
        "apps".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert!(ok, "{err}");
    let golden =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/render/multi-git-oci");
    let mut names: Vec<String> = std::fs::read_dir(&golden)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut got: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    got.sort();
    assert_eq!(got, names);
    for n in &names {
        assert_eq!(
            std::fs::read(out.join(n)).unwrap(),
            std::fs::read(golden.join(n)).unwrap(),
            "{n} differs from the golden multi-git-oci volume"
        );
    }

    // A template over `.connectors`, with every object in one folder.
    let folder = p("folder");
    std::fs::create_dir(&folder).unwrap();
    std::fs::copy(p("git.yaml"), folder.join("1-git.yaml")).unwrap();
    std::fs::copy(p("oci.yaml"), folder.join("2-oci.yaml")).unwrap();
    std::fs::write(
        folder.join("classes.yaml"),
        example_objects()
            .into_iter()
            .filter(|(k, _, _)| k == "ConnectorClass")
            .map(|(_, _, y)| format!("---\n{y}"))
            .collect::<String>()
            + r#"---
apiVersion: connectors.alauda.io/v1alpha1
kind: ConnectorClass
metadata: {name: git}
spec:
  configurations:
  - name: all
    data:
      all.txt: "{{ range .connectors }}{{ .metadata.name }} {{ .spec.address }}\n{{ end }}"
"#,
    )
    .unwrap();
    let (ok, stdout, err) = run_render(&[
        "--connector".as_ref(),
        folder.as_os_str(),
        "--configuration".as_ref(),
        "all".as_ref(),
    ]);
    assert!(ok, "{err}");
    let git_addr = example("Connector", "git-demo");
    let git_addr = git_addr
        .lines()
        .find_map(|l| l.trim().strip_prefix("address: "))
        .unwrap();
    assert!(
        stdout.contains(&format!("==> all.txt <==\ngit-demo {git_addr}\noci-demo ")),
        "{stdout}"
    );
    // The proxy username lists both connectors, as for a `connectors: a,b` volume.
    assert!(
        stdout.contains("default%2Fgit-demo,default%2Foci-demo:"),
        "{stdout}"
    );

    // A class that is not given is named in the error.
    let (ok, _, err) = run_render(&[
        "--connector".as_ref(),
        p("git.yaml").as_os_str(),
        "--connector".as_ref(),
        p("oci.yaml").as_os_str(),
    ]);
    assert!(!ok);
    assert!(
        err.contains("default/git-demo") && err.contains("\"git\"") && err.contains("--class"),
        "{err}"
    );
    // The same connector twice is refused.
    let (ok, _, err) = run_render(&[
        "--connector".as_ref(),
        p("git.yaml").as_os_str(),
        "--connector".as_ref(),
        p("git.yaml").as_os_str(),
        "--class".as_ref(),
        classes.as_os_str(),
    ]);
    assert!(!ok && err.contains("given twice"), "{err}");
}

#[test]
fn render_accepts_free_form_values_and_objects_without_spec() {
    use test_support::crd_shapes;
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, v: &serde_json::Value| {
        let path = dir.path().join(name);
        std::fs::write(&path, serde_yaml::to_string(v).unwrap()).unwrap();
        path
    };
    let objects: std::collections::BTreeMap<_, _> = crd_shapes::connectors()
        .into_iter()
        .chain(crd_shapes::classes())
        .collect();
    let class = write("class.yaml", &objects[crd_shapes::CLASS]);
    let params = write("params.yaml", &objects["ff-params"]);
    let (ok, stdout, err) = run_render(&[
        "--connector".as_ref(),
        params.as_os_str(),
        "--class".as_ref(),
        class.as_os_str(),
        "--configuration".as_ref(),
        "show".as_ref(),
    ]);
    assert!(ok, "{err}");
    assert!(
        stdout.contains(&format!("==> out.txt <==\n{}", crd_shapes::SHOW_EXPECTED)),
        "{stdout}"
    );
    for name in ["ff-auth-list", "ff-auth-map", "ff-no-spec"] {
        let c = write(&format!("{name}.yaml"), &objects[name]);
        let no_spec_class = write("empty.yaml", &objects["ff-class-no-spec"]);
        let (ok, stdout, err) = run_render(&[
            "--connector".as_ref(),
            c.as_os_str(),
            "--class".as_ref(),
            no_spec_class.as_os_str(),
        ]);
        assert!(ok, "{name}: {err}");
        assert!(stdout.contains("==> http.proxy <=="), "{name}: {stdout}");
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn http_get(port: u16, path: &str) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut buf = String::new();
    s.read_to_string(&mut buf).unwrap();
    let code = buf
        .split_whitespace()
        .nth(1)
        .unwrap_or("0")
        .parse()
        .unwrap_or(0);
    (code, buf)
}

#[test]
fn serve_answers_the_csi_client_and_exposes_metrics() {
    if !root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("csi.sock");
    let kubelet = dir.path().join("kubelet");
    std::fs::create_dir_all(&kubelet).unwrap();
    let port = free_port();
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/examples");
    let mut child = Command::new(BIN)
        .args(["serve", "--node-id", "node-a", "--endpoint"])
        .arg(format!("unix://{}", sock.display()))
        .arg("--source")
        .arg(format!("dir:{}", examples.display()))
        .arg("--kubelet-dir")
        .arg(&kubelet)
        .arg("--state-dir")
        .arg(dir.path().join("state"))
        .args(["--legacy-state-dir", ""])
        .args([
            "--metrics-address",
            &format!("127.0.0.1:{port}"),
            "--log-format",
            "json",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let logs = std::thread::spawn(move || {
        BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<_>>()
    });
    let t0 = Instant::now();
    while !sock.exists() && t0.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(sock.exists(), "socket created");
    let csi = |args: &[&str]| {
        Command::new(BIN)
            .arg("csi")
            .arg("--endpoint")
            .arg(&sock)
            .args(args)
            .output()
            .unwrap()
    };
    // A wrong socket: the error says what to check, including other clients' authority.
    let missing = Command::new(BIN)
        .args(["csi", "--endpoint"])
        .arg(dir.path().join("nope.sock"))
        .arg("info")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(!missing.status.success());
    assert!(
        err.contains("cannot connect") && err.contains("grpc.default_authority"),
        "{err}"
    );
    let info = csi(&["info"]);
    let text = String::from_utf8_lossy(&info.stdout);
    assert!(
        info.status.success(),
        "{}",
        String::from_utf8_lossy(&info.stderr)
    );
    assert!(
        text.contains("connectors-csi")
            && text.contains("node-a")
            && text.contains("VOLUME_MOUNT_GROUP"),
        "{text}"
    );

    let target = kubelet.join("pods/p/volumes/kubernetes.io~csi/v/mount");
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    let t = target.to_str().unwrap();
    let out = csi(&[
        "publish",
        "--volume-id",
        "v1",
        "--target",
        t,
        "--attr",
        "connector.name=k8s-demo",
        "--attr",
        "csi.storage.k8s.io/pod.namespace=default",
        "--attr",
        "configuration.names=kubeconfig",
        "--token",
        "connectors-proxy=cli-token-value",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(target.join("kubeconfig").exists());
    // Errors come back in plain words.
    let out = csi(&[
        "publish",
        "--volume-id",
        "v2",
        "--target",
        t,
        "--attr",
        "connector.name=ghost",
        "--attr",
        "csi.storage.k8s.io/pod.namespace=default",
        "--token",
        "connectors-proxy=x",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("does not exist") && err.contains("NotFound") && err.contains("ghost"),
        "{err}"
    );

    let (code, body) = http_get(port, "/metrics");
    assert_eq!(code, 200);
    assert!(
        body.contains("connectors_csi_publish_total{code=\"OK\"} 1"),
        "{body}"
    );
    assert!(
        body.contains("connectors_csi_publish_total{code=\"NotFound\"} 1"),
        "{body}"
    );
    assert!(body.contains("connectors_csi_volumes 1"), "{body}");
    assert!(body.contains("connectors_csi_source_synced 1"), "{body}");
    assert!(!body.contains("v1"), "no per-volume labels");
    assert_eq!(http_get(port, "/healthz").0, 200);
    assert_eq!(http_get(port, "/readyz").0, 200);

    let out = csi(&["unpublish", "--volume-id", "v1", "--target", t]);
    assert!(out.status.success());
    assert!(!target.exists());

    // SIGTERM: graceful shutdown removes the socket.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert!(!sock.exists(), "socket removed on shutdown");
    let logs = logs.join().unwrap();
    assert!(logs.iter().any(|l| l.starts_with('{')), "json logs");
    assert!(
        !logs.iter().any(|l| l.contains("cli-token-value")),
        "token never logged"
    );
}
