/* core.h - helpers shared by the core's files; not part of the public API. */
#ifndef LN_CORE_H
#define LN_CORE_H

#include "lenet.h"

/* One ln_config field: its C name, where it is, how it is stored, its default and inclusive
 * range; enums also list their names in order ("relu, tanh, sigmoid") (config.c). */
enum { LN_KIND_INT = 0, LN_KIND_UINT = 1, LN_KIND_FLOAT = 2 };
typedef struct {
    const char *name;
    int offset;
    int kind;
    double def, min, max;
    const char *choices;
} ln_config_field;
extern const ln_config_field LN_CONFIG_FIELDS[];
extern const int LN_NUM_CONFIG_FIELDS;

static inline int min_int(int a, int b) { return a < b ? a : b; }

/* Records status and a printf-style message in err (when given) and returns status. */
ln_status ln_fail(ln_error *err, ln_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif
