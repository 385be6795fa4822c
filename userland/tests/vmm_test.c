/*
 * A tiny test VMM (issue 4), run as the root task. For every guest-kernel
 * component in the boot payload it builds a VM from untyped memory (one
 * 2 MiB frame of RAM at IPA 0x4000_0000), loads the guest's ELF there, binds
 * a vCPU to a new TCB and serves the guest's exits: a PL011 transmit-only
 * console, a do-nothing GIC distributor/redistributor (the guest's CPU
 * interface is the hardware's virtual one), a one-register test device at
 * 0x0A10_0000, PSCI_VERSION / SYSTEM_OFF and one vendor hypervisor call over
 * HVC, and synchronous aborts injected for every other IPA.
 *
 * The component name selects the scenario (tests/qemu/CMakeLists.txt):
 *   NAME            one guest, served by the root thread until it powers off
 *   probe+victim    "probe" (memprobe) gets the physical range of "victim"'s
 *                   RAM as its probe range; victim's RAM is checksummed before
 *                   and after
 *   idle            (wfi_idle) with a low-priority thread counting while the
 *                   guest waits in WFI
 *   hbA+hbB         two heartbeat guests, each with its own VMM thread; B's
 *                   VMM crashes after B's third heartbeat
 */
#include "ktest_vmm.h"

#include <bulkhead/bootimage.h>

#include <bh_fmt.h>
#include <string.h>

#define TESTDEV_IPA 0x0a100000ull

#define HVC_TEST_FN     0xc6000042ull
#define HVC_INJECT_TEST 0xc6000050ull /* virq_order: inject 12 SPIs now */

#define MAX_GUESTS 4

struct guest {
    char name[32];
    uint64_t vm, vcpu, tcb, ep, ram, ram_copy;
    uint64_t ram_pa;
    uint8_t *ram_va;
    uint64_t entry;
    uint64_t arg1, arg2;
    char line[160];
    unsigned linelen;
    uint32_t testdev;
    unsigned aborts;
    volatile unsigned beats;
    uint64_t beat_at[64];
    bool crash_after_3;
    volatile bool done;
};

static struct guest guests[MAX_GUESTS];
static unsigned nguests;

/* Whole lines through the debug console (bh_printf's buffer is not shared
 * safely between threads). */
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
    bh_console_write(buf, n);
}

/* ---- object set-up ---- */

static void create_guest(struct guest *g, const uint8_t *img, uint64_t size, uint64_t prio)
{
    unsigned idx = (unsigned)(g - guests);
    g->vm = kt_alloc(BH_OBJ_VM, 0);
    g->vcpu = kt_alloc(BH_OBJ_VCPU, 0);
    g->tcb = kt_alloc(BH_OBJ_TCB, 0);
    g->ep = kt_alloc(BH_OBJ_ENDPOINT, 0);
    g->ram = kt_alloc(BH_OBJ_FRAME_2M, 0);
    g->ram_copy = kt_slot();
    kt_check(bh_cnode_copy(CNODE, g->ram_copy, g->ram, BH_RIGHTS_ALL) == BH_OK, "copy RAM cap");
    struct bh_sysregs r;
    kt_check(bh_invoke(g->ram, BH_INV_FRAME_GET_ADDRESS, 0, 0, 0, 0, &r) == BH_OK, "frame address");
    g->ram_pa = r.x[2];
    uint64_t va = VMM_RAM_VA + idx * GUEST_RAM_SIZE;
    kt_check(kt_as_map_2m(g->ram, va) == BH_OK, "map guest RAM into the VMM");
    g->ram_va = (uint8_t *)(uintptr_t)va;
    kt_check(kt_vm_map(g->vm, g->ram_copy, GUEST_RAM_IPA,
                       BH_RIGHT_READ | BH_RIGHT_WRITE | BH_RIGHT_EXECUTE,
                       BH_VM_MEM_NORMAL) == BH_OK,
             "map guest RAM into the VM");
    kt_check(kt_load_elf(img, size, g->ram_va, &g->entry), "load the guest ELF");
    kt_check(bh_tcb_configure(g->tcb, g->ep, CNODE, g->vm, 0, 0) == BH_OK, "configure vCPU TCB");
    kt_check(bh_tcb_set_name(g->tcb, g->name) == BH_OK, "name the vCPU TCB");
    kt_check(bh_tcb_set_priority(g->tcb, prio) == BH_OK, "vCPU priority");
    uint64_t aff = 0;
    kt_check(bh_invoke(g->vcpu, BH_INV_VCPU_SET_TCB, &aff, 1, &g->tcb, 1, 0) == BH_OK,
             "bind the vCPU to its TCB");
    kt_check(kt_vcpu_write(g->vcpu, BH_VCPU_REG_PC, g->entry) == BH_OK, "guest PC");
    kt_check(kt_vcpu_write(g->vcpu, 0, 0) == BH_OK, "guest x0");
    kt_check(kt_vcpu_write(g->vcpu, 1, g->arg1) == BH_OK, "guest x1");
    kt_check(kt_vcpu_write(g->vcpu, 2, g->arg2) == BH_OK, "guest x2");
    say("vmm: %s: VM with 2 MiB RAM at IPA 0x%lx (PA 0x%lx), entry 0x%lx\n", g->name,
        (unsigned long)GUEST_RAM_IPA, (unsigned long)g->ram_pa, (unsigned long)g->entry);
}

