/*
 * The per-guest VMM (EL0). One instance serves one VM: it loads the guest's
 * arm64 Linux Image, initrd and a device tree generated for exactly this
 * guest into guest RAM, starts vCPU 0 and then serves every exit the kernel
 * does not finish itself: stage-2 data aborts on emulated MMIO (vGICv3, and
 * the devices vmm_info.devices names: PL011, virtio-console, virtio-blk;
 * channel doorbells), HVC/SMC (PSCI), trapped ICC_SGI1R_EL1 (SGIs), and
 * injects the vGIC's pending interrupts through the kernel's INJECT_IRQ.
 * Its notification (bound to its thread) ends the wait for an exit when
 * console input arrives or a channel's peer rings.
 *
 * Authority: only what vmm/vmm_info.h lists (its exit endpoint, its vCPUs and
 * their TCBs, a send-only line to its parent, its notification, the console
 * input if routed here, one send capability per channel) plus guest RAM and
 * the staged images mapped in its address space. It never sees another guest.
 */
#include <bh/kobj.h>
#include <bh/print.h>
#include <bh/sys.h>

#include <bh_fmt.h>
#include <libfdt.h>
#include <string.h>

#include <vmm/channel.h>
#include <vmm/guest_fdt.h>
#include <vmm/mmio_bus.h>
#include <vmm/pl011.h>
#include <vmm/psci.h>
#include <vmm/vgic.h>
#include <vmm/virtio_blk.h>
#include <vmm/virtio_console.h>
#include <vmm/vmm_info.h>

/* The guest's platform (QEMU virt-like addresses, so Linux needs no quirks). */
#define GICD_IPA    0x08000000ull
#define GICR_IPA    0x080a0000ull
#define UART_IPA    0x09000000ull
#define UART_INTID  33u
#define VBLK_IPA    0x0a000000ull
#define VBLK_INTID  48u
#define VCON_IPA    0x0a000200ull
#define VCON_INTID  49u
#define NR_SPIS_MIN 64u /* more when passthrough or channel INTIDs need them */
#define DTB_MAX     0x10000u
#define CIN_BUF     1024u /* console input read from the kernel, not yet taken by the guest */
#define DEVS_KNOWN  (VMM_DEV_PL011 | VMM_DEV_VIRTIO_CONSOLE | VMM_DEV_VIRTIO_BLK)
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
static struct virtio_console vcon;
static struct channel chans[VMM_MAX_CHANNELS];
static struct irq_line chan_irqs[VMM_MAX_CHANNELS];
static unsigned nr_spis;
static bool has_uart, has_vcon, has_blk;
static bool input_to_vcon; /* console input feeds virtio-console instead of the PL011 */
/* Console input: bytes READ from the kernel that the guest's device has not
 * taken yet (its FIFO or receive buffers were full, or it was disabled). */
