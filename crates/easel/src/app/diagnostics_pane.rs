//! The diagnostics pane: every HTTP exchange in a table a support person can read, with the
//! selected exchange's details, the connection check, and copies for bug reports.

use super::actions::Action;
use super::style::{self, space};
use super::words::count;
use easel_engine::diagnostics::Diagnostics;
use easel_engine::doctor::Check;
use egui_extras::{Column, TableBuilder};

/// Column titles, in order.
const COLUMNS: [&str; 10] =
    ["Result", "Time (UTC)", "Provider", "Endpoint", "HTTP", "API status", "Request id", "Duration", "Attempt", "Wait"];
const ROW_HEIGHT: f32 = 20.0;
/// Exchanges kept for the pane; older ones stay in the library's diagnostics table.
const MAX_RECORDS: usize = 2000;

/// The exchanges seen this session and the pane's own state.
#[derive(Default)]
pub struct DiagnosticsPane {
    /// Oldest first, as they happened.
    records: Vec<Diagnostics>,
    selected: Option<usize>,
    doctor: Doctor,
}

/// The connection check.
#[derive(Default)]
struct Doctor {
    running: bool,
    checks: Vec<Check>,
}

/// How an exchange went, for its colour and symbol.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Ok,
    Retried,
    Failed,
}

impl Outcome {
    fn of(record: &Diagnostics) -> Self {
        if record.is_error() {
            Self::Failed
        } else if record.wait.is_some() || record.http_status.is_some_and(|s| s >= 400) {
            Self::Retried
        } else {
            Self::Ok
        }
    }

    fn text(self) -> &'static str {
        match self {
            Self::Ok => "• ok",
            Self::Retried => "• retried",
            Self::Failed => "• failed",
        }
    }

    fn colour(self, ui: &egui::Ui) -> egui::Color32 {
        match self {
            Self::Ok => style::good(ui),
            Self::Retried => style::warn(ui),
            Self::Failed => style::error(ui),
        }
    }
}

impl DiagnosticsPane {
    pub fn push(&mut self, record: Diagnostics) {
        self.records.push(record);
        if self.records.len() > MAX_RECORDS {
            let excess = self.records.len() - MAX_RECORDS;
            self.records.drain(..excess);
            self.selected = self.selected.and_then(|i| i.checked_sub(excess));
        }
    }

    /// Exchanges from earlier runs (read from the library at start-up) go before this run's;
    /// those this run already has are not shown twice.
    pub fn earlier(&mut self, records: Vec<Diagnostics>) {
        let fresh: Vec<Diagnostics> = records.into_iter().filter(|r| !self.records.contains(r)).collect();
        let added = fresh.len();
        self.records.splice(0..0, fresh);
        self.selected = self.selected.map(|i| i + added);
        if self.records.len() > MAX_RECORDS {
            let excess = self.records.len() - MAX_RECORDS;
            self.records.drain(..excess);
            self.selected = self.selected.and_then(|i| i.checked_sub(excess));
        }
    }

    pub fn records(&self) -> &[Diagnostics] {
        &self.records
    }

    pub fn record(&self, index: usize) -> Option<&Diagnostics> {
        self.records.get(index)
    }

    pub fn doctor_started(&mut self) {
        self.doctor = Doctor { running: true, checks: Vec::new() };
    }

    pub fn doctor_finished(&mut self, checks: Vec<Check>) {
        self.doctor = Doctor { running: false, checks };
    }

    /// Draw the pane: toolbar, connection check, table and details.
    pub fn ui(&mut self, ui: &mut egui::Ui, errors_only: &mut bool, actions: &mut Vec<Action>) {
        self.toolbar_ui(ui, errors_only, actions);
        self.doctor_ui(ui);
        ui.separator();
        if self.records.is_empty() {
            ui.weak("No requests yet. Every request Easel sends will be listed here.");
            return;
        }
        egui::Panel::right("easel-diagnostics-details").resizable(true).default_size(420.0).show(ui, |ui| self.details_ui(ui, actions));
        self.table_ui(ui, *errors_only);
    }

    fn toolbar_ui(&mut self, ui: &mut egui::Ui, errors_only: &mut bool, actions: &mut Vec<Action>) {
        ui.horizontal(|ui| {
            ui.strong("Diagnostics");
            ui.weak(count(self.records.len(), "request"));
            ui.separator();
            ui.checkbox(errors_only, "Errors only");
            let report = ui
                .add_enabled(!self.records.is_empty(), egui::Button::new("Copy report"))
                .on_hover_text("Copy every request as text for a bug report. Your API key is removed.");
            if report.clicked() {
                actions.push(Action::CopyReport);
            }
            let check = ui
                .add_enabled(!self.doctor.running, egui::Button::new("Check connection"))
                .on_hover_text("Look up the server, connect to it and test the key.");
            if check.clicked() {
                actions.push(Action::CheckConnection);
            }
            if self.doctor.running {
                ui.spinner();
            }
        });
    }

