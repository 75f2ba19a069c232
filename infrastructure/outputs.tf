output "input_stream_name" {
  description = "Kinesis stream producers put shot records on (partition key: shot id)."
  value       = aws_kinesis_stream.input.name
}

output "input_stream_arn" {
  description = "ARN of the input stream."
  value       = aws_kinesis_stream.input.arn
}

output "output_stream_name" {
  description = "Kinesis stream the predictions are written to (XGOALS_OUTPUT_STREAM)."
  value       = aws_kinesis_stream.output.name
}

output "output_stream_arn" {
  description = "ARN of the output stream."
  value       = aws_kinesis_stream.output.arn
}

output "dead_letter" {
  description = "The dead-letter destination as the function sees it (XGOALS_DEAD_LETTER)."
  value       = local.dead_letter_target
}

output "registry_url" {
  description = "The model registry (XGOALS_REGISTRY); pass it to `trainer registry --registry`."
  value       = local.edge_host_environment.XGOALS_REGISTRY
}

output "registry_bucket" {
  description = "Name of the registry bucket (created or existing)."
  value       = local.registry_bucket
}

output "function_name" {
  description = "Name of the edge-host function (also the FunctionName dimension of its metrics)."
  value       = aws_lambda_function.edge_host.function_name
}

output "function_arn" {
  description = "ARN of the edge-host function."
  value       = aws_lambda_function.edge_host.arn
}

output "function_environment" {
  description = "The environment the function runs with (edge-host's configuration contract)."
  value       = local.edge_host_environment
}

output "log_group_name" {
  description = "CloudWatch log group of the function (logs and EMF metric lines)."
  value       = aws_cloudwatch_log_group.edge_host.name
}

output "event_source_mapping_uuid" {
  description = "UUID of the input stream -> function mapping (for `aws lambda update-event-source-mapping`)."
  value       = aws_lambda_event_source_mapping.shots.uuid
}

output "on_failure_queue_url" {
  description = "SQS queue holding metadata of batches the mapping gave up on (shard and sequence range to replay)."
  value       = aws_sqs_queue.on_failure.url
}

output "alarm_topic_arn" {
  description = "SNS topic every alarm notifies; subscribe on-call tooling to it."
  value       = aws_sns_topic.alarms.arn
}

output "alarm_names" {
  description = "Names of the CloudWatch alarms."
  value       = [for a in aws_cloudwatch_metric_alarm.edge_host : a.alarm_name]
}
