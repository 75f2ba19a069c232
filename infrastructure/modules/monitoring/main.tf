# Alarms and a dashboard over the function (AWS/Lambda) and edge-host's own EMF metrics
# (var.metrics_namespace, single dimension FunctionName; edge-host/src/drift.rs). Metric names
# must match what edge-host emits: if one changes, the alarms and widgets silently see no data.

resource "aws_sns_topic" "alarms" {
  name              = "${var.function_name}-alarms"
  kms_master_key_id = var.kms_key_arn
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
      description = "Invalid records went to the dead-letter destination (${var.dead_letter_target})."
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

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name          = "${var.function_name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  statistic           = each.value.statistic
  dimensions          = { FunctionName = var.function_name }
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

locals {
  # Metrics are [namespace, name, "FunctionName", function, {options}] as the dashboard body
  # wants them. Six widgets, two per row: drift, drift share, iterator age, errors, dead-letter rate,
  # throughput. Horizontal lines mark the alarm thresholds.
  widgets = [
    {
      type = "metric", x = 0, y = 0, width = 12, height = 6
      properties = {
        title       = "Drift: PSI of the predictions and of the worst feature"
        view        = "timeSeries", region = var.aws_region, period = var.alarm_period_s, stat = "Maximum"
        metrics     = [[var.metrics_namespace, "PsiPrediction", "FunctionName", var.function_name], [var.metrics_namespace, "PsiFeatureMax", "FunctionName", var.function_name]]
        annotations = { horizontal = [{ label = "psi-prediction alarm", value = var.psi_prediction_alarm }] }
        yAxis       = { left = { min = 0 } }
      }
    },
    {
      type = "metric", x = 12, y = 0, width = 12, height = 6
      properties = {
        title   = "Drift share (features with PSI > 0.2) and invalid share"
        view    = "timeSeries", region = var.aws_region, period = var.alarm_period_s, stat = "Maximum"
        metrics = [[var.metrics_namespace, "DriftShare", "FunctionName", var.function_name], [var.metrics_namespace, "InvalidShare", "FunctionName", var.function_name]]
        annotations = { horizontal = [
          { label = "drift-share alarm", value = var.drift_share_alarm },
          { label = "invalid-share alarm", value = var.invalid_share_alarm },
        ] }
        yAxis = { left = { min = 0, max = 1 } }
      }
    },
    {
      type = "metric", x = 0, y = 6, width = 12, height = 6
      properties = {
        title       = "Iterator age of the input stream (ms)"
        view        = "timeSeries", region = var.aws_region, period = var.alarm_period_s, stat = "Maximum"
        metrics     = [[local.lambda_namespace, "IteratorAge", "FunctionName", var.function_name]]
        annotations = { horizontal = [{ label = "iterator-age alarm", value = var.iterator_age_alarm_ms }] }
        yAxis       = { left = { min = 0 } }
      }
    },
    {
      type = "metric", x = 12, y = 6, width = 12, height = 6
      properties = {
        title = "Errors: failed invocations, throttles, records handed back, refused models"
        view  = "timeSeries", region = var.aws_region, period = var.alarm_period_s, stat = "Sum"
        metrics = [
          [local.lambda_namespace, "Errors", "FunctionName", var.function_name],
          [local.lambda_namespace, "Throttles", "FunctionName", var.function_name],
          [var.metrics_namespace, "BatchItemFailures", "FunctionName", var.function_name],
          [var.metrics_namespace, "ModelReloadFailures", "FunctionName", var.function_name],
        ]
      }
    },
    {
      type = "metric", x = 0, y = 12, width = 12, height = 6
      properties = {
        title = "Dead-letter rate (% of records in)"
        view  = "timeSeries", region = var.aws_region, period = var.alarm_period_s, stat = "Sum"
        metrics = [
          [{ id = "rate", expression = "100 * dead / records", label = "dead letters / records in (%)" }],
          [var.metrics_namespace, "DeadLetters", "FunctionName", var.function_name, { id = "dead", visible = false }],
          [var.metrics_namespace, "RecordsIn", "FunctionName", var.function_name, { id = "records", visible = false }],
        ]
        yAxis = { left = { min = 0 } }
      }
    },
    {
      type = "metric", x = 12, y = 12, width = 12, height = 6
      properties = {
        title = "Throughput: records in, scored, dead letters"
        view  = "timeSeries", region = var.aws_region, period = var.alarm_period_s, stat = "Sum"
        metrics = [
          [var.metrics_namespace, "RecordsIn", "FunctionName", var.function_name],
          [var.metrics_namespace, "RecordsScored", "FunctionName", var.function_name],
          [var.metrics_namespace, "DeadLetters", "FunctionName", var.function_name],
        ]
      }
    },
  ]
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.function_name
  dashboard_body = jsonencode({ widgets = local.widgets })
}
