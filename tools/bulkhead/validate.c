/*
 * Spec validator: every rule that spans more than one property (alignment,
 * overlap, resource exclusivity, references by name, time budgets, payload
 * file kinds). Each violation adds one error; nothing stops at the first.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bulkhead/bootimage.h>

#include <vmm/vmm_info.h>

#include "model.h"

#define GUEST_DEV_BASE 0x08000000ull
#define GUEST_DEV_END  0x10000000ull

static bool aligned(uint64_t v)
{
    return (v & (BH_PAGE_SIZE - 1)) == 0;
}

/* [a, a+as) and [b, b+bs) intersect; sizes are non-zero and do not wrap. */
static bool overlaps(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
    return a < b + bs && b < a + as;
}

static bool wraps(uint64_t base, uint64_t size)
{
    return base + size < base;
}

static int find_part(const struct bh_model *m, const char *name)
{
    if (name == NULL) {
        return -1;
    }
    for (uint32_t i = 0; i < m->nparts; i++) {
        if (strcmp(m->parts[i].name, name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static void part_names(const struct bh_model *m, char *buf, size_t len)
{
    buf[0] = '\0';
    for (uint32_t i = 0; i < m->nparts && i < 8; i++) {
        size_t used = strlen(buf);
        snprintf(buf + used, len - used, "%s%s", i ? ", " : "", m->parts[i].name);
    }
    if (m->nparts > 8) {
        size_t used = strlen(buf);
        snprintf(buf + used, len - used, ", ...");
    }
    if (m->nparts == 0) {
        snprintf(buf, len, "(none defined)");
    }
}

/* Checks base/size of a memory-like range; returns true when it is usable. */
static bool check_range(struct bh_diag *d, const char *path, const char *prop, const char *what,
                        uint64_t base, uint64_t size)
{
    bool ok = true;
    if (size == 0) {
        bh_diag_add(d, path, prop, "%s has size 0; give a non-zero multiple of 4 KiB (0x1000)",
                    what);
        return false;
    }
    if (!aligned(base) || !aligned(size)) {
        bh_diag_add(d, path, prop,
                    "%s base 0x%llx size 0x%llx is not page-aligned; base and size must be "
                    "multiples of 4 KiB (0x1000)",
                    what, (unsigned long long)base, (unsigned long long)size);
        ok = false;
    }
    if (wraps(base, size)) {
        bh_diag_add(d, path, prop,
                    "%s base 0x%llx size 0x%llx wraps past the end of the address space; give a "
                    "range that ends below 2^64",
                    what, (unsigned long long)base, (unsigned long long)size);
        return false;
    }
    return ok;
}

/* A size that must be whole pages; returns true when usable. */
static bool check_size(struct bh_diag *d, const char *path, const char *prop, uint64_t size)
{
    if (size != 0 && aligned(size)) {
        return true;
    }
    uint64_t up =
        size == 0 ? BH_PAGE_SIZE : (size + BH_PAGE_SIZE - 1) & ~(uint64_t)(BH_PAGE_SIZE - 1);
    bh_diag_add(d, path, prop,
                "size 0x%llx is not a non-zero multiple of 4 KiB; give whole pages, e.g. "
                "<0x0 0x%llx>",
                (unsigned long long)size, (unsigned long long)up);
    return false;
}

static void check_sched(struct bh_diag *d, const struct bh_part *p, bool vm)
{
    if (p->priority > 255) {
        bh_diag_add(d, p->path, "priority", "priority %u is out of range; expected 0 to 255",
                    p->priority);
    }
    if (vm && p->has_vmm_priority && p->vmm_priority > 255) {
        bh_diag_add(d, p->path, "vmm-priority", "priority %u is out of range; expected 0 to 255",
                    p->vmm_priority);
    }
    if (p->has_budget && !p->has_period) {
        bh_diag_add(d, p->path, "budget-us",
                    "budget without a period; add period-us, or remove budget-us for no limit");
    }
    if (p->has_period && !p->has_budget) {
        bh_diag_add(d, p->path, "period-us",
                    "period without a budget; add budget-us, or remove period-us for no limit");
    }
    if (!p->has_budget || !p->has_period) {
        return;
    }
    if (p->budget_us == 0) {
        bh_diag_add(d, p->path, "budget-us", "budget is 0 us; give a budget of at least 1 us");
    }
    if (p->period_us == 0) {
        bh_diag_add(d, p->path, "period-us", "period is 0 us; give a period of at least 1 us");
    }
    if (p->budget_us > p->period_us) {
        bh_diag_add(d, p->path, "budget-us",
                    "budget %llu us is greater than period %llu us; the budget must be at most "
                    "the period",
                    (unsigned long long)p->budget_us, (unsigned long long)p->period_us);
    }
}

static void check_platform(struct bh_model *m, struct bh_diag *d)
{
    struct bh_platform *pl = &m->plat;
    if (!pl->ok) {
        return;
    }
    if (pl->cpus == 0 || pl->cpus > 64) {
        bh_diag_add(d, pl->path, "cpus", "%u CPUs is out of range; expected 1 to 64", pl->cpus);
        pl->ok = false;
    }
    if (!check_range(d, pl->path, "memory-size", "RAM", pl->ram_base, pl->ram_size)) {
        pl->ok = false;
        return;
    }
    if (!aligned(pl->reserve) || pl->reserve >= pl->ram_size) {
        pl->ok = false;
        bh_diag_add(d, pl->path, "kernel-reserve",
                    "kernel reserve 0x%llx is not a page-aligned size below the RAM size 0x%llx; "
                    "give a multiple of 4 KiB smaller than memory-size",
                    (unsigned long long)pl->reserve, (unsigned long long)pl->ram_size);
    }
}

/* Guest-physical windows of one VM checked so far (memory, channels). */
struct gwin {
    uint64_t base, size;
    const char *path;
    const char *prop;
};

static void check_guest_window(struct bh_diag *d, const char *path, const char *prop, uint64_t base,
                               uint64_t size, struct gwin *wins, uint32_t *nwins, uint32_t max)
{
    if (base + size > BH_IPA_LIMIT) {
        bh_diag_add(d, path, prop,
                    "guest range 0x%llx-0x%llx ends above the 40-bit guest-physical space; keep "
                    "it below 0x10000000000",
                    (unsigned long long)base, (unsigned long long)(base + size - 1));
    }
    if (overlaps(base, size, GUEST_DEV_BASE, GUEST_DEV_END - GUEST_DEV_BASE)) {
        bh_diag_add(d, path, prop,
                    "guest range 0x%llx-0x%llx overlaps the guest device area "
                    "0x8000000-0xfffffff; place guest memory and channels outside it, e.g. at "
                    "0x40000000",
                    (unsigned long long)base, (unsigned long long)(base + size - 1));
    }
    for (uint32_t i = 0; i < *nwins; i++) {
        if (overlaps(base, size, wins[i].base, wins[i].size)) {
            bh_diag_add(d, path, prop,
                        "guest range 0x%llx-0x%llx overlaps 0x%llx-0x%llx of %s/%s; give each "
                        "guest range its own addresses",
                        (unsigned long long)base, (unsigned long long)(base + size - 1),
                        (unsigned long long)wins[i].base,
                        (unsigned long long)(wins[i].base + wins[i].size - 1), wins[i].path,
                        wins[i].prop);
            return;
        }
    }
    if (*nwins < max) {
        wins[*nwins].base = base;
        wins[*nwins].size = size;
        wins[*nwins].path = path;
        wins[*nwins].prop = prop;
        (*nwins)++;
    }
}

/*
 * What one VMM is given (userland/vmm/include/vmm/vmm_info.h) is narrower
 * than the spec format: the root task would refuse more at boot, so refuse it
 * here, before anything is written.
 */
_Static_assert(VMM_MAX_VCPUS >= BH_SPEC_MAX_VCPUS, "the vcpus range check covers the VMM's limit");

static void check_vmm_limits(const struct bh_model *m, const struct bh_part *p, struct bh_diag *d)
{
    if (p->bootargs != NULL && strlen(p->bootargs) <= BH_MAX_BOOTARGS &&
        strlen(p->bootargs) >= VMM_BOOTARGS_MAX) {
        bh_diag_add(d, p->path, "bootargs",
                    "is %zu characters long; a VM's VMM passes at most %u to the guest; shorten "
                    "it",
                    strlen(p->bootargs), VMM_BOOTARGS_MAX - 1u);
    }
    if (p->nmem > 1) {
        bh_diag_add(d, p->path, "memory",
                    "gives %u ranges; a VM's VMM serves exactly one guest memory range; give one "
                    "base and size",
                    p->nmem);
    }
    if (p->ndisks > 1) {
        bh_diag_add(d, p->path, "disks",
                    "names %u disk images; a VM's VMM serves one virtio-blk disk; give one",
                    p->ndisks);
    }
    uint32_t nregs = 0;
    uint32_t nirqs = 0;
    for (uint32_t i = 0; i < p->npt; i++) {
        nregs += p->pt[i].nregs;
        nirqs += p->pt[i].nirqs;
    }
    if (nregs > VMM_MAX_PASSTHROUGH || nirqs > VMM_MAX_PT_IRQS) {
        bh_diag_add(d, p->path, "passthrough",
                    "%u MMIO ranges and %u interrupts in all; a VM's VMM describes at most %u "
                    "ranges and %u interrupts to its guest",
                    nregs, nirqs, VMM_MAX_PASSTHROUGH, VMM_MAX_PT_IRQS);
    }
    uint32_t nch = 0;
    for (uint32_t c = 0; c < m->nchans; c++) {
        for (uint32_t e = 0; e < m->chans[c].nends; e++) {
            const char *who = m->chans[c].ends[e].partition;
            nch += who != NULL && strcmp(who, p->name) == 0;
        }
    }
    if (nch > VMM_MAX_CHANNELS) {
        bh_diag_add(d, p->path, NULL,
                    "is an end of %u channels; a VM's VMM serves at most %u; join fewer channels",
                    nch, VMM_MAX_CHANNELS);
    }
}

static void check_vm(struct bh_model *m, struct bh_part *p, struct bh_diag *d, uint64_t *need)
{
    const struct bh_platform *pl = &m->plat;
    if (p->bootargs != NULL && strlen(p->bootargs) > BH_MAX_BOOTARGS) {
        bh_diag_add(d, p->path, "bootargs",
                    "is %zu characters long; the guest command line takes at most %u",
                    strlen(p->bootargs), BH_MAX_BOOTARGS);
    }
    check_vmm_limits(m, p, d);
    if (p->vcpus == 0 || p->vcpus > BH_SPEC_MAX_VCPUS) {
        bh_diag_add(d, p->path, "vcpus", "%u vCPUs is out of range; expected 1 to %u", p->vcpus,
                    BH_SPEC_MAX_VCPUS);
    } else if (p->has_cpus) {
        if (p->ncpus != p->vcpus) {
            bh_diag_add(d, p->path, "cpus",
                        "lists %u physical CPUs for %u vCPUs; give exactly one CPU per vCPU",
                        p->ncpus, p->vcpus);
        }
        for (uint32_t i = 0; i < p->ncpus && pl->ok; i++) {
            if (p->cpus[i] >= pl->cpus) {
                bh_diag_add(d, p->path, "cpus",
                            "CPU %u does not exist; the platform has %u CPUs (0 to %u)", p->cpus[i],
                            pl->cpus, pl->cpus ? pl->cpus - 1 : 0);
            }
        }
    } else if (pl->ok && p->vcpus > pl->cpus) {
        bh_diag_add(d, p->path, "vcpus",
                    "%u vCPUs pinned 1:1 need %u physical CPUs but the platform has %u; use at "
                    "most %u vCPUs, or list the CPUs to share in cpus",
                    p->vcpus, p->vcpus, pl->cpus, pl->cpus);
    }
    struct gwin wins[BH_MAX_MEM_REGIONS + BH_SPEC_MAX_CHANNELS];
    uint32_t nwins = 0;
    for (uint32_t i = 0; i < p->nmem; i++) {
        if (!check_range(d, p->path, "memory", "guest memory", p->mem[i].base, p->mem[i].size)) {
            continue;
        }
        check_guest_window(d, p->path, "memory", p->mem[i].base, p->mem[i].size, wins, &nwins,
                           sizeof(wins) / sizeof(wins[0]));
        *need += p->mem[i].size;
    }
    /* Channel windows of this VM must not collide with its memory or each other. */
    for (uint32_t c = 0; c < m->nchans; c++) {
        const struct bh_channel *ch = &m->chans[c];
        for (uint32_t e = 0; e < ch->nends; e++) {
            const struct bh_chan_end *end = &ch->ends[e];
            if (end->part < 0 || &m->parts[end->part] != p || ch->size == 0 || !end->has_address ||
                !aligned(ch->size) || !aligned(end->address) || wraps(end->address, ch->size)) {
                continue;
            }
            check_guest_window(d, end->path, "address", end->address, ch->size, wins, &nwins,
                               sizeof(wins) / sizeof(wins[0]));
        }
    }
    *need += BH_VMM_MEMORY;
}

/* Device and interrupt assignment across all partitions. */
struct assigned_mmio {
    uint64_t base, size;
    const char *path;
};
struct assigned_irq {
    uint32_t intid;
    const char *path;
};

static const struct bh_plat_device *device_of_irq(const struct bh_platform *pl, uint32_t intid)
{
    for (uint32_t i = 0; i < pl->ndevices; i++) {
        const struct bh_plat_device *dev = &pl->devices[i];
        for (uint32_t k = 0; k < dev->nirqs; k++) {
            if (dev->irqs[k] == intid) {
                return dev;
            }
        }
        if (dev->irq_count > 0 && intid >= dev->irqs[0] && intid - dev->irqs[0] < dev->irq_count) {
            return dev;
        }
    }
    return NULL;
}

static void check_devices(struct bh_model *m, struct bh_diag *d)
{
    static struct assigned_mmio mmio[BH_SPEC_MAX_PARTITIONS * BH_MAX_PASSTHROUGH * BH_MAX_RANGES];
    static struct assigned_irq irqs[BH_SPEC_MAX_PARTITIONS * BH_MAX_PASSTHROUGH * BH_MAX_DEV_IRQS];
    uint32_t nmmio = 0;
    uint32_t nirq = 0;
    uint32_t total_regs = 0;
    uint32_t total_irqs = 0;
    const struct bh_platform *pl = &m->plat;
    for (uint32_t pi = 0; pi < m->nparts; pi++) {
        const struct bh_part *p = &m->parts[pi];
        for (uint32_t t = 0; t < p->npt; t++) {
            const struct bh_passthrough *pt = &p->pt[t];
            total_regs += pt->nregs;
            total_irqs += pt->nirqs;
            if (total_regs > BH_SPEC_MAX_DEVICES && total_regs - pt->nregs <= BH_SPEC_MAX_DEVICES) {
                bh_diag_add(d, pt->path, "reg",
                            "more than %u passthrough MMIO ranges in the system; merge adjacent "
                            "ranges or pass through fewer devices",
                            BH_SPEC_MAX_DEVICES);
            }
            if (total_irqs > BH_SPEC_MAX_IRQS && total_irqs - pt->nirqs <= BH_SPEC_MAX_IRQS) {
                bh_diag_add(d, pt->path, "interrupts",
                            "more than %u passthrough interrupts in the system; pass through "
                            "fewer interrupts",
                            BH_SPEC_MAX_IRQS);
            }
            for (uint32_t r = 0; r < pt->nregs; r++) {
                uint64_t b = pt->regs[r].base;
                uint64_t s = pt->regs[r].size;
                if (!check_range(d, pt->path, "reg", "MMIO range", b, s)) {
                    continue;
                }
                const struct bh_plat_device *dev = NULL;
                for (uint32_t k = 0; k < pl->ndevices; k++) {
                    const struct bh_range *dr = &pl->devices[k].reg;
                    if (dr->size != 0 && b >= dr->base && b - dr->base <= dr->size &&
                        s <= dr->size - (b - dr->base)) {
                        dev = &pl->devices[k];
                        break;
                    }
                }
                if (dev == NULL) {
                    bh_diag_add(d, pt->path, "reg",
                                "MMIO 0x%llx-0x%llx is not inside any platform device; give a "
                                "range inside one device of /platform (preset or devices)",
                                (unsigned long long)b, (unsigned long long)(b + s - 1));
                } else if (dev->kernel_owned) {
                    bh_diag_add(d, pt->path, "reg",
                                "MMIO 0x%llx-0x%llx belongs to %s, which the kernel owns; pass "
                                "through another device",
                                (unsigned long long)b, (unsigned long long)(b + s - 1), dev->name);
                }
                if (p->kind == BH_SPEC_PART_VM) {
                    uint64_t ipa_end = b + s;
                    if (ipa_end > BH_IPA_LIMIT) {
                        bh_diag_add(d, pt->path, "reg",
                                    "MMIO 0x%llx-0x%llx is mapped 1:1 into the guest but ends "
                                    "above the 40-bit guest-physical space; pass through a "
                                    "device below 0x10000000000",
                                    (unsigned long long)b, (unsigned long long)(b + s - 1));
                    }
                    for (uint32_t k = 0; k < p->nmem; k++) {
                        if (p->mem[k].size != 0 && overlaps(b, s, p->mem[k].base, p->mem[k].size)) {
                            bh_diag_add(d, pt->path, "reg",
                                        "MMIO 0x%llx-0x%llx is mapped 1:1 into the guest and "
                                        "overlaps its memory; move the guest memory",
                                        (unsigned long long)b, (unsigned long long)(b + s - 1));
                            break;
                        }
                    }
                    uint32_t slots = 0;
                    slots += (p->emulated & BH_SPEC_EMU_VIRTIO_CONSOLE) ? 1u : 0u;
                    slots += (p->emulated & BH_SPEC_EMU_VIRTIO_NET) ? 1u : 0u;
                    slots += p->ndisks;
                    bool clash = false;
                    if ((p->emulated & BH_SPEC_EMU_PL011) && overlaps(b, s, 0x09000000, 0x1000)) {
                        clash = true;
                    }
                    if ((p->emulated & BH_SPEC_EMU_RTC) && overlaps(b, s, 0x09010000, 0x1000)) {
                        clash = true;
                    }
                    if (slots > 0 && overlaps(b, s, 0x0A000000, 0x200ull * slots)) {
                        clash = true;
                    }
                    if (clash) {
                        bh_diag_add(d, pt->path, "reg",
                                    "MMIO 0x%llx-0x%llx collides with a device this VM "
                                    "emulates; drop the emulated device or pass through "
                                    "another range",
                                    (unsigned long long)b, (unsigned long long)(b + s - 1));
                    }
                }
                bool dup = false;
                for (uint32_t k = 0; k < nmmio; k++) {
                    if (overlaps(b, s, mmio[k].base, mmio[k].size)) {
                        bh_diag_add(d, pt->path, "reg",
                                    "MMIO 0x%llx-0x%llx is already assigned to %s; assign each "
                                    "device range to one partition only",
                                    (unsigned long long)b, (unsigned long long)(b + s - 1),
                                    mmio[k].path);
                        dup = true;
                        break;
                    }
                }
                if (!dup && nmmio < sizeof(mmio) / sizeof(mmio[0])) {
                    mmio[nmmio].base = b;
                    mmio[nmmio].size = s;
                    mmio[nmmio].path = pt->path;
                    nmmio++;
                }
            }
            for (uint32_t q = 0; q < pt->nirqs; q++) {
                uint32_t intid = pt->irqs[q];
                const struct bh_plat_device *dev = device_of_irq(pl, intid);
                if (intid < 32) {
                    bh_diag_add(d, pt->path, "interrupts",
                                "INTID %u is a private interrupt (SGI/PPI); only shared "
                                "peripheral interrupts (INTID 32 and up) can be assigned",
                                intid);
                    continue;
                }
                if (dev == NULL) {
                    bh_diag_add(d, pt->path, "interrupts",
                                "INTID %u is not an interrupt of any platform device; give an "
                                "INTID a device of /platform raises",
                                intid);
                } else if (dev->kernel_owned) {
                    bh_diag_add(d, pt->path, "interrupts",
                                "INTID %u belongs to %s, which the kernel owns; assign another "
                                "device's interrupt",
                                intid, dev->name);
                }
                bool dup = false;
                for (uint32_t k = 0; k < nirq; k++) {
                    if (irqs[k].intid == intid) {
                        bh_diag_add(d, pt->path, "interrupts",
                                    "INTID %u is already assigned to %s; assign each interrupt "
                                    "to one partition only",
                                    intid, irqs[k].path);
                        dup = true;
                        break;
                    }
                }
                if (!dup && nirq < sizeof(irqs) / sizeof(irqs[0])) {
                    irqs[nirq].intid = intid;
                    irqs[nirq].path = pt->path;
                    nirq++;
                }
            }
        }
    }
}

static void check_channels(struct bh_model *m, struct bh_diag *d, uint64_t *need)
{
    char names[256];
    part_names(m, names, sizeof(names));
    for (uint32_t c = 0; c < m->nchans; c++) {
        struct bh_channel *ch = &m->chans[c];
        if (ch->size != 0) {
            if (check_size(d, ch->path, "size", ch->size)) {
                *need += ch->size;
            }
        }
        bool any_notify = false;
        for (uint32_t e = 0; e < ch->nends; e++) {
            struct bh_chan_end *end = &ch->ends[e];
            any_notify = any_notify || end->notify;
            if (end->partition == NULL) {
                continue;
            }
            end->part = find_part(m, end->partition);
            if (end->part < 0) {
                bh_diag_add(d, end->path, "partition",
                            "partition \"%s\" does not exist; expected one of: %s", end->partition,
                            names);
                continue;
            }
            const struct bh_part *p = &m->parts[end->part];
            if (ch->size == 0) {
                if (end->has_address) {
                    bh_diag_add(d, end->path, "address",
                                "channel has no shared memory; remove address or give the "
                                "channel a size");
                }
                continue;
            }
            if (end->has_address && !aligned(end->address)) {
                bh_diag_add(d, end->path, "address",
                            "address 0x%llx is not page-aligned; give a multiple of 4 KiB "
                            "(0x1000)",
                            (unsigned long long)end->address);
            }
            if (p->kind == BH_SPEC_PART_VM && !end->has_address) {
                bh_diag_add(d, end->path, "address",
                            "missing required property for a VM end; give the guest-physical "
                            "address of the shared memory, e.g. address = <0x0 0x70000000>;");
            }
        }
        if (ch->nends == 2 && ch->ends[0].part >= 0 && ch->ends[0].part == ch->ends[1].part) {
            bh_diag_add(d, ch->ends[1].path, "partition",
                        "both ends name \"%s\"; a channel connects two different partitions",
                        ch->ends[1].partition);
        }
        if (ch->size == 0 && !any_notify) {
            bh_diag_add(d, ch->path, NULL,
                        "channel has neither shared memory nor notifications; give it a size "
                        "or mark an end notify");
        }
    }
}

/* /console-input names the VM whose VMM gets the system console's input. */
static void check_console_input(struct bh_model *m, struct bh_diag *d)
{
    if (m->console_input == NULL) {
        return;
    }
    int i = find_part(m, m->console_input);
    if (i < 0) {
        char names[256];
        part_names(m, names, sizeof(names));
        bh_diag_add(d, "/", "console-input", "partition \"%s\" does not exist; expected a VM: %s",
                    m->console_input, names);
        return;
    }
    const struct bh_part *p = &m->parts[i];
    if (p->kind != BH_SPEC_PART_VM) {
        bh_diag_add(d, "/", "console-input",
                    "\"%s\" is a server; console input goes to a VM that emulates a pl011 or "
                    "virtio-console",
                    p->name);
        return;
    }
    if ((p->emulated & (BH_SPEC_EMU_PL011 | BH_SPEC_EMU_VIRTIO_CONSOLE)) == 0) {
        bh_diag_add(d, "/", "console-input",
                    "VM \"%s\" has no console to type into; add \"pl011\" or \"virtio-console\" "
                    "to %s/emulated",
                    p->name, p->path);
        return;
    }
    m->console_part = i;
}

/* Emulated devices the spec knows but the VMM (vmm_info.h) cannot provide. */
static void check_emulated(const struct bh_part *p, struct bh_diag *d)
{
    static const struct {
        uint32_t bit;
        const char *name;
    } missing[] = {{BH_SPEC_EMU_VIRTIO_NET, "virtio-net"}, {BH_SPEC_EMU_RTC, "rtc"}};
    for (size_t k = 0; k < sizeof(missing) / sizeof(missing[0]); k++) {
        if ((p->emulated & missing[k].bit) != 0) {
            bh_diag_add(d, p->path, "emulated",
                        "the VMM does not emulate \"%s\" (it provides pl011, virtio-console and "
                        "virtio-blk); remove it, or pass the device through",
                        missing[k].name);
        }
    }
}

static void check_schedule(struct bh_model *m, struct bh_diag *d)
{
    if (!m->has_schedule) {
        return;
    }
    char names[256];
    part_names(m, names, sizeof(names));
    if (m->major_frame_us == 0) {
        bh_diag_add(d, m->sched_path, "major-frame-us",
                    "major frame is 0 us; give the length of the repeating frame, e.g. <20000>");
    }
    if (m->nwindows == 0) {
        bh_diag_add(d, m->sched_path, NULL,
                    "schedule has no windows; add one child node per window with partition, "
                    "start-us and length-us");
    }
    for (uint32_t i = 0; i < m->nwindows; i++) {
        struct bh_window *w = &m->windows[i];
        if (w->partition != NULL) {
            w->part = find_part(m, w->partition);
            if (w->part < 0) {
                bh_diag_add(d, w->path, "partition",
                            "partition \"%s\" does not exist; expected one of: %s", w->partition,
                            names);
            }
        }
        if (w->length_us == 0) {
            bh_diag_add(d, w->path, "length-us", "window length is 0 us; give at least 1 us");
            continue;
        }
        if (m->major_frame_us != 0 && w->start_us + w->length_us > m->major_frame_us) {
            bh_diag_add(
                d, w->path, "length-us",
                "window %llu-%llu us ends after the major frame of %llu us; end it at "
                "or before %llu us",
                (unsigned long long)w->start_us, (unsigned long long)(w->start_us + w->length_us),
                (unsigned long long)m->major_frame_us, (unsigned long long)m->major_frame_us);
        }
        for (uint32_t k = 0; k < i; k++) {
            const struct bh_window *o = &m->windows[k];
            if (o->length_us != 0 &&
                overlaps(w->start_us, w->length_us, o->start_us, o->length_us)) {
                bh_diag_add(d, w->path, "start-us",
                            "window %llu-%llu us overlaps %s (%llu-%llu us); windows must not "
                            "overlap",
                            (unsigned long long)w->start_us,
                            (unsigned long long)(w->start_us + w->length_us), o->path,
                            (unsigned long long)o->start_us,
                            (unsigned long long)(o->start_us + o->length_us));
                break;
            }
        }
    }
}

/* Payload files. */
static bool try_path(char *out, size_t len, const char *dir, const char *value)
{
    if (dir == NULL || dir[0] == '\0') {
        snprintf(out, len, "%s", value);
    } else {
        snprintf(out, len, "%s/%s", dir, value);
    }
    struct stat st;
    return stat(out, &st) == 0;
}

static bool resolve(struct bh_payload *pl, const struct bh_load_opts *o)
{
    if (pl->value[0] == '/') {
        return try_path(pl->resolved, sizeof(pl->resolved), NULL, pl->value);
    }
    if (try_path(pl->resolved, sizeof(pl->resolved), o->spec_dir, pl->value)) {
        return true;
    }
    for (size_t i = 0; i < o->nsearch; i++) {
        if (try_path(pl->resolved, sizeof(pl->resolved), o->search_dirs[i], pl->value)) {
            return true;
        }
    }
    pl->resolved[0] = '\0';
    return false;
}

static uint32_t le32(const uint8_t *b)
{
    return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
}

static void check_payload(struct bh_diag *d, const char *path, struct bh_payload *pl,
                          const struct bh_load_opts *o)
{
    if (!resolve(pl, o)) {
        bh_diag_add(d, path, pl->prop,
                    "file \"%s\" not found next to the spec or in any --payload-dir; give an "
                    "existing file, relative to the spec file",
                    pl->value);
        return;
    }
    int fd = open(pl->resolved, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        bh_diag_add(d, path, pl->prop, "\"%s\" is not a readable regular file; give a file",
                    pl->value);
        if (fd >= 0) {
            close(fd);
        }
        return;
    }
    uint8_t h[64];
    memset(h, 0, sizeof(h));
    ssize_t n = read(fd, h, sizeof(h));
    close(fd);
    if (n < 0) {
        n = 0;
    }
    switch (pl->role) {
    case BH_SPEC_ROLE_KERNEL:
        if (bh_is_gzip(h, (size_t)n)) {
            /* The builder stores it decompressed: it must decompress to an Image. */
            uint8_t *img = NULL;
            size_t size = 0;
            char why[200];
            if (bh_gunzip_kernel(pl->resolved, &img, &size, why, sizeof(why))) {
                free(img);
            } else {
                bh_diag_add(d, path, pl->prop, "\"%s\" %s; give a gzip of an arm64 kernel Image",
                            pl->value, why);
            }
            return;
        }
        if (n == 64 && le32(h + 56) == BH_ARM64_IMAGE_MAGIC) {
            return;
        }
        bh_diag_add(d, path, pl->prop,
                    "\"%s\" is not an arm64 Image (no \"ARM\\x64\" magic at offset 56) nor "
                    "gzip-compressed; give an arm64 kernel Image",
                    pl->value);
        return;
    case BH_SPEC_ROLE_PROGRAM: {
        bool ok = n == 64 && h[0] == 0x7f && h[1] == 'E' && h[2] == 'L' && h[3] == 'F' &&
                  h[4] == 2 && h[5] == 1 && (h[16] | (h[17] << 8)) == 2 &&
                  (h[18] | (h[19] << 8)) == 183;
        if (!ok) {
            bh_diag_add(d, path, pl->prop,
                        "\"%s\" is not an ELF64 little-endian AArch64 executable; give a "
                        "program built for the Bulkhead EL0 target",
                        pl->value);
        }
        return;
    }
    case BH_SPEC_ROLE_DISK:
        if (st.st_size == 0 || st.st_size % 512 != 0) {
            bh_diag_add(d, path, pl->prop,
                        "\"%s\" is %lld bytes; a disk image is a non-empty multiple of 512 bytes",
                        pl->value, (long long)st.st_size);
        }
        return;
    default:
        if (st.st_size == 0) {
            bh_diag_add(d, path, pl->prop, "\"%s\" is empty; give a non-empty file", pl->value);
        }
        return;
    }
}

void bh_spec_validate(struct bh_model *m, const struct bh_load_opts *o, struct bh_diag *d)
{
    check_platform(m, d);
    if (m->nparts == 0) {
        bh_diag_add(d, "/vms", NULL,
                    "the spec defines no partition; add a VM under /vms or a server under "
                    "/servers");
    }
    for (uint32_t i = 0; i < m->nparts; i++) {
        for (uint32_t k = 0; k < i; k++) {
            if (strcmp(m->parts[i].name, m->parts[k].name) == 0) {
                bh_diag_add(d, m->parts[i].path, NULL,
                            "name \"%s\" is already used by %s; give each partition a unique "
                            "name",
                            m->parts[i].name, m->parts[k].path);
                break;
            }
        }
    }
    /* Channel ends are resolved first: VM checks look at their windows. */
    uint64_t need = 0;
    check_channels(m, d, &need);
    for (uint32_t i = 0; i < m->nparts; i++) {
        struct bh_part *p = &m->parts[i];
        check_sched(d, p, p->kind == BH_SPEC_PART_VM);
        if (p->kind == BH_SPEC_PART_VM) {
            check_emulated(p, d);
            check_vm(m, p, d, &need);
        } else if (p->has_mem_size) {
            if (check_size(d, p->path, "memory-size", p->mem_size)) {
                need += p->mem_size;
            }
        }
        if (o->check_payloads) {
            for (uint32_t k = 0; k < p->npayloads; k++) {
                check_payload(d, p->path, &p->payloads[k], o);
            }
        }
    }
    check_devices(m, d);
    check_schedule(m, d);
    check_console_input(m, d);
    const struct bh_platform *pl = &m->plat;
    uint64_t avail = pl->ram_size > pl->reserve ? pl->ram_size - pl->reserve : 0;
    if (pl->ok && need > avail) {
        bh_diag_add(d, pl->path, "memory-size",
                    "partitions need %llu KiB (memory, channels, %llu KiB per VMM) but the "
                    "platform has %llu KiB after the kernel reserve; raise memory-size or shrink "
                    "the partitions",
                    (unsigned long long)(need / 1024), (unsigned long long)(BH_VMM_MEMORY / 1024),
                    (unsigned long long)(avail / 1024));
    }
}
