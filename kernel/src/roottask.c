/*
 * Boot: build the root task from boot memory as real kernel objects (TCB,
 * CNode, address space, frames), load its ELF from the image payload, and
 * hand it every remaining byte of RAM as untyped memory capabilities. After
 * this the kernel allocates nothing: all further objects are user-level
 * retypes of that untyped memory.
 */
#include <kernel/roottask.h>

#include <bulkhead/bootimage.h>
#include <bulkhead/bootinfo.h>
#include <caps/cdt.h>
#include <caps/untyped.h>
#include <kernel/assert.h>
#include <kernel/console.h>
#include <kernel/console_input.h>
#include <kernel/kernel.h>
#include <kernel/phys.h>
#include <kernel/vspace.h>
#include <string.h>

#include <bh_elf.h>

extern char _end[];

struct boot {
    struct bootmem *bm;
    struct address_space *as;
    s2_space_t space;
    cte_t *cnode; /* the root CNode's slots */
};

static void *boot_alloc(struct bootmem *bm, uint64_t size, uint64_t align)
{
    paddr_t pa;
    /* Boot memory deals in pages; smaller objects (a TCB) take a whole one. */
    align = align < BH_PAGE_SIZE ? BH_PAGE_SIZE : align;
    if (bootmem_alloc(bm, size, align, &pa) != BH_OK) {
        panic("boot: out of memory allocating %lu bytes for the root task", (unsigned long)size);
    }
    void *p = pa_to_kva(pa);
    memset(p, 0, size);
    return p;
}

/* Maps one 4 KiB page; intermediate tables come from boot memory. */
static void map_page(struct boot *b, uint64_t va, paddr_t pa, unsigned rights)
{
    for (unsigned attempt = 0; attempt < 4; attempt++) {
        unsigned missing = 0;
        bh_error_t err =
            s2_map(&b->space, ipa_init(va), pa, S2_PAGE_SIZE, rights, S2_MEM_NORMAL, &missing);
        if (err == BH_OK) {
            return;
        }
        if (err != BH_E_LOOKUP_FAILED) {
            panic("boot: mapping root task page 0x%lx failed: error %d", (unsigned long)va,
                  (int)err);
        }
        s2_table_t *table = boot_alloc(b->bm, sizeof(s2_table_t), S2_TABLE_SIZE);
        unsigned again = 0;
        err = s2_install_table(&b->space, ipa_init(va), missing, table, &again);
        if (err != BH_OK) {
            panic("boot: installing a level-%u table for 0x%lx failed: error %d", missing,
                  (unsigned long)va, (int)err);
        }
    }
    panic("boot: could not map root task page 0x%lx", (unsigned long)va);
}

const struct bh_payload_header *payload_find(void)
{
    uint64_t at = align_up((uint64_t)(uintptr_t)_end, BH_PAYLOAD_ALIGN);
    const struct bh_payload_header *h = pa_to_kva(pa_init(at));
    if (memcmp(h->magic, BH_PAYLOAD_MAGIC, 8) != 0) {
        return NULL;
    }
    return h;
}

