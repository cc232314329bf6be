//! Pages of the achievement ledger: list, detail, create and edit forms, lifecycle actions.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use tto_app::achievements::{AchievementPage, AchievementSort, AchievementView};
use tto_app::{AppError, Permission};
use tto_domain::achievement::{AchievementDraft, ContributorDraft};
use tto_domain::{
    Achievement, AchievementAction, AchievementId, AchievementStatus, AchievementType, Confidentiality, FundingSource,
    Violation,
};

use super::{FormErrors, Layout, fail, render, render_status, see_other};
use crate::AppState;
use crate::context::{CsrfForm, Ctx, FormData};
use crate::filters::{achievement_filter, achievement_query, encode_query};
use crate::format::{date, datetime, opt_date};
use crate::xlsx::{Cell, download, workbook};

pub const PAGE_SIZE: i64 = 50;

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

fn choices<'a>(items: impl IntoIterator<Item = (&'a str, String)>, selected: &[&str]) -> Vec<Choice> {
    items
        .into_iter()
        .map(|(value, label)| Choice { selected: selected.contains(&value), value: value.to_string(), label })
        .collect()
}

pub struct ListRow {
    pub id: i64,
    pub code: String,
    pub title: String,
    pub institution: String,
    pub kind: String,
    pub discipline: String,
    pub trl: u8,
    pub status: String,
    pub status_code: &'static str,
    pub major: bool,
    pub updated: String,
}

pub struct SortLink {
    pub label: String,
    pub href: String,
    /// "▲", "▼" or "".
    pub mark: &'static str,
}

pub struct PageLink {
    pub label: String,
    pub href: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "achievements/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<ListRow>,
    total: i64,
    showing: String,
    q: String,
    kinds: Vec<Choice>,
    statuses: Vec<Choice>,
    fundings: Vec<Choice>,
    disciplines: Vec<Choice>,
    chains: Vec<Choice>,
    trl_min: Vec<Choice>,
    trl_max: Vec<Choice>,
    sort_title: SortLink,
    sort_trl: SortLink,
    sort_updated: SortLink,
    pages: Vec<PageLink>,
    export_href: String,
    filter_errors: Vec<String>,
    can_create: bool,
    filtered: bool,
}

pub fn status_badge(s: AchievementStatus) -> &'static str {
    match s {
        AchievementStatus::Draft => "grey",
        AchievementStatus::Registered => "blue",
        AchievementStatus::Promoting => "blue",
        AchievementStatus::Negotiating => "amber",
        AchievementStatus::Converted => "green",
        AchievementStatus::Withdrawn => "red",
    }
}

fn trl_choices(selected: Option<u8>, any_label: &str) -> Vec<Choice> {
    let mut out = vec![Choice { value: String::new(), label: any_label.to_string(), selected: selected.is_none() }];
    out.extend((1..=9u8).map(|n| Choice { value: n.to_string(), label: n.to_string(), selected: selected == Some(n) }));
    out
}

