/*
 * vm_passthrough (an EL1 guest, built with the tests/guests runtime): drives
 * QEMU virt's PL061 GPIO (0x0903_0000, SPI 7 = INTID 39) directly, as a
 * passthrough device. Pin 0 is an output with a level-high interrupt, so
 * writing 1 to it asserts the interrupt: the assertion is one store, and the
 * handler's first instruction reads the virtual counter. Under Bulkhead the
 * VMM maps the GPIO page as Device memory and routes INTID 39 to the vCPU
 * (list register with the HW bit); bare on QEMU the guest owns the GIC. Run
 * with -icount shift=0: instructions = ticks * 1e9 / CNTFRQ.
 */
#include "guest.h"

const char guest_name[] = "vm_passthrough";

#define GPIO_BASE  0x09030000ul
#define GPIO_DATA  (GPIO_BASE + 0x3fcu) /* all 8 pins through the address mask */
#define GPIO_DIR   (GPIO_BASE + 0x400u)
#define GPIO_IS    (GPIO_BASE + 0x404u)
#define GPIO_IEV   (GPIO_BASE + 0x40cu)
#define GPIO_IE    (GPIO_BASE + 0x410u)
#define GPIO_IC    (GPIO_BASE + 0x41cu)
#define GPIO_INTID 39u
#define M          100u

#define GICD_IGROUPR1    (GUEST_GICD_BASE + 0x84u)
#define GICD_ISENABLER1  (GUEST_GICD_BASE + 0x104u)
#define GICD_IPRIORITYR9 (GUEST_GICD_BASE + 0x424u)

static volatile uint64_t irq_at;
static volatile unsigned irqs;
static volatile unsigned others;

static void w32(uint64_t a, uint32_t v)
{
    *(volatile uint32_t *)a = v;
}

static uint32_t r32(uint64_t a)
{
    return *(volatile uint32_t *)a;
}

static void on_irq(struct guest_frame *f)
{
    (void)f;
    uint64_t now;
    __asm__ volatile("mrs %0, cntvct_el0" : "=r"(now));
    uint32_t intid = guest_gic_ack();
    if (intid == GPIO_INTID) {
        irq_at = now;
        w32(GPIO_DATA, 0); /* deassert, then clear the latched level */
        w32(GPIO_IC, 1);
        irqs = irqs + 1;
    } else if (intid < 1020u) {
        others = others + 1;
    }
    if (intid < 1020u) {
        guest_gic_eoi(intid); /* under Bulkhead this also deactivates INTID 39 (HW bit) */
    }
}

void guest_main(uint64_t x0, uint64_t x1, uint64_t x2)
{
    (void)x0;
    (void)x1;
    (void)x2;
    uint64_t frq = guest_cntfrq();
    guest_gic_init_ppi(GUEST_VTIMER_PPI); /* CPU interface and distributor */
    /* Bare QEMU: the SPI in the distributor (under Bulkhead these writes go to
     * the VMM's do-nothing distributor; the kernel enabled the real one). */
    w32(GICD_IGROUPR1, r32(GICD_IGROUPR1) | (1u << 7));
    w32(GICD_IPRIORITYR9, (r32(GICD_IPRIORITYR9) & 0x00ffffffu) | 0x80000000u);
    w32(GICD_ISENABLER1, 1u << 7);
    w32(GPIO_DATA, 0);
    w32(GPIO_DIR, 1);
    w32(GPIO_IS, 1);
    w32(GPIO_IEV, 1);
    w32(GPIO_IC, 0xff);
    w32(GPIO_IE, 1);
    guest_irq_hook = on_irq;
    guest_irq_enable();
    uint64_t total = 0;
    for (unsigned k = 0; k < M; k++) {
        unsigned before = irqs;
        uint64_t t0;
        __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(t0));
        w32(GPIO_DATA, 1); /* assert */
        for (unsigned spin = 0; irqs == before && spin < 1000000u; spin++) {
            __asm__ volatile("nop");
        }
        if (irqs == before) {
            break;
        }
        total += irq_at - t0;
    }
    guest_irq_disable();
    guest_puts("vm_passthrough: ");
    guest_putdec(irqs);
    guest_puts(" GPIO interrupts, ");
    guest_putdec(others);
    guest_puts(" other; assertion to handler: ");
    guest_putdec(irqs == 0 ? 0 : total * 1000000000u / frq / irqs);
    guest_puts(" instructions each\n");
    guest_finish(guest_name, irqs == M && others == 0);
}
