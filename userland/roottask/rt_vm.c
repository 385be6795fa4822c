/*
 * VM partitions: the root task builds each one the spec describes, from the
 * partition's own untyped memory (rt_system.c, pool_begin):
 *   - a VM object (stage 2 + VMID) with guest RAM at the spec's guest-physical
 *     base (2 MiB frames where aligned), passthrough MMIO mapped 1:1 as Device
 *     memory and each channel end's shared memory with that end's rights;
 *   - one TCB per vCPU (priority, budget, time partition p + 1, physical CPU),
 *     bound with vCPU SET_TCB; passthrough interrupts routed to vCPU 0;
 *   - its VMM (the vmm program) in its own address space and CSpace holding
 *     exactly what userland/vmm/include/vmm/vmm_info.h (version 2) lists,
 *     with the guest's kernel, initrd and disk staged read-only (the disk as a
 *     private read-write copy) and its info page filled.
 * The VMM is what the monitor starts; it starts vCPU 0.
 */
#include <bh/print.h>
#include <bh/sys.h>
#include <bh_fmt.h>
#include <string.h>
#include <vmm/vmm_info.h>

#include "rt_build.h"

#define RWX (BH_RIGHT_READ | BH_RIGHT_WRITE | BH_RIGHT_EXECUTE)

/* The guest's device area (QEMU virt layout the VMM emulates). Doorbells go
 * there, clear of the vGIC, the emulated devices and passthrough ranges. */
#define GUEST_DEV_BASE  0x08000000ull
#define GUEST_DEV_END   0x10000000ull
#define VGIC_DIST       0x08000000ull
#define VGIC_DIST_SIZE  0x10000ull
#define VGIC_REDIST     0x080a0000ull
#define VGIC_REDIST_CPU 0x20000ull /* per vCPU */
#define EMU_UART        0x09000000ull
#define EMU_RTC         0x09010000ull
#define EMU_VIRTIO      0x0a000000ull
#define EMU_VIRTIO_SIZE 0x4000ull /* 32 transports */
#define DOORBELL_FIRST  0x0b000000ull
/* SPIs for channel doorbells: above the emulated devices' (33, 34, virtio-mmio
 * 48..79) and inside the 64 SPIs (32..95) every VMM's vGIC has. */
#define CHAN_SPI_FIRST 80u
#define CHAN_SPI_END   96u
#define PT_IRQ_PRIO    0x80u /* priority of passthrough interrupts in the vCPU */

/* ---- device untyped: 4 KiB frames at given physical addresses ---- */

/*
 * The kernel hands device memory over as a few large untypeds, and retype
 * only ever moves forward, so a frame at a chosen address is reached by
 * halving: each node is split into two children once (kept for the whole
 * run), down to the 4 KiB leaf that becomes the frame. A leaf whose frame is
 * deleted (a failed partition) can be retyped again.
 */
#define MAX_DEV_NODES 512u

struct dev_node {
    uint64_t slot, paddr;
    uint32_t bits;
    bool split;
};

static struct dev_node dev_nodes[MAX_DEV_NODES];
static uint32_t ndev_nodes;
static bool dev_nodes_ready;

static bh_error_t device_frame(uint64_t pa, uint64_t *frame)
{
    if (!dev_nodes_ready) {
        for (uint32_t u = 0; u < bi->untyped_count && ndev_nodes < MAX_DEV_NODES; u++) {
            if (bi->untyped[u].is_device != 0) {
                dev_nodes[ndev_nodes++] = (struct dev_node){
                    bi->untyped_first + u, bi->untyped[u].paddr, bi->untyped[u].size_bits, false};
            }
        }
        dev_nodes_ready = true;
    }
    uint32_t n = MAX_DEV_NODES;
    for (uint32_t i = 0; i < ndev_nodes; i++) {
        struct dev_node *d = &dev_nodes[i];
        if (!d->split && pa >= d->paddr && pa - d->paddr < (1ull << d->bits)) {
            n = i;
            break;
        }
    }
    if (n == MAX_DEV_NODES) {
        return BH_E_INVALID_ARGUMENT; /* the kernel gave no device memory there */
    }
    while (dev_nodes[n].bits > 12) {
        if (ndev_nodes + 2 > MAX_DEV_NODES) {
            return BH_E_NOT_ENOUGH_MEMORY;
        }
        uint32_t half = dev_nodes[n].bits - 1;
        uint32_t next = n;
        for (uint32_t k = 0; k < 2; k++) {
            uint64_t s = 0;
            bh_error_t e = new_slot_kept(&s);
            if (e == BH_OK) {
                e = bh_retype(dev_nodes[n].slot, BH_OBJ_UNTYPED, half, ROOT_CNODE, s, 1);
            }
            if (e != BH_OK) {
                return e;
            }
            uint64_t base = dev_nodes[n].paddr + ((uint64_t)k << half);
            dev_nodes[ndev_nodes] = (struct dev_node){s, base, half, false};
            if (pa >= base && pa - base < (1ull << half)) {
                next = ndev_nodes;
            }
            ndev_nodes++;
        }
        dev_nodes[n].split = true;
        n = next;
    }
    bh_error_t e = new_slot(frame);
    if (e == BH_OK) {
        e = bh_retype(dev_nodes[n].slot, BH_OBJ_FRAME_4K, 0, ROOT_CNODE, *frame, 1);
    }
    /* REVOKE_FIRST: the page is already some partition's. */
    return e;
}

