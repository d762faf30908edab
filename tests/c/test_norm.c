/* test_norm.c - batch normalisation, zero padding, global average pooling and the residual add
 * (kernels_norm.c): gradients against finite differences, batch statistics, inference against
 * training, the += / = contract and aliasing; and the convolution kernels at K = 3 on padded
 * inputs, against the scalar references. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arrays.h"
#include "check.h"
#include "kernels.h"

/* ---- helpers ---------------------------------------------------------------------------- */

static double *to_double(const float *x, size_t n) {
    double *d = malloc((n ? n : 1) * sizeof(double));
    for (size_t i = 0; i < n; i++)
        d[i] = x[i];
    return d;
}


/* |numeric - analytic| <= rel * max(|numeric|, |analytic|) + abs */
static void check_grad(double numeric, double analytic, double rel, double abs_tol,
                       const char *what, int index) {
    double tol = rel * fmax(fabs(numeric), fabs(analytic)) + abs_tol;
    CHECK(fabs(numeric - analytic) <= tol, "%s[%d]: numeric %.9g vs analytic %.9g", what, index,
          numeric, analytic);
}

/* sum of out * r in double: the scalar loss whose gradient wrt out is r */
static double dot(const float *out, const float *r, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)out[i] * r[i];
    return s;
}

static const float BN_EPS = 1e-3f; /* Keras's default */

/* ---- batch normalisation: gradients ----------------------------------------------------- */

/* The loss sum(out * r) of batch normalisation computed wholly in double, so a central
 * difference with a tiny step measures the true derivative of the map the kernels implement. */
static double bn_loss_double(const double *in, const double *gamma, const double *beta,
                             const float *r, int B, int C, int S, double eps) {
    double N = (double)B * S, loss = 0;
    for (int c = 0; c < C; c++) {
        double m = 0, v = 0;
        for (int b = 0; b < B; b++)
            for (int s = 0; s < S; s++)
                m += in[((size_t)b * C + c) * S + s];
        m /= N;
        for (int b = 0; b < B; b++)
            for (int s = 0; s < S; s++) {
                double d = in[((size_t)b * C + c) * S + s] - m;
                v += d * d;
            }
        v /= N;
        for (int b = 0; b < B; b++)
            for (int s = 0; s < S; s++) {
                size_t i = ((size_t)b * C + c) * S + s;
                loss += (gamma[c] * (in[i] - m) / sqrt(v + eps) + beta[c]) * r[i];
            }
    }
    return loss;
}

/* central difference of bn_loss_double in x[i] */
static double bn_numeric_double(double *x, size_t i, const double *in, const double *gamma,
                                const double *beta, const float *r, int B, int C, int S) {
    const double h = 1e-5;
    double saved = x[i];
    x[i] = saved + h;
    double lp = bn_loss_double(in, gamma, beta, r, B, C, S, BN_EPS);
    x[i] = saved - h;
    double lm = bn_loss_double(in, gamma, beta, r, B, C, S, BN_EPS);
    x[i] = saved;
    return (lp - lm) / (2 * h);
}

/* the same loss through the float kernel */
static double bn_loss_float(const float *in, const float *gamma, const float *beta,
                            const float *r, int B, int C, int S, float *out, float *xhat,
                            float *mean, float *var) {
    batchnorm_forward_train(out, xhat, mean, var, in, gamma, beta, B, C, S, BN_EPS);
    return dot(out, r, (size_t)B * C * S);
}

static double bn_numeric_float(float *x, size_t i, const float *in, const float *gamma,
                               const float *beta, const float *r, int B, int C, int S,
                               float *out, float *xhat, float *mean, float *var) {
    const float h = 1e-2f;
    float saved = x[i];
    x[i] = saved + h;
    double lp = bn_loss_float(in, gamma, beta, r, B, C, S, out, xhat, mean, var);
    x[i] = saved - h;
    double lm = bn_loss_float(in, gamma, beta, r, B, C, S, out, xhat, mean, var);
    x[i] = saved;
    return (lp - lm) / (2.0 * h);
}

