/* test_parts.c - the pieces around the layers: tensor table, config checks, the random
 * streams, initialisers, regularisers, dropout masks, optimisers and the IDX reader. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core.h"
#include "lenet.h"
#include "net.h"
#include "rng.h"
#include "training.h"

/* LeNet-5's description, built once: the tensor table and fans the pieces below work on. */
static ln_net lenet;

static const ln_tensor_info *layer_tensor(int layer, int kind) {
    for (int i = 0; i < lenet.num_tensors; i++)
        if (lenet.tensors[i].layer == layer && lenet.tensors[i].kind == kind) return &lenet.tensors[i];
    return NULL;
}
static const ln_tensor_info *layer_weight(int layer) { return layer_tensor(layer, LN_TENSOR_KERNEL); }
static const ln_tensor_info *layer_bias(int layer) { return layer_tensor(layer, LN_TENSOR_BIAS); }

static void test_tensor_table(void) {
    int next = 0;
    for (int i = 0; i < ln_net_num_tensors(&lenet); i++) {
        const ln_tensor_info *t = ln_net_tensor(&lenet, i);
        int count = 1;
        for (int d = 0; d < t->ndim; d++) count *= t->shape[d];
        CHECK(t->offset == next, "%s starts at %d, expected %d", t->name, t->offset, next);
        CHECK(count == t->count, "%s: shape holds %d, count says %d", t->name, count, t->count);
        next += t->count;
    }
    CHECK(next == LN_LENET5_PARAMS && next == ln_net_num_params(&lenet), "tensors hold %d floats", next);
    CHECK(ln_net_num_tensors(&lenet) == 10 && ln_net_num_stats(&lenet) == 0, "%d tensors", ln_net_num_tensors(&lenet));
    CHECK(ln_net_tensor(&lenet, ln_net_num_tensors(&lenet)) == NULL && ln_net_tensor(&lenet, -1) == NULL, "out-of-range tensor");
    CHECK(strcmp(ln_net_tensor(&lenet, 4)->name, "fc1.weight") == 0, "fc1.weight is tensor 4");
    CHECK(lenet.layer_fan_in[LN_CONV2] == 150 && lenet.layer_fan_out[LN_CONV2] == 400, "conv2 fans %d %d",
          lenet.layer_fan_in[LN_CONV2], lenet.layer_fan_out[LN_CONV2]);
    CHECK(lenet.layer_fan_in[LN_FC1] == 256 && lenet.layer_fan_out[LN_FC1] == 120, "fc1 fans %d %d",
          lenet.layer_fan_in[LN_FC1], lenet.layer_fan_out[LN_FC1]);
}

/* The table in config.c is the whole of ln_config: every 4-byte field has exactly one row. */
static void test_config_table_covers_struct(void) {
    char seen[sizeof(ln_config)] = {0};
    CHECK(LN_NUM_CONFIG_FIELDS * 4 == (int)sizeof(ln_config), "%d rows for %zu bytes", LN_NUM_CONFIG_FIELDS, sizeof(ln_config));
    for (int i = 0; i < LN_NUM_CONFIG_FIELDS; i++) {
        int at = LN_CONFIG_FIELDS[i].offset;
        CHECK(at >= 0 && at + 4 <= (int)sizeof(ln_config) && !seen[at], "row %s", LN_CONFIG_FIELDS[i].name);
        seen[at] = 1;
    }
}

static void test_config_check(void) {
    ln_config c;
    ln_error err = {0};
    ln_config_default(&c);
    CHECK(ln_config_check(&c, &err) == LN_OK, "defaults rejected: %s", err.msg);
    ln_config b = c;
    b.lr = 0.0f;
    CHECK(ln_config_check(&b, &err) == LN_E_ARG && strstr(err.msg, "lr 0 is outside"), "lr 0: %s", err.msg);
    b = c, b.activation = LN_NUM_ACTS;
    CHECK(ln_config_check(&b, &err) == LN_E_ARG && strstr(err.msg, "not one of relu, tanh, sigmoid"), "activation: %s", err.msg);
    b = c, b.freeze_mask = 1u << ln_net_num_layers(&lenet);
    CHECK(ln_config_check(&b, &err) == LN_E_ARG && strstr(err.msg, "freeze_mask"), "freeze mask: %s", err.msg);
    b = c, b.dropout1 = 0.95f;
    CHECK(ln_config_check(&b, &err) == LN_E_ARG && strstr(err.msg, "dropout1"), "dropout 0.95: %s", err.msg);
    b = c, b.batch_size = 513;
    CHECK(ln_config_check(&b, &err) == LN_E_ARG && strstr(err.msg, "batch"), "batch 513: %s", err.msg);
    b = c, b.digit_mask = 0;
    CHECK(ln_config_check(&b, &err) == LN_E_ARG && strstr(err.msg, "digit"), "no digits: %s", err.msg);
    b = c, b.early_stopping = 1, b.val_size = 0;
    CHECK(ln_config_check(&b, &err) == LN_E_ARG && strstr(err.msg, "validation"), "es without val: %s", err.msg);
    b = c, b.reg_lambda = NAN;
    CHECK(ln_config_check(&b, &err) == LN_E_ARG && strstr(err.msg, "lambda"), "NaN lambda: %s", err.msg);
}

