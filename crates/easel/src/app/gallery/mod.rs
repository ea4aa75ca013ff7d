//! The gallery: thumbnails, newest first, the candidates of one Generate press side by side.
//!
//! The library is read a page at a time as the person scrolls (see [`Feed`]), and only the
//! rows in view are laid out, so tens of thousands of images start and scroll fast;
//! thumbnails are decoded off the UI thread (see [`Thumbnails`](super::textures::Thumbnails)).
//! Above the grid: search, filters, the trash and the failed jobs.
//!
//! - this file: which images are listed, in which groups, and what is starred or picked;
//! - [`feed`]: the query and how far the library has been read for it;
//! - `filters`: the view switch, the filters and the failed jobs view;
//! - `grid`: rows and thumbnails on screen; `paint`: the marks drawn on them;
//! - `toolbar`: the count, saving, the trash buttons.

mod caption;
mod costs;
mod feed;
mod filters;
mod grid;
mod paint;
mod toolbar;

pub use feed::PAGE;
pub use grid::image_label;
pub use paint::paint_thumb_in;
pub use toolbar::Toolbar;

use super::actions::Action;
use super::words::count;
use easel_engine::store::{ImageRecord, JobSummary};
use feed::{Feed, View};
use std::collections::{BTreeSet, HashMap, HashSet};

/// What the command layer read or wrote for the gallery (errors are plain sentences).
pub enum GalleryMessage {
    /// A page of images for query `generation`.
    Page { generation: u64, result: Result<Vec<ImageRecord>, String> },
    /// Failed and unknown jobs, for query `generation`.
    Failed { generation: u64, result: Result<Vec<JobSummary>, String> },
    /// How many images query `generation` lists over all its pages.
    Count { generation: u64, result: Result<u64, String> },
    /// "Empty trash" finished: how many images were deleted for good.
    TrashEmptied(Result<usize, String>),
    /// A change to the library (star, trash, restore) was written, or why not. (Changes and
    /// the gallery's reads are done in the order they were asked for, so a listing asked
    /// for after a change already shows it.)
    Changed(Result<(), String>),
}

/// Which images belong together on a row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupKey {
    /// The jobs of one Generate press in this session.
    Batch(u64),
    /// Images from the library, grouped by the job that made them (or by their
    /// try-on-several-models group).
    Job(String),
}

/// Images that belong together, in the order they arrived.
struct Group {
    key: GroupKey,
    images: Vec<ImageRecord>,
}

/// An image taken out of the gallery, kept so it can be put back.
struct Removed {
    record: ImageRecord,
    key: GroupKey,
    group_index: usize,
}

/// The gallery's images and marks.
#[derive(Default)]
pub struct Gallery {
    /// Newest group first.
    groups: Vec<Group>,
    /// Starred images (also written to the library).
    starred: HashSet<i64>,
    /// Images picked with Ctrl+click, for "Save selected to folder…".
    picked: BTreeSet<i64>,
    removed: HashMap<i64, Removed>,
    /// The library could not be read.
    load_error: Option<String>,
    /// What is listed (search, filters, trash, failed jobs) and how far it was read.
    feed: Feed,
}

/// What taking in a [`GalleryMessage`] has to say.
pub enum Said {
    Nothing,
    Info(String),
    Error(String),
}

impl Gallery {
    /// A background read or write came back. Reads it needs next go to `actions`.
    pub fn on_message(&mut self, message: GalleryMessage, actions: &mut Vec<Action>) -> Said {
        match message {
            GalleryMessage::Page { generation, result } => {
                if let Some(result) = self.feed.on_page(generation, result) {
                    self.load_library(result);
                }
                Said::Nothing
            }
            GalleryMessage::Failed { generation, result } => match self.feed.on_failed(generation, result) {
                Ok(()) => Said::Nothing,
                Err(why) => Said::Info(format!("Failed jobs could not be listed ({why}).")),
            },
            GalleryMessage::Count { generation, result } => {
                self.feed.on_count(generation, result);
                Said::Nothing
            }
            GalleryMessage::TrashEmptied(result) => {
                if self.feed.view == View::Trash {
                    self.reset(actions);
                }
                Said::Info(match result {
                    Ok(n) => format!("Emptied the trash: {} deleted for good.", count(n, "image")),
                    Err(why) => format!("The trash could not be emptied ({why})."),
                })
            }
            GalleryMessage::Changed(Ok(())) => Said::Nothing,
            GalleryMessage::Changed(Err(why)) => Said::Error(why),
        }
    }

    /// Start the listing again for a changed query (and at start-up).
    pub fn reset(&mut self, actions: &mut Vec<Action>) {
        self.groups.clear();
        self.picked.clear();
        self.load_error = None;
        self.feed.restart(actions);
    }

    /// A job ended without images: the Failed jobs view, if open, reads the list again.
    pub fn job_failed(&mut self, actions: &mut Vec<Action>) {
        if self.feed.view == View::Failed {
            self.reset(actions);
        }
    }