pub async fn list(State(state): State<AppState>, ctx: Ctx, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    let t = ctx.t();
    let (filter, problems) = achievement_filter(&pairs);
    let sort_code = pairs.iter().find(|(k, _)| k == "sort").map(|(_, v)| v.as_str()).unwrap_or("-updated");
    let sort = AchievementSort::from_code(sort_code).unwrap_or_default();
    let page_no = pairs.iter().find(|(k, _)| k == "page").and_then(|(_, v)| v.parse::<i64>().ok()).unwrap_or(1).max(1);
    let listing = match state
        .app
        .list_achievements(
            &ctx.actor,
            &filter,
            sort,
            AchievementPage::Offset { offset: (page_no - 1) * PAGE_SIZE, limit: PAGE_SIZE },
        )
        .await
    {
        Ok(l) => l,
        Err(e) => return fail(&ctx, e),
    };
    let disciplines = state.app.disciplines(&ctx.actor).await.unwrap_or_default();
    let total = listing.total.unwrap_or(0);
    let rows: Vec<ListRow> = listing
        .rows
        .iter()
        .map(|r| ListRow {
            id: r.id.0,
            code: r.code.clone(),
            title: r.title.clone(),
            institution: r.institution_name.clone(),
            kind: t.code("achievement.type", r.kind.code()),
            discipline: r.discipline.clone(),
            trl: r.trl.level(),
            status: t.code("achievement.status", r.status.code()),
            status_code: status_badge(r.status),
            major: r.major,
            updated: date(r.updated_at.date()),
        })
        .collect();

    let base = achievement_query(&filter);
    let link = |extra: &[(&'static str, String)]| {
        let mut q = base.clone();
        q.extend_from_slice(extra);
        format!("/achievements?{}", encode_query(&q))
    };
    let sort_link = |label: &str, asc: &'static str, desc: &'static str, default_desc: bool| {
        let (href_code, mark) = if sort.code() == asc {
            (desc, "▲")
        } else if sort.code() == desc {
            (asc, "▼")
        } else if default_desc {
            (desc, "")
        } else {
            (asc, "")
        };
        SortLink { label: label.to_string(), href: link(&[("sort", href_code.to_string())]), mark }
    };
    let pages_total = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let mut pages = Vec::new();
    let mut push_page = |n: i64, label: String| {
        pages.push(PageLink {
            label,
            href: link(&[("sort", sort.code().to_string()), ("page", n.to_string())]),
            current: n == page_no,
        })
    };
    if page_no > 1 {
        push_page(page_no - 1, t.s("list.prev").to_string());
    }
    for n in (page_no - 3).max(1)..=(page_no + 3).min(pages_total) {
        push_page(n, n.to_string());
    }
    if page_no < pages_total {
        push_page(page_no + 1, t.s("list.next").to_string());
    }
    let any = t.s("filter.any").to_string();
    let with_any = |mut v: Vec<Choice>, none_selected: bool| {
        v.insert(0, Choice { value: String::new(), label: any.clone(), selected: none_selected });
        v
    };
    let kind_sel = filter.kind.map(|k| k.code()).unwrap_or_default();
    let status_sel = filter.status.map(|k| k.code()).unwrap_or_default();
    let funding_sel = filter.funding_source.map(|k| k.code()).unwrap_or_default();
    let discipline_sel = filter.discipline.clone().unwrap_or_default();
    let chain_sel = filter.chain.clone().unwrap_or_default();
    let first = if rows.is_empty() { 0 } else { (page_no - 1) * PAGE_SIZE + 1 };
    let last = first + rows.len() as i64 - if rows.is_empty() { 0 } else { 1 };
    let title = list_title(&ctx);
    let page = ListPage {
        layout: Layout::new(&ctx, title).crumb(title, "/achievements"),
        showing: t.f(
            "list.showing",
            &[("first", first.to_string()), ("last", last.to_string()), ("total", total.to_string())],
        ),
        rows,
        total,
        q: filter.text.clone().unwrap_or_default(),
        kinds: with_any(
            choices(AchievementType::ALL.iter().map(|k| (k.code(), t.code("achievement.type", k.code()))), &[kind_sel]),
            filter.kind.is_none(),
        ),
        statuses: with_any(
            choices(
                AchievementStatus::ALL.iter().map(|k| (k.code(), t.code("achievement.status", k.code()))),
                &[status_sel],
            ),
            filter.status.is_none(),
        ),
        fundings: with_any(
            choices(
                FundingSource::ALL.iter().map(|k| (k.code(), t.code("achievement.funding", k.code()))),
                &[funding_sel],
            ),
            filter.funding_source.is_none(),
        ),
        disciplines: with_any(
            choices(disciplines.iter().map(|d| (d.as_str(), d.clone())), &[discipline_sel.as_str()]),
            filter.discipline.is_none(),
        ),
        chains: with_any(
            choices(
                state.app.chains().all().iter().map(|c| (c.code.as_str(), crate::explain::chain_name(ctx.t(), c))),
                &[chain_sel.as_str()],
            ),
            filter.chain.is_none(),
        ),
        trl_min: trl_choices(filter.trl_min, &any),
        trl_max: trl_choices(filter.trl_max, &any),
        sort_title: sort_link(t.s("field.title"), "title", "-title", false),
        sort_trl: sort_link(t.s("field.trl"), "trl", "-trl", false),
        sort_updated: sort_link(t.s("field.updated_at"), "updated", "-updated", true),
        pages,
        export_href: format!("/achievements/export.xlsx?{}", encode_query(&base)),
        filter_errors: problems.iter().map(|(f, v)| format!("{}：{}", t.code("field", f), t.violation(v))).collect(),
        can_create: ctx.actor.user().is_some() && ctx.actor.can(Permission::AchievementCreate),
        filtered: !base.is_empty(),
    };
    render(&page)
}

/// "成果台账" (the ledger) for those who keep it, "成果目录" (the catalogue) for everyone else.
pub fn list_title(ctx: &Ctx) -> &'static str {
    let t = ctx.t();
    if ctx.actor.user().is_some() && ctx.actor.can(Permission::AchievementRead) {
        t.s("achievements.title")
    } else {
        t.s("achievements.catalogue")
    }
}

