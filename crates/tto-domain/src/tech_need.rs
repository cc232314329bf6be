//! Enterprise technology needs (企业技术需求, measure 十五): what an enterprise wants solved,
//! collected by enterprises themselves or by district and enterprise associations, and later
//! matched to achievements.
//!
//! [`NeedFields::validate`] turns raw input into fields that keep every rule: known chains,
//! a budget range whose minimum is not above its maximum, a TRL range within 1–9, a deadline
//! not in the past, a contact that can be reached (a valid phone or e-mail address). The
//! lifecycle is an explicit state machine, [`NeedStatus::apply`]. Who may see the contact is
//! the need's [`ContactPolicy`].

use time::Date;

use crate::achievement::Trl;
use crate::chain::{ChainCode, ChainTaxonomy};
use crate::credit_code::CreditCode;
use crate::money::Money;
use crate::period::parse_date;
use crate::validation::{ValidationErrors, Violation, optional_text, required_text};

code_enum! {
    /// Lifecycle of a need.
    NeedStatus {
        Draft => "draft",
        Published => "published",
        Matched => "matched",
        InProgress => "in_progress",
        Closed => "closed",
        Withdrawn => "withdrawn",
    }
}

code_enum! {
    /// The named steps of the lifecycle.
    NeedAction {
        Publish => "publish",
        Match => "match",
        Start => "start",
        Close => "close",
        Withdraw => "withdraw",
        Reopen => "reopen",
    }
}

