//! Supply-demand matching through the real router: explained candidates both ways, the
//! enterprises behind an achievement's needs, managers for a need, feedback, the pipeline
//! with its steps and manager, the achievement chain suggestion, bad input, the pages.

mod common;

use axum::http::StatusCode;
use common::{Auth, achievement_json};
use serde_json::{Value, json};

/// A published achievement of `auth`'s university.
async fn achievement(t: &common::TestApp, auth: &Auth, input: Value) -> i64 {
    let r = t.post("/api/v1/achievements", input, auth).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_i64().unwrap();
    for action in ["register", "publish"] {
        let r = t.post(&format!("/api/v1/achievements/{id}/transitions"), json!({ "action": action }), auth).await;
        assert_eq!(r.status, StatusCode::OK, "{action}: {}", r.text());
    }
    id
}

fn graphene(title: &str) -> Value {
    achievement_json(title)
}

fn vaccine() -> Value {
    let mut a = achievement_json("新型mRNA疫苗佐剂");
    a["summary"] = json!("一种提高mRNA疫苗免疫原性的脂质纳米佐剂，小鼠实验中抗体滴度提高五倍。");
    a["keywords"] = json!(["疫苗", "佐剂", "免疫"]);
    a["discipline"] = json!("基础医学");
    a["chains"] = json!(["biomedicine"]);
    a
}

/// A published need of the enterprise.
async fn need(t: &common::TestApp, ent: &Auth) -> i64 {
    let input = json!({
        "title": "高导热石墨烯散热材料",
        "description": "电子设备散热需要高导热石墨烯复合材料，导热系数提高三成以上，可批量制备。",
        "chains": ["new_materials"],
        "discipline": "材料科学与工程",
        "deadline": "2027-06-30",
        "contact_policy": "public",
        "contact_name": "王工",
        "contact_phone": "13800001111",
        "trl_min": 3,
        "trl_max": 6,
        "keywords": ["石墨烯", "导热"]
    });
    let r = t.post("/api/v1/needs", input, ent).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_i64().unwrap();
    let r = t.post(&format!("/api/v1/needs/{id}/publish"), json!({ "version": 1 }), ent).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    id
}

/// The code of the first field problem of an error reply.
fn detail_code(r: &common::Reply) -> String {
    r.json()["error"]["details"][0]["code"].as_str().unwrap_or_default().to_string()
}

fn candidate_ids(v: &Value) -> Vec<i64> {
    v["candidates"].as_array().unwrap().iter().map(|c| c["counterpart"]["id"].as_i64().unwrap()).collect()
}

