/*
 * Pre/postcondition checks. In the kernel a failed check is a panic (a kernel
 * bug, never a user error: user errors return bh_error_t). On the host the
 * check aborts so cmocka and the sanitizers report it.
 */
#ifndef KERNEL_ASSERT_H
#define KERNEL_ASSERT_H

#if defined(BH_HOSTED) && !defined(__FRAMAC__)
#include <stdio.h>
#include <stdlib.h>
#define BH_ASSERT(cond)                                                                            \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)
#else
/* Under Frama-C WP "requires \false" makes every BH_ASSERT a proof obligation:
 * the call must be shown unreachable, i.e. the condition always holds. */
/*@ requires \false;
    assigns \nothing;
    ensures \false; */
void kernel_assert_fail(const char *file, int line, const char *cond) __attribute__((noreturn));
#define BH_ASSERT(cond)                                                                            \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            kernel_assert_fail(__FILE__, __LINE__, #cond);                                         \
        }                                                                                          \
    } while (0)
#endif

#endif
