//! Public pages of deals: running notices (公示) with the objection form, and the market of
//! listings and auctions where enterprises and investors express interest, register and bid.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;
use tto_app::{AppError, Permission};
use tto_domain::Money;
use tto_domain::distribution::Unit;
use tto_domain::notice::{NoticeStatus, NoticeSubject};
use tto_store::notices::Notice;

use super::{FormErrors, Layout, fail, render, render_status, see_other};
use crate::AppState;
use crate::api::distributions::shown_amount;
use crate::context::{CsrfForm, Ctx, FormData};
use crate::format::{date, datetime};
use crate::i18n::T;

pub struct NoticeItem {
    pub code: String,
    pub title: String,
    pub summary: String,
}

/// One rewarded person of a reward notice.
pub struct RewardNoticeRow {
    pub name: String,
    pub year: String,
    pub form: String,
    pub amount: String,
    pub leader: bool,
}

/// A notice as the public reads it: a deal's facts, or (a reward notice) who gets how much.
pub struct NoticeCard {
    /// A notice of the rewards of an income distribution.
    pub reward: bool,
    pub rewards: Vec<RewardNoticeRow>,
    pub rewards_have_years: bool,
    pub id: i64,
    pub institution: String,
    pub title: String,
    pub mode: String,
    pub price: String,
    pub counterparty: String,
    pub buyer_is_contributor: bool,
    pub related_party: bool,
    pub related_party_note: String,
    pub items: Vec<NoticeItem>,
    pub period: String,
    pub objections_until: String,
    pub how_to_object: String,
    pub status: String,
    pub open: bool,
}

