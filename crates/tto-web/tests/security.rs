//! Accounts, sessions, tenant isolation and attacks, through the real router.

mod common;

use axum::http::{Method, StatusCode};
use common::{Auth, achievement_json};
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// Markers that only UNA's own users may ever see.
const SECRET_DETAIL: &str = "机密工艺参数-甲";
const SECRET_CONTRIBUTOR: &str = "保密人甲";
/// Deal-side records only UNA may read: a draft deal, an objector's contact details, a
/// technical contract, a draft central-release campaign.
const SECRET_DEAL: &str = "甲的草稿交易";
const SECRET_OBJECTOR: &str = "异议人密电-甲";
const SECRET_CONTRACT: &str = "甲的保密合同";
const SECRET_CAMPAIGN: &str = "甲的草稿发布";
/// Income distribution of UNA: a distribution, its university rule and a cost entry.
const SECRET_DISTRIBUTION: &str = "甲的收益分配";
const SECRET_RULE: &str = "甲大学内部分配办法";
const SECRET_FINANCE: &str = "甲的评估费用";
/// Intake and IP of UNA: a disclosure and its attachment, a reviewer's comment, a draft
/// screening round with a start-up candidate, a patent application.
const SECRET_DISCLOSURE: &str = "甲的保密披露";
const SECRET_FILE: &str = "甲的附件内容-机密";
const SECRET_REVIEW: &str = "甲的评审意见";
const SECRET_ROUND: &str = "甲的遴选草稿";
const SECRET_STARTUP: &str = "甲的创业项目";
const SECRET_PATENT: &str = "甲的专利申请";
/// Technology needs the exchange (EXC) collected for an enterprise: a draft, and a published
/// need whose contact is given only through the platform.
const SECRET_NEED: &str = "戊代企业的需求草稿";
const SECRET_NEED_CONTACT: &str = "需求联系人戊";
const SECRET_MATCH: &str = "甲戊对接密谈备注";
/// A draft handshake event of UNA, and the attendee UNA registered for its open event.
const SECRET_EVENT: &str = "甲的草稿对接会";
const SECRET_ATTENDEE: &str = "甲的参会人";

struct Fixture {
    draft_id: i64,
    published_id: i64,
    token_id: i64,
    una: i64,
    agreement_id: i64,
    conversion_id: i64,
    ent: i64,
    inv: i64,
    /// Deals of UNA: a draft, one being noticed, one listed, one auctioned.
    draft_deal: i64,
    noticed_deal: i64,
    listed_deal: i64,
    auctioned_deal: i64,
    notice_id: i64,
    objection_id: i64,
    listing_id: i64,
    auction_id: i64,
    contract_id: i64,
    candidate_id: i64,
    campaign_id: i64,
    /// Distributions of UNA: a draft and an approved one.
    draft_distribution: i64,
    approved_distribution: i64,
    /// A submitted disclosure of UNA's inventor with an attachment.
    disclosure_id: i64,
    attachment_id: i64,
    /// An open evaluation of the draft achievement scored by one of two reviewers.
    evaluation_id: i64,
    /// A draft screening round with one candidate.
    round_id: i64,
    round_candidate: i64,
    /// A patent application of the draft achievement.
    ip_id: i64,
    /// The exchange and its needs: a draft, and a published one (contact via the platform).
    exc: i64,
    need_draft: i64,
    need_published: i64,
    match_id: i64,
    /// Events of UNA: a draft, and one open for registration with UNA registered.
    event_draft: i64,
    event_open: i64,
    event_participant: i64,
}

/// A need the exchange collected for an enterprise.
fn need_json(title: &str, contact: &str) -> Value {
    json!({ "title": title, "description": "寻求芯片封装散热技术", "chains": ["integrated_circuits"],
            "budget_min": "100000", "budget_max": "500000", "deadline": "2027-06-30",
            "contact_policy": "via_platform", "contact_name": contact, "contact_phone": "13800001111",
            "enterprise_name": "天津某某电子有限公司" })
}

