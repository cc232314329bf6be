//! Enterprise technology needs (企业技术需求).
//!
//! Reads are scoped twice: which rows (own institution, or the published ones of others),
//! and which fields — a need of another institution shows its contact only when its contact
//! policy allows it for the reader ([`ContactAccess`]). The redaction happens here, on the
//! way out of the database, so no caller can forget it.

use std::collections::HashMap;

use serde_json::{Value, json};
use sqlx::any::AnyRow;
use time::{Date, OffsetDateTime};
use tto_domain::achievement::Trl;
use tto_domain::tech_need::{Contact, ContactPolicy, NeedFields, NeedStatus};
use tto_domain::{ChainCode, CreditCode, InstitutionId, Money};

use crate::codec::{
    corrupt, format_date, format_timestamp, i64_col, json_list, opt_date_col, opt_i64_col, opt_str_col,
    parse_json_list, str_col, ts_col,
};
use crate::sql::Sql;
use crate::{Conn, Result, Scope, StoreError, WriteTx};

/// Whose contact details of other institutions' needs a reader may see, besides the ones
/// marked `public`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContactAccess {
    /// Only `public` contacts.
    PublicOnly,
    /// Also `via_platform` contacts: technology managers and the platform, who make contact.
    Broker,
}

/// A need as the reader may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    pub id: i64,
    pub institution_id: InstitutionId,
    pub institution_name: String,
    /// The contact is blanked (`contact_withheld`) when the reader may not see it.
    pub fields: NeedFields,
    pub contact_withheld: bool,
    /// The chain the text suggests (computed when saved), for staff to confirm.
    pub suggested_chain: Option<ChainCode>,
    pub status: NeedStatus,
    pub published_on: Option<Date>,
    pub external_ref: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

/// One line of the needs list (no contact details).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedRow {
    pub id: i64,
    pub institution_id: InstitutionId,
    pub institution_name: String,
    pub enterprise_name: Option<String>,
    pub title: String,
    pub chains: Vec<ChainCode>,
    pub budget_min: Option<Money>,
    pub budget_max: Option<Money>,
    pub deadline: Option<Date>,
    pub contact_policy: ContactPolicy,
    pub status: NeedStatus,
    pub published_on: Option<Date>,
    pub updated_at: OffsetDateTime,
}

/// Filters of the needs list. `None` means "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct NeedFilter {
    pub status: Option<NeedStatus>,
    pub chain: Option<String>,
    /// Case-insensitive substring of title, description, keywords or enterprise name.
    pub text: Option<String>,
    pub institution: Option<InstitutionId>,
}

pub fn snapshot(n: &Need) -> Value {
    let f = &n.fields;
    json!({
        "id": n.id,
        "institution_id": n.institution_id.0,
        "title": f.title,
        "description": f.description,
        "chains": f.chains.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        "discipline": f.discipline,
        "budget_min": f.budget_min.map(Money::to_plain),
        "budget_max": f.budget_max.map(Money::to_plain),
        "deadline": f.deadline.map(format_date),
        "contact_policy": f.contact_policy.code(),
        "contact_name": f.contact.name,
        "contact_phone": f.contact.phone,
        "contact_email": f.contact.email,
        "trl_min": f.trl_min.map(Trl::level),
        "trl_max": f.trl_max.map(Trl::level),
        "keywords": f.keywords,
        "enterprise_name": f.enterprise_name,
        "enterprise_credit_code": f.enterprise_credit_code.as_ref().map(CreditCode::as_str),
        "suggested_chain": n.suggested_chain.as_ref().map(ChainCode::as_str),
        "status": n.status.code(),
        "published_on": n.published_on.map(format_date),
        "external_ref": n.external_ref,
        "version": n.version,
    })
}

// Published, matched and in-progress needs are visible to everyone.
const PUBLIC: &str = " AND (n.status || '') IN ('published', 'matched', 'in_progress')";
const OR_PUBLIC: &str = " OR (n.status || '') IN ('published', 'matched', 'in_progress'))";

