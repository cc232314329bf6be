//! Pages of deals (转化交易): list, draft form, the deal page with its route's workflow,
//! objections, bidders, the exemption verdict and the evidence pack; and the evidence pack's
//! summary.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use tto_app::deals::{DealListFilter, DealView};
use tto_app::market::MarketSettingsInput;
use tto_app::{AppError, Permission};
use tto_domain::deal::{DealAction, DealDraft, DealMode, DealStatus, PricingRoute};
use tto_domain::exemption::Verdict;
use tto_domain::policy::ParamKey;
use tto_domain::{AchievementId, AchievementStatus, InstitutionKind, Violation};
use tto_store::audit::AuditEvent;

use super::achievements::Choice;
use super::{FormErrors, Layout, fail, rename_fields, render, render_status, see_other};
use crate::AppState;
use crate::context::{CsrfForm, Ctx, FormData};
use crate::format::{date, datetime, datetime_local, parse_datetime_local};
use crate::i18n::T;

pub fn badge(s: DealStatus) -> &'static str {
    match s {
        DealStatus::Draft => "grey",
        DealStatus::Noticing | DealStatus::Listed | DealStatus::Auctioning => "amber",
        DealStatus::Priced => "blue",
        DealStatus::Completed => "green",
        DealStatus::Cancelled => "red",
    }
}

pub struct DealRowView {
    pub id: i64,
    pub title: String,
    pub mode: String,
    pub route: String,
    pub status: String,
    pub status_badge: &'static str,
    pub price: String,
    pub final_price: String,
    pub counterparty: String,
    pub updated: String,
}

#[derive(Template)]
#[template(path = "deals/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<DealRowView>,
    statuses: Vec<Choice>,
    routes: Vec<Choice>,
    can_create: bool,
}

fn choices<C: Copy + PartialEq>(
    t: T,
    prefix: &str,
    all: &[C],
    code: fn(C) -> &'static str,
    selected: Option<C>,
    any: bool,
) -> Vec<Choice> {
    let mut v = Vec::new();
    if any {
        v.push(Choice { value: String::new(), label: t.s("filter.any").to_string(), selected: selected.is_none() });
    }
    v.extend(all.iter().map(|c| Choice {
        value: code(*c).into(),
        label: t.code(prefix, code(*c)),
        selected: selected == Some(*c),
    }));
    v
}

pub async fn list(State(state): State<AppState>, ctx: Ctx, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    let t = ctx.t();
    let get = |k: &str| pairs.iter().find(|(key, v)| key == k && !v.is_empty()).map(|(_, v)| v.as_str());
    let filter = DealListFilter {
        status: get("status").and_then(|v| DealStatus::from_code(v).ok()),
        route: get("route").and_then(|v| PricingRoute::from_code(v).ok()),
        achievement: get("achievement_id").and_then(|v| v.parse().ok()).map(AchievementId),
    };
    let rows = match state.app.deals(&ctx.actor, &filter).await {
        Ok(r) => r,
        Err(e) => return fail(&ctx, e),
    };
    render(&ListPage {
        layout: Layout::new(&ctx, t.s("deal.title")).crumb(t.s("deal.title"), "/deals"),
        rows: rows
            .iter()
            .map(|r| DealRowView {
                id: r.id,
                title: r.title.clone(),
                mode: t.code("deal.mode", r.mode.code()),
                route: t.code("deal.route", r.route.code()),
                status: t.code("deal.status", r.status.code()),
                status_badge: badge(r.status),
                price: r.price.to_string(),
                final_price: r.final_price.map(|m| m.to_string()).unwrap_or_else(|| "—".into()),
                counterparty: r.counterparty_name.clone().unwrap_or_else(|| "—".into()),
                updated: datetime(r.updated_at),
            })
            .collect(),
        statuses: choices(t, "deal.status", DealStatus::ALL, DealStatus::code, filter.status, true),
        routes: choices(t, "deal.route", PricingRoute::ALL, PricingRoute::code, filter.route, true),
        can_create: ctx.actor.can(Permission::DealManage),
    })
}