async fn fixture(t: &common::TestApp) -> (Fixture, Auth) {
    let staff = t.token("staff.a").await;
    let mut input = achievement_json("甲的草稿成果");
    input["detail"] = json!(SECRET_DETAIL);
    input["contributors"] = json!([{ "name": SECRET_CONTRIBUTOR, "share": "100", "main": true }]);
    let draft = t.post("/api/v1/achievements", input.clone(), &staff).await.json();
    input["title"] = json!("甲的公开成果");
    let published = t.post("/api/v1/achievements", input, &staff).await.json();
    let pid = published["id"].as_i64().unwrap();
    for action in ["register", "publish"] {
        let r = t.post(&format!("/api/v1/achievements/{pid}/transitions"), json!({ "action": action }), &staff).await;
        assert_eq!(r.status, StatusCode::OK);
    }
    let tokens = t.get("/api/v1/tokens", &staff).await.json();
    let token_id = tokens[0]["id"].as_i64().unwrap();
    let una = t.institution("UNA").await.0;
    let draft_id = draft["id"].as_i64().unwrap();
    let agreement = t
        .post(
            "/api/v1/empowerment-agreements",
            json!({ "achievement_id": draft_id, "kind": "full_ownership", "parties": [{ "name": SECRET_CONTRIBUTOR, "share": "100" }],
                    "income_share": "70", "cost_share": "0", "maintenance_share": "0", "decision_rules": "协商" }),
            &staff,
        )
        .await;
    assert_eq!(agreement.status, StatusCode::CREATED, "{}", agreement.text());
    let conversion = t
        .post(
            &format!("/api/v1/achievements/{draft_id}/conversions"),
            json!({ "mode": "licence", "value": "1000", "occurred_on": "2026-11-01", "counterparty": "某公司", "reference": "合同 1" }),
            &staff,
        )
        .await;
    assert_eq!(conversion.status, StatusCode::CREATED, "{}", conversion.text());
    let ent = t.institution("ENT").await.0;
    let inv = t.institution("INV").await.0;
    // Non-exclusive licences may share the published achievement.
    let deal = |title: &str, route: &str| {
        json!({ "title": title, "mode": "licence_non_exclusive", "route": route, "price": "10000",
                "counterparty_id": (route == "agreement").then_some(ent), "achievement_ids": [pid] })
    };
    let mut deals = Vec::new();
    for (title, route) in [
        (SECRET_DEAL, "agreement"),
        ("甲的公示交易", "agreement"),
        ("甲的挂牌交易", "listing"),
        ("甲的拍卖交易", "auction"),
    ] {
        let r = t.post("/api/v1/deals", deal(title, route), &staff).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        deals.push(r.json()["id"].as_i64().unwrap());
    }
    let step = |id: i64, step: &str, body: Value| {
        let staff = staff.clone();
        let path = format!("/api/v1/deals/{id}/{step}");
        async move {
            let r = t.post(&path, body, &staff).await;
            assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text());
            r.json()
        }
    };
    let noticed =
        step(deals[1], "start_notice", json!({ "version": 1, "starts_on": "2026-11-29", "ends_on": "2026-12-31" }))
            .await;
    let notice_id = noticed["notices"][0]["id"].as_i64().unwrap();
    let objection = t
        .post(
            &format!("/api/v1/notices/{notice_id}/objections"),
            json!({ "name": "王某", "contact": SECRET_OBJECTOR, "content": "价格过低" }),
            &Auth::None,
        )
        .await;
    assert_eq!(objection.status, StatusCode::CREATED, "{}", objection.text());
    let listed =
        step(deals[2], "list", json!({ "version": 1, "ends_at": "2026-12-31T00:00:00Z", "increment": "100" })).await;
    let auctioned =
        step(deals[3], "start_auction", json!({ "version": 1, "ends_at": "2026-12-31T00:00:00Z", "increment": "100" }))
            .await;
    let auction_id = auctioned["auctions"][0]["id"].as_i64().unwrap();
    let investor = t.token("investor").await;
    let registered = t.post(&format!("/api/v1/auctions/{auction_id}/bidders"), json!({}), &investor).await;
    assert_eq!(registered.status, StatusCode::CREATED, "{}", registered.text());
    let contract = t
        .post(
            "/api/v1/contracts",
            json!({ "deal_id": deals[1], "category": "licence", "title": SECRET_CONTRACT, "buyer_id": ent, "amount": "10000",
                    "signed_on": "2026-11-20", "schedule": [{ "due_on": "2026-12-20", "amount": "10000" }] }),
            &staff,
        )
        .await;
    assert_eq!(contract.status, StatusCode::CREATED, "{}", contract.text());
    // A fiscally funded achievement completed long ago, drafted into a central release.
    let mut old = achievement_json("甲的待发布成果");
    old["completion_date"] = json!("2022-01-01");
    let candidate = t.post("/api/v1/achievements", old, &staff).await.json()["id"].as_i64().unwrap();
    let r =
        t.post(&format!("/api/v1/achievements/{candidate}/transitions"), json!({ "action": "register" }), &staff).await;
    assert_eq!(r.status, StatusCode::OK);
    let admin = t.token("admin.a").await;
    let campaign =
        t.post("/api/v1/releases", json!({ "title": SECRET_CAMPAIGN, "achievement_ids": [candidate] }), &admin).await;
    assert_eq!(campaign.status, StatusCode::CREATED, "{}", campaign.text());
    // Income distribution: a published rule, a cost, a draft and an approved distribution.
    let contract_id = contract.json()["id"].as_i64().unwrap();
    let rule = t
        .post(
            "/api/v1/distribution-rules",
            json!({ "document": SECRET_RULE, "published_on": "2026-11-01", "share_transfer": "70", "tto_rate": "10" }),
            &admin,
        )
        .await;
    assert_eq!(rule.status, StatusCode::CREATED, "{}", rule.text());
    let entry = t
        .post(
            "/api/v1/finance-entries",
            json!({ "kind": "cost", "category": "evaluation_appraisal_negotiation", "amount": "100",
                    "occurred_on": "2026-11-26", "contract_id": contract_id, "note": SECRET_FINANCE }),
            &staff,
        )
        .await;
    assert_eq!(entry.status, StatusCode::CREATED, "{}", entry.text());
    let mut distributions = Vec::new();
    for title in [SECRET_DISTRIBUTION, "甲的已审批分配"] {
        let r = t
            .post(
                "/api/v1/distributions",
                json!({ "title": title, "contract_id": contract_id, "case": distribution_case(SECRET_CONTRIBUTOR) }),
                &staff,
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        distributions.push(r.json()["id"].as_i64().unwrap());
    }
    let approved =
        t.post(&format!("/api/v1/distributions/{}/approve", distributions[1]), json!({ "version": 1 }), &admin).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.text());
    // Intake and IP.
    let inventor = t.token("inventor.a").await;
    let disclosure = t.post("/api/v1/disclosures", common::disclosure_json(SECRET_DISCLOSURE), &inventor).await;
    assert_eq!(disclosure.status, StatusCode::CREATED, "{}", disclosure.text());
    let disclosure_id = disclosure.json()["id"].as_i64().unwrap();
    let path = format!("/api/v1/disclosures/{disclosure_id}/attachments");
    let attachment = t.upload(&path, "工艺.txt", SECRET_FILE.as_bytes(), &inventor).await;
    assert_eq!(attachment.status, StatusCode::CREATED, "{}", attachment.text());
    let submitted =
        t.post(&format!("/api/v1/disclosures/{disclosure_id}/submit"), json!({ "version": 1 }), &inventor).await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.text());
    let users = t.app.users(&tto_app::Actor::system("t")).await.unwrap();
    let user_id = |name: &str| users.iter().find(|u| u.username == name).unwrap().id;
    let evaluation = t
        .post(
            "/api/v1/evaluations",
            json!({ "achievement_id": draft_id, "reviewers": [user_id("admin.a"), user_id("manager")] }),
            &staff,
        )
        .await;
    assert_eq!(evaluation.status, StatusCode::CREATED, "{}", evaluation.text());
    let evaluation_id = evaluation.json()["id"].as_i64().unwrap();
    let scored =
        t.post(&format!("/api/v1/evaluations/{evaluation_id}/scores"), scores_json(SECRET_REVIEW), &admin).await;
    assert_eq!(scored.status, StatusCode::OK, "{}", scored.text());
    let round = t
        .post(
            "/api/v1/screening-rounds",
            json!({ "title": SECRET_ROUND, "kind": "startup", "criteria": [{ "name": "市场", "weight": "60" }, { "name": "团队", "weight": "40" }],
                    "scores_due_on": "2026-12-31", "shortlist_size": 1 }),
            &staff,
        )
        .await;
    assert_eq!(round.status, StatusCode::CREATED, "{}", round.text());
    let round_id = round.json()["id"].as_i64().unwrap();
    let round = t
        .post(&format!("/api/v1/screening-rounds/{round_id}/candidates"), json!({ "name": SECRET_STARTUP }), &staff)
        .await;
    assert_eq!(round.status, StatusCode::OK, "{}", round.text());
    let patent = t.post("/api/v1/ip-rights", patent_json(SECRET_PATENT, draft_id, 1), &staff).await;
    assert_eq!(patent.status, StatusCode::CREATED, "{}", patent.text());
    let exchange = t.token("exchange").await;
    let need_draft = t.post("/api/v1/needs", need_json(SECRET_NEED, SECRET_NEED_CONTACT), &exchange).await;
    assert_eq!(need_draft.status, StatusCode::CREATED, "{}", need_draft.text());
    let need = t.post("/api/v1/needs", need_json("戊代企业的公开需求", SECRET_NEED_CONTACT), &exchange).await;
    assert_eq!(need.status, StatusCode::CREATED, "{}", need.text());
    let need_published = need.json()["id"].as_i64().unwrap();
    let r = t.post(&format!("/api/v1/needs/{need_published}/publish"), json!({ "version": 1 }), &exchange).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let m = t
        .post(
            "/api/v1/matches",
            json!({ "need_id": need_published, "achievement_id": pid, "note": SECRET_MATCH }),
            &staff,
        )
        .await;
    assert_eq!(m.status, StatusCode::CREATED, "{}", m.text());
    let event_draft = t.post("/api/v1/events", event_json(SECRET_EVENT), &staff).await;
    assert_eq!(event_draft.status, StatusCode::CREATED, "{}", event_draft.text());
    let event_open =
        t.post("/api/v1/events", event_json("甲的公开对接会"), &staff).await.json()["id"].as_i64().unwrap();
    let invited =
        t.post(&format!("/api/v1/events/{event_open}/participants"), json!({ "institution_id": una }), &staff).await;
    assert_eq!(invited.status, StatusCode::CREATED, "{}", invited.text());
    let event_participant = invited.json()["id"].as_i64().unwrap();
    let r = t.post(&format!("/api/v1/events/{event_open}/open_registration"), json!({ "version": 1 }), &staff).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = t
        .post(
            &format!("/api/v1/events/{event_open}/participants/{event_participant}/registration"),
            json!({ "attendee_name": SECRET_ATTENDEE }),
            &staff,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    (
        Fixture {
            draft_id,
            published_id: pid,
            token_id,
            una,
            agreement_id: agreement.json()["id"].as_i64().unwrap(),
            conversion_id: conversion.json()["id"].as_i64().unwrap(),
            ent,
            inv,
            draft_deal: deals[0],
            noticed_deal: deals[1],
            listed_deal: deals[2],
            auctioned_deal: deals[3],
            notice_id,
            objection_id: objection.json()["id"].as_i64().unwrap(),
            listing_id: listed["listings"][0]["id"].as_i64().unwrap(),
            auction_id,
            contract_id: contract.json()["id"].as_i64().unwrap(),
            candidate_id: candidate,
            campaign_id: campaign.json()["id"].as_i64().unwrap(),
            draft_distribution: distributions[0],
            approved_distribution: distributions[1],
            disclosure_id,
            attachment_id: attachment.json()["id"].as_i64().unwrap(),
            evaluation_id,
            round_id,
            round_candidate: round.json()["candidates"][0]["id"].as_i64().unwrap(),
            ip_id: patent.json()["id"].as_i64().unwrap(),
            exc: t.institution("EXC").await.0,
            need_draft: need_draft.json()["id"].as_i64().unwrap(),
            need_published,
            match_id: m.json()["id"].as_i64().unwrap(),
            event_draft: event_draft.json()["id"].as_i64().unwrap(),
            event_open,
            event_participant,
        },
        staff,
    )
}

