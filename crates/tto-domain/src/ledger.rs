//! The separate ledger (单列管理, measure 十) of job-related achievements.
//!
//! Every job-related achievement has an entry apart from ordinary state assets: its stage
//! (research or development), whether its cost and its value can be measured reliably, and
//! its recognition. Before conversion, an achievement whose cost or value cannot be measured
//! reliably is **not** recognised as an intangible asset (measure 十); when it is converted by
//! transfer, licence or equity investment, the conversion is booked with the value from the
//! deal.

use crate::money::Money;
use crate::validation::{ValidationErrors, Violation};

code_enum! {
    /// Research (研究阶段) or development (开发阶段), after 政府会计准则第4号.
    Stage {
        Research => "research",
        Development => "development",
    }
}

code_enum! {
    Recognition {
        /// Not on the balance sheet as an intangible asset.
        NotRecognised => "not_recognised",
        /// Recognised at measurable development cost before conversion.
        RecognisedAtCost => "recognised_at_cost",
        /// Booked at conversion with the value of the deal.
        Booked => "booked",
    }
}

code_enum! {
    /// How an achievement was converted (促进科技成果转化法 第十六条 modes that are booked).
    ConversionMode {
        Transfer => "transfer",
        Licence => "licence",
        EquityInvestment => "equity_investment",
    }
}

/// The editable assessment of a ledger entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerAssessment {
    pub stage: Stage,
    pub cost_measurable: bool,
    pub value_measurable: bool,
    pub recognition: Recognition,
    pub book_value: Option<Money>,
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct AssessmentDraft {
    pub stage: String,
    pub cost_measurable: bool,
    pub value_measurable: bool,
    /// `not_recognised` or `recognised_at_cost` (booking happens through a conversion).
    pub recognition: String,
    pub book_value: Option<String>,
    pub notes: Option<String>,
}

impl LedgerAssessment {
    /// Checks the assessment. `booked` is whether conversions were already booked (then the
    /// recognition stays `booked`). `rule` cites measure 十 for messages.
    pub fn validate(draft: &AssessmentDraft, booked: bool, rule: &str) -> Result<LedgerAssessment, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let stage = errors.collect("stage", Stage::from_code(&draft.stage));
        let mut recognition = errors.collect("recognition", Recognition::from_code(&draft.recognition));
        let book_value = match draft.book_value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            None => None,
            Some(v) => errors.collect("book_value", Money::parse(v).and_then(Money::non_negative)),
        };
        let notes = crate::validation::optional_text(&mut errors, "notes", draft.notes.as_deref(), 2000);
        if booked {
            recognition = Some(Recognition::Booked);
        } else {
            match recognition {
                Some(Recognition::Booked) => errors.add(
                    "recognition",
                    Violation::Rule {
                        code: "booking_needs_conversion",
                        detail: "booking happens through a recorded conversion".into(),
                    },
                ),
                Some(Recognition::RecognisedAtCost) => {
                    if !(draft.cost_measurable && draft.value_measurable) {
                        errors.add(
                            "recognition",
                            Violation::Rule {
                                code: "unmeasurable_not_recognised",
                                detail: format!("cost or value cannot be measured reliably: not recognised before conversion ({rule})"),
                            },
                        );
                    }
                    if stage != Some(Stage::Development) {
                        errors.add(
                            "stage",
                            Violation::Rule {
                                code: "research_not_capitalised",
                                detail: "research-stage spending is not capitalised; only development cost may be recognised".into(),
                            },
                        );
                    }
                    if book_value.is_none() {
                        errors.add("book_value", Violation::Required);
                    }
                }
                _ => {}
            }
        }
        match (stage, recognition) {
            (Some(stage), Some(recognition)) if errors.is_empty() => Ok(LedgerAssessment {
                stage,
                cost_measurable: draft.cost_measurable,
                value_measurable: draft.value_measurable,
                recognition,
                book_value: if recognition == Recognition::NotRecognised { None } else { book_value },
                notes,
            }),
            _ => Err(errors),
        }
    }
}

/// A conversion to be recorded: how, for how much, when, with whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversion {
    pub mode: ConversionMode,
    pub value: Money,
    pub occurred_on: time::Date,
    pub counterparty: String,
    pub reference: String,
}

#[derive(Debug, Clone, Default)]
pub struct ConversionDraft {
    pub mode: String,
    pub value: String,
    pub occurred_on: String,
    pub counterparty: String,
    pub reference: String,
}

impl Conversion {
    pub fn validate(d: &ConversionDraft) -> Result<Conversion, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let mode = errors.collect("mode", ConversionMode::from_code(&d.mode));
        let value = if d.value.trim().is_empty() {
            errors.add("value", Violation::Required);
            None
        } else {
            errors.collect("value", Money::parse(&d.value).and_then(Money::non_negative))
        };
        let occurred_on = errors.collect("occurred_on", crate::period::parse_date(&d.occurred_on));
        let counterparty = crate::validation::required_text(&mut errors, "counterparty", &d.counterparty, 200);
        let reference = crate::validation::required_text(&mut errors, "reference", &d.reference, 200);
        match (mode, value, occurred_on, counterparty, reference) {
            (Some(mode), Some(value), Some(occurred_on), Some(counterparty), Some(reference)) if errors.is_empty() => {
                Ok(Conversion { mode, value, occurred_on, counterparty, reference })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(recognition: &str, cost: bool, value: bool, stage: &str, book: Option<&str>) -> AssessmentDraft {
        AssessmentDraft {
            stage: stage.into(),
            cost_measurable: cost,
            value_measurable: value,
            recognition: recognition.into(),
            book_value: book.map(str::to_string),
            notes: None,
        }
    }

    #[test]
    fn unmeasurable_achievements_are_not_recognised_before_conversion() {
        let e = LedgerAssessment::validate(
            &draft("recognised_at_cost", false, true, "development", Some("1000")),
            false,
            "措施（十）",
        )
        .unwrap_err();
        assert_eq!(e.errors[0].violation.code(), "unmeasurable_not_recognised");
        assert!(e.errors[0].violation.to_string().contains("措施（十）"));
        let ok = LedgerAssessment::validate(
            &draft("recognised_at_cost", true, true, "development", Some("1,000")),
            false,
            "r",
        )
        .unwrap();
        assert_eq!(ok.book_value, Some(Money::yuan(1000)));
        let e = LedgerAssessment::validate(&draft("recognised_at_cost", true, true, "research", Some("1")), false, "r")
            .unwrap_err();
        assert_eq!(e.errors[0].violation.code(), "research_not_capitalised");
        let e = LedgerAssessment::validate(&draft("booked", true, true, "research", None), false, "r").unwrap_err();
        assert_eq!(e.errors[0].violation.code(), "booking_needs_conversion");
        let stays =
            LedgerAssessment::validate(&draft("not_recognised", false, false, "research", None), true, "r").unwrap();
        assert_eq!(stays.recognition, Recognition::Booked);
    }

    #[test]
    fn conversions_need_every_fact() {
        let d = ConversionDraft {
            mode: "licence".into(),
            value: "-5".into(),
            occurred_on: "2026-02-30".into(),
            counterparty: " ".into(),
            reference: "合同 1".into(),
        };
        let e = Conversion::validate(&d).unwrap_err();
        let fields: Vec<&str> = e.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["value", "occurred_on", "counterparty"]);
    }
}
