// scorer.wasm for hosts (`cargo build -p scorer --target wasm32-unknown-unknown --release`):
// no imports, exactly the documented plain exports, and the golden cases through them, in one
// batch and one by one. XGOALS_SCORER_WASM = path of the module (one built with the
// `relaxed-simd` feature needs `node --experimental-wasm-relaxed-simd` in node 20).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const wasmPath =
  process.env.XGOALS_SCORER_WASM ??
  join(root, "target", "wasm32-unknown-unknown", "release", "scorer.wasm");
const module = new WebAssembly.Module(readFileSync(wasmPath));

test("no imports and only the documented exports", () => {
  assert.deepEqual(WebAssembly.Module.imports(module), []);
  const functions = WebAssembly.Module.exports(module)
    .filter((e) => e.kind === "function")
    .map((e) => e.name)
    .sort();
  assert.deepEqual(functions, [
    "xg_abi_version",
    "xg_alloc",
    "xg_feature_set_id",
    "xg_free",
    "xg_last_error_len",
    "xg_last_error_ptr",
    "xg_load_model",
    "xg_n_features",
    "xg_score_batch",
    "xg_shot_bytes",
  ]);
});

test("scores the golden cases through the raw exports", () => {
  const { exports: x } = new WebAssembly.Instance(module, {});
  const golden = JSON.parse(readFileSync(join(root, "testdata", "golden", "golden.json"), "utf8"));
  const model = readFileSync(join(root, "testdata", "models", "test-model.xgm"));
  const put = (bytes) => {
    const ptr = x.xg_alloc(bytes.length);
    new Uint8Array(x.memory.buffer, ptr, bytes.length).set(bytes);
    return ptr;
  };
  const lastError = () =>
    new TextDecoder().decode(
      new Uint8Array(x.memory.buffer, x.xg_last_error_ptr(), x.xg_last_error_len()),
    );
  assert.equal(x.xg_abi_version(), 1);
  assert.equal(x.xg_load_model(put(model.subarray(0, 100)), 100), -1);
  assert.match(lastError(), /truncated/);
  assert.equal(x.xg_load_model(put(model), model.length), 0, lastError());
  const n = golden.cases.length;
  const flat = new Uint8Array(n * 32);
  golden.cases.forEach((c, i) =>
    flat.set(Uint8Array.from(c.flat.match(/../g).map((b) => parseInt(b, 16))), i * 32),
  );
  flat[8] = 99; // first shot: unknown body-part code
  const shots = put(flat);
  const xg = x.xg_alloc(4 * n);
  const status = x.xg_alloc(4 * n);
  assert.equal(x.xg_score_batch(shots, n, xg, status, 0), 1);
  assert.match(lastError(), /shot 0: body_part/);
  const xgBits = new Uint32Array(x.memory.buffer, xg, n);
  const codes = new Uint32Array(x.memory.buffer, status, n);
  assert.notEqual(codes[0], 0);
  for (let i = 1; i < n; i++) {
    assert.equal(codes[i], 0);
    assert.equal(xgBits[i].toString(16).padStart(8, "0"), golden.cases[i].xg_bits, golden.cases[i].name);
  }
  // One shot per call, as a host scoring records one by one (scorer.wasm built with the
  // `relaxed-simd` feature takes its one-shot evaluator then).
  for (let i = 1; i < n; i++) {
    assert.equal(x.xg_score_batch(shots + 32 * i, 1, xg, status, 0), 0, lastError());
    const bits = new Uint32Array(x.memory.buffer, xg, 1)[0];
    assert.equal(bits.toString(16).padStart(8, "0"), golden.cases[i].xg_bits, golden.cases[i].name);
  }
  // Pointers outside memory are an error code, not a trap.
  assert.equal(x.xg_score_batch(0xfffffff0, 10, xg, status, 0), -3);
});

test("hostile arguments are error codes or ignored, never traps", () => {
  const { exports: x } = new WebAssembly.Instance(module, {});
  const lastError = () =>
    new TextDecoder().decode(
      new Uint8Array(x.memory.buffer, x.xg_last_error_ptr(), x.xg_last_error_len()),
    );
  // No model yet: an empty batch still needs one; then, whatever its pointers, it scores nothing.
  assert.equal(x.xg_score_batch(0, 0, 0, 0, 0), -2);
  const model = readFileSync(join(root, "testdata", "models", "test-model.xgm"));
  const at = x.xg_alloc(model.length);
  new Uint8Array(x.memory.buffer, at, model.length).set(model);
  assert.equal(x.xg_load_model(at, model.length), 0, lastError());
  assert.equal(x.xg_score_batch(0, 0, 0, 0, 0), 0, lastError());
  assert.equal(x.xg_score_batch(0xfffffff0, 0, 0xfffffff0, 7, 0), 0);
  assert.equal(x.xg_load_model(0, 0), -1, "no bytes is no model");
  // Huge counts and lengths.
  assert.equal(x.xg_score_batch(at, 0xffffffff, at, at, 0), -3);
  assert.equal(x.xg_load_model(at, 0xffffffff), -3);
  // xg_free of what xg_alloc did not hand out, freed twice, or with another length: ignored,
  // and the allocator still works.
  x.xg_free(0xfffffff0, 8);
  assert.match(lastError(), /not a block xg_alloc handed out/);
  x.xg_free(5000, 8);
  const a = x.xg_alloc(64);
  x.xg_free(a, 32);
  assert.match(lastError(), /allocated with 64 bytes/);
  x.xg_free(a, 64);
  x.xg_free(a, 64);
  assert.match(lastError(), /freed already/);
  const b = x.xg_alloc(8);
  assert.notEqual(b, 0);
  x.xg_free(at, model.length);
  // The model stays loaded: the bytes were only read while loading.
  const shot = new Uint8Array(32);
  new DataView(shot.buffer).setFloat32(0, 94, true);
  new DataView(shot.buffer).setFloat32(4, 34, true);
  for (const off of [12, 16, 20, 24]) new DataView(shot.buffer).setFloat32(off, NaN, true);
  const s = x.xg_alloc(32 + 8);
  new Uint8Array(x.memory.buffer, s, 32).set(shot);
  assert.equal(x.xg_score_batch(s, 1, s + 32, s + 36, 0), 0, lastError());
});
