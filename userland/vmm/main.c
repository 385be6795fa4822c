/*
 * The per-guest VMM (EL0). One instance serves one VM: it loads the guest's
 * arm64 Linux Image, initrd and a device tree generated for exactly this
 * guest into guest RAM, starts vCPU 0 and then serves every exit the kernel
 * does not finish itself: stage-2 data aborts on emulated MMIO (vGICv3,
 * PL011, virtio-mmio), HVC/SMC (PSCI), trapped ICC_SGI1R_EL1 (SGIs), and
 * injects the vGIC's pending interrupts through the kernel's INJECT_IRQ.
 *
 * Authority: only what vmm/vmm_info.h lists (its exit endpoint, its vCPUs and
 * their TCBs, a send-only line to its parent) plus guest RAM and the staged
 * images mapped in its address space. It never sees another guest.
 */
#include <bh/kobj.h>
#include <bh/print.h>
#include <bh/sys.h>

#include <bh_fmt.h>
#include <libfdt.h>
#include <string.h>

#include <vmm/guest_fdt.h>
#include <vmm/mmio_bus.h>
#include <vmm/pl011.h>
#include <vmm/psci.h>
#include <vmm/vgic.h>
#include <vmm/virtio_blk.h>
#include <vmm/vmm_info.h>

/* The guest's platform (QEMU virt-like addresses, so Linux needs no quirks). */
#define GICD_IPA    0x08000000ull
#define GICR_IPA    0x080a0000ull
#define UART_IPA    0x09000000ull
#define UART_INTID  33u
#define VBLK_IPA    0x0a000000ull
#define VBLK_INTID  48u
#define NR_SPIS     64u
#define DTB_MAX     0x10000u
#define GUEST_PRIO0 0xa0u /* SPIs the guest has not prioritised yet */

/* PSTATE for a vCPU's first instruction: EL1h, D, A, I and F masked. */
#define PSTATE_EL1H_DAIF 0x3c5ull
/* SCTLR_EL1 with the MMU and caches off (RES1 bits only). */
#define SCTLR_EL1_RESET 0x30d00800ull

#define LINUX_MAGIC 0x644d5241u /* "ARM\x64" at offset 56 */
#define SZ_2M       0x200000ull

#define STOP 1u /* reply label that leaves the vCPU stopped */

static const struct vmm_info *info;
static struct guest_mem mem;
static struct mmio_bus bus;
static struct vgic vgic;
static struct pl011 uart;
static struct psci psci;
static struct virtio_blk vblk;
static uint8_t dtb[DTB_MAX] __attribute__((aligned(8)));
static unsigned nr_vcpus;
static bool started[VMM_MAX_VCPUS];
static bool stop_caller; /* set by PSCI callbacks: the calling vCPU must not resume */
static bool power_off, reset_req;
static uint64_t exits;
static unsigned warnings;
/* The vGIC state changed since the last deliver(): scanning every interrupt
 * on every exit would cost more than the exit itself. */
static bool gic_dirty;

/* ---- console ---- */

/* Whole lines only: the pl011 model assembles them with the guest prefix. */
static void emit_line(void *ctx, const char *line, size_t len)
{
    (void)ctx;
    bh_console_write(line, len);
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    char buf[200];
    va_list ap;
    va_start(ap, fmt);
    size_t n = bh_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n >= sizeof(buf)) {
        n = sizeof(buf) - 1;
    }
    emit_line(NULL, buf, n);
}

/* Rate-limited diagnostics: a misbehaving guest must not flood the console. */
static bool warn_ok(void)
{
    return warnings++ < 16;
}

/* ---- kernel objects ---- */

static bh_error_t vcpu_write(unsigned v, uint64_t reg, uint64_t val)
{
    uint64_t mr[3] = {reg, 1, val};
    return bh_invoke(VMM_SLOT_VCPU0 + v, BH_INV_VCPU_WRITE_REGS, mr, 3, 0, 0, 0);
}

