//! The scrape of a running driver: the process metrics, and every metric name the alerts and the
//! dashboard use (a small PromQL tokenizer finds them).

use std::path::Path;

use serde_json::Value;

use super::{http_get, Node};

#[test]
fn the_scrape_has_process_metrics() {
    let node = Node::start();
    let (code, body) = http_get(node.port, "/metrics");
    assert_eq!(code, 200);
    for m in [
        "process_cpu_seconds_total ",
        "process_resident_memory_bytes ",
        "process_virtual_memory_bytes ",
        "process_start_time_seconds ",
        "process_open_fds ",
        "process_max_fds ",
        "process_threads ",
        "connectors_csi_volumes ",
    ] {
        assert!(body.contains(m), "{m} missing from:\n{body}");
    }
    let rss: f64 = body
        .lines()
        .find_map(|l| l.strip_prefix("process_resident_memory_bytes "))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(rss > 1e6 && rss < 1e9, "{rss}");
}

/// Metric names a PromQL expression reads: identifiers outside strings, label matchers,
/// `by`/`without`/`on`/`ignoring`/`group_*` lists and range selectors, that are not followed by
/// `(` (functions) and are not operators or keywords.
fn promql_metrics(expr: &str) -> Vec<String> {
    // Drop strings and {...} / [...] contents.
    let mut s = String::new();
    let (mut depth_brace, mut depth_bracket, mut in_str) = (0, 0, false);
    for c in expr.chars() {
        match c {
            '"' if depth_brace == 0 => in_str = !in_str,
            _ if in_str => {}
            '{' => depth_brace += 1,
            '}' => depth_brace -= 1,
            '[' => depth_bracket += 1,
            ']' => depth_bracket -= 1,
            _ if depth_brace > 0 || depth_bracket > 0 => {}
            c => s.push(c),
        }
        if (c == '}' && depth_brace == 0) || (c == ']' && depth_bracket == 0) {
            s.push(' ');
        }
    }
    const KEYWORDS: &[&str] = &[
        "and",
        "or",
        "unless",
        "bool",
        "offset",
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "sum",
        "min",
        "max",
        "avg",
        "count",
        "group",
        "stddev",
        "stdvar",
        "topk",
        "bottomk",
        "quantile",
        "count_values",
    ];
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let mut skip_list = false;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_alphabetic() || c == '_' || c == ':' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == ':')
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let mut j = i;
            while j < chars.len() && chars[j] == ' ' {
                j += 1;
            }
            let call = chars.get(j) == Some(&'(');
            if [
                "by",
                "without",
                "on",
                "ignoring",
                "group_left",
                "group_right",
            ]
            .contains(&word.as_str())
            {
                skip_list = true;
                continue;
            }
            if call || KEYWORDS.contains(&word.as_str()) || (start > 0 && chars[start - 1] == '$') {
                continue;
            }
            out.push(word);
            continue;
        }
        if c == '(' && skip_list {
            // The label list of by/on/...: skip to its ')'.
            while i < chars.len() && chars[i] != ')' {
                i += 1;
            }
            skip_list = false;
        }
        i += 1;
    }
    out
}

/// Every sample name the scrape can have: the samples present, and for each `# TYPE` the names
/// its samples take (counter `_total`, histogram `_bucket`/`_sum`/`_count`), so a labelled
/// family with no sample yet still counts as exported.
fn exported_names(scrape: &str) -> std::collections::BTreeSet<String> {
    let mut names = std::collections::BTreeSet::new();
    for l in scrape.lines() {
        if let Some(t) = l.strip_prefix("# TYPE ") {
            let mut p = t.split_whitespace();
            let (name, kind) = (p.next().unwrap(), p.next().unwrap());
            match kind {
                "counter" => {
                    names.insert(format!("{}_total", name.trim_end_matches("_total")));
                }
                "histogram" => {
                    for suffix in ["_bucket", "_sum", "_count"] {
                        names.insert(format!("{name}{suffix}"));
                    }
                }
                _ => {
                    names.insert(name.to_string());
                }
            }
        } else if !l.starts_with('#') && !l.is_empty() {
            let end = l.find(['{', ' ']).unwrap_or(l.len());
            names.insert(l[..end].to_string());
        }
    }
    names
}

#[test]
fn promql_metric_names_are_extracted() {
    assert_eq!(
        promql_metrics(
            r#"histogram_quantile(0.99, sum by (namespace, le) (rate(a_bucket{code!="OK", x=~"$ns"}[5m]))) > 1 and on (pod) max by (pod) (b) > 0"#
        ),
        vec!["a_bucket", "b"]
    );
    assert_eq!(
        promql_metrics("rate(process_cpu_seconds_total{pod=~\"$pod\"}[5m])"),
        vec!["process_cpu_seconds_total"]
    );
}

#[test]
fn alerts_and_dashboard_use_only_metrics_a_running_driver_exports() {
    let node = Node::start();
    let (code, scrape) = http_get(node.port, "/metrics");
    assert_eq!(code, 200);
    let exported = exported_names(&scrape);
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut exprs: Vec<(String, String)> = Vec::new();
    let rule: serde_yaml::Value = serde_yaml::from_str(
        &std::fs::read_to_string(repo.join("deploy/components/monitoring/prometheusrule.yaml"))
            .unwrap(),
    )
    .expect("the PrometheusRule parses");
    for g in rule["spec"]["groups"].as_sequence().unwrap() {
        for r in g["rules"].as_sequence().unwrap() {
            exprs.push((
                r["alert"].as_str().unwrap().to_string(),
                r["expr"].as_str().unwrap().to_string(),
            ));
        }
    }
    let dash: Value = serde_json::from_str(
        &std::fs::read_to_string(repo.join("deploy/components/monitoring/dashboard.json")).unwrap(),
    )
    .expect("the dashboard is JSON");
    for p in dash["panels"].as_array().unwrap() {
        for t in p["targets"].as_array().unwrap() {
            exprs.push((
                format!("panel {:?}", p["title"]),
                t["expr"].as_str().unwrap().to_string(),
            ));
        }
    }
    for v in dash["templating"]["list"].as_array().unwrap() {
        if let Some(q) = v["query"]
            .as_str()
            .and_then(|q| q.strip_prefix("label_values("))
        {
            exprs.push((
                format!("variable {}", v["name"]),
                q.rsplit_once(',').unwrap().0.to_string(),
            ));
        }
    }
    assert!(exprs.len() >= 20, "{exprs:?}");
    let mut used = std::collections::BTreeSet::new();
    for (what, e) in &exprs {
        let names = promql_metrics(e);
        assert!(!names.is_empty(), "{what}: no metric found in {e}");
        for n in names {
            assert!(exported.contains(&n), "{what} uses {n}, which the driver does not export.\nexpr: {e}\nexported: {exported:?}");
            used.insert(n);
        }
    }
    println!(
        "{} expressions use {} exported metrics: {used:?}",
        exprs.len(),
        used.len()
    );
    for must in [
        "process_resident_memory_bytes",
        "process_cpu_seconds_total",
        "connectors_csi_rotation_latency_seconds_bucket",
        "connectors_csi_token_min_seconds_to_expiry",
    ] {
        assert!(used.contains(must), "the assets should show {must}");
    }
}
