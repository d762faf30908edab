/* trainer.c - a training run as a state machine of small units of work (a step, an evaluation
 * batch, the end of an epoch), so a caller can spread a run over many short calls without the
 * numbers depending on how the calls are grouped. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "diagnostics.h"
#include "model.h"
#include "rng.h"
#include "training.h"

#define EVAL_CHUNK 256
#define TRAIN_EVAL_MAX 10000

/* The activation layers' units (a conv unit is a feature map) and outputs per unit. */
static const int ACT_UNITS[LN_NUM_ACT_LAYERS] = {6, 16, 120, 84};
static const int ACT_PER_UNIT[LN_NUM_ACT_LAYERS] = {24 * 24, 8 * 8, 1, 1};
#define ACT_UNITS_TOTAL (6 + 16 + 120 + 84)

/* The evaluation phases follow each other in this order (eval_chunk steps through them) and
 * share their numbers with ln_phase, which names them in ln_metrics. */
enum {
    PH_TRAIN = LN_PHASE_TRAIN,
    PH_EVAL_TRAIN = LN_PHASE_EVAL_TRAIN,
    PH_EVAL_VAL = LN_PHASE_EVAL_VAL,
    PH_EVAL_TEST = LN_PHASE_EVAL_TEST,
    PH_EPOCH_END,
    PH_FINISH,
    PH_DONE
};

struct ln_trainer {
    ln_config cfg;
    const ln_dataset *train, *test;
    ln_model model;
    /* parameter-shaped buffers, LN_NUM_PARAMS floats each, in one allocation */
    float *params, *grads, *opt_m, *opt_v, *prev_params, *best_params;
    float *mask1, *mask2; /* [max_batch][120], [max_batch][84] */
    uint8_t *labels;      /* [max_batch] */
    int32_t *train_idx;   /* the training subset in its fixed order (evaluation) */
    int32_t *epoch_idx;   /* the same samples, reshuffled each epoch */
    int32_t *val_idx, *test_idx;
    /* predictions of the last complete test evaluation; the one under way fills eval_pred */
    uint8_t *test_pred, *eval_pred, *best_test_pred;
    int train_count, val_count, test_count, train_eval_count;
    float pixel[256]; /* a pixel byte's input value, after scaling and standardisation */
    ln_rng rng_init, rng_shuffle, rng_dropout, rng_augment;
    int phase, cursor; /* cursor: the step within the epoch, or the sample being evaluated */
    double eval_loss;
    long eval_correct;
    long opt_t; /* optimiser steps since its state was reset */
    int wait;   /* early stopping: epochs without improvement */
    /* sums over the current epoch's training steps, for its means and maxima */
    double sum_loss, sum_acc, sum_grad[LN_NUM_LAYERS];
    float max_grad[LN_NUM_LAYERS];
    int epoch_steps;
    /* activation statistics of the training subset's evaluation under way (diag_activations) */
    uint8_t act_alive[ACT_UNITS_TOTAL];
    long act_saturated[LN_NUM_ACT_LAYERS];
    ln_metrics m, best;
};

static int min_int(int a, int b) { return a < b ? a : b; }

/* The indices of a dataset's samples whose digit is in mask, in dataset order. */
static int select_digits(const ln_dataset *d, uint32_t mask, int32_t *out) {
    int n = 0;
    for (int i = 0; i < ln_dataset_count(d); i++)
        if (mask & (1u << ln_dataset_label(d, i))) out[n++] = i;
    return n;
}

static void shuffle(int32_t *idx, int n, ln_rng *rng) {
    for (int i = n - 1; i > 0; i--) {
        int j = (int)rng_below(rng, (uint32_t)i + 1);
        int32_t tmp = idx[i];
        idx[i] = idx[j];
        idx[j] = tmp;
    }
}

