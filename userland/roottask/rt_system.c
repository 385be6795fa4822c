/*
 * The root task builds the system the compiled spec describes: it checks
 * every image component's SHA-256, creates each partition from untyped
 * memory with exactly the capabilities the spec grants (servers here, VMs in
 * rt_vm.c), starts them, and then serves as the monitor, reporting every
 * partition fault, exit or guest power-off by name.
 */
#include "rt_system.h"

#include <bh/print.h>
#include <bh/sys.h>
#include <bh_fmt.h>
#include <srv/info.h>
#include <string.h>
#include <vmm/vmm_info.h>

#include "rt_build.h"

/* Where the root task maps a frame for a moment to fill it (4 KiB, 2 MiB). */
#define SCRATCH_VA    0x30000000ull
#define SCRATCH_2M_VA 0x40000000ull

const struct bh_bootinfo *bi;
const struct bh_payload_header *payload;
struct rt_spec spec;
struct part parts[BH_SPEC_MAX_PARTITIONS];
struct chan chans[BH_SPEC_MAX_CHANNELS];
bool verified[BH_PAYLOAD_MAX_ENTRIES];
uint64_t fault_ep;

static uint64_t next_slot;
static uint32_t cur_untyped;
static uint64_t scratch_slot; /* a frame copy while the root task fills it */
/* Root slots given back (stash, a failed partition), reused before fresh
 * ones; the map keeps a slot from being listed twice. */
static uint16_t free_slots[1u << BH_RT_CNODE_RADIX];
static uint32_t nfree;
static bool is_free[1u << BH_RT_CNODE_RADIX];
/* The partition being built keeps its frame and page-table capabilities in a
 * CNode of its own that only the root task holds (a guarded cap in a root
 * slot), so the root CNode's 4096 slots do not limit memory sizes. */
static uint64_t hold_cnode;
static uint64_t hold_next, hold_size;

/* Per-partition untyped memory (pool_begin): 4 MiB pieces carved from the
 * root untypeds. The last piece's leftover stays unused: waste at most 4 MiB
 * per partition, for the guarantee that revoking a partition's pieces removes
 * exactly its objects. */
#define POOL_BITS 22u
#define MAX_POOLS 512u
static bool pooling;
static uint64_t pools[MAX_POOLS]; /* the current partition's pieces */
static uint8_t pool_bits[MAX_POOLS];
static uint32_t npools, cur_pool;
static uint64_t spare[MAX_POOLS]; /* revoked pieces of failed partitions, reusable */
static uint32_t nspare;
/* Root slots handed out while pooling, each once (a slot stash() gives back
 * is often handed out again), so the log cannot outgrow the CNode. */
static uint16_t slot_log[1u << BH_RT_CNODE_RADIX];
static bool logged[1u << BH_RT_CNODE_RADIX];
static uint32_t nlog;

/* ---- untyped memory and slots ---- */

bh_error_t new_slot(uint64_t *slot)
{
    if (nfree > 0) {
        *slot = free_slots[--nfree];
        is_free[*slot] = false;
    } else if (next_slot >= (1ull << BH_RT_CNODE_RADIX)) {
        return BH_E_NOT_ENOUGH_MEMORY; /* the root CNode is full */
    } else {
        *slot = next_slot++;
    }
    if (pooling && !logged[*slot]) {
        logged[*slot] = true;
        slot_log[nlog++] = (uint16_t)*slot;
    }
    return BH_OK;
}

bh_error_t new_slot_kept(uint64_t *slot)
{
    /* Never a slot from the free list: the log of the partition being built
     * may name it, and pool_end(false) would delete what it holds. */
    if (next_slot >= (1ull << BH_RT_CNODE_RADIX)) {
        return BH_E_NOT_ENOUGH_MEMORY;
    }
    *slot = next_slot++;
    return BH_OK;
}

/* An empty root slot goes back for reuse. */
static void release_slot(uint64_t slot)
{
    if (slot < (1ull << BH_RT_CNODE_RADIX) && !is_free[slot]) {
        is_free[slot] = true;
        free_slots[nfree++] = (uint16_t)slot;
    }
}

bh_error_t stash(uint64_t slot)
{
    if (hold_cnode == 0) {
        return BH_OK;
    }
    if (hold_next >= hold_size) {
        return BH_E_NOT_ENOUGH_MEMORY;
    }
    uint64_t mr[4] = {hold_next, 64, slot, 64};
    uint64_t root = ROOT_CNODE;
    bh_error_t e = bh_invoke(hold_cnode, BH_INV_CNODE_MOVE, mr, 4, &root, 1, 0);
    if (e == BH_OK) {
        hold_next++;
        release_slot(slot);
    }
    return e;
}

/* Retypes from the root untypeds (RAM only), moving on as each fills up. An
 * untyped too full for a large object may still hold small ones, so only a
 * page-sized or smaller request that fails retires it. */
