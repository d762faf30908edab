// What the page knows about each run: its settings, status and every number the worker sent,
// plus smoothed, thinned copies of the per-step curves for the charts.

export const RUN_COLORS = ['#2563eb', '#e11d48', '#059669', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d'];
const MAX_POINTS = 800;
// Raw step records kept for the JSON export; long runs keep every 2nd, 4th, … step beyond this.
const MAX_RAW_STEPS = 100_000;

// Exponential moving average with bias correction (so early points are not pulled towards 0),
// keeping every stride-th point and doubling the stride when the curve grows too long.
function smoothed(beta) {
  let ema = 0;
  let n = 0;
  let stride = 1;
  const points = [];
  return {
    points,
    push(x, y) {
      if (!Number.isFinite(y)) return;
      ema = beta * ema + (1 - beta) * y;
      if (n % stride === 0) points.push({ x, y: ema / (1 - beta ** (n + 1)) });
      n++;
      if (points.length > MAX_POINTS) {
        let keep = 0;
        for (let i = 0; i < points.length; i += 2) points[keep++] = points[i];
        points.length = keep;
        stride *= 2;
      }
    },
  };
}

export function newRun(id, config, color) {
  return {
    id,
    config,
    color,
    label: '',
    status: 'creating', // creating | paused | running | done | error
    loaded: null, // { name, epoch, testLoss, testAcc } of weights loaded from a file
    started: false,
    stopReason: 'none',
    error: null,
    visible: true,
    worker: null,
    step: 0,
    epoch: 0,
    stepsPerEpoch: 0,
    speed: 0, // training samples per second, smoothed
    clock: null, // { at, step } of the last update while running, for the speed
    steps: [],
    stepStride: 1,
    epochs: [],
    plot: { loss: smoothed(0.95), acc: smoothed(0.95), grad: Array.from({ length: 5 }, () => smoothed(0.8)) },
  };
}

/** Adds one progress update from the worker; returns true when an epoch finished. */
export function ingest(run, u) {
  run.status = u.status;
  run.stopReason = u.stopReason;
  run.error = u.error;
  run.step = u.step;
  run.epoch = u.epoch;
  run.stepsPerEpoch = u.stepsPerEpoch;
  const per = u.stepsPerEpoch || 1;
  for (const s of u.steps) {
    const x = s.step / per;
    if (s.step % run.stepStride === 0) run.steps.push(s);
    if (run.steps.length > MAX_RAW_STEPS) {
      run.stepStride *= 2;
      run.steps = run.steps.filter((r) => r.step % run.stepStride === 0);
    }
    run.plot.loss.push(x, s.loss);
    run.plot.acc.push(x, s.acc * 100);
    s.gradNorm.forEach((g, i) => {
      if (g > 0) run.plot.grad[i].push(x, g);
    });
  }
  run.epochs.push(...u.epochs);
  run.restored = u.restored;
  const now = performance.now();
  if (u.status !== 'running') run.clock = null;
  else if (!run.clock) run.clock = { at: now, step: u.step };
  else if (now - run.clock.at > 400) {
    const rate = ((u.step - run.clock.step) * run.config.bs * 1000) / (now - run.clock.at);
    run.speed = run.speed ? 0.6 * run.speed + 0.4 * rate : rate;
    run.clock = { at: now, step: u.step };
  }
  return u.epochs.length > 0;
}

export function statusText(run) {
  switch (run.status) {
    case 'creating':
      return 'preparing';
    case 'running':
      // After an epoch's last step the engine evaluates before counting the epoch.
      return run.step > 0 && run.step === run.stepsPerEpoch * (run.epoch + 1) ? 'evaluating' : 'training';
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

const lastEpoch = (run) => run.epochs[run.epochs.length - 1];

/** The test result of the weights the run now holds: those loaded from a file, the restored best
 * epoch's after early stopping, otherwise the last epoch's; with the epoch it belongs to. */
export function finalResult(run) {
  if (run.loaded) return run.loaded;
  if (run.restored) return run.restored;
  const last = lastEpoch(run);
  return last ? { epoch: last.epoch, testLoss: last.testLoss, testAcc: last.testAcc } : null;
}

/** 'epoch 3/10': the epoch under way, or the epochs completed once the run is over. */
export function epochText(run) {
  const total = run.config.ep;
  if (run.status === 'done' || run.status === 'error') return `epoch ${run.epoch}/${total}`;
  return `epoch ${run.started ? Math.min(run.epoch + 1, total) : 0}/${total}`;
}
