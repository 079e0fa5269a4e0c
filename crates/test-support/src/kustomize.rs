//! A test-only `kustomize build` for the features `deploy/` uses: `resources` (files and
//! directories), `components` (their resources, patches and `configMapGenerator`s with `files`
//! and `options.labels`, names without hash suffix), `namespace`, `images` and
//! strategic-merge `patches` (maps merge, lists of named items merge by `name`, the rest
//! replaces). It is not kustomize; `kubectl kustomize` was compared by hand (docs/install.md).

use std::path::Path;

use serde_yaml::Value;

/// Kinds that have no namespace (the ones this repository's manifests use).
const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleBinding",
    "CSIDriver",
    "StorageClass",
    "PriorityClass",
];

fn docs(path: &Path) -> Vec<Value> {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_yaml::Deserializer::from_str(&text)
        .map(|d| {
            <Value as serde::Deserialize>::deserialize(d)
                .unwrap_or_else(|e| panic!("{} is not YAML: {e}", path.display()))
        })
        .filter(|v| !v.is_null())
        .collect()
}

fn kustomization(dir: &Path) -> Value {
    docs(&dir.join("kustomization.yaml")).remove(0)
}

fn entries<'a>(k: &'a Value, field: &str) -> impl Iterator<Item = &'a Value> {
    k.get(field)
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
}

fn str_of<'a>(v: &'a Value, field: &str) -> &'a str {
    v.get(field).and_then(Value::as_str).unwrap_or_default()
}

fn meta<'a>(o: &'a Value, field: &str) -> &'a str {
    o.get("metadata")
        .map(|m| str_of(m, field))
        .unwrap_or_default()
}