static bh_error_t alloc_root(bh_objtype_t type, uint64_t size_bits, uint64_t slot)
{
    bool small = type != BH_OBJ_ADDRESS_SPACE && type != BH_OBJ_CNODE && type != BH_OBJ_FRAME_2M &&
                 type != BH_OBJ_VM && type != BH_OBJ_UNTYPED;
    bh_error_t e = BH_E_NOT_ENOUGH_MEMORY;
    for (uint32_t u = cur_untyped; u < bi->untyped_count; u++) {
        if (bi->untyped[u].is_device != 0) {
            continue;
        }
        e = bh_retype(bi->untyped_first + u, type, size_bits, ROOT_CNODE, slot, 1);
        if (e == BH_OK) {
            return BH_OK;
        }
        /* REVOKE_FIRST: this untyped is full of live objects. */
        if (e != BH_E_NOT_ENOUGH_MEMORY && e != BH_E_REVOKE_FIRST) {
            return e;
        }
        if (small && u == cur_untyped) {
            cur_untyped++;
        }
    }
    return BH_E_NOT_ENOUGH_MEMORY;
}

/* Retypes from the current partition's pieces, carving a new one (or reusing
 * a spare) when none has room. */
static bh_error_t alloc_pooled(bh_objtype_t type, uint64_t size_bits, uint64_t slot)
{
    for (;;) {
        for (uint32_t i = cur_pool; i < npools; i++) {
            bh_error_t e = bh_retype(pools[i], type, size_bits, ROOT_CNODE, slot, 1);
            if (e == BH_OK) {
                return BH_OK;
            }
            if (e != BH_E_NOT_ENOUGH_MEMORY && e != BH_E_REVOKE_FIRST) {
                return e;
            }
            /* A full piece (even a page does not fit) is never tried again. */
            if (type == BH_OBJ_FRAME_4K && i == cur_pool) {
                cur_pool++;
            }
        }
        if (npools == MAX_POOLS) {
            return BH_E_NOT_ENOUGH_MEMORY;
        }
        /* A holding CNode can be larger than a piece: carve one to fit. */
        uint64_t bits =
            type == BH_OBJ_CNODE && size_bits + 5 > POOL_BITS ? size_bits + 5 : POOL_BITS;
        uint64_t piece = 0;
        if (nspare > 0 && bits == POOL_BITS) {
            piece = spare[--nspare];
        } else {
            /* A piece outlives a failed partition. */
            bh_error_t e = new_slot_kept(&piece);
            if (e == BH_OK) {
                e = alloc_root(BH_OBJ_UNTYPED, bits, piece);
                if (e != BH_OK) {
                    release_slot(piece);
                }
            }
            if (e != BH_OK) {
                return e;
            }
        }
        pool_bits[npools] = (uint8_t)bits;
        pools[npools++] = piece;
    }
}

bh_error_t alloc(bh_objtype_t type, uint64_t size_bits, uint64_t *slot)
{
    bh_error_t e = new_slot(slot);
    if (e != BH_OK) {
        return e;
    }
    e = pooling ? alloc_pooled(type, size_bits, *slot) : alloc_root(type, size_bits, *slot);
    if (e != BH_OK) {
        release_slot(*slot); /* nothing was put there */
    }
    return e;
}

void pool_begin(void)
{
    pooling = true;
    npools = 0;
    cur_pool = 0;
    for (uint32_t i = 0; i < nlog; i++) {
        logged[slot_log[i]] = false;
    }
    nlog = 0;
}

void pool_end(uint32_t p, bool keep)
{
    pooling = false;
    hold_cnode = 0; /* later allocations stay in root slots */
    if (keep) {
        return;
    }
    /* Caps in root slots first (minted copies of shared objects included),
     * newest first; then everything retyped from the pieces goes with them. */
    uint32_t deleted = 0;
    for (uint32_t i = nlog; i > 0; i--) {
        deleted += bh_cnode_delete(ROOT_CNODE, slot_log[i - 1]) == BH_OK ? 1u : 0u;
    }
    uint64_t revoked = 0;
    for (uint32_t i = 0; i < npools; i++) {
        bh_error_t e = bh_cnode_revoke(ROOT_CNODE, pools[i]);
        if (e == BH_OK) {
            revoked += 1ull << pool_bits[i];
        }
        if (e == BH_OK && nspare < MAX_POOLS && pool_bits[i] == POOL_BITS) {
            spare[nspare++] = pools[i];
        } else if (e != BH_OK) {
            bh_printf("roottask: cannot revoke a failed partition's untyped memory (error %u)\n",
                      (unsigned)e);
        }
    }
    for (uint32_t i = 0; i < nlog; i++) {
        release_slot(slot_log[i]);
    }
    if (deleted == 0 && revoked == 0) {
        npools = 0;
        return; /* refused before it built anything */
    }
    bh_printf("roottask: removed what partition '%s' had built: %u capabilities deleted, %lu "
              "KiB of its untyped memory revoked for the next partitions\n",
              part_name(p), deleted, (unsigned long)(revoked >> 10));
    npools = 0;
}

