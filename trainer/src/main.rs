//! `trainer`: the xgoals training CLI. `main` is wiring: parse flags into a validated plan,
//! call the library, pick the exit code.

use anyhow::{bail, Context as _, Result};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use trainer::{dataset::ShotTable, evaluate, train};

#[derive(Parser)]
#[command(
    name = "trainer",
    version,
    about = "Train, evaluate and publish xgoals xG models from Wyscout event data"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train a model: shot table → split by match → hyperparameter search → model, manifest,
    /// trial log and report in OUT.
    ///
    /// Example: trainer train --events ../shared/data/wyscout/events_*.json.gz --out runs/m1
    #[command(verbatim_doc_comment)]
    Train {
        /// Wyscout events files (.json or .json.gz); each file is one competition.
        #[arg(long, num_args = 1.., required = true)]
        events: Vec<PathBuf>,
        /// Output folder (created).
        #[arg(long)]
        out: PathBuf,
        /// Number of hyperparameter trials (default: the search space's, 50).
        #[arg(long)]
        trials: Option<usize>,
        /// Seed for the split and the search; same data + seed + trials → byte-identical model.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Hold out this competition (file suffix, e.g. World_Cup) as the test set.
        #[arg(long)]
        test_competition: Option<String>,
        /// Search space TOML (default: the built-in trainer/config/search-space.toml).
        #[arg(long)]
        space: Option<PathBuf>,
        /// Where the parsed shot table is cached.
        #[arg(long, default_value = ".xgoals/cache")]
        cache_dir: PathBuf,
        /// Skip the feature-group ablation (saves a few fits).
        #[arg(long)]
        no_ablation: bool,
    },
    /// Score every shot in event files with a model and print AUC, log loss, Brier, ECE, a
    /// calibration table and breakdowns by shot kind and body part. StatsBomb matches
    /// (--statsbomb) are also compared with StatsBomb's own xG on the same shots.
    ///
    /// Example: trainer evaluate --model runs/m1 --events ../shared/data/wyscout/events_Italy.json.gz --json
    ///          trainer evaluate --model runs/m1 --statsbomb ../shared/data/statsbomb/*_event.json.gz
    #[command(verbatim_doc_comment)]
    #[command(group = clap::ArgGroup::new("input").required(true).args(["events", "statsbomb"]))]
    Evaluate {
        /// A model folder (with model.xgm) or a model file.
        #[arg(long)]
        model: PathBuf,
        /// Wyscout events files.
        #[arg(long, num_args = 1..)]
        events: Vec<PathBuf>,
        /// StatsBomb open-data event files, one match each (events/<match_id>.json, .gz too).
        #[arg(long, num_args = 1..)]
        statsbomb: Vec<PathBuf>,
        /// Also write every shot with its xG (and the provider's, for StatsBomb) to this CSV.
        #[arg(long)]
        shots: Option<PathBuf>,
        /// Print one JSON object (n_shots, n_goals, auc, log_loss, brier, ece, …).
        #[arg(long)]
        json: bool,
        #[arg(long, default_value = ".xgoals/cache")]
        cache_dir: PathBuf,
    },
    /// Fetch the inputs a TOML config lists (local paths or http(s) URLs) into a cache
    /// folder, verifying pinned sha256 sums and resuming partial downloads.
    ///
    /// Example: trainer ingest --config trainer/config/ingest.toml
    #[command(verbatim_doc_comment)]
    Ingest {
        /// Ingest config (default: trainer/config/ingest.toml, the six shared competitions).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Model registry: immutable versions and a production alias, in a folder or in S3.
    Registry {
        /// A local folder or s3://bucket/prefix (S3 endpoint from AWS_ENDPOINT_URL if set).
        #[arg(long, default_value = ".xgoals/registry")]
        registry: String,
        #[command(subcommand)]
        action: RegistryAction,
    },
    /// ingest → train → evaluate → register → promote-if-better, each stage cached by the
    /// hash of its inputs; writes a run record under <work_dir>/runs/<id>/run.json.
    ///
    /// Example: trainer pipeline            (default config: trainer/config/pipeline.toml)
    #[command(verbatim_doc_comment)]
    Pipeline {
        /// Pipeline TOML: the ingest config, work folder, registry, seed, trials, test
        /// competition, search space, ablation (default: trainer/config/pipeline.toml).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Write the trainer's feature rows and match split as CSV (train/valid/test), so other
    /// tools can train on exactly the same data.
    ///
    /// Example: trainer export-features --events ../shared/data/wyscout/events_*.json.gz --out /tmp/features
    #[command(verbatim_doc_comment)]
    ExportFeatures {
        /// Wyscout events files (.json or .json.gz); each file is one competition.
        #[arg(long, num_args = 1.., required = true)]
        events: Vec<PathBuf>,
        /// Output folder (created): train.csv, valid.csv, test.csv, one row per shot with
        /// match_id, competition, kind, the features (empty = missing) and goal.
        #[arg(long)]
        out: PathBuf,
        /// Seed for the match split; the same as `train --seed` gives train's split.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Hold out this competition (file suffix, e.g. World_Cup) as the test set.
        #[arg(long)]
        test_competition: Option<String>,
        /// Where the parsed shot table is cached.
        #[arg(long, default_value = ".xgoals/cache")]
        cache_dir: PathBuf,
    },
    /// Write what the web page loads: the model, its model card, and one file of matches
    /// and shot inputs per competition (the page scores the shots itself).
    ///
    /// Example: trainer export-web --out www-dist/data
    #[command(verbatim_doc_comment)]
    ExportWeb {
        /// Output folder (created; files in it are overwritten).
        #[arg(long)]
        out: PathBuf,
        /// Registry whose production model is exported (a folder or s3://bucket/prefix).
        #[arg(long, default_value = ".xgoals/registry", conflicts_with = "model")]
        registry: String,
        /// Export this model file instead of the registry's production model.
        #[arg(long)]
        model: Option<PathBuf>,
        /// The model's manifest.json, for the model card (with --model).
        #[arg(long, requires = "model")]
        manifest: Option<PathBuf>,
        /// Folder with the Wyscout events_*, matches_*, teams and players files.
        #[arg(long, default_value = "../shared/data/wyscout")]
        data: PathBuf,
        /// Competitions to export (default: those the model was trained on, else all).
        #[arg(long)]
        competition: Vec<String>,
        #[arg(long, default_value = ".xgoals/cache")]
        cache_dir: PathBuf,
    },
}

#[derive(Subcommand)]
enum RegistryAction {
    /// List versions (production marked with *).
    List,
    /// Print a version's manifest.
    Show { version: String },
    /// Publish a model folder (`trainer train --out DIR`, or a version folder of another
    /// registry) as the version its manifest names; checks the model's sha256 and format
    /// first. Publishing the same model again changes nothing.
    ///
    /// Example: trainer registry --registry s3://xgoals-models/registry add .xgoals/registry/versions/m-dba3ba884ed5
    #[command(verbatim_doc_comment)]
    Add { dir: PathBuf },
    /// Make VERSION production if it is at least as good as the current production on the
    /// candidate's test set (log loss); --force promotes anyway.
    Promote {
        version: String,
        #[arg(long)]
        force: bool,
        /// A refusal is not an error: print the comparison, keep production, exit 0 (for CD,
        /// which promotes each new model only if it measures better).
        #[arg(long, conflicts_with = "force")]
        if_better: bool,
        #[arg(long, default_value = ".xgoals/cache")]
        cache_dir: PathBuf,
    },
}

fn progress(msg: &str) {
    eprintln!("{msg}");
}

fn model_file(path: &std::path::Path) -> PathBuf {
    if path.is_dir() {
        path.join("model.xgm")
    } else {
        path.to_path_buf()
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Train {
            events,
            out,
            trials,
            seed,
            test_competition,
            space,
            cache_dir,
            no_ablation,
        } => {
            let plan = train::TrainPlan {
                events,
                out,
                trials,
                seed,
                test_competition,
                space,
                cache_dir,
                ablation: !no_ablation,
            };
            train::run(&plan, &progress)?;
        }
        Command::Evaluate {
            model,
            events,
            statsbomb,
            shots,
            json,
            cache_dir,
        } => {
            let file = model_file(&model);
            let bytes = std::fs::read(&file)
                .with_context(|| format!("reading model {}", file.display()))?;
            let model = scorer::Model::parse(&bytes)
                .with_context(|| format!("loading model {}", file.display()))?;
            // The provider's own xG beside each row, where the feed has one (StatsBomb).
            let (table, provider_xg) = if statsbomb.is_empty() {
                (
                    ShotTable::load_cached(&events, &cache_dir, &progress)?.0,
                    None,
                )
            } else {
                let shots = trainer::statsbomb::load(&statsbomb, &progress)?;
                (shots.table, Some(shots.provider_xg))
            };
            if table.skipped_events + table.skipped_shots > 0 {
                eprintln!(
                    "skipped {} malformed events and {} unconvertible shots, e.g.:",
                    table.skipped_events, table.skipped_shots
                );
                for w in table.warnings.iter().take(5) {
                    eprintln!("  {w}");
                }
            }
            if table.rows.is_empty() {
                bail!("no shots in the given event files");
            }
            let idx: Vec<usize> = (0..table.rows.len()).collect();
            let p = evaluate::predict(&model, &table, &idx);
            let e = evaluate::evaluate(&table, &idx, &p);
            if let Some(path) = &shots {
                std::fs::write(
                    path,
                    evaluate::shots_csv(&table, &p, provider_xg.as_deref()),
                )
                .with_context(|| format!("writing {}", path.display()))?;
                eprintln!("wrote {} shots to {}", table.rows.len(), path.display());
            }
            let versus = provider_xg
                .as_deref()
                .and_then(|q| trainer::statsbomb::compare(&table, q, &p));
            if json {
                let mut v = serde_json::to_value(&e)?;
                if let Some(c) = &versus {
                    v["provider_comparison"] = serde_json::to_value(c)?;
                }
                println!("{v}");
            } else {
                print!("{}", evaluate::to_text(&e));
                if let Some(c) = &versus {
                    print!("{}", trainer::statsbomb::to_text(c));
                }
            }
        }
        Command::Ingest { config } => {
            let path = config.unwrap_or_else(trainer::ingest::default_config_path);
            let cfg = trainer::ingest::load_config(&path)?;
            for f in trainer::ingest::ingest(&cfg, true)? {
                println!(
                    "{}\t{}\t{} bytes\tsha256 {}",
                    f.name,
                    f.path.display(),
                    f.bytes,
                    f.sha256
                );
            }
        }
        Command::Registry { registry, action } => {
            let reg = trainer::registry::Registry::open(&registry)?;
            match action {
                RegistryAction::List => {
                    // A broken alias still lets the versions be listed (and then repaired with
                    // `promote VERSION --force`).
                    let prod = match reg.production() {
                        Ok(p) => p.map(|p| p.version),
                        Err(e) => {
                            eprintln!("warning: {e:#} (repair: registry promote VERSION --force)");
                            None
                        }
                    };
                    for v in reg.versions()? {
                        let star = if Some(&v) == prod.as_ref() { "*" } else { " " };
                        let m: serde_json::Value =
                            serde_json::from_slice(&reg.file(&v, "manifest.json")?)
                                .unwrap_or_default();
                        println!(
                            "{star} {v}  test AUC {}  log loss {}  trees {}",
                            m["metrics"]["test"]["auc"],
                            m["metrics"]["test"]["log_loss"],
                            m["n_trees"]
                        );
                    }
                }
                RegistryAction::Show { version } => {
                    let bytes = reg.file(&version, "manifest.json")?;
                    println!("{}", String::from_utf8_lossy(&bytes));
                }
                RegistryAction::Add { dir } => {
                    let (version, created) = reg.publish_dir(&dir)?;
                    println!(
                        "{version}\t{}",
                        if created {
                            format!("published to {}", reg.describe())
                        } else {
                            format!("already in {}", reg.describe())
                        }
                    );
                }
                RegistryAction::Promote {
                    version,
                    force,
                    if_better,
                    cache_dir,
                } => {
                    let c =
                        trainer::promote::promote(&reg, &version, force, &cache_dir, &progress)?;
                    println!("{}", serde_json::to_string_pretty(&c)?);
                    let refused = !c.promoted && c.production.as_deref() != Some(version.as_str());
                    if refused && if_better {
                        eprintln!(
                            "kept production {}: {}",
                            c.production.as_deref().unwrap_or("(none)"),
                            c.reason
                        );
                    } else if refused {
                        bail!(
                            "refused to promote {version}: {} (use --force to override)",
                            c.reason
                        );
                    }
                }
            }
        }
        Command::Pipeline { config } => {
            let path = config.unwrap_or_else(trainer::pipeline::default_config_path);
            let cfg = trainer::pipeline::PipelineConfig::load(&path)?;
            trainer::pipeline::run(&cfg, &progress)?;
        }
        Command::ExportFeatures {
            events,
            out,
            seed,
            test_competition,
            cache_dir,
        } => {
            let (table, _) = ShotTable::load_cached(&events, &cache_dir, &progress)?;
            let [a, b, c] =
                trainer::export::write_csv(&table, seed, test_competition.as_deref(), &out)?;
            eprintln!(
                "wrote {a} train, {b} validation, {c} test rows to {}",
                out.display()
            );
        }
        Command::ExportWeb {
            out,
            registry,
            model,
            manifest,
            data,
            competition,
            cache_dir,
        } => {
            let plan = trainer::export_web::ExportPlan {
                out,
                model: match model {
                    Some(model) => trainer::export_web::ModelSource::File { model, manifest },
                    None => trainer::export_web::ModelSource::Registry(registry),
                },
                data_dir: data,
                competitions: competition,
                cache_dir,
            };
            let s = trainer::export_web::run(&plan, &progress)?;
            println!("{}", serde_json::to_string_pretty(&s)?);
        }
    }
    Ok(())
}

fn main() {
    trainer::allocator::keep_freed_memory();
    let cli = Cli::parse();
    if let Err(e) = run(cli) {
        eprintln!("trainer: error: {e:#}");
        std::process::exit(1);
    }
}