/// Rows of the export, at most this many (a catalogue extract, not a backup: use
/// `tto export` for everything).
pub const EXPORT_MAX: i64 = 20_000;

pub async fn export(State(state): State<AppState>, ctx: Ctx, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    let t = ctx.t();
    let (filter, _) = achievement_filter(&pairs);
    let mut rows = Vec::new();
    let mut before = None;
    loop {
        let listing = match state
            .app
            .list_achievements(
                &ctx.actor,
                &filter,
                AchievementSort::IdDesc,
                AchievementPage::Before { id: before, limit: 200 },
            )
            .await
        {
            Ok(l) => l,
            Err(e) => return fail(&ctx, e),
        };
        for r in &listing.rows {
            rows.push(vec![
                Cell::Text(r.code.clone()),
                Cell::Text(r.title.clone()),
                Cell::Text(r.institution_name.clone()),
                Cell::Text(t.code("achievement.type", r.kind.code())),
                Cell::Text(r.discipline.clone()),
                Cell::Int(i64::from(r.trl.level())),
                Cell::Text(t.code("achievement.status", r.status.code())),
                Cell::Text(t.code("achievement.funding", r.funding_source.code())),
                Cell::Text(if r.major { t.s("common.yes").to_string() } else { String::new() }),
                Cell::Text(datetime(r.updated_at)),
            ]);
        }
        before = listing.next_before;
        if before.is_none() || rows.len() as i64 >= EXPORT_MAX {
            break;
        }
    }
    let headers: Vec<String> = [
        "field.code",
        "field.title",
        "field.institution",
        "field.kind",
        "field.discipline",
        "field.trl",
        "field.status",
        "field.funding_source",
        "field.major",
        "field.updated_at",
    ]
    .iter()
    .map(|k| t.s(k).to_string())
    .collect();
    download("achievements.xlsx", workbook(t.s("achievements.title"), &headers, &rows))
}

pub struct ContributorRow {
    pub name: String,
    pub share: String,
    pub main: bool,
}

pub struct HolderRow {
    pub name: String,
    pub kind: String,
    pub share: String,
}

pub struct PeriodRow {
    pub from: String,
    pub until: String,
    pub basis: String,
    pub holders: Vec<HolderRow>,
    pub current: bool,
}

pub struct ActionButton {
    pub code: &'static str,
    pub label: String,
    pub confirm: bool,
}

pub struct TimelineRow {
    pub at: String,
    pub actor: String,
    pub action: String,
}

pub struct AgreementLink {
    pub id: i64,
    pub kind: String,
    pub status: String,
    pub effective: String,
}