pub struct AchievementChoice {
    pub id: i64,
    pub code: String,
    pub title: String,
    pub status: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "deals/form.html")]
struct FormPage {
    layout: Layout,
    /// `None` for a new deal.
    id: Option<i64>,
    version: i64,
    title: String,
    modes: Vec<Choice>,
    routes: Vec<Choice>,
    price: String,
    counterparties: Vec<Choice>,
    buyer_is_contributor: bool,
    related_party: bool,
    related_party_note: String,
    achievements: Vec<AchievementChoice>,
    errors: FormErrors,
}

fn draft_from(form: &FormData) -> DealDraft {
    DealDraft {
        title: form.text("title"),
        mode: form.text("mode"),
        route: form.text("route"),
        price: form.text("price"),
        counterparty: form.get("counterparty").and_then(|v| v.parse().ok()),
        buyer_is_contributor: form.checked("buyer_is_contributor"),
        related_party: form.checked("related_party"),
        related_party_note: form.get("related_party_note").map(str::to_string),
        achievements: form.all("achievements").iter().filter_map(|v| v.parse().ok()).collect(),
    }
}

async fn form_page(
    state: &AppState,
    ctx: &Ctx,
    id: Option<(i64, i64)>,
    draft: &DealDraft,
    errors: FormErrors,
) -> Result<FormPage, AppError> {
    let t = ctx.t();
    let own = ctx.actor.institution_id();
    let institutions = state.app.institutions().await?;
    let mut counterparties = vec![Choice {
        value: String::new(),
        label: t.s("deal.counterparty_none").to_string(),
        selected: draft.counterparty.is_none(),
    }];
    counterparties.extend(
        institutions.iter().filter(|i| Some(i.id) != own && !matches!(i.kind(), InstitutionKind::Regulator)).map(|i| {
            Choice {
                value: i.id.0.to_string(),
                label: i.name().to_string(),
                selected: draft.counterparty == Some(i.id.0),
            }
        }),
    );
    let filter = tto_app::achievements::AchievementFilter { institution: own, ..Default::default() };
    let listing = state
        .app
        .list_achievements(
            &ctx.actor,
            &filter,
            Default::default(),
            tto_app::achievements::AchievementPage::Offset { offset: 0, limit: 200 },
        )
        .await?;
    let achievements = listing
        .rows
        .iter()
        .filter(|r| {
            !matches!(r.status, AchievementStatus::Draft | AchievementStatus::Withdrawn)
                || draft.achievements.contains(&r.id.0)
        })
        .map(|r| AchievementChoice {
            id: r.id.0,
            code: r.code.clone(),
            title: r.title.clone(),
            status: t.code("achievement.status", r.status.code()),
            checked: draft.achievements.contains(&r.id.0),
        })
        .collect();
    let heading = if id.is_some() { t.s("deal.edit") } else { t.s("deal.new") };
    let mut layout = Layout::new(ctx, heading).crumb(t.s("deal.title"), "/deals");
    layout = match id {
        Some((id, _)) => layout
            .crumb(format!("{} #{id}", t.s("deal.deal")), format!("/deals/{id}"))
            .crumb(heading, format!("/deals/{id}/edit")),
        None => layout.crumb(heading, "/deals/new"),
    };
    Ok(FormPage {
        layout,
        id: id.map(|(i, _)| i),
        version: id.map(|(_, v)| v).unwrap_or(0),
        title: draft.title.clone(),
        modes: DealMode::ALL
            .iter()
            .map(|m| Choice {
                value: m.code().into(),
                label: t.code("deal.mode", m.code()),
                selected: draft.mode == m.code(),
            })
            .collect(),
        routes: PricingRoute::ALL
            .iter()
            .map(|r| Choice {
                value: r.code().into(),
                label: t.code("deal.route", r.code()),
                selected: draft.route == r.code(),
            })
            .collect(),
        price: draft.price.clone(),
        counterparties,
        buyer_is_contributor: draft.buyer_is_contributor,
        related_party: draft.related_party,
        related_party_note: draft.related_party_note.clone().unwrap_or_default(),
        achievements,
        errors,
    })
}

