//! Pages of IP rights (知识产权): the register, the record with its annuity schedule and the
//! patent-conversion programme, the annuities due with their reminders, and the programme's
//! conversion rates per university.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use tto_app::ip::IpView;
use tto_app::{AppError, Permission};
use tto_domain::Violation;
use tto_domain::ip::{IpDraft, IpKind, LegalStatus, ProgrammeStatus};
use tto_domain::policy::ParamKey;
use tto_store::ip::{IpFilter, IpRecord};

use super::achievements::Choice;
use super::{FormErrors, Layout, fail, render, render_status, see_other};
use crate::AppState;
use crate::context::{CsrfForm, Ctx, FormData};
use crate::format::{date, opt_date};
use crate::i18n::T;
use crate::xlsx::{Cell, download, workbook};

/// Form fields named differently from the use case's (the shared labels of `title` and
/// `kind` are an achievement's).
const RENAMES: &[(&str, &str)] = &[("title", "ip_title"), ("kind", "ip_kind")];
const PAY_RENAMES: &[(&str, &str)] =
    &[("year", "annuity_year"), ("paid_on", "annuity_paid_on"), ("amount", "annuity_amount")];

pub fn legal_badge(s: LegalStatus) -> &'static str {
    match s {
        LegalStatus::Pending => "blue",
        LegalStatus::Granted => "green",
        LegalStatus::Lapsed | LegalStatus::Invalidated => "red",
        LegalStatus::Expired | LegalStatus::Abandoned => "grey",
    }
}

pub fn programme_badge(s: ProgrammeStatus) -> &'static str {
    match s {
        ProgrammeStatus::Listed => "grey",
        ProgrammeStatus::Promoting => "blue",
        ProgrammeStatus::Negotiating => "amber",
        ProgrammeStatus::Converted => "green",
    }
}

fn choices(t: T, prefix: &str, codes: &[&'static str], selected: Option<&str>, any: Option<&str>) -> Vec<Choice> {
    let mut v = Vec::new();
    if let Some(label) = any {
        v.push(Choice { value: String::new(), label: t.s(label).to_string(), selected: selected.is_none() });
    }
    v.extend(codes.iter().map(|c| Choice {
        value: (*c).into(),
        label: t.code(prefix, c),
        selected: selected == Some(*c),
    }));
    v
}

fn kind_codes() -> Vec<&'static str> {
    IpKind::ALL.iter().map(|k| k.code()).collect()
}

fn status_codes() -> Vec<&'static str> {
    LegalStatus::ALL.iter().map(|k| k.code()).collect()
}

/// The (days, source) of the annuity reminder window, or of another count of the profile.
fn rule_of(state: &AppState, key: ParamKey, fallback: u32) -> (u32, String) {
    let day = state.app.today();
    state
        .app
        .profile_on(day)
        .and_then(|p| state.app.policy().count(&p.id, key, day).ok())
        .map(|(n, r)| (n, tto_app::empowerment::citation_of(r.parameter)))
        .unwrap_or((fallback, String::new()))
}

pub(crate) fn reminder_rule(state: &AppState) -> (u32, String) {
    rule_of(state, ParamKey::IpAnnuityReminderDays, 60)
}

// ---------------------------------------------------------------------------------------
// The register
// ---------------------------------------------------------------------------------------

pub struct Row {
    pub id: i64,
    pub kind: String,
    pub title: String,
    pub institution: String,
    pub application_number: String,
    pub filing_date: String,
    pub legal_status: String,
    pub legal_badge: &'static str,
    pub programme: String,
    pub programme_badge: &'static str,
    pub next_due: String,
    pub overdue: usize,
    pub overdue_label: String,
    pub achievement_id: Option<i64>,
    pub achievement_title: String,
}

#[derive(Template)]
#[template(path = "ip/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<Row>,
    total: usize,
    granted: usize,
    pending: usize,
    in_programme: usize,
    overdue: usize,
    kinds: Vec<Choice>,
    statuses: Vec<Choice>,
    programmes: Vec<Choice>,
    can_manage: bool,
    can_monitor: bool,
    filtered: bool,
    export_href: String,
    error: String,
}

