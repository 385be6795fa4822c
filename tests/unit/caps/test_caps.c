/* cmocka tests for caps/: every operation, every error path, resulting state. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <caps/cdt.h>
#include <caps/cnode.h>
#include <caps/cspace.h>
#include <caps/invocation.h>
#include <caps/untyped.h>
#include <kernel/phys.h>

#include "finalise_double.h"

#define ARENA_BITS 20u
#define BOOT_RADIX 6u
#define BOOT_SLOTS (1u << BOOT_RADIX)

static uint8_t *arena;
static cte_t root;                                            /* root untyped */
static cte_t boot[BOOT_SLOTS] __attribute__((aligned(2048))); /* boot CNode */
static cte_t other[BOOT_SLOTS] __attribute__((aligned(2048)));

static cap_t cnode_cap(cte_t *slots, uint32_t radix, uint64_t guard, uint32_t gsize)
{
    cap_t c = cap_make(BH_OBJ_CNODE, kva_to_pa(slots), BH_RIGHTS_ALL, true);
    c.w1 = radix;
    return cap_cnode_set_guard(c, guard, gsize);
}

static cap_t boot_cap(void)
{
    return cnode_cap(boot, BOOT_RADIX, 0, 0);
}

static uint64_t ut_base(void)
{
    return pa_addr(kva_to_pa(arena));
}

static int setup(void **state)
{
    (void)state;
    if (arena == NULL) {
        arena = aligned_alloc(1u << ARENA_BITS, 1u << ARENA_BITS);
    }
    memset(arena, 0xAA, 1u << ARENA_BITS);
    memset(boot, 0, sizeof(boot));
    memset(other, 0, sizeof(other));
    memset(&root, 0, sizeof(root));
    fin_reset();
    caps_untyped_root(&root, kva_to_pa(arena), ARENA_BITS, false);
    return 0;
}

static void retype_ok(bh_objtype_t t, uint32_t bits, uint64_t off, uint64_t n)
{
    assert_int_equal(caps_retype(&root, t, bits, boot_cap(), off, n), BH_OK);
}

static bool all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        if (b[i] != 0) {
            return false;
        }
    }
    return true;
}

/* ---- objects and slots ---- */

static void test_sizes(void **state)
{
    (void)state;
    assert_int_equal(sizeof(cte_t), 32);
    assert_int_equal(caps_object_size_bits(BH_OBJ_TCB, 0), 11);
    assert_int_equal(caps_object_size_bits(BH_OBJ_ENDPOINT, 0), 4);
    assert_int_equal(caps_object_size_bits(BH_OBJ_NOTIFICATION, 0), 5);
    assert_int_equal(caps_object_size_bits(BH_OBJ_REPLY, 0), 5);
    assert_int_equal(caps_object_size_bits(BH_OBJ_SCHED_CONTEXT, 0), 8);
    assert_int_equal(caps_object_size_bits(BH_OBJ_CNODE, 4), 9);
    assert_int_equal(caps_object_size_bits(BH_OBJ_FRAME_2M, 0), 21);
    assert_int_equal(caps_object_size_bits(BH_OBJ_VCPU, 0), 12);
    assert_int_equal(caps_object_size_bits(BH_OBJ_UNTYPED, 13), 13);
    assert_int_equal(caps_object_size_bits(BH_OBJ_IRQ_HANDLER, 0), 0);
}

/* ---- retype ---- */

static void test_retype_basic(void **state)
{
    (void)state;
    retype_ok(BH_OBJ_ENDPOINT, 0, 3, 4);
    cte_t *prev = &root;
    for (unsigned i = 0; i < 4; i++) {
        cap_t c = boot[3 + i].cap;
        assert_int_equal(cap_type(c), BH_OBJ_ENDPOINT);
        assert_int_equal(pa_addr(cap_obj(c)), ut_base() + 16 * i);
        assert_true(cap_is_original(c));
        assert_int_equal(cap_rights(c), BH_RIGHTS_ALL);
        assert_int_equal(cap_badge(c), 0);
        assert_ptr_equal(boot[3 + i].prev, prev);
        assert_ptr_equal(prev->next, &boot[3 + i]);
        prev = &boot[3 + i];
    }
    assert_null(boot[6].next);
    assert_int_equal(cap_ut_free_index(root.cap), 64);
    assert_true(all_zero(arena, 64));
    assert_int_equal(arena[64], 0xAA); /* nothing beyond the objects touched */
    assert_true(cdt_has_children(&root));
    assert_false(cdt_has_children(&boot[3]));
}

static void test_retype_alignment_and_watermark(void **state)
{
    (void)state;
    retype_ok(BH_OBJ_ENDPOINT, 0, 0, 1);
    retype_ok(BH_OBJ_TCB, 0, 1, 1);
    assert_int_equal(pa_addr(cap_obj(boot[1].cap)), ut_base() + 2048);
    assert_int_equal(cap_ut_free_index(root.cap), 4096);
    retype_ok(BH_OBJ_CNODE, 3, 2, 1);
    assert_int_equal(cap_cnode_radix(boot[2].cap), 3);
    assert_int_equal(pa_addr(cap_obj(boot[2].cap)), ut_base() + 4096);
    assert_true(all_zero(arena + 4096, 256));
    /* New objects go directly after the untyped on the list. */
    assert_ptr_equal(root.next, &boot[2]);
    /* Watermark only moves forward while children exist. */
    assert_int_equal(caps_delete(&boot[1], 10), BH_OK);
    retype_ok(BH_OBJ_ENDPOINT, 0, 1, 1);
    assert_int_equal(pa_addr(cap_obj(boot[1].cap)), ut_base() + 4096 + 256);
    /* No children left: retype starts again from the bottom. */
    assert_int_equal(caps_delete(&boot[0], 10), BH_OK);
    assert_int_equal(caps_delete(&boot[1], 10), BH_OK);
    assert_int_equal(caps_delete(&boot[2], 10), BH_OK);
    assert_false(cdt_has_children(&root));
    retype_ok(BH_OBJ_NOTIFICATION, 0, 0, 1);
    assert_int_equal(pa_addr(cap_obj(boot[0].cap)), ut_base());
    assert_int_equal(cap_ut_free_index(root.cap), 32);
}

static void test_retype_untyped_child(void **state)
{
    (void)state;
    retype_ok(BH_OBJ_UNTYPED, 12, 0, 2);
    assert_int_equal(cap_type(boot[1].cap), BH_OBJ_UNTYPED);
    assert_int_equal(cap_ut_size_bits(boot[1].cap), 12);
    assert_int_equal(cap_ut_free_index(boot[1].cap), 0);
    assert_int_equal(pa_addr(cap_obj(boot[1].cap)), ut_base() + 4096);
    assert_int_equal(arena[0], 0xAA); /* untyped memory is zeroed when used */
    assert_int_equal(caps_retype(&boot[1], BH_OBJ_FRAME_4K, 0, boot_cap(), 2, 1), BH_OK);
    assert_int_equal(pa_addr(cap_obj(boot[2].cap)), ut_base() + 4096);
    assert_true(all_zero(arena + 4096, 4096));
    /* The frame is a descendant of both untypeds. */
    assert_true(cdt_is_parent_of(&root, &boot[2]));
    assert_true(cdt_is_parent_of(&boot[1], &boot[2]));
    assert_false(cdt_is_parent_of(&boot[0], &boot[2]));
    /* Too big for the child: does not fit at all. */
    assert_int_equal(caps_retype(&boot[1], BH_OBJ_FRAME_4K, 0, boot_cap(), 3, 1),
                     BH_E_REVOKE_FIRST);
    assert_int_equal(caps_retype(&boot[1], BH_OBJ_FRAME_4K, 0, boot_cap(), 3, 2),
                     BH_E_NOT_ENOUGH_MEMORY);
    assert_int_equal(caps_retype(&boot[1], BH_OBJ_UNTYPED, 13, boot_cap(), 3, 1),
                     BH_E_NOT_ENOUGH_MEMORY);
}

