//! Deals (转化交易) and their pricing routes (measure 十四): agreement pricing with an
//! on-campus public notice, listing on a technology exchange, or auction.

use time::Date;

use crate::institution::InstitutionId;
use crate::money::Money;
use crate::validation::{ValidationErrors, Violation, optional_text, required_text};

code_enum! {
    /// How the achievement is converted (促进科技成果转化法 第十六条).
    DealMode {
        Transfer => "transfer",
        LicenceExclusive => "licence_exclusive",
        LicenceSole => "licence_sole",
        LicenceNonExclusive => "licence_non_exclusive",
        EquityInvestment => "equity_investment",
        Cooperation => "cooperation",
        SelfImplementation => "self_implementation",
    }
}

impl DealMode {
    /// The conversion booked in the separate ledger when the deal completes, if any.
    pub fn conversion(self) -> Option<crate::ledger::ConversionMode> {
        use crate::ledger::ConversionMode as C;
        match self {
            DealMode::Transfer => Some(C::Transfer),
            DealMode::LicenceExclusive | DealMode::LicenceSole | DealMode::LicenceNonExclusive => Some(C::Licence),
            DealMode::EquityInvestment => Some(C::EquityInvestment),
            DealMode::Cooperation | DealMode::SelfImplementation => None,
        }
    }

    /// Whether the deal needs a buyer and a positive price.
    pub fn is_sale(self) -> bool {
        self.conversion().is_some()
    }
}

code_enum! {
    /// How the price is set (促进科技成果转化法 第十八条; measure 十四).
    PricingRoute {
        Agreement => "agreement",
        Listing => "listing",
        Auction => "auction",
    }
}

code_enum! {
    DealStatus {
        Draft => "draft",
        Noticing => "noticing",
        Listed => "listed",
        Auctioning => "auctioning",
        Priced => "priced",
        Completed => "completed",
        Cancelled => "cancelled",
    }
}

