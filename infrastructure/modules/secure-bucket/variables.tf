variable "name" {
  description = "Globally unique bucket name."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.name))
    error_message = "name must be a valid S3 bucket name."
  }
}

variable "noncurrent_version_days" {
  description = "Days a superseded object version is kept before it expires."
  type        = number

  validation {
    condition     = var.noncurrent_version_days >= 1
    error_message = "noncurrent_version_days must be at least 1."
  }
}

variable "expiration_days" {
  description = "Days after which current objects expire. Null keeps them forever (the registry's immutable versions)."
  type        = number
  default     = null
}

variable "access_log_bucket" {
  description = "Existing bucket receiving server access logs of this bucket. Null disables access logging."
  type        = string
  default     = null
}

variable "sse_algorithm" {
  description = "Default encryption of new objects: aws:kms (SSE-KMS under the AWS-managed aws/s3 key) or AES256 (SSE-S3, for readers that cannot use aws/s3, such as CloudFront's origin access control)."
  type        = string
  default     = "aws:kms"

  validation {
    condition     = contains(["aws:kms", "AES256"], var.sse_algorithm)
    error_message = "sse_algorithm must be aws:kms or AES256."
  }
}

variable "policy_documents" {
  description = "IAM policy documents (JSON) whose statements are added to the bucket policy before the TLS-only Deny; their sids must be unique."
  type        = list(string)
  default     = []
}