static void test_rng_streams(void) {
    ln_rng a, b, c;
    rng_seed(&a, 7, LN_STREAM_INIT);
    rng_seed(&b, 7, LN_STREAM_INIT);
    rng_seed(&c, 7, LN_STREAM_DROPOUT);
    int same_ab = 0, same_ac = 0;
    for (int i = 0; i < 1000; i++) {
        uint32_t x = rng_u32(&a), y = rng_u32(&b), z = rng_u32(&c);
        same_ab += x == y;
        same_ac += x == z;
    }
    CHECK(same_ab == 1000, "same seed and stream must repeat");
    CHECK(same_ac < 3, "streams must differ (%d equal draws)", same_ac);
    /* Drawing from one stream leaves another untouched. */
    rng_seed(&a, 7, LN_STREAM_SHUFFLE);
    rng_seed(&b, 7, LN_STREAM_SHUFFLE);
    rng_seed(&c, 7, LN_STREAM_AUGMENT);
    for (int i = 0; i < 500; i++) rng_u32(&c);
    CHECK(rng_u32(&a) == rng_u32(&b), "a stream's numbers cannot depend on another's use");
    double sum = 0.0, sum_sq = 0.0;
    int counts[10] = {0};
    for (int i = 0; i < 100000; i++) {
        double z = rng_normal(&a);
        sum += z;
        sum_sq += z * z;
        counts[rng_below(&b, 10)]++;
    }
    CHECK(fabs(sum / 1e5) < 0.02 && fabs(sum_sq / 1e5 - 1.0) < 0.02, "normal mean %g var %g", sum / 1e5, sum_sq / 1e5);
    for (int k = 0; k < 10; k++) CHECK(abs(counts[k] - 10000) < 500, "rng_below bucket %d has %d", k, counts[k]);
}

/* Mean, standard deviation and largest |w| of a layer's kernel. */
static void kernel_stats(const float *p, int layer, double *mean, double *sd, double *maxabs) {
    const ln_tensor_info *w = layer_weight(layer);
    double s = 0.0, s2 = 0.0, mx = 0.0;
    for (int i = 0; i < w->count; i++) {
        double x = p[w->offset + i];
        s += x, s2 += x * x, mx = fmax(mx, fabs(x));
    }
    *mean = s / w->count;
    *sd = sqrt(s2 / w->count - *mean * *mean);
    *maxabs = mx;
}

