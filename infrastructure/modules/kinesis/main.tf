# Streams: shots in, predictions out, and (when the dead letters go to Kinesis) invalid records.
# All encrypted at rest with the AWS-managed key alias/aws/kinesis: its key policy already lets
# principals of this account use it through Kinesis, so the function needs no kms: permission.

locals {
  # One entry per stream: its name and capacity. The dead-letter stream gets the output stream's
  # capacity (it receives at most as many records) and exists only when the dead letters go to
  # Kinesis.
  streams = {
    input       = { name = "${var.name_prefix}-shots", mode = var.input_stream_mode, shards = var.input_shard_count }
    output      = { name = "${var.name_prefix}-predictions", mode = var.output_stream_mode, shards = var.output_shard_count }
    dead_letter = { name = "${var.name_prefix}-dead-letters", mode = var.output_stream_mode, shards = var.output_shard_count }
  }
}

resource "aws_kinesis_stream" "this" {
  for_each = { for key, stream in local.streams : key => stream if key != "dead_letter" || var.create_dead_letter_stream }

  name             = each.value.name
  shard_count      = each.value.mode == "PROVISIONED" ? each.value.shards : null
  retention_period = var.retention_hours
  encryption_type  = "KMS"
  kms_key_id       = "alias/aws/kinesis"

  stream_mode_details {
    stream_mode = each.value.mode
  }
}
