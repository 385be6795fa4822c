#include <bh_fmt.h>

#include <stdbool.h>
#include <stdint.h>

struct spec {
    bool left;
    bool zero;
    unsigned width;
};

static size_t emit_padded(bh_fmt_sink sink, void *ctx, const struct spec *sp, const char *s,
                          size_t len, char pad)
{
    size_t n = 0;
    size_t fill = sp->width > len ? sp->width - len : 0;
    if (!sp->left) {
        for (size_t i = 0; i < fill; i++) {
            sink(pad, ctx);
            n++;
        }
    }
    for (size_t i = 0; i < len; i++) {
        sink(s[i], ctx);
        n++;
    }
    if (sp->left) {
        for (size_t i = 0; i < fill; i++) {
            sink(' ', ctx);
            n++;
        }
    }
    return n;
}

static size_t emit_number(bh_fmt_sink sink, void *ctx, const struct spec *sp, uint64_t v,
                          unsigned base, bool upper, bool negative)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char buf[24];
    size_t len = 0;
    do {
        buf[sizeof(buf) - 1 - len] = digits[v % base];
        len++;
        v /= base;
    } while (v != 0);
    size_t n = 0;
    if (negative) {
        if (sp->zero) {
            sink('-', ctx);
            n++;
            struct spec rest = *sp;
            rest.width = sp->width > 0 ? sp->width - 1 : 0;
            return n + emit_padded(sink, ctx, &rest, &buf[sizeof(buf) - len], len, '0');
        }
        buf[sizeof(buf) - 1 - len] = '-';
        len++;
    }
    return n + emit_padded(sink, ctx, sp, &buf[sizeof(buf) - len], len,
                           sp->zero && !sp->left ? '0' : ' ');
}

size_t bh_vformat(bh_fmt_sink sink, void *ctx, const char *fmt, va_list ap)
{
    size_t n = 0;
    for (const char *p = fmt; *p != '\0'; p++) {
        if (*p != '%') {
            sink(*p, ctx);
            n++;
            continue;
        }
        p++;
        struct spec sp = {false, false, 0};
        for (;; p++) {
            if (*p == '-') {
                sp.left = true;
            } else if (*p == '0') {
                sp.zero = true;
            } else {
                break;
            }
        }
        while (*p >= '0' && *p <= '9') {
            sp.width = sp.width * 10u + (unsigned)(*p - '0');
            p++;
        }
        unsigned longs = 0;
        bool size = false;
        while (*p == 'l' || *p == 'z') {
            if (*p == 'z') {
                size = true;
            } else {
                longs++;
            }
            p++;
        }
        switch (*p) {
        case 'c': {
            char c = (char)va_arg(ap, int);
            n += emit_padded(sink, ctx, &sp, &c, 1, ' ');
            break;
        }
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (s == NULL) {
                s = "(null)";
            }
            size_t len = 0;
            while (s[len] != '\0') {
                len++;
            }
            n += emit_padded(sink, ctx, &sp, s, len, ' ');
            break;
        }
        case 'd':
        case 'i': {
            int64_t v;
            if (size) {
                v = (int64_t)va_arg(ap, long);
            } else if (longs >= 2) {
                v = (int64_t)va_arg(ap, long long);
            } else if (longs == 1) {
                v = (int64_t)va_arg(ap, long);
            } else {
                v = (int64_t)va_arg(ap, int);
            }
            uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
            n += emit_number(sink, ctx, &sp, mag, 10, false, v < 0);
            break;
        }
        case 'u':
        case 'x':
        case 'X': {
            uint64_t v;
            if (size) {
                v = (uint64_t)va_arg(ap, size_t);
            } else if (longs >= 2) {
                v = (uint64_t)va_arg(ap, unsigned long long);
            } else if (longs == 1) {
                v = (uint64_t)va_arg(ap, unsigned long);
            } else {
                v = (uint64_t)va_arg(ap, unsigned int);
            }
            n += emit_number(sink, ctx, &sp, v, *p == 'u' ? 10u : 16u, *p == 'X', false);
            break;
        }
        case 'p': {
            uint64_t v = (uint64_t)(uintptr_t)va_arg(ap, void *);
            sink('0', ctx);
            sink('x', ctx);
            n += 2;
            n += emit_number(sink, ctx, &sp, v, 16, false, false);
            break;
        }
        case '%':
            sink('%', ctx);
            n++;
            break;
        case '\0':
            /* A lone '%' at the end: print it and stop. */
            sink('%', ctx);
            return n + 1;
        default:
            /* Unknown conversion: print it literally so the mistake is visible. */
            sink('%', ctx);
            sink(*p, ctx);
            n += 2;
            break;
        }
    }
    return n;
}

struct buf_ctx {
    char *buf;
    size_t size;
    size_t used;
};

static void buf_sink(char c, void *ctx)
{
    struct buf_ctx *b = ctx;
    if (b->size > 0 && b->used < b->size - 1) {
        b->buf[b->used] = c;
    }
    b->used++;
}

size_t bh_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct buf_ctx b = {buf, size, 0};
    size_t n = bh_vformat(buf_sink, &b, fmt, ap);
    if (size > 0) {
        buf[b.used < size ? b.used : size - 1] = '\0';
    }
    return n;
}

size_t bh_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = bh_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

bool bh_fail(char *err, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    (void)bh_vsnprintf(err, len, fmt, ap);
    va_end(ap);
    return false;
}
