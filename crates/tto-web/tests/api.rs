//! The JSON API through the real router, on every backend.

mod common;

use axum::http::StatusCode;
use common::{Auth, achievement_json};
use serde_json::{Value, json};

async fn create(t: &common::TestApp, auth: &Auth, title: &str) -> Value {
    let reply = t.post("/api/v1/achievements", achievement_json(title), auth).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    reply.json()
}

on_every_backend!(create_read_update_and_move_an_achievement, |t| {
    let staff = t.token("staff.a").await;
    let created = create(t, &staff, "高导热石墨烯复合材料").await;
    assert_eq!(created["status"], "draft");
    assert_eq!(created["redacted"], false);
    assert_eq!(created["contributors"][0]["share"], "66.6667");
    assert_eq!(created["ownership"][0]["holders"][0]["name"], "甲大学");
    assert_eq!(created["ownership"][0]["holders"][0]["share"], "100");
    assert!(created["code"].as_str().unwrap().starts_with("UNA-2026-"));
    let id = created["id"].as_i64().unwrap();

    // Update with the version read.
    let mut input = achievement_json("高导热石墨烯复合材料（修订）");
    input["version"] = json!(1);
    input["trl"] = json!("6");
    let updated = t.put(&format!("/api/v1/achievements/{id}"), input.clone(), &staff).await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.text());
    assert_eq!(updated.json()["trl"], 6);
    assert_eq!(updated.json()["version"], 2);

    // The same change again is stale.
    let stale = t.put(&format!("/api/v1/achievements/{id}"), input, &staff).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(stale.error_field(), "version");

    // Lifecycle: register, publish; an illegal step is refused with the rule.
    for action in ["register", "publish"] {
        let r = t.post(&format!("/api/v1/achievements/{id}/transitions"), json!({ "action": action }), &staff).await;
        assert_eq!(r.status, StatusCode::OK, "{action}: {}", r.text());
    }
    let illegal =
        t.post(&format!("/api/v1/achievements/{id}/transitions"), json!({ "action": "reinstate" }), &staff).await;
    assert_eq!(illegal.status, StatusCode::CONFLICT);
    assert_eq!(illegal.error_code(), "illegal_transition");
    let unknown = t.post(&format!("/api/v1/achievements/{id}/transitions"), json!({ "action": "fly" }), &staff).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown.error_field(), "action");
    let stale = t
        .post(
            &format!("/api/v1/achievements/{id}/transitions"),
            json!({ "action": "start_negotiation", "version": 1 }),
            &staff,
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);

    // Published: anonymous visitors see public fields only.
    let public = t.get(&format!("/api/v1/achievements/{id}"), &Auth::None).await;
    assert_eq!(public.status, StatusCode::OK);
    let body = public.json();
    assert_eq!(body["redacted"], true);
    assert_eq!(body["detail"], Value::Null);
    assert_eq!(body["contributors"], json!([]));
    assert_eq!(body["ownership"], json!([]));
    assert_eq!(body["allowed_actions"], json!([]));

    // The timeline lists every step.
    let timeline = t.get(&format!("/api/v1/achievements/{id}/timeline"), &staff).await.json();
    let actions: Vec<&str> = timeline.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["achievement.create", "achievement.update", "achievement.register", "achievement.publish"]);
});

