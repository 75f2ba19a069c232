output "function_name" {
  description = "Name of the function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the function."
  value       = aws_lambda_function.this.arn
}

output "log_group_name" {
  description = "Name of the function's log group (logs and EMF metric lines)."
  value       = aws_cloudwatch_log_group.this.name
}

output "environment" {
  description = "The environment the function runs with (edge-host's configuration contract)."
  value       = local.environment
}