/// A handshake event on new materials (today is 2026-11-29).
fn event_json(title: &str) -> Value {
    json!({ "title": title, "kind": "handshake", "chain": "new_materials", "date": "2026-12-10", "venue": "x",
            "first_slot_start": "09:00", "slot_minutes": 20, "slot_count": 3, "tables": 2 })
}

/// A licence income of 10,000 yuan for one contributor.
fn distribution_case(contributor: &str) -> Value {
    json!({ "mode": "transfer_licence", "gross": "10000", "contract_amount": "10000",
            "recipients": [{ "name": contributor, "share": "100", "main": true }] })
}

/// Scores for every criterion of the pre-filing template.
fn scores_json(comment: &str) -> Value {
    json!({ "scores": { "novelty": 4, "patentability": 3, "industrialisation": 5, "maturity": 3, "team": 4 },
            "comment": comment })
}

/// A granted Chinese invention patent filed in 2023 (`serial` makes the number unique).
fn patent_json(title: &str, achievement_id: i64, serial: u32) -> Value {
    json!({ "achievement_id": achievement_id, "kind": "invention_patent", "title": title,
            "application_number": common::cn_patent_number(2023, 1, serial), "filing_date": "2023-03-01",
            "grant_number": format!("ZL{}", common::cn_patent_number(2023, 1, serial)), "grant_date": "2025-06-01" })
}

/// The calculators (the distribution preview and the enterprise income tax): public by
/// design, they read and write no record, so anyone may use them.
fn public_calculator(path: &str) -> bool {
    matches!(path, "/api/v1/distributions/preview" | "/api/v1/tax/enterprise")
}

/// Writes open to outsiders by design: anyone may object to a running notice, and buyers may
/// express interest in a listing or register for an auction.
fn public_write(path: &str, who: &str) -> bool {
    match path {
        "/api/v1/notices/{id}/objections" => true,
        "/api/v1/listings/{id}/interest" | "/api/v1/auctions/{id}/bidders" => who == "enterprise",
        _ => false,
    }
}

/// Bodies of the needs routes (an outsider's own need, or an attempt on the exchange's).
fn body_for_needs(path: &str) -> Value {
    if path == "/api/v1/needs/import" {
        let mut row = need_json("外来导入的需求", "外人");
        row["institution"] = json!("EXC");
        row
    } else if path == "/api/v1/needs" {
        need_json("外来需求", "外人")
    } else {
        let mut v = need_json("外来篡改", "外人");
        v["version"] = json!(1);
        v
    }
}

/// A body each write route accepts when the caller is allowed (so a refusal is about
/// access, not about a malformed body).
fn body_for(path: &str, method: &Method, f: &Fixture) -> Option<Value> {
    if *method == Method::GET || *method == Method::DELETE {
        return None;
    }
    Some(if path == "/api/v1/events" {
        event_json("外来活动")
    } else if path == "/api/v1/events/{id}" {
        let mut v = event_json("外来篡改");
        v["version"] = json!(1);
        v
    } else if path.ends_with("/participants") && path.starts_with("/api/v1/events") {
        json!({ "institution_id": f.ent })
    } else if path.ends_with("/registration") && path.starts_with("/api/v1/events") {
        json!({ "attendee_name": "外人" })
    } else if path.ends_with("/outcome") && path.starts_with("/api/v1/events") {
        json!({ "version": 1, "outcome": "held", "deal": true, "notes": "外来" })
    } else if path.starts_with("/api/v1/events/{id}/") {
        json!({ "version": 1 })
    } else if path.starts_with("/api/v1/needs") && !path.ends_with("{step}") {
        let mut v = body_for_needs(path);
        v["contact_phone"] = json!("13900009999");
        v
    } else if path.starts_with("/api/v1/needs/{id}/") || path.ends_with("/confirm_chain") {
        json!({ "version": 1 })
    } else if path == "/api/v1/matches/feedback" {
        json!({ "need_id": f.need_published, "achievement_id": f.published_id, "verdict": "reject" })
    } else if path == "/api/v1/matches" {
        json!({ "need_id": f.need_published, "achievement_id": f.published_id })
    } else if path.starts_with("/api/v1/matches/{id}/") {
        json!({ "version": 1 })
    } else if path == "/api/v1/distributions/preview" {
        distribution_case("外人")
    } else if path == "/api/v1/tax/enterprise" {
        json!({ "income": "8000000" })
    } else if path.starts_with("/api/v1/distributions/{id}/") {
        json!({ "version": 2, "starts_on": "2026-11-29", "ends_on": "2026-12-31", "paid_on": "2026-11-29",
                "reason": "x" })
    } else if path.starts_with("/api/v1/distributions") {
        json!({ "title": "外来分配", "contract_id": f.contract_id, "case": distribution_case("外人") })
    } else if path.starts_with("/api/v1/distribution-rules") {
        json!({ "document": "外来办法", "published_on": "2026-11-01", "share_transfer": "90", "tto_rate": "5" })
    } else if path.starts_with("/api/v1/finance-entries") {
        json!({ "kind": "cost", "category": "transaction_taxes", "amount": "1", "occurred_on": "2026-11-26",
                "contract_id": f.contract_id, "note": "外来费用" })
    } else if path == "/api/v1/disclosures" {
        common::disclosure_json("外来披露")
    } else if path == "/api/v1/disclosures/{id}" {
        let mut v = common::disclosure_json("外来篡改");
        v["version"] = json!(2);
        v
    } else if path.starts_with("/api/v1/disclosures/{id}/") {
        json!({ "version": 2, "comments": "外来意见", "discipline": "材料", "kind": "invention_patent", "trl": "4",
                "confidentiality": "public" })
    } else if path == "/api/v1/evaluations" {
        json!({ "achievement_id": f.draft_id, "reviewers": [] })
    } else if path.ends_with("/scores") {
        scores_json("外来评分")
    } else if path.ends_with("/conflict") {
        json!({ "note": "外来冲突" })
    } else if path.ends_with("/decision") && path.starts_with("/api/v1/evaluations") {
        json!({ "version": 1, "recommendation": "dont_file", "reasons": "外来决定" })
    } else if path == "/api/v1/screening-rounds" {
        json!({ "title": "外来遴选", "kind": "startup", "criteria": [{ "name": "x", "weight": "100" }],
                "scores_due_on": "2026-12-31", "shortlist_size": 1 })
    } else if path.ends_with("/candidates") {
        json!({ "name": "外来候选", "achievement_id": f.published_id })
    } else if path.ends_with("/reviewers") {
        json!({ "reviewers": [1, 2] })
    } else if path.starts_with("/api/v1/screening-rounds/{id}/") {
        json!({ "version": 1 })
    } else if path == "/api/v1/ip-rights" {
        patent_json("外来专利", f.draft_id, 7)
    } else if path == "/api/v1/ip-rights/{id}" {
        let mut v = patent_json("外来篡改", f.draft_id, 1);
        v["version"] = json!(1);
        v
    } else if path.ends_with("/annuities") {
        json!({ "year": 4, "paid_on": "2026-03-01", "amount": "1200" })
    } else if path.ends_with("/programme") {
        json!({ "version": 1, "status": "listed" })
    } else if path.contains("/transitions") {
        json!({ "action": "register" })
    } else if path.contains("/conversions") && path.starts_with("/api/v1/achievements") {
        json!({ "mode": "transfer", "value": "1", "occurred_on": "2026-11-01", "counterparty": "x", "reference": "x" })
    } else if path.starts_with("/api/v1/conversions") {
        json!({ "booked_on": "2026-11-02" })
    } else if path.starts_with("/api/v1/empowerment-agreements/{id}/") {
        json!({ "version": 1, "approved_on": "2026-11-01", "approval_ref": "x", "reason": "x" })
    } else if path.starts_with("/api/v1/empowerment-agreements") {
        json!({ "achievement_id": 1, "kind": "part_ownership", "parties": [{ "name": SECRET_CONTRIBUTOR, "share": "10" }],
                "income_share": "70", "cost_share": "0", "maintenance_share": "0", "decision_rules": "x" })
    } else if path.starts_with("/api/v1/ledger/") {
        json!({ "version": 1, "stage": "development", "cost_measurable": true, "value_measurable": true, "recognition": "recognised_at_cost", "book_value": "1" })
    } else if path.starts_with("/api/v1/achievements") {
        let mut v = achievement_json("外来篡改");
        v["version"] = json!(1);
        v
    } else if path.starts_with("/api/v1/institutions") {
        json!({
            "version": 1, "short_code": "HACK", "name": "篡改", "kind": "university",
            "credit_code": tto_domain::CreditCode::from_body("12120199MB0000199").unwrap().to_string(),
            "region": "x", "state_run": false
        })
    } else if path.starts_with("/api/v1/tokens") {
        json!({ "name": "stolen" })
    } else if path.starts_with("/api/v1/deals/{id}/") {
        json!({ "version": 1, "starts_on": "2026-11-29", "ends_on": "2026-12-31", "ends_at": "2026-12-31T00:00:00Z",
                "increment": "1", "reason": "x" })
    } else if path.starts_with("/api/v1/deals") {
        json!({ "title": "外来交易", "mode": "licence_non_exclusive", "route": "agreement", "price": "1",
                "counterparty_id": f.ent, "achievement_ids": [f.published_id], "version": 1 })
    } else if path.ends_with("/objections") {
        json!({ "name": "外人", "contact": "x", "content": "异议" })
    } else if path.starts_with("/api/v1/objections") {
        json!({ "version": 1, "decision": "uphold", "response": "x" })
    } else if path.ends_with("/interest") || path.ends_with("/bidders") {
        json!({ "note": "x" })
    } else if path.ends_with("/bidders/{party_id}/decision") {
        json!({ "decision": "approve" })
    } else if path.ends_with("/bids") {
        json!({ "amount": "1000000" })
    } else if path.ends_with("/registration") {
        json!({ "version": 1, "number": "x", "registered_on": "2026-11-28", "certified_amount": "1", "authority": "x" })
    } else if path.ends_with("/payments") {
        json!({ "version": 1, "amount": "1", "received_on": "2026-11-28" })
    } else if path.starts_with("/api/v1/contracts") {
        json!({ "deal_id": f.noticed_deal, "category": "transfer", "title": "外来合同", "buyer_id": f.ent, "amount": "1",
                "signed_on": "2026-11-20", "schedule": [{ "due_on": "2026-12-01", "amount": "1" }] })
    } else if path.ends_with("/publish") {
        json!({ "version": 1 })
    } else if path.starts_with("/api/v1/releases") {
        json!({ "title": "外来发布", "achievement_ids": [f.candidate_id] })
    } else {
        json!({})
    })
}

