//! The domain of tto: what a university technology-transfer office works with, as plain
//! types and functions.
//!
//! This crate does no IO and knows nothing of tokio, sqlx, axum or JSON. Every public
//! constructor validates its input, so a value of a domain type is always a legal value;
//! the only way a function here fails is bad input, reported as [`ValidationErrors`] or a
//! typed error.

#[macro_use]
mod codes;

pub mod achievement;
pub mod auction;
pub mod chain;
pub mod contract;
pub mod credit_code;
pub mod deal;
pub mod disclosure;
pub mod distribution;
pub mod empowerment;
pub mod evaluation;
pub mod event;
pub mod exemption;
pub mod institution;
pub mod ip;
pub mod ledger;
pub mod matching;
pub mod money;
pub mod monitoring;
pub mod notice;
pub mod percent;
pub mod period;
pub mod person;
pub mod policy;
pub mod tax;
pub mod tech_need;
pub mod validation;

pub use achievement::{
    Achievement, AchievementAction, AchievementFields, AchievementId, AchievementStatus, AchievementType,
    Confidentiality, Contributor, FundingSource, Holder, HolderKind, OwnershipPeriod, Trl,
};
pub use chain::{ChainCode, ChainTaxonomy, IndustrialChain};
pub use credit_code::CreditCode;
pub use institution::{Institution, InstitutionFields, InstitutionId, InstitutionKind};
pub use money::Money;
pub use percent::{Percent, Ratio};
pub use period::Period;
pub use person::{Person, PersonId};
pub use validation::{FieldError, ValidationErrors, Violation};
