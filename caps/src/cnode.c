/* CNode operations: copy, mint, move, mutate, delete, revoke. */
#include <caps/cdt.h>
#include <caps/cnode.h>
#include <caps/finalise.h>
#include <kernel/assert.h>

/* Rights of a derived capability: never more than the source's. */
/*@ assigns \nothing;
    ensures \result == (have & mask) % 32; */
static uint32_t rights_and(uint32_t have, uint32_t mask)
{
    uint32_t both = have & mask;
    return both % 32u; /* = have & mask & BH_RIGHTS_ALL */
}

/* The capability a copy of c starts from, or BH_E_ILLEGAL_OPERATION. */
/*@ requires \valid(out);
    assigns *out;
    ensures \result == BH_OK ==> cap_rights_l(*out) == cap_rights_l(c);
    ensures \result == BH_OK ==> cap_type_l(*out) == cap_type_l(c) && cap_type_l(c) != 0;
    ensures \result == BH_OK ==> cap_type_l(c) != BH_OBJ_PAGE_TABLE;
    ensures \result == BH_OK ==> out->w0 / 65536 == c.w0 / 65536;
    ensures \result == BH_OK && cap_type_l(c) == BH_OBJ_CNODE ==> out->w1 == c.w1; */
static bh_error_t derive(cap_t c, cap_t *out)
{
    bh_objtype_t t = cap_type(c);
    if (t == BH_OBJ_NULL) {
        return BH_E_INVALID_CAPABILITY;
    }
    /* Two untyped caps would hand out memory twice; one authority over all
     * interrupts. A page table's one capability records where it is linked:
     * a copy could link the same table a second time (in another address
     * space, or at two levels). */
    if (t == BH_OBJ_UNTYPED || t == BH_OBJ_IRQ_CONTROL || t == BH_OBJ_PAGE_TABLE) {
        return BH_E_ILLEGAL_OPERATION;
    }
    cap_t d = c;
    if (t == BH_OBJ_FRAME_4K || t == BH_OBJ_FRAME_2M) {
        d = cap_clear_mapping(c);
    }
    cap_t r = cap_set_original(d, false);
    /*@ assert r.w0 / 65536 == r.w0 / 16384 / 4 && d.w0 / 65536 == d.w0 / 16384 / 4; */
    *out = r;
    return BH_OK;
}

/* Apply capability data (badge, guard). *made_original: a new badge on an
 * unbadged capability starts a new derivation subtree. */
/*@ requires \valid(out) && \valid(made_original) && \separated(out, made_original);
    assigns *out, *made_original;
    ensures \result == BH_OK ==> cap_rights_l(*out) == cap_rights_l(c);
    ensures \result == BH_OK ==> cap_type_l(*out) == cap_type_l(c); */
static bh_error_t apply_data(cap_t c, uint64_t data, cap_t *out, bool *made_original)
{
    bh_objtype_t t = cap_type(c);
    *made_original = false;
    if (cap_has_badge_field(t)) {
        if (cap_badge(c) == 0u) {
            *out = cap_set_badge(c, data);
            *made_original = data != 0u;
            return BH_OK;
        }
        if (data != 0u && data != cap_badge(c)) {
            return BH_E_ILLEGAL_OPERATION; /* badges are never changed */
        }
        *out = c;
        return BH_OK;
    }
    if (t == BH_OBJ_CNODE) {
        uint32_t gsize = (uint32_t)(data & 0x3fu);
        uint64_t guard = data >> 6;
        if (gsize > BH_GUARD_SIZE_MAX || gsize + cap_cnode_radix(c) > 64u ||
            (guard >> gsize) != 0u) {
            return BH_E_INVALID_ARGUMENT;
        }
        *out = cap_cnode_set_guard(c, guard, gsize);
        return BH_OK;
    }
    if (data != 0u) {
        return BH_E_INVALID_ARGUMENT;
    }
    *out = c;
    return BH_OK;
}

/*@ requires \valid_read(src) && \valid_read(dest);
    assigns \nothing;
    ensures \result == BH_OK <==> (cap_null_l(dest->cap) && !cap_null_l(src->cap)); */
