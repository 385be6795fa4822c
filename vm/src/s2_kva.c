/*
 * The one place vm/ turns a table's physical address into a pointer
 * (pa_to_kva, the identity phys mapping). Not proved: WP's typed memory model
 * cannot follow an integer-to-pointer cast, so the contract of
 * s2_table_entries (vm/stage2.h) is an assumption of the walks' proofs
 * (docs/PROOFS.md).
 */
#include <kernel/phys.h>
#include <vm/stage2.h>

s2_desc_t *s2_table_entries(paddr_t pa)
{
    return (s2_desc_t *)pa_to_kva(pa);
}

paddr_t s2_table_pa(const s2_table_t *t)
{
    return kva_to_pa(t);
}

paddr_t s2_root_pa(const s2_root_t *r)
{
    return kva_to_pa(r);
}
