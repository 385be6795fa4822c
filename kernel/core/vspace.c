#include <kernel/vspace.h>

#include <kernel/assert.h>
#include <kernel/phys.h>
#include <vm/vmid.h>

#define PT_LEVEL3_TAG 0x1000ull

static s2_vmid_pool_t pool;
/* Owner and generation of every VMID (0 is reserved by the pool). */
static struct address_space *owner[S2_VMID_COUNT];
static uint8_t generation[S2_VMID_COUNT];

/* Every VMID free, no owners, every generation 0. */
/*@ assigns pool.used[0 .. 255], pool.next, owner[0 .. 255], generation[0 .. 255];
    ensures s2_vmid_pool_ok(&pool);
    ensures \forall integer i; 1 <= i < S2_VMID_COUNT ==> pool.used[i] == 0;
    ensures \forall integer i; 0 <= i < S2_VMID_COUNT ==> owner[i] == \null && generation[i] == 0; */
void vspace_init(void)
{
    s2_vmid_pool_init(&pool);
    /*@ loop invariant 0 <= i <= S2_VMID_COUNT;
        loop invariant \forall integer k; 0 <= k < i ==> owner[k] == \null && generation[k] == 0;
        loop assigns i, owner[0 .. 255], generation[0 .. 255];
        loop variant S2_VMID_COUNT - i; */
    for (unsigned i = 0; i < S2_VMID_COUNT; i++) {
        owner[i] = NULL;
        generation[i] = 0;
    }
}

/* VMID | generation << 8, as a sum of disjoint fields (VMIDs are < 256). */
/*@ requires \valid_read(as) && as->vmid < S2_VMID_COUNT;
    assigns \nothing;
    ensures \result == as->vmid + as->gen * 256;
    ensures \result % 256 == as->vmid && \result / 256 == as->gen; */
static uint16_t mapid(const struct address_space *as)
{
    return (uint16_t)(as->vmid + (uint32_t)as->gen * 256u);
}

/*
 * An address space without a VMID gets one that was free, becomes its owner
 * and takes the VMID's next generation; one with a VMID keeps it. Either way
 * out names its root and VMID.
 */
/*@ requires \valid(as) && \valid(out) && \separated(as, out);
    requires \separated(as, &pool, owner + (0 .. S2_VMID_COUNT - 1),
                        generation + (0 .. S2_VMID_COUNT - 1));
    requires \separated(out, &pool, owner + (0 .. S2_VMID_COUNT - 1),
                        generation + (0 .. S2_VMID_COUNT - 1));
    requires s2_vmid_pool_ok(&pool) && as->vmid < S2_VMID_COUNT;
    assigns pool.used[1 .. 255], pool.next, owner[1 .. 255], generation[1 .. 255], as->vmid,
            as->gen, out->root, out->vmid;
    ensures s2_vmid_pool_ok(&pool) && as->vmid < S2_VMID_COUNT;
    ensures \result == BH_OK || \result == BH_E_IN_USE;
    ensures \result == BH_OK ==> as->vmid != 0 && out->root == &as->root && out->vmid == as->vmid;
    ensures \old(as->vmid) != 0 ==>
            \result == BH_OK && as->vmid == \old(as->vmid) && as->gen == \old(as->gen) &&
            pool.next == \old(pool.next) &&
            (\forall integer i; 0 <= i < S2_VMID_COUNT ==>
               pool.used[i] == \old(pool.used[i]) && owner[i] == \old(owner[i]) &&
               generation[i] == \old(generation[i]));
    ensures \old(as->vmid) == 0 && \result == BH_OK ==>
            \at(pool.used[\at(as->vmid, Post)], Pre) == 0 && pool.used[as->vmid] == 1;
    ensures \old(as->vmid) == 0 && \result == BH_OK ==> owner[as->vmid] == as;
    ensures \old(as->vmid) == 0 && \result == BH_OK ==>
            generation[as->vmid] == (\at(generation[\at(as->vmid, Post)], Pre) + 1) % 256 &&
            as->gen == generation[as->vmid];
    ensures \result != BH_OK ==> as->vmid == 0; */
bh_error_t vspace_activate(struct address_space *as, s2_space_t *out)
{
    if (as->vmid == 0) {
        uint16_t v = 0;
        bh_error_t e = s2_vmid_alloc(&pool, &v);
        if (e != BH_OK) {
            return e;
        }
        generation[v] = (uint8_t)((generation[v] + 1u) % 256u); /* wraps: 8 bits */
        owner[v] = as;
        as->vmid = v;
        as->gen = generation[v];
    }
    out->root = &as->root;
    out->vmid = as->vmid;
    return BH_OK;
}

/*@ logic integer right_l(integer r, integer bit) = (r / bit) % 2; */

/* Whether r has the right bit (a power of two): (r & bit) != 0. */
/*@ requires bit == BH_RIGHT_READ || bit == BH_RIGHT_WRITE || bit == BH_RIGHT_EXECUTE;
    assigns \nothing;
    ensures \result <==> right_l(r, bit) == 1; */
static bool has_right(uint32_t r, uint32_t bit)
{
    return (r / bit) % 2u != 0u;
}

