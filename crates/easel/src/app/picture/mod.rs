//! Big pictures on screen — the viewer, the painter, the comparison — smooth at any size.
//!
//! Nothing slow happens while a frame is drawn. The command layer decodes a picture off the
//! UI thread (upright, as its camera meant) and hands over a texture no larger than
//! [`FIT_SIDE`] for "fit", plus the decoded pixels when the picture is larger than that. Zoomed
//! in past what the fit texture shows sharply, the visible part is drawn from tiles of
//! [`TILE`] pixels, cut (and for middle zooms, halved once or more) on a worker as they come
//! into view, kept within [`TILE_BUDGET_BYTES`] by dropping those drawn longest ago. Until a
//! tile arrives the fit texture shows through, so a frame never waits.
//!
//! - this file: [`Pictures`], the open pictures and their tiles, and how they are drawn;
//! - `view`: zooming and panning, shared by every view of a picture.

mod view;

pub use view::View;

use egui::{Color32, Rect, TextureHandle, pos2};
use image::DynamicImage;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Longest side of the texture a picture is shown with at "fit".
pub const FIT_SIDE: u32 = 2048;
/// Side of a tile, in texture pixels.
pub const TILE: u32 = 512;
/// Tiles kept on the GPU (all open pictures together) before the least recently drawn go.
pub const TILE_BUDGET_BYTES: usize = 96 << 20;
/// Most tiles being cut at once, unless the workspace says how many pixel workers there are
/// ([`Pictures::with_tile_workers`]): a fast zoom does not queue tiles already out of view.
const DEFAULT_TILES_IN_FLIGHT: usize = 1;
/// A tile (or a picture) not drawn for this many frames may be dropped.
const IDLE_FRAMES: u64 = 3;

/// A decoded picture, as the command layer hands it over.
pub struct LoadedPicture {
    /// The whole picture, at most [`FIT_SIDE`] on its longer side.
    pub fit: TextureHandle,
    /// The picture's size in pixels, upright.
    pub size: [u32; 2],
    /// Its pixels, kept (off the GPU) for tiles when it is larger than its fit texture.
    pub full: Option<Arc<DynamicImage>>,
}

/// One tile: at `level`, tile (`x`, `y`) covers `TILE << level` picture pixels a side, shown
/// with `TILE` texture pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TileId {
    pub level: u8,
    pub x: u32,
    pub y: u32,
}

impl TileId {
    /// The picture pixels it covers: `[x0, x1) × [y0, y1)`, within a picture of `size`.
    pub fn area(self, size: [u32; 2]) -> [u32; 4] {
        let span = TILE << self.level;
        [self.x * span, self.y * span, ((self.x + 1) * span).min(size[0]), ((self.y + 1) * span).min(size[1])]
    }
}

/// A tile to cut, for the command layer.
pub struct WantedTile {
    pub path: PathBuf,
    pub full: Arc<DynamicImage>,
    pub tile: TileId,
}

/// What the command layer reports (errors are plain sentences).
pub enum PictureMessage {
    Loaded { path: PathBuf, result: Result<LoadedPicture, String> },
    Tile { path: PathBuf, tile: TileId, result: Result<TextureHandle, String> },
}

/// How a picture stands, for the view drawing it.
#[derive(Clone, Debug, PartialEq)]
pub enum Shown {
    Loading,
    /// Ready, at this size (pixels, upright).
    Ready([u32; 2]),
    Failed(String),
}

enum State {
    Loading,
    Ready(Ready),
    Failed(String),
}

struct Ready {
    fit: TextureHandle,
    size: [u32; 2],
    full: Option<Arc<DynamicImage>>,
    tiles: HashMap<TileId, Tile>,
}

enum Tile {
    Cutting,
    Ready { texture: TextureHandle, last_drawn: u64 },
}

struct Entry {
    state: State,
    last_drawn: u64,
}

/// The pictures on screen, by file.
pub struct Pictures {
    entries: HashMap<PathBuf, Entry>,
    frame: u64,
    tile_bytes: usize,
    tiles_in_flight: usize,
    max_tiles_in_flight: usize,
    wanted: Vec<PathBuf>,
    wanted_tiles: Vec<WantedTile>,
}

