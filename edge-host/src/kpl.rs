//! KPL aggregation: many user records in one Kinesis record.
//!
//! Producers built on the Kinesis Producer Library (and its ports, e.g. `aws-kinesis-agg` for
//! Python and Node) pack user records into one Kinesis record to save on per-record costs:
//!
//! ```text
//! F3 89 9A C2 | protobuf AggregatedRecord | MD5 of the protobuf bytes (16 bytes)
//! ```
//!
//! ```text
//! message AggregatedRecord {
//!   repeated string partition_key_table     = 1;
//!   repeated string explicit_hash_key_table = 2;
//!   repeated Record records                 = 3;
//! }
//! message Record {
//!   required uint64 partition_key_index     = 1;
//!   optional uint64 explicit_hash_key_index = 2;
//!   required bytes  data                    = 3;
//!   repeated Tag    tags                    = 4;  // skipped
//! }
//! ```
//!
//! [`deaggregate`] reads that by hand (no protobuf crate): every length and index is checked
//! against the bytes, so hostile input is an [`AggregateError`] naming the field and offset,
//! never a panic. Record data that does not start with the magic bytes is not an aggregate.
//! A record that starts with them but does not check out (digest, protobuf, indices) is an
//! error as a whole: none of its user records can be trusted, so the Lambda dead-letters the
//! Kinesis record with all its bytes rather than guessing.

use md5::{Digest, Md5};
use std::collections::HashMap;
use std::fmt;

/// The first bytes of every aggregated record.
pub const MAGIC: [u8; 4] = [0xF3, 0x89, 0x9A, 0xC2];
/// The MD5 digest at the end.
const DIGEST_BYTES: usize = 16;

/// One user record inside an aggregate, borrowed from the aggregate's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserRecord<'a> {
    pub partition_key: &'a str,
    pub explicit_hash_key: Option<&'a str>,
    pub data: &'a [u8],
}

/// Why bytes that start with [`MAGIC`] are not a usable aggregate. Offsets count from the
/// start of the protobuf message (just after the magic bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AggregateError {
    /// Too short to hold a digest after the magic bytes.
    TooShort { len: usize },
    /// The MD5 digest at the end does not match the protobuf bytes.
    DigestMismatch,
    /// A varint runs past the end or past 10 bytes.
    BadVarint { offset: usize },
    /// A length-delimited field runs past the end of its message.
    Truncated {
        field: &'static str,
        offset: usize,
        len: u64,
    },
    /// A wire type this message cannot have there (or the deprecated groups).
    WireType {
        field: &'static str,
        wire_type: u8,
        offset: usize,
    },
    /// A partition or explicit hash key that is not UTF-8.
    NotUtf8 { field: &'static str, index: usize },
    /// A user record without a required field.
    Missing { record: usize, field: &'static str },
    /// A user record's index into a key table that is not there.
    IndexOutOfRange {
        record: usize,
        field: &'static str,
        index: u64,
        table_len: usize,
    },
    /// A well-formed aggregate that holds no user records.
    Empty,
}

impl fmt::Display for AggregateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use AggregateError::*;
        match self {
            TooShort { len } => write!(
                f,
                "{len} bytes is too short for a KPL aggregate (magic, message and a 16-byte MD5)"
            ),
            DigestMismatch => write!(
                f,
                "the MD5 digest does not match the message (corrupted or truncated)"
            ),
            BadVarint { offset } => write!(f, "bad varint at byte {offset} of the message"),
            Truncated { field, offset, len } => write!(
                f,
                "`{field}` at byte {offset} of the message claims {len} bytes, past its end"
            ),
            WireType {
                field,
                wire_type,
                offset,
            } => write!(
                f,
                "`{field}` at byte {offset} of the message has wire type {wire_type}, which it cannot have"
            ),
            NotUtf8 { field, index } => write!(f, "`{field}` entry {index} is not UTF-8"),
            Missing { record, field } => {
                write!(f, "user record {record} has no `{field}`")
            }
            IndexOutOfRange {
                record,
                field,
                index,
                table_len,
            } => write!(
                f,
                "user record {record}: `{field}` {index} is outside its table of {table_len}"
            ),
            Empty => write!(f, "the aggregate holds no user records"),
        }
    }
}

impl std::error::Error for AggregateError {}