#[derive(Template)]
#[template(path = "achievements/detail.html")]
struct DetailPage {
    layout: Layout,
    id: i64,
    version: i64,
    code: String,
    title: String,
    institution: String,
    status: String,
    status_code: &'static str,
    kind: String,
    trl: u8,
    discipline: String,
    chains: Vec<String>,
    keywords: Vec<String>,
    summary: String,
    detail: Option<String>,
    funding: String,
    funding_refs: String,
    completion_date: String,
    confidentiality: String,
    job_related: bool,
    major: bool,
    contributors: Vec<ContributorRow>,
    periods: Vec<PeriodRow>,
    actions: Vec<ActionButton>,
    timeline: Vec<TimelineRow>,
    redacted: bool,
    can_edit: bool,
    created: String,
    updated: String,
    agreements: Vec<AgreementLink>,
    /// The chain the text suggests (for those who may edit), or "".
    suggested_chain: String,
    can_empower: bool,
    can_see_ledger: bool,
    /// (id, title, route, status) of the deals converting this achievement.
    deals: Vec<(i64, String, String, String)>,
    can_deal: bool,
    /// (id, status or recommendation, 0–100 score) of its pre-filing evaluations.
    evaluations: Vec<(i64, String, String)>,
    can_evaluate: bool,
    /// (id, kind, title, application number, legal status) of its IP rights.
    ip_rights: Vec<(i64, String, String, String, String)>,
    can_record_ip: bool,
    show_intake: bool,
}

fn detail_page(
    state: &AppState,
    ctx: &Ctx,
    v: &AchievementView,
    timeline: Vec<TimelineRow>,
    notice: Option<String>,
) -> DetailPage {
    let t = ctx.t();
    let a = &v.achievement;
    let f = &a.fields;
    let today = state.app.today();
    let mut layout = Layout::new(ctx, f.title.clone())
        .crumb(list_title(ctx), "/achievements")
        .crumb(a.code.clone(), format!("/achievements/{}", a.id));
    layout.notice = notice;
    DetailPage {
        layout,
        id: a.id.0,
        version: a.version,
        code: a.code.clone(),
        title: f.title.clone(),
        institution: v.institution_name.clone(),
        status: t.code("achievement.status", a.status.code()),
        status_code: status_badge(a.status),
        kind: t.code("achievement.type", f.kind.code()),
        trl: f.trl.level(),
        discipline: f.discipline.clone(),
        chains: f
            .chains
            .iter()
            .map(|c| {
                state
                    .app
                    .chains()
                    .get(c.as_str())
                    .map(|chain| crate::explain::chain_name(ctx.t(), chain))
                    .unwrap_or_else(|| c.as_str().to_string())
            })
            .collect(),
        keywords: f.keywords.clone(),
        summary: f.summary.clone(),
        detail: f.detail.clone(),
        funding: t.code("achievement.funding", f.funding_source.code()),
        funding_refs: f.funding_refs.join("、"),
        completion_date: f.completion_date.map(date).unwrap_or_else(|| "—".to_string()),
        confidentiality: t.code("achievement.confidentiality", f.confidentiality.code()),
        job_related: f.job_related,
        major: f.major,
        contributors: f
            .contributors
            .iter()
            .map(|c| ContributorRow { name: c.name.clone(), share: c.share.to_string(), main: c.main })
            .collect(),
        periods: a
            .ownership
            .iter()
            .rev()
            .map(|p| PeriodRow {
                from: date(p.period.start()),
                until: p.period.end().map(date).unwrap_or_else(|| t.s("ownership.open_ended").to_string()),
                basis: match p.basis.strip_prefix("empowerment:") {
                    Some(id) => t.f("ownership.basis_empowerment", &[("id", id.to_string())]),
                    None => t.code("ownership.basis", &p.basis),
                },
                current: p.period.contains(today),
                holders: p
                    .holders
                    .iter()
                    .map(|h| HolderRow {
                        name: h.name.clone(),
                        kind: t.code("ownership.holder", h.kind.code()),
                        share: h.share.to_string(),
                    })
                    .collect(),
            })
            .collect(),
        actions: v
            .actions
            .iter()
            .map(|act| ActionButton {
                code: act.code(),
                label: t.code("achievement.action", act.code()),
                confirm: matches!(act, AchievementAction::Withdraw | AchievementAction::CompleteConversion),
            })
            .collect(),
        timeline,
        redacted: v.redacted,
        can_edit: v.can_edit,
        created: datetime(a.created_at),
        updated: datetime(a.updated_at),
        agreements: Vec::new(),
        suggested_chain: v
            .suggested_chain
            .as_ref()
            .map(|c| crate::explain::chain_label(state.app.chains(), t, c.as_str()))
            .unwrap_or_default(),
        can_empower: false,
        can_see_ledger: false,
        deals: Vec::new(),
        can_deal: false,
        evaluations: Vec::new(),
        can_evaluate: false,
        ip_rights: Vec::new(),
        can_record_ip: false,
        show_intake: false,
    }
}

