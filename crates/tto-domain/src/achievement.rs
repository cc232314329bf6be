//! Achievements (科技成果): the centre of the ledger.
//!
//! [`AchievementFields::validate`] turns raw input into fields that keep every rule:
//! contributors' shares total exactly 100 %, ownership periods do not overlap and each
//! period's holders total exactly 100 %, TRL is 1–9, chains are known. The lifecycle is an
//! explicit state machine: [`AchievementStatus::apply`] either returns the next status or an
//! [`IllegalTransition`]; nothing changes status any other way.

use std::collections::BTreeSet;
use std::fmt;

use rust_decimal::Decimal;
use time::{Date, OffsetDateTime};

use crate::chain::{ChainCode, ChainTaxonomy};
use crate::institution::InstitutionId;
use crate::percent::{self, Percent};
use crate::period::{Period, parse_date};
use crate::person::PersonId;
use crate::validation::{ValidationErrors, Violation, optional_text, required_text};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AchievementId(pub i64);

impl fmt::Display for AchievementId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

code_enum! {
    /// The legal form of the achievement (DESIGN.md §3).
    AchievementType {
        InventionPatent => "invention_patent",
        UtilityModel => "utility_model",
        Design => "design",
        SoftwareCopyright => "software_copyright",
        IcLayout => "ic_layout",
        PlantVariety => "plant_variety",
        Biomedicine => "biomedicine",
        KnowHow => "know_how",
    }
}

code_enum! {
    /// Who paid for the research: fiscally funded achievements are subject to central
    /// release (measure 十四) and to the state-asset rules of the separate ledger.
    FundingSource {
        Fiscal => "fiscal",
        NonFiscal => "non_fiscal",
    }
}

code_enum! {
    /// What the public may see. `SummaryOnly`: title and public summary are public, the
    /// detail is not. `Confidential`: nothing is public.
    Confidentiality {
        Public => "public",
        SummaryOnly => "summary_only",
        Confidential => "confidential",
    }
}

code_enum! {
    /// Lifecycle of an achievement in the ledger.
    AchievementStatus {
        Draft => "draft",
        Registered => "registered",
        Promoting => "promoting",
        Negotiating => "negotiating",
        Converted => "converted",
        Withdrawn => "withdrawn",
    }
}

code_enum! {
    /// The named steps of the lifecycle.
    AchievementAction {
        Register => "register",
        Publish => "publish",
        StartNegotiation => "start_negotiation",
        AbandonNegotiation => "abandon_negotiation",
        CompleteConversion => "complete_conversion",
        ResumePromotion => "resume_promotion",
        Withdraw => "withdraw",
        Reinstate => "reinstate",
    }
}

