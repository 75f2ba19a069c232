# The function's role: least privilege, every statement names its resources.
#   - read (and list) only the registry prefix;
#   - put only to the output stream and the dead-letter destination;
#   - read only the input stream (what the event source mapping does with this role);
#   - write only its own log group; send only to its on-failure queue.

data "aws_iam_policy_document" "edge_host_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "edge_host" {
  name               = "${var.name_prefix}-edge-host"
  description        = "Execution role of ${local.function_name}"
  assume_role_policy = data.aws_iam_policy_document.edge_host_assume.json
}

resource "aws_iam_role_policy" "edge_host" {
  name   = "edge-host"
  role   = aws_iam_role.edge_host.id
  policy = data.aws_iam_policy_document.edge_host.json
}

data "aws_iam_policy_document" "edge_host" {
  statement {
    sid       = "WriteOwnLogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.log_group_arn}:*"]
  }

  statement {
    sid = "ReadInputStream"
    actions = [
      "kinesis:DescribeStream",
      "kinesis:DescribeStreamSummary",
      "kinesis:GetRecords",
      "kinesis:GetShardIterator",
      "kinesis:ListShards",
      "kinesis:SubscribeToShard",
    ]
    resources = [aws_kinesis_stream.input.arn]
  }

  statement {
    sid       = "PutOutputAndDeadLetterStreams"
    actions   = ["kinesis:PutRecord", "kinesis:PutRecords"]
    resources = concat([aws_kinesis_stream.output.arn], aws_kinesis_stream.dead_letter[*].arn)
  }

  statement {
    sid       = "ReadRegistryObjects"
    actions   = ["s3:GetObject"]
    resources = ["${local.registry_bucket_arn}/${var.registry_prefix}/*"]
  }

  # Listing, restricted to the registry prefix. Without any s3:ListBucket, S3 answers a GetObject
  # for a missing key with 403 instead of 404, and edge-host reports "access denied" rather than
  # "missing" for an empty registry. Whether S3 honours this prefix-conditioned grant for that
  # 404 is not verified (no AWS account here): if a missing production.json still shows up as
  # AccessDenied, that is why, and dropping the condition is the fix (it exposes key names only).
  statement {
    sid       = "ListRegistryPrefix"
    actions   = ["s3:ListBucket"]
    resources = [local.registry_bucket_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = [var.registry_prefix, "${var.registry_prefix}/*"]
    }
  }

  dynamic "statement" {
    for_each = local.dead_letter_to_s3 ? [1] : []
    content {
      sid       = "PutDeadLetterObjects"
      actions   = ["s3:PutObject"]
      resources = ["${module.dead_letter_bucket[0].arn}/${var.dead_letter_s3_prefix}/*"]
    }
  }

  dynamic "statement" {
    for_each = var.registry_kms_key_arn == null ? [] : [var.registry_kms_key_arn]
    content {
      sid       = "DecryptRegistryObjects"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["s3.${var.aws_region}.amazonaws.com"]
      }
    }
  }

  statement {
    sid       = "SendToOnFailureQueue"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.on_failure.arn]
  }

  statement {
    sid       = "EncryptForOnFailureQueue"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [aws_kms_key.ops.arn]
  }
}
