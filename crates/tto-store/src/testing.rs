//! Fresh databases for tests: a temporary SQLite file always, and a fresh PostgreSQL schema
//! when `TTO_TEST_POSTGRES_URL` is set. Every suite runs its cases on each of them.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::{AnyConnection, Connection, Executor};

use crate::{Backend, Store, StoreOptions};

static COUNTER: AtomicU64 = AtomicU64::new(0);

pub const POSTGRES_ENV: &str = "TTO_TEST_POSTGRES_URL";

/// A migrated, empty database that removes itself on [`TestDb::cleanup`].
pub struct TestDb {
    pub store: Store,
    pub url: String,
    sqlite_dir: Option<PathBuf>,
    pg_schema: Option<(String, String)>,
}

fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{prefix}_{}_{n}_{}", std::process::id(), nanos % 1_000_000_000)
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = std::env::temp_dir().join(unique("tto_test"));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        let url = format!("sqlite://{}", dir.join("tto.db").display());
        let store = Store::connect(&url, &StoreOptions::default()).await.expect("open sqlite");
        store.migrate().await.expect("migrate sqlite");
        TestDb { store, url, sqlite_dir: Some(dir), pg_schema: None }
    }

    /// A fresh schema in the PostgreSQL database of `base_url`, used through `search_path`.
    pub async fn postgres(base_url: &str) -> TestDb {
        sqlx::any::install_default_drivers();
        let schema = unique("tto_t");
        let mut admin = AnyConnection::connect(base_url).await.expect("connect to TTO_TEST_POSTGRES_URL");
        admin.execute(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}"))).await.expect("create schema");
        admin.close().await.ok();
        let sep = if base_url.contains('?') { '&' } else { '?' };
        let url = format!("{base_url}{sep}options[search_path]={schema}");
        let store = Store::connect(&url, &StoreOptions::default()).await.expect("open postgres");
        store.migrate().await.expect("migrate postgres");
        TestDb { store, url, sqlite_dir: None, pg_schema: Some((base_url.to_string(), schema)) }
    }

    /// SQLite, plus PostgreSQL when `TTO_TEST_POSTGRES_URL` is set.
    pub async fn all() -> Vec<TestDb> {
        let mut dbs = vec![TestDb::sqlite().await];
        if let Ok(url) = std::env::var(POSTGRES_ENV)
            && !url.trim().is_empty()
        {
            dbs.push(TestDb::postgres(url.trim()).await);
        }
        dbs
    }

    pub fn backend(&self) -> Backend {
        self.store.backend()
    }

    pub async fn cleanup(self) {
        self.store.close().await;
        if let Some(dir) = self.sqlite_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some((base, schema)) = self.pg_schema
            && let Ok(mut admin) = AnyConnection::connect(&base).await
        {
            let _ = admin.execute(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE"))).await;
            let _ = admin.close().await;
        }
    }
}
