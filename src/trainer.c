/* trainer.c - a training run as a state machine of small units of work (a step, an evaluation
 * batch, the end of an epoch), so a caller can spread a run over many short calls without the
 * numbers depending on how the calls are grouped. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "diagnostics.h"
#include "net.h"
#include "rng.h"
#include "training.h"

#define EVAL_CHUNK 256
#define TRAIN_EVAL_MAX 10000

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
    ln_net *net;
    int num_params, num_stats;
    /* parameter-shaped buffers, num_params floats each, in one allocation */
    float *params, *grads, *opt_m, *opt_v, *prev_params, *best_params;
    /* batch norm's moving statistics, num_stats floats each: now, before the step, at the best epoch */
    float *stats, *prev_stats, *best_stats;
    uint8_t *labels;      /* [max_batch] */
    uint8_t *train_label; /* [train file count]: the labels trained with, after label noise */
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
    double sum_loss, sum_acc, sum_grad[LN_MAX_LAYERS];
    float max_grad[LN_MAX_LAYERS];
    int epoch_steps;
    /* activation statistics of the training subset's evaluation under way (diag_activations) */
    uint8_t *act_alive; /* [net.act_units] */
    long act_saturated[LN_MAX_LAYERS];
    double act_sums[LN_MAX_LAYERS][2];
    ln_metrics m, best;
};


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

/* Label noise: exactly k = round(label_noise * train_count) training samples, chosen by selection
 * sampling over the training subset, get a label drawn uniformly from the classes in digit_mask
 * (so about 1/classes of them keep their label by chance). Its own stream: no other draw moves. */
static void add_label_noise(ln_trainer *t) {
    for (int i = 0; i < ln_dataset_count(t->train); i++) t->train_label[i] = (uint8_t)ln_dataset_label(t->train, i);
    if (t->cfg.label_noise <= 0.0f) return;
    uint8_t classes[LN_CLASSES];
    int nclasses = 0;
    for (int k = 0; k < LN_CLASSES; k++)
        if (t->cfg.digit_mask & (1u << k)) classes[nclasses++] = (uint8_t)k;
    ln_rng rng;
    rng_seed(&rng, t->cfg.seed, LN_STREAM_NOISE);
    int n = t->train_count, want = (int)lround((double)t->cfg.label_noise * n);
    for (int i = 0, chosen = 0; i < n && chosen < want; i++) {
        if (rng_uniform_d(&rng) * (n - i) >= want - chosen) continue;
        chosen++;
        t->train_label[t->train_idx[i]] = classes[rng_below(&rng, (uint32_t)nclasses)];
    }
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
    t->net = calloc(1, sizeof *t->net);
    if (!t->net) s = ln_fail(err, LN_E_NOMEM, "no memory for a network");
    else s = net_build(t->net, cfg, err);
    if (s != LN_OK) {
        ln_trainer_free(t);
        return s;
    }
    t->num_params = t->net->num_params;
    t->num_stats = t->net->num_stats;
    t->params = calloc(6 * (size_t)t->num_params, sizeof(float)); /* zeroed: a saved state holds them all */
    t->stats = calloc(3 * (size_t)t->num_stats + 1, sizeof(float));
    t->act_alive = calloc((size_t)t->net->act_units, 1);
    t->labels = malloc((size_t)max_batch);
    t->train_idx = malloc(sizeof(int32_t) * ntrain);
    t->epoch_idx = malloc(sizeof(int32_t) * ntrain);
    t->val_idx = malloc(sizeof(int32_t) * ntrain);
    t->test_idx = malloc(sizeof(int32_t) * ntest);
    t->test_pred = calloc(ntest, 1);
    t->eval_pred = calloc(ntest, 1);
    t->best_test_pred = calloc(ntest, 1);
    t->train_label = malloc(ntrain);
    if (!t->train_label || !t->params || !t->stats || !t->act_alive || !t->labels || !t->train_idx || !t->epoch_idx ||
        !t->val_idx || !t->test_idx || !t->test_pred || !t->eval_pred || !t->best_test_pred) {
        ln_trainer_free(t);
        return ln_fail(err, LN_E_NOMEM, "no memory for the trainer's buffers");
    }
    if ((s = net_alloc(t->net, max_batch, err)) != LN_OK ||
        (s = select_samples(t, err)) != LN_OK) {
        ln_trainer_free(t);
        return s;
    }
    t->grads = t->params + t->num_params;
    t->opt_m = t->grads + t->num_params;
    t->opt_v = t->opt_m + t->num_params;
    t->prev_params = t->opt_v + t->num_params;
    t->best_params = t->prev_params + t->num_params;
    t->prev_stats = t->stats + t->num_stats;
    t->best_stats = t->prev_stats + t->num_stats;
    compute_pixel_table(t);
    add_label_noise(t);

    rng_seed(&t->rng_init, cfg->seed, LN_STREAM_INIT);
    rng_seed(&t->rng_shuffle, cfg->seed, LN_STREAM_SHUFFLE);
    rng_seed(&t->rng_dropout, cfg->seed, LN_STREAM_DROPOUT);
    rng_seed(&t->rng_augment, cfg->seed, LN_STREAM_AUGMENT);
    for (int l = 0; l < t->net->num_layers; l++) net_init_layer(t->net, t->params, l, cfg->init, &t->rng_init);
    net_init_stats(t->net, t->stats);
    optimizer_reset(cfg, t->opt_m, t->opt_v, t->num_params);

    t->m.steps_per_epoch = (t->train_count + cfg->batch_size - 1) / cfg->batch_size;
    t->m.train_count = t->train_count;
    t->m.val_count = t->val_count;
    t->m.test_count = t->test_count;
    t->m.train_loss = t->m.train_acc = t->m.val_loss = t->m.val_acc = NAN;
    t->m.test_loss = t->m.test_acc = t->m.best_val_loss = NAN;
    t->m.epoch_loss = t->m.epoch_acc = NAN;
    t->m.grad_total = t->m.pre_p15 = t->m.pre_p50 = t->m.pre_p85 = NAN;
    for (int l = 0; l < t->net->num_layers; l++) {
        t->m.grad_mean[l] = t->m.grad_max[l] = t->m.epoch_weight_norm[l] = t->m.update_ratio[l] = NAN;
        t->m.weight_norm[l] = diag_layer_norm(t->net, t->params, l);
    }
    for (int l = 0; l < t->net->num_act; l++) t->m.dead[l] = t->m.saturated[l] = t->m.act_mean[l] = t->m.act_std[l] = NAN;
    t->m.sparsity = diag_sparsity(t->net, t->params, t->m.layer_sparsity);
    t->phase = PH_TRAIN;
    *out = t;
    return LN_OK;
}

