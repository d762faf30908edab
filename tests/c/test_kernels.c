/* test_kernels.c - the layer kernels: gradients against finite differences, the vectorised
 * kernels against the scalar references, batch-size independence, and the += / = contract of
 * the backward functions. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arrays.h"
#include "check.h"
#include "kernels.h"
#include "lenet.h"

/* ---- helpers ---------------------------------------------------------------------------- */


/* A finite difference of a float function next to its analytic derivative: within 1e-2 of the
 * larger, plus 1e-3 absolute for derivatives near zero. */
static void check_grad(double numeric, double analytic, const char *what, int index) {
    double tol = 1e-2 * fmax(fabs(numeric), fabs(analytic)) + 1e-3;
    CHECK(fabs(numeric - analytic) <= tol, "%s[%d]: numeric %.6g vs analytic %.6g", what, index,
          numeric, analytic);
}

/* sum of out * g in double: the scalar loss whose gradient wrt out is g */
static double dot(const float *out, const float *g, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)out[i] * g[i];
    return s;
}

static const float EPS = 1e-2f;

/* ---- finite-difference gradient checks -------------------------------------------------- */

enum { GB = 2, GIC = 2, GH = 7, GW = 8, GOC = 3, GK = 3, GOH = GH - GK + 1, GOW = GW - GK + 1 };

static double conv_loss(const float *in, const float *w, const float *b, const float *g,
                        float *out, float *scratch) {
    conv2d_forward(out, in, w, b, GB, GIC, GH, GW, GOC, GK, scratch);
    return dot(out, g, (size_t)GB * GOC * GOH * GOW);
}

/* Perturbs x[i] by +-EPS and returns the central difference of conv_loss. */
static double conv_numeric(float *x, int i, const float *in, const float *w, const float *b,
                           const float *g, float *out, float *scratch) {
    float saved = x[i];
    x[i] = saved + EPS;
    double lp = conv_loss(in, w, b, g, out, scratch);
    x[i] = saved - EPS;
    double lm = conv_loss(in, w, b, g, out, scratch);
    x[i] = saved;
    return (lp - lm) / (2.0 * EPS);
}

static void test_grad_conv2d(void) {
    size_t nin = (size_t)GB * GIC * GH * GW, nw = (size_t)GOC * GIC * GK * GK;
    size_t nout = (size_t)GB * GOC * GOH * GOW;
    float *in = rand_array(nin), *w = rand_array(nw), *b = rand_array(GOC), *g = rand_array(nout);
    float *out = alloc(nout), *din = alloc(nin), *dw = alloc(nw), *db = alloc(GOC);
    float *scratch = alloc(conv2d_scratch_floats(GB, GIC, GH, GW, GOC, GK));
    conv2d_backward(din, dw, db, g, in, w, GB, GIC, GH, GW, GOC, GK, scratch);
    for (size_t i = 0; i < nin; i++)
        check_grad(conv_numeric(in, (int)i, in, w, b, g, out, scratch), din[i], "conv din",
                   (int)i);
    for (size_t i = 0; i < nw; i++)
        check_grad(conv_numeric(w, (int)i, in, w, b, g, out, scratch), dw[i], "conv dw", (int)i);
    for (int i = 0; i < GOC; i++)
        check_grad(conv_numeric(b, i, in, w, b, g, out, scratch), db[i], "conv db", i);
    free(in), free(w), free(b), free(g), free(out), free(din), free(dw), free(db), free(scratch);
}

enum { DB = 3, DIN = 7, DOUT = 5 };

static double dense_numeric(float *x, int i, const float *in, const float *w, const float *b,
                            const float *g, float *out) {
    float saved = x[i];
    x[i] = saved + EPS;
    dense_forward(out, in, w, b, DB, DIN, DOUT);
    double lp = dot(out, g, DB * DOUT);
    x[i] = saved - EPS;
    dense_forward(out, in, w, b, DB, DIN, DOUT);
    double lm = dot(out, g, DB * DOUT);
    x[i] = saved;
    return (lp - lm) / (2.0 * EPS);
}

