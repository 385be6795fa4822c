/* EL0 system call wrappers (ABI: kernel/include/bulkhead/syscall.h). */
#ifndef BH_USER_SYS_H
#define BH_USER_SYS_H

#include <stddef.h>
#include <stdint.h>

#include <bulkhead/errors.h>
#include <bulkhead/syscall.h>

/* Writes up to BH_DEBUG_WRITE_MAX bytes to the kernel console. */
static inline bh_error_t bh_debug_write(const char *s, size_t n)
{
    uint64_t w[6] = {0, 0, 0, 0, 0, 0};
    for (size_t i = 0; i < n && i < BH_DEBUG_WRITE_MAX; i++) {
        w[i / 8] |= (uint64_t)(uint8_t)s[i] << (8 * (i % 8));
    }
    register uint64_t x0 __asm__("x0") = n;
    register uint64_t x2 __asm__("x2") = w[0];
    register uint64_t x3 __asm__("x3") = w[1];
    register uint64_t x4 __asm__("x4") = w[2];
    register uint64_t x5 __asm__("x5") = w[3];
    register uint64_t x6 __asm__("x6") = w[4];
    register uint64_t x7 __asm__("x7") = w[5];
    register uint64_t x8 __asm__("x8") = BH_SYS_DEBUG_WRITE;
    __asm__ volatile("svc #0"
                     : "+r"(x0)
                     : "r"(x2), "r"(x3), "r"(x4), "r"(x5), "r"(x6), "r"(x7), "r"(x8)
                     : "x1", "memory");
    return (bh_error_t)x0;
}

static inline void __attribute__((noreturn)) bh_exit(uint64_t status)
{
    register uint64_t x0 __asm__("x0") = status;
    register uint64_t x8 __asm__("x8") = BH_SYS_EXIT;
    __asm__ volatile("svc #0" ::"r"(x0), "r"(x8) : "memory");
    __builtin_unreachable();
}

/* Raw system call for tests of the kernel's argument checking. */
static inline uint64_t bh_syscall_raw(uint64_t nr, uint64_t a0)
{
    register uint64_t x0 __asm__("x0") = a0;
    register uint64_t x8 __asm__("x8") = nr;
    __asm__ volatile("svc #0"
                     : "+r"(x0)
                     : "r"(x8)
                     : "x1", "x2", "x3", "x4", "x5", "x6", "x7", "memory");
    return x0;
}

/* The physical CPU the caller runs on right now (BH_SYS_DEBUG_CPU): its
 * index, 0 .. bootinfo ncpus - 1. */
static inline unsigned bh_debug_cpu(void)
{
    register uint64_t x0 __asm__("x0") = 0;
    register uint64_t x1 __asm__("x1");
    register uint64_t x8 __asm__("x8") = BH_SYS_DEBUG_CPU;
    __asm__ volatile("svc #0"
                     : "+r"(x0), "=r"(x1), "+r"(x8)
                     :
                     : "x2", "x3", "x4", "x5", "x6", "x7", "memory");
    return (unsigned)x1;
}

static inline uint64_t bh_counter(void)
{
    uint64_t v;
    __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
    return v;
}

#endif