static void test_retype_device(void **state)
{
    (void)state;
    cte_t dev = {0};
    caps_untyped_root(&dev, pa_init(ut_base() + (1u << 19)), 16, true);
    assert_int_equal(caps_retype(&dev, BH_OBJ_ENDPOINT, 0, boot_cap(), 0, 1),
                     BH_E_INVALID_ARGUMENT);
    assert_int_equal(caps_retype(&dev, BH_OBJ_CNODE, 2, boot_cap(), 0, 1), BH_E_INVALID_ARGUMENT);
    assert_int_equal(caps_retype(&dev, BH_OBJ_FRAME_4K, 0, boot_cap(), 0, 1), BH_OK);
    assert_int_equal(arena[1u << 19], 0xAA);    /* device memory is never zeroed */
    assert_true(cap_ut_is_device(boot[0].cap)); /* a device frame stays Device when mapped */
    cte_t ram = {0};
    caps_untyped_root(&ram, pa_init(ut_base()), 16, false);
    assert_int_equal(caps_retype(&ram, BH_OBJ_FRAME_4K, 0, boot_cap(), 3, 1), BH_OK);
    assert_false(cap_ut_is_device(boot[3].cap));
    assert_int_equal(caps_retype(&dev, BH_OBJ_UNTYPED, 12, boot_cap(), 1, 1), BH_OK);
    assert_true(cap_ut_is_device(boot[1].cap));
    assert_int_equal(caps_retype(&boot[1], BH_OBJ_TCB, 0, boot_cap(), 2, 1), BH_E_INVALID_ARGUMENT);
}

static void test_retype_errors(void **state)
{
    (void)state;
    retype_ok(BH_OBJ_ENDPOINT, 0, 0, 1);
    cte_t boot_before[BOOT_SLOTS];
    memcpy(boot_before, boot, sizeof(boot));
    cap_t root_before = root.cap;
    struct {
        cte_t *ut;
        bh_objtype_t type;
        uint32_t bits;
        cap_t dest;
        uint64_t off, n;
        bh_error_t want;
    } cases[] = {
        {&boot[0], BH_OBJ_ENDPOINT, 0, boot_cap(), 1, 1, BH_E_INVALID_CAPABILITY},
        {&boot[5], BH_OBJ_ENDPOINT, 0, boot_cap(), 1, 1, BH_E_INVALID_CAPABILITY},
        {&root, BH_OBJ_NULL, 0, boot_cap(), 1, 1, BH_E_INVALID_ARGUMENT},
        {&root, BH_OBJ_IRQ_CONTROL, 0, boot_cap(), 1, 1, BH_E_INVALID_ARGUMENT},
        {&root, BH_OBJ_IRQ_HANDLER, 0, boot_cap(), 1, 1, BH_E_INVALID_ARGUMENT},
        {&root, BH_OBJ_COUNT, 0, boot_cap(), 1, 1, BH_E_INVALID_ARGUMENT},
        {&root, BH_OBJ_UNTYPED, 3, boot_cap(), 1, 1, BH_E_RANGE},
        {&root, BH_OBJ_UNTYPED, 48, boot_cap(), 1, 1, BH_E_RANGE},
        {&root, BH_OBJ_CNODE, 0, boot_cap(), 1, 1, BH_E_RANGE},
        {&root, BH_OBJ_CNODE, 17, boot_cap(), 1, 1, BH_E_RANGE},
        {&root, BH_OBJ_ENDPOINT, 0, boot_cap(), 1, 0, BH_E_RANGE},
        {&root, BH_OBJ_ENDPOINT, 0, boot_cap(), 1, 257, BH_E_RANGE},
        {&root, BH_OBJ_ENDPOINT, 0, boot[0].cap, 1, 1, BH_E_INVALID_CAPABILITY},
        {&root, BH_OBJ_ENDPOINT, 0, boot_cap(), BOOT_SLOTS, 1, BH_E_RANGE},
        {&root, BH_OBJ_ENDPOINT, 0, boot_cap(), BOOT_SLOTS - 2, 3, BH_E_RANGE},
        {&root, BH_OBJ_ENDPOINT, 0, boot_cap(), UINT64_MAX, 2, BH_E_RANGE},
        {&root, BH_OBJ_ENDPOINT, 0, boot_cap(), 0, 1, BH_E_DELETE_FIRST},
        {&root, BH_OBJ_UNTYPED, 20, boot_cap(), 1, 1, BH_E_REVOKE_FIRST},
        {&root, BH_OBJ_UNTYPED, 21, boot_cap(), 1, 1, BH_E_NOT_ENOUGH_MEMORY},
        {&root, BH_OBJ_FRAME_2M, 0, boot_cap(), 1, 1, BH_E_NOT_ENOUGH_MEMORY},
        {&root, BH_OBJ_UNTYPED, 19, boot_cap(), 1, 3, BH_E_NOT_ENOUGH_MEMORY},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        bh_error_t e = caps_retype(cases[i].ut, cases[i].type, cases[i].bits, cases[i].dest,
                                   cases[i].off, cases[i].n);
        if (e != cases[i].want) {
            fail_msg("case %zu: got %d want %d", i, e, cases[i].want);
        }
        assert_memory_equal(boot, boot_before, sizeof(boot));
        assert_memory_equal(&root.cap, &root_before, sizeof(cap_t));
    }
    assert_int_equal(fin_count, 0);
}

/* ---- copy, mint, move, mutate ---- */

static void test_copy(void **state)
{
    (void)state;
    retype_ok(BH_OBJ_ENDPOINT, 0, 0, 1);
    assert_int_equal(caps_copy(&boot[0], &boot[1], BH_RIGHT_READ | BH_RIGHT_GRANT), BH_OK);
    assert_int_equal(cap_rights(boot[1].cap), BH_RIGHT_READ | BH_RIGHT_GRANT);
    assert_false(cap_is_original(boot[1].cap));
    assert_true(cdt_same_object(boot[0].cap, boot[1].cap));
    assert_ptr_equal(boot[0].next, &boot[1]);
    assert_true(cdt_is_parent_of(&boot[0], &boot[1]));
    /* Rights never grow: copy of the copy with all rights. */
    assert_int_equal(caps_copy(&boot[1], &boot[2], BH_RIGHTS_ALL), BH_OK);
    assert_int_equal(cap_rights(boot[2].cap), BH_RIGHT_READ | BH_RIGHT_GRANT);
    assert_ptr_equal(boot[1].next, &boot[2]);
    assert_false(cdt_has_children(&boot[1])); /* copy of a copy is a sibling */
    cte_t snap[4];
    memcpy(snap, boot, sizeof(snap));
    assert_int_equal(caps_copy(&boot[0], &boot[1], BH_RIGHTS_ALL), BH_E_DELETE_FIRST);
    assert_int_equal(caps_copy(&boot[9], &boot[3], BH_RIGHTS_ALL), BH_E_INVALID_CAPABILITY);
    assert_int_equal(caps_copy(&root, &boot[3], BH_RIGHTS_ALL), BH_E_ILLEGAL_OPERATION);
    assert_int_equal(caps_copy(&boot[0], &boot[0], BH_RIGHTS_ALL), BH_E_DELETE_FIRST);
    cte_t irqc = {0};
    cdt_insert_root(&irqc, cap_make(BH_OBJ_IRQ_CONTROL, pa_init(0), BH_RIGHTS_ALL, true));
    assert_int_equal(caps_copy(&irqc, &boot[3], BH_RIGHTS_ALL), BH_E_ILLEGAL_OPERATION);
    assert_memory_equal(snap, boot, sizeof(snap));
}

