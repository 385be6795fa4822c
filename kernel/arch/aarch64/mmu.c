/*
 * EL2 stage-1 tables (VMSAv8-64, 4 KiB granule, 48-bit VA, start level 0).
 *
 * VA == PA for everything the kernel touches (docs/ARCHITECTURE.md "EL2 memory
 * map"). Permissions follow the linker sections, W^X everywhere:
 *   .text              read-only, executable
 *   .rodata            read-only, never-executable
 *   .data/.bss         read-write, never-executable
 *   the rest of RAM    read-write, never-executable (kernel objects live there)
 *   device MMIO        Device-nGnRE, read-write, never-executable
 * SCTLR_EL2.WXN additionally forbids executing anything writable.
 * Tables come from a fixed pool in BSS: the kernel has no allocator.
 */
#include <arch/mmu.h>

#include <arch/sysreg.h>
#include <kernel/console.h>
#include <kernel/types.h>
#include <string.h>

#define PT_ENTRIES 512u
#define POOL_PAGES 64u

#define DESC_VALID  (1ull << 0)
#define DESC_TABLE  (3ull << 0) /* levels 0-2 */
#define DESC_BLOCK  (1ull << 0) /* levels 1-2 */
#define DESC_PAGE   (3ull << 0) /* level 3 */
#define ATTR_IDX(n) ((uint64_t)(n) << 2)
#define AP_RW       (1ull << 6) /* AP[1] is RES1 in the EL2 regime: AP=01 */
#define AP_RO       (3ull << 6) /* AP=11 */
#define SH_INNER    (3ull << 8)
#define AF          (1ull << 10)
#define XN          (1ull << 54)

/* MAIR_EL2 indices. */
#define MT_DEVICE_NGNRNE 0
#define MT_DEVICE_NGNRE  1
#define MT_NORMAL        2
#define MT_NORMAL_NC     3
#define MAIR_VALUE       (0x00ull | (0x04ull << 8) | (0xffull << 16) | (0x44ull << 24))

#define PROT_TEXT   (ATTR_IDX(MT_NORMAL) | AP_RO | SH_INNER | AF)
#define PROT_RODATA (ATTR_IDX(MT_NORMAL) | AP_RO | SH_INNER | AF | XN)
#define PROT_DATA   (ATTR_IDX(MT_NORMAL) | AP_RW | SH_INNER | AF | XN)
#define PROT_DEVICE (ATTR_IDX(MT_DEVICE_NGNRE) | AP_RW | AF | XN)

extern char _text[], _etext[], _rodata[], _erodata[], _data[], _end[];

static uint64_t pool[POOL_PAGES][PT_ENTRIES] __attribute__((aligned(4096)));
static unsigned pool_used;
static uint64_t *root;
struct mmu_boot_regs mmu_boot_regs;

static uint64_t *table_alloc(void)
{
    if (pool_used >= POOL_PAGES) {
        panic("mmu: EL2 page-table pool (%u pages) exhausted", POOL_PAGES);
    }
    uint64_t *t = pool[pool_used++];
    memset(t, 0, sizeof(pool[0]));
    return t;
}

static unsigned level_shift(unsigned level)
{
    return 39u - 9u * level;
}

/* Maps one page (level 3) or one 2 MiB block (level 2). */
static void map_one(uint64_t va, uint64_t pa, unsigned leaf_level, uint64_t prot)
{
    uint64_t *t = root;
    for (unsigned level = 0; level < leaf_level; level++) {
        unsigned idx = (unsigned)((va >> level_shift(level)) & (PT_ENTRIES - 1u));
        uint64_t d = t[idx];
        if ((d & DESC_VALID) == 0) {
            uint64_t *next = table_alloc();
            t[idx] = (uint64_t)(uintptr_t)next | DESC_TABLE;
            t = next;
        } else if ((d & 3u) == DESC_TABLE) {
            t = (uint64_t *)(uintptr_t)(d & 0x0000fffffffff000ull);
        } else {
            panic("mmu: 0x%lx is already mapped by a block at level %u", (unsigned long)va, level);
        }
    }
    unsigned idx = (unsigned)((va >> level_shift(leaf_level)) & (PT_ENTRIES - 1u));
    if ((t[idx] & DESC_VALID) != 0) {
        panic("mmu: 0x%lx is mapped twice", (unsigned long)va);
    }
    t[idx] = pa | prot | (leaf_level == 3 ? DESC_PAGE : DESC_BLOCK);
}

