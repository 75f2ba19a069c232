# One customer-managed key for the operational plumbing that AWS-managed keys cannot serve:
# CloudWatch alarms cannot publish to an SNS topic encrypted with aws/sns, and a log group can
# only be encrypted with a key whose policy admits CloudWatch Logs. The same key encrypts the
# on-failure queue. The streams use the AWS-managed alias/aws/kinesis and the registry aws/s3.

resource "aws_kms_key" "ops" {
  description             = "${var.name_prefix} edge-host: alarm topic, log group, on-failure queue"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.ops_key.json
}

resource "aws_kms_alias" "ops" {
  name          = "alias/${var.name_prefix}-edge-host-ops"
  target_key_id = aws_kms_key.ops.key_id
}

data "aws_iam_policy_document" "ops_key" {
  #checkov:skip=CKV_AWS_109:A key policy's Resource "*" means this key only; the account-root statement is AWS's default delegation to IAM.
  #checkov:skip=CKV_AWS_111:A key policy's Resource "*" means this key only; the account-root statement is AWS's default delegation to IAM.
  #checkov:skip=CKV_AWS_356:A key policy's Resource "*" means this key only; it cannot name anything else.
  statement {
    sid       = "AccountAdministersKeyThroughIam"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchAlarmsPublishToEncryptedTopic"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
  }

  statement {
    sid       = "CloudWatchLogsEncryptsTheFunctionLogGroup"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${var.aws_region}.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = [local.log_group_arn]
    }
  }
}
