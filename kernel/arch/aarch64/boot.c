/*
 * Boot flow (docs/ARCHITECTURE.md "Boot"): head.S checked we are at EL2,
 * cleared BSS and set a stack; kmain finds the platform in the device tree,
 * turns on the MMU, brings up the GIC and the timer, loads the root task and
 * drops to it at EL0.
 */
#include <arch/gic.h>
#include <arch/mmu.h>
#include <arch/psci.h>
#include <arch/regs.h>
#include <arch/smp.h>
#include <arch/sysreg.h>
#include <arch/timer.h>
#include <bulkhead/bootimage.h>
#include <kernel/bootmem.h>
#include <kernel/console.h>
#include <kernel/platform.h>
#include <kernel/kernel.h>
#include <kernel/roottask.h>
#include <kernel/sched.h>
#include <kernel/vspace.h>
#include <vm/stage2.h>

#include <libfdt.h>

#define TIMESLICE_US 10000u /* round-robin quantum among equal priorities */

extern char _text[], _end[];
void arch_restore_regs(struct arch_regs *r) __attribute__((noreturn));
void kentry_init(unsigned timer, unsigned console, uint64_t timeslice_us);
struct arch_regs *kentry_start(void);

static struct platform plat;
static struct bh_schedule boot_schedule;
static struct bootmem bootmem;

/* Called by head.S when entered at EL1 or EL3: the console is the fallback. */
void boot_wrong_el(uint64_t el, uint64_t dtb)
{
    (void)dtb;
    console_init(0x09000000);
    kprintf("\nBulkhead must be started at EL2, but it was entered at EL%lu.\n", (unsigned long)el);
    if (el == 1) {
        kprintf("Start QEMU with -M virt,virtualization=on (or enable EL2 in the boot loader).\n");
    } else {
        kprintf("Firmware at EL3 must drop to EL2 (non-secure) before starting Bulkhead.\n");
    }
}

static const void *find_fdt(uint64_t x0)
{
    /* The Linux boot protocol passes it in x0; QEMU loading an ELF does not, but
     * places it at the base of RAM (documented fallback). */
    if (x0 != 0 && fdt_check_header((const void *)(uintptr_t)x0) == 0) {
        return (const void *)(uintptr_t)x0;
    }
    const void *ram_base = (const void *)(uintptr_t)0x40000000ull;
    if (fdt_check_header(ram_base) == 0) {
        return ram_base;
    }
    return NULL;
}

static void print_platform(void)
{
    kprintf("platform: %s%s\n", plat.model[0] ? plat.model : "(no model)",
            plat.from_fdt ? " (from the device tree)" : "");
    uint64_t ram = 0;
    for (unsigned i = 0; i < plat.nram; i++) {
        kprintf("  memory  0x%010lx-0x%010lx (%lu MiB)\n", (unsigned long)plat.ram[i].base,
                (unsigned long)(plat.ram[i].base + plat.ram[i].size - 1),
                (unsigned long)(plat.ram[i].size >> 20));
        ram += plat.ram[i].size;
    }
    kprintf("  cpus    %u\n", plat.ncpus);
    kprintf("  console PL011 at 0x%lx (INTID %u)\n", (unsigned long)plat.uart.base,
            plat.uart_intid);
    kprintf("  gic     GICv3 distributor 0x%lx, redistributors 0x%lx (+0x%lx)\n",
            (unsigned long)plat.gicd.base, (unsigned long)plat.gicr.base,
            (unsigned long)plat.gicr.size);
    kprintf("  timer   PPIs: EL2 physical %u, virtual %u, EL1 physical %u\n", plat.timer_hyp_intid,
            plat.timer_virt_intid, plat.timer_phys_intid);
    kprintf("  psci    %s\n", plat.psci == PSCI_SMC   ? "SMC"
                              : plat.psci == PSCI_HVC ? "HVC (unusable at EL2)"
                                                      : "none");
    (void)ram;
}

