//! `/api/v1/search`: achievements and technology needs, in Chinese and English.

use axum::Json;
use axum::extract::{Query, State};
use serde::Serialize;
use tto_app::AppError;
use tto_app::search::{SearchQuery, SearchResults};
use tto_domain::Violation;
use utoipa::{IntoParams, ToSchema};

use super::json::{Pairs, param};
use crate::AppState;
use crate::context::Ctx;
use crate::error::{ApiError, ErrorBody};
use crate::i18n::Lang;

#[derive(Debug, Serialize, ToSchema)]
pub struct SnippetDto {
    /// `title`, `keywords` or `body`.
    pub field: String,
    /// Escaped text; the only markup is `<b>…</b>` around matched words.
    pub html: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MatchedDto {
    pub field: String,
    pub term: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchHitDto {
    /// `achievement` or `need`.
    pub kind: String,
    pub id: i64,
    pub title: String,
    pub institution_id: i64,
    pub institution_name: String,
    pub status: String,
    pub score: f32,
    pub snippets: Vec<SnippetDto>,
    /// The query terms found, per field: why it matched.
    pub matched: Vec<MatchedDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FacetDto {
    pub value: String,
    pub count: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FacetsDto {
    pub kind: Vec<FacetDto>,
    pub chain: Vec<FacetDto>,
    pub status: Vec<FacetDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchDto {
    /// Matches the caller may see (counted over the best 1,000).
    pub total: usize,
    pub hits: Vec<SearchHitDto>,
    /// Counts over every visible match.
    pub facets: FacetsDto,
}

#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct SearchParams {
    /// Words in Chinese or English, at most 500 characters (no syntax: any text is a bag of
    /// words). Empty finds nothing.
    q: Option<String>,
    /// `achievement` or `need`.
    kind: Option<String>,
    /// An industrial-chain code.
    chain: Option<String>,
    discipline: Option<String>,
    /// 1–9.
    trl_min: Option<i64>,
    /// 1–9.
    trl_max: Option<i64>,
    institution_id: Option<i64>,
    status: Option<String>,
    offset: Option<i64>,
    /// 1–100 (default 20).
    limit: Option<i64>,
}

/// Keeps only `<b>` and `</b>` of a snippet: every other character is escaped again.
pub(crate) fn safe_snippet(html: &str) -> String {
    let mut out = String::with_capacity(html.len() + 16);
    let mut rest = html;
    while !rest.is_empty() {
        let open = rest.find("<b>");
        let close = rest.find("</b>");
        let (at, tag) = match (open, close) {
            (Some(o), Some(c)) if o < c => (o, "<b>"),
            (Some(o), None) => (o, "<b>"),
            (_, Some(c)) => (c, "</b>"),
            (None, None) => (rest.len(), ""),
        };
        escape_into(&unescape(&rest[..at]), &mut out);
        out.push_str(tag);
        rest = &rest[(at + tag.len()).min(rest.len())..];
    }
    out
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

fn escape_into(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

fn int(lang: Lang, pairs: &Pairs, name: &str) -> Result<Option<i64>, ApiError> {
    param(pairs, name)
        .map(|v| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| ApiError::bad_field(lang, name, &Violation::InvalidFormat { expected: "integer" }))
        })
        .transpose()
}

/// Reads the query string; bad numbers are a 400 naming the field.
pub(crate) fn search_query(lang: Lang, pairs: &Pairs) -> Result<SearchQuery, ApiError> {
    let text = |name: &str| param(pairs, name).map(|s| s.trim().to_string());
    Ok(SearchQuery {
        text: pairs.iter().find(|(k, _)| k == "q").map(|(_, v)| v.clone()).unwrap_or_default(),
        kind: text("kind"),
        chain: text("chain"),
        discipline: text("discipline"),
        trl_min: int(lang, pairs, "trl_min")?,
        trl_max: int(lang, pairs, "trl_max")?,
        institution_id: int(lang, pairs, "institution_id")?,
        status: text("status"),
        offset: int(lang, pairs, "offset")?.unwrap_or(0),
        limit: int(lang, pairs, "limit")?.unwrap_or(20),
    })
}

/// Bad search input is a 400 with the first field at fault.
pub(crate) fn search_error(ctx: &Ctx, e: AppError) -> ApiError {
    match e {
        AppError::Validation(errors) if !errors.errors.is_empty() => {
            let first = &errors.errors[0];
            ApiError::bad_field(ctx.lang, &first.field, &first.violation)
        }
        other => ctx.api_error(other),
    }
}

fn dto(r: SearchResults) -> SearchDto {
    let facets = |v: Vec<(String, usize)>| v.into_iter().map(|(value, count)| FacetDto { value, count }).collect();
    SearchDto {
        total: r.total,
        hits: r
            .hits
            .into_iter()
            .map(|h| SearchHitDto {
                kind: h.kind.code().to_string(),
                id: h.id,
                title: h.title,
                institution_id: h.institution_id.0,
                institution_name: h.institution_name,
                status: h.status,
                score: h.score,
                snippets: h
                    .snippets
                    .into_iter()
                    .map(|s| SnippetDto { field: s.field.to_string(), html: safe_snippet(&s.html) })
                    .collect(),
                matched: h
                    .matched
                    .into_iter()
                    .map(|(field, term)| MatchedDto { field: field.to_string(), term })
                    .collect(),
            })
            .collect(),
        facets: FacetsDto {
            kind: facets(r.facets.kinds),
            chain: facets(r.facets.chains),
            status: facets(r.facets.statuses),
        },
    }
}

/// Search achievements and needs the caller may see: anonymous callers find published
/// records; members also their institution's; regulators everything. Each hit says which
/// words matched where, with highlighted snippets; facets count the matches by kind, chain
/// and status.
#[utoipa::path(
    get, path = "/api/v1/search", tag = "search", params(SearchParams),
    responses((status = 200, body = SearchDto), (status = 400, description = "Bad parameter", body = ErrorBody)),
    security((), ("token" = []), ("session" = []))
)]
pub async fn search(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(pairs): Query<Pairs>,
) -> Result<Json<SearchDto>, ApiError> {
    let query = search_query(ctx.lang, &pairs)?;
    let results = state.app.search(&ctx.actor, &query).await.map_err(|e| search_error(&ctx, e))?;
    Ok(Json(dto(results)))
}

#[cfg(test)]
mod tests {
    use super::safe_snippet;

    #[test]
    fn only_bold_survives() {
        assert_eq!(safe_snippet("a <b>x</b> &lt;script&gt;"), "a <b>x</b> &lt;script&gt;");
        assert_eq!(safe_snippet("<script>alert(1)</script>"), "&lt;script&gt;alert(1)&lt;/script&gt;");
        assert_eq!(safe_snippet("&amp;lt;<b>y"), "&amp;lt;<b>y");
        assert_eq!(safe_snippet("<b onclick=x>z</b>"), "&lt;b onclick=x&gt;z</b>");
    }
}
