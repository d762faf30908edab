// The experiment schema: one declarative table from which the URL hash, the UI controls, the CLI
// flags and the C configuration are all derived. Pure ES module, no dependencies: it runs unchanged
// in the page, in the worker and in Node.
//
// Link format: runs separated by '~'. The first run is `v=1&key=value&…` with every key in schema
// order; each later run lists only the keys whose values differ from the first run.

/** Layers that own parameters, in forward order; bit i of a freeze mask names LAYER_NAMES[i]. */
export const LAYER_NAMES = Object.freeze(['conv1', 'conv2', 'fc1', 'fc2', 'fc3']);

/**
 * The models a setting applies to; a key not listed applies to every model. The form shows a key
 * only for the models it applies to (or while it holds a value other than its default, which the
 * core then refuses with its own message).
 */
export const APPLIES_TO = Object.freeze({
  depth: Object.freeze(['mlp']),
  width: Object.freeze(['mlp']),
  convs: Object.freeze(['cnn']),
  ch: Object.freeze(['cnn']),
  skip: Object.freeze(['mlp', 'cnn']),
  drop2: Object.freeze(['lenet5']),
  freeze: Object.freeze(['lenet5']),
  from: Object.freeze(['lenet5']),
  head: Object.freeze(['lenet5']),
});

/** Whether setting `key` means something for the model of `config`. */
export function appliesTo(key, config) {
  const models = APPLIES_TO[key];
  return !models || models.includes(config?.model ?? 'lenet5');
}

/** Most runs one link may hold. */
export const MAX_RUNS = 8;

/** Keys of a link that are not settings of a run: a lesson's (web/lib/lesson-link.mjs reads
 * them). parseLink skips them in silence. */
export const LINK_LEVEL_KEYS = Object.freeze(['lock', 'hide', 'prompt']);

const FORMAT_VERSION = '1';
const MAX_INPUT_CHARS = 8192;
const MAX_WARNINGS = 20;
const MAX_ECHO_CHARS = 40;
const MNIST_TRAIN_IMAGES = 60000;

/**
 * One schema entry.
 * @typedef {object} SchemaEntry
 * @property {string} key      URL key, config property name and CLI flag name.
 * @property {'choice'|'number'|'int'|'bool'|'digits'|'layers'} type
 *   number: a float (float32 in C); int: an integer; digits: a sorted set of '0'…'9' as a string;
 *   layers: a comma-separated subset of LAYER_NAMES in layer order ('' = none).
 * @property {string|number|boolean} default
 * @property {number} [min]    inclusive, for number and int
 * @property {number} [max]    inclusive, for number and int
 * @property {readonly string[]} [choices]  for choice, in the order of the C enum
 * @property {string} label    short UI label
 * @property {string} group    UI section
 * @property {string} help     plain-text explanation with the formula or convention
 * @property {string} [core]   the ln_config field (lenet.h) it sets; its C range and default must
 *   agree with this entry's (tests/js/schema-core.test.mjs). Keys without one act in the engine.
 */

