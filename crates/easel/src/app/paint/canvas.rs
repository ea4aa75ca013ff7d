//! The painting on screen: the engine's [`Painting`] (what the person did), a copy of its mask
//! at a screen-friendly size, and the tinted overlay drawn over the picture.
//!
//! A stroke is stamped on the copy as the brush moves, and only the part of the overlay it
//! changed is sent to the GPU again; undo and redo draw the copy again from the painting. The
//! mask that is sent is made from the painting itself, at the start image's own size, by the
//! command layer.

use easel_engine::mask::{self, Dirty, Op, Painting, Stroke};
use egui::{Color32, ColorImage, TextureHandle, TextureOptions};
use image::GrayImage;

/// Longest side of the copy shown on screen.
pub const WORK_SIDE: u32 = 1536;
/// The overlay's colour, and how much of it covers the picture where it is marked.
const TINT: [u8; 3] = [255, 40, 110];
const TINT_ALPHA: f32 = 0.55;

/// A painting and its overlay.
pub struct Canvas {
    painting: Painting,
    /// The mask at the working size (white = change).
    raster: GrayImage,
    /// Working pixels per picture pixel.
    scale: f32,
    texture: Option<TextureHandle>,
    /// What changed on the copy since the overlay was last sent; `full`: all of it.
    dirty: Option<Dirty>,
    full: bool,
    /// The stroke being drawn, in picture pixels.
    stroke: Option<Stroke>,
}

impl Canvas {
    /// A canvas on a picture of `size` (upright pixels), starting from a loaded mask if any.
    pub fn new(size: [u32; 2], base: Option<GrayImage>) -> Self {
        let painting = match base {
            Some(base) => Painting::from_mask(size[0], size[1], base),
            None => Painting::new(size[0], size[1]),
        };
        let scale = (WORK_SIDE as f32 / size[0].max(size[1]) as f32).min(1.0);
        let work = [((size[0] as f32 * scale).round() as u32).max(1), ((size[1] as f32 * scale).round() as u32).max(1)];
        let raster = painting.render(work[0], work[1]);
        Self { painting, raster, scale, texture: None, dirty: None, full: true, stroke: None }
    }

    pub fn painting(&self) -> &Painting {
        &self.painting
    }

    /// Whether anything on the copy is marked to change.
    pub fn marks_something(&self) -> bool {
        easel_engine::start_images::marks_something(&self.raster)
    }

    /// The copy's value at a picture pixel (tests look at it).
    #[cfg(test)]
    pub fn at(&self, point: [f32; 2]) -> u8 {
        let (w, h) = self.raster.dimensions();
        let x = ((point[0] * self.scale) as u32).min(w - 1);
        let y = ((point[1] * self.scale) as u32).min(h - 1);
        self.raster.get_pixel(x, y).0[0]
    }

    /// Put the brush (or the eraser) down at `at` (picture pixels), `radius` wide.
    pub fn begin(&mut self, at: [f32; 2], radius: f32, erase: bool) {
        self.stroke = Some(Stroke { erase, radius, points: vec![at] });
        self.stamp(at, at, radius, erase);
    }

    /// Move the brush to `to`: the path since the last point is painted.
    pub fn extend(&mut self, to: [f32; 2]) {
        let Some(stroke) = &mut self.stroke else { return };
        let from = stroke.points.last().copied().unwrap_or(to);
        if (from[0] - to[0]).abs() + (from[1] - to[1]).abs() < 0.5 {
            return;
        }
        stroke.points.push(to);
        let (radius, erase) = (stroke.radius, stroke.erase);
        self.stamp(from, to, radius, erase);
    }

    /// Lift the brush: the stroke becomes part of the painting. False when none was drawn.
    pub fn end(&mut self) -> bool {
        match self.stroke.take() {
            Some(stroke) => {
                self.painting.push(Op::Stroke(stroke));
                true
            }
            None => false,
        }
    }

    pub fn drawing(&self) -> bool {
        self.stroke.is_some()
    }

    /// Clear, fill all or invert.
    pub fn apply(&mut self, op: Op) {
        mask::apply(&mut self.raster, &op, self.scale);
        self.painting.push(op);
        self.full = true;
    }

    pub fn undo(&mut self) -> bool {
        let done = self.painting.undo();
        self.redraw(done)
    }

    pub fn redo(&mut self) -> bool {
        let done = self.painting.redo();
        self.redraw(done)
    }

    fn redraw(&mut self, changed: bool) -> bool {
        if changed {
            let (w, h) = self.raster.dimensions();
            self.raster = self.painting.render(w, h);
            self.full = true;
        }
        changed
    }

    fn stamp(&mut self, from: [f32; 2], to: [f32; 2], radius: f32, erase: bool) {
        let s = self.scale;
        if let Some(changed) = mask::stamp(&mut self.raster, [from[0] * s, from[1] * s], [to[0] * s, to[1] * s], radius * s, erase) {
            self.dirty = Some(match self.dirty {
                Some(d) => Dirty { x0: d.x0.min(changed.x0), y0: d.y0.min(changed.y0), x1: d.x1.max(changed.x1), y1: d.y1.max(changed.y1) },
                None => changed,
            });
        }
    }

    /// Draw the overlay over the picture at `image_rect`, sending what changed first.
    pub fn paint(&mut self, ctx: &egui::Context, painter: &egui::Painter, image_rect: egui::Rect) {
        match &mut self.texture {
            Some(texture) if !self.full => {
                if let Some(d) = self.dirty.take() {
                    texture.set_partial([d.x0 as usize, d.y0 as usize], overlay(&self.raster, d), TextureOptions::LINEAR);
                }
            }
            _ => {
                let (w, h) = self.raster.dimensions();
                let all = Dirty { x0: 0, y0: 0, x1: w, y1: h };
                self.texture = Some(ctx.load_texture("easel-painted-mask", overlay(&self.raster, all), TextureOptions::LINEAR));
                self.full = false;
                self.dirty = None;
            }
        }
        if let Some(texture) = &self.texture {
            painter.image(texture.id(), image_rect, crate::app::picture::uv_full(), Color32::WHITE);
        }
    }
}

/// The tinted overlay of a part of the mask.
fn overlay(raster: &GrayImage, d: Dirty) -> ColorImage {
    let (w, h) = ((d.x1 - d.x0) as usize, (d.y1 - d.y0) as usize);
    let mut pixels = Vec::with_capacity(w * h);
    for y in d.y0..d.y1 {
        for x in d.x0..d.x1 {
            let alpha = (f32::from(raster.get_pixel(x, y).0[0]) * TINT_ALPHA) as u8;
            pixels.push(Color32::from_rgba_unmultiplied(TINT[0], TINT[1], TINT[2], alpha));
        }
    }
    ColorImage::new([w, h], pixels)
}
