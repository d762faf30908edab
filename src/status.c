/* status.c - error reporting. */
#include <stdarg.h>
#include <stdio.h>

#include "core.h"

ln_status ln_fail(ln_error *err, ln_status status, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->status = status;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return status;
}
