//! The search page: achievements and technology needs in one box, facets as filter links,
//! highlighted snippets (only `<b>` survives), pages.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use tto_app::search::{MAX_LIMIT, SearchKind};

use super::{Layout, fail, render, render_status};
use crate::AppState;
use crate::api::search::{safe_snippet, search_error, search_query};
use crate::context::Ctx;
use crate::filters::encode;
use crate::i18n::T;

const PAGE_SIZE: i64 = 20;

pub struct HitView {
    pub kind: String,
    pub href: String,
    pub title: String,
    pub institution: String,
    pub status: String,
    /// Sanitised: escaped text with `<b>` only.
    pub snippet: String,
    pub matched: String,
}

pub struct FacetLink {
    pub label: String,
    pub count: usize,
    pub href: String,
    pub active: bool,
}

pub struct FacetGroup {
    pub label: String,
    pub links: Vec<FacetLink>,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    layout: Layout,
    q: String,
    error: String,
    searched: bool,
    total: usize,
    hits: Vec<HitView>,
    facets: Vec<FacetGroup>,
    showing: String,
    prev_href: String,
    next_href: String,
}

fn status_label(t: T, kind: SearchKind, code: &str) -> String {
    match kind {
        SearchKind::Achievement => t.code("achievement.status", code),
        SearchKind::Need => t.code("needs.status", code),
    }
}

/// The current query string with `key` set to `value` (or removed when `None`), page reset.
fn href_with(pairs: &[(String, String)], key: &str, value: Option<&str>) -> String {
    let mut parts: Vec<String> = pairs
        .iter()
        .filter(|(k, v)| k != key && k != "offset" && !v.is_empty())
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    if let Some(v) = value {
        parts.push(format!("{key}={}", encode(v)));
    }
    format!("/search?{}", parts.join("&"))
}

pub async fn page(State(state): State<AppState>, ctx: Ctx, Query(mut pairs): Query<Vec<(String, String)>>) -> Response {
    let t = ctx.t();
    pairs.retain(|(k, _)| k != "limit" && k != "lang");
    let layout = Layout::new(&ctx, t.s("search.title")).crumb(t.s("search.title"), "/search");
    let q = pairs.iter().find(|(k, _)| k == "q").map(|(_, v)| v.clone()).unwrap_or_default();
    let mut page = SearchPage {
        layout,
        q: q.clone(),
        error: String::new(),
        searched: !q.trim().is_empty(),
        total: 0,
        hits: Vec::new(),
        facets: Vec::new(),
        showing: String::new(),
        prev_href: String::new(),
        next_href: String::new(),
    };
    let mut query = match search_query(ctx.lang, &pairs) {
        Ok(query) => query,
        Err(e) => {
            page.error = e.body.error.message.clone();
            return render_status(axum::http::StatusCode::BAD_REQUEST, &page);
        }
    };
    query.limit = PAGE_SIZE.min(MAX_LIMIT);
    let results = match state.app.search(&ctx.actor, &query).await {
        Ok(r) => r,
        Err(tto_app::AppError::Validation(errors)) => {
            page.error = search_error(&ctx, tto_app::AppError::Validation(errors)).body.error.message.clone();
            return render_status(axum::http::StatusCode::BAD_REQUEST, &page);
        }
        Err(e) => return fail(&ctx, e),
    };
    let current = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).unwrap_or_default();
    let group = |label: &str, key: &str, values: &[(String, usize)], name: &dyn Fn(&str) -> String| FacetGroup {
        label: t.s(label).to_string(),
        links: values
            .iter()
            .map(|(v, n)| {
                let active = current(key) == v;
                FacetLink {
                    label: name(v),
                    count: *n,
                    href: href_with(&pairs, key, if active { None } else { Some(v) }),
                    active,
                }
            })
            .collect(),
    };
    page.facets = vec![
        group("search.facet.kind", "kind", &results.facets.kinds, &|v| t.s(&format!("search.kind.{v}")).to_string()),
        group("search.facet.chain", "chain", &results.facets.chains, &|v| {
            crate::explain::chain_label(state.app.chains(), t, v)
        }),
        group("search.facet.status", "status", &results.facets.statuses, &|v| {
            let kind = if matches!(v, "published" | "matched" | "in_progress" | "closed") {
                SearchKind::Need
            } else {
                SearchKind::Achievement
            };
            status_label(t, kind, v)
        }),
    ];
    page.facets.retain(|g| !g.links.is_empty());
    page.total = results.total;
    page.hits = results
        .hits
        .into_iter()
        .map(|h| HitView {
            kind: t.s(&format!("search.kind.{}", h.kind.code())).to_string(),
            href: match h.kind {
                SearchKind::Achievement => format!("/achievements/{}", h.id),
                SearchKind::Need => format!("/needs/{}", h.id),
            },
            status: status_label(t, h.kind, &h.status),
            title: h.title,
            institution: h.institution_name,
            snippet: h
                .snippets
                .iter()
                .find(|s| s.field == "body")
                .or_else(|| h.snippets.first())
                .map(|s| safe_snippet(&s.html))
                .unwrap_or_default(),
            matched: {
                let mut terms: Vec<&str> = Vec::new();
                for (_, term) in &h.matched {
                    if !terms.contains(&term.as_str()) {
                        terms.push(term);
                    }
                }
                terms.join("、")
            },
        })
        .collect();
    let offset = query.offset;
    if page.total > 0 {
        page.showing = t.f(
            "search.showing",
            &[
                ("from", (offset + 1).to_string()),
                ("to", (offset as usize + page.hits.len()).to_string()),
                ("total", page.total.to_string()),
            ],
        );
    }
    let at = |o: i64| {
        let base = href_with(&pairs, "offset", None);
        format!("{base}&offset={o}")
    };
    if offset > 0 {
        page.prev_href = at((offset - PAGE_SIZE).max(0));
    }
    if (offset + PAGE_SIZE) < page.total as i64 {
        page.next_href = at(offset + PAGE_SIZE);
    }
    render(&page)
}