/* Puts vCPU v at entry with x0 = arg, MMU off, EL1h, interrupts masked. */
static bool vcpu_reset(unsigned v, uint64_t entry, uint64_t arg)
{
    bh_error_t e = vcpu_write(v, BH_VCPU_REG_PC, entry);
    for (unsigned r = 0; e == BH_OK && r < 4; r++) {
        e = vcpu_write(v, r, r == 0 ? arg : 0);
    }
    if (e == BH_OK) {
        e = vcpu_write(v, BH_VCPU_REG_PSTATE, PSTATE_EL1H_DAIF);
    }
    if (e == BH_OK) {
        e = vcpu_write(v, BH_VCPU_REG_SCTLR_EL1, SCTLR_EL1_RESET);
    }
    if (e == BH_OK) {
        e = vcpu_write(v, BH_VCPU_REG_CNTV_CTL, 0);
    }
    if (e != BH_OK) {
        say("vmm: %s: cannot set up vCPU %u: error %u\n", info->name, v, e);
        return false;
    }
    return true;
}

/* ---- interrupts ---- */

/* Level lines: the kernel does not report the guest's EOI, so a listed level
 * interrupt is retired when its device lowers the line (a later rise is then
 * a new delivery). */
static void line_set(void *ctx, uint32_t intid, bool level)
{
    struct vgic *g = ctx;
    gic_dirty = true;
    (void)vgic_set_level(g, intid, 0, level);
    if (!level) {
        for (unsigned v = 0; v < nr_vcpus; v++) {
            (void)vgic_eoi(g, v, intid);
        }
    }
}

/* Hands every deliverable interrupt to the kernel, most urgent first. The
 * kernel owns list registers and its queue from here on; edge interrupts are
 * retired at once so the next edge is a new delivery. */
static void deliver(void)
{
    if (!gic_dirty) {
        return;
    }
    gic_dirty = false;
    for (unsigned v = 0; v < nr_vcpus; v++) {
        uint32_t done[VGIC_NR_PRIVATE + NR_SPIS];
        unsigned n = 0;
        struct vgic_lr lr;
        while (n < sizeof(done) / sizeof(done[0]) && vgic_next_for_cpu(&vgic, v, &lr)) {
            uint64_t mr[2] = {lr.virt_intid, lr.priority};
            bh_error_t e = bh_invoke(VMM_SLOT_VCPU0 + v, BH_INV_VCPU_INJECT_IRQ, mr, 2, 0, 0, 0);
            if (e != BH_OK) {
                /* Queue full: keep it pending for the next exit. */
                (void)vgic_unlist(&vgic, v, lr.virt_intid, true);
                gic_dirty = true;
                break;
            }
            done[n++] = lr.virt_intid;
        }
        for (unsigned i = 0; i < n; i++) {
            uint32_t id = done[i];
            const struct vgic_irq *irq =
                id < VGIC_NR_PRIVATE ? &vgic.cpu[v].priv[id] : &vgic.spi[id - VGIC_SPI_BASE];
            bool level = id >= VGIC_NR_SGIS && (irq->flags & VGIC_IRQ_EDGE) == 0;
            if (!level) {
                (void)vgic_eoi(&vgic, v, id);
            }
        }
    }
}

/* ---- booting Linux (Documentation/arch/arm64/booting.rst) ---- */

static uint8_t *gpa(uint64_t ipa, uint64_t len)
{
    return guest_mem_translate(&mem, ipa, len);
}

