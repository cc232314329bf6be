//! Search: the index follows the database, results follow the actor's scope, and bad input
//! is refused per field.

mod common;

use std::sync::Arc;

use axum::http::StatusCode;
use common::{Auth, achievement_json, encode};
use serde_json::{Value, json};
use tto_app::search::SearchQuery;
use tto_app::{Actor, App, FixedClock};

const SECRET_DETAIL: &str = "机密配方钛酸锂";

async fn create(t: &common::TestApp, title: &str, auth: &Auth) -> i64 {
    let mut input = achievement_json(title);
    input["detail"] = json!(SECRET_DETAIL);
    let r = t.post("/api/v1/achievements", input, auth).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()["id"].as_i64().unwrap()
}

async fn step(t: &common::TestApp, id: i64, action: &str, auth: &Auth) {
    let r = t.post(&format!("/api/v1/achievements/{id}/transitions"), json!({ "action": action }), auth).await;
    assert_eq!(r.status, StatusCode::OK, "{action}: {}", r.text());
}

async fn search(t: &common::TestApp, query: &str, auth: &Auth) -> Value {
    let r = t.get(&format!("/api/v1/search?{query}"), auth).await;
    assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.text());
    r.json()
}

fn ids(v: &Value, kind: &str) -> Vec<i64> {
    v["hits"].as_array().unwrap().iter().filter(|h| h["kind"] == kind).map(|h| h["id"].as_i64().unwrap()).collect()
}

on_every_backend!(a_written_achievement_is_found_changed_and_gone, |t| {
    let staff = t.token("staff.a").await;
    let q = format!("q={}", encode("石墨烯"));
    let id = create(t, "石墨烯散热膜", &staff).await;
    // A draft: its own institution finds it, nobody else.
    assert_eq!(ids(&search(t, &q, &staff).await, "achievement"), vec![id]);
    assert!(ids(&search(t, &q, &Auth::None).await, "achievement").is_empty());
    assert!(ids(&search(t, &q, &t.token("staff.b").await).await, "achievement").is_empty());
    assert_eq!(ids(&search(t, &q, &t.token("regulator").await).await, "achievement"), vec![id]);
    // Published: everyone.
    step(t, id, "register", &staff).await;
    step(t, id, "publish", &staff).await;
    let found = search(t, &q, &Auth::None).await;
    assert_eq!(ids(&found, "achievement"), vec![id]);
    let hit = &found["hits"][0];
    assert_eq!(hit["title"], "石墨烯散热膜");
    assert_eq!(hit["institution_name"], "甲大学");
    assert_eq!(hit["status"], "promoting");
    assert!(hit["matched"].as_array().unwrap().iter().any(|m| m["term"] == "石墨"), "{hit}");
    let snippets = hit["snippets"].to_string();
    assert!(snippets.contains("<b>"), "{snippets}");
    assert!(!found.to_string().contains(SECRET_DETAIL));
    // Changed: the new title is found, the old word is not.
    let current = t.get(&format!("/api/v1/achievements/{id}"), &staff).await.json();
    let mut input = achievement_json("Graphene heat spreader film");
    input["summary"] = json!("A graphite film that spreads heat in phones.");
    input["keywords"] = json!(["heat"]);
    input["version"] = current["version"].clone();
    let r = t.put(&format!("/api/v1/achievements/{id}"), input, &staff).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(ids(&search(t, &q, &Auth::None).await, "achievement").is_empty());
    let english = search(t, "q=graphene+spreading", &Auth::None).await;
    assert_eq!(ids(&english, "achievement"), vec![id]);
    // Withdrawn: gone for others.
    step(t, id, "withdraw", &staff).await;
    assert!(ids(&search(t, "q=graphene", &Auth::None).await, "achievement").is_empty());
    assert!(ids(&search(t, "q=graphene", &t.token("staff.b").await).await, "achievement").is_empty());
    assert_eq!(ids(&search(t, "q=graphene", &staff).await, "achievement"), vec![id]);
});

