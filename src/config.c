/* config.c - default configuration and range checks that need no data. */
#include <math.h>

#include "core.h"

void ln_config_default(ln_config *c) {
    *c = (ln_config){
        .activation = LN_ACT_RELU,
        .init = LN_INIT_GLOROT_UNIFORM,
        .reg = LN_REG_NONE,
        .reg_lambda = 1e-4f,
        .reg_l1_ratio = 0.5f,
        .optimizer = LN_OPT_ADAM,
        .lr = 1e-3f,
        .momentum = 0.9f,
        .beta1 = 0.9f,
        .beta2 = 0.999f,
        .rho = 0.9f,
        .epsilon = 1e-7f,
        .adagrad_init = 0.1f,
        .batch_size = 32,
        .epochs = 10,
        .train_size = 10000,
        .val_size = 2000,
        .test_size = 10000,
        .digit_mask = 0x3ff,
        .patience = 3,
        .restore_best = 1,
        .seed = 1,
    };
}

static int in_range(float x, float lo, float hi) { return isfinite(x) && x >= lo && x <= hi; }

ln_status ln_config_check(const ln_config *c, ln_error *err) {
#define REQUIRE(cond, ...) \
    if (!(cond)) return ln_fail(err, LN_E_ARG, __VA_ARGS__)
    REQUIRE(c->activation >= 0 && c->activation < LN_NUM_ACTS, "activation %d is not one of relu, tanh, sigmoid", c->activation);
    REQUIRE(c->init >= 0 && c->init < LN_NUM_INITS, "initialiser %d is unknown", c->init);
    REQUIRE(c->reg >= 0 && c->reg < LN_NUM_REGS, "regulariser %d is unknown", c->reg);
    REQUIRE(in_range(c->reg_lambda, 0.0f, 1.0f), "regularisation lambda %g is outside [0, 1]", c->reg_lambda);
    REQUIRE(in_range(c->reg_l1_ratio, 0.0f, 1.0f), "l1_ratio %g is outside [0, 1]", c->reg_l1_ratio);
    REQUIRE(in_range(c->dropout1, 0.0f, 0.9f), "dropout1 %g is outside [0, 0.9]", c->dropout1);
    REQUIRE(in_range(c->dropout2, 0.0f, 0.9f), "dropout2 %g is outside [0, 0.9]", c->dropout2);
    REQUIRE(c->optimizer >= 0 && c->optimizer < LN_NUM_OPTS, "optimiser %d is unknown", c->optimizer);
    REQUIRE(in_range(c->lr, 1e-7f, 100.0f), "learning rate %g is outside [1e-7, 100]", c->lr);
    REQUIRE(in_range(c->momentum, 0.0f, 0.9999f), "momentum %g is outside [0, 0.9999]", c->momentum);
    REQUIRE(in_range(c->beta1, 0.0f, 0.99999f), "beta1 %g is outside [0, 0.99999]", c->beta1);
    REQUIRE(in_range(c->beta2, 0.0f, 0.999999f), "beta2 %g is outside [0, 0.999999]", c->beta2);
    REQUIRE(in_range(c->rho, 0.0f, 0.99999f), "rho %g is outside [0, 0.99999]", c->rho);
    REQUIRE(in_range(c->epsilon, 1e-12f, 1.0f), "epsilon %g is outside [1e-12, 1]", c->epsilon);
    REQUIRE(in_range(c->adagrad_init, 0.0f, 100.0f), "adagrad initial accumulator %g is outside [0, 100]", c->adagrad_init);
    REQUIRE(c->batch_size >= 1 && c->batch_size <= LN_MAX_BATCH, "batch size %d is outside [1, %d]", c->batch_size, LN_MAX_BATCH);
    REQUIRE(c->epochs >= 1 && c->epochs <= 1000, "epochs %d is outside [1, 1000]", c->epochs);
    REQUIRE(c->train_size >= 1 && c->train_size <= LN_MAX_ITEMS, "training size %d is outside [1, %d]", c->train_size, LN_MAX_ITEMS);
    REQUIRE(c->val_size >= 0 && c->val_size <= LN_MAX_ITEMS, "validation size %d is outside [0, %d]", c->val_size, LN_MAX_ITEMS);
    REQUIRE(c->test_size >= 0 && c->test_size <= LN_MAX_ITEMS, "test size %d is outside [0, %d]", c->test_size, LN_MAX_ITEMS);
    REQUIRE((c->digit_mask & 0x3ffu) != 0 && (c->digit_mask & ~0x3ffu) == 0, "digit mask 0x%x must name some of the digits 0-9 and nothing else", (unsigned)c->digit_mask);
    REQUIRE(c->augment_shift >= 0 && c->augment_shift <= 4, "augmentation shift %d is outside [0, 4]", c->augment_shift);
    REQUIRE(c->patience >= 1 && c->patience <= 1000, "patience %d is outside [1, 1000]", c->patience);
    REQUIRE(in_range(c->min_delta, 0.0f, 100.0f), "min_delta %g is outside [0, 100]", c->min_delta);
    REQUIRE(!c->early_stopping || c->val_size > 0, "early stopping monitors the validation loss: it needs a validation set");
    REQUIRE((c->freeze_mask & ~((1u << LN_NUM_LAYERS) - 1)) == 0, "freeze mask 0x%x names layers that do not exist", (unsigned)c->freeze_mask);
#undef REQUIRE
    return LN_OK;
}
