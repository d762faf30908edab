/* kernels.c - the layer kernels of kernels.h, vectorised through simd.h.
 *
 * Convolutions and the dense backward pass are small matrix products done by one register-
 * blocked GEMM micro-kernel (gemm_tile). A convolution reads its input windows in place (an
 * implicit im2col) and runs sample by sample, so its scratch does not grow with the batch and
 * a sample's bits never depend on its neighbours.
 * Every output element is reduced in one fixed order whatever tile, batch position or tail
 * handles it, which is what makes results independent of the batch size.
 */
#include <math.h>
#include <string.h>

#include "kernels.h"
#include "lenet.h"
#include "simd.h"

/* The tile helpers take their sizes as arguments; forced inlining turns them into constants,
 * so loops unroll and the accumulator arrays live in registers. */
#define INLINE static inline __attribute__((always_inline))

/* ---- GEMM ------------------------------------------------------------------------------- */

/* A micro-tile is MR rows x NV vectors of 4 columns. V8 on x86-64 allocates 15 vector
 * registers and needs one more for each product before it is added, so MR*NV accumulators,
 * NV + 1 operands and that temporary must fit in 15: a 6 x 2 tile spills accumulators to the
 * stack inside the inner loop, a 4 x 2 tile does not. */
enum { MR = 4, NV = 2, KC = 256 };

/* A packed strip holds MR rows of A column by column, ap[k*MR + i], zero past the last row, so
 * the micro-kernel reads its MR multipliers at fixed offsets from one pointer. */
static void pack_strip(float *ap, const float *a, int sam, int sak, int mr, int K) {
    for (int k = 0; k < K; k++)
        for (int i = 0; i < MR; i++)
            ap[k * MR + i] = i < mr ? a[i * sam + k * sak] : 0.0f;
}

/* Floats that pack_a needs for an M x K operand. */
static size_t packed_floats(int M, int K) { return (size_t)(M + MR - 1) / MR * MR * K; }

/* A [M][K], a(m,k) at a[m*sam + k*sak] -> ap, strip after strip */
static void pack_a(float *ap, const float *a, int sam, int sak, int M, int K) {
    for (int m = 0; m < M; m += MR, ap += (size_t)MR * K)
        pack_strip(ap, a + m * sam, sam, sak, M - m < MR ? M - m : MR, K);
}

/* The B operand is given as rows: row k starts at b + boff[k]. For a plain matrix boff[k] is
 * k * ldb; for a convolution it is the offset of weight k's window, so B is the im2col matrix
 * without ever being written out. */

/* Row i of an output starts at c + crow[i], or at c + i*ldc when crow is NULL. */
INLINE float *row_at(float *c, int ldc, const int *crow, int i) {
    return c + (crow ? crow[i] : i * ldc);
}

/* c [mr][4*nv] (rows as row_at) = (acc ? c : bias) + ap x B over K, for constant mr and nv */
INLINE void gemm_tile(int nv, int mr, float *c, int ldc, const int *crow, const float *ap,
                      const float *b, const int *boff, int K, const float *bias, int acc) {
    v4f t[MR][NV];
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nv; j++)
            t[i][j] = acc ? v4f_load(row_at(c, ldc, crow, i) + 4 * j)
                          : v4f_splat(bias ? bias[i] : 0.0f);
    for (int k = 0; k < K; k++, ap += MR) {
        const float *bk = b + boff[k];
        v4f bv[NV];
        for (int j = 0; j < nv; j++)
            bv[j] = v4f_load(bk + 4 * j);
        for (int i = 0; i < mr; i++) {
            v4f ai = v4f_splat(ap[i]);
            for (int j = 0; j < nv; j++)
                t[i][j] = v4f_add(t[i][j], v4f_mul(ai, bv[j]));
        }
    }
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nv; j++)
            v4f_store(row_at(c, ldc, crow, i) + 4 * j, t[i][j]);
}

/* One strip of mr rows (a constant) across all N columns: full tiles, a one-vector tile, then
 * the last N % 4 columns scalar, in the operation order of a vector lane. */
