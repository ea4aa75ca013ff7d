//! The error table: every way a generation can fail, in the person's words.
//!
//! The same table drives the CLI's exit codes, the window's messages and the
//! troubleshooting help, so they can never disagree.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// What kind of failure happened. Decides retries, exit codes and wording.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCategory {
    /// The request was refused as invalid (by us before sending, or by the server), or the content was refused.
    Validation,
    /// The key is missing or wrong.
    Auth,
    /// The account cannot pay for this: credits, plan, model tier, quota.
    Account,
    /// The server kept saying "too many requests" and we ran out of patience.
    RateLimited,
    /// The server broke (5xx, or an answer that is not the API's).
    Server,
    /// The provider reported that the generation itself failed.
    GenerationFailed,
    /// Nothing came back in time.
    Timeout,
    /// The server said success but what it handed over is not a usable image.
    BadOutput,
    /// The connection failed, or something else went wrong on the way.
    Network,
    /// Easel could not write to this computer's disk: it is full, or the data folder is
    /// read-only or not Easel's to write. A local problem, not the service's.
    Storage,
    /// The person cancelled the job.
    Cancelled,
}

/// One row of the error table.
pub struct CategoryInfo {
    pub category: ErrorCategory,
    pub exit_code: i32,
    /// What happened, in one plain sentence.
    pub message: &'static str,
    /// What to do about it.
    pub hint: &'static str,
}

/// The whole table, in the order the help page shows it.
pub const ERROR_TABLE: &[CategoryInfo] = &[
    CategoryInfo {
        category: ErrorCategory::Validation,
        exit_code: 2,
        message: "The request was not accepted because some settings are not allowed.",
        hint: "Change the settings named below and try again. Nothing was charged.",
    },
    CategoryInfo {
        category: ErrorCategory::Auth,
        exit_code: 3,
        message: "The API key is missing or was not accepted.",
        hint: "Paste your key again from the provider's dashboard (it may have been revoked or mistyped).",
    },
    CategoryInfo {
        category: ErrorCategory::Account,
        exit_code: 4,
        message: "Your account cannot pay for this request (credits, plan or quota).",
        hint: "Check your balance and plan in the provider's dashboard, add credits or pick a model your plan includes.",
    },
    CategoryInfo {
        category: ErrorCategory::RateLimited,
        exit_code: 5,
        message: "The service is busy with your other requests and asked us to slow down.",
        hint: "Wait a minute and try again, or run fewer images at once.",
    },
    CategoryInfo {
        category: ErrorCategory::Server,
        exit_code: 6,
        message: "The service had a problem on its side.",
        hint: "Try again in a few minutes, or choose a fallback model. If it persists, check the provider's status page.",
    },
    CategoryInfo {
        category: ErrorCategory::GenerationFailed,
        exit_code: 6,
        message: "The service could not make this image.",
        hint: "Press Retry (this may be charged again), or change the prompt or model.",
    },
    CategoryInfo {
        category: ErrorCategory::Timeout,
        exit_code: 7,
        message: "The service did not answer in time.",
        hint: "Try again; quality models can take minutes. Press Allow more time (in the window's Settings too), or use --timeout on the command line.",
    },
    CategoryInfo {
        category: ErrorCategory::BadOutput,
        exit_code: 8,
        message: "The service said it succeeded, but what it sent is not a usable image.",
        hint: "Try again. Nothing was saved; if it keeps happening, send the diagnostics report to the provider.",
    },
    CategoryInfo {
        category: ErrorCategory::Network,
        exit_code: 1,
        message: "Easel could not reach the service.",
        hint: "Check your internet connection and the server address, then try again.",
    },
    CategoryInfo {
        category: ErrorCategory::Storage,
        exit_code: 9,
        message: "Easel could not save to this computer's disk: it is full, or the data folder cannot be written.",
        hint: "Free some disk space, or make the data folder writable (EASEL_DATA_DIR moves it). Pictures already made are kept and saved when there is room (easel resume); nothing is sent again.",
    },
    CategoryInfo {
        category: ErrorCategory::Cancelled,
        exit_code: 130,
        message: "The job was cancelled.",
        hint: "Press Retry to run it again.",
    },
];

impl ErrorCategory {
    pub fn info(self) -> &'static CategoryInfo {
        ERROR_TABLE.iter().find(|row| row.category == self).expect("every category has a row in ERROR_TABLE")
    }
    pub fn exit_code(self) -> i32 {
        self.info().exit_code
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Validation => "validation",
            Self::Auth => "auth",
            Self::Account => "account",
            Self::RateLimited => "rate_limited",
            Self::Server => "server",
            Self::GenerationFailed => "generation_failed",
            Self::Timeout => "timeout",
            Self::BadOutput => "bad_output",
            Self::Network => "network",
            Self::Storage => "storage",
            Self::Cancelled => "cancelled",
        }
    }
    /// How bad it is, to pick the exit code of a batch: the worst failure wins.
    pub fn severity(self) -> u8 {
        match self {
            Self::Cancelled => 1,
            Self::Network => 2,
            Self::Timeout => 3,
            Self::BadOutput => 4,
            Self::GenerationFailed => 5,
            Self::Server => 6,
            Self::RateLimited => 7,
            Self::Validation => 8,
            Self::Account => 9,
            Self::Auth => 10,
            // Nothing more can be kept until it is fixed.
            Self::Storage => 11,
        }
    }
}

