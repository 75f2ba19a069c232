"""Static checks of the Terraform in infrastructure/ (no provider needed).

`terraform init` cannot fetch the AWS provider on CI machines, so neither `validate` nor
`plan` runs there. These tests parse the .tf files with python-hcl2 (installed with checkov)
and assert the settings edge-host depends on: partial batch responses, the runtime, every
variable of its environment contract, least-privilege IAM, the alarms on its metrics.

Each check is a plain function of the parsed configuration. `TestChecksPass` runs every check
on the real files; `TestChecksCanFail` runs every check on copies broken in a specific way and
requires an AssertionError, and requires every expect() in the checks to be the failing one for
at least one broken copy, so no assertion is vacuous. Run:

    python -m unittest discover -s infrastructure/tests -v
"""

from __future__ import annotations

import ast
import copy
import re
import traceback
import unittest
from pathlib import Path

import hcl2

INFRA = Path(__file__).resolve().parent.parent

# ---------------------------------------------------------------------------------------------
# edge-host's contract (keep in step with edge-host's `main` and README)

ENV_CONTRACT = {
    "XGOALS_REGISTRY",
    "XGOALS_MODEL_VERSION",
    "XGOALS_MODEL_RECHECK_S",
    "XGOALS_OUTPUT_STREAM",
    "XGOALS_DEAD_LETTER",
    "XGOALS_PUT_MAX_ATTEMPTS",
    "XGOALS_DRIFT_WINDOW",
    "XGOALS_METRICS_NAMESPACE",
}
# Variable feeding each environment variable, and the function's own default for it.
ENV_DEFAULTS = {
    "model_version": "",
    "model_recheck_s": 60,
    "put_max_attempts": 6,
    "drift_window": 5000,
    "metrics_namespace": "xgoals/edge",
}
ZIP_PATHS = {
    "arm64": "${path.module}/../target/lambda/edge-host-arm64/bootstrap.zip",
    "x86_64": "${path.module}/../target/lambda/edge-host/bootstrap.zip",
}
# Alarm key -> (metric, namespace reference). Custom metrics come from EMF lines in
# var.metrics_namespace with the single dimension FunctionName.
ALARMS = {
    "lambda-errors": ("Errors", "${local.lambda_namespace}"),
    "iterator-age": ("IteratorAge", "${local.lambda_namespace}"),
    "batch-item-failures": ("BatchItemFailures", "${var.metrics_namespace}"),
    "dead-letters": ("DeadLetters", "${var.metrics_namespace}"),
    "invalid-share": ("InvalidShare", "${var.metrics_namespace}"),
    "psi-prediction": ("PsiPrediction", "${var.metrics_namespace}"),
    "drift-share": ("DriftShare", "${var.metrics_namespace}"),
    "model-reload-failures": ("ModelReloadFailures", "${var.metrics_namespace}"),
}
# The function role's whole policy: sid -> (actions, resources). Anything more is a failure.
IAM_POLICY = {
    "WriteOwnLogGroup": (
        {"logs:CreateLogStream", "logs:PutLogEvents"},
        ["${local.log_group_arn}:*"],
    ),
    "ReadInputStream": (
        {
            "kinesis:DescribeStream",
            "kinesis:DescribeStreamSummary",
            "kinesis:GetRecords",
            "kinesis:GetShardIterator",
            "kinesis:ListShards",
            "kinesis:SubscribeToShard",
        },
        ["${aws_kinesis_stream.input.arn}"],
    ),
    "PutOutputAndDeadLetterStreams": (
        {"kinesis:PutRecord", "kinesis:PutRecords"},
        ["${concat(['${aws_kinesis_stream.output.arn}'],aws_kinesis_stream.dead_letter[*].arn)}"],
    ),
    "ReadRegistryObjects": (
        {"s3:GetObject"},
        ["${local.registry_bucket_arn}/${var.registry_prefix}/*"],
    ),
    "ListRegistryPrefix": ({"s3:ListBucket"}, ["${local.registry_bucket_arn}"]),
    "PutDeadLetterObjects": (
        {"s3:PutObject"},
        ["${module.dead_letter_bucket[0].arn}/${var.dead_letter_s3_prefix}/*"],
    ),
    "DecryptRegistryObjects": ({"kms:Decrypt"}, ["${statement.value}"]),
    "SendToOnFailureQueue": ({"sqs:SendMessage"}, ["${aws_sqs_queue.on_failure.arn}"]),
    "EncryptForOnFailureQueue": ({"kms:GenerateDataKey", "kms:Decrypt"}, ["${aws_kms_key.ops.arn}"]),
}
# Variables that need no validation block: free-form or boolean.
UNVALIDATED_OK = {"tags", "bisect_batch_on_error", "s3_access_log_bucket", "expiration_days",
                  "access_log_bucket"}