/*
 * The stage-2 rights of a mapping with capability rights r: read for READ,
 * write for WRITE, execute for EXECUTE, and read with execute (an executable
 * mapping is readable at stage 2). Nothing else, whatever else r holds.
 */
/*@ assigns \nothing;
    ensures \result == (right_l(r, BH_RIGHT_READ) == 1 || right_l(r, BH_RIGHT_EXECUTE) == 1 ?
                         S2_RIGHT_READ : 0) +
                        (right_l(r, BH_RIGHT_WRITE) == 1 ? S2_RIGHT_WRITE : 0) +
                        (right_l(r, BH_RIGHT_EXECUTE) == 1 ? S2_RIGHT_EXEC : 0);
    ensures \result <= 7;
    ensures ((\result & 1) != 0) <==>
            (right_l(r, BH_RIGHT_READ) == 1 || right_l(r, BH_RIGHT_EXECUTE) == 1);
    ensures ((\result & 2) != 0) <==> right_l(r, BH_RIGHT_WRITE) == 1;
    ensures ((\result & 4) != 0) <==> right_l(r, BH_RIGHT_EXECUTE) == 1;
    ensures (\result / S2_RIGHT_WRITE) % 2 == right_l(r, BH_RIGHT_WRITE);
    ensures (\result / S2_RIGHT_EXEC) % 2 == right_l(r, BH_RIGHT_EXECUTE);
    ensures right_l(r, BH_RIGHT_READ) == 1 || right_l(r, BH_RIGHT_WRITE) == 1 ||
            right_l(r, BH_RIGHT_EXECUTE) == 1 ==> \result >= 1; */
static unsigned s2_rights(uint32_t r)
{
    /* One constant per case. WP's simplifier evaluates & only on a known
     * constant, and after the cases join the value is not one: the asserts
     * state each constant's bits (each proved with the value substituted),
     * so the &-ensures need no case split (which cost a prover timeout
     * each). */
    bool wr = has_right(r, BH_RIGHT_WRITE);
    unsigned v;
    if (has_right(r, BH_RIGHT_EXECUTE)) {
        v = wr ? (S2_RIGHT_READ | S2_RIGHT_WRITE | S2_RIGHT_EXEC) : (S2_RIGHT_READ | S2_RIGHT_EXEC);
    } else if (has_right(r, BH_RIGHT_READ)) {
        v = wr ? (S2_RIGHT_READ | S2_RIGHT_WRITE) : S2_RIGHT_READ;
    } else {
        v = wr ? S2_RIGHT_WRITE : 0u;
    }
    /*@ assert v == 0 || v == 1 || v == 2 || v == 3 || v == 5 || v == 7; */
    /*@ assert v == 0 ==> (v & 1) == 0 && (v & 2) == 0 && (v & 4) == 0; */
    /*@ assert v == 1 ==> (v & 1) != 0 && (v & 2) == 0 && (v & 4) == 0; */
    /*@ assert v == 2 ==> (v & 1) == 0 && (v & 2) != 0 && (v & 4) == 0; */
    /*@ assert v == 3 ==> (v & 1) != 0 && (v & 2) != 0 && (v & 4) == 0; */
    /*@ assert v == 5 ==> (v & 1) != 0 && (v & 2) == 0 && (v & 4) != 0; */
    /*@ assert v == 7 ==> (v & 1) != 0 && (v & 2) != 0 && (v & 4) != 0; */
    return v;
}

/*@ predicate frame_type_l(integer t) = t == BH_OBJ_FRAME_4K || t == BH_OBJ_FRAME_2M;
    // rights names only READ, WRITE, EXECUTE (bits 0, 1, 4), at least one
    predicate map_rights_ok_l(integer r) =
      r != 0 && r == r % 4 + right_l(r, BH_RIGHT_EXECUTE) * BH_RIGHT_EXECUTE;
    // every right asked for is a right of the capability
    predicate rights_within_l(integer r, integer cr) =
      right_l(r, BH_RIGHT_READ) <= right_l(cr, BH_RIGHT_READ) &&
      right_l(r, BH_RIGHT_WRITE) <= right_l(cr, BH_RIGHT_WRITE) &&
      right_l(r, BH_RIGHT_EXECUTE) <= right_l(cr, BH_RIGHT_EXECUTE) &&
      right_l(r, BH_RIGHT_EXECUTE) <= right_l(cr, BH_RIGHT_READ);
    predicate wx_l(integer r) =
      right_l(r, BH_RIGHT_WRITE) == 1 && right_l(r, BH_RIGHT_EXECUTE) == 1; */

/*
 * A mapping never exceeds the capability: (rights & ~cap_r) == 0, and
 * EXECUTE also needs READ (an executable page is mapped readable too:
 * s2_rights). Its own function (as is_wx): inside frame_map_check these
 * branches multiplied every path of the other checks.
 */
/*@ assigns \nothing;
    ensures \result <==> rights_within_l(rights, cap_r); */
