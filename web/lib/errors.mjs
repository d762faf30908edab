/**
 * errors.mjs - the one way errors reach callers: a LabError whose `code` says what kind of
 * problem it is, so the page, the CLI and the tests branch on the code, never on the wording.
 *
 * Codes: 'bad-config' (a setting out of range or a run that cannot start), 'bad-data' (MNIST
 * bytes), 'bad-weights' (a safetensors file or parameters), 'bad-argument' (a caller's argument),
 * 'no-data' (no dataset loaded yet), 'no-memory', 'state' (the call does not fit the run's state),
 * 'load' (the module could not be loaded), 'bad-state' (a saved training state that is malformed or
 * belongs to another data selection).
 */
export class LabError extends Error {
  /**
   * @param {string} code
   * @param {string} message
   * @param {{cause?: unknown}} [options]
   */
  constructor(code, message, options) {
    super(message, options);
    this.name = 'LabError';
    this.code = code;
  }
}

// The C core's statuses (their names come from the module) as codes. A rejected argument or a
// malformed input is a bad config, data file or weights file, depending on what the caller passed.
const BY_STATUS = { nomem: 'no-memory', diverged: 'state', state: 'state' };

/**
 * The LabError code of a C status name.
 * @param {string} status 'arg' | 'nomem' | 'format' | 'diverged' | 'state'
 * @param {string} inputCode the code of a rejected input in this call
 */
export function codeOfStatus(status, inputCode) {
  return status === 'arg' || status === 'format' ? inputCode : BY_STATUS[status] ?? 'state';
}
