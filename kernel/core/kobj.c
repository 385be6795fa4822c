/*
 * What happens to kernel objects when their capabilities go (caps/finalise.h).
 * The capability core calls these after the derivation tree is consistent;
 * they never touch capability slots.
 */
#include <caps/finalise.h>
#include <kernel/console_input.h>
#include <kernel/ipc.h>
#include <kernel/kernel.h>
#include <kernel/vcpu.h>
#include <kernel/vspace.h>

void irq_handler_destroyed(uint32_t intid);
void irq_notification_destroyed(const struct notification *n);

void kobj_unmap(bh_objtype_t type, paddr_t obj, uint16_t vmid, vaddr_t va)
{
    vspace_unmap_object(type, obj, vmid, va);
}

void kobj_finalise_cnode(paddr_t cnode, uint32_t radix)
{
    /* Its slots are already empty: nothing else refers to a CNode. */
    (void)cnode;
    (void)radix;
}

void kobj_finalise_tcb(paddr_t p)
{
    struct tcb *t = pa_to_kva(p);
    arch_stall(t); /* no CPU may save into it once its memory is reused */
    vcpu_tcb_destroyed(t);
    ipc_cancel(t);
    ipc_tcb_unbind(t);
    sched_unbind(&t->sched);
    sched_remove(&t->sched);
    t->state = TCB_INACTIVE;
}

void kobj_finalise_endpoint(paddr_t p)
{
    ipc_endpoint_destroyed(pa_to_kva(p));
}

void kobj_finalise_notification(paddr_t p)
{
    struct notification *n = pa_to_kva(p);
    irq_notification_destroyed(n);
    console_input_notification_destroyed(n);
    ipc_notification_destroyed(n);
}

void kobj_finalise_reply(paddr_t p)
{
    /* Replies are one-shot links in the TCBs; Reply objects hold no state. */
    (void)p;
}

void kobj_finalise_sched_context(paddr_t p)
{
    struct sched_context_obj *sco = pa_to_kva(p);
    if (sco->sc.thread != NULL) {
        sched_unbind(sco->sc.thread);
    }
}

void kobj_finalise_address_space(paddr_t p)
{
    arch_stall_others(); /* CPUs running in it re-activate (and fail) first */
    vspace_destroy(pa_to_kva(p));
}

void kobj_finalise_page_table(paddr_t p)
{
    (void)p; /* unmapped through kobj_unmap when its capability went */
}

void kobj_finalise_frame(paddr_t p, uint32_t size_bits)
{
    (void)p;
    (void)size_bits;
}

void kobj_finalise_irq_handler(uint32_t irq)
{
    irq_handler_destroyed(irq);
}

void kobj_finalise_vm(paddr_t p)
{
    /* The VMID goes (with its TLB entries); threads still bound to the VM
     * fail activation and stop with a report. */
    arch_stall_others();
    vspace_destroy(&((struct vm *)pa_to_kva(p))->as);
}

void kobj_finalise_vcpu(paddr_t p)
{
    vcpu_destroy(pa_to_kva(p));
}
