output "uuid" {
  description = "UUID of the mapping (for `aws lambda update-event-source-mapping --uuid`)."
  value       = aws_lambda_event_source_mapping.this.uuid
}

output "on_failure_queue_arn" {
  description = "ARN of the on-failure queue."
  value       = aws_sqs_queue.on_failure.arn
}

output "on_failure_queue_url" {
  description = "URL of the on-failure queue: metadata of batches the mapping gave up on (shard and sequence range to replay)."
  value       = aws_sqs_queue.on_failure.url
}
