//! The write transaction: the only way to change data.

use serde_json::Value;
use sqlx::{Any, AnyConnection, Transaction};
use time::OffsetDateTime;

use crate::audit::{self, AuditEvent};
use crate::codec::{format_timestamp, i64_col, str_col};
use crate::sql::Sql;
use crate::{Backend, Conn, InstitutionId, Result, Store, StoreError};

/// Who makes a change, as recorded in the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// `user`, `system`, `cli`, `anonymous`.
    pub kind: &'static str,
    pub id: Option<i64>,
    /// Human-readable: user name, command name.
    pub label: String,
}

impl Actor {
    pub fn system(label: &str) -> Actor {
        Actor { kind: "system", id: None, label: label.to_string() }
    }
}

struct Head {
    audit_seq: i64,
    audit_hash: String,
    feed_seq: i64,
}

/// A database transaction that writes an audit event for every change it makes.
///
/// It locks the chain head row first, so writers are serialised: audit events form one
/// ordered hash chain and change-feed numbers become visible in order. On SQLite it begins
/// with `BEGIN IMMEDIATE`, so a writer never has to upgrade a read lock (which can fail
/// with SQLITE_BUSY regardless of the busy timeout). Dropping it without [`commit`] rolls
/// back; committing without an audit event is refused.
///
/// [`commit`]: WriteTx::commit
pub struct WriteTx {
    tx: Transaction<'static, Any>,
    store: Store,
    backend: Backend,
    actor: Actor,
    now: OffsetDateTime,
    head: Head,
    audited: bool,
}

impl Conn for WriteTx {
    fn conn(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}

impl WriteTx {
    pub(crate) async fn begin(store: &Store, actor: Actor, now: OffsetDateTime) -> Result<WriteTx> {
        let mut tx = match store.backend() {
            Backend::Sqlite => store.pool().begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => store.pool().begin().await?,
        };
        let lock = match store.backend() {
            Backend::Sqlite => Sql::new("SELECT audit_seq, audit_hash, feed_seq FROM chain_head WHERE id = 1"),
            Backend::Postgres => {
                Sql::new("SELECT audit_seq, audit_hash, feed_seq FROM chain_head WHERE id = 1 FOR UPDATE")
            }
        };
        let row = lock.fetch_one(&mut tx).await?;
        let head = Head {
            audit_seq: i64_col(&row, "audit_seq")?,
            audit_hash: str_col(&row, "audit_hash")?,
            feed_seq: i64_col(&row, "feed_seq")?,
        };
        Ok(WriteTx { tx, store: store.clone(), backend: store.backend(), actor, now, head, audited: false })
    }

    pub fn now(&self) -> OffsetDateTime {
        self.now
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Appends an audit event to the hash chain.
    pub async fn audit(
        &mut self,
        institution_id: Option<InstitutionId>,
        action: &str,
        entity_type: &str,
        entity_id: &str,
        before: Option<&Value>,
        after: Option<&Value>,
    ) -> Result<i64> {
        let event = AuditEvent {
            seq: self.head.audit_seq + 1,
            occurred_at: format_timestamp(self.now),
            institution_id: institution_id.map(|i| i.0),
            actor_kind: self.actor.kind.to_string(),
            actor_id: self.actor.id,
            actor_label: self.actor.label.clone(),
            action: action.to_string(),
            entity_type: entity_type.to_string(),
            entity_id: entity_id.to_string(),
            before_json: before.map(Value::to_string),
            after_json: after.map(Value::to_string),
            prev_hash: self.head.audit_hash.clone(),
            hash: String::new(),
        };
        let hash = audit::hash(&event);
        audit::insert(&mut self.tx, &event, &hash).await?;
        self.head.audit_seq = event.seq;
        self.head.audit_hash = hash;
        self.audited = true;
        Ok(event.seq)
    }

    /// Appends to the change feed that search indexes follow.
    pub async fn feed(
        &mut self,
        institution_id: Option<InstitutionId>,
        entity_type: &str,
        entity_id: &str,
        op: &str,
    ) -> Result<i64> {
        self.head.feed_seq += 1;
        let mut q =
            Sql::new("INSERT INTO change_feed (seq, occurred_at, institution_id, entity_type, entity_id, op) VALUES (");
        q.bind(self.head.feed_seq)
            .push(", ")
            .bind(format_timestamp(self.now))
            .push(", ")
            .bind(institution_id.map(|i| i.0))
            .push(", ")
            .bind(entity_type.to_string())
            .push(", ")
            .bind(entity_id.to_string())
            .push(", ")
            .bind(op.to_string())
            .push(")");
        q.execute(&mut self.tx).await?;
        Ok(self.head.feed_seq)
    }

    /// Audit event and change-feed entry for one change of one entity.
    #[allow(clippy::too_many_arguments)]
    pub async fn record(
        &mut self,
        institution_id: Option<InstitutionId>,
        action: &str,
        entity_type: &str,
        entity_id: &str,
        before: Option<&Value>,
        after: Option<&Value>,
    ) -> Result<()> {
        self.audit(institution_id, action, entity_type, entity_id, before, after).await?;
        let op = match (before, after) {
            (None, Some(_)) => "insert",
            (Some(_), None) => "delete",
            _ => "update",
        };
        self.feed(institution_id, entity_type, entity_id, op).await?;
        Ok(())
    }

    /// Saves the chain head and commits. Refused (and rolled back) when nothing was audited.
    pub async fn commit(mut self) -> Result<()> {
        if !self.audited {
            self.tx.rollback().await?;
            return Err(StoreError::Unaudited);
        }
        let mut q = Sql::new("UPDATE chain_head SET audit_seq = ");
        q.bind(self.head.audit_seq)
            .push(", audit_hash = ")
            .bind(self.head.audit_hash.clone())
            .push(", feed_seq = ")
            .bind(self.head.feed_seq)
            .push(" WHERE id = 1");
        q.execute(&mut self.tx).await?;
        self.tx.commit().await?;
        self.store.note_commit();
        Ok(())
    }

    pub async fn rollback(self) -> Result<()> {
        self.tx.rollback().await?;
        Ok(())
    }
}