static bh_error_t check_slots(const cte_t *src, const cte_t *dest)
{
    if (!cap_is_null(dest->cap)) {
        return BH_E_DELETE_FIRST;
    }
    if (cap_is_null(src->cap)) {
        return BH_E_INVALID_CAPABILITY;
    }
    return BH_OK;
}

bh_error_t caps_copy(cte_t *src, cte_t *dest, uint32_t rights_mask)
{
    cap_t c;
    bh_error_t e = check_slots(src, dest);
    if (e == BH_OK) {
        e = derive(src->cap, &c);
    }
    if (e != BH_OK) {
        return e;
    }
    if (src->next == src) {
        return BH_E_ILLEGAL_OPERATION; /* a cycle: not on a well-formed tree */
    }
    cap_t r = cap_set_rights(c, rights_and(cap_rights(c), rights_mask));
    /* Bits [63:16] stay: [63:13] do (cap_set_rights). */
    /*@ assert r.w0 / 65536 == r.w0 / 8192 / 8 && c.w0 / 65536 == c.w0 / 8192 / 8; */
    cdt_insert_after(src, dest, r);
    return BH_OK;
}

bh_error_t caps_mint(cte_t *src, cte_t *dest, uint32_t rights_mask, uint64_t data)
{
    cap_t c;
    cap_t d;
    bool original = false;
    bh_error_t e = check_slots(src, dest);
    if (e == BH_OK) {
        e = derive(src->cap, &c);
    }
    if (e == BH_OK) {
        e = apply_data(c, data, &d, &original);
    }
    if (e == BH_OK && src->next == src) {
        e = BH_E_ILLEGAL_OPERATION; /* a cycle: not on a well-formed tree */
    }
    if (e != BH_OK) {
        return e;
    }
    d = cap_set_rights(d, rights_and(cap_rights(d), rights_mask));
    d = cap_set_original(d, original);
    cdt_insert_after(src, dest, d);
    return BH_OK;
}

bh_error_t caps_move(cte_t *src, cte_t *dest)
{
    bh_error_t e = check_slots(src, dest);
    if (e == BH_OK && !cdt_links_distinct(src)) {
        e = BH_E_ILLEGAL_OPERATION; /* a cycle: not on a well-formed tree */
    }
    if (e != BH_OK) {
        return e;
    }
    cdt_move(src, dest, src->cap);
    return BH_OK;
}

bh_error_t caps_mutate(cte_t *src, cte_t *dest, uint64_t data)
{
    cap_t d;
    bool original = false;
    bh_error_t e = check_slots(src, dest);
    if (e == BH_OK) {
        e = apply_data(src->cap, data, &d, &original);
    }
    if (e == BH_OK && !cdt_links_distinct(src)) {
        e = BH_E_ILLEGAL_OPERATION; /* a cycle: not on a well-formed tree */
    }
    if (e != BH_OK) {
        return e;
    }
    /* Keep the original flag: the capability keeps its place in the tree. */
    cdt_move(src, dest, d);
    return BH_OK;
}

/* First non-empty slot other than self inside the object c refers to, if c
 * refers to a capability container (CNode, TCB). */
/*@ assigns \nothing;
    ensures \result == \null ||
      (\valid(\result) && cdt_slot(\result) && \result != self && !cap_null_l(\result->cap));
    ensures \result != \null ==> in_cont_l(\result, c); */
static cte_t *other_nonempty_slot(cap_t c, cte_t *self)
{
    cte_t *base;
    uint64_t n;
    if (!cap_container_slots(c, &base, &n)) {
        return NULL;
    }
    /*@ loop invariant 0 <= i <= n;
        loop invariant \valid(base + (0 .. n - 1));
        loop invariant \forall integer k; 0 <= k < n ==> cdt_slot(base + k);
        loop invariant n != 0 ==> base == kva_slots(cap_obj_l(c)) && n == cont_count_l(c);
        loop assigns i;
        loop variant n - i; */
    for (uint64_t i = 0u; i < n; i++) {
        if (base + i != self && !cap_is_null(base[i].cap)) {
            /*@ assert in_cont_l(base + i, c); */
            return base + i;
        }
    }
    return NULL;
}

/* The removal that every deletion ends in: unlink the slot from the
 * derivation tree, empty it, then run the hooks (finalise.h), which touch no
 * capability slot. Nothing else of the tree changes. */
