#include <bh/print.h>
#include <bh/sys.h>

#include <bh_fmt.h>

static char line[256];
static size_t used;

void bh_flush(void)
{
    for (size_t off = 0; off < used; off += BH_DEBUG_WRITE_MAX) {
        size_t n = used - off < BH_DEBUG_WRITE_MAX ? used - off : BH_DEBUG_WRITE_MAX;
        (void)bh_debug_write(line + off, n);
    }
    used = 0;
}

static void sink(char c, void *ctx)
{
    (void)ctx;
    line[used++] = c;
    if (c == '\n' || used == sizeof(line)) {
        bh_flush();
    }
}

int bh_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = bh_vformat(sink, NULL, fmt, ap);
    va_end(ap);
    return (int)n;
}