/* ---- stage 2 ---- */

static bh_error_t vm_map(uint64_t vm, uint64_t frame, uint64_t ipa, uint32_t rights,
                         uint64_t memtype)
{
    for (unsigned attempt = 0; attempt < 4; attempt++) {
        uint64_t mr[3] = {ipa, rights, memtype};
        struct bh_sysregs r;
        bh_error_t e = bh_invoke(vm, BH_INV_VM_MAP_FRAME, mr, 3, &frame, 1, &r);
        if (e != BH_E_LOOKUP_FAILED) {
            return e;
        }
        uint64_t pt = 0;
        e = alloc(BH_OBJ_PAGE_TABLE, 0, &pt);
        if (e == BH_OK) {
            uint64_t tm[2] = {ipa, r.x[2]}; /* the missing level */
            e = bh_invoke(vm, BH_INV_VM_MAP_TABLE, tm, 2, &pt, 1, 0);
        }
        if (e == BH_OK) {
            e = stash(pt);
        }
        if (e != BH_OK) {
            return e;
        }
    }
    return BH_E_LOOKUP_FAILED;
}

/* Normal memory in a stage 2 (rt_map_fn: the channel windows). */
static bh_error_t vm_map_normal(uint64_t vm, uint64_t frame, uint64_t ipa, uint32_t rights)
{
    return vm_map(vm, frame, ipa, rights, BH_VM_MEM_NORMAL);
}

/* ---- what one VM partition needs ---- */

struct vm_build {
    uint32_t p;
    const struct bh_spec_partition *sp;
    const struct bh_spec_region *ram;
    int kernel, initrd, disk, vmm;
    uint64_t vm, ep, as, cspace, gcspace, vmm_tcb; /* root slots */
    uint64_t vcpu[BH_SPEC_MAX_VCPUS];
    struct vmm_info info;
};

static uint64_t up2m(uint64_t n)
{
    return (n + SZ_2M - 1) & ~(SZ_2M - 1);
}

/* A 2 MiB frame at offset off of guest RAM: the block must be aligned both in
 * the guest and in the VMM's view of it (VMM_GUEST_VA + off). */
static bool big_at(const struct bh_spec_region *r, uint64_t off)
{
    return r->base % SZ_2M == 0 && off % SZ_2M == 0 && r->size - off >= SZ_2M;
}

static uint64_t ram_frames(const struct bh_spec_region *r)
{
    uint64_t n = 0;
    for (uint64_t off = 0; off < r->size; n++) {
        off += big_at(r, off) ? SZ_2M : PAGE;
    }
    return n;
}

/* Every check that needs no kernel object: what the spec asks must fit what
 * the VMM (vmm_info.h) can take. */
