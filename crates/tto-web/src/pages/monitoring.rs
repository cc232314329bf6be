//! The monitoring dashboard of major achievements (重大科技成果动态监测, measure 六):
//! indicators per achievement and the alerts they raise.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use tto_domain::monitoring::{Alert, AlertKind};
use tto_domain::policy::ParamKey;

use super::{Layout, fail, render};
use crate::AppState;
use crate::context::Ctx;
use crate::format::{date, opt_date};
use crate::i18n::T;
use crate::xlsx::{Cell, download, workbook};

pub struct AlertView {
    pub text: String,
    pub badge: &'static str,
}

pub struct Row {
    pub achievement_id: i64,
    pub code: String,
    pub title: String,
    pub institution: String,
    pub status: String,
    pub status_since: String,
    pub deals: usize,
    pub completed_deals: usize,
    pub income: String,
    pub evaluation_score: String,
    pub next_annuity: String,
    pub overdue_annuities: usize,
    pub alerts: Vec<AlertView>,
}

#[derive(Template)]
#[template(path = "monitoring/dashboard.html")]
struct DashboardPage {
    layout: Layout,
    rows: Vec<Row>,
    with_alerts: usize,
    stalled: usize,
    overdue: usize,
    due: usize,
    not_evaluated: usize,
    stall_help: String,
}

fn badge(k: AlertKind) -> &'static str {
    match k {
        AlertKind::Stalled => "amber",
        AlertKind::AnnuityOverdue => "red",
        AlertKind::AnnuityDue => "amber",
        AlertKind::NotEvaluated => "grey",
    }
}

/// An alert in words, its arguments filled in.
pub fn alert_text(t: T, a: &Alert) -> String {
    let args: Vec<(&str, String)> = a.args.iter().map(|(k, v)| (*k, v.clone())).collect();
    t.f(&format!("monitoring.alert.{}", a.kind.code()), &args)
}

fn count(rows: &[tto_app::ip::Watched], kind: AlertKind) -> usize {
    rows.iter().filter(|w| w.alerts.iter().any(|a| a.kind == kind)).count()
}

fn rule(state: &AppState, key: ParamKey, fallback: u32) -> (u32, String) {
    let day = state.app.today();
    state
        .app
        .profile_on(day)
        .and_then(|p| state.app.policy().count(&p.id, key, day).ok())
        .map(|(n, r)| (n, tto_app::empowerment::citation_of(r.parameter)))
        .unwrap_or((fallback, String::new()))
}

pub async fn dashboard(State(state): State<AppState>, ctx: Ctx) -> Response {
    let t = ctx.t();
    let rows = match state.app.monitoring(&ctx.actor).await {
        Ok(r) => r,
        Err(e) => return fail(&ctx, e),
    };
    let (months, source) = rule(&state, ParamKey::MonitoringStallMonths, 6);
    let (days, days_source) = super::ip::reminder_rule(&state);
    render(&DashboardPage {
        layout: Layout::new(&ctx, t.s("monitoring.title")).crumb(t.s("monitoring.title"), "/monitoring"),
        with_alerts: rows.iter().filter(|w| !w.alerts.is_empty()).count(),
        stalled: count(&rows, AlertKind::Stalled),
        overdue: count(&rows, AlertKind::AnnuityOverdue),
        due: count(&rows, AlertKind::AnnuityDue),
        not_evaluated: count(&rows, AlertKind::NotEvaluated),
        stall_help: t.f(
            "monitoring.rules_help",
            &[
                ("months", months.to_string()),
                ("source", source),
                ("days", days.to_string()),
                ("days_source", days_source),
            ],
        ),
        rows: rows
            .iter()
            .map(|w| {
                let i = &w.indicators;
                Row {
                    achievement_id: w.achievement.id.0,
                    code: w.achievement.code.clone(),
                    title: w.achievement.title.clone(),
                    institution: w.achievement.institution_name.clone(),
                    status: t.code("achievement.status", i.status.code()),
                    status_since: date(i.status_since),
                    deals: i.deals,
                    completed_deals: i.completed_deals,
                    income: i.income.to_string(),
                    evaluation_score: i.evaluation_score.map(|s| s.to_string()).unwrap_or_else(|| "—".into()),
                    next_annuity: i.next_annuity.map(date).unwrap_or_else(|| "—".into()),
                    overdue_annuities: i.overdue_annuities,
                    alerts: w
                        .alerts
                        .iter()
                        .map(|a| AlertView { text: alert_text(t, a), badge: badge(a.kind) })
                        .collect(),
                }
            })
            .collect(),
    })
}

pub async fn export(State(state): State<AppState>, ctx: Ctx) -> Response {
    let t = ctx.t();
    let rows = match state.app.monitoring(&ctx.actor).await {
        Ok(r) => r,
        Err(e) => return fail(&ctx, e),
    };
    let cells: Vec<Vec<Cell>> = rows
        .iter()
        .map(|w| {
            let i = &w.indicators;
            vec![
                Cell::Text(w.achievement.code.clone()),
                Cell::Text(w.achievement.title.clone()),
                Cell::Text(w.achievement.institution_name.clone()),
                Cell::Text(t.code("achievement.status", i.status.code())),
                Cell::Text(date(i.status_since)),
                Cell::Int(i.deals as i64),
                Cell::Int(i.completed_deals as i64),
                Cell::Text(i.income.to_plain()),
                Cell::Text(i.evaluation_score.map(|s| s.to_string()).unwrap_or_default()),
                Cell::Text(opt_date(i.next_annuity)),
                Cell::Int(i.overdue_annuities as i64),
                Cell::Text(w.alerts.iter().map(|a| alert_text(t, a)).collect::<Vec<_>>().join("；")),
            ]
        })
        .collect();
    let headers: Vec<String> = [
        "field.code",
        "field.title",
        "ip.institution",
        "field.status",
        "monitoring.status_since",
        "monitoring.deals",
        "monitoring.completed_deals",
        "monitoring.income",
        "monitoring.evaluation_score",
        "monitoring.next_annuity",
        "monitoring.overdue_annuities",
        "monitoring.alerts",
    ]
    .iter()
    .map(|k| t.s(k).to_string())
    .collect();
    download("major-achievements.xlsx", workbook(t.s("monitoring.title"), &headers, &cells))
}
