/* GICv3 (Arm IHI 0069): distributor, redistributors and the ICC system registers. */
#ifndef ARCH_GIC_H
#define ARCH_GIC_H

#include <stdbool.h>
#include <stdint.h>

#define GIC_SPURIOUS 1023u

/* Returns NULL or an error string. */
const char *gic_init(uint64_t gicd_base, uint64_t gicr_base, uint64_t gicr_size, uint64_t mpidr);
unsigned gic_num_intids(void);
void gic_enable(unsigned intid);
void gic_disable(unsigned intid);
void gic_set_priority(unsigned intid, uint8_t prio);
/* Acknowledge: returns the INTID (GIC_SPURIOUS when none). */
unsigned gic_ack(void);
/* Priority drop and deactivate (EOImode 1: two separate steps). */
void gic_eoi(unsigned intid);
void gic_deactivate(unsigned intid);
uint32_t gic_iidr(void);

#endif