static bool check_shape(struct vm_build *b)
{
    const struct bh_spec_partition *sp = b->sp;
    uint32_t p = b->p;
    uint32_t nram = 0;
    for (uint32_t k = 0; k < sp->nregions; k++) {
        const struct bh_spec_region *r = &spec.regions[sp->first_region + k];
        if (r->kind == BH_SPEC_REGION_RAM) {
            b->ram = r;
            nram++;
        }
    }
    if (nram != 1) {
        return refuse(p, "it has %u guest memory ranges; the VMM supports exactly one", nram);
    }
    if (sp->nvcpus == 0 || sp->nvcpus > VMM_MAX_VCPUS) {
        return refuse(p, "it has %u vCPUs; the VMM supports 1 to %u", sp->nvcpus, VMM_MAX_VCPUS);
    }
    uint32_t unsupported =
        sp->emulated & ~(uint32_t)(VMM_DEV_PL011 | VMM_DEV_VIRTIO_CONSOLE | VMM_DEV_VIRTIO_BLK);
    if (unsupported != 0) {
        return refuse(p, "it asks for emulated devices 0x%x the VMM does not provide", unsupported);
    }
    if (sp->ndevices > VMM_MAX_PASSTHROUGH || sp->nirqs > VMM_MAX_PT_IRQS) {
        return refuse(p, "%u passthrough ranges and %u interrupts; the VMM takes at most %u and %u",
                      sp->ndevices, sp->nirqs, VMM_MAX_PASSTHROUGH, VMM_MAX_PT_IRQS);
    }
    uint32_t nch = 0;
    for (uint32_t c = 0; c < spec.h->nchannels; c++) {
        nch += (spec.chans[c].ends[0].partition == p || spec.chans[c].ends[1].partition == p);
    }
    if (nch > VMM_MAX_CHANNELS) {
        return refuse(p, "it is an end of %u channels; the VMM takes at most %u", nch,
                      VMM_MAX_CHANNELS);
    }
    if (sp->bootargs != BH_SPEC_NONE) {
        const char *args = spec.strings + sp->bootargs;
        size_t len = strnlen(args, spec.h->strings_size - sp->bootargs);
        if (len >= VMM_BOOTARGS_MAX || len == spec.h->strings_size - sp->bootargs) {
            return refuse(p, "its bootargs are %lu characters; the VMM takes at most %u",
                          (unsigned long)len, VMM_BOOTARGS_MAX - 1);
        }
        memcpy(b->info.bootargs, args, len + 1);
    }
    b->kernel = find_component(p, BH_SPEC_ROLE_KERNEL, BH_PAYLOAD_GUEST_KERNEL, true);
    if (b->kernel < 0) {
        return false;
    }
    const uint8_t *k = rt_payload_data(payload, (uint32_t)b->kernel);
    if (payload->entries[b->kernel].size < sizeof(struct bh_arm64_image_header) ||
        ((const struct bh_arm64_image_header *)(const void *)k)->magic != BH_ARM64_IMAGE_MAGIC) {
        return refuse(p, "component '%s' is not an arm64 Image", payload->entries[b->kernel].name);
    }
    b->initrd = find_component(p, BH_SPEC_ROLE_INITRD, BH_PAYLOAD_GUEST_INITRD, false);
    b->disk = find_component(p, BH_SPEC_ROLE_DISK, BH_PAYLOAD_GUEST_DISK, false);
    b->vmm = find_component(p, BH_SPEC_ROLE_PROGRAM, BH_PAYLOAD_VMM, true);
    if (b->initrd == -1 || b->disk == -1 || b->vmm < 0) {
        return false;
    }
    uint32_t ndisks = 0;
    for (uint32_t k2 = 0; k2 < sp->npayloads; k2++) {
        ndisks += spec.refs[sp->first_payload + k2].role == BH_SPEC_ROLE_DISK;
    }
    if (ndisks > 1) {
        return refuse(p, "it has %u disks; the VMM serves one", ndisks);
    }
    return true;
}

/* Capabilities the holding CNode keeps: frames, their VMM copies, staged
 * images, the VMM's program and stack, channel and device pages, handlers. */
static uint64_t holding_caps(const struct vm_build *b, const struct rt_elf *elf)
{
    const struct bh_spec_partition *sp = b->sp;
    uint64_t n = 2 * ram_frames(b->ram);
    n += up2m(payload->entries[b->kernel].size) / SZ_2M;
    n += b->initrd >= 0 ? up2m(payload->entries[b->initrd].size) / SZ_2M : 0;
    n += b->disk >= 0 ? up2m(payload->entries[b->disk].size) / SZ_2M : 0;
    n += rt_elf_pages(elf) + 1 + VMM_STACK_SIZE / PAGE;
    for (uint32_t c = 0; c < spec.h->nchannels; c++) {
        if (spec.chans[c].ends[0].partition == b->p || spec.chans[c].ends[1].partition == b->p) {
            n += spec.chans[c].size / PAGE;
        }
    }
    for (uint32_t k = 0; k < sp->ndevices; k++) {
        n += spec.devices[sp->first_device + k].size / PAGE;
    }
    return n + sp->nirqs;
}

/* Guest RAM: each frame in the VM (RWX: the guest's own stage 1 decides) and,
 * through a read-write copy, in the VMM at VMM_GUEST_VA. */
