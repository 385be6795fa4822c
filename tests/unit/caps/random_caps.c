/*
 * Randomized tester for caps/: a fixed seed (printed; override with argv[1] or
 * BH_CAPS_SEED), an operation count (printed; argv[2] or BH_CAPS_OPS), random
 * retype/copy/mint/move/mutate/delete/revoke/IPC-transfer/map/lookup
 * operations on two cspaces, and an invariant check after every step:
 *  - the CDT lists are well formed (links agree, acyclic) and hold exactly the
 *    non-empty slots of the cspaces and of every live CNode/TCB;
 *  - all capabilities to one object are adjacent; every object inside an
 *    untyped follows it in its derivation run and lies below its free index;
 *  - no two live objects overlap (except objects inside untyped regions);
 *  - an object loses its last capability exactly when it is finalised, and a
 *    CNode/TCB is empty when finalised; no capability refers to a dead object;
 *  - an operation that fails changes nothing.
 * On failure the sequence is replayed in child processes and shrunk (prefix,
 * then delta debugging), and the shortest failing sequence is printed.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <caps/cdt.h>
#include <caps/cnode.h>
#include <caps/cspace.h>
#include <caps/untyped.h>
#include <kernel/phys.h>

#include "finalise_double.h"

#define ARENA_BITS 20u
#define A_RADIX    6u
#define B_RADIX    4u
#define A_SLOTS    (1u << A_RADIX)
#define B_SLOTS    (1u << B_RADIX)

enum {
    OP_RETYPE,
    OP_COPY,
    OP_MINT,
    OP_MOVE,
    OP_MUTATE,
    OP_DELETE,
    OP_REVOKE,
    OP_TRANSFER,
    OP_MAP,
    OP_LOOKUP,
    OP_NEST,
    OP_KINDS
};
static const char *const op_names[OP_KINDS] = {"retype", "copy",   "mint",   "move",
                                               "mutate", "delete", "revoke", "transfer",
                                               "map",    "lookup", "nest"};

/* A slot reference, resolved when the operation runs (so a shrunk sequence
 * still means something): space 0 = A[idx], 1 = B[idx], 2 = slot inner of the
 * idx-th container (CNode/TCB) cap in A and B, 3 = idx-th untyped in A and B,
 * 4 = idx-th endpoint in A. */
typedef struct {
    uint8_t space, idx, inner;
} sref_t;

typedef struct {
    uint8_t kind;
    sref_t s, d, e;
    uint8_t type, bits, count, offset, budget, rights, finish;
    uint64_t data;
} op_t;

static uint8_t *arena;
static cte_t A[A_SLOTS] __attribute__((aligned(4096)));
static cte_t B[B_SLOTS] __attribute__((aligned(4096)));
static cte_t R; /* the root untyped: only retype and revoke reach it */

/* ---- random numbers ---- */

