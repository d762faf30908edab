/* optimizer.c - optimisers with Keras's update rules and defaults:
 *   sgd       w -= lr g
 *   momentum  m = mu m - lr g;  w += m
 *   nesterov  m = mu m - lr g;  w += mu m - lr g
 *   adam      m += (1-b1)(g - m);  v += (1-b2)(g^2 - v);
 *             w -= lr sqrt(1-b2^t)/(1-b1^t) m / (sqrt(v) + eps)
 *   rmsprop   v = rho v + (1-rho) g^2;  w -= lr g / sqrt(v + eps)
 *   adagrad   m += g^2 (m starts at adagrad_init);  w -= lr g / sqrt(m + eps)
 *   adamw     w -= lr wd w (kernels only), then the adam step: decay apart from the gradient,
 *             so Adam's per-weight scaling does not weaken it as it weakens an L2 penalty
 */
#include <math.h>
#include <string.h>

#include "simd.h"
#include "training.h"

/* Constants of one update, splatted once per call. */
typedef struct {
    v4f lr, mu, eps, one_b1, one_b2, alpha, rho, one_rho, lr_wd;
} consts;

/* Four parameters at a time: w [4], g [4], m [4], v [4]. */
typedef void (*update4)(float *w, const float *g, float *m, float *v, const consts *k);

static void sgd4(float *w, const float *g, float *m, float *v, const consts *k) {
    (void)m, (void)v;
    v4f_store(w, v4f_sub(v4f_load(w), v4f_mul(k->lr, v4f_load(g))));
}

static void momentum4(float *w, const float *g, float *m, float *v, const consts *k) {
    (void)v;
    v4f mv = v4f_sub(v4f_mul(k->mu, v4f_load(m)), v4f_mul(k->lr, v4f_load(g)));
    v4f_store(m, mv);
    v4f_store(w, v4f_add(v4f_load(w), mv));
}

static void nesterov4(float *w, const float *g, float *m, float *v, const consts *k) {
    (void)v;
    v4f step = v4f_mul(k->lr, v4f_load(g));
    v4f mv = v4f_sub(v4f_mul(k->mu, v4f_load(m)), step);
    v4f_store(m, mv);
    v4f_store(w, v4f_add(v4f_load(w), v4f_sub(v4f_mul(k->mu, mv), step)));
}

static void adam4(float *w, const float *g, float *m, float *v, const consts *k) {
    v4f gv = v4f_load(g), mv = v4f_load(m), vv = v4f_load(v);
    mv = v4f_add(mv, v4f_mul(v4f_sub(gv, mv), k->one_b1));
    vv = v4f_add(vv, v4f_mul(v4f_sub(v4f_mul(gv, gv), vv), k->one_b2));
    v4f_store(m, mv);
    v4f_store(v, vv);
    v4f_store(w, v4f_sub(v4f_load(w), v4f_div(v4f_mul(k->alpha, mv), v4f_add(v4f_sqrt(vv), k->eps))));
}

static void adamw4(float *w, const float *g, float *m, float *v, const consts *k) {
    v4f wv = v4f_load(w);
    v4f_store(w, v4f_sub(wv, v4f_mul(k->lr_wd, wv)));
    adam4(w, g, m, v, k);
}

static void rmsprop4(float *w, const float *g, float *m, float *v, const consts *k) {
    (void)m;
    v4f gv = v4f_load(g);
    v4f vv = v4f_add(v4f_mul(k->rho, v4f_load(v)), v4f_mul(v4f_mul(k->one_rho, gv), gv));
    v4f_store(v, vv);
    v4f_store(w, v4f_sub(v4f_load(w), v4f_div(v4f_mul(k->lr, gv), v4f_sqrt(v4f_add(vv, k->eps)))));
}

static void adagrad4(float *w, const float *g, float *m, float *v, const consts *k) {
    (void)v;
    v4f gv = v4f_load(g);
    v4f mv = v4f_add(v4f_load(m), v4f_mul(gv, gv));
    v4f_store(m, mv);
    v4f_store(w, v4f_sub(v4f_load(w), v4f_div(v4f_mul(k->lr, gv), v4f_sqrt(v4f_add(mv, k->eps)))));
}

/* Applies f to n parameters; the last partial group goes through a zero-padded copy, so every
 * parameter sees exactly the same operations. */
static void for_each4(update4 f, float *w, const float *g, float *m, float *v, int n, const consts *k) {
    int i = 0;
    for (; i + 4 <= n; i += 4) f(w + i, g + i, m + i, v + i, k);
    int rest = n - i;
    if (rest == 0) return;
    float tw[4] = {0}, tg[4] = {0}, tm[4] = {0}, tv[4] = {0};
    size_t bytes = sizeof(float) * (size_t)rest;
    memcpy(tw, w + i, bytes), memcpy(tg, g + i, bytes), memcpy(tm, m + i, bytes), memcpy(tv, v + i, bytes);
    f(tw, tg, tm, tv, k);
    memcpy(w + i, tw, bytes), memcpy(m + i, tm, bytes), memcpy(v + i, tv, bytes);
}

void optimizer_reset(const ln_config *c, float *m, float *v, int n) {
    for (int i = 0; i < n; i++) m[i] = c->optimizer == LN_OPT_ADAGRAD ? c->adagrad_init : 0.0f;
    memset(v, 0, sizeof(float) * (size_t)n);
}

void optimizer_step(const ln_config *c, float *w, const float *g, float *m, float *v, int n,
                    long t, int decay) {
    /* Adam's bias corrections fold into its step size. */
    int adam = c->optimizer == LN_OPT_ADAM || c->optimizer == LN_OPT_ADAMW;
    float alpha = adam
                      ? (float)(c->lr * sqrt(1.0 - pow(c->beta2, (double)t)) / (1.0 - pow(c->beta1, (double)t)))
                      : 0.0f;
    const consts k = {
        v4f_splat(c->lr), v4f_splat(c->momentum), v4f_splat(c->epsilon), v4f_splat(1.0f - c->beta1),
        v4f_splat(1.0f - c->beta2), v4f_splat(alpha), v4f_splat(c->rho), v4f_splat(1.0f - c->rho),
        v4f_splat(c->lr * c->weight_decay),
    };
    static const update4 UPDATES[LN_NUM_OPTS] = {sgd4, momentum4, nesterov4, adam4, rmsprop4, adagrad4, adamw4};
    update4 f = c->optimizer == LN_OPT_ADAMW && !decay ? adam4 : UPDATES[c->optimizer];
    if (c->optimizer >= 0 && c->optimizer < LN_NUM_OPTS) for_each4(f, w, g, m, v, n, &k);
}
