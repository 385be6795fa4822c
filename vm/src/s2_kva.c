/*
 * The one place vm/ turns a table's physical address into a pointer
 * (pa_to_kva, the identity phys mapping). Not proved: WP's typed memory model
 * cannot follow an integer-to-pointer cast, so the contracts of
 * s2_table_entries and s2_table_at (vm/stage2.h) are assumptions of the
 * walks' and vspace_map_table's proofs (docs/PROOFS.md).
 */
#include <kernel/phys.h>
#include <vm/stage2.h>

s2_desc_t *s2_table_entries(paddr_t pa)
{
    return (s2_desc_t *)pa_to_kva(pa);
}

s2_table_t *s2_table_at(paddr_t pa)
{
    return (s2_table_t *)pa_to_kva(pa);
}

paddr_t s2_table_pa(const s2_table_t *t)
{
    return kva_to_pa(t);
}

paddr_t s2_root_pa(const s2_root_t *r)
{
    return kva_to_pa(r);
}
