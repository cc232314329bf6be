//! The achievement ledger.

use std::collections::HashMap;

use serde_json::{Value, json};
use sqlx::any::AnyRow;
use time::OffsetDateTime;
use tto_domain::achievement::{ContributorDraft, HolderKind};
use tto_domain::{
    Achievement, AchievementFields, AchievementId, AchievementStatus, AchievementType, ChainCode, Confidentiality,
    Contributor, FundingSource, Holder, InstitutionId, OwnershipPeriod, Percent, Period, PersonId, Trl,
};

use crate::codec::{
    bool_col, corrupt, date_col, format_date, format_timestamp, i64_col, json_list, opt_date_col, opt_i64_col,
    opt_str_col, parse_json_list, str_col, ts_col,
};
use crate::sql::Sql;
use crate::{Conn, Result, Scope, StoreError, WriteTx};

/// Filters of the achievement list. `None` means "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Filter {
    pub institution: Option<InstitutionId>,
    pub kind: Option<AchievementType>,
    pub discipline: Option<String>,
    pub chain: Option<String>,
    pub trl_min: Option<u8>,
    pub trl_max: Option<u8>,
    pub status: Option<AchievementStatus>,
    pub funding_source: Option<FundingSource>,
    pub major: Option<bool>,
    /// Case-insensitive substring of title, summary or keywords.
    pub text: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Sort {
    #[default]
    UpdatedDesc,
    UpdatedAsc,
    TitleAsc,
    TitleDesc,
    TrlAsc,
    TrlDesc,
    IdAsc,
    IdDesc,
}

impl Sort {
    pub const ALL: [(Sort, &'static str); 8] = [
        (Sort::UpdatedDesc, "-updated"),
        (Sort::UpdatedAsc, "updated"),
        (Sort::TitleAsc, "title"),
        (Sort::TitleDesc, "-title"),
        (Sort::TrlAsc, "trl"),
        (Sort::TrlDesc, "-trl"),
        (Sort::IdAsc, "id"),
        (Sort::IdDesc, "-id"),
    ];

    pub fn code(self) -> &'static str {
        Self::ALL.iter().find(|(s, _)| *s == self).map(|(_, c)| *c).unwrap_or("-updated")
    }

    pub fn from_code(code: &str) -> Option<Sort> {
        Self::ALL.iter().find(|(_, c)| *c == code).map(|(s, _)| *s)
    }

    fn order_by(self) -> &'static str {
        match self {
            Sort::UpdatedDesc => " ORDER BY a.updated_at DESC, a.id DESC",
            Sort::UpdatedAsc => " ORDER BY a.updated_at ASC, a.id ASC",
            Sort::TitleAsc => " ORDER BY a.title ASC, a.id ASC",
            Sort::TitleDesc => " ORDER BY a.title DESC, a.id DESC",
            Sort::TrlAsc => " ORDER BY a.trl ASC, a.id ASC",
            Sort::TrlDesc => " ORDER BY a.trl DESC, a.id DESC",
            Sort::IdAsc => " ORDER BY a.id ASC",
            Sort::IdDesc => " ORDER BY a.id DESC",
        }
    }
}

/// Which slice of the list: numbered pages (pages with a total count) or a keyset cursor
/// (API; stable under inserts, only with [`Sort::IdDesc`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Page {
    Offset { offset: i64, limit: i64 },
    Before { id: Option<AchievementId>, limit: i64 },
}

/// One line of the achievement list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub id: AchievementId,
    pub institution_id: InstitutionId,
    pub institution_name: String,
    pub code: String,
    pub title: String,
    pub kind: AchievementType,
    pub discipline: String,
    pub trl: Trl,
    pub status: AchievementStatus,
    pub funding_source: FundingSource,
    pub confidentiality: Confidentiality,
    pub major: bool,
    pub updated_at: OffsetDateTime,
}

// The visibility test of the public scope matches most rows, so it must not steer the query
// planner towards the status index (and a sort of every published row before LIMIT): the
// `|| ''` keeps the column out of index selection on both SQLite and PostgreSQL, and the
// list walks its ordering index instead. An explicit status filter still uses the index.
const PUBLISHED: &str =
    " AND (a.status || '') IN ('promoting', 'negotiating', 'converted') AND a.confidentiality <> 'confidential'";
