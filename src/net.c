/* net.c - a network's buffers and its forward and backward passes, node after node. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "kernels.h"
#include "net.h"
#include "training.h"

static int out_size(const net_node *d) { return d->info.shape[0] * d->info.shape[1] * d->info.shape[2]; }
static int in_size(const net_node *d) { return d->in_c * d->in_h * d->in_w; }
static int in_place(int op) { return op == LN_OP_BATCHNORM || op == LN_OP_ACT || op == LN_OP_ADD; }

/* Hands out 64-byte aligned stretches of one allocation; with base NULL it only counts. */
typedef struct {
    char *base;
    size_t at;
} carver;

static void *carve(carver *c, size_t bytes) {
    void *p = c->base ? c->base + c->at : NULL;
    c->at += (bytes + 63) & ~(size_t)63;
    return p;
}

/* Lays every buffer out; a first pass with base NULL sizes the allocation. */
static void lay_out(ln_net *n, carver *c) {
    size_t B = (size_t)n->max_batch, F = sizeof(float);
    n->x = carve(c, B * LN_IMAGE_PIXELS * F);
    n->probs = carve(c, B * LN_CLASSES * F);
    n->losses = carve(c, B * F);
    n->g_logits = carve(c, B * LN_CLASSES * F);
    n->scratch = carve(c, n->scratch_floats * F);
    for (int i = 0; i < n->num_nodes; i++) {
        net_node *d = &n->nodes[i];
        size_t size = (size_t)out_size(d) * B * F;
        if (in_place(d->info.op) && i > 0) {
            d->out = n->nodes[i - 1].out;
            d->g = n->nodes[i - 1].g;
        } else {
            d->out = carve(c, size);
            d->g = carve(c, size);
        }
        switch (d->info.op) {
        case LN_OP_BATCHNORM:
            d->aux = carve(c, size);
            d->bmean = carve(c, (size_t)d->info.shape[0] * F);
            d->bvar = carve(c, (size_t)d->info.shape[0] * F);
            break;
        case LN_OP_CONV:
            if (d->pad) {
                size_t padded = B * (size_t)d->in_c * (d->in_h + 2 * d->pad) * (d->in_w + 2 * d->pad) * F;
                d->aux = carve(c, padded);
                d->aux_g = carve(c, padded);
            }
            break;
        case LN_OP_DROPOUT: d->aux = carve(c, size); break;
        case LN_OP_ADD: d->skip_g = carve(c, size); break;
        case LN_OP_MAXPOOL: d->arg = carve(c, (size_t)out_size(d) * B); break;
        default: break;
        }
    }
}

ln_status net_alloc(ln_net *n, int max_batch, ln_error *err) {
    n->max_batch = max_batch;
    /* The scratch serves the convolutions and the percentiles' copy of a layer's inputs. */
    size_t scratch = 0;
    for (int i = 0; i < n->num_nodes; i++) {
        const net_node *d = &n->nodes[i];
        size_t need = d->info.op == LN_OP_CONV
                          ? conv2d_scratch_floats(max_batch, d->in_c, d->in_h + 2 * d->pad, d->in_w + 2 * d->pad, d->info.shape[0], d->k)
                          : (size_t)max_batch * (size_t)in_size(d);
        if (need > scratch) scratch = need;
    }
    n->scratch_floats = scratch;
    carver count = {NULL, 0};
    lay_out(n, &count);
    n->block = aligned_alloc(64, count.at);
    if (!n->block) return ln_fail(err, LN_E_NOMEM, "no memory for the network's buffers (%zu MB) at batch %d", count.at >> 20, max_batch);
    carver real = {n->block, 0};
    lay_out(n, &real);
    return LN_OK;
}

void net_release(ln_net *n) {
    free(n->block);
    n->block = NULL;
}

void net_draw_masks(ln_net *n, int B, ln_rng *rng) {
    for (int i = 0; i < n->num_nodes; i++) {
        net_node *d = &n->nodes[i];
        if (d->info.op == LN_OP_DROPOUT) dropout_mask(d->aux, B * out_size(d), d->rate, rng);
    }
}

/* v[lo..hi] partly sorted so that v[k] holds the value of rank k, smaller ones before it and
 * larger ones after (Hoare partitions around a median of three). */
static void select_rank(float *v, int lo, int hi, int k) {
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        float a = v[lo], b = v[mid], c = v[hi];
        float pivot = a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);
        int i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot) i++;
            while (v[j] > pivot) j--;
            if (i <= j) {
                float t = v[i];
                v[i++] = v[j];
                v[j--] = t;
            }
        }
        if (k <= j) hi = j;
        else if (k >= i) lo = i;
        else return;
    }
}

