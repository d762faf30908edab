/* diagnostics.c - what the page charts about the weights: norms, sparsity, histograms. */
#include <math.h>

#include "core.h"
#include "diagnostics.h"

float diag_layer_norm(const float *v, int layer) {
    const ln_tensor_info *w = ln_layer_weight(layer), *b = ln_layer_bias(layer);
    double sum = 0.0;
    for (int i = 0; i < w->count; i++) sum += (double)v[w->offset + i] * v[w->offset + i];
    for (int i = 0; i < b->count; i++) sum += (double)v[b->offset + i] * v[b->offset + i];
    return (float)sqrt(sum);
}

float diag_sparsity(const float *params, float *per_layer) {
    long small = 0, total = 0;
    for (int l = 0; l < LN_NUM_LAYERS; l++) {
        const ln_tensor_info *w = ln_layer_weight(l);
        long n = 0;
        for (int i = 0; i < w->count; i++) n += fabsf(params[w->offset + i]) < LN_SPARSE_THRESHOLD;
        per_layer[l] = (float)n / (float)w->count;
        small += n;
        total += w->count;
    }
    return (float)small / (float)total;
}

void diag_histogram(const float *params, int layer, int bins, uint32_t *counts, float *range) {
    const ln_tensor_info *w = ln_layer_weight(layer);
    const float *p = params + w->offset;
    float r = 0.0f;
    for (int i = 0; i < w->count; i++) r = fmaxf(r, fabsf(p[i]));
    if (r == 0.0f) r = LN_SPARSE_THRESHOLD;
    for (int i = 0; i < bins; i++) counts[i] = 0;
    for (int i = 0; i < w->count; i++) {
        int k = (int)((p[i] + r) / (2.0f * r) * (float)bins);
        counts[k < 0 ? 0 : k >= bins ? bins - 1 : k]++;
    }
    *range = r;
}