impl Default for Pictures {
    fn default() -> Self {
        Self {
            entries: HashMap::new(),
            frame: 0,
            tile_bytes: 0,
            tiles_in_flight: 0,
            max_tiles_in_flight: DEFAULT_TILES_IN_FLIGHT,
            wanted: Vec::new(),
            wanted_tiles: Vec::new(),
        }
    }
}

impl Pictures {
    /// Cut at most `workers` tiles at once.
    pub fn with_tile_workers(workers: usize) -> Self {
        Self { max_tiles_in_flight: workers.max(1), ..Self::default() }
    }

    /// The size of a picture once it is decoded.
    pub fn size(&self, path: &Path) -> Option<[u32; 2]> {
        match self.entries.get(path).map(|e| &e.state) {
            Some(State::Ready(ready)) => Some(ready.size),
            _ => None,
        }
    }

    /// How the picture stands, asking for it if it is not there yet.
    pub fn shown(&mut self, path: &Path) -> Shown {
        let frame = self.frame;
        let entry = self.entries.entry(path.to_path_buf()).or_insert_with(|| {
            self.wanted.push(path.to_path_buf());
            Entry { state: State::Loading, last_drawn: frame }
        });
        entry.last_drawn = frame;
        match &entry.state {
            State::Loading => Shown::Loading,
            State::Ready(ready) => Shown::Ready(ready.size),
            State::Failed(why) => Shown::Failed(why.clone()),
        }
    }

    /// Draw the picture at `path` into `image_rect`, clipped to `clip`: the fit texture, and
    /// over it the tiles the zoom needs (asking for those not cut yet). While it loads,
    /// `placeholder` (a thumbnail) is stretched over the place, or a spinner shown.
    pub fn paint(&mut self, ui: &egui::Ui, path: &Path, clip: Rect, image_rect: Rect, placeholder: Option<&TextureHandle>) -> Shown {
        let shown = self.shown(path);
        let painter = ui.painter_at(clip);
        let frame = self.frame;
        let Some(Entry { state: State::Ready(ready), .. }) = self.entries.get_mut(path) else {
            match (&shown, placeholder) {
                (Shown::Loading, Some(thumb)) => {
                    painter.image(thumb.id(), image_rect, uv_full(), Color32::WHITE);
                    spinner(ui, clip);
                }
                (Shown::Loading, None) => spinner(ui, clip),
                (Shown::Failed(why), _) => {
                    let font = crate::app::style::placeholder_font();
                    painter.text(clip.center(), egui::Align2::CENTER_CENTER, why, font, crate::app::style::warn(ui));
                }
                (Shown::Ready(_), _) => {}
            }
            return shown;
        };
        painter.image(ready.fit.id(), image_rect, uv_full(), Color32::WHITE);
        let Some(full) = ready.full.clone() else { return shown };
        let ppp = ui.ctx().pixels_per_point();
        // Screen pixels per picture pixel, and what the fit texture gives.
        let scale = image_rect.width() * ppp / ready.size[0] as f32;
        let fit_scale = ready.fit.size()[0] as f32 / ready.size[0] as f32;
        if scale <= fit_scale * 1.05 {
            return shown;
        }
        // The coarsest level that is still not magnified; level 0 is the picture's own pixels.
        let level = (1.0 / scale).log2().floor().max(0.0) as u8;
        let span = (TILE << level) as f32;
        let per_pixel = image_rect.width() / ready.size[0] as f32;
        let visible = clip.intersect(image_rect);
        if visible.width() <= 0.0 || visible.height() <= 0.0 {
            return shown;
        }
        let to_picture = |p: egui::Pos2| ((p - image_rect.min) / per_pixel).max(egui::Vec2::ZERO);
        let (from, to) = (to_picture(visible.min), to_picture(visible.max));
        let (x0, y0) = ((from.x / span) as u32, (from.y / span) as u32);
        let (x1, y1) = (((to.x / span).ceil() as u32).max(x0 + 1), ((to.y / span).ceil() as u32).max(y0 + 1));
        let columns = ready.size[0].div_ceil(TILE << level);
        let rows = ready.size[1].div_ceil(TILE << level);
        for y in y0..y1.min(rows) {
            for x in x0..x1.min(columns) {
                let tile = TileId { level, x, y };
                match ready.tiles.get_mut(&tile) {
                    Some(Tile::Ready { texture, last_drawn }) => {
                        *last_drawn = frame;
                        let [ax, ay, bx, by] = tile.area(ready.size);
                        let rect = Rect::from_min_max(
                            image_rect.min + egui::vec2(ax as f32, ay as f32) * per_pixel,
                            image_rect.min + egui::vec2(bx as f32, by as f32) * per_pixel,
                        );
                        painter.image(texture.id(), rect, uv_full(), Color32::WHITE);
                    }
                    Some(Tile::Cutting) => {}
                    None if self.tiles_in_flight < self.max_tiles_in_flight => {
                        self.tiles_in_flight += 1;
                        ready.tiles.insert(tile, Tile::Cutting);
                        self.wanted_tiles.push(WantedTile { path: path.to_path_buf(), full: full.clone(), tile });
                    }
                    None => {}
                }
            }
        }
        shown
    }