static void test_initialisers(void) {
    float *p = malloc(sizeof(float) * LN_LENET5_PARAMS);
    const double fan_in = 256, fan_out = 120; /* fc1: 30,720 weights give tight statistics */
    struct { int init; double limit, sd; int truncated; } cases[] = {
        {LN_INIT_RANDOM_UNIFORM, 0.05, 0.05 / sqrt(3.0), 0},
        {LN_INIT_RANDOM_NORMAL, 0.0, 0.05, 0},
        {LN_INIT_GLOROT_UNIFORM, sqrt(6.0 / (fan_in + fan_out)), sqrt(2.0 / (fan_in + fan_out)), 0},
        {LN_INIT_GLOROT_NORMAL, 0.0, sqrt(2.0 / (fan_in + fan_out)), 1},
        {LN_INIT_HE_UNIFORM, sqrt(6.0 / fan_in), sqrt(2.0 / fan_in), 0},
        {LN_INIT_HE_NORMAL, 0.0, sqrt(2.0 / fan_in), 1},
        {LN_INIT_LECUN_UNIFORM, sqrt(3.0 / fan_in), sqrt(1.0 / fan_in), 0},
        {LN_INIT_LECUN_NORMAL, 0.0, sqrt(1.0 / fan_in), 1},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        ln_rng rng;
        rng_seed(&rng, 3, LN_STREAM_INIT);
        for (int i = 0; i < LN_LENET5_PARAMS; i++) p[i] = 99.0f;
        net_init_layer(&lenet, p, LN_FC1, cases[k].init, &rng);
        double mean, sd, mx;
        kernel_stats(p, LN_FC1, &mean, &sd, &mx);
        CHECK(fabs(mean) < 0.03 * cases[k].sd, "init %d: mean %g", cases[k].init, mean);
        CHECK(fabs(sd / cases[k].sd - 1.0) < 0.02, "init %d: sd %g, want %g", cases[k].init, sd, cases[k].sd);
        if (cases[k].limit > 0.0)
            CHECK(mx <= cases[k].limit && mx > 0.99 * cases[k].limit, "init %d: max %g, limit %g", cases[k].init, mx, cases[k].limit);
        else if (cases[k].truncated)
            CHECK(mx <= 2.0 * cases[k].sd / 0.87962566103423978 + 1e-6, "init %d: max %g beyond 2 sigma", cases[k].init, mx);
        else
            CHECK(mx > 2.5 * cases[k].sd, "init %d: plain normal should have tails (max %g)", cases[k].init, mx);
        const ln_tensor_info *b = layer_bias(LN_FC1);
        for (int i = 0; i < b->count; i++) CHECK(p[b->offset + i] == 0.0f, "init %d: bias %d not zero", cases[k].init, i);
        CHECK(p[layer_weight(LN_FC1)->offset - 1] == 99.0f && p[b->offset + b->count] == 99.0f, "init wrote outside fc1");
    }
    ln_rng rng;
    rng_seed(&rng, 3, LN_STREAM_INIT);
    net_init_layer(&lenet, p, LN_CONV2, LN_INIT_ZEROS, &rng);
    double mean, sd, mx;
    kernel_stats(p, LN_CONV2, &mean, &sd, &mx);
    CHECK(mx == 0.0, "zeros initialiser left %g", mx);
    /* Conv fans count the kernel area: he_uniform on conv1 has limit sqrt(6 / 25). */
    net_init_layer(&lenet, p, LN_CONV1, LN_INIT_HE_UNIFORM, &rng);
    kernel_stats(p, LN_CONV1, &mean, &sd, &mx);
    CHECK(mx <= sqrt(6.0 / 25.0) && mx > 0.9 * sqrt(6.0 / 25.0), "conv1 he_uniform max %g", mx);
    free(p);
}

static void test_regularisers(void) {
    float *p = calloc(LN_LENET5_PARAMS, sizeof(float)), *g = calloc(LN_LENET5_PARAMS, sizeof(float));
    int w = layer_weight(LN_CONV1)->offset, b = layer_bias(LN_CONV1)->offset;
    int w3 = layer_weight(LN_FC3)->offset;
    p[w] = 0.5f, p[w + 1] = -2.0f, p[w3] = 1.0f, p[b] = 3.0f; /* the bias must not count */
    ln_config c;
    ln_config_default(&c);
    c.reg_lambda = 0.1f;
    c.reg = LN_REG_NONE;
    CHECK(reg_penalty(&c, &lenet, p) == 0.0, "none penalises");
    c.reg = LN_REG_L1;
    CHECK_CLOSE(reg_penalty(&c, &lenet, p), 0.1 * 3.5, 1e-6, "L1 = lambda sum |w|");
    reg_add_grad(&c, &lenet, p, g);
    CHECK_CLOSE(g[w], 0.1, 1e-6, "L1 grad of 0.5");
    CHECK_CLOSE(g[w + 1], -0.1, 1e-6, "L1 grad of -2");
    CHECK(g[w + 2] == 0.0f, "sign(0) must be 0, got %g", g[w + 2]);
    CHECK(g[b] == 0.0f, "bias got a penalty gradient");
    memset(g, 0, sizeof(float) * LN_LENET5_PARAMS);
    c.reg = LN_REG_L2;
    CHECK_CLOSE(reg_penalty(&c, &lenet, p), 0.1 * (0.25 + 4.0 + 1.0), 1e-6, "L2 = lambda sum w^2, no 1/2");
    reg_add_grad(&c, &lenet, p, g);
    CHECK_CLOSE(g[w + 1], 0.1 * 2 * -2.0, 1e-6, "L2 grad 2 lambda w");
    memset(g, 0, sizeof(float) * LN_LENET5_PARAMS);
    c.reg = LN_REG_ELASTICNET;
    c.reg_l1_ratio = 0.3f;
    CHECK_CLOSE(reg_penalty(&c, &lenet, p), 0.1 * (0.3 * 3.5 + 0.7 * 5.25), 1e-6, "ElasticNet");
    reg_add_grad(&c, &lenet, p, g);
    CHECK_CLOSE(g[w], 0.1 * (0.3 + 0.7 * 2 * 0.5), 1e-6, "ElasticNet grad");
    /* The gradient is the derivative of the penalty: central differences agree. */
    for (int i = 0; i < 3; i++) {
        int k = (int[]){w, w + 1, w3}[i];
        float saved = p[k];
        p[k] = saved + 1e-3f;
        double up = reg_penalty(&c, &lenet, p);
        p[k] = saved - 1e-3f;
        double down = reg_penalty(&c, &lenet, p);
        p[k] = saved;
        CHECK_CLOSE((up - down) / 2e-3, g[k], 1e-3, "ElasticNet finite difference");
    }
    free(p);
    free(g);
}

