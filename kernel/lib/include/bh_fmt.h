/*
 * Minimal printf-style formatting shared by the kernel and EL0 programs.
 * Conversions: %c %s %d %i %u %x %X %p %%, flags '-' '0', a width, and the
 * length modifiers l, ll, z. No floating point (the kernel has no FP).
 */
#ifndef BH_LIB_FMT_H
#define BH_LIB_FMT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

typedef void (*bh_fmt_sink)(char c, void *ctx);

/* Formats to the sink; returns the number of characters produced. */
size_t bh_vformat(bh_fmt_sink sink, void *ctx, const char *fmt, va_list ap);

/* snprintf semantics: always NUL-terminates when size > 0; returns the length
 * the full output would have had. */
size_t bh_snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
size_t bh_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/* Writes an error message into err (bh_snprintf) and returns false, so a
 * checker can `return bh_fail(err, len, ...)`. */
bool bh_fail(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
