//! Institutions: the tenants of the platform.

use std::fmt;

use time::OffsetDateTime;

use crate::credit_code::CreditCode;
use crate::validation::{ValidationErrors, Violation, optional_text, required_text};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstitutionId(pub i64);

impl fmt::Display for InstitutionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

code_enum! {
    /// What kind of organisation a tenant is (DESIGN.md §3).
    InstitutionKind {
        University => "university",
        Enterprise => "enterprise",
        Exchange => "exchange",
        Regulator => "regulator",
        Investor => "investor",
        ServiceOrganisation => "service_organisation",
    }
}

/// The validated, editable fields of an institution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstitutionFields {
    /// Short code used as the prefix of ledger numbers (e.g. `JMU`): 2–10 capital letters
    /// or digits, unique.
    pub short_code: String,
    pub name: String,
    pub name_en: Option<String>,
    pub kind: InstitutionKind,
    pub credit_code: CreditCode,
    pub region: String,
    /// 国家设立的研究开发机构、高等院校: the statutory reward floors apply (促进科技成果转化法 Art. 45 ¶2).
    pub state_run: bool,
}

/// Raw input for an institution, as typed into a form or sent to the API.
#[derive(Debug, Clone, Default)]
pub struct InstitutionDraft {
    pub short_code: String,
    pub name: String,
    pub name_en: Option<String>,
    pub kind: String,
    pub credit_code: String,
    pub region: String,
    pub state_run: bool,
}

impl InstitutionFields {
    pub fn validate(draft: &InstitutionDraft) -> Result<InstitutionFields, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let short_code = draft.short_code.trim().to_ascii_uppercase();
        let short_code_ok = (2..=10).contains(&short_code.len())
            && short_code.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        if short_code.is_empty() {
            errors.add("short_code", Violation::Required);
        } else if !short_code_ok {
            errors.add("short_code", Violation::InvalidFormat { expected: "short_code" });
        }
        let name = required_text(&mut errors, "name", &draft.name, 100);
        let name_en = optional_text(&mut errors, "name_en", draft.name_en.as_deref(), 200);
        let kind = errors.collect("kind", InstitutionKind::from_code(&draft.kind));
        let credit_code = if draft.credit_code.trim().is_empty() {
            errors.add("credit_code", Violation::Required);
            None
        } else {
            errors.collect("credit_code", CreditCode::parse(&draft.credit_code))
        };
        let region = required_text(&mut errors, "region", &draft.region, 100);
        match (name, kind, credit_code, region) {
            (Some(name), Some(kind), Some(credit_code), Some(region)) if errors.is_empty() => Ok(InstitutionFields {
                short_code,
                name,
                name_en,
                kind,
                credit_code,
                region,
                state_run: draft.state_run,
            }),
            _ => Err(errors),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Institution {
    pub id: InstitutionId,
    pub fields: InstitutionFields,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

impl Institution {
    pub fn name(&self) -> &str {
        &self.fields.name
    }

    pub fn kind(&self) -> InstitutionKind {
        self.fields.kind
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> InstitutionDraft {
        InstitutionDraft {
            short_code: "JMU".into(),
            name: "津门大学（示例）".into(),
            name_en: Some("Jinmen University (demo)".into()),
            kind: "university".into(),
            credit_code: "91110108551385082Q".into(),
            region: "天津市南开区".into(),
            state_run: true,
        }
    }

    #[test]
    fn valid_draft_passes() {
        let fields = InstitutionFields::validate(&draft()).unwrap();
        assert_eq!(fields.kind, InstitutionKind::University);
    }

    #[test]
    fn reports_every_bad_field() {
        let bad = InstitutionDraft {
            name: " ".into(),
            kind: "school".into(),
            credit_code: "91110108551385082R".into(),
            ..draft()
        };
        let errors = InstitutionFields::validate(&bad).unwrap_err();
        let fields: Vec<_> = errors.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "kind", "credit_code"]);
        assert_eq!(errors.errors[2].violation, Violation::InvalidCreditCode);
    }
}