static void test_grad_dense(void) {
    float *in = rand_array(DB * DIN), *w = rand_array(DOUT * DIN), *b = rand_array(DOUT);
    float *g = rand_array(DB * DOUT), *out = alloc(DB * DOUT);
    float *din = alloc(DB * DIN), *dw = alloc(DOUT * DIN), *db = alloc(DOUT);
    dense_backward(din, dw, db, g, in, w, DB, DIN, DOUT);
    for (int i = 0; i < DB * DIN; i++)
        check_grad(dense_numeric(in, i, in, w, b, g, out), din[i], "dense din", i);
    for (int i = 0; i < DOUT * DIN; i++)
        check_grad(dense_numeric(w, i, in, w, b, g, out), dw[i], "dense dw", i);
    for (int i = 0; i < DOUT; i++)
        check_grad(dense_numeric(b, i, in, w, b, g, out), db[i], "dense db", i);
    free(in), free(w), free(b), free(g), free(out), free(din), free(dw), free(db);
}

enum { PB = 2, PC = 3, PH = 6, PW = 10, PN = PB * PC * PH * PW, PON = PN / 4 };

static void test_grad_avgpool(void) {
    float *in = rand_array(PN), *g = rand_array(PON), *out = alloc(PON), *din = alloc(PN);
    avgpool2_backward(din, g, PB, PC, PH, PW);
    for (int i = 0; i < PN; i++) {
        float saved = in[i];
        in[i] = saved + EPS;
        avgpool2_forward(out, in, PB, PC, PH, PW);
        double lp = dot(out, g, PON);
        in[i] = saved - EPS;
        avgpool2_forward(out, in, PB, PC, PH, PW);
        double lm = dot(out, g, PON);
        in[i] = saved;
        check_grad((lp - lm) / (2.0 * EPS), din[i], "avgpool din", i);
    }
    free(in), free(g), free(out), free(din);
}

static void test_grad_maxpool(void) {
    /* a shuffled grid 0.05 apart: no ties, and a 1e-2 step never changes a window's winner */
    float *in = alloc(PN), *g = rand_array(PON), *out = alloc(PON), *din = alloc(PN);
    uint8_t *arg = malloc(PON);
    for (int i = 0; i < PN; i++)
        in[i] = 0.05f * (float)i - 3.0f;
    for (int i = PN - 1; i > 0; i--) {
        int j = (int)(frand(0.0f, 1.0f) * (float)(i + 1)) % (i + 1);
        float t = in[i];
        in[i] = in[j], in[j] = t;
    }
    maxpool2_forward(out, arg, in, PB, PC, PH, PW);
    maxpool2_backward(din, g, arg, PB, PC, PH, PW);
    for (int i = 0; i < PN; i++) {
        float saved = in[i];
        in[i] = saved + EPS;
        maxpool2_forward(out, arg, in, PB, PC, PH, PW);
        double lp = dot(out, g, PON);
        in[i] = saved - EPS;
        maxpool2_forward(out, arg, in, PB, PC, PH, PW);
        double lm = dot(out, g, PON);
        in[i] = saved;
        check_grad((lp - lm) / (2.0 * EPS), din[i], "maxpool din", i);
    }
    free(in), free(g), free(out), free(din), free(arg);
}

static void test_grad_activations(void) {
    enum { N = 23 };
    static const char *names[] = {"relu", "tanh", "sigmoid"};
    for (int act = 0; act < LN_NUM_ACTS; act++) {
        float x[N], g[N], y[N], d[N], yp[1], ym[1];
        for (int i = 0; i < N; i++) { /* |x| >= 0.1 keeps relu's kink out of reach */
            x[i] = frand(0.1f, 3.0f) * (i % 2 ? -1.0f : 1.0f);
            g[i] = frand(-1.0f, 1.0f);
        }
        act_forward(y, x, N, act);
        act_backward(d, g, y, N, act);
        for (int i = 0; i < N; i++) {
            float xp = x[i] + EPS, xm = x[i] - EPS;
            act_forward(yp, &xp, 1, act);
            act_forward(ym, &xm, 1, act);
            check_grad(g[i] * ((double)yp[0] - ym[0]) / (2.0 * EPS), d[i], names[act], i);
        }
    }
}