on_every_backend!(filters_facets_and_needs, |t| {
    let staff = t.token("staff.a").await;
    let a = create(t, "高导热石墨烯复合材料", &staff).await;
    step(t, a, "register", &staff).await;
    step(t, a, "publish", &staff).await;
    let exchange = t.token("exchange").await;
    let need = json!({
        "title": "导热封装材料需求", "description": "寻求高导热封装材料，热阻降低 30%。",
        "chains": ["integrated_circuits"], "deadline": "2027-06-30", "contact_policy": "hidden",
        "contact_name": "王工", "contact_phone": "13800001111", "trl_min": 5, "keywords": ["导热"]
    });
    let r = t.post("/api/v1/needs", need, &exchange).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let need_id = r.json()["id"].as_i64().unwrap();
    let q = format!("q={}", encode("导热"));
    // The draft need is not public yet.
    assert!(ids(&search(t, &q, &Auth::None).await, "need").is_empty());
    assert!(ids(&search(t, &q, &staff).await, "need").is_empty());
    assert_eq!(ids(&search(t, &format!("{q}&kind=need"), &exchange).await, "need"), vec![need_id]);
    let r = t.post(&format!("/api/v1/needs/{need_id}/publish"), json!({ "version": 1 }), &exchange).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let all = search(t, &q, &Auth::None).await;
    assert_eq!(all["total"], 2, "{all}");
    assert_eq!(ids(&all, "need"), vec![need_id]);
    assert!(!all.to_string().contains("13800001111"));
    let kinds = all["facets"]["kind"].as_array().unwrap();
    assert!(kinds.iter().any(|f| f["value"] == "need" && f["count"] == 1), "{kinds:?}");
    assert!(kinds.iter().any(|f| f["value"] == "achievement" && f["count"] == 1), "{kinds:?}");
    let chains = all["facets"]["chain"].as_array().unwrap();
    assert!(chains.iter().any(|f| f["value"] == "new_materials" && f["count"] == 1), "{chains:?}");
    let statuses = all["facets"]["status"].as_array().unwrap();
    assert!(statuses.iter().any(|f| f["value"] == "published" && f["count"] == 1), "{statuses:?}");
    // Filters.
    let needs = search(t, &format!("{q}&kind=need"), &Auth::None).await;
    assert_eq!((needs["total"].as_u64(), ids(&needs, "achievement").len()), (Some(1), 0));
    let chain = search(t, &format!("{q}&chain=new_materials"), &Auth::None).await;
    assert_eq!(ids(&chain, "achievement"), vec![a]);
    assert!(ids(&chain, "need").is_empty());
    let trl = search(t, &format!("{q}&trl_min=5&trl_max=9"), &Auth::None).await;
    assert_eq!((ids(&trl, "need"), ids(&trl, "achievement").len()), (vec![need_id], 0));
    let status = search(t, &format!("{q}&status=promoting"), &Auth::None).await;
    assert_eq!(ids(&status, "achievement"), vec![a]);
    let una = t.institution("UNA").await.0;
    let own = search(t, &format!("{q}&institution_id={una}"), &Auth::None).await;
    assert_eq!((ids(&own, "achievement"), own["total"].as_u64()), (vec![a], Some(1)));
    let discipline = search(t, &format!("{q}&discipline={}", encode("材料科学与工程")), &Auth::None).await;
    assert_eq!(ids(&discipline, "achievement"), vec![a]);
    // Paging.
    let first = search(t, &format!("{q}&limit=1"), &Auth::None).await;
    let second = search(t, &format!("{q}&limit=1&offset=1"), &Auth::None).await;
    assert_eq!((first["hits"].as_array().unwrap().len(), second["hits"].as_array().unwrap().len()), (1, 1));
    assert_ne!(first["hits"][0]["kind"], second["hits"][0]["kind"]);
});

on_every_backend!(another_institutions_drafts_and_secrets_are_never_found, |t| {
    let staff = t.token("staff.a").await;
    let id = create(t, "甲的草稿锂电材料", &staff).await;
    for who in ["staff.b", "enterprise", "investor"] {
        let auth = t.token(who).await;
        for q in ["锂电", "甲的草稿锂电材料", SECRET_DETAIL, "钛酸锂"] {
            let found = search(t, &format!("q={}", encode(q)), &auth).await;
            assert_eq!(found["total"], 0, "{who} {q}: {found}");
            assert!(!found.to_string().contains(SECRET_DETAIL));
        }
    }
    // Even its owner never finds the confidential detail: it is not indexed.
    let found = search(t, &format!("q={}", encode("钛酸锂")), &staff).await;
    assert!(!ids(&found, "achievement").contains(&id), "{found}");
});

