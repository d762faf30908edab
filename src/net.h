/* net.h - a network as a list of nodes: built from the config (net_build.c), run forward and
 * backward over a batch (net.c), every buffer allocated once for the largest batch. */
#ifndef LN_NET_H
#define LN_NET_H

#include <stdint.h>

#include "lenet.h"
#include "rng.h"

typedef struct {
    ln_node_info info;
    int in_c, in_h, in_w; /* input shape; the output's is info.shape */
    int k, pad;           /* conv */
    int act;              /* act: ln_activation */
    float rate;           /* dropout */
    int w, b;             /* conv, dense: kernel and bias offsets in the parameter buffer */
    int gamma, beta;      /* batch norm: offsets in the parameter buffer */
    int mean, var;        /* batch norm: offsets in the statistics buffer */
    /* buffers, [max_batch][...]; out and g alias the input's for the in-place ops (batch norm,
     * activation, add) */
    float *out, *g;
    float *aux;    /* batch norm: xhat; padded conv: the padded input; dropout: the mask */
    float *aux_g;  /* padded conv: the padded input's gradient */
    float *bmean, *bvar; /* batch norm: the batch's statistics [C] */
    float *skip_g; /* add: the gradient handed to the skip's source */
    uint8_t *arg;  /* maxpool: winners */
} net_node;

struct ln_net {
    int num_nodes, num_layers, num_tensors, num_act, num_params, num_stats;
    net_node nodes[LN_MAX_NODES];
    char layer_names[LN_MAX_LAYERS][16];
    int layer_fan_in[LN_MAX_LAYERS], layer_fan_out[LN_MAX_LAYERS];
    int act_nodes[LN_MAX_LAYERS];
    int act_units; /* the activation layers' units together (a conv unit is a feature map) */
    ln_tensor_info tensors[4 * LN_MAX_LAYERS + 2 * LN_MAX_LAYERS];
    /* training buffers (max_batch 0: a description only) */
    int max_batch;
    int last_batch; /* the samples of the last forward pass */
    int watch_node; /* the activation whose inputs' percentiles are taken in training, or -1 */
    float *x;       /* [B][784] input */
    float *probs, *losses, *g_logits;
    float *scratch; /* conv workspace; also the percentiles' copy */
    size_t scratch_floats;
    float pct[3];   /* the last training batch's 15th, 50th and 85th percentiles */
    void *block;
};

/* Fills n's description from the config (no buffers); checks the family's limits. */
ln_status net_build(ln_net *n, const ln_config *c, ln_error *err);
/* Allocates the buffers for batches of up to max_batch. */
ln_status net_alloc(ln_net *n, int max_batch, ln_error *err);
void net_release(ln_net *n);

/* Draws every dropout node's mask for a batch of B, in forward order. */
void net_draw_masks(ln_net *n, int B, ln_rng *rng);

/* Forward pass over n->x[0..B): fills probs and per-sample losses; returns the mean loss.
 * train: dropout masks (net_draw_masks) and batch statistics apply, the watched percentiles are
 * taken, and when stats is given the moving statistics are updated. Otherwise inference: the
 * moving statistics, no dropout. */
float net_forward(ln_net *n, const float *params, float *stats, const uint8_t *labels, int B, int train);

/* Backward pass after a training net_forward: ACCUMULATES the gradient of the mean loss into
 * grads. Nothing is propagated below the lowest layer not in freeze_mask. */
void net_backward(ln_net *n, const float *params, float *grads, const uint8_t *labels, int B,
                  uint32_t freeze_mask);

/* Kernel initialisation of one layer (fans as Keras counts them), zero bias, batch norm's gamma 1
 * and beta 0 (init.c). */
void net_init_layer(const ln_net *n, float *params, int layer, int init, ln_rng *rng);
/* Moving statistics as a new network has them: means 0, variances 1. */
void net_init_stats(const ln_net *n, float *stats);

#endif
