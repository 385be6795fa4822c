/*
 * Stage-2 translation tables (VMSAv8-64, 4 KiB granule), used for guest VMs and
 * for EL0 server address spaces alike. See vm/README.md for the layout
 * decisions; every bit position below is from the Arm ARM (D8 "The VMSAv8-64
 * translation table format", stage 2 block and page descriptors, FWB off).
 *
 * Nothing here allocates: the root (8 KiB) and every next-level table (4 KiB,
 * a PageTable object) are supplied by the caller, already retyped from untyped.
 */
#ifndef VM_STAGE2_H
#define VM_STAGE2_H

#include <bulkhead/errors.h>
#include <kernel/types.h>

/* Geometry: 40-bit IPA, walk starts at level 1 with two concatenated level-1
 * tables (1024 entries, IPA bits [39:30]), then level 2 [29:21], level 3 [20:12]. */
#define S2_IPA_BITS      40u
#define S2_PA_BITS       48u /* output addresses the descriptors can hold */
#define S2_START_LEVEL   1u
#define S2_LAST_LEVEL    3u
#define S2_ROOT_ENTRIES  1024u
#define S2_TABLE_ENTRIES 512u
#define S2_ROOT_SIZE     (S2_ROOT_ENTRIES * 8u)  /* 8 KiB, must be 8 KiB aligned */
#define S2_TABLE_SIZE    (S2_TABLE_ENTRIES * 8u) /* 4 KiB, must be 4 KiB aligned */
#define S2_PAGE_SIZE     (1ull << 12)
#define S2_BLOCK_SIZE    (1ull << 21) /* level-2 block */
#define S2_IPA_LIMIT     (1ull << S2_IPA_BITS)
#define S2_PA_LIMIT      (1ull << S2_PA_BITS)

/* Descriptor fields (stage 2). */
#define S2_DESC_VALID           (1ull << 0)
#define S2_DESC_TYPE_TABLE      (3ull) /* levels 1-2: table; level 3: page */
#define S2_DESC_TYPE_BLOCK      (1ull) /* levels 1-2 only */
#define S2_DESC_TYPE_MASK       (3ull)
#define S2_MEMATTR_SHIFT        2u /* MemAttr[3:0] at bits [5:2] */
#define S2_MEMATTR_MASK         (0xfull << 2)
#define S2_MEMATTR_NORMAL_WB    (0xfull << 2) /* Outer WB (0b11xx), Inner WB (0bxx11) */
#define S2_MEMATTR_DEVICE_NGNRE (0x1ull << 2) /* Device (0b00xx), nGnRE (0bxx01) */
#define S2_S2AP_R               (1ull << 6)   /* S2AP[0]: read allowed */
#define S2_S2AP_W               (1ull << 7)   /* S2AP[1]: write allowed */
#define S2_SH_MASK              (3ull << 8)
#define S2_SH_INNER             (3ull << 8)
#define S2_SH_OUTER             (2ull << 8)
#define S2_AF                   (1ull << 10)
#define S2_XN_MASK              (3ull << 53)            /* XN[1:0] at bits [54:53] */
#define S2_XN_NEVER             (2ull << 53)            /* 0b10: no execution at EL1 or EL0 */
#define S2_OA_MASK              (0x0000fffffffff000ull) /* output address [47:12] */

/* Rights, as in capability rights. */
#define S2_RIGHT_READ  1u
#define S2_RIGHT_WRITE 2u
#define S2_RIGHT_EXEC  4u
#define S2_RIGHTS_ALL  7u

typedef enum s2_memtype {
    S2_MEM_NORMAL = 0, /* Normal, inner+outer write-back, inner shareable */
    S2_MEM_DEVICE = 1, /* Device-nGnRE (passthrough MMIO); never executable */
} s2_memtype_t;

typedef uint64_t s2_desc_t;

/* A PageTable object: one next-level table. */
typedef struct s2_table {
    s2_desc_t entry[S2_TABLE_ENTRIES];
} s2_table_t;

/* The root of an address space: two concatenated level-1 tables. */
typedef struct s2_root {
    s2_desc_t entry[S2_ROOT_ENTRIES];
} s2_root_t;

/* One stage-2 address space (a VM, or an EL0 AddressSpace). */
typedef struct s2_space {
    s2_root_t *root;
    uint16_t vmid;
} s2_space_t;

/* A leaf mapping as found by lookup or removed by unmap. */
typedef struct s2_mapping {
    ipaddr_t base;   /* first IPA of the page or block */
    paddr_t base_pa; /* its output address */
    paddr_t pa;      /* lookup: translation of the IPA asked for */
    uint64_t size;   /* S2_PAGE_SIZE or S2_BLOCK_SIZE (or 1 GiB, never created here) */
    unsigned level;  /* level of the leaf descriptor */
    unsigned rights; /* S2_RIGHT_* */
    s2_memtype_t type;
    s2_desc_t desc; /* the raw descriptor */
} s2_mapping_t;

