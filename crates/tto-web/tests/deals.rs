//! Deals through the API, on every backend: agreement pricing with an on-campus notice and
//! objections, listings, auctions (registration, approval, anti-sniping, concurrent bids),
//! technical contracts, central release, the exemption verdict and the evidence pack.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Read, Write};

use axum::http::{Method, StatusCode, header};
use common::{Auth, Reply, TestApp, achievement_json};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use time::Duration;
use tto_app::evidence::PackProblem;

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// A job-related achievement of the staff's institution, taken through `actions`
/// (`register`, `publish`) after `edit` changed the standard input.
async fn achievement_via(
    t: &TestApp,
    staff: &Auth,
    title: &str,
    actions: &[&str],
    edit: impl FnOnce(&mut Value),
) -> i64 {
    let mut input = achievement_json(title);
    input["job_related"] = json!(true);
    edit(&mut input);
    let r = t.post("/api/v1/achievements", input, staff).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_i64().unwrap();
    for action in actions {
        let r = t.post(&format!("/api/v1/achievements/{id}/transitions"), json!({ "action": action }), staff).await;
        assert_eq!(r.status, StatusCode::OK, "{action}: {}", r.text());
    }
    id
}

/// A registered and published (promoting), job-related achievement.
async fn achievement(t: &TestApp, staff: &Auth, title: &str) -> i64 {
    achievement_via(t, staff, title, &["register", "publish"], |_| {}).await
}

fn deal_input(
    title: &str,
    mode: &str,
    route: &str,
    price: &str,
    counterparty: Option<i64>,
    achievements: &[i64],
) -> Value {
    json!({
        "title": title,
        "mode": mode,
        "route": route,
        "price": price,
        "counterparty_id": counterparty,
        "achievement_ids": achievements,
    })
}

/// Creates a deal and returns its id.
async fn create_deal(t: &TestApp, staff: &Auth, input: Value) -> i64 {
    let r = t.post("/api/v1/deals", input, staff).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["status"], "draft");
    assert_eq!(r.json()["version"], 1);
    r.json()["id"].as_i64().unwrap()
}

async fn step(t: &TestApp, auth: &Auth, id: i64, step: &str, body: Value) -> Reply {
    t.post(&format!("/api/v1/deals/{id}/{step}"), body, auth).await
}

/// The deal's detail (deal, notices, listings, auctions, contracts, exemption, actions).
async fn detail(t: &TestApp, auth: &Auth, id: i64) -> Value {
    let r = t.get(&format!("/api/v1/deals/{id}"), auth).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

async fn version(t: &TestApp, auth: &Auth, id: i64) -> i64 {
    detail(t, auth, id).await["deal"]["version"].as_i64().unwrap()
}

/// Asserts the status and that one of the error details names `field` with `code`.
#[track_caller]
fn assert_rule(r: &Reply, status: StatusCode, field: &str, code: &str) {
    assert_eq!(r.status, status, "{field}/{code} expected: {}", r.text());
    let body = r.json();
    let details = body["error"]["details"].as_array().cloned().unwrap_or_default();
    assert!(
        details.iter().any(|d| d["field"] == field && d["code"] == code),
        "{field}/{code} expected in {}",
        r.text()
    );
}

fn rfc3339(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339).unwrap()
}

/// `now + offset` as RFC 3339 (the fixed clock).
fn at(t: &TestApp, offset: Duration) -> String {
    rfc3339(t.app.now() + offset)
}

async fn objection(t: &TestApp, notice: i64, contact: &str) -> Reply {
    t.post(
        &format!("/api/v1/notices/{notice}/objections"),
        json!({ "name": "王某", "contact": contact, "content": "转让价格明显低于评估值，请说明理由。" }),
        &Auth::None,
    )
    .await
}

async fn decide(t: &TestApp, auth: &Auth, objection: i64, version: i64, decision: &str) -> Reply {
    t.post(
        &format!("/api/v1/objections/{objection}/decision"),
        json!({ "version": version, "decision": decision, "response": "经复核，答复如下：……" }),
        auth,
    )
    .await
}

async fn bid(t: &TestApp, auth: &Auth, auction: i64, amount: &str) -> Reply {
    t.post(&format!("/api/v1/auctions/{auction}/bids"), json!({ "amount": amount }), auth).await
}

async fn bidder_decision(t: &TestApp, auth: &Auth, auction: i64, party: i64, decision: &str) -> Reply {
    t.post(&format!("/api/v1/auctions/{auction}/bidders/{party}/decision"), json!({ "decision": decision }), auth).await
}

fn codes(verdict: &Value) -> Vec<(String, bool)> {
    verdict["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["code"].as_str().unwrap().to_string(), c["met"].as_bool().unwrap()))
        .collect()
}

fn met(list: &[&str]) -> Vec<(String, bool)> {
    list.iter().map(|c| (c.to_string(), true)).collect()
}

// --- Evidence packs -------------------------------------------------------------------

type Files = Vec<(String, Vec<u8>)>;

fn unzip(bytes: &[u8]) -> Files {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("a ZIP file");
    let mut out = Vec::new();
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        let mut content = Vec::new();
        f.read_to_end(&mut content).unwrap();
        out.push((name, content));
    }
    out
}

fn rezip(files: &Files) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in files {
        zip.start_file(name.as_str(), options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn file<'a>(files: &'a Files, name: &str) -> &'a [u8] {
    files.iter().find(|(n, _)| n == name).map(|(_, b)| b.as_slice()).unwrap_or_else(|| panic!("{name} in the pack"))
}

fn file_json(files: &Files, name: &str) -> Value {
    serde_json::from_slice(file(files, name)).unwrap()
}

