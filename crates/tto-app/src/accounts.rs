//! Users, sign-in, sessions, passwords and invitations.
//!
//! Passwords are hashed with Argon2id on the blocking thread pool, never on the async
//! executor. A session is a random 256-bit token in an HttpOnly cookie; the database keeps
//! only its SHA-256, so a leaked database does not leak sessions. Sign-in is throttled per
//! account and per address from the `login_attempt` table, so several nodes share the count.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tto_domain::{InstitutionId, ValidationErrors, Violation};
use tto_store::accounts::{self as repo, NewSession, NewUser, SessionRecord, UserRecord};
use tto_store::{StoreError, institutions};

use crate::authz::{Actor, Permission, Reach, Role, UserContext, UserId, roles_for_kind};
use crate::{App, AppError, Result};

/// 256 random bits as 64 hex characters.
pub fn random_token() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(format!("no randomness: {e}")))?;
    Ok(hex(&bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What is stored for a secret token: its SHA-256.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

pub const PASSWORD_MIN: usize = 10;
pub const PASSWORD_MAX: usize = 128;
pub const USERNAME_MAX: usize = 64;

/// A signed-in session, as handed to the web layer to set the cookie.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The cookie value (secret).
    pub token: String,
    pub csrf_token: String,
    pub user: UserContext,
    pub expires_at: OffsetDateTime,
}

/// A live session found from its cookie.
#[derive(Debug, Clone)]
pub struct LiveSession {
    pub user: UserContext,
    pub csrf_token: String,
    pub expires_at: OffsetDateTime,
}

/// Input for creating a user.
#[derive(Debug, Clone, Default)]
pub struct UserDraft {
    pub institution_id: Option<i64>,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub roles: Vec<String>,
}

fn normalise_username(username: &str) -> String {
    username.trim().to_lowercase()
}

fn check_password(errors: &mut ValidationErrors, field: &str, password: &str, username: &str) {
    let len = password.chars().count();
    if !(PASSWORD_MIN..=PASSWORD_MAX).contains(&len) {
        errors.add(field, Violation::OutOfRange { min: PASSWORD_MIN.to_string(), max: PASSWORD_MAX.to_string() });
    } else if password.to_lowercase().contains(&normalise_username(username)) && !username.is_empty() {
        errors.add(
            field,
            Violation::Rule {
                code: "password_contains_username",
                detail: "the password must not contain the user name".into(),
            },
        );
    }
}

/// The stored form of a checked user draft.
fn new_user<'a>(
    institution_id: InstitutionId,
    username: &'a str,
    draft: &'a UserDraft,
    roles: &'a [&'a str],
    password_hash: Option<&'a str>,
    status: &'a str,
) -> NewUser<'a> {
    NewUser {
        institution_id,
        username,
        display_name: draft.display_name.trim(),
        email: draft.email.as_deref().map(str::trim).filter(|e| !e.is_empty()),
        password_hash,
        status,
        roles,
    }
}

fn user_context(r: &SessionRecord) -> UserContext {
    UserContext {
        user_id: UserId(r.user_id),
        username: r.username.clone(),
        display_name: r.display_name.clone(),
        institution_id: r.institution_id,
        institution_name: r.institution_name.clone(),
        institution_kind: r.institution_kind,
        roles: r.roles.iter().filter_map(|c| Role::from_code(c).ok()).collect(),
    }
}

impl App {
    fn argon2(&self) -> Result<Argon2<'static>> {
        let s = self.settings();
        let params = Params::new(s.argon2_memory_kib, s.argon2_iterations, 1, None)
            .map_err(|e| AppError::Internal(format!("argon2 parameters: {e}")))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    /// Hashes a password on the blocking pool.
    pub async fn hash_password(&self, password: &str) -> Result<String> {
        let argon2 = self.argon2()?;
        let password = password.to_string();
        tokio::task::spawn_blocking(move || {
            argon2
                .hash_password(password.as_bytes())
                .map(|h| h.to_string())
                .map_err(|e| AppError::Internal(e.to_string()))
        })
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
    }

    /// Checks a password against a stored hash on the blocking pool. Without a stored hash a
    /// dummy check still runs, so timing does not tell whether the account exists.
    async fn verify_password(&self, password: &str, stored: Option<String>) -> Result<bool> {
        let argon2 = self.argon2()?;
        let password = password.to_string();
        let dummy = self.hash_password("not-a-real-password-0").await?;
        tokio::task::spawn_blocking(move || {
            let (hash, real) = match stored {
                Some(h) => (h, true),
                None => (dummy, false),
            };
            let parsed = PasswordHash::new(&hash).map_err(|e| AppError::Internal(format!("stored hash: {e}")))?;
            Ok(real && argon2.verify_password(password.as_bytes(), &parsed).is_ok())
        })
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
    }