code_enum! {
    /// Who holds (a share of) ownership.
    HolderKind {
        Institution => "institution",
        Person => "person",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {action} an achievement that is {from}")]
pub struct IllegalTransition {
    pub from: AchievementStatus,
    pub action: AchievementAction,
}

impl AchievementStatus {
    /// The status after `action`, or why the action is not allowed now.
    ///
    /// ```text
    /// draft ──register──▶ registered ──publish──▶ promoting ──start_negotiation──▶ negotiating
    ///                     registered ──start_negotiation──▶ negotiating
    /// negotiating ──abandon_negotiation──▶ promoting      negotiating ──complete_conversion──▶ converted
    /// converted ──resume_promotion──▶ promoting (e.g. a further non-exclusive licence)
    /// draft | registered | promoting ──withdraw──▶ withdrawn ──reinstate──▶ registered
    /// ```
    pub fn apply(self, action: AchievementAction) -> Result<AchievementStatus, IllegalTransition> {
        use AchievementAction as A;
        use AchievementStatus as S;
        let next = match (self, action) {
            (S::Draft, A::Register) => S::Registered,
            (S::Registered, A::Publish) => S::Promoting,
            (S::Registered | S::Promoting, A::StartNegotiation) => S::Negotiating,
            (S::Negotiating, A::AbandonNegotiation) => S::Promoting,
            (S::Negotiating, A::CompleteConversion) => S::Converted,
            (S::Converted, A::ResumePromotion) => S::Promoting,
            (S::Draft | S::Registered | S::Promoting, A::Withdraw) => S::Withdrawn,
            (S::Withdrawn, A::Reinstate) => S::Registered,
            (from, action) => return Err(IllegalTransition { from, action }),
        };
        Ok(next)
    }

    /// Actions allowed from this status, in the order a user would consider them.
    pub fn allowed_actions(self) -> Vec<AchievementAction> {
        AchievementAction::ALL.iter().copied().filter(|a| self.apply(*a).is_ok()).collect()
    }

    /// Whether the public catalogue may list an achievement in this status.
    pub fn is_published(self) -> bool {
        matches!(self, AchievementStatus::Promoting | AchievementStatus::Negotiating | AchievementStatus::Converted)
    }
}

/// Technology readiness level, 1 (basic principles) to 9 (proven in operation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Trl(u8);

impl Trl {
    pub const MIN: u8 = 1;
    pub const MAX: u8 = 9;

    pub fn new(level: i64) -> Result<Trl, Violation> {
        if (i64::from(Self::MIN)..=i64::from(Self::MAX)).contains(&level) {
            Ok(Trl(level as u8))
        } else {
            Err(Violation::OutOfRange { min: Self::MIN.to_string(), max: Self::MAX.to_string() })
        }
    }

    pub fn parse(input: &str) -> Result<Trl, Violation> {
        let level: i64 = input.trim().parse().map_err(|_| Violation::InvalidFormat { expected: "trl" })?;
        Trl::new(level)
    }

    pub fn level(self) -> u8 {
        self.0
    }
}

/// A person who contributed to the achievement (成果完成人) and their contribution share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contributor {
    pub person_id: Option<PersonId>,
    pub name: String,
    pub share: Percent,
    /// 主要完成人: made a main contribution (matters for the reward-pool split).
    pub main: bool,
}

/// A holder of a share of ownership during one period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub kind: HolderKind,
    pub institution_id: Option<InstitutionId>,
    pub person_id: Option<PersonId>,
    pub name: String,
    pub share: Percent,
}

/// Who owned the achievement, in what shares, during one period. The history of an
/// achievement is a list of non-overlapping periods; empowerment (赋权) closes the current
/// period and opens a new one, so the past stays visible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnershipPeriod {
    pub period: Period,
    pub holders: Vec<Holder>,
    /// Why ownership is as it is: 原始取得, an empowerment agreement, a transfer.
    pub basis: String,
}

/// The validated, editable content of an achievement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AchievementFields {
    pub title: String,
    /// Public summary (摘要).
    pub summary: String,
    /// Detail that may be confidential.
    pub detail: Option<String>,
    pub keywords: Vec<String>,
    pub discipline: String,
    pub chains: Vec<ChainCode>,
    pub kind: AchievementType,
    pub trl: Trl,
    pub funding_source: FundingSource,
    /// Project references (课题编号) of the funding.
    pub funding_refs: Vec<String>,
    pub completion_date: Option<Date>,
    pub confidentiality: Confidentiality,
    pub contributors: Vec<Contributor>,
    /// 职务科技成果: made in the course of duties or mainly with the institution's means.
    pub job_related: bool,
    /// 重大科技成果: watched by dynamic monitoring (measure 六).
    pub major: bool,
}

/// Raw contributor input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContributorDraft {
    pub person_id: Option<i64>,
    pub name: String,
    pub share: String,
    pub main: bool,
}

/// Raw achievement input, as typed into a form, sent to the API or read from an import.
#[derive(Debug, Clone, Default)]
pub struct AchievementDraft {
    pub title: String,
    pub summary: String,
    pub detail: Option<String>,
    pub keywords: Vec<String>,
    pub discipline: String,
    pub chains: Vec<String>,
    pub kind: String,
    pub trl: String,
    pub funding_source: String,
    pub funding_refs: Vec<String>,
    pub completion_date: Option<String>,
    pub confidentiality: String,
    pub contributors: Vec<ContributorDraft>,
    pub job_related: bool,
    pub major: bool,
}

pub const TITLE_MAX: usize = 200;
pub const SUMMARY_MAX: usize = 5_000;
pub const DETAIL_MAX: usize = 20_000;
pub const KEYWORD_MAX: usize = 50;
pub const KEYWORDS_MAX: usize = 20;
pub const DISCIPLINE_MAX: usize = 100;
pub const CHAINS_MAX: usize = 5;
pub const CONTRIBUTORS_MAX: usize = 50;
pub const NAME_MAX: usize = 100;

