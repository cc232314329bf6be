//! Demo deals: each pricing route at a telling stage, so every role finds real work.
//!
//! History is made on a clock set in the past (the whole demo is seeded on it, so the audit
//! trail stays in time order): an agreement-priced transfer that ran its notice and was
//! completed, with its technical contract registered and partly paid; an auction that
//! closed with a winner. Then, on today's clock: a licence under public notice with an open
//! objection, a listing with an expression of interest, an auction taking bids with one
//! bidder awaiting approval, and a published central-release campaign.

use std::sync::Arc;

use anyhow::{Context, anyhow};
use time::{Duration, OffsetDateTime};
use tto_app::achievements::{AchievementFilter, AchievementPage};
use tto_app::market::MarketSettingsInput;
use tto_app::{Actor, App, Clock, FixedClock};
use tto_domain::contract::ContractDraft;
use tto_domain::deal::DealDraft;
use tto_domain::distribution::UnitRuleDraft;
use tto_domain::{AchievementStatus, Confidentiality, InstitutionId};

use crate::demo::DEMO_PASSWORD;

fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("{e}")
}

async fn user(app: &App, username: &str) -> anyhow::Result<Actor> {
    let signed = app.sign_in(username, DEMO_PASSWORD, "demo").await.map_err(err)?;
    Ok(Actor::User(signed.user))
}

async fn institution(app: &App, short: &str) -> anyhow::Result<InstitutionId> {
    let all = app.institutions().await.map_err(err)?;
    all.iter().find(|i| i.fields.short_code == short).map(|i| i.id).ok_or_else(|| anyhow!("demo institution {short}"))
}

/// Promoting, public achievements of the TTO admin's university, for deals; `None` when
/// there are fewer than `n` (a small demo).
async fn available(app: &App, admin: &Actor, n: usize) -> anyhow::Result<Option<Vec<i64>>> {
    let filter = AchievementFilter {
        institution: admin.institution_id(),
        status: Some(AchievementStatus::Promoting),
        ..Default::default()
    };
    let rows = app
        .list_achievements(admin, &filter, Default::default(), AchievementPage::Offset { offset: 0, limit: 200 })
        .await
        .map_err(err)?
        .rows;
    let picked: Vec<i64> =
        rows.iter().filter(|r| r.confidentiality == Confidentiality::Public).take(n).map(|r| r.id.0).collect();
    Ok((picked.len() >= n).then_some(picked))
}

fn draft(
    title: &str,
    mode: &str,
    route: &str,
    price: &str,
    counterparty: Option<InstitutionId>,
    achievements: Vec<i64>,
) -> DealDraft {
    DealDraft {
        title: title.into(),
        mode: mode.into(),
        route: route.into(),
        price: price.into(),
        counterparty: counterparty.map(|c| c.0),
        achievements,
        ..Default::default()
    }
}

