/*
 * Stage-2 address-space operations: walk the tables, check the request, then
 * store exactly one descriptor through the proved helpers in s2_desc.c.
 * Ordering and TLB maintenance go through vm/arch_hooks.h.
 */
#include <kernel/assert.h>
#include <kernel/phys.h>
#include <vm/arch_hooks.h>
#include <vm/stage2.h>

/*@ assigns \nothing;
    ensures \result == s2_entries_l(level); */
static size_t entries_at(unsigned level)
{
    return level == S2_START_LEVEL ? S2_ROOT_ENTRIES : S2_TABLE_ENTRIES;
}

/* 2^s2_level_shift(level): 1 GiB, 2 MiB, 4 KiB. */
/*@ requires 1 <= level <= 3;
    assigns \nothing;
    ensures \result == (level == 1 ? 0x40000000 : level == 2 ? 0x200000 : 0x1000); */
static uint64_t leaf_size(unsigned level)
{
    if (level == 1u) {
        return 1ull << 30;
    }
    return level == 2u ? S2_BLOCK_SIZE : S2_PAGE_SIZE;
}

/*@ assigns \nothing;
    ensures \result == kva_table(s2_table_oa(table_desc)); */
static s2_desc_t *next_table(s2_desc_t table_desc)
{
    return s2_table_entries(s2_desc_oa(table_desc, S2_LAST_LEVEL));
}

/*
 * Find the table that holds the level-`level` entries for `ipa`. On failure
 * *stop is the level where the walk stopped: BH_E_LOOKUP_FAILED means the
 * level-(*stop + 1) table is missing, BH_E_MAPPING_EXISTS that a block at
 * level *stop covers ipa.
 */
/*@ requires \valid_read(s) && s2_root_ok(s->root);
    requires 1 <= level <= 3;
    requires \valid(table) && \valid(stop) && \separated(table, stop, s);
    assigns *table, *stop;
    ensures \result == BH_OK || \result == BH_E_MAPPING_EXISTS || \result == BH_E_LOOKUP_FAILED;
    ensures \result == BH_OK <==> s2_walk_ok{Pre}(s->root, ipa, level);
    ensures \result == BH_OK ==> *stop == \old(*stop);
    ensures \result == BH_OK ==>
      *table == s2_walk_l{Pre}(s->root, ipa, level) &&
      \valid(*table + (0 .. s2_entries_l(level) - 1));
    ensures \result != BH_OK ==> 1 <= *stop < level &&
      !s2_is_table_l(s2_entry_l{Pre}(s->root, ipa, *stop)) &&
      (\result == BH_E_MAPPING_EXISTS <==> s2_entry_l{Pre}(s->root, ipa, *stop) % 2 == 1); */
static bh_error_t walk(const s2_space_t *s, uint64_t ipa, unsigned level, s2_desc_t **table,
                       unsigned *stop)
{
    s2_desc_t *t = s->root->entry;
    /*@ loop invariant 1 <= l <= level;
        loop invariant t == s2_walk_l(s->root, ipa, l) && s2_walk_ok(s->root, ipa, l);
        loop invariant \valid(t + (0 .. s2_entries_l(l) - 1));
        loop invariant l == 2 ==> s2_l2_ok(s2_table_oa(s2_entry_l(s->root, ipa, 1)));
        loop assigns l, t;
        loop variant level - l; */
    for (unsigned l = S2_START_LEVEL; l < level; l++) {
        size_t i = s2_index(ipa_init(ipa), l);
        /*@ assert i == s2_idx_l(ipa, l); */
        s2_desc_t d = t[i];
        /*@ assert d == s2_entry_l(s->root, ipa, l); */
        if (s2_desc_is_table(d, l)) {
            t = next_table(d);
            continue;
        }
        /*@ assert !s2_walk_ok(s->root, ipa, level); */
        *stop = l;
        return s2_desc_is_valid(d) ? BH_E_MAPPING_EXISTS : BH_E_LOOKUP_FAILED;
    }
    *table = t;
    return BH_OK;
}

/*@ requires missing_level == \null || \valid(missing_level);
    requires stop <= 3;
    assigns *missing_level;
    ensures missing_level != \null && err == BH_E_LOOKUP_FAILED ==> *missing_level == stop + 1;
    ensures missing_level != \null && err != BH_E_LOOKUP_FAILED ==> *missing_level == \old(*missing_level); */
static void report_missing(unsigned *missing_level, bh_error_t err, unsigned stop)
{
    if (missing_level != NULL && err == BH_E_LOOKUP_FAILED) {
        *missing_level = stop + 1u;
    }
}

