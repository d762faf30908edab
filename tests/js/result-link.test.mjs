// Links that carry their results: the round trip is exact (a retrained run compares bit for bit
// with the shared one), a change is found at its first epoch, the size limit is enforced with a
// message, a sweep travels in the link, and hostile result parts (mutations, bombs, wrong
// structures) are refused with a 'bad-link' LabError and nothing else.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { parse, validate } from '../../web/lib/config.mjs';
import { LabError } from '../../web/lib/errors.mjs';
import { compareRuns, decodeResults, describeReproduction, encodeResults, LINK_SWEEP_MAX_RUNS, readLink,
  RESULT_LINK_MAX, splitLink, writeLink } from '../../web/lib/result-link.mjs';
import { parseSweep } from '../../web/lib/sweep.mjs';
import { loadEngineWithData } from '../../tools/engine-node.mjs';
import { trainOne } from '../../tools/train-one.mjs';

let engine;
const histories = [];
const configs = [];
before(async () => {
  engine = await loadEngineWithData('simd');
  const base = parse('n=300&val=100&test=200&ep=3&reg=l2').config;
  for (const lam of [1e-4, 1e-2]) {
    const config = validate({ lam }, base).config;
    const { history, run } = trainOne(engine, config, { budget: { maxUnits: 500 } });
    run.free();
    configs.push(config);
    histories.push(history);
  }
});

async function mustRefuse(promiseFn, what) {
  try {
    await promiseFn();
  } catch (e) {
    assert.ok(e instanceof LabError && e.code === 'bad-link', `${what}: ${e.stack}`);
    return;
  }
  return 'accepted';
}