static void test_copy_mapped_frame(void **state)
{
    (void)state;
    retype_ok(BH_OBJ_FRAME_4K, 0, 0, 1);
    boot[0].cap = cap_set_mapping(boot[0].cap, 7, va_init(0x400000));
    assert_int_equal(caps_copy(&boot[0], &boot[1], BH_RIGHTS_ALL), BH_OK);
    assert_false(cap_is_mapped(boot[1].cap));
    assert_true(cap_is_mapped(boot[0].cap));
    assert_int_equal(cap_mapped_vmid(boot[0].cap), 7);
    assert_int_equal(va_addr(cap_mapped_addr(boot[0].cap)), 0x400000);
    /* Deleting a mapped copy unmaps it; the last one also finalises. */
    uint64_t obj = pa_addr(cap_obj(boot[0].cap));
    assert_int_equal(caps_delete(&boot[0], 1), BH_OK);
    assert_int_equal(fin_find(EV_UNMAP, BH_OBJ_FRAME_4K, obj), 1);
    assert_int_equal(fin_events[0].vmid, 7);
    assert_int_equal(fin_events[0].extra, 0x400000);
    assert_int_equal(fin_find(EV_FINALISE, BH_OBJ_FRAME_4K, obj), 0);
    assert_int_equal(caps_delete(&boot[1], 1), BH_OK);
    assert_int_equal(fin_find(EV_UNMAP, BH_OBJ_FRAME_4K, obj), 1);
    assert_int_equal(fin_find(EV_FINALISE, BH_OBJ_FRAME_4K, obj), 1);
}

/* A page table has one capability: copying or minting it (mapped or not)
 * fails and changes nothing; moving it keeps the mapping record. */
static void test_page_table_not_copied(void **state)
{
    (void)state;
    retype_ok(BH_OBJ_PAGE_TABLE, 0, 0, 2);
    boot[0].cap = cap_set_mapping(boot[0].cap, 7, va_init(0x40000000));
    cte_t snap[ARRAY_SIZE(boot)];
    memcpy(snap, boot, sizeof(snap));
    assert_int_equal(caps_copy(&boot[0], &boot[2], BH_RIGHTS_ALL), BH_E_ILLEGAL_OPERATION);
    assert_int_equal(caps_copy(&boot[1], &boot[2], BH_RIGHTS_ALL), BH_E_ILLEGAL_OPERATION);
    assert_int_equal(caps_mint(&boot[1], &boot[2], BH_RIGHTS_ALL, 0), BH_E_ILLEGAL_OPERATION);
    assert_memory_equal(snap, boot, sizeof(snap));
    assert_int_equal(caps_move(&boot[0], &boot[2]), BH_OK);
    assert_true(cap_is_mapped(boot[2].cap));
    assert_int_equal(cap_mapped_vmid(boot[2].cap), 7);
    assert_int_equal(va_addr(cap_mapped_addr(boot[2].cap)), 0x40000000);
}

static void test_mint(void **state)
{
    (void)state;
    retype_ok(BH_OBJ_ENDPOINT, 0, 0, 1);
    assert_int_equal(caps_mint(&boot[0], &boot[1], BH_RIGHT_WRITE, 5), BH_OK);
    assert_int_equal(cap_badge(boot[1].cap), 5);
    assert_true(cap_is_original(boot[1].cap));
    assert_int_equal(cap_rights(boot[1].cap), BH_RIGHT_WRITE);
    /* Badge 0 on an unbadged cap is a plain copy. */
    assert_int_equal(caps_mint(&boot[0], &boot[2], BH_RIGHTS_ALL, 0), BH_OK);
    assert_false(cap_is_original(boot[2].cap));
    /* A badged cap keeps its badge; rights can only shrink. */
    assert_int_equal(caps_mint(&boot[1], &boot[3], BH_RIGHTS_ALL, 5), BH_OK);
    assert_int_equal(cap_badge(boot[3].cap), 5);
    assert_int_equal(cap_rights(boot[3].cap), BH_RIGHT_WRITE);
    assert_false(cap_is_original(boot[3].cap));
    assert_true(cdt_is_parent_of(&boot[1], &boot[3]));
    assert_int_equal(caps_mint(&boot[1], &boot[4], BH_RIGHTS_ALL, 0), BH_OK);
    assert_int_equal(cap_badge(boot[4].cap), 5);
    cte_t snap[BOOT_SLOTS];
    memcpy(snap, boot, sizeof(snap));
    assert_int_equal(caps_mint(&boot[1], &boot[5], BH_RIGHTS_ALL, 6), BH_E_ILLEGAL_OPERATION);
    assert_int_equal(caps_mint(&boot[1], &boot[0], BH_RIGHTS_ALL, 6), BH_E_DELETE_FIRST);
    assert_int_equal(caps_mint(&boot[8], &boot[5], BH_RIGHTS_ALL, 6), BH_E_INVALID_CAPABILITY);
    assert_int_equal(caps_mint(&root, &boot[5], BH_RIGHTS_ALL, 0), BH_E_ILLEGAL_OPERATION);
    assert_memory_equal(snap, boot, sizeof(snap));
    /* Types without data. */
    retype_ok(BH_OBJ_TCB, 0, 10, 1);
    assert_int_equal(caps_mint(&boot[10], &boot[11], BH_RIGHTS_ALL, 1), BH_E_INVALID_ARGUMENT);
    assert_true(cap_is_null(boot[11].cap));
    assert_int_equal(caps_mint(&boot[10], &boot[11], BH_RIGHT_READ, 0), BH_OK);
    assert_int_equal(cap_rights(boot[11].cap), BH_RIGHT_READ);
}

static void test_mint_cnode_guard(void **state)
{
    (void)state;
    retype_ok(BH_OBJ_CNODE, 4, 0, 1);
    assert_int_equal(caps_mint(&boot[0], &boot[1], BH_RIGHTS_ALL, BH_CNODE_DATA(0x5, 3)), BH_OK);
    assert_int_equal(cap_cnode_guard_size(boot[1].cap), 3);
    assert_int_equal(cap_cnode_guard(boot[1].cap), 5);
    assert_int_equal(cap_cnode_radix(boot[1].cap), 4);
    assert_int_equal(caps_mint(&boot[0], &boot[2], BH_RIGHTS_ALL, BH_CNODE_DATA(0x8, 3)),
                     BH_E_INVALID_ARGUMENT); /* guard wider than its size */
    assert_int_equal(caps_mint(&boot[0], &boot[2], BH_RIGHTS_ALL, BH_CNODE_DATA(0, 61)),
                     BH_E_INVALID_ARGUMENT); /* guard + radix > 64 */
    assert_int_equal(caps_mint(&boot[0], &boot[2], BH_RIGHTS_ALL, BH_CNODE_DATA(0, 54)),
                     BH_E_INVALID_ARGUMENT); /* guard size above the maximum */
    assert_int_equal(caps_mint(&boot[0], &boot[2], BH_RIGHTS_ALL, BH_CNODE_DATA(1, 53)), BH_OK);
    assert_int_equal(cap_cnode_guard_size(boot[2].cap), 53);
}