static bool rights_within(uint32_t rights, uint32_t cap_r)
{
    if ((has_right(rights, BH_RIGHT_READ) && !has_right(cap_r, BH_RIGHT_READ)) ||
        (has_right(rights, BH_RIGHT_WRITE) && !has_right(cap_r, BH_RIGHT_WRITE)) ||
        (has_right(rights, BH_RIGHT_EXECUTE) &&
         (!has_right(cap_r, BH_RIGHT_EXECUTE) || !has_right(cap_r, BH_RIGHT_READ)))) {
        return false;
    }
    return true;
}

/* Only READ, WRITE, EXECUTE, at least one: (rights & ~(R|W|X)) == 0. Its own
 * function (as rights_within): the arithmetic kept Qed busy on every path of
 * frame_map_check. */
/*@ assigns \nothing;
    ensures \result <==> map_rights_ok_l(rights); */
static bool rights_known(uint32_t rights)
{
    return rights != 0u &&
           rights == rights % 4u + (rights / BH_RIGHT_EXECUTE) % 2u * BH_RIGHT_EXECUTE;
}

/* Writable and executable. */
/*@ assigns \nothing;
    ensures \result <==> wx_l(rights); */
static bool is_wx(uint32_t rights)
{
    return has_right(rights, BH_RIGHT_WRITE) && has_right(rights, BH_RIGHT_EXECUTE);
}

/*
 * The checks of vspace_map_frame_attr, in order, on the frame capability's
 * type, mapped flag, device-memory flag and rights: a mapping never exceeds
 * the capability, is never writable and executable at EL0, never maps
 * device memory Normal, and each capability maps once.
 */
/*@ assigns \nothing;
    ensures \result == BH_OK || \result == BH_E_INVALID_CAPABILITY ||
            \result == BH_E_MAPPING_EXISTS || \result == BH_E_INVALID_ARGUMENT ||
            \result == BH_E_INSUFFICIENT_RIGHTS;
    ensures !frame_type_l(t) ==> \result == BH_E_INVALID_CAPABILITY;
    ensures frame_type_l(t) && mapped ==> \result == BH_E_MAPPING_EXISTS;
    ensures frame_type_l(t) && !mapped && !map_rights_ok_l(rights) ==>
            \result == BH_E_INVALID_ARGUMENT;
    ensures frame_type_l(t) && !mapped && map_rights_ok_l(rights) &&
            !rights_within_l(rights, cap_r) ==> \result == BH_E_INSUFFICIENT_RIGHTS;
    ensures \result == BH_OK <==>
            frame_type_l(t) && !mapped && map_rights_ok_l(rights) &&
            rights_within_l(rights, cap_r) && (!guest ==> !wx_l(rights)) &&
            (dev_mem ==> device); */
static bh_error_t frame_map_check(bh_objtype_t t, bool mapped, bool dev_mem, uint32_t cap_r,
                                  uint32_t rights, bool device, bool guest)
{
    if (t != BH_OBJ_FRAME_4K && t != BH_OBJ_FRAME_2M) {
        return BH_E_INVALID_CAPABILITY;
    }
    if (mapped) {
        return BH_E_MAPPING_EXISTS; /* one mapping per capability: copy it to map again */
    }
    if (!rights_known(rights)) {
        return BH_E_INVALID_ARGUMENT;
    }
    if (!rights_within(rights, cap_r)) {
        return BH_E_INSUFFICIENT_RIGHTS;
    }
    /* W^X at EL0; a guest's own stage 1 decides W^X for its EL1 and EL0. */
    if (!guest && is_wx(rights)) {
        return BH_E_INVALID_ARGUMENT;
    }
    /* Device memory stays Device: only RAM may be mapped Normal. */
    if (dev_mem && !device) {
        return BH_E_INVALID_ARGUMENT;
    }
    return BH_OK;
}

/* The checks of vspace_map_table: a PageTable capability, not yet mapped. */
/*@ assigns \nothing;
    ensures t != BH_OBJ_PAGE_TABLE ==> \result == BH_E_INVALID_CAPABILITY;
    ensures t == BH_OBJ_PAGE_TABLE && mapped ==> \result == BH_E_MAPPING_EXISTS;
    ensures \result == BH_OK <==> t == BH_OBJ_PAGE_TABLE && !mapped; */
static bh_error_t table_map_check(bh_objtype_t t, bool mapped)
{
    if (t != BH_OBJ_PAGE_TABLE) {
        return BH_E_INVALID_CAPABILITY;
    }
    if (mapped) {
        return BH_E_MAPPING_EXISTS;
    }
    return BH_OK;
}

/*@ logic integer frame_level_l(cap_t c) = cap_type_l(c) == BH_OBJ_FRAME_2M ? 2 : 3; */

/* The level s2_map reports missing. A static rather than a local: WP cannot
 * tell a fresh local from a page table, the contract below says this is not
 * one (the kernel lock serialises its users). */
static unsigned map_missing;

/* What mapping a frame needs (both entry points): distinct objects, the VMID
 * pool's invariant, a well-formed table tree, a page entry apart from the
 * upper tables (s2_map keeps the tree well formed), and the table the walk
 * reaches apart from everything else written. */
