/* rng.h - the seeded generator: PCG32 (XSH-RR), one independent stream per purpose, so that
 * changing how one purpose draws never shifts another's numbers. */
#ifndef LN_RNG_H
#define LN_RNG_H

#include <stdint.h>

enum { LN_STREAM_INIT, LN_STREAM_SPLIT, LN_STREAM_SHUFFLE, LN_STREAM_DROPOUT, LN_STREAM_AUGMENT, LN_STREAM_NOISE };

typedef struct {
    uint64_t state;
    uint64_t inc; /* odd; selects the stream */
} ln_rng;

void rng_seed(ln_rng *r, uint32_t seed, uint32_t stream);
uint32_t rng_u32(ln_rng *r);
uint32_t rng_below(ln_rng *r, uint32_t n); /* uniform in [0, n), unbiased; n >= 1 */
float rng_uniform_f(ln_rng *r);            /* [0, 1) with 24 random bits */
double rng_uniform_d(ln_rng *r);           /* [0, 1) with 53 random bits */
double rng_normal(ln_rng *r);              /* standard normal (Marsaglia's polar method) */

#endif
