/* net_build.c - the families of networks as lists of nodes, and everything that follows from a
 * list: names, shapes, parameter tensors and their offsets, fans. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "net.h"

/* A network under construction: the shape of the last node's output and running counts for
 * the names. */
typedef struct {
    ln_net *n;
    const ln_config *c;
    int ch, h, w;
    int convs, denses, bns, acts, maxpools, avgpools, drops, adds;
} builder;

static const char *const ACT_NAMES[LN_NUM_ACTS] = {"relu", "tanh", "sigmoid"};

static net_node *emit(builder *b, int op, int layer, const char *fmt, ...) {
    net_node *d = &b->n->nodes[b->n->num_nodes++];
    memset(d, 0, sizeof *d);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->info.name, sizeof d->info.name, fmt, ap);
    va_end(ap);
    d->info.op = op;
    d->info.layer = layer;
    d->info.skip_from = -1;
    d->in_c = b->ch, d->in_h = b->h, d->in_w = b->w;
    d->info.shape[0] = b->ch, d->info.shape[1] = b->h, d->info.shape[2] = b->w;
    d->w = d->b = d->gamma = d->beta = d->mean = d->var = -1;
    return d;
}

static int add_tensor(builder *b, const char *owner, const char *suffix, int kind, int ndim, const int *shape) {
    ln_net *n = b->n;
    ln_tensor_info *t = &n->tensors[n->num_tensors++];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s.%s", owner, suffix);
    t->kind = kind;
    t->layer = n->num_layers - 1;
    t->is_weight = kind == LN_TENSOR_KERNEL;
    t->ndim = ndim;
    t->count = 1;
    for (int i = 0; i < ndim; i++) t->shape[i] = shape[i], t->count *= shape[i];
    int stat = kind == LN_TENSOR_MEAN || kind == LN_TENSOR_VAR;
    int *next = stat ? &n->num_stats : &n->num_params;
    t->offset = *next;
    *next += t->count;
    return t->offset;
}

/* A conv or dense layer: a new layer with its kernel and bias. */
static net_node *weight_layer(builder *b, int op, int out, int k, int pad) {
    ln_net *n = b->n;
    int layer = n->num_layers++;
    const char *prefix = op == LN_OP_CONV ? "conv" : "fc";
    int index = op == LN_OP_CONV ? ++b->convs : ++b->denses;
    /* A network with one dense layer calls it "fc", as the cnn's head. */
    if (op == LN_OP_DENSE && b->c->model == LN_MODEL_CNN) snprintf(n->layer_names[layer], 16, "fc");
    else snprintf(n->layer_names[layer], 16, "%s%d", prefix, index);
    net_node *d = emit(b, op, layer, "%s", n->layer_names[layer]);
    int in = op == LN_OP_CONV ? b->ch : b->ch * b->h * b->w;
    if (op == LN_OP_CONV) {
        int shape[4] = {out, b->ch, k, k};
        d->k = k, d->pad = pad;
        d->w = add_tensor(b, d->info.name, "weight", LN_TENSOR_KERNEL, 4, shape);
        n->layer_fan_in[layer] = b->ch * k * k, n->layer_fan_out[layer] = out * k * k;
        b->h = b->h + 2 * pad - k + 1, b->w = b->w + 2 * pad - k + 1;
    } else {
        int shape[2] = {out, in};
        d->w = add_tensor(b, d->info.name, "weight", LN_TENSOR_KERNEL, 2, shape);
        n->layer_fan_in[layer] = in, n->layer_fan_out[layer] = out;
        b->h = b->w = 1;
    }
    d->b = add_tensor(b, d->info.name, "bias", LN_TENSOR_BIAS, 1, &out);
    b->ch = out;
    d->info.shape[0] = b->ch, d->info.shape[1] = b->h, d->info.shape[2] = b->w;
    d->info.params = out * in * (op == LN_OP_CONV ? k * k : 1) + out;
    return d;
}

static void batch_norm(builder *b) {
    if (!b->c->batch_norm) return;
    net_node *d = emit(b, LN_OP_BATCHNORM, b->n->num_layers - 1, "bn%d", ++b->bns);
    d->gamma = add_tensor(b, d->info.name, "weight", LN_TENSOR_GAMMA, 1, &b->ch);
    d->beta = add_tensor(b, d->info.name, "bias", LN_TENSOR_BETA, 1, &b->ch);
    d->mean = add_tensor(b, d->info.name, "running_mean", LN_TENSOR_MEAN, 1, &b->ch);
    d->var = add_tensor(b, d->info.name, "running_var", LN_TENSOR_VAR, 1, &b->ch);
    d->info.params = 2 * b->ch;
}

