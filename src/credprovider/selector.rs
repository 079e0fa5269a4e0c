//! Equality-based label selectors (`k=v,k2!=v2,k3,!k4`) for choosing connectors.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// One requirement of a selector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    Exists(String),
    NotExists(String),
}

/// A conjunction of requirements; the empty selector matches everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelSelector(pub Vec<Requirement>);

impl LabelSelector {
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.0.iter().all(|r| match r {
            Requirement::Equals(k, v) => labels.get(k) == Some(v),
            Requirement::NotEquals(k, v) => labels.get(k) != Some(v),
            Requirement::Exists(k) => labels.contains_key(k),
            Requirement::NotExists(k) => !labels.contains_key(k),
        })
    }
}

fn check_key(k: &str, whole: &str) -> Result<String, String> {
    let k = k.trim();
    let valid = !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
    if valid {
        Ok(k.to_string())
    } else {
        Err(format!(
            "label selector {whole:?}: {k:?} is not a label key"
        ))
    }
}

impl FromStr for LabelSelector {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let mut out = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if part.contains(" in ") || part.contains(" notin ") || part.contains('(') {
                return Err(format!(
                    "label selector {s:?}: set-based requirements (in/notin) are not supported; use k=v, k!=v, k or !k"
                ));
            }
            let req = if let Some((k, v)) = part.split_once("!=") {
                Requirement::NotEquals(check_key(k, s)?, v.trim().to_string())
            } else if let Some((k, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
                Requirement::Equals(check_key(k, s)?, v.trim().to_string())
            } else if let Some(k) = part.strip_prefix('!') {
                Requirement::NotExists(check_key(k, s)?)
            } else {
                Requirement::Exists(check_key(part, s)?)
            };
            out.push(req);
        }
        Ok(LabelSelector(out))
    }
}

impl fmt::Display for LabelSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|r| match r {
                Requirement::Equals(k, v) => format!("{k}={v}"),
                Requirement::NotEquals(k, v) => format!("{k}!={v}"),
                Requirement::Exists(k) => k.clone(),
                Requirement::NotExists(k) => format!("!{k}"),
            })
            .collect();
        f.write_str(&parts.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn parses_and_matches_equality_selectors() {
        let sel: LabelSelector = "team=a, env!=prod,node-pull,!blocked".parse().unwrap();
        assert_eq!(sel.to_string(), "team=a,env!=prod,node-pull,!blocked");
        assert!(sel.matches(&labels(&[("team", "a"), ("node-pull", "")])));
        assert!(!sel.matches(&labels(&[("team", "b"), ("node-pull", "")])));
        assert!(!sel.matches(&labels(&[
            ("team", "a"),
            ("node-pull", ""),
            ("env", "prod")
        ])));
        assert!(!sel.matches(&labels(&[("team", "a")])));
        assert!(!sel.matches(&labels(&[
            ("team", "a"),
            ("node-pull", ""),
            ("blocked", "x")
        ])));
        let sel: LabelSelector = "connectors.cpaas.io/node-pull==true".parse().unwrap();
        assert!(sel.matches(&labels(&[("connectors.cpaas.io/node-pull", "true")])));
        assert!(LabelSelector::default().matches(&labels(&[])));
        assert_eq!(
            "".parse::<LabelSelector>().unwrap(),
            LabelSelector::default()
        );
    }

    #[test]
    fn rejects_what_it_cannot_evaluate() {
        assert!("env in (a,b)"
            .parse::<LabelSelector>()
            .unwrap_err()
            .contains("not supported"));
        assert!("=v"
            .parse::<LabelSelector>()
            .unwrap_err()
            .contains("not a label key"));
        assert!("a b=c".parse::<LabelSelector>().is_err());
    }
}
