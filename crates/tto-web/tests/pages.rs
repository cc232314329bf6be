//! The pages as a browser meets them: forms with CSRF, inline errors that keep what was
//! typed, language switch, exports.

mod common;

use axum::http::StatusCode;
use common::{Auth, Browser};

fn contributor_fields<'a>(rows: &'a [(&'a str, &'a str, bool)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = Vec::new();
    for (i, (name, share, main)) in rows.iter().enumerate() {
        fields.push(("contributor_name", *name));
        fields.push(("contributor_share", *share));
        if *main {
            fields.push(("contributor_main", ["0", "1", "2", "3", "4"][i]));
        }
    }
    fields
}

fn form(title: &str, trl: &str, contributors: &[(&str, &str, bool)]) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = [
        ("title", title),
        ("summary", "用于动力电池的固态电解质。"),
        ("detail", ""),
        ("keywords", "固态电池，电解质"),
        ("discipline", "材料科学与工程"),
        ("kind", "invention_patent"),
        ("trl", trl),
        ("funding_source", "fiscal"),
        ("funding_refs", ""),
        ("completion_date", "2025-03-01"),
        ("confidentiality", "public"),
        ("chains", "new_energy"),
        ("job_related", "1"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in contributor_fields(contributors) {
        f.push((k.to_string(), v.to_string()));
    }
    f
}

async fn post(t: &common::TestApp, path: &str, fields: &[(String, String)], b: &Browser) -> common::Reply {
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    t.form(path, &borrowed, Some(b)).await
}

on_every_backend!(register_edit_and_publish_through_the_forms, |t| {
    let b = t.sign_in("staff.a").await;
    let auth = Auth::Session(b.clone());
    let new = t.get("/achievements/new", &auth).await;
    assert_eq!(new.status, StatusCode::OK);
    assert!(new.text().contains("name=\"_csrf\""));

    // Invalid: shares total 90, TRL missing. The form comes back with messages and input.
    let bad = form("固态电解质", "", &[("王芳", "50", true), ("李强", "40", false)]);
    let reply = post(t, "/achievements", &bad, &b).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = reply.text();
    assert!(html.contains("份额合计须恰好为 100%，当前为 90%"), "{html}");
    assert!(html.contains("error-summary"));
    assert!(html.contains("value=\"固态电解质\""), "typed title kept");
    assert!(html.contains("value=\"王芳\"") && html.contains("value=\"40\""), "typed contributors kept");

    // Valid.
    let good = form("固态电解质", "5", &[("王芳", "60", true), ("李强", "40", false)]);
    let reply = post(t, "/achievements", &good, &b).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    let location = reply.location();
    assert!(location.starts_with("/achievements/") && location.ends_with("?done=created"), "{location}");
    let id: i64 = location.trim_start_matches("/achievements/").split('?').next().unwrap().parse().unwrap();
    let detail = t.get(&location, &auth).await.text();
    assert!(detail.contains("成果已登记为草稿"));
    assert!(detail.contains("固态电解质") && detail.contains("王芳") && detail.contains("60 %"));

    // Edit: the form shows stored values; a stale version is refused.
    let edit = t.get(&format!("/achievements/{id}/edit"), &auth).await.text();
    assert!(edit.contains("value=\"固态电解质\"") && edit.contains("name=\"version\" value=\"1\""));
    let mut changed = form("固态电解质（改）", "6", &[("王芳", "60", true), ("李强", "40", false)]);
    changed.push(("version".into(), "1".into()));
    let reply = post(t, &format!("/achievements/{id}"), &changed, &b).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    let reply = post(t, &format!("/achievements/{id}"), &changed, &b).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.text().contains("该记录已被他人修改"));

    // Lifecycle buttons.
    let reply = post(
        t,
        &format!("/achievements/{id}/transition"),
        &[("action".into(), "register".into()), ("version".into(), "2".into())],
        &b,
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let reply =
        post(t, &format!("/achievements/{id}/transition"), &[("action".into(), "complete_conversion".into())], &b)
            .await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert!(reply.text().contains("不能执行"));

    // The list shows it; the export is an XLSX file.
    let list = t.get("/achievements?q=%E5%9B%BA%E6%80%81", &auth).await.text();
    assert!(list.contains("固态电解质（改）"));
    let xlsx = t.get("/achievements/export.xlsx?q=%E5%9B%BA%E6%80%81", &auth).await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert_eq!(xlsx.headers["content-type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    assert_eq!(&xlsx.body[..2], b"PK");
    for path in ["/institutions/export.xlsx", "/audit/export.xlsx", "/admin/users/export.xlsx"] {
        let admin = t.session("admin.a").await;
        let r = t.get(path, &admin).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert_eq!(&r.body[..2], b"PK", "{path}");
    }
    assert_eq!(
        t.get("/admin/users/export.xlsx", &auth).await.status,
        StatusCode::FORBIDDEN,
        "staff may not list users"
    );
});

on_every_backend!(forms_without_a_valid_csrf_token_are_refused, |t| {
    let b = t.sign_in("staff.a").await;
    let good = form("不该出现的成果", "5", &[("王芳", "100", true)]);
    let mut missing: Vec<(&str, &str)> = good.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    missing.push(("_csrf", ""));
    let reply = t.form("/achievements", &missing, Some(&b)).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(reply.text().contains("表单校验失败"));
    let wrong = "0".repeat(64);
    let mut forged: Vec<(&str, &str)> = good.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    forged.push(("_csrf", &wrong));
    assert_eq!(t.form("/achievements", &forged, Some(&b)).await.status, StatusCode::FORBIDDEN);
    // Sign-out too.
    assert_eq!(t.form("/sign-out", &[("_csrf", &wrong)], Some(&b)).await.status, StatusCode::FORBIDDEN);
    // Nothing was created.
    let list = t.get("/achievements?q=%E4%B8%8D%E8%AF%A5", &Auth::Session(b)).await.text();
    assert!(!list.contains("不该出现的成果"));
});

on_every_backend!(pages_speak_chinese_by_default_and_english_on_request, |t| {
    let zh = t.get("/achievements", &Auth::None).await;
    assert!(zh.text().contains("<html lang=\"zh-CN\">") && zh.text().contains("成果目录"));
    let en = t.get("/achievements?lang=en", &Auth::None).await;
    assert!(en.text().contains("<html lang=\"en\">") && en.text().contains("Achievement catalogue"));
    let lang_cookie = common::cookie_value(&en.headers, tto_web::LANG_COOKIE).unwrap();
    assert_eq!(lang_cookie, "en");
    // The choice is kept.
    let again = t
        .call(
            axum::http::Request::get("/policy")
                .header("cookie", format!("{}=en", tto_web::LANG_COOKIE))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert!(again.text().contains("Policy profile"));
    for path in ["/", "/policy", "/institutions", "/sign-in", "/no-such-page"] {
        let r = t.get(path, &Auth::None).await;
        assert!(r.status == StatusCode::OK || r.status == StatusCode::NOT_FOUND, "{path}: {}", r.status);
        assert!(r.text().contains("科技成果转化服务平台"), "{path} renders the layout");
    }
});

on_every_backend!(pages_need_the_right_role, |t| {
    // Anonymous: forms redirect to sign-in.
    let r = t.get("/achievements/new", &Auth::None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location().starts_with("/sign-in?next="));
    // An enterprise user may browse but not register achievements or read the audit trail.
    let enterprise = t.session("enterprise").await;
    assert_eq!(t.get("/achievements", &enterprise).await.status, StatusCode::OK);
    assert_eq!(t.get("/achievements/new", &enterprise).await.status, StatusCode::FORBIDDEN);
    assert_eq!(t.get("/audit", &enterprise).await.status, StatusCode::FORBIDDEN);
    assert_eq!(t.get("/admin/users", &enterprise).await.status, StatusCode::FORBIDDEN);
    // The policy page lists every parameter with its grade and marks unverified values.
    let policy = t.get("/policy", &Auth::None).await.text();
    assert!(policy.contains("tto_reward.band") && policy.contains("待确认") && policy.contains("grade-U"));
    // Weights read as their dimensions' and criteria's names, not codes.
    assert!(policy.contains("产业化前景 35") && !policy.contains("industrialisation 35"), "criterion labels");
    let bad_day = t.get("/policy?on=someday", &Auth::None).await;
    assert_eq!(bad_day.status, StatusCode::OK);
    assert!(bad_day.text().contains("格式不正确"));
});

on_every_backend!(bad_filters_show_a_message_instead_of_failing, |t| {
    let r = t.get("/achievements?trl_min=0&kind=poem", &Auth::None).await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(html.contains("成熟度下限：须在 1 到 9 之间"), "{html}");
    assert!(html.contains("成果类型：“poem”不是可选值"));
});