/* Loads Image, initrd and DTB into guest RAM; returns the entry and DTB IPA. */
static bool load_linux(uint64_t *entry, uint64_t *dtb_ipa)
{
    const uint8_t *img = (const uint8_t *)(uintptr_t)info->kernel_va;
    uint64_t isz = info->kernel_size;
    if (isz < 64 || vmm_le32(img + 56) != LINUX_MAGIC) {
        say("vmm: %s: the guest kernel is not an arm64 Image (no magic at offset 56)\n",
            info->name);
        return false;
    }
    uint64_t text_offset = vmm_le64(img + 8);
    uint64_t image_size = vmm_le64(img + 16);
    if (image_size == 0) {
        text_offset = 0x80000; /* pre-3.17 kernels: booting.rst */
        image_size = isz;
    }
    /* A 2 MiB aligned base: guest RAM starts on one. */
    uint64_t base = info->ram_ipa + text_offset;
    uint8_t *dst = gpa(base, image_size);
    if (dst == NULL || isz > image_size) {
        say("vmm: %s: Image of %lu bytes (image_size %lu) does not fit guest RAM\n", info->name,
            (unsigned long)isz, (unsigned long)image_size);
        return false;
    }
    memcpy(dst, img, isz); /* the rest up to image_size (BSS) is zero: boot() cleared RAM */
    uint64_t ram_end = info->ram_ipa + info->ram_size;
    /* DTB in the last 2 MiB, the initrd just below it, both clear of the kernel. */
    *dtb_ipa = ram_end - SZ_2M;
    uint64_t initrd_start = 0, initrd_end = 0;
    if (info->initrd_size != 0) {
        initrd_start = (*dtb_ipa - info->initrd_size) & ~0xfffull;
        initrd_end = initrd_start + info->initrd_size;
        uint8_t *ip = gpa(initrd_start, info->initrd_size);
        if (ip == NULL || initrd_start < base + image_size) {
            say("vmm: %s: the initrd does not fit guest RAM\n", info->name);
            return false;
        }
        memcpy(ip, (const void *)(uintptr_t)info->initrd_va, info->initrd_size);
    }
    struct guest_fdt_virtio vio[1];
    unsigned nvio = 0;
    if (info->disk_size != 0) {
        vio[nvio++] = (struct guest_fdt_virtio){VBLK_IPA, VIRTIO_MMIO_SIZE, VBLK_INTID};
    }
    struct guest_fdt_config cfg = {
        .model = info->name,
        .ram_base = info->ram_ipa,
        .ram_size = info->ram_size,
        .nr_vcpus = nr_vcpus,
        .gicd_base = GICD_IPA,
        .gicr_base = GICR_IPA,
        .uart_base = UART_IPA,
        .uart_intid = UART_INTID,
        .virtio = vio,
        .nr_virtio = nvio,
        .passthrough = NULL,
        .nr_passthrough = 0,
        .bootargs = info->bootargs[0] != '\0' ? info->bootargs : NULL,
        .initrd_start = initrd_start,
        .initrd_end = initrd_end,
    };
    int r = guest_fdt_build(&cfg, dtb, sizeof(dtb));
    if (r != 0) {
        say("vmm: %s: device tree: libfdt error %d\n", info->name, r);
        return false;
    }
    uint32_t dsz = fdt_totalsize(dtb);
    memcpy(gpa(*dtb_ipa, dsz), dtb, dsz);
    *entry = base;
    say("vmm: %s: Linux Image at IPA 0x%lx (%lu KiB), initrd 0x%lx..0x%lx, DTB at 0x%lx "
        "(%u bytes), %u vCPU(s), %lu MiB RAM\n",
        info->name, (unsigned long)base, (unsigned long)(isz / 1024), (unsigned long)initrd_start,
        (unsigned long)initrd_end, (unsigned long)*dtb_ipa, (unsigned)dsz, nr_vcpus,
        (unsigned long)(info->ram_size >> 20));
    return true;
}

/* ---- PSCI actions ---- */

static bool ps_cpu_on(void *ctx, unsigned v, uint64_t entry, uint64_t context_id)
{
    (void)ctx;
    if (!vcpu_reset(v, entry, context_id)) {
        return false;
    }
    bh_error_t e = bh_tcb_resume(VMM_SLOT_VCPU_TCB0 + v);
    if (e != BH_OK) {
        say("vmm: %s: cannot start vCPU %u: error %u\n", info->name, v, e);
        return false;
    }
    started[v] = true;
    say("vmm: %s: PSCI CPU_ON: vCPU %u starts at 0x%lx\n", info->name, v, (unsigned long)entry);
    return true;
}

