//! The one path from a shot to the xG the page shows: every view calls [`xg`], so the bits
//! are those of `scorer::Model::score`, the same as natively and in `scorer.wasm`.

use scorer::{Model, Shot};

/// The probability of a goal for one shot.
pub fn xg(model: &Model, shot: &Shot) -> f32 {
    model.score(shot)
}

/// xG as the page prints it: a percentage with two decimals, e.g. `7.83 %`, rounded from the
/// f32's exact value (× 100 in f64 is exact; in f32 it would round first, and 0.08135, really
/// 0.0813499987…, would print as 8.14).
pub fn percent(xg: f32) -> String {
    format!("{:.2} %", f64::from(xg) * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_rounds_to_two_decimals() {
        assert_eq!(percent(0.078_34), "7.83 %");
        assert_eq!(percent(1.0), "100.00 %");
        assert_eq!(percent(0.0), "0.00 %");
        assert_eq!(percent(0.081_35), "8.13 %");
    }
}
