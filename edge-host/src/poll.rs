//! `edge-host poll`: the Kinesis event source mapping, on one machine.
//!
//! It reads a stream on any Kinesis endpoint (an emulator, usually) shard by shard, in batches,
//! hands each batch to the same [`Handler`] the Lambda runs — through the same
//! `KinesisEvent` JSON the Lambda service sends — and checkpoints per shard the way the event
//! source mapping does with `ReportBatchItemFailures`: a batch whose response lists failures is
//! retried from the lowest failed sequence number, after a backoff, and the checkpoint only
//! moves past records that were written.

use crate::handler::Handler;
use crate::output::base64;
use anyhow::{bail, Context, Result};
use aws_lambda_events::event::kinesis::KinesisEvent;
use aws_sdk_kinesis::types::ShardIteratorType;
use std::cmp::Ordering;
use std::path::PathBuf;
use std::time::Duration;

/// Where a shard without a checkpoint starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StartAt {
    TrimHorizon,
    Latest,
}

/// How to poll.
#[derive(Debug, Clone)]
pub struct PollOptions {
    pub stream: String,
    /// Records per batch (GetRecords limit), 1–10,000.
    pub batch_size: i32,
    /// One file per shard under `<dir>/<stream>/` holding the last written sequence number.
    pub checkpoint_dir: PathBuf,
    pub start: StartAt,
    /// Stop after this many consecutive rounds in which no shard had records.
    pub until_idle: Option<u32>,
    /// Retries of one batch before giving up (the mapping's MaximumRetryAttempts).
    pub max_retries: u32,
    /// Pause between rounds without records.
    pub idle_sleep: Duration,
}

/// What a poll did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollStats {
    pub batches: usize,
    pub records: usize,
    pub retried_batches: usize,
}

