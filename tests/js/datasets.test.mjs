// Fashion-MNIST beside MNIST: both go through the core's validated IDX parser, each is held once
// by the engine, a run trains on the one its config names, damaged files are refused by name,
// label noise leaves nothing to learn, and the shipped checkpoints start runs on either dataset.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { parse } from '../../web/lib/config.mjs';
import { drive } from '../../web/lib/driver.mjs';
import { CHECKPOINTS, DATASETS, IDX_FILES, className } from '../../web/lib/datasets.mjs';
import { decodeLenet } from '../../web/lib/safetensors.mjs';
import { FASHION_DIR, ensureData, loadEngine, readCheckpoint, readFashion } from '../../tools/engine-node.mjs';

let engine, fashion;
before(async () => {
  engine = await loadEngine('simd');
  fashion = await readFashion();
  engine.setData('fashion', fashion);
  await ensureData(engine, 'mnist');
});

/** Runs a link to the end; returns the run's final metrics. */
function train(link, weights) {
  const run = engine.createRun(parse(link).config, { weights });
  drive(run, { budget: { maxUnits: 5000 } });
  return { m: run.metrics(), run };
}

describe('Fashion-MNIST data', () => {
  test('loads through the same IDX parser: 60,000 and 10,000 images, 10 balanced classes', () => {
    assert.equal(engine.trainCountOf('fashion'), 60000);
    assert.equal(engine.testCountOf('fashion'), 10000);
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 10000; i++) counts[engine.testLabel(i, 'fashion')]++;
    assert.deepEqual(counts, new Array(10).fill(1000));
    // MNIST is held beside it, unchanged
    assert.equal(engine.trainCountOf('mnist'), 60000);
    assert.notDeepEqual(engine.testImage(0, 'fashion'), engine.testImage(0, 'mnist'));
    assert.equal(DATASETS.fashion.classes.length, 10);
    assert.equal(className('fashion', 9), 'Ankle boot');
    assert.equal(className('mnist', 7), '7');
  });

  test('a truncated or corrupt Fashion file is refused by name and the loaded set stays', async () => {
    const eng = await loadEngine('simd');
    eng.setData('fashion', fashion);
    const first = eng.testImage(0, 'fashion');
    assert.throws(() => eng.setData('fashion', { ...fashion, trainImages: fashion.trainImages.subarray(0, 1000000) }),
      /fashion training set: images file: .*truncated/);
    assert.throws(() => eng.setData('fashion', { ...fashion, testLabels: fashion.testImages }), /fashion test set: labels file: magic/);
    const badLabel = fashion.testLabels.slice();
    badLabel[8 + 17] = 10;
    assert.throws(() => eng.setData('fashion', { ...fashion, testLabels: badLabel }), /fashion test set: label 17 is 10/);
    assert.deepEqual(eng.testImage(0, 'fashion'), first);
    assert.equal(eng.hasData('mnist'), false);
    assert.throws(() => eng.createRun(parse('n=100&val=0&test=100').config), /mnist dataset is not loaded/);
  });

  test('a damaged or missing .gz names the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lenet-fashion-'));
    try {
      for (const name of Object.values(IDX_FILES)) await writeFile(join(dir, `${name}.gz`), await readFile(`${FASHION_DIR}/${name}.gz`));
      const gz = await readFile(join(dir, 't10k-labels-idx1-ubyte.gz'));
      await writeFile(join(dir, 't10k-labels-idx1-ubyte.gz'), gz.subarray(0, gz.length - 100));
      await assert.rejects(readFashion(dir), /t10k-labels-idx1-ubyte\.gz is damaged: it is not a complete gzip file/);
      // A well-formed gzip of a truncated IDX file gets past gunzip and is refused by the parser.
      const images = await readFashion(FASHION_DIR).then((d) => d.testImages);
      await writeFile(join(dir, 't10k-labels-idx1-ubyte.gz'), gz);
      await writeFile(join(dir, 't10k-images-idx3-ubyte.gz'), gzipSync(images.subarray(0, images.length - 784)));
      const eng = await loadEngine('simd');
      const damaged = await readFashion(dir);
      assert.throws(() => eng.setData('fashion', damaged), /fashion test set: images file: .*truncated/);
      await rm(join(dir, 'train-images-idx3-ubyte.gz'));
      await assert.rejects(readFashion(dir), /cannot read Fashion-MNIST's .*train-images-idx3-ubyte\.gz.*dataset-fashion-mnist/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a run trains on the dataset its config names', () => {
    const link = 'n=1000&val=0&test=1000&ep=1&lr=0.003';
    const { m: f, run } = train(`data=fashion&${link}`);
    assert.equal(run.data, 'fashion');
    const { predictions, indices } = run.testPredictions();
    let correct = 0;
    for (let i = 0; i < predictions.length; i++) correct += predictions[i] === run.testLabel(indices[i]);
    assert.ok(Math.abs(correct / predictions.length - f.testAcc) < 1e-6, 'the accuracy counts Fashion labels');
    assert.ok(f.testAcc > 0.4 && f.testAcc < 0.85, `Fashion after one epoch on 1,000: ${f.testAcc}`);
    run.free();
    const { m: d, run: r2 } = train(`data=mnist&${link}`);
    assert.ok(d.testAcc > 0.6 && d.testAcc !== f.testAcc, `MNIST: ${d.testAcc}`);
    r2.free();
  });
});

