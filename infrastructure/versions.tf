# Terraform and provider versions. The configuration uses only Terraform >= 1.5 syntax
# (validation blocks, cross-variable conditions only via locals) and the hashicorp/aws 5.x resource schema.
terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = merge({ Project = "xgoals", Component = "edge-host" }, var.tags)
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
