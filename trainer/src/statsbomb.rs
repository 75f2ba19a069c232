//! StatsBomb match files as a shot table (through `scorer::statsbomb`), and the comparison of a
//! model's xG with StatsBomb's own `statsbomb_xg` on the same shots: how the model, trained on
//! Wyscout, does on a second provider's matches.

use crate::dataset::{context_gap, events_in, no_event_read, read_text, ShotRow, ShotTable};
use crate::metrics::{self, Metrics};
use anyhow::{bail, Result};
use scorer::context::Unread;
use scorer::statsbomb::{self, Event};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// A table of StatsBomb shots with the provider's xG beside each row (`None` where the feed
/// has none, or one outside [0, 1]).
#[derive(Debug, Clone, Default)]
pub struct ProviderShots {
    pub table: ShotTable,
    pub provider_xg: Vec<Option<f64>>,
}

/// The file's name without `.json` / `.json.gz`: one match, so it names the "competition".
fn match_name(path: &Path) -> String {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("match");
    name.trim_end_matches(".gz")
        .trim_end_matches(".json")
        .to_string()
}

/// Reads one match's events (`.json` or `.json.gz`), skipping and counting malformed events
/// and shots that cannot be converted, each warning naming the file.
pub fn load_file(path: &Path, match_id: u64) -> Result<ProviderShots> {
    let text = read_text(path)?;
    let mut out = ProviderShots::default();
    let mut events = Vec::new();
    // For each event read, a malformed event its context may have needed.
    let (mut unread, mut gaps) = (Unread::new(), Vec::new());
    for (n, event) in events_in::<Event>(path, &text, "StatsBomb")?.enumerate() {
        match event {
            Ok(e) => {
                gaps.push(unread.event((0, e.period), e.secs));
                events.push(e);
            }
            Err(warning) => {
                unread.unreadable(n);
                out.table.skip_event(warning);
            }
        }
    }
    no_event_read(
        path,
        events.len(),
        &out.table,
        "StatsBomb",
        "Wyscout (--events)",
    )?;
    for (i, shot) in statsbomb::shots(&events) {
        let e = &events[i];
        let shot = match (shot, gaps[i]) {
            (Ok(_), Some(n)) => Err(context_gap(e.index, n)),
            (shot, _) => shot.map_err(|err| err.to_string()),
        };
        match shot {
            Ok(shot) => {
                out.table.rows.push(ShotRow {
                    competition: 0,
                    match_id,
                    event_id: e.index,
                    team_id: e.team.id,
                    player_id: e.player.map_or(0, |p| p.id),
                    period: e.period,
                    event_sec: e.secs as f32,
                    goal: statsbomb::is_goal(e),
                    shot,
                });
                // A value that is no probability counts as none (it would poison log loss).
                out.provider_xg
                    .push(statsbomb::provider_xg(e).filter(|q| (0.0..=1.0).contains(q)));
            }
            Err(err) => out.table.skip_shot(path, err),
        }
    }
    Ok(out)
}

/// Loads StatsBomb match files, one match each; `match_id` is the file's position in `paths`.
pub fn load(paths: &[PathBuf], progress: &(dyn Fn(&str) + Sync)) -> Result<ProviderShots> {
    if paths.is_empty() {
        bail!("no StatsBomb event files given");
    }
    let mut seen = std::collections::HashMap::new();
    for path in paths {
        let same = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
        if let Some(first) = seen.insert(same, path) {
            bail!(
                "{} and {} are the same file: give each match once (its shots would count twice)",
                first.display(),
                path.display()
            );
        }
    }
    let mut all = ProviderShots::default();
    for (k, path) in paths.iter().enumerate() {
        let part = load_file(path, k as u64)?;
        progress(&format!(
            "  read {} ({} shots)",
            path.display(),
            part.table.rows.len()
        ));
        let code = all.table.competitions.len() as u16;
        all.table.competitions.push(match_name(path));
        all.table.skipped_events += part.table.skipped_events;
        all.table.skipped_shots += part.table.skipped_shots;
        for w in part.table.warnings {
            all.table.warn(w);
        }
        all.table
            .rows
            .extend(part.table.rows.into_iter().map(|r| ShotRow {
                competition: code,
                ..r
            }));
        all.provider_xg.extend(part.provider_xg);
    }
    Ok(all)
}

