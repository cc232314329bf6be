//! Users, memberships, sessions, personal access tokens, invitations and sign-in attempts.
//!
//! Secrets never reach the database: sessions, tokens and invitations are stored as the
//! SHA-256 of a random value, passwords as Argon2 PHC strings, and none of them appear in
//! audit snapshots.

use serde_json::{Value, json};
use sqlx::any::AnyRow;
use time::OffsetDateTime;
use tto_domain::{InstitutionId, InstitutionKind};

use crate::codec::{corrupt, format_timestamp, i64_col, opt_i64_col, opt_str_col, str_col, ts_col};
use crate::sql::Sql;
use crate::{Conn, Result, Scope, Store, StoreError, WriteTx};

/// A stored user with their roles in their institution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: i64,
    pub institution_id: InstitutionId,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub password_hash: Option<String>,
    /// `invited`, `active`, `disabled`.
    pub status: String,
    pub roles: Vec<String>,
    pub created_at: OffsetDateTime,
    pub version: i64,
}

/// The audit snapshot of a user (never the password hash).
pub fn user_snapshot(u: &UserRecord) -> Value {
    json!({
        "id": u.id,
        "institution_id": u.institution_id.0,
        "username": u.username,
        "display_name": u.display_name,
        "email": u.email,
        "status": u.status,
        "roles": u.roles,
        "has_password": u.password_hash.is_some(),
        "version": u.version,
    })
}

const USER_COLUMNS: &str = "SELECT id, institution_id, username, display_name, email, password_hash, status, \
                            created_at, version FROM app_user";

async fn user_from(db: &mut impl Conn, row: &AnyRow) -> Result<UserRecord> {
    let id = i64_col(row, "id")?;
    let institution_id = InstitutionId(i64_col(row, "institution_id")?);
    Ok(UserRecord {
        id,
        institution_id,
        username: str_col(row, "username")?,
        display_name: str_col(row, "display_name")?,
        email: opt_str_col(row, "email")?,
        password_hash: opt_str_col(row, "password_hash")?,
        status: str_col(row, "status")?,
        roles: roles_of(db, id, institution_id).await?,
        created_at: ts_col(row, "created_at")?,
        version: i64_col(row, "version")?,
    })
}

async fn roles_of(db: &mut impl Conn, user_id: i64, institution: InstitutionId) -> Result<Vec<String>> {
    let mut q = Sql::new("SELECT role FROM membership WHERE user_id = ");
    q.bind(user_id).push(" AND institution_id = ").bind(institution.0).push(" ORDER BY role");
    q.fetch_all(db.conn()).await?.iter().map(|r| str_col(r, "role")).collect()
}

pub async fn get_user(db: &mut impl Conn, id: i64) -> Result<UserRecord> {
    let mut q = Sql::new(USER_COLUMNS);
    q.push(" WHERE id = ").bind(id);
    let row = q.fetch_optional(db.conn()).await?.ok_or(StoreError::NotFound)?;
    user_from(db, &row).await
}

pub async fn find_user(db: &mut impl Conn, username: &str) -> Result<Option<UserRecord>> {
    let mut q = Sql::new(USER_COLUMNS);
    q.push(" WHERE username = ").bind(username.to_string());
    match q.fetch_optional(db.conn()).await? {
        Some(row) => Ok(Some(user_from(db, &row).await?)),
        None => Ok(None),
    }
}

/// Users visible in `scope` (`All` or one institution), by institution and name.
pub async fn list_users(db: &mut impl Conn, scope: Scope) -> Result<Vec<UserRecord>> {
    let mut q = Sql::new(USER_COLUMNS);
    match scope {
        Scope::Institution(id) | Scope::OwnOrPublic(id) => {
            q.push(" WHERE institution_id = ").bind(id.0);
        }
        Scope::All => {}
        Scope::Public => return Ok(Vec::new()),
    }
    q.push(" ORDER BY institution_id, username");
    let rows = q.fetch_all(db.conn()).await?;
    let mut users = Vec::with_capacity(rows.len());
    for row in &rows {
        users.push(user_from(db, row).await?);
    }
    Ok(users)
}

