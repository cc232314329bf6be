//! The message catalogue: every user-visible string in zh-CN and en.
//!
//! Catalogues are flat TOML files (`i18n/zh-CN.toml`, `i18n/en.toml`) embedded in the
//! binary. zh-CN is the default; `?lang=en` switches and the choice is kept in a cookie.
//! Tests check both catalogues have the same keys and that every key the code and
//! templates use exists.

use std::collections::HashMap;
use std::sync::OnceLock;

use tto_domain::Violation;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "zh" | "zh-cn" | "zh_cn" | "zh-hans" => Some(Lang::Zh),
            "en" | "en-us" | "en-gb" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }
}

pub const ZH_SOURCE: &str = include_str!("../i18n/zh-CN.toml");
pub const EN_SOURCE: &str = include_str!("../i18n/en.toml");

type Catalogue = HashMap<String, String>;

fn parse(source: &str) -> Catalogue {
    // Validated by the tests; a broken catalogue shows keys instead of crashing.
    toml::from_str::<Catalogue>(source).unwrap_or_default()
}

fn catalogue(lang: Lang) -> &'static Catalogue {
    static ZH: OnceLock<Catalogue> = OnceLock::new();
    static EN: OnceLock<Catalogue> = OnceLock::new();
    match lang {
        Lang::Zh => ZH.get_or_init(|| parse(ZH_SOURCE)),
        Lang::En => EN.get_or_init(|| parse(EN_SOURCE)),
    }
}

/// Translator for one language, handed to templates as `t`.
#[derive(Debug, Clone, Copy, Default)]
pub struct T {
    pub lang: Lang,
}

impl T {
    pub fn new(lang: Lang) -> T {
        T { lang }
    }

