/*
 * Root task for the Linux guest tests (issue 5). For every guest-kernel
 * component in the payload it builds one VM partition from untyped memory:
 * the VM, guest RAM from 2 MiB frames at IPA 0x4000_0000, vCPUs bound to
 * their own TCBs, and a VMM (the "vmm" component, userland/vmm) in its own
 * address space and CSpace holding exactly: its exit endpoint, its vCPUs and
 * their TCBs, a send-only line back here, guest RAM, and read-only copies of
 * the guest's Image and initrd (plus a read-write disk image if one is in the
 * payload), its notification (bound to the VMM's thread), and where the
 * shape asks for them the console input and a channel to another guest
 * (vmm_info version 2). Then it starts the VMMs and waits until every guest
 * powered off.
 *
 * The component name selects the guest's shape (table below).
 */
#include <bh/kobj.h>
#include <bh/print.h>
#include <bh/sys.h>

#include <bh_fmt.h>
#include <string.h>

#include <bulkhead/bootimage.h>
#include <vmm/vmm_info.h>

#include "../../roottask/rt_elf.h"

#define CNODE  BH_RT_SLOT_CNODE
#define VSPACE BH_RT_SLOT_VSPACE
#define PAGE   4096ull
#define SZ_2M  0x200000ull
#define RW     (BH_RIGHT_READ | BH_RIGHT_WRITE)
#define RWX    (BH_RIGHT_READ | BH_RIGHT_WRITE | BH_RIGHT_EXECUTE)

#define GUEST_RAM_IPA 0x40000000ull
#define ROOT_MAP_VA   0x400000000ull /* where this task sees what it copies, grows up */
#define MAX_GUESTS    4u
#define VMM_PRIO      200u
#define VCPU_PRIO     100u

/* Emulated devices of most shapes (virtio-blk only where a disk is staged). */
#define DEVS_STD (VMM_DEV_PL011 | VMM_DEV_VIRTIO_BLK)
#define DEVS_CON (VMM_DEV_PL011 | VMM_DEV_VIRTIO_CONSOLE)

/* The channel of the "cha"/"chb" pair: one shared page, doorbell, SPI. */
#define CHAN_SHM_IPA      0x70000000ull
#define CHAN_DOORBELL_IPA 0x0b000000ull
#define CHAN_INTID        80u

struct shape {
    const char *name;
    unsigned vcpus;
    uint64_t ram_mib;
    const char *bootargs;
    uint64_t devices; /* VMM_DEV_* */
    bool console_in;  /* typed input goes to this guest (at most one) */
    const char *peer; /* the guest at the other end of channel "ring0", or NULL */
};