/// Whether `data` claims to be an aggregate (starts with [`MAGIC`]).
pub fn is_aggregate(data: &[u8]) -> bool {
    data.starts_with(&MAGIC)
}

/// The user records of an aggregated Kinesis record, in order; `Ok(None)` when `data` is
/// not an aggregate (a plain record).
pub fn deaggregate(data: &[u8]) -> Result<Option<Vec<UserRecord<'_>>>, AggregateError> {
    let Some(rest) = data.strip_prefix(&MAGIC) else {
        return Ok(None);
    };
    if rest.len() < DIGEST_BYTES {
        return Err(AggregateError::TooShort { len: data.len() });
    }
    let (message, digest) = rest.split_at(rest.len() - DIGEST_BYTES);
    if Md5::digest(message).as_slice() != digest {
        return Err(AggregateError::DigestMismatch);
    }
    parse(message).map(Some)
}

/// Packs user records into one aggregated record, as the KPL does: each distinct key once
/// in its table, then the records in order. For tests, benchmarks and tools that feed the
/// Lambda; [`deaggregate`] gives the records back.
pub fn aggregate(records: &[UserRecord<'_>]) -> Vec<u8> {
    /// A key table in first-use order, with an index to find a key's place.
    #[derive(Default)]
    struct Table<'a> {
        keys: Vec<&'a str>,
        index: HashMap<&'a str, u64>,
    }
    impl<'a> Table<'a> {
        fn index_of(&mut self, key: &'a str) -> u64 {
            *self.index.entry(key).or_insert_with(|| {
                self.keys.push(key);
                self.keys.len() as u64 - 1
            })
        }
    }
    let mut partition_keys = Table::default();
    let mut hash_keys = Table::default();
    let mut bodies = Vec::with_capacity(records.len());
    for r in records {
        let mut body = Vec::with_capacity(r.data.len() + 8);
        put_uint(&mut body, 1, partition_keys.index_of(r.partition_key));
        if let Some(k) = r.explicit_hash_key {
            put_uint(&mut body, 2, hash_keys.index_of(k));
        }
        put_bytes(&mut body, 3, r.data);
        bodies.push(body);
    }
    let mut message = Vec::new();
    for k in &partition_keys.keys {
        put_bytes(&mut message, 1, k.as_bytes());
    }
    for k in &hash_keys.keys {
        put_bytes(&mut message, 2, k.as_bytes());
    }
    for body in &bodies {
        put_bytes(&mut message, 3, body);
    }
    let mut out = Vec::with_capacity(MAGIC.len() + message.len() + DIGEST_BYTES);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&message);
    out.extend_from_slice(Md5::digest(&message).as_slice());
    out
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_uint(out: &mut Vec<u8>, field: u64, v: u64) {
    put_varint(out, field << 3 | u64::from(VARINT));
    put_varint(out, v);
}

fn put_bytes(out: &mut Vec<u8>, field: u64, bytes: &[u8]) {
    put_varint(out, field << 3 | u64::from(LEN));
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// Wire types.
const VARINT: u8 = 0;
const FIXED64: u8 = 1;
const LEN: u8 = 2;
const FIXED32: u8 = 5;

/// A user record as read, before its indices are resolved (the tables may come after it).
struct RawRecord<'a> {
    partition_key_index: Option<u64>,
    explicit_hash_key_index: Option<u64>,
    data: Option<&'a [u8]>,
}

fn parse(message: &[u8]) -> Result<Vec<UserRecord<'_>>, AggregateError> {
    let mut partition_keys = Vec::new();
    let mut hash_keys = Vec::new();
    let mut raw = Vec::new();
    let mut r = Reader::new(message, 0);
    while let Some((field, wire_type, at)) = r.key()? {
        match field {
            1 => partition_keys.push(r.bytes("partition_key_table", wire_type, at)?.1),
            2 => hash_keys.push(r.bytes("explicit_hash_key_table", wire_type, at)?.1),
            3 => {
                let (start, bytes) = r.bytes("records", wire_type, at)?;
                raw.push(record(Reader::new(bytes, start))?);
            }
            _ => r.skip(wire_type, at)?,
        }
    }
    if raw.is_empty() {
        return Err(AggregateError::Empty);
    }
    let partition_keys = utf8_all(partition_keys, "partition_key_table")?;
    let hash_keys = utf8_all(hash_keys, "explicit_hash_key_table")?;
    raw.into_iter()
        .enumerate()
        .map(|(k, rec)| {
            let missing = |field| AggregateError::Missing { record: k, field };
            let pk_index = rec
                .partition_key_index
                .ok_or_else(|| missing("partition_key_index"))?;
            let data = rec.data.ok_or_else(|| missing("data"))?;
            Ok(UserRecord {
                partition_key: entry(&partition_keys, k, "partition_key_index", pk_index)?,
                explicit_hash_key: rec
                    .explicit_hash_key_index
                    .map(|i| entry(&hash_keys, k, "explicit_hash_key_index", i))
                    .transpose()?,
                data,
            })
        })
        .collect()
}