on_every_backend!(a_need_sees_explained_achievements_best_first, |t| {
    let staff = t.token("staff.a").await;
    let ent = t.token("enterprise").await;
    let good = achievement(t, &staff, graphene("石墨烯高导热复合膜")).await;
    let other = achievement(t, &staff, vaccine()).await;
    // A draft of the university: the enterprise must not get it.
    let r = t.post("/api/v1/achievements", graphene("石墨烯导热草稿"), &staff).await;
    let draft = r.json()["id"].as_i64().unwrap();
    let need = need(t, &ent).await;

    let r = t.get(&format!("/api/v1/needs/{need}/matches"), &ent).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let m = r.json();
    assert_eq!(m["side"], "need");
    let ids = candidate_ids(&m);
    assert_eq!(ids.first(), Some(&good), "{m}");
    assert!(!ids.contains(&draft), "{ids:?}");
    // The vaccine shares only a common word: it comes after, far behind.
    let score_of = |id: i64| {
        m["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["counterpart"]["id"] == id)
            .map(|c| c["score"].as_i64().unwrap())
    };
    if let Some(weak) = score_of(other) {
        assert!(weak + 30 < score_of(good).unwrap(), "{m}");
    }
    let best = &m["candidates"][0];
    assert_eq!(best["counterpart"]["kind"], "achievement");
    assert_eq!(best["counterpart"]["institution_name"], "甲大学");
    let f = &best["explanation"]["features"];
    assert_eq!(f["shared_keywords"], json!(["石墨烯", "导热"]));
    assert_eq!(f["shared_chains"], json!(["new_materials"]));
    assert_eq!(f["same_discipline"], true);
    assert_eq!(f["trl"], json!({ "fit": "within", "level": 4, "gap": null }));
    assert!(f["matched_terms"].as_array().unwrap().iter().any(|m| m["field"] == "title"), "{f}");
    let reasons: Vec<&str> =
        best["explanation"]["reasons"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
    assert!(reasons.contains(&"共同关键词：石墨烯、导热"), "{reasons:?}");
    assert!(reasons.contains(&"同属产业链：新材料"), "{reasons:?}");
    assert!(reasons.contains(&"技术成熟度 4 级，在需求范围内"), "{reasons:?}");
    let score = best["score"].as_i64().unwrap();
    assert!((60..=100).contains(&score), "{score}");
    // In English on request; anyone may look at a published need's matches, without a side.
    let r = t.get(&format!("/api/v1/needs/{need}/matches?lang=en&limit=5"), &Auth::None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let anon = r.json();
    assert_eq!(anon["side"], Value::Null);
    assert_eq!(candidate_ids(&anon).first(), Some(&good));
    let reasons = anon["candidates"][0]["explanation"]["reasons"].to_string();
    assert!(reasons.contains("Shared keywords: 石墨烯, 导热"), "{reasons}");
    assert!(reasons.contains("Same industrial chain: New materials"), "{reasons}");
});

on_every_backend!(an_achievement_sees_needs_and_the_enterprises_behind_them, |t| {
    let staff = t.token("staff.a").await;
    let ent = t.token("enterprise").await;
    let good = achievement(t, &staff, graphene("石墨烯高导热复合膜")).await;
    let published = need(t, &ent).await;
    // A draft need is nobody's match.
    let mut draft = json!({
        "title": "石墨烯导热草稿需求", "description": "石墨烯导热。", "contact_policy": "public",
        "contact_name": "王工", "contact_phone": "13800001111", "keywords": ["石墨烯"]
    });
    let r = t.post("/api/v1/needs", draft.take(), &ent).await;
    let draft_id = r.json()["id"].as_i64().unwrap();

    let r = t.get(&format!("/api/v1/achievements/{good}/matches"), &staff).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let m = r.json();
    assert_eq!(m["side"], "achievement");
    assert_eq!(candidate_ids(&m), vec![published], "{m}");
    assert!(!candidate_ids(&m).contains(&draft_id));
    assert_eq!(m["candidates"][0]["counterpart"]["kind"], "need");
    assert_eq!(
        m["enterprises"],
        json!([{ "name": "丙企业", "institution_id": m["enterprises"][0]["institution_id"], "best_score": m["candidates"][0]["score"], "need_ids": [published] }])
    );
    // Another university's staff see the same public needs but give no feedback for it.
    let r = t.get(&format!("/api/v1/achievements/{good}/matches"), &t.token("staff.b").await).await;
    assert_eq!((r.status, r.json()["side"].clone()), (StatusCode::OK, Value::Null));
});

on_every_backend!(feedback_the_pipeline_and_its_manager, |t| {
    let staff = t.token("staff.a").await;
    let ent = t.token("enterprise").await;
    let manager = t.token("manager").await;
    let good = achievement(t, &staff, graphene("石墨烯高导热复合膜")).await;
    let second = achievement(t, &staff, graphene("石墨烯导热涂层")).await;
    let need = need(t, &ent).await;

    // The enterprise accepts: the pair enters the pipeline as recommended.
    let r = t
        .post("/api/v1/matches/feedback", json!({ "need_id": need, "achievement_id": good, "verdict": "accept" }), &ent)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let m = r.json()["match"].clone();
    assert_eq!((m["status"].as_str(), m["score"].as_i64().is_some()), (Some("recommended"), true), "{m}");
    let id = m["id"].as_i64().unwrap();
    assert!(m["explanation"]["reasons"].to_string().contains("石墨烯"), "{m}");
    // Both parties see it; others do not.
    for (who, n) in [("enterprise", 1), ("staff.a", 1), ("staff.b", 0), ("manager", 0), ("regulator", 1)] {
        let r = t.get("/api/v1/matches", &t.token(who).await).await;
        assert_eq!(r.json().as_array().map(Vec::len), Some(n), "{who}: {}", r.text());
    }
    assert_eq!(t.get(&format!("/api/v1/matches/{id}"), &t.token("staff.b").await).await.status, StatusCode::NOT_FOUND);
    // The candidates show the verdict and the pipeline record.
    let r = t.get(&format!("/api/v1/needs/{need}/matches"), &ent).await;
    let c =
        r.json()["candidates"].as_array().unwrap().iter().find(|c| c["counterpart"]["id"] == good).cloned().unwrap();
    assert_eq!((c["need_verdict"].as_str(), c["pipeline"]["id"].as_i64()), (Some("accept"), Some(id)));

    // Managers for the need, then one assigned by the university's TTO.
    let r = t.get(&format!("/api/v1/needs/{need}/managers"), &staff).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let managers = r.json();
    let manager_id = managers[0]["user_id"].as_i64().unwrap();
    assert_eq!(managers[0]["name"], "manager 用户");
    assert_eq!(managers[0]["reasons"][0], "尚无平台对接记录");
    assert_eq!(t.get(&format!("/api/v1/needs/{need}/managers"), &Auth::None).await.status, StatusCode::UNAUTHORIZED);
    let r = t
        .post(
            &format!("/api/v1/matches/{id}/assign_manager"),
            json!({ "version": 1, "manager_user_id": manager_id }),
            &staff,
        )
        .await;
    assert_eq!((r.status, r.json()["manager_name"].as_str()), (StatusCode::OK, Some("manager 用户")), "{}", r.text());
    // The assigned manager now sees it and works it through to a deal.
    assert_eq!(t.get("/api/v1/matches", &manager).await.json().as_array().map(Vec::len), Some(1));
    let mut version = 2;
    // Talks under way mark the need matched, a deal puts it in progress.
    for (step, status, need_status) in [
        ("contact", "contacted", "published"),
        ("negotiate", "negotiating", "matched"),
        ("close_deal", "deal", "in_progress"),
    ] {
        let r = t
            .post(&format!("/api/v1/matches/{id}/{step}"), json!({ "version": version, "note": "电话沟通" }), &manager)
            .await;
        assert_eq!((r.status, r.json()["status"].as_str()), (StatusCode::OK, Some(status)), "{step}: {}", r.text());
        version += 1;
        let r = t.get(&format!("/api/v1/needs/{need}"), &ent).await;
        assert_eq!(r.json()["status"], need_status, "{step}: {}", r.text());
    }
    // A closed pair moves no further.
    let r = t.post(&format!("/api/v1/matches/{id}/drop"), json!({ "version": version }), &manager).await;
    assert_eq!((r.status, r.error_field()), (StatusCode::CONFLICT, "status".to_string()));
    let r = t
        .post(
            &format!("/api/v1/matches/{id}/assign_manager"),
            json!({ "version": version, "manager_user_id": null }),
            &staff,
        )
        .await;
    assert_eq!((r.status, detail_code(&r)), (StatusCode::CONFLICT, "match_closed".to_string()), "{}", r.text());
    // The manager's record now speaks for them.
    let r = t.get(&format!("/api/v1/needs/{need}/managers"), &ent).await;
    let first = &r.json()[0];
    assert_eq!((first["chain_cases"].as_i64(), first["total_deals"].as_i64()), (Some(1), Some(1)), "{first}");
    assert!(first["reasons"][0].as_str().unwrap().contains("同产业链的 1 个对接"), "{first}");

    // The university rejects the second pair: no pipeline record, and it goes last.
    let r = t
        .post(
            "/api/v1/matches/feedback",
            json!({ "need_id": need, "achievement_id": second, "verdict": "reject", "reason": "已转让" }),
            &staff,
        )
        .await;
    assert_eq!((r.status, r.json()["match"].clone()), (StatusCode::OK, Value::Null), "{}", r.text());
    let r = t.get(&format!("/api/v1/achievements/{second}/matches"), &staff).await;
    assert_eq!(r.json()["candidates"][0]["achievement_verdict"], "reject");
    // Rejecting an open pair drops it.
    let r = t.post("/api/v1/matches", json!({ "need_id": need, "achievement_id": second }), &staff).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let second_id = r.json()["id"].as_i64().unwrap();
    let r = t
        .post(
            "/api/v1/matches/feedback",
            json!({ "need_id": need, "achievement_id": second, "verdict": "reject" }),
            &ent,
        )
        .await;
    assert_eq!(r.json()["match"]["status"], "dropped", "{}", r.text());
    let r = t.post(&format!("/api/v1/matches/{second_id}/reopen"), json!({ "version": 2 }), &staff).await;
    assert_eq!(r.json()["status"], "recommended", "{}", r.text());

    // Everything is on the audit trail.
    let audit =
        t.get(&format!("/api/v1/audit?entity_type=tech_match&entity_id={id}"), &t.token("platform").await).await;
    let actions: Vec<String> =
        audit.json()["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_string()).collect();
    for a in ["match.create", "match.assign", "match.contact", "match.negotiate", "match.close_deal"] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
    let audit =
        t.get(&format!("/api/v1/audit?entity_type=tech_need&entity_id={need}"), &t.token("platform").await).await;
    let actions: Vec<String> =
        audit.json()["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_string()).collect();
    for a in ["need.match", "need.start"] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
    let audit = t.get("/api/v1/audit?entity_type=match_feedback", &t.token("platform").await).await;
    assert_eq!(audit.json()["items"].as_array().map(Vec::len), Some(3), "{}", audit.text());
});

on_every_backend!(bad_matching_input_is_refused_per_field, |t| {
    let staff = t.token("staff.a").await;
    let ent = t.token("enterprise").await;
    let good = achievement(t, &staff, graphene("石墨烯高导热复合膜")).await;
    let need = need(t, &ent).await;
    let r = t.get(&format!("/api/v1/needs/{need}/matches?limit=abc"), &ent).await;
    assert_eq!((r.status, r.error_field()), (StatusCode::BAD_REQUEST, "limit".to_string()));
    assert_eq!(t.get("/api/v1/needs/999999/matches", &ent).await.status, StatusCode::NOT_FOUND);
    assert_eq!(t.get("/api/v1/achievements/999999/matches", &ent).await.status, StatusCode::NOT_FOUND);
    let feedback = |verdict: &str, reason: Value| json!({ "need_id": need, "achievement_id": good, "verdict": verdict, "reason": reason });
    let r = t.post("/api/v1/matches/feedback", feedback("maybe", Value::Null), &ent).await;
    assert_eq!((r.status.is_client_error(), r.error_field()), (true, "verdict".to_string()), "{}", r.text());
    let r = t.post("/api/v1/matches/feedback", feedback("accept", json!("长".repeat(1001))), &ent).await;
    assert_eq!((r.status, r.error_field()), (StatusCode::UNPROCESSABLE_ENTITY, "reason".to_string()), "{}", r.text());
    // Neither side.
    let r = t.post("/api/v1/matches/feedback", feedback("accept", Value::Null), &t.token("manager").await).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = t.post("/api/v1/matches/feedback", feedback("accept", Value::Null), &Auth::None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = t
        .post(
            "/api/v1/matches/feedback",
            json!({ "need_id": need, "achievement_id": 999999, "verdict": "accept" }),
            &ent,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Enterprises give feedback; they do not run the pipeline.
    let r = t.post("/api/v1/matches", json!({ "need_id": need, "achievement_id": good }), &ent).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t
        .post("/api/v1/matches", json!({ "need_id": need, "achievement_id": good, "manager_user_id": 1 }), &staff)
        .await;
    assert_eq!((r.status, r.error_field()), (StatusCode::UNPROCESSABLE_ENTITY, "manager_user_id".to_string()));
    let r = t.post("/api/v1/matches", json!({ "need_id": need, "achievement_id": good }), &staff).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let id = r.json()["id"].as_i64().unwrap();
    let r = t.post("/api/v1/matches", json!({ "need_id": need, "achievement_id": good }), &staff).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = t.post(&format!("/api/v1/matches/{id}/fly"), json!({ "version": 1 }), &staff).await;
    assert_eq!((r.status.is_client_error(), r.error_field()), (true, "step".to_string()));
    let r = t.post(&format!("/api/v1/matches/{id}/contact"), json!({ "version": 7 }), &staff).await;
    assert_eq!((r.status, r.error_field()), (StatusCode::CONFLICT, "version".to_string()));
    let r = t.post(&format!("/api/v1/matches/{id}/close_deal"), json!({ "version": 1 }), &staff).await;
    assert_eq!((r.status, detail_code(&r)), (StatusCode::CONFLICT, "illegal_match_transition".to_string()));
    let r = t.post(&format!("/api/v1/matches/{id}/contact"), json!({ "version": 1, "extra": 1 }), &staff).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = t.get("/api/v1/matches?status=bogus", &staff).await;
    assert_eq!((r.status, r.error_field()), (StatusCode::BAD_REQUEST, "status".to_string()));
    assert_eq!(t.get("/api/v1/matches", &Auth::None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(t.get("/api/v1/matches", &t.token("investor").await).await.status, StatusCode::FORBIDDEN);
});

on_every_backend!(an_achievement_chain_is_suggested_and_confirmed, |t| {
    let staff = t.token("staff.a").await;
    let mut input = vaccine();
    input["chains"] = json!([]);
    let r = t.post("/api/v1/achievements", input, &staff).await;
    let a = r.json();
    let id = a["id"].as_i64().unwrap();
    assert_eq!((a["suggested_chain"].as_str(), a["chains"].clone()), (Some("biomedicine"), json!([])), "{a}");
    // Only those who may edit see the suggestion.
    let r = t.get(&format!("/api/v1/achievements/{id}"), &t.token("regulator").await).await;
    assert_eq!(r.json()["suggested_chain"], Value::Null);
    let r = t.post(&format!("/api/v1/achievements/{id}/confirm_chain"), json!({ "version": 1 }), &staff).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["chains"], json!(["biomedicine"]));
    let next = r.json()["suggested_chain"].clone();
    let r = t.post(&format!("/api/v1/achievements/{id}/confirm_chain"), json!({ "version": 1 }), &staff).await;
    assert_eq!((r.status, r.error_field()), (StatusCode::CONFLICT, "version".to_string()));
    if next.is_null() {
        let r = t.post(&format!("/api/v1/achievements/{id}/confirm_chain"), json!({ "version": 2 }), &staff).await;
        assert_eq!((r.status, detail_code(&r)), (StatusCode::CONFLICT, "no_suggestion".to_string()));
    }
    let r = t
        .post(&format!("/api/v1/achievements/{id}/confirm_chain"), json!({ "version": 2 }), &t.token("staff.b").await)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
});

on_every_backend!(matching_pages_show_reasons_and_take_feedback, |t| {
    let staff = t.token("staff.a").await;
    let good = achievement(t, &staff, graphene("石墨烯高导热复合膜")).await;
    let browser = t.sign_in("enterprise").await;
    let need = need(t, &t.token("enterprise").await).await;
    let r = t.get(&format!("/needs/{need}/matches"), &Auth::Session(browser.clone())).await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(html.contains("石墨烯高导热复合膜") && html.contains("共同关键词：石墨烯、导热"), "{html}");
    assert!(html.contains("action=\"/matches/feedback\""));
    let r = t
        .form(
            "/matches/feedback",
            &[
                ("need_id", &need.to_string()),
                ("achievement_id", &good.to_string()),
                ("verdict", "accept"),
                ("back", &format!("/needs/{need}/matches")),
            ],
            Some(&browser),
        )
        .await;
    assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, format!("/needs/{need}/matches?done=accept")));
    // A foreign `back` is not followed.
    let r = t
        .form(
            "/matches/feedback",
            &[
                ("need_id", &need.to_string()),
                ("achievement_id", &good.to_string()),
                ("verdict", "accept"),
                ("back", "https://evil.example/x/matches"),
            ],
            Some(&browser),
        )
        .await;
    assert_eq!(r.location(), "/matches?done=accept");
    let r = t.get("/matches", &Auth::Session(browser.clone())).await;
    assert!(r.text().contains("石墨烯高导热复合膜") && r.text().contains("推荐"), "{}", r.text());
    let r = t.get(&format!("/achievements/{good}/matches?lang=en"), &Auth::None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("Matching needs") && r.text().contains("高导热石墨烯散热材料"), "{}", r.text());
});
