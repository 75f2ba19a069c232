//! The Lambda handler: a Kinesis batch in, predictions and dead letters out, a
//! `batchItemFailures` response back.
//!
//! For each invocation, [`Handler::handle`]:
//!
//! 1. re-checks the registry's production alias when [`Handler::recheck`] has passed, and swaps
//!    in a newly promoted model only if it passes every check ([`crate::registry`] and the
//!    scorer's own); otherwise the last good model keeps serving and the reason is logged;
//! 2. splits KPL aggregates into their user records ([`crate::kpl`]), decodes every user
//!    record ([`crate::record`]) and scores the valid ones in one call into the
//!    scorer ([`Backend`]); a guest trap or exhausted fuel re-creates the instance and scores
//!    the batch shot by shot, so only the shot that fails is refused;
//! 3. writes dead letters (invalid user records and broken aggregates, with the reason and
//!    the original bytes; never retried by Lambda), then predictions, each with retries
//!    ([`crate::sink`]);
//! 4. returns as batch item failures exactly the Kinesis records with a dead letter or
//!    prediction that could not be written, so Lambda delivers them again: success is never
//!    reported for a record that was not written (an aggregate is one Kinesis record, so all
//!    its user records come again);
//! 5. updates the drift window and logs one EMF line ([`crate::drift`]).
//!
//! [`Handler::process`] is steps 2's pure part (decode, features, score, encode; no I/O), used
//! by the benchmarks.

use crate::drift::{BatchCounts, DriftWindow, Reference};
use crate::guest::{FuelBudget, GuestError, ScorerEngine, ScorerInstance, Scores};
use crate::kpl;
use crate::output::{self, ModelTag, Source};
use crate::record::{self, Decoded, InputFormat, Invalid, InvalidKind, ShotId};
use crate::registry::{FetchedModel, ModelChoice, Registry};
use crate::sink::{OutRecord, PutOutcome, RetryPolicy, Sink};
use aws_lambda_events::event::kinesis::KinesisEvent;
use aws_lambda_events::event::streams::KinesisEventResponse;
use scorer::model::Model;
use scorer::{FeatureRow, Shot};
use std::time::{Duration, Instant};

/// What scores the shots: `scorer.wasm` in wasmtime (production), or the scorer crate natively
/// (benchmarks compare the two).
pub enum Backend {
    Wasm {
        instance: Box<ScorerInstance>,
        scores: Scores,
    },
    Native(Option<Model>),
}

impl Backend {
    /// A wasm backend on a fresh instance of `engine`.
    pub fn wasm(engine: &ScorerEngine) -> Result<Backend, GuestError> {
        Ok(Backend::Wasm {
            instance: Box::new(engine.instantiate()?),
            scores: Scores::with_features(),
        })
    }

    /// Loads model bytes; on refusal the previous model stays loaded.
    pub fn load_model(&mut self, bytes: &[u8]) -> Result<(), String> {
        // Parse natively first: the same checks the guest makes, plus the shape for the fuel
        // budget.
        let model = Model::parse(bytes).map_err(|e| e.to_string())?;
        match self {
            Backend::Wasm { instance, .. } => {
                let previous = instance.fuel_budget();
                instance.set_fuel_budget(FuelBudget::for_model_shape(
                    model.trees().len(),
                    model.max_depth(),
                ));
                if let Err(e) = instance.load_model(bytes.to_vec()) {
                    instance.set_fuel_budget(previous);
                    if e.needs_new_instance() {
                        instance.recreate().map_err(|r| format!("{e}; then {r}"))?;
                    }
                    return Err(e.to_string());
                }
                Ok(())
            }
            Backend::Native(slot) => {
                *slot = Some(model);
                Ok(())
            }
        }
    }

