/* check.h - the native tests' harness: CHECK records a failure and goes on; RUN runs one test
 * function and prints a TAP-like line; check_summary prints "N passed, N failed" and gives the
 * exit status. */
#ifndef LN_CHECK_H
#define LN_CHECK_H

#include <math.h>
#include <stdio.h>

static int check_failures_in_test;
static int check_passed, check_failed;

#define CHECK(cond, ...)                                                                     \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            check_failures_in_test++;                                                        \
            fprintf(stderr, "  %s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond);       \
            fprintf(stderr, __VA_ARGS__);                                                    \
            fputc('\n', stderr);                                                             \
        }                                                                                    \
    } while (0)

/* |a - b| <= tol * max(1, |a|, |b|) */
#define CHECK_CLOSE(a, b, tol, what)                                                         \
    do {                                                                                     \
        double ca_ = (a), cb_ = (b);                                                         \
        double cs_ = fmax(1.0, fmax(fabs(ca_), fabs(cb_)));                                  \
        CHECK(fabs(ca_ - cb_) <= (tol) * cs_, "%s: %.9g vs %.9g", (what), ca_, cb_);         \
    } while (0)

#define RUN(fn)                                                                              \
    do {                                                                                     \
        check_failures_in_test = 0;                                                          \
        fn();                                                                                \
        if (check_failures_in_test) {                                                        \
            check_failed++;                                                                  \
            printf("not ok - %s\n", #fn);                                                    \
        } else {                                                                             \
            check_passed++;                                                                  \
            printf("ok - %s\n", #fn);                                                        \
        }                                                                                    \
        fflush(stdout);                                                                      \
    } while (0)

static inline int check_summary(const char *suite) {
    printf("%s: %d passed, %d failed\n", suite, check_passed, check_failed);
    return check_failed ? 1 : 0;
}

#endif