static void test_dropout_mask(void) {
    ln_rng rng;
    rng_seed(&rng, 5, LN_STREAM_DROPOUT);
    enum { N = 200000 };
    float *mask = malloc(sizeof(float) * N);
    float ps[] = {0.1f, 0.5f, 0.9f};
    for (int k = 0; k < 3; k++) {
        dropout_mask(mask, N, ps[k], &rng);
        double sum = 0.0;
        int zeros = 0;
        for (int i = 0; i < N; i++) {
            sum += mask[i];
            zeros += mask[i] == 0.0f;
            CHECK(mask[i] == 0.0f || fabsf(mask[i] - 1.0f / (1.0f - ps[k])) < 1e-6f, "mask value %g", mask[i]);
        }
        /* Inverted dropout keeps the expected activation: E[mask] = 1. */
        CHECK(fabs(sum / N - 1.0) < 0.02 * (1.0 + ps[k] * 5), "p %g: mean mask %g", ps[k], sum / N);
        CHECK(fabs((double)zeros / N - ps[k]) < 0.005, "p %g: dropped %g", ps[k], (double)zeros / N);
    }
    free(mask);
}

/* Two updates of one weight from w = 1 with g = 0.5, lr = 0.1, worked out by hand; adamw with
 * weight decay 0.1 first shrinks the kernel weight by lr * 0.1 * w, and leaves a bias alone. */
static void test_optimisers(void) {
    struct { int opt, decay; double after1, after2; } cases[] = {
        {LN_OPT_SGD, 1, 0.95, 0.90},
        {LN_OPT_MOMENTUM, 1, 0.95, 0.855},              /* m = -0.05, then -0.095 */
        {LN_OPT_NESTEROV, 1, 0.905, 0.7695},            /* w += 0.9 m - 0.05: 0.9*-0.05-0.05, 0.9*-0.095-0.05 */
        {LN_OPT_ADAM, 1, 0.900000632, 0.800000632},     /* first steps move by lr g/|g|, less epsilon's share */
        {LN_OPT_RMSPROP, 1, 0.6837729, 0.4543574},      /* v = 0.025 then 0.0475 */
        {LN_OPT_ADAGRAD, 1, 0.9154846, 0.8509349},      /* acc = 0.35 then 0.6 */
        {LN_OPT_ADAMW, 1, 0.890000632, 0.781101073},    /* 0.99, then adam; 0.890000632 * 0.99, then adam */
        {LN_OPT_ADAMW, 0, 0.900000632, 0.800000632},    /* a bias: plain adam */
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        ln_config c;
        ln_config_default(&c);
        c.optimizer = cases[k].opt;
        c.lr = 0.1f;
        c.weight_decay = 0.1f;
        float w = 1.0f, g = 0.5f, m, v;
        optimizer_reset(&c, &m, &v, 1);
        optimizer_step(&c, &w, &g, &m, &v, 1, 1, cases[k].decay);
        CHECK_CLOSE(w, cases[k].after1, 2e-6, "first update");
        optimizer_step(&c, &w, &g, &m, &v, 1, 2, cases[k].decay);
        CHECK_CLOSE(w, cases[k].after2, 2e-6, "second update");
    }
}

/* Builds an IDX file in memory: magic, dims, then the payload. */
static uint8_t *idx_file(uint32_t magic, int ndims, const uint32_t *dims, size_t payload, size_t *len) {
    *len = 4 + 4 * (size_t)ndims + payload;
    uint8_t *b = calloc(*len, 1);
    uint32_t words[4] = {magic, dims[0], ndims > 1 ? dims[1] : 0, ndims > 2 ? dims[2] : 0};
    for (int i = 0; i <= ndims; i++)
        for (int k = 0; k < 4; k++) b[4 * i + k] = (uint8_t)(words[i] >> (24 - 8 * k));
    return b;
}

