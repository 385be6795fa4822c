/*
 * What the example guests add to the test guests' runtime (tests/guests/guest.h):
 * the channel device the VMM exposes (userland/vmm/README.md, "The channel
 * device"), found in the device tree the VMM passes in x0, and shared
 * peripheral interrupts (SPIs) on the virtual GIC.
 */
#ifndef BH_EXAMPLE_GUEST_H
#define BH_EXAMPLE_GUEST_H

#include "guest.h"

/* Doorbell page registers (32-bit). */
#define CHAN_DOORBELL 0x000u
#define CHAN_FLAGS    0x004u
#define CHAN_MAGIC    0x010u
#define CHAN_MAGIC_ID 0x4348414eu /* "CHAN" */

struct ex_channel {
    uint64_t shm, shm_size; /* shared memory */
    uint64_t doorbell;      /* doorbell page */
    uint32_t intid;         /* raised when the peer rings */
    char label[32];
};

/* The messages of examples/channel.dts: a u32 sequence number at the start of
 * the shared memory, NUL-terminated text from EX_TEXT_OFF. */
#define EX_MESSAGES 5u
#define EX_TEXT_OFF 8u
#define EX_TEXT_MAX 56u

/* The first "bulkhead,channel" node of the device tree at dtb; false if none. */
bool ex_find_channel(uint64_t dtb, struct ex_channel *c);
/* ex_find_channel, failing the guest when there is none; prints the start of
 * the line "channel 'LABEL': memory ADDR", which the caller completes. */
void ex_open_channel(uint64_t dtb, struct ex_channel *c);
/* The GIC's CPU interface and the channel's SPI (an edge: the device rings). */
void ex_channel_irq_on(const struct ex_channel *c);
/* Rings the peer (after a store barrier, so it sees what was written). */
void ex_ring(const struct ex_channel *c);
/* Routes SPI intid to this CPU (affinity 0), group 1, edge-triggered or
 * level-sensitive, enabled. */
void ex_gic_enable_spi(uint32_t intid, bool edge);
/* Waits (WFI, IRQs masked) until an interrupt is pending and acknowledges it;
 * returns its INTID. The caller completes it with guest_gic_eoi() once the
 * device is quiet (a level interrupt would otherwise fire again). */
uint32_t ex_wait_irq(void);

uint32_t ex_read32(uint64_t addr);
void ex_write32(uint64_t addr, uint32_t v);

#endif
