/* layout.c - the only Emscripten-specific file: describes the layout of ln_config and
 * ln_metrics to JavaScript, which then reads and writes those structs in wasm memory by field
 * name. No offset is written twice. */
#include <emscripten.h>
#include <stddef.h>

#include "lenet.h"

typedef struct {
    const char *name;
    int32_t offset;
    int32_t kind;  /* 0 int32, 1 uint32, 2 float32 */
    int32_t count; /* elements (arrays of floats per layer have LN_NUM_LAYERS) */
} field;

#define I(s, f) {#f, offsetof(s, f), 0, 1}
#define U(s, f) {#f, offsetof(s, f), 1, 1}
#define F(s, f) {#f, offsetof(s, f), 2, 1}
#define FA(s, f) {#f, offsetof(s, f), 2, LN_NUM_LAYERS}

static const field CONFIG_FIELDS[] = {
    I(ln_config, activation), I(ln_config, init), I(ln_config, reg), F(ln_config, reg_lambda),
    F(ln_config, reg_l1_ratio), F(ln_config, dropout1), F(ln_config, dropout2),
    I(ln_config, optimizer), F(ln_config, lr), F(ln_config, momentum), F(ln_config, beta1),
    F(ln_config, beta2), F(ln_config, rho), F(ln_config, epsilon), F(ln_config, adagrad_init),
    I(ln_config, batch_size), I(ln_config, epochs), I(ln_config, train_size), I(ln_config, val_size),
    I(ln_config, test_size), U(ln_config, digit_mask), I(ln_config, standardize),
    I(ln_config, augment_shift), I(ln_config, early_stopping), I(ln_config, patience),
    F(ln_config, min_delta), I(ln_config, restore_best), U(ln_config, freeze_mask), U(ln_config, seed),
    {NULL, 0, 0, 0}};

static const field METRICS_FIELDS[] = {
    I(ln_metrics, epoch), I(ln_metrics, step), I(ln_metrics, steps_per_epoch), I(ln_metrics, stop_reason),
    F(ln_metrics, loss), F(ln_metrics, penalty), F(ln_metrics, acc), FA(ln_metrics, grad_norm),
    FA(ln_metrics, weight_norm), F(ln_metrics, train_loss), F(ln_metrics, train_acc), F(ln_metrics, val_loss),
    F(ln_metrics, val_acc), F(ln_metrics, test_loss), F(ln_metrics, test_acc), F(ln_metrics, epoch_penalty),
    F(ln_metrics, sparsity), FA(ln_metrics, layer_sparsity), I(ln_metrics, best_epoch),
    F(ln_metrics, best_val_loss), I(ln_metrics, train_count), I(ln_metrics, val_count),
    I(ln_metrics, test_count), U(ln_metrics, batch_hash), {NULL, 0, 0, 0}};

/* table 0: ln_config, 1: ln_metrics; a NULL-terminated array of fields. */
EMSCRIPTEN_KEEPALIVE const field *lnw_fields(int table) { return table == 0 ? CONFIG_FIELDS : METRICS_FIELDS; }

/* 0: sizeof ln_config, 1: ln_metrics, 2: ln_error */
EMSCRIPTEN_KEEPALIVE int lnw_sizeof(int what) {
    return what == 0 ? (int)sizeof(ln_config) : what == 1 ? (int)sizeof(ln_metrics) : (int)sizeof(ln_error);
}