code_enum! {
    /// Who may see the contact person of a published need.
    ContactPolicy {
        /// Shown to everyone who can see the need.
        Public => "public",
        /// Only through a technology manager or the platform (they see it and make contact).
        ViaPlatform => "via_platform",
        /// Only the submitting institution (and the platform's administrators).
        Hidden => "hidden",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {action} a need that is {from}")]
pub struct IllegalNeedTransition {
    pub from: NeedStatus,
    pub action: NeedAction,
}

impl NeedStatus {
    /// The status after `action`, or why the action is not allowed now.
    ///
    /// ```text
    /// draft ──publish──▶ published ──match──▶ matched ──start──▶ in_progress
    ///                    published ──start──▶ in_progress
    /// published | matched | in_progress ──close──▶ closed
    /// draft | published | matched ──withdraw──▶ withdrawn
    /// closed | withdrawn ──reopen──▶ draft
    /// ```
    pub fn apply(self, action: NeedAction) -> Result<NeedStatus, IllegalNeedTransition> {
        use NeedAction as A;
        use NeedStatus as S;
        Ok(match (self, action) {
            (S::Draft, A::Publish) => S::Published,
            (S::Published, A::Match) => S::Matched,
            (S::Published | S::Matched, A::Start) => S::InProgress,
            (S::Published | S::Matched | S::InProgress, A::Close) => S::Closed,
            (S::Draft | S::Published | S::Matched, A::Withdraw) => S::Withdrawn,
            (S::Closed | S::Withdrawn, A::Reopen) => S::Draft,
            (from, action) => return Err(IllegalNeedTransition { from, action }),
        })
    }

    pub fn allowed_actions(self) -> Vec<NeedAction> {
        NeedAction::ALL.iter().copied().filter(|a| self.apply(*a).is_ok()).collect()
    }

    /// Whether others (and the public) may see a need in this status.
    pub fn is_public(self) -> bool {
        matches!(self, NeedStatus::Published | NeedStatus::Matched | NeedStatus::InProgress)
    }

    /// Whether the content may still be changed.
    pub fn is_editable(self) -> bool {
        !matches!(self, NeedStatus::Closed | NeedStatus::Withdrawn)
    }
}

/// The person to contact about a need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// The validated, editable content of a need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedFields {
    pub title: String,
    pub description: String,
    pub chains: Vec<ChainCode>,
    pub discipline: Option<String>,
    pub budget_min: Option<Money>,
    pub budget_max: Option<Money>,
    pub deadline: Option<Date>,
    pub contact_policy: ContactPolicy,
    pub contact: Contact,
    pub trl_min: Option<Trl>,
    pub trl_max: Option<Trl>,
    pub keywords: Vec<String>,
    /// The enterprise with the need, when it is not the submitting institution (a district or
    /// association collecting needs for its members).
    pub enterprise_name: Option<String>,
    pub enterprise_credit_code: Option<CreditCode>,
}

/// Raw need input, as typed into a form, sent to the API or read from an import.
#[derive(Debug, Clone, Default)]
pub struct NeedDraft {
    pub title: String,
    pub description: String,
    pub chains: Vec<String>,
    pub discipline: Option<String>,
    pub budget_min: Option<String>,
    pub budget_max: Option<String>,
    pub deadline: Option<String>,
    pub contact_policy: String,
    pub contact_name: String,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    pub trl_min: Option<String>,
    pub trl_max: Option<String>,
    pub keywords: Vec<String>,
    pub enterprise_name: Option<String>,
    pub enterprise_credit_code: Option<String>,
}

pub const TITLE_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 5_000;
pub const KEYWORD_MAX: usize = 50;
pub const KEYWORDS_MAX: usize = 20;
pub const CHAINS_MAX: usize = 5;
pub const NAME_MAX: usize = 100;
pub const EMAIL_MAX: usize = 254;

fn blank(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl NeedFields {
    /// Checks every field and reports every problem at once. `today` is the jurisdiction's
    /// civil date: a deadline before it is refused.
    pub fn validate(draft: &NeedDraft, chains: &ChainTaxonomy, today: Date) -> Result<NeedFields, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let title = required_text(&mut errors, "title", &draft.title, TITLE_MAX);
        let description = required_text(&mut errors, "description", &draft.description, DESCRIPTION_MAX);
        let mut codes: Vec<ChainCode> = Vec::new();
        for c in draft.chains.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
            if let Some(code) = errors.collect("chains", chains.code(c))
                && !codes.contains(&code)
            {
                codes.push(code);
            }
        }
        if codes.len() > CHAINS_MAX {
            errors.add("chains", Violation::OutOfRange { min: "0".into(), max: CHAINS_MAX.to_string() });
        }
        let discipline = optional_text(&mut errors, "discipline", draft.discipline.as_deref(), NAME_MAX);
        let money = |errors: &mut ValidationErrors, field: &str, raw: &Option<String>| match blank(raw) {
            None => None,
            Some(s) => errors.collect(field, Money::parse(s).and_then(Money::non_negative)),
        };
        let budget_min = money(&mut errors, "budget_min", &draft.budget_min);
        let budget_max = money(&mut errors, "budget_max", &draft.budget_max);
        if let (Some(min), Some(max)) = (budget_min, budget_max)
            && min > max
        {
            errors.add(
                "budget_max",
                Violation::Rule { code: "min_above_max", detail: "the maximum is below the minimum".into() },
            );
        }
        let deadline = blank(&draft.deadline).and_then(|d| errors.collect("deadline", parse_date(d)));
        if deadline.is_some_and(|d| d < today) {
            errors
                .add("deadline", Violation::Rule { code: "in_the_past", detail: "the deadline is in the past".into() });
        }
        let contact_policy = errors.collect("contact_policy", ContactPolicy::from_code(&draft.contact_policy));
        let contact_name = required_text(&mut errors, "contact_name", &draft.contact_name, NAME_MAX);
        let phone = blank(&draft.contact_phone).and_then(|p| errors.collect("contact_phone", normalise_phone(p)));
        let email = blank(&draft.contact_email).and_then(|e| errors.collect("contact_email", normalise_email(e)));
        if blank(&draft.contact_phone).is_none() && blank(&draft.contact_email).is_none() {
            errors.add(
                "contact_phone",
                Violation::Rule { code: "phone_or_email", detail: "give a phone number or an e-mail address".into() },
            );
        }
        let trl = |errors: &mut ValidationErrors, field: &str, raw: &Option<String>| {
            blank(raw).and_then(|s| errors.collect(field, Trl::parse(s)))
        };
        let trl_min = trl(&mut errors, "trl_min", &draft.trl_min);
        let trl_max = trl(&mut errors, "trl_max", &draft.trl_max);
        if let (Some(min), Some(max)) = (trl_min, trl_max)
            && min > max
        {
            errors.add(
                "trl_max",
                Violation::Rule { code: "min_above_max", detail: "the maximum is below the minimum".into() },
            );
        }
        let mut keywords: Vec<String> = Vec::new();
        for k in draft.keywords.iter().map(|k| k.trim()).filter(|k| !k.is_empty()) {
            if k.chars().count() > KEYWORD_MAX {
                errors.add("keywords", Violation::TooLong { max: KEYWORD_MAX });
            } else if !keywords.iter().any(|e| e == k) {
                keywords.push(k.to_string());
            }
        }
        if keywords.len() > KEYWORDS_MAX {
            errors.add("keywords", Violation::OutOfRange { min: "0".into(), max: KEYWORDS_MAX.to_string() });
        }
        let enterprise_name = optional_text(&mut errors, "enterprise_name", draft.enterprise_name.as_deref(), 200);
        let enterprise_credit_code = blank(&draft.enterprise_credit_code)
            .and_then(|c| errors.collect("enterprise_credit_code", CreditCode::parse(c)));
        if enterprise_credit_code.is_some()
            && enterprise_name.is_none()
            && errors.for_field("enterprise_name").count() == 0
        {
            errors.add("enterprise_name", Violation::Required);
        }
        match (title, description, contact_policy, contact_name) {
            (Some(title), Some(description), Some(contact_policy), Some(name)) if errors.is_empty() => Ok(NeedFields {
                title,
                description,
                chains: codes,
                discipline,
                budget_min,
                budget_max,
                deadline,
                contact_policy,
                contact: Contact { name, phone, email },
                trl_min,
                trl_max,
                keywords,
                enterprise_name,
                enterprise_credit_code,
            }),
            _ => Err(errors),
        }
    }

    /// The text chains are suggested from: title, keywords and description.
    pub fn text(&self) -> String {
        format!("{} {} {}", self.title, self.keywords.join(" "), self.description)
    }

    /// The chain the text suggests most, if the taxonomy's keywords occur in it at all.
    pub fn suggested_chain(&self, chains: &ChainTaxonomy) -> Option<ChainCode> {
        chains.suggest(&self.text()).into_iter().next()
    }
}

