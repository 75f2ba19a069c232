//! Where records go: a Kinesis stream (`PutRecords`, partial failures retried with
//! exponential backoff and full jitter), an S3 prefix (dead letters, one object each), standard
//! output (the local `invoke` loop) or memory (tests and benchmarks).
//!
//! [`Sink::put`] never loses track of a record: it returns the indices of the records that
//! were still not written after [`RetryPolicy::max_attempts`] attempts, and the handler reports
//! those as batch item failures so Lambda delivers them again.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Most records in one `PutRecords` call.
pub const PUT_RECORDS_MAX_ENTRIES: usize = 500;
/// Most bytes (data + partition keys) in one `PutRecords` call.
pub const PUT_RECORDS_MAX_BYTES: usize = 5 << 20;

/// One record to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutRecord {
    pub partition_key: String,
    pub data: Vec<u8>,
}

/// How hard to try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per record, the first included (≥ 1).
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            base_delay: Duration::from_millis(50),
            max_delay: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// Full jitter: a uniform delay in `[0, min(max, base · 2^retry)]`.
    pub fn delay(&self, retry: u32, jitter: &mut Jitter) -> Duration {
        let cap = self
            .base_delay
            .saturating_mul(1u32.checked_shl(retry.min(20)).unwrap_or(u32::MAX))
            .min(self.max_delay);
        cap.mul_f64(jitter.unit())
    }
}

/// A small xorshift generator for backoff jitter (seeded from the clock; not for secrets).
#[derive(Debug, Clone)]
pub struct Jitter(u64);

impl Jitter {
    pub fn from_clock() -> Jitter {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        Jitter(nanos | 1)
    }

    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// What a [`Sink::put`] achieved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PutOutcome {
    /// Indices (into the slice given) of records not written.
    pub failed: Vec<usize>,
    /// Attempts beyond the first, summed over records.
    pub retries: usize,
    /// The last error seen, for the log.
    pub last_error: Option<String>,
}

/// A destination.
#[derive(Clone)]
pub enum Sink {
    Kinesis {
        client: aws_sdk_kinesis::Client,
        /// A stream name, or its ARN.
        stream: String,
    },
    S3 {
        client: aws_sdk_s3::Client,
        bucket: String,
        prefix: String,
    },
    Stdout,
    Memory(Arc<Mutex<Vec<OutRecord>>>),
}

impl std::fmt::Debug for Sink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Sink {
    pub fn describe(&self) -> String {
        match self {
            Sink::Kinesis { stream, .. } => format!("kinesis:{stream}"),
            Sink::S3 { bucket, prefix, .. } => format!("s3://{bucket}/{prefix}"),
            Sink::Stdout => "stdout".into(),
            Sink::Memory(_) => "memory".into(),
        }
    }

    /// Writes `records`, retrying what fails; see [`PutOutcome`].
    pub async fn put(&self, records: &[OutRecord], policy: &RetryPolicy) -> PutOutcome {
        let mut outcome = PutOutcome::default();
        if records.is_empty() {
            return outcome;
        }
        let mut pending: Vec<usize> = (0..records.len()).collect();
        let mut jitter = Jitter::from_clock();
        for attempt in 0..policy.max_attempts.max(1) {
            if attempt > 0 {
                tokio::time::sleep(policy.delay(attempt - 1, &mut jitter)).await;
                outcome.retries += pending.len();
            }
            pending = self
                .attempt(records, &pending, &mut outcome.last_error)
                .await;
            if pending.is_empty() {
                break;
            }
        }
        outcome.failed = pending;
        outcome
    }

    /// One attempt at the `pending` records; returns those still not written.
    async fn attempt(
        &self,
        records: &[OutRecord],
        pending: &[usize],
        last_error: &mut Option<String>,
    ) -> Vec<usize> {
        match self {
            Sink::Stdout => {
                let mut out = std::io::stdout().lock();
                let mut failed = Vec::new();
                for &i in pending {
                    let written = out
                        .write_all(&records[i].data)
                        .and_then(|()| out.write_all(b"\n"));
                    if let Err(e) = written {
                        *last_error = Some(format!("stdout: {e}"));
                        failed.push(i);
                    }
                }
                if let Err(e) = out.flush() {
                    *last_error = Some(format!("stdout: {e}"));
                    return pending.to_vec();
                }
                failed
            }
            Sink::Memory(store) => {
                let mut store = store.lock().unwrap_or_else(|p| p.into_inner());
                store.extend(pending.iter().map(|&i| records[i].clone()));
                Vec::new()
            }
            Sink::Kinesis { client, stream } => {
                let mut failed = Vec::new();
                for chunk in put_records_chunks(records, pending) {
                    failed.extend(
                        put_kinesis_chunk(client, stream, records, &chunk, last_error).await,
                    );
                }
                failed
            }
            Sink::S3 {
                client,
                bucket,
                prefix,
            } => {
                let mut failed = Vec::new();
                for &i in pending {
                    let key = s3_key(prefix, &records[i]);
                    let sent = client
                        .put_object()
                        .bucket(bucket)
                        .key(&key)
                        .content_type("application/json")
                        .body(records[i].data.clone().into())
                        .send()
                        .await;
                    if let Err(e) = sent {
                        *last_error = Some(format!(
                            "s3://{bucket}/{key}: {}",
                            aws_sdk_s3::error::DisplayErrorContext(&e)
                        ));
                        failed.push(i);
                    }
                }
                failed
            }
        }
    }
}

