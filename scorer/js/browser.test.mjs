// The JS package on a third-party page in headless Chromium (Debian's, driven by
// playwright-core): a plain HTML page served over HTTP imports `scorer.js`, lets `init()`
// fetch `scorer_bg.wasm` next to it (so the path, the MIME type and streaming instantiation
// are the browser's own), fetches a model, and scores every golden case. The test then checks
// the bits it reports against the golden file, here in node.
//
// Usage: XGOALS_JS_PKG=<wasm-pack output> node --test scorer/js/browser.test.mjs
// Environment: XGOALS_CHROMIUM (default /usr/bin/chromium).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { serve } from "../../web/e2e/serve.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const pkgDir = process.env.XGOALS_JS_PKG ?? join(root, "target", "scorer-pkg");
const goldenPath = join(root, "testdata", "golden", "golden.json");
const golden = JSON.parse(readFileSync(goldenPath, "utf8"));

// What a third-party page would write: no bundler, no glue of ours.
const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>someone else's page</title>
<link rel="icon" href="data:,">
<script type="module">
import init, { Scorer, featureSetId } from "./pkg/scorer.js";
const hex = (s) => Uint8Array.from(s.match(/../g).map((b) => parseInt(b, 16)));
const bits = (x) => new Uint32Array(new Float32Array([x]).buffer)[0].toString(16).padStart(8, "0");
try {
  await init();
  const model = new Uint8Array(await (await fetch("model.xgm")).arrayBuffer());
  const golden = await (await fetch("golden.json")).json();
  const scorer = new Scorer(model);
  const flat = new Uint8Array(golden.cases.length * 32);
  golden.cases.forEach((c, i) => flat.set(hex(c.flat), i * 32));
  const flatBits = Array.from(scorer.scoreFlat(flat), bits);
  const jsonBits = golden.cases.map((c) => bits(scorer.scoreJson(JSON.stringify(c.shot))));
  let offPitch = null;
  try {
    scorer.scoreJson('{"x_m": 1e9, "y_m": 34}');
  } catch (e) {
    offPitch = String(e.message ?? e);
  }
  window.result = { featureSetId: String(featureSetId()), flatBits, jsonBits, offPitch };
} catch (e) {
  window.result = { failure: String(e.stack ?? e) };
}
</script>
`;

let site, server, profile, context, page;
const problems = [];

before(async () => {
  site = mkdtempSync(join(tmpdir(), "xgoals-js-page-"));
  cpSync(pkgDir, join(site, "pkg"), { recursive: true });
  cpSync(goldenPath, join(site, "golden.json"));
  cpSync(join(root, "testdata", "models", "test-model.xgm"), join(site, "model.xgm"));
  writeFileSync(join(site, "index.html"), PAGE);
  server = await serve(site, 0);
  profile = mkdtempSync(join(tmpdir(), "xgoals-chromium-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.XGOALS_CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
  page.on("pageerror", (e) => problems.push(`page error: ${e}`));
});

after(async () => {
  await context?.close();
  server?.close();
  for (const dir of [profile, site]) if (dir) rmSync(dir, { recursive: true, force: true });
});

test("a plain page imports the package and scores every golden case bit for bit", async () => {
  const wasmType = new Promise((ok) => page.on("response", (r) => {
    if (r.url().endsWith("/pkg/scorer_bg.wasm")) ok(r.headers()["content-type"]);
  }));
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.waitForFunction(() => window.result, null, { timeout: 30_000 });
  const result = await page.evaluate(() => window.result);
  assert.equal(result.failure, undefined, result.failure);
  assert.equal(await wasmType, "application/wasm");
  assert.equal(result.featureSetId, String(golden.feature_set_id));
  assert.ok(golden.cases.length >= 500);
  assert.equal(result.flatBits.length, golden.cases.length);
  golden.cases.forEach((c, i) => {
    assert.equal(result.flatBits[i], c.xg_bits, `${c.name} (flat)`);
    assert.equal(result.jsonBits[i], c.xg_bits, `${c.name} (JSON)`);
  });
  assert.match(result.offPitch ?? "", /off the/);
  assert.deepEqual(problems, []);
});