static void map_range(uint64_t base, uint64_t end, uint64_t prot)
{
    uint64_t va = align_down(base, BH_PAGE_SIZE);
    end = align_up(end, BH_PAGE_SIZE);
    while (va < end) {
        if (is_aligned(va, 1ull << 21) && end - va >= (1ull << 21)) {
            map_one(va, va, 2, prot);
            va += 1ull << 21;
        } else {
            map_one(va, va, 3, prot);
            va += BH_PAGE_SIZE;
        }
    }
}

void mmu_map_device(uint64_t base, uint64_t size)
{
    map_range(base, base + size, PROT_DEVICE);
    DSB(ishst);
}

unsigned mmu_pa_range(void)
{
    return (unsigned)(READ_SYSREG(id_aa64mmfr0_el1) & 0xfu);
}

void mmu_init(const struct platform *p)
{
    root = table_alloc();
    uint64_t kstart = (uint64_t)(uintptr_t)_text;
    uint64_t kend = (uint64_t)(uintptr_t)_end;

    map_range(kstart, (uint64_t)(uintptr_t)_etext, PROT_TEXT);
    map_range((uint64_t)(uintptr_t)_rodata, (uint64_t)(uintptr_t)_erodata, PROT_RODATA);
    map_range((uint64_t)(uintptr_t)_data, kend, PROT_DATA);
    for (unsigned i = 0; i < p->nram; i++) {
        uint64_t b = p->ram[i].base;
        uint64_t e = p->ram[i].base + p->ram[i].size;
        /* RAM around the kernel image; the image itself is mapped above. */
        if (b < kstart) {
            map_range(b, e < kstart ? e : kstart, PROT_DATA);
        }
        if (e > kend) {
            map_range(b > kend ? b : kend, e, PROT_DATA);
        }
    }
    mmu_map_device(p->uart.base, p->uart.size ? p->uart.size : BH_PAGE_SIZE);
    mmu_map_device(p->gicd.base, p->gicd.size);
    mmu_map_device(p->gicr.base, p->gicr.size);

    unsigned ps = mmu_pa_range();
    if (ps > 5u) {
        ps = 5u; /* 48 bits: what a 4 KiB granule, 4-level walk can output */
    }
    uint64_t tcr = (1ull << 31) | (1ull << 23)  /* RES1 */
                   | ((uint64_t)ps << 16)       /* PS */
                   | (0ull << 14)               /* TG0 = 4 KiB */
                   | (3ull << 12)               /* SH0 inner shareable */
                   | (1ull << 10) | (1ull << 8) /* ORGN0/IRGN0 write-back */
                   | 16u;                       /* T0SZ: 48-bit VA */
    uint64_t sctlr = SCTLR_EL2_RES1 | SCTLR_M | SCTLR_C | SCTLR_SA | SCTLR_I | SCTLR_WXN;
    /* Secondary CPUs load the same values (head.S secondary_entry). */
    mmu_boot_regs.mair = MAIR_VALUE;
    mmu_boot_regs.tcr = tcr;
    mmu_boot_regs.ttbr0 = (uint64_t)(uintptr_t)root;
    mmu_boot_regs.sctlr = sctlr;
    DSB(ishst);
    WRITE_SYSREG(mair_el2, MAIR_VALUE);
    WRITE_SYSREG(tcr_el2, tcr);
    WRITE_SYSREG(ttbr0_el2, (uint64_t)(uintptr_t)root);
    ISB();
    __asm__ volatile("tlbi alle2" ::: "memory");
    DSB(ish);
    ISB();
    WRITE_SYSREG(sctlr_el2, sctlr);
    ISB();
}