const OR_PUBLISHED: &str =
    " OR ((a.status || '') IN ('promoting', 'negotiating', 'converted') AND a.confidentiality <> 'confidential'))";

fn apply_scope(q: &mut Sql, scope: Scope) {
    match scope {
        Scope::All => {}
        Scope::Institution(id) => {
            q.push(" AND a.institution_id = ").bind(id.0);
        }
        Scope::OwnOrPublic(id) => {
            q.push(" AND (a.institution_id = ").bind(id.0).push(OR_PUBLISHED);
        }
        Scope::Public => {
            q.push(PUBLISHED);
        }
    }
}

fn apply_filter(q: &mut Sql, f: &Filter) {
    if let Some(id) = f.institution {
        q.push(" AND a.institution_id = ").bind(id.0);
    }
    if let Some(kind) = f.kind {
        q.push(" AND a.kind = ").bind(kind.code());
    }
    if let Some(d) = &f.discipline {
        q.push(" AND a.discipline = ").bind(d.clone());
    }
    if let Some(chain) = &f.chain {
        q.push(" AND EXISTS (SELECT 1 FROM achievement_chain c WHERE c.achievement_id = a.id AND c.chain = ")
            .bind(chain.clone())
            .push(")");
    }
    if let Some(min) = f.trl_min {
        q.push(" AND a.trl >= ").bind(i64::from(min));
    }
    if let Some(max) = f.trl_max {
        q.push(" AND a.trl <= ").bind(i64::from(max));
    }
    if let Some(status) = f.status {
        q.push(" AND a.status = ").bind(status.code());
    }
    if let Some(source) = f.funding_source {
        q.push(" AND a.funding_source = ").bind(source.code());
    }
    if let Some(major) = f.major {
        q.push(" AND a.major = ").bind(major);
    }
    if let Some(text) = f.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let pattern = crate::sql::like_pattern(text);
        q.push(" AND (LOWER(a.title) LIKE ")
            .bind(pattern.clone())
            .push(" ESCAPE '\\' OR LOWER(a.summary) LIKE ")
            .bind(pattern.clone())
            .push(" ESCAPE '\\' OR LOWER(a.keywords) LIKE ")
            .bind(pattern)
            .push(" ESCAPE '\\')");
    }
}

fn row_from(row: &AnyRow) -> Result<Row> {
    Ok(Row {
        id: AchievementId(i64_col(row, "id")?),
        institution_id: InstitutionId(i64_col(row, "institution_id")?),
        institution_name: str_col(row, "institution_name")?,
        code: str_col(row, "code")?,
        title: str_col(row, "title")?,
        kind: AchievementType::from_code(&str_col(row, "kind")?).map_err(corrupt("kind"))?,
        discipline: str_col(row, "discipline")?,
        trl: Trl::new(i64_col(row, "trl")?).map_err(corrupt("trl"))?,
        status: AchievementStatus::from_code(&str_col(row, "status")?).map_err(corrupt("status"))?,
        funding_source: FundingSource::from_code(&str_col(row, "funding_source")?).map_err(corrupt("funding"))?,
        confidentiality: Confidentiality::from_code(&str_col(row, "confidentiality")?)
            .map_err(corrupt("confidentiality"))?,
        major: bool_col(row, "major")?,
        updated_at: ts_col(row, "updated_at")?,
    })
}

/// One page of the list.
pub async fn list(db: &mut impl Conn, scope: Scope, filter: &Filter, sort: Sort, page: Page) -> Result<Vec<Row>> {
    let mut q = Sql::new(
        "SELECT a.id, a.institution_id, i.name AS institution_name, a.code, a.title, a.kind, a.discipline, a.trl, \
         a.status, a.funding_source, a.confidentiality, a.major, a.updated_at \
         FROM achievement a JOIN institution i ON i.id = a.institution_id WHERE 1 = 1",
    );
    apply_scope(&mut q, scope);
    apply_filter(&mut q, filter);
    match page {
        Page::Offset { offset, limit } => {
            q.push(sort.order_by()).push(" LIMIT ").bind(limit).push(" OFFSET ").bind(offset);
        }
        Page::Before { id, limit } => {
            if let Some(id) = id {
                q.push(" AND a.id < ").bind(id.0);
            }
            q.push(Sort::IdDesc.order_by()).push(" LIMIT ").bind(limit);
        }
    }
    q.fetch_all(db.conn()).await?.iter().map(row_from).collect()
}

