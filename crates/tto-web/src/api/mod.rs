//! The JSON API under `/api/v1`, described by OpenAPI 3 at `/api/openapi.json`.
//!
//! Authentication: `Authorization: Bearer tto_…` (personal access token), or the browser
//! session cookie plus an `X-CSRF-Token` header on writes. Errors use one envelope
//! (`crate::error::ErrorBody`). Money is a decimal string in yuan; shares are decimal
//! strings in percent. Lists page with an opaque `cursor`.

pub(crate) mod achievements;
pub(crate) mod audit;
mod contracts;
pub(crate) mod deals;
pub(crate) mod disclosures;
pub(crate) mod distributions;
mod empowerment;
pub(crate) mod events;
mod institutions;
pub(crate) mod ip;
mod json;
pub(crate) mod ledger;
mod market;
pub(crate) mod matching;
mod me;
pub(crate) mod needs;
mod policy;
mod releases;
pub(crate) mod reviews;
pub(crate) mod search;
mod tokens;

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "tto API",
        description = "科技成果转化服务平台 · University technology-transfer platform (Tianjin 2023 measures).",
        version = "1"
    ),
    modifiers(&Security),
    components(schemas(crate::error::ErrorBody, crate::error::ErrorDetail, crate::error::FieldDetail)),
    tags(
        (name = "achievements", description = "The achievement ledger (科技成果台账)"),
        (name = "institutions", description = "Institutions (tenants)"),
        (name = "accounts", description = "The signed-in user and personal access tokens"),
        (name = "audit", description = "The tamper-evident audit trail"),
        (name = "policy", description = "Policy profiles: rule values with sources"),
        (name = "empowerment", description = "Ownership empowerment agreements (赋权, measure 九)"),
        (name = "ledger", description = "The separate ledger of job-related achievements (单列管理, measure 十)"),
        (name = "deals", description = "Deals, pricing routes, public notices and objections, the due-diligence exemption (measures 十四, 十七)"),
        (name = "market", description = "Listings and auctions: interest, bidders, bids"),
        (name = "contracts", description = "Technical contracts, registration (认定登记) and payments"),
        (name = "releases", description = "Central release of unconverted fiscally funded achievements (measure 十四)"),
        (name = "disclosures", description = "Invention disclosures: the inventor's portal and the TTO's intake (measure 六)"),
        (name = "evaluations", description = "Pre-filing evaluations and screening rounds scored by reviewers (measure 六)"),
        (name = "ip", description = "IP records, annuities and reminders, monitoring of major achievements, the patent-conversion programme (measure 六)"),
        (name = "needs", description = "Enterprise technology needs (企业技术需求, measure 十五): post, publish, import; contact per policy"),
        (name = "matching", description = "Supply-demand matching (供需匹配, measure 十五): explained candidates both ways, managers for a need, feedback, the brokering pipeline"),
        (name = "events", description = "Handshake events (校企对接活动, measures 六, 十五): invitations, registration, the proposed matchmaking agenda, outcomes"),
        (name = "search", description = "Search achievements and technology needs (Chinese and English), with facets and highlighted snippets"),
        (name = "distribution", description = "Income distribution, rewards and tax (measures 十一, 十六): the preview calculator, distributions, the university's rule, income and expenses"),
    )
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("tto_…").build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::SESSION_COOKIE))),
        );
    }
}

