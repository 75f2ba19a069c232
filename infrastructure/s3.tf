# Buckets: the model registry (unless an existing one is given) and, for dead_letter_kind = "s3",
# the dead-letter bucket. Both come from modules/secure-bucket.

module "registry_bucket" {
  source = "./modules/secure-bucket"
  count  = local.create_registry_bucket ? 1 : 0

  name                    = "${var.name_prefix}-registry-${local.account_id}"
  noncurrent_version_days = var.registry_noncurrent_version_days
  access_log_bucket       = var.s3_access_log_bucket
}

module "dead_letter_bucket" {
  source = "./modules/secure-bucket"
  count  = local.dead_letter_to_s3 ? 1 : 0

  name                    = "${var.name_prefix}-dead-letters-${local.account_id}"
  noncurrent_version_days = 1
  expiration_days         = var.dead_letter_s3_expiration_days
  access_log_bucket       = var.s3_access_log_bucket
}
