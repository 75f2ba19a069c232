"""Kinesis and S3 chores for the local stack (infrastructure/local/stack.sh) and the deployed
smoke test (infrastructure/scripts/smoke.sh), through boto3. Run with the moto venv's Python
(boto3 comes with moto). With --endpoint it talks to the emulator with dummy credentials.

  stack.py free-port
  stack.py wait-ready --endpoint URL
  stack.py create     --endpoint URL --bucket B --stream NAME[:SHARDS]...
  stack.py put        --endpoint URL --stream S (--record JSON | --kinesis-event FILE
                      [--gzip] [--kpl])
  stack.py read       --endpoint URL --stream S [--count N] [--timeout S]
  stack.py verify     --endpoint URL --output S --dead-letter S --expected FILE [--rounds N]
                      [--timeout S]
  stack.py content-type URL    (exit 1 unless it answers 200)
  stack.py await-shot [--endpoint URL] --stream S --shot-id ID --since UNIX_S [--timeout S]
  stack.py await-first [--endpoint URL] --stream S [--stream S]... --since UNIX_S [--timeout S]
                      (prints "STREAM<tab>DATA" of the first record after UNIX_S on any of them)

Without --endpoint, put/read/await-shot/await-first talk to real AWS (credentials from the environment).
"""

import argparse
import base64
import collections
import gzip
import json
import os
import socket
import sys
import time
import urllib.error
import urllib.request

import boto3
from botocore.config import Config


def client(service, endpoint):
    """A boto3 client for the local emulator (`endpoint`, dummy credentials) or, with no
    endpoint, for real AWS through the usual credential chain (used by the deployed smoke test
    in infrastructure/scripts/deploy.sh)."""
    config = Config(retries={"max_attempts": 3, "mode": "standard"})
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "eu-west-1"
    if endpoint is None:
        return boto3.client(service, region_name=region, config=config)
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=config,
    )


def free_port(_args):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        print(s.getsockname()[1])


def wait_ready(args):
    deadline = time.monotonic() + args.timeout
    while True:
        try:
            urllib.request.urlopen(args.endpoint + "/moto-api/", timeout=2).read()
            return
        except (urllib.error.URLError, OSError) as e:
            if time.monotonic() > deadline:
                sys.exit(f"the emulator at {args.endpoint} did not answer in {args.timeout}s: {e}")
            time.sleep(0.2)


def create(args):
    kinesis = client("kinesis", args.endpoint)
    names = []
    for spec in args.stream:
        name, _, shards = spec.partition(":")
        names.append(name)
        try:
            kinesis.create_stream(StreamName=name, ShardCount=int(shards or 1))
        except kinesis.exceptions.ResourceInUseException:
            pass
    for name in names:
        kinesis.get_waiter("stream_exists").wait(
            StreamName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 100}
        )
    s3 = client("s3", args.endpoint)
    try:
        s3.create_bucket(
            Bucket=args.bucket,
            CreateBucketConfiguration={"LocationConstraint": s3.meta.region_name},
        )
    except (s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists):
        pass


def records_of_event(path):
    """(data bytes, partition key) of each record of a Lambda Kinesis event file."""
    with open(path, encoding="utf-8") as f:
        event = json.load(f)
    return [
        (base64.b64decode(r["kinesis"]["data"]), r["kinesis"]["partitionKey"])
        for r in event["Records"]
    ]


def put(args):
    kinesis = client("kinesis", args.endpoint)
    if args.kinesis_event:
        records = records_of_event(args.kinesis_event)
    else:
        data = args.record.encode("utf-8")
        try:
            shot_id = json.loads(data).get("shot_id", "shot")
        except (ValueError, AttributeError):
            shot_id = "shot"
        records = [(data, str(shot_id))]
    if args.gzip:
        records = [(gzip.compress(data, mtime=0), key) for data, key in records]
    if args.kpl:
        records = kpl_aggregates(records)
    for data, key in records:
        r = kinesis.put_record(StreamName=args.stream, Data=data, PartitionKey=key)
        print(f"put {len(data)} bytes, partition key {key!r} → {r['ShardId']} #{r['SequenceNumber']}")


