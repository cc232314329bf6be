//! `tto demo`: a ready-to-use platform with real data.
//!
//! Fictional Tianjin institutions (marked 示例 / demo), a user for every role, and the 2,089
//! real CSL records (`data/demo/records.jsonl`, Apache-2.0) as achievements of the demo
//! universities. Everything generated (types, TRLs, statuses, contributors, dates) is derived
//! from a record's position with a fixed-seed generator, so every demo database is the same.

use std::sync::Arc;

use serde::Deserialize;
use tto_app::accounts::UserDraft;
use tto_app::import::ImportRow;
use tto_app::{Actor, App};
use tto_domain::achievement::{AchievementDraft, ContributorDraft};
use tto_domain::institution::InstitutionDraft;
use tto_domain::{ChainTaxonomy, CreditCode, InstitutionKind};

pub const RECORDS: &str = include_str!("../../../data/demo/records.jsonl");

/// The password of every demo user (printed by `tto demo`, listed in the README).
pub const DEMO_PASSWORD: &str = "tto-demo-2026";

pub struct DemoInstitution {
    pub short_code: &'static str,
    pub name: &'static str,
    pub name_en: &'static str,
    pub kind: InstitutionKind,
    pub region: &'static str,
    pub state_run: bool,
    /// First 17 characters of the credit code; the check character is computed.
    pub code_body: &'static str,
}

pub const INSTITUTIONS: &[DemoInstitution] = &[
    DemoInstitution {
        short_code: "JMU",
        name: "津门大学（示例）",
        name_en: "Jinmen University (demo)",
        kind: InstitutionKind::University,
        region: "天津市南开区",
        state_run: true,
        code_body: "12120104MB0000101",
    },
    DemoInstitution {
        short_code: "HHU",
        name: "海河科技大学（示例）",
        name_en: "Haihe University of Science and Technology (demo)",
        kind: InstitutionKind::University,
        region: "天津市西青区",
        state_run: true,
        code_body: "12120111MB0000102",
    },
    DemoInstitution {
        short_code: "BHT",
        name: "渤海湾理工学院（示例）",
        name_en: "Bohai Bay Institute of Technology (demo)",
        kind: InstitutionKind::University,
        region: "天津市滨海新区",
        state_run: true,
        code_body: "12120116MB0000103",
    },
    DemoInstitution {
        short_code: "JGM",
        name: "津沽医药大学（示例）",
        name_en: "Jingu University of Medicine (demo)",
        kind: InstitutionKind::University,
        region: "天津市河西区",
        state_run: true,
        code_body: "12120103MB0000104",
    },
    DemoInstitution {
        short_code: "JZZ",
        name: "津门智造科技有限公司（示例）",
        name_en: "Jinmen Smart Manufacturing Co., Ltd. (demo)",
        kind: InstitutionKind::Enterprise,
        region: "天津市滨海新区",
        state_run: false,
        code_body: "91120116MA0000201",
    },
    DemoInstitution {
        short_code: "BHM",
        name: "滨海新材料股份有限公司（示例）",
        name_en: "Binhai New Materials Co., Ltd. (demo)",
        kind: InstitutionKind::Enterprise,
        region: "天津市东丽区",
        state_run: false,
        code_body: "91120110MA0000202",
    },
    DemoInstitution {
        short_code: "JTE",
        name: "津门技术交易所（示例）",
        name_en: "Jinmen Technology Exchange (demo)",
        kind: InstitutionKind::Exchange,
        region: "天津市和平区",
        state_run: false,
        code_body: "91120101MA0000301",
    },
    DemoInstitution {
        short_code: "REG",
        name: "市科技成果转化主管部门（示例）",
        name_en: "Municipal technology-transfer authority (demo)",
        kind: InstitutionKind::Regulator,
        region: "天津市",
        state_run: true,
        code_body: "11120000MB0000401",
    },
    DemoInstitution {
        short_code: "HHA",
        name: "海河天使投资基金（示例）",
        name_en: "Haihe Angel Fund (demo)",
        kind: InstitutionKind::Investor,
        region: "天津市河北区",
        state_run: false,
        code_body: "91120105MA0000501",
    },
    DemoInstitution {
        short_code: "JTM",
        name: "津门技术经理人事务所（示例）",
        name_en: "Jinmen Technology Managers LLP (demo)",
        kind: InstitutionKind::ServiceOrganisation,
        region: "天津市河东区",
        state_run: false,
        code_body: "91120102MA0000601",
    },
];

