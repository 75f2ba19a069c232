// The JS package (`--features js`, wasm-bindgen `--target web`) as a third-party page would
// use it, run in node: every golden case scores to the exact xG bits, through both the flat
// and the JSON entry points, and bad input throws instead of returning a number.
//
// Usage: node --test scorer/js/golden.test.mjs   (XGOALS_JS_PKG = directory of scorer.js)
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const pkgDir = process.env.XGOALS_JS_PKG ?? join(root, "target", "scorer-pkg");
const pkg = await import(pathToFileURL(join(pkgDir, "scorer.js")).href);
pkg.initSync({ module: readFileSync(join(pkgDir, "scorer_bg.wasm")) });

const golden = JSON.parse(readFileSync(join(root, "testdata", "golden", "golden.json"), "utf8"));
const model = readFileSync(join(root, "testdata", "models", "test-model.xgm"));
const bitsOf = (x) => new Uint32Array(new Float32Array([x]).buffer)[0];
const hex = (s) => Uint8Array.from(s.match(/../g).map((b) => parseInt(b, 16)));

test("feature table matches the golden file", () => {
  assert.deepEqual(pkg.featureNames(), golden.feature_names);
  assert.equal(pkg.featureSetId(), golden.feature_set_id);
});

test("flat batch scores every golden case bit for bit", () => {
  const scorer = new pkg.Scorer(model);
  const flat = new Uint8Array(golden.cases.length * 32);
  golden.cases.forEach((c, i) => flat.set(hex(c.flat), i * 32));
  const xg = scorer.scoreFlat(flat);
  assert.equal(xg.length, golden.cases.length);
  golden.cases.forEach((c, i) => {
    assert.equal(bitsOf(xg[i]).toString(16).padStart(8, "0"), c.xg_bits, c.name);
  });
  assert.ok(golden.cases.length >= 500);
});

test("shot JSON scores every golden case bit for bit", () => {
  const scorer = new pkg.Scorer(model);
  for (const c of golden.cases) {
    const xg = scorer.scoreJson(JSON.stringify(c.shot));
    assert.equal(bitsOf(xg).toString(16).padStart(8, "0"), c.xg_bits, c.name);
  }
});

test("bad input throws with a reason", () => {
  assert.throws(() => new pkg.Scorer(new Uint8Array([1, 2, 3])), /truncated|magic/);
  const corrupt = Uint8Array.from(model);
  corrupt[corrupt.length - 10] ^= 0xff;
  assert.throws(() => new pkg.Scorer(corrupt), /checksum/);
  const scorer = new pkg.Scorer(model);
  assert.throws(() => scorer.scoreJson('{"x_m": 1e9, "y_m": 34}'), /off the/);
  assert.throws(() => scorer.scoreJson("not json"), /malformed JSON/);
  assert.throws(() => scorer.scoreFlat(new Uint8Array(31)), /32 bytes/);
  const bad = hex(golden.cases[0].flat);
  bad[8] = 77; // unknown body part code
  assert.ok(Number.isNaN(scorer.scoreFlat(bad)[0]));
});