on_every_backend!(bad_input_is_refused_per_field, |t| {
    for (query, field) in [
        ("q=x&limit=101", "limit"),
        ("q=x&limit=0", "limit"),
        ("q=x&kind=manager", "kind"),
        ("q=x&trl_min=0", "trl_min"),
        ("q=x&trl_max=10", "trl_max"),
        ("q=x&limit=abc", "limit"),
        ("q=x&offset=-1", "offset"),
    ] {
        let r = t.get(&format!("/api/v1/search?{query}"), &Auth::None).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{query}: {}", r.text());
        assert_eq!(r.error_field(), field, "{query}");
    }
    let long = "石".repeat(501);
    let r = t.get(&format!("/api/v1/search?q={}", encode(&long)), &Auth::None).await;
    assert_eq!((r.status, r.error_field()), (StatusCode::BAD_REQUEST, "q".to_string()));
    let empty = search(t, "q=", &Auth::None).await;
    assert_eq!((empty["total"].as_u64(), empty["hits"].as_array().unwrap().len()), (Some(0), 0));
    let syntax = search(t, &format!("q={}", encode("\"( AND title:* <script>")), &Auth::None).await;
    assert_eq!(syntax["total"], 0);
});

on_every_backend!(a_write_on_one_node_is_found_on_another, |t| {
    // Two nodes share the database; each keeps its own index and follows the feed.
    let other = App::new(
        t.db.store.clone(),
        tto_app::policy_files::embedded_policy().unwrap(),
        tto_app::policy_files::embedded_chains().unwrap(),
        Arc::new(FixedClock::new(t.app.now())),
        common::test_settings(),
    );
    let query = SearchQuery { text: "碳化硅".into(), limit: 10, ..SearchQuery::default() };
    let regulator = Actor::system("node-2");
    assert_eq!(other.search(&regulator, &query).await.unwrap().total, 0);
    let staff = t.token("staff.a").await;
    let id = create(t, "碳化硅功率器件", &staff).await;
    // The background follower of node 2 applies the entry…
    assert!(other.follow_search_feed().await.unwrap() >= 1);
    let found = other.search(&regulator, &query).await.unwrap();
    assert_eq!(found.hits.iter().map(|h| h.id).collect::<Vec<_>>(), vec![id]);
    // …and a search follows by itself too.
    step(t, id, "register", &staff).await;
    let found = other.search(&regulator, &query).await.unwrap();
    assert_eq!(found.hits[0].status, "registered");
    assert_eq!(other.follow_search_feed().await.unwrap(), 0);
    // A full rebuild gives the same answer.
    assert!(other.reindex_search(&|_, _| {}).await.unwrap() >= 1);
    assert_eq!(other.search(&regulator, &query).await.unwrap().total, 1);
});

on_every_backend!(the_search_page_shows_hits_facets_and_safe_snippets, |t| {
    let staff = t.token("staff.a").await;
    let mut input = achievement_json("石墨烯<script>alert(1)</script>散热膜");
    input["summary"] = json!("石墨烯 <img src=x onerror=alert(2)> 散热 & 导热");
    let r = t.post("/api/v1/achievements", input, &staff).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_i64().unwrap();
    step(t, id, "register", &staff).await;
    step(t, id, "publish", &staff).await;
    let page = t.get(&format!("/search?q={}", encode("石墨烯")), &Auth::None).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains(&format!("href=\"/achievements/{id}\"")), "{html}");
    assert!(html.contains("<b>石墨</b>"), "{html}");
    assert!(!html.contains("<script>alert") && !html.contains("<img src=x"), "{html}");
    assert!(html.contains("id=\"search-facets\"") && html.contains("kind=achievement"), "{html}");
    assert!(html.contains("href=\"/search\""), "nav item: {html}");
    // English page, a facet link followed, and bad input as a message.
    let en = t.get(&format!("/search?lang=en&q={}&kind=achievement", encode("石墨烯")), &Auth::None).await;
    assert!(en.text().contains("Achievement"), "{}", en.text());
    let bad = t.get("/search?q=x&trl_min=12", &Auth::None).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.text().contains("id=\"search-error\""));
    let empty = t.get("/search", &Auth::None).await;
    assert_eq!(empty.status, StatusCode::OK);
});