/* Splits the training file into validation and training subsets and picks the test samples. */
static ln_status select_samples(ln_trainer *t, ln_error *err) {
    int32_t *all = malloc(sizeof(int32_t) * (size_t)ln_dataset_count(t->train));
    if (!all) return ln_fail(err, LN_E_NOMEM, "no memory for the sample indices");
    int avail = select_digits(t->train, t->cfg.digit_mask, all);
    ln_rng split;
    rng_seed(&split, t->cfg.seed, LN_STREAM_SPLIT);
    shuffle(all, avail, &split);
    t->val_count = min_int(t->cfg.val_size, avail);
    t->train_count = min_int(t->cfg.train_size, avail - t->val_count);
    if (t->train_count < 1) {
        free(all);
        return ln_fail(err, LN_E_ARG, "no training samples are left: %d images have the chosen digits and %d are held out for validation",
                       avail, t->val_count);
    }
    memcpy(t->val_idx, all, sizeof(int32_t) * (size_t)t->val_count);
    memcpy(t->train_idx, all + t->val_count, sizeof(int32_t) * (size_t)t->train_count);
    memcpy(t->epoch_idx, t->train_idx, sizeof(int32_t) * (size_t)t->train_count);
    free(all);
    t->train_eval_count = min_int(t->train_count, TRAIN_EVAL_MAX);
    t->test_count = min_int(t->cfg.test_size, select_digits(t->test, t->cfg.digit_mask, t->test_idx));
    return LN_OK;
}

/* Pixel values after scaling to [0, 1] and, when asked, standardising with the training
 * subset's mean and standard deviation. */
static void compute_pixel_table(ln_trainer *t) {
    double mean = 0.0, inv_std = 1.0;
    if (t->cfg.standardize) {
        double sum = 0.0, sum_sq = 0.0;
        for (int i = 0; i < t->train_count; i++) {
            const uint8_t *img = ln_dataset_image(t->train, t->train_idx[i]);
            for (int p = 0; p < LN_IMAGE_PIXELS; p++) {
                double x = img[p] / 255.0;
                sum += x;
                sum_sq += x * x;
            }
        }
        double n = (double)t->train_count * LN_IMAGE_PIXELS;
        mean = sum / n;
        double var = sum_sq / n - mean * mean;
        inv_std = var > 1e-12 ? 1.0 / sqrt(var) : 1.0;
    }
    for (int p = 0; p < 256; p++) t->pixel[p] = (float)((p / 255.0 - mean) * inv_std);
}

