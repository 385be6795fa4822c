/*
 * Boot: find the payload after the kernel image, load the root task's ELF into
 * a fresh stage-2 address space built from boot memory, and prepare its
 * thread. Everything refused here is a broken image, so it panics with the
 * precise reason.
 */
#include <kernel/roottask.h>

#include <bulkhead/bootimage.h>
#include <bulkhead/bootinfo.h>
#include <kernel/assert.h>
#include <kernel/console.h>
#include <kernel/phys.h>
#include <string.h>

/* ELF64 (System V ABI, AArch64 supplement): only what a loader needs. */
struct elf64_ehdr {
    unsigned char e_ident[16];
    uint16_t e_type;
    uint16_t e_machine;
    uint32_t e_version;
    uint64_t e_entry;
    uint64_t e_phoff;
    uint64_t e_shoff;
    uint32_t e_flags;
    uint16_t e_ehsize;
    uint16_t e_phentsize;
    uint16_t e_phnum;
    uint16_t e_shentsize;
    uint16_t e_shnum;
    uint16_t e_shstrndx;
};

struct elf64_phdr {
    uint32_t p_type;
    uint32_t p_flags;
    uint64_t p_offset;
    uint64_t p_vaddr;
    uint64_t p_paddr;
    uint64_t p_filesz;
    uint64_t p_memsz;
    uint64_t p_align;
};

#define PT_LOAD    1u
#define PF_X       1u
#define PF_W       2u
#define PF_R       4u
#define EM_AARCH64 183u
#define ET_EXEC    2u

extern char _end[];

static struct thread root_thread;
static s2_space_t root_space;
static s2_vmid_pool_t vmids;

static void *boot_alloc(struct bootmem *bm, uint64_t size, uint64_t align)
{
    paddr_t pa;
    if (bootmem_alloc(bm, size, align, &pa) != BH_OK) {
        panic("boot: out of memory allocating %lu bytes for the root task", (unsigned long)size);
    }
    void *p = pa_to_kva(pa);
    memset(p, 0, size);
    return p;
}

/* Maps one 4 KiB page, supplying intermediate tables from boot memory. */
static void map_page(struct bootmem *bm, uint64_t va, paddr_t pa, unsigned rights)
{
    for (unsigned attempt = 0; attempt < 4; attempt++) {
        unsigned missing = 0;
        bh_error_t err =
            s2_map(&root_space, ipa_init(va), pa, S2_PAGE_SIZE, rights, S2_MEM_NORMAL, &missing);
        if (err == BH_OK) {
            return;
        }
        if (err != BH_E_LOOKUP_FAILED) {
            panic("boot: mapping root task page 0x%lx failed: error %d", (unsigned long)va,
                  (int)err);
        }
        s2_table_t *table = boot_alloc(bm, sizeof(s2_table_t), S2_TABLE_SIZE);
        unsigned again = 0;
        err = s2_install_table(&root_space, ipa_init(va), missing, table, &again);
        if (err != BH_OK) {
            panic("boot: installing a level-%u table for 0x%lx failed: error %d", missing,
                  (unsigned long)va, (int)err);
        }
    }
    panic("boot: could not map root task page 0x%lx", (unsigned long)va);
}

static void map_fresh(struct bootmem *bm, uint64_t va, uint64_t size, unsigned rights, void **first)
{
    for (uint64_t off = 0; off < size; off += BH_PAGE_SIZE) {
        void *page = boot_alloc(bm, BH_PAGE_SIZE, BH_PAGE_SIZE);
        if (off == 0 && first != NULL) {
            *first = page;
        }
        map_page(bm, va + off, kva_to_pa(page), rights);
    }
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

static void load_elf(struct bootmem *bm, const uint8_t *elf, uint64_t size, const char *name)
{
    const struct elf64_ehdr *eh = (const void *)elf;
    if (size < sizeof(*eh) || memcmp(eh->e_ident, "\177ELF", 4) != 0 || eh->e_ident[4] != 2 ||
        eh->e_ident[5] != 1) {
        panic("boot: payload '%s' is not a little-endian ELF64 file", name);
    }
    if (eh->e_machine != EM_AARCH64 || eh->e_type != ET_EXEC) {
        panic("boot: payload '%s' is not an AArch64 executable (machine %u, type %u)", name,
              eh->e_machine, eh->e_type);
    }
    if (eh->e_phentsize != sizeof(struct elf64_phdr) || eh->e_phoff > size ||
        (uint64_t)eh->e_phnum * sizeof(struct elf64_phdr) > size - eh->e_phoff) {
        panic("boot: payload '%s' has a malformed program header table", name);
    }
    const struct elf64_phdr *ph = (const void *)(elf + eh->e_phoff);
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type != PT_LOAD || ph[i].p_memsz == 0) {
            continue;
        }
        const struct elf64_phdr *p = &ph[i];
        if ((p->p_flags & (PF_W | PF_X)) == (PF_W | PF_X)) {
            panic("boot: '%s' segment %u is writable and executable (W^X)", name, i);
        }
        if (p->p_filesz > p->p_memsz || p->p_offset > size || p->p_filesz > size - p->p_offset ||
            p->p_vaddr + p->p_memsz < p->p_vaddr || p->p_vaddr + p->p_memsz > S2_IPA_LIMIT) {
            panic("boot: '%s' segment %u lies outside the file or the address space", name, i);
        }
        unsigned rights = ((p->p_flags & PF_R) ? S2_RIGHT_READ : 0) |
                          ((p->p_flags & PF_W) ? S2_RIGHT_WRITE : 0) |
                          ((p->p_flags & PF_X) ? S2_RIGHT_EXEC | S2_RIGHT_READ : 0);
        uint64_t start = align_down(p->p_vaddr, BH_PAGE_SIZE);
        uint64_t end = align_up(p->p_vaddr + p->p_memsz, BH_PAGE_SIZE);
        for (uint64_t va = start; va < end; va += BH_PAGE_SIZE) {
            uint8_t *page = boot_alloc(bm, BH_PAGE_SIZE, BH_PAGE_SIZE);
            /* Copy the part of the file image that falls in this page. */
            uint64_t fstart = p->p_vaddr;
            uint64_t fend = p->p_vaddr + p->p_filesz;
            uint64_t lo = va > fstart ? va : fstart;
            uint64_t hi = va + BH_PAGE_SIZE < fend ? va + BH_PAGE_SIZE : fend;
            if (lo < hi) {
                memcpy(page + (lo - va), elf + p->p_offset + (lo - fstart), hi - lo);
            }
            map_page(bm, va, kva_to_pa(page), rights);
        }
    }
    root_thread.regs.elr = eh->e_entry;
}

struct thread *roottask_create(struct bootmem *bm, const struct bootinfo_facts *facts)
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

    s2_vmid_pool_init(&vmids);
    uint16_t vmid = 0;
    if (s2_vmid_alloc(&vmids, &vmid) != BH_OK) {
        panic("boot: no VMID for the root task");
    }
    s2_root_t *root = boot_alloc(bm, sizeof(s2_root_t), S2_ROOT_SIZE);
    if (s2_space_init(&root_space, root, vmid) != BH_OK) {
        panic("boot: could not initialise the root task's address space");
    }

    load_elf(bm, (const uint8_t *)h + rt->offset, rt->size, rt->name);

    /* The payload, read-only, so the root task can read the spec and images. */
    uint64_t psize = align_up(h->size, BH_PAGE_SIZE);
    paddr_t pbase = kva_to_pa(h);
    for (uint64_t off = 0; off < psize; off += BH_PAGE_SIZE) {
        map_page(bm, BH_RT_PAYLOAD_VA + off, pa_init(pa_addr(pbase) + off), S2_RIGHT_READ);
    }
    void *bi_page = NULL;
    map_fresh(bm, BH_RT_BOOTINFO_VA, BH_PAGE_SIZE, S2_RIGHT_READ, &bi_page);
    map_fresh(bm, BH_RT_IPCBUF_VA, BH_PAGE_SIZE, S2_RIGHT_READ | S2_RIGHT_WRITE, NULL);
    map_fresh(bm, BH_RT_STACK_TOP - BH_RT_STACK_SIZE, BH_RT_STACK_SIZE,
              S2_RIGHT_READ | S2_RIGHT_WRITE, NULL);

    struct bh_bootinfo *bi = bi_page;
    bi->magic = BH_BOOTINFO_MAGIC;
    bi->version = 1;
    bi->payload_va = BH_RT_PAYLOAD_VA;
    bi->payload_size = h->size;
    bi->timer_freq = facts->timer_freq;
    bi->ncpus = facts->ncpus;
    bi->ram_bytes = facts->ram_bytes;
    bi->free_bytes = bootmem_free_bytes(bm);

    memcpy(root_thread.name, "roottask", sizeof("roottask"));
    root_thread.space = &root_space;
    root_thread.regs.sp_el0 = BH_RT_STACK_TOP;
    root_thread.regs.spsr = 0; /* EL0t, interrupts unmasked */
    root_thread.regs.x[0] = BH_RT_BOOTINFO_VA;
    root_thread.state = THREAD_RUNNABLE;
    kprintf("boot: root task '%s' loaded (%lu bytes, entry 0x%lx, VMID %u)\n", rt->name,
            (unsigned long)rt->size, (unsigned long)root_thread.regs.elr, vmid);
    return &root_thread;
}