/* Polled check that the EL2 timer interrupt reaches us through the GIC. */
static void timer_selftest(void)
{
    gic_enable(plat.timer_hyp_intid);
    uint64_t start = timer_now();
    timer_set_deadline(start + timer_us_to_ticks(1000));
    for (uint64_t spins = 0; spins < 100000000ull; spins++) {
        if ((READ_SYSREG(isr_el1) & (1u << 7)) != 0) { /* ISR_EL1.I: IRQ pending */
            unsigned intid = gic_ack();
            uint64_t waited = timer_now() - start;
            gic_eoi(intid);
            gic_deactivate(intid);
            timer_cancel();
            if (intid != plat.timer_hyp_intid) {
                panic("timer self-test: expected INTID %u, got %u", plat.timer_hyp_intid, intid);
            }
            kprintf("timer: %lu Hz; EL2 timer interrupt (INTID %u) after %lu us\n",
                    (unsigned long)timer_freq(), intid, (unsigned long)timer_ticks_to_us(waited));
            return;
        }
    }
    panic("timer self-test: the EL2 timer interrupt never arrived");
}

/* Installs the image's time-partition schedule, if it has one. A schedule
 * the scheduler refuses means a broken image: boot stops with the reason. */
static void install_schedule(void)
{
    const struct bh_payload_header *h = payload_find();
    for (unsigned i = 0; h != NULL && i < h->count; i++) {
        const struct bh_payload_entry *e = &h->entries[i];
        if (e->kind != BH_PAYLOAD_SCHEDULE) {
            continue;
        }
        const struct bh_boot_schedule *bs = (const void *)((const char *)h + e->offset);
        if (e->size < sizeof(*bs) || bs->num_windows > BH_SCHED_MAX_WINDOWS ||
            e->size < sizeof(*bs) + bs->num_windows * sizeof(bs->windows[0])) {
            panic("boot: schedule payload '%s' is truncated", e->name);
        }
        boot_schedule.major_frame = timer_us_to_ticks(bs->major_frame_us);
        boot_schedule.num_windows = bs->num_windows;
        for (unsigned w = 0; w < bs->num_windows; w++) {
            boot_schedule.windows[w].offset = timer_us_to_ticks(bs->windows[w].offset_us);
            boot_schedule.windows[w].length = timer_us_to_ticks(bs->windows[w].length_us);
            boot_schedule.windows[w].partition = bs->windows[w].partition;
        }
        uint32_t bad = 0;
        bh_error_t err = sched_schedule_validate(&boot_schedule, &bad);
        if (err == BH_OK) {
            err = sched_set_schedule(&boot_schedule, timer_now());
        }
        if (err != BH_OK) {
            panic("boot: schedule rejected (error %d, window %u)", (int)err, bad);
        }
        kprintf("sched: time-partition schedule installed: major frame %lu us, %u windows\n",
                (unsigned long)bs->major_frame_us, bs->num_windows);
    }
}

static void setup_bootmem(void)
{
    bootmem_init(&bootmem);
    for (unsigned i = 0; i < plat.nram; i++) {
        if (bootmem_add(&bootmem, plat.ram[i].base, plat.ram[i].size) != BH_OK) {
            panic("boot: bad or overlapping memory range 0x%lx", (unsigned long)plat.ram[i].base);
        }
    }
    uint64_t kstart = (uint64_t)(uintptr_t)_text;
    uint64_t kend = align_up((uint64_t)(uintptr_t)_end, BH_PAYLOAD_ALIGN);
    const struct bh_payload_header *h = payload_find();
    if (h != NULL) {
        kend += h->size;
    }
    bh_error_t err = bootmem_reserve(&bootmem, kstart, kend - kstart);
    if (err == BH_OK && plat.from_fdt) {
        err = bootmem_reserve(&bootmem, plat.dtb_base, plat.dtb_size);
    }
    for (unsigned i = 0; err == BH_OK && i < plat.nreserved; i++) {
        err = bootmem_reserve(&bootmem, plat.reserved[i].base, plat.reserved[i].size);
    }
    if (err != BH_OK) {
        panic("boot: too many reserved memory ranges");
    }
}

