// The datasets a run can train on and the checkpoints it can start from: names, files and class
// names, shared by the page, the workers and Node. Paths are relative to the site's root
// (build/web); under Node, tools/engine-node.mjs maps them to their sources.

/** The four IDX files of a dataset, by the names setData() takes. */
export const IDX_FILES = Object.freeze({
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
});

/**
 * @typedef {object} Dataset
 * @property {string} title   human name
 * @property {string} dir     folder of its gzipped IDX files in the site
 * @property {string} classWord  'digit' or 'class', for labels in the page
 * @property {readonly string[]} classes  the name of each label 0..9
 */

/** @type {Readonly<Record<string, Dataset>>} keyed by the schema's `data` choices */
export const DATASETS = Object.freeze({
  mnist: Object.freeze({
    title: 'MNIST', dir: 'data/', classWord: 'digit',
    classes: Object.freeze(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']),
  }),
  fashion: Object.freeze({
    title: 'Fashion-MNIST', dir: 'data/fashion/', classWord: 'class',
    classes: Object.freeze(['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt',
      'Sneaker', 'Bag', 'Ankle boot']),
  }),
});

/** The checkpoint files, keyed by the schema's `from` choices (all but 'scratch'). */
export const CHECKPOINTS = Object.freeze({
  pretrained: 'pretrained/lenet5-digits0-4.safetensors',
  mnist: 'pretrained/lenet5-mnist.safetensors',
  fashion: 'pretrained/lenet5-fashion.safetensors',
});

/** The name of label k of a dataset: '7' for MNIST, 'Sneaker' for Fashion-MNIST. */
export function className(data, k) {
  const d = DATASETS[data] ?? DATASETS.mnist;
  return d.classes[k] ?? String(k);
}