/*@ requires cdt_wf;
    requires cdt_at(cur) && !cap_null_l(cur->cap) && cdt_distinct(cur);
    assigns *cur, cur->prev->next, cur->next->prev, bh_kobj_state;
    ensures \old(cur->prev) != \null ==> \old(cur->prev)->next == \old(cur->next);
    ensures \old(cur->next) != \null ==> \old(cur->next)->prev == \old(cur->prev);
    ensures \old(cur->prev) != \null ==> \old(cur->prev)->prev == \old(cur->prev->prev) &&
                                         \old(cur->prev)->cap == \old(cur->prev->cap);
    ensures \old(cur->next) != \null ==> \old(cur->next)->next == \old(cur->next->next) &&
                                         \old(cur->next)->cap == \old(cur->next->cap);
    ensures cur->prev == \null && cur->next == \null && cap_null_l(cur->cap);
    ensures rm_frame: \forall cte_t *s; \separated(s, cur) ==>
      s->cap.w0 == \old(s->cap.w0) && s->cap.w1 == \old(s->cap.w1);
    ensures cdt_wf; */
static void remove_now(cte_t *cur, bool last)
{
    cap_t c = cur->cap;
    cdt_remove(cur);
    caps_cap_removed(c, last);
}

/* remove_now on the slot a deletion chain ends in, with the frame stated
 * over all capability slots (what delete_step assigns), like chain_swap. */
/*@ requires cdt_wf;
    requires cdt_at(cur) && !cap_null_l(cur->cap) && cdt_distinct(cur);
    assigns { *s | cte_t *s; cdt_slot(s) }, bh_kobj_state;
    ensures cdt_wf;
    ensures \forall cte_t *s; \separated(s, cur) ==>
      s->cap.w0 == \old(s->cap.w0) && s->cap.w1 == \old(s->cap.w1); */
static void chain_remove(cte_t *cur, bool last)
{
    /*@ assert cdt_link_ok(cur); */
    /*@ assert (cur->prev == \null || cdt_slot(cur->prev)) &&
          (cur->next == \null || cdt_slot(cur->next)); */
    remove_now(cur, last);
}

/* Swap two capabilities of a deletion chain (see delete_step), refusing a
 * list shape that only a cycle in the list can have (cdt_swap_ok). */
/*@ requires cdt_wf;
    requires cdt_at(a) && cdt_at(b) && a != b;
    requires !cap_null_l(a->cap) && !cap_null_l(b->cap);
    assigns *a, *b, *(a->prev), *(a->next), *(b->prev), *(b->next);
    ensures cdt_wf;
    ensures \forall cte_t *s; \separated(s, a) && \separated(s, b) ==>
      s->cap.w0 == \old(s->cap.w0) && s->cap.w1 == \old(s->cap.w1);
    ensures \result == BH_OK ==> a->cap == \old(b->cap) && b->cap == \old(a->cap);
    ensures \result != BH_OK ==> a->cap == \old(a->cap) && b->cap == \old(b->cap);
    ensures \result == BH_OK || \result == BH_E_ILLEGAL_OPERATION; */
static bh_error_t swap_step(cte_t *a, cte_t *b)
{
    /*@ assert (a->prev == \null || cdt_slot(a->prev)) && (a->next == \null || cdt_slot(a->next)) &&
          (b->prev == \null || cdt_slot(b->prev)) && (b->next == \null || cdt_slot(b->next)); */
    if (!cdt_can_swap(a, b)) {
        return BH_E_ILLEGAL_OPERATION;
    }
    cdt_swap(a, b);
    return BH_OK;
}

/* swap_step on two slots of a deletion chain: the same, with the frame
 * stated over all capability slots (what delete_step assigns), so that
 * delete_step's frame goals stay small. */
/*@ requires cdt_wf;
    requires cdt_at(a) && cdt_at(b) && a != b;
    requires !cap_null_l(a->cap) && !cap_null_l(b->cap);
    assigns { *s | cte_t *s; cdt_slot(s) };
    ensures cdt_wf;
    ensures \forall cte_t *s; \separated(s, a) && \separated(s, b) ==>
      s->cap.w0 == \old(s->cap.w0) && s->cap.w1 == \old(s->cap.w1);
    ensures \result == BH_OK || \result == BH_E_ILLEGAL_OPERATION; */