/* ---- exit handling ---- */

static void console_char(struct guest *g, char c)
{
    if (!kt_line_put(g->line, &g->linelen, sizeof(g->line), c)) {
        return;
    }
    say("[%s] %s\n", g->name, g->line);
    if (strncmp(g->line, "heartbeat ", 10) == 0) {
        if (g->beats < 64) {
            g->beat_at[g->beats] = kt_now();
        }
        g->beats++;
    }
}

/* Emulated MMIO: returns true when the access was to a device. */
static bool mmio(struct guest *g, uint64_t ipa, bool write, uint64_t val, uint64_t *out)
{
    *out = 0;
    if (ipa >= UART_IPA && ipa < UART_IPA + 0x1000) {
        if (write && ipa == UART_IPA) {
            console_char(g, (char)val);
        }
        return true; /* FR reads 0: never busy */
    }
    if (ipa >= GIC_IPA && ipa < GIC_END) {
        return true; /* reads 0, writes ignored: the vGIC is the hardware's CPU interface */
    }
    if (ipa == TESTDEV_IPA) {
        if (write) {
            g->testdev = (uint32_t)val;
            say("vmm: %s: test device write 0x%x\n", g->name, g->testdev);
        } else {
            *out = g->testdev;
            say("vmm: %s: test device read -> 0x%x\n", g->name, g->testdev);
        }
        return true;
    }
    return false;
}

/*
 * Twelve virtual SPIs (INTID 32..43), injected in INTID order with priorities
 * that put them in the delivery order below: more than the list registers
 * hold, so the rest wait in the kernel's queue for maintenance interrupts.
 * x0 = how many were accepted, x1 = the expected order, 4 bits per INTID - 32.
 */
static void inject_test(struct guest *g, uint64_t *reply)
{
    static const uint8_t order[12] = {7, 2, 11, 0, 5, 9, 3, 10, 1, 6, 4, 8};
    uint8_t prio[12];
    uint64_t packed = 0;
    for (unsigned i = 0; i < 12; i++) {
        prio[order[i]] = (uint8_t)(0x10 + 8 * i);
        packed |= (uint64_t)order[i] << (4 * i);
    }
    unsigned ok = 0;
    for (unsigned k = 0; k < 12; k++) {
        uint64_t mr[2] = {32 + k, prio[k]};
        if (bh_invoke(g->vcpu, BH_INV_VCPU_INJECT_IRQ, mr, 2, 0, 0, 0) == BH_OK) {
            ok++;
        }
    }
    struct bh_sysregs r;
    kt_check(bh_invoke(g->vcpu, BH_INV_VCPU_ACK_MAINTENANCE, 0, 0, 0, 0, &r) == BH_OK,
             "vCPU interrupt state");
    say("vmm: %s: injected %u virtual interrupts; %lu list registers free, %lu queued\n", g->name,
        ok, (unsigned long)r.x[2], (unsigned long)r.x[3]);
    reply[2] = ok;
    reply[3] = packed;
}

