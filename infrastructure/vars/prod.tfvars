# Production. Every setting has a default in ../variables.tf; these are the ones that differ per
# environment.
#   terraform plan -var-file=vars/prod.tfvars -out prod.tfplan

aws_region  = "eu-west-1"
name_prefix = "xgoals-prod"

# Streams: on-demand until the match-day load is known, then PROVISIONED with shards. Two days
# of retention: time to fix a failing function over a weekend of matches before records age out.
input_stream_mode      = "ON_DEMAND"
output_stream_mode     = "ON_DEMAND"
stream_retention_hours = 48

dead_letter_kind = "kinesis"

# Registry: created by this configuration (<prefix>-registry-<account id>). Models reach it by
# copying a version tested in staging (docs/DEPLOY.md), then `trainer registry promote`.
registry_bucket_name = ""
registry_prefix      = "registry"
model_version        = "" # follow production.json; pin e.g. "m-dba3ba884ed5" to freeze during a tournament
model_recheck_s      = 60

architecture       = "arm64"
lambda_memory_mb   = 512
lambda_timeout_s   = 60
log_retention_days = 90

batch_size             = 500
batching_window_s      = 1
parallelization_factor = 2
starting_position      = "LATEST"
maximum_retry_attempts = 10
maximum_record_age_s   = 3600
bisect_batch_on_error  = true

alarm_email           = "xgoals-oncall@example.com" # the on-call address (confirm the subscription mail)
iterator_age_alarm_ms = 60000
invalid_share_alarm   = 0.01
psi_prediction_alarm  = 0.2
drift_share_alarm     = 0.3

site_price_class = "PriceClass_100"
# site_aliases             = ["xg.example.com"]
# site_acm_certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/..."

tags = {
  Environment = "prod"
}