void ln_trainer_free(ln_trainer *t) {
    if (!t) return;
    ln_net_free(t->net);
    free(t->params);
    free(t->stats);
    free(t->act_alive);
    free(t->labels);
    free(t->train_idx);
    free(t->epoch_idx);
    free(t->val_idx);
    free(t->test_idx);
    free(t->test_pred);
    free(t->eval_pred);
    free(t->best_test_pred);
    free(t->train_label);
    free(t);
}


/* Copies n samples into the model's input, shifted at random when augmenting; labels by dataset
 * index (the training labels after noise), or NULL for the file's own. */
static void load_batch(ln_trainer *t, const ln_dataset *d, const int32_t *idx, int n, int augment,
                       const uint8_t *labels) {
    float *x = t->net->x;
    int s = augment ? t->cfg.augment_shift : 0;
    for (int b = 0; b < n; b++, x += LN_IMAGE_PIXELS) {
        const uint8_t *img = ln_dataset_image(d, idx[b]);
        t->labels[b] = labels ? labels[idx[b]] : (uint8_t)ln_dataset_label(d, idx[b]);
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
    memcpy(t->stats, t->prev_stats, sizeof(float) * (size_t)t->num_stats);
    t->phase = PH_DONE;
    t->m.stop_reason = LN_STOP_DIVERGED;
    *ev = LN_EV_DONE;
    return ln_fail(err, LN_E_DIVERGED, "training diverged at step %d (epoch %d): %s; the weights are those before that step",
                   t->m.step + 1, t->m.epoch + 1, what);
}

/* The global norm of the trained layers' gradient (their per-layer norms, already in the
 * metrics); above clip_norm, every trained gradient is scaled down to that length. */
static void clip_gradient(ln_trainer *t) {
    double sum = 0.0;
    for (int l = 0; l < t->net->num_layers; l++) sum += (double)t->m.grad_norm[l] * t->m.grad_norm[l];
    t->m.grad_total = (float)sqrt(sum);
    if (t->cfg.clip_norm <= 0.0f || t->m.grad_total <= t->cfg.clip_norm) return;
    float scale = t->cfg.clip_norm / t->m.grad_total;
    for (int i = 0; i < t->net->num_tensors; i++) {
        const ln_tensor_info *ti = &t->net->tensors[i];
        if (ti->kind > LN_TENSOR_BETA || layer_frozen(t, ti->layer)) continue;
        for (int k = ti->offset; k < ti->offset + ti->count; k++) t->grads[k] *= scale;
    }
}

static ln_status train_step(ln_trainer *t, ln_event *ev, ln_error *err) {
    const ln_config *c = &t->cfg;
    ln_net *net = t->net;
    if (t->cursor == 0) shuffle(t->epoch_idx, t->train_count, &t->rng_shuffle);
    int start = t->cursor * c->batch_size, n = min_int(c->batch_size, t->train_count - start);
    load_batch(t, t->train, t->epoch_idx + start, n, 1, t->train_label);
    uint32_t hash = 2166136261u;
    for (int b = 0; b < n; b++) hash = (hash ^ (uint32_t)t->epoch_idx[start + b]) * 16777619u;
    t->m.batch_hash = hash;
    net_draw_masks(net, n, &t->rng_dropout);

    memcpy(t->prev_stats, t->stats, sizeof(float) * (size_t)t->num_stats);
    float loss = net_forward(net, t->params, t->stats, t->labels, n, 1);
    int correct = 0;
    for (int b = 0; b < n; b++) correct += argmax10(net->probs + b * LN_CLASSES) == t->labels[b];
    t->m.loss = loss;
    t->m.acc = (float)correct / (float)n;
    t->m.pre_p15 = net->pct[0], t->m.pre_p50 = net->pct[1], t->m.pre_p85 = net->pct[2];
    if (!isfinite(loss)) return diverge(t, ev, err, "the loss is not finite");
    if (loss > LN_DIVERGED_LOSS) return diverge(t, ev, err, "the loss exceeded 1000");

    memset(t->grads, 0, sizeof(float) * (size_t)t->num_params);
    net_backward(net, t->params, t->grads, t->labels, n, c->freeze_mask);
    t->m.penalty = (float)reg_penalty(c, net, t->params);
    reg_add_grad(c, net, t->params, t->grads);
    for (int l = 0; l < net->num_layers; l++) {
        t->m.grad_norm[l] = layer_frozen(t, l) ? 0.0f : diag_layer_norm(net, t->grads, l);
        if (!isfinite(t->m.grad_norm[l])) return diverge(t, ev, err, "a gradient is not finite");
    }
    clip_gradient(t);

    memcpy(t->prev_params, t->params, sizeof(float) * (size_t)t->num_params);
    t->opt_t++;
    for (int i = 0; i < net->num_tensors; i++) {
        const ln_tensor_info *ti = &net->tensors[i];
        if (ti->kind > LN_TENSOR_BETA || layer_frozen(t, ti->layer)) continue;
        optimizer_step(c, t->params + ti->offset, t->grads + ti->offset, t->opt_m + ti->offset,
                       t->opt_v + ti->offset, ti->count, t->opt_t, ti->is_weight);
    }
    for (int l = 0; l < net->num_layers; l++) {
        float before = t->m.weight_norm[l], step;
        diag_layer_step(net, t->params, t->prev_params, l, &t->m.weight_norm[l], &step);
        t->m.update_ratio[l] = step / before;
        if (!isfinite(t->m.weight_norm[l])) {
            memcpy(t->params, t->prev_params, sizeof(float) * (size_t)t->num_params);
            t->m.weight_norm[l] = before;
            return diverge(t, ev, err, "a weight is not finite");
        }
    }
    t->m.step++;
    t->sum_loss += t->m.loss;
    t->sum_acc += t->m.acc;
    for (int l = 0; l < net->num_layers; l++) {
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
    uint8_t *alive = t->act_alive;
    for (int l = 0; l < t->net->num_act; l++) {
        const net_node *d = &t->net->nodes[t->net->act_nodes[l]];
        int units = d->info.shape[0], per_unit = d->info.shape[1] * d->info.shape[2];
        diag_activations(d->out, n, units, per_unit, d->act, alive, &t->act_saturated[l], t->act_sums[l]);
        alive += units;
    }
}

/* The epoch's activation statistics once `count` training samples were evaluated. */
static void close_activation_stats(ln_trainer *t, int count) {
    const uint8_t *alive = t->act_alive;
    for (int l = 0; l < t->net->num_act; l++) {
        const net_node *d = &t->net->nodes[t->net->act_nodes[l]];
        int units = d->info.shape[0], dead = 0;
        for (int u = 0; u < units; u++) dead += !alive[u];
        alive += units;
        double outputs = (double)count * units * d->info.shape[1] * d->info.shape[2];
        int relu = d->act == LN_ACT_RELU;
        t->m.dead[l] = relu && count ? (float)dead / (float)units : NAN;
        t->m.saturated[l] = !relu && count ? (float)(t->act_saturated[l] / outputs) : NAN;
        double mean = count ? t->act_sums[l][0] / outputs : NAN, var = count ? t->act_sums[l][1] / outputs - mean * mean : NAN;
        t->m.act_mean[l] = (float)mean;
        t->m.act_std[l] = (float)sqrt(var > 0.0 ? var : 0.0);
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
            memset(t->act_alive, 0, (size_t)t->net->act_units);
            memset(t->act_saturated, 0, sizeof t->act_saturated);
            memset(t->act_sums, 0, sizeof t->act_sums);
        }
    }
    int n = min_int(EVAL_CHUNK, count - t->cursor);
    t->m.eval_split = t->phase;
    t->m.eval_total = count;
    if (n > 0) {
        load_batch(t, d, idx + t->cursor, n, 0, t->phase == PH_EVAL_TRAIN ? t->train_label : NULL);
        net_forward(t->net, t->params, t->stats, t->labels, n, 0);
        for (int b = 0; b < n; b++) {
            int pred = argmax10(t->net->probs + b * LN_CLASSES);
            t->eval_loss += t->net->losses[b];
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

/* At an epoch's end: stop early after `patience` epochs without improvement, or after the last
 * epoch; else train on. */
static void decide_stop(ln_trainer *t) {
    const ln_config *c = &t->cfg;
    if (c->early_stopping && t->wait >= c->patience) t->m.stop_reason = LN_STOP_EARLY;
    else if (t->m.epoch >= c->epochs) t->m.stop_reason = LN_STOP_EPOCHS;
    t->phase = t->m.stop_reason != LN_STOP_NONE ? PH_FINISH : PH_TRAIN;
}

static void end_epoch(ln_trainer *t, ln_event *ev) {
    const ln_config *c = &t->cfg;
    t->m.epoch++;
    t->m.epoch_penalty = (float)reg_penalty(c, t->net, t->params);
    t->m.sparsity = diag_sparsity(t->net, t->params, t->m.layer_sparsity);
    double n = t->epoch_steps;
    t->m.epoch_loss = (float)(t->sum_loss / n);
    t->m.epoch_acc = (float)(t->sum_acc / n);
    for (int l = 0; l < t->net->num_layers; l++) {
        t->m.grad_mean[l] = (float)(t->sum_grad[l] / n);
        t->m.grad_max[l] = t->max_grad[l];
        t->m.epoch_weight_norm[l] = t->m.weight_norm[l];
    }
    t->sum_loss = t->sum_acc = 0.0;
    for (int l = 0; l < t->net->num_layers; l++) t->sum_grad[l] = 0.0, t->max_grad[l] = 0.0f;
    t->epoch_steps = 0;
    if (c->early_stopping) {
        /* Keras's rule: an improvement is a drop of more than min_delta below the best. The first
         * epoch watched (epoch 1, or the first after a branch turned early stopping on) is best. */
        if (t->m.best_epoch == 0 || t->m.val_loss < t->m.best_val_loss - c->min_delta) {
            t->m.best_val_loss = t->m.val_loss;
            t->m.best_epoch = t->m.epoch;
            t->wait = 0;
            memcpy(t->best_params, t->params, sizeof(float) * (size_t)t->num_params);
            memcpy(t->best_stats, t->stats, sizeof(float) * (size_t)t->num_stats);
            memcpy(t->best_test_pred, t->test_pred, (size_t)t->test_count);
            t->best = t->m;
        } else {
            ++t->wait;
        }
    }
    decide_stop(t);
    *ev = LN_EV_EPOCH;
}

/* Ends the run; with early stopping and restore_best, goes back to the best epoch's weights,
 * whose evaluation is already known: those exact weights were evaluated at that epoch. */
static void finish(ln_trainer *t, ln_event *ev) {
    if (t->cfg.early_stopping && t->cfg.restore_best && t->m.best_epoch != t->m.epoch) {
        memcpy(t->params, t->best_params, sizeof(float) * (size_t)t->num_params);
        memcpy(t->stats, t->best_stats, sizeof(float) * (size_t)t->num_stats);
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
        memcpy(t->m.act_mean, t->best.act_mean, sizeof t->m.act_mean);
        memcpy(t->m.act_std, t->best.act_std, sizeof t->m.act_std);
        for (int l = 0; l < t->net->num_layers; l++) t->m.weight_norm[l] = diag_layer_norm(t->net, t->params, l);
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
    if (layer < 0 || layer >= t->net->num_layers) return ln_fail(err, LN_E_ARG, "layer %d does not exist", layer);
    if (bins < 1 || bins > 1024) return ln_fail(err, LN_E_ARG, "%d bins is outside [1, 1024]", bins);
    diag_histogram(t->net, t->params, layer, bins, counts, range);
    return LN_OK;
}

ln_status ln_trainer_act_histogram(const ln_trainer *t, int act_layer, int bins, uint32_t *counts,
                                   float *lo, float *hi, ln_error *err) {
    if (!t || !counts || !lo || !hi) return ln_fail(err, LN_E_ARG, "act_histogram needs a trainer and output buffers");
    if (act_layer < 0 || act_layer >= t->net->num_act)
        return ln_fail(err, LN_E_ARG, "activation layer %d does not exist (the network has %d)", act_layer, t->net->num_act);
    if (bins < 1 || bins > 1024) return ln_fail(err, LN_E_ARG, "%d bins is outside [1, 1024]", bins);
    const net_node *d = &t->net->nodes[t->net->act_nodes[act_layer]];
    long count = (long)t->net->last_batch * d->info.shape[0] * d->info.shape[1] * d->info.shape[2];
    *lo = d->act == LN_ACT_TANH ? -1.0f : 0.0f;
    *hi = 1.0f;
    if (d->act == LN_ACT_RELU)
        for (long i = 0; i < count; i++) *hi = fmaxf(*hi, d->out[i]);
    diag_bin(d->out, count, *lo, *hi, bins, counts);
    return LN_OK;
}

const ln_net *ln_trainer_net(const ln_trainer *t) { return t ? t->net : NULL; }
const float *ln_trainer_params(const ln_trainer *t) { return t->params; }
const float *ln_trainer_stats(const ln_trainer *t) { return t->stats; }

ln_status ln_trainer_set_stats(ln_trainer *t, const float *stats, ln_error *err) {
    if (!t || (!stats && t->num_stats)) return ln_fail(err, LN_E_ARG, "set_stats needs a trainer and statistics");
    for (int i = 0; i < t->net->num_tensors; i++) {
        const ln_tensor_info *ti = &t->net->tensors[i];
        for (int k = ti->offset; ti->kind >= LN_TENSOR_MEAN && k < ti->offset + ti->count; k++)
            if (!isfinite(stats[k]) || (ti->kind == LN_TENSOR_VAR && stats[k] < 0.0f))
                return ln_fail(err, LN_E_FORMAT, "%s[%d] = %g is not a %s", ti->name, k - ti->offset, stats[k],
                               ti->kind == LN_TENSOR_VAR ? "variance" : "finite mean");
    }
    memcpy(t->stats, stats, sizeof(float) * (size_t)t->num_stats);
    return LN_OK;
}

ln_status ln_trainer_set_params(ln_trainer *t, const float *params, ln_error *err) {
    if (!t || !params) return ln_fail(err, LN_E_ARG, "set_params needs a trainer and parameters");
    for (int i = 0; i < t->num_params; i++)
        if (!isfinite(params[i])) return ln_fail(err, LN_E_FORMAT, "parameter %d is not finite", i);
    memcpy(t->params, params, sizeof(float) * (size_t)t->num_params);
    optimizer_reset(&t->cfg, t->opt_m, t->opt_v, t->num_params);
    t->opt_t = 0;
    t->m.sparsity = diag_sparsity(t->net, t->params, t->m.layer_sparsity);
    for (int l = 0; l < t->net->num_layers; l++) t->m.weight_norm[l] = diag_layer_norm(t->net, t->params, l);
    return LN_OK;
}

ln_status ln_trainer_reinit_layer(ln_trainer *t, int layer, ln_error *err) {
    if (!t) return ln_fail(err, LN_E_ARG, "no trainer");
    if (layer < 0 || layer >= t->net->num_layers) return ln_fail(err, LN_E_ARG, "layer %d does not exist", layer);
    net_init_layer(t->net, t->params, layer, t->cfg.init, &t->rng_init);
    optimizer_reset(&t->cfg, t->opt_m, t->opt_v, t->num_params);
    t->opt_t = 0;
    t->m.weight_norm[layer] = diag_layer_norm(t->net, t->params, layer);
    t->m.sparsity = diag_sparsity(t->net, t->params, t->m.layer_sparsity);
    return LN_OK;
}

ln_status ln_trainer_predict(ln_trainer *t, const float *pixels, int n, float *probs, ln_error *err) {
    if (!t || (n > 0 && (!pixels || !probs)) || n < 0) return ln_fail(err, LN_E_ARG, "predict needs images and room for the probabilities");
    /* The same affine map as the byte table, for pixels already in [0, 1]. */
    float shift = t->pixel[0], scale = t->pixel[255] - t->pixel[0];
    memset(t->labels, 0, (size_t)t->net->max_batch);
    for (int start = 0; start < n; start += t->net->max_batch) {
        int k = min_int(t->net->max_batch, n - start);
        const float *src = pixels + (size_t)start * LN_IMAGE_PIXELS;
        for (int i = 0; i < k * LN_IMAGE_PIXELS; i++) {
            float x = src[i];
            if (!isfinite(x)) return ln_fail(err, LN_E_ARG, "pixel %d of image %d is not finite", i % LN_IMAGE_PIXELS, start + i / LN_IMAGE_PIXELS);
            t->net->x[i] = shift + scale * x;
        }
        net_forward(t->net, t->params, t->stats, t->labels, k, 0);
        memcpy(probs + (size_t)start * LN_CLASSES, t->net->probs, sizeof(float) * (size_t)k * LN_CLASSES);
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
        load_batch(t, t->test, t->test_idx + start, n, 0, NULL);
        net_forward(t->net, t->params, t->stats, t->labels, n, 0);
        for (int b = 0; b < n; b++) {
            int pred = argmax10(t->net->probs + b * LN_CLASSES);
            loss += t->net->losses[b];
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
const uint8_t *ln_trainer_train_labels(const ln_trainer *t) { return t->train_label; }

/* ---- saving and restoring the whole state ------------------------------------------------- */

#define STATE_MAGIC 0x4c4e5354u /* "LNST" */
#define STATE_VERSION 2u
#define STATE_HEADER_WORDS 10

/* A cursor over a state buffer: writes the trainer's fields into it, or reads them back. */
typedef struct {
    uint8_t *out;       /* saving: the buffer; NULL when reading */
    const uint8_t *in;  /* loading: the buffer */
    size_t at;
    int arrays;         /* 0: only the scalar fields are read; the arrays are skipped */
} state_io;

static void io_bytes(state_io *io, void *p, size_t n, int is_array) {
    if (io->out) memcpy(io->out + io->at, p, n);
    else if (io->in && (io->arrays || !is_array)) memcpy(p, io->in + io->at, n);
    io->at += n;
}

static void io_i64(state_io *io, long *v) {
    int64_t x = *v;
    io_bytes(io, &x, 8, 0);
    *v = (long)x;
}

/* Every part of the state, in the buffer's order. The same walk saves, sizes and loads it. */
static void state_walk(ln_trainer *t, state_io *io) {
    io_bytes(io, &t->phase, sizeof(int), 0);
    io_bytes(io, &t->cursor, sizeof(int), 0);
    io_bytes(io, &t->eval_loss, sizeof(double), 0);
    io_i64(io, &t->eval_correct);
    io_i64(io, &t->opt_t);
    io_bytes(io, &t->wait, sizeof(int), 0);
    io_bytes(io, &t->sum_loss, sizeof(double), 0);
    io_bytes(io, &t->sum_acc, sizeof(double), 0);
    io_bytes(io, t->sum_grad, sizeof t->sum_grad, 0);
    io_bytes(io, t->max_grad, sizeof t->max_grad, 0);
    io_bytes(io, &t->epoch_steps, sizeof(int), 0);
    for (int l = 0; l < LN_MAX_LAYERS; l++) io_i64(io, &t->act_saturated[l]);
    io_bytes(io, t->act_sums, sizeof t->act_sums, 0);
    ln_rng *rngs[4] = {&t->rng_init, &t->rng_shuffle, &t->rng_dropout, &t->rng_augment};
    for (int i = 0; i < 4; i++) {
        io_bytes(io, &rngs[i]->state, 8, 0);
        io_bytes(io, &rngs[i]->inc, 8, 0);
    }
    io_bytes(io, &t->m, sizeof t->m, 0);
    io_bytes(io, &t->best, sizeof t->best, 0);
    size_t params = sizeof(float) * (size_t)t->num_params, stats = sizeof(float) * (size_t)t->num_stats;
    io_bytes(io, t->params, params, 1);
    io_bytes(io, t->opt_m, params, 1);
    io_bytes(io, t->opt_v, params, 1);
    io_bytes(io, t->best_params, params, 1);
    io_bytes(io, t->stats, stats, 1);
    io_bytes(io, t->best_stats, stats, 1);
    io_bytes(io, t->act_alive, (size_t)t->net->act_units, 1);
    io_bytes(io, t->epoch_idx, sizeof(int32_t) * (size_t)t->train_count, 1);
    io_bytes(io, t->test_pred, (size_t)t->test_count, 1);
    io_bytes(io, t->eval_pred, (size_t)t->test_count, 1);
    io_bytes(io, t->best_test_pred, (size_t)t->test_count, 1);
}

/* FNV-1a over the selected samples' indices and labels (the training samples' labels as trained
 * with, after label noise): two trainers agree on it when they train, validate and test on the same
 * samples of the same data with the same noisy labels. */
static uint32_t selection_hash(const ln_trainer *t) {
    uint32_t h = 2166136261u;
    const struct { const int32_t *idx; int n; const ln_dataset *d; } parts[3] = {
        {t->train_idx, t->train_count, t->train}, {t->val_idx, t->val_count, t->train}, {t->test_idx, t->test_count, t->test}};
    for (int p = 0; p < 3; p++) {
        h = (h ^ (uint32_t)parts[p].n) * 16777619u;
        for (int i = 0; i < parts[p].n; i++) {
            int32_t k = parts[p].idx[i];
            h = (h ^ (uint32_t)k) * 16777619u;
            h = (h ^ (uint32_t)(p == 0 ? t->train_label[k] : ln_dataset_label(parts[p].d, k))) * 16777619u;
        }
    }
    return h;
}

static size_t state_header_size(void) { return 4 * STATE_HEADER_WORDS + sizeof(ln_config); }

size_t ln_trainer_state_size(const ln_trainer *t) {
    if (!t) return 0;
    state_io io = {0};
    state_walk((ln_trainer *)t, &io);
    return state_header_size() + io.at;
}

static void header_words(const ln_trainer *t, size_t size, uint32_t w[STATE_HEADER_WORDS]) {
    w[0] = STATE_MAGIC, w[1] = STATE_VERSION, w[2] = (uint32_t)size, w[3] = (uint32_t)sizeof(ln_config);
    w[4] = (uint32_t)sizeof(ln_metrics), w[5] = (uint32_t)t->num_params, w[6] = (uint32_t)t->train_count;
    w[7] = (uint32_t)t->val_count, w[8] = (uint32_t)t->test_count, w[9] = selection_hash(t);
}

ln_status ln_trainer_save_state(const ln_trainer *t, uint8_t *buf, size_t len, ln_error *err) {
    if (!t || !buf) return ln_fail(err, LN_E_ARG, "save_state needs a trainer and a buffer");
    size_t size = ln_trainer_state_size(t);
    if (len < size) return ln_fail(err, LN_E_ARG, "the buffer holds %zu bytes; the state needs %zu", len, size);
    uint32_t w[STATE_HEADER_WORDS];
    header_words(t, size, w);
    memcpy(buf, w, sizeof w);
    memcpy(buf + sizeof w, &t->cfg, sizeof(ln_config));
    state_io io = {buf + state_header_size(), NULL, 0, 1};
    state_walk((ln_trainer *)t, &io);
    return LN_OK;
}

static int all_finite(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float x;
        memcpy(&x, p + 4 * i, 4);
        if (!isfinite(x)) return 0;
    }
    return 1;
}

/* The checks of a state's scalar fields, read into a copy of the trainer. */
static ln_status check_scalars(const ln_trainer *t, const ln_trainer *s, const ln_config *saved, ln_error *err) {
    int saved_steps = (t->train_count + saved->batch_size - 1) / saved->batch_size;
    int boundary = s->cursor == 0 && (s->phase == PH_TRAIN || s->phase >= PH_FINISH);
    if (s->phase < PH_TRAIN || s->phase > PH_DONE) return ln_fail(err, LN_E_FORMAT, "state: phase %d is unknown", s->phase);
    int limit = s->phase == PH_TRAIN ? saved_steps - 1 : s->phase == PH_EVAL_TRAIN ? t->train_eval_count
              : s->phase == PH_EVAL_VAL ? t->val_count : s->phase == PH_EVAL_TEST ? t->test_count : 0;
    if (s->cursor < 0 || s->cursor > limit) return ln_fail(err, LN_E_FORMAT, "state: position %d is outside [0, %d]", s->cursor, limit);
    if (saved->batch_size != t->cfg.batch_size && !boundary)
        return ln_fail(err, LN_E_ARG, "the batch size can change only at the end of an epoch: this state is in the middle of one");
    if (s->m.epoch < 0 || s->m.epoch > 200 || s->m.step < 0 || s->opt_t < 0 || s->wait < 0 || s->epoch_steps < 0 ||
        s->epoch_steps > saved_steps || s->m.best_epoch < 0 || s->m.best_epoch > s->m.epoch || s->m.restored_epoch < 0 ||
        s->m.restored_epoch > s->m.epoch || s->m.stop_reason < LN_STOP_NONE || s->m.stop_reason > LN_STOP_DIVERGED ||
        s->eval_correct < 0 || s->eval_correct > LN_MAX_ITEMS)
        return ln_fail(err, LN_E_FORMAT, "state: a counter is out of range");
    for (int l = 0; l < t->net->num_act; l++) {
        const ln_node_info *d = &t->net->nodes[t->net->act_nodes[l]].info;
        if (s->act_saturated[l] < 0 || s->act_saturated[l] > (long)t->train_eval_count * d->shape[0] * d->shape[1] * d->shape[2])
            return ln_fail(err, LN_E_FORMAT, "state: an activation count is out of range");
    }
    if (s->m.train_count != t->train_count || s->m.val_count != t->val_count || s->m.test_count != t->test_count)
        return ln_fail(err, LN_E_FORMAT, "state: its sample counts disagree with its header");
    const ln_rng *rngs[4] = {&s->rng_init, &s->rng_shuffle, &s->rng_dropout, &s->rng_augment};
    for (int i = 0; i < 4; i++)
        if (!(rngs[i]->inc & 1u)) return ln_fail(err, LN_E_FORMAT, "state: random stream %d is malformed", i);
    return LN_OK;
}

/* The bytes of the arrays that close a state. */
static size_t state_arrays_size(const ln_trainer *t) {
    return 4 * sizeof(float) * (size_t)t->num_params + 2 * sizeof(float) * (size_t)t->num_stats + (size_t)t->net->act_units +
           sizeof(int32_t) * (size_t)t->train_count + 3 * (size_t)t->test_count;
}

/* Checks the arrays in the buffer before anything is copied: finite weights, optimiser state and
 * statistics, flags that are 0 or 1, an epoch order that is a permutation of the training subset,
 * digits for predictions. */
static ln_status check_arrays(const ln_trainer *t, const uint8_t *p, ln_error *err) {
    size_t params = sizeof(float) * (size_t)t->num_params, stats = sizeof(float) * (size_t)t->num_stats;
    if (!all_finite(p, (size_t)t->num_params)) return ln_fail(err, LN_E_FORMAT, "state: a weight is not finite");
    if (!all_finite(p + params, 3 * (size_t)t->num_params)) return ln_fail(err, LN_E_FORMAT, "state: an optimiser or best-epoch value is not finite");
    p += 4 * params;
    if (!all_finite(p, 2 * (size_t)t->num_stats)) return ln_fail(err, LN_E_FORMAT, "state: a batch-norm statistic is not finite");
    p += 2 * stats;
    for (int i = 0; i < t->net->act_units; i++)
        if (p[i] > 1) return ln_fail(err, LN_E_FORMAT, "state: an activation flag is not 0 or 1");
    p += t->net->act_units;
    int n = ln_dataset_count(t->train);
    uint8_t *seen = calloc((size_t)n + 1, 1);
    if (!seen) return ln_fail(err, LN_E_NOMEM, "no memory to check a state");
    for (int i = 0; i < t->train_count; i++) seen[t->train_idx[i]] = 1;
    ln_status s = LN_OK;
    for (int i = 0; i < t->train_count && s == LN_OK; i++) {
        int32_t k;
        memcpy(&k, p + 4 * (size_t)i, 4);
        if (k < 0 || k >= n || seen[k] != 1) s = ln_fail(err, LN_E_FORMAT, "state: the epoch's sample order is not a permutation of the training subset");
        else seen[k] = 2;
    }
    free(seen);
    if (s != LN_OK) return s;
    p += 4 * (size_t)t->train_count;
    for (size_t i = 0; i < 3 * (size_t)t->test_count; i++)
        if (p[i] >= LN_CLASSES) return ln_fail(err, LN_E_FORMAT, "state: a prediction is not a digit");
    return LN_OK;
}

ln_status ln_trainer_load_state(ln_trainer *t, const uint8_t *buf, size_t len, ln_error *err) {
    if (!t || !buf) return ln_fail(err, LN_E_ARG, "load_state needs a trainer and a buffer");
    size_t size = ln_trainer_state_size(t);
    uint32_t w[STATE_HEADER_WORDS], want[STATE_HEADER_WORDS];
    if (len < sizeof w) return ln_fail(err, LN_E_FORMAT, "state: %zu bytes is too short for a state", len);
    memcpy(w, buf, sizeof w);
    if (w[0] != STATE_MAGIC) return ln_fail(err, LN_E_FORMAT, "state: not a LeNet Lab training state (wrong magic number)");
    if (w[1] != STATE_VERSION) return ln_fail(err, LN_E_FORMAT, "state: version %u, this core reads version %u", w[1], STATE_VERSION);
    header_words(t, size, want);
    if (w[3] != want[3] || w[4] != want[4]) return ln_fail(err, LN_E_FORMAT, "state: saved by a core with another layout");
    if (len < state_header_size()) return ln_fail(err, LN_E_FORMAT, "state: %zu bytes is too short for a state", len);
    ln_config saved;
    memcpy(&saved, buf + sizeof w, sizeof saved);
    if (ln_config_check(&saved, NULL) != LN_OK) return ln_fail(err, LN_E_FORMAT, "state: its saved config is out of range");
    const ln_config *c = &t->cfg;
    /* A branch keeps the data selection and the network; the message names what differs. */
#define SAME(field, name, what, kept)                                                                          \
    if (saved.field != c->field)                                                                               \
        return ln_fail(err, LN_E_ARG, "the state comes from %s (%s differs): a branch keeps %s", what, name, kept);
#define SAME_DATA(field, name) SAME(field, name, "a run with another data selection", "data, seed, n, val, test, digits, std and noise")
#define SAME_NET(field, name) SAME(field, name, "another network", "model, depth, width, convs, ch, bn and skip")
    SAME_DATA(seed, "seed") SAME_DATA(train_size, "n") SAME_DATA(val_size, "val") SAME_DATA(test_size, "test")
    SAME_DATA(digit_mask, "digits") SAME_DATA(standardize, "std") SAME_DATA(label_noise, "noise")
    SAME_NET(model, "model") SAME_NET(hidden_layers, "depth") SAME_NET(hidden_units, "width") SAME_NET(conv_layers, "convs")
    SAME_NET(channels, "ch") SAME_NET(batch_norm, "bn") SAME_NET(skip, "skip")
#undef SAME_NET
#undef SAME_DATA
#undef SAME
    if (w[5] != want[5]) return ln_fail(err, LN_E_FORMAT, "state: saved by a core with another layout");
    if (w[6] != want[6] || w[7] != want[7] || w[8] != want[8] || w[9] != want[9])
        return ln_fail(err, LN_E_ARG, "the state comes from other data: its samples differ from this run's");
    if (w[2] != size || len != size) return ln_fail(err, LN_E_FORMAT, "state: %zu bytes, expected %zu", len, size);

    /* Scalars into a copy first; arrays checked in place; then everything is copied. */
    ln_trainer copy = *t;
    state_io io = {NULL, buf + state_header_size(), 0, 0};
    state_walk(&copy, &io);
    ln_status s = check_scalars(t, &copy, &saved, err);
    if (s != LN_OK) return s;
    /* The arrays close the buffer. */
    if ((s = check_arrays(t, buf + size - state_arrays_size(t), err)) != LN_OK) return s;
    io = (state_io){NULL, buf + state_header_size(), 0, 1};
    state_walk(t, &io);

    /* The new config applies from here. */
    t->m.steps_per_epoch = (t->train_count + c->batch_size - 1) / c->batch_size;
    if (saved.optimizer != c->optimizer) {
        optimizer_reset(c, t->opt_m, t->opt_v, t->num_params);
        t->opt_t = 0;
    }
    int boundary = t->cursor == 0 && (t->phase == PH_TRAIN || t->phase == PH_FINISH) && t->m.epoch >= 1;
    if (boundary && t->m.stop_reason != LN_STOP_DIVERGED) {
        t->m.stop_reason = LN_STOP_NONE;
        decide_stop(t);
    }
    t->m.phase = public_phase(t->phase);
    return LN_OK;
}