/** @type {readonly SchemaEntry[]} */
export const SCHEMA = deepFreeze([
  // Model
  {
    key: 'model', type: 'choice', core: 'model', default: 'lenet5', choices: ['lenet5', 'mlp', 'cnn'],
    label: 'Network', group: 'Model',
    help: 'lenet5: LeNet-5 (conv 6@5×5, avgpool, conv 16@5×5, maxpool, dense 120, 84, 10). ' +
      'mlp: 784 → depth hidden dense layers of width units → 10. ' +
      'cnn: a VGG-style stack of convs 3×3 convolutions ("same" padding): one at 28×28, then about ' +
      'half at 14×14 with ch channels and the rest at 7×7 with 2·ch, max pooling between, global ' +
      'average pooling and a dense layer to the 10 classes. With skip, the mlp and the cnn become ' +
      'ResNet-style: layers of equal width pair up into blocks y = act(x + F(x)).',
  },
  {
    key: 'depth', type: 'int', core: 'hidden_layers', default: 3, min: 1, max: 30,
    label: 'MLP hidden layers', group: 'Model',
    help: 'The mlp\'s hidden dense layers. Ioffe & Szegedy\'s 784-100-100-100-10 network is depth 3, width 100.',
  },
  {
    key: 'width', type: 'int', core: 'hidden_units', default: 100, min: 8, max: 512,
    label: 'MLP hidden units', group: 'Model',
    help: 'Units in each of the mlp\'s hidden layers. The largest network allowed has 8,388,608 ' +
      'parameters (depth 30 at width 512 fits).',
  },
  {
    key: 'convs', type: 'int', core: 'conv_layers', default: 8, min: 3, max: 20,
    label: 'CNN conv layers', group: 'Model',
    help: 'The cnn\'s 3×3 convolutions: 1 at 28×28, ⌊(convs − 1)/2⌋ at 14×14, the rest at 7×7.',
  },
  {
    key: 'ch', type: 'int', core: 'channels', default: 8, min: 4, max: 32,
    label: 'CNN channels', group: 'Model',
    help: 'Channels of the cnn\'s first two stages; the 7×7 stage has twice as many.',
  },
  {
    key: 'bn', type: 'bool', core: 'batch_norm', default: false,
    label: 'Batch norm', group: 'Model',
    help: 'Batch normalisation after every conv and dense layer but the last, before the activation ' +
      '(Keras semantics): y = γ·(x − μ)/√(σ² + ε) + β per channel, with ε = 0.001; μ and σ² are the ' +
      'batch\'s mean and (biased) variance in training and moving averages at test time (momentum ' +
      '0.99: m ← 0.99·m + 0.01·batch value). γ starts at 1, β at 0; neither is regularised.',
  },
  {
    key: 'skip', type: 'bool', core: 'skip', default: false,
    label: 'Residual skips', group: 'Model',
    help: 'Identity shortcuts (He et al. 2016) around pairs of equal-width layers of the mlp or the ' +
      'cnn: y = act(x + F(x)), where F is layer, [bn], act, layer, [bn]. LeNet-5 has none.',
  },
  {
    key: 'act', type: 'choice', core: 'activation', default: 'relu', choices: ['relu', 'tanh', 'sigmoid'],
    label: 'Activation', group: 'Model',
    help: 'Activation after every layer but the last (LeNet-5: conv1, conv2, fc1 and fc2), whose ' +
      'output goes to the softmax. ' +
      'relu(x) = max(0, x); tanh(x) = (eˣ − e⁻ˣ)/(eˣ + e⁻ˣ); sigmoid(x) = 1/(1 + e⁻ˣ).',
  },
  {
    key: 'init', type: 'choice', core: 'init', default: 'glorot_uniform',
    choices: ['zeros', 'random_uniform', 'random_normal', 'glorot_uniform', 'glorot_normal',
      'he_uniform', 'he_normal', 'lecun_uniform', 'lecun_normal'],
    label: 'Initialiser', group: 'Model',
    help: 'How kernels are drawn before training, as in Keras; biases start at 0. ' +
      'fan_in = inputs of a unit (a conv: input channels × 5 × 5), fan_out = outputs (a conv: ' +
      'output channels × 5 × 5). zeros: every weight 0, so the units of a layer stay identical; ' +
      'random_uniform: U(−0.05, 0.05); random_normal: N(0, σ = 0.05), not truncated; ' +
      'glorot_uniform: U(−l, l), l = √(6/(fan_in + fan_out)); glorot_normal: σ = √(2/(fan_in + fan_out)); ' +
      'he_uniform: l = √(6/fan_in); he_normal: σ = √(2/fan_in); lecun_uniform: l = √(3/fan_in); ' +
      'lecun_normal: σ = √(1/fan_in). The glorot, he and lecun normals are truncated at 2 standard ' +
      'deviations and drawn with stddev σ/0.8796 so that the result has stddev σ.',
  },
  // Regularisation
  {
    key: 'reg', type: 'choice', core: 'reg', default: 'none', choices: ['none', 'l1', 'l2', 'elasticnet'],
    label: 'Regulariser', group: 'Regularisation',
    help: 'Penalty added to the loss, on kernels only (biases are not penalised), Keras convention: ' +
      'l1 = λ·Σ|w|; l2 = λ·Σw² (no ½, so its gradient is 2λw); ' +
      'elasticnet = λ·(r·Σ|w| + (1 − r)·Σw²) with r = l1r.',
  },
  {
    key: 'lam', type: 'number', core: 'reg_lambda', default: 1e-4, min: 0, max: 1,
    label: 'λ (strength)', group: 'Regularisation',
    help: 'λ, the strength of the l1, l2 or elasticnet penalty. Ignored when the regulariser is none.',
  },
  {
    key: 'l1r', type: 'number', core: 'reg_l1_ratio', default: 0.5, min: 0, max: 1,
    label: 'ElasticNet L1 ratio r', group: 'Regularisation',
    help: 'r in elasticnet = λ·(r·Σ|w| + (1 − r)·Σw²): r = 1 is pure L1, r = 0 pure L2. ' +
      'Used by elasticnet only.',
  },
  {
    key: 'drop1', type: 'number', core: 'dropout1', default: 0, min: 0, max: 0.9,
    label: 'Dropout 1', group: 'Regularisation',
    help: 'Dropout rate p after fc1\'s activation (the mlp: after every hidden layer; the cnn: before ' +
      'its dense layer). Inverted dropout: in training each unit is zeroed ' +
      'with probability p and the kept ones are scaled by 1/(1 − p); at test time it is the identity.',
  },
  {
    key: 'drop2', type: 'number', core: 'dropout2', default: 0, min: 0, max: 0.9,
    label: 'Dropout 2', group: 'Regularisation',
    help: 'Dropout rate p after fc2\'s activation, LeNet-5 only. Inverted dropout: in training each unit is zeroed ' +
      'with probability p and the kept ones are scaled by 1/(1 − p); at test time it is the identity.',
  },
  // Optimiser
  {
    key: 'opt', type: 'choice', core: 'optimizer', default: 'adam',
    choices: ['sgd', 'momentum', 'nesterov', 'adam', 'rmsprop', 'adagrad', 'adamw'],
    label: 'Optimiser', group: 'Optimiser',
    help: 'Update rule, as in Keras; g is the gradient of the loss plus penalty, η = lr, t the step ' +
      'number from 1. sgd: w −= η·g. momentum: v = μ·v − η·g, w += v. ' +
      'nesterov: v = μ·v − η·g, w += μ·v − η·g. ' +
      'adam: m = β1·m + (1 − β1)·g, v = β2·v + (1 − β2)·g², ' +
      'w −= η·√(1 − β2ᵗ)/(1 − β1ᵗ) · m/(√v + ε) (the bias correction m̂ = m/(1 − β1ᵗ), ' +
      'v̂ = v/(1 − β2ᵗ) folded into the step). rmsprop: v = ρ·v + (1 − ρ)·g², w −= η·g/√(v + ε). ' +
      'adagrad: a += g² with a starting at acc0, w −= η·g/√(a + ε). ' +
      'adamw: w −= η·wd·w on the kernels, then the adam step with the gradient of the loss (and of ' +
      'any penalty): weight decay kept apart from the gradient (Loshchilov & Hutter; Keras AdamW). ' +
      'm, v and a start at 0 unless stated.',
  },
  {
    key: 'lr', type: 'number', core: 'lr', default: 1e-3, min: 1e-6, max: 10,
    label: 'Learning rate η', group: 'Optimiser',
    help: 'η, the step size of every optimiser.',
  },
  {
    key: 'mom', type: 'number', core: 'momentum', default: 0.9, min: 0, max: 0.999,
    label: 'Momentum μ', group: 'Optimiser',
    help: 'μ, for momentum and nesterov: v = μ·v − η·g. μ = 0 makes both plain sgd.',
  },
  {
    key: 'b1', type: 'number', core: 'beta1', default: 0.9, min: 0, max: 0.9999,
    label: 'Adam β1', group: 'Optimiser',
    help: 'β1, adam\'s decay of the gradient average: m = β1·m + (1 − β1)·g.',
  },
  {
    key: 'b2', type: 'number', core: 'beta2', default: 0.999, min: 0, max: 0.99999,
    label: 'Adam β2', group: 'Optimiser',
    help: 'β2, adam\'s decay of the squared-gradient average: v = β2·v + (1 − β2)·g².',
  },
  {
    key: 'rho', type: 'number', core: 'rho', default: 0.9, min: 0, max: 0.9999,
    label: 'RMSprop ρ', group: 'Optimiser',
    help: 'ρ, rmsprop\'s decay of the squared-gradient average: v = ρ·v + (1 − ρ)·g².',
  },
  {
    key: 'eps', type: 'number', core: 'epsilon', default: 1e-7, min: 1e-10, max: 1,
    label: 'Epsilon ε', group: 'Optimiser',
    help: 'ε, keeps the divisions of adam (m/(√v + ε)), rmsprop and adagrad (g/√(… + ε)) finite.',
  },
  {
    key: 'acc0', type: 'number', core: 'adagrad_init', default: 0.1, min: 0, max: 10,
    label: 'Adagrad initial accumulator', group: 'Optimiser',
    help: 'Adagrad\'s starting accumulator a₀ (Keras initial_accumulator_value): a = a₀ + Σg² ' +
      'over the steps so far.',
  },
  {
    key: 'wd', type: 'number', core: 'weight_decay', default: 0.004, min: 0, max: 1,
    label: 'AdamW weight decay', group: 'Optimiser',
    help: 'wd, adamw\'s decoupled weight decay: each step w −= η·wd·w on every kernel (biases are not ' +
      'decayed, as with the regularisers), apart from the gradient. Unlike an L2 penalty, Adam\'s ' +
      'division by √v does not weaken it for weights with large gradients. Used by adamw only.',
  },
  {
    key: 'clip', type: 'number', core: 'clip_norm', default: 0, min: 0, max: 100,
    label: 'Clip gradient norm', group: 'Optimiser',
    help: 'Gradient clipping by global norm: when ‖g‖ = √(Σ over every trained parameter of g²) ' +
      'exceeds clip, every gradient is scaled by clip/‖g‖ before the update (Keras global_clipnorm). ' +
      '‖g‖ before clipping is reported each step. 0 = off.',
  },
  // Training
  {
    key: 'bs', type: 'int', core: 'batch_size', default: 32, min: 1, max: 512,
    label: 'Batch size', group: 'Training',
    help: 'Samples per gradient step; the loss of a step is the mean cross-entropy over its batch ' +
      '(plus the penalty).',
  },
  {
    key: 'ep', type: 'int', core: 'epochs', default: 10, min: 1, max: 200,
    label: 'Epochs', group: 'Training',
    help: 'Passes over the shuffled training samples.',
  },
  {
    key: 'es', type: 'bool', core: 'early_stopping', default: false,
    label: 'Early stopping', group: 'Training',
    help: 'Stop when the validation loss has not improved for pat epochs in a row (Keras ' +
      'EarlyStopping on val_loss). An epoch improves when val_loss < best − mind. Needs val > 0.',
  },
  {
    key: 'pat', type: 'int', core: 'patience', default: 3, min: 1, max: 100,
    label: 'Patience', group: 'Training',
    help: 'Epochs without improvement of the validation loss before early stopping ends training.',
  },
  {
    key: 'mind', type: 'number', core: 'min_delta', default: 0, min: 0, max: 10,
    label: 'Min delta', group: 'Training',
    help: 'min_delta: an epoch counts as an improvement only when val_loss < best − mind.',
  },
  {
    key: 'best', type: 'bool', core: 'restore_best', default: true,
    label: 'Restore best weights', group: 'Training',
    help: 'When early stopping ends training, go back to the weights of the epoch with the lowest ' +
      'validation loss (Keras restore_best_weights).',
  },
  // Data
  {
    key: 'data', type: 'choice', default: 'mnist', choices: ['mnist', 'fashion'],
    label: 'Dataset', group: 'Data',
    help: 'mnist: handwritten digits 0-9 (LeCun et al.); fashion: Fashion-MNIST, Zalando\'s photos of ' +
      'ten kinds of clothing (0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, ' +
      '6 Shirt, 7 Sneaker, 8 Bag, 9 Ankle boot). Both: 28 × 28 grey images, 60,000 for training ' +
      'and 10,000 for test, in the same IDX format.',
  },
  {
    key: 'n', type: 'int', core: 'train_size', default: 10000, min: 100, max: MNIST_TRAIN_IMAGES,
    label: 'Training samples', group: 'Data',
    help: 'Training samples taken from the dataset\'s 60,000-image training file.',
  },
  {
    key: 'val', type: 'int', core: 'val_size', default: 2000, min: 0, max: 30000,
    label: 'Validation samples', group: 'Data',
    help: 'Validation samples, held out of the same 60,000-image file besides the n training ones ' +
      '(n + val ≤ 60,000). Gives val_loss and val_acc each epoch and drives early stopping. 0 = none.',
  },
  {
    key: 'test', type: 'int', core: 'test_size', default: 10000, min: 100, max: 10000,
    label: 'Test samples', group: 'Data',
    help: 'Test samples evaluated each epoch, from the dataset\'s 10,000-image test file.',
  },
  {
    key: 'digits', type: 'digits', core: 'digit_mask', default: '0123456789',
    label: 'Digits / classes', group: 'Data',
    help: 'Which classes (the digits 0-9 of MNIST, the clothing classes 0-9 of Fashion-MNIST) take ' +
      'part in training, validation and test, e.g. 17 for a 1-versus-7 problem. Written sorted, ' +
      'without repeats; at least one.',
  },
  {
    key: 'std', type: 'bool', core: 'standardize', default: false,
    label: 'Standardise', group: 'Data',
    help: 'Pixels are scaled to x/255 in [0, 1]; standardising then maps x to (x − μ)/σ, with μ and σ ' +
      'the mean and standard deviation over every pixel of the training subset.',
  },
  {
    key: 'aug', type: 'int', core: 'augment_shift', default: 0, min: 0, max: 4,
    label: 'Shift augmentation (px)', group: 'Data',
    help: 'Each training image is shifted by a random (dx, dy), each an integer in −aug … aug, ' +
      'with zeros filling in. Validation and test images are not shifted. 0 = off.',
  },
  {
    key: 'noise', type: 'number', core: 'label_noise', default: 0, min: 0, max: 1,
    label: 'Label noise', group: 'Data',
    help: 'Fraction of the training labels replaced by random ones: round(noise·n) training samples, ' +
      'chosen with their own random stream, get a label drawn uniformly from the classes in use ' +
      '(so 1/classes of them keep their label by chance). Validation and test labels are never ' +
      'changed. noise = 1 is Zhang et al. 2017\'s random-label experiment.',
  },
  // Fine-tuning
  {
    key: 'from', type: 'choice', default: 'scratch', choices: ['scratch', 'pretrained', 'mnist', 'fashion'],
    label: 'Start from', group: 'Fine-tuning',
    help: 'scratch: weights drawn by the initialiser; otherwise a shipped LeNet-5 checkpoint ' +
      '(make pretrain): pretrained = trained on MNIST\'s digits 0-4 only; mnist = on all of MNIST; ' +
      'fashion = on all of Fashion-MNIST. Any checkpoint can start a run on either dataset.',
  },
  {
    key: 'head', type: 'bool', default: false,
    label: 'New head (re-initialise fc3)', group: 'Fine-tuning',
    help: 'Before training, draw fresh fc3 weights with the initialiser (bias 0): a new classifier ' +
      'head on top of the other layers.',
  },
  {
    key: 'freeze', type: 'layers', core: 'freeze_mask', default: '',
    label: 'Frozen layers', group: 'Fine-tuning',
    help: 'Layers whose weights and biases are not updated, e.g. conv1,conv2 to train only the ' +
      'dense layers on top of fixed features. Written comma-separated in layer order.',
  },
  {
    key: 'watch', type: 'int', core: 'watch', default: 0, min: 0, max: 30,
    label: 'Watched layer', group: 'Model',
    help: 'The activation layer (1 = the first) whose inputs\' 15th, 50th and 85th percentiles are ' +
      'reported at every step, as in Ioffe & Szegedy\'s Figure 1. 0 = the last hidden layer.',
  },
  // Reproducibility
  {
    key: 'seed', type: 'int', core: 'seed', default: 1, min: 0, max: 4294967295,
    label: 'Seed', group: 'Reproducibility',
    help: 'Seeds the independent random streams of initialisation, shuffling, dropout, ' +
      'augmentation and label noise: the same config and seed give bit-identical results anywhere.',
  },
]);