static void ps_cpu_off(void *ctx, unsigned v)
{
    (void)ctx;
    (void)v;
    stop_caller = true; /* the stop reply parks it; CPU_ON resumes it */
}

static void ps_standby(void *ctx, unsigned v)
{
    (void)ctx;
    (void)v; /* returning at once is a permitted wake-up */
}

static void ps_system_off(void *ctx)
{
    (void)ctx;
    stop_caller = true;
    power_off = true;
}

static void ps_system_reset(void *ctx)
{
    (void)ctx;
    stop_caller = true;
    reset_req = true;
}

static const struct psci_ops psci_ops = {ps_cpu_on, ps_cpu_off, ps_standby, ps_system_off,
                                         ps_system_reset};

/* ---- devices ---- */

static bool setup_devices(void)
{
    static const struct irq_line uart_irq = {line_set, &vgic, UART_INTID};
    static const struct irq_line blk_irq = {line_set, &vgic, VBLK_INTID};
    mmio_bus_init(&bus);
    if (!vgic_init(&vgic, nr_vcpus, NR_SPIS) ||
        !psci_init(&psci, nr_vcpus, info->ram_ipa, info->ram_size, &psci_ops, NULL)) {
        return false;
    }
    pl011_init(&uart, info->name, emit_line, NULL, &uart_irq);
    bool ok = mmio_bus_add(&bus, GICD_IPA, VGIC_DIST_SIZE, vgic_dist_mmio, &vgic) &&
              mmio_bus_add(&bus, GICR_IPA, nr_vcpus * VGIC_REDIST_SIZE, vgic_redist_mmio, &vgic) &&
              mmio_bus_add(&bus, UART_IPA, PL011_SIZE, pl011_mmio, &uart);
    if (ok && info->disk_size != 0) {
        virtio_blk_init(&vblk, &mem, &blk_irq, (uint8_t *)(uintptr_t)info->disk_va, info->disk_size,
                        false, info->name);
        ok = mmio_bus_add(&bus, VBLK_IPA, VIRTIO_MMIO_SIZE, virtio_mmio_access, &vblk.mmio);
    }
    return ok;
}

/* (Re)boots the guest from its original images: vCPU 0 on, the rest off. */
static bool boot(void)
{
    for (unsigned v = 0; v < nr_vcpus; v++) {
        (void)bh_tcb_suspend(VMM_SLOT_VCPU_TCB0 + v);
        started[v] = false;
    }
    if (!setup_devices()) {
        say("vmm: %s: device set-up failed\n", info->name);
        return false;
    }
    static unsigned boots;
    if (boots++ > 0) {
        /* New frames are zero; a reboot starts from clean RAM too. */
        uint64_t *w = (uint64_t *)(void *)mem.host;
        for (uint64_t i = 0; i < info->ram_size / 8; i++) {
            w[i] = 0;
        }
    }
    uint64_t entry = 0, dtb_ipa = 0;
    if (!load_linux(&entry, &dtb_ipa) || !vcpu_reset(0, entry, dtb_ipa)) {
        return false;
    }
    started[0] = true;
    gic_dirty = true;
    /* Counter ticks since reset (CNTVOFF 0): the boot benchmark's split point. */
    say("vmm: %s: boot %u: starting vCPU 0 at counter %lu\n", info->name, boots,
        (unsigned long)bh_counter());
    return bh_tcb_resume(VMM_SLOT_VCPU_TCB0) == BH_OK;
}

/* ---- exits ---- */