on_every_backend!(no_route_returns_or_changes_another_institutions_data, |t| {
    let (f, owner) = fixture(t).await;
    let before_draft = t.get(&format!("/api/v1/achievements/{}", f.draft_id), &owner).await.json();
    let doc = t.get("/api/openapi.json", &Auth::None).await.json();
    let outsiders = [
        ("staff.b", t.token("staff.b").await),
        ("admin.b", t.session("admin.b").await),
        ("enterprise", t.token("enterprise").await),
        ("anonymous", Auth::None),
    ];
    let mut calls = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            // Aim every id at the victim's records.
            let targets: Vec<String> = if path.starts_with("/api/v1/achievements/{id}") {
                [f.draft_id, f.published_id].iter().map(|id| path.replace("{id}", &id.to_string())).collect()
            } else if path.starts_with("/api/v1/empowerment-agreements/{id}") {
                ["approve", "cancel"]
                    .iter()
                    .map(|s| path.replace("{id}", &f.agreement_id.to_string()).replace("{step}", s))
                    .collect()
            } else if path.starts_with("/api/v1/ledger/{achievement_id}") {
                vec![path.replace("{achievement_id}", &f.draft_id.to_string())]
            } else if path.starts_with("/api/v1/conversions/{id}") {
                vec![path.replace("{id}", &f.conversion_id.to_string())]
            } else if path.starts_with("/api/v1/institutions/{id}") {
                vec![path.replace("{id}", &f.una.to_string())]
            } else if path.starts_with("/api/v1/tokens/{id}") {
                vec![path.replace("{id}", &f.token_id.to_string())]
            } else if path.starts_with("/api/v1/deals/{id}") {
                let deals = [f.draft_deal, f.noticed_deal, f.listed_deal, f.auctioned_deal];
                let steps = ["start_notice", "list", "start_auction", "complete", "cancel"];
                deals
                    .iter()
                    .flat_map(|id| {
                        steps.iter().map(move |s| path.replace("{id}", &id.to_string()).replace("{step}", s))
                    })
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect()
            } else if path.starts_with("/api/v1/notices/{id}") {
                vec![path.replace("{id}", &f.notice_id.to_string())]
            } else if path.starts_with("/api/v1/objections/{id}") {
                vec![path.replace("{id}", &f.objection_id.to_string())]
            } else if path.starts_with("/api/v1/listings/{id}") {
                vec![path.replace("{id}", &f.listing_id.to_string())]
            } else if path.starts_with("/api/v1/auctions/{id}") {
                vec![path.replace("{id}", &f.auction_id.to_string()).replace("{party_id}", &f.inv.to_string())]
            } else if path.starts_with("/api/v1/contracts/{id}") {
                vec![path.replace("{id}", &f.contract_id.to_string())]
            } else if path.starts_with("/api/v1/releases/{id}") {
                vec![path.replace("{id}", &f.campaign_id.to_string())]
            } else if path.starts_with("/api/v1/distributions/{id}") {
                let distributions = [f.draft_distribution, f.approved_distribution];
                let steps = ["approve", "start_notice", "pay", "cancel"];
                distributions
                    .iter()
                    .flat_map(|id| {
                        steps.iter().map(move |s| path.replace("{id}", &id.to_string()).replace("{step}", s))
                    })
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect()
            } else if path.starts_with("/api/v1/disclosures/{id}") {
                ["submit", "return", "reject", "accept"]
                    .iter()
                    .map(|s| {
                        path.replace("{id}", &f.disclosure_id.to_string())
                            .replace("{attachment}", &f.attachment_id.to_string())
                            .replace("{step}", s)
                    })
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect()
            } else if path.starts_with("/api/v1/evaluations/{id}") {
                vec![path.replace("{id}", &f.evaluation_id.to_string())]
            } else if path.starts_with("/api/v1/screening-rounds/{id}") {
                ["open", "close", "publish"]
                    .iter()
                    .map(|s| {
                        path.replace("{id}", &f.round_id.to_string())
                            .replace("{candidate}", &f.round_candidate.to_string())
                            .replace("{step}", s)
                    })
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect()
            } else if path.starts_with("/api/v1/ip-rights/{id}") {
                vec![path.replace("{id}", &f.ip_id.to_string())]
            } else if path.starts_with("/api/v1/matches/{id}") {
                ["contact", "drop", "assign_manager"]
                    .iter()
                    .map(|s| path.replace("{id}", &f.match_id.to_string()).replace("{step}", s))
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect()
            } else if path.starts_with("/api/v1/needs/{id}") {
                let steps = ["publish", "match", "close", "withdraw", "confirm_chain"];
                [f.need_draft, f.need_published]
                    .iter()
                    .flat_map(|id| {
                        steps.iter().map(move |s| path.replace("{id}", &id.to_string()).replace("{step}", s))
                    })
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect()
            } else if path.starts_with("/api/v1/events/{id}") {
                let steps = ["open_registration", "publish_agenda", "hold", "cancel"];
                [f.event_draft, f.event_open]
                    .iter()
                    .flat_map(|id| {
                        steps.iter().map(move |s| {
                            path.replace("{id}", &id.to_string())
                                .replace("{step}", s)
                                .replace("{participant}", &f.event_participant.to_string())
                                .replace("{meeting}", "1")
                        })
                    })
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect()
            } else if path == "/api/v1/events" {
                vec![path.clone(), format!("{path}?institution_id={}", f.una), format!("{path}?status=draft")]
            } else if path == "/api/v1/needs" {
                vec![path.clone(), format!("{path}?institution_id={}", f.exc), format!("{path}?q=%E6%88%8A")]
            } else if path == "/api/v1/search" {
                let words = [
                    "甲的草稿成果",
                    "草稿",
                    SECRET_DETAIL,
                    SECRET_CONTRIBUTOR,
                    SECRET_NEED,
                    SECRET_NEED_CONTACT,
                    "13800001111",
                ];
                words
                    .iter()
                    .flat_map(|q| {
                        [
                            format!("{path}?q={}", common::encode(q)),
                            format!("{path}?q={}&institution_id={}&status=draft", common::encode(q), f.una),
                            format!("{path}?q={}&kind=need&institution_id={}", common::encode(q), f.exc),
                        ]
                    })
                    .collect()
            } else if path == "/api/v1/evaluations" || path == "/api/v1/ip-rights" {
                vec![path.clone(), format!("{path}?achievement_id={}", f.draft_id)]
            } else if path == "/api/v1/distributions/statement" {
                vec![format!("{path}?recipient={}", common::encode(SECRET_CONTRIBUTOR))]
            } else if path == "/api/v1/finance-entries" {
                vec![path.clone(), format!("{path}?contract_id={}", f.contract_id)]
            } else {
                vec![path.clone(), format!("{path}?institution_id={}&entity_type=achievement", f.una)]
            };
            for target in targets {
                for (who, auth) in &outsiders {
                    let reply = t.send(method.clone(), &target, body_for(path, &method, &f), auth).await;
                    calls += 1;
                    let text = reply.text();
                    assert!(!reply.status.is_server_error(), "{who} {method} {target}: {text}");
                    for secret in [
                        SECRET_DETAIL,
                        SECRET_CONTRIBUTOR,
                        "甲的草稿成果",
                        SECRET_DEAL,
                        SECRET_OBJECTOR,
                        SECRET_CONTRACT,
                        SECRET_CAMPAIGN,
                        SECRET_DISTRIBUTION,
                        SECRET_RULE,
                        SECRET_FINANCE,
                        SECRET_DISCLOSURE,
                        SECRET_FILE,
                        SECRET_REVIEW,
                        SECRET_ROUND,
                        SECRET_STARTUP,
                        SECRET_PATENT,
                        SECRET_NEED,
                        SECRET_NEED_CONTACT,
                        SECRET_MATCH,
                        "13800001111",
                        SECRET_EVENT,
                        SECRET_ATTENDEE,
                    ] {
                        assert!(!text.contains(secret), "{who} {method} {target} leaked {secret}: {text}");
                    }
                    // UNA's internal records do not exist for outsiders.
                    let internal = [
                        "/api/v1/deals/{id}",
                        "/api/v1/contracts/{id}",
                        "/api/v1/auctions/{id}",
                        "/api/v1/releases/{id}",
                        "/api/v1/distributions/{id}",
                        "/api/v1/disclosures/{id}",
                        "/api/v1/evaluations/{id}",
                        "/api/v1/screening-rounds/{id}",
                        "/api/v1/ip-rights/{id}",
                        "/api/v1/matches/{id}",
                    ];
                    if method == Method::GET && internal.iter().any(|p| path.starts_with(p)) {
                        assert!(
                            matches!(
                                reply.status,
                                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
                            ),
                            "{who} {method} {target}: {} {text}",
                            reply.status
                        );
                    }
                    let creates_own = method == Method::POST && !path.contains("{id}");
                    if public_write(path, who) {
                        assert_eq!(reply.status, StatusCode::CREATED, "{who} {method} {target}: {text}");
                    } else if public_calculator(path) {
                        assert_eq!(reply.status, StatusCode::OK, "{who} {method} {target}: {text}");
                    } else if creates_own && reply.status.is_success() {
                        // Creating in one's own institution is allowed; never in the victim's.
                        assert_ne!(
                            reply.json()["institution_id"],
                            json!(f.una),
                            "{who} {method} {target} created in UNA"
                        );
                        assert_ne!(
                            reply.json()["institution_id"],
                            json!(f.exc),
                            "{who} {method} {target} created in EXC"
                        );
                    } else if method != Method::GET {
                        assert!(
                            reply.status.is_client_error(),
                            "{who} {method} {target} was allowed: {} {text}",
                            reply.status
                        );
                    }
                    if *who == "anonymous"
                        && method != Method::GET
                        && !public_write(path, who)
                        && !public_calculator(path)
                    {
                        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "anonymous {method} {target}");
                    }
                }
            }
        }
    }
    assert!(calls > 60, "only {calls} calls made");
    // Nothing of the victim changed.
    let after_draft = t.get(&format!("/api/v1/achievements/{}", f.draft_id), &owner).await.json();
    assert_eq!(before_draft, after_draft);
    let institution = t.get(&format!("/api/v1/institutions/{}", f.una), &Auth::None).await.json();
    assert_eq!(institution["version"], 1);
    assert_eq!(institution["name"], "甲大学");
    let tokens = t.get("/api/v1/tokens", &owner).await.json();
    assert_eq!(tokens[0]["revoked_at"], Value::Null);
    let agreement = t.get(&format!("/api/v1/empowerment-agreements/{}", f.agreement_id), &owner).await.json();
    assert_eq!((agreement["status"].as_str(), agreement["version"].as_i64()), (Some("draft"), Some(1)));
    let ledger = t.get(&format!("/api/v1/ledger/{}", f.draft_id), &owner).await.json();
    assert_eq!(ledger["entry"]["version"], 1);
    assert_eq!(ledger["conversions"].as_array().unwrap().len(), 1, "no conversion was added by outsiders");
    assert_eq!(ledger["conversions"][0]["booked_on"], Value::Null);
    // Nor any of its deals, notices, objections, listings, auctions, contracts or campaigns.
    let deal = |id: i64| {
        let owner = owner.clone();
        async move { t.get(&format!("/api/v1/deals/{id}"), &owner).await.json() }
    };
    let draft = deal(f.draft_deal).await;
    assert_eq!((draft["deal"]["status"].as_str(), draft["deal"]["version"].as_i64()), (Some("draft"), Some(1)));
    let noticed = deal(f.noticed_deal).await;
    assert_eq!((noticed["deal"]["status"].as_str(), noticed["deal"]["version"].as_i64()), (Some("noticing"), Some(2)));
    assert_eq!(noticed["notices"][0]["status"], "open");
    let objections = noticed["notices"][0]["objections"].as_array().unwrap();
    assert!(objections.iter().all(|o| o["status"] == "open"), "no objection was decided by outsiders");
    assert_eq!(objections.len(), 5, "the victim's objection and one from each outsider (anyone may object)");
    assert_eq!(noticed["contracts"].as_array().unwrap().len(), 1);
    let listed = deal(f.listed_deal).await;
    assert_eq!(
        (listed["deal"]["status"].as_str(), listed["listings"][0]["status"].as_str()),
        (Some("listed"), Some("open"))
    );
    let interested: Vec<i64> = listed["listings"][0]["interests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["party_id"].as_i64().unwrap())
        .collect();
    assert_eq!(interested, [f.ent], "only the buyer expressed interest, for itself");
    let auctioned = deal(f.auctioned_deal).await;
    let auction = &auctioned["auctions"][0];
    assert_eq!((auction["status"].as_str(), auction["bids"].as_array().map(Vec::len)), (Some("open"), Some(0)));
    for b in auction["bidders"].as_array().unwrap() {
        assert_eq!(b["status"], "registered", "no bidder was approved by outsiders: {b}");
    }
    assert_eq!(t.get("/api/v1/deals", &owner).await.json().as_array().unwrap().len(), 4, "no deal was added to UNA");
    let contract = t.get(&format!("/api/v1/contracts/{}", f.contract_id), &owner).await.json();
    assert_eq!((contract["version"].as_i64(), contract["registration"].is_null()), (Some(1), true));
    assert_eq!(contract["payments"], json!([]));
    assert_eq!(t.get("/api/v1/contracts", &owner).await.json().as_array().unwrap().len(), 1);
    let admin = t.token("admin.a").await;
    let campaign = t.get(&format!("/api/v1/releases/{}", f.campaign_id), &admin).await.json();
    assert_eq!((campaign["status"].as_str(), campaign["version"].as_i64()), (Some("draft"), Some(1)));
    assert_eq!(t.get("/api/v1/releases", &admin).await.json().as_array().unwrap().len(), 1);
    // Nor its distributions, rule or costs.
    let distribution = |id: i64| {
        let owner = owner.clone();
        async move { t.get(&format!("/api/v1/distributions/{id}"), &owner).await.json() }
    };
    let draft = distribution(f.draft_distribution).await;
    assert_eq!((draft["status"].as_str(), draft["version"].as_i64()), (Some("draft"), Some(1)));
    assert_eq!(draft["notice_ids"], json!([]));
    let approved = distribution(f.approved_distribution).await;
    assert_eq!((approved["status"].as_str(), approved["version"].as_i64()), (Some("approved"), Some(2)));
    assert_eq!(approved["notice_ids"], json!([]), "no notice was started by outsiders");
    assert_eq!(t.get("/api/v1/distributions", &owner).await.json().as_array().unwrap().len(), 2);
    let rules = t.get("/api/v1/distribution-rules", &owner).await.json();
    assert_eq!(rules.as_array().unwrap().len(), 1, "no rule was published for UNA by outsiders");
    assert_eq!(rules[0]["document"], SECRET_RULE);
    let entries = t.get("/api/v1/finance-entries", &owner).await.json();
    assert_eq!(entries.as_array().unwrap().len(), 1, "no cost was booked to UNA by outsiders");
    // Nor its disclosure, evaluation, screening round or patent.
    let inventor = t.token("inventor.a").await;
    let disclosure = t.get(&format!("/api/v1/disclosures/{}", f.disclosure_id), &inventor).await.json();
    assert_eq!((disclosure["status"].as_str(), disclosure["version"].as_i64()), (Some("submitted"), Some(2)));
    assert_eq!(disclosure["attachments"].as_array().unwrap().len(), 1, "no file was added or removed by outsiders");
    assert_eq!(disclosure["title"], SECRET_DISCLOSURE);
    assert_eq!(t.get("/api/v1/disclosures", &owner).await.json().as_array().unwrap().len(), 1);
    let evaluation = t.get(&format!("/api/v1/evaluations/{}", f.evaluation_id), &owner).await.json();
    assert_eq!((evaluation["status"].as_str(), evaluation["version"].as_i64()), (Some("open"), Some(1)));
    assert_eq!(evaluation["sheets"].as_array().unwrap().len(), 1, "no outsider scored");
    assert!(evaluation["reviewers"].as_array().unwrap().iter().all(|r| r["conflict"] == false));
    assert_eq!(t.get("/api/v1/evaluations", &owner).await.json().as_array().unwrap().len(), 1);
    let round = t.get(&format!("/api/v1/screening-rounds/{}", f.round_id), &owner).await.json();
    assert_eq!((round["status"].as_str(), round["version"].as_i64()), (Some("draft"), Some(1)));
    assert_eq!(round["candidates"].as_array().unwrap().len(), 1, "no candidate was added by outsiders");
    assert_eq!(round["reviewers"], json!([]), "no reviewer was assigned by outsiders");
    let own_rounds = t.get("/api/v1/screening-rounds", &owner).await.json();
    assert_eq!(own_rounds.as_array().unwrap().iter().filter(|r| r["institution_id"] == json!(f.una)).count(), 1);
    let patent = t.get(&format!("/api/v1/ip-rights/{}", f.ip_id), &owner).await.json();
    assert_eq!((patent["version"].as_i64(), patent["title"].as_str()), (Some(1), Some(SECRET_PATENT)));
    assert_eq!(patent["programme"], false);
    assert!(patent["annuities"].as_array().unwrap().iter().all(|a| a["paid_on"].is_null()), "no annuity paid");
    assert_eq!(t.get("/api/v1/ip-rights", &owner).await.json().as_array().unwrap().len(), 1);
    // Nor the exchange's needs.
    let exchange = t.token("exchange").await;
    let draft = t.get(&format!("/api/v1/needs/{}", f.need_draft), &exchange).await.json();
    assert_eq!((draft["status"].as_str(), draft["version"].as_i64()), (Some("draft"), Some(1)));
    assert_eq!(draft["title"], SECRET_NEED);
    let published = t.get(&format!("/api/v1/needs/{}", f.need_published), &exchange).await.json();
    assert_eq!((published["status"].as_str(), published["version"].as_i64()), (Some("published"), Some(2)));
    assert_eq!(published["contact"]["name"], SECRET_NEED_CONTACT);
    let own = t.get(&format!("/api/v1/needs?institution_id={}", f.exc), &exchange).await.json();
    assert_eq!(own.as_array().unwrap().len(), 2, "no need was added to the exchange by outsiders");
    // The outsider's own audit view holds none of the victim's events.
    let audit = t.get("/api/v1/audit?limit=500", &outsiders[1].1).await.json();
    for e in audit["items"].as_array().unwrap() {
        assert_ne!(e["institution_id"], json!(f.una), "admin.b sees an event of UNA: {e}");
    }
    // Pages too: the draft's detail and edit pages do not exist for outsiders.
    for path in [format!("/achievements/{}", f.draft_id), format!("/achievements/{}/edit", f.draft_id)] {
        let r = t.get(&path, &outsiders[1].1).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!r.text().contains(SECRET_DETAIL));
    }
    let public_page = t.get(&format!("/achievements/{}", f.published_id), &Auth::None).await.text();
    assert!(
        public_page.contains("甲的公开成果")
            && !public_page.contains(SECRET_DETAIL)
            && !public_page.contains(SECRET_CONTRIBUTOR)
    );
});