static void test_grad_softmax_xent(void) {
    enum { B = 3, C = 10 };
    const float scale = 1.0f / B;
    float z[B * C], probs[B * C], losses[B], dz[B * C];
    uint8_t labels[B] = {3, 0, 9};
    fill(z, B * C, -3.0f, 3.0f);
    softmax_xent_forward(probs, losses, z, labels, B, C);
    softmax_xent_backward(dz, probs, labels, B, C, scale);
    for (int i = 0; i < B * C; i++) {
        float saved = z[i];
        double lp = 0, lm = 0;
        z[i] = saved + EPS;
        softmax_xent_forward(probs, losses, z, labels, B, C);
        for (int n = 0; n < B; n++)
            lp += scale * losses[n];
        z[i] = saved - EPS;
        softmax_xent_forward(probs, losses, z, labels, B, C);
        for (int n = 0; n < B; n++)
            lm += scale * losses[n];
        z[i] = saved;
        check_grad((lp - lm) / (2.0 * EPS), dz[i], "softmax_xent dlogits", i);
    }
}

/* ---- vectorised kernels against the references ------------------------------------------ */

static const int BATCHES[] = {1, 3, 32};
enum { NBATCHES = 3 };

/* Forward and backward of one convolution shape, both versions; dw and db start from the same
 * nonzero values (+=) and din from garbage (=). */
static void compare_conv(int B, int IC, int H, int W, int OC, int K, int with_din) {
    int OH = H - K + 1, OW = W - K + 1;
    size_t nin = (size_t)B * IC * H * W, nw = (size_t)OC * IC * K * K;
    size_t nout = (size_t)B * OC * OH * OW;
    float *in = rand_array(nin), *w = rand_array(nw), *b = rand_array(OC), *g = rand_array(nout);
    float *out = alloc(nout), *out_ref = alloc(nout);
    float *scratch = alloc(conv2d_scratch_floats(B, IC, H, W, OC, K));
    conv2d_forward(out, in, w, b, B, IC, H, W, OC, K, scratch);
    conv2d_forward_ref(out_ref, in, w, b, B, IC, H, W, OC, K, NULL);
    check_arrays(out, out_ref, nout, 1e-5, "conv2d_forward");

    float *dw = rand_array(nw), *dw_ref = copy_of(dw, nw);
    float *db = rand_array(OC), *db_ref = copy_of(db, OC);
    float *din = NULL, *din_ref = NULL;
    if (with_din) {
        din = fill(alloc(nin), nin, 1e30f, 1e30f);
        din_ref = fill(alloc(nin), nin, -1e30f, -1e30f);
    }
    conv2d_backward(din, dw, db, g, in, w, B, IC, H, W, OC, K, scratch);
    conv2d_backward_ref(din_ref, dw_ref, db_ref, g, in, w, B, IC, H, W, OC, K, NULL);
    check_arrays(dw, dw_ref, nw, 1e-5, "conv2d_backward dw");
    check_arrays(db, db_ref, OC, 1e-5, "conv2d_backward db");
    if (with_din)
        check_arrays(din, din_ref, nin, 1e-5, "conv2d_backward din");
    free(in), free(w), free(b), free(g), free(out), free(out_ref), free(scratch);
    free(dw), free(dw_ref), free(db), free(db_ref), free(din), free(din_ref);
}

static void test_conv_matches_ref(void) {
    for (int i = 0; i < NBATCHES; i++) {
        compare_conv(BATCHES[i], 1, 28, 28, 6, 5, 0); /* conv1 */
        compare_conv(BATCHES[i], 1, 28, 28, 6, 5, 1);
        compare_conv(BATCHES[i], 6, 12, 12, 16, 5, 1); /* conv2 */
    }
    /* shapes with tails everywhere */
    compare_conv(2, 3, 9, 11, 5, 3, 1);
    compare_conv(3, 2, 6, 5, 7, 1, 1);
    compare_conv(1, 1, 4, 4, 1, 4, 1);
}