/* ---- register values for the architecture layer ---- */

/* VTCR_EL2 for this layout: T0SZ=24 (40-bit IPA), SL0=0b01 (start at level 1),
 * IRGN0=ORGN0=0b01 (walks write-back), SH0=0b11 (inner shareable), TG0=0b00
 * (4 KiB), PS=pa_range (ID_AA64MMFR0_EL1.PARange, clamped to 0b101 = 48 bits),
 * VS=0 (8-bit VMID), bit 31 RES1. Declared with its contract below. */

/* s2_root_pa_l(r): the physical address of the root r (s2_root_pa below). */
/*@ axiomatic KernelRootAddress {
      logic integer s2_root_pa_l(s2_root_t *r);
    }
*/

/* VTTBR_EL2: BADDR = root PA, VMID in bits [55:48]. */
/* Contract (Arm ARM, VTTBR_EL2 with VTCR_EL2.VS = 0): bits [47:0] are the
 * root's physical address (BADDR [47:1]; CnP, bit 0, is 0 for the 8 KiB
 * aligned root s2_space_init accepts), VMID [55:48] the space's VMID (8 bits),
 * bits [63:56] (RES0 for an 8-bit VMID) 0. */
/*@ requires \valid_read(s);
    assigns \nothing;
    ensures \result % 0x1000000000000 == s2_root_pa_l(s->root) % 0x1000000000000;
    ensures (\result / 0x1000000000000) % 256 == s->vmid % 256;
    ensures \result / 0x100000000000000 == 0; */
uint64_t s2_vttbr(const s2_space_t *s);

/* ---- pure descriptor helpers (proved; see proofs/core-paths.txt) ----
 * The contracts state each field as an arithmetic bit slice:
 * bits [hi:lo] of x == (x / 2^lo) % 2^(hi-lo+1). */

/*@ requires 1 <= level <= 3;
    assigns \nothing;
    ensures \result == 39 - 9 * level; */
unsigned s2_level_shift(unsigned level);

/*@ requires 1 <= level <= 3;
    assigns \nothing;
    ensures level == 1 ==> \result == (ipa.ipa / 1073741824) % 1024 && \result < 1024;
    ensures level == 2 ==> \result == (ipa.ipa / 2097152) % 512 && \result < 512;
    ensures level == 3 ==> \result == (ipa.ipa / 4096) % 512 && \result < 512; */
size_t s2_index(ipaddr_t ipa, unsigned level);

/*@ requires 2 <= level <= 3;
    requires pa.pa < 0x1000000000000;
    requires level == 3 ==> pa.pa % 4096 == 0;
    requires level == 2 ==> pa.pa % 2097152 == 0;
    requires 1 <= rights <= 7;
    requires type == S2_MEM_NORMAL || type == S2_MEM_DEVICE;
    assigns \nothing;
    ensures type_bits: (\result / 1) % 4 == (level == 3 ? 3 : 1);
    ensures memattr: (\result / 4) % 16 == (type == S2_MEM_NORMAL ? 15 : 1);
    ensures s2ap_r: (\result / 64) % 2 == ((rights & 1) != 0 ? 1 : 0);
    ensures s2ap_w: (\result / 128) % 2 == ((rights & 2) != 0 ? 1 : 0);
    ensures sh: (\result / 256) % 4 == (type == S2_MEM_NORMAL ? 3 : 2);
    ensures af: (\result / 1024) % 2 == 1;
    ensures res0_11: (\result / 2048) % 2 == 0;
    ensures oa: (\result / 4096) % 0x1000000000 == pa.pa / 4096;
    ensures res0_48_52: (\result / 0x1000000000000) % 32 == 0;
    ensures xn: (\result / 0x20000000000000) % 4 == ((rights & 4) != 0 ? 0 : 2);
    ensures res0_55_63: \result / 0x80000000000000 == 0; */
s2_desc_t s2_encode_leaf(paddr_t pa, unsigned level, unsigned rights, s2_memtype_t type);

/*@ requires table_pa.pa < 0x1000000000000 && table_pa.pa % 4096 == 0;
    assigns \nothing;
    ensures \result == table_pa.pa + 3;
    ensures \result % 4 == 3 && (\result / 4096) * 4096 == table_pa.pa; */
s2_desc_t s2_encode_table(paddr_t table_pa);

/*@ assigns \nothing;
    ensures \result <==> d % 2 == 1; */
bool s2_desc_is_valid(s2_desc_t d);

/*@ assigns \nothing;
    ensures \result <==> (level < 3 && d % 4 == 3); */
bool s2_desc_is_table(s2_desc_t d, unsigned level);

