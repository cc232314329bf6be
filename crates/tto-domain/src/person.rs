//! People: researchers, inventors, technology managers. A person may or may not have a
//! user account; contributions and ownership refer to people by name and optionally by id.

use time::OffsetDateTime;

use crate::institution::InstitutionId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PersonId(pub i64);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: PersonId,
    pub institution_id: InstitutionId,
    pub name: String,
    /// Department or school (学院/系).
    pub unit: Option<String>,
    pub title: Option<String>,
    pub created_at: OffsetDateTime,
}