    /// The message for `key`, or the key itself when missing (tests keep that from happening).
    pub fn s<'a>(&self, key: &'a str) -> &'a str
    where
        'static: 'a,
    {
        catalogue(self.lang).get(key).map(String::as_str).unwrap_or(key)
    }

    /// The message for `prefix.code` (labels of codes: statuses, types, roles…).
    pub fn code(&self, prefix: &str, code: &str) -> String {
        let key = format!("{prefix}.{code}");
        catalogue(self.lang).get(&key).cloned().unwrap_or_else(|| code.to_string())
    }

    /// The message for `key` with `{name}` placeholders filled in.
    pub fn f(&self, key: &str, args: &[(&str, String)]) -> String {
        let mut text = catalogue(self.lang).get(key).cloned().unwrap_or_else(|| key.to_string());
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// A validation problem in words.
    pub fn violation(&self, v: &Violation) -> String {
        let mut args = v.args();
        match v {
            Violation::InvalidFormat { expected } => args = vec![("expected", self.code("expected", expected))],
            Violation::BelowPolicyMinimum { minimum, unit, rule } => {
                args = vec![
                    ("minimum", self.f(&format!("unit.{unit}"), &[("n", minimum.clone())])),
                    ("rule", rule.clone()),
                ];
            }
            _ => {}
        }
        self.f(&format!("violation.{}", v.code()), &args)
    }

    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(source: &str) -> std::collections::BTreeSet<String> {
        toml::from_str::<Catalogue>(source).expect("catalogue parses").into_keys().collect()
    }

    #[test]
    fn both_languages_have_the_same_keys() {
        let zh = keys(ZH_SOURCE);
        let en = keys(EN_SOURCE);
        let only_zh: Vec<_> = zh.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&zh).collect();
        assert!(only_zh.is_empty() && only_en.is_empty(), "only in zh-CN: {only_zh:?}; only in en: {only_en:?}");
    }

    /// Every literal key used in templates and code exists.
    #[test]
    fn every_used_key_exists() {
        let zh = keys(ZH_SOURCE);
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut missing = Vec::new();
        let mut files = Vec::new();
        for dir in ["templates", "src", "src/pages", "src/api"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let path = entry.unwrap().path();
                if path.is_file() {
                    files.push(path);
                }
            }
        }
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap();
            for pattern in ["t.s(\"", ".s(\"", "t.f(\""] {
                for (i, _) in text.match_indices(pattern) {
                    let rest = &text[i + pattern.len()..];
                    let key = &rest[..rest.find('"').unwrap_or(0)];
                    if !key.is_empty() && !key.contains('{') && !zh.contains(key) {
                        missing.push(format!("{}: {key}", path.file_name().unwrap().to_string_lossy()));
                    }
                }
            }
        }
        missing.sort();
        missing.dedup();
        assert!(missing.is_empty(), "keys missing from the catalogue: {missing:#?}");
    }

    /// Every code of the domain's closed sets has a label in both languages.
    #[test]
    fn every_code_has_a_label() {
        use tto_domain::policy::{Grade, ParamKey};
        use tto_domain::{
            AchievementAction, AchievementStatus, AchievementType, Confidentiality, FundingSource, InstitutionKind,
        };
        let zh = keys(ZH_SOURCE);
        let mut wanted = Vec::new();
        wanted.extend(AchievementType::ALL.iter().map(|c| format!("achievement.type.{}", c.code())));
        wanted.extend(AchievementStatus::ALL.iter().map(|c| format!("achievement.status.{}", c.code())));
        wanted.extend(AchievementAction::ALL.iter().map(|c| format!("achievement.action.{}", c.code())));
        wanted.extend(Confidentiality::ALL.iter().map(|c| format!("achievement.confidentiality.{}", c.code())));
        wanted.extend(FundingSource::ALL.iter().map(|c| format!("achievement.funding.{}", c.code())));
        wanted.extend(InstitutionKind::ALL.iter().map(|c| format!("institution.kind.{}", c.code())));
        wanted.extend(tto_app::Role::ALL.iter().map(|c| format!("role.{}", c.code())));
        wanted.extend(ParamKey::ALL.iter().map(|c| format!("policy.key.{}", c.code())));
        wanted.extend(Grade::ALL.iter().map(|c| format!("policy.grade.{}", c.code())));
        use tto_domain::empowerment::{AgreementAction, AgreementStatus, EmpowermentKind};
        use tto_domain::ledger::{ConversionMode, Recognition, Stage};
        wanted.extend(EmpowermentKind::ALL.iter().map(|c| format!("empowerment.kind.{}", c.code())));
        wanted.extend(EmpowermentKind::ALL.iter().map(|c| format!("empowerment.kind_help.{}", c.code())));
        wanted.extend(AgreementStatus::ALL.iter().map(|c| format!("empowerment.status.{}", c.code())));
        wanted.extend(AgreementAction::ALL.iter().map(|c| format!("empowerment.action.{}", c.code())));
        wanted.extend(AgreementAction::ALL.iter().map(|c| format!("empowerment.notice.{}", c.code())));
        wanted.extend(Stage::ALL.iter().map(|c| format!("ledger.stage.{}", c.code())));
        wanted.extend(Recognition::ALL.iter().map(|c| format!("ledger.recognition.{}", c.code())));
        wanted.extend(ConversionMode::ALL.iter().map(|c| format!("ledger.mode.{}", c.code())));
        use tto_domain::auction::{BidderStatus, MarketStatus};
        use tto_domain::contract::ContractCategory;
        use tto_domain::deal::{DealAction, DealMode, DealStatus, PricingRoute};
        use tto_domain::notice::{NoticeStatus, ObjectionStatus};
        wanted.extend(DealMode::ALL.iter().map(|c| format!("deal.mode.{}", c.code())));
        wanted.extend(PricingRoute::ALL.iter().map(|c| format!("deal.route.{}", c.code())));
        wanted.extend(DealStatus::ALL.iter().map(|c| format!("deal.status.{}", c.code())));
        wanted.extend(DealAction::ALL.iter().map(|c| format!("deal.action.{}", c.code())));
        wanted.extend(NoticeStatus::ALL.iter().map(|c| format!("notice.status.{}", c.code())));
        wanted.extend(ObjectionStatus::ALL.iter().map(|c| format!("objection.status.{}", c.code())));
        wanted.extend(MarketStatus::ALL.iter().map(|c| format!("market.status.{}", c.code())));
        wanted.extend(BidderStatus::ALL.iter().map(|c| format!("bidder.status.{}", c.code())));
        wanted.extend(ContractCategory::ALL.iter().map(|c| format!("contract.category.{}", c.code())));
        use tto_domain::disclosure::{DisclosureAction, DisclosureStatus};
        use tto_domain::evaluation::Recommendation;
        use tto_domain::ip::{IpKind, LegalStatus, ProgrammeStatus};
        use tto_domain::monitoring::AlertKind;
        use tto_store::reviews::{EvaluationStatus, RoundKind, RoundStatus};
        wanted.extend(DisclosureStatus::ALL.iter().map(|c| format!("disclosure.status.{}", c.code())));
        wanted.extend(DisclosureAction::ALL.iter().map(|c| format!("disclosure.action.{}", c.code())));
        wanted.extend(Recommendation::ALL.iter().map(|c| format!("evaluation.recommendation.{}", c.code())));
        wanted.extend(EvaluationStatus::ALL.iter().map(|c| format!("evaluation.status.{}", c.code())));
        for c in ["novelty", "patentability", "industrialisation", "maturity", "team"] {
            wanted.push(format!("evaluation.criterion.{c}"));
        }
        wanted.extend(IpKind::ALL.iter().map(|c| format!("ip.kind.{}", c.code())));
        wanted.extend(LegalStatus::ALL.iter().map(|c| format!("ip.legal_status.{}", c.code())));
        wanted.extend(ProgrammeStatus::ALL.iter().map(|c| format!("ip.programme_status.{}", c.code())));
        wanted.extend(AlertKind::ALL.iter().map(|c| format!("monitoring.alert.{}", c.code())));
        wanted.extend(RoundStatus::ALL.iter().map(|c| format!("screening.status.{}", c.code())));
        wanted.extend(RoundKind::ALL.iter().map(|c| format!("screening.kind.{}", c.code())));
        for o in ["sold", "auction", "unsold", "withdrawn"] {
            wanted.push(format!("listing.outcome.{o}"));
        }
        for c in [
            "route_qualifies",
            "notice_completed",
            "notice_long_enough",
            "no_upheld_objection",
            "market_closed_with_buyer",
            "price_fixed",
        ] {
            wanted.push(format!("exemption.condition.{c}"));
        }
        let violations = [
            "required",
            "too_long",
            "out_of_range",
            "invalid_format",
            "unknown_choice",
            "invalid_credit_code",
            "shares_not_hundred",
            "negative",
            "duplicate",
            "overlapping",
            "end_before_start",
            "below_policy_minimum",
            "stale_version",
            "main_contributor_required",
            "password_contains_username",
            "wrong_password",
            "role_not_grantable",
            "no_self_lockout",
            "not_your_institution",
            "illegal_transition",
            "illegal_deal_transition",
            "mixed_institutions",
            "achievement_not_available",
            "confidential_on_market",
            "achievement_in_deal",
            "counterparty_is_seller",
            "price_locked",
            "terms_locked",
            "objection_open",
            "route_mismatch",
            "in_the_past",
            "notice_not_open",
            "notice_not_finished",
            "objection_decided",
            "listing_closed",
            "listing_not_started",
            "listing_running",
            "own_listing",
            "already_interested",
            "auction_closed",
            "auction_not_started",
            "auction_running",
            "already_registered",
            "bidder_decided",
            "bidder_not_approved",
            "below_reserve",
            "below_increment",
            "schedule_total",
            "before_signing",
            "certified_above_amount",
            "payments_exceed_amount",
            "in_the_future",
            "not_a_release_candidate",
            "already_published",
            "illegal_need_transition",
            "need_locked",
            "no_suggestion",
            "min_above_max",
            "phone_or_email",
            "column_count",
        ];
        wanted.extend(violations.iter().map(|v| format!("violation.{v}")));
        // Technology needs.
        use tto_domain::tech_need::{ContactPolicy, NeedAction, NeedStatus};
        wanted.extend(NeedStatus::ALL.iter().map(|c| format!("needs.status.{}", c.code())));
        wanted.extend(NeedAction::ALL.iter().map(|c| format!("needs.action.{}", c.code())));
        wanted.extend(NeedAction::ALL.iter().map(|c| format!("needs.done.{}", c.code())));
        wanted.extend(NeedAction::ALL.iter().map(|c| format!("audit.action.need_{}", c.code())));
        wanted.extend(ContactPolicy::ALL.iter().map(|c| format!("needs.policy.{}", c.code())));
        wanted.extend(ContactPolicy::ALL.iter().map(|c| format!("needs.policy_help.{}", c.code())));
        // Income distribution.
        use tto_domain::distribution::{DistributionMode, LineKind, RewardForm, ShareSource, TtoPosition, Unit};
        use tto_store::distributions::{DistributionStatus, FinanceKind};
        wanted.extend(DistributionMode::ALL.iter().map(|c| format!("distribution.mode.{}", c.code())));
        wanted.extend(DistributionStatus::ALL.iter().map(|c| format!("distribution.status.{}", c.code())));
        wanted.extend(LineKind::ALL.iter().map(|c| format!("distribution.kind.{}", c.code())));
        wanted.extend(RewardForm::ALL.iter().map(|c| format!("distribution.form.{}", c.code())));
        wanted.extend(TtoPosition::ALL.iter().map(|c| format!("distribution.tto_position.{}", c.code())));
        wanted.extend(ShareSource::ALL.iter().map(|c| format!("distribution.source.{}", c.code())));
        wanted.extend(Unit::ALL.iter().map(|c| format!("distribution.unit.{}", c.code())));
        wanted.extend(FinanceKind::ALL.iter().map(|c| format!("finance.kind.{}", c.code())));
        for c in [
            "non_profit_payer",
            "transfer_or_licence",
            "contract_registered",
            "notice_completed",
            "paid_within_window",
            "no_tax_at_grant",
            "qualifying_transfer",
            "not_wholly_related",
        ] {
            wanted.push(format!("tax.condition.{c}"));
        }
        for a in ["approve", "start_notice", "pay", "cancel"] {
            wanted.push(format!("distribution.action.{a}"));
            wanted.push(format!("distribution.done.{a}"));
        }
        let missing: Vec<_> = wanted.into_iter().filter(|k| !zh.contains(k)).collect();
        assert!(missing.is_empty(), "labels missing: {missing:#?}");
    }
}