/* The analytic gradients of one shape against central differences: tightly against the double
 * model of the map, loosely against the float kernel itself (a float loss differenced over a
 * step of 1e-2 is good to a few parts in a thousand). */
static void check_bn_grad(int B, int C, int S) {
    size_t n = (size_t)B * C * S;
    float *in = rand_array(n), *r = rand_array(n);
    float *gamma = fill(alloc(C), C, 0.5f, 1.5f), *beta = rand_array(C);
    float *out = alloc(n), *xhat = alloc(n), *mean = alloc(C), *var = alloc(C);
    float *din = alloc(n), *dgamma = alloc(C), *dbeta = alloc(C);
    batchnorm_forward_train(out, xhat, mean, var, in, gamma, beta, B, C, S, BN_EPS);
    batchnorm_backward(din, dgamma, dbeta, r, xhat, gamma, var, B, C, S, BN_EPS);

    double *in_d = to_double(in, n), *dg_d = to_double(gamma, C), *db_d = to_double(beta, C);
    for (size_t i = 0; i < n; i++)
        check_grad(bn_numeric_double(in_d, i, in_d, dg_d, db_d, r, B, C, S), din[i], 1e-4,
                   1e-5, "bn din (double)", (int)i);
    for (int c = 0; c < C; c++) {
        check_grad(bn_numeric_double(dg_d, c, in_d, dg_d, db_d, r, B, C, S), dgamma[c], 1e-4,
                   1e-5, "bn dgamma (double)", c);
        check_grad(bn_numeric_double(db_d, c, in_d, dg_d, db_d, r, B, C, S), dbeta[c], 1e-4,
                   1e-5, "bn dbeta (double)", c);
    }

    float *o = alloc(n), *xh = alloc(n), *m = alloc(C), *v = alloc(C);
    for (size_t i = 0; i < n; i++)
        check_grad(bn_numeric_float(in, i, in, gamma, beta, r, B, C, S, o, xh, m, v), din[i],
                   1e-2, 1e-3, "bn din (float)", (int)i);
    for (int c = 0; c < C; c++) {
        check_grad(bn_numeric_float(gamma, c, in, gamma, beta, r, B, C, S, o, xh, m, v),
                   dgamma[c], 1e-2, 1e-3, "bn dgamma (float)", c);
        check_grad(bn_numeric_float(beta, c, in, gamma, beta, r, B, C, S, o, xh, m, v),
                   dbeta[c], 1e-2, 1e-3, "bn dbeta (float)", c);
    }
    free(in), free(r), free(gamma), free(beta), free(out), free(xhat), free(mean), free(var);
    free(din), free(dgamma), free(dbeta), free(in_d), free(dg_d), free(db_d);
    free(o), free(xh), free(m), free(v);
}

static void test_grad_batchnorm(void) {
    check_bn_grad(3, 4, 5); /* after a convolution */
    check_bn_grad(6, 7, 1); /* after a dense layer */
}

/* ---- batch normalisation: forward ------------------------------------------------------- */

/* mean, var and out against double sums; each channel of xhat has mean 0 and biased variance
 * var / (var + eps). Inputs sit far from zero, where a one-pass variance would cancel. */
