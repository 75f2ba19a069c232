# The web app (www-dist/, built by trunk) as a static site: a private S3 bucket that only
# CloudFront can read, through origin access control (SigV4-signed requests, checked by the
# bucket policy against this distribution's ARN). Nothing is public on the bucket itself.
#
# Files are uploaded by ../../scripts/upload-site.sh (CD or by hand), which sets each object's
# Content-Type, `.wasm` as application/wasm (browsers only compile a module streamed with that
# type, and the nosniff header below forbids guessing), and its Cache-Control: trunk's
# content-hashed assets are immutable, index.html and data/ are revalidated.

# The hardened private bucket of ../secure-bucket, with two differences: SSE-S3, because
# CloudFront's origin access control cannot decrypt objects under the AWS-managed aws/s3 key (the
# content is a public web page; a customer key would only add a key policy to maintain), and a
# policy statement letting this distribution read. Every upload replaces index.html and the data
# files and adds new hashed assets; old object versions are only needed for a quick manual
# rollback (noncurrent_version_days).
module "bucket" {
  source = "../secure-bucket"

  name                    = var.bucket_name
  noncurrent_version_days = var.noncurrent_version_days
  access_log_bucket       = var.access_log_bucket
  sse_algorithm           = "AES256"
  policy_documents        = [data.aws_iam_policy_document.cloudfront_read.json]
}

data "aws_iam_policy_document" "cloudfront_read" {
  statement {
    sid       = "CloudFrontReadsThroughOriginAccessControl"
    actions   = ["s3:GetObject"]
    resources = ["${module.bucket.arn}/*"]
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
    domain_name              = module.bucket.regional_domain_name
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
