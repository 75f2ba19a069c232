# Addresses of the flat layout this configuration had before the modules: a state written by it
# is moved, not destroyed and re-created (the streams would lose their records, the registry
# bucket its models). Harmless for a new state. Remove once no such state exists.

moved {
  from = aws_kinesis_stream.input
  to   = module.kinesis.aws_kinesis_stream.input
}

moved {
  from = aws_kinesis_stream.output
  to   = module.kinesis.aws_kinesis_stream.output
}

moved {
  from = aws_kinesis_stream.dead_letter
  to   = module.kinesis.aws_kinesis_stream.dead_letter
}

moved {
  from = module.registry_bucket
  to   = module.registry.module.bucket
}

moved {
  from = aws_kms_key.ops
  to   = module.ops_key.aws_kms_key.this
}

moved {
  from = aws_kms_alias.ops
  to   = module.ops_key.aws_kms_alias.this
}

moved {
  from = aws_iam_role.edge_host
  to   = module.iam.aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.edge_host
  to   = module.iam.aws_iam_role_policy.this
}

moved {
  from = aws_cloudwatch_log_group.edge_host
  to   = module.lambda.aws_cloudwatch_log_group.this
}

moved {
  from = aws_lambda_function.edge_host
  to   = module.lambda.aws_lambda_function.this
}

moved {
  from = aws_sqs_queue.on_failure
  to   = module.event_source_mapping.aws_sqs_queue.on_failure
}

moved {
  from = aws_lambda_event_source_mapping.shots
  to   = module.event_source_mapping.aws_lambda_event_source_mapping.this
}

moved {
  from = aws_sns_topic.alarms
  to   = module.monitoring.aws_sns_topic.alarms
}

moved {
  from = aws_sns_topic_subscription.alarm_email
  to   = module.monitoring.aws_sns_topic_subscription.alarm_email
}

moved {
  from = aws_cloudwatch_metric_alarm.edge_host
  to   = module.monitoring.aws_cloudwatch_metric_alarm.this
}