pub async fn new_form(State(state): State<AppState>, ctx: Ctx, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    if let Err(e) = ctx.actor.require(Permission::DealManage) {
        return fail(&ctx, e);
    }
    let preselected: Vec<i64> =
        pairs.iter().filter(|(k, _)| k == "achievement").filter_map(|(_, v)| v.parse().ok()).collect();
    let draft = DealDraft {
        mode: "transfer".into(),
        route: "agreement".into(),
        achievements: preselected,
        ..Default::default()
    };
    match form_page(&state, &ctx, None, &draft, FormErrors::default()).await {
        Ok(p) => render(&p),
        Err(e) => fail(&ctx, e),
    }
}

pub async fn create(State(state): State<AppState>, ctx: Ctx, CsrfForm(form): CsrfForm) -> Response {
    let ctx = Ctx { path: "/deals/new".into(), ..ctx };
    let draft = draft_from(&form);
    match state.app.create_deal(&ctx.actor, &draft).await.map_err(|e| rename_fields(e, &[("title", "deal_title")])) {
        Ok(d) => see_other(&format!("/deals/{}?done=created", d.id)),
        Err(e) => match FormErrors::from_app(ctx.t(), &e) {
            Some(errors) => match form_page(&state, &ctx, None, &draft, errors).await {
                Ok(p) => render_status(StatusCode::UNPROCESSABLE_ENTITY, &p),
                Err(e) => fail(&ctx, e),
            },
            None => fail(&ctx, e),
        },
    }
}

pub async fn edit_form(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    let view = match state.app.deal(&ctx.actor, id).await {
        Ok(v) => v,
        Err(e) => return fail(&ctx, e),
    };
    if !view.can_manage {
        return fail(&ctx, AppError::Forbidden);
    }
    let d = &view.deal;
    let draft = DealDraft {
        title: d.terms.title.clone(),
        mode: d.terms.mode.code().into(),
        route: d.terms.route.code().into(),
        price: d.terms.price.to_plain(),
        counterparty: d.terms.counterparty.map(|c| c.0),
        buyer_is_contributor: d.terms.buyer_is_contributor,
        related_party: d.terms.related_party,
        related_party_note: d.terms.related_party_note.clone(),
        achievements: d.items.iter().map(|i| i.achievement_id.0).collect(),
    };
    match form_page(&state, &ctx, Some((d.id, d.version)), &draft, FormErrors::default()).await {
        Ok(p) => render(&p),
        Err(e) => fail(&ctx, e),
    }
}

pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm,
) -> Response {
    let ctx = Ctx { path: format!("/deals/{id}/edit"), ..ctx };
    let version = form.get("version").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let draft = draft_from(&form);
    match state
        .app
        .update_deal(&ctx.actor, id, version, &draft)
        .await
        .map_err(|e| rename_fields(e, &[("title", "deal_title")]))
    {
        Ok(d) => see_other(&format!("/deals/{}?done=updated", d.id)),
        Err(e) => match FormErrors::from_app(ctx.t(), &e) {
            Some(errors) => match form_page(&state, &ctx, Some((id, version)), &draft, errors).await {
                Ok(p) => render_status(StatusCode::UNPROCESSABLE_ENTITY, &p),
                Err(e) => fail(&ctx, e),
            },
            None => fail(&ctx, e),
        },
    }
}

pub struct ConditionView {
    pub met: bool,
    pub text: String,
}

/// The verdict in words, with its rule.
pub struct VerdictView {
    pub qualifies: bool,
    pub conditions: Vec<ConditionView>,
    pub rule: String,
    pub grade: String,
    pub url: String,
}