INLINE void gemm_strip(int mr, float *c, int ldc, const int *crow, const float *ap,
                       const float *b, const int *boff, int N, int K, const float *bias,
                       int acc) {
    int n = 0;
    for (; n + 4 * NV <= N; n += 4 * NV)
        gemm_tile(NV, mr, c + n, ldc, crow, ap, b + n, boff, K, bias, acc);
    for (; n + 4 <= N; n += 4)
        gemm_tile(1, mr, c + n, ldc, crow, ap, b + n, boff, K, bias, acc);
    for (; n < N; n++)
        for (int i = 0; i < mr; i++) {
            float *ci = row_at(c, ldc, crow, i) + n;
            float s = acc ? *ci : bias ? bias[i] : 0.0f;
            for (int k = 0; k < K; k++)
                s = s + ap[k * MR + i] * b[boff[k] + n];
            *ci = s;
        }
}

/* c [M][N] (row stride ldc) = (acc ? c : bias[m]) + A x B, A packed by pack_a, B [K][N] in
 * rows at b + boff[k]. Each element is summed over k in increasing order. A last strip of
 * fewer than MR rows gets its own tile, so no work is spent on padding rows. */
static void gemm_packed(float *c, int ldc, const float *ap, const float *b, const int *boff,
                        int M, int N, int K, const float *bias, int acc) {
    for (int m = 0; m < M; m += MR, ap += (size_t)MR * K, c += (size_t)MR * ldc) {
        const float *bm = bias ? bias + m : NULL;
        switch (M - m < MR ? M - m : MR) {
        case 1: gemm_strip(1, c, ldc, NULL, ap, b, boff, N, K, bm, acc); break;
        case 2: gemm_strip(2, c, ldc, NULL, ap, b, boff, N, K, bm, acc); break;
        case 3: gemm_strip(3, c, ldc, NULL, ap, b, boff, N, K, bm, acc); break;
        default: gemm_strip(MR, c, ldc, NULL, ap, b, boff, N, K, bm, acc); break;
        }
    }
}

/* The same product with A read in place, a(m,k) at a[m*sam + k*sak] (so a transposed operand
 * needs no copy), and B a plain matrix [K][N] with row stride ldb. A is packed a strip and KC
 * columns at a time on the stack; continuing a sum through memory does not change it, so
 * chunking keeps the order. */
static void gemm(float *c, int ldc, const float *a, int sam, int sak, const float *b, int ldb,
                 int M, int N, int K, const float *bias, int acc) {
    float ap[MR * KC];
    int boff[KC];
    for (int k = 0; k < KC; k++)
        boff[k] = k * ldb;
    for (int m = 0; m < M; m += MR) {
        int mr = M - m < MR ? M - m : MR;
        for (int k = 0; k < K; k += KC) {
            int kc = K - k < KC ? K - k : KC;
            pack_strip(ap, a + m * sam + k * sak, sam, sak, mr, kc);
            gemm_packed(c + m * ldc, ldc, ap, b + (size_t)k * ldb, boff, mr, N, kc,
                        bias ? bias + m : NULL, acc || k > 0);
        }
    }
}

/* acc [ma][4][4 lanes] (row stride 4*ldacc floats) += a [ma][OH*OW] x B [4][OH*OW]^T, lane by
 * lane. Rows of a are at stride lda; B row j holds the OH x OW window at b + boff[j] in an
 * image of row stride W. Lane l sums the products at x = l mod 4 of every row, a row's last
 * OW % 4 columns (when tail is set) in a zero-padded vector whose extra lanes add exact zeros. */
