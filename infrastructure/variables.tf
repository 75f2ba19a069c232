# Inputs. Every variable is described and, where a wrong value would only fail at apply time
# (or worse, deploy something subtly wrong), validated here.

# ---------------------------------------------------------------------------------------------
# General

variable "aws_region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must look like eu-west-1."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name (streams, function, role, alarms, topic). Use one per environment, e.g. xgoals-stg, xgoals-prod."
  type        = string
  default     = "xgoals"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-32 characters of lowercase letters, digits and '-', starting with a letter."
  }
}

variable "tags" {
  description = "Extra tags applied to every resource (merged over Project and Component)."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------------------------------------
# Kinesis streams

variable "input_stream_mode" {
  description = "Capacity mode of the input (shots) stream: ON_DEMAND or PROVISIONED."
  type        = string
  default     = "ON_DEMAND"

  validation {
    condition     = contains(["ON_DEMAND", "PROVISIONED"], var.input_stream_mode)
    error_message = "input_stream_mode must be ON_DEMAND or PROVISIONED."
  }
}

variable "input_shard_count" {
  description = "Shard count of the input stream when input_stream_mode is PROVISIONED (ignored for ON_DEMAND)."
  type        = number
  default     = 1

  validation {
    condition     = var.input_shard_count >= 1 && var.input_shard_count <= 500 && floor(var.input_shard_count) == var.input_shard_count
    error_message = "input_shard_count must be a whole number from 1 to 500."
  }
}

variable "output_stream_mode" {
  description = "Capacity mode of the output (predictions) and Kinesis dead-letter streams: ON_DEMAND or PROVISIONED."
  type        = string
  default     = "ON_DEMAND"

  validation {
    condition     = contains(["ON_DEMAND", "PROVISIONED"], var.output_stream_mode)
    error_message = "output_stream_mode must be ON_DEMAND or PROVISIONED."
  }
}

variable "output_shard_count" {
  description = "Shard count of the output and Kinesis dead-letter streams when output_stream_mode is PROVISIONED."
  type        = number
  default     = 1

  validation {
    condition     = var.output_shard_count >= 1 && var.output_shard_count <= 500 && floor(var.output_shard_count) == var.output_shard_count
    error_message = "output_shard_count must be a whole number from 1 to 500."
  }
}

variable "stream_retention_hours" {
  description = "Retention of all streams in hours (24 to 8760). Longer input retention gives more time to fix a failing function before records age out."
  type        = number
  default     = 24

  validation {
    condition     = var.stream_retention_hours >= 24 && var.stream_retention_hours <= 8760
    error_message = "stream_retention_hours must be between 24 and 8760."
  }
}

# ---------------------------------------------------------------------------------------------
# Dead letters (invalid records: bad JSON, not a shot, out-of-range position, unknown format)

variable "dead_letter_kind" {
  description = "Where the function sends invalid records: \"kinesis\" (a dead-letter stream, XGOALS_DEAD_LETTER=kinesis:STREAM) or \"s3\" (a dead-letter bucket, XGOALS_DEAD_LETTER=s3://BUCKET/PREFIX)."
  type        = string
  default     = "kinesis"

  validation {
    condition     = contains(["kinesis", "s3"], var.dead_letter_kind)
    error_message = "dead_letter_kind must be \"kinesis\" or \"s3\"."
  }
}

variable "dead_letter_s3_prefix" {
  description = "Key prefix for dead letters when dead_letter_kind is \"s3\" (no leading or trailing '/')."
  type        = string
  default     = "dead-letters"

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$", var.dead_letter_s3_prefix))
    error_message = "dead_letter_s3_prefix must be non-empty path segments of [A-Za-z0-9._-] separated by '/', without leading or trailing '/'."
  }
}

variable "dead_letter_s3_expiration_days" {
  description = "Days after which dead-letter objects in the S3 dead-letter bucket expire."
  type        = number
  default     = 90

  validation {
    condition     = var.dead_letter_s3_expiration_days >= 1
    error_message = "dead_letter_s3_expiration_days must be at least 1."
  }
}

# ---------------------------------------------------------------------------------------------
# Model registry (written by `trainer registry`/`trainer pipeline`, read by the function)

variable "registry_bucket_name" {
  description = "Name of an EXISTING S3 bucket holding the model registry. Empty (the default) creates a registry bucket with versioning, encryption, a public access block and a TLS-only policy."
  type        = string
  default     = ""

  validation {
    condition     = var.registry_bucket_name == "" || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.registry_bucket_name))
    error_message = "registry_bucket_name must be empty or a valid S3 bucket name."
  }
}