pub fn verdict_view(t: T, v: &Verdict, rule: Option<&tto_domain::policy::Parameter>) -> VerdictView {
    VerdictView {
        qualifies: v.qualifies,
        conditions: v
            .conditions
            .iter()
            .map(|c| {
                let args: Vec<(&str, String)> = c
                    .args
                    .iter()
                    .map(|(k, v)| (*k, if *k == "route" { t.code("deal.route", v) } else { v.clone() }))
                    .collect();
                ConditionView { met: c.met, text: t.f(&format!("exemption.condition.{}", c.code), &args) }
            })
            .collect(),
        rule: rule.map(tto_app::empowerment::citation_of).unwrap_or_default(),
        grade: rule.map(|p| p.grade.code().to_string()).unwrap_or_default(),
        url: rule.and_then(|p| p.source.url.clone()).unwrap_or_default(),
    }
}

pub struct ObjectionView {
    pub id: i64,
    pub version: i64,
    pub name: String,
    pub contact: String,
    pub content: String,
    pub status: String,
    pub status_code: &'static str,
    pub response: String,
    pub at: String,
    /// Problems with the response typed for this objection.
    pub error: String,
}

pub struct NoticeRow {
    pub id: i64,
    pub period: String,
    pub status: String,
    pub status_code: &'static str,
    pub closable: bool,
    pub objections: Vec<ObjectionView>,
}

pub struct InterestRow {
    pub party: String,
    pub note: String,
    pub at: String,
}

pub struct ListingRow {
    pub id: i64,
    pub price: String,
    pub period: String,
    pub status: String,
    pub outcome: String,
    pub interests: Vec<InterestRow>,
}

pub struct BidderRow {
    pub party_id: i64,
    pub party: String,
    pub status: String,
    pub status_code: &'static str,
    pub note: String,
}

pub struct BidRow {
    pub party: String,
    pub amount: String,
    pub at: String,
    pub winning: bool,
}

pub struct AuctionRow {
    pub id: i64,
    pub reserve: String,
    pub increment: String,
    pub period: String,
    pub extended: bool,
    pub status: String,
    pub open: bool,
    pub winner: String,
    pub bidders: Vec<BidderRow>,
    pub bids: Vec<BidRow>,
}

pub struct ContractLine {
    pub id: i64,
    pub title: String,
    pub category: String,
    pub amount: String,
    pub received: String,
    pub registered: bool,
}

pub struct RuleRow {
    pub label: String,
    pub value: String,
    pub source: String,
    pub grade: String,
}

#[derive(Template)]
#[template(path = "deals/detail.html")]
struct DetailPage {
    layout: Layout,
    id: i64,
    version: i64,
    title: String,
    institution: String,
    mode: String,
    route: String,
    route_code: &'static str,
    status: String,
    status_badge: &'static str,
    price_label: String,
    price: String,
    final_price: String,
    counterparty: String,
    buyer_is_contributor: bool,
    related_party: bool,
    related_party_note: String,
    priced_on: String,
    completed_on: String,
    cancel_reason: String,
    policy_profile: String,
    items: Vec<(i64, String, String)>,
    actions: Vec<&'static str>,
    can_manage: bool,
    can_operate: bool,
    editable: bool,
    notices: Vec<NoticeRow>,
    listings: Vec<ListingRow>,
    auctions: Vec<AuctionRow>,
    contracts: Vec<ContractLine>,
    verdict: VerdictView,
    rules: Vec<RuleRow>,
    notice_start_value: String,
    notice_end_value: String,
    market_start_value: String,
    market_end_value: String,
    increment_value: String,
    minutes_value: String,
    cancel_value: String,
    notice_help: String,
    listing_help: String,
    auction_help: String,
    timeline: Vec<(String, String, String)>,
    errors: FormErrors,
}

