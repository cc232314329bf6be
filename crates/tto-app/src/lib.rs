//! The use cases of tto.
//!
//! [`App`] is what the web layer and the CLI call. Each use case takes the [`Actor`] it runs
//! for, checks the permission matrix, scopes its reads, runs its writes in one
//! [`tto_store::WriteTx`] (which records the audit event), and returns domain values or an
//! [`AppError`]. Nothing here knows HTTP, HTML or JSON wire shapes.

pub mod accounts;
pub mod achievements;
pub mod audit_log;
pub mod authz;
mod cache;
mod clock;
pub mod contracts;
pub mod deals;
pub mod disclosures;
pub mod distributions;
pub mod empowerment;
mod error;
pub mod events;
pub mod evidence;
pub mod import;
pub mod institutions;
pub mod ip;
pub mod ledger;
pub mod market;
pub mod matching;
pub mod notices;
pub mod policy_files;
pub mod releases;
pub mod reviews;
pub mod search;
pub mod tasks;
pub mod tech_needs;
pub mod tokens;

use std::sync::Arc;

use time::OffsetDateTime;
use tto_domain::ChainTaxonomy;
use tto_domain::policy::{PolicyProfile, PolicySet};
use tto_store::Store;

pub use authz::{Actor, Permission, Role, UserContext, UserId};
pub use clock::{Clock, FixedClock, SystemClock};
pub use error::{AppError, Result};

/// Settings of the platform (not policy: those are in the profiles).
#[derive(Debug, Clone)]
pub struct Settings {
    /// The jurisdiction whose profile applies (`CN-TJ`).
    pub jurisdiction: String,
    /// How long a sign-in lasts without activity.
    pub session_idle: time::Duration,
    /// How long a sign-in lasts at most.
    pub session_max: time::Duration,
    /// How long an invitation link is valid.
    pub invitation_ttl: time::Duration,
    /// Failed sign-ins allowed per account within `throttle_window` before it is locked.
    pub throttle_per_account: i64,
    /// Failed sign-ins allowed per network address within `throttle_window`.
    pub throttle_per_address: i64,
    pub throttle_window: time::Duration,
    /// Argon2 cost: memory in KiB, iterations, lanes. Tests lower it; production keeps
    /// the OWASP-recommended minimum or more.
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    /// The offset of the jurisdiction's civil day (China Standard Time, UTC+8): notices,
    /// deadlines and "today" follow it.
    pub utc_offset: time::UtcOffset,
    /// Where the search index lives; `None` keeps it in memory (tests, small deployments).
    /// Either way it is rebuilt from the database at start and follows the change feed.
    pub search_dir: Option<std::path::PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            jurisdiction: "CN-TJ".to_string(),
            session_idle: time::Duration::hours(8),
            session_max: time::Duration::days(7),
            invitation_ttl: time::Duration::days(7),
            throttle_per_account: 5,
            throttle_per_address: 30,
            throttle_window: time::Duration::minutes(15),
            argon2_memory_kib: 19 * 1024,
            argon2_iterations: 2,
            utc_offset: time::macros::offset!(+8),
            search_dir: None,
        }
    }
}

struct Inner {
    store: Store,
    policy: PolicySet,
    chains: ChainTaxonomy,
    clock: Arc<dyn Clock>,
    settings: Settings,
    cache: cache::ReadCache,
    search: search::SearchService,
}

/// The application: cheap to clone, shared by every request.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

impl App {
    pub fn new(
        store: Store,
        policy: PolicySet,
        chains: ChainTaxonomy,
        clock: Arc<dyn Clock>,
        settings: Settings,
    ) -> App {
        let search = search::SearchService::new(settings.search_dir.clone());
        App {
            inner: Arc::new(Inner {
                store,
                policy,
                chains,
                clock,
                settings,
                cache: cache::ReadCache::default(),
                search,
            }),
        }
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn policy(&self) -> &PolicySet {
        &self.inner.policy
    }

    pub fn chains(&self) -> &ChainTaxonomy {
        &self.inner.chains
    }

    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    pub(crate) fn search_service(&self) -> &search::SearchService {
        &self.inner.search
    }

    pub(crate) fn cache(&self) -> &cache::ReadCache {
        &self.inner.cache
    }

    pub fn now(&self) -> OffsetDateTime {
        self.inner.clock.now()
    }

    /// The civil date in the jurisdiction (UTC+8 by default), not the UTC date.
    pub fn today(&self) -> time::Date {
        self.now().to_offset(self.inner.settings.utc_offset).date()
    }

    /// The profile of the platform's jurisdiction in force on `day`.
    pub fn profile_on(&self, day: time::Date) -> Option<&PolicyProfile> {
        self.inner.policy.in_force(&self.inner.settings.jurisdiction, day)
    }
}
