//! Ownership empowerment (赋权, measure 九) of job-related achievements.
//!
//! The university and the achievement's contributors agree one of four things:
//! part ownership, transfer of the university's retained share, full ownership, or a
//! long-term use right of at least the policy minimum (10 years in Tianjin). An agreement is
//! drafted, approved by the university's coordination group (measure 一), publicly noticed on
//! campus where the policy requires it, and then takes effect: ownership agreements close the
//! current ownership period and open a new one (the history stays), a use right runs for its
//! term beside unchanged ownership.

use rust_decimal::Decimal;
use time::Date;

use crate::achievement::{Achievement, Holder, HolderKind, OwnershipPeriod};
use crate::institution::InstitutionId;
use crate::percent::{self, Percent};
use crate::period::{Period, parse_date};
use crate::person::PersonId;
use crate::validation::{ValidationErrors, Violation, optional_text, required_text};

code_enum! {
    /// What the agreement grants (measure 九).
    EmpowermentKind {
        PartOwnership => "part_ownership",
        TransferRetainedShare => "transfer_retained_share",
        FullOwnership => "full_ownership",
        LongTermUseRight => "long_term_use_right",
    }
}

code_enum! {
    AgreementStatus {
        Draft => "draft",
        Approved => "approved",
        Noticing => "noticing",
        Effective => "effective",
        Cancelled => "cancelled",
    }
}

code_enum! {
    AgreementAction {
        Approve => "approve",
        StartNotice => "start_notice",
        TakeEffect => "take_effect",
        Cancel => "cancel",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {action} an agreement that is {from}")]
pub struct IllegalAgreementTransition {
    pub from: AgreementStatus,
    pub action: AgreementAction,
}

impl AgreementStatus {
    /// ```text
    /// draft ──approve──▶ approved ──start_notice──▶ noticing ──take_effect──▶ effective
    ///                    approved ──take_effect──▶ effective   (when no notice is required)
    /// draft | approved | noticing ──cancel──▶ cancelled
    /// ```
    pub fn apply(self, action: AgreementAction) -> Result<AgreementStatus, IllegalAgreementTransition> {
        use AgreementAction as A;
        use AgreementStatus as S;
        Ok(match (self, action) {
            (S::Draft, A::Approve) => S::Approved,
            (S::Approved, A::StartNotice) => S::Noticing,
            (S::Approved | S::Noticing, A::TakeEffect) => S::Effective,
            (S::Draft | S::Approved | S::Noticing, A::Cancel) => S::Cancelled,
            (from, action) => return Err(IllegalAgreementTransition { from, action }),
        })
    }

    pub fn allowed_actions(self) -> Vec<AgreementAction> {
        AgreementAction::ALL.iter().copied().filter(|a| self.apply(*a).is_ok()).collect()
    }

    /// Still being worked on (not yet effective, not cancelled).
    pub fn is_pending(self) -> bool {
        matches!(self, AgreementStatus::Draft | AgreementStatus::Approved | AgreementStatus::Noticing)
    }
}

/// A contributor's part in the agreement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    pub person_id: Option<PersonId>,
    pub name: String,
    /// Ownership agreements: the contributor's share of ownership after the agreement takes
    /// effect. Use rights: the contributor's part within the team holding the right.
    pub share: Percent,
}

/// The agreed terms (everything but the workflow dates).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgreementTerms {
    pub kind: EmpowermentKind,
    pub parties: Vec<Party>,
    /// Contributors' share of conversion income (the university keeps the rest). The
    /// distribution engine takes it before unit rules and statutes.
    pub income_share: Percent,
    /// Contributors' share of transformation costs.
    pub cost_share: Percent,
    /// Contributors' share of patent maintenance fees (annuities).
    pub maintenance_share: Percent,
    /// How later decisions (transfer, licensing, pricing) are taken.
    pub decision_rules: String,
    /// Long-term use right: its term in years.
    pub term_years: Option<u32>,
    /// Transfer of the retained share: the technology-transfer deal or contract it goes through.
    pub deal_reference: Option<String>,
}

/// Raw input of the terms.
#[derive(Debug, Clone, Default)]
pub struct TermsDraft {
    pub kind: String,
    /// (name, share) of each party.
    pub parties: Vec<(String, String)>,
    pub income_share: String,
    pub cost_share: String,
    pub maintenance_share: String,
    pub decision_rules: String,
    pub term_years: Option<String>,
    pub deal_reference: Option<String>,
}

