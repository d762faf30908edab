/* simd.h - 4-lane float vectors for the kernels: wasm SIMD128 when the compiler targets it,
 * GCC/clang vector extensions elsewhere (SSE natively, plain scalar code in a wasm build
 * without -msimd128). Both paths do the same float operations, so results match bit for bit.
 * A v4m is a lane mask from a comparison: all bits set or clear. A v2d holds two doubles.
 */
#ifndef LN_SIMD_H
#define LN_SIMD_H

#include <stdint.h>

#ifdef __wasm_simd128__
#include <wasm_simd128.h>

typedef v128_t v4f;
typedef v128_t v4m;

static inline v4f v4f_load(const float *p) { return wasm_v128_load(p); }
static inline void v4f_store(float *p, v4f v) { wasm_v128_store(p, v); }
static inline v4f v4f_splat(float x) { return wasm_f32x4_splat(x); }
static inline v4f v4f_add(v4f a, v4f b) { return wasm_f32x4_add(a, b); }
static inline v4f v4f_sub(v4f a, v4f b) { return wasm_f32x4_sub(a, b); }
static inline v4f v4f_mul(v4f a, v4f b) { return wasm_f32x4_mul(a, b); }
static inline v4f v4f_div(v4f a, v4f b) { return wasm_f32x4_div(a, b); }
static inline v4f v4f_sqrt(v4f a) { return wasm_f32x4_sqrt(a); }
/* pmax/pmin (a < b ? b : a) map to one x86 instruction and pass a NaN in a through */
static inline v4f v4f_max(v4f a, v4f b) { return wasm_f32x4_pmax(a, b); }
static inline v4f v4f_min(v4f a, v4f b) { return wasm_f32x4_pmin(a, b); }
static inline v4f v4f_abs(v4f a) { return wasm_f32x4_abs(a); }
static inline v4m v4f_lt(v4f a, v4f b) { return wasm_f32x4_lt(a, b); }
static inline v4m v4f_gt(v4f a, v4f b) { return wasm_f32x4_gt(a, b); }
static inline v4f v4f_select(v4m m, v4f a, v4f b) { return wasm_v128_bitselect(a, b, m); }
/* lanes 0 and 2 of a then of b; lanes 1 and 3 */
static inline v4f v4f_even(v4f a, v4f b) { return wasm_i32x4_shuffle(a, b, 0, 2, 4, 6); }
static inline v4f v4f_odd(v4f a, v4f b) { return wasm_i32x4_shuffle(a, b, 1, 3, 5, 7); }
/* a0 b0 a1 b1, and a2 b2 a3 b3 (the inverse of even/odd) */
static inline v4f v4f_zip_lo(v4f a, v4f b) { return wasm_i32x4_shuffle(a, b, 0, 4, 1, 5); }
static inline v4f v4f_zip_hi(v4f a, v4f b) { return wasm_i32x4_shuffle(a, b, 2, 6, 3, 7); }
/* 2^n for integer-valued n in [-126, 127], built from the exponent bits */
static inline v4f v4f_pow2i(v4f n) {
    return wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(n), wasm_i32x4_splat(127)),
                          23);
}
static inline float v4f_lane(v4f v, int i) {
    float t[4];
    wasm_v128_store(t, v);
    return t[i];
}
/* lanes holding whole numbers in [0, 255] -> 4 bytes at p */
static inline void v4f_store_u8(uint8_t *p, v4f v) {
    v128_t i = wasm_i32x4_trunc_sat_f32x4(v);
    i = wasm_i16x8_narrow_i32x4(i, i);
    wasm_v128_store32_lane(p, wasm_u8x16_narrow_i16x8(i, i), 0);
}

/* Two doubles, for sums that must not lose float precision: lanes 0-1 or 2-3 of a v4f widened
 * (exactly), then added and multiplied. */
