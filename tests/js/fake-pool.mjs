// A fake worker pool for the page's session under Node: the tests decide when runs train.
/** A pool whose workers answer at once and train only when told to by the test, through
 * progress(); every message sent is recorded, also with the worker it went to (sentTo). */
export function fakePool({ workers = 2 } = {}) {
  const fake = { sent: [], sentTo: [], requests: [], freed: [], hooks: null, answers: {} };
  const handles = Array.from({ length: workers }, (_, i) => ({ name: `w${i}`, runs: new Set() }));
  fake.create = (hooks) => {
    fake.hooks = hooks;
    return {
      warm() {},
      setData: async () => {},
      async create(id) {
        // The least busy worker, counting only runs that may still train, as workers.mjs does.
        const load = (w) => [...w.runs].filter(hooks.mayTrain).length;
        const w = handles.reduce((a, b) => (load(b) < load(a) ? b : a));
        w.runs.add(id);
        return { worker: w, counts: { trainCount: 500, valCount: 100, testCount: 500, stepsPerEpoch: 16 } };
      },
      request: async (w, op, payload) => {
        fake.requests.push({ worker: w.name, op, ...payload });
        if (op in fake.answers) return fake.answers[op](payload);
        return null;
      },
      send: (w, op, id) => {
        fake.sent.push(`${op} ${id}`);
        fake.sentTo.push(`${op} ${id} ${w.name}`);
      },
      forget: (w, id) => { w.runs.delete(id); fake.freed.push(id); },
    };
  };
  /** What the worker posts: a status and, in order, the engine events of finished epochs, and a
   * done event when the status is 'done' with a stop reason. */
  fake.progress = (id, status, { epochs = [], stopReason = null, restoredEpoch = null } = {}) => {
    const events = epochs.map((e) => ({ type: 'epoch', phase: 'train', ...e }));
    if (stopReason) {
      const last = epochs.at(-1);
      const result = epochs.find((e) => e.epoch === (restoredEpoch ?? last.epoch));
      events.push({ type: 'done', phase: 'done', stopReason, message: null, restoredEpoch, epochs: last.epoch, steps: last.step,
        samples: { train: 500, val: 100, test: 500 }, result });
    }
    fake.hooks.onProgress([{ id, status, events }]);
  };
  return fake;
}