static void check_bn_stats(int B, int C, int S, float offset, float spread) {
    size_t n = (size_t)B * C * S;
    float *in = fill(alloc(n), n, offset - spread, offset + spread);
    float *gamma = fill(alloc(C), C, 0.5f, 1.5f), *beta = rand_array(C);
    float *out = alloc(n), *xhat = alloc(n), *mean = alloc(C), *var = alloc(C);
    float *want = alloc(n);
    batchnorm_forward_train(out, xhat, mean, var, in, gamma, beta, B, C, S, BN_EPS);
    double N = (double)B * S;
    for (int c = 0; c < C; c++) {
        double m = 0, v = 0, xm = 0, xv = 0;
        for (int b = 0; b < B; b++)
            for (int s = 0; s < S; s++)
                m += in[((size_t)b * C + c) * S + s];
        m /= N;
        for (int b = 0; b < B; b++)
            for (int s = 0; s < S; s++) {
                size_t i = ((size_t)b * C + c) * S + s;
                v += (in[i] - m) * (in[i] - m);
                xm += xhat[i];
            }
        v /= N;
        xm /= N;
        for (int b = 0; b < B; b++)
            for (int s = 0; s < S; s++) {
                size_t i = ((size_t)b * C + c) * S + s;
                xv += (xhat[i] - xm) * (xhat[i] - xm);
                want[i] = (float)(gamma[c] * (in[i] - m) / sqrt(v + BN_EPS) + beta[c]);
            }
        xv /= N;
        CHECK_CLOSE(mean[c], m, 1e-6, "batch mean");
        CHECK(fabs(var[c] - v) <= 1e-6 * v, "channel %d: var %.9g vs %.9g", c, var[c], v);
        CHECK(fabs(xm) <= 1e-5, "channel %d: xhat mean %g", c, xm);
        double wv = var[c] / ((double)var[c] + BN_EPS);
        CHECK(fabs(xv - wv) <= 1e-5 * wv, "channel %d: xhat variance %.9g vs %.9g", c, xv, wv);
    }
    check_arrays(out, want, n, 1e-5, "batchnorm_forward_train out");
    free(in), free(gamma), free(beta), free(out), free(xhat), free(mean), free(var), free(want);
}

static void test_batchnorm_stats(void) {
    check_bn_stats(3, 4, 5, 0.0f, 1.0f);
    check_bn_stats(6, 7, 1, 0.0f, 1.0f);
    check_bn_stats(16, 8, 196, 50.0f, 2.0f);
    check_bn_stats(32, 10, 1, -3.0f, 0.01f); /* var ~ eps/30: eps matters */
}

/* Inference with the batch's own statistics is training's map; and one sample at a time gives
 * the same bits as the whole batch. */
static void test_batchnorm_infer_matches_train(void) {
    enum { B = 5, C = 6, S = 9 };
    size_t n = (size_t)B * C * S;
    float *in = fill(alloc(n), n, -2.0f, 3.0f), *gamma = fill(alloc(C), C, 0.5f, 1.5f);
    float *beta = rand_array(C), *mean = alloc(C), *var = alloc(C);
    float *train = alloc(n), *xhat = alloc(n), *infer = alloc(n), *one = alloc(n);
    batchnorm_forward_train(train, xhat, mean, var, in, gamma, beta, B, C, S, BN_EPS);
    batchnorm_forward_infer(infer, in, gamma, beta, mean, var, B, C, S, BN_EPS);
    check_arrays(infer, train, n, 1e-6, "infer vs train");
    for (int b = 0; b < B; b++)
        batchnorm_forward_infer(one + (size_t)b * C * S, in + (size_t)b * C * S, gamma, beta,
                                mean, var, 1, C, S, BN_EPS);
    CHECK(same_bits(one, infer, n * sizeof(float)), "infer depends on the batch");
    free(in), free(gamma), free(beta), free(mean), free(var), free(train), free(xhat);
    free(infer), free(one);
}

/* ---- batch normalisation: the backward contract and aliasing ---------------------------- */

/* dgamma and dbeta gain exactly the batch gradient (+=); din ignores what it held (=); a NULL
 * din changes nothing else. */