/* Maps frame at va in as, adding page tables as the kernel asks for them. */
bh_error_t map_page(uint64_t as, uint64_t frame, uint64_t va, uint32_t rights)
{
    for (unsigned attempt = 0; attempt < 4; attempt++) {
        unsigned level = 0;
        bh_error_t e = bh_as_map_frame(as, frame, va, rights, &level);
        if (e != BH_E_LOOKUP_FAILED) {
            return e;
        }
        uint64_t pt = 0;
        e = alloc(BH_OBJ_PAGE_TABLE, 0, &pt);
        if (e == BH_OK) {
            e = bh_as_map_table(as, pt, va, level);
        }
        if (e == BH_OK && as != ROOT_AS) {
            e = stash(pt);
        }
        if (e != BH_OK) {
            return e;
        }
    }
    return BH_E_LOOKUP_FAILED;
}

/* Copies n bytes into frame at offset off through a temporary mapping in the
 * root task's own address space. */
bh_error_t fill_frame(uint64_t frame, bool big, uint64_t off, const void *src, uint64_t n)
{
    uint64_t va = big ? SCRATCH_2M_VA : SCRATCH_VA;
    bh_error_t e = bh_cnode_copy(ROOT_CNODE, scratch_slot, frame, RW);
    if (e != BH_OK) {
        return e;
    }
    e = map_page(ROOT_AS, scratch_slot, va, RW);
    if (e == BH_OK) {
        memcpy((uint8_t *)(uintptr_t)(va + off), src, (size_t)n);
        e = bh_frame_unmap(scratch_slot);
    }
    bh_error_t d = bh_cnode_delete(ROOT_CNODE, scratch_slot);
    return e != BH_OK ? e : d;
}

/* Copies a capability from the root CSpace into a partition's CNode. */
bh_error_t give(uint64_t cnode, uint64_t dest, uint64_t src, uint32_t rights, uint64_t badge)
{
    uint64_t mr[6] = {dest, 64, src, 64, rights, badge};
    uint64_t root = ROOT_CNODE;
    return bh_invoke(cnode, BH_INV_CNODE_MINT, mr, 6, &root, 1, 0);
}

/* ---- image components ---- */

static void verify_components(void)
{
    uint32_t bad = 0;
    for (uint32_t i = 0; i < payload->count; i++) {
        verified[i] = rt_payload_verify(payload, i);
        if (!verified[i]) {
            bad++;
            bh_printf("roottask: SHA-256 mismatch: component '%s' (entry %u, %lu bytes) is not "
                      "what the image's entry table records\n",
                      payload->entries[i].name, i, (unsigned long)payload->entries[i].size);
        }
    }
    bh_printf("roottask: checked the SHA-256 of %u components: %u ok, %u mismatched\n",
              payload->count, payload->count - bad, bad);
}

/* ---- building one server partition ---- */

const char *part_name(uint32_t p)
{
    return spec.parts[p].name;
}

uint64_t signal_bit(uint32_t p, uint32_t c)
{
    uint32_t k = local_index(p, c);
    return spec.parts[p].kind == BH_SPEC_PART_VM ? VMM_NTFN_CHAN0 << k : 1ull << k;
}

/* Index of channel c among the channels partition p is an end of. */
uint32_t local_index(uint32_t p, uint32_t c)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < c; i++) {
        if (spec.chans[i].ends[0].partition == p || spec.chans[i].ends[1].partition == p) {
            k++;
        }
    }
    return k;
}

bool next_channel_end(uint32_t p, uint32_t *c, const struct bh_spec_channel_end **end,
                      const struct bh_spec_channel_end **peer)
{
    for (; *c < spec.h->nchannels; (*c)++) {
        const struct bh_spec_channel *ch = &spec.chans[*c];
        unsigned me = ch->ends[0].partition == p ? 0u : 1u;
        if (ch->ends[me].partition == p) {
            *end = &ch->ends[me];
            *peer = &ch->ends[1 - me];
            return true;
        }
    }
    return false;
}

bool map_channel_frames(uint32_t p, uint32_t c, uint32_t rights, rt_map_fn map, uint64_t space,
                        uint64_t base)
{
    for (uint64_t f = 0; f < chans[c].nframes; f++) {
        uint64_t copy = 0;
        bh_error_t e = new_slot(&copy);
        if (e == BH_OK) {
            /* The copy carries only this end's rights. */
            e = bh_cnode_copy(ROOT_CNODE, copy, chans[c].first_frame + f, rights);
        }
        if (e == BH_OK) {
            e = map(space, copy, base + f * PAGE, rights);
        }
        if (e == BH_OK) {
            e = stash(copy);
        }
        if (!check_err(p, e, "mapping a channel window")) {
            return false;
        }
    }
    return true;
}

