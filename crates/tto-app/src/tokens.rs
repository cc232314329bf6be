//! Personal access tokens for API clients.
//!
//! A token is `tto_` + 64 hex characters, shown once; only its SHA-256 is stored. A token
//! acts with its user's current roles (so taking a role away also narrows the token), and
//! stops working when revoked, expired, or when its user is disabled.

use tto_store::accounts::{self as repo, TokenRecord};

use crate::accounts::{random_token, token_hash};
use crate::authz::{Actor, Permission, Role, UserContext, UserId};
use crate::{App, AppError, Result};
use tto_domain::Violation;

pub const TOKEN_PREFIX: &str = "tto_";

impl App {
    pub async fn create_token(
        &self,
        actor: &Actor,
        name: &str,
        valid_days: Option<u32>,
    ) -> Result<(TokenRecord, String)> {
        actor.require(Permission::TokenManage)?;
        let user = actor.user().ok_or(AppError::Unauthenticated)?;
        let name = name.trim();
        if name.is_empty() {
            return Err(AppError::field("name", Violation::Required));
        }
        if name.chars().count() > 100 {
            return Err(AppError::field("name", Violation::TooLong { max: 100 }));
        }
        if valid_days.is_some_and(|d| d == 0 || d > 3650) {
            return Err(AppError::field("valid_days", Violation::OutOfRange { min: "1".into(), max: "3650".into() }));
        }
        let secret = format!("{TOKEN_PREFIX}{}", random_token()?);
        let prefix: String = secret.chars().take(TOKEN_PREFIX.len() + 8).collect();
        let expires_at = valid_days.map(|d| self.now() + time::Duration::days(i64::from(d)));
        let mut r = self.store().reader().await?;
        let record = repo::get_user(&mut r, user.user_id.0).await?;
        drop(r);
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        let token = repo::insert_token(&mut tx, &record, name, &token_hash(&secret), &prefix, expires_at).await?;
        tx.commit().await?;
        Ok((token, secret))
    }

    pub async fn tokens(&self, actor: &Actor) -> Result<Vec<TokenRecord>> {
        actor.require(Permission::TokenManage)?;
        let user = actor.user().ok_or(AppError::Unauthenticated)?;
        let mut r = self.store().reader().await?;
        Ok(repo::tokens_of(&mut r, user.user_id.0).await?)
    }

    /// Revokes one of the actor's own tokens.
    pub async fn revoke_token(&self, actor: &Actor, id: i64) -> Result<()> {
        actor.require(Permission::TokenManage)?;
        let user = actor.user().ok_or(AppError::Unauthenticated)?;
        let mut r = self.store().reader().await?;
        let token = repo::get_token(&mut r, id).await.map_err(|_| AppError::NotFound { entity: "token" })?;
        drop(r);
        if token.user_id != user.user_id.0 {
            return Err(AppError::NotFound { entity: "token" });
        }
        let mut tx = self.store().write(actor.audit_actor(), self.now()).await?;
        repo::revoke_token(&mut tx, &token).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The actor a bearer token stands for, or `Unauthenticated`.
    pub async fn token_actor(&self, secret: &str) -> Result<Actor> {
        if !secret.starts_with(TOKEN_PREFIX) {
            return Err(AppError::Unauthenticated);
        }
        let mut r = self.store().reader().await?;
        let token = repo::find_token(&mut r, &token_hash(secret)).await?.ok_or(AppError::Unauthenticated)?;
        let now = self.now();
        if token.revoked_at.is_some() || token.expires_at.is_some_and(|e| e <= now) {
            return Err(AppError::Unauthenticated);
        }
        let user = repo::get_user(&mut r, token.user_id).await?;
        if user.status != "active" {
            return Err(AppError::Unauthenticated);
        }
        let institution = tto_store::institutions::get(&mut r, user.institution_id).await?;
        drop(r);
        if token.last_used_at.is_none_or(|t| now - t >= time::Duration::minutes(1)) {
            repo::touch_token(self.store(), token.id, now).await?;
        }
        Ok(Actor::User(UserContext {
            user_id: UserId(user.id),
            username: user.username,
            display_name: user.display_name,
            institution_id: user.institution_id,
            institution_name: institution.fields.name,
            institution_kind: institution.fields.kind,
            roles: user.roles.iter().filter_map(|c| Role::from_code(c).ok()).collect(),
        }))
    }
}