static void test_move_mutate(void **state)
{
    (void)state;
    retype_ok(BH_OBJ_NOTIFICATION, 0, 0, 1);
    assert_int_equal(caps_copy(&boot[0], &boot[1], BH_RIGHTS_ALL), BH_OK);
    assert_int_equal(caps_move(&boot[1], &boot[7]), BH_OK);
    assert_true(cap_is_null(boot[1].cap));
    assert_null(boot[1].prev);
    assert_ptr_equal(boot[0].next, &boot[7]);
    assert_ptr_equal(boot[7].prev, &boot[0]);
    assert_int_equal(caps_move(&boot[1], &boot[8]), BH_E_INVALID_CAPABILITY);
    assert_int_equal(caps_move(&boot[0], &boot[7]), BH_E_DELETE_FIRST);
    /* Mutate sets a badge on an unbadged cap while moving it. */
    assert_int_equal(caps_mutate(&boot[7], &boot[8], 9), BH_OK);
    assert_int_equal(cap_badge(boot[8].cap), 9);
    assert_ptr_equal(boot[0].next, &boot[8]);
    assert_int_equal(caps_mutate(&boot[8], &boot[9], 10), BH_E_ILLEGAL_OPERATION);
    assert_int_equal(cap_badge(boot[8].cap), 9);
    /* Untyped: move yes, mutate with data no. */
    cte_t ut = {0};
    caps_untyped_root(&ut, pa_init(ut_base() + (1u << 19)), 12, false);
    assert_int_equal(caps_mutate(&ut, &boot[20], 1), BH_E_INVALID_ARGUMENT);
    assert_int_equal(caps_mutate(&ut, &boot[20], 0), BH_OK);
    assert_int_equal(cap_type(boot[20].cap), BH_OBJ_UNTYPED);
    /* CNode guard via mutate. */
    retype_ok(BH_OBJ_CNODE, 2, 30, 1);
    assert_int_equal(caps_mutate(&boot[30], &boot[31], BH_CNODE_DATA(3, 2)), BH_OK);
    assert_int_equal(cap_cnode_guard(boot[31].cap), 3);
    assert_int_equal(caps_mutate(&boot[31], &boot[32], BH_CNODE_DATA(3, 1)), BH_E_INVALID_ARGUMENT);
}

/* ---- delete and revoke ---- */

static void test_delete_last(void **state)
{
    (void)state;
    retype_ok(BH_OBJ_ENDPOINT, 0, 0, 1);
    uint64_t ep = pa_addr(cap_obj(boot[0].cap));
    assert_int_equal(caps_copy(&boot[0], &boot[1], BH_RIGHTS_ALL), BH_OK);
    assert_false(cdt_is_last(&boot[0]));
    assert_int_equal(caps_delete(&boot[0], 1), BH_OK);
    assert_int_equal(fin_count, 0);
    assert_true(cdt_is_last(&boot[1]));
    assert_ptr_equal(root.next, &boot[1]); /* re-parented to the untyped */
    assert_int_equal(caps_delete(&boot[1], 1), BH_OK);
    assert_int_equal(fin_find(EV_FINALISE, BH_OBJ_ENDPOINT, ep), 1);
    assert_null(root.next);
    assert_int_equal(caps_delete(&boot[1], 1), BH_OK); /* empty slot */
    assert_int_equal(fin_count, 1);
}

static void test_delete_every_type(void **state)
{
    (void)state;
    static const bh_objtype_t types[] = {
        BH_OBJ_TCB,        BH_OBJ_ENDPOINT,      BH_OBJ_NOTIFICATION,
        BH_OBJ_REPLY,      BH_OBJ_SCHED_CONTEXT, BH_OBJ_ADDRESS_SPACE,
        BH_OBJ_PAGE_TABLE, BH_OBJ_FRAME_4K,      BH_OBJ_VM,
        BH_OBJ_VCPU,       BH_OBJ_CNODE};
    for (unsigned i = 0; i < ARRAY_SIZE(types); i++) {
        retype_ok(types[i], 2, i, 1);
    }
    for (unsigned i = 0; i < ARRAY_SIZE(types); i++) {
        uint64_t obj = pa_addr(cap_obj(boot[i].cap));
        assert_int_equal(caps_delete(&boot[i], 1), BH_OK);
        assert_int_equal(fin_find(EV_FINALISE, types[i], obj), 1);
    }
    assert_int_equal(fin_count, ARRAY_SIZE(types));
    cte_t irqc = {0};
    cdt_insert_root(&irqc, cap_make(BH_OBJ_IRQ_CONTROL, pa_init(0), BH_RIGHTS_ALL, true));
    cap_t h = cap_make(BH_OBJ_IRQ_HANDLER, pa_init(0), BH_RIGHTS_ALL, true);
    h.w1 = 33;
    cdt_insert_after(&irqc, &boot[20], h);
    assert_true(cdt_is_parent_of(&irqc, &boot[20]));
    assert_int_equal(caps_copy(&boot[20], &boot[21], BH_RIGHTS_ALL), BH_OK);
    assert_int_equal(caps_revoke(&irqc, 10), BH_OK);
    assert_int_equal(fin_find(EV_FINALISE, BH_OBJ_IRQ_HANDLER, 33), 1);
    assert_true(cap_is_null(boot[20].cap) && cap_is_null(boot[21].cap));
}

static void test_revoke_badges(void **state)
{
    (void)state;
    retype_ok(BH_OBJ_ENDPOINT, 0, 0, 1);
    uint64_t ep = pa_addr(cap_obj(boot[0].cap));
    assert_int_equal(caps_copy(&boot[0], &boot[1], BH_RIGHTS_ALL), BH_OK);
    assert_int_equal(caps_mint(&boot[0], &boot[2], BH_RIGHTS_ALL, 7), BH_OK);
    assert_int_equal(caps_copy(&boot[2], &boot[3], BH_RIGHTS_ALL), BH_OK);
    assert_int_equal(caps_copy(&boot[3], &boot[4], BH_RIGHTS_ALL), BH_OK);
    assert_int_equal(caps_mint(&boot[1], &boot[5], BH_RIGHTS_ALL, 8), BH_OK);
    /* Revoking the badge-7 original removes only its badge-7 copies. */
    assert_int_equal(caps_revoke(&boot[2], 10), BH_OK);
    assert_false(cap_is_null(boot[2].cap));
    assert_true(cap_is_null(boot[3].cap) && cap_is_null(boot[4].cap));
    assert_false(cap_is_null(boot[1].cap) || cap_is_null(boot[5].cap));
    /* A copy has no children. */
    assert_int_equal(caps_revoke(&boot[1], 10), BH_OK);
    assert_false(cap_is_null(boot[5].cap));
    /* The unbadged original is the parent of everything else. */
    assert_int_equal(caps_revoke(&boot[0], 10), BH_OK);
    assert_true(cap_is_null(boot[1].cap) && cap_is_null(boot[2].cap) && cap_is_null(boot[5].cap));
    assert_int_equal(fin_count, 0);
    assert_ptr_equal(root.next, &boot[0]);
    assert_null(boot[0].next);
    assert_int_equal(caps_revoke(&boot[9], 10), BH_OK); /* empty slot */
    (void)ep;
}

