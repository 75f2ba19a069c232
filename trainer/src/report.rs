//! `report.md` and its SVG plots (calibration curve, ROC curve, shot map of test shots coloured
//! by xG). Plain strings: no plotting dependency.

use crate::metrics::{self, CalibrationBin};
use scorer::pitch::{self, Point};
use std::fmt::Write as _;

const W: f64 = 420.0;
const H: f64 = 420.0;
const PAD: f64 = 48.0;

fn axes(title: &str, x_label: &str, y_label: &str) -> String {
    let mut s = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" font-family="sans-serif" font-size="12">
<title>{title}</title><rect width="100%" height="100%" fill="white"/>
<text x="{}" y="20" text-anchor="middle" font-size="14">{title}</text>
<line x1="{PAD}" y1="{y0}" x2="{x1}" y2="{y0}" stroke="black"/><line x1="{PAD}" y1="{y0}" x2="{PAD}" y2="{PAD}" stroke="black"/>
<text x="{}" y="{}" text-anchor="middle">{x_label}</text>
<text x="14" y="{}" text-anchor="middle" transform="rotate(-90 14 {})">{y_label}</text>
"##,
        W / 2.0,
        W / 2.0,
        H - 10.0,
        H / 2.0,
        H / 2.0,
        y0 = H - PAD,
        x1 = W - PAD,
    );
    for i in 0..=5 {
        let v = i as f64 / 5.0;
        let (x, y) = to_px(v, v);
        let _ = writeln!(
            s,
            r##"<text x="{x}" y="{}" text-anchor="middle">{v:.1}</text><text x="{}" y="{}" text-anchor="end">{v:.1}</text>"##,
            H - PAD + 16.0,
            PAD - 6.0,
            y + 4.0
        );
    }
    s
}

fn to_px(x: f64, y: f64) -> (f64, f64) {
    (PAD + x * (W - 2.0 * PAD), H - PAD - y * (H - 2.0 * PAD))
}

fn polyline(points: &[(f64, f64)], colour: &str) -> String {
    let pts: Vec<String> = points
        .iter()
        .map(|&(x, y)| {
            let (px, py) = to_px(x, y);
            format!("{px:.1},{py:.1}")
        })
        .collect();
    format!(
        r##"<polyline fill="none" stroke="{colour}" stroke-width="2" points="{}"/>
"##,
        pts.join(" ")
    )
}

/// Reliability diagram: mean xG vs goal rate per bin, one series per model.
pub fn calibration_svg(series: &[(&str, &[CalibrationBin])]) -> String {
    let mut s = axes("Calibration (test set)", "mean xG in bin", "goal rate");
    s += &polyline(&[(0.0, 0.0), (1.0, 1.0)], "#bbb");
    for (k, (name, bins)) in series.iter().enumerate() {
        let colour = ["#d62728", "#1f77b4", "#2ca02c"][k % 3];
        let pts: Vec<(f64, f64)> = bins
            .iter()
            .filter(|b| b.n > 0)
            .map(|b| (b.mean_xg, b.goal_rate))
            .collect();
        s += &polyline(&pts, colour);
        for &(x, y) in &pts {
            let (px, py) = to_px(x, y);
            let _ = writeln!(
                s,
                r##"<circle cx="{px:.1}" cy="{py:.1}" r="3" fill="{colour}"/>"##
            );
        }
        let _ = writeln!(
            s,
            r##"<text x="{}" y="{}" fill="{colour}">{name}</text>"##,
            PAD + 10.0,
            PAD + 16.0 * (k as f64 + 1.0)
        );
    }
    s + "</svg>\n"
}

/// ROC curves, one per model.
pub fn roc_svg(series: &[(&str, &[f64], &[bool])]) -> String {
    let mut s = axes(
        "ROC (test set)",
        "false positive rate",
        "true positive rate",
    );
    s += &polyline(&[(0.0, 0.0), (1.0, 1.0)], "#bbb");
    for (k, (name, p, y)) in series.iter().enumerate() {
        let colour = ["#d62728", "#1f77b4", "#2ca02c"][k % 3];
        let curve = metrics::roc_curve(p, y);
        // Thin the curve to at most ~400 points; the shape is unchanged at this size.
        let step = (curve.len() / 400).max(1);
        let pts: Vec<(f64, f64)> = curve
            .iter()
            .step_by(step)
            .copied()
            .chain(curve.last().copied())
            .collect();
        s += &polyline(&pts, colour);
        let _ = writeln!(
            s,
            r##"<text x="{}" y="{}" fill="{colour}">{name} (AUC {:.3})</text>"##,
            W / 2.0,
            H - PAD - 16.0 * (series.len() - k) as f64,
            metrics::auc(p, y)
        );
    }
    s + "</svg>\n"
}

