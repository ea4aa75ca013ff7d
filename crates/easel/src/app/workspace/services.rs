//! The window's share of many jobs on many services: the estimate under Generate and what was
//! spent, trying one prompt on several models and its group side by side, the streamed
//! previews, the library check, and telling the person when a job ends while Easel is in the
//! background (clicking the notification brings the window forward on that picture).

use super::Workspace;
use crate::app::actions::Action;
use crate::app::costs::Costs;
use crate::app::inbox::Message;
use crate::app::library_check::LibraryCheck;
use crate::app::logging;
use crate::app::notify::{DoneNotices, Ended};
use crate::app::prompt;
use crate::app::several_models::{GroupView, SeveralModels};
use easel_engine::{Event, EventKind, ServiceSpec};
use std::time::Instant;

/// What the workspace keeps for these.
#[derive(Default)]
pub struct More {
    pub costs: Costs,
    pub library: LibraryCheck,
    notices: DoneNotices,
    pub several: SeveralModels,
    /// The try-on-several-models group shown side by side, if one is open.
    pub group: Option<GroupView>,
    /// The window had the keyboard focus at the last look.
    focused: bool,
    /// Open the key window once the switch to another service is done ("Add the key for…").
    pub keys_after_switch: bool,
}

impl Workspace {
    /// Note whether the window is in front: once it is again, the next notification starts
    /// afresh (what was said is seen).
    pub(super) fn follow_focus(&mut self, ctx: &egui::Context) {
        let focused = ctx.input(|i| i.focused);
        if focused && !self.more.focused {
            self.more.notices.in_front();
        }
        self.more.focused = focused;
    }

    /// Ask for the estimate of what Generate would send, when that changed (not the prompt).
    pub(super) fn refresh_estimate(&mut self) {
        let service = self.commands.service();
        let caps = service.provider().capabilities(self.state.draft.model.trim());
        let mut draft = self.state.draft.clone();
        if draft.prompt.trim().is_empty() {
            // The prompt does not change the price: estimate before it is typed.
            "a picture".clone_into(&mut draft.prompt);
        }
        let Ok(request) = draft.validate(&caps) else {
            self.more.costs.no_estimate();
            return;
        };
        let key = self.keys.active().cloned();
        let asked = format!(
            "{}|{:?}|{:?}",
            service.label(),
            key.as_ref().map(|k| k.last_four()),
            request.candidates.iter().map(|s| (&s.model, s.width, s.height, s.samples, &s.aspect_ratio, &s.options)).collect::<Vec<_>>()
        );
        if self.more.costs.wants_estimate(asked.clone()) {
            self.commands.estimate(request, key, asked);
        }
    }

    /// Follow an engine event for these views.
    pub(super) fn on_event_more(&mut self, event: &Event, _actions: &mut [Action]) {
        let Some(job) = event.job.clone() else { return };
        match &event.kind {
            EventKind::Preview(preview) => self.commands.decode_preview(job.clone(), preview.clone()),
            EventKind::Cost(cost) => {
                self.gallery.set_job_cost(&job, cost);
                self.commands.read_cost_totals();
                self.more.costs.estimate_again();
            }
            EventKind::Finished { images, .. } => {
                self.commands.read_cost_totals();
                self.more.costs.estimate_again();
                self.job_ended(&job, *images);
            }
            _ => {}
        }
        let news = matches!(event.kind, EventKind::Image(_) | EventKind::Cost(_) | EventKind::Finished { .. } | EventKind::Started { .. });
        if let Some(group) = self.more.group.as_ref().filter(|g| news && g.concerns(&job)) {
            self.commands.read_group(group.group().to_owned());
        }
    }

    /// A job ended: tell the person when the window is in the background.
    fn job_ended(&mut self, job: &str, pictures: usize) {
        let Some((prompt, image, error)) = self.jobs.ended(job) else { return };
        let ended = Ended { prompt, image, pictures, error };
        let (on, sound) = (self.state.notify_when_done, self.state.notify_sound);
        if let Some((note, replaces)) = self.more.notices.job_ended(&ended, self.more.focused, on, sound) {
            self.commands.notify(note, replaces);
        }
    }

