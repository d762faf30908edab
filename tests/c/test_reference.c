/* test_reference.c - the whole network against PyTorch (tests/fixtures/lenet5_torch.bin, made by
 * tools/torch_fixture.py) and against its own finite differences. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fixture.h"
#include "core.h"
#include "net.h"
#include "rng.h"
#include "training.h"

#define FIXTURE "tests/fixtures/lenet5_torch.bin"

static const float *find(const char *name, uint32_t count) { return find_record(name, count); }

static const char *const CASES[] = {"relu", "tanh", "sigmoid", "dropout", "l1", "l2", "elastic"};
enum { B = 8 };

/* LeNet-5 under config c with buffers for the fixture's batch; its dropout nodes (present when
 * c asks for dropout) take the fixture's masks instead of drawn ones. */
static ln_net *lenet_net(const ln_config *c, const float *mask1, const float *mask2) {
    ln_net *n = calloc(1, sizeof *n);
    ln_error err = {0};
    if (net_build(n, c, &err) != LN_OK || net_alloc(n, B, &err) != LN_OK) {
        CHECK(0, "LeNet-5 does not build: %s", err.msg);
        free(n);
        return NULL;
    }
    CHECK(n->num_params == LN_LENET5_PARAMS, "LeNet-5 has %d parameters", n->num_params);
    int drop = 0;
    for (int i = 0; i < n->num_nodes; i++) {
        net_node *d = &n->nodes[i];
        if (d->info.op != LN_OP_DROPOUT) continue;
        const float *mask = drop++ == 0 ? mask1 : mask2;
        memcpy(d->aux, mask, sizeof(float) * (size_t)B * d->info.shape[0]);
    }
    return n;
}

static const float *logits_of(const ln_net *n) { return n->nodes[n->num_nodes - 1].out; }

/* Loss (data + penalty) of the fixture's batch under config c. */
static double total_loss(ln_net *n, const ln_config *c, const float *params, const float *inputs,
                         const uint8_t *labels) {
    memcpy(n->x, inputs, sizeof(float) * B * 784);
    double sum = 0.0;
    net_forward(n, params, NULL, labels, B, 1);
    for (int b = 0; b < B; b++) sum += n->losses[b];
    return sum / B + reg_penalty(c, n, params);
}

static void case_config(const float *cfg, ln_config *c) {
    ln_config_default(c);
    c->activation = (int)cfg[0];
    c->reg = (int)cfg[1];
    c->reg_lambda = cfg[2];
    c->reg_l1_ratio = cfg[3];
    c->dropout1 = cfg[4];
    c->dropout2 = cfg[5];
}

