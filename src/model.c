/* model.c - LeNet-5 built from the layer kernels. */
#include <stdlib.h>

#include "core.h"
#include "kernels.h"
#include "model.h"

enum {
    SZ_X = 784, SZ_H1 = 6 * 24 * 24, SZ_P1 = 6 * 12 * 12, SZ_H2 = 16 * 8 * 8, SZ_P2 = 256,
    SZ_F1 = 120, SZ_F2 = 84, SZ_OUT = LN_CLASSES
};

static const float *W(const float *params, int layer) { return params + ln_layer_weight(layer)->offset; }
static const float *Bv(const float *params, int layer) { return params + ln_layer_bias(layer)->offset; }
static float *GW(float *grads, int layer) { return grads + ln_layer_weight(layer)->offset; }
static float *GB(float *grads, int layer) { return grads + ln_layer_bias(layer)->offset; }

ln_status model_init(ln_model *m, int max_batch, int activation, ln_error *err) {
    size_t B = (size_t)max_batch;
    size_t s1 = conv2d_scratch_floats(max_batch, 1, 28, 28, 6, 5);
    size_t s2 = conv2d_scratch_floats(max_batch, 6, 12, 12, 16, 5);
    size_t scratch = s1 > s2 ? s1 : s2;
    /* Every float buffer, then the uint8 winners; 16-float alignment keeps SIMD loads aligned. */
    size_t sizes[] = {SZ_X, SZ_H1, SZ_P1, SZ_H2, SZ_P2, SZ_F1, SZ_F1, SZ_F2, SZ_F2, SZ_OUT, SZ_OUT, 1,
                      SZ_H1, SZ_P1, SZ_H2, SZ_P2, SZ_F1, SZ_F2, SZ_OUT};
    float **bufs[] = {&m->x, &m->h1, &m->p1, &m->h2, &m->p2, &m->f1, &m->d1, &m->f2, &m->d2,
                      &m->logits, &m->probs, &m->losses, &m->g_h1, &m->g_p1, &m->g_h2, &m->g_p2,
                      &m->g_f1, &m->g_f2, &m->g_logits};
    size_t n = sizeof sizes / sizeof *sizes, total = 0;
    for (size_t i = 0; i < n; i++) total += (sizes[i] * B + 15) & ~(size_t)15;
    total += (scratch + 15) & ~(size_t)15;
    size_t bytes = total * sizeof(float) + B * SZ_P2;
    m->block = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
    if (!m->block) return ln_fail(err, LN_E_NOMEM, "no memory for a batch of %d", max_batch);
    float *p = m->block;
    for (size_t i = 0; i < n; i++) {
        *bufs[i] = p;
        p += (sizes[i] * B + 15) & ~(size_t)15;
    }
    m->scratch = p;
    p += (scratch + 15) & ~(size_t)15;
    m->arg2 = (uint8_t *)p;
    m->max_batch = max_batch;
    m->activation = activation;
    return LN_OK;
}

void model_free(ln_model *m) {
    free(m->block);
    m->block = NULL;
}