INLINE void lanes_tile(int ma, int tail, float *acc, int ldacc, const float *a, int lda,
                       const float *b, const int *boff, int OH, int OW, int W) {
    v4f t[2][4];
    for (int i = 0; i < ma; i++)
        for (int j = 0; j < 4; j++)
            t[i][j] = v4f_load(acc + 4 * (i * ldacc + j));
    const float *b0 = b + boff[0], *b1 = b + boff[1], *b2 = b + boff[2], *b3 = b + boff[3];
    for (int y = 0; y < OH; y++, a += OW, b0 += W, b1 += W, b2 += W, b3 += W) {
        const float *bj[4] = {b0, b1, b2, b3};
        int x = 0;
        for (; x + 4 <= OW; x += 4) {
            v4f ai[2];
            for (int i = 0; i < ma; i++)
                ai[i] = v4f_load(a + i * lda + x);
            for (int j = 0; j < 4; j++) {
                v4f bv = v4f_load(bj[j] + x);
                for (int i = 0; i < ma; i++)
                    t[i][j] = v4f_add(t[i][j], v4f_mul(ai[i], bv));
            }
        }
        if (tail && x < OW) {
            float ta[2][4] = {{0}}, tb[4] = {0};
            for (int i = 0; i < ma; i++)
                memcpy(ta[i], a + i * lda + x, sizeof(float) * (OW - x));
            for (int j = 0; j < 4; j++) {
                memcpy(tb, bj[j] + x, sizeof(float) * (OW - x));
                for (int i = 0; i < ma; i++)
                    t[i][j] = v4f_add(t[i][j], v4f_mul(v4f_load(ta[i]), v4f_load(tb)));
            }
        }
    }
    for (int i = 0; i < ma; i++)
        for (int j = 0; j < 4; j++)
            v4f_store(acc + 4 * (i * ldacc + j), t[i][j]);
}

/* acc [M][N4][4 lanes] += lane-wise partial sums of a [M][OH*OW] x B [N4][OH*OW]^T, B as in
 * lanes_tile (N4 a multiple of 4); v4f_hsum of an entry finishes its dot product. tail is 0
 * when OW is a multiple of 4. */
INLINE void lanes_rows(int tail, float *acc, const float *a, int lda, const float *b,
                       const int *boff, int M, int N4, int OH, int OW, int W) {
    int m = 0;
    for (; m + 2 <= M; m += 2)
        for (int n = 0; n < N4; n += 4)
            lanes_tile(2, tail, acc + 4 * ((size_t)m * N4 + n), N4, a + m * lda, lda, b,
                       boff + n, OH, OW, W);
    for (; m < M; m++)
        for (int n = 0; n < N4; n += 4)
            lanes_tile(1, tail, acc + 4 * ((size_t)m * N4 + n), N4, a + m * lda, lda, b,
                       boff + n, OH, OW, W);
}

/* The same for any OW. The tail code, even never run, makes V8 spill the accumulators once per
 * row, so rows of a multiple of 4 get a copy without it, and rows of 8 (conv2's) one where the
 * width is a constant too. (A constant 24, conv1's, is slower: the unrolled row holds too many
 * loads at once.) */
static void gemm_lanes(float *acc, const float *a, int lda, const float *b, const int *boff,
                       int M, int N4, int OH, int OW, int W) {
    if (OW == 8)
        lanes_rows(0, acc, a, lda, b, boff, M, N4, OH, 8, W);
    else if (OW % 4 == 0)
        lanes_rows(0, acc, a, lda, b, boff, M, N4, OH, OW, W);
    else
        lanes_rows(1, acc, a, lda, b, boff, M, N4, OH, OW, W);
}

/* x [n] -> sum, lanes first then the scalar tail */
static float sum_floats(const float *x, int n) {
    v4f s = v4f_splat(0.0f);
    int i = 0;
    for (; i + 4 <= n; i += 4)
        s = v4f_add(s, v4f_load(x + i));
    float r = v4f_hsum(s);
    for (; i < n; i++)
        r += x[i];
    return r;
}

/* ---- convolution ------------------------------------------------------------------------ */

static int round4(int n) { return (n + 3) & ~3; }

/* The input gradient is the product w^T [R][OC] x dout [OC][OH*OW] whose row r, taken one output
 * row y at a time, is added along weight r's window (col2im folded into the GEMM's stores, which
 * saves writing and rereading the R x OH*OW product). A tile's rows are loaded, summed into and
 * stored together, so no two rows of a strip may write the same input row: rows go in
 * (kx, ic, ky) order, where rows sharing (ic, ky) are IC*K apart, and strips are at most that
 * high. Each input sums its contributions in that fixed row order. */
static int din_strip_rows(int IC, int K) { return K > 1 && IC * K < MR ? IC * K : MR; }

