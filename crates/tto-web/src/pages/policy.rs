//! The policy-profile page: every rule value in force, with its source and grade.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use tto_app::AppError;
use tto_domain::policy::ParamValue;

use super::{Layout, fail, render};
use crate::AppState;
use crate::context::Ctx;
use crate::format::date;
use crate::i18n::Lang;

pub struct ParamRow {
    pub key: String,
    pub label: String,
    pub value: Vec<String>,
    pub grade: String,
    pub grade_label: String,
    pub needs_confirmation: bool,
    pub document: String,
    pub article: String,
    pub url: String,
    pub note: String,
    pub from_profile: String,
    pub inherited: bool,
    pub dated: String,
}

pub struct ChainRow {
    pub code: String,
    pub name: String,
    pub keywords: String,
}

#[derive(Template)]
#[template(path = "policy.html")]
struct PolicyPage {
    layout: Layout,
    on: String,
    profile_id: String,
    profile_title: String,
    jurisdiction: String,
    effective: String,
    extends: String,
    rows: Vec<ParamRow>,
    unverified: usize,
    chains: Vec<ChainRow>,
    error: String,
}

/// A rule value in words, one line per element (weights, categories, brackets).
pub(crate) fn value_lines(t: crate::i18n::T, v: &ParamValue) -> Vec<String> {
    let n = |key: &str, n: u32| t.f(key, &[("n", n.to_string())]);
    match v {
        ParamValue::Percent(p) => vec![p.to_string()],
        ParamValue::PercentRange { min, max } => vec![format!("{min} – {max}")],
        ParamValue::Money(m) => vec![m.to_string()],
        ParamValue::Days(d) => vec![n("unit.days", *d)],
        ParamValue::WorkingDays(d) => vec![n("unit.working_days", *d)],
        ParamValue::Months(m) => vec![n("unit.months", *m)],
        ParamValue::Years(y) => vec![n("unit.years", *y)],
        ParamValue::Count(c) => vec![c.to_string()],
        ParamValue::YearsRange { min, max } => {
            vec![t.f("unit.years_range", &[("min", min.to_string()), ("max", max.to_string())])]
        }
        ParamValue::Flag(b) => vec![t.s(if *b { "common.yes" } else { "common.no" }).to_string()],
        ParamValue::Weights(ws) => {
            // Weights name the assessment's dimensions or the pre-filing evaluation's criteria.
            ws.iter()
                .map(|w| {
                    let label = match t.code("assessment.dimension", &w.code) {
                        same if same == w.code => t.code("evaluation.criterion", &w.code),
                        label => label,
                    };
                    format!("{label} {}", w.share)
                })
                .collect()
        }
        // Category lists name cost categories or pricing routes.
        ParamValue::Categories(cs) => cs
            .iter()
            .map(|c| match t.code("net_income.category", c) {
                same if same == *c => t.code("deal.route", c),
                label => label,
            })
            .collect(),
        ParamValue::Brackets(bs) => {
            let mut lower = tto_domain::Money::ZERO;
            bs.iter()
                .map(|b| {
                    let args = vec![
                        ("from", lower.to_grouped()),
                        ("to", b.up_to.map(|m| m.to_grouped()).unwrap_or_default()),
                        ("rate", b.rate.to_string()),
                        ("deduction", b.quick_deduction.to_grouped()),
                    ];
                    if let Some(up_to) = b.up_to {
                        lower = up_to;
                    }
                    t.f(if b.up_to.is_some() { "unit.bracket" } else { "unit.bracket_open" }, &args)
                })
                .collect()
        }
    }
}

pub async fn page(State(state): State<AppState>, ctx: Ctx, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    let t = ctx.t();
    let en = ctx.lang == Lang::En;
    let mut error = String::new();
    let day = match pairs.iter().find(|(k, _)| k == "on").map(|(_, v)| v.trim()).filter(|v| !v.is_empty()) {
        Some(d) => match tto_domain::period::parse_date(d) {
            Ok(d) => d,
            Err(v) => {
                error = format!("{}：{}", t.s("policy.on"), t.violation(&v));
                state.app.today()
            }
        },
        None => state.app.today(),
    };
    let Some(profile) = state.app.profile_on(day) else {
        return fail(&ctx, AppError::NotFound { entity: "policy profile" });
    };
    let entries = match state.app.policy().effective_parameters(&profile.id, day) {
        Ok(e) => e,
        Err(e) => return fail(&ctx, AppError::Internal(e.to_string())),
    };
    let rows: Vec<ParamRow> = entries
        .iter()
        .map(|r| {
            let p = r.parameter;
            ParamRow {
                key: p.key.code().to_string(),
                label: t.code("policy.key", p.key.code()),
                value: value_lines(t, &p.value),
                grade: p.grade.code().to_string(),
                grade_label: t.code("policy.grade", p.grade.code()),
                needs_confirmation: p.grade.needs_confirmation(),
                document: p.source.document.clone(),
                article: p.source.article.clone().unwrap_or_default(),
                url: p.source.url.clone().unwrap_or_default(),
                note: (if en { p.note_en.clone() } else { p.note_zh.clone() }).unwrap_or_default(),
                from_profile: r.profile.id.clone(),
                inherited: r.profile.id != profile.id,
                dated: p
                    .effective
                    .map(|e| format!("{} – {}", date(e.start()), e.end().map(date).unwrap_or_default()))
                    .unwrap_or_default(),
            }
        })
        .collect();
    let page = PolicyPage {
        layout: Layout::new(&ctx, t.s("policy.title")).crumb(t.s("policy.title"), "/policy"),
        on: date(day),
        profile_id: profile.id.clone(),
        profile_title: if en { profile.title_en.clone() } else { profile.title_zh.clone() },
        jurisdiction: profile.jurisdiction.clone(),
        effective: format!(
            "{} – {}",
            date(profile.effective.start()),
            profile.effective.end().map(date).unwrap_or_default()
        ),
        extends: profile.extends.clone().unwrap_or_default(),
        unverified: rows.iter().filter(|r| r.needs_confirmation).count(),
        rows,
        chains: state
            .app
            .chains()
            .all()
            .iter()
            .map(|c| ChainRow {
                code: c.code.as_str().to_string(),
                name: if en { c.name_en.clone() } else { c.name_zh.clone() },
                keywords: c.keywords.iter().take(12).cloned().collect::<Vec<_>>().join("、"),
            })
            .collect(),
        error,
    };
    render(&page)
}