pub use audit::audit_filter;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(achievements::list, achievements::create))
        .routes(routes!(achievements::get_one, achievements::update))
        .routes(routes!(achievements::transition))
        .routes(routes!(achievements::confirm_chain))
        .routes(routes!(achievements::timeline))
        .routes(routes!(institutions::list, institutions::create))
        .routes(routes!(institutions::get_one, institutions::update))
        .routes(routes!(me::me))
        .routes(routes!(tokens::list, tokens::create))
        .routes(routes!(tokens::revoke))
        .routes(routes!(audit::list))
        .routes(routes!(policy::current))
        .routes(routes!(empowerment::list, empowerment::create))
        .routes(routes!(empowerment::get_one))
        .routes(routes!(empowerment::step))
        .routes(routes!(ledger::list))
        .routes(routes!(ledger::reconciliation))
        .routes(routes!(ledger::get_one, ledger::assess))
        .routes(routes!(ledger::record_conversion))
        .routes(routes!(ledger::book))
        .routes(routes!(deals::list, deals::create))
        .routes(routes!(deals::get_one, deals::update))
        .routes(routes!(deals::step))
        .routes(routes!(deals::exemption))
        .routes(routes!(deals::evidence_pack))
        .routes(routes!(deals::notices))
        .routes(routes!(deals::notice))
        .routes(routes!(deals::close_notice))
        .routes(routes!(deals::object))
        .routes(routes!(deals::decide))
        .routes(routes!(market::list))
        .routes(routes!(market::interest))
        .routes(routes!(market::register))
        .routes(routes!(market::decide_bidder))
        .routes(routes!(market::auction))
        .routes(routes!(market::bid))
        .routes(routes!(contracts::list, contracts::create))
        .routes(routes!(contracts::get_one))
        .routes(routes!(contracts::register))
        .routes(routes!(contracts::payment))
        .routes(routes!(releases::list, releases::create))
        .routes(routes!(releases::candidates))
        .routes(routes!(releases::get_one))
        .routes(routes!(releases::publish))
        .routes(routes!(distributions::preview))
        .routes(routes!(distributions::enterprise))
        .routes(routes!(distributions::list, distributions::create))
        .routes(routes!(distributions::statement))
        .routes(routes!(distributions::get_one))
        .routes(routes!(distributions::step))
        .routes(routes!(distributions::rules, distributions::publish_rule))
        .routes(routes!(distributions::entries, distributions::record_entry))
        .routes(routes!(disclosures::list, disclosures::create))
        .routes(routes!(disclosures::get_one, disclosures::update))
        .routes(routes!(disclosures::step))
        .routes(routes!(disclosures::download, disclosures::detach))
        .routes(routes!(reviews::list, reviews::create))
        .routes(routes!(reviews::get_one))
        .routes(routes!(reviews::score))
        .routes(routes!(reviews::conflict))
        .routes(routes!(reviews::decide))
        .routes(routes!(reviews::rounds, reviews::create_round))
        .routes(routes!(reviews::round))
        .routes(routes!(reviews::add_candidate))
        .routes(routes!(reviews::assign))
        .routes(routes!(reviews::score_candidate))
        .routes(routes!(reviews::round_conflict))
        .routes(routes!(reviews::round_step))
        .routes(routes!(reviews::reviewer_candidates))
        .routes(routes!(ip::list, ip::create))
        .routes(routes!(ip::get_one, ip::update))
        .routes(routes!(ip::pay))
        .routes(routes!(ip::programme))
        .routes(routes!(ip::due))
        .routes(routes!(ip::reminders))
        .routes(routes!(ip::monitoring))
        .routes(routes!(ip::programme_rates))
        .routes(routes!(needs::list, needs::create))
        .routes(routes!(needs::import))
        .routes(routes!(needs::get_one, needs::update))
        .routes(routes!(needs::step))
        .routes(routes!(search::search))
        .routes(routes!(matching::need_matches))
        .routes(routes!(matching::need_managers))
        .routes(routes!(matching::achievement_matches))
        .routes(routes!(matching::list, matching::create))
        .routes(routes!(matching::feedback))
        .routes(routes!(matching::get_one))
        .routes(routes!(matching::step))
        .routes(routes!(events::list, events::create))
        .routes(routes!(events::get_one, events::update))
        .routes(routes!(events::step))
        .routes(routes!(events::invite))
        .routes(routes!(events::register))
        .routes(routes!(events::agenda, events::propose))
        .routes(routes!(events::record_outcome))
        .routes(routes!(events::outcomes))
        // Uploads may be larger than the other bodies.
        .merge(
            OpenApiRouter::new()
                .routes(routes!(disclosures::attach))
                .layer(axum::extract::DefaultBodyLimit::max(tto_app::disclosures::ATTACHMENT_MAX_BYTES + 64 * 1024)),
        )
}
