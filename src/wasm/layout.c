/* layout.c - the only Emscripten-specific file: describes the layout of ln_config and
 * ln_metrics, and the constants of lenet.h, to JavaScript, which then reads and writes those
 * structs in wasm memory by field name. No offset or constant is written twice. */
#include <emscripten.h>
#include <stddef.h>

#include "core.h"

typedef struct {
    const char *name;
    int32_t offset;
    int32_t kind;  /* LN_KIND_INT, LN_KIND_UINT or LN_KIND_FLOAT */
    int32_t count; /* elements (arrays of floats per layer have LN_NUM_LAYERS) */
} field;

#define I(s, f) {#f, offsetof(s, f), LN_KIND_INT, 1}
#define U(s, f) {#f, offsetof(s, f), LN_KIND_UINT, 1}
#define F(s, f) {#f, offsetof(s, f), LN_KIND_FLOAT, 1}
#define FA(s, f) {#f, offsetof(s, f), LN_KIND_FLOAT, LN_NUM_LAYERS}
#define FACT(s, f) {#f, offsetof(s, f), LN_KIND_FLOAT, LN_NUM_ACT_LAYERS}

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
    I(ln_metrics, test_count), U(ln_metrics, batch_hash), FACT(ln_metrics, dead), FACT(ln_metrics, saturated), {NULL, 0, 0, 0}};

/* table 1: ln_metrics, a NULL-terminated array of fields. */
EMSCRIPTEN_KEEPALIVE const field *lnw_fields(int table) { return table == 1 ? METRICS_FIELDS : NULL; }

/* The rows of config.c's table, one accessor a column: JavaScript writes an ln_config by these
 * names and offsets, and its schema is tested against these defaults, ranges and choices. */
static const ln_config_field *config_row(int i) { return i >= 0 && i < LN_NUM_CONFIG_FIELDS ? &LN_CONFIG_FIELDS[i] : NULL; }
EMSCRIPTEN_KEEPALIVE int lnw_config_count(void) { return LN_NUM_CONFIG_FIELDS; }
EMSCRIPTEN_KEEPALIVE const char *lnw_config_name(int i) { return config_row(i) ? config_row(i)->name : NULL; }
EMSCRIPTEN_KEEPALIVE int lnw_config_offset(int i) { return config_row(i) ? config_row(i)->offset : -1; }
EMSCRIPTEN_KEEPALIVE int lnw_config_kind(int i) { return config_row(i) ? config_row(i)->kind : -1; }
EMSCRIPTEN_KEEPALIVE const char *lnw_config_choices(int i) { return config_row(i) ? config_row(i)->choices : NULL; }
/* which: 0 the default, 1 the minimum, 2 the maximum */
EMSCRIPTEN_KEEPALIVE double lnw_config_bound(int i, int which) {
    const ln_config_field *f = config_row(i);
    return !f ? 0.0 : which == 0 ? f->def : which == 1 ? f->min : f->max;
}

typedef struct {
    const char *group; /* status, event, stop, phase, size, kind */
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
    {"size", "layers", LN_NUM_LAYERS}, {"size", "act-layers", LN_NUM_ACT_LAYERS}, {"size", "tensors", LN_NUM_TENSORS}, {"size", "params", LN_NUM_PARAMS},
    {"size", "classes", LN_CLASSES}, {"size", "pixels", LN_IMAGE_PIXELS}, {"size", "side", LN_IMAGE_SIDE},
    {"kind", "int", LN_KIND_INT}, {"kind", "uint", LN_KIND_UINT}, {"kind", "float", LN_KIND_FLOAT},
    {NULL, NULL, 0}};

/* A NULL-terminated array of {group, name, value}. Layer names come from ln_layer_name. */
EMSCRIPTEN_KEEPALIVE const constant *lnw_constants(void) { return CONSTANTS; }

/* 0: sizeof ln_config, 1: ln_metrics, 2: ln_error */
EMSCRIPTEN_KEEPALIVE int lnw_sizeof(int what) {
    return what == 0 ? (int)sizeof(ln_config) : what == 1 ? (int)sizeof(ln_metrics) : (int)sizeof(ln_error);
}
