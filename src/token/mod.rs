//! ServiceAccount tokens: the credential written into `proxy-url`, `context.token` and token files.
//!
//! A [`Token`] never prints its value: `Debug` and `Display` are redacted, and the only way to read
//! it is [`Token::expose`], which call sites use to hand it to the renderer.

pub mod direct;

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use jiff::Timestamp;
use serde::Deserialize;

/// The attribute (in `secrets` or `volume_context`) that carries kubelet-issued tokens.
pub const KUBELET_TOKENS_KEY: &str = "csi.storage.k8s.io/serviceAccount.tokens";

/// Default lifetime of driver-minted tokens (`token.expiration`).
pub const DEFAULT_EXPIRATION: Duration = Duration::from_secs(30 * 60);
/// The API server refuses TokenRequests shorter than this.
pub const MIN_EXPIRATION: Duration = Duration::from_secs(10 * 60);

/// A bearer token with its validity window.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    value: String,
    /// When the token was obtained (or `exp - lifetime` when only the expiry is known).
    pub issued_at: Timestamp,
    /// When the API server stops accepting it.
    pub expires_at: Timestamp,
}

impl Token {
    pub fn new(value: impl Into<String>, issued_at: Timestamp, expires_at: Timestamp) -> Self {
        Token {
            value: value.into(),
            issued_at,
            expires_at,
        }
    }

    /// The secret value. Never log what this returns.
    pub fn expose(&self) -> &str {
        &self.value
    }

    /// Lifetime from issue to expiry (zero when the clock is odd).
    pub fn lifetime(&self) -> Duration {
        self.expires_at
            .duration_since(self.issued_at)
            .try_into()
            .unwrap_or_default()
    }

    /// Time left until expiry, zero when already expired.
    pub fn remaining(&self, now: Timestamp) -> Duration {
        self.expires_at
            .duration_since(now)
            .try_into()
            .unwrap_or_default()
    }

