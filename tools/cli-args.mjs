/**
 * cli-args.mjs - train.mjs's arguments and files: every flag and path is checked before any
 * training starts, weights are read with a size bound, and the outputs of a run are written
 * atomically, all or none.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, realpath, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SCHEMA } from '../web/lib/config.mjs';
import { decodeSafetensors, MAX_FILE_BYTES } from '../web/lib/safetensors.mjs';

/** A problem with the arguments or the files they name: exit status 2. */
export class UsageError extends Error {}

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  epochs: { type: 'string' },
  json: { type: 'string' },
  csv: { type: 'string' },
  save: { type: 'string' },
  predictions: { type: 'string' },
  load: { type: 'string' },
  chunk: { type: 'string' },
  // Sweeps (tools/sweep-cli.mjs): --sweep may be repeated, one axis each, for a grid.
  sweep: { type: 'string', multiple: true },
  seeds: { type: 'string' },
  jobs: { type: 'string' },
  'print-commands': { type: 'boolean' },
  'json-line': { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
};
// Every schema key is a flag too (--lr 0.01, --act tanh), applied after --config.
for (const e of SCHEMA) if (!(e.key in OPTIONS)) OPTIONS[e.key] = { type: 'string' };

// The flags that write a file, in the order their files are written.
const OUTPUT_FLAGS = ['json', 'csv', 'save', 'predictions'];
const PATH_FLAGS = [...OUTPUT_FLAGS, 'load'];
// Flags that set the same thing under two names count as one flag when repeated.
const SETTING = { epochs: 'ep' };
// Flags that may be given more than once: each --sweep is one axis of a grid.
const REPEATABLE = new Set(['sweep']);

/**
 * The flags' values. Refuses unknown flags, a flag given twice (a link refuses a repeated key
 * too, and the last value silently winning hides typos in scripts) and empty file names.
 * @param {string[]} argv
 * @returns {Record<string, string|boolean|undefined>}
 * @throws {UsageError}
 */
export function parseCli(argv) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false, tokens: true });
  } catch (e) {
    throw new UsageError(e.message);
  }
  const seen = new Map();
  for (const t of parsed.tokens) {
    if (t.kind !== 'option' || REPEATABLE.has(t.name)) continue;
    const setting = SETTING[t.name] ?? t.name;
    if (seen.has(setting)) {
      const first = seen.get(setting);
      const names = first === t.rawName ? t.rawName : `${first} and ${t.rawName}`;
      throw new UsageError(`${setting} given more than once (${names}); give each setting once`);
    }
    seen.set(setting, t.rawName);
  }
  const { values } = parsed;
  for (const key of PATH_FLAGS) {
    if (values[key] === '') throw new UsageError(`--${key} needs a file name, not ''`);
  }
  if (values.config === '') throw new UsageError("--config needs a link or hash, not ''");
  return values;
}

/**
 * Reads a weights file, refusing anything but a regular file of at most the largest size a weights
 * file can have (the largest network's), so /dev/zero or a FIFO fails at once instead of filling memory or hanging.
 * The format is checked too, so a bad file is refused before the engine and the data load; whether
 * its tensors are the network's is checked when the run starts.
 * @param {string|URL} path
 * @returns {Promise<Uint8Array>}
 * @throws {UsageError}
 */
