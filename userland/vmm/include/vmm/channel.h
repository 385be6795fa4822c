/*
 * The guest-visible end of a channel (userland/vmm/README.md, "The channel
 * device"): shared memory the builder mapped into the guest, plus a 4 KiB
 * doorbell page emulated here. A 32-bit write of DOORBELL rings the peer
 * (through the `ring` callback: the VMM signals the peer's notification);
 * the peer's rings arrive through channel_peer_signal() and raise the
 * channel's SPI as an edge.
 */
#ifndef VMM_CHANNEL_H
#define VMM_CHANNEL_H

#include <vmm/vmm_common.h>

#define CHANNEL_PAGE_SIZE 0x1000u

/* Doorbell page registers (32-bit, little-endian). */
#define CHANNEL_REG_DOORBELL 0x000u /* W: ring the peer; reads 0 */
#define CHANNEL_REG_FLAGS    0x004u /* R: CHANNEL_FLAG_* */
#define CHANNEL_REG_RX_COUNT 0x008u /* R: interrupts raised for the peer's rings */
#define CHANNEL_REG_TX_COUNT 0x00cu /* R: doorbell writes that rang the peer */
#define CHANNEL_REG_MAGIC    0x010u /* R: CHANNEL_MAGIC */
#define CHANNEL_REG_VERSION  0x014u /* R: CHANNEL_VERSION */

#define CHANNEL_FLAG_CAN_NOTIFY (1u << 0)
#define CHANNEL_FLAG_WRITABLE   (1u << 1)

#define CHANNEL_MAGIC   0x4348414eu /* "CHAN" */
#define CHANNEL_VERSION 1u

/* Rings the peer; false if that failed (the VMM reports it, the guest goes on). */
typedef bool (*channel_ring_fn)(void *ctx, unsigned index);

struct channel {
    unsigned index; /* n: VMM_SLOT_CHAN0 + n, VMM_NTFN_CHAN0 << n */
    uint32_t flags;
    uint32_t rx_count, tx_count;
    struct irq_line irq; /* the SPI, pulsed as an edge */
    channel_ring_fn ring;
    void *ring_ctx;
};

void channel_init(struct channel *c, unsigned index, bool can_notify, bool writable,
                  const struct irq_line *irq, channel_ring_fn ring, void *ring_ctx);
/* The doorbell page (vmm_mmio_fn): aligned 32-bit accesses only. */
bool channel_mmio(void *c, uint64_t offset, unsigned size, bool write, uint64_t *value);
/* The peer rang: one edge on the channel's SPI. */
void channel_peer_signal(struct channel *c);

#endif