fn rule_rows(t: T, view: &DealView) -> Vec<RuleRow> {
    view.rules
        .parameters
        .iter()
        .map(|p| RuleRow {
            label: t.code("policy.key", p.key.code()),
            value: super::policy::value_lines(t, &p.value).join("；"),
            source: tto_app::empowerment::citation_of(p),
            grade: p.grade.code().to_string(),
        })
        .collect()
}

pub(crate) fn timeline_rows(t: T, events: &[AuditEvent]) -> Vec<(String, String, String)> {
    events
        .iter()
        .map(|e| {
            (
                tto_store::parse_timestamp(&e.occurred_at).map(datetime).unwrap_or_else(|_| e.occurred_at.clone()),
                t.code("audit.action", &e.action.replace('.', "_")),
                e.actor_label.clone(),
            )
        })
        .collect()
}

/// `typed`: the form that failed, whose values the page shows again.
fn detail_page(
    ctx: &Ctx,
    v: &DealView,
    events: &[AuditEvent],
    now: time::OffsetDateTime,
    errors: FormErrors,
    notice: Option<String>,
    typed: Option<&FormData>,
) -> DetailPage {
    let keep = |name: &str, default: String| typed.and_then(|f| f.get(name)).map(str::to_string).unwrap_or(default);
    let t = ctx.t();
    let d = &v.deal;
    let heading = format!("{} #{}", t.s("deal.deal"), d.id);
    let mut layout =
        Layout::new(ctx, heading.clone()).crumb(t.s("deal.title"), "/deals").crumb(heading, format!("/deals/{}", d.id));
    layout.notice = notice;
    let dash = || "—".to_string();
    let today = now.date();
    let notices = v
        .notices
        .iter()
        .map(|n| NoticeRow {
            id: n.notice.id,
            period: format!("{} – {}", date(n.notice.starts_on), date(n.notice.ends_on)),
            status: t.code("notice.status", n.notice.status.code()),
            status_code: n.notice.status.code(),
            closable: n.notice.status == tto_domain::notice::NoticeStatus::Open && today > n.notice.ends_on,
            objections: n
                .objections
                .iter()
                .map(|o| ObjectionView {
                    id: o.id,
                    version: o.version,
                    name: o.input.name.clone(),
                    contact: o.input.contact.clone(),
                    content: o.input.content.clone(),
                    status: t.code("objection.status", o.status.code()),
                    status_code: o.status.code(),
                    response: o.response.clone().unwrap_or_default(),
                    at: datetime(o.created_at),
                    error: errors.of(&format!("response_{}", o.id)),
                })
                .collect(),
        })
        .collect();
    let listings = v
        .listings
        .iter()
        .map(|l| ListingRow {
            id: l.listing.id,
            price: l.listing.price.to_string(),
            period: format!("{} – {}", datetime(l.listing.starts_at), datetime(l.listing.ends_at)),
            status: t.code("market.status", l.listing.status.code()),
            outcome: l.listing.outcome.as_deref().map(|o| t.code("listing.outcome", o)).unwrap_or_default(),
            interests: l
                .interests
                .iter()
                .map(|i| InterestRow { party: i.party_name.clone(), note: i.note.clone(), at: datetime(i.created_at) })
                .collect(),
        })
        .collect();
    let auctions = v
        .auctions
        .iter()
        .map(|a| {
            let au = &a.auction;
            AuctionRow {
                id: au.id,
                reserve: au.reserve.to_string(),
                increment: au.increment.to_string(),
                period: format!("{} – {}", datetime(au.starts_at), datetime(au.ends_at)),
                extended: au.ends_at != au.scheduled_end_at,
                status: t.code("market.status", au.status.code()),
                open: au.status == tto_domain::auction::MarketStatus::Open,
                winner: au
                    .winner_id
                    .and_then(|w| a.bidders.iter().find(|b| b.party_id == w).map(|b| b.party_name.clone()))
                    .unwrap_or_default(),
                bidders: a
                    .bidders
                    .iter()
                    .map(|b| BidderRow {
                        party_id: b.party_id.0,
                        party: b.party_name.clone(),
                        status: t.code("bidder.status", b.status.code()),
                        status_code: b.status.code(),
                        note: b.note.clone(),
                    })
                    .collect(),
                bids: a
                    .bids
                    .iter()
                    .map(|b| BidRow {
                        party: b.party_name.clone(),
                        amount: b.amount.to_string(),
                        at: datetime(b.placed_at),
                        winning: au.winning_bid_id == Some(b.id),
                    })
                    .collect(),
            }
        })
        .collect();
    let price_label = match d.terms.route {
        PricingRoute::Agreement => t.s("deal.price.agreement"),
        PricingRoute::Listing => t.s("deal.price.listing"),
        PricingRoute::Auction => t.s("deal.price.auction"),
    };
    let rule = |k: ParamKey| v.rules.citation(k);
    DetailPage {
        layout,
        id: d.id,
        version: d.version,
        title: d.terms.title.clone(),
        institution: d.institution_name.clone(),
        mode: t.code("deal.mode", d.terms.mode.code()),
        route: t.code("deal.route", d.terms.route.code()),
        route_code: d.terms.route.code(),
        status: t.code("deal.status", d.status.code()),
        status_badge: badge(d.status),
        price_label: price_label.to_string(),
        price: d.terms.price.to_string(),
        final_price: d.final_price.map(|m| m.to_string()).unwrap_or_else(dash),
        counterparty: d.counterparty_name.clone().unwrap_or_else(dash),
        buyer_is_contributor: d.terms.buyer_is_contributor,
        related_party: d.terms.related_party,
        related_party_note: d.terms.related_party_note.clone().unwrap_or_default(),
        priced_on: d.priced_on.map(date).unwrap_or_else(dash),
        completed_on: d.completed_on.map(date).unwrap_or_else(dash),
        cancel_reason: d.cancel_reason.clone().unwrap_or_default(),
        policy_profile: d.policy_profile.clone(),
        items: d.items.iter().map(|i| (i.achievement_id.0, i.code.clone(), i.title.clone())).collect(),
        actions: v.actions.iter().map(|a| a.code()).collect(),
        can_manage: v.can_manage,
        can_operate: v.can_operate_market,
        editable: v.can_manage && d.status == DealStatus::Draft,
        notices,
        listings,
        auctions,
        contracts: v
            .contracts
            .iter()
            .map(|c| ContractLine {
                id: c.id,
                title: c.title.clone(),
                category: t.code("contract.category", c.category.code()),
                amount: c.amount.to_string(),
                received: c.received.to_string(),
                registered: c.registered,
            })
            .collect(),
        verdict: verdict_view(t, &v.verdict, v.rules.parameter(ParamKey::ExemptionQualifyingRoutes)),
        rules: rule_rows(t, v),
        notice_start_value: keep("starts_on", date(today)),
        notice_end_value: keep(
            "ends_on",
            date(today + time::Duration::days(i64::from(v.rules.notice_min_days.max(1)) - 1)),
        ),
        market_start_value: keep("starts_at", datetime_local(now)),
        // A minute-rounded default must still be at least the minimum period away (listings;
        // an auction's end has no default).
        market_end_value: keep(
            "ends_at",
            if d.terms.route == PricingRoute::Listing {
                datetime_local(
                    now + time::Duration::days(i64::from(v.rules.listing_min_days.max(1))) + time::Duration::hours(1),
                )
            } else {
                String::new()
            },
        ),
        increment_value: keep("increment", String::new()),
        minutes_value: keep("auction_minutes", "60".into()),
        cancel_value: keep("cancel_reason", String::new()),
        notice_help: t.f(
            "deal.notice_help",
            &[("n", v.rules.notice_min_days.to_string()), ("source", rule(ParamKey::NoticeMinDays))],
        ),
        listing_help: t.f(
            "deal.listing_help",
            &[("n", v.rules.listing_min_days.to_string()), ("source", rule(ParamKey::ListingMinDays))],
        ),
        auction_help: t.f(
            "deal.auction_help",
            &[
                ("window", v.rules.anti_sniping_minutes.to_string()),
                ("extension", v.rules.extension_minutes.to_string()),
            ],
        ),
        timeline: timeline_rows(t, events),
        errors,
    }
}

