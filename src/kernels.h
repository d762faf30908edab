/* kernels.h - the layer kernels: one forward and one backward function per layer.
 *
 * Tensors are float, batch-major, NCHW; dense weights are [out][in] (PyTorch's layout).
 * Backward functions ACCUMULATE (+=) into weight and bias gradients and OVERWRITE (=) input
 * gradients. A NULL input-gradient pointer means "not needed" (the first layer).
 * Each sample's result is computed in a fixed order that does not depend on the batch size, so
 * evaluating in batches of any size gives the same bits.
 *
 * kernels.c holds the vectorised versions (simd.h: wasm SIMD128 under __wasm_simd128__, a
 * portable 4-lane path elsewhere); kernels_ref.c holds plain scalar references with the same
 * signatures and a _ref suffix, used by the tests.
 */
#ifndef LN_KERNELS_H
#define LN_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* Floats of scratch memory conv2d_forward/_backward need for batch B. The caller allocates it
 * (malloc, not a float array: part of it holds int offsets); its size does not grow with B. */
size_t conv2d_scratch_floats(int B, int IC, int H, int W, int OC, int K);

/* in [B][IC][H][W], w [OC][IC][K][K], b [OC] -> out [B][OC][H-K+1][W-K+1] (valid, stride 1) */
void conv2d_forward(float *out, const float *in, const float *w, const float *b, int B, int IC,
                    int H, int W, int OC, int K, float *scratch);
/* dout [B][OC][OH][OW] -> din [B][IC][H][W] (may be NULL), dw [OC][IC][K][K] +=, db [OC] += */
void conv2d_backward(float *din, float *dw, float *db, const float *dout, const float *in,
                     const float *w, int B, int IC, int H, int W, int OC, int K, float *scratch);

/* in [B][C][H][W] -> out [B][C][H/2][W/2], mean of each 2x2 window (H, W even) */
void avgpool2_forward(float *out, const float *in, int B, int C, int H, int W);
void avgpool2_backward(float *din, const float *dout, int B, int C, int H, int W);

/* in [B][C][H][W] -> out [B][C][H/2][W/2], max of each 2x2 window; arg [B][C][H/2][W/2] keeps
 * the winner's position in its window (0..3, row-major; the first maximum wins ties) */
void maxpool2_forward(float *out, uint8_t *arg, const float *in, int B, int C, int H, int W);
void maxpool2_backward(float *din, const float *dout, const uint8_t *arg, int B, int C, int H,
                       int W);

/* in [B][IN], w [OUT][IN], b [OUT] -> out [B][OUT] */
void dense_forward(float *out, const float *in, const float *w, const float *b, int B, int IN,
                   int OUT);
/* dout [B][OUT] -> din [B][IN] (may be NULL), dw [OUT][IN] +=, db [OUT] += */
void dense_backward(float *din, float *dw, float *db, const float *dout, const float *in,
                    const float *w, int B, int IN, int OUT);

/* Activations, elementwise over n values; act is an ln_activation. out may alias in. */
void act_forward(float *out, const float *in, int n, int act);
/* From the activation's OUTPUT y: relu' = (y > 0), tanh' = 1 - y^2, sigmoid' = y(1 - y).
 * din may alias dout. */
void act_backward(float *din, const float *dout, const float *y, int n, int act);

/* Inverted dropout with a precomputed mask of 0 or 1/(1-p): out = in * mask. Aliasing allowed. */
void dropout_forward(float *out, const float *in, const float *mask, int n);
void dropout_backward(float *din, const float *dout, const float *mask, int n);

/* logits [B][C] -> probs [B][C] (numerically stable softmax); losses [B] = -log p[label]
 * (computed from the log-sum-exp, never log(0)). */
void softmax_xent_forward(float *probs, float *losses, const float *logits,
                          const uint8_t *labels, int B, int C);
/* dlogits [B][C] = (probs - onehot(label)) * scale; the trainer passes scale = 1/B for a mean */
void softmax_xent_backward(float *dlogits, const float *probs, const uint8_t *labels, int B,
                           int C, float scale);

