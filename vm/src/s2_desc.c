/*
 * Stage-2 descriptor encoding and single-entry table writes: the proved core
 * of vm/ (proofs/core-paths.txt). Field arithmetic is written with / % + on
 * disjoint fields instead of >> & |: the compiler emits the same shifts and
 * masks, and WP reasons about integer arithmetic far better than about bits.
 */
#include <vm/stage2.h>

uint64_t s2_vtcr(unsigned pa_range)
{
    /* Descriptors hold 48-bit output addresses: never advertise more. */
    uint64_t ps = pa_range > 5u ? 5u : pa_range;
    /* RES1 bit 31, SH0=0b11, ORGN0=0b01, IRGN0=0b01, SL0=0b01, T0SZ=24. */
    return 0x80003558u + ps * 0x10000u;
}

unsigned s2_level_shift(unsigned level)
{
    return 39u - 9u * level;
}

size_t s2_index(ipaddr_t ipa, unsigned level)
{
    uint64_t a = ipa_addr(ipa);
    if (level == 1u) {
        return (size_t)((a / 0x40000000u) % 1024u);
    }
    if (level == 2u) {
        return (size_t)((a / 0x200000u) % 512u);
    }
    return (size_t)((a / 0x1000u) % 512u);
}

s2_desc_t s2_encode_leaf(paddr_t pa, unsigned level, unsigned rights, s2_memtype_t type)
{
    s2_desc_t d = pa_addr(pa) + S2_AF;
    d += (level == S2_LAST_LEVEL) ? S2_DESC_TYPE_TABLE : S2_DESC_TYPE_BLOCK;
    if (type == S2_MEM_NORMAL) {
        d += S2_MEMATTR_NORMAL_WB + S2_SH_INNER;
    } else {
        d += S2_MEMATTR_DEVICE_NGNRE + S2_SH_OUTER;
    }
    if ((rights & S2_RIGHT_READ) != 0u) {
        d += S2_S2AP_R;
    }
    if ((rights & S2_RIGHT_WRITE) != 0u) {
        d += S2_S2AP_W;
    }
    if ((rights & S2_RIGHT_EXEC) == 0u) {
        d += S2_XN_NEVER;
    }
    return d;
}

s2_desc_t s2_encode_table(paddr_t table_pa)
{
    return pa_addr(table_pa) + S2_DESC_TYPE_TABLE;
}

bool s2_desc_is_valid(s2_desc_t d)
{
    return d % 2u == 1u;
}

bool s2_desc_is_table(s2_desc_t d, unsigned level)
{
    return level < S2_LAST_LEVEL && d % 4u == 3u;
}

bool s2_desc_is_leaf(s2_desc_t d, unsigned level)
{
    if (level == S2_LAST_LEVEL) {
        return d % 4u == 3u;
    }
    return d % 4u == 1u;
}

unsigned s2_desc_rights(s2_desc_t d)
{
    unsigned r = 0u;
    if ((d / 0x40u) % 2u == 1u) {
        r += S2_RIGHT_READ;
    }
    if ((d / 0x80u) % 2u == 1u) {
        r += S2_RIGHT_WRITE;
    }
    /* XN[1:0] == 0b00 is the only value that lets both EL1 and EL0 execute. */
    if ((d / 0x20000000000000u) % 4u == 0u) {
        r += S2_RIGHT_EXEC;
    }
    return r;
}

s2_memtype_t s2_desc_memtype(s2_desc_t d)
{
    /* MemAttr[3:2] == 0b00 is Device memory, anything else Normal. */
    if ((d / 0x10u) % 4u == 0u) {
        return S2_MEM_DEVICE;
    }
    return S2_MEM_NORMAL;
}

paddr_t s2_desc_oa(s2_desc_t d, unsigned level)
{
    if (level == 1u) {
        return pa_init((d / 0x40000000u) % 0x40000u * 0x40000000u);
    }
    if (level == 2u) {
        return pa_init((d / 0x200000u) % 0x8000000u * 0x200000u);
    }
    return pa_init((d / 0x1000u) % 0x1000000000u * 0x1000u);
}

/* A descriptor is one naturally aligned 64-bit store, single-copy atomic for
 * the table walker (Arm ARM B2.2.1); the barrier is the caller's job. */