bh_error_t guarded_cnode(uint64_t radix, uint64_t *cspace)
{
    uint64_t cnode = 0;
    bh_error_t e = alloc(BH_OBJ_CNODE, radix, &cnode);
    if (e == BH_OK) {
        e = new_slot(cspace);
    }
    if (e == BH_OK) {
        /* The guard consumes the address bits above the radix: slot index = address. */
        e = bh_cnode_mint(ROOT_CNODE, *cspace, cnode, BH_RIGHTS_ALL, BH_CNODE_DATA(0, 64 - radix));
    }
    return e;
}

bh_error_t map_info_page(uint64_t as, uint64_t va, const void *info, uint64_t n)
{
    uint64_t frame = 0;
    bh_error_t e = alloc(BH_OBJ_FRAME_4K, 0, &frame);
    if (e == BH_OK) {
        e = fill_frame(frame, false, 0, info, n);
    }
    if (e == BH_OK) {
        e = map_page(as, frame, va, BH_RIGHT_READ);
    }
    if (e == BH_OK) {
        e = stash(frame);
    }
    return e;
}

bh_error_t fault_cap(uint32_t p, uint64_t *fep)
{
    bh_error_t e = new_slot(fep);
    if (e == BH_OK) {
        e = bh_cnode_mint(ROOT_CNODE, *fep, fault_ep, BH_RIGHT_WRITE, p + 1);
    }
    return e;
}

void budget_text(uint32_t p, char *buf, size_t n)
{
    const struct bh_spec_partition *sp = &spec.parts[p];
    if (sp->period_us != 0) {
        bh_snprintf(buf, n, "budget %lu us every %lu us", (unsigned long)sp->budget_us,
                    (unsigned long)sp->period_us);
    } else {
        bh_snprintf(buf, n, "no budget limit");
    }
}

bool refuse(uint32_t p, const char *fmt, ...)
{
    char why[200];
    va_list ap;
    va_start(ap, fmt);
    (void)bh_vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    bh_printf("roottask: refusing to start partition '%s': %s\n", part_name(p), why);
    return false;
}

bool check_err(uint32_t p, bh_error_t e, const char *what)
{
    if (e != BH_OK) {
        bh_printf("roottask: refusing to start partition '%s': %s failed (error %u)\n",
                  part_name(p), what, (unsigned)e);
        return false;
    }
    return true;
}

int find_component(uint32_t p, uint32_t role, uint32_t kind, bool required)
{
    const struct bh_spec_partition *sp = &spec.parts[p];
    for (uint32_t k = 0; k < sp->npayloads; k++) {
        const struct bh_spec_payload_ref *r = &spec.refs[sp->first_payload + k];
        if (r->role != role || r->kind != kind) {
            continue;
        }
        int i = rt_payload_find(payload, r->name, kind);
        if (i < 0) {
            (void)refuse(p, "component '%s' is not in the image", r->name);
            return -1;
        }
        if (!verified[i]) {
            (void)refuse(p,
                         "component '%s' failed its SHA-256 check (the image was modified after "
                         "it was built)",
                         r->name);
            return -1;
        }
        return i;
    }
    if (required) {
        (void)refuse(p, "the spec names no %s for it",
                     role == BH_SPEC_ROLE_PROGRAM ? "program" : "guest kernel");
        return -1;
    }
    return -2;
}

/* The server's program component, checked: found, hash ok, an ELF we load. */
static bool find_program(uint32_t p, const void **data, struct rt_elf *elf)
{
    int i = find_component(p, BH_SPEC_ROLE_PROGRAM, BH_PAYLOAD_SERVER, true);
    if (i < 0) {
        return false;
    }
    char err[160];
    *data = rt_payload_data(payload, (uint32_t)i);
    if (!rt_elf_parse(*data, payload->entries[i].size, PAGE, BH_SRV_INFO_VA, elf, err,
                      sizeof(err))) {
        return refuse(p, "component '%s': %s", payload->entries[i].name, err);
    }
    return true;
}

bool give_budget(uint32_t p, uint64_t tcb)
{
    const struct bh_spec_partition *sp = &spec.parts[p];
    if (sp->period_us == 0) {
        return true;
    }
    uint64_t sc = 0;
    bh_error_t e = alloc(BH_OBJ_SCHED_CONTEXT, 0, &sc);
    if (e == BH_OK) {
        e = bh_sc_configure(sc, sp->budget_us, sp->period_us, p + 1);
    }
    if (e == BH_OK) {
        e = bh_tcb_set_sched(tcb, sc, 0);
    }
    return check_err(p, e, "giving it its budget");
}

static uint64_t ram_size(uint32_t p)
{
    const struct bh_spec_partition *sp = &spec.parts[p];
    uint64_t n = 0;
    for (uint32_t k = 0; k < sp->nregions; k++) {
        const struct bh_spec_region *r = &spec.regions[sp->first_region + k];
        if (r->kind == BH_SPEC_REGION_RAM) {
            n += r->size;
        }
    }
    return n;
}