ln_status ln_trainer_create(ln_trainer **out, const ln_config *cfg, const ln_dataset *train,
                            const ln_dataset *test, ln_error *err) {
    if (!out || !cfg || !train || !test) return ln_fail(err, LN_E_ARG, "trainer needs a config and both datasets");
    *out = NULL;
    ln_status s = ln_config_check(cfg, err);
    if (s != LN_OK) return s;
    ln_trainer *t = calloc(1, sizeof *t);
    if (!t) return ln_fail(err, LN_E_NOMEM, "no memory for a trainer");
    t->cfg = *cfg;
    t->train = train;
    t->test = test;
    int max_batch = cfg->batch_size > EVAL_CHUNK ? cfg->batch_size : EVAL_CHUNK;
    size_t ntrain = (size_t)ln_dataset_count(train), ntest = (size_t)ln_dataset_count(test);
    t->params = malloc(sizeof(float) * 6 * LN_NUM_PARAMS);
    t->mask1 = malloc(sizeof(float) * (size_t)max_batch * 120);
    t->mask2 = malloc(sizeof(float) * (size_t)max_batch * 84);
    t->labels = malloc((size_t)max_batch);
    t->train_idx = malloc(sizeof(int32_t) * ntrain);
    t->epoch_idx = malloc(sizeof(int32_t) * ntrain);
    t->val_idx = malloc(sizeof(int32_t) * ntrain);
    t->test_idx = malloc(sizeof(int32_t) * ntest);
    t->test_pred = calloc(ntest, 1);
    t->eval_pred = calloc(ntest, 1);
    t->best_test_pred = calloc(ntest, 1);
    if (!t->params || !t->mask1 || !t->mask2 || !t->labels || !t->train_idx || !t->epoch_idx ||
        !t->val_idx || !t->test_idx || !t->test_pred || !t->eval_pred || !t->best_test_pred) {
        ln_trainer_free(t);
        return ln_fail(err, LN_E_NOMEM, "no memory for the trainer's buffers");
    }
    if ((s = model_init(&t->model, max_batch, cfg->activation, err)) != LN_OK ||
        (s = select_samples(t, err)) != LN_OK) {
        ln_trainer_free(t);
        return s;
    }
    t->grads = t->params + LN_NUM_PARAMS;
    t->opt_m = t->grads + LN_NUM_PARAMS;
    t->opt_v = t->opt_m + LN_NUM_PARAMS;
    t->prev_params = t->opt_v + LN_NUM_PARAMS;
    t->best_params = t->prev_params + LN_NUM_PARAMS;
    compute_pixel_table(t);

    rng_seed(&t->rng_init, cfg->seed, LN_STREAM_INIT);
    rng_seed(&t->rng_shuffle, cfg->seed, LN_STREAM_SHUFFLE);
    rng_seed(&t->rng_dropout, cfg->seed, LN_STREAM_DROPOUT);
    rng_seed(&t->rng_augment, cfg->seed, LN_STREAM_AUGMENT);
    for (int l = 0; l < LN_NUM_LAYERS; l++) init_layer(t->params, l, cfg->init, &t->rng_init);
    optimizer_reset(cfg, t->opt_m, t->opt_v, LN_NUM_PARAMS);

    t->m.steps_per_epoch = (t->train_count + cfg->batch_size - 1) / cfg->batch_size;
    t->m.train_count = t->train_count;
    t->m.val_count = t->val_count;
    t->m.test_count = t->test_count;
    t->m.train_loss = t->m.train_acc = t->m.val_loss = t->m.val_acc = NAN;
    t->m.test_loss = t->m.test_acc = t->m.best_val_loss = NAN;
    t->m.epoch_loss = t->m.epoch_acc = NAN;
    for (int l = 0; l < LN_NUM_LAYERS; l++) t->m.grad_mean[l] = t->m.grad_max[l] = t->m.epoch_weight_norm[l] = NAN;
    for (int l = 0; l < LN_NUM_ACT_LAYERS; l++) t->m.dead[l] = t->m.saturated[l] = NAN;
    t->m.sparsity = diag_sparsity(t->params, t->m.layer_sparsity);
    for (int l = 0; l < LN_NUM_LAYERS; l++) t->m.weight_norm[l] = diag_layer_norm(t->params, l);
    t->phase = PH_TRAIN;
    *out = t;
    return LN_OK;
}

void ln_trainer_free(ln_trainer *t) {
    if (!t) return;
    model_free(&t->model);
    free(t->params);
    free(t->mask1);
    free(t->mask2);
    free(t->labels);
    free(t->train_idx);
    free(t->epoch_idx);
    free(t->val_idx);
    free(t->test_idx);
    free(t->test_pred);
    free(t->eval_pred);
    free(t->best_test_pred);
    free(t);
}