static void compare_dense(int B, int IN, int OUT) {
    float *in = rand_array((size_t)B * IN), *w = rand_array((size_t)OUT * IN);
    float *b = rand_array(OUT), *g = rand_array((size_t)B * OUT);
    float *out = alloc((size_t)B * OUT), *out_ref = alloc((size_t)B * OUT);
    dense_forward(out, in, w, b, B, IN, OUT);
    dense_forward_ref(out_ref, in, w, b, B, IN, OUT);
    check_arrays(out, out_ref, (size_t)B * OUT, 1e-5, "dense_forward");

    float *dw = rand_array((size_t)OUT * IN), *dw_ref = copy_of(dw, (size_t)OUT * IN);
    float *db = rand_array(OUT), *db_ref = copy_of(db, OUT);
    float *din = fill(alloc((size_t)B * IN), (size_t)B * IN, 1e30f, 1e30f);
    float *din_ref = alloc((size_t)B * IN);
    dense_backward(din, dw, db, g, in, w, B, IN, OUT);
    dense_backward_ref(din_ref, dw_ref, db_ref, g, in, w, B, IN, OUT);
    check_arrays(din, din_ref, (size_t)B * IN, 1e-5, "dense_backward din");
    check_arrays(dw, dw_ref, (size_t)OUT * IN, 1e-5, "dense_backward dw");
    check_arrays(db, db_ref, OUT, 1e-5, "dense_backward db");
    free(in), free(w), free(b), free(g), free(out), free(out_ref);
    free(dw), free(dw_ref), free(db), free(db_ref), free(din), free(din_ref);
}

static void test_dense_matches_ref(void) {
    for (int i = 0; i < NBATCHES; i++) {
        compare_dense(BATCHES[i], 256, 120);
        compare_dense(BATCHES[i], 120, 84);
        compare_dense(BATCHES[i], 84, 10);
    }
    compare_dense(5, 13, 7);
    compare_dense(7, 3, 1);
}

static void compare_pools(int B, int C, int H, int W) {
    size_t n = (size_t)B * C * H * W, no = n / 4;
    float *in = rand_array(n), *g = rand_array(no);
    float *out = alloc(no), *out_ref = alloc(no), *din = alloc(n), *din_ref = alloc(n);
    uint8_t *arg = malloc(no), *arg_ref = malloc(no);
    for (size_t i = 0; i < n; i += 7) /* ties: the first maximum must win */
        in[i] = in[i ^ 1];
    avgpool2_forward(out, in, B, C, H, W);
    avgpool2_forward_ref(out_ref, in, B, C, H, W);
    check_arrays(out, out_ref, no, 1e-6, "avgpool2_forward");
    fill(din, n, 1e30f, 1e30f);
    avgpool2_backward(din, g, B, C, H, W);
    avgpool2_backward_ref(din_ref, g, B, C, H, W);
    check_arrays(din, din_ref, n, 1e-6, "avgpool2_backward");
    maxpool2_forward(out, arg, in, B, C, H, W);
    maxpool2_forward_ref(out_ref, arg_ref, in, B, C, H, W);
    check_arrays(out, out_ref, no, 0, "maxpool2_forward");
    CHECK(same_bits(arg, arg_ref, no), "maxpool2_forward arg differs");
    fill(din, n, 1e30f, 1e30f);
    maxpool2_backward(din, g, arg, B, C, H, W);
    maxpool2_backward_ref(din_ref, g, arg_ref, B, C, H, W);
    check_arrays(din, din_ref, n, 0, "maxpool2_backward");
    free(in), free(g), free(out), free(out_ref), free(din), free(din_ref), free(arg),
        free(arg_ref);
}

static void test_pools_match_ref(void) {
    for (int i = 0; i < NBATCHES; i++) {
        compare_pools(BATCHES[i], 6, 24, 24);
        compare_pools(BATCHES[i], 16, 8, 8);
    }
    compare_pools(3, 5, 6, 14);
    compare_pools(1, 1, 2, 2);
}

