//! Storage of tto: SQLite (embedded default) and PostgreSQL through one code path.
//!
//! Queries are written once, with `$n` placeholders that both backends understand, and run
//! through sqlx's `Any` driver. The schema sticks to types that driver carries: integers
//! (ids, counts, money in fen, shares in parts per million), text (dates, timestamps, JSON)
//! and booleans (INTEGER 0/1 on SQLite). Two migration directories hold the same schema in
//! each dialect; a conformance test checks they stay in step.
//!
//! Every change happens inside a [`WriteTx`], which locks the chain head first (serialising
//! writers), and cannot commit without having written at least one audit event. Reads go
//! through a [`Reader`]. Repositories are free functions over either, and every read of
//! tenant data takes a [`Scope`]: there is no unscoped query of tenant rows.

pub mod accounts;
pub mod achievements;
pub mod audit;
mod codec;
pub mod contracts;
pub mod deals;
pub mod disclosures;
pub mod distributions;
pub mod empowerment;
pub mod events;
pub mod feed;
pub mod institutions;
pub mod ip;
pub mod ledger;
pub mod market;
pub mod matching;
mod migrations;
pub mod notices;
pub mod releases;
pub mod reviews;
mod sql;
pub mod tech_needs;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod tx;

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Executor};

pub use codec::{format_date, format_timestamp, parse_timestamp};
pub use tto_domain::InstitutionId;
pub use tx::{Actor, WriteTx};

/// Which database a [`Store`] talks to; decides the few dialect differences.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A unique constraint was violated (a duplicate slipped past the use case's check,
    /// e.g. in a race).
    #[error("duplicate: {0}")]
    Duplicate(String),
    /// The row changed since the caller loaded it.
    #[error("the record was changed by someone else")]
    StaleVersion,
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
    #[error("unsupported database URL {0:?}: use sqlite:// or postgres://")]
    UnsupportedUrl(String),
    #[error("a write transaction must record at least one audit event")]
    Unaudited,
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Database(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e
            && db.is_unique_violation()
        {
            return StoreError::Duplicate(db.message().to_string());
        }
        if let sqlx::Error::RowNotFound = e {
            return StoreError::NotFound;
        }
        StoreError::Database(e)
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Whose rows a read may see. Computed by `tto-app` from the actor; the store applies it to
/// every query of tenant data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Regulators and the platform itself: every institution.
    All,
    /// One institution's own rows.
    Institution(InstitutionId),
    /// Signed-in users of other kinds: their own institution's rows plus public rows of
    /// everyone else.
    OwnOrPublic(InstitutionId),
    /// Anonymous visitors: published, non-confidential rows, public fields only.
    Public,
}

/// Connection settings chosen by the binary.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
    /// How long a read of the data version may be reused before asking the database again
    /// (see [`Store::data_version`]).
    pub version_freshness: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            max_connections: 8,
            acquire_timeout: Duration::from_secs(10),
            version_freshness: Duration::from_millis(200),
        }
    }
}

/// The last data version read, when, and how many local commits had happened then.
#[derive(Debug)]
struct VersionCache {
    freshness: Duration,
    started: Instant,
    value: AtomicI64,
    /// Microseconds after `started` when `value` was read; `u64::MAX` when never.
    read_at: AtomicU64,
    commits_at_read: AtomicU64,
    /// Commits of this process (incremented by every `WriteTx::commit`).
    commits: AtomicU64,
}

#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    version: Arc<VersionCache>,
}

impl Store {
    /// Connects to `sqlite://path` (created if missing; WAL, foreign keys on) or
    /// `postgres://…`.
    pub async fn connect(url: &str, options: &StoreOptions) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_string()));
        };
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
            }
            _ => url.to_string(),
        };
        let connect_options = AnyConnectOptions::from_str(&url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(options.max_connections)
            .acquire_timeout(options.acquire_timeout)
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run beside the single writer; NORMAL sync is durable
                        // against a killed process. busy_timeout makes writers queue, not fail.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                        // Keep planner statistics fresh (only tables that grew or were never
                        // analysed). Without them SQLite sorts 100,000 rows instead of
                        // walking the ordering index.
                        conn.execute("PRAGMA optimize = 0x10002").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(connect_options)
            .await?;
        let version = Arc::new(VersionCache {
            freshness: options.version_freshness,
            started: Instant::now(),
            value: AtomicI64::new(0),
            read_at: AtomicU64::new(u64::MAX),
            commits_at_read: AtomicU64::new(0),
            commits: AtomicU64::new(0),
        });
        Ok(Store { pool, backend, version })
    }

    /// A number that changes whenever any data changes: the change-feed head. Cached
    /// aggregates and lists are keyed by it. To spare a query per page view it is reused
    /// for up to `version_freshness`, except that a commit in this process invalidates it
    /// at once — so a user always sees their own writes, and writes of other nodes sharing
    /// the database show within `version_freshness`.
    pub async fn data_version(&self) -> Result<i64> {
        let v = &self.version;
        let now = v.started.elapsed().as_micros() as u64;
        let read_at = v.read_at.load(Ordering::Acquire);
        let commits = v.commits.load(Ordering::Acquire);
        let fresh = read_at != u64::MAX
            && now.saturating_sub(read_at) < v.freshness.as_micros() as u64
            && v.commits_at_read.load(Ordering::Acquire) == commits;
        if fresh {
            return Ok(v.value.load(Ordering::Acquire));
        }
        let mut r = self.reader().await?;
        let head = feed::head(&mut r).await?;
        v.value.store(head, Ordering::Release);
        v.commits_at_read.store(commits, Ordering::Release);
        v.read_at.store(now, Ordering::Release);
        Ok(head)
    }

    pub(crate) fn note_commit(&self) {
        self.version.commits.fetch_add(1, Ordering::AcqRel);
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies the embedded migrations of this backend.
    pub async fn migrate(&self) -> Result<()> {
        migrations::migrator(self.backend).run(&self.pool).await?;
        Ok(())
    }

    /// A pooled connection for reads.
    pub async fn reader(&self) -> Result<Reader> {
        Ok(Reader(self.pool.acquire().await?))
    }

    /// Starts a write transaction on behalf of `actor` at `now`.
    pub async fn write(&self, actor: Actor, now: time::OffsetDateTime) -> Result<WriteTx> {
        WriteTx::begin(self, actor, now).await
    }

    /// Bookkeeping writes outside a `WriteTx` (see `accounts::touch_session`).
    pub(crate) async fn bookkeeping(&self) -> Result<PoolConnection<Any>> {
        Ok(self.pool.acquire().await?)
    }

    /// Refreshes the query planner's statistics (after bulk loads).
    pub async fn analyze(&self) -> Result<()> {
        let mut conn = self.pool.acquire().await?;
        match self.backend {
            Backend::Sqlite => conn.execute("ANALYZE").await?,
            Backend::Postgres => conn.execute("ANALYZE").await?,
        };
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }
}

/// A pooled connection for reads.
pub struct Reader(PoolConnection<Any>);

/// Something repositories can run queries on: a [`Reader`] or a [`WriteTx`].
pub trait Conn: Send {
    #[doc(hidden)]
    fn conn(&mut self) -> &mut AnyConnection;
}

impl Conn for Reader {
    fn conn(&mut self) -> &mut AnyConnection {
        &mut self.0
    }
}
