//! Income distributions (收益分配): university rules, income and expense entries,
//! distributions with their lines and reasoning trail.
//!
//! A distribution keeps both the case as entered (so it can be recomputed and checked) and
//! the result as approved (its lines and trail), because the rules may change later and the
//! record must say what was decided.

use serde_json::{Value, json};
use sqlx::any::AnyRow;
use time::{Date, OffsetDateTime};
use tto_domain::distribution::{
    AgreementDraft, Arg, Basis, CaseDraft, Distribution, DistributionMode, Line, LineKind, RecipientDraft, RewardForm,
    ShareSource, Step, TtoPosition, Unit, UnitRule, UnitRuleDraft,
};
use tto_domain::policy::Grade;
use tto_domain::{AchievementId, InstitutionId, Percent};

use crate::codec::{
    bool_col, corrupt, date_col, format_date, format_timestamp, i64_col, opt_date_col, opt_i64_col, opt_str_col,
    str_col, ts_col,
};
use crate::sql::Sql;
use crate::{Conn, Result, Scope, StoreError, WriteTx};

tto_domain::code_enum! {
    DistributionStatus {
        Draft => "draft",
        Approved => "approved",
        Noticing => "noticing",
        Noticed => "noticed",
        Paid => "paid",
        Cancelled => "cancelled",
    }
}

tto_domain::code_enum! {
    FinanceKind {
        /// A deductible cost (category from the profile).
        Cost => "cost",
        /// Income received outside a recorded contract payment.
        Income => "income",
        /// Shares received for an equity investment.
        Equity => "equity",
    }
}

// ---------------------------------------------------------------------------------------
// University rules
// ---------------------------------------------------------------------------------------

/// A published rule with its per-mode shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRecord {
    pub id: i64,
    pub institution_id: InstitutionId,
    pub document: String,
    pub published_on: Date,
    pub share_transfer: Option<Percent>,
    pub share_equity: Option<Percent>,
    pub share_self: Option<Percent>,
    pub self_years: Option<u32>,
    pub tto_rate: Option<Percent>,
    pub tto_position: TtoPosition,
}

impl RuleRecord {
    /// The rule as the engine reads it for a mode.
    pub fn for_mode(&self, mode: DistributionMode) -> UnitRule {
        UnitRule {
            document: self.document.clone(),
            reward_share: match mode {
                DistributionMode::TransferLicence => self.share_transfer,
                DistributionMode::Equity => self.share_equity,
                DistributionMode::SelfImplementation => self.share_self,
            },
            tto_rate: self.tto_rate,
            tto_position: self.tto_position,
            years: self.self_years,
        }
    }

    pub fn draft(&self, mode: DistributionMode) -> UnitRuleDraft {
        let r = self.for_mode(mode);
        let pct = |p: Option<Percent>| p.map(|p| p.value().normalize().to_string()).unwrap_or_default();
        UnitRuleDraft {
            document: r.document,
            reward_share: pct(r.reward_share),
            tto_rate: pct(r.tto_rate),
            tto_position: r.tto_position.code().to_string(),
            years: r.years.map(|y| y.to_string()).unwrap_or_default(),
        }
    }
}

fn opt_pct(row: &AnyRow, col: &str) -> Result<Option<Percent>> {
    opt_i64_col(row, col)?.map(|p| Percent::from_ppm(p).map_err(corrupt("share"))).transpose()
}

fn rule_from_row(row: &AnyRow) -> Result<RuleRecord> {
    Ok(RuleRecord {
        id: i64_col(row, "id")?,
        institution_id: InstitutionId(i64_col(row, "institution_id")?),
        document: str_col(row, "document")?,
        published_on: date_col(row, "published_on")?,
        share_transfer: opt_pct(row, "share_transfer_ppm")?,
        share_equity: opt_pct(row, "share_equity_ppm")?,
        share_self: opt_pct(row, "share_self_ppm")?,
        self_years: opt_i64_col(row, "self_years")?.map(|y| y as u32),
        tto_rate: opt_pct(row, "tto_rate_ppm")?,
        tto_position: TtoPosition::from_code(&str_col(row, "tto_position")?).map_err(corrupt("tto_position"))?,
    })
}