    /// Scores `shots`: per shot, its xG and feature row, or why the scorer refused it.
    pub fn score(
        &mut self,
        shots: &[Shot],
        out: &mut Vec<Result<(f32, FeatureRow), Invalid>>,
    ) -> Result<(), GuestError> {
        out.clear();
        match self {
            Backend::Native(None) => return Err(GuestError::NoModel),
            Backend::Native(Some(model)) => {
                let rows: Vec<FeatureRow> = shots.iter().map(scorer::extract).collect();
                let mut xg = vec![0.0f32; rows.len()];
                model.predict_batch(&rows, &mut xg);
                out.extend(xg.into_iter().zip(rows).map(Ok));
            }
            Backend::Wasm { instance, scores } => {
                if let Err(e) = instance.score_into(shots, scores) {
                    if !e.needs_new_instance() {
                        return Err(e);
                    }
                    // Find the shot that breaks the guest: one by one on a fresh instance.
                    instance.recreate()?;
                    for shot in shots {
                        match instance.score_into(std::slice::from_ref(shot), scores) {
                            Ok(()) => push_scores(scores, out),
                            Err(e) if e.needs_new_instance() => {
                                out.push(Err(Invalid::new(InvalidKind::GuestError, e.to_string())));
                                instance.recreate()?;
                            }
                            Err(e) => return Err(e),
                        }
                    }
                    return Ok(());
                }
                push_scores(scores, out);
            }
        }
        Ok(())
    }
}

fn push_scores(scores: &Scores, out: &mut Vec<Result<(f32, FeatureRow), Invalid>>) {
    let rows = scores.features().unwrap_or(&[]);
    // The scorer keeps the message of the first rejected shot only.
    let mut message = scores.first_rejection();
    for (i, result) in scores.iter().enumerate() {
        out.push(match (result, rows.get(i)) {
            (Ok(xg), Some(row)) => Ok((xg, *row)),
            (Ok(_), None) => Err(Invalid::new(
                InvalidKind::GuestError,
                "the scorer returned no feature row",
            )),
            (Err(rejected), _) => Err(Invalid::new(
                InvalidKind::InvalidShot,
                match message.take() {
                    Some(m) => format!("{rejected}: {m}"),
                    None => rejected.to_string(),
                },
            )),
        });
    }
}

/// One input record: its bytes and where it came from.
#[derive(Debug, Clone)]
pub struct RecordIn {
    pub data: Vec<u8>,
    pub source: Source,
}

impl RecordIn {
    /// The records of a Lambda Kinesis event, in order.
    pub fn from_event(event: KinesisEvent) -> Vec<RecordIn> {
        event
            .records
            .into_iter()
            .map(|r| RecordIn {
                source: Source {
                    event_id: r.event_id,
                    partition_key: r.kinesis.partition_key,
                    sequence_number: r.kinesis.sequence_number,
                    sub_sequence_number: None,
                    event_source_arn: r.event_source_arn,
                },
                data: r.kinesis.data.0,
            })
            .collect()
    }
}

/// One user record: a plain Kinesis record, or one of the records a KPL aggregate holds.
struct UserIn<'a> {
    data: &'a [u8],
    /// The Kinesis record it came in.
    record: usize,
    /// In a KPL aggregate: its place there (its `sub_sequence_number`) and its own partition
    /// key.
    in_aggregate: Option<(u64, &'a str)>,
    /// Why it cannot be decoded before its bytes are even read (a broken aggregate).
    refused: Option<Invalid>,
}

impl UserIn<'_> {
    /// Where it came from, for its dead letter (built only for those: most are scored).
    fn source(&self, records: &[RecordIn]) -> Source {
        let kinesis = &records[self.record].source;
        match self.in_aggregate {
            None => kinesis.clone(),
            Some((sub_sequence_number, partition_key)) => Source {
                partition_key: partition_key.to_owned(),
                sub_sequence_number: Some(sub_sequence_number),
                ..kinesis.clone()
            },
        }
    }
}

