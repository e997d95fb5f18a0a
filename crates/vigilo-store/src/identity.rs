//! Organisations, user accounts and API tokens.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine as _;
use rand::RngCore as _;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::any::AnyRow;
use vigilo_core::{OrgName, Role, ScopeSet};

use crate::{Actor, DbContext as _, Result, Store, StoreError, now_micros};

/// Every API token starts with this, so leaked tokens are easy to spot and scan for.
pub const TOKEN_PREFIX: &str = "vgl_";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OrgStatus {
    Active,
    Disabled,
}

impl OrgStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrgStatus::Active => "active",
            OrgStatus::Disabled => "disabled",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Org {
    pub id: String,
    pub name: String,
    pub display_name: String,
    /// The hub operator's own organisation (may create organisations).
    pub is_operator: bool,
    pub status: OrgStatus,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub disabled: bool,
    pub created_at: i64,
}

/// A user account with its organisation and role.
#[derive(Debug, Clone, Serialize)]
pub struct Member {
    pub user: User,
    pub org_id: String,
    #[serde(serialize_with = "ser_display")]
    pub role: Role,
}

fn ser_display<T: std::fmt::Display, S: serde::Serializer>(
    v: &T,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// A token as listed: never its secret or hash.
#[derive(Debug, Clone, Serialize)]
pub struct TokenInfo {
    pub id: String,
    pub org_id: String,
    pub user_id: Option<String>,
    pub name: String,
    #[serde(serialize_with = "ser_display")]
    pub role: Role,
    #[serde(serialize_with = "ser_display")]
    pub scopes: ScopeSet,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// What authentication needs to know about a presented token.
#[derive(Debug, Clone)]
pub struct TokenRecord {
    pub info: TokenInfo,
    pub org_name: String,
    pub org_is_operator: bool,
    pub org_status: OrgStatus,
    /// The token's user is disabled.
    pub user_disabled: bool,
}

impl TokenRecord {
    /// Whether the token may be used at `now` (micros).
    pub fn is_usable(&self, now: i64) -> bool {
        self.info.revoked_at.is_none()
            && self.info.expires_at.is_none_or(|e| e > now)
            && self.org_status == OrgStatus::Active
            && !self.user_disabled
    }
}

/// A token to create.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub org_id: String,
    pub user_id: Option<String>,
    pub name: String,
    pub role: Role,
    pub scopes: ScopeSet,
    pub expires_at: Option<i64>,
}

/// The stored form of a token secret: SHA-256 (the secret is 256 random bits,
/// so a slow hash adds nothing; a fast one keeps authentication cheap).
pub fn hash_token_secret(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

fn new_token_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn is_unique_violation(e: &StoreError) -> bool {
    matches!(e, StoreError::Db { source: sqlx::Error::Database(d), .. } if d.is_unique_violation())
}

const ORG_COLUMNS: &str = "id, name, display_name, is_operator, status, created_at";

fn org_from_row(r: &AnyRow) -> std::result::Result<Org, sqlx::Error> {
    let status: String = r.try_get(4)?;
    Ok(Org {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
        display_name: r.try_get(2)?,
        is_operator: r.try_get::<i64, _>(3)? != 0,
        status: if status == "active" {
            OrgStatus::Active
        } else {
            OrgStatus::Disabled
        },
        created_at: r.try_get(5)?,
    })
}

const TOKEN_COLUMNS: &str =
    "t.id, t.org_id, t.user_id, t.name, t.role, t.scopes, t.created_at, t.expires_at, t.revoked_at";

fn token_from_row(r: &AnyRow) -> std::result::Result<TokenInfo, sqlx::Error> {
    let role: String = r.try_get(4)?;
    let scopes: String = r.try_get(5)?;
    Ok(TokenInfo {
        id: r.try_get(0)?,
        org_id: r.try_get(1)?,
        user_id: r.try_get(2)?,
        name: r.try_get(3)?,
        role: role
            .parse()
            .map_err(|e: vigilo_core::ValidationError| sqlx::Error::Decode(Box::new(e)))?,
        scopes: scopes
            .parse()
            .map_err(|e: vigilo_core::ValidationError| sqlx::Error::Decode(Box::new(e)))?,
        created_at: r.try_get(6)?,
        expires_at: r.try_get(7)?,
        revoked_at: r.try_get(8)?,
    })
}

const USER_COLUMNS: &str =
    "u.id, u.email, u.display_name, u.disabled, u.created_at, u.org_id, u.role";

fn member_from_row(r: &AnyRow) -> std::result::Result<Member, sqlx::Error> {
    let role: String = r.try_get(6)?;
    Ok(Member {
        user: User {
            id: r.try_get(0)?,
            email: r.try_get(1)?,
            display_name: r.try_get(2)?,
            disabled: r.try_get::<i64, _>(3)? != 0,
            created_at: r.try_get(4)?,
        },
        org_id: r.try_get(5)?,
        role: role
            .parse()
            .map_err(|e: vigilo_core::ValidationError| sqlx::Error::Decode(Box::new(e)))?,
    })
}

/// Normalises an email address for lookup (trimmed, lower-case).
fn normalise_email(email: &str) -> Result<String> {
    let e = email.trim().to_lowercase();
    let valid = e.len() <= 254
        && e.split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.starts_with('.'))
        && !e.chars().any(char::is_whitespace);
    if valid {
        Ok(e)
    } else {
        Err(StoreError::invalid(
            "email",
            format!("invalid email address {email:?}"),
        ))
    }
}

fn argon2() -> Argon2<'static> {
    // argon2id, 19 MiB, 2 passes (OWASP's minimum recommendation).
    Argon2::default()
}