/* Builds the reply to one exit (kt_serve starts it as "resume"). Returns the
 * reply label: 0 resume, 1 stop. */
static uint64_t handle_exit(struct guest *g, const uint64_t *m, uint64_t *reply, unsigned *n)
{
    switch (m[0]) {
    case BH_VCPU_EXIT_DATA_ABORT: {
        uint64_t ipa = m[3];
        uint64_t d = m[5];
        bool write = (d & BH_VCPU_DABT_WRITE) != 0;
        uint64_t val = 0;
        if ((d & BH_VCPU_DABT_ISV) != 0 && mmio(g, ipa, write, m[6], &val)) {
            kt_reply_mmio(d, val, reply, n);
            return 0;
        }
        if (g->aborts++ < 2) {
            say("vmm: %s: stage-2 abort at IPA 0x%lx (%s, FAR 0x%lx): injecting an abort\n",
                g->name, (unsigned long)ipa, write ? "write" : "read", (unsigned long)m[4]);
        }
        reply[0] = BH_VCPU_REPLY_ABORT;
        return 0;
    }
    case BH_VCPU_EXIT_HVC: {
        uint64_t fn = m[3];
        reply[0] = BH_VCPU_REPLY_SET_X0_X3;
        *n = 6;
        reply[1] = 0;
        reply[3] = m[4];
        reply[4] = m[5];
        reply[5] = m[6];
        if (fn == PSCI_VERSION) {
            reply[2] = 0x10001; /* PSCI 1.1 */
        } else if (fn == PSCI_SYSTEM_OFF) {
            say("vmm: %s: PSCI SYSTEM_OFF after %u injected aborts\n", g->name, g->aborts);
            g->done = true;
            return 1;
        } else if (fn == HVC_TEST_FN) {
            say("vmm: %s: HVC 0x%lx x1..x5 0x%lx 0x%lx 0x%lx 0x%lx 0x%lx\n", g->name,
                (unsigned long)fn, (unsigned long)m[4], (unsigned long)m[5], (unsigned long)m[6],
                (unsigned long)m[7], (unsigned long)m[8]);
            reply[2] = 0;
            reply[3] = m[4] + m[5];
            reply[4] = m[6] + m[7];
            reply[5] = m[8];
        } else if (fn == HVC_INJECT_TEST) {
            inject_test(g, reply);
        } else {
            reply[2] = (uint64_t)-1; /* SMCCC NOT_SUPPORTED */
        }
        return 0;
    }
    case BH_VCPU_EXIT_SYSREG:
        say("vmm: %s: trapped %s of op0 %lu op1 %lu CRn %lu CRm %lu op2 %lu: RAZ/WI\n", g->name,
            m[9] ? "read" : "write", (unsigned long)m[3], (unsigned long)m[4], (unsigned long)m[5],
            (unsigned long)m[6], (unsigned long)m[7]);
        kt_reply_sysreg_raz(m, reply, n);
        return 0;
    default:
        say("vmm: %s: exit %lu at pc 0x%lx (ESR 0x%lx): stopping the guest\n", g->name,
            (unsigned long)m[0], (unsigned long)m[1], (unsigned long)m[2]);
        g->done = true;
        return 1;
    }
}

static bool on_exit(void *ctx, const uint64_t *m, uint64_t *reply, unsigned *rn, uint64_t *rl)
{
    struct guest *g = ctx;
    *rl = handle_exit(g, m, reply, rn);
    if (g->crash_after_3 && g->beats >= 3) {
        say("vmm: %s: VMM crashing now (store to 0xdead0000)\n", g->name);
        *(volatile uint32_t *)(uintptr_t)0xdead0000ull = 1;
    }
    return !g->done;
}

/* Serves one guest's exits until it powers off (or its VMM crashes on purpose). */
static void serve(struct guest *g)
{
    bh_error_t e = BH_OK;
    uint64_t label = 0;
    if (!kt_serve(g->ep, 0, on_exit, g, &e, &label)) {
        say("vmm: %s: unexpected message (error %u, label %lu)\n", g->name, e,
            (unsigned long)label);
        kt_failures++;
    }
}