fn put_file(files: &mut Files, name: &str, bytes: Vec<u8>) {
    files.iter_mut().find(|(n, _)| n == name).unwrap().1 = bytes;
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Rewrites the manifest so every file matches it again (a forger covering their tracks).
fn fix_manifest(files: &mut Files) {
    let mut manifest = file_json(files, "manifest.json");
    for entry in manifest["files"].as_array_mut().unwrap() {
        let name = entry["name"].as_str().unwrap().to_string();
        entry["sha256"] = json!(sha256_hex(file(files, &name)));
    }
    put_file(files, "manifest.json", serde_json::to_vec_pretty(&manifest).unwrap());
}

const PACK_FILES: [&str; 8] = [
    "manifest.json",
    "summary.html",
    "deal.json",
    "notices.json",
    "market.json",
    "contracts.json",
    "verdict.json",
    "audit.json",
];

/// Downloads the evidence pack of a deal, checks its shape and that it verifies.
async fn evidence_pack(t: &TestApp, auth: &Auth, deal: i64) -> Files {
    let r = t.get(&format!("/api/v1/deals/{deal}/evidence-pack"), auth).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/zip");
    let disposition = r.headers[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(disposition.contains(&format!("evidence-deal-{deal}.zip")), "{disposition}");
    let files = unzip(&r.body);
    let names: BTreeSet<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, PACK_FILES.iter().copied().collect::<BTreeSet<_>>());
    let manifest = file_json(&files, "manifest.json");
    assert_eq!(manifest["format"], "tto-evidence-pack");
    assert_eq!(manifest["deal_id"], deal);
    assert_eq!(manifest["files"].as_array().unwrap().len(), 7);
    let audit = file_json(&files, "audit.json");
    let report = t.app.verify_evidence_pack(&r.body).await.unwrap().expect("the pack verifies");
    assert_eq!(report.deal_id, deal);
    assert_eq!(report.files, 7);
    assert_eq!(report.events, audit.as_array().unwrap().len());
    assert!(report.chain_events >= report.events as i64);
    files
}

async fn verify(t: &TestApp, files: &Files) -> Result<tto_app::evidence::PackReport, PackProblem> {
    t.app.verify_evidence_pack(&rezip(files)).await.unwrap()
}

fn audit_actions(files: &Files) -> Vec<String> {
    file_json(files, "audit.json")
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect()
}

// ---------------------------------------------------------------------------------------
// 1. Agreement pricing: notice, objections, close, completion, ledger, verdict, evidence
// ---------------------------------------------------------------------------------------

on_every_backend!(agreement_pricing_with_notice_objections_completion_and_evidence, |t| {
    let staff = t.token("staff.a").await;
    let ent = t.institution("ENT").await.0;
    let a1 = achievement(t, &staff, "石墨烯导热膜专利").await;
    let a2 = achievement(t, &staff, "导热膜连续制备装置").await;
    let created = t
        .post(
            "/api/v1/deals",
            deal_input("导热膜专利组合转让", "transfer", "agreement", "1,200,000", Some(ent), &[a1, a2]),
            &staff,
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let d = created.json();
    let id = d["id"].as_i64().unwrap();
    assert_eq!(d["status"], "draft");
    assert_eq!(d["price"], "1200000.00");
    assert_eq!(d["counterparty_id"], ent);
    assert_eq!(d["counterparty"], "丙企业");
    assert_eq!(d["policy_profile"], "tianjin-2023");
    let items: Vec<i64> =
        d["achievements"].as_array().unwrap().iter().map(|a| a["achievement_id"].as_i64().unwrap()).collect();
    assert_eq!(items, [a1, a2]);
    assert_eq!(detail(t, &staff, id).await["actions"], json!(["start_notice", "cancel"]));
    let listed = t.get(&format!("/api/v1/deals?achievement_id={a1}"), &staff).await.json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["id"], id);

    // The on-campus notice: 15 days, both ends counted (29 Nov – 13 Dec).
    let r = step(
        t,
        &staff,
        id,
        "start_notice",
        json!({ "version": 1, "starts_on": "2026-11-29", "ends_on": "2026-12-13" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    assert_eq!(v["deal"]["status"], "noticing");
    assert_eq!(v["notices"].as_array().unwrap().len(), 1);
    assert_eq!(v["notices"][0]["status"], "open");
    assert_eq!(v["actions"], json!(["cancel"]), "nothing to do but wait (or cancel) while the notice runs");
    let first_notice = v["notices"][0]["id"].as_i64().unwrap();

    // Anyone sees the running notice, without signing in.
    let public = t.get("/api/v1/notices", &Auth::None).await;
    assert_eq!(public.status, StatusCode::OK);
    let public = public.json();
    let n = public.as_array().unwrap().iter().find(|n| n["id"] == first_notice).expect("the notice is public").clone();
    assert_eq!(n["subject"], "deal");
    assert_eq!(n["subject_id"], id);
    assert_eq!(n["institution"], "甲大学");
    assert_eq!((n["starts_on"].as_str(), n["ends_on"].as_str()), (Some("2026-11-29"), Some("2026-12-13")));
    assert_eq!(n["content"]["price_fen"], 120_000_000);
    assert_eq!(n["content"]["counterparty"], "丙企业");
    assert_eq!(n["content"]["mode"], "transfer");
    assert_eq!(n["content"]["objections_until"], "2026-12-13");
    assert_eq!(n["content"]["achievements"].as_array().unwrap().len(), 2);

    // An anonymous objection; its contact details are for the TTO only.
    let r = objection(t, first_notice, "13800000001").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["status"], "open");
    let upheld = r.json()["id"].as_i64().unwrap();
    let anonymous_view = t.get(&format!("/api/v1/notices/{first_notice}"), &Auth::None).await;
    assert_eq!(anonymous_view.status, StatusCode::OK);
    assert_eq!(anonymous_view.json()["objections"], json!([]));
    assert!(!anonymous_view.text().contains("13800000001"));
    let own_view = t.get(&format!("/api/v1/notices/{first_notice}"), &staff).await.json();
    assert_eq!(own_view["objections"][0]["contact"], "13800000001");

    // Upheld: the notice ends and the deal goes back to draft.
    let r = decide(t, &staff, upheld, 1, "uphold").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "upheld");
    let v = detail(t, &staff, id).await;
    assert_eq!(v["deal"]["status"], "draft");
    assert_eq!(v["notices"][0]["status"], "terminated");
    assert_eq!(v["notices"][0]["closed_on"], "2026-11-29");
    assert_eq!(v["notices"][0]["objections"][0]["status"], "upheld");
    let public = t.get("/api/v1/notices", &Auth::None).await.json();
    assert!(!public.as_array().unwrap().iter().any(|n| n["id"] == first_notice), "a terminated notice is not running");
    // Deciding twice is refused.
    let r = decide(t, &staff, upheld, 2, "reject").await;
    assert_rule(&r, StatusCode::CONFLICT, "status", "objection_decided");

    // The matter is put right (a new price) and noticed again.
    let mut change = deal_input("导热膜专利组合转让", "transfer", "agreement", "1,250,000", Some(ent), &[a1, a2]);
    change["version"] = v["deal"]["version"].clone();
    let r = t.put(&format!("/api/v1/deals/{id}"), change, &staff).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["price"], "1250000.00");
    let ver = r.json()["version"].as_i64().unwrap();
    let r = step(
        t,
        &staff,
        id,
        "start_notice",
        json!({ "version": ver, "starts_on": "2026-11-29", "ends_on": "2026-12-13" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let notices = r.json()["notices"].as_array().unwrap().clone();
    assert_eq!(notices.len(), 2);
    let second_notice = notices[1]["id"].as_i64().unwrap();
    assert_eq!(notices[1]["content"]["price_fen"], 125_000_000);

    // A rejected objection leaves the notice running.
    let rejected = objection(t, second_notice, "13800000002").await.json()["id"].as_i64().unwrap();
    let r = decide(t, &staff, rejected, 1, "reject").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "rejected");
    assert!(r.json()["response"].as_str().unwrap().contains("答复"));
    assert_eq!(detail(t, &staff, id).await["deal"]["status"], "noticing");
    // Another objection is still open when the notice ends.
    let late = objection(t, second_notice, "13800000003").await.json()["id"].as_i64().unwrap();

    // The last day still belongs to the notice.
    t.clock.advance(Duration::days(14));
    let report = t.app.run_due_tasks().await.unwrap();
    assert_eq!((report.notices_closed, report.notices_waiting), (0, 0), "13 Dec is the notice's last day");
    assert!(
        t.get("/api/v1/notices", &Auth::None).await.json().as_array().unwrap().iter().any(|n| n["id"] == second_notice)
    );
    // The day after: no more objections; the open one holds the notice.
    t.clock.advance(Duration::days(1));
    let r = objection(t, second_notice, "13800000004").await;
    assert_rule(&r, StatusCode::CONFLICT, "notice", "notice_not_open");
    let report = t.app.run_due_tasks().await.unwrap();
    assert_eq!((report.notices_closed, report.notices_waiting), (0, 1));
    let ver = version(t, &staff, id).await;
    let r = step(t, &staff, id, "complete", json!({ "version": ver })).await;
    assert_rule(&r, StatusCode::CONFLICT, "status", "objection_open");
    assert_eq!(detail(t, &staff, id).await["deal"]["status"], "noticing");
    let r = decide(t, &staff, late, 1, "reject").await;
    assert_eq!(r.status, StatusCode::OK);

    // The scheduled task closes the notice and fixes the agreed price.
    let report = t.app.run_due_tasks().await.unwrap();
    assert_eq!((report.notices_closed, report.notices_waiting), (1, 0));
    assert_eq!(t.app.run_due_tasks().await.unwrap(), tto_app::tasks::TaskReport::default(), "nothing is closed twice");
    let v = detail(t, &staff, id).await;
    assert_eq!(v["deal"]["status"], "priced");
    assert_eq!(v["deal"]["final_price"], "1250000.00");
    assert_eq!(v["deal"]["priced_on"], "2026-12-14");
    assert_eq!(v["deal"]["counterparty_id"], ent);
    assert_eq!(v["notices"][1]["status"], "closed");
    assert_eq!(v["notices"][1]["closed_on"], "2026-12-14");
    assert_eq!(v["actions"], json!(["complete", "cancel"]));

    // Completing converts the achievements and books the conversions in the separate ledger.
    let r = step(t, &staff, id, "complete", json!({ "version": v["deal"]["version"] })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["deal"]["status"], "completed");
    assert_eq!(r.json()["deal"]["completed_on"], "2026-12-14");
    assert_eq!(r.json()["actions"], json!([]));
    for a in [a1, a2] {
        let achievement = t.get(&format!("/api/v1/achievements/{a}"), &staff).await.json();
        assert_eq!(achievement["status"], "converted");
        let ledger = t.get(&format!("/api/v1/ledger/{a}"), &staff).await.json();
        assert_eq!(ledger["entry"]["recognition"], "booked");
        assert_eq!(ledger["entry"]["book_value"], "625000.00", "the price split over the two achievements");
        let conversions = ledger["conversions"].as_array().unwrap();
        assert_eq!(conversions.len(), 1);
        assert_eq!(conversions[0]["mode"], "transfer");
        assert_eq!(conversions[0]["value"], "625000.00");
        assert_eq!(conversions[0]["counterparty"], "丙企业");
        assert_eq!(conversions[0]["occurred_on"], "2026-12-14");
        assert_eq!(conversions[0]["booked_on"], "2026-12-14");
    }
    let rec = t.get("/api/v1/ledger/reconciliation", &staff).await.json();
    assert_eq!(rec["unbooked"], json!([]));
    assert_eq!(rec["booked_twice"], json!([]));
    // Completed is final.
    let r = step(t, &staff, id, "cancel", json!({ "version": r.json()["deal"]["version"], "reason": "x" })).await;
    assert_rule(&r, StatusCode::CONFLICT, "status", "illegal_deal_transition");

    // The exemption verdict: agreement price noticed for 15 days without an upheld objection.
    let verdict = t.get(&format!("/api/v1/deals/{id}/exemption"), &staff).await;
    assert_eq!(verdict.status, StatusCode::OK);
    let verdict = verdict.json();
    assert_eq!(verdict["qualifies"], true);
    assert_eq!(
        codes(&verdict),
        met(&["route_qualifies", "notice_completed", "notice_long_enough", "no_upheld_objection", "price_fixed"])
    );
    assert_eq!(verdict["rule"]["key"], "exemption.qualifying_routes");
    assert_eq!(verdict["rule"]["article"], "（十七）");
    assert!(verdict["conditions"].as_array().unwrap().iter().all(|c| !c["explanation"].as_str().unwrap().is_empty()));

    // A technical contract for the deal.
    let r = t
        .post("/api/v1/contracts", contract_input(Some(id), ent, "1250000", &[("2026-12-20", "1250000")]), &staff)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let contract = r.json()["id"].as_i64().unwrap();

    // The evidence pack holds the whole story and verifies against the audit chain.
    let files = evidence_pack(t, &staff, id).await;
    let deal_json = file_json(&files, "deal.json");
    assert_eq!(deal_json["snapshot"]["status"], "completed");
    assert_eq!(deal_json["snapshot"]["final_price_fen"], 125_000_000);
    assert_eq!(deal_json["snapshot"]["achievements"], json!([a1, a2]));
    assert_eq!(deal_json["counterparty"], "丙企业");
    let notices = file_json(&files, "notices.json");
    assert_eq!(notices.as_array().unwrap().len(), 2);
    assert_eq!(notices[0]["snapshot"]["status"], "terminated");
    assert_eq!(notices[0]["objections"][0]["status"], "upheld");
    assert_eq!(notices[1]["snapshot"]["status"], "closed");
    let statuses: Vec<&str> =
        notices[1]["objections"].as_array().unwrap().iter().map(|o| o["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["rejected", "rejected"]);
    assert_eq!(file_json(&files, "market.json"), json!({ "listings": [], "auctions": [] }));
    let contracts = file_json(&files, "contracts.json");
    assert_eq!(contracts.as_array().unwrap().len(), 1);
    assert_eq!(contracts[0]["id"], contract);
    let verdict_json = file_json(&files, "verdict.json");
    assert_eq!(verdict_json["qualifies"], true);
    assert_eq!(verdict_json["notice_min_days"], 15);
    assert_eq!(verdict_json["policy_profile"], "tianjin-2023");
    let summary = String::from_utf8(file(&files, "summary.html").to_vec()).unwrap();
    assert!(summary.contains("导热膜专利组合转让"), "the summary names the deal");
    let actions = audit_actions(&files);
    for expected in [
        "deal.create",
        "notice.start",
        "deal.start_notice",
        "objection.submit",
        "objection.uphold",
        "notice.terminate",
        "deal.return_to_draft",
        "deal.update",
        "objection.reject",
        "notice.close",
        "deal.fix_price",
        "deal.complete",
        "contract.create",
    ] {
        assert!(actions.iter().any(|a| a == expected), "{expected} missing from {actions:?}");
    }
    let seqs: Vec<i64> =
        file_json(&files, "audit.json").as_array().unwrap().iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "events in chain order");

    // Tampering is found, and named.
    let mut changed = files.clone();
    let mut bytes = file(&changed, "deal.json").to_vec();
    let at = bytes.windows(9).position(|w| w == b"125000000").expect("the price in deal.json");
    bytes[at] = b'1';
    bytes[at + 1] = b'0';
    put_file(&mut changed, "deal.json", bytes);
    assert_eq!(verify(t, &changed).await, Err(PackProblem::FileChanged("deal.json".into())));
    // … even when the manifest is rewritten to match: the facts differ from the audit trail.
    fix_manifest(&mut changed);
    assert_eq!(verify(t, &changed).await, Err(PackProblem::FactsDiffer("deal.json".into())));
    // An upheld objection turned into a rejected one, or a whole notice left out, is caught too.
    let mut flipped = files.clone();
    let mut notices_json = file_json(&flipped, "notices.json");
    notices_json[0]["objections"][0]["status"] = json!("rejected");
    put_file(&mut flipped, "notices.json", serde_json::to_vec_pretty(&notices_json).unwrap());
    fix_manifest(&mut flipped);
    assert_eq!(verify(t, &flipped).await, Err(PackProblem::FactsDiffer(format!("objection {upheld} in notices.json"))));
    let mut dropped = files.clone();
    let mut notices_json = file_json(&dropped, "notices.json");
    notices_json.as_array_mut().unwrap().remove(0);
    put_file(&mut dropped, "notices.json", serde_json::to_vec_pretty(&notices_json).unwrap());
    fix_manifest(&mut dropped);
    assert_eq!(verify(t, &dropped).await, Err(PackProblem::FactsDiffer("notices.json".into())));
    // An edited audit event no longer matches its hash.
    let mut edited = files.clone();
    let mut events = file_json(&edited, "audit.json");
    let create = events.as_array_mut().unwrap().iter_mut().find(|e| e["action"] == "deal.create").unwrap();
    let seq = create["seq"].as_i64().unwrap();
    create["after_json"] =
        json!(create["after_json"].as_str().unwrap().replace("125000000", "1").replace("120000000", "1"));
    put_file(&mut edited, "audit.json", serde_json::to_vec_pretty(&events).unwrap());
    fix_manifest(&mut edited);
    assert_eq!(verify(t, &edited).await, Err(PackProblem::EventEdited(seq)));
    // … and with a recomputed hash it differs from the platform's chain.
    let mut events = file_json(&edited, "audit.json");
    let e = events.as_array_mut().unwrap().iter_mut().find(|e| e["seq"] == seq).unwrap();
    let event = tto_store::audit::AuditEvent {
        seq,
        occurred_at: e["occurred_at"].as_str().unwrap().into(),
        institution_id: e["institution_id"].as_i64(),
        actor_kind: e["actor_kind"].as_str().unwrap().into(),
        actor_id: e["actor_id"].as_i64(),
        actor_label: e["actor_label"].as_str().unwrap().into(),
        action: e["action"].as_str().unwrap().into(),
        entity_type: e["entity_type"].as_str().unwrap().into(),
        entity_id: e["entity_id"].as_str().unwrap().into(),
        before_json: e["before_json"].as_str().map(str::to_string),
        after_json: e["after_json"].as_str().map(str::to_string),
        prev_hash: e["prev_hash"].as_str().unwrap().into(),
        hash: String::new(),
    };
    e["hash"] = json!(tto_store::audit::hash(&event));
    put_file(&mut edited, "audit.json", serde_json::to_vec_pretty(&events).unwrap());
    fix_manifest(&mut edited);
    assert_eq!(verify(t, &edited).await, Err(PackProblem::EventDiffers(seq)));
    // Files added or removed, and things that are not packs.
    let mut added = files.clone();
    added.push(("note.txt".into(), b"added later".to_vec()));
    assert_eq!(verify(t, &added).await, Err(PackProblem::FileAdded("note.txt".into())));
    let removed: Files = files.iter().filter(|(n, _)| n != "notices.json").cloned().collect();
    assert_eq!(verify(t, &removed).await, Err(PackProblem::FileMissing("notices.json".into())));
    assert!(matches!(t.app.verify_evidence_pack(b"not a zip").await.unwrap(), Err(PackProblem::Unreadable(_))));
    // The untouched pack still verifies.
    assert!(verify(t, &files).await.is_ok());
});

fn contract_input(deal: Option<i64>, buyer: i64, amount: &str, schedule: &[(&str, &str)]) -> Value {
    json!({
        "deal_id": deal,
        "category": "transfer",
        "title": "专利权转让合同",
        "buyer_id": buyer,
        "amount": amount,
        "signed_on": "2026-11-20",
        "schedule": schedule.iter().map(|(d, a)| json!({ "due_on": d, "amount": a })).collect::<Vec<_>>(),
    })
}

// ---------------------------------------------------------------------------------------
// 2. Listing: one party buys, several go to auction, nobody sends the deal back
// ---------------------------------------------------------------------------------------

on_every_backend!(listing_one_buyer_several_buyers_or_nobody, |t| {
    let staff = t.token("staff.a").await;
    let enterprise = t.token("enterprise").await;
    let investor = t.token("investor").await;
    let ent = t.institution("ENT").await.0;
    let inv = t.institution("INV").await.0;
    let mut deals = Vec::new();
    for (title, price) in
        [("挂牌：单一意向方", "500,000"), ("挂牌：多个意向方", "500,000"), ("挂牌：无人问津", "300,000")]
    {
        let a = achievement(t, &staff, &format!("{title}的成果")).await;
        deals.push(create_deal(t, &staff, deal_input(title, "transfer", "listing", price, None, &[a])).await);
    }
    let [one, several, nobody] = deals[..] else { unreachable!() };

    // At least the profile's 10 days.
    let short = step(
        t,
        &staff,
        one,
        "list",
        json!({ "version": 1, "ends_at": at(t, Duration::days(10) - Duration::minutes(1)), "increment": "10000" }),
    )
    .await;
    assert_rule(&short, StatusCode::UNPROCESSABLE_ENTITY, "ends_at", "below_policy_minimum");
    let ends_at = at(t, Duration::days(10));
    let mut listings = BTreeMap::new();
    for deal in [one, several, nobody] {
        let r = step(
            t,
            &staff,
            deal,
            "list",
            json!({ "version": 1, "ends_at": ends_at, "increment": "10,000", "auction_minutes": 30 }),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let v = r.json();
        assert_eq!(v["deal"]["status"], "listed");
        assert_eq!(v["listings"][0]["status"], "open");
        assert_eq!(v["listings"][0]["ends_at"], ends_at);
        assert_eq!(v["listings"][0]["auction_increment"], "10000.00");
        assert_eq!(v["listings"][0]["auction_minutes"], 30);
        listings.insert(deal, v["listings"][0]["id"].as_i64().unwrap());
    }
    // The market is public.
    let market = t.get("/api/v1/market", &Auth::None).await;
    assert_eq!(market.status, StatusCode::OK);
    let market = market.json();
    for deal in [one, several, nobody] {
        let e = market.as_array().unwrap().iter().find(|e| e["deal_id"] == deal).expect("listed on the market");
        assert_eq!(e["kind"], "listing");
        assert_eq!(e["id"], listings[&deal]);
        assert_eq!(e["interested"], 0);
    }

    // Interest: buyers only, once each; a buyer sees only its own.
    let interest = |listing: i64, auth: Auth| async move {
        t.post(&format!("/api/v1/listings/{listing}/interest"), json!({ "note": "有意受让" }), &auth).await
    };
    let r = interest(listings[&one], enterprise.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["interests"].as_array().unwrap().len(), 1);
    assert_eq!(r.json()["interests"][0]["party_id"], ent);
    assert_rule(
        &interest(listings[&one], enterprise.clone()).await,
        StatusCode::CONFLICT,
        "listing",
        "already_interested",
    );
    let r = interest(listings[&one], staff.clone()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.error_code(), "forbidden");
    assert_eq!(interest(listings[&one], Auth::None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(interest(listings[&several], enterprise.clone()).await.status, StatusCode::CREATED);
    let r = interest(listings[&several], investor.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let seen: Vec<i64> =
        r.json()["interests"].as_array().unwrap().iter().map(|i| i["party_id"].as_i64().unwrap()).collect();
    assert_eq!(seen, [inv], "the investor does not learn who else is interested");
    let mine = t.get("/api/v1/market", &enterprise).await.json();
    let entry = |deal: i64| mine.as_array().unwrap().iter().find(|e| e["deal_id"] == deal).unwrap().clone();
    assert_eq!((entry(several)["interested"].as_i64(), entry(several)["my_interest"].as_bool()), (Some(2), Some(true)));
    assert_eq!(entry(nobody)["my_interest"], false);
    assert_eq!(detail(t, &staff, several).await["listings"][0]["interests"].as_array().unwrap().len(), 2);

    // The listing period ends: no more interest; the scheduled task closes all three.
    t.clock.advance(Duration::days(10));
    assert_rule(
        &interest(listings[&nobody], investor.clone()).await,
        StatusCode::CONFLICT,
        "listing",
        "listing_closed",
    );
    let report = t.app.run_due_tasks().await.unwrap();
    assert_eq!(report.listings_closed, 3);
    assert_eq!(report.auctions_closed, 0);

    // One party: priced at the listing price, that party the buyer.
    let v = detail(t, &staff, one).await;
    assert_eq!(v["deal"]["status"], "priced");
    assert_eq!(v["deal"]["final_price"], "500000.00");
    assert_eq!(v["deal"]["counterparty_id"], ent);
    assert_eq!(v["listings"][0]["status"], "closed");
    assert_eq!(v["listings"][0]["outcome"], "sold");
    assert_eq!(v["exemption"]["qualifies"], true);
    assert_eq!(codes(&v["exemption"]), met(&["route_qualifies", "market_closed_with_buyer", "price_fixed"]));

    // Nobody: back to draft, nothing qualifies, the terms may change again.
    let v = detail(t, &staff, nobody).await;
    assert_eq!(v["deal"]["status"], "draft");
    assert_eq!(v["deal"]["final_price"], Value::Null);
    assert_eq!(v["listings"][0]["outcome"], "unsold");
    assert_eq!(v["exemption"]["qualifies"], false);
    assert_eq!(v["actions"], json!(["list", "cancel"]));
    let mut change = deal_input(
        "挂牌：无人问津（降价）",
        "transfer",
        "listing",
        "250000",
        None,
        &[v["deal"]["achievements"][0]["achievement_id"].as_i64().unwrap()],
    );
    change["version"] = v["deal"]["version"].clone();
    assert_eq!(t.put(&format!("/api/v1/deals/{nobody}"), change, &staff).await.status, StatusCode::OK);

    // Several parties: an auction among them, both pre-approved.
    let v = detail(t, &staff, several).await;
    assert_eq!(v["deal"]["status"], "auctioning");
    assert_eq!(v["listings"][0]["outcome"], "auction");
    let auction = &v["auctions"][0];
    assert_eq!(auction["listing_id"], listings[&several]);
    assert_eq!(auction["reserve"], "500000.00");
    assert_eq!(auction["increment"], "10000.00");
    assert_eq!(auction["status"], "open");
    assert_eq!(auction["ends_at"], at(t, Duration::minutes(30)));
    let mut bidders: Vec<(i64, String)> = auction["bidders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["party_id"].as_i64().unwrap(), b["status"].as_str().unwrap().to_string()))
        .collect();
    bidders.sort();
    let mut expected = vec![(ent, "approved".to_string()), (inv, "approved".to_string())];
    expected.sort();
    assert_eq!(bidders, expected);
    let auction_id = auction["id"].as_i64().unwrap();
    let market = t.get("/api/v1/market", &Auth::None).await.json();
    let e = market.as_array().unwrap().iter().find(|e| e["deal_id"] == several).unwrap();
    assert_eq!((e["kind"].as_str(), e["id"].as_i64()), (Some("auction"), Some(auction_id)));
    assert_eq!(e["minimum_bid"], "500000.00");

    assert_eq!(bid(t, &enterprise, auction_id, "500000").await.status, StatusCode::CREATED);
    assert_rule(
        &bid(t, &investor, auction_id, "505000").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "amount",
        "below_increment",
    );
    assert_eq!(bid(t, &investor, auction_id, "510000").await.status, StatusCode::CREATED);
    assert_eq!(bid(t, &enterprise, auction_id, "520000").await.status, StatusCode::CREATED);
    let top = bid(t, &investor, auction_id, "530,000").await;
    assert_eq!(top.status, StatusCode::CREATED, "{}", top.text());
    assert_eq!(top.json()["amount"], "530000.00");

    // The scheduled close fixes the winner.
    t.clock.advance(Duration::minutes(30));
    let report = t.app.run_due_tasks().await.unwrap();
    assert_eq!(report.auctions_closed, 1);
    let v = detail(t, &staff, several).await;
    assert_eq!(v["deal"]["status"], "priced");
    assert_eq!(v["deal"]["final_price"], "530000.00");
    assert_eq!(v["deal"]["counterparty_id"], inv);
    assert_eq!(v["deal"]["counterparty"], "己投资");
    assert_eq!(v["auctions"][0]["status"], "closed");
    assert_eq!(v["auctions"][0]["winner_id"], inv);
    assert_eq!(v["auctions"][0]["winning_bid_id"], top.json()["id"]);
    assert_eq!(v["exemption"]["qualifies"], true);
    let r = step(t, &staff, several, "complete", json!({ "version": v["deal"]["version"] })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let files = evidence_pack(t, &staff, several).await;
    let market = file_json(&files, "market.json");
    assert_eq!(market["listings"][0]["interests"].as_array().unwrap().len(), 2);
    assert_eq!(market["auctions"][0]["bids"].as_array().unwrap().len(), 4);
    assert_eq!(market["auctions"][0]["snapshot"]["winner_id"], inv);
});

// ---------------------------------------------------------------------------------------
// 3. Auction: registration, approval by the TTO and the exchange, bids, anti-sniping
// ---------------------------------------------------------------------------------------

on_every_backend!(auction_with_registration_approval_and_anti_sniping, |t| {
    let staff = t.token("staff.a").await;
    let enterprise = t.token("enterprise").await;
    let investor = t.token("investor").await;
    let exchange = t.token("exchange").await;
    let regulator = t.token("regulator").await;
    let ent = t.institution("ENT").await.0;
    let inv = t.institution("INV").await.0;
    let a = achievement(t, &staff, "拍卖的成果").await;
    let id =
        create_deal(t, &staff, deal_input("独占许可拍卖", "licence_exclusive", "auction", "800,000", None, &[a])).await;
    let start = t.app.now();
    let end = start + Duration::hours(2);
    let r =
        step(t, &staff, id, "start_auction", json!({ "version": 1, "ends_at": rfc3339(end), "increment": "20,000" }))
            .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    assert_eq!(v["deal"]["status"], "auctioning");
    let auction = &v["auctions"][0];
    assert_eq!(auction["reserve"], "800000.00");
    assert_eq!(auction["increment"], "20000.00");
    assert_eq!(auction["starts_at"], rfc3339(start));
    assert_eq!(auction["ends_at"], rfc3339(end));
    assert_eq!(auction["scheduled_end_at"], rfc3339(end));
    assert_eq!(auction["listing_id"], Value::Null);
    let aid = auction["id"].as_i64().unwrap();

    // Registration: buyers only, once.
    let register = |auth: Auth| async move {
        t.post(&format!("/api/v1/auctions/{aid}/bidders"), json!({ "note": "已缴纳保证金" }), &auth).await
    };
    let r = register(enterprise.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!((r.json()["party_id"].as_i64(), r.json()["status"].as_str()), (Some(ent), Some("registered")));
    assert_eq!(register(investor.clone()).await.status, StatusCode::CREATED);
    assert_rule(&register(enterprise.clone()).await, StatusCode::CONFLICT, "auction", "already_registered");
    assert_eq!(register(staff.clone()).await.status, StatusCode::FORBIDDEN);
    assert_eq!(register(Auth::None).await.status, StatusCode::UNAUTHORIZED);
    let mine = t.get("/api/v1/market", &enterprise).await.json();
    let e = mine.as_array().unwrap().iter().find(|e| e["deal_id"] == id).unwrap();
    assert_eq!(e["my_registration"], "registered");
    assert_eq!(e["minimum_bid"], "800000.00");
    // Registered is not enough to bid.
    assert_rule(&bid(t, &enterprise, aid, "800000").await, StatusCode::CONFLICT, "bidder", "bidder_not_approved");

    // Approval: the TTO for its own auction, the exchange for any; nobody else.
    assert_eq!(bidder_decision(t, &enterprise, aid, ent, "approve").await.status, StatusCode::FORBIDDEN);
    assert_eq!(bidder_decision(t, &t.token("staff.b").await, aid, ent, "approve").await.status, StatusCode::NOT_FOUND);
    assert_eq!(bidder_decision(t, &staff, aid, ent, "maybe").await.status, StatusCode::BAD_REQUEST);
    let r = bidder_decision(t, &staff, aid, ent, "approve").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "approved");
    let r = bidder_decision(t, &exchange, aid, inv, "approve").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "approved");
    assert_rule(
        &bidder_decision(t, &exchange, aid, inv, "reject").await,
        StatusCode::CONFLICT,
        "status",
        "bidder_decided",
    );
    let seen = t.get(&format!("/api/v1/auctions/{aid}"), &exchange).await;
    assert_eq!(seen.status, StatusCode::OK, "the exchange sees every auction");
    assert!(seen.json()["bidders"].as_array().unwrap().iter().all(|b| b["status"] == "approved"));

    // Bids.
    let first = bid(t, &enterprise, aid, "800000").await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text());
    assert_eq!((first.json()["party_id"].as_i64(), first.json()["amount"].as_str()), (Some(ent), Some("800000.00")));
    assert_eq!(bid(t, &investor, aid, "820000").await.status, StatusCode::CREATED);
    let public = t.get("/api/v1/market", &Auth::None).await.json();
    let e = public.as_array().unwrap().iter().find(|e| e["deal_id"] == id).unwrap();
    assert_eq!(
        (e["highest_bid"].as_str(), e["bids"].as_i64(), e["minimum_bid"].as_str()),
        (Some("820000.00"), Some(2), Some("840000.00"))
    );
    let no_end_change = t.get(&format!("/api/v1/auctions/{aid}"), &staff).await.json();
    assert_eq!(no_end_change["ends_at"], rfc3339(end), "early bids do not move the end");

    // Anti-sniping: a bid in the last 5 minutes moves the end to 5 minutes after it.
    t.clock.advance(Duration::minutes(117));
    assert_eq!(bid(t, &enterprise, aid, "840000").await.status, StatusCode::CREATED);
    let v = t.get(&format!("/api/v1/auctions/{aid}"), &staff).await.json();
    assert_eq!(v["ends_at"], rfc3339(end + Duration::minutes(2)));
    assert_eq!(v["scheduled_end_at"], rfc3339(end));
    // At the original end the auction is still open.
    t.clock.advance(Duration::minutes(3));
    assert_eq!(t.app.run_due_tasks().await.unwrap().auctions_closed, 0);
    let top = bid(t, &investor, aid, "860000").await;
    assert_eq!(top.status, StatusCode::CREATED, "{}", top.text());
    let v = t.get(&format!("/api/v1/auctions/{aid}"), &staff).await.json();
    assert_eq!(v["ends_at"], rfc3339(end + Duration::minutes(5)));
    // At the extended end bidding stops.
    t.clock.advance(Duration::minutes(5));
    assert_rule(&bid(t, &enterprise, aid, "900000").await, StatusCode::CONFLICT, "auction", "auction_closed");
    let report = t.app.run_due_tasks().await.unwrap();
    assert_eq!(report.auctions_closed, 1);
    assert_rule(&bid(t, &enterprise, aid, "900000").await, StatusCode::CONFLICT, "auction", "auction_closed");

    // The highest bid wins.
    let v = t.get(&format!("/api/v1/auctions/{aid}"), &staff).await.json();
    assert_eq!(v["status"], "closed");
    assert_eq!(v["winner_id"], inv);
    assert_eq!(v["winning_bid_id"], top.json()["id"]);
    let amounts: Vec<&str> = v["bids"].as_array().unwrap().iter().map(|b| b["amount"].as_str().unwrap()).collect();
    assert_eq!(amounts, ["860000.00", "840000.00", "820000.00", "800000.00"]);
    let d = detail(t, &staff, id).await;
    assert_eq!(d["deal"]["status"], "priced");
    assert_eq!(d["deal"]["final_price"], "860000.00");
    assert_eq!(d["deal"]["counterparty_id"], inv);
    assert_eq!(d["exemption"]["qualifies"], true);
    assert_eq!(codes(&d["exemption"]), met(&["route_qualifies", "market_closed_with_buyer", "price_fixed"]));
    assert!(!t.get("/api/v1/market", &Auth::None).await.json().as_array().unwrap().iter().any(|e| e["deal_id"] == id));
    let r = step(t, &staff, id, "complete", json!({ "version": d["deal"]["version"] })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let ledger = t.get(&format!("/api/v1/ledger/{a}"), &staff).await.json();
    assert_eq!(ledger["conversions"][0]["mode"], "licence");
    assert_eq!(ledger["conversions"][0]["counterparty"], "己投资");
    assert_eq!(ledger["entry"]["book_value"], "860000.00");

    // Every bid is on the audit trail; the evidence pack verifies.
    let audit = t.get("/api/v1/audit?entity_type=bid&limit=500", &regulator).await.json();
    assert_eq!(audit["total"], 4);
    let extended: Vec<&Value> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["after"].as_str().unwrap().contains("extended_to"))
        .collect();
    assert_eq!(extended.len(), 2, "both late bids record the extension");
    let files = evidence_pack(t, &staff, id).await;
    let market = file_json(&files, "market.json");
    assert_eq!(market["auctions"][0]["bids"].as_array().unwrap().len(), 4);
    assert_eq!(market["auctions"][0]["bidders"].as_array().unwrap().len(), 2);
    let actions = audit_actions(&files);
    for expected in [
        "auction.open",
        "auction.register",
        "auction.approve_bidder",
        "auction.bid",
        "auction.close",
        "deal.fix_price",
        "deal.complete",
    ] {
        assert!(actions.iter().any(|a| a == expected), "{expected} missing from {actions:?}");
    }
});

// ---------------------------------------------------------------------------------------
// 4. Concurrent bids are serialised
// ---------------------------------------------------------------------------------------

/// 2 approved bidders × 10 tasks each, same and different amounts, all at once.
async fn concurrent_bids(t: &TestApp) {
    let staff = t.token("staff.a").await;
    let regulator = t.token("regulator").await;
    let ent = t.institution("ENT").await.0;
    let inv = t.institution("INV").await.0;
    let a = achievement(t, &staff, "并发竞价的成果").await;
    let id = create_deal(t, &staff, deal_input("并发竞价", "transfer", "auction", "100000", None, &[a])).await;
    let r = step(
        t,
        &staff,
        id,
        "start_auction",
        json!({ "version": 1, "ends_at": at(t, Duration::hours(1)), "increment": "1000" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let aid = r.json()["auctions"][0]["id"].as_i64().unwrap();
    let mut tokens = Vec::new();
    for (user, party) in [("enterprise", ent), ("investor", inv)] {
        let token = t.token(user).await;
        let r = t.post(&format!("/api/v1/auctions/{aid}/bidders"), json!({}), &token).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        assert_eq!(bidder_decision(t, &staff, aid, party, "approve").await.status, StatusCode::OK);
        let Auth::Token(secret) = token else { unreachable!() };
        tokens.push((party, secret));
    }

    let mut tasks = Vec::new();
    for (n, (party, secret)) in tokens.iter().enumerate() {
        for k in 0..10_i64 {
            // Both bidders try the same amounts; the investor also tries amounts in between.
            let yuan = 100_000 + k * 1_000 + if n == 1 && k % 2 == 1 { 500 } else { 0 };
            let amount = format!("{yuan}.00");
            let router = t.router.clone();
            let (party, secret) = (*party, secret.clone());
            tasks.push(tokio::spawn(async move {
                let req = axum::http::Request::builder()
                    .method(Method::POST)
                    .uri(format!("/api/v1/auctions/{aid}/bids"))
                    .header(header::AUTHORIZATION, format!("Bearer {secret}"))
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(axum::body::Body::from(json!({ "amount": amount }).to_string()))
                    .unwrap();
                let res = tower::ServiceExt::oneshot(router, req).await.unwrap();
                let status = res.status();
                let body = http_body_util::BodyExt::collect(res.into_body()).await.unwrap().to_bytes();
                (party, amount, status, serde_json::from_slice::<Value>(&body).unwrap())
            }));
        }
    }
    let mut accepted = Vec::new();
    for task in tasks {
        let (party, amount, status, body) = task.await.unwrap();
        match status {
            StatusCode::CREATED => {
                assert_eq!(body["party_id"], party);
                accepted.push((body["id"].as_i64().unwrap(), body["amount"].as_str().unwrap().to_string()));
            }
            StatusCode::UNPROCESSABLE_ENTITY => {
                let code = body["error"]["details"][0]["code"].as_str().unwrap().to_string();
                assert!(code == "below_increment" || code == "below_reserve", "{amount}: {body}");
                assert_eq!(body["error"]["field"], "amount");
            }
            other => panic!("bid {amount} of {party}: {other} {body}"),
        }
    }
    assert!(!accepted.is_empty(), "the first bid processed is at least the reserve");
    eprintln!("{} of 20 concurrent bids accepted on {:?}", accepted.len(), t.backend());

    // In placement order the bids rise strictly, by at least the increment; no amount twice.
    let auction = t.get(&format!("/api/v1/auctions/{aid}"), &staff).await.json();
    let mut bids: Vec<(i64, i64, i64)> = auction["bids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            let fen = tto_domain::Money::parse(b["amount"].as_str().unwrap()).unwrap().fen();
            (b["id"].as_i64().unwrap(), fen, b["party_id"].as_i64().unwrap())
        })
        .collect();
    assert_eq!(bids.len(), accepted.len(), "every accepted bid is stored, nothing else");
    bids.sort();
    let increment = tto_domain::Money::yuan(1_000).fen();
    assert!(bids.windows(2).all(|w| w[1].1 >= w[0].1 + increment), "bids in placement order: {bids:?}");
    let amounts: BTreeSet<i64> = bids.iter().map(|b| b.1).collect();
    assert_eq!(amounts.len(), bids.len(), "no two bids share an amount");
    let mut accepted_ids: Vec<i64> = accepted.iter().map(|(id, _)| *id).collect();
    accepted_ids.sort();
    assert_eq!(accepted_ids, bids.iter().map(|b| b.0).collect::<Vec<_>>());

    // Every accepted bid has its audit event.
    let audit = t.get("/api/v1/audit?entity_type=bid&limit=500", &regulator).await.json();
    let mut audited: Vec<i64> =
        audit["items"].as_array().unwrap().iter().map(|e| e["entity_id"].as_str().unwrap().parse().unwrap()).collect();
    audited.sort();
    assert_eq!(audited, accepted_ids);

    // One winner, the highest bid, even when two nodes run the scheduled task at once.
    t.clock.advance(Duration::hours(1));
    let runs: Vec<_> = (0..2)
        .map(|_| {
            tokio::spawn({
                let app = t.app.clone();
                async move { app.run_due_tasks().await.unwrap() }
            })
        })
        .collect();
    let mut closed = 0;
    for run in runs {
        closed += run.await.unwrap().auctions_closed;
    }
    assert_eq!(closed, 1, "closed once");
    assert_eq!(t.app.run_due_tasks().await.unwrap().auctions_closed, 0);
    let highest = *bids.last().unwrap();
    let auction = t.get(&format!("/api/v1/auctions/{aid}"), &staff).await.json();
    assert_eq!(auction["status"], "closed");
    assert_eq!(auction["winning_bid_id"], highest.0);
    assert_eq!(auction["winner_id"], highest.2);
    let d = detail(t, &staff, id).await;
    assert_eq!(d["deal"]["status"], "priced");
    assert_eq!(tto_domain::Money::parse(d["deal"]["final_price"].as_str().unwrap()).unwrap().fen(), highest.1);
    assert_eq!(d["deal"]["counterparty_id"], highest.2);
    let closes = t.get(&format!("/api/v1/audit?entity_type=auction&entity_id={aid}"), &regulator).await.json();
    let closes = closes["items"].as_array().unwrap().iter().filter(|e| e["action"] == "auction.close").count();
    assert_eq!(closes, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_bids_are_serialised() {
    for t in TestApp::all().await {
        let backend = t.backend();
        concurrent_bids(&t).await;
        eprintln!("concurrent_bids_are_serialised passed on {backend:?}");
        t.cleanup().await;
    }
}

// ---------------------------------------------------------------------------------------
// 5. Bad input: each refused with its status, field and rule
// ---------------------------------------------------------------------------------------

async fn raw_post(t: &TestApp, path: &str, body: &str, auth: &Auth, content_type: Option<&str>) -> Reply {
    let mut req = axum::http::Request::builder().method(Method::POST).uri(path);
    if let Auth::Token(secret) = auth {
        req = req.header(header::AUTHORIZATION, format!("Bearer {secret}"));
    }
    if let Some(c) = content_type {
        req = req.header(header::CONTENT_TYPE, c);
    }
    t.call(req.body(axum::body::Body::from(body.to_string())).unwrap()).await
}

on_every_backend!(bad_deal_input_is_refused_with_the_rule, |t| {
    let staff = t.token("staff.a").await;
    let admin_b = t.token("admin.b").await;
    let enterprise = t.token("enterprise").await;
    let investor = t.token("investor").await;
    let ent = t.institution("ENT").await.0;
    let una = t.institution("UNA").await.0;
    let a = achievement(t, &staff, "议价的成果").await;
    let id = create_deal(t, &staff, deal_input("协议定价", "transfer", "agreement", "900000", Some(ent), &[a])).await;

    // Notices: at least 15 days, both ends counted; not in the past; ends after it starts.
    let notice =
        |starts: &str, ends: &str, version: i64| json!({ "version": version, "starts_on": starts, "ends_on": ends });
    let short = step(t, &staff, id, "start_notice", notice("2026-11-29", "2026-12-12", 1)).await;
    assert_rule(&short, StatusCode::UNPROCESSABLE_ENTITY, "ends_on", "below_policy_minimum");
    let message = short.json()["error"]["details"][0]["message"].as_str().unwrap().to_string();
    assert!(message.contains("15"), "the minimum is named: {message}");
    let past = step(t, &staff, id, "start_notice", notice("2026-11-28", "2026-12-31", 1)).await;
    assert_rule(&past, StatusCode::UNPROCESSABLE_ENTITY, "starts_on", "in_the_past");
    let backwards = step(t, &staff, id, "start_notice", notice("2026-12-20", "2026-12-01", 1)).await;
    assert_rule(&backwards, StatusCode::UNPROCESSABLE_ENTITY, "ends_on", "end_before_start");
    let garbage = step(t, &staff, id, "start_notice", notice("2026-02-30", "2026-12-31", 1)).await;
    assert_eq!(garbage.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(garbage.error_field(), "starts_on");
    assert_eq!(detail(t, &staff, id).await["deal"]["status"], "draft", "nothing started");
    let stale = step(t, &staff, id, "start_notice", notice("2026-11-30", "2026-12-14", 7)).await;
    assert_rule(&stale, StatusCode::CONFLICT, "version", "stale_version");
    let r = step(t, &staff, id, "start_notice", notice("2026-11-30", "2026-12-14", 1)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let notice_id = r.json()["notices"][0]["id"].as_i64().unwrap();
    // A notice starting tomorrow is not public yet: no objections either.
    assert!(
        !t.get("/api/v1/notices", &Auth::None).await.json().as_array().unwrap().iter().any(|n| n["id"] == notice_id)
    );
    assert_eq!(t.get(&format!("/api/v1/notices/{notice_id}"), &Auth::None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(objection(t, notice_id, "x").await.status, StatusCode::NOT_FOUND);
    // Once the notice runs, the price and the terms are locked.
    let mut change = deal_input("协议定价", "transfer", "agreement", "800000", Some(ent), &[a]);
    change["version"] = json!(2);
    assert_rule(
        &t.put(&format!("/api/v1/deals/{id}"), change.clone(), &staff).await,
        StatusCode::CONFLICT,
        "price",
        "price_locked",
    );
    change["price"] = json!("900000");
    change["title"] = json!("协议定价（改名）");
    assert_rule(
        &t.put(&format!("/api/v1/deals/{id}"), change.clone(), &staff).await,
        StatusCode::CONFLICT,
        "status",
        "terms_locked",
    );
    change.as_object_mut().unwrap().remove("version");
    let r = t.put(&format!("/api/v1/deals/{id}"), change, &staff).await;
    assert_eq!((r.status, r.error_field()), (StatusCode::BAD_REQUEST, "version".to_string()));
    // Only agreement pricing is noticed; a notice is not a listing.
    let r =
        step(t, &staff, id, "list", json!({ "version": 2, "ends_at": at(t, Duration::days(11)), "increment": "1" }))
            .await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    // An open objection blocks completion.
    t.clock.advance(Duration::days(1));
    let r = objection(t, notice_id, "13900000000").await;
    assert_eq!(r.status, StatusCode::CREATED);
    let open_objection = r.json()["id"].as_i64().unwrap();
    let empty = t
        .post(
            &format!("/api/v1/notices/{notice_id}/objections"),
            json!({ "name": "王某", "contact": "x", "content": "  " }),
            &Auth::None,
        )
        .await;
    assert_rule(&empty, StatusCode::UNPROCESSABLE_ENTITY, "content", "required");
    let r = step(t, &staff, id, "complete", json!({ "version": 2 })).await;
    assert_rule(&r, StatusCode::CONFLICT, "status", "objection_open");
    // A notice cannot be closed by hand before its end either.
    let r = t.post(&format!("/api/v1/notices/{notice_id}/close"), json!({}), &staff).await;
    assert_rule(&r, StatusCode::CONFLICT, "status", "notice_not_finished");
    assert_eq!(decide(t, &staff, 999_999, 1, "reject").await.status, StatusCode::NOT_FOUND);

    // Malformed JSON and wrong types are 400, naming the field.
    let r = raw_post(t, "/api/v1/deals", "{\"title\": ", &staff, Some("application/json")).await;
    assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "bad_request".to_string()));
    let r = raw_post(t, "/api/v1/deals", "{}", &staff, None).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let wrong_types = [
        ("price", json!(true)),
        ("achievement_ids", json!("1")),
        ("counterparty_id", json!("丙企业")),
        ("related_party", json!("yes")),
        ("surprise", json!(1)),
    ];
    for (field, value) in wrong_types {
        let mut input = deal_input("类型错误", "transfer", "agreement", "1", Some(ent), &[a]);
        input[field] = value;
        let r = t.post("/api/v1/deals", input, &staff).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{field}: {}", r.text());
        assert_eq!(r.json()["error"]["details"][0]["code"], "invalid_json");
        if field != "surprise" {
            assert_eq!(r.error_field(), field);
        }
    }
    let r = step(t, &staff, id, "complete", json!({ "version": "2" })).await;
    assert_eq!((r.status, r.error_field()), (StatusCode::BAD_REQUEST, "version".to_string()));
    let r = step(t, &staff, id, "fly", json!({ "version": 2 })).await;
    assert_rule(&r, StatusCode::BAD_REQUEST, "step", "unknown_choice");
    let r = t
        .post(
            &format!("/api/v1/notices/{notice_id}/objections"),
            json!({ "name": "王某", "content": "x" }),
            &Auth::None,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = raw_post(
        t,
        &format!("/api/v1/notices/{notice_id}/objections"),
        "not json",
        &Auth::None,
        Some("application/json"),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    // Terms that break the rules.
    let cases = [
        (deal_input(" ", "transfer", "agreement", "1", Some(ent), &[a]), "title", "required"),
        (deal_input("x", "gift", "agreement", "1", Some(ent), &[a]), "mode", "unknown_choice"),
        (deal_input("x", "transfer", "lottery", "1", Some(ent), &[a]), "route", "unknown_choice"),
        (deal_input("x", "transfer", "agreement", "0", Some(ent), &[a]), "price", "out_of_range"),
        (deal_input("x", "transfer", "agreement", "-5", Some(ent), &[a]), "price", "negative"),
        (deal_input("x", "transfer", "agreement", "1", None, &[a]), "counterparty", "required"),
        (deal_input("x", "transfer", "agreement", "1", Some(ent), &[]), "achievements", "required"),
        (deal_input("x", "transfer", "agreement", "1", Some(ent), &[999_999]), "achievements", "unknown_choice"),
        (deal_input("x", "transfer", "agreement", "1", Some(una), &[a]), "counterparty", "counterparty_is_seller"),
        (deal_input("x", "transfer", "agreement", "1", Some(999_999), &[a]), "counterparty", "unknown_choice"),
    ];
    for (input, field, code) in cases {
        let r = t.post("/api/v1/deals", input.clone(), &staff).await;
        assert_rule(&r, StatusCode::UNPROCESSABLE_ENTITY, field, code);
    }
    let mut related = deal_input("关联交易", "transfer", "agreement", "1", Some(ent), &[a]);
    related["related_party"] = json!(true);
    assert_rule(
        &t.post("/api/v1/deals", related, &staff).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "related_party_note",
        "required",
    );
    // An achievement already in a running deal; only non-exclusive licences may share one.
    let r =
        t.post("/api/v1/deals", deal_input("再次转让", "transfer", "agreement", "1", Some(ent), &[a]), &staff).await;
    assert_rule(&r, StatusCode::UNPROCESSABLE_ENTITY, "achievements", "achievement_in_deal");
    let shared = achievement(t, &staff, "普通许可的成果").await;
    for n in 1..=2 {
        let input =
            deal_input(&format!("普通许可 {n}"), "licence_non_exclusive", "agreement", "1000", Some(ent), &[shared]);
        assert_eq!(t.post("/api/v1/deals", input, &staff).await.status, StatusCode::CREATED);
    }
    let r = t
        .post(
            "/api/v1/deals",
            deal_input("独占许可", "licence_exclusive", "agreement", "1000", Some(ent), &[shared]),
            &staff,
        )
        .await;
    assert_rule(&r, StatusCode::UNPROCESSABLE_ENTITY, "achievements", "achievement_in_deal");
    // A draft achievement is not available.
    let draft = achievement_via(t, &staff, "草稿成果", &[], |_| {}).await;
    let r = t.post("/api/v1/deals", deal_input("x", "transfer", "agreement", "1", Some(ent), &[draft]), &staff).await;
    assert_rule(&r, StatusCode::UNPROCESSABLE_ENTITY, "achievements", "achievement_not_available");
    // A confidential achievement may be agreement-priced but never put on the market.
    let secret =
        achievement_via(t, &staff, "保密的成果", &["register"], |v| v["confidentiality"] = json!("confidential")).await;
    for route in ["listing", "auction"] {
        let r = t.post("/api/v1/deals", deal_input("x", "transfer", route, "1", None, &[secret]), &staff).await;
        assert_rule(&r, StatusCode::UNPROCESSABLE_ENTITY, "achievements", "confidential_on_market");
    }
    let agreed =
        create_deal(t, &staff, deal_input("保密成果协议转让", "transfer", "agreement", "1", Some(ent), &[secret]))
            .await;
    let mut onto_market = deal_input("保密成果协议转让", "transfer", "listing", "1", None, &[secret]);
    onto_market["version"] = json!(1);
    let r = t.put(&format!("/api/v1/deals/{agreed}"), onto_market, &staff).await;
    assert_rule(&r, StatusCode::UNPROCESSABLE_ENTITY, "achievements", "confidential_on_market");

    // Universities neither buy nor bid.
    let b = achievement(t, &staff, "上市的成果").await;
    let listed = create_deal(t, &staff, deal_input("挂牌", "transfer", "listing", "1000", None, &[b])).await;
    let r = step(
        t,
        &staff,
        listed,
        "list",
        json!({ "version": 1, "ends_at": at(t, Duration::days(12)), "increment": "100" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let listing = r.json()["listings"][0]["id"].as_i64().unwrap();
    let c = achievement(t, &staff, "竞价的成果").await;
    let auctioned = create_deal(t, &staff, deal_input("拍卖", "transfer", "auction", "100,000", None, &[c])).await;
    let r = step(t, &staff, auctioned, "start_auction", json!({ "version": 1, "ends_at": at(t, Duration::hours(1)) }))
        .await;
    assert_rule(&r, StatusCode::UNPROCESSABLE_ENTITY, "increment", "required");
    let r = step(t, &staff, auctioned, "start_auction", json!({ "version": 1, "increment": "100" })).await;
    assert_rule(&r, StatusCode::BAD_REQUEST, "ends_at", "required");
    let r =
        step(t, &staff, auctioned, "start_auction", json!({ "version": 1, "ends_at": "tomorrow", "increment": "100" }))
            .await;
    assert_rule(&r, StatusCode::BAD_REQUEST, "ends_at", "invalid_format");
    let r = step(
        t,
        &staff,
        auctioned,
        "start_auction",
        json!({ "version": 1, "ends_at": at(t, -Duration::hours(1)), "increment": "100" }),
    )
    .await;
    assert_rule(&r, StatusCode::UNPROCESSABLE_ENTITY, "ends_at", "in_the_past");
    let r = step(
        t,
        &staff,
        auctioned,
        "start_auction",
        json!({ "version": 1, "ends_at": at(t, Duration::hours(1)), "increment": "5,000" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let aid = r.json()["auctions"][0]["id"].as_i64().unwrap();
    for university in [&staff, &admin_b] {
        let r = t.post(&format!("/api/v1/listings/{listing}/interest"), json!({}), university).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::FORBIDDEN, "forbidden".to_string()));
        let r = bid(t, university, aid, "100000").await;
        assert_eq!((r.status, r.error_code()), (StatusCode::FORBIDDEN, "forbidden".to_string()));
    }
    // Bidders must be registered and approved.
    assert_rule(&bid(t, &investor, aid, "100000").await, StatusCode::CONFLICT, "bidder", "bidder_not_approved");
    assert_eq!(
        t.post(&format!("/api/v1/auctions/{aid}/bidders"), json!({}), &enterprise).await.status,
        StatusCode::CREATED
    );
    assert_rule(&bid(t, &enterprise, aid, "100000").await, StatusCode::CONFLICT, "bidder", "bidder_not_approved");
    let inv = t.institution("INV").await.0;
    assert_eq!(
        t.post(&format!("/api/v1/auctions/{aid}/bidders"), json!({}), &investor).await.status,
        StatusCode::CREATED
    );
    assert_eq!(bidder_decision(t, &staff, aid, inv, "reject").await.json()["status"], "rejected");
    assert_rule(&bid(t, &investor, aid, "100000").await, StatusCode::CONFLICT, "bidder", "bidder_not_approved");
    assert_eq!(bidder_decision(t, &staff, aid, ent, "approve").await.status, StatusCode::OK);
    // The reserve, then the increment.
    assert_rule(
        &bid(t, &enterprise, aid, "99,999.99").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "amount",
        "below_reserve",
    );
    assert_rule(&bid(t, &enterprise, aid, "").await, StatusCode::UNPROCESSABLE_ENTITY, "amount", "required");
    assert_rule(&bid(t, &enterprise, aid, "lots").await, StatusCode::UNPROCESSABLE_ENTITY, "amount", "invalid_format");
    let r = t.post(&format!("/api/v1/auctions/{aid}/bids"), json!({ "amount": [1] }), &enterprise).await;
    assert_eq!((r.status, r.error_field()), (StatusCode::BAD_REQUEST, "amount".to_string()));
    assert_eq!(bid(t, &enterprise, aid, "100000").await.status, StatusCode::CREATED);
    assert_rule(
        &bid(t, &enterprise, aid, "104999.99").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "amount",
        "below_increment",
    );
    assert_rule(
        &bid(t, &enterprise, aid, "100000").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "amount",
        "below_increment",
    );
    assert_eq!(bid(t, &enterprise, aid, "105000").await.status, StatusCode::CREATED);
    assert_eq!(bid(t, &enterprise, 999_999, "105000").await.status, StatusCode::NOT_FOUND);

    // After the end: no bids, no objections.
    t.clock.advance(Duration::days(15));
    assert_rule(&bid(t, &enterprise, aid, "200000").await, StatusCode::CONFLICT, "auction", "auction_closed");
    let report = t.app.run_due_tasks().await.unwrap();
    assert_eq!(report.auctions_closed, 1);
    assert_eq!(report.notices_waiting, 1, "the notice waits for its open objection");
    assert_rule(&bid(t, &enterprise, aid, "200000").await, StatusCode::CONFLICT, "auction", "auction_closed");
    let r = t.post(&format!("/api/v1/auctions/{aid}/bidders"), json!({}), &t.token("poc").await).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "a proof-of-concept member is no buyer");
    assert_rule(
        &t.post(&format!("/api/v1/auctions/{aid}/bidders"), json!({}), &investor).await,
        StatusCode::CONFLICT,
        "auction",
        "auction_closed",
    );
    let r = objection(t, notice_id, "13900000001").await;
    assert_rule(&r, StatusCode::CONFLICT, "notice", "notice_not_open");
    // Closing by hand waits for the objection too; then it fixes the price like the task.
    let close = format!("/api/v1/notices/{notice_id}/close");
    assert_rule(&t.post(&close, json!({}), &staff).await, StatusCode::CONFLICT, "status", "objection_open");
    assert_eq!(t.post(&close, json!({}), &admin_b).await.status, StatusCode::NOT_FOUND);
    assert_eq!(decide(t, &staff, open_objection, 1, "reject").await.status, StatusCode::OK);
    let r = t.post(&close, json!({}), &staff).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!((r.json()["status"].as_str(), r.json()["closed_on"].as_str()), (Some("closed"), Some("2026-12-15")));
    assert_eq!(r.json()["objections"].as_array().unwrap().len(), 1);
    let d = detail(t, &staff, id).await;
    assert_eq!((d["deal"]["status"].as_str(), d["deal"]["final_price"].as_str()), (Some("priced"), Some("900000.00")));
    assert_rule(&t.post(&close, json!({}), &staff).await, StatusCode::CONFLICT, "status", "notice_not_open");
    assert_eq!(t.app.run_due_tasks().await.unwrap().notices_closed, 0);
});

// ---------------------------------------------------------------------------------------
// 6. Technical contracts: schedule, registration (认定登记), payments, filters
// ---------------------------------------------------------------------------------------

on_every_backend!(technical_contracts_registration_and_payments, |t| {
    let staff = t.token("staff.a").await;
    let ent = t.institution("ENT").await.0;
    let una = t.institution("UNA").await.0;
    let a = achievement(t, &staff, "签合同的成果").await;
    let deal =
        create_deal(t, &staff, deal_input("专利转让", "transfer", "agreement", "1,000,000", Some(ent), &[a])).await;
    let schedule = [("2027-06-01", "700,000"), ("2026-12-01", "300000")];

    // The schedule adds up to the amount, to the fen.
    let r = t
        .post(
            "/api/v1/contracts",
            contract_input(Some(deal), ent, "1,000,000", &[("2026-12-01", "300000"), ("2027-06-01", "699999.99")]),
            &staff,
        )
        .await;
    assert_rule(&r, StatusCode::UNPROCESSABLE_ENTITY, "schedule", "schedule_total");
    assert_rule(
        &t.post("/api/v1/contracts", contract_input(Some(deal), ent, "1000000", &[]), &staff).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "schedule",
        "required",
    );
    assert_rule(
        &t.post("/api/v1/contracts", contract_input(Some(deal), una, "1000000", &schedule), &staff).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "buyer",
        "counterparty_is_seller",
    );
    assert_rule(
        &t.post("/api/v1/contracts", contract_input(Some(999_999), ent, "1000000", &schedule), &staff).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "deal_id",
        "unknown_choice",
    );
    let mut bad = contract_input(Some(deal), ent, "1000000", &schedule);
    bad["category"] = json!("gift");
    bad["signed_on"] = json!("2026-13-01");
    let r = t.post("/api/v1/contracts", bad, &staff).await;
    assert_rule(&r, StatusCode::UNPROCESSABLE_ENTITY, "category", "unknown_choice");
    assert_rule(&r, StatusCode::UNPROCESSABLE_ENTITY, "signed_on", "invalid_format");
    let r = t.post("/api/v1/contracts", json!({ "category": "transfer" }), &staff).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    let r = t.post("/api/v1/contracts", contract_input(Some(deal), ent, "1,000,000", &schedule), &staff).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let c = r.json();
    let id = c["id"].as_i64().unwrap();
    assert_eq!(c["deal_id"], deal);
    assert_eq!(c["institution_id"], una);
    assert_eq!(c["buyer"], "丙企业");
    assert_eq!(c["amount"], "1000000.00");
    assert_eq!(
        c["schedule"],
        json!([{ "due_on": "2026-12-01", "amount": "300000.00" }, { "due_on": "2027-06-01", "amount": "700000.00" }])
    );
    assert_eq!((c["received"].as_str(), c["outstanding"].as_str()), (Some("0.00"), Some("1000000.00")));
    assert_eq!(c["registration"], Value::Null);
    assert_eq!(detail(t, &staff, deal).await["contracts"][0]["id"], id);

    // Registration (认定登记): not before signing, not above the amount, not in the future.
    let registration = |version: i64, on: &str, certified: &str| json!({ "version": version, "number": "12010120260001", "registered_on": on, "certified_amount": certified, "authority": "天津市技术市场管理办公室" });
    let path = format!("/api/v1/contracts/{id}/registration");
    assert_rule(
        &t.post(&path, registration(1, "2026-11-19", "1000000"), &staff).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "registered_on",
        "before_signing",
    );
    assert_rule(
        &t.post(&path, registration(1, "2026-11-25", "1000000.01"), &staff).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "certified_amount",
        "certified_above_amount",
    );
    assert_rule(
        &t.post(&path, registration(1, "2026-12-25", "1000000"), &staff).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "registered_on",
        "in_the_future",
    );
    assert_rule(
        &t.post(&path, registration(9, "2026-11-25", "1000000"), &staff).await,
        StatusCode::CONFLICT,
        "version",
        "stale_version",
    );
    let r = t.post(&path, registration(1, "2026-11-25", "950,000"), &staff).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["registration"]["number"], "12010120260001");
    assert_eq!(r.json()["registration"]["certified_amount"], "950000.00");
    assert_eq!(r.json()["version"], 2);
    assert_rule(
        &t.post(&path, registration(2, "2026-11-26", "1000000"), &staff).await,
        StatusCode::CONFLICT,
        "registration_number",
        "already_registered",
    );

    // Payments: never more than the amount.
    let pay = |version: i64, amount: &str, on: &str| json!({ "version": version, "amount": amount, "received_on": on, "reference": "银行回单" });
    let path = format!("/api/v1/contracts/{id}/payments");
    let r = t.post(&path, pay(2, "300,000", "2026-11-25"), &staff).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(
        (r.json()["received"].as_str(), r.json()["outstanding"].as_str()),
        (Some("300000.00"), Some("700000.00"))
    );
    assert_rule(
        &t.post(&path, pay(3, "700000.01", "2026-11-26"), &staff).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "amount",
        "payments_exceed_amount",
    );
    assert_rule(
        &t.post(&path, pay(3, "1", "2026-11-19"), &staff).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "received_on",
        "before_signing",
    );
    assert_rule(
        &t.post(&path, pay(3, "1", "2026-11-30"), &staff).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "received_on",
        "in_the_future",
    );
    assert_rule(
        &t.post(&path, pay(3, "0", "2026-11-26"), &staff).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "amount",
        "out_of_range",
    );
    assert_rule(
        &t.post(&path, pay(2, "1", "2026-11-26"), &staff).await,
        StatusCode::CONFLICT,
        "version",
        "stale_version",
    );
    let r = t.post(&path, pay(3, "700000", "2026-11-28"), &staff).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!((r.json()["received"].as_str(), r.json()["outstanding"].as_str()), (Some("1000000.00"), Some("0.00")));
    assert_eq!(r.json()["payments"].as_array().unwrap().len(), 2);
    assert_rule(
        &t.post(&path, pay(4, "0.01", "2026-11-28"), &staff).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "amount",
        "payments_exceed_amount",
    );

    // A second contract without a deal; the list filters.
    let mut licence = contract_input(None, ent, "50000", &[("2027-01-01", "50000")]);
    licence["category"] = json!("licence");
    licence["title"] = json!("技术许可合同");
    let r = t.post("/api/v1/contracts", licence, &staff).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["deal_id"], Value::Null);
    let other = r.json()["id"].as_i64().unwrap();
    let ids = |body: Value| body.as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect::<Vec<_>>();
    let mut all = ids(t.get("/api/v1/contracts", &staff).await.json());
    all.sort();
    assert_eq!(all, [id, other]);
    assert_eq!(ids(t.get(&format!("/api/v1/contracts?deal_id={deal}"), &staff).await.json()), [id]);
    assert_eq!(ids(t.get("/api/v1/contracts?registered=true", &staff).await.json()), [id]);
    assert_eq!(ids(t.get("/api/v1/contracts?registered=false", &staff).await.json()), [other]);
    assert_eq!(ids(t.get("/api/v1/contracts?category=licence", &staff).await.json()), [other]);
    assert_eq!(
        ids(t.get("/api/v1/contracts?category=transfer&registered=false", &staff).await.json()),
        Vec::<i64>::new()
    );
    let rows = t.get("/api/v1/contracts?deal_id=", &staff).await.json();
    assert_eq!(rows.as_array().unwrap().len(), 2, "an empty filter is no filter");
    let row = t.get(&format!("/api/v1/contracts?deal_id={deal}"), &staff).await.json()[0].clone();
    assert_eq!((row["registered"].as_bool(), row["received"].as_str()), (Some(true), Some("1000000.00")));
    assert_rule(
        &t.get("/api/v1/contracts?category=gift", &staff).await,
        StatusCode::BAD_REQUEST,
        "category",
        "unknown_choice",
    );
    assert_rule(
        &t.get("/api/v1/contracts?registered=maybe", &staff).await,
        StatusCode::BAD_REQUEST,
        "registered",
        "invalid_format",
    );
    assert_rule(
        &t.get("/api/v1/contracts?deal_id=x", &staff).await,
        StatusCode::BAD_REQUEST,
        "deal_id",
        "invalid_format",
    );

    // Who else sees them: the regulator reads, the other university and buyers do not.
    let regulator = t.token("regulator").await;
    assert_eq!(t.get(&format!("/api/v1/contracts/{id}"), &regulator).await.status, StatusCode::OK);
    assert_eq!(t.post(&path, pay(4, "1", "2026-11-28"), &regulator).await.status, StatusCode::FORBIDDEN);
    let outsider = t.token("staff.b").await;
    assert_eq!(t.get("/api/v1/contracts", &outsider).await.json(), json!([]));
    assert_eq!(t.get(&format!("/api/v1/contracts/{id}"), &outsider).await.status, StatusCode::NOT_FOUND);
    assert_eq!(t.get("/api/v1/contracts", &t.token("enterprise").await).await.status, StatusCode::FORBIDDEN);
    assert_eq!(t.get("/api/v1/contracts", &Auth::None).await.status, StatusCode::UNAUTHORIZED);
    let audit = t.get(&format!("/api/v1/audit?entity_type=tech_contract&entity_id={id}"), &regulator).await.json();
    assert_eq!(audit["total"], 4, "create, register, two payments");
});

// ---------------------------------------------------------------------------------------
// 7. Central release of unconverted fiscally funded achievements
// ---------------------------------------------------------------------------------------

on_every_backend!(central_release_of_unconverted_fiscal_achievements, |t| {
    let staff = t.token("staff.a").await;
    let admin = t.token("admin.a").await;
    let admin_b = t.token("admin.b").await;
    let staff_b = t.token("staff.b").await;
    let regulator = t.token("regulator").await;
    let completed = |day: &'static str| move |v: &mut Value| v["completion_date"] = json!(day);
    // Three years before 29 Nov 2026 is 29 Nov 2023: completed on or before it, fiscal,
    // registered or promoting, never converted.
    let old = achievement_via(t, &staff, "三年前完成的财政成果", &["register"], completed("2023-06-30")).await;
    let boundary =
        achievement_via(t, &staff, "恰好三年的财政成果", &["register", "publish"], completed("2023-11-29")).await;
    let recent = achievement_via(t, &staff, "未满三年的财政成果", &["register"], completed("2023-11-30")).await;
    let private = achievement_via(t, &staff, "非财政的旧成果", &["register"], |v| {
        v["completion_date"] = json!("2022-01-01");
        v["funding_source"] = json!("non_fiscal");
    })
    .await;
    let confidential = achievement_via(t, &staff, "保密的旧成果", &["register"], |v| {
        v["completion_date"] = json!("2022-01-01");
        v["confidentiality"] = json!("confidential");
    })
    .await;
    let draft = achievement_via(t, &staff, "草稿的旧成果", &[], completed("2022-01-01")).await;
    let converted = achievement_via(t, &staff, "已转化的旧成果", &["register"], completed("2022-01-01")).await;
    let r = t
        .post(
            &format!("/api/v1/achievements/{converted}/conversions"),
            json!({ "mode": "licence", "value": "10000", "occurred_on": "2026-01-10", "counterparty": "丙企业", "reference": "许可合同 9" }),
            &staff,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let unb = achievement_via(t, &staff_b, "乙的旧财政成果", &["register"], completed("2021-05-01")).await;

    let candidates = t.get("/api/v1/releases/candidates", &admin).await;
    assert_eq!(candidates.status, StatusCode::OK, "{}", candidates.text());
    let candidates = candidates.json();
    assert_eq!(candidates["completed_by"], "2023-11-29");
    assert_eq!(candidates["years"], 3);
    assert!(candidates["rule"].as_str().unwrap().contains("（十四）"), "{}", candidates["rule"]);
    let ids =
        |v: &Value| v.as_array().unwrap().iter().map(|i| i["achievement_id"].as_i64().unwrap()).collect::<Vec<_>>();
    assert_eq!(ids(&candidates["candidates"]), [old, boundary], "oldest first; UNB's are not UNA's business");
    for excluded in [recent, private, confidential, draft, converted] {
        assert!(!ids(&candidates["candidates"]).contains(&excluded));
    }
    let all = t.get("/api/v1/releases/candidates", &regulator).await.json();
    assert_eq!(ids(&all["candidates"]), [unb, old, boundary], "the regulator sees every university's");
    assert_eq!(t.get("/api/v1/releases/candidates", &staff).await.status, StatusCode::FORBIDDEN);
    assert_eq!(t.get("/api/v1/releases/candidates", &Auth::None).await.status, StatusCode::UNAUTHORIZED);

    // A campaign of candidates only.
    let campaign = |ids: &[i64]| json!({ "title": "2026 年第四季度集中发布", "description": "未转化的财政性资金成果", "achievement_ids": ids });
    for not_candidate in [recent, private, unb, 999_999] {
        let r = t.post("/api/v1/releases", campaign(&[old, not_candidate]), &admin).await;
        assert_rule(&r, StatusCode::UNPROCESSABLE_ENTITY, "achievements", "not_a_release_candidate");
    }
    assert_rule(
        &t.post("/api/v1/releases", campaign(&[]), &admin).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "achievements",
        "required",
    );
    assert_eq!(t.post("/api/v1/releases", campaign(&[old]), &staff).await.status, StatusCode::FORBIDDEN);
    let r = t.post("/api/v1/releases", campaign(&[old, boundary, old]), &admin).await;
    assert_rule(&r, StatusCode::UNPROCESSABLE_ENTITY, "achievements", "duplicate");
    let r = t.post("/api/v1/releases", campaign(&[old, boundary]), &admin).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let c = r.json();
    let id = c["id"].as_i64().unwrap();
    assert_eq!(c["status"], "draft");
    assert_eq!(c["published_on"], Value::Null);
    assert_eq!(c["policy_profile"], "tianjin-2023");
    assert_eq!(ids(&c["achievements"]), [old, boundary]);

    // A draft is visible to its institution only.
    assert_eq!(t.get("/api/v1/releases", &Auth::None).await.json(), json!([]));
    assert_eq!(t.get(&format!("/api/v1/releases/{id}"), &Auth::None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(t.get("/api/v1/releases", &admin_b).await.json(), json!([]));
    assert_eq!(t.get(&format!("/api/v1/releases/{id}"), &admin_b).await.status, StatusCode::NOT_FOUND);
    assert_eq!(t.get("/api/v1/releases", &admin).await.json()[0]["id"], id, "its own draft");
    assert_eq!(
        t.post(&format!("/api/v1/releases/{id}/publish"), json!({ "version": 1 }), &admin_b).await.status,
        StatusCode::NOT_FOUND
    );

    // Published: on the public portal.
    assert_rule(
        &t.post(&format!("/api/v1/releases/{id}/publish"), json!({ "version": 3 }), &admin).await,
        StatusCode::CONFLICT,
        "version",
        "stale_version",
    );
    let r = t.post(&format!("/api/v1/releases/{id}/publish"), json!({ "version": 1 }), &admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "published");
    assert_eq!(r.json()["published_on"], "2026-11-29");
    assert_rule(
        &t.post(&format!("/api/v1/releases/{id}/publish"), json!({ "version": 2 }), &admin).await,
        StatusCode::CONFLICT,
        "status",
        "already_published",
    );
    let public = t.get("/api/v1/releases", &Auth::None).await.json();
    assert_eq!(public.as_array().unwrap().len(), 1);
    assert_eq!(public[0]["id"], id);
    assert_eq!(public[0]["institution"], "甲大学");
    assert_eq!(ids(&public[0]["achievements"]), [old, boundary]);
    let one = t.get(&format!("/api/v1/releases/{id}"), &Auth::None).await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.json()["status"], "published");
    assert_eq!(t.get("/api/v1/releases", &admin_b).await.json()[0]["id"], id, "published is public");
    let audit = t.get(&format!("/api/v1/audit?entity_type=release_campaign&entity_id={id}"), &regulator).await.json();
    assert_eq!(audit["total"], 2, "create and publish");
});

// ---------------------------------------------------------------------------------------
// 8. Isolation: another university sees and changes nothing; anonymous callers are refused
// ---------------------------------------------------------------------------------------

on_every_backend!(deals_are_isolated_between_institutions, |t| {
    let staff = t.token("staff.a").await;
    let ent = t.institution("ENT").await.0;
    let a = achievement(t, &staff, "隔离测试的成果").await;
    let id =
        create_deal(t, &staff, deal_input("甲的协议转让", "transfer", "agreement", "66,000", Some(ent), &[a])).await;
    let r = step(
        t,
        &staff,
        id,
        "start_notice",
        json!({ "version": 1, "starts_on": "2026-11-29", "ends_on": "2026-12-31" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let notice = r.json()["notices"][0]["id"].as_i64().unwrap();
    let objection_id = objection(t, notice, "甲的异议人电话").await.json()["id"].as_i64().unwrap();
    let r =
        t.post("/api/v1/contracts", contract_input(Some(id), ent, "66000", &[("2026-12-31", "66000")]), &staff).await;
    let contract = r.json()["id"].as_i64().unwrap();
    let b = achievement(t, &staff, "隔离测试的拍卖成果").await;
    let auctioned = create_deal(t, &staff, deal_input("甲的拍卖", "transfer", "auction", "1000", None, &[b])).await;
    let r = step(
        t,
        &staff,
        auctioned,
        "start_auction",
        json!({ "version": 1, "ends_at": at(t, Duration::hours(3)), "increment": "10" }),
    )
    .await;
    let auction = r.json()["auctions"][0]["id"].as_i64().unwrap();
    let enterprise = t.token("enterprise").await;
    assert_eq!(
        t.post(&format!("/api/v1/auctions/{auction}/bidders"), json!({}), &enterprise).await.status,
        StatusCode::CREATED
    );
    let before = detail(t, &staff, id).await;

    let outsider = t.token("staff.b").await;
    assert_eq!(t.get("/api/v1/deals", &outsider).await.json(), json!([]));
    for path in [
        format!("/api/v1/deals/{id}"),
        format!("/api/v1/deals/{id}/exemption"),
        format!("/api/v1/deals/{id}/evidence-pack"),
        format!("/api/v1/contracts/{contract}"),
        format!("/api/v1/auctions/{auction}"),
    ] {
        let r = t.get(&path, &outsider).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.text());
        assert!(!r.text().contains("甲的协议转让"));
    }
    // The notice itself is public; its objections are not.
    let public = t.get(&format!("/api/v1/notices/{notice}"), &outsider).await;
    assert_eq!(public.status, StatusCode::OK);
    assert_eq!(public.json()["objections"], json!([]));
    assert!(!public.text().contains("甲的异议人电话"));
    let mut change = deal_input("乙的篡改", "transfer", "agreement", "1", Some(ent), &[a]);
    change["version"] = before["deal"]["version"].clone();
    let writes = [
        t.put(&format!("/api/v1/deals/{id}"), change, &outsider).await,
        step(t, &outsider, id, "cancel", json!({ "version": before["deal"]["version"], "reason": "x" })).await,
        step(t, &outsider, id, "complete", json!({ "version": before["deal"]["version"] })).await,
        t.post(&format!("/api/v1/notices/{notice}/close"), json!({}), &outsider).await,
        decide(t, &outsider, objection_id, 1, "uphold").await,
        t.post(&format!("/api/v1/contracts/{contract}/registration"), json!({ "version": 1, "number": "1", "registered_on": "2026-11-28", "certified_amount": "1", "authority": "x" }), &outsider).await,
        t.post(&format!("/api/v1/contracts/{contract}/payments"), json!({ "version": 1, "amount": "1", "received_on": "2026-11-28" }), &outsider).await,
        bidder_decision(t, &outsider, auction, ent, "approve").await,
    ];
    for r in &writes {
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    }
    // Outsiders cannot attach contracts or deals to UNA's records either.
    let r = t.post("/api/v1/contracts", contract_input(Some(id), ent, "1", &[("2026-12-31", "1")]), &outsider).await;
    assert_rule(&r, StatusCode::UNPROCESSABLE_ENTITY, "deal_id", "unknown_choice");
    let r =
        t.post("/api/v1/deals", deal_input("乙的交易", "transfer", "agreement", "1", Some(ent), &[a]), &outsider).await;
    assert_rule(&r, StatusCode::UNPROCESSABLE_ENTITY, "achievements", "unknown_choice");

    // Anonymous callers get 401 on every internal route.
    for path in [
        "/api/v1/deals".to_string(),
        format!("/api/v1/deals/{id}"),
        format!("/api/v1/deals/{id}/exemption"),
        format!("/api/v1/deals/{id}/evidence-pack"),
        "/api/v1/contracts".to_string(),
        format!("/api/v1/contracts/{contract}"),
        format!("/api/v1/auctions/{auction}"),
        "/api/v1/releases/candidates".to_string(),
    ] {
        assert_eq!(t.get(&path, &Auth::None).await.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    for (path, body) in [
        (format!("/api/v1/deals/{id}/cancel"), json!({ "version": 1, "reason": "x" })),
        (format!("/api/v1/notices/{notice}/close"), json!({})),
        (
            format!("/api/v1/objections/{objection_id}/decision"),
            json!({ "version": 1, "decision": "uphold", "response": "x" }),
        ),
        (format!("/api/v1/auctions/{auction}/bids"), json!({ "amount": "1000" })),
    ] {
        assert_eq!(t.post(&path, body, &Auth::None).await.status, StatusCode::UNAUTHORIZED, "{path}");
    }

    // Buyers and the exchange: market roles only.
    assert_eq!(t.get("/api/v1/deals", &enterprise).await.status, StatusCode::FORBIDDEN);
    assert_eq!(t.get(&format!("/api/v1/auctions/{auction}"), &enterprise).await.status, StatusCode::FORBIDDEN);
    let exchange = t.token("exchange").await;
    assert_eq!(t.get("/api/v1/deals", &exchange).await.status, StatusCode::FORBIDDEN);
    assert_eq!(t.get(&format!("/api/v1/auctions/{auction}"), &exchange).await.status, StatusCode::OK);
    // The regulator reads everything and changes nothing.
    let regulator = t.token("regulator").await;
    assert_eq!(t.get(&format!("/api/v1/deals/{id}"), &regulator).await.status, StatusCode::OK);
    assert_eq!(t.get(&format!("/api/v1/deals/{id}/evidence-pack"), &regulator).await.status, StatusCode::OK);
    assert_eq!(
        step(t, &regulator, id, "cancel", json!({ "version": 2, "reason": "x" })).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(decide(t, &regulator, objection_id, 1, "reject").await.status, StatusCode::FORBIDDEN);

    // Nothing changed.
    let after = detail(t, &staff, id).await;
    assert_eq!(before, after);
    assert_eq!(after["notices"][0]["objections"][0]["status"], "open");
    let c = t.get(&format!("/api/v1/contracts/{contract}"), &staff).await.json();
    assert_eq!(
        (c["version"].as_i64(), c["registration"].is_null(), c["received"].as_str()),
        (Some(1), true, Some("0.00"))
    );
    let auction_now = t.get(&format!("/api/v1/auctions/{auction}"), &staff).await.json();
    assert_eq!(auction_now["bidders"][0]["status"], "registered");
    assert_eq!(t.get("/api/v1/deals", &staff).await.json().as_array().unwrap().len(), 2, "no deal was added to UNA");
});

// ---------------------------------------------------------------------------------------
// Edge cases found while testing
// ---------------------------------------------------------------------------------------

on_every_backend!(an_objection_left_on_a_terminated_notice_does_not_disturb_the_next_one, |t| {
    let staff = t.token("staff.a").await;
    let ent = t.institution("ENT").await.0;
    let a = achievement(t, &staff, "两次公示的成果").await;
    let id = create_deal(t, &staff, deal_input("两次公示", "transfer", "agreement", "300000", Some(ent), &[a])).await;
    let r = step(
        t,
        &staff,
        id,
        "start_notice",
        json!({ "version": 1, "starts_on": "2026-11-29", "ends_on": "2026-12-13" }),
    )
    .await;
    let first = r.json()["notices"][0]["id"].as_i64().unwrap();
    let upheld = objection(t, first, "a@example.invalid").await.json()["id"].as_i64().unwrap();
    let left = objection(t, first, "b@example.invalid").await.json()["id"].as_i64().unwrap();
    assert_eq!(decide(t, &staff, upheld, 1, "uphold").await.status, StatusCode::OK);
    let ver = version(t, &staff, id).await;
    let r = step(
        t,
        &staff,
        id,
        "start_notice",
        json!({ "version": ver, "starts_on": "2026-11-30", "ends_on": "2026-12-14" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let second = r.json()["notices"][1]["id"].as_i64().unwrap();

    // The objection still open on the first notice is answered while the second runs: it
    // concerns a notice that already ended, so the running one and the deal stay as they are.
    let r = decide(t, &staff, left, 1, "uphold").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "upheld");
    let v = detail(t, &staff, id).await;
    assert_eq!(v["deal"]["status"], "noticing");
    assert_eq!(v["notices"][1]["status"], "open");
    assert_eq!(v["notices"][0]["status"], "terminated");

    t.clock.advance(Duration::days(16));
    let report = t.app.run_due_tasks().await.unwrap();
    assert_eq!((report.notices_closed, report.notices_waiting), (1, 0));
    let v = detail(t, &staff, id).await;
    assert_eq!(v["deal"]["status"], "priced");
    assert_eq!(v["notices"][1]["id"], second);
    assert_eq!(v["exemption"]["qualifies"], true);
    let r = step(t, &staff, id, "complete", json!({ "version": v["deal"]["version"] })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    evidence_pack(t, &staff, id).await;
});

on_every_backend!(release_candidates_on_the_29th_of_february, |t| {
    let admin = t.token("admin.a").await;
    let staff = t.token("staff.a").await;
    let completed = |day: &'static str| move |v: &mut Value| v["completion_date"] = json!(day);
    let old = achievement_via(t, &staff, "2024 年完成的财政成果", &["register"], completed("2024-06-30")).await;
    let recent = achievement_via(t, &staff, "2026 年完成的财政成果", &["register"], completed("2026-06-30")).await;
    // 29 Feb 2028: three years earlier there is no 29 February.
    let leap_day = time::macros::date!(2028 - 02 - 29);
    t.clock.advance(leap_day - t.app.today());
    assert_eq!(t.app.today(), leap_day);
    let c = t.get("/api/v1/releases/candidates", &admin).await.json();
    let ids: Vec<i64> =
        c["candidates"].as_array().unwrap().iter().map(|i| i["achievement_id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [old], "{c}");
    assert!(!ids.contains(&recent));
    assert_eq!(c["completed_by"], "2025-02-28");
});

on_every_backend!(a_pack_missing_one_of_its_files_does_not_verify, |t| {
    let staff = t.token("staff.a").await;
    let ent = t.institution("ENT").await.0;
    let a = achievement(t, &staff, "证据包的成果").await;
    let id = create_deal(t, &staff, deal_input("证据包", "transfer", "agreement", "1000", Some(ent), &[a])).await;
    let files = evidence_pack(t, &staff, id).await;
    // Removing a file and its manifest line is tampering too.
    for name in ["summary.html", "market.json", "contracts.json", "verdict.json"] {
        let mut cut: Files = files.iter().filter(|(n, _)| n != name).cloned().collect();
        let mut manifest = file_json(&cut, "manifest.json");
        manifest["files"].as_array_mut().unwrap().retain(|f| f["name"] != name);
        put_file(&mut cut, "manifest.json", serde_json::to_vec_pretty(&manifest).unwrap());
        assert_eq!(verify(t, &cut).await, Err(PackProblem::FileMissing(name.into())), "{name}");
    }
});

on_every_backend!(cancelling_ends_the_running_notice_listing_or_auction, |t| {
    let staff = t.token("staff.a").await;
    let enterprise = t.token("enterprise").await;
    let ent = t.institution("ENT").await.0;
    let (a, b, c) = (
        achievement(t, &staff, "撤回的公示成果").await,
        achievement(t, &staff, "撤回的挂牌成果").await,
        achievement(t, &staff, "撤回的拍卖成果").await,
    );
    let noticed =
        create_deal(t, &staff, deal_input("撤回公示", "transfer", "agreement", "1000", Some(ent), &[a])).await;
    let listed = create_deal(t, &staff, deal_input("撤回挂牌", "transfer", "listing", "1000", None, &[b])).await;
    let auctioned = create_deal(t, &staff, deal_input("撤回拍卖", "transfer", "auction", "1000", None, &[c])).await;
    let r = step(
        t,
        &staff,
        noticed,
        "start_notice",
        json!({ "version": 1, "starts_on": "2026-11-29", "ends_on": "2026-12-13" }),
    )
    .await;
    let notice = r.json()["notices"][0]["id"].as_i64().unwrap();
    let r = step(
        t,
        &staff,
        listed,
        "list",
        json!({ "version": 1, "ends_at": at(t, Duration::days(10)), "increment": "10" }),
    )
    .await;
    let listing = r.json()["listings"][0]["id"].as_i64().unwrap();
    let r = step(
        t,
        &staff,
        auctioned,
        "start_auction",
        json!({ "version": 1, "ends_at": at(t, Duration::hours(1)), "increment": "10" }),
    )
    .await;
    let auction = r.json()["auctions"][0]["id"].as_i64().unwrap();
    assert_eq!(
        t.post(&format!("/api/v1/auctions/{auction}/bidders"), json!({}), &enterprise).await.status,
        StatusCode::CREATED
    );
    assert_eq!(bidder_decision(t, &staff, auction, ent, "approve").await.status, StatusCode::OK);
    assert_eq!(bid(t, &enterprise, auction, "1000").await.status, StatusCode::CREATED);

    // The list filters.
    let ids = |body: Value| body.as_array().unwrap().iter().map(|d| d["id"].as_i64().unwrap()).collect::<Vec<_>>();
    assert_eq!(ids(t.get("/api/v1/deals?status=noticing", &staff).await.json()), [noticed]);
    assert_eq!(ids(t.get("/api/v1/deals?route=auction", &staff).await.json()), [auctioned]);
    assert_eq!(ids(t.get("/api/v1/deals?route=listing&status=listed", &staff).await.json()), [listed]);
    assert_rule(&t.get("/api/v1/deals?status=sold", &staff).await, StatusCode::BAD_REQUEST, "status", "unknown_choice");
    assert_rule(
        &t.get("/api/v1/deals?achievement_id=x", &staff).await,
        StatusCode::BAD_REQUEST,
        "achievement_id",
        "invalid_format",
    );

    // Cancelling needs a reason, and ends whatever runs.
    let r = step(t, &staff, noticed, "cancel", json!({ "version": 2 })).await;
    assert_rule(&r, StatusCode::UNPROCESSABLE_ENTITY, "cancel_reason", "required");
    for id in [noticed, listed, auctioned] {
        let ver = version(t, &staff, id).await;
        let r = step(t, &staff, id, "cancel", json!({ "version": ver, "reason": "学校决定暂缓转化" })).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.json()["deal"]["status"], "cancelled");
        assert_eq!(r.json()["deal"]["cancel_reason"], "学校决定暂缓转化");
        assert_eq!(r.json()["actions"], json!([]));
    }
    assert_eq!(detail(t, &staff, noticed).await["notices"][0]["status"], "terminated");
    assert_rule(&objection(t, notice, "x").await, StatusCode::CONFLICT, "notice", "notice_not_open");
    assert!(!t.get("/api/v1/notices", &Auth::None).await.json().as_array().unwrap().iter().any(|n| n["id"] == notice));
    let l = detail(t, &staff, listed).await;
    assert_eq!(
        (l["listings"][0]["status"].as_str(), l["listings"][0]["outcome"].as_str()),
        (Some("closed"), Some("withdrawn"))
    );
    let r = t.post(&format!("/api/v1/listings/{listing}/interest"), json!({}), &enterprise).await;
    assert_rule(&r, StatusCode::CONFLICT, "listing", "listing_closed");
    let au = t.get(&format!("/api/v1/auctions/{auction}"), &staff).await.json();
    assert_eq!((au["status"].as_str(), au["winner_id"].as_i64()), (Some("closed"), None));
    assert_rule(&bid(t, &enterprise, auction, "2000").await, StatusCode::CONFLICT, "auction", "auction_closed");
    assert!(
        t.get("/api/v1/market", &Auth::None)
            .await
            .json()
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["deal_id"] != listed && e["deal_id"] != auctioned)
    );
    // Nothing is left for the scheduled task; the achievements are free for a new deal.
    t.clock.advance(Duration::days(20));
    assert_eq!(t.app.run_due_tasks().await.unwrap(), tto_app::tasks::TaskReport::default());
    create_deal(t, &staff, deal_input("重新转让", "transfer", "agreement", "1000", Some(ent), &[a, b, c])).await;
    // A cancelled deal's pack verifies too.
    let files = evidence_pack(t, &staff, auctioned).await;
    assert_eq!(file_json(&files, "deal.json")["snapshot"]["status"], "cancelled");
    assert_eq!(file_json(&files, "verdict.json")["qualifies"], false);
});
