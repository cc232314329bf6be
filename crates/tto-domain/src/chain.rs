//! Industrial chains (产业链): the taxonomy achievements and needs are tagged with.
//!
//! The list is configuration (Tianjin's key industrial chains by default), not code; the
//! domain only knows a chain by its code and checks that codes are known.

use std::collections::BTreeSet;

use crate::validation::{ValidationErrors, Violation};

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChainCode(String);

impl ChainCode {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndustrialChain {
    pub code: ChainCode,
    pub name_zh: String,
    pub name_en: String,
    /// Terms that suggest the chain when they occur in a text.
    pub keywords: Vec<String>,
}

/// A validated list of chains with unique codes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChainTaxonomy {
    chains: Vec<IndustrialChain>,
}

/// One chain as read from configuration, before validation.
#[derive(Debug, Clone, Default)]
pub struct ChainDraft {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub keywords: Vec<String>,
}

impl ChainTaxonomy {
    pub fn new(drafts: Vec<ChainDraft>) -> Result<ChainTaxonomy, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let mut seen = BTreeSet::new();
        let mut chains = Vec::with_capacity(drafts.len());
        for (i, d) in drafts.into_iter().enumerate() {
            let code = d.code.trim().to_string();
            let valid_code =
                !code.is_empty() && code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !valid_code {
                errors.add(format!("chains[{i}].code"), Violation::InvalidFormat { expected: "code" });
            } else if !seen.insert(code.clone()) {
                errors.add(format!("chains[{i}].code"), Violation::Duplicate { value: code.clone() });
            }
            if d.name_zh.trim().is_empty() {
                errors.add(format!("chains[{i}].name_zh"), Violation::Required);
            }
            if d.name_en.trim().is_empty() {
                errors.add(format!("chains[{i}].name_en"), Violation::Required);
            }
            chains.push(IndustrialChain {
                code: ChainCode(code),
                name_zh: d.name_zh.trim().to_string(),
                name_en: d.name_en.trim().to_string(),
                keywords: d.keywords,
            });
        }
        errors.finish(|| ChainTaxonomy { chains })
    }

    pub fn all(&self) -> &[IndustrialChain] {
        &self.chains
    }

    pub fn get(&self, code: &str) -> Option<&IndustrialChain> {
        self.chains.iter().find(|c| c.code.0 == code)
    }

    /// The code if it is known.
    pub fn code(&self, code: &str) -> Result<ChainCode, Violation> {
        self.get(code.trim())
            .map(|c| c.code.clone())
            .ok_or_else(|| Violation::UnknownChoice { value: code.to_string() })
    }

    /// Chains whose keywords occur in the text, best first (most distinct keywords matched;
    /// ties in taxonomy order). Keywords are matched case-insensitively (they are kept in
    /// lower case).
    pub fn suggest(&self, text: &str) -> Vec<ChainCode> {
        let text = text.to_lowercase();
        let mut scored: Vec<(usize, usize, &IndustrialChain)> = self
            .chains
            .iter()
            .enumerate()
            .map(|(i, c)| (c.keywords.iter().filter(|k| !k.is_empty() && text.contains(k.as_str())).count(), i, c))
            .filter(|(hits, _, _)| *hits > 0)
            .collect();
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.into_iter().map(|(_, _, c)| c.code.clone()).collect()
    }
}

/// A chain code read back from storage. Stored codes were checked against the taxonomy when
/// written; if the taxonomy changed since, the stored code is shown as it is.
pub fn stored_chain_code(code: &str) -> ChainCode {
    ChainCode(code.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taxonomy() -> ChainTaxonomy {
        ChainTaxonomy::new(vec![
            ChainDraft {
                code: "integrated_circuits".into(),
                name_zh: "集成电路".into(),
                name_en: "Integrated circuits".into(),
                keywords: vec!["芯片".into(), "集成电路".into()],
            },
            ChainDraft {
                code: "biomedicine".into(),
                name_zh: "生物医药".into(),
                name_en: "Biomedicine".into(),
                keywords: vec!["药物".into(), "疫苗".into()],
            },
        ])
        .unwrap()
    }

    #[test]
    fn knows_codes_and_suggests_from_text() {
        let t = taxonomy();
        assert!(t.code("biomedicine").is_ok());
        assert!(t.code("mining").is_err());
        let s = t.suggest("一种用于疫苗递送的芯片");
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn rejects_duplicates() {
        let d = ChainDraft { code: "a".into(), name_zh: "甲".into(), name_en: "A".into(), keywords: vec![] };
        assert!(ChainTaxonomy::new(vec![d.clone(), d]).is_err());
    }
}
