/* diagnostics.c - what the page charts about the weights: norms, sparsity, histograms. */
#include <math.h>

#include "core.h"
#include "diagnostics.h"
#include "simd.h"

/* x [n] -> sum of squares in double, four floats at a time in two pairs of double lanes (the
 * squares are exact in double; only the order of the sum is fixed here) */
static double sum_squares(const float *x, int n) {
    v2d s0 = v2d_splat(0.0), s1 = v2d_splat(0.0);
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        v4f v = v4f_load(x + i);
        v2d lo = v2d_lo(v), hi = v2d_hi(v);
        s0 = v2d_add(s0, v2d_mul(lo, lo));
        s1 = v2d_add(s1, v2d_mul(hi, hi));
    }
    double sum = (v2d_lane(s0, 0) + v2d_lane(s1, 0)) + (v2d_lane(s0, 1) + v2d_lane(s1, 1));
    for (; i < n; i++)
        sum += (double)x[i] * x[i];
    return sum;
}

float diag_layer_norm(const ln_net *n, const float *v, int layer) {
    double sum = 0.0;
    for (int i = 0; i < n->num_tensors; i++) {
        const ln_tensor_info *t = &n->tensors[i];
        if (t->layer == layer && t->kind <= LN_TENSOR_BETA) sum += sum_squares(v + t->offset, t->count);
    }
    return (float)sqrt(sum);
}

/* a [n], b [n] -> sums[0] += sum of a^2, sums[1] += sum of (a - b)^2: one pass for both, as
 * they are wanted after every step; the squares summed in double lanes as sum_squares does */
static void sum_squares_and_diff(const float *a, const float *b, int n, double *sums) {
    v2d s0 = v2d_splat(0.0), s1 = v2d_splat(0.0), d0 = v2d_splat(0.0), d1 = v2d_splat(0.0);
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        v4f v = v4f_load(a + i), d = v4f_sub(v, v4f_load(b + i));
        v2d lo = v2d_lo(v), hi = v2d_hi(v), dlo = v2d_lo(d), dhi = v2d_hi(d);
        s0 = v2d_add(s0, v2d_mul(lo, lo));
        s1 = v2d_add(s1, v2d_mul(hi, hi));
        d0 = v2d_add(d0, v2d_mul(dlo, dlo));
        d1 = v2d_add(d1, v2d_mul(dhi, dhi));
    }
    double sum = (v2d_lane(s0, 0) + v2d_lane(s1, 0)) + (v2d_lane(s0, 1) + v2d_lane(s1, 1));
    double diff = (v2d_lane(d0, 0) + v2d_lane(d1, 0)) + (v2d_lane(d0, 1) + v2d_lane(d1, 1));
    for (; i < n; i++) {
        double d = a[i] - b[i];
        sum += (double)a[i] * a[i];
        diff += d * d;
    }
    sums[0] += sum;
    sums[1] += diff;
}

void diag_layer_step(const ln_net *n, const float *after, const float *before, int layer, float *norm, float *distance) {
    double sums[2] = {0.0, 0.0};
    for (int i = 0; i < n->num_tensors; i++) {
        const ln_tensor_info *t = &n->tensors[i];
        if (t->layer == layer && t->kind <= LN_TENSOR_BETA) sum_squares_and_diff(after + t->offset, before + t->offset, t->count, sums);
    }
    *norm = (float)sqrt(sums[0]);
    *distance = (float)sqrt(sums[1]);
}

/* The layer's kernel tensor. */
static const ln_tensor_info *kernel(const ln_net *n, int layer) {
    for (int i = 0; i < n->num_tensors; i++)
        if (n->tensors[i].layer == layer && n->tensors[i].kind == LN_TENSOR_KERNEL) return &n->tensors[i];
    return NULL;
}

float diag_sparsity(const ln_net *n, const float *params, float *per_layer) {
    long small = 0, total = 0;
    for (int l = 0; l < n->num_layers; l++) {
        const ln_tensor_info *w = kernel(n, l);
        long count = 0;
        for (int i = 0; i < w->count; i++) count += fabsf(params[w->offset + i]) < LN_SPARSE_THRESHOLD;
        per_layer[l] = (float)count / (float)w->count;
        small += count;
        total += w->count;
    }
    return (float)small / (float)total;
}

void diag_bin(const float *x, long count, float lo, float hi, int bins, uint32_t *counts) {
    for (int i = 0; i < bins; i++) counts[i] = 0;
    for (long i = 0; i < count; i++) {
        int k = (int)((x[i] - lo) / (hi - lo) * (float)bins);
        counts[k < 0 ? 0 : k >= bins ? bins - 1 : k]++;
    }
}

void diag_histogram(const ln_net *n, const float *params, int layer, int bins, uint32_t *counts, float *range) {
    const ln_tensor_info *w = kernel(n, layer);
    const float *p = params + w->offset;
    float r = 0.0f;
    for (int i = 0; i < w->count; i++) r = fmaxf(r, fabsf(p[i]));
    if (r == 0.0f) r = LN_SPARSE_THRESHOLD;
    diag_bin(p, w->count, -r, r, bins, counts);
    *range = r;
}

void diag_activations(const float *y, int B, int units, int per_unit, int act, uint8_t *alive,
                      long *saturated, double *sums) {
    long n = 0;
    double sum = 0.0, sum_sq = 0.0;
    /* A sample's outputs are summed in four float lanes, then into double. */
    int count = units * per_unit;
    for (int b = 0; b < B; b++) {
        const float *p = y + (size_t)b * count;
        v4f s = v4f_splat(0.0f), q = v4f_splat(0.0f);
        int i = 0;
        for (; i + 4 <= count; i += 4) {
            v4f v = v4f_load(p + i);
            s = v4f_add(s, v);
            q = v4f_add(q, v4f_mul(v, v));
        }
        double rs = 0.0, rq = 0.0;
        for (int k = 0; k < 4; k++) rs += v4f_lane(s, k), rq += v4f_lane(q, k);
        for (; i < count; i++) rs += p[i], rq += (double)p[i] * p[i];
        sum += rs;
        sum_sq += rq;
    }
    for (int b = 0; b < B; b++)
        for (int u = 0; u < units; u++) {
            const float *p = y + ((size_t)b * units + u) * per_unit;
            if (act == LN_ACT_RELU) {
                if (alive[u]) continue;
                for (int i = 0; i < per_unit; i++)
                    if (p[i] > 0.0f) {
                        alive[u] = 1;
                        break;
                    }
            } else if (act == LN_ACT_TANH) {
                for (int i = 0; i < per_unit; i++) n += fabsf(p[i]) > LN_SATURATION;
            } else {
                for (int i = 0; i < per_unit; i++) n += p[i] > LN_SATURATION || p[i] < 1.0f - LN_SATURATION;
            }
        }
    *saturated += n;
    sums[0] += sum;
    sums[1] += sum_sq;
}