static void test_activations_match_ref(void) {
    static const int sizes[] = {1, 2, 3, 5, 8, 13, 84, 120, 3456 * 3, 1024 * 32};
    for (int act = 0; act < LN_NUM_ACTS; act++)
        for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
            int n = sizes[s];
            float *x = fill(alloc(n), n, -12.0f, 12.0f), *g = rand_array(n);
            float *y = alloc(n), *y_ref = alloc(n), *d = alloc(n), *d_ref = alloc(n);
            act_forward(y, x, n, act);
            act_forward_ref(y_ref, x, n, act);
            check_arrays(y, y_ref, n, 1e-6, "act_forward");
            act_backward(d, g, y_ref, n, act);
            act_backward_ref(d_ref, g, y_ref, n, act);
            check_arrays(d, d_ref, n, 1e-6, "act_backward");
            /* small inputs: relative accuracy where the values are tiny */
            for (int i = 0; i < n; i++)
                x[i] *= 1e-4f;
            act_forward(y, x, n, act);
            act_forward_ref(y_ref, x, n, act);
            for (int i = 0; i < n && act != LN_ACT_SIGMOID; i++)
                if (!(fabsf(y[i] - y_ref[i]) <= 1e-6f * fabsf(y_ref[i]))) {
                    CHECK(0, "act %d at %g: %.9g vs %.9g", act, x[i], y[i], y_ref[i]);
                    break;
                }
            /* in place */
            memcpy(d, x, n * sizeof(float));
            act_forward(d, d, n, act);
            CHECK(same_bits(d, y, n * sizeof(float)), "act_forward in place differs");
            free(x), free(g), free(y), free(y_ref), free(d), free(d_ref);
        }
}

static void test_softmax_matches_ref(void) {
    for (int i = 0; i < NBATCHES; i++) {
        int B = BATCHES[i], C = 10;
        float *z = fill(alloc(B * C), B * C, -20.0f, 20.0f);
        float *p = alloc(B * C), *p_ref = alloc(B * C), *l = alloc(B), *l_ref = alloc(B);
        float *d = alloc(B * C), *d_ref = alloc(B * C);
        uint8_t *labels = malloc(B);
        for (int n = 0; n < B; n++)
            labels[n] = (uint8_t)(n * 7 % C);
        softmax_xent_forward(p, l, z, labels, B, C);
        softmax_xent_forward_ref(p_ref, l_ref, z, labels, B, C);
        check_arrays(p, p_ref, B * C, 1e-6, "softmax probs");
        check_arrays(l, l_ref, B, 1e-5, "softmax losses");
        softmax_xent_backward(d, p, labels, B, C, 1.0f / B);
        softmax_xent_backward_ref(d_ref, p, labels, B, C, 1.0f / B);
        check_arrays(d, d_ref, B * C, 0, "softmax dlogits");
        free(z), free(p), free(p_ref), free(l), free(l_ref), free(d), free(d_ref), free(labels);
    }
}

/* ---- contracts -------------------------------------------------------------------------- */