code_enum! {
    /// Steps of a deal. Some are taken by people, some by the platform when a notice,
    /// listing or auction closes.
    DealAction {
        StartNotice => "start_notice",
        List => "list",
        StartAuction => "start_auction",
        FixPrice => "fix_price",
        EscalateToAuction => "escalate_to_auction",
        ReturnToDraft => "return_to_draft",
        Complete => "complete",
        Cancel => "cancel",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {action} a deal that is {from}")]
pub struct IllegalDealTransition {
    pub from: DealStatus,
    pub action: DealAction,
}

impl DealStatus {
    /// ```text
    /// draft ──start_notice──▶ noticing ──fix_price (notice closed)──▶ priced ──complete──▶ completed
    /// draft ──list──▶ listed ──fix_price (one interested party)──▶ priced
    ///                 listed ──escalate_to_auction (several)──▶ auctioning
    /// draft ──start_auction──▶ auctioning ──fix_price (a winner)──▶ priced
    /// noticing | listed | auctioning ──return_to_draft (objection upheld, nobody interested, no bids)──▶ draft
    /// any but completed ──cancel──▶ cancelled
    /// ```
    pub fn apply(self, action: DealAction) -> Result<DealStatus, IllegalDealTransition> {
        use DealAction as A;
        use DealStatus as S;
        Ok(match (self, action) {
            (S::Draft, A::StartNotice) => S::Noticing,
            (S::Draft, A::List) => S::Listed,
            (S::Draft, A::StartAuction) => S::Auctioning,
            (S::Noticing | S::Listed | S::Auctioning, A::FixPrice) => S::Priced,
            (S::Listed, A::EscalateToAuction) => S::Auctioning,
            (S::Noticing | S::Listed | S::Auctioning, A::ReturnToDraft) => S::Draft,
            (S::Priced, A::Complete) => S::Completed,
            (S::Draft | S::Noticing | S::Listed | S::Auctioning | S::Priced, A::Cancel) => S::Cancelled,
            (from, action) => return Err(IllegalDealTransition { from, action }),
        })
    }
}

/// The editable terms of a deal (only while it is a draft).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DealTerms {
    pub title: String,
    pub mode: DealMode,
    pub route: PricingRoute,
    /// Agreement: the agreed price. Listing: the listing price. Auction: the reserve.
    pub price: Money,
    /// Agreement pricing names the buyer; listings and auctions find one.
    pub counterparty: Option<InstitutionId>,
    /// The buyer is one of the achievements' contributors.
    pub buyer_is_contributor: bool,
    /// The buyer is a related party (关联方) of the university or the contributors.
    pub related_party: bool,
    pub related_party_note: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct DealDraft {
    pub title: String,
    pub mode: String,
    pub route: String,
    pub price: String,
    pub counterparty: Option<i64>,
    pub buyer_is_contributor: bool,
    pub related_party: bool,
    pub related_party_note: Option<String>,
    pub achievements: Vec<i64>,
}

impl DealTerms {
    pub fn validate(d: &DealDraft) -> Result<DealTerms, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let title = required_text(&mut errors, "title", &d.title, 200);
        let mode = errors.collect("mode", DealMode::from_code(&d.mode));
        let route = errors.collect("route", PricingRoute::from_code(&d.route));
        let price = if d.price.trim().is_empty() {
            errors.add("price", Violation::Required);
            None
        } else {
            errors.collect("price", Money::parse(&d.price).and_then(Money::non_negative))
        };
        if let (Some(mode), Some(price)) = (mode, price)
            && mode.is_sale()
            && price.is_zero()
        {
            errors.add("price", Violation::OutOfRange { min: "0.01".into(), max: Money::MAX.to_grouped() });
        }
        if route == Some(PricingRoute::Agreement) && mode.is_some_and(DealMode::is_sale) && d.counterparty.is_none() {
            errors.add("counterparty", Violation::Required);
        }
        if d.achievements.is_empty() {
            errors.add("achievements", Violation::Required);
        }
        let mut seen = std::collections::BTreeSet::new();
        if d.achievements.iter().any(|a| !seen.insert(*a)) {
            errors.add("achievements", Violation::Duplicate { value: "achievement".into() });
        }
        let note = optional_text(&mut errors, "related_party_note", d.related_party_note.as_deref(), 500);
        if (d.related_party || d.buyer_is_contributor) && note.is_none() {
            errors.add("related_party_note", Violation::Required);
        }
        match (title, mode, route, price) {
            (Some(title), Some(mode), Some(route), Some(price)) if errors.is_empty() => Ok(DealTerms {
                title,
                mode,
                route,
                price,
                counterparty: d.counterparty.map(InstitutionId),
                buyer_is_contributor: d.buyer_is_contributor,
                related_party: d.related_party,
                related_party_note: note,
            }),
            _ => Err(errors),
        }
    }
}

/// Splits `total` over `n` parts exactly (largest remainder: the first parts get the spare fen).
pub fn split_evenly(total: Money, n: usize) -> Vec<Money> {
    if n == 0 {
        return Vec::new();
    }
    let base = total.fen() / n as i64;
    let spare = total.fen() - base * n as i64;
    (0..n).map(|i| Money::from_fen(base + if (i as i64) < spare { 1 } else { 0 })).collect()
}

/// The days a notice lasts, counting both ends (a notice from the 1st to the 15th lasts 15 days).
pub fn notice_days(starts_on: Date, ends_on: Date) -> i64 {
    (ends_on - starts_on).whole_days() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> DealDraft {
        DealDraft {
            title: "石墨烯导热膜专利转让".into(),
            mode: "transfer".into(),
            route: "agreement".into(),
            price: "1,200,000".into(),
            counterparty: Some(3),
            achievements: vec![1],
            ..Default::default()
        }
    }

    #[test]
    fn terms_are_checked() {
        assert!(DealTerms::validate(&draft()).is_ok());
        let mut d = draft();
        d.counterparty = None;
        d.price = "0".into();
        d.achievements = vec![1, 1];
        let fields: Vec<String> = DealTerms::validate(&d).unwrap_err().errors.into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["price", "counterparty", "achievements"]);
        let mut d = draft();
        d.related_party = true;
        assert_eq!(DealTerms::validate(&d).unwrap_err().errors[0].field, "related_party_note");
        let mut d = draft();
        d.route = "listing".into();
        d.counterparty = None;
        assert!(DealTerms::validate(&d).is_ok(), "a listing finds its buyer");
    }

    #[test]
    fn lifecycle() {
        use DealAction as A;
        use DealStatus as S;
        assert_eq!(S::Draft.apply(A::StartNotice), Ok(S::Noticing));
        assert_eq!(S::Noticing.apply(A::ReturnToDraft), Ok(S::Draft));
        assert_eq!(S::Listed.apply(A::EscalateToAuction), Ok(S::Auctioning));
        assert!(S::Noticing.apply(A::Complete).is_err());
        assert!(S::Completed.apply(A::Cancel).is_err());
    }

    #[test]
    fn even_split_loses_no_fen() {
        let parts = split_evenly(Money::from_fen(100), 3);
        assert_eq!(parts, [Money::from_fen(34), Money::from_fen(33), Money::from_fen(33)]);
        assert_eq!(parts.into_iter().sum::<Money>(), Money::from_fen(100));
    }
}
