/* GICv3 (Arm IHI 0069): distributor, redistributors and the ICC system registers. */
#ifndef ARCH_GIC_H
#define ARCH_GIC_H

#include <stdbool.h>
#include <stdint.h>

#define GIC_SPURIOUS 1023u

/* Distributor and the calling CPU's redistributor and CPU interface.
 * Returns NULL or an error string. */
const char *gic_init(uint64_t gicd_base, uint64_t gicr_base, uint64_t gicr_size, uint64_t mpidr);
/* A secondary CPU's redistributor (found by affinity) and CPU interface. */
const char *gic_cpu_init(uint64_t mpidr);
/* Routes an SPI to the CPU with this MPIDR (GICD_IROUTER). */
void gic_route(unsigned intid, uint64_t mpidr);
/* Sends SGI intid (0..15) to the CPU with this MPIDR (ICC_SGI1R_EL1). */
void gic_send_sgi(uint64_t mpidr, unsigned intid);
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