static uint64_t load_elf(struct boot *b, const uint8_t *elf, uint64_t size, const char *name)
{
    const struct elf64_ehdr *eh = (const void *)elf;
    if (size < sizeof(*eh) || memcmp(eh->ident, "\177ELF", 4) != 0 || eh->ident[4] != 2 ||
        eh->ident[5] != 1) {
        panic("boot: payload '%s' is not a little-endian ELF64 file", name);
    }
    if (eh->machine != ELF_EM_AARCH64 || eh->type != ELF_ET_EXEC) {
        panic("boot: payload '%s' is not an AArch64 executable (machine %u, type %u)", name,
              eh->machine, eh->type);
    }
    if (eh->phentsize != sizeof(struct elf64_phdr) || eh->phoff > size ||
        (uint64_t)eh->phnum * sizeof(struct elf64_phdr) > size - eh->phoff) {
        panic("boot: payload '%s' has a malformed program header table", name);
    }
    const struct elf64_phdr *ph = (const void *)(elf + eh->phoff);
    for (unsigned i = 0; i < eh->phnum; i++) {
        const struct elf64_phdr *p = &ph[i];
        if (p->type != ELF_PT_LOAD || p->memsz == 0) {
            continue;
        }
        if ((p->flags & (ELF_PF_W | ELF_PF_X)) == (ELF_PF_W | ELF_PF_X)) {
            panic("boot: '%s' segment %u is writable and executable (W^X)", name, i);
        }
        if (p->filesz > p->memsz || p->offset > size || p->filesz > size - p->offset ||
            p->vaddr + p->memsz < p->vaddr || p->vaddr + p->memsz > S2_IPA_LIMIT) {
            panic("boot: '%s' segment %u lies outside the file or the address space", name, i);
        }
        unsigned rights = ((p->flags & ELF_PF_R) ? S2_RIGHT_READ : 0) |
                          ((p->flags & ELF_PF_W) ? S2_RIGHT_WRITE : 0) |
                          ((p->flags & ELF_PF_X) ? S2_RIGHT_EXEC | S2_RIGHT_READ : 0);
        uint64_t start = align_down(p->vaddr, BH_PAGE_SIZE);
        uint64_t end = align_up(p->vaddr + p->memsz, BH_PAGE_SIZE);
        for (uint64_t va = start; va < end; va += BH_PAGE_SIZE) {
            uint8_t *page = boot_alloc(b->bm, BH_PAGE_SIZE, BH_PAGE_SIZE);
            /* Copy the part of the file image that falls in this page. */
            uint64_t fstart = p->vaddr;
            uint64_t fend = p->vaddr + p->filesz;
            uint64_t lo = va > fstart ? va : fstart;
            uint64_t hi = va + BH_PAGE_SIZE < fend ? va + BH_PAGE_SIZE : fend;
            if (lo < hi) {
                memcpy(page + (lo - va), elf + p->offset + (lo - fstart), hi - lo);
            }
            map_page(b, va, kva_to_pa(page), rights);
        }
    }
    return eh->entry;
}

/* An original capability to a boot-made object, in root CNode slot `slot`. */
static cte_t *give(struct boot *b, unsigned slot, cap_t c)
{
    cdt_insert_root(&b->cnode[slot], c);
    return &b->cnode[slot];
}

/* A 4 KiB frame the root task holds a capability to, mapped at va. */
static void *give_frame(struct boot *b, unsigned slot, uint64_t va, uint32_t rights)
{
    void *page = boot_alloc(b->bm, BH_PAGE_SIZE, BH_PAGE_SIZE);
    cte_t *s = give(b, slot, cap_make(BH_OBJ_FRAME_4K, kva_to_pa(page), BH_RIGHTS_ALL, true));
    uint64_t missing = 0;
    for (unsigned attempt = 0; attempt < 4; attempt++) {
        bh_error_t e = vspace_map_frame(b->as, s, va, rights, &missing);
        if (e == BH_OK) {
            return page;
        }
        if (e != BH_E_LOOKUP_FAILED) {
            panic("boot: mapping frame at 0x%lx: error %d", (unsigned long)va, (int)e);
        }
        s2_table_t *table = boot_alloc(b->bm, sizeof(s2_table_t), S2_TABLE_SIZE);
        unsigned again = 0;
        if (s2_install_table(&b->space, ipa_init(va), (unsigned)missing, table, &again) != BH_OK) {
            panic("boot: table for 0x%lx", (unsigned long)va);
        }
    }
    panic("boot: could not map frame at 0x%lx", (unsigned long)va);
}

/* Splits the free ranges into naturally aligned power-of-two untyped blocks,
 * from slot index n on; device: MMIO (frames only, never zeroed). */
static unsigned give_ranges(struct boot *b, struct bh_bootinfo *bi, const struct bootmem *bm,
                            unsigned n, bool device)
{
    for (unsigned r = 0; r < bm->nfree; r++) {
        uint64_t base = bm->free[r].base;
        uint64_t end = bm->free[r].end;
        while (base < end && n < BH_RT_MAX_UNTYPED) {
            unsigned bits = 12;
            while (bits < 47 && is_aligned(base, 1ull << (bits + 1)) &&
                   base + (1ull << (bits + 1)) <= end) {
                bits++;
            }
            caps_untyped_root(&b->cnode[BH_RT_SLOT_UNTYPED + n], pa_init(base), bits, device);
            bi->untyped[n].paddr = base;
            bi->untyped[n].size_bits = (uint8_t)bits;
            bi->untyped[n].is_device = device ? 1u : 0u;
            if (!device) {
                bi->free_bytes += 1ull << bits;
            }
            n++;
            base += 1ull << bits;
        }
    }
    return n;
}

/* RAM first (so existing slot numbers do not move), then device memory. */
static unsigned give_untyped(struct boot *b, struct bh_bootinfo *bi, const struct bootmem *dev)
{
    unsigned n = give_ranges(b, bi, b->bm, 0, false);
    if (dev != NULL) {
        n = give_ranges(b, bi, dev, n, true);
    }
    if (n == BH_RT_MAX_UNTYPED) {
        kprintf("boot: warning: more free memory ranges than %u untyped slots\n",
                BH_RT_MAX_UNTYPED);
    }
    b->bm->nfree = 0; /* everything now belongs to user level */
    return n;
}

struct tcb *roottask_create(struct bootmem *bm, const struct bootinfo_facts *facts)
{
    const struct bh_payload_header *h = payload_find();
    if (h == NULL) {
        panic("boot: no payload after the kernel image (build images with bulkhead build)");
    }
    if (h->version != BH_PAYLOAD_VERSION || h->count > BH_PAYLOAD_MAX_ENTRIES) {
        panic("boot: payload version %u with %u entries is not supported", h->version, h->count);
    }
    const struct bh_payload_entry *rt = NULL;
    for (unsigned i = 0; i < h->count; i++) {
        if (h->entries[i].kind == BH_PAYLOAD_ROOTTASK) {
            rt = &h->entries[i];
        }
    }
    if (rt == NULL || rt->offset + rt->size > h->size) {
        panic("boot: the payload has no root task");
    }

    struct boot b;
    b.bm = bm;
    uint64_t cnode_bytes = (1ull << BH_RT_CNODE_RADIX) << BH_SLOT_SIZE_BITS;
    b.cnode = boot_alloc(bm, cnode_bytes, cnode_bytes);
    struct tcb *t = boot_alloc(bm, 1ull << BH_TCB_SIZE_BITS, 1ull << BH_TCB_SIZE_BITS);
    b.as = boot_alloc(bm, 1ull << BH_ADDRESS_SPACE_SIZE_BITS, 1ull << BH_ADDRESS_SPACE_SIZE_BITS);
    if (vspace_activate(b.as, &b.space) != BH_OK) {
        panic("boot: no VMID for the root task");
    }

    cap_t cn = cap_make(BH_OBJ_CNODE, kva_to_pa(b.cnode), BH_RIGHTS_ALL, true);
    cn.w1 = BH_RT_CNODE_RADIX;
    cn = cap_cnode_set_guard(cn, 0, 64u - BH_RT_CNODE_RADIX);
    cte_t *cn_slot = give(&b, BH_RT_SLOT_CNODE, cn);
    cte_t *tcb_slot =
        give(&b, BH_RT_SLOT_TCB, cap_make(BH_OBJ_TCB, kva_to_pa(t), BH_RIGHTS_ALL, true));
    (void)tcb_slot;
    cte_t *as_slot = give(&b, BH_RT_SLOT_VSPACE,
                          cap_make(BH_OBJ_ADDRESS_SPACE, kva_to_pa(b.as), BH_RIGHTS_ALL, true));
    give(&b, BH_RT_SLOT_IRQ_CONTROL, cap_make(BH_OBJ_IRQ_CONTROL, pa_init(0), BH_RIGHTS_ALL, true));
    give(&b, BH_RT_SLOT_CONSOLE_INPUT,
         cap_make(BH_OBJ_CONSOLE_INPUT, console_input_object(), BH_RIGHTS_ALL, true));

    uint64_t entry = load_elf(&b, (const uint8_t *)h + rt->offset, rt->size, rt->name);

    /* The payload, read-only, so the root task can read the spec and images. */
    uint64_t psize = align_up(h->size, BH_PAGE_SIZE);
    paddr_t pbase = kva_to_pa(h);
    for (uint64_t off = 0; off < psize; off += BH_PAGE_SIZE) {
        map_page(&b, BH_RT_PAYLOAD_VA + off, pa_init(pa_addr(pbase) + off), S2_RIGHT_READ);
    }
    for (uint64_t va = BH_RT_STACK_TOP - BH_RT_STACK_SIZE; va < BH_RT_STACK_TOP;
         va += BH_PAGE_SIZE) {
        void *page = boot_alloc(bm, BH_PAGE_SIZE, BH_PAGE_SIZE);
        map_page(&b, va, kva_to_pa(page), S2_RIGHT_READ | S2_RIGHT_WRITE);
    }
    give_frame(&b, BH_RT_SLOT_IPCBUF, BH_RT_IPCBUF_VA, BH_RIGHT_READ | BH_RIGHT_WRITE);
    struct bh_bootinfo *bi = give_frame(&b, BH_RT_SLOT_BOOTINFO, BH_RT_BOOTINFO_VA, BH_RIGHT_READ);

    /* The thread: its slots hold copies of its CNode, address space and IPC buffer. */
    cdt_insert_after(cn_slot, &t->slot[TCB_SLOT_CSPACE], cn);
    cdt_insert_after(as_slot, &t->slot[TCB_SLOT_VSPACE], as_slot->cap);
    cte_t *ipcbuf = &b.cnode[BH_RT_SLOT_IPCBUF];
    cdt_insert_after(ipcbuf, &t->slot[TCB_SLOT_IPCBUF], cap_clear_mapping(ipcbuf->cap));
    t->ipcbuf_va = BH_RT_IPCBUF_VA;
    memcpy(t->name, "roottask", sizeof("roottask"));
    t->regs.elr = entry;
    t->regs.sp_el0 = BH_RT_STACK_TOP;
    t->regs.spsr = 0; /* EL0t, interrupts unmasked */
    t->regs.x[0] = BH_RT_BOOTINFO_VA;

    bi->magic = BH_BOOTINFO_MAGIC;
    bi->version = 2;
    bi->payload_va = BH_RT_PAYLOAD_VA;
    bi->payload_size = h->size;
    bi->timer_freq = facts->timer_freq;
    bi->ncpus = facts->ncpus;
    bi->ram_bytes = facts->ram_bytes;
    bi->untyped_first = BH_RT_SLOT_UNTYPED;
    bi->untyped_count = give_untyped(&b, bi, facts->device);
    bi->first_free_slot = BH_RT_SLOT_UNTYPED + bi->untyped_count;

    kprintf("boot: root task '%s' loaded (%lu bytes, entry 0x%lx, VMID %u)\n", rt->name,
            (unsigned long)rt->size, (unsigned long)entry, b.space.vmid);
    unsigned ndev = 0;
    for (unsigned i = 0; i < bi->untyped_count; i++) {
        ndev += bi->untyped[i].is_device;
    }
    kprintf("boot: %lu MiB of RAM handed to the root task as %lu untyped capabilities\n",
            (unsigned long)(bi->free_bytes >> 20), (unsigned long)(bi->untyped_count - ndev));
    kprintf("boot: device memory below RAM as %u device untyped capabilities\n", ndev);
    return t;
}