/*@ predicate map_frame_pre{L}(struct address_space *as, cte_t *frame, integer va,
                               uint64_t *missing_level) =
      \valid{L}(as) && \valid{L}(frame) && \valid{L}(missing_level) &&
      \separated(as, frame, missing_level) &&
      \separated(as, &pool, owner + (0 .. S2_VMID_COUNT - 1),
                 generation + (0 .. S2_VMID_COUNT - 1)) &&
      \separated(frame, &pool, owner + (0 .. S2_VMID_COUNT - 1),
                 generation + (0 .. S2_VMID_COUNT - 1)) &&
      \separated(missing_level, &pool, owner + (0 .. S2_VMID_COUNT - 1),
                 generation + (0 .. S2_VMID_COUNT - 1)) &&
      s2_vmid_pool_ok{L}(&pool) && \at(as->vmid, L) < S2_VMID_COUNT &&
      s2_root_ok{L}(&as->root) &&
      (frame_level_l(\at(frame->cap, L)) == 3 && s2_walk_ok{L}(&as->root, va, 3) ==>
         s2_entry_apart{L}(&as->root, s2_walk_l{L}(&as->root, va, 3) + s2_idx_l(va, 3))) &&
      \separated(frame, missing_level, &map_missing,
                 s2_walk_l{L}(&as->root, va, frame_level_l(\at(frame->cap, L))) + (0 .. 1023));
    // The page (level 3) or block (level 2) descriptor e grants exactly
    // s2_rights(rights): S2AP read for READ or EXECUTE, write for WRITE, XN
    // clear only for EXECUTE.
    predicate leaf_rights_l(integer e, integer lv, integer rights) =
      e % 4 == (lv == 3 ? 3 : 1) &&
      (e / 64) % 2 ==
        (right_l(rights, BH_RIGHT_READ) == 1 || right_l(rights, BH_RIGHT_EXECUTE) == 1 ? 1 : 0) &&
      (e / 128) % 2 == right_l(rights, BH_RIGHT_WRITE) &&
      (e / 0x20000000000000) % 4 == (right_l(rights, BH_RIGHT_EXECUTE) == 1 ? 0 : 2); */

/*
 * On BH_OK the checks passed (frame_map_check) and the one descriptor s2_map
 * wrote (the page or block entry for va) grants exactly s2_rights(rights):
 * stage-2 read for READ or EXECUTE, write for WRITE, execute only for
 * EXECUTE, Device memory type when device. A refused check changes nothing.
 */
/*@ requires map_frame_pre(as, frame, va, missing_level);
    assigns pool.used[1 .. 255], pool.next, owner[1 .. 255], generation[1 .. 255], as->vmid,
            as->gen, frame->cap, *missing_level, map_missing,
            s2_walk_l{Pre}(&as->root, va, frame_level_l(frame->cap))
              [s2_idx_l(va, frame_level_l(frame->cap))];
    ensures \result == BH_OK ==>
            frame_type_l(cap_type_l(\old(frame->cap))) && map_rights_ok_l(rights) &&
            rights_within_l(rights, cap_rights_l(\old(frame->cap))) && (!guest ==> !wx_l(rights));
    ensures !(frame_type_l(cap_type_l(\old(frame->cap))) && map_rights_ok_l(rights) &&
              rights_within_l(rights, cap_rights_l(\old(frame->cap))) &&
              (!guest ==> !wx_l(rights))) ==>
            \result != BH_OK && frame->cap.w0 == \old(frame->cap.w0) &&
            frame->cap.w1 == \old(frame->cap.w1) && as->vmid == \old(as->vmid);
    ensures \let lv = frame_level_l(\old(frame->cap));
      \let e = s2_walk_l{Pre}(&as->root, va, lv)[s2_idx_l(va, lv)];
      \result == BH_OK ==> leaf_rights_l(e, lv, rights) && (e / 4) % 16 == (device ? 1 : 15); */
bh_error_t vspace_map_frame_attr(struct address_space *as, cte_t *frame, uint64_t va,
                                 uint32_t rights, bool device, bool guest, uint64_t *missing_level)
{
    s2_space_t s;
    cap_t f = frame->cap;
    bh_objtype_t t = cap_type(f);
    bh_error_t e = frame_map_check(t, cap_is_mapped(f), cap_ut_is_device(f), cap_rights(f), rights,
                                   device, guest);
    if (e != BH_OK) {
        return e;
    }
    uint64_t size = t == BH_OBJ_FRAME_2M ? S2_BLOCK_SIZE : S2_PAGE_SIZE;
    e = vspace_activate(as, &s);
    if (e != BH_OK) {
        return e;
    }
    map_missing = 0;
    /* Hints, so that the descriptor's proof is two small steps: activation
     * and map_missing leave the walk as it was; then the entry s2_map wrote. */
    /*@ assert walk: s2_walk_l(&as->root, va, frame_level_l(f)) ==
                     s2_walk_l{Pre}(&as->root, va, frame_level_l(f)); */
    e = s2_map(&s, ipa_init(va), cap_obj(f), size, s2_rights(rights),
               device ? S2_MEM_DEVICE : S2_MEM_NORMAL, &map_missing);
    if (e == BH_E_LOOKUP_FAILED) {
        *missing_level = map_missing;
        return e;
    }
    if (e != BH_OK) {
        return e;
    }
    /*@ assert leaf: \let lv = frame_level_l(f);
          \let d = s2_walk_l{Pre}(&as->root, va, lv)[s2_idx_l(va, lv)];
          leaf_rights_l(d, lv, rights) && (d / 4) % 16 == (device ? 1 : 15); */
    frame->cap = cap_set_mapping(f, mapid(as), va_init(va));
    return BH_OK;
}