fn apply_scope(q: &mut Sql, scope: Scope) {
    match scope {
        Scope::All => {}
        Scope::Institution(id) => {
            q.push(" AND n.institution_id = ").bind(id.0);
        }
        Scope::OwnOrPublic(id) => {
            q.push(" AND (n.institution_id = ").bind(id.0).push(OR_PUBLIC);
        }
        Scope::Public => {
            q.push(PUBLIC);
        }
    }
}

fn apply_filter(q: &mut Sql, f: &NeedFilter) {
    if let Some(status) = f.status {
        q.push(" AND n.status = ").bind(status.code());
    }
    if let Some(chain) = &f.chain {
        q.push(" AND EXISTS (SELECT 1 FROM tech_need_chain c WHERE c.need_id = n.id AND c.chain = ")
            .bind(chain.clone())
            .push(")");
    }
    if let Some(id) = f.institution {
        q.push(" AND n.institution_id = ").bind(id.0);
    }
    if let Some(text) = f.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let pattern = crate::sql::like_pattern(text);
        q.push(" AND (LOWER(n.title) LIKE ")
            .bind(pattern.clone())
            .push(" ESCAPE '\\' OR LOWER(n.description) LIKE ")
            .bind(pattern.clone())
            .push(" ESCAPE '\\' OR LOWER(n.keywords) LIKE ")
            .bind(pattern.clone())
            .push(" ESCAPE '\\' OR LOWER(COALESCE(n.enterprise_name, '')) LIKE ")
            .bind(pattern)
            .push(" ESCAPE '\\')");
    }
}

/// Whether a reader in `scope` with `access` may see the contact of a need of `owner`.
pub fn contact_visible(scope: Scope, access: ContactAccess, owner: InstitutionId, policy: ContactPolicy) -> bool {
    let own = match scope {
        Scope::All => true,
        Scope::Institution(id) | Scope::OwnOrPublic(id) => id == owner,
        Scope::Public => false,
    };
    own || match policy {
        ContactPolicy::Public => true,
        ContactPolicy::ViaPlatform => access == ContactAccess::Broker,
        ContactPolicy::Hidden => false,
    }
}

fn money_col(row: &AnyRow, col: &str) -> Result<Option<Money>> {
    Ok(opt_i64_col(row, col)?.map(Money::from_fen))
}

fn trl_col(row: &AnyRow, col: &str) -> Result<Option<Trl>> {
    opt_i64_col(row, col)?.map(|v| Trl::new(v).map_err(corrupt("trl"))).transpose()
}

fn status_col(row: &AnyRow) -> Result<NeedStatus> {
    NeedStatus::from_code(&str_col(row, "status")?).map_err(corrupt("status"))
}

fn policy_col(row: &AnyRow) -> Result<ContactPolicy> {
    ContactPolicy::from_code(&str_col(row, "contact_policy")?).map_err(corrupt("contact policy"))
}

const FULL_COLUMNS: &str = "SELECT n.id, n.institution_id, i.name AS institution_name, n.title, n.description, \
     n.discipline, n.budget_min_fen, n.budget_max_fen, n.deadline, n.contact_policy, n.contact_name, n.contact_phone, \
     n.contact_email, n.trl_min, n.trl_max, n.keywords, n.suggested_chain, n.enterprise_name, \
     n.enterprise_credit_code, n.status, n.published_on, n.external_ref, n.created_at, n.updated_at, n.version \
     FROM tech_need n JOIN institution i ON i.id = n.institution_id WHERE 1 = 1";