static uint8_t cin[CIN_BUF];
static unsigned cin_head, cin_count;
static bool cin_more; /* the kernel may hold more bytes */
static uint8_t dtb[DTB_MAX] __attribute__((aligned(8)));
static unsigned nr_vcpus;
static bool started[VMM_MAX_VCPUS];
static bool stop_caller; /* set by PSCI callbacks: the calling vCPU must not resume */
static bool power_off, reset_req;
static uint64_t exits;
/* Where the exits go (reported at power-off: docs/BENCHMARKS.md). */
static struct {
    uint64_t gic, uart, blk, con, chan, psci, sysreg, injected, notified;
    uint64_t blk_ticks; /* counter ticks inside the virtio-blk model (copies included) */
} stat;
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
        uint32_t done[VGIC_NR_PRIVATE + VGIC_NR_SPIS];
        unsigned n = 0;
        struct vgic_lr lr;
        while (n < sizeof(done) / sizeof(done[0]) && vgic_next_for_cpu(&vgic, v, &lr)) {
            if (lr.hw) {
                /* Passthrough: the kernel injects it from the physical line; a
                 * pending state the guest wrote itself has no line behind it. */
                (void)vgic_eoi(&vgic, v, lr.virt_intid);
                done[n++] = lr.virt_intid;
                continue;
            }
            uint64_t mr[2] = {lr.virt_intid, lr.priority};
            bh_error_t e = bh_invoke(VMM_SLOT_VCPU0 + v, BH_INV_VCPU_INJECT_IRQ, mr, 2, 0, 0, 0);
            stat.injected++;
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

/* ---- console input and channels (the VMM's notification) ---- */

/* Which device gets typed input: the one the guest's kernel reads as its
 * console. The last console= on the command line wins in Linux; hvc means
 * virtio-console. Otherwise the PL011 (the stdout-path console) if present. */
static bool input_goes_to_vcon(void)
{
    if (!has_vcon) {
        return false;
    }
    if (!has_uart) {
        return true;
    }
    const char *last = NULL;
    for (const char *p = info->bootargs; p != NULL && *p != '\0'; p++) {
        if (strncmp(p, "console=", 8) == 0 && (p == info->bootargs || p[-1] == ' ')) {
            last = p + 8;
        }
    }
    return last != NULL && strncmp(last, "hvc", 3) == 0;
}

/* Moves buffered input into the guest's device; returns bytes it took. */
static size_t cin_push(const uint8_t *b, size_t n)
{
    return input_to_vcon ? virtio_console_rx_push(&vcon, b, n) : pl011_rx_push(&uart, b, n);
}

static void cin_pump(void)
{
    while (cin_count > 0) {
        size_t chunk = CIN_BUF - cin_head < cin_count ? CIN_BUF - cin_head : cin_count;
        size_t took = cin_push(cin + cin_head, chunk);
        cin_head = (unsigned)((cin_head + took) % CIN_BUF);
        cin_count -= (unsigned)took;
        if (took < chunk) {
            return; /* the device is full or not receiving: retried after its next access */
        }
    }
}

/* READs what the kernel holds while there is room (40 bytes per READ). */
static void cin_read(void)
{
    while (cin_more && CIN_BUF - cin_count >= 40u) {
        struct bh_sysregs r;
        bh_error_t e = bh_invoke(VMM_SLOT_CONSOLE_IN, BH_INV_CONSOLE_READ, 0, 0, 0, 0, &r);
        if (e != BH_OK || r.x[2] > 40u) {
            if (warn_ok()) {
                say("vmm: %s: console input READ failed (error %u)\n", info->name, e);
            }
            cin_more = false;
            return;
        }
        for (unsigned i = 0; i < r.x[2]; i++) {
            cin[(cin_head + cin_count) % CIN_BUF] = (uint8_t)(r.x[3 + i / 8u] >> (8u * (i % 8u)));
            cin_count++;
        }
        if (r.x[2] < 40u) {
            cin_more = false; /* drained: the next byte signals again */
        }
    }
}

/* Feeds the guest as much input as it takes now; bounded by the buffer. */
static void console_service(void)
{
    for (unsigned round = 0; round < CIN_BUF / 40u + 1u; round++) {
        cin_pump();
        if (cin_count > 0 || !cin_more) {
            return;
        }
        cin_read();
        if (cin_count == 0) {
            return;
        }
    }
}

static void console_input_setup(void)
{
    if (info->console_input == 0) {
        return;
    }
    input_to_vcon = input_goes_to_vcon();
    if (!has_uart && !has_vcon) {
        say("vmm: %s: console input routed here but the guest has no console device\n", info->name);
        return;
    }
    /* The builder set the ConsoleInput to signal VMM_NTFN_CONSOLE_IN on this
     * VMM's notification; bytes typed before now are read at once. */
    cin_more = true;
    say("vmm: %s: console input goes to the guest's %s\n", info->name,
        input_to_vcon ? "virtio-console (hvc0)" : "PL011");
}

static bool chan_ring(void *ctx, unsigned n)
{
    (void)ctx;
    bh_error_t e = bh_signal(VMM_SLOT_CHAN0 + n);
    if (e != BH_OK && warn_ok()) {
        say("vmm: %s: channel %s: cannot signal the peer (error %u)\n", info->name,
            info->channels[n].name, e);
    }
    return e == BH_OK;
}

/* The VMM's notification: console input and channel rings. */
static void notified(uint64_t bits)
{
    stat.notified++;
    if ((bits & VMM_NTFN_CONSOLE_IN) != 0 && info->console_input != 0 && (has_uart || has_vcon)) {
        cin_more = true;
        console_service();
    }
    uint64_t known = VMM_NTFN_CONSOLE_IN;
    for (unsigned n = 0; n < info->nchannels; n++) {
        uint64_t bit = VMM_NTFN_CHAN0 << n;
        known |= bit;
        if ((bits & bit) != 0) {
            channel_peer_signal(&chans[n]);
        }
    }
    if ((bits & ~known) != 0 && warn_ok()) {
        say("vmm: %s: notification bits 0x%lx mean nothing here\n", info->name,
            (unsigned long)(bits & ~known));
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
    struct guest_fdt_virtio vio[2];
    unsigned nvio = 0;
    if (has_blk) {
        vio[nvio++] = (struct guest_fdt_virtio){VBLK_IPA, VIRTIO_MMIO_SIZE, VBLK_INTID};
    }
    if (has_vcon) {
        vio[nvio++] = (struct guest_fdt_virtio){VCON_IPA, VIRTIO_MMIO_SIZE, VCON_INTID};
    }
    /* vmm_info does not say which interrupt belongs to which range: all of
     * pt_irqs go to the first range's node (a node of its own without one). */
    static struct guest_fdt_passthrough pts[VMM_MAX_PASSTHROUGH];
    unsigned npt = 0;
    for (unsigned i = 0; i < info->npassthrough; i++) {
        pts[npt++] = (struct guest_fdt_passthrough){"passthrough",
                                                    "bulkhead,passthrough",
                                                    info->passthrough[i].ipa,
                                                    info->passthrough[i].size,
                                                    {{0, 0}},
                                                    0};
    }
    if (info->npt_irqs > 0 && npt == 0) {
        pts[npt++] = (struct guest_fdt_passthrough){
            "passthrough-irqs", "bulkhead,passthrough", 0, 0, {{0, 0}}, 0};
    }
    for (unsigned i = 0; i < info->npt_irqs; i++) {
        pts[0].irqs[pts[0].nr_irqs++] =
            (struct guest_fdt_irq){(uint32_t)info->pt_irqs[i], GUEST_FDT_IRQ_LEVEL_HIGH};
    }
    struct guest_fdt_channel fch[VMM_MAX_CHANNELS];
    for (unsigned i = 0; i < info->nchannels; i++) {
        const struct vmm_channel *c = &info->channels[i];
        fch[i] = (struct guest_fdt_channel){c->name,
                                            c->ipa,
                                            c->size,
                                            c->doorbell_ipa,
                                            (uint32_t)c->intid,
                                            (c->rights & BH_RIGHT_WRITE) != 0,
                                            c->can_notify != 0};
    }
    struct guest_fdt_config cfg = {
        .model = info->name,
        .ram_base = info->ram_ipa,
        .ram_size = info->ram_size,
        .nr_vcpus = nr_vcpus,
        .gicd_base = GICD_IPA,
        .gicr_base = GICR_IPA,
        .uart_base = has_uart ? UART_IPA : 0,
        .uart_intid = UART_INTID,
        .virtio = vio,
        .nr_virtio = nvio,
        .passthrough = pts,
        .nr_passthrough = npt,
        .channels = fch,
        .nr_channels = (unsigned)info->nchannels,
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

/* An SPI the builder chose (channel or passthrough) that collides with
 * nothing the VMM uses itself. */
static bool intid_free(uint64_t id)
{
    if (id < VGIC_SPI_BASE || id >= VGIC_SPI_BASE + VGIC_NR_SPIS) {
        return false;
    }
    return !((has_uart && id == UART_INTID) || (has_blk && id == VBLK_INTID) ||
             (has_vcon && id == VCON_INTID));
}

/* Checks the version 2 fields once and sizes the vGIC for every INTID. */
static bool check_info(void)
{
    uint64_t devs = info->devices;
    if ((devs & ~(uint64_t)DEVS_KNOWN) != 0) {
        say("vmm: %s: emulated devices 0x%lx are not implemented here; ignored\n", info->name,
            (unsigned long)(devs & ~(uint64_t)DEVS_KNOWN));
    }
    has_uart = (devs & VMM_DEV_PL011) != 0;
    has_vcon = (devs & VMM_DEV_VIRTIO_CONSOLE) != 0;
    has_blk = (devs & VMM_DEV_VIRTIO_BLK) != 0 && info->disk_size != 0;
    if ((devs & VMM_DEV_VIRTIO_BLK) != 0 && info->disk_size == 0) {
        say("vmm: %s: virtio-blk asked for without a disk image; no disk\n", info->name);
    }
    if (info->npassthrough > VMM_MAX_PASSTHROUGH || info->npt_irqs > VMM_MAX_PT_IRQS ||
        info->nchannels > VMM_MAX_CHANNELS) {
        say("vmm: %s: more passthrough ranges, interrupts or channels than vmm_info holds\n",
            info->name);
        return false;
    }
    uint64_t top = VGIC_SPI_BASE + NR_SPIS_MIN - 1u;
    for (unsigned i = 0; i < info->npt_irqs + info->nchannels; i++) {
        uint64_t id =
            i < info->npt_irqs ? info->pt_irqs[i] : info->channels[i - info->npt_irqs].intid;
        bool dup = false;
        for (unsigned j = 0; j < i; j++) {
            uint64_t other =
                j < info->npt_irqs ? info->pt_irqs[j] : info->channels[j - info->npt_irqs].intid;
            dup = dup || other == id;
        }
        if (!intid_free(id) || dup) {
            say("vmm: %s: INTID %lu is not a free SPI below %u\n", info->name, (unsigned long)id,
                VGIC_SPI_BASE + VGIC_NR_SPIS);
            return false;
        }
        top = id > top ? id : top;
    }
    /* GICD_TYPER.ITLinesNumber counts SPIs in blocks of 32. */
    nr_spis = (unsigned)((top - VGIC_SPI_BASE + 32u) & ~31ull);
    for (unsigned i = 0; i < info->nchannels; i++) {
        const struct vmm_channel *c = &info->channels[i];
        uint64_t ram_end = info->ram_ipa + info->ram_size;
        bool in_ram =
            c->doorbell_ipa + CHANNEL_PAGE_SIZE > info->ram_ipa && c->doorbell_ipa < ram_end;
        if (c->size == 0 || (c->doorbell_ipa & (CHANNEL_PAGE_SIZE - 1u)) != 0 || in_ram ||
            memchr(c->name, '\0', sizeof(c->name)) == NULL) {
            say("vmm: %s: channel %u: bad shared memory size, doorbell page or name\n", info->name,
                i);
            return false;
        }
    }
    return true;
}

static bool setup_devices(void)
{
    static const struct irq_line uart_irq = {line_set, &vgic, UART_INTID};
    static const struct irq_line blk_irq = {line_set, &vgic, VBLK_INTID};
    static const struct irq_line con_irq = {line_set, &vgic, VCON_INTID};
    mmio_bus_init(&bus);
    if (!vgic_init(&vgic, nr_vcpus, nr_spis) ||
        !psci_init(&psci, nr_vcpus, info->ram_ipa, info->ram_size, &psci_ops, NULL)) {
        return false;
    }
    /* Passthrough SPIs: the kernel injects them with the HW bit; the vGIC
     * keeps the guest's view of their configuration. */
    for (unsigned i = 0; i < info->npt_irqs; i++) {
        if (!vgic_set_hw(&vgic, (uint32_t)info->pt_irqs[i], (uint32_t)info->pt_irqs[i])) {
            return false;
        }
    }
    bool ok = mmio_bus_add(&bus, GICD_IPA, VGIC_DIST_SIZE, vgic_dist_mmio, &vgic) &&
              mmio_bus_add(&bus, GICR_IPA, nr_vcpus * VGIC_REDIST_SIZE, vgic_redist_mmio, &vgic);
    /* Initialised even when absent: stop_all() flushes it. */
    pl011_init(&uart, info->name, emit_line, NULL, &uart_irq);
    if (ok && has_uart) {
        ok = mmio_bus_add(&bus, UART_IPA, PL011_SIZE, pl011_mmio, &uart);
    }
    if (ok && has_blk) {
        virtio_blk_init(&vblk, &mem, &blk_irq, (uint8_t *)(uintptr_t)info->disk_va, info->disk_size,
                        false, info->name);
        ok = mmio_bus_add(&bus, VBLK_IPA, VIRTIO_MMIO_SIZE, virtio_mmio_access, &vblk.mmio);
    }
    virtio_console_init(&vcon, info->name, emit_line, NULL, &mem, &con_irq);
    if (ok && has_vcon) {
        ok = mmio_bus_add(&bus, VCON_IPA, VIRTIO_MMIO_SIZE, virtio_mmio_access, &vcon.mmio);
    }
    for (unsigned i = 0; ok && i < info->nchannels; i++) {
        const struct vmm_channel *c = &info->channels[i];
        chan_irqs[i] = (struct irq_line){line_set, &vgic, (uint32_t)c->intid};
        channel_init(&chans[i], i, c->can_notify != 0, (c->rights & BH_RIGHT_WRITE) != 0,
                     &chan_irqs[i], chan_ring, NULL);
        ok = mmio_bus_add(&bus, c->doorbell_ipa, CHANNEL_PAGE_SIZE, channel_mmio, &chans[i]);
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
        stat.gic++;
    } else if (ipa >= UART_IPA && ipa < UART_IPA + PL011_SIZE) {
        stat.uart++;
    } else if (ipa >= VBLK_IPA && ipa < VBLK_IPA + VIRTIO_MMIO_SIZE) {
        stat.blk++;
    } else if (ipa >= VCON_IPA && ipa < VCON_IPA + VIRTIO_MMIO_SIZE) {
        stat.con++;
    } else {
        stat.chan++; /* doorbells, or nothing (an abort) */
    }
    bool is_blk = has_blk && ipa >= VBLK_IPA && ipa < VBLK_IPA + VIRTIO_MMIO_SIZE;
    uint64_t t0 = is_blk ? bh_counter() : 0;
    bool ok = mmio_bus_access(&bus, ipa, d.size, d.write, &val);
    if (is_blk) {
        stat.blk_ticks += bh_counter() - t0;
    }
    if (!ok) {
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
    stat.psci++;
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
    stat.sysreg++;
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
    conline_flush(&vcon.out);
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
    if (!check_info()) {
        tell_parent(VMM_MSG_STOPPED, 0);
        return 1;
    }
    if (!boot()) {
        tell_parent(VMM_MSG_STOPPED, 0);
        return 1;
    }
    uint64_t mr[6];
    uint64_t m[BH_VCPU_EXIT_MRS];
    unsigned n = 0;
    uint64_t label = 0, badge = 0;
    console_input_setup();
    bh_error_t e = bh_recv(VMM_SLOT_EP, &label, mr, &n, &badge);
    for (;;) {
        if (e == BH_OK && label == BH_MSG_NOTIFICATION) {
            /* Not an exit: nothing to reply to. */
            notified(badge);
            deliver();
            e = bh_recv(VMM_SLOT_EP, &label, mr, &n, &badge);
            continue;
        }
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
            say("vmm: %s: exits: vGIC %lu, PL011 %lu, virtio-blk %lu, virtio-console %lu, other "
                "MMIO %lu, HVC/SMC %lu, sysreg %lu\n",
                info->name, (unsigned long)stat.gic, (unsigned long)stat.uart,
                (unsigned long)stat.blk, (unsigned long)stat.con, (unsigned long)stat.chan,
                (unsigned long)stat.psci, (unsigned long)stat.sysreg);
            say("vmm: %s: interrupts injected %lu, notifications %lu, counter ticks in the "
                "virtio-blk model %lu\n",
                info->name, (unsigned long)stat.injected, (unsigned long)stat.notified,
                (unsigned long)stat.blk_ticks);
            tell_parent(VMM_MSG_POWER_OFF, exits);
            return 0;
        }
        if (reset_req) {
            reset_req = false;
            pl011_flush(&uart);
            conline_flush(&vcon.out);
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
        if (cin_count > 0 || cin_more) {
            console_service(); /* the device may take more now */
        }
        deliver();
        for (unsigned i = 0; i < 6; i++) {
            mr[i] = reply[i];
        }
        n = rl == 0 ? rn : 0;
        e = bh_reply_recv(VMM_SLOT_EP, rl, mr, &n, &label, &badge);
    }
}
