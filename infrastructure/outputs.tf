# What deployments, producers, consumers and people need (docs/DEPLOY.md uses these names).

output "input_stream_name" {
  description = "Kinesis stream producers put shot records on (partition key: shot id)."
  value       = module.kinesis.input_stream_name
}

output "output_stream_name" {
  description = "Kinesis stream the predictions are written to (XGOALS_OUTPUT_STREAM)."
  value       = module.kinesis.output_stream_name
}

output "dead_letter_stream_name" {
  description = "Kinesis stream of invalid records, or null when dead letters go to S3 (see dead_letter)."
  value       = one(module.kinesis.dead_letter_stream_names)
}

output "dead_letter" {
  description = "The dead-letter destination as the function sees it (XGOALS_DEAD_LETTER): kinesis:STREAM or s3://BUCKET/PREFIX."
  value       = local.dead_letter_target
}

output "dead_letter_bucket_name" {
  description = "Bucket of the S3 dead letters, or null when dead letters go to Kinesis."
  value       = one(module.dead_letter_bucket[*].name)
}

output "registry_bucket_name" {
  description = "Name of the model registry bucket (created or existing)."
  value       = module.registry.bucket_name
}

output "registry_url" {
  description = "The model registry (XGOALS_REGISTRY); pass it to `trainer registry --registry`."
  value       = module.registry.url
}

output "function_name" {
  description = "Name of the edge-host function (also the FunctionName dimension of its metrics)."
  value       = module.lambda.function_name
}

output "function_environment" {
  description = "The environment the function runs with (edge-host's configuration contract)."
  value       = module.lambda.environment
}

output "log_group_name" {
  description = "CloudWatch log group of the function (logs and EMF metric lines)."
  value       = module.lambda.log_group_name
}

output "event_source_mapping_uuid" {
  description = "UUID of the input stream -> function mapping (for `aws lambda update-event-source-mapping`)."
  value       = module.event_source_mapping.uuid
}

output "on_failure_queue_url" {
  description = "SQS queue holding metadata of batches the mapping gave up on (shard and sequence range to replay)."
  value       = module.event_source_mapping.on_failure_queue_url
}

output "alarm_topic_arn" {
  description = "SNS topic every alarm notifies; subscribe on-call tooling to it."
  value       = module.monitoring.alarm_topic_arn
}

output "alarm_names" {
  description = "Names of the CloudWatch alarms."
  value       = module.monitoring.alarm_names
}

output "dashboard_name" {
  description = "CloudWatch dashboard with drift, iterator age, errors and the dead-letter rate."
  value       = module.monitoring.dashboard_name
}

output "site_bucket_name" {
  description = "Bucket the web app (www-dist) is uploaded to (scripts/upload-site.sh)."
  value       = module.site.bucket_name
}

output "site_distribution_id" {
  description = "CloudFront distribution of the site (invalidated after an upload)."
  value       = module.site.distribution_id
}

output "site_domain_name" {
  description = "The distribution's *.cloudfront.net domain (target of DNS records for site_aliases)."
  value       = module.site.domain_name
}

output "site_url" {
  description = "URL of the web app."
  value       = module.site.url
}
