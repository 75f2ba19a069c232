"""Static checks of the Terraform in infrastructure/ (no provider needed).

`terraform init` cannot fetch the AWS provider on CI machines, so neither `validate` nor
`plan` runs there (they run in CD). These tests parse the .tf, .tfvars and .tfbackend files
with python-hcl2 (installed with checkov) and check two things:

- what `validate` would: every module call passes only variables its module declares and every
  variable it requires; every `var.`, `local.`, `module.X.Y`, resource and data reference names
  something declared; every declared variable is used; every `moved` block leaves an address
  no longer declared and lands, directly or through a chain of moves, on something that exists;
  every value in vars/*.tfvars and every default passes its variable's validation blocks
  (evaluated here);
- the settings edge-host and the site depend on: partial batch responses, bisect, bounded
  retries and record age, an on-failure destination, the runtime and the zip, the exact
  environment contract and EMF metric names (read from edge-host's own source), least-privilege
  IAM with no wildcards, a private registry bucket, a private site bucket behind CloudFront, the
  alarms and the dashboard.

Each check is a plain function of the parsed configuration. `TestChecksPass` runs every check
on the real files; `TestChecksCanFail` runs every check on copies broken in a specific way and
requires an AssertionError, and requires every expect() in the checks to be the failing one for
at least one broken copy, so no assertion is vacuous. `TestSiteUpload` runs
scripts/upload-site.sh against a stub `aws` and checks the Content-Type and Cache-Control of
every uploaded file (and that broken copies of the script are caught). Run:

    python -m unittest discover -s infrastructure/tests -v
"""

from __future__ import annotations

import ast
import copy
import fnmatch
import json
import math
import os
import re
import subprocess
import tempfile
import textwrap
import traceback
import unittest
from pathlib import Path

import hcl2

INFRA = Path(__file__).resolve().parent.parent
ROOT = INFRA.parent

KINESIS = "modules/kinesis"
LAMBDA = "modules/lambda"
ESM_DIR = "modules/event-source-mapping"
REGISTRY = "modules/registry"
SITE = "modules/site"
IAM = "modules/iam"
MONITORING = "modules/monitoring"
BUCKET = "modules/secure-bucket"

# Variables edge-host reads that Terraform deliberately does not set.
ENV_NOT_SET = {"XGOALS_PRECOMPILED_MODULE"}  # found in $LAMBDA_TASK_ROOT, where the zip puts it

# Alarm key -> (metric, namespace reference).
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
    "WriteOwnLogGroup": ({"logs:CreateLogStream", "logs:PutLogEvents"}, ["${var.log_group_arn}:*"]),
    "ReadInputStream": (
        {
            "kinesis:DescribeStream",
            "kinesis:DescribeStreamSummary",
            "kinesis:GetRecords",
            "kinesis:GetShardIterator",
            "kinesis:ListShards",
            "kinesis:SubscribeToShard",
        },
        ["${var.input_stream_arn}"],
    ),
    "PutOutputAndDeadLetterStreams": ({"kinesis:PutRecord", "kinesis:PutRecords"}, "${var.put_stream_arns}"),
    "ReadRegistryObjects": ({"s3:GetObject"}, "${var.registry_object_arns}"),
    "ListRegistryPrefix": ({"s3:ListBucket"}, ["${var.registry_bucket_arn}"]),
    "PutDeadLetterObjects": ({"s3:PutObject"}, "${var.dead_letter_object_arns}"),
    "DecryptRegistryObjects": ({"kms:Decrypt"}, ["${statement.value}"]),
    "SendToOnFailureQueue": ({"sqs:SendMessage"}, ["${var.on_failure_queue_arn}"]),
    "EncryptForOnFailureQueue": ({"kms:GenerateDataKey", "kms:Decrypt"}, ["${var.ops_key_arn}"]),
}
# What the root module wires into the role, in terms of the other modules' outputs.
IAM_WIRING = {
    "log_group_arn": "${local.log_group_arn}",
    "input_stream_arn": "${module.kinesis.input_stream_arn}",
    # (python-hcl2's rendering of `concat([module.kinesis.output_stream_arn], module.kinesis.dead_letter_stream_arns)`)
    "put_stream_arns": "${concat(['${module.kinesis.output_stream_arn}'],module.kinesis.dead_letter_stream_arns)}",
    "registry_bucket_arn": "${module.registry.bucket_arn}",
    "registry_prefix": "${module.registry.prefix}",
    "registry_object_arns": "${module.registry.serving_object_arns}",
    "on_failure_queue_arn": "${module.event_source_mapping.on_failure_queue_arn}",
    "ops_key_arn": "${module.ops_key.arn}",
}
# The registry keys edge-host reads (edge-host/src/registry.rs): the alias and version files.
SERVING_OBJECTS = [
    "${local.bucket_arn}/${var.prefix}/production.json",
    "${local.bucket_arn}/${var.prefix}/versions/*",
]
# Root variables that need no validation block: free-form or boolean.
UNVALIDATED_OK = {"tags", "bisect_batch_on_error", "s3_access_log_bucket"}
# Outputs the issue asks for (stream names, bucket names, function name, site URL).
REQUIRED_OUTPUTS = {
    "input_stream_name", "output_stream_name", "dead_letter_stream_name", "registry_bucket_name",
    "dead_letter_bucket_name", "site_bucket_name", "function_name", "site_url",
}
ENVIRONMENTS = ("stg", "prod")
META_ARGS = {"source", "count", "for_each", "depends_on", "providers", "version"}


# ---------------------------------------------------------------------------------------------
# Loading


def _strip_lines(value):
    if isinstance(value, dict):
        return {k: _strip_lines(v) for k, v in value.items() if not k.startswith("__")}
    if isinstance(value, list):
        return [_strip_lines(v) for v in value]
    return value


def edge_host_facts() -> dict:
    """What edge-host's source says about its configuration, metrics and package."""
    config = (ROOT / "edge-host/src/config.rs").read_text()
    drift = (ROOT / "edge-host/src/drift.rs").read_text()
    package = (ROOT / "edge-host/scripts/package.sh").read_text()
    namespace = re.search(r'"XGOALS_METRICS_NAMESPACE"\)\s*\.unwrap_or_else\(\|\|\s*"([^"]+)"', config)
    dims = re.search(r'"Dimensions":\s*\[\[([^\]]*)\]\]', drift)
    return {
        "env": sorted(set(re.findall(r'"(XGOALS_[A-Z_]+)"', config)) - ENV_NOT_SET),
        "defaults": {k: int(v) for k, v in re.findall(r'number\(\s*"(XGOALS_\w+)",\s*(\d+)', config)},
        "namespace_default": namespace.group(1) if namespace else None,
        "metrics": sorted(set(re.findall(r'\(\s*"([A-Za-z]+)",\s*"(?:Count|None)"', drift))),
        "dimensions": re.findall(r'"([A-Za-z]+)"', dims.group(1)) if dims else [],
        "package_dirs": re.findall(r'OUT="\$TARGET_DIR/(lambda/[\w-]+)"', package),
    }


def load(root: Path = INFRA) -> dict:
    """Every .tf file under root, merged by kind. Blocks are keyed "<module dir>:<name>" ("."
    for the root module), resources and data sources "<module dir>:<type>.<name>"."""
    cfg = {"resource": {}, "data": {}, "variable": {}, "output": {}, "module": {}, "locals": {},
           "provider": {}, "moved": {}, "terraform": [], "text": {}, "tfvars": {}, "tfbackend": {},
           "dirs": set()}
    for path in sorted(root.rglob("*.tf")):
        if ".terraform" in path.parts:
            continue
        mod = str(path.parent.relative_to(root))
        cfg["dirs"].add(mod)
        text = path.read_text()
        cfg["text"][str(path.relative_to(root))] = text
        doc = _strip_lines(hcl2.loads(text))
        for kind in ("resource", "data"):
            for block in doc.get(kind, []):
                for rtype, named in block.items():
                    for name, body in named.items():
                        cfg[kind][f"{mod}:{rtype}.{name}"] = body
        for kind in ("variable", "output", "module", "provider"):
            for block in doc.get(kind, []):
                for name, body in block.items():
                    cfg[kind][f"{mod}:{name}"] = body
        for block in doc.get("locals", []):
            for name, value in block.items():
                cfg["locals"][f"{mod}:{name}"] = value[0]
        for i, block in enumerate(doc.get("moved", [])):
            cfg["moved"][f"{mod}:{path.name}:{i}"] = block
        cfg["terraform"].extend(doc.get("terraform", []))
    for env in ENVIRONMENTS:
        for kind, suffix in (("tfvars", ".tfvars"), ("tfbackend", ".s3.tfbackend")):
            path = root / "vars" / f"{env}{suffix}"
            if path.exists():
                cfg[kind][env] = {k: v[0] for k, v in hcl2.loads(path.read_text()).items()}
    cfg["edge_host"] = edge_host_facts()
    return cfg


# ---------------------------------------------------------------------------------------------
# Helpers


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


def call(cfg: dict, name: str) -> dict:
    """The root module's `module "name"` block."""
    expect(f".:{name}" in cfg["module"], f"module {name} is not called from the root module")
    return cfg["module"][f".:{name}"]


def policy_statements(doc: dict) -> list:
    stmts = list(doc.get("statement", []))
    for dyn in doc.get("dynamic", []):
        if "statement" in dyn:
            stmts.extend(dyn["statement"]["content"])
    return stmts


def in_dir(cfg: dict, kind: str, mod: str) -> dict:
    """The blocks of one kind in one module directory, keyed by their name."""
    return {k.split(":", 1)[1]: v for k, v in cfg[kind].items() if k.split(":", 1)[0] == mod}


def module_dir(caller: str, source: str) -> str:
    return os.path.normpath(os.path.join(caller, source))


def all_strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from all_strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from all_strings(v)