# ---------------------------------------------------------------------------------------------
# Loading


def load(root: Path = INFRA) -> dict:
    """Every .tf file under root, merged by kind. Resources and data sources are keyed
    "<module dir>:<type>.<name>" ("." for the root module); variables and outputs likewise."""
    cfg = {"resource": {}, "data": {}, "variable": {}, "output": {}, "module": {}, "locals": {},
           "terraform": [], "text": {}, "tfvars_example": {}}
    for path in sorted(root.rglob("*.tf")):
        if ".terraform" in path.parts:
            continue
        mod = str(path.parent.relative_to(root))
        text = path.read_text()
        cfg["text"][str(path.relative_to(root))] = text
        doc = hcl2.loads(text)
        for kind in ("resource", "data"):
            for block in doc.get(kind, []):
                for rtype, named in block.items():
                    for name, body in named.items():
                        cfg[kind][f"{mod}:{rtype}.{name}"] = body
        for kind in ("variable", "output", "module"):
            for block in doc.get(kind, []):
                for name, body in block.items():
                    cfg[kind][f"{mod}:{name}"] = body
        for block in doc.get("locals", []):
            for name, value in block.items():
                if not name.startswith("__"):
                    cfg["locals"][f"{mod}:{name}"] = value[0]
        cfg["terraform"].extend(doc.get("terraform", []))
    example = root / "terraform.tfvars.example"
    if example.exists():
        cfg["tfvars_example"] = {k: v for k, v in hcl2.loads(example.read_text()).items()}
    return cfg


def attr(body: dict, name: str, default=None):
    """An attribute's value (python-hcl2 wraps each in a one-element list)."""
    value = body.get(name)
    return default if value is None else value[0]


def block(body: dict, name: str) -> dict:
    blocks = body.get(name) or [{}]
    return blocks[0]


def strings(value) -> list:
    """A list attribute's items, or a single expression string as a one-item list."""
    if isinstance(value, list):
        return value
    return [value]


def expect(cond: bool, msg: str) -> None:
    if not cond:
        raise AssertionError(msg)


def res(cfg: dict, key: str) -> dict:
    expect(key in cfg["resource"], f"resource {key} is missing")
    return cfg["resource"][key]


def policy_statements(doc: dict) -> list:
    stmts = list(doc.get("statement", []))
    for dyn in doc.get("dynamic", []):
        if "statement" in dyn:
            stmts.extend(dyn["statement"]["content"])
    return stmts


# ---------------------------------------------------------------------------------------------
# Checks


def check_batch_item_failures(cfg):
    esm = res(cfg, ".:aws_lambda_event_source_mapping.shots")
    expect(attr(esm, "function_response_types") == ["ReportBatchItemFailures"],
           "the event source mapping must set function_response_types = [\"ReportBatchItemFailures\"]")


def check_event_source_mapping(cfg):
    esm = res(cfg, ".:aws_lambda_event_source_mapping.shots")
    expect(attr(esm, "event_source_arn") == "${aws_kinesis_stream.input.arn}",
           "the mapping must read the input stream")
    expect(attr(esm, "function_name") == "${aws_lambda_function.edge_host.arn}",
           "the mapping must invoke edge_host")
    wired = {
        "batch_size": "${var.batch_size}",
        "maximum_batching_window_in_seconds": "${var.batching_window_s}",
        "parallelization_factor": "${var.parallelization_factor}",
        "starting_position": "${var.starting_position}",
        "maximum_retry_attempts": "${var.maximum_retry_attempts}",
        "maximum_record_age_in_seconds": "${var.maximum_record_age_s}",
        "bisect_batch_on_function_error": "${var.bisect_batch_on_error}",
    }
    for name, ref in wired.items():
        expect(attr(esm, name) == ref, f"mapping.{name} must be {ref}, is {attr(esm, name)!r}")
    on_failure = block(block(esm, "destination_config"), "on_failure")
    expect(attr(on_failure, "destination_arn") == "${aws_sqs_queue.on_failure.arn}",
           "the mapping needs an on-failure destination (the SQS queue)")