describe('result links', () => {
  test('results round-trip exactly and a retrained run is reproduced bit for bit', async () => {
    const hash = writeLink({ configs });
    const { link, results, perLayer } = await encodeResults(histories, hash, { prefix: 'http://127.0.0.1:8080/' });
    assert.ok(perLayer);
    assert.ok(link.length < 8000, `${link.length} characters`);
    const read = readLink(link);
    assert.equal(read.results, results);
    assert.equal(read.configs.length, 2);
    const shared = await decodeResults(read.results, read.configs);
    for (const [i, s] of shared.entries()) {
      assert.equal(s.shared, true);
      assert.deepEqual(s.epochs, histories[i].epochs);
      assert.deepEqual(s.result, histories[i].result);
      assert.deepEqual(s.samples, histories[i].samples);
      assert.equal(s.steps.length, 0);
      // Retrain from the link's config: the same bits.
      const { history, run } = trainOne(engine, read.configs[i], { budget: { maxUnits: 333 } });
      run.free();
      assert.equal(compareRuns(s, history), null);
      assert.equal(describeReproduction(compareRuns(s, history)), 'reproduced bit for bit');
    }
    // One float32 ulp off in epoch 2 is found.
    const changed = structuredClone(histories[1]);
    const x = new Float32Array([changed.epochs[1].valLoss]);
    new Uint32Array(x.buffer)[0] += 1;
    changed.epochs[1].valLoss = x[0];
    const d = compareRuns(shared[1], changed);
    assert.deepEqual([d.epoch, d.field], [2, 'valLoss']);
    assert.match(describeReproduction(d), /^differs from epoch 2 on \(valLoss/);
    const shorter = structuredClone(histories[0]);
    shorter.epochs.pop();
    assert.equal(compareRuns(shared[0], shorter).field, 'epochs');
  });

  test('a sweep travels in the link, with its results', async () => {
    const sweep = parseSweep(['lam=1e-4,1e-2'], 1);
    const hash = writeLink({ base: configs[0], sweep });
    assert.match(hash, /!sw=lam%3D1e-4%2C1e-2$/);
    const read = readLink(`#${hash}`);
    assert.deepEqual(read.configs, configs);
    assert.deepEqual(read.sweep.axes.map((a) => a.spec), ['lam=1e-4,1e-2']);
    const { link } = await encodeResults(histories, hash);
    const again = readLink(link);
    assert.deepEqual((await decodeResults(again.results, again.configs)).map((h) => h.epochs), histories.map((h) => h.epochs));
    assert.equal(splitLink(link).runs, hash.split('!')[0]);
    // Seeds in a link, and the page's bound on a sweep's runs.
    assert.equal(readLink(`#${writeLink({ base: configs[0], sweep: parseSweep(['lam=1e-4,1e-2'], 3) })}`).configs.length, 6);
    assert.throws(() => readLink(`#n=300!sw=${encodeURIComponent('lam=log:1e-5..1e-1:20')}&seeds=4`), (e) => e.code === 'bad-link' && new RegExp(`${LINK_SWEEP_MAX_RUNS}`).test(e.message));
    for (const bad of ['#n=300!zz=1', '#n=300!sw=lam%3Dx', '#n=300!seeds=2&seeds=3', '#n=300~n=400!sw=lam%3D1e-3', '#n=300!sw=%E0%A4%A', '#n=300!r=a&r=b']) {
      assert.throws(() => readLink(bad), (e) => e.code === 'bad-link', bad);
    }
  });

  test('results beyond the size limit are refused with a message; per-layer columns go first', async () => {
    // 30 and 100 epochs of 8 runs: made-up rows of random floats, which compress badly.
    const big = parse('ep=100').config;
    let seed = 1;
    const rnd = () => Math.fround(((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32));
    const layer = () => [rnd(), rnd(), rnd(), rnd(), rnd()];
    const fake = (n) => Array.from({ length: 8 }, (_, i) => ({ ...histories[0], id: i + 1, config: big,
      epochs: Array.from({ length: n }, (_, j) => ({ epoch: j + 1, step: j + 1, trainLoss: rnd(), valLoss: rnd(), testLoss: rnd(),
        trainAcc: rnd(), valAcc: rnd(), testAcc: rnd(), meanLoss: rnd(), meanAcc: rnd(), penalty: rnd(), sparsity: rnd(), bestEpoch: null,
        gradMean: layer(), gradMax: layer(), weightNorm: layer(), layerSparsity: layer() })) }));
    const hash = writeLink({ configs: Array(8).fill(big) });
    const mid = await encodeResults(fake(30), hash);
    assert.equal(mid.perLayer, false, 'dropped the per-layer columns to fit');
    assert.ok(mid.link.length <= RESULT_LINK_MAX);
    const decoded = await decodeResults(readLink(mid.link).results, readLink(mid.link).configs);
    assert.equal(decoded[0].epochs[0].gradMean, null);
    await assert.rejects(encodeResults(fake(100), hash), (e) => e.code === 'too-large' && /32768/.test(e.message));
    assert.throws(() => readLink(`#n=300!r=${'A'.repeat(RESULT_LINK_MAX)}`), (e) => e.code === 'bad-link' && /more than/.test(e.message));
  });

  test('hostile result parts are refused, never thrown otherwise, never expanded without bound', async () => {
    const hash = writeLink({ configs });
    const { results } = await encodeResults(histories, hash);
    // A deflate bomb: 4 MB of zeros compress to a few KB.
    const bomb = new Uint8Array(await new Response(new Blob([new Uint8Array(4 << 20)]).stream().pipeThrough(new CompressionStream('deflate-raw'))).arrayBuffer());
    const b64 = (u8) => btoa(String.fromCharCode(...u8)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    const deflated = async (text) => b64(new Uint8Array(await new Response(new Blob([text]).stream().pipeThrough(new CompressionStream('deflate-raw'))).arrayBuffer()));
    // (Bytes after the end of the compressed data are ignored by some decoders: not a case here.)
    const cases = [b64(bomb), '', '!!!!', 'A', results.slice(0, -5),
      await deflated('[]'), await deflated('{"v":1,"layers":1,"runs":[]}'), await deflated('{"v":2}'),
      await deflated('{"v":1,"v":1,"layers":1,"runs":[]}'), await deflated('['.repeat(10000)),
      await deflated(JSON.stringify({ v: 1, layers: 0, runs: [{ stop: 'epochs', restored: 0, samples: null, message: null, rows: [[1, 2]] }, {}] })),
      await deflated(JSON.stringify({ v: 1, layers: 0, runs: [0, 0].map(() => ({ stop: 'epochs', restored: 9, samples: null, message: null, rows: [] })) })),
      await deflated(JSON.stringify({ v: 1, layers: 0, runs: [0, 0].map(() => ({ stop: 'epochs', restored: 0, samples: null, message: null,
        rows: Array(4).fill(Array(13).fill(1)) })) })),
      await deflated(JSON.stringify({ v: 1, layers: 0, runs: [0, 0].map(() => ({ stop: 'epochs', restored: 0, samples: null, message: null,
        rows: [[2, ...Array(12).fill(1)]] })) })),
      await deflated(JSON.stringify({ v: 1, layers: 0, runs: [0, 0].map(() => ({ stop: 'epochs', restored: 0, samples: null, message: null,
        rows: [[1, 1, '1', ...Array(10).fill(1)]] })) })),
      await deflated('\xff\xfe{}')];
    for (const [i, c] of cases.entries()) assert.equal(await mustRefuse(() => decodeResults(c, configs), `case ${i}`), undefined, `case ${i} accepted: ${c.slice(0, 50)}`);
    // Seeded mutations of a valid part: every outcome is a valid decode or a bad-link refusal.
    let seed = 7;
    const rnd = (n) => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const raw = Uint8Array.from(atob(results.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (results.length % 4)) % 4)), (ch) => ch.charCodeAt(0));
    let accepted = 0;
    for (let i = 0; i < 400; i++) {
      let text;
      if (i % 2) {
        const chars = [...results];
        for (let k = 1 + rnd(4); k > 0; k--) chars[rnd(chars.length)] = alphabet[rnd(64)];
        text = chars.join('');
      } else {
        const bytes = raw.slice();
        for (let k = 1 + rnd(3); k > 0; k--) bytes[rnd(bytes.length)] ^= 1 << rnd(8);
        text = b64(bytes);
      }
      if ((await mustRefuse(() => decodeResults(text, configs), `mutation ${i}`)) === 'accepted') accepted++;
    }
    assert.ok(accepted < 400);
  });
});
