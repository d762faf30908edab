/* idx.c - MNIST's IDX files: validated parsing into a dataset. */
#include <stdlib.h>
#include <string.h>

#include "core.h"

struct ln_dataset {
    int count;
    uint8_t *images; /* count x 784 */
    uint8_t *labels; /* count */
};

static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Checks one file's header and length; returns its item count or -1 with err set. */
static long idx_header(const uint8_t *b, size_t len, uint32_t magic, int ndims, const char *what,
                       ln_error *err) {
    size_t header = 4 + 4 * (size_t)ndims;
    if (!b || len < header) {
        ln_fail(err, LN_E_FORMAT, "%s file: %zu bytes is too short for an IDX header", what, len);
        return -1;
    }
    if (be32(b) != magic) {
        ln_fail(err, LN_E_FORMAT, "%s file: magic number 0x%08x, expected 0x%08x", what,
                (unsigned)be32(b), (unsigned)magic);
        return -1;
    }
    uint32_t n = be32(b + 4);
    if (n == 0 || n > LN_MAX_ITEMS) {
        ln_fail(err, LN_E_FORMAT, "%s file: %u items, expected 1 to %d", what, (unsigned)n, LN_MAX_ITEMS);
        return -1;
    }
    if (ndims == 3 && (be32(b + 8) != LN_IMAGE_SIDE || be32(b + 12) != LN_IMAGE_SIDE)) {
        ln_fail(err, LN_E_FORMAT, "%s file: images are %ux%u, expected 28x28", what,
                (unsigned)be32(b + 8), (unsigned)be32(b + 12));
        return -1;
    }
    size_t item = ndims == 3 ? LN_IMAGE_PIXELS : 1;
    size_t want = header + (size_t)n * item;
    if (len != want) {
        ln_fail(err, LN_E_FORMAT, "%s file: %zu bytes, but its header declares %u items (%zu bytes): %s",
                what, len, (unsigned)n, want, len < want ? "truncated" : "trailing data");
        return -1;
    }
    return (long)n;
}

ln_status ln_dataset_from_idx(ln_dataset **out, const uint8_t *images, size_t images_len,
                              const uint8_t *labels, size_t labels_len, ln_error *err) {
    if (!out) return ln_fail(err, LN_E_ARG, "no place for the dataset");
    *out = NULL;
    long n = idx_header(images, images_len, 0x00000803u, 3, "images", err);
    if (n < 0) return LN_E_FORMAT;
    long m = idx_header(labels, labels_len, 0x00000801u, 1, "labels", err);
    if (m < 0) return LN_E_FORMAT;
    if (n != m) return ln_fail(err, LN_E_FORMAT, "%ld images but %ld labels", n, m);
    const uint8_t *lab = labels + 8;
    for (long i = 0; i < n; i++)
        if (lab[i] > 9) return ln_fail(err, LN_E_FORMAT, "label %ld is %u, expected 0 to 9", i, lab[i]);

    ln_dataset *d = calloc(1, sizeof *d);
    if (d) {
        d->images = malloc((size_t)n * LN_IMAGE_PIXELS);
        d->labels = malloc((size_t)n);
    }
    if (!d || !d->images || !d->labels) {
        ln_dataset_free(d);
        return ln_fail(err, LN_E_NOMEM, "no memory for %ld images", n);
    }
    d->count = (int)n;
    memcpy(d->images, images + 16, (size_t)n * LN_IMAGE_PIXELS);
    memcpy(d->labels, lab, (size_t)n);
    *out = d;
    return LN_OK;
}

void ln_dataset_free(ln_dataset *d) {
    if (!d) return;
    free(d->images);
    free(d->labels);
    free(d);
}

int ln_dataset_count(const ln_dataset *d) { return d ? d->count : 0; }

const uint8_t *ln_dataset_image(const ln_dataset *d, int i) {
    return d && i >= 0 && i < d->count ? d->images + (size_t)i * LN_IMAGE_PIXELS : NULL;
}

int ln_dataset_label(const ln_dataset *d, int i) {
    return d && i >= 0 && i < d->count ? d->labels[i] : -1;
}