/*@ assigns \nothing;
    ensures level == 3 ==> (\result <==> d % 4 == 3);
    ensures level != 3 ==> (\result <==> d % 4 == 1); */
bool s2_desc_is_leaf(s2_desc_t d, unsigned level);

/*@ assigns \nothing;
    ensures \result == (d / 64) % 2 * S2_RIGHT_READ + (d / 128) % 2 * S2_RIGHT_WRITE +
                       ((d / 0x20000000000000) % 4 == 0 ? S2_RIGHT_EXEC : 0);
    ensures \result <= 7; */
unsigned s2_desc_rights(s2_desc_t d);

/*@ assigns \nothing;
    ensures \result == S2_MEM_DEVICE <==> (d / 16) % 4 == 0;
    ensures \result == S2_MEM_NORMAL || \result == S2_MEM_DEVICE; */
s2_memtype_t s2_desc_memtype(s2_desc_t d);

/*@ requires 1 <= level <= 3;
    assigns \nothing;
    ensures level == 1 ==> \result.pa == (d / 0x40000000) % 0x40000 * 0x40000000;
    ensures level == 2 ==> \result.pa == (d / 0x200000) % 0x8000000 * 0x200000;
    ensures level == 3 ==> \result.pa == (d / 0x1000) % 0x1000000000 * 0x1000;
    ensures \result.pa < 0x1000000000000; */
paddr_t s2_desc_oa(s2_desc_t d, unsigned level);

/* Single-entry writes: the only places descriptors are stored. */

/*@ requires \valid(table + (0 .. n - 1)) && idx < n;
    assigns table[idx];
    ensures table[idx] == d;
    ensures \forall integer i; 0 <= i < n && i != idx ==> table[i] == \old(table[i]); */
void s2_entry_set(s2_desc_t *table, size_t n, size_t idx, s2_desc_t d);

/*@ requires \valid(table + (0 .. n - 1)) && idx < n;
    assigns table[idx];
    ensures table[idx] == 0 && \result == \old(table[idx]);
    ensures \forall integer i; 0 <= i < n && i != idx ==> table[i] == \old(table[i]); */
s2_desc_t s2_entry_clear(s2_desc_t *table, size_t n, size_t idx);

/*@ requires \valid(table + (0 .. n - 1));
    assigns table[0 .. n - 1];
    ensures \forall integer i; 0 <= i < n ==> table[i] == 0; */
void s2_entries_zero(s2_desc_t *table, size_t n);

/*@ assigns \nothing;
    ensures \result == 0x80003558 + (pa_range > 5 ? 5 : pa_range) * 0x10000;
    ensures (\result / 1) % 64 == 24;
    ensures (\result / 64) % 4 == 1;
    ensures (\result / 256) % 4 == 1 && (\result / 1024) % 4 == 1;
    ensures (\result / 4096) % 4 == 3 && (\result / 16384) % 4 == 0;
    ensures (\result / 65536) % 8 == (pa_range > 5 ? 5 : pa_range);
    ensures (\result / 524288) % 2 == 0 && (\result / 2147483648) % 2 == 1; */
uint64_t s2_vtcr(unsigned pa_range);

/* Argument checks of s2_map, in its documented order; on BH_OK *level is the
 * level of the leaf to write (3 for a page, 2 for a block). */
/*@ requires \valid(level);
    assigns *level;
    ensures \result == BH_OK || \result == BH_E_INVALID_ARGUMENT || \result == BH_E_RANGE ||
            \result == BH_E_ALIGNMENT;
    ensures size != 4096 && size != 2097152 ==> \result == BH_E_INVALID_ARGUMENT;
    ensures (rights == 0 || rights > 7) ==> \result == BH_E_INVALID_ARGUMENT;
    ensures type != S2_MEM_NORMAL && type != S2_MEM_DEVICE ==> \result == BH_E_INVALID_ARGUMENT;
    ensures type == S2_MEM_DEVICE && (rights & 4) != 0 ==> \result == BH_E_INVALID_ARGUMENT;
    ensures \result == BH_OK ==>
        (size == 4096 ==> *level == 3) && (size == 2097152 ==> *level == 2) &&
        1 <= rights <= 7 && (type == S2_MEM_NORMAL || type == S2_MEM_DEVICE) &&
        !(type == S2_MEM_DEVICE && (rights & 4) != 0) &&
        ipa.ipa + size <= 0x10000000000 && pa.pa + size <= 0x1000000000000 &&
        ipa.ipa % size == 0 && pa.pa % size == 0;
    ensures \result == BH_E_RANGE ==>
        ipa.ipa + size > 0x10000000000 || pa.pa + size > 0x1000000000000;
    ensures \result == BH_E_ALIGNMENT ==> ipa.ipa % size != 0 || pa.pa % size != 0; */
bh_error_t s2_map_check(ipaddr_t ipa, paddr_t pa, uint64_t size, unsigned rights, s2_memtype_t type,
                        unsigned *level);

