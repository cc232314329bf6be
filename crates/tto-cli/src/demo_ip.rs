//! Demo intake, evaluation, IP and screening: the inventor's disclosures at each stage, a
//! pre-filing evaluation by two reviewers, granted patents with annuities (one overdue, one
//! due soon) and some in the patent-conversion programme, a published screening round and one
//! still being scored.

use anyhow::anyhow;
use tto_app::achievements::{AchievementFilter, AchievementPage};
use tto_app::disclosures::AcceptDraft;
use tto_app::{Actor, App};
use tto_domain::AchievementStatus;
use tto_domain::achievement::ContributorDraft;
use tto_domain::disclosure::DisclosureDraft;
use tto_domain::ip::{IpDraft, check_character};

use crate::demo::DEMO_PASSWORD;

fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("{e}")
}

async fn user(app: &App, username: &str) -> anyhow::Result<Actor> {
    let signed = app.sign_in(username, DEMO_PASSWORD, "demo").await.map_err(err)?;
    Ok(Actor::User(signed.user))
}

/// A valid Chinese application number for a year, type digit and serial.
fn cn_number(year: i32, kind: u8, serial: u32) -> String {
    let body = format!("{year}{kind}{serial:07}");
    let digits: [u8; 12] = body.as_bytes().try_into().unwrap_or([b'0'; 12]);
    format!("{body}.{}", check_character(&digits))
}

fn disclosure(title: &str, summary: &str, problem: &str) -> DisclosureDraft {
    DisclosureDraft {
        title: title.into(),
        summary: summary.into(),
        problem: problem.into(),
        prior_art: "现有方案成本高、一致性差，公开文献中尚无同类工艺。".into(),
        planned_publications: "拟于明年投稿《材料导报》。".into(),
        first_publication_on: String::new(),
        funding_source: "fiscal".into(),
        funding_refs: vec!["NSFC-52071234".into()],
        contributors: vec![
            ContributorDraft { person_id: None, name: "张教授".into(), share: "60".into(), main: true },
            ContributorDraft { person_id: None, name: "刘博士".into(), share: "40".into(), main: false },
        ],
    }
}

