# Input stream -> function, with the failure handling edge-host is written for:
#   - partial batch responses: the function returns {"batchItemFailures": [...]} for records it
#     could not write, and only those (and what follows them in the shard) are retried;
#   - a batch that fails as a whole is split in two and retried (bisect), isolating a poison
#     record;
#   - retries are bounded in count and in record age, so one stuck shard cannot stall for the
#     stream's whole retention;
#   - what the mapping gives up on goes, as metadata (shard, sequence range), to an SQS queue;
#     the records stay in the input stream until its retention ends and can be replayed.
# Invalid records are not failures: the function routes them to the dead-letter destination
# itself and reports them as processed.

# The on-failure destination. Encrypted with the ops key; the function's role may send to it.
resource "aws_sqs_queue" "on_failure" {
  name                      = var.queue_name
  message_retention_seconds = var.on_failure_retention_s
  kms_master_key_id         = var.kms_key_arn
}

resource "aws_lambda_event_source_mapping" "this" {
  event_source_arn  = var.stream_arn
  function_name     = var.function_arn
  starting_position = var.starting_position

  batch_size                         = var.batch_size
  maximum_batching_window_in_seconds = var.batching_window_s
  parallelization_factor             = var.parallelization_factor

  function_response_types = ["ReportBatchItemFailures"]

  bisect_batch_on_function_error = var.bisect_batch_on_error
  maximum_retry_attempts         = var.maximum_retry_attempts
  maximum_record_age_in_seconds  = var.maximum_record_age_s

  destination_config {
    on_failure {
      destination_arn = aws_sqs_queue.on_failure.arn
    }
  }
}