def check_lambda_runtime(cfg):
    fn = res(cfg, ".:aws_lambda_function.edge_host")
    expect(attr(fn, "runtime") == "provided.al2023", "runtime must be provided.al2023")
    expect(attr(fn, "handler") == "bootstrap", "handler must be bootstrap")
    expect(attr(fn, "architectures") == ["${var.architecture}"], "architectures must be [var.architecture]")
    arch = cfg["variable"][".:architecture"]
    expect(attr(arch, "default") == "arm64", "arm64 must be the default architecture")
    cond = attr(block(arch, "validation"), "condition", "")
    expect("arm64" in cond and "x86_64" in cond, "architecture must be validated to arm64/x86_64")


def check_lambda_sizing(cfg):
    fn = res(cfg, ".:aws_lambda_function.edge_host")
    expect(attr(fn, "memory_size") == "${var.lambda_memory_mb}", "memory_size must come from a variable")
    expect(attr(fn, "timeout") == "${var.lambda_timeout_s}", "timeout must come from a variable")
    expect("var.reserved_concurrency" in str(attr(fn, "reserved_concurrent_executions")),
           "reserved concurrency must come from var.reserved_concurrency")


def check_environment_contract(cfg):
    fn = res(cfg, ".:aws_lambda_function.edge_host")
    env = attr(block(fn, "environment"), "variables")
    expect(env == "${local.edge_host_environment}", "the function's environment must be local.edge_host_environment")
    keys = set(cfg["locals"][".:edge_host_environment"])
    expect(keys == ENV_CONTRACT,
           f"environment differs from the contract: missing {sorted(ENV_CONTRACT - keys)}, "
           f"unexpected {sorted(keys - ENV_CONTRACT)}")
    env_map = cfg["locals"][".:edge_host_environment"]
    expect(env_map["XGOALS_REGISTRY"] == "s3://${local.registry_bucket}/${var.registry_prefix}",
           "XGOALS_REGISTRY must be s3://BUCKET/PREFIX")
    expect(env_map["XGOALS_OUTPUT_STREAM"] == "${aws_kinesis_stream.output.name}",
           "XGOALS_OUTPUT_STREAM must be the output stream's name")
    target = cfg["locals"][".:dead_letter_target"]
    expect('kinesis:${aws_kinesis_stream.dead_letter[0].name}' in target
           and "s3://${module.dead_letter_bucket[0].name}/${var.dead_letter_s3_prefix}" in target,
           "XGOALS_DEAD_LETTER must be kinesis:STREAM or s3://BUCKET/PREFIX")


def check_environment_defaults(cfg):
    for var, default in ENV_DEFAULTS.items():
        got = attr(cfg["variable"][f".:{var}"], "default")
        expect(got == default, f"var.{var} must default to edge-host's own default {default!r}, is {got!r}")


def check_zip_paths(cfg):
    expect(cfg["locals"][".:default_zip_path"] == ZIP_PATHS,
           f"default zip paths must be the packaging command's outputs {ZIP_PATHS}")
    fn = res(cfg, ".:aws_lambda_function.edge_host")
    expect(attr(fn, "filename") == "${local.lambda_zip_path}", "filename must be local.lambda_zip_path")
    expect(attr(fn, "source_code_hash") == "${filebase64sha256(local.lambda_zip_path)}",
           "source_code_hash must hash the same zip (or a new zip does not redeploy)")


