//! Listings (挂牌交易) with expressions of interest, and auctions (拍卖) with bidders and bids.
//!
//! Listings and auctions are public while they run: the market page shows them to everyone.
//! Who registered, who was interested and who bid is read by the deal's institution (and
//! regulators); bidders see their own registration.

use serde_json::{Value, json};
use sqlx::any::AnyRow;
use time::OffsetDateTime;
use tto_domain::auction::{BidderStatus, MarketStatus};
use tto_domain::{InstitutionId, Money};

use crate::codec::{corrupt, format_timestamp, i64_col, opt_i64_col, opt_str_col, str_col, ts_col};
use crate::sql::Sql;
use crate::{Conn, Result, StoreError, WriteTx, parse_timestamp};

/// How a listing ended.
pub mod outcome {
    /// Nobody was interested: the deal goes back to draft.
    pub const UNSOLD: &str = "unsold";
    /// One party: agreement at the listing price.
    pub const SOLD: &str = "sold";
    /// Several parties: an auction among them.
    pub const AUCTION: &str = "auction";
    /// The deal was cancelled while listed.
    pub const WITHDRAWN: &str = "withdrawn";
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub id: i64,
    pub deal_id: i64,
    pub institution_id: InstitutionId,
    pub price: Money,
    pub starts_at: OffsetDateTime,
    pub ends_at: OffsetDateTime,
    pub auction_increment: Money,
    pub auction_minutes: i64,
    pub status: MarketStatus,
    pub outcome: Option<String>,
    pub closed_at: Option<OffsetDateTime>,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interest {
    pub listing_id: i64,
    pub party_id: InstitutionId,
    pub party_name: String,
    pub note: String,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Auction {
    pub id: i64,
    pub deal_id: i64,
    pub institution_id: InstitutionId,
    pub listing_id: Option<i64>,
    pub reserve: Money,
    pub increment: Money,
    pub starts_at: OffsetDateTime,
    pub ends_at: OffsetDateTime,
    /// The end before any anti-sniping extension.
    pub scheduled_end_at: OffsetDateTime,
    pub status: MarketStatus,
    pub winner_id: Option<InstitutionId>,
    pub winning_bid_id: Option<i64>,
    pub closed_at: Option<OffsetDateTime>,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bidder {
    pub auction_id: i64,
    pub party_id: InstitutionId,
    pub party_name: String,
    pub status: BidderStatus,
    pub note: String,
    pub registered_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bid {
    pub id: i64,
    pub auction_id: i64,
    pub party_id: InstitutionId,
    pub party_name: String,
    pub amount: Money,
    pub placed_at: OffsetDateTime,
}

fn opt_ts(row: &AnyRow, col: &str) -> Result<Option<OffsetDateTime>> {
    opt_str_col(row, col)?.as_deref().map(parse_timestamp).transpose()
}

fn status(row: &AnyRow) -> Result<MarketStatus> {
    MarketStatus::from_code(&str_col(row, "status")?).map_err(corrupt("status"))
}

pub fn listing_snapshot(l: &Listing) -> Value {
    json!({
        "id": l.id,
        "deal_id": l.deal_id,
        "price_fen": l.price.fen(),
        "starts_at": format_timestamp(l.starts_at),
        "ends_at": format_timestamp(l.ends_at),
        "auction_increment_fen": l.auction_increment.fen(),
        "auction_minutes": l.auction_minutes,
        "status": l.status.code(),
        "outcome": l.outcome,
        "closed_at": l.closed_at.map(format_timestamp),
    })
}

pub fn auction_snapshot(a: &Auction) -> Value {
    json!({
        "id": a.id,
        "deal_id": a.deal_id,
        "listing_id": a.listing_id,
        "reserve_fen": a.reserve.fen(),
        "increment_fen": a.increment.fen(),
        "starts_at": format_timestamp(a.starts_at),
        "ends_at": format_timestamp(a.ends_at),
        "scheduled_end_at": format_timestamp(a.scheduled_end_at),
        "status": a.status.code(),
        "winner_id": a.winner_id.map(|w| w.0),
        "winning_bid_id": a.winning_bid_id,
        "closed_at": a.closed_at.map(format_timestamp),
    })
}

const LISTING_COLUMNS: &str = "SELECT id, deal_id, institution_id, price_fen, starts_at, ends_at, \
     auction_increment_fen, auction_minutes, status, outcome, closed_at, version FROM listing";

fn listing_from_row(row: &AnyRow) -> Result<Listing> {
    Ok(Listing {
        id: i64_col(row, "id")?,
        deal_id: i64_col(row, "deal_id")?,
        institution_id: InstitutionId(i64_col(row, "institution_id")?),
        price: Money::from_fen(i64_col(row, "price_fen")?),
        starts_at: ts_col(row, "starts_at")?,
        ends_at: ts_col(row, "ends_at")?,
        auction_increment: Money::from_fen(i64_col(row, "auction_increment_fen")?),
        auction_minutes: i64_col(row, "auction_minutes")?,
        status: status(row)?,
        outcome: opt_str_col(row, "outcome")?,
        closed_at: opt_ts(row, "closed_at")?,
        version: i64_col(row, "version")?,
    })
}

pub async fn listing(db: &mut impl Conn, id: i64) -> Result<Listing> {
    let mut q = Sql::new(LISTING_COLUMNS);
    q.push(" WHERE id = ").bind(id);
    listing_from_row(&q.fetch_optional(db.conn()).await?.ok_or(StoreError::NotFound)?)
}

pub async fn listings_of_deal(db: &mut impl Conn, deal: i64) -> Result<Vec<Listing>> {
    let mut q = Sql::new(LISTING_COLUMNS);
    q.push(" WHERE deal_id = ").bind(deal).push(" ORDER BY id");
    q.fetch_all(db.conn()).await?.iter().map(listing_from_row).collect()
}

/// Open listings (the public market), soonest end first.
pub async fn open_listings(db: &mut impl Conn, limit: i64) -> Result<Vec<Listing>> {
    let mut q = Sql::new(LISTING_COLUMNS);
    q.push(" WHERE status = 'open' ORDER BY ends_at, id LIMIT ").bind(limit);
    q.fetch_all(db.conn()).await?.iter().map(listing_from_row).collect()
}

/// Open listings whose period is over at `now`.
pub async fn due_listings(db: &mut impl Conn, now: OffsetDateTime) -> Result<Vec<Listing>> {
    let mut q = Sql::new(LISTING_COLUMNS);
    q.push(" WHERE status = 'open' AND ends_at <= ").bind(format_timestamp(now)).push(" ORDER BY id");
    q.fetch_all(db.conn()).await?.iter().map(listing_from_row).collect()
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_listing(
    tx: &mut WriteTx,
    deal: i64,
    institution: InstitutionId,
    price: Money,
    starts_at: OffsetDateTime,
    ends_at: OffsetDateTime,
    auction_increment: Money,
    auction_minutes: i64,
) -> Result<Listing> {
    let now = format_timestamp(tx.now());
    let mut q = Sql::new(
        "INSERT INTO listing (deal_id, institution_id, price_fen, starts_at, ends_at, auction_increment_fen, \
         auction_minutes, status, created_at, updated_at, version) VALUES (",
    );
    q.values([
        deal.into(),
        institution.0.into(),
        price.fen().into(),
        format_timestamp(starts_at).into(),
        format_timestamp(ends_at).into(),
        auction_increment.fen().into(),
        auction_minutes.into(),
        MarketStatus::Open.code().into(),
        now.clone().into(),
        now.into(),
        1_i64.into(),
    ])
    .push(") RETURNING id");
    let id = i64_col(&q.fetch_one(tx.conn()).await?, "id")?;
    let saved = listing(tx, id).await?;
    tx.record(Some(institution), "listing.open", "listing", &id.to_string(), None, Some(&listing_snapshot(&saved)))
        .await?;
    Ok(saved)
}

pub async fn close_listing(tx: &mut WriteTx, before: &Listing, outcome: &str) -> Result<Listing> {
    let now = format_timestamp(tx.now());
    let mut q = Sql::new("UPDATE listing SET ");
    q.set("status", MarketStatus::Closed.code())
        .set("outcome", outcome)
        .set("closed_at", now.clone())
        .set("updated_at", now)
        .where_version(before.id, before.version);
    q.execute_versioned(tx.conn()).await?;
    let saved = listing(tx, before.id).await?;
    tx.record(
        Some(before.institution_id),
        "listing.close",
        "listing",
        &before.id.to_string(),
        Some(&listing_snapshot(before)),
        Some(&listing_snapshot(&saved)),
    )
    .await?;
    Ok(saved)
}

pub async fn interests(db: &mut impl Conn, listing: i64) -> Result<Vec<Interest>> {
    let mut q = Sql::new(
        "SELECT x.listing_id, x.party_id, i.name, x.note, x.created_at FROM listing_interest x \
         JOIN institution i ON i.id = x.party_id WHERE x.listing_id = ",
    );
    q.bind(listing).push(" ORDER BY x.created_at, x.party_id");
    q.fetch_all(db.conn())
        .await?
        .iter()
        .map(|r| {
            Ok(Interest {
                listing_id: i64_col(r, "listing_id")?,
                party_id: InstitutionId(i64_col(r, "party_id")?),
                party_name: str_col(r, "name")?,
                note: str_col(r, "note")?,
                created_at: ts_col(r, "created_at")?,
            })
        })
        .collect()
}

pub async fn insert_interest(
    tx: &mut WriteTx,
    l: &Listing,
    party: InstitutionId,
    user: Option<i64>,
    note: &str,
) -> Result<()> {
    let mut q = Sql::new(
        "INSERT INTO listing_interest (listing_id, party_id, institution_id, user_id, note, created_at) VALUES (",
    );
    q.values([
        l.id.into(),
        party.0.into(),
        l.institution_id.0.into(),
        user.into(),
        note.into(),
        format_timestamp(tx.now()).into(),
    ])
    .push(")");
    q.execute(tx.conn()).await?;
    let after = json!({ "listing_id": l.id, "party_id": party.0, "note": note });
    tx.record(Some(l.institution_id), "listing.interest", "listing", &l.id.to_string(), None, Some(&after)).await
}

const AUCTION_COLUMNS: &str = "SELECT id, deal_id, institution_id, listing_id, reserve_fen, increment_fen, starts_at, \
     ends_at, scheduled_end_at, status, winner_id, winning_bid_id, closed_at, version FROM auction";

fn auction_from_row(row: &AnyRow) -> Result<Auction> {
    Ok(Auction {
        id: i64_col(row, "id")?,
        deal_id: i64_col(row, "deal_id")?,
        institution_id: InstitutionId(i64_col(row, "institution_id")?),
        listing_id: opt_i64_col(row, "listing_id")?,
        reserve: Money::from_fen(i64_col(row, "reserve_fen")?),
        increment: Money::from_fen(i64_col(row, "increment_fen")?),
        starts_at: ts_col(row, "starts_at")?,
        ends_at: ts_col(row, "ends_at")?,
        scheduled_end_at: ts_col(row, "scheduled_end_at")?,
        status: status(row)?,
        winner_id: opt_i64_col(row, "winner_id")?.map(InstitutionId),
        winning_bid_id: opt_i64_col(row, "winning_bid_id")?,
        closed_at: opt_ts(row, "closed_at")?,
        version: i64_col(row, "version")?,
    })
}

pub async fn auction(db: &mut impl Conn, id: i64) -> Result<Auction> {
    let mut q = Sql::new(AUCTION_COLUMNS);
    q.push(" WHERE id = ").bind(id);
    auction_from_row(&q.fetch_optional(db.conn()).await?.ok_or(StoreError::NotFound)?)
}

pub async fn auctions_of_deal(db: &mut impl Conn, deal: i64) -> Result<Vec<Auction>> {
    let mut q = Sql::new(AUCTION_COLUMNS);
    q.push(" WHERE deal_id = ").bind(deal).push(" ORDER BY id");
    q.fetch_all(db.conn()).await?.iter().map(auction_from_row).collect()
}

pub async fn open_auctions(db: &mut impl Conn, limit: i64) -> Result<Vec<Auction>> {
    let mut q = Sql::new(AUCTION_COLUMNS);
    q.push(" WHERE status = 'open' ORDER BY ends_at, id LIMIT ").bind(limit);
    q.fetch_all(db.conn()).await?.iter().map(auction_from_row).collect()
}

pub async fn due_auctions(db: &mut impl Conn, now: OffsetDateTime) -> Result<Vec<Auction>> {
    let mut q = Sql::new(AUCTION_COLUMNS);
    q.push(" WHERE status = 'open' AND ends_at <= ").bind(format_timestamp(now)).push(" ORDER BY id");
    q.fetch_all(db.conn()).await?.iter().map(auction_from_row).collect()
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_auction(
    tx: &mut WriteTx,
    deal: i64,
    institution: InstitutionId,
    listing: Option<i64>,
    reserve: Money,
    increment: Money,
    starts_at: OffsetDateTime,
    ends_at: OffsetDateTime,
) -> Result<Auction> {
    let now = format_timestamp(tx.now());
    let mut q = Sql::new(
        "INSERT INTO auction (deal_id, institution_id, listing_id, reserve_fen, increment_fen, starts_at, ends_at, \
         scheduled_end_at, status, created_at, updated_at, version) VALUES (",
    );
    q.values([
        deal.into(),
        institution.0.into(),
        listing.into(),
        reserve.fen().into(),
        increment.fen().into(),
        format_timestamp(starts_at).into(),
        format_timestamp(ends_at).into(),
        format_timestamp(ends_at).into(),
        MarketStatus::Open.code().into(),
        now.clone().into(),
        now.into(),
        1_i64.into(),
    ])
    .push(") RETURNING id");
    let id = i64_col(&q.fetch_one(tx.conn()).await?, "id")?;
    let saved = auction(tx, id).await?;
    tx.record(Some(institution), "auction.open", "auction", &id.to_string(), None, Some(&auction_snapshot(&saved)))
        .await?;
    Ok(saved)
}

/// Moves the end of an auction (anti-sniping). Recorded with the bid that caused it.
pub async fn extend_auction(tx: &mut WriteTx, before: &Auction, ends_at: OffsetDateTime) -> Result<Auction> {
    let mut q = Sql::new("UPDATE auction SET ");
    q.set("ends_at", format_timestamp(ends_at))
        .set("updated_at", format_timestamp(tx.now()))
        .where_version(before.id, before.version);
    q.execute_versioned(tx.conn()).await?;
    auction(tx, before.id).await
}

pub async fn close_auction(tx: &mut WriteTx, before: &Auction, winner: Option<&Bid>) -> Result<Auction> {
    let now = format_timestamp(tx.now());
    let mut q = Sql::new("UPDATE auction SET ");
    q.set("status", MarketStatus::Closed.code())
        .set("winner_id", winner.map(|b| b.party_id.0))
        .set("winning_bid_id", winner.map(|b| b.id))
        .set("closed_at", now.clone())
        .set("updated_at", now)
        .where_version(before.id, before.version);
    q.execute_versioned(tx.conn()).await?;
    let saved = auction(tx, before.id).await?;
    tx.record(
        Some(before.institution_id),
        "auction.close",
        "auction",
        &before.id.to_string(),
        Some(&auction_snapshot(before)),
        Some(&auction_snapshot(&saved)),
    )
    .await?;
    Ok(saved)
}

pub async fn bidders(db: &mut impl Conn, auction: i64) -> Result<Vec<Bidder>> {
    let mut q = Sql::new(
        "SELECT b.auction_id, b.party_id, i.name, b.status, b.note, b.registered_at FROM auction_bidder b \
         JOIN institution i ON i.id = b.party_id WHERE b.auction_id = ",
    );
    q.bind(auction).push(" ORDER BY b.registered_at, b.party_id");
    q.fetch_all(db.conn()).await?.iter().map(bidder_from_row).collect()
}

fn bidder_from_row(r: &AnyRow) -> Result<Bidder> {
    Ok(Bidder {
        auction_id: i64_col(r, "auction_id")?,
        party_id: InstitutionId(i64_col(r, "party_id")?),
        party_name: str_col(r, "name")?,
        status: BidderStatus::from_code(&str_col(r, "status")?).map_err(corrupt("bidder status"))?,
        note: str_col(r, "note")?,
        registered_at: ts_col(r, "registered_at")?,
    })
}

pub async fn bidder(db: &mut impl Conn, auction: i64, party: InstitutionId) -> Result<Option<Bidder>> {
    let mut q = Sql::new(
        "SELECT b.auction_id, b.party_id, i.name, b.status, b.note, b.registered_at FROM auction_bidder b \
         JOIN institution i ON i.id = b.party_id WHERE b.auction_id = ",
    );
    q.bind(auction).push(" AND b.party_id = ").bind(party.0);
    q.fetch_optional(db.conn()).await?.as_ref().map(bidder_from_row).transpose()
}

pub async fn insert_bidder(
    tx: &mut WriteTx,
    a: &Auction,
    party: InstitutionId,
    status: BidderStatus,
    note: &str,
) -> Result<()> {
    let now = format_timestamp(tx.now());
    let decided = (status != BidderStatus::Registered).then(|| now.clone());
    let mut q = Sql::new(
        "INSERT INTO auction_bidder (auction_id, party_id, institution_id, status, note, registered_at, decided_at) \
         VALUES (",
    );
    q.values([
        a.id.into(),
        party.0.into(),
        a.institution_id.0.into(),
        status.code().into(),
        note.into(),
        now.into(),
        decided.into(),
    ])
    .push(")");
    q.execute(tx.conn()).await?;
    let after = json!({ "auction_id": a.id, "party_id": party.0, "status": status.code(), "note": note });
    tx.record(Some(a.institution_id), "auction.register", "auction", &a.id.to_string(), None, Some(&after)).await
}

pub async fn decide_bidder(tx: &mut WriteTx, a: &Auction, before: &Bidder, status: BidderStatus) -> Result<()> {
    let mut q = Sql::new("UPDATE auction_bidder SET ");
    q.set("status", status.code())
        .set("decided_at", format_timestamp(tx.now()))
        .push(" WHERE auction_id = ")
        .bind(a.id)
        .push(" AND party_id = ")
        .bind(before.party_id.0);
    q.execute(tx.conn()).await?;
    let snap = |s: BidderStatus| json!({ "auction_id": a.id, "party_id": before.party_id.0, "status": s.code() });
    tx.record(
        Some(a.institution_id),
        if status == BidderStatus::Approved { "auction.approve_bidder" } else { "auction.reject_bidder" },
        "auction",
        &a.id.to_string(),
        Some(&snap(before.status)),
        Some(&snap(status)),
    )
    .await
}

const BID_COLUMNS: &str = "SELECT b.id, b.auction_id, b.party_id, i.name, b.amount_fen, b.placed_at FROM bid b \
     JOIN institution i ON i.id = b.party_id";

fn bid_from_row(r: &AnyRow) -> Result<Bid> {
    Ok(Bid {
        id: i64_col(r, "id")?,
        auction_id: i64_col(r, "auction_id")?,
        party_id: InstitutionId(i64_col(r, "party_id")?),
        party_name: str_col(r, "name")?,
        amount: Money::from_fen(i64_col(r, "amount_fen")?),
        placed_at: ts_col(r, "placed_at")?,
    })
}

/// Bids of an auction, highest first.
pub async fn bids(db: &mut impl Conn, auction: i64) -> Result<Vec<Bid>> {
    let mut q = Sql::new(BID_COLUMNS);
    q.push(" WHERE b.auction_id = ").bind(auction).push(" ORDER BY b.amount_fen DESC, b.id");
    q.fetch_all(db.conn()).await?.iter().map(bid_from_row).collect()
}

pub async fn highest_bid(db: &mut impl Conn, auction: i64) -> Result<Option<Bid>> {
    let mut q = Sql::new(BID_COLUMNS);
    q.push(" WHERE b.auction_id = ").bind(auction).push(" ORDER BY b.amount_fen DESC, b.id LIMIT 1");
    q.fetch_optional(db.conn()).await?.as_ref().map(bid_from_row).transpose()
}

/// Records a bid (checked by the caller under the write lock) and, when it came late, the
/// extended end.
pub async fn insert_bid(
    tx: &mut WriteTx,
    a: &Auction,
    party: InstitutionId,
    user: Option<i64>,
    amount: Money,
    extended_to: Option<OffsetDateTime>,
) -> Result<Bid> {
    let mut q =
        Sql::new("INSERT INTO bid (auction_id, institution_id, party_id, user_id, amount_fen, placed_at) VALUES (");
    q.values([
        a.id.into(),
        a.institution_id.0.into(),
        party.0.into(),
        user.into(),
        amount.fen().into(),
        format_timestamp(tx.now()).into(),
    ])
    .push(") RETURNING id");
    let id = i64_col(&q.fetch_one(tx.conn()).await?, "id")?;
    let mut after = json!({
        "auction_id": a.id,
        "party_id": party.0,
        "amount_fen": amount.fen(),
        "placed_at": format_timestamp(tx.now()),
    });
    if let Some(end) = extended_to {
        extend_auction(tx, a, end).await?;
        after["extended_from"] = json!(format_timestamp(a.ends_at));
        after["extended_to"] = json!(format_timestamp(end));
    }
    tx.record(Some(a.institution_id), "auction.bid", "bid", &id.to_string(), None, Some(&after)).await?;
    let mut q = Sql::new(BID_COLUMNS);
    q.push(" WHERE b.id = ").bind(id);
    bid_from_row(&q.fetch_one(tx.conn()).await?)
}
