//! The gallery's window on the library: which images it shows (search, model, date, starred,
//! the trash, failed jobs) and how far they have been read, a page at a time, newest first.
//!
//! The feed only decides what to read: it asks with [`Action::ReadLibrary`], the command layer
//! reads off the UI thread, and the answer comes back as a
//! [`GalleryMessage`](super::GalleryMessage). Each query has a generation number, so the
//! answer to a query the person already changed is dropped.

use crate::app::actions::{Action, LibraryRead};
use crate::app::logging;
use easel_engine::store::{ImageFilter, ImageRecord, JobSummary, now_ms};
use std::collections::BTreeSet;

/// Images read from the library per page.
pub const PAGE: u32 = 500;
const DAY_MS: i64 = 86_400_000;

/// What the gallery lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    Library,
    Trash,
    Failed,
}

/// How far back to look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Since {
    Any,
    Day,
    Week,
    Month,
}

impl Since {
    pub const ALL: [Self; 4] = [Self::Any, Self::Day, Self::Week, Self::Month];

    pub fn label(self) -> &'static str {
        match self {
            Self::Any => "Any time",
            Self::Day => "Last 24 hours",
            Self::Week => "Last 7 days",
            Self::Month => "Last 30 days",
        }
    }

    fn days(self) -> Option<i64> {
        match self {
            Self::Any => None,
            Self::Day => Some(1),
            Self::Week => Some(7),
            Self::Month => Some(30),
        }
    }
}

/// The query the person set, and how far the library has been read for it.
pub struct Feed {
    pub view: View,
    pub text: String,
    /// Empty: every model.
    pub model: String,
    pub since: Since,
    pub starred_only: bool,
    generation: u64,
    /// Rows read from the library so far for this query.
    read: u32,
    loading: bool,
    exhausted: bool,
    /// Models seen so far, for the model filter.
    pub models: BTreeSet<String>,
    pub failed: Vec<JobSummary>,
    /// How many images the query lists in all (counted when it starts, then kept up to date
    /// as images come and go), so the count is exact before every page is read.
    total: Option<u64>,
    /// "Empty trash…" asks first.
    pub confirm_empty: bool,
    /// "Try again" on a failed job that may have been charged asks first.
    pub confirm_retry: Option<JobSummary>,
}

impl Default for Feed {
    fn default() -> Self {
        Self {
            view: View::Library,
            text: String::new(),
            model: String::new(),
            since: Since::Any,
            starred_only: false,
            generation: 0,
            read: 0,
            loading: false,
            exhausted: true,
            models: BTreeSet::new(),
            failed: Vec::new(),
            total: None,
            confirm_empty: false,
            confirm_retry: None,
        }
    }
}

impl Feed {
    /// The filter the current query stands for.
    pub fn filter(&self) -> ImageFilter {
        let text = self.text.trim();
        ImageFilter {
            text: (!text.is_empty()).then(|| text.to_owned()),
            model: (!self.model.is_empty()).then(|| self.model.clone()),
            since_ms: self.since.days().map(|d| now_ms() - d * DAY_MS),
            until_ms: None,
            starred_only: self.starred_only,
            trash: self.view == View::Trash,
        }
    }

    /// The query changed: forget what was read and start again from the newest.
    pub fn restart(&mut self, actions: &mut Vec<Action>) {
        self.generation += 1;
        self.read = 0;
        self.exhausted = false;
        self.loading = false;
        self.failed.clear();
        self.total = None;
        let generation = self.generation;
        if self.view == View::Failed {
            actions.push(Action::ReadLibrary(LibraryRead::FailedJobs { generation, text: self.text.trim().to_lowercase() }));
        } else {
            actions.push(Action::ReadLibrary(LibraryRead::Count { generation, filter: self.filter() }));
            self.more(actions);
        }
    }

    /// The count arrived (ignored when the query changed meanwhile).
    /// Without a count, the gallery says "500+ images" until every page is read.
    pub fn on_count(&mut self, generation: u64, result: Result<u64, String>) {
        if generation == self.generation {
            self.total = result.map_err(|why| logging::note(&format!("the gallery could not count its images: {why}"))).ok();
        }
    }

    /// The exact number of images the query lists, once counted.
    pub fn total(&self) -> Option<u64> {
        self.total
    }

