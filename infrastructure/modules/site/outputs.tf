output "bucket_name" {
  description = "Name of the site bucket (upload www-dist here)."
  value       = module.bucket.name
}

output "distribution_id" {
  description = "ID of the CloudFront distribution (for `aws cloudfront create-invalidation`)."
  value       = aws_cloudfront_distribution.this.id
}

output "domain_name" {
  description = "The distribution's *.cloudfront.net domain."
  value       = aws_cloudfront_distribution.this.domain_name
}

output "url" {
  description = "URL of the site: the first alias if any, else the *.cloudfront.net domain."
  value       = length(var.aliases) > 0 ? "https://${var.aliases[0]}" : "https://${aws_cloudfront_distribution.this.domain_name}"
}
