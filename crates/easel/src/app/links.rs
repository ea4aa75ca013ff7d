//! Links to web pages (a key page, a dashboard): drawn like links, opened by the command
//! layer, which says the address to copy when no browser could be opened.

use super::actions::Action;

/// A link to `url`: a click asks the command layer to open it ([`Action::OpenLink`]).
pub fn link(ui: &mut egui::Ui, text: &str, url: &str, actions: &mut Vec<Action>) -> egui::Response {
    let response = ui.link(text).on_hover_text(url);
    if response.clicked() {
        actions.push(Action::OpenLink(url.to_owned()));
    }
    response
}
