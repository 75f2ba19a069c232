variable "role_name" {
  description = "Name of the execution role."
  type        = string
}

variable "function_name" {
  description = "Name of the function the role is for (in the role's description)."
  type        = string
}

variable "account_id" {
  description = "Account the function runs in: only Lambda acting for it may assume the role."
  type        = string
}

variable "aws_region" {
  description = "Region of the registry bucket (for the kms:ViaService condition)."
  type        = string
}

variable "log_group_arn" {
  description = "ARN of the function's log group (without the trailing :*)."
  type        = string
}

variable "input_stream_arn" {
  description = "ARN of the stream the event source mapping reads."
  type        = string
}

variable "put_stream_arns" {
  description = "ARNs of the streams the function writes: the output stream and, if any, the dead-letter stream."
  type        = list(string)
}

variable "registry_bucket_arn" {
  description = "ARN of the registry bucket."
  type        = string
}

variable "registry_prefix" {
  description = "Key prefix of the registry: the only prefix the role may list."
  type        = string
}

variable "registry_object_arns" {
  description = "Object ARNs the function reads from the registry (the registry module's serving_object_arns)."
  type        = list(string)
}

variable "registry_kms_key_arn" {
  description = "Customer-managed key of an existing registry bucket, or null (SSE-S3 or aws/s3 need no grant)."
  type        = string
  default     = null
}

variable "dead_letter_object_arns" {
  description = "Object ARN pattern of the S3 dead-letter prefix, as a list: empty when dead letters go to Kinesis."
  type        = list(string)
}

variable "on_failure_queue_arn" {
  description = "ARN of the event source mapping's on-failure queue."
  type        = string
}

variable "ops_key_arn" {
  description = "ARN of the key encrypting the on-failure queue."
  type        = string
}
