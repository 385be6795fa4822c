/*
 * Typed views of physical memory for the capability core: the one place it
 * turns a capability's object address into a pointer (pa_to_kva, the
 * identity phys mapping). Not proved: WP's typed memory model cannot follow
 * an integer-to-pointer cast, so the contracts of cap_cnode_slots (cap.h) and
 * caps_zero_object (untyped.h) are assumptions of the proofs that call them
 * (docs/PROOFS.md).
 */
#include <caps/cap.h>
#include <caps/untyped.h>
#include <kernel/phys.h>

cte_t *cap_cnode_slots(cap_t c)
{
    return (cte_t *)pa_to_kva(cap_obj(c));
}

bool cap_container_slots(cap_t c, cte_t **first, uint64_t *count)
{
    bh_objtype_t t = cap_type(c);
    if (t == BH_OBJ_CNODE) {
        *first = (cte_t *)pa_to_kva(cap_obj(c));
        *count = 1ull << cap_cnode_radix(c);
        return true;
    }
    if (t == BH_OBJ_TCB) {
        *first = (cte_t *)pa_to_kva(cap_obj(c));
        *count = BH_TCB_CAP_SLOTS;
        return true;
    }
    *first = NULL;
    *count = 0u;
    return false;
}

void caps_zero_object(paddr_t obj, uint64_t words)
{
    volatile uint64_t *w = (volatile uint64_t *)pa_to_kva(obj);
    for (uint64_t i = 0u; i < words; i++) {
        w[i] = 0u;
    }
}
