# A private S3 bucket: versioned, encrypted by default with SSE-KMS under the AWS-managed aws/s3
# key (readers in the account need no kms: grant), bucket-owner-enforced objects, every public
# access path blocked, a policy refusing plain-HTTP requests, and a lifecycle that expires old
# versions and abandoned multipart uploads. Used for the model registry, the S3 dead letters and
# the web site (../site: SSE-S3, and a policy statement letting its CloudFront distribution read).

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_144:Cross-region replication is not needed: registry models are reproducible byte for byte from pinned data and seed, dead letters are diagnostic copies of stream records, and the site is rebuilt from this repository and the registry by CD in minutes.
  #checkov:skip=CKV2_AWS_62:Nothing consumes bucket events; the function polls production.json, dead letters are read by people, and CloudFront reads the site's objects on request.
  bucket = var.name
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

# SSE-KMS under aws/s3 unless the caller chooses SSE-S3: the site does, because CloudFront's origin
# access control cannot decrypt objects under the AWS-managed aws/s3 key. (checkov 3.3 checks
# CKV_AWS_145, KMS by default, on the registry and dead-letter instances and reports nothing for
# the site's, so there is no skip here; if a newer checkov flags the site's, that is the reason.)
resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = var.sse_algorithm
    }
    # S3 Bucket Keys only apply to SSE-KMS; left unset for SSE-S3.
    bucket_key_enabled = var.sse_algorithm == "aws:kms" ? true : null
  }
}

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
    dynamic "expiration" {
      for_each = var.expiration_days == null ? [] : [var.expiration_days]
      content {
        days = expiration.value
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

# Access logging (checkov CKV_AWS_18) is opt-in: the log bucket is account infrastructure.
resource "aws_s3_bucket_logging" "this" {
  count         = var.access_log_bucket == null ? 0 : 1
  bucket        = aws_s3_bucket.this.id
  target_bucket = coalesce(var.access_log_bucket, "unused")
  target_prefix = "s3/${var.name}/"
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = data.aws_iam_policy_document.this.json

  depends_on = [aws_s3_bucket_public_access_block.this]
}

# The caller's statements (var.policy_documents), then the refusal of plain HTTP. A statement of
# theirs with the sid DenyInsecureTransport would be replaced by this one, never the reverse.
data "aws_iam_policy_document" "this" {
  source_policy_documents = var.policy_documents

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