/// The object key of a dead letter: its content hash, so a replay rewrites the same object.
pub fn s3_key(prefix: &str, record: &OutRecord) -> String {
    let name = &crate::registry::sha256_hex(&record.data)[..32];
    let prefix = prefix.trim_matches('/');
    if prefix.is_empty() {
        format!("{name}.json")
    } else {
        format!("{prefix}/{name}.json")
    }
}

/// Splits `pending` into `PutRecords` calls within the service's count and size limits.
pub fn put_records_chunks(records: &[OutRecord], pending: &[usize]) -> Vec<Vec<usize>> {
    let mut chunks = Vec::new();
    let mut chunk = Vec::new();
    let mut bytes = 0usize;
    for &i in pending {
        let size = records[i].data.len() + records[i].partition_key.len();
        if !chunk.is_empty()
            && (chunk.len() == PUT_RECORDS_MAX_ENTRIES || bytes + size > PUT_RECORDS_MAX_BYTES)
        {
            chunks.push(std::mem::take(&mut chunk));
            bytes = 0;
        }
        chunk.push(i);
        bytes += size;
    }
    if !chunk.is_empty() {
        chunks.push(chunk);
    }
    chunks
}

async fn put_kinesis_chunk(
    client: &aws_sdk_kinesis::Client,
    stream: &str,
    records: &[OutRecord],
    chunk: &[usize],
    last_error: &mut Option<String>,
) -> Vec<usize> {
    use aws_sdk_kinesis::primitives::Blob;
    use aws_sdk_kinesis::types::PutRecordsRequestEntry;
    let mut entries = Vec::with_capacity(chunk.len());
    for &i in chunk {
        let entry = PutRecordsRequestEntry::builder()
            .partition_key(&records[i].partition_key)
            .data(Blob::new(records[i].data.clone()))
            .build();
        match entry {
            Ok(e) => entries.push(e),
            Err(e) => {
                *last_error = Some(format!("building a PutRecords entry: {e}"));
                return chunk.to_vec();
            }
        }
    }
    let request = client.put_records().set_records(Some(entries));
    let request = if stream.starts_with("arn:") {
        request.stream_arn(stream)
    } else {
        request.stream_name(stream)
    };
    match request.send().await {
        Ok(response) => {
            let results = response.records();
            if results.len() != chunk.len() {
                *last_error = Some(format!(
                    "PutRecords to {stream} answered {} results for {} records",
                    results.len(),
                    chunk.len()
                ));
                return chunk.to_vec();
            }
            let mut failed = Vec::new();
            for (&i, result) in chunk.iter().zip(results) {
                if let Some(code) = result.error_code() {
                    *last_error = Some(format!(
                        "PutRecords to {stream}: {code}: {}",
                        result.error_message().unwrap_or("")
                    ));
                    failed.push(i);
                }
            }
            failed
        }
        Err(e) => {
            *last_error = Some(format!(
                "PutRecords to {stream}: {}",
                aws_sdk_kinesis::error::DisplayErrorContext(&e)
            ));
            chunk.to_vec()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(n: usize, size: usize) -> OutRecord {
        OutRecord {
            partition_key: n.to_string(),
            data: vec![b'x'; size],
        }
    }

    #[test]
    fn chunks_respect_count_and_size_limits() {
        let records: Vec<OutRecord> = (0..1201).map(|i| rec(i, 10)).collect();
        let all: Vec<usize> = (0..records.len()).collect();
        let chunks = put_records_chunks(&records, &all);
        assert_eq!(
            chunks.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![500, 500, 201]
        );
        let big: Vec<OutRecord> = (0..6).map(|i| rec(i, 1 << 20)).collect();
        let chunks = put_records_chunks(&big, &[0, 1, 2, 3, 4, 5]);
        assert_eq!(chunks, vec![vec![0, 1, 2, 3], vec![4, 5]]);
        assert!(put_records_chunks(&big, &[]).is_empty());
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let policy = RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(350),
        };
        let mut jitter = Jitter(12345);
        for retry in 0..40 {
            let cap = Duration::from_millis((100u64 << retry.min(10)).min(350));
            for _ in 0..50 {
                assert!(policy.delay(retry, &mut jitter) <= cap);
            }
        }
        let spread: Vec<Duration> = (0..50).map(|_| policy.delay(3, &mut jitter)).collect();
        assert!(spread.iter().any(|d| *d < Duration::from_millis(150)));
        assert!(spread.iter().any(|d| *d > Duration::from_millis(200)));
    }

    #[test]
    fn dead_letter_keys_are_content_addressed() {
        let a = rec(1, 3);
        assert_eq!(s3_key("dl/", &a), s3_key("dl", &a));
        assert!(s3_key("dl", &a).starts_with("dl/") && s3_key("dl", &a).ends_with(".json"));
        assert_ne!(s3_key("dl", &a), s3_key("dl", &rec(1, 4)));
        assert!(!s3_key("", &a).starts_with('/'));
    }

    #[tokio::test]
    async fn memory_sink_takes_everything() {
        let store = Arc::new(Mutex::new(Vec::new()));
        let sink = Sink::Memory(store.clone());
        let records: Vec<OutRecord> = (0..3).map(|i| rec(i, 2)).collect();
        let outcome = sink.put(&records, &RetryPolicy::default()).await;
        assert!(outcome.failed.is_empty());
        assert_eq!(*store.lock().unwrap(), records);
    }
}