async fn timeline_rows(state: &AppState, ctx: &Ctx, id: AchievementId) -> Vec<TimelineRow> {
    let t = ctx.t();
    let events = state.app.achievement_timeline(&ctx.actor, id).await.unwrap_or_default();
    events
        .into_iter()
        .rev()
        .map(|e| TimelineRow {
            at: tto_store::parse_timestamp(&e.occurred_at).map(datetime).unwrap_or(e.occurred_at),
            actor: e.actor_label,
            action: t.code("audit.action", &e.action.replace('.', "_")),
        })
        .collect()
}

pub async fn detail(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let view = match state.app.achievement(&ctx.actor, AchievementId(id)).await {
        Ok(v) => v,
        Err(e) => return fail(&ctx, e),
    };
    let timeline = timeline_rows(&state, &ctx, AchievementId(id)).await;
    let t = ctx.t();
    let notice = super::done_notice(t, &pairs, "notice");
    let mut page = detail_page(&state, &ctx, &view, timeline, notice);
    let institution = view.achievement.institution_id;
    if !view.redacted && ctx.actor.user().is_some() {
        if ctx.actor.require_for(Permission::EmpowermentRead, institution).is_ok() {
            page.agreements = state
                .app
                .empowerments_of(&ctx.actor, view.achievement.id)
                .await
                .unwrap_or_default()
                .iter()
                .map(|g| AgreementLink {
                    id: g.id,
                    kind: t.code("empowerment.kind", g.terms.kind.code()),
                    status: t.code("empowerment.status", g.status.code()),
                    effective: g.effective_from.map(date).unwrap_or_default(),
                })
                .collect();
        }
        if ctx.actor.require_for(Permission::EvaluationRead, institution).is_ok() {
            page.evaluations = state
                .app
                .evaluations(&ctx.actor, Some(view.achievement.id))
                .await
                .unwrap_or_default()
                .iter()
                .map(|e| {
                    let status = match e.recommendation {
                        Some(r) => t.code("evaluation.recommendation", r.code()),
                        None => t.code("evaluation.status", e.status.code()),
                    };
                    (e.id, status, e.created_at.date().to_string())
                })
                .collect();
        }
        if ctx.actor.require_for(Permission::IpRead, institution).is_ok() {
            let filter = tto_store::ip::IpFilter { achievement: Some(view.achievement.id), ..Default::default() };
            page.ip_rights = state
                .app
                .ip_records(&ctx.actor, &filter)
                .await
                .unwrap_or_default()
                .iter()
                .map(|r| {
                    (
                        r.id,
                        t.code("ip.kind", r.fields.kind.code()),
                        r.fields.title.clone(),
                        r.fields.application_number.clone(),
                        t.code("ip.legal_status", r.fields.legal_status.code()),
                    )
                })
                .collect();
        }
        page.can_evaluate = ctx.actor.require_for(Permission::EvaluationManage, institution).is_ok();
        page.can_record_ip = ctx.actor.require_for(Permission::IpManage, institution).is_ok();
        page.show_intake =
            page.can_evaluate || page.can_record_ip || !page.evaluations.is_empty() || !page.ip_rights.is_empty();
        page.can_empower = view.achievement.fields.job_related
            && ctx.actor.require_for(Permission::EmpowermentManage, institution).is_ok();
        page.can_see_ledger =
            view.achievement.fields.job_related && ctx.actor.require_for(Permission::LedgerRead, institution).is_ok();
        if ctx.actor.require_for(Permission::DealRead, institution).is_ok() {
            page.deals = state
                .app
                .deals_of(&ctx.actor, view.achievement.id)
                .await
                .unwrap_or_default()
                .iter()
                .map(|d| {
                    (
                        d.id,
                        d.title.clone(),
                        t.code("deal.route", d.route.code()),
                        t.code("deal.status", d.status.code()),
                    )
                })
                .collect();
        }
        page.can_deal = !matches!(view.achievement.status, AchievementStatus::Draft | AchievementStatus::Withdrawn)
            && ctx.actor.require_for(Permission::DealManage, institution).is_ok();
    }
    render(&page)
}