/// Seeds the demo deals; `false` when the demo is too small for them. `app` runs on
/// `clock`, which stands at the start of the demo's history and is moved forward to `now`.
pub async fn seed(app: &App, clock: &Arc<FixedClock>, now: OffsetDateTime) -> anyhow::Result<bool> {
    let admin = user(app, "tto.admin").await?;
    let staff = user(app, "tto.staff").await?;
    let enterprise = user(app, "enterprise").await?;
    let investor = user(app, "investor").await?;
    let regulator = user(app, "regulator").await?;
    let jzz = institution(app, "JZZ").await?;
    let bhm = institution(app, "BHM").await?;
    let Some(picks) = available(app, &admin, 6).await? else { return Ok(false) };
    // Dates as the platform sees them: the civil day in Beijing.
    let day = |t: OffsetDateTime| tto_store::format_date(t.to_offset(time::macros::offset!(+8)).date());
    let complete = |d: &tto_store::deals::Deal| (d.id, d.version);

    // 1. Agreement pricing with a completed notice, completed, with its contract.
    let start = clock.now();
    let a = app
        .create_deal(
            &staff,
            &draft("专利权转让（协议定价）", "transfer", "agreement", "1200000", Some(jzz), vec![picks[0]]),
        )
        .await
        .map_err(err)
        .context("demo deal 1")?;
    app.start_deal_notice(&staff, a.id, a.version, &day(start), &day(start + Duration::days(14))).await.map_err(err)?;

    // The university's distribution rule, and last year's licence income distributed: its
    // rewards are noticed beside the deal's notice and paid once the notice has run.
    app.publish_unit_rule(
        &admin,
        &UnitRuleDraft {
            document: "津门大学科技成果转化收益分配办法（示例）".into(),
            tto_rate: "10".into(),
            tto_position: "from_university_share".into(),
            years: "3".into(),
            ..Default::default()
        },
        ["70", "70", "10"],
        &day(start),
    )
    .await
    .map_err(err)?;
    let mut old = app.distribution_template(&staff, None, Some(picks[5])).await.map_err(err)?;
    old.title = "2025 年度专利许可使用费收益分配".into();
    old.income_received_on = day(start - Duration::days(30));
    old.case.gross = "300000".into();
    old.case.contract_amount = "300000".into();
    old.case.deductions = vec![("maintenance_fees".into(), "12000".into())];
    let old = app.create_distribution(&staff, &old).await.map_err(err).context("demo distribution 1")?;
    let old = app.approve_distribution(&admin, old.id, old.version).await.map_err(err)?;
    app.start_distribution_notice(&staff, old.id, old.version, &day(start), &day(start + Duration::days(14)))
        .await
        .map_err(err)?;
    clock.advance(Duration::days(16));
    app.run_due_tasks().await.map_err(err)?;
    let old = app.distribution(&staff, old.id).await.map_err(err)?.record;
    app.pay_distribution(&staff, old.id, old.version, &day(clock.now())).await.map_err(err)?;
    let a = app.deal(&staff, a.id).await.map_err(err)?.deal;
    let (id, version) = complete(&a);
    app.complete_deal(&admin, id, version).await.map_err(err)?;
    let signed = clock.now();
    let contract = app
        .create_contract(
            &staff,
            Some(a.id),
            &ContractDraft {
                category: "transfer".into(),
                title: "专利权转让合同".into(),
                buyer: Some(jzz.0),
                amount: "1200000".into(),
                signed_on: day(signed),
                schedule: vec![
                    (day(signed + Duration::days(10)), "600000".into()),
                    (day(signed + Duration::days(180)), "600000".into()),
                ],
            },
        )
        .await
        .map_err(err)?;
    clock.advance(Duration::days(3));
    let contract = app
        .register_contract(
            &staff,
            contract.id,
            contract.version,
            "2026120100123",
            &day(clock.now()),
            "1200000",
            "天津市技术市场管理办公室（示例）",
        )
        .await
        .map_err(err)?;
    clock.advance(Duration::days(7));
    app.record_payment(&staff, contract.id, contract.version, "600000", &day(clock.now()), "银行回单 0001")
        .await
        .map_err(err)?;
    app.record_finance_entry(
        &staff,
        "cost",
        "transaction_taxes",
        "3600",
        &day(clock.now()),
        (Some(a.id), Some(contract.id), None),
        "印花税及附加（示例）",
    )
    .await
    .map_err(err)?;
    // The first instalment is distributed; its rewards are under notice today.
    let mut first = app.distribution_template(&staff, Some(contract.id), None).await.map_err(err)?;
    first.title = "专利权转让首期款收益分配".into();
    let first = app.create_distribution(&staff, &first).await.map_err(err).context("demo distribution 2")?;
    let first = app.approve_distribution(&admin, first.id, first.version).await.map_err(err)?;
    let notice_end = now.to_offset(time::macros::offset!(+8)).date() + Duration::days(5);
    app.start_distribution_notice(&staff, first.id, first.version, &day(clock.now()), &notice_end.to_string())
        .await
        .map_err(err)?;

    // 2. An auction that closed with a winner, completed.
    clock.advance(Duration::days(1));
    let b = app
        .create_deal(
            &staff,
            &draft("专有技术许可（拍卖）", "licence_exclusive", "auction", "500000", None, vec![picks[1]]),
        )
        .await
        .map_err(err)?;
    let t = clock.now();
    let settings = MarketSettingsInput {
        starts_at: Some(t),
        ends_at: t + Duration::days(2),
        increment: "20000".into(),
        auction_minutes: None,
    };
    app.start_auction(&staff, b.id, b.version, &settings).await.map_err(err)?;
    let auction = app.deal(&staff, b.id).await.map_err(err)?.auctions[0].auction.id;
    app.register_bidder(&enterprise, auction, "拟用于智能产线").await.map_err(err)?;
    app.register_bidder(&investor, auction, "").await.map_err(err)?;
    app.decide_bidder(&admin, auction, jzz.0, true).await.map_err(err)?;
    let hha = investor.institution_id().ok_or_else(|| anyhow!("investor institution"))?;
    app.decide_bidder(&admin, auction, hha.0, true).await.map_err(err)?;
    clock.advance(Duration::hours(2));
    app.place_bid(&enterprise, auction, "500000").await.map_err(err)?;
    clock.advance(Duration::hours(3));
    app.place_bid(&investor, auction, "520000").await.map_err(err)?;
    clock.advance(Duration::hours(20));
    app.place_bid(&enterprise, auction, "560000").await.map_err(err)?;
    clock.advance(Duration::days(2));
    app.run_due_tasks().await.map_err(err)?;
    let b = app.deal(&staff, b.id).await.map_err(err)?.deal;
    let (id, version) = complete(&b);
    app.complete_deal(&admin, id, version).await.map_err(err)?;

    // Today.
    let elapsed = now - clock.now();
    if elapsed.is_positive() {
        clock.advance(elapsed);
    }
    let today = clock.now();

    // 3. A licence under public notice, with an open objection.
    let c = app
        .create_deal(
            &staff,
            &draft(
                "独占许可（协议定价，公示中）",
                "licence_exclusive",
                "agreement",
                "800000",
                Some(bhm),
                vec![picks[2]],
            ),
        )
        .await
        .map_err(err)?;
    let notice = app
        .start_deal_notice(&staff, c.id, c.version, &day(today), &day(today + Duration::days(14)))
        .await
        .map_err(err)?;
    app.submit_objection(
        &Actor::Anonymous,
        notice.id,
        "李某（示例）",
        "138-0000-0000",
        "该成果的部分实验数据由本人完成，完成人名单遗漏，请核实。",
    )
    .await
    .map_err(err)?;

    // 4. A listing with one expression of interest.
    let d = app
        .create_deal(&staff, &draft("实用新型专利转让（挂牌）", "transfer", "listing", "300000", None, vec![picks[3]]))
        .await
        .map_err(err)?;
    let settings = MarketSettingsInput {
        starts_at: Some(today),
        ends_at: today + Duration::days(10) + Duration::hours(1),
        increment: "10000".into(),
        auction_minutes: Some(120),
    };
    let listing = app.open_listing(&staff, d.id, d.version, &settings).await.map_err(err)?;
    app.express_interest(&enterprise, listing.id, "有意受让，可议付款方式").await.map_err(err)?;

    // 5. An auction taking bids; the investor awaits approval.
    let e = app
        .create_deal(
            &staff,
            &draft("发明专利转让（拍卖进行中）", "transfer", "auction", "450000", None, vec![picks[4], picks[5]]),
        )
        .await
        .map_err(err)?;
    let settings = MarketSettingsInput {
        starts_at: Some(today),
        ends_at: today + Duration::days(3),
        increment: "10000".into(),
        auction_minutes: None,
    };
    app.start_auction(&staff, e.id, e.version, &settings).await.map_err(err)?;
    let auction = app.deal(&staff, e.id).await.map_err(err)?.auctions[0].auction.id;
    app.register_bidder(&enterprise, auction, "").await.map_err(err)?;
    app.decide_bidder(&admin, auction, jzz.0, true).await.map_err(err)?;
    app.place_bid(&enterprise, auction, "450000").await.map_err(err)?;
    app.register_bidder(&investor, auction, "天使基金拟投后转化").await.map_err(err)?;

    // 6. A published central-release campaign of unconverted fiscally funded achievements.
    let candidates = app.release_candidates(&regulator).await.map_err(err)?;
    let ids: Vec<i64> = candidates.items.iter().take(12).map(|i| i.achievement_id.0).collect();
    if !ids.is_empty() {
        let campaign = app
            .create_release_campaign(
                &regulator,
                "2026 年第四季度财政资金科技成果集中发布（示例）",
                "完成三年以上仍未转化的财政资金形成的高校科技成果，集中进场发布。",
                &ids,
            )
            .await
            .map_err(err)?;
        app.publish_release_campaign(&regulator, campaign.id, campaign.version).await.map_err(err)?;
    }
    Ok(true)
}
