//! Enterprise technology needs (企业技术需求, measure 十五) through the real router: the
//! lifecycle, every validation, who sees the contact, the all-or-nothing import, the pages.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::{Auth, encode};
use serde_json::{Value, json};

/// A valid need (the test clock's today is 2026-11-29).
fn need_json(title: &str, policy: &str) -> Value {
    json!({
        "title": title,
        "description": "新能源汽车功率芯片封装散热：寻求高导热封装材料与工艺，热阻降低 30% 以上。",
        "chains": ["integrated_circuits"],
        "discipline": "材料科学与工程",
        "budget_min": "50万",
        "budget_max": 1000000,
        "deadline": "2027-06-30",
        "contact_policy": policy,
        "contact_name": "王工",
        "contact_phone": "138 0000 1111",
        "contact_email": "wang@example.cn",
        "trl_min": 4,
        "trl_max": 7,
        "keywords": ["封装", "散热"]
    })
}

async fn create(t: &common::TestApp, auth: &Auth, title: &str, policy: &str) -> Value {
    let r = t.post("/api/v1/needs", need_json(title, policy), auth).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()
}

async fn step(t: &common::TestApp, auth: &Auth, id: i64, step: &str, version: i64) -> common::Reply {
    t.post(&format!("/api/v1/needs/{id}/{step}"), json!({ "version": version }), auth).await
}

fn field_codes(r: &common::Reply) -> Vec<(String, String)> {
    r.json()["error"]["details"]
        .as_array()
        .map(|d| {
            d.iter()
                .map(|e| (e["field"].as_str().unwrap_or("").to_string(), e["code"].as_str().unwrap_or("").to_string()))
                .collect()
        })
        .unwrap_or_default()
}

on_every_backend!(lifecycle_from_draft_to_closed_and_back, |t| {
    let ent = t.token("enterprise").await;
    let need = create(t, &ent, "功率芯片封装散热", "public").await;
    let id = need["id"].as_i64().unwrap();
    assert_eq!(need["status"], "draft");
    assert_eq!(need["budget_min"], "500000.00");
    assert_eq!(need["contact"]["phone"], "13800001111");
    assert_eq!(need["actions"][0], "publish");
    assert_eq!(need["actions"][1], "withdraw");
    // Drafts are not public.
    assert_eq!(t.get(&format!("/api/v1/needs/{id}"), &Auth::None).await.status, StatusCode::NOT_FOUND);
    let r = step(t, &ent, id, "publish", 1).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        (r.json()["status"].as_str(), r.json()["published_on"].as_str()),
        (Some("published"), Some("2026-11-29"))
    );
    let public = t.get(&format!("/api/v1/needs/{id}"), &Auth::None).await;
    assert_eq!(public.status, StatusCode::OK);
    assert_eq!(public.json()["actions"], json!([]));
    for (s, v, status) in [("match", 2, "matched"), ("start", 3, "in_progress"), ("close", 4, "closed")] {
        let r = step(t, &ent, id, s, v).await;
        assert_eq!((r.status, r.json()["status"].as_str()), (StatusCode::OK, Some(status)), "{s}: {}", r.text());
    }
    // Closed needs are not public, and cannot be changed until reopened.
    assert_eq!(t.get(&format!("/api/v1/needs/{id}"), &Auth::None).await.status, StatusCode::NOT_FOUND);
    let mut edit = need_json("改", "public");
    edit["version"] = json!(5);
    let r = t.put(&format!("/api/v1/needs/{id}"), edit.clone(), &ent).await;
    assert_eq!((r.status, r.error_field()), (StatusCode::CONFLICT, "status".to_string()));
    let r = step(t, &ent, id, "reopen", 5).await;
    assert_eq!(r.json()["status"], "draft");
    edit["version"] = json!(6);
    let r = t.put(&format!("/api/v1/needs/{id}"), edit, &ent).await;
    assert_eq!((r.status, r.json()["title"].as_str()), (StatusCode::OK, Some("改")), "{}", r.text());
    // Every change is on the audit trail.
    let audit = t.get(&format!("/api/v1/audit?entity_type=tech_need&entity_id={id}"), &t.token("platform").await).await;
    let actions: Vec<String> =
        audit.json()["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_string()).collect();
    for a in ["need.create", "need.publish", "need.match", "need.start", "need.close", "need.reopen", "need.update"] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
});

