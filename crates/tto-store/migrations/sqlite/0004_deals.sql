-- Deals, public notices, listings, auctions, technical contracts and central release
-- (SQLite). Keep in step with ../postgres/0004_deals.sql.

-- A conversion deal of one or more achievements (measure 十四).
CREATE TABLE deal (
    id INTEGER PRIMARY KEY,
    institution_id INTEGER NOT NULL REFERENCES institution(id),
    title TEXT NOT NULL,
    mode TEXT NOT NULL,
    route TEXT NOT NULL,
    -- Agreement: the agreed price; listing: the listing price; auction: the reserve.
    price_fen INTEGER NOT NULL,
    -- The buyer: named for agreement pricing, found by a listing or an auction.
    counterparty_id INTEGER REFERENCES institution(id),
    buyer_is_contributor INTEGER NOT NULL,
    related_party INTEGER NOT NULL,
    related_party_note TEXT,
    status TEXT NOT NULL,
    final_price_fen INTEGER,
    priced_on TEXT,
    completed_on TEXT,
    cancel_reason TEXT,
    policy_profile TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX deal_institution ON deal(institution_id, id);
CREATE INDEX deal_status ON deal(status, id);

CREATE TABLE deal_achievement (
    deal_id INTEGER NOT NULL REFERENCES deal(id),
    achievement_id INTEGER NOT NULL REFERENCES achievement(id),
    institution_id INTEGER NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (deal_id, achievement_id)
);
CREATE INDEX deal_achievement_achievement ON deal_achievement(achievement_id);

-- Public notices (公示) of deals, rewards and central releases. `content` is the JSON of
-- what was published, frozen when the notice started.
CREATE TABLE public_notice (
    id INTEGER PRIMARY KEY,
    institution_id INTEGER NOT NULL REFERENCES institution(id),
    subject TEXT NOT NULL,
    subject_id INTEGER NOT NULL,
    title TEXT NOT NULL,
    content TEXT NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    status TEXT NOT NULL,
    closed_on TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX public_notice_subject ON public_notice(subject, subject_id, id);
CREATE INDEX public_notice_status ON public_notice(status, ends_on);

CREATE TABLE objection (
    id INTEGER PRIMARY KEY,
    notice_id INTEGER NOT NULL REFERENCES public_notice(id),
    institution_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    contact TEXT NOT NULL,
    content TEXT NOT NULL,
    status TEXT NOT NULL,
    response TEXT,
    handled_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX objection_notice ON objection(notice_id, id);

-- Listings (挂牌交易): expressions of interest during the period decide what follows.
CREATE TABLE listing (
    id INTEGER PRIMARY KEY,
    deal_id INTEGER NOT NULL REFERENCES deal(id),
    institution_id INTEGER NOT NULL,
    price_fen INTEGER NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    -- Used when several parties are interested and the listing turns into an auction.
    auction_increment_fen INTEGER NOT NULL,
    auction_minutes INTEGER NOT NULL,
    status TEXT NOT NULL,
    outcome TEXT,
    closed_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX listing_deal ON listing(deal_id, id);
CREATE INDEX listing_status ON listing(status, ends_at);

CREATE TABLE listing_interest (
    listing_id INTEGER NOT NULL REFERENCES listing(id),
    party_id INTEGER NOT NULL REFERENCES institution(id),
    institution_id INTEGER NOT NULL,
    user_id INTEGER,
    note TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (listing_id, party_id)
);

CREATE TABLE auction (
    id INTEGER PRIMARY KEY,
    deal_id INTEGER NOT NULL REFERENCES deal(id),
    institution_id INTEGER NOT NULL,
    listing_id INTEGER REFERENCES listing(id),
    reserve_fen INTEGER NOT NULL,
    increment_fen INTEGER NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    scheduled_end_at TEXT NOT NULL,
    status TEXT NOT NULL,
    winner_id INTEGER REFERENCES institution(id),
    winning_bid_id INTEGER,
    closed_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX auction_deal ON auction(deal_id, id);
CREATE INDEX auction_status ON auction(status, ends_at);

CREATE TABLE auction_bidder (
    auction_id INTEGER NOT NULL REFERENCES auction(id),
    party_id INTEGER NOT NULL REFERENCES institution(id),
    institution_id INTEGER NOT NULL,
    status TEXT NOT NULL,
    note TEXT NOT NULL,
    registered_at TEXT NOT NULL,
    decided_at TEXT,
    PRIMARY KEY (auction_id, party_id)
);

-- Bids only rise, so two bids of one auction never share an amount.
CREATE TABLE bid (
    id INTEGER PRIMARY KEY,
    auction_id INTEGER NOT NULL REFERENCES auction(id),
    institution_id INTEGER NOT NULL,
    party_id INTEGER NOT NULL REFERENCES institution(id),
    user_id INTEGER,
    amount_fen INTEGER NOT NULL,
    placed_at TEXT NOT NULL,
    UNIQUE (auction_id, amount_fen)
);

-- Technical contracts (技术合同) and their registration (认定登记).
CREATE TABLE tech_contract (
    id INTEGER PRIMARY KEY,
    institution_id INTEGER NOT NULL REFERENCES institution(id),
    deal_id INTEGER REFERENCES deal(id),
    category TEXT NOT NULL,
    title TEXT NOT NULL,
    buyer_id INTEGER NOT NULL REFERENCES institution(id),
    amount_fen INTEGER NOT NULL,
    signed_on TEXT NOT NULL,
    registration_number TEXT,
    registered_on TEXT,
    certified_amount_fen INTEGER,
    registration_authority TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX tech_contract_institution ON tech_contract(institution_id, id);
CREATE INDEX tech_contract_deal ON tech_contract(deal_id);

CREATE TABLE contract_installment (
    contract_id INTEGER NOT NULL REFERENCES tech_contract(id),
    institution_id INTEGER NOT NULL,
    position INTEGER NOT NULL,
    due_on TEXT NOT NULL,
    amount_fen INTEGER NOT NULL,
    PRIMARY KEY (contract_id, position)
);

-- Payments received: income for the distribution engine.
CREATE TABLE contract_payment (
    id INTEGER PRIMARY KEY,
    contract_id INTEGER NOT NULL REFERENCES tech_contract(id),
    institution_id INTEGER NOT NULL,
    amount_fen INTEGER NOT NULL,
    received_on TEXT NOT NULL,
    reference TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX contract_payment_contract ON contract_payment(contract_id, id);

-- Central release (集中发布) of fiscally funded achievements left unconverted.
CREATE TABLE release_campaign (
    id INTEGER PRIMARY KEY,
    institution_id INTEGER NOT NULL REFERENCES institution(id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    status TEXT NOT NULL,
    published_on TEXT,
    policy_profile TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX release_campaign_institution ON release_campaign(institution_id, id);

CREATE TABLE release_item (
    campaign_id INTEGER NOT NULL REFERENCES release_campaign(id),
    achievement_id INTEGER NOT NULL REFERENCES achievement(id),
    institution_id INTEGER NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, achievement_id)
);
