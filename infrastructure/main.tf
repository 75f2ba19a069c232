# Live scoring and the web app for one environment (vars/stg.tfvars, vars/prod.tfvars):
#
#   producers ─▶ kinesis: <prefix>-shots
#                 │ event-source-mapping (ReportBatchItemFailures, bisect, bounded retries)
#                 │   └─ batches it gives up on ─▶ SQS <prefix>-edge-host-on-failure
#                 ▼
#               lambda: <prefix>-edge-host (role from iam) ◀── registry: s3://…/<prefix>/
#                 ├─▶ kinesis: <prefix>-predictions
#                 ├─▶ dead letters: kinesis <prefix>-dead-letters or s3://<bucket>/<prefix>/
#                 └─▶ CloudWatch Logs (EMF) ─▶ monitoring: alarms, dashboard, SNS topic
#   browsers ─▶ site: CloudFront ─(origin access control)─▶ private bucket with www-dist
#
# Each box is a module under modules/; this file only wires them. Names are defined here once.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  function_name = "${var.name_prefix}-edge-host"
  # Lambda writes to /aws/lambda/<function name>. Its ARN is built from the parts (not read from
  # the resource) so the ops key's policy can name it: the log group is encrypted with that key.
  log_group_name = "/aws/lambda/${local.function_name}"
  log_group_arn  = "arn:${local.partition}:logs:${var.aws_region}:${local.account_id}:log-group:${local.log_group_name}"

  # The packaging command's output paths (edge-host/scripts/package.sh), relative to this directory.
  default_zip_path = {
    arm64  = "${path.module}/../target/lambda/edge-host-arm64/bootstrap.zip"
    x86_64 = "${path.module}/../target/lambda/edge-host/bootstrap.zip"
  }
  lambda_zip_path = coalesce(var.lambda_zip_path, local.default_zip_path[var.architecture])

  # XGOALS_DEAD_LETTER: `kinesis:STREAM` or `s3://BUCKET/PREFIX`. Exactly one of the two lists
  # has an element (the other resource has count 0).
  dead_letter_target = one(concat(
    [for name in module.kinesis.dead_letter_stream_names : "kinesis:${name}"],
    [for bucket in module.dead_letter_bucket : "s3://${bucket.name}/${var.dead_letter_s3_prefix}"],
  ))
}

module "kinesis" {
  source = "./modules/kinesis"

  name_prefix               = var.name_prefix
  input_stream_mode         = var.input_stream_mode
  input_shard_count         = var.input_shard_count
  output_stream_mode        = var.output_stream_mode
  output_shard_count        = var.output_shard_count
  retention_hours           = var.stream_retention_hours
  create_dead_letter_stream = var.dead_letter_kind == "kinesis"
}

module "dead_letter_bucket" {
  source = "./modules/secure-bucket"
  count  = var.dead_letter_kind == "s3" ? 1 : 0

  name                    = "${var.name_prefix}-dead-letters-${local.account_id}"
  noncurrent_version_days = 1
  expiration_days         = var.dead_letter_s3_expiration_days
  access_log_bucket       = var.s3_access_log_bucket
}

module "registry" {
  source = "./modules/registry"

  bucket_name             = "${var.name_prefix}-registry-${local.account_id}"
  existing_bucket_name    = var.registry_bucket_name
  prefix                  = var.registry_prefix
  noncurrent_version_days = var.registry_noncurrent_version_days
  access_log_bucket       = var.s3_access_log_bucket
  partition               = local.partition
}

module "ops_key" {
  source = "./modules/ops-key"

  name_prefix   = var.name_prefix
  aws_region    = var.aws_region
  account_id    = local.account_id
  partition     = local.partition
  log_group_arn = local.log_group_arn
}

module "iam" {
  source = "./modules/iam"

  role_name               = local.function_name
  function_name           = local.function_name
  account_id              = local.account_id
  aws_region              = var.aws_region
  log_group_arn           = local.log_group_arn
  input_stream_arn        = module.kinesis.input_stream_arn
  put_stream_arns         = concat([module.kinesis.output_stream_arn], module.kinesis.dead_letter_stream_arns)
  registry_bucket_arn     = module.registry.bucket_arn
  registry_prefix         = module.registry.prefix
  registry_object_arns    = module.registry.serving_object_arns
  registry_kms_key_arn    = var.registry_kms_key_arn
  dead_letter_object_arns = [for bucket in module.dead_letter_bucket : "${bucket.arn}/${var.dead_letter_s3_prefix}/*"]
  on_failure_queue_arn    = module.event_source_mapping.on_failure_queue_arn
  ops_key_arn             = module.ops_key.arn
}

module "lambda" {
  source = "./modules/lambda"

  function_name        = local.function_name
  description          = "xgoals edge-host: scores shots from ${module.kinesis.input_stream_name} into ${module.kinesis.output_stream_name}"
  role_arn             = module.iam.role_arn
  zip_path             = local.lambda_zip_path
  architecture         = var.architecture
  memory_mb            = var.lambda_memory_mb
  timeout_s            = var.lambda_timeout_s
  reserved_concurrency = var.reserved_concurrency
  log_group_name       = local.log_group_name
  log_retention_days   = var.log_retention_days
  log_kms_key_arn      = module.ops_key.arn

  registry_url       = module.registry.url
  model_version      = var.model_version
  model_recheck_s    = var.model_recheck_s
  output_stream_name = module.kinesis.output_stream_name
  dead_letter_target = local.dead_letter_target
  put_max_attempts   = var.put_max_attempts
  drift_window       = var.drift_window
  metrics_namespace  = var.metrics_namespace
}

module "event_source_mapping" {
  source = "./modules/event-source-mapping"

  queue_name             = "${local.function_name}-on-failure"
  stream_arn             = module.kinesis.input_stream_arn
  function_arn           = module.lambda.function_arn
  starting_position      = var.starting_position
  batch_size             = var.batch_size
  batching_window_s      = var.batching_window_s
  parallelization_factor = var.parallelization_factor
  bisect_batch_on_error  = var.bisect_batch_on_error
  maximum_retry_attempts = var.maximum_retry_attempts
  maximum_record_age_s   = var.maximum_record_age_s
  on_failure_retention_s = var.on_failure_retention_s
  kms_key_arn            = module.ops_key.arn
}

module "monitoring" {
  source = "./modules/monitoring"

  function_name            = module.lambda.function_name
  metrics_namespace        = var.metrics_namespace
  aws_region               = var.aws_region
  kms_key_arn              = module.ops_key.arn
  dead_letter_target       = local.dead_letter_target
  alarm_email              = var.alarm_email
  alarm_period_s           = var.alarm_period_s
  iterator_age_alarm_ms    = var.iterator_age_alarm_ms
  dead_letters_alarm_count = var.dead_letters_alarm_count
  invalid_share_alarm      = var.invalid_share_alarm
  psi_prediction_alarm     = var.psi_prediction_alarm
  drift_share_alarm        = var.drift_share_alarm
}

module "site" {
  source = "./modules/site"

  name                    = var.name_prefix
  bucket_name             = "${var.name_prefix}-site-${local.account_id}"
  noncurrent_version_days = var.site_noncurrent_version_days
  access_log_bucket       = var.s3_access_log_bucket
  price_class             = var.site_price_class
  aliases                 = var.site_aliases
  acm_certificate_arn     = var.site_acm_certificate_arn
  web_acl_id              = var.site_web_acl_id
  cloudfront_log_bucket   = var.site_cloudfront_log_bucket
}