fn notice_card(t: T, n: &Notice) -> NoticeCard {
    let c = &n.content;
    let text = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    let flag = |k: &str| c.get(k).and_then(Value::as_bool).unwrap_or(false);
    let reward = n.subject == NoticeSubject::Reward;
    let unit = Unit::from_code(&text("unit")).unwrap_or(Unit::Fen);
    let rewards: Vec<RewardNoticeRow> = if reward {
        c.get("recipients")
            .and_then(Value::as_array)
            .map(|rows| {
                rows.iter()
                    .map(|r| RewardNoticeRow {
                        name: r.get("name").and_then(Value::as_str).unwrap_or_default().to_string(),
                        year: r.get("year").and_then(Value::as_i64).map(|y| y.to_string()).unwrap_or_default(),
                        form: r
                            .get("form")
                            .and_then(Value::as_str)
                            .map(|f| t.code("distribution.form", f))
                            .unwrap_or_default(),
                        amount: shown_amount(t, unit, r.get("amount").and_then(Value::as_i64).unwrap_or(0)),
                        leader: r.get("leader").and_then(Value::as_bool).unwrap_or(false),
                    })
                    .collect()
            })
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    NoticeCard {
        reward,
        rewards_have_years: rewards.iter().any(|r| !r.year.is_empty()),
        rewards,
        id: n.id,
        institution: n.institution_name.clone(),
        title: n.title.clone(),
        mode: t.code(if reward { "distribution.mode" } else { "deal.mode" }, &text("mode")),
        price: c.get("price_fen").and_then(Value::as_i64).map(|f| Money::from_fen(f).to_string()).unwrap_or_default(),
        counterparty: text("counterparty"),
        buyer_is_contributor: flag("buyer_is_contributor"),
        related_party: flag("related_party"),
        related_party_note: text("related_party_note"),
        items: c
            .get("achievements")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|i| NoticeItem {
                        code: i.get("code").and_then(Value::as_str).unwrap_or_default().to_string(),
                        title: i.get("title").and_then(Value::as_str).unwrap_or_default().to_string(),
                        summary: i.get("summary").and_then(Value::as_str).unwrap_or_default().to_string(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        period: format!("{} – {}", date(n.starts_on), date(n.ends_on)),
        objections_until: c
            .get("objections_until")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| date(n.ends_on)),
        how_to_object: t.f("notice.how_to_object_text", &[("date", date(n.ends_on))]),
        status: t.code("notice.status", n.status.code()),
        open: n.status == NoticeStatus::Open,
    }
}

#[derive(Template)]
#[template(path = "notices/list.html")]
struct NoticesPage {
    layout: Layout,
    notices: Vec<NoticeCard>,
}

pub async fn notices(State(state): State<AppState>, ctx: Ctx) -> Response {
    let t = ctx.t();
    match state.app.running_notices().await {
        Ok(rows) => render(&NoticesPage {
            layout: Layout::new(&ctx, t.s("notice.public_title")).crumb(t.s("notice.public_title"), "/notices"),
            notices: rows.iter().map(|n| notice_card(t, n)).collect(),
        }),
        Err(e) => fail(&ctx, e),
    }
}

#[derive(Template)]
#[template(path = "notices/detail.html")]
struct NoticePage {
    layout: Layout,
    n: NoticeCard,
    accepts: bool,
    name: String,
    contact: String,
    content: String,
    errors: FormErrors,
}

async fn notice_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    form: Option<&FormData>,
    errors: FormErrors,
    notice: Option<String>,
) -> Response {
    let t = ctx.t();
    let (n, _) = match state.app.notice(&ctx.actor, id).await {
        Ok(n) => n,
        Err(e) => return fail(ctx, e),
    };
    let today = state.app.today();
    let card = notice_card(t, &n);
    let mut layout = Layout::new(ctx, format!("{} #{}", t.s("notice.notice"), n.id))
        .crumb(t.s("notice.public_title"), "/notices")
        .crumb(n.title.clone(), format!("/notices/{}", n.id));
    layout.notice = notice;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    render_status(
        status,
        &NoticePage {
            layout,
            accepts: tto_domain::notice::accepts_objections(n.status, n.starts_on, n.ends_on, today).is_ok(),
            n: card,
            name: form.map(|f| f.text("name")).unwrap_or_default(),
            contact: form.map(|f| f.text("contact")).unwrap_or_default(),
            content: form.map(|f| f.text("content")).unwrap_or_default(),
            errors,
        },
    )
}

pub async fn notice(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let t = ctx.t();
    let done = pairs.iter().any(|(k, v)| k == "done" && v == "objection").then(|| t.s("objection.thanks").to_string());
    notice_page(&state, &ctx, id, None, FormErrors::default(), done).await
}

pub async fn object(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm,
) -> Response {
    match state
        .app
        .submit_objection(&ctx.actor, id, &form.text("name"), &form.text("contact"), &form.text("content"))
        .await
    {
        Ok(_) => see_other(&format!("/notices/{id}?done=objection")),
        Err(e) => match FormErrors::from_app(ctx.t(), &e) {
            Some(errors) => {
                let ctx = Ctx { path: format!("/notices/{id}"), ..ctx };
                notice_page(&state, &ctx, id, Some(&form), errors, None).await
            }
            None => fail(&ctx, e),
        },
    }
}

pub struct MarketCard {
    pub kind: &'static str,
    pub id: i64,
    pub institution: String,
    pub title: String,
    pub mode: String,
    pub items: Vec<(String, String)>,
    pub price: String,
    pub increment: String,
    pub period: String,
    pub interested: usize,
    pub highest: String,
    pub bids: usize,
    pub minimum_bid: String,
    pub minimum_help: String,
    pub my_interest: bool,
    pub my_registration: String,
    pub my_registration_code: String,
    /// (party id, name, note) of bidders awaiting the operator's approval.
    pub pending: Vec<(i64, String, String)>,
    pub error: String,
}

#[derive(Template)]
#[template(path = "market/list.html")]
struct MarketPage {
    layout: Layout,
    cards: Vec<MarketCard>,
    buyer: bool,
}

/// `failed`: the card (kind, id) whose form failed, with the message.
async fn market_page(
    state: &AppState,
    ctx: &Ctx,
    failed: Option<(&str, i64, String)>,
    notice: Option<String>,
) -> Response {
    let t = ctx.t();
    let entries = match state.app.market(&ctx.actor).await {
        Ok(e) => e,
        Err(e) => return fail(ctx, e),
    };
    let cards = entries
        .iter()
        .filter_map(|e| {
            let (kind, id, price, increment, starts, ends) = match (&e.listing, &e.auction) {
                (Some(l), _) => ("listing", l.id, l.price, None, l.starts_at, l.ends_at),
                (None, Some(a)) => ("auction", a.id, a.reserve, Some(a.increment), a.starts_at, a.ends_at),
                _ => return None,
            };
            Some(MarketCard {
                kind,
                id,
                institution: e.institution_name.clone(),
                title: e.title.clone(),
                mode: t.code("deal.mode", e.mode.code()),
                items: e.items.iter().map(|i| (i.code.clone(), i.title.clone())).collect(),
                price: price.to_string(),
                increment: increment.map(|m| m.to_string()).unwrap_or_default(),
                period: format!("{} – {}", datetime(starts), datetime(ends)),
                interested: e.interested,
                highest: e.highest.map(|m| m.to_string()).unwrap_or_else(|| "—".into()),
                bids: e.bids,
                minimum_bid: e.minimum_bid.map(|m| m.to_plain()).unwrap_or_default(),
                minimum_help: t
                    .f("auction.minimum_help", &[("amount", e.minimum_bid.map(|m| m.to_string()).unwrap_or_default())]),
                my_interest: e.my_interest,
                my_registration: e.my_registration.map(|s| t.code("bidder.status", s.code())).unwrap_or_default(),
                my_registration_code: e.my_registration.map(|s| s.code().to_string()).unwrap_or_default(),
                pending: e
                    .pending_bidders
                    .iter()
                    .map(|b| (b.party_id.0, b.party_name.clone(), b.note.clone()))
                    .collect(),
                error: failed
                    .as_ref()
                    .filter(|(k, f, _)| *k == kind && *f == id)
                    .map(|(_, _, m)| m.clone())
                    .unwrap_or_default(),
            })
        })
        .collect();
    let mut layout = Layout::new(ctx, t.s("market.title")).crumb(t.s("market.title"), "/market");
    layout.notice = notice;
    let status = if failed.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    render_status(status, &MarketPage { layout, cards, buyer: ctx.actor.can(Permission::MarketParticipate) })
}

pub async fn market(State(state): State<AppState>, ctx: Ctx, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    let t = ctx.t();
    let notice = super::done_notice(t, &pairs, "market.done");
    market_page(&state, &ctx, None, notice).await
}

async fn after(state: &AppState, ctx: Ctx, kind: &str, id: i64, done: &str, result: Result<(), AppError>) -> Response {
    match result {
        Ok(()) => see_other(&format!("/market?done={done}")),
        Err(e) => match FormErrors::from_app(ctx.t(), &e) {
            Some(errors) => {
                let ctx = Ctx { path: "/market".into(), ..ctx };
                market_page(state, &ctx, Some((kind, id, errors.summary.join("；"))), None).await
            }
            None => fail(&ctx, e),
        },
    }
}

pub async fn interest(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm,
) -> Response {
    let result = state.app.express_interest(&ctx.actor, id, &form.text("note")).await.map(|_| ());
    after(&state, ctx, "listing", id, "interest", result).await
}

pub async fn register(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm,
) -> Response {
    let result = state.app.register_bidder(&ctx.actor, id, &form.text("note")).await.map(|_| ());
    after(&state, ctx, "auction", id, "register", result).await
}

pub async fn decide_bidder(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, party, decision)): Path<(i64, i64, String)>,
    CsrfForm(_): CsrfForm,
) -> Response {
    let result = match decision.as_str() {
        "approve" | "reject" => state.app.decide_bidder(&ctx.actor, id, party, decision == "approve").await.map(|_| ()),
        other => Err(AppError::field("decision", tto_domain::Violation::UnknownChoice { value: other.to_string() })),
    };
    after(&state, ctx, "auction", id, &format!("bidder_{decision}"), result).await
}

pub async fn bid(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, CsrfForm(form): CsrfForm) -> Response {
    let result = state.app.place_bid(&ctx.actor, id, &form.text("amount")).await.map(|_| ());
    after(&state, ctx, "auction", id, "bid", result).await
}