    /// The pictures and tiles asked for since the last call, for the command layer.
    pub fn take_wanted(&mut self) -> (Vec<PathBuf>, Vec<WantedTile>) {
        (std::mem::take(&mut self.wanted), std::mem::take(&mut self.wanted_tiles))
    }

    /// A picture was decoded, or a tile cut. Ignored when its picture is no longer shown.
    pub fn on_message(&mut self, message: PictureMessage) {
        match message {
            PictureMessage::Loaded { path, result } => {
                if let Some(entry) = self.entries.get_mut(&path) {
                    entry.state = match result {
                        Ok(loaded) => State::Ready(Ready { fit: loaded.fit, size: loaded.size, full: loaded.full, tiles: HashMap::new() }),
                        Err(why) => State::Failed(why),
                    };
                }
            }
            PictureMessage::Tile { path, tile, result } => {
                self.tiles_in_flight = self.tiles_in_flight.saturating_sub(1);
                let Some(Entry { state: State::Ready(ready), .. }) = self.entries.get_mut(&path) else { return };
                match result {
                    Ok(texture) => {
                        self.tile_bytes += texture.byte_size();
                        ready.tiles.insert(tile, Tile::Ready { texture, last_drawn: self.frame });
                    }
                    // Not worth a sentence: the fit texture keeps showing there.
                    Err(why) => {
                        crate::app::logging::note(&format!("a tile of {} could not be cut: {why}", path.display()));
                        ready.tiles.remove(&tile);
                    }
                }
            }
        }
    }

    /// Call once per frame after drawing: pictures no view drew for a few frames are let go
    /// (their pixels and textures freed), and over budget the tiles drawn longest ago go.
    pub fn end_frame(&mut self) {
        let frame = self.frame;
        let mut freed = 0;
        self.entries.retain(|_, entry| {
            let keep = entry.last_drawn + IDLE_FRAMES > frame;
            if !keep && let State::Ready(ready) = &entry.state {
                freed += tile_bytes(ready);
            }
            keep
        });
        self.tile_bytes -= freed;
        if self.tile_bytes > TILE_BUDGET_BYTES {
            let mut idle: Vec<(u64, PathBuf, TileId)> = self
                .entries
                .iter()
                .filter_map(|(path, entry)| match &entry.state {
                    State::Ready(ready) => Some((path, ready)),
                    _ => None,
                })
                .flat_map(|(path, ready)| {
                    ready.tiles.iter().filter_map(move |(id, tile)| match tile {
                        Tile::Ready { last_drawn, .. } if *last_drawn + IDLE_FRAMES <= frame => Some((*last_drawn, path.clone(), *id)),
                        _ => None,
                    })
                })
                .collect();
            idle.sort_unstable_by_key(|(drawn, _, _)| *drawn);
            for (_, path, id) in idle {
                if self.tile_bytes <= TILE_BUDGET_BYTES {
                    break;
                }
                if let Some(Entry { state: State::Ready(ready), .. }) = self.entries.get_mut(&path)
                    && let Some(Tile::Ready { texture, .. }) = ready.tiles.remove(&id)
                {
                    self.tile_bytes -= texture.byte_size();
                }
            }
        }
        self.frame += 1;
    }
}

