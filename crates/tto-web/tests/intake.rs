//! Disclosures, pre-filing evaluations, IP records with annuities and reminders, screening
//! rounds and the monitoring of major achievements, through the real router (measure 六).

mod common;

use axum::http::StatusCode;
use common::{cn_patent_number, disclosure_json};
use serde_json::{Value, json};

fn scores(values: [u32; 5], comment: &str) -> Value {
    let [novelty, patentability, industrialisation, maturity, team] = values;
    json!({ "scores": { "novelty": novelty, "patentability": patentability, "industrialisation": industrialisation,
                        "maturity": maturity, "team": team }, "comment": comment })
}

fn accept_body(version: i64) -> Value {
    json!({ "version": version, "discipline": "材料科学与工程", "kind": "invention_patent", "trl": "4",
            "confidentiality": "summary_only", "chains": ["new_materials"], "keywords": ["陶瓷基板"],
            "major": true, "comments": "同意受理" })
}

async fn user_id(t: &common::TestApp, username: &str) -> i64 {
    let users = t.app.users(&tto_app::Actor::system("t")).await.unwrap();
    users.iter().find(|u| u.username == username).unwrap().id
}

async fn audit_actions(t: &common::TestApp, entity_type: &str, id: i64) -> Vec<String> {
    let regulator = t.token("regulator").await;
    let audit = t.get(&format!("/api/v1/audit?entity_type={entity_type}&entity_id={id}"), &regulator).await.json();
    let mut actions: Vec<String> =
        audit["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_string()).collect();
    actions.reverse();
    actions
}

on_every_backend!(an_inventor_discloses_and_the_tto_returns_then_accepts, |t| {
    let inventor = t.token("inventor.a").await;
    let staff = t.token("staff.a").await;
    // Bad drafts: every problem at once, nothing stored.
    let mut bad = disclosure_json("");
    bad["contributors"] = json!([{ "name": "王芳", "share": "60", "main": true }, { "name": "赵磊", "share": "30" }]);
    bad["funding_refs"] = json!([]);
    let r = t.post("/api/v1/disclosures", bad, &inventor).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let fields: Vec<String> = r.json()["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_string())
        .collect();
    for field in ["title", "contributors", "funding_refs"] {
        assert!(fields.iter().any(|f| f.starts_with(field)), "{field} not reported: {fields:?}");
    }
    assert_eq!(t.get("/api/v1/disclosures", &inventor).await.json(), json!([]));

    let created = t.post("/api/v1/disclosures", disclosure_json("低温烧结陶瓷基板"), &inventor).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let d = created.json();
    let id = d["id"].as_i64().unwrap();
    assert_eq!((d["status"].as_str(), d["inventor"].as_str()), (Some("draft"), Some("inventor.a 用户")));
    // Drafts are the inventor's: the TTO cannot decide on them yet.
    let early = t.post(&format!("/api/v1/disclosures/{id}/accept"), accept_body(1), &staff).await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.text());
    let submitted = t.post(&format!("/api/v1/disclosures/{id}/submit"), json!({ "version": 1 }), &inventor).await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.text());
    assert_eq!(submitted.json()["submitted_on"], "2026-11-29");
    // Submitted: locked for the inventor; an inventor cannot decide.
    let mut change = disclosure_json("改名");
    change["version"] = json!(2);
    assert_eq!(
        t.put(&format!("/api/v1/disclosures/{id}"), change.clone(), &inventor).await.status,
        StatusCode::CONFLICT
    );
    let r = t.post(&format!("/api/v1/disclosures/{id}/accept"), accept_body(2), &inventor).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    // Returning needs comments.
    let r = t.post(&format!("/api/v1/disclosures/{id}/return"), json!({ "version": 2, "comments": " " }), &staff).await;
    assert_eq!((r.status, r.error_field()), (StatusCode::UNPROCESSABLE_ENTITY, "comments".to_string()));
    let returned = t
        .post(
            &format!("/api/v1/disclosures/{id}/return"),
            json!({ "version": 2, "comments": "请补充对比文件" }),
            &staff,
        )
        .await;
    assert_eq!(returned.status, StatusCode::OK, "{}", returned.text());
    assert_eq!(
        (returned.json()["status"].as_str(), returned.json()["comments"].as_str()),
        (Some("returned"), Some("请补充对比文件"))
    );
    // The inventor sees the comments, edits (a stale version is refused) and resubmits.
    let seen = t.get(&format!("/api/v1/disclosures/{id}"), &inventor).await.json();
    assert_eq!(seen["comments"], "请补充对比文件");
    let stale = t.put(&format!("/api/v1/disclosures/{id}"), change.clone(), &inventor).await;
    assert_eq!((stale.status, stale.error_field()), (StatusCode::CONFLICT, "version".to_string()));
    change["version"] = json!(3);
    change["prior_art"] = json!("CN1000000A；CN2000000B 公开了类似配方。");
    let edited = t.put(&format!("/api/v1/disclosures/{id}"), change, &inventor).await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text());
    assert_eq!(edited.json()["title"], "改名");
    let r = t.post(&format!("/api/v1/disclosures/{id}/submit"), json!({ "version": 4 }), &inventor).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // Accepting creates a registered achievement from the disclosure.
    let mut incomplete = accept_body(5);
    incomplete["discipline"] = json!("");
    let r = t.post(&format!("/api/v1/disclosures/{id}/accept"), incomplete, &staff).await;
    assert_eq!((r.status, r.error_field()), (StatusCode::UNPROCESSABLE_ENTITY, "discipline".to_string()));
    let accepted = t.post(&format!("/api/v1/disclosures/{id}/accept"), accept_body(5), &staff).await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text());
    let d = accepted.json();
    assert_eq!((d["status"].as_str(), d["decided_on"].as_str()), (Some("accepted"), Some("2026-11-29")));
    let achievement_id = d["achievement_id"].as_i64().unwrap();
    let a = t.get(&format!("/api/v1/achievements/{achievement_id}"), &staff).await.json();
    assert_eq!(
        (a["title"].as_str(), a["status"].as_str(), a["major"].as_bool()),
        (Some("改名"), Some("registered"), Some(true))
    );
    let names: Vec<&str> = a["contributors"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["王芳", "赵磊"]);
    assert!(a["detail"].as_str().unwrap().contains("CN2000000B"));
    // Accepted is final.
    let again =
        t.post(&format!("/api/v1/disclosures/{id}/reject"), json!({ "version": 6, "comments": "x" }), &staff).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    // Every step is on record.
    assert_eq!(
        audit_actions(t, "disclosure", id).await,
        [
            "disclosure.create",
            "disclosure.submit",
            "disclosure.return",
            "disclosure.update",
            "disclosure.submit",
            "disclosure.accept"
        ]
    );
    // Rejection needs a reason and is final.
    let other = t.post("/api/v1/disclosures", disclosure_json("第二项"), &inventor).await.json();
    let other_id = other["id"].as_i64().unwrap();
    t.post(&format!("/api/v1/disclosures/{other_id}/submit"), json!({ "version": 1 }), &inventor).await;
    let rejected = t
        .post(
            &format!("/api/v1/disclosures/{other_id}/reject"),
            json!({ "version": 2, "comments": "已有在先公开" }),
            &staff,
        )
        .await;
    assert_eq!(rejected.status, StatusCode::OK, "{}", rejected.text());
    assert_eq!(rejected.json()["status"], "rejected");
    let listed = t.get("/api/v1/disclosures?status=rejected", &inventor).await.json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let bad_filter = t.get("/api/v1/disclosures?status=lost", &inventor).await;
    assert_eq!((bad_filter.status, bad_filter.error_field()), (StatusCode::BAD_REQUEST, "status".to_string()));
    let unknown = t.post(&format!("/api/v1/disclosures/{other_id}/approve"), json!({ "version": 3 }), &staff).await;
    assert_eq!((unknown.status, unknown.error_field()), (StatusCode::BAD_REQUEST, "step".to_string()));
});