/* ---- the table tree, for the proofs ----
 * kva_table(pa): the descriptors of the table at physical address pa, at its
 * kernel virtual address (the identity phys mapping; see s2_table_entries).
 * s2_root_ok(r): the root is valid, every table descriptor in it points to a
 * valid level-2 table, and every table descriptor in those to a valid
 * level-3 table (512 entries each): the tables the walks follow are memory.
 * s2_walk_l(r, ipa, l): the table holding the level-l entry for ipa, reached
 * from the root through table descriptors (meaningful when s2_walk_ok says
 * the entries on the way are table descriptors). s2_leaf_level_l: the level
 * of the leaf (block or page) descriptor that maps ipa, 0 if none. */
/*@ axiomatic KernelVirtualTables {
      logic s2_desc_t *kva_table(integer pa);
    }
    logic integer s2_table_oa(integer d) = (d / 4096) % 0x1000000000 * 4096;
    logic integer s2_idx_l(integer ipa, integer level) =
      level == 1 ? (ipa / 1073741824) % 1024 :
      level == 2 ? (ipa / 2097152) % 512 : (ipa / 4096) % 512;
    logic integer s2_entries_l(integer level) = level == 1 ? 1024 : 512;
    predicate s2_is_table_l(integer d) = d % 4 == 3;

    predicate s2_l3_ok{L}(integer pa) = \valid(kva_table(pa) + (0 .. 511));
    predicate s2_l2_ok{L}(integer pa) =
      \valid(kva_table(pa) + (0 .. 511)) &&
      \forall integer i; 0 <= i < 512 && s2_is_table_l(kva_table(pa)[i]) ==>
        s2_l3_ok(s2_table_oa(kva_table(pa)[i]));
    predicate s2_root_ok{L}(s2_root_t *r) =
      \valid(r) &&
      \forall integer i; 0 <= i < 1024 && s2_is_table_l(r->entry[i]) ==>
        s2_l2_ok(s2_table_oa(r->entry[i]));

    logic s2_desc_t *s2_walk_l{L}(s2_root_t *r, integer ipa, integer level) =
      level <= 1 ? &r->entry[0] :
      level == 2 ? kva_table(s2_table_oa(r->entry[s2_idx_l(ipa, 1)])) :
      kva_table(s2_table_oa(kva_table(s2_table_oa(r->entry[s2_idx_l(ipa, 1)]))[s2_idx_l(ipa, 2)]));
    logic s2_desc_t s2_entry_l{L}(s2_root_t *r, integer ipa, integer level) =
      s2_walk_l(r, ipa, level)[s2_idx_l(ipa, level)];
    predicate s2_walk_ok{L}(s2_root_t *r, integer ipa, integer level) =
      (level >= 2 ==> s2_is_table_l(s2_entry_l(r, ipa, 1))) &&
      (level >= 3 ==> s2_is_table_l(s2_entry_l(r, ipa, 2)));
    logic integer s2_leaf_level_l{L}(s2_root_t *r, integer ipa) =
      s2_entry_l(r, ipa, 1) % 4 == 1 ? 1 :
      s2_entry_l(r, ipa, 1) % 4 != 3 ? 0 :
      s2_entry_l(r, ipa, 2) % 4 == 1 ? 2 :
      s2_entry_l(r, ipa, 2) % 4 != 3 ? 0 :
      s2_entry_l(r, ipa, 3) % 4 == 3 ? 3 : 0;

    // t is not part of the tree of r: apart from the root and from every
    // level-2 and level-3 table a table descriptor of the tree points to.
    predicate s2_table_apart{L}(s2_root_t *r, s2_table_t *t) =
      \separated(t, r) &&
      \forall integer i; 0 <= i < 1024 && s2_is_table_l(r->entry[i]) ==>
        \separated(t, kva_table(s2_table_oa(r->entry[i])) + (0 .. 511)) &&
        \forall integer j; 0 <= j < 512 &&
          s2_is_table_l(kva_table(s2_table_oa(r->entry[i]))[j]) ==>
          \separated(t, kva_table(s2_table_oa(kva_table(s2_table_oa(r->entry[i]))[j])) + (0 .. 511));
    // Entry p is in neither the root nor any level-2 table of r's tree: a
    // page descriptor (whose low bits are a table descriptor's) stored at p
    // is never read as a table descriptor by the walks.
    predicate s2_entry_apart{L}(s2_root_t *r, s2_desc_t *p) =
      \separated(p, r) &&
      \forall integer i; 0 <= i < 1024 && s2_is_table_l(r->entry[i]) ==>
        \separated(p, kva_table(s2_table_oa(r->entry[i])) + (0 .. 511));
    // The same for the record s2_unmap fills.
    predicate s2_mapping_apart{L}(s2_root_t *r, s2_mapping_t *m) =
      \separated(m, r) &&
      \forall integer i; 0 <= i < 1024 && s2_is_table_l(r->entry[i]) ==>
        \separated(m, kva_table(s2_table_oa(r->entry[i])) + (0 .. 511)) &&
        \forall integer j; 0 <= j < 512 &&
          s2_is_table_l(kva_table(s2_table_oa(r->entry[i]))[j]) ==>
          \separated(m, kva_table(s2_table_oa(kva_table(s2_table_oa(r->entry[i]))[j])) + (0 .. 511));
*/

