/* regularizer.c - L1, L2 and ElasticNet on kernels (Keras's conventions: L2 has no 1/2,
 * d|w|/dw = sign(w) with sign(0) = 0). Biases and batch norm's scales and shifts are never penalised. */
#include <math.h>

#include "core.h"
#include "net.h"
#include "training.h"

/* Weights of the L1 and L2 terms for the configured regulariser. */
static void reg_weights(const ln_config *c, double *l1, double *l2) {
    double lam = c->reg_lambda, r = c->reg_l1_ratio;
    *l1 = *l2 = 0.0;
    switch (c->reg) {
    case LN_REG_L1: *l1 = lam; break;
    case LN_REG_L2: *l2 = lam; break;
    case LN_REG_ELASTICNET: *l1 = lam * r; *l2 = lam * (1.0 - r); break;
    default: break;
    }
}

double reg_penalty(const ln_config *c, const ln_net *n, const float *params) {
    double l1, l2, sum_abs = 0.0, sum_sq = 0.0;
    reg_weights(c, &l1, &l2);
    if (l1 == 0.0 && l2 == 0.0) return 0.0;
    for (int k = 0; k < n->num_tensors; k++) {
        const ln_tensor_info *w = &n->tensors[k];
        if (!w->is_weight) continue;
        for (int i = 0; i < w->count; i++) {
            double x = params[w->offset + i];
            sum_abs += fabs(x);
            sum_sq += x * x;
        }
    }
    return l1 * sum_abs + l2 * sum_sq;
}

void reg_add_grad(const ln_config *c, const ln_net *n, const float *params, float *grads) {
    double l1d, l2d;
    reg_weights(c, &l1d, &l2d);
    if (l1d == 0.0 && l2d == 0.0) return;
    float l1 = (float)l1d, l2x2 = (float)(2.0 * l2d);
    for (int k = 0; k < n->num_tensors; k++) {
        const ln_tensor_info *w = &n->tensors[k];
        if (!w->is_weight) continue;
        for (int i = w->offset; i < w->offset + w->count; i++) {
            float x = params[i];
            float sign = (float)((x > 0.0f) - (x < 0.0f));
            grads[i] += l1 * sign + l2x2 * x;
        }
    }
}
