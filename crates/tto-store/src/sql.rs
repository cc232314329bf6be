//! A small SQL builder that numbers placeholders `$1, $2, …` (sqlx's own builder writes `?`
//! for the `Any` driver, which PostgreSQL rejects). SQL text can only be appended from
//! `&'static str`, so values can only enter a statement as bound parameters.

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::{AnyConnection, Arguments, AssertSqlSafe, Encode, Type};

use crate::Result;

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
}
