# The web app (www-dist/, built by trunk) as a static site: a private S3 bucket that only
# CloudFront can read, through origin access control (SigV4-signed requests, checked by the
# bucket policy against this distribution's ARN). Nothing is public on the bucket itself.
#
# Files are uploaded by ../../scripts/upload-site.sh (CD or by hand), which sets each object's
# Content-Type, `.wasm` as application/wasm (browsers only compile a module streamed with that
# type, and the nosniff header below forbids guessing), and its Cache-Control: trunk's
# content-hashed assets are immutable, index.html and data/ are revalidated.

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_144:Cross-region replication is not needed: the site is rebuilt from this repository and the registry by CD in minutes.
  #checkov:skip=CKV2_AWS_62:Nothing consumes bucket events; CloudFront reads the objects on request.
  #checkov:skip=CKV_AWS_145:SSE-S3 on purpose: CloudFront's origin access control cannot decrypt objects under the AWS-managed aws/s3 key, and the content is a public web page (a customer key would only add a key policy to maintain).
  bucket = var.bucket_name
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

# Every upload replaces index.html and the data files and adds new hashed assets; old object
# versions are only needed for a quick manual rollback.
resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = "expire-old-versions-and-uploads"
    status = "Enabled"
    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

# Access logging (checkov CKV_AWS_18) is opt-in: the log bucket is account infrastructure.
resource "aws_s3_bucket_logging" "this" {
  count         = var.access_log_bucket == null ? 0 : 1
  bucket        = aws_s3_bucket.this.id
  target_bucket = coalesce(var.access_log_bucket, "unused")
  target_prefix = "s3/${var.bucket_name}/"
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = data.aws_iam_policy_document.bucket.json

  depends_on = [aws_s3_bucket_public_access_block.this]
}

data "aws_iam_policy_document" "bucket" {
  statement {
    sid       = "CloudFrontReadsThroughOriginAccessControl"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.this.arn}/*"]
    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [aws_cloudfront_distribution.this.arn]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_cloudfront_origin_access_control" "this" {
  name                              = "${var.name}-site"
  description                       = "CloudFront signs its requests to the ${var.bucket_name} bucket"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

# AWS's managed policy for static content: long TTLs bounded by the objects' Cache-Control,
# gzip and brotli, no cookies, headers or query strings in the cache key (the app keeps its state
# in the query string, read by the browser, so every ?view=... is the same index.html).
data "aws_cloudfront_cache_policy" "caching_optimized" {
  name = "Managed-CachingOptimized"
}

resource "aws_cloudfront_response_headers_policy" "this" {
  #checkov:skip=CKV_AWS_259:HSTS is sent for a year with includeSubDomains; only the preload directive is left out, which asks browsers to hard-code the registrable domain and is the domain owner's decision (it is ignored on *.cloudfront.net and on subdomains).
  name    = "${var.name}-site"
  comment = "Security headers of the xgoals site"

  security_headers_config {
    strict_transport_security {
      access_control_max_age_sec = 31536000
      include_subdomains         = true
      override                   = true
    }
    # Browsers then trust Content-Type as stored: .wasm must be uploaded as application/wasm.
    content_type_options {
      override = true
    }
    frame_options {
      frame_option = "DENY"
      override     = true
    }
    referrer_policy {
      referrer_policy = "strict-origin-when-cross-origin"
      override        = true
    }
  }
}

resource "aws_cloudfront_distribution" "this" {
  #checkov:skip=CKV2_AWS_47:A static page with no origin logic, forms or logins: no WAF ACL by default (billed per ACL and request); var.web_acl_id attaches the account's own.
  #checkov:skip=CKV_AWS_310:One origin (the site bucket); S3's own durability is the failover, and a second bucket would double every upload.
  #checkov:skip=CKV_AWS_374:The site is public for everyone; no country is restricted.
  enabled             = true
  is_ipv6_enabled     = true
  comment             = "${var.name} web app (www-dist)"
  default_root_object = "index.html"
  price_class         = var.price_class
  http_version        = "http2and3"
  aliases             = var.aliases
  # Opt-in, null by default: a WAF ACL (a static page has no origin logic to protect; WAF is
  # billed per ACL and request), standard logs (need an ACL-enabled bucket, account
  # infrastructure) and a custom certificate (only with aliases).
  web_acl_id = var.web_acl_id

  origin {
    origin_id                = "site-bucket"
    domain_name              = aws_s3_bucket.this.bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.this.id
  }

  default_cache_behavior {
    target_origin_id           = "site-bucket"
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = data.aws_cloudfront_cache_policy.caching_optimized.id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.this.id
  }

  dynamic "logging_config" {
    for_each = var.cloudfront_log_bucket == null ? [] : [var.cloudfront_log_bucket]
    content {
      bucket          = "${logging_config.value}.s3.amazonaws.com"
      prefix          = "cloudfront/${var.name}/"
      include_cookies = false
    }
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  # With the *.cloudfront.net certificate CloudFront fixes the protocol floor itself; with a
  # custom certificate viewers need TLS 1.2.
  viewer_certificate {
    cloudfront_default_certificate = var.acm_certificate_arn == null
    acm_certificate_arn            = var.acm_certificate_arn
    ssl_support_method             = var.acm_certificate_arn == null ? null : "sni-only"
    minimum_protocol_version       = var.acm_certificate_arn == null ? "TLSv1" : "TLSv1.2_2021"
  }
}