static bh_error_t chain_swap(cte_t *a, cte_t *b)
{
    /*@ assert cdt_link_ok(a) && cdt_link_ok(b); */
    /*@ assert (a->prev == \null || cdt_slot(a->prev)) && (a->next == \null || cdt_slot(a->next)) &&
          (b->prev == \null || cdt_slot(b->prev)) && (b->next == \null || cdt_slot(b->next)); */
    return swap_step(a, b);
}

/* What one unit of deletion work does (chain_walk): on BH_OK, remove a
 * (b null; last: cdt_is_last(a), for the hooks) or swap b with a. */
typedef struct {
    bh_error_t e;
    cte_t *a;
    cte_t *b;
    bool last;
} step_t;

/*
 * Decides one unit of deletion work towards emptying target. Follows the chain
 * target -> (last cap to a container) -> a capability inside it -> ... until a
 * capability that can go at once: remove it. If the chain comes back to
 * one of its own slots, those containers are reachable only through each other
 * (garbage): swapping two capabilities makes one container self-contained and
 * shortens the cycle (the swap is the unit of work).
 * A chain longer than CAPS_DELETE_CHAIN_MAX: delete refuses (BH_E_RANGE: delete
 * the inner capabilities first); revoke (rotate) swaps the last two links,
 * which shortens the chain and leaves the next-to-last container holding the
 * last capability to itself: garbage that the revoke of its untyped reclaims.
 * Every swap makes one more container hold its own last capability, and every
 * removal removes a capability, so repeated steps terminate.
 * The chain never enters keep (revoke: the revoked slot, which may sit inside
 * one of its own descendants): BH_E_ILLEGAL_OPERATION.
 * Changes nothing: delete_step does the work, so that only its goals carry the
 * memory states of the removal or the swap, and only this one the loop. One
 * ensures and one loop invariant (conjunctions): every ensures or invariant
 * is a goal over all the loop's exits, and each costs Qed about a second.
 */
/*@ requires cdt_wf;
    requires cdt_at(target) && !cap_null_l(target->cap);
    requires keep == \null || (cdt_at(keep) && keep != target);
    assigns \nothing;
    ensures (\result.e == BH_OK || \result.e == BH_E_ILLEGAL_OPERATION ||
             (\result.e == BH_E_RANGE && !rotate)) &&
      (\result.e == BH_OK ==> cdt_at(\result.a) && !cap_null_l(\result.a->cap) &&
        (\result.a == target || cdt_dying(\result.a)) &&
        (keep == \null || \separated(keep, \result.a))) &&
      (\result.e == BH_OK && \result.b == \null ==> cdt_distinct(\result.a)) &&
      (\result.e == BH_OK && \result.b != \null ==>
        cdt_at(\result.b) && !cap_null_l(\result.b->cap) && \result.b != \result.a &&
        (\result.b == target || cdt_dying(\result.b)) &&
        (keep == \null || \separated(keep, \result.b))); */