def kpl_aggregates(records):
    """`records` packed as a KPL producer packs them, by aws-kinesis-agg (the Python port of
    the KPL's aggregation): (aggregate bytes, partition key) per aggregated Kinesis record."""
    from aws_kinesis_agg.aggregator import RecordAggregator

    agg, out = RecordAggregator(), []
    for data, key in records:
        full = agg.add_user_record(key, data)
        if full is not None:
            out.append(full.get_contents())
    last = agg.clear_and_get()
    if last is not None:
        out.append(last.get_contents())
    return [(data, key) for key, _, data in out]


def read_all(kinesis, stream):
    """Every record now in `stream`, shard by shard in sequence order."""
    out = []
    shards = kinesis.list_shards(StreamName=stream)["Shards"]
    for shard in sorted(shards, key=lambda s: s["ShardId"]):
        it = kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while it:
            r = kinesis.get_records(ShardIterator=it, Limit=1000)
            out.extend(rec["Data"] for rec in r["Records"])
            if not r["Records"]:
                break
            it = r.get("NextShardIterator")
    return out


def read_until(kinesis, stream, count, timeout):
    deadline = time.monotonic() + timeout
    while True:
        records = read_all(kinesis, stream)
        if len(records) >= count or time.monotonic() > deadline:
            return records
        time.sleep(0.5)


def read(args):
    kinesis = client("kinesis", args.endpoint)
    records = read_until(kinesis, args.stream, args.count, args.timeout)
    for data in records:
        print(data.decode("utf-8", "replace"))
    if len(records) < args.count:
        sys.exit(f"{args.stream}: {len(records)} records after {args.timeout}s, expected {args.count}")