static bool map_ram(struct vm_build *b)
{
    const struct bh_spec_region *r = b->ram;
    for (uint64_t off = 0; off < r->size;) {
        bool big = big_at(r, off);
        uint64_t f = 0, c = 0;
        bh_error_t e = alloc(big ? BH_OBJ_FRAME_2M : BH_OBJ_FRAME_4K, 0, &f);
        if (e == BH_OK) {
            e = new_slot(&c);
        }
        if (e == BH_OK) {
            e = bh_cnode_copy(ROOT_CNODE, c, f, RW);
        }
        if (e == BH_OK) {
            e = vm_map(b->vm, f, r->base + off, RWX, BH_VM_MEM_NORMAL);
        }
        if (e == BH_OK) {
            e = map_page(b->as, c, VMM_GUEST_VA + off, RW);
        }
        if (e == BH_OK) {
            e = stash(f);
        }
        if (e == BH_OK) {
            e = stash(c);
        }
        if (!check_err(b->p, e, "mapping guest memory")) {
            return false;
        }
        off += big ? SZ_2M : PAGE;
    }
    b->info.ram_ipa = r->base;
    b->info.ram_size = r->size;
    return true;
}

/* Copies component i into fresh 2 MiB frames mapped at va in the VMM. */
static bool stage(struct vm_build *b, int i, uint64_t va, bool writable, const char *what)
{
    const uint8_t *src = rt_payload_data(payload, (uint32_t)i);
    uint64_t n = payload->entries[i].size;
    for (uint64_t off = 0; off < n; off += SZ_2M) {
        uint64_t f = 0;
        bh_error_t e = alloc(BH_OBJ_FRAME_2M, 0, &f);
        if (e == BH_OK) {
            e = fill_frame(f, true, 0, src + off, n - off < SZ_2M ? n - off : SZ_2M);
        }
        if (e == BH_OK) {
            e = map_page(b->as, f, va + off, writable ? RW : BH_RIGHT_READ);
        }
        if (e == BH_OK) {
            e = stash(f);
        }
        if (!check_err(b->p, e, what)) {
            return false;
        }
    }
    return true;
}

/* Stages component i at *va (its address and size into *at, *size) and
 * moves *va on to the next 2 MiB boundary. */
static bool stage_next(struct vm_build *b, int i, uint64_t *va, uint64_t *at, uint64_t *size,
                       bool writable, const char *what)
{
    *at = *va;
    *size = payload->entries[i].size;
    if (!stage(b, i, *va, writable, what)) {
        return false;
    }
    *va += up2m(*size);
    return true;
}

static bool stage_images(struct vm_build *b)
{
    uint64_t va = VMM_STAGE_VA;
    struct vmm_info *info = &b->info;
    return stage_next(b, b->kernel, &va, &info->kernel_va, &info->kernel_size, false,
                      "staging the guest kernel") &&
           (b->initrd < 0 || stage_next(b, b->initrd, &va, &info->initrd_va, &info->initrd_size,
                                        false, "staging the initrd")) &&
           /* A private read-write copy: the guest's writes stay in it. */
           (b->disk < 0 || stage_next(b, b->disk, &va, &info->disk_va, &info->disk_size, true,
                                      "staging the disk image"));
}

static bool range_clash(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
    return a < b + bs && b < a + as;
}

/* A doorbell page in the guest device area that nothing else of this VM uses. */
static bool choose_doorbell(const struct vm_build *b, uint32_t n, uint64_t *ipa)
{
    const struct bh_spec_partition *sp = b->sp;
    for (uint64_t cand = DOORBELL_FIRST; cand < GUEST_DEV_END; cand += PAGE) {
        bool bad = range_clash(cand, PAGE, VGIC_DIST, VGIC_DIST_SIZE) ||
                   range_clash(cand, PAGE, VGIC_REDIST, VGIC_REDIST_CPU * VMM_MAX_VCPUS) ||
                   range_clash(cand, PAGE, EMU_UART, PAGE) ||
                   range_clash(cand, PAGE, EMU_RTC, PAGE) ||
                   range_clash(cand, PAGE, EMU_VIRTIO, EMU_VIRTIO_SIZE);
        for (uint32_t k = 0; k < sp->ndevices && !bad; k++) {
            const struct bh_spec_device *d = &spec.devices[sp->first_device + k];
            bad = range_clash(cand, PAGE, d->base, d->size);
        }
        for (uint32_t k = 0; k < n && !bad; k++) {
            bad = b->info.channels[k].doorbell_ipa == cand;
        }
        if (!bad) {
            *ipa = cand;
            return true;
        }
    }
    return false;
}