/// A Chinese mobile number (11 digits, starting 1[3-9]) or a landline with its area code
/// (0 + 2–3 digits, then 7–8 digits, optional extension), with an optional +86 / 86 prefix.
/// Spaces and hyphens are allowed when typed; the stored form is `13812345678` or
/// `022-23456789[-123]`.
pub fn normalise_phone(input: &str) -> Result<String, Violation> {
    let bad = || Violation::InvalidFormat { expected: "phone" };
    let trimmed = input.trim();
    let rest = trimmed.strip_prefix("+86").or_else(|| trimmed.strip_prefix("0086")).unwrap_or(trimmed);
    let rest = rest.trim_start_matches([' ', '-']);
    if !rest.chars().all(|c| c.is_ascii_digit() || c == ' ' || c == '-' || c == '(' || c == ')') {
        return Err(bad());
    }
    let groups: Vec<String> = rest.split(['-', ' ', '(', ')']).filter(|g| !g.is_empty()).map(str::to_string).collect();
    let digits: String = groups.concat();
    let is_mobile = digits.len() == 11 && digits.starts_with('1') && matches!(digits.as_bytes()[1], b'3'..=b'9');
    if is_mobile {
        return Ok(digits);
    }
    // Landline: area code 0XX or 0XXX, then the number, then an optional extension.
    if !digits.starts_with('0') {
        return Err(bad());
    }
    let (area, number, extension) = match groups.len() {
        1 => {
            let d = &groups[0];
            let area_len = if d.len() == 11 && (d.starts_with("01") || d.starts_with("02")) { 3 } else { 4 };
            if d.len() < area_len + 7 {
                return Err(bad());
            }
            (d[..area_len].to_string(), d[area_len..].to_string(), None)
        }
        2 => (groups[0].clone(), groups[1].clone(), None),
        3 => (groups[0].clone(), groups[1].clone(), Some(groups[2].clone())),
        _ => return Err(bad()),
    };
    let ok = (3..=4).contains(&area.len())
        && area.starts_with('0')
        && (7..=8).contains(&number.len())
        && extension.as_ref().is_none_or(|e| (1..=6).contains(&e.len()));
    if !ok {
        return Err(bad());
    }
    Ok(match extension {
        Some(e) => format!("{area}-{number}-{e}"),
        None => format!("{area}-{number}"),
    })
}