float model_forward(ln_model *m, const float *params, const uint8_t *labels, int B,
                    const float *mask1, const float *mask2) {
    int act = m->activation;
    conv2d_forward(m->h1, m->x, W(params, LN_CONV1), Bv(params, LN_CONV1), B, 1, 28, 28, 6, 5, m->scratch);
    act_forward(m->h1, m->h1, B * SZ_H1, act);
    avgpool2_forward(m->p1, m->h1, B, 6, 24, 24);
    conv2d_forward(m->h2, m->p1, W(params, LN_CONV2), Bv(params, LN_CONV2), B, 6, 12, 12, 16, 5, m->scratch);
    act_forward(m->h2, m->h2, B * SZ_H2, act);
    maxpool2_forward(m->p2, m->arg2, m->h2, B, 16, 8, 8);
    dense_forward(m->f1, m->p2, W(params, LN_FC1), Bv(params, LN_FC1), B, SZ_P2, SZ_F1);
    act_forward(m->f1, m->f1, B * SZ_F1, act);
    const float *d1 = m->f1;
    if (mask1) {
        dropout_forward(m->d1, m->f1, mask1, B * SZ_F1);
        d1 = m->d1;
    }
    dense_forward(m->f2, d1, W(params, LN_FC2), Bv(params, LN_FC2), B, SZ_F1, SZ_F2);
    act_forward(m->f2, m->f2, B * SZ_F2, act);
    const float *d2 = m->f2;
    if (mask2) {
        dropout_forward(m->d2, m->f2, mask2, B * SZ_F2);
        d2 = m->d2;
    }
    dense_forward(m->logits, d2, W(params, LN_FC3), Bv(params, LN_FC3), B, SZ_F2, SZ_OUT);
    softmax_xent_forward(m->probs, m->losses, m->logits, labels, B, SZ_OUT);
    double sum = 0.0;
    for (int b = 0; b < B; b++) sum += m->losses[b];
    return (float)(sum / B);
}

void model_backward(ln_model *m, const float *params, float *grads, const uint8_t *labels, int B,
                    const float *mask1, const float *mask2, uint32_t freeze_mask) {
    int act = m->activation;
    /* Propagating below the lowest trained layer would be wasted work. */
    int lowest = LN_NUM_LAYERS;
    for (int l = LN_NUM_LAYERS - 1; l >= 0; l--)
        if (!(freeze_mask & (1u << l))) lowest = l;
    if (lowest == LN_NUM_LAYERS) return;
    const float *d1 = mask1 ? m->d1 : m->f1, *d2 = mask2 ? m->d2 : m->f2;

    softmax_xent_backward(m->g_logits, m->probs, labels, B, SZ_OUT, 1.0f / (float)B);
    dense_backward(lowest < LN_FC3 ? m->g_f2 : NULL, GW(grads, LN_FC3), GB(grads, LN_FC3), m->g_logits, d2,
                   W(params, LN_FC3), B, SZ_F2, SZ_OUT);
    if (lowest == LN_FC3) return;
    if (mask2) dropout_backward(m->g_f2, m->g_f2, mask2, B * SZ_F2);
    act_backward(m->g_f2, m->g_f2, m->f2, B * SZ_F2, act);

    dense_backward(lowest < LN_FC2 ? m->g_f1 : NULL, GW(grads, LN_FC2), GB(grads, LN_FC2), m->g_f2, d1,
                   W(params, LN_FC2), B, SZ_F1, SZ_F2);
    if (lowest == LN_FC2) return;
    if (mask1) dropout_backward(m->g_f1, m->g_f1, mask1, B * SZ_F1);
    act_backward(m->g_f1, m->g_f1, m->f1, B * SZ_F1, act);

    dense_backward(lowest < LN_FC1 ? m->g_p2 : NULL, GW(grads, LN_FC1), GB(grads, LN_FC1), m->g_f1, m->p2,
                   W(params, LN_FC1), B, SZ_P2, SZ_F1);
    if (lowest == LN_FC1) return;
    maxpool2_backward(m->g_h2, m->g_p2, m->arg2, B, 16, 8, 8);
    act_backward(m->g_h2, m->g_h2, m->h2, B * SZ_H2, act);

    conv2d_backward(lowest < LN_CONV2 ? m->g_p1 : NULL, GW(grads, LN_CONV2), GB(grads, LN_CONV2), m->g_h2, m->p1,
                    W(params, LN_CONV2), B, 6, 12, 12, 16, 5, m->scratch);
    if (lowest == LN_CONV2) return;
    avgpool2_backward(m->g_h1, m->g_p1, B, 6, 24, 24);
    act_backward(m->g_h1, m->g_h1, m->h1, B * SZ_H1, act);
    conv2d_backward(NULL, GW(grads, LN_CONV1), GB(grads, LN_CONV1), m->g_h1, m->x, W(params, LN_CONV1), B, 1, 28,
                    28, 6, 5, m->scratch);
}