impl AchievementFields {
    /// Checks every field and reports every problem at once.
    pub fn validate(draft: &AchievementDraft, chains: &ChainTaxonomy) -> Result<AchievementFields, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let title = required_text(&mut errors, "title", &draft.title, TITLE_MAX);
        let summary = required_text(&mut errors, "summary", &draft.summary, SUMMARY_MAX);
        let detail = optional_text(&mut errors, "detail", draft.detail.as_deref(), DETAIL_MAX);
        let keywords = validate_keywords(&mut errors, &draft.keywords);
        let discipline = required_text(&mut errors, "discipline", &draft.discipline, DISCIPLINE_MAX);
        let chain_codes = validate_chains(&mut errors, &draft.chains, chains);
        let kind = errors.collect("kind", AchievementType::from_code(&draft.kind));
        let trl = errors.collect("trl", Trl::parse(&draft.trl));
        let funding_source = errors.collect("funding_source", FundingSource::from_code(&draft.funding_source));
        let funding_refs: Vec<String> =
            draft.funding_refs.iter().map(|r| r.trim().to_string()).filter(|r| !r.is_empty()).collect();
        if funding_refs.iter().any(|r| r.chars().count() > NAME_MAX) {
            errors.add("funding_refs", Violation::TooLong { max: NAME_MAX });
        }
        let completion_date = match draft.completion_date.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(d) => errors.collect("completion_date", parse_date(d)),
        };
        let confidentiality = errors.collect("confidentiality", Confidentiality::from_code(&draft.confidentiality));
        let contributors = validate_contributors(&mut errors, &draft.contributors);

        match (title, summary, discipline, kind, trl, funding_source, confidentiality) {
            (
                Some(title),
                Some(summary),
                Some(discipline),
                Some(kind),
                Some(trl),
                Some(funding_source),
                Some(confidentiality),
            ) if errors.is_empty() => Ok(AchievementFields {
                title,
                summary,
                detail,
                keywords,
                discipline,
                chains: chain_codes,
                kind,
                trl,
                funding_source,
                funding_refs,
                completion_date,
                confidentiality,
                contributors,
                job_related: draft.job_related,
                major: draft.major,
            }),
            _ => Err(errors),
        }
    }
}

fn validate_keywords(errors: &mut ValidationErrors, raw: &[String]) -> Vec<String> {
    let mut keywords: Vec<String> = Vec::new();
    for k in raw.iter().map(|k| k.trim()).filter(|k| !k.is_empty()) {
        if k.chars().count() > KEYWORD_MAX {
            errors.add("keywords", Violation::TooLong { max: KEYWORD_MAX });
        } else if !keywords.iter().any(|existing| existing == k) {
            keywords.push(k.to_string());
        }
    }
    if keywords.len() > KEYWORDS_MAX {
        errors.add("keywords", Violation::OutOfRange { min: "0".into(), max: KEYWORDS_MAX.to_string() });
    }
    keywords
}

fn validate_chains(errors: &mut ValidationErrors, raw: &[String], taxonomy: &ChainTaxonomy) -> Vec<ChainCode> {
    let mut codes: Vec<ChainCode> = Vec::new();
    for c in raw.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
        if let Some(code) = errors.collect("chains", taxonomy.code(c))
            && !codes.contains(&code)
        {
            codes.push(code);
        }
    }
    if codes.len() > CHAINS_MAX {
        errors.add("chains", Violation::OutOfRange { min: "0".into(), max: CHAINS_MAX.to_string() });
    }
    codes
}

