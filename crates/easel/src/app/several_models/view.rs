//! A try-on-several-models group side by side: each model with its service, its picture, how
//! long it took and what it cost (or that the cost is not known), and the buttons to pick the
//! winner (star it) and reuse its settings. It is read from the library (`Store::group`) when
//! opened and again whenever one of its jobs moves on, so it fills in while the models work.

use crate::app::actions::Action;
use crate::app::costs::{cost_hover, cost_text};
use crate::app::gallery::image_label;
use crate::app::style::{self, space};
use crate::app::textures::{Thumb, Thumbnails, uv_full};
use crate::app::words::{count, elapsed_text, one_line_cut};
use easel_engine::JobId;
use easel_engine::cost::money_text;
use easel_engine::store::{GroupMember, JobPhase};
use std::time::Duration;

/// Narrowest column, in points.
const MIN_COLUMN: f32 = 150.0;
/// Largest picture in a column.
const MAX_PICTURE: f32 = 256.0;

/// What the command layer read for the group view (the error is a plain sentence).
pub enum GroupMessage {
    Read { group: String, result: Result<Vec<GroupMember>, String> },
}

/// The open group.
pub struct GroupView {
    group: String,
    /// Its jobs, as far as they are known (from the submission, then from the library).
    jobs: Vec<JobId>,
    members: Vec<GroupMember>,
    error: Option<String>,
}

impl GroupView {
    /// Open group `group`, whose jobs (if just sent) are `jobs`; its members come when read.
    pub fn open(group: String, jobs: Vec<JobId>) -> Self {
        Self { group, jobs, members: Vec::new(), error: None }
    }

    pub fn group(&self) -> &str {
        &self.group
    }

    /// Whether `job` is one of the group's, so its news means reading the group again.
    pub fn concerns(&self, job: &str) -> bool {
        self.jobs.iter().any(|j| j == job)
    }

    pub fn on_message(&mut self, message: GroupMessage) {
        let GroupMessage::Read { group, result } = message;
        if group != self.group {
            return;
        }
        match result {
            Ok(members) => {
                for member in &members {
                    if !self.concerns(&member.job) {
                        self.jobs.push(member.job.clone());
                    }
                }
                self.members = members;
                self.error = None;
            }
            Err(why) => self.error = Some(why),
        }
    }

    /// Draw the group. `starred` says whether a picture is starred.
    pub fn ui(&self, ui: &mut egui::Ui, thumbs: &mut Thumbnails, starred: &dyn Fn(i64) -> bool, actions: &mut Vec<Action>) {
        ui.horizontal_wrapped(|ui| {
            if ui.button("« Gallery").on_hover_text("Back to all images (Esc)").clicked() {
                actions.push(Action::CloseGroup);
            }
            ui.strong(format!("One prompt on {}", count(self.models(), "model")));
            if let Some(prompt) = self.members.iter().find_map(|m| m.images.first().map(|i| i.prompt.clone())) {
                ui.add(egui::Label::new(format!("\"{}\"", one_line_cut(&prompt, 80))).truncate());
            }
        });
        if let Some(total) = self.total() {
            ui.weak(total);
        }
        ui.separator();
        if let Some(why) = &self.error {
            style::error_label(ui, format!("The group could not be read from the library: {why}"));
        }
        if self.members.is_empty() {
            ui.add_space(space::EMPTY_VIEW);
            ui.vertical_centered(|ui| ui.spinner());
            return;
        }
        let columns = ((ui.available_width() / MIN_COLUMN).floor() as usize).clamp(1, self.members.len());
        let width = (ui.available_width() / columns as f32 - ui.spacing().item_spacing.x).max(MIN_COLUMN * 0.8);
        egui::ScrollArea::vertical().id_salt("easel-group").auto_shrink(false).show(ui, |ui| {
            for row in self.members.chunks(columns) {
                ui.horizontal_top(|ui| {
                    for member in row {
                        ui.push_id(&member.job, |ui| {
                            ui.vertical(|ui| {
                                ui.set_width(width);
                                member_ui(ui, member, width.min(MAX_PICTURE), thumbs, starred, actions);
                            });
                        });
                    }
                });
                ui.add_space(space::PART);
            }
        });
    }

    /// How many models were tried (a model with several jobs counts once).
    fn models(&self) -> usize {
        let mut seen: Vec<(&str, &str)> = self.members.iter().map(|m| (m.service.as_str(), m.model.as_str())).collect();
        seen.sort_unstable();
        seen.dedup();
        seen.len().max(1)
    }