static void activation(builder *b) {
    ln_net *n = b->n;
    net_node *d = emit(b, LN_OP_ACT, n->num_layers - 1, "%s%d", ACT_NAMES[b->c->activation], ++b->acts);
    d->act = b->c->activation;
    n->act_nodes[n->num_act++] = n->num_nodes - 1;
    n->act_units += b->ch;
}

static void pool(builder *b, int op) {
    net_node *d = op == LN_OP_MAXPOOL ? emit(b, op, b->n->num_layers - 1, "maxpool%d", ++b->maxpools)
                                      : emit(b, op, b->n->num_layers - 1, "avgpool%d", ++b->avgpools);
    b->h /= 2, b->w /= 2;
    d->info.shape[1] = b->h, d->info.shape[2] = b->w;
}

static void dropout(builder *b, float rate) {
    if (rate <= 0.0f) return;
    net_node *d = emit(b, LN_OP_DROPOUT, b->n->num_layers - 1, "dropout%d", ++b->drops);
    d->rate = rate;
}

static void add_skip(builder *b, int from) {
    net_node *d = emit(b, LN_OP_ADD, b->n->num_layers - 1, "add%d", ++b->adds);
    d->info.skip_from = from;
}

static void global_average_pool(builder *b) {
    net_node *d = emit(b, LN_OP_GAP, b->n->num_layers - 1, "gap");
    b->h = b->w = 1;
    d->info.shape[1] = d->info.shape[2] = 1;
}

/* A conv or dense layer with its batch norm and activation. */
static void unit(builder *b, int op, int out) {
    weight_layer(b, op, out, op == LN_OP_CONV ? 3 : 0, op == LN_OP_CONV ? 1 : 0);
    batch_norm(b);
    activation(b);
}

/* count equal-width layers; with skip, in blocks of two around an identity (the odd one out
 * stays plain), as in He et al. 2016. */
static void stack(builder *b, int op, int out, int count) {
    int i = 0;
    for (; b->c->skip && i + 2 <= count; i += 2) {
        int from = b->n->num_nodes - 1;
        unit(b, op, out);
        weight_layer(b, op, out, op == LN_OP_CONV ? 3 : 0, op == LN_OP_CONV ? 1 : 0);
        batch_norm(b);
        add_skip(b, from);
        activation(b);
        if (op == LN_OP_DENSE) dropout(b, b->c->dropout1);
    }
    for (; i < count; i++) {
        unit(b, op, out);
        if (op == LN_OP_DENSE) dropout(b, b->c->dropout1);
    }
}

static void build_lenet5(builder *b) {
    const ln_config *c = b->c;
    weight_layer(b, LN_OP_CONV, 6, 5, 0);
    batch_norm(b), activation(b), pool(b, LN_OP_AVGPOOL);
    weight_layer(b, LN_OP_CONV, 16, 5, 0);
    batch_norm(b), activation(b), pool(b, LN_OP_MAXPOOL);
    weight_layer(b, LN_OP_DENSE, 120, 0, 0);
    batch_norm(b), activation(b), dropout(b, c->dropout1);
    weight_layer(b, LN_OP_DENSE, 84, 0, 0);
    batch_norm(b), activation(b), dropout(b, c->dropout2);
    weight_layer(b, LN_OP_DENSE, LN_CLASSES, 0, 0);
}

static void build_mlp(builder *b) {
    const ln_config *c = b->c;
    unit(b, LN_OP_DENSE, c->hidden_units);
    dropout(b, c->dropout1);
    stack(b, LN_OP_DENSE, c->hidden_units, c->hidden_layers - 1);
    weight_layer(b, LN_OP_DENSE, LN_CLASSES, 0, 0);
}

/* conv_layers = 1 (the stem) + stage 1 + stage 2, stage 2 taking the larger half. */
static void build_cnn(builder *b) {
    const ln_config *c = b->c;
    int n1 = (c->conv_layers - 1) / 2, n2 = c->conv_layers - 1 - n1;
    unit(b, LN_OP_CONV, c->channels);
    pool(b, LN_OP_MAXPOOL);
    stack(b, LN_OP_CONV, c->channels, n1);
    pool(b, LN_OP_MAXPOOL);
    unit(b, LN_OP_CONV, 2 * c->channels);
    stack(b, LN_OP_CONV, 2 * c->channels, n2 - 1);
    global_average_pool(b);
    dropout(b, c->dropout1);
    weight_layer(b, LN_OP_DENSE, LN_CLASSES, 0, 0);
}

