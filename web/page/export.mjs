// Files the page offers: curves as CSV (one row per run and epoch) and JSON (everything), charts as
// PNG. Weights come straight from the engine as safetensors.
import { LAYER_NAMES } from '../lib/config.mjs';

const EPOCH_COLUMNS = ['epoch', 'step', 'trainLoss', 'trainAcc', 'valLoss', 'valAcc', 'testLoss', 'testAcc', 'penalty', 'sparsity'];

// RFC 4180 quoting, and a leading quote mark for text a spreadsheet would run as a formula.
function cell(value) {
  let s = String(value);
  if (/^[=+\-@\t\r]/.test(s) && typeof value === 'string') s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function curvesCsv(runs) {
  const header = ['run', 'label', ...EPOCH_COLUMNS, ...LAYER_NAMES.map((l) => `sparsity_${l}`)];
  const lines = [header.join(',')];
  for (const run of runs) {
    for (const e of run.epochs) {
      lines.push([run.id, run.label, ...EPOCH_COLUMNS.map((k) => e[k]), ...e.layerSparsity].map(cell).join(','));
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}

export function curvesJson(runs, link) {
  return JSON.stringify({
    link,
    runs: runs.map((run) => ({
      id: run.id,
      label: run.label,
      config: run.config,
      status: run.status,
      stopReason: run.stopReason,
      stepsPerEpoch: run.stepsPerEpoch,
      epochs: run.epochs,
      stepStride: run.stepStride,
      steps: run.steps,
    })),
  }, (_key, value) => (ArrayBuffer.isView(value) ? Array.from(value) : value));
}

export async function chartPng(chart) {
  const res = await fetch(chart.toBase64Image('image/png', 1));
  return res.blob();
}