/// A model's xG against the provider's on the shots that have both.
#[derive(Debug, Clone, Serialize)]
pub struct ProviderComparison {
    /// The model on those shots.
    pub model: Metrics,
    /// `statsbomb_xg` on the same shots.
    pub provider: Metrics,
    /// Pearson correlation of the two xG columns.
    pub pearson_r: f64,
    /// Mean of |model − provider|.
    pub mean_abs_diff: f64,
    /// Shots left out because the feed gives no xG for them.
    pub shots_without_provider_xg: usize,
}

/// Pearson's r (NaN if either column is constant or empty).
pub fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    sab / (saa * sbb).sqrt()
}

/// Compares model predictions `p` (one per row) with the provider's xG.
pub fn compare(
    table: &ShotTable,
    provider_xg: &[Option<f64>],
    p: &[f64],
) -> Option<ProviderComparison> {
    let (mut ours, mut theirs, mut y) = (Vec::new(), Vec::new(), Vec::new());
    for ((row, &p), q) in table.rows.iter().zip(p).zip(provider_xg) {
        if let Some(q) = *q {
            ours.push(p);
            theirs.push(q);
            y.push(row.goal);
        }
    }
    if ours.is_empty() {
        return None;
    }
    Some(ProviderComparison {
        model: metrics::all(&ours, &y),
        provider: metrics::all(&theirs, &y),
        pearson_r: pearson(&ours, &theirs),
        mean_abs_diff: ours
            .iter()
            .zip(&theirs)
            .map(|(a, b)| (a - b).abs())
            .sum::<f64>()
            / ours.len() as f64,
        shots_without_provider_xg: p.len() - ours.len(),
    })
}