/// The policy values the terms are checked against, with the rule's citation for messages.
#[derive(Debug, Clone)]
pub struct EmpowermentRules {
    pub use_right_min_years: u32,
    /// E.g. "天津市《若干措施》（九）".
    pub use_right_rule: String,
}

fn percent_field(errors: &mut ValidationErrors, field: &str, raw: &str) -> Option<Percent> {
    if raw.trim().is_empty() {
        errors.add(field, Violation::Required);
        return None;
    }
    errors.collect(field, Percent::parse(raw))
}

/// The university's and the contributors' current ownership shares of an achievement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CurrentOwnership {
    pub institution: Decimal,
    pub others: Decimal,
}

/// Shares held on `day`: the owning institution's, and everyone else's.
pub fn current_ownership(a: &Achievement, day: Date) -> Option<CurrentOwnership> {
    let period = a.owners_on(day)?;
    let institution: Decimal = period
        .holders
        .iter()
        .filter(|h| h.kind == HolderKind::Institution && h.institution_id == Some(a.institution_id))
        .map(|h| h.share.value())
        .sum();
    Some(CurrentOwnership { institution, others: Decimal::ONE_HUNDRED - institution })
}

impl AgreementTerms {
    /// Checks the terms against the achievement (job-related, parties are its contributors,
    /// the ownership situation fits the kind) and the policy minimum of the use right.
    pub fn validate(
        draft: &TermsDraft,
        achievement: &Achievement,
        today: Date,
        rules: &EmpowermentRules,
    ) -> Result<AgreementTerms, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if !achievement.fields.job_related {
            errors.add(
                "achievement",
                Violation::Rule {
                    code: "not_job_related",
                    detail: "empowerment applies to job-related achievements (职务科技成果) only — measure 九".into(),
                },
            );
        }
        let kind = errors.collect("kind", EmpowermentKind::from_code(&draft.kind));
        let income_share = percent_field(&mut errors, "income_share", &draft.income_share);
        let cost_share = percent_field(&mut errors, "cost_share", &draft.cost_share);
        let maintenance_share = percent_field(&mut errors, "maintenance_share", &draft.maintenance_share);
        let decision_rules = required_text(&mut errors, "decision_rules", &draft.decision_rules, 2000);
        let deal_reference = optional_text(&mut errors, "deal_reference", draft.deal_reference.as_deref(), 200);