static void test_revoke_bounded(void **state)
{
    (void)state;
    retype_ok(BH_OBJ_ENDPOINT, 0, 0, 1);
    for (unsigned i = 1; i <= 10; i++) {
        assert_int_equal(caps_copy(&boot[0], &boot[i], BH_RIGHTS_ALL), BH_OK);
    }
    unsigned calls = 0;
    bh_error_t e;
    do {
        unsigned live = 0;
        for (unsigned i = 1; i <= 10; i++) {
            live += !cap_is_null(boot[i].cap);
        }
        assert_int_equal(live, 10 - 3 * calls);
        e = caps_revoke(&boot[0], 3);
        calls++;
        /* Consistent between calls: list links match. */
        for (cte_t *s = &root; s->next != NULL; s = s->next) {
            assert_ptr_equal(s->next->prev, s);
        }
    } while (e == BH_E_PREEMPTED && calls < 10);
    assert_int_equal(e, BH_OK);
    assert_int_equal(calls, 4);
    assert_int_equal(caps_delete(&boot[0], 0), BH_E_PREEMPTED);
    assert_false(cap_is_null(boot[0].cap));
}

static void test_revoke_untyped(void **state)
{
    (void)state;
    retype_ok(BH_OBJ_UNTYPED, 14, 0, 1);
    assert_int_equal(caps_retype(&boot[0], BH_OBJ_TCB, 0, boot_cap(), 1, 3), BH_OK);
    assert_int_equal(caps_copy(&boot[2], &boot[4], BH_RIGHTS_ALL), BH_OK);
    retype_ok(BH_OBJ_ENDPOINT, 0, 5, 1);
    assert_int_equal(cap_ut_free_index(boot[0].cap), 3 * 2048);
    assert_int_equal(caps_revoke(&boot[0], 2), BH_E_PREEMPTED);
    assert_int_equal(cap_ut_free_index(boot[0].cap), 3 * 2048);
    assert_int_equal(caps_revoke(&boot[0], 100), BH_OK);
    assert_int_equal(cap_ut_free_index(boot[0].cap), 0);
    for (unsigned i = 1; i <= 4; i++) {
        assert_true(cap_is_null(boot[i].cap));
    }
    assert_false(cap_is_null(boot[5].cap)); /* not made from this untyped */
    assert_int_equal(fin_count, 3);
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(fin_events[i].type, BH_OBJ_TCB);
        assert_true(fin_events[i].container_was_empty);
    }
    /* Memory is reusable, zeroed again. */
    memset(arena, 0x55, 2048);
    assert_int_equal(caps_retype(&boot[0], BH_OBJ_TCB, 0, boot_cap(), 1, 1), BH_OK);
    assert_int_equal(pa_addr(cap_obj(boot[1].cap)), ut_base());
    assert_true(all_zero(arena, 2048));
}

static void test_delete_cnode_with_contents(void **state)
{
    (void)state;
    retype_ok(BH_OBJ_CNODE, 2, 0, 1);
    retype_ok(BH_OBJ_ENDPOINT, 0, 1, 2);
    cte_t *c = pa_to_kva(cap_obj(boot[0].cap));
    uint64_t cn = pa_addr(cap_obj(boot[0].cap));
    uint64_t ep1 = pa_addr(cap_obj(boot[1].cap));
    uint64_t ep2 = pa_addr(cap_obj(boot[2].cap));
    assert_int_equal(caps_move(&boot[1], &c[0]), BH_OK); /* last cap to ep1 */
    assert_int_equal(caps_copy(&boot[2], &c[3], BH_RIGHTS_ALL), BH_OK);
    assert_int_equal(caps_delete(&boot[0], 1), BH_E_PREEMPTED);
    assert_int_equal(fin_find(EV_FINALISE, BH_OBJ_ENDPOINT, ep1), 1);
    assert_true(cap_is_null(c[0].cap));
    assert_int_equal(caps_delete(&boot[0], 1), BH_E_PREEMPTED);
    assert_true(cap_is_null(c[3].cap));
    assert_int_equal(fin_find(EV_FINALISE, BH_OBJ_ENDPOINT, ep2), 0);
    assert_int_equal(caps_delete(&boot[0], 1), BH_OK);
    assert_int_equal(fin_find(EV_FINALISE, BH_OBJ_CNODE, cn), 1);
    assert_true(fin_events[fin_count - 1].container_was_empty);
    assert_false(cap_is_null(boot[2].cap));
}

static void test_delete_self_and_cycle(void **state)
{
    (void)state;
    /* A CNode holding the last cap to itself, and two CNodes holding the last
     * caps to each other: garbage only revoke of the untyped can reach. */
    retype_ok(BH_OBJ_UNTYPED, 16, 0, 1);
    assert_int_equal(caps_retype(&boot[0], BH_OBJ_CNODE, 2, boot_cap(), 1, 3), BH_OK);
    assert_int_equal(caps_retype(&boot[0], BH_OBJ_ENDPOINT, 0, boot_cap(), 4, 1), BH_OK);
    cte_t *c1 = pa_to_kva(cap_obj(boot[1].cap));
    cte_t *c2 = pa_to_kva(cap_obj(boot[2].cap));
    cte_t *c3 = pa_to_kva(cap_obj(boot[3].cap));
    assert_int_equal(caps_move(&boot[4], &c1[2]), BH_OK);
    assert_int_equal(caps_move(&boot[1], &c2[1]), BH_OK);
    assert_int_equal(caps_move(&boot[2], &c1[0]), BH_OK);
    assert_int_equal(caps_move(&boot[3], &c3[3]), BH_OK);
    assert_int_equal(caps_revoke(&boot[0], 100), BH_OK);
    assert_int_equal(fin_count, 4);
    for (unsigned i = 0; i < fin_count; i++) {
        assert_true(fin_events[i].container_was_empty);
    }
    assert_null(boot[0].next);
    assert_int_equal(cap_ut_free_index(boot[0].cap), 0);
}

/* n slots linked in order, slot i holding an Endpoint capability at 0x1000 * (i + 1). */
static void make_list(cte_t *x, unsigned n)
{
    memset(x, 0, n * sizeof(*x));
    for (unsigned i = 0; i < n; i++) {
        x[i].cap = cap_make(BH_OBJ_ENDPOINT, pa_init(0x1000u * (i + 1u)), BH_RIGHTS_ALL, true);
        x[i].prev = i > 0 ? &x[i - 1] : NULL;
        x[i].next = i + 1 < n ? &x[i + 1] : NULL;
    }
}

/* The list of slots from head must be order[0..n-1], with mutual links. */
static void assert_order(cte_t *const *order, unsigned n)
{
    assert_null(order[0]->prev);
    assert_null(order[n - 1]->next);
    for (unsigned i = 0; i + 1 < n; i++) {
        assert_ptr_equal(order[i]->next, order[i + 1]);
        assert_ptr_equal(order[i + 1]->prev, order[i]);
    }
}

static void assert_cap_at(const cte_t *s, unsigned i)
{
    assert_int_equal(pa_addr(cap_obj(s->cap)), 0x1000u * (i + 1u));
}

/* cdt_swap: each capability keeps its list position, the slots change places;
 * cdt_can_swap refuses only shapes a cycle in the list has. */