impl fmt::Display for ErrorCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Field name → messages, as servers and our own validation report them.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// A failure, ready to show: category, plain message, hint and the server's own words.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EngineError {
    pub category: ErrorCategory,
    /// One plain sentence for the person.
    pub message: String,
    /// What to do.
    pub hint: String,
    /// The provider's own words, redacted and trimmed; never a raw HTML page.
    pub detail: Option<String>,
    /// Validation messages by field (always present, possibly empty).
    #[serde(default)]
    pub fields: FieldErrors,
    pub http_status: Option<u16>,
    pub request_id: Option<String>,
}

/// Longest provider detail we keep.
pub const MAX_DETAIL_CHARS: usize = 600;

impl EngineError {
    /// An error with the table's message and hint for `category`.
    pub fn new(category: ErrorCategory) -> Self {
        let info = category.info();
        Self {
            category,
            message: info.message.to_owned(),
            hint: info.hint.to_owned(),
            detail: None,
            fields: FieldErrors::new(),
            http_status: None,
            request_id: None,
        }
    }
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = hint.into();
        self
    }
    pub fn with_detail(mut self, detail: impl AsRef<str>) -> Self {
        let detail = trim_detail(detail.as_ref());
        self.detail = (!detail.is_empty()).then_some(detail);
        self
    }
    pub fn with_fields(mut self, fields: FieldErrors) -> Self {
        self.fields = bound_fields(fields);
        self
    }
    pub fn with_http_status(mut self, status: Option<u16>) -> Self {
        self.http_status = status;
        self
    }
    pub fn with_request_id(mut self, id: Option<String>) -> Self {
        self.request_id = id;
        self
    }
    /// The message, the field messages and the hint, as the CLI prints them.
    pub fn describe(&self) -> String {
        let mut out = self.message.clone();
        for (field, messages) in &self.fields {
            out.push_str(&format!("\n  - {field}: {}", messages.join("; ")));
        }
        if let Some(detail) = &self.detail {
            out.push_str(&format!("\n  The service said: {detail}"));
        }
        out.push_str(&format!("\n  What to do: {}", self.hint));
        out
    }
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EngineError {}

/// Most fields, and messages per field, an error keeps.
pub const MAX_FIELDS: usize = 20;
pub const MAX_MESSAGES_PER_FIELD: usize = 5;

/// Field errors as a server sent them, bounded: at most [`MAX_FIELDS`] fields (names cut to
/// 80 characters) of at most [`MAX_MESSAGES_PER_FIELD`] messages, each cut like a detail.
pub fn bound_fields(fields: FieldErrors) -> FieldErrors {
    fields
        .into_iter()
        .take(MAX_FIELDS)
        .map(|(field, messages)| {
            let name = match field.char_indices().nth(80) {
                Some((cut, _)) => format!("{}…", &field[..cut]),
                None => field,
            };
            (name, messages.iter().take(MAX_MESSAGES_PER_FIELD).map(|m| trim_detail(m)).collect())
        })
        .collect()
}

/// Collapse white space and cut to [`MAX_DETAIL_CHARS`] on a character boundary.
pub fn trim_detail(text: &str) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match collapsed.char_indices().nth(MAX_DETAIL_CHARS) {
        Some((cut, _)) => format!("{}…", &collapsed[..cut]),
        None => collapsed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_category_has_one_row_with_the_documented_exit_code() {
        let expected = [
            (ErrorCategory::Validation, 2),
            (ErrorCategory::Auth, 3),
            (ErrorCategory::Account, 4),
            (ErrorCategory::RateLimited, 5),
            (ErrorCategory::Server, 6),
            (ErrorCategory::GenerationFailed, 6),
            (ErrorCategory::Timeout, 7),
            (ErrorCategory::BadOutput, 8),
            (ErrorCategory::Network, 1),
            (ErrorCategory::Storage, 9),
        ];
        for (category, code) in expected {
            assert_eq!(category.exit_code(), code, "{category}");
            assert_eq!(ERROR_TABLE.iter().filter(|r| r.category == category).count(), 1);
        }
    }

    #[test]
    fn detail_is_collapsed_and_trimmed() {
        let long = "word ".repeat(1000);
        let trimmed = trim_detail(&long);
        assert!(trimmed.chars().count() <= MAX_DETAIL_CHARS + 1);
        assert!(trimmed.ends_with('…'));
        assert_eq!(trim_detail("  a \n\t b "), "a b");
    }

    #[test]
    fn category_names_serialize_as_snake_case() {
        let json = serde_json::to_string(&ErrorCategory::GenerationFailed).unwrap();
        assert_eq!(json, "\"generation_failed\"");
        assert_eq!(ErrorCategory::RateLimited.as_str(), "rate_limited");
    }
}