variable "registry_kms_key_arn" {
  description = "ARN of the customer-managed KMS key an EXISTING registry bucket encrypts with, so the function may decrypt model objects. Null when the bucket uses SSE-S3 or the AWS-managed aws/s3 key (as the created bucket does)."
  type        = string
  default     = null

  validation {
    condition     = var.registry_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[0-9a-f-]+$", var.registry_kms_key_arn))
    error_message = "registry_kms_key_arn must be null or a KMS key ARN (not an alias)."
  }
}

variable "registry_prefix" {
  description = "Key prefix of the registry inside the bucket (holds production.json and versions/<v>/...). No leading or trailing '/'."
  type        = string
  default     = "registry"

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$", var.registry_prefix))
    error_message = "registry_prefix must be non-empty path segments of [A-Za-z0-9._-] separated by '/', without leading or trailing '/'."
  }
}

variable "registry_noncurrent_version_days" {
  description = "Days a superseded object version (e.g. an old production.json) is kept in a created registry bucket before it expires."
  type        = number
  default     = 365

  validation {
    condition     = var.registry_noncurrent_version_days >= 1
    error_message = "registry_noncurrent_version_days must be at least 1."
  }
}

variable "s3_access_log_bucket" {
  description = "Name of an existing bucket that receives S3 server access logs of the created buckets (registry, site, dead letters). Null disables access logging."
  type        = string
  default     = null
}

variable "model_version" {
  description = "Pin the function to this model version (XGOALS_MODEL_VERSION, e.g. m-dba3ba884ed5). Empty follows the registry's production alias."
  type        = string
  default     = ""

  validation {
    condition     = var.model_version == "" || can(regex("^[A-Za-z0-9._-]{1,64}$", var.model_version))
    error_message = "model_version must be empty or match [A-Za-z0-9._-]{1,64}, the registry's version pattern."
  }
}

variable "model_recheck_s" {
  description = "Seconds between checks of the registry for a newly promoted model (XGOALS_MODEL_RECHECK_S)."
  type        = number
  default     = 60

  validation {
    condition     = var.model_recheck_s >= 0 && var.model_recheck_s <= 86400
    error_message = "model_recheck_s must be between 0 (every invocation) and 86400, as edge-host accepts."
  }
}

# ---------------------------------------------------------------------------------------------
# The function

variable "lambda_zip_path" {
  description = "Path of the packaged bootstrap zip (edge-host/scripts/package.sh). Null picks the packaging command's output for the architecture: ../target/lambda/edge-host-arm64/bootstrap.zip (arm64) or ../target/lambda/edge-host/bootstrap.zip (x86_64), relative to this directory; set it when CARGO_TARGET_DIR is elsewhere."
  type        = string
  default     = null

  validation {
    condition     = var.lambda_zip_path == null || endswith(coalesce(var.lambda_zip_path, "x.zip"), ".zip")
    error_message = "lambda_zip_path must be a path to a .zip file."
  }
}

variable "architecture" {
  description = "Instruction set of the function: arm64 (default, cheaper per GB-second) or x86_64. Must match the zip."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be arm64 or x86_64."
  }
}

variable "lambda_memory_mb" {
  description = "Memory of the function in MB (128 to 10240); CPU share scales with it."
  type        = number
  default     = 512

  validation {
    condition     = var.lambda_memory_mb >= 128 && var.lambda_memory_mb <= 10240
    error_message = "lambda_memory_mb must be between 128 and 10240."
  }
}

variable "lambda_timeout_s" {
  description = "Timeout of one invocation (one batch) in seconds (1 to 900). Must cover PutRecords retries for a full batch."
  type        = number
  default     = 60

  validation {
    condition     = var.lambda_timeout_s >= 1 && var.lambda_timeout_s <= 900
    error_message = "lambda_timeout_s must be between 1 and 900."
  }
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions for the function. Null leaves it unreserved (concurrency is still bounded by shards x parallelization_factor)."
  type        = number
  default     = null

  validation {
    condition     = var.reserved_concurrency == null || coalesce(var.reserved_concurrency, 0) >= 0
    error_message = "reserved_concurrency must be null or >= 0."
  }
}

variable "log_retention_days" {
  description = "Retention of the function's CloudWatch log group in days (one of CloudWatch's allowed values). EMF metrics extracted from the logs are kept by CloudWatch Metrics independently."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of CloudWatch Logs' allowed retention values (1, 3, 5, 7, 14, 30, 60, 90, ..., 3653)."
  }
}

variable "put_max_attempts" {
  description = "Attempts to write each output or dead-letter record, the first included, before it is reported in batchItemFailures (XGOALS_PUT_MAX_ATTEMPTS)."
  type        = number
  default     = 6

  validation {
    condition     = var.put_max_attempts >= 1 && var.put_max_attempts <= 20
    error_message = "put_max_attempts must be between 1 and 20."
  }
}

