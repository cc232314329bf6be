//! Income distribution (measures 十一 and 十六) through the real router, on every backend:
//! the public preview calculator against a table of hand-computed cases, the enterprise
//! income-tax calculator, the workflow of a distribution (university rule, approval, public
//! notice with an upheld objection, payment, tax view, statement, register, cancel) and who
//! may see and do what.

mod common;

use axum::http::StatusCode;
use common::{Auth, Reply, TestApp};
use serde_json::{Value, json};
use time::Duration;

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

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

/// The message of the error detail naming `field`.
fn detail_message(r: &Reply, field: &str) -> String {
    r.json()["error"]["details"]
        .as_array()
        .and_then(|d| d.iter().find(|d| d["field"] == field))
        .and_then(|d| d["message"].as_str())
        .unwrap_or_default()
        .to_string()
}

/// A wire amount in its unit: yuan with two decimals → fen; whole shares → shares.
fn units(s: &str) -> i64 {
    match s.split_once('.') {
        Some((whole, fen)) => {
            assert_eq!(fen.len(), 2, "amounts carry exactly two decimals: {s}");
            let sign = if whole.starts_with('-') { -1 } else { 1 };
            whole.parse::<i64>().unwrap() * 100 + sign * fen.parse::<i64>().unwrap()
        }
        None => s.parse::<i64>().unwrap(),
    }
}

fn str_of(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

/// A line as the table writes it: `[kind, recipient-or-category, amount]`, plus the year on
/// the self-implementation path. TTO, service-fee and institution lines carry no name.
fn line_key(l: &Value) -> Value {
    let kind = str_of(&l["kind"]);
    let who = match kind {
        "deduction" => l["category"].clone(),
        "contributor" => l["recipient"].clone(),
        _ => json!(""),
    };
    let mut key = vec![json!(kind), who, l["amount"].clone()];
    if !l["year"].is_null() {
        key.push(l["year"].clone());
    }
    Value::Array(key)
}

fn cases() -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/distribution_cases.json");
    let text = std::fs::read_to_string(path).expect("the case table");
    serde_json::from_str::<Value>(&text).expect("the case table is JSON").as_array().cloned().unwrap()
}

/// Checks one preview reply against its case; returns the mismatches.
fn check_case(case: &Value, r: &Reply) -> Vec<String> {
    let name = str_of(&case["name"]);
    let mut problems = Vec::new();
    let mut expect_eq = |what: &str, got: &Value, want: &Value| {
        if got != want {
            problems.push(format!("{name}: {what} is {got}, expected {want}"));
        }
    };
    if let Some(e) = case.get("expect_error") {
        expect_eq("status", &json!(r.status.as_u16()), &e["status"]);
        let body: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
        let details = body["error"]["details"].as_array().cloned().unwrap_or_default();
        let hit = details.iter().find(|d| d["field"] == e["field"] && d["code"] == e["code"]);
        match hit {
            None => problems.push(format!("{name}: expected {} / {} in {}", e["field"], e["code"], r.text())),
            Some(d) => {
                if let Some(part) = e.get("message_contains").and_then(Value::as_str)
                    && !str_of(&d["message"]).contains(part)
                {
                    problems.push(format!("{name}: the message {} does not name {part}", d["message"]));
                }
                if let Some(part) = e.get("message_excludes").and_then(Value::as_str)
                    && str_of(&d["message"]).contains(part)
                {
                    problems.push(format!("{name}: the message {} should not contain {part}", d["message"]));
                }
            }
        }
        // When the case lists them: exactly these fields are at fault, nothing more.
        if let Some(fields) = e.get("fields") {
            let got: Vec<Value> = details.iter().map(|d| d["field"].clone()).collect();
            if &Value::Array(got.clone()) != fields {
                problems.push(format!("{name}: fields at fault {got:?}, expected {fields}"));
            }
        }
        return problems;
    }
    let e = &case["expect"];
    if r.status != StatusCode::OK {
        return vec![format!("{name}: {} {}", r.status, r.text())];
    }
    let body = r.json();
    let got = &body["result"];
    expect_eq("profile", &body["profile"], &json!("tianjin-2023"));
    expect_eq("unit", &got["unit"], e.get("unit").unwrap_or(&json!("fen")));
    expect_eq("mode", &got["mode"], &case["input"]["mode"]);
    for key in ["net", "pool", "tto", "institution", "reward_share", "share_source", "notice_required"] {
        expect_eq(key, &got[key], &e[key]);
    }
    if let Some(gross) = e.get("gross") {
        expect_eq("gross", &got["gross"], gross);
    }
    let lines = got["lines"].as_array().cloned().unwrap_or_default();
    let keys: Vec<Value> = lines.iter().map(line_key).collect();
    expect_eq("lines", &Value::Array(keys), &e["lines"]);
    // The lines add up to the gross, to the fen (or share).
    let sum: i64 = lines.iter().map(|l| units(str_of(&l["amount"]))).sum();
    if sum != units(str_of(&got["gross"])) {
        problems.push(format!("{name}: lines add up to {sum}, gross is {}", got["gross"]));
    }
    // The headline figures agree with the lines.
    let of = |kind: &str| lines.iter().filter(|l| l["kind"] == kind).map(|l| units(str_of(&l["amount"]))).sum::<i64>();
    if of("contributor") != units(str_of(&got["pool"])) {
        problems.push(format!("{name}: contributor lines differ from the pool"));
    }
    if of("institution") != units(str_of(&got["institution"])) {
        problems.push(format!("{name}: institution lines differ from the institution's figure"));
    }
    if of("tto_reward") + of("service_fee") != units(str_of(&got["tto"])) {
        problems.push(format!("{name}: TTO lines differ from the TTO figure"));
    }
    // Every line and every step names its rule.
    for l in &lines {
        if str_of(&l["rule"]).trim().is_empty() {
            problems.push(format!("{name}: a line without a rule: {l}"));
        }
        // Contributors get shares on the equity path, cash otherwise.
        let form = if got["mode"] == "equity" { "equity" } else { "cash" };
        if l["kind"] == "contributor" && l["form"] != form {
            problems.push(format!("{name}: a contributor line not in {form}: {l}"));
        }
    }
    let trail = got["trail"].as_array().cloned().unwrap_or_default();
    if trail.is_empty() {
        problems.push(format!("{name}: no trail"));
    }
    for s in &trail {
        if str_of(&s["rule"]).trim().is_empty() || str_of(&s["text"]).trim().is_empty() {
            problems.push(format!("{name}: a step without a rule or text: {s}"));
        }
        if str_of(&s["text"]).contains("distribution.step.") {
            problems.push(format!("{name}: an untranslated step: {s}"));
        }
    }
    for code in e.get("trail_codes").and_then(Value::as_array).cloned().unwrap_or_default() {
        if !trail.iter().any(|s| s["code"] == code) {
            problems.push(format!("{name}: no {code} step in the trail"));
        }
    }
    problems
}