bool load_program(uint32_t p, uint64_t as, const void *data, const struct rt_elf *elf)
{
    for (uint32_t s = 0; s < elf->nsegs; s++) {
        const struct rt_segment *seg = &elf->segs[s];
        uint64_t start = seg->vaddr & ~(PAGE - 1);
        for (uint64_t va = start; va < seg->vaddr + seg->memsz; va += PAGE) {
            uint64_t f = 0;
            bh_error_t e = alloc(BH_OBJ_FRAME_4K, 0, &f);
            /* File bytes that fall in this page (the rest stays zero: BSS). */
            uint64_t lo = va > seg->vaddr ? va : seg->vaddr;
            uint64_t hi =
                va + PAGE < seg->vaddr + seg->filesz ? va + PAGE : seg->vaddr + seg->filesz;
            if (e == BH_OK && hi > lo) {
                e = fill_frame(f, false, lo - va,
                               (const uint8_t *)data + seg->offset + (lo - seg->vaddr), hi - lo);
            }
            if (e == BH_OK) {
                e = map_page(as, f, va, seg->rights);
            }
            if (e == BH_OK) {
                e = stash(f);
            }
            if (!check_err(p, e, "loading its program")) {
                return false;
            }
        }
    }
    return true;
}

/* Zeroed frames mapped RW at [va, va + bytes); with first_frame (a one-page
 * IPC buffer) the frame stays in a root slot for the TCB configuration. */
bool map_zeroed(uint32_t p, uint64_t as, uint64_t va, uint64_t bytes, const char *what,
                uint64_t *first_frame)
{
    for (uint64_t off = 0; off < bytes; off += PAGE) {
        uint64_t f = 0;
        bh_error_t e = alloc(BH_OBJ_FRAME_4K, 0, &f);
        if (e == BH_OK) {
            e = map_page(as, f, va + off, RW);
        }
        if (e == BH_OK && first_frame == NULL) {
            e = stash(f);
        }
        if (!check_err(p, e, what)) {
            return false;
        }
        if (off == 0 && first_frame != NULL) {
            *first_frame = f;
        }
    }
    return true;
}

/* Maps partition p's end of every channel and grants its notification caps. */
static bool setup_channels(uint32_t p, uint64_t as, uint64_t cnode, struct bh_srv_info *info)
{
    uint64_t next_va = BH_SRV_CHANNEL_VA;
    const struct bh_spec_channel_end *end = NULL, *peer = NULL;
    for (uint32_t c = 0; next_channel_end(p, &c, &end, &peer); c++) {
        const struct bh_spec_channel *ch = &spec.chans[c];
        uint32_t k = local_index(p, c);
        if (k >= BH_SRV_MAX_CHANNELS) {
            return refuse(p, "it is an end of more than %u channels", BH_SRV_MAX_CHANNELS);
        }
        struct bh_srv_channel *sc = &info->channels[k];
        memcpy(sc->name, ch->name, sizeof(sc->name));
        memcpy(sc->peer, part_name(peer->partition), sizeof(sc->peer));
        sc->size = ch->size;
        sc->rights = end->rights;
        if (ch->size != 0) {
            uint64_t va = spec.regions[end->region].base;
            if (va == 0) {
                va = next_va;
                next_va += ch->size + PAGE; /* an unmapped page between windows */
            } else if (va < BH_SRV_FIXED_END || va + ch->size > (1ull << 40)) {
                return refuse(p,
                              "channel window at 0x%lx (+0x%lx) collides with the server "
                              "layout; give an address from 0x40000000 up, below 2^40",
                              (unsigned long)va, (unsigned long)ch->size);
            }
            sc->va = va;
            uint32_t rights = (end->rights & BH_SPEC_RIGHT_WRITE) ? RW : BH_RIGHT_READ;
            if (!map_channel_frames(p, c, rights, map_page, as, va)) {
                return false;
            }
        }
        if (end->notify) {
            sc->signal_slot = BH_SRV_SLOT_FIRST_SIGNAL + k;
            uint64_t bit = signal_bit(peer->partition, c);
            bh_error_t e =
                give(cnode, sc->signal_slot, parts[peer->partition].ntfn, BH_RIGHT_WRITE, bit);
            if (!check_err(p, e, "granting a signal capability")) {
                return false;
            }
        }
        if (peer->notify) {
            sc->wait_bits = 1ull << k;
        }
        info->nchannels = k + 1;
    }
    return true;
}

/* Shared-memory pages partition p maps. */
static uint64_t channel_pages(uint32_t p)
{
    uint64_t n = 0;
    for (uint32_t c = 0; c < spec.h->nchannels; c++) {
        if (spec.chans[c].ends[0].partition == p || spec.chans[c].ends[1].partition == p) {
            n += spec.chans[c].size / PAGE;
        }
    }
    return n;
}

