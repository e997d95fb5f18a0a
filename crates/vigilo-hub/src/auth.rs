//! Authentication: API tokens from `Authorization: Bearer …` or `Token …`.
//!
//! Token checks are on the hot path of every request, so a validated token is
//! cached by the SHA-256 of its secret for a short time (`token_cache_ttl`,
//! one second by default): a revocation made in this process is honoured at
//! once, one made by another process (or the CLI) within that time. Nothing
//! here runs argon2 (tokens are 256-bit random, hashed with SHA-256), and a
//! cache hit does not touch the database.
//!
//! Every failure is the same 401 (see [`Problem::unauthorized`]) whether the
//! token is unknown, revoked, expired or malformed, and failures from one
//! address are slowed ([`FailureLimiter`]).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use vigilo_core::{Role, Scope, ScopeSet};
use vigilo_store::{Actor, TokenRecord, hash_token_secret};

use crate::AppState;
use crate::problem::Problem;

/// Who is making a request.
#[derive(Debug, Clone)]
pub struct Principal {
    pub token_id: String,
    pub token_name: String,
    pub org_id: String,
    pub org_name: String,
    /// The hub operator's organisation: may manage other organisations.
    pub is_operator: bool,
    pub user_id: Option<String>,
    pub role: Role,
    pub scopes: ScopeSet,
    pub expires_at: Option<i64>,
}

impl Principal {
    fn from_record(r: &TokenRecord) -> Self {
        Principal {
            token_id: r.info.id.clone(),
            token_name: r.info.name.clone(),
            org_id: r.info.org_id.clone(),
            org_name: r.org_name.clone(),
            is_operator: r.org_is_operator,
            user_id: r.info.user_id.clone(),
            role: r.info.role,
            // A token never holds more than its role allows, even if the role
            // table changes after it was issued.
            scopes: r
                .info
                .scopes
                .iter()
                .filter(|s| r.info.role.allowed_scopes().contains(*s))
                .collect(),
            expires_at: r.info.expires_at,
        }
    }
}

struct CacheEntry {
    principal: Arc<Principal>,
    checked: Instant,
}

/// Validated tokens, by the hash of their secret.
pub struct TokenCache {
    ttl: Duration,
    max_entries: usize,
    map: RwLock<HashMap<[u8; 32], CacheEntry>>,
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCache")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl TokenCache {
    pub fn new(ttl: Duration) -> Self {
        TokenCache {
            ttl,
            max_entries: 100_000,
            map: RwLock::new(HashMap::new()),
        }
    }

    fn get(&self, key: &[u8; 32], now_micros: i64) -> Option<Arc<Principal>> {
        let map = self.map.read().unwrap_or_else(|e| e.into_inner());
        let e = map.get(key)?;
        let fresh =
            e.checked.elapsed() < self.ttl && e.principal.expires_at.is_none_or(|x| x > now_micros);
        fresh.then(|| e.principal.clone())
    }

    fn put(&self, key: [u8; 32], principal: Arc<Principal>) {
        let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
        if map.len() >= self.max_entries {
            let ttl = self.ttl;
            map.retain(|_, e| e.checked.elapsed() < ttl);
            if map.len() >= self.max_entries {
                map.clear();
            }
        }
        map.insert(
            key,
            CacheEntry {
                principal,
                checked: Instant::now(),
            },
        );
    }

    /// Drops every cached entry of a token (after revocation).
    pub fn evict_token(&self, token_id: &str) {
        self.map
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, e| e.principal.token_id != token_id);
    }

    /// Drops every cached entry of an organisation (after it is disabled).
    pub fn evict_org(&self, org_id: &str) {
        self.map
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, e| e.principal.org_id != org_id);
    }
}

/// Slows repeated authentication failures from one address.
///
/// After [`FailureLimiter::FREE`] failures within the window, each further
/// failed attempt is answered only after a delay that doubles per failure, up
/// to [`FailureLimiter::MAX_DELAY`]; the count decays when the address stops
/// failing for [`FailureLimiter::WINDOW`].
#[derive(Debug, Default)]
pub struct FailureLimiter {
    map: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

impl FailureLimiter {
    pub const FREE: u32 = 5;
    pub const WINDOW: Duration = Duration::from_secs(15 * 60);
    pub const MAX_DELAY: Duration = Duration::from_secs(5);
    const MAX_ENTRIES: usize = 100_000;

    /// Records a failure and returns how long to wait before answering.
    pub fn fail(&self, ip: IpAddr) -> Duration {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= Self::MAX_ENTRIES {
            map.retain(|_, (_, last)| last.elapsed() < Self::WINDOW);
            if map.len() >= Self::MAX_ENTRIES {
                map.clear();
            }
        }
        let entry = map.entry(ip).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= Self::WINDOW {
            entry.0 = 0;
        }
        entry.0 = entry.0.saturating_add(1);
        entry.1 = Instant::now();
        Self::delay_for(entry.0)
    }