variable "drift_window" {
  description = "Records in the rolling drift window compared with the manifest's reference distributions (XGOALS_DRIFT_WINDOW)."
  type        = number
  default     = 5000

  validation {
    condition     = var.drift_window >= 1 && var.drift_window <= 1000000
    error_message = "drift_window must be between 1 and 1000000, as edge-host accepts (PSI needs at least 100 records in it)."
  }
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the function's EMF metrics (XGOALS_METRICS_NAMESPACE); the alarms read the same namespace."
  type        = string
  default     = "xgoals/edge"

  validation {
    condition     = can(regex("^[A-Za-z0-9._/#:-]{1,255}$", var.metrics_namespace)) && !startswith(var.metrics_namespace, "AWS/")
    error_message = "metrics_namespace must be 1-255 of [A-Za-z0-9._/#:-] and must not start with AWS/."
  }
}

# ---------------------------------------------------------------------------------------------
# Event source mapping (input stream -> function)

variable "batch_size" {
  description = "Maximum records per invocation (1 to 10000)."
  type        = number
  default     = 500

  validation {
    condition     = var.batch_size >= 1 && var.batch_size <= 10000
    error_message = "batch_size must be between 1 and 10000."
  }
}

variable "batching_window_s" {
  description = "Maximum seconds to gather records before invoking (0 to 300); 0 invokes as soon as records arrive (lowest latency during a match)."
  type        = number
  default     = 1

  validation {
    condition     = var.batching_window_s >= 0 && var.batching_window_s <= 300
    error_message = "batching_window_s must be between 0 and 300."
  }
}

variable "parallelization_factor" {
  description = "Concurrent batches per shard (1 to 10). Order is kept per partition key (shot id)."
  type        = number
  default     = 1

  validation {
    condition     = var.parallelization_factor >= 1 && var.parallelization_factor <= 10
    error_message = "parallelization_factor must be between 1 and 10."
  }
}

variable "starting_position" {
  description = "Where a new mapping starts reading the input stream: LATEST or TRIM_HORIZON."
  type        = string
  default     = "LATEST"

  validation {
    condition     = contains(["LATEST", "TRIM_HORIZON"], var.starting_position)
    error_message = "starting_position must be LATEST or TRIM_HORIZON."
  }
}

variable "maximum_retry_attempts" {
  description = "Retries of a failing batch before its metadata goes to the on-failure queue (0 to 10000). Bounded: Lambda's -1 (retry until the record expires) would let one bad batch block its shard for the stream's whole retention."
  type        = number
  default     = 10

  validation {
    condition     = var.maximum_retry_attempts >= 0 && var.maximum_retry_attempts <= 10000
    error_message = "maximum_retry_attempts must be between 0 and 10000 (bounded; -1 is not accepted)."
  }
}

variable "maximum_record_age_s" {
  description = "Records older than this many seconds are not retried but sent to the on-failure queue (60 to 604800). Bounded: -1 (no limit) is not accepted."
  type        = number
  default     = 3600

  validation {
    condition     = var.maximum_record_age_s >= 60 && var.maximum_record_age_s <= 604800
    error_message = "maximum_record_age_s must be between 60 and 604800 (bounded; -1 is not accepted)."
  }
}

variable "bisect_batch_on_error" {
  description = "Split a failing batch in two and retry each half, isolating a poison record."
  type        = bool
  default     = true
}

variable "on_failure_retention_s" {
  description = "Retention in seconds of the on-failure SQS queue that receives metadata of batches the mapping gave up on (60 to 1209600)."
  type        = number
  default     = 1209600

  validation {
    condition     = var.on_failure_retention_s >= 60 && var.on_failure_retention_s <= 1209600
    error_message = "on_failure_retention_s must be between 60 and 1209600."
  }
}

# ---------------------------------------------------------------------------------------------
# Alarms

variable "alarm_email" {
  description = "E-mail address subscribed to the alarm topic (the subscription must be confirmed). Null subscribes nobody; subscribe a pager or chat integration to the alarm_topic_arn output instead."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_email == null || can(regex("^[^@[:space:]]+@[^@[:space:]]+\\.[^@[:space:]]+$", coalesce(var.alarm_email, "a@b.c")))
    error_message = "alarm_email must be null or an e-mail address."
  }
}

variable "alarm_period_s" {
  description = "Period in seconds of every alarm's statistic (a multiple of 60)."
  type        = number
  default     = 300

  validation {
    condition     = var.alarm_period_s >= 60 && var.alarm_period_s % 60 == 0
    error_message = "alarm_period_s must be a positive multiple of 60."
  }
}