fn need_from(row: &AnyRow, scope: Scope, access: ContactAccess) -> Result<Need> {
    let institution_id = InstitutionId(i64_col(row, "institution_id")?);
    let contact_policy = policy_col(row)?;
    let visible = contact_visible(scope, access, institution_id, contact_policy);
    let contact = if visible {
        Contact {
            name: str_col(row, "contact_name")?,
            phone: opt_str_col(row, "contact_phone")?,
            email: opt_str_col(row, "contact_email")?,
        }
    } else {
        Contact { name: String::new(), phone: None, email: None }
    };
    Ok(Need {
        id: i64_col(row, "id")?,
        institution_id,
        institution_name: str_col(row, "institution_name")?,
        fields: NeedFields {
            title: str_col(row, "title")?,
            description: str_col(row, "description")?,
            chains: Vec::new(),
            discipline: opt_str_col(row, "discipline")?,
            budget_min: money_col(row, "budget_min_fen")?,
            budget_max: money_col(row, "budget_max_fen")?,
            deadline: opt_date_col(row, "deadline")?,
            contact_policy,
            contact,
            trl_min: trl_col(row, "trl_min")?,
            trl_max: trl_col(row, "trl_max")?,
            keywords: parse_json_list(&str_col(row, "keywords")?)?,
            enterprise_name: opt_str_col(row, "enterprise_name")?,
            enterprise_credit_code: opt_str_col(row, "enterprise_credit_code")?
                .map(|c| CreditCode::parse(&c).map_err(corrupt("credit code")))
                .transpose()?,
        },
        contact_withheld: !visible,
        suggested_chain: opt_str_col(row, "suggested_chain")?.map(|c| tto_domain::chain::stored_chain_code(&c)),
        status: status_col(row)?,
        published_on: opt_date_col(row, "published_on")?,
        external_ref: opt_str_col(row, "external_ref")?,
        created_at: ts_col(row, "created_at")?,
        updated_at: ts_col(row, "updated_at")?,
        version: i64_col(row, "version")?,
    })
}

async fn chains_of(db: &mut impl Conn, ids: &[i64]) -> Result<HashMap<i64, Vec<ChainCode>>> {
    let mut out: HashMap<i64, Vec<ChainCode>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let mut q = Sql::new("SELECT need_id, chain FROM tech_need_chain WHERE need_id IN (");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        q.bind(*id);
    }
    q.push(") ORDER BY need_id, chain");
    for row in q.fetch_all(db.conn()).await? {
        out.entry(i64_col(&row, "need_id")?)
            .or_default()
            .push(tto_domain::chain::stored_chain_code(&str_col(&row, "chain")?));
    }
    Ok(out)
}

/// One need, if visible in `scope`, with the contact as `access` allows.
pub async fn get(db: &mut impl Conn, scope: Scope, access: ContactAccess, id: i64) -> Result<Need> {
    let mut q = Sql::new(FULL_COLUMNS);
    q.push(" AND n.id = ").bind(id);
    apply_scope(&mut q, scope);
    let row = q.fetch_optional(db.conn()).await?.ok_or(StoreError::NotFound)?;
    let mut need = need_from(&row, scope, access)?;
    need.fields.chains = chains_of(db, &[id]).await?.remove(&id).unwrap_or_default();
    Ok(need)
}

/// One page of the list, newest change first.
pub async fn list(
    db: &mut impl Conn,
    scope: Scope,
    filter: &NeedFilter,
    offset: i64,
    limit: i64,
) -> Result<Vec<NeedRow>> {
    let mut q = Sql::new(
        "SELECT n.id, n.institution_id, i.name AS institution_name, n.enterprise_name, n.title, n.budget_min_fen, \
         n.budget_max_fen, n.deadline, n.contact_policy, n.status, n.published_on, n.updated_at \
         FROM tech_need n JOIN institution i ON i.id = n.institution_id WHERE 1 = 1",
    );
    apply_scope(&mut q, scope);
    apply_filter(&mut q, filter);
    q.push(" ORDER BY n.updated_at DESC, n.id DESC LIMIT ").bind(limit).push(" OFFSET ").bind(offset);
    let rows = q.fetch_all(db.conn()).await?;
    let ids: Vec<i64> = rows.iter().map(|r| i64_col(r, "id")).collect::<Result<_>>()?;
    let mut chains = chains_of(db, &ids).await?;
    rows.iter()
        .map(|row| {
            let id = i64_col(row, "id")?;
            Ok(NeedRow {
                id,
                institution_id: InstitutionId(i64_col(row, "institution_id")?),
                institution_name: str_col(row, "institution_name")?,
                enterprise_name: opt_str_col(row, "enterprise_name")?,
                title: str_col(row, "title")?,
                chains: chains.remove(&id).unwrap_or_default(),
                budget_min: money_col(row, "budget_min_fen")?,
                budget_max: money_col(row, "budget_max_fen")?,
                deadline: opt_date_col(row, "deadline")?,
                contact_policy: policy_col(row)?,
                status: status_col(row)?,
                published_on: opt_date_col(row, "published_on")?,
                updated_at: ts_col(row, "updated_at")?,
            })
        })
        .collect()
}