/* Copies n samples into the model's input, shifted at random when augmenting. */
static void load_batch(ln_trainer *t, const ln_dataset *d, const int32_t *idx, int n, int augment) {
    float *x = t->model.x;
    int s = augment ? t->cfg.augment_shift : 0;
    for (int b = 0; b < n; b++, x += LN_IMAGE_PIXELS) {
        const uint8_t *img = ln_dataset_image(d, idx[b]);
        t->labels[b] = (uint8_t)ln_dataset_label(d, idx[b]);
        if (s == 0) {
            for (int p = 0; p < LN_IMAGE_PIXELS; p++) x[p] = t->pixel[img[p]];
            continue;
        }
        int dx = (int)rng_below(&t->rng_augment, 2u * s + 1) - s;
        int dy = (int)rng_below(&t->rng_augment, 2u * s + 1) - s;
        for (int r = 0; r < LN_IMAGE_SIDE; r++)
            for (int c = 0; c < LN_IMAGE_SIDE; c++) {
                int sr = r - dy, sc = c - dx;
                int inside = sr >= 0 && sr < LN_IMAGE_SIDE && sc >= 0 && sc < LN_IMAGE_SIDE;
                x[r * LN_IMAGE_SIDE + c] = t->pixel[inside ? img[sr * LN_IMAGE_SIDE + sc] : 0];
            }
    }
}

static int argmax10(const float *p) {
    int best = 0;
    for (int k = 1; k < LN_CLASSES; k++)
        if (p[k] > p[best]) best = k;
    return best;
}

static int layer_frozen(const ln_trainer *t, int layer) { return (t->cfg.freeze_mask >> layer) & 1; }

static ln_status diverge(ln_trainer *t, ln_event *ev, ln_error *err, const char *what) {
    t->phase = PH_DONE;
    t->m.stop_reason = LN_STOP_DIVERGED;
    *ev = LN_EV_DONE;
    return ln_fail(err, LN_E_DIVERGED, "training diverged at step %d (epoch %d): %s; the weights are those before that step",
                   t->m.step + 1, t->m.epoch + 1, what);
}

static ln_status train_step(ln_trainer *t, ln_event *ev, ln_error *err) {
    const ln_config *c = &t->cfg;
    if (t->cursor == 0) shuffle(t->epoch_idx, t->train_count, &t->rng_shuffle);
    int start = t->cursor * c->batch_size, n = min_int(c->batch_size, t->train_count - start);
    load_batch(t, t->train, t->epoch_idx + start, n, 1);
    uint32_t hash = 2166136261u;
    for (int b = 0; b < n; b++) hash = (hash ^ (uint32_t)t->epoch_idx[start + b]) * 16777619u;
    t->m.batch_hash = hash;
    const float *mask1 = NULL, *mask2 = NULL;
    if (c->dropout1 > 0.0f) dropout_mask(t->mask1, n * 120, c->dropout1, &t->rng_dropout), mask1 = t->mask1;
    if (c->dropout2 > 0.0f) dropout_mask(t->mask2, n * 84, c->dropout2, &t->rng_dropout), mask2 = t->mask2;

    float loss = model_forward(&t->model, t->params, t->labels, n, mask1, mask2);
    int correct = 0;
    for (int b = 0; b < n; b++) correct += argmax10(t->model.probs + b * LN_CLASSES) == t->labels[b];
    t->m.loss = loss;
    t->m.acc = (float)correct / (float)n;
    if (!isfinite(loss)) return diverge(t, ev, err, "the loss is not finite");
    if (loss > LN_DIVERGED_LOSS) return diverge(t, ev, err, "the loss exceeded 1000");

    memset(t->grads, 0, sizeof(float) * LN_NUM_PARAMS);
    model_backward(&t->model, t->params, t->grads, t->labels, n, mask1, mask2, c->freeze_mask);
    t->m.penalty = (float)reg_penalty(c, t->params);
    reg_add_grad(c, t->params, t->grads);
    for (int l = 0; l < LN_NUM_LAYERS; l++) {
        t->m.grad_norm[l] = layer_frozen(t, l) ? 0.0f : diag_layer_norm(t->grads, l);
        if (!isfinite(t->m.grad_norm[l])) return diverge(t, ev, err, "a gradient is not finite");
    }

    memcpy(t->prev_params, t->params, sizeof(float) * LN_NUM_PARAMS);
    t->opt_t++;
    for (int i = 0; i < LN_NUM_TENSORS; i++) {
        const ln_tensor_info *ti = ln_tensor(i);
        if (layer_frozen(t, ti->layer)) continue;
        optimizer_step(c, t->params + ti->offset, t->grads + ti->offset, t->opt_m + ti->offset,
                       t->opt_v + ti->offset, ti->count, t->opt_t, ti->is_weight);
    }
    for (int l = 0; l < LN_NUM_LAYERS; l++) {
        t->m.weight_norm[l] = diag_layer_norm(t->params, l);
        if (!isfinite(t->m.weight_norm[l])) {
            memcpy(t->params, t->prev_params, sizeof(float) * LN_NUM_PARAMS);
            return diverge(t, ev, err, "a weight is not finite");
        }
    }
    t->m.step++;
    t->sum_loss += t->m.loss;
    t->sum_acc += t->m.acc;
    for (int l = 0; l < LN_NUM_LAYERS; l++) {
        t->sum_grad[l] += t->m.grad_norm[l];
        if (t->m.grad_norm[l] > t->max_grad[l]) t->max_grad[l] = t->m.grad_norm[l];
    }
    t->epoch_steps++;
    if (++t->cursor == t->m.steps_per_epoch) {
        t->phase = PH_EVAL_TRAIN;
        t->cursor = 0;
    }
    *ev = LN_EV_STEP;
    return LN_OK;
}

