# Staging: same shape as production, smaller and quicker to notice problems. Every setting has a
# default in ../variables.tf; these are the ones that differ per environment.
#   terraform plan -var-file=vars/stg.tfvars -out stg.tfplan

aws_region  = "eu-west-1"
name_prefix = "xgoals-stg"

# Streams: on-demand; a day of retention is enough to replay a test run.
input_stream_mode      = "ON_DEMAND"
output_stream_mode     = "ON_DEMAND"
stream_retention_hours = 24

dead_letter_kind = "kinesis"

# Registry: created by this configuration (<prefix>-registry-<account id>).
registry_bucket_name = ""
registry_prefix      = "registry"
model_version        = "" # follow production.json; set e.g. "m-dba3ba884ed5" to pin
model_recheck_s      = 30

architecture       = "arm64"
lambda_memory_mb   = 512
lambda_timeout_s   = 60
log_retention_days = 14

# Event source mapping: bounded retries, and TRIM_HORIZON so a test run's records put before
# the mapping existed are scored too.
batch_size             = 100
batching_window_s      = 1
parallelization_factor = 1
starting_position      = "TRIM_HORIZON"
maximum_retry_attempts = 3
maximum_record_age_s   = 600
bisect_batch_on_error  = true

# Alarms: same thresholds as production, nobody paged (subscribe to the alarm_topic_arn output).
iterator_age_alarm_ms = 60000
invalid_share_alarm   = 0.01
psi_prediction_alarm  = 0.2
drift_share_alarm     = 0.3

site_price_class = "PriceClass_100"

tags = {
  Environment = "stg"
}
