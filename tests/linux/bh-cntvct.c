/*
 * bh-cntvct: prints the EL1 virtual counter for the Linux guest benchmarks.
 * Under QEMU with -icount shift=0 the counter follows virtual time, which
 * advances 1 ns per guest instruction, so the counter at a point in the boot
 * counts the instructions since reset (plus any time the CPU slept).
 * Built freestanding (no libc) into the test initramfs by
 * tools/fetch-payloads.sh; Linux lets EL0 read CNTVCT_EL0 (the vDSO needs it).
 */
#include <stdint.h>

static long sys_write(int fd, const void *buf, unsigned long len)
{
    register long x0 __asm__("x0") = fd;
    register long x1 __asm__("x1") = (long)buf;
    register long x2 __asm__("x2") = (long)len;
    register long x8 __asm__("x8") = 64; /* __NR_write */
    __asm__ volatile("svc #0" : "+r"(x0) : "r"(x1), "r"(x2), "r"(x8) : "memory");
    return x0;
}

static void sys_exit(int code)
{
    register long x0 __asm__("x0") = code;
    register long x8 __asm__("x8") = 93; /* __NR_exit */
    __asm__ volatile("svc #0" : : "r"(x0), "r"(x8) : "memory");
    for (;;) {
    }
}

static char *put_u64(char *p, uint64_t v)
{
    char tmp[20];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n > 0) {
        *p++ = tmp[--n];
    }
    return p;
}

static char *put_str(char *p, const char *s)
{
    while (*s != '\0') {
        *p++ = *s++;
    }
    return p;
}

void bh_main(void)
{
    uint64_t cnt;
    uint64_t frq;
    /* The ISB keeps the counter read from being taken early. */
    __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(cnt));
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(frq));
    char buf[128];
    char *p = put_str(buf, "bulkhead-guest: cntvct ");
    p = put_u64(p, cnt);
    p = put_str(p, " cntfrq ");
    p = put_u64(p, frq);
    p = put_str(p, " ns ");
    /* Split the product so it cannot overflow for any realistic uptime. */
    uint64_t ns = frq ? (cnt / frq) * 1000000000ull + (cnt % frq) * 1000000000ull / frq : 0;
    p = put_u64(p, ns);
    p = put_str(p, "\n");
    sys_write(1, buf, (unsigned long)(p - buf));
    sys_exit(0);
}

__asm__(".globl _start\n"
        "_start:\n"
        "    bl bh_main\n");
