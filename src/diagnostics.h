/* diagnostics.h - norms, sparsity and histograms of parameter-shaped buffers. */
#ifndef LN_DIAGNOSTICS_H
#define LN_DIAGNOSTICS_H

#include <stdint.h>

#include "net.h"

#define LN_SPARSE_THRESHOLD 1e-3f

/* L2 norm of all one layer's tensors together (kernel, bias, batch norm's scale and shift), in a
 * parameter-shaped buffer. */
float diag_layer_norm(const ln_net *n, const float *v, int layer);
/* Over one layer's tensors: the L2 norm of `after` (as diag_layer_norm gives it) and of
 * after - before. */
void diag_layer_step(const ln_net *n, const float *after, const float *before, int layer, float *norm, float *distance);
/* Fraction of kernel weights with |w| < LN_SPARSE_THRESHOLD, overall and per layer. */
float diag_sparsity(const ln_net *n, const float *params, float *per_layer);
/* Histogram of a layer's kernel over [-r, r], r = max |w| (LN_SPARSE_THRESHOLD if all zero). */
void diag_histogram(const ln_net *n, const float *params, int layer, int bins, uint32_t *counts, float *range);
/* Counts x [count] into bins equal bins over [lo, hi], the values outside into the end bins. */
void diag_bin(const float *x, long count, float lo, float hi, int bins, uint32_t *counts);

/* Activation statistics over evaluation batches, read from y [B][units][per_unit] after the
 * activation act (ln_activation) and added to the running totals: with relu, alive[u] becomes 1
 * once any output of unit u is above 0; with tanh and sigmoid, *saturated grows by the outputs
 * beyond LN_SATURATION (|y| for tanh, y or 1 - y for sigmoid); sums[0] and sums[1] grow by the
 * outputs' sum and sum of squares. y is never written. */
void diag_activations(const float *y, int B, int units, int per_unit, int act, uint8_t *alive,
                      long *saturated, double *sums);

#endif
