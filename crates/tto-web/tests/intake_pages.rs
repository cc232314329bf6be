//! The pages of invention disclosures and pre-filing evaluations through the real router,
//! as browsers use them (session cookie, forms with the CSRF token), on every backend.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::{Auth, Browser, Reply, TestApp};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async fn page(t: &TestApp, path: &str, b: &Browser) -> Reply {
    t.get(path, &Auth::Session(b.clone())).await
}

/// The id at the end of a redirect like `/disclosures/7?done=created`.
fn id_of(location: &str, prefix: &str) -> i64 {
    let rest = location.strip_prefix(prefix).unwrap_or_else(|| panic!("{location} does not start with {prefix}"));
    rest.split(['?', '/', '#']).next().unwrap().parse().unwrap()
}

fn version_on(html: &str) -> String {
    let marker = "name=\"version\" value=\"";
    let start = html.find(marker).expect("a version field") + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

/// The version on the page, or 1 where the page offers no form (the post is then refused).
fn version_or_first(html: &str) -> String {
    if html.contains("name=\"version\"") { version_on(html) } else { "1".into() }
}

fn disclosure_fields<'a>(title: &'a str, shares: (&'a str, &'a str)) -> Vec<(&'a str, &'a str)> {
    vec![
        ("title", title),
        ("summary", "一种可在 200 ℃ 以下烧结的纳米银焊膏。"),
        ("problem", "功率模块高温焊接导致的热应力。"),
        ("prior_art", "现有焊膏烧结温度高。"),
        ("planned_publications", "拟投稿《材料导报》"),
        ("first_publication_on", "2027-03-01"),
        ("funding_source", "fiscal"),
        ("funding_refs", "NSFC-52071234"),
        ("contributor_name", "张伟"),
        ("contributor_share", shares.0),
        ("contributor_main", "0"),
        ("contributor_name", "李娜"),
        ("contributor_share", shares.1),
        ("contributor_name", ""),
        ("contributor_share", ""),
    ]
}

/// Drafts a disclosure through the form as the inventor; returns its id.
async fn draft(t: &TestApp, inventor: &Browser, title: &str) -> i64 {
    let r = t.form("/disclosures", &disclosure_fields(title, ("60", "40")), Some(inventor)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    id_of(&r.location(), "/disclosures/")
}

async fn step(t: &TestApp, b: &Browser, id: i64, step: &str, fields: &[(&str, &str)]) -> Reply {
    let html = page(t, &format!("/disclosures/{id}"), b).await.text();
    let version = version_or_first(&html);
    let mut all = vec![("version", version.as_str())];
    all.extend_from_slice(fields);
    t.form(&format!("/disclosures/{id}/{step}"), &all, Some(b)).await
}

async fn upload(t: &TestApp, b: &Browser, id: i64, csrf: &str, name: &str, content: &[u8]) -> Reply {
    let boundary = "----tto-test-boundary";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{csrf}\r\n").as_bytes(),
    );
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: text/plain\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let req = Request::builder()
        .method(Method::POST)
        .uri(format!("/disclosures/{id}/attachments"))
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .header(header::COOKIE, &b.cookie)
        .body(Body::from(body))
        .unwrap();
    t.call(req).await
}