pub async fn transition(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm,
) -> Response {
    let action = match AchievementAction::from_code(&form.text("action")) {
        Ok(a) => a,
        Err(v) => return fail(&ctx, AppError::field("action", v)),
    };
    let version = form.get("version").and_then(|v| v.parse::<i64>().ok());
    match state.app.transition_achievement(&ctx.actor, AchievementId(id), version, action).await {
        Ok(_) => see_other(&format!("/achievements/{id}?done={}", action.code())),
        Err(e) => fail(&ctx, e),
    }
}

/// `POST /achievements/{id}/confirm_chain`: adds the suggested industrial chain.
pub async fn confirm_chain(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm,
) -> Response {
    let version = form.get("version").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    match state.app.confirm_achievement_chain(&ctx.actor, AchievementId(id), version).await {
        Ok(_) => see_other(&format!("/achievements/{id}?done=confirm_chain")),
        Err(e) => fail(&ctx, e),
    }
}

/// What the form shows: the values typed (or loaded) and the errors.
pub struct FormValues {
    pub title: String,
    pub summary: String,
    pub detail: String,
    pub keywords: String,
    pub discipline: String,
    pub kind: String,
    pub trl: String,
    pub funding_source: String,
    pub funding_refs: String,
    pub completion_date: String,
    pub confidentiality: String,
    pub chains: Vec<String>,
    pub contributors: Vec<ContributorDraft>,
    pub job_related: bool,
    pub major: bool,
}

impl FormValues {
    fn empty() -> FormValues {
        FormValues {
            title: String::new(),
            summary: String::new(),
            detail: String::new(),
            keywords: String::new(),
            discipline: String::new(),
            kind: AchievementType::InventionPatent.code().to_string(),
            trl: String::new(),
            funding_source: FundingSource::Fiscal.code().to_string(),
            funding_refs: String::new(),
            completion_date: String::new(),
            confidentiality: Confidentiality::SummaryOnly.code().to_string(),
            chains: Vec::new(),
            contributors: Vec::new(),
            job_related: true,
            major: false,
        }
    }

    fn from_achievement(a: &Achievement) -> FormValues {
        let f = &a.fields;
        FormValues {
            title: f.title.clone(),
            summary: f.summary.clone(),
            detail: f.detail.clone().unwrap_or_default(),
            keywords: f.keywords.join("，"),
            discipline: f.discipline.clone(),
            kind: f.kind.code().to_string(),
            trl: f.trl.level().to_string(),
            funding_source: f.funding_source.code().to_string(),
            funding_refs: f.funding_refs.join("，"),
            completion_date: opt_date(f.completion_date),
            confidentiality: f.confidentiality.code().to_string(),
            chains: f.chains.iter().map(|c| c.as_str().to_string()).collect(),
            contributors: tto_store::achievements::contributor_drafts(a),
            job_related: f.job_related,
            major: f.major,
        }
    }

    fn from_form(form: &FormData) -> FormValues {
        let contributors = contributors_from_form(form);
        FormValues {
            title: form.text("title"),
            summary: form.text("summary"),
            detail: form.text("detail"),
            keywords: form.text("keywords"),
            discipline: form.text("discipline"),
            kind: form.text("kind"),
            trl: form.text("trl"),
            funding_source: form.text("funding_source"),
            funding_refs: form.text("funding_refs"),
            completion_date: form.text("completion_date"),
            confidentiality: form.text("confidentiality"),
            chains: form.all("chains"),
            contributors,
            job_related: form.checked("job_related"),
            major: form.checked("major"),
        }
    }