pub(crate) fn validate_contributors(errors: &mut ValidationErrors, raw: &[ContributorDraft]) -> Vec<Contributor> {
    let rows: Vec<&ContributorDraft> =
        raw.iter().filter(|c| !(c.name.trim().is_empty() && c.share.trim().is_empty())).collect();
    if rows.is_empty() {
        errors.add("contributors", Violation::Required);
        return Vec::new();
    }
    if rows.len() > CONTRIBUTORS_MAX {
        errors.add("contributors", Violation::OutOfRange { min: "1".into(), max: CONTRIBUTORS_MAX.to_string() });
    }
    let mut contributors = Vec::with_capacity(rows.len());
    let mut names = BTreeSet::new();
    let mut all_shares_valid = true;
    for (i, c) in rows.iter().enumerate() {
        let name = required_text(errors, &format!("contributors[{i}].name"), &c.name, NAME_MAX);
        if let Some(name) = &name
            && !names.insert(name.clone())
        {
            errors.add(format!("contributors[{i}].name"), Violation::Duplicate { value: name.clone() });
        }
        let share = if c.share.trim().is_empty() {
            errors.add(format!("contributors[{i}].share"), Violation::Required);
            None
        } else {
            errors.collect(format!("contributors[{i}].share"), Percent::parse(&c.share))
        };
        all_shares_valid &= share.is_some();
        if let (Some(name), Some(share)) = (name, share) {
            contributors.push(Contributor { person_id: c.person_id.map(PersonId), name, share, main: c.main });
        }
    }
    if all_shares_valid {
        let total = percent::total(contributors.iter().map(|c| c.share));
        if total != Decimal::ONE_HUNDRED {
            errors.add("contributors", Violation::SharesNotHundred { total: total.normalize().to_string() });
        }
    }
    if !rows.iter().any(|c| c.main) {
        errors.add(
            "contributors",
            Violation::Rule {
                code: "main_contributor_required",
                detail: "mark at least one main contributor (主要完成人)".into(),
            },
        );
    }
    contributors
}

/// Raw ownership-holder input.
#[derive(Debug, Clone, Default)]
pub struct HolderDraft {
    pub kind: String,
    pub institution_id: Option<i64>,
    pub person_id: Option<i64>,
    pub name: String,
    pub share: String,
}

/// Raw ownership-period input.
#[derive(Debug, Clone, Default)]
pub struct OwnershipPeriodDraft {
    pub starts_on: String,
    pub ends_on: Option<String>,
    pub basis: String,
    pub holders: Vec<HolderDraft>,
}

/// Validates an ownership history: each period's holders total exactly 100 %, periods do not
/// overlap. Returns the periods sorted by start.
pub fn validate_ownership(drafts: &[OwnershipPeriodDraft]) -> Result<Vec<OwnershipPeriod>, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    if drafts.is_empty() {
        errors.add("ownership", Violation::Required);
    }
    let mut periods = Vec::with_capacity(drafts.len());
    for (i, d) in drafts.iter().enumerate() {
        let prefix = format!("ownership[{i}]");
        let start = errors.collect(format!("{prefix}.starts_on"), parse_date(&d.starts_on));
        let end = match d.ends_on.as_deref().map(str::trim) {
            None | Some("") => Some(None),
            Some(e) => errors.collect(format!("{prefix}.ends_on"), parse_date(e)).map(Some),
        };
        let period = match (start, end) {
            (Some(start), Some(end)) => errors.collect(format!("{prefix}.ends_on"), Period::new(start, end)),
            _ => None,
        };
        let basis = required_text(&mut errors, &format!("{prefix}.basis"), &d.basis, 200);
        let holders = validate_holders(&mut errors, &prefix, &d.holders);
        if let (Some(period), Some(basis)) = (period, basis) {
            periods.push(OwnershipPeriod { period, holders, basis });
        }
    }
    periods.sort_by_key(|p| p.period.start());
    for pair in periods.windows(2) {
        if pair[0].period.overlaps(&pair[1].period) {
            errors.add("ownership", Violation::Overlapping);
            break;
        }
    }
    errors.finish(|| periods)
}

fn validate_holders(errors: &mut ValidationErrors, prefix: &str, raw: &[HolderDraft]) -> Vec<Holder> {
    if raw.is_empty() {
        errors.add(format!("{prefix}.holders"), Violation::Required);
        return Vec::new();
    }
    let mut holders = Vec::with_capacity(raw.len());
    let mut all_valid = true;
    for (j, h) in raw.iter().enumerate() {
        let field = format!("{prefix}.holders[{j}]");
        let kind = errors.collect(format!("{field}.kind"), HolderKind::from_code(&h.kind));
        let name = required_text(errors, &format!("{field}.name"), &h.name, NAME_MAX);
        let share = errors.collect(format!("{field}.share"), Percent::parse(&h.share));
        if kind == Some(HolderKind::Institution) && h.institution_id.is_none() {
            errors.add(format!("{field}.institution_id"), Violation::Required);
        }
        match (kind, name, share) {
            (Some(kind), Some(name), Some(share)) => holders.push(Holder {
                kind,
                institution_id: h.institution_id.map(InstitutionId),
                person_id: h.person_id.map(PersonId),
                name,
                share,
            }),
            _ => all_valid = false,
        }
    }
    if all_valid {
        let total = percent::total(holders.iter().map(|h| h.share));
        if total != Decimal::ONE_HUNDRED {
            errors
                .add(format!("{prefix}.holders"), Violation::SharesNotHundred { total: total.normalize().to_string() });
        }
    }
    holders
}

