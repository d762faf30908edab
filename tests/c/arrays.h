/* arrays.h - random float arrays for the kernel tests, from a fixed xorshift32 stream (each test
 * file seeds rng_state itself). */
#ifndef LN_TEST_ARRAYS_H
#define LN_TEST_ARRAYS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

#endif