static step_t chain_walk(cte_t *target, bool rotate, cte_t *keep)
{
    step_t r = {BH_OK, NULL, NULL, false};
    cte_t *chain[CAPS_DELETE_CHAIN_MAX];
    uint32_t depth = 1u;
    chain[0] = target;
    /*@ loop invariant 1 <= depth <= CAPS_DELETE_CHAIN_MAX && chain[0] == target &&
          (\forall integer k; 0 <= k < depth ==>
            cdt_at(chain[k]) && !cap_null_l(chain[k]->cap) && chain[k] != keep) &&
          (depth >= 2 ==> chain[depth - 1] != chain[depth - 2]) &&
          (\forall integer k; 1 <= k < depth ==> cdt_dying(chain[k]));
        loop assigns depth, chain[1 .. CAPS_DELETE_CHAIN_MAX - 1];
        loop variant CAPS_DELETE_CHAIN_MAX - depth; */
    while (true) {
        cte_t *cur = chain[depth - 1u];
        cte_t *inner = NULL;
        /*@ assert c_ok: cdt_link_ok(cur); */
        BH_ASSERT(!cap_is_null(cur->cap));
        bool last = cdt_is_last(cur);
        if (last) {
            inner = other_nonempty_slot(cur->cap, cur);
        }
        if (inner == NULL) {
            if (!cdt_links_distinct(cur)) {
                r.e = BH_E_ILLEGAL_OPERATION; /* a cycle: not on a well-formed tree */
                return r;
            }
            r.a = cur;
            r.last = last;
            return r;
        }
        if (inner == keep) {
            r.e = BH_E_ILLEGAL_OPERATION;
            return r;
        }
        /* A cycle back into the chain: swap with the slot it reaches. */
        uint32_t at = depth;
        /*@ loop invariant 0 <= j <= depth && (at == depth || (at < j && chain[at] == inner));
            loop assigns j, at;
            loop variant depth - j; */
        for (uint32_t j = 0u; j < depth; j++) {
            if (at == depth && chain[j] == inner) {
                at = j;
            }
        }
        if (at == depth) {
            if (depth < CAPS_DELETE_CHAIN_MAX) {
                /*@ assert inner != cur; */
                /*@ assert d_wit: cdt_at(cur) && !cap_null_l(cur->cap) && cdt_last_l(cur) &&
                      in_cont_l(inner, cur->cap); */
                /*@ assert d_in: cdt_dying(inner); */
                chain[depth] = inner;
                depth++;
                continue;
            }
            if (!rotate) {
                r.e = BH_E_RANGE;
                return r;
            }
            /* Too deep: swap the last two links (see above). */
            at = depth - 2u;
            /*@ assert chain[at] != cur; */
        } else {
            /*@ assert chain[at] == inner; */
        }
        r.a = cur;
        r.b = chain[at];
        return r;
    }
}

/* One unit of deletion work towards emptying target (chain_walk): a removal
 * or a swap of two capabilities of the chain. */
/*@ requires cdt_wf;
    requires cdt_at(target) && !cap_null_l(target->cap);
    requires keep == \null || (cdt_at(keep) && keep != target);
    assigns { *s | cte_t *s; cdt_slot(s) }, bh_kobj_state;
    ensures cdt_wf;
    ensures keep != \null ==> keep->cap == \old(keep->cap);
    ensures d_frame: \forall cte_t *s; cdt_at(s) && s != target && !cdt_dying{Pre}(s) ==>
      s->cap.w0 == \old(s->cap.w0) && s->cap.w1 == \old(s->cap.w1);
    ensures \result == BH_OK || \result == BH_E_ILLEGAL_OPERATION ||
            (\result == BH_E_RANGE && !rotate); */
static bh_error_t delete_step(cte_t *target, bool rotate, cte_t *keep)
{
    step_t w = chain_walk(target, rotate, keep);
    if (w.e != BH_OK) {
        return w.e;
    }
    cte_t *cur = w.a;
    if (w.b == NULL) {
        /*@ assert d_sep: \forall cte_t *s; cdt_at(s) && s != cur ==> \separated(s, cur); */
        chain_remove(cur, w.last);
        /*@ assert keep == \null || keep->cap == \at(keep->cap, Pre); */
        /*@ assert d_f1: \forall cte_t *s; cdt_at(s) && s != target && !cdt_dying{Pre}(s) ==>
              s->cap.w0 == \at(s->cap.w0, Pre) && s->cap.w1 == \at(s->cap.w1, Pre); */
        return BH_OK;
    }
    cte_t *other = w.b;
    bh_error_t e = chain_swap(other, cur);
    /*@ assert keep == \null || keep->cap == \at(keep->cap, Pre); */
    /*@ assert d_f2: \forall cte_t *s; cdt_at(s) && s != target && !cdt_dying{Pre}(s) ==>
          s->cap.w0 == \at(s->cap.w0, Pre) && s->cap.w1 == \at(s->cap.w1, Pre); */
    return e;
}

bh_error_t caps_delete(cte_t *slot, uint32_t budget)
{
    /*@ loop invariant 0 <= done <= budget;
        loop invariant cdt_wf;
        loop assigns done, { *s | cte_t *s; cdt_slot(s) }, bh_kobj_state;
        loop variant budget - done; */
    for (uint32_t done = 0u;; done++) {
        if (cap_is_null(slot->cap)) {
            return BH_OK;
        }
        if (done == budget) {
            return BH_E_PREEMPTED;
        }
        bh_error_t e = delete_step(slot, false, NULL);
        if (e != BH_OK) {
            return e;
        }
    }
}

