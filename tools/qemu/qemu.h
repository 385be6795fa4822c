/*
 * Boot an image in QEMU (host). Used by the test harness (tests/harness) and by
 * `bulkhead run`.
 */
#ifndef BH_TOOLS_QEMU_H
#define BH_TOOLS_QEMU_H

#include <stdbool.h>
#include <stddef.h>

struct bh_qemu_opts {
    const char *image;         /* -kernel */
    const char *machine;       /* "virt,virtualization=on,gic-version=3" when NULL */
    const char *cpu;           /* "cortex-a72" when NULL */
    unsigned smp;              /* 1 when 0 */
    unsigned mem_mib;          /* 1024 when 0 */
    double timeout_s;          /* wall clock; 0 = none (interactive) */
    const char *const *expect; /* every text must appear in the console */
    size_t nexpect;
    const char *const *reject; /* any of these fails the run (a panic line always does) */
    size_t nreject;
    const char *log_path; /* console copy, or NULL */
    bool interactive;     /* console on this terminal (stdio), Ctrl-A X quits */
    bool icount;          /* -icount shift=0 for instruction counting */
    bool quiet;           /* do not echo the console to stdout */
    bool allow_panic;     /* a panic line is expected (tests of the panic path) */
    /* Console input: send[i] is written to the serial port once after[i] has
     * appeared (and send[i - 1] was written); "\n", "\r" and "\\" in send[i]
     * are escapes. */
    const char *const *send;
    const char *const *send_after;
    size_t nsend;
    const char *const *extra; /* further QEMU arguments */
    size_t nextra;
};

enum bh_qemu_result {
    BH_QEMU_PASS = 0,    /* all expected texts seen (or interactive run ended) */
    BH_QEMU_TIMEOUT = 1, /* wall-clock limit reached first */
    BH_QEMU_PANIC = 2,   /* a panic or rejected line appeared */
    BH_QEMU_EXITED = 3,  /* QEMU exited before every expected text appeared */
    BH_QEMU_ERROR = 4,   /* QEMU could not be started */
};

enum bh_qemu_result bh_qemu_run(const struct bh_qemu_opts *opts);

/* The line the kernel prints when it panics; the runner watches for it. */
#define BH_PANIC_MARKER "KERNEL PANIC"

#endif