/* The descriptors of the table at pa (pa_to_kva; vm/src/s2_kva.c). Not
 * proved: WP's typed memory model cannot follow the integer-to-pointer cast,
 * so this contract, which only names the result, is an assumption; what the
 * walks need of that memory is s2_root_ok, a precondition. */
/*@ assigns \nothing;
    ensures \result == kva_table(pa.pa); */
s2_desc_t *s2_table_entries(paddr_t pa);

/* The physical address of a PageTable object (kva_to_pa; vm/src/s2_kva.c):
 * assumed, the inverse of s2_table_entries. */
/*@ assigns \nothing;
    ensures kva_table(\result.pa) == &t->entry[0]; */
paddr_t s2_table_pa(const s2_table_t *t);

/* The PageTable object at pa (pa_to_kva; vm/src/s2_kva.c): assumed, as
 * s2_table_entries; the contract only names the result (kva_pt, an
 * uninterpreted typed view): what a caller needs of that memory is its
 * precondition. */
/*@ axiomatic KernelVirtualPageTables {
      logic s2_table_t *kva_pt(integer pa);
    }
*/
/*@ assigns \nothing;
    ensures \result == kva_pt(pa.pa); */
s2_table_t *s2_table_at(paddr_t pa);

/* The physical address of a root (kva_to_pa; vm/src/s2_kva.c): assumed; the
 * contract only names the result (s2_root_pa_l, uninterpreted). */
/*@ assigns \nothing;
    ensures \result.pa == s2_root_pa_l(r); */
paddr_t s2_root_pa(const s2_root_t *r);

/* ---- address-space operations ---- */

/* Zeroes the root and records the VMID. BH_E_ALIGNMENT if the root is not
 * 8 KiB aligned. */
/* Contract: on BH_OK the root is all invalid entries, so the tree invariant
 * s2_root_ok holds from the start. */
/*@ requires \valid(s) && \valid(root) && \separated(s, root);
    assigns root->entry[0 .. S2_ROOT_ENTRIES - 1], s->root, s->vmid;
    ensures \result == BH_OK || \result == BH_E_ALIGNMENT;
    ensures \result == BH_OK ==>
      s->root == root && s->vmid == vmid && s2_root_ok(root) &&
      (\forall integer i; 0 <= i < S2_ROOT_ENTRIES ==> root->entry[i] == 0);
    ensures \result != BH_OK ==> s->root == \old(s->root) && s->vmid == \old(s->vmid); */
bh_error_t s2_space_init(s2_space_t *s, s2_root_t *root, uint16_t vmid);

/* Install `table` (zeroed here) as the level-`level` table (2 or 3) covering
 * `ipa`. Errors: BH_E_INVALID_ARGUMENT (level), BH_E_RANGE (ipa), BH_E_ALIGNMENT
 * (table not 4 KiB aligned), BH_E_LOOKUP_FAILED with *missing_level = the level
 * whose table must be installed first, BH_E_MAPPING_EXISTS if a table or a
 * block already covers that range. */
/* Contract: on BH_OK the table is zeroed and exactly one descriptor of the
 * tree changed: the invalid level-(`level` - 1) entry for ipa (in the table
 * the walk reaches) is now a table descriptor for the table. The table must
 * not be part of the tree yet (s2_table_apart: zeroing a live table would drop
 * mappings without TLB maintenance). The tree stays well formed (s2_root_ok).
 * On error nothing changed. */
