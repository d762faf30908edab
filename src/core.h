/* core.h - helpers shared by the core's files; not part of the public API. */
#ifndef LN_CORE_H
#define LN_CORE_H

#include "lenet.h"

/* Records status and a printf-style message in err (when given) and returns status. */
ln_status ln_fail(ln_error *err, ln_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Fan-in and fan-out of a layer's kernel, as Keras counts them (conv: channels x kernel area). */
void ln_layer_fans(int layer, int *fan_in, int *fan_out);

/* The layer's kernel and bias tensors. */
const ln_tensor_info *ln_layer_weight(int layer);
const ln_tensor_info *ln_layer_bias(int layer);

#endif