/// The attacking half with every test shot, coloured by xG (goals outlined).
pub fn shot_map_svg(shots: &[(Point, f64, bool)]) -> String {
    let scale = 8.0;
    let (x0, len) = (pitch::LENGTH_M as f64 / 2.0, pitch::LENGTH_M as f64 / 2.0);
    let (w, h) = (pitch::WIDTH_M as f64 * scale, len * scale);
    // Goal at the top: screen x = y_m, screen y = (105 - x_m).
    let px = |p: Point| {
        (
            (p.y_m as f64) * scale,
            (pitch::LENGTH_M as f64 - p.x_m as f64) * scale,
        )
    };
    let mut s = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="-10 -10 {} {}" width="{}" height="{}">
<title>Test shots coloured by xG</title><rect x="-10" y="-10" width="100%" height="100%" fill="#2d6a2d"/>
<g fill="none" stroke="white" stroke-width="2">
<rect x="0" y="0" width="{w}" height="{h}"/>
"##,
        w + 20.0,
        h + 60.0,
        w + 20.0,
        h + 60.0
    );
    let boxes = [
        (pitch::PENALTY_AREA_WIDTH_M, pitch::PENALTY_AREA_DEPTH_M),
        (pitch::GOAL_AREA_WIDTH_M, pitch::GOAL_AREA_DEPTH_M),
    ];
    for (bw, bd) in boxes {
        let _ = writeln!(
            s,
            r##"<rect x="{}" y="0" width="{}" height="{}"/>"##,
            (pitch::CENTRE_Y_M - bw / 2.0) as f64 * scale,
            bw as f64 * scale,
            bd as f64 * scale
        );
    }
    let (sx, sy) = px(Point::PENALTY_SPOT);
    let _ = writeln!(
        s,
        r##"<circle cx="{sx}" cy="{sy}" r="2" fill="white"/></g>"##
    );
    let _ = x0;
    for &(p, xg, goal) in shots {
        let (cx, cy) = px(p);
        let t = xg.clamp(0.0, 1.0).sqrt();
        let (r, g, b) = (
            (255.0 * t) as u8,
            (220.0 * (1.0 - t)) as u8,
            (255.0 * (1.0 - t)) as u8,
        );
        let stroke = if goal {
            r##" stroke="white" stroke-width="1.5""##
        } else {
            ""
        };
        let _ = writeln!(
            s,
            r##"<circle cx="{cx:.1}" cy="{cy:.1}" r="3" fill="rgb({r},{g},{b})" fill-opacity="0.8"{stroke}/>"##
        );
    }
    let _ = writeln!(
        s,
        r##"<text x="0" y="{}" fill="white" font-family="sans-serif" font-size="14">blue: low xG · red: high xG · white ring: goal</text>"##,
        h + 30.0
    );
    s + "</svg>\n"
}

/// A Markdown table of the calibration bins.
pub fn calibration_table(bins: &[CalibrationBin]) -> String {
    let mut s = String::from("| xG bin | shots | mean xG | goal rate |\n|---|---:|---:|---:|\n");
    for b in bins {
        if b.n == 0 {
            let _ = writeln!(s, "| {:.1}–{:.1} | 0 | – | – |", b.lo, b.hi);
        } else {
            let _ = writeln!(
                s,
                "| {:.1}–{:.1} | {} | {:.3} | {:.3} |",
                b.lo, b.hi, b.n, b.mean_xg, b.goal_rate
            );
        }
    }
    s
}

/// A Markdown table row of metrics.
pub fn metrics_row(name: &str, m: &metrics::Metrics) -> String {
    format!(
        "| {name} | {} | {} | {:.4} | {:.4} | {:.4} | {:.4} | {:.3} |\n",
        m.n_shots, m.n_goals, m.auc, m.brier, m.log_loss, m.ece, m.xg_ratio
    )
}

pub const METRICS_HEADER: &str =
    "| model | shots | goals | AUC | Brier | log loss | ECE | ΣxG / goals |\n|---|---:|---:|---:|---:|---:|---:|---:|\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svgs_are_well_formed_enough() {
        let bins = metrics::calibration(&[0.1, 0.5, 0.9], &[false, true, true]);
        let s = calibration_svg(&[("gbdt", &bins)]);
        assert!(s.starts_with("<svg") && s.trim_end().ends_with("</svg>"));
        assert_eq!(s.matches("<circle").count(), 3);
        let r = roc_svg(&[("gbdt", &[0.1, 0.9], &[false, true])]);
        assert!(r.contains("AUC 1.000"));
        let m = shot_map_svg(&[(Point::PENALTY_SPOT, 0.76, true)]);
        assert!(m.contains("stroke=\"white\" stroke-width=\"1.5\""));
    }
}