on_every_backend!(regulators_read_everything_and_change_nothing, |t| {
    let (f, _) = fixture(t).await;
    let regulator = t.token("regulator").await;
    let draft = t.get(&format!("/api/v1/achievements/{}", f.draft_id), &regulator).await;
    assert_eq!(draft.status, StatusCode::OK);
    assert_eq!(draft.json()["detail"], SECRET_DETAIL);
    let r = t
        .post(&format!("/api/v1/achievements/{}/transitions", f.draft_id), json!({ "action": "register" }), &regulator)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let audit = t.get("/api/v1/audit", &regulator).await;
    assert_eq!(audit.status, StatusCode::OK);
    assert!(audit.json()["total"].as_i64().unwrap() > 5);
    // Deals, contracts and draft campaigns too — read, never changed.
    let deal = t.get(&format!("/api/v1/deals/{}", f.draft_deal), &regulator).await;
    assert_eq!(deal.status, StatusCode::OK);
    assert_eq!(deal.json()["deal"]["title"], SECRET_DEAL);
    assert_eq!(deal.json()["actions"], json!([]));
    let r = t
        .post(&format!("/api/v1/deals/{}/cancel", f.draft_deal), json!({ "version": 1, "reason": "x" }), &regulator)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let notice = t.get(&format!("/api/v1/notices/{}", f.notice_id), &regulator).await.json();
    assert_eq!(notice["objections"][0]["contact"], SECRET_OBJECTOR);
    let r = t
        .post(
            &format!("/api/v1/objections/{}/decision", f.objection_id),
            json!({ "version": 1, "decision": "uphold", "response": "x" }),
            &regulator,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        t.get(&format!("/api/v1/contracts/{}", f.contract_id), &regulator).await.json()["title"],
        SECRET_CONTRACT
    );
    assert_eq!(
        t.get(&format!("/api/v1/releases/{}", f.campaign_id), &regulator).await.json()["title"],
        SECRET_CAMPAIGN
    );
    // Distributions: read, never approved, noticed, paid or cancelled.
    let d = t.get(&format!("/api/v1/distributions/{}", f.approved_distribution), &regulator).await;
    assert_eq!(d.status, StatusCode::OK);
    assert_eq!(d.json()["result"]["lines"][1]["recipient"], SECRET_CONTRIBUTOR);
    let body = body_for("/api/v1/distributions/{id}/{step}", &Method::POST, &f).unwrap();
    for step in ["approve", "start_notice", "pay", "cancel"] {
        let r = t
            .post(&format!("/api/v1/distributions/{}/{step}", f.approved_distribution), body.clone(), &regulator)
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{step}: {}", r.text());
    }
    let rules = t.get("/api/v1/distribution-rules", &regulator).await;
    assert_eq!(rules.status, StatusCode::OK);
    let r = t
        .post(
            "/api/v1/distribution-rules",
            body_for("/api/v1/distribution-rules", &Method::POST, &f).unwrap(),
            &regulator,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t
        .post("/api/v1/finance-entries", body_for("/api/v1/finance-entries", &Method::POST, &f).unwrap(), &regulator)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let d = t.get(&format!("/api/v1/distributions/{}", f.approved_distribution), &regulator).await.json();
    assert_eq!((d["status"].as_str(), d["version"].as_i64()), (Some("approved"), Some(2)));
    // Evaluations and IP records: read, never decided, paid or moved in the programme.
    let e = t.get(&format!("/api/v1/evaluations/{}", f.evaluation_id), &regulator).await;
    assert_eq!(e.status, StatusCode::OK);
    assert_eq!(e.json()["sheets"][0]["comment"], SECRET_REVIEW);
    let path = format!("/api/v1/evaluations/{}/decision", f.evaluation_id);
    let r = t.post(&path, body_for("/api/v1/evaluations/{id}/decision", &Method::POST, &f).unwrap(), &regulator).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let p = t.get(&format!("/api/v1/ip-rights/{}", f.ip_id), &regulator).await;
    assert_eq!((p.status, p.json()["title"].as_str()), (StatusCode::OK, Some(SECRET_PATENT)));
    for (suffix, template) in
        [("annuities", "/api/v1/ip-rights/{id}/annuities"), ("programme", "/api/v1/ip-rights/{id}/programme")]
    {
        let path = format!("/api/v1/ip-rights/{}/{suffix}", f.ip_id);
        let r = t.post(&path, body_for(template, &Method::POST, &f).unwrap(), &regulator).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{suffix}: {}", r.text());
    }
    assert!(t.get("/api/v1/monitoring", &regulator).await.status.is_success());
    let rates = t.get("/api/v1/patent-programme", &regulator).await.json();
    assert!(rates.as_array().unwrap().iter().any(|r| r["institution_id"] == json!(f.una)), "{rates}");
    let p = t.get(&format!("/api/v1/ip-rights/{}", f.ip_id), &regulator).await.json();
    assert_eq!((p["version"].as_i64(), p["programme"].as_bool()), (Some(1), Some(false)));
});

on_every_backend!(wrong_password_and_throttling, |t| {
    let regulator = t.token("regulator").await;
    let page = t.get("/sign-in", &Auth::None).await;
    let csrf = common::cookie_value(&page.headers, tto_web::CSRF_COOKIE).unwrap();
    let anon = common::Browser { cookie: format!("{}={csrf}", tto_web::CSRF_COOKIE), csrf };
    let wrong = t.form("/sign-in", &[("username", "staff.a"), ("password", "not-the-password")], Some(&anon)).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.text().contains("用户名或密码错误"));
    assert!(common::cookie_value(&wrong.headers, tto_web::SESSION_COOKIE).is_none());
    let unknown = t.form("/sign-in", &[("username", "nobody"), ("password", "whatever-123")], Some(&anon)).await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED, "unknown users get the same answer");
    for _ in 0..4 {
        t.form("/sign-in", &[("username", "staff.a"), ("password", "still-wrong-1")], Some(&anon)).await;
    }
    // Five failures: even the right password is refused for a while.
    let locked = t.form("/sign-in", &[("username", "staff.a"), ("password", common::PASSWORD)], Some(&anon)).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.text().contains("登录失败次数过多"));
    t.clock.advance(time::Duration::minutes(16));
    let ok = t.form("/sign-in", &[("username", "staff.a"), ("password", common::PASSWORD)], Some(&anon)).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    // Per address: many accounts from one address.
    for i in 0..30 {
        t.form("/sign-in", &[("username", &format!("guess{i}")), ("password", "x-wrong-pass")], Some(&anon)).await;
    }
    let blocked = t.form("/sign-in", &[("username", "staff.b"), ("password", common::PASSWORD)], Some(&anon)).await;
    assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS);
    // Every failed attempt is on record.
    let audit = t.get("/api/v1/audit?entity_type=user&entity_id=staff.a", &regulator).await.json();
    assert_eq!(audit["total"], 5);
});

