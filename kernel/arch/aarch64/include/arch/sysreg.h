/* AArch64 system register access and the EL2 register bits the kernel uses. */
#ifndef ARCH_SYSREG_H
#define ARCH_SYSREG_H

#include <stdint.h>

#define READ_SYSREG(name)                                                                          \
    ({                                                                                             \
        uint64_t v_;                                                                               \
        __asm__ volatile("mrs %0, " #name : "=r"(v_));                                             \
        v_;                                                                                        \
    })

#define WRITE_SYSREG(name, v) __asm__ volatile("msr " #name ", %0" ::"r"((uint64_t)(v)) : "memory")

#define ISB()        __asm__ volatile("isb" ::: "memory")
#define DSB(opt)     __asm__ volatile("dsb " #opt ::: "memory")
#define WFI()        __asm__ volatile("wfi" ::: "memory")
#define WFE()        __asm__ volatile("wfe" ::: "memory")
#define IRQ_MASK()   __asm__ volatile("msr daifset, #2" ::: "memory")
#define IRQ_UNMASK() __asm__ volatile("msr daifclr, #2" ::: "memory")

/* HCR_EL2 */
#define HCR_VM   (1ull << 0)
#define HCR_SWIO (1ull << 1)
#define HCR_FMO  (1ull << 3)
#define HCR_IMO  (1ull << 4)
#define HCR_AMO  (1ull << 5)
#define HCR_DC   (1ull << 12)
#define HCR_TWI  (1ull << 13)
#define HCR_TWE  (1ull << 14)
#define HCR_TSC  (1ull << 19)
#define HCR_TACR (1ull << 21)
#define HCR_TSW  (1ull << 22)
#define HCR_TVM  (1ull << 26)
#define HCR_TGE  (1ull << 27)
#define HCR_TRVM (1ull << 30)
#define HCR_RW   (1ull << 31)
#define HCR_E2H  (1ull << 34)

/* SCTLR_EL2 (non-VHE) */
#define SCTLR_M        (1ull << 0)
#define SCTLR_A        (1ull << 1)
#define SCTLR_C        (1ull << 2)
#define SCTLR_SA       (1ull << 3)
#define SCTLR_I        (1ull << 12)
#define SCTLR_WXN      (1ull << 19)
#define SCTLR_EE       (1ull << 25)
#define SCTLR_EL2_RES1 0x30C50830ull

/* SCTLR_EL1 fields that govern EL0 when HCR_EL2.TGE is set */
#define SCTLR_EL1_RES1 0x30D00800ull /* bits 29,28,23,22,20,11 */
#define SCTLR_EL1_DZE  (1ull << 14)
#define SCTLR_EL1_UCT  (1ull << 15)
#define SCTLR_EL1_UCI  (1ull << 26)

/* SPSR / PSTATE */
#define SPSR_MODE_EL0T 0x0ull
#define SPSR_MODE_EL1H 0x5ull
#define SPSR_MODE_EL2H 0x9ull
#define SPSR_F         (1ull << 6)
#define SPSR_I         (1ull << 7)
#define SPSR_A         (1ull << 8)
#define SPSR_D         (1ull << 9)

/* CPTR_EL2 (non-VHE): RES1 bits plus trap SVE; TFP traps FP/SIMD. */
#define CPTR_EL2_RES1 0x000032FFull
#define CPTR_TZ       (1ull << 8)
#define CPTR_TFP      (1ull << 10)

/* CNTHCTL_EL2 (non-VHE) */
#define CNTHCTL_EL1PCTEN (1ull << 0)
#define CNTHCTL_EL1PCEN  (1ull << 1)

/* CNTKCTL_EL1 */
#define CNTKCTL_EL0VCTEN (1ull << 1)

#endif