/// Kinesis sequence numbers are decimal strings of up to 128 digits: compare numerically.
pub fn compare_sequence(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

struct ShardState {
    id: String,
    iterator: Option<String>,
    checkpoint: Option<String>,
    retries: u32,
}

/// Polls until idle (or forever without `until_idle`).
pub async fn poll(
    client: &aws_sdk_kinesis::Client,
    handler: &mut Handler,
    options: &PollOptions,
) -> Result<PollStats> {
    if !(1..=10_000).contains(&options.batch_size) {
        bail!(
            "--batch-size must be in 1..=10000, got {}",
            options.batch_size
        );
    }
    let checkpoint_dir = options.checkpoint_dir.join(&options.stream);
    std::fs::create_dir_all(&checkpoint_dir)
        .with_context(|| format!("creating checkpoint folder {}", checkpoint_dir.display()))?;
    let described = client
        .describe_stream_summary()
        .stream_name(&options.stream)
        .send()
        .await
        .map_err(|e| anyhow::anyhow!(aws_sdk_kinesis::error::DisplayErrorContext(e).to_string()))
        .with_context(|| format!("describing stream {}", options.stream))?;
    let stream_arn = described
        .stream_description_summary()
        .map(|s| s.stream_arn().to_string());
    let mut shards = Vec::new();
    let mut next_token: Option<String> = None;
    loop {
        let request = match &next_token {
            Some(token) => client.list_shards().next_token(token),
            None => client.list_shards().stream_name(&options.stream),
        };
        let page = request
            .send()
            .await
            .map_err(
                |e| anyhow::anyhow!(aws_sdk_kinesis::error::DisplayErrorContext(e).to_string()),
            )
            .with_context(|| format!("listing shards of {}", options.stream))?;
        for shard in page.shards() {
            let id = shard.shard_id().to_string();
            let path = checkpoint_dir.join(&id);
            let checkpoint = match std::fs::read_to_string(&path) {
                Ok(s) if !s.trim().is_empty() && s.trim().bytes().all(|b| b.is_ascii_digit()) => {
                    Some(s.trim().to_string())
                }
                Ok(s) if s.trim().is_empty() => None,
                Ok(s) => bail!(
                    "checkpoint {} holds {:?}, not a sequence number",
                    path.display(),
                    s
                ),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
            };
            shards.push(ShardState {
                id,
                iterator: None,
                checkpoint,
                retries: 0,
            });
        }
        next_token = page.next_token().map(str::to_string);
        if next_token.is_none() {
            break;
        }
    }
    for shard in &mut shards {
        shard.iterator = Some(
            iterator(
                client,
                &options.stream,
                &shard.id,
                shard.checkpoint.as_deref(),
                None,
                options.start,
            )
            .await?,
        );
    }

    let mut stats = PollStats::default();
    let mut idle_rounds = 0u32;
    loop {
        let mut any = false;
        for shard in &mut shards {
            let Some(it) = shard.iterator.clone() else {
                continue;
            };
            let page = client
                .get_records()
                .shard_iterator(it)
                .limit(options.batch_size)
                .send()
                .await
                .map_err(|e| {
                    anyhow::anyhow!(aws_sdk_kinesis::error::DisplayErrorContext(e).to_string())
                })
                .with_context(|| format!("reading shard {} of {}", shard.id, options.stream))?;
            let records = page.records();
            if records.is_empty() {
                shard.iterator = page.next_shard_iterator().map(str::to_string);
                continue;
            }
            any = true;
            let event = lambda_event(records, &shard.id, stream_arn.as_deref())?;
            let last_seq = records[records.len() - 1].sequence_number().to_string();
            let response = handler
                .handle(event)
                .await
                .map_err(|e| anyhow::anyhow!("handler failed on shard {}: {e}", shard.id))?;
            stats.batches += 1;
            let lowest_failed = response
                .batch_item_failures
                .iter()
                .filter_map(|f| f.item_identifier.clone())
                .min_by(|a, b| compare_sequence(a, b));
            match lowest_failed {
                None => {
                    stats.records += records.len();
                    shard.retries = 0;
                    shard.checkpoint = Some(last_seq.clone());
                    write_checkpoint(&checkpoint_dir, &shard.id, &last_seq)?;
                    shard.iterator = page.next_shard_iterator().map(str::to_string);
                }
                Some(failed) => {
                    // Checkpoint what came before the failure; retry from the failure.
                    let done: Vec<_> = records
                        .iter()
                        .take_while(|r| compare_sequence(r.sequence_number(), &failed).is_lt())
                        .collect();
                    stats.records += done.len();
                    if let Some(r) = done.last() {
                        shard.checkpoint = Some(r.sequence_number().to_string());
                        write_checkpoint(&checkpoint_dir, &shard.id, r.sequence_number())?;
                    }
                    shard.retries += 1;
                    stats.retried_batches += 1;
                    if shard.retries > options.max_retries {
                        bail!(
                            "shard {}: records from sequence number {failed} still failed after {} retries; \
                             the checkpoint stays before them (re-run poll to try again)",
                            shard.id,
                            options.max_retries
                        );
                    }
                    tokio::time::sleep(Duration::from_millis(100u64 << shard.retries.min(6))).await;
                    shard.iterator = Some(
                        iterator(
                            client,
                            &options.stream,
                            &shard.id,
                            None,
                            Some(&failed),
                            options.start,
                        )
                        .await?,
                    );
                }
            }
        }
        if any {
            idle_rounds = 0;
        } else {
            idle_rounds += 1;
            if options.until_idle.is_some_and(|n| idle_rounds >= n) {
                return Ok(stats);
            }
            if shards.iter().all(|s| s.iterator.is_none()) {
                return Ok(stats);
            }
            tokio::time::sleep(options.idle_sleep).await;
        }
    }
}

async fn iterator(
    client: &aws_sdk_kinesis::Client,
    stream: &str,
    shard: &str,
    after: Option<&str>,
    at: Option<&str>,
    start: StartAt,
) -> Result<String> {
    let request = client
        .get_shard_iterator()
        .stream_name(stream)
        .shard_id(shard);
    let request = match (at, after) {
        (Some(seq), _) => request
            .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
            .starting_sequence_number(seq),
        (None, Some(seq)) => request
            .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
            .starting_sequence_number(seq),
        (None, None) => request.shard_iterator_type(match start {
            StartAt::TrimHorizon => ShardIteratorType::TrimHorizon,
            StartAt::Latest => ShardIteratorType::Latest,
        }),
    };
    let response = request
        .send()
        .await
        .map_err(|e| anyhow::anyhow!(aws_sdk_kinesis::error::DisplayErrorContext(e).to_string()))
        .with_context(|| format!("getting an iterator for shard {shard} of {stream}"))?;
    response
        .shard_iterator()
        .map(str::to_string)
        .with_context(|| format!("no iterator returned for shard {shard} of {stream}"))
}

fn write_checkpoint(dir: &std::path::Path, shard: &str, seq: &str) -> Result<()> {
    let path = dir.join(shard);
    let tmp = dir.join(format!(".{shard}.tmp"));
    std::fs::write(&tmp, seq).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))
}

/// The event the Lambda service would send for these records.
fn lambda_event(
    records: &[aws_sdk_kinesis::types::Record],
    shard: &str,
    stream_arn: Option<&str>,
) -> Result<KinesisEvent> {
    let items: Vec<serde_json::Value> = records
        .iter()
        .map(|r| {
            let arrival = r
                .approximate_arrival_timestamp()
                .map_or(0.0, |t| t.as_secs_f64());
            serde_json::json!({
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": r.partition_key(),
                    "sequenceNumber": r.sequence_number(),
                    "data": base64(r.data().as_ref()),
                    "approximateArrivalTimestamp": arrival,
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": format!("{shard}:{}", r.sequence_number()),
                "eventName": "aws:kinesis:record",
                "eventSourceARN": stream_arn,
                "awsRegion": "local",
            })
        })
        .collect();
    serde_json::from_value(serde_json::json!({ "Records": items }))
        .context("building the Lambda event for a batch")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_numbers_compare_as_numbers() {
        assert_eq!(compare_sequence("9", "10"), Ordering::Less);
        assert_eq!(
            compare_sequence(
                "49590338271490256608559692538361571095921575989136588898",
                "49590338271490256608559692540925702759324208523137515618"
            ),
            Ordering::Less
        );
        assert_eq!(compare_sequence("0010", "10"), Ordering::Equal);
    }
}