/* The holding CNode for partition p's frames and page tables. */
bool make_holding(uint32_t p, uint64_t pages)
{
    /* Page tables: about one per 2 MiB mapped, plus the upper levels. */
    uint64_t need = pages + pages / 256 + 64;
    unsigned radix = BH_SRV_CNODE_RADIX;
    while ((1ull << radix) < need && radix < BH_CNODE_RADIX_MAX) {
        radix++;
    }
    if ((1ull << radix) < need) {
        return refuse(p, "it maps %lu pages; at most %lu are supported per partition",
                      (unsigned long)pages, (unsigned long)((1ull << BH_CNODE_RADIX_MAX) - 64));
    }
    uint64_t cnode = 0, guarded = 0;
    bh_error_t e = alloc(BH_OBJ_CNODE, radix, &cnode);
    if (e == BH_OK) {
        e = new_slot(&guarded);
    }
    if (e == BH_OK) {
        e = bh_cnode_mint(ROOT_CNODE, guarded, cnode, BH_RIGHTS_ALL, BH_CNODE_DATA(0, 64 - radix));
    }
    if (!check_err(p, e, "creating the CNode that holds its memory")) {
        return false;
    }
    hold_cnode = guarded;
    hold_next = 0;
    hold_size = 1ull << radix;
    return true;
}

static bool build_server_objects(uint32_t p);

/* Builds partition p, ready to run; rt_system_run resumes it. */
static bool build_server(uint32_t p)
{
    pool_begin();
    bool ok = build_server_objects(p);
    pool_end(p, ok);
    return ok;
}

static bool build_server_objects(uint32_t p)
{
    const struct bh_spec_partition *sp = &spec.parts[p];
    const void *data = NULL;
    struct rt_elf elf;
    if (sp->ndevices != 0 || sp->nirqs != 0) {
        /* Never start a server without authority the spec grants it. */
        return refuse(p,
                      "it has %u passthrough MMIO range(s) and %u interrupt(s); passthrough "
                      "to servers is not supported yet",
                      sp->ndevices, sp->nirqs);
    }
    if (!find_program(p, &data, &elf)) {
        return false;
    }
    uint64_t fixed = rt_elf_pages(&elf) + 2 + BH_SRV_STACK_SIZE / PAGE; /* + info, IPC buffer */
    uint64_t mem = ram_size(p);
    if (fixed * PAGE > mem) {
        return refuse(
            p, "its program, stack and IPC buffer need %lu KiB but memory-size gives %lu KiB",
            (unsigned long)(fixed * PAGE / 1024), (unsigned long)(mem / 1024));
    }
    uint64_t cspace = 0, as = 0, tcb = 0, fep = 0;
    bh_error_t e = guarded_cnode(BH_SRV_CNODE_RADIX, &cspace);
    if (e == BH_OK) {
        e = alloc(BH_OBJ_ADDRESS_SPACE, 0, &as);
    }
    if (e == BH_OK) {
        e = alloc(BH_OBJ_TCB, 0, &tcb);
    }
    if (!check_err(p, e, "creating its CNode, address space and thread") ||
        !make_holding(p, mem / PAGE + channel_pages(p))) {
        return false;
    }
    if (!load_program(p, as, data, &elf)) {
        return false;
    }
    static struct bh_srv_info info;
    memset(&info, 0, sizeof(info));
    info.magic = BH_SRV_INFO_MAGIC;
    info.version = BH_SRV_INFO_VERSION;
    info.partition = p + 1;
    memcpy(info.name, sp->name, sizeof(info.name));
    info.ntfn_slot = BH_SRV_SLOT_NTFN;
    info.heap_va = BH_SRV_HEAP_VA;
    info.heap_size = mem - fixed * PAGE;
    info.timer_freq = bi->timer_freq;
    /* Its own notification: wait and poll only. */
    e = give(cspace, BH_SRV_SLOT_NTFN, parts[p].ntfn, BH_RIGHT_READ, 0);
    if (!check_err(p, e, "granting its notification")) {
        return false;
    }
    if (!setup_channels(p, as, cspace, &info)) {
        return false;
    }
    uint64_t ipc = 0;
    e = map_info_page(as, BH_SRV_INFO_VA, &info, sizeof(info));
    if (!check_err(p, e, "mapping its info page")) {
        return false;
    }
    if (!map_zeroed(p, as, BH_SRV_IPCBUF_VA, PAGE, "mapping its IPC buffer", &ipc) ||
        !map_zeroed(p, as, BH_SRV_STACK_TOP - BH_SRV_STACK_SIZE, BH_SRV_STACK_SIZE,
                    "mapping its stack", NULL) ||
        !map_zeroed(p, as, BH_SRV_HEAP_VA, info.heap_size, "mapping its heap", NULL)) {
        return false;
    }
    /* Faults go to the monitor, badged with the partition. */
    e = fault_cap(p, &fep);
    if (e == BH_OK) {
        e = bh_tcb_configure(tcb, fep, cspace, as, ipc, BH_SRV_IPCBUF_VA);
    }
    if (e == BH_OK) {
        e = bh_tcb_set_name(tcb, sp->name);
    }
    if (e == BH_OK) {
        e = bh_tcb_set_priority(tcb, sp->priority);
    }
    if (e == BH_OK) {
        e = bh_tcb_set_partition(tcb, p + 1);
    }
    if (!check_err(p, e, "configuring its thread")) {
        return false;
    }
    if (!give_budget(p, tcb)) {
        return false;
    }
    e = bh_tcb_write_regs(tcb, elf.entry, BH_SRV_STACK_TOP, BH_SRV_INFO_VA);
    if (!check_err(p, e, "setting its entry point")) {
        return false;
    }
    parts[p].tcb = tcb;
    char budget[64];
    budget_text(p, budget, sizeof(budget));
    bh_printf("roottask: built server '%s': priority %u, %s, %lu KiB (%lu KiB heap), "
              "%u channel(s), time partition %u\n",
              sp->name, sp->priority, budget, (unsigned long)(mem / 1024),
              (unsigned long)(info.heap_size / 1024), info.nchannels, p + 1);
    return true;
}

