//! Evidence packs of the due-diligence exemption (尽职免责, measure 十七).
//!
//! A pack is a ZIP holding a human-readable `summary.html` and the facts as JSON: the deal,
//! its notices with objections, listings with interests, auctions with bidders and bids,
//! contracts, the verdict with its rule, and every audit-chain event about those records with
//! its hash. `manifest.json` lists each file's SHA-256.
//!
//! [`App::verify_evidence_pack`] (the CLI's `tto audit verify-pack FILE`) checks that
//! 1. every file matches the manifest and no file was added;
//! 2. every audit event in the pack still matches its own hash (nothing was edited);
//! 3. the deal and notice facts in the pack equal the last recorded state in those events;
//! 4. every event is in the database's audit chain with the same hash, and the chain is
//!    intact.
//!
//! So a pack handed to an auditor proves what the platform recorded, and when.

use std::collections::BTreeSet;
use std::io::{Cursor, Read, Write};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tto_domain::notice::NoticeSubject;
use tto_store::audit::{self, AuditEvent};
use tto_store::{Conn, contracts, deals, market, notices};

use crate::authz::{Actor, Permission};
use crate::deals::DealView;
use crate::{App, AppError, Result};

pub const FORMAT: &str = "tto-evidence-pack";
pub const FORMAT_VERSION: i64 = 1;

/// The files every pack of this format holds besides `manifest.json`.
const PACK_FILES: [&str; 7] =
    ["summary.html", "deal.json", "notices.json", "market.json", "contracts.json", "verdict.json", "audit.json"];

/// What a verified pack contains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackReport {
    pub deal_id: i64,
    pub files: usize,
    pub events: usize,
    /// Events in the whole chain (intact).
    pub chain_events: i64,
}

/// Why a pack does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackProblem {
    #[error("not an evidence pack: {0}")]
    Unreadable(String),
    #[error("file {0} does not match the manifest")]
    FileChanged(String),
    #[error("file {0} is not in the manifest")]
    FileAdded(String),
    #[error("file {0} is missing")]
    FileMissing(String),
    #[error("audit event {0} in the pack does not match its hash")]
    EventEdited(i64),
    #[error("{0} in the pack differs from the last recorded state in the audit events")]
    FactsDiffer(String),
    #[error("audit event {0} is not in the database's audit chain")]
    EventMissing(i64),
    #[error("audit event {0} differs from the database's audit chain")]
    EventDiffers(i64),
    #[error("the database's audit chain is broken at event {seq}: {reason}")]
    ChainBroken { seq: i64, reason: String },
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn event_json(e: &AuditEvent) -> Value {
    json!({
        "seq": e.seq,
        "occurred_at": e.occurred_at,
        "institution_id": e.institution_id,
        "actor_kind": e.actor_kind,
        "actor_id": e.actor_id,
        "actor_label": e.actor_label,
        "action": e.action,
        "entity_type": e.entity_type,
        "entity_id": e.entity_id,
        "before_json": e.before_json,
        "after_json": e.after_json,
        "prev_hash": e.prev_hash,
        "hash": e.hash,
    })
}

fn event_from_json(v: &Value) -> Option<AuditEvent> {
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let os =
        |k: &str| v.get(k).and_then(|x| if x.is_null() { Some(None) } else { x.as_str().map(|s| Some(s.to_string())) });
    let oi = |k: &str| v.get(k).and_then(|x| if x.is_null() { Some(None) } else { x.as_i64().map(Some) });
    Some(AuditEvent {
        seq: v.get("seq")?.as_i64()?,
        occurred_at: s("occurred_at")?,
        institution_id: oi("institution_id")?,
        actor_kind: s("actor_kind")?,
        actor_id: oi("actor_id")?,
        actor_label: s("actor_label")?,
        action: s("action")?,
        entity_type: s("entity_type")?,
        entity_id: s("entity_id")?,
        before_json: os("before_json")?,
        after_json: os("after_json")?,
        prev_hash: s("prev_hash")?,
        hash: s("hash")?,
    })
}