static void test_matches_pytorch(void) {
    const float *params = find("params", LN_LENET5_PARAMS), *inputs = find("inputs", B * 784);
    const float *labf = find("labels", B), *mask1 = find("mask1", B * 120), *mask2 = find("mask2", B * 84);
    CHECK(params && inputs && labf && mask1 && mask2, "fixture records missing");
    if (!params || !inputs || !labf || !mask1 || !mask2) return;
    uint8_t labels[B];
    for (int b = 0; b < B; b++) labels[b] = (uint8_t)labf[b];
    float *grads = malloc(sizeof(float) * LN_LENET5_PARAMS);
    for (size_t k = 0; k < sizeof CASES / sizeof *CASES; k++) {
        char name[16];
        snprintf(name, sizeof name, "%s/cfg", CASES[k]);
        const float *cfg = find(name, 6);
        snprintf(name, sizeof name, "%s/loss", CASES[k]);
        const float *loss = find(name, 3);
        snprintf(name, sizeof name, "%s/logits", CASES[k]);
        const float *logits = find(name, B * 10);
        snprintf(name, sizeof name, "%s/grad", CASES[k]);
        const float *ref = find(name, LN_LENET5_PARAMS);
        CHECK(cfg && loss && logits && ref, "case %s missing", CASES[k]);
        if (!cfg || !loss || !logits || !ref) continue;
        ln_config c;
        case_config(cfg, &c);
        ln_net *m = lenet_net(&c, mask1, mask2);
        if (!m) continue;
        memcpy(m->x, inputs, sizeof(float) * B * 784);
        float data_loss = net_forward(m, params, NULL, labels, B, 1);
        double penalty = reg_penalty(&c, m, params);
        CHECK_CLOSE(data_loss, loss[1], 1e-5, CASES[k]);
        CHECK_CLOSE(penalty, loss[2], 1e-5, CASES[k]);
        for (int i = 0; i < B * 10; i++) CHECK_CLOSE(logits_of(m)[i], logits[i], 1e-4, CASES[k]);
        memset(grads, 0, sizeof(float) * LN_LENET5_PARAMS);
        net_backward(m, params, grads, labels, B, 0);
        reg_add_grad(&c, m, params, grads);
        for (int t = 0; t < m->num_tensors; t++) {
            const ln_tensor_info *ti = &m->tensors[t];
            double scale = 0.0, diff2 = 0.0, ref2 = 0.0, worst = 0.0;
            for (int i = ti->offset; i < ti->offset + ti->count; i++) scale = fmax(scale, fabs(ref[i]));
            for (int i = ti->offset; i < ti->offset + ti->count; i++) {
                double d = grads[i] - (double)ref[i];
                diff2 += d * d, ref2 += (double)ref[i] * ref[i];
                worst = fmax(worst, fabs(d) / scale);
            }
            /* 1e-4 relative, elementwise against the tensor's scale and as a whole. */
            CHECK(worst <= 1e-4, "%s %s: worst element off by %.3g of the tensor's largest", CASES[k], ti->name, worst);
            CHECK(sqrt(diff2) <= 1e-4 * sqrt(ref2), "%s %s: relative error %.3g", CASES[k], ti->name, sqrt(diff2 / ref2));
        }
        ln_net_free(m);
    }
    free(grads);
}

/* The gradient against central differences of the loss, one tensor at a time, along a direction
 * made of the tensor's gradient and an equal random part (both unit length): the gradient part
 * makes the change in loss large against float rounding, the random part checks the components
 * the gradient alone would not. ReLU is left to the PyTorch comparison, whose batch is checked to
 * sit on no kink: thousands of conv1 units lie within a step's reach of ReLU's. */