/* Clearing any one descriptor keeps the tree well formed (a 0 is no table
 * descriptor; every other entry keeps its value): proved once here, in a small
 * context, instead of after the store in each caller. */
/*@ requires s2_root_ok(r) && \valid(table + (0 .. n - 1)) && idx < n;
    assigns table[idx];
    ensures table[idx] == 0 && \result == \old(table[idx]);
    ensures \forall integer i; 0 <= i < n && i != idx ==> table[i] == \old(table[i]);
    ensures s2_root_ok(r); */
static s2_desc_t clear_entry(s2_root_t *r, s2_desc_t *table, size_t n, size_t idx)
{
    (void)r;
    return s2_entry_clear(table, n, idx);
}

/* Storing a leaf keeps the tree well formed: a block descriptor is no table
 * descriptor, and a page descriptor (which looks like one) lands apart from
 * the root and the level-2 tables, the only tables whose entries the tree
 * follows. Proved once here, not after the store in s2_map. */
/*@ requires s2_root_ok(r) && \valid(table + (0 .. n - 1)) && idx < n;
    requires s2_is_table_l(d) ==> s2_entry_apart(r, table + idx);
    assigns table[idx];
    ensures table[idx] == d;
    ensures \forall integer i; 0 <= i < n && i != idx ==> table[i] == \old(table[i]);
    ensures s2_root_ok(r); */
static void set_leaf(s2_root_t *r, s2_desc_t *table, size_t n, size_t idx, s2_desc_t d)
{
    (void)r;
    s2_entry_set(table, n, idx, d);
}

/* Zero `table` and link it at parent[idx] with descriptor d: the tree stays
 * well formed (the one new table descriptor points to a zeroed table apart
 * from the tree), proved once here, in a small context. */
/*@ requires s2_root_ok(r) && \valid(table) && s2_table_apart(r, table);
    requires \valid(parent + (0 .. n - 1)) && idx < n && \separated(table, parent + idx);
    requires s2_is_table_l(d) && kva_table(s2_table_oa(d)) == &table->entry[0];
    assigns table->entry[0 .. S2_TABLE_ENTRIES - 1], parent[idx];
    ensures parent[idx] == d;
    ensures \forall integer i; 0 <= i < S2_TABLE_ENTRIES ==> table->entry[i] == 0;
    ensures s2_root_ok(r); */
static void link_table(s2_root_t *r, s2_desc_t *parent, size_t n, size_t idx, s2_table_t *table,
                       s2_desc_t d)
{
    (void)r;
    s2_entries_zero(table->entry, S2_TABLE_ENTRIES);
    /* The zeroed table must be visible before the walker can reach it. */
    arch_s2_table_write_barrier();
    s2_entry_set(parent, n, idx, d);
}

/* Storing a table's address (4 KiB aligned, so no table descriptor) keeps the
 * tree well formed wherever it lands: proved once here, not in the caller. */
/*@ requires s2_root_ok(r) && \valid(out);
    assigns *out;
    ensures out->pa == s2_table_oa(d);
    ensures s2_root_ok(r); */
static void put_table_pa(s2_root_t *r, paddr_t *out, s2_desc_t d)
{
    (void)r;
    *out = s2_desc_oa(d, S2_LAST_LEVEL);
}

bh_error_t s2_space_init(s2_space_t *s, s2_root_t *root, uint16_t vmid)
{
    BH_ASSERT(s != NULL && root != NULL);
    if (s2_root_pa(root).pa % S2_ROOT_SIZE != 0u) { /* = !is_aligned(kva_to_pa(root), 8 KiB) */
        return BH_E_ALIGNMENT;
    }
    s2_entries_zero(root->entry, S2_ROOT_ENTRIES);
    arch_s2_table_write_barrier();
    s->root = root;
    s->vmid = vmid;
    return BH_OK;
}

uint64_t s2_vttbr(const s2_space_t *s)
{
    /* = (pa & (2^48 - 1)) | (vmid & 0xff) << 48, as a sum of disjoint fields */
    uint64_t pa = s2_root_pa(s->root).pa;
    uint64_t lo = pa % 0x1000000000000u;
    uint64_t hi = (uint64_t)(s->vmid % 256u);
    /*@ assert lo < 0x1000000000000 && hi < 256; */
    uint64_t r = lo + hi * 0x1000000000000u;
    /* The sum without wrap, then both fields back out of it (CVC4 alone). */
    /*@ assert r == hi * 0x1000000000000 + lo; */
    /*@ assert r / 0x1000000000000 == hi && r % 0x1000000000000 == lo; */
    return r;
}

