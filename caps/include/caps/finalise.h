/*
 * Hooks the capability core calls when capabilities disappear. The kernel core
 * implements them (host tests: a recording double in tests/unit/caps).
 *
 * caps_cap_removed() is called after a capability has been unlinked from the
 * derivation tree and its slot emptied, so the tree is consistent during the
 * hook. It dispatches with a switch on the type (no function pointers):
 *  - every removed mapped Frame/PageTable capability: kobj_unmap (each such
 *    capability records one mapping);
 *  - the last capability to an object: kobj_finalise_<type>. The object is then
 *    dead: e.g. threads blocked on a destroyed Endpoint must be woken with
 *    BH_E_DESTROYED by the Endpoint hook. A destroyed CNode or TCB holds no
 *    capabilities any more (the core empties it first). Untyped and IRQControl
 *    have no hook: nothing lives in them but other objects.
 * The hooks must not touch capability slots.
 */
#ifndef CAPS_FINALISE_H
#define CAPS_FINALISE_H

#include <caps/cap.h>

/* In the proofs, the kernel-object state the hooks change (threads, queues,
 * stage-2 tables, ...) is the ghost variable bh_kobj_state: the contracts
 * below say the hooks assign nothing else, in particular no capability slot.
 * The kobj_* contracts are assumptions (kernel/core implements them). */
/*@ ghost int bh_kobj_state; */

/*@ assigns bh_kobj_state; */
void kobj_unmap(bh_objtype_t type, paddr_t obj, uint16_t vmid, vaddr_t va);

/*@ assigns bh_kobj_state; */
void kobj_finalise_cnode(paddr_t cnode, uint32_t radix);
/*@ assigns bh_kobj_state; */
void kobj_finalise_tcb(paddr_t tcb);
/*@ assigns bh_kobj_state; */
void kobj_finalise_endpoint(paddr_t ep);
/*@ assigns bh_kobj_state; */
void kobj_finalise_notification(paddr_t ntfn);
/*@ assigns bh_kobj_state; */
void kobj_finalise_reply(paddr_t reply);
/*@ assigns bh_kobj_state; */
void kobj_finalise_sched_context(paddr_t sc);
/*@ assigns bh_kobj_state; */
void kobj_finalise_address_space(paddr_t as);
/*@ assigns bh_kobj_state; */
void kobj_finalise_page_table(paddr_t pt);
/*@ assigns bh_kobj_state; */
void kobj_finalise_frame(paddr_t frame, uint32_t size_bits);
/*@ assigns bh_kobj_state; */
void kobj_finalise_irq_handler(uint32_t irq);
/*@ assigns bh_kobj_state; */
void kobj_finalise_vm(paddr_t vm);
/*@ assigns bh_kobj_state; */
void kobj_finalise_vcpu(paddr_t vcpu);

/* Dispatch for one removed capability; last: it was the last one to its object. */
/*@ assigns bh_kobj_state; */
void caps_cap_removed(cap_t cap, bool last);

#endif