pub async fn count(db: &mut impl Conn, scope: Scope, filter: &Filter) -> Result<i64> {
    let mut q = Sql::new("SELECT COUNT(*) AS n FROM achievement a WHERE 1 = 1");
    apply_scope(&mut q, scope);
    apply_filter(&mut q, filter);
    i64_col(&q.fetch_one(db.conn()).await?, "n")
}

/// Counts per status (for the home page).
pub async fn count_by_status(db: &mut impl Conn, scope: Scope) -> Result<Vec<(AchievementStatus, i64)>> {
    let mut q = Sql::new("SELECT a.status, COUNT(*) AS n FROM achievement a WHERE 1 = 1");
    apply_scope(&mut q, scope);
    q.push(" GROUP BY a.status");
    let mut counts = Vec::new();
    for row in q.fetch_all(db.conn()).await? {
        let status = AchievementStatus::from_code(&str_col(&row, "status")?).map_err(corrupt("status"))?;
        counts.push((status, i64_col(&row, "n")?));
    }
    counts.sort_by_key(|(s, _)| *s);
    Ok(counts)
}

/// Distinct disciplines in scope, for the filter bar.
pub async fn disciplines(db: &mut impl Conn, scope: Scope) -> Result<Vec<String>> {
    let mut q = Sql::new("SELECT DISTINCT a.discipline FROM achievement a WHERE 1 = 1");
    apply_scope(&mut q, scope);
    q.push(" ORDER BY a.discipline");
    q.fetch_all(db.conn()).await?.iter().map(|r| str_col(r, "discipline")).collect()
}

const FULL_COLUMNS: &str = "SELECT a.id, a.institution_id, a.code, a.title, a.summary, a.detail, a.keywords, \
     a.discipline, a.kind, a.trl, a.funding_source, a.funding_refs, a.completion_date, a.confidentiality, \
     a.job_related, a.major, a.status, a.external_ref, a.created_at, a.updated_at, a.version FROM achievement a";

fn achievement_from(row: &AnyRow) -> Result<Achievement> {
    Ok(Achievement {
        id: AchievementId(i64_col(row, "id")?),
        institution_id: InstitutionId(i64_col(row, "institution_id")?),
        code: str_col(row, "code")?,
        fields: AchievementFields {
            title: str_col(row, "title")?,
            summary: str_col(row, "summary")?,
            detail: opt_str_col(row, "detail")?,
            keywords: parse_json_list(&str_col(row, "keywords")?)?,
            discipline: str_col(row, "discipline")?,
            chains: Vec::new(),
            kind: AchievementType::from_code(&str_col(row, "kind")?).map_err(corrupt("kind"))?,
            trl: Trl::new(i64_col(row, "trl")?).map_err(corrupt("trl"))?,
            funding_source: FundingSource::from_code(&str_col(row, "funding_source")?).map_err(corrupt("funding"))?,
            funding_refs: parse_json_list(&str_col(row, "funding_refs")?)?,
            completion_date: opt_date_col(row, "completion_date")?,
            confidentiality: Confidentiality::from_code(&str_col(row, "confidentiality")?)
                .map_err(corrupt("confidentiality"))?,
            contributors: Vec::new(),
            job_related: bool_col(row, "job_related")?,
            major: bool_col(row, "major")?,
        },
        ownership: Vec::new(),
        status: AchievementStatus::from_code(&str_col(row, "status")?).map_err(corrupt("status"))?,
        external_ref: opt_str_col(row, "external_ref")?,
        created_at: ts_col(row, "created_at")?,
        updated_at: ts_col(row, "updated_at")?,
        version: i64_col(row, "version")?,
    })
}

/// Binds `ids` as a parenthesised list: `(…)`.
fn bind_ids(q: &mut Sql, ids: &[i64]) {
    q.push("(");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        q.bind(*id);
    }
    q.push(")");
}

