//! The audit trail: one SHA-256 hash chain over every change.
//!
//! Each event's hash covers a canonical encoding of all its columns plus the previous
//! event's hash. [`verify`] recomputes the chain and names the first event that does not
//! fit, so an edited, deleted, inserted or reordered row is found.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;

use crate::codec::{i64_col, opt_i64_col, opt_str_col, str_col};
use crate::sql::Sql;
use crate::{Conn, Result};

pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One row of `audit_event`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub seq: i64,
    pub occurred_at: String,
    pub institution_id: Option<i64>,
    pub actor_kind: String,
    pub actor_id: Option<i64>,
    pub actor_label: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// The bytes that are hashed: a JSON array of every column but `hash`, in a fixed order,
/// with the stored JSON texts included verbatim as strings. Version 1.
pub fn canonical(e: &AuditEvent) -> String {
    json!([
        1,
        e.seq,
        e.occurred_at,
        e.institution_id,
        e.actor_kind,
        e.actor_id,
        e.actor_label,
        e.action,
        e.entity_type,
        e.entity_id,
        e.before_json,
        e.after_json,
        e.prev_hash
    ])
    .to_string()
}

pub fn hash(e: &AuditEvent) -> String {
    let digest = Sha256::digest(canonical(e).as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) async fn insert(conn: &mut AnyConnection, e: &AuditEvent, hash: &str) -> Result<()> {
    let mut q = Sql::new(
        "INSERT INTO audit_event (seq, occurred_at, institution_id, actor_kind, actor_id, actor_label, action, \
         entity_type, entity_id, before_json, after_json, prev_hash, hash) VALUES (",
    );
    q.bind(e.seq)
        .push(", ")
        .bind(e.occurred_at.clone())
        .push(", ")
        .bind(e.institution_id)
        .push(", ")
        .bind(e.actor_kind.clone())
        .push(", ")
        .bind(e.actor_id)
        .push(", ")
        .bind(e.actor_label.clone())
        .push(", ")
        .bind(e.action.clone())
        .push(", ")
        .bind(e.entity_type.clone())
        .push(", ")
        .bind(e.entity_id.clone())
        .push(", ")
        .bind(e.before_json.clone())
        .push(", ")
        .bind(e.after_json.clone())
        .push(", ")
        .bind(e.prev_hash.clone())
        .push(", ")
        .bind(hash.to_string())
        .push(")");
    q.execute(conn).await?;
    Ok(())
}

fn from_row(row: &sqlx::any::AnyRow) -> Result<AuditEvent> {
    Ok(AuditEvent {
        seq: i64_col(row, "seq")?,
        occurred_at: str_col(row, "occurred_at")?,
        institution_id: opt_i64_col(row, "institution_id")?,
        actor_kind: str_col(row, "actor_kind")?,
        actor_id: opt_i64_col(row, "actor_id")?,
        actor_label: str_col(row, "actor_label")?,
        action: str_col(row, "action")?,
        entity_type: str_col(row, "entity_type")?,
        entity_id: str_col(row, "entity_id")?,
        before_json: opt_str_col(row, "before_json")?,
        after_json: opt_str_col(row, "after_json")?,
        prev_hash: str_col(row, "prev_hash")?,
        hash: str_col(row, "hash")?,
    })
}

const COLUMNS: &str = "SELECT seq, occurred_at, institution_id, actor_kind, actor_id, actor_label, action, \
                       entity_type, entity_id, before_json, after_json, prev_hash, hash FROM audit_event";

/// Events of one entity, oldest first (the timeline of a record).
pub async fn for_entity(db: &mut impl Conn, entity_type: &str, entity_id: &str) -> Result<Vec<AuditEvent>> {
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE entity_type = ")
        .bind(entity_type.to_string())
        .push(" AND entity_id = ")
        .bind(entity_id.to_string())
        .push(" ORDER BY seq");
    q.fetch_all(db.conn()).await?.iter().map(from_row).collect()
}

/// The event with sequence number `seq`, if any.
pub async fn by_seq(db: &mut impl Conn, seq: i64) -> Result<Option<AuditEvent>> {
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE seq = ").bind(seq);
    q.fetch_optional(db.conn()).await?.as_ref().map(from_row).transpose()
}

/// The outcome of checking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Intact { events: i64, head_hash: String },
    Broken { seq: i64, reason: String },
}

