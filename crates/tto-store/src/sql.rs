//! A small SQL builder that numbers placeholders `$1, $2, …` (sqlx's own builder writes `?`
//! for the `Any` driver, which PostgreSQL rejects). SQL text can only be appended from
//! `&'static str`, so values can only enter a statement as bound parameters.

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::{AnyConnection, Arguments, AssertSqlSafe, Encode, Type};

use crate::{Result, Scope};

pub(crate) struct Sql {
    text: String,
    args: AnyArguments,
    count: usize,
}

impl Sql {
    pub(crate) fn new(text: &'static str) -> Sql {
        Sql { text: text.to_string(), args: AnyArguments::default(), count: 0 }
    }

    pub(crate) fn push(&mut self, text: &'static str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `value`.
    pub(crate) fn bind<T>(&mut self, value: T) -> &mut Self
    where
        T: Encode<'static, sqlx::Any> + Type<sqlx::Any> + Send + 'static,
    {
        self.count += 1;
        self.text.push('$');
        self.text.push_str(&self.count.to_string());
        // Encoding into `Any` arguments only fails for unsupported types, which do not compile.
        let _ = self.args.add(value);
        self
    }

    /// Appends `$a, $b, …` bound to `values` (the value list of an INSERT).
    pub(crate) fn values<const N: usize>(&mut self, values: [Arg; N]) -> &mut Self {
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.arg(v);
        }
        self
    }

    /// Appends `column = $n` (preceded by a comma unless it is the first of an UPDATE's SET).
    pub(crate) fn set(&mut self, column: &'static str, value: impl Into<Arg>) -> &mut Self {
        if !self.text.ends_with(" SET ") {
            self.text.push_str(", ");
        }
        self.text.push_str(column);
        self.text.push_str(" = ");
        self.arg(value.into())
    }

    /// Ends the SET list of an UPDATE of a versioned row: bumps the version, where row `id`
    /// still has `version` (optimistic concurrency; see [`Sql::execute_versioned`]).
    pub(crate) fn where_version(&mut self, id: i64, version: i64) -> &mut Self {
        self.push(", version = version + 1 WHERE id = ").bind(id).push(" AND version = ").bind(version)
    }

    /// Restricts an internal read (not the public catalogue) to the rows `scope` may see:
    /// its institution's by `column`; nothing for anonymous visitors.
    pub(crate) fn internal_scope(&mut self, scope: Scope, column: &'static str) -> &mut Self {
        match scope {
            Scope::All => self,
            Scope::Institution(id) | Scope::OwnOrPublic(id) => self.push(" AND ").push(column).push(" = ").bind(id.0),
            Scope::Public => self.push(" AND 1 = 0"),
        }
    }

    fn arg(&mut self, value: Arg) -> &mut Self {
        match value {
            Arg::Int(v) => self.bind(v),
            Arg::Text(v) => self.bind(v),
            Arg::Bool(v) => self.bind(v),
        }
    }

    pub(crate) async fn fetch_all(self, conn: &mut AnyConnection) -> Result<Vec<AnyRow>> {
        Ok(sqlx::query_with(AssertSqlSafe(self.text), self.args).fetch_all(conn).await?)
    }

    pub(crate) async fn fetch_optional(self, conn: &mut AnyConnection) -> Result<Option<AnyRow>> {
        Ok(sqlx::query_with(AssertSqlSafe(self.text), self.args).fetch_optional(conn).await?)
    }

    pub(crate) async fn fetch_one(self, conn: &mut AnyConnection) -> Result<AnyRow> {
        Ok(sqlx::query_with(AssertSqlSafe(self.text), self.args).fetch_one(conn).await?)
    }

    pub(crate) async fn execute(self, conn: &mut AnyConnection) -> Result<u64> {
        Ok(sqlx::query_with(AssertSqlSafe(self.text), self.args).execute(conn).await?.rows_affected())
    }

    /// Runs an UPDATE ended by [`Sql::where_version`]: no row changed means someone else
    /// changed the record since it was read.
    pub(crate) async fn execute_versioned(self, conn: &mut AnyConnection) -> Result<()> {
        match self.execute(conn).await? {
            1 => Ok(()),
            _ => Err(crate::StoreError::StaleVersion),
        }
    }
}

/// A value for [`Sql::values`] and [`Sql::set`].
pub(crate) enum Arg {
    Int(Option<i64>),
    Text(Option<String>),
    Bool(bool),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Arg {
        Arg::Int(Some(v))
    }
}

impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Arg {
        Arg::Int(v)
    }
}

impl From<String> for Arg {
    fn from(v: String) -> Arg {
        Arg::Text(Some(v))
    }
}

impl From<&str> for Arg {
    fn from(v: &str) -> Arg {
        Arg::Text(Some(v.to_string()))
    }
}

impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Arg {
        Arg::Text(v)
    }
}

impl From<bool> for Arg {
    fn from(v: bool) -> Arg {
        Arg::Bool(v)
    }
}

/// A `LIKE` pattern matching `text` anywhere, case-folded, with its wildcards escaped so
/// user text matches literally (use with `ESCAPE '\\'`).
pub(crate) fn like_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}