on_every_backend!(attachments_upload_download_and_lock_with_the_disclosure, |t| {
    let inventor = t.token("inventor.a").await;
    let d = t.post("/api/v1/disclosures", disclosure_json("附件测试"), &inventor).await.json();
    let id = d["id"].as_i64().unwrap();
    let content = "实验数据：烧结温度 1550 ℃\n".repeat(100);
    let up =
        t.upload(&format!("/api/v1/disclosures/{id}/attachments"), "实验记录.txt", content.as_bytes(), &inventor).await;
    assert_eq!(up.status, StatusCode::CREATED, "{}", up.text());
    let a = up.json();
    assert_eq!((a["file_name"].as_str(), a["size"].as_i64()), (Some("实验记录.txt"), Some(content.len() as i64)));
    assert_eq!(a["sha256"].as_str().unwrap().len(), 64);
    let attachment = a["id"].as_i64().unwrap();
    let down = t.get(&format!("/api/v1/disclosures/{id}/attachments/{attachment}"), &inventor).await;
    assert_eq!(down.status, StatusCode::OK);
    assert_eq!(down.body, content.as_bytes(), "the file comes back byte for byte");
    let disposition = down.headers["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment;") && disposition.contains("UTF-8''"), "{disposition}");
    assert_eq!(down.headers["content-type"], "application/octet-stream");
    // The TTO reads it too; another university does not.
    let staff = t.token("staff.a").await;
    assert_eq!(
        t.get(&format!("/api/v1/disclosures/{id}/attachments/{attachment}"), &staff).await.status,
        StatusCode::OK
    );
    let foreign = t.token("staff.b").await;
    assert_eq!(
        t.get(&format!("/api/v1/disclosures/{id}/attachments/{attachment}"), &foreign).await.status,
        StatusCode::NOT_FOUND
    );
    // Empty files and bodies without a file are refused with a field message.
    let empty = t.upload(&format!("/api/v1/disclosures/{id}/attachments"), "空.txt", b"", &inventor).await;
    assert_eq!((empty.status, empty.error_field()), (StatusCode::UNPROCESSABLE_ENTITY, "file".to_string()));
    let json_body = t.post(&format!("/api/v1/disclosures/{id}/attachments"), json!({}), &inventor).await;
    assert!(json_body.status.is_client_error(), "{}", json_body.status);
    assert_eq!(json_body.error_field(), "file");
    // A second file, removed again while the draft is editable.
    let second = t
        .upload(&format!("/api/v1/disclosures/{id}/attachments"), "草图.png", &[0x89, b'P', b'N', b'G'], &inventor)
        .await;
    let second = second.json()["id"].as_i64().unwrap();
    let removed = t
        .send(axum::http::Method::DELETE, &format!("/api/v1/disclosures/{id}/attachments/{second}"), None, &inventor)
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    // Submitted: attachments are locked.
    t.post(&format!("/api/v1/disclosures/{id}/submit"), json!({ "version": 1 }), &inventor).await;
    let late = t.upload(&format!("/api/v1/disclosures/{id}/attachments"), "补充.txt", b"x", &inventor).await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{}", late.text());
    let delete = t
        .send(
            axum::http::Method::DELETE,
            &format!("/api/v1/disclosures/{id}/attachments/{attachment}"),
            None,
            &inventor,
        )
        .await;
    assert_eq!(delete.status, StatusCode::CONFLICT);
    let d = t.get(&format!("/api/v1/disclosures/{id}"), &inventor).await.json();
    let files: Vec<&str> =
        d["attachments"].as_array().unwrap().iter().map(|a| a["file_name"].as_str().unwrap()).collect();
    assert_eq!(files, ["实验记录.txt"]);
});