    /// Signs in with user name and password from `address`.
    pub async fn sign_in(&self, username: &str, password: &str, address: &str) -> Result<SignedIn> {
        let username = normalise_username(username);
        let now = self.now();
        let s = self.settings();
        let mut r = self.store().reader().await?;
        let (by_user, by_address) = repo::recent_failures(&mut r, &username, address, now - s.throttle_window).await?;
        if by_user >= s.throttle_per_account || by_address >= s.throttle_per_address {
            return Err(AppError::TooManyAttempts { retry_after_secs: s.throttle_window.whole_seconds() as u64 });
        }
        let user = repo::find_user(&mut r, &username).await?;
        drop(r);
        let active = user.as_ref().is_some_and(|u| u.status == "active");
        let stored = user.as_ref().filter(|_| active).and_then(|u| u.password_hash.clone());
        let ok = self.verify_password(password, stored).await?;

        let actor = tto_store::Actor { kind: "anonymous", id: None, label: username.clone() };
        let mut tx = self.store().write(actor, now).await?;
        repo::record_attempt(&mut tx, &username, address, ok).await?;
        let (true, Some(user)) = (ok, user) else {
            tx.record(
                None,
                "session.sign_in_failed",
                "user",
                &username,
                None,
                Some(&serde_json::json!({ "address": address })),
            )
            .await?;
            tx.commit().await?;
            return Err(AppError::InvalidCredentials);
        };
        let token = random_token()?;
        let csrf_token = random_token()?;
        let expires_at = now + s.session_max;
        repo::insert_session(
            &mut tx,
            NewSession { id_hash: &token_hash(&token), user: &user, csrf_token: &csrf_token, expires_at, address },
        )
        .await?;
        tx.commit().await?;
        let session = self.session(&token).await?.ok_or(AppError::Unauthenticated)?;
        Ok(SignedIn { token, csrf_token, user: session.user, expires_at })
    }

    /// The live session of a cookie value, if any: not expired, not idle too long, user
    /// still active. Records activity at most once a minute.
    pub async fn session(&self, token: &str) -> Result<Option<LiveSession>> {
        let hash = token_hash(token);
        let mut record = match self.cache().sessions.get(&hash) {
            Some(r) => r,
            None => {
                let mut r = self.store().reader().await?;
                let Some(record) = repo::find_session(&mut r, &hash).await? else { return Ok(None) };
                self.cache().sessions.put(hash.clone(), record.clone());
                record
            }
        };
        let now = self.now();
        let idle = now - record.last_seen_at;
        if now >= record.expires_at || idle >= self.settings().session_idle || record.user_status != "active" {
            return Ok(None);
        }
        if idle >= time::Duration::minutes(1) {
            repo::touch_session(self.store(), &hash, now).await?;
            record.last_seen_at = now;
            self.cache().sessions.put(hash.clone(), record.clone());
        }
        Ok(Some(LiveSession {
            user: user_context(&record),
            csrf_token: record.csrf_token.clone(),
            expires_at: record.expires_at,
        }))
    }

    pub async fn sign_out(&self, token: &str) -> Result<()> {
        let hash = token_hash(token);
        let mut r = self.store().reader().await?;
        let Some(record) = repo::find_session(&mut r, &hash).await? else { return Ok(()) };
        drop(r);
        let actor = tto_store::Actor { kind: "user", id: Some(record.user_id), label: record.username.clone() };
        let mut tx = self.store().write(actor, self.now()).await?;
        repo::delete_session(&mut tx, &hash, record.user_id, record.institution_id, "session.sign_out").await?;
        tx.commit().await?;
        self.cache().sessions.clear();
        Ok(())
    }

    /// Changes the signed-in user's password and ends their other sessions.
    pub async fn change_password(
        &self,
        actor: &Actor,
        session_token: Option<&str>,
        current: &str,
        new: &str,
    ) -> Result<()> {
        let user = actor.user().ok_or(AppError::Unauthenticated)?;
        let mut errors = ValidationErrors::new();
        check_password(&mut errors, "new_password", new, &user.username);
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let mut r = self.store().reader().await?;
        let record = repo::get_user(&mut r, user.user_id.0).await?;
        drop(r);
        if !self.verify_password(current, record.password_hash.clone()).await? {
            return Err(AppError::field(
                "current_password",
                Violation::Rule { code: "wrong_password", detail: "the current password is wrong".into() },
            ));
        }
        let hash = self.hash_password(new).await?;
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        repo::set_password(&mut tx, &record, &hash, "active", "user.password_change").await?;
        repo::delete_sessions_of(&mut tx, record.id, session_token.map(token_hash).as_deref()).await?;
        tx.commit().await?;
        self.cache().sessions.clear();
        Ok(())
    }