/// Fills chains, contributors and ownership of loaded achievements (a few queries per batch,
/// not per achievement).
async fn hydrate(db: &mut impl Conn, achievements: &mut [Achievement]) -> Result<()> {
    if achievements.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = achievements.iter().map(|a| a.id.0).collect();
    let index: HashMap<i64, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();

    let mut q = Sql::new("SELECT achievement_id, chain FROM achievement_chain WHERE achievement_id IN ");
    bind_ids(&mut q, &ids);
    q.push(" ORDER BY achievement_id, chain");
    for row in q.fetch_all(db.conn()).await? {
        let i = index[&i64_col(&row, "achievement_id")?];
        achievements[i].fields.chains.push(chain_code(&str_col(&row, "chain")?));
    }

    let mut q = Sql::new(
        "SELECT achievement_id, person_id, name, share_ppm, main FROM achievement_contributor WHERE achievement_id IN ",
    );
    bind_ids(&mut q, &ids);
    q.push(" ORDER BY achievement_id, position");
    for row in q.fetch_all(db.conn()).await? {
        let i = index[&i64_col(&row, "achievement_id")?];
        achievements[i].fields.contributors.push(Contributor {
            person_id: opt_i64_col(&row, "person_id")?.map(PersonId),
            name: str_col(&row, "name")?,
            share: Percent::from_ppm(i64_col(&row, "share_ppm")?).map_err(corrupt("share"))?,
            main: bool_col(&row, "main")?,
        });
    }

    let mut q = Sql::new(
        "SELECT p.id AS period_id, p.achievement_id, p.starts_on, p.ends_on, p.basis, h.holder_kind, \
         h.holder_institution_id, h.holder_person_id, h.holder_name, h.share_ppm \
         FROM ownership_period p JOIN ownership_holder h ON h.period_id = p.id WHERE p.achievement_id IN ",
    );
    bind_ids(&mut q, &ids);
    q.push(" ORDER BY p.achievement_id, p.starts_on, p.id, h.position");
    let mut current: Option<i64> = None;
    for row in q.fetch_all(db.conn()).await? {
        let i = index[&i64_col(&row, "achievement_id")?];
        let period_id = i64_col(&row, "period_id")?;
        if current != Some(period_id) {
            current = Some(period_id);
            let period = Period::new(date_col(&row, "starts_on")?, opt_date_col(&row, "ends_on")?)
                .map_err(corrupt("ownership period"))?;
            achievements[i].ownership.push(OwnershipPeriod {
                period,
                holders: Vec::new(),
                basis: str_col(&row, "basis")?,
            });
        }
        let holder = Holder {
            kind: HolderKind::from_code(&str_col(&row, "holder_kind")?).map_err(corrupt("holder kind"))?,
            institution_id: opt_i64_col(&row, "holder_institution_id")?.map(InstitutionId),
            person_id: opt_i64_col(&row, "holder_person_id")?.map(PersonId),
            name: str_col(&row, "holder_name")?,
            share: Percent::from_ppm(i64_col(&row, "share_ppm")?).map_err(corrupt("share"))?,
        };
        if let Some(period) = achievements[i].ownership.last_mut() {
            period.holders.push(holder);
        }
    }
    Ok(())
}

fn chain_code(code: &str) -> ChainCode {
    // Stored codes were validated on the way in; the taxonomy may have changed since, so a
    // stored code is kept as it is rather than rejected.
    tto_domain::chain::stored_chain_code(code)
}

/// One achievement with everything it holds, if visible in `scope`.
pub async fn get(db: &mut impl Conn, scope: Scope, id: AchievementId) -> Result<Achievement> {
    let mut q = Sql::new(FULL_COLUMNS);
    q.push(" WHERE a.id = ").bind(id.0);
    apply_scope(&mut q, scope);
    let row = q.fetch_optional(db.conn()).await?.ok_or(StoreError::NotFound)?;
    let mut achievements = [achievement_from(&row)?];
    hydrate(db, &mut achievements).await?;
    let [achievement] = achievements;
    Ok(achievement)
}

/// A batch of full achievements in id order after `after_id` (for export and reindexing).
pub async fn batch(db: &mut impl Conn, scope: Scope, after_id: i64, limit: i64) -> Result<Vec<Achievement>> {
    let mut q = Sql::new(FULL_COLUMNS);
    q.push(" WHERE a.id > ").bind(after_id);
    apply_scope(&mut q, scope);
    q.push(" ORDER BY a.id LIMIT ").bind(limit);
    let mut achievements: Vec<Achievement> =
        q.fetch_all(db.conn()).await?.iter().map(achievement_from).collect::<Result<_>>()?;
    hydrate(db, &mut achievements).await?;
    Ok(achievements)
}

