//! Configuration: defaults → `tto.toml` → `TTO_*` environment → command-line flags.

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Config {
    /// `sqlite://path/to/tto.db` or `postgres://user@host/db`.
    pub database_url: String,
    /// Address the server listens on.
    pub bind: String,
    /// Connections in the database pool.
    pub max_connections: u32,
    /// Mark cookies Secure (serve over HTTPS). Set false only for plain-HTTP local use.
    pub secure_cookies: bool,
    /// Base URL used in links sent to people (invitations).
    pub public_url: Option<String>,
    /// Jurisdiction whose policy profile applies.
    pub jurisdiction: String,
    /// A directory of policy profiles to use instead of the embedded ones.
    pub policy_dir: Option<PathBuf>,
    /// Log filter (`info`, `tto=debug,info` …).
    pub log: String,
    /// The search index directory (derived data, rebuilt from the database at start).
    /// Default: `search/` beside a SQLite database file, else `tto-data/search`.
    pub search_dir: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database_url: "sqlite://tto-data/tto.db".to_string(),
            bind: "127.0.0.1:8080".to_string(),
            max_connections: 8,
            secure_cookies: true,
            public_url: None,
            jurisdiction: "CN-TJ".to_string(),
            policy_dir: None,
            log: "info".to_string(),
            search_dir: None,
        }
    }
}

impl Config {
    /// Reads `file` (default `tto.toml` in the working directory, if present) and the
    /// `TTO_*` environment over the defaults.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        let path = file.map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("tto.toml"));
        if file.is_some() && !path.exists() {
            anyhow::bail!("configuration file {} does not exist", path.display());
        }
        let config: Config = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file(&path))
            .merge(Env::prefixed("TTO_").ignore(&["TEST_POSTGRES_URL"]))
            .extract()
            .map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
        Ok(config)
    }

    /// Where the search index of a node on `database_url` lives.
    pub fn search_dir_for(&self, database_url: &str) -> PathBuf {
        if let Some(dir) = &self.search_dir {
            return dir.clone();
        }
        let sqlite = database_url.strip_prefix("sqlite://").or_else(|| database_url.strip_prefix("sqlite:"));
        match sqlite.map(|p| p.split('?').next().unwrap_or(p)).and_then(|p| Path::new(p).parent()) {
            Some(dir) if !dir.as_os_str().is_empty() => dir.join("search"),
            Some(_) => PathBuf::from("search"),
            None => PathBuf::from("tto-data").join("search"),
        }
    }

    pub fn public_url(&self) -> String {
        self.public_url.clone().unwrap_or_else(|| format!("http://{}", self.bind))
    }
}