fn filter_from(pairs: &[(String, String)]) -> (IpFilter, Vec<(String, Violation)>) {
    let mut f = IpFilter::default();
    let mut problems = Vec::new();
    for (k, v) in pairs {
        let v = v.trim();
        if v.is_empty() {
            continue;
        }
        match k.as_str() {
            "kind" => match IpKind::from_code(v) {
                Ok(x) => f.kind = Some(x),
                Err(e) => problems.push((k.clone(), e)),
            },
            "legal_status" => match LegalStatus::from_code(v) {
                Ok(x) => f.legal_status = Some(x),
                Err(e) => problems.push((k.clone(), e)),
            },
            "programme" => match v {
                "true" => f.programme = Some(true),
                "false" => f.programme = Some(false),
                _ => problems.push((k.clone(), Violation::InvalidFormat { expected: "true_false" })),
            },
            "achievement_id" => match v.parse::<i64>() {
                Ok(id) => f.achievement = Some(tto_domain::AchievementId(id)),
                Err(_) => problems.push((k.clone(), Violation::InvalidFormat { expected: "positive_integer" })),
            },
            _ => {}
        }
    }
    (f, problems)
}

/// Next unpaid annuity and the number overdue of each granted patent.
async fn annuity_state(state: &AppState, ctx: &Ctx, r: &IpRecord) -> (Option<time::Date>, usize) {
    if r.fields.legal_status != LegalStatus::Granted || !r.fields.kind.pays_annuities() {
        return (None, 0);
    }
    match state.app.ip_record(&ctx.actor, r.id).await {
        Ok(v) => {
            let unpaid = v.annuities.iter().filter(|l| l.payment.is_none());
            let overdue = unpaid.clone().filter(|l| l.overdue).count();
            let next = unpaid.filter(|l| !l.overdue).map(|l| l.annuity.due_on).min();
            (next, overdue)
        }
        Err(_) => (None, 0),
    }
}

pub async fn list(State(state): State<AppState>, ctx: Ctx, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    let t = ctx.t();
    let (filter, problems) = filter_from(&pairs);
    let records = match state.app.ip_records(&ctx.actor, &filter).await {
        Ok(r) => r,
        Err(e) => return fail(&ctx, e),
    };
    let mut rows = Vec::with_capacity(records.len());
    let (mut overdue_total, mut granted, mut pending, mut in_programme) = (0, 0, 0, 0);
    for r in records.iter().take(500) {
        let (next, overdue) = annuity_state(&state, &ctx, r).await;
        overdue_total += overdue;
        granted += usize::from(r.fields.legal_status == LegalStatus::Granted);
        pending += usize::from(r.fields.legal_status == LegalStatus::Pending);
        in_programme += usize::from(r.programme);
        rows.push(Row {
            id: r.id,
            kind: t.code("ip.kind", r.fields.kind.code()),
            title: r.fields.title.clone(),
            institution: r.institution_name.clone(),
            application_number: r.fields.application_number.clone(),
            filing_date: date(r.fields.filing_date),
            legal_status: t.code("ip.legal_status", r.fields.legal_status.code()),
            legal_badge: legal_badge(r.fields.legal_status),
            programme: r.programme_status.map(|s| t.code("ip.programme_status", s.code())).unwrap_or_default(),
            programme_badge: r.programme_status.map(programme_badge).unwrap_or("grey"),
            next_due: opt_date(next),
            overdue,
            overdue_label: t.f("ip.overdue_n", &[("n", overdue.to_string())]),
            achievement_id: r.achievement_id.map(|a| a.0),
            achievement_title: r.achievement_title.clone().unwrap_or_default(),
        });
    }
    let query = pairs.iter().map(|(k, v)| format!("{k}={}", crate::filters::encode(v))).collect::<Vec<_>>().join("&");
    let error = problems
        .iter()
        .map(|(f, v)| format!("{}：{}", t.code("field", f), t.violation(v)))
        .collect::<Vec<_>>()
        .join("；");
    let programme_sel = filter.programme.map(|p| if p { "true" } else { "false" });
    render(&ListPage {
        layout: Layout::new(&ctx, t.s("ip.title")).crumb(t.s("ip.title"), "/ip"),
        total: records.len(),
        rows,
        granted,
        pending,
        in_programme,
        overdue: overdue_total,
        kinds: choices(t, "ip.kind", &kind_codes(), filter.kind.map(IpKind::code), Some("filter.any")),
        statuses: choices(
            t,
            "ip.legal_status",
            &status_codes(),
            filter.legal_status.map(LegalStatus::code),
            Some("filter.any"),
        ),
        programmes: vec![
            Choice { value: String::new(), label: t.s("filter.any").into(), selected: programme_sel.is_none() },
            Choice {
                value: "true".into(),
                label: t.s("ip.in_programme").into(),
                selected: programme_sel == Some("true"),
            },
            Choice {
                value: "false".into(),
                label: t.s("ip.not_in_programme").into(),
                selected: programme_sel == Some("false"),
            },
        ],
        can_manage: ctx.actor.user().is_some() && ctx.actor.can(Permission::IpManage),
        can_monitor: ctx.actor.user().is_some() && ctx.actor.can(Permission::MonitoringRead),
        filtered: filter != IpFilter::default(),
        export_href: format!("/ip/export.xlsx?{query}"),
        error,
    })
}