    fn check_user_draft(
        &self,
        actor: &Actor,
        draft: &UserDraft,
        kind: tto_domain::InstitutionKind,
    ) -> Result<(String, Vec<Role>)> {
        let mut errors = ValidationErrors::new();
        let username = normalise_username(&draft.username);
        if username.is_empty() {
            errors.add("username", Violation::Required);
        } else if username.len() > USERNAME_MAX
            || !username.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
        {
            errors.add("username", Violation::InvalidFormat { expected: "username" });
        }
        if draft.display_name.trim().is_empty() {
            errors.add("display_name", Violation::Required);
        } else if draft.display_name.trim().chars().count() > 100 {
            errors.add("display_name", Violation::TooLong { max: 100 });
        }
        let mut roles = Vec::new();
        for code in &draft.roles {
            match Role::from_code(code) {
                Ok(role) if roles_for_kind(kind).contains(&role) => roles.push(role),
                Ok(_) | Err(_) => errors.add("roles", Violation::UnknownChoice { value: code.clone() }),
            }
        }
        if roles.is_empty() && draft.roles.is_empty() {
            errors.add("roles", Violation::Required);
        }
        // No one grants what they may not grant: only the platform grants platform roles.
        if roles.iter().any(|r| matches!(r, Role::PlatformAdmin | Role::Regulator))
            && !matches!(actor, Actor::System { .. })
            && !actor.has_role(Role::PlatformAdmin)
        {
            errors.add(
                "roles",
                Violation::Rule {
                    code: "role_not_grantable",
                    detail: "only a platform administrator grants this role".into(),
                },
            );
        }
        Ok(errors.finish(|| (username, roles))?)
    }

    /// Creates a user who sets their own password through a one-time link. Returns the
    /// user and the secret invitation token (shown once to the administrator).
    pub async fn invite_user(&self, actor: &Actor, draft: &UserDraft) -> Result<(UserRecord, String)> {
        let reach = actor.require(Permission::UserManage)?;
        let institution_id = match (reach, draft.institution_id, actor.institution_id()) {
            (Reach::All, Some(id), _) => InstitutionId(id),
            (Reach::All, None, Some(own)) => own,
            (Reach::Own, None, Some(own)) => own,
            (Reach::Own, Some(id), Some(own)) if id == own.0 => own,
            (Reach::Own, Some(_), _) => return Err(AppError::Forbidden),
            _ => return Err(AppError::field("institution_id", Violation::Required)),
        };
        let mut r = self.store().reader().await?;
        let institution = institutions::get(&mut r, institution_id).await.map_err(|e| match e {
            StoreError::NotFound => {
                AppError::field("institution_id", Violation::UnknownChoice { value: institution_id.to_string() })
            }
            other => other.into(),
        })?;
        let (username, roles) = self.check_user_draft(actor, draft, institution.fields.kind)?;
        if repo::find_user(&mut r, &username).await?.is_some() {
            return Err(AppError::conflict("username", Violation::Duplicate { value: username }));
        }
        drop(r);
        let token = random_token()?;
        let role_codes: Vec<&str> = roles.iter().map(|r| r.code()).collect();
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let user = repo::insert_user(&mut tx, new_user(institution_id, &username, draft, &role_codes, None, "invited"))
            .await?;
        let expires_at = self.now() + self.settings().invitation_ttl;
        repo::insert_invitation(&mut tx, &token_hash(&token), &user, actor.user().map(|u| u.user_id.0), expires_at)
            .await?;
        tx.commit().await?;
        Ok((user, token))
    }

    /// The user an invitation link is for, if the link is still valid.
    pub async fn invitation(&self, token: &str) -> Result<UserRecord> {
        let mut r = self.store().reader().await?;
        let invitation = repo::find_invitation(&mut r, &token_hash(token))
            .await?
            .ok_or(AppError::NotFound { entity: "invitation" })?;
        if invitation.used_at.is_some() || invitation.expires_at <= self.now() {
            return Err(AppError::NotFound { entity: "invitation" });
        }
        Ok(repo::get_user(&mut r, invitation.user_id).await?)
    }

