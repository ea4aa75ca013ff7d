//! The gallery's window on the library: which images it shows (search, model, date, starred,
//! the trash, failed jobs) and reading them lazily, a page at a time, newest first.
//!
//! Every read runs off the UI thread and comes back as a [`GalleryMessage`]; each query has a
//! generation number, so the answer to a query the person already changed is dropped.

use super::actions::Action;
use super::background::{Background, Message};
use easel_engine::store::{ImageFilter, ImageRecord, JobPhase, JobSummary, Store, now_ms};
use std::collections::BTreeSet;

/// Images read from the library per page.
pub const PAGE: u32 = 500;
/// How many recent jobs the "Failed jobs" view looks through.
const RECENT_JOBS: u32 = 2000;
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
    const ALL: [Self; 4] = [Self::Any, Self::Day, Self::Week, Self::Month];

    fn label(self) -> &'static str {
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

/// A background read for the gallery.
pub enum GalleryMessage {
    /// A page of images for query `generation`, read from `offset`.
    Page { generation: u64, result: Result<Vec<ImageRecord>, String> },
    /// Failed and unknown jobs, for query `generation`.
    Failed { generation: u64, result: Result<Vec<JobSummary>, String> },
    /// "Empty trash" finished: how many images were deleted for good.
    TrashEmptied(Result<usize, String>),
    /// How many images query `generation` lists over all its pages.
    Count { generation: u64, result: Result<u64, String> },
}

/// The query the person set, and how far the library has been read for it.
pub struct Feed {
    store: Option<Store>,
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
    models: BTreeSet<String>,
    pub failed: Vec<JobSummary>,
    /// How many images the query lists in all (counted when it starts, then kept up to date
    /// as images come and go), so the count is exact before every page is read.
    total: Option<u64>,
    /// "Empty trash…" asks first.
    pub confirm_empty: bool,
}

impl Default for Feed {
    fn default() -> Self {
        Self {
            store: None,
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
        }
    }
}

impl Feed {
    /// Read from `store` from now on, starting with its newest page.
    pub fn attach(&mut self, store: Store, bg: &Background) {
        self.store = Some(store);
        self.restart(bg);
    }

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
    pub fn restart(&mut self, bg: &Background) {
        self.generation += 1;
        self.read = 0;
        self.exhausted = false;
        self.loading = false;
        self.failed.clear();
        self.total = None;
        if self.view == View::Failed {
            self.request_failed(bg);
        } else {
            self.count(bg);
            self.more(bg);
        }
    }

    fn count(&self, bg: &Background) {
        let Some(store) = self.store.clone() else { return };
        let (generation, filter) = (self.generation, self.filter());
        bg.blocking(move || {
            let result = store.count_matching(&filter).map_err(|e| e.to_string());
            Message::Gallery(GalleryMessage::Count { generation, result })
        });
    }

    /// The count arrived (ignored when the query changed meanwhile).
    pub fn on_count(&mut self, generation: u64, result: Result<u64, String>) {
        if generation == self.generation {
            self.total = result.ok();
        }
    }