/// The user records of a batch, in order.
fn user_records(records: &[RecordIn]) -> Vec<UserIn<'_>> {
    let mut users = Vec::with_capacity(records.len());
    for (i, r) in records.iter().enumerate() {
        let whole = |refused| UserIn {
            data: &r.data,
            record: i,
            in_aggregate: None,
            refused,
        };
        match kpl::deaggregate(&r.data) {
            Ok(None) => users.push(whole(None)),
            Err(e) => users.push(whole(Some(Invalid::new(
                InvalidKind::BadAggregate,
                format!("record data starts like a KPL aggregate but is not one: {e}"),
            )))),
            Ok(Some(inner)) => users.extend(inner.into_iter().enumerate().map(|(k, u)| UserIn {
                data: u.data,
                record: i,
                in_aggregate: Some((k as u64, u.partition_key)),
                refused: kpl::is_aggregate(u.data).then(|| {
                    Invalid::new(
                        InvalidKind::BadAggregate,
                        "a KPL aggregate inside a KPL aggregate (producers do not nest them)",
                    )
                }),
            })),
        }
    }
    users
}

/// Most dead letters one Kinesis record gives: a KPL aggregate with more invalid user records
/// is dead-lettered as one record, whose reason counts them and names the first.
pub const MAX_DEAD_LETTERS_PER_RECORD: usize = 100;

/// The outcome of [`Handler::process`]: records to write, each with the index of the Kinesis
/// record it came from.
#[derive(Debug, Default)]
pub struct Processed {
    pub predictions: Vec<OutRecord>,
    pub prediction_inputs: Vec<usize>,
    pub dead_letters: Vec<OutRecord>,
    pub dead_letter_inputs: Vec<usize>,
    /// Scored shots, for the drift window: (features, xG), in the order of `predictions`.
    pub scored: Vec<(FeatureRow, f32)>,
    /// User records in the batch (a KPL aggregate counts as the records it holds).
    pub user_records: usize,
    /// The user records that are invalid (each in a dead letter of its own, or counted in
    /// its aggregate's one: [`MAX_DEAD_LETTERS_PER_RECORD`]).
    pub dead_letter_users: Vec<usize>,
}

/// The model being served.
#[derive(Debug, Clone)]
pub struct Serving {
    pub tag: ModelTag,
    pub sha256: String,
}

impl Serving {
    /// What serving `model` means (its bytes and reference go to the backend and the drift
    /// window).
    fn of(model: &FetchedModel) -> Serving {
        Serving {
            tag: ModelTag::new(model.version.clone(), model.feature_set_id.clone()),
            sha256: model.sha256.clone(),
        }
    }
}

/// Where EMF and log lines go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogTo {
    Stdout,
    Stderr,
    Nowhere,
}

impl LogTo {
    pub fn line(self, line: &str) {
        match self {
            LogTo::Stdout => println!("{line}"),
            LogTo::Stderr => eprintln!("{line}"),
            LogTo::Nowhere => {}
        }
    }
}

/// Everything an invocation needs; built once per cold start.
pub struct Handler {
    backend: Backend,
    serving: Serving,
    registry: Option<Registry>,
    choice: ModelChoice,
    /// How often the production alias is re-read.
    pub recheck: Duration,
    last_check: Instant,
    /// The version the alias names that was refused for its content, if any.
    refused: Option<Refused>,
    output: Sink,
    dead_letter: Sink,
    retry: RetryPolicy,
    drift: DriftWindow,
    metrics_namespace: String,
    function_name: String,
    log: LogTo,
    /// Per input record, its id and format if it decoded (its shot is in `shots`).
    decoded: Vec<Option<(ShotId, InputFormat)>>,
    /// The decoded records' shots, in record order: the scorer's input.
    shots: Vec<Shot>,
    results: Vec<Result<(f32, FeatureRow), Invalid>>,
}

/// Rechecks for which a version refused for its content is not fetched again while the alias
/// still names it (each still counts as a failed reload); the next one fetches it once more,
/// in case it was repaired in place.
pub const REFUSED_RECHECKS: u32 = 10;