/* The argument checks of s2_install_table (tpa: the table's address) and of
 * s2_remove_table (tpa 0: no table), in their documented order: a decision
 * that assigns nothing keeps the callers' early returns out of their goals. */
/*@ assigns \nothing;
    ensures \result == BH_OK <==>
      2 <= level <= 3 && a < 0x10000000000 && tpa < 0x1000000000000 && tpa % 4096 == 0;
    ensures \result == BH_OK || \result == BH_E_INVALID_ARGUMENT || \result == BH_E_RANGE ||
            (\result == BH_E_ALIGNMENT && tpa % 4096 != 0); */
static bh_error_t table_args(unsigned level, uint64_t a, uint64_t tpa)
{
    if (level < S2_START_LEVEL + 1u || level > S2_LAST_LEVEL) {
        return BH_E_INVALID_ARGUMENT;
    }
    if (a >= S2_IPA_LIMIT || tpa >= S2_PA_LIMIT) {
        return BH_E_RANGE;
    }
    if (tpa % S2_TABLE_SIZE != 0u) { /* = !is_aligned(pa, S2_TABLE_SIZE) */
        return BH_E_ALIGNMENT;
    }
    return BH_OK;
}

bh_error_t s2_install_table(s2_space_t *s, ipaddr_t ipa, unsigned level, s2_table_t *table,
                            unsigned *missing_level)
{
    BH_ASSERT(s != NULL && s->root != NULL && table != NULL);
    uint64_t a = ipa_addr(ipa);
    paddr_t tpa = s2_table_pa(table); /* = kva_to_pa(table) */
    bh_error_t err = table_args(level, a, tpa.pa);
    if (err != BH_OK) {
        return err;
    }
    s2_desc_t *parent = NULL;
    unsigned stop = 0u;
    err = walk(s, a, level - 1u, &parent, &stop);
    if (err != BH_OK) {
        report_missing(missing_level, err, stop);
        return err;
    }
    size_t idx = s2_index(ipa, level - 1u);
    if (s2_desc_is_valid(parent[idx])) {
        return BH_E_MAPPING_EXISTS;
    }
    /* The one entry written, named before the stores (for the assigns goal). */
    /*@ assert parent + idx == s2_walk_l{Pre}(s->root, a, level - 1) + s2_idx_l(a, level - 1); */
    link_table(s->root, parent, entries_at(level - 1u), idx, table, s2_encode_table(tpa));
    arch_s2_table_write_barrier();
    return BH_OK;
}

bh_error_t s2_remove_table(s2_space_t *s, ipaddr_t ipa, unsigned level, paddr_t *table_pa)
{
    BH_ASSERT(s != NULL && s->root != NULL);
    uint64_t a = ipa_addr(ipa);
    bh_error_t err = table_args(level, a, 0u);
    if (err != BH_OK) {
        return err;
    }
    s2_desc_t *parent = NULL;
    unsigned stop = 0u;
    if (walk(s, a, level - 1u, &parent, &stop) != BH_OK) {
        return BH_E_NOT_MAPPED;
    }
    size_t idx = s2_index(ipa, level - 1u);
    if (!s2_desc_is_table(parent[idx], level - 1u)) {
        return BH_E_NOT_MAPPED;
    }
    /* The one entry written, named before the store (for the assigns goal). */
    /*@ assert parent + idx == s2_walk_l{Pre}(s->root, a, level - 1) + s2_idx_l(a, level - 1); */
    s2_desc_t old = clear_entry(s->root, parent, entries_at(level - 1u), idx);
    arch_s2_table_write_barrier();
    /* Walk caches and every leaf below the table may be cached: drop them all. */
    arch_s2_tlb_invalidate_vmid(s->vmid);
    if (table_pa != NULL) {
        put_table_pa(s->root, table_pa, old);
    }
    return BH_OK;
}

bh_error_t s2_map(s2_space_t *s, ipaddr_t ipa, paddr_t pa, uint64_t size, unsigned rights,
                  s2_memtype_t type, unsigned *missing_level)
{
    BH_ASSERT(s != NULL && s->root != NULL);
    unsigned level = 0u;
    bh_error_t err = s2_map_check(ipa, pa, size, rights, type, &level);
    if (err != BH_OK) {
        return err;
    }
    uint64_t a = ipa_addr(ipa);
    s2_desc_t *t = NULL;
    unsigned stop = 0u;
    err = walk(s, a, level, &t, &stop);
    if (err != BH_OK) {
        report_missing(missing_level, err, stop);
        return err;
    }
    size_t idx = s2_index(ipa, level);
    /* A valid entry here is a page, a block, or (level 2) a table: never
     * replaced implicitly. Invalid -> valid needs no TLB maintenance. */
    if (s2_desc_is_valid(t[idx])) {
        return BH_E_MAPPING_EXISTS;
    }
    set_leaf(s->root, t, entries_at(level), idx, s2_encode_leaf(pa, level, rights, type));
    arch_s2_table_write_barrier();
    return BH_OK;
}

