output "arn" {
  description = "ARN of the key (log group, on-failure queue, alarm topic)."
  value       = aws_kms_key.this.arn
}