/// Active users holding `role` in their institution, by institution and name.
pub async fn active_users_with_role(db: &mut impl Conn, role: &str) -> Result<Vec<UserRecord>> {
    let mut q = Sql::new(USER_COLUMNS);
    q.push(" WHERE status = 'active' AND id IN (SELECT m.user_id FROM membership m WHERE m.role = ")
        .bind(role.to_string())
        .push(" AND m.institution_id = app_user.institution_id) ORDER BY institution_id, username");
    let rows = q.fetch_all(db.conn()).await?;
    let mut users = Vec::with_capacity(rows.len());
    for row in &rows {
        users.push(user_from(db, row).await?);
    }
    Ok(users)
}

pub struct NewUser<'a> {
    pub institution_id: InstitutionId,
    pub username: &'a str,
    pub display_name: &'a str,
    pub email: Option<&'a str>,
    pub password_hash: Option<&'a str>,
    pub status: &'a str,
    pub roles: &'a [&'a str],
}

pub async fn insert_user(tx: &mut WriteTx, new: NewUser<'_>) -> Result<UserRecord> {
    let now = format_timestamp(tx.now());
    let mut q = Sql::new(
        "INSERT INTO app_user (institution_id, username, display_name, email, password_hash, status, created_at, \
         updated_at, version) VALUES (",
    );
    q.bind(new.institution_id.0)
        .push(", ")
        .bind(new.username.to_string())
        .push(", ")
        .bind(new.display_name.to_string())
        .push(", ")
        .bind(new.email.map(str::to_string))
        .push(", ")
        .bind(new.password_hash.map(str::to_string))
        .push(", ")
        .bind(new.status.to_string())
        .push(", ")
        .bind(now.clone())
        .push(", ")
        .bind(now)
        .push(", 1) RETURNING id");
    let id = i64_col(&q.fetch_one(tx.conn()).await?, "id")?;
    write_roles(tx, id, new.institution_id, new.roles).await?;
    let user = get_user(tx, id).await?;
    tx.record(Some(user.institution_id), "user.create", "user", &id.to_string(), None, Some(&user_snapshot(&user)))
        .await?;
    Ok(user)
}

async fn write_roles(tx: &mut WriteTx, user_id: i64, institution: InstitutionId, roles: &[&str]) -> Result<()> {
    let mut q = Sql::new("DELETE FROM membership WHERE user_id = ");
    q.bind(user_id);
    q.execute(tx.conn()).await?;
    for role in roles {
        let mut q = Sql::new("INSERT INTO membership (user_id, institution_id, role) VALUES (");
        q.bind(user_id).push(", ").bind(institution.0).push(", ").bind(role.to_string()).push(")");
        q.execute(tx.conn()).await?;
    }
    Ok(())
}

/// Changes what an administrator may change: display name, email, status, roles.
pub async fn update_user(
    tx: &mut WriteTx,
    before: &UserRecord,
    display_name: &str,
    email: Option<&str>,
    status: &str,
    roles: &[&str],
    action: &str,
) -> Result<UserRecord> {
    let mut q = Sql::new("UPDATE app_user SET display_name = ");
    q.bind(display_name.to_string())
        .push(", email = ")
        .bind(email.map(str::to_string))
        .push(", status = ")
        .bind(status.to_string())
        .push(", updated_at = ")
        .bind(format_timestamp(tx.now()))
        .where_version(before.id, before.version);
    q.execute_versioned(tx.conn()).await?;
    write_roles(tx, before.id, before.institution_id, roles).await?;
    let after = get_user(tx, before.id).await?;
    tx.record(
        Some(before.institution_id),
        action,
        "user",
        &before.id.to_string(),
        Some(&user_snapshot(before)),
        Some(&user_snapshot(&after)),
    )
    .await?;
    Ok(after)
}

/// Sets a new password hash (and status, e.g. `active` after an invitation).
pub async fn set_password(
    tx: &mut WriteTx,
    before: &UserRecord,
    password_hash: &str,
    status: &str,
    action: &str,
) -> Result<UserRecord> {
    let mut q = Sql::new("UPDATE app_user SET password_hash = ");
    q.bind(password_hash.to_string())
        .push(", status = ")
        .bind(status.to_string())
        .push(", updated_at = ")
        .bind(format_timestamp(tx.now()))
        .push(", version = version + 1 WHERE id = ")
        .bind(before.id);
    q.execute(tx.conn()).await?;
    let after = get_user(tx, before.id).await?;
    tx.record(
        Some(before.institution_id),
        action,
        "user",
        &before.id.to_string(),
        Some(&user_snapshot(before)),
        Some(&user_snapshot(&after)),
    )
    .await?;
    Ok(after)
}

