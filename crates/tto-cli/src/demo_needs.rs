//! Demo technology needs (企业技术需求): what Tianjin enterprises ask the universities for —
//! published needs across the key chains with each contact policy, one already matched, one
//! still a draft, and a batch the technology exchange collected for enterprises it names.

use anyhow::anyhow;
use tto_app::{Actor, App};
use tto_domain::tech_need::{NeedAction, NeedDraft};

use crate::demo::DEMO_PASSWORD;

fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("{e}")
}

async fn user(app: &App, username: &str) -> anyhow::Result<Actor> {
    let signed = app.sign_in(username, DEMO_PASSWORD, "demo").await.map_err(err)?;
    Ok(Actor::User(signed.user))
}

struct Demo {
    title: &'static str,
    description: &'static str,
    chains: &'static [&'static str],
    budget: (&'static str, &'static str),
    days: i64,
    policy: &'static str,
    keywords: &'static [&'static str],
    trl: (&'static str, &'static str),
}

const ENTERPRISE: &[Demo] = &[
    Demo {
        title: "动力电池高镍正极材料循环寿命提升",
        description: "我司生产三元高镍正极材料，现有产品 1C 循环 1000 次容量保持率约 80%，希望与高校合作开发表面包覆与掺杂工艺，将保持率提高到 90% 以上，并可在现有烧结产线上放大。",
        chains: &["new_energy", "new_materials"],
        budget: ("500000", "2000000"),
        days: 120,
        policy: "public",
        keywords: &["高镍正极", "表面包覆", "循环寿命"],
        trl: ("4", "7"),
    },
    Demo {
        title: "焊缝缺陷在线视觉检测",
        description: "汽车零部件焊装线需要在线检测气孔、咬边、未熔合等焊缝缺陷，节拍 30 秒/件，误检率低于 1%。寻求基于机器视觉或深度学习的检测方案及样机。",
        chains: &["high_end_equipment", "automotive"],
        budget: ("300000", "800000"),
        days: 90,
        policy: "via_platform",
        keywords: &["机器视觉", "焊缝检测", "深度学习"],
        trl: ("5", "8"),
    },
    Demo {
        title: "中药提取废渣的高值化利用",
        description: "公司每年产生中药提取废渣约 3000 吨，目前作为固废处置。希望开发膳食纤维、多糖等高值产品的提取工艺或生物转化路线，降低处置成本。",
        chains: &["tcm", "biomedicine"],
        budget: ("200000", "600000"),
        days: 150,
        policy: "public",
        keywords: &["中药渣", "多糖提取", "资源化利用"],
        trl: ("3", "6"),
    },
];

/// Needs the exchange collected: (enterprise, the first 17 characters of its credit code, need).
const COLLECTED: &[(&str, &str, Demo)] = &[
    (
        "天津滨海芯联微电子有限公司（示例）",
        "91120116MA05T4GN9",
        Demo {
            title: "车规级功率模块低温烧结银互连",
            description: "需要可在 250 ℃ 以下烧结、剪切强度不低于 30 MPa 的纳米银焊膏及工艺窗口，用于 SiC 功率模块封装，替代现有高温焊料。",
            chains: &["integrated_circuits", "automotive"],
            budget: ("800000", "3000000"),
            days: 180,
            policy: "via_platform",
            keywords: &["纳米银焊膏", "功率模块", "低温烧结"],
            trl: ("4", "7"),
        },
    ),
    (
        "天津港航智能装备有限公司（示例）",
        "91120118MA06XK2L3",
        Demo {
            title: "港口起重机关键结构健康监测",
            description: "岸桥与场桥关键焊接结构需要长期在线监测疲劳裂纹，寻求传感器布设、数据分析与寿命预测一体化方案。",
            chains: &["high_end_equipment"],
            budget: ("", ""),
            days: 100,
            policy: "hidden",
            keywords: &["结构健康监测", "疲劳裂纹", "寿命预测"],
            trl: ("5", "8"),
        },
    ),
];