fn tile_bytes(ready: &Ready) -> usize {
    ready
        .tiles
        .values()
        .map(|t| match t {
            Tile::Ready { texture, .. } => texture.byte_size(),
            Tile::Cutting => 0,
        })
        .sum()
}

fn spinner(ui: &egui::Ui, clip: Rect) {
    egui::Spinner::new().paint_at(ui, Rect::from_center_size(clip.center(), egui::vec2(32.0, 32.0)));
}

/// Texture coordinates of a whole texture.
pub fn uv_full() -> Rect {
    Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0))
}

/// Cut one tile from a picture's pixels: its area, halved `level` times. The usual 8-bit RGB
/// and RGBA pictures are read in place, through a view: copying the area first meant 64 MiB for
/// one halved-three-times tile of an 8192×8192 picture.
pub fn cut_tile(full: &DynamicImage, tile: TileId) -> egui::ColorImage {
    use image::imageops::{crop_imm, thumbnail};
    let area @ [x0, y0, x1, y1] = tile.area([full.width(), full.height()]);
    let (w, h, level) = (x1 - x0, y1 - y0, tile.level);
    let [tw, th] = halved(area, level);
    let rgba = match full {
        DynamicImage::ImageRgba8(pixels) => {
            let view = crop_imm(pixels, x0, y0, w, h);
            if level == 0 { view.to_image() } else { thumbnail(&*view, tw, th) }
        }
        DynamicImage::ImageRgb8(pixels) => {
            let view = crop_imm(pixels, x0, y0, w, h);
            DynamicImage::ImageRgb8(if level == 0 { view.to_image() } else { thumbnail(&*view, tw, th) }).into_rgba8()
        }
        other => {
            let piece = other.crop_imm(x0, y0, w, h);
            if level == 0 { piece } else { piece.thumbnail_exact(tw, th) }.into_rgba8()
        }
    };
    egui::ColorImage::from_rgba_unmultiplied([rgba.width() as usize, rgba.height() as usize], rgba.as_raw())
}

