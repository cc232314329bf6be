//! The errors of use cases. The web layer maps each variant to one status code.

use tto_domain::achievement::IllegalTransition;
use tto_domain::{ValidationErrors, Violation};
use tto_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Bad input: every problem, per field.
    #[error("invalid input: {0}")]
    Validation(ValidationErrors),
    #[error("{entity} not found")]
    NotFound { entity: &'static str },
    /// Signed in, but the roles do not allow this.
    #[error("not allowed")]
    Forbidden,
    /// Needs a signed-in user (or a valid token).
    #[error("sign-in required")]
    Unauthenticated,
    /// Wrong user name or password (deliberately not saying which).
    #[error("wrong user name or password")]
    InvalidCredentials,
    /// The request conflicts with the current state: a duplicate, a stale version.
    #[error("conflict on {field}: {violation}")]
    Conflict { field: String, violation: Violation },
    #[error(transparent)]
    IllegalTransition(#[from] IllegalTransition),
    /// Too many failed sign-ins; try again later.
    #[error("too many attempts; retry after {retry_after_secs} s")]
    TooManyAttempts { retry_after_secs: u64 },
    /// A fault of the platform (database down, corrupt data). Logged; never shown in detail.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn field(field: &str, violation: Violation) -> AppError {
        AppError::Validation(ValidationErrors::single(field, violation))
    }

    pub fn conflict(field: &str, violation: Violation) -> AppError {
        AppError::Conflict { field: field.to_string(), violation }
    }
}

impl From<ValidationErrors> for AppError {
    fn from(e: ValidationErrors) -> Self {
        AppError::Validation(e)
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound { entity: "record" },
            StoreError::StaleVersion => AppError::conflict("version", Violation::StaleVersion),
            StoreError::Duplicate(what) => AppError::conflict("record", Violation::Duplicate { value: what }),
            other => AppError::Internal(other.to_string()),
        }
    }
}

pub type Result<T, E = AppError> = std::result::Result<T, E>;