/* Reads the activations of the n samples just evaluated into the running statistics. */
static void activation_stats(ln_trainer *t, int n) {
    const float *y[LN_NUM_ACT_LAYERS] = {t->model.h1, t->model.h2, t->model.f1, t->model.f2};
    uint8_t *alive = t->act_alive;
    for (int l = 0; l < LN_NUM_ACT_LAYERS; l++) {
        diag_activations(y[l], n, ACT_UNITS[l], ACT_PER_UNIT[l], t->cfg.activation, alive, &t->act_saturated[l]);
        alive += ACT_UNITS[l];
    }
}

/* The epoch's dead and saturated fractions once `count` training samples were evaluated. */
static void close_activation_stats(ln_trainer *t, int count) {
    const uint8_t *alive = t->act_alive;
    for (int l = 0; l < LN_NUM_ACT_LAYERS; l++) {
        int dead = 0;
        for (int u = 0; u < ACT_UNITS[l]; u++) dead += !alive[u];
        alive += ACT_UNITS[l];
        double outputs = (double)count * ACT_UNITS[l] * ACT_PER_UNIT[l];
        int relu = t->cfg.activation == LN_ACT_RELU;
        t->m.dead[l] = relu && count ? (float)dead / (float)ACT_UNITS[l] : NAN;
        t->m.saturated[l] = !relu && count ? (float)(t->act_saturated[l] / outputs) : NAN;
    }
}

