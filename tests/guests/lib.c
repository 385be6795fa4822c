/*
 * Runtime for the bare-metal EL1 test guests (see guest.h). Runs with the MMU
 * off, so every data access is Device memory: keep accesses aligned.
 */
#include "guest.h"

extern const char guest_name[];

guest_hook_t guest_sync_hook;
void (*guest_irq_hook)(struct guest_frame *f);

#define UART_DR 0x00u
#define UART_FR 0x18u
#define FR_TXFF (1u << 5)

static inline uint32_t mmio_read32(uint64_t addr)
{
    return *(volatile uint32_t *)addr;
}

static inline void mmio_write32(uint64_t addr, uint32_t v)
{
    *(volatile uint32_t *)addr = v;
}

void *memset(void *d, int c, size_t n)
{
    unsigned char *p = d;
    for (size_t i = 0; i < n; i++) {
        p[i] = (unsigned char)c;
    }
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    unsigned char *p = d;
    const unsigned char *q = s;
    for (size_t i = 0; i < n; i++) {
        p[i] = q[i];
    }
    return d;
}

void guest_putc(char c)
{
    /* A VMM's emulated PL011 may never report a full FIFO; QEMU's can. */
    while ((mmio_read32(GUEST_UART_BASE + UART_FR) & FR_TXFF) != 0) {
    }
    mmio_write32(GUEST_UART_BASE + UART_DR, (uint32_t)(unsigned char)c);
}

void guest_puts(const char *s)
{
    while (*s != '\0') {
        if (*s == '\n') {
            guest_putc('\r');
        }
        guest_putc(*s++);
    }
}

void guest_puthex(uint64_t v)
{
    char buf[19];
    int n = 0;
    buf[n++] = '0';
    buf[n++] = 'x';
    int shift = 60;
    while (shift > 0 && ((v >> shift) & 0xf) == 0) {
        shift -= 4;
    }
    for (; shift >= 0; shift -= 4) {
        buf[n++] = "0123456789abcdef"[(v >> shift) & 0xf];
    }
    buf[n] = '\0';
    guest_puts(buf);
}

void guest_putdec(uint64_t v)
{
    char tmp[21];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    char out[21];
    int m = 0;
    while (n > 0) {
        out[m++] = tmp[--n];
    }
    out[m] = '\0';
    guest_puts(out);
}

struct hvc_result guest_hvc(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                            uint64_t a5)
{
    register uint64_t x0 __asm__("x0") = a0;
    register uint64_t x1 __asm__("x1") = a1;
    register uint64_t x2 __asm__("x2") = a2;
    register uint64_t x3 __asm__("x3") = a3;
    register uint64_t x4 __asm__("x4") = a4;
    register uint64_t x5 __asm__("x5") = a5;
    /* SMCCC: x0..x17 may be clobbered by the callee. */
    __asm__ volatile("hvc #0"
                     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x5)
                     :
                     : "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15", "x16",
                       "x17", "memory");
    struct hvc_result r = {{x0, x1, x2, x3}};
    return r;
}

void guest_poweroff(void)
{
    guest_hvc(PSCI_SYSTEM_OFF, 0, 0, 0, 0, 0);
    guest_puts(guest_name);
    guest_puts(": PSCI SYSTEM_OFF returned; halting\n");
    for (;;) {
        guest_wfi();
    }
}

void guest_finish(const char *name, bool pass)
{
    guest_puts(name);
    guest_puts(pass ? ": PASS\n" : ": FAIL\n");
    guest_poweroff();
}

static const char *ec_name(unsigned ec)
{
    switch (ec) {
    case 0x00:
        return "unknown reason (undefined instruction)";
    case 0x01:
        return "WFI/WFE";
    case 0x16:
        return "HVC";
    case 0x17:
        return "SMC";
    case 0x18:
        return "system register access";
    case 0x20:
        return "instruction abort from a lower EL";
    case 0x21:
        return "instruction abort at the current EL";
    case 0x22:
        return "PC alignment";
    case 0x24:
        return "data abort from a lower EL";
    case 0x25:
        return "data abort at the current EL";
    case 0x26:
        return "SP alignment";
    default:
        return "other";
    }
}

static const char *dfsc_name(unsigned dfsc)
{
    switch (dfsc & 0x3cu) {
    case 0x00:
        return "address size fault";
    case 0x04:
        return "translation fault";
    case 0x08:
        return "access flag fault";
    case 0x0c:
        return "permission fault";
    default:
        break;
    }
    switch (dfsc) {
    case 0x10:
        return "synchronous external abort";
    case 0x21:
        return "alignment fault";
    default:
        return "other";
    }
}

