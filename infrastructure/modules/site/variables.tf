variable "name" {
  description = "Prefix of the CloudFront resource names (origin access control, headers policy)."
  type        = string
}

variable "bucket_name" {
  description = "Name of the site bucket to create (globally unique)."
  type        = string
}

variable "noncurrent_version_days" {
  description = "Days a replaced object version is kept."
  type        = number
}

variable "access_log_bucket" {
  description = "Existing bucket receiving S3 server access logs of the site bucket; null disables them."
  type        = string
  default     = null
}

variable "price_class" {
  description = "CloudFront price class: PriceClass_100, PriceClass_200 or PriceClass_All."
  type        = string
}

variable "aliases" {
  description = "Custom domain names of the site (need acm_certificate_arn); empty serves *.cloudfront.net only."
  type        = list(string)
  default     = []
}

variable "acm_certificate_arn" {
  description = "ACM certificate (in us-east-1) covering aliases, or null for the *.cloudfront.net certificate."
  type        = string
  default     = null
}

variable "web_acl_id" {
  description = "ARN of a WAFv2 web ACL (CLOUDFRONT scope) to attach, or null."
  type        = string
  default     = null
}

variable "cloudfront_log_bucket" {
  description = "Name of an existing ACL-enabled bucket for CloudFront standard logs, or null."
  type        = string
  default     = null
}
