/**
 * network.mjs - the names of a network's layers, from its config alone, and the rows of the
 * Network panel from the core's own description of it (engine.describe). The core is the
 * reference for both: tests/js/network.test.mjs holds these names to engine.describe's.
 */
import { LAYER_NAMES } from './config.mjs';

/**
 * The conv and dense layers of the network a config describes, input side first (the order of
 * the per-layer metrics): LeNet-5 conv1, conv2, fc1, fc2, fc3; the mlp fc1 … fc{depth+1}; the
 * cnn conv1 … conv{convs}, fc.
 * @param {object} config
 * @returns {string[]}
 */
export function layerNames(config) {
  const model = config?.model ?? 'lenet5';
  if (model === 'mlp') return Array.from({ length: (config.depth ?? 3) + 1 }, (_, i) => `fc${i + 1}`);
  if (model === 'cnn') return [...Array.from({ length: config.convs ?? 8 }, (_, i) => `conv${i + 1}`), 'fc'];
  return [...LAYER_NAMES];
}

/** The layers an activation follows: every layer but the last (the per-activation metrics' order). */
export function actLayerNames(config) {
  return layerNames(config).slice(0, -1);
}

/** The layer names a history carries, or its config's when it has none recorded. */
export const layersOf = (h) => h.layers ?? layerNames(h.config);
export const actLayersOf = (h) => h.actLayers ?? actLayerNames(h.config);

/** Names in first-seen order over several lists (the union of several runs' layers). */
export function unionNames(lists) {
  const seen = new Set();
  for (const list of lists) for (const name of list) seen.add(name);
  return [...seen];
}

const shapeText = ([c, hgt, w]) => (hgt === 1 && w === 1 ? String(c) : `${c}×${hgt}×${w}`);

/**
 * The Network panel's rows: one per node of the core's description, with its output shape
 * ('6×24×24', or '120' for a vector), its parameter count, and where a residual add takes its
 * shortcut from.
 * @param {{nodes: {name: string, op: string, shape: number[], params: number, skipFrom: number}[], params: number}} net
 * @returns {{rows: {name: string, op: string, shape: string, params: number, skipFrom: string|null}[], params: number}}
 */
export function networkRows(net) {
  const rows = net.nodes.map((n) => ({
    name: n.name,
    op: n.op,
    shape: shapeText(n.shape),
    params: n.params,
    skipFrom: n.skipFrom >= 0 && n.skipFrom < net.nodes.length && n.op === 'add' ? net.nodes[n.skipFrom].name : null,
  }));
  return { rows, params: net.params };
}

const FEW_COLORS = ['#2563eb', '#059669', '#d97706', '#db2777'];
/**
 * A colour per layer of n: four distinct ones for up to four layers (LeNet-5's activation
 * layers), else a ramp from blue (input side) to red (output side), so depth reads as hue.
 */
export function layerColor(i, n) {
  if (n <= FEW_COLORS.length) return FEW_COLORS[i];
  const t = n > 1 ? i / (n - 1) : 0;
  return `hsl(${Math.round(220 - 220 * t)}, 70%, 45%)`;
}