static void mmio_exit(const uint64_t *m, uint64_t *reply, unsigned *n)
{
    struct mmio_dabt d;
    uint64_t ipa = m[3];
    if (!mmio_dabt_decode(m[2], &d)) {
        if (warn_ok()) {
            say("vmm: %s: access to IPA 0x%lx without a syndrome (pc 0x%lx): abort injected\n",
                info->name, (unsigned long)ipa, (unsigned long)m[1]);
        }
        reply[0] = BH_VCPU_REPLY_ABORT;
        return;
    }
    uint64_t val = d.write ? m[6] : 0;
    if (d.write && d.size < 8) {
        val &= (1ull << (8 * d.size)) - 1;
    }
    if (ipa >= GICD_IPA && ipa < GICR_IPA + nr_vcpus * VGIC_REDIST_SIZE) {
        gic_dirty = true; /* enables, priorities, routing: maybe deliverable now */
    }
    if (!mmio_bus_access(&bus, ipa, d.size, d.write, &val)) {
        if (warn_ok()) {
            say("vmm: %s: %s of %u bytes at IPA 0x%lx (pc 0x%lx): no device, abort injected\n",
                info->name, d.write ? "write" : "read", d.size, (unsigned long)ipa,
                (unsigned long)m[1]);
        }
        reply[0] = BH_VCPU_REPLY_ABORT;
        return;
    }
    reply[0] = BH_VCPU_REPLY_ADVANCE;
    if (!d.write && d.reg != 31) {
        reply[0] |= BH_VCPU_REPLY_SET_REG;
        reply[1] = d.reg;
        reply[2] = mmio_dabt_load_value(&d, val);
        *n = 3;
    }
}

static void psci_exit(unsigned v, const uint64_t *m, bool smc, uint64_t *reply, unsigned *n)
{
    uint64_t regs[4] = {m[3], m[4], m[5], m[6]};
    if (psci_call(&psci, v, regs) == PSCI_RESULT_NO_RETURN) {
        stop_caller = true;
        return;
    }
    reply[0] = BH_VCPU_REPLY_SET_X0_X3 | (smc ? BH_VCPU_REPLY_ADVANCE : 0);
    reply[2] = regs[0];
    reply[3] = regs[1];
    reply[4] = regs[2];
    reply[5] = regs[3];
    *n = 6;
}

static void sysreg_exit(unsigned v, const uint64_t *m, uint64_t *reply, unsigned *n)
{
    bool read = m[9] != 0;
    /* ICC_SGI1R_EL1 (and ASGI1R, SGI0R: one security state) = 3, 0, c12, c11, 5..7. */
    bool sgi = m[3] == 3 && m[4] == 0 && m[5] == 12 && m[6] == 11 && m[7] >= 5;
    if (sgi && !read) {
        (void)vgic_sgi1r_write(&vgic, v, m[10]);
        gic_dirty = true;
    } else if (m[3] == 3 && !(m[5] == 9 || (m[5] == 14 && m[4] == 3)) && warn_ok()) {
        /* PMU registers (CRn 9, and 14 at op1 3) are quietly RAZ/WI: no PMU in the DT. */
        say("vmm: %s: %s of system register op0 %lu op1 %lu CRn %lu CRm %lu op2 %lu: RAZ/WI\n",
            info->name, read ? "read" : "write", (unsigned long)m[3], (unsigned long)m[4],
            (unsigned long)m[5], (unsigned long)m[6], (unsigned long)m[7]);
    }
    reply[0] = BH_VCPU_REPLY_ADVANCE;
    if (read && m[8] < 31) {
        reply[0] |= BH_VCPU_REPLY_SET_REG;
        reply[1] = m[8];
        reply[2] = 0;
        *n = 3;
    }
}

/* One exit of vCPU v. Returns the reply label. */
static uint64_t handle_exit(unsigned v, const uint64_t *m, uint64_t *reply, unsigned *n)
{
    *n = 1;
    reply[0] = 0;
    stop_caller = false;
    if (started[v] && psci.state[v] == PSCI_CPU_ON_PENDING) {
        psci_cpu_running(&psci, v);
    }
    switch (m[0]) {
    case BH_VCPU_EXIT_DATA_ABORT:
        mmio_exit(m, reply, n);
        break;
    case BH_VCPU_EXIT_HVC:
    case BH_VCPU_EXIT_SMC:
        psci_exit(v, m, m[0] == BH_VCPU_EXIT_SMC, reply, n);
        break;
    case BH_VCPU_EXIT_SYSREG:
        sysreg_exit(v, m, reply, n);
        break;
    default:
        say("vmm: %s: vCPU %u: exit %lu at pc 0x%lx (ESR 0x%lx, FAR/IPA 0x%lx): stopping the "
            "guest\n",
            info->name, v, (unsigned long)m[0], (unsigned long)m[1], (unsigned long)m[2],
            (unsigned long)m[3]);
        stop_caller = true;
        power_off = true;
        return STOP;
    }
    return stop_caller ? STOP : 0;
}

