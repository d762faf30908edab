/* init.c - kernel initialisers with Keras's formulas. */
#include <math.h>
#include <string.h>

#include "core.h"
#include "net.h"
#include "training.h"

/* Standard deviation of a standard normal truncated to [-2, 2]: the *_normal initialisers divide
 * by it so the truncated values still have the target standard deviation, as Keras does. */
#define TRUNCATED_NORMAL_STDDEV 0.87962566103423978

static double truncated_normal(ln_rng *rng) {
    for (;;) {
        double z = rng_normal(rng);
        if (fabs(z) <= 2.0) return z;
    }
}

void net_init_layer(const ln_net *n, float *params, int layer, int init, ln_rng *rng) {
    const ln_tensor_info *w = NULL;
    for (int i = 0; i < n->num_tensors; i++) {
        const ln_tensor_info *t = &n->tensors[i];
        if (t->layer != layer) continue;
        if (t->kind == LN_TENSOR_KERNEL) w = t;
        if (t->kind == LN_TENSOR_BIAS || t->kind == LN_TENSOR_BETA) memset(params + t->offset, 0, sizeof(float) * (size_t)t->count);
        if (t->kind == LN_TENSOR_GAMMA)
            for (int k = 0; k < t->count; k++) params[t->offset + k] = 1.0f;
    }
    int fan_in = n->layer_fan_in[layer], fan_out = n->layer_fan_out[layer];
    float *p = params + w->offset;
    double limit = 0.0, stddev = 0.0;
    int truncated = 1;
    switch (init) {
    case LN_INIT_RANDOM_UNIFORM: limit = 0.05; break;
    case LN_INIT_RANDOM_NORMAL: stddev = 0.05; truncated = 0; break;
    case LN_INIT_GLOROT_UNIFORM: limit = sqrt(6.0 / (fan_in + fan_out)); break;
    case LN_INIT_GLOROT_NORMAL: stddev = sqrt(2.0 / (fan_in + fan_out)); break;
    case LN_INIT_HE_UNIFORM: limit = sqrt(6.0 / fan_in); break;
    case LN_INIT_HE_NORMAL: stddev = sqrt(2.0 / fan_in); break;
    case LN_INIT_LECUN_UNIFORM: limit = sqrt(3.0 / fan_in); break;
    case LN_INIT_LECUN_NORMAL: stddev = sqrt(1.0 / fan_in); break;
    default: break; /* zeros */
    }
    for (int i = 0; i < w->count; i++) {
        if (limit > 0.0)
            p[i] = (float)(limit * (2.0 * rng_uniform_d(rng) - 1.0));
        else if (stddev > 0.0)
            p[i] = (float)(truncated ? stddev / TRUNCATED_NORMAL_STDDEV * truncated_normal(rng)
                                     : stddev * rng_normal(rng));
        else
            p[i] = 0.0f;
    }
}

void net_init_stats(const ln_net *n, float *stats) {
    for (int i = 0; i < n->num_tensors; i++) {
        const ln_tensor_info *t = &n->tensors[i];
        if (t->kind != LN_TENSOR_MEAN && t->kind != LN_TENSOR_VAR) continue;
        for (int k = 0; k < t->count; k++) stats[t->offset + k] = t->kind == LN_TENSOR_VAR ? 1.0f : 0.0f;
    }
}
