// The JS package (`wasm-pack build scorer --target web -- --no-default-features --features js`,
// or wasm-bindgen `--target web` on the same build) as a third-party page would
// use it, run in node: every golden case scores to the exact xG bits, through both the flat
// and the JSON entry points, and bad input throws instead of returning a number.
//
// Usage: node --test scorer/js/golden.test.mjs   (XGOALS_JS_PKG = directory of scorer.js)
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
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

// wasm-pack's package (CI builds it that way) is what a page installs: its package.json must
// list files that are there and name the entry points, and the licence files (which npm
// packs without a listing) must be beside it.
const packageJson = join(pkgDir, "package.json");
const bareOutput = !existsSync(packageJson) && "no package.json (a bare wasm-bindgen output)";
test("wasm-pack's package.json lists the files it ships", { skip: bareOutput }, () => {
  const meta = JSON.parse(readFileSync(packageJson, "utf8"));
  assert.equal(meta.main, "scorer.js");
  assert.equal(meta.types, "scorer.d.ts");
  assert.equal(meta.license, "MIT OR Apache-2.0");
  for (const f of ["scorer.js", "scorer_bg.wasm", "scorer.d.ts"]) {
    assert.ok(meta.files.includes(f), `package.json "files" lacks ${f}`);
  }
  for (const f of [...meta.files, "LICENSE-MIT", "LICENSE-APACHE"]) {
    assert.ok(existsSync(join(pkgDir, f)), `the package lacks ${f}`);
  }
});

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

// Raw provider events: a shot from Wyscout's or StatsBomb's feed, with the events before it,
// must score exactly like the same shot written in xgoals' shot JSON.
const sbShot = (extra = {}) => ({
  id: "s1", index: 40, period: 1, timestamp: "00:30:00.000", type: { id: 16, name: "Shot" },
  team: { id: 1 }, location: [108, 40],
  shot: { type: { id: 87 }, body_part: { id: 40 }, outcome: { id: 98 }, statsbomb_xg: 0.3,
    end_location: [120, 41, 1] },
  ...extra,
});
const sbCross = {
  id: "p1", index: 39, period: 1, timestamp: "00:29:58.000", type: { id: 30 }, team: { id: 1 },
  location: [60, 40], pass: { cross: true },
};
const bitsHex = (x) => bitsOf(x).toString(16).padStart(8, "0");

test("raw provider events score like the same shot in xgoals' JSON", () => {
  const scorer = new pkg.Scorer(model);
  const json = (o) => scorer.scoreJson(JSON.stringify(o));
  // StatsBomb's penalty spot is xgoals' (94, 34), exactly.
  const penalty = sbShot({ shot: { type: { id: 88 }, body_part: { id: 40 } } });
  assert.equal(
    bitsHex(scorer.scoreStatsbomb(JSON.stringify(penalty), "[]")),
    bitsHex(json({ x_m: 94, y_m: 34, body_part: "right_foot", kind: "penalty" })),
  );
  // An open-play shot after a cross from the centre spot two seconds before.
  const withCross = scorer.scoreStatsbomb(JSON.stringify(sbShot()), JSON.stringify([sbCross]));
  assert.equal(
    bitsHex(withCross),
    bitsHex(json({
      x_m: 94, y_m: 34, body_part: "right_foot", after_cross: true,
      secs_since_prev_event: 2, prev_event_x_m: 52.5, prev_event_y_m: 34,
    })),
  );
  // The context counts: the same shot alone scores differently.
  assert.notEqual(bitsHex(scorer.scoreStatsbomb(JSON.stringify(sbShot()), "[]")), bitsHex(withCross));
  // Wyscout's spot (89 %, 50 %) is (93.45, 34).
  const wyscout = {
    id: 5, matchId: 1, teamId: 1, playerId: 2, eventId: 3, subEventId: 35, matchPeriod: "1H",
    eventSec: 1800, positions: [{ x: 89, y: 50 }], tags: [{ id: 402 }, { id: 101 }],
  };
  assert.equal(
    bitsHex(scorer.scoreWyscout(JSON.stringify(wyscout), "[]")),
    bitsHex(json({ x_m: 93.45, y_m: 34, body_part: "right_foot", kind: "penalty" })),
  );
  // What the feed says about the outcome never moves the number.
  const goal = sbShot();
  goal.shot = { ...goal.shot, outcome: { id: 97 }, statsbomb_xg: 0.99, end_location: [120, 40] };
  assert.equal(
    bitsHex(scorer.scoreStatsbomb(JSON.stringify(goal), JSON.stringify([sbCross]))),
    bitsHex(withCross),
  );
});

test("bad provider events throw with a reason", () => {
  const scorer = new pkg.Scorer(model);
  assert.throws(() => scorer.scoreStatsbomb(JSON.stringify(sbCross), "[]"), /not a shot/);
  assert.throws(() => scorer.scoreStatsbomb(JSON.stringify(sbShot({ period: 5 })), "[]"), /not a shot/);
  assert.throws(() => scorer.scoreStatsbomb(JSON.stringify(sbShot({ timestamp: "30:00" })), "[]"), /timestamp/);
  assert.throws(() => scorer.scoreStatsbomb(JSON.stringify(sbShot({ location: [900, 40] })), "[]"), /off the/);
  assert.throws(() => scorer.scoreStatsbomb(JSON.stringify(sbShot()), "{}"), /`before` must be a JSON array/);
  assert.throws(() => scorer.scoreStatsbomb("{", "[]"), /malformed/);
  assert.throws(() => scorer.scoreWyscout('{"eventId": 10}', "[]"), /malformed Wyscout event/);
  assert.throws(() => scorer.scoreWyscout("{}", "[1]"), /malformed|Wyscout/);
});