    fn draft(&self) -> AchievementDraft {
        let split = |s: &str| -> Vec<String> {
            s.split([',', '，', '、', ';', '；', '\n'])
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect()
        };
        AchievementDraft {
            title: self.title.clone(),
            summary: self.summary.clone(),
            detail: Some(self.detail.clone()),
            keywords: split(&self.keywords),
            discipline: self.discipline.clone(),
            chains: self.chains.clone(),
            kind: self.kind.clone(),
            trl: self.trl.clone(),
            funding_source: self.funding_source.clone(),
            funding_refs: split(&self.funding_refs),
            completion_date: Some(self.completion_date.clone()),
            confidentiality: self.confidentiality.clone(),
            contributors: self.contributors.clone(),
            job_related: self.job_related,
            major: self.major,
        }
    }
}

pub struct ContributorInput {
    pub index: usize,
    pub name: String,
    pub share: String,
    pub main: bool,
    pub error: String,
}

/// The contributors typed into a form's contributor table (blank rows are room to add
/// people, not contributors).
pub(crate) fn contributors_from_form(form: &FormData) -> Vec<ContributorDraft> {
    let names = form.all("contributor_name");
    let shares = form.all("contributor_share");
    let mains = form.all("contributor_main");
    names
        .iter()
        .enumerate()
        .map(|(i, name)| ContributorDraft {
            person_id: None,
            name: name.clone(),
            share: shares.get(i).cloned().unwrap_or_default(),
            main: mains.contains(&i.to_string()),
        })
        .filter(|c| !(c.name.trim().is_empty() && c.share.trim().is_empty()))
        .collect()
}

/// The contributor rows of a form (achievements, disclosures): the typed ones with their
/// errors, and room to add people without JavaScript — always three empty rows, at least five.
pub(crate) fn contributor_rows(contributors: &[ContributorDraft], errors: &FormErrors) -> Vec<ContributorInput> {
    let mut rows: Vec<ContributorInput> = contributors
        .iter()
        .enumerate()
        .map(|(i, c)| ContributorInput {
            index: i,
            name: c.name.clone(),
            share: c.share.clone(),
            main: c.main,
            error: [errors.of(&format!("contributors[{i}].name")), errors.of(&format!("contributors[{i}].share"))]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("；"),
        })
        .collect();
    let blanks = 3.max(5usize.saturating_sub(rows.len()));
    for _ in 0..blanks {
        let index = rows.len();
        rows.push(ContributorInput {
            index,
            name: String::new(),
            share: String::new(),
            main: false,
            error: String::new(),
        });
    }
    rows
}

#[derive(Template)]
#[template(path = "achievements/form.html")]
struct FormPage {
    layout: Layout,
    action: String,
    editing: bool,
    version: i64,
    v: FormValues,
    kinds: Vec<Choice>,
    trls: Vec<Choice>,
    fundings: Vec<Choice>,
    confidentialities: Vec<Choice>,
    chains: Vec<Choice>,
    contributor_rows: Vec<ContributorInput>,
    errors: FormErrors,
}