typedef v128_t v2d;
static inline v2d v2d_splat(double x) { return wasm_f64x2_splat(x); }
static inline v2d v2d_add(v2d a, v2d b) { return wasm_f64x2_add(a, b); }
static inline v2d v2d_mul(v2d a, v2d b) { return wasm_f64x2_mul(a, b); }
static inline v2d v2d_lo(v4f v) { return wasm_f64x2_promote_low_f32x4(v); }
static inline v2d v2d_hi(v4f v) {
    return wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 2, 3));
}
static inline double v2d_lane(v2d v, int i) {
    return i ? wasm_f64x2_extract_lane(v, 1) : wasm_f64x2_extract_lane(v, 0);
}

#else

typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4m __attribute__((vector_size(16)));

/* loads and stores through this type may be unaligned, like wasm's v128.load */
typedef float v4f_u __attribute__((vector_size(16), aligned(4)));

static inline v4f v4f_load(const float *p) { return *(const v4f_u *)p; }
static inline void v4f_store(float *p, v4f v) { *(v4f_u *)p = v; }
static inline v4f v4f_splat(float x) { return (v4f){x, x, x, x}; }
static inline v4f v4f_add(v4f a, v4f b) { return a + b; }
static inline v4f v4f_sub(v4f a, v4f b) { return a - b; }
static inline v4f v4f_mul(v4f a, v4f b) { return a * b; }
static inline v4f v4f_div(v4f a, v4f b) { return a / b; }
static inline v4f v4f_sqrt(v4f a) { return (v4f){__builtin_sqrtf(a[0]), __builtin_sqrtf(a[1]), __builtin_sqrtf(a[2]), __builtin_sqrtf(a[3])}; }
static inline v4m v4f_lt(v4f a, v4f b) { return a < b; }
static inline v4m v4f_gt(v4f a, v4f b) { return a > b; }
static inline v4f v4f_select(v4m m, v4f a, v4f b) {
    return (v4f)((m & (v4m)a) | (~m & (v4m)b));
}
static inline v4f v4f_max(v4f a, v4f b) { return v4f_select(a < b, b, a); }
static inline v4f v4f_min(v4f a, v4f b) { return v4f_select(b < a, b, a); }
static inline v4f v4f_abs(v4f a) { return (v4f)((v4m)a & 0x7fffffff); }
static inline v4f v4f_even(v4f a, v4f b) { return __builtin_shufflevector(a, b, 0, 2, 4, 6); }
static inline v4f v4f_odd(v4f a, v4f b) { return __builtin_shufflevector(a, b, 1, 3, 5, 7); }
static inline v4f v4f_zip_lo(v4f a, v4f b) { return __builtin_shufflevector(a, b, 0, 4, 1, 5); }
static inline v4f v4f_zip_hi(v4f a, v4f b) { return __builtin_shufflevector(a, b, 2, 6, 3, 7); }
static inline v4f v4f_pow2i(v4f n) {
    return (v4f)((__builtin_convertvector(n, v4m) + 127) << 23);
}
static inline float v4f_lane(v4f v, int i) { return v[i]; }
static inline void v4f_store_u8(uint8_t *p, v4f v) {
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)v[i];
}

typedef double v2d __attribute__((vector_size(16)));
static inline v2d v2d_splat(double x) { return (v2d){x, x}; }
static inline v2d v2d_add(v2d a, v2d b) { return a + b; }
static inline v2d v2d_mul(v2d a, v2d b) { return a * b; }
static inline v2d v2d_lo(v4f v) { return (v2d){v[0], v[1]}; }
static inline v2d v2d_hi(v4f v) { return (v2d){v[2], v[3]}; }
static inline double v2d_lane(v2d v, int i) { return v[i]; }

#endif

/* The one horizontal-sum order used everywhere: (l0 + l2) + (l1 + l3). */
static inline float v4f_hsum(v4f v) {
    return (v4f_lane(v, 0) + v4f_lane(v, 2)) + (v4f_lane(v, 1) + v4f_lane(v, 3));
}

#endif