/* ---- scenarios ---- */

/* A Frame at exactly pa, retyped from the device untyped that covers it. */
static uint64_t device_frame(uint64_t pa)
{
    for (unsigned i = 0; i < kt_bi->untyped_count; i++) {
        const struct bh_untyped_desc *u = &kt_bi->untyped[i];
        if (!u->is_device || pa < u->paddr || pa - u->paddr >= (1ull << u->size_bits)) {
            continue;
        }
        for (unsigned n = 0; n < 256; n++) {
            uint64_t f = kt_slot();
            if (bh_retype(kt_bi->untyped_first + i, BH_OBJ_FRAME_4K, 0, CNODE, f, 1) != BH_OK) {
                return 0;
            }
            struct bh_sysregs r;
            if (bh_invoke(f, BH_INV_FRAME_GET_ADDRESS, 0, 0, 0, 0, &r) == BH_OK && r.x[2] == pa) {
                return f;
            }
        }
    }
    return 0;
}

/* QEMU virt's PL061 GPIO and its interrupt, passed through to the guest. */
static void passthrough_gpio(struct guest *g)
{
    const uint64_t gpio = 0x09030000ull;
    const uint64_t intid = 39;
    uint64_t f = device_frame(gpio);
    kt_check(f != 0, "device frame for the GPIO");
    kt_check(kt_vm_map(g->vm, f, gpio, BH_RIGHT_READ | BH_RIGHT_WRITE, BH_VM_MEM_DEVICE) == BH_OK,
             "map the GPIO into the VM as Device memory");
    uint64_t h = kt_slot();
    uint64_t cn = CNODE;
    uint64_t mr[3] = {intid, h, 64};
    kt_check(bh_invoke(BH_RT_SLOT_IRQ_CONTROL, BH_INV_IRQ_CONTROL_GET, mr, 3, &cn, 1, 0) == BH_OK,
             "IRQHandler for the GPIO");
    uint64_t route[2] = {intid, 0x80};
    kt_check(bh_invoke(h, BH_INV_IRQ_SET_VCPU, route, 2, &g->vcpu, 1, 0) == BH_OK,
             "route the GPIO interrupt to the vCPU");
    say("vmm: %s: GPIO 0x%lx mapped as Device memory, INTID %lu routed to the vCPU\n", g->name,
        (unsigned long)gpio, (unsigned long)intid);
}

static uint64_t checksum(const uint8_t *p, uint64_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (uint64_t i = 0; i < n; i++) {
        h = (h ^ p[i]) * 1099511628211ull;
    }
    return h;
}

/* A VM maps only what a capability allows, and unmapping takes it away. */
static void map_checks(struct guest *g)
{
    uint64_t ro = kt_slot();
    kt_check(bh_cnode_copy(CNODE, ro, g->ram, BH_RIGHT_READ) == BH_OK, "read-only RAM cap");
    bh_error_t e1 =
        kt_vm_map(g->vm, ro, 0x50000000ull, BH_RIGHT_READ | BH_RIGHT_WRITE, BH_VM_MEM_NORMAL);
    uint64_t f = kt_alloc(BH_OBJ_FRAME_4K, 0);
    bh_error_t e2 =
        kt_vm_map(g->vm, f, 0x50000000ull, BH_RIGHT_READ | BH_RIGHT_EXECUTE, BH_VM_MEM_DEVICE);
    bh_error_t e3 = kt_vm_map(g->vm, f, 0x50000000ull, BH_RIGHT_READ, 7);
    bh_error_t e4 = kt_vm_map(g->vm, f, GUEST_RAM_IPA, BH_RIGHT_READ, BH_VM_MEM_NORMAL);
    bh_error_t e5 = bh_frame_unmap(g->ram_copy);
    bh_error_t e6 = bh_frame_unmap(g->ram_copy);
    kt_check(e1 == BH_E_INSUFFICIENT_RIGHTS, "write mapping of a read-only frame refused");
    kt_check(e2 == BH_E_INVALID_ARGUMENT, "executable Device mapping refused");
    kt_check(e3 == BH_E_INVALID_ARGUMENT, "unknown memory type refused");
    kt_check(e4 == BH_E_MAPPING_EXISTS, "mapping over guest RAM refused");
    kt_check(e5 == BH_OK && e6 == BH_E_NOT_MAPPED, "guest RAM unmapped once");
    say("vmm: VM map checks: rights %u, device+exec %u, type %u, overlap %u, unmap %u then %u\n",
        e1, e2, e3, e4, e5, e6);
}

