# The edge-host function, its log group, and the event source mapping from the input stream.

resource "aws_cloudwatch_log_group" "edge_host" {
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.ops.arn
}

resource "aws_lambda_function" "edge_host" {
  #checkov:skip=CKV_AWS_116:A function-level DLQ only catches asynchronous invocations; the Kinesis mapping invokes synchronously and has its own on-failure destination (aws_sqs_queue.on_failure).
  #checkov:skip=CKV_AWS_117:The function talks only to AWS APIs (Kinesis, S3, CloudWatch Logs) and no VPC resources; a VPC would add NAT or endpoint cost and cold-start latency for nothing.
  #checkov:skip=CKV_AWS_173:The environment holds only stream names, an S3 URL and tuning numbers, no secrets; Lambda encrypts it at rest with its AWS-managed key.
  #checkov:skip=CKV_AWS_272:Code signing needs an AWS Signer profile; the zip is built from this repository by CI and deployed by Terraform with its sha256 (source_code_hash).
  function_name = local.function_name
  description   = "xgoals edge-host: scores shots from ${aws_kinesis_stream.input.name} into ${aws_kinesis_stream.output.name}"
  role          = aws_iam_role.edge_host.arn

  runtime       = "provided.al2023"
  handler       = "bootstrap"
  architectures = [var.architecture]

  filename         = local.lambda_zip_path
  source_code_hash = filebase64sha256(local.lambda_zip_path)

  memory_size = var.lambda_memory_mb
  timeout     = var.lambda_timeout_s
  # -1 is the provider's "unreserved".
  reserved_concurrent_executions = var.reserved_concurrency == null ? -1 : var.reserved_concurrency

  environment {
    variables = local.edge_host_environment
  }

  tracing_config {
    mode = "PassThrough"
  }

  depends_on = [aws_cloudwatch_log_group.edge_host, aws_iam_role_policy.edge_host]
}

# Receives the metadata (shard, sequence range) of batches the mapping gave up on after
# maximum_retry_attempts / maximum_record_age_s; the records themselves stay in the input stream
# until its retention ends and can be replayed from there.
resource "aws_sqs_queue" "on_failure" {
  name                      = "${var.name_prefix}-edge-host-on-failure"
  message_retention_seconds = var.on_failure_retention_s
  kms_master_key_id         = aws_kms_key.ops.arn
}

resource "aws_lambda_event_source_mapping" "shots" {
  event_source_arn  = aws_kinesis_stream.input.arn
  function_name     = aws_lambda_function.edge_host.arn
  starting_position = var.starting_position

  batch_size                         = var.batch_size
  maximum_batching_window_in_seconds = var.batching_window_s
  parallelization_factor             = var.parallelization_factor

  # The function returns {"batchItemFailures": [...]} for records it could not write; only
  # those (and what follows them in the shard) are retried.
  function_response_types = ["ReportBatchItemFailures"]

  maximum_retry_attempts         = var.maximum_retry_attempts
  maximum_record_age_in_seconds  = var.maximum_record_age_s
  bisect_batch_on_function_error = var.bisect_batch_on_error

  destination_config {
    on_failure {
      destination_arn = aws_sqs_queue.on_failure.arn
    }
  }

  # The mapping checks the role's permissions when it is created.
  depends_on = [aws_iam_role_policy.edge_host]
}
