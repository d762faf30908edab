/* layout.c - the only Emscripten-specific file: describes the layout of ln_config and
 * ln_metrics, and the constants of lenet.h, to JavaScript, which then reads and writes those
 * structs in wasm memory by field name. No offset or constant is written twice. */
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
    I(ln_metrics, phase), F(ln_metrics, loss), F(ln_metrics, penalty), F(ln_metrics, acc),
    FA(ln_metrics, grad_norm), FA(ln_metrics, weight_norm), I(ln_metrics, eval_split),
    I(ln_metrics, eval_done), I(ln_metrics, eval_total), F(ln_metrics, train_loss), F(ln_metrics, train_acc),
    F(ln_metrics, val_loss), F(ln_metrics, val_acc), F(ln_metrics, test_loss), F(ln_metrics, test_acc),
    F(ln_metrics, epoch_penalty), F(ln_metrics, sparsity), FA(ln_metrics, layer_sparsity),
    F(ln_metrics, epoch_loss), F(ln_metrics, epoch_acc), FA(ln_metrics, grad_mean), FA(ln_metrics, grad_max),
    FA(ln_metrics, epoch_weight_norm), I(ln_metrics, best_epoch), F(ln_metrics, best_val_loss),
    I(ln_metrics, restored_epoch), I(ln_metrics, train_count), I(ln_metrics, val_count),
    I(ln_metrics, test_count), U(ln_metrics, batch_hash), {NULL, 0, 0, 0}};

/* table 0: ln_config, 1: ln_metrics; a NULL-terminated array of fields. */
EMSCRIPTEN_KEEPALIVE const field *lnw_fields(int table) { return table == 0 ? CONFIG_FIELDS : METRICS_FIELDS; }

typedef struct {
    const char *group; /* status, event, stop, phase, size */
    const char *name;
    int32_t value;
} constant;

static const constant CONSTANTS[] = {
    {"status", "ok", LN_OK}, {"status", "arg", LN_E_ARG}, {"status", "nomem", LN_E_NOMEM},
    {"status", "format", LN_E_FORMAT}, {"status", "diverged", LN_E_DIVERGED}, {"status", "state", LN_E_STATE},
    {"event", "step", LN_EV_STEP}, {"event", "eval", LN_EV_EVAL}, {"event", "epoch", LN_EV_EPOCH},
    {"event", "done", LN_EV_DONE},
    {"stop", "none", LN_STOP_NONE}, {"stop", "epochs", LN_STOP_EPOCHS}, {"stop", "early", LN_STOP_EARLY},
    {"stop", "diverged", LN_STOP_DIVERGED},
    {"phase", "train", LN_PHASE_TRAIN}, {"phase", "eval-train", LN_PHASE_EVAL_TRAIN},
    {"phase", "eval-val", LN_PHASE_EVAL_VAL}, {"phase", "eval-test", LN_PHASE_EVAL_TEST},
    {"phase", "done", LN_PHASE_DONE},
    {"size", "layers", LN_NUM_LAYERS}, {"size", "tensors", LN_NUM_TENSORS}, {"size", "params", LN_NUM_PARAMS},
    {"size", "classes", LN_CLASSES}, {"size", "pixels", LN_IMAGE_PIXELS}, {"size", "side", LN_IMAGE_SIDE},
    {NULL, NULL, 0}};

/* A NULL-terminated array of {group, name, value}. Layer names come from ln_layer_name. */
EMSCRIPTEN_KEEPALIVE const constant *lnw_constants(void) { return CONSTANTS; }

/* 0: sizeof ln_config, 1: ln_metrics, 2: ln_error */
EMSCRIPTEN_KEEPALIVE int lnw_sizeof(int what) {
    return what == 0 ? (int)sizeof(ln_config) : what == 1 ? (int)sizeof(ln_metrics) : (int)sizeof(ln_error);
}
