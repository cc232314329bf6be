//! Matching explanations in words: the features of a match (`tto_domain::matching`) as
//! short sentences in the reader's language, shared by the API and the pages.

use tto_domain::matching::{ManagerFeatures, MatchFeatures, TrlFit};
use tto_domain::{ChainTaxonomy, IndustrialChain};

use crate::i18n::T;

/// The name of an industrial chain in the reader's language.
pub(crate) fn chain_name(t: T, c: &IndustrialChain) -> String {
    if t.lang_code() == "en" { c.name_en.clone() } else { c.name_zh.clone() }
}

/// The name of the chain with this code in the reader's language (the code if it is unknown).
pub(crate) fn chain_label(chains: &ChainTaxonomy, t: T, code: &str) -> String {
    chains.get(code).map(|c| chain_name(t, c)).unwrap_or_else(|| code.to_string())
}

fn joined(t: T, items: impl IntoIterator<Item = String>) -> String {
    let sep = if t.lang_code() == "en" { ", " } else { "、" };
    items.into_iter().collect::<Vec<_>>().join(sep)
}

/// One sentence per reason, strongest evidence first.
pub(crate) fn match_reasons(t: T, chains: &ChainTaxonomy, f: &MatchFeatures) -> Vec<String> {
    let mut lines = Vec::new();
    let mut by_field: Vec<(&str, Vec<String>)> = Vec::new();
    for field in ["title", "keywords", "body"] {
        let mut terms: Vec<String> = Vec::new();
        for m in f.matched_terms.iter().filter(|m| m.field == field) {
            if !terms.contains(&m.term) {
                terms.push(m.term.clone());
            }
        }
        if !terms.is_empty() {
            by_field.push((field, terms));
        }
    }
    if !by_field.is_empty() {
        let parts = by_field.into_iter().map(|(field, terms)| {
            t.f("match.why.in_field", &[("field", t.code("match.field", field)), ("terms", joined(t, terms))])
        });
        lines.push(t.f("match.why.terms", &[("list", joined(t, parts))]));
    }
    if !f.shared_keywords.is_empty() {
        lines.push(t.f("match.why.keywords", &[("list", joined(t, f.shared_keywords.iter().cloned()))]));
    }
    if !f.shared_chains.is_empty() {
        let names = f.shared_chains.iter().map(|c| chain_label(chains, t, c.as_str()));
        lines.push(t.f("match.why.chain", &[("list", joined(t, names))]));
    }
    if f.same_discipline {
        lines.push(t.s("match.why.discipline").to_string());
    }
    match f.trl {
        TrlFit::Unknown => {}
        TrlFit::Within { level } => lines.push(t.f("match.why.trl_within", &[("level", level.to_string())])),
        TrlFit::Below { level, gap } => {
            lines.push(t.f("match.why.trl_below", &[("level", level.to_string()), ("gap", gap.to_string())]))
        }
        TrlFit::Above { level, gap } => {
            lines.push(t.f("match.why.trl_above", &[("level", level.to_string()), ("gap", gap.to_string())]))
        }
    }
    match f.age_years {
        Some(0) => lines.push(t.s("match.why.this_year").to_string()),
        Some(y @ 1..=3) => lines.push(t.f("match.why.recent", &[("years", y.to_string())])),
        _ => {}
    }
    if f.preferred_institution {
        lines.push(t.s("match.why.preferred").to_string());
    }
    if lines.is_empty() {
        lines.push(t.s("match.why.weak").to_string());
    }
    lines
}

/// Why a technology manager is proposed, in one sentence per reason.
pub(crate) fn manager_reasons(t: T, f: &ManagerFeatures) -> Vec<String> {
    let mut lines = Vec::new();
    if f.chain_cases > 0 {
        lines.push(
            t.f("match.manager.chain_cases", &[("n", f.chain_cases.to_string()), ("deals", f.chain_deals.to_string())]),
        );
    }
    if !f.shared_keywords.is_empty() {
        lines.push(t.f("match.manager.keywords", &[("list", joined(t, f.shared_keywords.iter().cloned()))]));
    }
    if f.total_cases > 0 {
        lines.push(
            t.f("match.manager.record", &[("n", f.total_cases.to_string()), ("deals", f.total_deals.to_string())]),
        );
    } else {
        lines.push(t.s("match.manager.new").to_string());
    }
    lines.push(t.f("match.manager.open", &[("n", f.open_cases.to_string())]));
    lines
}
