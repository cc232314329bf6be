//! The IP, screening and monitoring pages as a browser meets them: who may see what, forms
//! with CSRF and inline errors, the annuity schedule and payments, the patent-conversion
//! programme, a screening round from draft to published, and the alerts of a stalled major
//! achievement.

mod common;

use axum::http::StatusCode;
use common::{Auth, Browser, TestApp, achievement_json};
use serde_json::json;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A Chinese application number with its check character.
fn cn_number(digits: &str) -> String {
    let d: [u8; 12] = digits.as_bytes().try_into().unwrap();
    format!("{digits}.{}", tto_domain::ip::check_character(&d))
}

/// The same number with a wrong check character.
fn wrong_check(digits: &str) -> String {
    let good = cn_number(digits);
    let c = if good.ends_with('0') { '1' } else { '0' };
    format!("{digits}.{c}")
}

/// A registered achievement of UNA, through the API.
async fn achievement(t: &TestApp, staff: &Auth, title: &str, major: bool) -> i64 {
    let mut input = achievement_json(title);
    input["major"] = json!(major);
    let r = t.post("/api/v1/achievements", input, staff).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_i64().unwrap();
    let r = t.post(&format!("/api/v1/achievements/{id}/transitions"), json!({ "action": "register" }), staff).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    id
}

async fn post(t: &TestApp, path: &str, fields: &[(&str, &str)], b: &Browser) -> common::Reply {
    t.form(path, fields, Some(b)).await
}

fn id_from(location: &str, prefix: &str) -> i64 {
    location.trim_start_matches(prefix).split(['?', '#']).next().unwrap().parse().unwrap()
}