static uint64_t rng;
static uint64_t next_rand(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static unsigned rnd(unsigned n)
{
    return (unsigned)(next_rand() % n);
}

static sref_t rand_sref(void)
{
    unsigned r = rnd(10);
    sref_t s = {.space = r < 6   ? 0
                         : r < 8 ? 1
                                 : 2,
                .idx = (uint8_t)rnd(256),
                .inner = (uint8_t)rnd(256)};
    return s;
}

static op_t gen_op(void)
{
    static const uint8_t types[] = {
        BH_OBJ_UNTYPED,  BH_OBJ_UNTYPED,       BH_OBJ_UNTYPED,       BH_OBJ_CNODE,
        BH_OBJ_CNODE,    BH_OBJ_CNODE,         BH_OBJ_TCB,           BH_OBJ_TCB,
        BH_OBJ_ENDPOINT, BH_OBJ_ENDPOINT,      BH_OBJ_ENDPOINT,      BH_OBJ_NOTIFICATION,
        BH_OBJ_REPLY,    BH_OBJ_SCHED_CONTEXT, BH_OBJ_ADDRESS_SPACE, BH_OBJ_PAGE_TABLE,
        BH_OBJ_FRAME_4K, BH_OBJ_FRAME_4K,      BH_OBJ_FRAME_2M,      BH_OBJ_VM,
        BH_OBJ_VCPU,     BH_OBJ_NULL,          BH_OBJ_IRQ_CONTROL};
    static const uint8_t weights[OP_KINDS] = {22, 12, 12, 7, 5, 14, 8, 8, 4, 4, 6};
    unsigned w = rnd(102), k = 0;
    while (k + 1 < OP_KINDS && w >= weights[k]) {
        w -= weights[k];
        k++;
    }
    op_t op;
    memset(&op, 0, sizeof(op));
    op.kind = (uint8_t)k;
    op.s = rand_sref();
    op.d = rand_sref();
    op.e = rand_sref();
    op.rights = rnd(3) == 0 ? BH_RIGHTS_ALL : (uint8_t)rnd(32);
    op.budget = (uint8_t)(1 + rnd(8));
    op.finish = rnd(3) != 0;
    switch (rnd(4)) {
    case 0:
        op.data = 0;
        break;
    case 1:
        op.data = 1 + rnd(4);
        break;
    case 2:
        op.data = BH_CNODE_DATA(rnd(4), rnd(3));
        break;
    default:
        op.data = next_rand();
        break;
    }
    if (k == OP_RETYPE) {
        op.s.space = 3;
        op.d.space = rnd(2) == 0 ? 0 : 5; /* dest CNode: A itself or a CNode cap */
        op.type = types[rnd(sizeof(types))];
        op.bits = op.type == BH_OBJ_UNTYPED ? (uint8_t)(4 + rnd(12))
                                            : (uint8_t)(rnd(8) == 0 ? rnd(20) : 1 + rnd(3));
        op.count = (uint8_t)(1 + rnd(rnd(8) == 0 ? 8 : 3));
        op.offset = (uint8_t)(op.d.space == 0 ? rnd(A_SLOTS) : rnd(rnd(8) == 0 ? 256 : 8));
    }
    if (k == OP_NEST) {
        /* A container cap copied or moved into a container: nests and cycles. */
        op.s.space = 7;
        op.d.space = 2;
    }
    if (k == OP_REVOKE && rnd(50) == 0) {
        op.s.space = 6;
    }
    if (k == OP_TRANSFER) {
        op.e.space = 4;
        op.s.space = rnd(4) == 0 ? 2 : 0;
        op.d.space = 1;
    }
    return op;
}

/* ---- the world ---- */

static bool is_container(cap_t c)
{
    return cap_type(c) == BH_OBJ_CNODE || cap_type(c) == BH_OBJ_TCB;
}

static cap_t cnode_cap(cte_t *slots, uint32_t radix)
{
    cap_t c = cap_make(BH_OBJ_CNODE, kva_to_pa(slots), BH_RIGHTS_ALL, true);
    c.w1 = radix;
    return c;
}

/* idx-th slot in A then B whose capability matches kind (0 container,
 * 1 untyped, 2 endpoint, 3 CNode; A only for endpoints). */
static cte_t *nth_matching(unsigned kind, unsigned idx)
{
    cte_t *found[A_SLOTS + B_SLOTS + 1];
    unsigned n = 0;
    if (kind == 1) {
        found[n++] = &R;
    }
    for (unsigned i = 0; i < A_SLOTS + B_SLOTS; i++) {
        cte_t *s = i < A_SLOTS ? &A[i] : &B[i - A_SLOTS];
        bh_objtype_t t = cap_type(s->cap);
        bool m = (kind == 0 && is_container(s->cap)) || (kind == 1 && t == BH_OBJ_UNTYPED) ||
                 (kind == 2 && t == BH_OBJ_ENDPOINT && i < A_SLOTS) ||
                 (kind == 3 && t == BH_OBJ_CNODE);
        if (m) {
            found[n++] = s;
        }
    }
    return n == 0 ? NULL : found[idx % n];
}

static cte_t *resolve(sref_t r)
{
    cte_t *s = NULL;
    switch (r.space) {
    case 1:
        return &B[r.idx % B_SLOTS];
    case 2:
        s = nth_matching(0, r.idx);
        if (s != NULL) {
            cte_t *base;
            uint64_t n;
            cap_container_slots(s->cap, &base, &n);
            return &base[r.inner % n];
        }
        break;
    case 3:
        s = nth_matching(1, r.idx);
        break;
    case 4:
        s = nth_matching(2, r.idx);
        break;
    case 5:
        s = nth_matching(3, r.idx);
        break;
    case 6:
        return &R;
    case 7:
        s = nth_matching(0, r.idx);
        break;
    default:
        break;
    }
    return s != NULL ? s : &A[r.idx % A_SLOTS];
}

static void world_reset(void)
{
    memset(arena, 0x5a, 1u << ARENA_BITS);
    memset(A, 0, sizeof(A));
    memset(B, 0, sizeof(B));
    memset(&R, 0, sizeof(R));
    fin_reset();
    caps_untyped_root(&R, kva_to_pa(arena), ARENA_BITS, false);
}

/* ---- invariant checker ---- */

#define MAXS 2048u
static cte_t *S[MAXS];
static unsigned ns;
static char fail_msg_buf[512];

static bool fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fail_msg_buf, sizeof(fail_msg_buf), fmt, ap);
    va_end(ap);
    return false;
}