const RULE_COLUMNS: &str = "SELECT id, institution_id, document, published_on, share_transfer_ppm, share_equity_ppm, \
     share_self_ppm, self_years, tto_rate_ppm, tto_position FROM distribution_rule";

/// The rule in force on `day` (the latest published on or before it).
pub async fn rule_on(db: &mut impl Conn, institution: InstitutionId, day: Date) -> Result<Option<RuleRecord>> {
    let mut q = Sql::new(RULE_COLUMNS);
    q.push(" WHERE institution_id = ")
        .bind(institution.0)
        .push(" AND published_on <= ")
        .bind(format_date(day))
        .push(" ORDER BY published_on DESC, id DESC LIMIT 1");
    q.fetch_optional(db.conn()).await?.as_ref().map(rule_from_row).transpose()
}

/// Every published rule of an institution, newest first.
pub async fn rules(db: &mut impl Conn, institution: InstitutionId) -> Result<Vec<RuleRecord>> {
    let mut q = Sql::new(RULE_COLUMNS);
    q.push(" WHERE institution_id = ").bind(institution.0).push(" ORDER BY published_on DESC, id DESC");
    q.fetch_all(db.conn()).await?.iter().map(rule_from_row).collect()
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_rule(
    tx: &mut WriteTx,
    institution: InstitutionId,
    document: &str,
    published_on: Date,
    shares: [Option<Percent>; 3],
    self_years: Option<u32>,
    tto_rate: Option<Percent>,
    tto_position: TtoPosition,
) -> Result<RuleRecord> {
    let ppm = |p: Option<Percent>| p.map(Percent::ppm);
    let mut q = Sql::new(
        "INSERT INTO distribution_rule (institution_id, document, published_on, share_transfer_ppm, share_equity_ppm, \
         share_self_ppm, self_years, tto_rate_ppm, tto_position, created_at) VALUES (",
    );
    q.values([
        institution.0.into(),
        document.into(),
        format_date(published_on).into(),
        ppm(shares[0]).into(),
        ppm(shares[1]).into(),
        ppm(shares[2]).into(),
        self_years.map(i64::from).into(),
        ppm(tto_rate).into(),
        tto_position.code().into(),
        format_timestamp(tx.now()).into(),
    ])
    .push(") RETURNING id");
    let id = i64_col(&q.fetch_one(tx.conn()).await?, "id")?;
    let mut q = Sql::new(RULE_COLUMNS);
    q.push(" WHERE id = ").bind(id);
    let saved = rule_from_row(&q.fetch_one(tx.conn()).await?)?;
    let pct = |p: Option<Percent>| p.map(|p| p.value().normalize().to_string());
    let after = json!({
        "document": saved.document,
        "published_on": format_date(saved.published_on),
        "share_transfer": pct(saved.share_transfer),
        "share_equity": pct(saved.share_equity),
        "share_self": pct(saved.share_self),
        "self_years": saved.self_years,
        "tto_rate": pct(saved.tto_rate),
        "tto_position": saved.tto_position.code(),
    });
    tx.record(Some(institution), "distribution_rule.publish", "distribution_rule", &id.to_string(), None, Some(&after))
        .await?;
    Ok(saved)
}

// ---------------------------------------------------------------------------------------
// Income and expense entries
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinanceEntry {
    pub id: i64,
    pub institution_id: InstitutionId,
    pub kind: FinanceKind,
    pub category: String,
    /// Fen, or shares for equity.
    pub amount: i64,
    pub occurred_on: Date,
    pub deal_id: Option<i64>,
    pub contract_id: Option<i64>,
    pub achievement_id: Option<AchievementId>,
    pub note: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FinanceFilter {
    pub deal: Option<i64>,
    pub contract: Option<i64>,
    pub achievement: Option<AchievementId>,
}

fn entry_from_row(row: &AnyRow) -> Result<FinanceEntry> {
    Ok(FinanceEntry {
        id: i64_col(row, "id")?,
        institution_id: InstitutionId(i64_col(row, "institution_id")?),
        kind: FinanceKind::from_code(&str_col(row, "kind")?).map_err(corrupt("kind"))?,
        category: str_col(row, "category")?,
        amount: i64_col(row, "amount")?,
        occurred_on: date_col(row, "occurred_on")?,
        deal_id: opt_i64_col(row, "deal_id")?,
        contract_id: opt_i64_col(row, "contract_id")?,
        achievement_id: opt_i64_col(row, "achievement_id")?.map(AchievementId),
        note: str_col(row, "note")?,
    })
}

pub async fn entries(
    db: &mut impl Conn,
    scope: Scope,
    filter: &FinanceFilter,
    limit: i64,
) -> Result<Vec<FinanceEntry>> {
    let mut q = Sql::new(
        "SELECT id, institution_id, kind, category, amount, occurred_on, deal_id, contract_id, achievement_id, note \
         FROM finance_entry f WHERE 1 = 1",
    );
    q.internal_scope(scope, "f.institution_id");
    if let Some(d) = filter.deal {
        q.push(" AND f.deal_id = ").bind(d);
    }
    if let Some(c) = filter.contract {
        q.push(" AND f.contract_id = ").bind(c);
    }
    if let Some(a) = filter.achievement {
        q.push(" AND f.achievement_id = ").bind(a.0);
    }
    q.push(" ORDER BY f.occurred_on DESC, f.id DESC LIMIT ").bind(limit);
    q.fetch_all(db.conn()).await?.iter().map(entry_from_row).collect()
}

pub async fn insert_entry(tx: &mut WriteTx, e: &FinanceEntry) -> Result<FinanceEntry> {
    let mut q = Sql::new(
        "INSERT INTO finance_entry (institution_id, kind, category, amount, occurred_on, deal_id, contract_id, \
         achievement_id, note, created_at) VALUES (",
    );
    q.values([
        e.institution_id.0.into(),
        e.kind.code().into(),
        e.category.clone().into(),
        e.amount.into(),
        format_date(e.occurred_on).into(),
        e.deal_id.into(),
        e.contract_id.into(),
        e.achievement_id.map(|a| a.0).into(),
        e.note.clone().into(),
        format_timestamp(tx.now()).into(),
    ])
    .push(") RETURNING id");
    let id = i64_col(&q.fetch_one(tx.conn()).await?, "id")?;
    let saved = FinanceEntry { id, ..e.clone() };
    let after = json!({
        "kind": saved.kind.code(),
        "category": saved.category,
        "amount": saved.amount,
        "occurred_on": format_date(saved.occurred_on),
        "deal_id": saved.deal_id,
        "contract_id": saved.contract_id,
        "achievement_id": saved.achievement_id.map(|a| a.0),
        "note": saved.note,
    });
    tx.record(Some(e.institution_id), "finance.record", "finance_entry", &id.to_string(), None, Some(&after)).await?;
    Ok(saved)
}

// ---------------------------------------------------------------------------------------
// Distributions
// ---------------------------------------------------------------------------------------

/// The facts of a distribution besides its case and result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistributionHead {
    pub title: String,
    pub deal_id: Option<i64>,
    pub contract_id: Option<i64>,
    pub achievement_id: Option<AchievementId>,
    pub case_date: Date,
    pub income_received_on: Option<Date>,
    pub state_run: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistributionRecord {
    pub id: i64,
    pub institution_id: InstitutionId,
    pub institution_name: String,
    pub head: DistributionHead,
    pub status: DistributionStatus,
    pub case: CaseDraft,
    pub result: Distribution,
    pub approved_on: Option<Date>,
    pub paid_on: Option<Date>,
    pub cancel_reason: Option<String>,
    pub policy_profile: String,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistributionRow {
    pub id: i64,
    pub institution_id: InstitutionId,
    pub title: String,
    pub mode: DistributionMode,
    pub status: DistributionStatus,
    pub unit: Unit,
    pub gross: i64,
    pub pool: i64,
    pub tto: i64,
    pub case_date: Date,
    pub paid_on: Option<Date>,
}

/// A contributor's line with its distribution (for statements).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementLine {
    pub distribution_id: i64,
    pub title: String,
    pub status: DistributionStatus,
    pub mode: DistributionMode,
    pub unit: Unit,
    pub amount: i64,
    pub year: Option<i32>,
    pub form: Option<RewardForm>,
    pub leader: bool,
    pub case_date: Date,
    pub paid_on: Option<Date>,
}

fn grade_code(g: Option<Grade>) -> Option<&'static str> {
    g.map(Grade::code)
}

fn basis_json(b: &Basis) -> Value {
    json!({ "rule": b.rule, "grade": grade_code(b.grade) })
}

fn basis_of(v: &Value) -> Result<Basis> {
    let grade = match v.get("grade").and_then(Value::as_str) {
        Some(g) => Some(Grade::from_code(g).map_err(corrupt("grade"))?),
        None => None,
    };
    Ok(Basis { rule: v.get("rule").and_then(Value::as_str).unwrap_or_default().to_string(), grade })
}

/// The result as stored (storage encoding, version 1).
pub fn result_json(d: &Distribution) -> Value {
    let arg = |a: &Arg| match a {
        Arg::Amount(n) => json!({ "amount": n }),
        Arg::Percent(p) => json!({ "percent": p.value().normalize().to_string() }),
        Arg::Text(t) => json!({ "text": t }),
    };
    json!({
        "v": 1,
        "mode": d.mode.code(),
        "unit": d.unit.code(),
        "gross": d.gross,
        "net": d.net,
        "reward_share": d.reward_share.value().normalize().to_string(),
        "share_source": d.share_source.code(),
        "pool": d.pool,
        "tto": d.tto,
        "institution": d.institution,
        "notice_required": d.notice_required,
        "lines": d.lines.iter().map(|l| json!({
            "kind": l.kind.code(),
            "recipient": l.recipient,
            "amount": l.amount,
            "year": l.year,
            "category": l.category,
            "main": l.main,
            "leader": l.leader,
            "form": l.form.map(RewardForm::code),
            "basis": basis_json(&l.basis),
        })).collect::<Vec<_>>(),
        "trail": d.trail.iter().map(|s| json!({
            "code": s.code,
            "args": s.args.iter().map(|(k, a)| json!([k, arg(a)])).collect::<Vec<_>>(),
            "basis": basis_json(&s.basis),
        })).collect::<Vec<_>>(),
    })
}

/// Step codes are static in the domain; stored ones are mapped back to them.
fn step_code(code: &str) -> &'static str {
    const CODES: &[&str] = &[
        "net_income",
        "share_from_agreement",
        "share_from_unit_rule",
        "share_from_statute",
        "clamped_to_floor",
        "main_raised",
        "tto_by_agreement",
        "tto_rate",
        "tto_service_fee",
        "no_tto_reward",
        "tto_before_net_income",
        "tto_from_university_share",
        "pool",
        "leader_notice",
        "institution_remainder",
        "self_implementation_years",
        "rounding",
    ];
    CODES.iter().find(|c| **c == code).copied().unwrap_or("unknown")
}