/// Records a granted invention patent of UNA through the form; returns its id.
async fn granted_patent(t: &TestApp, b: &Browser, achievement: Option<i64>, digits: &str) -> i64 {
    let number = cn_number(digits);
    let achievement = achievement.map(|a| a.to_string()).unwrap_or_default();
    let r = post(
        t,
        "/ip",
        &[
            ("achievement_id", &achievement),
            ("kind", "invention_patent"),
            ("title", "一种高导热石墨烯复合膜的制备方法"),
            ("jurisdiction", "CN"),
            ("application_number", &number),
            ("filing_date", "2020-03-15"),
            ("grant_number", "ZL202010123456.7"),
            ("grant_date", "2023-06-01"),
            ("legal_status", ""),
        ],
        b,
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    id_from(&r.location(), "/ip/")
}

on_every_backend!(ip_pages_answer_each_role_and_hide_other_institutions, |t| {
    let staff = t.sign_in("staff.a").await;
    let id = granted_patent(t, &staff, None, "202010123456").await;

    for user in ["staff.a", "admin.a", "inventor.a", "regulator", "platform"] {
        let auth = t.session(user).await;
        let list = t.get("/ip", &auth).await;
        assert_eq!(list.status, StatusCode::OK, "{user}");
        assert!(list.text().contains("一种高导热石墨烯复合膜的制备方法"), "{user} sees the record");
        assert_eq!(t.get(&format!("/ip/{id}"), &auth).await.status, StatusCode::OK, "{user}");
        assert_eq!(t.get("/ip/due", &auth).await.status, StatusCode::OK, "{user}");
        assert_eq!(t.get("/screening", &auth).await.status, StatusCode::OK, "{user}");
    }
    for user in ["staff.a", "regulator", "platform"] {
        let auth = t.session(user).await;
        assert_eq!(t.get("/monitoring", &auth).await.status, StatusCode::OK, "{user}");
        assert_eq!(t.get("/ip/programme", &auth).await.status, StatusCode::OK, "{user}");
    }
    // Other institutions' records are not found; roles without the permission are refused.
    let other = t.session("staff.b").await;
    assert_eq!(t.get(&format!("/ip/{id}"), &other).await.status, StatusCode::NOT_FOUND);
    assert_eq!(t.get(&format!("/ip/{id}/edit"), &other).await.status, StatusCode::NOT_FOUND);
    assert!(!t.get("/ip", &other).await.text().contains("一种高导热石墨烯复合膜的制备方法"));
    let r = t
        .form(
            &format!("/ip/{id}/annuities"),
            &[("year", "5"), ("paid_on", "2026-11-01"), ("amount", "900")],
            Some(&t.sign_in("staff.b").await),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    let enterprise = t.session("enterprise").await;
    for path in ["/ip", "/ip/due", "/monitoring", "/ip/programme", "/ip/new", "/screening/new"] {
        assert_eq!(t.get(path, &enterprise).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    let inventor = t.session("inventor.a").await;
    for path in ["/ip/new", "/monitoring", "/ip/programme", "/screening/new"] {
        assert_eq!(t.get(path, &inventor).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(t.get(&format!("/ip/{id}/edit"), &inventor).await.status, StatusCode::FORBIDDEN);
    // Anonymous visitors are sent to sign in; the screening list is open.
    let anon = t.get("/ip", &Auth::None).await;
    assert_eq!(anon.status, StatusCode::SEE_OTHER);
    assert!(anon.location().starts_with("/sign-in"));
    assert_eq!(t.get("/screening", &Auth::None).await.status, StatusCode::OK);
    // A form without the CSRF token is refused.
    let r = t.form("/ip", &[("_csrf", "x"), ("kind", "invention_patent")], Some(&staff)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The register in English.
    let en = t.get("/ip?lang=en", &Auth::Session(staff.clone())).await.text();
    assert!(en.contains("IP rights") && en.contains("Invention patent") && en.contains("Granted"), "{en}");
});

on_every_backend!(an_ip_record_is_filed_through_the_form_and_its_annuities_paid, |t| {
    let b = t.sign_in("staff.a").await;
    let auth = Auth::Session(b.clone());
    let api = t.token("staff.a").await;
    let a = achievement(t, &api, "高导热石墨烯复合膜", false).await;

    // Linked from an evaluation's "file a patent": the achievement is preselected.
    let new = t.get(&format!("/ip/new?achievement_id={a}"), &auth).await;
    assert_eq!(new.status, StatusCode::OK);
    let html = new.text();
    assert!(html.contains(&format!("<option value=\"{a}\" selected>")), "{html}");
    assert!(html.contains("value=\"高导热石墨烯复合膜\""), "the title is prefilled");
    assert!(html.contains("name=\"_csrf\""));

    // A wrong check character and a grant before filing: inline messages, input kept.
    let bad = wrong_check("202010123456");
    let r = post(
        t,
        "/ip",
        &[
            ("achievement_id", &a.to_string()),
            ("kind", "invention_patent"),
            ("title", "高导热石墨烯复合膜"),
            ("jurisdiction", "CN"),
            ("application_number", &bad),
            ("filing_date", "2020-03-15"),
            ("grant_number", ""),
            ("grant_date", "2019-01-01"),
            ("legal_status", ""),
        ],
        &b,
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(html.contains("error-summary"));
    assert!(html.contains("申请号校验位不正确"), "{html}");
    assert!(html.contains("授权日不能早于申请日"), "{html}");
    assert!(html.contains(&format!("value=\"{bad}\"")), "the typed number is kept");
    assert!(html.contains("value=\"2019-01-01\""));
    assert!(html.contains("application_number-error") && html.contains("grant_date-error"));

    // Valid: a granted invention patent filed 2020-03-15, granted 2023-06-01.
    let id = granted_patent(t, &b, Some(a), "202010123456").await;
    let detail = t.get(&format!("/ip/{id}?done=created"), &auth).await.text();
    assert!(detail.contains("知识产权已登记"));
    assert!(detail.contains("已授权") && detail.contains("2040-03-15"), "the term ends 20 years after filing");
    assert!(detail.contains(&format!("href=\"/achievements/{a}\"")), "the linked achievement");
    // The schedule: years 5–20, due on the filing anniversaries; 5, 6 and 7 are overdue.
    assert!(detail.contains("id=\"annuity-5\" class=\"overdue\""), "{detail}");
    assert!(detail.contains("2024-03-15") && detail.contains("2039-03-15"));
    assert!(detail.contains("id=\"annuity-7\" class=\"overdue\""));
    assert!(!detail.contains("id=\"annuity-8\" class=\"overdue\""));
    assert!(!detail.contains("id=\"annuity-4\""), "the year of grant is paid with the grant");
    assert!(detail.contains("90 天"), "the reminder window of the profile");

    // A payment without an amount comes back with the message next to the field.
    let r =
        post(t, &format!("/ip/{id}/annuities"), &[("year", "5"), ("paid_on", "2026-11-20"), ("amount", "")], &b).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("缴费金额"), "{}", r.text());
    let r = post(t, &format!("/ip/{id}/annuities"), &[("year", "5"), ("paid_on", "2026-11-20"), ("amount", "900")], &b)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let detail = t.get(&r.location(), &auth).await.text();
    assert!(detail.contains("年费缴纳已登记"));
    assert!(detail.contains("900.00 元") && detail.contains("2026-11-20"), "{detail}");
    assert!(!detail.contains("id=\"annuity-5\" class=\"overdue\""));
    // Paying the same year twice is refused.
    let r = post(t, &format!("/ip/{id}/annuities"), &[("year", "5"), ("paid_on", "2026-11-20"), ("amount", "900")], &b)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("第 5 年年费已缴纳"), "{}", r.text());

    // The due list shows the two overdue years with the profile's window.
    let due = t.get("/ip/due", &auth).await.text();
    assert!(due.contains("ip.annuity.reminder_days") && due.contains("90"), "{due}");
    assert_eq!(due.matches("class=\"overdue\"").count(), 2, "{due}");

    // The patent-conversion programme: in, moved on, out.
    let mut version = 1;
    for status in ["listed", "promoting", "negotiating", "converted"] {
        let r = post(
            t,
            &format!("/ip/{id}/programme"),
            &[("version", &version.to_string()), ("programme_status", status)],
            &b,
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{status}: {}", r.text());
        version += 1;
    }
    let detail = t.get(&format!("/ip/{id}"), &auth).await.text();
    assert!(detail.contains("id=\"programme-status\">已转化"), "{detail}");
    let rates = t.get("/ip/programme", &auth).await.text();
    assert!(rates.contains("甲大学") && rates.contains("100.0 %"), "{rates}");
    let regulator = t.get("/ip/programme", &t.session("regulator").await).await.text();
    assert!(regulator.contains("甲大学"), "regulators see every university");
    // A stale version is refused; then out of the programme.
    let r = post(t, &format!("/ip/{id}/programme"), &[("version", "1"), ("programme_status", "out")], &b).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("该记录已被他人修改"));
    let r =
        post(t, &format!("/ip/{id}/programme"), &[("version", &version.to_string()), ("programme_status", "out")], &b)
            .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let list = t.get("/ip?programme=true", &auth).await.text();
    assert!(list.contains("没有符合条件的知识产权"), "{list}");

    // A pending application cannot join the programme.
    let r = post(
        t,
        "/ip",
        &[
            ("kind", "utility_model"),
            ("title", "一种散热装置"),
            ("application_number", &cn_number("202520654321")),
            ("filing_date", "2025-05-01"),
        ],
        &b,
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let pending = id_from(&r.location(), "/ip/");
    let r = post(t, &format!("/ip/{pending}/programme"), &[("version", "1"), ("programme_status", "listed")], &b).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("只有已授权专利可纳入专利转化专项"));

    // Edit: the form shows what is stored; the update is versioned.
    let edit = t.get(&format!("/ip/{pending}/edit"), &auth).await.text();
    assert!(edit.contains("value=\"一种散热装置\"") && edit.contains("name=\"version\" value=\"1\""));
    let fields = [
        ("version", "1"),
        ("kind", "utility_model"),
        ("title", "一种散热装置"),
        ("jurisdiction", "CN"),
        ("application_number", &cn_number("202520654321")),
        ("filing_date", "2025-05-01"),
        ("grant_number", "ZL202520654321.0"),
        ("grant_date", "2026-02-01"),
        ("legal_status", "granted"),
    ];
    let r = post(t, &format!("/ip/{pending}"), &fields, &b).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let r = post(t, &format!("/ip/{pending}"), &fields, &b).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "stale version");

    // Filters and the export.
    let list = t.get("/ip?kind=utility_model", &auth).await.text();
    assert!(list.contains("一种散热装置") && !list.contains("一种高导热石墨烯复合膜的制备方法"));
    let list = t.get("/ip?legal_status=granted", &auth).await.text();
    assert!(list.contains("id=\"ip-counts\""));
    let x = t.get("/ip/export.xlsx?kind=invention_patent", &auth).await;
    assert_eq!(x.status, StatusCode::OK);
    assert_eq!(x.headers.get("content-type").unwrap(), XLSX);
    assert!(x.body.starts_with(b"PK"));
});

fn score_fields<'a>(scores: &'a [(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut f = Vec::new();
    for (c, s) in scores {
        f.push(("criterion", *c));
        f.push(("score", *s));
    }
    f
}

on_every_backend!(a_screening_round_is_run_through_the_forms, |t| {
    let b = t.sign_in("staff.a").await;
    let auth = Auth::Session(b.clone());
    let api = t.token("staff.a").await;
    let a = achievement(t, &api, "固态电解质", false).await;

    // Weights that do not total 100 % come back inline, keeping the rows.
    let bad = [
        ("title", "2026 年度成果遴选"),
        ("kind", "achievement"),
        ("description", "遴选拟重点推介的成果"),
        ("criterion_name", "创新性"),
        ("criterion_weight", "60"),
        ("criterion_name", "市场前景"),
        ("criterion_weight", "30"),
        ("scores_due_on", "2026-12-20"),
        ("shortlist_size", "1"),
    ];
    let r = post(t, "/screening", &bad, &b).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(html.contains("份额合计须恰好为 100%，当前为 90%"), "{html}");
    assert!(html.contains("value=\"市场前景\"") && html.contains("value=\"2026 年度成果遴选\""));
    let mut good = bad.to_vec();
    good[6] = ("criterion_weight", "40");
    let r = post(t, "/screening", &good, &b).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let id = id_from(&r.location(), "/screening/");
    let page = format!("/screening/{id}");
    let detail = t.get(&r.location(), &auth).await.text();
    assert!(detail.contains("遴选已创建") && detail.contains("筹备中"));

    // Not visible to another university or the public while in draft.
    assert_eq!(t.get(&page, &t.session("staff.b").await).await.status, StatusCode::NOT_FOUND);
    assert_eq!(t.get(&page, &Auth::None).await.status, StatusCode::NOT_FOUND);

    // Opening needs candidates and reviewers.
    let r = post(t, &format!("{page}/open"), &[("version", "1")], &b).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("候选项目"), "{}", r.text());

    // Candidates: an achievement of the institution and a project by name.
    let r = post(
        t,
        &format!("{page}/candidates"),
        &[("achievement_id", &a.to_string()), ("name", ""), ("description", "")],
        &b,
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let r =
        post(t, &format!("{page}/candidates"), &[("achievement_id", ""), ("name", ""), ("description", "")], &b).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "a name is needed without an achievement");
    assert!(r.text().contains("项目名称"));
    let r = post(
        t,
        &format!("{page}/candidates"),
        &[("achievement_id", ""), ("name", "柔性传感器项目"), ("description", "学生创业团队")],
        &b,
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());

    // Reviewers: a colleague and an outside technology manager.
    let detail = t.get(&page, &auth).await.text();
    assert!(detail.contains("固态电解质") && detail.contains("柔性传感器项目"));
    let reviewer_id = |name: &str| -> String {
        let label = format!("{name} 用户");
        let at = detail.find(&label).unwrap_or_else(|| panic!("{label} offered: {detail}"));
        let before = &detail[..at];
        let marker = "name=\"reviewer\" value=\"";
        let start = before.rfind(marker).unwrap() + marker.len();
        before[start..].split('"').next().unwrap().to_string()
    };
    let (inventor, manager) = (reviewer_id("inventor.a"), reviewer_id("manager"));
    let r = post(t, &format!("{page}/reviewers"), &[("reviewer", &inventor), ("reviewer", &manager)], &b).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let r = post(t, &format!("{page}/open"), &[("version", "1")], &b).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let detail = t.get(&page, &auth).await.text();
    assert!(detail.contains("评分中"), "{detail}");

    // The two reviewers score every candidate; an out-of-range score is refused inline.
    let candidates: Vec<i64> = {
        let rv = t.sign_in("inventor.a").await;
        let html = t.get(&page, &Auth::Session(rv)).await.text();
        html.match_indices("data-score=\"")
            .map(|(i, m)| html[i + m.len()..].split('"').next().unwrap().parse().unwrap())
            .collect()
    };
    assert_eq!(candidates.len(), 2);
    let first = candidates[0];
    for (reviewer, sheets) in [
        ("inventor.a", [[("创新性", "5"), ("市场前景", "4")], [("创新性", "3"), ("市场前景", "3")]]),
        ("manager", [[("创新性", "4"), ("市场前景", "4")], [("创新性", "2"), ("市场前景", "3")]]),
    ] {
        let rb = t.sign_in(reviewer).await;
        if reviewer == "inventor.a" {
            let r = post(
                t,
                &format!("{page}/candidates/{first}/scores"),
                &score_fields(&[("创新性", "9"), ("市场前景", "4")]),
                &rb,
            )
            .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
            let html = r.text();
            assert!(html.contains("创新性：") && html.contains("value=\"9\""), "{html}");
        }
        for (candidate, sheet) in candidates.iter().zip(sheets.iter()) {
            let mut fields = score_fields(sheet);
            fields.push(("comment", "具备推介价值"));
            let r = post(t, &format!("{page}/candidates/{candidate}/scores"), &fields, &rb).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{reviewer}: {}", r.text());
        }
        let html = t.get(&page, &Auth::Session(rb.clone())).await.text();
        assert!(html.contains("您已完成全部候选项目的评分"), "{html}");
        // Scoring twice is refused.
        let r = post(t, &format!("{page}/candidates/{first}/scores"), &score_fields(&sheets[0]), &rb).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().contains("您已评分"));
    }
    // Reviewers do not see the aggregates of an unpublished round.
    let html = t.get(&page, &t.session("manager").await).await.text();
    assert!(!html.contains("加权得分"), "{html}");

    // Close: ranks, aggregates, spread and the shortlist of one.
    let r = post(t, &format!("{page}/close"), &[("version", "2")], &b).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let detail = t.get(&page, &auth).await.text();
    assert!(detail.contains("已结束评分") && detail.contains("加权得分") && detail.contains("分歧"), "{detail}");
    // 固态电解质: reviewer totals 4.6 and 4.0 → mean 4.30, spread 0.6; shortlisted.
    let row = &detail[detail.find(&format!("id=\"candidate-{first}\"")).unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("固态电解质") && row.contains("入围") && !row.contains("未入围"), "{row}");
    assert!(row.contains("4.3") && row.contains("0.6"), "{row}");
    assert!(detail.find("固态电解质").unwrap() < detail.find("柔性传感器项目").unwrap(), "ranked first");

    // Publish: readable by everyone, anonymous visitors included.
    let r = post(t, &format!("{page}/publish"), &[("version", "3")], &b).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    for auth in [Auth::None, t.session("staff.b").await, t.session("enterprise").await] {
        let r = t.get(&page, &auth).await;
        assert_eq!(r.status, StatusCode::OK);
        let html = r.text();
        assert!(html.contains("已公布") && html.contains("入围") && html.contains("固态电解质"), "{html}");
        assert!(!html.contains("/screening/{id}/open") && !html.contains("name=\"reviewer\""));
    }
    let list = t.get("/screening", &Auth::None).await.text();
    assert!(list.contains("2026 年度成果遴选"));
    let list = t.get("/screening?lang=en", &auth).await.text();
    assert!(list.contains("Published") && list.contains("Achievements"), "{list}");
});

on_every_backend!(monitoring_shows_the_alerts_of_a_stalled_major_achievement, |t| {
    let api = t.token("staff.a").await;
    let major = achievement(t, &api, "重大成果：固态电池", true).await;
    let minor = achievement(t, &api, "一般成果", false).await;
    let b = t.sign_in("staff.a").await;
    granted_patent(t, &b, Some(major), "202010123456").await;

    // Seven months on, the major achievement has not moved.
    t.clock.advance(time::Duration::days(214));
    let auth = t.session("staff.a").await;
    let page = t.get("/monitoring", &auth).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    let row = &html[html.find(&format!("id=\"watched-{major}\"")).expect("the major achievement is watched")..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("已停滞 7 个月（上限 6 个月）"), "{row}");
    assert!(row.contains("年费逾期"), "{row}");
    assert!(row.contains("未做评估"), "{row}");
    assert!(row.contains(&format!("href=\"/achievements/{major}\"")));
    assert!(!html.contains(&format!("id=\"watched-{minor}\"")), "only major achievements");
    assert!(html.contains("monitoring.stall_months"), "the rule and its source are named");
    let en = t.get("/monitoring?lang=en", &auth).await.text();
    assert!(en.contains("Stalled for 7 months (limit 6)"), "{en}");
    let regulator = t.get("/monitoring", &t.session("regulator").await).await.text();
    assert!(regulator.contains("重大成果：固态电池"));
    assert!(!t.get("/monitoring", &t.session("staff.b").await).await.text().contains("重大成果：固态电池"));
    let x = t.get("/monitoring/export.xlsx", &auth).await;
    assert_eq!(x.status, StatusCode::OK);
    assert_eq!(x.headers.get("content-type").unwrap(), XLSX);
});
