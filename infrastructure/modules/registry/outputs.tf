output "bucket_name" {
  description = "Name of the registry bucket (created or existing)."
  value       = local.bucket
}

output "bucket_arn" {
  description = "ARN of the registry bucket."
  value       = local.bucket_arn
}

output "prefix" {
  description = "Key prefix of the registry inside the bucket."
  value       = var.prefix
}

output "url" {
  description = "The registry as edge-host and the trainer name it: s3://BUCKET/PREFIX (XGOALS_REGISTRY, `trainer registry --registry`)."
  value       = "s3://${local.bucket}/${var.prefix}"
}

# Exactly the keys edge-host reads (edge-host/src/registry.rs): the alias, and the files of a
# version (it reads manifest.json and the model file the manifest names). Nothing outside the
# registry prefix.
output "serving_object_arns" {
  description = "Object ARNs the serving function may read: <prefix>/production.json and <prefix>/versions/*."
  value = [
    "${local.bucket_arn}/${var.prefix}/production.json",
    "${local.bucket_arn}/${var.prefix}/versions/*",
  ]
}