static void test_extreme_inputs(void) {
    static const float xs[] = {0.0f, -0.0f, 1e-30f, -1e-30f, 20.0f, -20.0f, 88.8f, -88.8f,
                               100.0f, -100.0f, 1000.0f, -1000.0f, 1e30f, -1e30f,
                               FLT_MAX, -FLT_MAX, INFINITY, -INFINITY};
    enum { N = sizeof xs / sizeof *xs };
    float y[N], d[N], g[N];
    for (int i = 0; i < N; i++)
        g[i] = 1.0f;
    act_forward(y, xs, N, LN_ACT_SIGMOID);
    act_backward(d, g, y, N, LN_ACT_SIGMOID);
    for (int i = 0; i < N; i++) {
        CHECK(y[i] >= 0.0f && y[i] <= 1.0f, "sigmoid(%g) = %g", xs[i], y[i]);
        CHECK(isfinite(d[i]), "sigmoid'(%g) = %g", xs[i], d[i]);
        if (xs[i] >= 20.0f)
            CHECK(y[i] > 0.999999f, "sigmoid(%g) = %g", xs[i], y[i]);
        if (xs[i] <= -100.0f)
            CHECK(y[i] < 1e-37f, "sigmoid(%g) = %g", xs[i], y[i]);
    }
    CHECK(y[0] == 0.5f, "sigmoid(0) = %g", y[0]);
    act_forward(y, xs, N, LN_ACT_TANH);
    for (int i = 0; i < N; i++) {
        CHECK(y[i] >= -1.0f && y[i] <= 1.0f, "tanh(%g) = %g", xs[i], y[i]);
        if (fabsf(xs[i]) >= 20.0f)
            CHECK(y[i] == copysignf(1.0f, xs[i]), "tanh(%g) = %g", xs[i], y[i]);
    }
    CHECK(y[2] == 1e-30f && y[3] == -1e-30f, "tanh(+-1e-30) = %g, %g", y[2], y[3]);
    /* a NaN passes through every activation, so a diverging run shows up in the loss */
    float nan4[5] = {NAN, 1.0f, NAN, -1.0f, NAN};
    for (int act = 0; act < LN_NUM_ACTS; act++) {
        act_forward(y, nan4, 5, act);
        CHECK(isnan(y[0]) && isnan(y[2]) && isnan(y[4]) && !isnan(y[1]),
              "act %d does not pass NaN through", act);
    }

    float z[2 * 10], p[2 * 10], l[2];
    uint8_t labels[2] = {0, 9};
    for (int c = 0; c < 20; c++)
        z[c] = c % 10 == 9 ? 1e4f : -1e4f;
    softmax_xent_forward(p, l, z, labels, 2, 10);
    for (int c = 0; c < 20; c++)
        CHECK(isfinite(p[c]) && p[c] >= 0.0f && p[c] <= 1.0f, "prob %d = %g", c, p[c]);
    CHECK(l[0] == 2e4f, "loss of a hopeless sample = %g", l[0]);
    CHECK(l[1] == 0.0f, "loss of a certain sample = %g", l[1]);
}

/* dw and db gain exactly the batch gradient (+=); din ignores what it held (=); a NULL din
 * changes nothing else. */