/// Every audit event about the deal and the records of its history, in chain order.
async fn deal_events(db: &mut impl Conn, view: &DealView) -> Result<Vec<AuditEvent>> {
    let mut entities: Vec<(&str, i64)> = vec![("deal", view.deal.id)];
    for n in &view.notices {
        entities.push(("public_notice", n.notice.id));
        entities.extend(n.objections.iter().map(|o| ("objection", o.id)));
    }
    for l in &view.listings {
        entities.push(("listing", l.listing.id));
    }
    for a in &view.auctions {
        entities.push(("auction", a.auction.id));
        entities.extend(a.bids.iter().map(|b| ("bid", b.id)));
    }
    entities.extend(view.contracts.iter().map(|c| ("tech_contract", c.id)));
    let mut events = Vec::new();
    let mut seen = BTreeSet::new();
    for (kind, id) in entities {
        for e in audit::for_entity(db, kind, &id.to_string()).await? {
            if seen.insert(e.seq) {
                events.push(e);
            }
        }
    }
    events.sort_by_key(|e| e.seq);
    Ok(events)
}

/// The last recorded `after` state of an entity among `events`.
fn last_state(events: &[AuditEvent], entity_type: &str, entity_id: i64) -> Option<Value> {
    let id = entity_id.to_string();
    events
        .iter()
        .rev()
        .find(|e| e.entity_type == entity_type && e.entity_id == id)
        .and_then(|e| e.after_json.as_deref())
        .and_then(|s| serde_json::from_str(s).ok())
}

impl App {
    /// The deal's audit events (for the summary and the deal page's timeline).
    pub async fn deal_audit_events(&self, view: &DealView) -> Result<Vec<AuditEvent>> {
        let mut r = self.store().reader().await?;
        deal_events(&mut r, view).await
    }