/* With R = IC*K*K, R4 = R rounded up to a multiple of 4 and h = din_strip_rows: forward needs
 * the packed weights and the window offsets; backward the weight-gradient lanes [OC][R4][4],
 * the transposed weights packed in strips of h rows, the offsets, the row order and the rows'
 * window offsets. Nothing grows with the batch. */
size_t conv2d_scratch_floats(int B, int IC, int H, int W, int OC, int K) {
    (void)B, (void)H, (void)W;
    int R = IC * K * K, R4 = round4(R), h = din_strip_rows(IC, K);
    size_t fwd = packed_floats(OC, R) + R;
    size_t bwd = (size_t)OC * R4 * 4 + (size_t)(R + h - 1) / h * MR * OC + R4 + OC + 2 * R;
    return fwd > bwd ? fwd : bwd;
}

/* off [R4]: where weight (ic,ky,kx)'s window starts in an [IC][H][W] image, 0 past R (those
 * rows of the weight gradient are computed and ignored). Kept in float scratch memory, which
 * holds no declared type, and sizeof(int) == sizeof(float). */
static int *window_offsets(float *mem, int R4, int IC, int H, int W, int K) {
    _Static_assert(sizeof(int) == sizeof(float), "offsets share the float scratch");
    int *off = (int *)mem;
    for (int r = 0; r < R4; r++)
        off[r] = r < IC * K * K ? (r / (K * K)) * H * W + (r / K % K) * W + r % K : 0;
    return off;
}

/* in [B][IC][H][W], w [OC][IC][K][K], b [OC] -> out [B][OC][OH][OW] */
void conv2d_forward(float *out, const float *in, const float *w, const float *b, int B, int IC,
                    int H, int W, int OC, int K, float *scratch) {
    int OH = H - K + 1, OW = W - K + 1, P = OH * OW, R = IC * K * K;
    float *wp = scratch;
    int *off = window_offsets(wp + packed_floats(OC, R), R, IC, H, W, K);
    pack_a(wp, w, R, 1, OC, R);
    for (int n = 0; n < B; n++) {
        float *out_n = out + (size_t)n * OC * P;
        const float *in_n = in + (size_t)n * IC * H * W;
        for (int y = 0; y < OH; y++) /* out_n [OC][y][:] = b + w [OC][R] x col [R][y][:] */
            gemm_packed(out_n + y * OW, P, wp, in_n + y * W, off, OC, OW, R, b, 0);
    }
}

/* dout [B][OC][OH][OW] -> din [B][IC][H][W] (may be NULL), dw [OC][IC][K][K] +=, db [OC] += */
void conv2d_backward(float *din, float *dw, float *db, const float *dout, const float *in,
                     const float *w, int B, int IC, int H, int W, int OC, int K, float *scratch) {
    int OH = H - K + 1, OW = W - K + 1, P = OH * OW, R = IC * K * K, R4 = round4(R);
    int h = din_strip_rows(IC, K);
    float *dwl = scratch, *wtp = dwl + (size_t)OC * R4 * 4;
    int *off = window_offsets(wtp + (size_t)(R + h - 1) / h * MR * OC, R4, IC, H, W, K);
    int *doff = off + R4, *order = doff + OC, *roff = order + R;
    for (int k = 0; k < OC; k++)
        doff[k] = k * P;
    if (din) {
        int i = 0;
        for (int kx = 0; kx < K; kx++)
            for (int ic = 0; ic < IC; ic++)
                for (int ky = 0; ky < K; ky++, i++) {
                    order[i] = (ic * K + ky) * K + kx;
                    roff[i] = off[order[i]];
                }
        /* strip after strip of h rows, wtp[k*MR + i] = w[k][order[m + i]], zero past the end */
        for (int m = 0; m < R; m += h)
            for (int k = 0; k < OC; k++)
                for (int i = 0; i < MR; i++)
                    wtp[(size_t)m / h * MR * OC + k * MR + i] =
                        i < h && m + i < R ? w[k * R + order[m + i]] : 0.0f;
    }
    memset(dwl, 0, sizeof(float) * OC * R4 * 4);
    for (int n = 0; n < B; n++) {
        const float *dout_n = dout + (size_t)n * OC * P, *in_n = in + (size_t)n * IC * H * W;
        for (int oc = 0; oc < OC; oc++)
            db[oc] += sum_floats(dout_n + oc * P, P);
        /* dwl [OC][R4] += dout_n [OC][P] x col [R4][P]^T, in lanes */
        gemm_lanes(dwl, dout_n, P, in_n, off, OC, R4, OH, OW, W);
        if (!din)
            continue;
        /* din_n += (w^T [R][OC] x dout_n [OC][P]) scattered, strip by strip, row y by row y */
        float *din_n = din + (size_t)n * IC * H * W;
        memset(din_n, 0, sizeof(float) * IC * H * W);
        const float *ap = wtp;
        for (int m = 0; m < R; m += h, ap += (size_t)MR * OC)
            for (int y = 0; y < OH; y++) {
                float *c = din_n + y * W;
                const float *b = dout_n + y * OW;
                switch (R - m < h ? R - m : h) {
                case 1: gemm_strip(1, c, 0, roff + m, ap, b, doff, OW, OC, NULL, 1); break;
                case 2: gemm_strip(2, c, 0, roff + m, ap, b, doff, OW, OC, NULL, 1); break;
                case 3: gemm_strip(3, c, 0, roff + m, ap, b, doff, OW, OC, NULL, 1); break;
                default: gemm_strip(MR, c, 0, roff + m, ap, b, doff, OW, OC, NULL, 1); break;
                }
            }
    }
    for (int oc = 0; oc < OC; oc++)
        for (int r = 0; r < R; r++)
            dw[oc * R + r] += v4f_hsum(v4f_load(dwl + 4 * (oc * R4 + r)));
}