/// One `Record` message.
fn record(mut r: Reader<'_>) -> Result<RawRecord<'_>, AggregateError> {
    let mut rec = RawRecord {
        partition_key_index: None,
        explicit_hash_key_index: None,
        data: None,
    };
    while let Some((field, wire_type, at)) = r.key()? {
        match field {
            1 => rec.partition_key_index = Some(r.uint("partition_key_index", wire_type, at)?),
            2 => {
                rec.explicit_hash_key_index =
                    Some(r.uint("explicit_hash_key_index", wire_type, at)?)
            }
            3 => rec.data = Some(r.bytes("data", wire_type, at)?.1),
            // Tags (4) and anything newer: skipped.
            _ => r.skip(wire_type, at)?,
        }
    }
    Ok(rec)
}

fn utf8_all<'a>(table: Vec<&'a [u8]>, field: &'static str) -> Result<Vec<&'a str>, AggregateError> {
    table
        .into_iter()
        .enumerate()
        .map(|(index, b)| {
            std::str::from_utf8(b).map_err(|_| AggregateError::NotUtf8 { field, index })
        })
        .collect()
}

fn entry<'a>(
    table: &[&'a str],
    record: usize,
    field: &'static str,
    index: u64,
) -> Result<&'a str, AggregateError> {
    usize::try_from(index)
        .ok()
        .and_then(|i| table.get(i))
        .copied()
        .ok_or(AggregateError::IndexOutOfRange {
            record,
            field,
            index,
            table_len: table.len(),
        })
}