/* ---- batch normalisation, zero padding, global average pooling, residual add (kernels_norm.c) */
/* Batch normalisation's training pass is the one exception to batch-size independence: its
 * statistics are the batch's by definition. */

/* Batch normalisation over [B][C][S] (S = H*W after a conv, 1 after a dense layer), per channel
 * c over its B*S values, Keras semantics: mean and BIASED variance of the batch;
 * out = gamma * xhat + beta, xhat = (in - mean) / sqrt(var + eps).
 * Training: writes xhat [B][C][S] (kept for the backward pass), mean [C], var [C].
 * out may alias in. */
void batchnorm_forward_train(float *out, float *xhat, float *mean, float *var, const float *in,
                             const float *gamma, const float *beta, int B, int C, int S,
                             float eps);
/* Inference: the same map with the moving mean and variance; each sample on its own.
 * out may alias in. */
void batchnorm_forward_infer(float *out, const float *in, const float *gamma, const float *beta,
                             const float *mean, const float *var, int B, int C, int S, float eps);
/* dout [B][C][S] -> din [B][C][S] (may be NULL; may alias dout), dgamma [C] +=, dbeta [C] +=,
 * from the training pass's xhat and var:
 * din = gamma * inv_std / N * (N*dout - sum(dout) - xhat * sum(dout*xhat)), N = B*S */
void batchnorm_backward(float *din, float *dgamma, float *dbeta, const float *dout,
                        const float *xhat, const float *gamma, const float *var, int B, int C,
                        int S, float eps);

/* Zero padding: in [B][C][H][W] -> out [B][C][H+2P][W+2P] (a "same" 3x3 conv is pad 1 then a
 * valid conv) */
void pad2d_forward(float *out, const float *in, int B, int C, int H, int W, int P);
/* dout [B][C][H+2P][W+2P] -> din [B][C][H][W]: the centre, the border's gradient dropped */
void pad2d_backward(float *din, const float *dout, int B, int C, int H, int W, int P);

/* Global average pooling: in [B][C][S] -> out [B][C], mean over S */
void gap_forward(float *out, const float *in, int B, int C, int S);
void gap_backward(float *din, const float *dout, int B, int C, int S);

/* Residual add: out = a + b over n values (out may alias a or b). Its backward is the identity to
 * both inputs, so callers add the incoming gradient where the skip started. */
void add_forward(float *out, const float *a, const float *b, int n);

/* Scalar references: the same contracts, plainly written. */
size_t conv2d_scratch_floats_ref(int B, int IC, int H, int W, int OC, int K);
void conv2d_forward_ref(float *out, const float *in, const float *w, const float *b, int B,
                        int IC, int H, int W, int OC, int K, float *scratch);
void conv2d_backward_ref(float *din, float *dw, float *db, const float *dout, const float *in,
                         const float *w, int B, int IC, int H, int W, int OC, int K,
                         float *scratch);
void avgpool2_forward_ref(float *out, const float *in, int B, int C, int H, int W);
void avgpool2_backward_ref(float *din, const float *dout, int B, int C, int H, int W);
void maxpool2_forward_ref(float *out, uint8_t *arg, const float *in, int B, int C, int H, int W);
void maxpool2_backward_ref(float *din, const float *dout, const uint8_t *arg, int B, int C,
                           int H, int W);
void dense_forward_ref(float *out, const float *in, const float *w, const float *b, int B,
                       int IN, int OUT);
void dense_backward_ref(float *din, float *dw, float *db, const float *dout, const float *in,
                        const float *w, int B, int IN, int OUT);
void act_forward_ref(float *out, const float *in, int n, int act);
void act_backward_ref(float *din, const float *dout, const float *y, int n, int act);
void softmax_xent_forward_ref(float *probs, float *losses, const float *logits,
                              const uint8_t *labels, int B, int C);
void softmax_xent_backward_ref(float *dlogits, const float *probs, const uint8_t *labels, int B,
                               int C, float scale);

#endif