static void test_batchnorm_accumulates(void) {
    enum { B = 4, C = 3, S = 6 };
    size_t n = (size_t)B * C * S;
    float *in = rand_array(n), *g = rand_array(n), *gamma = fill(alloc(C), C, 0.5f, 1.5f);
    float *beta = rand_array(C), *out = alloc(n), *xhat = alloc(n), *mean = alloc(C);
    float *var = alloc(C);
    batchnorm_forward_train(out, xhat, mean, var, in, gamma, beta, B, C, S, BN_EPS);
    float *din0 = alloc(n), *dg0 = alloc(C), *db0 = alloc(C);
    float *din1 = fill(alloc(n), n, NAN, NAN), *dg1 = rand_array(C), *db1 = rand_array(C);
    float *dg1_start = copy_of(dg1, C), *db1_start = copy_of(db1, C);
    float *dg2 = alloc(C), *db2 = alloc(C);
    batchnorm_backward(din0, dg0, db0, g, xhat, gamma, var, B, C, S, BN_EPS);
    batchnorm_backward(din1, dg1, db1, g, xhat, gamma, var, B, C, S, BN_EPS);
    batchnorm_backward(NULL, dg2, db2, g, xhat, gamma, var, B, C, S, BN_EPS);
    CHECK(same_bits(din0, din1, n * sizeof(float)), "bn din is not overwritten");
    CHECK(same_bits(dg0, dg2, C * sizeof(float)), "bn dgamma depends on din being NULL");
    CHECK(same_bits(db0, db2, C * sizeof(float)), "bn dbeta depends on din being NULL");
    for (int c = 0; c < C; c++) {
        CHECK(dg1[c] == dg1_start[c] + dg0[c], "bn dgamma[%d] is not +=", c);
        CHECK(db1[c] == db1_start[c] + db0[c], "bn dbeta[%d] is not +=", c);
    }
    free(in), free(g), free(gamma), free(beta), free(out), free(xhat), free(mean), free(var);
    free(din0), free(dg0), free(db0), free(din1), free(dg1), free(db1), free(dg1_start);
    free(db1_start), free(dg2), free(db2);
}

/* out == in in both forward passes, din == dout in the backward, out == a or b in the add:
 * the same bits as separate buffers. */
static void test_aliasing(void) {
    enum { B = 3, C = 4, S = 7 };
    size_t n = (size_t)B * C * S;
    float *in = rand_array(n), *g = rand_array(n), *gamma = fill(alloc(C), C, 0.5f, 1.5f);
    float *beta = rand_array(C), *out = alloc(n), *xhat = alloc(n), *mean = alloc(C);
    float *var = alloc(C), *xhat2 = alloc(n), *mean2 = alloc(C), *var2 = alloc(C);
    float *buf = copy_of(in, n);
    batchnorm_forward_train(out, xhat, mean, var, in, gamma, beta, B, C, S, BN_EPS);
    batchnorm_forward_train(buf, xhat2, mean2, var2, buf, gamma, beta, B, C, S, BN_EPS);
    CHECK(same_bits(buf, out, n * sizeof(float)), "bn train out == in");
    CHECK(same_bits(xhat2, xhat, n * sizeof(float)), "bn train xhat with out == in");
    CHECK(same_bits(mean2, mean, C * sizeof(float)), "bn train mean with out == in");
    CHECK(same_bits(var2, var, C * sizeof(float)), "bn train var with out == in");

    memcpy(buf, in, n * sizeof(float));
    batchnorm_forward_infer(out, in, gamma, beta, mean, var, B, C, S, BN_EPS);
    batchnorm_forward_infer(buf, buf, gamma, beta, mean, var, B, C, S, BN_EPS);
    CHECK(same_bits(buf, out, n * sizeof(float)), "bn infer out == in");

    float *din = alloc(n), *dg = alloc(C), *db = alloc(C), *dg2 = alloc(C), *db2 = alloc(C);
    memcpy(buf, g, n * sizeof(float));
    batchnorm_backward(din, dg, db, g, xhat, gamma, var, B, C, S, BN_EPS);
    batchnorm_backward(buf, dg2, db2, buf, xhat, gamma, var, B, C, S, BN_EPS);
    CHECK(same_bits(buf, din, n * sizeof(float)), "bn din == dout");
    CHECK(same_bits(dg2, dg, C * sizeof(float)), "bn dgamma with din == dout");
    CHECK(same_bits(db2, db, C * sizeof(float)), "bn dbeta with din == dout");

    float *a = rand_array(n), *b = rand_array(n), *sum = alloc(n);
    add_forward(sum, a, b, (int)n);
    for (size_t i = 0; i < n; i++)
        CHECK(sum[i] == a[i] + b[i], "add at %zu", i);
    memcpy(buf, a, n * sizeof(float));
    add_forward(buf, buf, b, (int)n);
    CHECK(same_bits(buf, sum, n * sizeof(float)), "add out == a");
    memcpy(buf, b, n * sizeof(float));
    add_forward(buf, a, buf, (int)n);
    CHECK(same_bits(buf, sum, n * sizeof(float)), "add out == b");
    free(in), free(g), free(gamma), free(beta), free(out), free(xhat), free(mean), free(var);
    free(xhat2), free(mean2), free(var2), free(buf), free(din), free(dg), free(db), free(dg2);
    free(db2), free(a), free(b), free(sum);
}

