//! Reading and verifying the audit trail.

pub use tto_store::audit::{AuditEvent, AuditFilter, Verdict};

use crate::authz::{Actor, Permission};
use crate::{App, Result};

/// A page of audit events, newest first.
#[derive(Debug, Clone)]
pub struct AuditPage {
    pub events: Vec<AuditEvent>,
    pub total: i64,
    pub next_before: Option<i64>,
}

impl App {
    pub async fn audit_events(
        &self,
        actor: &Actor,
        filter: &AuditFilter,
        before: Option<i64>,
        limit: i64,
    ) -> Result<AuditPage> {
        let scope = actor.internal_scope(Permission::AuditRead)?;
        let limit = limit.clamp(1, 500);
        let mut r = self.store().reader().await?;
        let mut events = tto_store::audit::list(&mut r, scope, filter, before, limit + 1).await?;
        let more = events.len() as i64 > limit;
        events.truncate(limit as usize);
        let next_before = if more { events.last().map(|e| e.seq) } else { None };
        let total = tto_store::audit::count(&mut r, scope, filter).await?;
        Ok(AuditPage { events, total, next_before })
    }

    /// Recomputes the whole hash chain.
    pub async fn verify_audit_chain(&self) -> Result<Verdict> {
        let mut r = self.store().reader().await?;
        Ok(tto_store::audit::verify(&mut r).await?)
    }
}
