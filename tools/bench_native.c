/* bench_native.c - native training throughput on real MNIST: prints the samples/s of the
 * training steps of one epoch of `n` samples (no evaluation), after a short warm-up.
 * usage: bench_native MNIST_DIR BATCH N */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lenet.h"
#include "mnist_files.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s MNIST_DIR BATCH N\n", argv[0]);
        return 2;
    }
    ln_dataset *train, *test;
    ln_error err = {0};
    if (!mnist_load_all(argv[1], &train, &test)) return 1;
    ln_config c;
    ln_config_default(&c);
    c.batch_size = atoi(argv[2]), c.train_size = atoi(argv[3]), c.val_size = 0, c.test_size = 100, c.epochs = 1;
    ln_trainer *t;
    if (ln_trainer_create(&t, &c, train, test, &err) != LN_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    ln_event ev = LN_EV_STEP;
    for (int i = 0; i < 10; i++) ln_trainer_advance(t, &ev, &err); /* warm-up */
    int steps = 0;
    double start = now();
    while (ln_trainer_advance(t, &ev, &err) == LN_OK && ev == LN_EV_STEP) steps++;
    double seconds = now() - start;
    printf("%.1f\n", steps * c.batch_size / seconds);
    ln_trainer_free(t);
    ln_dataset_free(train), ln_dataset_free(test);
    return 0;
}