/* ---- padding and global average pooling ------------------------------------------------- */

/* Both maps are linear, so their exact values and the adjoint identity
 * dot(f(x), r) == dot(x, f'(r)) stand in for finite differences. */
static void check_pad(int B, int C, int H, int W, int P) {
    int PH = H + 2 * P, PW = W + 2 * P;
    size_t n = (size_t)B * C * H * W, np = (size_t)B * C * PH * PW;
    float *in = rand_array(n), *out = fill(alloc(np), np, NAN, NAN);
    float *r = rand_array(np), *din = fill(alloc(n), n, NAN, NAN);
    pad2d_forward(out, in, B, C, H, W, P);
    pad2d_backward(din, r, B, C, H, W, P);
    int bad_out = 0, bad_din = 0;
    for (int bc = 0; bc < B * C; bc++)
        for (int y = 0; y < PH; y++)
            for (int x = 0; x < PW; x++) {
                int iy = y - P, ix = x - P;
                int inside = iy >= 0 && iy < H && ix >= 0 && ix < W;
                size_t po = ((size_t)bc * PH + y) * PW + x, pi = ((size_t)bc * H + iy) * W + ix;
                bad_out += !(out[po] == (inside ? in[pi] : 0.0f));
                bad_din += inside && !(din[pi] == r[po]);
            }
    CHECK(!bad_out, "pad2d_forward %dx%dx%dx%d P=%d: %d wrong values", B, C, H, W, P, bad_out);
    CHECK(!bad_din, "pad2d_backward %dx%dx%dx%d P=%d: %d wrong values", B, C, H, W, P, bad_din);
    CHECK_CLOSE(dot(out, r, np), dot(in, din, n), 1e-12, "pad2d adjoint");
    free(in), free(out), free(r), free(din);
}

static void test_pad2d(void) {
    check_pad(2, 3, 5, 7, 1);
    check_pad(1, 1, 1, 1, 2);
    check_pad(4, 8, 14, 14, 1);
    check_pad(2, 2, 3, 4, 0);
}

static void check_gap(int B, int C, int S) {
    size_t n = (size_t)B * C * S, no = (size_t)B * C;
    float *in = fill(alloc(n), n, -1.0f, 3.0f), *out = alloc(no), *r = rand_array(no);
    float *din = fill(alloc(n), n, NAN, NAN);
    gap_forward(out, in, B, C, S);
    gap_backward(din, r, B, C, S);
    for (size_t bc = 0; bc < no; bc++) {
        double m = 0;
        for (int s = 0; s < S; s++)
            m += in[bc * S + s];
        CHECK_CLOSE(out[bc], m / S, 1e-6, "gap_forward");
        for (int s = 0; s < S; s++)
            CHECK(din[bc * S + s] == r[bc] / (float)S, "gap_backward at %zu", bc * S + s);
    }
    CHECK_CLOSE(dot(out, r, no), dot(in, din, n), 1e-6, "gap adjoint");
    free(in), free(out), free(r), free(din);
}

