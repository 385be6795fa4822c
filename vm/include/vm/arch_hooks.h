/*
 * Hooks the portable stage-2 code calls and the architecture layer provides
 * (kernel/arch/aarch64 on the target; test doubles in tests/unit/vm on the host).
 *
 * The portable code only writes descriptors; ordering those writes against the
 * table walker and removing stale TLB entries is the architecture's job:
 *
 *  - arch_s2_table_write_barrier(): make every descriptor write so far visible
 *    to the table walker (AArch64: DSB ISHST). Called after every descriptor
 *    write, before any TLB invalidation and before returning to the caller.
 *  - arch_s2_tlb_invalidate_ipa(vmid, ipa, level): remove every cached
 *    translation for the leaf or table entry at `level` that covers `ipa` in
 *    address space `vmid`, including combined stage-1+2 entries, and wait for
 *    completion (AArch64: TLBI IPAS2E1IS, DSB ISH, TLBI VMALLE1IS, DSB ISH).
 *    Called after an entry that was valid is cleared.
 *  - arch_s2_tlb_invalidate_vmid(vmid): remove every cached translation tagged
 *    with `vmid` (AArch64: switch VTTBR to the VMID, TLBI VMALLS12E1IS, DSB ISH).
 *    Called when a table is unlinked and before a VMID is reused.
 *
 * For the proofs these are external functions that touch no C object.
 */
#ifndef VM_ARCH_HOOKS_H
#define VM_ARCH_HOOKS_H

#include <kernel/types.h>

/*@ assigns \nothing; */
void arch_s2_table_write_barrier(void);

/*@ assigns \nothing; */
void arch_s2_tlb_invalidate_ipa(uint16_t vmid, ipaddr_t ipa, unsigned level);

/*@ assigns \nothing; */
void arch_s2_tlb_invalidate_vmid(uint16_t vmid);

#endif