/// A version refused for its content (checksum, feature set, size, or the scorer's checks):
/// fetching it again would give the same answer.
#[derive(Debug)]
struct Refused {
    version: String,
    reason: String,
    /// Rechecks since it was fetched.
    skipped: u32,
}

/// The parts of a [`Handler`] besides the model.
#[derive(Debug, Clone)]
pub struct HandlerConfig {
    pub registry: Option<Registry>,
    pub choice: ModelChoice,
    pub recheck: Duration,
    pub output: Sink,
    pub dead_letter: Sink,
    pub retry: RetryPolicy,
    pub drift_window: usize,
    pub metrics_namespace: String,
    pub function_name: String,
    pub log: LogTo,
}

impl HandlerConfig {
    /// Memory sinks, no registry, logs nowhere: for tests and benchmarks.
    pub fn in_memory() -> HandlerConfig {
        HandlerConfig {
            registry: None,
            choice: ModelChoice::Production,
            recheck: Duration::from_secs(60),
            output: Sink::Memory(Default::default()),
            dead_letter: Sink::Memory(Default::default()),
            retry: RetryPolicy::default(),
            drift_window: 5000,
            metrics_namespace: "xgoals/edge".into(),
            function_name: "edge-host".into(),
            log: LogTo::Nowhere,
        }
    }
}

impl Handler {
    /// A handler serving `model`; fails if the backend refuses it (a cold start with no
    /// loadable model must fail loudly).
    pub fn new(
        mut backend: Backend,
        model: FetchedModel,
        config: HandlerConfig,
    ) -> Result<Handler, String> {
        backend
            .load_model(&model.bytes)
            .map_err(|e| format!("model {} refused: {e}", model.version))?;
        Ok(Handler {
            backend,
            serving: Serving::of(&model),
            registry: config.registry,
            choice: config.choice,
            recheck: config.recheck,
            last_check: Instant::now(),
            refused: None,
            output: config.output,
            dead_letter: config.dead_letter,
            retry: config.retry,
            drift: DriftWindow::new(config.drift_window, model.reference),
            metrics_namespace: config.metrics_namespace,
            function_name: config.function_name,
            log: config.log,
            decoded: Vec::new(),
            shots: Vec::new(),
            results: Vec::new(),
        })
    }

    pub fn serving(&self) -> &Serving {
        &self.serving
    }