def check_streams_encrypted(cfg):
    streams = {k: v for k, v in cfg["resource"].items() if ":aws_kinesis_stream." in k}
    expect({".:aws_kinesis_stream.input", ".:aws_kinesis_stream.output",
            ".:aws_kinesis_stream.dead_letter"} <= set(streams), "input, output and dead-letter streams must exist")
    for key, body in streams.items():
        expect(attr(body, "encryption_type") == "KMS", f"{key} must be KMS-encrypted")
        expect(attr(body, "kms_key_id") == "alias/aws/kinesis", f"{key} must use alias/aws/kinesis")
    mode = attr(block(streams[".:aws_kinesis_stream.input"], "stream_mode_details"), "stream_mode")
    expect(mode == "${var.input_stream_mode}", "the input stream's mode must come from var.input_stream_mode")


def check_bucket_hardening(cfg):
    m = "modules/secure-bucket"
    versioning = block(res(cfg, f"{m}:aws_s3_bucket_versioning.this"), "versioning_configuration")
    expect(attr(versioning, "status") == "Enabled", "bucket versioning must be Enabled")
    sse = block(block(res(cfg, f"{m}:aws_s3_bucket_server_side_encryption_configuration.this"), "rule"),
                "apply_server_side_encryption_by_default")
    expect(attr(sse, "sse_algorithm") == "aws:kms", "buckets must default to SSE-KMS")
    pab = res(cfg, f"{m}:aws_s3_bucket_public_access_block.this")
    for flag in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"):
        expect(attr(pab, flag) is True, f"public access block: {flag} must be true")
    expect(attr(res(cfg, f"{m}:aws_s3_bucket_policy.this"), "policy") == "${data.aws_iam_policy_document.tls_only.json}",
           "the bucket policy must be the TLS-only document")
    [deny] = cfg["data"][f"{m}:aws_iam_policy_document.tls_only"]["statement"]
    cond = block(deny, "condition")
    expect(attr(deny, "effect") == "Deny" and attr(cond, "variable") == "aws:SecureTransport"
           and attr(cond, "values") == ["false"], "the bucket policy must deny requests without TLS")
    expect(set(cfg["module"]) >= {".:registry_bucket", ".:dead_letter_bucket"}
           and all(attr(cfg["module"][k], "source") == "./modules/secure-bucket"
                   for k in (".:registry_bucket", ".:dead_letter_bucket")),
           "registry and dead-letter buckets must use modules/secure-bucket")
    expect("local.create_registry_bucket" in str(attr(cfg["module"][".:registry_bucket"], "count")),
           "the registry bucket must be optional (an existing bucket by variable)")


def check_iam_least_privilege(cfg):
    policy = cfg["data"][".:aws_iam_policy_document.edge_host"]
    found = {}
    for stmt in policy_statements(policy):
        sid = attr(stmt, "sid")
        expect(attr(stmt, "effect", "Allow") == "Allow", f"{sid}: unexpected effect")
        actions = set(strings(attr(stmt, "actions", [])))
        resources = strings(attr(stmt, "resources", []))
        for action in actions:
            expect("*" not in action, f"{sid}: wildcard action {action}")
        for resource in resources:
            expect(resource != "*" and not resource.endswith(":::*"), f"{sid}: wildcard resource {resource}")
        expect(not stmt.get("not_actions") and not stmt.get("not_resources"), f"{sid}: NotAction/NotResource")
        expect(sid not in found, f"duplicate sid {sid}")
        found[sid] = (actions, resources)
    expect(set(found) == set(IAM_POLICY),
           f"policy statements differ: missing {sorted(set(IAM_POLICY) - set(found))}, "
           f"unexpected {sorted(set(found) - set(IAM_POLICY))}")
    for sid, (actions, resources) in IAM_POLICY.items():
        expect(found[sid][0] == actions, f"{sid}: actions {sorted(found[sid][0])}, expected {sorted(actions)}")
        expect(found[sid][1] == resources, f"{sid}: resources {found[sid][1]}, expected {resources}")
    role_policy = res(cfg, ".:aws_iam_role_policy.edge_host")
    expect(attr(role_policy, "policy") == "${data.aws_iam_policy_document.edge_host.json}",
           "the role's only policy must be the edge_host document")
    expect(attr(role_policy, "role") == "${aws_iam_role.edge_host.id}", "the policy must be on the function's role")
    expect(not [k for k in cfg["resource"] if "role_policy_attachment" in k or k.endswith("aws_iam_policy")],
           "no managed policies may be attached (they are not least privilege)")