/// A technical contract of the staff's institution, registered and paid in full.
async fn paid_contract(t: &TestApp, staff: &Auth, title: &str, amount: &str, signed: &str, received: &str) -> i64 {
    let ent = t.institution("ENT").await.0;
    let r = t
        .post(
            "/api/v1/contracts",
            json!({ "category": "transfer", "title": title, "buyer_id": ent, "amount": amount, "signed_on": signed,
                    "schedule": [{ "due_on": received, "amount": amount }] }),
            staff,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_i64().unwrap();
    let r = t
        .post(
            &format!("/api/v1/contracts/{id}/registration"),
            json!({ "version": 1, "number": format!("1201012026{id:04}"), "registered_on": signed,
                    "certified_amount": amount, "authority": "天津市技术市场管理办公室" }),
            staff,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = t
        .post(
            &format!("/api/v1/contracts/{id}/payments"),
            json!({ "version": 2, "amount": amount, "received_on": received, "reference": "银行回单" }),
            staff,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    id
}

/// The case of a licence income with the usual team (张伟 main 60 %, 李娜 40 %).
fn team_case(gross: &str, contract_amount: &str) -> Value {
    json!({
        "mode": "transfer_licence",
        "gross": gross,
        "contract_amount": contract_amount,
        "recipients": [
            { "name": "张伟", "share": "60", "main": true },
            { "name": "李娜", "share": "40" }
        ]
    })
}

/// A cost booked to a contract.
fn cost_entry(contract: i64, category: &str, amount: &str, on: &str) -> Value {
    json!({ "kind": "cost", "category": category, "amount": amount, "occurred_on": on, "contract_id": contract })
}

async fn create(t: &TestApp, auth: &Auth, body: Value) -> Value {
    let r = t.post("/api/v1/distributions", body, auth).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()
}

async fn step(t: &TestApp, auth: &Auth, id: i64, step: &str, body: Value) -> Reply {
    t.post(&format!("/api/v1/distributions/{id}/{step}"), body, auth).await
}

/// Takes a step that must succeed; returns the distribution after it.
async fn step_ok(t: &TestApp, auth: &Auth, id: i64, name: &str, mut body: Value) -> Value {
    body["version"] = json!(get(t, auth, id).await["version"]);
    let r = step(t, auth, id, name, body).await;
    assert_eq!(r.status, StatusCode::OK, "{name}: {}", r.text());
    r.json()
}

async fn get(t: &TestApp, auth: &Auth, id: i64) -> Value {
    let r = t.get(&format!("/api/v1/distributions/{id}"), auth).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

/// `(recipient, taxable, qualifies)` of each contributor line's tax view, and the codes of
/// the conditions not met.
fn taxes(d: &Value) -> Vec<(String, String, bool, Vec<String>)> {
    d["taxes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            let line = &d["result"]["lines"][x["line"].as_u64().unwrap() as usize];
            assert_eq!(line["kind"], "contributor");
            assert_eq!(x["amount"], line["amount"]);
            let unmet = x["conditions"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["met"] == false)
                .map(|c| str_of(&c["code"]).to_string())
                .collect();
            for c in x["conditions"].as_array().unwrap() {
                assert!(!str_of(&c["rule"]).is_empty() && !str_of(&c["text"]).is_empty(), "{c}");
            }
            (
                str_of(&line["recipient"]).to_string(),
                str_of(&x["taxable"]).to_string(),
                x["qualifies"].as_bool().unwrap(),
                unmet,
            )
        })
        .collect()
}

fn ids(rows: &Value) -> Vec<i64> {
    rows.as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect()
}

const RULE_DOCUMENT: &str = "甲大学科技成果转化收益分配办法（2026年修订）";

fn rule_input(share_transfer: &str, tto_rate: &str) -> Value {
    json!({
        "document": RULE_DOCUMENT,
        "published_on": "2026-11-01",
        "share_transfer": share_transfer,
        "share_equity": "60",
        "share_self": "10",
        "self_years": 4,
        "tto_rate": tto_rate,
        "tto_position": "from_university_share"
    })
}

// ---------------------------------------------------------------------------------------
// (a) The preview calculator against the hand-computed table
// ---------------------------------------------------------------------------------------

on_every_backend!(preview_matches_every_hand_computed_case, |t| {
    let cases = cases();
    assert!(cases.len() >= 22, "only {} cases", cases.len());
    let mut problems = Vec::new();
    for case in &cases {
        assert!(
            case["why"].as_str().is_some_and(|w| !w.is_empty()),
            "{}: every case explains its arithmetic",
            case["name"]
        );
        let r = t.post("/api/v1/distributions/preview", case["input"].clone(), &Auth::None).await;
        problems.extend(check_case(case, &r));
    }
    assert!(problems.is_empty(), "{} mismatches:\n{}", problems.len(), problems.join("\n"));
    // Both kinds of case are in the table.
    assert!(cases.iter().filter(|c| c.get("expect").is_some()).count() >= 15);
    assert!(cases.iter().filter(|c| c.get("expect_error").is_some()).count() >= 10);
});

on_every_backend!(preview_reads_nothing_and_writes_nothing, |t| {
    let staff = t.token("staff.a").await;
    let case = cases().into_iter().next().unwrap();
    let anonymous = t.post("/api/v1/distributions/preview", case["input"].clone(), &Auth::None).await;
    let signed_in = t.post("/api/v1/distributions/preview", case["input"].clone(), &staff).await;
    assert_eq!(anonymous.status, StatusCode::OK);
    assert_eq!(anonymous.json(), signed_in.json(), "the same answer for anyone");
    assert_eq!(t.get("/api/v1/distributions", &staff).await.json(), json!([]), "nothing recorded");
    // The date chooses the profile; no date means today.
    assert_eq!(anonymous.json()["date"], "2026-11-29");
    // A malformed body is a 400 naming the field; unknown fields are refused.
    let r = t.post("/api/v1/distributions/preview", json!({ "mode": "transfer_licence" }), &Auth::None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    let mut extra = case["input"].clone();
    extra["bonus"] = json!(true);
    let r = t.post("/api/v1/distributions/preview", extra, &Auth::None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    let mut bad_mode = case["input"].clone();
    bad_mode["mode"] = json!("gift");
    assert_rule(
        &t.post("/api/v1/distributions/preview", bad_mode, &Auth::None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "mode",
        "unknown_choice",
    );
    let mut bad_date = case["input"].clone();
    bad_date["date"] = json!("2026-02-30");
    assert_rule(
        &t.post("/api/v1/distributions/preview", bad_date, &Auth::None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "date",
        "invalid_format",
    );
    // Amounts may be JSON numbers too; they stay exact.
    let mut numbers = case["input"].clone();
    numbers["gross"] = json!(1000000.01);
    numbers["deductions"] = json!([{ "category": "transaction_taxes", "amount": 0.01 }]);
    let r = t.post("/api/v1/distributions/preview", numbers, &Auth::None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["result"]["net"], "1000000.00");
});

// ---------------------------------------------------------------------------------------
// (b) Enterprise income tax on technology-transfer income
// ---------------------------------------------------------------------------------------

on_every_backend!(enterprise_tax_calculator, |t| {
    let tax = |body: Value| async move { t.post("/api/v1/tax/enterprise", body, &Auth::None).await };
    let met = |r: &Value| -> Vec<(String, bool)> {
        r["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                assert!(!str_of(&c["rule"]).is_empty() && !str_of(&c["text"]).is_empty(), "{c}");
                (str_of(&c["code"]).to_string(), c["met"].as_bool().unwrap())
            })
            .collect()
    };
    let figures =
        |r: &Value| ["income", "exempt", "excess", "taxable", "tax"].map(|k| str_of(&r[k]).to_string()).to_vec();

    // Within the 5,000,000 threshold: exempt.
    let r = tax(json!({ "income": "4000000" })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let b = r.json();
    assert_eq!(figures(&b), ["4000000.00", "4000000.00", "0.00", "0.00", "0.00"]);
    assert_eq!(b["qualifies"], true);
    assert_eq!(met(&b), [("qualifying_transfer".into(), true), ("not_wholly_related".into(), true)]);

    // 8,000,000: 5,000,000 exempt, 3,000,000 × 50 % = 1,500,000 taxable × 25 % = 375,000.
    let b = tax(json!({ "income": "8,000,000.00" })).await.json();
    assert_eq!(figures(&b), ["8000000.00", "5000000.00", "3000000.00", "1500000.00", "375000.00"]);
    // A 5-year licence qualifies as well.
    let b = tax(json!({ "income": "8000000", "licence_years": 5 })).await.json();
    assert_eq!((b["qualifies"].as_bool(), b["tax"].as_str()), (Some(true), Some("375000.00")));

    // A 3-year licence is not a qualifying transfer: 25 % of all of it.
    let b = tax(json!({ "income": "8000000", "licence_years": 3 })).await.json();
    assert_eq!(b["qualifies"], false);
    assert_eq!(figures(&b), ["8000000.00", "0.00", "8000000.00", "8000000.00", "2000000.00"]);
    assert_eq!(met(&b), [("qualifying_transfer".into(), false), ("not_wholly_related".into(), true)]);
    // A wholly related buyer: no benefit either.
    let b = tax(json!({ "income": "4000000", "wholly_related": true })).await.json();
    assert_eq!(b["qualifies"], false);
    assert_eq!(figures(&b), ["4000000.00", "0.00", "4000000.00", "4000000.00", "1000000.00"]);
    assert_eq!(met(&b), [("qualifying_transfer".into(), true), ("not_wholly_related".into(), false)]);
    // Odd fen: 5,000,000.03 → excess 0.03, half taxable = 0.015 → 0.02 (half up), tax 25 % → 0.01 (0.005 → 0.01).
    let b = tax(json!({ "income": "5000000.03" })).await.json();
    assert_eq!(figures(&b), ["5000000.03", "5000000.00", "0.03", "0.02", "0.01"]);

    // The tax numbers are national: a tax year before the Tianjin measures is computed too.
    let r = tax(json!({ "income": "8000000", "date": "2020-06-01" })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(figures(&r.json()), ["8000000.00", "5000000.00", "3000000.00", "1500000.00", "375000.00"]);

    // Bad input.
    assert_rule(&tax(json!({ "income": "abc" })).await, StatusCode::UNPROCESSABLE_ENTITY, "income", "invalid_format");
    assert_rule(&tax(json!({ "income": "-1" })).await, StatusCode::UNPROCESSABLE_ENTITY, "income", "negative");
    assert_rule(&tax(json!({ "income": "" })).await, StatusCode::UNPROCESSABLE_ENTITY, "income", "required");
    assert_rule(
        &tax(json!({ "income": "1", "date": "2010-01-01" })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "date",
        "no_policy_profile",
    );
    assert_eq!(tax(json!({ "income": "1", "licence_years": -3 })).await.status, StatusCode::BAD_REQUEST);
});

// ---------------------------------------------------------------------------------------
// (c) A distribution from the university's rule to payment
// ---------------------------------------------------------------------------------------

on_every_backend!(a_distribution_from_rule_to_payment_with_tax_view_statement_and_register, |t| {
    let staff = t.token("staff.a").await;
    let admin = t.token("admin.a").await;
    // A registered contract, paid in full on 2026-11-26.
    let contract = paid_contract(t, &staff, "石墨烯专利转让合同", "1000000", "2026-11-20", "2026-11-26").await;

    // A cost linked to it, by category of the profile.
    let entry = |category: &str, amount: &str, on: &str| {
        let mut e = cost_entry(contract, category, amount, on);
        e["note"] = json!("增值税及附加");
        e
    };
    let r = t.post("/api/v1/finance-entries", entry("transaction_taxes", "60,000", "2026-11-26"), &staff).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let cost = r.json();
    assert_eq!(
        (cost["kind"].as_str(), cost["category"].as_str(), cost["amount"].as_str()),
        (Some("cost"), Some("transaction_taxes"), Some("60000.00"))
    );
    assert_eq!(cost["contract_id"], contract);
    let r = t.post("/api/v1/finance-entries", entry("fiscal_rd", "500000", "2026-11-26"), &staff).await;
    assert_rule(&r, StatusCode::UNPROCESSABLE_ENTITY, "category", "fiscal_rd_not_cost");
    assert!(detail_message(&r, "category").contains("浙江省促进科技成果转化条例"), "{}", r.text());
    let r = t.post("/api/v1/finance-entries", entry("lawyers_dinner", "500", "2026-11-26"), &staff).await;
    assert_rule(&r, StatusCode::UNPROCESSABLE_ENTITY, "category", "unknown_choice");
    let r = t.post("/api/v1/finance-entries", entry("transaction_taxes", "500", "2026-12-26"), &staff).await;
    assert_rule(&r, StatusCode::UNPROCESSABLE_ENTITY, "occurred_on", "in_the_future");
    let r = t
        .post(
            "/api/v1/finance-entries",
            json!({ "kind": "cost", "category": "transaction_taxes", "amount": "1", "occurred_on": "2026-11-26" }),
            &staff,
        )
        .await;
    assert_rule(&r, StatusCode::UNPROCESSABLE_ENTITY, "achievement_id", "required");
    let r = t
        .post(
            "/api/v1/finance-entries",
            json!({ "kind": "equity", "amount": "1000", "occurred_on": "2026-11-26", "contract_id": contract }),
            &staff,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!((r.json()["category"].as_str(), r.json()["amount"].as_str()), (Some("equity"), Some("1000")));
    let entries = t.get(&format!("/api/v1/finance-entries?contract_id={contract}"), &staff).await.json();
    assert_eq!(entries.as_array().unwrap().len(), 2);
    assert_eq!(t.get("/api/v1/finance-entries?contract_id=999999", &staff).await.json(), json!([]));
    assert_rule(
        &t.get("/api/v1/finance-entries?contract_id=x", &staff).await,
        StatusCode::BAD_REQUEST,
        "contract_id",
        "invalid_format",
    );

    // The university's rule: the administrator publishes it; the floor and the band hold.
    let r = t.post("/api/v1/distribution-rules", rule_input("40", "10"), &admin).await;
    assert_rule(&r, StatusCode::UNPROCESSABLE_ENTITY, "share_transfer", "below_policy_minimum");
    assert!(detail_message(&r, "share_transfer").contains("促进科技成果转化法"), "names the rule: {}", r.text());
    let mut low_self = rule_input("70", "10");
    low_self["share_self"] = json!("4");
    assert_rule(
        &t.post("/api/v1/distribution-rules", low_self, &admin).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "share_self",
        "below_policy_minimum",
    );
    let r = t.post("/api/v1/distribution-rules", rule_input("70", "20"), &admin).await;
    assert_rule(&r, StatusCode::UNPROCESSABLE_ENTITY, "tto_rate", "tto_rate_outside_band");
    assert!(detail_message(&r, "tto_rate").contains("（十一）"), "names measure 十一: {}", r.text());
    assert_eq!(
        t.post("/api/v1/distribution-rules", rule_input("70", "10"), &staff).await.status,
        StatusCode::FORBIDDEN
    );
    let r = t.post("/api/v1/distribution-rules", rule_input("70", "10"), &admin).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let rule = r.json();
    assert_eq!(
        (
            rule["share_transfer"].as_str(),
            rule["share_equity"].as_str(),
            rule["share_self"].as_str(),
            rule["self_years"].as_u64(),
            rule["tto_rate"].as_str(),
            rule["tto_position"].as_str(),
            rule["published_on"].as_str()
        ),
        (Some("70"), Some("60"), Some("10"), Some(4), Some("10"), Some("from_university_share"), Some("2026-11-01"))
    );
    assert_eq!(ids(&t.get("/api/v1/distribution-rules", &staff).await.json()), [rule["id"].as_i64().unwrap()]);

    // A distribution for the contract: UNA is state-run whatever the case says.
    let mut below = team_case("1000000", "1000000");
    below["state_run"] = json!(false);
    below["agreement"] = json!({ "reference": "约定书", "reward_share": "40" });
    let r =
        t.post("/api/v1/distributions", json!({ "title": "x", "contract_id": contract, "case": below }), &staff).await;
    assert_rule(&r, StatusCode::UNPROCESSABLE_ENTITY, "agreement.reward_share", "below_policy_minimum");
    let r = t.post("/api/v1/distributions", json!({ "title": "", "case": team_case("1", "1") }), &staff).await;
    assert_rule(&r, StatusCode::UNPROCESSABLE_ENTITY, "title", "required");
    let r = t
        .post(
            "/api/v1/distributions",
            json!({ "title": "x", "contract_id": 999999, "case": team_case("1", "1") }),
            &staff,
        )
        .await;
    assert_rule(&r, StatusCode::UNPROCESSABLE_ENTITY, "contract_id", "unknown_choice");

    // The rule applies: 70 % of net 940,000 = 658,000; TTO 10 % × 1,000,000 = 100,000 from
    // the university's share; 张伟 394,800; 李娜 263,200; institution 182,000.
    let mut case = team_case("1000000", "1000000");
    case["deductions"] = json!([{ "category": "transaction_taxes", "amount": "60000" }]);
    let d = create(
        t,
        &staff,
        json!({ "title": "石墨烯专利转让收益分配", "contract_id": contract, "income_received_on": "2026-11-26", "case": case }),
    )
    .await;
    let first = d["id"].as_i64().unwrap();
    assert_eq!((d["status"].as_str(), d["version"].as_i64()), (Some("draft"), Some(1)));
    assert_eq!((d["state_run"].as_bool(), d["contract_id"].as_i64()), (Some(true), Some(contract)));
    assert_eq!((d["institution"].as_str(), d["policy_profile"].as_str()), (Some("甲大学"), Some("tianjin-2023")));
    assert_eq!((d["date"].as_str(), d["income_received_on"].as_str()), (Some("2026-11-29"), Some("2026-11-26")));
    let res = &d["result"];
    assert_eq!((res["share_source"].as_str(), res["reward_share"].as_str()), (Some("unit_rule"), Some("70")));
    assert_eq!(
        ["net", "pool", "tto", "institution"].map(|k| str_of(&res[k]).to_string()),
        ["940000.00", "658000.00", "100000.00", "182000.00"]
    );
    assert_eq!(
        res["lines"].as_array().unwrap().iter().map(line_key).collect::<Vec<_>>(),
        [
            json!(["deduction", "transaction_taxes", "60000.00"]),
            json!(["tto_reward", "", "100000.00"]),
            json!(["contributor", "张伟", "394800.00"]),
            json!(["contributor", "李娜", "263200.00"]),
            json!(["institution", "", "182000.00"]),
        ]
    );
    assert!(res["lines"].as_array().unwrap().iter().all(|l| !str_of(&l["rule"]).is_empty()));
    assert!(
        res["trail"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["code"] == "share_from_unit_rule" && str_of(&s["rule"]).contains(RULE_DOCUMENT)),
        "the trail names the university's rule"
    );
    // Before the notice, the rewards do not qualify for the 50 % inclusion.
    assert_eq!(
        taxes(&d),
        [
            ("张伟".into(), "394800.00".into(), false, vec!["notice_completed".to_string()]),
            ("李娜".into(), "263200.00".into(), false, vec!["notice_completed".to_string()]),
        ]
    );

    // Approval is the administrator's.
    assert_eq!(step(t, &staff, first, "approve", json!({ "version": 1 })).await.status, StatusCode::FORBIDDEN);
    assert_rule(
        &step(t, &admin, first, "approve", json!({ "version": 7 })).await,
        StatusCode::CONFLICT,
        "version",
        "stale_version",
    );
    assert_rule(
        &step(
            t,
            &staff,
            first,
            "start_notice",
            json!({ "version": 1, "starts_on": "2026-11-29", "ends_on": "2026-12-13" }),
        )
        .await,
        StatusCode::CONFLICT,
        "status",
        "illegal_distribution_transition",
    );
    let r = step(t, &admin, first, "approve", json!({ "version": 1 })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        (r.json()["status"].as_str(), r.json()["approved_on"].as_str(), r.json()["version"].as_i64()),
        (Some("approved"), Some("2026-11-29"), Some(2))
    );
    assert_rule(
        &step(t, &admin, first, "approve", json!({ "version": 2 })).await,
        StatusCode::CONFLICT,
        "status",
        "illegal_distribution_transition",
    );
    assert_rule(
        &step(t, &admin, first, "fly", json!({ "version": 2 })).await,
        StatusCode::BAD_REQUEST,
        "step",
        "unknown_choice",
    );

    // The public notice of the rewards: at least 15 days.
    let notice = |starts: &str, ends: &str| json!({ "starts_on": starts, "ends_on": ends });
    let mut short = notice("2026-11-29", "2026-12-12");
    short["version"] = json!(2);
    assert_rule(
        &step(t, &staff, first, "start_notice", short).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "ends_on",
        "below_policy_minimum",
    );
    let d = step_ok(t, &staff, first, "start_notice", notice("2026-11-29", "2026-12-13")).await;
    assert_eq!(d["status"], "noticing");
    let notice_id = d["notice_ids"][0].as_i64().unwrap();
    let n = t.get(&format!("/api/v1/notices/{notice_id}"), &Auth::None).await;
    assert_eq!(n.status, StatusCode::OK, "the notice is public: {}", n.text());
    let n = n.json();
    assert_eq!((n["subject"].as_str(), n["subject_id"].as_i64()), (Some("reward"), Some(first)));
    let named: Vec<&str> = n["content"]["recipients"].as_array().unwrap().iter().map(|r| str_of(&r["name"])).collect();
    assert_eq!(named, ["张伟", "李娜"]);

    // An anonymous objection, upheld: back to draft.
    let r = t
        .post(
            &format!("/api/v1/notices/{notice_id}/objections"),
            json!({ "name": "赵某", "contact": "zhao@example.invalid", "content": "我也参与了该成果的完成，名单遗漏。" }),
            &Auth::None,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let objection = r.json();
    let r = t
        .post(
            &format!("/api/v1/objections/{}/decision", objection["id"]),
            json!({ "version": objection["version"], "decision": "uphold", "response": "经核实，补充完成人后重新公示。" }),
            &staff,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let d = get(t, &staff, first).await;
    assert_eq!((d["status"].as_str(), d["approved_on"].as_str()), (Some("draft"), None));
    assert_eq!(t.get(&format!("/api/v1/notices/{notice_id}"), &staff).await.json()["status"], "terminated");

    // Approved and noticed again.
    step_ok(t, &admin, first, "approve", json!({})).await;
    let d = step_ok(t, &staff, first, "start_notice", notice("2026-11-29", "2026-12-13")).await;
    assert_eq!(d["status"], "noticing");
    assert_eq!(d["notice_ids"].as_array().unwrap().len(), 2);
    // Not paid before the notice ends.
    let version = d["version"].clone();
    assert_rule(
        &step(t, &staff, first, "pay", json!({ "version": version, "paid_on": "2026-11-29" })).await,
        StatusCode::CONFLICT,
        "status",
        "illegal_distribution_transition",
    );
    assert_eq!(t.app.run_due_tasks().await.unwrap().notices_closed, 0, "the notice still runs");

    // Past its last day, the scheduler closes the notice.
    t.clock.advance(Duration::days(15));
    let report = t.app.run_due_tasks().await.unwrap();
    assert_eq!((report.notices_closed, report.failed), (1, 0));
    let d = get(t, &staff, first).await;
    assert_eq!(d["status"], "noticed");
    let version = d["version"].clone();
    assert_rule(
        &step(t, &staff, first, "pay", json!({ "version": version, "paid_on": "2026-12-15" })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "paid_on",
        "in_the_future",
    );
    // Not dated within the notice either: the notice ran until 2026-12-13.
    assert_rule(
        &step(t, &staff, first, "pay", json!({ "version": version, "paid_on": "2026-12-13" })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "paid_on",
        "notice_not_finished",
    );
    let d = step_ok(t, &staff, first, "pay", json!({ "paid_on": "2026-12-14" })).await;
    assert_eq!((d["status"].as_str(), d["paid_on"].as_str()), (Some("paid"), Some("2026-12-14")));
    // All five conditions met: half of each cash reward counts into wages.
    assert_eq!(
        taxes(&d),
        [("张伟".into(), "197400.00".into(), true, vec![]), ("李娜".into(), "131600.00".into(), true, vec![])]
    );
    let conditions: Vec<&str> =
        d["taxes"][0]["conditions"].as_array().unwrap().iter().map(|c| str_of(&c["code"])).collect();
    assert_eq!(
        conditions,
        ["non_profit_payer", "transfer_or_licence", "contract_registered", "notice_completed", "paid_within_window"]
    );
    assert_rule(
        &step(t, &staff, first, "cancel", json!({ "version": d["version"], "reason": "x" })).await,
        StatusCode::CONFLICT,
        "status",
        "illegal_distribution_transition",
    );

    // A second distribution, paid more than 36 months after its income was received.
    let old = paid_contract(t, &staff, "早期许可合同", "200000", "2023-11-20", "2023-12-01").await;
    let d = create(
        t,
        &staff,
        json!({ "title": "早期许可收益分配", "contract_id": old, "income_received_on": "2023-12-01",
                "case": team_case("200000", "200000") }),
    )
    .await;
    let second = d["id"].as_i64().unwrap();
    assert_eq!(d["date"], "2026-12-14");
    // 70 % of 200,000 = 140,000; TTO 10 % = 20,000; 张伟 84,000; 李娜 56,000; institution 40,000.
    assert_eq!(
        ["pool", "tto", "institution"].map(|k| str_of(&d["result"][k]).to_string()),
        ["140000.00", "20000.00", "40000.00"]
    );
    step_ok(t, &admin, second, "approve", json!({})).await;
    step_ok(t, &staff, second, "start_notice", notice("2026-12-14", "2026-12-28")).await;
    t.clock.advance(Duration::days(15));
    assert_eq!(t.app.run_due_tasks().await.unwrap().notices_closed, 1);
    let d = step_ok(t, &staff, second, "pay", json!({ "paid_on": "2026-12-29" })).await;
    assert_eq!(d["status"], "paid");
    assert_eq!(
        taxes(&d),
        [
            ("张伟".into(), "84000.00".into(), false, vec!["paid_within_window".to_string()]),
            ("李娜".into(), "56000.00".into(), false, vec!["paid_within_window".to_string()]),
        ]
    );
    let window = d["taxes"][0]["conditions"].as_array().unwrap().iter().find(|c| c["code"] == "paid_within_window");
    assert!(str_of(&window.unwrap()["text"]).contains("2026-12-01"), "the deadline is shown: {window:?}");

    // A third one, cancelled.
    let d = create(t, &staff, json!({ "title": "作废的分配", "case": team_case("10000", "10000") })).await;
    let third = d["id"].as_i64().unwrap();
    assert_rule(
        &step(t, &staff, third, "cancel", json!({ "version": 1, "reason": " " })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "cancel_reason",
        "required",
    );
    let d = step_ok(t, &staff, third, "cancel", json!({ "reason": "重复录入" })).await;
    assert_eq!((d["status"].as_str(), d["cancel_reason"].as_str()), (Some("cancelled"), Some("重复录入")));
    // A fourth one, cancelled while its notice runs: the notice ends with it.
    let d = create(t, &staff, json!({ "title": "撤回的分配", "case": team_case("20000", "20000") })).await;
    let fourth = d["id"].as_i64().unwrap();
    step_ok(t, &admin, fourth, "approve", json!({})).await;
    let d = step_ok(t, &staff, fourth, "start_notice", notice("2026-12-29", "2027-01-12")).await;
    let running = d["notice_ids"][0].as_i64().unwrap();
    let d = step_ok(t, &staff, fourth, "cancel", json!({ "reason": "合同解除" })).await;
    assert_eq!(d["status"], "cancelled");
    assert_eq!(t.get(&format!("/api/v1/notices/{running}"), &staff).await.json()["status"], "terminated");

    // The statement of a contributor: both paid rewards, oldest first; not the cancelled one.
    let r = t.get(&format!("/api/v1/distributions/statement?recipient={}", common::encode("张伟")), &staff).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let lines = r.json();
    let got: Vec<(i64, &str, &str, &str)> = lines
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (l["distribution_id"].as_i64().unwrap(), str_of(&l["amount"]), str_of(&l["status"]), str_of(&l["paid_on"]))
        })
        .collect();
    assert_eq!(got, [(first, "394800.00", "paid", "2026-12-14"), (second, "84000.00", "paid", "2026-12-29")]);
    assert_eq!(lines[0]["form"], "cash");
    assert_rule(
        &t.get("/api/v1/distributions/statement", &staff).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "recipient",
        "required",
    );
    let nobody =
        t.get(&format!("/api/v1/distributions/statement?recipient={}", common::encode("无名氏")), &staff).await;
    assert_eq!(nobody.json(), json!([]));

    // The register.
    let paid = t.get("/api/v1/distributions?status=paid", &staff).await.json();
    assert_eq!(ids(&paid), [second, first]);
    assert_eq!(
        (paid[1]["gross"].as_str(), paid[1]["pool"].as_str(), paid[1]["tto"].as_str(), paid[1]["paid_on"].as_str()),
        (Some("1000000.00"), Some("658000.00"), Some("100000.00"), Some("2026-12-14"))
    );
    assert_eq!(ids(&t.get("/api/v1/distributions?status=cancelled", &staff).await.json()), [fourth, third]);
    assert_eq!(ids(&t.get("/api/v1/distributions", &staff).await.json()), [fourth, third, second, first]);
    assert_eq!(t.get("/api/v1/distributions?status=draft", &staff).await.json(), json!([]));
    assert_rule(
        &t.get("/api/v1/distributions?status=lost", &staff).await,
        StatusCode::BAD_REQUEST,
        "status",
        "unknown_choice",
    );

    // Everything is on record.
    let regulator = t.token("regulator").await;
    let audit = t.get(&format!("/api/v1/audit?entity_type=distribution&entity_id={first}"), &regulator).await.json();
    // create, approve, notice, back to draft, approve, notice, noticed, pay
    assert_eq!(audit["total"], 8, "{audit}");
});

// ---------------------------------------------------------------------------------------
// (d) Who may see and do what
// ---------------------------------------------------------------------------------------

on_every_backend!(other_universities_anonymous_users_and_regulators, |t| {
    let staff = t.token("staff.a").await;
    let admin = t.token("admin.a").await;
    let contract = paid_contract(t, &staff, "甲的合同", "500000", "2026-11-20", "2026-11-26").await;
    let r = t.post("/api/v1/distribution-rules", rule_input("80", "5"), &admin).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r =
        t.post("/api/v1/finance-entries", cost_entry(contract, "maintenance_fees", "3000", "2026-11-26"), &staff).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let d = create(
        t,
        &staff,
        json!({ "title": "甲的分配", "contract_id": contract, "case": team_case("500000", "500000") }),
    )
    .await;
    let id = d["id"].as_i64().unwrap();
    assert_eq!(d["result"]["reward_share"], "80");
    let statement = format!("/api/v1/distributions/statement?recipient={}", common::encode("张伟"));

    // The other university: nothing of UNA exists for it.
    let staff_b = t.token("staff.b").await;
    let admin_b = t.token("admin.b").await;
    for auth in [&staff_b, &admin_b] {
        let r = t.get(&format!("/api/v1/distributions/{id}"), auth).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
        assert!(!r.text().contains("甲的分配"));
        assert_eq!(t.get("/api/v1/distributions", auth).await.json(), json!([]));
        assert_eq!(t.get(&statement, auth).await.json(), json!([]));
        assert_eq!(t.get("/api/v1/distribution-rules", auth).await.json(), json!([]));
        assert_eq!(t.get("/api/v1/finance-entries", auth).await.json(), json!([]));
        assert_eq!(t.get(&format!("/api/v1/finance-entries?contract_id={contract}"), auth).await.json(), json!([]));
        let r = t
            .post(
                "/api/v1/distributions",
                json!({ "title": "冒用合同", "contract_id": contract, "case": team_case("1", "1") }),
                auth,
            )
            .await;
        assert_rule(&r, StatusCode::UNPROCESSABLE_ENTITY, "contract_id", "unknown_choice");
        let r =
            t.post("/api/v1/finance-entries", cost_entry(contract, "maintenance_fees", "1", "2026-11-26"), auth).await;
        assert_rule(&r, StatusCode::UNPROCESSABLE_ENTITY, "contract_id", "unknown_choice");
    }
    assert_eq!(step(t, &admin_b, id, "approve", json!({ "version": 1 })).await.status, StatusCode::NOT_FOUND);
    assert_eq!(step(t, &staff_b, id, "approve", json!({ "version": 1 })).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        step(t, &staff_b, id, "cancel", json!({ "version": 1, "reason": "x" })).await.status,
        StatusCode::NOT_FOUND
    );
    // Staff of UNB cannot publish rules at all; UNB's administrator publishes UNB's only.
    assert_eq!(
        t.post("/api/v1/distribution-rules", rule_input("90", "5"), &staff_b).await.status,
        StatusCode::FORBIDDEN
    );
    let r = t.post("/api/v1/distribution-rules", rule_input("95", "15"), &admin_b).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let una_rules = t.get("/api/v1/distribution-rules", &staff).await.json();
    assert_eq!(una_rules.as_array().unwrap().len(), 1);
    assert_eq!(una_rules[0]["share_transfer"], "80");
    assert_eq!(t.get("/api/v1/distribution-rules", &staff_b).await.json().as_array().unwrap().len(), 1);
    let again = create(t, &staff, json!({ "title": "甲的第二次分配", "case": team_case("1000", "1000") })).await;
    assert_eq!(again["result"]["reward_share"], "80", "UNA's distributions still follow UNA's rule");

    // Anonymous: every internal route wants a sign-in.
    let paths = [
        "/api/v1/distributions".to_string(),
        format!("/api/v1/distributions/{id}"),
        statement.clone(),
        "/api/v1/distribution-rules".to_string(),
        "/api/v1/finance-entries".to_string(),
    ];
    for path in &paths {
        let r = t.get(path, &Auth::None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "GET {path}: {}", r.text());
    }
    for (path, body) in [
        ("/api/v1/distributions".to_string(), json!({ "title": "x", "case": team_case("1", "1") })),
        (format!("/api/v1/distributions/{id}/approve"), json!({ "version": 1 })),
        (format!("/api/v1/distributions/{id}/cancel"), json!({ "version": 1, "reason": "x" })),
        ("/api/v1/distribution-rules".to_string(), rule_input("90", "5")),
        ("/api/v1/finance-entries".to_string(), cost_entry(contract, "maintenance_fees", "1", "2026-11-26")),
    ] {
        let r = t.post(&path, body, &Auth::None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "POST {path}: {}", r.text());
    }
    // Buyers see no distributions at all.
    let enterprise = t.token("enterprise").await;
    assert_eq!(t.get("/api/v1/distributions", &enterprise).await.status, StatusCode::FORBIDDEN);
    assert_eq!(t.get(&format!("/api/v1/distributions/{id}"), &enterprise).await.status, StatusCode::FORBIDDEN);

    // The regulator reads everything and changes nothing.
    let regulator = t.token("regulator").await;
    assert_eq!(ids(&t.get("/api/v1/distributions", &regulator).await.json()), [again["id"].as_i64().unwrap(), id]);
    let seen = t.get(&format!("/api/v1/distributions/{id}"), &regulator).await;
    assert_eq!(seen.status, StatusCode::OK);
    assert_eq!(seen.json()["title"], "甲的分配");
    assert_eq!(t.get(&statement, &regulator).await.json().as_array().unwrap().len(), 2);
    assert_eq!(
        t.get(&format!("/api/v1/finance-entries?contract_id={contract}"), &regulator)
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    for s in ["approve", "start_notice", "pay", "cancel"] {
        let body = json!({ "version": 1, "starts_on": "2026-11-29", "ends_on": "2026-12-31",
                           "paid_on": "2026-11-29", "reason": "x" });
        let r = step(t, &regulator, id, s, body).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{s}: {}", r.text());
    }
    assert_eq!(
        t.post("/api/v1/distribution-rules", rule_input("90", "5"), &regulator).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.post("/api/v1/distributions", json!({ "title": "x", "case": team_case("1", "1") }), &regulator).await.status,
        StatusCode::FORBIDDEN
    );
    let r = t
        .post("/api/v1/finance-entries", cost_entry(contract, "maintenance_fees", "1", "2026-11-26"), &regulator)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Nothing changed.
    let after = get(t, &staff, id).await;
    assert_eq!((after["status"].as_str(), after["version"].as_i64()), (Some("draft"), Some(1)));
    assert_eq!(t.get("/api/v1/distribution-rules", &staff).await.json().as_array().unwrap().len(), 1);
    assert_eq!(
        t.get(&format!("/api/v1/finance-entries?contract_id={contract}"), &staff)
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
});
