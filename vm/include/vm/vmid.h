/*
 * VMID allocation. 8-bit VMIDs (VTCR_EL2.VS = 0). VMID 0 is never handed out:
 * it is what VTTBR_EL2 holds while the kernel runs with no address space
 * loaded (boot, idle), so no TLB entry of a real address space can ever be
 * tagged with it. 255 VMIDs remain; when all are taken s2_vmid_alloc refuses
 * with BH_E_IN_USE (the caller must free one; nothing is recycled behind its
 * back). Freeing invalidates every TLB entry tagged with the VMID before it can
 * be handed out again. Allocation is round robin so a freed VMID is reused as
 * late as possible.
 */
#ifndef VM_VMID_H
#define VM_VMID_H

#include <bulkhead/errors.h>
#include <kernel/types.h>

#define S2_VMID_COUNT    256u
#define S2_VMID_RESERVED 0u

typedef struct s2_vmid_pool {
    uint8_t used[S2_VMID_COUNT]; /* 1 = allocated; used[0] is always 1 */
    uint16_t next;               /* where the next search starts, 1..255 */
} s2_vmid_pool_t;

/*@ predicate s2_vmid_pool_ok(s2_vmid_pool_t *p) =
        p->used[0] == 1 && 1 <= p->next < 256; */

/*@ requires \valid(p);
    assigns p->used[0 .. 255], p->next;
    ensures s2_vmid_pool_ok(p);
    ensures \forall integer i; 1 <= i < 256 ==> p->used[i] == 0; */
void s2_vmid_pool_init(s2_vmid_pool_t *p);

/* BH_OK and *vmid in 1..255, or BH_E_IN_USE when all 255 are taken. */
/*@ requires \valid(p) && \valid(vmid) && \separated(p, vmid);
    requires s2_vmid_pool_ok(p);
    assigns p->used[1 .. 255], p->next, *vmid;
    ensures s2_vmid_pool_ok(p);
    ensures \result == BH_OK || \result == BH_E_IN_USE;
    ensures \result == BH_OK ==>
        1 <= *vmid < 256 && \at(p->used[\at(*vmid, Post)], Pre) == 0 && p->used[*vmid] == 1 &&
        (\forall integer i; 0 <= i < 256 && i != *vmid ==> p->used[i] == \old(p->used[i]));
    ensures \result == BH_E_IN_USE ==>
        (\forall integer i; 1 <= i < 256 ==> \old(p->used[i]) != 0) &&
        (\forall integer i; 0 <= i < 256 ==> p->used[i] == \old(p->used[i])); */
bh_error_t s2_vmid_alloc(s2_vmid_pool_t *p, uint16_t *vmid);

/* Invalidates the VMID's TLB entries, then frees it. BH_E_RANGE for 0 or
 * >= 256, BH_E_INVALID_ARGUMENT if it is not allocated. */
/*@ requires \valid(p) && s2_vmid_pool_ok(p);
    assigns p->used[1 .. 255];
    ensures s2_vmid_pool_ok(p);
    ensures (vmid == 0 || vmid >= 256) ==> \result == BH_E_RANGE;
    ensures 1 <= vmid < 256 && \old(p->used[vmid]) == 0 ==> \result == BH_E_INVALID_ARGUMENT;
    ensures 1 <= vmid < 256 && \old(p->used[vmid]) != 0 ==>
        \result == BH_OK && p->used[vmid] == 0;
    ensures \forall integer i; 0 <= i < 256 && i != vmid ==> p->used[i] == \old(p->used[i]); */
bh_error_t s2_vmid_free(s2_vmid_pool_t *p, uint16_t vmid);

#endif