class Unevaluable(AssertionError):
    """A condition outside the subset evaluate() understands: a failure, so conditions stay
    simple enough to be checked here."""


def _regex(pattern, s):
    if s is None:
        raise Unevaluable("regex of null")
    return re.search(pattern.replace("[:space:]", r"\s"), s)


def evaluate(condition: str, values: dict):
    """Evaluates a variable validation condition (the subset of Terraform's language the
    conditions here use) with `values` for var.*. Raises Unevaluable for anything else."""
    expr = condition.strip()
    if expr.startswith("${") and expr.endswith("}"):
        expr = expr[2:-1]
    expr = re.sub(r"\[for (\w+) in ([^:]+?) : (.+)\]", r"[(\3) for \1 in \2]", expr)
    expr = re.sub(r"\bvar\.([A-Za-z_][\w-]*)", r'V["\1"]', expr)
    expr = expr.replace("&&", " and ").replace("||", " or ")
    expr = re.sub(r"!(?!=)", " not ", expr)
    expr = re.sub(r"\btrue\b", "True", re.sub(r"\bfalse\b", "False", re.sub(r"\bnull\b", "None", expr)))
    env = {
        "V": values,
        "contains": lambda xs, x: x in xs,
        "can": lambda v: v is not None and v is not False,
        "regex": _regex,
        "floor": math.floor,
        "length": len,
        "alltrue": all,
        "startswith": lambda s, p: s.startswith(p),
        "endswith": lambda s, p: s.endswith(p),
        "coalesce": lambda *xs: next(x for x in xs if x is not None),
    }
    try:
        # As globals: a list comprehension (a `for` expression) does not see eval's locals.
        return eval(expr, {"__builtins__": {}, **env})  # noqa: S307 - our own .tf files
    except Exception as e:  # noqa: BLE001
        raise Unevaluable(f"{condition}: {e}") from e


def var_values(cfg: dict, mod: str, overrides: dict) -> dict:
    values = {name: attr(body, "default") for name, body in in_dir(cfg, "variable", mod).items()}
    values.update(overrides)
    return values


def validation_failures(cfg: dict, mod: str, values: dict, names) -> list:
    """Names of the variables (among `names`) whose validations reject `values`."""
    failed = []
    for name in names:
        for v in in_dir(cfg, "variable", mod)[name].get("validation", []):
            if not evaluate(attr(v, "condition"), values):
                failed.append(name)
    return failed


# ---------------------------------------------------------------------------------------------
# Checks: the event source mapping

ESM = f"{ESM_DIR}:aws_lambda_event_source_mapping.this"


def check_batch_item_failures(cfg):
    esm = res(cfg, ESM)
    expect(attr(esm, "function_response_types") == ["ReportBatchItemFailures"],
           "the event source mapping must set function_response_types = [\"ReportBatchItemFailures\"]")


