# The edge-host function (provided.al2023, the `bootstrap` zip from
# edge-host/scripts/package.sh), its environment, and its log group.

locals {
  # edge-host's whole environment contract (edge-host/src/config.rs): its `main` reads exactly
  # these names. XGOALS_PRECOMPILED_MODULE is not set: edge-host finds scorer.cwasm in
  # $LAMBDA_TASK_ROOT, where the package puts it.
  environment = {
    XGOALS_REGISTRY          = var.registry_url
    XGOALS_MODEL_VERSION     = var.model_version
    XGOALS_MODEL_RECHECK_S   = tostring(var.model_recheck_s)
    XGOALS_OUTPUT_STREAM     = var.output_stream_name
    XGOALS_DEAD_LETTER       = var.dead_letter_target
    XGOALS_PUT_MAX_ATTEMPTS  = tostring(var.put_max_attempts)
    XGOALS_DRIFT_WINDOW      = tostring(var.drift_window)
    XGOALS_METRICS_NAMESPACE = var.metrics_namespace
  }
}

# Lambda writes to /aws/lambda/<function name>; creating the group here gives it a retention
# and a key (otherwise Lambda creates it on first log line, kept forever, unencrypted by us).
resource "aws_cloudwatch_log_group" "this" {
  name              = var.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:A function-level DLQ only catches asynchronous invocations; the Kinesis mapping invokes synchronously and has its own on-failure destination (modules/event-source-mapping).
  #checkov:skip=CKV_AWS_117:The function talks only to AWS APIs (Kinesis, S3, CloudWatch Logs) and no VPC resources; a VPC would add NAT or endpoint cost and cold-start latency for nothing.
  #checkov:skip=CKV_AWS_173:The environment holds only stream names, an S3 URL and tuning numbers, no secrets; Lambda encrypts it at rest with its AWS-managed key.
  #checkov:skip=CKV_AWS_272:Code signing needs an AWS Signer profile; the zip is built from this repository by CI and deployed by Terraform with its sha256 (source_code_hash).
  function_name = var.function_name
  description   = var.description
  role          = var.role_arn

  runtime       = "provided.al2023"
  handler       = "bootstrap"
  architectures = [var.architecture]

  filename         = var.zip_path
  source_code_hash = filebase64sha256(var.zip_path)

  memory_size = var.memory_mb
  timeout     = var.timeout_s
  # -1 is the provider's "unreserved".
  reserved_concurrent_executions = var.reserved_concurrency == null ? -1 : var.reserved_concurrency

  environment {
    variables = local.environment
  }

  tracing_config {
    mode = "PassThrough"
  }

  depends_on = [aws_cloudwatch_log_group.this]
}
