#!/usr/bin/env bash
# Smoke test of a running deployment: one real Wyscout shot (with the events before it, from
# testdata/events/kinesis-mixed.json) under a fresh shot id goes into the input stream; its
# prediction must come out on the output stream byte-identical to what `edge-host invoke`
# computes here with the registry's production model.
#
#   bash infrastructure/scripts/smoke.sh --input STREAM --output STREAM --registry s3://B/P \
#        [--endpoint URL] [--timeout SECONDS]
#
# Without --endpoint it talks to real AWS (credentials and AWS_REGION from the environment);
# deploy.sh calls it with the Terraform outputs. The local stack's smoke runs it against moto.
# The function re-reads the production alias every XGOALS_MODEL_RECHECK_S seconds, so right
# after a promotion it may still answer with the previous model: a prediction from another
# model version is retried (up to 3 shots, 40 s apart) before the test fails.
source "$(dirname "${BASH_SOURCE[0]}")/../../.ci/lib.sh"
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; }

INPUT="" OUTPUT="" REGISTRY="" ENDPOINT="" TIMEOUT=300
while [ $# -gt 0 ]; do
  case "$1" in
    --input) INPUT=$2; shift 2 ;;
    --output) OUTPUT=$2; shift 2 ;;
    --registry) REGISTRY=$2; shift 2 ;;
    --endpoint) ENDPOINT=$2; shift 2 ;;
    --timeout) TIMEOUT=$2; shift 2 ;;
    *) usage; exit 2 ;;
  esac
done
if [ -z "$INPUT" ] || [ -z "$OUTPUT" ] || [ -z "$REGISTRY" ]; then
  echo "smoke.sh: --input, --output and --registry are required" >&2
  exit 2
fi

need_moto >/dev/null
EDGE_HOST=${XGOALS_EDGE_HOST:-}
if [ -z "$EDGE_HOST" ]; then
  cargo build -q -p edge-host
  EDGE_HOST="$TARGET_DIR/debug/edge-host"
fi
endpoint_args=()
if [ -n "$ENDPOINT" ]; then
  endpoint_args=(--endpoint "$ENDPOINT")
  # An emulator: any credentials and region do.
  export AWS_ENDPOINT_URL=$ENDPOINT AWS_REGION=${AWS_REGION:-eu-west-1}
  export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-test} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-test}
fi
py() { "$MOTO_VENV/bin/python" "$ROOT/infrastructure/local/stack.py" "$@"; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

for attempt in 1 2 3; do
  shot_id="smoke-$(date +%s)-$RANDOM"
  # The record and a one-record Lambda event carrying it (for the local reference).
  "$MOTO_VENV/bin/python" - "$ROOT/testdata/events/kinesis-mixed.json" "$shot_id" "$WORK" <<'PY'
import base64, json, sys
event, shot_id, work = sys.argv[1], sys.argv[2], sys.argv[3]
first = json.load(open(event, encoding="utf-8"))["Records"][0]
record = json.loads(base64.b64decode(first["kinesis"]["data"]))
assert "event" in record and record["before"], "the first record must be a Wyscout shot with context"
record["shot_id"] = shot_id
data = json.dumps(record, separators=(",", ":")).encode()
open(f"{work}/record.json", "wb").write(data)
first["kinesis"]["data"] = base64.b64encode(data).decode()
first["kinesis"]["partitionKey"] = shot_id
json.dump({"Records": [first]}, open(f"{work}/event.json", "w"))
PY
  XGOALS_REGISTRY=$REGISTRY "$EDGE_HOST" invoke --event "$WORK/event.json" 2>"$WORK/invoke.log" \
    | grep '"prediction"' >"$WORK/expected" || { cat "$WORK/invoke.log" >&2; exit 1; }
  since=$(date +%s)
  py put "${endpoint_args[@]}" --stream "$INPUT" --record "$(cat "$WORK/record.json")"
  py await-shot "${endpoint_args[@]}" --stream "$OUTPUT" --shot-id "$shot_id" \
    --since "$((since - 5))" --timeout "$TIMEOUT" >"$WORK/got"
  if cmp -s "$WORK/got" "$WORK/expected"; then
    echo "smoke: shot $shot_id scored by the deployment byte-identically to edge-host invoke:"
    cat "$WORK/got"
    exit 0
  fi
  version() { sed -n 's/.*"model_version":"\([^"]*\)".*/\1/p' "$1"; }
  if [ "$(version "$WORK/got")" != "$(version "$WORK/expected")" ] && [ "$attempt" -lt 3 ]; then
    echo "smoke: answered by model $(version "$WORK/got"), production is $(version "$WORK/expected");" \
      "waiting for the function's next production check"
    sleep 40
    continue
  fi
  echo "smoke: the deployment's prediction differs from edge-host invoke's" >&2
  echo "  got:      $(cat "$WORK/got")" >&2
  echo "  expected: $(cat "$WORK/expected")" >&2
  exit 1
done
