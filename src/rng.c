/* rng.c - PCG32 streams. */
#include <math.h>

#include "rng.h"

void rng_seed(ln_rng *r, uint32_t seed, uint32_t stream) {
    r->state = 0;
    r->inc = ((uint64_t)stream << 1) | 1u;
    rng_u32(r);
    r->state += 0x853c49e6748fea9bULL ^ ((uint64_t)seed << 17) ^ seed;
    rng_u32(r);
}

uint32_t rng_u32(ln_rng *r) {
    uint64_t old = r->state;
    r->state = old * 6364136223846793005ULL + r->inc;
    uint32_t xorshifted = (uint32_t)(((old >> 18) ^ old) >> 27);
    uint32_t rot = (uint32_t)(old >> 59);
    return (xorshifted >> rot) | (xorshifted << ((32 - rot) & 31));
}

uint32_t rng_below(ln_rng *r, uint32_t n) {
    /* Reject the top sliver of the range so every residue is equally likely. */
    uint32_t threshold = (uint32_t)(-n) % n;
    for (;;) {
        uint32_t x = rng_u32(r);
        if (x >= threshold) return x % n;
    }
}

float rng_uniform_f(ln_rng *r) { return (float)(rng_u32(r) >> 8) * (1.0f / 16777216.0f); }

double rng_uniform_d(ln_rng *r) {
    uint64_t hi = rng_u32(r) >> 5, lo = rng_u32(r) >> 6;
    return (double)(hi * 67108864u + lo) * (1.0 / 9007199254740992.0);
}

double rng_normal(ln_rng *r) {
    for (;;) {
        double u = 2.0 * rng_uniform_d(r) - 1.0, v = 2.0 * rng_uniform_d(r) - 1.0;
        double s = u * u + v * v;
        if (s > 0.0 && s < 1.0) return u * sqrt(-2.0 * log(s) / s);
    }
}