describe('label noise', () => {
  // The slow check (within 2 points of chance over seeds, 10,000 test images) is in
  // tests/experiments/fashion.test.mjs.
  test('random labels teach nothing that carries to the test set; true ones do', () => {
    const link = 'n=1000&val=0&test=1000&ep=2&lr=0.003';
    const { m: clean, run: a } = train(link);
    const { m: noisy, run: b } = train(`${link}&noise=1`);
    assert.ok(clean.testAcc > 0.8, `true labels: ${clean.testAcc}`);
    assert.ok(noisy.testAcc < 0.2, `random labels: ${noisy.testAcc}`);
    a.free(); b.free();
  });

  test('noise 0 is the run of a link without the key, bit for bit', () => {
    const a = train('n=500&val=200&test=300&ep=1&drop1=0.2');
    const b = train('n=500&val=200&test=300&ep=1&drop1=0.2&noise=0');
    assert.deepEqual(a.run.params(), b.run.params());
    a.run.free(); b.run.free();
  });
});

describe('checkpoints', () => {
  // Each checkpoint, evaluated as it is (lr 1e-6 changes nothing visible), on what it learnt.
  const OWN = { pretrained: ['mnist&digits=01234', 0.97], mnist: ['mnist', 0.97], fashion: ['fashion', 0.85] };
  for (const [from, path] of Object.entries(CHECKPOINTS)) {
    test(`${from}: ${path} is small, carries its config, and starts runs on either dataset`, async () => {
      const bytes = await readCheckpoint(from);
      assert.ok(bytes.length < 190000, `${bytes.length} bytes`);
      const { metadata } = decodeLenet(bytes);
      const { config, warnings } = parse(metadata.config);
      assert.deepEqual(warnings, []);
      assert.equal(config.from, 'scratch');
      assert.equal(config.data, from === 'fashion' ? 'fashion' : 'mnist');
      const [own, acc] = OWN[from];
      const { m, run } = train(`data=${own}&from=${from}&lr=0.000001&n=100&val=0&test=2000&ep=1`, bytes);
      assert.ok(m.testAcc > acc, `${from} on ${own}: ${m.testAcc}`);
      run.free();
      for (const data of ['mnist', 'fashion']) {
        const { m: t, run: r } = train(`data=${data}&from=${from}&head=1&freeze=conv1,conv2&n=1000&val=0&test=1000&ep=2`, bytes);
        assert.ok(t.testAcc > 0.5, `${from} -> ${data} with a new head: ${t.testAcc}`);
        r.free();
      }
    });
  }
});