fn form_page(
    state: &AppState,
    ctx: &Ctx,
    v: FormValues,
    editing: Option<(&Achievement, i64)>,
    errors: FormErrors,
) -> FormPage {
    let t = ctx.t();
    let (title, action, version) = match editing {
        Some((a, version)) => (t.s("achievements.edit").to_string(), format!("/achievements/{}", a.id), version),
        None => (t.s("achievements.new").to_string(), "/achievements".to_string(), 0),
    };
    let mut layout = Layout::new(ctx, title.clone()).crumb(t.s("achievements.title"), "/achievements");
    if let Some((a, _)) = editing {
        layout = layout.crumb(a.code.clone(), format!("/achievements/{}", a.id));
    }
    layout = layout.crumb(title, action.clone());
    let rows = contributor_rows(&v.contributors, &errors);
    let trl_labels: Vec<(String, String)> =
        (1..=9).map(|n: u8| (n.to_string(), format!("{n} · {}", t.code("trl", &n.to_string())))).collect();
    FormPage {
        layout,
        action,
        editing: editing.is_some(),
        version,
        kinds: choices(
            AchievementType::ALL.iter().map(|k| (k.code(), t.code("achievement.type", k.code()))),
            &[v.kind.as_str()],
        ),
        trls: {
            let mut c = vec![Choice {
                value: String::new(),
                label: t.s("form.choose").to_string(),
                selected: v.trl.is_empty(),
            }];
            c.extend(trl_labels.iter().map(|(n, l)| Choice {
                selected: *n == v.trl,
                value: n.clone(),
                label: l.clone(),
            }));
            c
        },
        fundings: choices(
            FundingSource::ALL.iter().map(|k| (k.code(), t.code("achievement.funding", k.code()))),
            &[v.funding_source.as_str()],
        ),
        confidentialities: choices(
            Confidentiality::ALL.iter().map(|k| (k.code(), t.code("achievement.confidentiality", k.code()))),
            &[v.confidentiality.as_str()],
        ),
        chains: choices(
            state.app.chains().all().iter().map(|c| (c.code.as_str(), crate::explain::chain_name(ctx.t(), c))),
            &v.chains.iter().map(String::as_str).collect::<Vec<_>>(),
        ),
        contributor_rows: rows,
        v,
        errors,
    }
}

pub async fn new_form(State(state): State<AppState>, ctx: Ctx) -> Response {
    if let Err(e) = ctx.actor.require(Permission::AchievementCreate) {
        return fail(&ctx, e);
    }
    let mut v = FormValues::empty();
    if let Some(u) = ctx.actor.user() {
        v.contributors =
            vec![ContributorDraft { person_id: None, name: u.display_name.clone(), share: "100".into(), main: true }];
    }
    render(&form_page(&state, &ctx, v, None, FormErrors::default()))
}

pub async fn create(State(state): State<AppState>, ctx: Ctx, CsrfForm(form): CsrfForm) -> Response {
    // A re-shown form belongs to the "register" page, whatever address it was posted to.
    let ctx = Ctx { path: "/achievements/new".to_string(), ..ctx };
    let v = FormValues::from_form(&form);
    match state.app.create_achievement(&ctx.actor, None, &v.draft(), None, None).await {
        Ok(a) => see_other(&format!("/achievements/{}?done=created", a.id)),
        Err(e) => match FormErrors::from_app(ctx.t(), &e) {
            Some(errors) => render_status(StatusCode::UNPROCESSABLE_ENTITY, &form_page(&state, &ctx, v, None, errors)),
            None => fail(&ctx, e),
        },
    }
}

pub async fn edit_form(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    let view = match state.app.achievement(&ctx.actor, AchievementId(id)).await {
        Ok(v) => v,
        Err(e) => return fail(&ctx, e),
    };
    if !view.can_edit {
        return fail(&ctx, if ctx.actor.user().is_some() { AppError::Forbidden } else { AppError::Unauthenticated });
    }
    let v = FormValues::from_achievement(&view.achievement);
    render(&form_page(&state, &ctx, v, Some((&view.achievement, view.achievement.version)), FormErrors::default()))
}

pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm,
) -> Response {
    let v = FormValues::from_form(&form);
    let Some(version) = form.get("version").and_then(|s| s.parse::<i64>().ok()) else {
        return fail(&ctx, AppError::field("version", Violation::Required));
    };
    match state.app.update_achievement(&ctx.actor, AchievementId(id), version, &v.draft(), None).await {
        Ok(_) => see_other(&format!("/achievements/{id}?done=saved")),
        Err(e) => match FormErrors::from_app(ctx.t(), &e) {
            Some(errors) => {
                let view = match state.app.achievement(&ctx.actor, AchievementId(id)).await {
                    Ok(v) => v,
                    Err(e) => return fail(&ctx, e),
                };
                let page = form_page(&state, &ctx, v, Some((&view.achievement, version)), errors);
                render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
            }
            None => fail(&ctx, e),
        },
    }
}