on_every_backend!(reviewers_score_independently_and_the_tto_decides, |t| {
    let staff = t.token("staff.a").await;
    let achievement = t.post("/api/v1/achievements", common::achievement_json("高导热陶瓷"), &staff).await.json();
    let achievement_id = achievement["id"].as_i64().unwrap();
    let (admin_id, manager_id, investor_id) =
        (user_id(t, "admin.a").await, user_id(t, "manager").await, user_id(t, "investor").await);
    // Reviewers come from the candidates list (experts of other institutions included).
    let candidates = t.get("/api/v1/reviewer-candidates", &staff).await.json();
    let ids: Vec<i64> = candidates.as_array().unwrap().iter().map(|c| c["user_id"].as_i64().unwrap()).collect();
    assert!(ids.contains(&manager_id) && ids.contains(&admin_id), "{candidates}");
    let r = t.post("/api/v1/evaluations", json!({ "achievement_id": achievement_id, "reviewers": [] }), &staff).await;
    assert_eq!((r.status, r.error_field()), (StatusCode::UNPROCESSABLE_ENTITY, "reviewers".to_string()));
    let r = t
        .post(
            "/api/v1/evaluations",
            json!({ "achievement_id": achievement_id, "reviewers": [admin_id, admin_id] }),
            &staff,
        )
        .await;
    assert_eq!((r.status, r.error_field()), (StatusCode::UNPROCESSABLE_ENTITY, "reviewers".to_string()));
    let created = t
        .post(
            "/api/v1/evaluations",
            json!({ "achievement_id": achievement_id, "reviewers": [admin_id, manager_id, investor_id] }),
            &staff,
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let e = created.json();
    let id = e["id"].as_i64().unwrap();
    // The template is the profile's: industrialisation prospect carries the most weight.
    let weights: Vec<(String, String)> = e["template"]["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["code"].as_str().unwrap().to_string(), c["weight"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        weights,
        [("novelty", "15"), ("patentability", "20"), ("industrialisation", "35"), ("maturity", "15"), ("team", "15")]
            .map(|(c, w)| (c.to_string(), w.to_string()))
    );
    assert_eq!((e["template"]["scale_min"].as_u64(), e["template"]["scale_max"].as_u64()), (Some(1), Some(5)));
    // No decision without scores.
    let path = format!("/api/v1/evaluations/{id}");
    let r = t
        .post(&format!("{path}/decision"), json!({ "version": 1, "recommendation": "defer", "reasons": "x" }), &staff)
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    // Bad sheets: out of range, missing, unknown criteria; a non-reviewer.
    let admin = t.token("admin.a").await;
    let mut bad = scores([6, 3, 3, 3, 3], "");
    bad["scores"].as_object_mut().unwrap().remove("team");
    bad["scores"]["beauty"] = json!(3);
    let r = t.post(&format!("{path}/scores"), bad, &admin).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let fields: Vec<String> = r.json()["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_string())
        .collect();
    for f in ["scores.novelty", "scores.team", "scores.beauty"] {
        assert!(fields.iter().any(|x| x == f), "{f} not reported: {fields:?}");
    }
    let r = t.post(&format!("{path}/scores"), scores([3, 3, 3, 3, 3], ""), &staff).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "staff are not reviewers here: {}", r.text());
    // Two reviewers score; the third declares a conflict of interest and cannot score.
    let r = t.post(&format!("{path}/scores"), scores([4, 3, 5, 3, 4], "产业化前景好"), &admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["may_score"], false);
    let r = t.post(&format!("{path}/scores"), scores([4, 3, 5, 3, 4], ""), &admin).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "scored once only");
    let manager = t.token("manager").await;
    let view = t.get(&path, &manager).await;
    assert_eq!((view.status, view.json()["may_score"].as_bool()), (StatusCode::OK, Some(true)));
    // Before scoring, a reviewer sees neither the others' sheets nor their aggregate.
    assert_eq!((view.json()["sheets"].clone(), view.json()["aggregate"].clone()), (json!([]), Value::Null));
    let r = t.post(&format!("{path}/scores"), scores([2, 3, 3, 2, 2], "技术成熟度不足"), &manager).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let investor = t.token("investor").await;
    let r = t.post(&format!("{path}/conflict"), json!({ "note": "" }), &investor).await;
    assert_eq!((r.status, r.error_field()), (StatusCode::UNPROCESSABLE_ENTITY, "conflict_note".to_string()));
    let r = t.post(&format!("{path}/conflict"), json!({ "note": "曾与发明人合作" }), &investor).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let r = t.post(&format!("{path}/scores"), scores([5, 5, 5, 5, 5], ""), &investor).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "a declared conflict excludes scoring");
    // Weighted totals 4.00 and 2.55: mean 3.275 → 3.28; on 0–100 (3.275 − 1) / 4 = 56.9; spread 1.45.
    let e = t.get(&path, &staff).await.json();
    let agg = &e["aggregate"];
    assert_eq!(agg["reviewers"], 2);
    assert_eq!(
        (agg["total"].as_str(), agg["score"].as_str(), agg["spread"].as_str()),
        (Some("3.28"), Some("56.9"), Some("1.45"))
    );
    let industrialisation = &agg["criteria"][2];
    assert_eq!(
        (industrialisation["mean"].as_str(), industrialisation["min"].as_u64(), industrialisation["max"].as_u64()),
        (Some("4"), Some(3), Some(5))
    );
    let conflicted = e["reviewers"].as_array().unwrap().iter().find(|r| r["user_id"] == investor_id).unwrap();
    assert_eq!(
        (conflicted["conflict"].as_bool(), conflicted["conflict_note"].as_str()),
        (Some(true), Some("曾与发明人合作"))
    );
    // The TTO decides with reasons; then it is closed.
    let r = t
        .post(&format!("{path}/decision"), json!({ "version": 1, "recommendation": "patent", "reasons": "x" }), &staff)
        .await;
    assert_eq!((r.status, r.error_field()), (StatusCode::UNPROCESSABLE_ENTITY, "recommendation".to_string()));
    let r = t
        .post(
            &format!("{path}/decision"),
            json!({ "version": 1, "recommendation": "file_patent", "reasons": "" }),
            &staff,
        )
        .await;
    assert_eq!((r.status, r.error_field()), (StatusCode::UNPROCESSABLE_ENTITY, "reasons".to_string()));
    let decided = t
        .post(
            &format!("{path}/decision"),
            json!({ "version": 1, "recommendation": "file_patent", "reasons": "新颖性与产业化前景俱佳，建议申请发明专利" }),
            &staff,
        )
        .await;
    assert_eq!(decided.status, StatusCode::OK, "{}", decided.text());
    let d = decided.json();
    assert_eq!((d["status"].as_str(), d["recommendation"].as_str()), (Some("decided"), Some("file_patent")));
    let r = t.post(&format!("{path}/scores"), scores([5, 5, 5, 5, 5], ""), &investor).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = t
        .post(&format!("{path}/decision"), json!({ "version": 2, "recommendation": "defer", "reasons": "x" }), &staff)
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "decided once");
    // Reviewers find what they are asked to review; the list filters by achievement.
    let mine = t.get("/api/v1/evaluations", &manager).await.json();
    assert_eq!(mine.as_array().unwrap().len(), 1);
    let filtered = t.get(&format!("/api/v1/evaluations?achievement_id={achievement_id}"), &staff).await.json();
    assert_eq!(filtered[0]["id"], id);
    let bad = t.get("/api/v1/evaluations?achievement_id=abc", &staff).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
});

