/* kernels_norm.c - batch normalisation, zero padding, global average pooling and the residual
 * add of kernels.h.
 *
 * Batch-norm statistics and the backward pass's two sums run in double, channel by channel,
 * sample by sample, position by position, so they are deterministic and do not lose precision
 * over a large batch. The per-element maps are plain loops the compiler vectorises.
 */
#include <math.h>
#include <string.h>

#include "kernels.h"

/* ---- batch normalisation ---------------------------------------------------------------- */

/* The training and inference passes both go through this one float computation of 1/sqrt, so
 * inference with the batch's own statistics reproduces training's output bit for bit. */
static float inv_std_of(float var, float eps) { return 1.0f / sqrtf(var + eps); }

/* xhat [B][C][S] (may be NULL) and out [B][C][S] from in, mean [C], var [C]. Each value is read
 * before its outputs are written, so out may alias in. */
static void normalise(float *out, float *xhat, const float *in, const float *gamma,
                      const float *beta, const float *mean, const float *var, int B, int C,
                      int S, float eps) {
    for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++) {
            size_t at = ((size_t)b * C + c) * S;
            float m = mean[c], is = inv_std_of(var[c], eps), g = gamma[c], be = beta[c];
            for (int s = 0; s < S; s++) {
                float xh = (in[at + s] - m) * is;
                if (xhat)
                    xhat[at + s] = xh;
                out[at + s] = g * xh + be;
            }
        }
}

/* in [B][C][S] -> out, xhat [B][C][S], mean [C], var [C] */
void batchnorm_forward_train(float *out, float *xhat, float *mean, float *var, const float *in,
                             const float *gamma, const float *beta, int B, int C, int S,
                             float eps) {
    double N = (double)B * S;
    for (int c = 0; c < C; c++) {
        /* two passes: the variance of the deviations, not E[x^2] - E[x]^2, which cancels */
        double sum = 0, sq = 0;
        for (int b = 0; b < B; b++)
            for (int s = 0; s < S; s++)
                sum += in[((size_t)b * C + c) * S + s];
        double m = sum / N;
        for (int b = 0; b < B; b++)
            for (int s = 0; s < S; s++) {
                double d = in[((size_t)b * C + c) * S + s] - m;
                sq += d * d;
            }
        mean[c] = (float)m;
        var[c] = (float)(sq / N);
    }
    normalise(out, xhat, in, gamma, beta, mean, var, B, C, S, eps);
}

/* in [B][C][S], mean [C], var [C] -> out [B][C][S] */
void batchnorm_forward_infer(float *out, const float *in, const float *gamma, const float *beta,
                             const float *mean, const float *var, int B, int C, int S,
                             float eps) {
    normalise(out, NULL, in, gamma, beta, mean, var, B, C, S, eps);
}

/* dout, xhat [B][C][S] -> din [B][C][S] (may be NULL), dgamma [C] +=, dbeta [C] += */
void batchnorm_backward(float *din, float *dgamma, float *dbeta, const float *dout,
                        const float *xhat, const float *gamma, const float *var, int B, int C,
                        int S, float eps) {
    double N = (double)B * S;
    for (int c = 0; c < C; c++) {
        double sum_d = 0, sum_dx = 0;
        for (int b = 0; b < B; b++)
            for (int s = 0; s < S; s++) {
                size_t i = ((size_t)b * C + c) * S + s;
                sum_d += dout[i];
                sum_dx += (double)dout[i] * xhat[i];
            }
        dbeta[c] += (float)sum_d;
        dgamma[c] += (float)sum_dx;
        if (!din)
            continue;
        /* the header's formula with the 1/N taken inside: the means of dout and dout*xhat
         * are what get subtracted, which keeps every term of the size of dout */
        float k = gamma[c] * inv_std_of(var[c], eps);
        float md = (float)(sum_d / N), mdx = (float)(sum_dx / N);
        for (int b = 0; b < B; b++) {
            size_t at = ((size_t)b * C + c) * S;
            for (int s = 0; s < S; s++)
                din[at + s] = k * (dout[at + s] - md - xhat[at + s] * mdx);
        }
    }
}

/* ---- zero padding ----------------------------------------------------------------------- */

/* in [B][C][H][W] -> out [B][C][H+2P][W+2P] */
void pad2d_forward(float *out, const float *in, int B, int C, int H, int W, int P) {
    int PW = W + 2 * P;
    size_t plane = (size_t)(H + 2 * P) * PW;
    for (int bc = 0; bc < B * C; bc++, in += (size_t)H * W, out += plane) {
        memset(out, 0, sizeof(float) * plane);
        for (int y = 0; y < H; y++)
            memcpy(out + (size_t)(y + P) * PW + P, in + (size_t)y * W, sizeof(float) * W);
    }
}

/* dout [B][C][H+2P][W+2P] -> din [B][C][H][W] */
void pad2d_backward(float *din, const float *dout, int B, int C, int H, int W, int P) {
    int PW = W + 2 * P;
    size_t plane = (size_t)(H + 2 * P) * PW;
    for (int bc = 0; bc < B * C; bc++, din += (size_t)H * W, dout += plane)
        for (int y = 0; y < H; y++)
            memcpy(din + (size_t)y * W, dout + (size_t)(y + P) * PW + P, sizeof(float) * W);
}

/* ---- global average pooling ------------------------------------------------------------- */

/* in [B][C][S] -> out [B][C] */
void gap_forward(float *out, const float *in, int B, int C, int S) {
    for (int bc = 0; bc < B * C; bc++, in += S) {
        double sum = 0;
        for (int s = 0; s < S; s++)
            sum += in[s];
        out[bc] = (float)(sum / S);
    }
}

/* dout [B][C] -> din [B][C][S] */
void gap_backward(float *din, const float *dout, int B, int C, int S) {
    for (int bc = 0; bc < B * C; bc++, din += S) {
        float g = dout[bc] / (float)S;
        for (int s = 0; s < S; s++)
            din[s] = g;
    }
}

/* ---- residual add ----------------------------------------------------------------------- */

/* a [n], b [n] -> out [n] */
void add_forward(float *out, const float *a, const float *b, int n) {
    for (int i = 0; i < n; i++)
        out[i] = a[i] + b[i];
}