/* An SPI no emulated device, passthrough interrupt or other channel of this VM uses. */
static bool choose_spi(const struct vm_build *b, uint32_t n, uint64_t *intid)
{
    const struct bh_spec_partition *sp = b->sp;
    for (uint32_t cand = CHAN_SPI_FIRST; cand < CHAN_SPI_END; cand++) {
        bool bad = false;
        for (uint32_t k = 0; k < sp->nirqs && !bad; k++) {
            bad = spec.irqs[sp->first_irq + k].intid == cand;
        }
        for (uint32_t k = 0; k < n && !bad; k++) {
            bad = b->info.channels[k].intid == cand;
        }
        if (!bad) {
            *intid = cand;
            return true;
        }
    }
    return false;
}

/* Each channel end: shared memory in the guest's stage 2 with the end's
 * rights, a doorbell and SPI for the VMM, and the capability to signal the peer. */
static bool setup_channels(struct vm_build *b)
{
    uint32_t p = b->p;
    const struct bh_spec_channel_end *end = NULL, *peer = NULL;
    for (uint32_t c = 0; next_channel_end(p, &c, &end, &peer); c++) {
        const struct bh_spec_channel *ch = &spec.chans[c];
        uint32_t k = local_index(p, c);
        struct vmm_channel *vc = &b->info.channels[k];
        memcpy(vc->name, ch->name, sizeof(vc->name));
        vc->can_notify = end->notify;
        if (ch->size != 0) {
            uint32_t rights = (end->rights & BH_SPEC_RIGHT_WRITE) ? RW : BH_RIGHT_READ;
            vc->ipa = spec.regions[end->region].base;
            vc->size = ch->size;
            vc->rights = rights;
            if (!map_channel_frames(p, c, rights, vm_map_normal, b->vm, vc->ipa)) {
                return false;
            }
        }
        if (!choose_doorbell(b, k, &vc->doorbell_ipa)) {
            return refuse(p, "no free page for channel '%s''s doorbell in its device area",
                          ch->name);
        }
        if (!choose_spi(b, k, &vc->intid)) {
            return refuse(p, "no free SPI (INTID %u..%u) for channel '%s'", CHAN_SPI_FIRST,
                          CHAN_SPI_END - 1, ch->name);
        }
        if (end->notify) {
            bh_error_t e = give(b->cspace, VMM_SLOT_CHAN0 + k, parts[peer->partition].ntfn,
                                BH_RIGHT_WRITE, signal_bit(peer->partition, c));
            if (!check_err(p, e, "granting a channel's signal capability")) {
                return false;
            }
        }
        b->info.nchannels = k + 1;
    }
    return true;
}

/* Passthrough MMIO 1:1 as Device memory; interrupts straight to vCPU 0. */
static bool setup_passthrough(struct vm_build *b)
{
    const struct bh_spec_partition *sp = b->sp;
    for (uint32_t k = 0; k < sp->ndevices; k++) {
        const struct bh_spec_device *d = &spec.devices[sp->first_device + k];
        for (uint64_t off = 0; off < d->size; off += PAGE) {
            uint64_t f = 0;
            bh_error_t e = device_frame(d->base + off, &f);
            if (e != BH_OK) {
                return refuse(b->p,
                              "passthrough MMIO page 0x%lx is not device memory the kernel "
                              "handed over, or is already taken (error %u)",
                              (unsigned long)(d->base + off), (unsigned)e);
            }
            e = vm_map(b->vm, f, d->base + off, RW, BH_VM_MEM_DEVICE);
            if (e == BH_OK) {
                e = stash(f);
            }
            if (!check_err(b->p, e, "mapping passthrough MMIO")) {
                return false;
            }
        }
        b->info.passthrough[k].ipa = d->base;
        b->info.passthrough[k].size = d->size;
    }
    b->info.npassthrough = sp->ndevices;
    for (uint32_t k = 0; k < sp->nirqs; k++) {
        uint64_t intid = spec.irqs[sp->first_irq + k].intid;
        uint64_t h = 0;
        bh_error_t e = new_slot(&h);
        if (e == BH_OK) {
            uint64_t mr[3] = {intid, h, 64};
            uint64_t root = ROOT_CNODE;
            e = bh_invoke(BH_RT_SLOT_IRQ_CONTROL, BH_INV_IRQ_CONTROL_GET, mr, 3, &root, 1, 0);
        }
        if (e == BH_OK) {
            uint64_t mr[2] = {intid, PT_IRQ_PRIO};
            e = bh_invoke(h, BH_INV_IRQ_SET_VCPU, mr, 2, &b->vcpu[0], 1, 0);
        }
        if (e == BH_OK) {
            e = stash(h);
        }
        if (e != BH_OK) {
            return refuse(b->p, "routing passthrough INTID %lu to vCPU 0 failed (error %u)",
                          (unsigned long)intid, (unsigned)e);
        }
        b->info.pt_irqs[k] = intid;
    }
    b->info.npt_irqs = sp->nirqs;
    return true;
}

/* Pins a thread. Threads start on CPU 0; until the kernel runs every CPU, a
 * placement it cannot make is reported and the thread stays there (placement
 * is not isolation: the budget and the time partition still hold). */
static void pin(uint32_t p, uint64_t tcb, uint32_t cpu, const char *who)
{
    bh_error_t e = bh_tcb_set_affinity(tcb, cpu);
    if (e == BH_OK || cpu == 0) {
        return;
    }
    if (e == BH_E_INVALID_ARGUMENT) {
        bh_printf("roottask: partition '%s': %s stays on CPU 0: CPU %u is not online\n",
                  part_name(p), who, cpu);
    } else {
        bh_printf("roottask: partition '%s': %s stays on CPU 0: this kernel cannot pin it to "
                  "CPU %u (error %u)\n",
                  part_name(p), who, cpu, (unsigned)e);
    }
}

static bool make_vcpus(struct vm_build *b)
{
    const struct bh_spec_partition *sp = b->sp;
    for (uint32_t v = 0; v < sp->nvcpus; v++) {
        const struct bh_spec_vcpu *sv = &spec.vcpus[sp->first_vcpu + v];
        uint64_t tcb = 0, fep = 0;
        bh_error_t e = alloc(BH_OBJ_VCPU, 0, &b->vcpu[v]);
        if (e == BH_OK) {
            e = alloc(BH_OBJ_TCB, 0, &tcb);
        }
        if (e == BH_OK) {
            e = new_slot(&fep);
        }
        if (e == BH_OK) {
            /* Its exits go to the VMM, badged vCPU index + 1. */
            e = bh_cnode_mint(ROOT_CNODE, fep, b->ep, BH_RIGHT_WRITE | BH_RIGHT_GRANT_REPLY, v + 1);
        }
        if (e == BH_OK) {
            e = bh_tcb_configure(tcb, fep, b->gcspace, b->vm, 0, 0);
        }
        if (e == BH_OK) {
            char n[16];
            bh_snprintf(n, sizeof(n), "%.10s.v%u", sp->name, v);
            e = bh_tcb_set_name(tcb, n);
        }
        if (e == BH_OK) {
            e = bh_tcb_set_priority(tcb, sp->priority);
        }
        if (e == BH_OK) {
            e = bh_tcb_set_partition(tcb, b->p + 1);
        }
        if (e == BH_OK) {
            uint64_t aff = vmm_vcpu_mpidr(v);
            e = bh_invoke(b->vcpu[v], BH_INV_VCPU_SET_TCB, &aff, 1, &tcb, 1, 0);
        }
        if (e == BH_OK) {
            e = give(b->cspace, VMM_SLOT_VCPU0 + v, b->vcpu[v], BH_RIGHTS_ALL, 0);
        }
        if (e == BH_OK) {
            e = give(b->cspace, VMM_SLOT_VCPU_TCB0 + v, tcb, BH_RIGHTS_ALL, 0);
        }
        if (!check_err(b->p, e, "creating its vCPUs") || !give_budget(b->p, tcb)) {
            return false;
        }
        char who[16];
        bh_snprintf(who, sizeof(who), "vCPU %u", v);
        pin(b->p, tcb, sv->pcpu, who);
        b->info.vcpu_cpu[v] = sv->pcpu;
    }
    b->info.nr_vcpus = sp->nvcpus;
    return true;
}

/* The VMM's notification: bound to its thread so its receive on the exit
 * endpoint also returns for channel rings and console input. Channels need
 * it (the partition is refused without); console input alone does not make
 * a partition unusable, so without the binding it starts without input. */
static bool bind_notification(struct vm_build *b, bool *console)
{
    uint64_t unbind = 0;
    bh_error_t e = bh_invoke(parts[b->p].ntfn, BH_INV_NTFN_BIND_TCB, &unbind, 1, &b->vmm_tcb, 1, 0);
    if (e == BH_OK) {
        return true;
    }
    if (b->info.nchannels != 0) {
        return refuse(b->p,
                      "binding its VMM's notification to the VMM's thread failed (error %u); "
                      "without it the VMM cannot hear its channels",
                      (unsigned)e);
    }
    if (*console) {
        bh_printf("roottask: partition '%s': console input not routed: binding its VMM's "
                  "notification failed (error %u); it starts without input\n",
                  part_name(b->p), (unsigned)e);
        *console = false;
    }
    return true;
}

/* The system's console input signals the VMM's notification
 * (VMM_NTFN_CONSOLE_IN); the capability itself moves last (move_console). */