on_every_backend!(every_validation_is_a_field_error, |t| {
    let ent = t.token("enterprise").await;
    let mut bad = need_json("坏需求", "public");
    bad["budget_min"] = json!("2000000");
    bad["deadline"] = json!("2026-11-28");
    bad["chains"] = json!(["mining"]);
    bad["contact_email"] = json!("wang@");
    bad["contact_policy"] = json!("everyone");
    let r = t.post("/api/v1/needs", bad, &ent).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let codes = field_codes(&r);
    for expected in [
        ("budget_max", "min_above_max"),
        ("deadline", "in_the_past"),
        ("chains", "unknown_choice"),
        ("contact_email", "invalid_format"),
        ("contact_policy", "unknown_choice"),
    ] {
        assert!(codes.contains(&(expected.0.into(), expected.1.into())), "{expected:?} in {codes:?}");
    }
    let mut no_contact = need_json("无联系方式", "public");
    no_contact["contact_phone"] = Value::Null;
    no_contact["contact_email"] = Value::Null;
    let r = t.post("/api/v1/needs", no_contact, &ent).await;
    assert_eq!(field_codes(&r), [("contact_phone".to_string(), "phone_or_email".to_string())]);
    // Illegal transitions and stale versions are conflicts.
    let id = create(t, &ent, "状态机", "public").await["id"].as_i64().unwrap();
    let r = step(t, &ent, id, "close", 1).await;
    assert_eq!((r.status, r.error_code()), (StatusCode::CONFLICT, "conflict".to_string()));
    assert_eq!(field_codes(&r)[0].1, "illegal_need_transition");
    let r = step(t, &ent, id, "fly", 1).await;
    assert_eq!((r.status, r.error_field()), (StatusCode::BAD_REQUEST, "step".to_string()));
    assert_eq!(step(t, &ent, id, "publish", 1).await.status, StatusCode::OK);
    let r = step(t, &ent, id, "match", 1).await;
    assert_eq!((r.status, r.error_field()), (StatusCode::CONFLICT, "version".to_string()));
    let mut edit = need_json("状态机", "public");
    edit["version"] = json!(1);
    let r = t.put(&format!("/api/v1/needs/{id}"), edit, &ent).await;
    assert_eq!(field_codes(&r), [("version".to_string(), "stale_version".to_string())]);
    // Filters with bad values are 400s naming the parameter.
    let r = t.get("/api/v1/needs?status=open", &Auth::None).await;
    assert_eq!((r.status, r.error_field()), (StatusCode::BAD_REQUEST, "status".to_string()));
    let r = t.get("/api/v1/needs?chain=mining", &Auth::None).await;
    assert_eq!((r.status, r.error_field()), (StatusCode::BAD_REQUEST, "chain".to_string()));
    // Only enterprises (and the exchange, the platform) post needs.
    assert_eq!(
        t.post("/api/v1/needs", need_json("x", "public"), &t.token("staff.a").await).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(t.post("/api/v1/needs", need_json("x", "public"), &Auth::None).await.status, StatusCode::UNAUTHORIZED);
});

on_every_backend!(contact_details_follow_the_policy, |t| {
    let ent = t.token("enterprise").await;
    let mut ids = Vec::new();
    for policy in ["public", "via_platform", "hidden"] {
        let id = create(t, &ent, &format!("需求-{policy}"), policy).await["id"].as_i64().unwrap();
        assert_eq!(step(t, &ent, id, "publish", 1).await.status, StatusCode::OK);
        ids.push((policy, id));
    }
    let readers = [
        ("anonymous", Auth::None),
        ("staff.b", t.token("staff.b").await),
        ("manager", t.token("manager").await),
        ("exchange", t.token("exchange").await),
        ("regulator", t.token("regulator").await),
        ("enterprise", ent.clone()),
    ];
    for (who, auth) in &readers {
        for (policy, id) in &ids {
            let r = t.get(&format!("/api/v1/needs/{id}"), auth).await;
            assert_eq!(r.status, StatusCode::OK, "{who} {policy}");
            let sees = !r.json()["contact"].is_null();
            let expected = matches!(
                (*who, *policy),
                ("enterprise" | "regulator", _) | (_, "public") | ("manager" | "exchange", "via_platform")
            );
            assert_eq!(sees, expected, "{who} reading a {policy} contact: {}", r.text());
            assert_eq!(r.text().contains("13800001111"), expected, "{who} {policy}");
            // The page says the same.
            let page = t.get(&format!("/needs/{id}"), auth).await;
            assert_eq!(page.status, StatusCode::OK);
            assert_eq!(page.text().contains("13800001111"), expected, "page: {who} {policy}");
        }
    }
    // The list carries no contact at all.
    let list = t.get("/api/v1/needs", &Auth::None).await;
    assert_eq!(list.json().as_array().unwrap().len(), 3);
    assert!(!list.text().contains("13800001111") && !list.text().contains("王工"));
    // Filters: text, chain, status.
    let r = t.get(&format!("/api/v1/needs?q={}", encode("hidden")), &Auth::None).await;
    assert_eq!(r.json().as_array().unwrap().len(), 1);
    let r = t.get("/api/v1/needs?chain=biomedicine", &Auth::None).await;
    assert_eq!(r.json().as_array().unwrap().len(), 0);
    let r = t.get("/api/v1/needs?status=published&chain=integrated_circuits", &Auth::None).await;
    assert_eq!(r.json().as_array().unwrap().len(), 3);
});

on_every_backend!(chain_suggestion_is_confirmed_by_the_owner, |t| {
    let ent = t.token("enterprise").await;
    let mut input = need_json("创新药物制剂工艺", "public");
    input["description"] = json!("寻求缓释药物制剂技术，用于仿制药一致性评价。");
    input["chains"] = json!([]);
    input["keywords"] = json!(["药物", "制剂"]);
    let need = t.post("/api/v1/needs", input, &ent).await.json();
    let id = need["id"].as_i64().unwrap();
    assert_eq!(need["chains"], json!([]));
    let suggested = need["suggested_chain"].as_str().expect("a suggestion").to_string();
    assert!(need["actions"].as_array().unwrap().contains(&json!("confirm_chain")));
    let page = t.get(&format!("/needs/{id}"), &t.session("enterprise").await).await.text();
    assert!(page.contains("/confirm_chain"), "the page offers to confirm");
    let r = step(t, &ent, id, "confirm_chain", 1).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["chains"], json!([suggested]));
    assert!(!r.json()["actions"].as_array().unwrap().contains(&json!("confirm_chain")));
    let r = step(t, &ent, id, "confirm_chain", 2).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
});

