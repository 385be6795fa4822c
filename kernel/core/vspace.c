#include <kernel/vspace.h>

#include <kernel/assert.h>
#include <kernel/phys.h>
#include <vm/vmid.h>

#define PT_LEVEL3_TAG 0x1000ull

static s2_vmid_pool_t pool;
/* Owner and generation of every VMID (0 is reserved by the pool). */
static struct address_space *owner[S2_VMID_COUNT];
static uint8_t generation[S2_VMID_COUNT];

void vspace_init(void)
{
    s2_vmid_pool_init(&pool);
    for (unsigned i = 0; i < S2_VMID_COUNT; i++) {
        owner[i] = NULL;
        generation[i] = 0;
    }
}

static uint16_t mapid(const struct address_space *as)
{
    return (uint16_t)(as->vmid | ((uint16_t)as->gen << 8));
}

bh_error_t vspace_activate(struct address_space *as, s2_space_t *out)
{
    if (as->vmid == 0) {
        uint16_t v = 0;
        bh_error_t e = s2_vmid_alloc(&pool, &v);
        if (e != BH_OK) {
            return e;
        }
        generation[v]++;
        owner[v] = as;
        as->vmid = v;
        as->gen = generation[v];
    }
    out->root = &as->root;
    out->vmid = as->vmid;
    return BH_OK;
}

static unsigned s2_rights(uint32_t r)
{
    return ((r & BH_RIGHT_READ) ? S2_RIGHT_READ : 0u) |
           ((r & BH_RIGHT_WRITE) ? S2_RIGHT_WRITE : 0u) |
           ((r & BH_RIGHT_EXECUTE) ? (S2_RIGHT_EXEC | S2_RIGHT_READ) : 0u);
}

bh_error_t vspace_map_frame_attr(struct address_space *as, cte_t *frame, uint64_t va,
                                 uint32_t rights, bool device, bool guest, uint64_t *missing_level)
{
    cap_t f = frame->cap;
    bh_objtype_t t = cap_type(f);
    if (t != BH_OBJ_FRAME_4K && t != BH_OBJ_FRAME_2M) {
        return BH_E_INVALID_CAPABILITY;
    }
    if (cap_is_mapped(f)) {
        return BH_E_MAPPING_EXISTS; /* one mapping per capability: copy it to map again */
    }
    if ((rights & ~(uint32_t)(BH_RIGHT_READ | BH_RIGHT_WRITE | BH_RIGHT_EXECUTE)) != 0 ||
        rights == 0) {
        return BH_E_INVALID_ARGUMENT;
    }
    if ((rights & ~cap_rights(f)) != 0) {
        return BH_E_INSUFFICIENT_RIGHTS; /* a mapping never exceeds the capability */
    }
    /* W^X at EL0; a guest's own stage 1 decides W^X for its EL1 and EL0. */
    if (!guest &&
        (rights & (BH_RIGHT_WRITE | BH_RIGHT_EXECUTE)) == (BH_RIGHT_WRITE | BH_RIGHT_EXECUTE)) {
        return BH_E_INVALID_ARGUMENT;
    }
    /* Device memory stays Device: only RAM may be mapped Normal. */
    if (cap_ut_is_device(f) && !device) {
        return BH_E_INVALID_ARGUMENT;
    }
    uint64_t size = t == BH_OBJ_FRAME_2M ? S2_BLOCK_SIZE : S2_PAGE_SIZE;
    s2_space_t s;
    bh_error_t e = vspace_activate(as, &s);
    if (e != BH_OK) {
        return e;
    }
    unsigned missing = 0;
    e = s2_map(&s, ipa_init(va), cap_obj(f), size, s2_rights(rights),
               device ? S2_MEM_DEVICE : S2_MEM_NORMAL, &missing);
    if (e == BH_E_LOOKUP_FAILED) {
        *missing_level = missing;
        return e;
    }
    if (e != BH_OK) {
        return e;
    }
    frame->cap = cap_set_mapping(f, mapid(as), va_init(va));
    return BH_OK;
}

