/* status.c - status names and error reporting. */
#include <stdarg.h>
#include <stdio.h>

#include "core.h"

const char *ln_status_name(ln_status s) {
    switch (s) {
    case LN_OK: return "ok";
    case LN_E_ARG: return "invalid argument";
    case LN_E_NOMEM: return "out of memory";
    case LN_E_FORMAT: return "malformed input";
    case LN_E_DIVERGED: return "training diverged";
    case LN_E_STATE: return "invalid state";
    }
    return "unknown status";
}

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