pub async fn count(db: &mut impl Conn, scope: Scope, filter: &NeedFilter) -> Result<i64> {
    let mut q = Sql::new("SELECT COUNT(*) AS n FROM tech_need n WHERE 1 = 1");
    apply_scope(&mut q, scope);
    apply_filter(&mut q, filter);
    i64_col(&q.fetch_one(db.conn()).await?, "n")
}

/// Counts per status in scope (for the list's summary).
pub async fn count_by_status(db: &mut impl Conn, scope: Scope) -> Result<Vec<(NeedStatus, i64)>> {
    let mut q = Sql::new("SELECT n.status, COUNT(*) AS c FROM tech_need n WHERE 1 = 1");
    apply_scope(&mut q, scope);
    q.push(" GROUP BY n.status");
    let mut counts = Vec::new();
    for row in q.fetch_all(db.conn()).await? {
        counts.push((status_col(&row)?, i64_col(&row, "c")?));
    }
    counts.sort_by_key(|(s, _)| *s);
    Ok(counts)
}

/// A need of `institution` with this title, if any (duplicate check of imports).
pub async fn find_by_title(db: &mut impl Conn, institution: InstitutionId, title: &str) -> Result<Option<i64>> {
    let mut q = Sql::new("SELECT id FROM tech_need WHERE institution_id = ");
    q.bind(institution.0).push(" AND title = ").bind(title.to_string());
    q.fetch_optional(db.conn()).await?.map(|r| i64_col(&r, "id")).transpose()
}

pub async fn find_by_external_ref(
    db: &mut impl Conn,
    institution: InstitutionId,
    reference: &str,
) -> Result<Option<i64>> {
    let mut q = Sql::new("SELECT id FROM tech_need WHERE institution_id = ");
    q.bind(institution.0).push(" AND external_ref = ").bind(reference.to_string());
    q.fetch_optional(db.conn()).await?.map(|r| i64_col(&r, "id")).transpose()
}

async fn write_chains(tx: &mut WriteTx, id: i64, institution: InstitutionId, chains: &[ChainCode]) -> Result<()> {
    let mut q = Sql::new("DELETE FROM tech_need_chain WHERE need_id = ");
    q.bind(id);
    q.execute(tx.conn()).await?;
    for c in chains {
        let mut q = Sql::new("INSERT INTO tech_need_chain (need_id, institution_id, chain) VALUES (");
        q.bind(id).push(", ").bind(institution.0).push(", ").bind(c.as_str().to_string()).push(")");
        q.execute(tx.conn()).await?;
    }
    Ok(())
}

/// What a new need is saved with.
pub struct NewNeed<'a> {
    pub institution_id: InstitutionId,
    pub fields: &'a NeedFields,
    pub suggested_chain: Option<ChainCode>,
    pub status: NeedStatus,
    pub published_on: Option<Date>,
    pub external_ref: Option<String>,
}