static void test_backward_accumulates(void) {
    enum { B = 3, IC = 2, H = 9, W = 9, OC = 4, K = 5, IN = 20, OUT = 6 };
    size_t nin = (size_t)B * IC * H * W, nw = (size_t)OC * IC * K * K;
    size_t nout = (size_t)B * OC * (H - K + 1) * (W - K + 1);
    float *in = rand_array(nin), *w = rand_array(nw), *g = rand_array(nout);
    float *scratch = alloc(conv2d_scratch_floats(B, IC, H, W, OC, K));
    float *din0 = alloc(nin), *dw0 = alloc(nw), *db0 = alloc(OC);
    float *din1 = fill(alloc(nin), nin, NAN, NAN), *dw1 = rand_array(nw), *db1 = rand_array(OC);
    float *dw1_start = copy_of(dw1, nw), *db1_start = copy_of(db1, OC);
    float *dw2 = alloc(nw), *db2 = alloc(OC);
    conv2d_backward(din0, dw0, db0, g, in, w, B, IC, H, W, OC, K, scratch);
    conv2d_backward(din1, dw1, db1, g, in, w, B, IC, H, W, OC, K, scratch);
    conv2d_backward(NULL, dw2, db2, g, in, w, B, IC, H, W, OC, K, scratch);
    CHECK(same_bits(din0, din1, nin * sizeof(float)), "conv din is not overwritten");
    CHECK(same_bits(dw0, dw2, nw * sizeof(float)), "conv dw depends on din being NULL");
    CHECK(same_bits(db0, db2, OC * sizeof(float)), "conv db depends on din being NULL");
    for (size_t i = 0; i < nw; i++)
        dw0[i] += dw1_start[i];
    for (int i = 0; i < OC; i++)
        db0[i] += db1_start[i];
    check_arrays(dw1, dw0, nw, 1e-6, "conv dw +=");
    check_arrays(db1, db0, OC, 1e-6, "conv db +=");
    /* twice in a row gives twice the gradient */
    memset(dw2, 0, nw * sizeof(float));
    conv2d_backward(NULL, dw2, db2, g, in, w, B, IC, H, W, OC, K, scratch);
    conv2d_backward(NULL, dw2, db2, g, in, w, B, IC, H, W, OC, K, scratch);
    for (size_t i = 0; i < nw; i++)
        CHECK_CLOSE(dw2[i], 2 * (dw0[i] - dw1_start[i]), 1e-5, "conv dw twice");

    float *x = rand_array(B * IN), *dw_d = rand_array(OUT * IN), *gd = rand_array(B * OUT);
    float *xd0 = alloc(B * IN), *xd1 = fill(alloc(B * IN), B * IN, NAN, NAN);
    float *dwd0 = alloc(OUT * IN), *dbd0 = alloc(OUT), *dbd1 = rand_array(OUT);
    float *dwd1 = rand_array(OUT * IN), *dwd1_start = copy_of(dwd1, OUT * IN);
    float *dbd1_start = copy_of(dbd1, OUT);
    dense_backward(xd0, dwd0, dbd0, gd, x, dw_d, B, IN, OUT);
    dense_backward(xd1, dwd1, dbd1, gd, x, dw_d, B, IN, OUT);
    CHECK(same_bits(xd0, xd1, B * IN * sizeof(float)), "dense din is not overwritten");
    for (int i = 0; i < OUT * IN; i++)
        CHECK_CLOSE(dwd1[i], dwd1_start[i] + dwd0[i], 1e-6, "dense dw +=");
    for (int i = 0; i < OUT; i++)
        CHECK_CLOSE(dbd1[i], dbd1_start[i] + dbd0[i], 1e-6, "dense db +=");
    memset(dwd1, 0, OUT * IN * sizeof(float));
    dense_backward(NULL, dwd1, dbd1, gd, x, dw_d, B, IN, OUT);
    CHECK(same_bits(dwd1, dwd0, OUT * IN * sizeof(float)), "dense dw depends on din being NULL");

    /* the references keep the same contract */
    float *din_r = fill(alloc(nin), nin, NAN, NAN), *dw_r = copy_of(dw1_start, nw);
    float *db_r = copy_of(db1_start, OC);
    conv2d_backward_ref(din_r, dw_r, db_r, g, in, w, B, IC, H, W, OC, K, NULL);
    check_arrays(din_r, din0, nin, 1e-5, "conv_ref din =");
    check_arrays(dw_r, dw0, nw, 1e-5, "conv_ref dw +=");
    check_arrays(db_r, db0, OC, 1e-5, "conv_ref db +=");
    float *xd_r = fill(alloc(B * IN), B * IN, NAN, NAN), *dwd_r = copy_of(dwd1_start, OUT * IN);
    float *dbd_r = copy_of(dbd1_start, OUT);
    dense_backward_ref(xd_r, dwd_r, dbd_r, gd, x, dw_d, B, IN, OUT);
    check_arrays(xd_r, xd0, B * IN, 1e-5, "dense_ref din =");
    for (int i = 0; i < OUT * IN; i++)
        CHECK_CLOSE(dwd_r[i], dwd1_start[i] + dwd0[i], 1e-5, "dense_ref dw +=");
    for (int i = 0; i < OUT; i++)
        CHECK_CLOSE(dbd_r[i], dbd1_start[i] + dbd0[i], 1e-5, "dense_ref db +=");

    free(in), free(w), free(g), free(scratch), free(din0), free(dw0), free(db0), free(din1);
    free(dw1), free(db1), free(dw1_start), free(db1_start), free(dw2), free(db2);
    free(x), free(dw_d), free(gd), free(xd0), free(xd1), free(dwd0), free(dbd0), free(dbd1);
    free(dwd1), free(dwd1_start), free(dbd1_start), free(din_r), free(dw_r), free(db_r);
    free(xd_r), free(dwd_r), free(dbd_r);
}

/* ---- batch-size independence ------------------------------------------------------------ */

