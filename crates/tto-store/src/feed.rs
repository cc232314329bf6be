//! The change feed: what changed, in commit order, for followers such as search indexes.

use crate::codec::{i64_col, opt_i64_col, str_col};
use crate::sql::Sql;
use crate::{Conn, InstitutionId, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub seq: i64,
    pub institution_id: Option<InstitutionId>,
    pub entity_type: String,
    pub entity_id: String,
    pub op: String,
}

/// Changes after `after`, oldest first, at most `limit`.
pub async fn since(db: &mut impl Conn, after: i64, limit: i64) -> Result<Vec<Change>> {
    let mut q = Sql::new("SELECT seq, institution_id, entity_type, entity_id, op FROM change_feed WHERE seq > ");
    q.bind(after).push(" ORDER BY seq LIMIT ").bind(limit);
    q.fetch_all(db.conn())
        .await?
        .iter()
        .map(|row| {
            Ok(Change {
                seq: i64_col(row, "seq")?,
                institution_id: opt_i64_col(row, "institution_id")?.map(InstitutionId),
                entity_type: str_col(row, "entity_type")?,
                entity_id: str_col(row, "entity_id")?,
                op: str_col(row, "op")?,
            })
        })
        .collect()
}

/// The sequence number of the latest committed change (0 when none). Cheap: one row.
pub async fn head(db: &mut impl Conn) -> Result<i64> {
    let row = Sql::new("SELECT feed_seq FROM chain_head WHERE id = 1").fetch_one(db.conn()).await?;
    i64_col(&row, "feed_seq")
}