static void tell_parent(uint64_t label, uint64_t detail)
{
    uint64_t mr[1] = {detail};
    (void)bh_send(VMM_SLOT_PARENT, label, mr, 1);
}

static void stop_all(void)
{
    for (unsigned v = 0; v < nr_vcpus; v++) {
        (void)bh_tcb_suspend(VMM_SLOT_VCPU_TCB0 + v);
    }
    pl011_flush(&uart);
}

int main(const struct bh_bootinfo *bi)
{
    info = (const struct vmm_info *)(const void *)bi;
    if (info->magic != VMM_INFO_MAGIC || info->version != VMM_INFO_VERSION || info->nr_vcpus == 0 ||
        info->nr_vcpus > VMM_MAX_VCPUS) {
        say("vmm: bad info page\n");
        return 1;
    }
    nr_vcpus = (unsigned)info->nr_vcpus;
    mem = (struct guest_mem){info->ram_ipa, info->ram_size, (uint8_t *)(uintptr_t)VMM_GUEST_VA};
    if (!boot()) {
        tell_parent(VMM_MSG_STOPPED, 0);
        return 1;
    }
    uint64_t mr[6];
    uint64_t m[BH_VCPU_EXIT_MRS];
    unsigned n = 0;
    uint64_t label = 0, badge = 0;
    bh_error_t e = bh_recv(VMM_SLOT_EP, &label, mr, &n, &badge);
    for (;;) {
        if (e != BH_OK || label != BH_FAULT_VCPU || badge == 0 || badge > nr_vcpus) {
            say("vmm: %s: unexpected message (error %u, label %lu, badge %lu)\n", info->name, e,
                (unsigned long)label, (unsigned long)badge);
            stop_all();
            tell_parent(VMM_MSG_STOPPED, exits);
            return 1;
        }
        for (unsigned i = 0; i < BH_VCPU_EXIT_MRS; i++) {
            m[i] = i < 6 ? mr[i] : bh_ipcbuf()->mr[i];
        }
        exits++;
        uint64_t reply[6] = {0, 0, 0, 0, 0, 0};
        unsigned rn = 0;
        uint64_t rl = handle_exit((unsigned)badge - 1, m, reply, &rn);
        if (power_off) {
            stop_all();
            say("vmm: %s: guest powered off (PSCI SYSTEM_OFF) after %lu exits\n", info->name,
                (unsigned long)exits);
            tell_parent(VMM_MSG_POWER_OFF, exits);
            return 0;
        }
        if (reset_req) {
            reset_req = false;
            pl011_flush(&uart);
            say("vmm: %s: PSCI SYSTEM_RESET: rebooting the guest from its images\n", info->name);
            /* The caller stays stopped; boot() restarts vCPU 0 fresh. */
            struct bh_sysregs r = {{0, bh_msginfo(STOP, 0, 0), 0, 0, 0, 0, 0, 0}, BH_SYS_REPLY};
            bh_syscall(&r);
            if (!boot()) {
                tell_parent(VMM_MSG_STOPPED, exits);
                return 1;
            }
            e = bh_recv(VMM_SLOT_EP, &label, mr, &n, &badge);
            continue;
        }
        deliver();
        for (unsigned i = 0; i < 6; i++) {
            mr[i] = reply[i];
        }
        n = rl == 0 ? rn : 0;
        e = bh_reply_recv(VMM_SLOT_EP, rl, mr, &n, &label, &badge);
    }
}
