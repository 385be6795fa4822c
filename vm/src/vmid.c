/*
 * VMID allocator (see vm/vmid.h). Proved: proofs/core-paths.txt.
 */
#include <vm/arch_hooks.h>
#include <vm/vmid.h>

void s2_vmid_pool_init(s2_vmid_pool_t *p)
{
    /*@ loop invariant 0 <= i <= S2_VMID_COUNT;
        loop invariant \forall integer j; 0 <= j < i ==> p->used[j] == 0;
        loop assigns i, p->used[0 .. S2_VMID_COUNT - 1];
        loop variant S2_VMID_COUNT - i; */
    for (unsigned i = 0u; i < S2_VMID_COUNT; i++) {
        p->used[i] = 0u;
    }
    p->used[S2_VMID_RESERVED] = 1u;
    p->next = 1u;
}

/*@ requires \valid(p) && \valid(vmid) && \separated(p, vmid);
    requires 1 <= v < S2_VMID_COUNT;
    assigns p->used[v], p->next, *vmid;
    ensures p->used[v] == 1 && *vmid == v && 1 <= p->next < S2_VMID_COUNT; */
static void take(s2_vmid_pool_t *p, unsigned v, uint16_t *vmid)
{
    p->used[v] = 1u;
    p->next = (uint16_t)(v == S2_VMID_COUNT - 1u ? 1u : v + 1u);
    *vmid = (uint16_t)v;
}

bh_error_t s2_vmid_alloc(s2_vmid_pool_t *p, uint16_t *vmid)
{
    unsigned start = p->next;
    /* Round robin: [next, 255] first, then [1, next). */
    /*@ loop invariant start <= v <= S2_VMID_COUNT;
        loop invariant \forall integer j; start <= j < v ==> p->used[j] != 0;
        loop assigns v;
        loop variant S2_VMID_COUNT - v; */
    for (unsigned v = start; v < S2_VMID_COUNT; v++) {
        if (p->used[v] == 0u) {
            take(p, v, vmid);
            return BH_OK;
        }
    }
    /*@ loop invariant 1 <= v <= start;
        loop invariant \forall integer j; 1 <= j < v ==> p->used[j] != 0;
        loop assigns v;
        loop variant start - v; */
    for (unsigned v = 1u; v < start; v++) {
        if (p->used[v] == 0u) {
            take(p, v, vmid);
            return BH_OK;
        }
    }
    return BH_E_IN_USE;
}

bh_error_t s2_vmid_free(s2_vmid_pool_t *p, uint16_t vmid)
{
    if (vmid == S2_VMID_RESERVED || vmid >= S2_VMID_COUNT) {
        return BH_E_RANGE;
    }
    if (p->used[vmid] == 0u) {
        return BH_E_INVALID_ARGUMENT;
    }
    /* No TLB entry tagged with vmid may survive into its next owner. */
    arch_s2_tlb_invalidate_vmid(vmid);
    p->used[vmid] = 0u;
    return BH_OK;
}