/* ---- pooling ---------------------------------------------------------------------------- */

/* in [B][C][H][W] -> out [B][C][H/2][W/2] */
void avgpool2_forward(float *out, const float *in, int B, int C, int H, int W) {
    int OW = W / 2;
    v4f q = v4f_splat(0.25f);
    for (int row = 0; row < B * C * (H / 2); row++, in += 2 * W, out += OW) {
        const float *r0 = in, *r1 = in + W;
        int x = 0;
        for (; x + 4 <= OW; x += 4) {
            v4f a0 = v4f_load(r0 + 2 * x), a1 = v4f_load(r0 + 2 * x + 4);
            v4f b0 = v4f_load(r1 + 2 * x), b1 = v4f_load(r1 + 2 * x + 4);
            v4f top = v4f_add(v4f_even(a0, a1), v4f_odd(a0, a1));
            v4f bot = v4f_add(v4f_even(b0, b1), v4f_odd(b0, b1));
            v4f_store(out + x, v4f_mul(q, v4f_add(top, bot)));
        }
        for (; x < OW; x++)
            out[x] = 0.25f * ((r0[2 * x] + r0[2 * x + 1]) + (r1[2 * x] + r1[2 * x + 1]));
    }
}

/* dout [B][C][H/2][W/2] -> din [B][C][H][W] */
void avgpool2_backward(float *din, const float *dout, int B, int C, int H, int W) {
    int OW = W / 2;
    v4f q = v4f_splat(0.25f);
    for (int row = 0; row < B * C * (H / 2); row++, din += 2 * W, dout += OW) {
        int x = 0;
        for (; x + 4 <= OW; x += 4) {
            v4f g = v4f_mul(q, v4f_load(dout + x));
            v4f lo = v4f_zip_lo(g, g), hi = v4f_zip_hi(g, g);
            v4f_store(din + 2 * x, lo), v4f_store(din + 2 * x + 4, hi);
            v4f_store(din + W + 2 * x, lo), v4f_store(din + W + 2 * x + 4, hi);
        }
        for (x *= 2; x < W; x++)
            din[x] = din[W + x] = 0.25f * dout[x / 2];
    }
}

