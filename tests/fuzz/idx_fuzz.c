/* idx_fuzz.c - libFuzzer harness for the IDX reader. An input is a 4-byte little-endian length L,
 * then the images file (its first L bytes, at most all that is left), then the labels file.
 * Beyond the sanitizers, it checks the reader's contract: a dataset exactly as declared, or none
 * and a message. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lenet.h"

static void check(int ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "idx_fuzz: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 4) return 0;
    size_t images_len = (size_t)data[0] | (size_t)data[1] << 8 | (size_t)data[2] << 16 | (size_t)data[3] << 24;
    data += 4;
    size -= 4;
    if (images_len > size) images_len = size;
    /* Copies of exactly the right length, so ASan sees any read past either file. */
    uint8_t *images = malloc(images_len ? images_len : 1), *labels = malloc(size - images_len + 1);
    check(images && labels, "out of memory");
    memcpy(images, data, images_len);
    memcpy(labels, data + images_len, size - images_len);

    static char sentinel;
    ln_dataset *d = (ln_dataset *)&sentinel; /* must be overwritten either way */
    ln_error err = {0};
    ln_status s = ln_dataset_from_idx(&d, images, images_len, labels, size - images_len, &err);
    if (s == LN_OK) {
        int n = ln_dataset_count(d);
        check(n >= 1 && (size_t)n * 784 + 16 == images_len && (size_t)n + 8 == size - images_len, "count differs from the files");
        for (int i = 0; i < n; i++) {
            check(memcmp(ln_dataset_image(d, i), images + 16 + (size_t)i * 784, 784) == 0, "image differs from the file");
            check(ln_dataset_label(d, i) == labels[8 + i] && labels[8 + i] <= 9, "label differs from the file");
        }
        check(!ln_dataset_image(d, n) && ln_dataset_label(d, -1) == -1, "index out of range accepted");
        ln_dataset_free(d);
    } else {
        check(d == NULL, "failure left a dataset");
        check(err.status == s && err.msg[0] != '\0' && memchr(err.msg, '\0', sizeof err.msg), "failure without a message");
    }
    free(images);
    free(labels);
    return 0;
}
