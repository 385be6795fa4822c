/*
 * TLB maintenance for stage-2 tables (hooks called by vm/). TLBI by IPA and
 * VMALLE1 act on the VMID in VTTBR_EL2, so we borrow it for the operation.
 * Inner Shareable variants: another CPU may cache the same VMID.
 */
#include <arch/sysreg.h>
#include <vm/arch_hooks.h>

void arch_s2_table_write_barrier(void)
{
    DSB(ishst);
}

static uint64_t select_vmid(uint16_t vmid)
{
    uint64_t old = READ_SYSREG(vttbr_el2);
    WRITE_SYSREG(vttbr_el2, (uint64_t)vmid << 48);
    ISB();
    return old;
}

void arch_s2_tlb_invalidate_ipa(uint16_t vmid, ipaddr_t ipa, unsigned level)
{
    (void)level;
    uint64_t old = select_vmid(vmid);
    DSB(ishst);
    __asm__ volatile("tlbi ipas2e1is, %0" ::"r"(ipa_addr(ipa) >> 12) : "memory");
    DSB(ish);
    /* Stage-1+2 combined entries are not tagged by IPA: drop the VMID's. */
    __asm__ volatile("tlbi vmalle1is" ::: "memory");
    DSB(ish);
    ISB();
    WRITE_SYSREG(vttbr_el2, old);
    ISB();
}

void arch_s2_tlb_invalidate_vmid(uint16_t vmid)
{
    uint64_t old = select_vmid(vmid);
    DSB(ishst);
    __asm__ volatile("tlbi vmalls12e1is" ::: "memory");
    DSB(ish);
    ISB();
    WRITE_SYSREG(vttbr_el2, old);
    ISB();
}