/* ---- the monitor ---- */

static const char *exception_name(uint64_t esr)
{
    switch ((esr >> 26) & 0x3fu) {
    case 0x00:
        return "undefined instruction";
    case 0x07:
        return "FP/SIMD access";
    case 0x22:
        return "PC alignment fault";
    case 0x26:
        return "SP alignment fault";
    case 0x3c:
        return "breakpoint (BRK)";
    default:
        return "exception";
    }
}

static void describe(uint32_t p, uint64_t label, const uint64_t *mr)
{
    /* A VM partition's EL0 thread is its VMM: say so. */
    char name[64];
    bh_snprintf(name, sizeof(name), "partition '%s'%s", part_name(p),
                spec.parts[p].kind == BH_SPEC_PART_VM ? " (its VMM)" : "");
    switch (label) {
    case BH_FAULT_VM: {
        uint64_t dfsc = mr[2] & 0x3fu;
        const char *why = dfsc >= 0x04 && dfsc <= 0x07   ? "translation fault (unmapped)"
                          : dfsc >= 0x0c && dfsc <= 0x0f ? "permission fault"
                                                         : "fault";
        bh_printf("monitor: %s faulted: %s (%s, %s) at address 0x%lx, pc 0x%lx\n", name,
                  mr[3] ? "instruction abort" : "data abort",
                  mr[3]                 ? "fetch"
                  : ((mr[2] >> 6) & 1u) ? "write"
                                        : "read",
                  why, (unsigned long)mr[1], (unsigned long)mr[0]);
        break;
    }
    case BH_FAULT_USER_EXCEPTION: {
        uint64_t esr = mr[1];
        if (((esr >> 26) & 0x3fu) == 0x3c && (esr & 0xffffu) == BH_SRV_EXIT_BRK) {
            struct bh_sysregs r;
            bh_error_t e = bh_invoke(parts[p].tcb, BH_INV_TCB_READ_REGS, 0, 0, 0, 0, &r);
            if (e == BH_OK) {
                bh_printf("monitor: %s exited with status %lu\n", name, (unsigned long)r.x[4]);
            } else {
                bh_printf("monitor: %s exited (status unreadable: error %u)\n", name, (unsigned)e);
            }
            return;
        }
        bh_printf("monitor: %s faulted: %s (ESR 0x%lx) at pc 0x%lx\n", name, exception_name(esr),
                  (unsigned long)esr, (unsigned long)mr[0]);
        break;
    }
    case BH_FAULT_UNKNOWN_SYSCALL:
        bh_printf("monitor: %s faulted: unknown system call %lu at pc 0x%lx\n", name,
                  (unsigned long)mr[1], (unsigned long)mr[0]);
        break;
    case BH_FAULT_CAP:
        bh_printf("monitor: %s faulted: capability fault on address %lu at pc 0x%lx\n", name,
                  (unsigned long)mr[1], (unsigned long)mr[0]);
        break;
    default:
        bh_printf("monitor: %s faulted: fault kind %lu, pc 0x%lx\n", name, (unsigned long)label,
                  (unsigned long)mr[0]);
        break;
    }
}

/* A VMM's status message (a send: nothing to reply). */
static void vmm_message(uint32_t p, uint64_t label, const uint64_t *mr)
{
    if (label == VMM_MSG_POWER_OFF) {
        bh_printf("monitor: partition '%s' powered off (its VMM served %lu exits)\n", part_name(p),
                  (unsigned long)mr[0]);
    } else if (label == VMM_MSG_STOPPED) {
        bh_printf("monitor: partition '%s' was stopped by its VMM on an error (after %lu exits)\n",
                  part_name(p), (unsigned long)mr[0]);
    } else {
        bh_printf("monitor: partition '%s': unknown VMM message 0x%lx; treating the guest as "
                  "stopped\n",
                  part_name(p), (unsigned long)label);
    }
    /* The guest's vCPUs are stopped; its VMM has nothing left to serve. */
    (void)bh_tcb_suspend(parts[p].tcb);
}