const CSV_HEADER: &str = "title,description,chains,budget_min,budget_max,deadline,contact_policy,contact_name,contact_phone,contact_email,keywords,enterprise_name,enterprise_credit_code,institution,status,external_ref";

async fn import(t: &common::TestApp, auth: &Auth, content_type: &str, body: &str) -> common::Reply {
    let mut req =
        Request::builder().method(Method::POST).uri("/api/v1/needs/import").header(header::CONTENT_TYPE, content_type);
    if let Auth::Token(tok) = auth {
        req = req.header(header::AUTHORIZATION, format!("Bearer {tok}"));
    }
    t.call(req.body(Body::from(body.to_string())).unwrap()).await
}

on_every_backend!(import_is_all_or_nothing_with_line_and_field, |t| {
    let exchange = t.token("exchange").await;
    let good = "滨海新区需求A,精密减速器寿命提升,high_end_equipment,100000,300000,2027-03-31,via_platform,李经理,022-23456789,,减速器|寿命,天津某机器人有限公司,91120116MA0000201K,,published,BH-001";
    let bad_budget =
        "滨海新区需求B,工业软件,,500000,100000,2027-03-31,public,赵,,zhao@example.cn,,天津某软件公司,,,,BH-002";
    let bad_email = "滨海新区需求C,材料,new_materials,,,2025-01-01,hidden,钱,,qian@,,,,,,BH-003";
    let body = format!("{CSV_HEADER}\n{good}\n{bad_budget}\n{bad_email}\n");
    let r = import(t, &exchange, "text/csv", &body).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let details = r.json()["error"]["details"].as_array().unwrap().clone();
    let found: Vec<(i64, String)> =
        details.iter().map(|d| (d["line"].as_i64().unwrap(), d["field"].as_str().unwrap().to_string())).collect();
    for expected in [(2, "enterprise_credit_code"), (3, "budget_max"), (4, "deadline"), (4, "contact_email")] {
        assert!(found.contains(&(expected.0, expected.1.to_string())), "{expected:?} in {found:?}");
    }
    assert_eq!(t.get("/api/v1/needs", &exchange).await.json(), json!([]), "nothing was imported");
    // A clean file goes in whole; the enterprise is recorded beside the submitting exchange.
    let good = good.replace("91120116MA0000201K", "");
    let bad_budget = bad_budget.replace("500000,100000", "100000,500000");
    let r = import(t, &exchange, "text/csv", &format!("{CSV_HEADER}\n{good}\n{bad_budget}\n")).await;
    assert_eq!((r.status, r.json()["imported"].as_i64()), (StatusCode::CREATED, Some(2)), "{}", r.text());
    let list = t.get("/api/v1/needs", &exchange).await.json();
    assert_eq!(list.as_array().unwrap().len(), 2);
    let published = list.as_array().unwrap().iter().find(|n| n["status"] == "published").unwrap();
    assert_eq!(published["enterprise_name"], "天津某机器人有限公司");
    assert_eq!(published["institution_id"], json!(t.institution("EXC").await.0));
    // Importing the same references again is refused (line 2: external_ref / title).
    let r = import(t, &exchange, "text/csv", &format!("{CSV_HEADER}\n{good}\n")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["details"][0]["line"], 2);
    // JSON Lines, with an unreadable line reported by number; the enterprise may not import for others.
    let ent = t.token("enterprise").await;
    let line1 = json!({ "title": "JSONL 需求", "description": "d", "contact_policy": "public", "contact_name": "王", "contact_email": "a@b.cn" });
    let line2 = json!({ "title": "他人的需求", "description": "d", "contact_policy": "public", "contact_name": "王", "contact_email": "a@b.cn", "institution": "EXC" });
    let body = format!("{line1}\n{{\"title\": 1}}\n{line2}\n");
    let r = import(t, &ent, "application/x-ndjson", &body).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let found: Vec<(i64, String)> = r.json()["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["line"].as_i64().unwrap(), d["field"].as_str().unwrap().to_string()))
        .collect();
    assert!(found.contains(&(2, "title".to_string())) && found.contains(&(3, "institution".to_string())), "{found:?}");
    let r = import(t, &ent, "application/x-ndjson", &format!("{line1}\n")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    // Others may not import at all.
    assert_eq!(import(t, &t.token("staff.a").await, "text/csv", CSV_HEADER).await.status, StatusCode::FORBIDDEN);
    assert_eq!(import(t, &Auth::None, "text/csv", CSV_HEADER).await.status, StatusCode::UNAUTHORIZED);
});

on_every_backend!(pages_list_form_detail_and_import, |t| {
    let b = t.sign_in("enterprise").await;
    let auth = Auth::Session(b.clone());
    // Empty state, navigation and actions.
    let page = t.get("/needs", &auth).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("还没有技术需求") && html.contains("供需对接") && html.contains("/needs/new"));
    assert!(t.get("/needs?lang=en", &Auth::None).await.text().contains("Technology needs"));
    // The form keeps what was typed and shows errors next to the fields.
    let form = t.get("/needs/new", &auth).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text().contains("name=\"_csrf\""));
    // A need's title is labelled as a need's, not as an achievement's.
    assert!(form.text().contains("需求名称") && !form.text().contains("成果名称"));
    let fields = [
        ("title", "锂电池回收工艺"),
        ("description", "寻求退役动力电池梯次利用与材料回收技术"),
        ("chains", "new_energy"),
        ("budget_min", "300000"),
        ("budget_max", "100000"),
        ("deadline", "2027-01-31"),
        ("contact_policy", "public"),
        ("contact_name", "孙工"),
        ("contact_phone", "13900002222"),
        ("keywords", "电池，回收"),
    ];
    let r = t.form("/needs", &fields, Some(&b)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let html = r.text();
    assert!(html.contains("error-summary") && html.contains("锂电池回收工艺") && html.contains("上限低于下限"));
    // Without the CSRF token nothing happens.
    let mut no_csrf: Vec<(&str, &str)> = fields.to_vec();
    no_csrf.push(("_csrf", "forged"));
    assert_eq!(t.form("/needs", &no_csrf, Some(&b)).await.status, StatusCode::FORBIDDEN);
    let mut ok: Vec<(&str, &str)> = fields.to_vec();
    ok[4] = ("budget_max", "900000");
    let r = t.form("/needs", &ok, Some(&b)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let location = r.location();
    let id: i64 = location.trim_start_matches("/needs/").split('?').next().unwrap().parse().unwrap();
    let detail = t.get(&location, &auth).await.text();
    assert!(
        detail.contains("锂电池回收工艺")
            && detail.contains("300,000.00 – 900,000.00 元")
            && detail.contains("data-action=\"publish\"")
    );
    let r = t.form(&format!("/needs/{id}/publish"), &[("version", "1")], Some(&b)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = t.form(&format!("/needs/{id}/publish"), &[("version", "2")], Some(&b)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "an illegal step is shown on the page");
    assert!(r.text().contains("error-summary"));
    // Edit keeps the version and saves.
    let edit = t.get(&format!("/needs/{id}/edit"), &auth).await.text();
    assert!(edit.contains("name=\"version\" value=\"2\""));
    let mut changed = ok.clone();
    changed[0] = ("title", "锂电池回收工艺（修订）");
    changed.push(("version", "2"));
    let r = t.form(&format!("/needs/{id}"), &changed, Some(&b)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    // Public list, counts and export.
    let list = t.get("/needs", &Auth::None).await.text();
    assert!(list.contains("锂电池回收工艺（修订）") && list.contains("need-counts"));
    let xlsx = t.get("/needs/export.xlsx", &Auth::None).await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert!(xlsx.body.starts_with(b"PK"));
    // Outsiders cannot open the edit page; anonymous visitors are sent to sign in.
    assert_eq!(t.get(&format!("/needs/{id}/edit"), &t.session("staff.b").await).await.status, StatusCode::NOT_FOUND);
    assert_eq!(t.get("/needs/new", &Auth::None).await.status, StatusCode::SEE_OTHER);
    // The import page reports every bad row and imports nothing.
    assert_eq!(t.get("/needs/import", &auth).await.status, StatusCode::OK);
    let bad = format!("{CSV_HEADER}\n坏行,描述,,5,1,2027-01-01,public,王,,bad@,,,,,,\n");
    let r = upload(t, &b, &bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let html = r.text();
    assert!(html.contains("import-problems") && html.contains("budget_max") && html.contains("contact_email"));
    let good = format!("{CSV_HEADER}\n好行,描述,,1,5,2027-01-01,public,王,,ok@example.cn,,,,,,\n");
    let r = upload(t, &b, &good).await;
    assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, "/needs?done=imported&n=1".to_string()));
});

async fn upload(t: &common::TestApp, b: &common::Browser, csv: &str) -> common::Reply {
    const BOUNDARY: &str = "tto-needs-boundary";
    let body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{}\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"needs.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n\
         --{BOUNDARY}--\r\n",
        b.csrf
    );
    let req = Request::builder()
        .method(Method::POST)
        .uri("/needs/import")
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
        .header(header::COOKIE, &b.cookie)
        .body(Body::from(body))
        .unwrap();
    t.call(req).await
}
