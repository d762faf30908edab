/* optimizer.c - optimisers with Keras's update rules and defaults:
 *   sgd       w -= lr g
 *   momentum  m = mu m - lr g;  w += m
 *   nesterov  m = mu m - lr g;  w += mu m - lr g
 *   adam      m += (1-b1)(g - m);  v += (1-b2)(g^2 - v);
 *             w -= lr sqrt(1-b2^t)/(1-b1^t) m / (sqrt(v) + eps)
 *   rmsprop   v = rho v + (1-rho) g^2;  w -= lr g / sqrt(v + eps)
 *   adagrad   m += g^2 (m starts at adagrad_init);  w -= lr g / sqrt(m + eps)
 */
#include <math.h>
#include <string.h>

#include "training.h"

void optimizer_reset(const ln_config *c, float *m, float *v, int n) {
    for (int i = 0; i < n; i++) m[i] = c->optimizer == LN_OPT_ADAGRAD ? c->adagrad_init : 0.0f;
    memset(v, 0, sizeof(float) * (size_t)n);
}

void optimizer_step(const ln_config *c, float *w, const float *g, float *m, float *v, int n,
                    long t) {
    const float lr = c->lr, mu = c->momentum, eps = c->epsilon;
    switch (c->optimizer) {
    case LN_OPT_SGD:
        for (int i = 0; i < n; i++) w[i] -= lr * g[i];
        break;
    case LN_OPT_MOMENTUM:
        for (int i = 0; i < n; i++) {
            m[i] = mu * m[i] - lr * g[i];
            w[i] += m[i];
        }
        break;
    case LN_OPT_NESTEROV:
        for (int i = 0; i < n; i++) {
            m[i] = mu * m[i] - lr * g[i];
            w[i] += mu * m[i] - lr * g[i];
        }
        break;
    case LN_OPT_ADAM: {
        const float b1 = c->beta1, b2 = c->beta2;
        float alpha = (float)(lr * sqrt(1.0 - pow(b2, (double)t)) / (1.0 - pow(b1, (double)t)));
        for (int i = 0; i < n; i++) {
            m[i] += (g[i] - m[i]) * (1.0f - b1);
            v[i] += (g[i] * g[i] - v[i]) * (1.0f - b2);
            w[i] -= alpha * m[i] / (sqrtf(v[i]) + eps);
        }
        break;
    }
    case LN_OPT_RMSPROP: {
        const float rho = c->rho;
        for (int i = 0; i < n; i++) {
            v[i] = rho * v[i] + (1.0f - rho) * g[i] * g[i];
            w[i] -= lr * g[i] / sqrtf(v[i] + eps);
        }
        break;
    }
    case LN_OPT_ADAGRAD:
        for (int i = 0; i < n; i++) {
            m[i] += g[i] * g[i];
            w[i] -= lr * g[i] / sqrtf(m[i] + eps);
        }
        break;
    default: break;
    }
}