/// A session with everything a request needs to know about its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub user_status: String,
    pub institution_id: InstitutionId,
    pub institution_name: String,
    pub institution_kind: InstitutionKind,
    pub roles: Vec<String>,
    pub csrf_token: String,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

pub struct NewSession<'a> {
    pub id_hash: &'a str,
    pub user: &'a UserRecord,
    pub csrf_token: &'a str,
    pub expires_at: OffsetDateTime,
    pub address: &'a str,
}

pub async fn insert_session(tx: &mut WriteTx, s: NewSession<'_>) -> Result<()> {
    let now = format_timestamp(tx.now());
    let mut q = Sql::new(
        "INSERT INTO user_session (id_hash, user_id, institution_id, csrf_token, created_at, last_seen_at, \
         expires_at, address) VALUES (",
    );
    q.bind(s.id_hash.to_string())
        .push(", ")
        .bind(s.user.id)
        .push(", ")
        .bind(s.user.institution_id.0)
        .push(", ")
        .bind(s.csrf_token.to_string())
        .push(", ")
        .bind(now.clone())
        .push(", ")
        .bind(now)
        .push(", ")
        .bind(format_timestamp(s.expires_at))
        .push(", ")
        .bind(s.address.to_string())
        .push(")");
    q.execute(tx.conn()).await?;
    tx.record(
        Some(s.user.institution_id),
        "session.sign_in",
        "user",
        &s.user.id.to_string(),
        None,
        Some(&json!({ "address": s.address, "expires_at": format_timestamp(s.expires_at) })),
    )
    .await
}

pub async fn find_session(db: &mut impl Conn, id_hash: &str) -> Result<Option<SessionRecord>> {
    let mut q = Sql::new(
        "SELECT s.user_id, u.username, u.display_name, u.status AS user_status, s.institution_id, \
         i.name AS institution_name, i.kind AS institution_kind, s.csrf_token, s.created_at, s.last_seen_at, \
         s.expires_at FROM user_session s JOIN app_user u ON u.id = s.user_id \
         JOIN institution i ON i.id = s.institution_id WHERE s.id_hash = ",
    );
    q.bind(id_hash.to_string());
    let Some(row) = q.fetch_optional(db.conn()).await? else { return Ok(None) };
    let user_id = i64_col(&row, "user_id")?;
    let institution_id = InstitutionId(i64_col(&row, "institution_id")?);
    Ok(Some(SessionRecord {
        user_id,
        username: str_col(&row, "username")?,
        display_name: str_col(&row, "display_name")?,
        user_status: str_col(&row, "user_status")?,
        institution_id,
        institution_name: str_col(&row, "institution_name")?,
        institution_kind: InstitutionKind::from_code(&str_col(&row, "institution_kind")?)
            .map_err(corrupt("institution kind"))?,
        roles: roles_of(db, user_id, institution_id).await?,
        csrf_token: str_col(&row, "csrf_token")?,
        created_at: ts_col(&row, "created_at")?,
        last_seen_at: ts_col(&row, "last_seen_at")?,
        expires_at: ts_col(&row, "expires_at")?,
    }))
}

/// Records activity on a session. Operational bookkeeping, like a web server's access log:
/// written outside the audit chain (DESIGN exception documented in ARCHITECTURE.md).
pub async fn touch_session(store: &Store, id_hash: &str, now: OffsetDateTime) -> Result<()> {
    let mut conn = store.bookkeeping().await?;
    let mut q = Sql::new("UPDATE user_session SET last_seen_at = ");
    q.bind(format_timestamp(now)).push(" WHERE id_hash = ").bind(id_hash.to_string());
    q.execute(&mut conn).await?;
    Ok(())
}

/// Ends one session.
pub async fn delete_session(
    tx: &mut WriteTx,
    id_hash: &str,
    user_id: i64,
    institution: InstitutionId,
    action: &str,
) -> Result<()> {
    let mut q = Sql::new("DELETE FROM user_session WHERE id_hash = ");
    q.bind(id_hash.to_string());
    q.execute(tx.conn()).await?;
    tx.record(Some(institution), action, "user", &user_id.to_string(), Some(&json!({ "session": "ended" })), None).await
}

