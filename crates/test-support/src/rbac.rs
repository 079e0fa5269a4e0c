//! A Kubernetes RBAC authorizer for tests: decides request attributes against the exact
//! Role/ClusterRole/RoleBinding/ClusterRoleBinding objects of a manifest set, the way the API
//! server's RBAC authorizer does, and words denials like it.
//!
//! Semantics follow `k8s.io/kubernetes/pkg/apis/rbac/v1` (rule matching) and
//! `plugin/pkg/auth/authorizer/rbac` (binding selection): a ClusterRoleBinding grants its
//! ClusterRole's rules everywhere; a RoleBinding grants its Role's or ClusterRole's rules only for
//! requests in the binding's namespace; verbs, API groups and resources match exactly or by `*`
//! (`*/<subresource>` matches a subresource of any resource); a rule with `resourceNames` only
//! matches requests that carry one of those names; ServiceAccount subjects without a namespace
//! take the binding's. There is no default policy: an identity may do exactly what the given
//! objects grant (no `system:basic-user` and friends), and aggregation rules are not expanded.

use serde_json::Value;

/// Who makes a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserInfo {
    pub name: String,
    pub groups: Vec<String>,
}

impl UserInfo {
    /// A user with the given groups.
    pub fn new(name: impl Into<String>, groups: &[&str]) -> Self {
        UserInfo {
            name: name.into(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
        }
    }

    /// The identity of ServiceAccount `namespace/name`, with the groups the API server adds.
    pub fn service_account(namespace: &str, name: &str) -> Self {
        UserInfo {
            name: format!("system:serviceaccount:{namespace}:{name}"),
            groups: vec![
                "system:serviceaccounts".into(),
                format!("system:serviceaccounts:{namespace}"),
                "system:authenticated".into(),
            ],
        }
    }
}

/// The attributes of one resource request (`authorizer.Attributes`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Attributes {
    pub verb: String,
    pub api_group: String,
    pub resource: String,
    pub subresource: String,
    /// Empty for cluster-scoped resources and all-namespaces requests.
    pub namespace: String,
    /// Empty when the request names no object (list, watch, create of a top-level object).
    pub name: String,
}

impl Attributes {
    /// `verb` on `resource` (`"secrets"`, `"serviceaccounts/token"`) in `api_group`.
    pub fn new(verb: &str, api_group: &str, resource: &str) -> Self {
        let (resource, subresource) = resource.split_once('/').unwrap_or((resource, ""));
        Attributes {
            verb: verb.into(),
            api_group: api_group.into(),
            resource: resource.into(),
            subresource: subresource.into(),
            ..Default::default()
        }
    }

    /// In namespace `ns` (empty: cluster scope or all namespaces).
    pub fn in_namespace(mut self, ns: &str) -> Self {
        self.namespace = ns.into();
        self
    }

    /// Naming object `name`.
    pub fn named(mut self, name: &str) -> Self {
        self.name = name.into();
        self
    }

    /// `resource[/subresource]`, as rules and messages name it.
    pub fn combined_resource(&self) -> String {
        if self.subresource.is_empty() {
            self.resource.clone()
        } else {
            format!("{}/{}", self.resource, self.subresource)
        }
    }
}

#[derive(Clone, Debug, Default)]
struct Rule {
    verbs: Vec<String>,
    api_groups: Vec<String>,
    resources: Vec<String>,
    resource_names: Vec<String>,
}

impl Rule {
    fn matches(&self, a: &Attributes) -> bool {
        let has = |list: &[String], want: &str| list.iter().any(|x| x == "*" || x == want);
        let combined = a.combined_resource();
        has(&self.verbs, &a.verb)
            && has(&self.api_groups, &a.api_group)
            && self.resources.iter().any(|r| {
                r == "*"
                    || *r == combined
                    || (!a.subresource.is_empty()
                        && r.strip_prefix("*/") == Some(a.subresource.as_str()))
            })
            && (self.resource_names.is_empty() || self.resource_names.contains(&a.name))
    }
}