/// The size of `area` halved `level` times.
fn halved([x0, y0, x1, y1]: [u32; 4], level: u8) -> [u32; 2] {
    [(x1 - x0).div_ceil(1 << level).max(1), (y1 - y0).div_ceil(1 << level).max(1)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loaded(ctx: &egui::Context, size: [u32; 2]) -> LoadedPicture {
        let fit_side = FIT_SIDE as usize;
        let fit = ctx.load_texture("fit", egui::ColorImage::filled([fit_side, fit_side / 2], Color32::RED), egui::TextureOptions::LINEAR);
        let full = Arc::new(DynamicImage::new_rgb8(size[0], size[1]));
        LoadedPicture { fit, size, full: Some(full) }
    }

    /// One frame: draw the picture at `zoom` (screen points per picture pixel) into a
    /// 1280×800 view, then take what it asked for.
    fn frame(pictures: &mut Pictures, ctx: &egui::Context, path: &Path, zoom: f32) -> Vec<TileId> {
        let mut tiles = Vec::new();
        let mut output = ctx.run_ui(Default::default(), |ui| {
            let clip = Rect::from_min_size(pos2(0.0, 0.0), egui::vec2(1280.0, 800.0));
            let size = pictures.size(path).map_or(egui::vec2(1.0, 1.0), |s| egui::vec2(s[0] as f32, s[1] as f32));
            let image_rect = Rect::from_center_size(clip.center(), size * zoom);
            pictures.paint(ui, path, clip, image_rect, None);
        });
        output.textures_delta.clear();
        tiles.extend(pictures.take_wanted().1.into_iter().map(|w| w.tile));
        pictures.end_frame();
        tiles
    }

    #[test]
    fn at_fit_no_tiles_and_zoomed_in_only_the_visible_ones_at_full_resolution() {
        let ctx = egui::Context::default();
        let path = Path::new("/big.png");
        let mut pictures = Pictures::default();
        assert_eq!(pictures.shown(path), Shown::Loading);
        assert_eq!(pictures.take_wanted().0, [path.to_path_buf()], "asked for once");
        pictures.on_message(PictureMessage::Loaded { path: path.into(), result: Ok(loaded(&ctx, [8192, 4096])) });
        assert!(frame(&mut pictures, &ctx, path, 0.15).is_empty(), "fit: the fit texture is enough");
        let tiles = frame(&mut pictures, &ctx, path, 1.0);
        assert!(!tiles.is_empty() && tiles.len() <= DEFAULT_TILES_IN_FLIGHT, "{tiles:?}");
        assert!(tiles.iter().all(|t| t.level == 0), "100 %: the picture's own pixels");
        // The view at 100 % shows 1280×800 of 8192×4096 around the centre: tiles 6..10 × 3..5.
        assert!(tiles.iter().all(|t| (6..=10).contains(&t.x) && (2..=5).contains(&t.y)), "{tiles:?}");
        let middle = frame(&mut pictures, &ctx, path, 0.4);
        assert!(middle.is_empty() || middle.iter().all(|t| t.level == 1), "a middle zoom uses halved tiles: {middle:?}");
    }

    #[test]
    fn tiles_stay_within_the_budget_and_a_closed_picture_is_let_go() {
        let ctx = egui::Context::default();
        let path = Path::new("/big.png");
        let mut pictures = Pictures::default();
        pictures.shown(path);
        pictures.on_message(PictureMessage::Loaded { path: path.into(), result: Ok(loaded(&ctx, [8192, 8192])) });
        let one = TILE as usize * TILE as usize * 4;
        for x in 0..16 {
            for y in 0..16 {
                let texture = ctx.load_texture("t", egui::ColorImage::filled([TILE as usize; 2], Color32::BLUE), Default::default());
                pictures.tiles_in_flight += 1;
                pictures.on_message(PictureMessage::Tile { path: path.into(), tile: TileId { level: 0, x, y }, result: Ok(texture) });
            }
        }
        assert_eq!(pictures.tile_bytes, 256 * one);
        for _ in 0..=IDLE_FRAMES {
            pictures.shown(path);
            pictures.end_frame();
        }
        assert!(pictures.tile_bytes <= TILE_BUDGET_BYTES, "{} MiB", pictures.tile_bytes >> 20);
        for _ in 0..=IDLE_FRAMES {
            pictures.end_frame();
        }
        assert_eq!((pictures.entries.len(), pictures.tile_bytes), (0, 0), "not drawn any more: freed");
    }

    #[test]
    fn a_tile_is_its_area_halved_per_level() {
        let full = DynamicImage::new_rgb8(1300, 700);
        assert_eq!(cut_tile(&full, TileId { level: 0, x: 2, y: 1 }).size, [276, 188]);
        assert_eq!(cut_tile(&full, TileId { level: 1, x: 1, y: 0 }).size, [138, 350]);
    }

    #[test]
    fn a_tile_read_in_place_has_the_pixels_of_a_tile_cut_from_a_copy() {
        let rgba =
            image::RgbaImage::from_fn(2100, 1500, |x, y| image::Rgba([(x % 251) as u8, (y % 241) as u8, ((x + y) % 239) as u8, 200]));
        for full in [DynamicImage::ImageRgba8(rgba.clone()), DynamicImage::ImageRgb8(DynamicImage::ImageRgba8(rgba).into_rgb8())] {
            for tile in [TileId { level: 0, x: 1, y: 2 }, TileId { level: 2, x: 0, y: 0 }, TileId { level: 1, x: 2, y: 1 }] {
                let [x0, y0, x1, y1] = tile.area([full.width(), full.height()]);
                let [w, h] = halved([x0, y0, x1, y1], tile.level);
                let piece = full.crop_imm(x0, y0, x1 - x0, y1 - y0);
                let copied = if tile.level == 0 { piece } else { piece.thumbnail_exact(w, h) }.into_rgba8();
                let expected = egui::ColorImage::from_rgba_unmultiplied([w as usize, h as usize], copied.as_raw());
                assert!(cut_tile(&full, tile) == expected, "{tile:?} of a {:?} picture", full.color());
            }
        }
    }
}
