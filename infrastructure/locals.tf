# Names and the function's environment, defined once.

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  function_name  = "${var.name_prefix}-edge-host"
  log_group_name = "/aws/lambda/${local.function_name}"
  # Built from its parts (not read from the resource) so the KMS key policy can name it without
  # a dependency cycle (the log group is encrypted with that key).
  log_group_arn = "arn:${local.partition}:logs:${var.aws_region}:${local.account_id}:log-group:${local.log_group_name}"

  # The packaging command's output paths (see ../README.md), relative to this directory.
  default_zip_path = {
    arm64  = "${path.module}/../target/lambda/edge-host-arm64/bootstrap.zip"
    x86_64 = "${path.module}/../target/lambda/edge-host/bootstrap.zip"
  }
  lambda_zip_path = coalesce(var.lambda_zip_path, local.default_zip_path[var.architecture])

  create_registry_bucket = var.registry_bucket_name == ""
  registry_bucket        = local.create_registry_bucket ? module.registry_bucket[0].name : var.registry_bucket_name
  registry_bucket_arn    = "arn:${local.partition}:s3:::${local.registry_bucket}"

  dead_letter_to_kinesis = var.dead_letter_kind == "kinesis"
  dead_letter_to_s3      = var.dead_letter_kind == "s3"

  # XGOALS_DEAD_LETTER: `kinesis:STREAM_NAME` or `s3://BUCKET/PREFIX`.
  dead_letter_target = (
    local.dead_letter_to_kinesis
    ? "kinesis:${aws_kinesis_stream.dead_letter[0].name}"
    : "s3://${module.dead_letter_bucket[0].name}/${var.dead_letter_s3_prefix}"
  )

  # edge-host's whole environment contract. Its `main` reads exactly these names.
  edge_host_environment = {
    XGOALS_REGISTRY          = "s3://${local.registry_bucket}/${var.registry_prefix}"
    XGOALS_MODEL_VERSION     = var.model_version
    XGOALS_MODEL_RECHECK_S   = tostring(var.model_recheck_s)
    XGOALS_OUTPUT_STREAM     = aws_kinesis_stream.output.name
    XGOALS_DEAD_LETTER       = local.dead_letter_target
    XGOALS_PUT_MAX_ATTEMPTS  = tostring(var.put_max_attempts)
    XGOALS_DRIFT_WINDOW      = tostring(var.drift_window)
    XGOALS_METRICS_NAMESPACE = var.metrics_namespace
  }
}
