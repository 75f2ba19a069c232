variable "function_name" {
  description = "Name of the function (also the FunctionName dimension of its EMF metrics)."
  type        = string
}

variable "description" {
  description = "Description of the function shown in the console."
  type        = string
}

variable "role_arn" {
  description = "ARN of the execution role (the iam module's role_arn)."
  type        = string
}

variable "zip_path" {
  description = "Path of the bootstrap zip written by edge-host/scripts/package.sh."
  type        = string
}

variable "architecture" {
  description = "arm64 or x86_64; must match the zip."
  type        = string
}

variable "memory_mb" {
  description = "Memory of the function in MB."
  type        = number
}

variable "timeout_s" {
  description = "Timeout of one invocation (one batch) in seconds."
  type        = number
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions, or null for unreserved."
  type        = number
  default     = null
}

variable "log_group_name" {
  description = "The log group Lambda writes to: /aws/lambda/<function_name>."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the log group in days."
  type        = number
}

variable "log_kms_key_arn" {
  description = "Key encrypting the log group (its policy must admit CloudWatch Logs for this group)."
  type        = string
}

variable "registry_url" {
  description = "XGOALS_REGISTRY: s3://BUCKET/PREFIX."
  type        = string
}

variable "model_version" {
  description = "XGOALS_MODEL_VERSION: a version to pin, or empty to follow production.json."
  type        = string
}

variable "model_recheck_s" {
  description = "XGOALS_MODEL_RECHECK_S: seconds between re-reads of production.json."
  type        = number
}

variable "output_stream_name" {
  description = "XGOALS_OUTPUT_STREAM: the output stream's name."
  type        = string
}

variable "dead_letter_target" {
  description = "XGOALS_DEAD_LETTER: kinesis:STREAM or s3://BUCKET/PREFIX."
  type        = string
}

variable "put_max_attempts" {
  description = "XGOALS_PUT_MAX_ATTEMPTS: attempts per PutRecords call."
  type        = number
}

variable "drift_window" {
  description = "XGOALS_DRIFT_WINDOW: shots in the rolling drift window."
  type        = number
}

variable "metrics_namespace" {
  description = "XGOALS_METRICS_NAMESPACE: CloudWatch namespace of the EMF metrics."
  type        = string
}