/* The LeNet-5 forward pass over B images; every intermediate goes to `acts`, in order. */
enum {
    A1 = 6 * 24 * 24, P1 = 6 * 12 * 12, A2 = 16 * 8 * 8, P2 = 256,
    PER_SAMPLE = A1 + P1 + A2 + P2 + 120 + 84 + 10 + 10 + 1
};

static void lenet_forward(float *acts, uint8_t *arg, const float *x, const uint8_t *labels,
                          int B, const float *params, int act, float *scratch) {
    const float *w1 = params, *b1 = w1 + 150, *w2 = b1 + 6, *b2 = w2 + 2400, *w3 = b2 + 16;
    const float *b3 = w3 + 256 * 120, *w4 = b3 + 120, *b4 = w4 + 120 * 84, *w5 = b4 + 84;
    const float *b5 = w5 + 84 * 10;
    float *c1 = acts, *s1 = c1 + (size_t)B * A1, *c2 = s1 + (size_t)B * P1;
    float *s2 = c2 + (size_t)B * A2, *f1 = s2 + (size_t)B * P2, *f2 = f1 + B * 120;
    float *f3 = f2 + B * 84, *probs = f3 + B * 10, *losses = probs + B * 10;
    conv2d_forward(c1, x, w1, b1, B, 1, 28, 28, 6, 5, scratch);
    act_forward(c1, c1, B * A1, act);
    avgpool2_forward(s1, c1, B, 6, 24, 24);
    conv2d_forward(c2, s1, w2, b2, B, 6, 12, 12, 16, 5, scratch);
    act_forward(c2, c2, B * A2, act);
    maxpool2_forward(s2, arg, c2, B, 16, 8, 8);
    dense_forward(f1, s2, w3, b3, B, 256, 120);
    act_forward(f1, f1, B * 120, act);
    dense_forward(f2, f1, w4, b4, B, 120, 84);
    act_forward(f2, f2, B * 84, act);
    dense_forward(f3, f2, w5, b5, B, 84, 10);
    softmax_xent_forward(probs, losses, f3, labels, B, 10);
}

static void test_batch_independence(void) {
    enum { B = 7 };
    float *params = fill(alloc(LN_LENET5_PARAMS), LN_LENET5_PARAMS, -0.2f, 0.2f);
    float *x = fill(alloc(B * 784), B * 784, 0.0f, 1.0f);
    float *all = alloc((size_t)B * PER_SAMPLE), *one = alloc(PER_SAMPLE);
    uint8_t *arg = malloc(B * 256);
    float *scratch = alloc(conv2d_scratch_floats(B, 6, 12, 12, 16, 5) +
                           conv2d_scratch_floats(B, 1, 28, 28, 6, 5));
    uint8_t labels[B] = {1, 2, 3, 4, 5, 6, 7};
    static const int sizes[] = {A1, P1, A2, P2, 120, 84, 10, 10, 1};
    for (int act = 0; act < LN_NUM_ACTS; act++) {
        lenet_forward(all, arg, x, labels, B, params, act, scratch);
        for (int s = 0; s < B; s++) {
            lenet_forward(one, arg, x + s * 784, labels + s, 1, params, act, scratch);
            const float *a = all, *o = one;
            for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
                CHECK(same_bits(o, a + (size_t)s * sizes[k], sizes[k] * sizeof(float)),
                      "act %d, sample %d, stage %zu differs between batches of 1 and %d", act,
                      s, k, B);
                a += (size_t)B * sizes[k];
                o += sizes[k];
            }
        }
    }
    free(params), free(x), free(all), free(one), free(scratch), free(arg);
}

int main(void) {
    rng_state = 12345u;
    RUN(test_grad_conv2d);
    RUN(test_grad_dense);
    RUN(test_grad_avgpool);
    RUN(test_grad_maxpool);
    RUN(test_grad_activations);
    RUN(test_grad_softmax_xent);
    RUN(test_conv_matches_ref);
    RUN(test_dense_matches_ref);
    RUN(test_pools_match_ref);
    RUN(test_activations_match_ref);
    RUN(test_softmax_matches_ref);
    RUN(test_extreme_inputs);
    RUN(test_backward_accumulates);
    RUN(test_batch_independence);
    return check_summary("kernels");
}
