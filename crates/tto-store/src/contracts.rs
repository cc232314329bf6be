//! Technical contracts (技术合同): terms, payment schedule, registration and payments.

use serde_json::{Value, json};
use sqlx::any::AnyRow;
use time::{Date, OffsetDateTime};
use tto_domain::contract::{ContractCategory, ContractTerms, Installment, Registration};
use tto_domain::{InstitutionId, Money};

use crate::codec::{
    corrupt, date_col, format_date, format_timestamp, i64_col, opt_i64_col, opt_str_col, str_col, ts_col,
};
use crate::sql::Sql;
use crate::{Conn, Result, Scope, StoreError, WriteTx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub id: i64,
    pub amount: Money,
    pub received_on: Date,
    pub reference: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contract {
    pub id: i64,
    pub institution_id: InstitutionId,
    pub institution_name: String,
    pub deal_id: Option<i64>,
    pub terms: ContractTerms,
    pub buyer_name: String,
    pub registration: Option<Registration>,
    pub payments: Vec<Payment>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

impl Contract {
    pub fn received(&self) -> Money {
        self.payments.iter().map(|p| p.amount).sum()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractRow {
    pub id: i64,
    pub institution_id: InstitutionId,
    pub deal_id: Option<i64>,
    pub category: ContractCategory,
    pub title: String,
    pub buyer_name: String,
    pub amount: Money,
    pub signed_on: Date,
    pub registered: bool,
    pub received: Money,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContractFilter {
    pub category: Option<ContractCategory>,
    pub deal: Option<i64>,
    pub registered: Option<bool>,
}

pub fn snapshot(c: &Contract) -> Value {
    let t = &c.terms;
    json!({
        "id": c.id,
        "deal_id": c.deal_id,
        "category": t.category.code(),
        "title": t.title,
        "buyer_id": t.buyer.0,
        "amount_fen": t.amount.fen(),
        "signed_on": format_date(t.signed_on),
        "schedule": t.schedule.iter().map(|i| json!({ "due_on": format_date(i.due_on), "amount_fen": i.amount.fen() })).collect::<Vec<_>>(),
        "registration": c.registration.as_ref().map(|r| json!({
            "number": r.number,
            "registered_on": format_date(r.registered_on),
            "certified_amount_fen": r.certified_amount.fen(),
            "authority": r.authority,
        })),
        "payments": c.payments.iter().map(|p| json!({ "id": p.id, "amount_fen": p.amount.fen(), "received_on": format_date(p.received_on), "reference": p.reference })).collect::<Vec<_>>(),
        "version": c.version,
    })
}

const COLUMNS: &str = "SELECT k.id, k.institution_id, i.name AS institution_name, k.deal_id, k.category, k.title, \
     k.buyer_id, b.name AS buyer_name, k.amount_fen, k.signed_on, k.registration_number, k.registered_on, \
     k.certified_amount_fen, k.registration_authority, k.created_at, k.updated_at, k.version FROM tech_contract k \
     JOIN institution i ON i.id = k.institution_id JOIN institution b ON b.id = k.buyer_id";

async fn from_row(db: &mut impl Conn, row: &AnyRow) -> Result<Contract> {
    let id = i64_col(row, "id")?;
    let mut q = Sql::new("SELECT due_on, amount_fen FROM contract_installment WHERE contract_id = ");
    q.bind(id).push(" ORDER BY position");
    let schedule = q
        .fetch_all(db.conn())
        .await?
        .iter()
        .map(|r| Ok(Installment { due_on: date_col(r, "due_on")?, amount: Money::from_fen(i64_col(r, "amount_fen")?) }))
        .collect::<Result<Vec<_>>>()?;
    let mut q = Sql::new("SELECT id, amount_fen, received_on, reference FROM contract_payment WHERE contract_id = ");
    q.bind(id).push(" ORDER BY received_on, id");
    let payments = q
        .fetch_all(db.conn())
        .await?
        .iter()
        .map(|r| {
            Ok(Payment {
                id: i64_col(r, "id")?,
                amount: Money::from_fen(i64_col(r, "amount_fen")?),
                received_on: date_col(r, "received_on")?,
                reference: str_col(r, "reference")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let registration = match opt_str_col(row, "registration_number")? {
        Some(number) => Some(Registration {
            number,
            registered_on: date_col(row, "registered_on")?,
            certified_amount: Money::from_fen(opt_i64_col(row, "certified_amount_fen")?.unwrap_or_default()),
            authority: opt_str_col(row, "registration_authority")?.unwrap_or_default(),
        }),
        None => None,
    };
    Ok(Contract {
        id,
        institution_id: InstitutionId(i64_col(row, "institution_id")?),
        institution_name: str_col(row, "institution_name")?,
        deal_id: opt_i64_col(row, "deal_id")?,
        terms: ContractTerms {
            category: ContractCategory::from_code(&str_col(row, "category")?).map_err(corrupt("category"))?,
            title: str_col(row, "title")?,
            buyer: InstitutionId(i64_col(row, "buyer_id")?),
            amount: Money::from_fen(i64_col(row, "amount_fen")?),
            signed_on: date_col(row, "signed_on")?,
            schedule,
        },
        buyer_name: str_col(row, "buyer_name")?,
        registration,
        payments,
        created_at: ts_col(row, "created_at")?,
        updated_at: ts_col(row, "updated_at")?,
        version: i64_col(row, "version")?,
    })
}

pub async fn get(db: &mut impl Conn, scope: Scope, id: i64) -> Result<Contract> {
    let mut q = Sql::new(COLUMNS);
    q.push(" WHERE k.id = ").bind(id);
    q.internal_scope(scope, "k.institution_id");
    let row = q.fetch_optional(db.conn()).await?.ok_or(StoreError::NotFound)?;
    from_row(db, &row).await
}

pub async fn list(db: &mut impl Conn, scope: Scope, filter: &ContractFilter, limit: i64) -> Result<Vec<ContractRow>> {
    let mut q = Sql::new(
        "SELECT k.id, k.institution_id, k.deal_id, k.category, k.title, b.name AS buyer_name, k.amount_fen, \
         k.signed_on, k.registration_number, \
         (SELECT CAST(COALESCE(SUM(p.amount_fen), 0) AS BIGINT) FROM contract_payment p WHERE p.contract_id = k.id) \
         AS received FROM tech_contract k JOIN institution b ON b.id = k.buyer_id WHERE 1 = 1",
    );
    q.internal_scope(scope, "k.institution_id");
    if let Some(c) = filter.category {
        q.push(" AND k.category = ").bind(c.code());
    }
    if let Some(d) = filter.deal {
        q.push(" AND k.deal_id = ").bind(d);
    }
    match filter.registered {
        Some(true) => {
            q.push(" AND k.registration_number IS NOT NULL");
        }
        Some(false) => {
            q.push(" AND k.registration_number IS NULL");
        }
        None => {}
    }
    q.push(" ORDER BY k.signed_on DESC, k.id DESC LIMIT ").bind(limit);
    q.fetch_all(db.conn())
        .await?
        .iter()
        .map(|row| {
            Ok(ContractRow {
                id: i64_col(row, "id")?,
                institution_id: InstitutionId(i64_col(row, "institution_id")?),
                deal_id: opt_i64_col(row, "deal_id")?,
                category: ContractCategory::from_code(&str_col(row, "category")?).map_err(corrupt("category"))?,
                title: str_col(row, "title")?,
                buyer_name: str_col(row, "buyer_name")?,
                amount: Money::from_fen(i64_col(row, "amount_fen")?),
                signed_on: date_col(row, "signed_on")?,
                registered: opt_str_col(row, "registration_number")?.is_some(),
                received: Money::from_fen(i64_col(row, "received")?),
            })
        })
        .collect()
}

pub async fn insert(
    tx: &mut WriteTx,
    institution: InstitutionId,
    deal: Option<i64>,
    terms: &ContractTerms,
) -> Result<Contract> {
    let now = format_timestamp(tx.now());
    let mut q = Sql::new(
        "INSERT INTO tech_contract (institution_id, deal_id, category, title, buyer_id, amount_fen, signed_on, \
         created_at, updated_at, version) VALUES (",
    );
    q.values([
        institution.0.into(),
        deal.into(),
        terms.category.code().into(),
        terms.title.clone().into(),
        terms.buyer.0.into(),
        terms.amount.fen().into(),
        format_date(terms.signed_on).into(),
        now.clone().into(),
        now.into(),
        1_i64.into(),
    ])
    .push(") RETURNING id");
    let id = i64_col(&q.fetch_one(tx.conn()).await?, "id")?;
    for (position, i) in terms.schedule.iter().enumerate() {
        let mut q = Sql::new(
            "INSERT INTO contract_installment (contract_id, institution_id, position, due_on, amount_fen) VALUES (",
        );
        q.values([
            id.into(),
            institution.0.into(),
            (position as i64).into(),
            format_date(i.due_on).into(),
            i.amount.fen().into(),
        ])
        .push(")");
        q.execute(tx.conn()).await?;
    }
    let saved = get(tx, Scope::All, id).await?;
    tx.record(Some(institution), "contract.create", "tech_contract", &id.to_string(), None, Some(&snapshot(&saved)))
        .await?;
    Ok(saved)
}

pub async fn register(tx: &mut WriteTx, before: &Contract, r: &Registration) -> Result<Contract> {
    let mut q = Sql::new("UPDATE tech_contract SET ");
    q.set("registration_number", r.number.clone())
        .set("registered_on", format_date(r.registered_on))
        .set("certified_amount_fen", r.certified_amount.fen())
        .set("registration_authority", r.authority.clone())
        .set("updated_at", format_timestamp(tx.now()))
        .where_version(before.id, before.version);
    q.execute_versioned(tx.conn()).await?;
    let saved = get(tx, Scope::All, before.id).await?;
    tx.record(
        Some(before.institution_id),
        "contract.register",
        "tech_contract",
        &before.id.to_string(),
        Some(&snapshot(before)),
        Some(&snapshot(&saved)),
    )
    .await?;
    Ok(saved)
}

pub async fn add_payment(
    tx: &mut WriteTx,
    before: &Contract,
    amount: Money,
    received_on: Date,
    reference: &str,
) -> Result<Contract> {
    let mut q = Sql::new(
        "INSERT INTO contract_payment (contract_id, institution_id, amount_fen, received_on, reference, created_at) VALUES (",
    );
    q.values([
        before.id.into(),
        before.institution_id.0.into(),
        amount.fen().into(),
        format_date(received_on).into(),
        reference.into(),
        format_timestamp(tx.now()).into(),
    ])
    .push(")");
    q.execute(tx.conn()).await?;
    let mut q = Sql::new("UPDATE tech_contract SET ");
    q.set("updated_at", format_timestamp(tx.now())).where_version(before.id, before.version);
    q.execute_versioned(tx.conn()).await?;
    let saved = get(tx, Scope::All, before.id).await?;
    tx.record(
        Some(before.institution_id),
        "contract.payment",
        "tech_contract",
        &before.id.to_string(),
        Some(&snapshot(before)),
        Some(&snapshot(&saved)),
    )
    .await?;
    Ok(saved)
}