static void test_finite_differences(void) {
    const float *params = find("params", LN_LENET5_PARAMS), *inputs = find("inputs", B * 784);
    const float *labf = find("labels", B), *mask1 = find("mask1", B * 120), *mask2 = find("mask2", B * 84);
    if (!params || !inputs || !labf || !mask1 || !mask2) {
        CHECK(0, "fixture records missing");
        return;
    }
    uint8_t labels[B];
    for (int b = 0; b < B; b++) labels[b] = (uint8_t)labf[b];
    float *p = malloc(sizeof(float) * LN_LENET5_PARAMS), *g = malloc(sizeof(float) * LN_LENET5_PARAMS);
    double *dir = malloc(sizeof(double) * LN_LENET5_PARAMS);
    struct { int act, reg, dropout; } cases[] = {
        {LN_ACT_TANH, LN_REG_NONE, 0}, {LN_ACT_SIGMOID, LN_REG_NONE, 0}, {LN_ACT_TANH, LN_REG_NONE, 1},
        {LN_ACT_TANH, LN_REG_L1, 0}, {LN_ACT_TANH, LN_REG_L2, 0},
        {LN_ACT_SIGMOID, LN_REG_ELASTICNET, 1},
    };
    ln_rng rng;
    rng_seed(&rng, 11, 99);
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        ln_config c;
        ln_config_default(&c);
        c.activation = cases[k].act, c.reg = cases[k].reg, c.reg_lambda = 1e-3f, c.reg_l1_ratio = 0.3f;
        if (cases[k].dropout) c.dropout1 = 0.5f, c.dropout2 = 0.3f;
        ln_net *m = lenet_net(&c, mask1, mask2);
        if (!m) continue;
        memcpy(p, params, sizeof(float) * LN_LENET5_PARAMS);
        total_loss(m, &c, p, inputs, labels);
        memset(g, 0, sizeof(float) * LN_LENET5_PARAMS);
        net_backward(m, p, g, labels, B, 0);
        reg_add_grad(&c, m, p, g);
        for (int t = 0; t < m->num_tensors; t++) {
            const ln_tensor_info *ti = &m->tensors[t];
            double gnorm = 0.0, rnorm = 0.0, analytic = 0.0;
            for (int i = ti->offset; i < ti->offset + ti->count; i++) {
                dir[i] = rng_normal(&rng);
                rnorm += dir[i] * dir[i], gnorm += (double)g[i] * g[i];
            }
            gnorm = sqrt(gnorm), rnorm = sqrt(rnorm);
            for (int i = ti->offset; i < ti->offset + ti->count; i++) {
                dir[i] = g[i] / gnorm + dir[i] / rnorm;
                analytic += dir[i] * g[i];
            }
            const double h = 1e-3;
            memcpy(p, params, sizeof(float) * LN_LENET5_PARAMS);
            for (int i = ti->offset; i < ti->offset + ti->count; i++) p[i] = (float)(params[i] + h * dir[i]);
            double up = total_loss(m, &c, p, inputs, labels);
            for (int i = ti->offset; i < ti->offset + ti->count; i++) p[i] = (float)(params[i] - h * dir[i]);
            double down = total_loss(m, &c, p, inputs, labels);
            double numeric = (up - down) / (2.0 * h);
            CHECK(fabs(numeric - analytic) <= 1e-2 * gnorm + 1e-4, "act %d reg %d dropout %d %s: numeric %.6g analytic %.6g",
                  cases[k].act, cases[k].reg, cases[k].dropout, ti->name, numeric, analytic);
        }
        ln_net_free(m);
    }
    free(p), free(g), free(dir);
}

/* Freezing layers must not change the gradient of the layers that are trained. */
static void test_frozen_gradients(void) {
    const float *params = find("params", LN_LENET5_PARAMS), *inputs = find("inputs", B * 784);
    const float *labf = find("labels", B);
    if (!params || !inputs || !labf) {
        CHECK(0, "fixture records missing");
        return;
    }
    uint8_t labels[B];
    for (int b = 0; b < B; b++) labels[b] = (uint8_t)labf[b];
    float *full = calloc(LN_LENET5_PARAMS, sizeof(float)), *part = calloc(LN_LENET5_PARAMS, sizeof(float));
    ln_config c;
    ln_config_default(&c);
    ln_net *m = lenet_net(&c, NULL, NULL);
    if (!m) return;
    memcpy(m->x, inputs, sizeof(float) * B * 784);
    net_forward(m, params, NULL, labels, B, 1);
    net_backward(m, params, full, labels, B, 0);
    uint32_t freeze = (1u << LN_CONV1) | (1u << LN_CONV2);
    net_backward(m, params, part, labels, B, freeze);
    for (int t = 0; t < m->num_tensors; t++) {
        const ln_tensor_info *ti = &m->tensors[t];
        if (freeze & (1u << ti->layer)) continue;
        CHECK(memcmp(full + ti->offset, part + ti->offset, sizeof(float) * (size_t)ti->count) == 0,
              "%s changed when the convs were frozen", ti->name);
    }
    ln_net_free(m);
    free(full), free(part);
}

int main(void) {
    if (!load_fixture(FIXTURE)) {
        printf("not ok - cannot read %s (run from the project root)\n", FIXTURE);
        return 1;
    }
    RUN(test_matches_pytorch);
    RUN(test_finite_differences);
    RUN(test_frozen_gradients);
    free_fixture();
    return check_summary("reference");
}
