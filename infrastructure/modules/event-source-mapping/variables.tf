variable "queue_name" {
  description = "Name of the on-failure SQS queue."
  type        = string
}

variable "stream_arn" {
  description = "ARN of the input stream."
  type        = string
}

variable "function_arn" {
  description = "ARN of the function the mapping invokes."
  type        = string
}

variable "starting_position" {
  description = "Where a new mapping starts reading: LATEST or TRIM_HORIZON."
  type        = string
}

variable "batch_size" {
  description = "Maximum records per invocation (1 to 10000)."
  type        = number
}

variable "batching_window_s" {
  description = "Maximum seconds to gather records before invoking (0 to 300)."
  type        = number
}

variable "parallelization_factor" {
  description = "Concurrent batches per shard (1 to 10)."
  type        = number
}

variable "bisect_batch_on_error" {
  description = "Split a failing batch in two and retry each half."
  type        = bool
}

# Bounded on purpose: -1 (Lambda's "until the record expires") is refused here, whatever the caller.
variable "maximum_retry_attempts" {
  description = "Retries of a failing batch before its metadata goes to the on-failure queue (0 to 10000; unbounded -1 is refused)."
  type        = number

  validation {
    condition     = var.maximum_retry_attempts >= 0 && var.maximum_retry_attempts <= 10000
    error_message = "maximum_retry_attempts must be between 0 and 10000 (bounded)."
  }
}

variable "maximum_record_age_s" {
  description = "Records older than this are sent to the on-failure queue instead of retried (60 to 604800; unbounded -1 is refused)."
  type        = number

  validation {
    condition     = var.maximum_record_age_s >= 60 && var.maximum_record_age_s <= 604800
    error_message = "maximum_record_age_s must be between 60 and 604800 (bounded)."
  }
}

variable "on_failure_retention_s" {
  description = "Retention of the on-failure queue in seconds (60 to 1209600)."
  type        = number
}

variable "kms_key_arn" {
  description = "Key encrypting the on-failure queue."
  type        = string
}