fn arg_name(name: &str) -> &'static str {
    const NAMES: &[&str] = &[
        "share",
        "reference",
        "document",
        "from",
        "to",
        "gross",
        "deductions",
        "net",
        "amount",
        "rate",
        "base",
        "min",
        "max",
        "pool",
        "names",
        "years",
        "year",
    ];
    NAMES.iter().find(|c| **c == name).copied().unwrap_or("value")
}

pub fn result_of(v: &Value) -> Result<Distribution> {
    let bad = |what: &str| StoreError::Corrupt(format!("distribution result: {what}"));
    let s = |k: &str| v.get(k).and_then(Value::as_str).ok_or_else(|| bad(k));
    let n = |k: &str| v.get(k).and_then(Value::as_i64).ok_or_else(|| bad(k));
    let lines = v
        .get("lines")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("lines"))?
        .iter()
        .map(|l| {
            Ok(Line {
                kind: LineKind::from_code(l.get("kind").and_then(Value::as_str).unwrap_or_default())
                    .map_err(corrupt("kind"))?,
                recipient: l.get("recipient").and_then(Value::as_str).unwrap_or_default().to_string(),
                amount: l.get("amount").and_then(Value::as_i64).ok_or_else(|| bad("amount"))?,
                year: l.get("year").and_then(Value::as_i64).map(|y| y as i32),
                category: l.get("category").and_then(Value::as_str).map(str::to_string),
                main: l.get("main").and_then(Value::as_bool).unwrap_or(false),
                leader: l.get("leader").and_then(Value::as_bool).unwrap_or(false),
                form: match l.get("form").and_then(Value::as_str) {
                    Some(f) => Some(RewardForm::from_code(f).map_err(corrupt("form"))?),
                    None => None,
                },
                basis: basis_of(l.get("basis").unwrap_or(&Value::Null))?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let trail = v
        .get("trail")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("trail"))?
        .iter()
        .map(|t| {
            let args = t
                .get("args")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|pair| {
                            let name = arg_name(pair.get(0)?.as_str()?);
                            let value = pair.get(1)?;
                            let arg = if let Some(n) = value.get("amount").and_then(Value::as_i64) {
                                Arg::Amount(n)
                            } else if let Some(p) = value.get("percent").and_then(Value::as_str) {
                                Arg::Percent(Percent::parse(p).ok()?)
                            } else {
                                Arg::Text(value.get("text").and_then(Value::as_str).unwrap_or_default().to_string())
                            };
                            Some((name, arg))
                        })
                        .collect()
                })
                .unwrap_or_default();
            Ok(Step {
                code: step_code(t.get("code").and_then(Value::as_str).unwrap_or_default()),
                args,
                basis: basis_of(t.get("basis").unwrap_or(&Value::Null))?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Distribution {
        mode: DistributionMode::from_code(s("mode")?).map_err(corrupt("mode"))?,
        unit: Unit::from_code(s("unit")?).map_err(corrupt("unit"))?,
        gross: n("gross")?,
        net: n("net")?,
        reward_share: Percent::parse(s("reward_share")?).map_err(corrupt("reward_share"))?,
        share_source: ShareSource::from_code(s("share_source")?).map_err(corrupt("share_source"))?,
        pool: n("pool")?,
        tto: n("tto")?,
        institution: n("institution")?,
        lines,
        trail,
        notice_required: v.get("notice_required").and_then(Value::as_bool).unwrap_or(false),
    })
}

/// The case as stored.
pub fn case_json(c: &CaseDraft) -> Value {
    json!({
        "mode": c.mode,
        "state_run": c.state_run,
        "gross": c.gross,
        "deductions": c.deductions,
        "contract_amount": c.contract_amount,
        "recipients": c.recipients.iter().map(|r| json!({ "name": r.name, "share": r.share, "main": r.main, "leader": r.leader, "form": r.form })).collect::<Vec<_>>(),
        "agreement": c.agreement.as_ref().map(|a| json!({ "reference": a.reference, "reward_share": a.reward_share, "tto_rate": a.tto_rate, "tto_amount": a.tto_amount })),
        "unit_rule": c.unit_rule.as_ref().map(|u| json!({ "document": u.document, "reward_share": u.reward_share, "tto_rate": u.tto_rate, "tto_position": u.tto_position, "years": u.years })),
        "tto": c.tto,
        "tto_value": c.tto_value,
        "profits": c.profits,
        "years": c.years,
    })
}

pub fn case_of(v: &Value) -> CaseDraft {
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    let pairs = |k: &str| -> Vec<(String, String)> {
        v.get(k)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|p| {
                        (
                            p.get(0).and_then(Value::as_str).unwrap_or_default().to_string(),
                            p.get(1).and_then(Value::as_str).unwrap_or_default().to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    CaseDraft {
        mode: s(v, "mode"),
        state_run: v.get("state_run").and_then(Value::as_bool).unwrap_or(false),
        gross: s(v, "gross"),
        deductions: pairs("deductions"),
        contract_amount: s(v, "contract_amount"),
        recipients: v
            .get("recipients")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|r| RecipientDraft {
                        name: s(r, "name"),
                        share: s(r, "share"),
                        main: r.get("main").and_then(Value::as_bool).unwrap_or(false),
                        leader: r.get("leader").and_then(Value::as_bool).unwrap_or(false),
                        form: s(r, "form"),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        agreement: v.get("agreement").filter(|a| !a.is_null()).map(|a| AgreementDraft {
            reference: s(a, "reference"),
            reward_share: s(a, "reward_share"),
            tto_rate: s(a, "tto_rate"),
            tto_amount: s(a, "tto_amount"),
        }),
        unit_rule: v.get("unit_rule").filter(|u| !u.is_null()).map(|u| UnitRuleDraft {
            document: s(u, "document"),
            reward_share: s(u, "reward_share"),
            tto_rate: s(u, "tto_rate"),
            tto_position: s(u, "tto_position"),
            years: s(u, "years"),
        }),
        tto: s(v, "tto"),
        tto_value: s(v, "tto_value"),
        profits: pairs("profits"),
        years: s(v, "years"),
    }
}

pub fn snapshot(d: &DistributionRecord) -> Value {
    json!({
        "id": d.id,
        "title": d.head.title,
        "status": d.status.code(),
        "deal_id": d.head.deal_id,
        "contract_id": d.head.contract_id,
        "achievement_id": d.head.achievement_id.map(|a| a.0),
        "case_date": format_date(d.head.case_date),
        "income_received_on": d.head.income_received_on.map(format_date),
        "state_run": d.head.state_run,
        "case": case_json(&d.case),
        "result": result_json(&d.result),
        "approved_on": d.approved_on.map(format_date),
        "paid_on": d.paid_on.map(format_date),
        "cancel_reason": d.cancel_reason,
        "policy_profile": d.policy_profile,
        "version": d.version,
    })
}

const COLUMNS: &str = "SELECT d.id, d.institution_id, i.name AS institution_name, d.title, d.deal_id, d.contract_id, \
     d.achievement_id, d.case_date, d.income_received_on, d.state_run, d.status, d.case_json, d.result_json, \
     d.approved_on, d.paid_on, d.cancel_reason, d.policy_profile, d.created_at, d.updated_at, d.version \
     FROM distribution d JOIN institution i ON i.id = d.institution_id";

fn from_row(row: &AnyRow) -> Result<DistributionRecord> {
    let case: Value = serde_json::from_str(&str_col(row, "case_json")?).map_err(corrupt("case_json"))?;
    let result: Value = serde_json::from_str(&str_col(row, "result_json")?).map_err(corrupt("result_json"))?;
    Ok(DistributionRecord {
        id: i64_col(row, "id")?,
        institution_id: InstitutionId(i64_col(row, "institution_id")?),
        institution_name: str_col(row, "institution_name")?,
        head: DistributionHead {
            title: str_col(row, "title")?,
            deal_id: opt_i64_col(row, "deal_id")?,
            contract_id: opt_i64_col(row, "contract_id")?,
            achievement_id: opt_i64_col(row, "achievement_id")?.map(AchievementId),
            case_date: date_col(row, "case_date")?,
            income_received_on: opt_date_col(row, "income_received_on")?,
            state_run: bool_col(row, "state_run")?,
        },
        status: DistributionStatus::from_code(&str_col(row, "status")?).map_err(corrupt("status"))?,
        case: case_of(&case),
        result: result_of(&result)?,
        approved_on: opt_date_col(row, "approved_on")?,
        paid_on: opt_date_col(row, "paid_on")?,
        cancel_reason: opt_str_col(row, "cancel_reason")?,
        policy_profile: str_col(row, "policy_profile")?,
        created_at: ts_col(row, "created_at")?,
        updated_at: ts_col(row, "updated_at")?,
        version: i64_col(row, "version")?,
    })
}

pub async fn get(db: &mut impl Conn, scope: Scope, id: i64) -> Result<DistributionRecord> {
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE d.id = ").bind(id).internal_scope(scope, "d.institution_id");
    from_row(&q.fetch_optional(db.conn()).await?.ok_or(StoreError::NotFound)?)
}

pub async fn list(
    db: &mut impl Conn,
    scope: Scope,
    status: Option<DistributionStatus>,
    limit: i64,
) -> Result<Vec<DistributionRow>> {
    let mut q = Sql::new(
        "SELECT d.id, d.institution_id, d.title, d.mode, d.status, d.unit, d.gross, d.pool, d.tto, d.case_date, d.paid_on \
         FROM distribution d WHERE 1 = 1",
    );
    q.internal_scope(scope, "d.institution_id");
    if let Some(s) = status {
        q.push(" AND d.status = ").bind(s.code());
    }
    q.push(" ORDER BY d.id DESC LIMIT ").bind(limit);
    q.fetch_all(db.conn())
        .await?
        .iter()
        .map(|row| {
            Ok(DistributionRow {
                id: i64_col(row, "id")?,
                institution_id: InstitutionId(i64_col(row, "institution_id")?),
                title: str_col(row, "title")?,
                mode: DistributionMode::from_code(&str_col(row, "mode")?).map_err(corrupt("mode"))?,
                status: DistributionStatus::from_code(&str_col(row, "status")?).map_err(corrupt("status"))?,
                unit: Unit::from_code(&str_col(row, "unit")?).map_err(corrupt("unit"))?,
                gross: i64_col(row, "gross")?,
                pool: i64_col(row, "pool")?,
                tto: i64_col(row, "tto")?,
                case_date: date_col(row, "case_date")?,
                paid_on: opt_date_col(row, "paid_on")?,
            })
        })
        .collect()
}

/// Every contributor line of `recipient` in the scope, oldest first.
pub async fn statement(db: &mut impl Conn, scope: Scope, recipient: &str) -> Result<Vec<StatementLine>> {
    let mut q = Sql::new(
        "SELECT d.id, d.title, d.status, d.mode, d.unit, l.amount, l.year, l.form, l.leader, d.case_date, d.paid_on \
         FROM distribution_line l JOIN distribution d ON d.id = l.distribution_id WHERE l.kind = 'contributor' \
         AND d.status <> 'cancelled' AND l.recipient = ",
    );
    q.bind(recipient.to_string())
        .internal_scope(scope, "l.institution_id")
        .push(" ORDER BY d.case_date, d.id, l.position");
    q.fetch_all(db.conn())
        .await?
        .iter()
        .map(|row| {
            Ok(StatementLine {
                distribution_id: i64_col(row, "id")?,
                title: str_col(row, "title")?,
                status: DistributionStatus::from_code(&str_col(row, "status")?).map_err(corrupt("status"))?,
                mode: DistributionMode::from_code(&str_col(row, "mode")?).map_err(corrupt("mode"))?,
                unit: Unit::from_code(&str_col(row, "unit")?).map_err(corrupt("unit"))?,
                amount: i64_col(row, "amount")?,
                year: opt_i64_col(row, "year")?.map(|y| y as i32),
                form: opt_str_col(row, "form")?
                    .as_deref()
                    .map(RewardForm::from_code)
                    .transpose()
                    .map_err(corrupt("form"))?,
                leader: bool_col(row, "leader")?,
                case_date: date_col(row, "case_date")?,
                paid_on: opt_date_col(row, "paid_on")?,
            })
        })
        .collect()
}

async fn write_lines(tx: &mut WriteTx, id: i64, institution: InstitutionId, d: &Distribution) -> Result<()> {
    let mut q = Sql::new("DELETE FROM distribution_line WHERE distribution_id = ");
    q.bind(id);
    q.execute(tx.conn()).await?;
    for (position, l) in d.lines.iter().enumerate() {
        let mut q = Sql::new(
            "INSERT INTO distribution_line (distribution_id, institution_id, position, kind, recipient, amount, year, \
             main, leader, form, basis) VALUES (",
        );
        q.values([
            id.into(),
            institution.0.into(),
            (position as i64).into(),
            l.kind.code().into(),
            l.recipient.clone().into(),
            l.amount.into(),
            l.year.map(i64::from).into(),
            l.main.into(),
            l.leader.into(),
            l.form.map(|f| f.code().to_string()).into(),
            l.basis.rule.clone().into(),
        ])
        .push(")");
        q.execute(tx.conn()).await?;
    }
    Ok(())
}

pub async fn insert(
    tx: &mut WriteTx,
    institution: InstitutionId,
    head: &DistributionHead,
    case: &CaseDraft,
    result: &Distribution,
    policy_profile: &str,
) -> Result<DistributionRecord> {
    let now = format_timestamp(tx.now());
    let mut q = Sql::new(
        "INSERT INTO distribution (institution_id, title, mode, status, deal_id, contract_id, achievement_id, case_date, \
         income_received_on, state_run, case_json, result_json, unit, gross, net, pool, tto, remainder, notice_required, \
         policy_profile, created_at, updated_at, version) VALUES (",
    );
    q.values([
        institution.0.into(),
        head.title.clone().into(),
        result.mode.code().into(),
        DistributionStatus::Draft.code().into(),
        head.deal_id.into(),
        head.contract_id.into(),
        head.achievement_id.map(|a| a.0).into(),
        format_date(head.case_date).into(),
        head.income_received_on.map(format_date).into(),
        head.state_run.into(),
        case_json(case).to_string().into(),
        result_json(result).to_string().into(),
        result.unit.code().into(),
        result.gross.into(),
        result.net.into(),
        result.pool.into(),
        result.tto.into(),
        result.institution.into(),
        result.notice_required.into(),
        policy_profile.into(),
        now.clone().into(),
        now.into(),
        1_i64.into(),
    ])
    .push(") RETURNING id");
    let id = i64_col(&q.fetch_one(tx.conn()).await?, "id")?;
    write_lines(tx, id, institution, result).await?;
    let saved = get(tx, Scope::All, id).await?;
    tx.record(Some(institution), "distribution.create", "distribution", &id.to_string(), None, Some(&snapshot(&saved)))
        .await?;
    Ok(saved)
}

/// Saves the workflow fields of `after` if `before` is still current, and records `action`.
pub async fn save_workflow(
    tx: &mut WriteTx,
    before: &DistributionRecord,
    after: &DistributionRecord,
    action: &str,
) -> Result<DistributionRecord> {
    let mut q = Sql::new("UPDATE distribution SET ");
    q.set("status", after.status.code())
        .set("approved_on", after.approved_on.map(format_date))
        .set("paid_on", after.paid_on.map(format_date))
        .set("cancel_reason", after.cancel_reason.clone())
        .set("updated_at", format_timestamp(tx.now()))
        .where_version(before.id, before.version);
    q.execute_versioned(tx.conn()).await?;
    let saved = get(tx, Scope::All, before.id).await?;
    tx.record(
        Some(before.institution_id),
        action,
        "distribution",
        &before.id.to_string(),
        Some(&snapshot(before)),
        Some(&snapshot(&saved)),
    )
    .await?;
    Ok(saved)
}
