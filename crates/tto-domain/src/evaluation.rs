//! Scoring by several reviewers against weighted criteria: the pre-filing patent evaluation
//! (measure 六: centred on industrialisation prospects) and screening rounds (遴选).
//!
//! Each reviewer scores every criterion once on the template's scale; a reviewer who declared
//! a conflict of interest does not score. Results are exact decimals: per criterion the mean,
//! lowest and highest score; overall the weighted mean on the scale and as 0–100, and the
//! spread of the reviewers' weighted totals.

use rust_decimal::{Decimal, RoundingStrategy};

/// Half away from zero, as people round by hand.
fn round(d: Decimal, places: u32) -> Decimal {
    d.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero)
}

use crate::percent::Percent;
use crate::validation::{ValidationErrors, Violation, required_text};

code_enum! {
    /// The TTO's recommendation after a pre-filing evaluation.
    Recommendation {
        FilePatent => "file_patent",
        TechnicalSecret => "technical_secret",
        DontFile => "dont_file",
        Defer => "defer",
    }
}

/// A weighted criterion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Criterion {
    /// A code (profile templates: `novelty`, `patentability`, `industrialisation` …) or, in a
    /// screening round, the criterion's name.
    pub code: String,
    pub weight: Percent,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub criteria: Vec<Criterion>,
    /// Lowest and highest score (e.g. 1–5).
    pub scale: (u32, u32),
}

impl Template {
    /// A template from rows of (name, weight) typed by a person: weights total exactly 100 %.
    pub fn validate(rows: &[(String, String)], scale: (u32, u32)) -> Result<Template, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let mut criteria = Vec::new();
        let rows: Vec<&(String, String)> =
            rows.iter().filter(|(n, w)| !(n.trim().is_empty() && w.trim().is_empty())).collect();
        if rows.is_empty() {
            errors.add("criteria", Violation::Required);
        }
        for (i, (name, weight)) in rows.iter().enumerate() {
            let name = required_text(&mut errors, &format!("criteria[{i}].name"), name, 100);
            let weight = if weight.trim().is_empty() {
                errors.add(format!("criteria[{i}].weight"), Violation::Required);
                None
            } else {
                errors.collect(format!("criteria[{i}].weight"), Percent::parse(weight))
            };
            if let (Some(code), Some(weight)) = (name, weight) {
                if criteria.iter().any(|c: &Criterion| c.code == code) {
                    errors.add(format!("criteria[{i}].name"), Violation::Duplicate { value: code.clone() });
                }
                criteria.push(Criterion { code, weight });
            }
        }
        if criteria.len() == rows.len() && !criteria.is_empty() {
            let total = crate::percent::total(criteria.iter().map(|c| c.weight));
            if total != Decimal::ONE_HUNDRED {
                errors.add("criteria", Violation::SharesNotHundred { total: total.normalize().to_string() });
            }
        }
        if scale.0 >= scale.1 {
            errors.add("scale", Violation::EndBeforeStart);
        }
        errors.finish(|| Template { criteria, scale })
    }

    /// Checks one reviewer's scores: every criterion, once, within the scale.
    pub fn check_scores(&self, raw: &[(String, String)]) -> Result<Vec<(String, u32)>, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let mut scores = Vec::new();
        for c in &self.criteria {
            let field = format!("scores.{}", c.code);
            match raw.iter().find(|(code, _)| *code == c.code).map(|(_, s)| s.trim()) {
                None | Some("") => errors.add(field, Violation::Required),
                Some(s) => match s.parse::<u32>() {
                    Ok(n) if (self.scale.0..=self.scale.1).contains(&n) => scores.push((c.code.clone(), n)),
                    _ => errors.add(
                        field,
                        Violation::OutOfRange { min: self.scale.0.to_string(), max: self.scale.1.to_string() },
                    ),
                },
            }
        }
        for (code, _) in raw {
            if !self.criteria.iter().any(|c| c.code == *code) {
                errors.add(format!("scores.{code}"), Violation::UnknownChoice { value: code.clone() });
            }
        }
        errors.finish(|| scores)
    }
}

