/* test_deep_reference.c - batch norm, identity skips and the mlp and cnn families against PyTorch
 * (tests/fixtures/deep_torch.bin, made by tools/torch_deep_fixture.py): the loss, the logits, every
 * gradient and the moving statistics after a training step, and the logits in inference mode. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fixture.h"
#include "core.h"
#include "net.h"

#define FIXTURE "tests/fixtures/deep_torch.bin"

/* The record "<prefix>/<what>" (or "<what>" when prefix is NULL) holding count floats. */
static const float *find(const char *prefix, const char *what, uint32_t count) {
    char name[32];
    snprintf(name, sizeof name, prefix ? "%s/%s" : "%s%s", prefix ? prefix : "", what);
    return find_record(name, count);
}

static const char *const CASES[] = {"mlpbn", "mlpskip", "cnnskip", "lenetbn"};
enum { B = 8 };

/* The largest deviation seen, over all cases, of each kind of number. */
static double worst_loss, worst_logit, worst_grad, worst_zero, worst_stat, worst_ilogit;

/* max |a - b| over n, relative to max(1e-30, max |b|). */
static double rel_dev(const float *a, const float *b, int n) {
    double scale = 1e-30, dev = 0.0;
    for (int i = 0; i < n; i++) scale = fmax(scale, fabs(b[i]));
    for (int i = 0; i < n; i++) dev = fmax(dev, fabs((double)a[i] - b[i]));
    return dev / scale;
}

