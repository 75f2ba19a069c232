# Checks of infrastructure/ (Terraform for edge-host and the site on AWS: root module wiring
# modules/*, environments in vars/). Source it after .ci/lib.sh and call infra_checks.
# `terraform init` cannot fetch the AWS provider on CI machines, so validate/plan run in CD
# (docs/DEPLOY.md); here: formatting, checkov's security rules, and Python tests that parse the
# .tf/.tfvars files (module wiring and references, the settings edge-host depends on) and run
# scripts/upload-site.sh against a stub aws (infrastructure/tests/).

# checkov (with python-hcl2, which the test uses) in a venv outside the clone. Pinned: a newer
# checkov brings new rules, and the gate should only change when someone bumps this.
CHECKOV_VERSION=3.3.30
CHECKOV_VENV=${XGOALS_CHECKOV_VENV:-$HOME/.cache/xgoals/checkov-venv}

need_checkov() {
  # (Asking the package metadata: `checkov --version` takes ~10 s to start.)
  if [ "$("$CHECKOV_VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("checkov"))' \
          2>/dev/null)" != "$CHECKOV_VERSION" ]; then
    echo "installing checkov $CHECKOV_VERSION into $CHECKOV_VENV"
    command -v python3 >/dev/null || apt_install python3 python3-venv
    python3 -m venv "$CHECKOV_VENV" 2>/dev/null || { apt_install python3-venv; python3 -m venv "$CHECKOV_VENV"; }
    "$CHECKOV_VENV/bin/pip" install -q "checkov==$CHECKOV_VERSION"
  fi
}

infra_checks() {
  local infra="$ROOT/infrastructure"
  # No ~/.terraformrc on CI machines; without this terraform warns on every call.
  export TF_CLI_CONFIG_FILE=/dev/null

  step "infrastructure: tools (checkov $CHECKOV_VERSION in $CHECKOV_VENV)"
  need_checkov
  done_step

  step "infrastructure: terraform fmt -check -recursive"
  if command -v terraform >/dev/null; then
    terraform -chdir="$infra" fmt -check -recursive -diff
  else
    echo "    terraform is not on PATH: skipping the format check"
  fi
  done_step

  step "infrastructure: checkov (zero failed checks; skips carry their reason inline)"
  # --skip-download: no calls to the vendor's platform (unreachable here; not needed offline).
  "$CHECKOV_VENV/bin/checkov" --directory "$infra" --framework terraform --skip-download \
    --compact --quiet
  done_step

  step "infrastructure: wiring and settings edge-host depends on (infrastructure/tests, python-hcl2)"
  PYTHONDONTWRITEBYTECODE=1 "$CHECKOV_VENV/bin/python" -m unittest discover -s "$infra/tests" -t "$infra/tests"
  done_step
}
