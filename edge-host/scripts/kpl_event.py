#!/usr/bin/env python3
"""Writes testdata/events/kinesis-kpl.json: a Lambda Kinesis event whose records were packed
by a real KPL-format producer library (aws-kinesis-agg, the Python port of the KPL's
aggregation), so the Lambda's de-aggregation is tested against a real client's bytes.

    python3 -m venv /tmp/kpl && /tmp/kpl/bin/pip install aws-kinesis-agg==1.2.3
    /tmp/kpl/bin/python edge-host/scripts/kpl_event.py   # from the repository root

The event holds four Kinesis records, built from testdata/events/kinesis-mixed.json:

1. one aggregate of all 11 of its records (5 shots, 6 bad records), each under its own
   partition key;
2. an aggregate of its first 3 records with explicit hash keys;
3. the same aggregate with one byte of the message flipped (the MD5 no longer matches);
4. its first record, plain (producers mix aggregated and plain records on one stream).

Deterministic: the same library version writes the same bytes.
"""
import base64
import json
import os

from aws_kinesis_agg.aggregator import RecordAggregator

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOURCE = os.path.join(ROOT, "testdata", "events", "kinesis-mixed.json")
TARGET = os.path.join(ROOT, "testdata", "events", "kinesis-kpl.json")
SEQUENCE_BASE = 49590338271490256608559692538361571095921575989136590000


def aggregate(records, hash_keys=False):
    agg = RecordAggregator()
    for i, (data, key) in enumerate(records):
        ehk = str(10**30 + i) if hash_keys else None
        assert agg.add_user_record(key, data, ehk) is None, "one aggregate holds them all"
    key, _, data = agg.clear_and_get().get_contents()
    return data, key


def kinesis_record(i, data, key):
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": key,
            "sequenceNumber": str(SEQUENCE_BASE + i),
            "data": base64.b64encode(data).decode("ascii"),
            "approximateArrivalTimestamp": 1700000000.0 + i,
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"shardId-000000000000:{SEQUENCE_BASE + i}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": "arn:aws:iam::123456789012:role/xgoals-edge-host",
        "awsRegion": "eu-west-1",
        "eventSourceARN": "arn:aws:kinesis:eu-west-1:123456789012:stream/xgoals-shots",
    }


def main():
    with open(SOURCE, encoding="utf-8") as f:
        mixed = json.load(f)["Records"]
    plain = [(base64.b64decode(r["kinesis"]["data"]), r["kinesis"]["partitionKey"]) for r in mixed]
    whole = aggregate(plain)
    hashed = aggregate(plain[:3], hash_keys=True)
    broken = bytearray(hashed[0])
    broken[len(broken) // 2] ^= 0x01
    records = [whole, hashed, (bytes(broken), hashed[1]), plain[0]]
    event = {"Records": [kinesis_record(i, d, k) for i, (d, k) in enumerate(records)]}
    with open(TARGET, "w", encoding="utf-8") as f:
        json.dump(event, f, indent=1)
        f.write("\n")
    print(f"wrote {TARGET}: {len(records)} Kinesis records, {len(plain) + 3} user records in aggregates")


if __name__ == "__main__":
    main()
