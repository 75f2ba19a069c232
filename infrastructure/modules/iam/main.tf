# The function's execution role: least privilege, every statement names its resources and no
# action has a wildcard.
#   - write only its own log group;
#   - read only the input stream (what the event source mapping does with this role);
#   - put only to the output stream and the dead-letter destination;
#   - read only the registry keys edge-host reads, list only under the registry prefix;
#   - send only to the mapping's on-failure queue.

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = var.role_name
  description        = "Execution role of the ${var.function_name} function"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

resource "aws_iam_role_policy" "this" {
  name   = "edge-host"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}

data "aws_iam_policy_document" "this" {
  statement {
    sid       = "WriteOwnLogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${var.log_group_arn}:*"]
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
    resources = [var.input_stream_arn]
  }

  statement {
    sid       = "PutOutputAndDeadLetterStreams"
    actions   = ["kinesis:PutRecord", "kinesis:PutRecords"]
    resources = var.put_stream_arns
  }

  statement {
    sid       = "ReadRegistryObjects"
    actions   = ["s3:GetObject"]
    resources = var.registry_object_arns
  }

  # Listing, restricted to the registry prefix. Without any s3:ListBucket, S3 answers a GetObject
  # for a missing key with 403 instead of 404, and edge-host reports "access denied" rather than
  # "missing" for an empty registry. Whether S3 honours this prefix-conditioned grant for that
  # 404 is not verified against AWS: if a missing production.json still shows up as
  # AccessDenied, that is why, and dropping the condition is the fix (it exposes key names only).
  statement {
    sid       = "ListRegistryPrefix"
    actions   = ["s3:ListBucket"]
    resources = [var.registry_bucket_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = [var.registry_prefix, "${var.registry_prefix}/*"]
    }
  }

  dynamic "statement" {
    for_each = length(var.dead_letter_object_arns) > 0 ? [1] : []
    content {
      sid       = "PutDeadLetterObjects"
      actions   = ["s3:PutObject"]
      resources = var.dead_letter_object_arns
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
    resources = [var.on_failure_queue_arn]
  }

  statement {
    sid       = "EncryptForOnFailureQueue"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [var.ops_key_arn]
  }
}
