//! Train / validation / test splits by match: every shot of a match lands on one side, so
//! the test set measures matches the model has never seen.

use crate::dataset::ShotTable;
use anyhow::{bail, Result};
use scorer::synth::Rng;

/// Row indices of each part.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Split {
    pub train: Vec<usize>,
    pub valid: Vec<usize>,
    pub test: Vec<usize>,
    /// What the test set is, for manifests and reports.
    pub description: String,
}

/// Share of matches in validation and test for a random split.
pub const VALID_SHARE: f64 = 0.15;
pub const TEST_SHARE: f64 = 0.15;

fn shuffled_matches(ids: impl Iterator<Item = u64>, seed: u64) -> Vec<u64> {
    let mut ids: Vec<u64> = ids.collect();
    ids.sort_unstable();
    ids.dedup();
    let mut rng = Rng::new(seed ^ 0x5eed_5eed_5eed_5eed);
    // Fisher–Yates with our own seeded generator: the same on every machine.
    for i in (1..ids.len()).rev() {
        ids.swap(i, rng.below(i + 1));
    }
    ids
}

/// Splits by match: `test_competition` holds out a whole competition as the test set (the
/// other matches go to train/validation); otherwise matches are shuffled with `seed` and cut
/// 70 / 15 / 15.
pub fn by_match(table: &ShotTable, seed: u64, test_competition: Option<&str>) -> Result<Split> {
    let mut split = Split::default();
    let held_out = match test_competition {
        Some(name) => match table.competitions.iter().position(|c| c == name) {
            Some(i) => Some(i as u16),
            None => bail!(
                "the test competition {name:?} (--test-competition, or test_competition in a pipeline config) matches no loaded competition (loaded: {})",
                table.competitions.join(", ")
            ),
        },
        None => None,
    };
    let pool = table
        .rows
        .iter()
        .filter(|r| Some(r.competition) != held_out)
        .map(|r| r.match_id);
    let matches = shuffled_matches(pool, seed);
    let n = matches.len();
    let (n_valid, n_test) = match held_out {
        Some(_) => (
            (n as f64 * VALID_SHARE / (1.0 - TEST_SHARE)).round() as usize,
            0,
        ),
        None => (
            (n as f64 * VALID_SHARE).round() as usize,
            (n as f64 * TEST_SHARE).round() as usize,
        ),
    };
    let valid: std::collections::HashSet<u64> = matches[..n_valid].iter().copied().collect();
    let test: std::collections::HashSet<u64> =
        matches[n_valid..n_valid + n_test].iter().copied().collect();
    for (i, r) in table.rows.iter().enumerate() {
        if Some(r.competition) == held_out || test.contains(&r.match_id) {
            split.test.push(i);
        } else if valid.contains(&r.match_id) {
            split.valid.push(i);
        } else {
            split.train.push(i);
        }
    }
    split.description = match test_competition {
        Some(c) => format!("competition {c} held out"),
        None => format!("{n_test} of {n} matches, seed {seed}"),
    };
    for (name, part) in [
        ("train", &split.train),
        ("validation", &split.valid),
        ("test", &split.test),
    ] {
        if part.is_empty() {
            bail!("the {name} set is empty: too few matches to split ({n} matches)");
        }
    }
    Ok(split)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::ShotRow;
    use scorer::{BodyPart, Point, Shot, ShotKind};

    fn table() -> ShotTable {
        let shot = Shot::simple(
            Point::new(90.0, 30.0),
            BodyPart::LeftFoot,
            ShotKind::OpenPlay,
        )
        .unwrap();
        let rows = (0..400)
            .map(|i| ShotRow {
                competition: (i % 40 >= 30) as u16,
                match_id: (i % 40) as u64,
                event_id: i as u64,
                team_id: 1,
                player_id: 1,
                period: 1,
                event_sec: 0.0,
                goal: i % 9 == 0,
                shot,
            })
            .collect();
        ShotTable {
            competitions: vec!["A".into(), "B".into()],
            rows,
            ..Default::default()
        }
    }

    #[test]
    fn every_match_is_on_exactly_one_side_and_seed_is_deterministic() {
        let t = table();
        let s = by_match(&t, 7, None).unwrap();
        assert_eq!(s.train.len() + s.valid.len() + s.test.len(), t.rows.len());
        let side = |idx: &Vec<usize>| {
            idx.iter()
                .map(|&i| t.rows[i].match_id)
                .collect::<std::collections::HashSet<_>>()
        };
        assert!(side(&s.train).is_disjoint(&side(&s.test)));
        assert!(side(&s.train).is_disjoint(&side(&s.valid)));
        assert_eq!(s, by_match(&t, 7, None).unwrap());
        assert_ne!(s.test, by_match(&t, 8, None).unwrap().test);
    }

    #[test]
    fn holding_out_a_competition() {
        let t = table();
        let s = by_match(&t, 1, Some("B")).unwrap();
        assert!(s.test.iter().all(|&i| t.rows[i].competition == 1));
        assert!(s
            .train
            .iter()
            .chain(&s.valid)
            .all(|&i| t.rows[i].competition == 0));
        let e = by_match(&t, 1, Some("Narnia")).unwrap_err().to_string();
        assert!(e.contains("Narnia") && e.contains("A, B"), "{e}");
    }
}