async fn show(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    errors: FormErrors,
    notice: Option<String>,
    typed: Option<&FormData>,
) -> Response {
    let view = match state.app.deal(&ctx.actor, id).await {
        Ok(v) => v,
        Err(e) => return fail(ctx, e),
    };
    let events = state.app.deal_audit_events(&view).await.unwrap_or_default();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    render_status(status, &detail_page(ctx, &view, &events, state.app.now(), errors, notice, typed))
}

pub async fn detail(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let t = ctx.t();
    let notice = super::done_notice(t, &pairs, "deal.done");
    show(&state, &ctx, id, FormErrors::default(), notice, None).await
}

/// After a form post: back to the deal page, or the page again with the errors inline.
async fn after(
    state: &AppState,
    ctx: Ctx,
    id: i64,
    done: &str,
    typed: Option<&FormData>,
    result: Result<(), AppError>,
) -> Response {
    match result {
        Ok(()) => see_other(&format!("/deals/{id}?done={done}")),
        Err(e) => match FormErrors::from_app(ctx.t(), &e) {
            Some(errors) => {
                let ctx = Ctx { path: format!("/deals/{id}"), ..ctx };
                show(state, &ctx, id, errors, None, typed).await
            }
            None => fail(&ctx, e),
        },
    }
}

fn market_input(form: &FormData) -> Result<MarketSettingsInput, AppError> {
    let starts_at = match form.get("starts_at").filter(|v| !v.trim().is_empty()) {
        Some(v) => Some(
            parse_datetime_local(v)
                .ok_or_else(|| AppError::field("starts_at", Violation::InvalidFormat { expected: "datetime" }))?,
        ),
        None => None,
    };
    let ends_at = match form.get("ends_at").filter(|v| !v.trim().is_empty()) {
        Some(v) => parse_datetime_local(v)
            .ok_or_else(|| AppError::field("ends_at", Violation::InvalidFormat { expected: "datetime" }))?,
        None => return Err(AppError::field("ends_at", Violation::Required)),
    };
    let auction_minutes =
        match form.get("auction_minutes").filter(|v| !v.trim().is_empty()) {
            Some(v) => Some(v.trim().parse::<i64>().map_err(|_| {
                AppError::field("auction_minutes", Violation::InvalidFormat { expected: "whole_number" })
            })?),
            None => None,
        };
    Ok(MarketSettingsInput { starts_at, ends_at, increment: form.text("increment"), auction_minutes })
}

