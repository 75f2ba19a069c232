#!/usr/bin/env bash
# Publishes the local production model (.xgoals/registry, from `make train`) into another
# registry and promotes it there only if it measures at least as well as that registry's
# production (`trainer registry promote --if-better`: a refusal keeps production, exit 0).
#
#   bash infrastructure/scripts/publish.sh REGISTRY      e.g. s3://bucket/registry
#
# The trainer binary is $XGOALS_BIN_DIR/trainer if set, else a release build.
source "$(dirname "${BASH_SOURCE[0]}")/../../.ci/lib.sh"

REGISTRY=${1:-}
if [ -z "$REGISTRY" ]; then
  echo "usage: $0 REGISTRY   (a folder or s3://bucket/prefix)" >&2
  exit 2
fi
VERSION=$(local_production)
if [ -z "$VERSION" ]; then
  echo "no production model in .xgoals/registry: run the training pipeline first (make train)" >&2
  exit 1
fi
if [ -n "${XGOALS_BIN_DIR:-}" ]; then
  TRAINER="$XGOALS_BIN_DIR/trainer"
else
  cargo build -q --release -p trainer
  TRAINER="$TARGET_DIR/release/trainer"
fi
"$TRAINER" registry --registry "$REGISTRY" add "$LOCAL_REGISTRY/versions/$VERSION"
"$TRAINER" registry --registry "$REGISTRY" promote "$VERSION" --if-better