on_every_backend!(disclosure_pages_answer_each_role_and_show_form_errors_inline, |t| {
    let inventor = t.sign_in("inventor.a").await;
    let staff = t.sign_in("staff.a").await;
    let other = t.sign_in("staff.b").await;
    let enterprise = t.sign_in("enterprise").await;

    // Empty states first.
    let list = page(t, "/disclosures", &inventor).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.text().contains("披露第一项成果"), "the empty state says what to do");
    assert_eq!(page(t, "/disclosures/new", &inventor).await.status, StatusCode::OK);

    // A bad form: no title, shares not 100 %. It comes back with the input kept.
    let mut bad = disclosure_fields("", ("60", "30"));
    bad[1] = ("summary", "保留的摘要 <b>原样</b>");
    let r = t.form("/disclosures", &bad, Some(&inventor)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(html.contains("error-summary"));
    assert!(html.contains("份额合计须恰好为 100%，当前为 90%"), "{html}");
    assert!(html.contains("<p class=\"field-error\">必填</p>"), "title required next to the field");
    assert!(html.contains("保留的摘要 &#60;b&#62;原样&#60;/b&#62;"), "what was typed is kept, escaped");
    assert!(html.contains("value=\"30\""), "contributor rows are kept");

    // A good one, with HTML in its title.
    let id = draft(t, &inventor, "<script>alert(1)</script>纳米银焊膏").await;
    let detail = page(t, &format!("/disclosures/{id}?done=created"), &inventor).await;
    assert_eq!(detail.status, StatusCode::OK);
    let html = detail.text();
    assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;纳米银焊膏"));
    assert!(!html.contains("<script>alert(1)"));
    assert!(html.contains("成果披露已保存为草稿"), "flash notice");
    assert!(html.contains("这是草稿"), "plain-language next step");

    // Who sees what.
    let list = page(t, "/disclosures", &staff).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.text().contains("纳米银焊膏"));
    assert_eq!(page(t, &format!("/disclosures/{id}"), &staff).await.status, StatusCode::OK);
    assert_eq!(page(t, &format!("/disclosures/{id}"), &other).await.status, StatusCode::NOT_FOUND);
    assert!(!page(t, "/disclosures", &other).await.text().contains("纳米银焊膏"));
    assert_eq!(page(t, "/disclosures", &enterprise).await.status, StatusCode::FORBIDDEN);
    assert_eq!(page(t, "/disclosures/new", &enterprise).await.status, StatusCode::FORBIDDEN);
    let anonymous = t.get("/disclosures", &Auth::None).await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert!(anonymous.location().starts_with("/sign-in"));
    // A form without the CSRF token is refused.
    let r = t.form("/disclosures", &[("title", "x"), ("_csrf", "nope")], Some(&inventor)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Export and the status filter.
    let x = page(t, "/disclosures/export.xlsx", &staff).await;
    assert_eq!(x.status, StatusCode::OK);
    assert_eq!(x.headers[header::CONTENT_TYPE], XLSX);
    let drafts = page(t, "/disclosures?status=draft", &staff).await.text();
    assert!(drafts.contains("纳米银焊膏"));
    assert!(!page(t, "/disclosures?status=accepted", &staff).await.text().contains("纳米银焊膏"));
});

