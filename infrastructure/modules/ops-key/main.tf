# One customer-managed key for the operational plumbing that AWS-managed keys cannot serve:
# CloudWatch alarms cannot publish to an SNS topic encrypted with aws/sns, and a log group can
# only be encrypted with a key whose policy admits CloudWatch Logs. The same key encrypts the
# event source mapping's on-failure queue. The streams use the AWS-managed alias/aws/kinesis and
# the registry bucket aws/s3.

resource "aws_kms_key" "this" {
  description             = "${var.name_prefix} edge-host: alarm topic, log group, on-failure queue"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.key.json
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name_prefix}-edge-host-ops"
  target_key_id = aws_kms_key.this.key_id
}

data "aws_iam_policy_document" "key" {
  #checkov:skip=CKV_AWS_109:A key policy's Resource "*" means this key only; the account-root statement is AWS's default delegation to IAM.
  #checkov:skip=CKV_AWS_111:A key policy's Resource "*" means this key only; the account-root statement is AWS's default delegation to IAM.
  #checkov:skip=CKV_AWS_356:A key policy's Resource "*" means this key only; it cannot name anything else.
  statement {
    sid       = "AccountAdministersKeyThroughIam"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${var.partition}:iam::${var.account_id}:root"]
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
      values   = [var.log_group_arn]
    }
  }
}
