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
                csv_field(&table.competitions[r.competition as usize]),
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

/// `text` as one CSV field (RFC 4180): as it is, or quoted with its quotes doubled when it
/// holds a comma, a quote or a line break (competition names come from file names).
pub(crate) fn csv_field(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\"")).into()
    } else {
        text.into()
    }
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_fields_are_quoted_only_when_they_must_be() {
        assert_eq!(csv_field("World_Cup"), "World_Cup");
        assert_eq!(csv_field("Serie A, 2020"), "\"Serie A, 2020\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("a\nb"), "\"a\nb\"");
    }
}
