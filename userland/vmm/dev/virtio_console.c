/* virtio-console, single port (virtio 1.2, 5.3): see vmm/virtio_console.h. */
#include <vmm/virtio_console.h>

#include <string.h>

#define CON_RXQ 0u
#define CON_TXQ 1u

static bool con_config_read(struct virtio_mmio *t, uint32_t off, unsigned size, uint64_t *value)
{
    (void)t;
    (void)off;
    (void)size;
    /* No feature bit makes a field valid: cols, rows, max_nr_ports read 0. */
    *value = 0;
    return true;
}

static bool con_config_write(struct virtio_mmio *t, uint32_t off, unsigned size, uint64_t value)
{
    (void)t;
    (void)off;
    (void)size;
    (void)value;
    /* emerg_wr is only there with VIRTIO_CONSOLE_F_EMERG_WRITE, not offered. */
    return true;
}

/* Moves buffered input into receive buffers; false on a violation. */
static bool con_deliver(struct virtio_console *c)
{
    struct virtio_mmio *t = &c->mmio;
    bool used = false;
    bool ok = true;

    if (!virtio_mmio_live(t) || !t->vq[CON_RXQ].ready) {
        return true; /* kept until the driver is ready */
    }
    while (c->rx_count > 0) {
        enum vq_pop r = virtq_pop(&t->vq[CON_RXQ], t->mem,
                                  virtio_mmio_has_feature(t, VIRTIO_F_INDIRECT_DESC), &c->elem);
        size_t n = 0;
        if (r == VQ_POP_EMPTY) {
            break;
        }
        if (r == VQ_POP_ERROR || c->elem.n_out != 0) {
            ok = false; /* receive buffers are device-writable only */
            break;
        }
        while (c->rx_count > 0 && n < c->elem.in_len) {
            size_t chunk = VIRTIO_CONSOLE_RX_BUF - c->rx_head;
            if (chunk > c->rx_count) {
                chunk = c->rx_count;
            }
            if (chunk > c->elem.in_len - n) {
                chunk = (size_t)(c->elem.in_len - n);
            }
            n += vq_elem_write(&c->elem, n, c->rx + c->rx_head, chunk);
            c->rx_head = (c->rx_head + chunk) % VIRTIO_CONSOLE_RX_BUF;
            c->rx_count -= chunk;
        }
        if (!virtq_push(&t->vq[CON_RXQ], t->mem, c->elem.head, (uint32_t)n)) {
            ok = false;
            break;
        }
        used = true;
    }
    if (used) {
        virtio_mmio_used(t, CON_RXQ);
    }
    return ok;
}

static bool con_transmit(struct virtio_console *c)
{
    struct virtio_mmio *t = &c->mmio;
    bool used = false;
    bool ok = true;

    for (;;) {
        enum vq_pop r = virtq_pop(&t->vq[CON_TXQ], t->mem,
                                  virtio_mmio_has_feature(t, VIRTIO_F_INDIRECT_DESC), &c->elem);
        if (r == VQ_POP_EMPTY) {
            break;
        }
        if (r == VQ_POP_ERROR) {
            ok = false;
            break;
        }
        for (unsigned i = 0; i < c->elem.n_out; i++) {
            for (uint32_t j = 0; j < c->elem.out[i].len; j++) {
                conline_putc(&c->out, c->elem.out[i].host[j]);
            }
        }
        if (!virtq_push(&t->vq[CON_TXQ], t->mem, c->elem.head, 0)) {
            ok = false;
            break;
        }
        used = true;
    }
    if (used) {
        virtio_mmio_used(t, CON_TXQ);
    }
    return ok;
}

static bool con_notify(struct virtio_mmio *t, unsigned q)
{
    struct virtio_console *c = t->dev;

    return q == CON_RXQ ? con_deliver(c) : con_transmit(c);
}

static const struct virtio_device_ops con_ops = {
    .device_id = VIRTIO_ID_CONSOLE,
    .num_queues = 2,
    .config_read = con_config_read,
    .config_write = con_config_write,
    .queue_notify = con_notify,
    .reset = NULL, /* partial output and queued input survive a device reset */
};

void virtio_console_init(struct virtio_console *c, const char *guest_name, conline_emit_fn emit,
                         void *emit_ctx, const struct guest_mem *mem, const struct irq_line *irq)
{
    memset(c, 0, sizeof(*c));
    conline_init(&c->out, guest_name, emit, emit_ctx);
    virtio_mmio_init(&c->mmio, &con_ops, c, 1ull << VIRTIO_F_INDIRECT_DESC, mem, irq);
}

size_t virtio_console_rx_push(struct virtio_console *c, const uint8_t *data, size_t len)
{
    size_t n = 0;

    while (n < len && c->rx_count < VIRTIO_CONSOLE_RX_BUF) {
        c->rx[(c->rx_head + c->rx_count) % VIRTIO_CONSOLE_RX_BUF] = data[n++];
        c->rx_count++;
    }
    if (!con_deliver(c)) {
        virtio_mmio_fail(&c->mmio);
    }
    return n;
}