/// The id of an achievement of the institution with exactly this title, if any.
pub async fn find_by_title(
    db: &mut impl Conn,
    institution: InstitutionId,
    title: &str,
) -> Result<Option<AchievementId>> {
    let mut q = Sql::new("SELECT id FROM achievement WHERE institution_id = ");
    q.bind(institution.0).push(" AND title = ").bind(title.to_string()).push(" LIMIT 1");
    q.fetch_optional(db.conn()).await?.map(|r| i64_col(&r, "id").map(AchievementId)).transpose()
}

/// The id of the achievement of the institution with this ledger number, if any.
pub async fn find_by_code(db: &mut impl Conn, institution: InstitutionId, code: &str) -> Result<Option<AchievementId>> {
    let mut q = Sql::new("SELECT id FROM achievement WHERE institution_id = ");
    q.bind(institution.0).push(" AND code = ").bind(code.to_string());
    q.fetch_optional(db.conn()).await?.map(|r| i64_col(&r, "id").map(AchievementId)).transpose()
}

/// The id of an achievement of the institution imported under this external reference.
pub async fn find_by_external_ref(
    db: &mut impl Conn,
    institution: InstitutionId,
    external_ref: &str,
) -> Result<Option<AchievementId>> {
    let mut q = Sql::new("SELECT id FROM achievement WHERE institution_id = ");
    q.bind(institution.0).push(" AND external_ref = ").bind(external_ref.to_string());
    q.fetch_optional(db.conn()).await?.map(|r| i64_col(&r, "id").map(AchievementId)).transpose()
}