static void test_cdt_swap_shapes(void **state)
{
    (void)state;
    cte_t x[5];
    make_list(x, 4); /* neighbours, a before b */
    assert_true(cdt_can_swap(&x[1], &x[2]));
    cdt_swap(&x[1], &x[2]);
    assert_order((cte_t *const[]){&x[0], &x[2], &x[1], &x[3]}, 4);
    assert_cap_at(&x[2], 1);
    assert_cap_at(&x[1], 2);
    make_list(x, 4); /* neighbours, b before a */
    assert_true(cdt_can_swap(&x[2], &x[1]));
    cdt_swap(&x[2], &x[1]);
    assert_order((cte_t *const[]){&x[0], &x[2], &x[1], &x[3]}, 4);
    assert_cap_at(&x[2], 1);
    assert_cap_at(&x[1], 2);
    make_list(x, 5); /* one slot between */
    assert_true(cdt_can_swap(&x[1], &x[3]));
    cdt_swap(&x[1], &x[3]);
    assert_order((cte_t *const[]){&x[0], &x[3], &x[2], &x[1], &x[4]}, 5);
    assert_cap_at(&x[3], 1);
    assert_cap_at(&x[1], 3);
    make_list(x, 4); /* a is the head */
    assert_true(cdt_can_swap(&x[0], &x[3]));
    cdt_swap(&x[0], &x[3]);
    assert_order((cte_t *const[]){&x[3], &x[1], &x[2], &x[0]}, 4);
    assert_cap_at(&x[3], 0);
    assert_cap_at(&x[0], 3);
    make_list(x, 2); /* two lists of one slot each */
    x[0].next = NULL;
    x[1].prev = NULL;
    assert_true(cdt_can_swap(&x[0], &x[1]));
    cdt_swap(&x[0], &x[1]);
    assert_order((cte_t *const[]){&x[0]}, 1);
    assert_order((cte_t *const[]){&x[1]}, 1);
    assert_cap_at(&x[0], 1);
    assert_cap_at(&x[1], 0);
    make_list(x, 3); /* a cycle of three: refused */
    x[0].prev = &x[2];
    x[2].next = &x[0];
    assert_false(cdt_can_swap(&x[0], &x[1]));
    assert_false(cdt_can_swap(&x[1], &x[0]));
    make_list(x, 2); /* a cycle of two: refused */
    x[0].prev = &x[1];
    x[1].next = &x[0];
    assert_false(cdt_can_swap(&x[0], &x[1]));
}

/* Revoke of an untyped whose capability sits inside a CNode retyped from it:
 * the deletion chain would reach the revoked slot; revoke refuses. */
static void test_revoke_self_contained(void **state)
{
    (void)state;
    retype_ok(BH_OBJ_UNTYPED, 14, 0, 1);
    assert_int_equal(caps_retype(&boot[0], BH_OBJ_CNODE, 2, boot_cap(), 1, 1), BH_OK);
    cte_t *c = pa_to_kva(cap_obj(boot[1].cap));
    uint64_t cn = pa_addr(cap_obj(boot[1].cap));
    uint64_t fi = cap_ut_free_index(boot[0].cap);
    assert_true(fi > 0);
    assert_int_equal(caps_move(&boot[0], &c[2]), BH_OK);
    cap_t u = c[2].cap;
    assert_int_equal(caps_revoke(&c[2], 10), BH_E_ILLEGAL_OPERATION);
    assert_memory_equal(&c[2].cap, &u, sizeof(u));
    assert_int_equal(cap_ut_free_index(c[2].cap), fi);
    assert_false(cap_is_null(boot[1].cap));
    assert_int_equal(fin_count, 0);
    /* Moved out, the revoke goes through. */
    assert_int_equal(caps_move(&c[2], &boot[0]), BH_OK);
    assert_int_equal(caps_revoke(&boot[0], 10), BH_OK);
    assert_int_equal(cap_ut_free_index(boot[0].cap), 0);
    assert_true(cap_is_null(boot[1].cap));
    assert_null(boot[0].next);
    assert_int_equal(fin_count, 1);
    assert_int_equal(fin_find(EV_FINALISE, BH_OBJ_CNODE, cn), 1);
}

/* The same through a CNode D not made from the untyped U: U is in D, the last
 * capability to D is in C, C is made from U. The steps before the refusal
 * (here: deleting an endpoint made from U) stay done. */
static void test_revoke_self_contained_indirect(void **state)
{
    (void)state;
    retype_ok(BH_OBJ_UNTYPED, 14, 0, 1);
    retype_ok(BH_OBJ_CNODE, 2, 2, 1);
    assert_int_equal(caps_retype(&boot[0], BH_OBJ_CNODE, 2, boot_cap(), 1, 1), BH_OK);
    assert_int_equal(caps_retype(&boot[0], BH_OBJ_ENDPOINT, 0, boot_cap(), 3, 1), BH_OK);
    cte_t *c = pa_to_kva(cap_obj(boot[1].cap));
    cte_t *d = pa_to_kva(cap_obj(boot[2].cap));
    uint64_t cn = pa_addr(cap_obj(boot[1].cap));
    uint64_t dn = pa_addr(cap_obj(boot[2].cap));
    uint64_t ep = pa_addr(cap_obj(boot[3].cap));
    uint64_t fi = cap_ut_free_index(boot[0].cap);
    assert_int_equal(caps_move(&boot[0], &d[1]), BH_OK);
    assert_int_equal(caps_move(&boot[2], &c[0]), BH_OK);
    cap_t u = d[1].cap;
    assert_int_equal(caps_revoke(&d[1], 10), BH_E_ILLEGAL_OPERATION);
    assert_memory_equal(&d[1].cap, &u, sizeof(u));
    assert_int_equal(cap_ut_free_index(d[1].cap), fi);
    assert_true(cap_is_null(boot[3].cap)); /* the endpoint went first */
    assert_int_equal(fin_find(EV_FINALISE, BH_OBJ_ENDPOINT, ep), 1);
    assert_int_equal(fin_count, 1);
    assert_false(cap_is_null(boot[1].cap) || cap_is_null(c[0].cap));
    /* Moved out, the revoke deletes C, and D with it (its last capability). */
    assert_int_equal(caps_move(&d[1], &boot[0]), BH_OK);
    assert_int_equal(caps_revoke(&boot[0], 10), BH_OK);
    assert_int_equal(cap_ut_free_index(boot[0].cap), 0);
    assert_true(cap_is_null(boot[1].cap) && cap_is_null(c[0].cap));
    assert_null(boot[0].next);
    assert_int_equal(fin_count, 3);
    assert_int_equal(fin_find(EV_FINALISE, BH_OBJ_CNODE, cn), 1);
    assert_int_equal(fin_find(EV_FINALISE, BH_OBJ_CNODE, dn), 1);
    assert_int_equal(fin_find(EV_FINALISE, BH_OBJ_ENDPOINT, ep), 1);
}

static void test_tcb_slots(void **state)
{
    (void)state;
    retype_ok(BH_OBJ_TCB, 0, 0, 1);
    retype_ok(BH_OBJ_CNODE, 3, 1, 1);
    cte_t *t = pa_to_kva(cap_obj(boot[0].cap));
    assert_int_equal(caps_move(&boot[1], &t[0]), BH_OK); /* thread's cspace root */
    assert_int_equal(caps_delete(&boot[0], 10), BH_OK);
    assert_int_equal(fin_count, 2);
    assert_int_equal(fin_events[0].type, BH_OBJ_CNODE);
    assert_int_equal(fin_events[1].type, BH_OBJ_TCB);
    assert_true(fin_events[1].container_was_empty);
}

