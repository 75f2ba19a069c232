# Terraform, the provider and where state lives.
#
# Terraform >= 1.11: the S3 backend's native lock file (use_lockfile) is generally available
# from 1.11, so state needs no DynamoDB table. The configuration uses the hashicorp/aws 5.x
# resource schema.
terraform {
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }

  # Partial configuration: one state per environment, chosen at init time (docs/DEPLOY.md):
  #   terraform init -backend-config=vars/stg.s3.tfbackend -backend-config="bucket=<state bucket>"
  # vars/<env>.s3.tfbackend holds key, region, encryption and locking; the bucket name, which
  # contains the account id, is given on the command line.
  backend "s3" {}
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = merge({ Project = "xgoals", Component = "edge-host" }, var.tags)
  }
}