/* One evaluation batch of the current phase's split, in inference mode. */
static void eval_chunk(ln_trainer *t, ln_event *ev) {
    const int32_t *idx = t->phase == PH_EVAL_TRAIN ? t->train_idx : t->phase == PH_EVAL_VAL ? t->val_idx : t->test_idx;
    int count = t->phase == PH_EVAL_TRAIN ? t->train_eval_count : t->phase == PH_EVAL_VAL ? t->val_count : t->test_count;
    const ln_dataset *d = t->phase == PH_EVAL_TEST ? t->test : t->train;
    if (t->cursor == 0) {
        t->eval_loss = 0.0;
        t->eval_correct = 0;
        if (t->phase == PH_EVAL_TRAIN) {
            memset(t->act_alive, 0, sizeof t->act_alive);
            memset(t->act_saturated, 0, sizeof t->act_saturated);
        }
    }
    int n = min_int(EVAL_CHUNK, count - t->cursor);
    t->m.eval_split = t->phase;
    t->m.eval_total = count;
    if (n > 0) {
        load_batch(t, d, idx + t->cursor, n, 0);
        model_forward(&t->model, t->params, t->labels, n, NULL, NULL);
        for (int b = 0; b < n; b++) {
            int pred = argmax10(t->model.probs + b * LN_CLASSES);
            t->eval_loss += t->model.losses[b];
            t->eval_correct += pred == t->labels[b];
            if (t->phase == PH_EVAL_TEST) t->eval_pred[t->cursor + b] = (uint8_t)pred;
        }
        if (t->phase == PH_EVAL_TRAIN) activation_stats(t, n);
        t->cursor += n;
    }
    t->m.eval_done = t->cursor;
    if (t->cursor < count) {
        *ev = LN_EV_EVAL;
        return;
    }
    float loss = count ? (float)(t->eval_loss / count) : NAN;
    float acc = count ? (float)t->eval_correct / (float)count : NAN;
    if (t->phase == PH_EVAL_TRAIN) {
        t->m.train_loss = loss, t->m.train_acc = acc;
        close_activation_stats(t, count);
    }
    if (t->phase == PH_EVAL_VAL) t->m.val_loss = loss, t->m.val_acc = acc;
    if (t->phase == PH_EVAL_TEST) {
        t->m.test_loss = loss, t->m.test_acc = acc;
        memcpy(t->test_pred, t->eval_pred, (size_t)count);
    }
    t->phase++;
    t->cursor = 0;
    *ev = LN_EV_EVAL;
}

static void end_epoch(ln_trainer *t, ln_event *ev) {
    const ln_config *c = &t->cfg;
    t->m.epoch++;
    t->m.epoch_penalty = (float)reg_penalty(c, t->params);
    t->m.sparsity = diag_sparsity(t->params, t->m.layer_sparsity);
    double n = t->epoch_steps;
    t->m.epoch_loss = (float)(t->sum_loss / n);
    t->m.epoch_acc = (float)(t->sum_acc / n);
    for (int l = 0; l < LN_NUM_LAYERS; l++) {
        t->m.grad_mean[l] = (float)(t->sum_grad[l] / n);
        t->m.grad_max[l] = t->max_grad[l];
        t->m.epoch_weight_norm[l] = t->m.weight_norm[l];
    }
    t->sum_loss = t->sum_acc = 0.0;
    for (int l = 0; l < LN_NUM_LAYERS; l++) t->sum_grad[l] = 0.0, t->max_grad[l] = 0.0f;
    t->epoch_steps = 0;
    int stop = 0;
    if (c->early_stopping) {
        /* Keras's rule: an improvement is a drop of more than min_delta below the best. */
        if (t->m.epoch == 1 || t->m.val_loss < t->m.best_val_loss - c->min_delta) {
            t->m.best_val_loss = t->m.val_loss;
            t->m.best_epoch = t->m.epoch;
            t->wait = 0;
            memcpy(t->best_params, t->params, sizeof(float) * LN_NUM_PARAMS);
            memcpy(t->best_test_pred, t->test_pred, (size_t)t->test_count);
            t->best = t->m;
        } else if (++t->wait >= c->patience) {
            stop = 1;
        }
    }
    if (stop) t->m.stop_reason = LN_STOP_EARLY;
    else if (t->m.epoch >= c->epochs) t->m.stop_reason = LN_STOP_EPOCHS;
    t->phase = t->m.stop_reason != LN_STOP_NONE ? PH_FINISH : PH_TRAIN;
    *ev = LN_EV_EPOCH;
}

/* Ends the run; with early stopping and restore_best, goes back to the best epoch's weights,
 * whose evaluation is already known: those exact weights were evaluated at that epoch. */