on_every_backend!(ip_records_compute_annuities_and_raise_reminders, |t| {
    let staff = t.token("staff.a").await;
    let achievement = t.post("/api/v1/achievements", common::achievement_json("陶瓷基板"), &staff).await.json();
    let achievement_id = achievement["id"].as_i64().unwrap();
    let number = cn_patent_number(2023, 1, 345_678);
    let patent = |number: &str, filing: &str, grant: &str| {
        json!({ "achievement_id": achievement_id, "kind": "invention_patent", "title": "一种低温烧结陶瓷基板",
                "application_number": number, "filing_date": filing, "grant_date": grant,
                "grant_number": if grant.is_empty() { String::new() } else { format!("ZL{number}") } })
    };
    // Bad input: a wrong check character, a utility-model number for an invention, grant before filing.
    let wrong = format!("{}{}", &number[..13], if number.ends_with('1') { '2' } else { '1' });
    let r = t.post("/api/v1/ip-rights", patent(&wrong, "2023-03-01", ""), &staff).await;
    assert_eq!(
        (r.status, r.error_field()),
        (StatusCode::UNPROCESSABLE_ENTITY, "application_number".to_string()),
        "{}",
        r.text()
    );
    let utility = cn_patent_number(2023, 2, 345_678);
    let r = t.post("/api/v1/ip-rights", patent(&utility, "2023-03-01", ""), &staff).await;
    assert_eq!((r.status, r.error_field()), (StatusCode::UNPROCESSABLE_ENTITY, "application_number".to_string()));
    let r = t.post("/api/v1/ip-rights", patent(&number, "2023-03-01", "2022-01-01"), &staff).await;
    assert_eq!((r.status, r.error_field()), (StatusCode::UNPROCESSABLE_ENTITY, "grant_date".to_string()));
    // Granted 2025-06-01 on a filing of 2023-03-01: years 1–3 are paid with the grant; year 4
    // was due on 2026-03-01 (overdue now), year 5 on 2027-03-01, … until the 20-year term ends.
    let created = t.post("/api/v1/ip-rights", patent(&number, "2023-03-01", "2025-06-01"), &staff).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let p = created.json();
    let id = p["id"].as_i64().unwrap();
    assert_eq!((p["legal_status"].as_str(), p["expires_on"].as_str()), (Some("granted"), Some("2043-03-01")));
    let annuities = p["annuities"].as_array().unwrap();
    assert_eq!(annuities.len(), 17);
    assert_eq!((annuities[0]["year"].as_u64(), annuities[0]["due_on"].as_str()), (Some(4), Some("2026-03-01")));
    assert_eq!(annuities[0]["overdue"], true);
    assert_eq!((annuities[16]["year"].as_u64(), annuities[16]["due_on"].as_str()), (Some(20), Some("2042-03-01")));
    assert!(annuities[1..].iter().all(|a| a["overdue"] == false));
    let dup = t.post("/api/v1/ip-rights", patent(&number, "2023-03-01", ""), &staff).await;
    assert_eq!((dup.status, dup.error_field()), (StatusCode::UNPROCESSABLE_ENTITY, "application_number".to_string()));
    // A utility model filed a year ago, pending: no annuities yet; its term is 10 years.
    let pending = t
        .post(
            "/api/v1/ip-rights",
            json!({ "kind": "utility_model", "title": "一种散热结构", "application_number": utility, "filing_date": "2025-12-15" }),
            &staff,
        )
        .await;
    assert_eq!(pending.status, StatusCode::CREATED, "{}", pending.text());
    let pending = pending.json();
    assert_eq!(
        (pending["legal_status"].as_str(), pending["expires_on"].as_str()),
        (Some("pending"), Some("2035-12-15"))
    );
    assert_eq!(pending["annuities"], json!([]));
    // Due list: the overdue year 4 only (year 5 is more than the profile's 90 days away).
    let due = t.get("/api/v1/annuities/due", &staff).await.json();
    let due: Vec<(i64, u64, bool)> = due
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["ip_id"].as_i64().unwrap(), d["year"].as_u64().unwrap(), d["overdue"].as_bool().unwrap()))
        .collect();
    assert_eq!(due, [(id, 4, true)]);
    // Paying: bad input, then the real payment; twice is refused.
    let path = format!("/api/v1/ip-rights/{id}/annuities");
    let r = t.post(&path, json!({ "year": 3, "paid_on": "2026-11-01", "amount": "900" }), &staff).await;
    assert_eq!((r.status, r.error_field()), (StatusCode::UNPROCESSABLE_ENTITY, "year".to_string()));
    let r = t.post(&path, json!({ "year": 4, "paid_on": "2027-01-01", "amount": "900" }), &staff).await;
    assert_eq!((r.status, r.error_field()), (StatusCode::UNPROCESSABLE_ENTITY, "paid_on".to_string()));
    let r = t.post(&path, json!({ "year": 4, "paid_on": "2026-11-20", "amount": "1200" }), &staff).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let year4 = &r.json()["annuities"][0];
    assert_eq!(
        (year4["paid_on"].as_str(), year4["amount"].as_str(), year4["overdue"].as_bool()),
        (Some("2026-11-20"), Some("1200.00"), Some(false))
    );
    let r = t.post(&path, json!({ "year": 4, "paid_on": "2026-11-21", "amount": "1200" }), &staff).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(t.get("/api/v1/annuities/due", &staff).await.json(), json!([]));
    // Within 90 days of 2027-03-01 the scheduled task raises one reminder (once).
    t.clock.advance(time::Duration::days(40));
    let report = t.app.run_due_tasks().await.unwrap();
    assert_eq!(report.reminders_raised, 1);
    assert_eq!(t.app.run_due_tasks().await.unwrap().reminders_raised, 0, "raised once");
    let reminders = t.get("/api/v1/reminders", &staff).await.json();
    assert_eq!(reminders.as_array().unwrap().len(), 1);
    assert_eq!(
        (reminders[0]["subject_id"].as_i64(), reminders[0]["period"].as_i64(), reminders[0]["due_on"].as_str()),
        (Some(id), Some(5), Some("2027-03-01"))
    );
    assert!(t.get("/api/v1/reminders", &t.token("staff.b").await).await.json().as_array().unwrap().is_empty());
    // The programme takes granted patents only.
    let r = t
        .post(
            &format!("/api/v1/ip-rights/{}/programme", pending["id"]),
            json!({ "version": 1, "status": "listed" }),
            &staff,
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    let version = t.get(&format!("/api/v1/ip-rights/{id}"), &staff).await.json()["version"].as_i64().unwrap();
    let r = t
        .post(&format!("/api/v1/ip-rights/{id}/programme"), json!({ "version": version, "status": "sold" }), &staff)
        .await;
    assert_eq!((r.status, r.error_field()), (StatusCode::UNPROCESSABLE_ENTITY, "programme_status".to_string()));
    let r = t
        .post(&format!("/api/v1/ip-rights/{id}/programme"), json!({ "version": version, "status": "listed" }), &staff)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!((r.json()["programme"].as_bool(), r.json()["programme_status"].as_str()), (Some(true), Some("listed")));
    let r = t
        .post(
            &format!("/api/v1/ip-rights/{id}/programme"),
            json!({ "version": version + 1, "status": "converted" }),
            &staff,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let rates = t.get("/api/v1/patent-programme", &staff).await.json();
    let una = t.institution("UNA").await.0;
    let mine = rates.as_array().unwrap().iter().find(|r| r["institution_id"] == una).unwrap();
    assert_eq!(
        (mine["granted"].as_u64(), mine["in_programme"].as_u64(), mine["converted"].as_u64()),
        (Some(1), Some(1), Some(1))
    );
    assert_eq!(mine["rate"], "100");
    // Filters.
    let granted = t.get("/api/v1/ip-rights?legal_status=granted&programme=true", &staff).await.json();
    assert_eq!(granted.as_array().unwrap().len(), 1);
    let linked = t.get(&format!("/api/v1/ip-rights?achievement_id={achievement_id}"), &staff).await.json();
    assert_eq!(linked.as_array().unwrap().len(), 1);
    for bad in ["kind=trademark", "legal_status=sleeping", "programme=maybe"] {
        assert_eq!(t.get(&format!("/api/v1/ip-rights?{bad}"), &staff).await.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    // Updates are versioned.
    let mut update = patent(&number, "2023-03-01", "2025-06-01");
    update["version"] = json!(1);
    update["legal_status"] = json!("lapsed");
    assert_eq!(t.put(&format!("/api/v1/ip-rights/{id}"), update.clone(), &staff).await.status, StatusCode::CONFLICT);
    update["version"] = json!(version + 2);
    let r = t.put(&format!("/api/v1/ip-rights/{id}"), update, &staff).await;
    assert_eq!((r.status, r.json()["legal_status"].as_str()), (StatusCode::OK, Some("lapsed")));
});

on_every_backend!(a_screening_round_ranks_shortlists_and_publishes, |t| {
    let staff = t.token("staff.a").await;
    let round = |criteria: Value, due: &str| {
        json!({ "title": "2026 年度概念验证项目遴选", "kind": "startup", "description": "面向在校师生创业项目",
                "criteria": criteria, "scores_due_on": due, "shortlist_size": 1 })
    };
    let criteria = json!([{ "name": "市场前景", "weight": "50" }, { "name": "团队", "weight": "30" }, { "name": "技术", "weight": "20" }]);
    let r = t
        .post("/api/v1/screening-rounds", round(json!([{ "name": "市场前景", "weight": "50" }]), "2026-12-31"), &staff)
        .await;
    assert_eq!((r.status, r.error_field()), (StatusCode::UNPROCESSABLE_ENTITY, "criteria".to_string()), "{}", r.text());
    let r = t.post("/api/v1/screening-rounds", round(criteria.clone(), "2026-01-01"), &staff).await;
    assert_eq!(
        (r.status, r.error_field()),
        (StatusCode::UNPROCESSABLE_ENTITY, "scores_due_on".to_string()),
        "{}",
        r.text()
    );
    let r = t.post("/api/v1/screening-rounds", round(criteria, "2026-12-31"), &staff).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_i64().unwrap();
    let path = format!("/api/v1/screening-rounds/{id}");
    // Not open without candidates and reviewers.
    let r = t.post(&format!("{path}/open"), json!({ "version": 1 }), &staff).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    for (name, description) in [("智能焊接机器人", "焊缝识别"), ("陶瓷基板", "低温烧结")] {
        let r =
            t.post(&format!("{path}/candidates"), json!({ "name": name, "description": description }), &staff).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }
    let r = t.post(&format!("{path}/candidates"), json!({ "name": "" }), &staff).await;
    assert!(r.status.is_client_error());
    let (admin_id, manager_id) = (user_id(t, "admin.a").await, user_id(t, "manager").await);
    let r = t.post(&format!("{path}/reviewers"), json!({ "reviewers": [admin_id, manager_id] }), &staff).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let version = r.json()["version"].as_i64().unwrap();
    let r = t.post(&format!("{path}/open"), json!({ "version": version }), &staff).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let round = r.json();
    assert_eq!(round["status"], "open");
    let candidates: Vec<i64> =
        round["candidates"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
    let codes: Vec<String> = round["template"]["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap().to_string())
        .collect();
    let sheet = |values: [u32; 3]| {
        let scores: serde_json::Map<String, Value> =
            codes.iter().cloned().zip(values.iter().map(|v| json!(v))).collect();
        json!({ "scores": scores, "comment": "" })
    };
    // Reviewers see what they still have to score.
    let admin = t.token("admin.a").await;
    let manager = t.token("manager").await;
    assert_eq!(t.get(&path, &manager).await.json()["to_score"], json!(candidates));
    for (who, first, second) in [(&admin, [5, 4, 4], [3, 3, 2]), (&manager, [4, 4, 5], [2, 3, 3])] {
        for (candidate, values) in [(candidates[0], first), (candidates[1], second)] {
            let r = t.post(&format!("{path}/candidates/{candidate}/scores"), sheet(values), who).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        }
    }
    let r = t.post(&format!("{path}/candidates/{}/scores", candidates[0]), sheet([1, 1, 1]), &admin).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "scored once");
    let r = t.post(&format!("{path}/candidates/{}/scores", candidates[0]), sheet([1, 1, 1]), &staff).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "not a reviewer");
    // Before publication, others see nothing of the draft or open round.
    let foreign = t.token("staff.b").await;
    assert_eq!(t.get(&path, &foreign).await.status, StatusCode::NOT_FOUND);
    let version = t.get(&path, &staff).await.json()["version"].as_i64().unwrap();
    let r = t.post(&format!("{path}/publish"), json!({ "version": version }), &staff).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "closed before published");
    let closed = t.post(&format!("{path}/close"), json!({ "version": version }), &staff).await;
    assert_eq!(closed.status, StatusCode::OK, "{}", closed.text());
    let c = closed.json();
    let first = &c["candidates"][0];
    let second = &c["candidates"][1];
    assert_eq!((first["rank"].as_i64(), first["shortlisted"].as_bool()), (Some(1), Some(true)));
    assert_eq!((second["rank"].as_i64(), second["shortlisted"].as_bool()), (Some(2), Some(false)));
    // Robot: (5·50 + 4·30 + 4·20)/100 = 4.5 and (4·50 + 4·30 + 5·20)/100 = 4.2 → 4.35; spread 0.30.
    assert_eq!(
        (first["aggregate"]["total"].as_str(), first["aggregate"]["spread"].as_str()),
        (Some("4.35"), Some("0.30"))
    );
    let published = t.post(&format!("{path}/publish"), json!({ "version": version + 1 }), &staff).await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.text());
    assert_eq!(published.json()["published_on"], "2026-11-29");
    let seen = t.get(&path, &foreign).await;
    assert_eq!(seen.status, StatusCode::OK, "published results are public");
    assert_eq!(seen.json()["candidates"][0]["shortlisted"], true);
    assert_eq!(seen.json()["reviewers"], json!([]), "reviewer names stay internal");
});

