//! The home page: figures and a way in, for signed-in users and the public alike.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use tto_app::Permission;
use tto_app::achievements::{AchievementFilter, AchievementPage, AchievementSort};

use super::{Layout, fail, render};
use crate::AppState;
use crate::context::Ctx;
use crate::format::date;

pub struct StatusCard {
    pub label: String,
    pub count: i64,
    pub href: String,
    pub code: &'static str,
}

pub struct RecentRow {
    pub id: i64,
    pub title: String,
    pub institution: String,
    pub status: String,
    pub status_code: &'static str,
    pub updated: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    total: i64,
    institutions: i64,
    cards: Vec<StatusCard>,
    recent: Vec<RecentRow>,
    signed_in: bool,
    can_create: bool,
    profile_title: String,
}

pub async fn home(State(state): State<AppState>, ctx: Ctx) -> Response {
    let t = ctx.t();
    let overview = match state.app.overview(&ctx.actor).await {
        Ok(o) => o,
        Err(e) => return fail(&ctx, e),
    };
    let recent = match state
        .app
        .list_achievements(
            &ctx.actor,
            &AchievementFilter::default(),
            AchievementSort::UpdatedDesc,
            AchievementPage::Offset { offset: 0, limit: 8 },
        )
        .await
    {
        Ok(l) => l.rows,
        Err(e) => return fail(&ctx, e),
    };
    let profile_title = state
        .app
        .profile_on(state.app.today())
        .map(|p| if ctx.lang == crate::i18n::Lang::En { p.title_en.clone() } else { p.title_zh.clone() })
        .unwrap_or_default();
    let page = HomePage {
        layout: Layout::new(&ctx, t.s("home.title")),
        total: overview.total,
        institutions: overview.institutions,
        cards: overview
            .by_status
            .iter()
            .map(|(s, n)| StatusCard {
                label: t.code("achievement.status", s.code()),
                count: *n,
                href: format!("/achievements?status={}", s.code()),
                code: s.code(),
            })
            .collect(),
        recent: recent
            .iter()
            .map(|r| RecentRow {
                id: r.id.0,
                title: r.title.clone(),
                institution: r.institution_name.clone(),
                status: t.code("achievement.status", r.status.code()),
                status_code: super::achievements::status_badge(r.status),
                updated: date(r.updated_at.date()),
            })
            .collect(),
        signed_in: ctx.actor.user().is_some(),
        can_create: ctx.actor.user().is_some() && ctx.actor.can(Permission::AchievementCreate),
        profile_title,
    };
    render(&page)
}
