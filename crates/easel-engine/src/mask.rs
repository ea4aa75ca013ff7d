//! A mask painted on a picture: the part to change, white on black.
//!
//! The painting is kept as what the person did — strokes of the brush and the eraser, clear,
//! fill all, invert — on top of an optional mask loaded from a file. So undo and redo are
//! exact, and the mask can be made at any size: the window paints a screen-sized copy while
//! the person works, and the mask that is sent is made at the start image's own size. Each
//! service then gets it in its own form (white = change for ModelsLab and A1111; OpenAI's
//! transparency is made from it by its provider).

use image::{GrayImage, Luma};
use std::sync::Arc;

/// What the person did, in the picture's pixels (upright, its full size).
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    Stroke(Stroke),
    /// Nothing marked any more.
    Clear,
    /// Everything marked: the whole picture changes.
    FillAll,
    /// Marked and unmarked swap.
    Invert,
}

/// One drag of the brush (marks) or the eraser (unmarks): the points it passed through and
/// the brush's radius, in the picture's pixels.
#[derive(Clone, Debug, PartialEq)]
pub struct Stroke {
    pub erase: bool,
    pub radius: f32,
    pub points: Vec<[f32; 2]>,
}

/// The painting: its picture's size, a loaded mask to start from, what was done and what was
/// undone (for redo).
#[derive(Clone, Debug, Default)]
pub struct Painting {
    width: u32,
    height: u32,
    base: Option<Arc<GrayImage>>,
    ops: Vec<Op>,
    undone: Vec<Op>,
}

/// A rectangle of pixels, `[x0, x1) × [y0, y1)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dirty {
    pub x0: u32,
    pub y0: u32,
    pub x1: u32,
    pub y1: u32,
}

impl Painting {
    /// An empty painting on a picture of `width`×`height`.
    pub fn new(width: u32, height: u32) -> Self {
        Self { width: width.max(1), height: height.max(1), ..Self::default() }
    }

    /// A painting on a picture of `width`×`height` that starts from a mask (white = change,
    /// any size: it is stretched to the picture's).
    pub fn from_mask(width: u32, height: u32, mask: GrayImage) -> Self {
        Self { base: Some(Arc::new(mask)), ..Self::new(width, height) }
    }

    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// Whether anything was done since it was made (strokes, clear…), or it came from a file.
    pub fn is_untouched(&self) -> bool {
        self.ops.is_empty() && self.base.is_none()
    }

    /// Do `op`; what was undone can no longer be redone.
    pub fn push(&mut self, op: Op) {
        self.ops.push(op);
        self.undone.clear();
    }

    /// Take back the last thing done; false when there is nothing to undo.
    pub fn undo(&mut self) -> bool {
        self.ops.pop().map(|op| self.undone.push(op)).is_some()
    }

    /// Do again what was last undone; false when there is nothing to redo.
    pub fn redo(&mut self) -> bool {
        self.undone.pop().map(|op| self.ops.push(op)).is_some()
    }

    pub fn can_undo(&self) -> bool {
        !self.ops.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.undone.is_empty()
    }

    /// The mask at `width`×`height` (the picture's own size for sending, a smaller one for
    /// the screen): white where the picture is to change.
    pub fn render(&self, width: u32, height: u32) -> GrayImage {
        let mut canvas = match &self.base {
            Some(base) if base.dimensions() == (width, height) => (**base).clone(),
            Some(base) => image::imageops::resize(&**base, width, height, image::imageops::FilterType::Triangle),
            None => GrayImage::new(width, height),
        };
        let scale = width as f32 / self.width as f32;
        for op in &self.ops {
            apply(&mut canvas, op, scale);
        }
        canvas
    }
}

/// Do `op` on `canvas`, whose pixels are `scale` times the picture's.
pub fn apply(canvas: &mut GrayImage, op: &Op, scale: f32) {
    match op {
        Op::Stroke(stroke) => {
            let scaled = |p: &[f32; 2]| [p[0] * scale, p[1] * scale];
            let radius = stroke.radius * scale;
            let mut points = stroke.points.iter().map(scaled);
            let Some(mut from) = points.next() else { return };
            stamp(canvas, from, from, radius, stroke.erase);
            for to in points {
                stamp(canvas, from, to, radius, stroke.erase);
                from = to;
            }
        }
        Op::Clear => canvas.pixels_mut().for_each(|p| p.0[0] = 0),
        Op::FillAll => canvas.pixels_mut().for_each(|p| p.0[0] = 255),
        Op::Invert => canvas.pixels_mut().for_each(|p| p.0[0] = 255 - p.0[0]),
    }
}