pub async fn seed(app: &App) -> anyhow::Result<()> {
    let inventor = user(app, "inventor").await?;
    let staff = user(app, "tto.staff").await?;
    let admin = user(app, "tto.admin").await?;
    let manager = user(app, "manager").await?;
    let today = app.today();

    // Disclosures: one waiting for the TTO, one returned with comments, one accepted and evaluated.
    let d = app
        .create_disclosure(
            &inventor,
            &disclosure(
                "一种低温烧结纳米银焊膏",
                "可在 200 ℃ 以下烧结的纳米银焊膏，用于功率器件封装。",
                "功率模块高温焊接导致的热应力与失效。",
            ),
        )
        .await
        .map_err(err)?;
    app.submit_disclosure(&inventor, d.id, d.version).await.map_err(err)?;
    let d = app
        .create_disclosure(
            &inventor,
            &disclosure(
                "柔性应变传感阵列",
                "基于石墨烯的柔性应变传感阵列，可贴附于曲面结构。",
                "大型结构曲面应变监测难以布设传感器。",
            ),
        )
        .await
        .map_err(err)?;
    let d = app.submit_disclosure(&inventor, d.id, d.version).await.map_err(err)?;
    app.return_disclosure(&staff, d.id, d.version, "请补充与现有柔性传感器的对比数据，并说明拟发表论文的时间。")
        .await
        .map_err(err)?;
    let d = app
        .create_disclosure(
            &inventor,
            &disclosure(
                "高熵合金涂层激光熔覆工艺",
                "一种高熵合金涂层的激光熔覆工艺，显著提高耐磨性。",
                "关键部件表面磨损导致寿命短。",
            ),
        )
        .await
        .map_err(err)?;
    let d = app.submit_disclosure(&inventor, d.id, d.version).await.map_err(err)?;
    let d = app
        .accept_disclosure(
            &staff,
            d.id,
            d.version,
            &AcceptDraft {
                discipline: "材料科学与工程".into(),
                kind: "invention_patent".into(),
                trl: "4".into(),
                confidentiality: "summary_only".into(),
                chains: vec!["new_materials".into(), "high_end_equipment".into()],
                keywords: vec!["高熵合金".into(), "激光熔覆".into()],
                job_related: true,
                major: true,
                comments: "受理，进入专利申请前评估。".into(),
            },
        )
        .await
        .map_err(err)?;
    let achievement = d.achievement_id.ok_or_else(|| anyhow!("accepted disclosure without achievement"))?;
    let reviewers: Vec<i64> = [&staff, &manager].iter().filter_map(|a| a.user().map(|u| u.user_id.0)).collect();
    let e = app.start_evaluation(&staff, achievement.0, &reviewers).await.map_err(err)?;
    let scores = |v: [u32; 5]| -> Vec<(String, String)> {
        ["novelty", "patentability", "industrialisation", "maturity", "team"]
            .iter()
            .zip(v)
            .map(|(c, s)| (c.to_string(), s.to_string()))
            .collect()
    };
    app.score_evaluation(&staff, e.id, &scores([4, 4, 5, 3, 4]), "产业化前景好，契合高端装备产业链。")
        .await
        .map_err(err)?;
    app.score_evaluation(&manager, e.id, &scores([4, 3, 4, 3, 4]), "建议尽快提交发明专利申请。").await.map_err(err)?;
    let e = app.evaluation(&staff, e.id).await.map_err(err)?.evaluation;
    app.decide_evaluation(
        &admin,
        e.id,
        e.version,
        "file_patent",
        "新颖性与产业化前景评分较高，建议申请发明专利并同步开展企业对接。",
    )
    .await
    .map_err(err)?;
    app.create_ip_record(
        &staff,
        Some(achievement.0),
        &IpDraft {
            kind: "invention_patent".into(),
            title: "一种高熵合金涂层的激光熔覆方法".into(),
            application_number: cn_number(today.year(), 1, 1_234_567),
            filing_date: today.to_string(),
            ..Default::default()
        },
    )
    .await
    .map_err(err)?;

    // Granted patents of major and other achievements: annuities, one overdue, one due soon.
    let filter = AchievementFilter {
        institution: admin.institution_id(),
        status: Some(AchievementStatus::Promoting),
        ..Default::default()
    };
    let rows = app
        .list_achievements(&admin, &filter, Default::default(), AchievementPage::Offset { offset: 0, limit: 60 })
        .await
        .map_err(err)?
        .rows;
    let mut majors: Vec<_> = rows.iter().filter(|r| r.major).collect();
    majors.extend(rows.iter().filter(|r| !r.major).take(6));
    let years = [(2019, 3, 11), (2020, 7, 2), (2021, 1, 20), (2021, 11, 5), (2022, 4, 18), (2022, 9, 30)];
    for (k, (row, (year, month, day))) in majors.iter().zip(years).enumerate() {
        let filing =
            time::Date::from_calendar_date(year, time::Month::try_from(month).unwrap_or(time::Month::January), day)
                .map_err(err)?;
        // Due soon: the filing anniversary falls within the reminder days for one patent.
        let filing = if k == 1 { today - time::Duration::days(365 * 5 - 30) } else { filing };
        let grant = filing + time::Duration::days(700 + 30 * k as i64);
        let ip = app
            .create_ip_record(
                &staff,
                Some(row.id.0),
                &IpDraft {
                    kind: "invention_patent".into(),
                    title: row.title.clone(),
                    application_number: cn_number(filing.year(), 1, 100_000 + k as u32 * 17),
                    filing_date: filing.to_string(),
                    grant_number: format!("ZL{}", cn_number(filing.year(), 1, 100_000 + k as u32 * 17)),
                    grant_date: grant.to_string(),
                    ..Default::default()
                },
            )
            .await
            .map_err(err)?;
        // Pay the annuities already due, except the latest one of the first patent (overdue).
        let view = app.ip_record(&staff, ip.id).await.map_err(err)?;
        let due: Vec<_> = view.annuities.iter().filter(|a| a.annuity.due_on <= today).collect();
        for (i, a) in due.iter().enumerate() {
            if k == 0 && i + 1 == due.len() {
                continue;
            }
            app.pay_annuity(&staff, ip.id, &a.annuity.year.to_string(), &a.annuity.due_on.to_string(), "1200")
                .await
                .map_err(err)?;
        }
        if k < 4 {
            let status = ["listed", "promoting", "negotiating", "converted"][k];
            let ip = app.ip_record(&staff, ip.id).await.map_err(err)?.record;
            app.set_programme(&staff, ip.id, ip.version, Some(status)).await.map_err(err)?;
        }
    }

    // Screening rounds: a published one, and one the staff is still scoring.
    let criteria: Vec<(String, String)> = [("技术先进性", "30"), ("市场前景", "40"), ("团队能力", "30")]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    let due_on = (today + time::Duration::days(14)).to_string();
    let done = app
        .create_round(
            &staff,
            "2026 年度概念验证项目遴选（第一批）",
            "startup",
            "面向校内团队的概念验证项目遴选。",
            &criteria,
            &today.to_string(),
            "2",
        )
        .await
        .map_err(err)?;
    for (name, note) in
        [("智能巡检机器人", "变电站巡检"), ("可降解医用支架", "心血管介入"), ("农田土壤墒情传感网", "智慧农业")]
    {
        app.add_candidate(&staff, done.id, None, name, note).await.map_err(err)?;
    }
    let staff_id = staff.user().map(|u| u.user_id.0).unwrap_or_default();
    let admin_id = admin.user().map(|u| u.user_id.0).unwrap_or_default();
    app.assign_round_reviewers(&staff, done.id, &[staff_id, admin_id]).await.map_err(err)?;
    let r = app.round(&staff, done.id).await.map_err(err)?.round;
    let r = app.open_round(&staff, r.id, r.version).await.map_err(err)?;
    let sets = [[4, 5, 4], [5, 3, 4], [3, 4, 3]];
    for (c, s) in r.candidates.iter().zip(sets) {
        for reviewer in [&staff, &admin] {
            let scores: Vec<(String, String)> =
                criteria.iter().zip(s).map(|((n, _), v)| (n.clone(), v.to_string())).collect();
            app.score_candidate(reviewer, r.id, c.id, &scores, "").await.map_err(err)?;
        }
    }
    let r = app.close_round(&staff, r.id, r.version).await.map_err(err)?;
    app.publish_round(&staff, r.id, r.version).await.map_err(err)?;
    let open = app
        .create_round(
            &staff,
            "2026 年度重大成果遴选",
            "achievement",
            "遴选拟重点培育的重大科技成果。",
            &criteria,
            &due_on,
            "3",
        )
        .await
        .map_err(err)?;
    for row in rows.iter().take(4) {
        app.add_candidate(&staff, open.id, Some(row.id.0), "", "").await.map_err(err)?;
    }
    app.assign_round_reviewers(&staff, open.id, &[staff_id]).await.map_err(err)?;
    let r = app.round(&staff, open.id).await.map_err(err)?.round;
    app.open_round(&staff, r.id, r.version).await.map_err(err)?;
    Ok(())
}