/// (user name, display name, institution, roles): one login per role, plus a second
/// university's administrator for trying tenant isolation.
pub const USERS: &[(&str, &str, &str, &[&str])] = &[
    ("admin", "平台管理员", "REG", &["platform_admin"]),
    ("regulator", "王监管", "REG", &["regulator"]),
    ("tto.admin", "刘主任", "JMU", &["tto_admin"]),
    ("tto.staff", "陈老师", "JMU", &["tto_staff"]),
    ("inventor", "张教授", "JMU", &["inventor"]),
    ("hhu.admin", "赵主任", "HHU", &["tto_admin"]),
    ("manager", "孙经理", "JTM", &["tech_manager"]),
    ("enterprise", "周总", "JZZ", &["enterprise"]),
    ("investor", "吴投资", "HHA", &["investor"]),
    ("poc", "郑委员", "HHA", &["poc_member"]),
    ("exchange", "钱专员", "JTE", &["exchange_operator"]),
];

#[derive(Deserialize)]
struct CslRecord {
    id: String,
    title: String,
    #[serde(rename = "abstract")]
    abstract_text: String,
    keywords: Vec<String>,
    discipline: String,
    category: String,
}

/// A small fixed-seed generator (SplitMix64): deterministic demo data without a dependency.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// 0 ≤ n < bound.
    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }

    /// Picks by weights.
    fn weighted<T: Copy>(&mut self, choices: &[(T, u64)]) -> T {
        let total: u64 = choices.iter().map(|(_, w)| w).sum();
        let mut roll = self.below(total);
        for (value, weight) in choices {
            if roll < *weight {
                return *value;
            }
            roll -= weight;
        }
        choices[choices.len() - 1].0
    }
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马",
    "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "于", "董", "萧", "程", "曹", "袁", "邓", "许", "傅", "沈", "曾",
    "彭", "吕",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞",
    "平", "刚", "桂英", "建华", "志强", "海燕", "晓东", "文博", "雪梅", "振宇", "思远", "佳怡", "子涵", "浩然", "欣怡",
    "宇航", "婷婷",
];

fn person(rng: &mut Rng) -> String {
    format!("{}{}", SURNAMES[rng.below(SURNAMES.len() as u64) as usize], GIVEN[rng.below(GIVEN.len() as u64) as usize])
}

/// Integer percentages summing to exactly 100, the first (main) contributor largest.
fn shares(rng: &mut Rng, n: usize) -> Vec<u64> {
    let weights: Vec<u64> = (0..n).map(|i| if i == 0 { 40 + rng.below(30) } else { 10 + rng.below(20) }).collect();
    let total: u64 = weights.iter().sum();
    let mut out: Vec<u64> = weights.iter().map(|w| w * 100 / total).collect();
    let mut rest = 100 - out.iter().sum::<u64>();
    let mut i = 0;
    while rest > 0 {
        out[i % n] += 1;
        rest -= 1;
        i += 1;
    }
    out
}

fn university_for(r: &CslRecord, i: usize) -> &'static str {
    if r.category == "医学" || r.discipline.contains("药") { "JGM" } else { ["JMU", "HHU", "BHT"][i % 3] }
}

fn kind_for(rng: &mut Rng, discipline: &str) -> &'static str {
    let d = discipline;
    if d.contains("计算机") || d.contains("信息与通信") || d.contains("控制科学") {
        rng.weighted(&[("software_copyright", 45), ("invention_patent", 45), ("know_how", 10)])
    } else if d.contains("园艺") || d.contains("作物") || d.contains("林学") {
        rng.weighted(&[("plant_variety", 35), ("invention_patent", 50), ("know_how", 15)])
    } else if d.contains("药") || d.contains("医学") {
        rng.weighted(&[("biomedicine", 30), ("invention_patent", 60), ("know_how", 10)])
    } else if d.contains("电子科学") {
        rng.weighted(&[("ic_layout", 20), ("invention_patent", 65), ("utility_model", 15)])
    } else {
        rng.weighted(&[("invention_patent", 68), ("utility_model", 20), ("design", 3), ("know_how", 9)])
    }
}