const BY_KEY = new Map(SCHEMA.map((e) => [e.key, e]));

function deepFreeze(value) {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** @returns {object} a fresh config holding every default. */
export function defaults() {
  const config = {};
  for (const e of SCHEMA) config[e.key] = e.default;
  return config;
}

// ---- single values -----------------------------------------------------------------------------

// Echoes untrusted text in a warning: bounded, and without control or bidi characters that could
// garble a terminal or reorder the surrounding message.
function echo(text) {
  const s = String(text);
  const chars = Array.from(s);
  const short = chars.length > MAX_ECHO_CHARS ? chars.slice(0, MAX_ECHO_CHARS).join('') + '…' : s;
  return `'${short.replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g, '\ufffd')}'`;
}

// Plain decimal notation only: Number() would also accept '', '0x1f', '0b1' and 'Infinity'.
const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const BOOL_WORDS = new Map([
  ['1', true], ['true', true], ['on', true], ['yes', true],
  ['0', false], ['false', false], ['off', false], ['no', false],
]);

function textToNumber(e, text) {
  const s = text.trim();
  if (!NUMBER_RE.test(s)) return { bad: `${e.key}: ${echo(text)} is not a number` };
  const x = Number(s);
  if (!Number.isFinite(x)) return { bad: `${e.key}: ${echo(text)} is not a finite number` };
  return { x };
}

// A number within the entry's range: rounds ints, clamps, and maps -0 to 0 so that it prints back
// as it parses.
function fitNumber(e, x, warn) {
  let y = x;
  if (e.type === 'int' && !Number.isInteger(y)) {
    y = Math.round(y);
    warn(`${e.key}: ${x} is not an integer; using ${y}`);
  }
  if (y < e.min) {
    warn(`${e.key}: ${y} is below the minimum ${e.min}; using ${e.min}`);
    y = e.min;
  } else if (y > e.max) {
    warn(`${e.key}: ${y} is above the maximum ${e.max}; using ${e.max}`);
    y = e.max;
  }
  return y === 0 ? 0 : y;
}

function normaliseDigits(e, text, warn) {
  const seen = new Set();
  let ignored = false;
  for (const ch of text) {
    if (ch >= '0' && ch <= '9') seen.add(ch);
    else ignored = true;
  }
  if (ignored) warn(`${e.key}: ignored characters other than 0-9 in ${echo(text)}`);
  if (seen.size === 0) {
    warn(`${e.key}: no digit given; using ${e.default}`);
    return e.default;
  }
  return [...seen].sort().join('');
}

function normaliseLayers(e, text, warn) {
  const wanted = new Set();
  for (const part of text.split(',')) {
    const name = part.trim().toLowerCase();
    if (name === '') continue;
    if (LAYER_NAMES.includes(name)) wanted.add(name);
    else warn(`${e.key}: ignored unknown layer ${echo(part)} (layers: ${LAYER_NAMES.join(', ')})`);
  }
  return LAYER_NAMES.filter((l) => wanted.has(l)).join(',');
}

// Brings one value, given as text (from a link or a flag) or as a typed value (from a UI control or
// a script), to a valid value of the entry. Reports every change through warn().
function coerce(e, raw, warn) {
  const fallback = (why) => {
    warn(`${why}; using the default ${format(e, e.default)}`);
    return e.default;
  };
  const isText = typeof raw === 'string';
  switch (e.type) {
    case 'number':
    case 'int': {
      if (isText) {
        const r = textToNumber(e, raw);
        return r.bad ? fallback(r.bad) : fitNumber(e, r.x, warn);
      }
      if (typeof raw !== 'number') return fallback(`${e.key}: expected a number, got ${typeof raw}`);
      if (!Number.isFinite(raw)) return fallback(`${e.key}: ${raw} is not a finite number`);
      return fitNumber(e, raw, warn);
    }
    case 'bool': {
      if (typeof raw === 'boolean') return raw;
      const b = isText ? BOOL_WORDS.get(raw.trim().toLowerCase()) : undefined;
      return b ?? fallback(`${e.key}: expected 1 or 0, got ${isText ? echo(raw) : typeof raw}`);
    }
    case 'choice': {
      const c = isText ? raw.trim().toLowerCase() : undefined;
      if (c !== undefined && e.choices.includes(c)) return c;
      return fallback(`${e.key}: ${isText ? echo(raw) : typeof raw} is not one of ${e.choices.join(', ')}`);
    }
    case 'digits':
      return isText ? normaliseDigits(e, raw, warn) : fallback(`${e.key}: expected a string of digits`);
    case 'layers':
      return isText ? normaliseLayers(e, raw, warn) : fallback(`${e.key}: expected layer names`);
  }
  throw new Error(`schema entry ${e.key} has unknown type ${e.type}`);
}

// Canonical text of a valid value: the shortest form that reads back to the same number.
function format(e, value) {
  if (e.type === 'bool') return value ? '1' : '0';
  return String(value);
}

// Rules that involve several keys. They run after every key is valid on its own.
function checkTogether(config, warn) {
  if (config.n + config.val > MNIST_TRAIN_IMAGES) {
    const val = MNIST_TRAIN_IMAGES - config.n;
    warn(`val: n + val = ${config.n + config.val} exceeds the ${MNIST_TRAIN_IMAGES} training images; using val ${val}`);
    config.val = val;
  }
  if (config.es && config.val === 0) {
    warn('es: early stopping needs validation samples (val > 0); turned off');
    config.es = false;
  }
}

/**
 * Checks a config given as an object of typed values or of text (as from CLI flags). Missing keys
 * take their values from base; other properties are ignored.
 * @param {object} input
 * @param {object} [base] a config; defaults() when omitted
 * @returns {{config: object, warnings: string[]}} a valid config and what was changed
 */
export function validate(input, base) {
  const w = warningList();
  const config = check(input, base && check(base), w.add);
  return { config, warnings: w.done() };
}

// The working part of validate(): base must already be valid.
function check(input, base, warn = () => {}) {
  const config = base ? { ...base } : defaults();
  const src = input !== null && typeof input === 'object' ? input : {};
  for (const e of SCHEMA) {
    if (Object.hasOwn(src, e.key)) config[e.key] = coerce(e, src[e.key], warn);
  }
  checkTogether(config, warn);
  return config;
}

// Collects warnings, keeping the list short enough to show.
function warningList() {
  const list = [];
  let dropped = 0;
  return {
    add: (msg) => {
      if (list.length < MAX_WARNINGS) list.push(msg);
      else dropped++;
    },
    done: () => (dropped ? [...list, `… and ${dropped} more warnings`] : list),
  };
}

// ---- links -------------------------------------------------------------------------------------

/** The part of a link that holds the experiment: after '#', else the query of a URL, else the
 * whole text. */
export function fragmentOf(input) {
  const s = typeof input === 'string' ? input : '';
  const hash = s.indexOf('#');
  if (hash >= 0) return s.slice(hash + 1);
  if (/^[a-z][a-z0-9+.-]*:/i.test(s)) {
    const query = s.indexOf('?');
    return query >= 0 ? s.slice(query + 1) : '';
  }
  return s.startsWith('?') ? s.slice(1) : s;
}

function decode(text, warn) {
  try {
    return decodeURIComponent(text);
  } catch {
    warn(`bad %-encoding in ${echo(text)}; ignored`);
    return undefined;
  }
}

// Reads one run's key=value pairs as text, into a null-prototype object so that no key can reach
// Object.prototype. The last of repeated keys wins.
function readPairs(run, warn) {
  const values = Object.create(null);
  for (const pair of run.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decode(eq >= 0 ? pair.slice(0, eq) : pair, warn);
    if (key === undefined) continue;
    if (eq < 0) {
      warn(`${echo(key)} has no value; ignored`);
      continue;
    }
    const value = decode(pair.slice(eq + 1), warn);
    if (value === undefined) continue;
    if (LINK_LEVEL_KEYS.includes(key)) continue;
    if (key !== 'v' && !BY_KEY.has(key)) {
      warn(`unknown key ${echo(key)} ignored`);
      continue;
    }
    if (key in values) warn(`${key} given more than once; the last value wins`);
    values[key] = value;
  }
  if ('v' in values && values.v !== FORMAT_VERSION) {
    warn(`v: unknown format version ${echo(values.v)}; read as version ${FORMAT_VERSION}`);
  }
  return values;
}

/**
 * Reads every run of a link. Never throws: whatever is wrong becomes a warning and a valid value.
 * @param {*} input a whole link, a hash ('#a=b&…') or a bare 'a=b&…'; a non-string reads as ''
 * @returns {{runs: object[], warnings: string[]}} one to MAX_RUNS valid configs (later runs start
 *   from the first) and plain-text warnings, later runs' prefixed with 'run N: '
 */
export function parseLink(input) {
  const w = warningList();
  let text = fragmentOf(input);
  if (text.length > MAX_INPUT_CHARS) {
    w.add(`link is ${text.length} characters long; only the first ${MAX_INPUT_CHARS} are read`);
    text = text.slice(0, MAX_INPUT_CHARS);
  }
  let parts = text.split('~');
  if (parts.length > MAX_RUNS) {
    w.add(`link holds ${parts.length} runs; only the first ${MAX_RUNS} are kept`);
    parts = parts.slice(0, MAX_RUNS);
  }
  const runs = [];
  parts.forEach((part, i) => {
    const warn = i === 0 ? w.add : (msg) => w.add(`run ${i + 1}: ${msg}`);
    runs.push(check(readPairs(part, warn), runs[0], warn));
  });
  return { runs, warnings: w.done() };
}

/**
 * Reads the first run of a link (see parseLink); warnings cover every run.
 * @param {*} input
 * @returns {{config: object, warnings: string[]}}
 */
export function parse(input) {
  const { runs, warnings } = parseLink(input);
  return { config: runs[0], warnings };
}

/**
 * The canonical hash of one config, without the leading '#': 'v=1&' then every key in schema
 * order. An invalid config is first brought into range as validate() would.
 * @param {object} config
 * @returns {string}
 */
export function serialize(config) {
  const c = check(config);
  return [`v=${FORMAT_VERSION}`, ...SCHEMA.map((e) => `${e.key}=${format(e, c[e.key])}`)].join('&');
}

/**
 * The hash of several runs: the first in full, each later one as its differences from the first.
 * @param {object[]} runs 1 to MAX_RUNS configs
 * @returns {string}
 */
export function serializeLink(runs) {
  if (!Array.isArray(runs) || runs.length < 1 || runs.length > MAX_RUNS) {
    throw new RangeError(`serializeLink needs 1 to ${MAX_RUNS} runs`);
  }
  const first = check(runs[0]);
  const rest = runs.slice(1).map((run) => {
    const c = check(run);
    return diff(first, c).map((key) => `${key}=${format(BY_KEY.get(key), c[key])}`).join('&');
  });
  return [serialize(first), ...rest].join('~');
}

// ---- comparing runs ----------------------------------------------------------------------------

/**
 * Keys whose values differ between two configs, in schema order.
 * @param {object} a
 * @param {object} b
 * @returns {string[]}
 */
export function diff(a, b) {
  return SCHEMA.filter((e) => format(e, a?.[e.key]) !== format(e, b?.[e.key])).map((e) => e.key);
}

const DESCRIBE_MAX_ITEMS = 4;

/**
 * A short label of how a run differs from a base run, for chart legends: 'drop1 0.5, reg l2'.
 * @param {object} config
 * @param {object} base
 * @returns {string} 'baseline' when they are equal
 */
export function describe(config, base) {
  const keys = diff(base, config);
  if (keys.length === 0) return 'baseline';
  const items = keys.slice(0, DESCRIBE_MAX_ITEMS).map((key) => {
    const e = BY_KEY.get(key);
    const v = config[key];
    if (e.type === 'bool') return `${key} ${v ? 'on' : 'off'}`;
    if (e.type === 'layers' && v === '') return `${key} none`;
    return `${key} ${v}`;
  });
  const more = keys.length - items.length;
  return items.join(', ') + (more > 0 ? `, +${more} more` : '');
}

// ---- the C core ----------------------------------------------------------------------------------

/**
 * The ln_config field values (lenet.h) of a config, by C name: enums as their index (the C enums
 * list them in the schema's order), bools as 0 or 1, digits and layers as bit masks. Keys without
 * a core field ('data', 'from', 'head') are acted on by the engine itself.
 * @param {object} config
 * @returns {object}
 */
export function toCore(config) {
  const c = check(config);
  const core = {};
  for (const e of SCHEMA) {
    if (e.core) core[e.core] = coreValue(e, c[e.key]);
  }
  return core;
}

function coreValue(e, value) {
  switch (e.type) {
    case 'choice': return e.choices.indexOf(value);
    case 'bool': return value ? 1 : 0;
    case 'digits': return [...value].reduce((mask, d) => mask | (1 << Number(d)), 0) >>> 0;
    case 'layers': return (value ? value.split(',') : []).reduce((mask, l) => mask | (1 << LAYER_NAMES.indexOf(l)), 0) >>> 0;
    default: return value;
  }
}