        // Parties: contributors of the achievement, each once, with a valid share.
        let rows: Vec<&(String, String)> =
            draft.parties.iter().filter(|(n, s)| !(n.trim().is_empty() && s.trim().is_empty())).collect();
        if rows.is_empty() {
            errors.add("parties", Violation::Required);
        }
        let mut parties = Vec::with_capacity(rows.len());
        let mut all_valid = true;
        for (i, (name, share)) in rows.iter().enumerate() {
            let name = name.trim();
            let contributor = achievement.fields.contributors.iter().find(|c| c.name == name);
            if contributor.is_none() {
                errors.add(
                    format!("parties[{i}].name"),
                    Violation::Rule {
                        code: "not_a_contributor",
                        detail: format!("{name} is not a contributor of the achievement"),
                    },
                );
            }
            if parties.iter().any(|p: &Party| p.name == name) {
                errors.add(format!("parties[{i}].name"), Violation::Duplicate { value: name.to_string() });
            }
            let share = percent_field(&mut errors, &format!("parties[{i}].share"), share);
            if share == Some(Percent::ZERO) {
                errors.add(
                    format!("parties[{i}].share"),
                    Violation::OutOfRange { min: "0.0001".into(), max: "100".into() },
                );
            }
            match (contributor, share) {
                (Some(c), Some(share)) => parties.push(Party { person_id: c.person_id, name: name.to_string(), share }),
                _ => all_valid = false,
            }
        }
        let total = percent::total(parties.iter().map(|p| p.share));
        let current = current_ownership(achievement, today);
        let mut term_years = None;
        if let (Some(kind), true) = (kind, all_valid && !parties.is_empty()) {
            match kind {
                EmpowermentKind::PartOwnership => {
                    if total <= Decimal::ZERO || total >= Decimal::ONE_HUNDRED {
                        errors.add(
                            "parties",
                            Violation::Rule {
                                code: "part_share_range",
                                detail: format!(
                                    "part ownership gives the contributors more than 0 % and less than 100 % (now {} %); use full ownership for 100 %",
                                    total.normalize()
                                ),
                            },
                        );
                    }
                    if current.is_some_and(|c| c.institution != Decimal::ONE_HUNDRED) {
                        errors.add(
                            "kind",
                            Violation::Rule {
                                code: "ownership_already_shared",
                                detail: "the university no longer holds 100 %; transfer its retained share instead"
                                    .into(),
                            },
                        );
                    }
                }
                EmpowermentKind::TransferRetainedShare => {
                    if total != Decimal::ONE_HUNDRED {
                        errors.add("parties", Violation::SharesNotHundred { total: total.normalize().to_string() });
                    }
                    if !current.is_some_and(|c| c.institution > Decimal::ZERO && c.institution < Decimal::ONE_HUNDRED) {
                        errors.add(
                            "kind",
                            Violation::Rule {
                                code: "no_retained_share",
                                detail: "only a share the university retained after part ownership can be transferred"
                                    .into(),
                            },
                        );
                    }
                    if deal_reference.is_none() {
                        errors.add("deal_reference", Violation::Required);
                    }
                }
                EmpowermentKind::FullOwnership => {
                    if total != Decimal::ONE_HUNDRED {
                        errors.add("parties", Violation::SharesNotHundred { total: total.normalize().to_string() });
                    }
                    if current.is_some_and(|c| c.institution != Decimal::ONE_HUNDRED) {
                        errors.add(
                            "kind",
                            Violation::Rule {
                                code: "ownership_already_shared",
                                detail: "the university no longer holds 100 %; transfer its retained share instead"
                                    .into(),
                            },
                        );
                    }
                }
                EmpowermentKind::LongTermUseRight => {
                    if total != Decimal::ONE_HUNDRED {
                        errors.add("parties", Violation::SharesNotHundred { total: total.normalize().to_string() });
                    }
                }
            }
        }
        if kind == Some(EmpowermentKind::LongTermUseRight) {
            match draft.term_years.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
                None => errors.add("term_years", Violation::Required),
                Some(t) => match t.parse::<u32>() {
                    Err(_) => errors.add("term_years", Violation::InvalidFormat { expected: "positive_integer" }),
                    Ok(years) if years < rules.use_right_min_years => errors.add(
                        "term_years",
                        Violation::BelowPolicyMinimum {
                            minimum: rules.use_right_min_years.to_string(),
                            unit: "years",
                            rule: rules.use_right_rule.clone(),
                        },
                    ),
                    Ok(years) if years > 50 => errors.add(
                        "term_years",
                        Violation::OutOfRange { min: rules.use_right_min_years.to_string(), max: "50".into() },
                    ),
                    Ok(years) => term_years = Some(years),
                },
            }
        }
        match (kind, income_share, cost_share, maintenance_share, decision_rules) {
            (Some(kind), Some(income_share), Some(cost_share), Some(maintenance_share), Some(decision_rules))
                if errors.is_empty() =>
            {
                Ok(AgreementTerms {
                    kind,
                    parties,
                    income_share,
                    cost_share,
                    maintenance_share,
                    decision_rules,
                    term_years,
                    deal_reference,
                })
            }
            _ => Err(errors),
        }
    }

    /// Whether a new agreement of this kind may be added beside `existing` ones (not
    /// cancelled) of the same achievement.
    pub fn conflicts_with(
        &self,
        existing: &[(EmpowermentKind, AgreementStatus, Option<Period>)],
        from: Date,
    ) -> Option<Violation> {
        conflict(self.kind, existing, from)
    }
}