pub async fn step(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, step)): Path<(i64, String)>,
    CsrfForm(form): CsrfForm,
) -> Response {
    let version = form.get("version").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let app = &state.app;
    let result = match DealAction::from_code(&step) {
        Ok(DealAction::StartNotice) => app
            .start_deal_notice(&ctx.actor, id, version, &form.text("starts_on"), &form.text("ends_on"))
            .await
            .map(|_| ()),
        Ok(DealAction::List) => match market_input(&form) {
            Ok(input) => app.open_listing(&ctx.actor, id, version, &input).await.map(|_| ()),
            Err(e) => Err(e),
        },
        Ok(DealAction::StartAuction) => match market_input(&form) {
            Ok(input) => app.start_auction(&ctx.actor, id, version, &input).await.map(|_| ()),
            Err(e) => Err(e),
        },
        Ok(DealAction::Complete) => app.complete_deal(&ctx.actor, id, version).await.map(|_| ()),
        Ok(DealAction::Cancel) => {
            app.cancel_deal(&ctx.actor, id, version, &form.text("cancel_reason")).await.map(|_| ())
        }
        Ok(other) => Err(AppError::field("step", Violation::UnknownChoice { value: other.code().to_string() })),
        Err(v) => Err(AppError::field("step", v)),
    };
    after(&state, ctx, id, &step, Some(&form), result).await
}

