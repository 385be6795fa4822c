/*
 * EL0 address spaces (portable): an AddressSpace object is a stage-2 root
 * table followed by its bookkeeping. VMIDs are given out lazily (first map or
 * first activation) and recycled with TLB invalidation (vm/vmid.c).
 *
 * Frame and PageTable capabilities record where they are mapped as a 16-bit
 * "mapping id" = VMID | generation << 8. A VMID's generation changes every
 * time it is recycled, so a capability left over from a destroyed address
 * space can never unmap anything in the address space that reuses its VMID.
 */
#ifndef KERNEL_VSPACE_H
#define KERNEL_VSPACE_H

#include <bulkhead/errors.h>
#include <caps/cap.h>
#include <kernel/phys.h>
#include <vm/stage2.h>

struct address_space {
    s2_root_t root; /* first: the object is aligned to its size, the root to 8 KiB */
    uint16_t vmid;  /* 0: none assigned yet */
    uint8_t gen;
    uint8_t dead;
};

_Static_assert(sizeof(struct address_space) <= (1u << BH_ADDRESS_SPACE_SIZE_BITS), "AS size");

static inline struct address_space *as_of(cap_t c)
{
    return (struct address_space *)pa_to_kva(cap_obj(c));
}

void vspace_init(void);
/* Assigns a VMID if the address space has none. BH_E_IN_USE when all are taken. */
bh_error_t vspace_activate(struct address_space *as, s2_space_t *out);
/* Maps the frame in *frame (a 4 KiB or 2 MiB Frame capability) at va with
 * rights (BH_RIGHT_READ|WRITE|EXECUTE, limited by the frame capability's own
 * rights) and records the mapping in the capability. */
bh_error_t vspace_map_frame(struct address_space *as, cte_t *frame, uint64_t va, uint32_t rights,
                            uint64_t *missing_level);
/* As vspace_map_frame, with the memory type chosen (device: Device-nGnRE;
 * a Device frame is always Device) and, for guests (guest = true), writable
 * and executable mappings allowed: the guest's stage 1 restricts further. */
bh_error_t vspace_map_frame_attr(struct address_space *as, cte_t *frame, uint64_t va,
                                 uint32_t rights, bool device, bool guest, uint64_t *missing_level);
/* Installs the PageTable in *pt at va for the given level (2 or 3). */
bh_error_t vspace_map_table(struct address_space *as, cte_t *pt, uint64_t va, unsigned level);
/* Unmaps the frame the capability in *frame says it is mapped through (if the
 * tree still maps it there: a record can be stale) and clears the record. */
bh_error_t vspace_unmap_frame(cte_t *frame);

/* Finalisation hooks (called through caps/finalise.h). vspace_unmap_object
 * removes a recorded mapping only where the tree still holds the object. */
void vspace_unmap_object(bh_objtype_t type, paddr_t obj, uint16_t mapid, vaddr_t va);
void vspace_destroy(struct address_space *as);

#endif
