/* layout.c - the only Emscripten-specific file: describes the layout of ln_config and
 * ln_metrics, and the constants of lenet.h, to JavaScript, which then reads and writes those
 * structs in wasm memory by field name. No offset or constant is written twice. */
#include <emscripten.h>
#include <stddef.h>

#include "core.h"

typedef struct {
    const char *name;
    int32_t offset;
    int32_t kind;  /* LN_KIND_INT, LN_KIND_UINT, LN_KIND_FLOAT, or KIND_TEXT: a NUL-terminated name */
    int32_t count; /* elements (per-layer arrays have LN_MAX_LAYERS; text: its bytes) */
} field;

enum { KIND_TEXT = 3 };

#define I(s, f) {#f, offsetof(s, f), LN_KIND_INT, 1}
#define U(s, f) {#f, offsetof(s, f), LN_KIND_UINT, 1}
#define F(s, f) {#f, offsetof(s, f), LN_KIND_FLOAT, 1}
#define FA(s, f) {#f, offsetof(s, f), LN_KIND_FLOAT, LN_MAX_LAYERS}
#define IA(s, f, n) {#f, offsetof(s, f), LN_KIND_INT, n}
#define TEXT(s, f) {#f, offsetof(s, f), KIND_TEXT, (int32_t)sizeof(((s *)0)->f)}

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
    I(ln_metrics, test_count), U(ln_metrics, batch_hash), FA(ln_metrics, dead), FA(ln_metrics, saturated),
    FA(ln_metrics, update_ratio), F(ln_metrics, grad_total), F(ln_metrics, pre_p15), F(ln_metrics, pre_p50),
    F(ln_metrics, pre_p85), FA(ln_metrics, act_mean), FA(ln_metrics, act_std), {NULL, 0, 0, 0}};

static const field TENSOR_FIELDS[] = {
    TEXT(ln_tensor_info, name), I(ln_tensor_info, kind), I(ln_tensor_info, layer), I(ln_tensor_info, is_weight),
    I(ln_tensor_info, ndim), IA(ln_tensor_info, shape, 4), I(ln_tensor_info, offset), I(ln_tensor_info, count),
    {NULL, 0, 0, 0}};

static const field NODE_FIELDS[] = {
    TEXT(ln_node_info, name), I(ln_node_info, op), IA(ln_node_info, shape, 3), I(ln_node_info, layer),
    I(ln_node_info, params), I(ln_node_info, skip_from), {NULL, 0, 0, 0}};

/* table 1: ln_metrics, 2: ln_tensor_info, 3: ln_node_info; each a NULL-terminated array of fields. */
EMSCRIPTEN_KEEPALIVE const field *lnw_fields(int table) {
    return table == 1 ? METRICS_FIELDS : table == 2 ? TENSOR_FIELDS : table == 3 ? NODE_FIELDS : NULL;
}

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
    {"size", "max-layers", LN_MAX_LAYERS}, {"size", "max-params", LN_MAX_PARAMS}, {"size", "lenet5-params", LN_LENET5_PARAMS},
    {"size", "max-batch", LN_MAX_BATCH},
    {"size", "classes", LN_CLASSES}, {"size", "pixels", LN_IMAGE_PIXELS}, {"size", "side", LN_IMAGE_SIDE},
    {"kind", "int", LN_KIND_INT}, {"kind", "uint", LN_KIND_UINT}, {"kind", "float", LN_KIND_FLOAT}, {"kind", "text", KIND_TEXT},
    {"op", "conv", LN_OP_CONV}, {"op", "dense", LN_OP_DENSE}, {"op", "batchnorm", LN_OP_BATCHNORM}, {"op", "act", LN_OP_ACT},
    {"op", "avgpool", LN_OP_AVGPOOL}, {"op", "maxpool", LN_OP_MAXPOOL}, {"op", "gap", LN_OP_GAP}, {"op", "dropout", LN_OP_DROPOUT},
    {"op", "add", LN_OP_ADD},
    {"tensor", "kernel", LN_TENSOR_KERNEL}, {"tensor", "bias", LN_TENSOR_BIAS}, {"tensor", "gamma", LN_TENSOR_GAMMA},
    {"tensor", "beta", LN_TENSOR_BETA}, {"tensor", "mean", LN_TENSOR_MEAN}, {"tensor", "var", LN_TENSOR_VAR},
    {NULL, NULL, 0}};

/* A NULL-terminated array of {group, name, value}. Layer names come from ln_net_layer_name. */
EMSCRIPTEN_KEEPALIVE const constant *lnw_constants(void) { return CONSTANTS; }

/* 0: sizeof ln_config, 1: ln_metrics, 2: ln_error, 3: ln_tensor_info, 4: ln_node_info */
EMSCRIPTEN_KEEPALIVE int lnw_sizeof(int what) {
    static const int SIZES[] = {sizeof(ln_config), sizeof(ln_metrics), sizeof(ln_error), sizeof(ln_tensor_info), sizeof(ln_node_info)};
    return what >= 0 && what < 5 ? SIZES[what] : 0;
}