def verify(args):
    """The stack's output and dead-letter streams hold exactly what `edge-host invoke` printed
    for the same records, `--rounds` times (once per put of them): the same prediction bytes,
    and one dead letter per bad record with the same reason code and original bytes (gunzipped
    for records put with `--gzip`)."""
    predictions, dead = [], []
    with open(args.expected, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            value = json.loads(line)
            if "dead_letter" in value:
                d = value["dead_letter"]
                dead.extend([(d["reason_code"], d["data_base64"])] * args.rounds)
            elif "prediction" in value:
                predictions.extend([line.encode("utf-8")] * args.rounds)
    kinesis = client("kinesis", args.endpoint)
    got = read_until(kinesis, args.output, len(predictions), args.timeout)
    got_dead_raw = read_until(kinesis, args.dead_letter, len(dead), args.timeout)
    # Anything late would show up now, after both counts were reached.
    time.sleep(2)
    got = read_all(kinesis, args.output)
    got_dead_raw = read_all(kinesis, args.dead_letter)
    got_dead = []
    for raw in got_dead_raw:
        d = json.loads(raw)["dead_letter"]
        got_dead.append((d["reason_code"], uncompressed_base64(d["data_base64"])))
    problems = []
    if collections.Counter(got) != collections.Counter(predictions):
        problems.append(
            f"{args.output}: {len(got)} records, expected {len(predictions)} identical to "
            "edge-host invoke's predictions"
        )
        for p in set(predictions) - set(got):
            problems.append(f"  missing: {p[:200]!r}")
        for p in set(got) - set(predictions):
            problems.append(f"  unexpected: {p[:200]!r}")
    if collections.Counter(got_dead) != collections.Counter(dead):
        problems.append(
            f"{args.dead_letter}: got {sorted(got_dead)}, expected {sorted(dead)}"
        )
    if problems:
        sys.exit("\n".join(problems))
    print(
        f"{len(got)} predictions on {args.output} byte-identical to edge-host invoke; "
        f"{len(got_dead)} dead letters on {args.dead_letter} with the expected reasons "
        f"({', '.join(sorted(code for code, _ in got_dead))}) and original bytes"
    )


def uncompressed_base64(data_base64):
    """A dead letter's original bytes, gunzipped if they were sent compressed (`put --gzip`),
    so they compare with the plain record's."""
    data = base64.b64decode(data_base64)
    if data.startswith(b"\x1f\x8b"):
        try:
            return base64.b64encode(gzip.decompress(data)).decode("ascii")
        except (OSError, EOFError):
            pass
    return data_base64


def content_type(args):
    try:
        with urllib.request.urlopen(args.url, timeout=10) as r:
            r.read()
            print(r.headers.get("content-type", ""))
    except (urllib.error.URLError, OSError) as e:
        sys.exit(f"{args.url}: {e}")


def first_record(kinesis, streams, since, timeout, wanted):
    """The first record on any of `streams` written at or after `since` (Unix seconds) for
    which `wanted(data)` holds, as (stream, data), reading each stream's shards onwards from
    `since` only; None after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    iterators = {}
    for stream in streams:
        for s in kinesis.list_shards(StreamName=stream)["Shards"]:
            iterators[(stream, s["ShardId"])] = kinesis.get_shard_iterator(
                StreamName=stream,
                ShardId=s["ShardId"],
                ShardIteratorType="AT_TIMESTAMP",
                Timestamp=since,
            )["ShardIterator"]
    while True:
        for key, it in list(iterators.items()):
            if not it:
                continue
            r = kinesis.get_records(ShardIterator=it, Limit=1000)
            iterators[key] = r.get("NextShardIterator")
            for rec in r["Records"]:
                if wanted(rec["Data"]):
                    return key[0], rec["Data"]
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.5)


def await_shot(args):
    """Prints the first record on `stream` written at or after `since` whose
    prediction.shot_id is `shot_id` (compared as text), reading every shard."""

    def is_the_shot(data):
        try:
            value = json.loads(data)
        except ValueError:
            return False
        return str(value.get("prediction", {}).get("shot_id")) == args.shot_id

    found = first_record(client("kinesis", args.endpoint), [args.stream], args.since, args.timeout, is_the_shot)
    if found is None:
        sys.exit(f"no prediction for shot {args.shot_id} on {args.stream} within {args.timeout}s")
    print(found[1].decode("utf-8"))


def await_first(args):
    """Prints the stream name, a tab and the data of the first record written at or after
    `since` on any of the streams (the first stream's shards are read first each round)."""
    found = first_record(client("kinesis", args.endpoint), args.stream, args.since, args.timeout, lambda _: True)
    if found is None:
        sys.exit(f"nothing on {', '.join(args.stream)} within {args.timeout}s")
    print(f"{found[0]}\t{found[1].decode('utf-8', 'replace')}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("free-port").set_defaults(run=free_port)

    def with_endpoint(name, run, required=True):
        s = sub.add_parser(name)
        s.add_argument("--endpoint", required=required, help="the emulator's URL")
        s.set_defaults(run=run)
        return s

    s = with_endpoint("wait-ready", wait_ready)
    s.add_argument("--timeout", type=float, default=30)
    s = with_endpoint("create", create)
    s.add_argument("--bucket", required=True)
    s.add_argument("--stream", action="append", required=True, help="NAME or NAME:SHARDS")
    s = with_endpoint("put", put, required=False)
    s.add_argument("--stream", required=True)
    g = s.add_mutually_exclusive_group(required=True)
    g.add_argument("--record", help="one record's data (JSON text)")
    g.add_argument("--kinesis-event", help="a Lambda Kinesis event file: put each record's data")
    s.add_argument("--gzip", action="store_true", help="gzip each record's data (Python's gzip)")
    s.add_argument("--kpl", action="store_true",
                   help="pack the records into KPL aggregates (aws-kinesis-agg), after --gzip")
    s = with_endpoint("read", read, required=False)
    s.add_argument("--stream", required=True)
    s.add_argument("--count", type=int, default=0, help="wait until at least this many")
    s.add_argument("--timeout", type=float, default=30)
    s = with_endpoint("verify", verify)
    s.add_argument("--output", required=True)
    s.add_argument("--dead-letter", required=True)
    s.add_argument("--expected", required=True, help="edge-host invoke's output for the same records")
    s.add_argument("--rounds", type=int, default=1, help="how many times those records were put")
    s.add_argument("--timeout", type=float, default=120)
    s = with_endpoint("await-shot", await_shot, required=False)
    s.add_argument("--stream", required=True)
    s.add_argument("--shot-id", required=True)
    s.add_argument("--since", type=float, required=True, help="Unix seconds")
    s.add_argument("--timeout", type=float, default=300)
    s = with_endpoint("await-first", await_first, required=False)
    s.add_argument("--stream", action="append", required=True, help="repeat for each stream to watch")
    s.add_argument("--since", type=float, required=True, help="Unix seconds")
    s.add_argument("--timeout", type=float, default=60)
    s = sub.add_parser("content-type")
    s.add_argument("url")
    s.set_defaults(run=content_type)
    args = p.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
