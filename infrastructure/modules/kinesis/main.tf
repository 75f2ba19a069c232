# Streams: shots in, predictions out, and (when the dead letters go to Kinesis) invalid records.
# All encrypted at rest with the AWS-managed key alias/aws/kinesis: its key policy already lets
# principals of this account use it through Kinesis, so the function needs no kms: permission.

resource "aws_kinesis_stream" "input" {
  name             = "${var.name_prefix}-shots"
  shard_count      = var.input_stream_mode == "PROVISIONED" ? var.input_shard_count : null
  retention_period = var.retention_hours
  encryption_type  = "KMS"
  kms_key_id       = "alias/aws/kinesis"

  stream_mode_details {
    stream_mode = var.input_stream_mode
  }
}

resource "aws_kinesis_stream" "output" {
  name             = "${var.name_prefix}-predictions"
  shard_count      = var.output_stream_mode == "PROVISIONED" ? var.output_shard_count : null
  retention_period = var.retention_hours
  encryption_type  = "KMS"
  kms_key_id       = "alias/aws/kinesis"

  stream_mode_details {
    stream_mode = var.output_stream_mode
  }
}

resource "aws_kinesis_stream" "dead_letter" {
  count            = var.create_dead_letter_stream ? 1 : 0
  name             = "${var.name_prefix}-dead-letters"
  shard_count      = var.output_stream_mode == "PROVISIONED" ? var.output_shard_count : null
  retention_period = var.retention_hours
  encryption_type  = "KMS"
  kms_key_id       = "alias/aws/kinesis"

  stream_mode_details {
    stream_mode = var.output_stream_mode
  }
}