/* The 15th, 50th and 85th percentiles of x [count], interpolated between ranks as numpy does.
 * They are taken at every step, so the selection is narrowed first: one pass counts the values
 * into PCT_BINS equal bins between the minimum and the maximum, a second gathers only the bins
 * that hold a wanted rank, and the ranks are selected among those. */
#define PCT_BINS 256
static void percentiles(float *pct, const float *x, int count, float *work) {
    float lo = x[0], hi = x[0];
    int finite = 1;
    for (int i = 0; i < count; i++) {
        finite &= isfinite(x[i]);
        lo = fminf(lo, x[i]), hi = fmaxf(hi, x[i]);
    }
    /* A step on its way to diverging has no percentiles; equal values have one. */
    if (!finite || !(hi > lo) || !isfinite(hi - lo)) {
        pct[0] = pct[1] = pct[2] = finite && hi == lo ? lo : NAN;
        return;
    }
    float scale = (float)PCT_BINS / (hi - lo);
#define BIN(v) min_int((int)(((v) - lo) * scale), PCT_BINS - 1)
    int hist[PCT_BINS] = {0}, below[PCT_BINS], start[PCT_BINS], at[PCT_BINS];
    uint8_t need[PCT_BINS] = {0};
    for (int i = 0; i < count; i++) hist[BIN(x[i])]++;
    for (int b = 0, sum = 0; b < PCT_BINS; sum += hist[b++]) below[b] = sum;
    /* the ranks each percentile lies between, and the bins that hold them */
    double q[3] = {0.15 * (count - 1), 0.50 * (count - 1), 0.85 * (count - 1)};
    int rank[6], bin[6];
    for (int i = 0; i < 6; i++) {
        rank[i] = min_int((int)q[i / 2] + i % 2, count - 1);
        int b = PCT_BINS - 1;
        while (below[b] > rank[i]) b--;
        bin[i] = b;
        need[b] = 1;
    }
    for (int b = 0, used = 0; b < PCT_BINS; b++)
        if (need[b]) start[b] = at[b] = used, used += hist[b];
    for (int i = 0; i < count; i++) {
        int b = BIN(x[i]);
        if (need[b]) work[at[b]++] = x[i];
    }
#undef BIN
    float value[6];
    for (int i = 0; i < 6; i++) {
        int b = bin[i], k = start[b] + rank[i] - below[b];
        select_rank(work, start[b], start[b] + hist[b] - 1, k);
        value[i] = work[k];
    }
    for (int i = 0; i < 3; i++) {
        double r = (int)q[i];
        pct[i] = (float)(value[2 * i] + (q[i] - r) * ((double)value[2 * i + 1] - value[2 * i]));
    }
}

float net_forward(ln_net *n, const float *params, float *stats, const uint8_t *labels, int B, int train) {
    const float *in = n->x;
    n->last_batch = B;
    for (int i = 0; i < n->num_nodes; i++) {
        net_node *d = &n->nodes[i];
        int C = d->info.shape[0], S = d->info.shape[1] * d->info.shape[2], size = B * out_size(d);
        switch (d->info.op) {
        case LN_OP_CONV: {
            int H = d->in_h + 2 * d->pad, W = d->in_w + 2 * d->pad;
            if (d->pad) {
                pad2d_forward(d->aux, in, B, d->in_c, d->in_h, d->in_w, d->pad);
                in = d->aux;
            }
            conv2d_forward(d->out, in, params + d->w, params + d->b, B, d->in_c, H, W, C, d->k, n->scratch);
            break;
        }
        case LN_OP_DENSE: dense_forward(d->out, in, params + d->w, params + d->b, B, in_size(d), C); break;
        case LN_OP_BATCHNORM:
            if (!train) {
                batchnorm_forward_infer(d->out, in, params + d->gamma, params + d->beta, stats + d->mean, stats + d->var, B, C, S, LN_BN_EPSILON);
                break;
            }
            batchnorm_forward_train(d->out, d->aux, d->bmean, d->bvar, in, params + d->gamma, params + d->beta, B, C, S, LN_BN_EPSILON);
            if (stats)
                for (int c = 0; c < C; c++) {
                    float *mean = stats + d->mean + c, *var = stats + d->var + c;
                    *mean = *mean * LN_BN_MOMENTUM + d->bmean[c] * (1.0f - LN_BN_MOMENTUM);
                    *var = *var * LN_BN_MOMENTUM + d->bvar[c] * (1.0f - LN_BN_MOMENTUM);
                }
            break;
        case LN_OP_ACT:
            if (train && i == n->watch_node) percentiles(n->pct, in, size, n->scratch);
            act_forward(d->out, in, size, d->act);
            break;
        case LN_OP_AVGPOOL: avgpool2_forward(d->out, in, B, C, d->in_h, d->in_w); break;
        case LN_OP_MAXPOOL: maxpool2_forward(d->out, d->arg, in, B, C, d->in_h, d->in_w); break;
        case LN_OP_GAP: gap_forward(d->out, in, B, C, d->in_h * d->in_w); break;
        case LN_OP_DROPOUT:
            if (train) dropout_forward(d->out, in, d->aux, size);
            else memcpy(d->out, in, sizeof(float) * (size_t)size);
            break;
        case LN_OP_ADD: add_forward(d->out, in, n->nodes[d->info.skip_from].out, size); break;
        default: break;
        }
        in = d->out;
    }
    softmax_xent_forward(n->probs, n->losses, in, labels, B, LN_CLASSES);
    double sum = 0.0;
    for (int b = 0; b < B; b++) sum += n->losses[b];
    return (float)(sum / B);
}