static const struct shape shapes[] = {
    {"linux", 1, 256,
     "console=ttyAMA0 bhcmd=\"uname -a; cat /proc/interrupts; cat /proc/meminfo | head -n 1\"",
     DEVS_STD, false, NULL},
    {"linux2", 2, 256,
     "console=ttyAMA0 bhcmd=\"echo cpus=$(grep -c ^processor /proc/cpuinfo); cat "
     "/proc/interrupts\"",
     DEVS_STD, false, NULL},
    {"lxa", 1, 192, "console=ttyAMA0 bhcmd=\"dmesg | grep -o 'K/[0-9]*K available'\"", DEVS_STD,
     false, NULL},
    {"lxb", 1, 128, "console=ttyAMA0 bhcmd=\"dmesg | grep -o 'K/[0-9]*K available'\"", DEVS_STD,
     false, NULL},
    {"disk", 1, 256, "console=ttyAMA0 bhrun=smoke", DEVS_STD, false, NULL},
    {"marker", 1, 256, "console=ttyAMA0 bhrun=marker", DEVS_STD, false, NULL},
    {"reboot", 1, 128, "console=ttyAMA0 bhcmd=\"reboot -f\"", DEVS_STD, false, NULL},
    /* Isolation: hb keeps its heartbeat while crash panics (and then spins). */
    {"hb", 1, 128,
     "console=ttyAMA0 bhcmd=\"i=0; while [ $i -lt 30 ]; do i=$((i+1)); echo heartbeat $i; sleep "
     "0.2; done\"",
     DEVS_STD, false, NULL},
    {"crash", 1, 128, "console=ttyAMA0 bhcmd=\"sleep 1; echo c >/proc/sysrq-trigger\"", DEVS_STD,
     false, NULL},
    /* PL011 benchmark: the counter around 3 KiB written through the tty layer. */
    {"uart", 1, 256,
     "console=ttyAMA0 bhcmd=\"bh-cntvct; cat /etc/bulkhead/smoke /etc/bulkhead/smoke "
     "/etc/bulkhead/smoke; bh-cntvct\"",
     DEVS_STD, false, NULL},
    /* virtio-blk benchmark: the counter around reading the whole 16 MiB disk,
     * the block layer's request counts before and after. */
    {"blkbench", 1, 256,
     "console=ttyAMA0 bhcmd=\"cat /sys/block/vda/stat; bh-cntvct; dd if=/dev/vda of=/dev/null "
     "bs=1M count=16; bh-cntvct; cat /sys/block/vda/stat\"",
     DEVS_STD, false, NULL},
    /* Console input: cin runs the line typed on the serial port; cinb, with no
     * input, writes to its virtio-console and waits for a line in vain. */
    {"cin", 1, 128, "console=ttyAMA0 bhcmd=\"echo cin-ready; read l; eval $l\"", DEVS_CON, true,
     NULL},
    {"cinb", 1, 128,
     "console=ttyAMA0 bhcmd=\"echo hvc-$((6*7)) >/dev/hvc0; read -t 20 l; echo cinb-read:$l:end\"",
     DEVS_CON, false, NULL},
    /* Console input through virtio-console: the last console= is hvc0, so the
     * VMM feeds its receiveq; the shell reads the line from /dev/hvc0, kept
     * open throughout (a tty's last close discards input it holds). The line's
     * output goes to hvc0 too: a write to a tty first flushes that tty's
     * pending echo, which the reader can otherwise overtake up to power-off. */
    {"hvcin", 1, 128,
     "console=ttyAMA0 console=hvc0 bhcmd=\"exec 3<>/dev/hvc0; echo hvc-ready >&3; read l <&3; "
     "eval $l >&3\"",
     DEVS_CON, true, NULL},
    /* A channel, driven from the shell with devmem: cha writes the shared page
     * and rings; chb waits for the ring, reads the page, answers and rings back. */
    {"cha", 1, 128,
     "console=ttyAMA0 bhcmd=\"devmem 0x70000000 32 0x2a2a; devmem 0x0b000000 32 1; i=0; while [ "
     "$(devmem 0x0b000008) = 0x00000000 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; echo "
     "cha-rx=$(devmem 0x0b000008) reply=$(devmem 0x70000004) tx=$(devmem 0x0b00000c) "
     "magic=$(devmem 0x0b000010)\"",
     VMM_DEV_PL011, false, "chb"},
    {"chb", 1, 128,
     "console=ttyAMA0 bhcmd=\"i=0; while [ $(devmem 0x0b000008) = 0x00000000 ] && [ $i -lt 300 "
     "]; do sleep 0.1; i=$((i+1)); done; echo chb-rx=$(devmem 0x0b000008) shm=$(devmem "
     "0x70000000) flags=$(devmem 0x0b000004); devmem 0x70000004 32 0x4242; devmem 0x0b000000 32 "
     "1\"",
     VMM_DEV_PL011, false, "cha"},
};

static const struct bh_bootinfo *bi;
static const struct bh_payload_header *pl;
static uint64_t next_slot, next_va = ROOT_MAP_VA;
static uint64_t root_ep;
static uint64_t chan_frame; /* the channel's shared page, mapped through copies */
static int failures;

static void fail(const char *what, bh_error_t e)
{
    failures++;
    bh_printf("linux_rt: FAIL: %s (error %u)\n", what, e);
    bh_flush();
}

/* One object in a fresh slot, from the first RAM untyped with room. */
static bh_error_t alloc(bh_objtype_t type, uint64_t size_bits, uint64_t *slot)
{
    *slot = next_slot++;
    bh_error_t e = BH_E_NOT_ENOUGH_MEMORY;
    for (uint64_t u = 0; u < bi->untyped_count; u++) {
        if (bi->untyped[u].is_device != 0) {
            continue;
        }
        e = bh_retype(bi->untyped_first + u, type, size_bits, CNODE, *slot, 1);
        if (e != BH_E_NOT_ENOUGH_MEMORY && e != BH_E_REVOKE_FIRST) {
            return e;
        }
    }
    return e;
}

static bh_error_t copy(uint64_t src, uint32_t rights, uint64_t *dst)
{
    *dst = next_slot++;
    return bh_cnode_copy(CNODE, *dst, src, rights);
}

/* Maps frame into an address space (as_vm = false) or a VM, adding tables. */
static bh_error_t map(uint64_t space, bool vm, uint64_t frame, uint64_t addr, uint32_t rights)
{
    for (unsigned attempt = 0; attempt < 4; attempt++) {
        unsigned level = 0;
        bh_error_t e;
        if (vm) {
            uint64_t mr[3] = {addr, rights, BH_VM_MEM_NORMAL};
            struct bh_sysregs r;
            e = bh_invoke(space, BH_INV_VM_MAP_FRAME, mr, 3, &frame, 1, &r);
            level = (unsigned)r.x[2];
        } else {
            e = bh_as_map_frame(space, frame, addr, rights, &level);
        }
        if (e != BH_E_LOOKUP_FAILED) {
            return e;
        }
        uint64_t pt = 0;
        e = alloc(BH_OBJ_PAGE_TABLE, 0, &pt);
        if (e == BH_OK) {
            uint64_t mr[2] = {addr, level};
            e = bh_invoke(space, vm ? BH_INV_VM_MAP_TABLE : BH_INV_AS_MAP_TABLE, mr, 2, &pt, 1, 0);
        }
        if (e != BH_OK) {
            return e;
        }
    }
    return BH_E_LOOKUP_FAILED;
}

/* A fresh frame mapped here (for filling) and, through a copy, at va in as. */
static bh_error_t shared_frame(bool big, uint64_t as, uint64_t va, uint32_t rights, uint8_t **here,
                               uint64_t *there)
{
    uint64_t f = 0, c = 0;
    uint64_t sz = big ? SZ_2M : PAGE;
    next_va = (next_va + sz - 1) & ~(sz - 1);
    bh_error_t e = alloc(big ? BH_OBJ_FRAME_2M : BH_OBJ_FRAME_4K, 0, &f);
    if (e == BH_OK) {
        e = map(VSPACE, false, f, next_va, RW);
    }
    if (e == BH_OK) {
        e = copy(f, rights, &c);
    }
    if (e == BH_OK) {
        e = map(as, false, c, va, rights);
    }
    *here = (uint8_t *)(uintptr_t)next_va;
    if (there != NULL) {
        *there = c;
    }
    next_va += sz;
    return e;
}

/* Copies n bytes into as at va (2 MiB frames, read-only there unless rw). */
static bh_error_t stage(uint64_t as, uint64_t va, const uint8_t *src, uint64_t n, bool rw)
{
    for (uint64_t off = 0; off < n; off += SZ_2M) {
        uint8_t *here = NULL;
        bh_error_t e = shared_frame(true, as, va + off, rw ? RW : BH_RIGHT_READ, &here, NULL);
        if (e != BH_OK) {
            return e;
        }
        memcpy(here, src + off, n - off < SZ_2M ? n - off : SZ_2M);
    }
    return BH_OK;
}

/* Copies a capability into the VMM's CNode (guarded: index = address). */
static bh_error_t give(uint64_t cspace, uint64_t dest, uint64_t src, uint32_t rights,
                       uint64_t badge)
{
    uint64_t mr[6] = {dest, 64, src, 64, rights, badge};
    uint64_t root = CNODE;
    return bh_invoke(cspace, BH_INV_CNODE_MINT, mr, 6, &root, 1, 0);
}

static int find(const char *name, uint32_t kind)
{
    for (uint32_t i = 0; i < pl->count; i++) {
        if (pl->entries[i].kind == kind &&
            (name == NULL || strncmp(pl->entries[i].name, name, BH_PAYLOAD_NAME_LEN) == 0)) {
            return (int)i;
        }
    }
    return -1;
}

static const uint8_t *data(int i)
{
    return (const uint8_t *)pl + pl->entries[i].offset;
}

static bool load_vmm(uint64_t as, const uint8_t *elf_data, uint64_t size, uint64_t *entry)
{
    struct rt_elf elf;
    char err[160];
    if (!rt_elf_parse(elf_data, size, PAGE, VMM_INFO_VA, &elf, err, sizeof(err))) {
        bh_printf("linux_rt: the VMM program: %s\n", err);
        return false;
    }
    for (uint32_t s = 0; s < elf.nsegs; s++) {
        const struct rt_segment *seg = &elf.segs[s];
        for (uint64_t va = seg->vaddr & ~(PAGE - 1); va < seg->vaddr + seg->memsz; va += PAGE) {
            uint8_t *here = NULL;
            bh_error_t e = shared_frame(false, as, va, seg->rights, &here, NULL);
            if (e != BH_OK) {
                fail("loading the VMM program", e);
                return false;
            }
            uint64_t lo = va > seg->vaddr ? va : seg->vaddr;
            uint64_t hi =
                va + PAGE < seg->vaddr + seg->filesz ? va + PAGE : seg->vaddr + seg->filesz;
            if (hi > lo) {
                memcpy(here + (lo - va), elf_data + seg->offset + (lo - seg->vaddr), hi - lo);
            }
        }
    }
    *entry = elf.entry;
    return true;
}

struct guest {
    char name[VMM_NAME_MAX];
    const struct shape *shape;
    uint64_t vmm_tcb;
    uint64_t ntfn; /* the VMM's notification, bound to its thread */
    bool done;
};

static struct guest guests[MAX_GUESTS];
static unsigned nguests;

static struct guest *find_guest(const char *name)
{
    for (unsigned i = 0; i < nguests; i++) {
        if (strcmp(guests[i].name, name) == 0) {
            return &guests[i];
        }
    }
    return NULL;
}

/* Channel "ring0" to the peer: the shared page in the VM, the doorbell's
 * capability (the peer's notification, badged with this end's bit there). */
static bh_error_t add_channel(const struct guest *g, uint64_t vm, uint64_t cspace,
                              struct vmm_info *info)
{
    const struct guest *peer = find_guest(g->shape->peer);
    if (peer == NULL) {
        return BH_E_INVALID_ARGUMENT;
    }
    bh_error_t e = BH_OK;
    if (chan_frame == 0) {
        e = alloc(BH_OBJ_FRAME_4K, 0, &chan_frame);
    }
    uint64_t c = 0;
    if (e == BH_OK) {
        e = copy(chan_frame, RW, &c);
    }
    if (e == BH_OK) {
        e = map(vm, true, c, CHAN_SHM_IPA, RW);
    }
    if (e == BH_OK) {
        e = give(cspace, VMM_SLOT_CHAN0, peer->ntfn, BH_RIGHT_WRITE, VMM_NTFN_CHAN0);
    }
    if (e != BH_OK) {
        return e;
    }
    struct vmm_channel *ch = &info->channels[0];
    memcpy(ch->name, "ring0", sizeof("ring0"));
    ch->ipa = CHAN_SHM_IPA;
    ch->size = PAGE;
    ch->rights = RW;
    ch->can_notify = 1;
    ch->doorbell_ipa = CHAN_DOORBELL_IPA;
    ch->intid = CHAN_INTID;
    info->nchannels = 1;
    return BH_OK;
}

/* The system's console input goes to this VMM: signalling its notification
 * with VMM_NTFN_CONSOLE_IN, moved into its CSpace. */
static bh_error_t route_console(const struct guest *g, uint64_t cspace)
{
    uint64_t badged = next_slot++;
    bh_error_t e = bh_cnode_mint(CNODE, badged, g->ntfn, BH_RIGHT_WRITE, VMM_NTFN_CONSOLE_IN);
    if (e == BH_OK) {
        e = bh_invoke(BH_RT_SLOT_CONSOLE_INPUT, BH_INV_CONSOLE_SET_NOTIFICATION, 0, 0, &badged, 1,
                      0);
    }
    if (e == BH_OK) {
        uint64_t mr[4] = {VMM_SLOT_CONSOLE_IN, 64, BH_RT_SLOT_CONSOLE_INPUT, 64};
        uint64_t root = CNODE;
        e = bh_invoke(cspace, BH_INV_CNODE_MOVE, mr, 4, &root, 1, 0);
    }
    return e;
}

static bool build(struct guest *g, int kernel, int vmm_prog, unsigned idx)
{
    const struct shape *sh = g->shape;
    uint64_t vm = 0, ep = 0, as = 0, cn = 0, cspace = 0, vtcb = 0, gcn = 0, gcs = 0;
    uint64_t ram = sh->ram_mib << 20;
    bh_error_t e = alloc(BH_OBJ_VM, 0, &vm);
    if (e == BH_OK) {
        e = alloc(BH_OBJ_ENDPOINT, 0, &ep);
    }
    if (e == BH_OK) {
        e = alloc(BH_OBJ_ADDRESS_SPACE, 0, &as);
    }
    if (e == BH_OK) {
        e = alloc(BH_OBJ_CNODE, VMM_CNODE_RADIX, &cn);
    }
    if (e == BH_OK) {
        cspace = next_slot++;
        e = bh_cnode_mint(CNODE, cspace, cn, BH_RIGHTS_ALL, BH_CNODE_DATA(0, 64 - VMM_CNODE_RADIX));
    }
    /* The vCPU threads' CSpace: empty (a guest cannot make system calls). */
    if (e == BH_OK) {
        e = alloc(BH_OBJ_CNODE, VMM_CNODE_RADIX, &gcn);
    }
    if (e == BH_OK) {
        gcs = next_slot++;
        e = bh_cnode_mint(CNODE, gcs, gcn, BH_RIGHTS_ALL, BH_CNODE_DATA(0, 64 - VMM_CNODE_RADIX));
    }
    if (e == BH_OK) {
        e = alloc(BH_OBJ_TCB, 0, &g->vmm_tcb);
    }
    if (e != BH_OK) {
        fail("creating the VM, endpoint, VMM address space and CNode", e);
        return false;
    }
    /* Guest RAM: each 2 MiB frame in the VM (RWX: the guest's stage 1 decides)
     * and, through a copy, in the VMM at VMM_GUEST_VA. */
    for (uint64_t off = 0; off < ram; off += SZ_2M) {
        uint64_t f = 0, c = 0;
        e = alloc(BH_OBJ_FRAME_2M, 0, &f);
        if (e == BH_OK) {
            e = copy(f, RW, &c);
        }
        if (e == BH_OK) {
            e = map(vm, true, f, GUEST_RAM_IPA + off, RWX);
        }
        if (e == BH_OK) {
            e = map(as, false, c, VMM_GUEST_VA + off, RW);
        }
        if (e != BH_OK) {
            fail("guest RAM", e);
            return false;
        }
    }
    /* The info page, then the images staged read-only behind VMM_STAGE_VA. */
    struct vmm_info *info = NULL;
    e = shared_frame(false, as, VMM_INFO_VA, BH_RIGHT_READ, (uint8_t **)&info, NULL);
    if (e != BH_OK) {
        fail("the VMM's info page", e);
        return false;
    }
    info->magic = VMM_INFO_MAGIC;
    info->version = VMM_INFO_VERSION;
    memcpy(info->name, g->name, sizeof(info->name));
    info->nr_vcpus = sh->vcpus;
    info->ram_ipa = GUEST_RAM_IPA;
    info->ram_size = ram;
    uint64_t va = VMM_STAGE_VA;
    const struct bh_payload_entry *k = &pl->entries[kernel];
    info->kernel_va = va;
    info->kernel_size = k->size;
    e = stage(as, va, data(kernel), k->size, false);
    va += (k->size + SZ_2M - 1) & ~(SZ_2M - 1);
    int initrd = find(g->name, BH_PAYLOAD_GUEST_INITRD);
    if (e == BH_OK && initrd >= 0) {
        info->initrd_va = va;
        info->initrd_size = pl->entries[initrd].size;
        e = stage(as, va, data(initrd), info->initrd_size, false);
        va += (info->initrd_size + SZ_2M - 1) & ~(SZ_2M - 1);
    }
    int disk = find(g->name, BH_PAYLOAD_GUEST_DISK);
    if (e == BH_OK && disk >= 0) {
        /* A private read-write copy: the guest's writes stay in it. */
        info->disk_va = va;
        info->disk_size = pl->entries[disk].size;
        e = stage(as, va, data(disk), info->disk_size, true);
    }
    if (e != BH_OK) {
        fail("staging the guest's images", e);
        return false;
    }
    memcpy(info->bootargs, sh->bootargs, strlen(sh->bootargs) + 1);
    /* Version 2: devices, channels (no passthrough in these tests). */
    info->devices = sh->devices;
    if (sh->peer != NULL) {
        e = add_channel(g, vm, cspace, info);
        if (e != BH_OK) {
            fail("the channel to the peer guest", e);
            return false;
        }
    }
    uint64_t entry = 0;
    if (!load_vmm(as, data(vmm_prog), pl->entries[vmm_prog].size, &entry)) {
        return false;
    }
    uint8_t *unused = NULL;
    uint64_t ipc = 0;
    e = shared_frame(false, as, VMM_IPCBUF_VA, RW, &unused, &ipc);
    for (uint64_t s = PAGE; e == BH_OK && s <= VMM_STACK_SIZE; s += PAGE) {
        e = shared_frame(false, as, VMM_STACK_TOP - s, RW, &unused, NULL);
    }
    if (e != BH_OK) {
        fail("the VMM's IPC buffer and stack", e);
        return false;
    }
    /* vCPUs, each on its own TCB whose exits go to the VMM badged vCPU + 1. */
    e = give(cspace, VMM_SLOT_EP, ep, BH_RIGHTS_ALL, 0);
    if (e == BH_OK) {
        e = give(cspace, VMM_SLOT_PARENT, root_ep, BH_RIGHT_WRITE, idx + 1);
    }
    for (unsigned v = 0; e == BH_OK && v < sh->vcpus; v++) {
        uint64_t vcpu = 0, fep = 0;
        e = alloc(BH_OBJ_VCPU, 0, &vcpu);
        if (e == BH_OK) {
            e = alloc(BH_OBJ_TCB, 0, &vtcb);
        }
        if (e == BH_OK) {
            fep = next_slot++;
            e = bh_cnode_mint(CNODE, fep, ep, BH_RIGHT_WRITE | BH_RIGHT_GRANT_REPLY, v + 1);
        }
        if (e == BH_OK) {
            e = bh_tcb_configure(vtcb, fep, gcs, vm, 0, 0);
        }
        if (e == BH_OK) {
            char n[16];
            bh_snprintf(n, sizeof(n), "%.10s.v%u", g->name, v);
            e = bh_tcb_set_name(vtcb, n);
        }
        if (e == BH_OK) {
            e = bh_tcb_set_priority(vtcb, VCPU_PRIO);
        }
        if (e == BH_OK && sh->vcpus > 1 && v < bi->ncpus) {
            /* SMP guest on an SMP machine: vCPU n runs on physical CPU n. */
            e = bh_tcb_set_affinity(vtcb, v);
        }
        if (e == BH_OK) {
            uint64_t aff = vmm_vcpu_mpidr(v);
            e = bh_invoke(vcpu, BH_INV_VCPU_SET_TCB, &aff, 1, &vtcb, 1, 0);
        }
        if (e == BH_OK) {
            e = give(cspace, VMM_SLOT_VCPU0 + v, vcpu, BH_RIGHTS_ALL, 0);
        }
        if (e == BH_OK) {
            e = give(cspace, VMM_SLOT_VCPU_TCB0 + v, vtcb, BH_RIGHTS_ALL, 0);
        }
    }
    if (e != BH_OK) {
        fail("creating the vCPUs", e);
        return false;
    }
    /* Its notification ends its wait for exits (console input, channel rings). */
    e = bh_invoke(g->ntfn, BH_INV_NTFN_BIND_TCB, 0, 0, &g->vmm_tcb, 1, 0);
    if (e == BH_OK) {
        e = give(cspace, VMM_SLOT_NTFN, g->ntfn, BH_RIGHT_READ, 0);
    }
    if (e == BH_OK && sh->console_in) {
        e = route_console(g, cspace);
        info->console_input = e == BH_OK ? 1 : 0;
    }
    if (e != BH_OK) {
        fail("the VMM's notification and console input", e);
        return false;
    }
    /* The VMM's own faults come here, badged apart from its status messages. */
    uint64_t vfep = next_slot++;
    e = bh_cnode_mint(CNODE, vfep, root_ep, BH_RIGHT_WRITE | BH_RIGHT_GRANT_REPLY, 0x100 + idx);
    if (e == BH_OK) {
        e = bh_tcb_configure(g->vmm_tcb, vfep, cspace, as, ipc, VMM_IPCBUF_VA);
    }
    if (e == BH_OK) {
        char n[16];
        bh_snprintf(n, sizeof(n), "vmm-%.10s", g->name);
        e = bh_tcb_set_name(g->vmm_tcb, n);
    }
    if (e == BH_OK) {
        e = bh_tcb_set_priority(g->vmm_tcb, VMM_PRIO);
    }
    if (e == BH_OK) {
        e = bh_tcb_write_regs(g->vmm_tcb, entry, VMM_STACK_TOP, VMM_INFO_VA);
    }
    if (e != BH_OK) {
        fail("configuring the VMM thread", e);
        return false;
    }
    bh_printf("linux_rt: %s: VM with %lu MiB RAM at IPA 0x%lx, %u vCPU(s), Image %lu KiB, "
              "initrd %lu KiB, disk %lu KiB; VMM in its own address space\n",
              g->name, (unsigned long)sh->ram_mib, (unsigned long)GUEST_RAM_IPA, sh->vcpus,
              (unsigned long)(k->size / 1024), (unsigned long)(info->initrd_size / 1024),
              (unsigned long)(info->disk_size / 1024));
    bh_flush();
    (void)vtcb;
    return true;
}