    /// Sets the invited user's password; the link cannot be used again.
    pub async fn accept_invitation(&self, token: &str, password: &str) -> Result<UserRecord> {
        let user = self.invitation(token).await?;
        let mut errors = ValidationErrors::new();
        check_password(&mut errors, "password", password, &user.username);
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let hash = self.hash_password(password).await?;
        let actor = tto_store::Actor { kind: "user", id: Some(user.id), label: user.username.clone() };
        let mut tx = self.store().write(actor, self.now()).await?;
        if !repo::use_invitation(&mut tx, &token_hash(token)).await? {
            return Err(AppError::NotFound { entity: "invitation" });
        }
        let user = repo::set_password(&mut tx, &user, &hash, "active", "user.accept_invitation").await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Creates an active user with a password (the CLI and the demo loader).
    pub async fn create_user_with_password(
        &self,
        actor: &Actor,
        draft: &UserDraft,
        password: &str,
    ) -> Result<UserRecord> {
        actor.require(Permission::UserManage)?;
        let institution_id =
            InstitutionId(draft.institution_id.ok_or_else(|| AppError::field("institution_id", Violation::Required))?);
        actor.require_for(Permission::UserManage, institution_id)?;
        let mut r = self.store().reader().await?;
        let institution = institutions::get(&mut r, institution_id).await?;
        let (username, roles) = self.check_user_draft(actor, draft, institution.fields.kind)?;
        let mut errors = ValidationErrors::new();
        check_password(&mut errors, "password", password, &username);
        if !errors.is_empty() {
            return Err(errors.into());
        }
        if repo::find_user(&mut r, &username).await?.is_some() {
            return Err(AppError::conflict("username", Violation::Duplicate { value: username }));
        }
        drop(r);
        let hash = self.hash_password(password).await?;
        let role_codes: Vec<&str> = roles.iter().map(|r| r.code()).collect();
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let user =
            repo::insert_user(&mut tx, new_user(institution_id, &username, draft, &role_codes, Some(&hash), "active"))
                .await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Users the actor may manage.
    pub async fn users(&self, actor: &Actor) -> Result<Vec<UserRecord>> {
        let scope = actor.internal_scope(Permission::UserManage)?;
        let mut r = self.store().reader().await?;
        Ok(repo::list_users(&mut r, scope).await?)
    }

    /// Changes a user's roles and status (`active` / `disabled`). Disabling ends sessions.
    pub async fn update_user(
        &self,
        actor: &Actor,
        user_id: i64,
        expected_version: i64,
        display_name: &str,
        roles: &[String],
        status: &str,
    ) -> Result<UserRecord> {
        actor.require(Permission::UserManage)?;
        let mut r = self.store().reader().await?;
        let before = repo::get_user(&mut r, user_id).await.map_err(|e| match e {
            StoreError::NotFound => AppError::NotFound { entity: "user" },
            other => other.into(),
        })?;
        actor.require_for(Permission::UserManage, before.institution_id)?;
        let institution = institutions::get(&mut r, before.institution_id).await?;
        drop(r);
        if before.version != expected_version {
            return Err(AppError::conflict("version", Violation::StaleVersion));
        }
        let draft = UserDraft {
            institution_id: Some(before.institution_id.0),
            username: before.username.clone(),
            display_name: display_name.to_string(),
            email: before.email.clone(),
            roles: roles.to_vec(),
        };
        let (_, roles) = self.check_user_draft(actor, &draft, institution.fields.kind)?;
        let status = match status {
            "active" | "disabled" if before.status != "invited" => status,
            "invited" if before.status == "invited" => status,
            other => return Err(AppError::field("status", Violation::UnknownChoice { value: other.to_string() })),
        };
        if actor.user().is_some_and(|u| u.user_id.0 == user_id)
            && (status == "disabled"
                || !roles.contains(&Role::TtoAdmin) && before.roles.iter().any(|r| r == "tto_admin"))
        {
            return Err(AppError::field(
                "roles",
                Violation::Rule {
                    code: "no_self_lockout",
                    detail: "you cannot disable yourself or remove your own administrator role".into(),
                },
            ));
        }
        let role_codes: Vec<&str> = roles.iter().map(|r| r.code()).collect();
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let after = repo::update_user(
            &mut tx,
            &before,
            display_name.trim(),
            before.email.as_deref(),
            status,
            &role_codes,
            "user.update",
        )
        .await?;
        if status == "disabled" {
            repo::delete_sessions_of(&mut tx, after.id, None).await?;
        }
        tx.commit().await?;
        // Roles and status shown in sessions changed.
        self.cache().sessions.clear();
        Ok(after)
    }
}