    /// Take in what came back for these views.
    pub(super) fn take_in_more(&mut self, message: Message, ctx: &egui::Context, actions: &mut Vec<Action>) {
        match message {
            Message::Costs(message) => {
                if let Some(why) = self.more.costs.on_message(message) {
                    logging::note(&why);
                }
            }
            Message::Group(message) => {
                if let Some(group) = &mut self.more.group {
                    group.on_message(message);
                }
            }
            Message::GroupKeys(Ok(targets)) => {
                let (group, jobs) = self.commands.submit_group(targets);
                let ids = jobs.iter().map(|(id, _)| id.clone()).collect();
                self.prompt.submitted();
                self.jobs.submitted(jobs, Instant::now());
                self.more.several.sent();
                if let Some(group) = group {
                    self.commands.read_group(group.clone());
                    self.more.group = Some(GroupView::open(group, ids));
                    self.viewer = None;
                }
            }
            Message::GroupKeys(Err(why)) => self.notices.error(why),
            Message::Notified(id) => self.more.notices.shown(id),
            Message::NotificationClicked(id) => {
                if let Some(image) = self.more.notices.clicked(id) {
                    ctx.send_viewport_cmd(egui::ViewportCommand::Minimized(false));
                    ctx.send_viewport_cmd(egui::ViewportCommand::Focus);
                    actions.extend(image.map(Action::OpenImage));
                }
            }
            Message::Preview { job, result: Ok(preview) } => self.jobs.preview_ready(&job, preview),
            Message::Preview { result: Err(why), .. } => logging::note(&why),
            _ => {}
        }
    }

    /// Carry out the actions of these views.
    pub(super) fn apply_more(&mut self, action: Action) {
        match action {
            // `start` says no while a check is already running.
            Action::CheckLibrary if self.more.library.start() => self.commands.check_library(),
            Action::AddKeyFor { kind, base_url } => {
                self.more.keys_after_switch = true;
                self.request = Some(super::AppRequest::Switch(crate::app::provider_picker::Switch::to(kind, base_url)));
            }
            Action::OpenSeveralModels => {
                let used = self
                    .jobs
                    .used_services()
                    .into_iter()
                    .filter_map(|s| Some(ServiceSpec::at(easel_engine::provider::ProviderKind::parse(&s.provider)?, Some(s.base_url))));
                let choices = self.commands.service_choices(used.collect());
                self.more.several.open(choices, &self.state.draft.model);
            }
            Action::TryModels(picks) => self.try_models(picks),
            Action::OpenGroup(group) => {
                self.commands.read_group(group.clone());
                self.more.group = Some(GroupView::open(group, Vec::new()));
                self.viewer = None;
            }
            Action::CloseGroup => self.more.group = None,
            _ => {}
        }
    }

    /// Check the draft for each model (fitted to its size or shape) and, when every one is
    /// valid, find their keys; the group goes out once they are found ([`Message::GroupKeys`]).
    fn try_models(&mut self, picks: Vec<(ServiceSpec, String)>) {
        let mut targets = Vec::new();
        for (spec, model) in picks {
            let service = match self.commands.connect(&spec) {
                Ok(service) => service,
                Err(e) => return self.notices.error(format!("{} {} Nothing was sent.", e.message, e.hint)),
            };
            let mut draft = self.state.draft.clone();
            draft.model.clone_from(&model);
            prompt::fit_sizes(&mut draft, service.provider());
            match draft.validate(&service.provider().capabilities(&model)) {
                Ok(request) => targets.push((service, request)),
                Err(e) => {
                    let why = e.fields.values().flatten().next().cloned().unwrap_or(e.message);
                    return self.notices.error(format!("{model} on {}: {why} Nothing was sent.", service.label()));
                }
            }
        }
        self.commands.find_group_keys(targets, self.keys.active().cloned(), self.launch_key.clone());
    }

    /// What was spent today, for the status bar.
    pub(super) fn spent_today(&self) -> Option<(String, String)> {
        self.more.costs.today_text()
    }
}

impl More {
    /// Under Generate: the estimate, and "Try on several models…".
    pub fn estimate_ui(&self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        self.costs.estimate_ui(ui);
        let button = ui
            .button("Try on several models…")
            .on_hover_text("Send this prompt to 2 to 4 models at once and see their pictures side by side, each with its time and cost.");
        if button.clicked() {
            actions.push(Action::OpenSeveralModels);
        }
    }
}