    /// What the whole group cost, when every member's cost is known in one currency.
    fn total(&self) -> Option<String> {
        let costs: Vec<_> = self.members.iter().map(|m| m.cost.as_ref()).collect::<Option<Vec<_>>>()?;
        let currency = costs.iter().find_map(|c| c.currency.clone());
        if costs.iter().any(|c| c.currency.is_some() && c.currency != currency) {
            return None;
        }
        let amount: f64 = costs.iter().map(|c| c.amount).sum();
        Some(format!("Together: {}", money_text(amount, currency.as_deref())))
    }
}

/// One model's column: its name and service, its picture, its time and cost, and its buttons.
fn member_ui(
    ui: &mut egui::Ui,
    member: &GroupMember,
    side: f32,
    thumbs: &mut Thumbnails,
    starred: &dyn Fn(i64) -> bool,
    actions: &mut Vec<Action>,
) {
    ui.add(egui::Label::new(egui::RichText::new(&member.model).strong()).truncate()).on_hover_text(&member.model);
    ui.add(egui::Label::new(egui::RichText::new(&member.service).weak()).truncate());
    let (rect, response) = ui.allocate_exact_size(egui::vec2(side, side), egui::Sense::click());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 4.0, style::image_backdrop(ui));
    let first = member.images.first();
    match first {
        Some(record) => {
            response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, image_label(record)));
            match thumbs.get(record) {
                Thumb::Ready(texture) => {
                    let size = texture.size_vec2();
                    let scale = (rect.width() / size.x).min(rect.height() / size.y);
                    painter.image(texture.id(), egui::Rect::from_center_size(rect.center(), size * scale), uv_full(), egui::Color32::WHITE);
                }
                Thumb::Loading => egui::Spinner::new().paint_at(ui, egui::Rect::from_center_size(rect.center(), egui::vec2(24.0, 24.0))),
                Thumb::Failed(why) => {
                    painter.text(rect.center(), egui::Align2::CENTER_CENTER, why, style::small_font(), style::warn(ui));
                }
            }
            if starred(record.id) {
                painter.rect_stroke(rect.shrink(1.0), 4.0, egui::Stroke::new(3.0, style::STAR), egui::StrokeKind::Inside);
            }
            if response.clicked() {
                actions.push(Action::OpenImage(record.id));
            }
        }
        None if !finished(member.state) => {
            egui::Spinner::new().paint_at(ui, egui::Rect::from_center_size(rect.center(), egui::vec2(24.0, 24.0)));
        }
        None => {
            painter.text(rect.center(), egui::Align2::CENTER_CENTER, "No picture", style::small_font(), style::muted(ui));
        }
    }
    if member.images.len() > 1 {
        ui.weak(format!("and {} more in the gallery", count(member.images.len() - 1, "picture")));
    }
    ui.label(time_text(member));
    let cost = member.cost.as_ref().zip(member.cost_source).map(|(money, source)| easel_engine::cost::ImageCost {
        amount: money.amount,
        currency: money.currency.clone(),
        source,
    });
    let cost_words = match (&cost, finished(member.state)) {
        (None, false) => "Cost: known once it is made".to_owned(),
        (cost, _) => format!("Cost: {}", cost_text(cost.as_ref())),
    };
    ui.label(cost_words).on_hover_text(cost_hover(cost.as_ref()));
    if let Some(error) = &member.error {
        ui.add(egui::Label::new(egui::RichText::new(&error.message).color(style::error(ui))).wrap());
    }
    if let Some(record) = first {
        ui.horizontal_wrapped(|ui| {
            let winner = ui
                .selectable_label(starred(record.id), "Star as the winner")
                .on_hover_text("Star this picture: find it again with \"Starred only\" in the gallery.");
            if winner.clicked() {
                actions.push(Action::ToggleStar(record.id));
            }
            if ui.button("Use these settings").on_hover_text("Fill the prompt panel with this model and its settings.").clicked() {
                actions.push(Action::ReuseSettings(record.id));
            }
        });
    }
}

fn finished(state: JobPhase) -> bool {
    matches!(state, JobPhase::Done | JobPhase::Failed | JobPhase::Cancelled | JobPhase::Unknown)
}

/// "Made in 12 s", "Being made", "Failed after 3 s".
fn time_text(member: &GroupMember) -> String {
    let took = member.seconds.map(|s| elapsed_text(Duration::from_secs_f64(s.max(0.0))));
    match (member.state, took) {
        (JobPhase::Done, Some(took)) => format!("Made in {took}"),
        (JobPhase::Done, None) => "Made".to_owned(),
        (JobPhase::Failed, Some(took)) => format!("Failed after {took}"),
        (JobPhase::Failed, None) => "Failed".to_owned(),
        (JobPhase::Cancelled, _) => "Cancelled".to_owned(),
        (JobPhase::Unknown, _) => "Unknown: Easel stopped before the answer came".to_owned(),
        _ => "Being made".to_owned(),
    }
}
