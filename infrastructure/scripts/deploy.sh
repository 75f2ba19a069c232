#!/usr/bin/env bash
# A deployment of one stage, step by step, in the order CD runs them (docs/DEPLOY.md):
#
#   bash infrastructure/scripts/deploy.sh STAGE [STEP...]      STAGE: stg | prod
#
#   init     terraform init with the stage's S3 backend (vars/STAGE.s3.tfbackend + the
#            state bucket from XGOALS_TF_STATE_BUCKET)
#   plan     terraform plan -var-file=vars/STAGE.tfvars with the built Lambda zip → STAGE.tfplan
#   apply    terraform apply STAGE.tfplan (exactly what plan showed)
#   publish  the local production model (.xgoals/registry) into the stage's registry bucket,
#            promoted there only if it measures at least as well as the current production
#   site     www-dist/ to the site bucket with the right content types, CloudFront invalidated
#   smoke    a real shot through the deployed streams and function, checked against
#            edge-host invoke (scripts/smoke.sh)
#
# No STEP means all of them, in that order. Needs terraform, the AWS CLI and credentials for
# the stage's account. Built artifacts come from `make build` (Lambda zip, www-dist) and
# `make train` (the model); binaries from XGOALS_BIN_DIR (trainer, edge-host) if set, else
# cargo builds them (publish.sh, smoke.sh).
source "$(dirname "${BASH_SOURCE[0]}")/../../.ci/lib.sh"
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; }

STAGE=${1:-}
case "$STAGE" in
  stg | prod) shift ;;
  *) usage; exit 2 ;;
esac
STEPS=("$@")
[ ${#STEPS[@]} -gt 0 ] || STEPS=(init plan apply publish site smoke)

INFRA="$ROOT/infrastructure"
PLAN="$INFRA/$STAGE.tfplan"
tf() { terraform -chdir="$INFRA" "$@"; }
output() { tf output -raw "$1"; }

lambda_zip() {
  local arch
  arch=$(sed -n 's/^architecture *= *"\([^"]*\)".*/\1/p' "$INFRA/vars/$STAGE.tfvars")
  if [ "${arch:-arm64}" = "arm64" ]; then
    echo "$TARGET_DIR/lambda/edge-host-arm64/bootstrap.zip"
  else
    echo "$TARGET_DIR/lambda/edge-host/bootstrap.zip"
  fi
}

for s in "${STEPS[@]}"; do
  case "$s" in
    init)
      step "deploy $STAGE: terraform init"
      : "${XGOALS_TF_STATE_BUCKET:?set XGOALS_TF_STATE_BUCKET to the Terraform state bucket (docs/DEPLOY.md)}"
      tf init -input=false -reconfigure -backend-config="vars/$STAGE.s3.tfbackend" \
        -backend-config="bucket=$XGOALS_TF_STATE_BUCKET"
      ;;
    plan)
      step "deploy $STAGE: terraform plan"
      zip=$(lambda_zip)
      [ -f "$zip" ] || { echo "no Lambda package at $zip: make build first" >&2; exit 1; }
      tf plan -input=false -var-file="vars/$STAGE.tfvars" -var "lambda_zip_path=$zip" -out="$PLAN"
      ;;
    apply)
      step "deploy $STAGE: terraform apply $STAGE.tfplan"
      tf apply -input=false "$PLAN"
      ;;
    publish)
      step "deploy $STAGE: publish the production model to the registry"
      bash "$INFRA/scripts/publish.sh" "$(output registry_url)"
      ;;
    site)
      step "deploy $STAGE: upload www-dist"
      bash "$INFRA/scripts/upload-site.sh" "$ROOT/www-dist" "$(output site_bucket_name)" \
        "$(output site_distribution_id)"
      echo "site: $(output site_url)"
      ;;
    smoke)
      step "deploy $STAGE: smoke test through $(output input_stream_name)"
      XGOALS_EDGE_HOST=${XGOALS_BIN_DIR:+$XGOALS_BIN_DIR/edge-host} bash "$INFRA/scripts/smoke.sh" \
        --input "$(output input_stream_name)" --output "$(output output_stream_name)" \
        --registry "$(output registry_url)"
      ;;
    *)
      echo "unknown step $s (init, plan, apply, publish, site, smoke)" >&2
      exit 2
      ;;
  esac
  done_step
done
