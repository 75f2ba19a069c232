variable "bucket_name" {
  description = "Name of the bucket to create (globally unique). Unused when existing_bucket_name is set."
  type        = string
}

variable "existing_bucket_name" {
  description = "Name of an existing bucket holding the registry; empty creates bucket_name."
  type        = string
}

variable "prefix" {
  description = "Key prefix of the registry inside the bucket, without leading or trailing '/'."
  type        = string
}

variable "noncurrent_version_days" {
  description = "Days a superseded object version (an old production.json) is kept in a created bucket."
  type        = number
}

variable "access_log_bucket" {
  description = "Existing bucket receiving S3 server access logs of a created bucket; null disables them."
  type        = string
  default     = null
}

variable "partition" {
  description = "AWS partition (aws, aws-cn, aws-us-gov) for ARNs."
  type        = string
}