fn draft(d: &Demo, today: time::Date, contact: (&str, &str), enterprise: Option<(&str, &str)>) -> NeedDraft {
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
    NeedDraft {
        title: d.title.into(),
        description: d.description.into(),
        chains: d.chains.iter().map(|c| c.to_string()).collect(),
        discipline: None,
        budget_min: opt(d.budget.0),
        budget_max: opt(d.budget.1),
        deadline: Some((today + time::Duration::days(d.days)).to_string()),
        contact_policy: d.policy.into(),
        contact_name: contact.0.into(),
        contact_phone: Some("022-58881234".into()),
        contact_email: Some(contact.1.into()),
        trl_min: opt(d.trl.0),
        trl_max: opt(d.trl.1),
        keywords: d.keywords.iter().map(|k| k.to_string()).collect(),
        enterprise_name: enterprise.map(|e| e.0.to_string()),
        // The demo's code bodies get their real check character.
        enterprise_credit_code: enterprise
            .and_then(|e| tto_domain::CreditCode::from_body(e.1).ok())
            .map(|c| c.to_string()),
    }
}

pub async fn seed(app: &App) -> anyhow::Result<()> {
    let enterprise = user(app, "enterprise").await?;
    let exchange = user(app, "exchange").await?;
    let today = app.today();
    for (i, d) in ENTERPRISE.iter().enumerate() {
        let need = app
            .create_need(&enterprise, None, &draft(d, today, ("王经理", "rd@jinmen-zhizao.example"), None))
            .await
            .map_err(err)?;
        let need = app.transition_need(&enterprise, need.id, need.version, NeedAction::Publish).await.map_err(err)?;
        if i == 0 {
            // Already matched with a university team.
            app.transition_need(&enterprise, need.id, need.version, NeedAction::Match).await.map_err(err)?;
        }
    }
    // A need still being written.
    let mut unfinished = draft(&ENTERPRISE[2], today, ("王经理", "rd@jinmen-zhizao.example"), None);
    unfinished.title = "食品级包装材料阻隔性能改进（草稿）".into();
    unfinished.description = "拟征集提高可降解包装膜阻氧、阻湿性能的技术方案，需求尚在内部论证。".into();
    unfinished.chains = vec!["light_industry".into()];
    app.create_need(&enterprise, None, &unfinished).await.map_err(err)?;
    for (name, code, d) in COLLECTED {
        let need = app
            .create_need(
                &exchange,
                None,
                &draft(d, today, ("交易所对接专员", "match@jinmen-exchange.example"), Some((name, code))),
            )
            .await
            .map_err(err)?;
        app.transition_need(&exchange, need.id, need.version, NeedAction::Publish).await.map_err(err)?;
    }
    seed_matches(app, &enterprise).await
}

/// The enterprise accepts the best achievement for each of its published needs; the
/// platform assigns the demo technology manager and moves two pairs along the pipeline.
async fn seed_matches(app: &App, enterprise: &Actor) -> anyhow::Result<()> {
    use tto_domain::matching::{FeedbackVerdict, MatchAction};
    let system = Actor::system("demo");
    let manager = app.users(&system).await.map_err(err)?.into_iter().find(|u| u.username == "manager").map(|u| u.id);
    let filter = tto_app::tech_needs::NeedFilter {
        status: Some(tto_domain::tech_need::NeedStatus::Published),
        ..Default::default()
    };
    let needs = app.list_needs(enterprise, &filter, 0, 100).await.map_err(err)?.rows;
    let own = enterprise.institution_id();
    for (i, row) in needs.iter().filter(|r| Some(r.institution_id) == own).enumerate() {
        let matches = app.need_matches(enterprise, row.id, 3).await.map_err(err)?;
        let Some(best) = matches.candidates.first() else { continue };
        let achievement = best.counterpart.id;
        let Some(m) = app
            .match_feedback(enterprise, row.id, achievement, FeedbackVerdict::Accept, Some("与我司需求高度相关"))
            .await
            .map_err(err)?
        else {
            continue;
        };
        let m = app.assign_match_manager(&system, m.id, m.version, manager).await.map_err(err)?;
        let steps: &[MatchAction] = match i {
            0 => &[MatchAction::Contact, MatchAction::Negotiate],
            1 => &[MatchAction::Contact],
            _ => &[],
        };
        let mut version = m.version;
        for step in steps {
            version = app.match_step(&system, m.id, version, *step, None).await.map_err(err)?.version;
        }
    }
    Ok(())
}