int main(const struct bh_bootinfo *boot)
{
    bi = boot;
    pl = (const struct bh_payload_header *)(uintptr_t)bi->payload_va;
    next_slot = bi->first_free_slot;
    int vmm_prog = find("vmm", BH_PAYLOAD_VMM);
    bh_error_t e = alloc(BH_OBJ_ENDPOINT, 0, &root_ep);
    if (vmm_prog < 0 || e != BH_OK) {
        bh_printf("linux_rt: no vmm component in the payload, or no endpoint\n");
        return 1;
    }
    /* Every guest and its VMM's notification first: channels name their peer's. */
    int kernels[MAX_GUESTS];
    for (uint32_t i = 0; i < pl->count && nguests < MAX_GUESTS; i++) {
        const struct bh_payload_entry *pe = &pl->entries[i];
        if (pe->kind != BH_PAYLOAD_GUEST_KERNEL) {
            continue;
        }
        struct guest *g = &guests[nguests];
        memcpy(g->name, pe->name, sizeof(g->name) - 1);
        for (unsigned s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
            if (strcmp(shapes[s].name, g->name) == 0) {
                g->shape = &shapes[s];
            }
        }
        if (g->shape == NULL) {
            bh_printf("linux_rt: no guest shape called '%s'\n", g->name);
            return 1;
        }
        e = alloc(BH_OBJ_NOTIFICATION, 0, &g->ntfn);
        if (e != BH_OK) {
            fail("a VMM's notification", e);
            return 1;
        }
        kernels[nguests++] = (int)i;
    }
    unsigned n = nguests;
    for (unsigned i = 0; i < n; i++) {
        if (!build(&guests[i], kernels[i], vmm_prog, i)) {
            return 1;
        }
    }
    bh_printf("linux_rt: partitions built at counter %lu; starting the VMMs\n",
              (unsigned long)bh_counter());
    bh_flush();
    for (unsigned i = 0; i < n; i++) {
        e = bh_tcb_resume(guests[i].vmm_tcb);
        if (e != BH_OK) {
            fail("starting a VMM", e);
            return 1;
        }
    }
    /* Every VMM reports its guest's end (or its own fault) here. */
    unsigned left = n;
    while (left > 0) {
        uint64_t label = 0, badge = 0, mr[6];
        unsigned len = 0;
        e = bh_recv(root_ep, &label, mr, &len, &badge);
        if (e != BH_OK) {
            fail("waiting for the VMMs", e);
            return 1;
        }
        unsigned gi = (unsigned)(badge >= 0x100 ? badge - 0x100 : badge - 1);
        const char *name = gi < n ? guests[gi].name : "?";
        if (badge >= 0x100) {
            bh_printf("linux_rt: VMM of %s faulted (label %lu, pc 0x%lx, address 0x%lx)\n", name,
                      (unsigned long)label, (unsigned long)mr[0], (unsigned long)mr[1]);
            failures++;
        } else if (label == VMM_MSG_POWER_OFF) {
            bh_printf("linux_rt: %s powered off cleanly (%lu exits served)\n", name,
                      (unsigned long)mr[0]);
        } else {
            bh_printf("linux_rt: %s stopped by its VMM (label 0x%lx)\n", name,
                      (unsigned long)label);
            failures++;
        }
        bh_flush();
        left--;
    }
    bh_printf("linux_rt: %s (%d failures)\n", failures == 0 ? "all guests done" : "FAILED",
              failures);
    return failures == 0 ? 0 : 1;
}
