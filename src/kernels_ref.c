/* kernels_ref.c - plain scalar versions of the kernels in kernels.h, written for obviousness
 * rather than speed. The tests hold the vectorised kernels to these. Sums run in double, so
 * over thousands of terms the reference is the more accurate side. */
#include <math.h>
#include <string.h>

#include "kernels.h"
#include "lenet.h"

size_t conv2d_scratch_floats_ref(int B, int IC, int H, int W, int OC, int K) {
    (void)B, (void)IC, (void)H, (void)W, (void)OC, (void)K;
    return 0;
}

/* in [B][IC][H][W], w [OC][IC][K][K], b [OC] -> out [B][OC][OH][OW] */
void conv2d_forward_ref(float *out, const float *in, const float *w, const float *b, int B,
                        int IC, int H, int W, int OC, int K, float *scratch) {
    (void)scratch;
    int OH = H - K + 1, OW = W - K + 1;
    for (int n = 0; n < B; n++)
        for (int oc = 0; oc < OC; oc++)
            for (int y = 0; y < OH; y++)
                for (int x = 0; x < OW; x++) {
                    double s = b[oc];
                    for (int ic = 0; ic < IC; ic++)
                        for (int ky = 0; ky < K; ky++)
                            for (int kx = 0; kx < K; kx++)
                                s += (double)w[((oc * IC + ic) * K + ky) * K + kx] *
                                     in[((n * IC + ic) * H + y + ky) * W + x + kx];
                    out[((n * OC + oc) * OH + y) * OW + x] = (float)s;
                }
}

/* dout [B][OC][OH][OW] -> din [B][IC][H][W] (may be NULL), dw [OC][IC][K][K] +=, db [OC] += */
void conv2d_backward_ref(float *din, float *dw, float *db, const float *dout, const float *in,
                         const float *w, int B, int IC, int H, int W, int OC, int K,
                         float *scratch) {
    (void)scratch;
    int OH = H - K + 1, OW = W - K + 1;
    for (int oc = 0; oc < OC; oc++) {
        double s = 0;
        for (int n = 0; n < B; n++)
            for (int p = 0; p < OH * OW; p++)
                s += dout[(n * OC + oc) * OH * OW + p];
        db[oc] += (float)s;
    }
    for (int oc = 0; oc < OC; oc++)
        for (int ic = 0; ic < IC; ic++)
            for (int ky = 0; ky < K; ky++)
                for (int kx = 0; kx < K; kx++) {
                    double s = 0;
                    for (int n = 0; n < B; n++)
                        for (int y = 0; y < OH; y++)
                            for (int x = 0; x < OW; x++)
                                s += (double)dout[((n * OC + oc) * OH + y) * OW + x] *
                                     in[((n * IC + ic) * H + y + ky) * W + x + kx];
                    dw[((oc * IC + ic) * K + ky) * K + kx] += (float)s;
                }
    if (!din)
        return;
    /* each input pixel gathers from the outputs whose window covers it */
    for (int n = 0; n < B; n++)
        for (int ic = 0; ic < IC; ic++)
            for (int iy = 0; iy < H; iy++)
                for (int ix = 0; ix < W; ix++) {
                    double s = 0;
                    for (int oc = 0; oc < OC; oc++)
                        for (int ky = 0; ky < K; ky++)
                            for (int kx = 0; kx < K; kx++) {
                                int y = iy - ky, x = ix - kx;
                                if (y >= 0 && y < OH && x >= 0 && x < OW)
                                    s += (double)dout[((n * OC + oc) * OH + y) * OW + x] *
                                         w[((oc * IC + ic) * K + ky) * K + kx];
                            }
                    din[((n * IC + ic) * H + iy) * W + ix] = (float)s;
                }
}

/* in [B][C][H][W] -> out [B][C][H/2][W/2] */
void avgpool2_forward_ref(float *out, const float *in, int B, int C, int H, int W) {
    for (int p = 0; p < B * C; p++)
        for (int y = 0; y < H / 2; y++)
            for (int x = 0; x < W / 2; x++) {
                const float *r0 = in + (p * H + 2 * y) * W + 2 * x, *r1 = r0 + W;
                out[(p * (H / 2) + y) * (W / 2) + x] = 0.25f * ((r0[0] + r0[1]) + (r1[0] + r1[1]));
            }
}

/* dout [B][C][H/2][W/2] -> din [B][C][H][W] */
void avgpool2_backward_ref(float *din, const float *dout, int B, int C, int H, int W) {
    for (int p = 0; p < B * C; p++)
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                din[(p * H + y) * W + x] = 0.25f * dout[(p * (H / 2) + y / 2) * (W / 2) + x / 2];
}