/// Paint (or erase) the brush's path from `a` to `b` on `canvas`: every pixel within `radius`
/// of the segment, with a one-pixel soft edge. Returns the pixels it may have changed.
pub fn stamp(canvas: &mut GrayImage, a: [f32; 2], b: [f32; 2], radius: f32, erase: bool) -> Option<Dirty> {
    let radius = radius.max(0.5);
    let (w, h) = canvas.dimensions();
    let reach = radius + 1.0;
    let clamp = |v: f32, most: u32| v.clamp(0.0, most as f32) as u32;
    let dirty = Dirty {
        x0: clamp(a[0].min(b[0]) - reach, w),
        y0: clamp(a[1].min(b[1]) - reach, h),
        x1: clamp(a[0].max(b[0]) + reach + 1.0, w),
        y1: clamp(a[1].max(b[1]) + reach + 1.0, h),
    };
    if dirty.x0 >= dirty.x1 || dirty.y0 >= dirty.y1 {
        return None;
    }
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let length2 = dx * dx + dy * dy;
    for y in dirty.y0..dirty.y1 {
        for x in dirty.x0..dirty.x1 {
            let (px, py) = (x as f32 + 0.5 - a[0], y as f32 + 0.5 - a[1]);
            let t = if length2 > 0.0 { ((px * dx + py * dy) / length2).clamp(0.0, 1.0) } else { 0.0 };
            let (ex, ey) = (px - t * dx, py - t * dy);
            let coverage = (radius + 0.5 - (ex * ex + ey * ey).sqrt()).clamp(0.0, 1.0);
            if coverage <= 0.0 {
                continue;
            }
            let value = (coverage * 255.0).round() as u8;
            let Luma([old]) = *canvas.get_pixel(x, y);
            let new = if erase { old.min(255 - value) } else { old.max(value) };
            canvas.put_pixel(x, y, Luma([new]));
        }
    }
    Some(dirty)
}

/// A white-is-change mask as a PNG.
pub fn to_png(mask: &GrayImage) -> Result<Vec<u8>, String> {
    let mut png = Vec::new();
    mask.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).map_err(|e| e.to_string())?;
    Ok(png)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stroke(erase: bool, radius: f32, points: &[[f32; 2]]) -> Op {
        Op::Stroke(Stroke { erase, radius, points: points.to_vec() })
    }

    fn at(mask: &GrayImage, x: u32, y: u32) -> u8 {
        mask.get_pixel(x, y).0[0]
    }

    #[test]
    fn the_brush_marks_its_path_and_the_eraser_takes_it_back() {
        let mut painting = Painting::new(200, 100);
        painting.push(stroke(false, 10.0, &[[20.0, 50.0], [180.0, 50.0]]));
        let mask = painting.render(200, 100);
        assert_eq!((at(&mask, 100, 50), at(&mask, 100, 58), at(&mask, 100, 70)), (255, 255, 0), "within the radius only");
        assert_eq!(at(&mask, 5, 50), 0, "not beyond the stroke's ends");
        painting.push(stroke(true, 10.0, &[[100.0, 50.0]]));
        let mask = painting.render(200, 100);
        assert_eq!((at(&mask, 100, 50), at(&mask, 60, 50)), (0, 255), "erased where the eraser went");
    }

    #[test]
    fn undo_redo_clear_fill_and_invert_are_exact() {
        let mut painting = Painting::new(64, 64);
        assert!(!painting.undo(), "nothing to undo");
        painting.push(stroke(false, 4.0, &[[10.0, 10.0]]));
        let once = painting.render(64, 64);
        painting.push(Op::Invert);
        assert_eq!((at(&painting.render(64, 64), 10, 10), at(&painting.render(64, 64), 40, 40)), (0, 255));
        assert!(painting.undo());
        assert_eq!(painting.render(64, 64), once);
        assert!(painting.redo() && !painting.redo());
        painting.push(Op::FillAll);
        assert!(painting.render(64, 64).pixels().all(|p| p.0[0] == 255));
        painting.push(Op::Clear);
        assert!(painting.render(64, 64).pixels().all(|p| p.0[0] == 0));
        assert!(painting.undo() && painting.can_redo());
        painting.push(stroke(true, 1.0, &[[1.0, 1.0]]));
        assert!(!painting.can_redo(), "a new stroke forgets what was undone");
    }

    #[test]
    fn the_mask_is_made_at_any_size_from_the_same_strokes() {
        let mut painting = Painting::from_mask(400, 300, GrayImage::from_fn(40, 30, |x, _| Luma([if x >= 30 { 255 } else { 0 }])));
        painting.push(stroke(false, 20.0, &[[50.0, 150.0]]));
        for (w, h) in [(400, 300), (100, 75), (4032, 3024)] {
            let mask = painting.render(w, h);
            let s = w as f32 / 400.0;
            let px = |x: f32, y: f32| at(&mask, (x * s) as u32, (y * s) as u32);
            assert_eq!((px(50.0, 150.0), px(200.0, 150.0), px(380.0, 150.0)), (255, 0, 255), "at {w}×{h}");
        }
        assert!(!painting.is_untouched());
    }

    #[test]
    fn a_stamp_outside_the_canvas_changes_nothing() {
        let mut canvas = GrayImage::new(10, 10);
        assert_eq!(stamp(&mut canvas, [-50.0, -50.0], [-40.0, -40.0], 3.0, false), None);
        let dirty = stamp(&mut canvas, [5.0, 5.0], [5.0, 5.0], 2.0, false).unwrap();
        assert!(dirty.x0 <= 3 && dirty.x1 >= 7 && canvas.pixels().any(|p| p.0[0] == 255));
    }
}