/* Open-addressing sets of 64-bit keys (pointers, object keys). */
#define SET_SIZE 4096u
typedef struct {
    uint64_t key[SET_SIZE];
    uint32_t val[SET_SIZE];
    uint32_t gen[SET_SIZE];
    uint32_t cur;
} set_t;
static set_t slotset, objset, runset, liveprev, livenow;

static void set_clear(set_t *s)
{
    s->cur++;
}
static uint32_t *set_find(set_t *s, uint64_t key, bool insert)
{
    uint64_t h = (key * 0x9e3779b97f4a7c15ull) >> 52;
    for (unsigned i = 0; i < SET_SIZE; i++) {
        uint32_t p = (uint32_t)((h + i) & (SET_SIZE - 1));
        if (s->gen[p] != s->cur) {
            if (!insert) {
                return NULL;
            }
            s->gen[p] = s->cur;
            s->key[p] = key;
            s->val[p] = 0;
            return &s->val[p];
        }
        if (s->key[p] == key) {
            return &s->val[p];
        }
    }
    abort();
}

static uint64_t obj_key(cap_t c)
{
    if (cap_type(c) == BH_OBJ_IRQ_HANDLER) {
        return ((uint64_t)cap_irq(c) << 8) | BH_OBJ_IRQ_HANDLER;
    }
    return pa_addr(cap_obj(c)) | (uint64_t)cap_type(c); /* addresses are 16-aligned */
}

static bool in_array(const cte_t *s, const cte_t *base, uint64_t n)
{
    return s >= base && s < base + n;
}

typedef struct {
    uint64_t lo, hi;
    cte_t *slot;
} region_t;
static region_t uts[MAXS], objs[MAXS];
static unsigned list_of[MAXS], pos_of[MAXS];

static int cmp_region(const void *a, const void *b)
{
    const region_t *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo ? 1 : 0;
}

static uint64_t digest;
static uint64_t prev_keys[MAXS], now_keys[MAXS];
static unsigned nprev, nnow;

static unsigned lower_bound(const region_t *r, unsigned n, uint64_t lo)
{
    unsigned a = 0, b = n;
    while (a < b) {
        unsigned m = (a + b) / 2;
        if (r[m].lo < lo) {
            a = m + 1;
        } else {
            b = m;
        }
    }
    return a;
}

/* Region o starts inside untyped [ulo, uhi): it must end inside, follow the
 * untyped in its derivation run and lie below its free index. */
static bool inside_run(const region_t *o, uint64_t ulo, uint64_t uhi, uint64_t wm, uint32_t ui,
                       unsigned run_end)
{
    uint32_t i = *set_find(&slotset, (uint64_t)(uintptr_t)o->slot, false) - 1;
    if (o->hi > uhi) {
        return fail("object %llx straddles untyped %llx", (unsigned long long)o->lo,
                    (unsigned long long)ulo);
    }
    if (list_of[i] != list_of[ui] || pos_of[i] <= pos_of[ui] || pos_of[i] > run_end) {
        return fail("object %llx (type %d) inside untyped %llx is not its descendant",
                    (unsigned long long)o->lo, cap_type(o->slot->cap), (unsigned long long)ulo);
    }
    if (o->hi > wm) {
        return fail("object %llx above the free index of untyped %llx", (unsigned long long)o->lo,
                    (unsigned long long)ulo);
    }
    return true;
}

static bool add_slot(cte_t *s)
{
    uint32_t *v = set_find(&slotset, (uint64_t)(uintptr_t)s, true);
    if (*v != 0) {
        return true;
    }
    if (ns >= MAXS) {
        return fail("too many slots");
    }
    S[ns++] = s;
    *v = ns; /* index + 1 */
    return true;
}