static volatile uint64_t spins;
static void spinner(uint64_t a, uint64_t b)
{
    (void)a;
    (void)b;
    for (;;) {
        spins = spins + 1;
    }
}

static void vmm_thread(uint64_t gi, uint64_t done_ntfn)
{
    serve(&guests[gi]);
    bh_signal(done_ntfn);
    for (;;) {
        uint64_t bits;
        bh_wait(done_ntfn, &bits); /* nothing more to do */
    }
}

static void two_heartbeats(void)
{
    guests[1].crash_after_3 = true;
    uint64_t done = kt_alloc(BH_OBJ_NOTIFICATION, 0);
    static struct kt_thread vmm[2];
    kt_spawn(&vmm[0], "vmm-hbA", vmm_thread, 0, done, 200, 0, 0, true);
    kt_spawn(&vmm[1], "vmm-hbB", vmm_thread, 1, done, 200, 0, 0, true);
    kt_check(bh_tcb_resume(guests[0].tcb) == BH_OK, "start guest A");
    kt_check(bh_tcb_resume(guests[1].tcb) == BH_OK, "start guest B");
    /* Below the guests (100) and their VMMs (200): this loop only runs when
     * both guests wait, and keeps the CPU busy so icount time stays exact. */
    kt_check(bh_tcb_set_priority(BH_RT_SLOT_TCB, 50) == BH_OK, "lower the root thread");
    /* Poll A's progress at low priority: the guests and VMMs run above us. */
    while (guests[0].beats < 12) {
        bh_yield();
    }
    struct guest *a = &guests[0];
    uint64_t crash_beat = guests[1].beats; /* B's VMM died at its 3rd heartbeat */
    uint64_t before = kt_us(a->beat_at[3] - a->beat_at[1]) / 2;
    uint64_t after = kt_us(a->beat_at[11] - a->beat_at[6]) / 5;
    say("vmm: hbA heartbeat period %lu us before B's VMM crashed, %lu us after; B stopped at "
        "%lu heartbeats\n",
        (unsigned long)before, (unsigned long)after, (unsigned long)crash_beat);
    bool ok = crash_beat == 3 && after + after / 10 >= before && after <= before + before / 10;
    kt_check(ok, "guest A kept its heartbeat rate, B stopped");
    say("vmm: isolation after a VMM crash: %s\n", ok ? "ok" : "FAILED");
}

/* Two FP/SIMD-checking guests with a VMM thread each, run side by side. */
static void two_fp_guests(void)
{
    uint64_t done = kt_alloc(BH_OBJ_NOTIFICATION, 0);
    static struct kt_thread vmm[2];
    kt_check(kt_vcpu_write(guests[0].vcpu, 1, 0x1000) == BH_OK, "seed A");
    kt_check(kt_vcpu_write(guests[1].vcpu, 1, 0x7000) == BH_OK, "seed B");
    kt_spawn(&vmm[0], "vmm-fpA", vmm_thread, 0, done, 200, 0, 0, true);
    kt_spawn(&vmm[1], "vmm-fpB", vmm_thread, 1, done, 200, 0, 0, true);
    kt_check(bh_tcb_resume(guests[0].tcb) == BH_OK, "start guest A");
    kt_check(bh_tcb_resume(guests[1].tcb) == BH_OK, "start guest B");
    kt_check(bh_tcb_set_priority(BH_RT_SLOT_TCB, 50) == BH_OK, "lower the root thread");
    while (!guests[0].done || !guests[1].done) {
        bh_yield(); /* runs only while both guests wait: keeps the CPU busy */
    }
}

