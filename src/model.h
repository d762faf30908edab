/* model.h - LeNet-5's forward and backward passes over a batch, with every activation buffer
 * allocated once for the largest batch. */
#ifndef LN_MODEL_H
#define LN_MODEL_H

#include <stdint.h>

#include "lenet.h"

typedef struct {
    int max_batch;
    int activation;
    /* forward activations, each [B][...]; f1/f2 are after the activation, d1/d2 after dropout */
    float *x;      /* [B][1][28][28] */
    float *h1;     /* [B][6][24][24] act(conv1) */
    float *p1;     /* [B][6][12][12] avgpool */
    float *h2;     /* [B][16][8][8] act(conv2) */
    float *p2;     /* [B][16][4][4] maxpool = flatten 256 */
    uint8_t *arg2; /* [B][16][4][4] maxpool winners */
    float *f1, *d1; /* [B][120] */
    float *f2, *d2; /* [B][84] */
    float *logits;  /* [B][10] */
    float *probs;   /* [B][10] */
    float *losses;  /* [B] */
    /* gradients with respect to the activations of the same names */
    float *g_h1, *g_p1, *g_h2, *g_p2, *g_f1, *g_f2, *g_logits;
    float *scratch; /* conv kernels' workspace */
    void *block;    /* the single allocation behind every buffer */
} ln_model;

ln_status model_init(ln_model *m, int max_batch, int activation, ln_error *err);
void model_free(ln_model *m);

/* Forward pass over m->x[0..B): fills probs and per-sample losses; returns the mean loss.
 * mask1 [B][120] and mask2 [B][84] are dropout masks, or NULL for none (inference). */
float model_forward(ln_model *m, const float *params, const uint8_t *labels, int B,
                    const float *mask1, const float *mask2);

/* Backward pass after model_forward with the same arguments: ACCUMULATES the gradient of the
 * mean loss into grads. No work is spent propagating below the lowest layer not in freeze_mask
 * (the gradients of frozen layers above it are computed and left for the caller to ignore). */
void model_backward(ln_model *m, const float *params, float *grads, const uint8_t *labels, int B,
                    const float *mask1, const float *mask2, uint32_t freeze_mask);

#endif
