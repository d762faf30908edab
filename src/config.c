/* config.c - every ln_config field with its default and its range, in one table. The table makes
 * the defaults, drives the range checks, and is what JavaScript reads through src/wasm/layout.c;
 * tests/js/schema-core.test.mjs walks web/lib/config.mjs's schema against it, so the two cannot
 * drift. A new setting is a field in lenet.h, a row here, its use, and its schema entry. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "net.h"

#define ROW(kind, field, def, lo, hi, choices) {#field, offsetof(ln_config, field), kind, def, lo, hi, choices}
#define INT(field, def, lo, hi) ROW(LN_KIND_INT, field, def, lo, hi, NULL)
#define UINT(field, def, lo, hi) ROW(LN_KIND_UINT, field, def, lo, hi, NULL)
#define FLOAT(field, def, lo, hi) ROW(LN_KIND_FLOAT, field, def, lo, hi, NULL)
#define BOOL(field, def) ROW(LN_KIND_INT, field, def, 0, 1, NULL)
#define ENUM(field, def, count, choices) ROW(LN_KIND_INT, field, def, 0, (count) - 1, choices)

/* The ranges are the playground's: the training and test sizes are those of MNIST's files. */
const ln_config_field LN_CONFIG_FIELDS[] = {
    ENUM(model, LN_MODEL_LENET5, LN_NUM_MODELS, "lenet5, mlp, cnn"),
    INT(hidden_layers, 3, 1, 30),
    INT(hidden_units, 100, 8, 512),
    INT(conv_layers, 8, 3, 20),
    INT(channels, 8, 4, 32),
    BOOL(batch_norm, 0),
    BOOL(skip, 0),
    ENUM(activation, LN_ACT_RELU, LN_NUM_ACTS, "relu, tanh, sigmoid"),
    ENUM(init, LN_INIT_GLOROT_UNIFORM, LN_NUM_INITS,
         "zeros, random_uniform, random_normal, glorot_uniform, glorot_normal, he_uniform, he_normal, lecun_uniform, lecun_normal"),
    ENUM(reg, LN_REG_NONE, LN_NUM_REGS, "none, l1, l2, elasticnet"),
    FLOAT(reg_lambda, 1e-4, 0, 1),
    FLOAT(reg_l1_ratio, 0.5, 0, 1),
    FLOAT(dropout1, 0, 0, 0.9),
    FLOAT(dropout2, 0, 0, 0.9),
    ENUM(optimizer, LN_OPT_ADAM, LN_NUM_OPTS, "sgd, momentum, nesterov, adam, rmsprop, adagrad, adamw"),
    FLOAT(lr, 1e-3, 1e-6, 10),
    FLOAT(momentum, 0.9, 0, 0.999),
    FLOAT(beta1, 0.9, 0, 0.9999),
    FLOAT(beta2, 0.999, 0, 0.99999),
    FLOAT(rho, 0.9, 0, 0.9999),
    FLOAT(epsilon, 1e-7, 1e-10, 1),
    FLOAT(adagrad_init, 0.1, 0, 10),
    FLOAT(weight_decay, 0.004, 0, 1),
    FLOAT(clip_norm, 0, 0, 100),
    INT(batch_size, 32, 1, LN_MAX_BATCH),
    INT(epochs, 10, 1, 200),
    INT(train_size, 10000, 100, 60000),
    INT(val_size, 2000, 0, 30000),
    INT(test_size, 10000, 100, 10000),
    UINT(digit_mask, 0x3ff, 1, 0x3ff), /* at least one of the digits 0-9, nothing else */
    BOOL(standardize, 0),
    INT(augment_shift, 0, 0, 4),
    FLOAT(label_noise, 0, 0, 1),
    BOOL(early_stopping, 0),
    INT(patience, 3, 1, 100),
    FLOAT(min_delta, 0, 0, 10),
    BOOL(restore_best, 1),
    UINT(freeze_mask, 0, 0, (1u << 5) - 1), /* bit (1u << layer) of LeNet-5's five: not updated */
    UINT(seed, 1, 0, 4294967295.0),
    INT(watch, 0, 0, LN_MAX_LAYERS - 2), /* the deepest network has 30 activation layers */
};
const int LN_NUM_CONFIG_FIELDS = (int)(sizeof LN_CONFIG_FIELDS / sizeof LN_CONFIG_FIELDS[0]);

static double field_get(const ln_config *c, const ln_config_field *f) {
    const char *p = (const char *)c + f->offset;
    int32_t i;
    uint32_t u;
    float x;
    switch (f->kind) {
    case LN_KIND_INT: memcpy(&i, p, 4); return i;
    case LN_KIND_UINT: memcpy(&u, p, 4); return u;
    default: memcpy(&x, p, 4); return x;
    }
}

static void field_set(ln_config *c, const ln_config_field *f, double v) {
    char *p = (char *)c + f->offset;
    int32_t i = (int32_t)v;
    uint32_t u = (uint32_t)v;
    float x = (float)v;
    switch (f->kind) {
    case LN_KIND_INT: memcpy(p, &i, 4); break;
    case LN_KIND_UINT: memcpy(p, &u, 4); break;
    default: memcpy(p, &x, 4); break;
    }
}

void ln_config_default(ln_config *c) {
    memset(c, 0, sizeof *c);
    for (int i = 0; i < LN_NUM_CONFIG_FIELDS; i++) field_set(c, &LN_CONFIG_FIELDS[i], LN_CONFIG_FIELDS[i].def);
}

ln_status ln_config_check(const ln_config *c, ln_error *err) {
    if (!c) return ln_fail(err, LN_E_ARG, "no config");
    for (int i = 0; i < LN_NUM_CONFIG_FIELDS; i++) {
        const ln_config_field *f = &LN_CONFIG_FIELDS[i];
        double v = field_get(c, f);
        /* Float bounds are compared as the float32 the field holds, so the bound itself passes. */
        double lo = f->kind == LN_KIND_FLOAT ? (float)f->min : f->min;
        double hi = f->kind == LN_KIND_FLOAT ? (float)f->max : f->max;
        if (isfinite(v) && v >= lo && v <= hi) continue;
        if (f->choices) return ln_fail(err, LN_E_ARG, "%s %g is not one of %s", f->name, v, f->choices);
        return ln_fail(err, LN_E_ARG, "%s %g is outside [%g, %g]", f->name, v, f->min, f->max);
    }
    if (c->early_stopping && c->val_size == 0)
        return ln_fail(err, LN_E_ARG, "early stopping monitors the validation loss: it needs a validation set");
    /* The network must fit its family and the size limit. */
    ln_net *n = malloc(sizeof *n);
    if (!n) return ln_fail(err, LN_E_NOMEM, "no memory to check the network");
    ln_status s = net_build(n, c, err);
    free(n);
    return s;
}