/// One reviewer's scores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sheet {
    pub reviewer: String,
    pub scores: Vec<(String, u32)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CriterionResult {
    pub code: String,
    pub weight: Percent,
    pub mean: Decimal,
    pub min: u32,
    pub max: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aggregate {
    pub reviewers: usize,
    pub criteria: Vec<CriterionResult>,
    /// The weighted mean on the scale.
    pub total: Decimal,
    /// The same on 0–100 (the scale's lowest score is 0, its highest 100).
    pub score: Decimal,
    /// Each reviewer's weighted total, in sheet order.
    pub totals: Vec<(String, Decimal)>,
    /// Highest minus lowest weighted total.
    pub spread: Decimal,
}

fn weighted(template: &Template, scores: &[(String, u32)]) -> Decimal {
    template
        .criteria
        .iter()
        .map(|c| {
            let s = scores.iter().find(|(code, _)| *code == c.code).map(|(_, s)| *s).unwrap_or(0);
            Decimal::from(s) * c.weight.value() / Decimal::ONE_HUNDRED
        })
        .sum()
}

/// Aggregates the sheets; `None` without any sheet.
pub fn aggregate(template: &Template, sheets: &[Sheet]) -> Option<Aggregate> {
    if sheets.is_empty() {
        return None;
    }
    let n = Decimal::from(sheets.len() as u64);
    let criteria: Vec<CriterionResult> = template
        .criteria
        .iter()
        .map(|c| {
            let values: Vec<u32> = sheets
                .iter()
                .filter_map(|s| s.scores.iter().find(|(code, _)| *code == c.code).map(|(_, v)| *v))
                .collect();
            let sum: Decimal = values.iter().map(|v| Decimal::from(*v)).sum();
            CriterionResult {
                code: c.code.clone(),
                weight: c.weight,
                mean: round(sum / n, 2),
                min: values.iter().copied().min().unwrap_or(0),
                max: values.iter().copied().max().unwrap_or(0),
            }
        })
        .collect();
    let totals: Vec<(String, Decimal)> =
        sheets.iter().map(|s| (s.reviewer.clone(), round(weighted(template, &s.scores), 2))).collect();
    let total_exact: Decimal = sheets.iter().map(|s| weighted(template, &s.scores)).sum::<Decimal>() / n;
    let (lo, hi) = (Decimal::from(template.scale.0), Decimal::from(template.scale.1));
    let score = round((total_exact - lo) / (hi - lo) * Decimal::ONE_HUNDRED, 1);
    let max = totals.iter().map(|(_, t)| *t).max().unwrap_or_default();
    let min = totals.iter().map(|(_, t)| *t).min().unwrap_or_default();
    Some(Aggregate {
        reviewers: sheets.len(),
        criteria,
        total: round(total_exact, 2),
        score,
        totals,
        spread: max - min,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template() -> Template {
        let rows: Vec<(String, String)> = [
            ("novelty", "15"),
            ("patentability", "20"),
            ("industrialisation", "35"),
            ("maturity", "15"),
            ("team", "15"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        Template::validate(&rows, (1, 5)).unwrap()
    }

    fn raw(scores: [u32; 5]) -> Vec<(String, String)> {
        ["novelty", "patentability", "industrialisation", "maturity", "team"]
            .iter()
            .zip(scores)
            .map(|(c, s)| (c.to_string(), s.to_string()))
            .collect()
    }

    #[test]
    fn weights_must_total_a_hundred() {
        let rows = vec![("a".to_string(), "60".to_string()), ("b".to_string(), "30".to_string())];
        assert_eq!(Template::validate(&rows, (1, 5)).unwrap_err().errors[0].violation.code(), "shares_not_hundred");
    }

    #[test]
    fn scores_are_complete_and_in_range() {
        let t = template();
        assert!(t.check_scores(&raw([3, 4, 5, 2, 3])).is_ok());
        let e = t.check_scores(&raw([0, 4, 6, 2, 3])).unwrap_err();
        assert_eq!(e.errors.len(), 2);
        assert_eq!(e.errors[0].violation.code(), "out_of_range");
        let mut missing = raw([3, 4, 5, 2, 3]);
        missing.pop();
        assert_eq!(t.check_scores(&missing).unwrap_err().errors[0].field, "scores.team");
    }

    #[test]
    fn aggregate_weights_means_and_spread() {
        let t = template();
        let a = Sheet { reviewer: "甲".into(), scores: t.check_scores(&raw([4, 4, 5, 3, 4])).unwrap() };
        let b = Sheet { reviewer: "乙".into(), scores: t.check_scores(&raw([2, 3, 3, 3, 2])).unwrap() };
        let g = aggregate(&t, &[a, b]).unwrap();
        // 甲: .6 + .8 + 1.75 + .45 + .6 = 4.20; 乙: .3 + .6 + 1.05 + .45 + .3 = 2.70.
        assert_eq!(g.totals[0].1, Decimal::new(420, 2));
        assert_eq!(g.totals[1].1, Decimal::new(270, 2));
        assert_eq!(g.total, Decimal::new(345, 2));
        assert_eq!(g.spread, Decimal::new(150, 2));
        assert_eq!(g.score, Decimal::new(613, 1), "(3.45 − 1) / 4 × 100 = 61.25 → 61.3");
        assert_eq!(g.criteria[2].mean, Decimal::new(400, 2));
        assert_eq!((g.criteria[2].min, g.criteria[2].max), (3, 5));
    }
}