on_every_backend!(bad_input_gets_field_errors_and_changes_nothing, |t| {
    let staff = t.token("staff.a").await;
    let cases: Vec<(&str, Value, StatusCode, &str, &str)> = vec![
        (
            "shares under 100",
            json!({ "contributors": [{ "name": "甲", "share": "60", "main": true }, { "name": "乙", "share": "30" }] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "contributors",
            "shares_not_hundred",
        ),
        (
            "shares over 100",
            json!({ "contributors": [{ "name": "甲", "share": "60", "main": true }, { "name": "乙", "share": "40.0001" }] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "contributors",
            "shares_not_hundred",
        ),
        ("TRL 0", json!({ "trl": 0 }), StatusCode::UNPROCESSABLE_ENTITY, "trl", "out_of_range"),
        ("TRL 10", json!({ "trl": 10 }), StatusCode::UNPROCESSABLE_ENTITY, "trl", "out_of_range"),
        ("TRL text", json!({ "trl": "four" }), StatusCode::UNPROCESSABLE_ENTITY, "trl", "invalid_format"),
        ("TRL wrong JSON type", json!({ "trl": true }), StatusCode::BAD_REQUEST, "trl", "invalid_json"),
        ("empty title", json!({ "title": "  " }), StatusCode::UNPROCESSABLE_ENTITY, "title", "required"),
        ("unknown type", json!({ "kind": "poem" }), StatusCode::UNPROCESSABLE_ENTITY, "kind", "unknown_choice"),
        (
            "unknown chain",
            json!({ "chains": ["mining"] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "chains",
            "unknown_choice",
        ),
        (
            "bad date",
            json!({ "completion_date": "2024-13-40" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "completion_date",
            "invalid_format",
        ),
        (
            "negative share",
            json!({ "contributors": [{ "name": "甲", "share": "-10", "main": true }, { "name": "乙", "share": "110" }] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "contributors[0].share",
            "out_of_range",
        ),
        (
            "no main contributor",
            json!({ "contributors": [{ "name": "甲", "share": "100" }] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "contributors",
            "main_contributor_required",
        ),
        ("unknown field", json!({ "colour": "red" }), StatusCode::BAD_REQUEST, "colour", "invalid_json"),
        (
            "overlapping ownership",
            json!({ "ownership": [
            { "starts_on": "2020-01-01", "ends_on": "2025-01-01", "basis": "original", "holders": [{ "kind": "person", "name": "甲", "share": "100" }] },
            { "starts_on": "2024-01-01", "basis": "x", "holders": [{ "kind": "person", "name": "甲", "share": "100" }] }
        ] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "ownership",
            "overlapping",
        ),
    ];
    for (what, patch, status, field, code) in cases {
        let mut input = achievement_json(&format!("输入检查 {what}"));
        for (k, v) in patch.as_object().unwrap() {
            input[k] = v.clone();
        }
        let reply = t.post("/api/v1/achievements", input, &staff).await;
        assert_eq!(reply.status, status, "{what}: {}", reply.text());
        let details = reply.json()["error"]["details"].clone();
        let found = details
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["field"].as_str().unwrap().ends_with(field) && d["code"] == code);
        assert!(found, "{what}: expected {field}/{code} in {details}");
        assert!(!reply.json()["error"]["message"].as_str().unwrap().is_empty());
    }
    // Malformed JSON and the wrong content type.
    let reply = t
        .call(
            axum::http::Request::post("/api/v1/achievements")
                .header("content-type", "application/json")
                .header(
                    "authorization",
                    match &staff {
                        Auth::Token(tk) => format!("Bearer {tk}"),
                        _ => unreachable!(),
                    },
                )
                .body(axum::body::Body::from("{\"title\": "))
                .unwrap(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.error_code(), "bad_request");
    let reply = t
        .call(
            axum::http::Request::post("/api/v1/achievements")
                .header("content-type", "text/plain")
                .header(
                    "authorization",
                    match &staff {
                        Auth::Token(tk) => format!("Bearer {tk}"),
                        _ => unreachable!(),
                    },
                )
                .body(axum::body::Body::from("title"))
                .unwrap(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // Nothing was created.
    let list = t.get("/api/v1/achievements", &staff).await.json();
    assert_eq!(list["items"], json!([]));
});

on_every_backend!(duplicates_and_unknown_ids, |t| {
    let staff = t.token("staff.a").await;
    create(t, &staff, "同名成果").await;
    let dup = t.post("/api/v1/achievements", achievement_json("同名成果"), &staff).await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    assert_eq!(dup.error_field(), "title");
    assert_eq!(dup.json()["error"]["details"][0]["code"], "duplicate");
    // Another university may use the same title.
    let other = t.token("staff.b").await;
    create(t, &other, "同名成果").await;

    for path in ["/api/v1/achievements/999999", "/api/v1/achievements/999999/timeline", "/api/v1/institutions/999999"] {
        let r = t.get(path, &staff).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(r.error_code(), "not_found");
    }
    let r = t.get("/api/v1/no-such-route", &staff).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.error_code(), "not_found");
    let r = t
        .put(
            "/api/v1/achievements/999999",
            {
                let mut v = achievement_json("x");
                v["version"] = json!(1);
                v
            },
            &staff,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
});

on_every_backend!(list_filters_and_cursor_pages, |t| {
    let staff = t.token("staff.a").await;
    for i in 0..7 {
        let mut input = achievement_json(&format!("成果 {i}"));
        input["trl"] = json!(1 + i);
        input["kind"] = json!(if i % 2 == 0 { "invention_patent" } else { "software_copyright" });
        let r = t.post("/api/v1/achievements", input, &staff).await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    let get = |q: &'static str| {
        let staff = staff.clone();
        async move { t.get(&format!("/api/v1/achievements?{q}"), &staff).await }
    };
    assert_eq!(get("trl_min=3&trl_max=5").await.json()["items"].as_array().unwrap().len(), 3);
    assert_eq!(get("kind=software_copyright").await.json()["items"].as_array().unwrap().len(), 3);
    assert_eq!(get("q=%E6%88%90%E6%9E%9C%203").await.json()["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        get("chain=new_materials&status=draft&funding_source=fiscal").await.json()["items"].as_array().unwrap().len(),
        7
    );
    for (q, field) in [
        ("trl_min=0", "trl_min"),
        ("trl_max=10", "trl_max"),
        ("kind=poem", "kind"),
        ("status=lost", "status"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("cursor=abc", "cursor"),
        ("major=maybe", "major"),
    ] {
        let r = get(q).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}");
        assert_eq!(r.error_field(), field, "{q}");
    }
    // Walking pages of 3 visits each achievement once, newest first.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/achievements?limit=3&cursor={c}"),
            None => "/api/v1/achievements?limit=3".to_string(),
        };
        let page = t.get(&path, &staff).await.json();
        seen.extend(page["items"].as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 7);
    assert!(seen.windows(2).all(|w| w[0] > w[1]));
});

on_every_backend!(institutions_are_managed_by_platform_admins_only, |t| {
    let admin = t.token("platform").await;
    let input = json!({
        "short_code": "UNC", "name": "丁大学", "kind": "university",
        "credit_code": tto_domain::CreditCode::from_body("12120105MB0000109").unwrap().to_string(),
        "region": "天津市", "state_run": true
    });
    let created = t.post("/api/v1/institutions", input.clone(), &admin).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let dup = t.post("/api/v1/institutions", input.clone(), &admin).await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    assert_eq!(dup.error_field(), "credit_code");
    let mut bad = input.clone();
    bad["credit_code"] = json!("12120105MB0000109X");
    bad["short_code"] = json!("ZZZ");
    let invalid = t.post("/api/v1/institutions", bad, &admin).await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(invalid.error_field(), "credit_code");
    assert_eq!(invalid.json()["error"]["details"][0]["code"], "invalid_credit_code");
    let staff = t.token("staff.a").await;
    let forbidden = t.post("/api/v1/institutions", input.clone(), &staff).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    let anonymous = t.post("/api/v1/institutions", input, &Auth::None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    // The directory is public.
    let all = t.get("/api/v1/institutions", &Auth::None).await.json();
    assert_eq!(all.as_array().unwrap().len(), common::INSTITUTIONS.len() + 1);
    // Update needs the version.
    let id = created.json()["id"].as_i64().unwrap();
    let mut change = created.json();
    change.as_object_mut().unwrap().retain(|k, _| {
        ["short_code", "name", "kind", "credit_code", "region", "state_run", "version"].contains(&k.as_str())
    });
    change["name"] = json!("丁大学（更名）");
    let updated = t.put(&format!("/api/v1/institutions/{id}"), change.clone(), &admin).await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.text());
    assert_eq!(updated.json()["version"], 2);
    let stale = t.put(&format!("/api/v1/institutions/{id}"), change, &admin).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
});

on_every_backend!(policy_profile_lists_every_rule_with_its_source, |t| {
    let policy = t.get("/api/v1/policy", &Auth::None).await;
    assert_eq!(policy.status, StatusCode::OK);
    let body = policy.json();
    assert_eq!(body["id"], "tianjin-2023");
    let params = body["parameters"].as_array().unwrap();
    assert_eq!(params.len(), tto_domain::policy::ParamKey::ALL.len());
    let band = params.iter().find(|p| p["key"] == "tto_reward.band").unwrap();
    assert_eq!(band["grade"], "A");
    assert!(band["document"].as_str().unwrap().contains("天津"));
    assert!(params.iter().any(|p| p["needs_confirmation"] == true && p["grade"] == "U"));
    assert!(params.iter().all(|p| !p["document"].as_str().unwrap().is_empty()));
    let bad = t.get("/api/v1/policy?on=yesterday", &Auth::None).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.error_field(), "on");
    let before = t.get("/api/v1/policy?on=2020-01-01", &Auth::None).await.json();
    assert_eq!(before["id"], "national-2015", "national law applies in Tianjin before its 2023 measures");
    assert!(!before["parameters"].as_array().unwrap().iter().any(|p| p["key"] == "tto_reward.band"));
    let ancient = t.get("/api/v1/policy?on=2010-01-01", &Auth::None).await;
    assert_eq!(ancient.status, StatusCode::NOT_FOUND, "no profile before the 2015 law");
});

on_every_backend!(openapi_describes_every_route_and_every_route_answers, |t| {
    let doc = t.get("/api/openapi.json", &Auth::None).await.json();
    let paths = doc["paths"].as_object().unwrap();
    let expected = [
        "/api/v1/achievements",
        "/api/v1/achievements/{id}",
        "/api/v1/achievements/{id}/transitions",
        "/api/v1/achievements/{id}/timeline",
        "/api/v1/institutions",
        "/api/v1/institutions/{id}",
        "/api/v1/me",
        "/api/v1/tokens",
        "/api/v1/tokens/{id}",
        "/api/v1/audit",
        "/api/v1/policy",
        "/api/v1/empowerment-agreements",
        "/api/v1/empowerment-agreements/{id}",
        "/api/v1/empowerment-agreements/{id}/{step}",
        "/api/v1/ledger",
        "/api/v1/ledger/reconciliation",
        "/api/v1/ledger/{achievement_id}",
        "/api/v1/achievements/{id}/conversions",
        "/api/v1/conversions/{id}/booking",
        "/api/v1/deals",
        "/api/v1/deals/{id}",
        "/api/v1/deals/{id}/{step}",
        "/api/v1/deals/{id}/exemption",
        "/api/v1/deals/{id}/evidence-pack",
        "/api/v1/notices",
        "/api/v1/notices/{id}",
        "/api/v1/notices/{id}/close",
        "/api/v1/notices/{id}/objections",
        "/api/v1/objections/{id}/decision",
        "/api/v1/market",
        "/api/v1/listings/{id}/interest",
        "/api/v1/auctions/{id}",
        "/api/v1/auctions/{id}/bidders",
        "/api/v1/auctions/{id}/bidders/{party_id}/decision",
        "/api/v1/auctions/{id}/bids",
        "/api/v1/contracts",
        "/api/v1/contracts/{id}",
        "/api/v1/contracts/{id}/registration",
        "/api/v1/contracts/{id}/payments",
        "/api/v1/releases",
        "/api/v1/releases/candidates",
        "/api/v1/releases/{id}",
        "/api/v1/releases/{id}/publish",
        "/api/v1/distributions/preview",
        "/api/v1/tax/enterprise",
        "/api/v1/distributions",
        "/api/v1/distributions/statement",
        "/api/v1/distributions/{id}",
        "/api/v1/distributions/{id}/{step}",
        "/api/v1/distribution-rules",
        "/api/v1/finance-entries",
        "/api/v1/disclosures",
        "/api/v1/disclosures/{id}",
        "/api/v1/disclosures/{id}/{step}",
        "/api/v1/disclosures/{id}/attachments",
        "/api/v1/disclosures/{id}/attachments/{attachment}",
        "/api/v1/evaluations",
        "/api/v1/evaluations/{id}",
        "/api/v1/evaluations/{id}/scores",
        "/api/v1/evaluations/{id}/conflict",
        "/api/v1/evaluations/{id}/decision",
        "/api/v1/screening-rounds",
        "/api/v1/screening-rounds/{id}",
        "/api/v1/screening-rounds/{id}/candidates",
        "/api/v1/screening-rounds/{id}/reviewers",
        "/api/v1/screening-rounds/{id}/candidates/{candidate}/scores",
        "/api/v1/screening-rounds/{id}/conflict",
        "/api/v1/screening-rounds/{id}/{step}",
        "/api/v1/reviewer-candidates",
        "/api/v1/ip-rights",
        "/api/v1/ip-rights/{id}",
        "/api/v1/ip-rights/{id}/annuities",
        "/api/v1/ip-rights/{id}/programme",
        "/api/v1/annuities/due",
        "/api/v1/reminders",
        "/api/v1/monitoring",
        "/api/v1/patent-programme",
        "/api/v1/needs",
        "/api/v1/needs/import",
        "/api/v1/needs/{id}",
        "/api/v1/needs/{id}/{step}",
        "/api/v1/search",
        "/api/v1/needs/{id}/matches",
        "/api/v1/needs/{id}/managers",
        "/api/v1/achievements/{id}/matches",
        "/api/v1/achievements/{id}/confirm_chain",
        "/api/v1/matches",
        "/api/v1/matches/feedback",
        "/api/v1/matches/{id}",
        "/api/v1/matches/{id}/{step}",
        "/api/v1/events",
        "/api/v1/events/{id}",
        "/api/v1/events/{id}/{step}",
        "/api/v1/events/{id}/participants",
        "/api/v1/events/{id}/participants/{participant}/registration",
        "/api/v1/events/{id}/agenda",
        "/api/v1/events/{id}/meetings/{meeting}/outcome",
        "/api/v1/events/{id}/outcomes",
    ];
    let mut documented: Vec<&str> = paths.keys().map(String::as_str).collect();
    documented.sort();
    let mut wanted = expected.to_vec();
    wanted.sort();
    assert_eq!(documented, wanted);
    // Every documented operation is routed (never 404 route-not-found or 405).
    let staff = t.token("staff.a").await;
    for (path, ops) in paths {
        for method in ops.as_object().unwrap().keys() {
            let concrete = path
                .replace("{id}", "1")
                .replace("{achievement_id}", "1")
                .replace("{party_id}", "1")
                .replace("{attachment}", "1")
                .replace("{candidate}", "1")
                .replace(
                    "{step}",
                    if path.starts_with("/api/v1/deals") {
                        "complete"
                    } else if path.starts_with("/api/v1/disclosures") {
                        "submit"
                    } else if path.starts_with("/api/v1/screening-rounds") {
                        "open"
                    } else {
                        "approve"
                    },
                );
            let m = axum::http::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let body =
                if m == axum::http::Method::GET || m == axum::http::Method::DELETE { None } else { Some(json!({})) };
            let r = t.send(m.clone(), &concrete, body, &staff).await;
            assert_ne!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{m} {concrete}");
            if r.status == StatusCode::NOT_FOUND {
                assert_ne!(
                    r.json()["error"]["message"].as_str().unwrap_or_default(),
                    "route not found",
                    "{m} {concrete}"
                );
            }
            assert!(!r.status.is_server_error(), "{m} {concrete}: {}", r.text());
        }
    }
});

on_every_backend!(health_answers, |t| {
    let r = t.get("/health", &Auth::None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["status"], "ok");
});