/*@ requires 1 <= level <= 3 && \valid(m);
    assigns *m;
    ensures m->desc == d && m->level == level;
    ensures m->size == (level == 1 ? 0x40000000 : level == 2 ? 0x200000 : 0x1000);
    ensures m->base.ipa == ipa - ipa % m->size;
    ensures m->rights <= 7 && (m->type == S2_MEM_NORMAL || m->type == S2_MEM_DEVICE); */
static void fill_mapping(s2_desc_t d, unsigned level, uint64_t ipa, s2_mapping_t *m)
{
    uint64_t size = leaf_size(level);
    uint64_t base = ipa - ipa % size; /* = align_down(ipa, size) */
    /* Fields written directly: with -inline-calls, Frama-C 25 returns the
     * struct of an inlined accessor (ipa_init, pa_init) from a block whose
     * end WP treats as the end of its lifetime, and the value is lost. */
    paddr_t oa = s2_desc_oa(d, level);
    m->base.ipa = base;
    m->base_pa = oa;
    m->pa.pa = oa.pa + (ipa - base);
    m->size = size;
    m->level = level;
    m->rights = s2_desc_rights(d);
    m->type = s2_desc_memtype(d);
    m->desc = d;
}

/* fill_mapping for s2_unmap's *old, which is apart from the tree: the tree
 * stays well formed (proved once here, not on every path of s2_unmap). */
/*@ requires 1 <= level <= 3 && \valid(m);
    requires s2_root_ok(r) && s2_mapping_apart(r, m);
    assigns *m;
    ensures m->desc == d && m->level == level;
    ensures m->base.ipa == ipa - ipa % (level == 1 ? 0x40000000 : level == 2 ? 0x200000 : 0x1000);
    ensures s2_root_ok(r); */
static void fill_old(s2_root_t *r, s2_desc_t d, unsigned level, uint64_t ipa, s2_mapping_t *m)
{
    (void)r;
    fill_mapping(d, level, ipa, m);
}

/* Find the leaf covering ipa: its table and level. */
/*@ requires \valid_read(s) && s2_root_ok(s->root);
    requires \valid(table) && \valid(level) && \separated(table, level, s);
    assigns *table, *level;
    ensures \result == BH_OK || \result == BH_E_NOT_MAPPED;
    ensures \result == BH_OK <==> s2_leaf_level_l{Pre}(s->root, ipa) != 0;
    ensures \result == BH_OK ==>
      *level == s2_leaf_level_l{Pre}(s->root, ipa) &&
      *table == s2_walk_l{Pre}(s->root, ipa, *level) &&
      \valid(*table + (0 .. s2_entries_l(*level) - 1)); */
static bh_error_t find_leaf(const s2_space_t *s, uint64_t ipa, s2_desc_t **table, unsigned *level)
{
    s2_desc_t *t = s->root->entry;
    /*@ loop invariant 1 <= l <= 4;
        loop invariant l <= 3 ==> t == s2_walk_l(s->root, ipa, l) && s2_walk_ok(s->root, ipa, l);
        loop invariant l <= 3 ==> \valid(t + (0 .. s2_entries_l(l) - 1));
        loop invariant l == 2 ==> s2_l2_ok(s2_table_oa(s2_entry_l(s->root, ipa, 1)));
        loop invariant l >= 2 ==> s2_entry_l(s->root, ipa, 1) % 4 == 3;
        loop invariant l >= 3 ==> s2_entry_l(s->root, ipa, 2) % 4 == 3;
        loop invariant l == 4 ==> \false;
        loop assigns l, t;
        loop variant 4 - l; */
    for (unsigned l = S2_START_LEVEL; l <= S2_LAST_LEVEL; l++) {
        size_t i = s2_index(ipa_init(ipa), l);
        /*@ assert i == s2_idx_l(ipa, l); */
        s2_desc_t d = t[i];
        /*@ assert d == s2_entry_l(s->root, ipa, l); */
        if (s2_desc_is_table(d, l)) {
            t = next_table(d);
            continue;
        }
        if (s2_desc_is_leaf(d, l)) {
            *table = t;
            *level = l;
            return BH_OK;
        }
        return BH_E_NOT_MAPPED;
    }
    return BH_E_NOT_MAPPED;
}