pub async fn export(State(state): State<AppState>, ctx: Ctx, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    let t = ctx.t();
    let (filter, _) = filter_from(&pairs);
    let records = match state.app.ip_records(&ctx.actor, &filter).await {
        Ok(r) => r,
        Err(e) => return fail(&ctx, e),
    };
    let mut cells: Vec<Vec<Cell>> = Vec::with_capacity(records.len());
    for r in &records {
        let (next, overdue) = annuity_state(&state, &ctx, r).await;
        let f = &r.fields;
        cells.push(vec![
            Cell::Int(r.id),
            Cell::Text(r.institution_name.clone()),
            Cell::Text(t.code("ip.kind", f.kind.code())),
            Cell::Text(f.title.clone()),
            Cell::Text(f.jurisdiction.clone()),
            Cell::Text(f.application_number.clone()),
            Cell::Text(date(f.filing_date)),
            Cell::Text(f.grant_number.clone().unwrap_or_default()),
            Cell::Text(opt_date(f.grant_date)),
            Cell::Text(t.code("ip.legal_status", f.legal_status.code())),
            Cell::Text(r.programme_status.map(|s| t.code("ip.programme_status", s.code())).unwrap_or_default()),
            Cell::Text(opt_date(next)),
            Cell::Int(overdue as i64),
            Cell::Text(r.achievement_title.clone().unwrap_or_default()),
        ]);
    }
    let headers: Vec<String> = [
        "ip.number",
        "ip.institution",
        "field.ip_kind",
        "field.ip_title",
        "field.jurisdiction",
        "field.application_number",
        "field.filing_date",
        "field.grant_number",
        "field.grant_date",
        "field.legal_status",
        "field.programme_status",
        "ip.next_due",
        "ip.overdue_count",
        "field.achievement_id",
    ]
    .iter()
    .map(|k| t.s(k).to_string())
    .collect();
    download("ip-rights.xlsx", workbook(t.s("ip.title"), &headers, &cells))
}

// ---------------------------------------------------------------------------------------
// The form (new and edit)
// ---------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "ip/form.html")]
struct FormPage {
    layout: Layout,
    id: Option<i64>,
    version: i64,
    achievements: Vec<Choice>,
    kinds: Vec<Choice>,
    statuses: Vec<Choice>,
    draft: IpDraft,
    number_help: String,
    errors: FormErrors,
}

/// The institution's achievements to link a record to.
pub(crate) async fn own_achievements(state: &AppState, ctx: &Ctx, selected: Option<i64>) -> Vec<Choice> {
    let t = ctx.t();
    let own = ctx.actor.institution_id();
    let filter = tto_app::achievements::AchievementFilter { institution: own, ..Default::default() };
    let listing = state
        .app
        .list_achievements(
            &ctx.actor,
            &filter,
            Default::default(),
            tto_app::achievements::AchievementPage::Offset { offset: 0, limit: 500 },
        )
        .await;
    let mut v =
        vec![Choice { value: String::new(), label: t.s("ip.no_achievement").into(), selected: selected.is_none() }];
    if let Ok(l) = listing {
        v.extend(l.rows.iter().filter(|r| Some(r.institution_id) == own).map(|r| Choice {
            value: r.id.0.to_string(),
            label: format!("{} · {}", r.code, r.title),
            selected: selected == Some(r.id.0),
        }));
    }
    v
}