/// A plausible e-mail address: one `@`, a non-empty local part, a domain with a dot and no
/// empty labels, no spaces. Lower-cases the domain.
pub fn normalise_email(input: &str) -> Result<String, Violation> {
    let bad = || Violation::InvalidFormat { expected: "email" };
    let e = input.trim();
    if e.chars().count() > EMAIL_MAX || e.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let (local, domain) = e.split_once('@').ok_or_else(bad)?;
    if local.is_empty() || domain.contains('@') || local.contains(['<', '>', ',', ';', '"']) {
        return Err(bad());
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && labels.last().is_some_and(|tld| tld.chars().count() >= 2);
    if !domain_ok {
        return Err(bad());
    }
    Ok(format!("{local}@{}", domain.to_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::ChainDraft;
    use time::macros::date;

    fn taxonomy() -> ChainTaxonomy {
        ChainTaxonomy::new(vec![
            ChainDraft {
                code: "integrated_circuits".into(),
                name_zh: "集成电路".into(),
                name_en: "Integrated circuits".into(),
                keywords: vec!["芯片".into(), "封装".into()],
            },
            ChainDraft {
                code: "biomedicine".into(),
                name_zh: "生物医药".into(),
                name_en: "Biomedicine".into(),
                keywords: vec!["药物".into()],
            },
        ])
        .unwrap()
    }

    fn draft() -> NeedDraft {
        NeedDraft {
            title: "车规级芯片封装散热方案".into(),
            description: "寻求高导热封装材料与工艺，解决功率芯片散热问题。".into(),
            chains: vec!["integrated_circuits".into()],
            budget_min: Some("50万".into()),
            budget_max: Some("1,000,000".into()),
            deadline: Some("2027-06-30".into()),
            contact_policy: "via_platform".into(),
            contact_name: "王经理".into(),
            contact_phone: Some("138 1234 5678".into()),
            contact_email: Some("Wang@Example.COM".into()),
            trl_min: Some("4".into()),
            trl_max: Some("7".into()),
            keywords: vec!["封装".into(), "散热".into(), "封装".into()],
            ..Default::default()
        }
    }

    fn codes(d: &NeedDraft) -> Vec<(String, &'static str)> {
        match NeedFields::validate(d, &taxonomy(), date!(2026 - 11 - 29)) {
            Ok(_) => Vec::new(),
            Err(e) => e.errors.iter().map(|e| (e.field.clone(), e.violation.code())).collect(),
        }
    }

    #[test]
    fn valid_draft_is_normalised() {
        let f = NeedFields::validate(&draft(), &taxonomy(), date!(2026 - 11 - 29)).unwrap();
        assert_eq!(f.budget_min, Some(Money::yuan(500_000)));
        assert_eq!(f.contact.phone.as_deref(), Some("13812345678"));
        assert_eq!(f.contact.email.as_deref(), Some("Wang@example.com"));
        assert_eq!(f.keywords, ["封装", "散热"]);
        assert_eq!(
            f.suggested_chain(&taxonomy()).map(|c| c.as_str().to_string()).as_deref(),
            Some("integrated_circuits")
        );
    }

    #[test]
    fn reports_every_problem() {
        let mut d = draft();
        d.budget_min = Some("2000000".into());
        d.deadline = Some("2026-11-28".into());
        d.chains = vec!["mining".into()];
        d.contact_email = Some("wang@".into());
        d.contact_phone = Some("12345".into());
        d.trl_min = Some("8".into());
        d.enterprise_credit_code = Some("91120116MA0000201X".into());
        let found = codes(&d);
        for expected in [
            ("budget_max", "min_above_max"),
            ("deadline", "in_the_past"),
            ("chains", "unknown_choice"),
            ("contact_email", "invalid_format"),
            ("contact_phone", "invalid_format"),
            ("trl_max", "min_above_max"),
            ("enterprise_credit_code", "invalid_credit_code"),
        ] {
            assert!(found.contains(&(expected.0.to_string(), expected.1)), "{expected:?} in {found:?}");
        }
    }

    #[test]
    fn a_contact_needs_a_phone_or_an_email() {
        let mut d = draft();
        d.contact_phone = None;
        d.contact_email = Some(" ".into());
        assert_eq!(codes(&d), [("contact_phone".to_string(), "phone_or_email")]);
    }

    #[test]
    fn phones() {
        assert_eq!(normalise_phone("+86 139-0000-1111").unwrap(), "13900001111");
        assert_eq!(normalise_phone("022-23456789").unwrap(), "022-23456789");
        assert_eq!(normalise_phone("(022) 23456789-12").unwrap(), "022-23456789-12");
        assert_eq!(normalise_phone("02223456789").unwrap(), "022-23456789");
        for bad in ["12345", "12012345678", "abc", "022-123", "+1 415 555 0100"] {
            assert!(normalise_phone(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails() {
        assert!(normalise_email("a.b+c@sub.example.cn").is_ok());
        for bad in ["a@b", "@example.com", "a b@example.com", "a@@example.com", "a@example.", "a@-x.com"] {
            assert!(normalise_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn lifecycle_allows_only_named_transitions() {
        use NeedAction as A;
        use NeedStatus as S;
        assert_eq!(S::Draft.apply(A::Publish), Ok(S::Published));
        assert_eq!(S::Published.apply(A::Match), Ok(S::Matched));
        assert_eq!(S::Matched.apply(A::Start), Ok(S::InProgress));
        assert_eq!(S::InProgress.apply(A::Close), Ok(S::Closed));
        assert_eq!(S::Closed.apply(A::Reopen), Ok(S::Draft));
        assert!(S::Draft.apply(A::Close).is_err());
        assert!(S::InProgress.apply(A::Withdraw).is_err());
        assert!(S::Withdrawn.apply(A::Publish).is_err());
        assert_eq!(S::Draft.allowed_actions(), [A::Publish, A::Withdraw]);
        assert!(!S::Draft.is_public() && S::Matched.is_public() && !S::Closed.is_public());
    }
}