/* True when revoke has nothing left to do; resets an untyped's free index
 * (the watermark goes back to 0 only here: no child is left). */
/*@ requires cdt_wf && cdt_at(slot);
    requires slot->next == \null || \valid_read(slot->next);
    requires slot->next == \null || \separated(slot, slot->next);
    assigns slot->cap.w1;
    ensures cdt_wf;
    ensures !\result ==> !cap_null_l(slot->cap) && slot->next != \null && slot->cap == \old(slot->cap);
    ensures !\result ==> cdt_parent_l(slot->cap, slot->next->cap);
    ensures !\result ==> cdt_child_l(slot->cap, slot->next->cap);
    ensures \result ==> cap_null_l(\old(slot->cap)) || slot->next == \null ||
                        !cdt_child_l(\old(slot->cap), slot->next->cap);
    ensures \result && cap_type_l(\old(slot->cap)) == BH_OBJ_UNTYPED ==>
      ut_free_l(slot->cap) == 0 && slot->cap.w0 == \old(slot->cap.w0) &&
      slot->cap.w1 % 64 == \old(slot->cap.w1) % 64;
    ensures cap_type_l(\old(slot->cap)) != BH_OBJ_UNTYPED ==> slot->cap == \old(slot->cap); */
static bool revoke_done(cte_t *slot)
{
    if (cap_is_null(slot->cap)) {
        return true;
    }
    if (cdt_has_children(slot)) {
        return false;
    }
    if (cap_type(slot->cap) == BH_OBJ_UNTYPED) {
        /* Only w1 changes (a store of the whole capability is a havoc for
         * the proofs of the tree invariant). */
        cap_t c = cap_ut_set_free_index(slot->cap, 0u);
        slot->cap.w1 = c.w1;
    }
    /*@ assert a_sep: \forall cte_t *s; cdt_at(s) ==> s == slot || \separated(s, slot); */
    /*@ assert a_w0: \forall cte_t *s; cdt_at(s) ==> s->cap.w0 == \at(s->cap.w0, Pre); */
    /*@ assert a_null: \forall cte_t *s; cdt_at(s) ==>
          (cap_null_l(s->cap) <==> cap_null_l(\at(s->cap, Pre))); */
    return true;
}

/* Nothing left to revoke (BH_OK, an Untyped's free index reset), more work
 * (BH_E_PREEMPTED, nothing changed), or a cycle (BH_E_ILLEGAL_OPERATION). */
/*@ requires cdt_wf && cdt_at(slot);
    assigns slot->cap.w1;
    ensures cdt_wf;
    ensures \result == BH_OK || \result == BH_E_PREEMPTED || \result == BH_E_ILLEGAL_OPERATION;
    ensures \result != BH_OK ==> slot->cap == \old(slot->cap);
    ensures \result == BH_E_PREEMPTED ==> !cap_null_l(slot->cap) && slot->next != \null &&
      cdt_at(slot->next) && slot->next != slot && !cap_null_l(slot->next->cap) &&
      cdt_child_l(slot->cap, slot->next->cap);
    ensures \result == BH_OK ==> cap_null_l(\old(slot->cap)) || slot->next == \null ||
                                 !cdt_child_l(\old(slot->cap), slot->next->cap);
    ensures cap_type_l(\old(slot->cap)) == BH_OBJ_UNTYPED ==>
      slot->cap.w0 == \old(slot->cap.w0) && slot->cap.w1 % 64 == \old(slot->cap.w1) % 64;
    ensures cap_type_l(\old(slot->cap)) != BH_OBJ_UNTYPED ==> slot->cap == \old(slot->cap); */
static bh_error_t revoke_check(cte_t *slot)
{
    if (slot->next == slot) {
        return BH_E_ILLEGAL_OPERATION; /* a cycle: not on a well-formed tree */
    }
    /*@ assert slot->next == \null || (cdt_at(slot->next) && \separated(slot, slot->next)); */
    if (revoke_done(slot)) {
        return BH_OK;
    }
    return BH_E_PREEMPTED;
}

/* Is a child left to delete: the capability is not empty and the next one
 * is its child (revoke_unit's test, one condition for its proof). */
