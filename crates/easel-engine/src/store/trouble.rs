//! What a failed write means for the person: a full disk, a read-only or forbidden data
//! folder, or something else on this computer: always the `storage` category, never the
//! network's, with words that say which.

use super::StoreError;
use crate::error::{EngineError, ErrorCategory};
use std::io::ErrorKind;

/// Why the library or an image file could not be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StorageProblem {
    /// No room left on the disk (or the account's disk quota is used up).
    Full,
    /// The disk or the data folder is read-only.
    ReadOnly,
    /// Easel is not allowed to write there.
    NotAllowed,
    /// Something else went wrong on this computer's disk.
    Other,
}

impl StorageProblem {
    fn of_io(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::StorageFull | ErrorKind::QuotaExceeded | ErrorKind::FileTooLarge => Self::Full,
            ErrorKind::ReadOnlyFilesystem => Self::ReadOnly,
            ErrorKind::PermissionDenied => Self::NotAllowed,
            _ => Self::Other,
        }
    }

    /// The problem in one plain sentence.
    pub fn sentence(self) -> &'static str {
        match self {
            Self::Full => "The disk is full.",
            Self::ReadOnly => "The data folder is read-only.",
            Self::NotAllowed => "Easel is not allowed to write to its data folder.",
            Self::Other => "Writing to the data folder failed.",
        }
    }
}

impl StoreError {
    /// What kind of local storage problem this is.
    pub fn storage_problem(&self) -> StorageProblem {
        use rusqlite::ErrorCode;
        match self {
            Self::Io { source, .. } => StorageProblem::of_io(source.kind()),
            Self::Db(rusqlite::Error::SqliteFailure(e, _)) => match e.code {
                ErrorCode::DiskFull => StorageProblem::Full,
                ErrorCode::ReadOnly => StorageProblem::ReadOnly,
                ErrorCode::CannotOpen | ErrorCode::PermissionDenied => StorageProblem::NotAllowed,
                _ => StorageProblem::Other,
            },
            _ => StorageProblem::Other,
        }
    }
}

/// The person's error for a write that failed: `what` happened (one sentence), the kind of
/// problem, and the table's advice; the library's own words as the detail.
pub fn storage_error(e: &StoreError, what: &str) -> EngineError {
    EngineError::new(ErrorCategory::Storage).with_message(format!("{what} {}", e.storage_problem().sentence())).with_detail(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn full_read_only_and_forbidden_are_told_apart_and_all_are_storage() {
        let io = |kind| StoreError::Io { path: PathBuf::from("/d"), source: std::io::Error::from(kind) };
        assert_eq!(io(ErrorKind::StorageFull).storage_problem(), StorageProblem::Full);
        assert_eq!(io(ErrorKind::ReadOnlyFilesystem).storage_problem(), StorageProblem::ReadOnly);
        assert_eq!(io(ErrorKind::PermissionDenied).storage_problem(), StorageProblem::NotAllowed);
        let full = rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL), None);
        assert_eq!(StoreError::Db(full).storage_problem(), StorageProblem::Full);
        let err = storage_error(&io(ErrorKind::StorageFull), "The picture arrived but could not be saved.");
        assert_eq!(err.category, ErrorCategory::Storage);
        assert_eq!(err.message, "The picture arrived but could not be saved. The disk is full.");
    }
}
