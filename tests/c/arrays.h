/* arrays.h - random float arrays for the kernel tests, from a fixed xorshift32 stream (each test
 * file seeds rng_state itself), and their comparison. */
#ifndef LN_TEST_ARRAYS_H
#define LN_TEST_ARRAYS_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static uint32_t rng_state;

static float frand(float lo, float hi) { /* xorshift32, uniform in [lo, hi) */
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return lo + (hi - lo) * (float)(rng_state >> 8) / 16777216.0f;
}

static float *fill(float *x, size_t n, float lo, float hi) {
    for (size_t i = 0; i < n; i++)
        x[i] = frand(lo, hi);
    return x;
}

static float *alloc(size_t n) { return calloc(n ? n : 1, sizeof(float)); }
static float *rand_array(size_t n) { return fill(alloc(n), n, -1.0f, 1.0f); }

static float *copy_of(const float *x, size_t n) {
    return memcpy(alloc(n), x, n * sizeof(float));
}

/* |got - want| <= tol * max(1, max |want|) elementwise, reporting the first mismatch. The
 * scale is the whole tensor's: a float sum of thousands of terms is only accurate relative to
 * their magnitude, not to a result that happens to cancel to near zero. */
static void check_arrays(const float *got, const float *want, size_t n, double tol,
                         const char *what) {
    double scale = 1.0;
    for (size_t i = 0; i < n; i++)
        scale = fmax(scale, fabs(want[i]));
    for (size_t i = 0; i < n; i++)
        if (!(fabs((double)got[i] - want[i]) <= tol * scale)) {
            CHECK(0, "%s: %.9g vs %.9g at index %zu of %zu (scale %g)", what, got[i], want[i],
                  i, n, scale);
            return;
        }
}

static int same_bits(const void *a, const void *b, size_t bytes) { return !memcmp(a, b, bytes); }

#endif