    /// Which query the listing belongs to (it counts up with every restart).
    pub fn generation(&self) -> u64 {
        self.generation
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
    pub fn more(&mut self, bg: &Background) {
        let Some(store) = self.store.clone() else { return };
        if self.loading || self.exhausted || self.view == View::Failed {
            return;
        }
        self.loading = true;
        let (generation, filter, offset) = (self.generation, self.filter(), self.read);
        bg.blocking(move || {
            let result = store.search(&filter, PAGE, offset).map_err(|e| e.to_string());
            Message::Gallery(GalleryMessage::Page { generation, result })
        });
    }

    fn request_failed(&mut self, bg: &Background) {
        let Some(store) = self.store.clone() else { return };
        let generation = self.generation;
        let text = self.text.trim().to_lowercase();
        bg.blocking(move || {
            let result = store
                .recent_jobs(RECENT_JOBS)
                .map(|jobs| {
                    jobs.into_iter()
                        .filter(|j| matches!(j.state, JobPhase::Failed | JobPhase::Unknown))
                        .filter(|j| text.is_empty() || j.prompt.to_lowercase().contains(&text))
                        .collect()
                })
                .map_err(|e| e.to_string());
            Message::Gallery(GalleryMessage::Failed { generation, result })
        });
    }

    /// Empty the trash for good (after the person confirmed).
    pub fn empty_trash(&mut self, bg: &Background) {
        let Some(store) = self.store.clone() else { return };
        bg.blocking(move || Message::Gallery(GalleryMessage::TrashEmptied(store.empty_trash().map_err(|e| e.to_string()))));
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

    /// The view switch and the filters. Returns true when the query changed.
    pub fn bar_ui(&mut self, ui: &mut egui::Ui) -> bool {
        let before = (self.view, self.text.clone(), self.model.clone(), self.since, self.starred_only);
        ui.horizontal_wrapped(|ui| {
            ui.selectable_value(&mut self.view, View::Library, "Library");
            ui.selectable_value(&mut self.view, View::Trash, "Trash");
            ui.selectable_value(&mut self.view, View::Failed, "Failed jobs");
            ui.separator();
            let label = ui.label("Search");
            ui.add(egui::TextEdit::singleline(&mut self.text).hint_text("words from the prompt").desired_width(180.0))
                .labelled_by(label.id);
            if self.view != View::Failed {
                let model = if self.model.is_empty() { "Any model" } else { self.model.as_str() };
                let label = ui.label("Filter by model");
                egui::ComboBox::from_id_salt("easel-filter-model")
                    .selected_text(model.to_owned())
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut self.model, String::new(), "Any model");
                        for m in &self.models {
                            ui.selectable_value(&mut self.model, m.clone(), m);
                        }
                    })
                    .response
                    .labelled_by(label.id);
                let label = ui.label("Date");
                egui::ComboBox::from_id_salt("easel-filter-date")
                    .selected_text(self.since.label())
                    .show_ui(ui, |ui| {
                        for since in Since::ALL {
                            ui.selectable_value(&mut self.since, since, since.label());
                        }
                    })
                    .response
                    .labelled_by(label.id);
                ui.checkbox(&mut self.starred_only, "Starred only");
            }
            if self.filtered() && ui.button("Clear filters").clicked() {
                self.text.clear();
                self.model.clear();
                self.since = Since::Any;
                self.starred_only = false;
            }
        });
        before != (self.view, self.text.clone(), self.model.clone(), self.since, self.starred_only)
    }

    /// The "Failed jobs" view: what failed or is unknown, newest first, and why.
    pub fn failed_ui(&self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        if self.failed.is_empty() {
            ui.add_space(24.0);
            ui.vertical_centered(|ui| ui.weak("No failed jobs."));
            return;
        }
        egui::ScrollArea::vertical().id_salt("easel-failed-jobs").auto_shrink(false).show(ui, |ui| {
            egui::Grid::new("easel-failed-grid").striped(true).num_columns(4).show(ui, |ui| {
                for job in &self.failed {
                    ui.label(&job.created);
                    ui.add(egui::Label::new(job.prompt.split_whitespace().collect::<Vec<_>>().join(" ")).truncate());
                    let why = match (&job.error, job.state) {
                        (Some(e), _) => e.message.clone(),
                        (None, JobPhase::Unknown) => "unknown: no answer before Easel stopped".to_owned(),
                        (None, _) => "failed".to_owned(),
                    };
                    let line = ui.colored_label(ui.visuals().error_fg_color, why);
                    if let Some(e) = &job.error {
                        line.on_hover_text(format!("What to do: {}", e.hint));
                    }
                    // An unknown job may have been made and charged: its Resubmit (with the
                    // warning) is in the job list. A failed one made nothing, so try again.
                    if job.state == JobPhase::Failed
                        && ui.button("Try again").on_hover_text("Send this job again with the same settings, as a new job.").clicked()
                    {
                        actions.push(Action::RetryStoredJob(job.id.clone()));
                    }
                    ui.end_row();
                }
            });
        });
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