/* in [B][C][H][W] -> out, arg [B][C][H/2][W/2] */
void maxpool2_forward(float *out, uint8_t *arg, const float *in, int B, int C, int H, int W) {
    int OW = W / 2;
    for (int row = 0; row < B * C * (H / 2); row++, in += 2 * W, out += OW, arg += OW) {
        int x = 0;
        /* four windows at a time, the same comparisons in the same order as below */
        for (; x + 4 <= OW; x += 4) {
            const float *r0 = in + 2 * x, *r1 = in + W + 2 * x;
            v4f a0 = v4f_load(r0), a1 = v4f_load(r0 + 4), b0 = v4f_load(r1), b1 = v4f_load(r1 + 4);
            v4f v[4] = {v4f_even(a0, a1), v4f_odd(a0, a1), v4f_even(b0, b1), v4f_odd(b0, b1)};
            v4f best = v[0], at = v4f_splat(0.0f);
            for (int i = 1; i < 4; i++) {
                v4m win = v4f_gt(v[i], best);
                best = v4f_select(win, v[i], best);
                at = v4f_select(win, v4f_splat((float)i), at);
            }
            v4f_store(out + x, best);
            v4f_store_u8(arg + x, at);
        }
        for (; x < OW; x++) {
            const float *p = in + 2 * x;
            float v[4] = {p[0], p[1], p[W], p[W + 1]};
            int best = 0;
            for (int i = 1; i < 4; i++)
                if (v[i] > v[best])
                    best = i;
            out[x] = v[best];
            arg[x] = (uint8_t)best;
        }
    }
}

/* dout, arg [B][C][H/2][W/2] -> din [B][C][H][W] */
void maxpool2_backward(float *din, const float *dout, const uint8_t *arg, int B, int C, int H,
                       int W) {
    int OW = W / 2;
    for (int row = 0; row < B * C * (H / 2); row++, din += 2 * W, dout += OW, arg += OW)
        for (int x = 0; x < OW; x++) {
            float *p = din + 2 * x;
            p[0] = p[1] = p[W] = p[W + 1] = 0.0f;
            p[(arg[x] >> 1) * W + (arg[x] & 1)] = dout[x];
        }
}

/* ---- dense ------------------------------------------------------------------------------ */

/* out [ms][mo] (row stride OUT) for ms samples x mo outputs: dot products along IN in 4 lanes,
 * then the horizontal sum, the scalar tail and the bias */
INLINE void dense_tile(int ms, int mo, float *out, const float *in, const float *w,
                       const float *b, int IN, int OUT) {
    v4f t[4][2];
    for (int s = 0; s < ms; s++)
        for (int o = 0; o < mo; o++)
            t[s][o] = v4f_splat(0.0f);
    int i = 0;
    for (; i + 4 <= IN; i += 4) {
        v4f wv[2];
        for (int o = 0; o < mo; o++)
            wv[o] = v4f_load(w + o * IN + i);
        for (int s = 0; s < ms; s++) {
            v4f x = v4f_load(in + s * IN + i);
            for (int o = 0; o < mo; o++)
                t[s][o] = v4f_add(t[s][o], v4f_mul(x, wv[o]));
        }
    }
    for (int s = 0; s < ms; s++)
        for (int o = 0; o < mo; o++) {
            float r = v4f_hsum(t[s][o]);
            for (int k = i; k < IN; k++)
                r += in[s * IN + k] * w[o * IN + k];
            out[s * OUT + o] = b[o] + r;
        }
}

/* out [ms][OUT] for ms samples, two outputs at a time */
INLINE void dense_rows(int ms, float *out, const float *in, const float *w, const float *b,
                       int IN, int OUT) {
    int o = 0;
    for (; o + 2 <= OUT; o += 2)
        dense_tile(ms, 2, out + o, in, w + o * IN, b + o, IN, OUT);
    if (o < OUT)
        dense_tile(ms, 1, out + o, in, w + o * IN, b + o, IN, OUT);
}

/* in [B][IN], w [OUT][IN], b [OUT] -> out [B][OUT] */
void dense_forward(float *out, const float *in, const float *w, const float *b, int B, int IN,
                   int OUT) {
    int n = 0;
    for (; n + 4 <= B; n += 4)
        dense_rows(4, out + n * OUT, in + n * IN, w, b, IN, OUT);
    for (; n < B; n++)
        dense_rows(1, out + n * OUT, in + n * IN, w, b, IN, OUT);
}

