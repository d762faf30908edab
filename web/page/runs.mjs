// What the page knows about each run: its history (web/lib/history.mjs, built from the engine
// events the worker sends), its status in the worker, plus thinned copies of the per-step curves
// for the charts.
import { finalResult, newHistory, record } from '../lib/history.mjs';

export const RUN_COLORS = ['#2563eb', '#e11d48', '#059669', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d'];
const MAX_POINTS = 800;

// Per-step curves for the charts, raw (the charts smooth them as the person chooses): every step
// while the curve is short, then means of 2, 4, 8, … consecutive steps, so a curve never holds more
// than MAX_POINTS points. A mean of zeros stays exactly zero, so a layer without gradient shows as such.
function thinned() {
  let stride = 1;
  let sumX = 0;
  let sumY = 0;
  let n = 0;
  const points = [];
  return {
    points,
    push(x, y) {
      if (!Number.isFinite(y)) return;
      sumX += x;
      sumY += y;
      if (++n < stride) return;
      points.push({ x: sumX / n, y: sumY / n });
      sumX = sumY = n = 0;
      if (points.length > MAX_POINTS) {
        let keep = 0;
        for (let i = 0; i + 1 < points.length; i += 2) {
          points[keep++] = { x: (points[i].x + points[i + 1].x) / 2, y: (points[i].y + points[i + 1].y) / 2 };
        }
        points.length = keep;
        stride *= 2;
      }
    },
  };
}

export function newRun(id, config, color) {
  return {
    ...newHistory(id, config),
    color,
    status: 'creating', // creating | paused | running | done | error
    started: false,
    loaded: null, // { name, epoch, testLoss, testAcc } of weights loaded from a file
    error: null, // why the worker failed it
    visible: true,
    worker: null,
    stepsPerEpoch: 0,
    speed: 0, // training samples per second, smoothed
    clock: null, // { at, step } of the last update while running, for the speed
    // Per layer of the run's own network (history.layers); pre: the watched layer's pre-activation
    // 15th, 50th and 85th percentiles; gradTotal: the global gradient norm before clipping.
    plot: { loss: thinned(), acc: thinned(), gradTotal: thinned(), grad: [], weight: [], update: [], pre: [thinned(), thinned(), thinned()] },
    name: '', // the person's own name for the run, shown instead of the label when set
  };
}

/** Adds one progress update from the worker ({id, status, events, error?}); returns true when an epoch finished. */
export function ingest(run, u) {
  run.status = u.status;
  if (u.error) run.error = u.error;
  // Activation histograms of every activation layer at the latest epoch's end (worker.mjs).
  if (u.actHist) run.actHist = u.actHist;
  const per = run.stepsPerEpoch || 1;
  for (const s of u.events) {
    if (s.type !== 'step') continue;
    const x = s.step / per;
    run.plot.loss.push(x, s.loss);
    run.plot.acc.push(x, s.acc * 100);
    run.plot.gradTotal.push(x, s.gradTotal);
    s.gradNorm.forEach((g, i) => (run.plot.grad[i] ??= thinned()).push(x, g));
    s.weightNorm.forEach((w, i) => (run.plot.weight[i] ??= thinned()).push(x, w));
    s.updateRatio?.forEach((u, i) => (run.plot.update[i] ??= thinned()).push(x, u));
    s.preAct?.forEach((p, i) => run.plot.pre[i].push(x, p));
  }
  const epochs = record(run, u.events);
  // Done without a done event from the engine: the person stopped it.
  if (u.status === 'done' && run.stopReason === 'none') run.stopReason = 'stopped';
  const now = performance.now();
  if (u.status !== 'running') run.clock = null;
  else if (!run.clock) run.clock = { at: now, step: run.step };
  else if (now - run.clock.at > 400) {
    const rate = ((run.step - run.clock.step) * run.config.bs * 1000) / (now - run.clock.at);
    run.speed = run.speed ? 0.6 * run.speed + 0.4 * rate : rate;
    run.clock = { at: now, step: run.step };
  }
  return epochs > 0;
}

export function statusText(run) {
  switch (run.status) {
    case 'creating':
      return 'preparing';
    case 'running':
      return run.phase.startsWith('eval') ? 'evaluating' : 'training';
    case 'paused':
      return run.started ? 'paused' : 'ready';
    case 'error':
      return 'failed';
    case 'done':
      return { epochs: 'finished', early: 'stopped early', diverged: 'diverged', stopped: 'stopped' }[run.stopReason] ?? 'finished';
  }
  return run.status;
}

/** Fraction of the planned training done, 0..1. */
export function progressOf(run) {
  if (run.status === 'done') return 1;
  const total = run.stepsPerEpoch * run.config.ep;
  return total ? Math.min(1, run.step / total) : 0;
}

/** 'epoch 3/10': the epoch under way, or the epochs completed once the run is over. */
export function epochText(run) {
  const total = run.config.ep;
  if (run.status === 'done' || run.status === 'error') return `epoch ${run.epoch}/${total}`;
  return `epoch ${run.started ? Math.min(run.epoch + 1, total) : 0}/${total}`;
}

/** The test numbers of the weights the run holds now: those loaded from a file if any (the
 * worker evaluated them), else the history's final result. */
export function heldResult(run) {
  return run.loaded ?? finalResult(run);
}

