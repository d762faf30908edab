// The native kernel tests, compiled to wasm with SIMD128: the wasm_simd128.h path of every kernel
// against its scalar reference and its finite differences.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';

test('wasm SIMD kernels pass the kernel tests', async () => {
  const bin = new URL('../../build/wasm-tests/test_kernels.js', import.meta.url).pathname;
  const { stdout } = await promisify(execFile)(process.execPath, [bin]).catch((e) => {
    assert.fail(`${bin} failed (built by 'make test-js'):\n${e.stdout}\n${e.stderr}`);
  });
  assert.match(stdout, /^kernels: \d+ passed, 0 failed$/m);
  assert.doesNotMatch(stdout, /^not ok/m);
});
