/* Channel doorbell device: see vmm/channel.h and userland/vmm/README.md. */
#include <vmm/channel.h>

#include <string.h>

void channel_init(struct channel *c, unsigned index, bool can_notify, bool writable,
                  const struct irq_line *irq, channel_ring_fn ring, void *ring_ctx)
{
    memset(c, 0, sizeof(*c));
    c->index = index;
    c->flags =
        (can_notify ? CHANNEL_FLAG_CAN_NOTIFY : 0u) | (writable ? CHANNEL_FLAG_WRITABLE : 0u);
    if (irq != NULL) {
        c->irq = *irq;
    }
    c->ring = ring;
    c->ring_ctx = ring_ctx;
}

static uint32_t channel_read(const struct channel *c, uint64_t off)
{
    switch (off) {
    case CHANNEL_REG_FLAGS:
        return c->flags;
    case CHANNEL_REG_RX_COUNT:
        return c->rx_count;
    case CHANNEL_REG_TX_COUNT:
        return c->tx_count;
    case CHANNEL_REG_MAGIC:
        return CHANNEL_MAGIC;
    case CHANNEL_REG_VERSION:
        return CHANNEL_VERSION;
    default:
        return 0; /* DOORBELL and everything unassigned read as zero */
    }
}

bool channel_mmio(void *dev, uint64_t offset, unsigned size, bool write, uint64_t *value)
{
    struct channel *c = dev;

    if (offset >= CHANNEL_PAGE_SIZE || size != 4u || (offset & 3u) != 0) {
        return false;
    }
    if (!write) {
        *value = channel_read(c, offset);
        return true;
    }
    /* Writes other than DOORBELL (read-only or unassigned registers) are ignored. */
    if (offset == CHANNEL_REG_DOORBELL && (c->flags & CHANNEL_FLAG_CAN_NOTIFY) != 0 &&
        c->ring != NULL && c->ring(c->ring_ctx, c->index)) {
        c->tx_count++;
    }
    return true;
}

void channel_peer_signal(struct channel *c)
{
    c->rx_count++;
    /* An edge: nothing stays asserted, so the guest needs no acknowledge. */
    irq_line_set(&c->irq, true);
    irq_line_set(&c->irq, false);
}
