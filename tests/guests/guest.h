/*
 * Runtime shared by the bare-metal EL1 test guests: console, PSCI, exception
 * hooks, fault-tolerant probes, the virtual timer and the GICv3 CPU interface.
 * Addresses are QEMU virt's (docs: tests/guests/README.md); under Bulkhead the
 * VMM emulates the same layout.
 */
#ifndef BH_TEST_GUEST_H
#define BH_TEST_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GUEST_UART_BASE  0x09000000ul
#define GUEST_GICD_BASE  0x08000000ul
#define GUEST_GICR_BASE  0x080a0000ul /* CPU 0's redistributor (RD_base) */
#define GUEST_VTIMER_PPI 27u

#define PSCI_VERSION    0x84000000ul
#define PSCI_SYSTEM_OFF 0x84000008ul

/* Saved registers, as laid out by the vectors in start.S. */
struct guest_frame {
    uint64_t x[31];
    uint64_t elr;
    uint64_t spsr;
};

enum guest_vector_kind {
    GUEST_VEC_SYNC = 0,
    GUEST_VEC_IRQ = 1,
    GUEST_VEC_FIQ = 2,
    GUEST_VEC_SERROR = 3,
    GUEST_VEC_LOWER = 4,
};

/* Each guest defines this; x0..x2 are the entry registers. */
void guest_main(uint64_t x0, uint64_t x1, uint64_t x2);

/* Console. */
void guest_putc(char c);
void guest_puts(const char *s);
void guest_puthex(uint64_t v);
void guest_putdec(uint64_t v);

/* PSCI and SMCCC calls through HVC. */
struct hvc_result {
    uint64_t x[4];
};
struct hvc_result guest_hvc(uint64_t x0, uint64_t x1, uint64_t x2, uint64_t x3, uint64_t x4,
                            uint64_t x5);
void guest_poweroff(void) __attribute__((noreturn));
/* Prints "NAME: PASS" or "NAME: FAIL" and powers off. */
void guest_finish(const char *name, bool pass) __attribute__((noreturn));

/* Hooks: return true when the exception was handled (the frame may be changed). */
typedef bool (*guest_hook_t)(struct guest_frame *f, uint64_t esr, uint64_t far);
extern guest_hook_t guest_sync_hook;
extern void (*guest_irq_hook)(struct guest_frame *f);

/*
 * Probes: one 32-bit access that may abort. A data abort on it is recorded and
 * the access skipped. Returns true when it faulted (esr and far then say why).
 */
bool guest_probe_read32(uint64_t addr, uint32_t *val, uint64_t *esr, uint64_t *far);
bool guest_probe_write32(uint64_t addr, uint32_t val, uint64_t *esr, uint64_t *far);
/* Prints "EC 0x.. (...), DFSC 0x.. (...), read/write, FAR 0x..". */
void guest_put_abort(uint64_t esr, uint64_t far);

/* Virtual counter and timer. */
uint64_t guest_cntvct(void);
uint64_t guest_cntfrq(void);
void guest_vtimer_at(uint64_t cval); /* enabled, unmasked */
void guest_vtimer_off(void);
bool guest_vtimer_fired(void);
/* Sleeps in WFI (IRQs masked) until the virtual timer reaches cval, then
 * acknowledges and completes its interrupt and turns the timer off. Needs
 * guest_gic_init_ppi(GUEST_VTIMER_PPI) first. */
void guest_vtimer_sleep_until(uint64_t cval);

/* GICv3: enable the CPU interface and one PPI (group 1, priority 0x80). */
void guest_gic_init_ppi(unsigned intid);
uint32_t guest_gic_ack(void); /* ICC_IAR1_EL1; 1023 when nothing is pending */
void guest_gic_eoi(uint32_t intid);

static inline void guest_irq_enable(void)
{
    __asm__ volatile("msr daifclr, #2" ::: "memory");
}

static inline void guest_irq_disable(void)
{
    __asm__ volatile("msr daifset, #2" ::: "memory");
}

static inline void guest_wfi(void)
{
    __asm__ volatile("dsb sy; wfi" ::: "memory");
}

/*
 * The device tree: x0 at entry, or when that is 0 a blob at the RAM base
 * (0x40000000) if one is there. Returns /chosen/bootargs, or NULL.
 */
const char *guest_fdt_bootargs(uint64_t dtb);

/*
 * A walk over the children of the device tree's root node (their own
 * properties only; deeper nodes are passed over): for each child a
 * GUEST_FDT_NODE item (name: its name), a GUEST_FDT_PROP item for each of its
 * properties (name, val, len), then GUEST_FDT_NODE_END. Names and values lie
 * inside the blob, which ends at end: compare with guest_fdt_str_is. When
 * visit returns true the walk stops and returns true; otherwise it returns
 * false at the end of the tree, or at once for a missing (dtb 0), misaligned
 * or malformed one.
 */
enum guest_fdt_event { GUEST_FDT_NODE, GUEST_FDT_PROP, GUEST_FDT_NODE_END };
struct guest_fdt_item {
    enum guest_fdt_event event;
    const uint8_t *name;
    const uint8_t *val;
    uint32_t len;
    const uint8_t *end;
};
typedef bool (*guest_fdt_visit_t)(void *ctx, const struct guest_fdt_item *it);
bool guest_fdt_walk(uint64_t dtb, guest_fdt_visit_t visit, void *ctx);
/* s (bounded by end) is the NUL-terminated string want. */
bool guest_fdt_str_is(const uint8_t *s, const uint8_t *end, const char *want);
/* Big-endian cells, read a byte at a time (the blob may be unaligned). */
uint32_t guest_fdt_be32(const uint8_t *p);
uint64_t guest_fdt_be64(const uint8_t *p);
/* Finds "KEY=A,B" (numbers, decimal or 0x hex) among space-separated args. */
bool guest_arg_pair(const char *args, const char *key, uint64_t *a, uint64_t *b);
#define GUEST_RAM_BASE 0x40000000ul

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);

#endif