def check_alarms(cfg):
    alarms = cfg["locals"][".:alarms"]
    expect(set(alarms) == set(ALARMS), f"alarms differ: missing {sorted(set(ALARMS) - set(alarms))}, "
                                       f"unexpected {sorted(set(alarms) - set(ALARMS))}")
    for key, (metric, namespace) in ALARMS.items():
        expect(alarms[key]["metric"] == metric, f"alarm {key} must watch {metric}")
        expect(alarms[key]["namespace"] == namespace, f"alarm {key} must read namespace {namespace}")
    expect(cfg["locals"][".:lambda_namespace"] == "AWS/Lambda", "lambda_namespace must be AWS/Lambda")
    alarm = res(cfg, ".:aws_cloudwatch_metric_alarm.edge_host")
    expect(attr(alarm, "for_each") == "${local.alarms}", "one alarm per local.alarms entry")
    expect(attr(alarm, "dimensions") == {"FunctionName": "${aws_lambda_function.edge_host.function_name}"},
           "alarms must use the single dimension FunctionName, as edge-host's EMF lines do")
    for field in ("namespace", "metric_name", "threshold"):
        expect(attr(alarm, field, "").startswith("${each.value."), f"alarm {field} must come from local.alarms")
    expect(attr(alarm, "alarm_actions") == ["${aws_sns_topic.alarms.arn}"], "alarms must notify the SNS topic")


def check_logs(cfg):
    lg = res(cfg, ".:aws_cloudwatch_log_group.edge_host")
    expect(attr(lg, "name") == "${local.log_group_name}", "log group must be local.log_group_name")
    expect(cfg["locals"][".:log_group_name"] == "/aws/lambda/${local.function_name}",
           "the log group must be the one Lambda writes to: /aws/lambda/<function name>")
    expect(attr(lg, "retention_in_days") == "${var.log_retention_days}", "log retention must come from a variable")


def check_variables_described(cfg):
    for key, body in cfg["variable"].items():
        expect(len(str(attr(body, "description", "")).strip()) >= 10, f"variable {key} needs a description")
    for key, body in cfg["output"].items():
        expect(len(str(attr(body, "description", "")).strip()) >= 10, f"output {key} needs a description")


def check_variables_validated(cfg):
    for key, body in cfg["variable"].items():
        name = key.split(":", 1)[1]
        if name not in UNVALIDATED_OK:
            expect(body.get("validation"), f"variable {key} needs a validation block")


def check_versions(cfg):
    tf = cfg["terraform"]
    expect(len(tf) == 1, "exactly one terraform block (versions.tf)")
    expect(attr(tf[0], "required_version") == ">= 1.5.0", "required_version must be >= 1.5.0")
    aws = attr(block(tf[0], "required_providers"), "aws")
    expect(aws == {"source": "hashicorp/aws", "version": "~> 5.0"}, "the aws provider must be hashicorp/aws ~> 5.0")


def check_checkov_skips(cfg):
    skip = re.compile(r"#\s*checkov:skip=([A-Z0-9_]+)(?::(.*))?")
    for path, text in cfg["text"].items():
        for m in skip.finditer(text):
            expect(len((m.group(2) or "").strip()) >= 20, f"{path}: checkov skip {m.group(1)} needs a reason")


def check_tfvars_example(cfg):
    names = {k.split(":", 1)[1] for k in cfg["variable"] if k.startswith(".:")}
    example = cfg["tfvars_example"]
    expect(example, "terraform.tfvars.example must set something")
    unknown = set(example) - names
    expect(not unknown, f"terraform.tfvars.example sets unknown variables {sorted(unknown)}")


CHECKS = [
    check_batch_item_failures, check_event_source_mapping, check_lambda_runtime, check_lambda_sizing,
    check_environment_contract, check_environment_defaults, check_zip_paths, check_streams_encrypted,
    check_bucket_hardening, check_iam_least_privilege, check_alarms, check_logs,
    check_variables_described, check_variables_validated, check_versions, check_checkov_skips,
    check_tfvars_example,
]