/// The audit snapshot of an achievement: every field, so the trail shows exactly what changed.
pub fn snapshot(a: &Achievement) -> Value {
    let f = &a.fields;
    json!({
        "id": a.id.0,
        "institution_id": a.institution_id.0,
        "code": a.code,
        "title": f.title,
        "summary": f.summary,
        "detail": f.detail,
        "keywords": f.keywords,
        "discipline": f.discipline,
        "chains": f.chains.iter().map(ChainCode::as_str).collect::<Vec<_>>(),
        "kind": f.kind.code(),
        "trl": f.trl.level(),
        "funding_source": f.funding_source.code(),
        "funding_refs": f.funding_refs,
        "completion_date": f.completion_date.map(format_date),
        "confidentiality": f.confidentiality.code(),
        "job_related": f.job_related,
        "major": f.major,
        "contributors": f.contributors.iter().map(|c| json!({
            "person_id": c.person_id.map(|p| p.0),
            "name": c.name,
            "share": c.share.value().to_string(),
            "main": c.main,
        })).collect::<Vec<_>>(),
        "ownership": a.ownership.iter().map(|p| json!({
            "starts_on": format_date(p.period.start()),
            "ends_on": p.period.end().map(format_date),
            "basis": p.basis,
            "holders": p.holders.iter().map(|h| json!({
                "kind": h.kind.code(),
                "institution_id": h.institution_id.map(|i| i.0),
                "person_id": h.person_id.map(|i| i.0),
                "name": h.name,
                "share": h.share.value().to_string(),
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "status": a.status.code(),
        "external_ref": a.external_ref,
        "version": a.version,
    })
}

/// The next ledger number of an institution for a year: `{prefix}-{year}-{n:06}`.
pub async fn next_code(tx: &mut WriteTx, institution: InstitutionId, prefix: &str, year: i32) -> Result<String> {
    let name = format!("achievement-{year}");
    let mut q = Sql::new("SELECT next_value FROM sequence_counter WHERE institution_id = ");
    q.bind(institution.0).push(" AND name = ").bind(name.clone());
    let next = match q.fetch_optional(tx.conn()).await? {
        Some(row) => {
            let n = i64_col(&row, "next_value")?;
            let mut u = Sql::new("UPDATE sequence_counter SET next_value = ");
            u.bind(n + 1).push(" WHERE institution_id = ").bind(institution.0).push(" AND name = ").bind(name);
            u.execute(tx.conn()).await?;
            n
        }
        None => {
            let mut i = Sql::new("INSERT INTO sequence_counter (institution_id, name, next_value) VALUES (");
            i.bind(institution.0).push(", ").bind(name).push(", 2)");
            i.execute(tx.conn()).await?;
            1
        }
    };
    Ok(format!("{prefix}-{year}-{next:06}"))
}

async fn write_children(tx: &mut WriteTx, a: &Achievement) -> Result<()> {
    let (id, inst) = (a.id.0, a.institution_id.0);
    for table in ["achievement_chain", "achievement_contributor"] {
        let mut q = Sql::new(match table {
            "achievement_chain" => "DELETE FROM achievement_chain WHERE achievement_id = ",
            _ => "DELETE FROM achievement_contributor WHERE achievement_id = ",
        });
        q.bind(id);
        q.execute(tx.conn()).await?;
    }
    for chain in &a.fields.chains {
        let mut q = Sql::new("INSERT INTO achievement_chain (achievement_id, institution_id, chain) VALUES (");
        q.bind(id).push(", ").bind(inst).push(", ").bind(chain.as_str().to_string()).push(")");
        q.execute(tx.conn()).await?;
    }
    for (position, c) in a.fields.contributors.iter().enumerate() {
        let mut q = Sql::new(
            "INSERT INTO achievement_contributor (achievement_id, institution_id, position, person_id, name, \
             share_ppm, main) VALUES (",
        );
        q.bind(id)
            .push(", ")
            .bind(inst)
            .push(", ")
            .bind(position as i64)
            .push(", ")
            .bind(c.person_id.map(|p| p.0))
            .push(", ")
            .bind(c.name.clone())
            .push(", ")
            .bind(c.share.ppm())
            .push(", ")
            .bind(c.main)
            .push(")");
        q.execute(tx.conn()).await?;
    }
    Ok(())
}

async fn write_ownership(tx: &mut WriteTx, a: &Achievement) -> Result<()> {
    let (id, inst) = (a.id.0, a.institution_id.0);
    let mut q = Sql::new(
        "DELETE FROM ownership_holder WHERE period_id IN (SELECT id FROM ownership_period WHERE achievement_id = ",
    );
    q.bind(id).push(")");
    q.execute(tx.conn()).await?;
    let mut q = Sql::new("DELETE FROM ownership_period WHERE achievement_id = ");
    q.bind(id);
    q.execute(tx.conn()).await?;
    for p in &a.ownership {
        let mut q = Sql::new(
            "INSERT INTO ownership_period (achievement_id, institution_id, starts_on, ends_on, basis) VALUES (",
        );
        q.bind(id)
            .push(", ")
            .bind(inst)
            .push(", ")
            .bind(format_date(p.period.start()))
            .push(", ")
            .bind(p.period.end().map(format_date))
            .push(", ")
            .bind(p.basis.clone())
            .push(") RETURNING id");
        let period_id = i64_col(&q.fetch_one(tx.conn()).await?, "id")?;
        for (position, h) in p.holders.iter().enumerate() {
            let mut q = Sql::new(
                "INSERT INTO ownership_holder (period_id, institution_id, position, holder_kind, \
                 holder_institution_id, holder_person_id, holder_name, share_ppm) VALUES (",
            );
            q.bind(period_id)
                .push(", ")
                .bind(inst)
                .push(", ")
                .bind(position as i64)
                .push(", ")
                .bind(h.kind.code())
                .push(", ")
                .bind(h.institution_id.map(|i| i.0))
                .push(", ")
                .bind(h.person_id.map(|i| i.0))
                .push(", ")
                .bind(h.name.clone())
                .push(", ")
                .bind(h.share.ppm())
                .push(")");
            q.execute(tx.conn()).await?;
        }
    }
    Ok(())
}

/// What a new achievement is created with.
pub struct NewAchievement<'a> {
    pub institution_id: InstitutionId,
    pub code: String,
    pub fields: &'a AchievementFields,
    pub ownership: &'a [OwnershipPeriod],
    pub status: AchievementStatus,
    pub external_ref: Option<String>,
}

pub async fn insert(tx: &mut WriteTx, new: NewAchievement<'_>, action: &str) -> Result<Achievement> {
    let now = format_timestamp(tx.now());
    let f = new.fields;
    let mut q = Sql::new(
        "INSERT INTO achievement (institution_id, code, title, summary, detail, keywords, discipline, kind, trl, \
         funding_source, funding_refs, completion_date, confidentiality, job_related, major, status, external_ref, \
         created_at, updated_at, version) VALUES (",
    );
    q.bind(new.institution_id.0)
        .push(", ")
        .bind(new.code.clone())
        .push(", ")
        .bind(f.title.clone())
        .push(", ")
        .bind(f.summary.clone())
        .push(", ")
        .bind(f.detail.clone())
        .push(", ")
        .bind(json_list(&f.keywords))
        .push(", ")
        .bind(f.discipline.clone())
        .push(", ")
        .bind(f.kind.code())
        .push(", ")
        .bind(i64::from(f.trl.level()))
        .push(", ")
        .bind(f.funding_source.code())
        .push(", ")
        .bind(json_list(&f.funding_refs))
        .push(", ")
        .bind(f.completion_date.map(format_date))
        .push(", ")
        .bind(f.confidentiality.code())
        .push(", ")
        .bind(f.job_related)
        .push(", ")
        .bind(f.major)
        .push(", ")
        .bind(new.status.code())
        .push(", ")
        .bind(new.external_ref.clone())
        .push(", ")
        .bind(now.clone())
        .push(", ")
        .bind(now)
        .push(", 1) RETURNING id");
    let id = AchievementId(i64_col(&q.fetch_one(tx.conn()).await?, "id")?);
    let achievement = Achievement {
        id,
        institution_id: new.institution_id,
        code: new.code,
        fields: f.clone(),
        ownership: new.ownership.to_vec(),
        status: new.status,
        external_ref: new.external_ref,
        created_at: tx.now(),
        updated_at: tx.now(),
        version: 1,
    };
    write_children(tx, &achievement).await?;
    write_ownership(tx, &achievement).await?;
    tx.record(Some(new.institution_id), action, "achievement", &id.to_string(), None, Some(&snapshot(&achievement)))
        .await?;
    Ok(achievement)
}

/// Replaces fields, ownership and status in one step, if the row is still at
/// `expected_version`. Records `action` with before and after snapshots.
pub async fn update(
    tx: &mut WriteTx,
    before: &Achievement,
    expected_version: i64,
    after: Achievement,
    action: &str,
) -> Result<Achievement> {
    if before.version != expected_version {
        return Err(StoreError::StaleVersion);
    }
    let f = &after.fields;
    let mut q = Sql::new("UPDATE achievement SET title = ");
    q.bind(f.title.clone())
        .push(", summary = ")
        .bind(f.summary.clone())
        .push(", detail = ")
        .bind(f.detail.clone())
        .push(", keywords = ")
        .bind(json_list(&f.keywords))
        .push(", discipline = ")
        .bind(f.discipline.clone())
        .push(", kind = ")
        .bind(f.kind.code())
        .push(", trl = ")
        .bind(i64::from(f.trl.level()))
        .push(", funding_source = ")
        .bind(f.funding_source.code())
        .push(", funding_refs = ")
        .bind(json_list(&f.funding_refs))
        .push(", completion_date = ")
        .bind(f.completion_date.map(format_date))
        .push(", confidentiality = ")
        .bind(f.confidentiality.code())
        .push(", job_related = ")
        .bind(f.job_related)
        .push(", major = ")
        .bind(f.major)
        .push(", status = ")
        .bind(after.status.code())
        .push(", updated_at = ")
        .bind(format_timestamp(tx.now()))
        .where_version(before.id.0, expected_version);
    q.execute_versioned(tx.conn()).await?;
    let after = Achievement { updated_at: tx.now(), version: expected_version + 1, ..after };
    if after.fields.chains != before.fields.chains || after.fields.contributors != before.fields.contributors {
        write_children(tx, &after).await?;
    }
    if after.ownership != before.ownership {
        write_ownership(tx, &after).await?;
    }
    tx.record(
        Some(before.institution_id),
        action,
        "achievement",
        &before.id.to_string(),
        Some(&snapshot(before)),
        Some(&snapshot(&after)),
    )
    .await?;
    Ok(after)
}

/// Rows of `ContributorDraft` from stored contributors (to pre-fill an edit form).
pub fn contributor_drafts(a: &Achievement) -> Vec<ContributorDraft> {
    a.fields
        .contributors
        .iter()
        .map(|c| ContributorDraft {
            person_id: c.person_id.map(|p| p.0),
            name: c.name.clone(),
            share: c.share.value().normalize().to_string(),
            main: c.main,
        })
        .collect()
}
