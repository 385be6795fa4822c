#include <bh/print.h>
#include <bh/sys.h>

#include <bh_fmt.h>
#include <string.h>

static char line[256];
static size_t used;

void bh_console_write(const char *s, size_t n)
{
    uint64_t ipcbuf;
    __asm__ volatile("mrs %0, tpidrro_el0" : "=r"(ipcbuf));
    size_t off = 0;
    while (off < n) {
        size_t k;
        if (ipcbuf != 0) {
            k = n - off < BH_DEBUG_WRITE_BUF_MAX ? n - off : BH_DEBUG_WRITE_BUF_MAX;
            /* The IPC buffer starts with its message registers. */
            memcpy((uint64_t *)(uintptr_t)ipcbuf + BH_DEBUG_WRITE_BUF_MR, s + off, k);
            (void)bh_syscall_raw(BH_SYS_DEBUG_WRITE_BUF, k);
        } else {
            k = n - off < BH_DEBUG_WRITE_MAX ? n - off : BH_DEBUG_WRITE_MAX;
            (void)bh_debug_write(s + off, k);
        }
        off += k;
    }
}

void bh_flush(void)
{
    bh_console_write(line, used);
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