/// Recomputes every hash in order and checks the links and the chain head.
pub async fn verify(db: &mut impl Conn) -> Result<Verdict> {
    let head = Sql::new("SELECT audit_seq, audit_hash FROM chain_head WHERE id = 1").fetch_one(db.conn()).await?;
    let head_seq = i64_col(&head, "audit_seq")?;
    let head_hash = str_col(&head, "audit_hash")?;
    let mut expected_seq = 1;
    let mut prev_hash = GENESIS_HASH.to_string();
    let mut after = 0_i64;
    loop {
        let mut q = Sql::new(COLUMNS);
        q.push(" WHERE seq > ").bind(after).push(" ORDER BY seq LIMIT 1000");
        let rows = q.fetch_all(db.conn()).await?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            let e = from_row(row)?;
            after = e.seq;
            if e.seq != expected_seq {
                let missing = expected_seq;
                return Ok(Verdict::Broken {
                    seq: missing,
                    reason: format!("event {missing} is missing (next is {})", e.seq),
                });
            }
            if e.prev_hash != prev_hash {
                return Ok(Verdict::Broken { seq: e.seq, reason: "does not link to the previous event".into() });
            }
            if hash(&e) != e.hash {
                return Ok(Verdict::Broken { seq: e.seq, reason: "content does not match its hash".into() });
            }
            prev_hash = e.hash;
            expected_seq += 1;
        }
    }
    let events = expected_seq - 1;
    if events != head_seq || prev_hash != head_hash {
        return Ok(Verdict::Broken {
            seq: events.max(head_seq),
            reason: format!("the chain ends at event {events} but the head records {head_seq}"),
        });
    }
    Ok(Verdict::Intact { events, head_hash })
}

/// A JSON snapshot helper for audit `before`/`after` values.
pub fn snapshot<const N: usize>(fields: [(&str, Value); N]) -> Value {
    Value::Object(fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// Filters of the audit page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    /// Actor label (user name) or kind.
    pub actor: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    pub from: Option<time::Date>,
    /// `YYYY-MM-DD`, inclusive.
    pub to: Option<time::Date>,
}

fn apply_audit_filter(q: &mut Sql, scope: crate::Scope, f: &AuditFilter) {
    match scope {
        crate::Scope::All => {}
        crate::Scope::Institution(id) | crate::Scope::OwnOrPublic(id) => {
            q.push(" AND institution_id = ").bind(id.0);
        }
        crate::Scope::Public => {
            q.push(" AND 1 = 0");
        }
    }
    if let Some(t) = &f.entity_type {
        q.push(" AND entity_type = ").bind(t.clone());
    }
    if let Some(id) = &f.entity_id {
        q.push(" AND entity_id = ").bind(id.clone());
    }
    if let Some(actor) = &f.actor {
        q.push(" AND (actor_label = ").bind(actor.clone()).push(" OR actor_kind = ").bind(actor.clone()).push(")");
    }
    if let Some(from) = f.from {
        q.push(" AND occurred_at >= ").bind(crate::format_date(from));
    }
    if let Some(to) = f.to {
        let next = to.next_day().unwrap_or(to);
        q.push(" AND occurred_at < ").bind(crate::format_date(next));
    }
}

/// A page of events, newest first, visible in `scope`.
pub async fn list(
    db: &mut impl Conn,
    scope: crate::Scope,
    filter: &AuditFilter,
    before_seq: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditEvent>> {
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE 1 = 1");
    apply_audit_filter(&mut q, scope, filter);
    if let Some(seq) = before_seq {
        q.push(" AND seq < ").bind(seq);
    }
    q.push(" ORDER BY seq DESC LIMIT ").bind(limit);
    q.fetch_all(db.conn()).await?.iter().map(from_row).collect()
}

pub async fn count(db: &mut impl Conn, scope: crate::Scope, filter: &AuditFilter) -> Result<i64> {
    let mut q = Sql::new("SELECT COUNT(*) AS n FROM audit_event WHERE 1 = 1");
    apply_audit_filter(&mut q, scope, filter);
    i64_col(&q.fetch_one(db.conn()).await?, "n")
}
