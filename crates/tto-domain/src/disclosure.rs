//! Invention disclosures (成果披露): an inventor describes a result; the TTO accepts it
//! (it becomes an achievement of the ledger), returns it with comments, or rejects it.

use time::Date;

use crate::achievement::{Contributor, ContributorDraft, FundingSource, validate_contributors};
use crate::validation::{ValidationErrors, Violation, optional_text, required_text};

code_enum! {
    DisclosureStatus {
        Draft => "draft",
        Submitted => "submitted",
        /// Sent back to the inventor with comments; editable again.
        Returned => "returned",
        Accepted => "accepted",
        Rejected => "rejected",
    }
}

code_enum! {
    DisclosureAction {
        Submit => "submit",
        Return => "return",
        Accept => "accept",
        Reject => "reject",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {action} a disclosure that is {from}")]
pub struct IllegalDisclosureTransition {
    pub from: DisclosureStatus,
    pub action: DisclosureAction,
}

impl DisclosureStatus {
    /// ```text
    /// draft | returned ──submit──▶ submitted ──accept──▶ accepted
    ///                              submitted ──return──▶ returned
    ///                              submitted ──reject──▶ rejected
    /// ```
    pub fn apply(self, action: DisclosureAction) -> Result<DisclosureStatus, IllegalDisclosureTransition> {
        use DisclosureAction as A;
        use DisclosureStatus as S;
        Ok(match (self, action) {
            (S::Draft | S::Returned, A::Submit) => S::Submitted,
            (S::Submitted, A::Accept) => S::Accepted,
            (S::Submitted, A::Return) => S::Returned,
            (S::Submitted, A::Reject) => S::Rejected,
            (from, action) => return Err(IllegalDisclosureTransition { from, action }),
        })
    }

    /// The inventor may still change the text.
    pub fn editable(self) -> bool {
        matches!(self, DisclosureStatus::Draft | DisclosureStatus::Returned)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisclosureFields {
    pub title: String,
    pub summary: String,
    pub problem: String,
    pub prior_art: String,
    /// Planned papers, talks, theses (a publication before filing destroys novelty).
    pub planned_publications: Option<String>,
    pub first_publication_on: Option<Date>,
    pub funding_source: FundingSource,
    pub funding_refs: Vec<String>,
    pub contributors: Vec<Contributor>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DisclosureDraft {
    pub title: String,
    pub summary: String,
    pub problem: String,
    pub prior_art: String,
    pub planned_publications: String,
    pub first_publication_on: String,
    pub funding_source: String,
    pub funding_refs: Vec<String>,
    pub contributors: Vec<ContributorDraft>,
}

impl DisclosureFields {
    pub fn validate(d: &DisclosureDraft) -> Result<DisclosureFields, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let title = required_text(&mut errors, "title", &d.title, 200);
        let summary = required_text(&mut errors, "summary", &d.summary, 5000);
        let problem = required_text(&mut errors, "problem", &d.problem, 5000);
        let prior_art = required_text(&mut errors, "prior_art", &d.prior_art, 5000);
        let planned_publications =
            optional_text(&mut errors, "planned_publications", Some(&d.planned_publications), 2000);
        let first_publication_on = if d.first_publication_on.trim().is_empty() {
            None
        } else {
            errors.collect("first_publication_on", crate::period::parse_date(&d.first_publication_on))
        };
        let funding_source = errors.collect("funding_source", FundingSource::from_code(&d.funding_source));
        let funding_refs: Vec<String> =
            d.funding_refs.iter().map(|r| r.trim().to_string()).filter(|r| !r.is_empty()).collect();
        if funding_source == Some(FundingSource::Fiscal) && funding_refs.is_empty() {
            errors.add("funding_refs", Violation::Required);
        }
        let contributors = validate_contributors(&mut errors, &d.contributors);
        match (title, summary, problem, prior_art, funding_source) {
            (Some(title), Some(summary), Some(problem), Some(prior_art), Some(funding_source)) if errors.is_empty() => {
                Ok(DisclosureFields {
                    title,
                    summary,
                    problem,
                    prior_art,
                    planned_publications,
                    first_publication_on,
                    funding_source,
                    funding_refs,
                    contributors,
                })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle() {
        use DisclosureAction as A;
        use DisclosureStatus as S;
        assert_eq!(S::Draft.apply(A::Submit), Ok(S::Submitted));
        assert_eq!(S::Submitted.apply(A::Return), Ok(S::Returned));
        assert_eq!(S::Returned.apply(A::Submit), Ok(S::Submitted));
        assert!(S::Accepted.apply(A::Reject).is_err());
        assert!(S::Draft.apply(A::Accept).is_err());
    }

    #[test]
    fn fiscal_funding_needs_a_project_reference() {
        let d = DisclosureDraft {
            title: "一种导热膜".into(),
            summary: "摘要".into(),
            problem: "散热".into(),
            prior_art: "石墨片".into(),
            funding_source: "fiscal".into(),
            contributors: vec![ContributorDraft {
                person_id: None,
                name: "张伟".into(),
                share: "100".into(),
                main: true,
            }],
            ..Default::default()
        };
        assert_eq!(DisclosureFields::validate(&d).unwrap_err().errors[0].field, "funding_refs");
        let ok = DisclosureDraft { funding_refs: vec!["NSFC-1".into()], ..d };
        assert!(DisclosureFields::validate(&ok).is_ok());
    }
}