/*@ requires \valid_read(s) && s2_root_ok(s->root) && \valid(table);
    requires \separated(table, s, s2_walk_l(s->root, ipa.ipa, level - 1) + (0 .. 1023));
    requires s2_table_apart(s->root, table);
    requires missing_level == \null || \valid(missing_level);
    requires missing_level == \null ||
             \separated(missing_level, table, s2_walk_l(s->root, ipa.ipa, level - 1) + (0 .. 1023));
    assigns table->entry[0 .. S2_TABLE_ENTRIES - 1], *missing_level;
    assigns s2_walk_l{Pre}(s->root, ipa.ipa, level - 1)[s2_idx_l(ipa.ipa, level - 1)];
    ensures \let e = s2_walk_l{Pre}(s->root, ipa.ipa, level - 1)[s2_idx_l(ipa.ipa, level - 1)];
      \result == BH_OK ==>
        2 <= level <= 3 && ipa.ipa < 0x10000000000 &&
        s2_walk_ok{Pre}(s->root, ipa.ipa, level - 1) &&
        s2_entry_l{Pre}(s->root, ipa.ipa, level - 1) % 2 == 0 &&
        s2_is_table_l(e) && kva_table(s2_table_oa(e)) == &table->entry[0] &&
        (\forall integer i; 0 <= i < S2_TABLE_ENTRIES ==> table->entry[i] == 0);
    ensures \result != BH_OK ==>
      s2_walk_l{Pre}(s->root, ipa.ipa, level - 1)[s2_idx_l(ipa.ipa, level - 1)] ==
      s2_entry_l{Pre}(s->root, ipa.ipa, level - 1);
    ensures s2_root_ok(s->root); */
bh_error_t s2_install_table(s2_space_t *s, ipaddr_t ipa, unsigned level, s2_table_t *table,
                            unsigned *missing_level);

/* Unlink the level-`level` table covering `ipa` (whatever it still maps becomes
 * unreachable) and invalidate the VMID. BH_E_NOT_MAPPED if there is none. */
/* Contract: on BH_OK exactly one descriptor changed: the table descriptor for
 * ipa at level `level` - 1 (in the table the walk reaches), now 0; *table_pa
 * (if given) is the table's address. On error nothing changed. Either way the
 * tree stays well formed (s2_root_ok). */
/*@ requires \valid_read(s) && s2_root_ok(s->root);
    requires table_pa == \null || \valid(table_pa);
    requires table_pa == \null ||
             \separated(table_pa, s, s2_walk_l(s->root, ipa.ipa, level - 1) + (0 .. 1023));
    assigns s2_walk_l{Pre}(s->root, ipa.ipa, level - 1)[s2_idx_l(ipa.ipa, level - 1)];
    assigns *table_pa;
    ensures \let e = s2_walk_l{Pre}(s->root, ipa.ipa, level - 1)[s2_idx_l(ipa.ipa, level - 1)];
      \result == BH_OK ==>
        2 <= level <= 3 && ipa.ipa < 0x10000000000 &&
        s2_walk_ok{Pre}(s->root, ipa.ipa, level - 1) &&
        s2_is_table_l(s2_entry_l{Pre}(s->root, ipa.ipa, level - 1)) && e == 0 &&
        (table_pa != \null ==>
           table_pa->pa == s2_table_oa(s2_entry_l{Pre}(s->root, ipa.ipa, level - 1)));
    ensures \result != BH_OK ==>
      s2_walk_l{Pre}(s->root, ipa.ipa, level - 1)[s2_idx_l(ipa.ipa, level - 1)] ==
      s2_entry_l{Pre}(s->root, ipa.ipa, level - 1);
    ensures s2_root_ok(s->root); */
bh_error_t s2_remove_table(s2_space_t *s, ipaddr_t ipa, unsigned level, paddr_t *table_pa);

/* Map `size` (S2_PAGE_SIZE or S2_BLOCK_SIZE) at `ipa` to `pa`. Errors:
 * BH_E_INVALID_ARGUMENT (size, rights == 0 or unknown bits, type, execute on
 * Device), BH_E_RANGE (ipa or pa beyond the limits), BH_E_ALIGNMENT (ipa or pa
 * not aligned to size), BH_E_LOOKUP_FAILED (+ *missing_level), BH_E_MAPPING_EXISTS
 * (the entry is valid, or a block covers the page: blocks are never split). */
/* Contract: on BH_OK exactly one descriptor changed, the level-3 (4 KiB) or
 * level-2 (2 MiB) entry for ipa in the table the walk from the root reaches,
 * which was invalid and now maps [pa, pa + size) with the rights and memory
 * type asked for (the fields per s2_encode_leaf); on error, no entry changed.
 * Either way the tree stays well formed (s2_root_ok). A page descriptor has a
 * table descriptor's low bits, so the level-3 table written must be apart
 * from the root and the level-2 tables (s2_entry_apart; PageTable objects
 * are distinct objects). */