/// Strategic-merge `patch` into `base`.
pub fn strategic_merge(base: &mut Value, patch: &Value) {
    match (base, patch) {
        (Value::Mapping(b), Value::Mapping(p)) => {
            for (k, v) in p {
                match b.get_mut(k) {
                    Some(slot) => strategic_merge(slot, v),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (Value::Sequence(b), Value::Sequence(p))
            if p.iter().chain(b.iter()).all(|x| x.get("name").is_some()) =>
        {
            for item in p {
                match b.iter_mut().find(|x| x.get("name") == item.get("name")) {
                    Some(slot) => strategic_merge(slot, item),
                    None => b.push(item.clone()),
                }
            }
        }
        (slot, v) => *slot = v.clone(),
    }
}

fn apply_patches(dir: &Path, k: &Value, objects: &mut [Value]) {
    for p in entries(k, "patches") {
        let patch = docs(&dir.join(str_of(p, "path"))).remove(0);
        let (kind, name) = (str_of(&patch, "kind"), meta(&patch, "name"));
        let target = objects
            .iter_mut()
            .find(|o| str_of(o, "kind") == kind && meta(o, "name") == name)
            .unwrap_or_else(|| {
                panic!(
                    "{}: patch for {kind} {name} matches no resource",
                    dir.display()
                )
            });
        strategic_merge(target, &patch);
    }
}

fn set_images(k: &Value, objects: &mut [Value]) {
    for img in entries(k, "images") {
        let from = str_of(img, "name");
        let to = format!("{}:{}", str_of(img, "newName"), str_of(img, "newTag"));
        for o in objects.iter_mut() {
            let Some(spec) = o
                .get_mut("spec")
                .and_then(|s| s.get_mut("template"))
                .and_then(|t| t.get_mut("spec"))
            else {
                continue;
            };
            for list in ["containers", "initContainers"] {
                for c in spec
                    .get_mut(list)
                    .and_then(Value::as_sequence_mut)
                    .into_iter()
                    .flatten()
                {
                    let image = str_of(c, "image");
                    let base = image.split(['@', ':']).next().unwrap_or_default();
                    if base == from {
                        c.as_mapping_mut()
                            .expect("container is a map")
                            .insert("image".into(), Value::from(to.clone()));
                    }
                }
            }
        }
    }
}

fn set_namespace(ns: &str, objects: &mut [Value]) {
    for o in objects.iter_mut() {
        let kind = str_of(o, "kind").to_string();
        if !CLUSTER_SCOPED.contains(&kind.as_str()) {
            if let Some(m) = o.get_mut("metadata").and_then(Value::as_mapping_mut) {
                m.insert("namespace".into(), Value::from(ns));
            }
        }
        // kustomize sets the namespace of binding subjects named `default` only.
        if kind.ends_with("RoleBinding") {
            for s in o
                .get_mut("subjects")
                .and_then(Value::as_sequence_mut)
                .into_iter()
                .flatten()
            {
                if str_of(s, "name") == "default" {
                    s.as_mapping_mut()
                        .expect("subject is a map")
                        .insert("namespace".into(), Value::from(ns));
                }
            }
        }
    }
}

/// `kustomize build <dir>`: every object, in resource order.
pub fn build(dir: &Path) -> Vec<Value> {
    let k = kustomization(dir);
    let mut objects = Vec::new();
    for r in entries(&k, "resources") {
        let path = dir.join(r.as_str().expect("resources are paths"));
        if path.is_dir() {
            objects.extend(build(&path));
        } else {
            objects.extend(docs(&path));
        }
    }
    for c in entries(&k, "components") {
        add_component(
            &dir.join(c.as_str().expect("components are paths")),
            &mut objects,
        );
    }
    apply_patches(dir, &k, &mut objects);
    if let Some(ns) = k.get("namespace").and_then(Value::as_str) {
        set_namespace(ns, &mut objects);
    }
    set_images(&k, &mut objects);
    objects
}

/// Adds a kustomize Component: its resources, then its patches over everything so far.
fn add_component(cdir: &Path, objects: &mut Vec<Value>) {
    let ck = kustomization(cdir);
    assert_eq!(
        str_of(&ck, "kind"),
        "Component",
        "{} is not a kustomize Component",
        cdir.display()
    );
    for r in entries(&ck, "resources") {
        objects.extend(docs(&cdir.join(r.as_str().expect("resources are paths"))));
    }
    objects.extend(generated_config_maps(cdir, &ck));
    apply_patches(cdir, &ck, objects);
}

/// The ConfigMaps of `configMapGenerator` (`files: [key=path | path]`, `options.labels`).
fn generated_config_maps(dir: &Path, k: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    for g in entries(k, "configMapGenerator") {
        let mut data = serde_yaml::Mapping::new();
        for f in entries(g, "files") {
            let f = f.as_str().expect("files are strings");
            let (key, path) = f
                .split_once('=')
                .unwrap_or((f.rsplit('/').next().unwrap(), f));
            let text = std::fs::read_to_string(dir.join(path))
                .unwrap_or_else(|e| panic!("configMapGenerator file {path}: {e}"));
            data.insert(key.into(), text.into());
        }
        let mut meta = serde_yaml::Mapping::new();
        meta.insert("name".into(), Value::from(str_of(g, "name")));
        if let Some(ns) = g.get("namespace") {
            meta.insert("namespace".into(), ns.clone());
        }
        if let Some(l) = g.get("options").and_then(|o| o.get("labels")) {
            meta.insert("labels".into(), l.clone());
        }
        let mut cm = serde_yaml::Mapping::new();
        cm.insert("apiVersion".into(), "v1".into());
        cm.insert("kind".into(), "ConfigMap".into());
        cm.insert("metadata".into(), Value::Mapping(meta));
        cm.insert("data".into(), Value::Mapping(data));
        out.push(Value::Mapping(cm));
    }
    out
}

/// Builds `base` with `components` added, as an overlay without `namespace` would
/// (`resources: [base]`, `components: [...]`).
pub fn build_with_components(base: &Path, components: &[&Path]) -> Vec<Value> {
    let mut objects = build(base);
    for cdir in components {
        add_component(cdir, &mut objects);
    }
    objects
}
