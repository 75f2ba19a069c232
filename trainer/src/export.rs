//! `trainer export-features`: the exact rows and split the Rust trainer uses, as CSV, so other
//! tools (the Python comparison in `trainer/bench/`) train on the same features and matches.

use crate::dataset::ShotTable;
use crate::split;
use anyhow::{Context as _, Result};
use scorer::features;
use std::fmt::Write as _;
use std::path::Path;

/// Writes `train.csv`, `valid.csv`, `test.csv` into `out`: a header of `match_id`,
/// `competition`, `kind`, every feature name in scorer order, then `goal` (0/1). Missing
/// values are empty cells.
pub fn write_csv(
    table: &ShotTable,
    seed: u64,
    test_competition: Option<&str>,
    out: &Path,
) -> Result<[usize; 3]> {
    let s = split::by_match(table, seed, test_competition)?;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let mut header = String::from("match_id,competition,kind");
    for n in features::names() {
        header.push(',');
        header.push_str(n);
    }
    header.push_str(",goal\n");
    let mut counts = [0; 3];
    for (k, (name, idx)) in [("train", &s.train), ("valid", &s.valid), ("test", &s.test)]
        .into_iter()
        .enumerate()
    {
        let mut text = header.clone();
        for &i in idx {
            let r = &table.rows[i];
            let _ = write!(
                text,
                "{},{},{}",
                r.match_id,
                table.competitions[r.competition as usize],
                r.shot.kind().name()
            );
            for v in features::extract(&r.shot) {
                if v.is_nan() {
                    text.push(',');
                } else {
                    let _ = write!(text, ",{v}");
                }
            }
            let _ = writeln!(text, ",{}", r.goal as u8);
        }
        let path = out.join(format!("{name}.csv"));
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        counts[k] = idx.len();
    }
    Ok(counts)
}
