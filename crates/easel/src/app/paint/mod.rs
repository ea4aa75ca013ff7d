//! Painting the part of a picture to change, on the picture itself.
//!
//! The start image fills the middle of the window; the brush marks (a tinted overlay), the
//! eraser takes marks back. Brush size on a slider or with `[` and `]`; undo and redo with the
//! buttons, Ctrl+Z and Ctrl+Shift+Z (or Ctrl+Y); clear, invert and fill all; scrolling zooms
//! about the pointer, dragging with the right or middle button (or with Space held) moves the
//! picture. After every change the painting goes to the command layer, which writes the mask
//! at the start image's own size and puts it in the draft.
//!
//! - this file: the painter's state, its toolbar and the pointer and keys;
//! - `canvas`: the painting, its copy on screen and the overlay.

mod canvas;

use crate::app::actions::Action;
use crate::app::picture::{Pictures, Shown, View};
use crate::app::style::{self, space};
use canvas::Canvas;
use easel_engine::mask::Op;
use image::GrayImage;
use std::path::{Path, PathBuf};

/// Brush sizes, as the brush's width on screen in points.
const SIZES: std::ops::RangeInclusive<f32> = 2.0..=400.0;
/// How much `[` and `]` change the size.
const SIZE_STEP: f32 = 1.25;

/// What the brush does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    Brush,
    Eraser,
}

/// What the command layer reports to the painter (errors are plain sentences).
pub enum PaintMessage {
    /// The painted mask of the start image `on` was written (`revision` counts the masks asked for).
    Saved { revision: u64, on: PathBuf, result: Result<PathBuf, String> },
    /// A mask file was read to paint on (white = change, upright).
    Loaded { path: PathBuf, result: Result<GrayImage, String> },
}

/// The painter, while it is open.
pub struct Painter {
    /// The start image painted on.
    path: PathBuf,
    view: View,
    tool: Tool,
    /// The brush's width on screen, in points.
    size: f32,
    canvas: Option<Canvas>,
    /// A mask to start from, waiting for the picture's size.
    base: Option<GrayImage>,
    /// Why the mask to paint on could not be read.
    problem: Option<String>,
}

impl Painter {
    /// Paint on the start image at `path`.
    pub fn open(path: PathBuf) -> Self {
        Self { path, view: View::default(), tool: Tool::Brush, size: 48.0, canvas: None, base: None, problem: None }
    }

    /// The start image painted on.
    pub fn path(&self) -> &Path {
        &self.path
    }

    #[cfg(test)]
    pub fn tool(&self) -> Tool {
        self.tool
    }

    #[cfg(test)]
    pub fn size(&self) -> f32 {
        self.size
    }

    /// The painting, once the picture is there.
    #[cfg(test)]
    pub fn painting(&self) -> Option<&easel_engine::mask::Painting> {
        self.canvas.as_ref().map(Canvas::painting)
    }

    /// Paint on this mask (a loaded file): what was painted so far is replaced.
    pub fn load_mask(&mut self, result: Result<GrayImage, String>, pictures: &Pictures) {
        match result {
            Ok(mask) => {
                self.problem = None;
                match pictures.size(&self.path) {
                    Some(size) => self.canvas = Some(Canvas::new(size, Some(mask))),
                    None => self.base = Some(mask),
                }
            }
            Err(why) => self.problem = Some(why),
        }
    }

