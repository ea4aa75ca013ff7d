//! The painter driven through egui_kittest as a person would: the mouse paints and erases,
//! the size slider and `[` `]` change the brush, undo and redo (buttons and Ctrl+Z), clear,
//! invert, fill all, and painting still lands under the pointer after zooming and panning.

use super::*;
use crate::app::picture::{LoadedPicture, PictureMessage};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

/// The picture painted on: 400×300 pixels.
const SIZE: [u32; 2] = [400, 300];

struct State {
    painter: Painter,
    pictures: Pictures,
    actions: Vec<Action>,
}

fn harness() -> Harness<'static, State> {
    let state = State { painter: Painter::open(PathBuf::from("/pictures/start.png")), pictures: Pictures::default(), actions: Vec::new() };
    let mut harness = Harness::builder().with_size(egui::vec2(1000.0, 700.0)).build_ui_state(
        |ui, state: &mut State| {
            let path = state.painter.path().to_path_buf();
            if state.pictures.size(&path).is_none() {
                // What the command layer would hand over once the picture is decoded.
                state.pictures.shown(&path);
                let fit = ui.ctx().load_texture("start", egui::ColorImage::filled([400, 300], egui::Color32::GRAY), Default::default());
                state.pictures.on_message(PictureMessage::Loaded { path, result: Ok(LoadedPicture { fit, size: SIZE, full: None }) });
            }
            state.painter.ui(ui, &mut state.pictures, true, &mut state.actions);
            state.pictures.end_frame();
        },
        state,
    );
    harness.run_steps(2);
    harness
}

/// The painting area on screen, and where a picture pixel is drawn (the picture is fitted).
fn place(harness: &Harness<'static, State>) -> (egui::Rect, impl Fn([f32; 2]) -> egui::Pos2 + use<>) {
    let area = harness.get_by_label("Painting on start.png: paint over the part to change").rect();
    let scale = (area.width() / SIZE[0] as f32).min(area.height() / SIZE[1] as f32);
    let picture = egui::Rect::from_center_size(area.center(), egui::vec2(SIZE[0] as f32, SIZE[1] as f32) * scale);
    (area, move |p: [f32; 2]| picture.min + egui::vec2(p[0], p[1]) * scale)
}

/// Press at `from`, move through `to`, release: a stroke, as the mouse makes one.
fn drag(harness: &mut Harness<'static, State>, points: &[egui::Pos2]) {
    harness.hover_at(points[0]);
    harness.step();
    harness.drag_at(points[0]);
    harness.step();
    for point in &points[1..] {
        harness.hover_at(*point);
        harness.step();
    }
    harness.drop_at(*points.last().unwrap_or(&points[0]));
    harness.run_steps(2);
}

fn value_at(harness: &Harness<'static, State>, p: [f32; 2]) -> u8 {
    harness.state().painter.canvas.as_ref().expect("the picture is there").at(p)
}

fn saves(harness: &mut Harness<'static, State>) -> usize {
    let saved = harness.state().actions.iter().filter(|a| matches!(a, Action::SaveMask(_))).count();
    harness.state_mut().actions.clear();
    saved
}

#[test]
fn the_mouse_paints_where_it_goes_and_each_stroke_is_saved() {
    let mut harness = harness();
    let (_, at) = place(&harness);
    drag(&mut harness, &[at([100.0, 150.0]), at([200.0, 150.0]), at([300.0, 150.0])]);
    assert_eq!((value_at(&harness, [150.0, 150.0]), value_at(&harness, [250.0, 150.0])), (255, 255), "along the stroke");
    assert_eq!(value_at(&harness, [200.0, 40.0]), 0, "not elsewhere");
    assert_eq!(saves(&mut harness), 1, "the stroke's mask goes to be written");
    assert!(harness.query_by_label_contains("The tinted part changes").is_some());
    harness.get_by_role_and_label(Role::Button, "Eraser").click();
    harness.run_steps(2);
    assert_eq!(harness.state().painter.tool(), Tool::Eraser);
    drag(&mut harness, &[at([200.0, 150.0])]);
    assert_eq!((value_at(&harness, [200.0, 150.0]), value_at(&harness, [110.0, 150.0])), (0, 255), "erased only where it went");
    assert_eq!(saves(&mut harness), 1);
}

#[test]
fn undo_and_redo_with_the_buttons_and_the_keys() {
    let mut harness = harness();
    let (_, at) = place(&harness);
    drag(&mut harness, &[at([100.0, 100.0])]);
    drag(&mut harness, &[at([300.0, 200.0])]);
    harness.get_by_role_and_label(Role::Button, "Undo").click();
    harness.run_steps(2);
    assert_eq!((value_at(&harness, [100.0, 100.0]), value_at(&harness, [300.0, 200.0])), (255, 0), "the last stroke is taken back");
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    harness.run_steps(2);
    assert_eq!(value_at(&harness, [100.0, 100.0]), 0, "Ctrl+Z takes back the one before");
    assert!(!harness.state().painter.painting().unwrap().can_undo());
    harness.key_press_modifiers(egui::Modifiers::COMMAND | egui::Modifiers::SHIFT, egui::Key::Z);
    harness.run_steps(2);
    assert_eq!(value_at(&harness, [100.0, 100.0]), 255, "Ctrl+Shift+Z does it again");
    harness.get_by_role_and_label(Role::Button, "Redo").click();
    harness.run_steps(2);
    assert_eq!(value_at(&harness, [300.0, 200.0]), 255);
    assert_eq!(saves(&mut harness), 2 + 4, "every change is saved, undo and redo included");
}