static void finish(ln_trainer *t, ln_event *ev) {
    if (t->cfg.early_stopping && t->cfg.restore_best && t->m.best_epoch != t->m.epoch) {
        memcpy(t->params, t->best_params, sizeof(float) * LN_NUM_PARAMS);
        memcpy(t->test_pred, t->best_test_pred, (size_t)t->test_count);
        t->m.train_loss = t->best.train_loss, t->m.train_acc = t->best.train_acc;
        t->m.val_loss = t->best.val_loss, t->m.val_acc = t->best.val_acc;
        t->m.test_loss = t->best.test_loss, t->m.test_acc = t->best.test_acc;
        t->m.epoch_penalty = t->best.epoch_penalty;
        t->m.sparsity = t->best.sparsity;
        memcpy(t->m.layer_sparsity, t->best.layer_sparsity, sizeof t->m.layer_sparsity);
        memcpy(t->m.epoch_weight_norm, t->best.epoch_weight_norm, sizeof t->m.epoch_weight_norm);
        memcpy(t->m.dead, t->best.dead, sizeof t->m.dead);
        memcpy(t->m.saturated, t->best.saturated, sizeof t->m.saturated);
        for (int l = 0; l < LN_NUM_LAYERS; l++) t->m.weight_norm[l] = diag_layer_norm(t->params, l);
        t->m.restored_epoch = t->m.best_epoch;
    }
    t->phase = PH_DONE;
    *ev = LN_EV_DONE;
}

/* The public phase of an internal one: closing an epoch ends its evaluation, closing the run
 * is part of being done. */
static int public_phase(int phase) {
    return phase <= PH_EVAL_TEST ? phase : phase == PH_EPOCH_END ? LN_PHASE_EVAL_TEST : LN_PHASE_DONE;
}

ln_status ln_trainer_advance(ln_trainer *t, ln_event *ev, ln_error *err) {
    ln_event dummy;
    ln_status s = LN_OK;
    if (!ev) ev = &dummy;
    if (!t) return ln_fail(err, LN_E_ARG, "no trainer");
    switch (t->phase) {
    case PH_TRAIN: s = train_step(t, ev, err); break;
    case PH_EVAL_TRAIN:
    case PH_EVAL_VAL:
    case PH_EVAL_TEST: eval_chunk(t, ev); break;
    case PH_EPOCH_END: end_epoch(t, ev); break;
    case PH_FINISH: finish(t, ev); break;
    default:
        *ev = LN_EV_DONE;
        return ln_fail(err, LN_E_STATE, "training is over");
    }
    t->m.phase = public_phase(t->phase);
    return s;
}

ln_status ln_trainer_run_epoch(ln_trainer *t, ln_error *err) {
    ln_event ev = LN_EV_STEP;
    ln_status s;
    do {
        s = ln_trainer_advance(t, &ev, err);
    } while (s == LN_OK && ev != LN_EV_EPOCH && ev != LN_EV_DONE);
    if (s == LN_OK && ev == LN_EV_EPOCH && t->phase == PH_FINISH) s = ln_trainer_advance(t, &ev, err);
    return s;
}

void ln_trainer_metrics(const ln_trainer *t, ln_metrics *m) { *m = t->m; }

ln_status ln_trainer_histogram(const ln_trainer *t, int layer, int bins, uint32_t *counts,
                               float *range, ln_error *err) {
    if (!t || !counts || !range) return ln_fail(err, LN_E_ARG, "histogram needs a trainer and output buffers");
    if (layer < 0 || layer >= LN_NUM_LAYERS) return ln_fail(err, LN_E_ARG, "layer %d does not exist", layer);
    if (bins < 1 || bins > 1024) return ln_fail(err, LN_E_ARG, "%d bins is outside [1, 1024]", bins);
    diag_histogram(t->params, layer, bins, counts, range);
    return LN_OK;
}

const float *ln_trainer_params(const ln_trainer *t) { return t->params; }