static bool console_notify(struct vm_build *b, bool *console)
{
    uint64_t n = 0;
    bh_error_t e = new_slot(&n);
    if (e == BH_OK) {
        e = bh_cnode_mint(ROOT_CNODE, n, parts[b->p].ntfn, BH_RIGHT_WRITE, VMM_NTFN_CONSOLE_IN);
    }
    if (!check_err(b->p, e, "minting its console notification")) {
        return false;
    }
    e = bh_invoke(BH_RT_SLOT_CONSOLE_INPUT, BH_INV_CONSOLE_SET_NOTIFICATION, 0, 0, &n, 1, 0);
    if (e != BH_OK) {
        bh_printf("roottask: partition '%s': console input not routed: the kernel refused "
                  "ConsoleInput SET_NOTIFICATION (error %u); it starts without input\n",
                  part_name(b->p), (unsigned)e);
        *console = false;
    }
    return true;
}

/* Moves the system's one ConsoleInput capability to the VMM. Last step: a
 * partition removed after it would take the capability with it. */
static bool move_console(struct vm_build *b)
{
    uint64_t mr[4] = {VMM_SLOT_CONSOLE_IN, 64, BH_RT_SLOT_CONSOLE_INPUT, 64};
    uint64_t root = ROOT_CNODE;
    bh_error_t e = bh_invoke(b->cspace, BH_INV_CNODE_MOVE, mr, 4, &root, 1, 0);
    return check_err(b->p, e, "moving the console input to its VMM");
}

static bool build_vm_objects(struct vm_build *b)
{
    uint32_t p = b->p;
    const struct bh_spec_partition *sp = b->sp;
    if (!check_shape(b)) {
        return false;
    }
    struct rt_elf elf;
    char err[160];
    const void *vmm_data = rt_payload_data(payload, (uint32_t)b->vmm);
    if (!rt_elf_parse(vmm_data, payload->entries[b->vmm].size, PAGE, VMM_INFO_VA, &elf, err,
                      sizeof(err))) {
        return refuse(p, "component '%s': %s", payload->entries[b->vmm].name, err);
    }
    bh_error_t e = alloc(BH_OBJ_VM, 0, &b->vm);
    if (e == BH_OK) {
        e = alloc(BH_OBJ_ENDPOINT, 0, &b->ep);
    }
    if (e == BH_OK) {
        e = alloc(BH_OBJ_ADDRESS_SPACE, 0, &b->as);
    }
    if (e == BH_OK) {
        e = guarded_cnode(VMM_CNODE_RADIX, &b->cspace);
    }
    /* The vCPU threads' CSpace: empty (a guest makes no system calls); the
     * smallest radix a single guard can cover. */
    if (e == BH_OK) {
        e = guarded_cnode(VMM_CNODE_RADIX, &b->gcspace);
    }
    if (e == BH_OK) {
        e = alloc(BH_OBJ_TCB, 0, &b->vmm_tcb);
    }
    if (!check_err(p, e, "creating its VM, exit endpoint, VMM address space, CNode and thread") ||
        !make_holding(p, holding_caps(b, &elf))) {
        return false;
    }
    struct vmm_info *info = &b->info;
    info->magic = VMM_INFO_MAGIC;
    info->version = VMM_INFO_VERSION;
    memcpy(info->name, sp->name,
           sizeof(info->name) < sizeof(sp->name) ? sizeof(info->name) : sizeof(sp->name));
    info->name[sizeof(info->name) - 1] = '\0';
    info->devices = sp->emulated;
    if (!map_ram(b) || !stage_images(b) || !load_program(p, b->as, vmm_data, &elf) ||
        !make_vcpus(b) || !setup_passthrough(b) || !setup_channels(b)) {
        return false;
    }
    /* The VMM's own capabilities (vmm_info.h): its exit endpoint (receive
     * only: replies go through the one-shot link), a send-only line to the
     * monitor, its notification (wait and poll). */
    e = give(b->cspace, VMM_SLOT_EP, b->ep, BH_RIGHT_READ, 0);
    if (e == BH_OK) {
        e = give(b->cspace, VMM_SLOT_PARENT, fault_ep, BH_RIGHT_WRITE, RT_BADGE_VMM_MSG | (p + 1));
    }
    if (e == BH_OK) {
        e = give(b->cspace, VMM_SLOT_NTFN, parts[p].ntfn, BH_RIGHT_READ, 0);
    }
    if (!check_err(p, e, "granting its VMM's capabilities")) {
        return false;
    }
    bool console = (sp->flags & BH_SPEC_PART_CONSOLE_INPUT) != 0;
    if (!bind_notification(b, &console) || (console && !console_notify(b, &console))) {
        return false;
    }
    info->console_input = console ? 1u : 0u;
    uint64_t ipc = 0, fep = 0;
    e = map_info_page(b->as, VMM_INFO_VA, info, sizeof(*info));
    if (!check_err(p, e, "mapping its VMM's info page") ||
        !map_zeroed(p, b->as, VMM_IPCBUF_VA, PAGE, "mapping its VMM's IPC buffer", &ipc) ||
        !map_zeroed(p, b->as, VMM_STACK_TOP - VMM_STACK_SIZE, VMM_STACK_SIZE,
                    "mapping its VMM's stack", NULL)) {
        return false;
    }
    /* The VMM's faults go to the monitor, badged with the partition. */
    e = fault_cap(p, &fep);
    if (e == BH_OK) {
        e = bh_tcb_configure(b->vmm_tcb, fep, b->cspace, b->as, ipc, VMM_IPCBUF_VA);
    }
    if (e == BH_OK) {
        char n[16];
        bh_snprintf(n, sizeof(n), "vmm-%.10s", sp->name);
        e = bh_tcb_set_name(b->vmm_tcb, n);
    }
    if (e == BH_OK) {
        e = bh_tcb_set_priority(b->vmm_tcb, sp->vmm_priority);
    }
    if (e == BH_OK) {
        /* Its guest's windows are its windows: exits are served inside them. */
        e = bh_tcb_set_partition(b->vmm_tcb, p + 1);
    }
    if (e == BH_OK) {
        e = bh_tcb_write_regs(b->vmm_tcb, elf.entry, VMM_STACK_TOP, VMM_INFO_VA);
    }
    if (!check_err(p, e, "configuring its VMM's thread")) {
        return false;
    }
    /* Next to vCPU 0, which it starts and serves most. */
    pin(p, b->vmm_tcb, (uint32_t)info->vcpu_cpu[0], "its VMM");
    if (console && !move_console(b)) {
        return false;
    }
    parts[p].tcb = b->vmm_tcb;
    return true;
}