async fn form_page(
    state: &AppState,
    ctx: &Ctx,
    id: Option<(i64, i64)>,
    achievement: Option<i64>,
    draft: IpDraft,
    errors: FormErrors,
) -> FormPage {
    let t = ctx.t();
    let heading = if id.is_some() { t.s("ip.edit") } else { t.s("ip.new") };
    let mut layout = Layout::new(ctx, heading).crumb(t.s("ip.title"), "/ip");
    layout = match id {
        Some((id, _)) => layout
            .crumb(format!("{} #{id}", t.s("ip.record")), format!("/ip/{id}"))
            .crumb(heading, format!("/ip/{id}/edit")),
        None => layout.crumb(heading, "/ip/new"),
    };
    let mut statuses = choices(t, "ip.legal_status", &status_codes(), Some(draft.legal_status.as_str()), None);
    statuses.insert(
        0,
        Choice {
            value: String::new(),
            label: t.s("ip.legal_status_auto").into(),
            selected: draft.legal_status.is_empty(),
        },
    );
    FormPage {
        layout,
        id: id.map(|(i, _)| i),
        version: id.map(|(_, v)| v).unwrap_or(0),
        achievements: own_achievements(state, ctx, achievement).await,
        kinds: choices(t, "ip.kind", &kind_codes(), Some(draft.kind.as_str()), None),
        statuses,
        number_help: t.s("ip.number_help").to_string(),
        draft,
        errors,
    }
}

fn draft_from(form: &FormData) -> (Option<i64>, IpDraft) {
    let achievement = form.get("achievement_id").and_then(|v| v.trim().parse::<i64>().ok());
    (
        achievement,
        IpDraft {
            kind: form.text("kind"),
            title: form.text("title"),
            jurisdiction: form.text("jurisdiction"),
            application_number: form.text("application_number"),
            filing_date: form.text("filing_date"),
            grant_number: form.text("grant_number"),
            grant_date: form.text("grant_date"),
            legal_status: form.text("legal_status"),
        },
    )
}

pub async fn new_form(State(state): State<AppState>, ctx: Ctx, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    if let Err(e) = ctx.actor.require(Permission::IpManage) {
        return fail(&ctx, e);
    }
    let achievement = pairs.iter().find(|(k, _)| k == "achievement_id").and_then(|(_, v)| v.trim().parse::<i64>().ok());
    let mut draft =
        IpDraft { kind: IpKind::InventionPatent.code().into(), jurisdiction: "CN".into(), ..Default::default() };
    // A linked achievement lends its title (the patent application usually carries it).
    if let Some(a) = achievement {
        match state.app.achievement(&ctx.actor, tto_domain::AchievementId(a)).await {
            Ok(v) if !v.redacted && Some(v.achievement.institution_id) == ctx.actor.institution_id() => {
                draft.title = v.achievement.fields.title.clone();
                if IpKind::from_code(v.achievement.fields.kind.code()).is_ok() {
                    draft.kind = v.achievement.fields.kind.code().to_string();
                }
            }
            Ok(_) => return fail(&ctx, AppError::NotFound { entity: "achievement" }),
            Err(e) => return fail(&ctx, e),
        }
    }
    render(&form_page(&state, &ctx, None, achievement, draft, FormErrors::default()).await)
}

pub async fn create(State(state): State<AppState>, ctx: Ctx, CsrfForm(form): CsrfForm) -> Response {
    let ctx = Ctx { path: "/ip/new".into(), ..ctx };
    let (achievement, draft) = draft_from(&form);
    match state.app.create_ip_record(&ctx.actor, achievement, &draft).await {
        Ok(r) => see_other(&format!("/ip/{}?done=created", r.id)),
        Err(e) => {
            let e = super::rename_fields(e, RENAMES);
            match FormErrors::from_app(ctx.t(), &e) {
                Some(errors) => render_status(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &form_page(&state, &ctx, None, achievement, draft, errors).await,
                ),
                None => fail(&ctx, e),
            }
        }
    }
}

fn draft_of(r: &IpRecord) -> IpDraft {
    let f = &r.fields;
    IpDraft {
        kind: f.kind.code().into(),
        title: f.title.clone(),
        jurisdiction: f.jurisdiction.clone(),
        application_number: f.application_number.clone(),
        filing_date: date(f.filing_date),
        grant_number: f.grant_number.clone().unwrap_or_default(),
        grant_date: opt_date(f.grant_date),
        legal_status: f.legal_status.code().into(),
    }
}

pub async fn edit_form(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    let v = match state.app.ip_record(&ctx.actor, id).await {
        Ok(v) => v,
        Err(e) => return fail(&ctx, e),
    };
    if !v.can_manage {
        return fail(&ctx, AppError::Forbidden);
    }
    let r = &v.record;
    let page = form_page(
        &state,
        &ctx,
        Some((id, r.version)),
        r.achievement_id.map(|a| a.0),
        draft_of(r),
        FormErrors::default(),
    )
    .await;
    render(&page)
}

pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm,
) -> Response {
    let ctx = Ctx { path: format!("/ip/{id}/edit"), ..ctx };
    let version = form.get("version").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let (achievement, draft) = draft_from(&form);
    match state.app.update_ip_record(&ctx.actor, id, version, achievement, &draft).await {
        Ok(_) => see_other(&format!("/ip/{id}?done=updated")),
        Err(e) => {
            let e = super::rename_fields(e, RENAMES);
            match FormErrors::from_app(ctx.t(), &e) {
                Some(errors) => render_status(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &form_page(&state, &ctx, Some((id, version)), achievement, draft, errors).await,
                ),
                None => fail(&ctx, e),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The record
// ---------------------------------------------------------------------------------------

pub struct AnnuityRow {
    pub year: u32,
    pub due_on: String,
    pub paid_on: String,
    pub amount: String,
    pub overdue: bool,
    pub due_soon: bool,
}

#[derive(Template)]
#[template(path = "ip/detail.html")]
struct DetailPage {
    layout: Layout,
    id: i64,
    version: i64,
    kind: String,
    title: String,
    institution: String,
    jurisdiction: String,
    application_number: String,
    filing_date: String,
    grant_number: String,
    grant_date: String,
    legal_status: String,
    legal_badge: &'static str,
    expires_on: String,
    term: String,
    achievement_id: Option<i64>,
    achievement_title: String,
    pays_annuities: bool,
    granted_patent: bool,
    annuities: Vec<AnnuityRow>,
    unpaid_years: Vec<u32>,
    overdue: usize,
    programme: bool,
    programme_status: String,
    programme_badge: &'static str,
    programme_steps: Vec<Choice>,
    can_manage: bool,
    pay_year: String,
    pay_paid_on: String,
    pay_amount: String,
    reminder_help: String,
    timeline: Vec<(String, String, String)>,
    errors: FormErrors,
}

struct Payment {
    year: String,
    paid_on: String,
    amount: String,
}

fn detail_page(
    state: &AppState,
    ctx: &Ctx,
    v: &IpView,
    timeline: Vec<(String, String, String)>,
    errors: FormErrors,
    payment: Option<Payment>,
    notice: Option<String>,
) -> DetailPage {
    let t = ctx.t();
    let r = &v.record;
    let f = &r.fields;
    let title = format!("{} · {}", t.code("ip.kind", f.kind.code()), f.application_number);
    let mut layout = Layout::new(ctx, title.clone())
        .crumb(t.s("ip.title"), "/ip")
        .crumb(f.application_number.clone(), format!("/ip/{}", r.id));
    layout.notice = notice;
    let today = state.app.today();
    let (days, source) = reminder_rule(state);
    let annuities: Vec<AnnuityRow> = v
        .annuities
        .iter()
        .map(|l| AnnuityRow {
            year: l.annuity.year,
            due_on: date(l.annuity.due_on),
            paid_on: l.payment.as_ref().map(|p| date(p.paid_on)).unwrap_or_default(),
            amount: l.payment.as_ref().map(|p| p.amount.to_string()).unwrap_or_default(),
            overdue: l.overdue,
            due_soon: l.payment.is_none()
                && !l.overdue
                && l.annuity.due_on >= today
                && (l.annuity.due_on - today).whole_days() <= i64::from(days),
        })
        .collect();
    let unpaid_years: Vec<u32> = v.annuities.iter().filter(|l| l.payment.is_none()).map(|l| l.annuity.year).collect();
    let payment = payment.unwrap_or_else(|| Payment {
        year: unpaid_years.first().map(|y| y.to_string()).unwrap_or_default(),
        paid_on: date(today),
        amount: String::new(),
    });
    let granted_patent = f.legal_status == LegalStatus::Granted && f.kind.pays_annuities();
    let programme_code = r.programme_status.map(ProgrammeStatus::code).unwrap_or("");
    DetailPage {
        layout,
        id: r.id,
        version: r.version,
        kind: t.code("ip.kind", f.kind.code()),
        title: f.title.clone(),
        institution: r.institution_name.clone(),
        jurisdiction: f.jurisdiction.clone(),
        application_number: f.application_number.clone(),
        filing_date: date(f.filing_date),
        grant_number: f.grant_number.clone().unwrap_or_else(|| "—".into()),
        grant_date: f.grant_date.map(date).unwrap_or_else(|| "—".into()),
        legal_status: t.code("ip.legal_status", f.legal_status.code()),
        legal_badge: legal_badge(f.legal_status),
        expires_on: v.expires_on.map(date).unwrap_or_else(|| "—".into()),
        term: v
            .term
            .as_ref()
            .map(|p| {
                format!(
                    "{}（{}）",
                    super::policy::value_lines(t, &p.value).join("；"),
                    tto_app::empowerment::citation_of(p)
                )
            })
            .unwrap_or_default(),
        achievement_id: r.achievement_id.map(|a| a.0),
        achievement_title: r.achievement_title.clone().unwrap_or_default(),
        pays_annuities: f.kind.pays_annuities(),
        granted_patent,
        overdue: v.annuities.iter().filter(|l| l.overdue).count(),
        annuities,
        unpaid_years,
        programme: r.programme,
        programme_status: r.programme_status.map(|s| t.code("ip.programme_status", s.code())).unwrap_or_default(),
        programme_badge: r.programme_status.map(programme_badge).unwrap_or("grey"),
        programme_steps: ProgrammeStatus::ALL
            .iter()
            .map(|s| Choice {
                value: s.code().into(),
                label: t.code("ip.programme_status", s.code()),
                selected: s.code() == programme_code,
            })
            .collect(),
        can_manage: v.can_manage,
        pay_year: payment.year,
        pay_paid_on: payment.paid_on,
        pay_amount: payment.amount,
        reminder_help: t.f("ip.reminder_help", &[("n", days.to_string()), ("source", source)]),
        timeline,
        errors,
    }
}

async fn timeline(state: &AppState, ctx: &Ctx, id: i64) -> Vec<(String, String, String)> {
    super::record_history(state, ctx, "ip_right", id).await
}

pub async fn detail(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let v = match state.app.ip_record(&ctx.actor, id).await {
        Ok(v) => v,
        Err(e) => return fail(&ctx, e),
    };
    let t = ctx.t();
    let notice = super::done_notice(t, &pairs, "ip.done");
    let tl = timeline(&state, &ctx, id).await;
    render(&detail_page(&state, &ctx, &v, tl, FormErrors::default(), None, notice))
}

async fn redisplay(state: &AppState, ctx: &Ctx, id: i64, errors: FormErrors, payment: Option<Payment>) -> Response {
    match state.app.ip_record(&ctx.actor, id).await {
        Ok(v) => {
            let ctx = Ctx { path: format!("/ip/{id}"), ..ctx.clone() };
            let tl = timeline(state, &ctx, id).await;
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &detail_page(state, &ctx, &v, tl, errors, payment, None))
        }
        Err(e) => fail(ctx, e),
    }
}

pub async fn pay(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, CsrfForm(form): CsrfForm) -> Response {
    let payment = Payment { year: form.text("year"), paid_on: form.text("paid_on"), amount: form.text("amount") };
    match state.app.pay_annuity(&ctx.actor, id, &payment.year, &payment.paid_on, &payment.amount).await {
        Ok(_) => see_other(&format!("/ip/{id}?done=paid#annuities")),
        Err(e) => {
            let e = super::rename_fields(e, PAY_RENAMES);
            match FormErrors::from_app(ctx.t(), &e) {
                Some(errors) => redisplay(&state, &ctx, id, errors, Some(payment)).await,
                None => fail(&ctx, e),
            }
        }
    }
}

pub async fn programme(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm,
) -> Response {
    let version = form.get("version").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let status = form.text("programme_status");
    let status = status.trim();
    let (status, done) =
        if status.is_empty() || status == "out" { (None, "left") } else { (Some(status), "programme") };
    match state.app.set_programme(&ctx.actor, id, version, status).await {
        Ok(_) => see_other(&format!("/ip/{id}?done={done}#programme")),
        Err(e) => match FormErrors::from_app(ctx.t(), &e) {
            Some(errors) => redisplay(&state, &ctx, id, errors, None).await,
            None => fail(&ctx, e),
        },
    }
}

// ---------------------------------------------------------------------------------------
// Annuities due and reminders
// ---------------------------------------------------------------------------------------

pub struct DueRow {
    pub ip_id: i64,
    pub title: String,
    pub institution: String,
    pub application_number: String,
    pub year: u32,
    pub due_on: String,
    pub overdue: bool,
    pub days: i64,
}

pub struct ReminderRow {
    pub ip_id: i64,
    pub title: String,
    pub year: i64,
    pub due_on: String,
    pub status: String,
}

#[derive(Template)]
#[template(path = "ip/due.html")]
struct DuePage {
    layout: Layout,
    rows: Vec<DueRow>,
    overdue: usize,
    reminders: Vec<ReminderRow>,
    help: String,
}

pub async fn due(State(state): State<AppState>, ctx: Ctx) -> Response {
    let t = ctx.t();
    let rows = match state.app.due_annuities(&ctx.actor).await {
        Ok(r) => r,
        Err(e) => return fail(&ctx, e),
    };
    let reminders = match state.app.reminders(&ctx.actor).await {
        Ok(r) => r,
        Err(e) => return fail(&ctx, e),
    };
    let today = state.app.today();
    let (days, source) = reminder_rule(&state);
    let title_of = |id: i64| rows.iter().find(|d| d.record.id == id).map(|d| d.record.fields.title.clone());
    let reminders: Vec<ReminderRow> = reminders
        .iter()
        .filter(|r| r.subject == "annuity")
        .map(|r| ReminderRow {
            ip_id: r.subject_id,
            title: title_of(r.subject_id).unwrap_or_else(|| format!("#{}", r.subject_id)),
            year: r.period,
            due_on: date(r.due_on),
            status: t.code("ip.reminder_status", &r.status),
        })
        .collect();
    render(&DuePage {
        layout: Layout::new(&ctx, t.s("ip.due_title"))
            .crumb(t.s("ip.title"), "/ip")
            .crumb(t.s("ip.due_title"), "/ip/due"),
        overdue: rows.iter().filter(|d| d.overdue).count(),
        rows: rows
            .iter()
            .map(|d| DueRow {
                ip_id: d.record.id,
                title: d.record.fields.title.clone(),
                institution: d.record.institution_name.clone(),
                application_number: d.record.fields.application_number.clone(),
                year: d.annuity.year,
                due_on: date(d.annuity.due_on),
                overdue: d.overdue,
                days: (d.annuity.due_on - today).whole_days().abs(),
            })
            .collect(),
        reminders,
        help: t.f("ip.due_help", &[("n", days.to_string()), ("source", source)]),
    })
}

// ---------------------------------------------------------------------------------------
// The patent-conversion programme
// ---------------------------------------------------------------------------------------

pub struct RateRow {
    pub institution: String,
    pub granted: usize,
    pub in_programme: usize,
    pub converted: usize,
    pub rate: String,
    /// Bar width in percent (0–100).
    pub bar: String,
}

#[derive(Template)]
#[template(path = "ip/programme.html")]
struct ProgrammePage {
    layout: Layout,
    rows: Vec<RateRow>,
    granted: usize,
    in_programme: usize,
    converted: usize,
    rate: String,
}

pub async fn programme_rates(State(state): State<AppState>, ctx: Ctx) -> Response {
    let t = ctx.t();
    let rows = match state.app.programme_rates(&ctx.actor).await {
        Ok(r) => r,
        Err(e) => return fail(&ctx, e),
    };
    let granted = rows.iter().map(|r| r.granted).sum();
    let in_programme: usize = rows.iter().map(|r| r.in_programme).sum();
    let converted: usize = rows.iter().map(|r| r.converted).sum();
    // One decimal, half away from zero, as the use case rounds each university's rate.
    let rate = match (converted * 1000 + in_programme / 2).checked_div(in_programme) {
        Some(tenths) => format!("{}.{} %", tenths / 10, tenths % 10),
        None => "—".into(),
    };
    render(&ProgrammePage {
        layout: Layout::new(&ctx, t.s("ip.programme_title"))
            .crumb(t.s("ip.title"), "/ip")
            .crumb(t.s("ip.programme_title"), "/ip/programme"),
        rows: rows
            .iter()
            .map(|r| RateRow {
                institution: r.institution_name.clone(),
                granted: r.granted,
                in_programme: r.in_programme,
                converted: r.converted,
                rate: r.rate.map(|x| format!("{x} %")).unwrap_or_else(|| "—".into()),
                bar: r.rate.map(|x| x.round().to_string()).unwrap_or_else(|| "0".into()),
            })
            .collect(),
        granted,
        in_programme,
        converted,
        rate,
    })
}