    /// Kubelet's rule: refresh once 80 % of the lifetime has passed.
    pub fn refresh_at(&self) -> Timestamp {
        let life = self.lifetime();
        let offset = life.mul_f64(0.8);
        self.issued_at
            .checked_add(jiff::SignedDuration::try_from(offset).unwrap_or_default())
            .unwrap_or(self.expires_at)
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("value", &"<redacted>")
            .field("issued_at", &self.issued_at)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Where the pod's token comes from (`--token-source`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum TokenSourceMode {
    /// Kubelet-provided token when present, otherwise mint one.
    #[default]
    Auto,
    /// Only kubelet-provided tokens (`CSIDriver.spec.tokenRequests`).
    Kubelet,
    /// Always mint with TokenRequest.
    Driver,
}

/// Errors parsing kubelet's token attribute.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TokenError {
    #[error("{KUBELET_TOKENS_KEY} is not valid JSON of the form {{\"<audience>\":{{\"token\":\"…\",\"expirationTimestamp\":\"RFC3339\"}}}}: {0}")]
    Malformed(String),
    #[error("{KUBELET_TOKENS_KEY} has no token for audience {audience:?} (audiences present: {present}); add it to the CSIDriver's spec.tokenRequests")]
    MissingAudience { audience: String, present: String },
    #[error("the kubelet token for audience {0:?} has expired")]
    Expired(String),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KubeletToken {
    token: String,
    expiration_timestamp: String,
}

/// Picks the kubelet-issued token for `audience` out of the JSON kubelet passes.
///
/// The issue time is not transmitted; it is taken as `now` bounded by the expiry, which makes the
/// 80 % refresh point conservative.
pub fn parse_kubelet_tokens(
    json: &str,
    audience: &str,
    now: Timestamp,
) -> Result<Token, TokenError> {
    let map: BTreeMap<String, KubeletToken> =
        serde_json::from_str(json).map_err(|e| TokenError::Malformed(strip_positions(&e)))?;
    let Some(t) = map.get(audience) else {
        let present = if map.is_empty() {
            "none".to_string()
        } else {
            map.keys()
                .map(|k| format!("{k:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        return Err(TokenError::MissingAudience {
            audience: audience.to_string(),
            present,
        });
    };
    let expires_at: Timestamp = t
        .expiration_timestamp
        .parse()
        .map_err(|e| TokenError::Malformed(format!("expirationTimestamp: {e}")))?;
    if expires_at <= now {
        return Err(TokenError::Expired(audience.to_string()));
    }
    if t.token.is_empty() {
        return Err(TokenError::Malformed(format!(
            "empty token for audience {audience:?}"
        )));
    }
    Ok(Token::new(t.token.clone(), now, expires_at))
}

/// serde_json errors can quote input; keep only the category so a token never reaches a message.
fn strip_positions(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Io => "I/O error",
        Category::Syntax => "syntax error",
        Category::Data => "unexpected structure",
        Category::Eof => "truncated input",
    };
    format!("{what} at line {} column {}", e.line(), e.column())
}

/// Parses a non-negative Go duration (`5m`, `1h30m`, `90s`, `0s`).
pub fn parse_go_duration(s: &str) -> Result<Duration, String> {
    let invalid = || format!("{s:?} is not a duration like \"5m\" or \"1h30m\"");
    // go-parse-duration indexes bytes and chars interchangeably and panics on non-ASCII input:
    // fold the two micro signs Go accepts into `us` and refuse anything else that is not ASCII.
    let ascii = s.trim().replace(['\u{b5}', '\u{3bc}'], "u");
    if !ascii.is_ascii() {
        return Err(invalid());
    }
    let nanos = go_parse_duration::parse_duration(&ascii).map_err(|_| invalid())?;
    u64::try_from(nanos)
        .map(Duration::from_nanos)
        .map_err(|_| format!("{s:?} must not be negative"))
}

/// A duration the way Go prints it, without zero parts: `30m`, `1h0m` → `1h`, `1h30m`, `45s`.
pub fn format_duration(d: Duration) -> String {
    let s = d.as_secs();
    let (h, m, sec) = (s / 3600, s % 3600 / 60, s % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if sec > 0 || out.is_empty() {
        out.push_str(&format!("{sec}s"));
    }
    out
}

/// Parses a Go-style duration (`30m`, `1h30m`, `90s`) and enforces the TokenRequest minimum.
pub fn parse_expiration(s: &str) -> Result<Duration, String> {
    let d = parse_go_duration(s).map_err(|e| format!("token.expiration: {e}"))?;
    if d.is_zero() {
        return Err(format!("token.expiration {s:?} must be positive"));
    }
    if d < MIN_EXPIRATION {
        return Err(format!(
            "token.expiration {s:?} is shorter than the minimum 10m accepted by the API server"
        ));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-01-01T00:00:00Z".parse().unwrap()
    }

    #[test]
    fn durations_print_like_go_without_zero_parts() {
        assert_eq!(format_duration(Duration::from_secs(1800)), "30m");
        assert_eq!(format_duration(Duration::from_secs(3600)), "1h");
        assert_eq!(format_duration(Duration::from_secs(5430)), "1h30m30s");
        assert_eq!(format_duration(Duration::ZERO), "0s");
    }

    #[test]
    fn picks_the_configured_audience() {
        let json = r#"{"connectors-proxy":{"token":"tok-a","expirationTimestamp":"2026-01-01T01:00:00Z"},"":{"token":"tok-b","expirationTimestamp":"2026-01-01T01:00:00Z"}}"#;
        let t = parse_kubelet_tokens(json, "connectors-proxy", now()).unwrap();
        assert_eq!(t.expose(), "tok-a");
        assert_eq!(t.lifetime(), Duration::from_secs(3600));
        assert_eq!(
            t.refresh_at(),
            "2026-01-01T00:48:00Z".parse::<Timestamp>().unwrap()
        );
    }

    #[test]
    fn missing_audience_names_what_is_there_and_never_the_token() {
        let json =
            r#"{"other":{"token":"secret-value","expirationTimestamp":"2026-01-01T01:00:00Z"}}"#;
        let err = parse_kubelet_tokens(json, "connectors-proxy", now()).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("\"other\"") && msg.contains("tokenRequests"),
            "{msg}"
        );
        assert!(!msg.contains("secret-value"));
    }

    #[test]
    fn malformed_json_does_not_echo_input() {
        let err = parse_kubelet_tokens(r#"{"a":{"token":"secret-value""#, "a", now()).unwrap_err();
        assert!(matches!(err, TokenError::Malformed(_)));
        assert!(!err.to_string().contains("secret-value"));
        let err = parse_kubelet_tokens(
            r#"{"a":{"token":"secret-value","expirationTimestamp":"2025-01-01T00:00:00Z"}}"#,
            "a",
            now(),
        )
        .unwrap_err();
        assert_eq!(err, TokenError::Expired("a".into()));
    }

    #[test]
    fn debug_is_redacted() {
        let t = Token::new("super-secret", now(), now());
        assert!(!format!("{t:?}").contains("super-secret"));
    }

    #[test]
    fn expiration_parsing() {
        assert_eq!(parse_expiration("30m").unwrap(), Duration::from_secs(1800));
        assert_eq!(
            parse_expiration("1h30m").unwrap(),
            Duration::from_secs(5400)
        );
        assert!(parse_expiration("5m").unwrap_err().contains("minimum 10m"));
        assert!(parse_expiration("soon")
            .unwrap_err()
            .contains("not a duration"));
        assert!(parse_expiration("-1h").is_err());
        // Non-ASCII input must be an error, not a panic inside the duration parser.
        assert!(parse_expiration("1ħ").is_err());
        assert_eq!(
            parse_go_duration("1500µs").unwrap(),
            Duration::from_micros(1500)
        );
    }
}
