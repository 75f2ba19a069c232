# Alarms on the function (AWS/Lambda) and on edge-host's own EMF metrics (var.metrics_namespace,
# dimension FunctionName), all to one SNS topic. Metric names must match what edge-host emits.

resource "aws_sns_topic" "alarms" {
  name              = "${var.name_prefix}-edge-host-alarms"
  kms_master_key_id = aws_kms_key.ops.arn
}

resource "aws_sns_topic_subscription" "alarm_email" {
  count     = var.alarm_email == null ? 0 : 1
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

locals {
  lambda_namespace = "AWS/Lambda"

  # One entry per alarm: where the metric lives, how it is reduced over a period, and when it is
  # bad. Drift alarms want several bad periods in a row: a short window right after a model
  # change or at kick-off is noisy.
  alarms = {
    lambda-errors = {
      namespace   = local.lambda_namespace
      metric      = "Errors"
      statistic   = "Sum"
      threshold   = 0
      periods     = 1
      description = "The function failed whole invocations (crash, timeout, no loadable model at cold start); the mapping retries the batch."
    }
    iterator-age = {
      namespace   = local.lambda_namespace
      metric      = "IteratorAge"
      statistic   = "Maximum"
      threshold   = var.iterator_age_alarm_ms
      periods     = 1
      description = "Records wait too long in the input stream: the function is failing or falling behind."
    }
    batch-item-failures = {
      namespace   = var.metrics_namespace
      metric      = "BatchItemFailures"
      statistic   = "Sum"
      threshold   = 0
      periods     = 1
      description = "Records could not be written to the output stream after all PutRecords attempts and were handed back for retry."
    }
    dead-letters = {
      namespace   = var.metrics_namespace
      metric      = "DeadLetters"
      statistic   = "Sum"
      threshold   = var.dead_letters_alarm_count
      periods     = 1
      description = "Invalid records went to the dead-letter destination (${local.dead_letter_target})."
    }
    invalid-share = {
      namespace   = var.metrics_namespace
      metric      = "InvalidShare"
      statistic   = "Maximum"
      threshold   = var.invalid_share_alarm
      periods     = 1
      description = "The share of invalid records is high: a producer changed its format?"
    }
    psi-prediction = {
      namespace   = var.metrics_namespace
      metric      = "PsiPrediction"
      statistic   = "Maximum"
      threshold   = var.psi_prediction_alarm
      periods     = 3
      description = "The distribution of predictions drifted from the model manifest's reference (PSI)."
    }
    drift-share = {
      namespace   = var.metrics_namespace
      metric      = "DriftShare"
      statistic   = "Maximum"
      threshold   = var.drift_share_alarm
      periods     = 3
      description = "Too many features drifted (PSI > 0.2) from the model manifest's reference distributions."
    }
    model-reload-failures = {
      namespace   = var.metrics_namespace
      metric      = "ModelReloadFailures"
      statistic   = "Sum"
      threshold   = 0
      periods     = 1
      description = "A promoted or pinned model was refused (corrupt, sha256 or feature-set mismatch); the last good model keeps serving."
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "edge_host" {
  for_each = local.alarms

  alarm_name          = "${local.function_name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  statistic           = each.value.statistic
  dimensions          = { FunctionName = aws_lambda_function.edge_host.function_name }
  period              = var.alarm_period_s
  evaluation_periods  = each.value.periods
  datapoints_to_alarm = each.value.periods
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.threshold
  # No data means no records (or no invocations): not an alarm.
  treat_missing_data = "notBreaching"

  alarm_actions = [aws_sns_topic.alarms.arn]
  ok_actions    = [aws_sns_topic.alarms.arn]
}