/// The initial ownership of a new achievement: its institution holds 100 % from the
/// completion date (or from `today` when none is known), open-ended.
pub fn original_ownership(institution_id: InstitutionId, institution_name: &str, since: Date) -> OwnershipPeriod {
    OwnershipPeriod {
        period: Period::open(since),
        holders: vec![Holder {
            kind: HolderKind::Institution,
            institution_id: Some(institution_id),
            person_id: None,
            name: institution_name.to_string(),
            share: Percent::HUNDRED,
        }],
        basis: "original".to_string(),
    }
}

/// An achievement as kept in the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Achievement {
    pub id: AchievementId,
    pub institution_id: InstitutionId,
    /// Ledger number, unique within the institution (e.g. `JM-2026-000123`).
    pub code: String,
    pub fields: AchievementFields,
    pub ownership: Vec<OwnershipPeriod>,
    pub status: AchievementStatus,
    /// Identifier in the system the record was imported from, if any.
    pub external_ref: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// Incremented on every change; updates name the version they were based on.
    pub version: i64,
}

impl Achievement {
    /// Holders on a given day.
    pub fn owners_on(&self, day: Date) -> Option<&OwnershipPeriod> {
        self.ownership.iter().find(|p| p.period.contains(day))
    }

    /// Whether an anonymous visitor may see this achievement at all.
    pub fn is_public(&self) -> bool {
        self.status.is_published() && self.fields.confidentiality != Confidentiality::Confidential
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::ChainDraft;

    fn taxonomy() -> ChainTaxonomy {
        ChainTaxonomy::new(vec![ChainDraft {
            code: "new_materials".into(),
            name_zh: "新材料".into(),
            name_en: "New materials".into(),
            keywords: vec![],
        }])
        .unwrap()
    }

    fn contributor(name: &str, share: &str, main: bool) -> ContributorDraft {
        ContributorDraft { person_id: None, name: name.into(), share: share.into(), main }
    }

    fn draft() -> AchievementDraft {
        AchievementDraft {
            title: "一种高导热石墨烯复合材料".into(),
            summary: "提出了一种制备方法。".into(),
            detail: None,
            keywords: vec!["石墨烯".into(), " 导热 ".into(), "石墨烯".into()],
            discipline: "材料科学与工程".into(),
            chains: vec!["new_materials".into()],
            kind: "invention_patent".into(),
            trl: "4".into(),
            funding_source: "fiscal".into(),
            funding_refs: vec!["NSFC-52000000".into()],
            completion_date: Some("2024-06-30".into()),
            confidentiality: "summary_only".into(),
            contributors: vec![contributor("张伟", "60", true), contributor("李娜", "40", false)],
            job_related: true,
            major: false,
        }
    }

    fn fields_with_errors(d: &AchievementDraft) -> Vec<(String, &'static str)> {
        AchievementFields::validate(d, &taxonomy())
            .unwrap_err()
            .errors
            .into_iter()
            .map(|e| (e.field, e.violation.code()))
            .collect()
    }

    #[test]
    fn valid_draft_is_normalised() {
        let f = AchievementFields::validate(&draft(), &taxonomy()).unwrap();
        assert_eq!(f.keywords, ["石墨烯", "导热"]);
        assert_eq!(f.trl.level(), 4);
        assert_eq!(f.contributors.len(), 2);
    }

    #[test]
    fn shares_must_total_exactly_hundred() {
        let mut d = draft();
        d.contributors[1].share = "39.9999".into();
        assert_eq!(fields_with_errors(&d), [("contributors".to_string(), "shares_not_hundred")]);
        d.contributors[1].share = "40.0001".into();
        assert_eq!(fields_with_errors(&d), [("contributors".to_string(), "shares_not_hundred")]);
        d.contributors = vec![
            contributor("甲", "33.3334", true),
            contributor("乙", "33.3333", false),
            contributor("丙", "33.3333", false),
        ];
        assert!(AchievementFields::validate(&d, &taxonomy()).is_ok());
    }

    #[test]
    fn trl_zero_and_ten_are_out_of_range() {
        for bad in ["0", "10"] {
            let mut d = draft();
            d.trl = bad.into();
            assert_eq!(fields_with_errors(&d), [("trl".to_string(), "out_of_range")]);
        }
        let mut d = draft();
        d.trl = "four".into();
        assert_eq!(fields_with_errors(&d), [("trl".to_string(), "invalid_format")]);
    }

    #[test]
    fn reports_all_problems_at_once() {
        let d = AchievementDraft {
            kind: "poem".into(),
            chains: vec!["mining".into()],
            contributors: vec![contributor("张伟", "abc", false), contributor("张伟", "50", false)],
            ..Default::default()
        };
        let errors = fields_with_errors(&d);
        let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
        for expected in [
            "title",
            "summary",
            "discipline",
            "chains",
            "kind",
            "trl",
            "funding_source",
            "confidentiality",
            "contributors[0].share",
            "contributors[1].name",
            "contributors",
        ] {
            assert!(fields.contains(&expected), "missing {expected} in {fields:?}");
        }
    }

    #[test]
    fn needs_a_main_contributor() {
        let mut d = draft();
        d.contributors[0].main = false;
        assert_eq!(fields_with_errors(&d), [("contributors".to_string(), "main_contributor_required")]);
    }

    #[test]
    fn lifecycle_allows_only_named_transitions() {
        use AchievementAction as A;
        use AchievementStatus as S;
        let mut s = S::Draft;
        for action in [A::Register, A::Publish, A::StartNegotiation, A::CompleteConversion, A::ResumePromotion] {
            s = s.apply(action).unwrap();
        }
        assert_eq!(s, S::Promoting);
        assert_eq!(
            S::Draft.apply(A::CompleteConversion),
            Err(IllegalTransition { from: S::Draft, action: A::CompleteConversion })
        );
        assert!(S::Converted.apply(A::Withdraw).is_err());
        assert!(S::Negotiating.apply(A::Withdraw).is_err());
        assert_eq!(S::Withdrawn.allowed_actions(), [A::Reinstate]);
        // Every (status, action) pair is decided: either a next status or an error.
        for s in S::ALL {
            for a in A::ALL {
                let _ = s.apply(*a);
            }
        }
    }

    fn holder(name: &str, share: &str) -> HolderDraft {
        HolderDraft {
            kind: "person".into(),
            institution_id: None,
            person_id: None,
            name: name.into(),
            share: share.into(),
        }
    }

    #[test]
    fn ownership_periods_must_not_overlap_and_total_hundred() {
        let p1 = OwnershipPeriodDraft {
            starts_on: "2020-01-01".into(),
            ends_on: Some("2025-01-01".into()),
            basis: "original".into(),
            holders: vec![HolderDraft {
                kind: "institution".into(),
                institution_id: Some(1),
                person_id: None,
                name: "大学".into(),
                share: "100".into(),
            }],
        };
        let p2 = OwnershipPeriodDraft {
            starts_on: "2025-01-01".into(),
            ends_on: None,
            basis: "empowerment".into(),
            holders: vec![
                holder("张伟", "70"),
                HolderDraft {
                    kind: "institution".into(),
                    institution_id: Some(1),
                    person_id: None,
                    name: "大学".into(),
                    share: "30".into(),
                },
            ],
        };
        let periods = validate_ownership(&[p2.clone(), p1.clone()]).unwrap();
        assert_eq!(periods[0].basis, "original");

        let mut overlapping = p2.clone();
        overlapping.starts_on = "2024-12-31".into();
        let e = validate_ownership(&[p1.clone(), overlapping]).unwrap_err();
        assert_eq!(e.errors[0].violation, Violation::Overlapping);

        let mut short = p2;
        short.holders[0].share = "60".into();
        let e = validate_ownership(&[p1, short]).unwrap_err();
        assert_eq!(e.errors[0].field, "ownership[1].holders");
        assert_eq!(e.errors[0].violation.code(), "shares_not_hundred");
    }
}
