# The model registry the trainer writes (`trainer registry`, `trainer pipeline`) and edge-host
# reads. Its layout is the trainer's (trainer/src/registry.rs), under `prefix`:
#
#   versions/<version>/model.xgm, report.md, ...   immutable once manifest.json exists
#   versions/<version>/manifest.json               written last
#   production.json                                the alias: { version, previous, ... }
#
# A created bucket comes from ../secure-bucket: versioned (so an overwritten production.json can
# be restored), SSE-KMS under aws/s3, every public access path blocked, TLS only, and a lifecycle
# that expires superseded object versions after `noncurrent_version_days`. Or name an existing
# bucket (`existing_bucket_name`), e.g. the one the trainer already publishes to.

locals {
  create     = var.existing_bucket_name == ""
  bucket     = local.create ? module.bucket[0].name : var.existing_bucket_name
  bucket_arn = "arn:${var.partition}:s3:::${local.bucket}"
}

module "bucket" {
  source = "../secure-bucket"
  count  = local.create ? 1 : 0

  name                    = var.bucket_name
  noncurrent_version_days = var.noncurrent_version_days
  access_log_bucket       = var.access_log_bucket
}
