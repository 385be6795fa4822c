/* PSCI client (Arm DEN 0022): the kernel powers the machine off and CPUs on. */
#ifndef ARCH_PSCI_H
#define ARCH_PSCI_H

#include <stdint.h>

#include <kernel/platform.h>

#define PSCI_VERSION      0x84000000u
#define PSCI_CPU_ON       0xC4000003u
#define PSCI_SYSTEM_OFF   0x84000008u
#define PSCI_SYSTEM_RESET 0x84000009u

void psci_init(enum psci_conduit conduit);
int64_t psci_call(uint32_t fn, uint64_t a1, uint64_t a2, uint64_t a3);
/* Returns only if PSCI is unavailable or refused. */
void psci_system_off(void);

#endif