static void test_delete_chain_too_deep(void **state)
{
    (void)state;
    /* boot[0] -> C0 holds the last cap to C1 -> ... -> C39 holds an endpoint. */
    enum { N = 40 };
    retype_ok(BH_OBJ_CNODE, 1, 0, N);
    retype_ok(BH_OBJ_ENDPOINT, 0, N, 1);
    for (int i = N - 1; i >= 0; i--) {
        cte_t *c = pa_to_kva(cap_obj(boot[i].cap));
        assert_int_equal(caps_move(&boot[i + 1], &c[0]), BH_OK);
    }
    cte_t snap[BOOT_SLOTS];
    memcpy(snap, boot, sizeof(snap));
    assert_int_equal(caps_delete(&boot[0], 5), BH_E_RANGE);
    assert_memory_equal(snap, boot, sizeof(snap));
    assert_int_equal(fin_count, 0);
    /* Revoking the untyped still gets everything: revoke cuts deep chains. */
    unsigned calls = 0;
    bh_error_t e;
    while ((e = caps_revoke(&root, 4)) == BH_E_PREEMPTED && calls < 100) {
        calls++;
    }
    assert_int_equal(e, BH_OK);
    assert_null(root.next);
    assert_true(cap_is_null(boot[0].cap));
    assert_int_equal(fin_count, N + 1);
    for (unsigned i = 0; i < fin_count; i++) {
        assert_true(fin_events[i].container_was_empty);
        for (unsigned j = 0; j < i; j++) {
            assert_false(fin_events[i].obj == fin_events[j].obj &&
                         fin_events[i].type == fin_events[j].type);
        }
    }
}

/* ---- lookup ---- */

static void test_lookup(void **state)
{
    (void)state;
    cte_t *slot;
    bh_lookup_fault_t f;
    /* One level: radix 6, guard 0b10 of 2 bits, depth 8. */
    cap_t r = cnode_cap(boot, BOOT_RADIX, 2, 2);
    assert_int_equal(cspace_lookup(r, 0x85, 8, true, &slot, &f), BH_OK);
    assert_ptr_equal(slot, &boot[5]);
    assert_int_equal(f.kind, BH_LOOKUP_NONE);
    assert_int_equal(cspace_lookup(r, 0xC5, 8, true, &slot, &f), BH_E_LOOKUP_FAILED);
    assert_int_equal(f.kind, BH_LOOKUP_GUARD_MISMATCH);
    assert_int_equal(f.guard_expected, 2);
    assert_int_equal(f.guard_found, 3);
    assert_int_equal(f.guard_size, 2);
    assert_int_equal(f.level, 0);
    assert_null(slot);
    assert_int_equal(cspace_lookup(r, 0x5, 7, true, &slot, &f), BH_E_LOOKUP_FAILED);
    assert_int_equal(f.kind, BH_LOOKUP_DEPTH_MISMATCH);
    assert_int_equal(f.bits_left, 7);
    assert_int_equal(f.bits_needed, 8);
    assert_int_equal(cspace_lookup(r, 0x85, 0, true, &slot, &f), BH_E_RANGE);
    assert_int_equal(cspace_lookup(r, 0x85, 65, true, &slot, &f), BH_E_RANGE);
    assert_int_equal(cspace_lookup(boot[0].cap, 0, 8, true, &slot, &f), BH_E_LOOKUP_FAILED);
    assert_int_equal(f.kind, BH_LOOKUP_INVALID_ROOT);
    /* Two levels: boot[5] -> other (radix 6, guard 0), depth 16. */
    cdt_insert_root(&boot[5], cnode_cap(other, BOOT_RADIX, 0, 2));
    assert_int_equal(cspace_lookup(r, 0x8509, 16, true, &slot, &f), BH_OK);
    assert_ptr_equal(slot, &other[9]);
    assert_int_equal(cspace_lookup(r, 0x8549, 16, true, &slot, &f), BH_E_LOOKUP_FAILED);
    assert_int_equal(f.kind, BH_LOOKUP_GUARD_MISMATCH);
    assert_int_equal(f.level, 1);
    assert_int_equal(f.bits_left, 8);
    /* Bits remain but slot 6 holds no CNode. */
    assert_int_equal(cspace_lookup(r, 0x8609, 16, true, &slot, &f), BH_E_LOOKUP_FAILED);
    assert_int_equal(f.kind, BH_LOOKUP_MISSING_CNODE);
    assert_int_equal(f.level, 1);
    assert_int_equal(f.bits_left, 8);
    /* Invocation lookups stop at the first non-CNode slot. */
    assert_int_equal(cspace_lookup(r, 0x86090000ull, 32, false, &slot, &f), BH_OK);
    assert_ptr_equal(slot, &boot[6]);
    assert_int_equal(f.bits_left, 24);
    /* Full 64-bit depth with a 58-bit guard. */
    cap_t big = cnode_cap(boot, BOOT_RADIX, 0, 53);
    assert_int_equal(cspace_lookup(big, 0x3f, 59, true, &slot, &f), BH_OK);
    assert_ptr_equal(slot, &boot[63]);
    assert_int_equal(cspace_lookup(big, (1ull << 63) | 0x3f, 64, false, &slot, &f),
                     BH_E_LOOKUP_FAILED);
    assert_int_equal(f.kind, BH_LOOKUP_GUARD_MISMATCH);
    assert_int_equal(f.guard_found, 1ull << 52);
    assert_int_equal(cspace_lookup(big, 0x3f, 64, false, &slot, &f), BH_OK);
    assert_ptr_equal(slot, &boot[1]);
    assert_int_equal(f.bits_left, 5);
}

/* ---- decoder ---- */