#[derive(Clone, Debug)]
struct Subject {
    kind: String,
    name: String,
    namespace: String,
}

#[derive(Clone, Debug)]
struct Binding {
    /// Empty for ClusterRoleBindings.
    namespace: String,
    name: String,
    role_kind: String,
    role_name: String,
    subjects: Vec<Subject>,
}

impl Binding {
    fn applies_to(&self, user: &UserInfo) -> bool {
        self.subjects.iter().any(|s| match s.kind.as_str() {
            "User" => s.name == user.name,
            "Group" => user.groups.contains(&s.name),
            "ServiceAccount" => {
                let ns = if s.namespace.is_empty() {
                    &self.namespace
                } else {
                    &s.namespace
                };
                user.name == format!("system:serviceaccount:{ns}:{}", s.name)
            }
            _ => false,
        })
    }
}

#[derive(Clone, Debug)]
struct Role {
    /// Empty for ClusterRoles.
    namespace: String,
    name: String,
    rules: Vec<Rule>,
}

/// The RBAC objects of a manifest set.
#[derive(Clone, Debug, Default)]
pub struct Rbac {
    roles: Vec<Role>,
    bindings: Vec<Binding>,
}

fn strings(v: &Value, field: &str) -> Vec<String> {
    v.get(field)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn text(v: &Value, path: &[&str]) -> String {
    path.iter()
        .try_fold(v, |v, k| v.get(*k))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

impl Rbac {
    /// Collects the RBAC objects among `objects` (other kinds are ignored). Errors name an RBAC
    /// object the real API server would reject (no name, a Role without namespace, a binding
    /// without roleRef).
    pub fn from_objects<'a>(objects: impl IntoIterator<Item = &'a Value>) -> Result<Rbac, String> {
        let mut out = Rbac::default();
        for o in objects {
            let kind = text(o, &["kind"]);
            if !text(o, &["apiVersion"]).starts_with("rbac.authorization.k8s.io/")
                && matches!(
                    kind.as_str(),
                    "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding"
                )
            {
                return Err(format!(
                    "{kind} with apiVersion {:?}",
                    text(o, &["apiVersion"])
                ));
            }
            let name = text(o, &["metadata", "name"]);
            let namespace = text(o, &["metadata", "namespace"]);
            let what = format!("{kind} {namespace}/{name}");
            match kind.as_str() {
                "Role" | "ClusterRole" => {
                    if name.is_empty() || (kind == "Role") == namespace.is_empty() {
                        return Err(format!("{what}: bad name or namespace"));
                    }
                    let rules = o
                        .get("rules")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .map(|r| Rule {
                            verbs: strings(r, "verbs"),
                            api_groups: strings(r, "apiGroups"),
                            resources: strings(r, "resources"),
                            resource_names: strings(r, "resourceNames"),
                        })
                        .collect();
                    out.roles.push(Role {
                        namespace: if kind == "Role" {
                            namespace
                        } else {
                            String::new()
                        },
                        name,
                        rules,
                    });
                }
                "RoleBinding" | "ClusterRoleBinding" => {
                    if name.is_empty() || (kind == "RoleBinding") == namespace.is_empty() {
                        return Err(format!("{what}: bad name or namespace"));
                    }
                    let role_kind = text(o, &["roleRef", "kind"]);
                    let role_name = text(o, &["roleRef", "name"]);
                    let role_ok = match kind.as_str() {
                        "RoleBinding" => role_kind == "Role" || role_kind == "ClusterRole",
                        _ => role_kind == "ClusterRole",
                    };
                    if !role_ok || role_name.is_empty() {
                        return Err(format!("{what}: invalid roleRef"));
                    }
                    let subjects = o
                        .get("subjects")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .map(|s| Subject {
                            kind: text(s, &["kind"]),
                            name: text(s, &["name"]),
                            namespace: text(s, &["namespace"]),
                        })
                        .collect();
                    out.bindings.push(Binding {
                        namespace: if kind == "RoleBinding" {
                            namespace
                        } else {
                            String::new()
                        },
                        name,
                        role_kind,
                        role_name,
                        subjects,
                    });
                }
                _ => {}
            }
        }
        Ok(out)
    }

    /// [`Rbac::from_objects`] of YAML documents (e.g. a rendered chart or a kustomize build).
    pub fn from_yaml<'a>(
        docs: impl IntoIterator<Item = &'a serde_yaml::Value>,
    ) -> Result<Rbac, String> {
        let json: Vec<Value> = docs
            .into_iter()
            .map(|d| serde_json::to_value(d).map_err(|e| e.to_string()))
            .collect::<Result<_, _>>()?;
        Rbac::from_objects(&json)
    }

    fn role(&self, kind: &str, namespace: &str, name: &str) -> Option<&Role> {
        let ns = if kind == "Role" { namespace } else { "" };
        self.roles.iter().find(|r| {
            r.name == name && r.namespace == ns && (kind == "Role") != r.namespace.is_empty()
        })
    }

    /// The binding that allows the request (`ClusterRoleBinding <name>` or
    /// `RoleBinding <ns>/<name>`), or `None` when RBAC denies it.
    pub fn allowed_by(&self, user: &UserInfo, a: &Attributes) -> Option<String> {
        self.bindings
            .iter()
            .filter(|b| {
                b.namespace.is_empty() || (!a.namespace.is_empty() && b.namespace == a.namespace)
            })
            .filter(|b| b.applies_to(user))
            .find(|b| {
                self.role(&b.role_kind, &b.namespace, &b.role_name)
                    .is_some_and(|r| r.rules.iter().any(|rule| rule.matches(a)))
            })
            .map(|b| {
                if b.namespace.is_empty() {
                    format!("ClusterRoleBinding {}", b.name)
                } else {
                    format!("RoleBinding {}/{}", b.namespace, b.name)
                }
            })
    }

    /// Whether RBAC allows the request.
    pub fn allows(&self, user: &UserInfo, a: &Attributes) -> bool {
        self.allowed_by(user, a).is_some()
    }

    /// `kubectl auth can-i <verb> <resource> [-n <namespace> | -A]`: `namespace` empty means all
    /// namespaces (`-A`), which only a cluster-wide grant answers yes. `resource` is
    /// `plural[.group][/subresource]`, e.g. `secrets`, `serviceaccounts/token`,
    /// `connectors.connectors.alauda.io`.
    pub fn can_i(&self, user: &UserInfo, verb: &str, resource: &str, namespace: &str) -> bool {
        let (res, sub) = resource.split_once('/').unwrap_or((resource, ""));
        let (plural, group) = res.split_once('.').unwrap_or((res, ""));
        let mut a = Attributes::new(verb, group, plural).in_namespace(namespace);
        a.subresource = sub.into();
        self.allows(user, &a)
    }

    /// The message of the API server's 403 for a denied request, e.g.
    /// `secrets "s" is forbidden: User "u" cannot get resource "secrets" in API group "" in the
    /// namespace "team"`.
    pub fn forbidden_message(user: &UserInfo, a: &Attributes) -> String {
        let qualified = if a.api_group.is_empty() {
            a.resource.clone()
        } else {
            format!("{}.{}", a.resource, a.api_group)
        };
        let subject = if a.name.is_empty() {
            format!("{qualified} is forbidden")
        } else {
            format!("{qualified} {:?} is forbidden", a.name)
        };
        let scope = if a.namespace.is_empty() {
            "at the cluster scope".to_string()
        } else {
            format!("in the namespace {:?}", a.namespace)
        };
        format!(
            "{subject}: User {:?} cannot {} resource {:?} in API group {:?} {scope}",
            user.name,
            a.verb,
            a.combined_resource(),
            a.api_group
        )
    }
}

#[cfg(test)]
#[path = "rbac_tests.rs"]
mod tests;
