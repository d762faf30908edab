/* tensors.c - the parameter tensors: names, shapes and places in the one parameter buffer. */
#include <stddef.h>

#include "core.h"

static const ln_tensor_info TENSORS[LN_NUM_TENSORS] = {
    {"conv1.weight", LN_CONV1, 1, 4, {6, 1, 5, 5}, 0, 150},
    {"conv1.bias", LN_CONV1, 0, 1, {6, 0, 0, 0}, 150, 6},
    {"conv2.weight", LN_CONV2, 1, 4, {16, 6, 5, 5}, 156, 2400},
    {"conv2.bias", LN_CONV2, 0, 1, {16, 0, 0, 0}, 2556, 16},
    {"fc1.weight", LN_FC1, 1, 2, {120, 256, 0, 0}, 2572, 30720},
    {"fc1.bias", LN_FC1, 0, 1, {120, 0, 0, 0}, 33292, 120},
    {"fc2.weight", LN_FC2, 1, 2, {84, 120, 0, 0}, 33412, 10080},
    {"fc2.bias", LN_FC2, 0, 1, {84, 0, 0, 0}, 43492, 84},
    {"fc3.weight", LN_FC3, 1, 2, {10, 84, 0, 0}, 43576, 840},
    {"fc3.bias", LN_FC3, 0, 1, {10, 0, 0, 0}, 44416, 10},
};

static const char *const LAYER_NAMES[LN_NUM_LAYERS] = {"conv1", "conv2", "fc1", "fc2", "fc3"};

const ln_tensor_info *ln_tensor(int i) {
    return i >= 0 && i < LN_NUM_TENSORS ? &TENSORS[i] : NULL;
}

const char *ln_layer_name(int layer) {
    return layer >= 0 && layer < LN_NUM_LAYERS ? LAYER_NAMES[layer] : NULL;
}

const ln_tensor_info *ln_layer_weight(int layer) { return &TENSORS[2 * layer]; }
const ln_tensor_info *ln_layer_bias(int layer) { return &TENSORS[2 * layer + 1]; }

void ln_layer_fans(int layer, int *fan_in, int *fan_out) {
    const ln_tensor_info *w = ln_layer_weight(layer);
    int field = w->ndim == 4 ? w->shape[2] * w->shape[3] : 1;
    *fan_in = w->shape[1] * field;
    *fan_out = w->shape[0] * field;
}