/* EL0: as vspace_map_frame_attr with guest false, so never writable and
 * executable; Device memory type exactly for device memory. */
/*@ requires map_frame_pre(as, frame, va, missing_level);
    assigns pool.used[1 .. 255], pool.next, owner[1 .. 255], generation[1 .. 255], as->vmid,
            as->gen, frame->cap, *missing_level, map_missing,
            s2_walk_l{Pre}(&as->root, va, frame_level_l(frame->cap))
              [s2_idx_l(va, frame_level_l(frame->cap))];
    ensures \result == BH_OK ==>
            frame_type_l(cap_type_l(\old(frame->cap))) && map_rights_ok_l(rights) &&
            rights_within_l(rights, cap_rights_l(\old(frame->cap))) && !wx_l(rights);
    ensures \let lv = frame_level_l(\old(frame->cap));
      \let e = s2_walk_l{Pre}(&as->root, va, lv)[s2_idx_l(va, lv)];
      \result == BH_OK ==> leaf_rights_l(e, lv, rights); */
bh_error_t vspace_map_frame(struct address_space *as, cte_t *frame, uint64_t va, uint32_t rights,
                            uint64_t *missing_level)
{
    return vspace_map_frame_attr(as, frame, va, rights, cap_ut_is_device(frame->cap), false,
                                 missing_level);
}

/* The mapped flag, bit 15 of w0 (cap_is_mapped). */
/*@ assigns \nothing;
    ensures \result <==> cap_mapped_l(c) == 1; */
static bool is_mapped(cap_t c)
{
    return cap_is_mapped(c);
}

/* The record of a mapping at `at`: the mapped flag set, w1 = id | (at >> 12) << 16
 * (cap_set_mapping). */
/*@ requires at < 0x1000000000000000;
    assigns \nothing;
    ensures \result.w0 % 32768 == c.w0 % 32768 && cap_mapped_l(\result) == 1 &&
            \result.w0 / 65536 == c.w0 / 65536;
    ensures \result.w1 == id + at / 4096 * 65536; */
static cap_t record_mapping(cap_t c, uint16_t id, uint64_t at)
{
    return cap_set_mapping(c, id, va_init(at));
}

/*@ logic integer pt_at_l(integer va, integer level) =
      va - va % (level == 2 ? 0x40000000 : 0x200000) + (level == 3 ? 0x1000 : 0); */

/* What a PageTable capability records: va aligned to the range the table
 * covers (1 GiB at level 2, 2 MiB at level 3), so bit 12 is free to say
 * level 3. */
/*@ requires 2 <= level <= 3 && va < 0x10000000000;
    assigns \nothing;
    ensures \result == pt_at_l(va, level) && \result < 0x10000000000; */
static uint64_t pt_record_addr(uint64_t va, unsigned level)
{
    if (level == 3u) {
        return va - va % S2_BLOCK_SIZE + PT_LEVEL3_TAG; /* = align_down(va, 2 MiB) | tag */
    }
    return va - va % (1ull << 30); /* = align_down(va, 1 GiB) */
}

/* The space vspace_map_table installs into. A static rather than a local, as
 * map_missing: its contract says it is apart from the tables. */
static s2_space_t table_space;

/* What installing a table needs: distinct objects, the VMID pool's
 * invariant, a well-formed tree, and the PageTable object (kva_pt) a valid
 * table apart from the tree, the slot and the entry written. */
/*@ predicate map_table_pre{L}(struct address_space *as, cte_t *pt, integer va, integer level) =
      \valid(as) && \valid(pt) && \separated(as, pt) && \separated(as, &table_space) &&
      \separated(pt, &table_space) &&
      \separated(as, &pool, owner + (0 .. S2_VMID_COUNT - 1),
                 generation + (0 .. S2_VMID_COUNT - 1)) &&
      \separated(pt, &pool, owner + (0 .. S2_VMID_COUNT - 1),
                 generation + (0 .. S2_VMID_COUNT - 1)) &&
      s2_vmid_pool_ok(&pool) && as->vmid < S2_VMID_COUNT && s2_root_ok(&as->root) &&
      (cap_type_l(pt->cap) == BH_OBJ_PAGE_TABLE ==>
         \let t = kva_pt(cap_obj_l(pt->cap));
         \let w = s2_walk_l(&as->root, va, level - 1);
         \valid(t) && s2_table_apart(&as->root, t) && \separated(t, as) && \separated(t, pt) &&
         \separated(t, &table_space) && \separated(t, w + (0 .. 1023)) &&
         \separated(w + s2_idx_l(va, level - 1), pt) && \separated(w + (0 .. 1023), &table_space)); */