static bool check_invariants(void)
{
    set_clear(&slotset);
    set_clear(&objset);
    set_clear(&runset);
    set_clear(&livenow);
    ns = 0;
    if (!add_slot(&R)) {
        return false;
    }
    for (unsigned i = 0; i < A_SLOTS + B_SLOTS; i++) {
        cte_t *s = i < A_SLOTS ? &A[i] : &B[i - A_SLOTS];
        if (!cap_is_null(s->cap)) {
            if (!add_slot(s)) {
                return false;
            }
        } else if (s->prev != NULL || s->next != NULL || s->cap.w1 != 0) {
            return fail("empty cspace slot %p has links", (void *)s);
        }
    }
    /* Close under list links and container contents. */
    for (unsigned i = 0; i < ns; i++) {
        cte_t *s = S[i];
        if (cap_is_null(s->cap)) {
            return fail("empty slot %p on a derivation list", (void *)s);
        }
        if (s->prev != NULL && (s->prev->next != s || !add_slot(s->prev))) {
            return fail("slot %p: prev link broken", (void *)s);
        }
        if (s->next != NULL && (s->next->prev != s || !add_slot(s->next))) {
            return fail("slot %p: next link broken", (void *)s);
        }
        cte_t *base;
        uint64_t n;
        if (cap_container_slots(s->cap, &base, &n)) {
            uint32_t *v = set_find(&objset, obj_key(s->cap), true);
            if (*v == 0) {
                *v = 1;
                for (uint64_t j = 0; j < n; j++) {
                    if (!cap_is_null(base[j].cap)) {
                        if (!add_slot(&base[j])) {
                            return false;
                        }
                    } else if (base[j].prev != NULL || base[j].next != NULL || base[j].cap.w1) {
                        return fail("empty container slot has links");
                    }
                }
            }
        }
    }
    /* Lists: acyclic, cover S; same-object runs contiguous; positions. */
    unsigned visited = 0, lists = 0;
    uint64_t dg = 1469598103934665603ull;
    for (unsigned i = 0; i < ns; i++) {
        if (S[i]->prev != NULL) {
            continue;
        }
        lists++;
        unsigned pos = 0;
        cte_t *prev = NULL;
        for (cte_t *s = S[i]; s != NULL; s = s->next) {
            if (++visited > ns) {
                return fail("derivation list has a cycle");
            }
            uint32_t idx = *set_find(&slotset, (uint64_t)(uintptr_t)s, false) - 1;
            list_of[idx] = lists;
            pos_of[idx] = pos++;
            if (cap_type(s->cap) != BH_OBJ_UNTYPED &&
                (prev == NULL || !cdt_same_object(prev->cap, s->cap))) {
                uint32_t *v = set_find(&runset, obj_key(s->cap), true);
                if (*v != 0) {
                    return fail("caps to object %llx not adjacent",
                                (unsigned long long)obj_key(s->cap));
                }
                *v = 1;
            }
            uint64_t words[5] = {(uint64_t)(uintptr_t)s, s->cap.w0, s->cap.w1,
                                 (uint64_t)(uintptr_t)s->prev, (uint64_t)(uintptr_t)s->next};
            for (unsigned w = 0; w < 5; w++) {
                dg = (dg ^ words[w]) * 1099511628211ull;
            }
            prev = s;
        }
    }
    if (visited != ns) {
        return fail("lists hold %u slots, %u found", visited, ns);
    }
    digest = dg;
    /* Objects and untyped regions. */
    unsigned nu = 0, no = 0;
    nnow = 0;
    for (unsigned i = 0; i < ns; i++) {
        cap_t c = S[i]->cap;
        bh_objtype_t t = cap_type(c);
        if (t == BH_OBJ_IRQ_CONTROL || t == BH_OBJ_IRQ_HANDLER) {
            continue;
        }
        uint64_t lo = pa_addr(cap_obj(c));
        uint64_t hi = lo + (1ull << cap_object_size_bits(c));
        if (t == BH_OBJ_UNTYPED) {
            uts[nu++] = (region_t){lo, hi, S[i]};
            continue;
        }
        uint32_t *v = set_find(&livenow, obj_key(c), true);
        if (*v == 0) {
            *v = 1;
            now_keys[nnow++] = obj_key(c);
            objs[no++] = (region_t){lo, hi, S[i]};
        }
    }
    qsort(objs, no, sizeof(region_t), cmp_region);
    for (unsigned i = 1; i < no; i++) {
        if (objs[i].lo < objs[i - 1].hi) {
            return fail("objects %llx and %llx overlap", (unsigned long long)objs[i - 1].lo,
                        (unsigned long long)objs[i].lo);
        }
    }
    /* Every slot lies in a cspace or a live container. */
    for (unsigned i = 0; i < ns; i++) {
        cte_t *s = S[i];
        if (in_array(s, A, A_SLOTS) || in_array(s, B, B_SLOTS) || s == &R) {
            continue;
        }
        uint64_t a = (uint64_t)(uintptr_t)s;
        unsigned lo = 0, hi = no; /* last region with .lo <= a */
        while (hi - lo > 1) {
            unsigned mid = (lo + hi) / 2;
            if (objs[mid].lo <= a) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        if (no == 0 || objs[lo].lo > a || a >= objs[lo].hi || !is_container(objs[lo].slot->cap)) {
            return fail("slot %p is in no live container", (void *)s);
        }
        cte_t *base;
        uint64_t n;
        cap_container_slots(objs[lo].slot->cap, &base, &n);
        if (!in_array(s, base, n)) {
            return fail("slot %p is in a container but not one of its slots", (void *)s);
        }
    }
    qsort(uts, nu, sizeof(region_t), cmp_region);
    for (unsigned u = 0; u < nu; u++) {
        cte_t *us = uts[u].slot;
        uint32_t ui = *set_find(&slotset, (uint64_t)(uintptr_t)us, false) - 1;
        unsigned run_end = pos_of[ui];
        for (cte_t *s = us->next; s != NULL && cdt_is_parent_of(us, s); s = s->next) {
            run_end++;
        }
        uint64_t ulo = uts[u].lo, uhi = uts[u].hi;
        uint64_t wm = ulo + cap_ut_free_index(us->cap);
        if (wm > uhi) {
            return fail("untyped free index beyond its end");
        }
        /* Objects (one slot per object; caps to one object are adjacent). */
        unsigned k = lower_bound(objs, no, ulo);
        if (k > 0 && objs[k - 1].hi > ulo) {
            return fail("object %llx straddles untyped %llx", (unsigned long long)objs[k - 1].lo,
                        (unsigned long long)ulo);
        }
        for (unsigned j = k; j < no && objs[j].lo < uhi; j++) {
            if (!inside_run(&objs[j], ulo, uhi, wm, ui, run_end)) {
                return false;
            }
        }
        /* Untyped regions starting inside this one. */
        for (unsigned j = lower_bound(uts, nu, ulo); j < nu && uts[j].lo < uhi; j++) {
            if (j == u) {
                continue;
            }
            uint32_t oi = *set_find(&slotset, (uint64_t)(uintptr_t)uts[j].slot, false) - 1;
            if (uts[j].lo == ulo &&
                (uts[j].hi > uhi ||
                 (uts[j].hi == uhi && list_of[oi] == list_of[ui] && pos_of[oi] < pos_of[ui]))) {
                continue; /* an enclosing untyped (equal size: the one before) */
            }
            if (!inside_run(&uts[j], ulo, uhi, wm, ui, run_end)) {
                return false;
            }
        }
    }
    return true;
}

/* Objects that lost their last cap were finalised, and only those; finalised
 * containers were empty; nothing live was finalised. */
static bool check_lifetimes(unsigned ev_start)
{
    if (fin_overflow != 0) {
        return fail("finalise event overflow");
    }
    for (unsigned i = ev_start; i < fin_count; i++) {
        fin_event_t *e = &fin_events[i];
        if (e->kind != EV_FINALISE) {
            continue;
        }
        uint64_t key =
            e->type == BH_OBJ_IRQ_HANDLER ? ((e->obj << 8) | e->type) : (e->obj | e->type);
        if (!e->container_was_empty) {
            return fail("container %llx finalised while holding caps", (unsigned long long)e->obj);
        }
        if (set_find(&livenow, key, false) != NULL) {
            return fail("object %llx finalised but still has caps", (unsigned long long)e->obj);
        }
        uint32_t *v = set_find(&liveprev, key, false);
        if (v == NULL || *v == 2) {
            return fail("object %llx finalised twice or never existed", (unsigned long long)e->obj);
        }
        *v = 2;
    }
    /* Every object live before and gone now must have been finalised. */
    for (unsigned p = 0; p < nprev; p++) {
        if (*set_find(&liveprev, prev_keys[p], false) == 1 &&
            set_find(&livenow, prev_keys[p], false) == NULL) {
            return fail("object key %llx lost its caps without finalisation",
                        (unsigned long long)prev_keys[p]);
        }
    }
    /* liveprev := livenow */
    set_clear(&liveprev);
    nprev = 0;
    for (unsigned p = 0; p < nnow; p++) {
        *set_find(&liveprev, now_keys[p], true) = 1;
        prev_keys[nprev++] = now_keys[p];
    }
    return true;
}

/* ---- running operations ---- */

static unsigned long stats_ok[OP_KINDS], stats_err[OP_KINDS], stats_fin;

/* The frame proved for one unit of revoke work (revoke_unit in cnode.c,
 * u_frame): it changes only the revoked slot, the slot of its first child,
 * and slots inside a container whose capability is the last one to it
 * (cdt_dying in cdt.h). Checked on every revoke call with budget 1. */
static cte_t *unit_slot[MAXS];
static cap_t unit_before[MAXS];
static bool unit_allowed[MAXS];
static unsigned unit_n;
static const cte_t *unit_child;
static unsigned long stats_units, stats_units_inside;

static void unit_allow(const cte_t *p)
{
    uint32_t *v = set_find(&slotset, (uint64_t)(uintptr_t)p, false);
    if (v != NULL && *v != 0) {
        unit_allowed[*v - 1] = true;
    }
}

static bool unit_snapshot(cte_t *slot)
{
    if (!check_invariants()) { /* fills S[0 .. ns) and slotset */
        return false;
    }
    unit_n = ns;
    for (unsigned i = 0; i < ns; i++) {
        unit_slot[i] = S[i];
        unit_before[i] = S[i]->cap;
        unit_allowed[i] = S[i] == slot;
    }
    unit_child = NULL;
    if (!cap_is_null(slot->cap) && cdt_has_children(slot)) {
        unit_child = slot->next;
        unit_allow(slot->next);
    }
    for (unsigned i = 0; i < ns; i++) {
        cte_t *base;
        uint64_t n;
        if (!cap_is_null(S[i]->cap) && cdt_is_last(S[i]) &&
            cap_container_slots(S[i]->cap, &base, &n)) {
            for (uint64_t k = 0; k < n; k++) {
                unit_allow(base + k);
            }
        }
    }
    return true;
}

static bool unit_check(const cte_t *slot)
{
    bool inside = false;
    for (unsigned i = 0; i < unit_n; i++) {
        const cte_t *x = unit_slot[i];
        if (memcmp(&x->cap, &unit_before[i], sizeof(cap_t)) == 0) {
            continue;
        }
        if (!unit_allowed[i]) {
            return fail("revoke unit changed slot %p outside its frame", (const void *)x);
        }
        inside = inside || (x != slot && x != unit_child);
    }
    stats_units++;
    stats_units_inside += inside ? 1u : 0u;
    return true;
}

/* Rights never grow; badges are never changed; moves keep the capability. */
static bool check_derived(const op_t *op, cap_t src, cap_t dst)
{
    bool badged = cap_has_badge_field(cap_type(src)) && cap_badge(src) != 0;
    switch (op->kind) {
    case OP_COPY:
    case OP_TRANSFER:
        if (cap_rights(dst) != (cap_rights(src) & op->rights) || cap_is_original(dst) ||
            !cdt_same_object(src, dst) ||
            (cap_has_badge_field(cap_type(src)) && cap_badge(dst) != cap_badge(src))) {
            return fail("copy made a different capability");
        }
        break;
    case OP_MINT:
        if (cap_rights(dst) != (cap_rights(src) & op->rights) || !cdt_same_object(src, dst) ||
            (badged && cap_badge(dst) != cap_badge(src))) {
            return fail("mint grew rights or changed a badge");
        }
        break;
    case OP_MOVE:
        if (memcmp(&src, &dst, sizeof(cap_t)) != 0) {
            return fail("move changed the capability");
        }
        break;
    case OP_MUTATE:
        if (cap_rights(dst) != cap_rights(src) || (src.w0 != dst.w0) ||
            (badged && cap_badge(dst) != cap_badge(src))) {
            return fail("mutate changed rights, object or badge");
        }
        break;
    default:
        break;
    }
    return true;
}

/* Returns false (with fail_msg_buf) if an invariant broke. */
static bool run_op(const op_t *op)
{
    uint64_t before = digest;
    fin_reset();
    unsigned ev_start = 0;
    bh_error_t e = BH_OK;
    bool may_change_on_error = false;
    cte_t *s = resolve(op->s);
    cte_t *d = resolve(op->d);
    cap_t sc = s->cap;
    switch (op->kind) {
    case OP_RETYPE: {
        cap_t dest = op->d.space == 0 ? cnode_cap(A, A_RADIX) : d->cap;
        e = caps_retype(s, (bh_objtype_t)op->type, op->bits, dest, op->offset, op->count);
        break;
    }
    case OP_COPY:
        e = caps_copy(s, d, op->rights);
        break;
    case OP_MINT:
        e = caps_mint(s, d, op->rights, op->data);
        break;
    case OP_MOVE:
        e = caps_move(s, d);
        break;
    case OP_NEST:
        e = op->finish ? caps_copy(s, d, op->rights) : caps_move(s, d);
        break;
    case OP_MUTATE:
        e = caps_mutate(s, d, op->data);
        break;
    case OP_DELETE:
    case OP_REVOKE:
        may_change_on_error = true;
        for (unsigned i = 0; i < 100000; i++) {
            bool unit = op->kind == OP_REVOKE && op->budget == 1u;
            if (unit && !unit_snapshot(s)) {
                return false;
            }
            e = op->kind == OP_DELETE ? caps_delete(s, op->budget) : caps_revoke(s, op->budget);
            if (unit && !unit_check(s)) {
                return false;
            }
            if (e != BH_E_PREEMPTED || !op->finish) {
                break;
            }
            if (!check_invariants()) {
                return false;
            }
        }
        /* Revoke refuses when the chain reaches the revoked slot (it sits in
         * one of its own descendants); the capability stays. */
        if (op->kind == OP_REVOKE && e == BH_E_ILLEGAL_OPERATION) {
            if (memcmp(&s->cap, &sc, sizeof(sc)) != 0) {
                return fail("revoke refused but changed the revoked capability");
            }
            break;
        }
        if (e != BH_OK && e != BH_E_PREEMPTED && !(op->kind == OP_DELETE && e == BH_E_RANGE)) {
            return fail("%s returned %d", op_names[op->kind], e);
        }
        if (e == BH_E_PREEMPTED && op->finish) {
            return fail("%s never finished", op_names[op->kind]);
        }
        break;
    case OP_TRANSFER: {
        /* Simulated IPC: the sender's endpoint cap must carry Grant. */
        cte_t *ep = resolve(op->e);
        if (cap_type(ep->cap) != BH_OBJ_ENDPOINT || (cap_rights(ep->cap) & BH_RIGHT_GRANT) == 0) {
            e = BH_E_INSUFFICIENT_RIGHTS;
        } else {
            e = caps_copy(s, d, op->rights);
        }
        break;
    }
    case OP_MAP: {
        bh_objtype_t t = cap_type(s->cap);
        if ((t == BH_OBJ_FRAME_4K || t == BH_OBJ_PAGE_TABLE) && !cap_is_mapped(s->cap)) {
            s->cap = cap_set_mapping(s->cap, (uint16_t)op->data, va_init(op->data << 12));
            before = 0; /* changed on purpose */
        } else {
            e = BH_E_INVALID_CAPABILITY;
        }
        break;
    }
    case OP_LOOKUP: {
        cte_t *slot;
        bh_lookup_fault_t f;
        uint32_t depth = 1 + (uint32_t)(op->data % 16);
        e = cspace_lookup(cnode_cap(A, A_RADIX), op->data >> 4, depth, true, &slot, &f);
        uint64_t cptr = op->data >> 4;
        if (depth < A_RADIX) {
            if (e != BH_E_LOOKUP_FAILED || f.kind != BH_LOOKUP_DEPTH_MISMATCH) {
                return fail("lookup depth %u: %d", depth, e);
            }
        } else if (depth == A_RADIX) {
            if (e != BH_OK || slot != &A[cptr & (A_SLOTS - 1)]) {
                return fail("lookup single level: %d", e);
            }
        } else if (e == BH_OK) {
            cap_t mid = A[(cptr >> (depth - A_RADIX)) & (A_SLOTS - 1)].cap;
            if (cap_type(mid) != BH_OBJ_CNODE) {
                return fail("lookup went through a non-CNode");
            }
        }
        e = e == BH_OK ? BH_OK : BH_E_LOOKUP_FAILED;
        before = 0;
        break;
    }
    default:
        break;
    }
    if (e == BH_OK && !check_derived(op, sc, d->cap)) {
        return false;
    }
    if (e == BH_OK) {
        stats_ok[op->kind]++;
    } else {
        stats_err[op->kind]++;
    }
    stats_fin += fin_count;
    if (!check_invariants()) {
        return false;
    }
    if (e != BH_OK && !may_change_on_error && before != 0 && digest != before) {
        return fail("%s failed with %d but changed the state", op_names[op->kind], e);
    }
    if (e != BH_OK && !may_change_on_error && fin_count != ev_start) {
        return fail("%s failed with %d but finalised something", op_names[op->kind], e);
    }
    return check_lifetimes(ev_start);
}

/* Run ops[0..n) (those with keep[i]) from a fresh world. Returns the index of
 * the failing operation or -1. */
static long run_seq(const op_t *ops, const bool *keep, long n)
{
    world_reset();
    set_clear(&liveprev);
    nprev = 0;
    if (!check_invariants() || !check_lifetimes(0)) {
        return 0;
    }
    for (long i = 0; i < n; i++) {
        if (keep != NULL && !keep[i]) {
            continue;
        }
        if (!run_op(&ops[i])) {
            return i;
        }
    }
    return -1;
}

/* Does the subsequence fail (invariant or crash)? Runs in a child process. */
static bool fails_in_child(const op_t *ops, const bool *keep, long n)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        _exit(run_seq(ops, keep, n) >= 0 ? 1 : 0);
    }
    int st;
    waitpid(pid, &st, 0);
    return !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void print_op(long i, const op_t *o)
{
    printf("  #%ld %s s=(%u,%u,%u) d=(%u,%u,%u) e=(%u,%u) type=%u bits=%u count=%u off=%u "
           "budget=%u finish=%u rights=%#x data=%#llx\n",
           i, op_names[o->kind], o->s.space, o->s.idx, o->s.inner, o->d.space, o->d.idx, o->d.inner,
           o->e.space, o->e.idx, o->type, o->bits, o->count, o->offset, o->budget, o->finish,
           o->rights, (unsigned long long)o->data);
}