/* EL2 configuration every CPU sets the same way. */
void el2_cpu_config(void)
{
    /* Lower ELs may not use FP/SIMD or SVE until a vCPU owns the FP state;
     * no trapping of debug or AArch32 coprocessor registers needed yet. */
    WRITE_SYSREG(cptr_el2, CPTR_EL2_RES1 | CPTR_TZ | CPTR_TFP);
    WRITE_SYSREG(hstr_el2, 0);
    /* EL0 threads (HCR_EL2.TGE) take these EL0 controls from SCTLR_EL1: let
     * them do cache maintenance by VA (loaders copying code), read CTR_EL0 and
     * use DC ZVA on their own memory. RES1 bits as the Arm ARM lists them. */
    WRITE_SYSREG(sctlr_el1, SCTLR_EL1_RES1 | SCTLR_EL1_UCI | SCTLR_EL1_UCT | SCTLR_EL1_DZE);
    WRITE_SYSREG(vtcr_el2, s2_vtcr(mmu_pa_range()));
    /* Physical interrupts go to EL2 even before the first thread runs: the
     * idle loop of a CPU that has never run one takes them at EL2. */
    WRITE_SYSREG(hcr_el2, HCR_RW | HCR_IMO | HCR_FMO | HCR_AMO);
    ISB();
}

void kmain(uint64_t x0)
{
    const void *fdt = find_fdt(x0);
    const char *why = fdt != NULL ? platform_from_fdt(fdt, &plat) : "none found";
    if (why != NULL) {
        platform_fallback(&plat);
    }
    console_init(plat.uart.base);
    kprintf("\nBulkhead separation hypervisor (AArch64, EL2)\n");
    if (why != NULL) {
        kprintf("platform: no usable device tree (%s); using the QEMU virt fallback\n", why);
    }
    print_platform();

    mmu_init(&plat);
    /* Per-CPU data (TPIDR_EL2) and kernel stack of CPU 0; from here on the
     * boot CPU holds the kernel lock until it first leaves the kernel, so
     * the secondaries it starts wait for it. */
    smp_boot_cpu_init(READ_SYSREG(mpidr_el1));
    smp_lock();
    el2_cpu_config();
    kprintf("mmu: EL2 stage 1 on (W^X); stage 2 VTCR_EL2 0x%lx\n",
            (unsigned long)READ_SYSREG(vtcr_el2));

    const char *gerr =
        gic_init(plat.gicd.base, plat.gicr.base, plat.gicr.size, READ_SYSREG(mpidr_el1));
    if (gerr != NULL) {
        panic("gic: %s", gerr);
    }
    kprintf("gic: GICv3 ready, %u interrupt IDs, IIDR 0x%08x\n", gic_num_intids(), gic_iidr());
    timer_init();
    psci_init(plat.psci);
    timer_selftest();

    setup_bootmem();
    uint64_t ram = 0;
    for (unsigned i = 0; i < plat.nram; i++) {
        ram += plat.ram[i].size;
    }
    /* Device memory for user level: everything below the lowest RAM range,
     * minus the kernel's own GIC and console. */
    static struct bootmem devmem;
    uint64_t low = UINT64_MAX;
    for (unsigned i = 0; i < plat.nram; i++) {
        low = plat.ram[i].base < low ? plat.ram[i].base : low;
    }
    bootmem_init(&devmem);
    bh_error_t derr = low == UINT64_MAX ? BH_OK : bootmem_add(&devmem, 0, low);
    if (derr == BH_OK) {
        derr = bootmem_reserve(&devmem, plat.gicd.base, plat.gicd.size);
    }
    if (derr == BH_OK) {
        derr = bootmem_reserve(&devmem, plat.gicr.base, plat.gicr.size);
    }
    if (derr == BH_OK) {
        derr = bootmem_reserve(&devmem, plat.uart.base, plat.uart.size ? plat.uart.size : 0x1000);
    }
    vspace_init();
    kentry_init(plat.timer_hyp_intid, plat.uart_intid, TIMESLICE_US);
    unsigned online = smp_start_secondaries(&plat, plat.timer_hyp_intid);
    kprintf("smp: %u of %u CPUs online\n", online, plat.ncpus);
#ifdef BH_KERNEL_SELFTEST_PANIC
    /* Test kernel only (kernel-selftest.elf): prove the panic path (with the
     * other CPUs online: they are stopped) by reading an address the EL2
     * tables do not map. */
    kprintf("selftest: reading unmapped EL2 address 0xdead0000\n");
    (void)*(volatile uint64_t *)(uintptr_t)0xdead0000ull;
#endif
    struct bootinfo_facts facts = {timer_freq(), online, ram, derr == BH_OK ? &devmem : NULL};
    install_schedule();
    struct tcb *rt = roottask_create(&bootmem, &facts);
    kernel_set_root(rt);
    kernel_start_thread(rt, 255);

    gic_enable(plat.timer_hyp_intid);
    arch_restore_regs(kentry_start());
}