int main(const struct bh_bootinfo *bi)
{
    kt_init(bi);
    const struct bh_payload_header *h = (const void *)(uintptr_t)bi->payload_va;
    struct guest *probe = NULL;
    struct guest *victim = NULL;
    bool idle = false;
    for (unsigned i = 0; i < h->count && nguests < MAX_GUESTS; i++) {
        const struct bh_payload_entry *pe = &h->entries[i];
        if (pe->kind != BH_PAYLOAD_GUEST_KERNEL) {
            continue;
        }
        struct guest *g = &guests[nguests++];
        for (unsigned k = 0; k < sizeof(g->name) - 1 && pe->name[k] != '\0'; k++) {
            g->name[k] = pe->name[k];
        }
        if (strcmp(g->name, "probe") == 0) {
            probe = g;
        } else if (strcmp(g->name, "victim") == 0) {
            victim = g;
        } else if (strcmp(g->name, "idle") == 0) {
            idle = true;
        }
        create_guest(g, (const uint8_t *)h + pe->offset, pe->size, 100);
    }
    if (nguests == 0) {
        say("vmm: no guest-kernel component in the payload\n");
        bh_exit(1);
    }
    if (nguests == 2 && strncmp(guests[0].name, "hb", 2) == 0) {
        two_heartbeats();
    } else if (nguests == 2 && strncmp(guests[0].name, "fp", 2) == 0) {
        two_fp_guests();
    } else if (probe != NULL && victim != NULL) {
        /* Fill the victim's free RAM with a pattern; it never runs. */
        memset(victim->ram_va + 0x100000, 0x5a, 0x100000);
        uint64_t before = checksum(victim->ram_va, GUEST_RAM_SIZE);
        kt_check(kt_vcpu_write(probe->vcpu, 1, victim->ram_pa) == BH_OK, "probe range base");
        kt_check(kt_vcpu_write(probe->vcpu, 2, GUEST_RAM_SIZE) == BH_OK, "probe range size");
        say("vmm: probe will try every page of victim's RAM, PA 0x%lx..0x%lx\n",
            (unsigned long)victim->ram_pa, (unsigned long)(victim->ram_pa + GUEST_RAM_SIZE - 1));
        kt_check(bh_tcb_resume(probe->tcb) == BH_OK, "start probe");
        serve(probe);
        uint64_t after = checksum(victim->ram_va, GUEST_RAM_SIZE);
        kt_check(before == after, "victim's memory unchanged");
        say("vmm: victim's RAM checksum %s after %u aborts injected into probe\n",
            before == after ? "unchanged" : "CHANGED", probe->aborts);
        map_checks(victim);
    } else {
        struct guest *g = &guests[0];
        static struct kt_thread bg;
        if (idle) {
            kt_spawn(&bg, "spinner", spinner, 0, 0, 10, 0, 0, true);
        }
        if (strcmp(g->name, "vm_passthrough") == 0) {
            passthrough_gpio(g);
            if (bi->ncpus > 1) {
                /* SMP: the vCPU (and so its passthrough line) on the last CPU,
                 * away from this VMM. */
                kt_check(bh_tcb_set_affinity(g->tcb, bi->ncpus - 1) == BH_OK, "move the vCPU");
                say("vmm: %s: vCPU on CPU %lu, VMM on CPU %u\n", g->name,
                    (unsigned long)(bi->ncpus - 1), bh_debug_cpu());
            }
        }
        kt_check(bh_tcb_resume(g->tcb) == BH_OK, "start the guest");
        uint64_t t0 = kt_now();
        serve(g);
        if (idle) {
            uint64_t us = kt_us(kt_now() - t0);
            say("vmm: a priority-10 thread spun %lu times in %lu us while the priority-100 guest "
                "idled\n",
                (unsigned long)spins, (unsigned long)us);
            kt_check(spins > 1000, "the idle guest left the CPU to lower priorities");
        }
    }
    say("vmm: %s (%d failures)\n", kt_failures == 0 ? "all passed" : "FAILED", kt_failures);
    bh_exit(kt_failures == 0 ? 0 : 1);
}