on_every_backend!(major_achievements_are_watched_and_stalls_raise_alerts, |t| {
    let staff = t.token("staff.a").await;
    let mut major = common::achievement_json("重大成果：固态电池电解质");
    major["major"] = json!(true);
    let a = t.post("/api/v1/achievements", major, &staff).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    let id = a.json()["id"].as_i64().unwrap();
    t.post("/api/v1/achievements", common::achievement_json("普通成果"), &staff).await;
    let watched = t.get("/api/v1/monitoring", &staff).await.json();
    assert_eq!(watched.as_array().unwrap().len(), 1, "only major achievements are watched: {watched}");
    let w = &watched[0];
    assert_eq!(
        (w["achievement_id"].as_i64(), w["status"].as_str(), w["income"].as_str()),
        (Some(id), Some("draft"), Some("0.00"))
    );
    let kinds = |w: &Value| -> Vec<String> {
        w["alerts"].as_array().unwrap().iter().map(|a| a["kind"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(kinds(w), ["not_evaluated"]);
    // Seven months later without progress: stalled (the profile says six).
    t.clock.advance(time::Duration::days(214));
    let watched = t.get("/api/v1/monitoring", &staff).await.json();
    let alerts = kinds(&watched[0]);
    assert!(alerts.contains(&"stalled".to_string()), "{alerts:?}");
    let stalled = watched[0]["alerts"].as_array().unwrap().iter().find(|a| a["kind"] == "stalled").unwrap();
    assert_eq!(stalled["args"]["months"], "7", "{stalled}");
    // Progress clears the stall.
    let r = t.post(&format!("/api/v1/achievements/{id}/transitions"), json!({ "action": "register" }), &staff).await;
    assert_eq!(r.status, StatusCode::OK);
    let watched = t.get("/api/v1/monitoring", &staff).await.json();
    assert!(!kinds(&watched[0]).contains(&"stalled".to_string()));
    // Others: regulators see every university's; inventors may not.
    let regulator = t.token("regulator").await;
    assert_eq!(t.get("/api/v1/monitoring", &regulator).await.json().as_array().unwrap().len(), 1);
    assert_eq!(t.get("/api/v1/monitoring", &t.token("inventor.a").await).await.status, StatusCode::FORBIDDEN);
    assert_eq!(t.get("/api/v1/monitoring", &t.token("staff.b").await).await.json(), json!([]));
});

on_every_backend!(a_disclosure_becomes_an_evaluated_patent_with_annuity_reminders, |t| {
    let inventor = t.token("inventor.a").await;
    let staff = t.token("staff.a").await;
    let d = t.post("/api/v1/disclosures", disclosure_json("固态电池电解质膜"), &inventor).await.json();
    let id = d["id"].as_i64().unwrap();
    t.post(&format!("/api/v1/disclosures/{id}/submit"), json!({ "version": 1 }), &inventor).await;
    let accepted = t.post(&format!("/api/v1/disclosures/{id}/accept"), accept_body(2), &staff).await.json();
    let achievement_id = accepted["achievement_id"].as_i64().unwrap();
    let reviewers = [user_id(t, "admin.a").await, user_id(t, "manager").await];
    let e = t
        .post("/api/v1/evaluations", json!({ "achievement_id": achievement_id, "reviewers": reviewers }), &staff)
        .await
        .json();
    let path = format!("/api/v1/evaluations/{}", e["id"]);
    for (who, values) in [("admin.a", [5, 4, 5, 3, 4]), ("manager", [4, 4, 4, 3, 4])] {
        let r = t.post(&format!("{path}/scores"), scores(values, ""), &t.token(who).await).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }
    let decided = t
        .post(
            &format!("{path}/decision"),
            json!({ "version": 1, "recommendation": "file_patent", "reasons": "建议申请发明专利" }),
            &staff,
        )
        .await;
    assert_eq!(decided.json()["recommendation"], "file_patent");
    // Filed (a priority application of 2024) and granted this year; the next annuity falls
    // due within the reminder window and the scheduled task raises it.
    let number = cn_patent_number(2024, 1, 111_222);
    let p = t
        .post(
            "/api/v1/ip-rights",
            json!({ "achievement_id": achievement_id, "kind": "invention_patent", "title": "固态电池电解质膜",
                    "application_number": number, "filing_date": "2024-01-10", "grant_date": "2026-10-01",
                    "grant_number": format!("ZL{number}") }),
            &staff,
        )
        .await;
    assert_eq!(p.status, StatusCode::CREATED, "{}", p.text());
    let ip_id = p.json()["id"].as_i64().unwrap();
    assert_eq!(p.json()["annuities"][0]["due_on"], "2027-01-10");
    assert_eq!(t.app.run_due_tasks().await.unwrap().reminders_raised, 1);
    let reminders = t.get("/api/v1/reminders", &staff).await.json();
    assert_eq!((reminders[0]["subject_id"].as_i64(), reminders[0]["period"].as_i64()), (Some(ip_id), Some(4)));
    let linked = t.get(&format!("/api/v1/ip-rights?achievement_id={achievement_id}"), &staff).await.json();
    assert_eq!(linked[0]["id"], ip_id);
    // The major achievement is watched with its evaluation score — totals 4.35 and 3.85,
    // mean 4.1, (4.1 − 1) / 4 = 77.5 on 0–100 — and its next annuity.
    let watched = t.get("/api/v1/monitoring", &staff).await.json();
    let w = watched.as_array().unwrap().iter().find(|w| w["achievement_id"] == achievement_id).unwrap();
    assert_eq!((w["next_annuity"].as_str(), w["evaluation_score"].as_str()), (Some("2027-01-10"), Some("77.5")));
    let kinds: Vec<&str> = w["alerts"].as_array().unwrap().iter().map(|a| a["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["annuity_due"]);
});