static void test_decode(void **state)
{
    (void)state;
    bh_lookup_fault_t f;
    cap_t bc = boot_cap();
    cte_t inv_cn;
    inv_cn.cap = bc;
    /* Retype through the decoder: 2 endpoints into slots 10, 11 of the root. */
    uint64_t rt[6] = {BH_OBJ_ENDPOINT, 0, 0, 0, 10, 2};
    assert_int_equal(caps_decode_invocation(&root, BH_INV_UNTYPED_RETYPE, rt, 6, &bc, 1, 8, &f),
                     BH_OK);
    assert_int_equal(cap_type(boot[11].cap), BH_OBJ_ENDPOINT);
    assert_int_equal(caps_decode_invocation(&root, BH_INV_UNTYPED_RETYPE, rt, 5, &bc, 1, 8, &f),
                     BH_E_TRUNCATED);
    assert_int_equal(caps_decode_invocation(&root, BH_INV_UNTYPED_RETYPE, rt, 6, &bc, 0, 8, &f),
                     BH_E_TRUNCATED);
    assert_int_equal(caps_decode_invocation(&root, BH_INV_CNODE_COPY, rt, 6, &bc, 1, 8, &f),
                     BH_E_ILLEGAL_OPERATION);
    uint64_t bad_type[6] = {99, 0, 0, 0, 20, 1};
    assert_int_equal(
        caps_decode_invocation(&root, BH_INV_UNTYPED_RETYPE, bad_type, 6, &bc, 1, 8, &f),
        BH_E_INVALID_ARGUMENT);
    uint64_t bad_size[6] = {BH_OBJ_CNODE, 65, 0, 0, 20, 1};
    assert_int_equal(
        caps_decode_invocation(&root, BH_INV_UNTYPED_RETYPE, bad_size, 6, &bc, 1, 8, &f),
        BH_E_RANGE);
    /* Destination CNode found by lookup: slot 12 holds a CNode of radix 2. */
    uint64_t mk[6] = {BH_OBJ_CNODE, 2, 0, 0, 12, 1};
    assert_int_equal(caps_decode_invocation(&root, BH_INV_UNTYPED_RETYPE, mk, 6, &bc, 1, 8, &f),
                     BH_OK);
    uint64_t into[6] = {BH_OBJ_NOTIFICATION, 0, 12, 6, 3, 1};
    assert_int_equal(caps_decode_invocation(&root, BH_INV_UNTYPED_RETYPE, into, 6, &bc, 1, 8, &f),
                     BH_OK);
    cte_t *c12 = pa_to_kva(cap_obj(boot[12].cap));
    assert_int_equal(cap_type(c12[3].cap), BH_OBJ_NOTIFICATION);
    uint64_t not_cn[6] = {BH_OBJ_NOTIFICATION, 0, 10, 6, 3, 1};
    assert_int_equal(caps_decode_invocation(&root, BH_INV_UNTYPED_RETYPE, not_cn, 6, &bc, 1, 8, &f),
                     BH_E_INVALID_CAPABILITY);
    uint64_t lk_fail[6] = {BH_OBJ_NOTIFICATION, 0, 10, 5, 3, 1};
    assert_int_equal(
        caps_decode_invocation(&root, BH_INV_UNTYPED_RETYPE, lk_fail, 6, &bc, 1, 8, &f),
        BH_E_LOOKUP_FAILED);
    assert_int_equal(f.kind, BH_LOOKUP_DEPTH_MISMATCH);

    /* CNode methods. */
    uint64_t cp[5] = {20, 6, 10, 6, BH_RIGHT_READ};
    memset(&f, 0xa5, sizeof(f));
    assert_int_equal(caps_decode_invocation(&inv_cn, BH_INV_CNODE_COPY, cp, 5, &bc, 1, 8, &f),
                     BH_OK);
    assert_int_equal(cap_rights(boot[20].cap), BH_RIGHT_READ);
    /* A successful decode leaves a clean fault record: the lookups write it
     * only when they fail. */
    assert_int_equal(f.kind, BH_LOOKUP_NONE);
    assert_int_equal(f.which, 0);
    assert_int_equal(f.level, 0);
    assert_int_equal(f.bits_left, 0);
    assert_int_equal(caps_decode_invocation(&inv_cn, BH_INV_CNODE_COPY, cp, 4, &bc, 1, 8, &f),
                     BH_E_TRUNCATED);
    assert_int_equal(caps_decode_invocation(&inv_cn, BH_INV_CNODE_COPY, cp, 5, &bc, 0, 8, &f),
                     BH_E_TRUNCATED);
    uint64_t mint[6] = {21, 6, 10, 6, BH_RIGHTS_ALL, 44};
    assert_int_equal(caps_decode_invocation(&inv_cn, BH_INV_CNODE_MINT, mint, 6, &bc, 1, 8, &f),
                     BH_OK);
    assert_int_equal(cap_badge(boot[21].cap), 44);
    uint64_t mv[4] = {22, 6, 21, 6};
    assert_int_equal(caps_decode_invocation(&inv_cn, BH_INV_CNODE_MOVE, mv, 4, &bc, 1, 8, &f),
                     BH_OK);
    assert_int_equal(cap_badge(boot[22].cap), 44);
    uint64_t mu[5] = {23, 6, 20, 6, 3};
    assert_int_equal(caps_decode_invocation(&inv_cn, BH_INV_CNODE_MUTATE, mu, 5, &bc, 1, 8, &f),
                     BH_OK);
    assert_int_equal(cap_badge(boot[23].cap), 3);
    /* Source lookup failure is reported as the source (which = 1). */
    uint64_t badsrc[5] = {24, 6, 10, 3, BH_RIGHTS_ALL};
    assert_int_equal(caps_decode_invocation(&inv_cn, BH_INV_CNODE_COPY, badsrc, 5, &bc, 1, 8, &f),
                     BH_E_LOOKUP_FAILED);
    assert_int_equal(f.which, 1);
    assert_int_equal(f.kind, BH_LOOKUP_DEPTH_MISMATCH);
    assert_true(cap_is_null(boot[24].cap));
    uint64_t baddst[5] = {24, 70, 10, 6, BH_RIGHTS_ALL};
    assert_int_equal(caps_decode_invocation(&inv_cn, BH_INV_CNODE_COPY, baddst, 5, &bc, 1, 8, &f),
                     BH_E_RANGE);
    assert_int_equal(f.which, 0);
    assert_true(cap_is_null(boot[24].cap));
    uint64_t dl[2] = {23, 6};
    assert_int_equal(caps_decode_invocation(&inv_cn, BH_INV_CNODE_DELETE, dl, 1, &bc, 1, 8, &f),
                     BH_E_TRUNCATED);
    assert_int_equal(caps_decode_invocation(&inv_cn, BH_INV_CNODE_DELETE, dl, 2, NULL, 0, 8, &f),
                     BH_OK);
    assert_true(cap_is_null(boot[23].cap));
    assert_int_equal(caps_copy(&boot[10], &boot[25], BH_RIGHTS_ALL), BH_OK);
    uint64_t rv[2] = {10, 6};
    assert_int_equal(caps_decode_invocation(&inv_cn, BH_INV_CNODE_REVOKE, rv, 2, NULL, 0, 1, &f),
                     BH_E_PREEMPTED);
    assert_int_equal(caps_decode_invocation(&inv_cn, BH_INV_CNODE_REVOKE, rv, 2, NULL, 0, 8, &f),
                     BH_OK);
    assert_true(cap_is_null(boot[25].cap) && cap_is_null(boot[22].cap));
    assert_int_equal(caps_decode_invocation(&inv_cn, 0x2ff, rv, 2, NULL, 0, 8, &f),
                     BH_E_ILLEGAL_OPERATION);
    assert_int_equal(caps_decode_invocation(&inv_cn, BH_INV_INVALID, rv, 2, NULL, 0, 8, &f),
                     BH_E_ILLEGAL_OPERATION);
    /* Other object types are decoded elsewhere; empty slots are invalid. */
    assert_int_equal(caps_decode_invocation(&boot[10], BH_INV_CNODE_COPY, cp, 5, &bc, 1, 8, &f),
                     BH_E_ILLEGAL_OPERATION);
    assert_int_equal(caps_decode_invocation(&boot[40], BH_INV_CNODE_COPY, cp, 5, &bc, 1, 8, &f),
                     BH_E_INVALID_CAPABILITY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_sizes, setup),
        cmocka_unit_test_setup(test_retype_basic, setup),
        cmocka_unit_test_setup(test_retype_alignment_and_watermark, setup),
        cmocka_unit_test_setup(test_retype_untyped_child, setup),
        cmocka_unit_test_setup(test_retype_device, setup),
        cmocka_unit_test_setup(test_retype_errors, setup),
        cmocka_unit_test_setup(test_copy, setup),
        cmocka_unit_test_setup(test_copy_mapped_frame, setup),
        cmocka_unit_test_setup(test_page_table_not_copied, setup),
        cmocka_unit_test_setup(test_mint, setup),
        cmocka_unit_test_setup(test_mint_cnode_guard, setup),
        cmocka_unit_test_setup(test_move_mutate, setup),
        cmocka_unit_test_setup(test_delete_last, setup),
        cmocka_unit_test_setup(test_delete_every_type, setup),
        cmocka_unit_test_setup(test_revoke_badges, setup),
        cmocka_unit_test_setup(test_revoke_bounded, setup),
        cmocka_unit_test_setup(test_revoke_untyped, setup),
        cmocka_unit_test_setup(test_delete_cnode_with_contents, setup),
        cmocka_unit_test_setup(test_delete_self_and_cycle, setup),
        cmocka_unit_test_setup(test_cdt_swap_shapes, setup),
        cmocka_unit_test_setup(test_revoke_self_contained, setup),
        cmocka_unit_test_setup(test_revoke_self_contained_indirect, setup),
        cmocka_unit_test_setup(test_tcb_slots, setup),
        cmocka_unit_test_setup(test_delete_chain_too_deep, setup),
        cmocka_unit_test_setup(test_lookup, setup),
        cmocka_unit_test_setup(test_decode, setup),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(arena);
    return rc;
}
