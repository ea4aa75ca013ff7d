//! Idle means idle: a window nobody uses draws nothing. The one thing that drew forever was
//! the focused text box's blinking cursor (the whole window, twice a second); like GTK
//! (`gtk-cursor-blink-timeout`), the cursor stops blinking 10 s after the last key or click,
//! and blinks again at the next one.

/// Seconds without a key or click after which the cursor stops blinking.
pub const BLINK_FOR: f64 = 10.0;

/// Whether the text cursor blinks, following the person's keys and clicks.
pub struct Blink {
    /// egui's input time of the last key, text or click.
    last_input: f64,
    blinking: bool,
}

impl Default for Blink {
    fn default() -> Self {
        Self { last_input: 0.0, blinking: true }
    }
}

impl Blink {
    /// Call before every frame: notes input, and turns blinking on or off when that changes.
    pub fn update(&mut self, ctx: &egui::Context) {
        let (now, input) = ctx.input(|i| (i.time, i.events.iter().any(is_activity)));
        if input {
            self.last_input = now;
        }
        let blink = blinks(self.last_input, now);
        if blink != self.blinking {
            self.blinking = blink;
            ctx.all_styles_mut(|style| style.visuals.text_cursor.blink = blink);
            ctx.request_repaint();
        }
        if blink {
            // Wake once more when the time is up, to stop (a blinking cursor wakes sooner anyway).
            ctx.request_repaint_after_secs((BLINK_FOR - (now - self.last_input)).max(0.0) as f32);
        }
    }
}

/// Whether the cursor blinks at `now`, the last key or click having been at `last_input`.
fn blinks(last_input: f64, now: f64) -> bool {
    now - last_input < BLINK_FOR
}

/// A key, typed text, a paste or a click: what restarts the blinking (a mouse merely moving
/// past does not).
fn is_activity(event: &egui::Event) -> bool {
    matches!(
        event,
        egui::Event::Key { .. } | egui::Event::Text(_) | egui::Event::Paste(_) | egui::Event::Ime(_) | egui::Event::PointerButton { .. }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cursor_stops_blinking_ten_seconds_after_the_last_key_and_starts_again_at_the_next() {
        assert!(blinks(0.0, 9.9));
        assert!(!blinks(0.0, 10.0));
        let ctx = egui::Context::default();
        let mut blink = Blink::default();
        let frame = |ctx: &egui::Context, blink: &mut Blink, time: f64, events: Vec<egui::Event>| {
            let input = egui::RawInput { time: Some(time), events, ..Default::default() };
            let mut output = ctx.run_ui(input, |ui| blink.update(ui.ctx()));
            output.textures_delta.clear();
            ctx.global_style().visuals.text_cursor.blink
        };
        assert!(frame(&ctx, &mut blink, 1.0, vec![egui::Event::Text("a".into())]));
        assert!(frame(&ctx, &mut blink, 10.5, Vec::new()), "still within ten seconds of the key");
        assert!(!frame(&ctx, &mut blink, 11.5, Vec::new()), "stopped: nothing repaints for it now");
        assert!(!frame(&ctx, &mut blink, 30.0, vec![egui::Event::PointerMoved(egui::pos2(1.0, 1.0))]), "a moving mouse is no key");
        assert!(frame(&ctx, &mut blink, 31.0, vec![egui::Event::Text("b".into())]), "the next key starts it again");
    }
}
