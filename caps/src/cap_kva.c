/*
 * Typed views of physical memory for the capability core: the one place it
 * turns a capability's object address into a pointer (pa_to_kva, the
 * identity phys mapping). Not proved: WP's typed memory model cannot follow
 * an integer-to-pointer cast, so the contract of cap_cnode_slots (cap.h) is an
 * assumption of the proofs that call it (docs/PROOFS.md).
 */
#include <caps/cap.h>
#include <kernel/phys.h>

cte_t *cap_cnode_slots(cap_t c)
{
    return (cte_t *)pa_to_kva(cap_obj(c));
}