    /// A new image arrived: it goes first, next to its batch's other candidates.
    /// (Not while the trash or failed jobs are listed: it shows when the library is.)
    pub fn add(&mut self, record: ImageRecord, key: GroupKey) {
        self.feed.note_model(&record.model);
        if self.feed.view != View::Library {
            return;
        }
        if self.take(record.id).is_none() {
            self.feed.adjust_total(1);
        }
        self.note_star(&record);
        match self.groups.iter().position(|g| g.key == key) {
            Some(index) => {
                let mut group = self.groups.remove(index);
                group.images.push(record);
                self.groups.insert(0, group);
            }
            None => self.groups.insert(0, Group { key, images: vec![record] }),
        }
    }

    /// The library's images (newest first), read at start-up. Images that already arrived
    /// through events stay where they are.
    fn load_library(&mut self, result: Result<Vec<ImageRecord>, String>) {
        let records = match result {
            Ok(records) => records,
            Err(why) => {
                self.load_error = Some(why);
                return;
            }
        };
        let known: HashSet<i64> = self.groups.iter().flat_map(|g| g.images.iter().map(|i| i.id)).collect();
        for record in records.into_iter().filter(|r| !known.contains(&r.id)) {
            self.note_star(&record);
            // A try-on-several-models group stays together, as its jobs did when they ran.
            let key = GroupKey::Job(record.group.clone().unwrap_or_else(|| record.job.clone()));
            match self.groups.last_mut() {
                Some(group) if group.key == key => group.images.insert(0, record),
                _ => self.groups.push(Group { key, images: vec![record] }),
            }
        }
    }

    pub fn get(&self, id: i64) -> Option<&ImageRecord> {
        self.records().find(|r| r.id == id)
    }

    fn records(&self) -> impl Iterator<Item = &ImageRecord> {
        self.groups.iter().flat_map(|g| g.images.iter())
    }

    pub fn len(&self) -> usize {
        self.groups.iter().map(|g| g.images.len()).sum()
    }

    /// The image `step` places before or after `id`, in gallery order.
    pub fn neighbour(&self, id: i64, step: isize) -> Option<i64> {
        let ids: Vec<i64> = self.records().map(|r| r.id).collect();
        let here = ids.iter().position(|i| *i == id)?;
        ids.get(here.checked_add_signed(step)?).copied()
    }

    pub fn is_starred(&self, id: i64) -> bool {
        self.starred.contains(&id)
    }

    /// Star or unstar an image; returns whether it is starred now.
    pub fn toggle_star(&mut self, id: i64) -> bool {
        if self.starred.remove(&id) {
            false
        } else {
            self.starred.insert(id);
            true
        }
    }

    fn note_star(&mut self, record: &ImageRecord) {
        if record.starred {
            self.starred.insert(record.id);
        }
    }

    /// The picked images, for saving to a folder.
    pub fn picked(&self) -> Vec<ImageRecord> {
        self.records().filter(|r| self.picked.contains(&r.id)).cloned().collect()
    }

    /// Take an image out of the gallery; it can be put back with [`Self::restore`].
    /// Returns false when the image was not in the gallery.
    pub fn remove(&mut self, id: i64) -> bool {
        let Some((record, key, group_index)) = self.take(id) else { return false };
        self.removed.insert(id, Removed { record, key, group_index });
        self.feed.note_removed();
        self.feed.adjust_total(-1);
        true
    }

    /// Put a removed image back where it was.
    /// In the trash view, a restored image leaves the list instead.
    pub fn restore(&mut self, id: i64) {
        if self.feed.view == View::Trash {
            self.removed.remove(&id);
            if self.take(id).is_some() {
                self.feed.adjust_total(-1);
            }
            return;
        }
        let Some(Removed { record, key, group_index }) = self.removed.remove(&id) else { return };
        self.feed.adjust_total(1);
        match self.groups.iter_mut().find(|g| g.key == key) {
            Some(group) => {
                let at = group.images.iter().position(|i| i.created_ms > record.created_ms).unwrap_or(group.images.len());
                group.images.insert(at, record);
            }
            None => self.groups.insert(group_index.min(self.groups.len()), Group { key, images: vec![record] }),
        }
    }

    /// Remove an image from its group (dropping an emptied group).
    fn take(&mut self, id: i64) -> Option<(ImageRecord, GroupKey, usize)> {
        let (group_index, image_index) =
            self.groups.iter().enumerate().find_map(|(g, group)| group.images.iter().position(|i| i.id == id).map(|i| (g, i)))?;
        let record = self.groups[group_index].images.remove(image_index);
        let key = self.groups[group_index].key.clone();
        if self.groups[group_index].images.is_empty() {
            self.groups.remove(group_index);
        }
        self.picked.remove(&id);
        Some((record, key, group_index))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gallery(sizes: &[usize]) -> Gallery {
        let groups = sizes.iter().enumerate().map(|(g, &n)| Group { key: GroupKey::Batch(g as u64), images: vec![record(); n] }).collect();
        Gallery { groups, ..Gallery::default() }
    }

    fn record() -> ImageRecord {
        crate::app::fixtures::image_record(1)
    }

    #[test]
    fn groups_share_rows_but_are_never_split_when_they_fit() {
        // Columns of 4: [1,1] share a row, [3] does not fit after them, [6] wraps from a fresh row.
        let rows = gallery(&[1, 1, 3, 6]).rows(4);
        assert_eq!(rows, vec![vec![(0, 0..1), (1, 0..1)], vec![(2, 0..3)], vec![(3, 0..4)], vec![(3, 4..6)],]);
    }
}