on_every_backend!(sessions_expire_and_sign_out_ends_them, |t| {
    let b = t.sign_in("staff.a").await;
    let auth = Auth::Session(b.clone());
    assert_eq!(t.get("/api/v1/me", &auth).await.status, StatusCode::OK);
    // Idle for longer than allowed.
    t.clock.advance(time::Duration::hours(9));
    let expired = t.get("/api/v1/me", &auth).await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
    let page = t.get("/achievements/new", &auth).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "expired session redirects to sign-in");
    assert!(page.headers.get_all("set-cookie").iter().any(|c| c.to_str().unwrap().starts_with("tto_session=;")));
    // Sign out.
    let b = t.sign_in("staff.a").await;
    let out = t.form("/sign-out", &[], Some(&b)).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(t.get("/api/v1/me", &Auth::Session(b)).await.status, StatusCode::UNAUTHORIZED);
    // Cookies carry the security flags.
    let page = t.get("/sign-in", &Auth::None).await;
    let csrf = common::cookie_value(&page.headers, tto_web::CSRF_COOKIE).unwrap();
    let anon = common::Browser { cookie: format!("{}={csrf}", tto_web::CSRF_COOKIE), csrf };
    let ok = t.form("/sign-in", &[("username", "staff.b"), ("password", common::PASSWORD)], Some(&anon)).await;
    let set = ok
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().to_string())
        .find(|c| c.starts_with("tto_session="))
        .unwrap();
    assert!(set.contains("HttpOnly") && set.contains("Secure") && set.contains("SameSite=Lax"), "{set}");
    // A forged or malformed session cookie is simply anonymous.
    let forged =
        Auth::Session(common::Browser { cookie: format!("tto_session={}", "a".repeat(64)), csrf: String::new() });
    assert_eq!(t.get("/api/v1/me", &forged).await.status, StatusCode::UNAUTHORIZED);
});