    /// Splits aggregates, decodes, scores and encodes a batch; no I/O.
    pub fn process(&mut self, records: &[RecordIn]) -> Result<Processed, GuestError> {
        let users = user_records(records);
        let mut out = Processed {
            user_records: users.len(),
            ..Processed::default()
        };
        self.decoded.clear();
        self.shots.clear();
        let mut invalid: Vec<(usize, Invalid)> = Vec::new();
        for (i, u) in users.iter().enumerate() {
            if let Some(e) = &u.refused {
                invalid.push((i, e.clone()));
                self.decoded.push(None);
                continue;
            }
            match record::decode(u.data) {
                Ok(Decoded {
                    shot_id,
                    shot,
                    format,
                }) => {
                    self.shots.push(shot);
                    self.decoded.push(Some((shot_id, format)));
                }
                Err(e) => {
                    invalid.push((i, e));
                    self.decoded.push(None);
                }
            }
        }
        self.backend.score(&self.shots, &mut self.results)?;
        let mut results = self.results.iter();
        for (i, decoded) in self.decoded.iter().enumerate() {
            let Some((shot_id, format)) = decoded else {
                continue;
            };
            match results.next() {
                Some(Ok((xg, row))) => {
                    let mut data = Vec::with_capacity(640);
                    output::encode_prediction(
                        &mut data,
                        &self.serving.tag,
                        shot_id,
                        *xg,
                        row,
                        *format,
                    );
                    out.predictions.push(OutRecord {
                        partition_key: shot_id.partition_key(),
                        data,
                    });
                    out.prediction_inputs.push(users[i].record);
                    out.scored.push((*row, *xg));
                }
                Some(Err(e)) => invalid.push((i, e.clone())),
                None => invalid.push((
                    i,
                    Invalid::new(
                        InvalidKind::GuestError,
                        "the scorer returned too few results",
                    ),
                )),
            }
        }
        invalid.sort_by_key(|(i, _)| *i);
        // Users are in record order, so each Kinesis record's invalid users are consecutive.
        for group in invalid.chunk_by(|a, b| users[a.0].record == users[b.0].record) {
            out.dead_letter_users.extend(group.iter().map(|(i, _)| *i));
            let record = users[group[0].0].record;
            if group.len() > MAX_DEAD_LETTERS_PER_RECORD {
                // Thousands of tiny bad user records in one aggregate would be thousands of
                // dead-letter writes (S3: one request each): one letter carries the aggregate.
                let (first, e) = &group[0];
                let sub = users[*first].in_aggregate.map_or(0, |(k, _)| k);
                let summary = Invalid::new(
                    InvalidKind::BadAggregate,
                    format!(
                        "{} of this KPL aggregate's user records are invalid (the valid ones were \
                         scored); the first, sub-record {sub}, is {}: {}",
                        group.len(),
                        e.kind.name(),
                        e.reason
                    ),
                );
                let source = &records[record].source;
                out.dead_letters.push(OutRecord {
                    partition_key: dead_letter_key(source),
                    data: output::encode_dead_letter(&summary, source, &records[record].data),
                });
                out.dead_letter_inputs.push(record);
                continue;
            }
            for (i, e) in group {
                let u = &users[*i];
                let source = u.source(records);
                out.dead_letters.push(OutRecord {
                    partition_key: dead_letter_key(&source),
                    data: output::encode_dead_letter(e, &source, u.data),
                });
                out.dead_letter_inputs.push(u.record);
            }
        }
        Ok(out)
    }

    /// One Lambda invocation.
    pub async fn handle(
        &mut self,
        event: KinesisEvent,
    ) -> Result<KinesisEventResponse, GuestError> {
        let records = RecordIn::from_event(event);
        self.handle_records(&records).await
    }

    /// [`Handler::handle`] on records already taken out of the event.
    pub async fn handle_records(
        &mut self,
        records: &[RecordIn],
    ) -> Result<KinesisEventResponse, GuestError> {
        let mut counts = BatchCounts::default();
        if self.last_check.elapsed() >= self.recheck {
            counts.model_reload_failures += usize::from(!self.recheck_model().await);
        }
        let processed = self.process(records)?;
        counts.records_in = processed.user_records;
        let dead = self
            .dead_letter
            .put(&processed.dead_letters, &self.retry)
            .await;
        let written = self.output.put(&processed.predictions, &self.retry).await;
        self.report_put("dead-letter", &self.dead_letter, &dead);
        self.report_put("output", &self.output, &written);

        let mut failed: Vec<usize> = dead
            .failed
            .iter()
            .map(|&k| processed.dead_letter_inputs[k])
            .chain(
                written
                    .failed
                    .iter()
                    .map(|&k| processed.prediction_inputs[k]),
            )
            .collect();
        failed.sort_unstable();
        failed.dedup();
        let mut response = KinesisEventResponse::default();
        for &i in &failed {
            response.add_failure(records[i].source.sequence_number.clone());
        }

        counts.scored = processed.predictions.len() - written.failed.len();
        counts.dead_letters = processed.dead_letters.len() - dead.failed.len();
        counts.batch_item_failures = failed.len();
        counts.put_retries = dead.retries + written.retries;
        let mut is_invalid = vec![false; processed.user_records];
        for &i in &processed.dead_letter_users {
            is_invalid[i] = true;
        }
        for invalid in is_invalid {
            self.drift.record(!invalid);
        }
        for (row, xg) in &processed.scored {
            self.drift.push(row, *xg);
        }
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        self.log.line(&self.drift.emf_line(
            &self.metrics_namespace,
            &self.function_name,
            self.serving.tag.version(),
            &counts,
            now_ms,
        ));
        Ok(response)
    }