/*
 * Errors: table_map_check's (not a PageTable: BH_E_INVALID_CAPABILITY;
 * already mapped: BH_E_MAPPING_EXISTS), then vspace_activate's and
 * s2_install_table's, with the capability and the tree entry unchanged. On
 * BH_OK the table is linked at the entry one level up (s2_install_table) and
 * the capability records the mapping: mapped flag, mapping id, the address
 * aligned to the range the table covers with bit 12 for level 3; nothing
 * else of the slot changes.
 */
/*@ requires map_table_pre(as, pt, va, level);
    assigns pool.used[1 .. 255], pool.next, owner[1 .. 255], generation[1 .. 255], as->vmid,
            as->gen, table_space, pt->cap,
            kva_pt(cap_obj_l(\at(pt->cap, Pre)))->entry[0 .. S2_TABLE_ENTRIES - 1],
            s2_walk_l{Pre}(&as->root, va, level - 1)[s2_idx_l(va, level - 1)];
    ensures cap_type_l(\old(pt->cap)) != BH_OBJ_PAGE_TABLE ==> \result == BH_E_INVALID_CAPABILITY;
    ensures cap_type_l(\old(pt->cap)) == BH_OBJ_PAGE_TABLE && cap_mapped_l(\old(pt->cap)) == 1 ==>
            \result == BH_E_MAPPING_EXISTS;
    ensures \result != BH_OK ==>
            pt->cap.w0 == \old(pt->cap.w0) && pt->cap.w1 == \old(pt->cap.w1) &&
            s2_walk_l{Pre}(&as->root, va, level - 1)[s2_idx_l(va, level - 1)] ==
              s2_entry_l{Pre}(&as->root, va, level - 1);
    ensures \let e = s2_walk_l{Pre}(&as->root, va, level - 1)[s2_idx_l(va, level - 1)];
      \result == BH_OK ==>
        cap_type_l(\old(pt->cap)) == BH_OBJ_PAGE_TABLE && cap_mapped_l(\old(pt->cap)) == 0 &&
        2 <= level <= 3 && va < 0x10000000000 && s2_is_table_l(e) &&
        kva_table(s2_table_oa(e)) == &kva_pt(cap_obj_l(\old(pt->cap)))->entry[0];
    ensures \result == BH_OK ==>
            pt->cap.w0 % 32768 == \old(pt->cap.w0) % 32768 && cap_mapped_l(pt->cap) == 1 &&
            pt->cap.w0 / 65536 == \old(pt->cap.w0) / 65536 &&
            pt->cap.w1 == as->vmid + as->gen * 256 + pt_at_l(va, level) / 4096 * 65536; */
bh_error_t vspace_map_table(struct address_space *as, cte_t *pt, uint64_t va, unsigned level)
{
    cap_t c = pt->cap;
    bh_error_t e = table_map_check(cap_type(c), is_mapped(c));
    if (e != BH_OK) {
        return e;
    }
    e = vspace_activate(as, &table_space);
    if (e != BH_OK) {
        return e;
    }
    /* Activation leaves the tree as it was (a hint, as in vspace_map_frame_attr). */
    /*@ assert s2_walk_l(&as->root, va, level - 1) == s2_walk_l{Pre}(&as->root, va, level - 1); */
    /* The level reported missing is not needed here. */
    e = s2_install_table(&table_space, ipa_init(va), level, s2_table_at(cap_obj(c)), NULL);
    if (e != BH_OK) {
        return e;
    }
    /* The entry written is apart from the slot (a hint). */
    /*@ assert \separated(&pt->cap,
                          s2_walk_l{Pre}(&as->root, va, level - 1) + s2_idx_l(va, level - 1)); */
    uint16_t id = mapid(as);
    pt->cap = record_mapping(c, id, pt_record_addr(va, level));
    return BH_OK;
}

/*@ // The live address space a mapping id names (live_owner), or null.
    logic struct address_space *live_l{L}(integer id) =
      id % 256 != 0 && owner[id % 256] != \null && generation[id % 256] == id / 256 ?
        owner[id % 256] : (struct address_space *)\null;
    // What unmapping through a mapping id needs: a live owner's tree is well
    // formed.
    predicate unmap_ok{L}(integer id) =
      live_l(id) != \null ==> \valid(live_l(id)) && s2_root_ok(&live_l(id)->root);
    // The leaf entry that maps va in the tree of r (s2_unmap_pa's).
    logic s2_desc_t *leaf_at_l{L}(s2_root_t *r, integer va) =
      s2_walk_l(r, va, s2_leaf_level_l(r, va)) + s2_idx_l(va, s2_leaf_level_l(r, va));
    // From L1 to L2 the leaf for va was cleared if it mapped obj, else kept;
    // the tree is well formed at L2.
    predicate leaf_unmapped{L1, L2}(s2_root_t *r, integer va, integer obj) =
      \let lv = s2_leaf_level_l{L1}(r, va);
      \let p = leaf_at_l{L1}(r, va);
      (va < 0x10000000000 && lv != 0 && s2_leaf_oa_l(\at(*p, L1), lv) == obj ?
         \at(*p, L2) == 0 : \at(*p, L2) == \at(*p, L1)) &&
      s2_root_ok{L2}(r);
    // A PageTable capability records the table's level in bit 12 of the
    // address (pt_record_addr).
    logic integer pt_level_l(integer va) = (va / 4096) % 2 == 1 ? 3 : 2;
    logic integer pt_va_l(integer va) = va - (va / 4096) % 2 * 4096;
    // The entry one level up that links the level-lv table for va.
    logic s2_desc_t *link_at_l{L}(s2_root_t *r, integer va, integer lv) =
      s2_walk_l(r, va, lv - 1) + s2_idx_l(va, lv - 1);
    // From L1 to L2 the link for the PageTable recorded as va was cleared if
    // it linked the table at obj, else kept; the tree is well formed at L2.
    predicate table_unlinked{L1, L2}(s2_root_t *r, integer va, integer obj) =
      \let lv = pt_level_l(va);
      \let a = pt_va_l(va);
      \let p = link_at_l{L1}(r, a, lv);
      (a < 0x10000000000 && s2_walk_ok{L1}(r, a, lv - 1) && s2_is_table_l(\at(*p, L1)) &&
       s2_table_oa(\at(*p, L1)) == obj ? \at(*p, L2) == 0 : \at(*p, L2) == \at(*p, L1)) &&
      s2_root_ok{L2}(r); */