/*@ requires \valid_read(s) && s2_root_ok(s->root);
    requires size == 4096 && s2_walk_ok(s->root, ipa.ipa, 3) ==>
             s2_entry_apart(s->root, s2_walk_l(s->root, ipa.ipa, 3) + s2_idx_l(ipa.ipa, 3));
    requires missing_level == \null || \valid(missing_level);
    requires missing_level == \null ||
             \separated(missing_level, s2_walk_l(s->root, ipa.ipa, size == 4096 ? 3 : 2) + (0 .. 1023));
    assigns s2_walk_l{Pre}(s->root, ipa.ipa, size == 4096 ? 3 : 2)[s2_idx_l(ipa.ipa, size == 4096 ? 3 : 2)];
    assigns *missing_level;
    ensures \let lv = size == 4096 ? 3 : 2;
      \let e = s2_walk_l{Pre}(s->root, ipa.ipa, lv)[s2_idx_l(ipa.ipa, lv)];
      \result == BH_OK ==>
        (size == 4096 || size == 2097152) && s2_walk_ok{Pre}(s->root, ipa.ipa, lv) &&
        s2_entry_l{Pre}(s->root, ipa.ipa, lv) % 2 == 0 &&
        e % 4 == (lv == 3 ? 3 : 1) && (e / 4096) % 0x1000000000 * 4096 == pa.pa &&
        (e / 4) % 16 == (type == S2_MEM_NORMAL ? 15 : 1) &&
        (e / 64) % 2 == ((rights & 1) != 0 ? 1 : 0) && (e / 128) % 2 == ((rights & 2) != 0 ? 1 : 0) &&
        (e / 0x20000000000000) % 4 == ((rights & 4) != 0 ? 0 : 2);
    ensures \let lv = size == 4096 ? 3 : 2;
      \result != BH_OK ==>
        s2_walk_l{Pre}(s->root, ipa.ipa, lv)[s2_idx_l(ipa.ipa, lv)] == s2_entry_l{Pre}(s->root, ipa.ipa, lv);
    ensures s2_root_ok(s->root); */
bh_error_t s2_map(s2_space_t *s, ipaddr_t ipa, paddr_t pa, uint64_t size, unsigned rights,
                  s2_memtype_t type, unsigned *missing_level);

/* Clear the leaf whose base is `ipa`, invalidate it, return it in *old (may be
 * NULL). BH_E_NOT_MAPPED if no leaf covers ipa, BH_E_ALIGNMENT if ipa is not
 * the base of the leaf that covers it, BH_E_RANGE. */
/* Contract: on BH_OK exactly one descriptor changed: the leaf that maps ipa
 * (at the level s2_leaf_level_l says, in the table the walk reaches) is now
 * 0, ipa is its base, and *old (if given) has the removed descriptor and its
 * level; on error no entry changed. Either way the tree stays well formed
 * (s2_root_ok; *old must not be table memory of the tree). */
/*@ requires \valid_read(s) && s2_root_ok(s->root);
    requires old == \null || \valid(old);
    requires old == \null || \separated(old, s,
      s2_walk_l(s->root, ipa.ipa, s2_leaf_level_l(s->root, ipa.ipa)) + (0 .. 1023));
    requires old == \null || s2_mapping_apart(s->root, old);
    assigns s2_walk_l{Pre}(s->root, ipa.ipa, s2_leaf_level_l{Pre}(s->root, ipa.ipa))
              [s2_idx_l(ipa.ipa, s2_leaf_level_l{Pre}(s->root, ipa.ipa))];
    assigns *old;
    ensures \let lv = s2_leaf_level_l{Pre}(s->root, ipa.ipa);
      \let e = s2_walk_l{Pre}(s->root, ipa.ipa, lv)[s2_idx_l(ipa.ipa, lv)];
      \result == BH_OK ==>
        ipa.ipa < 0x10000000000 && lv != 0 && e == 0 &&
        ipa.ipa % (lv == 1 ? 0x40000000 : lv == 2 ? 0x200000 : 0x1000) == 0 &&
        (old != \null ==> old->desc == s2_entry_l{Pre}(s->root, ipa.ipa, lv) && old->level == lv &&
                          old->base.ipa == ipa.ipa);
    ensures \result == BH_E_NOT_MAPPED ==> s2_leaf_level_l{Pre}(s->root, ipa.ipa) == 0;
    ensures \let lv = s2_leaf_level_l{Pre}(s->root, ipa.ipa);
      \result != BH_OK && lv != 0 ==>
        s2_walk_l{Pre}(s->root, ipa.ipa, lv)[s2_idx_l(ipa.ipa, lv)] == s2_entry_l{Pre}(s->root, ipa.ipa, lv);
    ensures s2_root_ok(s->root); */
bh_error_t s2_unmap(s2_space_t *s, ipaddr_t ipa, s2_mapping_t *old);

/* Translate any IPA. BH_E_NOT_MAPPED, BH_E_RANGE. */
/*@ requires \valid_read(s) && s2_root_ok(s->root) && \valid(out);
    assigns *out;
    ensures \result == BH_OK || \result == BH_E_RANGE || \result == BH_E_NOT_MAPPED;
    ensures \result == BH_OK <==>
      ipa.ipa < 0x10000000000 && s2_leaf_level_l{Pre}(\old(s->root), ipa.ipa) != 0;
    ensures \result == BH_OK ==>
      out->desc == s2_entry_l{Pre}(\old(s->root), ipa.ipa, s2_leaf_level_l{Pre}(\old(s->root), ipa.ipa)) &&
      out->level == s2_leaf_level_l{Pre}(\old(s->root), ipa.ipa);
    ensures \let lv = s2_leaf_level_l{Pre}(\old(s->root), ipa.ipa);
      \result == BH_OK ==>
        out->base.ipa == ipa.ipa - ipa.ipa % (lv == 1 ? 0x40000000 : lv == 2 ? 0x200000 : 0x1000); */