void s2_entry_set(s2_desc_t *table, size_t n, size_t idx, s2_desc_t d)
{
    (void)n;
    table[idx] = d;
}

s2_desc_t s2_entry_clear(s2_desc_t *table, size_t n, size_t idx)
{
    (void)n;
    s2_desc_t old = table[idx];
    table[idx] = 0u;
    return old;
}

void s2_entries_zero(s2_desc_t *table, size_t n)
{
    /*@ loop invariant 0 <= i <= n;
        loop invariant \forall integer j; 0 <= j < i ==> table[j] == 0;
        loop assigns i, table[0 .. n - 1];
        loop variant n - i; */
    for (size_t i = 0u; i < n; i++) {
        table[i] = 0u;
    }
}

/* s2_map_check in two halves, so that no proof goal carries every branch of
 * both (Qed spent seconds simplifying the merged paths). First the
 * arguments, in s2_map's order: size (and the leaf level), rights, type. */
/*@ requires \valid(level);
    assigns *level;
    ensures \result == BH_OK || \result == BH_E_INVALID_ARGUMENT;
    ensures size != 4096 && size != 2097152 ==> \result == BH_E_INVALID_ARGUMENT;
    ensures (rights == 0 || rights > 7) ==> \result == BH_E_INVALID_ARGUMENT;
    ensures type != S2_MEM_NORMAL && type != S2_MEM_DEVICE ==> \result == BH_E_INVALID_ARGUMENT;
    ensures type == S2_MEM_DEVICE && (rights & 4) != 0 ==> \result == BH_E_INVALID_ARGUMENT;
    ensures \result == BH_OK ==>
        (size == 4096 || size == 2097152) &&
        (size == 4096 ==> *level == 3) && (size == 2097152 ==> *level == 2) &&
        1 <= rights <= 7 && (type == S2_MEM_NORMAL || type == S2_MEM_DEVICE) &&
        !(type == S2_MEM_DEVICE && (rights & 4) != 0); */
static bh_error_t map_args_check(uint64_t size, unsigned rights, s2_memtype_t type, unsigned *level)
{
    if (size == S2_PAGE_SIZE) {
        *level = 3u;
    } else if (size == S2_BLOCK_SIZE) {
        *level = 2u;
    } else {
        return BH_E_INVALID_ARGUMENT;
    }
    if (rights == 0u || rights > S2_RIGHTS_ALL) {
        return BH_E_INVALID_ARGUMENT;
    }
    if (type != S2_MEM_NORMAL && type != S2_MEM_DEVICE) {
        return BH_E_INVALID_ARGUMENT;
    }
    /* Speculative instruction fetch from MMIO is never wanted. */
    if (type == S2_MEM_DEVICE && (rights & S2_RIGHT_EXEC) != 0u) {
        return BH_E_INVALID_ARGUMENT;
    }
    return BH_OK;
}

/* Then the placement: both ranges inside the address spaces, then both
 * addresses aligned to the size. */
/*@ requires size == 4096 || size == 2097152;
    assigns \nothing;
    ensures \result == BH_OK || \result == BH_E_RANGE || \result == BH_E_ALIGNMENT;
    ensures \result == BH_OK ==> a + size <= 0x10000000000 && p + size <= 0x1000000000000 &&
                                 a % size == 0 && p % size == 0;
    ensures \result == BH_E_RANGE ==> a + size > 0x10000000000 || p + size > 0x1000000000000;
    ensures \result == BH_E_ALIGNMENT ==> a % size != 0 || p % size != 0; */
static bh_error_t map_place_check(uint64_t a, uint64_t p, uint64_t size)
{
    if (a >= S2_IPA_LIMIT || S2_IPA_LIMIT - a < size || p >= S2_PA_LIMIT ||
        S2_PA_LIMIT - p < size) {
        return BH_E_RANGE;
    }
    if (a % size != 0u || p % size != 0u) {
        return BH_E_ALIGNMENT;
    }
    return BH_OK;
}

bh_error_t s2_map_check(ipaddr_t ipa, paddr_t pa, uint64_t size, unsigned rights, s2_memtype_t type,
                        unsigned *level)
{
    bh_error_t err = map_args_check(size, rights, type, level);
    if (err != BH_OK) {
        return err;
    }
    return map_place_check(ipa_addr(ipa), pa_addr(pa), size);
}