static void test_matches_pytorch(void) {
    const float *inputs = find(NULL, "inputs", B * 784), *labf = find(NULL, "labels", B);
    CHECK(inputs && labf, "fixture inputs missing");
    if (!inputs || !labf) return;
    uint8_t labels[B];
    for (int b = 0; b < B; b++) labels[b] = (uint8_t)labf[b];
    for (size_t k = 0; k < sizeof CASES / sizeof *CASES; k++) {
        const char *name = CASES[k];
        const float *cfg = find(name, "cfg", 8);
        CHECK(cfg, "%s: no cfg", name);
        if (!cfg) continue;
        ln_config c;
        ln_config_default(&c);
        c.model = (int)cfg[0], c.hidden_layers = (int)cfg[1], c.hidden_units = (int)cfg[2], c.conv_layers = (int)cfg[3];
        c.channels = (int)cfg[4], c.batch_norm = (int)cfg[5], c.skip = (int)cfg[6], c.activation = (int)cfg[7];
        /* The fixture's mlp and cnn sizes may lie outside the playground's ranges: build directly. */
        ln_net *n = calloc(1, sizeof *n);
        ln_error err = {0};
        if (net_build(n, &c, &err) != LN_OK || net_alloc(n, B, &err) != LN_OK) {
            CHECK(0, "%s does not build: %s", name, err.msg);
            free(n);
            continue;
        }
        int P = n->num_params, S = n->num_stats;
        const float *params = find(name, "params", (uint32_t)P), *stats0 = find(name, "stats", (uint32_t)S);
        const float *loss = find(name, "loss", 1), *logits = find(name, "logits", B * 10);
        const float *grad = find(name, "grad", (uint32_t)P), *stats1 = find(name, "stats1", (uint32_t)S);
        const float *iloss = find(name, "iloss", 1), *ilogits = find(name, "ilogits", B * 10);
        CHECK(params && stats0 && loss && logits && grad && stats1 && iloss && ilogits, "%s: records missing or of another size (%d params, %d stats)",
              name, P, S);
        if (!(params && stats0 && loss && logits && grad && stats1 && iloss && ilogits)) {
            ln_net_free(n);
            continue;
        }
        float *stats = malloc(sizeof(float) * (size_t)S), *g = calloc((size_t)P, sizeof(float));
        memcpy(stats, stats0, sizeof(float) * (size_t)S);

        memcpy(n->x, inputs, sizeof(float) * B * 784);
        double l = net_forward(n, params, stats, labels, B, 1);
        double dl = fabs(l - loss[0]) / fmax(1.0, fabs(loss[0]));
        worst_loss = fmax(worst_loss, dl);
        CHECK(dl <= 1e-5, "%s: loss %.9g, PyTorch %.9g", name, l, loss[0]);
        double dlog = rel_dev(n->nodes[n->num_nodes - 1].out, logits, B * 10);
        worst_logit = fmax(worst_logit, dlog);
        CHECK(dlog <= 1e-4, "%s: logits off by %.3g of the largest", name, dlog);
        double dst = rel_dev(stats, stats1, S);
        worst_stat = fmax(worst_stat, dst);
        CHECK(dst <= 1e-5, "%s: moving statistics after the step off by %.3g", name, dst);

        net_backward(n, params, g, labels, B, 0);
        /* A bias followed by batch norm has no effect on the loss: its exact gradient is 0 and both
         * sides give rounding noise (PyTorch's in float64), so it is held against its layer's scale. */
        double layer_scale[LN_MAX_LAYERS] = {0};
        for (int t = 0; t < n->num_tensors; t++) {
            const ln_tensor_info *ti = &n->tensors[t];
            for (int i = ti->offset; i < ti->offset + ti->count && ti->kind <= LN_TENSOR_BETA; i++)
                layer_scale[ti->layer] = fmax(layer_scale[ti->layer], fabs(grad[i]));
        }
        for (int t = 0; t < n->num_tensors; t++) {
            const ln_tensor_info *ti = &n->tensors[t];
            if (ti->kind == LN_TENSOR_MEAN || ti->kind == LN_TENSOR_VAR) continue;
            double top = 0.0, dev = 0.0;
            for (int i = ti->offset; i < ti->offset + ti->count; i++)
                top = fmax(top, fabs(grad[i])), dev = fmax(dev, fabs((double)g[i] - grad[i]));
            if (top < 1e-9 * layer_scale[ti->layer]) {
                int bias_before_bn = ti->kind == LN_TENSOR_BIAS && c.batch_norm && t + 1 < n->num_tensors &&
                                     n->tensors[t + 1].kind == LN_TENSOR_GAMMA;
                CHECK(bias_before_bn, "%s %s: PyTorch's gradient is 0", name, ti->name);
                CHECK(dev <= 1e-5 * layer_scale[ti->layer], "%s %s: the gradient should be 0, is %.3g (layer's largest %.3g)", name,
                      ti->name, dev, layer_scale[ti->layer]);
                worst_zero = fmax(worst_zero, dev / layer_scale[ti->layer]);
                continue;
            }
            double d = dev / top;
            worst_grad = fmax(worst_grad, d);
            CHECK(d <= 1e-4, "%s %s: gradient off by %.3g of the tensor's largest", name, ti->name, d);
        }

        /* Inference: the stored moving statistics, untouched by the pass. */
        memcpy(stats, stats0, sizeof(float) * (size_t)S);
        l = net_forward(n, params, stats, labels, B, 0);
        CHECK(memcmp(stats, stats0, sizeof(float) * (size_t)S) == 0, "%s: inference changed the moving statistics", name);
        CHECK_CLOSE(l, iloss[0], 1e-5, name);
        double dil = rel_dev(n->nodes[n->num_nodes - 1].out, ilogits, B * 10);
        worst_ilogit = fmax(worst_ilogit, dil);
        CHECK(dil <= 1e-4, "%s: inference logits off by %.3g of the largest", name, dil);
        free(stats), free(g);
        ln_net_free(n);
    }
    printf("# largest deviations from PyTorch (float64): loss %.2e, logits %.2e, gradients %.2e, biases before batch norm "
           "%.2e (of the layer's largest), moving statistics %.2e, inference logits %.2e (relative to each tensor's largest magnitude)\n",
           worst_loss, worst_logit, worst_grad, worst_zero, worst_stat, worst_ilogit);
}

/* The fixture's tensor names are PyTorch's, in the order net_build lays them out. */
static void test_tensor_names(void) {
    ln_config c;
    ln_config_default(&c);
    c.model = LN_MODEL_CNN, c.conv_layers = 6, c.channels = 4, c.batch_norm = 1, c.skip = 1;
    ln_net n;
    ln_error err = {0};
    CHECK(net_build(&n, &c, &err) == LN_OK, "%s", err.msg);
    static const char *const want[] = {"conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
                                       "conv2.weight"};
    for (int i = 0; i < 7; i++) CHECK(strcmp(n.tensors[i].name, want[i]) == 0, "tensor %d is %s, want %s", i, n.tensors[i].name, want[i]);
    CHECK(strcmp(n.tensors[n.num_tensors - 1].name, "fc.bias") == 0, "last tensor %s", n.tensors[n.num_tensors - 1].name);
}

int main(void) {
    if (!load_fixture(FIXTURE)) {
        printf("not ok - cannot read %s (run from the project root)\n", FIXTURE);
        return 1;
    }
    RUN(test_matches_pytorch);
    RUN(test_tensor_names);
    free_fixture();
    return check_summary("deep reference");
}