bh_error_t s2_lookup(const s2_space_t *s, ipaddr_t ipa, s2_mapping_t *out);

/* ---- unmapping a capability's recorded mapping ----
 * A capability's record may be stale (the table it went through was removed
 * and another installed), so these change the tree only when it still holds
 * the capability's object there. */

/* s2_leaf_oa_l(d, level): the output address of the level-`level` leaf d
 * (s2_desc_oa). */
/*@ logic integer s2_leaf_oa_l(integer d, integer level) =
      level == 1 ? (d / 0x40000000) % 0x40000 * 0x40000000 :
      level == 2 ? (d / 0x200000) % 0x8000000 * 0x200000 : (d / 0x1000) % 0x1000000000 * 0x1000;
*/

/* Clear the leaf covering `ipa` if it maps `pa` (its output address) and
 * invalidate it: s2_lookup then s2_unmap at the leaf's base, without the
 * records. BH_E_NOT_MAPPED if no leaf covers ipa or it maps other memory,
 * BH_E_RANGE. */
/* Contract: BH_OK exactly when the leaf that maps ipa has output address pa;
 * then that leaf (at the level s2_leaf_level_l says) is 0, else it is
 * unchanged; no other descriptor changes; the tree stays well formed. */
/*@ requires \valid_read(s) && s2_root_ok(s->root);
    assigns s2_walk_l{Pre}(s->root, ipa.ipa, s2_leaf_level_l{Pre}(s->root, ipa.ipa))
              [s2_idx_l(ipa.ipa, s2_leaf_level_l{Pre}(s->root, ipa.ipa))];
    ensures \result == BH_OK || \result == BH_E_RANGE || \result == BH_E_NOT_MAPPED;
    ensures \let lv = s2_leaf_level_l{Pre}(s->root, ipa.ipa);
      \result == BH_OK <==>
        ipa.ipa < 0x10000000000 && lv != 0 && s2_leaf_oa_l(s2_entry_l{Pre}(s->root, ipa.ipa, lv), lv) == pa.pa;
    ensures \let lv = s2_leaf_level_l{Pre}(s->root, ipa.ipa);
      \let e = s2_walk_l{Pre}(s->root, ipa.ipa, lv)[s2_idx_l(ipa.ipa, lv)];
      (\result == BH_OK ==> e == 0) && (\result != BH_OK ==> e == s2_entry_l{Pre}(s->root, ipa.ipa, lv));
    ensures s2_root_ok(s->root); */
bh_error_t s2_unmap_pa(s2_space_t *s, ipaddr_t ipa, paddr_t pa);

/* Unlink the level-`level` table (2 or 3) covering `ipa` if it is the table
 * at `table_pa`, and invalidate the VMID: s2_remove_table, refusing another
 * table. BH_E_NOT_MAPPED if no table or another one is linked there,
 * BH_E_INVALID_ARGUMENT (level), BH_E_RANGE. */
/* Contract: BH_OK exactly when the level-(`level` - 1) entry for ipa is a
 * table descriptor for table_pa; then it is 0, else unchanged; no other
 * descriptor changes; the tree stays well formed. */
/*@ requires \valid_read(s) && s2_root_ok(s->root);
    assigns s2_walk_l{Pre}(s->root, ipa.ipa, level - 1)[s2_idx_l(ipa.ipa, level - 1)];
    ensures \result == BH_OK || \result == BH_E_NOT_MAPPED || \result == BH_E_INVALID_ARGUMENT ||
            \result == BH_E_RANGE;
    ensures \let e = s2_entry_l{Pre}(s->root, ipa.ipa, level - 1);
      \result == BH_OK <==>
        2 <= level <= 3 && ipa.ipa < 0x10000000000 && s2_walk_ok{Pre}(s->root, ipa.ipa, level - 1) &&
        s2_is_table_l(e) && s2_table_oa(e) == table_pa.pa;
    ensures \let e = s2_walk_l{Pre}(s->root, ipa.ipa, level - 1)[s2_idx_l(ipa.ipa, level - 1)];
      (\result == BH_OK ==> e == 0) &&
      (\result != BH_OK ==> e == s2_entry_l{Pre}(s->root, ipa.ipa, level - 1));
    ensures s2_root_ok(s->root); */
bh_error_t s2_remove_table_pa(s2_space_t *s, ipaddr_t ipa, unsigned level, paddr_t table_pa);

#endif