# ---------------------------------------------------------------------------------------------
# Mutations: (check, description, function that breaks a copy of the configuration)


def _set(path, value):
    def mutate(cfg):
        node = cfg
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = value
    return mutate


def _delete(path):
    def mutate(cfg):
        node = cfg
        for step in path[:-1]:
            node = node[step]
        del node[path[-1]]
    return mutate


ESM = ("resource", ".:aws_lambda_event_source_mapping.shots")
FN = ("resource", ".:aws_lambda_function.edge_host")
POLICY = ("data", ".:aws_iam_policy_document.edge_host", "statement")
BUCKET = "modules/secure-bucket"


def _add_statement(stmt):
    def mutate(cfg):
        cfg["data"][".:aws_iam_policy_document.edge_host"]["statement"].append(stmt)
    return mutate


MUTATIONS = [
    (check_batch_item_failures, "no function_response_types", _delete(ESM + ("function_response_types",))),
    (check_event_source_mapping, "bisect not wired", _set(ESM + ("bisect_batch_on_function_error",), [False])),
    (check_event_source_mapping, "no on-failure destination", _delete(ESM + ("destination_config",))),
    (check_event_source_mapping, "reads the output stream", _set(ESM + ("event_source_arn",), ["${aws_kinesis_stream.output.arn}"])),
    (check_lambda_runtime, "old runtime", _set(FN + ("runtime",), ["provided.al2"])),
    (check_lambda_runtime, "x86_64 by default", _set(("variable", ".:architecture", "default"), ["x86_64"])),
    (check_lambda_sizing, "fixed memory", _set(FN + ("memory_size",), [128])),
    (check_environment_contract, "missing XGOALS_DRIFT_WINDOW", _delete(("locals", ".:edge_host_environment", "XGOALS_DRIFT_WINDOW"))),
    (check_environment_contract, "misspelt variable", _set(("locals", ".:edge_host_environment", "XGOALS_DEADLETTER"), "x")),
    (check_environment_contract, "environment not from the contract map", _set(FN + ("environment",), [{"variables": [{"A": "b"}]}])),
    (check_environment_contract, "dead letter without scheme", _set(("locals", ".:dead_letter_target"), "${aws_kinesis_stream.dead_letter[0].name}")),
    (check_environment_defaults, "drift window default changed", _set(("variable", ".:drift_window", "default"), [1000])),
    (check_environment_defaults, "namespace default changed", _set(("variable", ".:metrics_namespace", "default"), ["xgoals"])),
    (check_zip_paths, "zip paths swapped", _set(("locals", ".:default_zip_path"), {"arm64": ZIP_PATHS["x86_64"], "x86_64": ZIP_PATHS["arm64"]})),
    (check_zip_paths, "hash of another file", _set(FN + ("source_code_hash",), ["${filebase64sha256(var.other)}"])),
    (check_streams_encrypted, "output stream unencrypted", _set(("resource", ".:aws_kinesis_stream.output", "encryption_type"), ["NONE"])),
    (check_streams_encrypted, "input stream fixed mode", _set(("resource", ".:aws_kinesis_stream.input", "stream_mode_details"), [{"stream_mode": ["PROVISIONED"]}])),
    (check_bucket_hardening, "versioning suspended", _set(("resource", f"{BUCKET}:aws_s3_bucket_versioning.this", "versioning_configuration"), [{"status": ["Suspended"]}])),
    (check_bucket_hardening, "public policies allowed", _set(("resource", f"{BUCKET}:aws_s3_bucket_public_access_block.this", "block_public_policy"), [False])),
    (check_bucket_hardening, "TLS condition inverted", _set(("data", f"{BUCKET}:aws_iam_policy_document.tls_only", "statement", 0, "condition", 0, "values"), [["true"]])),
    (check_iam_least_privilege, "wildcard action", _set(POLICY + (1, "actions"), [["kinesis:*"]])),
    (check_iam_least_privilege, "wildcard resource", _set(POLICY + (3, "resources"), [["*"]])),
    (check_iam_least_privilege, "registry writable", _set(POLICY + (3, "actions"), [["s3:GetObject", "s3:PutObject"]])),
    (check_iam_least_privilege, "any output stream", _set(POLICY + (2, "resources"), [["arn:aws:kinesis:*:*:stream/*"]])),
    (check_iam_least_privilege, "extra statement", _add_statement({"sid": ["Extra"], "actions": [["s3:GetObject"]], "resources": [["${aws_s3_bucket.x.arn}/*"]]})),
    (check_iam_least_privilege, "managed policy attached", _set(("resource", ".:aws_iam_role_policy_attachment.admin"), {})),
    (check_alarms, "no DriftShare alarm", _delete(("locals", ".:alarms", "drift-share"))),
    (check_alarms, "PSI in the wrong namespace", _set(("locals", ".:alarms", "psi-prediction", "namespace"), "AWS/Lambda")),
    (check_alarms, "alarms notify nobody", _set(("resource", ".:aws_cloudwatch_metric_alarm.edge_host", "alarm_actions"), [[]])),
    (check_alarms, "extra dimension", _set(("resource", ".:aws_cloudwatch_metric_alarm.edge_host", "dimensions"), [{"FunctionName": "x", "Version": "y"}])),
    (check_logs, "log group Lambda does not write to", _set(("locals", ".:log_group_name"), "/xgoals/edge-host")),
    (check_variables_described, "undescribed variable", _set(("variable", ".:batch_size", "description"), [""])),
    (check_variables_described, "undescribed module variable", _delete(("variable", f"{BUCKET}:name", "description"))),
    (check_variables_described, "undescribed output", _set(("output", ".:function_name", "description"), [" "])),
    (check_variables_validated, "unvalidated variable", _delete(("variable", ".:batch_size", "validation"))),
    (check_versions, "provider 4.x", _set(("terraform", 0, "required_providers"), [{"aws": [{"source": "hashicorp/aws", "version": "~> 4.0"}]}])),
    (check_checkov_skips, "skip without reason", _set(("text", "extra.tf"), "#checkov:skip=CKV_AWS_1\n")),
    (check_tfvars_example, "unknown variable in the example", _set(("tfvars_example", "bath_size"), 100)),
    (check_tfvars_example, "empty example", _set(("tfvars_example",), {})),
    # The remaining assertions, so that every expect() above is shown to fail somewhere.
    (check_batch_item_failures, "no mapping at all", _delete(ESM)),
    (check_event_source_mapping, "invokes another function", _set(ESM + ("function_name",), ["${aws_lambda_function.other.arn}"])),
    (check_lambda_runtime, "custom handler", _set(FN + ("handler",), ["main"])),
    (check_lambda_runtime, "fixed architecture", _set(FN + ("architectures",), [["x86_64"]])),
    (check_lambda_runtime, "architecture unvalidated", _set(("variable", ".:architecture", "validation"), [{"condition": ["${true}"]}])),
    (check_lambda_sizing, "fixed timeout", _set(FN + ("timeout",), [900])),
    (check_lambda_sizing, "no reserved concurrency", _delete(FN + ("reserved_concurrent_executions",))),
    (check_environment_contract, "registry without prefix", _set(("locals", ".:edge_host_environment", "XGOALS_REGISTRY"), "s3://${local.registry_bucket}")),
    (check_environment_contract, "output stream ARN", _set(("locals", ".:edge_host_environment", "XGOALS_OUTPUT_STREAM"), "${aws_kinesis_stream.output.arn}")),
    (check_zip_paths, "filename of another zip", _set(FN + ("filename",), ["bootstrap.zip"])),
    (check_streams_encrypted, "no dead-letter stream", _delete(("resource", ".:aws_kinesis_stream.dead_letter"))),
    (check_streams_encrypted, "customer key on input", _set(("resource", ".:aws_kinesis_stream.input", "kms_key_id"), ["alias/other"])),
    (check_bucket_hardening, "SSE-S3 only", _set(("resource", f"{BUCKET}:aws_s3_bucket_server_side_encryption_configuration.this", "rule", 0, "apply_server_side_encryption_by_default"), [{"sse_algorithm": ["AES256"]}])),
    (check_bucket_hardening, "another bucket policy", _set(("resource", f"{BUCKET}:aws_s3_bucket_policy.this", "policy"), ["{}"])),
    (check_bucket_hardening, "registry bucket hand-rolled", _set(("module", ".:registry_bucket", "source"), ["./modules/other"])),
    (check_bucket_hardening, "registry bucket always created", _set(("module", ".:registry_bucket", "count"), [1])),
    (check_iam_least_privilege, "deny statement", _set(POLICY + (0, "effect"), ["Deny"])),
    (check_iam_least_privilege, "NotAction", _set(POLICY + (0, "not_actions"), [["iam:PassRole"]])),
    (check_iam_least_privilege, "duplicate sid", _add_statement({"sid": ["WriteOwnLogGroup"], "actions": [["logs:PutLogEvents"]], "resources": [["${local.log_group_arn}:*"]]})),
    (check_iam_least_privilege, "another policy document", _set(("resource", ".:aws_iam_role_policy.edge_host", "policy"), ["${data.aws_iam_policy_document.admin.json}"])),
    (check_iam_least_privilege, "policy on another role", _set(("resource", ".:aws_iam_role_policy.edge_host", "role"), ["${aws_iam_role.other.id}"])),
    (check_alarms, "DeadLetters misspelt", _set(("locals", ".:alarms", "dead-letters", "metric"), "DeadLetter")),
    (check_alarms, "Lambda metrics in the custom namespace", _set(("locals", ".:lambda_namespace"), "xgoals/edge")),
    (check_alarms, "alarms not from the table", _set(("resource", ".:aws_cloudwatch_metric_alarm.edge_host", "for_each"), ["${{}}"])),
    (check_alarms, "fixed threshold", _set(("resource", ".:aws_cloudwatch_metric_alarm.edge_host", "threshold"), ["1"])),
    (check_logs, "log group from elsewhere", _set(("resource", ".:aws_cloudwatch_log_group.edge_host", "name"), ["/aws/lambda/x"])),
    (check_logs, "retention forever", _delete(("resource", ".:aws_cloudwatch_log_group.edge_host", "retention_in_days"))),
    (check_versions, "second terraform block", lambda cfg: cfg["terraform"].append({})),
    (check_versions, "Terraform 1.3", _set(("terraform", 0, "required_version"), [">= 1.3.0"])),
]


