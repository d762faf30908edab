/* training.h - the pieces of a training step that are not layers: initialisers, regularisers,
 * dropout masks and optimisers. Each works on a stretch of the one parameter buffer. */
#ifndef LN_TRAINING_H
#define LN_TRAINING_H

#include "lenet.h"
#include "rng.h"

/* The regulariser's value over all kernels, and its gradient added into grads (regularizer.c). */
double reg_penalty(const ln_config *c, const ln_net *n, const float *params);
void reg_add_grad(const ln_config *c, const ln_net *n, const float *params, float *grads);

/* Inverted-dropout mask: each entry 0 with probability p, else 1/(1-p) (dropout.c). */
void dropout_mask(float *mask, int n, float p, ln_rng *rng);

/* Optimiser state: m is the velocity, first moment or accumulator; v the second moment.
 * optimizer_reset puts them where a new optimiser starts; optimizer_step applies one update to
 * params[0..n) given the step number t (from 1); decay says whether adamw's weight decay applies
 * to them (kernels, not biases) (optimizer.c). */
void optimizer_reset(const ln_config *c, float *m, float *v, int n);
void optimizer_step(const ln_config *c, float *w, const float *g, float *m, float *v, int n,
                    long t, int decay);

#endif
