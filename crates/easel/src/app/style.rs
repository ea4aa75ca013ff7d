//! The window's look in one place: the colours, spacing and text styles every panel uses.
//!
//! Colours come from egui's visuals where egui has one (errors, warnings, weak text), so light
//! and dark mode follow the desktop; the few of our own are chosen to read in both.

use egui::{Color32, FontId, Response, RichText, Ui};

/// Vertical space, in points, by what it separates.
pub mod space {
    /// Between a field and the next one that belongs with it.
    pub const FIELD: f32 = 4.0;
    /// Between the sections of a panel.
    pub const SECTION: f32 = 6.0;
    /// Between paragraphs, and above a row of buttons.
    pub const PARAGRAPH: f32 = 8.0;
    /// Above the panel's main button, or a separator that ends a window.
    pub const BEFORE_ACTION: f32 = 10.0;
    /// Between the steps of the welcome.
    pub const STEP: f32 = 12.0;
    /// Before a new part of a long page.
    pub const PART: f32 = 16.0;
    /// Above the sentence of an empty view.
    pub const EMPTY_VIEW: f32 = 24.0;
}

/// Good news ("The key works"), readable in light and dark mode.
pub fn good(ui: &Ui) -> Color32 {
    if ui.visuals().dark_mode { Color32::from_rgb(120, 200, 120) } else { Color32::from_rgb(20, 120, 40) }
}

/// Something failed.
pub fn error(ui: &Ui) -> Color32 {
    ui.visuals().error_fg_color
}

/// Worth a second look: a wait, an unknown job, a server that is not the usual one.
pub fn warn(ui: &Ui) -> Color32 {
    ui.visuals().warn_fg_color
}

/// Something that no longer matters much (a cancelled job).
pub fn muted(ui: &Ui) -> Color32 {
    ui.visuals().weak_text_color()
}

/// Ordinary text.
pub fn text(ui: &Ui) -> Color32 {
    ui.visuals().text_color()
}

/// What the person picked (a selected thumbnail's frame and tick).
pub fn picked(ui: &Ui) -> Color32 {
    ui.visuals().selection.stroke.color
}

/// Behind a thumbnail while it loads (and around a picture that does not fill its cell).
pub fn image_backdrop(ui: &Ui) -> Color32 {
    ui.visuals().extreme_bg_color
}

/// The frame around the thumbnail under the pointer.
pub fn hover_stroke(ui: &Ui) -> egui::Stroke {
    ui.visuals().widgets.hovered.fg_stroke
}

/// The least height the job list may have before it scrolls: one row with its service line.
pub const JOBS_MIN_HEIGHT: f32 = 72.0;

/// The star on a starred image.
pub const STAR: Color32 = Color32::from_rgb(240, 190, 40);
/// Marks drawn on top of an accent colour (the tick in a picked thumbnail).
pub const ON_ACCENT: Color32 = Color32::WHITE;

/// A sentence saying something failed.
pub fn error_label(ui: &mut Ui, text: impl Into<RichText>) -> Response {
    let colour = error(ui);
    ui.colored_label(colour, text)
}

/// A sentence asking for a second look.
pub fn warn_label(ui: &mut Ui, text: impl Into<RichText>) -> Response {
    let colour = warn(ui);
    ui.colored_label(colour, text)
}

/// Text on the one button a panel is for ("Generate").
pub fn main_button_text(text: &str) -> RichText {
    RichText::new(text).strong().size(16.0)
}

/// Text to read exactly as it is: request bodies, headers, crash reports.
pub fn code_text(text: impl Into<String>) -> RichText {
    RichText::new(text).monospace()
}

/// Small print inside a thumbnail.
pub fn small_font() -> FontId {
    FontId::proportional(11.0)
}

/// A sentence painted in place of an image.
pub fn placeholder_font() -> FontId {
    FontId::proportional(14.0)
}