class TestChecksPass(unittest.TestCase):
    """Every check holds for the Terraform in this directory."""

    @classmethod
    def setUpClass(cls):
        cls.cfg = load()


def _make_test(check):
    def test(self):
        check(self.cfg)
    test.__doc__ = check.__doc__
    return test


for _check in CHECKS:
    setattr(TestChecksPass, "test_" + _check.__name__.removeprefix("check_"), _make_test(_check))


class TestChecksCanFail(unittest.TestCase):
    """Every check rejects a configuration broken in the way it guards against."""

    def test_every_check_has_a_mutation(self):
        covered = {check for check, _, _ in MUTATIONS}
        self.assertEqual([c.__name__ for c in CHECKS if c not in covered], [])

    def test_mutations_are_caught(self):
        pristine = load()
        for check, what, mutate in MUTATIONS:
            with self.subTest(check=check.__name__, mutation=what):
                broken = copy.deepcopy(pristine)
                mutate(broken)
                with self.assertRaises(AssertionError):
                    check(broken)

    def test_every_assertion_fails_for_some_mutation(self):
        """Each expect() call in the checks is the one that fires for at least one mutation."""
        tree = ast.parse(Path(__file__).read_text())
        sites = {
            node.lineno: f"{fn.name}:{node.lineno}"
            for fn in tree.body
            if isinstance(fn, ast.FunctionDef) and (fn.name.startswith("check_") or fn.name == "res")
            for node in ast.walk(fn)
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "expect"
        }
        pristine = load()
        fired = set()
        for check, _, mutate in MUTATIONS:
            broken = copy.deepcopy(pristine)
            mutate(broken)
            try:
                check(broken)
            except AssertionError as e:
                fired.add(traceback.extract_tb(e.__traceback__)[-2].lineno)
        self.assertEqual(sorted(sites[line] for line in set(sites) - fired), [],
                         "assertions no mutation makes fail")


if __name__ == "__main__":
    unittest.main()
