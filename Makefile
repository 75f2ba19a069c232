# xgoals developer commands. Each target wraps a script that also runs on its own; `make`
# alone lists them. The two commands in the README (bash .ci/main, bash .ci/test) need no make.
#
#   make up / make shot / make down      the AWS side on this machine (moto, edge-host poll, site)
#   make deploy STAGE=stg                Terraform for a real AWS account (docs/DEPLOY.md)

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

STAGE ?= stg
# Where `publish` puts the model: s3://BUCKET/PREFIX (the registry bucket of a deployment).
REGISTRY ?=
# `make shot SHOT='{"shot": {...}, "shot_id": 7}'`: the record to push (default: a shot 11 m out).
SHOT ?=

.PHONY: help setup test quality_checks train build integration_test publish deploy \
	up down status shot stack-smoke

help: ## list the targets
	@grep -E '^[a-z_-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "} {printf "  make %-17s %s\n", $$1, $$2}'

setup: ## install every tool the targets use (wasm target, wasm-bindgen, trunk, Chromium, moto, checkov, npm tools), skipping what is present
	bash .ci/setup

test: ## the whole test suite, as CI runs it (.ci/run)
	bash .ci/test

quality_checks: ## cargo fmt, clippy -D warnings, terraform fmt, checkov, Terraform setting tests, actionlint
	bash .ci/quality

train: ## training pipeline on ../shared data → .xgoals/registry, promoted if at least as good on its test set (cached by content hash)
	cargo run --release -q -p trainer -- pipeline

build: ## arm64 Lambda zip (target/lambda/edge-host-arm64/bootstrap.zip) and www-dist with the production model
	bash .ci/build

integration_test: ## trainer registry on moto S3, edge-host on moto Kinesis + S3 and the Runtime API, then the local stack end to end
	bash .ci/integration

publish: ## put the local production model into REGISTRY=s3://bucket/prefix and promote it there if it measures better
	@if [ -z "$(REGISTRY)" ]; then echo "usage: make publish REGISTRY=s3://bucket/prefix" >&2; exit 2; fi
	bash infrastructure/scripts/publish.sh "$(REGISTRY)"

deploy: ## terraform init/plan/apply for STAGE (stg|prod) with the built Lambda zip, publish the model, upload www-dist, smoke test (docs/DEPLOY.md)
	bash infrastructure/scripts/deploy.sh "$(STAGE)"

up: ## start the local stack: moto, streams, registry bucket with the current model, edge-host poll, www-dist server
	bash infrastructure/local/stack.sh up

shot: ## push a shot record (SHOT='json' or a default) into the local stack and print its prediction
	bash infrastructure/local/stack.sh shot $(if $(SHOT),'$(SHOT)')

status: ## what of the local stack runs, and where
	bash infrastructure/local/stack.sh status

down: ## stop the local stack
	bash infrastructure/local/stack.sh down

stack-smoke: ## up → real and broken records → outputs checked byte for byte → down
	bash infrastructure/local/stack.sh smoke