/* dout [B][OUT] -> din [B][IN] (may be NULL), dw [OUT][IN] +=, db [OUT] += */
void dense_backward(float *din, float *dw, float *db, const float *dout, const float *in,
                    const float *w, int B, int IN, int OUT) {
    for (int n = 0; n < B; n++)
        for (int o = 0; o < OUT; o++)
            db[o] += dout[n * OUT + o];
    /* dw [OUT][IN] += dout^T [OUT][B] x in [B][IN] */
    gemm(dw, IN, dout, 1, OUT, in, IN, OUT, IN, B, NULL, 1);
    /* din [B][IN] = dout [B][OUT] x w [OUT][IN] */
    if (din)
        gemm(din, IN, dout, OUT, 1, w, IN, B, IN, OUT, NULL, 0);
}

/* ---- activations ------------------------------------------------------------------------ */

/* exp(x) for x <= 0, within 2 ulp: x = n ln2 + r with |r| <= ln2/2, a degree-6 polynomial for
 * exp(r), 2^n from the exponent bits. Below -87.3 it returns about 1.2e-38 (2^n must stay a
 * normal number); a NaN stays NaN. */
static v4f v4f_exp_nonpos(v4f x) {
    x = v4f_max(x, v4f_splat(-87.3f));
    /* adding and removing 1.5 * 2^23 rounds to the nearest integer */
    v4f magic = v4f_splat(12582912.0f);
    v4f n = v4f_sub(v4f_add(v4f_mul(x, v4f_splat(1.44269504f)), magic), magic);
    /* ln2 in two parts, the first exact in a few bits, so n * ln2_hi is exact */
    v4f r = v4f_sub(x, v4f_mul(n, v4f_splat(0.693359375f)));
    r = v4f_sub(r, v4f_mul(n, v4f_splat(-2.12194440e-4f)));
    v4f p = v4f_splat(1.9875691500e-4f);
    p = v4f_add(v4f_mul(p, r), v4f_splat(1.3981999507e-3f));
    p = v4f_add(v4f_mul(p, r), v4f_splat(8.3334519073e-3f));
    p = v4f_add(v4f_mul(p, r), v4f_splat(4.1665795894e-2f));
    p = v4f_add(v4f_mul(p, r), v4f_splat(1.6666665459e-1f));
    p = v4f_add(v4f_mul(p, r), v4f_splat(5.0000001201e-1f));
    p = v4f_add(v4f_add(v4f_mul(v4f_mul(p, r), r), r), v4f_splat(1.0f));
    return v4f_mul(p, v4f_pow2i(n));
}

/* tanh from exp(-2|x|), which never overflows; below |x| = 0.625 an odd polynomial keeps the
 * relative accuracy that 1 - e would lose */
static v4f v4f_tanh(v4f x) {
    v4f a = v4f_abs(x), one = v4f_splat(1.0f);
    v4f e = v4f_exp_nonpos(v4f_mul(a, v4f_splat(-2.0f)));
    v4f big = v4f_div(v4f_sub(one, e), v4f_add(one, e));
    v4f z = v4f_mul(a, a);
    v4f p = v4f_splat(-5.70498872745e-3f);
    p = v4f_add(v4f_mul(p, z), v4f_splat(2.06390887954e-2f));
    p = v4f_add(v4f_mul(p, z), v4f_splat(-5.37397155531e-2f));
    p = v4f_add(v4f_mul(p, z), v4f_splat(1.33314422036e-1f));
    p = v4f_add(v4f_mul(p, z), v4f_splat(-3.33332819422e-1f));
    v4f small = v4f_add(v4f_mul(v4f_mul(p, z), a), a);
    v4f t = v4f_select(v4f_lt(a, v4f_splat(0.625f)), small, big);
    return v4f_select(v4f_lt(x, v4f_splat(0.0f)), v4f_sub(v4f_splat(0.0f), t), t);
}

/* 1/(1+e^-x) for x >= 0 and e^x/(1+e^x) below, both from exp(-|x|): safe for any x */
static v4f v4f_sigmoid(v4f x) {
    v4f e = v4f_exp_nonpos(v4f_sub(v4f_splat(0.0f), v4f_abs(x)));
    v4f r = v4f_div(v4f_splat(1.0f), v4f_add(v4f_splat(1.0f), e));
    return v4f_select(v4f_lt(x, v4f_splat(0.0f)), v4f_mul(e, r), r);
}