void net_backward(ln_net *n, const float *params, float *grads, const uint8_t *labels, int B,
                  uint32_t freeze_mask) {
    /* Propagating below the lowest trained node would be wasted work. */
    int lowest = n->num_nodes;
    for (int i = n->num_nodes - 1; i >= 0; i--) {
        const net_node *d = &n->nodes[i];
        if (d->info.params && !((freeze_mask >> d->info.layer) & 1u)) lowest = i;
    }
    if (lowest == n->num_nodes) return;
    softmax_xent_backward(n->g_logits, n->probs, labels, B, LN_CLASSES, 1.0f / (float)B);
    for (int i = n->num_nodes - 1; i >= lowest; i--) {
        net_node *d = &n->nodes[i];
        const float *in = i > 0 ? n->nodes[i - 1].out : n->x;
        const float *gout = i == n->num_nodes - 1 ? n->g_logits : d->g;
        float *gin = i > lowest ? n->nodes[i - 1].g : NULL;
        int C = d->info.shape[0], S = d->info.shape[1] * d->info.shape[2], size = B * out_size(d);
        switch (d->info.op) {
        case LN_OP_CONV:
            if (d->pad) {
                conv2d_backward(gin ? d->aux_g : NULL, grads + d->w, grads + d->b, gout, d->aux, params + d->w, B, d->in_c,
                                d->in_h + 2 * d->pad, d->in_w + 2 * d->pad, C, d->k, n->scratch);
                if (gin) pad2d_backward(gin, d->aux_g, B, d->in_c, d->in_h, d->in_w, d->pad);
            } else {
                conv2d_backward(gin, grads + d->w, grads + d->b, gout, in, params + d->w, B, d->in_c, d->in_h, d->in_w, C, d->k,
                                n->scratch);
            }
            break;
        case LN_OP_DENSE: dense_backward(gin, grads + d->w, grads + d->b, gout, in, params + d->w, B, in_size(d), C); break;
        case LN_OP_BATCHNORM:
            batchnorm_backward(gin, grads + d->gamma, grads + d->beta, gout, d->aux, params + d->gamma, d->bvar, B, C, S, LN_BN_EPSILON);
            break;
        case LN_OP_ACT: act_backward(gin, gout, d->out, size, d->act); break;
        case LN_OP_AVGPOOL: avgpool2_backward(gin, gout, B, C, d->in_h, d->in_w); break;
        case LN_OP_MAXPOOL: maxpool2_backward(gin, gout, d->arg, B, C, d->in_h, d->in_w); break;
        case LN_OP_GAP: gap_backward(gin, gout, B, C, d->in_h * d->in_w); break;
        case LN_OP_DROPOUT: dropout_backward(gin, gout, d->aux, size); break;
        case LN_OP_ADD:
            /* The sum passes its gradient on unchanged (gin is gout) and to the skip's source,
             * whose gradient is complete once the node after it has written its own share. */
            memcpy(d->skip_g, gout, sizeof(float) * (size_t)size);
            break;
        default: break;
        }
        if (!gin) continue;
        for (int a = i + 1; a < n->num_nodes; a++) {
            const net_node *s = &n->nodes[a];
            if (s->info.op != LN_OP_ADD || s->info.skip_from != i - 1) continue;
            int count = B * out_size(s);
            for (int k = 0; k < count; k++) gin[k] += s->skip_g[k];
        }
    }
}