/// Whether a new agreement of `new_kind` may be added beside `existing` ones (not cancelled)
/// of the same achievement: one agreement in progress at a time, nothing after full
/// ownership, no overlapping use rights.
pub fn conflict(
    new_kind: EmpowermentKind,
    existing: &[(EmpowermentKind, AgreementStatus, Option<Period>)],
    from: Date,
) -> Option<Violation> {
    {
        for (kind, status, period) in existing {
            if status.is_pending() {
                return Some(Violation::Rule {
                    code: "agreement_pending",
                    detail: "another agreement of this achievement is still being approved or noticed".into(),
                });
            }
            if *status == AgreementStatus::Effective {
                match (kind, new_kind) {
                    (EmpowermentKind::FullOwnership, _) => {
                        return Some(Violation::Rule {
                            code: "fully_empowered",
                            detail: "full ownership was already granted to the contributors".into(),
                        });
                    }
                    (EmpowermentKind::LongTermUseRight, EmpowermentKind::LongTermUseRight)
                        if period.is_none_or(|p| p.end().is_none_or(|end| end > from)) =>
                    {
                        return Some(Violation::Rule {
                            code: "use_right_running",
                            detail: "a long-term use right is already in force for this period".into(),
                        });
                    }
                    _ => {}
                }
            }
        }
        None
    }
}

/// The ownership history after an ownership agreement takes effect on `from`: the period
/// in force is closed at `from`, and a new one opens with the contributors' agreed shares and
/// the university holding the rest.
pub fn ownership_after(
    achievement: &Achievement,
    institution_name: &str,
    terms: &AgreementTerms,
    agreement_id: i64,
    from: Date,
) -> Result<Vec<OwnershipPeriod>, Violation> {
    if terms.kind == EmpowermentKind::LongTermUseRight {
        return Ok(achievement.ownership.clone());
    }
    let mut periods = achievement.ownership.clone();
    let current = periods
        .iter_mut()
        .find(|p| p.period.contains(from))
        .ok_or(Violation::Rule { code: "no_ownership_period", detail: format!("no ownership period covers {from}") })?;
    if current.period.start() >= from {
        return Err(Violation::Rule {
            code: "effective_too_early",
            detail: format!(
                "the agreement must take effect after {} (the current ownership began then)",
                current.period.start()
            ),
        });
    }
    let end = current.period.end();
    current.period = current.period.ended_at(from)?;
    let contributors = percent::total(terms.parties.iter().map(|p| p.share));
    let mut holders: Vec<Holder> = Vec::new();
    let retained = Decimal::ONE_HUNDRED - contributors;
    if retained > Decimal::ZERO {
        let share =
            Percent::new(retained).map_err(|_| Violation::SharesNotHundred { total: contributors.to_string() })?;
        holders.push(Holder {
            kind: HolderKind::Institution,
            institution_id: Some(InstitutionId(achievement.institution_id.0)),
            person_id: None,
            name: institution_name.to_string(),
            share,
        });
    }
    holders.extend(terms.parties.iter().map(|p| Holder {
        kind: HolderKind::Person,
        institution_id: None,
        person_id: p.person_id,
        name: p.name.clone(),
        share: p.share,
    }));
    periods.push(OwnershipPeriod {
        period: Period::new(from, end)?,
        holders,
        basis: format!("empowerment:{agreement_id}"),
    });
    periods.sort_by_key(|p| p.period.start());
    Ok(periods)
}