void guest_put_abort(uint64_t esr, uint64_t far)
{
    unsigned ec = (unsigned)(esr >> 26) & 0x3fu;
    unsigned dfsc = (unsigned)esr & 0x3fu;
    guest_puts("ESR_EL1 ");
    guest_puthex(esr);
    guest_puts(": EC ");
    guest_puthex(ec);
    guest_puts(" (");
    guest_puts(ec_name(ec));
    guest_puts(")");
    if (ec == 0x24 || ec == 0x25 || ec == 0x20 || ec == 0x21) {
        guest_puts(", DFSC ");
        guest_puthex(dfsc);
        guest_puts(" (");
        guest_puts(dfsc_name(dfsc));
        if ((dfsc & 0x3cu) <= 0x0cu) {
            guest_puts(", level ");
            guest_putdec(dfsc & 3u);
        }
        guest_puts(")");
        if (ec == 0x24 || ec == 0x25) {
            guest_puts((esr & (1u << 6)) != 0 ? ", write" : ", read");
        }
    }
    guest_puts(", FAR_EL1 ");
    guest_puthex(far);
    guest_puts("\n");
}

/* Probe state: set while exactly one probing instruction runs. */
static volatile bool probe_armed;
static volatile bool probe_faulted;
static volatile uint64_t probe_esr;
static volatile uint64_t probe_far;

static bool probe_handler(struct guest_frame *f, uint64_t esr, uint64_t far)
{
    unsigned ec = (unsigned)(esr >> 26) & 0x3fu;
    if (!probe_armed || ec != 0x25) {
        return false;
    }
    probe_armed = false;
    probe_faulted = true;
    probe_esr = esr;
    probe_far = far;
    f->elr += 4; /* skip the probing load or store */
    return true;
}

bool guest_probe_read32(uint64_t addr, uint32_t *val, uint64_t *esr, uint64_t *far)
{
    uint32_t v = 0;
    probe_faulted = false;
    probe_armed = true;
    __asm__ volatile("ldr %w0, [%1]" : "+r"(v) : "r"(addr) : "memory");
    probe_armed = false;
    *val = v;
    *esr = probe_esr;
    *far = probe_far;
    return probe_faulted;
}

bool guest_probe_write32(uint64_t addr, uint32_t val, uint64_t *esr, uint64_t *far)
{
    probe_faulted = false;
    probe_armed = true;
    __asm__ volatile("str %w0, [%1]" : : "r"(val), "r"(addr) : "memory");
    probe_armed = false;
    *esr = probe_esr;
    *far = probe_far;
    return probe_faulted;
}

uint64_t guest_cntvct(void)
{
    uint64_t v;
    __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v)::"memory");
    return v;
}

uint64_t guest_cntfrq(void)
{
    uint64_t v;
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
    return v;
}

void guest_vtimer_at(uint64_t cval)
{
    __asm__ volatile("msr cntv_cval_el0, %0" : : "r"(cval));
    __asm__ volatile("msr cntv_ctl_el0, %0; isb" : : "r"(1ul) : "memory");
}

void guest_vtimer_off(void)
{
    __asm__ volatile("msr cntv_ctl_el0, %0; isb" : : "r"(2ul) : "memory");
}

bool guest_vtimer_fired(void)
{
    uint64_t ctl;
    __asm__ volatile("mrs %0, cntv_ctl_el0" : "=r"(ctl));
    return (ctl & 4u) != 0;
}

void guest_vtimer_sleep_until(uint64_t cval)
{
    guest_vtimer_at(cval);
    /* IRQs stay masked: the pending timer interrupt only ends the WFI. */
    while (!guest_vtimer_fired()) {
        guest_wfi();
    }
    uint32_t intid = guest_gic_ack();
    guest_vtimer_off();
    if (intid < 1020u) {
        guest_gic_eoi(intid);
    }
}

#define GICD_CTLR       0x0000u
#define GICD_CTLR_RWP   (1u << 31)
#define GICR_WAKER      0x0014u
#define GICR_SGI_BASE   0x10000u
#define GICR_IGROUPR0   (GICR_SGI_BASE + 0x0080u)
#define GICR_ISENABLER0 (GICR_SGI_BASE + 0x0100u)
#define GICR_IPRIORITYR (GICR_SGI_BASE + 0x0400u)
#define WAKER_SLEEP     (1u << 1)
#define WAKER_ASLEEP    (1u << 2)
#define GICD_CTLR_GRP1  (1u << 1) /* EnableGrp1 (one security state) or EnableGrp1NS */
#define GICD_CTLR_ARE   (1u << 4) /* ARE (one security state) or ARE_NS */
#define GIC_SPIN_LIMIT  1000000u