export async function readWeightsFile(path) {
  const name = String(path);
  let file;
  try {
    // O_NONBLOCK: opening a FIFO that has no writer returns at once (and is then refused) instead of waiting.
    file = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new UsageError(`cannot read weights ${name}: ${e.code ?? e.message}`);
  }
  try {
    const info = await file.stat();
    if (!info.isFile()) throw new UsageError(`cannot read weights ${name}: ${kind(info)}, not a regular file`);
    // stat's size can be 0 for files that are not (/proc), or grow while read: bound the reading itself.
    const buffer = new Uint8Array(MAX_FILE_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await file.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_FILE_BYTES) {
        throw new UsageError(`cannot read weights ${name}: larger than ${MAX_FILE_BYTES} bytes, the most a weights file can be`);
      }
    }
    const bytes = buffer.subarray(0, length);
    decodeSafetensors(bytes, null);
    return bytes;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot read weights ${name}: ${e.code ?? e.message}`);
  } finally {
    await file.close();
  }
}

function kind(info) {
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a FIFO';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  if (info.isSocket()) return 'a socket';
  return 'a special file';
}

// Beside the target, so the final rename never crosses file systems; hidden, and unique per write.
const temporaryFor = (path) => resolve(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);

// Throws a UsageError unless path can be replaced by a file written beside it.
async function checkOutput(flag, path) {
  const refuse = (why) => { throw new UsageError(`cannot write --${flag} ${path}: ${why}`); };
  if (path.endsWith('/')) refuse('names a directory');
  const absolute = resolve(path);
  const info = await stat(absolute).catch((e) => (e.code === 'ENOENT' ? null : refuse(e.code ?? e.message)));
  // Renaming over a device or a FIFO would replace it rather than write to it: only regular files.
  if (info && !info.isFile()) refuse(`${kind(info)}, not a regular file`);
  const dir = dirname(absolute);
  const dirInfo = await stat(dir).catch((e) => refuse(`its directory ${dir} ${e.code === 'ENOENT' ? 'does not exist' : `is unusable (${e.code})`}`));
  if (!dirInfo.isDirectory()) refuse(`${dir} is not a directory`);
  // Only creating a file proves it can be done (read-only mounts, /proc, root's immunity to modes).
  const probe = temporaryFor(absolute);
  try {
    await (await open(probe, 'wx')).close();
  } catch (e) {
    refuse(`cannot create a file in ${dir} (${e.code ?? e.message})`);
  }
  await rm(probe, { force: true });
  // What makes two names one file: its inode if it exists, else its name in the real directory.
  const id = info ? `${info.dev}:${info.ino}` : join(await realpath(dir), basename(absolute));
  return { flag, path: absolute, id };
}

/**
 * Checks every output before training: a file name whose directory exists and takes new files, not
 * a directory or special file, and no two outputs naming the same file.
 * @param {Record<string, string|undefined>} paths output flag -> file name, as from parseCli
 * @returns {Promise<{write(contents: Record<string, string|Uint8Array|undefined>): Promise<void>}>}
 *   write() writes each output that has contents; outputs without contents are left alone
 * @throws {UsageError}
 */
export async function prepareOutputs(paths) {
  const outputs = [];
  for (const flag of OUTPUT_FLAGS) {
    if (paths[flag] === undefined) continue;
    const out = await checkOutput(flag, paths[flag]);
    const same = outputs.find((o) => o.path === out.path || o.id === out.id);
    if (same) throw new UsageError(`--${same.flag} and --${flag} name the same file ${paths[flag]}: give each its own`);
    outputs.push(out);
  }
  return { write: (contents) => writeAtomically(outputs.filter((o) => contents[o.flag] !== undefined), contents) };
}

// Writes every file to a temporary beside it, then renames them all into place. On any failure
// nothing of this run remains: temporaries go, and so do files already renamed into place.
async function writeAtomically(outputs, contents) {
  const temporaries = [];
  const placed = [];
  let current;
  try {
    for (const o of outputs) {
      current = o;
      const temporary = temporaryFor(o.path);
      temporaries.push(temporary);
      const file = await open(temporary, 'wx');
      try {
        await file.writeFile(contents[o.flag]);
        await file.sync();
      } finally {
        await file.close();
      }
    }
    for (const [i, o] of outputs.entries()) {
      current = o;
      await rename(temporaries[i], o.path);
      placed.push(o.path);
    }
  } catch (e) {
    await Promise.all([...temporaries, ...placed].map((p) => rm(p, { force: true })));
    throw new Error(`cannot write --${current.flag} ${current.path}: ${e.code ?? e.message}; no output of this run was kept`);
  }
}