static void test_gap(void) {
    check_gap(3, 4, 5);
    check_gap(2, 16, 49);
    check_gap(5, 3, 1);
}

/* ---- convolutions at K = 3 on padded inputs --------------------------------------------- */

/* A "same" 3x3 convolution as the network will run it: the unpadded input [B][IC][H][W] padded
 * by 1, then conv2d_forward/_backward at K = 3, against the references to 1e-5 of the tensor's
 * scale, din included; then din through pad2d_backward against the reference's. */
static void compare_same_conv(int B, int IC, int H, int W, int OC) {
    enum { K = 3 };
    int PH = H + 2, PW = W + 2;
    size_t nin = (size_t)B * IC * H * W, npad = (size_t)B * IC * PH * PW;
    size_t nw = (size_t)OC * IC * K * K, nout = (size_t)B * OC * H * W;
    float *x = rand_array(nin), *in = alloc(npad), *w = rand_array(nw), *b = rand_array(OC);
    float *g = rand_array(nout), *out = alloc(nout), *out_ref = alloc(nout);
    float *scratch = alloc(conv2d_scratch_floats(B, IC, PH, PW, OC, K));
    pad2d_forward(in, x, B, IC, H, W, 1);
    conv2d_forward(out, in, w, b, B, IC, PH, PW, OC, K, scratch);
    conv2d_forward_ref(out_ref, in, w, b, B, IC, PH, PW, OC, K, NULL);
    check_arrays(out, out_ref, nout, 1e-5, "conv2d_forward K=3");

    float *dw = rand_array(nw), *dw_ref = copy_of(dw, nw);
    float *db = rand_array(OC), *db_ref = copy_of(db, OC);
    float *din = fill(alloc(npad), npad, 1e30f, 1e30f);
    float *din_ref = fill(alloc(npad), npad, -1e30f, -1e30f);
    conv2d_backward(din, dw, db, g, in, w, B, IC, PH, PW, OC, K, scratch);
    conv2d_backward_ref(din_ref, dw_ref, db_ref, g, in, w, B, IC, PH, PW, OC, K, NULL);
    check_arrays(dw, dw_ref, nw, 1e-5, "conv2d_backward K=3 dw");
    check_arrays(db, db_ref, OC, 1e-5, "conv2d_backward K=3 db");
    check_arrays(din, din_ref, npad, 1e-5, "conv2d_backward K=3 din");

    float *dx = alloc(nin), *dx_ref = alloc(nin);
    pad2d_backward(dx, din, B, IC, H, W, 1);
    pad2d_backward(dx_ref, din_ref, B, IC, H, W, 1);
    check_arrays(dx, dx_ref, nin, 1e-5, "same conv dx");
    free(x), free(in), free(w), free(b), free(g), free(out), free(out_ref), free(scratch);
    free(dw), free(dw_ref), free(db), free(db_ref), free(din), free(din_ref), free(dx);
    free(dx_ref);
}

static void test_conv3_padded_matches_ref(void) {
    compare_same_conv(4, 8, 14, 14, 8);  /* 16x16 padded */
    compare_same_conv(4, 1, 28, 28, 8);  /* 30x30 padded, a first layer */
    compare_same_conv(4, 8, 7, 7, 16);   /* 9x9 padded */
    compare_same_conv(1, 8, 14, 14, 8);  /* batch sizes 1 and odd */
    compare_same_conv(3, 16, 7, 7, 16);
}

int main(void) {
    rng_state = 2024u;
    RUN(test_grad_batchnorm);
    RUN(test_batchnorm_stats);
    RUN(test_batchnorm_infer_matches_train);
    RUN(test_batchnorm_accumulates);
    RUN(test_aliasing);
    RUN(test_pad2d);
    RUN(test_gap);
    RUN(test_conv3_padded_matches_ref);
    return check_summary("norm");
}