/// A protobuf message being read; offsets in errors are `base + pos`.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8], base: usize) -> Reader<'a> {
        Reader {
            bytes,
            pos: 0,
            base,
        }
    }

    fn offset(&self) -> usize {
        self.base + self.pos
    }

    fn varint(&mut self) -> Result<u64, AggregateError> {
        let at = self.offset();
        let mut value = 0u64;
        for k in 0..10 {
            let Some(&b) = self.bytes.get(self.pos) else {
                return Err(AggregateError::BadVarint { offset: at });
            };
            self.pos += 1;
            // The tenth byte may only hold the 64th bit.
            if k == 9 && b > 1 {
                return Err(AggregateError::BadVarint { offset: at });
            }
            value |= u64::from(b & 0x7F) << (7 * k);
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(AggregateError::BadVarint { offset: at })
    }

    /// The next field's number, wire type and offset; `None` at the end of the message.
    fn key(&mut self) -> Result<Option<(u64, u8, usize)>, AggregateError> {
        if self.pos == self.bytes.len() {
            return Ok(None);
        }
        let at = self.offset();
        let key = self.varint()?;
        Ok(Some((key >> 3, (key & 7) as u8, at)))
    }

    fn uint(
        &mut self,
        field: &'static str,
        wire_type: u8,
        at: usize,
    ) -> Result<u64, AggregateError> {
        if wire_type != VARINT {
            return Err(AggregateError::WireType {
                field,
                wire_type,
                offset: at,
            });
        }
        self.varint()
    }

    /// A length-delimited field: the offset of its first byte, and its bytes.
    fn bytes(
        &mut self,
        field: &'static str,
        wire_type: u8,
        at: usize,
    ) -> Result<(usize, &'a [u8]), AggregateError> {
        if wire_type != LEN {
            return Err(AggregateError::WireType {
                field,
                wire_type,
                offset: at,
            });
        }
        let len = self.varint()?;
        let start = self.pos;
        let end = usize::try_from(len)
            .ok()
            .and_then(|n| start.checked_add(n))
            .filter(|&end| end <= self.bytes.len())
            .ok_or(AggregateError::Truncated {
                field,
                offset: at,
                len,
            })?;
        self.pos = end;
        Ok((self.base + start, &self.bytes[start..end]))
    }

    /// Skips an unknown field.
    fn skip(&mut self, wire_type: u8, at: usize) -> Result<(), AggregateError> {
        let width = match wire_type {
            VARINT => return self.varint().map(drop),
            LEN => return self.bytes("unknown field", wire_type, at).map(drop),
            FIXED64 => 8,
            FIXED32 => 4,
            _ => {
                return Err(AggregateError::WireType {
                    field: "unknown field",
                    wire_type,
                    offset: at,
                })
            }
        };
        if self.bytes.len() - self.pos < width {
            return Err(AggregateError::Truncated {
                field: "unknown field",
                offset: at,
                len: width as u64,
            });
        }
        self.pos += width;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user<'a>(key: &'a str, data: &'a [u8]) -> UserRecord<'a> {
        UserRecord {
            partition_key: key,
            explicit_hash_key: None,
            data,
        }
    }

    /// `message` with the magic bytes and its digest around it.
    fn framed(message: &[u8]) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(message);
        out.extend_from_slice(Md5::digest(message).as_slice());
        out
    }

    proptest::proptest! {
        /// Any message under a good digest, and any bytes after the magic: an answer, never a
        /// panic, and what is accepted packs back into the same records.
        #[test]
        fn arbitrary_messages_never_panic_and_what_reads_round_trips(
            message in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
            raw in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..100),
        ) {
            let framed = framed(&message);
            if let Ok(Some(records)) = deaggregate(&framed) {
                let again = aggregate(&records);
                proptest::prop_assert_eq!(deaggregate(&again), Ok(Some(records)));
            }
            let bare = [&MAGIC[..], &raw].concat();
            proptest::prop_assert!(deaggregate(&bare).is_err() || raw.len() >= DIGEST_BYTES);
        }

        /// Any user records (keys of any text, data of any bytes) come back as they went in.
        #[test]
        fn any_records_round_trip(
            records in proptest::collection::vec(
                (".{0,20}", proptest::option::of("[0-9]{1,38}"),
                 proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)),
                1..20,
            ),
        ) {
            let users: Vec<UserRecord> = records
                .iter()
                .map(|(k, h, d)| UserRecord {
                    partition_key: k,
                    explicit_hash_key: h.as_deref(),
                    data: d,
                })
                .collect();
            let bytes = aggregate(&users);
            proptest::prop_assert_eq!(deaggregate(&bytes), Ok(Some(users)));
        }
    }

    #[test]
    fn plain_records_are_not_aggregates() {
        for plain in [
            &b""[..],
            b"{}",
            b"\xF3\x89\x9A",
            &MAGIC[..3],
            b"{\"event\": 1}",
        ] {
            assert_eq!(deaggregate(plain), Ok(None));
        }
    }

    #[test]
    fn records_round_trip_with_shared_keys_and_hash_keys() {
        let records = [
            user("a", b"{\"x\": 1}"),
            UserRecord {
                partition_key: "b",
                explicit_hash_key: Some("123456789"),
                data: b"",
            },
            user("a", &[0xFF; 300]),
        ];
        let bytes = aggregate(&records);
        assert!(is_aggregate(&bytes));
        assert_eq!(deaggregate(&bytes).unwrap().unwrap(), records);
        // "a" is written once: the table has two keys.
        let keys = bytes.windows(3).filter(|w| *w == [0x0A, 1, b'a']).count();
        assert_eq!(keys, 1);
    }

    #[test]
    fn tables_after_the_records_and_unknown_fields_still_read() {
        let mut record = Vec::new();
        put_uint(&mut record, 9, 7); // unknown varint
        put_bytes(&mut record, 3, b"payload");
        put_bytes(&mut record, 4, &[0x0A, 1, b'k']); // a tag
        put_uint(&mut record, 1, 0);
        let mut message = Vec::new();
        put_bytes(&mut message, 3, &record);
        message.extend_from_slice(&[(7 << 3) | FIXED64, 1, 2, 3, 4, 5, 6, 7, 8]);
        message.extend_from_slice(&[(8 << 3) | FIXED32, 1, 2, 3, 4]);
        put_bytes(&mut message, 1, b"late key");
        let bytes = framed(&message);
        let got = deaggregate(&bytes).unwrap().unwrap();
        assert_eq!(got, [user("late key", b"payload")]);
    }

    #[test]
    fn every_truncation_and_every_flipped_bit_is_an_error() {
        let bytes = aggregate(&[user("k1", b"{\"a\": 1}"), user("k2", b"[]")]);
        for cut in MAGIC.len()..bytes.len() {
            assert!(deaggregate(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        for i in MAGIC.len()..bytes.len() {
            for bit in 0..8 {
                let mut b = bytes.clone();
                b[i] ^= 1 << bit;
                assert_eq!(
                    deaggregate(&b),
                    Err(AggregateError::DigestMismatch),
                    "byte {i} bit {bit}"
                );
            }
        }
    }

    #[test]
    fn hostile_messages_with_good_digests_get_their_error() {
        use AggregateError::*;
        let record = |fields: &[u8]| {
            let mut m = Vec::new();
            put_bytes(&mut m, 1, b"k");
            put_bytes(&mut m, 3, fields);
            m
        };
        let mut no_data = Vec::new();
        put_uint(&mut no_data, 1, 0);
        let mut no_key = Vec::new();
        put_bytes(&mut no_key, 3, b"d");
        let mut far_key = Vec::new();
        put_uint(&mut far_key, 1, 1);
        put_bytes(&mut far_key, 3, b"d");
        let mut far_hash_key = Vec::new();
        put_uint(&mut far_hash_key, 1, 0);
        put_uint(&mut far_hash_key, 2, u64::MAX);
        put_bytes(&mut far_hash_key, 3, b"d");
        let mut bad_utf8 = Vec::new();
        put_bytes(&mut bad_utf8, 1, &[0xC3, 0x28]);
        put_bytes(&mut bad_utf8, 3, &[0x08, 0, 0x1A, 0]);
        let cases: Vec<(Vec<u8>, AggregateError)> = vec![
            (Vec::new(), Empty),
            (vec![0x0A, 1, b'k'], Empty),
            (
                record(&no_data),
                Missing {
                    record: 0,
                    field: "data",
                },
            ),
            (
                record(&no_key),
                Missing {
                    record: 0,
                    field: "partition_key_index",
                },
            ),
            (
                record(&far_key),
                IndexOutOfRange {
                    record: 0,
                    field: "partition_key_index",
                    index: 1,
                    table_len: 1,
                },
            ),
            (
                record(&far_hash_key),
                IndexOutOfRange {
                    record: 0,
                    field: "explicit_hash_key_index",
                    index: u64::MAX,
                    table_len: 0,
                },
            ),
            (
                bad_utf8,
                NotUtf8 {
                    field: "partition_key_table",
                    index: 0,
                },
            ),
            // Field 3 as a varint.
            (
                vec![0x18, 1],
                WireType {
                    field: "records",
                    wire_type: 0,
                    offset: 0,
                },
            ),
            // A group (wire type 3).
            (
                vec![0x2B],
                WireType {
                    field: "unknown field",
                    wire_type: 3,
                    offset: 0,
                },
            ),
            // A length far past the end, and one past u64 into usize.
            (
                vec![0x1A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F],
                Truncated {
                    field: "records",
                    offset: 0,
                    len: 0xFFFF_FFFF,
                },
            ),
            (vec![0x0A, 0x80], BadVarint { offset: 1 }),
            (
                [&[0x48][..], &[0xFF; 9], &[0x02]].concat(),
                BadVarint { offset: 1 },
            ),
            (
                vec![0x39, 1, 2],
                Truncated {
                    field: "unknown field",
                    offset: 0,
                    len: 8,
                },
            ),
            // An error inside a record names its offset in the whole message.
            (
                {
                    let mut m = Vec::new();
                    put_bytes(&mut m, 1, b"k");
                    put_bytes(&mut m, 3, &[0x10, 0x80]);
                    m
                },
                BadVarint { offset: 6 },
            ),
        ];
        for (message, want) in cases {
            assert_eq!(
                deaggregate(&framed(&message)),
                Err(want.clone()),
                "{message:02x?}"
            );
            assert!(!want.to_string().is_empty());
        }
        assert_eq!(deaggregate(&MAGIC.repeat(4)), Err(TooShort { len: 16 }));
    }
}