    fn report_put(&self, what: &str, sink: &Sink, outcome: &PutOutcome) {
        if outcome.failed.is_empty() && outcome.retries == 0 {
            return;
        }
        self.log.line(
            &serde_json::json!({
                "level": if outcome.failed.is_empty() { "info" } else { "error" },
                "message": format!(
                    "{what} sink {}: {} records not written after retries ({} retries)",
                    sink.describe(), outcome.failed.len(), outcome.retries
                ),
                "last_error": outcome.last_error,
            })
            .to_string(),
        );
    }

    /// Re-reads the production alias and swaps in a new version if it passes every check.
    /// Returns false when a new version was refused or the registry could not be read. A
    /// version refused for its content is not downloaded again for [`REFUSED_RECHECKS`]
    /// rechecks while the alias names it (each still returns false and logs why).
    pub async fn recheck_model(&mut self) -> bool {
        self.last_check = Instant::now();
        let Some(registry) = &self.registry else {
            return true;
        };
        if matches!(self.choice, ModelChoice::Pinned(_)) {
            return true;
        }
        let outcome = match registry.resolve(&self.choice).await {
            Ok(v) if v == self.serving.tag.version() => {
                self.refused = None;
                return true;
            }
            Ok(v) => match &mut self.refused {
                Some(r) if r.version == v && r.skipped < REFUSED_RECHECKS => {
                    r.skipped += 1;
                    Err(format!(
                        "{} (refused before; not fetched again for {} more rechecks)",
                        r.reason,
                        REFUSED_RECHECKS - r.skipped
                    ))
                }
                _ => {
                    self.refused = None;
                    // Why it failed, and whether fetching it again would give the same answer.
                    let failed = match registry.fetch_version(&v).await {
                        Ok(model) => self.swap(model).err().map(|e| (e, true)),
                        Err(e) => Some((e.to_string(), e.is_about_content())),
                    };
                    match failed {
                        None => Ok(()),
                        Some((e, content)) => {
                            let reason = format!("version {v}: {e}");
                            if content {
                                self.refused = Some(Refused {
                                    version: v.clone(),
                                    reason: reason.clone(),
                                    skipped: 0,
                                });
                            }
                            Err(reason)
                        }
                    }
                }
            },
            Err(e) => Err(e.to_string()),
        };
        match outcome {
            Ok(()) => true,
            Err(reason) => {
                self.log.line(
                    &serde_json::json!({
                        "level": "error",
                        "message": "model reload refused; the current model keeps serving",
                        "reason": reason,
                        "serving": self.serving.tag.version(),
                    })
                    .to_string(),
                );
                false
            }
        }
    }

    /// Serves `model` if the scorer accepts it.
    pub fn swap(&mut self, model: FetchedModel) -> Result<(), String> {
        self.backend.load_model(&model.bytes)?;
        self.log.line(
            &serde_json::json!({
                "level": "info",
                "message": "now serving a new model",
                "model_version": model.version,
                "previous": self.serving.tag.version(),
            })
            .to_string(),
        );
        self.serving = Serving::of(&model);
        self.drift.set_reference(model.reference);
        Ok(())
    }

    /// The reference distributions are replaced with the model; this exposes the window.
    pub fn drift(&self) -> &DriftWindow {
        &self.drift
    }

    /// Replaces the reference distributions (tests).
    pub fn set_reference(&mut self, reference: Option<Reference>) {
        self.drift.set_reference(reference);
    }
}

/// A dead letter's partition key: the input's, which Kinesis already accepted (1–256
/// characters), or a fixed key for hand-made events without one.
fn dead_letter_key(source: &Source) -> String {
    if source.partition_key.is_empty() || source.partition_key.chars().count() > 256 {
        "dead-letter".into()
    } else {
        source.partition_key.clone()
    }
}
