#!/usr/bin/env bash
# The AWS side of xgoals on one machine, as plain processes on 127.0.0.1: moto (Kinesis + S3),
# the model registry in a bucket with the current model published and promoted, `edge-host
# poll` consuming the input stream the way the Lambda's event source mapping does, and a static
# server for www-dist. The Makefile's up/down/shot/stack-smoke targets call this.
#
#   bash infrastructure/local/stack.sh up       start it all (idempotent) and print what to open
#   bash infrastructure/local/stack.sh shot [JSON]   push a shot record, print its prediction
#   bash infrastructure/local/stack.sh status   what runs, where
#   bash infrastructure/local/stack.sh down     stop it all
#   bash infrastructure/local/stack.sh smoke    up → real and broken records → exact check → down
#
# Environment:
#   XGOALS_STACK_MODEL   model folder to serve (default: .xgoals/registry's production version,
#                        else a quick model trained on the World Cup and Euro 2016)
#   XGOALS_STACK_WEB     1 (default): serve www-dist, building it first if missing; 0: no site
#   XGOALS_WEB_PORT      site port (default: a free one)
# State (pids, ports, logs, checkpoints) lives in .xgoals/stack/.
source "$(dirname "${BASH_SOURCE[0]}")/../../.ci/lib.sh"
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; }

STATE="$ROOT/.xgoals/stack"
BUCKET=xgoals-local-registry
REGISTRY="s3://$BUCKET/registry"
IN_STREAM=xgoals-local-shots
OUT_STREAM=xgoals-local-predictions
DEAD_STREAM=xgoals-local-dead-letter
# Dummy credentials: moto accepts any; no real AWS account is ever reached (the endpoint is
# always the local emulator).
export AWS_REGION=eu-west-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
unset AWS_PROFILE AWS_SESSION_TOKEN

py() { "$MOTO_VENV/bin/python" "$ROOT/infrastructure/local/stack.py" "$@"; }

alive() { [ -f "$STATE/$1.pid" ] && kill -0 "$(cat "$STATE/$1.pid")" 2>/dev/null; }

load_state() {
  [ -f "$STATE/env" ] || return 1
  # shellcheck disable=SC1091
  source "$STATE/env"
}

# Starts "$@" in the background with its own process group, logging to $STATE/$name.log.
start() {
  local name=$1
  shift
  setsid "$@" >"$STATE/$name.log" 2>&1 </dev/null &
  echo $! >"$STATE/$name.pid"
}