on_every_backend!(a_disclosure_is_returned_edited_resubmitted_and_accepted_into_the_ledger, |t| {
    let inventor = t.sign_in("inventor.a").await;
    let staff = t.sign_in("staff.a").await;
    let id = draft(t, &inventor, "柔性应变传感阵列").await;

    let r = step(t, &inventor, id, "submit", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    // The inventor cannot edit a submitted disclosure any more.
    assert_ne!(page(t, &format!("/disclosures/{id}/edit"), &inventor).await.status, StatusCode::OK);

    // Returning needs comments.
    let r = step(t, &staff, id, "return", &[("return_comments", " ")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("<p class=\"field-error\">必填</p>"));
    let r = step(t, &staff, id, "return", &[("return_comments", "请补充与现有柔性传感器的对比数据。")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let html = page(t, &format!("/disclosures/{id}"), &inventor).await.text();
    assert!(html.contains("已退回修改") && html.contains("请补充与现有柔性传感器的对比数据。"));
    assert!(html.contains("退回意见"));

    // The inventor edits: a stale version is explained, then the edit goes through.
    let edit = page(t, &format!("/disclosures/{id}/edit"), &inventor).await;
    assert_eq!(edit.status, StatusCode::OK);
    let version = version_on(&edit.text());
    let mut fields = disclosure_fields("柔性应变传感阵列（补充对比数据）", ("70", "30"));
    fields.push(("version", "1"));
    let r = t.form(&format!("/disclosures/{id}"), &fields, Some(&inventor)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("该记录已被他人修改，请刷新后重新操作"));
    assert!(r.text().contains("补充对比数据"), "the input is kept");
    fields.pop();
    fields.push(("version", &version));
    let r = t.form(&format!("/disclosures/{id}"), &fields, Some(&inventor)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let r = step(t, &inventor, id, "submit", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    // The inventor may not accept; the TTO must give the ledger fields.
    let r = step(t, &inventor, id, "accept", &[("discipline", "材料")]).await;
    assert!(matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{}", r.status);
    let r = step(t, &staff, id, "accept", &[("kind", "invention_patent"), ("confidentiality", "summary_only")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(html.contains("id=\"accept-form\""));
    assert!(html.matches("<p class=\"field-error\">").count() >= 2, "discipline and TRL are marked");
    let r = step(
        t,
        &staff,
        id,
        "accept",
        &[
            ("discipline", "材料科学与工程"),
            ("kind", "invention_patent"),
            ("trl", "4"),
            ("confidentiality", "summary_only"),
            ("chains", "new_materials"),
            ("keywords", "石墨烯，传感"),
            ("job_related", "1"),
            ("accept_comments", "受理，进入申请前评估。"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let html = page(t, &format!("/disclosures/{id}?done=accept"), &staff).await.text();
    assert!(html.contains("已受理"));
    let api = t.get(&format!("/api/v1/disclosures/{id}"), &Auth::Session(staff.clone())).await;
    let achievement = api.json()["achievement_id"].as_i64().expect("the achievement created");
    assert!(html.contains(&format!("href=\"/achievements/{achievement}\" id=\"achievement-link\"")));
    let a = page(t, &format!("/achievements/{achievement}"), &staff).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.text().contains("柔性应变传感阵列（补充对比数据）"));
    assert!(html.contains(&format!("/evaluations/new?achievement_id={achievement}")));
    // Accepted is final.
    let r = step(t, &staff, id, "reject", &[("reject_reason", "重复")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("当前状态不允许此操作") || r.text().contains("已被他人修改"));
});

on_every_backend!(attachments_are_uploaded_downloaded_and_removed_through_the_page, |t| {
    let inventor = t.sign_in("inventor.a").await;
    let staff = t.sign_in("staff.b").await;
    let id = draft(t, &inventor, "带附件的披露").await;

    let r = upload(t, &inventor, id, "not-the-token", "x.txt", b"data").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = upload(t, &inventor, id, &inventor.csrf, "技术交底书.txt", "交底内容 v1".as_bytes()).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let r = upload(t, &inventor, id, &inventor.csrf, "empty.txt", b"").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("<p class=\"field-error\">必填</p>"));

    let html = page(t, &format!("/disclosures/{id}"), &inventor).await.text();
    assert!(html.contains("技术交底书.txt"));
    let marker = format!("/disclosures/{id}/attachments/");
    let start = html.find(&marker).unwrap() + marker.len();
    let attachment: i64 = html[start..].split(['"', '/']).next().unwrap().parse().unwrap();
    let file = page(t, &format!("/disclosures/{id}/attachments/{attachment}"), &inventor).await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.body, "交底内容 v1".as_bytes());
    assert!(file.headers[header::CONTENT_DISPOSITION].to_str().unwrap().starts_with("attachment;"));
    assert_eq!(
        page(t, &format!("/disclosures/{id}/attachments/{attachment}"), &staff).await.status,
        StatusCode::NOT_FOUND
    );

    let r = t.form(&format!("/disclosures/{id}/attachments/{attachment}/remove"), &[], Some(&inventor)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(!page(t, &format!("/disclosures/{id}"), &inventor).await.text().contains("技术交底书.txt"));
});

/// Accepts a disclosure through the API use case and returns the achievement id.
async fn accepted_achievement(t: &TestApp) -> i64 {
    let inventor = t.sign_in("inventor.a").await;
    let staff = t.sign_in("staff.a").await;
    let id = draft(t, &inventor, "高熵合金涂层激光熔覆工艺").await;
    assert_eq!(step(t, &inventor, id, "submit", &[]).await.status, StatusCode::SEE_OTHER);
    let r = step(
        t,
        &staff,
        id,
        "accept",
        &[("discipline", "材料"), ("kind", "invention_patent"), ("trl", "4"), ("confidentiality", "summary_only")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let api = t.get(&format!("/api/v1/disclosures/{id}"), &Auth::Session(staff)).await;
    api.json()["achievement_id"].as_i64().unwrap()
}

async fn user_id(t: &TestApp, staff: &Browser, username: &str) -> String {
    let list = t.get("/api/v1/reviewer-candidates", &Auth::Session(staff.clone())).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text());
    let name = format!("{username} 用户");
    list.json()
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name.as_str())
        .unwrap_or_else(|| panic!("{username} is not a candidate"))["user_id"]
        .as_i64()
        .unwrap()
        .to_string()
}

fn scores(values: [&'static str; 5]) -> Vec<(&'static str, &'static str)> {
    ["score_novelty", "score_patentability", "score_industrialisation", "score_maturity", "score_team"]
        .into_iter()
        .zip(values)
        .collect()
}

on_every_backend!(an_evaluation_is_scored_by_two_reviewers_and_decided, |t| {
    let achievement = accepted_achievement(t).await;
    let staff = t.sign_in("staff.a").await;
    let admin = t.sign_in("admin.a").await;
    let manager = t.sign_in("manager").await;
    let outsider = t.sign_in("staff.b").await;
    let enterprise = t.sign_in("enterprise").await;
    let a = achievement.to_string();

    // The form offers the achievement and the candidates; a form without reviewers comes back.
    let form = page(t, &format!("/evaluations/new?achievement_id={achievement}"), &staff).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text().contains("高熵合金涂层激光熔覆工艺") && form.text().contains("manager 用户"));
    assert_eq!(page(t, "/evaluations/new", &manager).await.status, StatusCode::FORBIDDEN);
    let r = t.form("/evaluations", &[("achievement_id", &a)], Some(&staff)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("<p class=\"field-error\">必填</p>"));
    let (s, m, ad) =
        (user_id(t, &staff, "staff.a").await, user_id(t, &staff, "manager").await, user_id(t, &staff, "admin.a").await);
    let r = t
        .form(
            "/evaluations",
            &[("achievement_id", &a), ("reviewers", &s), ("reviewers", &m), ("reviewers", &ad)],
            Some(&staff),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let id = id_of(&r.location(), "/evaluations/");
    let path = format!("/evaluations/{id}");

    // The reviewer from elsewhere sees it marked "to score", with anchors and the scoring form.
    let list = page(t, "/evaluations", &manager).await.text();
    assert!(list.contains("to-score-marker"), "{list}");
    let html = page(t, &path, &manager).await.text();
    assert!(html.contains("id=\"score-form\"") && html.contains("产业化前景"));
    assert!(html.contains("未检索到相近技术，思路全新"), "anchored scale descriptions");
    // Incomplete scores: every missing criterion is marked, the given choice kept.
    let r = t.form(&format!("{path}/scores"), &[("score_novelty", "4")], Some(&manager)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().matches("<p class=\"field-error\">必填</p>").count() >= 4);
    assert!(r.text().contains("value=\"4\" checked"));
    let mut fields = scores(["4", "3", "4", "3", "4"]);
    fields.push(("comment", "建议尽快申请 <i>发明专利</i>"));
    let r = t.form(&format!("{path}/scores"), &fields, Some(&manager)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    // Scoring twice is refused.
    let r = t.form(&format!("{path}/scores"), &fields, Some(&manager)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Staff has not scored yet: no results for them as a reviewer? They read as the TTO.
    let r = t.form(&format!("{path}/conflict"), &[("conflict_note", "")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = t.form(&format!("{path}/conflict"), &[("conflict_note", "与完成人同一课题组")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = t.form(&format!("{path}/scores"), &scores(["2", "2", "2", "2", "2"]), Some(&staff)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());

    let html = page(t, &path, &staff).await.text();
    assert!(html.contains("已声明利益冲突") && html.contains("与完成人同一课题组"));
    assert!(html.contains("建议尽快申请 &#60;i&#62;发明专利&#60;/i&#62;"), "comments are escaped");
    assert!(html.contains("分歧较大"), "a spread of 1.65 on 1–5 is highlighted");
    assert!(html.contains("id=\"decision-form\""));

    // Who may look.
    assert_eq!(page(t, &path, &outsider).await.status, StatusCode::NOT_FOUND);
    assert_eq!(page(t, &path, &enterprise).await.status, StatusCode::NOT_FOUND);
    assert_eq!(page(t, "/evaluations", &enterprise).await.status, StatusCode::OK);
    assert!(!page(t, "/evaluations", &outsider).await.text().contains("高熵合金"));

    // The decision: reasons are required; then file a patent.
    let version = version_on(&html);
    let r = t
        .form(&format!("{path}/decision"), &[("version", &version), ("recommendation", "file_patent")], Some(&staff))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("<p class=\"field-error\">必填</p>"));
    let r = t
        .form(
            &format!("{path}/decision"),
            &[("version", &version), ("recommendation", "file_patent"), ("reasons", "产业化前景好。")],
            Some(&staff),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let html = page(t, &format!("{path}?done=decided"), &staff).await.text();
    assert!(html.contains("评估结论已记录"));
    assert!(html.contains(&format!("href=\"/ip/new?achievement_id={achievement}\"")));
    assert!(html.contains("登记专利申请"));
    let en = page(t, &format!("{path}?lang=en"), &staff).await.text();
    assert!(en.contains("Record the patent filing"));

    // The report and the exports.
    let report = page(t, &format!("{path}/report"), &staff).await;
    assert_eq!(report.status, StatusCode::OK);
    assert!(report.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    let text = report.text();
    assert!(text.contains("专利申请前评估报告") && text.contains("申请专利") && text.contains("与完成人同一课题组"));
    assert!(text.contains("tianjin-2023"), "the profile of the weights");
    assert!(!text.contains("class=\"sidenav\""), "no navigation on the printable report");
    for x in ["/evaluations/export.xlsx".to_string(), format!("{path}/export.xlsx")] {
        let r = page(t, &x, &staff).await;
        assert_eq!(r.status, StatusCode::OK, "{x}");
        assert_eq!(r.headers[header::CONTENT_TYPE], XLSX);
    }
    assert_eq!(page(t, &format!("{path}/report"), &outsider).await.status, StatusCode::NOT_FOUND);
});

on_every_backend!(a_reviewer_sees_no_results_before_scoring, |t| {
    let achievement = accepted_achievement(t).await;
    let staff = t.sign_in("staff.a").await;
    let manager = t.sign_in("manager").await;
    let a = achievement.to_string();
    let (s, m) = (user_id(t, &staff, "staff.a").await, user_id(t, &staff, "manager").await);
    let r = t.form("/evaluations", &[("achievement_id", &a), ("reviewers", &s), ("reviewers", &m)], Some(&staff)).await;
    let path = r.location().split('?').next().unwrap().to_string();
    let r = t.form(&format!("{path}/scores"), &scores(["5", "5", "5", "5", "5"]), Some(&staff)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let html = page(t, &path, &manager).await.text();
    assert!(html.contains("您提交评分后才能看到结果"));
    assert!(!html.contains("id=\"criterion-results\""));
    let report = page(t, &format!("{path}/report"), &manager).await.text();
    assert!(!report.contains("id=\"report-score\""));
});