/// The notice period of an agreement: starts on `start`, ends no earlier than `min_days`
/// later.
pub fn notice_period(start: &str, end: &str, min_days: u32, rule: &str) -> Result<Period, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let s = errors.collect("notice_starts_on", parse_date(start));
    let e = errors.collect("notice_ends_on", parse_date(end));
    if let (Some(s), Some(e)) = (s, e) {
        let days = (e - s).whole_days();
        if days < i64::from(min_days) {
            errors.add(
                "notice_ends_on",
                Violation::BelowPolicyMinimum { minimum: min_days.to_string(), unit: "days", rule: rule.to_string() },
            );
        } else if let Ok(p) = Period::new(s, Some(e)) {
            return Ok(p);
        }
    }
    Err(errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AchievementId;
    use crate::achievement::{
        AchievementFields, AchievementStatus, AchievementType, Confidentiality, Contributor, FundingSource, Trl,
        original_ownership,
    };
    use time::macros::{date, datetime};

    fn achievement(job_related: bool) -> Achievement {
        Achievement {
            id: AchievementId(1),
            institution_id: InstitutionId(7),
            code: "JMU-2026-000001".into(),
            fields: AchievementFields {
                title: "t".into(),
                summary: "s".into(),
                detail: None,
                keywords: vec![],
                discipline: "d".into(),
                chains: vec![],
                kind: AchievementType::InventionPatent,
                trl: Trl::new(4).unwrap(),
                funding_source: FundingSource::Fiscal,
                funding_refs: vec![],
                completion_date: None,
                confidentiality: Confidentiality::Public,
                contributors: vec![
                    Contributor {
                        person_id: None,
                        name: "张伟".into(),
                        share: Percent::whole(60).unwrap(),
                        main: true,
                    },
                    Contributor {
                        person_id: None,
                        name: "李娜".into(),
                        share: Percent::whole(40).unwrap(),
                        main: false,
                    },
                ],
                job_related,
                major: false,
            },
            ownership: vec![original_ownership(InstitutionId(7), "津门大学", date!(2020 - 01 - 01))],
            status: AchievementStatus::Registered,
            external_ref: None,
            created_at: datetime!(2026-01-01 0:00 UTC),
            updated_at: datetime!(2026-01-01 0:00 UTC),
            version: 1,
        }
    }

    fn rules() -> EmpowermentRules {
        EmpowermentRules { use_right_min_years: 10, use_right_rule: "措施（九）".into() }
    }

    fn draft(kind: &str, parties: &[(&str, &str)]) -> TermsDraft {
        TermsDraft {
            kind: kind.into(),
            parties: parties.iter().map(|(n, s)| (n.to_string(), s.to_string())).collect(),
            income_share: "70".into(),
            cost_share: "30".into(),
            maintenance_share: "50".into(),
            decision_rules: "重大事项由双方协商一致".into(),
            term_years: None,
            deal_reference: None,
        }
    }

    fn codes(r: Result<AgreementTerms, ValidationErrors>) -> Vec<(String, String)> {
        r.unwrap_err().errors.into_iter().map(|e| (e.field, e.violation.code().to_string())).collect()
    }

    #[test]
    fn part_ownership_then_transfer_of_the_retained_share() {
        let mut a = achievement(true);
        let today = date!(2026 - 03 - 01);
        let part =
            AgreementTerms::validate(&draft("part_ownership", &[("张伟", "42"), ("李娜", "28")]), &a, today, &rules())
                .unwrap();
        a.ownership = ownership_after(&a, "津门大学", &part, 1, today).unwrap();
        assert_eq!(a.ownership.len(), 2);
        assert_eq!(a.ownership[0].period.end(), Some(today));
        let now = current_ownership(&a, today).unwrap();
        assert_eq!(now.institution, Decimal::from(30));
        assert_eq!(a.ownership[1].basis, "empowerment:1");

        // The remaining 30 % goes to the contributors through a deal.
        let mut d = draft("transfer_retained_share", &[("张伟", "60"), ("李娜", "40")]);
        assert!(
            codes(AgreementTerms::validate(&d, &a, today, &rules()))
                .contains(&("deal_reference".into(), "required".into()))
        );
        d.deal_reference = Some("技术转让合同 JMU-2026-T-007".into());
        let later = date!(2026 - 06 - 01);
        let transfer = AgreementTerms::validate(&d, &a, later, &rules()).unwrap();
        a.ownership = ownership_after(&a, "津门大学", &transfer, 2, later).unwrap();
        assert_eq!(a.ownership.len(), 3, "history stays visible");
        assert_eq!(current_ownership(&a, later).unwrap().institution, Decimal::ZERO);
        // Nothing is left to transfer or to grant.
        assert!(
            codes(AgreementTerms::validate(&d, &a, later, &rules()))
                .contains(&("kind".into(), "no_retained_share".into()))
        );
    }

    #[test]
    fn shares_must_fit_the_kind() {
        let a = achievement(true);
        let today = date!(2026 - 03 - 01);
        let c = codes(AgreementTerms::validate(
            &draft("part_ownership", &[("张伟", "60"), ("李娜", "40")]),
            &a,
            today,
            &rules(),
        ));
        assert_eq!(c, [("parties".to_string(), "part_share_range".to_string())]);
        let c = codes(AgreementTerms::validate(
            &draft("full_ownership", &[("张伟", "60"), ("李娜", "50")]),
            &a,
            today,
            &rules(),
        ));
        assert_eq!(c, [("parties".to_string(), "shares_not_hundred".to_string())]);
        let c = codes(AgreementTerms::validate(
            &draft("full_ownership", &[("张伟", "60"), ("王五", "40")]),
            &a,
            today,
            &rules(),
        ));
        assert_eq!(c, [("parties[1].name".to_string(), "not_a_contributor".to_string())]);
        let mut d = draft("full_ownership", &[("张伟", "100")]);
        d.income_share = "101".into();
        assert_eq!(
            codes(AgreementTerms::validate(&d, &a, today, &rules())),
            [("income_share".to_string(), "out_of_range".to_string())]
        );
    }

    #[test]
    fn use_right_term_has_a_policy_minimum() {
        let a = achievement(true);
        let today = date!(2026 - 03 - 01);
        let mut d = draft("long_term_use_right", &[("张伟", "100")]);
        d.term_years = Some("8".into());
        let errors = AgreementTerms::validate(&d, &a, today, &rules()).unwrap_err();
        assert_eq!(errors.errors[0].field, "term_years");
        assert_eq!(
            errors.errors[0].violation,
            Violation::BelowPolicyMinimum { minimum: "10".into(), unit: "years", rule: "措施（九）".into() }
        );
        d.term_years = Some("10".into());
        let terms = AgreementTerms::validate(&d, &a, today, &rules()).unwrap();
        assert_eq!(
            ownership_after(&a, "津门大学", &terms, 3, today).unwrap(),
            a.ownership,
            "a use right leaves ownership as it is"
        );
    }

    #[test]
    fn only_job_related_achievements_and_no_conflicts() {
        let a = achievement(false);
        let c = codes(AgreementTerms::validate(
            &draft("full_ownership", &[("张伟", "100")]),
            &a,
            date!(2026 - 03 - 01),
            &rules(),
        ));
        assert_eq!(c, [("achievement".to_string(), "not_job_related".to_string())]);

        let terms = AgreementTerms::validate(
            &draft("full_ownership", &[("张伟", "100")]),
            &achievement(true),
            date!(2026 - 03 - 01),
            &rules(),
        )
        .unwrap();
        let pending = [(EmpowermentKind::PartOwnership, AgreementStatus::Draft, None)];
        assert!(terms.conflicts_with(&pending, date!(2026 - 03 - 01)).is_some());
        let done = [(EmpowermentKind::FullOwnership, AgreementStatus::Effective, None)];
        assert!(terms.conflicts_with(&done, date!(2026 - 03 - 01)).is_some());
        let cancelled = [(EmpowermentKind::FullOwnership, AgreementStatus::Cancelled, None)];
        assert!(terms.conflicts_with(&cancelled, date!(2026 - 03 - 01)).is_none());
        let use_right = Period::new(date!(2020 - 01 - 01), Some(date!(2030 - 01 - 01))).unwrap();
        let mut d = draft("long_term_use_right", &[("张伟", "100")]);
        d.term_years = Some("10".into());
        let terms = AgreementTerms::validate(&d, &achievement(true), date!(2026 - 03 - 01), &rules()).unwrap();
        let running = [(EmpowermentKind::LongTermUseRight, AgreementStatus::Effective, Some(use_right))];
        assert!(terms.conflicts_with(&running, date!(2026 - 03 - 01)).is_some());
        assert!(terms.conflicts_with(&running, date!(2030 - 01 - 01)).is_none());
    }

    #[test]
    fn notice_lasts_at_least_the_minimum() {
        assert!(notice_period("2026-03-01", "2026-03-16", 15, "r").is_ok());
        let e = notice_period("2026-03-01", "2026-03-10", 15, "r").unwrap_err();
        assert_eq!(e.errors[0].violation.code(), "below_policy_minimum");
        assert!(notice_period("x", "2026-03-10", 15, "r").is_err());
    }

    #[test]
    fn lifecycle() {
        use AgreementAction as A;
        use AgreementStatus as S;
        assert_eq!(S::Draft.apply(A::Approve), Ok(S::Approved));
        assert_eq!(S::Approved.apply(A::TakeEffect), Ok(S::Effective));
        assert!(S::Draft.apply(A::TakeEffect).is_err());
        assert!(S::Effective.apply(A::Cancel).is_err());
        assert_eq!(S::Noticing.allowed_actions(), [A::TakeEffect, A::Cancel]);
    }
}
