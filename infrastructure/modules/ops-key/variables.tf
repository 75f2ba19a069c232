variable "name_prefix" {
  description = "Prefix of the key alias: alias/<prefix>-edge-host-ops."
  type        = string
}

variable "aws_region" {
  description = "Region of the log group the key encrypts (CloudWatch Logs is a regional principal)."
  type        = string
}

variable "account_id" {
  description = "Account that owns the key and administers it through IAM."
  type        = string
}

variable "partition" {
  description = "AWS partition (aws, aws-cn, aws-us-gov) for ARNs."
  type        = string
}

variable "log_group_arn" {
  description = "ARN of the function's log group, built from its name so the key policy needs no reference to the resource (the log group is encrypted with this key)."
  type        = string
}