pub async fn insert(tx: &mut WriteTx, new: NewNeed<'_>, action: &str) -> Result<Need> {
    let now = format_timestamp(tx.now());
    let f = new.fields;
    let mut q = Sql::new(
        "INSERT INTO tech_need (institution_id, title, description, discipline, budget_min_fen, budget_max_fen, \
         deadline, contact_policy, contact_name, contact_phone, contact_email, trl_min, trl_max, keywords, \
         suggested_chain, enterprise_name, enterprise_credit_code, status, published_on, external_ref, created_at, \
         updated_at, version) VALUES (",
    );
    q.bind(new.institution_id.0)
        .push(", ")
        .bind(f.title.clone())
        .push(", ")
        .bind(f.description.clone())
        .push(", ")
        .bind(f.discipline.clone())
        .push(", ")
        .bind(f.budget_min.map(Money::fen))
        .push(", ")
        .bind(f.budget_max.map(Money::fen))
        .push(", ")
        .bind(f.deadline.map(format_date))
        .push(", ")
        .bind(f.contact_policy.code())
        .push(", ")
        .bind(f.contact.name.clone())
        .push(", ")
        .bind(f.contact.phone.clone())
        .push(", ")
        .bind(f.contact.email.clone())
        .push(", ")
        .bind(f.trl_min.map(|t| i64::from(t.level())))
        .push(", ")
        .bind(f.trl_max.map(|t| i64::from(t.level())))
        .push(", ")
        .bind(json_list(&f.keywords))
        .push(", ")
        .bind(new.suggested_chain.as_ref().map(|c| c.as_str().to_string()))
        .push(", ")
        .bind(f.enterprise_name.clone())
        .push(", ")
        .bind(f.enterprise_credit_code.as_ref().map(|c| c.as_str().to_string()))
        .push(", ")
        .bind(new.status.code())
        .push(", ")
        .bind(new.published_on.map(format_date))
        .push(", ")
        .bind(new.external_ref.clone())
        .push(", ")
        .bind(now.clone())
        .push(", ")
        .bind(now)
        .push(", 1) RETURNING id");
    let id = i64_col(&q.fetch_one(tx.conn()).await?, "id")?;
    write_chains(tx, id, new.institution_id, &f.chains).await?;
    let need = get(tx, Scope::All, ContactAccess::Broker, id).await?;
    tx.record(Some(new.institution_id), action, "tech_need", &id.to_string(), None, Some(&snapshot(&need))).await?;
    Ok(need)
}

/// Saves fields, suggestion, status and publication date of `after` if the row is still at
/// `expected_version`, and records `action` with before and after snapshots. `before` must
/// have been read with full access (`Scope::All`).
pub async fn update(
    tx: &mut WriteTx,
    before: &Need,
    expected_version: i64,
    after: &Need,
    action: &str,
) -> Result<Need> {
    if before.version != expected_version || before.contact_withheld {
        return Err(StoreError::StaleVersion);
    }
    let f = &after.fields;
    let mut q = Sql::new("UPDATE tech_need SET title = ");
    q.bind(f.title.clone())
        .set("description", f.description.clone())
        .set("discipline", f.discipline.clone())
        .set("budget_min_fen", f.budget_min.map(Money::fen))
        .set("budget_max_fen", f.budget_max.map(Money::fen))
        .set("deadline", f.deadline.map(format_date))
        .set("contact_policy", f.contact_policy.code())
        .set("contact_name", f.contact.name.clone())
        .set("contact_phone", f.contact.phone.clone())
        .set("contact_email", f.contact.email.clone())
        .set("trl_min", f.trl_min.map(|t| i64::from(t.level())))
        .set("trl_max", f.trl_max.map(|t| i64::from(t.level())))
        .set("keywords", json_list(&f.keywords))
        .set("suggested_chain", after.suggested_chain.as_ref().map(|c| c.as_str().to_string()))
        .set("enterprise_name", f.enterprise_name.clone())
        .set("enterprise_credit_code", f.enterprise_credit_code.as_ref().map(|c| c.as_str().to_string()))
        .set("status", after.status.code())
        .set("published_on", after.published_on.map(format_date))
        .set("updated_at", format_timestamp(tx.now()))
        .where_version(before.id, expected_version);
    q.execute_versioned(tx.conn()).await?;
    if f.chains != before.fields.chains {
        write_chains(tx, before.id, before.institution_id, &f.chains).await?;
    }
    let saved = get(tx, Scope::All, ContactAccess::Broker, before.id).await?;
    tx.record(
        Some(before.institution_id),
        action,
        "tech_need",
        &before.id.to_string(),
        Some(&snapshot(before)),
        Some(&snapshot(&saved)),
    )
    .await?;
    Ok(saved)
}