INLINE v4f act_forward4(v4f x, int act) {
    if (act == LN_ACT_RELU)
        return v4f_max(x, v4f_splat(0.0f));
    return act == LN_ACT_TANH ? v4f_tanh(x) : v4f_sigmoid(x);
}

INLINE v4f act_backward4(v4f d, v4f y, int act) {
    v4f one = v4f_splat(1.0f);
    if (act == LN_ACT_RELU)
        return v4f_select(v4f_gt(y, v4f_splat(0.0f)), d, v4f_splat(0.0f));
    if (act == LN_ACT_TANH)
        return v4f_mul(d, v4f_sub(one, v4f_mul(y, y)));
    return v4f_mul(d, v4f_mul(y, v4f_sub(one, y)));
}

/* The last n % 4 values go through a zero-padded vector, so every value gets the same
 * arithmetic wherever it sits in the batch. */
void act_forward(float *out, const float *in, int n, int act) {
    int i = 0;
    for (; i + 4 <= n; i += 4)
        v4f_store(out + i, act_forward4(v4f_load(in + i), act));
    if (i < n) {
        float t[4] = {0};
        memcpy(t, in + i, sizeof(float) * (n - i));
        v4f_store(t, act_forward4(v4f_load(t), act));
        memcpy(out + i, t, sizeof(float) * (n - i));
    }
}

void act_backward(float *din, const float *dout, const float *y, int n, int act) {
    int i = 0;
    for (; i + 4 <= n; i += 4)
        v4f_store(din + i, act_backward4(v4f_load(dout + i), v4f_load(y + i), act));
    if (i < n) {
        float td[4] = {0}, ty[4] = {0};
        memcpy(td, dout + i, sizeof(float) * (n - i));
        memcpy(ty, y + i, sizeof(float) * (n - i));
        v4f_store(td, act_backward4(v4f_load(td), v4f_load(ty), act));
        memcpy(din + i, td, sizeof(float) * (n - i));
    }
}

/* ---- dropout ---------------------------------------------------------------------------- */

void dropout_forward(float *out, const float *in, const float *mask, int n) {
    int i = 0;
    for (; i + 4 <= n; i += 4)
        v4f_store(out + i, v4f_mul(v4f_load(in + i), v4f_load(mask + i)));
    for (; i < n; i++)
        out[i] = in[i] * mask[i];
}

void dropout_backward(float *din, const float *dout, const float *mask, int n) {
    dropout_forward(din, dout, mask, n);
}

/* ---- softmax and cross-entropy ---------------------------------------------------------- */

/* logits [B][C] -> probs [B][C], losses [B] */
void softmax_xent_forward(float *probs, float *losses, const float *logits,
                          const uint8_t *labels, int B, int C) {
    for (int n = 0; n < B; n++) {
        const float *z = logits + n * C;
        float *p = probs + n * C;
        float m = z[0], s = 0.0f;
        for (int c = 1; c < C; c++)
            m = fmaxf(m, z[c]);
        for (int c = 0; c < C; c += 4) {
            float t[4] = {0};
            int k = C - c < 4 ? C - c : 4;
            for (int j = 0; j < k; j++)
                t[j] = z[c + j] - m;
            v4f_store(t, v4f_exp_nonpos(v4f_load(t)));
            memcpy(p + c, t, sizeof(float) * k);
        }
        for (int c = 0; c < C; c++)
            s += p[c];
        for (int c = 0; c < C; c++)
            p[c] /= s;
        /* -log(e^(z_label - m) / s), with s >= 1: never log(0) */
        losses[n] = logf(s) - (z[labels[n]] - m);
    }
}

/* probs [B][C] -> dlogits [B][C] */
void softmax_xent_backward(float *dlogits, const float *probs, const uint8_t *labels, int B,
                           int C, float scale) {
    for (int n = 0; n < B; n++)
        for (int c = 0; c < C; c++)
            dlogits[n * C + c] = (probs[n * C + c] - (c == labels[n])) * scale;
}
