output "role_arn" {
  description = "ARN of the execution role. Available only once its policy is attached, so the function (and the event source mapping, which checks the role's permissions when it is created) wait for it."
  value       = aws_iam_role.this.arn
  depends_on  = [aws_iam_role_policy.this]
}

output "role_name" {
  description = "Name of the execution role."
  value       = aws_iam_role.this.name
}
