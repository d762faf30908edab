/**
 * redraw.mjs - the page's charts are redrawn one per animation frame, so no task on the main
 * thread grows long: a chart's update can take tens of ms on a busy machine, and the page's
 * budget is 50 ms per task.
 */
const dirty = new Set();
let frame = 0;

function pump() {
  frame = 0;
  const [chart] = dirty;
  if (!chart) return;
  dirty.delete(chart);
  chart.update('none');
  if (dirty.size) frame = requestAnimationFrame(pump);
}

/** Redraws the charts in coming animation frames, one a frame. */
export function redraw(...charts) {
  for (const chart of charts) dirty.add(chart);
  if (!frame) frame = requestAnimationFrame(pump);
}

/** Charts still waiting for their frame. */
export const redrawsPending = () => dirty.size;
