/*
 * Decoding of ESR_ELx / SPSR (Arm ARM D17 "ESR_EL2"). Pure functions: also
 * built into a host unit test. Used by the panic path, by thread fault
 * reports and, later, by guest exit decoding.
 */
#ifndef ARCH_ESR_H
#define ARCH_ESR_H

#include <stddef.h>
#include <stdint.h>

#define ESR_EC(esr)  (((esr) >> 26) & 0x3fu)
#define ESR_IL(esr)  (((esr) >> 25) & 0x1u)
#define ESR_ISS(esr) ((esr)&0x1ffffffu)

enum esr_class {
    EC_UNKNOWN = 0x00,
    EC_WFX = 0x01,
    EC_FP_ACCESS = 0x07,
    EC_ILLEGAL_STATE = 0x0e,
    EC_SVC64 = 0x15,
    EC_HVC64 = 0x16,
    EC_SMC64 = 0x17,
    EC_SYSREG = 0x18,
    EC_SVE = 0x19,
    EC_IABT_LOWER = 0x20,
    EC_IABT_CUR = 0x21,
    EC_PC_ALIGN = 0x22,
    EC_DABT_LOWER = 0x24,
    EC_DABT_CUR = 0x25,
    EC_SP_ALIGN = 0x26,
    EC_FP_EXC64 = 0x2c,
    EC_SERROR = 0x2f,
    EC_BRK64 = 0x3c,
};

/* "data abort from a lower EL", or "unallocated exception class 0x.." */
const char *esr_class_name(unsigned ec);
/* Fault status code (DFSC/IFSC) name: "translation fault" etc., level separate. */
const char *esr_fault_status_name(unsigned fsc);
/* One line describing an ESR value, e.g. "data abort from a lower EL: translation
 * fault, level 3, write". Returns bytes written (snprintf semantics). */
size_t esr_describe(uint64_t esr, char *buf, size_t size);
/* One line describing an SPSR value: mode, DAIF, NZCV. */
size_t spsr_describe(uint64_t spsr, char *buf, size_t size);

#endif