bh_error_t s2_unmap(s2_space_t *s, ipaddr_t ipa, s2_mapping_t *old)
{
    BH_ASSERT(s != NULL && s->root != NULL);
    uint64_t a = ipa_addr(ipa);
    if (a >= S2_IPA_LIMIT) {
        return BH_E_RANGE;
    }
    if (a % S2_PAGE_SIZE != 0u) { /* = !is_aligned(a, S2_PAGE_SIZE) */
        return BH_E_ALIGNMENT;
    }
    s2_desc_t *t = NULL;
    unsigned level = 0u;
    bh_error_t err = find_leaf(s, a, &t, &level);
    if (err != BH_OK) {
        return err;
    }
    if (a % leaf_size(level) != 0u) { /* = !is_aligned(a, leaf size) */
        return BH_E_ALIGNMENT;
    }
    s2_desc_t d = clear_entry(s->root, t, entries_at(level), s2_index(ipa, level));
    /* Break: the cleared entry must be visible before the TLBs are cleaned. */
    arch_s2_table_write_barrier();
    arch_s2_tlb_invalidate_ipa(s->vmid, ipa, level);
    if (old != NULL) {
        fill_old(s->root, d, level, a, old);
    }
    return BH_OK;
}

bh_error_t s2_lookup(const s2_space_t *s, ipaddr_t ipa, s2_mapping_t *out)
{
    BH_ASSERT(s != NULL && s->root != NULL && out != NULL);
    uint64_t a = ipa_addr(ipa);
    if (a >= S2_IPA_LIMIT) {
        return BH_E_RANGE;
    }
    s2_desc_t *t = NULL;
    unsigned level = 0u;
    bh_error_t err = find_leaf(s, a, &t, &level);
    if (err != BH_OK) {
        return err;
    }
    fill_mapping(t[s2_index(ipa, level)], level, a, out);
    return BH_OK;
}

bh_error_t s2_unmap_pa(s2_space_t *s, ipaddr_t ipa, paddr_t pa)
{
    BH_ASSERT(s != NULL && s->root != NULL);
    uint64_t a = ipa_addr(ipa);
    if (a >= S2_IPA_LIMIT) {
        return BH_E_RANGE;
    }
    s2_desc_t *t = NULL;
    unsigned level = 0u;
    bh_error_t err = find_leaf(s, a, &t, &level);
    if (err != BH_OK) {
        return err;
    }
    size_t idx = s2_index(ipa, level);
    if (pa_addr(s2_desc_oa(t[idx], level)) != pa_addr(pa)) {
        return BH_E_NOT_MAPPED; /* the leaf maps other memory: not this mapping */
    }
    (void)clear_entry(s->root, t, entries_at(level), idx);
    /* Break: the cleared entry must be visible before the TLBs are cleaned. */
    arch_s2_table_write_barrier();
    arch_s2_tlb_invalidate_ipa(s->vmid, ipa_init(a - a % leaf_size(level)), level);
    return BH_OK;
}

bh_error_t s2_remove_table_pa(s2_space_t *s, ipaddr_t ipa, unsigned level, paddr_t table_pa)
{
    BH_ASSERT(s != NULL && s->root != NULL);
    uint64_t a = ipa_addr(ipa);
    bh_error_t err = table_args(level, a, 0u);
    if (err != BH_OK) {
        return err;
    }
    s2_desc_t *parent = NULL;
    unsigned stop = 0u;
    if (walk(s, a, level - 1u, &parent, &stop) != BH_OK) {
        return BH_E_NOT_MAPPED;
    }
    size_t idx = s2_index(ipa, level - 1u);
    s2_desc_t d = parent[idx];
    if (!s2_desc_is_table(d, level - 1u) ||
        pa_addr(s2_desc_oa(d, S2_LAST_LEVEL)) != pa_addr(table_pa)) {
        return BH_E_NOT_MAPPED; /* no table, or another one: not this mapping */
    }
    /* The one entry written, named before the store (for the assigns goal). */
    /*@ assert parent + idx == s2_walk_l{Pre}(s->root, a, level - 1) + s2_idx_l(a, level - 1); */
    (void)clear_entry(s->root, parent, entries_at(level - 1u), idx);
    arch_s2_table_write_barrier();
    /* Walk caches and every leaf below the table may be cached: drop them all. */
    arch_s2_tlb_invalidate_vmid(s->vmid);
    return BH_OK;
}
