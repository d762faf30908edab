/* dropout.c - inverted-dropout masks: training activations are scaled by 1/(1-p) so that
 * inference needs no scaling. */
#include "training.h"

void dropout_mask(float *mask, int n, float p, ln_rng *rng) {
    float keep = 1.0f / (1.0f - p);
    for (int i = 0; i < n; i++) mask[i] = rng_uniform_f(rng) < p ? 0.0f : keep;
}