on_every_backend!(cookie_authenticated_api_writes_need_the_csrf_header, |t| {
    let b = t.sign_in("staff.a").await;
    let without = t
        .call(
            axum::http::Request::post("/api/v1/achievements")
                .header("cookie", &b.cookie)
                .header("content-type", "application/json")
                .body(axum::body::Body::from(achievement_json("CSRF 测试").to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(without.status, StatusCode::FORBIDDEN);
    assert_eq!(without.error_code(), "csrf");
    let with = t.post("/api/v1/achievements", achievement_json("CSRF 测试"), &Auth::Session(b)).await;
    assert_eq!(with.status, StatusCode::CREATED);
});

on_every_backend!(tokens_act_for_their_user_until_revoked, |t| {
    let b = t.sign_in("staff.a").await;
    let session = Auth::Session(b.clone());
    let created = t.post("/api/v1/tokens", json!({ "name": "集成脚本", "valid_days": 30 }), &session).await;
    assert_eq!(created.status, StatusCode::CREATED);
    let secret = created.json()["token"].as_str().unwrap().to_string();
    let id = created.json()["id"].as_i64().unwrap();
    assert!(secret.starts_with("tto_") && secret.len() == 68);
    let token = Auth::Token(secret.clone());
    let me = t.get("/api/v1/me", &token).await.json();
    assert_eq!(me["username"], "staff.a");
    assert_eq!(me["roles"], json!(["tto_staff"]));
    // Bad token input.
    for body in
        [json!({ "name": "" }), json!({ "name": "x", "valid_days": 0 }), json!({ "name": "x", "valid_days": 99999 })]
    {
        assert_eq!(t.post("/api/v1/tokens", body, &session).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    // Revoked: refused.
    let revoke = t.send(Method::DELETE, &format!("/api/v1/tokens/{id}"), None, &session).await;
    assert_eq!(revoke.status, StatusCode::NO_CONTENT);
    let refused = t.get("/api/v1/me", &token).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused.error_code(), "unauthenticated");
    // Expired: refused.
    let short = t
        .post("/api/v1/tokens", json!({ "name": "短期", "valid_days": 1 }), &Auth::Session(t.sign_in("staff.a").await))
        .await
        .json();
    t.clock.advance(time::Duration::days(2));
    assert_eq!(
        t.get("/api/v1/me", &Auth::Token(short["token"].as_str().unwrap().into())).await.status,
        StatusCode::UNAUTHORIZED
    );
    // Garbage.
    for garbage in ["tto_", "nonsense", "tto_zzzz"] {
        assert_eq!(t.get("/api/v1/achievements", &Auth::Token(garbage.into())).await.status, StatusCode::UNAUTHORIZED);
    }
    let raw = t
        .call(
            axum::http::Request::get("/api/v1/me")
                .header("authorization", "Basic abc")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(raw.status, StatusCode::UNAUTHORIZED);
});

on_every_backend!(invitation_password_change_and_no_role_escalation, |t| {
    let admin = t.sign_in("admin.a").await;
    let invited = t
        .form(
            "/admin/users",
            &[
                ("username", "new.staff"),
                ("display_name", "新同事"),
                ("email", "n@example.invalid"),
                ("roles", "tto_staff"),
            ],
            Some(&admin),
        )
        .await;
    assert_eq!(invited.status, StatusCode::CREATED, "{}", invited.text());
    let html = invited.text();
    let start = html.find("https://tto.test/invite/").expect("invitation link shown");
    let token = &html[start + "https://tto.test/invite/".len()..start + "https://tto.test/invite/".len() + 64];
    let page = t.get(&format!("/invite/{token}"), &Auth::None).await;
    assert_eq!(page.status, StatusCode::OK);
    let anon_csrf = common::cookie_value(&page.headers, tto_web::CSRF_COOKIE).unwrap();
    let anon = common::Browser { cookie: format!("{}={anon_csrf}", tto_web::CSRF_COOKIE), csrf: anon_csrf };
    let short =
        t.form(&format!("/invite/{token}"), &[("password", "short"), ("password_again", "short")], Some(&anon)).await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    let accepted = t
        .form(
            &format!("/invite/{token}"),
            &[("password", common::PASSWORD), ("password_again", common::PASSWORD)],
            Some(&anon),
        )
        .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER);
    let reused = t.get(&format!("/invite/{token}"), &Auth::None).await;
    assert_eq!(reused.status, StatusCode::NOT_FOUND, "a used link cannot be used again");
    let newbie = t.sign_in("new.staff").await;

    // Password change ends other sessions and keeps the current one.
    let other = t.sign_in("new.staff").await;
    let wrong = t
        .form(
            "/account/password",
            &[
                ("current_password", "nope-nope-nope"),
                ("new_password", "another-pass-99"),
                ("new_password_again", "another-pass-99"),
            ],
            Some(&newbie),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.text().contains("当前密码不正确"));
    let changed = t
        .form(
            "/account/password",
            &[
                ("current_password", common::PASSWORD),
                ("new_password", "another-pass-99"),
                ("new_password_again", "another-pass-99"),
            ],
            Some(&newbie),
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER);
    assert_eq!(t.get("/api/v1/me", &Auth::Session(newbie)).await.status, StatusCode::OK);
    assert_eq!(t.get("/api/v1/me", &Auth::Session(other)).await.status, StatusCode::UNAUTHORIZED);

    // Escalation attempts: a university admin cannot grant regulator or platform roles,
    // cannot manage another institution's users, and staff cannot manage users at all.
    let escalate = t
        .form("/admin/users", &[("username", "evil"), ("display_name", "x"), ("roles", "platform_admin")], Some(&admin))
        .await;
    assert_eq!(escalate.status, StatusCode::UNPROCESSABLE_ENTITY);
    let users = t.app.users(&tto_app::Actor::system("t")).await.unwrap();
    assert!(!users.iter().any(|u| u.username == "evil"));
    let me = users.iter().find(|u| u.username == "admin.a").unwrap();
    let self_promote = t
        .form(
            &format!("/admin/users/{}", me.id),
            &[
                ("version", &me.version.to_string()),
                ("display_name", "x"),
                ("roles", "tto_admin"),
                ("roles", "regulator"),
                ("status", "active"),
            ],
            Some(&admin),
        )
        .await;
    assert_eq!(self_promote.status, StatusCode::UNPROCESSABLE_ENTITY);
    let foreign = users.iter().find(|u| u.username == "staff.b").unwrap();
    let reach = t
        .form(
            &format!("/admin/users/{}", foreign.id),
            &[
                ("version", &foreign.version.to_string()),
                ("display_name", "x"),
                ("roles", "tto_admin"),
                ("status", "disabled"),
            ],
            Some(&admin),
        )
        .await;
    assert_eq!(reach.status, StatusCode::NOT_FOUND);
    let staff = t.sign_in("staff.a").await;
    let denied = t
        .form("/admin/users", &[("username", "x2"), ("display_name", "x"), ("roles", "tto_staff")], Some(&staff))
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let after = t.app.users(&tto_app::Actor::system("t")).await.unwrap();
    assert_eq!(after.iter().find(|u| u.username == "admin.a").unwrap().roles, vec!["tto_admin".to_string()]);
    assert_eq!(after.iter().find(|u| u.username == "staff.b").unwrap().status, "active");
    // Disabling a user ends their sessions.
    let target = after.iter().find(|u| u.username == "inventor.a").unwrap();
    let inventor = t.sign_in("inventor.a").await;
    let disabled = t
        .form(
            &format!("/admin/users/{}", target.id),
            &[
                ("version", &target.version.to_string()),
                ("display_name", "发明人"),
                ("roles", "inventor"),
                ("status", "disabled"),
            ],
            Some(&admin),
        )
        .await;
    assert_eq!(disabled.status, StatusCode::SEE_OTHER, "{}", disabled.text());
    assert_eq!(t.get("/api/v1/me", &Auth::Session(inventor)).await.status, StatusCode::UNAUTHORIZED);
});

on_every_backend!(sql_metacharacters_and_html_are_just_text, |t| {
    let staff = t.token("staff.a").await;
    let nasty = "'; DROP TABLE achievement; -- <script>alert(1)</script> \" & 100%_";
    let mut input = achievement_json(nasty);
    input["summary"] = json!(format!("{nasty} <img src=x onerror=alert(2)>"));
    input["keywords"] = json!(["'; DROP TABLE x;--", "<script>"]);
    input["discipline"] = json!("<b>材料</b>");
    input["contributors"] =
        json!([{ "name": "<i>Robert'); DROP TABLE app_user;--</i>", "share": "100", "main": true }]);
    let created = t.post("/api/v1/achievements", input, &staff).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let id = created.json()["id"].as_i64().unwrap();
    assert_eq!(created.json()["title"], nasty);
    // Stored and returned as written; rendered escaped.
    let b = t.sign_in("staff.a").await;
    let page = t.get(&format!("/achievements/{id}"), &Auth::Session(b.clone())).await.text();
    assert!(!page.contains("<script>alert(1)</script>") && !page.contains("<img src=x"));
    assert!(page.contains("&#60;script&#62;") || page.contains("&lt;script&gt;"));
    // Searching with metacharacters finds it literally and breaks nothing.
    let found = t.get("/api/v1/achievements?q=%27%3B%20DROP%20TABLE", &staff).await;
    assert_eq!(found.status, StatusCode::OK);
    assert_eq!(found.json()["items"].as_array().unwrap().len(), 1);
    let list = t.get("/achievements?q=%3Cscript%3E", &Auth::Session(b)).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(!list.text().contains("<script>alert"));
    // Tables are intact.
    assert_eq!(t.get("/api/v1/achievements", &staff).await.json()["items"].as_array().unwrap().len(), 1);
    assert!(t.app.users(&tto_app::Actor::system("t")).await.unwrap().len() >= 8);
});

on_every_backend!(security_headers_on_every_response, |t| {
    for path in ["/", "/api/v1/achievements", "/sign-in", "/nope"] {
        let r = t.get(path, &Auth::None).await;
        let csp = r.headers.get("content-security-policy").unwrap().to_str().unwrap();
        assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"), "{path}");
        assert_eq!(r.headers["x-content-type-options"], "nosniff");
        assert_eq!(r.headers["x-frame-options"], "DENY");
    }
});

on_every_backend!(open_redirects_are_refused, |t| {
    let page = t.get("/sign-in", &Auth::None).await;
    let csrf = common::cookie_value(&page.headers, tto_web::CSRF_COOKIE).unwrap();
    let anon = common::Browser { cookie: format!("{}={csrf}", tto_web::CSRF_COOKIE), csrf };
    for next in ["https://evil.example", "//evil.example", "/\\evil.example"] {
        let r = t
            .form("/sign-in", &[("username", "staff.a"), ("password", common::PASSWORD), ("next", next)], Some(&anon))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.location(), "/", "{next}");
    }
});