/// The comparison as Markdown.
pub fn to_text(c: &ProviderComparison) -> String {
    let mut s = String::from("\nagainst the provider's own xG (same shots):\n");
    s += crate::report::METRICS_HEADER;
    s += &crate::report::metrics_row("this model", &c.model);
    s += &crate::report::metrics_row("statsbomb_xg", &c.provider);
    s += &format!(
        "\nagreement: Pearson r {:.3}, mean |Δ xG| {:.4}",
        c.pearson_r, c.mean_abs_diff
    );
    if c.shots_without_provider_xg > 0 {
        s += &format!(
            " ({} shots without statsbomb_xg left out)",
            c.shots_without_provider_xg
        );
    }
    s + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const SHOT: &str = r#"{"index": 5, "period": 1, "timestamp": "00:10:00.000",
        "type": {"id": 16}, "team": {"id": 1}, "player": {"id": 9}, "location": [108.0, 40.0],
        "shot": {"type": {"id": 88}, "body_part": {"id": 40}, "outcome": {"id": 97},
        "statsbomb_xg": 0.78}}"#;
    const PASS: &str = r#"{"index": 4, "period": 1, "timestamp": "00:09:58.500",
        "type": {"id": 30}, "team": {"id": 1}, "location": [100.0, 30.0], "pass": {"cross": true}}"#;

    fn file(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::File::create(&p)
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        p
    }

    #[test]
    fn bad_events_are_skipped_and_counted_and_bad_files_are_errors_naming_them() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let bad_shot = SHOT
            .replace(r#""id": 88"#, r#""id": 12345"#)
            .replace("\"index\": 5", "\"index\": 6");
        let text = format!(r#"[{PASS}, {SHOT}, {bad_shot}, {{"index": "x"}}, 17]"#);
        let got = load(&[file(d, "m.json", &text)], &|_| {}).unwrap();
        assert_eq!(got.table.rows.len(), 1);
        assert_eq!((got.table.skipped_events, got.table.skipped_shots), (2, 1));
        assert!(got
            .table
            .warnings
            .iter()
            .any(|w| w.contains("m.json") && w.contains("12345")));
        // A malformed event just before a shot leaves its context unknown: skipped, named.
        let gap = format!(r#"[{PASS}, {{"index": "x"}}, {SHOT}]"#);
        let skipped = load(&[file(d, "gap.json", &gap)], &|_| {}).unwrap();
        assert!(skipped.table.rows.is_empty());
        assert_eq!(
            (skipped.table.skipped_events, skipped.table.skipped_shots),
            (1, 1)
        );
        assert!(
            skipped.table.warnings[1].contains("gap.json: shot skipped: shot 5: event #1"),
            "{:?}",
            skipped.table.warnings
        );
        let row = &got.table.rows[0];
        assert!(row.goal && row.shot.context().after_cross);
        assert_eq!(got.provider_xg, vec![Some(0.78)]);
        assert_eq!(got.table.competitions, vec!["m".to_string()]);
        for (name, text) in [
            ("obj.json", "{}"),
            ("cut.json", &format!("[{PASS}")[..]),
            ("bin.json", "\u{0}\u{1}"),
        ] {
            let e = load(&[file(d, name, text)], &|_| {}).unwrap_err();
            assert!(format!("{e:#}").contains(name), "{e:#}");
        }
        let gz = file(d, "trunc.json.gz", "");
        std::fs::write(&gz, [0x1f, 0x8b, 8, 0, 0, 0]).unwrap();
        assert!(format!("{:#}", load(&[gz], &|_| {}).unwrap_err()).contains("trunc.json.gz"));
        assert!(load(&[], &|_| {}).is_err());
        let wyscout = r#"{"id": 1, "matchId": 3, "eventId": 8, "subEventId": 80,
            "matchPeriod": "1H", "eventSec": 1.0, "teamId": 1, "playerId": 1,
            "positions": [{"x": 50, "y": 50}], "tags": []}"#;
        let e = format!(
            "{:#}",
            load(&[file(d, "w.json", &format!("[{wyscout}]"))], &|_| {}).unwrap_err()
        );
        assert!(
            e.contains("is a StatsBomb event") && e.contains("--events"),
            "{e}"
        );
        let m = d.join("m.json");
        let twice = format!("{:#}", load(&[m.clone(), m], &|_| {}).unwrap_err());
        assert!(twice.contains("same file"), "{twice}");
    }

    #[test]
    fn the_comparison_leaves_out_shots_without_provider_xg() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let no_xg = SHOT
            .replace(r#""statsbomb_xg": 0.78"#, r#""statsbomb_xg": null"#)
            .replace("\"index\": 5", "\"index\": 7");
        let shots = load(
            &[file(d, "m.json", &format!("[{PASS}, {SHOT}, {no_xg}]"))],
            &|_| {},
        )
        .unwrap();
        assert_eq!(shots.provider_xg, vec![Some(0.78), None]);
        let c = compare(&shots.table, &shots.provider_xg, &[0.7, 0.1]).unwrap();
        assert_eq!((c.model.n_shots, c.shots_without_provider_xg), (1, 1));
        assert!((c.mean_abs_diff - 0.08).abs() < 1e-12);
        assert!((c.provider.sum_xg - 0.78).abs() < 1e-12);
        assert!(to_text(&c).contains("1 shots without statsbomb_xg"));
    }

    #[test]
    fn a_provider_xg_that_is_no_probability_counts_as_none() {
        let dir = tempfile::tempdir().unwrap();
        let odd = |q: &str, index: u32| {
            SHOT.replace(
                r#""statsbomb_xg": 0.78"#,
                &format!(r#""statsbomb_xg": {q}"#),
            )
            .replace("\"index\": 5", &format!("\"index\": {index}"))
        };
        let text = format!(
            "[{PASS}, {}, {}, {}]",
            odd("1.7", 5),
            odd("-0.1", 6),
            odd("1", 7)
        );
        let shots = load(&[file(dir.path(), "m.json", &text)], &|_| {}).unwrap();
        assert_eq!(shots.provider_xg, vec![None, None, Some(1.0)]);
    }

    #[test]
    fn pearson_of_known_columns() {
        assert!((pearson(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0]) - 1.0).abs() < 1e-12);
        assert!((pearson(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
        assert!(pearson(&[1.0, 1.0], &[1.0, 2.0]).is_nan());
    }
}
