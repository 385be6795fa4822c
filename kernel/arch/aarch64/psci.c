#include <arch/psci.h>

static enum psci_conduit conduit = PSCI_NONE;

void psci_init(enum psci_conduit c)
{
    /* The kernel is EL2: an HVC would trap to itself, so only an SMC conduit
     * (firmware at EL3, or QEMU emulating it) can work. */
    conduit = c == PSCI_SMC ? PSCI_SMC : PSCI_NONE;
}

int64_t psci_call(uint32_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
    if (conduit != PSCI_SMC) {
        return -1; /* NOT_SUPPORTED */
    }
    register uint64_t x0 __asm__("x0") = fn;
    register uint64_t x1 __asm__("x1") = a1;
    register uint64_t x2 __asm__("x2") = a2;
    register uint64_t x3 __asm__("x3") = a3;
    __asm__ volatile("smc #0"
                     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
                     :
                     : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15",
                       "x16", "x17", "memory");
    return (int64_t)x0;
}

void psci_system_off(void)
{
    (void)psci_call(PSCI_SYSTEM_OFF, 0, 0, 0);
}