/// Ends every session of a user except `keep` (after a password change or disabling).
pub async fn delete_sessions_of(tx: &mut WriteTx, user_id: i64, keep: Option<&str>) -> Result<u64> {
    let mut q = Sql::new("DELETE FROM user_session WHERE user_id = ");
    q.bind(user_id);
    if let Some(keep) = keep {
        q.push(" AND id_hash <> ").bind(keep.to_string());
    }
    q.execute(tx.conn()).await
}

/// A personal access token (without its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub id: i64,
    pub user_id: i64,
    pub institution_id: InstitutionId,
    pub name: String,
    pub prefix: String,
    pub created_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
    pub expires_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
}

const TOKEN_COLUMNS: &str = "SELECT id, user_id, institution_id, name, prefix, created_at, last_used_at, expires_at, \
                             revoked_at FROM api_token";

fn token_from(row: &AnyRow) -> Result<TokenRecord> {
    let opt_ts = |col: &str| -> Result<Option<OffsetDateTime>> {
        opt_str_col(row, col)?.as_deref().map(crate::parse_timestamp).transpose()
    };
    Ok(TokenRecord {
        id: i64_col(row, "id")?,
        user_id: i64_col(row, "user_id")?,
        institution_id: InstitutionId(i64_col(row, "institution_id")?),
        name: str_col(row, "name")?,
        prefix: str_col(row, "prefix")?,
        created_at: ts_col(row, "created_at")?,
        last_used_at: opt_ts("last_used_at")?,
        expires_at: opt_ts("expires_at")?,
        revoked_at: opt_ts("revoked_at")?,
    })
}

pub async fn insert_token(
    tx: &mut WriteTx,
    user: &UserRecord,
    name: &str,
    token_hash: &str,
    prefix: &str,
    expires_at: Option<OffsetDateTime>,
) -> Result<TokenRecord> {
    let mut q = Sql::new(
        "INSERT INTO api_token (user_id, institution_id, name, token_hash, prefix, created_at, expires_at) VALUES (",
    );
    q.bind(user.id)
        .push(", ")
        .bind(user.institution_id.0)
        .push(", ")
        .bind(name.to_string())
        .push(", ")
        .bind(token_hash.to_string())
        .push(", ")
        .bind(prefix.to_string())
        .push(", ")
        .bind(format_timestamp(tx.now()))
        .push(", ")
        .bind(expires_at.map(format_timestamp))
        .push(") RETURNING id");
    let id = i64_col(&q.fetch_one(tx.conn()).await?, "id")?;
    let token = get_token(tx, id).await?;
    tx.record(
        Some(user.institution_id),
        "token.create",
        "api_token",
        &id.to_string(),
        None,
        Some(&json!({ "user_id": user.id, "name": name, "prefix": prefix })),
    )
    .await?;
    Ok(token)
}

pub async fn get_token(db: &mut impl Conn, id: i64) -> Result<TokenRecord> {
    let mut q = Sql::new(TOKEN_COLUMNS);
    q.push(" WHERE id = ").bind(id);
    q.fetch_optional(db.conn()).await?.as_ref().map(token_from).transpose()?.ok_or(StoreError::NotFound)
}

pub async fn tokens_of(db: &mut impl Conn, user_id: i64) -> Result<Vec<TokenRecord>> {
    let mut q = Sql::new(TOKEN_COLUMNS);
    q.push(" WHERE user_id = ").bind(user_id).push(" ORDER BY id DESC");
    q.fetch_all(db.conn()).await?.iter().map(token_from).collect()
}

/// The token with this hash, if it exists (revoked or not).
pub async fn find_token(db: &mut impl Conn, token_hash: &str) -> Result<Option<TokenRecord>> {
    let mut q = Sql::new(TOKEN_COLUMNS);
    q.push(" WHERE token_hash = ").bind(token_hash.to_string());
    q.fetch_optional(db.conn()).await?.as_ref().map(token_from).transpose()
}

pub async fn revoke_token(tx: &mut WriteTx, token: &TokenRecord) -> Result<()> {
    let mut q = Sql::new("UPDATE api_token SET revoked_at = ");
    q.bind(format_timestamp(tx.now())).push(" WHERE id = ").bind(token.id).push(" AND revoked_at IS NULL");
    q.execute(tx.conn()).await?;
    tx.record(
        Some(token.institution_id),
        "token.revoke",
        "api_token",
        &token.id.to_string(),
        Some(&json!({ "revoked": false })),
        Some(&json!({ "revoked": true })),
    )
    .await
}