/* The live address space a mapping id refers to, or NULL if it is stale. */
/*@ assigns \nothing;
    ensures \result == live_l(id);
    ensures \result == \null || \result == owner[id % 256];
    ensures \result != \null <==>
            id % 256 != 0 && owner[id % 256] != \null && generation[id % 256] == id / 256; */
static struct address_space *live_owner(uint16_t id)
{
    uint16_t vmid = id % 256u;
    uint8_t gen = (uint8_t)(id / 256u);
    if (vmid == 0 || owner[vmid] == NULL || generation[vmid] != gen) {
        return NULL;
    }
    return owner[vmid];
}

/* A Frame capability's recorded mapping (id, va): the leaf at va in the live
 * owner's tree, removed only if it still maps the frame at obj. */
/*@ requires unmap_ok(id);
    assigns *leaf_at_l{Pre}(&live_l{Pre}(id)->root, va);
    ensures live_l{Pre}(id) != \null ==> leaf_unmapped{Pre, Post}(&live_l{Pre}(id)->root, va, obj.pa); */
static void unmap_leaf(paddr_t obj, uint16_t id, uint64_t va)
{
    struct address_space *as = live_owner(id);
    if (as == NULL) {
        return;
    }
    s2_space_t s = {&as->root, as->vmid};
    (void)s2_unmap_pa(&s, ipa_init(va), obj);
}

/* A PageTable capability's recorded mapping: the table at obj, unlinked only
 * if the tree still links it where the record says. The record can be stale:
 * after the table above it was removed and another one installed there, the
 * place can hold another table (which must stay). */
/*@ requires unmap_ok(id);
    assigns *link_at_l{Pre}(&live_l{Pre}(id)->root, pt_va_l(va), pt_level_l(va));
    ensures live_l{Pre}(id) != \null ==> table_unlinked{Pre, Post}(&live_l{Pre}(id)->root, va, obj.pa); */
static void unmap_table(paddr_t obj, uint16_t id, uint64_t va)
{
    struct address_space *as = live_owner(id);
    if (as == NULL) {
        return;
    }
    s2_space_t s = {&as->root, as->vmid};
    uint64_t tag = va / PT_LEVEL3_TAG % 2u; /* = (va & PT_LEVEL3_TAG) != 0 */
    uint64_t a = va - tag * PT_LEVEL3_TAG;  /* = va & ~PT_LEVEL3_TAG */
    unsigned level = tag != 0u ? 3u : 2u;
    /* The entry written is the one the contract names (a hint). */
    /*@ assert a == pt_va_l(va) && level == pt_level_l(va); */
    (void)s2_remove_table_pa(&s, ipa_init(a), level, obj);
}

/* A capability's mapping record, when it goes: the mapping is removed from
 * the live owner's tree if the tree still holds it, else nothing changes. */
/*@ requires unmap_ok(id);
    behavior table:
      assumes type == BH_OBJ_PAGE_TABLE;
      assigns *link_at_l{Pre}(&live_l{Pre}(id)->root, pt_va_l(va.va), pt_level_l(va.va));
      ensures live_l{Pre}(id) != \null ==>
              table_unlinked{Pre, Post}(&live_l{Pre}(id)->root, va.va, obj.pa);
    behavior frame:
      assumes type != BH_OBJ_PAGE_TABLE;
      assigns *leaf_at_l{Pre}(&live_l{Pre}(id)->root, va.va);
      ensures live_l{Pre}(id) != \null ==>
              leaf_unmapped{Pre, Post}(&live_l{Pre}(id)->root, va.va, obj.pa);
    complete behaviors;
    disjoint behaviors; */
void vspace_unmap_object(bh_objtype_t type, paddr_t obj, uint16_t id, vaddr_t va)
{
    if (type == BH_OBJ_PAGE_TABLE) {
        unmap_table(obj, id, va_addr(va));
        return;
    }
    unmap_leaf(obj, id, va_addr(va));
}