/*@ requires \valid_read(slot);
    requires slot->next == \null || \valid_read(slot->next);
    assigns \nothing;
    ensures \result <==> !cap_null_l(slot->cap) && slot->next != \null &&
                         cdt_child_l(slot->cap, slot->next->cap); */
static bool has_child(const cte_t *slot)
{
    return !cap_is_null(slot->cap) && cdt_has_children(slot);
}

/* One unit of revoke work; caps_revoke is a loop of them. BH_OK: nothing left
 * (revoke_check); BH_E_PREEMPTED: one delete step towards removing the first
 * child. The step changes exactly (u_frame): that child's slot and the slots
 * inside containers whose last capability in the tree it is deleting
 * (cdt_dying), nothing when the capability has no child; the revoked
 * capability only gets its free index reset (u_same, u_ut). */
/*@ requires cdt_wf;
    requires cdt_at(slot);
    assigns { *s | cte_t *s; cdt_slot(s) }, bh_kobj_state;
    ensures u_wf: cdt_wf;
    ensures u_codes: \result == BH_OK || \result == BH_E_PREEMPTED ||
                     \result == BH_E_ILLEGAL_OPERATION;
    ensures u_same: cap_type_l(\old(slot->cap)) != BH_OBJ_UNTYPED ==> slot->cap == \old(slot->cap);
    ensures u_ut: cap_type_l(\old(slot->cap)) == BH_OBJ_UNTYPED ==>
      slot->cap.w0 == \old(slot->cap.w0) && slot->cap.w1 % 64 == \old(slot->cap.w1) % 64;
    ensures u_more: \result != BH_OK ==> slot->cap == \old(slot->cap);
    ensures u_none: \result == BH_OK ==> cap_null_l(\old(slot->cap)) || slot->next == \null ||
                                         !cdt_child_l(\old(slot->cap), slot->next->cap);
    ensures u_frame: \forall cte_t *s; cdt_at(s) && s != slot &&
      !(\old(slot->next) != \null && cdt_child_l(\old(slot->cap), \old(slot->next->cap)) &&
        (s == \old(slot->next) || cdt_dying{Pre}(s))) ==>
      s->cap.w0 == \old(s->cap.w0) && s->cap.w1 == \old(s->cap.w1); */
static bh_error_t revoke_unit(cte_t *slot)
{
    if (slot->next == slot) {
        return BH_E_ILLEGAL_OPERATION; /* a cycle: not on a well-formed tree */
    }
    /*@ assert slot->next == \null || (cdt_at(slot->next) && \separated(slot, slot->next)); */
    if (!has_child(slot)) {
        /*@ assert u_sep: \forall cte_t *s; cdt_at(s) && s != slot ==> \separated(s, slot); */
        bh_error_t e = revoke_check(slot);
        /*@ assert u_f0: \forall cte_t *s; cdt_at(s) && s != slot ==>
              s->cap.w0 == \at(s->cap.w0, Pre) && s->cap.w1 == \at(s->cap.w1, Pre); */
        return e;
    }
    /*@ assert cdt_at(slot->next) && !cap_null_l(slot->next->cap); */
    /* The chain of a step never enters slot: refused when slot is held
     * inside one of its own descendants. */
    bh_error_t e = delete_step(slot->next, true, slot);
    if (e != BH_OK) {
        return e;
    }
    return BH_E_PREEMPTED;
}

/* Revoke removes the descendants and keeps the capability: on BH_OK the
 * capability that follows is not a child (r_none), and since descendants
 * follow a capability contiguously (preorder) none is left; the capability is
 * unchanged but for an Untyped's free index (r_same, r_ut). Each unit of work
 * changes exactly what revoke_unit's u_frame says. */
bh_error_t caps_revoke(cte_t *slot, uint32_t budget)
{
    /*@ loop invariant 0 <= done <= budget;
        loop invariant cdt_wf;
        loop invariant slot->cap == \at(slot->cap, Pre);
        loop assigns done, { *s | cte_t *s; cdt_slot(s) }, bh_kobj_state;
        loop variant budget - done; */
    for (uint32_t done = 0u;; done++) {
        if (done == budget) {
            return revoke_check(slot);
        }
        bh_error_t e = revoke_unit(slot);
        if (e != BH_E_PREEMPTED) {
            return e;
        }
    }
}
