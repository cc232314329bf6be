//! Listings (挂牌交易) and auctions (拍卖).

use time::{Duration, OffsetDateTime};

use crate::money::Money;
use crate::validation::{ValidationErrors, Violation};

code_enum! {
    MarketStatus {
        Open => "open",
        Closed => "closed",
    }
}

code_enum! {
    BidderStatus {
        Registered => "registered",
        Approved => "approved",
        Rejected => "rejected",
    }
}

/// The state of an auction a bid is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuctionState {
    pub status: MarketStatus,
    pub starts_at: OffsetDateTime,
    pub ends_at: OffsetDateTime,
    pub reserve: Money,
    pub increment: Money,
    pub highest: Option<Money>,
}

/// The lowest acceptable next bid.
pub fn minimum_bid(a: &AuctionState) -> Money {
    match a.highest {
        None => a.reserve,
        Some(h) => h.checked_add(a.increment).unwrap_or(Money::MAX),
    }
}

/// Checks a bid placed at `now` by a bidder whose registration is `bidder`.
pub fn check_bid(
    a: &AuctionState,
    bidder: Option<BidderStatus>,
    amount: Money,
    now: OffsetDateTime,
) -> Result<(), Violation> {
    match bidder {
        Some(BidderStatus::Approved) => {}
        _ => {
            return Err(Violation::Rule {
                code: "bidder_not_approved",
                detail: "only registered and approved bidders may bid".into(),
            });
        }
    }
    if a.status != MarketStatus::Open || now >= a.ends_at {
        return Err(Violation::Rule { code: "auction_closed", detail: "the auction has closed".into() });
    }
    if now < a.starts_at {
        return Err(Violation::Rule { code: "auction_not_started", detail: "the auction has not started".into() });
    }
    let minimum = minimum_bid(a);
    if amount < minimum {
        let code = if a.highest.is_none() { "below_reserve" } else { "below_increment" };
        return Err(Violation::Rule { code, detail: minimum.to_string() });
    }
    Ok(())
}

/// The end after a bid at `now`: a bid in the last `window` moves the end to `now + extension`
/// (anti-sniping), so others can answer it.
pub fn end_after_bid(
    ends_at: OffsetDateTime,
    now: OffsetDateTime,
    window: Duration,
    extension: Duration,
) -> OffsetDateTime {
    if now >= ends_at - window { ends_at.max(now + extension) } else { ends_at }
}

/// The settings of a new auction or listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarketSettings {
    pub price: Money,
    pub increment: Money,
    pub starts_at: OffsetDateTime,
    pub ends_at: OffsetDateTime,
}

pub fn check_settings(
    price: Money,
    increment: Option<Money>,
    starts_at: OffsetDateTime,
    ends_at: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<MarketSettings, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    if price.is_zero() || price.is_negative() {
        errors.add("price", Violation::OutOfRange { min: "0.01".into(), max: Money::MAX.to_grouped() });
    }
    let increment = increment.unwrap_or(Money::ZERO);
    if increment.is_negative() {
        errors.add("increment", Violation::Negative);
    }
    if ends_at <= starts_at {
        errors.add("ends_at", Violation::EndBeforeStart);
    }
    if ends_at <= now {
        errors.add("ends_at", Violation::Rule { code: "in_the_past", detail: "the end is in the past".into() });
    }
    errors.finish(|| MarketSettings { price, increment, starts_at, ends_at })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn auction() -> AuctionState {
        AuctionState {
            status: MarketStatus::Open,
            starts_at: datetime!(2026-11-29 09:00 UTC),
            ends_at: datetime!(2026-11-29 10:00 UTC),
            reserve: Money::yuan(100_000),
            increment: Money::yuan(5_000),
            highest: None,
        }
    }

    #[test]
    fn bids_respect_reserve_increment_time_and_registration() {
        let now = datetime!(2026-11-29 09:30 UTC);
        let a = auction();
        assert!(check_bid(&a, Some(BidderStatus::Approved), Money::yuan(100_000), now).is_ok());
        assert_eq!(
            check_bid(&a, Some(BidderStatus::Approved), Money::yuan(99_999), now).unwrap_err().code(),
            "below_reserve"
        );
        let with_bid = AuctionState { highest: Some(Money::yuan(100_000)), ..a };
        assert_eq!(
            check_bid(&with_bid, Some(BidderStatus::Approved), Money::yuan(104_999), now).unwrap_err().code(),
            "below_increment"
        );
        assert!(check_bid(&with_bid, Some(BidderStatus::Approved), Money::yuan(105_000), now).is_ok());
        assert_eq!(
            check_bid(&a, Some(BidderStatus::Registered), Money::yuan(200_000), now).unwrap_err().code(),
            "bidder_not_approved"
        );
        assert_eq!(check_bid(&a, None, Money::yuan(200_000), now).unwrap_err().code(), "bidder_not_approved");
        assert_eq!(
            check_bid(&a, Some(BidderStatus::Approved), Money::yuan(200_000), a.ends_at).unwrap_err().code(),
            "auction_closed"
        );
        assert_eq!(
            check_bid(&a, Some(BidderStatus::Approved), Money::yuan(200_000), datetime!(2026-11-29 08:00 UTC))
                .unwrap_err()
                .code(),
            "auction_not_started"
        );
    }

    #[test]
    fn late_bids_extend_the_end() {
        let end = datetime!(2026-11-29 10:00 UTC);
        let w = Duration::minutes(5);
        let x = Duration::minutes(5);
        assert_eq!(end_after_bid(end, datetime!(2026-11-29 09:50 UTC), w, x), end);
        assert_eq!(end_after_bid(end, datetime!(2026-11-29 09:58 UTC), w, x), datetime!(2026-11-29 10:03 UTC));
    }
}