static void shrink_and_report(const op_t *ops, long fail_at)
{
    long n = fail_at + 1;
    bool *keep = malloc((size_t)n);
    memset(keep, 1, (size_t)n);
    long kept = n;
    unsigned replays = 0;
    /* Delta debugging: drop chunks, halving the chunk size. */
    for (long chunk = n / 2; chunk >= 1 && replays < 3000; chunk /= 2) {
        for (long start = 0; start < n && replays < 3000; start += chunk) {
            bool saved[64];
            long cnt = 0;
            for (long i = start; i < start + chunk && i < n; i++) {
                if (keep[i]) {
                    cnt++;
                }
            }
            if (cnt == 0) {
                continue;
            }
            bool *backup = malloc((size_t)chunk);
            for (long i = start; i < start + chunk && i < n; i++) {
                backup[i - start] = keep[i];
                keep[i] = false;
            }
            replays++;
            if (fails_in_child(ops, keep, n)) {
                kept -= cnt;
            } else {
                for (long i = start; i < start + chunk && i < n; i++) {
                    keep[i] = backup[i - start];
                }
            }
            free(backup);
            (void)saved;
        }
    }
    printf("shortest failing sequence found (%ld ops, %u replays):\n", kept, replays);
    for (long i = 0; i < n; i++) {
        if (keep[i]) {
            print_op(i, &ops[i]);
        }
    }
    /* Re-run in process to print the failure message. */
    long at = run_seq(ops, keep, n);
    printf("fails at #%ld: %s\n", at, fail_msg_buf);
    free(keep);
}