bool build_vm(uint32_t p)
{
    static struct vm_build b;
    memset(&b, 0, sizeof(b));
    b.p = p;
    b.sp = &spec.parts[p];
    b.kernel = b.initrd = b.disk = b.vmm = -2;
    pool_begin();
    bool ok = build_vm_objects(&b);
    pool_end(p, ok);
    if (!ok) {
        return false;
    }
    const struct bh_spec_partition *sp = b.sp;
    char budget[64];
    budget_text(p, budget, sizeof(budget));
    char cpus[48] = "";
    for (uint32_t v = 0; v < sp->nvcpus; v++) {
        size_t used = strlen(cpus);
        bh_snprintf(cpus + used, sizeof(cpus) - used, "%s%lu", v ? "," : "",
                    (unsigned long)b.info.vcpu_cpu[v]);
    }
    bh_printf("roottask: built VM '%s': %u vCPU(s) on CPU %s, priority %u (VMM %u), %s, "
              "%lu MiB at 0x%lx, kernel %lu KiB, initrd %lu KiB, disk %lu KiB, %lu passthrough "
              "range(s), %lu interrupt(s), %lu channel(s)%s, time partition %u\n",
              sp->name, sp->nvcpus, cpus, sp->priority, sp->vmm_priority, budget,
              (unsigned long)(b.info.ram_size >> 20), (unsigned long)b.info.ram_ipa,
              (unsigned long)(b.info.kernel_size / 1024),
              (unsigned long)(b.info.initrd_size / 1024), (unsigned long)(b.info.disk_size / 1024),
              (unsigned long)b.info.npassthrough, (unsigned long)b.info.npt_irqs,
              (unsigned long)b.info.nchannels, b.info.console_input ? ", console input" : "",
              p + 1);
    for (uint64_t k = 0; k < b.info.nchannels; k++) {
        const struct vmm_channel *c = &b.info.channels[k];
        bh_printf("roottask: VM '%s' channel '%s': memory 0x%lx+0x%lx (%s), doorbell 0x%lx, "
                  "INTID %lu%s\n",
                  sp->name, c->name, (unsigned long)c->ipa, (unsigned long)c->size,
                  c->size == 0                   ? "none"
                  : (c->rights & BH_RIGHT_WRITE) ? "rw"
                                                 : "r",
                  (unsigned long)c->doorbell_ipa, (unsigned long)c->intid,
                  c->can_notify ? ", may signal" : "");
    }
    return true;
}
