//! The due-diligence exemption (尽职免责, measure 十七): whether a deal's pricing route
//! relieves the university's leaders of decision liability for later changes in value.
//!
//! The route qualifies when the price was set by listing or auction on a technology market,
//! or by agreement with the price publicly noticed on campus (as the rules require). The
//! verdict lists each condition, met or not, with the rule's source.

use crate::deal::PricingRoute;

/// One condition of the verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// Stable code (`route_qualifies`, `notice_completed`, `notice_long_enough`,
    /// `no_upheld_objection`, `market_closed_with_buyer`, `price_fixed`).
    pub code: &'static str,
    pub met: bool,
    /// Values for the message (days, counts).
    pub args: Vec<(&'static str, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub qualifies: bool,
    pub conditions: Vec<Condition>,
}

/// The facts of a deal the verdict depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DealFacts {
    pub route: PricingRoute,
    /// The price is fixed (the deal is priced or completed).
    pub priced: bool,
    /// Agreement route: the notice ran to its end and closed.
    pub notice_closed: bool,
    /// Agreement route: days the (last) notice lasted, both ends counted.
    pub notice_days: Option<i64>,
    pub upheld_objections: usize,
    /// Listing/auction: the market closed with a buyer (one interested party, or a winning bid).
    pub market_closed_with_buyer: bool,
}

/// `qualifying`: route codes the profile names (`listing`, `auction`, `agreement`);
/// `min_days`: the notice minimum.
pub fn verdict(f: &DealFacts, qualifying: &[String], min_days: u32) -> Verdict {
    let route_ok = qualifying.iter().any(|r| r == f.route.code());
    let mut conditions =
        vec![Condition { code: "route_qualifies", met: route_ok, args: vec![("route", f.route.code().to_string())] }];
    match f.route {
        PricingRoute::Agreement => {
            conditions.push(Condition { code: "notice_completed", met: f.notice_closed, args: vec![] });
            conditions.push(Condition {
                code: "notice_long_enough",
                met: f.notice_days.is_some_and(|d| d >= i64::from(min_days)),
                args: vec![
                    ("days", f.notice_days.map(|d| d.to_string()).unwrap_or_else(|| "0".into())),
                    ("minimum", min_days.to_string()),
                ],
            });
            conditions.push(Condition {
                code: "no_upheld_objection",
                met: f.upheld_objections == 0,
                args: vec![("count", f.upheld_objections.to_string())],
            });
        }
        PricingRoute::Listing | PricingRoute::Auction => {
            conditions.push(Condition {
                code: "market_closed_with_buyer",
                met: f.market_closed_with_buyer,
                args: vec![],
            });
        }
    }
    conditions.push(Condition { code: "price_fixed", met: f.priced, args: vec![] });
    Verdict { qualifies: conditions.iter().all(|c| c.met), conditions }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routes() -> Vec<String> {
        vec!["listing".into(), "auction".into(), "agreement".into()]
    }

    #[test]
    fn agreement_needs_a_completed_notice_without_upheld_objection() {
        let facts = DealFacts {
            route: PricingRoute::Agreement,
            priced: true,
            notice_closed: true,
            notice_days: Some(15),
            upheld_objections: 0,
            market_closed_with_buyer: false,
        };
        assert!(verdict(&facts, &routes(), 15).qualifies);
        assert!(!verdict(&DealFacts { notice_days: Some(10), ..facts.clone() }, &routes(), 15).qualifies);
        assert!(!verdict(&DealFacts { upheld_objections: 1, ..facts.clone() }, &routes(), 15).qualifies);
        assert!(!verdict(&DealFacts { notice_closed: false, ..facts.clone() }, &routes(), 15).qualifies);
        assert!(!verdict(&facts, &["listing".into()], 15).qualifies, "the profile decides which routes qualify");
    }

    #[test]
    fn market_routes_need_a_buyer() {
        let facts = DealFacts {
            route: PricingRoute::Auction,
            priced: true,
            notice_closed: false,
            notice_days: None,
            upheld_objections: 0,
            market_closed_with_buyer: true,
        };
        assert!(verdict(&facts, &routes(), 15).qualifies);
        assert!(
            !verdict(&DealFacts { market_closed_with_buyer: false, priced: false, ..facts }, &routes(), 15).qualifies
        );
    }
}