    /// Draw the toolbar and the picture with its painting; changes go out as actions.
    pub fn ui(&mut self, ui: &mut egui::Ui, pictures: &mut Pictures, inpaints: bool, actions: &mut Vec<Action>) {
        let name = crate::app::prompt::file_name(&self.path);
        self.toolbar_ui(ui, actions);
        ui.add_space(space::FIELD);
        self.status_ui(ui, inpaints);
        ui.separator();
        let (rect, response) = ui.allocate_exact_size(ui.available_size(), egui::Sense::click_and_drag());
        let shown = pictures.shown(&self.path);
        let label = match &shown {
            Shown::Ready(_) => format!("Painting on {name}: paint over the part to change"),
            Shown::Loading => format!("Painting on {name}: the picture is loading"),
            Shown::Failed(why) => format!("Painting on {name}: the picture cannot be shown ({why})"),
        };
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, &label));
        let Shown::Ready(size) = shown else {
            pictures.paint(ui, &self.path, rect, rect, None);
            return;
        };
        if self.canvas.is_none() {
            self.canvas = Some(Canvas::new(size, self.base.take()));
        }
        let image_rect = self.view.image_rect(rect, egui::vec2(size[0] as f32, size[1] as f32));
        pictures.paint(ui, &self.path, rect, image_rect, None);
        self.pointer(ui, &response, rect, image_rect, actions);
        self.keys(ui, actions);
        let painter = ui.painter_at(rect);
        if let Some(canvas) = &mut self.canvas {
            canvas.paint(ui.ctx(), &painter, image_rect);
        }
        if let Some(pointer) = response.hover_pos() {
            ui.ctx().set_cursor_icon(egui::CursorIcon::Crosshair);
            painter.circle_stroke(pointer, self.size / 2.0, egui::Stroke::new(1.5, style::text(ui)));
            painter.circle_stroke(pointer, self.size / 2.0 + 1.5, egui::Stroke::new(1.0, style::image_backdrop(ui)));
        }
    }

    fn toolbar_ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        ui.horizontal_wrapped(|ui| {
            if ui.button("« Done").on_hover_text("Back to the pictures (Esc). The painting stays with the start image.").clicked() {
                actions.push(Action::ClosePainter);
            }
            ui.separator();
            ui.selectable_value(&mut self.tool, Tool::Brush, "Brush").on_hover_text("Mark the part to change");
            ui.selectable_value(&mut self.tool, Tool::Eraser, "Eraser").on_hover_text("Take marks back");
            let label = ui.label("Size");
            ui.add(egui::Slider::new(&mut self.size, SIZES).logarithmic(true).fixed_decimals(0).suffix(" pt"))
                .labelled_by(label.id)
                .on_hover_text("How wide the brush is on screen ([ and ] change it)");
            ui.separator();
            let (can_undo, can_redo) = self.canvas.as_ref().map_or((false, false), |c| (c.painting().can_undo(), c.painting().can_redo()));
            if ui.add_enabled(can_undo, egui::Button::new("Undo")).on_hover_text("Ctrl+Z").clicked() {
                self.change(actions, Canvas::undo);
            }
            if ui.add_enabled(can_redo, egui::Button::new("Redo")).on_hover_text("Ctrl+Shift+Z").clicked() {
                self.change(actions, Canvas::redo);
            }
            for (text, op, hover) in [
                ("Clear", Op::Clear, "Take every mark away"),
                ("Invert", Op::Invert, "Change what is not marked instead"),
                ("Fill all", Op::FillAll, "Mark the whole picture"),
            ] {
                if ui.add_enabled(self.canvas.is_some(), egui::Button::new(text)).on_hover_text(hover).clicked() {
                    self.change(actions, |canvas| {
                        canvas.apply(op);
                        true
                    });
                }
            }
            ui.separator();
            self.view.buttons_ui(ui);
            ui.separator();
            let load = ui.button("Load a mask file...").on_hover_text(
                "A black-and-white picture of this shape: white parts change. Transparent parts count as white (OpenAI's kind).",
            );
            if load.clicked() {
                actions.push(Action::PickMask);
            }
        });
    }

    fn status_ui(&self, ui: &mut egui::Ui, inpaints: bool) {
        if !inpaints {
            style::warn_label(ui, "This model changes the whole picture: to change only the painted part, choose another model.");
        }
        if let Some(why) = &self.problem {
            style::error_label(ui, format!("The mask could not be read: {why}"));
        }
        let touched = self.canvas.as_ref().is_some_and(|c| !c.painting().is_untouched());
        match &self.canvas {
            Some(canvas) if touched && !canvas.marks_something() => {
                style::warn_label(ui, "Nothing is marked: paint over the part to change.");
            }
            Some(_) if touched => {
                ui.label("The tinted part changes; the rest stays as it is. Type the change and press Generate.");
            }
            _ => {
                ui.label("Paint over the part to change. Scroll to zoom; drag with the right button, or with Space held, to move.");
            }
        }
    }

    /// Do a change to the canvas; if it changed, its painting goes out to be saved.
    fn change(&mut self, actions: &mut Vec<Action>, change: impl FnOnce(&mut Canvas) -> bool) {
        let Some(canvas) = &mut self.canvas else { return };
        if change(canvas) {
            actions.push(Action::SaveMask(Box::new(canvas.painting().clone())));
        }
    }

    /// The brush follows the primary button; the other buttons (or Space) move the picture,
    /// scrolling zooms.
    fn pointer(&mut self, ui: &egui::Ui, response: &egui::Response, rect: egui::Rect, image_rect: egui::Rect, actions: &mut Vec<Action>) {
        let typing = ui.ctx().egui_wants_keyboard_input();
        let space = !typing && ui.input(|i| i.key_down(egui::Key::Space));
        self.view.handle(ui, response, rect, false);
        let moving = response.dragged_by(egui::PointerButton::Secondary)
            || response.dragged_by(egui::PointerButton::Middle)
            || (space && response.dragged_by(egui::PointerButton::Primary));
        if moving {
            self.view.pan_by(response.drag_delta());
        }
        let (pressed, down, pos) = ui.input(|i| (i.pointer.primary_pressed(), i.pointer.primary_down(), i.pointer.interact_pos()));
        let radius = self.size / 2.0 / self.view.scale();
        let erase = self.tool == Tool::Eraser;
        let view = &self.view;
        let Some(canvas) = &mut self.canvas else { return };
        if pressed
            && !space
            && let Some(pos) = pos.filter(|p| rect.contains(*p) && response.contains_pointer())
        {
            canvas.begin(view.to_picture(image_rect, pos), radius, erase);
        }
        if canvas.drawing()
            && let Some(pos) = pos
        {
            canvas.extend(view.to_picture(image_rect, pos));
        }
        let lifted = canvas.drawing() && !down;
        if lifted {
            self.change(actions, Canvas::end);
        }
    }

    /// `[` and `]` for the brush size, Ctrl+Z and Ctrl+Shift+Z (or Ctrl+Y) for undo and redo,
    /// unless a text box has the keys.
    fn keys(&mut self, ui: &egui::Ui, actions: &mut Vec<Action>) {
        if ui.ctx().egui_wants_keyboard_input() {
            return;
        }
        use egui::{Key, KeyboardShortcut as Shortcut, Modifiers};
        let (smaller, larger, redo, undo) = ui.input_mut(|i| {
            let redo = i.consume_shortcut(&Shortcut::new(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z))
                || i.consume_shortcut(&Shortcut::new(Modifiers::COMMAND, Key::Y));
            let undo = i.consume_shortcut(&Shortcut::new(Modifiers::COMMAND, Key::Z));
            (i.key_pressed(Key::OpenBracket), i.key_pressed(Key::CloseBracket), redo, undo)
        });
        if smaller {
            self.size = (self.size / SIZE_STEP).clamp(*SIZES.start(), *SIZES.end());
        }
        if larger {
            self.size = (self.size * SIZE_STEP).clamp(*SIZES.start(), *SIZES.end());
        }
        if redo {
            self.change(actions, Canvas::redo);
        } else if undo {
            self.change(actions, Canvas::undo);
        }
    }
}

#[cfg(test)]
mod tests;
