//! Handshake events (校企对接活动, measures 六 and 十五) through the real router: set up,
//! invitations, registration, the proposed agenda (nobody double-booked), publication,
//! outcomes, every validation, who may do and see what, and the pages.

mod common;

use std::collections::BTreeSet;

use axum::http::StatusCode;
use common::{Auth, achievement_json};
use serde_json::{Value, json};

/// A handshake event on new materials today (the test clock's today is 2026-11-29).
fn event_json(title: &str) -> Value {
    json!({
        "title": title,
        "kind": "handshake",
        "chain": "new_materials",
        "description": "新材料产业链校企一对一洽谈。",
        "date": "2026-11-29",
        "venue": "天津市科技大厦 3 楼",
        "first_slot_start": "09:00",
        "slot_minutes": 20,
        "slot_count": 3,
        "tables": 2,
        "meetings_per_item": 2
    })
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

/// A public achievement of the caller's university on graphene heat conduction, led by `lead`.
async fn public_achievement(t: &common::TestApp, auth: &Auth, title: &str, lead: &str) -> i64 {
    let mut input = achievement_json(title);
    input["contributors"] = json!([{ "name": lead, "share": "100", "main": true }]);
    let r = t.post("/api/v1/achievements", input, auth).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_i64().unwrap();
    for action in ["register", "publish"] {
        let r = t.post(&format!("/api/v1/achievements/{id}/transitions"), json!({ "action": action }), auth).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }
    id
}

/// A published need for graphene heat-spreading materials.
async fn published_need(t: &common::TestApp, auth: &Auth, title: &str, enterprise: Option<&str>) -> i64 {
    let mut input = json!({
        "title": title,
        "description": "寻求高导热石墨烯复合材料，用于功率器件散热，导热系数提高 30% 以上。",
        "chains": ["new_materials"],
        "contact_policy": "via_platform",
        "contact_name": "王工",
        "contact_phone": "13800001111",
        "keywords": ["石墨烯", "导热"]
    });
    if let Some(name) = enterprise {
        input["enterprise_name"] = json!(name);
    }
    let r = t.post("/api/v1/needs", input, auth).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_i64().unwrap();
    let r = t.post(&format!("/api/v1/needs/{id}/publish"), json!({ "version": 1 }), auth).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    id
}

async fn step(t: &common::TestApp, auth: &Auth, id: i64, step: &str) -> common::Reply {
    let version = t.get(&format!("/api/v1/events/{id}"), auth).await.json()["version"].as_i64().unwrap();
    t.post(&format!("/api/v1/events/{id}/{step}"), json!({ "version": version }), auth).await
}

fn participant(event: &Value, institution: i64) -> i64 {
    event["participants"].as_array().unwrap().iter().find(|p| p["institution_id"] == institution).unwrap()["id"]
        .as_i64()
        .unwrap()
}

/// Checks the agenda keeps every rule, from the API output alone.
fn assert_no_double_booking(event: &Value) {
    let slots = event["slot_count"].as_i64().unwrap();
    let tables = event["tables"].as_i64().unwrap();
    let per_item = event["meetings_per_item"].as_i64().unwrap() as usize;
    let mut seats = BTreeSet::new();
    let mut busy = BTreeSet::new();
    let mut pairs = BTreeSet::new();
    let mut needs: std::collections::BTreeMap<i64, usize> = Default::default();
    let mut achievements: std::collections::BTreeMap<i64, usize> = Default::default();
    for m in event["agenda"].as_array().unwrap() {
        let (slot, table) = (m["slot"].as_i64().unwrap(), m["table"].as_i64().unwrap());
        assert!(slot < slots && (1..=tables).contains(&table), "{m}");
        assert!(seats.insert((slot, table)), "table {table} twice in slot {slot}");
        for party in [&m["need_party"], &m["achievement_party"]] {
            assert!(busy.insert((slot, party.as_str().unwrap().to_string())), "{party} twice in slot {slot}");
        }
        assert!(pairs.insert((m["need_id"].as_i64(), m["achievement_id"].as_i64())), "pair twice: {m}");
        *needs.entry(m["need_id"].as_i64().unwrap()).or_default() += 1;
        *achievements.entry(m["achievement_id"].as_i64().unwrap()).or_default() += 1;
    }
    assert!(needs.values().chain(achievements.values()).all(|n| *n <= per_item), "{needs:?} {achievements:?}");
}

on_every_backend!(an_event_gets_an_agenda_and_its_outcomes, |t| {
    let staff = t.token("staff.a").await;
    let staff_b = t.token("staff.b").await;
    let ent = t.token("enterprise").await;
    let exchange = t.token("exchange").await;
    // Supply: two UNA teams (one with two achievements), one UNB team.
    let a1 = public_achievement(t, &staff, "石墨烯高导热复合膜", "张伟").await;
    let a2 = public_achievement(t, &staff, "石墨烯导热界面材料", "张伟").await;
    let a3 = public_achievement(t, &staff, "导热石墨烯散热涂层", "李娜").await;
    let b1 = public_achievement(t, &staff_b, "高导热石墨烯泡沫", "赵磊").await;
    // Demand: two needs of ENT, one the exchange collected for another enterprise.
    let n1 = published_need(t, &ent, "功率器件石墨烯散热材料", None).await;
    let n2 = published_need(t, &ent, "电池包导热石墨烯垫片", None).await;
    let n3 = published_need(t, &exchange, "基站芯片导热膜", Some("天津某某通信设备有限公司")).await;

    let r = t.post("/api/v1/events", event_json("新材料产业链校企对接会"), &staff).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let event = r.json();
    let id = event["id"].as_i64().unwrap();
    assert_eq!((event["status"].as_str(), event["version"].as_i64()), (Some("draft"), Some(1)));
    assert_eq!(event["slots"][2]["starts_at"], "09:40");
    assert_eq!(event["slots"][2]["ends_at"], "10:00");
    // A draft is the organiser's.
    assert_eq!(t.get(&format!("/api/v1/events/{id}"), &Auth::None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(t.get(&format!("/api/v1/events/{id}"), &staff_b).await.status, StatusCode::NOT_FOUND);
    // Invitations: the side follows the institution's kind.
    let (ent_id, exc_id, una, unb) = (
        t.institution("ENT").await.0,
        t.institution("EXC").await.0,
        t.institution("UNA").await.0,
        t.institution("UNB").await.0,
    );
    for institution in [ent_id, exc_id, una, unb] {
        let r = t
            .post(&format!("/api/v1/events/{id}/participants"), json!({ "institution_id": institution }), &staff)
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    }
    let r = t.post(&format!("/api/v1/events/{id}/participants"), json!({ "institution_id": ent_id }), &staff).await;
    assert_eq!((r.status, r.error_field()), (StatusCode::CONFLICT, "institution_id".to_string()));
    let reg = t.institution("REG").await.0;
    let r = t.post(&format!("/api/v1/events/{id}/participants"), json!({ "institution_id": reg }), &staff).await;
    assert_eq!(field_codes(&r), [("institution_id".to_string(), "not_a_participant".to_string())]);
    let r = t.post(&format!("/api/v1/events/{id}/participants"), json!({ "institution_id": 999_999 }), &staff).await;
    assert_eq!((r.status, r.error_field()), (StatusCode::UNPROCESSABLE_ENTITY, "institution_id".to_string()));
    let event = t.get(&format!("/api/v1/events/{id}"), &staff).await.json();
    let roles: Vec<&str> =
        event["participants"].as_array().unwrap().iter().map(|p| p["role"].as_str().unwrap()).collect();
    assert_eq!(roles.iter().filter(|r| **r == "enterprise").count(), 2, "{roles:?}");
    // Registration opens with the step; not before.
    let p_ent = participant(&event, ent_id);
    let registration = |p: i64| format!("/api/v1/events/{id}/participants/{p}/registration");
    let r = t.post(&registration(p_ent), json!({ "attendee_name": "周总" }), &staff).await;
    assert_eq!(field_codes(&r), [("status".to_string(), "registration_closed".to_string())]);
    let r = step(t, &staff, id, "open_registration").await;
    assert_eq!((r.status, r.json()["status"].as_str()), (StatusCode::OK, Some("registration_open")), "{}", r.text());
    // Now public, without the attendees.
    let public = t.get(&format!("/api/v1/events/{id}"), &Auth::None).await;
    assert_eq!(public.status, StatusCode::OK);
    // Each registers for itself; the organiser may register for anyone; nobody for others.
    let r = t.post(&registration(participant(&event, una)), json!({ "attendee_name": "冒名" }), &ent).await;
    assert!(matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{}", r.text());
    let r = t.post(&registration(p_ent), json!({ "attendee_name": "  " }), &ent).await;
    assert_eq!(field_codes(&r), [("attendee_name".to_string(), "required".to_string())]);
    for (p, who, auth) in [
        (p_ent, "周总", &ent),
        (participant(&event, exc_id), "钱专员", &exchange),
        (participant(&event, una), "刘主任", &staff),
        (participant(&event, unb), "赵主任", &staff_b),
    ] {
        let r = t.post(&registration(p), json!({ "attendee_name": who }), auth).await;
        assert_eq!((r.status, r.json()["status"].as_str()), (StatusCode::OK, Some("registered")), "{}", r.text());
    }
    let public = t.get(&format!("/api/v1/events/{id}"), &Auth::None).await.json();
    assert!(public["participants"].as_array().unwrap().iter().all(|p| p["attendee_name"].is_null()));
    assert!(!public.to_string().contains("周总"));
    // Publishing needs an agenda first.
    let r = step(t, &staff, id, "publish_agenda").await;
    assert_eq!(field_codes(&r), [("agenda".to_string(), "agenda_empty".to_string())]);
    // The platform proposes the agenda.
    let version = t.get(&format!("/api/v1/events/{id}"), &staff).await.json()["version"].as_i64().unwrap();
    let r = t.post(&format!("/api/v1/events/{id}/agenda"), json!({ "version": version }), &staff).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let proposed = r.json();
    let meetings = proposed["meetings"].as_array().unwrap();
    assert!(meetings.len() >= 4, "{proposed}");
    assert_eq!(
        proposed["candidates"].as_u64().unwrap() as usize,
        meetings.len()
            + proposed["over_limit"].as_u64().unwrap() as usize
            + proposed["no_room"].as_u64().unwrap() as usize
    );
    for m in meetings {
        assert!([n1, n2, n3].contains(&m["need_id"].as_i64().unwrap()), "{m}");
        assert!([a1, a2, a3, b1].contains(&m["achievement_id"].as_i64().unwrap()), "{m}");
        assert!(!m["matched_terms"].as_array().unwrap().is_empty(), "{m}");
        assert!(m["explanation"].as_str().unwrap().contains("新材料"), "{m}");
    }
    // The collected need sits with its named enterprise.
    assert!(meetings.iter().any(|m| m["enterprise_name"] == "天津某某通信设备有限公司"));
    // Two achievements of the same team never share a slot.
    let team = |a: i64| meetings.iter().find(|m| m["achievement_id"] == a).map(|m| m["achievement_party"].clone());
    if let (Some(x), Some(y)) = (team(a1), team(a2)) {
        assert_eq!(x, y);
    }
    let event = t.get(&format!("/api/v1/events/{id}"), &staff).await.json();
    assert_no_double_booking(&event);
    assert_eq!(event["agenda"].as_array().unwrap().len(), meetings.len());
    // Proposing again replaces it (same pairs, same seats).
    let r = t.post(&format!("/api/v1/events/{id}/agenda"), json!({ "version": event["version"] }), &staff).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["meetings"].as_array().unwrap().len(), meetings.len());
    // Outsiders see no proposed agenda.
    let r = t.get(&format!("/api/v1/events/{id}/agenda"), &Auth::None).await;
    assert_eq!((r.status, r.json()["meetings"].as_array().map(Vec::len)), (StatusCode::OK, Some(0)));
    // Published: everyone sees it, with the times.
    let r = step(t, &staff, id, "publish_agenda").await;
    assert_eq!(r.json()["status"], "agenda_published", "{}", r.text());
    let public = t.get(&format!("/api/v1/events/{id}/agenda"), &Auth::None).await.json();
    assert_eq!(public["meetings"].as_array().unwrap().len(), meetings.len());
    assert_eq!(public["meetings"][0]["starts_at"], "09:00");
    // No more proposals or invitations.
    let r = t.post(&format!("/api/v1/events/{id}/agenda"), json!({ "version": r.json()["version"] }), &staff).await;
    assert_eq!(field_codes(&r)[0].1, "agenda_locked");
    // Outcomes.
    let first = &t.get(&format!("/api/v1/events/{id}"), &staff).await.json()["agenda"][0];
    let (m1, v1) = (first["id"].as_i64().unwrap(), first["version"].as_i64().unwrap());
    let outcome = |m: i64| format!("/api/v1/events/{id}/meetings/{m}/outcome");
    let r = t.post(&outcome(m1), json!({ "version": v1, "outcome": "no_show", "deal": true }), &staff).await;
    assert_eq!(field_codes(&r), [("outcome".to_string(), "outcome_not_held".to_string())]);
    let r = t.post(&outcome(m1), json!({ "version": v1, "outcome": "maybe" }), &staff).await;
    assert_eq!((r.status, r.error_field()), (StatusCode::UNPROCESSABLE_ENTITY, "outcome".to_string()));
    let r = t
        .post(&outcome(m1), json!({ "version": v1, "outcome": "held", "deal": true, "notes": "签订意向书" }), &ent)
        .await;
    assert!(r.status.is_client_error() && r.status != StatusCode::OK, "{}", r.text());
    let r = t
        .post(&outcome(m1), json!({ "version": v1, "outcome": "held", "deal": true, "notes": "签订意向书" }), &staff)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let m = r.json();
    assert_eq!(
        (m["contact_made"].as_bool(), m["intention"].as_bool(), m["deal"].as_bool()),
        (Some(true), Some(true), Some(true))
    );
    let r = t.post(&outcome(m1), json!({ "version": v1, "outcome": "held" }), &staff).await;
    assert_eq!((r.status, r.error_field()), (StatusCode::CONFLICT, "version".to_string()));
    let summary = t.get(&format!("/api/v1/events/{id}/outcomes"), &staff).await.json();
    assert_eq!((summary["held"].as_u64(), summary["deals"].as_u64()), (Some(1), Some(1)));
    assert_eq!(summary["pending"].as_u64().unwrap() as usize, meetings.len() - 1);
    // Outcomes and notes are the organiser's (and the regulator's).
    let public = t.get(&format!("/api/v1/events/{id}"), &Auth::None).await;
    assert!(!public.text().contains("签订意向书") && public.json()["summary"].is_null());
    assert_eq!(t.get(&format!("/api/v1/events/{id}/outcomes"), &ent).await.status, StatusCode::FORBIDDEN);
    let regulator = t.get(&format!("/api/v1/events/{id}/outcomes"), &t.token("regulator").await).await;
    assert_eq!(regulator.json()["deals"].as_u64(), Some(1));
    // Held (today is the event's date) and closed.
    assert_eq!(step(t, &staff, id, "hold").await.json()["status"], "held");
    assert_eq!(step(t, &staff, id, "close").await.json()["status"], "closed");
    let r = t.post(&outcome(m1), json!({ "version": v1 + 1, "outcome": "held" }), &staff).await;
    assert_eq!(field_codes(&r)[0].1, "outcomes_closed");
    // Every change is on the audit trail.
    let audit = t.get(&format!("/api/v1/audit?entity_type=event&entity_id={id}"), &t.token("platform").await).await;
    let actions: Vec<String> =
        audit.json()["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_string()).collect();
    for a in [
        "event.create",
        "event.open_registration",
        "event.agenda_proposed",
        "event.publish_agenda",
        "event.hold",
        "event.close",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
    // The pages show the grid and the outcome.
    let page = t.get(&format!("/events/{id}"), &t.session("staff.a").await).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("agenda-grid") && html.contains("09:00–09:20") && html.contains("石墨烯"), "{html}");
    assert!(html.contains("签订意向书"));
    let list = t.get("/events?status=closed", &Auth::None).await;
    assert!(list.text().contains("新材料产业链校企对接会"));
});

on_every_backend!(bad_input_is_a_field_error_and_access_is_checked, |t| {
    let staff = t.token("staff.a").await;
    let mut bad = event_json("坏活动");
    bad["date"] = json!("2026-11-28");
    bad["chain"] = Value::Null;
    bad["slot_minutes"] = json!(0);
    bad["first_slot_start"] = json!("9h");
    bad["kind"] = json!("handshake");
    let r = t.post("/api/v1/events", bad, &staff).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let codes = field_codes(&r);
    for expected in [
        ("date", "in_the_past"),
        ("chain", "required"),
        ("slot_minutes", "out_of_range"),
        ("first_slot_start", "invalid_format"),
    ] {
        assert!(codes.contains(&(expected.0.into(), expected.1.into())), "{expected:?} in {codes:?}");
    }
    let mut late = event_json("深夜活动");
    late["first_slot_start"] = json!("23:30");
    assert_eq!(
        field_codes(&t.post("/api/v1/events", late, &staff).await),
        [("slot_count".to_string(), "past_midnight".to_string())]
    );
    let mut wrong = event_json("类型错");
    wrong["slot_count"] = json!("many");
    let r = t.post("/api/v1/events", wrong, &staff).await;
    assert_eq!((r.status, r.error_field()), (StatusCode::BAD_REQUEST, "slot_count".to_string()));
    // Who organises.
    assert_eq!(
        t.post("/api/v1/events", event_json("x"), &t.token("enterprise").await).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(t.post("/api/v1/events", event_json("x"), &Auth::None).await.status, StatusCode::UNAUTHORIZED);
    let r = t.post("/api/v1/events", event_json("交易所的活动"), &t.token("exchange").await).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    // Lifecycle errors.
    let id = t.post("/api/v1/events", event_json("状态机"), &staff).await.json()["id"].as_i64().unwrap();
    let r = t.post(&format!("/api/v1/events/{id}/fly"), json!({ "version": 1 }), &staff).await;
    assert_eq!((r.status, r.error_field()), (StatusCode::BAD_REQUEST, "step".to_string()));
    let r = t.post(&format!("/api/v1/events/{id}/close"), json!({ "version": 1 }), &staff).await;
    assert_eq!(field_codes(&r)[0].1, "illegal_event_transition");
    let r = t.post(&format!("/api/v1/events/{id}/agenda"), json!({ "version": 1 }), &staff).await;
    assert_eq!(field_codes(&r)[0].1, "agenda_locked");
    // Drafts change; later they do not.
    let mut edit = event_json("状态机（改）");
    edit["version"] = json!(1);
    let r = t.put(&format!("/api/v1/events/{id}"), edit.clone(), &staff).await;
    assert_eq!((r.status, r.json()["title"].as_str()), (StatusCode::OK, Some("状态机（改）")), "{}", r.text());
    let r = t.put(&format!("/api/v1/events/{id}"), edit.clone(), &staff).await;
    assert_eq!(field_codes(&r), [("version".to_string(), "stale_version".to_string())]);
    // Other universities cannot touch it.
    let staff_b = t.token("staff.b").await;
    let r = t.post(&format!("/api/v1/events/{id}/open_registration"), json!({ "version": 2 }), &staff_b).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        t.post(&format!("/api/v1/events/{id}/open_registration"), json!({ "version": 2 }), &staff).await.status,
        StatusCode::OK
    );
    edit["version"] = json!(3);
    let r = t.put(&format!("/api/v1/events/{id}"), edit, &staff).await;
    assert_eq!(field_codes(&r), [("status".to_string(), "event_locked".to_string())]);
    let r = t
        .post(
            &format!("/api/v1/events/{id}/participants"),
            json!({ "institution_id": 1, "role": "enterprise" }),
            &staff,
        )
        .await;
    assert_eq!(field_codes(&r), [("role".to_string(), "role_mismatch".to_string())]);
    let r = t.post(&format!("/api/v1/events/{id}/participants"), json!({ "institution_id": 1 }), &staff_b).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // An event can be cancelled before it is held.
    let mut later = event_json("下月活动");
    later["date"] = json!("2026-12-20");
    let later = t.post("/api/v1/events", later, &staff).await.json()["id"].as_i64().unwrap();
    assert_eq!(
        t.post(&format!("/api/v1/events/{later}/cancel"), json!({ "version": 1 }), &staff).await.json()["status"],
        "cancelled"
    );
    // List filters with bad values are 400s naming the parameter.
    let r = t.get("/api/v1/events?status=open", &Auth::None).await;
    assert_eq!((r.status, r.error_field()), (StatusCode::BAD_REQUEST, "status".to_string()));
    let r = t.get("/api/v1/events?chain=mining", &Auth::None).await;
    assert_eq!((r.status, r.error_field()), (StatusCode::BAD_REQUEST, "chain".to_string()));
    // The list: the public sees events from registration on; the organiser also its drafts.
    let public: Vec<String> = t
        .get("/api/v1/events", &Auth::None)
        .await
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].as_str().unwrap().to_string())
        .collect();
    assert!(
        public.contains(&"状态机（改）".to_string()) && !public.contains(&"交易所的活动".to_string()),
        "{public:?}"
    );
    let own = t.get("/api/v1/events?status=draft", &staff).await.json();
    assert!(own.as_array().unwrap().iter().all(|e| e["institution_name"] == "甲大学"));
});

on_every_backend!(pages_render_and_forms_keep_input, |t| {
    let staff = t.session("staff.a").await;
    let page = t.get("/events", &Auth::None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("还没有对接活动"));
    let form = t.get("/events/new", &staff).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text());
    assert!(form.text().contains("name=\"slot_minutes\""));
    assert_eq!(t.get("/events/new", &Auth::None).await.status, StatusCode::SEE_OTHER);
    let Auth::Session(browser) = &staff else { unreachable!() };
    let fields = [
        ("_csrf", browser.csrf.as_str()),
        ("title", "页面活动"),
        ("kind", "handshake"),
        ("chain", ""),
        ("date", "2026-12-01"),
        ("venue", "会议室"),
        ("first_slot_start", "09:00"),
        ("slot_minutes", "20"),
        ("slot_count", "4"),
        ("tables", "2"),
        ("meetings_per_item", "3"),
    ];
    let r = t.form("/events", &fields, Some(browser)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("页面活动") && r.text().contains("field-error"), "kept input and error");
    let mut fields = fields.to_vec();
    fields[3] = ("chain", "new_materials");
    let r = t.form("/events", &fields, Some(browser)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let detail = t.get(&r.location(), &staff).await;
    assert_eq!(detail.status, StatusCode::OK);
    assert!(detail.text().contains("页面活动") && detail.text().contains("invite-form"));
    assert!(t.get("/events?lang=en", &Auth::None).await.text().contains("Handshake events"));
});