/*@ logic integer rec_id_l(cap_t c) = c.w1 % 65536;
    logic integer rec_va_l(cap_t c) = c.w1 / 65536 * 4096;
    // The slot p lies apart from the root and the level-2 tables of r (the
    // tables whose entries the tree's walks read): a capability slot is never
    // page-table memory.
    predicate slot_apart{L}(s2_root_t *r, cte_t *p) =
      \separated(p, r) &&
      \forall integer i; 0 <= i < 1024 && s2_is_table_l(r->entry[i]) ==>
        \separated(p, kva_table(s2_table_oa(r->entry[i])) + (0 .. 511));
    // What unmapping the frame in slot p needs: the record's live owner (if
    // any) has a well-formed tree, apart from the slot.
    predicate unmap_frame_pre{L}(cte_t *p) =
      \valid(p) && unmap_ok(rec_id_l(p->cap)) &&
      (live_l(rec_id_l(p->cap)) != \null ==>
         slot_apart(&live_l(rec_id_l(p->cap))->root, p) &&
         \separated(p, leaf_at_l(&live_l(rec_id_l(p->cap))->root, rec_va_l(p->cap)))); */

/*
 * A Frame capability not mapped, or not a Frame: BH_E_INVALID_CAPABILITY or
 * BH_E_NOT_MAPPED, nothing changes. On BH_OK the mapping it records is gone
 * (if the live owner's tree still holds it: the leaf at the recorded address,
 * if it maps the frame, is 0; no other descriptor changed) and the record is
 * cleared: mapped flag and w1 zero, every other bit kept.
 */
/*@ requires unmap_frame_pre(frame);
    assigns frame->cap, *leaf_at_l{Pre}(&live_l{Pre}(rec_id_l(frame->cap))->root, rec_va_l(frame->cap));
    ensures !frame_type_l(cap_type_l(\old(frame->cap))) ==> \result == BH_E_INVALID_CAPABILITY;
    ensures frame_type_l(cap_type_l(\old(frame->cap))) && cap_mapped_l(\old(frame->cap)) == 0 ==>
            \result == BH_E_NOT_MAPPED;
    ensures \result == BH_OK <==>
            frame_type_l(cap_type_l(\old(frame->cap))) && cap_mapped_l(\old(frame->cap)) == 1;
    ensures \result != BH_OK ==>
            frame->cap.w0 == \old(frame->cap.w0) && frame->cap.w1 == \old(frame->cap.w1) &&
            (\let p = leaf_at_l{Pre}(&live_l{Pre}(rec_id_l(\old(frame->cap)))->root,
                                   rec_va_l(\old(frame->cap)));
             *p == \at(*p, Pre));
    ensures \result == BH_OK ==>
            frame->cap.w0 == \old(frame->cap.w0) - 32768 && frame->cap.w1 == 0;
    ensures \let as = live_l{Pre}(rec_id_l(\old(frame->cap)));
      \result == BH_OK && as != \null ==>
        leaf_unmapped{Pre, Post}(&as->root, rec_va_l(\old(frame->cap)), cap_obj_l(\old(frame->cap))); */
bh_error_t vspace_unmap_frame(cte_t *frame)
{
    cap_t f = frame->cap;
    bh_objtype_t t = cap_type(f);
    if (t != BH_OBJ_FRAME_4K && t != BH_OBJ_FRAME_2M) {
        return BH_E_INVALID_CAPABILITY;
    }
    if (!is_mapped(f)) {
        return BH_E_NOT_MAPPED;
    }
    /* = vspace_unmap_object(t, ...) for a Frame type */
    unmap_leaf(cap_obj(f), cap_mapped_vmid(f), va_addr(cap_mapped_addr(f)));
    frame->cap = cap_clear_mapping(f);
    return BH_OK;
}

/* The address space loses its VMID (freed, so its TLB entries go) and its
 * ownership of it, so no mapping id recorded for it resolves any more
 * (live_owner); nothing else changes. */
/*@ requires \valid(as) && as->vmid < S2_VMID_COUNT && s2_vmid_pool_ok(&pool);
    requires \separated(as, &pool, owner + (0 .. S2_VMID_COUNT - 1),
                        generation + (0 .. S2_VMID_COUNT - 1));
    assigns owner[1 .. 255], pool.used[1 .. 255], as->vmid, as->dead;
    ensures as->vmid == 0 && as->dead == 1 && s2_vmid_pool_ok(&pool);
    ensures \old(as->vmid) != 0 ==> owner[\old(as->vmid)] == \null;
    ensures \old(as->vmid) != 0 && \old(pool.used[\old(as->vmid)]) != 0 ==>
            pool.used[\old(as->vmid)] == 0;
    ensures \forall integer i; 0 <= i < S2_VMID_COUNT && i != \old(as->vmid) ==>
            owner[i] == \old(owner[i]) && pool.used[i] == \old(pool.used[i]); */
void vspace_destroy(struct address_space *as)
{
    if (as->vmid != 0) {
        owner[as->vmid] = NULL;
        (void)s2_vmid_free(&pool, as->vmid); /* invalidates the VMID's TLB entries */
        as->vmid = 0;
    }
    as->dead = 1;
}