variable "iterator_age_alarm_ms" {
  description = "Alarm when the input stream's IteratorAge maximum exceeds this many milliseconds (the function is falling behind)."
  type        = number
  default     = 60000

  validation {
    condition     = var.iterator_age_alarm_ms > 0
    error_message = "iterator_age_alarm_ms must be positive."
  }
}

variable "dead_letters_alarm_count" {
  description = "Alarm when more than this many records go to the dead-letter destination in one period."
  type        = number
  default     = 0

  validation {
    condition     = var.dead_letters_alarm_count >= 0
    error_message = "dead_letters_alarm_count must be >= 0."
  }
}

variable "invalid_share_alarm" {
  description = "Alarm when the share of invalid records (InvalidShare, 0 to 1) exceeds this."
  type        = number
  default     = 0.01

  validation {
    condition     = var.invalid_share_alarm >= 0 && var.invalid_share_alarm <= 1
    error_message = "invalid_share_alarm must be between 0 and 1."
  }
}

variable "psi_prediction_alarm" {
  description = "Alarm when the population stability index of the predictions (PsiPrediction) exceeds this; 0.2 is the usual 'significant shift' line."
  type        = number
  default     = 0.2

  validation {
    condition     = var.psi_prediction_alarm > 0
    error_message = "psi_prediction_alarm must be positive."
  }
}

variable "drift_share_alarm" {
  description = "Alarm when the share of features with PSI > 0.2 (DriftShare, 0 to 1) exceeds this."
  type        = number
  default     = 0.3

  validation {
    condition     = var.drift_share_alarm >= 0 && var.drift_share_alarm <= 1
    error_message = "drift_share_alarm must be between 0 and 1."
  }
}

# ---------------------------------------------------------------------------------------------
# Site (www-dist behind CloudFront)

variable "site_price_class" {
  description = "CloudFront price class of the site: PriceClass_100 (North America, Europe), PriceClass_200 or PriceClass_All."
  type        = string
  default     = "PriceClass_100"

  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.site_price_class)
    error_message = "site_price_class must be PriceClass_100, PriceClass_200 or PriceClass_All."
  }
}

variable "site_noncurrent_version_days" {
  description = "Days a replaced object version of the site bucket is kept (for a manual rollback of an upload)."
  type        = number
  default     = 30

  validation {
    condition     = var.site_noncurrent_version_days >= 1
    error_message = "site_noncurrent_version_days must be at least 1."
  }
}

variable "site_aliases" {
  description = "Custom domain names of the site (DNS is not managed here: point a CNAME or alias record at the site_domain_name output). Needs site_acm_certificate_arn."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.site_aliases : can(regex("^([a-z0-9-]+\\.)+[a-z]{2,}$", a))])
    error_message = "site_aliases must be lowercase domain names."
  }

  # Cross-variable validation: Terraform >= 1.9 (versions.tf requires 1.11).
  validation {
    condition     = length(var.site_aliases) == 0 || var.site_acm_certificate_arn != null
    error_message = "site_aliases need site_acm_certificate_arn: CloudFront serves a custom domain only with a certificate for it."
  }
}

variable "site_acm_certificate_arn" {
  description = "ARN of an ACM certificate in us-east-1 (CloudFront only uses that region) covering site_aliases. Null serves the *.cloudfront.net certificate."
  type        = string
  default     = null

  validation {
    condition     = var.site_acm_certificate_arn == null || can(regex("^arn:aws[a-z-]*:acm:us-east-1:[0-9]{12}:certificate/", coalesce(var.site_acm_certificate_arn, "x")))
    error_message = "site_acm_certificate_arn must be null or an ACM certificate ARN in us-east-1."
  }
}

variable "site_web_acl_id" {
  description = "ARN of a WAFv2 web ACL with CLOUDFRONT scope to attach to the site's distribution. Null attaches none."
  type        = string
  default     = null

  validation {
    condition     = var.site_web_acl_id == null || can(regex("^arn:aws[a-z-]*:wafv2:us-east-1:[0-9]{12}:global/webacl/", coalesce(var.site_web_acl_id, "x")))
    error_message = "site_web_acl_id must be null or a WAFv2 web ACL ARN with CLOUDFRONT (global) scope."
  }
}

variable "site_cloudfront_log_bucket" {
  description = "Name of an existing bucket with ACLs enabled that receives CloudFront standard logs of the site. Null disables them."
  type        = string
  default     = null

  validation {
    condition     = var.site_cloudfront_log_bucket == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", coalesce(var.site_cloudfront_log_bucket, "x")))
    error_message = "site_cloudfront_log_bucket must be null or a bucket name."
  }
}
