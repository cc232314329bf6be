//! Ownership empowerment and the separate ledger through the API, on every backend.

mod common;

use axum::http::StatusCode;
use common::{Auth, TestApp, achievement_json};
use serde_json::{Value, json};

/// A registered, job-related achievement of UNA (contributors 张伟 66.6667 % main, 李娜 33.3333 %).
async fn achievement(t: &TestApp, staff: &Auth, title: &str, job_related: bool) -> i64 {
    let mut input = achievement_json(title);
    input["job_related"] = json!(job_related);
    input["completion_date"] = json!("2024-06-30");
    let r = t.post("/api/v1/achievements", input, staff).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_i64().unwrap();
    let r = t.post(&format!("/api/v1/achievements/{id}/transitions"), json!({ "action": "register" }), staff).await;
    assert_eq!(r.status, StatusCode::OK);
    id
}

fn terms(achievement: i64, kind: &str, parties: &[(&str, &str)]) -> Value {
    json!({
        "achievement_id": achievement,
        "kind": kind,
        "parties": parties.iter().map(|(n, s)| json!({ "name": n, "share": s })).collect::<Vec<_>>(),
        "income_share": "70",
        "cost_share": "20",
        "maintenance_share": "50",
        "decision_rules": "后续转让须经学校与完成人协商一致，价格不低于评估值。"
    })
}

async fn step(t: &TestApp, auth: &Auth, id: i64, step: &str, body: Value) -> common::Reply {
    t.post(&format!("/api/v1/empowerment-agreements/{id}/{step}"), body, auth).await
}