    /// An image joined (+1) or left (-1) the listing.
    pub fn adjust_total(&mut self, by: i64) {
        if let Some(total) = &mut self.total {
            *total = total.saturating_add_signed(by);
        }
    }

    /// Read the next page, unless one is on its way or there is no more.
    pub fn more(&mut self, actions: &mut Vec<Action>) {
        if self.loading || self.exhausted || self.view == View::Failed {
            return;
        }
        self.loading = true;
        actions.push(Action::ReadLibrary(LibraryRead::Page { generation: self.generation, filter: self.filter(), offset: self.read }));
    }

    /// A page arrived. Returns its images when it belongs to the current query.
    pub fn on_page(&mut self, generation: u64, result: Result<Vec<ImageRecord>, String>) -> Option<Result<Vec<ImageRecord>, String>> {
        if generation != self.generation {
            return None;
        }
        self.loading = false;
        match &result {
            Ok(records) => {
                self.read += records.len() as u32;
                self.exhausted = (records.len() as u32) < PAGE;
                self.models.extend(records.iter().map(|r| r.model.clone()));
            }
            Err(_) => self.exhausted = true,
        }
        Some(result)
    }

    pub fn on_failed(&mut self, generation: u64, result: Result<Vec<JobSummary>, String>) -> Result<(), String> {
        if generation == self.generation {
            self.failed = result?;
        }
        Ok(())
    }

    /// More of the library is left to read for this query.
    pub fn more_to_read(&self) -> bool {
        self.view != View::Failed && !self.exhausted
    }

    /// An image left the listing (moved to the trash): later pages start one row earlier.
    pub fn note_removed(&mut self) {
        self.read = self.read.saturating_sub(1);
    }

    pub fn note_model(&mut self, model: &str) {
        if !self.models.contains(model) {
            self.models.insert(model.to_owned());
        }
    }

    /// Any filter beyond the plain library listing.
    pub fn filtered(&self) -> bool {
        !self.text.trim().is_empty() || !self.model.is_empty() || self.since != Since::Any || self.starred_only
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_of_an_old_query_are_dropped_and_a_short_page_ends_the_listing() {
        let mut feed = Feed { exhausted: false, generation: 2, ..Feed::default() };
        assert!(feed.on_page(1, Ok(Vec::new())).is_none(), "the answer to a query already changed");
        assert!(feed.more_to_read());
        assert!(feed.on_page(2, Ok(Vec::new())).is_some());
        assert!(!feed.more_to_read(), "fewer than a page: nothing more to read");
    }

    #[test]
    fn a_new_query_asks_for_its_count_and_first_page_and_the_failed_view_for_its_jobs() {
        let mut feed = Feed { text: " Fox ".into(), ..Feed::default() };
        let mut actions = Vec::new();
        feed.restart(&mut actions);
        let reads: Vec<_> = actions
            .iter()
            .map(|a| match a {
                Action::ReadLibrary(LibraryRead::Count { generation, .. }) => format!("count {generation}"),
                Action::ReadLibrary(LibraryRead::Page { generation, offset, .. }) => format!("page {generation} from {offset}"),
                _ => "other".to_owned(),
            })
            .collect();
        assert_eq!(reads, ["count 1", "page 1 from 0"]);
        feed.more(&mut actions);
        assert_eq!(actions.len(), 2, "a page is on its way: not asked twice");

        feed.view = View::Failed;
        actions.clear();
        feed.restart(&mut actions);
        assert!(matches!(&actions[..], [Action::ReadLibrary(LibraryRead::FailedJobs { generation: 2, text })] if text == "fox"));
    }

    #[test]
    fn the_filter_follows_what_the_person_set() {
        let feed = Feed {
            text: "  red fox ".into(),
            model: "sdxl".into(),
            since: Since::Week,
            starred_only: true,
            view: View::Trash,
            ..Feed::default()
        };
        let filter = feed.filter();
        assert_eq!(filter.text.as_deref(), Some("red fox"));
        assert_eq!(filter.model.as_deref(), Some("sdxl"));
        assert!(filter.starred_only && filter.trash);
        let since = filter.since_ms.unwrap();
        assert!((now_ms() - since - 7 * DAY_MS).abs() < 60_000);
        assert_eq!(Feed::default().filter(), ImageFilter::default());
    }
}
