/*
 * VM objects: a stage-2 address space for a guest. The table code, VMIDs and
 * mapping records are the EL0 address space's (vspace.c); a VM differs in
 * what it may map: writable+executable Normal memory (the guest's own stage 1
 * enforces W^X if it wants) and Device-nGnRE passthrough MMIO. Nothing is
 * ever mapped without a Frame capability, so a guest sees only memory its
 * VMM's capabilities cover.
 */
#include <kernel/object_invoke.h>
#include <kernel/vcpu.h>

bh_error_t vm_map_frame(struct vm *vm, cte_t *frame, uint64_t ipa, uint32_t rights,
                        uint32_t memtype, uint64_t *missing_level)
{
    if (memtype != BH_VM_MEM_NORMAL && memtype != BH_VM_MEM_DEVICE) {
        return BH_E_INVALID_ARGUMENT;
    }
    return vspace_map_frame_attr(&vm->as, frame, ipa, rights, memtype == BH_VM_MEM_DEVICE, true,
                                 missing_level);
}

bh_error_t vm_invoke(struct tcb *caller, const struct invocation *inv)
{
    struct vm *vm = vm_of(inv->target->cap);
    if (vm->as.dead) {
        return BH_E_DESTROYED;
    }
    switch (inv->label) {
    case BH_INV_VM_MAP_FRAME: {
        if (inv->ncaps < 1 || inv->len < 3) {
            return BH_E_TRUNCATED;
        }
        uint64_t missing = 0;
        bh_error_t e = vm_map_frame(vm, inv->cap_slot[0], inv->mr[0], (uint32_t)inv->mr[1],
                                    (uint32_t)inv->mr[2], &missing);
        if (e == BH_E_LOOKUP_FAILED) {
            caller->regs.x[2] = missing; /* the level whose table the caller must supply */
        }
        return e;
    }
    case BH_INV_VM_MAP_TABLE:
        if (inv->ncaps < 1 || inv->len < 2) {
            return BH_E_TRUNCATED;
        }
        if (inv->mr[1] != 2 && inv->mr[1] != 3) {
            return BH_E_INVALID_ARGUMENT;
        }
        return vspace_map_table(&vm->as, inv->cap_slot[0], inv->mr[0], (unsigned)inv->mr[1]);
    default:
        return BH_E_ILLEGAL_OPERATION;
    }
}