static const char *const MODEL_NAMES[LN_NUM_MODELS] = {"lenet5", "mlp", "cnn"};

ln_status net_build(ln_net *n, const ln_config *c, ln_error *err) {
    memset(n, 0, sizeof *n);
    n->watch_node = -1;
    const char *model = c->model >= 0 && c->model < LN_NUM_MODELS ? MODEL_NAMES[c->model] : "?";
    if (c->model != LN_MODEL_LENET5 && c->freeze_mask)
        return ln_fail(err, LN_E_ARG, "freezing layers is for fine-tuning LeNet-5; the %s trains every layer", model);
    if (c->model != LN_MODEL_LENET5 && c->dropout2 > 0.0f)
        return ln_fail(err, LN_E_ARG, "dropout2 is LeNet-5's dropout after fc2; the %s uses dropout1 only", model);
    if (c->model == LN_MODEL_LENET5 && c->skip)
        return ln_fail(err, LN_E_ARG, "LeNet-5 has no identity skips: skip is for the mlp and the cnn");
    /* Counted before building, so no offset can overflow; the cnn's ranges keep it far below. */
    double units = c->hidden_units;
    double mlp = 784.0 * units + units + (c->hidden_layers - 1) * (units * units + units) + units * 10 + 10;
    if (c->model == LN_MODEL_MLP && mlp > LN_MAX_PARAMS)
        return ln_fail(err, LN_E_ARG, "an mlp of %d hidden layers of %d units has %.0f parameters; the largest allowed network has %d",
                       c->hidden_layers, c->hidden_units, mlp, LN_MAX_PARAMS);
    builder b = {.n = n, .c = c, .ch = 1, .h = LN_IMAGE_SIDE, .w = LN_IMAGE_SIDE};
    switch (c->model) {
    case LN_MODEL_MLP: build_mlp(&b); break;
    case LN_MODEL_CNN: build_cnn(&b); break;
    default: build_lenet5(&b); break;
    }
    if (c->freeze_mask >> n->num_layers)
        return ln_fail(err, LN_E_ARG, "the freeze mask 0x%x names layers beyond the network's %d", c->freeze_mask, n->num_layers);
    if (c->watch > n->num_act)
        return ln_fail(err, LN_E_ARG, "watch %d: the network has %d activation layers", c->watch, n->num_act);
    n->watch_node = n->act_nodes[(c->watch ? c->watch : n->num_act) - 1];
    return LN_OK;
}

ln_status ln_net_create(ln_net **out, const ln_config *cfg, ln_error *err) {
    if (!out || !cfg) return ln_fail(err, LN_E_ARG, "net_create needs a config");
    *out = NULL;
    ln_status s = ln_config_check(cfg, err);
    if (s != LN_OK) return s;
    ln_net *n = malloc(sizeof *n);
    if (!n) return ln_fail(err, LN_E_NOMEM, "no memory for a network");
    if ((s = net_build(n, cfg, err)) != LN_OK) {
        free(n);
        return s;
    }
    *out = n;
    return LN_OK;
}

void ln_net_free(ln_net *n) {
    if (!n) return;
    net_release(n);
    free(n);
}

int ln_net_num_nodes(const ln_net *n) { return n ? n->num_nodes : 0; }
const ln_node_info *ln_net_node(const ln_net *n, int i) { return n && i >= 0 && i < n->num_nodes ? &n->nodes[i].info : NULL; }
int ln_net_num_layers(const ln_net *n) { return n ? n->num_layers : 0; }
const char *ln_net_layer_name(const ln_net *n, int layer) { return n && layer >= 0 && layer < n->num_layers ? n->layer_names[layer] : NULL; }
int ln_net_num_act_layers(const ln_net *n) { return n ? n->num_act : 0; }
int ln_net_act_node(const ln_net *n, int i) { return n && i >= 0 && i < n->num_act ? n->act_nodes[i] : -1; }
int ln_net_num_tensors(const ln_net *n) { return n ? n->num_tensors : 0; }
const ln_tensor_info *ln_net_tensor(const ln_net *n, int i) { return n && i >= 0 && i < n->num_tensors ? &n->tensors[i] : NULL; }
int ln_net_num_params(const ln_net *n) { return n ? n->num_params : 0; }
int ln_net_num_stats(const ln_net *n) { return n ? n->num_stats : 0; }