stop() {
  local name=$1 pid
  [ -f "$STATE/$name.pid" ] || return 0
  pid=$(cat "$STATE/$name.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    echo "stopped $name (pid $pid)"
  fi
  rm -f "$STATE/$name.pid"
}

# The model folder to serve: $XGOALS_STACK_MODEL, the local production version, or a quick one.
model_dir() {
  if [ -n "${XGOALS_STACK_MODEL:-}" ]; then
    echo "$XGOALS_STACK_MODEL"
    return
  fi
  local version
  version=$(local_production)
  if [ -n "$version" ]; then
    echo "$LOCAL_REGISTRY/versions/$version"
    return
  fi
  local quick="$STATE/quick-model"
  if [ ! -f "$quick/manifest.json" ]; then
    echo "no production model in .xgoals/registry (make train builds one): training a quick" \
      "model on the World Cup and Euro 2016 (4 trials) for the stack" >&2
    local data="$ROOT/../shared/data/wyscout"
    "$TARGET_DIR/debug/trainer" train --events "$data/events_World_Cup.json.gz" \
      "$data/events_European_Championship.json.gz" --trials 4 --no-ablation \
      --out "$quick" --cache-dir "$STATE/cache" >"$STATE/quick-model.log" 2>&1 \
      || { tail -20 "$STATE/quick-model.log" >&2; return 1; }
  fi
  echo "$quick"
}

print_info() {
  load_state
  cat <<EOF

xgoals local stack is up (state and logs in .xgoals/stack/):
  emulator (Kinesis + S3)  $ENDPOINT
  input stream             $IN_STREAM  → edge-host poll (log: .xgoals/stack/edge-host.log)
  output stream            $OUT_STREAM
  dead-letter stream       $DEAD_STREAM
  model registry           $REGISTRY (production: $MODEL_VERSION)
EOF
  if [ -n "${SITE_URL:-}" ]; then
    echo "  web app                  $SITE_URL   ← open this"
  fi
  cat <<EOF

Push a test shot and print its prediction:
  make shot
  make shot SHOT='{"shot": {"distance_to_goal": 11.0, "angle_to_goal": 0.6}, "shot_id": 7}'
With the AWS CLI (any client works; credentials are dummies):
  AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=$AWS_REGION \\
    aws --endpoint-url $ENDPOINT kinesis put-record --stream-name $IN_STREAM \\
    --partition-key 7 --cli-binary-format raw-in-base64-out \\
    --data '{"shot": {"distance_to_goal": 11.0, "angle_to_goal": 0.6}, "shot_id": 7}'
Stop everything:  make down
EOF
}

cmd_up() {
  mkdir -p "$STATE"
  if alive moto && alive edge-host && load_state; then
    echo "already up"
    print_info
    return
  fi
  cmd_down >/dev/null

  step "stack: tools and binaries (moto, debug builds of trainer and edge-host)"
  need_moto
  cargo build -q -p trainer -p edge-host
  done_step

  step "stack: model"
  local dir version
  dir=$(model_dir)
  [ -f "$dir/manifest.json" ] || { echo "no manifest.json in model folder $dir" >&2; return 1; }
  version=$(sed -n 's/.*"model_version": *"\([^"]*\)".*/\1/p' "$dir/manifest.json" | head -1)
  echo "serving $version from $dir"
  done_step

  step "stack: moto, streams and registry bucket"
  local port
  port=$(py free-port)
  ENDPOINT="http://127.0.0.1:$port"
  start moto "$XGOALS_MOTO_SERVER" -H 127.0.0.1 -p "$port"
  py wait-ready --endpoint "$ENDPOINT"
  py create --endpoint "$ENDPOINT" --bucket "$BUCKET" \
    --stream "$IN_STREAM:2" --stream "$OUT_STREAM" --stream "$DEAD_STREAM"
  done_step

  step "stack: publish and promote $version in $REGISTRY"
  AWS_ENDPOINT_URL=$ENDPOINT "$TARGET_DIR/debug/trainer" registry --registry "$REGISTRY" add "$dir"
  AWS_ENDPOINT_URL=$ENDPOINT "$TARGET_DIR/debug/trainer" registry --registry "$REGISTRY" \
    promote "$version" --cache-dir "$STATE/cache" >/dev/null
  done_step

  step "stack: edge-host poll on $IN_STREAM"
  AWS_ENDPOINT_URL=$ENDPOINT XGOALS_REGISTRY=$REGISTRY XGOALS_MODEL_RECHECK_S=10 \
    XGOALS_OUTPUT_STREAM=$OUT_STREAM XGOALS_DEAD_LETTER=kinesis:$DEAD_STREAM \
    start edge-host "$TARGET_DIR/debug/edge-host" poll --stream "$IN_STREAM" \
    --checkpoint-dir "$STATE/checkpoints"
  sleep 1
  alive edge-host || { cat "$STATE/edge-host.log" >&2; return 1; }
  done_step

  SITE_URL=""
  if [ "${XGOALS_STACK_WEB:-1}" = "1" ]; then
    step "stack: www-dist on a static server"
    need_node
    if [ ! -f "$ROOT/www-dist/index.html" ]; then
      echo "www-dist is not built: building it (trunk; the first time installs it)"
      source "$ROOT/.ci/web.sh"
      web_tools
      web_build_site
      web_export_data dev --model "$dir/model.xgm" --manifest "$dir/manifest.json" \
        --cache-dir "$STATE/cache"
    fi
    local web_port=${XGOALS_WEB_PORT:-$(py free-port)}
    start site node "$ROOT/web/e2e/serve.mjs" "$ROOT/www-dist" "$web_port"
    SITE_URL="http://127.0.0.1:$web_port/"
    for _ in $(seq 50); do grep -q "serving" "$STATE/site.log" && break; sleep 0.1; done
    alive site || { cat "$STATE/site.log" >&2; return 1; }
    done_step
  fi

  cat >"$STATE/env" <<EOF
ENDPOINT=$ENDPOINT
MODEL_VERSION=$version
MODEL_DIR=$dir
SITE_URL=$SITE_URL
EOF
  print_info
}

cmd_down() {
  stop site
  stop edge-host
  stop moto
  # The emulator keeps its data in memory: with it gone, the checkpoints point nowhere.
  rm -rf "$STATE/env" "$STATE/checkpoints"
  echo "local stack is down"
}

cmd_status() {
  local name
  for name in moto edge-host site; do
    if alive "$name"; then echo "$name: running (pid $(cat "$STATE/$name.pid"))"; else echo "$name: stopped"; fi
  done
  if load_state; then print_info; fi
}

cmd_shot() {
  load_state || { echo "the stack is not up: make up" >&2; return 1; }
  need_moto >/dev/null
  local record=${1:-'{"shot": {"distance_to_goal": 11.0, "angle_to_goal": 0.6}, "shot_id": "make-shot"}'}
  local since found
  since=$(date +%s.%N)
  py put --endpoint "$ENDPOINT" --stream "$IN_STREAM" --record "$record"
  # Whichever stream it lands on first: the prediction, or a dead letter saying why not. Both
  # are read from the put onwards only, however much they already hold.
  if found=$(py await-first --endpoint "$ENDPOINT" --stream "$OUT_STREAM" --stream "$DEAD_STREAM" \
    --since "$since" --timeout 60); then
    if [ "${found%%$'\t'*}" = "$OUT_STREAM" ]; then
      echo "prediction on $OUT_STREAM:"; echo "${found#*$'\t'}"; return 0
    fi
    echo "dead letter on $DEAD_STREAM:"; echo "${found#*$'\t'}"; return 1
  fi
  echo "nothing came out within 60 s; see .xgoals/stack/edge-host.log" >&2
  return 1
}

# End to end on the running stack: the records of testdata/events/kinesis-mixed.json (real
# Wyscout shots with context, every input format, and broken/hostile records) go into the input
# stream; the output stream must then hold exactly the predictions `edge-host invoke` prints
# for the same records with the same model, byte for byte, and the dead-letter stream one
# letter per bad record with its reason and original bytes. The same records then go in
# again packed into one KPL aggregate by aws-kinesis-agg (a real producer library), and must
# come out the same a second time, and gzip-compressed a third time. Then runs the
# deployment smoke test (infrastructure/scripts/smoke.sh) against the stack, and checks the
# site serves the page and its wasm with the right content type. Stops the stack whatever
# happens.
cmd_smoke() {
  trap 'cmd_down >/dev/null' EXIT
  cmd_up
  load_state
  step "stack smoke: testdata/events/kinesis-mixed.json through the stack"
  local event="$ROOT/testdata/events/kinesis-mixed.json"
  "$TARGET_DIR/debug/edge-host" invoke --event "$event" --model "$MODEL_DIR" \
    >"$STATE/expected.jsonl" 2>/dev/null
  py put --endpoint "$ENDPOINT" --stream "$IN_STREAM" --kinesis-event "$event" >/dev/null
  py verify --endpoint "$ENDPOINT" --output "$OUT_STREAM" --dead-letter "$DEAD_STREAM" \
    --expected "$STATE/expected.jsonl" --timeout 120
  done_step
  step "stack smoke: the same records packed into a KPL aggregate by a real producer library"
  py put --endpoint "$ENDPOINT" --stream "$IN_STREAM" --kinesis-event "$event" --kpl
  py verify --endpoint "$ENDPOINT" --output "$OUT_STREAM" --dead-letter "$DEAD_STREAM" \
    --expected "$STATE/expected.jsonl" --rounds 2 --timeout 120
  done_step
  step "stack smoke: the same records gzip-compressed, one to a Kinesis record"
  py put --endpoint "$ENDPOINT" --stream "$IN_STREAM" --kinesis-event "$event" --gzip
  py verify --endpoint "$ENDPOINT" --output "$OUT_STREAM" --dead-letter "$DEAD_STREAM" \
    --expected "$STATE/expected.jsonl" --rounds 3 --timeout 120
  done_step
  step "stack smoke: the deployed smoke test (infrastructure/scripts/smoke.sh) against the stack"
  XGOALS_EDGE_HOST="$TARGET_DIR/debug/edge-host" bash "$ROOT/infrastructure/scripts/smoke.sh" \
    --input "$IN_STREAM" --output "$OUT_STREAM" --registry "$REGISTRY" --endpoint "$ENDPOINT" \
    --timeout 120
  done_step
  if [ -n "$SITE_URL" ]; then
    step "stack smoke: the site"
    local wasm
    py content-type "$SITE_URL" | grep -q "^text/html" \
      || { echo "no page at $SITE_URL" >&2; return 1; }
    wasm=$(cd "$ROOT/www-dist" && ls ./*.wasm | head -1)
    [ "$(py content-type "$SITE_URL${wasm#./}")" = "application/wasm" ] \
      || { echo "$wasm is not served as application/wasm" >&2; return 1; }
    echo "page and ${wasm#./} (application/wasm) served at $SITE_URL"
    done_step
  fi
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  shot) shift; cmd_shot "$@" ;;
  smoke) cmd_smoke ;;
  *) usage; exit 2 ;;
esac
