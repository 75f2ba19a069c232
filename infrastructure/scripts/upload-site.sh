#!/usr/bin/env bash
# Uploads the built web app (www-dist/) to the site bucket and invalidates CloudFront's cache.
#
#   bash infrastructure/scripts/upload-site.sh www-dist "$(terraform output -raw site_bucket_name)" \
#        "$(terraform output -raw site_distribution_id)"
#
# Each object gets an explicit Content-Type where the AWS CLI's guess (from the file extension,
# via Python's mimetypes table) is missing or wrong, and a Cache-Control:
#   *.wasm          application/wasm: browsers compile a streamed module only with this type,
#                   and the site's nosniff header forbids guessing
#   *.js, *.css     trunk names them <name>-<content hash>.<ext>: cached for a year, immutable
#   data/*.xgm      application/octet-stream (the model; no standard type), revalidated
#   everything else index.html, data/*.json: revalidated on every load (no-cache), so a new
#                   build or a newly promoted model shows up at once
# Order: hashed assets first, then data, then index.html, so a browser never gets an index that
# names assets not yet uploaded; files no longer in www-dist are deleted last.
set -euo pipefail

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "usage: $0 WWW_DIST BUCKET [DISTRIBUTION_ID]" >&2
  exit 2
fi
DIST=${1%/}
BUCKET=$2
DISTRIBUTION_ID=${3:-}

if [ ! -f "$DIST/index.html" ]; then
  echo "error: $DIST/index.html does not exist: build the site first (bash .ci/web.sh's web_main, or trunk build --release)" >&2
  exit 1
fi
if ! compgen -G "$DIST/*.wasm" >/dev/null; then
  echo "error: no .wasm in $DIST: is it trunk's output?" >&2
  exit 1
fi

IMMUTABLE="public, max-age=31536000, immutable"
REVALIDATE="no-cache"
DEST="s3://$BUCKET"

# 1. Content-hashed assets.
aws s3 sync "$DIST" "$DEST" --only-show-errors --exclude '*' --include '*.wasm' --exclude 'data/*' \
  --content-type application/wasm --cache-control "$IMMUTABLE"
aws s3 sync "$DIST" "$DEST" --only-show-errors --exclude '*' --include '*.js' --include '*.css' --exclude 'data/*' \
  --cache-control "$IMMUTABLE"
# 2. The page's data: the model, then the JSON files.
aws s3 sync "$DIST" "$DEST" --only-show-errors --exclude '*' --include 'data/*.xgm' \
  --content-type application/octet-stream --cache-control "$REVALIDATE"
aws s3 sync "$DIST" "$DEST" --only-show-errors --exclude '*' --include 'data/*' --exclude 'data/*.xgm' \
  --cache-control "$REVALIDATE"
# 3. index.html and anything else at the top.
aws s3 sync "$DIST" "$DEST" --only-show-errors --exclude '*.wasm' --exclude '*.js' --exclude '*.css' --exclude 'data/*' \
  --cache-control "$REVALIDATE"
# 4. Delete what this build no longer has (old hashed assets). Everything left was uploaded
#    above, so comparing sizes only uploads nothing more.
aws s3 sync "$DIST" "$DEST" --only-show-errors --delete --size-only

if [ -n "$DISTRIBUTION_ID" ]; then
  aws cloudfront create-invalidation --distribution-id "$DISTRIBUTION_ID" --paths '/*' \
    --query 'Invalidation.Id' --output text
fi
echo "uploaded $DIST to $DEST${DISTRIBUTION_ID:+ and invalidated $DISTRIBUTION_ID}"