static void test_idx_reader(void) {
    size_t il, ll;
    uint8_t *img = idx_file(0x803, 3, (uint32_t[]){3, 28, 28}, 3 * 784, &il);
    uint8_t *lab = idx_file(0x801, 1, (uint32_t[]){3}, 3, &ll);
    lab[8] = 7, lab[9] = 0, lab[10] = 9;
    img[16 + 784 + 5] = 200;
    ln_dataset *d = NULL;
    ln_error err = {0};
    CHECK(ln_dataset_from_idx(&d, img, il, lab, ll, &err) == LN_OK, "valid files rejected: %s", err.msg);
    CHECK(ln_dataset_count(d) == 3 && ln_dataset_label(d, 0) == 7 && ln_dataset_label(d, 2) == 9, "labels");
    CHECK(ln_dataset_image(d, 1)[5] == 200 && ln_dataset_image(d, 3) == NULL, "images");
    ln_dataset_free(d);

    struct { const char *name; const uint8_t *im; size_t iml; const uint8_t *lb; size_t lbl; const char *says; } bad[] = {
        {"truncated images", img, il - 1, lab, ll, "truncated"},
        {"truncated header", img, 10, lab, ll, "too short"},
        {"empty labels", img, il, lab, 0, "too short"},
        {"null images", NULL, 0, lab, ll, "too short"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        d = (ln_dataset *)1;
        ln_status s = ln_dataset_from_idx(&d, bad[k].im, bad[k].iml, bad[k].lb, bad[k].lbl, &err);
        CHECK(s == LN_E_FORMAT && d == NULL && strstr(err.msg, bad[k].says), "%s: %s", bad[k].name, err.msg);
    }
    /* Oversized: more bytes than declared, or an absurd item count. */
    uint8_t *big = calloc(il + 100, 1);
    memcpy(big, img, il);
    CHECK(ln_dataset_from_idx(&d, big, il + 100, lab, ll, &err) == LN_E_FORMAT && strstr(err.msg, "trailing"), "oversized: %s", err.msg);
    size_t hl;
    uint8_t *huge = idx_file(0x803, 3, (uint32_t[]){0x7fffffffu, 28, 28}, 0, &hl);
    CHECK(ln_dataset_from_idx(&d, huge, hl, lab, ll, &err) == LN_E_FORMAT && strstr(err.msg, "items"), "huge count: %s", err.msg);
    free(huge);
    /* Wrong magic, wrong image size, mismatched counts, bad label. */
    img[3] = 0x01;
    CHECK(ln_dataset_from_idx(&d, img, il, lab, ll, &err) == LN_E_FORMAT && strstr(err.msg, "magic"), "magic: %s", err.msg);
    img[3] = 0x03;
    img[11] = 27;
    CHECK(ln_dataset_from_idx(&d, img, il, lab, ll, &err) == LN_E_FORMAT && strstr(err.msg, "28x28"), "dims: %s", err.msg);
    img[11] = 28;
    size_t l2l;
    uint8_t *lab2 = idx_file(0x801, 1, (uint32_t[]){2}, 2, &l2l);
    CHECK(ln_dataset_from_idx(&d, img, il, lab2, l2l, &err) == LN_E_FORMAT && strstr(err.msg, "labels"), "counts: %s", err.msg);
    lab[9] = 10;
    CHECK(ln_dataset_from_idx(&d, img, il, lab, ll, &err) == LN_E_FORMAT && strstr(err.msg, "label 1"), "label 10: %s", err.msg);
    free(lab2);
    free(big);
    free(img);
    free(lab);
}

int main(void) {
    ln_config c;
    ln_config_default(&c);
    ln_error err = {0};
    if (net_build(&lenet, &c, &err) != LN_OK) {
        fprintf(stderr, "LeNet-5 does not build: %s\n", err.msg);
        return 1;
    }
    RUN(test_tensor_table);
    RUN(test_config_table_covers_struct);
    RUN(test_config_check);
    RUN(test_rng_streams);
    RUN(test_initialisers);
    RUN(test_regularisers);
    RUN(test_dropout_mask);
    RUN(test_optimisers);
    RUN(test_idx_reader);
    return check_summary("parts");
}