/// Approves (as the TTO admin), notices and puts an agreement into effect on `from`.
async fn approve_notice_effect(
    t: &TestApp,
    staff: &Auth,
    admin: &Auth,
    id: i64,
    approved: &str,
    notice: (&str, &str),
    from: &str,
) -> Value {
    let r = step(
        t,
        admin,
        id,
        "approve",
        json!({ "version": 1, "approved_on": approved, "approval_ref": "协调小组 2026 年第 5 次会议纪要" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = step(t, staff, id, "notice", json!({ "version": 2, "starts_on": notice.0, "ends_on": notice.1 })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = step(t, staff, id, "effect", json!({ "version": 3, "effective_from": from })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

async fn ownership(t: &TestApp, auth: &Auth, id: i64) -> Vec<Value> {
    t.get(&format!("/api/v1/achievements/{id}"), auth).await.json()["ownership"].as_array().unwrap().clone()
}

on_every_backend!(part_ownership_then_transfer_of_the_retained_share, |t| {
    let staff = t.token("staff.a").await;
    let admin = t.token("admin.a").await;
    let id = achievement(t, &staff, "可赋权的成果", true).await;

    let created = t
        .post("/api/v1/empowerment-agreements", terms(id, "part_ownership", &[("张伟", "42"), ("李娜", "28")]), &staff)
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let agreement = created.json()["id"].as_i64().unwrap();
    assert_eq!(created.json()["status"], "draft");
    assert_eq!(created.json()["policy_profile"], "tianjin-2023");

    // Only the TTO administrator records the coordination group's approval.
    let r = step(
        t,
        &staff,
        agreement,
        "approve",
        json!({ "version": 1, "approved_on": "2026-10-01", "approval_ref": "x" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A second agreement cannot start while this one is pending.
    let r = t.post("/api/v1/empowerment-agreements", terms(id, "full_ownership", &[("张伟", "100")]), &staff).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.json()["error"]["details"][0]["code"], "agreement_pending");
    // Taking effect needs the on-campus notice first (the Tianjin profile requires it).
    let r = step(
        t,
        &admin,
        agreement,
        "approve",
        json!({ "version": 1, "approved_on": "2026-10-01", "approval_ref": "会议纪要 5" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = step(t, &staff, agreement, "effect", json!({ "version": 2, "effective_from": "2026-10-05" })).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // The notice lasts at least the profile's 15 days.
    let short = step(
        t,
        &staff,
        agreement,
        "notice",
        json!({ "version": 2, "starts_on": "2026-10-02", "ends_on": "2026-10-10" }),
    )
    .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(short.error_field(), "notice_ends_on");
    let message = short.json()["error"]["details"][0]["message"].as_str().unwrap().to_string();
    assert!(message.contains("15 天") && message.contains("浙江"), "the rule and its source are named: {message}");
    let r = step(
        t,
        &staff,
        agreement,
        "notice",
        json!({ "version": 2, "starts_on": "2026-10-02", "ends_on": "2026-10-20" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    // Not before the notice has ended.
    let early = step(t, &staff, agreement, "effect", json!({ "version": 3, "effective_from": "2026-10-15" })).await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(early.error_field(), "effective_from");
    let r = step(t, &staff, agreement, "effect", json!({ "version": 3, "effective_from": "2026-10-21" })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "effective");

    // Ownership history: the old period closed, the new one with the agreed shares.
    let periods = ownership(t, &staff, id).await;
    assert_eq!(periods.len(), 2);
    assert_eq!(periods[0]["ends_on"], "2026-10-21");
    assert_eq!(periods[1]["starts_on"], "2026-10-21");
    assert_eq!(periods[1]["basis"], format!("empowerment:{agreement}"));
    let holders: Vec<(String, String)> = periods[1]["holders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["name"].as_str().unwrap().to_string(), h["share"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        holders,
        [
            ("甲大学".to_string(), "30".to_string()),
            ("张伟".to_string(), "42".to_string()),
            ("李娜".to_string(), "28".to_string())
        ]
    );

    // Part ownership again is refused; the retained 30 % is transferred through a deal.
    let r = t.post("/api/v1/empowerment-agreements", terms(id, "part_ownership", &[("张伟", "10")]), &staff).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["details"][0]["code"], "ownership_already_shared");
    let mut transfer = terms(id, "transfer_retained_share", &[("张伟", "60"), ("李娜", "40")]);
    let r = t.post("/api/v1/empowerment-agreements", transfer.clone(), &staff).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.error_field(), "deal_reference");
    transfer["deal_reference"] = json!("技术转让合同 UNA-2026-T-011");
    let r = t.post("/api/v1/empowerment-agreements", transfer, &staff).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let second = r.json()["id"].as_i64().unwrap();
    approve_notice_effect(t, &staff, &admin, second, "2026-10-25", ("2026-10-26", "2026-11-10"), "2026-11-11").await;
    let periods = ownership(t, &staff, id).await;
    assert_eq!(periods.len(), 3, "the whole history stays visible");
    let last: Vec<&str> =
        periods[2]["holders"].as_array().unwrap().iter().map(|h| h["name"].as_str().unwrap()).collect();
    assert_eq!(last, ["张伟", "李娜"]);

    // Every step is on the achievement's and the agreement's record.
    let timeline = t.get(&format!("/api/v1/achievements/{id}/timeline"), &staff).await.json();
    let actions: Vec<&str> = timeline.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions.iter().filter(|a| **a == "achievement.empowerment").count(), 2);
    let regulator = t.token("regulator").await;
    let audit = t
        .get(&format!("/api/v1/audit?entity_type=empowerment_agreement&entity_id={agreement}"), &regulator)
        .await
        .json();
    assert_eq!(audit["total"], 4, "create, approve, notice, effect — and nothing else");
});

on_every_backend!(full_ownership_and_long_term_use_right, |t| {
    let staff = t.token("staff.a").await;
    let admin = t.token("admin.a").await;
    let full = achievement(t, &staff, "全部赋权的成果", true).await;
    let r = t
        .post(
            "/api/v1/empowerment-agreements",
            terms(full, "full_ownership", &[("张伟", "60"), ("李娜", "50")]),
            &staff,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["details"][0]["code"], "shares_not_hundred");
    let r = t
        .post(
            "/api/v1/empowerment-agreements",
            terms(full, "full_ownership", &[("张伟", "60"), ("李娜", "40")]),
            &staff,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let agreement = r.json()["id"].as_i64().unwrap();
    approve_notice_effect(t, &staff, &admin, agreement, "2026-09-01", ("2026-09-02", "2026-09-20"), "2026-09-21").await;
    let periods = ownership(t, &staff, full).await;
    let holders: Vec<&str> =
        periods[1]["holders"].as_array().unwrap().iter().map(|h| h["name"].as_str().unwrap()).collect();
    assert_eq!(holders, ["张伟", "李娜"], "the university holds nothing after full ownership");
    let again =
        t.post("/api/v1/empowerment-agreements", terms(full, "long_term_use_right", &[("张伟", "100")]), &staff).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.json()["error"]["details"][0]["code"], "fully_empowered");

    // Use right: at least the profile's 10 years (measure 九).
    let used = achievement(t, &staff, "长期使用权成果", true).await;
    let mut input = terms(used, "long_term_use_right", &[("张伟", "70"), ("李娜", "30")]);
    let r = t.post("/api/v1/empowerment-agreements", input.clone(), &staff).await;
    assert_eq!(r.error_field(), "term_years");
    assert_eq!(r.json()["error"]["details"][0]["code"], "required");
    input["term_years"] = json!(8);
    let r = t.post("/api/v1/empowerment-agreements", input.clone(), &staff).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let detail = &r.json()["error"]["details"][0];
    assert_eq!(detail["field"], "term_years");
    assert_eq!(detail["code"], "below_policy_minimum");
    let message = detail["message"].as_str().unwrap();
    assert!(message.contains("10 年") && message.contains("（九）"), "{message}");
    input["term_years"] = json!(10);
    let r = t.post("/api/v1/empowerment-agreements", input, &staff).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let agreement = r.json()["id"].as_i64().unwrap();
    let effective =
        approve_notice_effect(t, &staff, &admin, agreement, "2026-09-01", ("2026-09-02", "2026-09-30"), "2026-10-01")
            .await;
    assert_eq!(effective["effective_from"], "2026-10-01");
    assert_eq!(effective["effective_until"], "2036-10-01");
    assert_eq!(ownership(t, &staff, used).await.len(), 1, "a use right leaves ownership unchanged");
    let another = t
        .post(
            "/api/v1/empowerment-agreements",
            {
                let mut v = terms(used, "long_term_use_right", &[("张伟", "100")]);
                v["term_years"] = json!(12);
                v
            },
            &staff,
        )
        .await;
    assert_eq!(another.json()["error"]["details"][0]["code"], "use_right_running");
});

on_every_backend!(bad_agreements_are_refused_with_the_rule, |t| {
    let staff = t.token("staff.a").await;
    let not_job = achievement(t, &staff, "非职务成果", false).await;
    let r =
        t.post("/api/v1/empowerment-agreements", terms(not_job, "full_ownership", &[("张伟", "100")]), &staff).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["details"][0]["code"], "not_job_related");
    let id = achievement(t, &staff, "检查份额的成果", true).await;
    let cases = [
        (terms(id, "part_ownership", &[("张伟", "60"), ("李娜", "40")]), "parties", "part_share_range"),
        (terms(id, "part_ownership", &[("张伟", "60"), ("李娜", "50")]), "parties", "part_share_range"),
        (terms(id, "part_ownership", &[("王五", "10")]), "parties[0].name", "not_a_contributor"),
        (terms(id, "part_ownership", &[("张伟", "10"), ("张伟", "10")]), "parties[1].name", "duplicate"),
        (terms(id, "part_ownership", &[("张伟", "0")]), "parties[0].share", "out_of_range"),
        (terms(id, "part_ownership", &[]), "parties", "required"),
        (terms(id, "gift", &[("张伟", "10")]), "kind", "unknown_choice"),
        (
            {
                let mut v = terms(id, "part_ownership", &[("张伟", "10")]);
                v["income_share"] = json!("120");
                v
            },
            "income_share",
            "out_of_range",
        ),
        (
            {
                let mut v = terms(id, "part_ownership", &[("张伟", "10")]);
                v["decision_rules"] = json!(" ");
                v
            },
            "decision_rules",
            "required",
        ),
        (terms(999_999, "part_ownership", &[("张伟", "10")]), "achievement", "unknown_choice"),
    ];
    for (input, field, code) in cases {
        let r = t.post("/api/v1/empowerment-agreements", input.clone(), &staff).await;
        assert!(r.status.is_client_error(), "{input}: {}", r.text());
        let details = r.json()["error"]["details"].clone();
        assert!(
            details.as_array().unwrap().iter().any(|d| d["field"] == field && d["code"] == code),
            "{field}/{code} expected in {details}"
        );
    }
    // Cancelling needs a reason; a cancelled agreement cannot be approved.
    let r = t.post("/api/v1/empowerment-agreements", terms(id, "part_ownership", &[("张伟", "30")]), &staff).await;
    let agreement = r.json()["id"].as_i64().unwrap();
    let r = step(t, &staff, agreement, "cancel", json!({ "version": 1 })).await;
    assert_eq!(r.error_field(), "cancel_reason");
    let r = step(t, &staff, agreement, "cancel", json!({ "version": 1, "reason": "完成人另有安排" })).await;
    assert_eq!(r.status, StatusCode::OK);
    let admin = t.token("admin.a").await;
    let r = step(
        t,
        &admin,
        agreement,
        "approve",
        json!({ "version": 2, "approved_on": "2026-11-01", "approval_ref": "x" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = step(
        t,
        &admin,
        agreement,
        "approve",
        json!({ "version": 1, "approved_on": "2026-11-01", "approval_ref": "x" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "stale version");
    let r = step(t, &staff, agreement, "fly", json!({ "version": 2 })).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // A future approval date is refused.
    let r = t.post("/api/v1/empowerment-agreements", terms(id, "part_ownership", &[("张伟", "30")]), &staff).await;
    let fresh = r.json()["id"].as_i64().unwrap();
    let r =
        step(t, &admin, fresh, "approve", json!({ "version": 1, "approved_on": "2027-01-01", "approval_ref": "x" }))
            .await;
    assert_eq!(r.error_field(), "approved_on");
});

on_every_backend!(the_separate_ledger_books_conversions, |t| {
    let staff = t.token("staff.a").await;
    let id = achievement(t, &staff, "入账的成果", true).await;
    let view = t.get(&format!("/api/v1/ledger/{id}"), &staff).await.json();
    assert_eq!(
        view["entry"]["recognition"], "not_recognised",
        "job-related achievements are in the ledger from the start"
    );
    assert_eq!(view["entry"]["stage"], "research");
    let version = view["entry"]["version"].as_i64().unwrap();

    // Unmeasurable: not recognised before conversion (measure 十).
    let assess = |stage: &str, cost: bool, value: bool, recognition: &str, book: Option<&str>, version: i64| json!({ "version": version, "stage": stage, "cost_measurable": cost, "value_measurable": value, "recognition": recognition, "book_value": book });
    let r = t
        .put(
            &format!("/api/v1/ledger/{id}"),
            assess("development", false, true, "recognised_at_cost", Some("80000"), version),
            &staff,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let d = &r.json()["error"]["details"][0];
    assert_eq!(d["code"], "unmeasurable_not_recognised");
    let r = t
        .put(
            &format!("/api/v1/ledger/{id}"),
            assess("research", true, true, "recognised_at_cost", Some("80000"), version),
            &staff,
        )
        .await;
    assert_eq!(r.json()["error"]["details"][0]["code"], "research_not_capitalised");
    let r = t
        .put(&format!("/api/v1/ledger/{id}"), assess("development", true, true, "booked", None, version), &staff)
        .await;
    assert_eq!(r.json()["error"]["details"][0]["code"], "booking_needs_conversion");
    let r = t
        .put(
            &format!("/api/v1/ledger/{id}"),
            assess("development", true, true, "recognised_at_cost", Some("-1"), version),
            &staff,
        )
        .await;
    assert_eq!(r.error_field(), "book_value");
    let r = t
        .put(
            &format!("/api/v1/ledger/{id}"),
            assess("development", true, true, "recognised_at_cost", Some("80,000.00"), version),
            &staff,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["book_value"], "80000.00");

    // Booking needs a recorded conversion.
    let r = t.post("/api/v1/conversions/999999/booking", json!({ "booked_on": "2026-11-20" }), &staff).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["details"][0]["code"], "booking_needs_conversion");
    let bad = t
        .post(
            &format!("/api/v1/achievements/{id}/conversions"),
            json!({ "mode": "gift", "value": "-3", "occurred_on": "2026-11-31", "counterparty": "", "reference": "x" }),
            &staff,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let body = bad.json();
    let fields: Vec<&str> =
        body["error"]["details"].as_array().unwrap().iter().map(|d| d["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["mode", "value", "occurred_on", "counterparty"]);
    let conversion = t
        .post(&format!("/api/v1/achievements/{id}/conversions"), json!({ "mode": "licence", "value": "1,200,000.00", "occurred_on": "2026-11-18", "counterparty": "丙企业", "reference": "技术许可合同 UNA-2026-L-002" }), &staff)
        .await;
    assert_eq!(conversion.status, StatusCode::CREATED, "{}", conversion.text());
    let cid = conversion.json()["id"].as_i64().unwrap();
    assert_eq!(conversion.json()["value"], "1200000.00");
    let early =
        t.post(&format!("/api/v1/conversions/{cid}/booking"), json!({ "booked_on": "2026-11-01" }), &staff).await;
    assert_eq!(early.error_field(), "booked_on");
    let booked =
        t.post(&format!("/api/v1/conversions/{cid}/booking"), json!({ "booked_on": "2026-11-20" }), &staff).await;
    assert_eq!(booked.status, StatusCode::OK, "{}", booked.text());
    assert_eq!(booked.json()["recognition"], "booked");
    assert_eq!(booked.json()["book_value"], "1200000.00", "booked at the deal's value");
    let twice =
        t.post(&format!("/api/v1/conversions/{cid}/booking"), json!({ "booked_on": "2026-11-20" }), &staff).await;
    assert_eq!(twice.status, StatusCode::CONFLICT);

    // Reconciliation finds what is missing or odd.
    let unbooked_id = achievement(t, &staff, "有未入账转化的成果", true).await;
    t.post(&format!("/api/v1/achievements/{unbooked_id}/conversions"), json!({ "mode": "transfer", "value": "500000", "occurred_on": "2026-11-10", "counterparty": "丙企业", "reference": "转让合同 7" }), &staff).await;
    let twice_id = achievement(t, &staff, "两次转让入账的成果", true).await;
    for n in 1..=2 {
        let c = t.post(&format!("/api/v1/achievements/{twice_id}/conversions"), json!({ "mode": "transfer", "value": "100", "occurred_on": "2026-11-10", "counterparty": "丙企业", "reference": format!("转让合同 {n}") }), &staff).await;
        let cid = c.json()["id"].as_i64().unwrap();
        assert_eq!(
            t.post(&format!("/api/v1/conversions/{cid}/booking"), json!({ "booked_on": "2026-11-11" }), &staff)
                .await
                .status,
            StatusCode::OK
        );
    }
    let legacy = achievement(t, &staff, "早于台账的成果", true).await;
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&t.db.url).await.unwrap();
    sqlx::Executor::execute(
        &mut conn,
        sqlx::AssertSqlSafe(format!("DELETE FROM ledger_entry WHERE achievement_id = {legacy}")),
    )
    .await
    .unwrap();
    let mut v = t
        .get(
            &format!("/api/v1/achievements/{not}", not = achievement(t, &staff, "后改为非职务的成果", true).await),
            &staff,
        )
        .await
        .json();
    let changed_id = v["id"].as_i64().unwrap();
    let mut input = achievement_json("后改为非职务的成果");
    input["version"] = v["version"].take();
    input["job_related"] = json!(false);
    assert_eq!(t.put(&format!("/api/v1/achievements/{changed_id}"), input, &staff).await.status, StatusCode::OK);

    let rec = t.get("/api/v1/ledger/reconciliation", &staff).await.json();
    let ids =
        |k: &str| rec[k].as_array().unwrap().iter().map(|i| i["achievement_id"].as_i64().unwrap()).collect::<Vec<_>>();
    assert_eq!(ids("missing"), [legacy]);
    assert_eq!(ids("not_job_related"), [changed_id]);
    assert_eq!(ids("unbooked"), [unbooked_id]);
    assert_eq!(ids("booked_twice"), [twice_id]);
    // Opening the missing entries from the ledger page fixes the first finding.
    let browser = t.sign_in("staff.a").await;
    let r = t.form("/ledger/open-missing", &[], Some(&browser)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let rec = t.get("/api/v1/ledger/reconciliation", &staff).await.json();
    assert_eq!(rec["missing"], json!([]));

    // The ledger report: filters, Excel, isolation.
    let rows = t.get("/api/v1/ledger?recognition=booked", &staff).await.json();
    assert_eq!(rows.as_array().unwrap().len(), 2);
    assert_eq!(t.get("/api/v1/ledger?stage=middle", &staff).await.status, StatusCode::BAD_REQUEST);
    let xlsx = t.get("/ledger/export.xlsx", &Auth::Session(browser.clone())).await;
    assert_eq!(&xlsx.body[..2], b"PK");
    let page = t.get("/ledger", &Auth::Session(browser)).await.text();
    assert!(page.contains("台账核对") && page.contains("两次转让入账的成果"));
    let outsider = t.token("staff.b").await;
    assert_eq!(t.get(&format!("/api/v1/ledger/{id}"), &outsider).await.status, StatusCode::NOT_FOUND);
    assert_eq!(t.get("/api/v1/ledger", &outsider).await.json(), json!([]));
    let regulator = t.token("regulator").await;
    assert_eq!(t.get(&format!("/api/v1/ledger/{id}"), &regulator).await.status, StatusCode::OK);
    let enterprise = t.token("enterprise").await;
    assert_eq!(t.get("/api/v1/ledger", &enterprise).await.status, StatusCode::FORBIDDEN);
});

on_every_backend!(empowerment_pages_work_with_forms, |t| {
    let staff = t.token("staff.a").await;
    let id = achievement(t, &staff, "页面赋权的成果", true).await;
    let b = t.sign_in("staff.a").await;
    let detail = t.get(&format!("/achievements/{id}"), &Auth::Session(b.clone())).await.text();
    assert!(detail.contains("新建赋权协议") && detail.contains("/ledger/"));
    let form = t.get(&format!("/empowerment/new?achievement={id}"), &Auth::Session(b.clone())).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text().contains("张伟") && form.text().contains("不少于 10 年"));
    let id_s = id.to_string();
    let base = [
        ("achievement_id", id_s.as_str()),
        ("kind", "long_term_use_right"),
        ("party_name", "张伟"),
        ("party_share", "100"),
        ("party_name", "李娜"),
        ("party_share", ""),
        ("income_share", "80"),
        ("cost_share", "0"),
        ("maintenance_share", "100"),
        ("decision_rules", "由完成人团队决定实施方式。"),
        ("term_years", "5"),
    ];
    let r = t.form("/empowerment", &base, Some(&b)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(html.contains("不得少于 10 年") && html.contains("value=\"5\""), "{html}");
    let mut good = base.to_vec();
    good[10] = ("term_years", "10");
    let r = t.form("/empowerment", &good, Some(&b)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let location = r.location();
    let page = t.get(&location, &Auth::Session(b.clone())).await.text();
    assert!(page.contains("赋权协议已保存为草稿") && page.contains("赋予长期使用权"));
    assert!(!page.contains("data-action=\"approve\""), "TTO staff do not record approvals");
    let admin = t.sign_in("admin.a").await;
    let page = t.get(location.split('?').next().unwrap(), &Auth::Session(admin.clone())).await.text();
    assert!(page.contains("data-action=\"approve\""));
    let list = t.get("/empowerment", &Auth::Session(admin)).await.text();
    assert!(list.contains("页面赋权的成果") && list.contains("草稿"));
});