/// The import row of CSL record `i` (0-based), copy `batch` (0 for the real record; larger
/// numbers generate further distinct achievements from the same text for load tests).
fn row(r: &CslRecord, i: usize, batch: usize, chains: &ChainTaxonomy) -> ImportRow {
    let mut rng = Rng::new((i as u64) << 20 | batch as u64);
    let text = format!("{} {} {}", r.title, r.keywords.join(" "), r.abstract_text);
    let n = 1 + rng.weighted(&[(0usize, 15), (1, 25), (2, 30), (3, 20), (4, 10)]);
    let mut names: Vec<String> = Vec::new();
    while names.len() < n {
        let name = person(&mut rng);
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let shares = shares(&mut rng, n);
    let contributors = names
        .into_iter()
        .zip(shares)
        .enumerate()
        .map(|(k, (name, share))| ContributorDraft {
            person_id: None,
            name,
            share: share.to_string(),
            main: k == 0 || (k == 1 && share >= 25),
        })
        .collect();
    let funding = rng.weighted(&[("fiscal", 70), ("non_fiscal", 30)]);
    let funding_refs =
        if funding == "fiscal" { vec![format!("NSFC-{}", 51_000_000 + rng.below(9_000_000))] } else { Vec::new() };
    let day = time::Date::from_calendar_date(2018, time::Month::January, 1).unwrap_or(time::Date::MIN)
        + time::Duration::days(rng.below(2900) as i64);
    let title = if batch == 0 { r.title.clone() } else { format!("{}（第{}批）", r.title, batch + 1) };
    ImportRow {
        line: i + 1,
        institution: Some(university_for(r, i).to_string()),
        draft: AchievementDraft {
            title,
            summary: r.abstract_text.clone(),
            detail: None,
            keywords: r
                .keywords
                .iter()
                .filter(|k| k.chars().count() <= tto_domain::achievement::KEYWORD_MAX)
                .take(20)
                .cloned()
                .collect(),
            discipline: r.discipline.clone(),
            chains: chains.suggest(&text).into_iter().take(2).map(|c| c.as_str().to_string()).collect(),
            kind: kind_for(&mut rng, &r.discipline).to_string(),
            trl: rng.weighted(&[(2u8, 8), (3, 18), (4, 26), (5, 22), (6, 15), (7, 8), (8, 3)]).to_string(),
            funding_source: funding.to_string(),
            funding_refs,
            completion_date: Some(tto_store::format_date(day)),
            confidentiality: rng.weighted(&[("public", 35), ("summary_only", 58), ("confidential", 7)]).to_string(),
            contributors,
            job_related: rng.below(100) < 95,
            major: rng.below(100) < 3,
        },
        status: Some(
            rng.weighted(&[
                ("draft", 8),
                ("registered", 17),
                ("promoting", 45),
                ("negotiating", 12),
                ("converted", 13),
                ("withdrawn", 5),
            ])
            .to_string(),
        ),
        external_ref: Some(if batch == 0 { r.id.clone() } else { format!("{}-b{}", r.id, batch + 1) }),
        code: None,
        ownership: None,
    }
}

/// The demo achievements: the real records first, then generated copies up to `count`.
pub fn rows(count: usize, chains: &ChainTaxonomy) -> anyhow::Result<Vec<ImportRow>> {
    let records: Vec<CslRecord> = RECORDS
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()
        .map_err(|e| anyhow::anyhow!("data/demo/records.jsonl: {e}"))?;
    Ok((0..count).map(|k| row(&records[k % records.len()], k % records.len(), k / records.len(), chains)).collect())
}

pub fn record_count() -> usize {
    RECORDS.lines().filter(|l| !l.trim().is_empty()).count()
}

/// Creates the demo institutions and users. Returns nothing if institutions exist already.
pub async fn seed_accounts(app: &App) -> anyhow::Result<()> {
    let system = Actor::system("demo");
    for d in INSTITUTIONS {
        let code =
            CreditCode::from_body(d.code_body).map_err(|v| anyhow::anyhow!("demo credit code {}: {v}", d.code_body))?;
        app.create_institution(
            &system,
            &InstitutionDraft {
                short_code: d.short_code.to_string(),
                name: d.name.to_string(),
                name_en: Some(d.name_en.to_string()),
                kind: d.kind.code().to_string(),
                credit_code: code.to_string(),
                region: d.region.to_string(),
                state_run: d.state_run,
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("demo institution {}: {e}", d.short_code))?;
    }
    let institutions = app.institutions().await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let app = Arc::new(app.clone());
    let mut tasks = Vec::new();
    for (username, display, short, roles) in USERS {
        let institution = institutions
            .iter()
            .find(|i| i.fields.short_code == *short)
            .ok_or_else(|| anyhow::anyhow!("demo institution {short} missing"))?;
        let draft = UserDraft {
            institution_id: Some(institution.id.0),
            username: username.to_string(),
            display_name: display.to_string(),
            email: Some(format!("{}@demo.invalid", username.replace('.', "-"))),
            roles: roles.iter().map(|r| r.to_string()).collect(),
        };
        let app = app.clone();
        let system = system.clone();
        tasks.push(tokio::spawn(async move { app.create_user_with_password(&system, &draft, DEMO_PASSWORD).await }));
    }
    for task in tasks {
        task.await?.map_err(|e| anyhow::anyhow!("demo user: {e}"))?;
    }
    Ok(())
}
