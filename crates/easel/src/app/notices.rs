//! Short notices in the corner: what just happened, with Undo where it applies.

use super::actions::Action;
use super::style;
use std::time::{Duration, Instant};

/// How long good news stays up.
const INFO_FOR: Duration = Duration::from_secs(8);
/// How long an Undo stays offered.
const UNDO_FOR: Duration = Duration::from_secs(15);
/// Most notices shown at once (the oldest go first).
const MAX_SHOWN: usize = 5;

/// The notices on screen.
#[derive(Default)]
pub struct Notices {
    items: Vec<Notice>,
    next_id: u64,
}

struct Notice {
    id: u64,
    text: String,
    error: bool,
    /// The trashed image Undo brings back.
    undo: Option<i64>,
    /// Text offered to copy (an address or a path nothing could open).
    copy: Option<String>,
    shown_at: Instant,
}

impl Notice {
    /// How long it stays up; errors stay until dismissed.
    fn lifetime(&self) -> Option<Duration> {
        match (self.error, self.undo) {
            (true, _) => None,
            (false, Some(_)) => Some(UNDO_FOR),
            (false, None) => Some(INFO_FOR),
        }
    }
}

impl Notices {
    pub fn info(&mut self, text: impl Into<String>) {
        self.push(text.into(), false, None);
    }

    pub fn error(&mut self, text: impl Into<String>) {
        self.push(text.into(), true, None);
    }

    /// Something failed and the person can finish it by hand: offer `copy` to copy.
    pub fn error_with_copy(&mut self, text: impl Into<String>, copy: String) {
        self.push(text.into(), true, None);
        if let Some(last) = self.items.last_mut() {
            last.copy = Some(copy);
        }
    }

    /// An image went to the trash; offer to bring it back.
    pub fn trashed(&mut self, text: impl Into<String>, image: i64) {
        self.push(text.into(), false, Some(image));
    }

    fn push(&mut self, text: String, error: bool, undo: Option<i64>) {
        self.next_id += 1;
        self.items.push(Notice { id: self.next_id, text, error, undo, copy: None, shown_at: Instant::now() });
        if self.items.len() > MAX_SHOWN {
            self.items.remove(0);
        }
    }

    /// Draw the notices in the bottom-right corner and expire old ones.
    pub fn ui(&mut self, ctx: &egui::Context, actions: &mut Vec<Action>) {
        let now = Instant::now();
        self.items.retain(|n| n.lifetime().is_none_or(|life| now.duration_since(n.shown_at) < life));
        if self.items.is_empty() {
            return;
        }
        let mut dismissed = Vec::new();
        egui::Area::new(egui::Id::unique("easel-notices")).anchor(egui::Align2::RIGHT_BOTTOM, egui::vec2(-12.0, -36.0)).show(ctx, |ui| {
            for notice in &self.items {
                egui::Frame::popup(ui.style()).show(ui, |ui| {
                    ui.set_max_width(380.0);
                    ui.push_id(notice.id, |ui| {
                        if notice_ui(ui, notice, actions) {
                            dismissed.push(notice.id);
                        }
                    });
                });
            }
        });
        self.items.retain(|n| !dismissed.contains(&n.id));
        let time_left = |n: &Notice| n.lifetime().map(|life| life.saturating_sub(now.duration_since(n.shown_at)));
        if let Some(next) = self.items.iter().filter_map(time_left).min() {
            ctx.request_repaint_after(next);
        }
    }
}

/// One notice; returns true when it should go away.
fn notice_ui(ui: &mut egui::Ui, notice: &Notice, actions: &mut Vec<Action>) -> bool {
    let colour = if notice.error { style::error(ui) } else { style::text(ui) };
    ui.add(egui::Label::new(egui::RichText::new(&notice.text).color(colour)).wrap());
    ui.horizontal(|ui| {
        let mut done = ui.button("Dismiss").clicked();
        if let Some(copy) = &notice.copy
            && ui.button("Copy address").on_hover_text(copy).clicked()
        {
            ui.ctx().copy_text(copy.clone());
        }
        if let Some(image) = notice.undo
            && ui.button("Undo").clicked()
        {
            actions.push(Action::UndoTrash(image));
            done = true;
        }
        done
    })
    .inner
}