    /// The delay after the `n`th failure.
    pub fn delay_for(n: u32) -> Duration {
        if n <= Self::FREE {
            return Duration::ZERO;
        }
        let exp = (n - Self::FREE - 1).min(16);
        (Duration::from_millis(50) * 2u32.pow(exp)).min(Self::MAX_DELAY)
    }

    /// Failures recorded for `ip` in the current window.
    pub fn failures(&self, ip: IpAddr) -> u32 {
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&ip)
            .filter(|(_, last)| last.elapsed() < Self::WINDOW)
            .map_or(0, |(n, _)| *n)
    }
}

/// Extracts the token secret from `Authorization: Bearer <t>` or `Token <t>`.
pub fn token_from_headers(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.split_once(' ')?;
    let token = rest.trim();
    let ok_scheme = scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token");
    (ok_scheme && !token.is_empty() && token.len() <= 256).then_some(token)
}

/// The peer address of a request (loopback when unknown, as in in-process tests).
pub fn peer_ip(parts: &Parts) -> IpAddr {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::V6(std::net::Ipv6Addr::LOCALHOST))
}

/// The request id set by the request-id layer.
pub fn request_id(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get(crate::REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// An authenticated request: the principal plus what the audit chain needs.
#[derive(Debug, Clone)]
pub struct Auth {
    pub principal: Arc<Principal>,
    pub actor: Actor,
}

impl Auth {
    /// Fails with 403 unless the token holds `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), Problem> {
        if self.principal.scopes.contains(scope) {
            Ok(())
        } else {
            Err(Problem::forbidden(format!(
                "this operation needs the `{scope}` scope, which this token does not have"
            )))
        }
    }

    /// Fails with 403 unless the token is an admin token of the operator organisation.
    pub fn require_operator(&self) -> Result<(), Problem> {
        self.require(Scope::Admin)?;
        if self.principal.is_operator {
            Ok(())
        } else {
            Err(Problem::forbidden(
                "this operation is reserved to the hub operator's administrators",
            ))
        }
    }
}

/// Looks a secret up: cache first, then the database.
pub async fn authenticate(state: &AppState, secret: &str) -> Option<Arc<Principal>> {
    let key = hash_token_secret(secret);
    let now = vigilo_store::now_micros();
    if let Some(p) = state.tokens.get(&key, now) {
        return Some(p);
    }
    match state.store.lookup_token(secret).await {
        Ok(Some(record)) if record.is_usable(now) => {
            let p = Arc::new(Principal::from_record(&record));
            state.tokens.put(key, p.clone());
            Some(p)
        }
        Ok(_) => None,
        Err(e) => {
            tracing::error!(error = %e, "token lookup failed");
            None
        }
    }
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ip = peer_ip(parts);
        let principal = match token_from_headers(&parts.headers) {
            Some(secret) => authenticate(state, secret).await,
            None => None,
        };
        let Some(principal) = principal else {
            let delay = state.failures.fail(ip);
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            return Err(Problem::unauthorized());
        };
        let actor = Actor {
            actor: format!("token:{}", principal.token_id),
            org_id: Some(principal.org_id.clone()),
            request_id: request_id(parts),
            source: Some(ip.to_string()),
        };
        Ok(Auth { principal, actor })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn both_schemes_are_accepted() {
        let mut h = HeaderMap::new();
        assert_eq!(token_from_headers(&h), None);
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer vgl_abc"),
        );
        assert_eq!(token_from_headers(&h), Some("vgl_abc"));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Token vgl_abc"),
        );
        assert_eq!(token_from_headers(&h), Some("vgl_abc"));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic dXNlcjpwYXNz"),
        );
        assert_eq!(token_from_headers(&h), None);
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer "));
        assert_eq!(token_from_headers(&h), None);
    }

    #[test]
    fn failures_are_slowed_progressively_and_capped() {
        let l = FailureLimiter::default();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..FailureLimiter::FREE {
            assert_eq!(l.fail(ip), Duration::ZERO);
        }
        let d1 = l.fail(ip);
        let d2 = l.fail(ip);
        assert!(d1 > Duration::ZERO && d2 > d1);
        for _ in 0..40 {
            assert!(l.fail(ip) <= FailureLimiter::MAX_DELAY);
        }
        assert_eq!(l.fail(ip), FailureLimiter::MAX_DELAY);
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        assert_eq!(l.fail(other), Duration::ZERO, "addresses are counted apart");
    }
}