/// Hashes a password with argon2id on a blocking thread.
async fn hash_password(password: String) -> Result<String> {
    if password.chars().count() < 12 {
        return Err(StoreError::invalid(
            "password",
            "too short: use at least 12 characters",
        ));
    }
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| StoreError::Password(e.to_string()))
    })
    .await
    .map_err(|e| StoreError::Password(e.to_string()))?
}

/// A hash of a random password: verifying against it costs what a real check
/// costs, so unknown users take as long as known ones.
static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon2()
        .hash_password(new_token_secret().as_bytes(), &salt)
        .map(|h| h.to_string())
        .unwrap_or_default()
});

impl Store {
    // ----- organisations -----

    /// Creates an organisation with its first data key.
    pub async fn create_org(
        &self,
        actor: &Actor,
        name: &OrgName,
        display_name: &str,
        is_operator: bool,
    ) -> Result<Org> {
        let org = Org {
            id: new_id(),
            name: name.to_string(),
            display_name: display_name.trim().to_owned(),
            is_operator,
            status: OrgStatus::Active,
            created_at: now_micros(),
        };
        if org.display_name.is_empty() || org.display_name.len() > 200 {
            return Err(StoreError::invalid(
                "display_name",
                "must be 1-200 characters",
            ));
        }
        let mut tx = self.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO orgs (id, name, display_name, is_operator, status, created_at) VALUES ($1, $2, $3, $4, 'active', $5)",
        )
        .bind(&org.id)
        .bind(&org.name)
        .bind(&org.display_name)
        .bind(i64::from(org.is_operator))
        .bind(org.created_at)
        .execute(&mut *tx)
        .await
        .ctx("creating an organisation");
        if let Err(e) = inserted {
            return Err(if is_unique_violation(&e) {
                StoreError::Conflict(format!("an organisation named {name} already exists"))
            } else {
                e
            });
        }
        self.create_org_key(&mut tx, &org.id, 1).await?;
        self.append_audit(
            &mut tx,
            actor,
            Some(&org.id),
            "org.create",
            &format!("org:{}", org.id),
            Some(serde_json::json!({"name": org.name, "operator": is_operator})),
        )
        .await?;
        tx.commit().await.ctx("creating an organisation")?;
        Ok(org)
    }

    pub async fn list_orgs(&self) -> Result<Vec<Org>> {
        let rows = sqlx::query(&format!("SELECT {ORG_COLUMNS} FROM orgs ORDER BY name"))
            .fetch_all(self.pool())
            .await
            .ctx("listing organisations")?;
        rows.iter()
            .map(org_from_row)
            .collect::<std::result::Result<_, _>>()
            .ctx("decoding organisations")
    }

    pub async fn org_by_id(&self, id: &str) -> Result<Option<Org>> {
        sqlx::query(&format!("SELECT {ORG_COLUMNS} FROM orgs WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await
            .and_then(|r| r.as_ref().map(org_from_row).transpose())
            .ctx("reading an organisation")
    }

    pub async fn org_by_name(&self, name: &str) -> Result<Option<Org>> {
        sqlx::query(&format!("SELECT {ORG_COLUMNS} FROM orgs WHERE name = $1"))
            .bind(name)
            .fetch_optional(self.pool())
            .await
            .and_then(|r| r.as_ref().map(org_from_row).transpose())
            .ctx("reading an organisation")
    }

    /// Finds an organisation by name or id.
    pub async fn find_org(&self, name_or_id: &str) -> Result<Org> {
        if let Some(o) = self.org_by_name(name_or_id).await? {
            return Ok(o);
        }
        self.org_by_id(name_or_id)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                kind: "organisation",
                id: name_or_id.to_owned(),
            })
    }

    /// Disables or re-enables an organisation; a disabled organisation's
    /// tokens stop working.
    pub async fn set_org_status(
        &self,
        actor: &Actor,
        org_id: &str,
        status: OrgStatus,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query("UPDATE orgs SET status = $1 WHERE id = $2 AND is_operator = 0")
            .bind(status.as_str())
            .bind(org_id)
            .execute(&mut *tx)
            .await
            .ctx("changing an organisation's status")?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound {
                kind: "organisation (not the operator's)",
                id: org_id.to_owned(),
            });
        }
        self.append_audit(
            &mut tx,
            actor,
            Some(org_id),
            &format!(
                "org.{}",
                if status == OrgStatus::Active {
                    "enable"
                } else {
                    "disable"
                }
            ),
            &format!("org:{org_id}"),
            None,
        )
        .await?;
        tx.commit().await.ctx("changing an organisation's status")
    }

    /// The operator's organisation, if the hub has been bootstrapped.
    pub async fn operator_org(&self) -> Result<Option<Org>> {
        sqlx::query(&format!(
            "SELECT {ORG_COLUMNS} FROM orgs WHERE is_operator = 1 ORDER BY created_at LIMIT 1"
        ))
        .fetch_optional(self.pool())
        .await
        .and_then(|r| r.as_ref().map(org_from_row).transpose())
        .ctx("reading the operator organisation")
    }

    /// On a new hub: creates the operator organisation `hub` and an admin
    /// token for it, returning the token's secret (shown once). `None` when
    /// the hub already has an operator.
    pub async fn bootstrap(&self) -> Result<Option<(TokenInfo, String)>> {
        if self.operator_org().await?.is_some() {
            return Ok(None);
        }
        let actor = Actor::system();
        let name = OrgName::parse("hub").map_err(|e| StoreError::Invalid(e.to_string()))?;
        let org = match self.create_org(&actor, &name, "Hub operator", true).await {
            Ok(org) => org,
            // Another process bootstrapped at the same time.
            Err(StoreError::Conflict(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        let token = self
            .create_token(
                &actor,
                &NewToken {
                    org_id: org.id,
                    user_id: None,
                    name: "bootstrap admin".into(),
                    role: Role::Admin,
                    scopes: Role::Admin.allowed_scopes(),
                    expires_at: None,
                },
            )
            .await?;
        Ok(Some(token))
    }

    // ----- users -----

    /// Creates a user account in `org_id` with `role`. Accounts belong to one
    /// organisation: an email registered in another organisation is a
    /// different account here, and nothing of it is looked at or shown.
    pub async fn create_user(
        &self,
        actor: &Actor,
        org_id: &str,
        email: &str,
        display_name: &str,
        password: Option<String>,
        role: Role,
    ) -> Result<Member> {
        let email = normalise_email(email)?;
        let display_name = display_name.trim();
        if display_name.is_empty() || display_name.chars().count() > 200 {
            return Err(StoreError::invalid(
                "display_name",
                "must be 1-200 characters",
            ));
        }
        let password_hash = match password {
            Some(p) => Some(hash_password(p).await?),
            None => None,
        };
        let user = User {
            id: new_id(),
            email: email.clone(),
            display_name: display_name.to_owned(),
            disabled: false,
            created_at: now_micros(),
        };
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO users (id, org_id, email, display_name, password_hash, role, disabled, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 0, $7)",
        )
        .bind(&user.id)
        .bind(org_id)
        .bind(&user.email)
        .bind(&user.display_name)
        .bind(&password_hash)
        .bind(role.as_str())
        .bind(user.created_at)
        .execute(&mut *tx)
        .await
        .map_err(|source| match &source {
            sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict(format!(
                "{email} already has an account in this organisation"
            )),
            sqlx::Error::Database(d) if d.is_foreign_key_violation() => StoreError::NotFound {
                kind: "organisation",
                id: org_id.to_owned(),
            },
            _ => StoreError::Db {
                op: "creating a user",
                source,
            },
        })?;
        self.append_audit(
            &mut tx,
            actor,
            Some(org_id),
            "user.create",
            &format!("user:{}", user.id),
            Some(serde_json::json!({"role": role.as_str()})),
        )
        .await?;
        tx.commit().await.ctx("creating a user")?;
        Ok(Member {
            user,
            org_id: org_id.to_owned(),
            role,
        })
    }

    pub async fn list_members(&self, org_id: &str) -> Result<Vec<Member>> {
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.org_id = $1 ORDER BY u.email"
        ))
        .bind(org_id)
        .fetch_all(self.pool())
        .await
        .ctx("listing users")?;
        rows.iter()
            .map(member_from_row)
            .collect::<std::result::Result<_, _>>()
            .ctx("decoding users")
    }

    /// Checks a password. Returns the accounts with this email (in the
    /// organisation named `org`, when given) whose password matches and
    /// which are not disabled. Unknown emails cost the same argon2 work as
    /// known ones, so timing does not tell them apart.
    pub async fn authenticate_password(
        &self,
        email: &str,
        password: &str,
        org: Option<&str>,
    ) -> Result<Vec<Member>> {
        let email = email.trim().to_lowercase();
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, u.password_hash FROM users u JOIN orgs o ON o.id = u.org_id \
             WHERE u.email = $1 AND ($2 = '' OR o.name = $2) ORDER BY u.org_id LIMIT 32"
        ))
        .bind(&email)
        .bind(org.unwrap_or(""))
        .fetch_all(self.pool())
        .await
        .ctx("looking up a user")?;
        let mut candidates = Vec::new();
        for r in &rows {
            let member = member_from_row(r).ctx("decoding a user")?;
            let hash: Option<String> = r.try_get(7).ctx("decoding a user")?;
            candidates.push((member, hash));
        }
        if candidates.is_empty() {
            candidates.push((
                Member {
                    user: User {
                        id: String::new(),
                        email: String::new(),
                        display_name: String::new(),
                        disabled: true,
                        created_at: 0,
                    },
                    org_id: String::new(),
                    role: Role::Reader,
                },
                None,
            ));
        }
        let password = password.to_owned();
        let checked = tokio::task::spawn_blocking(move || {
            candidates
                .into_iter()
                .filter_map(|(member, hash)| {
                    let hash = hash.unwrap_or_else(|| DUMMY_HASH.clone());
                    let ok = PasswordHash::new(&hash)
                        .map(|h| argon2().verify_password(password.as_bytes(), &h).is_ok())
                        .unwrap_or(false);
                    (ok && !member.user.disabled).then_some(member)
                })
                .collect::<Vec<_>>()
        })
        .await
        .map_err(|e| StoreError::Password(e.to_string()))?;
        Ok(checked)
    }

    // ----- tokens -----

    /// Creates an API token; returns its description and its secret, which is
    /// never stored and cannot be shown again.
    pub async fn create_token(
        &self,
        actor: &Actor,
        spec: &NewToken,
    ) -> Result<(TokenInfo, String)> {
        spec.scopes
            .check_allowed(spec.role)
            .map_err(|e| StoreError::invalid("scopes", e.to_string()))?;
        if spec.scopes.is_empty() {
            return Err(StoreError::invalid(
                "scopes",
                "a token needs at least one scope",
            ));
        }
        let name = spec.name.trim();
        if name.is_empty() || name.len() > 200 {
            return Err(StoreError::invalid("name", "must be 1-200 characters"));
        }
        let secret = new_token_secret();
        let info = TokenInfo {
            id: new_id(),
            org_id: spec.org_id.clone(),
            user_id: spec.user_id.clone(),
            name: name.to_owned(),
            role: spec.role,
            scopes: spec.scopes,
            created_at: now_micros(),
            expires_at: spec.expires_at,
            revoked_at: None,
        };
        let mut tx = self.begin_write().await?;
        if let Some(user_id) = &spec.user_id {
            let user_role: Option<String> =
                sqlx::query("SELECT role FROM users WHERE id = $1 AND org_id = $2")
                    .bind(user_id)
                    .bind(&spec.org_id)
                    .fetch_optional(&mut *tx)
                    .await
                    .and_then(|r| r.map(|r| r.try_get(0)).transpose())
                    .ctx("checking a user")?;
            let Some(user_role) = user_role else {
                return Err(StoreError::NotFound {
                    kind: "member",
                    id: user_id.clone(),
                });
            };
            // A token bound to a user never holds more than the user's role.
            if spec.role.as_str() != user_role && spec.role != Role::Reader {
                return Err(StoreError::invalid(
                    "role",
                    format!(
                        "a token bound to a user with role {user_role} may have role {user_role} or reader, not {}",
                        spec.role
                    ),
                ));
            }
        }
        sqlx::query(
            "INSERT INTO api_tokens (id, org_id, user_id, name, role, scopes, secret_hash, created_at, expires_at, revoked_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL)",
        )
        .bind(&info.id)
        .bind(&info.org_id)
        .bind(&info.user_id)
        .bind(&info.name)
        .bind(info.role.as_str())
        .bind(info.scopes.to_string())
        .bind(hash_token_secret(&secret).to_vec())
        .bind(info.created_at)
        .bind(info.expires_at)
        .execute(&mut *tx)
        .await
        .map_err(|source| match &source {
            sqlx::Error::Database(d) if d.is_foreign_key_violation() => StoreError::NotFound {
                kind: "organisation",
                id: info.org_id.clone(),
            },
            _ => StoreError::Db { op: "creating a token", source },
        })?;
        self.append_audit(
            &mut tx,
            actor,
            Some(&info.org_id),
            "token.create",
            &format!("token:{}", info.id),
            Some(serde_json::json!({
                "name": info.name, "role": info.role.as_str(), "scopes": info.scopes.to_string(),
                "expires_at": info.expires_at.map(crate::micros_to_rfc3339),
            })),
        )
        .await?;
        tx.commit().await.ctx("creating a token")?;
        Ok((info, secret))
    }

    pub async fn list_tokens(&self, org_id: &str) -> Result<Vec<TokenInfo>> {
        let rows = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens t WHERE t.org_id = $1 ORDER BY t.created_at, t.id"
        ))
        .bind(org_id)
        .fetch_all(self.pool())
        .await
        .ctx("listing tokens")?;
        rows.iter()
            .map(token_from_row)
            .collect::<std::result::Result<_, _>>()
            .ctx("decoding tokens")
    }

    /// Revokes a token. With `org_scope`, only a token of that organisation
    /// (anything else reads as not found).
    pub async fn revoke_token(
        &self,
        actor: &Actor,
        org_scope: Option<&str>,
        token_id: &str,
    ) -> Result<TokenInfo> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens t WHERE t.id = $1"
        ))
        .bind(token_id)
        .fetch_optional(&mut *tx)
        .await
        .and_then(|r| r.as_ref().map(token_from_row).transpose())
        .ctx("reading a token")?;
        let mut info = match row {
            Some(t) if org_scope.is_none_or(|o| o == t.org_id) => t,
            _ => {
                return Err(StoreError::NotFound {
                    kind: "token",
                    id: token_id.to_owned(),
                });
            }
        };
        if info.revoked_at.is_none() {
            let now = now_micros();
            sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2")
                .bind(now)
                .bind(token_id)
                .execute(&mut *tx)
                .await
                .ctx("revoking a token")?;
            info.revoked_at = Some(now);
            self.append_audit(
                &mut tx,
                actor,
                Some(&info.org_id),
                "token.revoke",
                &format!("token:{token_id}"),
                None,
            )
            .await?;
        }
        tx.commit().await.ctx("revoking a token")?;
        Ok(info)
    }

    /// Looks a presented secret up by its hash.
    pub async fn lookup_token(&self, secret: &str) -> Result<Option<TokenRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS}, o.name, o.is_operator, o.status, COALESCE(u.disabled, 0) \
             FROM api_tokens t JOIN orgs o ON o.id = t.org_id LEFT JOIN users u ON u.id = t.user_id \
             WHERE t.secret_hash = $1"
        ))
        .bind(hash_token_secret(secret).to_vec())
        .fetch_optional(self.pool())
        .await
        .ctx("looking up a token")?;
        let Some(r) = row else { return Ok(None) };
        let decode = || -> std::result::Result<TokenRecord, sqlx::Error> {
            let status: String = r.try_get(11)?;
            Ok(TokenRecord {
                info: token_from_row(&r)?,
                org_name: r.try_get(9)?,
                org_is_operator: r.try_get::<i64, _>(10)? != 0,
                org_status: if status == "active" {
                    OrgStatus::Active
                } else {
                    OrgStatus::Disabled
                },
                user_disabled: r.try_get::<i64, _>(12)? != 0,
            })
        };
        decode().map(Some).ctx("decoding a token")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_secrets_are_256_bit_and_prefixed() {
        let s = new_token_secret();
        assert!(s.starts_with(TOKEN_PREFIX));
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&s[TOKEN_PREFIX.len()..])
            .unwrap();
        assert_eq!(raw.len(), 32);
        assert_ne!(s, new_token_secret());
    }

    #[test]
    fn emails() {
        assert_eq!(normalise_email(" A@Example.ORG ").unwrap(), "a@example.org");
        for bad in ["", "a", "a@b", "@b.c", "a b@c.d"] {
            assert!(normalise_email(bad).is_err(), "{bad}");
        }
    }
}