def check_event_source_mapping(cfg):
    esm = res(cfg, ESM)
    wired = {
        "event_source_arn": "${var.stream_arn}",
        "function_name": "${var.function_arn}",
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
    m = call(cfg, "event_source_mapping")
    expect(attr(m, "stream_arn") == "${module.kinesis.input_stream_arn}", "the mapping must read the input stream")
    expect(attr(m, "function_arn") == "${module.lambda.function_arn}", "the mapping must invoke the edge-host function")


def check_bisect_on(cfg):
    m = call(cfg, "event_source_mapping")
    expect(attr(m, "bisect_batch_on_error") == "${var.bisect_batch_on_error}", "bisect must come from var.bisect_batch_on_error")
    expect(attr(cfg["variable"][".:bisect_batch_on_error"], "default") is True, "bisect_batch_on_error must default to true")
    for env, values in cfg["tfvars"].items():
        expect(values.get("bisect_batch_on_error", True) is True, f"vars/{env}.tfvars turns bisect off")


def check_bounded_retries(cfg):
    """Retries and record age are bounded: the module refuses -1 whatever the root passes, the
    root refuses it too, and the defaults and both environments are within the bounds."""
    for var, unbounded, bound in (("maximum_retry_attempts", -1, 10000), ("maximum_record_age_s", -1, 604800)):
        m = call(cfg, "event_source_mapping")
        expect(attr(m, var) == f"${{var.{var}}}", f"the mapping's {var} must come from var.{var}")
        for mod in (ESM_DIR, "."):
            expect(in_dir(cfg, "variable", mod)[var].get("validation"), f"{mod}: var.{var} needs a validation")
            for value in (unbounded, bound + 1):
                expect(validation_failures(cfg, mod, var_values(cfg, mod, {var: value}), [var]) == [var],
                       f"{mod}: var.{var} accepts {value} (unbounded)")
        expect(not validation_failures(cfg, ".", var_values(cfg, ".", {}), [var]),
               f"the default of var.{var} is out of its bounds")


# ---------------------------------------------------------------------------------------------
# Checks: the function

FN = f"{LAMBDA}:aws_lambda_function.this"


def check_lambda_runtime(cfg):
    fn = res(cfg, FN)
    expect(attr(fn, "runtime") == "provided.al2023", "runtime must be provided.al2023")
    expect(attr(fn, "handler") == "bootstrap", "handler must be bootstrap")
    expect(attr(fn, "architectures") == ["${var.architecture}"], "architectures must be [var.architecture]")
    expect(attr(call(cfg, "lambda"), "architecture") == "${var.architecture}", "the root must pass var.architecture")
    arch = cfg["variable"][".:architecture"]
    expect(attr(arch, "default") == "arm64", "arm64 must be the default architecture")
    expect(validation_failures(cfg, ".", var_values(cfg, ".", {"architecture": "x86"}), ["architecture"]),
           "architecture must be validated to arm64/x86_64")
    for env, values in cfg["tfvars"].items():
        expect(values.get("architecture", "arm64") == "arm64", f"vars/{env}.tfvars must deploy arm64")


def check_lambda_sizing(cfg):
    fn = res(cfg, FN)
    expect(attr(fn, "memory_size") == "${var.memory_mb}", "memory_size must come from a variable")
    expect(attr(fn, "timeout") == "${var.timeout_s}", "timeout must come from a variable")
    expect("var.reserved_concurrency" in str(attr(fn, "reserved_concurrent_executions")),
           "reserved concurrency must come from var.reserved_concurrency")


def check_environment_contract(cfg):
    """The function's environment is exactly the variables edge-host's config.rs reads (minus
    those deliberately left unset), each fed from the right place."""
    eh = cfg["edge_host"]
    expect(len(eh["env"]) >= 8, f"could not read edge-host's variables from config.rs: {eh['env']}")
    fn = res(cfg, FN)
    expect(attr(block(fn, "environment"), "variables") == "${local.environment}",
           "the function's environment must be local.environment")
    env = cfg["locals"][f"{LAMBDA}:environment"]
    keys = set(env)
    expect(keys == set(eh["env"]), f"environment differs from edge-host's config.rs: missing "
                                   f"{sorted(set(eh['env']) - keys)}, unexpected {sorted(keys - set(eh['env']))}")
    lam = call(cfg, "lambda")
    sources = {
        "XGOALS_REGISTRY": ("registry_url", "${module.registry.url}"),
        "XGOALS_OUTPUT_STREAM": ("output_stream_name", "${module.kinesis.output_stream_name}"),
        "XGOALS_DEAD_LETTER": ("dead_letter_target", "${local.dead_letter_target}"),
        "XGOALS_METRICS_NAMESPACE": ("metrics_namespace", "${var.metrics_namespace}"),
    }
    for name, (var, root_value) in sources.items():
        expect(f"var.{var}" in env[name], f"{name} must come from var.{var}, is {env[name]}")
        expect(attr(lam, var) == root_value, f"{name}: the root must pass {var} = {root_value}")
    expect(attr(in_dir(cfg, "output", REGISTRY)["url"], "value") == "s3://${local.bucket}/${var.prefix}",
           "XGOALS_REGISTRY must be s3://BUCKET/PREFIX")
    expect(attr(in_dir(cfg, "output", KINESIS)["output_stream_name"], "value") == '${aws_kinesis_stream.this["output"].name}',
           "XGOALS_OUTPUT_STREAM must be the output stream's name")
    target = cfg["locals"][".:dead_letter_target"]
    expect('"kinesis:${name}"' in target and "module.kinesis.dead_letter_stream_names" in target
           and '"s3://${bucket.name}/${var.dead_letter_s3_prefix}"' in target,
           "XGOALS_DEAD_LETTER must be kinesis:STREAM or s3://BUCKET/PREFIX")
    expect(attr(call(cfg, "monitoring"), "metrics_namespace") == "${var.metrics_namespace}",
           "the alarms must read the namespace the function writes")


def check_environment_defaults(cfg):
    """Each tunable's root default is edge-host's own default (read from config.rs)."""
    eh = cfg["edge_host"]
    expect(len(eh["defaults"]) >= 3 and eh["namespace_default"], f"could not read edge-host's defaults: {eh}")
    env = cfg["locals"][f"{LAMBDA}:environment"]
    lam = call(cfg, "lambda")
    wanted = dict(eh["defaults"], XGOALS_METRICS_NAMESPACE=eh["namespace_default"], XGOALS_MODEL_VERSION="")
    for name, default in wanted.items():
        module_var = re.search(r"var\.(\w+)", env[name]).group(1)
        root_var = re.search(r"var\.(\w+)", attr(lam, module_var, "")).group(1)
        got = attr(cfg["variable"][f".:{root_var}"], "default")
        expect(got == default, f"var.{root_var} ({name}) must default to edge-host's {default!r}, is {got!r}")


def check_zip_paths(cfg):
    dirs = cfg["edge_host"]["package_dirs"]
    expect(len(dirs) == 2, f"could not read the package script's output folders: {dirs}")
    wanted = {("arm64" if "arm64" in d else "x86_64"): f"${{path.module}}/../target/{d}/bootstrap.zip" for d in dirs}
    expect(cfg["locals"][".:default_zip_path"] == wanted,
           f"default zip paths must be the packaging command's outputs {wanted}")
    expect(attr(call(cfg, "lambda"), "zip_path") == "${local.lambda_zip_path}", "the root must pass local.lambda_zip_path")
    fn = res(cfg, FN)
    expect(attr(fn, "filename") == "${var.zip_path}", "filename must be var.zip_path")
    expect(attr(fn, "source_code_hash") == "${filebase64sha256(var.zip_path)}",
           "source_code_hash must hash the same zip (or a new zip does not redeploy)")


def check_logs(cfg):
    lg = res(cfg, f"{LAMBDA}:aws_cloudwatch_log_group.this")
    expect(attr(lg, "name") == "${var.log_group_name}", "log group must be var.log_group_name")
    expect(attr(lg, "retention_in_days") == "${var.log_retention_days}", "log retention must come from a variable")
    expect(cfg["locals"][".:log_group_name"] == "/aws/lambda/${local.function_name}",
           "the log group must be the one Lambda writes to: /aws/lambda/<function name>")
    lam = call(cfg, "lambda")
    expect(attr(lam, "log_group_name") == "${local.log_group_name}"
           and attr(lam, "function_name") == "${local.function_name}",
           "the function and its log group must be named from the same local.function_name")


# ---------------------------------------------------------------------------------------------
# Checks: streams and buckets


def check_streams_encrypted(cfg):
    """Every stream is an instance of the one aws_kinesis_stream resource, KMS-encrypted with
    alias/aws/kinesis, with its retention and capacity mode from variables."""
    table = cfg["locals"].get(f"{KINESIS}:streams", {})
    expect(set(table) == {"input", "output", "dead_letter"}, f"input, output and dead-letter streams must exist: {sorted(table)}")
    streams = {k: v for k, v in cfg["resource"].items() if ":aws_kinesis_stream." in k}
    expect(set(streams) == {f"{KINESIS}:aws_kinesis_stream.this"}, f"one stream resource, one instance per local.streams entry: {sorted(streams)}")
    body = streams[f"{KINESIS}:aws_kinesis_stream.this"]
    expect("local.streams" in attr(body, "for_each", "") and "var.create_dead_letter_stream" in attr(body, "for_each", ""),
           "the streams must be local.streams, the dead-letter one only when var.create_dead_letter_stream")
    expect(attr(body, "encryption_type") == "KMS", "the streams must be KMS-encrypted")
    expect(attr(body, "kms_key_id") == "alias/aws/kinesis", "the streams must use alias/aws/kinesis")
    expect(attr(body, "retention_period") == "${var.retention_hours}", "stream retention must come from a variable")
    expect(attr(block(body, "stream_mode_details"), "stream_mode") == "${each.value.mode}"
           and table["input"]["mode"] == "${var.input_stream_mode}",
           "the input stream's mode must come from var.input_stream_mode")


def secure_bucket_calls(cfg) -> dict:
    """Every call of modules/secure-bucket, keyed "<caller dir>:<name>"."""
    return {k: v for k, v in cfg["module"].items()
            if module_dir(k.split(":", 1)[0], attr(v, "source", "")) == BUCKET}


def check_bucket_hardening(cfg):
    """modules/secure-bucket is versioned, SSE-KMS unless a caller says otherwise, not public,
    TLS only, and expires old versions; only the site changes its encryption or adds to its
    policy (check_site_private_behind_cloudfront checks what it adds)."""
    m = BUCKET
    versioning = block(res(cfg, f"{m}:aws_s3_bucket_versioning.this"), "versioning_configuration")
    expect(attr(versioning, "status") == "Enabled", "bucket versioning must be Enabled")
    sse = block(block(res(cfg, f"{m}:aws_s3_bucket_server_side_encryption_configuration.this"), "rule"),
                "apply_server_side_encryption_by_default")
    expect(attr(sse, "sse_algorithm") == "${var.sse_algorithm}"
           and attr(in_dir(cfg, "variable", m)["sse_algorithm"], "default") == "aws:kms",
           "buckets must default to SSE-KMS")
    callers = secure_bucket_calls(cfg)
    expect({".:dead_letter_bucket", f"{REGISTRY}:bucket", f"{SITE}:bucket"} <= set(callers),
           f"the registry, dead-letter and site buckets must come from {BUCKET}")
    for key, body in callers.items():
        expect(key == f"{SITE}:bucket" or not {"sse_algorithm", "policy_documents"} & set(body),
               f"{key}: only the site's bucket may leave SSE-KMS or add to the bucket policy")
    pab = res(cfg, f"{m}:aws_s3_bucket_public_access_block.this")
    for flag in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"):
        expect(attr(pab, flag) is True, f"public access block: {flag} must be true")
    expect(attr(block(res(cfg, f"{m}:aws_s3_bucket_ownership_controls.this"), "rule"), "object_ownership")
           == "BucketOwnerEnforced", "bucket ACLs must be disabled (BucketOwnerEnforced)")
    expect(attr(res(cfg, f"{m}:aws_s3_bucket_policy.this"), "policy") == "${data.aws_iam_policy_document.this.json}",
           "the bucket policy must be the module's document")
    doc = cfg["data"][f"{m}:aws_iam_policy_document.this"]
    expect(attr(doc, "source_policy_documents") == "${var.policy_documents}" and not doc.get("override_policy_documents"),
           "the callers' statements may only come before the module's own (source_policy_documents), never override them")
    stmts = doc["statement"]
    expect(all(attr(s, "effect") == "Deny" for s in stmts), "the secure bucket's own policy may only deny (nothing public)")
    cond = block(stmts[0], "condition")
    expect(attr(cond, "variable") == "aws:SecureTransport" and attr(cond, "values") == ["false"],
           "the bucket policy must deny requests without TLS")
    rule = block(res(cfg, f"{m}:aws_s3_bucket_lifecycle_configuration.this"), "rule")
    expect(attr(block(rule, "noncurrent_version_expiration"), "noncurrent_days") == "${var.noncurrent_version_days}",
           "old object versions must expire (lifecycle)")


def check_registry_bucket(cfg):
    """The registry bucket is the hardened secure-bucket (versioned, encrypted, not public, old
    versions expire), unless an existing bucket is named."""
    registry = in_dir(cfg, "module", REGISTRY)
    expect("bucket" in registry, "the registry module must create its bucket with a module")
    expect(module_dir(REGISTRY, attr(registry["bucket"], "source")) == BUCKET,
           "the registry bucket must come from modules/secure-bucket")
    expect("local.create" in str(attr(registry["bucket"], "count")),
           "the registry bucket must be optional (an existing bucket by variable)")
    expect(attr(registry["bucket"], "noncurrent_version_days") == "${var.noncurrent_version_days}",
           "the registry's lifecycle must come from a variable")
    expect(module_dir(".", attr(call(cfg, "dead_letter_bucket"), "source")) == BUCKET,
           "the dead-letter bucket must come from modules/secure-bucket")
    expect(attr(in_dir(cfg, "output", REGISTRY)["serving_object_arns"], "value") == SERVING_OBJECTS,
           f"the function may read exactly {SERVING_OBJECTS}")


def check_site_private_behind_cloudfront(cfg):
    """The site's bucket is the hardened secure-bucket (check_bucket_hardening) whose policy adds
    only CloudFront's read, limited to this distribution; CloudFront signs its requests."""
    site = lambda kind, name: res(cfg, f"{SITE}:{kind}.{name}")  # noqa: E731
    bucket = in_dir(cfg, "module", SITE).get("bucket", {})
    expect(module_dir(SITE, attr(bucket, "source", "")) == BUCKET,
           f"the site bucket must come from {BUCKET} (private, versioned, encrypted, TLS only)")
    expect(not [k for k in cfg["resource"] if k.split(":", 1)[0] in (SITE, BUCKET)
                and (":aws_s3_bucket_acl." in k or ":aws_s3_bucket_website_configuration." in k)],
           "the site bucket must have no ACL and no website endpoint (both are public paths)")
    expect(attr(bucket, "policy_documents") == ["${data.aws_iam_policy_document.cloudfront_read.json}"],
           "the site bucket's policy may add only the CloudFront read document")
    for stmt in policy_statements(cfg["data"][f"{SITE}:aws_iam_policy_document.cloudfront_read"]):
        if attr(stmt, "effect", "Allow") != "Allow":
            continue
        principals = block(stmt, "principals")
        expect(attr(principals, "type") == "Service" and attr(principals, "identifiers") == ["cloudfront.amazonaws.com"],
               f"{attr(stmt, 'sid')}: only CloudFront may be allowed on the site bucket")
        expect(attr(stmt, "actions") == ["s3:GetObject"], f"{attr(stmt, 'sid')}: CloudFront may only read")
        cond = block(stmt, "condition")
        expect(attr(cond, "variable") == "AWS:SourceArn" and attr(cond, "values") == ["${aws_cloudfront_distribution.this.arn}"],
               "CloudFront's read must be limited to this distribution (AWS:SourceArn)")
    oac = site("aws_cloudfront_origin_access_control", "this")
    expect((attr(oac, "origin_access_control_origin_type"), attr(oac, "signing_behavior"), attr(oac, "signing_protocol"))
           == ("s3", "always", "sigv4"), "origin access control must sign every request to S3 with SigV4")
    dist = site("aws_cloudfront_distribution", "this")
    origin = block(dist, "origin")
    expect(attr(origin, "origin_access_control_id") == "${aws_cloudfront_origin_access_control.this.id}"
           and attr(origin, "domain_name") == "${module.bucket.regional_domain_name}"
           and attr(in_dir(cfg, "output", BUCKET)["regional_domain_name"], "value")
           == "${aws_s3_bucket.this.bucket_regional_domain_name}"
           and not origin.get("custom_origin_config") and not origin.get("s3_origin_config"),
           "the distribution must reach the bucket's REST endpoint through origin access control")
    behaviour = block(dist, "default_cache_behavior")
    expect(attr(behaviour, "viewer_protocol_policy") in ("redirect-to-https", "https-only"), "viewers must use HTTPS")
    expect(attr(behaviour, "response_headers_policy_id") == "${aws_cloudfront_response_headers_policy.this.id}",
           "the site must send its security headers")
    expect(attr(dist, "default_root_object") == "index.html", "/ must serve index.html")


# ---------------------------------------------------------------------------------------------
# Checks: IAM


def check_iam_least_privilege(cfg):
    policy = cfg["data"][f"{IAM}:aws_iam_policy_document.this"]
    found = {}
    for stmt in policy_statements(policy):
        sid = attr(stmt, "sid")
        expect(attr(stmt, "effect", "Allow") == "Allow", f"{sid}: unexpected effect")
        expect(not stmt.get("not_actions") and not stmt.get("not_resources"), f"{sid}: NotAction/NotResource")
        expect(sid not in found, f"duplicate sid {sid}")
        found[sid] = (set(strings(attr(stmt, "actions", []))), attr(stmt, "resources", []))
    expect(set(found) == set(IAM_POLICY),
           f"policy statements differ: missing {sorted(set(IAM_POLICY) - set(found))}, "
           f"unexpected {sorted(set(found) - set(IAM_POLICY))}")
    for sid, (actions, resources) in IAM_POLICY.items():
        expect(found[sid][0] == actions, f"{sid}: actions {sorted(found[sid][0])}, expected {sorted(actions)}")
        expect(found[sid][1] == resources, f"{sid}: resources {found[sid][1]}, expected {resources}")
    role_policy = res(cfg, f"{IAM}:aws_iam_role_policy.this")
    expect(attr(role_policy, "policy") == "${data.aws_iam_policy_document.this.json}",
           "the role's only policy must be the least-privilege document")
    expect(attr(role_policy, "role") == "${aws_iam_role.this.id}", "the policy must be on the function's role")
    expect(not [k for k in cfg["resource"] if "role_policy_attachment" in k or k.endswith("aws_iam_policy")
                or ":aws_iam_policy." in k],
           "no managed policies may be attached (they are not least privilege)")
    iam = call(cfg, "iam")
    for var, value in IAM_WIRING.items():
        expect(attr(iam, var) == value, f"the role's {var} must be {value}, is {attr(iam, var)!r}")
    expect(attr(in_dir(cfg, "output", IAM)["role_arn"], "depends_on") == ["${aws_iam_role_policy.this}"],
           "role_arn must wait for the policy (the mapping checks the role's permissions when created)")
    expect(attr(call(cfg, "lambda"), "role_arn") == "${module.iam.role_arn}", "the function must run as the role")


def check_no_iam_wildcards(cfg):
    """No Allow statement anywhere grants a wildcard action or resource. The one exception is the
    ops key's own key policy, where Resource "*" means "this key" (skips in its file say why)."""
    for key, doc in cfg["data"].items():
        if ":aws_iam_policy_document." not in key or key == "modules/ops-key:aws_iam_policy_document.key":
            continue
        for stmt in policy_statements(doc):
            if attr(stmt, "effect", "Allow") != "Allow":
                continue
            for action in strings(attr(stmt, "actions", [])):
                expect("*" not in action, f"{key} {attr(stmt, 'sid')}: wildcard action {action}")
            for resource in strings(attr(stmt, "resources", [])):
                expect(resource != "*" and not resource.endswith(":::*"),
                       f"{key} {attr(stmt, 'sid')}: wildcard resource {resource}")
            for principal in stmt.get("principals", []):
                expect("*" not in strings(attr(principal, "identifiers", [])),
                       f"{key} {attr(stmt, 'sid')}: allows any principal")


# ---------------------------------------------------------------------------------------------
# Checks: monitoring


def check_alarms(cfg):
    alarms = cfg["locals"][f"{MONITORING}:alarms"]
    expect(set(alarms) == set(ALARMS), f"alarms differ: missing {sorted(set(ALARMS) - set(alarms))}, "
                                       f"unexpected {sorted(set(alarms) - set(ALARMS))}")
    emitted = set(cfg["edge_host"]["metrics"])
    expect(len(emitted) >= 8, f"could not read edge-host's metric names from drift.rs: {sorted(emitted)}")
    for key, (metric, namespace) in ALARMS.items():
        expect(alarms[key]["metric"] == metric, f"alarm {key} must watch {metric}")
        expect(alarms[key]["namespace"] == namespace, f"alarm {key} must read namespace {namespace}")
        expect(namespace != "${var.metrics_namespace}" or metric in emitted,
               f"alarm {key}: edge-host does not emit {metric}")
    expect(cfg["locals"][f"{MONITORING}:lambda_namespace"] == "AWS/Lambda", "lambda_namespace must be AWS/Lambda")
    expect(cfg["edge_host"]["dimensions"] == ["FunctionName"],
           f"edge-host's EMF dimensions are {cfg['edge_host']['dimensions']}, the alarms use FunctionName")
    alarm = res(cfg, f"{MONITORING}:aws_cloudwatch_metric_alarm.this")
    expect(attr(alarm, "for_each") == "${local.alarms}", "one alarm per local.alarms entry")
    expect(attr(alarm, "dimensions") == {"FunctionName": "${var.function_name}"},
           "alarms must use the single dimension FunctionName, as edge-host's EMF lines do")
    for field in ("namespace", "metric_name", "threshold"):
        expect(attr(alarm, field, "").startswith("${each.value."), f"alarm {field} must come from local.alarms")
    expect(attr(alarm, "alarm_actions") == ["${aws_sns_topic.alarms.arn}"], "alarms must notify the SNS topic")
    expect(attr(call(cfg, "monitoring"), "function_name") == "${module.lambda.function_name}",
           "alarms must watch the deployed function's name")


def check_dashboard(cfg):
    """The dashboard shows the drift metrics, iterator age, errors and the dead-letter rate, all
    for this function and only metrics that exist."""
    dash = res(cfg, f"{MONITORING}:aws_cloudwatch_dashboard.this")
    expect(attr(dash, "dashboard_body") == "${jsonencode({'widgets': '${local.widgets}'})}",
           "the dashboard body must be local.widgets")
    emitted = set(cfg["edge_host"]["metrics"])
    shown, expressions = set(), []
    for widget in cfg["locals"][f"{MONITORING}:widgets"]:
        for row in widget["properties"]["metrics"]:
            if isinstance(row[0], dict):
                expressions.append(row[0].get("expression", ""))
                continue
            namespace, metric = row[0], row[1]
            expect(row[2:4] == ["FunctionName", "${var.function_name}"],
                   f"widget metric {metric} must have the dimension FunctionName = var.function_name")
            expect(namespace != "${var.metrics_namespace}" or metric in emitted,
                   f"the dashboard shows {metric}, which edge-host does not emit")
            shown.add((namespace, metric))
            if isinstance(row[-1], dict) and "id" in row[-1]:
                shown.add(("id", row[-1]["id"], metric))
    ns, aws = "${var.metrics_namespace}", "${local.lambda_namespace}"
    for needed in ((ns, "PsiPrediction"), (ns, "DriftShare"), (aws, "IteratorAge"), (aws, "Errors"),
                   (ns, "DeadLetters"), (ns, "RecordsIn")):
        expect(needed in shown, f"the dashboard must show {needed[1]}")
    ids = {t[1]: t[2] for t in shown if t[0] == "id"}
    dead = [i for i, m in ids.items() if m == "DeadLetters"]
    records = [i for i, m in ids.items() if m == "RecordsIn"]
    expect(any(re.search(rf"\b{d}\s*/\s*{r}\b", e) for e in expressions for d in dead for r in records),
           "the dashboard must compute the dead-letter rate (DeadLetters / RecordsIn)")


# ---------------------------------------------------------------------------------------------
# Checks: wiring (our substitute for `terraform validate`)


def check_module_calls(cfg):
    """Every module call passes only declared variables and every required one."""
    for key, body in cfg["module"].items():
        caller, name = key.split(":", 1)
        target = module_dir(caller, attr(body, "source", ""))
        expect(target in cfg["dirs"], f"module {name} in {caller}: source {target} has no .tf files")
        declared = in_dir(cfg, "variable", target)
        passed = set(body) - META_ARGS
        unknown = passed - set(declared)
        expect(not unknown, f"module {name} in {caller} passes {sorted(unknown)}, which {target} does not declare")
        required = {n for n, v in declared.items() if "default" not in v}
        missing = required - passed
        expect(not missing, f"module {name} in {caller} does not pass required {sorted(missing)} of {target}")


REF_VAR = re.compile(r"(?<![\w.])var\.([A-Za-z_][\w-]*)")
REF_LOCAL = re.compile(r"(?<![\w.])local\.([A-Za-z_][\w-]*)")
REF_MODULE = re.compile(r"(?<![\w.])module\.([A-Za-z_][\w-]*)(?:\[[^\]]*\])?(?:\.([A-Za-z_][\w-]*))?")
REF_RESOURCE = re.compile(r"(?<![\w.])(data\.)?(aws_[a-z0-9_]+)\.([A-Za-z_][\w-]*)")


def check_references(cfg):
    """Every var., local., module.X.Y, resource and data reference in a module names something
    that module declares (or, for module.X.Y, an output of X); every variable is used."""
    for mod in sorted(cfg["dirs"]):
        variables = in_dir(cfg, "variable", mod)
        used = set()
        for kind in ("resource", "data", "output", "module", "locals", "provider", "variable"):
            for name, body in in_dir(cfg, kind, mod).items():
                values = {k: v for k, v in body.items() if k != "source"} if isinstance(body, dict) else body
                for text in all_strings(values):
                    for var in REF_VAR.findall(text):
                        expect(var in variables, f"{mod}: {kind} {name} uses undeclared var.{var}")
                        if kind != "variable":
                            used.add(var)
                    for local in REF_LOCAL.findall(text):
                        expect(local in in_dir(cfg, "locals", mod), f"{mod}: {kind} {name} uses undeclared local.{local}")
                    for called, output in REF_MODULE.findall(text):
                        calls = in_dir(cfg, "module", mod)
                        expect(called in calls, f"{mod}: {kind} {name} uses module.{called}, which is not called")
                        target = module_dir(mod, attr(calls[called], "source", ""))
                        expect(not output or output in in_dir(cfg, "output", target),
                               f"{mod}: {kind} {name} uses module.{called}.{output}, which {target} does not output")
                    for data, rtype, rname in REF_RESOURCE.findall(text):
                        kind_of = "data" if data else "resource"
                        expect(f"{rtype}.{rname}" in in_dir(cfg, kind_of, mod),
                               f"{mod}: {kind} {name} uses {data}{rtype}.{rname}, which {mod} does not declare")
        unused = set(variables) - used
        expect(not unused, f"{mod}: variables declared but never used: {sorted(unused)}")


def module_prefixes(cfg) -> dict:
    """Module directory -> the absolute address prefixes of its instances ("" for the root,
    "module.site.module.bucket." for the site's bucket, ...)."""
    prefixes, queue = {".": [""]}, ["."]
    while queue:
        mod = queue.pop()
        for name, body in in_dir(cfg, "module", mod).items():
            child = module_dir(mod, attr(body, "source", ""))
            if child not in prefixes:
                queue.append(child)
            prefixes.setdefault(child, []).extend(f"{p}module.{name}." for p in prefixes[mod])
    return prefixes


def declared(cfg, address: str) -> bool:
    """Whether an absolute address (instance keys left out) names a resource or module call."""
    mod, parts = ".", address.split(".")
    while len(parts) > 2 and parts[0] == "module":
        calls = in_dir(cfg, "module", mod)
        if parts[1] not in calls:
            return False
        mod, parts = module_dir(mod, attr(calls[parts[1]], "source", "")), parts[2:]
    return len(parts) == 2 and (".".join(parts) in in_dir(cfg, "resource", mod)
                                or (parts[0] == "module" and parts[1] in in_dir(cfg, "module", mod)))


def check_moved(cfg):
    """Every moved block moves from an address no longer declared to one that is, directly or
    through a chain of moved blocks (Terraform follows a move into a later move's `from`, also
    across modules: the root's flat-layout streams -> module.kinesis's old names -> this[key])."""
    prefixes = module_prefixes(cfg)
    unkeyed = lambda ref: re.sub(r"\[[^\]]*\]", "", ref.removeprefix("${").removesuffix("}"))  # noqa: E731
    moves = [(prefix + unkeyed(attr(body, "from", "")), prefix + unkeyed(attr(body, "to", "")))
             for key, body in cfg["moved"].items() for prefix in prefixes.get(key.split(":", 1)[0], [])]
    chain = dict(moves)
    for source, to in moves:
        expect(source == to or not declared(cfg, source),
               f"moved from {source}: still declared (Terraform refuses to move an address that exists)")
        target, seen = to, {source}
        while not declared(cfg, target) and target in chain and target not in seen:
            seen.add(target)
            target = chain[target]
        expect(declared(cfg, target), f"moved to {to}: {target} is not declared (nor moved on)")


# ---------------------------------------------------------------------------------------------
# Checks: variables, environments, versions


def check_variables_described(cfg):
    for key, body in cfg["variable"].items():
        expect(len(str(attr(body, "description", "")).strip()) >= 10, f"variable {key} needs a description")
    for key, body in cfg["output"].items():
        expect(len(str(attr(body, "description", "")).strip()) >= 10, f"output {key} needs a description")


def check_variables_validated(cfg):
    """Every root variable (what a user sets) is validated, and its default passes."""
    for name, body in in_dir(cfg, "variable", ".").items():
        if name not in UNVALIDATED_OK:
            expect(body.get("validation"), f"variable {name} needs a validation block")
    values = var_values(cfg, ".", {})
    failed = validation_failures(cfg, ".", values, in_dir(cfg, "variable", "."))
    expect(not failed, f"defaults fail their own validation: {failed}")


def check_environments(cfg):
    """vars/stg.tfvars and vars/prod.tfvars set only declared root variables, with values of the
    right type that pass the variables' validations, and name distinct environments."""
    root_vars = in_dir(cfg, "variable", ".")
    expect(set(cfg["tfvars"]) == set(ENVIRONMENTS), f"need vars/<env>.tfvars for {ENVIRONMENTS}")
    types = {"${string}": str, "${number}": (int, float), "${bool}": bool}
    for env, values in cfg["tfvars"].items():
        unknown = set(values) - set(root_vars)
        expect(not unknown, f"vars/{env}.tfvars sets unknown variables {sorted(unknown)}")
        for name, value in values.items():
            want = types.get(attr(root_vars[name], "type"))
            expect(want is None or (isinstance(value, want) and not (want != bool and isinstance(value, bool))),
                   f"vars/{env}.tfvars: {name} = {value!r} is not a {attr(root_vars[name], 'type')}")
        failed = validation_failures(cfg, ".", var_values(cfg, ".", values), values)
        expect(not failed, f"vars/{env}.tfvars: values fail their variables' validation: {failed}")
        expect(values.get("name_prefix", "").endswith(env), f"vars/{env}.tfvars must set name_prefix = \"xgoals-{env}\"")


def check_backend(cfg):
    """State lives in S3, configured per environment by vars/<env>.s3.tfbackend."""
    tf = cfg["terraform"]
    expect(len(tf) == 1, "exactly one terraform block (versions.tf)")
    expect(attr(tf[0], "backend") == {"s3": {}}, "the backend must be a partial `backend \"s3\" {}`")
    expect(set(cfg["tfbackend"]) == set(ENVIRONMENTS), f"need vars/<env>.s3.tfbackend for {ENVIRONMENTS}")
    keys = set()
    for env, settings in cfg["tfbackend"].items():
        expect(set(settings) <= {"key", "region", "encrypt", "use_lockfile", "bucket", "kms_key_id"},
               f"vars/{env}.s3.tfbackend: unknown settings {sorted(settings)}")
        expect(settings.get("encrypt") is True and settings.get("use_lockfile") is True,
               f"vars/{env}.s3.tfbackend must encrypt the state and lock it")
        expect(env in settings.get("key", "") and settings["key"] not in keys,
               f"vars/{env}.s3.tfbackend needs its own state key")
        keys.add(settings["key"])
        expect(settings.get("region") == cfg["tfvars"].get(env, {}).get("aws_region"),
               f"vars/{env}.s3.tfbackend: state region differs from the environment's aws_region")


def check_versions(cfg):
    tf = cfg["terraform"][0]
    expect(attr(tf, "required_version") == ">= 1.11.0", "required_version must be >= 1.11.0 (S3 lock file)")
    aws = attr(block(tf, "required_providers"), "aws")
    expect(aws == {"source": "hashicorp/aws", "version": "~> 5.0"}, "the aws provider must be hashicorp/aws ~> 5.0")


def check_outputs(cfg):
    outputs = set(in_dir(cfg, "output", "."))
    expect(REQUIRED_OUTPUTS <= outputs, f"root outputs miss {sorted(REQUIRED_OUTPUTS - outputs)}")


def check_checkov_skips(cfg):
    skip = re.compile(r"#\s*checkov:skip=([A-Z0-9_]+)(?::(.*))?")
    for path, text in cfg["text"].items():
        for m in skip.finditer(text):
            expect(len((m.group(2) or "").strip()) >= 20, f"{path}: checkov skip {m.group(1)} needs a reason")


CHECKS = [
    check_batch_item_failures, check_event_source_mapping, check_bisect_on, check_bounded_retries,
    check_lambda_runtime, check_lambda_sizing, check_environment_contract, check_environment_defaults,
    check_zip_paths, check_logs, check_streams_encrypted, check_bucket_hardening, check_registry_bucket,
    check_site_private_behind_cloudfront, check_iam_least_privilege, check_no_iam_wildcards,
    check_alarms, check_dashboard, check_module_calls, check_references, check_moved,
    check_variables_described, check_variables_validated, check_environments, check_backend,
    check_versions, check_outputs, check_checkov_skips,
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


def _add_statement(key, stmt):
    def mutate(cfg):
        cfg["data"][key]["statement"].append(stmt)
    return mutate


R_ESM = ("resource", ESM)
STREAMS = ("resource", f"{KINESIS}:aws_kinesis_stream.this")
R_FN = ("resource", FN)
IAM_DOC = f"{IAM}:aws_iam_policy_document.this"
POLICY = ("data", IAM_DOC, "statement")
SITE_DOC = f"{SITE}:aws_iam_policy_document.cloudfront_read"
DIST = ("resource", f"{SITE}:aws_cloudfront_distribution.this")
ALARM = ("resource", f"{MONITORING}:aws_cloudwatch_metric_alarm.this")
WIDGETS = ("locals", f"{MONITORING}:widgets")
ENV = ("locals", f"{LAMBDA}:environment")
ROOT_CALL = lambda name: ("module", f".:{name}")  # noqa: E731
VAR = lambda mod, name: ("variable", f"{mod}:{name}")  # noqa: E731


MUTATIONS = [
    # event source mapping
    (check_batch_item_failures, "no function_response_types", _delete(R_ESM + ("function_response_types",))),
    (check_batch_item_failures, "no mapping at all", _delete(R_ESM)),
    (check_event_source_mapping, "bisect not wired", _set(R_ESM + ("bisect_batch_on_function_error",), [False])),
    (check_event_source_mapping, "no on-failure destination", _delete(R_ESM + ("destination_config",))),
    (check_event_source_mapping, "mapping not called", _delete(ROOT_CALL("event_source_mapping"))),
    (check_event_source_mapping, "reads the output stream", _set(ROOT_CALL("event_source_mapping") + ("stream_arn",), ["${module.kinesis.output_stream_arn}"])),
    (check_event_source_mapping, "invokes another function", _set(ROOT_CALL("event_source_mapping") + ("function_arn",), ["${aws_lambda_function.other.arn}"])),
    (check_bisect_on, "root does not pass bisect", _set(ROOT_CALL("event_source_mapping") + ("bisect_batch_on_error",), [False])),
    (check_bisect_on, "bisect off by default", _set(VAR(".", "bisect_batch_on_error") + ("default",), [False])),
    (check_bisect_on, "bisect off in prod", _set(("tfvars", "prod", "bisect_batch_on_error"), False)),
    (check_bounded_retries, "retries unbounded in the module", _set(VAR(ESM_DIR, "maximum_retry_attempts") + ("validation",), [{"condition": ["${var.maximum_retry_attempts >= -1 && var.maximum_retry_attempts <= 10000}"]}])),
    (check_bounded_retries, "record age unbounded at the root", _set(VAR(".", "maximum_record_age_s") + ("validation",), [{"condition": ["${var.maximum_record_age_s == -1 || var.maximum_record_age_s >= 60}"]}])),
    (check_bounded_retries, "record age not validated in the module", _delete(VAR(ESM_DIR, "maximum_record_age_s") + ("validation",))),
    (check_bounded_retries, "retries fixed in the root call", _set(ROOT_CALL("event_source_mapping") + ("maximum_retry_attempts",), [-1])),
    (check_bounded_retries, "default out of bounds", _set(VAR(".", "maximum_retry_attempts") + ("default",), [-1])),
    # function
    (check_lambda_runtime, "old runtime", _set(R_FN + ("runtime",), ["provided.al2"])),
    (check_lambda_runtime, "custom handler", _set(R_FN + ("handler",), ["main"])),
    (check_lambda_runtime, "fixed architecture", _set(R_FN + ("architectures",), [["x86_64"]])),
    (check_lambda_runtime, "root passes a fixed architecture", _set(ROOT_CALL("lambda") + ("architecture",), ["x86_64"])),
    (check_lambda_runtime, "x86_64 by default", _set(VAR(".", "architecture") + ("default",), ["x86_64"])),
    (check_lambda_runtime, "architecture unvalidated", _set(VAR(".", "architecture") + ("validation",), [{"condition": ["${true}"]}])),
    (check_lambda_runtime, "stg on x86_64", _set(("tfvars", "stg", "architecture"), "x86_64")),
    (check_lambda_sizing, "fixed memory", _set(R_FN + ("memory_size",), [128])),
    (check_lambda_sizing, "fixed timeout", _set(R_FN + ("timeout",), [900])),
    (check_lambda_sizing, "no reserved concurrency", _delete(R_FN + ("reserved_concurrent_executions",))),
    (check_environment_contract, "edge-host variables unreadable", _set(("edge_host", "env"), [])),
    (check_environment_contract, "environment not from the contract map", _set(R_FN + ("environment",), [{"variables": [{"A": "b"}]}])),
    (check_environment_contract, "missing XGOALS_DRIFT_WINDOW", _delete(ENV + ("XGOALS_DRIFT_WINDOW",))),
    (check_environment_contract, "edge-host reads a new variable", lambda cfg: cfg["edge_host"]["env"].append("XGOALS_NEW")),
    (check_environment_contract, "registry from a fixed string", _set(ENV + ("XGOALS_REGISTRY",), "s3://models/registry")),
    (check_environment_contract, "root passes the output stream's ARN", _set(ROOT_CALL("lambda") + ("output_stream_name",), ["${module.kinesis.output_stream_arn}"])),
    (check_environment_contract, "registry without prefix", _set(("output", f"{REGISTRY}:url", "value"), ["s3://${local.bucket}"])),
    (check_environment_contract, "output stream ARN", _set(("output", f"{KINESIS}:output_stream_name", "value"), ['${aws_kinesis_stream.this["output"].arn}'])),
    (check_environment_contract, "dead letter without scheme", _set(("locals", ".:dead_letter_target"), "${one(module.kinesis.dead_letter_stream_names)}")),
    (check_environment_contract, "alarms read another namespace", _set(ROOT_CALL("monitoring") + ("metrics_namespace",), ["xgoals"])),
    (check_environment_defaults, "edge-host defaults unreadable", _set(("edge_host", "defaults"), {})),
    (check_environment_defaults, "drift window default changed", _set(VAR(".", "drift_window") + ("default",), [1000])),
    (check_environment_defaults, "namespace default changed", _set(VAR(".", "metrics_namespace") + ("default",), ["xgoals"])),
    (check_zip_paths, "package script unreadable", _set(("edge_host", "package_dirs"), [])),
    (check_zip_paths, "zip paths swapped", lambda cfg: cfg["locals"].__setitem__(".:default_zip_path", {"arm64": cfg["locals"][".:default_zip_path"]["x86_64"], "x86_64": cfg["locals"][".:default_zip_path"]["arm64"]})),
    (check_zip_paths, "root passes another zip", _set(ROOT_CALL("lambda") + ("zip_path",), ["bootstrap.zip"])),
    (check_zip_paths, "filename of another zip", _set(R_FN + ("filename",), ["bootstrap.zip"])),
    (check_zip_paths, "hash of another file", _set(R_FN + ("source_code_hash",), ["${filebase64sha256(var.other)}"])),
    (check_logs, "log group from elsewhere", _set(("resource", f"{LAMBDA}:aws_cloudwatch_log_group.this", "name"), ["/aws/lambda/x"])),
    (check_logs, "retention forever", _delete(("resource", f"{LAMBDA}:aws_cloudwatch_log_group.this", "retention_in_days"))),
    (check_logs, "log group Lambda does not write to", _set(("locals", ".:log_group_name"), "/xgoals/edge-host")),
    (check_logs, "function named apart from its log group", _set(ROOT_CALL("lambda") + ("function_name",), ["edge-host"])),
    # streams and buckets
    (check_streams_encrypted, "no dead-letter stream", _delete(("locals", f"{KINESIS}:streams", "dead_letter"))),
    (check_streams_encrypted, "a second, hand-rolled stream", _set(("resource", f"{KINESIS}:aws_kinesis_stream.extra"), {})),
    (check_streams_encrypted, "dead-letter stream always created", _set(STREAMS + ("for_each",), ["${local.streams}"])),
    (check_streams_encrypted, "streams unencrypted", _set(STREAMS + ("encryption_type",), ["NONE"])),
    (check_streams_encrypted, "customer key", _set(STREAMS + ("kms_key_id",), ["alias/other"])),
    (check_streams_encrypted, "fixed retention", _set(STREAMS + ("retention_period",), [24])),
    (check_streams_encrypted, "fixed mode", _set(STREAMS + ("stream_mode_details",), [{"stream_mode": ["PROVISIONED"]}])),
    (check_streams_encrypted, "input stream fixed mode", _set(("locals", f"{KINESIS}:streams", "input", "mode"), "PROVISIONED")),
    (check_bucket_hardening, "versioning suspended", _set(("resource", f"{BUCKET}:aws_s3_bucket_versioning.this", "versioning_configuration"), [{"status": ["Suspended"]}])),
    (check_bucket_hardening, "SSE-S3 only", _set(("resource", f"{BUCKET}:aws_s3_bucket_server_side_encryption_configuration.this", "rule", 0, "apply_server_side_encryption_by_default"), [{"sse_algorithm": ["AES256"]}])),
    (check_bucket_hardening, "SSE-S3 by default", _set(VAR(BUCKET, "sse_algorithm") + ("default",), ["AES256"])),
    (check_bucket_hardening, "site bucket hand-rolled", _set(("module", f"{SITE}:bucket", "source"), ["../other"])),
    (check_bucket_hardening, "registry on SSE-S3", _set(("module", f"{REGISTRY}:bucket", "sse_algorithm"), ["AES256"])),
    (check_bucket_hardening, "dead letters readable by another account", _set(ROOT_CALL("dead_letter_bucket") + ("policy_documents",), [["${data.aws_iam_policy_document.share.json}"]])),
    (check_bucket_hardening, "ACLs enabled", _set(("resource", f"{BUCKET}:aws_s3_bucket_ownership_controls.this", "rule"), [{"object_ownership": ["ObjectWriter"]}])),
    (check_bucket_hardening, "public policies allowed", _set(("resource", f"{BUCKET}:aws_s3_bucket_public_access_block.this", "block_public_policy"), [False])),
    (check_bucket_hardening, "another bucket policy", _set(("resource", f"{BUCKET}:aws_s3_bucket_policy.this", "policy"), ["{}"])),
    (check_bucket_hardening, "callers override the TLS refusal", _set(("data", f"{BUCKET}:aws_iam_policy_document.this", "override_policy_documents"), ["${var.policy_documents}"])),
    (check_bucket_hardening, "public read added", _add_statement(f"{BUCKET}:aws_iam_policy_document.this", {"effect": ["Allow"], "actions": [["s3:GetObject"]]})),
    (check_bucket_hardening, "TLS condition inverted", _set(("data", f"{BUCKET}:aws_iam_policy_document.this", "statement", 0, "condition", 0, "values"), [["true"]])),
    (check_bucket_hardening, "old versions kept forever", _set(("resource", f"{BUCKET}:aws_s3_bucket_lifecycle_configuration.this", "rule", 0, "noncurrent_version_expiration"), [{}])),
    (check_registry_bucket, "registry bucket as a plain resource", _delete(("module", f"{REGISTRY}:bucket"))),
    (check_registry_bucket, "registry bucket hand-rolled", _set(("module", f"{REGISTRY}:bucket", "source"), ["../other"])),
    (check_registry_bucket, "registry bucket always created", _set(("module", f"{REGISTRY}:bucket", "count"), [1])),
    (check_registry_bucket, "registry versions kept forever", _set(("module", f"{REGISTRY}:bucket", "noncurrent_version_days"), [36500])),
    (check_registry_bucket, "dead-letter bucket hand-rolled", _set(ROOT_CALL("dead_letter_bucket") + ("source",), ["./modules/other"])),
    (check_registry_bucket, "function may read the whole bucket", _set(("output", f"{REGISTRY}:serving_object_arns", "value"), [["${local.bucket_arn}/*"]])),
    (check_site_private_behind_cloudfront, "site bucket hand-rolled", _delete(("module", f"{SITE}:bucket"))),
    (check_site_private_behind_cloudfront, "site bucket from another module", _set(("module", f"{SITE}:bucket", "source"), ["../public-bucket"])),
    (check_site_private_behind_cloudfront, "website endpoint", _set(("resource", f"{SITE}:aws_s3_bucket_website_configuration.this"), {})),
    (check_site_private_behind_cloudfront, "ACL on the secure bucket", _set(("resource", f"{BUCKET}:aws_s3_bucket_acl.this"), {})),
    (check_site_private_behind_cloudfront, "another site bucket policy", _set(("module", f"{SITE}:bucket", "policy_documents"), [["${data.aws_iam_policy_document.public.json}"]])),
    (check_site_private_behind_cloudfront, "second policy document", _set(("module", f"{SITE}:bucket", "policy_documents"), [["${data.aws_iam_policy_document.cloudfront_read.json}", "{}"]])),
    (check_site_private_behind_cloudfront, "origin on the bucket's global name", _set(DIST + ("origin", 0, "domain_name"), ["${module.bucket.name}.s3.amazonaws.com"])),
    (check_site_private_behind_cloudfront, "regional domain of another bucket", _set(("output", f"{BUCKET}:regional_domain_name", "value"), ["other.s3.eu-west-1.amazonaws.com"])),
    (check_site_private_behind_cloudfront, "public read", _add_statement(SITE_DOC, {"sid": ["Public"], "actions": [["s3:GetObject"]], "principals": [{"type": ["*"], "identifiers": [["*"]]}]})),
    (check_site_private_behind_cloudfront, "CloudFront may write", _set(("data", SITE_DOC, "statement", 0, "actions"), [["s3:GetObject", "s3:PutObject"]])),
    (check_site_private_behind_cloudfront, "any distribution may read", _delete(("data", SITE_DOC, "statement", 0, "condition"))),
    (check_site_private_behind_cloudfront, "unsigned origin requests", _set(("resource", f"{SITE}:aws_cloudfront_origin_access_control.this", "signing_behavior"), ["never"])),
    (check_site_private_behind_cloudfront, "website origin", _set(DIST + ("origin",), [{"domain_name": ["${aws_s3_bucket_website_configuration.this.website_endpoint}"], "custom_origin_config": [{}]}])),
    (check_site_private_behind_cloudfront, "plain HTTP allowed", _set(DIST + ("default_cache_behavior", 0, "viewer_protocol_policy"), ["allow-all"])),
    (check_site_private_behind_cloudfront, "no security headers", _delete(DIST + ("default_cache_behavior", 0, "response_headers_policy_id"))),
    (check_site_private_behind_cloudfront, "no root object", _delete(DIST + ("default_root_object",))),
    # IAM
    (check_iam_least_privilege, "deny statement", _set(POLICY + (0, "effect"), ["Deny"])),
    (check_iam_least_privilege, "NotAction", _set(POLICY + (0, "not_actions"), [["iam:PassRole"]])),
    (check_iam_least_privilege, "duplicate sid", _add_statement(IAM_DOC, {"sid": ["WriteOwnLogGroup"], "actions": [["logs:PutLogEvents"]], "resources": [["${var.log_group_arn}:*"]]})),
    (check_iam_least_privilege, "extra statement", _add_statement(IAM_DOC, {"sid": ["Extra"], "actions": [["s3:GetObject"]], "resources": [["${var.x}/*"]]})),
    (check_iam_least_privilege, "registry writable", _set(POLICY + (3, "actions"), [["s3:GetObject", "s3:PutObject"]])),
    (check_iam_least_privilege, "any output stream", _set(POLICY + (2, "resources"), [["arn:aws:kinesis:*:*:stream/*"]])),
    (check_iam_least_privilege, "another policy document", _set(("resource", f"{IAM}:aws_iam_role_policy.this", "policy"), ["${data.aws_iam_policy_document.admin.json}"])),
    (check_iam_least_privilege, "policy on another role", _set(("resource", f"{IAM}:aws_iam_role_policy.this", "role"), ["${aws_iam_role.other.id}"])),
    (check_iam_least_privilege, "managed policy attached", _set(("resource", f"{IAM}:aws_iam_role_policy_attachment.admin"), {})),
    (check_iam_least_privilege, "registry read of the whole bucket", _set(ROOT_CALL("iam") + ("registry_object_arns",), ["${[module.registry.bucket_arn]}"])),
    (check_iam_least_privilege, "role usable before its policy", _delete(("output", f"{IAM}:role_arn", "depends_on"))),
    (check_iam_least_privilege, "function runs as another role", _set(ROOT_CALL("lambda") + ("role_arn",), ["arn:aws:iam::1:role/admin"])),
    (check_no_iam_wildcards, "wildcard action", _set(POLICY + (1, "actions"), [["kinesis:*"]])),
    (check_no_iam_wildcards, "wildcard resource", _set(POLICY + (0, "resources"), [["*"]])),
    (check_no_iam_wildcards, "site readable by anyone", _set(("data", SITE_DOC, "statement", 0, "principals"), [{"type": ["AWS"], "identifiers": [["*"]]}])),
    # monitoring
    (check_alarms, "no DriftShare alarm", _delete(("locals", f"{MONITORING}:alarms", "drift-share"))),
    (check_alarms, "metric names unreadable", _set(("edge_host", "metrics"), [])),
    (check_alarms, "DeadLetters misspelt", _set(("locals", f"{MONITORING}:alarms", "dead-letters", "metric"), "DeadLetter")),
    (check_alarms, "PSI in the wrong namespace", _set(("locals", f"{MONITORING}:alarms", "psi-prediction", "namespace"), "AWS/Lambda")),
    (check_alarms, "edge-host renamed a metric", lambda cfg: cfg["edge_host"]["metrics"].remove("DriftShare")),
    (check_alarms, "Lambda metrics in the custom namespace", _set(("locals", f"{MONITORING}:lambda_namespace"), "xgoals/edge")),
    (check_alarms, "edge-host added a dimension", _set(("edge_host", "dimensions"), ["FunctionName", "ModelVersion"])),
    (check_alarms, "alarms not from the table", _set(ALARM + ("for_each",), ["${{}}"])),
    (check_alarms, "extra dimension", _set(ALARM + ("dimensions",), [{"FunctionName": "x", "Version": "y"}])),
    (check_alarms, "fixed threshold", _set(ALARM + ("threshold",), ["1"])),
    (check_alarms, "alarms notify nobody", _set(ALARM + ("alarm_actions",), [[]])),
    (check_alarms, "alarms on a fixed function name", _set(ROOT_CALL("monitoring") + ("function_name",), ["xgoals-edge-host"])),
    (check_dashboard, "dashboard without widgets", _set(("resource", f"{MONITORING}:aws_cloudwatch_dashboard.this", "dashboard_body"), ["{}"])),
    (check_dashboard, "widget for another function", _set(WIDGETS + (0, "properties", "metrics", 0, 3), "other-fn")),
    (check_dashboard, "widget metric edge-host does not emit", _set(WIDGETS + (0, "properties", "metrics", 0, 1), "Psi")),
    (check_dashboard, "no iterator age", _set(WIDGETS + (2, "properties", "metrics"), [])),
    (check_dashboard, "no dead-letter rate", _set(WIDGETS + (4, "properties", "metrics", 0), [{"id": "rate", "expression": "dead"}])),
    # wiring
    (check_module_calls, "module source missing", _set(ROOT_CALL("kinesis") + ("source",), ["./modules/kinesis-v2"])),
    (check_module_calls, "undeclared variable passed", _set(ROOT_CALL("lambda") + ("memory",), [512])),
    (check_module_calls, "required variable not passed", _delete(ROOT_CALL("iam") + ("ops_key_arn",))),
    (check_references, "undeclared variable used", _set(R_FN + ("timeout",), ["${var.timeout}"])),
    (check_references, "undeclared local used", _set(R_FN + ("environment",), [{"variables": ["${local.env}"]}])),
    (check_references, "module not called", _set(ROOT_CALL("lambda") + ("role_arn",), ["${module.roles.role_arn}"])),
    (check_references, "output not declared", _set(ROOT_CALL("lambda") + ("role_arn",), ["${module.iam.arn}"])),
    (check_references, "resource not declared", _set(R_ESM + ("function_name",), ["${aws_lambda_function.edge_host.arn}"])),
    (check_references, "variable never used", _set(VAR(KINESIS, "shard_count"), {"description": ["Shards of every stream."], "type": ["${number}"]})),
    (check_moved, "moved into an uncalled module", _set(("moved", ".:moved.tf:0", "to"), ["${module.streams.aws_kinesis_stream.input}"])),
    (check_moved, "moved to a missing resource", _set(("moved", ".:moved.tf:0", "to"), ["${module.kinesis.aws_kinesis_stream.shots}"])),
    (check_moved, "chain broken", _delete(("moved", f"{KINESIS}:moved.tf:0"))),
    (check_moved, "moved from a declared resource", _set(("moved", f"{SITE}:moved.tf:0", "from"), ["${aws_cloudfront_distribution.this}"])),
    # variables, environments, versions
    (check_variables_described, "undescribed variable", _set(VAR(".", "batch_size") + ("description",), [""])),
    (check_variables_described, "undescribed output", _set(("output", ".:function_name", "description"), [" "])),
    (check_variables_validated, "unvalidated variable", _delete(VAR(".", "batch_size") + ("validation",))),
    (check_variables_validated, "default fails validation", _set(VAR(".", "batch_size") + ("default",), [0])),
    (check_environments, "no prod tfvars", _delete(("tfvars", "prod"))),
    (check_environments, "unknown variable in stg", _set(("tfvars", "stg", "bath_size"), 100)),
    (check_environments, "number as a string", _set(("tfvars", "prod", "batch_size"), "500")),
    (check_environments, "unbounded retries in prod", _set(("tfvars", "prod", "maximum_retry_attempts"), -1)),
    (check_environments, "prod named stg", _set(("tfvars", "prod", "name_prefix"), "xgoals-stg")),
    (check_backend, "local state", _set(("terraform", 0, "backend"), [{"local": {}}])),
    (check_backend, "second terraform block", lambda cfg: cfg["terraform"].append({})),
    (check_backend, "no prod backend settings", _delete(("tfbackend", "prod"))),
    (check_backend, "typo in backend settings", _set(("tfbackend", "stg", "use_lock_file"), True)),
    (check_backend, "unlocked state", _set(("tfbackend", "prod", "use_lockfile"), False)),
    (check_backend, "prod writes stg's state", _set(("tfbackend", "prod", "key"), "xgoals/stg/terraform.tfstate")),
    (check_backend, "state in another region", _set(("tfbackend", "stg", "region"), "us-east-1")),
    (check_versions, "Terraform 1.5", _set(("terraform", 0, "required_version"), [">= 1.5.0"])),
    (check_versions, "provider 4.x", _set(("terraform", 0, "required_providers"), [{"aws": [{"source": "hashicorp/aws", "version": "~> 4.0"}]}])),
    (check_outputs, "no site URL", _delete(("output", ".:site_url"))),
    (check_checkov_skips, "skip without reason", _set(("text", "extra.tf"), "#checkov:skip=CKV_AWS_1\n")),
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

    @classmethod
    def setUpClass(cls):
        cls.pristine = load()

    def test_every_check_has_a_mutation(self):
        covered = {check for check, _, _ in MUTATIONS}
        self.assertEqual([c.__name__ for c in CHECKS if c not in covered], [])

    def test_mutations_are_caught(self):
        for check, what, mutate in MUTATIONS:
            with self.subTest(check=check.__name__, mutation=what):
                broken = copy.deepcopy(self.pristine)
                mutate(broken)
                with self.assertRaises(AssertionError):
                    check(broken)

    def test_every_assertion_fails_for_some_mutation(self):
        """Each expect() call in the checks is the one that fires for at least one mutation."""
        tree = ast.parse(Path(__file__).read_text())
        sites = {
            node.lineno: f"{fn.name}:{node.lineno}"
            for fn in tree.body
            if isinstance(fn, ast.FunctionDef) and (fn.name.startswith("check_") or fn.name in ("res", "call"))
            for node in ast.walk(fn)
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "expect"
        }
        fired = set()
        for check, _, mutate in MUTATIONS:
            broken = copy.deepcopy(self.pristine)
            mutate(broken)
            try:
                check(broken)
            except AssertionError as e:
                fired.add(traceback.extract_tb(e.__traceback__)[-2].lineno)
        self.assertEqual(sorted(sites[line] for line in set(sites) - fired), [],
                         "assertions no mutation makes fail")


# ---------------------------------------------------------------------------------------------
# scripts/upload-site.sh against a stub `aws`

STUB_AWS = textwrap.dedent("""\
    #!/usr/bin/env python3
    import json, os, sys
    with open(os.environ["AWS_STUB_LOG"], "a") as log:
        log.write(json.dumps(sys.argv[1:]) + "\\n")
    if sys.argv[1:3] == ["cloudfront", "create-invalidation"]:
        print("I2J0STUB")
""")
SITE_FILES = {
    "index.html": "<html></html>",
    "web-f5729998d5a8e6a9_bg.wasm": "\0asm",
    "web-f5729998d5a8e6a9.js": "export {}",
    "style-3978872babbe2640.css": "body{}",
    "snippets/web-1/inline0.js": "export {}",
    "data/index.json": "{}",
    "data/model-card.json": "{}",
    "data/model.xgm": "XGM1",
    "data/competitions/World_Cup.json": "{}",
}
HASHED = re.compile(r"-[0-9a-f]{16}(_bg)?\.(wasm|js|css)$")


def run_upload(script: Path, tmp: Path) -> list:
    """Runs the script on a fake www-dist with a stub aws on PATH; returns the aws calls."""
    dist, bin_dir, log = tmp / "www-dist", tmp / "bin", tmp / "aws.log"
    for name, body in SITE_FILES.items():
        (dist / name).parent.mkdir(parents=True, exist_ok=True)
        (dist / name).write_text(body)
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "aws").write_text(STUB_AWS)
    (bin_dir / "aws").chmod(0o755)
    log.write_text("")
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", AWS_STUB_LOG=str(log))
    subprocess.run(["bash", str(script), str(dist), "site-bucket", "E2DIST"], env=env, check=True,
                   capture_output=True, text=True)
    return [json.loads(line) for line in log.read_text().splitlines()]


def upload_problems(calls: list) -> list:
    """Replays `aws s3 sync` filter semantics (later --include/--exclude win; `*` matches '/')
    and returns what is wrong with the uploads: (file, problem) pairs."""
    uploads, order, problems, invalidated = {}, [], [], False
    for i, args in enumerate(calls):
        if args[:2] == ["cloudfront", "create-invalidation"]:
            invalidated = "--distribution-id" in args and args[args.index("--distribution-id") + 1] == "E2DIST" \
                and args[args.index("--paths") + 1] == "/*"
            if len(uploads) < len(SITE_FILES):
                problems.append(("*", "invalidated before every file was uploaded"))
            continue
        if args[:2] != ["s3", "sync"]:
            continue
        if args[3] != "s3://site-bucket":
            problems.append(("*", f"sync to {args[3]}"))
        opts, filters, j = {}, [], 4
        while j < len(args):
            flag = args[j]
            if flag in ("--include", "--exclude"):
                filters.append((flag, args[j + 1]))
                j += 2
            elif flag in ("--content-type", "--cache-control"):
                opts[flag] = args[j + 1]
                j += 2
            else:
                opts[flag] = True
                j += 1
        for name in SITE_FILES:
            included = True
            for flag, pattern in filters:
                if fnmatch.fnmatchcase(name, pattern):
                    included = flag == "--include"
            if not included or (name in uploads and opts.get("--size-only")):
                continue
            if name not in uploads:
                uploads[name] = opts
                order.append(name)
        if opts.get("--delete") and any(a[:2] == ["s3", "sync"] for a in calls[i + 1:]):
            problems.append(("*", "stale files are deleted before the upload is complete"))
    for name in SITE_FILES:
        opts = uploads.get(name)
        if opts is None:
            problems.append((name, "not uploaded"))
            continue
        cache = opts.get("--cache-control", "")
        if name.endswith(".wasm") and opts.get("--content-type") != "application/wasm":
            problems.append((name, f"Content-Type {opts.get('--content-type')}, not application/wasm"))
        if name.endswith(".xgm") and opts.get("--content-type") != "application/octet-stream":
            problems.append((name, "model not uploaded as application/octet-stream"))
        if HASHED.search(name) and "immutable" not in cache:
            problems.append((name, f"hashed asset cached as {cache!r}"))
        if not HASHED.search(name) and not name.startswith("snippets/") and cache != "no-cache":
            problems.append((name, f"cached as {cache!r}, not revalidated"))
    if "index.html" in order and order.index("index.html") != len(order) - 1:
        problems.append(("index.html", "uploaded before the files it names"))
    if not any(a[:2] == ["s3", "sync"] and "--delete" in a for a in calls):
        problems.append(("*", "old hashed assets are never deleted"))
    if not invalidated:
        problems.append(("*", "CloudFront is not invalidated"))
    return problems


class TestSiteUpload(unittest.TestCase):
    """scripts/upload-site.sh sets Content-Type (application/wasm for .wasm) and Cache-Control
    on every file, uploads index.html last, deletes stale files last, invalidates CloudFront."""

    SCRIPT = INFRA / "scripts" / "upload-site.sh"

    def run_script(self, text=None):
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            script = self.SCRIPT
            if text is not None:
                script = tmp / "upload-site.sh"
                script.write_text(text)
            return upload_problems(run_upload(script, tmp))

    def test_upload(self):
        self.assertEqual(self.run_script(), [])

    def test_broken_copies_are_caught(self):
        original = self.SCRIPT.read_text()
        breakages = {
            "wasm type left to guessing": ("--content-type application/wasm", ""),
            "index.html first": ("# 1. Content-hashed assets.", "aws s3 sync \"$DIST\" \"$DEST\" --exclude '*' --include index.html --cache-control no-cache"),
            "no invalidation": ("aws cloudfront create-invalidation", "echo aws cloudfront create-invalidation"),
            "everything no-cache": ('IMMUTABLE="public, max-age=31536000, immutable"', 'IMMUTABLE="no-cache"'),
        }
        for what, (old, new) in breakages.items():
            with self.subTest(what):
                self.assertIn(old, original)
                self.assertNotEqual(self.run_script(original.replace(old, new)), [])

    def test_refuses_a_missing_build(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = subprocess.run(["bash", str(self.SCRIPT), tmp, "site-bucket"], capture_output=True, text=True)
        self.assertEqual(out.returncode, 1)
        self.assertIn("index.html does not exist", out.stderr)


if __name__ == "__main__":
    unittest.main()