bh_error_t vspace_map_frame(struct address_space *as, cte_t *frame, uint64_t va, uint32_t rights,
                            uint64_t *missing_level)
{
    return vspace_map_frame_attr(as, frame, va, rights, cap_ut_is_device(frame->cap), false,
                                 missing_level);
}

bh_error_t vspace_map_table(struct address_space *as, cte_t *pt, uint64_t va, unsigned level)
{
    cap_t c = pt->cap;
    if (cap_type(c) != BH_OBJ_PAGE_TABLE) {
        return BH_E_INVALID_CAPABILITY;
    }
    if (cap_is_mapped(c)) {
        return BH_E_MAPPING_EXISTS;
    }
    s2_space_t s;
    bh_error_t e = vspace_activate(as, &s);
    if (e != BH_OK) {
        return e;
    }
    unsigned missing = 0;
    e = s2_install_table(&s, ipa_init(va), level, (s2_table_t *)pa_to_kva(cap_obj(c)), &missing);
    if (e != BH_OK) {
        return e;
    }
    /* A table is installed at an address aligned to at least 2 MiB, so bit 12
     * of the recorded address is free to say which level it serves. */
    uint64_t at = align_down(va, 1ull << (39u - 9u * (level - 1u)));
    pt->cap = cap_set_mapping(c, mapid(as), va_init(at | (level == 3 ? PT_LEVEL3_TAG : 0u)));
    return BH_OK;
}

/* The live address space a mapping id refers to, or NULL if it is stale. */
static struct address_space *live_owner(uint16_t id)
{
    uint16_t vmid = id & 0xffu;
    uint8_t gen = (uint8_t)(id >> 8);
    if (vmid == 0 || owner[vmid] == NULL || generation[vmid] != gen) {
        return NULL;
    }
    return owner[vmid];
}

void vspace_unmap_object(bh_objtype_t type, paddr_t obj, uint16_t id, vaddr_t va)
{
    struct address_space *as = live_owner(id);
    if (as == NULL) {
        return;
    }
    s2_space_t s = {&as->root, as->vmid};
    if (type == BH_OBJ_PAGE_TABLE) {
        unsigned level = (va_addr(va) & PT_LEVEL3_TAG) != 0 ? 3u : 2u;
        paddr_t table = pa_init(0);
        bh_error_t e = s2_remove_table(&s, ipa_init(va_addr(va) & ~PT_LEVEL3_TAG), level, &table);
        /* The capability's record and the tree agree, or the kernel has a bug. */
        BH_ASSERT(e != BH_OK || pa_addr(table) == pa_addr(obj));
        return;
    }
    s2_mapping_t m;
    if (s2_lookup(&s, ipa_init(va_addr(va)), &m) == BH_OK && pa_addr(m.base_pa) == pa_addr(obj)) {
        s2_mapping_t old;
        (void)s2_unmap(&s, m.base, &old);
    }
}

bh_error_t vspace_unmap_frame(cte_t *frame)
{
    cap_t f = frame->cap;
    bh_objtype_t t = cap_type(f);
    if (t != BH_OBJ_FRAME_4K && t != BH_OBJ_FRAME_2M) {
        return BH_E_INVALID_CAPABILITY;
    }
    if (!cap_is_mapped(f)) {
        return BH_E_NOT_MAPPED;
    }
    vspace_unmap_object(t, cap_obj(f), cap_mapped_vmid(f), cap_mapped_addr(f));
    frame->cap = cap_clear_mapping(f);
    return BH_OK;
}

void vspace_destroy(struct address_space *as)
{
    if (as->vmid != 0) {
        owner[as->vmid] = NULL;
        (void)s2_vmid_free(&pool, as->vmid); /* invalidates the VMID's TLB entries */
        as->vmid = 0;
    }
    as->dead = 1;
}