/// Bookkeeping, outside the audit chain (see [`touch_session`]).
pub async fn touch_token(store: &Store, id: i64, now: OffsetDateTime) -> Result<()> {
    let mut conn = store.bookkeeping().await?;
    let mut q = Sql::new("UPDATE api_token SET last_used_at = ");
    q.bind(format_timestamp(now)).push(" WHERE id = ").bind(id);
    q.execute(&mut conn).await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationRecord {
    pub user_id: i64,
    pub institution_id: InstitutionId,
    pub created_by: Option<i64>,
    pub expires_at: OffsetDateTime,
    pub used_at: Option<OffsetDateTime>,
}

pub async fn insert_invitation(
    tx: &mut WriteTx,
    token_hash: &str,
    user: &UserRecord,
    created_by: Option<i64>,
    expires_at: OffsetDateTime,
) -> Result<()> {
    let mut q = Sql::new(
        "INSERT INTO invitation (token_hash, user_id, institution_id, created_by, created_at, expires_at) VALUES (",
    );
    q.bind(token_hash.to_string())
        .push(", ")
        .bind(user.id)
        .push(", ")
        .bind(user.institution_id.0)
        .push(", ")
        .bind(created_by)
        .push(", ")
        .bind(format_timestamp(tx.now()))
        .push(", ")
        .bind(format_timestamp(expires_at))
        .push(")");
    q.execute(tx.conn()).await?;
    tx.record(
        Some(user.institution_id),
        "user.invite",
        "user",
        &user.id.to_string(),
        None,
        Some(&json!({ "expires_at": format_timestamp(expires_at) })),
    )
    .await
}

pub async fn find_invitation(db: &mut impl Conn, token_hash: &str) -> Result<Option<InvitationRecord>> {
    let mut q =
        Sql::new("SELECT user_id, institution_id, created_by, expires_at, used_at FROM invitation WHERE token_hash = ");
    q.bind(token_hash.to_string());
    let Some(row) = q.fetch_optional(db.conn()).await? else { return Ok(None) };
    Ok(Some(InvitationRecord {
        user_id: i64_col(&row, "user_id")?,
        institution_id: InstitutionId(i64_col(&row, "institution_id")?),
        created_by: opt_i64_col(&row, "created_by")?,
        expires_at: ts_col(&row, "expires_at")?,
        used_at: opt_str_col(&row, "used_at")?.as_deref().map(crate::parse_timestamp).transpose()?,
    }))
}

/// Marks an invitation used; false if it already was (two tabs racing).
pub async fn use_invitation(tx: &mut WriteTx, token_hash: &str) -> Result<bool> {
    let mut q = Sql::new("UPDATE invitation SET used_at = ");
    q.bind(format_timestamp(tx.now()))
        .push(" WHERE token_hash = ")
        .bind(token_hash.to_string())
        .push(" AND used_at IS NULL");
    Ok(q.execute(tx.conn()).await? == 1)
}

/// Records a sign-in attempt (inside the transaction that audits it).
pub async fn record_attempt(tx: &mut WriteTx, username: &str, address: &str, success: bool) -> Result<()> {
    let mut q = Sql::new("INSERT INTO login_attempt (username, address, at, success) VALUES (");
    q.bind(username.to_string())
        .push(", ")
        .bind(address.to_string())
        .push(", ")
        .bind(format_timestamp(tx.now()))
        .push(", ")
        .bind(success)
        .push(")");
    q.execute(tx.conn()).await?;
    Ok(())
}

/// Failed attempts since `since` for a user name and for an address.
pub async fn recent_failures(
    db: &mut impl Conn,
    username: &str,
    address: &str,
    since: OffsetDateTime,
) -> Result<(i64, i64)> {
    let since = format_timestamp(since);
    let mut q = Sql::new("SELECT COUNT(*) AS n FROM login_attempt WHERE username = ");
    q.bind(username.to_string()).push(" AND at >= ").bind(since.clone()).push(" AND success = ").bind(false);
    let by_user = i64_col(&q.fetch_one(db.conn()).await?, "n")?;
    let mut q = Sql::new("SELECT COUNT(*) AS n FROM login_attempt WHERE address = ");
    q.bind(address.to_string()).push(" AND at >= ").bind(since).push(" AND success = ").bind(false);
    let by_address = i64_col(&q.fetch_one(db.conn()).await?, "n")?;
    Ok((by_user, by_address))
}