    /// Builds the evidence pack of a deal. `summary` renders `summary.html` from the view
    /// and the events (the web layer owns the wording and the languages).
    pub async fn evidence_pack(
        &self,
        actor: &Actor,
        deal: i64,
        summary: impl FnOnce(&DealView, &[AuditEvent]) -> String,
    ) -> Result<(String, Vec<u8>)> {
        actor.require(Permission::DealRead)?;
        let view = self.deal(actor, deal).await?;
        let mut r = self.store().reader().await?;
        let events = deal_events(&mut r, &view).await?;
        let mut contract_snapshots = Vec::new();
        for c in &view.contracts {
            contract_snapshots.push(contracts::snapshot(&contracts::get(&mut r, tto_store::Scope::All, c.id).await?));
        }
        drop(r);
        let d = &view.deal;
        let deal_json = json!({
            "snapshot": deals::snapshot(d),
            "institution": d.institution_name,
            "counterparty": d.counterparty_name,
            "achievements": d.items.iter().map(|i| json!({ "id": i.achievement_id.0, "code": i.code, "title": i.title })).collect::<Vec<_>>(),
        });
        let notices_json: Vec<Value> = view
            .notices
            .iter()
            .map(|n| {
                json!({
                    "snapshot": notices::snapshot(&n.notice),
                    "objections": n.objections.iter().map(notices::objection_snapshot).collect::<Vec<_>>(),
                })
            })
            .collect();
        let market_json = json!({
            "listings": view.listings.iter().map(|l| json!({
                "snapshot": market::listing_snapshot(&l.listing),
                "interests": l.interests.iter().map(|i| json!({ "party_id": i.party_id.0, "party": i.party_name, "note": i.note, "at": tto_store::format_timestamp(i.created_at) })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "auctions": view.auctions.iter().map(|a| json!({
                "snapshot": market::auction_snapshot(&a.auction),
                "bidders": a.bidders.iter().map(|b| json!({ "party_id": b.party_id.0, "party": b.party_name, "status": b.status.code() })).collect::<Vec<_>>(),
                "bids": a.bids.iter().map(|b| json!({ "id": b.id, "party_id": b.party_id.0, "party": b.party_name, "amount_fen": b.amount.fen(), "placed_at": tto_store::format_timestamp(b.placed_at) })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        });
        let rule = view.rules.parameter(tto_domain::policy::ParamKey::ExemptionQualifyingRoutes);
        let verdict_json = json!({
            "qualifies": view.verdict.qualifies,
            "conditions": view.verdict.conditions.iter().map(|c| json!({
                "code": c.code,
                "met": c.met,
                "args": c.args.iter().map(|(k, v)| (k.to_string(), Value::String(v.clone()))).collect::<serde_json::Map<_, _>>(),
            })).collect::<Vec<_>>(),
            "rule": rule.map(|p| json!({
                "key": p.key.code(),
                "value": p.value.to_string(),
                "grade": p.grade.code(),
                "document": p.source.document,
                "article": p.source.article,
                "url": p.source.url,
            })),
            "notice_min_days": view.rules.notice_min_days,
            "policy_profile": d.policy_profile,
        });
        let audit_json = Value::Array(events.iter().map(event_json).collect());
        let html = summary(&view, &events);
        let pretty = |v: &Value| serde_json::to_vec_pretty(v).unwrap_or_default();
        let files: Vec<(&str, Vec<u8>)> = vec![
            ("summary.html", html.into_bytes()),
            ("deal.json", pretty(&deal_json)),
            ("notices.json", pretty(&Value::Array(notices_json))),
            ("market.json", pretty(&market_json)),
            ("contracts.json", pretty(&Value::Array(contract_snapshots))),
            ("verdict.json", pretty(&verdict_json)),
            ("audit.json", pretty(&audit_json)),
        ];
        let manifest = json!({
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "deal_id": d.id,
            "generated_at": tto_store::format_timestamp(self.now()),
            "verify": "tto audit verify-pack <this file> --database-url <the platform's database>",
            "files": files.iter().map(|(name, bytes)| json!({ "name": name, "sha256": sha256_hex(bytes) })).collect::<Vec<_>>(),
            "audit_events": events.iter().map(|e| json!({ "seq": e.seq, "hash": e.hash })).collect::<Vec<_>>(),
        });
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        let zip_error = |e: zip::result::ZipError| AppError::Internal(format!("writing the evidence pack: {e}"));
        let io_error = |e: std::io::Error| AppError::Internal(format!("writing the evidence pack: {e}"));
        zip.start_file("manifest.json", options).map_err(zip_error)?;
        zip.write_all(&pretty(&manifest)).map_err(io_error)?;
        for (name, bytes) in &files {
            zip.start_file(*name, options).map_err(zip_error)?;
            zip.write_all(bytes).map_err(io_error)?;
        }
        let bytes = zip.finish().map_err(zip_error)?.into_inner();
        Ok((format!("evidence-deal-{}.zip", d.id), bytes))
    }

    /// Verifies an evidence pack against this platform's audit chain (see the module docs).
    pub async fn verify_evidence_pack(&self, bytes: &[u8]) -> Result<std::result::Result<PackReport, PackProblem>> {
        let read = match read_pack(bytes) {
            Ok(r) => r,
            Err(p) => return Ok(Err(p)),
        };
        let (deal_id, files, events) = match check_contents(&read) {
            Ok(x) => x,
            Err(p) => return Ok(Err(p)),
        };
        let mut r = self.store().reader().await?;
        for e in &events {
            match audit::by_seq(&mut r, e.seq).await? {
                None => return Ok(Err(PackProblem::EventMissing(e.seq))),
                Some(db) if db != *e => return Ok(Err(PackProblem::EventDiffers(e.seq))),
                Some(_) => {}
            }
        }
        match audit::verify(&mut r).await? {
            audit::Verdict::Intact { events: chain_events, .. } => {
                Ok(Ok(PackReport { deal_id, files, events: events.len(), chain_events }))
            }
            audit::Verdict::Broken { seq, reason } => Ok(Err(PackProblem::ChainBroken { seq, reason })),
        }
    }
}

type PackFiles = Vec<(String, Vec<u8>)>;

fn read_pack(bytes: &[u8]) -> std::result::Result<PackFiles, PackProblem> {
    let unreadable = |e: &dyn std::fmt::Display| PackProblem::Unreadable(e.to_string());
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    let mut files = Vec::new();
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).map_err(|e| unreadable(&e))?;
        let name = f.name().map_err(|e| unreadable(&e))?.to_string();
        let mut content = Vec::new();
        // Packs are small; refuse anything absurd rather than filling memory.
        (&mut f).take(64 * 1024 * 1024).read_to_end(&mut content).map_err(|e| unreadable(&e))?;
        files.push((name, content));
    }
    Ok(files)
}

fn check_contents(files: &PackFiles) -> std::result::Result<(i64, usize, Vec<AuditEvent>), PackProblem> {
    let file = |name: &str| files.iter().find(|(n, _)| n == name).map(|(_, b)| b.as_slice());
    let json_of = |name: &str| -> std::result::Result<Value, PackProblem> {
        let bytes = file(name).ok_or_else(|| PackProblem::FileMissing(name.to_string()))?;
        serde_json::from_slice(bytes).map_err(|e| PackProblem::Unreadable(format!("{name}: {e}")))
    };
    let manifest = json_of("manifest.json")?;
    if manifest.get("format").and_then(Value::as_str) != Some(FORMAT) {
        return Err(PackProblem::Unreadable("manifest.json is not a tto evidence pack manifest".into()));
    }
    let deal_id = manifest
        .get("deal_id")
        .and_then(Value::as_i64)
        .ok_or_else(|| PackProblem::Unreadable("manifest.json has no deal_id".into()))?;
    let listed = manifest.get("files").and_then(Value::as_array).cloned().unwrap_or_default();
    let mut names = BTreeSet::new();
    for entry in &listed {
        let name = entry.get("name").and_then(Value::as_str).unwrap_or_default();
        let sha = entry.get("sha256").and_then(Value::as_str).unwrap_or_default();
        let bytes = file(name).ok_or_else(|| PackProblem::FileMissing(name.to_string()))?;
        if sha256_hex(bytes) != sha {
            return Err(PackProblem::FileChanged(name.to_string()));
        }
        names.insert(name.to_string());
    }
    for (name, _) in files {
        if name != "manifest.json" && !names.contains(name) {
            return Err(PackProblem::FileAdded(name.clone()));
        }
    }
    // A file taken out together with its manifest line is missing all the same.
    if let Some(name) = PACK_FILES.iter().find(|n| !names.contains(**n)) {
        return Err(PackProblem::FileMissing(name.to_string()));
    }
    let audit_json = json_of("audit.json")?;
    let mut events = Vec::new();
    for v in audit_json.as_array().cloned().unwrap_or_default() {
        let e =
            event_from_json(&v).ok_or_else(|| PackProblem::Unreadable("audit.json has a malformed event".into()))?;
        if audit::hash(&e) != e.hash {
            return Err(PackProblem::EventEdited(e.seq));
        }
        events.push(e);
    }
    let deal = json_of("deal.json")?;
    if deal.get("snapshot") != last_state(&events, "deal", deal_id).as_ref() {
        return Err(PackProblem::FactsDiffer("deal.json".into()));
    }
    let mut notice_ids = BTreeSet::new();
    let mut objection_ids = BTreeSet::new();
    for n in json_of("notices.json")?.as_array().cloned().unwrap_or_default() {
        let snapshot = n.get("snapshot").cloned().unwrap_or(Value::Null);
        let id = snapshot.get("id").and_then(Value::as_i64).unwrap_or_default();
        if snapshot.get("subject").and_then(Value::as_str) != Some(NoticeSubject::Deal.code())
            || Some(&snapshot) != last_state(&events, "public_notice", id).as_ref()
        {
            return Err(PackProblem::FactsDiffer(format!("notice {id} in notices.json")));
        }
        notice_ids.insert(id.to_string());
        // The objections are facts of the notice too (an upheld one decides the verdict).
        for o in n.get("objections").and_then(Value::as_array).cloned().unwrap_or_default() {
            let oid = o.get("id").and_then(Value::as_i64).unwrap_or_default();
            if o.get("notice_id").and_then(Value::as_i64) != Some(id)
                || Some(&o) != last_state(&events, "objection", oid).as_ref()
            {
                return Err(PackProblem::FactsDiffer(format!("objection {oid} in notices.json")));
            }
            objection_ids.insert(oid.to_string());
        }
    }
    // Every notice and objection the events speak of is in the pack: none was left out.
    if events.iter().any(|e| {
        (e.entity_type == "public_notice" && !notice_ids.contains(&e.entity_id))
            || (e.entity_type == "objection" && !objection_ids.contains(&e.entity_id))
    }) {
        return Err(PackProblem::FactsDiffer("notices.json".into()));
    }
    check_market(&json_of("market.json")?, &events)?;
    check_contracts(&json_of("contracts.json")?, &events)?;
    Ok((deal_id, listed.len(), events))
}

/// The last `after` state of an entity recorded by one of `actions`.
fn last_state_of(events: &[AuditEvent], entity_type: &str, entity_id: i64, actions: &[&str]) -> Option<Value> {
    let id = entity_id.to_string();
    events
        .iter()
        .rev()
        .find(|e| e.entity_type == entity_type && e.entity_id == id && actions.contains(&e.action.as_str()))
        .and_then(|e| e.after_json.as_deref())
        .and_then(|s| serde_json::from_str(s).ok())
}

/// Listings, auctions and bids in `market.json` against their audit events: each listing and
/// auction as last opened or closed (an open auction's end may have moved by late bids,
/// recorded with the bid), each bid as placed, and no bid left out.
fn check_market(market: &Value, events: &[AuditEvent]) -> std::result::Result<(), PackProblem> {
    let differs = |what: String| PackProblem::FactsDiffer(format!("{what} in market.json"));
    let list = |key: &str| market.get(key).and_then(Value::as_array).cloned().unwrap_or_default();
    for l in list("listings") {
        let snapshot = l.get("snapshot").cloned().unwrap_or(Value::Null);
        let id = snapshot.get("id").and_then(Value::as_i64).unwrap_or_default();
        if Some(&snapshot) != last_state_of(events, "listing", id, &["listing.open", "listing.close"]).as_ref() {
            return Err(differs(format!("listing {id}")));
        }
    }
    let mut bid_ids = BTreeSet::new();
    for a in list("auctions") {
        let snapshot = a.get("snapshot").cloned().unwrap_or(Value::Null);
        let id = snapshot.get("id").and_then(Value::as_i64).unwrap_or_default();
        let recorded = last_state_of(events, "auction", id, &["auction.open", "auction.close"]);
        let extended: Vec<Value> = events
            .iter()
            .filter(|e| e.entity_type == "bid")
            .filter_map(|e| e.after_json.as_deref().and_then(|s| serde_json::from_str::<Value>(s).ok()))
            .filter(|b| b.get("auction_id").and_then(Value::as_i64) == Some(id))
            .filter_map(|b| b.get("extended_to").cloned())
            .collect();
        let same = match (&recorded, snapshot.as_object()) {
            (Some(Value::Object(r)), Some(s)) => {
                r.iter().all(|(k, v)| k == "ends_at" || s.get(k) == Some(v))
                    && s.len() == r.len()
                    && (s.get("ends_at") == r.get("ends_at") || extended.last() == s.get("ends_at"))
            }
            _ => false,
        };
        if !same {
            return Err(differs(format!("auction {id}")));
        }
        for b in a.get("bids").and_then(Value::as_array).cloned().unwrap_or_default() {
            let bid = b.get("id").and_then(Value::as_i64).unwrap_or_default();
            let placed = last_state(events, "bid", bid);
            let fits = placed.as_ref().is_some_and(|p| {
                p.get("auction_id") == Some(&Value::from(id))
                    && p.get("party_id") == b.get("party_id")
                    && p.get("amount_fen") == b.get("amount_fen")
                    && p.get("placed_at") == b.get("placed_at")
            });
            if !fits {
                return Err(differs(format!("bid {bid}")));
            }
            bid_ids.insert(bid.to_string());
        }
    }
    if events.iter().any(|e| e.entity_type == "bid" && !bid_ids.contains(&e.entity_id)) {
        return Err(differs("bids".into()));
    }
    Ok(())
}

/// Contracts in `contracts.json` as last recorded, none left out.
fn check_contracts(contracts: &Value, events: &[AuditEvent]) -> std::result::Result<(), PackProblem> {
    let mut ids = BTreeSet::new();
    for c in contracts.as_array().cloned().unwrap_or_default() {
        let id = c.get("id").and_then(Value::as_i64).unwrap_or_default();
        if Some(&c) != last_state(events, "tech_contract", id).as_ref() {
            return Err(PackProblem::FactsDiffer(format!("contract {id} in contracts.json")));
        }
        ids.insert(id.to_string());
    }
    if events.iter().any(|e| e.entity_type == "tech_contract" && !ids.contains(&e.entity_id)) {
        return Err(PackProblem::FactsDiffer("contracts.json".into()));
    }
    Ok(())
}