pub async fn close_notice(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, notice)): Path<(i64, i64)>,
    CsrfForm(_): CsrfForm,
) -> Response {
    let result = state.app.close_notice(&ctx.actor, notice).await.map(|_| ());
    after(&state, ctx, id, "close_notice", None, result).await
}

pub async fn decide_objection(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, objection, decision)): Path<(i64, i64, String)>,
    CsrfForm(form): CsrfForm,
) -> Response {
    let version = form.get("version").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let result = match decision.as_str() {
        "uphold" | "reject" => state
            .app
            .decide_objection(
                &ctx.actor,
                objection,
                version,
                decision == "uphold",
                &form.text(&format!("response_{objection}")),
            )
            .await
            .map(|_| ())
            .map_err(|e| rename_fields(e, &[("response", &format!("response_{objection}"))])),
        other => Err(AppError::field("decision", Violation::UnknownChoice { value: other.to_string() })),
    };
    after(&state, ctx, id, &format!("objection_{decision}"), Some(&form), result).await
}

pub async fn decide_bidder(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, auction, party, decision)): Path<(i64, i64, i64, String)>,
    CsrfForm(_): CsrfForm,
) -> Response {
    let result = match decision.as_str() {
        "approve" | "reject" => {
            state.app.decide_bidder(&ctx.actor, auction, party, decision == "approve").await.map(|_| ())
        }
        other => Err(AppError::field("decision", Violation::UnknownChoice { value: other.to_string() })),
    };
    after(&state, ctx, id, &format!("bidder_{decision}"), None, result).await
}

pub async fn evidence_pack(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    let t = ctx.t();
    match state.app.evidence_pack(&ctx.actor, id, |view, events| evidence_summary(t, view, events)).await {
        Ok((name, bytes)) => crate::api::deals::zip_response(&name, bytes),
        Err(e) => fail(&ctx, e),
    }
}

#[derive(Template)]
#[template(path = "deals/evidence.html")]
struct EvidenceSummary {
    t: T,
    d: DetailPage,
    generated: String,
    events: Vec<EventLine>,
}

pub struct EventLine {
    pub seq: i64,
    pub at: String,
    pub action: String,
    pub actor: String,
    pub entity: String,
    pub hash: String,
}

/// `summary.html` of an evidence pack: the deal, its history, the verdict with its reasoning,
/// and the audit events with their hashes — readable offline, without the platform.
pub fn evidence_summary(t: T, view: &DealView, events: &[AuditEvent]) -> String {
    let ctx = Ctx {
        actor: tto_app::Actor::Anonymous,
        lang: t.lang,
        csrf: String::new(),
        session_token: None,
        path: format!("/deals/{}", view.deal.id),
        address: String::new(),
    };
    let now = time::OffsetDateTime::now_utc();
    let page = EvidenceSummary {
        t,
        d: detail_page(&ctx, view, events, now, FormErrors::default(), None, None),
        generated: datetime(now),
        events: events
            .iter()
            .map(|e| EventLine {
                seq: e.seq,
                at: tto_store::parse_timestamp(&e.occurred_at).map(datetime).unwrap_or_else(|_| e.occurred_at.clone()),
                action: t.code("audit.action", &e.action.replace('.', "_")),
                actor: e.actor_label.clone(),
                entity: format!("{} {}", e.entity_type, e.entity_id),
                hash: e.hash.clone(),
            })
            .collect(),
    };
    page.render().unwrap_or_else(|e| format!("<p>summary could not be rendered: {e}</p>"))
}