    fn doctor_ui(&self, ui: &mut egui::Ui) {
        for check in &self.doctor.checks {
            let time = check.millis.map(|ms| format!(" ({ms} ms)")).unwrap_or_default();
            let (verdict, colour) = if check.ok { ("OK", style::good(ui)) } else { ("Failed", style::error(ui)) };
            ui.colored_label(colour, format!("{verdict}, {}: {}{time}", check.name, check.detail));
            if let Some(hint) = &check.hint {
                ui.label(format!("What to do: {hint}"));
            }
        }
    }

    fn table_ui(&mut self, ui: &mut egui::Ui, errors_only: bool) {
        // Newest first.
        let visible: Vec<usize> =
            (0..self.records.len()).rev().filter(|&i| !errors_only || Outcome::of(&self.records[i]) != Outcome::Ok).collect();
        let mut clicked = None;
        let mut table = TableBuilder::new(ui)
            .id_salt("easel-diagnostics-table")
            .striped(true)
            .resizable(true)
            .sense(egui::Sense::click())
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .min_scrolled_height(0.0);
        for _ in 0..COLUMNS.len() - 1 {
            table = table.column(Column::auto().clip(true));
        }
        table
            .column(Column::remainder())
            .header(ROW_HEIGHT, |mut header| {
                for title in COLUMNS {
                    header.col(|ui| {
                        ui.strong(title);
                    });
                }
            })
            .body(|body| {
                body.rows(ROW_HEIGHT, visible.len(), |mut row| {
                    let index = visible[row.index()];
                    let record = &self.records[index];
                    row.set_selected(self.selected == Some(index));
                    let outcome = Outcome::of(record);
                    // Cells are not selectable, so a click anywhere selects the row.
                    row.col(|ui| {
                        let text = egui::RichText::new(outcome.text()).color(outcome.colour(ui));
                        ui.add(egui::Label::new(text).selectable(false));
                    });
                    for cell in cells(record) {
                        row.col(|ui| {
                            ui.add(egui::Label::new(cell).selectable(false));
                        });
                    }
                    if row.response().clicked() {
                        clicked = Some(index);
                    }
                });
            });
        if clicked.is_some() {
            self.selected = clicked;
        }
    }

    fn details_ui(&self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        let Some((index, record)) = self.selected.and_then(|i| Some((i, self.records.get(i)?))) else {
            ui.weak("Select a row to see its details.");
            return;
        };
        ui.horizontal(|ui| {
            ui.strong(format!("{} {}", record.method, record.path));
            let curl =
                ui.button("Copy as curl").on_hover_text("A command that repeats this request. Your key is written as $EASEL_API_KEY.");
            if curl.clicked() {
                actions.push(Action::CopyCurl(index));
            }
        });
        egui::ScrollArea::vertical().id_salt("easel-diagnostics-details").show(ui, |ui| record_details_ui(ui, record));
    }
}

/// The text cells after the result column.
fn cells(record: &Diagnostics) -> [String; 9] {
    let dash = || "–".to_owned();
    [
        clock_time(&record.time),
        record.provider.clone(),
        format!("{} {} {}", record.endpoint, record.method, record.path),
        record.http_status.map_or_else(dash, |s| s.to_string()),
        record.api_status.clone().unwrap_or_else(dash),
        record.request_id.clone().unwrap_or_else(dash),
        format!("{} ms", record.duration_ms),
        record.attempt.to_string(),
        record.wait.as_ref().map_or_else(dash, |w| format!("{:.1} s ({})", w.seconds, w.reason.label())),
    ]
}

/// "12:34:56" from an RFC 3339 time.
fn clock_time(time: &str) -> String {
    time.split_once('T').map_or(time, |(_, clock)| clock.get(..8).unwrap_or(clock)).to_owned()
}

/// Everything about one exchange: what went wrong in plain words first, then the raw parts.
fn record_details_ui(ui: &mut egui::Ui, record: &Diagnostics) {
    if let Some(error) = &record.error {
        style::error_label(ui, &error.message);
        ui.label(format!("What to do: {}", error.hint));
    }
    if let Some(transport) = &record.transport_error {
        style::error_label(ui, format!("Connection problem: {transport}"));
    }
    if let Some(wait) = &record.wait {
        ui.label(format!("Easel waited {:.1} s before trying again ({}).", wait.seconds, wait.reason.label()));
    }
    if !record.fields.is_empty() {
        section(ui, "Validation messages");
        for (field, messages) in &record.fields {
            ui.label(format!("{field}: {}", messages.join("; ")));
        }
    }
    if let Some(body) = &record.request_body {
        section(ui, "Request body (API key removed)");
        code(ui, serde_json::to_string_pretty(body).unwrap_or_else(|_| body.to_string()));
    }
    if !record.response_headers.is_empty() {
        section(ui, "Response headers");
        let headers: Vec<String> = record.response_headers.iter().map(|(name, value)| format!("{name}: {value}")).collect();
        code(ui, headers.join("\n"));
    }
    if let Some(excerpt) = &record.response_excerpt {
        section(ui, "Response");
        code(ui, excerpt.clone());
    }
}

fn section(ui: &mut egui::Ui, title: &str) {
    ui.add_space(space::SECTION);
    ui.strong(title);
}

/// Selectable monospace text.
fn code(ui: &mut egui::Ui, text: String) {
    ui.add(egui::Label::new(style::code_text(text)).selectable(true).wrap());
}