/* in [B][C][H][W] -> out, arg [B][C][H/2][W/2] */
void maxpool2_forward_ref(float *out, uint8_t *arg, const float *in, int B, int C, int H, int W) {
    for (int p = 0; p < B * C; p++)
        for (int y = 0; y < H / 2; y++)
            for (int x = 0; x < W / 2; x++) {
                int o = (p * (H / 2) + y) * (W / 2) + x, best = 0;
                const float *r = in + (p * H + 2 * y) * W + 2 * x;
                float v[4] = {r[0], r[1], r[W], r[W + 1]};
                for (int i = 1; i < 4; i++)
                    if (v[i] > v[best])
                        best = i;
                out[o] = v[best];
                arg[o] = (uint8_t)best;
            }
}

/* dout, arg [B][C][H/2][W/2] -> din [B][C][H][W] */
void maxpool2_backward_ref(float *din, const float *dout, const uint8_t *arg, int B, int C,
                           int H, int W) {
    memset(din, 0, sizeof(float) * (size_t)B * C * H * W);
    for (int p = 0; p < B * C; p++)
        for (int y = 0; y < H / 2; y++)
            for (int x = 0; x < W / 2; x++) {
                int o = (p * (H / 2) + y) * (W / 2) + x;
                din[(p * H + 2 * y + arg[o] / 2) * W + 2 * x + arg[o] % 2] = dout[o];
            }
}

/* in [B][IN], w [OUT][IN], b [OUT] -> out [B][OUT] */
void dense_forward_ref(float *out, const float *in, const float *w, const float *b, int B,
                       int IN, int OUT) {
    for (int n = 0; n < B; n++)
        for (int o = 0; o < OUT; o++) {
            double s = b[o];
            for (int i = 0; i < IN; i++)
                s += (double)w[o * IN + i] * in[n * IN + i];
            out[n * OUT + o] = (float)s;
        }
}

/* dout [B][OUT] -> din [B][IN] (may be NULL), dw [OUT][IN] +=, db [OUT] += */
void dense_backward_ref(float *din, float *dw, float *db, const float *dout, const float *in,
                        const float *w, int B, int IN, int OUT) {
    for (int o = 0; o < OUT; o++) {
        double sb = 0;
        for (int n = 0; n < B; n++)
            sb += dout[n * OUT + o];
        db[o] += (float)sb;
        for (int i = 0; i < IN; i++) {
            double s = 0;
            for (int n = 0; n < B; n++)
                s += (double)dout[n * OUT + o] * in[n * IN + i];
            dw[o * IN + i] += (float)s;
        }
    }
    for (int n = 0; n < B && din; n++)
        for (int i = 0; i < IN; i++) {
            double s = 0;
            for (int o = 0; o < OUT; o++)
                s += (double)dout[n * OUT + o] * w[o * IN + i];
            din[n * IN + i] = (float)s;
        }
}

void act_forward_ref(float *out, const float *in, int n, int act) {
    for (int i = 0; i < n; i++) {
        float x = in[i];
        if (act == LN_ACT_RELU)
            out[i] = x < 0 ? 0 : x; /* a NaN passes through */
        else if (act == LN_ACT_TANH)
            out[i] = tanhf(x);
        else /* exp of a non-positive number only: no overflow */
            out[i] = x >= 0 ? 1 / (1 + expf(-x)) : expf(x) / (1 + expf(x));
    }
}

void act_backward_ref(float *din, const float *dout, const float *y, int n, int act) {
    for (int i = 0; i < n; i++) {
        if (act == LN_ACT_RELU)
            din[i] = y[i] > 0 ? dout[i] : 0;
        else if (act == LN_ACT_TANH)
            din[i] = dout[i] * (1 - y[i] * y[i]);
        else
            din[i] = dout[i] * (y[i] * (1 - y[i]));
    }
}

/* logits [B][C] -> probs [B][C], losses [B] */
void softmax_xent_forward_ref(float *probs, float *losses, const float *logits,
                              const uint8_t *labels, int B, int C) {
    for (int n = 0; n < B; n++) {
        const float *z = logits + n * C;
        float m = z[0], s = 0;
        for (int c = 1; c < C; c++)
            m = fmaxf(m, z[c]);
        for (int c = 0; c < C; c++)
            s += expf(z[c] - m);
        for (int c = 0; c < C; c++)
            probs[n * C + c] = expf(z[c] - m) / s;
        losses[n] = logf(s) - (z[labels[n]] - m);
    }
}

/* probs [B][C] -> dlogits [B][C] */
void softmax_xent_backward_ref(float *dlogits, const float *probs, const uint8_t *labels, int B,
                               int C, float scale) {
    for (int n = 0; n < B; n++)
        for (int c = 0; c < C; c++)
            dlogits[n * C + c] = (probs[n * C + c] - (c == labels[n])) * scale;
}