void guest_gic_init_ppi(unsigned intid)
{
    /* Distributor: affinity routing and group 1 on. */
    uint32_t ctlr = mmio_read32(GUEST_GICD_BASE + GICD_CTLR);
    mmio_write32(GUEST_GICD_BASE + GICD_CTLR, ctlr | GICD_CTLR_ARE | GICD_CTLR_GRP1);
    for (unsigned i = 0; i < GIC_SPIN_LIMIT; i++) {
        if ((mmio_read32(GUEST_GICD_BASE + GICD_CTLR) & GICD_CTLR_RWP) == 0) {
            break;
        }
    }
    /* Redistributor: wake it, then make the PPI group 1, mid priority, enabled. */
    uint32_t waker = mmio_read32(GUEST_GICR_BASE + GICR_WAKER);
    mmio_write32(GUEST_GICR_BASE + GICR_WAKER, waker & ~WAKER_SLEEP);
    for (unsigned i = 0; i < GIC_SPIN_LIMIT; i++) {
        if ((mmio_read32(GUEST_GICR_BASE + GICR_WAKER) & WAKER_ASLEEP) == 0) {
            break;
        }
    }
    uint32_t bit = 1u << intid;
    mmio_write32(GUEST_GICR_BASE + GICR_IGROUPR0,
                 mmio_read32(GUEST_GICR_BASE + GICR_IGROUPR0) | bit);
    /* Word accesses only: a VMM's emulation need not support byte accesses. */
    uint64_t prio = GUEST_GICR_BASE + GICR_IPRIORITYR + (intid / 4u) * 4u;
    unsigned shift = (intid % 4u) * 8u;
    uint32_t p = mmio_read32(prio);
    p = (p & ~(0xffu << shift)) | (0x80u << shift);
    mmio_write32(prio, p);
    mmio_write32(GUEST_GICR_BASE + GICR_ISENABLER0, bit);

    /* CPU interface through the system registers. */
    uint64_t sre;
    __asm__ volatile("mrs %0, icc_sre_el1" : "=r"(sre));
    __asm__ volatile("msr icc_sre_el1, %0; isb" : : "r"(sre | 1u));
    __asm__ volatile("msr icc_pmr_el1, %0" : : "r"(0xfful));
    __asm__ volatile("msr icc_bpr1_el1, %0" : : "r"(0ul));
    __asm__ volatile("msr icc_igrpen1_el1, %0; isb" : : "r"(1ul) : "memory");
}

uint32_t guest_gic_ack(void)
{
    uint64_t v;
    __asm__ volatile("mrs %0, icc_iar1_el1" : "=r"(v)::"memory");
    __asm__ volatile("dsb sy" ::: "memory");
    return (uint32_t)v & 0xffffffu;
}

void guest_gic_eoi(uint32_t intid)
{
    __asm__ volatile("msr icc_eoir1_el1, %0; isb" : : "r"((uint64_t)intid) : "memory");
}

static void unexpected(const char *what, struct guest_frame *f, uint64_t esr, uint64_t far)
{
    guest_puts(guest_name);
    guest_puts(": unexpected ");
    guest_puts(what);
    guest_puts(" exception at ELR_EL1 ");
    guest_puthex(f->elr);
    guest_puts("; ");
    guest_put_abort(esr, far);
    guest_finish(guest_name, false);
}

void guest_exception(struct guest_frame *f, uint64_t kind);

void guest_exception(struct guest_frame *f, uint64_t kind)
{
    uint64_t esr;
    uint64_t far;
    __asm__ volatile("mrs %0, esr_el1" : "=r"(esr));
    __asm__ volatile("mrs %0, far_el1" : "=r"(far));
    switch (kind) {
    case GUEST_VEC_SYNC:
        if (probe_handler(f, esr, far)) {
            return;
        }
        if (guest_sync_hook != NULL && guest_sync_hook(f, esr, far)) {
            return;
        }
        unexpected("synchronous", f, esr, far);
        break;
    case GUEST_VEC_IRQ:
        if (guest_irq_hook != NULL) {
            guest_irq_hook(f);
            return;
        }
        unexpected("IRQ", f, esr, far);
        break;
    case GUEST_VEC_FIQ:
        unexpected("FIQ", f, esr, far);
        break;
    case GUEST_VEC_SERROR:
        unexpected("SError", f, esr, far);
        break;
    default:
        unexpected("lower-EL", f, esr, far);
        break;
    }
}

void guest_entry(uint64_t x0, uint64_t x1, uint64_t x2);

void guest_entry(uint64_t x0, uint64_t x1, uint64_t x2)
{
    uint64_t el;
    __asm__ volatile("mrs %0, CurrentEL" : "=r"(el));
    guest_puts(guest_name);
    guest_puts(": start at EL");
    guest_putdec((el >> 2) & 3u);
    guest_puts(", x0 (DTB) ");
    guest_puthex(x0);
    guest_puts("\n");
    if (((el >> 2) & 3u) != 1u) {
        guest_puts(guest_name);
        guest_puts(": must run at EL1\n");
        guest_finish(guest_name, false);
    }
    guest_main(x0, x1, x2);
    guest_poweroff();
}