#[test]
fn clear_invert_and_fill_all() {
    let mut harness = harness();
    let (_, at) = place(&harness);
    drag(&mut harness, &[at([100.0, 100.0])]);
    harness.get_by_role_and_label(Role::Button, "Invert").click();
    harness.run_steps(2);
    assert_eq!((value_at(&harness, [100.0, 100.0]), value_at(&harness, [300.0, 250.0])), (0, 255));
    harness.get_by_role_and_label(Role::Button, "Clear").click();
    harness.run_steps(2);
    assert_eq!(value_at(&harness, [300.0, 250.0]), 0);
    assert!(harness.query_by_label_contains("Nothing is marked: paint over the part to change").is_some());
    harness.get_by_role_and_label(Role::Button, "Fill all").click();
    harness.run_steps(2);
    assert!([[0.0, 0.0], [399.0, 299.0], [200.0, 150.0]].iter().all(|p| value_at(&harness, *p) == 255));
    assert_eq!(saves(&mut harness), 4);
}

#[test]
fn brackets_and_the_slider_set_the_brush_size_and_the_stroke_follows_it() {
    let mut harness = harness();
    let before = harness.state().painter.size();
    harness.key_press(egui::Key::CloseBracket);
    harness.run_steps(2);
    let larger = harness.state().painter.size();
    assert!(larger > before, "] makes it larger: {before} -> {larger}");
    harness.key_press(egui::Key::OpenBracket);
    harness.key_press(egui::Key::OpenBracket);
    harness.run_steps(2);
    assert!(harness.state().painter.size() < before);
    harness.get_by_role_and_label(Role::Slider, "Size").set_value_accesskit(120.0);
    harness.run_steps(2);
    assert!((harness.state().painter.size() - 120.0).abs() < 1.0, "{}", harness.state().painter.size());
    // A 120-point brush at this zoom reaches well beyond 20 picture pixels from its middle.
    let (area, at) = place(&harness);
    let scale = (area.width() / SIZE[0] as f32).min(area.height() / SIZE[1] as f32);
    drag(&mut harness, &[at([200.0, 150.0])]);
    let reach = 60.0 / scale;
    assert_eq!(value_at(&harness, [200.0 + reach * 0.8, 150.0]), 255);
    assert_eq!(value_at(&harness, [200.0 + reach * 1.3, 150.0]), 0);
}

#[test]
fn after_zooming_and_moving_the_brush_still_paints_under_the_pointer() {
    let mut harness = harness();
    let (area, _) = place(&harness);
    // Zoom in about a point, then move the picture with the right button.
    harness.hover_at(area.center());
    harness.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Point,
        delta: egui::vec2(0.0, 300.0),
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Wheel,
        modifiers: egui::Modifiers::NONE,
    });
    harness.run_steps(8);
    let zoomed = harness.state().painter.view.scale();
    assert!(zoomed > (area.width() / SIZE[0] as f32).min(area.height() / SIZE[1] as f32) * 1.2, "zoomed in: {zoomed}");
    let start = area.center() + egui::vec2(-50.0, 0.0);
    harness.hover_at(start);
    harness.step();
    harness.event(egui::Event::PointerButton {
        pos: start,
        button: egui::PointerButton::Secondary,
        pressed: true,
        modifiers: Default::default(),
    });
    for step in 1..=5 {
        harness.hover_at(start + egui::vec2(step as f32 * 10.0, 0.0));
        harness.step();
    }
    harness.event(egui::Event::PointerButton {
        pos: start + egui::vec2(50.0, 0.0),
        button: egui::PointerButton::Secondary,
        pressed: false,
        modifiers: Default::default(),
    });
    harness.run_steps(2);
    assert!(harness.state().painter.painting().unwrap().is_untouched(), "moving the picture paints nothing");
    // Where does the pointer's spot land on the picture now? Paint there and look.
    let pointer = area.center() + egui::vec2(30.0, 20.0);
    let image_rect = {
        let painter = &harness.state().painter;
        let mut view = painter.view.clone();
        view.image_rect(area, egui::vec2(SIZE[0] as f32, SIZE[1] as f32))
    };
    let under = harness.state().painter.view.to_picture(image_rect, pointer);
    drag(&mut harness, &[pointer]);
    assert_eq!(value_at(&harness, under), 255, "painted at {under:?}, under the pointer");
}
