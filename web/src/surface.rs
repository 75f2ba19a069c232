//! The xG surface: every cell of the attacking half scored with the analyst's current body
//! part, kind and context, and the colour scale its legend explains.
//!
//! Cells are [`CELL_M`] square; column `c` covers `y_m` in `[c·CELL_M, (c+1)·CELL_M)`, row `r`
//! the band `[r·CELL_M, (r+1)·CELL_M)` in front of the goal line (row 0 at the goal). Each is
//! scored at its centre through [`crate::score::xg`].

use crate::score;
use crate::state::{PitchShot, PITCH_X_MIN_M};
use scorer::pitch::{Point, GOAL_X_M, WIDTH_M};
use scorer::Model;

/// Edge of a cell.
pub const CELL_M: f32 = 1.0;

/// Columns across the pitch.
pub fn columns() -> usize {
    (WIDTH_M / CELL_M).ceil() as usize
}

/// Rows from the goal line to the halfway line.
pub fn rows() -> usize {
    ((GOAL_X_M - PITCH_X_MIN_M) / CELL_M).ceil() as usize
}

/// The centre of a cell.
pub fn cell_centre(row: usize, col: usize) -> Point {
    Point::new(
        GOAL_X_M - (row as f32 + 0.5) * CELL_M,
        (col as f32 + 0.5) * CELL_M,
    )
}

/// xG of every cell, row-major (row 0 at the goal line).
pub fn compute(model: &Model, settings: &PitchShot) -> Vec<f32> {
    let (rows, cols) = (rows(), columns());
    let mut out = Vec::with_capacity(rows * cols);
    for r in 0..rows {
        for c in 0..cols {
            let xg = settings
                .at(cell_centre(r, c))
                .shot()
                .map_or(f32::NAN, |s| score::xg(model, &s));
            out.push(xg);
        }
    }
    out
}

/// Colour stops of the scale, from 0 to 1 on the [`scale`] axis (dark blue → teal → yellow).
const STOPS: [[u8; 3]; 5] = [
    [20, 30, 70],
    [40, 90, 140],
    [40, 150, 130],
    [150, 200, 70],
    [250, 230, 60],
];

/// Position of an xG on the colour axis: a square-root scale, so the many small chances
/// far from goal stay distinguishable. NaN maps to 0.
pub fn scale(xg: f32) -> f32 {
    if xg.is_nan() {
        0.0
    } else {
        xg.clamp(0.0, 1.0).sqrt()
    }
}

/// The colour of an xG.
pub fn colour(xg: f32) -> [u8; 3] {
    let t = scale(xg) * (STOPS.len() - 1) as f32;
    let i = (t.floor() as usize).min(STOPS.len() - 2);
    let f = t - i as f32;
    let mut c = [0u8; 3];
    for (k, out) in c.iter_mut().enumerate() {
        let (a, b) = (STOPS[i][k] as f32, STOPS[i + 1][k] as f32);
        *out = (a + (b - a) * f).round() as u8;
    }
    c
}

/// CSS `rgb(…)` of an xG.
pub fn css_colour(xg: f32) -> String {
    let [r, g, b] = colour(xg);
    format!("rgb({r},{g},{b})")
}

/// RGBA pixels of a surface (one pixel per cell, row 0 on top), for a canvas `ImageData`.
pub fn rgba(xg: &[f32]) -> Vec<u8> {
    let mut px = Vec::with_capacity(xg.len() * 4);
    for &v in xg {
        let [r, g, b] = colour(v);
        px.extend_from_slice(&[r, g, b, 200]);
    }
    px
}

/// xG values marked on the legend.
pub const LEGEND_TICKS: [f32; 5] = [0.01, 0.05, 0.2, 0.4, 0.8];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_covers_the_attacking_half() {
        assert_eq!(columns() as f32 * CELL_M, WIDTH_M);
        assert!(rows() as f32 * CELL_M >= GOAL_X_M - PITCH_X_MIN_M);
        let first = cell_centre(0, 0);
        assert_eq!(
            (first.x_m, first.y_m),
            (GOAL_X_M - 0.5 * CELL_M, 0.5 * CELL_M)
        );
        let last = cell_centre(rows() - 1, columns() - 1);
        assert!(last.x_m >= PITCH_X_MIN_M - CELL_M && last.y_m < WIDTH_M);
    }

    #[test]
    fn colour_scale_is_monotone_in_brightness() {
        let mut last = -1.0;
        for i in 0..=100 {
            let [r, g, b] = colour(i as f32 / 100.0);
            let lum = 0.2126 * r as f32 + 0.7152 * g as f32 + 0.0722 * b as f32;
            assert!(lum >= last, "{i}");
            last = lum;
        }
        assert_eq!(colour(f32::NAN), colour(0.0));
        assert_eq!(colour(7.0), colour(1.0));
        assert_eq!(rgba(&[0.0, 1.0]).len(), 8);
    }

    #[test]
    fn surface_is_finite_and_peaks_near_goal() {
        let model = scorer::synth::model(1, 20, 4);
        let s = compute(&model, &PitchShot::default());
        assert_eq!(s.len(), rows() * columns());
        assert!(s.iter().all(|v| v.is_finite() && (0.0..=1.0).contains(v)));
    }
}