int main(int argc, char **argv)
{
    uint64_t seed = 0xB01C4EADull;
    long nops = 250000;
    const char *env_seed = getenv("BH_CAPS_SEED");
    const char *env_ops = getenv("BH_CAPS_OPS");
    if (argc > 1) {
        seed = strtoull(argv[1], NULL, 0);
    } else if (env_seed != NULL) {
        seed = strtoull(env_seed, NULL, 0);
    }
    if (argc > 2) {
        nops = strtol(argv[2], NULL, 0);
    } else if (env_ops != NULL) {
        nops = strtol(env_ops, NULL, 0);
    }
    printf("caps random test: seed %#llx, %ld operations\n", (unsigned long long)seed, nops);
    arena = aligned_alloc(1u << ARENA_BITS, 1u << ARENA_BITS);
    op_t *ops = malloc(sizeof(op_t) * (size_t)nops);
    rng = seed;
    for (long i = 0; i < nops; i++) {
        ops[i] = gen_op();
    }
    long at = run_seq(ops, NULL, nops);
    if (at >= 0) {
        printf("FAIL at operation #%ld: %s\n", at, fail_msg_buf);
        print_op(at, &ops[at]);
        shrink_and_report(ops, at);
        free(ops);
        free(arena);
        fflush(stdout);
        return 1;
    }
    unsigned long tot_ok = 0;
    for (unsigned k = 0; k < OP_KINDS; k++) {
        printf("  %-8s %7lu ok %7lu refused\n", op_names[k], stats_ok[k], stats_err[k]);
        tot_ok += stats_ok[k];
    }
    printf("revoke units checked against their frame: %lu (%lu changed a slot inside a dying "
           "container)\n",
           stats_units, stats_units_inside);
    printf("ok: %ld operations, %lu succeeded, %lu hook calls, invariants held after every "
           "step\n",
           nops, tot_ok, stats_fin);
    free(ops);
    free(arena);
    return 0;
}