ln_status ln_trainer_set_params(ln_trainer *t, const float *params, ln_error *err) {
    if (!t || !params) return ln_fail(err, LN_E_ARG, "set_params needs a trainer and parameters");
    for (int i = 0; i < LN_NUM_PARAMS; i++)
        if (!isfinite(params[i])) return ln_fail(err, LN_E_FORMAT, "parameter %d is not finite", i);
    memcpy(t->params, params, sizeof(float) * LN_NUM_PARAMS);
    optimizer_reset(&t->cfg, t->opt_m, t->opt_v, LN_NUM_PARAMS);
    t->opt_t = 0;
    t->m.sparsity = diag_sparsity(t->params, t->m.layer_sparsity);
    for (int l = 0; l < LN_NUM_LAYERS; l++) t->m.weight_norm[l] = diag_layer_norm(t->params, l);
    return LN_OK;
}

ln_status ln_trainer_reinit_layer(ln_trainer *t, int layer, ln_error *err) {
    if (!t) return ln_fail(err, LN_E_ARG, "no trainer");
    if (layer < 0 || layer >= LN_NUM_LAYERS) return ln_fail(err, LN_E_ARG, "layer %d does not exist", layer);
    init_layer(t->params, layer, t->cfg.init, &t->rng_init);
    optimizer_reset(&t->cfg, t->opt_m, t->opt_v, LN_NUM_PARAMS);
    t->opt_t = 0;
    t->m.weight_norm[layer] = diag_layer_norm(t->params, layer);
    t->m.sparsity = diag_sparsity(t->params, t->m.layer_sparsity);
    return LN_OK;
}

ln_status ln_trainer_predict(ln_trainer *t, const float *pixels, int n, float *probs, ln_error *err) {
    if (!t || (n > 0 && (!pixels || !probs)) || n < 0) return ln_fail(err, LN_E_ARG, "predict needs images and room for the probabilities");
    /* The same affine map as the byte table, for pixels already in [0, 1]. */
    float shift = t->pixel[0], scale = t->pixel[255] - t->pixel[0];
    memset(t->labels, 0, (size_t)t->model.max_batch);
    for (int start = 0; start < n; start += t->model.max_batch) {
        int k = min_int(t->model.max_batch, n - start);
        const float *src = pixels + (size_t)start * LN_IMAGE_PIXELS;
        for (int i = 0; i < k * LN_IMAGE_PIXELS; i++) {
            float x = src[i];
            if (!isfinite(x)) return ln_fail(err, LN_E_ARG, "pixel %d of image %d is not finite", i % LN_IMAGE_PIXELS, start + i / LN_IMAGE_PIXELS);
            t->model.x[i] = shift + scale * x;
        }
        model_forward(&t->model, t->params, t->labels, k, NULL, NULL);
        memcpy(probs + (size_t)start * LN_CLASSES, t->model.probs, sizeof(float) * (size_t)k * LN_CLASSES);
    }
    return LN_OK;
}

ln_status ln_trainer_evaluate_test(ln_trainer *t, ln_error *err) {
    if (!t) return ln_fail(err, LN_E_ARG, "no trainer");
    /* Local sums and test_pred itself: eval_loss, eval_correct and eval_pred belong to the
     * epoch's evaluation, which may be half done. */
    double loss = 0.0;
    long correct = 0;
    for (int start = 0; start < t->test_count; start += EVAL_CHUNK) {
        int n = min_int(EVAL_CHUNK, t->test_count - start);
        load_batch(t, t->test, t->test_idx + start, n, 0);
        model_forward(&t->model, t->params, t->labels, n, NULL, NULL);
        for (int b = 0; b < n; b++) {
            int pred = argmax10(t->model.probs + b * LN_CLASSES);
            loss += t->model.losses[b];
            correct += pred == t->labels[b];
            t->test_pred[start + b] = (uint8_t)pred;
        }
    }
    t->m.test_loss = t->test_count ? (float)(loss / t->test_count) : NAN;
    t->m.test_acc = t->test_count ? (float)correct / (float)t->test_count : NAN;
    return LN_OK;
}

const uint8_t *ln_trainer_test_predictions(const ln_trainer *t) { return t->test_pred; }
const int32_t *ln_trainer_test_indices(const ln_trainer *t) { return t->test_idx; }