static int monitor(uint32_t running)
{
    while (running > 0) {
        uint64_t label = 0, badge = 0;
        uint64_t mr[6] = {0, 0, 0, 0, 0, 0};
        unsigned n = 0;
        bh_error_t e = bh_recv(fault_ep, &label, mr, &n, &badge);
        if (e != BH_OK) {
            bh_printf("monitor: receive on the fault endpoint failed (error %u)\n", (unsigned)e);
            return 1;
        }
        bool vmm_msg = (badge & RT_BADGE_VMM_MSG) != 0;
        uint64_t idx = badge & ~RT_BADGE_VMM_MSG;
        if (idx == 0 || idx > spec.h->npartitions || parts[idx - 1].state != PART_RUNNING ||
            (vmm_msg && spec.parts[idx - 1].kind != BH_SPEC_PART_VM)) {
            bh_printf("monitor: message (label 0x%lx) with unknown badge 0x%lx ignored\n",
                      (unsigned long)label, (unsigned long)badge);
            continue;
        }
        uint32_t p = (uint32_t)(idx - 1);
        if (vmm_msg) {
            vmm_message(p, label, mr);
        } else {
            describe(p, label, mr);
            /* Reply "stop": the partition stays stopped; the others keep running. */
            struct bh_sysregs r = {{0, bh_msginfo(1, 0, 0), 0, 0, 0, 0, 0, 0}, BH_SYS_REPLY};
            bh_syscall(&r);
        }
        parts[p].state = PART_STOPPED;
        running--;
        bh_printf("monitor: partition '%s' stopped; %u partition(s) still running\n", part_name(p),
                  running);
    }
    bh_printf("monitor: no partition is running any more; the system stops\n");
    return 0;
}

/* ---- the whole system ---- */

static bool make_channels(void)
{
    for (uint32_t c = 0; c < spec.h->nchannels; c++) {
        chans[c].nframes = spec.chans[c].size / PAGE;
        for (uint64_t f = 0; f < chans[c].nframes; f++) {
            uint64_t s = 0;
            bh_error_t e = alloc(BH_OBJ_FRAME_4K, 0, &s);
            if (e != BH_OK) {
                bh_printf("roottask: cannot allocate channel '%s' memory (error %u)\n",
                          spec.chans[c].name, (unsigned)e);
                return false;
            }
            if (f == 0) {
                chans[c].first_frame = s;
            } else if (s != chans[c].first_frame + f) {
                /* A page table slipped in between: frames must be consecutive. */
                bh_printf("roottask: channel '%s' frames are not in consecutive slots\n",
                          spec.chans[c].name);
                return false;
            }
        }
    }
    return true;
}

int rt_system_run(const struct bh_bootinfo *boot, const struct bh_payload_header *h, int spec_entry)
{
    bi = boot;
    payload = h;
    next_slot = bi->first_free_slot;
    scratch_slot = next_slot++;
    verify_components();
    if (!verified[spec_entry]) {
        bh_printf("roottask: refusing the system spec: component '%s' failed its SHA-256 check; "
                  "starting nothing\n",
                  h->entries[spec_entry].name);
        return 1;
    }
    char err[200];
    if (!rt_spec_check(rt_payload_data(h, (uint32_t)spec_entry), h->entries[spec_entry].size, &spec,
                       err, sizeof(err))) {
        bh_printf("roottask: refusing the system spec: %s; starting nothing\n", err);
        return 1;
    }
    bh_printf("roottask: spec: %u partition(s), %u channel(s), %s\n", spec.h->npartitions,
              spec.h->nchannels,
              spec.h->nwindows != 0 ? "a time-partition schedule" : "no time-partition schedule");
    bh_error_t e = alloc(BH_OBJ_ENDPOINT, 0, &fault_ep);
    for (uint32_t p = 0; p < spec.h->npartitions && e == BH_OK; p++) {
        e = alloc(BH_OBJ_NOTIFICATION, 0, &parts[p].ntfn);
    }
    if (e != BH_OK) {
        bh_printf("roottask: cannot create the fault endpoint and notifications (error %u)\n",
                  (unsigned)e);
        return 1;
    }
    if (!make_channels()) {
        return 1;
    }
    uint32_t running = 0;
    for (uint32_t p = 0; p < spec.h->npartitions; p++) {
        bool ok = spec.parts[p].kind == BH_SPEC_PART_VM ? build_vm(p) : build_server(p);
        if (ok) {
            parts[p].state = PART_RUNNING;
            running++;
        }
    }
    /* Everything is printed before the first server runs: with a schedule a
     * server preempts the root task (system partition) at once. */
    bh_printf("roottask: starting %u of %u partition(s)\n", running, spec.h->npartitions);
    bh_printf("monitor: watching %u partition(s)\n", running);
    for (uint32_t p = 0; p < spec.h->npartitions; p++) {
        if (parts[p].state == PART_RUNNING && bh_tcb_resume(parts[p].tcb) != BH_OK) {
            bh_printf("monitor: partition '%s' could not be resumed\n", part_name(p));
            parts[p].state = PART_STOPPED;
            running--;
        }
    }
    return monitor(running);
}
